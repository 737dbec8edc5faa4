//! Cross-source reconciliation between record sources of any kind (AEF/1 section 9:
//! `record_diverged`, `record_missing`), record by record, through the shared run: dumps in
//! different forms holding the same (tenant, seq) with different content, or one lacking a
//! record the other holds. Each case is pinned to the exact code, tenant, seq, inputs, fields and
//! values, and to the `cross_source` check of every pair.

use std::path::{Path, PathBuf};

use trailproof_core::finding::{Code, Finding, Status};
use trailproof_core::report::Report;
use trailproof_engine::files::{build_case, RunOptions};
use trailproof_engine::{display, Investigation};
use trailproof_testkit::jsonl::{pos, records, rehash, write as write_jsonl};
use trailproof_testkit::{scratch, vector};

/// The vector records (records.jsonl), one serde value each, in file order.
fn run(paths: &[&Path]) -> Report {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
    Investigation::new(&paths).report().unwrap().report
}

/// (code, tenant, seq) of every error finding, sorted.
fn errors(r: &Report) -> Vec<(Code, String, u64)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.level == trailproof_core::finding::Level::Error)
        .map(|f| {
            (
                f.code,
                f.tenant_id.clone().unwrap_or_default(),
                f.seq.unwrap_or(0),
            )
        })
        .collect();
    v.sort();
    v
}

fn only(r: &Report, code: Code) -> Vec<&Finding> {
    r.findings.iter().filter(|f| f.code == code).collect()
}

/// (status, input, tenant) of every `cross_source` check, sorted.
fn cross_checks(r: &Report) -> Vec<(Status, String, String)> {
    let mut v: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.check == "cross_source")
        .map(|c| {
            (
                c.status,
                c.input.clone().unwrap_or_default(),
                c.tenant_id.clone().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn two_jsonl_dumps_one_edited_record_is_diverged_with_both_values() {
    let d = scratch("edited");
    let (a, b) = (d.join("a.jsonl"), d.join("b.jsonl"));
    let mut recs = records();
    write_jsonl(&a, &recs);
    let i = pos(&recs, "globex", 3);
    recs[i]["outcome"] = "failure".into();
    recs[i]["outcome_reason"] = "permission_denied".into();
    write_jsonl(&b, &recs);
    let r = run(&[&a, &b]);
    let (an, bn) = (display(&a), display(&b));
    assert_eq!(
        errors(&r),
        vec![
            (Code::RecordHashMismatch, "globex".into(), 3),
            (Code::RecordDiverged, "globex".into(), 3),
        ]
    );
    let f = only(&r, Code::RecordDiverged)[0];
    assert_eq!(f.input.as_deref(), Some(an.as_str()));
    assert_eq!(f.other_input.as_deref(), Some(bn.as_str()));
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = f
        .fields
        .iter()
        .map(|x| (x.field.as_str(), x.left.as_deref(), x.right.as_deref()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("outcome", Some("\"success\""), Some("\"failure\"")),
            (
                "outcome_reason",
                Some("null"),
                Some("\"permission_denied\"")
            ),
        ]
    );
    assert!(
        f.message.contains("outcome: \"success\" vs \"failure\""),
        "{}",
        f.message
    );
    assert_eq!(
        cross_checks(&r),
        vec![
            (Status::Passed, an.clone(), "acme".into()),
            (Status::Failed, an.clone(), "globex".into()),
        ]
    );
    let c = r
        .checks
        .iter()
        .find(|c| c.check == "cross_source" && c.status == Status::Failed)
        .unwrap();
    assert!(
        c.detail
            .contains("12 seq(s) held by both compared, 1 differ"),
        "{}",
        c.detail
    );
    assert_eq!(r.verdict.as_str(), "tampered");
}

#[test]
fn sqlite_against_jsonl_with_one_deleted_record_is_missing() {
    let d = scratch("deleted");
    let db = d.join("audit.sqlite");
    std::fs::copy(vector("audit.sqlite"), &db).unwrap();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let n = c
            .execute(
                "DELETE FROM audit_log WHERE tenant_id = 'globex' AND seq = 5",
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    let jsonl = vector("records.jsonl");
    let r = run(&[&db, &jsonl]);
    let (dn, jn) = (display(&db), display(&jsonl));
    assert_eq!(
        errors(&r),
        vec![
            (Code::ChainLinkBroken, "globex".into(), 6),
            (Code::SeqGap, "globex".into(), 5),
            (Code::RecordMissing, "globex".into(), 5),
        ]
    );
    let m = only(&r, Code::RecordMissing)[0];
    // `input` is the source that lacks the record, `other_input` the one that holds it.
    assert_eq!(m.input.as_deref(), Some(dn.as_str()));
    assert_eq!(m.other_input.as_deref(), Some(jn.as_str()));
    assert!(
        m.message
            .contains("which holds tenant globex's chain up to seq 12"),
        "{}",
        m.message
    );
    assert_eq!(
        cross_checks(&r),
        vec![
            (Status::Passed, dn.clone(), "acme".into()),
            (Status::Failed, dn.clone(), "globex".into()),
        ]
    );

    // The other way round (the JSON Lines dump lost a record the SQLite file still holds), and
    // in the order JSON Lines first: the finding names the same sides.
    let mut recs = records();
    let i = pos(&recs, "acme", 33);
    recs.remove(i);
    let short = d.join("short.jsonl");
    write_jsonl(&short, &recs);
    let full = vector("audit.sqlite");
    let r = run(&[&short, &full]);
    let m = only(&r, Code::RecordMissing);
    assert_eq!(m.len(), 1, "{:?}", r.findings);
    assert_eq!(
        (m[0].tenant_id.as_deref(), m[0].seq),
        (Some("acme"), Some(33))
    );
    assert_eq!(m[0].input.as_deref(), Some(display(&short).as_str()));
    assert_eq!(m[0].other_input.as_deref(), Some(display(&full).as_str()));
}

#[test]
fn identical_dumps_in_every_form_reconcile_and_the_check_passes() {
    let names = [
        "audit.sqlite",
        "audit.sqlite.sql",
        "audit.csv",
        "records.jsonl",
    ];
    let files: Vec<PathBuf> = names.iter().map(|n| vector(n)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let r = run(&refs);
    assert_eq!(r.verdict.as_str(), "intact", "{}", r.summary);
    assert!(only(&r, Code::RecordDiverged).is_empty());
    assert!(only(&r, Code::RecordMissing).is_empty());
    let checks = cross_checks(&r);
    // Six pairs, two tenants each.
    assert_eq!(checks.len(), 12, "{checks:?}");
    assert!(checks.iter().all(|c| c.0 == Status::Passed), "{checks:?}");
    let c = r
        .checks
        .iter()
        .find(|c| c.check == "cross_source" && c.tenant_id.as_deref() == Some("acme"))
        .unwrap();
    assert!(
        c.detail
            .contains("40 seq(s) held by both compared, 0 differ; 0 absent from"),
        "{}",
        c.detail
    );

    // The same file twice: a pair like any other.
    let j = vector("records.jsonl");
    let r = run(&[&j, &j]);
    assert_eq!(r.verdict.as_str(), "intact", "{}", r.summary);
    assert_eq!(cross_checks(&r).len(), 2);
}

#[test]
fn a_pg_dump_and_its_json_lines_agree_across_timestamp_renderings() {
    // audit.pg.sql renders timestamps as PostgreSQL does (`2026-05-02 12:02:12.304881+00`);
    // brought to canonical form they are the records of pg-records.jsonl.
    let (pg, j) = (vector("audit.pg.sql"), vector("pg-records.jsonl"));
    let r = run(&[&pg, &j]);
    assert_eq!(r.verdict.as_str(), "intact", "{}", r.summary);
    assert!(cross_checks(&r).iter().all(|c| c.0 == Status::Passed));

    // One record edited and re-hashed in the JSON Lines copy: the pg_dump shows the original.
    let d = scratch("pg");
    let text = std::fs::read_to_string(&j).unwrap();
    let mut recs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let i = pos(&recs, "acme", 4);
    let before = recs[i]["actor_user_id"].clone();
    recs[i]["actor_user_id"] = "u-9999".into();
    rehash(&mut recs[i]);
    let new_hash = recs[i]["hash"].as_str().unwrap().to_string();
    let old_hash = serde_json::from_str::<serde_json::Value>(text.lines().nth(i).unwrap()).unwrap()
        ["hash"]
        .as_str()
        .unwrap()
        .to_string();
    let edited = d.join("pg-edited.jsonl");
    write_jsonl(&edited, &recs);
    let r = run(&[&pg, &edited]);
    assert_eq!(
        errors(&r),
        vec![
            (Code::ChainLinkBroken, "acme".into(), 5),
            (Code::RecordDiverged, "acme".into(), 4),
        ]
    );
    let f = only(&r, Code::RecordDiverged)[0];
    assert_eq!(f.input.as_deref(), Some(display(&pg).as_str()));
    assert_eq!(f.other_input.as_deref(), Some(display(&edited).as_str()));
    let fields: Vec<(String, Option<String>, Option<String>)> = f
        .fields
        .iter()
        .map(|x| (x.field.clone(), x.left.clone(), x.right.clone()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (
                "actor_user_id".to_string(),
                Some(before.to_string()),
                Some("\"u-9999\"".to_string())
            ),
            (
                "hash".to_string(),
                Some(format!("\"{old_hash}\"")),
                Some(format!("\"{new_hash}\""))
            ),
        ]
    );
}

#[test]
fn a_duplicated_seq_is_not_also_a_divergence() {
    // seq 4 inserted a second time with other content: seq_duplicate in that dump; the other
    // dump's record equals one of the two, so the pair agrees on seq 4.
    let d = scratch("dup");
    let mut recs = records();
    let i = pos(&recs, "acme", 4);
    let mut c = recs[i].clone();
    c["action"] = "record.viewed".into();
    rehash(&mut c);
    recs.insert(i + 1, c);
    let dup = d.join("dup.jsonl");
    write_jsonl(&dup, &recs);
    let r = run(&[&vector("audit.sqlite"), &dup]);
    assert_eq!(
        errors(&r),
        vec![(Code::SeqDuplicate, "acme".into(), 4)],
        "{}",
        r.summary
    );
    assert!(cross_checks(&r).iter().all(|c| c.0 == Status::Passed));
}

#[test]
fn a_dump_changed_between_the_two_passes_is_not_trusted_for_fields() {
    let d = scratch("changed");
    let (a, b) = (d.join("a.jsonl"), d.join("b.jsonl"));
    let mut recs = records();
    write_jsonl(&a, &recs);
    let i = pos(&recs, "acme", 10);
    recs[i]["actor_ip"] = "203.0.113.66".into();
    write_jsonl(&b, &recs);
    let case = build_case(&[a.clone(), b.clone()], &RunOptions::default()).unwrap();
    // The first file changes after it was read once: its SHA-256 no longer matches, so its
    // records are not used for the field diff, and the report says so.
    std::fs::write(&a, std::fs::read(&b).unwrap()).unwrap();
    let r = case.report("trailproof", "test");
    let f = only(&r, Code::RecordDiverged);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].tenant_id.as_deref(), f[0].seq),
        (Some("acme"), Some(10))
    );
    assert!(f[0].fields.is_empty());
    assert!(
        f[0].message
            .contains("the differing fields cannot be shown")
            && f[0].message.contains("changed since it was first read"),
        "{}",
        f[0].message
    );
    let c = r
        .checks
        .iter()
        .find(|c| c.check == "cross_source_reread")
        .unwrap();
    assert_eq!(c.status, Status::NotPossible);
    assert_eq!(c.input.as_deref(), Some(display(&a).as_str()));
}
