//! `trailproof case` end to end: every subcommand on copies of the public vectors, pinned to
//! exit codes, the fields of `case show --json`, the examiner log's records, what reports and
//! exports carry, and a CASE/UCO bundle that `case_validate` (case-utils) accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trailproof_testkit::{scratch, sha256_hex, vector};

const BIN: &str = env!("CARGO_BIN_EXE_trailproof");

/// Runs `trailproof case ARGS` in `dir`: (exit code, stdout, stderr).
fn case(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .arg("case")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = case(dir, args);
    assert_eq!(code, 0, "case {args:?}: {err}");
    out
}

fn show(dir: &Path) -> Value {
    serde_json::from_str(&ok(dir, &["show", "inv.tpcase", "--json"])).unwrap()
}

/// A case with two evidence files (a dump with a deleted record, and the export PDF that
/// anchors it), a starred, tagged and noted record and one analyst event.
fn investigation(test: &str) -> PathBuf {
    let dir = scratch(test);
    std::fs::create_dir(dir.join("evidence")).unwrap();
    for (from, to) in [
        ("tampered/deleted-record.sqlite", "evidence/audit.sqlite"),
        ("export-acme-critical.pdf", "evidence/export.pdf"),
    ] {
        std::fs::copy(vector(from), dir.join(to)).unwrap();
    }
    ok(
        &dir,
        &[
            "new",
            "inv.tpcase",
            "--number",
            "2026-041",
            "--examiner",
            "Dana Reyes",
            "--examiner-id",
            "dr-7",
            "--title",
            "Lead sequence fraud",
            "--tz",
            "Europe/Berlin",
        ],
    );
    let (code, out, err) = case(
        &dir,
        &[
            "add",
            "inv.tpcase",
            "evidence/audit.sqlite",
            "evidence/export.pdf",
        ],
    );
    assert_eq!(code, 1, "tampered evidence exits 1 as verify does: {err}");
    assert!(
        out.contains("Added evidence/audit.sqlite (sqlite, 36864 bytes"),
        "{out}"
    );
    assert!(out.contains("TAMPERED"), "{out}");
    ok(
        &dir,
        &[
            "annotate",
            "inv.tpcase",
            "--tenant",
            "acme",
            "--seq",
            "10",
            "--star",
            "--tag",
            "exfil",
            "--tag",
            "deletion",
            "--note",
            "names the deleted seq 9 as its predecessor",
        ],
    );
    ok(
        &dir,
        &[
            "annotate",
            "inv.tpcase",
            "--tenant",
            "acme",
            "--seq",
            "10",
            "--untag",
            "deletion",
        ],
    );
    ok(
        &dir,
        &[
            "event",
            "inv.tpcase",
            "--time",
            "2026-04-30T10:02:00+02:00",
            "--text",
            "call with the CFO",
        ],
    );
    dir
}

#[test]
fn show_json_is_what_the_examiner_did() {
    let dir = investigation("cli-case-show");
    let s = show(&dir);
    assert_eq!(s["number"], "2026-041");
    assert_eq!(s["title"], "Lead sequence fraud");
    assert_eq!(s["examiner"]["name"], "Dana Reyes");
    assert_eq!(s["examiner"]["id"], "dr-7");
    assert_eq!(s["time_zone"], "Europe/Berlin");
    let evidence = s["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2);
    let audit = std::fs::read(vector("tampered/deleted-record.sqlite")).unwrap();
    assert_eq!(evidence[0]["path"], "evidence/audit.sqlite");
    assert_eq!(evidence[0]["size"], audit.len());
    assert_eq!(evidence[0]["sha256"], sha256_hex(&audit));
    assert_eq!(evidence[0]["kind"], "sqlite");
    assert_eq!(evidence[0]["verdict"], "tampered");
    assert_eq!(evidence[0]["state"], "unchanged");
    assert_eq!(evidence[1]["kind"], "export-pdf");
    let a = s["annotations"].as_array().unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["tenant_id"], "acme");
    assert_eq!(a[0]["seq"], 10);
    assert_eq!(a[0]["source"], Value::Null);
    assert_eq!(a[0]["starred"], true);
    assert_eq!(a[0]["tags"], serde_json::json!(["exfil"]));
    assert_eq!(
        a[0]["notes"][0]["text"],
        "names the deleted seq 9 as its predecessor"
    );
    assert_eq!(
        s["analyst_events"][0]["time"],
        "2026-04-30T08:02:00.000000000Z"
    );
    assert_eq!(s["analyst_events"][0]["text"], "call with the CFO");
    // case.created, 2 evidence.added, starred, 2 tagged, noted, untagged, analyst_event.added.
    assert_eq!(s["log_head"]["seq"], 9);
    assert_eq!(s["log"]["whole"], true);
    assert_eq!(s["verdict"], "tampered");

    // The case file is AEF/1 evidence: the examiner log verifies with `verify`.
    let out = Command::new(BIN)
        .current_dir(&dir)
        .args(["verify", "--json", "inv.tpcase"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(r["verdict"], "intact");
    assert_eq!(r["tenants"][0]["last_seq"], 9);
    assert_eq!(r["tenants"][0]["head_hash"], s["log_head"]["hash"]);
}

#[test]
fn check_names_changed_evidence_with_both_digests() {
    let dir = investigation("cli-case-check");
    let (code, out, _) = case(&dir, &["check", "inv.tpcase"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Case check passed"), "{out}");

    let before = std::fs::read(dir.join("evidence/audit.sqlite")).unwrap();
    let mut after = before.clone();
    after[5000] ^= 0xff;
    std::fs::write(dir.join("evidence/audit.sqlite"), &after).unwrap();
    std::fs::remove_file(dir.join("evidence/export.pdf")).unwrap();
    let (code, out, _) = case(&dir, &["check", "inv.tpcase"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "CHANGED    evidence/audit.sqlite  SHA-256 when added {} (36864 bytes), now {} (36864 bytes)",
            sha256_hex(&before),
            sha256_hex(&after)
        )),
        "{out}"
    );
    assert!(out.contains("MISSING    evidence/export.pdf"), "{out}");
    assert!(
        out.contains("Case check FAILED: 2 evidence file(s) changed or missing."),
        "{out}"
    );
    let s = show(&dir);
    assert_eq!(s["evidence"][0]["state"], "changed");
    assert_eq!(s["evidence"][0]["sha256_now"], sha256_hex(&after));
    assert_eq!(s["evidence"][1]["state"], "missing");
    assert_eq!(
        s["verdict"],
        "not current: evidence changed since it was verified"
    );
}

#[test]
fn reports_carry_the_case_and_are_logged() {
    let dir = investigation("cli-case-report");
    for out in ["r.html", "r.pdf", "r.json"] {
        let (code, _, err) = case(&dir, &["report", "inv.tpcase", out]);
        assert_eq!(code, 1, "the case's evidence is tampered: {err}");
        let bytes = std::fs::read(dir.join(out)).unwrap();
        assert!(
            err.contains(&format!("written: {out} sha256 {}", sha256_hex(&bytes))),
            "{err}"
        );
    }
    let html = std::fs::read_to_string(dir.join("r.html")).unwrap();
    for needle in [
        "<h2>Case 2026-041</h2>",
        "<dd>Dana Reyes (dr-7)</dd>",
        "Europe/Berlin: the case&#39;s times are shown in it with their offset",
        "<h3>Analyst events (1): recorded by the examiner, not evidence</h3>",
        "<td>2026-04-30 10:02:00 +02:00</td><td>2026-04-30T08:02:00.000000000Z</td><td>call with the CFO</td>",
        "<td>acme</td><td>10</td><td></td><td>yes</td><td>exfil</td>",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let json: Value = serde_json::from_slice(&std::fs::read(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(json["verdict"], "tampered");
    assert_eq!(json["case"]["number"], "2026-041");
    assert_eq!(
        json["case"]["annotations"][0]["tags"],
        serde_json::json!(["exfil"])
    );
    // The HTML and PDF reports were logged (seq 10, 11) before the JSON one was made.
    assert_eq!(json["case"]["examiner_log"]["head"]["seq"], 11);
    let text = String::from_utf8(
        Command::new("pdftotext")
            .args(["-layout", "r.pdf", "-"])
            .current_dir(&dir)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("Case 2026-041"), "{text}");
    assert!(text.contains("call with the CFO"), "{text}");
    let s = show(&dir);
    let reports = s["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[2]["path"], "r.json");
    assert_eq!(reports[2]["format"], "json");
    assert_eq!(s["log_head"]["seq"], 12);
}

#[test]
fn exports_carry_tags_notes_and_analyst_events() {
    let dir = investigation("cli-case-export");
    ok(
        &dir,
        &[
            "export",
            "inv.tpcase",
            "--format",
            "timesketch",
            "-o",
            "ts.jsonl",
        ],
    );
    let rows: Vec<Value> = std::fs::read_to_string(dir.join("ts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tagged: Vec<&Value> = rows
        .iter()
        .filter(|r| r["tag"] != serde_json::json!([]))
        .collect();
    assert_eq!(
        tagged.len(),
        2,
        "the annotated record and the analyst event"
    );
    let analyst = rows
        .iter()
        .position(|r| r["kind"] == "analyst_event")
        .unwrap();
    assert_eq!(rows[analyst]["timestamp_desc"], "Analyst Event");
    assert_eq!(
        rows[analyst]["message"],
        "[analyst event, recorded by the examiner] call with the CFO"
    );
    assert_eq!(rows[analyst]["datetime"], "2026-04-30T08:02:00.000000Z");
    // Merged in time order: every evidence event before it is earlier.
    assert!(rows[..analyst]
        .iter()
        .all(|r| r["timestamp"].as_i64() < rows[analyst]["timestamp"].as_i64()));
    let r10 = rows
        .iter()
        .find(|r| r["tenant_id"] == "acme" && r["seq"] == 10 && r["kind"] == "event")
        .unwrap();
    assert_eq!(r10["tag"], serde_json::json!(["starred", "exfil"]));
    assert_eq!(
        r10["case_notes"],
        "names the deleted seq 9 as its predecessor"
    );

    ok(
        &dir,
        &[
            "export",
            "inv.tpcase",
            "--format",
            "csv",
            "--annotated-only",
            "-o",
            "a.csv",
        ],
    );
    let csv = std::fs::read_to_string(dir.join("a.csv")).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.len(),
        3,
        "header, the analyst event, the annotated record: {csv}"
    );
    assert!(lines[0].ends_with(",message,starred,tags,notes"));
    assert!(lines[1].starts_with("analyst_event,,,,2026-04-30T08:02:00.000000000Z,"));
    assert!(lines[2].starts_with("event,acme,10,"));
    assert!(lines[2].ends_with(",yes,exfil,names the deleted seq 9 as its predecessor"));

    ok(
        &dir,
        &[
            "export",
            "inv.tpcase",
            "--format",
            "jsonl",
            "--annotated-only",
            "-o",
            "a.jsonl",
        ],
    );
    let jl: Vec<Value> = std::fs::read_to_string(dir.join("a.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(jl.len(), 2);
    assert_eq!(jl[1]["annotation"]["tags"], serde_json::json!(["exfil"]));
    assert_eq!(jl[1]["annotation"]["starred"], true);
}

#[test]
fn case_uco_bundle_validates_with_case_utils() {
    let dir = investigation("cli-case-uco");
    let (code, _, err) = case(&dir, &["report", "inv.tpcase", "r.json"]);
    assert_eq!(code, 1, "{err}");
    ok(
        &dir,
        &[
            "export",
            "inv.tpcase",
            "--format",
            "case-uco",
            "-o",
            "case.jsonld",
        ],
    );
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.join("case.jsonld")).unwrap()).unwrap();
    let graph = doc["@graph"].as_array().unwrap();
    let of = |t: &str| graph.iter().filter(|n| n["@type"] == t).collect::<Vec<_>>();
    let action = of("case-investigation:InvestigativeAction")[0];
    assert_eq!(action["uco-action:object"].as_array().unwrap().len(), 2);
    assert_eq!(action["uco-action:result"].as_array().unwrap().len(), 1);
    assert_eq!(of("uco-identity:Person")[0]["uco-core:name"], "Dana Reyes");
    assert_eq!(
        of("uco-tool:AnalyticTool")[0]["uco-core:name"],
        "trailproof"
    );
    assert_eq!(
        of("case-investigation:Investigation")[0]["uco-core:name"],
        "2026-041"
    );
    let out = Command::new("case_validate")
        .arg(dir.join("case.jsonld"))
        .output()
        .expect("case_validate (pip install case-utils; scripts/setup.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Conforms: True"), "{text}");
}

#[test]
fn refusals_exit_2_naming_the_file() {
    let dir = investigation("cli-case-refusals");
    let (code, _, err) = case(
        &dir,
        &["new", "inv.tpcase", "--number", "1", "--examiner", "x"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("inv.tpcase: already exists"), "{err}");
    let (code, _, err) = case(
        &dir,
        &[
            "new",
            "z.tpcase",
            "--number",
            "1",
            "--examiner",
            "x",
            "--tz",
            "Mars/Olympus",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("time zone: \"Mars/Olympus\""), "{err}");
    let (code, _, err) = case(&dir, &["show", "evidence/audit.sqlite"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("evidence/audit.sqlite: not a Trailproof case file"),
        "{err}"
    );
    let (code, _, err) = case(&dir, &["add", "inv.tpcase", "evidence/audit.sqlite"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("evidence/audit.sqlite: already in the case"),
        "{err}"
    );
    let (code, _, err) = case(
        &dir,
        &["annotate", "inv.tpcase", "--tenant", "a", "--seq", "1"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("nothing to record"), "{err}");
}
