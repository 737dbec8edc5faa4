//! Export PDF reader: the spec's vectors, PDFs from several producers (tests/fixtures/pdf,
//! made by make_fixtures.py), damaged and encrypted inputs, and mutated bytes.

use std::path::{Path, PathBuf};

use trailproof_core::finding::{Code, Finding, Status};
use trailproof_core::json::Value;
use trailproof_core::payload::Payload;
use trailproof_ingest::pdf::{cross_check, read_pdf, read_pdf_bytes, PdfEvidence};
use trailproof_ingest::{IngestError, Location};

fn vectors() -> PathBuf {
    trailproof_testkit::vector("")
}

fn fixtures() -> PathBuf {
    trailproof_testkit::fixture("pdf", "")
}

fn check(
    path: &Path,
) -> (
    PdfEvidence,
    Option<Value>,
    Vec<Finding>,
    Vec<trailproof_core::finding::Check>,
) {
    let ev = read_pdf(path).unwrap_or_else(|e| panic!("{e}"));
    let payload = ev
        .payload
        .as_ref()
        .map(|p| Value::parse(p).expect("payload JSON"));
    let parsed = payload.clone().map(Payload::from_value);
    let (f, c) = cross_check(&ev, parsed.as_ref(), &path.display().to_string());
    (ev, payload, f, c)
}

fn status(checks: &[trailproof_core::finding::Check], id: &str) -> Status {
    checks
        .iter()
        .find(|c| c.check == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .status
}

fn codes(findings: &[Finding]) -> Vec<(Code, Option<u64>)> {
    let mut v: Vec<_> = findings.iter().map(|f| (f.code, f.seq)).collect();
    v.sort();
    v
}

fn expected_json() -> serde_json::Value {
    let raw = std::fs::read(vectors().join("export-acme-critical.json")).expect("vector json");
    serde_json::from_slice(&raw).expect("vector json")
}

/// Rows equal the payload's records, cell by cell.
fn assert_rows_match(ev: &PdfEvidence, payload: &serde_json::Value) {
    let recs = payload["records"].as_array().expect("records");
    assert_eq!(ev.rows.len(), recs.len());
    for (row, rec) in ev.rows.iter().zip(recs) {
        assert_eq!(Some(row.seq), rec["seq"].as_u64());
        assert_eq!(row.timestamp, rec["timestamp"].as_str().unwrap());
        assert_eq!(row.action, rec["action"].as_str().unwrap());
        assert_eq!(row.severity, rec["severity"].as_str().unwrap());
        assert_eq!(row.actor_user_id, rec["actor_user_id"].as_str().unwrap());
        assert_eq!(row.outcome, rec["outcome"].as_str().unwrap());
        assert_eq!(row.hash_prefix, &rec["hash"].as_str().unwrap()[..16]);
    }
}

fn assert_clean(path: &Path) -> PdfEvidence {
    let (ev, payload, findings, checks) = check(path);
    assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
    for c in &checks {
        assert_eq!(c.status, Status::Passed, "{}: {c:?}", path.display());
    }
    let payload = payload.expect("payload").to_serde();
    assert_rows_match(&ev, &payload);
    let i = &ev.integrity;
    assert_eq!(
        i.records.as_ref().unwrap().value,
        payload["record_count"].to_string()
    );
    assert_eq!(
        i.fingerprint.as_ref().unwrap().value,
        payload["fingerprint"].as_str().unwrap()
    );
    assert_eq!(
        i.verification_url.as_ref().unwrap().value,
        payload["verify_url"].as_str().unwrap()
    );
    let head = i.chain_head.as_ref().unwrap();
    assert_eq!(head.seq, payload["chain_head"]["seq"].to_string());
    assert_eq!(head.hash, payload["chain_head"]["hash"].as_str().unwrap());
    assert_eq!(
        ev.header.tenant.as_ref().unwrap().value,
        payload["scope"]["tenant_id"].as_str().unwrap()
    );
    assert_eq!(ev.revisions.len(), 1);
    assert!(ev.text_problems.is_empty());
    assert_eq!(ev.pages, 2);
    // At least one link per page (a URL wrapped over two lines is two link rectangles).
    let mut pages: Vec<usize> = ev.link_uris.iter().map(|(p, _)| *p).collect();
    pages.dedup();
    assert_eq!(pages, [1, 2]);
    for (_, u) in &ev.link_uris {
        assert_eq!(u, payload["verify_url"].as_str().unwrap());
    }
    ev
}

#[test]
fn vector_acme_critical_is_clean_and_payload_exact() {
    let path = vectors().join("export-acme-critical.pdf");
    let ev = assert_clean(&path);
    // The vector .json file ends with a newline the embedded copy (6477 bytes, as its
    // /Params /Size says) does not have.
    let raw = std::fs::read(vectors().join("export-acme-critical.json")).unwrap();
    assert!(
        ev.payload.as_deref() == Some(raw.strip_suffix(b"\n").unwrap()),
        "payload differs"
    );
    assert_eq!(
        ev.rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![2, 9, 21, 23, 24, 31, 39]
    );
    assert_eq!(
        ev.integrity.fingerprint.as_ref().unwrap().value,
        "dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc"
    );
    assert_eq!(
        ev.integrity.verification_url.as_ref().unwrap().value,
        "https://erp.example.com/audit/verify?tenant_id=acme&hash=dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc&severity=critical"
    );
    assert_eq!(
        ev.header.filters.as_ref().unwrap().value,
        "severity=critical"
    );
    assert_eq!(
        ev.header.exported_by.as_ref().unwrap().value,
        "Cubix Admin (cubix) (u-1001)"
    );
    assert!(ev
        .payload_source
        .as_deref()
        .unwrap()
        .starts_with("/EmbeddedFiles name tree"));
    assert_eq!(ev.digest.size, std::fs::metadata(&path).unwrap().len());
    assert_eq!(ev.digest.sha256.len(), 64);
}

#[test]
fn vector_globex_all_is_clean() {
    let ev = assert_clean(&vectors().join("export-globex-all.pdf"));
    assert_eq!(ev.rows.len(), 12);
    assert_eq!(ev.header.filters.as_ref().unwrap().value, "none");
    assert_eq!(
        ev.integrity.fingerprint.as_ref().unwrap().value,
        "06b389d96d56256d209d68b55ddb8863110c3a5064c3103e9f4d1ac6b04bd4d0"
    );
}

#[test]
fn visible_edit_is_one_mismatch_naming_the_cell() {
    let (_, _, findings, checks) = check(&vectors().join("tampered/visible-edit.pdf"));
    assert_eq!(codes(&findings), vec![(Code::VisibleTextMismatch, Some(2))]);
    let f = &findings[0];
    assert_eq!(f.tenant_id.as_deref(), Some("acme"));
    assert!(f.message.contains("severity"), "{}", f.message);
    assert_eq!(f.fields.len(), 1);
    assert_eq!(f.fields[0].field, "severity");
    assert_eq!(f.fields[0].left.as_deref(), Some("\"info\""));
    assert_eq!(f.fields[0].right.as_deref(), Some("\"critical\""));
    assert_eq!(f.location.as_deref(), Some("page 1"));
    assert_eq!(status(&checks, "visible_rows"), Status::Failed);
}

#[test]
fn attachment_edit_extracts_the_edited_payload_and_text_agrees() {
    let (ev, payload, findings, _) = check(&vectors().join("tampered/attachment-edit.pdf"));
    let raw = std::fs::read(vectors().join("export-acme-critical.json")).unwrap();
    let got = ev.payload.clone().expect("payload");
    assert!(got != raw && got.len() == raw.len() + 2);
    let text = String::from_utf8(got).unwrap();
    assert!(text.contains("\"actor_ip\": \"203.0.113.250\""));
    // seq 9's actor_ip is not shown in the table, so what people see agrees with the payload;
    // record_hash_mismatch / fingerprint_mismatch come from verifying the payload (core).
    assert!(findings.is_empty(), "{findings:#?}");
    let p = payload.unwrap();
    let recs = p.get("records").unwrap();
    let Value::Array(recs) = recs else { panic!() };
    assert_eq!(
        recs[1].get("actor_ip").and_then(Value::as_str),
        Some("203.0.113.250")
    );
}

#[test]
fn producers_are_clean() {
    // reportlab standard-14 (one line per row, URL in two text objects), reportlab embedded
    // TrueType with /ToUnicode (one cell per line, wrapped URL), WeasyPrint (Type0/Identity-H),
    // headless Chromium (Skia/PDF: tagged, Type0/Identity-H subsets with Skia's ToUnicode maps),
    // fpdf2 (each cell its own text object, the font set once outside them, timestamps running
    // into the action column).
    for f in [
        "reportlab-std14.pdf",
        "reportlab-ttf-cells.pdf",
        "weasyprint.pdf",
        "chromium.pdf",
        "fpdf2.pdf",
    ] {
        let ev = assert_clean(&fixtures().join(f));
        assert_rows_match(&ev, &expected_json());
    }
}

#[test]
fn weasyprint_payload_found_in_name_tree_only() {
    let ev = read_pdf(&fixtures().join("weasyprint.pdf")).unwrap();
    assert_eq!(
        ev.payload_source.as_deref(),
        Some("/EmbeddedFiles name tree")
    );
    let raw = std::fs::read(vectors().join("export-acme-critical.json")).unwrap();
    assert!(
        ev.payload.as_deref() == Some(raw.as_slice()),
        "payload differs"
    );
}

#[test]
fn incremental_update_is_reported_with_its_objects() {
    let (ev, _, findings, checks) = check(&fixtures().join("incremental.pdf"));
    assert_eq!(ev.revisions.len(), 2);
    let upd = &ev.revisions[1];
    assert!(upd.added.is_empty());
    assert_eq!(upd.replaced.len(), 1);
    assert!(upd.touches_page_content);
    assert!(!upd.touches_attachment);
    assert_eq!(
        codes(&findings),
        vec![
            (Code::VisibleTextMismatch, Some(2)),
            (Code::PdfIncrementalUpdate, None)
        ]
    );
    let inc = findings
        .iter()
        .find(|f| f.code == Code::PdfIncrementalUpdate)
        .unwrap();
    assert!(
        inc.message
            .contains(&format!("replaced [{} 0]", upd.replaced[0])),
        "{}",
        inc.message
    );
    assert!(inc.message.contains("page content"));
    assert_eq!(status(&checks, "revisions"), Status::Failed);
}

#[test]
fn missing_attachment_is_a_warning_and_text_still_checked() {
    let (ev, payload, findings, checks) = check(&fixtures().join("no-attachment.pdf"));
    assert!(payload.is_none());
    assert_eq!(codes(&findings), vec![(Code::AttachmentMissing, None)]);
    assert_eq!(status(&checks, "attachment"), Status::NotPossible);
    assert_eq!(status(&checks, "visible_rows"), Status::NotPossible);
    assert_eq!(status(&checks, "visible_integrity"), Status::Passed);
    assert_eq!(ev.rows.len(), 7);

    // A printed fingerprint that disagrees with the URL's hash= is caught without a payload.
    let mut ev2 = ev.clone();
    ev2.integrity.fingerprint.as_mut().unwrap().value = "0".repeat(64);
    let (f2, _) = cross_check(&ev2, None, "x.pdf");
    let c = codes(&f2);
    assert!(c.contains(&(Code::UrlHashMismatch, None)), "{c:?}");
    assert!(c.contains(&(Code::AttachmentMissing, None)));
}

#[test]
fn printed_integrity_values_are_compared() {
    let path = vectors().join("export-acme-critical.pdf");
    let ev = read_pdf(&path).unwrap();
    let payload = Payload::parse(ev.payload.as_ref().unwrap()).unwrap();
    let mut bad = ev.clone();
    bad.integrity.records.as_mut().unwrap().value = "8".into();
    bad.integrity.fingerprint.as_mut().unwrap().value = "1".repeat(64);
    bad.link_uris[0].1 = bad.link_uris[0].1.replace("dd82", "ee82");
    bad.link_uris[1].1 = bad.link_uris[1]
        .1
        .replace("severity=critical", "severity=info");
    bad.rows.remove(0);
    let (f, checks) = cross_check(&bad, Some(&payload), "x.pdf");
    assert_eq!(
        codes(&f),
        vec![
            (Code::FingerprintMismatch, None),
            (Code::UrlHashMismatch, None),
            (Code::RecordCountMismatch, None),
            (Code::VisibleTextMismatch, None),
            (Code::VisibleTextMismatch, Some(2)),
        ]
    );
    assert_eq!(status(&checks, "footer_links"), Status::Failed);
    assert_eq!(status(&checks, "visible_integrity"), Status::Failed);
}

#[test]
fn undecodable_text_is_recorded_not_dropped() {
    let (ev, _, findings, checks) = check(&fixtures().join("no-tounicode.pdf"));
    assert!(!ev.text_problems.is_empty());
    assert!(
        ev.text_problems.iter().all(|p| p.starts_with("page ")),
        "{:?}",
        ev.text_problems
    );
    assert!(
        ev.text_problems.iter().any(|p| p.contains("no /ToUnicode")),
        "{:?}",
        ev.text_problems
    );
    assert_eq!(status(&checks, "text_decoding"), Status::Failed);
    // Nothing readable is shown, so every embedded record is reported as not shown.
    assert!(findings.iter().any(|f| f.code == Code::VisibleTextMismatch));
}

fn malformed(path: &Path) -> (Location, String) {
    match read_pdf(path) {
        Err(IngestError::Malformed {
            location,
            message,
            path: p,
        }) => {
            assert_eq!(p, path);
            (location, message)
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("{} read without error", path.display()),
    }
}

#[test]
fn truncated_encrypted_and_non_pdf_are_errors() {
    let (loc, msg) = malformed(&fixtures().join("truncated.pdf"));
    assert!(matches!(loc, Location::Byte(_)), "{loc}");
    assert!(msg.contains("damaged"), "{msg}");
    let (loc, msg) = malformed(&fixtures().join("encrypted.pdf"));
    assert_eq!(loc, Location::Trailer);
    assert!(msg.contains("encrypted"), "{msg}");
    let (loc, msg) = malformed(&vectors().join("export-acme-critical.json"));
    assert_eq!(loc, Location::Byte(0));
    assert!(msg.contains("not a PDF"), "{msg}");
    let e = read_pdf(Path::new("/nonexistent/x.pdf")).unwrap_err();
    assert!(matches!(e, IngestError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/x.pdf"));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn base() -> &'static [u8] {
        static B: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        B.get_or_init(|| std::fs::read(vectors().join("export-acme-critical.pdf")).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn mutated_bytes_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut b = base().to_vec();
            for (i, v) in edits {
                let k = i.index(b.len());
                b[k] = v;
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len()));
            }
            if let Ok(ev) = read_pdf_bytes(Path::new("fuzz.pdf"), &b) {
                let payload = ev.payload.as_ref().and_then(|p| Payload::parse(p).ok());
                let _ = cross_check(&ev, payload.as_ref(), "fuzz.pdf");
            }
        }

        /// The same over a PDF with two incremental updates, its earlier revisions read too.
        #[test]
        fn mutated_updates_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut b = updated().to_vec();
            for (i, v) in edits {
                let k = i.index(b.len());
                b[k] = v;
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len()));
            }
            exercise(&b);
        }
    }

    /// What the `pdf` fuzz target runs: the reader, the earlier revisions and what they hold,
    /// the payload's verification and the cross-check; then the reader again with the payload
    /// parsed as it inflates, which must agree with parsing its bytes. Errors are fine, panics
    /// are not.
    fn exercise(b: &[u8]) {
        let path = Path::new("fuzz.pdf");
        let Ok(mut ev) = read_pdf_bytes(path, b) else {
            return;
        };
        let payload = ev.payload.as_ref().and_then(|p| Payload::parse(p).ok());
        let (earlier, skipped) = trailproof_ingest::pdf::read_earlier(path, b, &ev);
        ev.updates =
            trailproof_ingest::pdf::describe_updates(&ev, &earlier, skipped, payload.as_ref());
        let copies =
            trailproof_ingest::pdf::recovered_copies(&ev, &earlier, payload.as_ref(), "fuzz.pdf");
        assert!(copies
            .iter()
            .all(|c| c.offset >= 1 && (c.offset as usize) < ev.revisions.len()));
        if let Some(bytes) = ev.payload.as_deref() {
            let _ = trailproof_core::export::verify_payload_bytes("fuzz.pdf", bytes);
        }
        let _ = cross_check(&ev, payload.as_ref(), "fuzz.pdf");
        let (_, streamed) = trailproof_ingest::pdf::read_pdf_bytes_with(path, b, |p| {
            p.reader().map(Payload::from_reader)
        })
        .expect("read once, read again");
        assert_eq!(streamed.and_then(Result::ok), payload);
    }

    /// The corpus the fuzzing campaign kept (`fuzz/regressions/pdf/`: the smallest of its
    /// coverage-minimized inputs), replayed as the target runs it.
    #[test]
    fn the_fuzzing_corpus_replays() {
        let dir = trailproof_testkit::root().join("fuzz/regressions/pdf");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).expect("the corpus") {
            exercise(&std::fs::read(entry.unwrap().path()).unwrap());
            n += 1;
        }
        assert!(n >= 20, "{n} inputs");
    }

    fn updated() -> &'static [u8] {
        static B: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        B.get_or_init(|| {
            std::fs::read(
                trailproof_testkit::root().join("tests/fixtures/pdf-recovery/two-updates.pdf"),
            )
            .unwrap()
        })
    }
}
