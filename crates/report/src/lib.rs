//! `trailproof-report`: the verification report of a Trailproof case in every format it is
//! written in: one self-contained HTML page ([`html`]) and a PDF an auditor can print, sign and
//! file ([`pdf`]), with the same content.
//!
//! Shared by the formats: the command line a report names (`command_line`) and what a report
//! shows of a timeline (`timeline_excerpt`: at most [`TIMELINE_ROWS`] notable entries, the rest
//! counted).
//!
//! Invariants kept by every format: text from evidence or the command line is shown, never
//! interpreted (escaped in HTML, drawn as glyphs in the PDF); the output is deterministic, a
//! function of the report, the timeline and the command line given (no clock, locale, time
//! zone or hash-map order); the file is self-contained and renders the same offline.
#![forbid(unsafe_code)]

mod command_line;
pub mod html;
mod pdf;
mod timeline_excerpt;

pub use pdf::{write as pdf, FINDING_ROWS, MAX_VALUE_CHARS, TIMELINE_VALUE_CHARS};
pub use timeline_excerpt::TIMELINE_ROWS;

/// Why a PDF report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A compiled-in font could not be read (a broken build).
    #[error("cannot load the embedded font {0}")]
    Font(&'static str),
    /// A page or shape had an impossible geometry.
    #[error("cannot lay out the report: {0}")]
    Geometry(&'static str),
    /// krilla refused to write the document.
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
}
