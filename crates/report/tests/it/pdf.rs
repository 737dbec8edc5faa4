//! The PDF verification report read back as an auditor's tools read it: lopdf parses it,
//! poppler's `pdftotext` extracts what the pages show.

use std::path::PathBuf;
use std::process::Command;

use trailproof_core::assurance::Assurance;
use trailproof_core::finding::{Check, Code, FieldDiff, Finding, Status};
use trailproof_core::record::{hex, sha256};
use trailproof_core::report::{Counts, InputInfo, Report, Tool, Verdict};
use trailproof_core::timeline::model::{Timeline, TimelineOptions};
use trailproof_engine::Investigation;
use trailproof_report::{render_at, Format, TimelineExcerpt, FINDING_ROWS, MAX_VALUE_CHARS};
use trailproof_testkit::flat;
use trailproof_testkit::jsonl::hostile_chain;
use trailproof_testkit::vector_arg as vector;

fn case(files: &[&str]) -> (Report, Timeline) {
    let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    let outcome = Investigation::new(&paths)
        .timeline(&TimelineOptions::default())
        .unwrap();
    (outcome.report, outcome.timeline)
}

/// The PDF report of `report`, with the excerpt of `timeline` when given.
fn pdf(
    report: &Report,
    timeline: Option<&Timeline>,
    argv: &[String],
) -> Result<Vec<u8>, trailproof_report::Error> {
    let excerpt = timeline.map(TimelineExcerpt::of);
    render_at(Format::Pdf, report, excerpt.as_ref(), argv, CREATED)
}

/// The document date of these tests' PDFs: 2026-04-30T08:00:00Z.
const CREATED: i64 = 1_777_536_000;

fn argv(files: &[&str]) -> Vec<String> {
    ["trailproof", "verify", "--report", "case 17/report.pdf"]
        .iter()
        .map(|s| s.to_string())
        .chain(files.iter().map(|s| s.to_string()))
        .collect()
}

/// The structure tree with each element's text, as `pdfinfo -struct-text` prints it.
fn structure(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdfinfo")
        .arg("-struct-text")
        .arg(&path)
        .output()
        .expect("pdfinfo (poppler-utils, see scripts/setup.sh)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The report is a tagged PDF: headings, paragraphs and tables (header cells with their
/// scope, data cells) in reading order; the footer, repeated table headers and the drawing are
/// artifacts, so each value is in the tree once.
#[test]
fn the_report_is_tagged_with_headings_paragraphs_and_tables() {
    let files = [vector("tampered/edited-field.sqlite")];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let (report, tl) = case(&files);
    let tree = structure(&pdf(&report, Some(&tl), &argv(&files)).unwrap());
    let lines: Vec<&str> = tree.lines().map(str::trim).collect();
    assert_eq!(lines[0], "Document", "{tree}");
    assert_eq!(
        lines[1], "H1 \"Trailproof verification report\" (block)",
        "{tree}"
    );
    assert!(lines.contains(&"H2 \"Inputs (1)\" (block)"), "{tree}");
    assert!(lines.contains(&"H2 \"Findings (2)\" (block)"), "{tree}");
    // The inputs table: a header row of TH cells (scope column), then a row of TD cells.
    let at = lines
        .iter()
        .position(|l| *l == "H2 \"Inputs (1)\" (block)")
        .unwrap();
    assert_eq!(
        &lines[at + 1..at + 5],
        ["\"Inputs (1)\"", "Table (block)", "TR", "TH:"],
        "{tree}"
    );
    assert_eq!(lines[at + 5], "/Scope /Column", "{tree}");
    assert_eq!(lines[at + 6], "\"Path\"", "{tree}");
    assert!(lines[at..].contains(&"TD"), "{tree}");
    // No footer text in the tree: it is an artifact.
    assert!(!tree.contains("page 1 of"), "{tree}");
}

/// The text of every page, as `pdftotext` extracts it (pages end in a form feed).
fn pdftotext(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, bytes).unwrap();
    trailproof_testkit::pdftotext(&path)
}

fn pages(bytes: &[u8]) -> usize {
    lopdf::Document::load_mem(bytes).unwrap().get_pages().len()
}

/// No dictionary in the file names an action, a script, a link or a form.
fn assert_inert(bytes: &[u8]) {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    for (id, obj) in &doc.objects {
        let dict = match obj {
            lopdf::Object::Dictionary(d) => d,
            lopdf::Object::Stream(s) => &s.dict,
            _ => continue,
        };
        for key in [
            &b"JS"[..],
            b"JavaScript",
            b"URI",
            b"Launch",
            b"OpenAction",
            b"AA",
            b"AcroForm",
            b"SubmitForm",
            b"EmbeddedFiles",
        ] {
            assert!(
                !dict.has(key),
                "object {id:?} has /{}",
                String::from_utf8_lossy(key)
            );
        }
    }
}

#[test]
fn tampered_vectors_report_everything_an_auditor_needs() {
    let files = [
        vector("export-acme-critical.pdf"),
        vector("tampered/visible-edit.pdf"),
        vector("tampered/rechained-suffix.sqlite"),
        vector("tampered/deleted-record.sqlite"),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let (report, tl) = case(&files);
    assert_eq!(report.verdict, Verdict::Tampered);
    let bytes = pdf(&report, Some(&tl), &argv(&files)).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.7"));
    let n = pages(&bytes);
    assert!(n >= 3, "{n} pages");
    assert_inert(&bytes);
    let text = pdftotext(&bytes);
    let t = flat(&text);
    // The verdict, large, with its reason.
    assert!(
        text.starts_with("Trailproof verification report\n\nTAMPERED\n"),
        "{text}"
    );
    assert!(t.contains(&flat(&report.summary)), "{}", report.summary);
    // Every input with kind, size, records and SHA-256 (whole, on one line).
    for p in &files {
        let b = std::fs::read(p).unwrap();
        let digest = hex(&sha256(&b));
        assert!(
            text.lines().any(|l| l.trim() == digest),
            "sha256 of {p} on a line of its own"
        );
        assert!(t.contains(&b.len().to_string()));
    }
    assert!(t.contains("Inputs (4)"));
    assert!(t.contains("export-pdf") && t.contains("sqlite"));
    // Checks with their status spelled out.
    let passed = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .count();
    let failed = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .count();
    assert!(t.contains(&format!(
        "Checks ({passed} passed, {failed} failed, 0 not possible)"
    )));
    assert!(t.contains("failed chain_links") && t.contains("passed canonical_form"));
    // What anchors each chain, and the incidents, root cause first, before the findings.
    assert!(t.contains(&format!(
        "Anchors ({})",
        report.assurance.as_str().replace('_', " ")
    )));
    for tenant in &report.tenants {
        if tenant.anchored_by.is_empty() {
            let s = &tenant.summary;
            assert!(t.contains(&format!(
                "nothing: seq {}..{} consistent, not verified",
                s.first_seq, s.last_seq
            )));
        }
        for a in &tenant.anchored_by {
            assert!(
                t.contains(&flat(&format!(
                    "{} ({} seq {})",
                    a.input,
                    a.kind.as_str(),
                    a.seq
                ))),
                "{a:?}"
            );
        }
    }
    assert!(!report.incidents.is_empty());
    assert!(t.contains(&format!("Incidents ({})", report.incidents.len())));
    for i in &report.incidents {
        assert!(t.contains(&flat(&i.explanation)), "{}", i.explanation);
    }
    let anchors_at = t.find("Anchors (").unwrap();
    let incidents_at = t.find("Incidents (").unwrap();
    let findings_at = t
        .find(&format!("Findings ({})", report.findings.len()))
        .unwrap();
    assert!(anchors_at < incidents_at && incidents_at < findings_at);
    // Findings by tenant, each with level, code and seq; stated vs recomputed values.
    assert!(t.contains(&format!("Findings ({})", report.findings.len())));
    assert!(t.contains("Tenant acme"));
    for f in &report.findings {
        let level = format!("{:?}", f.level).to_uppercase();
        let head = match (f.seq, f.seq_end) {
            (Some(s), Some(e)) if e != s => format!("{level} {} seq {s}..{e}", f.code),
            (Some(s), _) => format!("{level} {} seq {s}", f.code),
            (None, _) => format!("{level} {}", f.code),
        };
        assert!(t.contains(&head), "{head}");
    }
    let broken = report
        .findings
        .iter()
        .find(|f| f.code == Code::ChainLinkBroken)
        .unwrap();
    assert!(t.contains(&format!(
        "stated {} recomputed {}",
        broken.expected.as_deref().unwrap(),
        broken.computed.as_deref().unwrap()
    )));
    // The side-by-side table of a diverged record.
    assert!(t.contains("Field shown on the page of /"));
    assert!(
        t.contains("embedded record severity \"info\" \"critical\""),
        "{t}"
    );
    // The timeline's flagged events and gaps.
    assert!(t.contains("Timeline: flagged events and gaps"));
    assert!(t.contains("1 record(s) deleted"));
    assert!(t.contains("privileged_intervention"));
    // Tool, version and the exact command, quoted as a shell would need it.
    assert!(t.contains(&format!("Tool trailproof {}", env!("CARGO_PKG_VERSION"))));
    assert!(t.contains(&format!(
        "trailproof verify --report 'case 17/report.pdf' {}",
        files.join(" ")
    )));
    // Every page names the verdict and its number.
    let per_page: Vec<&str> = text.split('\x0c').collect();
    assert_eq!(per_page.len(), n + 1);
    for p in 1..=n {
        let page = per_page[p - 1];
        assert!(
            page.contains("Trailproof verification report: tampered\n")
                && page.contains(&format!("page {p} of {n}\n")),
            "footer of page {p}: {page}"
        );
    }
}

/// The same report and date give the same bytes; the document is PDF/A-3a, dated as asked in
/// its Info dictionary and its XMP packet, and nothing else in it depends on the clock.
#[test]
fn same_report_same_bytes_pdf_a_and_its_date() {
    let files = [
        vector("export-acme-critical.pdf"),
        vector("tampered/edited-field.sqlite"),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let (report, tl) = case(&files);
    let a = pdf(&report, Some(&tl), &argv(&files)).unwrap();
    let b = pdf(&report, Some(&tl), &argv(&files)).unwrap();
    assert!(a == b, "two renderings differ");
    // Without the timeline, and with another command, the bytes differ.
    assert!(pdf(&report, None, &argv(&files)).unwrap() != a);
    let doc = lopdf::Document::load_mem(&a).unwrap();
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(|i| doc.get_dictionary(i.as_reference().unwrap()))
        .unwrap();
    assert_eq!(
        info.get(b"CreationDate").unwrap().as_str().unwrap(),
        b"D:20260430080000Z"
    );
    assert_eq!(
        info.get(b"Title").unwrap().as_str().unwrap(),
        b"Trailproof verification report: tampered"
    );
    // The XMP packet is stored as is: PDF/A-3a, with the same date.
    let raw = String::from_utf8_lossy(&a);
    assert!(raw.contains("<x:xmpmeta"));
    assert!(raw.contains("<pdfaid:part>3</pdfaid:part>"), "PDF/A part");
    assert!(
        raw.contains("<pdfaid:conformance>A</pdfaid:conformance>"),
        "PDF/A conformance"
    );
    assert!(raw.contains("2026-04-30T08:00:00"), "XMP date");
    // Another date, other bytes; nothing else changes with it.
    let later = render_at(
        Format::Pdf,
        &report,
        Some(&TimelineExcerpt::of(&tl)),
        &argv(&files),
        CREATED + 1,
    )
    .unwrap();
    assert!(later != a);
}

#[test]
fn evidence_text_is_drawn_literally() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("<evil>&'\".jsonl");
    hostile_chain(&input, HOSTILE_NAME);
    let files = [input.to_str().unwrap()];
    let (mut report, tl) = case(&files);
    assert_eq!(report.verdict, Verdict::Tampered);
    // A diverged record quoting the hostile values side by side, in full-width cells.
    report.findings.push(
        Finding::new(
            Code::RecordDiverged,
            Some("acme</td><script>x</script>"),
            Some(2),
            format!("seq 2 differs: actor_display {HOSTILE_NAME} vs <img src=x onerror=alert(1)>"),
        )
        .input(files[0])
        .other_input("export.pdf")
        .fields(vec![FieldDiff {
            field: "outcome_reason".into(),
            left: Some("\"<svg onload=alert(2)>\"".into()),
            right: Some("\"' OR 1=1; DROP TABLE audit_log; --\"".into()),
        }]),
    );
    let bytes = pdf(&report, Some(&tl), &argv(&files)).unwrap();
    assert_inert(&bytes);
    let text = pdftotext(&bytes);
    let t = flat(&text);
    assert!(t.contains("Tenant acme</td><script>x</script>"), "{t}");
    assert!(t.contains("<evil>&'\".jsonl"));
    assert!(t.contains("u-1\"><b>"));
    // Other scripts drawn as themselves (CJK through the fallback face); controls and the
    // right-to-left override shown as code points.
    assert!(
        t.contains(
            "seq 2 differs: actor_display Zoë Ελένη Привет 山田 \
             <U+202E>gnp.exe<U+202C> (javascript:alert(3))<U+000A>line 2 vs \
             <img src=x onerror=alert(1)>"
        ),
        "{t}"
    );
    assert!(t.contains(
        "outcome_reason \"<svg onload=alert(2)>\" \"' OR 1=1; DROP TABLE audit_log; --\""
    ));
    // The reversed file name is never drawn reversed, and no control character is drawn.
    assert!(!text.contains('\u{202E}') && !text.contains("exe.gnp"));
}

const HOSTILE_NAME: &str =
    "Zoë Ελένη Привет 山田 \u{202E}gnp.exe\u{202C} (javascript:alert(3))\nline 2";

/// A report built by hand: long values, many checks and more findings than are drawn.
fn big_report() -> Report {
    let long_path = format!("/evidence/{}/dump.sqlite", "x".repeat(300));
    let inputs = vec![InputInfo {
        path: long_path.clone(),
        kind: "sqlite".into(),
        size: 123_456_789_012,
        sha256: "ab".repeat(32),
        records: 1_000_000,
    }];
    let checks = (0..150)
        .map(|i| {
            Check::new(
                "chain_links",
                if i % 3 == 0 {
                    Status::NotPossible
                } else {
                    Status::Passed
                },
                format!("check number {i:03} of the case"),
            )
            .input(&long_path)
            .tenant("acme")
        })
        .collect();
    let mut findings: Vec<Finding> = (1..=FINDING_ROWS as u64 + 200)
        .map(|seq| {
            Finding::new(
                Code::RecordHashMismatch,
                Some("acme"),
                Some(seq),
                format!("record acme seq {seq} does not hash to its stored hash"),
            )
            .input(&long_path)
            .at(format!("row {seq}"))
            .values("cd".repeat(32), "ef".repeat(32))
        })
        .collect();
    findings.insert(
        0,
        Finding::new(
            Code::RecordDiverged,
            Some("acme"),
            Some(0),
            "w".repeat(MAX_VALUE_CHARS + 500),
        )
        .input("a.sqlite")
        .other_input("b.sqlite")
        .fields(vec![FieldDiff {
            field: "metadata".into(),
            left: Some(format!("{{\"note\":\"{}\"}}", "left ".repeat(300))),
            right: None,
        }]),
    );
    let errors = findings.len();
    Report {
        format: "trailproof-report/1".into(),
        tool: Tool {
            name: "trailproof".into(),
            version: "0.1.0".into(),
            build: None,
        },
        verdict: Verdict::Tampered,
        assurance: Assurance::Unanchored,
        summary: "Tampered: many error finding(s) in 1 input(s)".into(),
        counts: Counts {
            errors,
            warnings: 0,
            info: 0,
            records: 1_000_000,
        },
        inputs,
        tenants: Vec::new(),
        checks,
        incidents: Vec::new(),
        findings,
        case: None,
    }
}

#[test]
fn long_values_wrap_tables_repeat_headers_and_cuts_are_said() {
    let report = big_report();
    let bytes = pdf(&report, None, &["trailproof".to_string()]).unwrap();
    let n = pages(&bytes);
    assert!(n > 10, "{n} pages");
    let text = pdftotext(&bytes);
    let t = flat(&text);
    // A value longer than the limit is cut, and says by how much.
    assert!(t.contains("… [500 more characters not shown]"));
    // The findings beyond the limit are counted.
    assert!(t.contains(&format!("Findings ({})", FINDING_ROWS + 201)));
    assert!(t.contains(
        "201 more finding(s) are not shown; the JSON report (trailproof verify --json) lists them all."
    ));
    assert!(t.contains(&format!(
        "ERROR record_hash_mismatch seq {}",
        FINDING_ROWS - 1
    )));
    assert!(!t.contains(&format!("ERROR record_hash_mismatch seq {} ", FINDING_ROWS)));
    // The size, never broken.
    assert!(t.contains("123456789012"));
    // The checks table runs over pages; its header is on every page it reaches.
    let mut check_pages = 0;
    let per_page: Vec<&str> = text.split('\x0c').collect();
    assert_eq!(per_page.len(), n + 1);
    for p in 1..=n {
        let page = flat(per_page[p - 1]);
        if page.contains("check number") {
            check_pages += 1;
            assert!(
                page.contains("Status Check Input Tenant Detail"),
                "page {p} lacks the header: {page}"
            );
        }
        // Every page carries its number.
        assert!(page.contains(&format!("page {p} of {n}")));
    }
    assert!(check_pages >= 2, "{check_pages}");
    for i in 0..150 {
        assert!(
            t.contains(&format!("check number {i:03} of the case")),
            "{i}"
        );
    }
}

#[test]
fn intact_case_says_so_in_green_words() {
    let files = [vector("audit.sqlite")];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let (report, tl) = case(&files);
    assert_eq!(report.verdict, Verdict::Intact);
    let bytes = pdf(&report, Some(&tl), &argv(&files)).unwrap();
    let text = pdftotext(&bytes);
    assert!(
        text.starts_with("Trailproof verification report\n\nINTACT\n"),
        "{text}"
    );
    let t = flat(&text);
    assert!(t.contains(&flat(&report.summary)));
    // Intact with a warning to review: the vector's timestamp regression.
    assert_eq!(report.findings.len(), 1);
    assert!(t.contains("Findings (1) Tenant acme (1 finding(s))"));
    assert!(t.contains("WARNING timestamp_regression seq 8"));
    assert!(t.contains("Exit code 0"));
    assert!(t.contains(&format!("page 1 of {}", pages(&bytes))));
}
