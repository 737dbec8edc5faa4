//! `trailproof verify`: verifies evidence files as one case and prints the report (JSON or the
//! human summary); `--report OUT.html|OUT.pdf` also writes the report file, with the case's
//! timeline. Exit 0 intact, 1 tampered, 2 inconclusive or an input that cannot be read.

use std::io::IsTerminal;
use std::path::PathBuf;

use trailproof_core::timeline::model::TimelineOptions;
use trailproof_engine::Investigation;

use crate::output::{self, Bar};

/// The arguments of `trailproof verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Print exactly one JSON report object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Do not search SQLite files (and their -wal and -journal) for earlier and deleted
    /// versions of records.
    #[arg(long)]
    pub no_recover: bool,
    /// Also write the verification report to this file: a self-contained HTML page
    /// (`.html`) or a PDF (`.pdf`), by extension.
    #[arg(long, value_name = "OUT.html|OUT.pdf", value_parser = output::parse_report_path)]
    pub report: Option<PathBuf>,
    /// Also write a checkpoint: the chain head of every tenant verified (tenant, seq,
    /// hash), the inputs with their SHA-256, the tool and the verdict. Given back with
    /// --anchor (or as one of the files), its heads anchor later evidence.
    #[arg(long, value_name = "CP.json")]
    pub checkpoint_out: Option<PathBuf>,
    /// A checkpoint of an earlier check whose chain heads anchor these files: a record
    /// that differs at a head's seq is anchor_mismatch, a chain that ends before it
    /// chain_truncated.
    #[arg(long = "anchor", value_name = "CP.json")]
    pub anchors: Vec<PathBuf>,
    #[command(flatten)]
    pub reading: output::Reading,
    /// Evidence files; their kind is detected from their content.
    #[arg(required_unless_present = "anchors")]
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
    if let Some(out) = &a.report {
        output::refuse_evidence("--report", out, &a.files)?;
    }
    if let Some(out) = &a.checkpoint_out {
        output::refuse_evidence("--checkpoint-out", out, &a.files)?;
    }
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
