//! Adding evidence to a case, the same way from the CLI and the app: each new file is recorded
//! with the path relative to the case file's folder, its size, SHA-256 and kind as the
//! verification read them, and the verdict of that verification (which verified the case's
//! evidence and the new files together).

use std::path::{Path, PathBuf};

use trailproof_core::handover::LogHead;
use trailproof_core::report::Report;

use crate::error::CaseError;
use crate::file::{relative_path, CaseFile};
use crate::handover::case_dir;

/// The case's evidence files, as paths from the current directory (the case file's folder
/// joined with each recorded path).
pub fn evidence_paths(case: &CaseFile) -> Result<Vec<PathBuf>, CaseError> {
    let base = case_dir(case.path())?;
    Ok(case
        .evidence()?
        .iter()
        .map(|e| base.join(&e.path))
        .collect())
}

/// Checks that `files` can join the case (readable, not the case file itself, not already in
/// it); gives the path each will be recorded under.
pub fn plan(case: &CaseFile, files: &[PathBuf]) -> Result<Vec<String>, CaseError> {
    let case_real = case.path().canonicalize().map_err(|source| CaseError::Io {
        path: case.path().to_path_buf(),
        source,
    })?;
    let base = case_dir(case.path())?;
    let known: Vec<String> = case.evidence()?.into_iter().map(|e| e.path).collect();
    let mut planned: Vec<String> = Vec::new();
    for f in files {
        let real = f.canonicalize().map_err(|source| CaseError::Io {
            path: f.clone(),
            source,
        })?;
        let bad = |reason: &str| CaseError::BadInput {
            what: f.display().to_string(),
            reason: reason.into(),
        };
        if real == case_real {
            return Err(bad("a case file is not evidence of itself"));
        }
        let stored = relative_path(&base, &real);
        if known.contains(&stored) || planned.contains(&stored) {
            return Err(bad("already in the case"));
        }
        planned.push(stored);
    }
    Ok(planned)
}

/// One evidence file recorded in the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The path recorded (relative to the case file's folder when it can be).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: String,
    /// Kind.
    pub kind: String,
    /// The examiner log's head after it was recorded.
    pub head: LogHead,
}

/// Records `files` (as given to the verification that made `report`) under the paths `plan`
/// gave, with the report's verdict.
pub fn record(
    case: &mut CaseFile,
    files: &[PathBuf],
    planned: &[String],
    report: &Report,
) -> Result<Vec<Added>, CaseError> {
    let mut out = Vec::new();
    for (given, stored) in files.iter().zip(planned) {
        let given_text = given.to_string_lossy();
        let input = report
            .inputs
            .iter()
            .find(|i| i.path == given_text || Path::new(&i.path) == given)
            .ok_or_else(|| CaseError::BadInput {
                what: given.display().to_string(),
                reason: "not among the verification's inputs".into(),
            })?;
        let head = case.add_evidence(
            stored,
            input.size,
            &input.sha256,
            &input.kind,
            report.verdict.as_str(),
        )?;
        out.push(Added {
            path: stored.clone(),
            size: input.size,
            sha256: input.sha256.clone(),
            kind: input.kind.clone(),
            head,
        });
    }
    Ok(out)
}
