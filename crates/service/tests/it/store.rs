//! Seed determinism, append-only triggers, the tamper kit and the PDF.

use crate::common::*;

fn seeded(name: &str, seed: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let d = tmpdir(name);
    let db = d.join("s.db");
    let out = ok(&[
        "seed",
        "--db",
        db.to_str().unwrap(),
        "--tenants",
        "3",
        "--events",
        "300",
        "--seed",
        seed,
    ]);
    assert_eq!(
        out,
        format!(
            "seeded 300 events over 3 tenants into {} (seed {seed})\n",
            db.display()
        )
    );
    (d, db)
}

fn dump(db: &std::path::Path, format: &str, out: &std::path::Path) -> String {
    ok(&[
        "dump",
        "--db",
        db.to_str().unwrap(),
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
    ]);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn seed_is_deterministic_realistic_and_intact() {
    let (d1, db1) = seeded("seed1", "42");
    let (d2, db2) = seeded("seed2", "42");
    let a = dump(&db1, "jsonl", &d1.join("a.jsonl"));
    assert_eq!(a, dump(&db2, "jsonl", &d2.join("b.jsonl")));
    let (d3, db3) = seeded("seed3", "43");
    assert_ne!(a, dump(&db3, "jsonl", &d3.join("c.jsonl")));
    assert_eq!(a.lines().count(), 300);
    for needle in [
        "\"action\": \"auth.login\"",
        "\"action\": \"record.viewed\"",
        "\"action\": \"call.barge\"",
        "\"action\": \"call.whisper\"",
        "\"action\": \"transcript.override\"",
        "\"action\": \"scoring.threshold.changed\"",
        "\"action\": \"routing.policy.updated\"",
        "\"action\": \"sequence.edited\"",
        "\"action\": \"export.requested\"",
        "\"outcome\": \"failure\"",
        "\"outcome_reason\": \"permission_denied\"",
        "2001:db8::42",
        "198.51.100.23",
        "Zoë Müller",
        "山田 太郎",
        "\\n(edited)\\tby QA",
        "\"flagged\": true",
        "\"flagged\": false",
        "\"before\": {",
        "\"tenant_id\": \"initech\"",
    ] {
        assert!(a.contains(needle), "seeded history lacks {needle}");
    }
    assert_eq!(
        ok(&["check", "--db", db1.to_str().unwrap()]),
        "300 records, every chain intact\n"
    );
}

#[test]
fn triggers_refuse_update_and_delete() {
    let (_d, db) = seeded("triggers", "1");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let e = conn
        .execute("UPDATE audit_log SET severity = 'info' WHERE seq = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("audit_log is append-only"), "{e}");
    let e = conn
        .execute("DELETE FROM audit_log WHERE seq = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("audit_log is append-only"), "{e}");
}

#[test]
fn every_tamper_action_is_caught_and_triggers_come_back() {
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec![
                "edit-field",
                "--tenant",
                "acme",
                "--seq",
                "5",
                "--field",
                "severity",
                "--value",
                "debug",
            ],
            "edit-field: acme seq 5: severity = \"debug\"\n",
            "acme seq 5: hash mismatch",
        ),
        (
            vec!["delete", "--tenant", "acme", "--seq", "5"],
            "delete: acme seq 5..=5: 1 records deleted\n",
            "acme: seq 6 where 5 was expected",
        ),
        (
            vec![
                "edit-rehash",
                "--tenant",
                "acme",
                "--seq",
                "5",
                "--field",
                "actor_user_id",
                "--value",
                "u-9999",
            ],
            "",
            "acme seq 6: prev_hash does not link",
        ),
        (
            vec!["truncate", "--tenant", "acme", "--from-seq", "10"],
            "",
            "",
        ),
        (
            vec![
                "backdate",
                "--tenant",
                "acme",
                "--seq",
                "7",
                "--timestamp",
                "2020-01-01T00:00:00.000000000Z",
            ],
            "backdate: acme seq 7: timestamp = \"2020-01-01T00:00:00.000000000Z\"\n",
            "acme seq 7: hash mismatch",
        ),
        (
            vec![
                "move-tenant",
                "--tenant",
                "acme",
                "--seq",
                "3",
                "--to-tenant",
                "globex",
                "--new-seq",
                "1000",
            ],
            "move-tenant: acme seq 3 -> globex seq 1000\n",
            "acme: seq 4 where 3 was expected",
        ),
    ];
    for (i, (args, want_out, want_problem)) in cases.into_iter().enumerate() {
        let (d, db) = seeded(&format!("tamper{i}"), "9");
        let mut full = vec!["tamper", "--db", db.to_str().unwrap()];
        full.extend(args.iter().copied());
        let out = ok(&full);
        if !want_out.is_empty() {
            assert_eq!(out, want_out);
        }
        let (intact, check, _) = run(&["check", "--db", db.to_str().unwrap()]);
        if want_problem.is_empty() {
            // Truncating the tail leaves an intact (shorter) chain: only an anchor catches it.
            assert!(intact, "{check}");
        } else {
            assert!(!intact);
            assert!(
                check.lines().any(|l| l == want_problem),
                "{args:?}: {check}"
            );
        }
        let conn = rusqlite::Connection::open(&db).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2, "triggers restored after {args:?}");
        drop(d);
    }
}

#[test]
fn rechain_makes_the_chain_consistent_again() {
    let (_d, db) = seeded("rechain", "9");
    let out = ok(&[
        "tamper",
        "--db",
        db.to_str().unwrap(),
        "rechain",
        "--tenant",
        "acme",
        "--from-seq",
        "4",
        "--field",
        "severity",
        "--value",
        "info",
    ]);
    assert!(out.starts_with("rechain: acme seq 4..: "), "{out}");
    // The internal chain verifies again: only an earlier export or anchor reveals it.
    assert!(ok(&["check", "--db", db.to_str().unwrap()]).ends_with("records, every chain intact\n"));
}

#[test]
fn pdf_export_is_deterministic_and_carries_the_payload() {
    let (d, db) = seeded("pdf", "5");
    let export = |name: &str| {
        let out = d.join(name);
        let so = ok(&[
            "export",
            "--db",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--tenant-id",
            "acme",
            "--origin",
            "https://audit.example.com",
            "--exported-at",
            "2026-05-03T00:00:00Z",
            "--severity",
            "critical",
        ]);
        (std::fs::read(out).unwrap(), so)
    };
    let (a, so) = export("a.pdf");
    let (b, _) = export("b.pdf");
    assert_eq!(a, b);
    assert!(a.starts_with(b"%PDF-2.0"));
    // The same export as JSON: the payload the PDF embeds, and the same two lines on stdout.
    let (_, so_json) = export("a.json");
    let json_out = d.join("a.json");
    assert_eq!(so, so_json);
    let url = so.lines().nth(1).unwrap();
    // Read back with poppler when it is installed.
    if let Ok(o) = std::process::Command::new("pdftotext")
        .args(["-layout", d.join("a.pdf").to_str().unwrap(), "-"])
        .output()
    {
        let text = String::from_utf8(o.stdout).unwrap();
        let payload: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
        assert!(text.contains("Tenant: acme"));
        assert!(text.contains("Exported at: 2026-05-03T00:00:00.000000000Z"));
        assert!(text.contains("Exported by: Trailproof CLI (u-cli)"));
        assert!(text.contains("Filters: severity=critical"));
        assert!(text.contains(&format!("Records: {}", payload["record_count"])));
        assert!(text.contains(&format!(
            "Fingerprint: {}",
            payload["fingerprint"].as_str().unwrap()
        )));
        assert!(text.contains(&format!(
            "Chain head: seq {} hash {}",
            payload["chain_head"]["seq"],
            payload["chain_head"]["hash"].as_str().unwrap()
        )));
        assert!(text.contains(&format!("Verification URL: {url}")));
        let pages = text.matches('\u{c}').count();
        assert_eq!(text.matches(url).count(), pages + 1, "URL in every footer");
        for r in payload["records"].as_array().unwrap() {
            assert!(text.contains(&r["hash"].as_str().unwrap()[..16]));
        }
        let det = std::process::Command::new("pdfdetach")
            .args([
                "-save",
                "1",
                "-o",
                d.join("x.json").to_str().unwrap(),
                d.join("a.pdf").to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(det.success());
        assert_eq!(
            std::fs::read(d.join("x.json")).unwrap(),
            std::fs::read(&json_out).unwrap()
        );
    }
}
