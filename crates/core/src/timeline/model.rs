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
    /// Its hash and its links check out.
    Verified,
    /// A copy cannot be brought to canonical form.
    NotCanonical,
    /// A copy does not hash to its own `hash`.
    HashMismatch,
    /// Two sources hold different content for it.
    Diverged,
    /// A broken link, an invalid genesis or an anchor mismatch at its seq.
    ChainBroken,
    /// Another source should hold it and does not.
    MissingFromSource,
    /// Its chain holds, but no independent commitment (an export, a checkpoint, the live
    /// service, another source) reaches its seq: consistent, not verified.
    Consistent,
    /// Its tenant is held by two or more sources, this record by one only.
    OnlyInOneSource,
    /// A range of deleted seqs.
    Gap,
    /// An earlier or deleted version of a record, recovered from the evidence (SPEC section
    /// 10): an entry of its own beside the current one, its proof named by a flag
    /// (`proof_chain`, `proof_self`, `proof_none`).
    Recovered,
}

impl Integrity {
    /// Every state, in declaration order.
    pub const ALL: [Integrity; 10] = [
        Integrity::Verified,
        Integrity::NotCanonical,
        Integrity::HashMismatch,
        Integrity::Diverged,
        Integrity::ChainBroken,
        Integrity::MissingFromSource,
        Integrity::Consistent,
        Integrity::OnlyInOneSource,
        Integrity::Gap,
        Integrity::Recovered,
    ];

    /// Whether the evidence shows something wrong with the entry. `consistent` (the chain
    /// holds, nothing independent anchors it), `only_in_one_source` (one input holds it, by
    /// itself no sign of tampering) and `recovered` (an earlier version found in the evidence:
    /// what is wrong is said by the current entry beside it) are not problems; everything else,
    /// a deleted range included, is. The timeline's problem strip, the app's marks and the reports' notable entries all
    /// ask this one question.
    pub fn is_problem(self) -> bool {
        !matches!(
            self,
            Integrity::Verified
                | Integrity::Consistent
                | Integrity::OnlyInOneSource
                | Integrity::Recovered
        )
    }

    /// The snake_case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Integrity::Verified => "verified",
            Integrity::NotCanonical => "not_canonical",
            Integrity::HashMismatch => "hash_mismatch",
            Integrity::Diverged => "diverged",
            Integrity::ChainBroken => "chain_broken",
            Integrity::MissingFromSource => "missing_from_source",
            Integrity::Consistent => "consistent",
            Integrity::OnlyInOneSource => "only_in_one_source",
            Integrity::Gap => "gap",
            Integrity::Recovered => "recovered",
        }
    }
}

/// Something a responder looks for.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A privileged action on someone else's call or record.
    PrivilegedIntervention,
    /// A change of settings (`changes` not null).
    ParameterChange,
    /// An export of more rows than its threshold.
    MassExport,
    /// A failure (outcome `failure`).
    Denied,
    /// One of many failures by one actor within a short window.
    DenialBurst,
    /// Outside usual working hours (UTC).
    OffHours,
    /// A recovered version that the rest of the evidence commits to: the original.
    ProofChain,
    /// A recovered version that hashes to its own hash, which nothing else commits to.
    ProofSelf,
    /// A recovered version that does not hash to its own hash.
    ProofNone,
}

impl Flag {
    /// Every flag, in declaration (and `Ord`) order.
    pub const ALL: [Flag; 9] = [
        Flag::PrivilegedIntervention,
        Flag::ParameterChange,
        Flag::MassExport,
        Flag::Denied,
        Flag::DenialBurst,
        Flag::OffHours,
        Flag::ProofChain,
        Flag::ProofSelf,
        Flag::ProofNone,
    ];

    /// The snake_case name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::PrivilegedIntervention => "privileged_intervention",
            Flag::ParameterChange => "parameter_change",
            Flag::MassExport => "mass_export",
            Flag::Denied => "denied",
            Flag::DenialBurst => "denial_burst",
            Flag::OffHours => "off_hours",
            Flag::ProofChain => "proof_chain",
            Flag::ProofSelf => "proof_self",
            Flag::ProofNone => "proof_none",
        }
    }
}

/// One of the dimension members an event carries from its record: who acted (actor), what was
/// done (action), on what and from where (context), and how it ended (outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    // Actor.
    /// `actor_user_id`: who acted.
    ActorUserId,
    /// `actor_role`: the actor's role.
    ActorRole,
    /// `actor_display`: the actor's display name.
    ActorDisplay,
    // Action.
    /// `action`: what was done.
    Action,
    /// `http_method`: the request's method.
    HttpMethod,
    /// `http_route`: the request's route.
    HttpRoute,
    /// `severity`: the record's severity.
    Severity,
    // Context.
    /// `actor_ip`: where the actor acted from.
    ActorIp,
    /// `resource_type`: the kind of resource acted on.
    ResourceType,
    /// `resource_id`: the resource acted on.
    ResourceId,
    /// `resource_display`: the resource's display name.
    ResourceDisplay,
    // Outcome.
    /// `outcome`: how it ended.
    Outcome,
    /// `outcome_reason`: why it ended so.
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

    /// The dimension whose member is called `name`.
    pub fn named(name: &[u8]) -> Option<Dimension> {
        Some(match name {
            b"actor_user_id" => Dimension::ActorUserId,
            b"actor_role" => Dimension::ActorRole,
            b"actor_display" => Dimension::ActorDisplay,
            b"action" => Dimension::Action,
            b"http_method" => Dimension::HttpMethod,
            b"http_route" => Dimension::HttpRoute,
            b"severity" => Dimension::Severity,
            b"actor_ip" => Dimension::ActorIp,
            b"resource_type" => Dimension::ResourceType,
            b"resource_id" => Dimension::ResourceId,
            b"resource_display" => Dimension::ResourceDisplay,
            b"outcome" => Dimension::Outcome,
            b"outcome_reason" => Dimension::OutcomeReason,
            _ => return None,
        })
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
    /// A record or a gap.
    pub kind: Kind,
    /// The record's tenant.
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
    /// The record's `actor_user_id`.
    pub actor_user_id: Option<String>,
    /// The record's `actor_role`.
    pub actor_role: Option<String>,
    /// The record's `actor_display`.
    pub actor_display: Option<String>,
    // Action.
    /// The record's `action`.
    pub action: Option<String>,
    /// The record's `http_method`.
    pub http_method: Option<String>,
    /// The record's `http_route`.
    pub http_route: Option<String>,
    /// The record's `severity`.
    pub severity: Option<String>,
    // Context.
    /// The record's `actor_ip`.
    pub actor_ip: Option<String>,
    /// The record's `resource_type`.
    pub resource_type: Option<String>,
    /// The record's `resource_id`.
    pub resource_id: Option<String>,
    /// The record's `resource_display`.
    pub resource_display: Option<String>,
    // Outcome.
    /// The record's `outcome`.
    pub outcome: Option<String>,
    /// The record's `outcome_reason`.
    pub outcome_reason: Option<String>,
    /// The inputs that hold it (for a gap: the inputs it is missing from).
    pub sources: Vec<String>,
    /// How far it can be trusted.
    pub integrity: Integrity,
    /// For `diverged`: the members that differ between sources.
    pub diverged_fields: Vec<String>,
    /// For `missing_from_source`: the inputs that should hold it and do not.
    pub missing_from: Vec<String>,
    /// What a responder looks for in it, in [`Flag`] order.
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
    /// Record entries.
    pub events: u64,
    /// Gap entries.
    pub gaps: u64,
    /// Records that name no tenant or seq and so cannot be placed.
    pub unplaced_records: u64,
    /// Every tenant, sorted.
    pub tenants: Vec<String>,
    /// Every input that contributed records, in the order they were read.
    pub sources: Vec<String>,
    /// Timestamp of the first entry that has one.
    pub first_timestamp: Option<String>,
    /// Timestamp of the last entry that has one.
    pub last_timestamp: Option<String>,
    /// Entries by integrity state.
    pub integrity: BTreeMap<String, u64>,
    /// Entries by flag.
    pub flags: BTreeMap<String, u64>,
    /// Failures by one actor that made a burst ([`TimelineOptions::burst_count`]).
    pub burst_count: usize,
    /// Window of a burst, in minutes ([`TimelineOptions::burst_minutes`]).
    pub burst_minutes: u64,
    /// The off-hours rule, in words.
    pub off_hours_rule: String,
    /// The verdict of the verification run the timeline was joined with.
    pub verdict: String,
}

/// A reconstructed timeline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// Every entry, in timeline order.
    pub events: Vec<Event>,
    /// Counts over them.
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
            assert_eq!(Dimension::named(d.name().as_bytes()), Some(d));
        }
        let text = serde_json::to_string(&e).unwrap();
        let at: Vec<usize> = Dimension::ALL
            .iter()
            .map(|d| text.find(&format!("\"{}\":", d.name())).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
