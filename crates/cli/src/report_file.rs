//! The report file of `trailproof verify --report OUT`: HTML or PDF, chosen by the extension of
//! OUT (`.html` or `.pdf`, any case); any other name is a usage error, caught before any input
//! is read.
//!
//! Invariant: the SHA-256 printed is computed over the very bytes written.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use trailproof_core::case::Report;
use trailproof_core::timeline::Timeline;
use trailproof_report::{render, Format, TimelineExcerpt};

/// The report format `path`'s extension names, if the command writes it to a file.
fn format_of(path: &Path) -> Option<Format> {
    Format::from_path(path).filter(|f| matches!(f, Format::Html | Format::Pdf))
}

/// Parses `--report`'s value (clap value parser): the extension must name a format.
pub fn parse_out(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match format_of(&p) {
        Some(_) => Ok(p),
        None => Err("the report file must end in .html or .pdf".to_string()),
    }
}

/// Writes the report to `path` in the format its extension names and prints its SHA-256 on
/// stderr.
pub fn write(path: &Path, report: &Report, tl: &Timeline, argv: &[String]) -> anyhow::Result<()> {
    let Some(format) = format_of(path) else {
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
