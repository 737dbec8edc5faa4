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

use super::splitter::{Splitter, Statement};
use super::statement::{create_table, first_word, is_audit_log, is_kw, parse_copy, parse_insert};
use super::tokenizer::{tokenize, Tok};
use super::Dialect;
use crate::copy;
use crate::hashing::{open_input, HashingReader, ReadMode};
use crate::row::{build_record, ColumnKind};
use crate::{Digested, IngestError, Location, RawData, RawRecord, RecordSource};

enum Copying {
    No,
    /// Data rows of audit_log, with their columns, from the COPY at `line`.
    AuditLog {
        columns: Vec<(String, ColumnKind)>,
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
        let mut reader = BufReader::with_capacity(256 * 1024, r);
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
                let columns = self.kinds_for(&names);
                let many = ins.tuples.len() > 1;
                for (k, t) in ins.tuples.into_iter().enumerate() {
                    let place = if many {
                        format!("{place} (row {} of the INSERT)", k + 1)
                    } else {
                        place.clone()
                    };
                    let data = match t {
                        Ok(cells) => build_record(&columns, cells, &place),
                        Err(error) => RawData::Unreadable(format!("{place}: {error}")),
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
                                let columns = self.kinds_for(&names);
                                self.copying = Copying::AuditLog {
                                    columns,
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
        let got = match self.splitter.raw_line() {
            Ok(g) => g.map(|(l, n)| (copy::is_end_marker(l), copy::decode_row(l), n)),
            Err(e) => return Err(self.io(e)),
        };
        let Some((end, cells, n)) = got else {
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
        if let Copying::AuditLog { columns, .. } = &self.copying {
            let place = format!("line {n}");
            let data = build_record(columns, cells, &place);
            self.pending.push_back(RawRecord {
                loc: Location::Line(n),
                data,
            });
        }
        Ok(true)
    }
}

impl RecordSource for SqlDumpSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
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
