//! The open case file (`NAME.tpcase`, `trailproof-casefile`): the examiner's case kept across
//! days. Creating and opening it, adding evidence (verified with the case's other evidence, the
//! same way `trailproof case add` does), annotating records, analyst events, saved views, and
//! logging every report and export written while it is open.
//!
//! Invariants: every change is one append to the case file's examiner log (nothing is updated
//! or deleted); the case file is written only where the user saved it; evidence is only read;
//! opening a case re-hashes every evidence file and names each that changed or vanished.

use std::path::{Path, PathBuf};

use trailproof_casefile::log::LogEntry;
use trailproof_casefile::state::{replay, CaseState};
use trailproof_casefile::{
    assemble, case_dir, case_verdict, check_evidence, intake, Action, CaseError, CaseFile,
    CaseHandover, EvidenceCheck, EvidenceState, NewCase, Target,
};
use trailproof_core::report::Report;

use crate::types::{
    AnnotationEdit, AppError, CaseFileView, ErrorKind, NewCaseInput, RecordKey, Saved,
    SavedViewItem,
};

impl From<CaseError> for AppError {
    fn from(e: CaseError) -> AppError {
        AppError::new(ErrorKind::CaseFile, e.to_string())
    }
}

/// An open case file: its examiner log replayed once per change (not once per question about
/// it), and what re-hashing its evidence found when it was opened or evidence last joined.
pub struct Workspace {
    file: CaseFile,
    state: CaseState,
    checks: Vec<EvidenceCheck>,
}

fn target(key: RecordKey) -> Target {
    Target {
        tenant_id: key.tenant_id,
        seq: key.seq,
        source: key.source.filter(|s| !s.is_empty()),
    }
}

fn non_empty(what: &str, text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::new(
            ErrorKind::Invalid,
            format!("{what} must not be empty"),
        ));
    }
    Ok(t.to_string())
}

impl Workspace {
    /// Creates the case file at `path` (which must not exist).
    pub fn create(path: &Path, input: NewCaseInput) -> Result<Workspace, AppError> {
        let opt = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let file = CaseFile::create(
            path,
            NewCase {
                number: input.number,
                title: opt(input.title),
                examiner_name: input.examiner,
                examiner_id: opt(input.examiner_id),
                organisation: opt(input.organisation),
                time_zone: opt(input.time_zone),
            },
        )?;
        Ok(Workspace {
            state: replay(&file)?,
            file,
            checks: Vec::new(),
        })
    }

    /// Opens an existing case file for writing.
    pub fn open(path: &Path) -> Result<Workspace, AppError> {
        let file = CaseFile::open(path, true)?;
        let state = replay(&file)?;
        let checks = check_evidence(&state.evidence, &case_dir(file.path())?);
        Ok(Workspace {
            file,
            state,
            checks,
        })
    }

    /// Appends `action` to the examiner log and replays the log (the replay, not the action,
    /// is what the case shows: the log stays the one source of truth).
    fn write(&mut self, action: &Action) -> Result<(), AppError> {
        self.file.record(action)?;
        self.state = replay(&self.file)?;
        Ok(())
    }

    /// The case file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The case as the UI shows it: the log replayed, the evidence as last re-hashed.
    pub fn view(&self) -> Result<CaseFileView, AppError> {
        let state = &self.state;
        let case = assemble(&self.file, state, self.checks.clone());
        let changed = case
            .evidence
            .iter()
            .filter(|c| c.now != EvidenceState::Unchanged)
            .map(|c| c.evidence.path.clone())
            .collect();
        let evidence_paths = intake::evidence_paths(&self.file)?
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        Ok(CaseFileView {
            path: self.file.path().to_string_lossy().into_owned(),
            verdict: case_verdict(&case),
            changed,
            evidence_paths,
            views: state
                .views
                .iter()
                .map(|v| SavedViewItem {
                    name: v.name.clone(),
                    view: v.view.to_string(),
                    saved: v.saved.clone(),
                })
                .collect(),
            case,
        })
    }

    /// The examiner log, record by record, each with what the chain check found.
    pub fn log_entries(&self) -> Result<Vec<LogEntry>, AppError> {
        let records = trailproof_casefile::log::read(&self.file)?;
        Ok(trailproof_casefile::log::entries(
            &self.file.info().id,
            &records,
        ))
    }

    /// The case for a report or export: the log as last replayed, the evidence re-hashed now.
    pub fn handover(&self) -> Result<CaseHandover, AppError> {
        let checks = check_evidence(&self.state.evidence, &case_dir(self.file.path())?);
        Ok(assemble(&self.file, &self.state, checks))
    }

    /// The case's evidence files, as paths to open.
    pub fn evidence_paths(&self) -> Result<Vec<PathBuf>, AppError> {
        Ok(intake::evidence_paths(&self.file)?)
    }

    /// Checks that `files` can join the case; gives the paths they will be recorded under.
    pub fn plan(&self, files: &[PathBuf]) -> Result<Vec<String>, AppError> {
        Ok(intake::plan(&self.file, files)?)
    }

    /// Records `files` (verified in `report` with the rest of the case's evidence).
    pub fn record(
        &mut self,
        files: &[PathBuf],
        planned: &[String],
        report: &Report,
    ) -> Result<(), AppError> {
        intake::record(&mut self.file, files, planned, report)?;
        self.state = replay(&self.file)?;
        self.checks = check_evidence(&self.state.evidence, &case_dir(self.file.path())?);
        Ok(())
    }

    /// Applies one annotation change to the record `key`.
    pub fn annotate(&mut self, key: RecordKey, edit: AnnotationEdit) -> Result<(), AppError> {
        let t = target(key);
        let action = match edit {
            AnnotationEdit::Star => Action::Starred(t),
            AnnotationEdit::Unstar => Action::Unstarred(t),
            AnnotationEdit::Tag { tag } => Action::Tagged(t, non_empty("a tag", &tag)?),
            AnnotationEdit::Untag { tag } => Action::Untagged(t, tag),
            AnnotationEdit::Note { text } => Action::Noted {
                target: t,
                note: self.state.next_note(),
                text: non_empty("a note", &text)?,
            },
            AnnotationEdit::EditNote { note, text } => {
                let exists = self
                    .state
                    .annotation(&t)
                    .is_some_and(|a| a.notes.iter().any(|n| n.id == note));
                if !exists {
                    return Err(AppError::new(
                        ErrorKind::Invalid,
                        format!("{}/{} has no note {note}", t.tenant_id, t.seq),
                    ));
                }
                Action::NoteEdited {
                    target: t,
                    note,
                    text: non_empty("a note", &text)?,
                }
            }
        };
        self.write(&action)
    }

    /// Records an analyst event at `time` (any RFC 3339 rendering with an offset).
    pub fn add_analyst_event(&mut self, time: &str, text: &str) -> Result<(), AppError> {
        let at = trailproof_core::time::normalize(time.trim()).map_err(|e| {
            AppError::new(
                ErrorKind::Invalid,
                format!("the time {time:?}: {}: give a date, a time and an offset (2026-04-30T14:02:00+02:00)", e.reason),
            )
        })?;
        let id = self.state.next_analyst_event();
        self.write(&Action::AnalystEventAdded {
            id,
            time: at.canonical(),
            text: non_empty("the analyst event's text", text)?,
        })
    }

    /// Withdraws analyst event `id` (it stays in the log, marked).
    pub fn withdraw_analyst_event(&mut self, id: u64) -> Result<(), AppError> {
        if !self
            .state
            .analyst_events
            .iter()
            .any(|e| e.id == id && !e.withdrawn)
        {
            return Err(AppError::new(
                ErrorKind::Invalid,
                format!("no analyst event {id} to withdraw"),
            ));
        }
        self.write(&Action::AnalystEventWithdrawn { id })
    }

    /// Saves a view under `name` (a later save of the same name replaces it).
    pub fn save_view(&mut self, name: &str, view: &str) -> Result<(), AppError> {
        let view: serde_json::Value = serde_json::from_str(view)
            .map_err(|e| AppError::new(ErrorKind::Invalid, format!("the view is not JSON: {e}")))?;
        self.write(&Action::ViewSaved {
            name: non_empty("the view's name", name)?,
            view,
        })
    }

    /// Logs a report or export written while the case is open.
    pub fn log_export(&mut self, saved: &Saved, format: &str) -> Result<(), AppError> {
        let base = trailproof_casefile::case_dir(self.file.path())?;
        let real = Path::new(&saved.path)
            .canonicalize()
            .unwrap_or_else(|_| PathBuf::from(&saved.path));
        self.write(&Action::ReportExported {
            path: trailproof_casefile::file::relative_path(&base, &real),
            format: format.to_string(),
            size: saved.bytes,
            sha256: saved.sha256.clone(),
        })
    }
}
