//! `trailproof verify`: verifies evidence files as one case and prints the report (JSON or the
//! human summary); `--report OUT.html|OUT.pdf` also writes the report file, with the case's
//! timeline. Exit 0 intact, 1 tampered, 2 inconclusive or an input that cannot be read.

use std::io::IsTerminal;
use std::path::PathBuf;

use trailproof_core::timeline::model::TimelineOptions;
use trailproof_ingest::events::verify_with_timeline;
use trailproof_ingest::run::{verify_files, RunOptions};

use crate::output::{self, Bar};

/// The arguments of `trailproof verify`.
pub struct VerifyArgs {
    pub json: bool,
    pub no_progress: bool,
    /// Do not search SQLite files for earlier versions of records.
    pub no_recover: bool,
    /// Also write the report (HTML or PDF) here.
    pub report: Option<PathBuf>,
    pub files: Vec<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(a: VerifyArgs) -> anyhow::Result<u8> {
    let bar = Bar::new(!a.no_progress && std::io::stderr().is_terminal());
    let opts = RunOptions {
        progress: &bar,
        cancel: None,
        recover: !a.no_recover,
    };
    let report = match &a.report {
        Some(path) => {
            // The report file shows the timeline's flagged events and gaps.
            let (report, tl) = verify_with_timeline(&a.files, &opts, &TimelineOptions::default())?;
            bar.clear();
            output::write_report_file(path, &report, &tl, &output::argv())?;
            report
        }
        None => verify_files(&a.files, &opts)?,
    };
    bar.clear();
    output::print_report(&report, a.json)?;
    Ok(report.verdict.exit_code() as u8)
}
