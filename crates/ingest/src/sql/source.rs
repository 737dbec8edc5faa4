//! The record source over a whole dump: statements in, records of `audit_log` out.
//!
//! Invariants: records are handed out in input order, each at the line of its statement (or
//! its COPY data line); a problem with one row makes that row unreadable with a message naming
//! its line, and reading goes on; only input that is not a dump at all (binary data, no
//! `audit_log` anywhere) or cannot be read is an [`IngestError`]; every byte read is hashed.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::splitter::{Splitter, Statement};
use super::statement::{create_table, first_word, is_audit_log, is_kw, parse_copy, parse_insert};
use super::tokenizer::{tokenize, Tok};
use super::Dialect;
use crate::copy;
use crate::hashing::{buffer_size, open_input, HashingReader, ReadMode};
use crate::row::{ColumnKind, RowBuffers, Table};
use crate::{Digested, IngestError, Location, RawData, RawRecord, RecordSource};

enum Copying {
    No,
    /// Data rows of audit_log, with their columns, from the COPY at `line`.
    AuditLog {
        table: Table,
        line: u64,
    },
    /// Data of another table: skipped.
    Other {
        line: u64,
    },
}

/// Streaming source over sqlite3 `.dump` or `pg_dump` text.
pub struct SqlDumpSource {
    path: PathBuf,
    dialect: Dialect,
    splitter: Splitter<BufReader<HashingReader<File>>>,
    total: Option<u64>,
    /// Columns and declared types from `CREATE TABLE audit_log`.
    table: Option<Vec<(String, String)>>,
    seen_audit_log: bool,
    backslash_strings: bool,
    copying: Copying,
    /// The columns of the last INSERT into audit_log (dumps repeat them row after row).
    inserting: Option<Arc<Table>>,
    /// The field ranges of the COPY data line being read.
    fields: Vec<Option<(usize, usize)>>,
    /// Writes the rows' JSON text in canonical form.
    bufs: RowBuffers,
    pending: VecDeque<RawRecord>,
    done: bool,
}

impl SqlDumpSource {
    /// Opens a dump; fails when the start of the file is binary, not SQL text.
    pub fn open(path: &Path, dialect: Dialect) -> Result<Self, IngestError> {
        Self::open_mode(path, dialect, ReadMode::Verify)
    }

    /// [`SqlDumpSource::open`], reading in `mode`.
    pub fn open_mode(path: &Path, dialect: Dialect, mode: ReadMode) -> Result<Self, IngestError> {
        let (r, total) = open_input(path, mode)?;
        let mut reader = BufReader::with_capacity(buffer_size(total), r);
        let head = reader.fill_buf().map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(off) = head.iter().position(|&b| b == 0) {
            return Err(IngestError::malformed(
                path,
                Location::Byte(off as u64),
                "binary data (a NUL byte), not SQL dump text",
            ));
        }
        Ok(SqlDumpSource {
            path: path.to_path_buf(),
            dialect,
            splitter: Splitter::new(reader, dialect),
            total,
            table: None,
            seen_audit_log: false,
            backslash_strings: false,
            copying: Copying::No,
            inserting: None,
            fields: Vec::new(),
            bufs: RowBuffers::default(),
            pending: VecDeque::new(),
            done: false,
        })
    }

    fn io(&self, e: io::Error) -> IngestError {
        if e.kind() == io::ErrorKind::InvalidData {
            IngestError::malformed(
                &self.path,
                Location::Line(self.splitter.line_no() + 1),
                e.to_string(),
            )
        } else {
            IngestError::Io {
                path: self.path.clone(),
                source: e,
            }
        }
    }

    /// The table of an INSERT into audit_log naming `names`: the last one again when its
    /// columns and their kinds are the same.
    fn table_for(&mut self, names: Vec<String>) -> Arc<Table> {
        let columns = self.kinds_for(&names);
        match &self.inserting {
            Some(table) if table.columns() == columns.as_slice() => Arc::clone(table),
            _ => {
                let table = Arc::new(Table::new(columns));
                self.inserting = Some(Arc::clone(&table));
                table
            }
        }
    }

    fn kinds_for(&self, names: &[String]) -> Vec<(String, ColumnKind)> {
        names
            .iter()
            .map(|n| {
                let declared = self
                    .table
                    .as_ref()
                    .and_then(|t| t.iter().find(|(c, _)| c == n))
                    .map(|(_, ty)| ty.as_str());
                let kind = match (self.dialect, declared) {
                    (Dialect::Postgres, Some(ty)) => ColumnKind::from_sql_type(n, ty),
                    (Dialect::Postgres, None) if n == "seq" => ColumnKind::Integer,
                    _ => ColumnKind::by_name(n),
                };
                (n.clone(), kind)
            })
            .collect()
    }

    fn table_columns(&self) -> Option<Vec<String>> {
        self.table
            .as_ref()
            .map(|t| t.iter().map(|(n, _)| n.clone()).collect())
    }

    fn statement(&mut self, st: Statement) {
        let word = first_word(&st.text);
        let loc = Location::Line(st.line);
        match word.as_str() {
            "SET" if self.dialect == Dialect::Postgres => {
                let toks = tokenize(&st.text, self.dialect, false);
                if is_kw(toks.get(1), "standard_conforming_strings") {
                    let off = toks.iter().skip(2).any(|t| match t {
                        Tok::Word(w) => w.eq_ignore_ascii_case("off"),
                        Tok::Str(v) => v.eq_ignore_ascii_case(b"off"),
                        _ => false,
                    });
                    self.backslash_strings = off;
                    self.splitter.set_backslash_strings(off);
                }
            }
            "CREATE" => {
                let toks = tokenize(&st.text, self.dialect, self.backslash_strings);
                if let Some(cols) = create_table(&toks, self.dialect) {
                    self.table = Some(cols);
                    self.seen_audit_log = true;
                }
            }
            "INSERT" | "REPLACE" => {
                let toks = tokenize(&st.text, self.dialect, self.backslash_strings);
                let ins = match parse_insert(&toks, self.dialect) {
                    Ok(ins) => ins,
                    Err(error) => {
                        // Only a statement about audit_log concerns us.
                        if toks
                            .iter()
                            .any(|t| matches!(t, Tok::Word(w) | Tok::QIdent(w) if is_audit_log(w)))
                        {
                            self.seen_audit_log = true;
                            self.pending.push_back(RawRecord {
                                loc,
                                data: RawData::Unreadable(format!("line {}: {error}", st.line)),
                            });
                        }
                        return;
                    }
                };
                if !is_audit_log(&ins.table) {
                    return;
                }
                self.seen_audit_log = true;
                let place = format!("line {}", st.line);
                if !st.complete {
                    self.pending.push_back(RawRecord {
                        loc,
                        data: RawData::Unreadable(format!(
                            "{place}: INSERT statement not terminated by ';' (dump truncated?)"
                        )),
                    });
                    return;
                }
                let names = match ins.columns.or_else(|| self.table_columns()) {
                    Some(n) => n,
                    None => {
                        self.pending.push_back(RawRecord {
                            loc,
                            data: RawData::Unreadable(format!(
                                "{place}: INSERT without a column list and no CREATE TABLE audit_log before it"
                            )),
                        });
                        return;
                    }
                };
                let table = self.table_for(names);
                let many = ins.tuples.len() > 1;
                for (k, t) in ins.tuples.into_iter().enumerate() {
                    let place = || {
                        if many {
                            format!("{place} (row {} of the INSERT)", k + 1)
                        } else {
                            place.clone()
                        }
                    };
                    let data = match t {
                        Ok(cells) => table.record(cells, &mut self.bufs, place),
                        Err(error) => RawData::Unreadable(format!("{}: {error}", place())),
                    };
                    self.pending.push_back(RawRecord { loc, data });
                }
            }
            "COPY" if self.dialect == Dialect::Postgres => {
                let toks = tokenize(&st.text, self.dialect, self.backslash_strings);
                match parse_copy(&toks, self.dialect) {
                    Some((table, cols)) if is_audit_log(&table) => {
                        self.seen_audit_log = true;
                        match cols.or_else(|| self.table_columns()) {
                            Some(names) => {
                                self.copying = Copying::AuditLog {
                                    table: Table::new(self.kinds_for(&names)),
                                    line: st.line,
                                };
                            }
                            None => {
                                self.pending.push_back(RawRecord {
                                    loc,
                                    data: RawData::Unreadable(format!(
                                        "line {}: COPY audit_log without a column list and no CREATE TABLE before it; its rows cannot be read",
                                        st.line
                                    )),
                                });
                                self.copying = Copying::Other { line: st.line };
                            }
                        }
                    }
                    Some(_) => self.copying = Copying::Other { line: st.line },
                    None => {}
                }
            }
            _ => {}
        }
    }

    /// Reads one COPY data line; returns false at end of input.
    fn copy_line(&mut self) -> Result<bool, IngestError> {
        let table = match &self.copying {
            Copying::AuditLog { table, .. } => Some(table),
            _ => None,
        };
        let fields = &mut self.fields;
        let bufs = &mut self.bufs;
        let got = match self.splitter.raw_line() {
            Ok(g) => g.map(|(l, n)| {
                let end = copy::is_end_marker(l);
                let data = table
                    .filter(|_| !end)
                    .map(|table| copy_record(table, l, n, fields, bufs));
                (end, data, n)
            }),
            Err(e) => return Err(self.io(e)),
        };
        let Some((end, data, n)) = got else {
            if let Copying::AuditLog { line, .. } | Copying::Other { line } = self.copying {
                let is_audit = matches!(self.copying, Copying::AuditLog { .. });
                self.copying = Copying::No;
                if is_audit {
                    let eof = self.splitter.line_no() + 1;
                    self.pending.push_back(RawRecord {
                        loc: Location::Line(eof),
                        data: RawData::Unreadable(format!(
                            "line {eof}: the COPY block of audit_log started at line {line} has no end marker \\. (dump truncated?)"
                        )),
                    });
                }
            }
            return Ok(false);
        };
        if end {
            self.copying = Copying::No;
            return Ok(true);
        }
        if let Some(data) = data {
            self.pending.push_back(RawRecord {
                loc: Location::Line(n),
                data,
            });
        }
        Ok(true)
    }
}

/// The record of COPY data line `n`: a row over the line's own text when no field needs
/// decoding, the decoded cells' record otherwise (the same record either way).
fn copy_record(
    table: &Table,
    line: &[u8],
    n: u64,
    fields: &mut Vec<Option<(usize, usize)>>,
    bufs: &mut RowBuffers,
) -> RawData {
    let text = line.strip_suffix(b"\r").unwrap_or(line);
    if let Ok(text) = std::str::from_utf8(text) {
        if copy::plain_fields(text, fields) {
            if let Some(data) = table.text_row(text, fields, bufs) {
                return data;
            }
        }
    }
    table.record(copy::decode_row(line), bufs, || format!("line {n}"))
}

impl RecordSource for SqlDumpSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
        if let Copying::AuditLog { table, .. } = &mut self.copying {
            table.renew_shape();
        }
        let max = max.max(1);
        let mut added = 0;
        loop {
            while added < max {
                match self.pending.pop_front() {
                    Some(r) => {
                        out.push(r);
                        added += 1;
                    }
                    None => break,
                }
            }
            if added >= max {
                return Ok(true);
            }
            if self.done {
                return Ok(added > 0);
            }
            if !matches!(self.copying, Copying::No) {
                // At end of input the COPY state is reset; the next statement read ends.
                self.copy_line()?;
                continue;
            }
            match self.splitter.next_statement() {
                Ok(Some(st)) => self.statement(st),
                Ok(None) => {
                    self.done = true;
                    if !self.seen_audit_log {
                        return Err(IngestError::malformed(
                            &self.path,
                            Location::EndOfFile {
                                line: self.splitter.line_no(),
                            },
                            "no table audit_log in this dump (no CREATE TABLE, INSERT or COPY for it)",
                        ));
                    }
                }
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.splitter.get_ref().get_ref().count()
    }

    fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    fn digest(&mut self) -> Result<Digested, IngestError> {
        let path = self.path.clone();
        self.splitter
            .get_mut()
            .get_mut()
            .finish()
            .map_err(|source| IngestError::Io { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader's record stands for, to compare two ways of making it.
    fn meaning(data: &RawData) -> String {
        match data {
            RawData::Row(row) => format!("{:?}", row.to_value()),
            RawData::Value(v) => format!("{v:?}"),
            RawData::Unreadable(m) => format!("unreadable: {m}"),
            RawData::Json(_) => unreachable!("a dump gives no JSON text"),
        }
    }

    /// COPY lines with and without escapes, NULLs, empty fields, a `\r`, bad bytes and the wrong
    /// number of fields: the record made from the line's own text is the decoded cells' record.
    #[test]
    fn a_plain_copy_line_is_the_record_its_decoded_cells_give() {
        let columns = [
            ("seq", ColumnKind::Integer),
            ("tenant_id", ColumnKind::Auto),
            ("metadata", ColumnKind::Json),
            ("flag", ColumnKind::Bool),
            ("code", ColumnKind::Char),
        ];
        let table = Table::new(columns.iter().map(|(n, k)| (n.to_string(), *k)).collect());
        let lines: [&[u8]; 12] = [
            b"1\tacme\t{\"a\":1}\tx\tab  ",
            b"1\tacme\t{\"a\":1}\tx\tab  \r",
            b"1\t\\N\t\\N\t\\N\t\\N",
            b"\t\t\t\t",
            b" 7 \tZo\xc3\xab\t{}\tt\tz",
            b"1\ta\\tb\t{}\tx\ty",
            b"1\ta\\\\\t{}\tx\ty",
            b"1\tacme\t{bad\tx\ty",
            b"1\tacme\t{}\tx",
            b"1\tacme\t{}\tx\ty\tz",
            b"9007199254740993\tacme\t{}\tx\ty",
            b"1\tac\xffme\t{}\tx\ty",
        ];
        let mut plain = 0;
        let mut canon = RowBuffers::default();
        for line in lines {
            let mut fields = Vec::new();
            let got = copy_record(&table, line, 3, &mut fields, &mut canon);
            let want = table.record(copy::decode_row(line), &mut canon, || "line 3".to_string());
            assert_eq!(
                meaning(&got),
                meaning(&want),
                "{:?}",
                String::from_utf8_lossy(line)
            );
            let text = std::str::from_utf8(line.strip_suffix(b"\r").unwrap_or(line));
            if text.is_ok_and(|t| copy::plain_fields(t, &mut fields)) {
                plain += 1;
            }
        }
        assert_eq!(plain, 9);
    }
}
