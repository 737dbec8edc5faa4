//! The examiner log against the core: a case file is AEF/1 evidence. Verified like a dump it
//! reads intact (consistent, nothing anchors it); a copy edited by hand reads tampered with the
//! exact finding, and the case's own check names the same record.

use trailproof_casefile::state::replay;
use trailproof_casefile::{Action, CaseFile, NewCase, Target};
use trailproof_core::finding::Code;
use trailproof_core::report::Verdict;
use trailproof_engine::Investigation;
use trailproof_testkit::scratch;

fn case_with_actions(path: &std::path::Path) -> CaseFile {
    let mut case = CaseFile::create(
        path,
        NewCase {
            number: "2026-041".into(),
            title: None,
            examiner_name: "Dana Reyes".into(),
            examiner_id: None,
            organisation: Some("Acme Audit".into()),
            time_zone: None,
        },
    )
    .unwrap();
    let t = Target {
        tenant_id: "acme".into(),
        seq: 9,
        source: Some("audit.sqlite".into()),
    };
    case.record(&Action::Starred(t.clone())).unwrap();
    case.record(&Action::Tagged(t, "deleted".into())).unwrap();
    case
}

#[test]
fn the_examiner_log_verifies_as_aef1_evidence() {
    let dir = scratch("casefile-verify");
    let path = dir.join("inv.tpcase");
    let case = case_with_actions(&path);
    let case_id = case.info().id.clone();
    drop(case);
    let outcome = Investigation::new(std::slice::from_ref(&path))
        .report()
        .unwrap();
    let r = outcome.report;
    assert_eq!(r.verdict, Verdict::Intact, "{}", r.summary);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.counts.records, 3);
    assert_eq!(r.inputs[0].kind, "sqlite");
    assert_eq!(r.tenants.len(), 1);
    assert_eq!(r.tenants[0].summary.tenant_id, case_id);
    assert_eq!(r.tenants[0].summary.last_seq, 3);
}

#[test]
fn a_copy_edited_by_hand_fails_with_the_exact_finding() {
    let dir = scratch("casefile-edited");
    let path = dir.join("inv.tpcase");
    drop(case_with_actions(&path));
    let edited = dir.join("edited.tpcase");
    std::fs::copy(&path, &edited).unwrap();
    let conn = rusqlite::Connection::open(&edited).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET metadata = replace(metadata, '\"deleted\"', '\"routine\"')
         WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);

    let r = Investigation::new(std::slice::from_ref(&edited))
        .report()
        .unwrap()
        .report;
    assert_eq!(r.verdict, Verdict::Tampered);
    let errors: Vec<(Code, Option<u64>)> = r
        .findings
        .iter()
        .filter(|f| f.level == trailproof_core::finding::Level::Error)
        .map(|f| (f.code, f.seq))
        .collect();
    assert_eq!(errors, [(Code::RecordHashMismatch, Some(3))]);

    let case = CaseFile::open(&edited, false).unwrap();
    let state = replay(&case).unwrap();
    assert_eq!(state.log.breaks.len(), 1, "{:?}", state.log.breaks);
    assert!(
        state.log.breaks[0].starts_with("seq 3: hash mismatch: stored "),
        "{}",
        state.log.breaks[0]
    );
    // The replay shows what the edited file says, and the break beside it.
    assert_eq!(state.annotations[0].tags, ["routine"]);

    // Read back entry by entry, the edited record carries the break and only it does.
    let entries = trailproof_casefile::log::entries(
        &case.info().id,
        &trailproof_casefile::log::read(&case).unwrap(),
    );
    let broken: Vec<(u64, usize)> = entries
        .iter()
        .filter(|e| !e.problems.is_empty())
        .map(|e| (e.seq, e.problems.len()))
        .collect();
    assert_eq!(broken, [(3, 1)]);
    let third = &entries[2];
    assert_eq!(format!("seq 3: {}", third.problems[0]), state.log.breaks[0]);
    assert_eq!(third.action, "annotation.tagged");
    assert!(
        third.details.contains("\"tag\":\"routine\""),
        "{}",
        third.details
    );
}
