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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::{Code, Finding};
use crate::json::Value;
use crate::record::{Checked, Digest};
use crate::report::Report;
use crate::spill::{self, Interner, Sorted, Sorter};
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

/// One copy of a record as one source holds it: all the timeline keeps of it (never the raw
/// record). Spilled to disk with the collector's other copies when a case is large.
#[derive(Serialize, Deserialize)]
struct Held {
    src: u16,
    nanos: Option<i64>,
    fields: [Option<String>; 13],
    changes: bool,
    mass_export: bool,
    /// Computed hash: copies with another one differ in content.
    content: Option<Digest>,
    stored: Option<Digest>,
    prev: Option<Digest>,
    hash_bad: bool,
    not_canonical: bool,
}

/// What the collector keeps of one checked record of one source, read from the record alone
/// ([`Sighting::of`]), so that this part of the work can run on the cores that check records
/// while the collector takes them in order ([`Collector::add_sighting`]).
pub struct Sighting(Held);

impl Sighting {
    /// The copy `c` of source `src` as the collector keeps it.
    pub fn of(src: SourceId, c: &Checked) -> Sighting {
        let rec = c.record.as_ref();
        Sighting(Held {
            src: src.0,
            nanos: c.timestamp.as_ref().map(|i| i.nanos),
            fields: std::array::from_fn(|i| rec.and_then(|r| text(r.get(FIELDS[i])))),
            changes: rec
                .and_then(|r| r.get("changes"))
                .is_some_and(|v| !v.is_null()),
            mass_export: rec.is_some_and(is_mass_export),
            content: c.computed_hash,
            stored: c.stored_hash,
            prev: c.prev_hash,
            hash_bad: c.content_ok() == Some(false),
            not_canonical: !c.problems.is_empty(),
        })
    }
}

/// Every copy of one (tenant, seq), joined: the first copy's members, every source, and the
/// members in which later copies differ from the first.
struct Slot {
    tenant: u32,
    seq: u64,
    first: Held,
    hash_bad: bool,
    not_canonical: bool,
    sources: Vec<u16>,
    diverged: BTreeSet<String>,
}

impl Slot {
    fn new(tenant: u32, seq: u64, first: Held) -> Slot {
        Slot {
            tenant,
            seq,
            hash_bad: first.hash_bad,
            not_canonical: first.not_canonical,
            sources: vec![first.src],
            diverged: BTreeSet::new(),
            first,
        }
    }

    fn join(&mut self, c: Held) {
        if !self.sources.contains(&c.src) {
            self.sources.push(c.src);
        }
        self.hash_bad |= c.hash_bad;
        self.not_canonical |= c.not_canonical;
        let f = &self.first;
        let differs = match (f.content, c.content) {
            (Some(a), Some(b)) => a != b,
            _ => f.stored != c.stored,
        };
        if !differs {
            return;
        }
        for (i, (a, b)) in f.fields.iter().zip(c.fields.iter()).enumerate() {
            if a != b {
                self.diverged.insert(FIELDS[i].to_string());
            }
        }
        if f.nanos != c.nanos {
            self.diverged.insert("timestamp".into());
        }
        if f.stored != c.stored {
            self.diverged.insert("hash".into());
        }
        if f.prev != c.prev {
            self.diverged.insert("prev_hash".into());
        }
        if self.diverged.is_empty() {
            self.diverged.insert("(other members)".into());
        }
    }
}

/// Timeline order: timestamp (unreadable last), tenant (by name rank), seq, kind.
type TimeKey = (bool, i64, u32, u64, Kind);

fn time_key(nanos: Option<i64>, rank: u32, seq: u64, kind: Kind) -> TimeKey {
    (nanos.is_none(), nanos.unwrap_or(0), rank, seq, kind)
}

/// Collects records from the sources of a case (see the module docs).
///
/// Memory stays flat however many records arrive: copies are kept encoded in a run of at most
/// the spill budget, and runs past it go to anonymous temporary files ([`crate::spill`]). A
/// failure to write one is kept and returned by [`Collector::finish`] /
/// [`Collector::finish_stream`], never dropped.
pub struct Collector {
    tenants: Interner,
    /// Sources holding records of each tenant.
    tenant_sources: Vec<BTreeSet<u16>>,
    sources: Vec<String>,
    /// Copies by (tenant, seq), in arrival order within one key.
    copies: Sorter<(u32, u64), Held>,
    unplaced: u64,
    error: Option<io::Error>,
    dir: PathBuf,
    budget: usize,
}

impl Default for Collector {
    fn default() -> Self {
        Collector::with_spill(&std::env::temp_dir(), spill::DEFAULT_BUDGET)
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.as_str().into()),
        other => Some(other.to_string()),
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

/// A failure by an actor, for `denial_burst`.
struct Failure {
    rank: u32,
    actor: String,
    nanos: i64,
    micros: i64,
    seq: u64,
}

impl Collector {
    /// A collector that spills to the system's temporary directory (`TMPDIR`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector that spills to `dir` once `budget` bytes of copies are held (twice: the
    /// copies while collecting, the events while ordering them).
    pub fn with_spill(dir: &Path, budget: usize) -> Self {
        Collector {
            tenants: Interner::default(),
            tenant_sources: Vec::new(),
            sources: Vec::new(),
            copies: Sorter::new(dir, budget),
            unplaced: 0,
            error: None,
            dir: dir.to_path_buf(),
            budget,
        }
    }

    /// Registers a source (an input path as the report names it).
    pub fn source(&mut self, name: &str) -> SourceId {
        if let Some(i) = self.sources.iter().position(|s| s == name) {
            return SourceId(i as u16);
        }
        self.sources.push(name.to_string());
        SourceId((self.sources.len() - 1) as u16)
    }

    /// Copies collected so far (one event may have several).
    pub fn len(&self) -> u64 {
        self.copies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.copies.is_empty()
    }

    /// Where runs are spilled.
    pub fn spill_dir(&self) -> &Path {
        &self.dir
    }

    /// Runs of copies written to temporary files so far.
    pub fn spilled_runs(&self) -> usize {
        self.copies.spilled_runs()
    }

    /// Adds one checked record read from `src`.
    pub fn add(&mut self, src: SourceId, c: &Checked) {
        self.add_sighting(c, Sighting::of(src, c));
    }

    /// Like [`Collector::add`], with the copy's members already read ([`Sighting::of`], which
    /// may run on another thread while the collector is busy): `s` must come from `c`.
    pub fn add_sighting(&mut self, c: &Checked, s: Sighting) {
        let (Some(t), Some(seq)) = (c.tenant_id.as_deref(), c.seq) else {
            self.unplaced += 1;
            return;
        };
        if self.error.is_some() {
            return;
        }
        let (tenant, new) = self.tenants.id(t);
        if new {
            self.tenant_sources.push(BTreeSet::new());
        }
        let held = s.0;
        self.tenant_sources[tenant as usize].insert(held.src);
        if let Err(e) = self.copies.push((tenant, seq), &held) {
            self.error = Some(e);
        }
    }

    /// Joins the collected events with the report's findings. `export_heads` are the
    /// (tenant, chain head seq) of the exports of the case, for `unanchored`. Holds every event
    /// in memory: for large cases prefer [`Collector::finish_stream`].
    pub fn finish(
        self,
        report: &Report,
        export_heads: &[(String, u64)],
        opts: &TimelineOptions,
    ) -> io::Result<Timeline> {
        let mut stream = self.finish_stream(report, export_heads, opts)?;
        let events = stream.by_ref().collect::<io::Result<Vec<Event>>>()?;
        Ok(Timeline {
            events,
            summary: stream.summary,
        })
    }

    /// Like [`Collector::finish`], but hands the events over one by one, in timeline order, in
    /// flat memory. Memory that grows with the case: the report's findings, and the failures
    /// (outcome `failure`) for `denial_burst`.
    pub fn finish_stream(
        self,
        report: &Report,
        export_heads: &[(String, u64)],
        opts: &TimelineOptions,
    ) -> io::Result<Stream> {
        let Collector {
            tenants,
            tenant_sources,
            sources,
            copies,
            unplaced,
            error,
            dir,
            budget,
            ..
        } = self;
        let tenants = tenants.into_names();
        if let Some(e) = error {
            return Err(e);
        }
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
        // The timestamps of the records around each gap, filled in while joining.
        let mut neighbours: HashMap<(&str, u64), Option<i64>> = HashMap::new();
        for &(t, first, last) in gaps.keys() {
            for s in [first.checked_sub(1), last.checked_add(1)]
                .into_iter()
                .flatten()
            {
                neighbours.insert((t, s), None);
            }
        }
        // Tenants are ordered by name: rank them once.
        let mut names: Vec<&str> = tenants
            .iter()
            .map(String::as_str)
            .chain(gaps.keys().map(|k| k.0))
            .collect();
        names.sort_unstable();
        names.dedup();
        let rank = |t: &str| names.binary_search(&t).map_or(u32::MAX, |i| i as u32);
        let ranks: Vec<u32> = tenants.iter().map(|t| rank(t)).collect();

        let mut ordered: Sorter<TimeKey, Event> = Sorter::new(&dir, budget);
        let mut failures: Vec<Failure> = Vec::new();
        let mut emit = |slot: Slot| -> io::Result<()> {
            let tenant = tenants[slot.tenant as usize].as_str();
            let nanos = slot.first.nanos;
            if let Some(n) = neighbours.get_mut(&(tenant, slot.seq)) {
                *n = nanos;
            }
            let found: &[&Finding] = by_record
                .get(&(tenant, slot.seq))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let holders = tenant_sources[slot.tenant as usize].len();
            let head = heads.get(tenant).copied();
            let rank = ranks[slot.tenant as usize];
            let e = event_of(slot, tenant, found, holders, head, &sources);
            if let (Some("failure"), Some(actor), Some(micros), Some(nanos)) =
                (e.outcome.as_deref(), &e.actor_user_id, e.micros, nanos)
            {
                failures.push(Failure {
                    rank,
                    actor: actor.clone(),
                    nanos,
                    micros,
                    seq: e.seq,
                });
            }
            ordered.push(time_key(nanos, rank, e.seq, Kind::Event), &e)
        };
        let mut current: Option<Slot> = None;
        for item in copies.finish()? {
            let ((tenant, seq), held) = item?;
            match &mut current {
                Some(s) if s.tenant == tenant && s.seq == seq => s.join(held),
                _ => {
                    if let Some(s) = current.replace(Slot::new(tenant, seq, held)) {
                        emit(s)?;
                    }
                }
            }
        }
        if let Some(s) = current {
            emit(s)?;
        }
        for ((t, first, last), inputs) in gaps {
            let near = |s: Option<u64>| s.and_then(|s| neighbours.get(&(t, s)).copied().flatten());
            let nanos = near(first.checked_sub(1)).or_else(|| near(last.checked_add(1)));
            let mut codes: Vec<Code> = (first..=last.min(first.saturating_add(10_000)))
                .flat_map(|s| by_record.get(&(t, s)).into_iter().flatten())
                .map(|f| f.code)
                .collect();
            codes.sort();
            codes.dedup();
            let gap = Event {
                timestamp: nanos.map(|n| Instant { nanos: n }.canonical()),
                micros: nanos.map(|n| Instant { nanos: n }.micros()),
                sources: inputs.into_iter().map(str::to_string).collect(),
                findings: codes,
                ..Event::gap(t.to_string(), first, Some(last))
            };
            ordered.push(time_key(nanos, rank(t), first, Kind::Gap), &gap)?;
        }
        let summary = Summary {
            unplaced_records: unplaced,
            tenants: {
                let mut t = tenants.clone();
                t.sort();
                t
            },
            sources,
            burst_count: opts.burst_count,
            burst_minutes: opts.burst_minutes,
            off_hours_rule: format!(
                "outside {DAY_START_HOUR:02}:00:00-{:02}:59:59 UTC",
                DAY_END_HOUR - 1
            ),
            verdict: report.verdict.as_str().to_string(),
            ..Summary::default()
        };
        Ok(Stream {
            events: ordered.finish()?,
            bursts: bursts(failures, opts),
            summary,
            flagged: 0,
        })
    }
}

/// The event of a joined slot, with every flag but `denial_burst` (see the module docs for the
/// integrity precedence).
fn event_of(
    slot: Slot,
    tenant: &str,
    found: &[&Finding],
    holders: usize,
    head: Option<u64>,
    sources: &[String],
) -> Event {
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
    } else if head.is_some_and(|h| slot.seq > h) {
        Integrity::Unanchored
    } else if holders >= 2 && slot.sources.len() == 1 {
        Integrity::OnlyInOneSource
    } else {
        Integrity::Verified
    };
    let mut codes: Vec<Code> = found.iter().map(|f| f.code).collect();
    codes.sort();
    codes.dedup();
    let first = slot.first;
    let [actor_user_id, actor_role, actor_display, action, http_method, http_route, severity, actor_ip, resource_type, resource_id, resource_display, outcome, outcome_reason] =
        first.fields;
    let mut flags = Vec::new();
    if action
        .as_deref()
        .is_some_and(|a| PRIVILEGED_ACTIONS.contains(&a))
    {
        flags.push(Flag::PrivilegedIntervention);
    }
    if first.changes {
        flags.push(Flag::ParameterChange);
    }
    if first.mass_export {
        flags.push(Flag::MassExport);
    }
    if outcome.as_deref() == Some("failure") {
        flags.push(Flag::Denied);
    }
    if first.nanos.is_some_and(off_hours) {
        flags.push(Flag::OffHours);
    }
    Event {
        kind: Kind::Event,
        tenant_id: tenant.to_string(),
        seq: slot.seq,
        seq_end: None,
        timestamp: first.nanos.map(|n| Instant { nanos: n }.canonical()),
        micros: first.nanos.map(|n| Instant { nanos: n }.micros()),
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
            .map(|&s| sources[s as usize].clone())
            .collect(),
        integrity,
        diverged_fields: diverged.into_iter().collect(),
        missing_from: missing_from.into_iter().collect(),
        flags,
        findings: codes,
    }
}

/// The events of a finished [`Collector`], in timeline order (an iterator of
/// `io::Result<Event>`: reading a spilled run back can fail). [`Stream::summary`] is complete
/// once the stream is exhausted.
pub struct Stream {
    events: Sorted<TimeKey, Event>,
    /// (tenant rank, seq) of the failures inside a `denial_burst` window.
    bursts: HashSet<(u32, u64)>,
    summary: Summary,
    flagged: u64,
}

impl Stream {
    /// The summary of the events handed out so far (all of them, once exhausted).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Events handed out so far that carry at least one flag.
    pub fn flagged(&self) -> u64 {
        self.flagged
    }
}

impl Iterator for Stream {
    type Item = io::Result<Event>;

    fn next(&mut self) -> Option<io::Result<Event>> {
        let ((_, _, rank, seq, kind), mut e) = match self.events.next()? {
            Ok(v) => v,
            Err(err) => return Some(Err(err)),
        };
        if kind == Kind::Event && self.bursts.contains(&(rank, seq)) {
            e.flags.push(Flag::DenialBurst);
            e.flags.sort();
        }
        let s = &mut self.summary;
        match e.kind {
            Kind::Event => s.events += 1,
            Kind::Gap => s.gaps += 1,
        }
        *s.integrity.entry(e.integrity.as_str().into()).or_default() += 1;
        for f in &e.flags {
            *s.flags.entry(f.as_str().into()).or_default() += 1;
        }
        self.flagged += u64::from(!e.flags.is_empty());
        if let Some(t) = &e.timestamp {
            if s.first_timestamp.is_none() {
                s.first_timestamp = Some(t.clone());
            }
            s.last_timestamp = Some(t.clone());
        }
        Some(Ok(e))
    }
}

/// True when an instant lies outside usual working hours (UTC).
pub fn off_hours(nanos: i64) -> bool {
    let hour = nanos.div_euclid(1_000_000_000).rem_euclid(86_400) / 3_600;
    !(DAY_START_HOUR..DAY_END_HOUR).contains(&hour)
}

/// The failures to flag `denial_burst`: every failure inside a window of `burst_minutes` that
/// holds at least `burst_count` failures by one actor of one tenant. Returns (tenant rank, seq).
fn bursts(mut failures: Vec<Failure>, opts: &TimelineOptions) -> HashSet<(u32, u64)> {
    let n = opts.burst_count.max(1);
    let window = i64::try_from(opts.burst_minutes)
        .unwrap_or(i64::MAX / 60_000_000)
        .saturating_mul(60_000_000);
    // By tenant and actor, then in timeline order.
    failures.sort_by(|a, b| {
        (a.rank, &a.actor, a.nanos, a.seq).cmp(&(b.rank, &b.actor, b.nanos, b.seq))
    });
    let mut marked = HashSet::new();
    for group in failures.chunk_by(|a, b| a.rank == b.rank && a.actor == b.actor) {
        let t = |k: usize| group[k].micros;
        let mut lo = 0;
        let mut next_unmarked = 0;
        for hi in 0..group.len() {
            while t(hi) - t(lo) > window {
                lo += 1;
            }
            if hi + 1 - lo >= n {
                for f in &group[lo.max(next_unmarked)..=hi] {
                    marked.insert((f.rank, f.seq));
                }
                next_unmarked = hi + 1;
            }
        }
    }
    marked
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
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut *out, tl)?;
        return writeln!(out);
    }
    write_header(format, out)?;
    for e in &tl.events {
        write_line(e, format, out)?;
    }
    Ok(())
}

/// Writes the events of `stream` in `format` as they come, in flat memory: the same bytes
/// [`write`] writes for the [`Timeline`] of the same case (JSON puts the summary after the
/// events, so it is complete when written).
pub fn write_stream(stream: &mut Stream, format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        let doc = StreamDoc(std::cell::RefCell::new(stream));
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        return writeln!(out);
    }
    write_header(format, out)?;
    for e in stream {
        write_line(&e?, format, out)?;
    }
    Ok(())
}

/// A [`Stream`] serialized as a [`Timeline`] document: `{"events": [...], "summary": {...}}`.
struct StreamDoc<'a>(std::cell::RefCell<&'a mut Stream>);

struct StreamEvents<'s, 'a>(&'s std::cell::RefCell<&'a mut Stream>);

impl Serialize for StreamDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Timeline", 2)?;
        st.serialize_field("events", &StreamEvents(&self.0))?;
        st.serialize_field("summary", self.0.borrow().summary())?;
        st.end()
    }
}

impl Serialize for StreamEvents<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut stream = self.0.borrow_mut();
        let mut seq = s.serialize_seq(None)?;
        for e in &mut **stream {
            seq.serialize_element(&e.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

fn write_header(format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Csv {
        out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// One event in a line format (JSON Lines, CSV, Timesketch).
fn write_line(e: &Event, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer(&mut *out, e)?;
            writeln!(out)
        }
        Format::Csv => write_csv_row(e, out),
        Format::Timesketch => {
            serde_json::to_writer(&mut *out, &timesketch(e))?;
            writeln!(out)
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

/// RFC 4180 (after the header of [`write_header`]): CRLF line ends, lists joined by `;`, absent
/// values empty.
fn write_csv_row(e: &Event, out: &mut dyn Write) -> io::Result<()> {
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
    out.write_all(b"\r\n")
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
