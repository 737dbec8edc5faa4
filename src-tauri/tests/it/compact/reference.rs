//! The reference: the queries over a whole timeline, as they were written before the compact
//! store existed. The tests in `compact` hold the store's answers equal to these.

use std::collections::{BTreeSet, HashMap};

use trailproof_app::types::{
    Bucket, Density, Facets, Lane, Mark, RecordFilter, SortKey, TimeBounds, LANE_LIMIT,
};
use trailproof_core::report::Report;
use trailproof_core::timeline::model::{Event, Flag, Integrity, Kind, Timeline};

pub(super) const FACET_LIMIT: usize = 500;

pub(super) struct Ref {
    pub(super) other: HashMap<(String, u64), Vec<String>>,
    pub(super) tl: Timeline,
    pub(super) tenants: Vec<String>,
    pub(super) by_time: Vec<(i64, u32)>,
    pub(super) facets: Facets,
}

pub(super) fn push_facet(set: &mut BTreeSet<String>, v: &Option<String>) {
    if let Some(v) = v {
        if set.len() < FACET_LIMIT || set.contains(v) {
            set.insert(v.clone());
        }
    }
}

impl Ref {
    pub(super) fn new(timeline: Timeline, report: &Report) -> Ref {
        // The values other copies of a record hold, from the report's field differences: free
        // text finds a diverged record by either value.
        let mut other: HashMap<(String, u64), Vec<String>> = HashMap::new();
        for f in &report.findings {
            if let (Some(t), Some(seq)) = (&f.tenant_id, f.seq) {
                for d in &f.fields {
                    let vs = other.entry((t.clone(), seq)).or_default();
                    vs.extend(d.left.iter().chain(d.right.iter()).cloned());
                }
            }
        }
        let (mut sev, mut act, mut actor, mut rt) = Default::default();
        let tenants: Vec<String> = timeline.summary.tenants.clone();
        let mut by_time = Vec::new();
        for (i, e) in timeline.events.iter().enumerate() {
            let i = i as u32;
            if let Some(m) = e.micros {
                by_time.push((m, i));
            }
            push_facet(&mut sev, &e.severity);
            push_facet(&mut act, &e.action);
            push_facet(&mut actor, &e.actor_user_id);
            push_facet(&mut rt, &e.resource_type);
        }
        by_time.sort_by_key(|&(m, i)| (m, i));
        let facets = Facets {
            tenants: tenants.clone(),
            severities: sev.into_iter().collect(),
            actions: act.into_iter().collect(),
            actors: actor.into_iter().collect(),
            resource_types: rt.into_iter().collect(),
        };
        Ref {
            other,
            tl: timeline,
            tenants,
            by_time,
            facets,
        }
    }

    /// The current entry of (tenant, seq), else its first recovered version.
    pub(super) fn index_of(&self, tenant: &str, seq: u64) -> Option<u32> {
        let is = |e: &Event, recovered: bool| {
            e.kind == Kind::Event
                && e.tenant_id == tenant
                && e.seq == seq
                && (e.integrity == Integrity::Recovered) == recovered
        };
        let events = &self.tl.events;
        events
            .iter()
            .position(|e| is(e, false))
            .or_else(|| events.iter().position(|e| is(e, true)))
            .map(|i| i as u32)
    }

    pub(super) fn select(&self, filter: &RecordFilter, sort: SortKey, desc: bool) -> Vec<u32> {
        let events = &self.tl.events;
        let mut sel: Vec<u32> = (0..events.len() as u32)
            .filter(|&i| matches(filter, &events[i as usize], &self.other))
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
        sel
    }

    pub(super) fn bounds(&self) -> TimeBounds {
        TimeBounds {
            first: self.by_time.first().map(|&(m, _)| m as f64),
            last: self.by_time.last().map(|&(m, _)| m as f64),
            events: self.tl.events.len() as u32,
        }
    }

    pub(super) fn density(&self, from: f64, to: f64, buckets: u32, limit: u32) -> Density {
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
        let mut lanes: Vec<Lane> = self
            .tenants
            .iter()
            .take(LANE_LIMIT)
            .map(|t| Lane {
                tenant: t.clone(),
                events: vec![0; buckets],
                problems: vec![0; buckets],
            })
            .collect();
        for &(m, i) in window {
            let e = &self.tl.events[i as usize];
            if e.kind == Kind::Gap {
                gaps.push(mark(i, m, e));
                continue;
            }
            total += 1;
            let k = ((((m as f64 - from) / span) * buckets as f64) as usize).min(buckets - 1);
            if let Some(t) = self.tenants.iter().position(|t| *t == e.tenant_id) {
                if let Some(lane) = lanes.get_mut(t) {
                    lane.events[k] += 1;
                    lane.problems[k] += u32::from(e.integrity.is_problem());
                }
            }
            let b = &mut out[k];
            b.events += 1;
            for f in &e.flags {
                match f {
                    Flag::PrivilegedIntervention => b.privileged += 1,
                    Flag::ParameterChange => b.parameter += 1,
                    Flag::MassExport => b.mass_export += 1,
                    Flag::Denied | Flag::DenialBurst => b.denied += 1,
                    Flag::OffHours | Flag::ProofChain | Flag::ProofSelf | Flag::ProofNone => {}
                }
            }
            if e.integrity.is_problem() {
                b.problems += 1;
            }
            b.recovered += u32::from(e.integrity == Integrity::Recovered);
            if want_marks {
                marks.push(mark(i, m, e));
            }
        }
        Density {
            generation: 1,
            from,
            to,
            buckets: out,
            total,
            marks,
            gaps,
            lanes,
            lanes_omitted: self.tenants.len().saturating_sub(LANE_LIMIT) as u32,
        }
    }
}

pub(super) fn mark(i: u32, m: i64, e: &Event) -> Mark {
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

pub(super) fn eq(want: &Option<String>, have: &Option<String>) -> bool {
    match want.as_deref() {
        None | Some("") => true,
        Some(w) => have.as_deref() == Some(w),
    }
}

pub(super) fn matches(
    f: &RecordFilter,
    e: &Event,
    other: &HashMap<(String, u64), Vec<String>>,
) -> bool {
    let text = f
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase);
    if e.kind == Kind::Gap {
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
    if let Some(t) = &text {
        let in_other_copy = other
            .get(&(e.tenant_id.clone(), e.seq))
            .is_some_and(|vs| vs.iter().any(|v| contains_ci(v, t)));
        if !text_hit(e, t) && !in_other_copy {
            return false;
        }
    }
    true
}

pub(super) fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        hay.as_bytes()
            .windows(needle_lower.len())
            .any(|w| w.eq_ignore_ascii_case(needle_lower.as_bytes()))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

pub(super) fn text_hit(e: &Event, t: &str) -> bool {
    e.dimensions()
        .into_iter()
        .chain([e.timestamp.as_deref()])
        .any(|v| v.is_some_and(|s| contains_ci(s, t)))
        || e.seq.to_string() == t
        || contains_ci(&e.tenant_id, t)
        || e.sources.iter().any(|s| contains_ci(s, t))
        || e.findings.iter().any(|c| {
            contains_ci(
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap_or_default(),
                t,
            )
        })
        || contains_ci(e.integrity.as_str(), t)
}
