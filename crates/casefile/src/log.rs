//! The examiner log: the table `audit_log` of the case file, one AEF/1 record per examiner
//! action, chained by SPEC section 3 under `tenant_id` = the case id. [`append`] is the only
//! writer; [`read`] gives the records back with what their replay and their check need.

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{Map, Value as J};
pub use trailproof_core::handover::{LogEntry, LogHead, LogStatus};
use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::time::Instant;

use crate::action::Action;
use crate::error::CaseError;
use crate::file::{uuid_from, CaseFile, CaseInfo};

/// One record of the examiner log as stored, with the hash recomputed over what is stored.
#[derive(Debug, Clone)]
pub struct LogRecord {
    /// seq.
    pub seq: u64,
    /// timestamp.
    pub timestamp: String,
    /// The AEF/1 record as stored (every member).
    pub record: J,
    /// SHA-256 of the record's canonical form without `hash`, recomputed.
    pub computed: String,
}

impl LogRecord {
    fn member(&self, name: &str) -> &str {
        self.record[name].as_str().unwrap_or("")
    }

    /// The action this record states (an error names what is missing).
    pub fn action(&self) -> Result<Action, String> {
        Action::from_record(self.member("action"), &self.record["metadata"])
    }
}

/// The current time, canonical UTC.
pub fn now() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    Instant { nanos }.canonical()
}

/// Appends `action` as the next record of the case's chain; gives the new head and its
/// timestamp.
pub(crate) fn append(
    tx: &Transaction,
    info: &CaseInfo,
    action: &Action,
) -> rusqlite::Result<(LogHead, String)> {
    let last: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT seq, hash, timestamp FROM audit_log WHERE tenant_id = ?1
             ORDER BY seq DESC LIMIT 1",
            params![info.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (seq, prev_hash, timestamp) = match last {
        None => (1, hex(&GENESIS), now()),
        // Canonical timestamps compare as strings: a clock that went back stamps the last time.
        Some((seq, hash, last_time)) => (seq as u64 + 1, hash, now().max(last_time)),
    };
    let event_id = uuid_from(&[info.id.as_bytes(), &seq.to_be_bytes(), timestamp.as_bytes()]);
    let (resource_type, resource_id) = action.resource(&info.id);
    let metadata = action.metadata();
    let mut record = Map::new();
    for (k, v) in [
        ("seq", J::from(seq)),
        ("event_id", J::from(event_id.clone())),
        ("tenant_id", J::from(info.id.clone())),
        ("timestamp", J::from(timestamp.clone())),
        ("action", J::from(action.name())),
        ("severity", J::from("info")),
        ("actor_user_id", J::from(info.examiner_id.clone())),
        ("actor_role", J::from("examiner")),
        ("actor_display", J::from(info.examiner_name.clone())),
        ("actor_ip", J::Null),
        ("http_method", J::Null),
        ("http_route", J::Null),
        ("resource_type", J::from(resource_type)),
        ("resource_id", J::from(resource_id.clone())),
        ("resource_display", J::Null),
        ("outcome", J::from("success")),
        ("outcome_reason", J::Null),
        ("changes", J::Null),
        ("metadata", metadata.clone()),
        ("prev_hash", J::from(prev_hash.clone())),
    ] {
        record.insert(k.to_string(), v);
    }
    let hash = hash_of(&J::Object(record));
    tx.execute(
        "INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, 'info', ?6, 'examiner', ?7, NULL, NULL,
         NULL, ?8, ?9, NULL, 'success', NULL, NULL, ?10, ?11, ?12)",
        params![
            seq as i64,
            event_id,
            info.id,
            timestamp,
            action.name(),
            info.examiner_id,
            info.examiner_name,
            resource_type,
            resource_id,
            metadata.to_string(),
            prev_hash,
            hash
        ],
    )?;
    Ok((LogHead { seq, hash }, timestamp))
}

fn hash_of(record: &J) -> String {
    match Value::from_serde(record) {
        Ok(v) => hex(&compute_hash(&v)),
        // A record that is not I-JSON cannot be hashed reproducibly: it never matches.
        Err(_) => String::new(),
    }
}

const TEXT_MEMBERS: [&str; 18] = [
    "event_id",
    "tenant_id",
    "timestamp",
    "action",
    "severity",
    "actor_user_id",
    "actor_role",
    "actor_display",
    "actor_ip",
    "http_method",
    "http_route",
    "resource_type",
    "resource_id",
    "resource_display",
    "outcome",
    "outcome_reason",
    "prev_hash",
    "hash",
];

/// Every record of the examiner log, in seq order, with its hash recomputed.
pub fn read(case: &CaseFile) -> Result<Vec<LogRecord>, CaseError> {
    let path = case.path();
    let sql = format!(
        "SELECT seq, changes, metadata, {} FROM audit_log ORDER BY tenant_id, seq",
        TEXT_MEMBERS.join(", ")
    );
    let mut stmt = case.conn().prepare(&sql).map_err(CaseError::sqlite(path))?;
    let mut rows = stmt.query([]).map_err(CaseError::sqlite(path))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(CaseError::sqlite(path))? {
        let seq: i64 = r.get(0).map_err(CaseError::sqlite(path))?;
        let bad = |reason: String| CaseError::BadLogRecord {
            path: path.to_path_buf(),
            seq: seq as u64,
            reason,
        };
        let json_member = |i: usize, name: &str| -> Result<J, CaseError> {
            match r
                .get::<_, Option<String>>(i)
                .map_err(CaseError::sqlite(path))?
            {
                None => Ok(J::Null),
                Some(t) => serde_json::from_str(&t).map_err(|e| bad(format!("{name}: {e}"))),
            }
        };
        let mut record = Map::new();
        record.insert("seq".into(), J::from(seq));
        record.insert("changes".into(), json_member(1, "changes")?);
        record.insert("metadata".into(), json_member(2, "metadata")?);
        for (i, name) in TEXT_MEMBERS.iter().enumerate() {
            let v: Option<String> = r.get(3 + i).map_err(CaseError::sqlite(path))?;
            record.insert(name.to_string(), v.map(J::from).unwrap_or(J::Null));
        }
        let stored = J::Object(record);
        let mut without = stored.clone();
        if let J::Object(m) = &mut without {
            m.remove("hash");
        }
        out.push(LogRecord {
            seq: seq as u64,
            timestamp: stored["timestamp"].as_str().unwrap_or("").to_string(),
            computed: hash_of(&without),
            record: stored,
        });
    }
    Ok(out)
}

/// What is wrong with each record of the log's chain (SPEC section 3), record by record, in
/// the order `read` gave them (empty where the record is sound).
fn problems(case_id: &str, records: &[LogRecord]) -> Vec<Vec<String>> {
    let mut prev = hex(&GENESIS);
    let mut prev_time = String::new();
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let mut p = Vec::new();
        let expected_seq = i as u64 + 1;
        if r.member("tenant_id") != case_id {
            p.push(format!(
                "tenant_id is {:?}, not the case id {case_id}",
                r.member("tenant_id")
            ));
        }
        if r.seq != expected_seq {
            p.push(format!("expected seq {expected_seq}"));
        }
        if r.member("hash") != r.computed {
            p.push(format!(
                "hash mismatch: stored {}, computed {}",
                r.member("hash"),
                r.computed
            ));
        }
        if r.member("prev_hash") != prev {
            p.push(format!(
                "prev_hash {} is not the hash of the record before ({prev})",
                r.member("prev_hash")
            ));
        }
        if r.timestamp < prev_time {
            p.push(format!(
                "timestamp {} is before the record before ({prev_time})",
                r.timestamp
            ));
        }
        prev = r.member("hash").to_string();
        prev_time = r.timestamp.clone();
        out.push(p);
    }
    out
}

/// Checks the log's chain (SPEC section 3) over what `read` gave.
pub fn status(case_id: &str, records: &[LogRecord]) -> LogStatus {
    let breaks = records
        .iter()
        .zip(problems(case_id, records))
        .flat_map(|(r, p)| p.into_iter().map(move |p| format!("seq {}: {p}", r.seq)))
        .collect();
    LogStatus {
        records: records.len() as u64,
        head: records.last().map(|r| LogHead {
            seq: r.seq,
            hash: r.member("hash").to_string(),
        }),
        breaks,
    }
}

/// Every record of the examiner log, in seq order, each with what the chain check found.
pub fn entries(case_id: &str, records: &[LogRecord]) -> Vec<LogEntry> {
    records
        .iter()
        .zip(problems(case_id, records))
        .map(|(r, problems)| LogEntry {
            seq: r.seq,
            timestamp: r.timestamp.clone(),
            examiner: r.member("actor_display").to_string(),
            action: r.member("action").to_string(),
            details: r.record["metadata"].to_string(),
            hash: r.member("hash").to_string(),
            problems,
        })
        .collect()
}
