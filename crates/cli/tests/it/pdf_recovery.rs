//! End-to-end tests of records recovered from the earlier revisions of export PDFs (SPEC
//! section 10, `pdf_revision`; issue #18) through `trailproof verify` and `inspect`, on the PDFs
//! of `tests/fixtures/pdf-recovery/` (incremental updates saved by PyMuPDF over the public
//! vector `export-acme-critical.pdf`): each gives exactly the recovered records its
//! `expected.json` lists, graded against the rest of the case, and says what each update
//! changed, record by record.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trailproof_testkit::{report_check, root, vector};

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/pdf-recovery").join(name)
}

fn expected(name: &str) -> Value {
    let all: Value =
        serde_json::from_slice(&std::fs::read(fixture("expected.json")).unwrap()).unwrap();
    all["fixtures"][name].clone()
}

fn verify(args: &[&str], files: &[&Path]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["verify", "--json"])
        .args(args)
        .args(files)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object: {e}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The `record_recovered` findings of a report.
fn recovered(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "record_recovered")
        .collect()
}

fn revisions_check(report: &Value) -> String {
    report_check(report, "revisions")["detail"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every fixture gives exactly the recovered records `expected.json` lists: seq, revision 1,
/// the original's hash (what the vector's record hashes to) and the members that differ.
#[test]
fn every_fixture_gives_exactly_its_expected_recovered_records() {
    for (name, proof) in [
        // Within the PDF alone the chain proves it: the last revision's record still carries
        // the original hash (edited), or seq + 1's prev_hash names it (re-hashed).
        ("attachment-edited.pdf", "chain"),
        ("attachment-rehashed.pdf", "chain"),
        // Nothing in the PDF commits to its last record's original: only self.
        ("last-rehashed.pdf", "self"),
        // The payload rewritten consistently, but the pages still print the original
        // fingerprint: that commits to the original records.
        ("consistent-rewrite.pdf", "chain"),
        ("annotation-added.pdf", ""),
        ("two-updates.pdf", "chain"),
    ] {
        let want = expected(name);
        let report = verify(&[], &[&fixture(name)]);
        let got = recovered(&report);
        let list = want["recovered"].as_array().unwrap();
        assert_eq!(got.len(), list.len(), "{name}: {got:?}");
        for (f, w) in got.iter().zip(list) {
            assert_eq!(f["level"], "info", "{name}");
            assert_eq!(f["tenant_id"], w["tenant_id"], "{name}");
            assert_eq!(f["seq"], w["seq"], "{name}");
            assert_eq!(f["recovered_from"], "pdf_revision", "{name}");
            assert_eq!(f["offset"], w["revision"], "{name}");
            assert_eq!(f["record"]["hash"], w["original_hash"], "{name}");
            assert_eq!(f["computed"], w["original_hash"], "{name}");
            assert_eq!(f["proof"], proof, "{name}");
            let fields: Vec<&str> = f["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["field"].as_str().unwrap())
                .collect();
            let want_fields: Vec<&str> = w["changed_fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(fields, want_fields, "{name}");
            for d in f["fields"].as_array().unwrap() {
                let field = d["field"].as_str().unwrap();
                // left: the last revision's value; right: the recovered original's.
                assert_eq!(d["left"], w["last"][field].to_string(), "{name} {field}");
                assert_eq!(
                    d["right"],
                    w["original"][field].to_string(),
                    "{name} {field}"
                );
            }
        }
        let total = want["revisions"].as_u64().unwrap();
        assert!(
            revisions_check(&report).ends_with(&format!(
                "the verdict is about revision {total} of {total} (the whole file, as PDF readers show it)"
            )),
            "{name}: {}",
            revisions_check(&report)
        );
    }
}

/// The revisions check says what each update changed, record by record, in the payload and in
/// the printed rows.
#[test]
fn the_revisions_check_says_what_each_update_changed() {
    let edited = revisions_check(&verify(&[], &[&fixture("attachment-edited.pdf")]));
    assert!(
        edited.contains(
            "Record by record: update 1 (revision 1 → 2) changed payload record acme seq 9: actor_user_id \"u-1003\" → \"u-1009\"; printed row seq 9: actor_user_id u-1003 → u-1009; the verdict is about revision 2 of 2"
        ),
        "{edited}"
    );
    let two = revisions_check(&verify(&[], &[&fixture("two-updates.pdf")]));
    assert!(
        two.contains("update 1 (revision 1 → 2) changed payload record acme seq 9: actor_user_id \"u-1003\" → \"u-1009\"; update 2 (revision 2 → 3) changed no record; the verdict is about revision 3 of 3"),
        "{two}"
    );
    let note = revisions_check(&verify(&[], &[&fixture("annotation-added.pdf")]));
    assert!(
        note.contains("update 1 (revision 1 → 2) changed no record"),
        "{note}"
    );
}

/// A re-hashed record whose successor is outside the export's scope (self within the PDF) is
/// proven by a dump of the same chain read after the PDF, in either order of the arguments;
/// with `--no-recover` nothing is recovered.
#[test]
fn a_dump_in_the_same_case_proves_it_and_no_recover_turns_it_off() {
    let pdf = fixture("last-rehashed.pdf");
    let dump = vector("audit.sqlite");
    for files in [[&pdf, &dump], [&dump, &pdf]] {
        let files: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
        let report = verify(&[], &files);
        let got = recovered(&report);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["seq"], 39);
        assert_eq!(got[0]["proof"], "chain");
        assert_eq!(got[0]["input"], pdf.to_string_lossy().as_ref());
        // Compared with what the PDF holds now, not with the dump's row.
        assert_eq!(got[0]["fields"][0]["field"], "action");
        assert_eq!(got[0]["fields"][0]["left"], "\"call.listen\"");
        assert_eq!(got[0]["fields"][0]["right"], "\"call.barge\"");
    }
    let off = verify(&["--no-recover"], &[&pdf, &dump]);
    assert!(recovered(&off).is_empty());
}

/// `inspect` lists the version an earlier revision holds.
#[test]
fn inspect_lists_the_earlier_revision_s_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["inspect", "--tenant", "acme", "--seq", "9"])
        .arg(fixture("attachment-edited.pdf"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Recovered versions (1):\n  proof chain: pdf_revision at revision 1 (revision 1 of 2, the file's first 4532 bytes, payload record 2)"),
        "{text}"
    );
}
