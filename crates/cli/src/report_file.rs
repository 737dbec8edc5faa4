//! The report file of `trailproof verify --report OUT`: HTML or PDF, chosen by the extension of
//! OUT (`.html` or `.pdf`, any case); any other name is a usage error, caught before any input
//! is read.
//!
//! Invariant: the SHA-256 printed is computed over the very bytes written.

use std::path::{Path, PathBuf};

use anyhow::Context;
use trailproof_core::report::Report;
use trailproof_core::timeline::model::Timeline;

/// Formats of the report file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Pdf,
}

/// The format named by a file's extension.
pub fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "html" => Some(Format::Html),
        "pdf" => Some(Format::Pdf),
        _ => None,
    }
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
    match format_of(path) {
        Some(Format::Html) => crate::timeline::write_report(path, report, tl, argv),
        Some(Format::Pdf) => {
            let bytes = trailproof_report::pdf(report, Some(tl), argv)
                .context("cannot make the PDF report")?;
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write the report {}", path.display()))?;
            let digest = trailproof_core::record::hex(&trailproof_core::record::sha256(&bytes));
            eprintln!("report written: {} sha256 {digest}", path.display());
            Ok(())
        }
        None => anyhow::bail!(
            "cannot tell the format of the report {}: use .html or .pdf",
            path.display()
        ),
    }
}
