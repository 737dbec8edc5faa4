//! The native file dialogs, the only way a path to write reaches the backend: the save dialog
//! for reports, exports and new case files, the open dialog for evidence and case files.
//!
//! Test seam: when the environment variable `TRAILPROOF_TEST_DIALOG_DIR` names a folder (the
//! end-to-end tests set it for the app they start, since WebDriver cannot drive a native
//! dialog), a save dialog answers `DIR/<suggested name>` and an open dialog answers the paths
//! listed one per line in `DIR/pick.txt` (then removed), or nothing when there is none. The UI
//! cannot set it.

use std::path::PathBuf;

use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

fn test_dir() -> Option<PathBuf> {
    std::env::var_os("TRAILPROOF_TEST_DIALOG_DIR").map(PathBuf::from)
}

/// Where to save `name` (filter `label`, extension `ext`), as the user chose; `None` when the
/// dialog was closed.
pub fn save_path(app: &AppHandle, name: &str, label: &str, ext: &str) -> Option<PathBuf> {
    if let Some(dir) = test_dir() {
        return Some(dir.join(name));
    }
    app.dialog()
        .file()
        .set_file_name(name)
        .add_filter(label, &[ext])
        .blocking_save_file()
        .and_then(|f| f.into_path().ok())
}

/// The files the user picked (filter `label` with `exts`, and all files); `None` when the dialog
/// was closed.
pub fn pick_files(
    app: &AppHandle,
    title: &str,
    label: &str,
    exts: &[&str],
) -> Option<Vec<PathBuf>> {
    if let Some(dir) = test_dir() {
        let list = dir.join("pick.txt");
        let text = std::fs::read_to_string(&list).ok()?;
        let _ = std::fs::remove_file(&list);
        let picked: Vec<PathBuf> = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect();
        return (!picked.is_empty()).then_some(picked);
    }
    let files = app
        .dialog()
        .file()
        .set_title(title)
        .add_filter(label, exts)
        .add_filter("All files", &["*"])
        .blocking_pick_files()?;
    Some(
        files
            .into_iter()
            .filter_map(|f| f.into_path().ok())
            .collect(),
    )
}
