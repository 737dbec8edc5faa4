//! `trailproof selftest`, `--version` and `generate-docs` as a user (or a package) runs them.

use std::process::Command;

fn trailproof() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trailproof"))
}

#[test]
fn selftest_passes_and_names_the_binary_it_ran_in() {
    let out = trailproof().args(["selftest", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["format"], "trailproof-selftest/1");
    assert_eq!(record["passed"], true);
    let checks = record["checks"].as_array().unwrap();
    assert_eq!(record["checks_total"].as_u64(), Some(checks.len() as u64));
    assert!(checks
        .iter()
        .all(|c| c["passed"] == true && c["expected"] == c["got"]));
    for name in [
        "jcs/french.json",
        "verify export-acme-critical.pdf + audit.sqlite",
        "verify tampered/edited-field.sqlite",
    ] {
        assert!(checks.iter().any(|c| c["name"] == name), "{name}");
    }
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_trailproof")).unwrap();
    let bytes = std::fs::read(&exe).unwrap();
    let want = trailproof_core::record::hex(&trailproof_core::record::sha256(&bytes));
    assert_eq!(record["executable"]["sha256"], want.as_str());
    assert!(record["version_line"]
        .as_str()
        .unwrap()
        .starts_with("trailproof "));
}

#[test]
fn selftest_human_output_has_one_line_per_check_and_a_summary() {
    let out = trailproof().arg("selftest").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("trailproof ") && lines[0].contains("(commit "),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("executable: "));
    assert!(
        lines[2].starts_with("sha256:     ") && lines[2].len() == 12 + 64,
        "{}",
        lines[2]
    );
    let checks = lines.iter().filter(|l| l.starts_with("ok    ")).count();
    let last = lines.last().unwrap();
    assert!(
        last.starts_with(&format!("selftest: {checks} of {checks} checks passed in ")),
        "{last}"
    );
    assert!(last.ends_with("every answer matches"), "{last}");
}

#[test]
fn long_version_names_commit_date_target_and_rustc() {
    let out = trailproof().arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for field in ["commit:", "build date:", "target:", "rustc:"] {
        assert!(text.contains(field), "{text}");
    }
    assert!(
        text.starts_with(&format!("trailproof {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn generate_docs_writes_a_man_page_per_command_and_three_completions() {
    let dir = tempfile::tempdir().unwrap();
    let out = trailproof()
        .arg("generate-docs")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for page in [
        "trailproof",
        "trailproof-verify",
        "trailproof-timeline",
        "trailproof-live",
        "trailproof-inspect",
        "trailproof-selftest",
    ] {
        let text = std::fs::read_to_string(dir.path().join(format!("man/{page}.1"))).unwrap();
        assert!(
            text.starts_with(".ie \\n(.g .ds Aq") || text.contains(".TH"),
            "{page}"
        );
    }
    assert!(
        !dir.path().join("man/trailproof-generate-docs.1").exists(),
        "hidden commands get no page"
    );
    for file in ["trailproof.bash", "_trailproof", "trailproof.fish"] {
        let text = std::fs::read_to_string(dir.path().join("completions").join(file)).unwrap();
        assert!(
            text.contains("selftest") && text.contains("verify"),
            "{file}"
        );
    }
}
