//! What the integration tests of every Trailproof crate share: where the evidence they read lives
//! (the public vectors and the named fixtures in the repository), fresh scratch directories, and
//! JSON Lines evidence that a test edits and writes back (re-hashing a record as a forger would).
//!
//! Invariants: every path is absolute and rooted at the workspace, whatever directory the test runs
//! from; a scratch directory is empty when handed out and private to one process and one test
//! name; nothing here writes outside the system's temporary directory.
//!
//! Only a dev-dependency: no shipped crate depends on it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod jsonl;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace root (the folder holding `Cargo.toml`, `tests/`, `samples/`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// A public AEF/1 test vector: `tests/vectors/NAME` (NAME may name a subfolder, as
/// `tampered/deleted-record.sqlite`).
pub fn vector(name: &str) -> PathBuf {
    root().join("tests/vectors").join(name)
}

/// [`vector`] as a command-line argument.
pub fn vector_arg(name: &str) -> String {
    vector(name).to_string_lossy().into_owned()
}

/// A named fixture: `tests/fixtures/GROUP/NAME` (groups: `dumps`, `pdf`, `recovery`, ...).
pub fn fixture(group: &str, name: &str) -> PathBuf {
    root().join("tests/fixtures").join(group).join(name)
}

/// A fresh, empty scratch directory for one test: unique in this process (a counter, since the
/// tests of a crate share one process) and across processes (the process id).
pub fn scratch(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("trailproof-test-{}-{n}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create the scratch directory");
    d
}

/// SHA-256 of `bytes` as lowercase hex, as reports print it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    trailproof_core::record::hex(&trailproof_core::record::sha256(bytes))
}

/// The entry of a JSON report's `checks` whose `check` is `name`; panics naming the checks there
/// are when none is.
pub fn report_check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report_entry(report, "checks", "check", name)
}

/// The first entry of a JSON report's `findings` whose `code` is `code`; panics naming the codes
/// there are when none is.
pub fn report_finding<'a>(report: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    report_entry(report, "findings", "code", code)
}

fn report_entry<'a>(
    report: &'a serde_json::Value,
    list: &str,
    key: &str,
    value: &str,
) -> &'a serde_json::Value {
    let entries = report[list].as_array().map(Vec::as_slice).unwrap_or(&[]);
    entries.iter().find(|e| e[key] == value).unwrap_or_else(|| {
        let there: Vec<&serde_json::Value> = entries.iter().map(|e| &e[key]).collect();
        panic!("no {list} entry with {key} {value:?} among {there:?}")
    })
}

/// The text of the PDF at `path` as poppler's `pdftotext` extracts it (UTF-8), as an auditor's
/// tool reads a report; panics naming pdftotext's complaint when it fails.
pub fn pdftotext(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, see scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pdftotext writes UTF-8")
}

/// Whitespace runs (line ends included) as one space: text extracted from a PDF, whose line
/// breaks depend on the layout, compared as words.
pub fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
