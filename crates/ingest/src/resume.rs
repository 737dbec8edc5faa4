//! Reading a record source again from the middle: a reader that can start over at a record
//! boundary gives a [`Mark`] there ([`RecordSource::mark`], taken between batches), and
//! [`open_at`] opens a reader of the same kind that starts at the mark and reads on exactly as
//! the marking reader did: the same records at the same locations. This is how a record's
//! detail is read back from a large dump without reading the whole dump again.
//!
//! Invariants: a resumed reader opens the file read-only and does not hash it
//! ([`ReadMode::LookUp`]), so the caller must know the file is the one that was marked (its
//! identity unchanged); only kinds whose whole reading state at a record boundary fits in a mark
//! resume: JSON Lines (byte offset and line) and CSV (byte offset, line and data row; the header
//! is read again from the start). SQL dumps, whose state is the statement being read, and
//! SQLite files, which are looked up by their rows, give no mark.
//!
//! [`ReadMode::LookUp`]: crate::hashing::ReadMode::LookUp

use std::path::Path;

use crate::csv::CsvSource;
use crate::jsonl::JsonlSource;
use crate::{IngestError, InputKind, RecordSource};

/// Where a reader can start again: the byte offset of the next record, the lines and data rows
/// before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Byte offset in the file where the next record begins.
    pub offset: u64,
    /// Lines of the file before that offset.
    pub line: u64,
    /// Data rows read before it (CSV; 0 for readers that count lines only).
    pub row: u64,
}

/// Whether readers of `kind` give marks and start again at them.
pub fn resumes(kind: InputKind) -> bool {
    matches!(kind, InputKind::Jsonl | InputKind::Csv)
}

/// A reader of `kind` over `path` that starts at `mark`; `None` for a kind that gives no marks
/// (see [`resumes`]).
pub fn open_at(
    path: &Path,
    kind: InputKind,
    mark: Mark,
) -> Result<Option<Box<dyn RecordSource>>, IngestError> {
    Ok(match kind {
        InputKind::Jsonl => Some(Box::new(JsonlSource::open_at(path, mark)?)),
        InputKind::Csv => Some(Box::new(CsvSource::open_at(path, mark)?)),
        _ => None,
    })
}
