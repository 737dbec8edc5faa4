//! Snapshots of `trailproof verify`'s whole output, human and `--json`, for every case of the
//! public tampered vectors (`tests/vectors/tampered/expected.json`), so any change of what a
//! user reads shows up as a reviewed diff of `tests/it/snapshots/`. The command runs from the
//! repository root with relative paths, so the snapshots do not depend on where the checkout is.

use std::process::Command;
use trailproof_testkit::root;

/// Every case of expected.json, as the files it names.
fn cases() -> Vec<(String, Vec<String>)> {
    let text =
        std::fs::read_to_string(root().join("tests/vectors/tampered/expected.json")).unwrap();
    let expected: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    expected
        .keys()
        .map(|case| {
            let files = case
                .split(" + ")
                .map(|name| {
                    let tampered = format!("tests/vectors/tampered/{name}");
                    if root().join(&tampered).exists() {
                        tampered
                    } else {
                        format!("tests/vectors/{name}")
                    }
                })
                .collect();
            (case.clone(), files)
        })
        .collect()
}

/// stdout, then the exit code, of `trailproof verify ARGS FILES`.
fn verify(args: &[&str], files: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .current_dir(root())
        .env("TZ", "UTC")
        .arg("verify")
        .arg("--no-progress")
        .args(args)
        .args(files)
        .output()
        .unwrap();
    format!(
        "{}\n[exit {}]",
        without_build(&String::from_utf8(out.stdout).unwrap()),
        out.status.code().unwrap()
    )
}

/// The output with this build's commit, date, target and rustc replaced by placeholders: they
/// change with every commit, the rest must not. Fails when the build is not named at all.
fn without_build(out: &str) -> String {
    let b = trailproof_provenance::BUILD;
    let mut text = out.to_string();
    for (value, placeholder) in [
        (b.commit, "[commit]"),
        (&b.commit[..12.min(b.commit.len())], "[commit]"),
        (b.build_date, "[date]"),
        (b.target, "[target]"),
        (b.rustc, "[rustc]"),
    ] {
        // (A build outside git says "unknown": never replace a common word.)
        if value != "unknown" {
            text = text.replace(value, placeholder);
        }
    }
    assert!(
        text.contains("[commit]"),
        "the report names no build: {out}"
    );
    text
}

fn snapshot_name(case: &str, form: &str) -> String {
    let stem: String = case
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{stem}.{form}")
}

#[test]
fn every_tampered_vector_reads_as_before() {
    let cases = cases();
    assert_eq!(cases.len(), 7, "expected.json lists seven cases");
    for (case, files) in cases {
        let human = verify(&[], &files);
        insta::assert_snapshot!(snapshot_name(&case, "human"), human, &case);
        let json = verify(&["--json"], &files);
        insta::assert_snapshot!(snapshot_name(&case, "json"), json, &case);
    }
}
