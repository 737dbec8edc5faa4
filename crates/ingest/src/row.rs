//! Turning one table row into a record object (AEF/1 section 8), shared by every dump reader.
//!
//! Invariants: integers stay numbers, text stays strings, SQL NULL is `null`, the text of
//! `changes` and `metadata` (and of any `json`/`jsonb` column) is parsed as JSON with the core's
//! strict parser; the `timestamp` text is left as found (the core converts it). A value that
//! cannot be represented makes the whole row [`RawData::Unreadable`] with a message naming the
//! column, never a panic and never a silently altered value.

use trailproof_core::json::{JsonError, Value, MAX_SAFE_INTEGER};
use trailproof_core::record::RawData;

use crate::copy::FieldError;
use crate::sql::LiteralError;

/// One cell of a row as the store gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    /// Binary data (a BLOB, `X'..'` literal): never a valid record member.
    Blob(usize),
    /// A value that could not be decoded, and why.
    Bad(ValueDecodeError),
}

/// Why a reader could not decode the value of one cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueDecodeError {
    /// SQLite text that is not UTF-8.
    #[error("text is not valid UTF-8")]
    TextNotUtf8,
    /// A SQL string literal that is not UTF-8 from its `byte`-th byte (1-based).
    #[error("string literal is not valid UTF-8 (byte {byte})")]
    LiteralNotUtf8 { byte: usize },
    /// A SQL number literal that is neither an `i64` nor a finite double.
    #[error("number {0} cannot be represented")]
    UnrepresentableNumber(String),
    /// A SQL literal whose escapes cannot be decoded.
    #[error(transparent)]
    Literal(LiteralError),
    /// A COPY data field whose escapes cannot be decoded.
    #[error(transparent)]
    CopyField(FieldError),
}

/// Why a cell cannot become a record member; every message names the column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CellError {
    #[error("column {column}: {value} is not a finite number")]
    NotFinite { column: String, value: f64 },
    #[error(
        "column {column}: integer {value} is outside +-(2^53-1) and cannot be hashed reproducibly"
    )]
    UnsafeInteger { column: String, value: i64 },
    #[error("column {column} holds binary data ({bytes} bytes), not text or a number")]
    Binary { column: String, bytes: usize },
    #[error("column {column}: {error}")]
    Undecodable {
        column: String,
        error: ValueDecodeError,
    },
    #[error("column {column} is not valid JSON: {error}")]
    NotJson { column: String, error: JsonError },
}

/// How the text of a column is to be read, from the column's declared type or its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Keep the cell as typed by the source.
    Auto,
    /// Text holding an integer (PostgreSQL `bigint`, the CSV `seq` column).
    Integer,
    /// Text holding a decimal number (PostgreSQL `numeric`, `real`, `double precision`).
    Real,
    /// Text holding JSON (`changes`, `metadata`, `json`, `jsonb`).
    Json,
    /// PostgreSQL `character(n)`: blank-padded, trailing spaces are not part of the value.
    Char,
    /// PostgreSQL `boolean` printed as `t`/`f`.
    Bool,
}

impl ColumnKind {
    /// The kind of a column named `name` when the source gives no useful type.
    pub fn by_name(name: &str) -> ColumnKind {
        match name {
            "changes" | "metadata" => ColumnKind::Json,
            _ => ColumnKind::Auto,
        }
    }

    /// The kind of a column from its declared SQL type (PostgreSQL spelling), then its name.
    pub fn from_sql_type(name: &str, sql_type: &str) -> ColumnKind {
        if matches!(name, "changes" | "metadata") {
            return ColumnKind::Json;
        }
        let t = sql_type.trim().to_ascii_lowercase();
        let t = t.trim_start_matches("pg_catalog.").trim_start_matches('"');
        let base: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '_')
            .collect();
        let base = base.trim();
        match base {
            "json" | "jsonb" => ColumnKind::Json,
            "bigint" | "int8" | "integer" | "int" | "int4" | "smallint" | "int2" | "bigserial"
            | "serial" | "serial8" | "serial4" | "smallserial" => ColumnKind::Integer,
            "numeric" | "decimal" | "real" | "float4" | "float8" | "double precision" | "float" => {
                ColumnKind::Real
            }
            "boolean" | "bool" => ColumnKind::Bool,
            "character" | "char" | "bpchar" | "nchar" => ColumnKind::Char,
            _ if base.starts_with("character") && !base.starts_with("character varying") => {
                ColumnKind::Char
            }
            _ => ColumnKind::Auto,
        }
    }
}

fn number(n: f64, column: &str) -> Result<Value, CellError> {
    if !n.is_finite() {
        return Err(CellError::NotFinite {
            column: column.to_string(),
            value: n,
        });
    }
    Ok(Value::Number(n))
}

/// `i` as the double a record holds, when it is within +-(2^53 - 1).
pub fn safe_int(i: i64) -> Option<f64> {
    ((i.unsigned_abs() as f64) <= MAX_SAFE_INTEGER).then_some(i as f64)
}

fn int(i: i64, column: &str) -> Result<Value, CellError> {
    safe_int(i)
        .map(Value::Number)
        .ok_or_else(|| CellError::UnsafeInteger {
            column: column.to_string(),
            value: i,
        })
}

/// Converts one cell to a JSON value for column `column` of kind `kind`.
pub fn cell_value(cell: Cell, column: &str, kind: ColumnKind) -> Result<Value, CellError> {
    match cell {
        Cell::Null => Ok(Value::Null),
        Cell::Int(i) => int(i, column),
        Cell::Real(r) => number(r, column),
        Cell::Bool(b) => Ok(Value::Bool(b)),
        Cell::Blob(n) => Err(CellError::Binary {
            column: column.to_string(),
            bytes: n,
        }),
        Cell::Bad(error) => Err(CellError::Undecodable {
            column: column.to_string(),
            error,
        }),
        Cell::Text(s) => match kind {
            ColumnKind::Auto => Ok(Value::String(s)),
            ColumnKind::Char => Ok(Value::String(s.trim_end_matches(' ').to_string())),
            ColumnKind::Json => Value::parse(s.as_bytes()).map_err(|error| CellError::NotJson {
                column: column.to_string(),
                error,
            }),
            ColumnKind::Integer => match s.trim().parse::<i64>() {
                Ok(i) => int(i, column),
                // Keep the text: the core reports a non-integer `seq` with the value quoted.
                Err(_) => Ok(Value::String(s)),
            },
            ColumnKind::Real => match s.trim().parse::<f64>() {
                Ok(r) if r.is_finite() => Ok(Value::Number(r)),
                _ => Ok(Value::String(s)),
            },
            ColumnKind::Bool => match s.as_str() {
                "t" | "true" => Ok(Value::Bool(true)),
                "f" | "false" => Ok(Value::Bool(false)),
                _ => Ok(Value::String(s)),
            },
        },
    }
}

/// Builds the record of one row; `columns` and `cells` are in the same order.
/// `place` prefixes messages ("row 4 (line 5)").
pub fn build_record(columns: &[(String, ColumnKind)], cells: Vec<Cell>, place: &str) -> RawData {
    if columns.len() != cells.len() {
        return RawData::Unreadable(format!(
            "{place}: {} values for {} columns",
            cells.len(),
            columns.len()
        ));
    }
    let mut members = Vec::with_capacity(cells.len());
    for ((name, kind), cell) in columns.iter().zip(cells) {
        match cell_value(cell, name, *kind) {
            Ok(v) => members.push((name.clone(), v)),
            Err(error) => return RawData::Unreadable(format!("{place}: {error}")),
        }
    }
    match Value::object(members) {
        Ok(v) => RawData::Value(v),
        Err(dup) => RawData::Unreadable(format!("{place}: column {dup:?} appears twice")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the readers always wrote.
    #[test]
    fn cell_errors_keep_their_messages() {
        let column = || "seq".to_string();
        let cases = [
            (
                cell_value(Cell::Real(f64::INFINITY), "seq", ColumnKind::Auto),
                "column seq: inf is not a finite number",
            ),
            (
                cell_value(Cell::Int(1 << 60), "seq", ColumnKind::Auto),
                "column seq: integer 1152921504606846976 is outside +-(2^53-1) and cannot be hashed reproducibly",
            ),
            (
                cell_value(Cell::Blob(4), "seq", ColumnKind::Auto),
                "column seq holds binary data (4 bytes), not text or a number",
            ),
            (
                cell_value(
                    Cell::Bad(ValueDecodeError::TextNotUtf8),
                    "seq",
                    ColumnKind::Auto,
                ),
                "column seq: text is not valid UTF-8",
            ),
            (
                cell_value(Cell::Text("{".into()), "seq", ColumnKind::Json),
                "column seq is not valid JSON: EOF while parsing an object at line 1 column 1",
            ),
        ];
        for (result, text) in cases {
            assert_eq!(result.expect_err(text).to_string(), text);
        }
        assert_eq!(
            CellError::Undecodable {
                column: column(),
                error: ValueDecodeError::CopyField(FieldError::TruncatedEscape),
            }
            .to_string(),
            "column seq: a backslash ends the field (a truncated escape)"
        );
    }
}
