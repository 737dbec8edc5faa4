//! When the rows of `audit_log` can be read straight from the file's b-tree
//! ([`trailproof_recover::table::TableReader`]) instead of by stepping SQLite.
//!
//! Invariant: the fast path is taken only when SQLite's own view of the table and the parse of
//! its `CREATE TABLE` text agree on every column (name, declared type, the rowid alias) and no
//! column is hidden or generated; otherwise, and for a file SQLite reads through anything but
//! the file itself, the rows are stepped out of SQLite as before. The fast path gives exactly
//! the values SQLite gives; where the tree stops being one it can vouch for, the reader falls
//! back to SQLite from the last rowid (`SqliteSource::read_page`).

use std::path::Path;

use rusqlite::Connection;
use trailproof_recover::table::{table_columns, ColumnRead, TableReader};

/// A column as SQLite describes it: name, declared type, hidden, primary-key position.
type Described = (String, String, i64, i64);

/// The reader of the table's b-tree in `state`, when it reads the same rows SQLite would.
pub(super) fn direct_reader(
    conn: &Connection,
    state: &Path,
    names: &[String],
) -> Option<TableReader> {
    let (root, sql): (i64, String) = conn
        .query_row(
            "SELECT rootpage, sql FROM sqlite_master WHERE type='table' AND name='audit_log'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()?;
    let described: Vec<Described> = {
        let mut stmt = conn
            .prepare(
                "SELECT name, type, hidden, pk FROM pragma_table_xinfo('audit_log') ORDER BY cid",
            )
            .ok()?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .ok()?;
        rows.collect::<Result<_, _>>().ok()?
    };
    let pk_index: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_index_list('audit_log') WHERE origin = 'pk'",
            [],
            |r| r.get(0),
        )
        .ok()?;
    let parsed = table_columns(&sql)?;
    let reads = plan(&described, &parsed, pk_index > 0, names)?;
    TableReader::open(state, u32::try_from(root).ok()?, reads).ok()
}

/// The column reads when SQLite's description and the parse agree on every column.
fn plan(
    described: &[Described],
    parsed: &[(String, String, ColumnRead)],
    pk_index: bool,
    names: &[String],
) -> Option<Vec<ColumnRead>> {
    if described.len() != parsed.len() || described.len() != names.len() {
        return None;
    }
    let pk_columns = described.iter().filter(|d| d.3 > 0).count();
    let mut reads = Vec::with_capacity(parsed.len());
    for ((d, p), name) in described.iter().zip(parsed).zip(names) {
        let (d_name, d_type, hidden, pk) = d;
        let (p_name, p_type, read) = p;
        if hidden != &0 || d_name != name || p_name != name || d_type != p_type {
            return None;
        }
        // SQLite's rule for the alias: the one primary-key column, declared INTEGER, with no
        // index made for the key (`INTEGER PRIMARY KEY DESC` gets one and is no alias).
        let alias =
            *pk > 0 && pk_columns == 1 && !pk_index && d_type.eq_ignore_ascii_case("INTEGER");
        if alias != read.rowid_alias {
            return None;
        }
        reads.push(*read);
    }
    Some(reads)
}
