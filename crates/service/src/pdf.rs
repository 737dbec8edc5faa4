//! The export PDF (SPEC section 6), written with krilla.
//!
//! Layout (A4, text only): page 1 starts with the header lines `Tenant:`, `Exported at:`,
//! `Exported by:` and `Filters:`; then a monospaced table (`seq`, `timestamp`, `action`,
//! `severity`, `actor_user_id`, `outcome`, first 16 hex digits of `hash`) flowing over as
//! many pages as needed, its column header repeated on every page; then the integrity section
//! (`Records:`, `Fingerprint:`, `Chain head: seq N hash H`, `Verification URL:`). Every page's
//! footer shows the verification URL as text and carries a `/URI` link annotation over it.
//!
//! The payload is embedded as `audit-export.json` (`/EmbeddedFiles`, and `/AF` because the
//! document is PDF 2.0, where krilla writes associated files). The document is deterministic:
//! its creation date is the export time and its `/ID` is derived from the fingerprint.

use anyhow::{anyhow, Result};
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::configure::{ConfigurationBuilder, PdfVersion};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use crate::export::Export;

static SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static MONO: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const TABLE_SIZE: f32 = 7.0;
const TEXT_SIZE: f32 = 9.0;
/// Lowest baseline for body text; the footer lives below it.
const BODY_BOTTOM: f32 = H - 60.0;

#[derive(Clone, Copy)]
enum Face {
    Sans,
    Mono,
}

struct Line {
    face: Face,
    size: f32,
    text: String,
}

fn line(face: Face, size: f32, text: impl Into<String>) -> Line {
    Line {
        face,
        size,
        text: text.into(),
    }
}

/// One table row, fixed-width columns.
fn row(
    seq: &str,
    ts: &str,
    action: &str,
    sev: &str,
    actor: &str,
    outcome: &str,
    hash: &str,
) -> String {
    format!("{seq:>6}  {ts:<30}  {action:<26}  {sev:<8}  {actor:<14}  {outcome:<7}  {hash}")
}

fn table_header() -> Line {
    line(
        Face::Mono,
        TABLE_SIZE,
        row(
            "seq",
            "timestamp",
            "action",
            "severity",
            "actor_user_id",
            "outcome",
            "hash",
        ),
    )
}

fn date_of(ts: &str) -> DateTime {
    let n = |a: usize, b: usize| {
        ts.get(a..b)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0)
    };
    DateTime::new(n(0, 4))
        .month(n(5, 7) as u8)
        .day(n(8, 10) as u8)
        .hour(n(11, 13) as u8)
        .minute(n(14, 16) as u8)
        .second(n(17, 19) as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// Renders the export as a PDF.
pub fn render(e: &Export) -> Result<Vec<u8>> {
    let sans = Font::new(SANS.into(), 0).ok_or_else(|| anyhow!("cannot load DejaVuSans"))?;
    let mono = Font::new(MONO.into(), 0).ok_or_else(|| anyhow!("cannot load DejaVuSansMono"))?;
    let configuration = ConfigurationBuilder::new()
        .with_version(PdfVersion::Pdf20)
        .finish()
        .map_err(|err| anyhow!("krilla configuration: {err:?}"))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: false,
        ..SerializeSettings::default()
    };
    let mut doc = Document::new_with(settings);
    let date = date_of(&e.meta.exported_at);
    doc.set_metadata(
        Metadata::new()
            .title(format!("Audit export of {}", e.scope.tenant_id))
            .creator("trailproof-service".into())
            .producer("trailproof-service (krilla)".into())
            .creation_date(date)
            .document_id(e.fingerprint.clone()),
    );
    let json = e.json().into_bytes();
    doc.embed_file(EmbeddedFile {
        path: "audit-export.json".into(),
        mime_type: MimeType::new("application/json"),
        description: Some("AEF/1 export payload (audit-export/1)".into()),
        association_kind: AssociationKind::Data,
        data: json.into(),
        modification_date: Some(date),
        compress: Some(true),
        location: None,
    })
    .ok_or_else(|| anyhow!("audit-export.json embedded twice"))?;

    // The body, as lines; page breaks are decided below.
    let mut body = vec![
        line(Face::Sans, 14.0, "Audit log export"),
        line(
            Face::Sans,
            TEXT_SIZE,
            format!("Tenant: {}", e.scope.tenant_id),
        ),
        line(
            Face::Sans,
            TEXT_SIZE,
            format!("Exported at: {}", e.meta.exported_at),
        ),
        line(
            Face::Sans,
            TEXT_SIZE,
            format!("Exported by: {} ({})", e.meta.display, e.meta.user_id),
        ),
        line(
            Face::Sans,
            TEXT_SIZE,
            format!("Filters: {}", e.filters_summary()),
        ),
        line(Face::Sans, TEXT_SIZE, ""),
    ];
    let table_start = body.len();
    for r in &e.records {
        body.push(line(
            Face::Mono,
            TABLE_SIZE,
            row(
                &r.seq.to_string(),
                &r.timestamp,
                &r.action,
                &r.severity,
                &r.actor_user_id,
                &r.outcome,
                &r.hash[..16.min(r.hash.len())],
            ),
        ));
    }
    let table_end = body.len();
    body.push(line(Face::Sans, TEXT_SIZE, ""));
    body.push(line(Face::Sans, 11.0, "Integrity"));
    body.push(line(
        Face::Mono,
        TABLE_SIZE + 1.0,
        format!("Records: {}", e.records.len()),
    ));
    body.push(line(
        Face::Mono,
        TABLE_SIZE + 1.0,
        format!("Fingerprint: {}", e.fingerprint),
    ));
    body.push(line(
        Face::Mono,
        TABLE_SIZE + 1.0,
        format!("Chain head: seq {} hash {}", e.head.0, e.head.1),
    ));
    let url_line = format!("Verification URL: {}", e.verify_url);
    let url_size =
        (TABLE_SIZE + 1.0).min((W - 2.0 * MARGIN) / (url_line.chars().count() as f32 * 0.61));
    body.push(line(Face::Mono, url_size, url_line));

    // Split into pages; table rows get the column header at the top of each page.
    let mut pages: Vec<Vec<Line>> = vec![vec![]];
    let mut y = MARGIN;
    for (i, l) in body.into_iter().enumerate() {
        let in_table = (table_start..table_end).contains(&i);
        let need = l.size * 1.45;
        if y + need > BODY_BOTTOM {
            pages.push(vec![]);
            y = MARGIN;
            if in_table {
                pages.last_mut().expect("page").push(table_header());
                y += TABLE_SIZE * 1.45;
            }
        }
        if i == table_start {
            pages.last_mut().expect("page").push(table_header());
            y += TABLE_SIZE * 1.45;
        }
        y += need;
        pages.last_mut().expect("page").push(l);
    }

    let n_pages = pages.len();
    let footer_size = 6.0f32.min((W - 2.0 * MARGIN) / (e.verify_url.chars().count() as f32 * 0.61));
    for (pi, lines) in pages.into_iter().enumerate() {
        let mut page =
            doc.start_page_with(PageSettings::from_wh(W, H).ok_or_else(|| anyhow!("page size"))?);
        {
            let mut s = page.surface();
            let mut y = MARGIN;
            for l in &lines {
                y += l.size * 1.45;
                let font = match l.face {
                    Face::Sans => sans.clone(),
                    Face::Mono => mono.clone(),
                };
                if !l.text.is_empty() {
                    s.draw_text(
                        Point::from_xy(MARGIN, y),
                        font,
                        l.size,
                        &l.text,
                        false,
                        TextDirection::Auto,
                    );
                }
            }
            let fy = H - 30.0;
            s.draw_text(
                Point::from_xy(MARGIN, fy - 10.0),
                sans.clone(),
                6.0,
                &format!("Page {} of {}", pi + 1, n_pages),
                false,
                TextDirection::Auto,
            );
            s.draw_text(
                Point::from_xy(MARGIN, fy),
                mono.clone(),
                footer_size,
                &e.verify_url,
                false,
                TextDirection::Auto,
            );
            s.finish();
        }
        let rect = Rect::from_xywh(
            MARGIN,
            H - 30.0 - footer_size,
            W - 2.0 * MARGIN,
            footer_size * 1.6,
        )
        .ok_or_else(|| anyhow!("link rectangle"))?;
        page.add_annotation(Annotation::new_link(
            LinkAnnotation::new(
                rect,
                Target::Action(Action::Link(LinkAction::new(e.verify_url.clone()))),
            ),
            Some("Verification URL".into()),
        ));
        page.finish();
    }
    doc.finish()
        .map_err(|err| anyhow!("writing the PDF: {err:?}"))
}
