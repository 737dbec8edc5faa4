//! Re-hashing the case's evidence: every file is read again (only read) and its SHA-256 and size
//! compared with what was recorded when it was added. A file that changed or vanished is named
//! with both digests; its earlier results must not be shown as current.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

pub use trailproof_core::handover::{Evidence, EvidenceCheck, EvidenceState};

/// Re-hashes every evidence file. Relative paths are taken from `base` (the directory the
/// paths were given from).
pub fn check_evidence(evidence: &[Evidence], base: &Path) -> Vec<EvidenceCheck> {
    evidence
        .iter()
        .map(|e| EvidenceCheck {
            evidence: e.clone(),
            now: match hash_file(&base.join(&e.path)) {
                Err(err) => EvidenceState::Missing {
                    reason: err.to_string(),
                },
                Ok((size, sha256)) if size == e.size && sha256 == e.sha256 => {
                    EvidenceState::Unchanged
                }
                Ok((size_now, sha256_now)) => EvidenceState::Changed {
                    size_now,
                    sha256_now,
                },
            },
        })
        .collect()
}

/// Size and SHA-256 of a file, read in 1 MiB blocks.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, trailproof_core::record::hex(&h.finalize().into())))
}
