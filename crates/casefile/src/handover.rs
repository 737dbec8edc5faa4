//! The case as a report or export carries it ([`CaseHandover`]): the replay of the examiner log
//! and a fresh re-hash of every evidence file, taken together at one moment.

use std::path::Path;

use trailproof_core::handover::{CaseHandover, EvidenceCheck};

use crate::check::check_evidence;
use crate::error::CaseError;
use crate::file::CaseFile;
use crate::state::{replay, CaseState};

/// Replays the log and re-hashes the evidence (paths relative to the case file's folder).
pub fn handover(case: &CaseFile) -> Result<(CaseHandover, CaseState), CaseError> {
    let state = replay(case)?;
    let checks = check_evidence(&state.evidence, &case_dir(case.path())?);
    Ok((assemble(case, &state, checks), state))
}

/// The hand-over of `case` from its replayed `state` and evidence `checks` made earlier (the
/// app re-hashes when a case opens and evidence joins, not on every annotation).
pub fn assemble(case: &CaseFile, state: &CaseState, checks: Vec<EvidenceCheck>) -> CaseHandover {
    let i = case.info();
    CaseHandover {
        id: i.id.clone(),
        number: i.number.clone(),
        title: i.title.clone(),
        examiner_name: i.examiner_name.clone(),
        examiner_id: i.examiner_id.clone(),
        organisation: i.organisation.clone(),
        time_zone: i.time_zone.clone(),
        created: i.created.clone(),
        evidence: checks,
        annotations: state.annotations.clone(),
        analyst_events: state.analyst_events.clone(),
        examiner_log: state.log.clone(),
        inconsistencies: state.inconsistencies.clone(),
    }
}

/// The folder of the case file, canonical: where relative evidence paths start.
pub fn case_dir(case_path: &Path) -> Result<std::path::PathBuf, CaseError> {
    let real = case_path.canonicalize().map_err(|source| CaseError::Io {
        path: case_path.to_path_buf(),
        source,
    })?;
    Ok(real.parent().unwrap_or(Path::new("/")).to_path_buf())
}

/// The case's verdict: what the last verification with all its evidence said (each
/// `evidence.added` records the verdict of the case with that file), unless an evidence file
/// changed or vanished since: then its results are not current, and this says so.
pub fn case_verdict(h: &CaseHandover) -> Option<String> {
    use trailproof_core::handover::EvidenceState;
    let last = h.evidence.last()?;
    if h.evidence.iter().any(|e| e.now != EvidenceState::Unchanged) {
        return Some("not current: evidence changed since it was verified".into());
    }
    Some(last.evidence.verdict.clone())
}
