//! One opened case, held by the backend: the report, the timeline, and the indexes the UI's
//! paged queries run on. The UI never receives the whole case: it asks for pages of rows,
//! density buckets of a time window, and one record's detail at a time.
//!
//! Invariants: a [`Loaded`] case is immutable once built (a live check builds a new one);
//! every query is answered from the timeline in memory, except record detail, which reads the
//! record's copies back from the evidence files (opened read-only, as on first read).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use trailproof_core::case::Report;
use trailproof_core::timeline::{Event, Flag, Integrity, Kind, Timeline};

use crate::types::{
    Bucket, CaseView, Density, Facets, LiveView, Mark, RecordFilter, RecordPage, RecordQuery,
    RecordRow, SortKey, TimeBounds,
};

/// Most distinct values offered per filter menu.
const FACET_LIMIT: usize = 500;
/// Most rows one page request may ask for.
pub const PAGE_LIMIT: u32 = 1000;

/// A case in memory.
pub struct Loaded {
    pub generation: u32,
    pub paths: Vec<PathBuf>,
    pub report: Report,
    pub timeline: Timeline,
    pub live: Option<LiveView>,
    /// The live records, for the record detail (kept by the live check).
    pub live_copies: Option<trailproof_live::LiveCopies>,
    pub verification_urls: Vec<String>,
    facets: Facets,
    /// (tenant, seq, timeline index) of every event, sorted by tenant and seq.
    by_key: Vec<(u32, u64, u32)>,
    tenants: Vec<String>,
    /// (micros, timeline index) of every entry with a readable time, in time order.
    by_time: Vec<(i64, u32)>,
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

fn push_facet(set: &mut BTreeSet<String>, v: &Option<String>) {
    if let Some(v) = v {
        if set.len() < FACET_LIMIT || set.contains(v) {
            set.insert(v.clone());
        }
    }
}

impl Loaded {
    pub fn new(
        generation: u32,
        paths: Vec<PathBuf>,
        report: Report,
        timeline: Timeline,
        live: Option<LiveView>,
        verification_urls: Vec<String>,
    ) -> Loaded {
        let (mut sev, mut act, mut actor, mut rt) = Default::default();
        let tenants: Vec<String> = timeline.summary.tenants.clone();
        let mut by_key = Vec::with_capacity(timeline.events.len());
        let mut by_time = Vec::with_capacity(timeline.events.len());
        for (i, e) in timeline.events.iter().enumerate() {
            let i = i as u32;
            if e.kind == Kind::Event {
                let t = tenants
                    .iter()
                    .position(|t| *t == e.tenant_id)
                    .unwrap_or(usize::MAX) as u32;
                by_key.push((t, e.seq, i));
            }
            if let Some(m) = e.micros {
                by_time.push((m, i));
            }
            push_facet(&mut sev, &e.severity);
            push_facet(&mut act, &e.action);
            push_facet(&mut actor, &e.actor_user_id);
            push_facet(&mut rt, &e.resource_type);
        }
        by_key.sort_unstable();
        by_time.sort_by_key(|&(m, i)| (m, i));
        let facets = Facets {
            tenants: tenants.clone(),
            severities: sev.into_iter().collect(),
            actions: act.into_iter().collect(),
            actors: actor.into_iter().collect(),
            resource_types: rt.into_iter().collect(),
        };
        Loaded {
            generation,
            paths,
            report,
            timeline,
            live,
            live_copies: None,
            verification_urls,
            facets,
            by_key,
            tenants,
            by_time,
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
            timeline: self.timeline.summary.clone(),
            verification_urls: self.verification_urls.clone(),
            live: self.live.clone(),
            facets: self.facets.clone(),
        }
    }

    /// Timeline index of the event (tenant, seq).
    pub fn index_of(&self, tenant: &str, seq: u64) -> Option<u32> {
        let t = self.tenants.iter().position(|x| x == tenant)? as u32;
        self.by_key
            .binary_search_by(|&(a, b, _)| (a, b).cmp(&(t, seq)))
            .ok()
            .map(|k| self.by_key[k].2)
    }

    pub fn event(&self, index: u32) -> Option<&Event> {
        self.timeline.events.get(index as usize)
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
                .map(|&i| row(i, &self.timeline.events[i as usize]))
                .collect(),
        }
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
        let m = Matcher::new(filter);
        let events = &self.timeline.events;
        let mut sel: Vec<u32> = (0..events.len() as u32)
            .filter(|&i| m.matches(&events[i as usize]))
            .collect();
        let key_str = |e: &Event| -> String {
            match sort {
                SortKey::Actor => e.actor_user_id.clone().unwrap_or_default(),
                SortKey::Action => e.action.clone().unwrap_or_default(),
                SortKey::Severity => e.severity.clone().unwrap_or_default(),
                SortKey::Outcome => e.outcome.clone().unwrap_or_default(),
                SortKey::Integrity => e.integrity.as_str().to_string(),
                SortKey::Time | SortKey::Seq => String::new(),
            }
        };
        match sort {
            SortKey::Time => {}
            SortKey::Seq => sel.sort_by(|&a, &b| {
                let (x, y) = (&events[a as usize], &events[b as usize]);
                (&x.tenant_id, x.seq, a).cmp(&(&y.tenant_id, y.seq, b))
            }),
            _ => sel.sort_by_cached_key(|&i| (key_str(&events[i as usize]), i)),
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
        TimeBounds {
            first: self.by_time.first().map(|&(m, _)| m as f64),
            last: self.by_time.last().map(|&(m, _)| m as f64),
            events: self.timeline.events.len() as u32,
        }
    }

    /// Density of `[from, to]` in `buckets` buckets; the entries themselves when at most
    /// `limit` fall in the window.
    pub fn density(&self, from: f64, to: f64, buckets: u32, limit: u32) -> Density {
        let buckets = buckets.clamp(1, 4000) as usize;
        let (from_i, to_i) = (from.floor() as i64, to.ceil() as i64);
        let lo = self.by_time.partition_point(|&(m, _)| m < from_i);
        let hi = self.by_time.partition_point(|&(m, _)| m <= to_i);
        let window = &self.by_time[lo..hi];
        let mut out = vec![Bucket::default(); buckets];
        let span = (to - from).max(1.0);
        let mut total = 0u32;
        let mut marks = Vec::new();
        let mut gaps = Vec::new();
        let want_marks = window.len() <= limit as usize;
        for &(m, i) in window {
            let e = &self.timeline.events[i as usize];
            if e.kind == Kind::Gap {
                gaps.push(mark(i, m, e));
                continue;
            }
            total += 1;
            let b = (((m as f64 - from) / span) * buckets as f64) as usize;
            let b = &mut out[b.min(buckets - 1)];
            b.events += 1;
            for f in &e.flags {
                match f {
                    Flag::PrivilegedIntervention => b.privileged += 1,
                    Flag::ParameterChange => b.parameter += 1,
                    Flag::MassExport => b.mass_export += 1,
                    Flag::Denied | Flag::DenialBurst => b.denied += 1,
                    Flag::OffHours => {}
                }
            }
            if e.integrity != Integrity::Verified {
                b.problems += 1;
            }
            if want_marks {
                marks.push(mark(i, m, e));
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
        }
    }
}

fn mark(i: u32, m: i64, e: &Event) -> Mark {
    Mark {
        index: i,
        micros: m as f64,
        tenant_id: e.tenant_id.clone(),
        seq: e.seq,
        seq_end: e.seq_end,
        action: e.action.clone(),
        actor: e.actor_user_id.clone().or_else(|| e.actor_display.clone()),
        integrity: e.integrity,
        flags: e.flags.clone(),
        findings: e.findings.clone(),
    }
}

/// The table row of a timeline entry.
pub fn row(index: u32, e: &Event) -> RecordRow {
    RecordRow {
        index,
        event: e.clone(),
    }
}

/// A compiled [`RecordFilter`].
struct Matcher<'f> {
    f: &'f RecordFilter,
    text: Option<String>,
}

fn eq(want: &Option<String>, have: &Option<String>) -> bool {
    match want.as_deref() {
        None | Some("") => true,
        Some(w) => have.as_deref() == Some(w),
    }
}

impl<'f> Matcher<'f> {
    fn new(f: &'f RecordFilter) -> Self {
        let text = f
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        Matcher { f, text }
    }

    fn matches(&self, e: &Event) -> bool {
        let f = self.f;
        if e.kind == Kind::Gap {
            // A gap has no dimensions: it stays unless hidden or the filter needs a dimension.
            if f.hide_gaps
                || [&f.severity, &f.event, &f.actor, &f.resource_type]
                    .iter()
                    .any(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
                || f.flag.is_some()
            {
                return false;
            }
        } else if !(eq(&f.severity, &e.severity)
            && eq(&f.event, &e.action)
            && eq(&f.actor, &e.actor_user_id)
            && eq(&f.resource_type, &e.resource_type))
        {
            return false;
        }
        if let Some(t) = f.tenant.as_deref().filter(|t| !t.is_empty()) {
            if e.tenant_id != t {
                return false;
            }
        }
        if let Some(lo) = f.from.as_deref().filter(|s| !s.is_empty()) {
            match e.timestamp.as_deref() {
                Some(ts) if ts >= lo => {}
                _ => return false,
            }
        }
        if let Some(hi) = f.to.as_deref().filter(|s| !s.is_empty()) {
            match e.timestamp.as_deref() {
                // Inclusive as a prefix: "2026-03-01" takes in the whole day.
                Some(ts) if ts <= hi || ts.starts_with(hi) => {}
                _ => return false,
            }
        }
        if let Some(i) = f.integrity {
            if e.integrity != i {
                return false;
            }
        }
        if let Some(fl) = f.flag {
            if !e.flags.contains(&fl) {
                return false;
            }
        }
        if f.with_findings && e.findings.is_empty() {
            return false;
        }
        if let Some(t) = &self.text {
            if !text_hit(e, t) {
                return false;
            }
        }
        true
    }
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        hay.as_bytes()
            .windows(needle_lower.len())
            .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

fn text_hit(e: &Event, t: &str) -> bool {
    let fields = [
        &e.actor_user_id,
        &e.actor_role,
        &e.actor_display,
        &e.action,
        &e.http_method,
        &e.http_route,
        &e.severity,
        &e.actor_ip,
        &e.resource_type,
        &e.resource_id,
        &e.resource_display,
        &e.outcome,
        &e.outcome_reason,
        &e.timestamp,
    ];
    fields
        .iter()
        .any(|v| v.as_deref().is_some_and(|s| contains_ci(s, t)))
        || e.seq.to_string() == t
        || contains_ci(&e.tenant_id, t)
        || e.sources.iter().any(|s| contains_ci(s, t))
        || e.findings.iter().any(|c| contains_ci(&code_name(*c), t))
        || contains_ci(e.integrity.as_str(), t)
}

/// The snake_case name of a finding code, as reports print it.
pub fn code_name(c: trailproof_core::finding::Code) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
