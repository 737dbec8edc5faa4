//! The IPC commands. Each one only delegates: to the crates (verification, timeline, reports)
//! through [`crate::work`], [`crate::session`], [`crate::detail`] and [`crate::keystore`].
//! Errors cross as `{kind, message}` ([`AppError`]).
//!
//! Invariants: long work runs on a blocking thread, never on the UI's; one long task at a time;
//! files are written only to a path the user picked in the native save dialog opened here (the
//! UI cannot name a path to write); keyring calls (which may block on D-Bus or an unlock prompt)
//! run on a blocking thread too.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

pub mod case_file;
mod dialogs;

/// The file kinds the evidence dialogs offer.
const EVIDENCE: &[&str] = &[
    "pdf", "json", "jsonl", "ndjson", "csv", "sqlite", "sqlite3", "db", "sql", "dump", "txt",
    "tpcase",
];

use crate::keystore;
use crate::types::{
    AppError, CaseView, Density, ErrorKind, LiveRun, ProgressEvent, RecentCase, RecordDetail,
    RecordFilter, RecordPage, RecordQuery, ReportFormat, Saved, SelfTestRun, TimeBounds,
    TimelineFormat, TokenStatus,
};
use crate::{detail, recent, session::Loaded, work, AppState};

fn current(state: &AppState, generation: u32) -> Result<Arc<Loaded>, AppError> {
    let case = state.case()?;
    if case.generation != generation {
        return Err(AppError::new(
            ErrorKind::NoCase,
            "another case was opened since this request",
        ));
    }
    Ok(case)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorKind::Invalid, format!("the task failed: {e}")))?
}

/// Paths given on the command line (`trailproof-app FILE...`), to open at start.
#[tauri::command]
pub fn initial_paths(state: State<'_, AppState>) -> Vec<String> {
    state.initial.clone()
}

/// The case currently open, if any.
#[tauri::command]
pub fn current_case(state: State<'_, AppState>) -> Option<CaseView> {
    state.case().ok().map(|c| c.view())
}

/// Opens `paths` as one case, replacing the open one.
#[tauri::command]
pub async fn open_case(
    app: AppHandle,
    state: State<'_, AppState>,
    paths: Vec<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<CaseView, AppError> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    run_case(app, &state, paths, None, on_progress).await
}

/// Asks for evidence files in the native open dialog, then opens them as one case. `None` when
/// the user closed the dialog.
#[tauri::command]
pub async fn choose_and_open(
    app: AppHandle,
    state: State<'_, AppState>,
    on_progress: Channel<ProgressEvent>,
) -> Result<Option<CaseView>, AppError> {
    let Some(paths) = dialogs::pick_files(
        &app,
        "Open evidence",
        "Evidence (export PDFs and dumps)",
        EVIDENCE,
    ) else {
        return Ok(None);
    };
    run_case(app, &state, paths, None, on_progress)
        .await
        .map(Some)
}

/// Runs the live check of `url` with the open case's evidence; the live records join the case.
/// The token is the one typed, else the one held in memory for the URL's service, else the one
/// stored in the OS keyring for it ([`keystore::resolve`]); with `remember`, a check that
/// completed stores it in the OS keyring, and a keyring that refuses is said in the answer.
#[tauri::command]
pub async fn run_live(
    app: AppHandle,
    state: State<'_, AppState>,
    url: String,
    token: Option<String>,
    api_base: Option<String>,
    remember: bool,
    on_progress: Channel<ProgressEvent>,
) -> Result<LiveRun, AppError> {
    let origin = keystore::origin(&url)?;
    let (token, source) = {
        let (app, origin) = (app.clone(), origin.clone());
        blocking(move || keystore::resolve(&app.state::<AppState>(), &origin, token)).await?
    };
    let paths = state.case().map(|c| c.paths.clone()).unwrap_or_default();
    let ask = work::LiveAsk {
        url,
        token: token.clone(),
        api_base: api_base.filter(|s| !s.is_empty()),
    };
    let view = run_case(app.clone(), &state, paths, Some(ask), on_progress)
        .await
        .map_err(|e| keystore::not_remembered(e, remember, source))?;
    let remember_error = if remember {
        blocking(move || keystore::remember(&app.state::<AppState>(), &origin, &token, source))
            .await
            .err()
    } else {
        None
    };
    Ok(LiveRun {
        view,
        remember_error,
    })
}

/// Forgets the token held in memory.
#[tauri::command]
pub fn forget_token(state: State<'_, AppState>) {
    state.clear_token();
}

/// What is held for the service of `url`: a token in memory, one in the OS keyring (never the
/// token itself).
#[tauri::command]
pub async fn token_status(app: AppHandle, url: String) -> Result<TokenStatus, AppError> {
    blocking(move || keystore::status(&app.state::<AppState>(), &url)).await
}

/// Deletes the OS keyring's entry for the service of `url`; what is held after.
#[tauri::command]
pub async fn forget_stored_token(app: AppHandle, url: String) -> Result<TokenStatus, AppError> {
    blocking(move || keystore::forget_stored(&app.state::<AppState>(), &url)).await
}

async fn run_case(
    app: AppHandle,
    state: &AppState,
    paths: Vec<PathBuf>,
    live: Option<work::LiveAsk>,
    on_progress: Channel<ProgressEvent>,
) -> Result<CaseView, AppError> {
    let guard = state.begin()?;
    let generation = state.next_generation();
    let cancel = state.cancel.clone();
    let loaded = blocking(move || {
        let _guard = guard;
        let send = move |e: ProgressEvent| {
            let _ = on_progress.send(e);
        };
        work::open(generation, paths, live, &send, &cancel)
    })
    .await?;
    let view = loaded.view();
    state.set_case(loaded);
    if let Ok(dir) = app.path().app_config_dir() {
        let _ = recent::remember(
            &recent::file_in(dir),
            RecentCase {
                paths: view.paths.clone(),
                verdict: view.report.verdict,
                case_file: state.case_file_path(),
            },
        );
    }
    Ok(view)
}

/// Stops the running task at its next batch or page.
#[tauri::command]
pub fn cancel_work(state: State<'_, AppState>) {
    state.cancel.store(true, Ordering::Relaxed);
}

/// Cases opened before, newest first.
#[tauri::command]
pub fn recent_cases(app: AppHandle) -> Vec<RecentCase> {
    app.path()
        .app_config_dir()
        .map(|d| recent::load(&recent::file_in(d)))
        .unwrap_or_default()
}

/// One page of the records table.
#[tauri::command]
pub async fn query_records(
    state: State<'_, AppState>,
    query: RecordQuery,
) -> Result<RecordPage, AppError> {
    let case = current(&state, query.generation)?;
    blocking(move || Ok(case.page(&query))).await
}

/// For each time (microseconds), how many entries matching `filter` lie at or before it: where
/// the case file's analyst events stand among the records.
#[tauri::command]
pub async fn count_through(
    state: State<'_, AppState>,
    generation: u32,
    filter: RecordFilter,
    times: Vec<i64>,
) -> Result<Vec<u32>, AppError> {
    let case = current(&state, generation)?;
    blocking(move || Ok(case.count_through(&filter, &times))).await
}

/// Everything about the entry at timeline `index`.
#[tauri::command]
pub async fn record_detail(
    state: State<'_, AppState>,
    generation: u32,
    index: u32,
) -> Result<RecordDetail, AppError> {
    let case = current(&state, generation)?;
    blocking(move || {
        detail::detail(&case, index)
            .ok_or_else(|| AppError::new(ErrorKind::NoCase, format!("no entry {index}")))
    })
    .await
}

/// Timeline index of (tenant, seq), for findings that name a record.
#[tauri::command]
pub fn locate(
    state: State<'_, AppState>,
    generation: u32,
    tenant: String,
    seq: u64,
) -> Result<Option<u32>, AppError> {
    Ok(current(&state, generation)?.index_of(&tenant, seq))
}

/// Time bounds of the timeline.
#[tauri::command]
pub fn time_bounds(state: State<'_, AppState>, generation: u32) -> Result<TimeBounds, AppError> {
    Ok(current(&state, generation)?.bounds())
}

/// Event density of a time window.
#[tauri::command]
pub async fn density(
    state: State<'_, AppState>,
    generation: u32,
    from: f64,
    to: f64,
    buckets: u32,
    limit: u32,
) -> Result<Density, AppError> {
    let case = current(&state, generation)?;
    blocking(move || Ok(case.density(from, to, buckets, limit))).await
}

/// Saves the verification report through the native save dialog. `None` when the user closed
/// the dialog.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    state: State<'_, AppState>,
    generation: u32,
    format: ReportFormat,
) -> Result<Option<Saved>, AppError> {
    let case = current(&state, generation)?;
    let (ext, label) = match format {
        ReportFormat::Html => ("html", "HTML report"),
        ReportFormat::Pdf => ("pdf", "PDF report"),
        ReportFormat::Json => ("json", "JSON report"),
    };
    let Some(path) = dialogs::save_path(&app, &format!("trailproof-report.{ext}"), label, ext)
    else {
        return Ok(None);
    };
    work::refuse_evidence(&path, &case, state.case_file_path())?;
    // With a case file open, the report carries the case (its evidence re-hashed now) and
    // writing it is logged in the examiner log.
    let case_file = state.case_file_handover()?;
    let logged = case_file.is_some();
    let saved =
        blocking(move || work::save(&path, &work::case_report_bytes(&case, format, case_file)?))
            .await?;
    if logged {
        state.with_case_file(|w| w.log_export(&saved, ext))?;
    }
    Ok(Some(saved))
}

/// Saves a checkpoint of the chain heads this case verified (as `verify --checkpoint-out`),
/// through the native save dialog: opened later beside newer evidence, it anchors the chains as
/// they were seen now. Logged in the case file when one is open.
#[tauri::command]
pub async fn save_checkpoint(
    app: AppHandle,
    state: State<'_, AppState>,
    generation: u32,
) -> Result<Option<Saved>, AppError> {
    let case = current(&state, generation)?;
    let Some(path) = dialogs::save_path(
        &app,
        "trailproof-checkpoint.json",
        "Trailproof checkpoint",
        "json",
    ) else {
        return Ok(None);
    };
    work::refuse_evidence(&path, &case, state.case_file_path())?;
    let saved = blocking(move || work::save(&path, &work::checkpoint_bytes(&case))).await?;
    if state.case_file_path().is_some() {
        state.with_case_file(|w| w.log_export(&saved, "checkpoint"))?;
    }
    Ok(Some(saved))
}

/// Adds the files the user picks (more evidence, or a checkpoint of an earlier check) to the
/// open case's files and verifies them all together as the new case. `None` when the dialog was
/// closed.
#[tauri::command]
pub async fn add_evidence(
    app: AppHandle,
    state: State<'_, AppState>,
    generation: u32,
    on_progress: Channel<ProgressEvent>,
) -> Result<Option<CaseView>, AppError> {
    let case = current(&state, generation)?;
    let Some(picked) = dialogs::pick_files(
        &app,
        "Add evidence or a checkpoint",
        "Evidence and checkpoints",
        EVIDENCE,
    ) else {
        return Ok(None);
    };
    let mut paths = case.paths.clone();
    for p in picked {
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    run_case(app, &state, paths, None, on_progress)
        .await
        .map(Some)
}

/// Runs the self-test of this build (Help → Self-test).
#[tauri::command]
pub async fn selftest() -> Result<SelfTestRun, AppError> {
    blocking(|| Ok(work::selftest())).await
}

/// Saves the timeline through the native save dialog.
#[tauri::command]
pub async fn export_timeline(
    app: AppHandle,
    state: State<'_, AppState>,
    generation: u32,
    format: TimelineFormat,
) -> Result<Option<Saved>, AppError> {
    let case = current(&state, generation)?;
    let (name, label, ext) = match format {
        TimelineFormat::Timesketch => ("timeline-timesketch.jsonl", "Timesketch JSONL", "jsonl"),
        TimelineFormat::Csv => ("timeline.csv", "CSV", "csv"),
        TimelineFormat::Jsonl => ("timeline.jsonl", "JSON Lines", "jsonl"),
        TimelineFormat::Json => ("timeline.json", "JSON", "json"),
    };
    let Some(path) = dialogs::save_path(&app, name, label, ext) else {
        return Ok(None);
    };
    work::refuse_evidence(&path, &case, state.case_file_path())?;
    // With a case file open, the timeline carries its annotations and analyst events, and
    // writing it is logged in the examiner log.
    let case_file = state.case_file_handover()?;
    let logged = case_file.is_some();
    let saved = blocking(move || match &case_file {
        Some(h) => work::save_case_timeline(&path, &case, format, h),
        None => work::save_timeline(&path, &case, format),
    })
    .await?;
    if logged {
        let format_name = match format {
            TimelineFormat::Timesketch => "timesketch",
            TimelineFormat::Csv => "csv",
            TimelineFormat::Jsonl => "jsonl",
            TimelineFormat::Json => "json",
        };
        state.with_case_file(|w| w.log_export(&saved, format_name))?;
    }
    Ok(Some(saved))
}
