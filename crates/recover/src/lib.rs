//! `trailproof-recover`: finds earlier and deleted versions of the rows of one table
//! (`audit_log`) in a SQLite database file, its `-wal` and a hot `-journal` (SPEC section 10).
//!
//! Freed cells survive in free blocks, in the unallocated gap of b-tree pages and on freelist
//! pages unless the writer ran with `secure_delete`; a `-wal` keeps every committed page image
//! until it is reset (and the main file keeps the images the WAL superseded); a hot `-journal`
//! keeps the pages as they were before an unfinished transaction. [`scan`] reads all of them
//! with a hand-written reader of the file format (<https://www.sqlite.org/fileformat2.html>) and
//! returns every whole record of the table it finds there as a [`Candidate`]: where it was
//! ([`RecoveredFrom`], byte offset, page, WAL frame), how its header was read, and its columns.
//! Whether a candidate is the original (SPEC section 10's `proof`) is for the verifier to grade:
//! this crate knows nothing of hashes.
//!
//! The state verified is what SQLite reads: the main file with the committed WAL frames applied
//! ([`WalInfo::applied`], [`write_state`] builds a private copy of it); for a hot journal, the
//! main file as it is. Live cells of that state are not candidates, and a carved record whose
//! bytes equal a live row of the table is dropped (SPEC: "a record identical to the current row
//! is not reported"); everything else found is reported, with the live leaf pages of the table
//! still searched for free blocks and gaps.
//!
//! The same knowledge of the format reads the live rows fast: [`table::TableReader`] walks one
//! table's b-tree in rowid order, strictly, and stops at the first page it cannot vouch for, so
//! that the SQLite reader of `trailproof-ingest` steps SQLite only from there.
//!
//! Invariants:
//! * nothing is written next to the evidence, and nothing of it is executed: the schema's
//!   `CREATE TABLE` text is parsed, not run;
//! * memory stays bounded on hostile input: files are read a page at a time (evidence reaches
//!   gigabytes), records are capped ([`Options::max_record_bytes`]), candidates are capped
//!   ([`Options::max_candidates`]), overflow pages followed while carving are budgeted
//!   ([`Options::max_overflow_reads`]); what grows with the file is a bit per page, an entry
//!   per WAL frame and per journal page, and the live rows of the table past
//!   [`Options::live_rows_in_memory`] go to a temporary file (8 bytes a row);
//! * every loop is bounded: b-tree walks and the freelist keep a visited set (cycles and shared
//!   pages stop there, as an [`Anomaly`]), overflow chains never revisit a page, carving moves
//!   forward only;
//! * no panics on attacker bytes (checked slicing and arithmetic), no `unsafe`;
//! * output is deterministic: candidates in (place, offset) order.
#![forbid(unsafe_code)]

mod btree;
mod carve;
mod error;
mod header;
mod io;
mod journal;
mod live;
mod pages;
mod record;
mod scan;
mod schema;
pub mod table;
mod view;
mod wal;

pub use carve::RecordHeader;
pub use error::{
    Anomaly, AnomalyKind, EvidenceFile, JournalProblem, RecoverError, WalProblem, MAX_ANOMALIES,
};
pub use header::DatabaseHeader;
pub use io::ReadSeek;
pub use journal::{JournalInfo, JournalPage, JournalSegment};
pub use record::SqlValue;
pub use scan::{scan, scan_bytes, scan_files};
pub use schema::{Affinity, Column, ColumnRule, Table};
pub use wal::{write_state, FrameStatus, LogBreak, LogEnd, WalFrame, WalHeader, WalInfo};

/// The layout of one input of the `sqlite_recover` fuzz target and of the corpus the tests
/// replay: the first 4 bytes are the lengths (big-endian u16 each) of the `-wal` and `-journal`
/// parts that follow, the rest is the database file. Returns (main, wal, journal).
#[doc(hidden)]
pub fn split_fuzz_input(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (lens, rest) = data.split_at(data.len().min(4));
    let len = |i: usize| {
        usize::from(u16::from_be_bytes([
            lens.get(i).copied().unwrap_or(0),
            lens.get(i + 1).copied().unwrap_or(0),
        ]))
    };
    let (wal, rest) = rest.split_at(len(0).min(rest.len()));
    let (journal, main) = rest.split_at(len(2).min(rest.len()));
    (main, wal, journal)
}

/// Reads tables rooted at pages 2 to 5 of `main` with 1 to 8 columns through
/// [`table::TableReader`] (for the fuzz targets): it must end or deviate, never panic, and
/// yield rowids that ascend.
pub fn check_table(main: &[u8]) {
    for root in 2..=5 {
        for width in [1usize, 3, 8] {
            let columns = vec![
                table::ColumnRead {
                    rowid_alias: false,
                    real: false,
                };
                width
            ];
            let bytes = std::io::Cursor::new(main.to_vec());
            let Ok(mut reader) = table::TableReader::from_reader(Box::new(bytes), root, columns)
            else {
                continue;
            };
            let mut last = None;
            let mut check = |rowid: i64, payload: &[u8], fields: &[table::Field]| {
                assert!(last.is_none_or(|l| rowid > l));
                last = Some(rowid);
                assert_eq!(fields.len(), width);
                for f in fields {
                    if let table::Field::Text(a, b) | table::Field::Blob(a, b) = *f {
                        assert!(a <= b && b <= payload.len());
                    }
                }
            };
            while let Ok(true) = reader.next_row(&mut check) {}
        }
    }
}

/// The oracle of the `sqlite_recover` fuzz target and of the robustness tests: scans `main` with
/// its `-wal` and `-journal`, accepts a typed error, and panics unless the scan kept its cap of
/// `max_candidates` and every candidate lies inside its file with every stored column.
#[doc(hidden)]
pub fn check_scan(main: &[u8], wal: Option<&[u8]>, journal: Option<&[u8]>, max_candidates: usize) {
    use std::io::Cursor;
    let mut m = Cursor::new(main);
    let mut w = wal.map(Cursor::new);
    let mut j = journal.map(Cursor::new);
    let options = Options {
        max_candidates,
        ..Options::default()
    };
    let Ok(found) = scan(
        &mut m,
        w.as_mut().map(|c| c as &mut dyn ReadSeek),
        j.as_mut().map(|c| c as &mut dyn ReadSeek),
        &options,
    ) else {
        return;
    };
    assert!(found.candidates.len() <= options.max_candidates);
    for c in &found.candidates {
        let len = match c.from.file() {
            EvidenceFile::Main => main.len(),
            EvidenceFile::Wal => wal.map_or(0, <[u8]>::len),
            EvidenceFile::Journal => journal.map_or(0, <[u8]>::len),
        };
        assert!(
            c.offset < len as u64,
            "a candidate outside its file: {:?} at {} of {len}",
            c.from,
            c.offset
        );
        assert_eq!(c.columns.len(), found.table.stored_columns().count());
    }
}

/// Where a recovered record was found: SPEC section 10's `recovered_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecoveredFrom {
    /// A free block of a b-tree page of the current state, in the main file.
    SqliteFreeblock,
    /// A freelist trunk or leaf page of the current state, in the main file.
    SqliteFreelist,
    /// The gap between a page's cell pointer array and its cell content area, or a page that
    /// nothing uses, in the main file.
    SqliteUnallocated,
    /// A page image in the `-wal`: a frame that was superseded, is uncommitted or lies beyond
    /// the valid log, or the free space of a page of the current state whose image is there.
    SqliteWal,
    /// A page image in a hot `-journal` (the page before the unfinished transaction).
    SqliteJournal,
    /// A page of the main file that a committed WAL frame replaced.
    SqliteMainUnderWal,
}

impl RecoveredFrom {
    /// The name SPEC section 10 gives this place.
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveredFrom::SqliteFreeblock => "sqlite_freeblock",
            RecoveredFrom::SqliteFreelist => "sqlite_freelist",
            RecoveredFrom::SqliteUnallocated => "sqlite_unallocated",
            RecoveredFrom::SqliteWal => "sqlite_wal",
            RecoveredFrom::SqliteJournal => "sqlite_journal",
            RecoveredFrom::SqliteMainUnderWal => "sqlite_main_under_wal",
        }
    }

    /// The file that [`Candidate::offset`] is an offset in.
    pub fn file(self) -> EvidenceFile {
        match self {
            RecoveredFrom::SqliteWal => EvidenceFile::Wal,
            RecoveredFrom::SqliteJournal => EvidenceFile::Journal,
            _ => EvidenceFile::Main,
        }
    }
}

/// Where inside its page image a record was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// A free block (per that image's page header).
    FreeBlock,
    /// Between the cell pointer array and the cell content area.
    Unallocated,
    /// A cell that image's cell pointer array points to: a live row of an earlier page image
    /// (WAL, journal, main file under the WAL).
    Cell,
    /// Elsewhere in a page carved whole: a freelist page, a page nothing uses, an image whose
    /// page header does not parse.
    Page,
}

/// A record of the table found outside the live rows of the current state.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub from: RecoveredFrom,
    /// Byte offset in [`RecoveredFrom::file`] where the record's bytes begin (its header,
    /// counting header bytes that were lost and rebuilt).
    pub offset: u64,
    /// The database page the image is of.
    pub page: u32,
    pub region: Region,
    /// The 1-based WAL frame, for [`RecoveredFrom::SqliteWal`].
    pub wal_frame: Option<u32>,
    /// The frame's status, for [`RecoveredFrom::SqliteWal`].
    pub frame_status: Option<FrameStatus>,
    /// The rowid, when the cell's payload-length and rowid varints survived.
    pub rowid: Option<i64>,
    pub header: RecordHeader,
    /// Overflow pages the record continued on (in the same view of the evidence).
    pub overflow_pages: Vec<u32>,
    /// The record as SQLite encodes it: header (rebuilt bytes included), then body.
    pub payload: Vec<u8>,
    /// Every stored column of the table, in table order (a rowid alias holds the rowid when
    /// it is known, NULL otherwise).
    pub columns: Vec<(String, SqlValue)>,
}

impl Candidate {
    /// The value of a column, by name (ASCII case-insensitive).
    pub fn get(&self, column: &str) -> Option<&SqlValue> {
        self.columns
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(column))
            .map(|(_, v)| v)
    }
}

/// What [`scan`] found.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The database header of the state (page 1 as SQLite reads it).
    pub header: DatabaseHeader,
    /// The size of the state in pages.
    pub database_pages: u32,
    pub table: Table,
    pub wal: Option<WalInfo>,
    pub journal: Option<JournalInfo>,
    /// In (place, offset) order.
    pub candidates: Vec<Candidate>,
    pub anomalies: Vec<Anomaly>,
}

/// Limits and the table to look for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The table whose rows are carved (`audit_log`).
    pub table: String,
    /// Longer records are not decoded (an audit record is a few KB).
    pub max_record_bytes: u64,
    /// Carving stops after this many candidates (an [`AnomalyKind::CandidateLimit`]).
    pub max_candidates: usize,
    /// Overflow pages that carving may follow in one scan.
    pub max_overflow_reads: u64,
    /// Live rows of the table noted in memory (8 bytes each) before the rest go to a
    /// temporary file in [`Options::temp_dir`].
    pub live_rows_in_memory: usize,
    /// Where that temporary file is made (unlinked at once): the system's by default.
    pub temp_dir: std::path::PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            table: "audit_log".into(),
            max_record_bytes: 16 << 20,
            max_candidates: 100_000,
            max_overflow_reads: 1 << 18,
            live_rows_in_memory: 1 << 20,
            temp_dir: std::env::temp_dir(),
        }
    }
}
