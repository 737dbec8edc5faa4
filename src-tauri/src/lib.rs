//! Trailproof desktop app (Tauri 2): open evidence, see the verdict, browse records and the
//! timeline, run the live check, export the report. The window is a thin view: case state,
//! verification, queries and exports all live here in the backend, over the same crates as the
//! `trailproof` CLI.
//!
//! Invariants: evidence is opened read-only by the ingest crate; the app writes only the file a
//! user picks in a save dialog, and its own recent-cases list in its config folder; nothing
//! touches the network unless the user runs a live check.

#![forbid(unsafe_code)]

pub mod commands;
pub mod detail;
pub mod keystore;
pub mod recent;
pub mod session;
pub mod store;
pub mod types;
pub mod work;
pub mod workspace;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use keystore::{Keystore, MemoryToken};
use session::Loaded;
use types::{AppError, ErrorKind};
use workspace::Workspace;

/// The backend's state: the open case, the running task's cancel flag, the live check's token
/// in memory and the OS keyring.
pub struct AppState {
    case: Mutex<Option<Arc<Loaded>>>,
    /// The open case file, if any ([`workspace`]).
    case_file: Mutex<Option<Workspace>>,
    busy: Arc<AtomicBool>,
    pub cancel: Arc<AtomicBool>,
    generation: AtomicU32,
    /// The token last entered, for its service only: never logged or sent back to the UI, and
    /// written nowhere but the OS keyring, when the user asks ([`keystore`]).
    token: MemoryToken,
    keystore: Keystore,
    pub initial: Vec<String>,
}

/// Held while a long task runs; the next task may start once it is dropped.
pub struct Busy(Arc<AtomicBool>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    pub fn new(initial: Vec<String>) -> Self {
        AppState::with_keystore(initial, Keystore::os())
    }

    /// State whose tokens are remembered in `keystore` instead of the OS keyring (tests).
    pub fn with_keystore(initial: Vec<String>, keystore: Keystore) -> Self {
        AppState {
            case: Mutex::new(None),
            case_file: Mutex::new(None),
            busy: Arc::new(AtomicBool::new(false)),
            cancel: Arc::new(AtomicBool::new(false)),
            generation: AtomicU32::new(0),
            token: MemoryToken::default(),
            keystore,
            initial,
        }
    }

    pub fn case(&self) -> Result<Arc<Loaded>, AppError> {
        lock(&self.case)
            .clone()
            .ok_or_else(|| AppError::new(ErrorKind::NoCase, "no case is open"))
    }

    pub fn set_case(&self, c: Loaded) {
        *lock(&self.case) = Some(Arc::new(c));
    }

    /// Opens (`Some`) or closes (`None`) the case file.
    pub fn set_case_file(&self, w: Option<Workspace>) {
        *lock(&self.case_file) = w;
    }

    /// Runs `f` on the open case file (an error when none is open).
    pub fn with_case_file<T>(
        &self,
        f: impl FnOnce(&mut Workspace) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        match lock(&self.case_file).as_mut() {
            Some(w) => f(w),
            None => Err(AppError::new(ErrorKind::NoCase, "no case file is open")),
        }
    }

    /// Applies one change to the open case file; gives the case as it is after it.
    pub fn change_case_file(
        &self,
        change: impl FnOnce(&mut Workspace) -> Result<(), AppError>,
    ) -> Result<crate::types::CaseFileView, AppError> {
        self.with_case_file(|w| {
            change(w)?;
            w.view()
        })
    }

    /// The open case file's path.
    pub fn case_file_path(&self) -> Option<String> {
        lock(&self.case_file)
            .as_ref()
            .map(|w| w.path().to_string_lossy().into_owned())
    }

    /// The open case file for a report (its evidence re-hashed now), or `None`.
    pub fn case_file_handover(
        &self,
    ) -> Result<Option<trailproof_core::handover::CaseHandover>, AppError> {
        lock(&self.case_file)
            .as_ref()
            .map(|w| w.handover())
            .transpose()
    }

    /// Starts a long task: refused while another runs; clears the cancel flag.
    pub fn begin(&self) -> Result<Busy, AppError> {
        if self
            .busy
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(AppError::new(
                ErrorKind::Busy,
                "another task is running: wait for it or cancel it",
            ));
        }
        self.cancel.store(false, Ordering::Relaxed);
        Ok(Busy(self.busy.clone()))
    }

    pub fn next_generation(&self) -> u32 {
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Forgets the token held in memory.
    pub fn clear_token(&self) {
        self.token.clear();
    }
}

/// Starts the app; `paths` (from the command line) open as one case.
pub fn run(paths: Vec<String>) {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::new(paths))
        .invoke_handler(tauri::generate_handler![
            commands::initial_paths,
            commands::current_case,
            commands::open_case,
            commands::choose_and_open,
            commands::run_live,
            commands::forget_token,
            commands::token_status,
            commands::forget_stored_token,
            commands::cancel_work,
            commands::recent_cases,
            commands::query_records,
            commands::record_detail,
            commands::locate,
            commands::time_bounds,
            commands::density,
            commands::export_report,
            commands::export_timeline,
            commands::case_file::case_file,
            commands::case_file::new_case_file,
            commands::case_file::open_case_file,
            commands::case_file::close_case_file,
            commands::case_file::add_case_evidence,
            commands::case_file::annotate_record,
            commands::case_file::add_analyst_event,
            commands::case_file::withdraw_analyst_event,
            commands::case_file::save_view,
            commands::case_file::examiner_log,
            commands::count_through,
            commands::save_checkpoint,
            commands::add_evidence,
            commands::selftest,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("trailproof-app: cannot start: {e}");
            std::process::exit(2);
        });
}
