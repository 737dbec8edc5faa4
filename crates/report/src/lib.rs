//! `trailproof-report`: the verification report of a Trailproof case in every format it is
//! written in, through one entry point, [`render`]:
//! * [`Format::Html`]: one self-contained HTML page (`html`);
//! * [`Format::Pdf`]: a PDF an auditor can print, sign and file, with the same content as the
//!   HTML page (`pdf`);
//! * [`Format::Json`]: the report object itself, exactly as `trailproof verify --json` prints it
//!   (pretty-printed, one trailing newline).
//!
//! Shared by the HTML and the PDF report: the command line a report names (`command_line`) and
//! what a report shows of a timeline ([`TimelineExcerpt`]: its summary, at most
//! [`TIMELINE_ROWS`] notable entries listed, every one counted).
//!
//! Invariants kept by every format: text from evidence or the command line is shown, never
//! interpreted (escaped in HTML, drawn as glyphs in the PDF); the output is deterministic, a
//! function of the report, the timeline excerpt and the command line given, and for the PDF of
//! its document date (PDF/A requires one: [`document_time`], which `SOURCE_DATE_EPOCH` fixes),
//! never of the locale, the time zone or a hash-map order; the file is self-contained and
//! renders the same offline.
#![forbid(unsafe_code)]

mod case_section;
mod command_line;
mod html;
mod incident_rows;
mod pdf;
mod recovered_rows;
mod timeline_excerpt;

use std::path::Path;

use trailproof_core::report::Report;

pub use pdf::{FINDING_ROWS, MAX_VALUE_CHARS, TIMELINE_VALUE_CHARS};
pub use timeline_excerpt::{is_notable, TimelineExcerpt, TIMELINE_ROWS};

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML page.
    Html,
    /// A PDF on A4 pages.
    Pdf,
    /// The report object as pretty-printed JSON.
    Json,
}

impl Format {
    /// The format a file's extension names (`.html`, `.pdf` or `.json`, in any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The format's name in messages: `HTML`, `PDF` or `JSON`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "HTML",
            Format::Pdf => "PDF",
            Format::Json => "JSON",
        }
    }
}

/// The date a PDF report is given: `SOURCE_DATE_EPOCH` (seconds since the Unix epoch, the
/// reproducible-builds convention) when it is set, so that a report can be written again byte
/// for byte, else the moment of the call.
pub fn document_time() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A compiled-in font could not be read (a broken build).
    #[error("cannot load the embedded font {0}")]
    Font(&'static str),
    /// A page or shape had an impossible geometry.
    #[error("cannot lay out the report: {0}")]
    Geometry(&'static str),
    /// krilla refused to write the document.
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
    /// The report could not be serialized as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Renders `report` in `format`. `timeline`, when given, adds its flagged events and gaps to
/// the HTML and the PDF report (the JSON report is the report object alone); `argv` is the
/// exact command line (program name first), which the HTML and the PDF report name. The PDF
/// (PDF/A-3b, which requires a document date) is dated [`document_time`].
pub fn render(
    format: Format,
    report: &Report,
    timeline: Option<&TimelineExcerpt>,
    argv: &[String],
) -> Result<Vec<u8>, Error> {
    render_at(format, report, timeline, argv, document_time())
}

/// [`render`] with the PDF's document date given: `created` seconds since the Unix epoch, UTC
/// (the HTML and the JSON report carry no date).
pub fn render_at(
    format: Format,
    report: &Report,
    timeline: Option<&TimelineExcerpt>,
    argv: &[String],
    created: i64,
) -> Result<Vec<u8>, Error> {
    match format {
        Format::Html => Ok(html::render(report, timeline, argv).into_bytes()),
        Format::Pdf => pdf::write(report, timeline, argv, created),
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(report)?;
            bytes.push(b'\n');
            Ok(bytes)
        }
    }
}
