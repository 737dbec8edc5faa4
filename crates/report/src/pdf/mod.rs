//! The PDF report: the same content as the HTML report ([`crate::html`]), on A4 pages an auditor
//! can print, sign and file.
//!
//! Content, in order: the verdict, large, with its one-sentence reason; the tool, its version
//! and the exact command; every input with kind, size, records read and SHA-256; each tenant's
//! chain per input; what anchors each chain (and the seqs nothing independent confirms); the
//! incidents, root cause first; the recovered records with their proof; every check (passed, failed or not possible; failed first); the
//! findings grouped by tenant, each with its code, level, the records (seq) it concerns, the
//! inputs and place, the message, stated vs recomputed values, and for diverged records a side-by-side
//! table of the differing fields; the timeline's flagged events and gaps (when a timeline is
//! given); and the verdict rule. Every page carries the verdict and "page N of M"; the document
//! outline lists the sections.
//!
//! Here: the styles, table cells and headings the sections are built from, and [`write`]; the
//! sections of the case are in [`sections`], the timeline's in [`timeline`]; [`layout`] places
//! rows on pages (each run of text with its place in the logical structure), [`text`] shapes and
//! wraps text, [`draw`] turns the pages into the document and [`tags`] builds its tag tree.
//!
//! Invariants:
//! * text from evidence or the command line is drawn as glyphs, never interpreted: there is no
//!   markup, no link, no script, no form in the document; control characters, invisible and
//!   bidirectional formatting characters, and characters the fonts cannot draw are shown as
//!   their code point (`<U+202E>`), so nothing is hidden or reordered (see [`text`]);
//! * long values wrap (at spaces, else after punctuation, else anywhere), tables repeat their
//!   column header on every page they span, and rows taller than a page are split; a single
//!   value is cut after [`MAX_VALUE_CHARS`] characters ([`TIMELINE_VALUE_CHARS`] in the timeline
//!   table), and at most [`FINDING_ROWS`] findings and [`TIMELINE_ROWS`](crate::TIMELINE_ROWS) timeline entries are
//!   drawn, each cut saying how much was left out (the JSON report and `trailproof timeline`
//!   hold everything);
//! * deterministic: the bytes are a function of the report, the timeline and the command line
//!   given and of its document date (`created`, which PDF/A requires; [`crate::document_time`]
//!   gives `SOURCE_DATE_EPOCH` or the clock), and its `/ID` is a hash of its own content
//!   (krilla); no locale, time zone, thread count or hash-map order is read;
//! * PDF/A-3a: krilla's validator checks the document as it is written (fonts embedded, every
//!   glyph mapped to Unicode, XMP metadata with the date, a tag tree: see [`tags`]), and a
//!   report it refuses is an error;
//! * the fonts (DejaVu Sans and DejaVu Sans Mono, shared with the reference service, in
//!   `assets/fonts`) are compiled in and embedded as subsets: the file renders the same anywhere.

mod case;
mod draw;
mod layout;
mod sections;
mod tags;
mod text;
mod timeline;

use trailproof_core::finding::{Finding, Level, Status};
use trailproof_core::report::{Report, Verdict};

use crate::{Error, TimelineExcerpt};
use layout::{Cell, Layout, Role, Row, PAD_X, WIDTH};
use text::{clip, span, Face, Rgb, Shaper, Span, Style};

/// Findings drawn at most; the rest are counted, not shown.
pub const FINDING_ROWS: usize = 1000;

/// Characters of one value drawn at most.
pub const MAX_VALUE_CHARS: usize = 2000;

/// Characters of one value drawn at most in a cell of the timeline table (a summary: the
/// timeline itself holds every value whole).
pub const TIMELINE_VALUE_CHARS: usize = 120;

const MUTED: Rgb = Rgb(87, 96, 106);
const OK: Rgb = Rgb(26, 127, 55);
const BAD: Rgb = Rgb(180, 35, 24);
const WARN: Rgb = Rgb(154, 103, 0);
const OK_BG: Rgb = Rgb(218, 251, 225);
const BAD_BG: Rgb = Rgb(255, 235, 233);
const WARN_BG: Rgb = Rgb(255, 248, 197);
const HEAD_BG: Rgb = Rgb(246, 248, 250);
const FLAG: Rgb = Rgb(5, 80, 174);
const LINE: Rgb = Rgb(208, 215, 222);

const BODY: f32 = 8.5;
const TABLE: f32 = 7.0;
const HASH: f32 = 6.5;

fn sans(size: f32) -> Style {
    Style::new(Face::Sans, size)
}

fn mono(size: f32) -> Style {
    Style::new(Face::Mono, size)
}

/// An evidence value, cut to [`MAX_VALUE_CHARS`].
fn v(s: &str) -> String {
    clip(s, MAX_VALUE_CHARS)
}

fn status_label(s: Status) -> (&'static str, Rgb, Rgb) {
    match s {
        Status::Passed => ("passed", OK, OK_BG),
        Status::Failed => ("failed", BAD, BAD_BG),
        Status::NotPossible => ("not possible", WARN, WARN_BG),
    }
}

fn level_label(l: Level) -> (&'static str, Rgb) {
    match l {
        Level::Error => ("error", BAD),
        Level::Warning => ("warning", WARN),
        Level::Info => ("info", OK),
    }
}

fn verdict_colors(v: Verdict) -> (Rgb, Rgb) {
    match v {
        Verdict::Intact => (OK, OK_BG),
        Verdict::Tampered => (BAD, BAD_BG),
        Verdict::Inconclusive => (WARN, WARN_BG),
    }
}

fn seq_text(f: &Finding) -> Option<String> {
    match (f.seq, f.seq_end) {
        (Some(s), Some(e)) if e != s => Some(format!("seq {s}..{e}")),
        (Some(s), _) => Some(format!("seq {s}")),
        _ => None,
    }
}

/// A paragraph: spans that wrap together.
type Para = Vec<Span>;

fn para(text: impl Into<String>, style: Style) -> Para {
    vec![span(text, style)]
}

/// Content of one table cell: paragraphs and a background.
struct C {
    paras: Vec<Para>,
    fill: Option<Rgb>,
}

fn c(paras: Vec<Para>) -> C {
    C { paras, fill: None }
}

fn c1(text: impl Into<String>, style: Style) -> C {
    c(vec![para(text, style)])
}

impl C {
    fn fill(mut self, fill: Rgb) -> Self {
        self.fill = Some(fill);
        self
    }
}

struct Writer {
    sh: Shaper,
    lay: Layout,
}

impl Writer {
    fn cell(&self, x: f32, w: f32, content: C) -> Cell {
        let inner = (w - 2.0 * PAD_X).max(1.0);
        let lines = content
            .paras
            .iter()
            .flat_map(|p| self.sh.wrap(p, inner))
            .collect();
        Cell {
            x,
            w,
            lines,
            fill: content.fill,
        }
    }

    /// A row of cells of the given widths, left to right.
    fn row(&self, widths: &[f32], cells: Vec<C>, grid: bool) -> Row {
        let mut x = 0.0;
        let mut out = Vec::with_capacity(cells.len());
        for (w, content) in widths.iter().zip(cells) {
            out.push(self.cell(x, *w, content));
            x += w;
        }
        Row {
            cells: out,
            grid,
            frame: None,
            pad: 0.0,
            role: Role::Block,
        }
    }

    /// A full-width row of paragraphs.
    fn block(&self, paras: Vec<Para>) -> Row {
        self.row(&[WIDTH], vec![c(paras)], false)
    }

    fn header(&self, widths: &[f32], names: &[&str]) -> Row {
        let cells = names
            .iter()
            .map(|n| c1(*n, sans(TABLE).bold()).fill(HEAD_BG))
            .collect();
        self.row(widths, cells, true)
    }

    fn h2(&mut self, title: &str, outline: &str) {
        self.lay.gap(10.0);
        self.lay.need(70.0);
        self.lay.mark(outline.to_string(), 1);
        let mut r = self.block(vec![para(title, sans(12.5).bold())]);
        r.role = Role::Heading(2);
        self.lay.row(r);
        self.lay.rule(LINE, 0.8);
        self.lay.gap(4.0);
    }

    fn h3(&mut self, title: Para, outline: String) {
        self.lay.gap(6.0);
        self.lay.need(60.0);
        self.lay.mark(outline, 2);
        let mut r = self.block(vec![title]);
        r.role = Role::Heading(3);
        self.lay.row(r);
        self.lay.gap(2.0);
    }

    /// Key-value lines without borders.
    fn meta(&mut self, items: Vec<(&str, Para)>) {
        for (k, val) in items {
            let r = self.row(
                &[92.0, WIDTH - 92.0],
                vec![c1(k, sans(BODY).color(MUTED)), c(vec![val])],
                false,
            );
            self.lay.row(r);
        }
    }

    fn note(&mut self, text: impl Into<String>) {
        let r = self.block(vec![para(text, sans(BODY).color(MUTED))]);
        self.lay.row(r);
    }
}

fn o(x: Option<&str>) -> String {
    x.map(v).unwrap_or_default()
}

/// A value in a cell of the timeline table, cut to [`TIMELINE_VALUE_CHARS`].
fn tv(s: &str) -> String {
    clip(s, TIMELINE_VALUE_CHARS)
}

fn to(x: Option<&str>) -> String {
    x.map(tv).unwrap_or_default()
}

/// Renders the report as a PDF. `timeline`, when given, adds its flagged events and gaps;
/// `argv` is the exact command line (program name first).
pub(crate) fn write(
    report: &Report,
    timeline: Option<&TimelineExcerpt>,
    argv: &[String],
    created: i64,
) -> Result<Vec<u8>, Error> {
    let sh = Shaper::new().ok_or(Error::Font("DejaVu Sans / DejaVu Sans Mono"))?;
    let mut w = Writer {
        sh,
        lay: Layout::new(),
    };
    w.title_and_verdict(report);
    w.tool(report, argv);
    if let Some(case) = &report.case {
        w.case(case);
    }
    w.inputs(report);
    w.chains(report);
    w.anchors(report);
    w.incidents(report);
    w.recovered(report);
    w.checks(report);
    w.findings(report);
    if let Some(tl) = timeline {
        w.timeline(tl);
    }
    w.closing(report);
    let Writer { sh, lay } = w;
    draw::draw(report, &sh, lay, document_date(created))
}

/// `seconds` since the Unix epoch as the document's date, UTC (years 1970 to 9999).
fn document_date(seconds: i64) -> krilla::metadata::DateTime {
    let seconds = seconds.clamp(0, 253_402_300_799); // up to 9999-12-31T23:59:59Z
                                                     // "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"
    let t = trailproof_core::time::Instant {
        nanos: seconds.saturating_mul(1_000_000_000),
    }
    .canonical();
    let n = |range: std::ops::Range<usize>| t.get(range).and_then(|x| x.parse::<u16>().ok());
    krilla::metadata::DateTime::new(n(0..4).unwrap_or(1970))
        .month(n(5..7).unwrap_or(1) as u8)
        .day(n(8..10).unwrap_or(1) as u8)
        .hour(n(11..13).unwrap_or(0) as u8)
        .minute(n(14..16).unwrap_or(0) as u8)
        .second(n(17..19).unwrap_or(0) as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}
