//! End-to-end tests of `trailproof verify --report OUT.html`: content an auditor needs, escaping
//! of every evidence value, self-containment, the printed SHA-256, and byte-identical output in
//! any time zone and locale.

use std::path::Path;
use std::process::Command;

use trailproof_core::record::{hex, sha256};
use trailproof_testkit::jsonl::hostile_chain;
use trailproof_testkit::vector_arg as vector;
use trailproof_testkit::{flat, pdftotext};

struct Out {
    code: i32,
    stderr: String,
    html: String,
    bytes: Vec<u8>,
}

fn verify_report(out: &Path, files: &[&str], env: &[(&str, &str)]) -> Out {
    let mut r = verify_report_bytes(out, files, env);
    r.html = String::from_utf8(r.bytes.clone()).unwrap();
    r
}

/// Nothing that fetches or runs anything.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script", "<img", "<link", "<iframe", "<object", "<embed", " src=\"", " href=\"",
    ] {
        assert!(!lower.contains(bad), "the report contains {bad}");
    }
    // The only style sheet is inline and loads nothing.
    assert_eq!(lower.matches("<style>").count(), 1);
    let css = &lower[lower.find("<style>").unwrap()..lower.find("</style>").unwrap()];
    assert!(!css.contains("url(") && !css.contains("@import"));
}

#[test]
fn tampered_vectors_report_everything_an_auditor_needs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let pdf = vector("export-acme-critical.pdf");
    let visible = vector("tampered/visible-edit.pdf");
    let rechained = vector("tampered/rechained-suffix.sqlite");
    let deleted = vector("tampered/deleted-record.sqlite");
    let r = verify_report(&out, &[&pdf, &visible, &rechained, &deleted], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = &r.html;
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.contains("<div class=\"word\">tampered</div>"));
    // Inputs with kind, size and SHA-256.
    for p in [&pdf, &visible, &rechained, &deleted] {
        let bytes = std::fs::read(p).unwrap();
        assert!(h.contains(&hex(&sha256(&bytes))), "sha256 of {p}");
        assert!(
            h.contains(&format!("<td>{}</td>", bytes.len())),
            "size of {p}"
        );
    }
    assert!(h.contains("<td>export-pdf</td>") && h.contains("<td>sqlite</td>"));
    // Checks with all three statuses spelled out.
    assert!(h.contains("<span class=\"badge s-passed\">passed</span>"));
    assert!(h.contains("<span class=\"badge s-failed\">failed</span>"));
    // Findings grouped by tenant, with side-by-side field tables.
    assert!(h.contains("<h3>Tenant acme</h3>"));
    for code in [
        "visible_text_mismatch",
        "record_diverged",
        "anchor_mismatch",
        "seq_gap",
        "chain_link_broken",
    ] {
        assert!(h.contains(code), "{code}");
    }
    assert!(h.contains("<table class=\"diff\">"));
    assert!(h.contains("<td class=\"mono nw\">severity</td><td class=\"l mono\">&quot;info&quot;</td><td class=\"r mono\">&quot;critical&quot;</td>"));
    // Stated vs recomputed values.
    assert!(h.contains("<dt>stated</dt>") && h.contains("<dt>recomputed</dt>"));
    // The timeline of flagged events and gaps.
    assert!(h.contains("Timeline: flagged events and gaps"));
    assert!(h.contains("<tr class=\"gap\">"));
    assert!(h.contains("1 record(s) deleted"));
    // Tool version and the exact command.
    assert!(h.contains(&format!("trailproof {}", env!("CARGO_PKG_VERSION"))));
    assert!(h.contains(&format!("verify --json --report {}", out.display())));
    assert_self_contained(h);
    // The report's own digest on stderr.
    let line = format!(
        "report written: {} sha256 {}",
        out.display(),
        hex(&sha256(&r.bytes))
    );
    assert!(r.stderr.contains(&line), "{}", r.stderr);
}

#[test]
fn same_inputs_same_bytes_in_any_time_zone_and_locale() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let files = [
        vector("export-acme-critical.pdf"),
        vector("tampered/edited-field.sqlite"),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let a = verify_report(&out, &files, &[("TZ", "UTC"), ("LC_ALL", "C")]);
    let b = verify_report(
        &out,
        &files,
        &[
            ("TZ", "Pacific/Chatham"),
            ("LC_ALL", "de_DE.UTF-8"),
            ("LANG", "de_DE.UTF-8"),
        ],
    );
    let c = verify_report(&out, &files, &[("TZ", "America/St_Johns")]);
    assert_eq!(a.code, 1);
    assert!(a.bytes == b.bytes && b.bytes == c.bytes, "reports differ");
}

#[test]
fn verdict_exit_code_is_unchanged_by_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ok.html");
    let r = verify_report(&out, &[&vector("audit.sqlite")], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.html.contains("<div class=\"word\">intact</div>"));
    assert_self_contained(&r.html);
}

#[test]
fn every_evidence_value_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("<evil>&'\".jsonl");
    hostile_chain(&input, "<img src=y onerror=alert(3)>");
    let out = dir.path().join("x.html");
    let r = verify_report(&out, &[input.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let h = &r.html;
    assert!(h.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(h.contains("&lt;svg onload=alert(2)&gt;"));
    assert!(h.contains("acme&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;"));
    assert!(h.contains("u-1&quot;&gt;&lt;b&gt;"));
    assert!(h.contains("&lt;evil&gt;&amp;&#39;&quot;.jsonl"));
    assert!(!h.contains("<img"));
    assert!(!h.contains("<svg"));
    assert!(!h.contains("<script"));
    assert!(!h.contains("<b>"));
    assert!(!h.contains("<evil>"));
    assert_self_contained(h);
}

// The PDF report (`--report OUT.pdf`).

#[test]
fn pdf_report_holds_verdict_inputs_findings_and_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("case.PDF");
    let pdf = vector("export-acme-critical.pdf");
    let edited = vector("tampered/edited-field.sqlite");
    let deleted = vector("tampered/deleted-record.sqlite");
    let r = verify_report_bytes(&out, &[&pdf, &edited, &deleted], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.bytes.starts_with(b"%PDF-1.7\n"));
    let doc = lopdf::Document::load_mem(&r.bytes).unwrap();
    assert!(doc.get_pages().len() >= 2);
    let text = pdftotext(&out);
    let t = flat(&text);
    assert!(text.starts_with("Trailproof verification report\n\nTAMPERED\n"));
    for p in [&pdf, &edited, &deleted] {
        let digest = hex(&sha256(&std::fs::read(p).unwrap()));
        assert!(text.lines().any(|l| l.trim() == digest), "sha256 of {p}");
    }
    // A finding's code and seq from the tampered vectors, with stated vs recomputed hashes.
    assert!(t.contains("ERROR record_hash_mismatch seq 17"), "{t}");
    assert!(t.contains("ERROR seq_gap seq 9"));
    assert!(t.contains("stated") && t.contains("recomputed"));
    assert!(t.contains(&format!("Tool trailproof {}", env!("CARGO_PKG_VERSION"))));
    assert!(t.contains(&format!(
        "verify --json --report {} {pdf} {edited} {deleted}",
        out.display()
    )));
    // The report's own digest on stderr, over the very bytes written.
    let line = format!(
        "report written: {} sha256 {}",
        out.display(),
        hex(&sha256(&r.bytes))
    );
    assert!(r.stderr.contains(&line), "{}", r.stderr);
}

/// Runs `verify --json --report OUT` and returns the exit code, stderr and OUT's bytes.
fn verify_report_bytes(out: &Path, files: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailproof"));
    cmd.arg("verify")
        .arg("--json")
        .arg("--report")
        .arg(out)
        .args(files);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    Out {
        code: o.status.code().unwrap(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        html: String::new(),
        bytes: std::fs::read(out).unwrap_or_default(),
    }
}

#[test]
fn pdf_report_same_bytes_in_any_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.pdf");
    let files = [
        vector("export-acme-critical.pdf"),
        vector("tampered/edited-field.sqlite"),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    // The PDF/A document date: fixed for both, as SOURCE_DATE_EPOCH fixes it.
    let epoch = ("SOURCE_DATE_EPOCH", "1777536000");
    let a = verify_report_bytes(&out, &files, &[("TZ", "UTC"), ("LC_ALL", "C"), epoch]);
    let b = verify_report_bytes(
        &out,
        &files,
        &[
            ("TZ", "Asia/Kolkata"),
            ("LC_ALL", "de_DE.UTF-8"),
            ("LANG", "de_DE.UTF-8"),
            epoch,
        ],
    );
    assert_eq!(a.code, 1, "{}", a.stderr);
    assert!(!a.bytes.is_empty());
    assert!(a.bytes == b.bytes, "PDF reports differ between time zones");
}

#[test]
fn pdf_report_draws_evidence_text_literally() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("<evil>&'\".jsonl");
    hostile_chain(&input, "<img src=y onerror=alert(3)>");
    let out = dir.path().join("x.pdf");
    let r = verify_report_bytes(&out, &[input.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let t = flat(&pdftotext(&out));
    assert!(t.contains("Tenant acme</td><script>x</script>"), "{t}");
    assert!(t.contains("<evil>&'\".jsonl"));
    assert!(t.contains("u-1\"><b>"));
    // The summary sentence quotes the tenant as is.
    assert!(
        t.contains(
            "first: acme</td><script>x</script> seq 2 was changed after it was hashed: its content no longer hashes to its stored hash"
        ),
        "{t}"
    );
}

#[test]
fn a_report_name_without_a_known_extension_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["r.txt", "r", "r.pdf.bak"] {
        let out = dir.path().join(name);
        let o = Command::new(env!("CARGO_BIN_EXE_trailproof"))
            .arg("verify")
            .arg("--report")
            .arg(&out)
            .arg(vector("audit.sqlite"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("the report file must end in .html or .pdf"),
            "{stderr}"
        );
        assert!(o.stdout.is_empty(), "no verification ran for {name}");
        assert!(!out.exists());
    }
}
