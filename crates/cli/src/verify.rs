//! `trailproof verify`: verifies evidence files as one case and prints the report (JSON or the
//! human summary); `--report OUT.html|OUT.pdf` also writes the report file, with the case's
//! timeline. Exit 0 intact, 1 tampered, 2 inconclusive or an input that cannot be read.

use std::io::IsTerminal;
use std::path::PathBuf;

use trailproof_core::timeline::model::TimelineOptions;
use trailproof_engine::Investigation;

use crate::output::{self, Bar};

/// The arguments of `trailproof verify`.
pub struct VerifyArgs {
    pub json: bool,
    pub no_progress: bool,
    /// Do not search SQLite files for earlier versions of records.
    pub no_recover: bool,
    /// Also write the report (HTML or PDF) here.
    pub report: Option<PathBuf>,
    /// Also write a checkpoint of the chain heads verified here.
    pub checkpoint_out: Option<PathBuf>,
    /// Checkpoints of earlier checks, read as anchors (like any checkpoint among the files).
    pub anchors: Vec<PathBuf>,
    pub reading: output::Reading,
    pub files: Vec<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(mut a: VerifyArgs) -> anyhow::Result<u8> {
    // Every --anchor must be a checkpoint: one named as such that is not is a usage error.
    for path in &a.anchors {
        let kind = trailproof_ingest::detect::sniff(path)?;
        if kind != trailproof_ingest::InputKind::Checkpoint {
            anyhow::bail!(
                "{}: --anchor takes a checkpoint written by `verify --checkpoint-out`, not {}",
                path.display(),
                kind.as_str()
            );
        }
    }
    a.files.splice(0..0, a.anchors.iter().cloned());
    let bar = Bar::new(!a.no_progress && std::io::stderr().is_terminal());
    let investigation = Investigation::new(&a.files)
        .progress(&bar)
        .recover(!a.no_recover);
    let report = match &a.report {
        Some(path) => {
            // The report file shows the timeline's flagged events and gaps.
            let outcome = investigation.timeline(&TimelineOptions::default())?;
            bar.clear();
            output::write_report_file(path, &outcome.report, &outcome.timeline, &output::argv())?;
            outcome.report
        }
        None => investigation.report()?.report,
    };
    bar.clear();
    if let Some(path) = &a.checkpoint_out {
        output::write_checkpoint(path, &report)?;
    }
    output::print_report(&report, a.json, &a.reading)?;
    Ok(output::exit_code(&report, &a.reading))
}
