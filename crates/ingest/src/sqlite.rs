//! SQLite database reader (table `audit_log`).
//!
//! Invariants: the file is opened strictly read-only (`file:...?mode=ro&immutable=1`,
//! `SQLITE_OPEN_READ_ONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NO_MUTEX`), with
//! `PRAGMA trusted_schema=OFF` and `SQLITE_DBCONFIG_DEFENSIVE` on, so no schema-defined code
//! runs and nothing is written. Rows of `audit_log` are read in rowid order, whatever the
//! column order, in pages of `WHERE rowid > ? ORDER BY rowid LIMIT ?` so memory stays flat.
//! INTEGER and REAL are numbers, TEXT is a string (`changes`/`metadata` parsed as JSON), NULL is
//! `null`, a BLOB makes the row [`RawData::Unreadable`]. A file that is not a readable SQLite
//! database, or has no `audit_log` table, is an [`IngestError`]. The digest is computed over the
//! file's bytes, read separately. Note: `immutable=1` means a `-wal` file beside the database is
//! not consulted; evidence must be a checkpointed database file.

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::hashing::digest_file;
use crate::row::{build_record, Cell, ColumnKind};
use crate::{Digested, IngestError, Location, RawRecord, RecordSource};

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Streaming source over the `audit_log` table of a SQLite file.
pub struct SqliteSource {
    path: PathBuf,
    conn: Connection,
    sql: String,
    columns: Vec<(String, ColumnKind)>,
    last_rowid: i64,
    max_rowid: i64,
    size: Option<u64>,
    done: bool,
    digest: Option<Digested>,
}

/// `file:` URI for a path: `%`, `?` and `#` are percent-encoded.
fn file_uri(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut uri = String::from("file:");
    for ch in s.chars() {
        match ch {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl SqliteSource {
    pub fn open(path: &Path) -> Result<Self, IngestError> {
        let bad = |m: String| IngestError::malformed(path, "byte offset 0", m);
        let io = |source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(path).map_err(io)?;
        let size = f.metadata().ok().map(|m| m.len());
        let n = f.read(&mut head).map_err(io)?;
        if n < 16 || &head != MAGIC {
            return Err(bad(
                "not a SQLite database (no 'SQLite format 3' header)".into()
            ));
        }
        drop(f);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(file_uri(path), flags)
            .map_err(|e| bad(format!("cannot open as a SQLite database: {e}")))?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
            .map_err(|e| bad(format!("cannot set the defensive flag: {e}")))?;
        conn.execute_batch("PRAGMA trusted_schema=OFF;")
            .map_err(|e| bad(format!("cannot turn trusted_schema off: {e}")))?;
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='audit_log'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| bad(format!("not a readable SQLite database: {e}")))?;
        if found == 0 {
            return Err(IngestError::malformed(
                path,
                "schema",
                "the database has no table audit_log",
            ));
        }
        let names: Vec<String> = {
            let stmt = conn
                .prepare("SELECT * FROM audit_log LIMIT 0")
                .map_err(|e| bad(format!("cannot read table audit_log: {e}")))?;
            stmt.column_names().iter().map(|s| s.to_string()).collect()
        };
        let columns: Vec<(String, ColumnKind)> = names
            .iter()
            .map(|n| (n.clone(), ColumnKind::by_name(n)))
            .collect();
        let list = names
            .iter()
            .map(|n| quote_ident(n))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT _rowid_, {list} FROM audit_log WHERE _rowid_ > ?1 ORDER BY _rowid_ LIMIT ?2"
        );
        let max_rowid: i64 = conn
            .query_row("SELECT coalesce(max(_rowid_), 0) FROM audit_log", [], |r| {
                r.get(0)
            })
            .map_err(|e| {
                bad(format!(
                    "cannot read table audit_log in rowid order (a WITHOUT ROWID table?): {e}"
                ))
            })?;
        Ok(SqliteSource {
            path: path.to_path_buf(),
            conn,
            sql,
            columns,
            last_rowid: i64::MIN,
            max_rowid,
            size,
            done: false,
            digest: None,
        })
    }
}

impl RecordSource for SqliteSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
        if self.done {
            return Ok(false);
        }
        let max = max.max(1);
        let path = &self.path;
        let columns = &self.columns;
        let err = |e: rusqlite::Error, after: i64| {
            IngestError::malformed(
                path,
                format!("row after rowid {after}"),
                format!("cannot read table audit_log: {e}"),
            )
        };
        let after = self.last_rowid;
        let mut stmt = self
            .conn
            .prepare_cached(&self.sql)
            .map_err(|e| err(e, after))?;
        let mut rows = stmt
            .query(rusqlite::params![after, max as i64])
            .map_err(|e| err(e, after))?;
        let mut n = 0usize;
        let mut last = after;
        while let Some(row) = rows.next().map_err(|e| err(e, last))? {
            let rowid: i64 = row.get(0).map_err(|e| err(e, last))?;
            if rowid <= last {
                // `rowid > ?` answered a rowid that does not increase: the table's b-tree is
                // damaged, and paging on would never end.
                return Err(IngestError::malformed(
                    path,
                    format!("row {rowid}"),
                    format!("rowids do not increase (row {rowid} after row {last}): the table's b-tree is damaged"),
                ));
            }
            let mut cells = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                let v = row.get_ref(i + 1).map_err(|e| err(e, last))?;
                cells.push(match v {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(i) => Cell::Int(i),
                    ValueRef::Real(r) => Cell::Real(r),
                    ValueRef::Text(t) => match std::str::from_utf8(t) {
                        Ok(s) => Cell::Text(s.to_string()),
                        Err(_) => Cell::Bad("text is not valid UTF-8".into()),
                    },
                    ValueRef::Blob(b) => Cell::Blob(b.len()),
                });
            }
            let place = format!("row {rowid}");
            let data = build_record(columns, cells, &place);
            out.push(RawRecord {
                loc: Location::Row(u64::try_from(rowid).unwrap_or(0)),
                data,
            });
            last = rowid;
            n += 1;
        }
        self.last_rowid = last;
        if n < max {
            self.done = true;
        }
        Ok(n > 0)
    }

    fn bytes_read(&self) -> u64 {
        let Some(size) = self.size else { return 0 };
        if self.done || self.max_rowid <= 0 {
            return if self.done { size } else { 0 };
        }
        let frac = (self.last_rowid.max(0) as f64) / (self.max_rowid as f64);
        (size as f64 * frac.clamp(0.0, 1.0)) as u64
    }

    fn total_bytes(&self) -> Option<u64> {
        self.size
    }

    fn digest(&mut self) -> Result<Digested, IngestError> {
        if let Some(d) = &self.digest {
            return Ok(d.clone());
        }
        let d = digest_file(&self.path)?;
        self.digest = Some(d.clone());
        Ok(d)
    }
}
