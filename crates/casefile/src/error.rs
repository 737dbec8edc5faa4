//! Errors of the case file, each naming the file and, where one is at fault, the log record.

use std::path::PathBuf;

/// What went wrong with a case file or an input to it.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The case file could not be created because something is already there.
    #[error("{path}: already exists; a new case is never written over a file")]
    Exists {
        /// The path given.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// SQLite refused an operation on the case file.
    #[error("{path}: {source}")]
    Sqlite {
        /// The case file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The file is not a Trailproof case file, or one this version cannot read.
    #[error("{path}: not a Trailproof case file: {reason}")]
    NotACaseFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A record of the examiner log does not say what its action needs.
    #[error("{path}: examiner log seq {seq}: {reason}")]
    BadLogRecord {
        /// The case file.
        path: PathBuf,
        /// The record's seq.
        seq: u64,
        /// Why.
        reason: String,
    },
    /// A value the user gave is not usable (time zone, timestamp, empty text...).
    #[error("{what}: {reason}")]
    BadInput {
        /// Which value.
        what: String,
        /// Why.
        reason: String,
    },
}

impl CaseError {
    pub(crate) fn sqlite(path: &std::path::Path) -> impl FnOnce(rusqlite::Error) -> CaseError + '_ {
        move |source| CaseError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn bad_input(what: &str, reason: impl Into<String>) -> CaseError {
        CaseError::BadInput {
            what: what.to_string(),
            reason: reason.into(),
        }
    }
}
