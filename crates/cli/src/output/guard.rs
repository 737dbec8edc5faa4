//! Outputs never land on evidence: a path given for an output (a timeline, a report, a
//! checkpoint) that names one of the command's evidence files, or the `-wal` or `-journal` that
//! SQLite keeps beside one, is refused before anything is read or written, so that a slip of
//! the command line (`timeline -o dump.jsonl dump.jsonl`) cannot destroy the evidence it was
//! meant to examine.
//!
//! Files are compared by identity (device and inode on Unix, the canonical path elsewhere), so
//! another spelling of the path, a hard link or a symbolic link to the evidence is refused too.
//! An output path where nothing exists yet destroys nothing and passes.

use std::path::{Path, PathBuf};

use anyhow::bail;

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

/// An error naming `output` (given as `what`) when it is one of `evidence` or the `-wal` or
/// `-journal` beside one of them.
pub fn refuse_evidence(what: &str, output: &Path, evidence: &[PathBuf]) -> anyhow::Result<()> {
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
                bail!(
                    "{what} {} is the evidence file {}: an output never overwrites evidence, \
                     choose another path",
                    output.display(),
                    file.display()
                );
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
        let err = |out: &Path| {
            refuse_evidence("--report", out, &evidence)
                .unwrap_err()
                .to_string()
        };
        assert!(err(&db).contains("is the evidence file"), "{}", err(&db));
        assert!(err(&dir.join("./audit.sqlite")).contains("audit.sqlite"));
        assert!(err(&beside(&db, "-wal")).contains("audit.sqlite-wal"));
        #[cfg(unix)]
        {
            let link = dir.join("link");
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&db, &link).unwrap();
            assert!(err(&link).contains("is the evidence file"));
        }
        // A -journal that is not there, a new file, another existing file: fine.
        assert!(refuse_evidence("-o", &beside(&db, "-journal"), &evidence).is_ok());
        assert!(refuse_evidence("-o", &dir.join("new.html"), &evidence).is_ok());
        let other = dir.join("other.json");
        std::fs::write(&other, b"{}").unwrap();
        assert!(refuse_evidence("-o", &other, &evidence).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
