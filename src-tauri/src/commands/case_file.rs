//! The IPC commands of the case file ([`crate::workspace`]): new, open, add evidence,
//! annotate, analyst events, saved views. Like the other commands they only delegate; the case
//! file is written only where the user saved it in the native dialog.

use std::path::PathBuf;

use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use super::{blocking, dialogs, run_case};
use crate::types::{
    AnnotationEdit, AppError, CaseFileView, CaseView, ErrorKind, NewCaseInput, ProgressEvent,
    RecordKey,
};
use crate::workspace::Workspace;
use crate::AppState;

/// The open case file, if any.
#[tauri::command]
pub fn case_file(state: State<'_, AppState>) -> Result<Option<CaseFileView>, AppError> {
    state.with_case_file(|w| w.view()).map(Some).or_else(|e| {
        if e.kind == ErrorKind::NoCase {
            Ok(None)
        } else {
            Err(e)
        }
    })
}

/// Creates a case file where the user saves it (`None` when the dialog was closed) and makes it
/// the open case.
#[tauri::command]
pub async fn new_case_file(
    app: AppHandle,
    state: State<'_, AppState>,
    input: NewCaseInput,
) -> Result<Option<CaseFileView>, AppError> {
    let name = format!("{}.tpcase", input.number.trim().replace(['/', '\\'], "-"));
    let Some(path) = dialogs::save_path(&app, &name, "Trailproof case", "tpcase") else {
        return Ok(None);
    };
    let ws = blocking(move || Workspace::create(&path, input)).await?;
    state.set_case_file(Some(ws));
    state.with_case_file(|w| w.view()).map(Some)
}

/// Opens a case file: `path` when given (recent list, command line), else the one the user
/// picks. Its evidence is re-hashed; the UI then opens the evidence paths it names.
#[tauri::command]
pub async fn open_case_file(
    app: AppHandle,
    state: State<'_, AppState>,
    path: Option<String>,
) -> Result<Option<CaseFileView>, AppError> {
    let path = match path {
        Some(p) => PathBuf::from(p),
        None => match dialogs::pick_files(&app, "Open case", "Trailproof case", &["tpcase"])
            .and_then(|v| v.into_iter().next())
        {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let ws = blocking(move || Workspace::open(&path)).await?;
    state.set_case_file(Some(ws));
    state.with_case_file(|w| w.view()).map(Some)
}

/// Closes the case file (the evidence stays open).
#[tauri::command]
pub fn close_case_file(state: State<'_, AppState>) {
    state.set_case_file(None);
}

/// Adds evidence to the case file: `paths` when given (files dropped on the window), else the
/// ones the user picks. They are verified with the case's other evidence as one case, which
/// becomes the open case; each is recorded with that verdict.
#[tauri::command]
pub async fn add_case_evidence(
    app: AppHandle,
    state: State<'_, AppState>,
    paths: Option<Vec<String>>,
    on_progress: Channel<ProgressEvent>,
) -> Result<Option<(CaseView, CaseFileView)>, AppError> {
    let files: Vec<PathBuf> = match paths {
        Some(p) => p.into_iter().map(PathBuf::from).collect(),
        None => match dialogs::pick_files(&app, "Add evidence", "Evidence", super::EVIDENCE) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let (planned, mut all) =
        state.with_case_file(|w| Ok((w.plan(&files)?, w.evidence_paths()?)))?;
    all.extend(files.iter().cloned());
    let view = run_case(app, &state, all, None, on_progress).await?;
    let case_view = state.change_case_file(|w| w.record(&files, &planned, &view.report))?;
    Ok(Some((view, case_view)))
}

/// One annotation change on a record.
#[tauri::command]
pub fn annotate_record(
    state: State<'_, AppState>,
    key: RecordKey,
    edit: AnnotationEdit,
) -> Result<CaseFileView, AppError> {
    state.change_case_file(|w| w.annotate(key, edit))
}

/// Records an analyst event.
#[tauri::command]
pub fn add_analyst_event(
    state: State<'_, AppState>,
    time: String,
    text: String,
) -> Result<CaseFileView, AppError> {
    state.change_case_file(|w| w.add_analyst_event(&time, &text))
}

/// Withdraws an analyst event (kept in the log, marked).
#[tauri::command]
pub fn withdraw_analyst_event(
    state: State<'_, AppState>,
    id: u64,
) -> Result<CaseFileView, AppError> {
    state.change_case_file(|w| w.withdraw_analyst_event(id))
}

/// Saves the records view (filters, sort, columns as JSON) under `name`.
#[tauri::command]
pub fn save_view(
    state: State<'_, AppState>,
    name: String,
    view: String,
) -> Result<CaseFileView, AppError> {
    state.change_case_file(|w| w.save_view(&name, &view))
}

/// The open case file's examiner log, record by record, each with what its check found.
#[tauri::command]
pub async fn examiner_log(
    state: State<'_, AppState>,
) -> Result<Vec<trailproof_casefile::log::LogEntry>, AppError> {
    state.with_case_file(|w| w.log_entries())
}
