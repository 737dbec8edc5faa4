//! The case file on disk: creating it (never over an existing file), opening it (checking that
//! it is one), its `case_info` and `evidence` tables, and the one write path, [`CaseFile::record`],
//! that appends an action to the examiner log in the same transaction as any table row it adds.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;

use crate::action::Action;
use crate::error::CaseError;
use crate::log;
pub use trailproof_core::handover::Evidence;
use trailproof_core::handover::LogHead;

/// `PRAGMA application_id` of a case file: "TPCF".
pub const APPLICATION_ID: i64 = 0x5450_4346;
/// `PRAGMA user_version`: the layout this version writes and reads.
pub const LAYOUT_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE case_info (
  id TEXT NOT NULL, number TEXT NOT NULL, title TEXT, examiner_name TEXT NOT NULL,
  examiner_id TEXT NOT NULL, organisation TEXT, time_zone TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE evidence (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
  kind TEXT NOT NULL, added TEXT NOT NULL, verdict TEXT NOT NULL);
CREATE TABLE audit_log (
  seq INTEGER NOT NULL, event_id TEXT NOT NULL, tenant_id TEXT NOT NULL, timestamp TEXT NOT NULL,
  action TEXT NOT NULL, severity TEXT NOT NULL, actor_user_id TEXT NOT NULL, actor_role TEXT NOT NULL,
  actor_display TEXT NOT NULL, actor_ip TEXT, http_method TEXT, http_route TEXT, resource_type TEXT,
  resource_id TEXT, resource_display TEXT, outcome TEXT NOT NULL, outcome_reason TEXT, changes TEXT,
  metadata TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq));
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the examiner log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the examiner log is append-only'); END;
";

/// What a new case starts with.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Case number, as the organisation numbers cases.
    pub number: String,
    /// Title, if any.
    pub title: Option<String>,
    /// The examiner's name.
    pub examiner_name: String,
    /// The examiner's id (defaults to the name).
    pub examiner_id: Option<String>,
    /// Organisation, if any.
    pub organisation: Option<String>,
    /// Display time zone, an IANA name (`UTC` when not given).
    pub time_zone: Option<String>,
}

/// The case as `case_info` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseInfo {
    /// The case id: the examiner log's `tenant_id`.
    pub id: String,
    /// Case number.
    pub number: String,
    /// Title.
    pub title: Option<String>,
    /// The examiner's name.
    pub examiner_name: String,
    /// The examiner's id.
    pub examiner_id: String,
    /// Organisation.
    pub organisation: Option<String>,
    /// Display time zone (IANA name).
    pub time_zone: String,
    /// When the case was created, canonical UTC.
    pub created: String,
}

/// An open case file.
pub struct CaseFile {
    path: PathBuf,
    conn: Connection,
    info: CaseInfo,
}

impl CaseFile {
    /// Creates the case file at `path` (which must not exist) and logs `case.created`.
    pub fn create(path: &Path, new: NewCase) -> Result<CaseFile, CaseError> {
        if path.exists() {
            return Err(CaseError::Exists {
                path: path.to_path_buf(),
            });
        }
        let number = non_empty("case number", &new.number)?;
        let examiner_name = non_empty("examiner", &new.examiner_name)?;
        let time_zone = valid_time_zone(new.time_zone.as_deref().unwrap_or("UTC"))?;
        let created = log::now();
        let examiner_id = match new.examiner_id {
            Some(id) => non_empty("examiner id", &id)?,
            None => examiner_name.clone(),
        };
        let id = uuid_from(&[
            number.as_bytes(),
            created.as_bytes(),
            examiner_id.as_bytes(),
        ]);
        let info = CaseInfo {
            id,
            number,
            title: new.title.filter(|t| !t.trim().is_empty()),
            examiner_name,
            examiner_id,
            organisation: new.organisation.filter(|o| !o.trim().is_empty()),
            time_zone,
            created,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let conn = Connection::open_with_flags(path, flags).map_err(CaseError::sqlite(path))?;
        let mut case = CaseFile {
            path: path.to_path_buf(),
            conn,
            info,
        };
        let i = case.info.clone();
        case.write(|tx| {
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", LAYOUT_VERSION)?;
            tx.execute(
                "INSERT INTO case_info VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    i.id,
                    i.number,
                    i.title,
                    i.examiner_name,
                    i.examiner_id,
                    i.organisation,
                    i.time_zone,
                    i.created
                ],
            )?;
            Ok(())
        })?;
        case.record(&Action::CaseCreated {
            number: i.number.clone(),
            title: i.title.clone(),
            organisation: i.organisation.clone(),
            time_zone: i.time_zone.clone(),
        })?;
        Ok(case)
    }

    /// Opens an existing case file; `writable` false opens it read-only.
    pub fn open(path: &Path, writable: bool) -> Result<CaseFile, CaseError> {
        if !path.is_file() {
            return Err(CaseError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such case file"),
            });
        }
        let flags = if writable {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        let conn = Connection::open_with_flags(path, flags).map_err(CaseError::sqlite(path))?;
        let not_case = |reason: String| CaseError::NotACaseFile {
            path: path.to_path_buf(),
            reason,
        };
        let app_id: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| not_case(e.to_string()))?;
        if app_id != APPLICATION_ID {
            return Err(not_case(format!(
                "application_id is {app_id:#x}, not {APPLICATION_ID:#x}"
            )));
        }
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(CaseError::sqlite(path))?;
        if version != LAYOUT_VERSION {
            return Err(not_case(format!(
                "layout version {version}; this build reads {LAYOUT_VERSION}"
            )));
        }
        let info = conn
            .query_row("SELECT * FROM case_info", [], |r| {
                Ok(CaseInfo {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    title: r.get(2)?,
                    examiner_name: r.get(3)?,
                    examiner_id: r.get(4)?,
                    organisation: r.get(5)?,
                    time_zone: r.get(6)?,
                    created: r.get(7)?,
                })
            })
            .map_err(|e| not_case(format!("case_info: {e}")))?;
        Ok(CaseFile {
            path: path.to_path_buf(),
            conn,
            info,
        })
    }

    /// The case file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The case.
    pub fn info(&self) -> &CaseInfo {
        &self.info
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The evidence, in the order it was added.
    pub fn evidence(&self) -> Result<Vec<Evidence>, CaseError> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, sha256, kind, added, verdict FROM evidence ORDER BY id")
            .map_err(CaseError::sqlite(&self.path))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Evidence {
                    path: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    sha256: r.get(2)?,
                    kind: r.get(3)?,
                    added: r.get(4)?,
                    verdict: r.get(5)?,
                })
            })
            .map_err(CaseError::sqlite(&self.path))?;
        rows.collect::<Result<_, _>>()
            .map_err(CaseError::sqlite(&self.path))
    }

    /// Adds an evidence file (its row and `evidence.added`, in one transaction).
    pub fn add_evidence(
        &mut self,
        path: &str,
        size: u64,
        sha256: &str,
        kind: &str,
        verdict: &str,
    ) -> Result<LogHead, CaseError> {
        let action = Action::EvidenceAdded {
            path: path.to_string(),
            size,
            sha256: sha256.to_string(),
            kind: kind.to_string(),
            verdict: verdict.to_string(),
        };
        let info = self.info.clone();
        self.write(|tx| {
            let (head, added) = log::append(tx, &info, &action)?;
            tx.execute(
                "INSERT INTO evidence (path, size, sha256, kind, added, verdict)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![path, size as i64, sha256, kind, added, verdict],
            )?;
            Ok(head)
        })
    }

    /// Appends one action to the examiner log.
    pub fn record(&mut self, action: &Action) -> Result<LogHead, CaseError> {
        let info = self.info.clone();
        self.write(|tx| log::append(tx, &info, action).map(|(head, _)| head))
    }

    /// Runs `f` in one IMMEDIATE transaction (so two writers never chain from the same head).
    fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T, CaseError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(CaseError::sqlite(&path))?;
        let out = f(&tx).map_err(CaseError::sqlite(&path))?;
        tx.commit().map_err(CaseError::sqlite(&path))?;
        Ok(out)
    }
}

fn non_empty(what: &str, value: &str) -> Result<String, CaseError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(CaseError::bad_input(what, "must not be empty"));
    }
    Ok(v.to_string())
}

/// The zone's IANA name, if the system's time zone database knows it.
pub fn valid_time_zone(name: &str) -> Result<String, CaseError> {
    jiff::tz::TimeZone::get(name)
        .map(|_| name.to_string())
        .map_err(|e| CaseError::bad_input("time zone", format!("{name:?}: {e}")))
}

/// The namespace of Trailproof's name-based UUIDs (itself the version 5 UUID of the name
/// "trailproof.casefile" in RFC 4122's URL namespace: a1f4bfcb-443b-5251-a2e4-ce0275776263).
const NAMESPACE: [u8; 16] = [
    0xa1, 0xf4, 0xbf, 0xcb, 0x44, 0x3b, 0x52, 0x51, 0xa2, 0xe4, 0xce, 0x02, 0x75, 0x77, 0x62, 0x63,
];

/// A name-based UUID (version 5, RFC 4122 / RFC 9562: SHA-1 of a namespace and a name) of
/// `parts`: the case id, the log's `event_id`s and the CASE/UCO node ids are reproducible from
/// what they name, with no random source, in the form every UUID reader accepts.
pub(crate) fn uuid_from(parts: &[&[u8]]) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(NAMESPACE);
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let mut d: [u8; 20] = h.finalize().into();
    d[6] = (d[6] & 0x0f) | 0x50;
    d[8] = (d[8] & 0x3f) | 0x80;
    let h: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// How the case file records an evidence path: relative to the case file's folder when the
/// file is below a common ancestor (`../evidence/audit.sqlite`), so the case and its evidence
/// can be handed over together; absolute otherwise. Both paths are canonical.
pub fn relative_path(case_dir: &Path, file: &Path) -> String {
    use std::path::Component;
    let base: Vec<Component> = case_dir.components().collect();
    let target: Vec<Component> = file.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    // Only the root in common: an absolute path says more than a chain of "..".
    if common <= 1 {
        return file.to_string_lossy().into_owned();
    }
    let mut rel = PathBuf::new();
    for _ in common..base.len() {
        rel.push("..");
    }
    for c in &target[common..] {
        rel.push(c.as_os_str());
    }
    rel.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_paths_are_relative_to_the_case_folder() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            relative_path(&p("/inv/cases"), &p("/inv/evidence/a.sqlite")),
            "../evidence/a.sqlite"
        );
        assert_eq!(relative_path(&p("/inv"), &p("/inv/a.pdf")), "a.pdf");
        assert_eq!(
            relative_path(&p("/inv"), &p("/mnt/x/a.pdf")),
            "/mnt/x/a.pdf"
        );
    }

    #[test]
    fn uuids_are_version_5_and_reproducible() {
        let a = uuid_from(&[b"2026-041", b"t"]);
        assert_eq!(a, uuid_from(&[b"2026-041", b"t"]));
        assert_ne!(a, uuid_from(&[b"2026-04", b"1t"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        // The same construction as Python's uuid.uuid5 (RFC 4122), with the length-prefixed
        // name: uuid5(UUID("a1f4bfcb-443b-5251-a2e4-ce0275776263"),
        //             b"\0"*7 + b"\x08" + b"2026-041" + b"\0"*7 + b"\x01" + b"t") in bytes.
        assert_eq!(a, "33123fed-f5e4-5a51-b3db-4a9534aaed7c");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
