//! Errors and anomalies.
//!
//! A [`RecoverError`] stops the scan: the evidence cannot be read as a SQLite database of the
//! expected shape (not SQLite, not UTF-8, no such table, an unreadable `-wal` or `-journal`, an
//! I/O error). Each one names the file and the byte offset (and the page or WAL frame) where
//! reading failed. An [`Anomaly`] does not stop it: a damaged page, a cycle in a b-tree, the
//! freelist or an overflow chain, a limit reached. Anomalies are evidence too (a tamperer's
//! tool may leave them), so they are reported, capped at [`MAX_ANOMALIES`].

use std::fmt;
use std::io;

/// Which evidence file an offset is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EvidenceFile {
    /// The database file itself.
    Main,
    /// Its write-ahead log, `<name>-wal`.
    Wal,
    /// Its rollback journal, `<name>-journal`.
    Journal,
}

impl fmt::Display for EvidenceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EvidenceFile::Main => "database file",
            EvidenceFile::Wal => "-wal file",
            EvidenceFile::Journal => "-journal file",
        })
    }
}

/// Why the evidence cannot be scanned.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("reading the {file} at byte {offset}: {source}")]
    Io {
        file: EvidenceFile,
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error("not a SQLite database: {reason} (byte {offset})")]
    NotSqlite { offset: u64, reason: &'static str },
    #[error("text encoding {encoding} (byte 56): only UTF-8 databases can be carved")]
    UnsupportedEncoding { encoding: u32 },
    #[error("no table named {table} in sqlite_schema")]
    TableNotFound { table: String },
    #[error("table {table} (root page {page}): {reason}")]
    UnsupportedTable {
        table: String,
        page: u32,
        reason: String,
    },
    #[error("the -wal file is unreadable at {}byte {offset}: {problem}", frame_words(*.frame))]
    Wal {
        /// 1-based frame number, `None` for the WAL header.
        frame: Option<u32>,
        offset: u64,
        problem: WalProblem,
    },
    #[error("the -journal file is unreadable at byte {offset}: {problem}")]
    Journal {
        offset: u64,
        problem: JournalProblem,
    },
    /// The temporary file that holds the live rows of a large table could not be written or
    /// read back (it lives in [`crate::Options::temp_dir`], never beside the evidence).
    #[error("the carver's temporary file in {}: {source}", dir.display())]
    Temporary {
        dir: std::path::PathBuf,
        #[source]
        source: io::Error,
    },
}

fn frame_words(frame: Option<u32>) -> String {
    frame.map(|f| format!("frame {f}, ")).unwrap_or_default()
}

/// What is wrong with a `-wal` file that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalProblem {
    #[error("{len} bytes, shorter than the 32-byte WAL header")]
    TooShort { len: u64 },
    #[error("magic {0:#010x} is neither 0x377f0682 nor 0x377f0683")]
    BadMagic(u32),
    #[error("format version {0}, not 3007000")]
    UnsupportedVersion(u32),
    #[error("page size {0} is not a power of two from 512 to 65536")]
    BadPageSize(u32),
    #[error("page size {wal} differs from the database's {database}")]
    PageSizeMismatch { wal: u32, database: u32 },
    #[error("the header checksum does not match its first 24 bytes")]
    HeaderChecksum,
}

/// What is wrong with a `-journal` file that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalProblem {
    #[error("{len} bytes, shorter than the 28-byte journal header")]
    TooShort { len: u64 },
    #[error("the header does not start with the journal magic")]
    BadMagic,
    #[error("sector size {0} is not a power of two from 32 to 65536")]
    BadSectorSize(u32),
    #[error("page size {0} is not a power of two from 512 to 65536")]
    BadPageSize(u32),
    #[error("page size {journal} differs from the database's {database}")]
    PageSizeMismatch { journal: u32, database: u32 },
}

/// At most this many anomalies about pages are kept; the next one then says the list was cut
/// (the few summaries of a scan come on top).
pub const MAX_ANOMALIES: usize = 1000;

/// Something odd met while scanning, which did not stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub file: EvidenceFile,
    /// The page concerned (a database page number), where there is one.
    pub page: Option<u32>,
    /// Byte offset in `file`.
    pub offset: u64,
    pub kind: AnomalyKind,
}

/// The kinds of [`Anomaly`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnomalyKind {
    /// A b-tree points to a page already met (a cycle, or two trees sharing a page).
    PageRevisited,
    /// A b-tree is deeper than any real one can be.
    TreeTooDeep,
    /// A page a b-tree points to is not a b-tree page.
    NotBtreePage,
    /// A page is referenced but lies beyond every file.
    PageMissing,
    /// The freelist trunk chain revisits a page, or lists an invalid page.
    FreelistDamaged,
    /// The header's freelist count differs from the pages found on the freelist.
    FreelistCount { header: u32, found: u32 },
    /// An overflow chain of a live cell ends early, loops or leaves the file.
    OverflowChainBroken,
    /// The main file holds fewer whole pages than the database it claims to hold (and the
    /// WAL does not supply the rest).
    MainFileShort { pages: u32, present: u32 },
    /// The candidate limit was reached; later places were not carved.
    CandidateLimit,
    /// The budget of overflow pages read while carving was spent; later carved records that
    /// spill to overflow pages were not followed.
    OverflowBudgetSpent,
    /// More anomalies were met than are kept.
    TooManyAnomalies,
}

/// Collects anomalies about pages up to [`MAX_ANOMALIES`]; the summaries of a whole scan
/// (counts, limits) are always kept.
#[derive(Debug, Default)]
pub(crate) struct Anomalies {
    pub(crate) list: Vec<Anomaly>,
}

impl Anomalies {
    pub(crate) fn push(
        &mut self,
        file: EvidenceFile,
        page: Option<u32>,
        offset: u64,
        kind: AnomalyKind,
    ) {
        if self.list.len() < MAX_ANOMALIES {
            self.list.push(Anomaly {
                file,
                page,
                offset,
                kind,
            });
        } else if self.list.len() == MAX_ANOMALIES {
            self.list.push(Anomaly {
                file,
                page,
                offset,
                kind: AnomalyKind::TooManyAnomalies,
            });
        }
    }

    /// Keeps a summary anomaly whatever the count.
    pub(crate) fn push_always(
        &mut self,
        file: EvidenceFile,
        page: Option<u32>,
        offset: u64,
        kind: AnomalyKind,
    ) {
        self.list.push(Anomaly {
            file,
            page,
            offset,
            kind,
        });
    }
}
