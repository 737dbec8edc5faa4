//! The stepping thread: a second read-only connection to the same database steps SQLite
//! through `audit_log` page after page, while the reading thread makes the rows of the page
//! before. Stepping SQLite and copying its cells was about three fifths of the work of the one
//! thread that read a SQLite file, the thread that bounded the whole verification.
//!
//! Invariants: pages come in rowid order, each holding the rows after the last one of the page
//! before (`_rowid_ > ? ORDER BY _rowid_ LIMIT PAGE_ROWS`), their text sealed (checked as
//! UTF-8); a page of fewer than `PAGE_ROWS` rows is the last; the first error ends the pages
//! and comes in their place. At most one page waits to be taken and pages are handed back to
//! be filled again, so memory stays flat. The thread ends when the table is read, on an error,
//! or as soon as its pages are no longer wanted; the source joins it when dropped.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::page::Page;
use super::{open_connection, PAGE_ROWS};
use crate::{IngestError, Location};

/// The pages of a table, read ahead on a thread of their own.
pub(super) struct Stepper {
    pages: Option<Receiver<Result<Page, IngestError>>>,
    spare: Sender<Page>,
    thread: Option<JoinHandle<()>>,
}

/// What the stepping thread reads.
pub(super) struct Table {
    /// The evidence, as messages name it.
    pub(super) path: PathBuf,
    /// The file SQLite opens (the evidence, or its private copy with the WAL applied).
    pub(super) state: PathBuf,
    /// The paging query: `_rowid_` and every column, after `?1`, `?2` rows at most.
    pub(super) sql: String,
    pub(super) columns: usize,
}

impl Stepper {
    /// Starts stepping through `table` from its first row.
    pub(super) fn start(table: Table) -> Stepper {
        let (page_tx, page_rx) = sync_channel(1);
        let (spare_tx, spare_rx) = channel();
        let path = table.path.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-stepper".into())
            .spawn(move || step(&table, &page_tx, &spare_rx));
        let (pages, thread) = match thread {
            Ok(handle) => (page_rx, Some(handle)),
            Err(e) => {
                // No thread: the one error stands for the pages.
                let (tx, rx) = sync_channel(1);
                let _ = tx.send(Err(IngestError::Io { path, source: e }));
                (rx, None)
            }
        };
        Stepper {
            pages: Some(pages),
            spare: spare_tx,
            thread,
        }
    }

    /// The next page; an error once the thread is gone without a last page.
    pub(super) fn next(&mut self, path: &Path) -> Result<Page, IngestError> {
        let pages = self.pages.as_ref().ok_or_else(|| gone(path))?;
        pages.recv().map_err(|_| gone(path))?
    }

    /// Hands a page back to be filled again.
    pub(super) fn give_back(&self, page: Page) {
        let _ = self.spare.send(page);
    }
}

impl Drop for Stepper {
    fn drop(&mut self) {
        // Its next page can no longer be handed over: the thread stops there.
        self.pages = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn gone(path: &Path) -> IngestError {
    IngestError::malformed(
        path,
        Location::Schema,
        "the thread reading table audit_log stopped before its last row",
    )
}

/// The stepping thread: pages until the last one, an error, or nobody wants them.
fn step(table: &Table, pages: &SyncSender<Result<Page, IngestError>>, spare: &Receiver<Page>) {
    let conn = match open_connection(&table.path, &table.state) {
        Ok(c) => c,
        Err(e) => {
            let _ = pages.send(Err(e));
            return;
        }
    };
    let mut after = i64::MIN;
    loop {
        let mut page = spare.try_recv().unwrap_or_default();
        let read = read_page(&conn, table, after, &mut page);
        let last = match read {
            Ok(last) => last,
            Err(e) => {
                let _ = pages.send(Err(e));
                return;
            }
        };
        let end = page.rowids.len() < PAGE_ROWS;
        if pages.send(Ok(page)).is_err() || end {
            return;
        }
        after = last;
    }
}

/// Reads up to `PAGE_ROWS` rows after rowid `after` into `page` and seals it; returns the last
/// rowid read (`after` when none).
pub(super) fn read_page(
    conn: &Connection,
    table: &Table,
    after: i64,
    page: &mut Page,
) -> Result<i64, IngestError> {
    page.clear();
    let err = |e: rusqlite::Error, after: i64| {
        IngestError::malformed(
            &table.path,
            Location::AfterRowid(after),
            format!("cannot read table audit_log: {e}"),
        )
    };
    let mut stmt = conn.prepare_cached(&table.sql).map_err(|e| err(e, after))?;
    let mut rows = stmt
        .query(rusqlite::params![after, PAGE_ROWS as i64])
        .map_err(|e| err(e, after))?;
    let mut last = after;
    while let Some(row) = rows.next().map_err(|e| err(e, last))? {
        let rowid: i64 = row.get(0).map_err(|e| err(e, last))?;
        if rowid <= last {
            // `rowid > ?` answered a rowid that does not increase: the table's b-tree is
            // damaged, and paging on would never end.
            return Err(IngestError::malformed(
                &table.path,
                Location::Rowid(rowid),
                format!("rowids do not increase (row {rowid} after row {last}): the table's b-tree is damaged"),
            ));
        }
        for i in 1..=table.columns {
            page.push_cell(row.get_ref(i).map_err(|e| err(e, last))?);
        }
        page.rowids.push(rowid);
        last = rowid;
    }
    page.seal();
    Ok(last)
}
