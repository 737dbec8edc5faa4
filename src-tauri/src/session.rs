//! One opened case, held by the backend: the report, the timeline held compact ([`Store`]), and
//! what the UI's paged queries run on. The UI never receives the whole case: it asks for pages of
//! rows, density buckets of a time window, and one record's detail at a time.
//!
//! Memory: the timeline is never held as a `Vec<Event>`. A case is built from the core's
//! streaming timeline ([`Loaded::from_stream`]) entry by entry into the store: fixed-size
//! columns (time, tenant, seq, kind / integrity / flag bits, interned ids of actor, action,
//! severity, resource type and outcome) and one small encoded record per entry. Filters on the
//! scope dimensions, integrity, flags and findings, every sort, the time bounds and the density
//! run on the columns alone; the `from` / `to` range is a binary search while timestamps are in
//! order (they are, in timeline order); free text is matched on the encoded records in place
//! (each dictionary value is tested once per query, not once per entry); events are rebuilt only
//! for a page of rows, density marks, a record's detail and exports.
//!
//! Invariants: a [`Loaded`] case is immutable once built (a live check builds a new one);
//! every query answers exactly what it answered over the whole `Timeline` in memory (same rows,
//! same order, same values: the store gives back each event exactly as pushed); every query is
//! answered from memory, except record detail, which reads the record's copies back from the
//! evidence files (opened read-only, as on first read).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use trailproof_core::report::Report;
use trailproof_core::timeline::model::{
    Dimension, Event, Flag, Integrity, Kind, Summary, Timeline,
};
use trailproof_core::timeline::prefetch::with_prefetch;
use trailproof_core::timeline::stream::Stream;
use trailproof_ingest::hashing::FileIdentity;
use trailproof_ingest::IngestError;

mod filter;

use crate::store::builder::Builder;
use crate::store::{self, flag_bit, integrity_code, slot, Store, ABSENT, BASE, HOT, INLINE};
use crate::types::{
    AppError, Bucket, CaseView, Density, ErrorKind, Facets, Lane, LiveView, Mark, RecordFilter,
    RecordPage, RecordQuery, RecordRow, SortKey, TimeBounds, LANE_LIMIT,
};
use filter::{Matcher, OtherCopies};

/// Most distinct values offered per filter menu.
const FACET_LIMIT: usize = 500;
/// Most rows one page request may ask for.
pub const PAGE_LIMIT: u32 = 1000;
/// Entries between two looks at the cancel flag while a case is built.
const CANCEL_EVERY: usize = 4096;

/// Slots of [`HOT`] by member.
const SLOT_ACTOR: usize = slot(Dimension::ActorUserId);
const SLOT_ACTION: usize = slot(Dimension::Action);
const SLOT_SEVERITY: usize = slot(Dimension::Severity);
const SLOT_RESOURCE_TYPE: usize = slot(Dimension::ResourceType);
const SLOT_OUTCOME: usize = slot(Dimension::Outcome);

/// A case in memory.
pub struct Loaded {
    pub generation: u32,
    pub paths: Vec<PathBuf>,
    pub report: Report,
    pub live: Option<LiveView>,
    /// The live records, for the record detail (kept by the live check).
    pub live_copies: Option<trailproof_live::LiveCopies>,
    /// Each path's identity (size, times, inode) when the case was read, in `paths` order; the
    /// record detail reads a file back only while it is unchanged.
    pub identities: Vec<Option<FileIdentity>>,
    pub verification_urls: Vec<String>,
    /// SQLite inputs as the record detail reads them back (see [`crate::detail::SqliteStates`]).
    pub sqlite_states: crate::detail::SqliteStates,
    /// Where each dump's records lie (kept while it was verified): the record detail reads back
    /// the batches that may hold a record, not the whole dump.
    pub zones: Vec<trailproof_engine::zones::FileZones>,
    summary: Summary,
    store: Store,
    facets: Facets,
    /// The values other copies of a record hold (the report's field differences), so free text
    /// finds a diverged record by either value.
    other_copies: OtherCopies,
    /// The last filtered and sorted selection, reused while the user scrolls.
    selection: Mutex<Option<Selection>>,
}

/// A filtered and sorted list of timeline indexes, with what made it.
struct Selection {
    filter: RecordFilter,
    sort: SortKey,
    descending: bool,
    indexes: Arc<Vec<u32>>,
}

fn push_facet(set: &mut BTreeSet<String>, v: Option<&str>) {
    if let Some(v) = v {
        if set.len() < FACET_LIMIT || set.contains(v) {
            set.insert(v.to_string());
        }
    }
}

/// Why building the store stopped.
enum Stop {
    Io(io::Error),
    Cancelled,
}

impl From<Stop> for AppError {
    fn from(s: Stop) -> Self {
        match s {
            Stop::Cancelled => AppError::new(ErrorKind::Cancelled, "cancelled"),
            Stop::Io(source) => AppError::from(IngestError::Spill {
                dir: std::env::temp_dir(),
                source,
            }),
        }
    }
}

/// The store of `events` (in timeline order) and the facets of the filter menus, except tenants.
fn index(
    mut next: impl FnMut(&mut Event) -> io::Result<bool>,
    dict_cap: usize,
    cancel: Option<&AtomicBool>,
) -> Result<(Store, Facets), Stop> {
    let mut b = Builder::new(dict_cap);
    // Severity, action, actor, resource type: (slot, facet values, ids seen).
    let mut sets: [(usize, BTreeSet<String>, Vec<bool>); 4] = [
        (SLOT_SEVERITY, BTreeSet::new(), Vec::new()),
        (SLOT_ACTION, BTreeSet::new(), Vec::new()),
        (SLOT_ACTOR, BTreeSet::new(), Vec::new()),
        (SLOT_RESOURCE_TYPE, BTreeSet::new(), Vec::new()),
    ];
    // One event, refilled by `next`: its strings are reused from entry to entry.
    let mut e = Event::new(Kind::Event, String::new(), 0, Integrity::Verified);
    while next(&mut e).map_err(Stop::Io)? {
        if b.len().is_multiple_of(CANCEL_EVERY) && cancel.is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(Stop::Cancelled);
        }
        let pushed = b.push(&e);
        for (slot, set, seen) in &mut sets {
            // A value met before changes nothing: offer each dictionary value once.
            match pushed.hot[*slot] {
                ABSENT => {}
                INLINE => push_facet(set, e.dimension(HOT[*slot])),
                code => {
                    let k = (code - BASE) as usize;
                    if seen.len() <= k {
                        seen.resize(k + 1, false);
                    }
                    if !seen[k] {
                        seen[k] = true;
                        push_facet(set, e.dimension(HOT[*slot]));
                    }
                }
            }
        }
    }
    let [sev, act, actor, rt] = sets.map(|(_, set, _)| set.into_iter().collect::<Vec<_>>());
    Ok((
        b.finish(),
        Facets {
            tenants: Vec::new(),
            severities: sev,
            actions: act,
            actors: actor,
            resource_types: rt,
        },
    ))
}

/// The identity of each file now (`None` where it cannot be read).
pub fn identities_of(paths: &[PathBuf]) -> Vec<Option<FileIdentity>> {
    paths
        .iter()
        .map(|p| std::fs::metadata(p).ok().map(|m| FileIdentity::of(&m)))
        .collect()
}

impl Loaded {
    /// A case from a whole timeline (the events are encoded into the store, then dropped).
    pub fn new(
        generation: u32,
        paths: Vec<PathBuf>,
        report: Report,
        timeline: Timeline,
        live: Option<LiveView>,
        verification_urls: Vec<String>,
    ) -> Loaded {
        Loaded::with_dict_cap(
            store::DICT_CAP,
            generation,
            paths,
            report,
            timeline,
            live,
            verification_urls,
        )
    }

    /// [`Loaded::new`] with dictionaries of at most `dict_cap` values (tests: small caps store
    /// most values inline).
    pub fn with_dict_cap(
        dict_cap: usize,
        generation: u32,
        paths: Vec<PathBuf>,
        report: Report,
        timeline: Timeline,
        live: Option<LiveView>,
        verification_urls: Vec<String>,
    ) -> Loaded {
        let Timeline { events, summary } = timeline;
        let mut events = events.into_iter();
        let next = |e: &mut Event| Ok(events.next().map(|next| *e = next).is_some());
        let Ok((store, facets)) = index(next, dict_cap, None) else {
            unreachable!("no I/O and no cancel flag");
        };
        Loaded::assemble(
            generation,
            paths,
            report,
            summary,
            store,
            facets,
            live,
            verification_urls,
        )
    }

    /// A case from the core's streaming timeline, entry by entry (no `Vec<Event>` at any time).
    /// Stops with [`ErrorKind::Cancelled`] when `cancel` is set.
    pub fn from_stream(
        generation: u32,
        paths: Vec<PathBuf>,
        report: Report,
        mut stream: Stream,
        live: Option<LiveView>,
        verification_urls: Vec<String>,
        cancel: &AtomicBool,
    ) -> Result<Loaded, AppError> {
        // The stream is read ahead on a thread of its own while this one indexes.
        let (store, facets) = with_prefetch(&mut stream, |next| {
            index(next, store::DICT_CAP, Some(cancel))
        })?;
        let summary = stream.summary().clone();
        drop(stream);
        Ok(Loaded::assemble(
            generation,
            paths,
            report,
            summary,
            store,
            facets,
            live,
            verification_urls,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        generation: u32,
        paths: Vec<PathBuf>,
        report: Report,
        summary: Summary,
        store: Store,
        mut facets: Facets,
        live: Option<LiveView>,
        verification_urls: Vec<String>,
    ) -> Loaded {
        facets.tenants = summary.tenants.clone();
        let identities = identities_of(&paths);
        let mut other_copies = OtherCopies::new();
        for f in &report.findings {
            let (Some(t), Some(seq)) = (&f.tenant_id, f.seq) else {
                continue;
            };
            let Ok(k) = store.tenants().binary_search_by(|x| x.as_str().cmp(t)) else {
                continue;
            };
            for d in &f.fields {
                let vs = other_copies.entry((k as u32, seq)).or_default();
                vs.extend(d.left.iter().chain(d.right.iter()).cloned());
            }
        }
        Loaded {
            other_copies,
            generation,
            identities,
            paths,
            report,
            live,
            live_copies: None,
            verification_urls,
            sqlite_states: Default::default(),
            zones: Vec::new(),
            summary,
            store,
            facets,
            selection: Mutex::new(None),
        }
    }

    /// The overview of the case.
    pub fn view(&self) -> CaseView {
        CaseView {
            generation: self.generation,
            paths: self
                .paths
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            report: self.report.clone(),
            timeline: self.summary.clone(),
            verification_urls: self.verification_urls.clone(),
            live: self.live.clone(),
            facets: self.facets.clone(),
        }
    }

    /// The timeline's summary (counts, tenants, sources, span, rules, verdict).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Entries of the timeline (events and gaps).
    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// Bytes the compact timeline holds (arena, columns, indexes, dictionaries' strings).
    pub fn held_bytes(&self) -> usize {
        self.store.heap_bytes()
    }

    /// Timeline index of the event (tenant, seq).
    pub fn index_of(&self, tenant: &str, seq: u64) -> Option<u32> {
        let t = self
            .store
            .tenants()
            .binary_search_by(|x| x.as_str().cmp(tenant))
            .ok()? as u32;
        self.store.find_key(t, seq)
    }

    /// The entry at timeline `index`.
    pub fn event(&self, index: u32) -> Option<Event> {
        self.store.event(index)
    }

    /// Every entry, in timeline order, rebuilt one at a time.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        (0..self.store.len() as u32).filter_map(|i| self.store.event(i))
    }

    /// Timeline indexes of the entries the reports list (gaps, flagged events, integrity
    /// problems other than `only_in_one_source` and `consistent`), in timeline order.
    pub fn notable(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.store.len() as u32).filter(|&i| {
            self.store.is_gap(i)
                || self.store.flag_bits(i) != 0
                || self.store.integrity(i).is_problem()
        })
    }

    /// One page of the records table.
    pub fn page(&self, q: &RecordQuery) -> RecordPage {
        let sel = self.selection(&q.filter, q.sort, q.descending);
        let limit = q.limit.min(PAGE_LIMIT) as usize;
        let start = (q.offset as usize).min(sel.len());
        let end = (start + limit).min(sel.len());
        RecordPage {
            generation: self.generation,
            total: sel.len() as u32,
            offset: start as u32,
            rows: sel[start..end]
                .iter()
                .filter_map(|&i| Some(row(i, self.store.event(i)?)))
                .collect(),
        }
    }

    /// For each time in `times` (microseconds since the epoch): how many entries matching
    /// `filter` lie at or before it in time order, so the UI can list the case file's analyst
    /// events among them (each after the entries of its own instant). Entries without a time
    /// count as after every time.
    pub fn count_through(&self, filter: &RecordFilter, times: &[i64]) -> Vec<u32> {
        let sel = self.selection(filter, SortKey::Time, false);
        // One pass over the selection: each entry counts for the first time (in sorted order)
        // at or after it, then running sums give every time its count.
        let mut sorted: Vec<(i64, usize)> = times.iter().copied().zip(0..).collect();
        sorted.sort_unstable();
        let mut first_at = vec![0u32; sorted.len() + 1];
        for &i in sel.iter() {
            if let Some(m) = self.store.micros(i) {
                first_at[sorted.partition_point(|&(t, _)| t < m)] += 1;
            }
        }
        let mut out = vec![0u32; times.len()];
        let mut running = 0u32;
        for (k, &(_, at)) in sorted.iter().enumerate() {
            running += first_at[k];
            out[at] = running;
        }
        out
    }

    /// The timeline indexes matching `filter`, in the requested order (cached for the last
    /// filter and order).
    fn selection(&self, filter: &RecordFilter, sort: SortKey, desc: bool) -> Arc<Vec<u32>> {
        let mut cache = self.selection.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_ref() {
            if c.filter == *filter && c.sort == sort && c.descending == desc {
                return c.indexes.clone();
            }
        }
        let m = Matcher::new(filter, &self.store, &self.other_copies);
        let (lo, hi) = m.range();
        // Rows are tested on all cores; the selection keeps timeline order.
        let mut sel: Vec<u32> = (lo as u32..hi as u32)
            .into_par_iter()
            .with_min_len(4096)
            .filter(|&i| m.matches(i))
            .collect();
        let s = &self.store;
        match sort {
            SortKey::Time => {}
            SortKey::Seq => sel.sort_unstable_by_key(|&i| (s.tenant(i), s.seq(i), i)),
            SortKey::Integrity => {
                let rank = integrity_ranks();
                sel.sort_unstable_by_key(|&i| (rank[integrity_code(s.integrity(i))], i));
            }
            SortKey::Actor | SortKey::Action | SortKey::Severity | SortKey::Outcome => {
                let slot = match sort {
                    SortKey::Actor => SLOT_ACTOR,
                    SortKey::Action => SLOT_ACTION,
                    SortKey::Severity => SLOT_SEVERITY,
                    _ => SLOT_OUTCOME,
                };
                if s.col(HOT[slot]).overflowed() {
                    // Some values are inline: compare the text.
                    sel.sort_by_cached_key(|&i| {
                        (s.hot_str(slot, i).unwrap_or(Cow::Borrowed("")), i)
                    });
                } else {
                    sel.sort_unstable_by_key(|&i| {
                        (u64::from(s.rank(slot, s.hot(slot, i))) << 32) | u64::from(i)
                    });
                }
            }
        }
        if desc {
            sel.reverse();
        }
        let sel = Arc::new(sel);
        *cache = Some(Selection {
            filter: filter.clone(),
            sort,
            descending: desc,
            indexes: sel.clone(),
        });
        sel
    }

    /// Time bounds of the timeline.
    pub fn bounds(&self) -> TimeBounds {
        let (first, last) = self.store.time_bounds();
        TimeBounds {
            first: first.map(|m| m as f64),
            last: last.map(|m| m as f64),
            events: self.store.len() as u32,
        }
    }

    /// Density of `[from, to]` in `buckets` buckets; the entries themselves when at most
    /// `limit` fall in the window.
    pub fn density(&self, from: f64, to: f64, buckets: u32, limit: u32) -> Density {
        let buckets = buckets.clamp(1, 4000) as usize;
        let (from_i, to_i) = (from.floor() as i64, to.ceil() as i64);
        let (n, window) = self.store.time_window(from_i, to_i);
        let mut out = vec![Bucket::default(); buckets];
        let span = (to - from).max(1.0);
        let mut total = 0u32;
        let mut marks = Vec::new();
        let mut gaps = Vec::new();
        let want_marks = n <= limit as usize;
        let s = &self.store;
        // Lanes for the case's tenants (the summary's), in its order; the store's tenant index
        // maps to a lane once, not per entry.
        let tenants = &self.facets.tenants;
        let lane_of: Vec<Option<usize>> = s
            .tenants()
            .iter()
            .map(|t| {
                tenants
                    .iter()
                    .position(|x| x == t)
                    .filter(|&p| p < LANE_LIMIT)
            })
            .collect();
        let mut lanes: Vec<Lane> = tenants
            .iter()
            .take(LANE_LIMIT)
            .map(|t| Lane {
                tenant: t.clone(),
                events: vec![0; buckets],
                problems: vec![0; buckets],
            })
            .collect();
        for (m, i) in window {
            if s.is_gap(i) {
                if let Some(e) = s.event(i) {
                    gaps.push(mark(i, m, e));
                }
                continue;
            }
            total += 1;
            let k = ((((m as f64 - from) / span) * buckets as f64) as usize).min(buckets - 1);
            let problem = s.integrity(i).is_problem();
            if let Some(lane) = lane_of
                .get(s.tenant(i) as usize)
                .copied()
                .flatten()
                .and_then(|l| lanes.get_mut(l))
            {
                lane.events[k] += 1;
                lane.problems[k] += u32::from(problem);
            }
            let b = &mut out[k];
            b.events += 1;
            let count = |b: &mut Bucket, f: Flag| match f {
                Flag::PrivilegedIntervention => b.privileged += 1,
                Flag::ParameterChange => b.parameter += 1,
                Flag::MassExport => b.mass_export += 1,
                Flag::Denied | Flag::DenialBurst => b.denied += 1,
                Flag::OffHours | Flag::ProofChain | Flag::ProofSelf | Flag::ProofNone => {}
            };
            let e = (want_marks || s.is_verbatim(i))
                .then(|| s.event(i))
                .flatten();
            match &e {
                // Counted from the event itself: a list may repeat a flag.
                Some(e) => e.flags.iter().for_each(|&f| count(b, f)),
                None => {
                    let bits = s.flag_bits(i);
                    Flag::ALL
                        .into_iter()
                        .filter(|&f| bits & flag_bit(f) != 0)
                        .for_each(|f| count(b, f));
                }
            }
            if problem {
                b.problems += 1;
            }
            if s.integrity(i) == Integrity::Recovered {
                b.recovered += 1;
            }
            if want_marks {
                if let Some(e) = e {
                    marks.push(mark(i, m, e));
                }
            }
        }
        Density {
            generation: self.generation,
            from,
            to,
            buckets: out,
            total,
            marks,
            gaps,
            lanes,
            lanes_omitted: tenants.len().saturating_sub(LANE_LIMIT) as u32,
        }
    }
}

/// Rank of each integrity state's name, by code (the order of a sort by integrity).
fn integrity_ranks() -> [usize; Integrity::ALL.len()] {
    let mut names: Vec<(&str, usize)> = Integrity::ALL
        .iter()
        .map(|i| (i.as_str(), integrity_code(*i)))
        .collect();
    names.sort_unstable();
    let mut rank = [0; Integrity::ALL.len()];
    for (r, (_, code)) in names.into_iter().enumerate() {
        rank[code] = r;
    }
    rank
}

fn mark(i: u32, m: i64, e: Event) -> Mark {
    Mark {
        index: i,
        micros: m as f64,
        tenant_id: e.tenant_id,
        seq: e.seq,
        seq_end: e.seq_end,
        action: e.action,
        actor: e.actor_user_id.or(e.actor_display),
        integrity: e.integrity,
        flags: e.flags,
        findings: e.findings,
    }
}

/// The table row of a timeline entry.
pub fn row(index: u32, event: Event) -> RecordRow {
    RecordRow { index, event }
}

/// The snake_case name of a finding code, as reports print it.
pub fn code_name(c: trailproof_core::finding::Code) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
