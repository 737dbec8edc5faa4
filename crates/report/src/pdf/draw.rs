//! The laid-out pages as a PDF document (krilla): each page's operations, the footer with the
//! verdict and "page N of M", the metadata (with the document date PDF/A requires) and the
//! outline.

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::tagging::{Artifact, ArtifactType, ContentTag, SpanTag};
use krilla::text::Font;
use krilla::{Document, SerializeSettings};

use trailproof_core::report::Report;

use super::layout::{Layout, Op, BOTTOM, H, LEFT, W, WIDTH};
use super::tags::Structure;
use super::text::{self, span, Face, Rgb, Shaper};
use super::{sans, LINE, MUTED};
use crate::Error;

fn paint(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

pub(super) fn draw(
    report: &Report,
    sh: &Shaper,
    lay: Layout,
    created: DateTime,
) -> Result<Vec<u8>, Error> {
    let sans_font = Font::new(text::SANS.into(), 0).ok_or(Error::Font("DejaVu Sans"))?;
    let mono_font = Font::new(text::MONO.into(), 0).ok_or(Error::Font("DejaVu Sans Mono"))?;
    let fallback_font =
        Font::new(text::FALLBACK.into(), 0).ok_or(Error::Font("WenQuanYi Micro Hei"))?;
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_A)
        .finish()
        .map_err(|e| Error::Pdf(format!("configuration: {e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    let mut doc = Document::new_with(settings);
    let verdict = report.verdict.as_str();
    doc.set_metadata(
        Metadata::new()
            .creation_date(created)
            .title(format!("Trailproof verification report: {verdict}"))
            .creator(format!("{} {}", report.tool.name, report.tool.version))
            .producer("trailproof-report (krilla)".into())
            .language("en".into()),
    );
    let n = lay.pages.len();
    let mut structure = Structure::default();
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
                        tag: None,
                    });
                }
            }
        }
        let settings = PageSettings::from_wh(W, H).ok_or(Error::Geometry("page size"))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        for op in &ops {
            // Text goes into the tag tree; rules, frames, backgrounds, the footer and table
            // headers repeated on a later page are artifacts.
            let artifact = |kind| ContentTag::Artifact(Artifact::with_kind(kind));
            match op {
                Op::Text { tag: Some(t), .. } if !t.repeated => {}
                Op::Text { tag: Some(_), .. } => {
                    s.start_tagged(artifact(ArtifactType::PaginationOther));
                }
                Op::Text { tag: None, .. } => {
                    s.start_tagged(artifact(ArtifactType::Footer));
                }
                Op::Rect { .. } | Op::Rule { .. } => {
                    s.start_tagged(artifact(ArtifactType::Layout));
                }
            }
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
                        Rect::from_xywh(*x, *y, *w, *h).ok_or(Error::Geometry("rectangle"))?,
                    );
                    let path = pb.finish().ok_or(Error::Geometry("rectangle"))?;
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
                    let path = pb.finish().ok_or(Error::Geometry("rule"))?;
                    s.set_fill(None);
                    s.set_stroke(Some(Stroke {
                        paint: paint(*color),
                        width: *width,
                        ..Stroke::default()
                    }));
                    s.draw_path(&path);
                }
                Op::Text { x, y, run, tag } => {
                    let tagged = match tag {
                        Some(t) if !t.repeated => {
                            Some((*t, s.start_tagged(ContentTag::Span(SpanTag::empty()))))
                        }
                        _ => None,
                    };
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
                        Face::Fallback => fallback_font.clone(),
                    };
                    s.draw_glyphs(
                        Point::from_xy(*x, *y),
                        &run.glyphs,
                        font,
                        &run.text,
                        run.style.size,
                        false,
                    );
                    if let Some((t, id)) = tagged {
                        structure.add(t, &run.text, id);
                    }
                }
            }
            s.end_tagged();
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
    doc.set_tag_tree(structure.tree());
    doc.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}
