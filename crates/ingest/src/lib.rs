//! `trailproof-ingest`: readers that turn evidence files into records for `trailproof-core`.
//!
//! Every input kind is detected by content, never by file name. Invariants:
//! * evidence is opened read-only and never written to; SQLite files are opened with
//!   `mode=ro&immutable=1`, `trusted_schema` off and the defensive flag on; SQL dump text is
//!   parsed, never executed;
//! * each input's SHA-256 and size are computed over the very bytes parsed;
//! * record sources stream in batches, so memory stays flat whatever the input size;
//! * a problem with one record becomes [`RawData::Unreadable`] for that record (the core turns
//!   it into a `not_canonical` finding) and reading goes on; only an input that cannot be read at
//!   all is an [`IngestError`] (exit 2), naming the file and the place.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

pub use trailproof_core::record::{Location, RawData, RawRecord};

mod background;
pub mod copy;
pub mod csv;
pub mod detect;
pub mod hashing;
pub mod jsonl;
pub mod pdf;
pub mod recovery;
pub mod resume;
pub mod row;
pub mod sql;
pub mod sqlite;

/// The kinds of evidence Trailproof reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// `audit-export.json` payload (SPEC section 6) as a file of its own.
    ExportJson,
    /// Export PDF (SPEC section 6).
    ExportPdf,
    /// JSON Lines, one record per line.
    Jsonl,
    /// CSV with a header row of member names.
    Csv,
    /// SQLite database file.
    Sqlite,
    /// sqlite3 `.dump` text.
    SqliteSql,
    /// PostgreSQL `pg_dump` plain text (COPY or INSERT statements).
    PgDump,
    /// A checkpoint of an earlier check (`verify --checkpoint-out`): chain heads that anchor
    /// the other inputs.
    Checkpoint,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::ExportJson => "export-json",
            InputKind::ExportPdf => "export-pdf",
            InputKind::Jsonl => "jsonl",
            InputKind::Csv => "csv",
            InputKind::Sqlite => "sqlite",
            InputKind::SqliteSql => "sqlite-sql",
            InputKind::PgDump => "pg-dump",
            InputKind::Checkpoint => "checkpoint",
        }
    }
}

/// An input that could not be read at all. Always names the file and, where known, the place.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The content is not any evidence kind Trailproof reads.
    #[error("{path}: not a recognised evidence file: {message}")]
    Unrecognised { path: PathBuf, message: String },
    /// The content is of a known kind but broken at `location` ("line 12", "byte offset 4096",
    /// "page 3", "row 7").
    #[error("{path}: {location}: {message}")]
    Malformed {
        path: PathBuf,
        location: Location,
        message: String,
    },
    /// The user cancelled the run.
    #[error("cancelled")]
    Cancelled,
    /// The timeline's temporary files (a large case is ordered on disk) could not be written or
    /// read back.
    #[error("{dir}: cannot use the timeline's temporary files (set TMPDIR to another directory): {source}")]
    Spill {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl IngestError {
    pub fn malformed(path: &Path, location: Location, message: impl Into<String>) -> Self {
        IngestError::Malformed {
            path: path.to_path_buf(),
            location,
            message: message.into(),
        }
    }
}

/// SHA-256 and size of the bytes an input was read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Digested {
    pub size: u64,
    pub sha256: String,
}

/// A streaming source of records (every dump form).
pub trait RecordSource: Send {
    /// Appends up to `max` records to `out`; returns `Ok(false)` once the input is exhausted.
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError>;
    /// Bytes consumed so far (for progress).
    fn bytes_read(&self) -> u64;
    /// Where the next record begins, for a reader [`resume::open_at`] can start there again
    /// (between batches); `None` for a reader that cannot.
    fn mark(&self) -> Option<resume::Mark> {
        None
    }
    /// Total size of the input, when known (for progress).
    fn total_bytes(&self) -> Option<u64>;
    /// SHA-256 and size of every byte of the input. Call after the last batch.
    fn digest(&mut self) -> Result<Digested, IngestError>;
}
