//! Checkpoints: chain heads an investigator records, to anchor later evidence.
//!
//! A lone dump can only show that its chains are consistent: a chain rewritten consistently
//! from some seq on reads as intact. `verify --checkpoint-out CP.json` writes the chain head of
//! every tenant it verified (tenant, seq, hash), the inputs with their SHA-256, the tool and the
//! verdict; handed back as evidence (`verify --anchor CP.json ...`, or simply as one of the
//! files: its kind is detected from its content), each head anchors the later dumps of its
//! tenant exactly as an export's chain head does (SPEC section 9: "a chain head from an earlier
//! check"): a record at that seq that differs gives `anchor_mismatch`, a chain that ends before
//! it gives `chain_truncated`.
//!
//! Invariants:
//! * the file is deterministic: same report, same bytes (no clock time in it; the file's own
//!   SHA-256, recorded in every report that uses it, identifies it);
//! * one head per (tenant, seq, hash): inputs that agree on a head give it once, inputs that
//!   disagree give each, so a checkpoint never picks a side;
//! * reading is strict: an unknown format, a missing member or a malformed hash is an error
//!   naming the member, never a silently smaller set of anchors.

use serde::{Deserialize, Serialize};

use crate::record::Digest;
use crate::report::{Report, Tool, Verdict};

/// The `format` member of every checkpoint.
pub const FORMAT: &str = "trailproof-checkpoint/1";

/// One input of the check that made the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointInput {
    /// Path as given to the check.
    pub path: String,
    /// Detected kind.
    pub kind: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// One chain head: the hash of the record at `seq` of `tenant_id`, as the check saw it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// The tenant.
    pub tenant_id: String,
    /// The seq of the head record.
    pub seq: u64,
    /// Its stored hash, lowercase hex.
    pub hash: String,
}

impl Head {
    /// The head's hash as bytes (checked when the checkpoint is read).
    pub fn digest(&self) -> Digest {
        parse_hash(&self.hash).unwrap_or([0; 32])
    }
}

/// A checkpoint file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The verdict of the check that wrote it.
    pub verdict: Verdict,
    /// The inputs of that check (chain of custody).
    pub inputs: Vec<CheckpointInput>,
    /// The chain heads it saw, by tenant, then seq, then hash.
    pub heads: Vec<Head>,
}

/// A checkpoint that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not JSON of the checkpoint's shape.
    #[error("not a checkpoint: {message}")]
    Shape {
        /// 1-based line where reading stopped.
        line: usize,
        /// What is wrong, as the JSON reader says it.
        message: String,
    },
    /// A `format` other than [`FORMAT`].
    #[error("unknown checkpoint format {0:?} (this tool reads {FORMAT:?})")]
    Format(String),
    /// A head whose hash is not 64 lowercase hex digits.
    #[error("heads[{index}].hash is not 64 lowercase hex digits")]
    Hash {
        /// Index of the head in `heads`.
        index: usize,
    },
}

fn parse_hash(text: &str) -> Option<Digest> {
    if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in text.as_bytes().chunks(2).enumerate() {
        let hex = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(hex, 16).ok()?;
    }
    Some(out)
}

impl Checkpoint {
    /// The checkpoint of a report: its inputs and one head per distinct (tenant, seq, hash) of
    /// the chains its inputs hold.
    pub fn of_report(report: &Report) -> Checkpoint {
        let mut heads: Vec<Head> = report
            .tenants
            .iter()
            .filter_map(|t| {
                let hash = t.summary.head_hash.clone()?;
                Some(Head {
                    tenant_id: t.summary.tenant_id.clone(),
                    seq: t.summary.last_seq,
                    hash,
                })
            })
            .collect();
        heads.sort();
        heads.dedup();
        Checkpoint {
            format: FORMAT.to_string(),
            tool: report.tool.clone(),
            verdict: report.verdict,
            inputs: report
                .inputs
                .iter()
                .map(|i| CheckpointInput {
                    path: i.path.clone(),
                    kind: i.kind.clone(),
                    size: i.size,
                    sha256: i.sha256.clone(),
                })
                .collect(),
            heads,
        }
    }

    /// The checkpoint as pretty JSON with a final newline (deterministic).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a checkpoint serializes");
        text.push('\n');
        text
    }

    /// Reads a checkpoint, strictly (see the module doc).
    pub fn parse(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let checkpoint: Checkpoint =
            serde_json::from_slice(bytes).map_err(|e| CheckpointError::Shape {
                line: e.line(),
                message: e.to_string(),
            })?;
        if checkpoint.format != FORMAT {
            return Err(CheckpointError::Format(checkpoint.format));
        }
        if let Some(index) = checkpoint
            .heads
            .iter()
            .position(|h| parse_hash(&h.hash).is_none())
        {
            return Err(CheckpointError::Hash { index });
        }
        Ok(checkpoint)
    }

    /// The 1-based line of `bytes` where `error` lies (for an error message that names the
    /// place).
    pub fn line_of(bytes: &[u8], error: &CheckpointError) -> usize {
        let (needle, nth) = match error {
            CheckpointError::Shape { line, .. } => return *line,
            CheckpointError::Format(_) => ("\"format\"", 0),
            CheckpointError::Hash { index } => ("\"hash\"", *index),
        };
        let text = String::from_utf8_lossy(bytes);
        text.match_indices(needle)
            .nth(nth)
            .map_or(1, |(at, _)| text[..at].matches('\n').count() + 1)
    }

    /// Does `bytes` look like a checkpoint (for detection by content)?
    pub fn sniff(bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(256)];
        let text = String::from_utf8_lossy(head);
        text.trim_start().starts_with('{') && text.contains(&format!("\"{FORMAT}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            format: FORMAT.to_string(),
            tool: Tool {
                name: "trailproof".into(),
                version: "0.1.0".into(),
                build: None,
            },
            verdict: Verdict::Intact,
            inputs: vec![CheckpointInput {
                path: "audit.sqlite".into(),
                kind: "sqlite".into(),
                size: 10,
                sha256: "ab".repeat(32),
            }],
            heads: vec![Head {
                tenant_id: "acme".into(),
                seq: 57,
                hash: "0f".repeat(32),
            }],
        }
    }

    #[test]
    fn a_checkpoint_reads_back_as_written() {
        let cp = sample();
        let text = cp.to_json();
        assert!(text.starts_with("{\n  \"format\": \"trailproof-checkpoint/1\",\n"));
        assert!(Checkpoint::sniff(text.as_bytes()));
        assert_eq!(Checkpoint::parse(text.as_bytes()).unwrap(), cp);
        assert_eq!(cp.heads[0].digest(), [0x0f; 32]);
    }

    #[test]
    fn a_bad_checkpoint_names_what_is_wrong() {
        let mut cp = sample();
        cp.heads[0].hash = "0F".repeat(32);
        let text = cp.to_json();
        let error = Checkpoint::parse(text.as_bytes()).unwrap_err();
        assert_eq!(error, CheckpointError::Hash { index: 0 });
        assert_eq!(Checkpoint::line_of(text.as_bytes(), &error), 20);
        let mut cp = sample();
        cp.format = "trailproof-checkpoint/9".into();
        assert_eq!(
            Checkpoint::parse(cp.to_json().as_bytes()).unwrap_err().to_string(),
            "unknown checkpoint format \"trailproof-checkpoint/9\" (this tool reads \"trailproof-checkpoint/1\")"
        );
        let text = sample()
            .to_json()
            .replace("\"verdict\"", "\"extra\": 1, \"verdict\"");
        assert!(matches!(
            Checkpoint::parse(text.as_bytes()),
            Err(CheckpointError::Shape { message, .. }) if message.contains("unknown field `extra`")
        ));
        assert!(!Checkpoint::sniff(b"{\"format\": \"audit-export/1\"}"));
    }
}
