//! Turning one table row into a record object (AEF/1 section 8), shared by every dump reader.
//!
//! Invariants: integers stay numbers, text stays strings, SQL NULL is `null`, the text of
//! `changes` and `metadata` (and of any `json`/`jsonb` column) is JSON as the core's strict
//! parser reads it: a [`Row`] holds it in canonical form, written by the core's
//! `TextCanonicalizer` without a `Value` (or parsed, where that declines); the `timestamp` text
//! is left as found (the core converts it). A value that cannot be represented makes the whole
//! row [`RawData::Unreadable`] with a message naming the column, never a panic and never a
//! silently altered value.
//!
//! [`Table::record`] gives the same record as [`build_record`], as a [`Row`] over one shared
//! text where every cell can be one (no `Value` tree, no sort, no name copies), and from
//! [`build_record`] otherwise; a test holds the two equal over every kind of cell and column.

use std::sync::Arc;

use trailproof_core::canonical::TextCanonicalizer;
use trailproof_core::json::{JsonError, Value, MAX_SAFE_INTEGER};
use trailproof_core::record::{RawData, Row, RowCell, RowShape};

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

/// The columns of the audit table as a dump reader found them, with the member layout their
/// rows share.
#[derive(Debug)]
pub struct Table {
    columns: Vec<(String, ColumnKind)>,
    /// `None` when two columns share a name (every row is then [`build_record`]'s message).
    shape: Option<Arc<RowShape>>,
}

impl Table {
    pub fn new(columns: Vec<(String, ColumnKind)>) -> Table {
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let shape = RowShape::new(&names).map(Arc::new);
        Table { columns, shape }
    }

    /// Gives the rows made from now on a shape of their own (an equal copy): rows share their
    /// shape's reference count, and the checking threads that drop one batch's rows would
    /// otherwise contend for it with the reading thread that makes the next batch's.
    pub fn renew_shape(&mut self) {
        if let Some(shape) = &self.shape {
            self.shape = Some(Arc::new(RowShape::clone(shape)));
        }
    }

    /// The columns, in table order.
    pub fn columns(&self) -> &[(String, ColumnKind)] {
        &self.columns
    }

    /// The record of one row (`cells` in table order): the record [`build_record`] gives for
    /// them; `place` prefixes its messages ("row 4 (line 5)").
    pub fn record(
        &self,
        cells: Vec<Cell>,
        bufs: &mut RowBuffers,
        place: impl FnOnce() -> String,
    ) -> RawData {
        match self.shared_row(&cells, bufs) {
            Some(row) => RawData::Row(row),
            None => build_record(&self.columns, cells, &place()),
        }
    }

    /// The row as a [`Row`], for cells that are each one; `None` for anything else (a BOOLEAN,
    /// a BLOB, an undecodable or unsafe value, JSON text that does not parse).
    fn shared_row(&self, cells: &[Cell], bufs: &mut RowBuffers) -> Option<Row> {
        let shape = self.shape.as_ref()?;
        if cells.len() != self.columns.len() {
            return None;
        }
        // One text for the row's strings, then the canonical form of its JSON text.
        let mut json = bufs.start(b"");
        let mut at = Vec::with_capacity(cells.len());
        for (cell, (_, kind)) in cells.iter().zip(&self.columns) {
            at.push(json.buf.len());
            if let (Cell::Text(s), kind) = (cell, kind) {
                if *kind != ColumnKind::Json {
                    json.buf.extend_from_slice(s.as_bytes());
                }
            }
        }
        let mut out = Vec::with_capacity(cells.len());
        for &i in shape.order() {
            let kind = self.columns[i].1;
            out.push(match &cells[i] {
                Cell::Null => RowCell::Null,
                Cell::Int(v) => RowCell::Number(safe_int(*v)?),
                // A number that is not finite makes `Row::new` refuse the row.
                Cell::Real(r) => RowCell::Number(*r),
                Cell::Text(s) if kind == ColumnKind::Json => json.cell(s)?,
                Cell::Text(s) => text_cell(s, at[i], kind)?,
                Cell::Bool(_) | Cell::Blob(_) | Cell::Bad(_) => return None,
            });
        }
        Row::new(Arc::clone(shape), json.text()?, out)
    }

    /// The record of a row of text fields lying in `text` at `fields` (table order; `None` for
    /// NULL), as a [`Row`] over a copy of `text` (with the canonical form of its JSON fields
    /// after it): the record [`Table::record`] gives for those cells; `None` where it is not a
    /// row of shared text (then build the cells).
    pub fn text_row(
        &self,
        text: &str,
        fields: &[Option<(usize, usize)>],
        bufs: &mut RowBuffers,
    ) -> Option<RawData> {
        let shape = self.shape.as_ref()?;
        if fields.len() != self.columns.len() {
            return None;
        }
        let mut json = bufs.start(text.as_bytes());
        let mut out = Vec::with_capacity(fields.len());
        for &i in shape.order() {
            out.push(match fields[i] {
                None => RowCell::Null,
                Some((a, b)) => {
                    let s = text.get(a..b)?;
                    match self.columns[i].1 {
                        ColumnKind::Json => json.cell(s)?,
                        kind => text_cell(s, a, kind)?,
                    }
                }
            });
        }
        Row::new(Arc::clone(shape), json.text()?, out).map(RawData::Row)
    }
}

/// What a reader keeps from row to row to build rows: the JSON canonicalizer and the buffer a
/// row's text is put together in (so that a row takes one allocation for its text, however
/// its JSON cells grow).
#[derive(Debug, Default)]
pub struct RowBuffers {
    canon: TextCanonicalizer,
    text: Vec<u8>,
}

impl RowBuffers {
    /// The JSON cells of a row whose text starts with `text`.
    fn start(&mut self, text: &[u8]) -> Json<'_> {
        self.text.clear();
        self.text.extend_from_slice(text);
        Json {
            buf: &mut self.text,
            canon: &mut self.canon,
        }
    }
}

/// The JSON cells of one row: each written in canonical form after the row's other text, or
/// parsed when the canonicalizer declines it.
struct Json<'c> {
    /// The row's text so far.
    buf: &'c mut Vec<u8>,
    canon: &'c mut TextCanonicalizer,
}

impl Json<'_> {
    /// The cell of JSON text `s`, written at the end of `buf`; `None` when it is not JSON.
    fn cell(&mut self, s: &str) -> Option<RowCell> {
        let a = self.buf.len();
        if self.canon.write(s.as_bytes(), self.buf) {
            return RowCell::canonical(a, self.buf.len());
        }
        Value::parse(s.as_bytes())
            .ok()
            .map(|v| RowCell::Json(Box::new(v)))
    }

    /// The row's whole text.
    fn text(self) -> Option<Arc<str>> {
        std::str::from_utf8(self.buf).ok().map(Arc::from)
    }
}

/// The cell [`cell_value`] makes of text `s` (at byte `a` of the row's text) in a column of
/// `kind` other than JSON (whose text [`Json`] writes); `None` where it makes a boolean.
fn text_cell(s: &str, a: usize, kind: ColumnKind) -> Option<RowCell> {
    let whole = RowCell::text(a, a + s.len())?;
    Some(match kind {
        ColumnKind::Auto | ColumnKind::Json => whole,
        ColumnKind::Char => RowCell::text(a, a + s.trim_end_matches(' ').len())?,
        ColumnKind::Integer => match s.trim().parse::<i64>() {
            Ok(i) => RowCell::Number(safe_int(i)?),
            Err(_) => whole,
        },
        ColumnKind::Real => match s.trim().parse::<f64>() {
            Ok(r) if r.is_finite() => RowCell::Number(r),
            _ => whole,
        },
        ColumnKind::Bool => match s {
            "t" | "true" | "f" | "false" => return None,
            _ => whole,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of column and every kind of cell, three columns at a time (names in an order
    /// unlike the canonical one, `seq` among them), and a repeated name: the record
    /// `Table::record` gives is the record `build_record` gives, messages included, and the
    /// common cells take the shared path.
    #[test]
    fn a_table_row_is_the_record_build_record_gives() {
        let kinds = [
            ColumnKind::Auto,
            ColumnKind::Integer,
            ColumnKind::Real,
            ColumnKind::Json,
            ColumnKind::Char,
            ColumnKind::Bool,
        ];
        let cells = || {
            let mut v = vec![
                Cell::Null,
                Cell::Int(7),
                Cell::Int(-(1 << 53)),
                Cell::Int(1 << 53),
                Cell::Real(1.5),
                Cell::Real(-0.0),
                Cell::Real(f64::NAN),
                Cell::Real(f64::INFINITY),
                Cell::Bool(true),
                Cell::Blob(3),
                Cell::Bad(ValueDecodeError::TextNotUtf8),
            ];
            for t in [
                "",
                " 5 ",
                "+5",
                "9007199254740992",
                "1e400",
                "2.50",
                "abc  ",
                "  ",
                "t",
                "true",
                "f",
                "false",
                "{\"b\":1,\"a\":[2]}",
                "{\"a\": 1, \"a\": 2}",
                " [1.50, \"\\u00e9\", {\"z\": null, \"y\": -0}] ",
                "{\"big\": 9007199254740993}",
                "{bad",
                "\"s\"",
                "Zoë",
            ] {
                v.push(Cell::Text(t.to_string()));
            }
            v
        };
        let n = cells().len();
        let mut canon = RowBuffers::default();
        let mut shared = 0;
        let mut texts = 0;
        for names in [["seq", "b", "a"], ["z", "tenant_id", "é"], ["a", "b", "a"]] {
            for k in 0..kinds.len() {
                let columns: Vec<(String, ColumnKind)> = names
                    .iter()
                    .enumerate()
                    .map(|(j, n)| (n.to_string(), kinds[(k + j) % kinds.len()]))
                    .collect();
                let table = Table::new(columns.clone());
                for x in 0..n {
                    for y in 0..n {
                        let z = (x * 7 + y) % n;
                        let row = || {
                            let all = cells();
                            vec![all[x].clone(), all[y].clone(), all[z].clone()]
                        };
                        let got = table.record(row(), &mut canon, || "row 1".to_string());
                        let want = build_record(&columns, row(), "row 1");
                        let same = match (&got, &want) {
                            (RawData::Row(r), RawData::Value(v)) => {
                                shared += 1;
                                &r.to_value() == v
                            }
                            (RawData::Value(a), RawData::Value(b)) => a == b,
                            (RawData::Unreadable(a), RawData::Unreadable(b)) => a == b,
                            _ => false,
                        };
                        assert!(same, "{columns:?} {:?}: {got:?} against {want:?}", row());
                        // The same row as CSV gives it: text fields in one buffer, an empty
                        // one being NULL.
                        let mut text = String::new();
                        let mut fields = Vec::new();
                        let mut cells = Vec::new();
                        for c in row() {
                            match &c {
                                Cell::Null => fields.push(None),
                                Cell::Text(t) if t.is_empty() => fields.push(None),
                                Cell::Text(t) => {
                                    text.push(',');
                                    fields.push(Some((text.len(), text.len() + t.len())));
                                    text.push_str(t);
                                }
                                _ => break,
                            }
                            cells.push(match c {
                                Cell::Text(t) if !t.is_empty() => Cell::Text(t),
                                _ => Cell::Null,
                            });
                        }
                        if cells.len() == 3 {
                            let want =
                                table.record(cells.clone(), &mut canon, || "row 1".to_string());
                            match (table.text_row(&text, &fields, &mut canon), &want) {
                                (Some(RawData::Row(r)), RawData::Row(w)) => {
                                    texts += 1;
                                    assert_eq!(r.to_value(), w.to_value(), "{cells:?}");
                                }
                                (None, _) => {}
                                (got, _) => panic!("{cells:?}: {got:?} against {want:?}"),
                            }
                        }
                    }
                }
                // A short row is build_record's message.
                let short = table.record(vec![Cell::Null], &mut canon, || "row 2".to_string());
                assert!(
                    matches!(short, RawData::Unreadable(m) if m == "row 2: 1 values for 3 columns")
                );
            }
        }
        assert!(shared > 2_000 && texts > 1_000, "{shared} {texts}");
    }

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
