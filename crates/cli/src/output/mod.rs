//! Everything `trailproof` writes for its reader: the report on stdout (the JSON report, or the
//! human summary, [`human`]), the report file of `--report` (HTML or PDF, chosen by the
//! extension of its name, `.html` or `.pdf` in any case; any other name is a usage error, caught
//! before any input is read), the timeline (to a file or to stdout), the command line a report
//! names, and progress on stderr ([`progress`]).
//!
//! Invariants: every report, in every format, is rendered by `trailproof_report::render`, so
//! the command and the desktop app write the same bytes; a file is written whole and then
//! reported, and the SHA-256 printed is computed over the very bytes written; evidence text
//! reaches a terminal only through the human summary's filter of control characters; nothing
//! here reads the clock or the locale.

mod human;
mod offload;
mod progress;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use trailproof_core::assurance::Assurance;
use trailproof_core::checkpoint::Checkpoint;
use trailproof_core::report::{Report, Verdict};
use trailproof_core::timeline::model::Timeline;
use trailproof_core::timeline::output as timeline;
use trailproof_core::timeline::stream::Stream;
use trailproof_report::{render, Format, TimelineExcerpt};

use offload::Offload;
pub use progress::{live_progress, Bar};

/// The command line as run, for the report.
pub fn argv() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The report format `path`'s extension names, if the command writes it to a file.
fn report_file_format(path: &Path) -> Option<Format> {
    Format::from_path(path).filter(|f| matches!(f, Format::Html | Format::Pdf))
}

/// Parses `--report`'s value (clap value parser): the extension must name a format.
pub fn parse_report_path(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match report_file_format(&p) {
        Some(_) => Ok(p),
        None => Err("the report file must end in .html or .pdf".to_string()),
    }
}

/// Refuses an output path (given as `what`) that is one of `evidence`
/// ([`trailproof_engine::outputs::refuse_evidence`]).
pub fn refuse_evidence(what: &str, output: &Path, evidence: &[PathBuf]) -> anyhow::Result<()> {
    trailproof_engine::outputs::refuse_evidence(output, evidence)
        .map_err(|e| anyhow::anyhow!("{what} {e}"))
}

/// Writes the report, with the flagged events and gaps of `tl`, to `path` in the format its
/// extension names, and prints its SHA-256 on stderr.
pub fn write_report_file(
    path: &Path,
    report: &Report,
    tl: &Timeline,
    argv: &[String],
) -> anyhow::Result<()> {
    let Some(format) = report_file_format(path) else {
        bail!(
            "cannot tell the format of the report {}: use .html or .pdf",
            path.display()
        );
    };
    let bytes = render(format, report, Some(&TimelineExcerpt::of(tl)), argv)
        .with_context(|| format!("cannot make the {} report", format.name()))?;
    std::fs::write(path, &bytes)
        .with_context(|| format!("cannot write the report {}", path.display()))?;
    let digest = trailproof_core::record::hex(&trailproof_core::record::sha256(&bytes));
    eprintln!("report written: {} sha256 {digest}", path.display());
    Ok(())
}

/// Writes the checkpoint of `report` (see `trailproof_core::checkpoint`) to `path` and prints
/// its SHA-256 on stderr.
pub fn write_checkpoint(path: &Path, report: &Report) -> anyhow::Result<()> {
    let text = Checkpoint::of_report(report).to_json();
    std::fs::write(path, text.as_bytes())
        .with_context(|| format!("cannot write the checkpoint {}", path.display()))?;
    let digest = trailproof_core::record::hex(&trailproof_core::record::sha256(text.as_bytes()));
    eprintln!("checkpoint written: {} sha256 {digest}", path.display());
    Ok(())
}

/// How a report is read: the options `verify` and `live` share.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Reading {
    /// List every finding in the human summary, not only the root of each incident and the
    /// findings that belong to none.
    #[arg(long)]
    pub all_findings: bool,
    /// Exit 2 (inconclusive) unless every chain of every input is anchored up to its head by
    /// an independent commitment (an export, a checkpoint, the live service, another source),
    /// for scripted audits; a tampered verdict still exits 1.
    #[arg(long)]
    pub require_anchor: bool,
}

/// Prints the report on stdout: exactly one JSON object, or the human summary.
pub fn print_report(report: &Report, json: bool, reading: &Reading) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        out.write_all(&render(Format::Json, report, None, &[])?)?;
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        human::write_report(&mut out, report, color, reading.all_findings)?;
    }
    out.flush()?;
    Ok(())
}

/// The exit code of a report: its verdict's (0 intact, 1 tampered, 2 inconclusive), except that
/// with `--require-anchor` a verdict that is not tampered exits 2 unless every chain is
/// anchored up to its head (saying why on stderr).
pub fn exit_code(report: &Report, reading: &Reading) -> u8 {
    let code = report.verdict.exit_code() as u8;
    if reading.require_anchor
        && report.verdict != Verdict::Tampered
        && report.assurance != Assurance::Anchored
    {
        eprintln!(
            "trailproof: --require-anchor: the evidence is {}, not anchored up to every chain head (exit 2)",
            report.assurance.as_str().replace('_', " ")
        );
        return 2;
    }
    code
}

/// Writes the timeline in `format` to `path`, or to stdout when there is none, as its events
/// come out of the (possibly on-disk) ordering; then its counts and verdict on stderr.
pub fn write_timeline(
    stream: &mut Stream,
    format: timeline::Format,
    path: Option<&Path>,
) -> anyhow::Result<()> {
    match path {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = Offload::new(f)?;
            timeline::write_stream_blocks(stream, format, &mut |b| w.hand(b))
                .and_then(|_| w.finish())
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        None => {
            let mut w = Offload::new(std::io::stdout())?;
            timeline::write_stream_blocks(stream, format, &mut |b| w.hand(b))
                .and_then(|_| w.finish())?;
        }
    }
    let s = stream.summary();
    eprintln!(
        "timeline: {} event(s), {} gap(s), {} flagged; verdict {}",
        s.events,
        s.gaps,
        stream.flagged(),
        s.verdict
    );
    Ok(())
}
