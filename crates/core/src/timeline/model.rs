//! The timeline's data model: its entries ([`Event`], a record or a gap), their integrity
//! states ([`Integrity`]), the flags a responder looks for ([`Flag`]), the summary and the
//! tunables.
//!
//! Invariants: these types are what every output format and the app's TypeScript bindings
//! carry, under their serde (snake_case) names, which [`Integrity::as_str`], [`Flag::as_str`]
//! and [`Dimension::name`] return too; [`Integrity::ALL`], [`Flag::ALL`] and [`Dimension::ALL`]
//! list every variant once, in declaration order (for the first two, their `Ord` order; for
//! dimensions, the order of the fields of [`Event`]), so `ALL[v as usize] == v`.

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

/// Integrity state of an entry (see [`super::integrity`] for the precedence).
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
    /// Every state, in declaration order.
    pub const ALL: [Integrity; 9] = [
        Integrity::Verified,
        Integrity::NotCanonical,
        Integrity::HashMismatch,
        Integrity::Diverged,
        Integrity::ChainBroken,
        Integrity::MissingFromSource,
        Integrity::Unanchored,
        Integrity::OnlyInOneSource,
        Integrity::Gap,
    ];

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
    /// Every flag, in declaration (and `Ord`) order.
    pub const ALL: [Flag; 6] = [
        Flag::PrivilegedIntervention,
        Flag::ParameterChange,
        Flag::MassExport,
        Flag::Denied,
        Flag::DenialBurst,
        Flag::OffHours,
    ];

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

/// One of the dimension members an event carries from its record: who acted (actor), what was
/// done (action), on what and from where (context), and how it ended (outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    // Actor.
    ActorUserId,
    ActorRole,
    ActorDisplay,
    // Action.
    Action,
    HttpMethod,
    HttpRoute,
    Severity,
    // Context.
    ActorIp,
    ResourceType,
    ResourceId,
    ResourceDisplay,
    // Outcome.
    Outcome,
    OutcomeReason,
}

impl Dimension {
    /// The number of dimensions.
    pub const COUNT: usize = 13;

    /// Every dimension, in the order of the fields of [`Event`].
    pub const ALL: [Dimension; Dimension::COUNT] = [
        Dimension::ActorUserId,
        Dimension::ActorRole,
        Dimension::ActorDisplay,
        Dimension::Action,
        Dimension::HttpMethod,
        Dimension::HttpRoute,
        Dimension::Severity,
        Dimension::ActorIp,
        Dimension::ResourceType,
        Dimension::ResourceId,
        Dimension::ResourceDisplay,
        Dimension::Outcome,
        Dimension::OutcomeReason,
    ];

    /// The member's name, in a record and in an [`Event`].
    pub const fn name(self) -> &'static str {
        match self {
            Dimension::ActorUserId => "actor_user_id",
            Dimension::ActorRole => "actor_role",
            Dimension::ActorDisplay => "actor_display",
            Dimension::Action => "action",
            Dimension::HttpMethod => "http_method",
            Dimension::HttpRoute => "http_route",
            Dimension::Severity => "severity",
            Dimension::ActorIp => "actor_ip",
            Dimension::ResourceType => "resource_type",
            Dimension::ResourceId => "resource_id",
            Dimension::ResourceDisplay => "resource_display",
            Dimension::Outcome => "outcome",
            Dimension::OutcomeReason => "outcome_reason",
        }
    }

    /// The dimension's position in [`Dimension::ALL`].
    pub const fn index(self) -> usize {
        self as usize
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
    /// An entry of `kind` for (`tenant_id`, `seq`) in state `integrity`, with nothing else known
    /// yet: no time, dimensions, sources, flags or findings.
    pub fn new(kind: Kind, tenant_id: String, seq: u64, integrity: Integrity) -> Event {
        Event {
            kind,
            tenant_id,
            seq,
            seq_end: None,
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
            integrity,
            diverged_fields: Vec::new(),
            missing_from: Vec::new(),
            flags: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// A gap entry (deleted range `seq..=seq_end` of `tenant_id`), with no time, sources or
    /// findings yet.
    pub fn gap(tenant_id: String, seq: u64, seq_end: Option<u64>) -> Event {
        Event {
            seq_end,
            ..Event::new(Kind::Gap, tenant_id, seq, Integrity::Gap)
        }
    }

    /// The value of dimension `d`.
    pub fn dimension(&self, d: Dimension) -> Option<&str> {
        self.dimension_field(d).as_deref()
    }

    /// Every dimension's value, in [`Dimension::ALL`] order.
    pub fn dimensions(&self) -> [Option<&str>; Dimension::COUNT] {
        Dimension::ALL.map(|d| self.dimension(d))
    }

    /// The field of dimension `d`, to set.
    pub fn dimension_mut(&mut self, d: Dimension) -> &mut Option<String> {
        match d {
            Dimension::ActorUserId => &mut self.actor_user_id,
            Dimension::ActorRole => &mut self.actor_role,
            Dimension::ActorDisplay => &mut self.actor_display,
            Dimension::Action => &mut self.action,
            Dimension::HttpMethod => &mut self.http_method,
            Dimension::HttpRoute => &mut self.http_route,
            Dimension::Severity => &mut self.severity,
            Dimension::ActorIp => &mut self.actor_ip,
            Dimension::ResourceType => &mut self.resource_type,
            Dimension::ResourceId => &mut self.resource_id,
            Dimension::ResourceDisplay => &mut self.resource_display,
            Dimension::Outcome => &mut self.outcome,
            Dimension::OutcomeReason => &mut self.outcome_reason,
        }
    }

    fn dimension_field(&self, d: Dimension) -> &Option<String> {
        match d {
            Dimension::ActorUserId => &self.actor_user_id,
            Dimension::ActorRole => &self.actor_role,
            Dimension::ActorDisplay => &self.actor_display,
            Dimension::Action => &self.action,
            Dimension::HttpMethod => &self.http_method,
            Dimension::HttpRoute => &self.http_route,
            Dimension::Severity => &self.severity,
            Dimension::ActorIp => &self.actor_ip,
            Dimension::ResourceType => &self.resource_type,
            Dimension::ResourceId => &self.resource_id,
            Dimension::ResourceDisplay => &self.resource_display,
            Dimension::Outcome => &self.outcome,
            Dimension::OutcomeReason => &self.outcome_reason,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` lists every variant in declaration order, and the names are the serde names.
    #[test]
    fn lists_are_in_declaration_order_and_named_as_serialized() {
        let serde_name = |v: serde_json::Value| v.as_str().unwrap().to_string();
        for (i, v) in Integrity::ALL.into_iter().enumerate() {
            assert_eq!(v as usize, i);
            assert_eq!(serde_name(serde_json::to_value(v).unwrap()), v.as_str());
        }
        for (i, v) in Flag::ALL.into_iter().enumerate() {
            assert_eq!(v as usize, i);
            assert_eq!(serde_name(serde_json::to_value(v).unwrap()), v.as_str());
        }
        assert!(Flag::ALL.windows(2).all(|w| w[0] < w[1]));
        let mut e = Event::gap("t".into(), 1, None);
        for (i, d) in Dimension::ALL.into_iter().enumerate() {
            assert_eq!(d.index(), i);
            *e.dimension_mut(d) = Some(d.name().to_string());
        }
        // Each dimension is the event field of its name, in field order.
        let json = serde_json::to_value(&e).unwrap();
        for d in Dimension::ALL {
            assert_eq!(json[d.name()], d.name());
            assert_eq!(e.dimension(d), Some(d.name()));
        }
        let text = serde_json::to_string(&e).unwrap();
        let at: Vec<usize> = Dimension::ALL
            .iter()
            .map(|d| text.find(&format!("\"{}\":", d.name())).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
