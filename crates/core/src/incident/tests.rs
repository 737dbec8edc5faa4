//! Tests of the grouping: each kind of act, its bounds, its root and dependents, and the order.
use super::*;
use crate::finding::FieldDiff;

fn finding(code: Code, tenant: &str, seq: u64) -> Finding {
    Finding::new(code, Some(tenant), Some(seq), format!("{code:?} at {seq}"))
}

fn diverged(seq: u64, fields: &[(&str, &str, &str)]) -> Finding {
    let mut f = finding(Code::RecordDiverged, "acme", seq)
        .input("export.pdf")
        .other_input("dump.sqlite");
    f.fields = fields
        .iter()
        .map(|(field, left, right)| FieldDiff {
            field: field.to_string(),
            left: Some(left.to_string()),
            right: Some(right.to_string()),
        })
        .collect();
    f
}

fn rehashed(seq: u64) -> Finding {
    diverged(
        seq,
        &[("hash", "\"a\"", "\"b\""), ("prev_hash", "\"c\"", "\"d\"")],
    )
}

#[test]
fn a_hidden_edit_is_one_rechained_incident_rooted_at_the_content_change() {
    let mut findings = vec![diverged(
        12,
        &[
            ("actor_user_id", "\"u-1004\"", "\"u-1003\""),
            ("hash", "\"x\"", "\"y\""),
        ],
    )];
    findings.extend((13..=57).map(rehashed));
    findings.push(
        finding(Code::AnchorMismatch, "acme", 57)
            .input("dump.sqlite")
            .other_input("export.pdf"),
    );
    let (incidents, of) = group(&findings);
    assert_eq!(incidents.len(), 1);
    let i = &incidents[0];
    assert_eq!(i.kind, IncidentKind::Rechained);
    assert_eq!((i.first_seq, i.last_seq), (Some(12), Some(57)));
    assert_eq!(i.root, 0);
    assert_eq!(i.dependents, (1..=46).collect::<Vec<_>>());
    assert_eq!(
        i.explanation,
        "acme seq 12 was changed (actor_user_id \"u-1004\" -> \"u-1003\") and the chain re-hashed from there to seq 57 to hide it; export.pdf exposes it with the chain head it states for seq 57; 45 later records differ only in their hashes"
    );
    assert!(of.iter().all(|&o| o == Some(1)));
}

#[test]
fn a_deletion_takes_the_broken_link_after_it() {
    let findings = vec![
        finding(Code::TimestampRegression, "acme", 8).input("d"),
        finding(Code::SeqGap, "acme", 9).input("d"),
        finding(Code::ChainLinkBroken, "acme", 10).input("d"),
    ];
    let (incidents, of) = group(&findings);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, IncidentKind::Deleted);
    assert_eq!(
        (incidents[0].first_seq, incidents[0].last_seq),
        (Some(9), Some(9))
    );
    assert_eq!(incidents[0].root, 1);
    assert_eq!(incidents[0].dependents, vec![2]);
    assert_eq!(
        incidents[0].explanation,
        "acme seq 9 was deleted: seq 10 still names it as its predecessor"
    );
    // The regression at seq 8 is older than the deletion: it stands alone.
    assert_eq!(of, vec![None, Some(1), Some(1)]);
}

#[test]
fn an_edit_takes_the_export_fingerprint_of_its_input() {
    let findings = vec![
        finding(Code::RecordHashMismatch, "acme", 9).input("a.pdf"),
        Finding::new(Code::FingerprintMismatch, Some("acme"), None, "fp".into()).input("a.pdf"),
    ];
    let (incidents, of) = group(&findings);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, IncidentKind::Edited);
    assert_eq!(incidents[0].dependents, vec![1]);
    assert_eq!(of, vec![Some(1), Some(1)]);
}

#[test]
fn a_recovered_original_joins_the_incident_of_its_record() {
    let findings = vec![
        finding(Code::ChainLinkBroken, "acme", 13).input("d"),
        finding(Code::RecordRecovered, "acme", 12).input("d"),
        finding(Code::RecordRecovered, "acme", 30).input("d"),
    ];
    let (incidents, of) = group(&findings);
    assert_eq!(incidents[0].dependents, vec![1]);
    assert_eq!(of, vec![Some(1), Some(1), None]);
}

#[test]
fn a_lone_broken_link_is_an_edit_rehashed_at_the_record_before() {
    let findings = vec![finding(Code::ChainLinkBroken, "acme", 23).input("d")];
    let (incidents, _) = group(&findings);
    assert_eq!(incidents[0].kind, IncidentKind::EditedRehashed);
    assert_eq!(
        (incidents[0].first_seq, incidents[0].last_seq),
        (Some(22), Some(22))
    );
}

#[test]
fn a_broken_link_where_time_goes_back_is_a_reorder() {
    let findings = vec![
        finding(Code::ChainLinkBroken, "acme", 6).input("d"),
        finding(Code::TimestampRegression, "acme", 6).input("d"),
    ];
    let (incidents, of) = group(&findings);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, IncidentKind::Reordered);
    assert_eq!(
        (incidents[0].first_seq, incidents[0].last_seq),
        (Some(5), Some(6))
    );
    assert_eq!(of, vec![Some(1), Some(1)]);
}

#[test]
fn truncation_takes_the_records_it_lacks() {
    let findings = vec![
        finding(Code::ChainTruncated, "acme", 40)
            .input("d")
            .other_input("e.pdf"),
        finding(Code::RecordMissing, "acme", 38)
            .input("d")
            .other_input("e.pdf"),
        finding(Code::RecordMissing, "acme", 40)
            .input("d")
            .other_input("e.pdf"),
    ];
    let (incidents, _) = group(&findings);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].kind, IncidentKind::Truncated);
    assert_eq!(
        (incidents[0].first_seq, incidents[0].last_seq),
        (Some(38), Some(40))
    );
    assert_eq!(incidents[0].dependents, vec![1, 2]);
}

#[test]
fn incidents_are_ordered_by_tenant_then_seq_and_every_error_has_one() {
    let findings = vec![
        finding(Code::RecordHashMismatch, "acme", 30).input("d"),
        finding(Code::SeqDuplicate, "globex", 4).input("d"),
        finding(Code::RecordHashMismatch, "acme", 3).input("d"),
        finding(Code::ChainLinkBroken, "globex", 5).input("d"),
        diverged(7, &[("action", "\"a\"", "\"b\"")]),
        finding(Code::RecordMissing, "globex", 9)
            .input("x")
            .other_input("y"),
        finding(Code::RecordMissing, "globex", 10)
            .input("x")
            .other_input("y"),
    ];
    let (incidents, of) = group(&findings);
    type Row<'a> = (u32, IncidentKind, Option<&'a str>, Option<u64>, Option<u64>);
    let got: Vec<Row> = incidents
        .iter()
        .map(|i| {
            (
                i.id,
                i.kind,
                i.tenant_id.as_deref(),
                i.first_seq,
                i.last_seq,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, IncidentKind::Edited, Some("acme"), Some(3), Some(3)),
            (2, IncidentKind::Diverged, Some("acme"), Some(7), Some(7)),
            (3, IncidentKind::Edited, Some("acme"), Some(30), Some(30)),
            (4, IncidentKind::Inserted, Some("globex"), Some(4), Some(4)),
            (5, IncidentKind::Deleted, Some("globex"), Some(9), Some(10)),
        ]
    );
    assert_eq!(
        of,
        vec![
            Some(3),
            Some(4),
            Some(1),
            Some(4),
            Some(2),
            Some(5),
            Some(5)
        ]
    );
}
