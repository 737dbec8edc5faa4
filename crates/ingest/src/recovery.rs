//! A SQLite database as evidence with what lies beside it and in it (SPEC section 10): its `-wal`,
//! a hot `-journal`, and the earlier and deleted versions of rows that the carver
//! (`trailproof-recover`) finds in all three.
//!
//! [`SqliteEvidence::prepare`] runs before the rows are read:
//! * a `-wal` beside the database: the state verified is what SQLite reads, the main file with
//!   the WAL's committed frames applied. That state is written to a private temporary directory
//!   ([`trailproof_recover::write_state`]) and the rows are read from that copy (opened with
//!   `immutable=1`), while the evidence file itself is the one hashed. The `sqlite_journal`
//!   check passes and names the frames applied, superseded and uncommitted. A WAL that cannot
//!   be read makes that check not possible, naming the frame and the byte offset;
//! * a hot `-journal`: the main file holds part of an unfinished transaction (the journal holds
//!   the pages as they were before it). The main file is verified as it is, and the
//!   `sqlite_journal` check is not possible, saying so;
//! * carving (unless turned off with `recover: false`): every candidate of the carver becomes a
//!   [`RecoveredCopy`]. With neither a `-wal` nor a `-journal` beside the database, the rows
//!   read are the file's own whatever the carver finds, so it carves on a thread of its own
//!   while the rows are read (on a large database the carving was a serial tenth of the whole
//!   verification); its checks and candidates are taken when they are asked for.
//!
//! [`SqliteEvidence::findings`] runs once the rows were read: the current rows at each
//! candidate's seq and seq + 1 are looked up (only when there are candidates), and
//! [`trailproof_core::recovery::findings`] grades the candidates against them and the case's
//! exports.
//!
//! Invariants: nothing is written next to the evidence (the WAL and the journal are only read,
//! the private copy lives in the system's temporary directory and is removed when the case is
//! dropped); a clean database without a `-wal` or `-journal` gives the same checks and findings
//! as before carving existed; a carver that cannot read the main file changes no verdict by
//! itself (`record_recovery` is then not possible only when carving was asked for).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use trailproof_core::case::Case;
use trailproof_core::finding::{Check, Finding, Status};
use trailproof_core::record::{self, RawData, RawRecord};
use trailproof_core::recovery::{self, Commitments, RecoveredCopy, Superseded};
use trailproof_recover::{Candidate, FrameStatus, Options, RecoverError, Scan, SqlValue, WalInfo};

use crate::hashing::{digest_file, ReadMode};
use crate::row::{build_record, Cell, ColumnKind};
use crate::sqlite::SqliteSource;
use crate::{IngestError, Location, RecordSource};

/// A path as reports name it.
fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A SQLite input prepared for reading: the file SQLite opens, and what the carver found.
pub struct SqliteEvidence {
    path: PathBuf,
    /// The file whose rows are read: the evidence, or the private copy of its state.
    state: PathBuf,
    /// Keeps the private copy alive while the case may read it again.
    _private: Option<Arc<tempfile::TempDir>>,
    candidates: Vec<Candidate>,
    checks: Vec<Check>,
    /// The carving still under way, and the name of the input in the report.
    carving: Option<(JoinHandle<Result<Scan, RecoverError>>, String)>,
}

fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn non_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

impl SqliteEvidence {
    /// Looks beside and into the SQLite file at `path` (named `name` in the report); carves
    /// only when `recover` is set.
    pub fn prepare(path: &Path, name: &str, recover: bool) -> Result<Self, IngestError> {
        let wal_path = beside(path, "-wal");
        let journal_path = beside(path, "-journal");
        let (wal, journal) = (non_empty(&wal_path), non_empty(&journal_path));
        let mut evidence = SqliteEvidence {
            path: path.to_path_buf(),
            state: path.to_path_buf(),
            _private: None,
            candidates: Vec::new(),
            checks: Vec::new(),
            carving: None,
        };
        let check =
            |status, detail: String| Check::new("sqlite_journal", status, detail).input(name);
        if !recover && !wal && !journal {
            evidence.checks.push(nothing_beside(name));
            return Ok(evidence);
        }
        if !wal && !journal {
            let file = path.to_path_buf();
            let carve = move || {
                crate::background::lower_this_thread();
                trailproof_recover::scan_files(&file, &Options::default())
            };
            // Without a thread, carve here: the same outcome, later.
            match std::thread::Builder::new()
                .name("sqlite-carver".into())
                .spawn(carve)
            {
                Ok(handle) => evidence.carving = Some((handle, name.to_string())),
                Err(_) => {
                    let scan = trailproof_recover::scan_files(path, &Options::default());
                    evidence.take_scan(scan, name);
                }
            }
            return Ok(evidence);
        }
        let scan = match trailproof_recover::scan_files(path, &Options::default()) {
            Ok(scan) => scan,
            Err(e) => {
                evidence
                    .checks
                    .extend(scan_failed(&e, path, name, wal, journal, recover));
                return Ok(evidence);
            }
        };
        let mut details = Vec::new();
        let mut status = Status::Passed;
        if let Some(info) = scan.wal.as_ref().filter(|_| wal) {
            let digest = digest_file(&wal_path)?;
            if !info.applied.is_empty() {
                evidence.write_state(&scan)?;
            }
            details.push(format!(
                "{} lies beside the database ({} bytes, sha256 {}): {}",
                display(&wal_path),
                digest.size,
                digest.sha256,
                wal_words(info)
            ));
        }
        if let Some(info) = scan.journal.as_ref().filter(|_| journal) {
            let digest = digest_file(&journal_path)?;
            let what = format!(
                "{} lies beside the database ({} bytes, sha256 {})",
                display(&journal_path),
                digest.size,
                digest.sha256
            );
            if info.hot {
                status = Status::NotPossible;
                details.push(format!(
                    "{what}: a hot rollback journal, so the main file holds a partial transaction (unfinished; {} page(s) saved before it); the main file was verified as it is, the state before the transaction is only in the journal (searched for earlier versions of records)",
                    info.pages.len()
                ));
            } else {
                details.push(format!("{what}: not hot (no transaction in progress)"));
            }
        }
        if details.is_empty() {
            details.push(NOTHING_BESIDE.into());
        }
        evidence.checks.push(check(status, details.join("; ")));
        if recover {
            evidence.candidates = scan.candidates;
        }
        Ok(evidence)
    }

    /// What carving a database with nothing beside it gives: its `sqlite_journal` check and
    /// its candidates, or the checks of a carving that failed.
    fn take_scan(&mut self, scan: Result<Scan, RecoverError>, name: &str) {
        match scan {
            Ok(scan) => {
                self.checks.push(nothing_beside(name));
                self.candidates = scan.candidates;
            }
            Err(e) => {
                let checks = scan_failed(&e, &self.path, name, false, false, true);
                self.checks.extend(checks);
            }
        }
    }

    /// Waits for the carving thread, if any, and takes what it found.
    fn settle(&mut self) {
        if let Some((handle, name)) = self.carving.take() {
            match handle.join() {
                Ok(scan) => self.take_scan(scan, &name),
                // A carver that panicked changes no verdict by itself, as one that failed.
                Err(_) => self.checks.extend([
                    nothing_beside(&name),
                    not_searched(&"the carving thread stopped unexpectedly", &name),
                ]),
            }
        }
    }

    /// Writes the state SQLite reads (main file + committed WAL frames) to a private copy.
    fn write_state(&mut self, scan: &Scan) -> Result<(), IngestError> {
        let io = |path: &Path, source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = tempfile::Builder::new()
            .prefix("trailproof-wal-")
            .tempdir()
            .map_err(|e| io(&std::env::temp_dir(), e))?;
        let state = dir.path().join("state.sqlite");
        let mut main = std::fs::File::open(&self.path).map_err(|e| io(&self.path, e))?;
        let wal_path = beside(&self.path, "-wal");
        let mut wal = std::fs::File::open(&wal_path).map_err(|e| io(&wal_path, e))?;
        let out = std::fs::File::create(&state).map_err(|e| io(&state, e))?;
        let mut out = std::io::BufWriter::new(out);
        trailproof_recover::write_state(&mut main, Some(&mut wal), scan, &mut out).map_err(
            |e| {
                IngestError::malformed(
                    &self.path,
                    Location::Byte(0),
                    format!("cannot apply its -wal: {e}"),
                )
            },
        )?;
        std::io::Write::flush(&mut out).map_err(|e| io(&state, e))?;
        self.state = state;
        self._private = Some(Arc::new(dir));
        Ok(())
    }

    /// Opens the rows of the state for reading (hashing the evidence file in `mode`).
    pub fn open_records(&self, mode: ReadMode) -> Result<Box<dyn RecordSource>, IngestError> {
        Ok(Box::new(SqliteSource::open_state(
            &self.path,
            &self.state,
            mode,
        )?))
    }

    /// The rows of the state, for looking records up by (tenant, seq)
    /// ([`SqliteSource::records_of`]); the file is not hashed.
    pub fn lookup(&self) -> Result<SqliteSource, IngestError> {
        SqliteSource::open_state(&self.path, &self.state, ReadMode::LookUp)
    }

    /// The state's file and what keeps it alive, for reading it again later.
    pub fn state(&self) -> (PathBuf, PathBuf, Option<Arc<tempfile::TempDir>>) {
        (self.path.clone(), self.state.clone(), self._private.clone())
    }

    /// The checks about what lies beside the database (`sqlite_journal`, `record_recovery`).
    pub fn checks(&mut self) -> Vec<Check> {
        self.settle();
        self.checks.clone()
    }

    /// The `record_recovered` findings of the input named `name`, graded against its current
    /// rows and the case's exports.
    pub fn findings(&mut self, case: &Case, name: &str) -> Result<Vec<Finding>, IngestError> {
        self.settle();
        if self.candidates.is_empty() {
            return Ok(Vec::new());
        }
        let copies: Vec<RecoveredCopy> = self.candidates.iter().map(|c| copy(c, name)).collect();
        let mut wanted: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        for c in &self.candidates {
            if let (Some(SqlValue::Text(t)), Some(SqlValue::Integer(s))) =
                (c.get("tenant_id"), c.get("seq"))
            {
                if let Ok(s) = u64::try_from(*s) {
                    wanted
                        .entry(t.clone())
                        .or_default()
                        .extend([s, s.saturating_add(1)]);
                }
            }
        }
        let mut commitments = Commitments::new();
        let mut src = self.lookup()?;
        let mut buf = Vec::with_capacity(2048);
        for (tenant, seqs) in &wanted {
            let seqs: Vec<u64> = seqs.iter().copied().collect();
            for raw in src.records_of(tenant, &seqs)? {
                commitments.add_current(&record::check(raw, &mut buf));
            }
        }
        for anchor in case.exports() {
            commitments.add_export(anchor);
        }
        Ok(recovery::findings(copies, &commitments))
    }
}

const NOTHING_BESIDE: &str =
    "no write-ahead log or rollback journal beside the database: the file holds its whole state";

/// What a WAL holds, in words.
fn wal_words(info: &WalInfo) -> String {
    let count =
        |want: fn(&FrameStatus) -> bool| info.frames.iter().filter(|f| want(&f.status)).count();
    let applied = count(|s| *s == FrameStatus::Applied);
    let superseded = count(|s| *s == FrameStatus::Superseded);
    let uncommitted = count(|s| *s == FrameStatus::Uncommitted);
    let beyond = count(|s| matches!(s, FrameStatus::BeyondLog(_)));
    let mut s = if applied > 0 {
        format!("the state verified is the database with its {applied} committed frame(s) applied (as SQLite reads it)")
    } else {
        "it holds no committed frame, so the state verified is the main file".to_string()
    };
    s.push_str(&format!(
        "; {superseded} superseded and {uncommitted} uncommitted frame(s) were searched for earlier versions of records, never applied"
    ));
    if beyond > 0 {
        s.push_str(&format!(
            "; {beyond} frame(s) past the end of the valid log were searched too"
        ));
    }
    if let Some(end) = &info.log_end {
        s.push_str(&format!(
            " (the valid log ends at frame {}, byte offset {}: {:?})",
            end.frame, end.offset, end.reason
        ));
    }
    s
}

/// The checks when the carver could not read the evidence.
fn scan_failed(
    e: &RecoverError,
    path: &Path,
    name: &str,
    wal: bool,
    journal: bool,
    recover: bool,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let side = match e {
        RecoverError::Wal { .. } => Some(beside(path, "-wal")),
        RecoverError::Journal { .. } => Some(beside(path, "-journal")),
        _ => None,
    };
    if let Some(side) = side {
        checks.push(
            Check::new(
                "sqlite_journal",
                Status::NotPossible,
                format!(
                    "{} lies beside the database and cannot be read ({e}); the main file was verified as it is, without the transactions that file may hold",
                    display(&side)
                ),
            )
            .input(name),
        );
        return checks;
    }
    if wal || journal {
        let present: Vec<String> = [(wal, "-wal"), (journal, "-journal")]
            .iter()
            .filter(|(here, _)| *here)
            .map(|(_, s)| display(&beside(path, s)))
            .collect();
        checks.push(
            Check::new(
                "sqlite_journal",
                Status::NotPossible,
                format!(
                    "{} lies beside the database, but the database cannot be read page by page ({e}), so transactions still in it were not read",
                    present.join(" and ")
                ),
            )
            .input(name),
        );
    } else {
        checks.push(nothing_beside(name));
    }
    if recover {
        checks.push(not_searched(&e, name));
    }
    checks
}

/// The `sqlite_journal` check of a database with nothing beside it.
fn nothing_beside(name: &str) -> Check {
    Check::new("sqlite_journal", Status::Passed, NOTHING_BESIDE).input(name)
}

/// The `record_recovery` check of a database whose pages could not be searched, and why.
fn not_searched(why: &dyn std::fmt::Display, name: &str) -> Check {
    Check::new(
        "record_recovery",
        Status::NotPossible,
        format!(
            "the database's pages could not be searched for earlier versions of records: {why}"
        ),
    )
    .input(name)
}

/// A carved candidate as a record to grade, and as the finding shows it.
fn copy(c: &Candidate, name: &str) -> RecoveredCopy {
    let columns: Vec<(String, ColumnKind)> = c
        .columns
        .iter()
        .map(|(n, _)| (n.clone(), ColumnKind::by_name(n)))
        .collect();
    let cells = c
        .columns
        .iter()
        .map(|(_, v)| match v {
            SqlValue::Null => Cell::Null,
            SqlValue::Integer(i) => Cell::Int(*i),
            SqlValue::Real(r) => Cell::Real(*r),
            SqlValue::Text(t) => Cell::Text(t.clone()),
            SqlValue::Blob(b) => Cell::Blob(b.len()),
        })
        .collect();
    let from = c.from.as_str();
    let place = match c.wal_frame {
        Some(frame) => format!("page {}, WAL frame {frame}", c.page),
        None => format!("page {}", c.page),
    };
    let data: RawData = build_record(&columns, cells, &format!("{from} at byte {}", c.offset));
    RecoveredCopy {
        input: name.to_string(),
        recovered_from: from.to_string(),
        offset: c.offset,
        place,
        shown: shown(c),
        raw: RawRecord {
            loc: Location::Byte(c.offset),
            data,
        },
        superseded_by: Superseded::CurrentState,
    }
}

/// Every column that could be read, as JSON (text of a JSON column parsed when it parses).
fn shown(c: &Candidate) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (n, v) in &c.columns {
        let value = match v {
            SqlValue::Null | SqlValue::Blob(_) => serde_json::Value::Null,
            SqlValue::Integer(i) => serde_json::Value::from(*i),
            SqlValue::Real(r) => serde_json::Number::from_f64(*r)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            SqlValue::Text(t) if ColumnKind::by_name(n) == ColumnKind::Json => {
                serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.clone()))
            }
            SqlValue::Text(t) => serde_json::Value::String(t.clone()),
        };
        m.insert(n.clone(), value);
    }
    serde_json::Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With nothing beside the database the carver works on a thread of its own, and what it
    /// finds is taken when asked for: the same checks as carving first. A clean database: its
    /// `sqlite_journal` check passes, and nothing is recovered. A database the carver cannot
    /// read (UTF-16 text): `record_recovery` is not possible, with the carver's reason, and the
    /// rows are read all the same.
    #[test]
    fn carving_beside_the_rows_gives_the_checks_of_carving_first() {
        let dir = tempfile::tempdir().unwrap();
        let clean = trailproof_testkit::vector("audit.sqlite");
        let mut e = SqliteEvidence::prepare(&clean, "audit.sqlite", true).unwrap();
        assert!(e.carving.is_some());
        let mut src = e.open_records(ReadMode::LookUp).unwrap();
        let mut rows = Vec::new();
        while src.next_batch(&mut rows, 7).unwrap() {}
        assert_eq!(rows.len(), 52);
        assert_eq!(e.findings(&Case::new(), "audit.sqlite").unwrap(), vec![]);
        let checks = e.checks();
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert_eq!(
            (
                checks[0].check.as_str(),
                checks[0].status,
                checks[0].detail.as_str()
            ),
            ("sqlite_journal", Status::Passed, NOTHING_BESIDE)
        );

        let utf16 = dir.path().join("utf16.sqlite");
        {
            let conn = rusqlite::Connection::open(&utf16).unwrap();
            conn.execute_batch(
                "PRAGMA encoding = 'UTF-16le'; CREATE TABLE audit_log (seq INTEGER, tenant_id TEXT); INSERT INTO audit_log VALUES (1, 'acme');",
            )
            .unwrap();
        }
        let mut e = SqliteEvidence::prepare(&utf16, "utf16.sqlite", true).unwrap();
        let mut src = e.open_records(ReadMode::LookUp).unwrap();
        let mut rows = Vec::new();
        while src.next_batch(&mut rows, 7).unwrap() {}
        assert_eq!(rows.len(), 1);
        let checks: Vec<(String, Status, String)> = e
            .checks()
            .into_iter()
            .map(|c| (c.check, c.status, c.detail))
            .collect();
        assert_eq!(
            checks,
            vec![
                ("sqlite_journal".to_string(), Status::Passed, NOTHING_BESIDE.to_string()),
                (
                    "record_recovery".to_string(),
                    Status::NotPossible,
                    "the database's pages could not be searched for earlier versions of records: text encoding 2 (byte 56): only UTF-8 databases can be carved".to_string()
                ),
            ]
        );
        // Asked again, the same checks: the carving is taken once.
        assert_eq!(e.checks().len(), 2);
    }
}
