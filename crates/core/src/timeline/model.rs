//! The timeline's data model: its entries ([`Event`], a record or a gap), their integrity
//! states ([`Integrity`]), the flags a responder looks for ([`Flag`]), the summary and the
//! tunables.
//!
//! Invariants: these types are what every output format and the app's TypeScript bindings
//! carry, under their serde (snake_case) names, which [`Integrity::as_str`] and [`Flag::as_str`]
//! return too; [`Integrity::ALL`] and [`Flag::ALL`] list every variant once, in declaration
//! order (which is their `Ord` order).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::Code;

/// Tunables of a timeline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineOptions {
    /// Failures by one actor that make a burst.
    pub burst_count: usize,
    /// Window of a burst, in minutes.
    pub burst_minutes: u64,
}

impl Default for TimelineOptions {
    fn default() -> Self {
        TimelineOptions {
            burst_count: 5,
            burst_minutes: 10,
        }
    }
}

/// What an entry of the timeline is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One record (tenant, seq).
    Event,
    /// A range of deleted seqs (`seq`..=`seq_end`).
    Gap,
}

/// Integrity state of an entry (see the module docs for the precedence).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    Verified,
    NotCanonical,
    HashMismatch,
    Diverged,
    ChainBroken,
    MissingFromSource,
    Unanchored,
    OnlyInOneSource,
    Gap,
}

impl Integrity {
    pub fn as_str(self) -> &'static str {
        match self {
            Integrity::Verified => "verified",
            Integrity::NotCanonical => "not_canonical",
            Integrity::HashMismatch => "hash_mismatch",
            Integrity::Diverged => "diverged",
            Integrity::ChainBroken => "chain_broken",
            Integrity::MissingFromSource => "missing_from_source",
            Integrity::Unanchored => "unanchored",
            Integrity::OnlyInOneSource => "only_in_one_source",
            Integrity::Gap => "gap",
        }
    }
}

/// Something a responder looks for.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    PrivilegedIntervention,
    ParameterChange,
    MassExport,
    Denied,
    DenialBurst,
    OffHours,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::PrivilegedIntervention => "privileged_intervention",
            Flag::ParameterChange => "parameter_change",
            Flag::MassExport => "mass_export",
            Flag::Denied => "denied",
            Flag::DenialBurst => "denial_burst",
            Flag::OffHours => "off_hours",
        }
    }
}

/// One entry of a timeline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: Kind,
    pub tenant_id: String,
    /// The record's seq; for a gap, the first missing seq.
    pub seq: u64,
    /// For a gap: the last missing seq.
    pub seq_end: Option<u64>,
    /// Canonical timestamp (nanoseconds); for a gap, that of the record before it (or after it,
    /// for a gap at the start of a chain). `None` when it cannot be read.
    pub timestamp: Option<String>,
    /// Microseconds since the Unix epoch, UTC.
    pub micros: Option<i64>,
    // Actor.
    pub actor_user_id: Option<String>,
    pub actor_role: Option<String>,
    pub actor_display: Option<String>,
    // Action.
    pub action: Option<String>,
    pub http_method: Option<String>,
    pub http_route: Option<String>,
    pub severity: Option<String>,
    // Context.
    pub actor_ip: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_display: Option<String>,
    // Outcome.
    pub outcome: Option<String>,
    pub outcome_reason: Option<String>,
    /// The inputs that hold it (for a gap: the inputs it is missing from).
    pub sources: Vec<String>,
    pub integrity: Integrity,
    /// For `diverged`: the members that differ between sources.
    pub diverged_fields: Vec<String>,
    /// For `missing_from_source`: the inputs that should hold it and do not.
    pub missing_from: Vec<String>,
    pub flags: Vec<Flag>,
    /// Codes of the report's findings about this (tenant, seq), sorted, unique.
    pub findings: Vec<Code>,
}

impl Event {
    /// A gap entry (deleted range `seq..=seq_end` of `tenant_id`), with no time, sources or
    /// findings yet.
    pub fn gap(tenant_id: String, seq: u64, seq_end: Option<u64>) -> Event {
        Event {
            kind: Kind::Gap,
            tenant_id,
            seq,
            seq_end,
            timestamp: None,
            micros: None,
            actor_user_id: None,
            actor_role: None,
            actor_display: None,
            action: None,
            http_method: None,
            http_route: None,
            severity: None,
            actor_ip: None,
            resource_type: None,
            resource_id: None,
            resource_display: None,
            outcome: None,
            outcome_reason: None,
            sources: Vec::new(),
            integrity: Integrity::Gap,
            diverged_fields: Vec::new(),
            missing_from: Vec::new(),
            flags: Vec::new(),
            findings: Vec::new(),
        }
    }
}

/// Counts over a timeline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub events: u64,
    pub gaps: u64,
    /// Records that name no tenant or seq and so cannot be placed.
    pub unplaced_records: u64,
    pub tenants: Vec<String>,
    pub sources: Vec<String>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub integrity: BTreeMap<String, u64>,
    pub flags: BTreeMap<String, u64>,
    pub burst_count: usize,
    pub burst_minutes: u64,
    pub off_hours_rule: String,
    /// The verdict of the verification run the timeline was joined with.
    pub verdict: String,
}

/// A reconstructed timeline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub events: Vec<Event>,
    pub summary: Summary,
}
