//! `trailproof live`: verifies a verification URL against the service's live records, after
//! verifying any `--evidence` files, and reports exactly like `trailproof verify` (same JSON,
//! same exit codes: 0 intact, including growth appended after an export; 1 tampered; 2 could not
//! verify). `--report OUT.html|OUT.pdf` also writes the report (HTML or PDF, by extension), with
//! the timeline of the evidence and the live records. How the service is reached (and where the
//! token comes from) is [`crate::connect`].

use std::path::PathBuf;

use trailproof_core::timeline::model::TimelineOptions;
use trailproof_engine::{Investigation, LiveRequest};

use crate::connect::Connect;
use crate::output;

/// The arguments of `trailproof live`.
#[derive(clap::Args)]
pub struct LiveArgs {
    /// Print exactly one JSON report object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Evidence files (export PDFs, export JSON, dumps) to reconcile with the live records.
    #[arg(long, value_name = "FILE")]
    pub evidence: Vec<PathBuf>,
    #[command(flatten)]
    pub connect: Connect,
    /// Also write the report, with the timeline of the evidence and the live records, to
    /// this file: a self-contained HTML page (`.html`) or a PDF (`.pdf`), by extension.
    #[arg(long, value_name = "OUT.html|OUT.pdf", value_parser = output::parse_report_path)]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub reading: output::Reading,
    /// The verification URL (`<origin>/audit/verify?tenant_id=..&hash=..`).
    pub url: String,
}

/// Runs the command; returns the exit code.
pub fn run(a: LiveArgs) -> anyhow::Result<u8> {
    let (opts, show) = a.connect.options()?;
    let req = LiveRequest {
        url: a.url.clone(),
        options: opts,
    };
    if let Some(out) = &a.report {
        output::refuse_evidence("--report", out, &a.evidence)?;
    }
    let investigation = Investigation::new(&a.evidence).live(Some(&req));
    let report = match &a.report {
        Some(path) => {
            let res = investigation.timeline(&TimelineOptions::default());
            if show {
                eprintln!();
            }
            let outcome = res?;
            output::write_report_file(path, &outcome.report, &outcome.timeline, &output::argv())?;
            outcome.report
        }
        None => {
            let res = investigation.report();
            if show {
                eprintln!();
            }
            res?.report
        }
    };
    output::print_report(&report, a.json, &a.reading)?;
    Ok(output::exit_code(&report, &a.reading))
}
