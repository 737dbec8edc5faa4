//! What a report and an export carry of the investigation's case file (`trailproof-casefile`):
//! the case, its evidence with what re-hashing found, the examiner's annotations and analyst
//! events, and the head of the examiner's own hash-chained log. The case file produces these
//! types; the report writers and the app render them. Analyst events are the examiner's, never
//! the evidence's: every writer marks them as such.

use serde::{Deserialize, Serialize};

/// One evidence file of the case, as recorded when it was added.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Path, relative to the case file's folder when it can be.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Kind (`sqlite`, `export-pdf`, `jsonl`, ...).
    pub kind: String,
    /// When it was added, canonical UTC.
    pub added: String,
    /// The case's verdict when it was added.
    pub verdict: String,
}

/// What re-hashing found for one evidence file.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EvidenceState {
    /// Same size and SHA-256 as when added.
    Unchanged,
    /// The file is there but its bytes differ: its earlier results are not current.
    Changed {
        /// Its size now.
        size_now: u64,
        /// Its SHA-256 now.
        sha256_now: String,
    },
    /// The file cannot be read (gone, or no permission): its earlier results are not current.
    Missing {
        /// Why it could not be read.
        reason: String,
    },
}

/// One evidence file against its record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceCheck {
    /// The evidence as recorded.
    #[serde(flatten)]
    pub evidence: Evidence,
    /// What it is now.
    #[serde(flatten)]
    pub now: EvidenceState,
}

/// A note on a record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The note's number in the case.
    pub id: u64,
    /// Its current text.
    pub text: String,
    /// When it was first written, canonical UTC.
    pub written: String,
    /// When it was last rewritten, if it was.
    pub edited: Option<String>,
}

/// Everything the examiner said about one record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// The record's tenant.
    pub tenant_id: String,
    /// The record's seq.
    pub seq: u64,
    /// The input the examiner named, if any.
    pub source: Option<String>,
    /// Starred now.
    pub starred: bool,
    /// Tags now, sorted.
    pub tags: Vec<String>,
    /// Notes, in the order they were written.
    pub notes: Vec<Note>,
}

impl Annotation {
    /// Nothing is left on the record (every star and tag taken back, no note).
    pub fn is_empty(&self) -> bool {
        !self.starred && self.tags.is_empty() && self.notes.is_empty()
    }

    /// The annotation is about this entry of `tenant` at `seq` read from `sources`.
    pub fn applies_to(&self, tenant: &str, seq: u64, sources: &[String]) -> bool {
        self.tenant_id == tenant
            && self.seq == seq
            && self.source.as_ref().is_none_or(|s| sources.contains(s))
    }
}

/// An event the examiner learned elsewhere ("14:02 call with the CFO"), kept apart from the
/// evidence's events.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalystEvent {
    /// Its number in the case.
    pub id: u64,
    /// When it happened, canonical UTC.
    pub time: String,
    /// What happened.
    pub text: String,
    /// When it was recorded, canonical UTC.
    pub recorded: String,
    /// Withdrawn by the examiner (kept, marked).
    pub withdrawn: bool,
}

/// The head of the examiner log: its last record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    /// The last record's seq.
    pub seq: u64,
    /// The last record's hash.
    pub hash: String,
}

/// Whether the examiner log is whole: every record hashes to its `hash`, each chains to the one
/// before, seq runs 1, 2, 3..., one tenant (the case id), time never goes back.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogStatus {
    /// How many records the log holds.
    pub records: u64,
    /// Its head, if it holds any.
    pub head: Option<LogHead>,
    /// Every break found, as "seq N: what" (empty when the log is whole).
    pub breaks: Vec<String>,
}

impl LogStatus {
    /// The log is whole.
    pub fn is_whole(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// One record of the examiner log as the examiner reads it back, with what the chain check
/// found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// seq.
    pub seq: u64,
    /// When the action was taken, canonical UTC.
    pub timestamp: String,
    /// Who took it (`actor_display`).
    pub examiner: String,
    /// The action (`annotation.tagged`, ...).
    pub action: String,
    /// Its `metadata` as compact JSON (the target record, the tag, the note's text, ...).
    pub details: String,
    /// Its stored hash.
    pub hash: String,
    /// What is wrong with it in the chain (empty: it verifies).
    pub problems: Vec<String>,
}

/// The case a report or export was made from.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseHandover {
    /// The case id (the examiner log's `tenant_id`).
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
    /// Display time zone (IANA name) of the case's sections; JSON stays UTC.
    pub time_zone: String,
    /// When the case was created, canonical UTC.
    pub created: String,
    /// Every evidence file with what re-hashing found when the report was made.
    pub evidence: Vec<EvidenceCheck>,
    /// The annotated records.
    pub annotations: Vec<Annotation>,
    /// The analyst events (withdrawn ones included, marked).
    pub analyst_events: Vec<AnalystEvent>,
    /// The examiner log: its head and whether its chain is whole.
    pub examiner_log: LogStatus,
    /// Differences between the case file's tables and its log.
    pub inconsistencies: Vec<String>,
}
