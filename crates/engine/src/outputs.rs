//! Outputs never land on evidence: a path chosen for an output (a timeline, a report, a
//! checkpoint; on the command line or in the app's save dialog) that names one of the case's
//! evidence files, or the `-wal` or `-journal` that SQLite keeps beside one, is refused before
//! anything is written, so that a slip (`timeline -o dump.jsonl dump.jsonl`) cannot destroy the
//! evidence it was meant to examine.
//!
//! Files are compared by identity (device and inode on Unix, the canonical path elsewhere), so
//! another spelling of the path, a hard link or a symbolic link to the evidence is refused too.
//! An output path where nothing exists yet destroys nothing and passes.

use std::path::{Path, PathBuf};

#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

/// The file `p` names (through symbolic links), when there is one.
#[cfg(unix)]
fn identity(p: &Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(p: &Path) -> Option<Identity> {
    p.canonicalize().ok()
}

fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// An output path that is an evidence file.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} is the evidence file {}: an output never overwrites evidence, choose another path",
    output.display(),
    evidence.display()
)]
pub struct EvidenceAsOutput {
    pub output: PathBuf,
    /// The evidence file it is (one of those given, or the `-wal` or `-journal` beside one).
    pub evidence: PathBuf,
}

/// An error when `output` is one of `evidence` or the `-wal` or `-journal` beside one of them.
pub fn refuse_evidence(output: &Path, evidence: &[PathBuf]) -> Result<(), EvidenceAsOutput> {
    let Some(target) = identity(output) else {
        return Ok(());
    };
    for input in evidence {
        for file in [
            input.clone(),
            beside(input, "-wal"),
            beside(input, "-journal"),
        ] {
            if identity(&file).as_ref() == Some(&target) {
                return Err(EvidenceAsOutput {
                    output: output.to_path_buf(),
                    evidence: file,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_by_any_name_is_refused_and_other_paths_pass() {
        let dir = std::env::temp_dir().join(format!("trailproof-guard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("audit.sqlite");
        std::fs::write(&db, b"x").unwrap();
        std::fs::write(beside(&db, "-wal"), b"w").unwrap();
        let evidence = [db.clone()];
        let err = |out: &Path| refuse_evidence(out, &evidence).unwrap_err().to_string();
        assert!(err(&db).contains("is the evidence file"), "{}", err(&db));
        assert!(err(&dir.join("./audit.sqlite")).contains("audit.sqlite"));
        let e = refuse_evidence(&beside(&db, "-wal"), &evidence).unwrap_err();
        assert_eq!(e.evidence, beside(&db, "-wal"));
        #[cfg(unix)]
        {
            let link = dir.join("link");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&db, &link).unwrap();
            assert!(err(&link).contains("is the evidence file"));
        }
        // A -journal that is not there, a new file, another existing file: fine.
        assert!(refuse_evidence(&beside(&db, "-journal"), &evidence).is_ok());
        assert!(refuse_evidence(&dir.join("new.html"), &evidence).is_ok());
        let other = dir.join("other.json");
        std::fs::write(&other, b"{}").unwrap();
        assert!(refuse_evidence(&other, &evidence).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
