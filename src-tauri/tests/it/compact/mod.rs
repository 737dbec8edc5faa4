//! The compact case store against a straightforward reference: the whole `Timeline` in memory
//! (from the core's `finish`, not from the store) and the queries as they were written over it
//! before the store existed. Every page (rows and their order), filter, sort, density, bound,
//! facet, lookup, detail row and export must be identical, on the vectors, the fixtures, a
//! generated case with more than a report's worth of flagged events, and hand-made entries the
//! core never produces (out of order, unreadable timestamps, repeated flags). Each case is also
//! built with tiny dictionaries, so that values are stored inline instead of as ids.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use trailproof_app::session::{Loaded, PAGE_LIMIT};
use trailproof_app::types::{RecordFilter, RecordQuery, ReportFormat, SortKey, TimelineFormat};
use trailproof_app::{detail, work};
use trailproof_core::record::hex;
use trailproof_core::report::Report;
use trailproof_core::time::Instant;
use trailproof_core::timeline::model::{
    Event, Flag, Integrity, Kind, Summary, Timeline, TimelineOptions,
};
use trailproof_core::timeline::output;
use trailproof_engine::Investigation;
use trailproof_report::{render, render_at, Format, TimelineExcerpt};

use trailproof_testkit::{root, vector};

mod generated;
mod odd;
mod reference;
use generated::generate;
use reference::*;

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
    let r = Ref::new(tl.clone(), &case.report);
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
    // The same PDF, given the document date the app's has (the moment it was written).
    let got = work::report_bytes(case, ReportFormat::Pdf).unwrap();
    let pdf = render_at(
        Format::Pdf,
        report,
        Some(&excerpt),
        &argv,
        creation_date(&got),
    )
    .unwrap();
    assert!(got == pdf, "{what}: PDF report differs");
}

/// The `/CreationDate` (`D:YYYYMMDDHHMMSSZ`) of a PDF, in seconds since the epoch.
fn creation_date(pdf: &[u8]) -> i64 {
    let key = b"/CreationDate(D:";
    let at = pdf
        .windows(key.len())
        .position(|w| w == key)
        .expect("a creation date");
    let d = std::str::from_utf8(&pdf[at + key.len()..at + key.len() + 14]).unwrap();
    let text = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14]
    );
    trailproof_core::time::normalize(&text).unwrap().nanos / 1_000_000_000
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
        // Records recovered from freed cells: entries of their own.
        vec![
            root().join("tests/fixtures/recovery/delete.sqlite"),
            root().join("tests/fixtures/recovery/replace_rehashed.sqlite"),
        ],
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
    for k in ["verified", "gap", "diverged", "hash_mismatch", "recovered"] {
        assert!(kinds.contains(k), "no {k} entry in the vectors: {kinds:?}");
    }
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
    // Every flag a record's own content gives (the proof flags are those of recovered
    // versions: the fixtures' case above and the hand-made entries cover them).
    for f in Flag::ALL
        .into_iter()
        .filter(|f| !matches!(f, Flag::ProofChain | Flag::ProofSelf | Flag::ProofNone))
    {
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
