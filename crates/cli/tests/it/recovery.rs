//! End-to-end tests of recovered records (SPEC section 10, issue #18) through
//! `trailproof verify --json`: every SQLite fixture of `tests/fixtures/recovery/` gives exactly
//! the `record_recovered` findings its `expected.json` lists (seq, place, offset, proof and the
//! recovered record's hash), the negative fixtures and clean evidence give none, nothing is
//! written beside the evidence, and `--no-recover` turns carving off.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trailproof_testkit::{report_check, root};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/recovery")
}

fn verify(args: &[&str], file: &Path) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["verify", "--json"])
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object: {e}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

type Recovered = (String, u64, String, u64, String, String);

/// (tenant, seq, recovered_from, offset, proof, hash) of every `record_recovered` finding.
fn recovered(report: &Value) -> BTreeSet<Recovered> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "record_recovered")
        .map(|f| {
            assert_eq!(f["level"], "info");
            (
                f["tenant_id"].as_str().unwrap().to_string(),
                f["seq"].as_u64().unwrap(),
                f["recovered_from"].as_str().unwrap().to_string(),
                f["offset"].as_u64().unwrap(),
                f["proof"].as_str().unwrap().to_string(),
                f["record"]["hash"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Copies a fixture's files into a directory of their own (so a file written beside the
/// evidence would show).
fn copied(files: &Value, dir: &Path) -> PathBuf {
    for name in files.as_object().unwrap().values() {
        let name = name.as_str().unwrap();
        std::fs::copy(fixtures().join(name), dir.join(name)).unwrap();
    }
    dir.join(files["main"].as_str().unwrap())
}

#[test]
fn every_fixture_gives_exactly_its_expected_recovered_records() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("expected.json")).unwrap()).unwrap();
    let all = expected["fixtures"].as_object().unwrap();
    assert!(all.len() >= 9, "{}", all.len());
    for (name, fixture) in all {
        let dir = tempfile::tempdir().unwrap();
        let main = copied(&fixture["files"], dir.path());
        let before = listing(dir.path());
        let (code, report) = verify(&[], &main);
        assert!(code == 0 || code == 1 || code == 2, "{name}: exit {code}");
        let want: BTreeSet<Recovered> = fixture["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["tenant_id"].as_str().unwrap().to_string(),
                    c["seq"].as_u64().unwrap(),
                    c["from"].as_str().unwrap().to_string(),
                    c["offset"].as_u64().unwrap(),
                    c["proof"].as_str().unwrap().to_string(),
                    c["hash"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(recovered(&report), want, "{name}");
        assert_eq!(
            listing(dir.path()),
            before,
            "{name}: nothing is written beside the evidence"
        );
        // A record proven by the chain or by itself hashes to the hash it carries.
        for f in report["findings"].as_array().unwrap() {
            if f["code"] == "record_recovered" && f["proof"] != "none" {
                assert_eq!(f["computed"], f["record"]["hash"], "{name}: {f}");
            }
        }
        // A WAL beside the evidence no longer makes the verdict inconclusive by itself; a hot
        // journal says the main file holds a partial transaction.
        let journal_check = report_check(&report, "sqlite_journal");
        let hot = fixture["files"].get("journal").is_some();
        assert_eq!(
            journal_check["status"],
            if hot { "not_possible" } else { "passed" },
            "{name}: {journal_check}"
        );
        if hot {
            assert!(journal_check["detail"]
                .as_str()
                .unwrap()
                .contains("partial"));
        }
        // Carving off: no recovered record, the same state verified.
        let (code_off, off) = verify(&["--no-recover"], &main);
        assert_eq!(code_off, code, "{name}");
        assert!(recovered(&off).is_empty(), "{name}");
        assert_eq!(off["verdict"], report["verdict"], "{name}");
    }
}

#[test]
fn negative_fixtures_and_clean_evidence_give_nothing() {
    for main in [
        fixtures().join("vacuum.sqlite"),
        fixtures().join("secure_delete.sqlite"),
        root().join("tests/vectors/audit.sqlite"),
    ] {
        let (_, report) = verify(&[], &main);
        assert!(recovered(&report).is_empty(), "{}", main.display());
    }
    let (code, report) = verify(&[], &root().join("tests/vectors/audit.sqlite"));
    assert_eq!(code, 0);
    assert_eq!(report["verdict"], "intact");
}

/// The committed edits in the WAL are the state verified: acme 7 is read as its last edit, and
/// the original (under the WAL, proven by the chain) is shown beside it, field by field.
#[test]
fn the_state_verified_is_the_main_file_with_its_committed_wal_frames() {
    let (_, report) = verify(&[], &fixtures().join("wal_edit.sqlite"));
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "record_recovered" && f["recovered_from"] == "sqlite_main_under_wal")
        .unwrap();
    assert_eq!(f["proof"], "chain");
    let fields = f["fields"].as_array().unwrap();
    assert!(fields.iter().any(|d| d["field"] == "hash"), "{f}");
    for d in fields {
        assert_ne!(d["left"], d["right"]);
        if d["field"] == "hash" {
            assert_eq!(
                d["right"],
                format!("\"{}\"", f["record"]["hash"].as_str().unwrap())
            );
        }
    }
}

#[test]
fn human_output_shows_the_recovered_record_beside_the_current_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["verify", "--no-progress"])
        .arg(fixtures().join("replace_unhashed.sqlite"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Recovered records:"), "{text}");
    assert!(text.contains("proof chain"), "{text}");
    assert!(text.contains("sqlite_freeblock at byte 30125"), "{text}");
    assert!(text.contains("current"), "{text}");
}

#[test]
fn inspect_lists_recovered_versions() {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["inspect", "--tenant", "acme", "--seq", "7", "--json"])
        .arg(fixtures().join("wal_edit.sqlite"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = v["recovered"].as_array().unwrap();
    assert_eq!(rec.len(), 4, "{v}");
    assert!(rec.iter().any(|r| r["proof"] == "chain"));
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["inspect", "--tenant", "acme", "--seq", "12"])
        .arg(fixtures().join("replace_rehashed.sqlite"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Recovered versions (1)"), "{text}");
    assert!(text.contains("sqlite_freeblock at byte 17905"), "{text}");
}
