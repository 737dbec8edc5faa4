//! Recovered records added before the record sources ([`Case::add_recovered`], as a PDF's
//! earlier revisions are) are graded when the report is built, against the record sources and
//! live queries read after them, and compared with the version their own input holds now.

use trailproof_core::case::Case;
use trailproof_core::finding::{Code, Proof};
use trailproof_core::json::Value;
use trailproof_core::record::{Location, RawData, RawRecord};
use trailproof_core::recovery::{RecoveredCopy, Superseded, PDF_REVISION};

use crate::reconcile::{add_dump, lines};

fn record(tenant: &str, seq: u64) -> Value {
    lines()
        .iter()
        .map(|l| Value::parse_str(l).unwrap())
        .find(|v| {
            v.get("tenant_id").and_then(Value::as_str) == Some(tenant)
                && v.get("seq").and_then(Value::as_u64) == Some(seq)
        })
        .unwrap()
}

fn copy(v: &Value, now: Option<Value>) -> RecoveredCopy {
    RecoveredCopy {
        input: "export.pdf".into(),
        recovered_from: PDF_REVISION.into(),
        offset: 1,
        place: "revision 1 of 2".into(),
        shown: v.to_serde(),
        raw: RawRecord {
            loc: Location::Index(0),
            data: RawData::Value(v.clone()),
        },
        superseded_by: Superseded::Record(now),
    }
}

#[test]
fn a_dump_read_later_proves_a_revision_s_record_by_its_chain() {
    let original = record("acme", 23);
    // The PDF's last revision holds seq 23 edited and re-hashed: nothing in the PDF commits to
    // the original here (no export anchor is added), only the dump's seq 24 does.
    let mut edited = original.clone();
    edited.set("action", Value::String("call.listen".into()));
    let mut case = Case::new();
    case.add_recovered(vec![copy(&original, Some(edited.clone()))]);
    add_dump(&mut case, "audit.jsonl", lines());
    let report = case.report("t", "0");
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::RecordRecovered)
        .collect();
    assert_eq!(found.len(), 1);
    let f = found[0];
    assert_eq!((f.tenant_id.as_deref(), f.seq), (Some("acme"), Some(23)));
    assert_eq!(f.proof, Some(Proof::Chain));
    assert_eq!(f.recovered_from.as_deref(), Some("pdf_revision"));
    assert_eq!(f.offset, Some(1));
    assert!(
        f.message.starts_with(
            "an earlier version of acme seq 23 was recovered from pdf_revision at revision 1"
        ),
        "{}",
        f.message
    );
    // Compared with what the PDF holds now, not with the dump's row (which equals it).
    assert_eq!(f.fields.len(), 1);
    assert_eq!(f.fields[0].field, "action");
    assert_eq!(f.fields[0].left.as_deref(), Some("\"call.listen\""));
    assert_eq!(
        f.computed.as_deref(),
        original.get("hash").and_then(Value::as_str)
    );
}

#[test]
fn without_a_later_source_it_is_only_self() {
    let original = record("acme", 23);
    let mut case = Case::new();
    case.add_recovered(vec![copy(&original, None)]);
    let report = case.report("t", "0");
    let f = report
        .findings
        .iter()
        .find(|f| f.code == Code::RecordRecovered)
        .unwrap();
    assert_eq!(f.proof, Some(Proof::OwnHashOnly));
    assert!(f.message.starts_with("a deleted version of acme seq 23"));
    assert!(f.fields.is_empty());
}
