//! `trailproof-selftest`: a known-answer suite compiled into the binary, so the copy of
//! Trailproof in front of an auditor (or a court) can show that it computes what its tests say.
//!
//! Every answer is fixed data, embedded with `include_bytes!` from the repository's public test
//! data: the RFC 8785 samples (`tests/jcs`), the public AEF/1 vectors (`tests/vectors`: canonical
//! bytes and hashes, scopes and fingerprints, every clean vector intact, every tampered vector
//! and combination of `tampered/expected.json` with its exact verdict and error findings, a PDF
//! and a SQLite file among them) and the timestamp renderings of SPEC section 2. Nothing is read
//! from the machine; the evidence readers, which need file paths, get the embedded bytes written
//! to a private temporary directory that is removed afterwards.
//!
//! Invariants: [`run`] never panics on a wrong answer and never stops at the first one: each
//! check ends as passed or failed with both the expected and the computed answer, in a fixed
//! order, so the CLI and the app show the same list.
#![forbid(unsafe_code)]

mod jcs;
mod timestamps;
mod vectors;

use std::io::Read;
use std::path::Path;

use serde::Serialize;

/// One known answer: what the suite expected and what this build computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, e.g. `jcs/french.json` or `verify tampered/edited-field.sqlite`.
    pub name: String,
    /// `expected == got`.
    pub passed: bool,
    /// The known answer.
    pub expected: String,
    /// What this build computed.
    pub got: String,
}

impl Check {
    /// A check that passes exactly when `got` equals `expected`.
    pub fn compare(
        name: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Check {
        let (expected, got) = (expected.into(), got.into());
        Check {
            name: name.into(),
            passed: expected == got,
            expected,
            got,
        }
    }
}

/// Runs every check, in a fixed order: RFC 8785, the AEF/1 vectors, SPEC section 2 timestamps.
pub fn run() -> Vec<Check> {
    let mut checks = jcs::checks();
    checks.extend(vectors::checks());
    checks.extend(timestamps::checks());
    checks
}

/// The executable that ran the suite, named by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Executable {
    /// Its path (empty when the system could not tell it).
    pub path: String,
    /// Lowercase hex SHA-256 of the file, or `null` when it could not be read.
    pub sha256: Option<String>,
    /// Why the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The running executable and its SHA-256, so a validation record names the build it tested.
pub fn executable() -> Executable {
    match std::env::current_exe() {
        Err(e) => Executable {
            path: String::new(),
            sha256: None,
            error: Some(e.to_string()),
        },
        Ok(path) => {
            let (sha256, error) = match file_sha256(&path) {
                Ok(h) => (Some(h), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Executable {
                path: path.to_string_lossy().into_owned(),
                sha256,
                error,
            }
        }
    }
}

/// Lowercase hex SHA-256 of a file's bytes (the self-test names the binary it tested by it).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        context.update(&buf[..n]);
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_matches_and_names_are_unique() {
        let checks = run();
        let failed: Vec<&Check> = checks.iter().filter(|c| !c.passed).collect();
        assert!(failed.is_empty(), "{failed:#?}");
        let mut names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "check names are unique");
        // 6 JCS files + the ES6 numbers, 10 canonical cases, 2 record files, 9 scope cases,
        // 1 export fingerprint, 9 clean inputs + 2 combinations, 7 tampered cases, timestamps.
        assert!(n >= 6 + 1 + 10 + 2 + 9 + 1 + 9 + 2 + 7 + 8, "{n} checks");
    }

    #[test]
    fn a_wrong_answer_fails_with_both_values() {
        let c = Check::compare("x", "a", "b");
        assert!(!c.passed);
        assert_eq!((c.expected.as_str(), c.got.as_str()), ("a", "b"));
        assert!(Check::compare("x", "a", "a").passed);
    }

    #[test]
    fn file_sha256_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            file_sha256(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
