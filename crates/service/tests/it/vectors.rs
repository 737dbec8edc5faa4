//! The service against the public vectors: import reproduces every hash, the acme critical
//! export reproduces `export-acme-critical.json` byte for byte, and dumps reproduce the
//! vector dumps.

use crate::common::*;

#[test]
fn acme_critical_export_reproduces_the_vector() {
    let (d, db) = imported("export", "records.jsonl");
    let out = d.join("e.json");
    let stdout = ok(&[
        "export",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--tenant-id",
        "acme",
        "--severity",
        "critical",
        "--origin",
        "https://erp.example.com",
        "--exported-at",
        "2026-04-30T10:31:16.5Z",
        "--user-id",
        "u-1001",
        "--display",
        "Cubix Admin (cubix)",
    ]);
    assert_eq!(
        stdout,
        "exported 7 records of acme: fingerprint dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc, chain head seq 40 hash 36b867d401ba44a9937768c03d3f7b2f131a9b52b3bf73e2b31632cdeea9fae4\n\
https://erp.example.com/audit/verify?tenant_id=acme&hash=dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc&severity=critical\n"
    );
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(vector("export-acme-critical.json")).unwrap()
    );
}

#[test]
fn scope_errors_are_the_specs() {
    let (d, db) = imported("scope-err", "records.jsonl");
    let (s, _, err) = run(&[
        "export",
        "--db",
        db.to_str().unwrap(),
        "--out",
        d.join("x.json").to_str().unwrap(),
        "--tenant-id",
        "acme",
        "--time-from",
        "10:00",
    ]);
    assert!(!s);
    assert_eq!(err, "error: time_from needs date_from\n");
}

#[test]
fn dumps_reproduce_the_vector_dumps() {
    let (d, db) = imported("dumps", "records.jsonl");
    let dump = |format: &str| {
        let out = d.join(format!("dump.{format}"));
        let stdout = ok(&[
            "dump",
            "--db",
            db.to_str().unwrap(),
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            stdout,
            format!("wrote 52 rows as {format} to {}\n", out.display())
        );
        std::fs::read_to_string(out).unwrap()
    };
    let vec = |f: &str| std::fs::read_to_string(vector(f)).unwrap();
    assert_eq!(dump("jsonl"), vec("records.jsonl"));
    assert_eq!(dump("csv"), vec("audit.csv"));
    // Our store has the append-only triggers, which `.dump` writes before COMMIT.
    let expected = vec("audit.sqlite.sql").replace(
        "COMMIT;\n",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n\
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\nCOMMIT;\n",
    );
    assert_eq!(dump("sqlite-sql"), expected);
    // The sqlite file form holds the same rows.
    let copy = d.join("copy.db");
    ok(&[
        "dump",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "sqlite",
        "--out",
        copy.to_str().unwrap(),
    ]);
    let again = d.join("again.jsonl");
    ok(&[
        "dump",
        "--db",
        copy.to_str().unwrap(),
        "--format",
        "jsonl",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(again).unwrap(),
        vec("records.jsonl")
    );
}

#[test]
fn pg_copy_dump_reproduces_the_vector_except_the_random_restrict_key() {
    let (d, db) = imported("pg", "pg-records.jsonl");
    let out = d.join("pg.sql");
    ok(&[
        "dump",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "pg-copy",
        "--out",
        out.to_str().unwrap(),
    ]);
    let strip = |s: String| -> String {
        s.lines()
            .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let ours = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        strip(ours.clone()),
        strip(std::fs::read_to_string(vector("audit.pg.sql")).unwrap())
    );
    assert!(ours.lines().nth(4).unwrap().starts_with("\\restrict "));
    let ins = d.join("pgi.sql");
    ok(&[
        "dump",
        "--db",
        db.to_str().unwrap(),
        "--format",
        "pg-inserts",
        "--out",
        ins.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(ins).unwrap();
    assert!(text.contains("INSERT INTO public.audit_log VALUES (1, 'bbe8f88d-a415-44c8-b9a4-4721de85eb90', 'acme', '2026-05-02 12:02:12.304881+00', 'scoring.threshold.changed', 'warning', 'u-1005', 'compliance', 'Priya \"PJ\" Nair (pnair)', '203.0.113.9', 'PATCH', '/v2/scoring/rubrics/sco-3778', 'ScoringRubric', 'sco-3778', 'Compliance rubric v3', 'success', NULL, '{\"after\": {\"threshold\": 0.75}, \"before\": {\"threshold\": 0.8}}', '{\"company_id\": \"acme-co-1\"}', '0000000000000000000000000000000000000000000000000000000000000000', 'fee620953cb3a124f5788c3fa7881ca5b5cdd58e7b4656b98e11621e19c95137');\n"));
    assert_eq!(
        text.matches("INSERT INTO public.audit_log VALUES").count(),
        33
    );
}

#[test]
fn the_vectors_have_one_timestamp_regression() {
    let (_d, db) = imported("check", "records.jsonl");
    let (s, out, err) = run(&["check", "--db", db.to_str().unwrap()]);
    assert!(!s);
    assert_eq!(out, "acme seq 8: timestamp regression\n");
    assert_eq!(err, "error: 1 problems in 52 records\n");
}
