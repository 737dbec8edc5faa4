//! Fonts, shaping and line breaking.
//!
//! Text is shaped once, here, with the shaper krilla itself uses (rustybuzz, same version, a
//! shape plan cached per face, direction and script), and the very glyphs measured are the
//! glyphs drawn: a wrapped line is exactly as wide as measured. Every character is drawn as itself
//! with the first face that has a glyph for it: the preferred DejaVu face, then the other one,
//! then WenQuanYi Micro Hei (Chinese, Japanese and Korean names); a character that no face can
//! draw, a control character, or an invisible formatting
//! character (bidirectional overrides and isolates, zero-width spaces, byte order mark, ...) is
//! shown as its code point, `<U+202E>`, in its own colour: nothing in the evidence is dropped,
//! hidden or allowed to reorder the text around it. Runs of right-to-left script are shaped
//! right to left; runs are laid out in logical order (no bidi reordering across runs).

use std::cell::RefCell;
use std::ops::Range;

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Script, ShapePlan, UnicodeBuffer};

/// DejaVu Sans, shared with the reference service's export PDFs.
pub(crate) static SANS: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Mono, shared with the reference service's export PDFs.
pub(crate) static MONO: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSansMono.ttf");

/// WenQuanYi Micro Hei (Apache 2.0; the proportional face of Debian's collection, as TrueType,
/// shared with the app's window): the CJK ideographs, kana and Hangul DejaVu lacks, in one face.
/// Only the glyphs a report uses are embedded (krilla subsets every font).
pub(crate) static FALLBACK: &[u8] = include_bytes!("../../../../assets/fonts/wqy-microhei.ttf");

/// Colour of a code point shown in place of a character (see the module docs).
pub(crate) const ESCAPE_COLOR: Rgb = Rgb(130, 0, 120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Sans,
    Mono,
    /// The last face of the chain, for what neither DejaVu face draws.
    Fallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub face: Face,
    pub size: f32,
    pub color: Rgb,
    pub bold: bool,
}

impl Style {
    pub fn new(face: Face, size: f32) -> Self {
        Style {
            face,
            size,
            color: Rgb(31, 35, 40),
            bold: false,
        }
    }

    pub fn color(mut self, color: Rgb) -> Self {
        self.color = color;
        self
    }

    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
}

/// Text in one style.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub text: String,
    pub style: Style,
}

pub(crate) fn span(text: impl Into<String>, style: Style) -> Span {
    Span {
        text: text.into(),
        style,
    }
}

/// A piece of a laid-out line, drawn with one face in one direction.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub text: String,
    pub face: Face,
    pub style: Style,
    /// Offset from the start of the line.
    pub x: f32,
    /// The shaped glyphs, in drawing order; text ranges index `text`.
    pub glyphs: Vec<KrillaGlyph>,
}

/// One laid-out line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub runs: Vec<Run>,
    /// Largest font size on the line.
    pub size: f32,
}

/// Line height as a multiple of the font size.
pub(crate) const LEADING: f32 = 1.28;

impl Line {
    pub fn height(&self) -> f32 {
        self.size * LEADING
    }
}

/// A segment of a span: characters drawn with one face in one direction, or one escape.
struct Seg {
    text: String,
    face: Face,
    rtl: bool,
    style: Style,
    escaped: bool,
    /// Shaped glyphs in drawing order (filled by [`Shaper::pieces`]).
    glyphs: Vec<Shaped>,
}

/// One shaped glyph; advances and offsets in em.
#[derive(Debug, Clone, Copy)]
struct Shaped {
    id: u16,
    cluster: usize,
    x_advance: f32,
    x_offset: f32,
    y_offset: f32,
    y_advance: f32,
}

/// A cluster: the smallest unit a line may break after.
struct Piece {
    seg: usize,
    range: Range<usize>,
    /// Advance in em.
    width: f32,
    space: bool,
    /// Ends in `/` or `\\`: a good place to break a path.
    slash: bool,
    punct: bool,
}

/// Characters shown as their code point whatever the font holds: controls, and formatting
/// characters that are invisible or reorder text.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Strong right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, ... and their
/// presentation forms).
fn strong_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFE | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

/// Characters without a direction of their own: they join a right-to-left run only inside it.
fn neutral(c: char) -> bool {
    (c.is_whitespace() || c.is_ascii_punctuation() || (!c.is_alphanumeric() && !c.is_ascii()))
        && !strong_rtl(c)
}

type PlanKey = (Face, bool, Option<Script>);

pub(crate) struct Shaper {
    sans: rustybuzz::Face<'static>,
    mono: rustybuzz::Face<'static>,
    fallback: rustybuzz::Face<'static>,
    /// Shape plans are slow to build: one per face, direction and script.
    plans: RefCell<Vec<(PlanKey, ShapePlan)>>,
}

impl Shaper {
    pub fn new() -> Option<Self> {
        Some(Shaper {
            sans: rustybuzz::Face::from_slice(SANS, 0)?,
            mono: rustybuzz::Face::from_slice(MONO, 0)?,
            fallback: rustybuzz::Face::from_slice(FALLBACK, 0)?,
            plans: RefCell::new(Vec::new()),
        })
    }

    /// Shapes `text` with one face in one direction; glyphs in drawing order.
    fn shape(&self, face: Face, text: &str, rtl: bool) -> Vec<Shaped> {
        let f = self.face(face);
        let upem = f.units_per_em() as f32;
        // The buffer krilla's own `draw_text` would build.
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let direction = if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        };
        buffer.set_direction(direction);
        let script = Some(buffer.script());
        let key = (face, rtl, script);
        let mut plans = self.plans.borrow_mut();
        let ix = match plans.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let language = buffer.language();
                plans.push((
                    key,
                    ShapePlan::new(f, direction, script, language.as_ref(), &[]),
                ));
                plans.len() - 1
            }
        };
        let out = rustybuzz::shape_with_plan(f, &plans[ix].1, buffer);
        out.glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(i, p)| Shaped {
                id: u16::try_from(i.glyph_id).unwrap_or(0),
                cluster: i.cluster as usize,
                x_advance: p.x_advance as f32 / upem,
                x_offset: p.x_offset as f32 / upem,
                y_offset: p.y_offset as f32 / upem,
                y_advance: p.y_advance as f32 / upem,
            })
            .collect()
    }

    fn face(&self, f: Face) -> &rustybuzz::Face<'static> {
        match f {
            Face::Sans => &self.sans,
            Face::Mono => &self.mono,
            Face::Fallback => &self.fallback,
        }
    }

    /// Width of `text` in `style` on one line (no wrapping), in points.
    pub fn width(&self, text: &str, style: Style) -> f32 {
        let (segs, pieces) = self.pieces(&[span(text, style)]);
        pieces
            .iter()
            .map(|p| p.width * segs[p.seg].style.size)
            .sum()
    }

    /// Splits spans into segments (face, direction, escapes).
    fn segments(&self, spans: &[Span]) -> Vec<Seg> {
        let mut segs: Vec<Seg> = Vec::new();
        for sp in spans {
            let chars: Vec<char> = sp.text.chars().collect();
            // Direction per character: strong RTL, or a neutral between two strong RTL ones.
            let strong: Vec<Option<bool>> = chars
                .iter()
                .map(|&c| {
                    if strong_rtl(c) {
                        Some(true)
                    } else if neutral(c) {
                        None
                    } else {
                        Some(false)
                    }
                })
                .collect();
            let mut prev = vec![false; chars.len()];
            let mut last = false;
            for (i, s) in strong.iter().enumerate() {
                prev[i] = last;
                if let Some(r) = s {
                    last = *r;
                }
            }
            let mut next = false;
            let mut rtl = vec![false; chars.len()];
            for i in (0..chars.len()).rev() {
                rtl[i] = match strong[i] {
                    Some(r) => r,
                    None => prev[i] && next,
                };
                if let Some(r) = strong[i] {
                    next = r;
                }
            }
            let other = match sp.style.face {
                Face::Sans | Face::Fallback => Face::Mono,
                Face::Mono => Face::Sans,
            };
            for (i, &c) in chars.iter().enumerate() {
                // A neutral character stays in the face of the run it sits in (a space
                // between two Hebrew words of a mono span stays with them in Sans).
                let keep = segs
                    .last()
                    .filter(|s| !s.escaped && s.rtl == rtl[i] && s.style == sp.style && neutral(c));
                let face = if must_escape(c) {
                    None
                } else if let Some(s) = keep.filter(|s| self.face(s.face).glyph_index(c).is_some())
                {
                    Some(s.face)
                } else if self.face(sp.style.face).glyph_index(c).is_some() {
                    Some(sp.style.face)
                } else if self.face(other).glyph_index(c).is_some() {
                    Some(other)
                } else if self.fallback.glyph_index(c).is_some() {
                    Some(Face::Fallback)
                } else {
                    None
                };
                match face {
                    None => segs.push(Seg {
                        text: format!("<U+{:04X}>", c as u32),
                        face: sp.style.face,
                        rtl: false,
                        style: Style {
                            color: ESCAPE_COLOR,
                            bold: false,
                            ..sp.style
                        },
                        escaped: true,
                        glyphs: Vec::new(),
                    }),
                    Some(face) => {
                        let r = rtl[i];
                        match segs.last_mut() {
                            Some(s)
                                if !s.escaped
                                    && s.face == face
                                    && s.rtl == r
                                    && s.style == sp.style =>
                            {
                                s.text.push(c)
                            }
                            _ => segs.push(Seg {
                                text: c.to_string(),
                                face,
                                rtl: r,
                                style: sp.style,
                                escaped: false,
                                glyphs: Vec::new(),
                            }),
                        }
                    }
                }
            }
        }
        segs
    }

    fn pieces(&self, spans: &[Span]) -> (Vec<Seg>, Vec<Piece>) {
        let mut segs = self.segments(spans);
        let mut pieces = Vec::new();
        for (si, seg) in segs.iter_mut().enumerate() {
            seg.glyphs = self.shape(seg.face, &seg.text, seg.rtl);
            if seg.escaped {
                // An escape is one unit: never broken inside.
                pieces.push(Piece {
                    seg: si,
                    range: 0..seg.text.len(),
                    width: seg.glyphs.iter().map(|g| g.x_advance).sum(),
                    space: false,
                    slash: false,
                    punct: true,
                });
                continue;
            }
            // Clusters in text order, with the advance of all their glyphs.
            let mut clusters: Vec<(usize, f32)> = seg
                .glyphs
                .iter()
                .map(|g| (g.cluster, g.x_advance))
                .collect();
            clusters.sort_by_key(|c| c.0);
            let mut merged: Vec<(usize, f32)> = Vec::with_capacity(clusters.len());
            for (c, adv) in clusters {
                match merged.last_mut() {
                    Some(m) if m.0 == c => m.1 += adv,
                    _ => merged.push((c, adv)),
                }
            }
            for (k, &(start, adv)) in merged.iter().enumerate() {
                let end = merged.get(k + 1).map_or(seg.text.len(), |n| n.0);
                let t = &seg.text[start..end];
                pieces.push(Piece {
                    seg: si,
                    range: start..end,
                    width: adv,
                    space: t.chars().all(char::is_whitespace),
                    slash: t.ends_with(['/', '\\']),
                    punct: t.ends_with(['/', '-', '_', ',', ';', ':', '.', '=', '&', '?', ')']),
                });
            }
        }
        (segs, pieces)
    }

    /// Lays out spans as lines no wider than `width` (a cluster wider than `width` gets a
    /// line of its own). Breaks after spaces where possible, else after a slash (paths), else
    /// after other punctuation, else between any two clusters.
    pub fn wrap(&self, spans: &[Span], width: f32) -> Vec<Line> {
        let (segs, pieces) = self.pieces(spans);
        let w = |p: &Piece| p.width * segs[p.seg].style.size;
        let mut lines = Vec::new();
        let mut start = 0;
        while start < pieces.len() {
            let mut x = 0.0;
            let mut end = start;
            let mut last_space = None;
            let mut last_slash = None;
            let mut last_punct = None;
            while end < pieces.len() {
                let pw = w(&pieces[end]);
                // Trailing spaces may hang past the edge.
                if x + pw > width && end > start && !pieces[end].space {
                    break;
                }
                x += pw;
                if pieces[end].space {
                    last_space = Some(end);
                } else if pieces[end].slash {
                    last_slash = Some(end);
                } else if pieces[end].punct {
                    last_punct = Some(end);
                }
                end += 1;
            }
            if end < pieces.len() {
                if let Some(b) = last_space.or(last_slash).or(last_punct) {
                    end = b + 1;
                }
            }
            lines.push(self.line(&segs, &pieces[start..end]));
            start = end;
        }
        if lines.is_empty() {
            let size = spans.iter().map(|s| s.style.size).fold(0.0, f32::max);
            lines.push(Line {
                runs: Vec::new(),
                size,
            });
        }
        lines
    }

    fn line(&self, segs: &[Seg], pieces: &[Piece]) -> Line {
        let mut runs: Vec<Run> = Vec::new();
        let mut x = 0.0;
        let mut i = 0;
        while i < pieces.len() {
            let seg = pieces[i].seg;
            let mut j = i;
            let mut width = 0.0;
            while j < pieces.len() && pieces[j].seg == seg {
                width += pieces[j].width * segs[seg].style.size;
                j += 1;
            }
            let s = &segs[seg];
            let (a, b) = (pieces[i].range.start, pieces[j - 1].range.end);
            // The glyphs of these clusters, in drawing order; each glyph's text range is its
            // whole cluster, relative to the run.
            let mut starts: Vec<usize> = s.glyphs.iter().map(|g| g.cluster).collect();
            starts.sort_unstable();
            starts.dedup();
            let glyphs = s
                .glyphs
                .iter()
                .filter(|g| (a..b).contains(&g.cluster))
                .map(|g| {
                    let next = starts.partition_point(|&c| c <= g.cluster);
                    let end = starts.get(next).map_or(b, |&e| e.min(b));
                    KrillaGlyph::new(
                        GlyphId::new(u32::from(g.id)),
                        g.x_advance,
                        g.x_offset,
                        g.y_offset,
                        g.y_advance,
                        g.cluster - a..end - a,
                        None,
                    )
                })
                .collect();
            runs.push(Run {
                text: s.text[a..b].to_string(),
                face: s.face,
                style: s.style,
                x,
                glyphs,
            });
            x += width;
            i = j;
        }
        let size = runs.iter().map(|r| r.style.size).fold(0.0, f32::max);
        Line { runs, size }
    }
}

/// At most `max` characters of `s`; a longer value is cut and says how much was left out.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((at, _)) => format!(
            "{}… [{} more characters not shown]",
            &s[..at],
            s[at..].chars().count()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.runs.iter().map(|r| r.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_spaces_then_anywhere() {
        let sh = Shaper::new().unwrap();
        let st = Style::new(Face::Mono, 10.0);
        let cw = sh.width("0", st);
        assert!((cw - 6.0205).abs() < 0.01, "{cw}");
        let lines = sh.wrap(&[span("aaa bbb ccc", st)], cw * 8.0);
        assert_eq!(text_of(&lines), ["aaa bbb ", "ccc"]);
        let lines = sh.wrap(&[span("0123456789abcdef", st)], cw * 6.0 + 0.01);
        assert_eq!(text_of(&lines), ["012345", "6789ab", "cdef"]);
        let lines = sh.wrap(&[span("a/b/cc", st)], cw * 4.0 + 0.01);
        assert_eq!(text_of(&lines), ["a/b/", "cc"]);
        let lines = sh.wrap(&[span("ab/c-d-e", st)], cw * 7.0 + 0.01);
        assert_eq!(text_of(&lines), ["ab/", "c-d-e"]);
    }

    #[test]
    fn escapes_controls_and_bidi_overrides_and_missing_glyphs() {
        let sh = Shaper::new().unwrap();
        let st = Style::new(Face::Sans, 10.0);
        // U+10FFFD: a private-use code point no face draws.
        let lines = sh.wrap(&[span("a\u{202E}b\nc\u{10FFFD}", st)], 1000.0);
        assert_eq!(text_of(&lines), ["a<U+202E>b<U+000A>c<U+10FFFD>"]);
        let runs = &lines[0].runs;
        assert_eq!(runs[1].style.color, ESCAPE_COLOR);
        assert_eq!(runs[0].style.color, st.color);
    }

    #[test]
    fn right_to_left_runs_and_fallback_faces() {
        let sh = Shaper::new().unwrap();
        let st = Style::new(Face::Mono, 10.0);
        // Hebrew is not in DejaVu Sans Mono: drawn with DejaVu Sans, right to left (glyphs in
        // drawing order run from the end of the text to its start).
        let lines = sh.wrap(&[span("id שלום עולם 42", st)], 1000.0);
        let runs = &lines[0].runs;
        let summary: Vec<(&str, Face, Vec<usize>)> = runs
            .iter()
            .map(|r| {
                let starts = r.glyphs.iter().map(|g| g.text_range.start).collect();
                (r.text.as_str(), r.face, starts)
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("id ", Face::Mono, vec![0, 1, 2]),
                ("שלום עולם", Face::Sans, vec![15, 13, 11, 9, 8, 6, 4, 2, 0]),
                (" 42", Face::Mono, vec![0, 1, 2]),
            ]
        );
        assert!(runs[1].x > runs[0].x && runs[2].x > runs[1].x);
    }

    #[test]
    fn cjk_names_are_drawn_with_the_fallback_face() {
        // The review's "山田 太郎 (tyamada)" showed as code points; DejaVu has no ideographs.
        let sh = Shaper::new().unwrap();
        let st = Style::new(Face::Sans, 10.0);
        let lines = sh.wrap(&[span("山田 太郎 (tyamada) 김민준 やまだ", st)], 1000.0);
        let runs: Vec<(&str, Face)> = lines[0]
            .runs
            .iter()
            .map(|r| (r.text.as_str(), r.face))
            .collect();
        // (Neutral characters, a space or a parenthesis, stay with the run before them.)
        assert_eq!(
            runs,
            [
                ("山田 太郎 (", Face::Fallback),
                ("tyamada) ", Face::Sans),
                ("김민준 やまだ", Face::Fallback),
            ]
        );
        assert!(lines[0].runs.iter().all(|r| r.style.color != ESCAPE_COLOR));
        assert!(lines[0].runs.iter().all(|r| !r.glyphs.is_empty()));
    }

    #[test]
    fn clips_long_values() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdé", 3), "abc… [2 more characters not shown]");
    }
}
