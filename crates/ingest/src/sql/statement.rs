//! The statement parser: what a `CREATE TABLE`, `INSERT` or `COPY` statement says about the
//! table `audit_log`.
//!
//! Invariants: statements about other tables are recognised and left alone; a table name
//! matches `audit_log` case-insensitively, with any schema prefix; identifiers fold as the
//! dialect folds them (PostgreSQL lowers bare names); each `INSERT` tuple is evaluated on its
//! own, so one unreadable tuple does not hide its neighbours.

use super::expression::{describe, Expr, ExpressionError};
use super::tokenizer::Tok;
use super::Dialect;
use crate::row::Cell;

/// Why an `INSERT` statement about `audit_log` could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum InsertError {
    #[error("INSERT without INTO")]
    WithoutInto,
    #[error("INSERT without a table name")]
    WithoutTableName,
    #[error("malformed column list")]
    MalformedColumnList,
    #[error("INSERT without VALUES (only literal rows can be read)")]
    WithoutValues,
    #[error("VALUES without a row")]
    ValuesWithoutRow,
}

/// Why one tuple of an `INSERT` could not be read (its neighbours still can).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum TupleError {
    #[error("unbalanced parentheses in VALUES")]
    UnbalancedParentheses,
    /// The `number`-th value (1-based) could not be evaluated.
    #[error("value {number}: {error}")]
    Value {
        number: usize,
        error: ExpressionError,
    },
    /// Something other than `,` follows the `number`-th value.
    #[error("value {number}: unsupported expression (unexpected {} after the value)", describe(.found))]
    UnexpectedAfterValue { number: usize, found: Tok },
}

pub(super) fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

/// Parses `name(.name)*` at `*i`; returns the last part (the table name) as the dialect
/// folds it.
fn qualified_name(toks: &[Tok], i: &mut usize, dialect: Dialect) -> Option<String> {
    let mut last = None;
    loop {
        match toks.get(*i) {
            Some(Tok::Word(w)) => last = Some(fold(w, dialect)),
            Some(Tok::QIdent(w)) => last = Some(w.clone()),
            _ => return last,
        }
        *i += 1;
        if toks.get(*i) == Some(&Tok::Punct(b'.')) {
            *i += 1;
        } else {
            return last;
        }
    }
}

fn fold(w: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => w.to_ascii_lowercase(),
        Dialect::Sqlite => w.to_string(),
    }
}

pub(super) fn is_audit_log(name: &str) -> bool {
    name.eq_ignore_ascii_case("audit_log")
}

/// `( ident, ident, ... )` at `*i`.
fn column_list(toks: &[Tok], i: &mut usize, dialect: Dialect) -> Option<Vec<String>> {
    if toks.get(*i) != Some(&Tok::Punct(b'(')) {
        return None;
    }
    *i += 1;
    let mut cols = Vec::new();
    loop {
        match toks.get(*i) {
            Some(Tok::Word(w)) => cols.push(fold(w, dialect)),
            Some(Tok::QIdent(w)) => cols.push(w.clone()),
            _ => return None,
        }
        *i += 1;
        match toks.get(*i) {
            Some(Tok::Punct(b',')) => *i += 1,
            Some(Tok::Punct(b')')) => {
                *i += 1;
                return Some(cols);
            }
            _ => return None,
        }
    }
}

/// Columns and their declared types from `CREATE TABLE audit_log (...)`.
pub(super) fn create_table(toks: &[Tok], dialect: Dialect) -> Option<Vec<(String, String)>> {
    let mut i = 1;
    while matches!(toks.get(i), Some(Tok::Word(w)) if !w.eq_ignore_ascii_case("TABLE")) {
        i += 1;
    }
    if !is_kw(toks.get(i), "TABLE") {
        return None;
    }
    i += 1;
    if is_kw(toks.get(i), "IF") {
        i += 3;
    }
    let name = qualified_name(toks, &mut i, dialect)?;
    if !is_audit_log(&name) || toks.get(i) != Some(&Tok::Punct(b'(')) {
        return None;
    }
    i += 1;
    let mut cols = Vec::new();
    let mut depth = 0;
    let mut elem: Vec<&Tok> = Vec::new();
    while let Some(t) = toks.get(i) {
        i += 1;
        match t {
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') if depth == 0 => {
                column_def(&elem, dialect, &mut cols);
                return Some(cols);
            }
            Tok::Punct(b')') => depth -= 1,
            Tok::Punct(b',') if depth == 0 => {
                column_def(&elem, dialect, &mut cols);
                elem.clear();
                continue;
            }
            _ => {}
        }
        elem.push(t);
    }
    None
}

fn column_def(elem: &[&Tok], dialect: Dialect, cols: &mut Vec<(String, String)>) {
    const CONSTRAINTS: &[&str] = &[
        "CONSTRAINT",
        "PRIMARY",
        "UNIQUE",
        "CHECK",
        "FOREIGN",
        "EXCLUDE",
        "LIKE",
    ];
    const STOP: &[&str] = &[
        "NOT",
        "NULL",
        "DEFAULT",
        "PRIMARY",
        "REFERENCES",
        "UNIQUE",
        "CHECK",
        "CONSTRAINT",
        "COLLATE",
        "GENERATED",
        "AS",
    ];
    let name = match elem.first() {
        Some(Tok::Word(w)) if CONSTRAINTS.iter().any(|k| w.eq_ignore_ascii_case(k)) => return,
        Some(Tok::Word(w)) => fold(w, dialect),
        Some(Tok::QIdent(w)) => w.clone(),
        _ => return,
    };
    let mut ty = String::new();
    for t in &elem[1..] {
        let piece = match t {
            Tok::Word(w) if STOP.iter().any(|k| w.eq_ignore_ascii_case(k)) => break,
            Tok::Word(w) | Tok::QIdent(w) => w.clone(),
            Tok::Num(n) => n.clone(),
            Tok::Punct(c) => (*c as char).to_string(),
            _ => break,
        };
        if !ty.is_empty() {
            ty.push(' ');
        }
        ty.push_str(&piece);
    }
    cols.push((name, ty));
}

/// What an `INSERT` statement holds: the table, the optional column list and each tuple's
/// values (or why a tuple could not be read).
pub(super) struct Insert {
    pub(super) table: String,
    pub(super) columns: Option<Vec<String>>,
    pub(super) tuples: Vec<Result<Vec<Cell>, TupleError>>,
}

pub(super) fn parse_insert(toks: &[Tok], dialect: Dialect) -> Result<Insert, InsertError> {
    let mut i = 1;
    // INSERT [OR REPLACE | OR IGNORE ...] INTO
    while matches!(toks.get(i), Some(Tok::Word(w)) if !w.eq_ignore_ascii_case("INTO")) {
        i += 1;
    }
    if !is_kw(toks.get(i), "INTO") {
        return Err(InsertError::WithoutInto);
    }
    i += 1;
    let table = qualified_name(toks, &mut i, dialect).ok_or(InsertError::WithoutTableName)?;
    if !is_audit_log(&table) {
        return Ok(Insert {
            table,
            columns: None,
            tuples: Vec::new(),
        });
    }
    if is_kw(toks.get(i), "AS") {
        i += 2;
    }
    let columns = if toks.get(i) == Some(&Tok::Punct(b'(')) {
        Some(column_list(toks, &mut i, dialect).ok_or(InsertError::MalformedColumnList)?)
    } else {
        None
    };
    // OVERRIDING SYSTEM VALUE and the like.
    while matches!(toks.get(i), Some(Tok::Word(w)) if !w.eq_ignore_ascii_case("VALUES")) {
        i += 1;
    }
    if !is_kw(toks.get(i), "VALUES") {
        return Err(InsertError::WithoutValues);
    }
    i += 1;
    let mut tuples = Vec::new();
    loop {
        if toks.get(i) != Some(&Tok::Punct(b'(')) {
            if tuples.is_empty() {
                return Err(InsertError::ValuesWithoutRow);
            }
            break;
        }
        // Find the tuple's end by parenthesis depth, then evaluate its values.
        let st = i + 1;
        let mut depth = 0usize;
        let mut end = None;
        for (k, t) in toks.iter().enumerate().skip(i) {
            match t {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            tuples.push(Err(TupleError::UnbalancedParentheses));
            break;
        };
        tuples.push(tuple(&toks[st..end]));
        i = end + 1;
        if toks.get(i) == Some(&Tok::Punct(b',')) {
            i += 1;
        } else {
            break;
        }
    }
    Ok(Insert {
        table,
        columns,
        tuples,
    })
}

fn tuple(toks: &[Tok]) -> Result<Vec<Cell>, TupleError> {
    let mut e = Expr { toks, i: 0 };
    let mut cells = Vec::new();
    if toks.is_empty() {
        return Ok(cells);
    }
    loop {
        let n = cells.len() + 1;
        cells.push(
            e.value()
                .map_err(|error| TupleError::Value { number: n, error })?,
        );
        match e.bump() {
            None => return Ok(cells),
            Some(Tok::Punct(b',')) => {}
            Some(found) => {
                return Err(TupleError::UnexpectedAfterValue {
                    number: n,
                    found: found.clone(),
                })
            }
        }
    }
}

/// `COPY name [(cols)] FROM stdin`: the table and optional columns.
pub(super) fn parse_copy(toks: &[Tok], dialect: Dialect) -> Option<(String, Option<Vec<String>>)> {
    let mut i = 1;
    let table = qualified_name(toks, &mut i, dialect)?;
    let cols = if toks.get(i) == Some(&Tok::Punct(b'(')) {
        Some(column_list(toks, &mut i, dialect)?)
    } else {
        None
    };
    if is_kw(toks.get(i), "FROM") && is_kw(toks.get(i + 1), "STDIN") {
        Some((table, cols))
    } else {
        None
    }
}

pub(super) fn first_word(text: &[u8]) -> String {
    let t = text.trim_ascii_start();
    let n = t.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    String::from_utf8_lossy(&t[..n]).to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the reader always wrote.
    #[test]
    fn statement_errors_keep_their_messages() {
        let cases = [
            (InsertError::WithoutInto, "INSERT without INTO"),
            (InsertError::WithoutTableName, "INSERT without a table name"),
            (InsertError::MalformedColumnList, "malformed column list"),
            (
                InsertError::WithoutValues,
                "INSERT without VALUES (only literal rows can be read)",
            ),
            (InsertError::ValuesWithoutRow, "VALUES without a row"),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        let cases = [
            (
                TupleError::UnbalancedParentheses,
                "unbalanced parentheses in VALUES",
            ),
            (
                TupleError::Value {
                    number: 2,
                    error: ExpressionError::MissingValue,
                },
                "value 2: missing value",
            ),
            (
                TupleError::UnexpectedAfterValue {
                    number: 1,
                    found: Tok::Punct(b'*'),
                },
                "value 1: unsupported expression (unexpected '*' after the value)",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        let tokens = tokenize(
            b"INSERT INTO audit_log VALUES(1 * 2)",
            Dialect::Sqlite,
            false,
        );
        let insert = parse_insert(&tokens, Dialect::Sqlite).expect("parse");
        assert_eq!(
            insert.tuples[0],
            Err(TupleError::UnexpectedAfterValue {
                number: 1,
                found: Tok::Punct(b'*'),
            })
        );
    }
    use crate::sql::tokenizer::tokenize;

    #[test]
    fn values() {
        let toks = tokenize(
            b"INSERT INTO audit_log VALUES(replace(replace('a\\r\\nb','\\r',char(13)),'\\n',char(10)),-5,1.5e2,NULL,X'00ff',unistr('x\\000ay\\\\'))",
            Dialect::Sqlite,
            false,
        );
        let ins = parse_insert(&toks, Dialect::Sqlite).expect("parse");
        assert_eq!(
            ins.tuples[0].as_ref().expect("tuple"),
            &vec![
                Cell::Text("a\r\nb".into()),
                Cell::Int(-5),
                Cell::Real(150.0),
                Cell::Null,
                Cell::Blob(2),
                Cell::Text("x\ny\\".into())
            ]
        );
        let toks = tokenize(
            b"x E'a\\n\\x41\\101\\u00e9''\\q' 'it''s'",
            Dialect::Postgres,
            false,
        );
        assert_eq!(toks[1], Tok::Str("a\nAAé'q".as_bytes().to_vec()));
        assert_eq!(toks[2], Tok::Str(b"it's".to_vec()));
    }
}
