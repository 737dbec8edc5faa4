//! `trailproof-app [FILE...]`: the Trailproof desktop app; files given open as one case.

#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The case is read on worker threads whose freed buffers glibc kept in per-thread arenas: after
/// opening a 100k-record export PDF the backend held 197 MiB and reading a record's detail
/// peaked at 312; with mimalloc, which returns freed memory, 77 and 236 (examples/scale).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let paths: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| !a.starts_with("--"))
        .collect();
    trailproof_app::run(paths);
}
