//! The collector: builds a case's timeline from the checked records of its sources.
//!
//! A [`Collector`] takes checked records ([`Checked`]) from any number of sources (export payload
//! records, dump records) and keeps one compact slot per (tenant, seq): the four dimensions of the
//! record (actor, action, context, outcome), the sources that hold it, whether each copy hashed
//! to its own hash, and a content digest to notice copies that differ. It never keeps a raw record.
//! The dimensions are written once, to the [`members log`](super::members_log), and both orders
//! (copies by tenant and seq, entries by time) carry their place in it. A collector told to
//! expect timeline order ([`Collector::expect_timeline_order`]) keeps the copies as they arrive
//! while they arrive in that order, and makes each entry as the stream is read, with no join and
//! no sort ([`super::arrival`]); the events are the same either way.
//! [`Collector::finish`] joins the slots with the findings of the case's [`Report`] and returns a
//! [`Timeline`]: events ordered by canonical timestamp, then tenant, then seq, with deleted seq
//! ranges (`seq_gap` findings) as gap entries between their neighbours, and the recovered
//! versions of records (`record_recovered` findings) as entries of their own (integrity
//! `recovered`, a flag naming the proof) right after the current entry of their seq. Each event's integrity
//! state and flags come from the rules of [`super::integrity`] and [`super::flags`].
//!
//! Invariants: memory stays flat however many records arrive (copies and events go through
//! [`crate::spill`], dimensions through the members log); equal (tenant, seq) copies are joined
//! in arrival order; the order of the events is total (timestamp, tenant, seq, kind, recovered
//! version).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use super::arrival::Arrivals;
use super::flags::{self, Failure};
use super::integrity::{self, Evidence, Judged};
use super::members_log::{LogReader, LogWriter};
use super::model::{Dimension, Event, Flag, Integrity, Kind, Summary, Timeline, TimelineOptions};
use super::sighting::{text, Held, Sighting};
use super::stream::{
    recovered_key, time_key, Dims, Entry, Filler, Ordered, Sources, Stream, TimeKey,
};
use crate::ahead::read_ahead;
use crate::finding::{Code, Finding, Proof};
use crate::json::Value;
use crate::record::Checked;
use crate::report::Report;
use crate::spill::{self, Interner, Sorter};
use crate::time::Instant;

pub use super::sighting::SourceId;

/// Every copy of one (tenant, seq), joined: the first copy's members, every source, and the
/// members in which later copies differ from the first.
pub(super) struct Slot {
    tenant: u32,
    seq: u64,
    first: Held,
    hash_bad: bool,
    not_canonical: bool,
    sources: Vec<u16>,
    diverged: BTreeSet<String>,
}

impl Slot {
    pub(super) fn new(tenant: u32, seq: u64, first: Held) -> Slot {
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

    /// Joins copy `c`; reads the dimensions of both copies from `log` when they differ in
    /// content.
    fn join(&mut self, c: Held, log: &mut LogReader) -> io::Result<()> {
        if !self.sources.contains(&c.src) {
            self.sources.push(c.src);
        }
        self.hash_bad |= c.hash_bad;
        self.not_canonical |= c.not_canonical;
        let f = &self.first;
        let differs = match (f.hashes.computed(), c.hashes.computed()) {
            (Some(a), Some(b)) => a != b,
            _ => f.hashes.stored() != c.hashes.stored(),
        };
        if !differs {
            return Ok(());
        }
        let first = log.fields(f.members)?;
        let other = log.fields(c.members)?;
        for (d, (a, b)) in Dimension::ALL.iter().zip(first.iter().zip(other.iter())) {
            if a != b {
                self.diverged.insert(d.name().to_string());
            }
        }
        if f.nanos != c.nanos {
            self.diverged.insert("timestamp".into());
        }
        if f.hashes.stored() != c.hashes.stored() {
            self.diverged.insert("hash".into());
        }
        if log.prev_hash(f.members)? != log.prev_hash(c.members)? {
            self.diverged.insert("prev_hash".into());
        }
        if self.diverged.is_empty() {
            self.diverged.insert("(other members)".into());
        }
        Ok(())
    }
}

/// Collects records from the sources of a case (see the module docs).
///
/// Memory stays flat however many records arrive: copies are kept encoded in a run of at most
/// the spill budget, and runs past it go to anonymous temporary files ([`crate::spill`]), as
/// does the members log past an eighth of the budget. A failure to write either is kept and
/// returned by [`Collector::finish`] / [`Collector::finish_stream`], never dropped.
pub struct Collector {
    tenants: Interner,
    /// Sources holding records of each tenant.
    tenant_sources: Vec<BTreeSet<u16>>,
    sources: Vec<String>,
    /// The copies collected so far.
    copies: Copies,
    /// The dimensions of every copy, by [`Held::members`].
    log: LogWriter,
    unplaced: u64,
    error: Option<io::Error>,
    dir: PathBuf,
    budget: usize,
}

/// Where a collector keeps its copies.
enum Copies {
    /// By (tenant, seq), in arrival order within one key: joined and ordered by time at the end.
    Keyed(Sorter<(u32, u64), Held>),
    /// In arrival order, while that is the timeline order ([`super::arrival`]).
    Arrival(Arrivals),
}

impl Copies {
    fn len(&self) -> u64 {
        match self {
            Copies::Keyed(k) => k.len(),
            Copies::Arrival(a) => a.len(),
        }
    }

    fn spilled_runs(&self) -> usize {
        match self {
            Copies::Keyed(k) => k.spilled_runs(),
            Copies::Arrival(a) => a.spilled_runs(),
        }
    }

    /// Keeps a copy: in arrival order while that stays the timeline order; otherwise by
    /// (tenant, seq), where the copies kept in arrival order go first.
    fn push(
        &mut self,
        tenant: u32,
        seq: u64,
        held: &Held,
        dir: &Path,
        budget: usize,
    ) -> io::Result<()> {
        if let Copies::Arrival(a) = self {
            if a.admit(tenant, seq, held.nanos) {
                return a.push(tenant, seq, held);
            }
            let arrived = std::mem::replace(self, Copies::Keyed(Sorter::new(dir, budget)));
            *self = Copies::Keyed(arrived.into_keyed(dir, budget)?);
        }
        if let Copies::Keyed(k) = self {
            k.push((tenant, seq), held)?;
        }
        Ok(())
    }

    /// The copies by (tenant, seq).
    fn into_keyed(self, dir: &Path, budget: usize) -> io::Result<Sorter<(u32, u64), Held>> {
        match self {
            Copies::Keyed(k) => Ok(k),
            Copies::Arrival(a) => a.into_keyed(dir, budget),
        }
    }
}

impl Default for Collector {
    fn default() -> Self {
        Collector::with_spill(&std::env::temp_dir(), spill::DEFAULT_BUDGET)
    }
}

impl Collector {
    /// A collector that spills to the system's temporary directory (`TMPDIR`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector that spills to `dir` once `budget` bytes of copies are held (twice: the
    /// copies while collecting, the events while ordering them), and moves its members log
    /// there past an eighth of `budget`.
    pub fn with_spill(dir: &Path, budget: usize) -> Self {
        Collector {
            tenants: Interner::default(),
            tenant_sources: Vec::new(),
            sources: Vec::new(),
            copies: Copies::Keyed(Sorter::new(dir, budget)),
            // The log lives as long as the collector and its stream, beside a sorter's full
            // run: an eighth of the budget keeps the peak where it was without the log.
            log: LogWriter::new(dir, budget / 8),
            unplaced: 0,
            error: None,
            dir: dir.to_path_buf(),
            budget,
        }
    }

    /// Keeps the copies in the order they arrive for as long as that is the timeline order, which
    /// spares the join by (tenant, seq) and the ordering by time at the end ([`super::arrival`]):
    /// for a case that is likely to come in that order (one dump). Whatever comes, the events
    /// are the same. Call before the first copy; after it, this changes nothing.
    pub fn expect_timeline_order(&mut self) {
        if self.copies.len() == 0 {
            self.copies = Copies::Arrival(Arrivals::new(&self.dir, self.budget));
        }
    }

    /// Whether the copies so far arrived in timeline order and are kept so
    /// ([`Collector::expect_timeline_order`]).
    pub fn in_timeline_order(&self) -> bool {
        matches!(self.copies, Copies::Arrival(_))
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

    /// Whether no copy was collected.
    pub fn is_empty(&self) -> bool {
        self.copies.len() == 0
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
        let Sighting { mut held, members } = s;
        self.tenant_sources[tenant as usize].insert(held.src);
        let (dir, budget) = (&self.dir, self.budget);
        let pushed = self.log.append(&members).and_then(|place| {
            held.members = place;
            self.copies.push(tenant, seq, &held, dir, budget)
        });
        if let Err(e) = pushed {
            self.error = Some(e);
        }
    }

    /// Joins the collected events with the report's findings; how far the report's anchors
    /// reach makes an event `consistent` rather than verified. Holds every event in memory:
    /// for large cases prefer [`Collector::finish_stream`].
    pub fn finish(self, report: &Report, opts: &TimelineOptions) -> io::Result<Timeline> {
        let mut stream = self.finish_stream(report, opts)?;
        let events = stream.by_ref().collect::<io::Result<Vec<Event>>>()?;
        Ok(Timeline {
            events,
            summary: stream.summary().clone(),
        })
    }

    /// Like [`Collector::finish`], but hands the events over one by one, in timeline order, in
    /// flat memory. Memory that grows with the case: the report's findings (and, for copies kept
    /// in arrival order, what they say of each record and the recovered versions' entries), and
    /// the failures (outcome `failure`) for `denial_burst`.
    pub fn finish_stream(self, report: &Report, opts: &TimelineOptions) -> io::Result<Stream> {
        let Collector {
            tenants,
            tenant_sources,
            sources,
            copies,
            log,
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
        // How far the anchors of the case reach, by tenant: every anchor the report names for a
        // source of the tenant (exports' chain heads and records, checkpoints, the live head,
        // other sources).
        let mut heads: HashMap<&str, u64> = HashMap::new();
        let anchors = report.tenants.iter().flat_map(|t| {
            t.anchored_by
                .iter()
                .map(move |a| (t.summary.tenant_id.as_str(), a.seq))
        });
        for (t, s) in anchors {
            let h = heads.entry(t).or_insert(0);
            *h = (*h).max(s);
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
        // The findings of each record, for the codes of the gaps (the slots walk the findings
        // beside them, below).
        let mut by_record: HashMap<(&str, u64), Vec<&Finding>> = HashMap::new();
        if !gaps.is_empty() {
            for f in &report.findings {
                if let (Some(t), Some(s)) = (f.tenant_id.as_deref(), f.seq) {
                    by_record.entry((t, s)).or_default().push(f);
                }
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

        // What each slot looks up, by tenant number: the slots come in (tenant number, seq)
        // order, so their findings are walked beside them; a map per slot cost more than
        // joining it.
        let number: HashMap<&str, u32> = (0u32..)
            .zip(&tenants)
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        let mut placed: Vec<(u32, u64, &Finding)> = report
            .findings
            .iter()
            .filter_map(|f| Some((*number.get(f.tenant_id.as_deref()?)?, f.seq?, f)))
            .collect();
        // Stable: a record's findings stay in report order.
        placed.sort_by_key(|&(t, s, _)| (t, s));
        let heads: Vec<Option<u64>> = tenants
            .iter()
            .map(|t| heads.get(t.as_str()).copied())
            .collect();

        // Recovered versions: entries of their own, after the current entry of their seq
        // (numbered from 1 among the `record_recovered` findings, in report order).
        let recovered: Vec<(TimeKey, Entry)> = report
            .findings
            .iter()
            .filter(|f| f.code == Code::RecordRecovered)
            .zip(1u32..)
            .filter_map(|(f, version)| {
                let (e, nanos) = recovered_event(f)?;
                let key = recovered_key(nanos, rank(&e.tenant_id), e.seq, version);
                let tenant = Some(e.tenant_id.clone());
                Some((key, Entry::of(e, tenant)))
            })
            .collect();
        let mut log = log.finish()?;
        let holders: Vec<usize> = tenant_sources.iter().map(BTreeSet::len).collect();
        let mut failures: Vec<Failure> = Vec::new();
        let events = match copies {
            // Copies that came in timeline order become their entries as the stream is read
            // (no gap entry needs a neighbour's timestamp).
            Copies::Arrival(arrived) if gaps.is_empty() && arrived.in_name_order(&ranks) => {
                let mut judged = HashMap::new();
                for group in placed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
                    let found: Vec<&Finding> = group.iter().map(|p| p.2).collect();
                    judged.insert((group[0].0, group[0].1), Judged::of(&found));
                }
                let (entries, arrived_failures) =
                    arrived.finish(judged, holders, heads, ranks, recovered)?;
                failures = arrived_failures;
                Ordered::Arrival(Box::new(entries))
            }
            copies => {
                let copies = copies.into_keyed(&dir, budget)?;
                let mut placed = placed.into_iter().peekable();
                let mut found: Vec<&Finding> = Vec::new();
                let mut ordered: Sorter<TimeKey, Entry> = Sorter::new(&dir, budget);
                let mut emit = |slot: Slot| -> io::Result<()> {
                    let tenant = tenants[slot.tenant as usize].as_str();
                    let nanos = slot.first.nanos;
                    if !neighbours.is_empty() {
                        if let Some(n) = neighbours.get_mut(&(tenant, slot.seq)) {
                            *n = nanos;
                        }
                    }
                    let key = (slot.tenant, slot.seq);
                    found.clear();
                    while let Some(&(t, s, f)) = placed.peek() {
                        if (t, s) > key {
                            break;
                        }
                        if (t, s) == key {
                            found.push(f);
                        }
                        placed.next();
                    }
                    let holders = holders[slot.tenant as usize];
                    let head = heads[slot.tenant as usize];
                    let rank = ranks[slot.tenant as usize];
                    let seq = slot.seq;
                    if let (Some(actor), Some(nanos)) = (&slot.first.failure_actor, nanos) {
                        failures.push(Failure::new(rank, actor.clone(), nanos, seq));
                    }
                    let judged = (!found.is_empty()).then(|| Judged::of(&found));
                    let e = entry_of(slot, judged.as_ref(), holders, head);
                    ordered.push(time_key(nanos, rank, seq, Kind::Event), &e)
                };
                // The copies are merged back and decoded on a thread of their own while this one joins
                // them and orders the entries.
                read_ahead(copies.finish()?, |copies| -> io::Result<()> {
                    let mut current: Option<Slot> = None;
                    for item in copies {
                        let ((tenant, seq), held) = item?;
                        match &mut current {
                            Some(s) if s.tenant == tenant && s.seq == seq => {
                                s.join(held, &mut log)?
                            }
                            _ => {
                                if let Some(s) = current.replace(Slot::new(tenant, seq, held)) {
                                    emit(s)?;
                                }
                            }
                        }
                    }
                    match current {
                        Some(s) => emit(s),
                        None => Ok(()),
                    }
                })?;
                for ((t, first, last), inputs) in gaps {
                    let near =
                        |s: Option<u64>| s.and_then(|s| neighbours.get(&(t, s)).copied().flatten());
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
                    ordered.push(
                        time_key(nanos, rank(t), first, Kind::Gap),
                        &Entry::of(gap, None),
                    )?;
                }
                for (key, e) in recovered {
                    ordered.push(key, &e)?;
                }
                Ordered::Sorted(ordered.finish()?)
            }
        };
        let summary = Summary {
            unplaced_records: unplaced,
            tenants: {
                let mut t = tenants.clone();
                t.sort();
                t
            },
            sources: sources.clone(),
            burst_count: opts.burst_count,
            burst_minutes: opts.burst_minutes,
            off_hours_rule: flags::off_hours_rule(),
            verdict: report.verdict.as_str().to_string(),
            ..Summary::default()
        };
        let names = names.into_iter().map(str::to_string).collect();
        Ok(Stream {
            events,
            filler: Filler {
                log,
                names,
                sources,
                bursts: flags::bursts(failures, opts),
                summary,
                flagged: 0,
            },
        })
    }
}

/// The entry of a joined slot, with every flag but `denial_burst`; `judged` is what the
/// report's findings say about its (tenant, seq), `None` where they say nothing.
pub(super) fn entry_of(
    slot: Slot,
    judged: Option<&Judged>,
    holders: usize,
    head: Option<u64>,
) -> Entry {
    // Most slots have no finding and one copy: nothing to gather then (the gathering, on every
    // slot, was a tenth of the join's time).
    let none = Judged::default();
    let judged = judged.unwrap_or(&none);
    let mut diverged = slot.diverged;
    diverged.extend(judged.diverged.iter().cloned());
    let integrity = integrity::state(&Evidence {
        not_canonical: slot.not_canonical,
        hash_bad: slot.hash_bad,
        codes: &judged.codes,
        diverged: &diverged,
        missing_from: &judged.missing_from,
        beyond_anchors: head.is_none_or(|h| slot.seq > h),
        tenant_sources: holders,
        record_sources: slot.sources.len(),
    });
    Entry {
        seq_end: None,
        tenant: None,
        members: Dims::Log(slot.first.members),
        sources: Sources::Numbered(slot.sources),
        integrity,
        diverged_fields: diverged.into_iter().collect(),
        missing_from: judged.missing_from.iter().cloned().collect(),
        flags: slot.first.flags,
        findings: judged.codes.clone(),
    }
}

/// The entry of a `record_recovered` finding (and its instant): the recovered record's
/// members, its input, the members that differ from the current version, its flags (every
/// flag but `denial_burst`, which counts only current records) and the flag naming its proof.
fn recovered_event(f: &Finding) -> Option<(Event, Option<i64>)> {
    let record = Value::from_serde(f.record.as_ref()?).ok()?;
    let tenant = f.tenant_id.clone()?;
    let seq = f.seq?;
    let nanos = record
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| crate::time::normalize(t).ok())
        .map(|i| i.nanos);
    let mut e = Event::new(Kind::Event, tenant, seq, Integrity::Recovered);
    e.timestamp = nanos.map(|n| Instant { nanos: n }.canonical());
    e.micros = nanos.map(|n| Instant { nanos: n }.micros());
    for d in Dimension::ALL {
        *e.dimension_mut(d) = text(record.get(d.name()));
    }
    e.sources = f.input.iter().cloned().collect();
    e.diverged_fields = f.fields.iter().map(|d| d.field.clone()).collect();
    e.flags = flags::record_flags(
        e.action.as_deref(),
        record.get("changes").is_some_and(|v| !v.is_null()),
        flags::is_mass_export(&record),
        e.outcome.as_deref(),
        nanos,
    )
    .iter()
    .collect();
    e.flags.push(match f.proof {
        Some(Proof::Chain) => Flag::ProofChain,
        Some(Proof::OwnHashOnly) => Flag::ProofSelf,
        Some(Proof::Unproven) | None => Flag::ProofNone,
    });
    e.flags.sort();
    e.findings = vec![Code::RecordRecovered];
    Some((e, nanos))
}
