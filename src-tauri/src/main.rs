//! `trailproof-app [FILE...]`: the Trailproof desktop app; files given open as one case.

#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let paths: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| !a.starts_with("--"))
        .collect();
    trailproof_app::run(paths);
}
