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
//! [`FileDigest`] on a thread of its own while the rows are read, from the handle that checked
//! the header before SQLite opened the file; the digest is refused unless the path still names
//! that same, unchanged file when reading is over.
//!
//! Speed: the reader thread steps SQLite and copies each page of rows into one buffer. A page
//! whose text is all UTF-8 becomes [`Row`]s on that thread (JSON parsing of
//! `changes`/`metadata`, members put in canonical order by a permutation computed once from the
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
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use trailproof_core::json::Value;
use trailproof_core::record::{Row, RowCell, RowShape};

use crate::hashing::{not_hashed, FileDigest, FileIdentity, ReadMode};
use crate::row::{
    build_record, cell_value, safe_int, Cell, CellError, ColumnKind, ValueDecodeError,
};
use crate::{Digested, IngestError, Location, RawData, RawRecord, RecordSource};

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
    /// `None` when opened with [`ReadMode::LookUp`].
    digest: Option<FileDigest>,
}

/// One cell as SQLite gave it; text is a range of [`Page::text`].
#[derive(Debug, Clone, Copy)]
enum RawCell {
    Null,
    Int(i64),
    Real(f64),
    Text(usize, usize),
    Blob(usize),
}

/// Rows read from SQLite and not yet turned into records: `columns` cells per row, all text in
/// one buffer.
#[derive(Default)]
struct Page {
    rowids: Vec<i64>,
    cells: Vec<RawCell>,
    /// The text of every cell, while the page is read.
    text: Vec<u8>,
    /// The same text once read, when all of it is valid UTF-8 (checked at once): a cell's text
    /// is then valid exactly when both its ends are character boundaries.
    utf8: Option<String>,
}

impl Page {
    fn clear(&mut self) {
        if let Some(s) = self.utf8.take() {
            self.text = s.into_bytes();
        }
        self.rowids.clear();
        self.cells.clear();
        self.text.clear();
    }

    /// Appends one cell of the row being read (text goes to the page's buffer).
    fn push_cell(&mut self, v: ValueRef) {
        let cell = match v {
            ValueRef::Null => RawCell::Null,
            ValueRef::Integer(i) => RawCell::Int(i),
            ValueRef::Real(r) => RawCell::Real(r),
            ValueRef::Text(t) => {
                let a = self.text.len();
                self.text.extend_from_slice(t);
                RawCell::Text(a, self.text.len())
            }
            ValueRef::Blob(b) => RawCell::Blob(b.len()),
        };
        self.cells.push(cell);
    }

    /// The page is read: check its text as UTF-8 in one pass.
    fn seal(&mut self) {
        match String::from_utf8(std::mem::take(&mut self.text)) {
            Ok(s) => self.utf8 = Some(s),
            Err(e) => self.text = e.into_bytes(),
        }
    }

    fn bytes(&self, a: usize, b: usize) -> &[u8] {
        match &self.utf8 {
            Some(s) => &s.as_bytes()[a..b],
            None => &self.text[a..b],
        }
    }

    /// The text of a cell, `None` when it is not valid UTF-8.
    fn str(&self, a: usize, b: usize) -> Option<&str> {
        match &self.utf8 {
            // Empty text is valid even where the cell before ends inside a character.
            Some(_) if a == b => Some(""),
            Some(s) => s.get(a..b),
            None => std::str::from_utf8(&self.text[a..b]).ok(),
        }
    }

    fn cell(&self, c: RawCell) -> Cell {
        match c {
            RawCell::Null => Cell::Null,
            RawCell::Int(i) => Cell::Int(i),
            RawCell::Real(r) => Cell::Real(r),
            RawCell::Text(a, b) => match self.str(a, b) {
                Some(s) => Cell::Text(s.to_owned()),
                None => Cell::Bad(ValueDecodeError::TextNotUtf8),
            },
            RawCell::Blob(n) => Cell::Blob(n),
        }
    }
}

/// The record of one row: the same [`RawData`] as [`build_record`] gives (same values, same
/// member order, same message for the first cell in column order that cannot be represented),
/// without sorting the members of every row.
fn row_record(
    columns: &[(String, ColumnKind)],
    order: Option<&[usize]>,
    page: &Page,
    rowid: i64,
    cells: &[RawCell],
) -> RawRecord {
    let loc = Location::Row(u64::try_from(rowid).unwrap_or(0));
    let Some(order) = order else {
        let cells = cells.iter().map(|&c| page.cell(c)).collect();
        let data = build_record(columns, cells, &format!("row {rowid}"));
        return RawRecord { loc, data };
    };
    let mut values = Vec::with_capacity(cells.len());
    for ((name, kind), &c) in columns.iter().zip(cells) {
        let value = match c {
            // JSON text is parsed where it lies (as `cell_value` would parse a copy of it).
            RawCell::Text(a, b) if *kind == ColumnKind::Json && page.str(a, b).is_some() => {
                Value::parse(page.bytes(a, b)).map_err(|error| CellError::NotJson {
                    column: name.clone(),
                    error,
                })
            }
            c => cell_value(page.cell(c), name, *kind),
        };
        match value {
            Ok(v) => values.push(v),
            Err(error) => {
                return RawRecord {
                    loc,
                    data: RawData::Unreadable(format!("row {rowid}: {error}")),
                }
            }
        }
    }
    let members = order
        .iter()
        .map(|&i| {
            (
                columns[i].0.clone(),
                std::mem::replace(&mut values[i], Value::Null),
            )
        })
        .collect();
    RawRecord {
        loc,
        data: RawData::Value(Value::Object(members)),
    }
}

/// The record of one row as a [`Row`] over the page's shared text: the same record as
/// [`row_record`] gives, for a row whose every cell is one (no BLOB, text in a JSON column
/// that parses, integers within +-(2^53 - 1)); `None` for any other row, which
/// [`row_record`] then turns into its record or its message.
fn shared_row(
    columns: &[(String, ColumnKind)],
    shape: &Arc<RowShape>,
    text: &Arc<str>,
    page: &Page,
    rowid: i64,
    cells: &[RawCell],
) -> Option<RawRecord> {
    let mut out = Vec::with_capacity(cells.len());
    for &i in shape.order() {
        out.push(match (cells[i], columns[i].1) {
            (RawCell::Null, _) => RowCell::Null,
            (RawCell::Int(v), _) => RowCell::Number(safe_int(v)?),
            // A number that is not finite makes `Row::new` refuse the row.
            (RawCell::Real(r), _) => RowCell::Number(r),
            (RawCell::Text(a, b), ColumnKind::Auto) => RowCell::Text(a, b),
            (RawCell::Text(a, b), ColumnKind::Json) => {
                RowCell::Json(Value::parse(page.str(a, b)?.as_bytes()).ok()?)
            }
            _ => return None,
        });
    }
    let row = Row::new(Arc::clone(shape), Arc::clone(text), out)?;
    Some(RawRecord {
        loc: Location::Row(u64::try_from(rowid).unwrap_or(0)),
        data: RawData::Row(row),
    })
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
            digest: (mode == ReadMode::Verify).then(|| FileDigest::start(path, f, before)),
        })
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

    /// Reads up to `max` rows after `last_rowid` into `self.page`; returns how many.
    fn read_page(&mut self, max: usize) -> Result<usize, IngestError> {
        let path = &self.path;
        let ncols = self.columns.len();
        let page = &mut self.page;
        page.clear();
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
        page.seal();
        self.last_rowid = last;
        Ok(page.rowids.len())
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
                .and_then(|(shape, text)| shared_row(columns, shape, text, page, rowid, cells))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns in an order unlike the canonical one, with names whose UTF-16 and UTF-8 orders
    /// differ.
    fn columns() -> Vec<(String, ColumnKind)> {
        [
            "seq",
            "\u{fb01}",
            "metadata",
            "\u{1f600}",
            "a",
            "changes",
            "Z",
        ]
        .iter()
        .map(|n| (n.to_string(), ColumnKind::by_name(n)))
        .collect()
    }

    /// `RawData` has no `PartialEq`: compare what a reader can give.
    fn same(a: &RawData, b: &RawData) -> bool {
        match (a, b) {
            (RawData::Value(x), RawData::Value(y)) => x == y,
            (RawData::Row(r), RawData::Value(y)) => &r.to_value() == y,
            (RawData::Unreadable(x), RawData::Unreadable(y)) => x == y,
            _ => false,
        }
    }

    fn page_of(rows: &[Vec<ValueRef>]) -> Page {
        let mut p = Page::default();
        for (i, row) in rows.iter().enumerate() {
            p.rowids.push(i as i64 + 1);
            for v in row {
                p.push_cell(*v);
            }
        }
        p.seal();
        p
    }

    /// A cell as the reader made it before pages (one `from_utf8` per cell).
    fn cell_of(v: &ValueRef) -> Cell {
        match *v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(r) => Cell::Real(r),
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => Cell::Text(s.to_string()),
                Err(_) => Cell::Bad(ValueDecodeError::TextNotUtf8),
            },
            ValueRef::Blob(b) => Cell::Blob(b.len()),
        }
    }

    fn shape_of(cols: &[(String, ColumnKind)]) -> Option<Arc<RowShape>> {
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        RowShape::new(&names).map(Arc::new)
    }

    /// Every row of `page` (holding `rows`) gives the record `build_record` gives.
    fn assert_rows(cols: &[(String, ColumnKind)], rows: &[Vec<ValueRef>], page: &Page) {
        let shape = shape_of(cols);
        let order = shape.as_deref().map(RowShape::order);
        let n = cols.len();
        for (r, row) in rows.iter().enumerate() {
            let rowid = page.rowids[r];
            let cells = &page.cells[r * n..(r + 1) * n];
            let want = build_record(
                cols,
                row.iter().map(cell_of).collect(),
                &format!("row {rowid}"),
            );
            let got = row_record(cols, order, page, rowid, cells);
            assert!(
                same(&got.data, &want),
                "row {rowid}: {:?} != {want:?}",
                got.data
            );
            assert_eq!(got.loc, Location::Row(rowid as u64));
            let unordered = row_record(cols, None, page, rowid, cells);
            assert!(same(&unordered.data, &want), "row {rowid} without an order");
            // The shared-text row is that same record, or is left to `row_record`.
            let (Some(shape), Some(text)) = (&shape, &page.utf8) else {
                continue;
            };
            let text: Arc<str> = Arc::from(text.as_str());
            match shared_row(cols, shape, &text, page, rowid, cells) {
                Some(rec) => {
                    assert!(matches!(rec.data, RawData::Row(_)), "row {rowid}");
                    assert!(
                        same(&rec.data, &want),
                        "row {rowid}: {:?} != {want:?}",
                        rec.data
                    );
                    assert_eq!(rec.loc, Location::Row(rowid as u64));
                }
                None => assert!(
                    matches!(want, RawData::Unreadable(_)),
                    "row {rowid} is readable but was not made a shared row"
                ),
            }
        }
    }

    #[test]
    fn rows_become_the_records_build_record_gives() {
        let cols = columns();
        let shape = shape_of(&cols);
        assert!(shape.is_some());
        let order = shape.as_deref().map(RowShape::order);
        let t = |s: &'static str| ValueRef::Text(s.as_bytes());
        let rows: Vec<Vec<ValueRef>> = vec![
            // Readable.
            vec![
                ValueRef::Integer(3),
                t("x"),
                t(r#"{"b":1,"a":[1,2.5,"\u00e9"]}"#),
                ValueRef::Real(0.25),
                ValueRef::Null,
                t("null"),
                t("z"),
            ],
            // Two bad cells: the first in column order is named.
            vec![
                ValueRef::Integer(1),
                ValueRef::Blob(b"\x00\x01"),
                t("{not json"),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            vec![
                ValueRef::Integer(9_007_199_254_740_992),
                t("x"),
                t("{}"),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            vec![
                ValueRef::Integer(1),
                t("x"),
                t(r#"{"k":1,"k":2}"#),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            // Not UTF-8 in a JSON column.
            vec![
                ValueRef::Integer(1),
                t("x"),
                ValueRef::Text(b"{\"a\":\"\xff\"}"),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            // Only the last JSON column is bad.
            vec![
                ValueRef::Integer(1),
                t("x"),
                t("{}"),
                ValueRef::Null,
                ValueRef::Null,
                t("[1,]"),
                t("z"),
            ],
            vec![
                ValueRef::Integer(1),
                ValueRef::Text(b"caf\xe9"),
                t("{}"),
                ValueRef::Real(f64::NAN),
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
        ];
        // One page with text that is not UTF-8 (each cell checked on its own), and each row as
        // a page of its own (pages of valid text are checked at once).
        let page = page_of(&rows);
        assert!(page.utf8.is_none());
        assert_rows(&cols, &rows, &page);
        for row in &rows {
            assert_rows(
                &cols,
                std::slice::from_ref(row),
                &page_of(std::slice::from_ref(row)),
            );
        }
        assert!(page_of(&rows[..1]).utf8.is_some());
        // Two cells that are not UTF-8 alone, but are together: "x\xc3" + "\xa9{}" = "x\u{e9}{}".
        let split = vec![vec![
            ValueRef::Integer(1),
            ValueRef::Text(b"x\xc3"),
            ValueRef::Text(b"\xa9{}"),
            ValueRef::Null,
            ValueRef::Null,
            t("{}"),
            t("z"),
        ]];
        let split_page = page_of(&split);
        assert!(split_page.utf8.is_some());
        assert_rows(&cols, &split, &split_page);
        let n = cols.len();
        let messages: Vec<String> = (0..page.rowids.len())
            .map(|r| {
                let cells = &page.cells[r * n..(r + 1) * n];
                match row_record(&cols, order, &page, page.rowids[r], cells).data {
                    RawData::Unreadable(m) => m,
                    _ => String::new(),
                }
            })
            .collect();
        assert_eq!(messages[0], "");
        assert!(messages[1].starts_with("row 2: column \u{fb01} holds binary data"));
        assert!(messages[2].starts_with("row 3: column seq: integer 9007199254740992"));
        assert!(messages[3].starts_with("row 4: column metadata is not valid JSON"));
        assert_eq!(
            messages[4],
            "row 5: column metadata: text is not valid UTF-8"
        );
        assert!(messages[5].starts_with("row 6: column changes is not valid JSON"));
        assert_eq!(
            messages[6],
            "row 7: column \u{fb01}: text is not valid UTF-8"
        );
        let RawRecord {
            data: RawData::Value(Value::Object(m)),
            ..
        } = row_record(&cols, order, &page, 1, &page.cells[..n])
        else {
            panic!("row 1 is readable")
        };
        let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Z",
                "a",
                "changes",
                "metadata",
                "seq",
                "\u{1f600}",
                "\u{fb01}"
            ]
        );
    }

    #[test]
    fn cell_text_is_valid_utf8_exactly_when_it_is_alone() {
        // Valid together ("x\u{e9}ok\u{20ac}"), not piece by piece.
        let pieces: [&[u8]; 8] = [
            b"x\xc3",
            b"",
            b"\xa9",
            b"ok",
            b"\xe2\x82",
            b"",
            b"\xac",
            b"",
        ];
        let mut page = Page::default();
        let mut ranges = Vec::new();
        for p in pieces {
            let a = page.text.len();
            page.text.extend_from_slice(p);
            ranges.push((a, page.text.len()));
        }
        page.seal();
        assert!(page.utf8.is_some());
        for (p, (a, b)) in pieces.iter().zip(ranges) {
            assert_eq!(page.str(a, b), std::str::from_utf8(p).ok(), "{p:?}");
            assert_eq!(page.bytes(a, b), *p);
        }
        page.clear();
        assert!(page.utf8.is_none() && page.text.is_empty());
    }

    #[test]
    fn a_repeated_column_name_has_no_order() {
        let cols: Vec<(String, ColumnKind)> = ["a", "b", "a"]
            .iter()
            .map(|n| (n.to_string(), ColumnKind::Auto))
            .collect();
        assert!(shape_of(&cols).is_none());
    }
}
