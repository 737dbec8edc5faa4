//! Cross-source reconciliation in the core, with sources fed the way `trailproof-live` feeds live
//! records (`Case::source_scoped` with `Mode::Subset`): a subset source is compared only on the
//! records of its scope, whichever of the two sources streams first; a source that cannot be
//! read again still yields its divergences, without the field-level diff.

use trailproof_core::case::{Case, SourceRun};
use trailproof_core::chain::Mode;
use trailproof_core::finding::{Code, Level, Status};
use trailproof_core::json::Value;
use trailproof_core::record::{self, Location, RawData, RawRecord};
use trailproof_core::report::Report;
use trailproof_core::scope::{Scope, ScopeParams};

pub(super) fn lines() -> Vec<String> {
    std::fs::read_to_string(trailproof_testkit::vector("records.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `lines` as JSON Lines records, line 1 first.
pub(super) fn raw(lines: &[String]) -> Vec<RawRecord> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| RawRecord {
            loc: Location::Line(i as u64 + 1),
            data: RawData::Json(l.clone().into_bytes()),
        })
        .collect()
}

fn field(line: &str, k: &str) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(line).unwrap()[k].clone()
}

fn is(line: &str, tenant: &str, seq: u64) -> bool {
    field(line, "tenant_id") == tenant && field(line, "seq") == seq
}

fn critical() -> Scope {
    Scope::normalize(&ScopeParams {
        tenant_id: Some("acme".into()),
        severity: Some("critical".into()),
        ..Default::default()
    })
    .unwrap()
}

/// The acme critical records of the vectors (seq 2, 9, 21, 23, 24, 31, 39), as a live scope
/// query returns them.
fn critical_lines() -> Vec<String> {
    lines()
        .into_iter()
        .filter(|l| field(l, "tenant_id") == "acme" && field(l, "severity") == "critical")
        .collect()
}

/// Feeds a dump, re-readable from `lines`.
pub(super) fn add_dump(case: &mut Case, name: &str, lines: Vec<String>) {
    let mut run = case.source(name, "jsonl");
    run.push_batch(raw(&lines));
    let again = lines.clone();
    run.set_reread(Box::new(
        move |sink: &mut dyn FnMut(Vec<RawRecord>, u64)| {
            sink(raw(&again), 0);
            Ok("sha-of-".to_string() + &again.len().to_string())
        },
    ));
    let n = lines.len();
    case.finish_source(run, 0, format!("sha-of-{n}"));
}

/// Feeds live records of `scope` one by one, as the live check does (never re-readable).
fn add_live(case: &mut Case, name: &str, scope: &Scope, lines: &[String]) {
    let mut run: SourceRun = case.source_scoped(name, "live", Mode::Subset, scope);
    let mut buf = Vec::new();
    for r in raw(lines) {
        run.absorb(record::check(r, &mut buf));
    }
    case.finish_source(run, 0, "live".into());
}

fn errors(r: &Report) -> Vec<(Code, String, u64, String, String)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .map(|f| {
            (
                f.code,
                f.tenant_id.clone().unwrap_or_default(),
                f.seq.unwrap_or(0),
                f.input.clone().unwrap_or_default(),
                f.other_input.clone().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn cross(r: &Report) -> Vec<(Status, String, String)> {
    r.checks
        .iter()
        .filter(|c| c.check == "cross_source")
        .map(|c| {
            (
                c.status,
                c.tenant_id.clone().unwrap_or_default(),
                c.detail.clone(),
            )
        })
        .collect()
}

#[test]
fn a_subset_source_is_compared_only_on_its_scope() {
    let mut case = Case::new();
    add_dump(&mut case, "dump.jsonl", lines());
    add_live(&mut case, "live", &critical(), &critical_lines());
    let r = case.report("t", "0");
    assert_eq!(errors(&r), vec![], "{}", r.summary);
    let c = cross(&r);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].0, Status::Passed);
    assert!(
        c[0].2.contains("7 seq(s) held by both compared, 0 differ; 0 absent from dump.jsonl, 0 absent from live")
            && c[0].2.contains("live holds only the scope severity=critical"),
        "{}",
        c[0].2
    );
}

#[test]
fn a_subset_source_streamed_after_the_dump() {
    // The live scope lacks critical seq 23 and shows seq 31 with another resource_display.
    let mut live = critical_lines();
    live.retain(|l| !is(l, "acme", 23));
    let i = live.iter().position(|l| is(l, "acme", 31)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&live[i]).unwrap();
    let before = v["resource_display"].clone();
    v["resource_display"] = "Call #000000".into();
    live[i] = v.to_string();
    let mut case = Case::new();
    add_dump(&mut case, "dump.jsonl", lines());
    add_live(&mut case, "live", &critical(), &live);
    let r = case.report("t", "0");
    assert_eq!(
        errors(&r),
        vec![
            (
                Code::RecordHashMismatch,
                "acme".into(),
                31,
                "live".into(),
                String::new()
            ),
            (
                Code::RecordDiverged,
                "acme".into(),
                31,
                "dump.jsonl".into(),
                "live".into()
            ),
            (
                Code::RecordMissing,
                "acme".into(),
                23,
                "live".into(),
                "dump.jsonl".into()
            ),
        ]
    );
    let d = r
        .findings
        .iter()
        .find(|f| f.code == Code::RecordDiverged)
        .unwrap();
    assert_eq!(d.fields.len(), 1);
    assert_eq!(d.fields[0].field, "resource_display");
    assert_eq!(d.fields[0].left, Some(before.to_string()));
    assert_eq!(d.fields[0].right.as_deref(), Some("\"Call #000000\""));
    let m = r
        .findings
        .iter()
        .find(|f| f.code == Code::RecordMissing)
        .unwrap();
    assert!(
        m.message
            .contains("which holds the records of its scope (severity=critical) up to seq 39"),
        "{}",
        m.message
    );
    assert_eq!(cross(&r)[0].0, Status::Failed);
}

#[test]
fn a_subset_source_streamed_before_the_dump() {
    // Live first (lacking critical seq 9), then a dump that lost seq 24 (critical) and seq 25
    // (not critical: a whole chain must hold it all the same).
    let mut live = critical_lines();
    live.retain(|l| !is(l, "acme", 9));
    let mut dump = lines();
    dump.retain(|l| !is(l, "acme", 24) && !is(l, "acme", 25));
    let mut case = Case::new();
    add_live(&mut case, "live", &critical(), &live);
    add_dump(&mut case, "dump.jsonl", dump);
    let r = case.report("t", "0");
    let missing: Vec<_> = errors(&r)
        .into_iter()
        .filter(|e| e.0 == Code::RecordMissing)
        .collect();
    assert_eq!(
        missing,
        vec![
            (
                Code::RecordMissing,
                "acme".into(),
                9,
                "live".into(),
                "dump.jsonl".into()
            ),
            (
                Code::RecordMissing,
                "acme".into(),
                24,
                "dump.jsonl".into(),
                "live".into()
            ),
        ]
    );
}

#[test]
fn without_a_second_read_a_divergence_stands_without_its_fields() {
    // Two whole-tenant sources that cannot be read again (live records of two fetches).
    let all: Vec<String> = lines()
        .into_iter()
        .filter(|l| field(l, "tenant_id") == "globex")
        .collect();
    let mut other = all.clone();
    let i = other.iter().position(|l| is(l, "globex", 7)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&other[i]).unwrap();
    v["outcome"] = "failure".into();
    let rehashed = Value::from_serde(&v).unwrap();
    v["hash"] = record::hex(&record::compute_hash(&rehashed)).into();
    other[i] = v.to_string();
    let scope = Scope::tenant("globex");
    let mut case = Case::new();
    for (name, recs) in [("live-1", &all), ("live-2", &other)] {
        let mut run = case.source_scoped(name, "live", Mode::Full, &scope);
        let mut buf = Vec::new();
        for r in raw(recs) {
            run.absorb(record::check(r, &mut buf));
        }
        case.finish_source(run, 0, "x".into());
    }
    let r = case.report("t", "0");
    let d: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::RecordDiverged)
        .collect();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].tenant_id.as_deref(), d[0].seq),
        (Some("globex"), Some(7))
    );
    assert!(d[0].fields.is_empty());
    assert!(
        d[0].message
            .contains("the differing fields cannot be shown: live-1 cannot be read again"),
        "{}",
        d[0].message
    );
    assert_eq!(cross(&r)[0].0, Status::Failed);
}

/// A case declared to hold one record source keeps no index of it: reconciling nothing costs
/// nothing. A second source started anyway is not reconciled with it, and the report says so
/// (not possible) instead of passing the pair; declared as two, the same pair is reconciled.
#[test]
fn a_source_declared_alone_keeps_no_index_and_a_pair_with_it_is_not_possible() {
    let declared = |n: usize| {
        let mut case = Case::new();
        case.expect_record_sources(n);
        add_dump(&mut case, "dump.jsonl", lines());
        add_live(&mut case, "live", &critical(), &critical_lines());
        case.report("t", "0")
    };
    let alone = declared(1);
    assert_eq!(errors(&alone), vec![]);
    assert_eq!(
        cross(&alone),
        vec![(
            Status::NotPossible,
            String::new(),
            "no index of dump.jsonl was kept (the case was declared to hold one record source): \
             dump.jsonl and live are not reconciled record by record"
                .to_string()
        )]
    );
    let two = declared(2);
    let c = cross(&two);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].0, Status::Passed);
    assert!(
        c[0].2.contains("7 seq(s) held by both compared"),
        "{}",
        c[0].2
    );
}
