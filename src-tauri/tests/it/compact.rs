//! The compact case store against a straightforward reference: the whole `Timeline` in memory
//! (from the core's `finish`, not from the store) and the queries as they were written over it
//! before the store existed. Every page (rows and their order), filter, sort, density, bound,
//! facet, lookup, detail row and export must be identical, on the vectors, the fixtures, a
//! generated case with more than a report's worth of flagged events, and hand-made entries the
//! core never produces (out of order, unreadable timestamps, repeated flags). Each case is also
//! built with tiny dictionaries, so that values are stored inline instead of as ids.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use trailproof_app::session::{Loaded, PAGE_LIMIT};
use trailproof_app::types::{
    Bucket, Density, Facets, Mark, RecordFilter, RecordQuery, ReportFormat, SortKey, TimeBounds,
    TimelineFormat,
};
use trailproof_app::{detail, work};
use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::report::Report;
use trailproof_core::time::Instant;
use trailproof_core::timeline::model::{
    Event, Flag, Integrity, Kind, Summary, Timeline, TimelineOptions,
};
use trailproof_core::timeline::output;
use trailproof_engine::Investigation;
use trailproof_report::{render, Format, TimelineExcerpt};

use trailproof_testkit::{root, vector};

// ---------------------------------------------------------------------------------------------
// The reference: the queries over a whole timeline, as they were before the compact store.

const FACET_LIMIT: usize = 500;

struct Ref {
    tl: Timeline,
    by_key: Vec<(u32, u64, u32)>,
    tenants: Vec<String>,
    by_time: Vec<(i64, u32)>,
    facets: Facets,
}

fn push_facet(set: &mut BTreeSet<String>, v: &Option<String>) {
    if let Some(v) = v {
        if set.len() < FACET_LIMIT || set.contains(v) {
            set.insert(v.clone());
        }
    }
}

impl Ref {
    fn new(timeline: Timeline) -> Ref {
        let (mut sev, mut act, mut actor, mut rt) = Default::default();
        let tenants: Vec<String> = timeline.summary.tenants.clone();
        let mut by_key = Vec::new();
        let mut by_time = Vec::new();
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
        Ref {
            tl: timeline,
            by_key,
            tenants,
            by_time,
            facets,
        }
    }

    fn index_of(&self, tenant: &str, seq: u64) -> Option<u32> {
        let t = self.tenants.iter().position(|x| x == tenant)? as u32;
        self.by_key
            .binary_search_by(|&(a, b, _)| (a, b).cmp(&(t, seq)))
            .ok()
            .map(|k| self.by_key[k].2)
    }

    fn select(&self, filter: &RecordFilter, sort: SortKey, desc: bool) -> Vec<u32> {
        let events = &self.tl.events;
        let mut sel: Vec<u32> = (0..events.len() as u32)
            .filter(|&i| matches(filter, &events[i as usize]))
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

    fn bounds(&self) -> TimeBounds {
        TimeBounds {
            first: self.by_time.first().map(|&(m, _)| m as f64),
            last: self.by_time.last().map(|&(m, _)| m as f64),
            events: self.tl.events.len() as u32,
        }
    }

    fn density(&self, from: f64, to: f64, buckets: u32, limit: u32) -> Density {
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
            let e = &self.tl.events[i as usize];
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
            generation: 1,
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

fn eq(want: &Option<String>, have: &Option<String>) -> bool {
    match want.as_deref() {
        None | Some("") => true,
        Some(w) => have.as_deref() == Some(w),
    }
}

fn matches(f: &RecordFilter, e: &Event) -> bool {
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
        if !text_hit(e, t) {
            return false;
        }
    }
    true
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

// ---------------------------------------------------------------------------------------------
// Comparing a case with the reference.

const SORTS: [SortKey; 7] = [
    SortKey::Time,
    SortKey::Seq,
    SortKey::Actor,
    SortKey::Action,
    SortKey::Severity,
    SortKey::Outcome,
    SortKey::Integrity,
];

fn distinct(events: &[Event], f: impl Fn(&Event) -> Option<&String>, n: usize) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for e in events {
        if let Some(v) = f(e) {
            if !seen.contains(v) {
                seen.push(v.clone());
            }
        }
    }
    // The first, the last and a few between: values interned early and late.
    let step = (seen.len() / n.max(1)).max(1);
    let mut out: Vec<String> = seen.iter().step_by(step).cloned().collect();
    out.extend(seen.last().cloned());
    out.dedup();
    out
}

/// Filters that touch every branch: each dimension value, states, flags, ranges, free text.
fn filters(tl: &Timeline) -> Vec<RecordFilter> {
    let ev = &tl.events;
    let d = RecordFilter::default;
    let some = |s: &str| Some(s.to_string());
    let mut out = vec![
        d(),
        RecordFilter {
            hide_gaps: true,
            ..d()
        },
        RecordFilter {
            with_findings: true,
            ..d()
        },
    ];
    out.extend(Integrity::ALL.map(|i| RecordFilter {
        integrity: Some(i),
        ..d()
    }));
    out.extend(Flag::ALL.map(|f| RecordFilter {
        flag: Some(f),
        ..d()
    }));
    let mut tenants: Vec<String> = ev.iter().map(|e| e.tenant_id.clone()).collect();
    tenants.sort();
    tenants.dedup();
    tenants.extend(["nope".to_string(), String::new()]);
    out.extend(tenants.iter().map(|t| RecordFilter {
        tenant: some(t),
        ..d()
    }));
    let pick = |f: fn(&Event) -> &Option<String>| {
        let mut v = distinct(ev, |e| f(e).as_ref(), 4);
        v.extend(["nope".to_string(), String::new()]);
        v
    };
    for v in pick(|e| &e.severity) {
        out.push(RecordFilter {
            severity: some(&v),
            ..d()
        });
        out.push(RecordFilter {
            severity: some(&v),
            tenant: tenants.first().cloned(),
            hide_gaps: true,
            ..d()
        });
    }
    for v in pick(|e| &e.action) {
        out.push(RecordFilter {
            event: some(&v),
            ..d()
        });
    }
    for v in pick(|e| &e.actor_user_id) {
        out.push(RecordFilter {
            actor: some(&v),
            ..d()
        });
    }
    for v in pick(|e| &e.resource_type) {
        out.push(RecordFilter {
            resource_type: some(&v),
            with_findings: true,
            ..d()
        });
    }
    // Time ranges: days, hours, exact timestamps, bounds outside the case.
    let stamps: Vec<&String> = ev.iter().filter_map(|e| e.timestamp.as_ref()).collect();
    let mut bounds: Vec<String> = vec!["1999".into(), "2026".into(), "2027".into(), "".into()];
    for t in [stamps.first(), stamps.get(stamps.len() / 2), stamps.last()]
        .into_iter()
        .flatten()
    {
        bounds.push(t.to_string());
        bounds.push(t.get(..10).unwrap_or(t).to_string());
        bounds.push(t.get(..13).unwrap_or(t).to_string());
    }
    for b in &bounds {
        out.push(RecordFilter {
            from: some(b),
            ..d()
        });
        out.push(RecordFilter { to: some(b), ..d() });
    }
    if let (Some(a), Some(b)) = (
        stamps.get(stamps.len() / 3),
        stamps.get(2 * stamps.len() / 3),
    ) {
        out.push(RecordFilter {
            from: some(a),
            to: some(b),
            text: some("a"),
            ..d()
        });
        out.push(RecordFilter {
            from: some(&a[..10]),
            to: some(&b[..16]),
            hide_gaps: true,
            ..d()
        });
    }
    // Free text: values of every member, in other cases, seqs, sources, codes, states.
    let mut texts: Vec<String> = [
        "",
        "  ",
        "a",
        "0",
        "1",
        "2",
        "17",
        "T0",
        "t08:",
        "z",
        ":",
        "-",
        ".",
        "Z ",
        " ACME ",
        "onerror",
        "<IMG",
        "ü",
        "MÜLLER",
        "zoë",
        "verified",
        "only_in",
        "diverged",
        "hash",
        "chain",
        "gap",
        "record_",
        "seq_gap",
        "sqlite",
        ".jsonl",
        "live:",
        "critical",
        "failure",
        "barge",
        "POST",
        "nope-nothing-matches",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(e) = ev.get(ev.len() / 2) {
        texts.push(e.seq.to_string());
        texts.push(format!(" {} ", e.seq));
        texts.push(e.tenant_id.to_uppercase());
        for v in [
            &e.actor_display,
            &e.resource_id,
            &e.actor_ip,
            &e.http_route,
            &e.outcome_reason,
            &e.timestamp,
        ]
        .into_iter()
        .flatten()
        {
            texts.push(v.to_uppercase());
            let cut: String = v.chars().skip(1).take(4).collect();
            texts.push(cut);
        }
        if let Some(s) = e.sources.first() {
            texts.push(
                Path::new(s)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
    }
    for t in texts {
        out.push(RecordFilter {
            text: Some(t),
            ..d()
        });
    }
    out
}

fn all_rows(case: &Loaded, f: &RecordFilter, sort: SortKey, desc: bool) -> Vec<(u32, Event)> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let p = case.page(&RecordQuery {
            generation: case.generation,
            offset,
            limit: PAGE_LIMIT,
            filter: f.clone(),
            sort,
            descending: desc,
        });
        assert_eq!(p.offset, offset.min(p.total));
        let n = p.rows.len() as u32;
        rows.extend(p.rows.into_iter().map(|r| (r.index, r.event)));
        offset += n;
        if n == 0 || offset >= p.total {
            assert_eq!(rows.len() as u32, p.total);
            return rows;
        }
    }
}

fn same_rows(what: &str, case: &Loaded, r: &Ref, f: &RecordFilter, sort: SortKey, desc: bool) {
    let want = r.select(f, sort, desc);
    let got = all_rows(case, f, sort, desc);
    let got_ix: Vec<u32> = got.iter().map(|(i, _)| *i).collect();
    assert_eq!(got_ix, want, "{what}: {f:?} {sort:?} desc={desc}");
    for (i, e) in &got {
        assert_eq!(e, &r.tl.events[*i as usize], "{what}: row {i}");
    }
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

/// Every query of `case` against the reference over `tl`.
fn same_queries(what: &str, case: &Loaded, tl: &Timeline) {
    let r = Ref::new(tl.clone());
    assert_eq!(case.len(), tl.events.len(), "{what}");
    for (i, e) in tl.events.iter().enumerate() {
        assert_eq!(case.event(i as u32).as_ref(), Some(e), "{what}: entry {i}");
    }
    assert_eq!(case.event(tl.events.len() as u32), None);
    assert_eq!(case.events().collect::<Vec<_>>(), tl.events, "{what}");
    let view = case.view();
    assert_eq!(view.timeline, tl.summary, "{what}");
    assert_eq!(json(&view.facets), json(&r.facets), "{what}: facets");
    assert_eq!(json(&case.bounds()), json(&r.bounds()), "{what}: bounds");
    // Lookups: every event, and keys no event has.
    for e in &tl.events {
        assert_eq!(
            case.index_of(&e.tenant_id, e.seq),
            r.index_of(&e.tenant_id, e.seq),
            "{what}: {} {}",
            e.tenant_id,
            e.seq
        );
        for s in [e.seq.wrapping_add(1_000_000), 0] {
            assert_eq!(case.index_of(&e.tenant_id, s), r.index_of(&e.tenant_id, s));
        }
    }
    assert_eq!(case.index_of("nope", 1), None);
    // Pages: every filter in time order; every order (both ways) for a few filters.
    let fs = filters(tl);
    for f in &fs {
        same_rows(what, case, &r, f, SortKey::Time, false);
    }
    let some = [
        RecordFilter::default(),
        RecordFilter {
            hide_gaps: true,
            text: Some("e".into()),
            ..Default::default()
        },
        fs.iter()
            .find(|f| f.severity.as_deref().is_some_and(|s| !s.is_empty()))
            .cloned()
            .unwrap_or_default(),
    ];
    for f in &some {
        for sort in SORTS {
            for desc in [false, true] {
                same_rows(what, case, &r, f, sort, desc);
            }
        }
    }
    // Paging: clamped offsets and limits, and a page asked twice (the cached selection).
    let total = tl.events.len() as u32;
    for (offset, limit) in [(0, 0), (0, 7), (total / 2, 3), (total, 5), (total + 9, 5)] {
        let q = RecordQuery {
            generation: case.generation,
            offset,
            limit,
            filter: RecordFilter::default(),
            sort: SortKey::Actor,
            descending: true,
        };
        let want = r.select(&q.filter, q.sort, true);
        for _ in 0..2 {
            let p = case.page(&q);
            let start = (offset as usize).min(want.len());
            let end = (start + limit as usize).min(want.len());
            assert_eq!(p.total as usize, want.len());
            assert_eq!(p.offset as usize, start);
            let ix: Vec<u32> = p.rows.iter().map(|r| r.index).collect();
            assert_eq!(ix, want[start..end], "{what}: page {offset}+{limit}");
        }
    }
    // Density: whole range, parts, a sliver, outside; few and many buckets; with and without
    // marks.
    if let (Some(first), Some(last)) = (r.bounds().first, r.bounds().last) {
        let mid = (first + last) / 2.0;
        let windows = [
            (first, last),
            (first, mid),
            (mid, last),
            (mid - 0.5, mid + 0.5),
            (first - 3e9, first - 1e9),
            (last + 1.0, last + 6e7),
            (first + 0.25, last - 0.75),
        ];
        for (from, to) in windows {
            for buckets in [1, 13, 1200] {
                for limit in [0, 3, 100_000] {
                    assert_eq!(
                        json(&case.density(from, to, buckets, limit)),
                        json(&r.density(from, to, buckets, limit)),
                        "{what}: density {from} {to} {buckets} {limit}"
                    );
                }
            }
        }
    }
}

/// The exports of `case` against the core's writers over the whole timeline.
fn same_exports(what: &str, case: &Loaded, report: &Report, tl: &Timeline) {
    for (f, core) in [
        (TimelineFormat::Timesketch, output::Format::Timesketch),
        (TimelineFormat::Csv, output::Format::Csv),
        (TimelineFormat::Jsonl, output::Format::Jsonl),
        (TimelineFormat::Json, output::Format::Json),
    ] {
        let mut want = Vec::new();
        output::write(tl, core, &mut want).unwrap();
        let got = work::timeline_bytes(case, f).unwrap();
        assert!(got == want, "{what}: {f:?} export differs");
    }
    let mut argv = vec!["trailproof-app".to_string()];
    argv.extend(case.paths.iter().map(|p| p.to_string_lossy().into_owned()));
    let excerpt = TimelineExcerpt::of(tl);
    let html = render(Format::Html, report, Some(&excerpt), &argv).unwrap();
    let got = work::report_bytes(case, ReportFormat::Html).unwrap();
    assert!(got == html, "{what}: HTML report differs");
    let pdf = render(Format::Pdf, report, Some(&excerpt), &argv).unwrap();
    assert!(
        work::report_bytes(case, ReportFormat::Pdf).unwrap() == pdf,
        "{what}: PDF report differs"
    );
}

fn reference(paths: &[PathBuf]) -> (Report, Timeline) {
    let inv = Investigation::new(paths)
        .timeline(&TimelineOptions::default())
        .expect("investigates");
    (inv.report, inv.timeline)
}

fn open(paths: &[PathBuf]) -> Loaded {
    let cancel = AtomicBool::new(false);
    work::open(1, paths.to_vec(), None, &|_| {}, &cancel).expect("opens")
}

/// The case opened as the window opens it, and rebuilt with tiny dictionaries, against the
/// reference.
fn check(what: &str, paths: &[PathBuf], exports: bool) -> Timeline {
    let (report, tl) = reference(paths);
    let case = open(paths);
    assert_eq!(json(&case.report), json(&report), "{what}");
    same_queries(what, &case, &tl);
    if exports {
        same_exports(what, &case, &report, &tl);
    }
    for cap in [0, 1, 3] {
        let small = Loaded::with_dict_cap(
            cap,
            1,
            paths.to_vec(),
            report.clone(),
            tl.clone(),
            None,
            Vec::new(),
        );
        same_queries(&format!("{what} (dictionaries of {cap})"), &small, &tl);
    }
    tl
}

// ---------------------------------------------------------------------------------------------
// Cases.

#[test]
fn vectors_answer_as_the_whole_timeline_does() {
    let cases: Vec<Vec<PathBuf>> = vec![
        vec![vector("audit.sqlite")],
        vec![vector("records.jsonl"), vector("export-globex-all.pdf")],
        vec![
            vector("tampered/rechained-suffix.sqlite"),
            vector("export-acme-critical.pdf"),
        ],
        vec![
            vector("tampered/deleted-record.sqlite"),
            vector("audit.csv"),
        ],
        vec![
            vector("tampered/edited-field.sqlite"),
            vector("tampered/edited-and-rehashed.sqlite"),
            vector("export-acme-critical.json"),
        ],
        vec![vector("tampered/visible-edit.pdf")],
        vec![root().join("tests/fixtures/app/xss.jsonl")],
        vec![root().join("tests/fixtures/dumps/pg-inserts.sql")],
    ];
    let mut kinds = BTreeSet::new();
    for paths in cases {
        let what = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" + ");
        let tl = check(&what, &paths, true);
        kinds.extend(tl.events.iter().map(|e| e.integrity.as_str()));
    }
    // The vectors reach the states that matter for the compact columns.
    for k in ["verified", "gap", "diverged", "hash_mismatch"] {
        assert!(kinds.contains(k), "no {k} entry in the vectors: {kinds:?}");
    }
}

/// A JSON Lines dump of `n` records over three tenants, one record deleted and one edited after
/// hashing, and a second dump holding part of one tenant: every integrity state the files give,
/// every flag, denial bursts, ties in time, values that repeat and values that do not.
fn generate(dir: &Path, n: u64) -> Vec<PathBuf> {
    let s = |x: &str| Value::String(x.to_string());
    let tenants = ["t-b", "t-a", "t-c"];
    let actions = [
        "auth.login",
        "record.viewed",
        "sequence.edited",
        "call.barge",
        "export.requested",
        "auth.failed",
    ];
    let mut heads: Vec<(u64, String)> = tenants.iter().map(|_| (0, hex(&GENESIS))).collect();
    let a = dir.join("main.jsonl");
    let b = dir.join("partial.jsonl");
    let mut out_a = std::io::BufWriter::new(std::fs::File::create(&a).unwrap());
    let mut out_b = std::io::BufWriter::new(std::fs::File::create(&b).unwrap());
    let start = 1_777_536_000_000_000_000i64; // 2026-04-30T08:00:00Z
    for i in 0..n {
        let t = (i % 3) as usize;
        let seq = heads[t].0 + 1;
        // Pairs share an instant (ties across tenants); 61 s apart, so the case spans days.
        let nanos = start + (i / 2) as i64 * 61_000_000_123 + (i % 2) as i64 * 7;
        let action = actions[(i % actions.len() as u64) as usize];
        let failing = action == "auth.failed" || i % 50 < 6;
        let actor = if failing {
            "u-bursty".to_string()
        } else {
            format!("u-{}", i % 211)
        };
        let mut rec = Value::object(vec![
            ("seq".into(), Value::Number(seq as f64)),
            (
                "event_id".into(),
                s(&format!("00000000-0000-4000-8000-{i:012}")),
            ),
            ("tenant_id".into(), s(tenants[t])),
            ("timestamp".into(), s(&Instant { nanos }.canonical())),
            ("action".into(), s(action)),
            (
                "severity".into(),
                s(["info", "warning", "critical", ""][(i % 4) as usize]),
            ),
            ("actor_user_id".into(), s(&actor)),
            (
                "actor_role".into(),
                s(["tenant_admin", "agent"][(i % 2) as usize]),
            ),
            (
                "actor_display".into(),
                s(["Zoë Müller (zmuller)", "Ana O'Neil", "<b>x</b>"][(i % 3) as usize]),
            ),
            ("actor_ip".into(), s(&format!("198.51.100.{}", i % 17))),
            ("http_method".into(), s("POST")),
            ("http_route".into(), s(&format!("/v2/things/{}", i % 5))),
            (
                "resource_type".into(),
                s(["Call", "Sequence"][(i % 2) as usize]),
            ),
            ("resource_id".into(), s(&format!("res-{i}"))),
            ("resource_display".into(), s(&format!("Thing №{}", i % 40))),
            (
                "outcome".into(),
                s(if failing { "failure" } else { "success" }),
            ),
            (
                "outcome_reason".into(),
                if failing {
                    s("denied by policy")
                } else {
                    Value::Null
                },
            ),
            (
                "changes".into(),
                if action == "sequence.edited" {
                    Value::object(vec![("after".into(), Value::Number(i as f64))]).unwrap()
                } else {
                    Value::Null
                },
            ),
            (
                "metadata".into(),
                Value::object(vec![
                    ("row_count".into(), Value::Number((i % 300) as f64)),
                    ("threshold".into(), Value::Number(250.0)),
                ])
                .unwrap(),
            ),
            ("prev_hash".into(), s(&heads[t].1)),
        ])
        .unwrap();
        let h = hex(&compute_hash(&rec));
        rec.set("hash", s(&h));
        heads[t] = (seq, h);
        if t == 1 && seq <= n / 6 {
            if seq == 30 {
                // Edited and re-hashed in the partial dump: both copies hash, they differ.
                let mut other = rec.clone();
                other.set("actor_display", s("Mallory"));
                let h = hex(&compute_hash(&other)); // the hash member is not hashed
                other.set("hash", s(&h));
                writeln!(out_b, "{other}").unwrap();
            } else {
                writeln!(out_b, "{rec}").unwrap();
            }
        }
        if t == 0 && seq == 10 {
            continue; // deleted
        }
        if t == 1 && seq == 20 {
            rec.set("actor_display", s("Mallory")); // edited after hashing
        }
        writeln!(out_a, "{rec}").unwrap();
    }
    out_a.flush().unwrap();
    out_b.flush().unwrap();
    vec![a, b]
}

#[test]
fn a_generated_case_answers_as_the_whole_timeline_does() {
    let dir = tempfile::tempdir().unwrap();
    let paths = generate(dir.path(), 1500);
    let tl = check("generated", &paths, true);
    // More notable entries than a report lists: the report's count comes from every one.
    let notable = tl
        .events
        .iter()
        .filter(|e| e.kind == Kind::Gap || !e.flags.is_empty())
        .count();
    assert!(notable > trailproof_report::TIMELINE_ROWS, "{notable}");
    for f in Flag::ALL {
        assert!(
            tl.events.iter().any(|e| e.flags.contains(&f)),
            "no {f:?} in the generated case"
        );
    }
    for i in [
        "gap",
        "diverged",
        "hash_mismatch",
        "chain_broken",
        "only_in_one_source",
        "verified",
    ] {
        assert!(tl.events.iter().any(|e| e.integrity.as_str() == i), "{i}");
    }
    // The detail's row is the entry itself.
    let case = open(&paths);
    for i in [0, tl.events.len() as u32 / 2, tl.events.len() as u32 - 1] {
        let d = detail::detail(&case, i).unwrap();
        assert_eq!(d.row.index, i);
        assert_eq!(d.row.event, tl.events[i as usize]);
    }
    // A saved export is what timeline_bytes gives, and its digest is of those bytes.
    let out = dir.path().join("out.csv");
    let saved = work::save_timeline(&out, &case, TimelineFormat::Csv).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        bytes,
        work::timeline_bytes(&case, TimelineFormat::Csv).unwrap()
    );
    assert_eq!(saved.bytes, bytes.len() as u64);
    assert_eq!(saved.sha256, hex(&trailproof_core::record::sha256(&bytes)));
}

fn entry(tenant: &str, seq: u64, ts: Option<&str>, micros: Option<i64>) -> Event {
    Event {
        kind: Kind::Event,
        tenant_id: tenant.into(),
        seq,
        seq_end: None,
        timestamp: ts.map(str::to_string),
        micros,
        actor_user_id: Some(format!("u-{seq}")),
        actor_role: None,
        actor_display: Some("Zoë".into()),
        action: Some("auth.login".into()),
        http_method: None,
        http_route: None,
        severity: Some("info".into()),
        actor_ip: None,
        resource_type: None,
        resource_id: Some(format!("r-{seq}")),
        resource_display: None,
        outcome: Some("success".into()),
        outcome_reason: None,
        sources: vec!["a.jsonl".into()],
        integrity: Integrity::Verified,
        diverged_fields: Vec::new(),
        missing_from: Vec::new(),
        flags: Vec::new(),
        findings: Vec::new(),
    }
}

/// Entries the core never makes, so every fallback of the store is taken: timestamps out of
/// order, not canonical, without micros, micros without a timestamp; flags out of order and
/// repeated; empty strings; gaps of tenants with no event; lists and finding codes of all kinds.
fn odd_timeline() -> Timeline {
    use trailproof_core::finding::Code;
    let ts = |n: i64| Instant { nanos: n }.canonical();
    let base = 1_777_536_000_000_000_000i64;
    let mut events = Vec::new();
    for k in 0..40i64 {
        let nanos = base + k * 3_600_000_000_007;
        let mut e = entry(
            ["b", "a", "ä"][(k % 3) as usize],
            k as u64 + 1,
            Some(&ts(nanos)),
            Some(Instant { nanos }.micros()),
        );
        e.severity = [
            Some("info".into()),
            None,
            Some(String::new()),
            Some("Crit".into()),
        ][(k % 4) as usize]
            .clone();
        e.actor_user_id = [
            None,
            Some("ü-1".into()),
            Some("u-2".into()),
            Some(String::new()),
        ][(k % 4) as usize]
            .clone();
        e.outcome = [Some("failure".into()), None][(k % 2) as usize].clone();
        e.resource_type = Some(["Call", "CALL", "call"][(k % 3) as usize].into());
        e.sources = match k % 3 {
            0 => vec!["a.jsonl".into()],
            1 => vec!["a.jsonl".into(), "live:https://x.example".into()],
            _ => Vec::new(),
        };
        e.diverged_fields = if k % 5 == 0 {
            vec!["hash".into(), "actor_display".into()]
        } else {
            Vec::new()
        };
        e.missing_from = if k % 7 == 0 {
            vec!["b.sqlite".into()]
        } else {
            Vec::new()
        };
        e.findings = match k % 4 {
            0 => vec![Code::RecordDiverged],
            1 => vec![Code::ChainLinkBroken, Code::RecordMissing],
            _ => Vec::new(),
        };
        e.integrity = Integrity::ALL[(k % 8) as usize];
        e.flags = match k % 6 {
            0 => vec![Flag::OffHours, Flag::Denied], // out of order
            1 => vec![Flag::Denied, Flag::Denied],   // repeated
            2 => vec![Flag::PrivilegedIntervention, Flag::OffHours],
            3 => vec![Flag::DenialBurst],
            _ => Vec::new(),
        };
        match k {
            // Not canonical, and out of order.
            5 => e.timestamp = Some("2026-05-01 10:00:00Z".into()),
            // Micros that go back.
            9 => e.micros = Some(base / 1000 - 5),
            // A timestamp without micros, micros without a timestamp.
            13 => e.micros = None,
            14 => e.timestamp = None,
            _ => {}
        }
        events.push(e);
    }
    let mut gap = entry("z-gone", 3, None, None);
    gap.kind = Kind::Gap;
    gap.seq_end = Some(9);
    gap.integrity = Integrity::Gap;
    gap.actor_user_id = None;
    gap.actor_display = None;
    gap.action = None;
    gap.severity = None;
    gap.resource_id = None;
    gap.outcome = None;
    gap.findings = vec![Code::SeqGap];
    events.insert(7, gap.clone());
    gap.tenant_id = "a".into();
    gap.timestamp = Some(ts(base + 1));
    gap.micros = Some((base + 1) / 1000);
    events.insert(3, gap);
    Timeline {
        events,
        summary: Summary {
            events: 40,
            gaps: 2,
            tenants: vec!["a".into(), "b".into(), "ä".into()],
            ..Summary::default()
        },
    }
}

#[test]
fn entries_the_core_never_makes_still_answer_as_the_whole_timeline_does() {
    let tl = odd_timeline();
    for cap in [0, 1, 2, 1 << 16] {
        let case = Loaded::with_dict_cap(
            cap,
            1,
            Vec::new(),
            reference(&[vector("audit.sqlite")]).0,
            tl.clone(),
            None,
            Vec::new(),
        );
        same_queries(&format!("odd entries (dictionaries of {cap})"), &case, &tl);
    }
}

#[test]
fn an_empty_timeline_answers_empty() {
    let tl = Timeline {
        events: Vec::new(),
        summary: Summary::default(),
    };
    let case = Loaded::new(
        1,
        Vec::new(),
        reference(&[vector("audit.sqlite")]).0,
        tl.clone(),
        None,
        Vec::new(),
    );
    same_queries("empty", &case, &tl);
    assert!(case.is_empty());
    assert_eq!(case.bounds().first, None);
    assert_eq!(
        work::timeline_bytes(&case, TimelineFormat::Json).unwrap(),
        {
            let mut v = Vec::new();
            output::write(&tl, output::Format::Json, &mut v).unwrap();
            v
        }
    );
}
