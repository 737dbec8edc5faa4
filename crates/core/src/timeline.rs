//! Timeline reconstruction: what happened, in order, across every source of a case, and how far
//! each event can be trusted.
//!
//! A [`Collector`] takes checked records ([`Checked`]) from any number of sources (export payload
//! records, dump records) and keeps one compact slot per (tenant, seq): the four dimensions of the
//! record (actor, action, context, outcome), the sources that hold it, whether each copy hashed
//! to its own hash, and a content digest to notice copies that differ. It never keeps a raw record.
//! [`Collector::finish`] joins the slots with the findings of the case's [`Report`] and returns a
//! [`Timeline`]: events ordered by canonical timestamp, then tenant, then seq, with deleted seq
//! ranges (`seq_gap` findings) as gap entries between their neighbours.
//!
//! Integrity state of an event (the first that applies, in this order):
//! `not_canonical` (a copy cannot be brought to canonical form), `hash_mismatch` (a copy does not
//! hash to its own `hash`), `diverged` (two sources hold different content for it; the fields are
//! named), `chain_broken` (`chain_link_broken`, `genesis_invalid` or `anchor_mismatch` at its seq),
//! `missing_from_source` (a `record_missing` finding: another source should hold it and does not;
//! the sources are named), `unanchored` (its tenant has an export in the case but the record lies
//! after every such export's chain head, so no export vouches for it), `only_in_one_source` (its
//! tenant is held by two or more sources and only one holds this record, e.g. a record outside an
//! export's scope), `verified` (hash ok and links ok). Gap entries have state `gap`.
//!
//! Flags: `privileged_intervention` (action `call.barge`, `call.whisper`, `transcript.override`),
//! `parameter_change` (`changes` not null), `mass_export` (`metadata.row_count` >
//! `metadata.threshold`, both numbers), `denied` (outcome `failure`), `denial_burst` (at least N
//! failures by one actor of one tenant within T minutes; every failure of such a window is
//! flagged), `off_hours` (timestamp outside 07:00:00-19:59:59 UTC: a deliberately simple rule
//! that ignores tenants' own time zones).
//!
//! Determinism: the order is total (timestamp, tenant, seq, kind), sources are listed in the
//! order they were added, findings and flags in a fixed order; nothing depends on the clock, the
//! time zone or hash-map iteration order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::case::Report;
use crate::finding::{Code, Finding};
use crate::json::Value;
use crate::record::{Checked, Digest};
use crate::time::Instant;

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

/// First UTC hour of usual working hours (inclusive).
pub const DAY_START_HOUR: i64 = 7;
/// End of usual working hours, UTC (exclusive).
pub const DAY_END_HOUR: i64 = 20;

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

/// Actions that let a privileged user act on someone else's live call or record.
pub const PRIVILEGED_ACTIONS: [&str; 3] = ["call.barge", "call.whisper", "transcript.override"];

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

/// Identifies a source added to a [`Collector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId(u16);

/// The dimension members kept per event, in [`Event`] order.
const FIELDS: [&str; 13] = [
    "actor_user_id",
    "actor_role",
    "actor_display",
    "action",
    "http_method",
    "http_route",
    "severity",
    "actor_ip",
    "resource_type",
    "resource_id",
    "resource_display",
    "outcome",
    "outcome_reason",
];

struct Slot {
    tenant: u32,
    seq: u64,
    nanos: Option<i64>,
    fields: [Option<Box<str>>; 13],
    changes: bool,
    mass_export: bool,
    /// Computed hash of the first copy: copies with another one differ in content.
    content: Option<Digest>,
    stored: Option<Digest>,
    prev: Option<Digest>,
    hash_bad: bool,
    not_canonical: bool,
    sources: Vec<u16>,
    diverged: BTreeSet<String>,
}

/// Collects records from the sources of a case (see the module docs).
#[derive(Default)]
pub struct Collector {
    tenants: Vec<String>,
    tenant_ix: HashMap<String, u32>,
    /// Sources holding records of each tenant.
    tenant_sources: Vec<BTreeSet<u16>>,
    sources: Vec<String>,
    slots: Vec<Slot>,
    index: HashMap<(u32, u64), usize>,
    unplaced: u64,
}

fn text(v: Option<&Value>) -> Option<Box<str>> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.as_str().into()),
        other => Some(other.to_string().into()),
    }
}

fn is_mass_export(rec: &Value) -> bool {
    let Some(m) = rec.get("metadata") else {
        return false;
    };
    match (
        m.get("row_count").and_then(Value::as_f64),
        m.get("threshold").and_then(Value::as_f64),
    ) {
        (Some(n), Some(t)) => n > t,
        _ => false,
    }
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a source (an input path as the report names it).
    pub fn source(&mut self, name: &str) -> SourceId {
        if let Some(i) = self.sources.iter().position(|s| s == name) {
            return SourceId(i as u16);
        }
        self.sources.push(name.to_string());
        SourceId((self.sources.len() - 1) as u16)
    }

    /// Events collected so far.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds one checked record read from `src`.
    pub fn add(&mut self, src: SourceId, c: &Checked) {
        let (Some(t), Some(seq)) = (c.tenant_id.as_deref(), c.seq) else {
            self.unplaced += 1;
            return;
        };
        let tenant = match self.tenant_ix.get(t) {
            Some(&i) => i,
            None => {
                let i = self.tenants.len() as u32;
                self.tenants.push(t.to_string());
                self.tenant_ix.insert(t.to_string(), i);
                self.tenant_sources.push(BTreeSet::new());
                i
            }
        };
        self.tenant_sources[tenant as usize].insert(src.0);
        let hash_bad = c.content_ok() == Some(false);
        let not_canonical = !c.problems.is_empty();
        let fields = |rec: Option<&Value>| -> [Option<Box<str>>; 13] {
            std::array::from_fn(|i| rec.and_then(|r| text(r.get(FIELDS[i]))))
        };
        match self.index.get(&(tenant, seq)) {
            Some(&ix) => {
                let slot = &mut self.slots[ix];
                if !slot.sources.contains(&src.0) {
                    slot.sources.push(src.0);
                }
                slot.hash_bad |= hash_bad;
                slot.not_canonical |= not_canonical;
                let differs = match (slot.content, c.computed_hash) {
                    (Some(a), Some(b)) => a != b,
                    _ => slot.stored != c.stored_hash,
                };
                if differs {
                    let other = fields(c.record.as_ref());
                    for (i, (a, b)) in slot.fields.iter().zip(other.iter()).enumerate() {
                        if a != b {
                            slot.diverged.insert(FIELDS[i].to_string());
                        }
                    }
                    if slot.nanos != c.timestamp.as_ref().map(|i| i.nanos) {
                        slot.diverged.insert("timestamp".into());
                    }
                    if slot.stored != c.stored_hash {
                        slot.diverged.insert("hash".into());
                    }
                    if slot.prev != c.prev_hash {
                        slot.diverged.insert("prev_hash".into());
                    }
                    if slot.diverged.is_empty() {
                        slot.diverged.insert("(other members)".into());
                    }
                }
            }
            None => {
                let rec = c.record.as_ref();
                self.index.insert((tenant, seq), self.slots.len());
                self.slots.push(Slot {
                    tenant,
                    seq,
                    nanos: c.timestamp.as_ref().map(|i| i.nanos),
                    fields: fields(rec),
                    changes: rec
                        .and_then(|r| r.get("changes"))
                        .is_some_and(|v| !v.is_null()),
                    mass_export: rec.is_some_and(is_mass_export),
                    content: c.computed_hash,
                    stored: c.stored_hash,
                    prev: c.prev_hash,
                    hash_bad,
                    not_canonical,
                    sources: vec![src.0],
                    diverged: BTreeSet::new(),
                });
            }
        }
    }

    /// Joins the collected events with the report's findings. `export_heads` are the
    /// (tenant, chain head seq) of the exports of the case, for `unanchored`.
    pub fn finish(
        self,
        report: &Report,
        export_heads: &[(String, u64)],
        opts: &TimelineOptions,
    ) -> Timeline {
        let mut by_record: HashMap<(&str, u64), Vec<&Finding>> = HashMap::new();
        for f in &report.findings {
            if let (Some(t), Some(s)) = (f.tenant_id.as_deref(), f.seq) {
                by_record.entry((t, s)).or_default().push(f);
            }
        }
        let mut heads: HashMap<&str, u64> = HashMap::new();
        for (t, s) in export_heads {
            let h = heads.entry(t.as_str()).or_insert(0);
            *h = (*h).max(*s);
        }
        let mut events = Vec::with_capacity(self.slots.len());
        let mut keys: Vec<(Option<i64>, u32, u64, Kind)> = Vec::with_capacity(self.slots.len());
        let mut nanos_of: HashMap<(u32, u64), Option<i64>> = HashMap::new();
        for slot in self.slots {
            let tenant = self.tenants[slot.tenant as usize].as_str();
            let found: &[&Finding] = by_record
                .get(&(tenant, slot.seq))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let has = |codes: &[Code]| found.iter().any(|f| codes.contains(&f.code));
            let mut diverged = slot.diverged;
            for f in found
                .iter()
                .filter(|f| matches!(f.code, Code::RecordDiverged | Code::VisibleTextMismatch))
            {
                diverged.extend(f.fields.iter().map(|d| d.field.clone()));
                if f.fields.is_empty() {
                    diverged.insert("(content)".into());
                }
            }
            let missing_from: BTreeSet<String> = found
                .iter()
                .filter(|f| f.code == Code::RecordMissing)
                .filter_map(|f| f.input.clone())
                .collect();
            let holders = self.tenant_sources[slot.tenant as usize].len();
            let integrity = if slot.not_canonical || has(&[Code::NotCanonical]) {
                Integrity::NotCanonical
            } else if slot.hash_bad || has(&[Code::RecordHashMismatch]) {
                Integrity::HashMismatch
            } else if !diverged.is_empty() {
                Integrity::Diverged
            } else if has(&[
                Code::ChainLinkBroken,
                Code::GenesisInvalid,
                Code::AnchorMismatch,
            ]) {
                Integrity::ChainBroken
            } else if !missing_from.is_empty() {
                Integrity::MissingFromSource
            } else if heads.get(tenant).is_some_and(|&h| slot.seq > h) {
                Integrity::Unanchored
            } else if holders >= 2 && slot.sources.len() == 1 {
                Integrity::OnlyInOneSource
            } else {
                Integrity::Verified
            };
            let mut codes: Vec<Code> = found.iter().map(|f| f.code).collect();
            codes.sort();
            codes.dedup();
            let [actor_user_id, actor_role, actor_display, action, http_method, http_route, severity, actor_ip, resource_type, resource_id, resource_display, outcome, outcome_reason] =
                slot.fields.map(|f| f.map(String::from));
            let mut flags = Vec::new();
            if action
                .as_deref()
                .is_some_and(|a| PRIVILEGED_ACTIONS.contains(&a))
            {
                flags.push(Flag::PrivilegedIntervention);
            }
            if slot.changes {
                flags.push(Flag::ParameterChange);
            }
            if slot.mass_export {
                flags.push(Flag::MassExport);
            }
            if outcome.as_deref() == Some("failure") {
                flags.push(Flag::Denied);
            }
            if slot.nanos.is_some_and(off_hours) {
                flags.push(Flag::OffHours);
            }
            nanos_of.insert((slot.tenant, slot.seq), slot.nanos);
            keys.push((slot.nanos, slot.tenant, slot.seq, Kind::Event));
            events.push(Event {
                kind: Kind::Event,
                tenant_id: tenant.to_string(),
                seq: slot.seq,
                seq_end: None,
                timestamp: slot.nanos.map(|n| Instant { nanos: n }.canonical()),
                micros: slot.nanos.map(|n| Instant { nanos: n }.micros()),
                actor_user_id,
                actor_role,
                actor_display,
                action,
                http_method,
                http_route,
                severity,
                actor_ip,
                resource_type,
                resource_id,
                resource_display,
                outcome,
                outcome_reason,
                sources: slot
                    .sources
                    .iter()
                    .map(|&s| self.sources[s as usize].clone())
                    .collect(),
                integrity,
                diverged_fields: diverged.into_iter().collect(),
                missing_from: missing_from.into_iter().collect(),
                flags,
                findings: codes,
            });
        }
        // Gaps: one entry per deleted range, whatever the number of inputs that lack it.
        let mut gaps: BTreeMap<(&str, u64, u64), BTreeSet<&str>> = BTreeMap::new();
        for f in report.findings.iter().filter(|f| f.code == Code::SeqGap) {
            if let (Some(t), Some(s)) = (f.tenant_id.as_deref(), f.seq) {
                let e = gaps.entry((t, s, f.seq_end.unwrap_or(s))).or_default();
                if let Some(i) = &f.input {
                    e.insert(i.as_str());
                }
            }
        }
        for ((t, first, last), inputs) in gaps {
            let ti = self.tenant_ix.get(t).copied();
            let neighbour = |s: u64| ti.and_then(|ti| nanos_of.get(&(ti, s)).copied().flatten());
            let nanos = first
                .checked_sub(1)
                .and_then(neighbour)
                .or_else(|| last.checked_add(1).and_then(neighbour));
            let mut codes: Vec<Code> = (first..=last.min(first.saturating_add(10_000)))
                .flat_map(|s| by_record.get(&(t, s)).into_iter().flatten())
                .map(|f| f.code)
                .collect();
            codes.sort();
            codes.dedup();
            keys.push((nanos, ti.unwrap_or(u32::MAX), first, Kind::Gap));
            events.push(Event {
                kind: Kind::Gap,
                tenant_id: t.to_string(),
                seq: first,
                seq_end: Some(last),
                timestamp: nanos.map(|n| Instant { nanos: n }.canonical()),
                micros: nanos.map(|n| Instant { nanos: n }.micros()),
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
                sources: inputs.into_iter().map(str::to_string).collect(),
                integrity: Integrity::Gap,
                diverged_fields: Vec::new(),
                missing_from: Vec::new(),
                flags: Vec::new(),
                findings: codes,
            });
        }
        // Total order: timestamp (unreadable last), tenant name, seq, kind.
        let tenants = &self.tenants;
        let mut order: Vec<usize> = (0..events.len()).collect();
        order.sort_by(|&a, &b| {
            let (ka, kb) = (&keys[a], &keys[b]);
            let ts = |k: &(Option<i64>, u32, u64, Kind)| (k.0.is_none(), k.0);
            ts(ka)
                .cmp(&ts(kb))
                .then_with(|| events[a].tenant_id.cmp(&events[b].tenant_id))
                .then(ka.2.cmp(&kb.2))
                .then(ka.3.cmp(&kb.3))
        });
        let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
        let mut events: Vec<Event> = order.iter().filter_map(|&i| slots[i].take()).collect();
        mark_bursts(&mut events, opts);
        let mut summary = Summary {
            unplaced_records: self.unplaced,
            tenants: {
                let mut t = tenants.clone();
                t.sort();
                t
            },
            sources: self.sources.clone(),
            burst_count: opts.burst_count,
            burst_minutes: opts.burst_minutes,
            off_hours_rule: format!(
                "outside {DAY_START_HOUR:02}:00:00-{:02}:59:59 UTC",
                DAY_END_HOUR - 1
            ),
            verdict: report.verdict.as_str().to_string(),
            ..Summary::default()
        };
        for e in &events {
            match e.kind {
                Kind::Event => summary.events += 1,
                Kind::Gap => summary.gaps += 1,
            }
            *summary
                .integrity
                .entry(e.integrity.as_str().into())
                .or_default() += 1;
            for f in &e.flags {
                *summary.flags.entry(f.as_str().into()).or_default() += 1;
            }
        }
        summary.first_timestamp = events.iter().find_map(|e| e.timestamp.clone());
        summary.last_timestamp = events.iter().rev().find_map(|e| e.timestamp.clone());
        Timeline { events, summary }
    }
}

/// True when an instant lies outside usual working hours (UTC).
pub fn off_hours(nanos: i64) -> bool {
    let hour = nanos.div_euclid(1_000_000_000).rem_euclid(86_400) / 3_600;
    !(DAY_START_HOUR..DAY_END_HOUR).contains(&hour)
}

/// Flags `denial_burst` on every failure inside a window of `burst_minutes` that holds at least
/// `burst_count` failures by one actor of one tenant. `events` must be in timeline order.
fn mark_bursts(events: &mut [Event], opts: &TimelineOptions) {
    let n = opts.burst_count.max(1);
    let window = i64::try_from(opts.burst_minutes)
        .unwrap_or(i64::MAX / 60_000_000)
        .saturating_mul(60_000_000);
    let mut by_actor: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.outcome.as_deref() == Some("failure") && e.micros.is_some() {
            if let Some(a) = e.actor_user_id.as_deref() {
                by_actor.entry((&e.tenant_id, a)).or_default().push(i);
            }
        }
    }
    let mut marked = vec![false; events.len()];
    for ix in by_actor.values() {
        let t = |k: usize| events[ix[k]].micros.unwrap_or(0);
        let mut lo = 0;
        let mut next_unmarked = 0;
        for hi in 0..ix.len() {
            while t(hi) - t(lo) > window {
                lo += 1;
            }
            if hi + 1 - lo >= n {
                for k in lo.max(next_unmarked)..=hi {
                    marked[ix[k]] = true;
                }
                next_unmarked = hi + 1;
            }
        }
    }
    for (e, m) in events.iter_mut().zip(marked) {
        if m {
            e.flags.push(Flag::DenialBurst);
            e.flags.sort();
        }
    }
}

/// Output formats of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Jsonl,
    Csv,
    Timesketch,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "csv" => Format::Csv,
            "timesketch" => Format::Timesketch,
            _ => return None,
        })
    }
}

/// Writes a timeline in `format`.
pub fn write(tl: &Timeline, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, tl)?;
            writeln!(out)
        }
        Format::Jsonl => {
            for e in &tl.events {
                serde_json::to_writer(&mut *out, e)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => write_csv(tl, out),
        Format::Timesketch => {
            for e in &tl.events {
                serde_json::to_writer(&mut *out, &timesketch(e))?;
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 26] = [
    "kind",
    "tenant_id",
    "seq",
    "seq_end",
    "timestamp",
    "micros",
    "actor_user_id",
    "actor_role",
    "actor_display",
    "action",
    "http_method",
    "http_route",
    "severity",
    "actor_ip",
    "resource_type",
    "resource_id",
    "resource_display",
    "outcome",
    "outcome_reason",
    "sources",
    "integrity",
    "diverged_fields",
    "missing_from",
    "flags",
    "findings",
    "message",
];

/// Quotes one CSV field per RFC 4180 when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn join<T: AsRef<str>>(v: &[T], sep: &str) -> String {
    v.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(sep)
}

fn flag_names(e: &Event) -> Vec<&'static str> {
    e.flags.iter().map(|f| f.as_str()).collect()
}

fn code_names(e: &Event) -> Vec<&'static str> {
    e.findings.iter().map(|c| c.as_str()).collect()
}

/// RFC 4180: a header row, CRLF line ends, lists joined by `;`, absent values empty.
fn write_csv(tl: &Timeline, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
    out.write_all(b"\r\n")?;
    for e in &tl.events {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let row = [
            match e.kind {
                Kind::Event => "event".to_string(),
                Kind::Gap => "gap".to_string(),
            },
            e.tenant_id.clone(),
            e.seq.to_string(),
            e.seq_end.map(|s| s.to_string()).unwrap_or_default(),
            o(&e.timestamp),
            e.micros.map(|s| s.to_string()).unwrap_or_default(),
            o(&e.actor_user_id),
            o(&e.actor_role),
            o(&e.actor_display),
            o(&e.action),
            o(&e.http_method),
            o(&e.http_route),
            o(&e.severity),
            o(&e.actor_ip),
            o(&e.resource_type),
            o(&e.resource_id),
            o(&e.resource_display),
            o(&e.outcome),
            o(&e.outcome_reason),
            join(&e.sources, ";"),
            e.integrity.as_str().to_string(),
            join(&e.diverged_fields, ";"),
            join(&e.missing_from, ";"),
            join(&flag_names(e), ";"),
            join(&code_names(e), ";"),
            message(e),
        ];
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.write_all(line.join(",").as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// A one-line human description of an entry.
pub fn message(e: &Event) -> String {
    let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let mut m = match e.kind {
        Kind::Gap => {
            let last = e.seq_end.unwrap_or(e.seq);
            format!(
                "{} seq {}..{}: {} record(s) deleted",
                e.tenant_id,
                e.seq,
                last,
                last.saturating_sub(e.seq) + 1
            )
        }
        Kind::Event => {
            let mut m = format!(
                "{} seq {}: {} by {} ({}) {}",
                e.tenant_id,
                e.seq,
                d(&e.action),
                d(&e.actor_display),
                d(&e.actor_role),
                d(&e.outcome)
            );
            if let Some(r) = &e.outcome_reason {
                m.push_str(&format!(" ({r})"));
            }
            if let Some(r) = e.resource_display.as_ref().or(e.resource_id.as_ref()) {
                m.push_str(&format!(" on {r}"));
            }
            m
        }
    };
    m.push_str(&format!(" [{}]", e.integrity.as_str()));
    if !e.flags.is_empty() {
        m.push_str(&format!(" flags: {}", join(&flag_names(e), ", ")));
    }
    m
}

/// One Timesketch row: `message`, `datetime`, `timestamp`, `timestamp_desc` and the event's
/// fields flattened (lists comma-joined).
fn timesketch(e: &Event) -> serde_json::Value {
    let micros = e.micros.unwrap_or(0);
    let datetime = {
        let secs = micros.div_euclid(1_000_000);
        let frac = micros.rem_euclid(1_000_000);
        let canon = Instant {
            nanos: secs.saturating_mul(1_000_000_000),
        }
        .canonical();
        format!("{}.{frac:06}Z", &canon[..19])
    };
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        m.insert(k.to_string(), v);
    };
    put("message", message(e).into());
    put("datetime", datetime.into());
    put("timestamp", micros.into());
    put("timestamp_desc", "Event Recorded".into());
    put(
        "kind",
        match e.kind {
            Kind::Event => "event",
            Kind::Gap => "gap",
        }
        .into(),
    );
    put("tenant_id", e.tenant_id.clone().into());
    put("seq", e.seq.into());
    put("seq_end", e.seq_end.into());
    put("aef_timestamp", e.timestamp.clone().into());
    let opt = |v: &Option<String>| serde_json::Value::from(v.clone());
    put("actor_user_id", opt(&e.actor_user_id));
    put("actor_role", opt(&e.actor_role));
    put("actor_display", opt(&e.actor_display));
    put("action", opt(&e.action));
    put("http_method", opt(&e.http_method));
    put("http_route", opt(&e.http_route));
    put("severity", opt(&e.severity));
    put("actor_ip", opt(&e.actor_ip));
    put("resource_type", opt(&e.resource_type));
    put("resource_id", opt(&e.resource_id));
    put("resource_display", opt(&e.resource_display));
    put("outcome", opt(&e.outcome));
    put("outcome_reason", opt(&e.outcome_reason));
    put("sources", join(&e.sources, ",").into());
    put("integrity", e.integrity.as_str().into());
    put("diverged_fields", join(&e.diverged_fields, ",").into());
    put("missing_from", join(&e.missing_from, ",").into());
    put("flags", join(&flag_names(e), ",").into());
    put("findings", join(&code_names(e), ",").into());
    serde_json::Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_hours_rule() {
        let h =
            |hh: i64, mm: i64| (hh * 3600 + mm * 60) * 1_000_000_000 + 1_777_507_200_000_000_000;
        assert!(off_hours(h(6, 59)));
        assert!(!off_hours(h(7, 0)));
        assert!(!off_hours(h(19, 59)));
        assert!(off_hours(h(20, 0)));
        assert!(off_hours(-1));
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
