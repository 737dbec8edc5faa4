//! Shared by the reader targets: the readers stream from files (they hash exactly the bytes they
//! parse), so each input is written to a scratch file first.

use std::path::PathBuf;

use trailproof_core::record::check;
use trailproof_ingest::detect::{open_records, sniff};
use trailproof_ingest::InputKind;

/// The scratch file of this fuzzing process.
pub fn scratch(bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailproof-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join("input");
    std::fs::write(&p, bytes).expect("write scratch file");
    p
}

/// Sniffs, then reads every record as `kind` and canonicalizes it: errors are fine, panics and
/// endless loops are not, and the digest covers every byte.
pub fn read_all(bytes: &[u8], kind: InputKind) {
    let p = scratch(bytes);
    let _ = sniff(&p);
    if let Ok(mut src) = open_records(&p, kind) {
        let mut out = Vec::new();
        let mut batches = 0usize;
        loop {
            match src.next_batch(&mut out, 7) {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            }
            batches += 1;
            assert!(batches <= bytes.len() + 2, "reader does not progress");
        }
        if let Ok(d) = src.digest() {
            assert_eq!(d.size, bytes.len() as u64, "digest must cover every byte");
        }
        let mut buf = Vec::new();
        for r in out {
            let _ = check(r, &mut buf);
        }
    }
}
