//! The verification report of a Trailproof case as a PDF, for a case file: the same content as
//! the HTML report (`trailproof_core::html`), on A4 pages an auditor can print, sign and file.
//!
//! Content, in order: the verdict, large, with its one-sentence reason; the tool, its version
//! and the exact command; every input with kind, size, records read and SHA-256; each tenant's
//! chain per input; every check (passed, failed or not possible; failed first); the findings
//! grouped by tenant, each with its code, level, the records (seq) it concerns, the inputs and
//! place, the message, stated vs recomputed values, and for diverged records a side-by-side
//! table of the differing fields; the timeline's flagged events and gaps (when a timeline is
//! given); and the verdict rule. Every page carries the verdict and "page N of M"; the document
//! outline lists the sections.
//!
//! Invariants:
//! * text from evidence or the command line is drawn as glyphs, never interpreted: there is no
//!   markup, no link, no script, no form in the document; control characters, invisible and
//!   bidirectional formatting characters, and characters the fonts cannot draw are shown as
//!   their code point (`<U+202E>`), so nothing is hidden or reordered (see [`text`]);
//! * long values wrap (at spaces, else after punctuation, else anywhere), tables repeat their
//!   column header on every page they span, and rows taller than a page are split; a single
//!   value is cut after [`MAX_VALUE_CHARS`] characters ([`TIMELINE_VALUE_CHARS`] in the timeline
//!   table), and at most [`FINDING_ROWS`] findings and [`TIMELINE_ROWS`] timeline entries are
//!   drawn, each cut saying how much was left out (the JSON report and `trailproof timeline`
//!   hold everything);
//! * deterministic: the bytes are a function of the report, the timeline and the command line
//!   given. The document has no creation or modification date, and its `/ID` is a hash of its
//!   own content (krilla); no clock, locale, time zone, thread count or hash-map order is read;
//! * the fonts (DejaVu Sans and DejaVu Sans Mono, shared with the reference service, in
//!   `assets/fonts`) are compiled in and embedded as subsets: the file renders the same anywhere.
#![forbid(unsafe_code)]

mod layout;
mod text;

use std::collections::BTreeMap;

use krilla::color::rgb;
use krilla::configure::{ConfigurationBuilder, PdfVersion};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::Font;
use krilla::{Document, SerializeSettings};

use trailproof_core::finding::{Check, Code, Finding, Level, Status};
use trailproof_core::html::shell_quote;
use trailproof_core::report::{Report, Verdict};
use trailproof_core::timeline::model::{Event, Integrity, Kind, Timeline};

use layout::{Cell, Layout, Op, Row, BOTTOM, H, LEFT, PAD_X, TOP, W, WIDTH};
use text::{clip, span, Face, Rgb, Shaper, Span, Style};

pub use trailproof_core::html::TIMELINE_ROWS;

/// Findings drawn at most; the rest are counted, not shown.
pub const FINDING_ROWS: usize = 1000;

/// Characters of one value drawn at most.
pub const MAX_VALUE_CHARS: usize = 2000;

/// Characters of one value drawn at most in a cell of the timeline table (a summary: the
/// timeline itself holds every value whole).
pub const TIMELINE_VALUE_CHARS: usize = 120;

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
        let r = self.block(vec![para(title, sans(12.5).bold())]);
        self.lay.row(r);
        self.lay.rule(LINE, 0.8);
        self.lay.gap(4.0);
    }

    fn h3(&mut self, title: Para, outline: String) {
        self.lay.gap(6.0);
        self.lay.need(60.0);
        self.lay.mark(outline, 2);
        let r = self.block(vec![title]);
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

    fn title_and_verdict(&mut self, report: &Report) {
        self.lay.mark("Verdict".into(), 1);
        let r = self.block(vec![para(
            "Trailproof verification report",
            sans(17.0).bold(),
        )]);
        self.lay.row(r);
        self.lay.gap(6.0);
        let (fg, bg) = verdict_colors(report.verdict);
        // Laid out 8 points narrower than the frame, then indented by 4.
        let mut r = self.row(
            &[WIDTH - 8.0],
            vec![c(vec![
                para(
                    report.verdict.as_str().to_uppercase(),
                    sans(28.0).bold().color(fg),
                ),
                para(v(&report.summary), sans(10.0)),
            ])
            .fill(bg)],
            false,
        );
        r.frame = Some((fg, 1.5));
        r.pad = 5.0;
        r.cells[0].w = WIDTH;
        for l in &mut r.cells[0].lines {
            for run in &mut l.runs {
                run.x += 4.0;
            }
        }
        self.lay.row(r);
        self.lay.gap(8.0);
    }

    fn tool(&mut self, report: &Report, argv: &[String]) {
        let c = &report.counts;
        let command = argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        self.meta(vec![
            (
                "Tool",
                para(
                    format!("{} {}", v(&report.tool.name), v(&report.tool.version)),
                    sans(BODY),
                ),
            ),
            ("Report format", para(v(&report.format), sans(BODY))),
            ("Command", para(v(&command), mono(TABLE + 0.5))),
            ("Records read", para(c.records.to_string(), sans(BODY))),
            (
                "Findings",
                para(
                    format!(
                        "{} error(s), {} warning(s), {} info",
                        c.errors, c.warnings, c.info
                    ),
                    sans(BODY),
                ),
            ),
            (
                "Exit code",
                para(report.verdict.exit_code().to_string(), sans(BODY)),
            ),
        ]);
    }

    fn inputs(&mut self, report: &Report) {
        self.h2(&format!("Inputs ({})", report.inputs.len()), "Inputs");
        // The SHA-256 column fits a whole digest on one line.
        let hash_w = self.sh.width(&"0".repeat(64), mono(HASH)) + 2.0 * PAD_X + 1.0;
        // Kind, size (up to 13 digits on one line), records.
        let fixed = [46.0, 60.0, 42.0];
        let path_w = WIDTH - hash_w - fixed.iter().sum::<f32>();
        let widths = [path_w, fixed[0], fixed[1], fixed[2], hash_w];
        let header = self.header(
            &widths,
            &["Path", "Kind", "Size (bytes)", "Records", "SHA-256"],
        );
        let rows = report
            .inputs
            .iter()
            .map(|i| {
                self.row(
                    &widths,
                    vec![
                        c1(v(&i.path), sans(TABLE)),
                        c1(v(&i.kind), sans(TABLE)),
                        c1(i.size.to_string(), sans(TABLE)),
                        c1(i.records.to_string(), sans(TABLE)),
                        c1(v(&i.sha256), mono(HASH)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    fn chains(&mut self, report: &Report) {
        if report.tenants.is_empty() {
            return;
        }
        self.h2("Chains", "Chains");
        let widths = [122.0, 56.0, 38.0, 40.0, 124.0, WIDTH - 380.0];
        let header = self.header(
            &widths,
            &[
                "Input",
                "Tenant",
                "Records",
                "Seq",
                "First / last timestamp",
                "Head hash",
            ],
        );
        let rows = report
            .tenants
            .iter()
            .map(|t| {
                let s = &t.summary;
                self.row(
                    &widths,
                    vec![
                        c1(v(&t.input), sans(TABLE)),
                        c1(v(&s.tenant_id), sans(TABLE)),
                        c1(s.records.to_string(), sans(TABLE)),
                        c1(format!("{}..{}", s.first_seq, s.last_seq), sans(TABLE)),
                        c(vec![
                            para(o(s.first_timestamp.as_deref()), mono(HASH)),
                            para(o(s.last_timestamp.as_deref()), mono(HASH)),
                        ]),
                        c1(o(s.head_hash.as_deref()), mono(HASH)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    fn checks(&mut self, report: &Report) {
        let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
        self.h2(
            &format!(
                "Checks ({} passed, {} failed, {} not possible)",
                count(Status::Passed),
                count(Status::Failed),
                count(Status::NotPossible)
            ),
            "Checks",
        );
        if report.checks.is_empty() {
            self.note("No checks.");
            return;
        }
        let widths = [52.0, 78.0, 120.0, 60.0, WIDTH - 310.0];
        let header = self.header(&widths, &["Status", "Check", "Input", "Tenant", "Detail"]);
        // Failed first, then not possible, then passed; the report's order within each.
        let mut checks: Vec<&Check> = report.checks.iter().collect();
        checks.sort_by_key(|c| match c.status {
            Status::Failed => 0,
            Status::NotPossible => 1,
            Status::Passed => 2,
        });
        let rows = checks
            .into_iter()
            .map(|k| {
                let (label, fg, bg) = status_label(k.status);
                self.row(
                    &widths,
                    vec![
                        c1(label, sans(TABLE).bold().color(fg)).fill(bg),
                        c1(v(&k.check), mono(TABLE)),
                        c1(o(k.input.as_deref()), sans(TABLE)),
                        c1(o(k.tenant_id.as_deref()), sans(TABLE)),
                        c1(v(&k.detail), sans(TABLE)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    fn findings(&mut self, report: &Report) {
        let mut by_tenant: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
        for f in &report.findings {
            by_tenant.entry(f.tenant_id.as_deref()).or_default().push(f);
        }
        // Keep the section heading with the first tenant's heading and first finding.
        if let Some(first) = by_tenant.values().next().and_then(|fs| fs.first()) {
            let h: f32 = self.finding(first).iter().map(Row::height).sum();
            self.lay.need((h + 90.0).min(BOTTOM - TOP - 1.0));
        }
        self.h2(&format!("Findings ({})", report.findings.len()), "Findings");
        if report.findings.is_empty() {
            self.note("No findings.");
            return;
        }
        let mut drawn = 0;
        'tenants: for (tenant, fs) in &by_tenant {
            let (title, outline) = match tenant {
                Some(t) => (
                    vec![
                        span("Tenant ", sans(10.5).bold()),
                        span(v(t), sans(10.5).bold()),
                        span(
                            format!("  ({} finding(s))", fs.len()),
                            sans(BODY).color(MUTED),
                        ),
                    ],
                    format!("Tenant {}", clip(t, 60)),
                ),
                None => (
                    vec![span("Not tied to a tenant", sans(10.5).bold())],
                    "Not tied to a tenant".to_string(),
                ),
            };
            // Keep the heading with the tenant's first finding.
            if let Some(first) = fs.first() {
                let h: f32 = self.finding(first).iter().map(Row::height).sum();
                self.lay.need((h + 40.0).min(BOTTOM - TOP - 1.0));
            }
            self.h3(title, outline);
            for f in fs {
                if drawn == FINDING_ROWS {
                    break 'tenants;
                }
                drawn += 1;
                let rows = self.finding(f);
                self.lay.group(rows);
                self.lay.gap(5.0);
            }
        }
        if report.findings.len() > drawn {
            self.note(format!(
                "{} more finding(s) are not shown; the JSON report (trailproof verify --json) lists them all.",
                report.findings.len() - drawn
            ));
        }
    }

    /// The rows of one finding: its header line, message, values and field table.
    fn finding(&self, f: &Finding) -> Vec<Row> {
        let (lv, color) = level_label(f.level);
        let mut head = vec![
            span(lv.to_uppercase(), sans(BODY).bold().color(color)),
            span("   ", sans(BODY)),
            span(f.code.as_str(), mono(BODY + 0.5).bold()),
        ];
        if let Some(s) = seq_text(f) {
            head.push(span("   ", sans(BODY)));
            head.push(span(s, sans(BODY).bold()));
        }
        let mut place = Vec::new();
        if let Some(i) = &f.input {
            place.push(span("input ", sans(TABLE).color(MUTED)));
            place.push(span(v(i), sans(TABLE)));
        }
        if let Some(o) = &f.other_input {
            place.push(span(" vs ", sans(TABLE).color(MUTED)));
            place.push(span(v(o), sans(TABLE)));
        }
        if let Some(l) = &f.location {
            place.push(span("   at ", sans(TABLE).color(MUTED)));
            place.push(span(v(l), sans(TABLE)));
        }
        let mut paras = vec![head];
        if !place.is_empty() {
            paras.push(place);
        }
        let mut rows = vec![{
            let mut r = self.row(&[WIDTH], vec![c(paras).fill(HEAD_BG)], false);
            r.frame = Some((LINE, 0.5));
            r
        }];
        let mut msg = self.block(vec![para(v(&f.message), sans(BODY))]);
        msg.pad = 1.0;
        rows.push(msg);
        if f.expected.is_some() || f.computed.is_some() {
            let widths = [62.0, WIDTH - 62.0];
            for (k, val) in [("stated", &f.expected), ("recomputed", &f.computed)] {
                rows.push(self.row(
                    &widths,
                    vec![
                        c1(k, sans(TABLE).color(MUTED)),
                        c1(val.as_deref().map(v).unwrap_or_default(), mono(HASH + 0.5)),
                    ],
                    false,
                ));
            }
        }
        if !f.fields.is_empty() {
            let (left, right) = if f.code == Code::VisibleTextMismatch {
                (
                    format!(
                        "shown on the page of {}",
                        f.input.as_deref().map(v).unwrap_or_default()
                    ),
                    "embedded record".to_string(),
                )
            } else {
                (
                    f.input.as_deref().map(v).unwrap_or_else(|| "first".into()),
                    f.other_input
                        .as_deref()
                        .map(v)
                        .unwrap_or_else(|| "second".into()),
                )
            };
            let half = (WIDTH - 90.0) / 2.0;
            let widths = [90.0, half, half];
            rows.push(self.row(
                &widths,
                vec![
                    c1("Field", sans(TABLE).bold()).fill(HEAD_BG),
                    c1(left, sans(TABLE).bold()).fill(HEAD_BG),
                    c1(right, sans(TABLE).bold()).fill(HEAD_BG),
                ],
                true,
            ));
            for d in &f.fields {
                let val = |x: &Option<String>| match x {
                    Some(s) => para(v(s), mono(TABLE)),
                    None => para("(absent)", sans(TABLE).color(MUTED)),
                };
                rows.push(self.row(
                    &widths,
                    vec![
                        c1(v(&d.field), mono(TABLE)),
                        c(vec![val(&d.left)]).fill(BAD_BG),
                        c(vec![val(&d.right)]).fill(OK_BG),
                    ],
                    true,
                ));
            }
        }
        rows
    }

    fn timeline(&mut self, tl: &Timeline) {
        let s = &tl.summary;
        let notable: Vec<&Event> = tl
            .events
            .iter()
            .filter(|e| {
                e.kind == Kind::Gap
                    || !e.flags.is_empty()
                    || !matches!(
                        e.integrity,
                        Integrity::Verified | Integrity::OnlyInOneSource | Integrity::Unanchored
                    )
            })
            .collect();
        self.h2(
            &format!(
                "Timeline: flagged events and gaps ({} of {} events, {} gap(s))",
                notable.len() as u64 - s.gaps,
                s.events,
                s.gaps
            ),
            "Timeline",
        );
        let join = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, n)| format!("{} {n}", v(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.meta(vec![
            (
                "Span",
                para(
                    format!(
                        "{} – {}",
                        o(s.first_timestamp.as_deref()),
                        o(s.last_timestamp.as_deref())
                    ),
                    mono(TABLE),
                ),
            ),
            ("Integrity", para(join(&s.integrity), sans(BODY))),
            (
                "Flags",
                para(
                    if s.flags.is_empty() {
                        "none".to_string()
                    } else {
                        join(&s.flags)
                    },
                    sans(BODY),
                ),
            ),
            (
                "Rules",
                para(
                    format!(
                        "denial burst: {} failures by one actor within {} minutes; off hours: {}",
                        s.burst_count,
                        s.burst_minutes,
                        v(&s.off_hours_rule)
                    ),
                    sans(BODY),
                ),
            ),
        ]);
        self.lay.gap(4.0);
        if notable.is_empty() {
            self.note("No flagged events and no gaps.");
            return;
        }
        let widths = [84.0, 42.0, 30.0, 66.0, 70.0, 50.0, 80.0, WIDTH - 422.0];
        let header = self.header(
            &widths,
            &[
                "Timestamp (UTC)",
                "Tenant",
                "Seq",
                "Action",
                "Actor",
                "Outcome",
                "Integrity",
                "Flags / findings",
            ],
        );
        let rows = notable
            .iter()
            .take(TIMELINE_ROWS)
            .map(|e| self.timeline_row(&widths, e))
            .collect();
        self.lay.table(header, rows);
        if notable.len() > TIMELINE_ROWS {
            self.note(format!(
                "{} more flagged event(s) or gap(s) are not shown; trailproof timeline lists them all.",
                notable.len() - TIMELINE_ROWS
            ));
        }
    }

    fn timeline_row(&self, widths: &[f32; 8], e: &Event) -> Row {
        let stamp = match e.timestamp.as_deref() {
            Some(t) if t.len() > 11 && t.is_char_boundary(11) => {
                vec![para(&t[..10], mono(HASH)), para(&t[11..], mono(HASH))]
            }
            other => vec![para(other.map(v).unwrap_or_default(), mono(HASH))],
        };
        let (ifg, ibg) = match e.integrity {
            Integrity::Verified => (OK, None),
            Integrity::Unanchored | Integrity::OnlyInOneSource => (WARN, None),
            _ => (BAD, Some(BAD_BG)),
        };
        let mut integrity = vec![para(e.integrity.as_str(), sans(HASH).bold().color(ifg))];
        if !e.diverged_fields.is_empty() {
            integrity.push(para(tv(&e.diverged_fields.join(", ")), mono(HASH)));
        }
        // One flag or finding code per line: flags in blue, codes in the level's colour.
        let mut marks: Vec<Para> = e
            .flags
            .iter()
            .map(|f| para(f.as_str(), sans(HASH).color(FLAG)))
            .collect();
        marks.extend(e.findings.iter().map(|c| {
            let (_, color) = level_label(c.level());
            para(c.as_str(), mono(HASH).color(color))
        }));
        if e.kind == Kind::Gap {
            let last = e.seq_end.unwrap_or(e.seq);
            let seq = if last == e.seq {
                e.seq.to_string()
            } else {
                format!("{}..{last}", e.seq)
            };
            let what = format!(
                "{} record(s) deleted (missing from {})",
                last.saturating_sub(e.seq) + 1,
                tv(&e.sources.join(", "))
            );
            let span4: f32 = widths[3..6].iter().sum();
            let w = [widths[0], widths[1], widths[2], span4, widths[6], widths[7]];
            let cells = vec![
                c(stamp).fill(BAD_BG),
                c1(tv(&e.tenant_id), sans(TABLE)).fill(BAD_BG),
                c1(seq, sans(TABLE)).fill(BAD_BG),
                c1(what, sans(TABLE).bold().color(BAD)).fill(BAD_BG),
                c(integrity).fill(BAD_BG),
                c(marks).fill(BAD_BG),
            ];
            return self.row(&w, cells, true);
        }
        let mut actor = vec![para(to(e.actor_display.as_deref()), sans(TABLE))];
        if let Some(u) = &e.actor_user_id {
            let mut p = vec![span(tv(u), mono(HASH).color(MUTED))];
            if let Some(r) = &e.actor_role {
                p.push(span(" · ", sans(HASH).color(MUTED)));
                p.push(span(tv(r), mono(HASH).color(MUTED)));
            }
            actor.push(p);
        }
        let mut outcome = to(e.outcome.as_deref());
        if let Some(r) = &e.outcome_reason {
            outcome.push_str(&format!(" ({})", tv(r)));
        }
        let mut integrity_cell = c(integrity);
        if let Some(bg) = ibg {
            integrity_cell = integrity_cell.fill(bg);
        }
        self.row(
            widths,
            vec![
                c(stamp),
                c1(tv(&e.tenant_id), sans(TABLE)),
                c1(e.seq.to_string(), sans(TABLE)),
                c1(to(e.action.as_deref()), mono(HASH)),
                c(actor),
                c1(outcome, sans(TABLE)),
                integrity_cell,
                c(marks),
            ],
            true,
        )
    }

    fn closing(&mut self, report: &Report) {
        self.lay.gap(14.0);
        let rule = match report.verdict {
            Verdict::Tampered => "an error finding stands",
            Verdict::Inconclusive => "no error, but a check could not be made",
            Verdict::Intact => "no error finding and every check possible",
        };
        self.note(format!(
            "Written by {} {} ({}). The report holds no date of its own: the same inputs and \
             command give the same bytes. Verdict rule: AEF/1 section 9 ({rule}).",
            v(&report.tool.name),
            v(&report.tool.version),
            v(&report.format),
        ));
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

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

/// Renders the report as a PDF. `timeline`, when given, adds its flagged events and gaps;
/// `argv` is the exact command line (program name first).
pub fn pdf(
    report: &Report,
    timeline: Option<&Timeline>,
    argv: &[String],
) -> Result<Vec<u8>, ReportError> {
    let sh = Shaper::new().ok_or(ReportError::Font("DejaVu Sans / DejaVu Sans Mono"))?;
    let mut w = Writer {
        sh,
        lay: Layout::new(),
    };
    w.title_and_verdict(report);
    w.tool(report, argv);
    w.inputs(report);
    w.chains(report);
    w.checks(report);
    w.findings(report);
    if let Some(tl) = timeline {
        w.timeline(tl);
    }
    w.closing(report);
    let Writer { sh, lay } = w;
    draw(report, &sh, lay)
}

fn draw(report: &Report, sh: &Shaper, lay: Layout) -> Result<Vec<u8>, ReportError> {
    let sans_font = Font::new(text::SANS.into(), 0).ok_or(ReportError::Font("DejaVu Sans"))?;
    let mono_font = Font::new(text::MONO.into(), 0).ok_or(ReportError::Font("DejaVu Sans Mono"))?;
    let configuration = ConfigurationBuilder::new()
        .with_version(PdfVersion::Pdf17)
        .finish()
        .map_err(|e| ReportError::Pdf(format!("configuration: {e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut doc = Document::new_with(settings);
    let verdict = report.verdict.as_str();
    // No creation date: the bytes must not depend on when the report was written.
    doc.set_metadata(
        Metadata::new()
            .title(format!("Trailproof verification report: {verdict}"))
            .creator(format!("{} {}", report.tool.name, report.tool.version))
            .producer("trailproof-report (krilla)".into())
            .language("en".into()),
    );
    let n = lay.pages.len();
    let footer = sans(7.0).color(MUTED);
    for (pi, body) in lay.pages.iter().enumerate() {
        // Footer: the verdict and the page number on every page.
        let fy = BOTTOM + 26.0;
        let mut ops = body.clone();
        ops.push(Op::Rule {
            x1: LEFT,
            y1: BOTTOM + 14.0,
            x2: LEFT + WIDTH,
            y2: BOTTOM + 14.0,
            color: LINE,
            width: 0.5,
        });
        let left = format!("Trailproof verification report: {verdict}");
        let right = format!("page {} of {n}", pi + 1);
        let rw = sh.width(&right, footer);
        for (text, x) in [(left, LEFT), (right, LEFT + WIDTH - rw)] {
            for l in sh.wrap(&[span(text, footer)], f32::MAX) {
                for run in l.runs {
                    ops.push(Op::Text {
                        x: x + run.x,
                        y: fy,
                        run,
                    });
                }
            }
        }
        let settings = PageSettings::from_wh(W, H).ok_or(ReportError::Geometry("page size"))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        for op in &ops {
            match op {
                Op::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill,
                    stroke,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.push_rect(
                        Rect::from_xywh(*x, *y, *w, *h)
                            .ok_or(ReportError::Geometry("rectangle"))?,
                    );
                    let path = pb.finish().ok_or(ReportError::Geometry("rectangle"))?;
                    s.set_fill(fill.map(|c| Fill {
                        paint: paint(c),
                        ..Fill::default()
                    }));
                    s.set_stroke(stroke.map(|(c, width)| Stroke {
                        paint: paint(c),
                        width,
                        ..Stroke::default()
                    }));
                    s.draw_path(&path);
                }
                Op::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    color,
                    width,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    let path = pb.finish().ok_or(ReportError::Geometry("rule"))?;
                    s.set_fill(None);
                    s.set_stroke(Some(Stroke {
                        paint: paint(*color),
                        width: *width,
                        ..Stroke::default()
                    }));
                    s.draw_path(&path);
                }
                Op::Text { x, y, run } => {
                    s.set_fill(Some(Fill {
                        paint: paint(run.style.color),
                        ..Fill::default()
                    }));
                    // Bold: the regular face, filled and outlined in the same colour.
                    s.set_stroke(run.style.bold.then(|| Stroke {
                        paint: paint(run.style.color),
                        width: run.style.size * 0.045,
                        ..Stroke::default()
                    }));
                    let font = match run.face {
                        Face::Sans => sans_font.clone(),
                        Face::Mono => mono_font.clone(),
                    };
                    s.draw_glyphs(
                        Point::from_xy(*x, *y),
                        &run.glyphs,
                        font,
                        &run.text,
                        run.style.size,
                        false,
                    );
                }
            }
        }
        s.finish();
        page.finish();
    }
    let mut outline = Outline::new();
    let mut current: Option<OutlineNode> = None;
    for m in &lay.marks {
        let node = OutlineNode::new(
            m.title.clone(),
            XyzDestination::new(m.page, Point::from_xy(0.0, m.y)),
        );
        if m.level <= 1 {
            if let Some(prev) = current.take() {
                outline.push_child(prev);
            }
            current = Some(node);
        } else if let Some(parent) = current.as_mut() {
            parent.push_child(node);
        } else {
            outline.push_child(node);
        }
    }
    if let Some(prev) = current.take() {
        outline.push_child(prev);
    }
    doc.set_outline(outline);
    doc.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}
