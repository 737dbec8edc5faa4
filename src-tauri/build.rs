//! Generates the app's permissions: one `allow-<command>` per IPC command, so the capability
//! file can grant exactly the commands the UI uses.

const COMMANDS: &[&str] = &[
    "initial_paths",
    "current_case",
    "open_case",
    "choose_and_open",
    "run_live",
    "forget_token",
    "token_status",
    "forget_stored_token",
    "cancel_work",
    "recent_cases",
    "query_records",
    "record_detail",
    "locate",
    "time_bounds",
    "density",
    "export_report",
    "export_timeline",
    "case_file",
    "new_case_file",
    "open_case_file",
    "close_case_file",
    "add_case_evidence",
    "annotate_record",
    "add_analyst_event",
    "withdraw_analyst_event",
    "save_view",
    "examiner_log",
    "count_through",
    "save_checkpoint",
    "add_evidence",
    "selftest",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
