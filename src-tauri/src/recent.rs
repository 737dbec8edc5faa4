//! Recent cases: the path sets opened before, newest first, kept in the app's own config folder
//! (never beside the evidence). Nothing read from the evidence is stored, only the paths and the
//! verdict.

use std::path::{Path, PathBuf};

use crate::types::RecentCase;

/// Cases remembered.
const KEEP: usize = 12;

/// The recent cases stored in `file` (none when it is missing or unreadable).
pub fn load(file: &Path) -> Vec<RecentCase> {
    std::fs::read(file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Puts `case` first in the list stored in `file`.
pub fn remember(file: &Path, case: RecentCase) -> std::io::Result<Vec<RecentCase>> {
    let mut list = load(file);
    list.retain(|c| c.paths != case.paths);
    list.insert(0, case);
    list.truncate(KEEP);
    if let Some(d) = file.parent() {
        std::fs::create_dir_all(d)?;
    }
    let bytes = serde_json::to_vec_pretty(&list).map_err(std::io::Error::other)?;
    crate::work::save(file, &bytes).map_err(|e| std::io::Error::other(e.message))?;
    Ok(list)
}

/// Where the list lives inside the app's config folder.
pub fn file_in(config_dir: PathBuf) -> PathBuf {
    config_dir.join("recent-cases.json")
}
