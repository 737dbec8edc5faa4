//! Evidence is never written: every command, run on a folder of evidence of every kind (a
//! SQLite file with its `-wal`, one with a hot `-journal`, an incrementally updated export PDF,
//! JSON Lines, a pg_dump, a checkpoint), leaves every file byte for byte as it was and adds no
//! file beside them (issue #21). Outputs go to a folder of their own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use trailproof_testkit::{root, scratch, sha256_hex, vector};

/// Every file of `dir` with its SHA-256.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                sha256_hex(&std::fs::read(e.path()).unwrap()),
            )
        })
        .collect()
}

#[test]
fn no_command_changes_or_adds_a_file_beside_the_evidence() {
    let evidence = scratch("evidence-in");
    let out = scratch("evidence-out");
    let copy = |from: PathBuf| {
        let to = evidence.join(from.file_name().unwrap());
        std::fs::copy(&from, &to).unwrap();
        to
    };
    let recovery = root().join("tests/fixtures/recovery");
    let files = [
        copy(recovery.join("wal_edit.sqlite")),
        copy(recovery.join("journal_hot.sqlite")),
        copy(root().join("tests/fixtures/pdf-recovery/two-updates.pdf")),
        copy(vector("records.jsonl")),
        copy(vector("audit.pg.sql")),
    ];
    copy(recovery.join("wal_edit.sqlite-wal"));
    copy(recovery.join("journal_hot.sqlite-journal"));
    let before = snapshot(&evidence);
    assert_eq!(before.len(), 7);

    let run = |args: &[&str], with: &[&Path]| {
        let o = Command::new(env!("CARGO_BIN_EXE_trailproof"))
            .args(args)
            .args(with)
            .current_dir(&out)
            .output()
            .unwrap();
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let all: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let checkpoint = out.join("cp.json");
    run(
        &[
            "verify",
            "--json",
            "--report",
            out.join("r.pdf").to_str().unwrap(),
            "--checkpoint-out",
            checkpoint.to_str().unwrap(),
        ],
        &all,
    );
    run(
        &["verify", "--report", out.join("r.html").to_str().unwrap()],
        &all,
    );
    run(&["verify", "--anchor", checkpoint.to_str().unwrap()], &all);
    for format in ["json", "jsonl", "csv", "timesketch"] {
        let o = out.join(format!("t.{format}"));
        run(
            &["timeline", "--format", format, "-o", o.to_str().unwrap()],
            &all,
        );
    }
    for f in &files {
        run(&["inspect", "--tenant", "acme", "--seq", "9"], &[f]);
    }
    assert_eq!(snapshot(&evidence), before, "the evidence folder changed");
}

/// An output path that names evidence, however spelled, is refused (exit 2, the file named)
/// before anything is read or written: the evidence stays byte for byte as it was.
#[test]
fn an_output_path_that_names_evidence_is_refused() {
    let evidence = scratch("evidence-as-output");
    let jsonl = evidence.join("records.jsonl");
    std::fs::copy(vector("records.jsonl"), &jsonl).unwrap();
    let recovery = root().join("tests/fixtures/recovery");
    let db = evidence.join("wal_edit.sqlite");
    std::fs::copy(recovery.join("wal_edit.sqlite"), &db).unwrap();
    std::fs::copy(
        recovery.join("wal_edit.sqlite-wal"),
        evidence.join("wal_edit.sqlite-wal"),
    )
    .unwrap();
    let pdf = evidence.join("two-updates.pdf");
    std::fs::copy(
        root().join("tests/fixtures/pdf-recovery/two-updates.pdf"),
        &pdf,
    )
    .unwrap();
    let before = snapshot(&evidence);
    let spelled = evidence.join(".").join("records.jsonl");
    let wal = evidence.join("wal_edit.sqlite-wal");
    let cases: [(&[&str], &Path, &str); 5] = [
        (
            &["timeline", "--format", "jsonl", "-o"],
            &jsonl,
            "records.jsonl",
        ),
        (&["timeline", "-o"], &spelled, "records.jsonl"),
        (
            &["timeline", "--format", "csv", "-o"],
            &wal,
            "wal_edit.sqlite-wal",
        ),
        (&["verify", "--checkpoint-out"], &jsonl, "records.jsonl"),
        (&["verify", "--report"], &pdf, "two-updates.pdf"),
    ];
    for (args, out, named) in cases {
        let o = Command::new(env!("CARGO_BIN_EXE_trailproof"))
            .args(args)
            .arg(out)
            .args([&jsonl, &db, &pdf])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is the evidence file") && stderr.contains(named),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(snapshot(&evidence), before, "the evidence changed");
    // The same commands with an output elsewhere run.
    let out = scratch("evidence-as-output-out").join("t.jsonl");
    let o = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .args(["timeline", "--format", "jsonl", "-o"])
        .arg(&out)
        .arg(&jsonl)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.is_file());
}
