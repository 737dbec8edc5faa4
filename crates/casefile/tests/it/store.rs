//! The case store: what a new case holds, what the log replays to, refusals (an existing file,
//! a file that is not a case, an unknown time zone), and re-hashing evidence that changed or
//! vanished.

use std::path::Path;

use trailproof_casefile::state::replay;
use trailproof_casefile::{handover, Action, CaseError, CaseFile, EvidenceState, NewCase, Target};
use trailproof_testkit::{scratch, sha256_hex, vector};

fn new_case(path: &Path) -> CaseFile {
    CaseFile::create(
        path,
        NewCase {
            number: "2026-041".into(),
            title: Some("Lead sequence fraud".into()),
            examiner_name: "Dana Reyes".into(),
            examiner_id: Some("dr-7".into()),
            organisation: None,
            time_zone: Some("Europe/Berlin".into()),
        },
    )
    .unwrap()
}

fn target(seq: u64) -> Target {
    Target {
        tenant_id: "acme".into(),
        seq,
        source: None,
    }
}

#[test]
fn a_case_replays_to_exactly_what_the_examiner_did() {
    let dir = scratch("casefile-replay");
    let path = dir.join("inv.tpcase");
    let mut case = new_case(&path);
    let t = target(3);
    case.record(&Action::Starred(t.clone())).unwrap();
    case.record(&Action::Tagged(t.clone(), "exfil".into()))
        .unwrap();
    case.record(&Action::Tagged(t.clone(), "key event".into()))
        .unwrap();
    case.record(&Action::Untagged(t.clone(), "exfil".into()))
        .unwrap();
    case.record(&Action::Noted {
        target: t.clone(),
        note: 1,
        text: "first".into(),
    })
    .unwrap();
    case.record(&Action::NoteEdited {
        target: t.clone(),
        note: 1,
        text: "second".into(),
    })
    .unwrap();
    // A record starred and unstarred again leaves nothing to show.
    case.record(&Action::Starred(target(4))).unwrap();
    case.record(&Action::Unstarred(target(4))).unwrap();
    case.record(&Action::AnalystEventAdded {
        id: 1,
        time: "2026-04-30T12:02:00.000000000Z".into(),
        text: "call with the CFO".into(),
    })
    .unwrap();
    let head = case
        .record(&Action::AnalystEventWithdrawn { id: 1 })
        .unwrap();
    assert_eq!(head.seq, 11, "case.created and ten actions");
    drop(case);

    let case = CaseFile::open(&path, false).unwrap();
    assert_eq!(case.info().number, "2026-041");
    assert_eq!(case.info().examiner_id, "dr-7");
    assert_eq!(case.info().time_zone, "Europe/Berlin");
    let state = replay(&case).unwrap();
    assert_eq!(state.log.records, 11);
    assert!(state.log.breaks.is_empty(), "{:?}", state.log.breaks);
    assert_eq!(state.log.head.as_ref().unwrap(), &head);
    assert!(
        state.inconsistencies.is_empty(),
        "{:?}",
        state.inconsistencies
    );
    assert_eq!(state.annotations.len(), 1, "seq 4 has nothing left on it");
    let a = &state.annotations[0];
    assert_eq!((a.tenant_id.as_str(), a.seq, a.starred), ("acme", 3, true));
    assert_eq!(a.tags, ["key event"]);
    assert_eq!(a.notes.len(), 1);
    assert_eq!(a.notes[0].text, "second");
    assert!(a.notes[0].edited.is_some());
    assert_eq!(state.analyst_events.len(), 1);
    assert!(state.analyst_events[0].withdrawn);
    assert_eq!(state.next_note(), 2);
    assert_eq!(state.next_analyst_event(), 2);
}

#[test]
fn the_log_is_append_only_in_the_file_itself() {
    let dir = scratch("casefile-append-only");
    let path = dir.join("inv.tpcase");
    drop(new_case(&path));
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(
            err.contains("the examiner log is append-only"),
            "{sql}: {err}"
        );
    }
}

#[test]
fn refusals_name_the_file_and_the_reason() {
    let dir = scratch("casefile-refusals");
    let path = dir.join("inv.tpcase");
    drop(new_case(&path));
    let again = CaseFile::create(
        &path,
        NewCase {
            number: "x".into(),
            title: None,
            examiner_name: "y".into(),
            examiner_id: None,
            organisation: None,
            time_zone: None,
        },
    );
    assert!(matches!(again, Err(CaseError::Exists { .. })));

    let not_case = CaseFile::open(&vector("audit.sqlite"), false)
        .err()
        .unwrap();
    assert_eq!(
        not_case.to_string(),
        format!(
            "{}: not a Trailproof case file: application_id is 0x0, not 0x54504346",
            vector("audit.sqlite").display()
        )
    );

    let bad_zone = CaseFile::create(
        &dir.join("zone.tpcase"),
        NewCase {
            number: "x".into(),
            title: None,
            examiner_name: "y".into(),
            examiner_id: None,
            organisation: None,
            time_zone: Some("Mars/Olympus".into()),
        },
    )
    .err()
    .unwrap();
    assert!(
        bad_zone
            .to_string()
            .starts_with("time zone: \"Mars/Olympus\""),
        "{bad_zone}"
    );
    assert!(!dir.join("zone.tpcase").exists(), "nothing is written");
}

#[test]
fn re_hashing_names_evidence_that_changed_or_vanished() {
    let dir = scratch("casefile-rehash");
    let path = dir.join("inv.tpcase");
    let mut case = new_case(&path);
    let bytes = std::fs::read(vector("audit.sqlite")).unwrap();
    for name in ["kept.sqlite", "changed.sqlite", "gone.sqlite"] {
        std::fs::write(dir.join(name), &bytes).unwrap();
        case.add_evidence(
            name,
            bytes.len() as u64,
            &sha256_hex(&bytes),
            "sqlite",
            "intact",
        )
        .unwrap();
    }
    let mut changed = bytes.clone();
    changed[100] ^= 1;
    std::fs::write(dir.join("changed.sqlite"), &changed).unwrap();
    std::fs::remove_file(dir.join("gone.sqlite")).unwrap();

    let (h, _) = handover(&case).unwrap();
    let states: Vec<(&str, &EvidenceState)> = h
        .evidence
        .iter()
        .map(|c| (c.evidence.path.as_str(), &c.now))
        .collect();
    assert_eq!(states[0], ("kept.sqlite", &EvidenceState::Unchanged));
    assert_eq!(
        states[1],
        (
            "changed.sqlite",
            &EvidenceState::Changed {
                size_now: bytes.len() as u64,
                sha256_now: sha256_hex(&changed),
            }
        )
    );
    assert!(matches!(
        states[2],
        ("gone.sqlite", EvidenceState::Missing { .. })
    ));
    assert_eq!(
        trailproof_casefile::case_verdict(&h).unwrap(),
        "not current: evidence changed since it was verified"
    );
}
