//! SQLite database reader (table `audit_log`).
//!
//! Invariants: the file is opened strictly read-only (`file:...?mode=ro&immutable=1`,
//! `SQLITE_OPEN_READ_ONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NO_MUTEX`), with
//! `PRAGMA trusted_schema=OFF` and `SQLITE_DBCONFIG_DEFENSIVE` on, so no schema-defined code
//! runs and nothing is written. Rows of `audit_log` are read in rowid order, whatever the
//! column order, in pages of `WHERE rowid > ? ORDER BY rowid LIMIT ?` so memory stays flat.
//! INTEGER and REAL are numbers, TEXT is a string (`changes`/`metadata` parsed as JSON), NULL is
//! `null`, a BLOB makes the row [`RawData::Unreadable`]. A file that is not a readable SQLite
//! database, or has no `audit_log` table, is an [`IngestError`]. `immutable=1` means SQLite never
//! consults a `-wal` beside the file it opens: a database with one is read from a private copy
//! with the WAL's committed frames applied ([`SqliteSource::open_state`], [`crate::recovery`]).
//!
//! Digest: SQLite reads the pages itself, so the file's SHA-256 is computed by a
//! [`FileDigest`] on a thread of its own (at a lower priority, [`crate::background`]) while
//! the rows are read, from the handle that checked the header before SQLite opened the file;
//! the digest is refused unless the path still names that same, unchanged file when reading is
//! over.
//!
//! Speed: the reader thread reads the rows of a healthy table straight from its b-tree
//! ([`direct`], [`trailproof_recover::table`]; SQLite still opens the file, checks the schema
//! and answers every other query), and steps SQLite instead for a table the b-tree reader
//! cannot vouch for, or from the batch where it stops vouching; either way it copies each page
//! of rows into one buffer. A page whose text is all UTF-8 becomes [`Row`]s on that thread
//! (the JSON text of `changes`/`metadata` written in canonical form after the page's text,
//! without a `Value`; members put in canonical order by a permutation computed once from the
//! column names): each shares the page's text, so the core hashes it on all cores without
//! building a `Value` per record. A row that cannot be a [`Row`] (a BLOB, JSON that does not
//! parse, an unsafe integer, text that is not UTF-8) is built as a `Value` by [`row_record`],
//! on all cores, which gives the message for the first cell in column order that cannot be
//! represented.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use trailproof_core::canonical::TextCanonicalizer;
use trailproof_core::record::RowShape;
use trailproof_recover::table::Field;

use crate::hashing::{not_hashed, FileDigest, FileIdentity, ReadMode};
use crate::row::ColumnKind;
use crate::{Digested, IngestError, Location, RawRecord, RecordSource};

mod direct;
mod page;

use page::{row_record, shared_row, Page};

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Streaming source over the `audit_log` table of a SQLite file.
pub struct SqliteSource {
    path: PathBuf,
    conn: Connection,
    sql: String,
    columns: Vec<(String, ColumnKind)>,
    /// The members in canonical (RFC 8785) order and the column of each; `None` when two
    /// columns share a name ([`build_record`] then reports every row).
    shape: Option<Arc<RowShape>>,
    last_rowid: i64,
    max_rowid: i64,
    size: Option<u64>,
    done: bool,
    /// The page of rows being read, kept between batches so its buffers are reused.
    page: Page,
    /// Writes the rows' JSON text in canonical form.
    canon: TextCanonicalizer,
    /// `None` when opened with [`ReadMode::LookUp`].
    digest: Option<FileDigest>,
    /// Reads the rows straight from the table's b-tree while it can vouch for them
    /// ([`direct`]); `None` once SQLite steps them.
    direct: Option<trailproof_recover::table::TableReader>,
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
        Self::open_mode(path, ReadMode::Verify)
    }

    /// [`SqliteSource::open`]; with [`ReadMode::LookUp`] the file is not hashed (no digest
    /// thread, and [`RecordSource::digest`] is an error).
    pub fn open_mode(path: &Path, mode: ReadMode) -> Result<Self, IngestError> {
        Self::open_state(path, path, mode)
    }

    /// Reads the rows of `state`, the private copy of the evidence at `path` with the
    /// committed frames of its `-wal` applied ([`crate::recovery`]), while the evidence file
    /// itself is what is checked and hashed. With `state == path`, [`SqliteSource::open_mode`].
    pub fn open_state(path: &Path, state: &Path, mode: ReadMode) -> Result<Self, IngestError> {
        let bad = |m: String| IngestError::malformed(path, Location::Byte(0), m);
        let io = |source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(path).map_err(io)?;
        let meta = f.metadata().map_err(io)?;
        let size = Some(meta.len());
        // Taken before SQLite opens the path: the digest is refused if it changes.
        let before = FileIdentity::of(&meta);
        let n = f.read(&mut head).map_err(io)?;
        if n < 16 || &head != MAGIC {
            return Err(bad(
                "not a SQLite database (no 'SQLite format 3' header)".into()
            ));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(file_uri(state), flags)
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
                Location::Schema,
                "the database has no table audit_log",
            ));
        }
        // The column names, in the order `SELECT *` gives them, from the table's schema as
        // values: rusqlite's `column_name` panics on a name that is not UTF-8 (a damaged
        // schema), where this is an error naming the column.
        let names: Vec<String> = {
            let mut stmt = conn
                .prepare("SELECT name FROM pragma_table_info('audit_log') ORDER BY cid")
                .map_err(|e| bad(format!("cannot read table audit_log: {e}")))?;
            let mut rows = stmt
                .query([])
                .map_err(|e| bad(format!("cannot read table audit_log: {e}")))?;
            let mut names = Vec::new();
            while let Some(row) = rows
                .next()
                .map_err(|e| bad(format!("cannot read table audit_log: {e}")))?
            {
                let bytes = match row.get_ref(0) {
                    Ok(rusqlite::types::ValueRef::Text(bytes)) => bytes.to_vec(),
                    _ => Vec::new(),
                };
                let name = String::from_utf8(bytes).map_err(|_| {
                    IngestError::malformed(
                        path,
                        Location::Schema,
                        format!(
                            "column {} of audit_log has a name that is not UTF-8",
                            names.len() + 1
                        ),
                    )
                })?;
                names.push(name);
            }
            names
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
        let direct = direct::direct_reader(&conn, state, &names);
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let shape = RowShape::new(&names).map(Arc::new);
        Ok(SqliteSource {
            path: path.to_path_buf(),
            conn,
            sql,
            columns,
            shape,
            last_rowid: i64::MIN,
            max_rowid,
            size,
            done: false,
            page: Page::default(),
            canon: TextCanonicalizer::default(),
            digest: (mode == ReadMode::Verify).then(|| FileDigest::start(path, f, before)),
            direct,
        })
    }

    /// Steps every row out of SQLite, never reading the table's b-tree itself (the reading the
    /// fast path is tested against).
    pub fn sqlite_only(mut self) -> Self {
        self.direct = None;
        self
    }

    /// Whether the rows are still read straight from the table's b-tree (not yet, or no
    /// longer, stepped out of SQLite).
    pub fn reads_btree(&self) -> bool {
        self.direct.is_some()
    }

    /// The records of `tenant` at `seqs` (every row that holds one, in rowid order): the
    /// current rows a recovered record is graded against. A table with a `(tenant_id, seq)`
    /// index answers from it; any other is scanned once per call.
    pub fn records_of(
        &mut self,
        tenant: &str,
        seqs: &[u64],
    ) -> Result<Vec<RawRecord>, IngestError> {
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| n.as_str()).collect();
        if seqs.is_empty() || !names.contains(&"tenant_id") || !names.contains(&"seq") {
            return Ok(Vec::new());
        }
        let list = names
            .iter()
            .map(|n| quote_ident(n))
            .collect::<Vec<_>>()
            .join(", ");
        let wanted = seqs
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT _rowid_, {list} FROM audit_log WHERE tenant_id = ?1 AND seq IN ({wanted}) ORDER BY _rowid_"
        );
        let path = &self.path;
        let err = |e: rusqlite::Error| {
            IngestError::malformed(
                path,
                Location::Schema,
                format!("cannot look up rows of table audit_log: {e}"),
            )
        };
        let ncols = self.columns.len();
        let page = &mut self.page;
        page.clear();
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt.query([tenant]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let rowid: i64 = row.get(0).map_err(err)?;
            for i in 1..=ncols {
                page.push_cell(row.get_ref(i).map_err(err)?);
            }
            page.rowids.push(rowid);
        }
        drop(rows);
        drop(stmt);
        page.seal();
        let order = self.shape.as_deref().map(RowShape::order);
        let page = &self.page;
        Ok((0..page.rowids.len())
            .map(|r| {
                let cells = &page.cells[r * ncols..(r + 1) * ncols];
                row_record(&self.columns, order, page, page.rowids[r], cells)
            })
            .collect())
    }

    /// Reads up to `max` rows after `last_rowid` into `self.page`; returns how many. The rows
    /// come from the table's b-tree while its reader vouches for them; from the batch where it
    /// stops, SQLite steps them.
    fn read_page(&mut self, max: usize) -> Result<usize, IngestError> {
        self.page.clear();
        if let Some(direct) = &mut self.direct {
            let page = &mut self.page;
            let mut push = |rowid: i64, payload: &[u8], fields: &[Field]| {
                for f in fields {
                    page.push_field(payload, *f);
                }
                page.rowids.push(rowid);
            };
            let mut read = Ok(true);
            let mut n = 0;
            while n < max && matches!(read, Ok(true)) {
                read = direct.next_row(&mut push);
                n += usize::from(matches!(read, Ok(true)));
            }
            if read.is_ok() {
                if let Some(last) = self.page.rowids.last() {
                    self.last_rowid = *last;
                }
                self.page.seal();
                return Ok(n);
            }
            // SQLite reads the whole batch again, as it would have without the fast path: its
            // paging from the same rowid gives the same rows.
            self.direct = None;
            self.page.clear();
        }
        self.step_rows(max)?;
        self.page.seal();
        Ok(self.page.rowids.len())
    }

    /// Steps up to `max` rows after `last_rowid` out of SQLite onto `self.page`.
    fn step_rows(&mut self, max: usize) -> Result<(), IngestError> {
        let path = &self.path;
        let ncols = self.columns.len();
        let page = &mut self.page;
        let err = |e: rusqlite::Error, after: i64| {
            IngestError::malformed(
                path,
                Location::AfterRowid(after),
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
        let mut last = after;
        while let Some(row) = rows.next().map_err(|e| err(e, last))? {
            let rowid: i64 = row.get(0).map_err(|e| err(e, last))?;
            if rowid <= last {
                // `rowid > ?` answered a rowid that does not increase: the table's b-tree is
                // damaged, and paging on would never end.
                return Err(IngestError::malformed(
                    path,
                    Location::Rowid(rowid),
                    format!("rowids do not increase (row {rowid} after row {last}): the table's b-tree is damaged"),
                ));
            }
            for i in 1..=ncols {
                page.push_cell(row.get_ref(i).map_err(|e| err(e, last))?);
            }
            page.rowids.push(rowid);
            last = rowid;
        }
        self.last_rowid = last;
        Ok(())
    }
}

/// Rows turned into records per task on the worker threads.
const ROWS_PER_TASK: usize = 256;

/// Most rows read per batch, whatever the caller asks: a few batches are in flight at once, and
/// a row that cannot be a [`Row`] becomes a record of some fifty small allocations (about 3 KB).
const PAGE_ROWS: usize = 1024;

impl RecordSource for SqliteSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
        if self.done {
            return Ok(false);
        }
        let max = max.clamp(1, PAGE_ROWS);
        let n = self.read_page(max)?;
        if n < max {
            self.done = true;
        }
        if let Some(shape) = &self.shape {
            self.page.write_json(&self.columns, &mut self.canon);
            // A shape of the page's own (see `Table::renew_shape`).
            self.shape = Some(Arc::new(RowShape::clone(shape)));
        }
        let columns = &self.columns[..];
        let order = self.shape.as_deref().map(RowShape::order);
        let page = &self.page;
        let ncols = columns.len();
        // Rows share the page's text (one copy of it), when all of it is UTF-8.
        let rows = match (&self.shape, &page.utf8) {
            (Some(shape), Some(text)) => Some((shape, Arc::<str>::from(&**text))),
            _ => None,
        };
        let one = |r: usize| {
            let cells = &page.cells[r * ncols..(r + 1) * ncols];
            let rowid = page.rowids[r];
            rows.as_ref()
                .and_then(|(shape, text)| shared_row(columns, shape, text, page, r))
                .unwrap_or_else(|| row_record(columns, order, page, rowid, cells))
        };
        // Shared rows are cheap to make: made here, they leave every core to the hashing of
        // the batch before (waiting for the pool, this thread would stop stepping SQLite).
        if rows.is_some() {
            out.extend((0..n).map(one));
        } else {
            out.par_extend((0..n).into_par_iter().with_min_len(ROWS_PER_TASK).map(one));
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
        match &mut self.digest {
            Some(d) => d.finish(),
            None => Err(IngestError::Io {
                path: self.path.clone(),
                source: not_hashed(),
            }),
        }
    }
}
