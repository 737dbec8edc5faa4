//! The open case file as the app drives it (`workspace.rs`, the same calls its commands make):
//! a new case, evidence verified and recorded, star/tag/note, an analyst event, a saved view,
//! the case reopened with everything in place, an export logged, and an evidence file changed
//! behind the examiner's back named on the next open.

use std::sync::atomic::AtomicBool;

use trailproof_app::types::{AnnotationEdit, ErrorKind, NewCaseInput, RecordKey, TimelineFormat};
use trailproof_app::work;
use trailproof_app::workspace::Workspace;
use trailproof_casefile::EvidenceState;
use trailproof_testkit::{scratch, vector};

fn key(tenant: &str, seq: u64) -> RecordKey {
    RecordKey {
        tenant_id: tenant.into(),
        seq,
        source: None,
    }
}

#[test]
fn a_case_file_keeps_the_examiners_work_and_names_changed_evidence() {
    let dir = scratch("workspace");
    let evidence = dir.join("audit.sqlite");
    std::fs::copy(vector("audit.sqlite"), &evidence).unwrap();
    let path = dir.join("CASE-7.tpcase");

    let mut ws = Workspace::create(
        &path,
        NewCaseInput {
            number: "CASE-7".into(),
            examiner: "A. Examiner".into(),
            examiner_id: Some("".into()),
            title: Some("Payroll edits".into()),
            organisation: None,
            time_zone: Some("Europe/Berlin".into()),
        },
    )
    .unwrap();
    // Creating over an existing file is refused: the case file is never overwritten.
    let again = Workspace::create(
        &path,
        NewCaseInput {
            number: "CASE-7".into(),
            examiner: "B".into(),
            examiner_id: None,
            title: None,
            organisation: None,
            time_zone: None,
        },
    );
    assert_eq!(again.err().map(|e| e.kind), Some(ErrorKind::CaseFile));

    // Adding evidence: planned, verified as one case, recorded with that verdict.
    let planned = ws.plan(std::slice::from_ref(&evidence)).unwrap();
    assert_eq!(planned, vec!["audit.sqlite".to_string()]);
    let cancel = AtomicBool::new(false);
    let loaded = work::open(1, vec![evidence.clone()], None, &|_| {}, &cancel).unwrap();
    ws.record(std::slice::from_ref(&evidence), &planned, &loaded.report)
        .unwrap();
    // The same file again is refused by the plan.
    assert!(ws.plan(std::slice::from_ref(&evidence)).is_err());

    ws.annotate(key("acme", 3), AnnotationEdit::Star).unwrap();
    ws.annotate(
        key("acme", 3),
        AnnotationEdit::Tag {
            tag: "payroll".into(),
        },
    )
    .unwrap();
    ws.annotate(
        key("acme", 3),
        AnnotationEdit::Note {
            text: "asked HR".into(),
        },
    )
    .unwrap();
    ws.annotate(
        key("acme", 3),
        AnnotationEdit::EditNote {
            note: 1,
            text: "HR confirmed".into(),
        },
    )
    .unwrap();
    let empty = ws.annotate(key("acme", 4), AnnotationEdit::Tag { tag: "  ".into() });
    assert_eq!(empty.err().map(|e| e.kind), Some(ErrorKind::Invalid));
    let no_note = ws.annotate(
        key("acme", 4),
        AnnotationEdit::EditNote {
            note: 1,
            text: "x".into(),
        },
    );
    assert_eq!(no_note.err().map(|e| e.kind), Some(ErrorKind::Invalid));
    ws.add_analyst_event("2026-03-01T10:00:00+01:00", "Backup restored")
        .unwrap();
    assert_eq!(
        ws.add_analyst_event("yesterday", "x").err().map(|e| e.kind),
        Some(ErrorKind::Invalid)
    );
    ws.save_view(
        "starred acme",
        r#"{"filter":{"tenant":"acme"},"starred":true}"#,
    )
    .unwrap();
    assert!(ws.save_view("bad", "{not json").is_err());

    // An export written while the case is open is logged with its hash.
    let handover = ws.handover().unwrap();
    let out = dir.join("timeline.jsonl");
    let saved = work::save_case_timeline(&out, &loaded, TimelineFormat::Jsonl, &handover).unwrap();
    ws.log_export(&saved, "jsonl").unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let annotated: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v.to_string().contains("HR confirmed"))
        .collect();
    assert_eq!(annotated.len(), 1, "one event carries the note");
    assert!(
        text.contains("Backup restored"),
        "the analyst event is in the export"
    );
    drop(ws);

    // Reopened: the work is all there, the evidence unchanged.
    let ws = Workspace::open(&path).unwrap();
    let view = ws.view().unwrap();
    assert_eq!(view.case.number, "CASE-7");
    assert_eq!(view.case.time_zone, "Europe/Berlin");
    assert!(view.changed.is_empty());
    let a = &view.case.annotations;
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].tenant_id.as_str(), a[0].seq, a[0].starred),
        ("acme", 3, true)
    );
    assert_eq!(a[0].tags, vec!["payroll".to_string()]);
    assert_eq!(a[0].notes[0].text, "HR confirmed");
    assert!(a[0].notes[0].edited.is_some());
    assert_eq!(
        view.case.analyst_events[0].time,
        "2026-03-01T09:00:00.000000000Z"
    );
    assert_eq!(view.views.len(), 1);
    assert_eq!(view.views[0].name, "starred acme");
    assert!(view.case.examiner_log.breaks.is_empty());
    // The examiner log read back record by record: every action, in order, each verified.
    let log = ws.log_entries().unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "case.created",
            "evidence.added",
            "annotation.starred",
            "annotation.tagged",
            "annotation.noted",
            "annotation.note_edited",
            "analyst_event.added",
            "view.saved",
            "report.exported",
        ]
    );
    assert!(log
        .iter()
        .all(|e| e.problems.is_empty() && e.examiner == "A. Examiner"));
    assert_eq!(log.last().map(|e| e.seq), Some(9));
    assert!(
        log[5].details.contains("HR confirmed"),
        "{}",
        log[5].details
    );
    assert_eq!(
        view.evidence_paths,
        vec![evidence.to_string_lossy().into_owned()]
    );
    drop(ws);

    // The evidence changes: the next open names it, and the verdict is no longer current.
    let mut bytes = std::fs::read(&evidence).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&evidence, &bytes).unwrap();
    let view = Workspace::open(&path).unwrap().view().unwrap();
    assert_eq!(view.changed, vec!["audit.sqlite".to_string()]);
    assert!(matches!(
        view.case.evidence[0].now,
        EvidenceState::Changed { .. }
    ));
    let verdict = view.verdict.unwrap_or_default();
    assert!(verdict.starts_with("not current"), "{verdict}");
    let _ = std::fs::remove_dir_all(&dir);
}
