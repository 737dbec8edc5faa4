//! Visible text of a page: a content-stream interpreter and a line builder.
//!
//! The interpreter follows the graphics and text state (`cm`, `q`/`Q`, `BT`, `Tf`, `Tm`, `Td`,
//! `TD`, `T*`, `TL`, `Tc`, `Tw`, `Tz`, `Tr`), shows `Tj`, `TJ`, `'` and `"`, and descends into
//! Form XObjects through `Do` (bounded depth, no cycles). Each shown string becomes a fragment
//! with its start and end in device space; fragments are grouped into lines by baseline, sorted
//! by x, and split into cells where the gap is wide. Text drawn invisibly (`Tr` 3 or 7) is not
//! what people see and is left out. Glyphs without a Unicode meaning are kept as U+FFFD and
//! reported, never dropped.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId};
use unicode_normalization::UnicodeNormalization;

use super::decode::{Budget, DecodeError};
use super::fonts::{deref, get, Font};
use super::object_location;
use super::syntax::Parser;
use crate::Location;

/// Why the content of a page could not be read at all (a damaged page; text that cannot be
/// decoded is a problem recorded beside the text instead). Each names the object at fault.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    #[error("page object unreadable: {error} ({object})")]
    PageObjectUnreadable {
        object: Location,
        error: lopdf::Error,
    },
    #[error("content stream of page {page_number} is missing or not a stream ({object})")]
    ContentStreamMissing {
        object: Location,
        page_number: usize,
    },
    #[error("content stream of page {page_number} cannot be decoded: {error} ({object})")]
    ContentStreamUndecodable {
        object: Location,
        page_number: usize,
        error: DecodeError,
    },
}

const MAX_FORM_DEPTH: usize = 8;
const MAX_OPS_PER_PAGE: usize = 5_000_000;

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

/// One string as drawn.
#[derive(Debug, Clone)]
pub(crate) struct Fragment {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) end_x: f64,
    pub(crate) size: f64,
    pub(crate) text: String,
}

/// One line of a page, left to right, split into cells at wide gaps.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TextLine {
    pub page: usize,
    pub cells: Vec<String>,
}

impl TextLine {
    pub fn text(&self) -> String {
        self.cells.join(" ")
    }
}

#[derive(Clone)]
struct TextState {
    font: Option<Rc<Font>>,
    size: f64,
    char_space: f64,
    word_space: f64,
    hscale: f64,
    leading: f64,
    rise: f64,
    render: i64,
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    text: TextState,
}

pub(crate) struct PageReader<'a> {
    doc: &'a Document,
    budget: &'a mut Budget,
    fonts: HashMap<ObjectId, Rc<Font>>,
    pub(crate) fragments: Vec<Fragment>,
    pub(crate) problems: BTreeSet<String>,
    /// Objects that make up what the page shows (content streams, forms).
    pub(crate) content_objects: BTreeSet<u32>,
    page: usize,
    ops: usize,
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn nums<const N: usize>(ops: &[Object]) -> Option<[f64; N]> {
    if ops.len() < N {
        return None;
    }
    let tail = &ops[ops.len() - N..];
    let mut out = [0.0; N];
    for (o, v) in tail.iter().zip(out.iter_mut()) {
        *v = number(o)?;
    }
    Some(out)
}

impl<'a> PageReader<'a> {
    pub(crate) fn new(doc: &'a Document, budget: &'a mut Budget) -> Self {
        PageReader {
            doc,
            budget,
            fonts: HashMap::new(),
            fragments: Vec::new(),
            problems: BTreeSet::new(),
            content_objects: BTreeSet::new(),
            page: 0,
            ops: 0,
        }
    }

    /// Reads one page; returns its lines, or why its content cannot be read.
    pub(crate) fn read_page(
        &mut self,
        page_no: usize,
        page_id: ObjectId,
    ) -> Result<Vec<TextLine>, PageError> {
        self.page = page_no;
        self.ops = 0;
        self.fragments.clear();
        let doc = self.doc;
        let page =
            doc.get_dictionary(page_id)
                .map_err(|error| PageError::PageObjectUnreadable {
                    object: object_location(page_id),
                    error,
                })?;
        self.content_objects.insert(page_id.0);
        let resources = inherited(doc, page, b"Resources");
        let mut data = Vec::new();
        let ids: Vec<ObjectId> = match page.get(b"Contents") {
            Ok(Object::Reference(id)) => match doc.get_object(*id) {
                Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_reference().ok()).collect(),
                _ => vec![*id],
            },
            Ok(Object::Array(a)) => a.iter().filter_map(|o| o.as_reference().ok()).collect(),
            _ => Vec::new(),
        };
        for id in ids {
            self.content_objects.insert(id.0);
            let stream = match doc.get_object(id) {
                Ok(Object::Stream(s)) => s,
                _ => {
                    return Err(PageError::ContentStreamMissing {
                        object: object_location(id),
                        page_number: page_no,
                    })
                }
            };
            let bytes = self.budget.decode_page(stream).map_err(|error| {
                PageError::ContentStreamUndecodable {
                    object: object_location(id),
                    page_number: page_no,
                    error,
                }
            })?;
            data.extend_from_slice(&bytes);
            data.push(b'\n');
        }
        let state = GState {
            ctm: IDENTITY,
            text: TextState {
                font: None,
                size: 0.0,
                char_space: 0.0,
                word_space: 0.0,
                hscale: 1.0,
                leading: 0.0,
                rise: 0.0,
                render: 0,
            },
        };
        let mut stack = Vec::new();
        self.run(&data, resources, state, 0, &mut stack);
        Ok(build_lines(page_no, &self.fragments))
    }

    fn problem(&mut self, msg: String) {
        if self.problems.len() < 200 {
            self.problems.insert(format!("page {}: {msg}", self.page));
        }
    }

    fn font(&mut self, resources: Option<&Dictionary>, name: &[u8]) -> Option<Rc<Font>> {
        let doc = self.doc;
        let fonts = resources.and_then(|r| get(doc, r, b"Font"));
        let Some(Object::Dictionary(fonts)) = fonts else {
            self.problem(format!(
                "font /{} not in the resources",
                String::from_utf8_lossy(name)
            ));
            return None;
        };
        let entry = fonts.get(name).ok();
        let id = entry.and_then(|o| o.as_reference().ok());
        if let Some(id) = id {
            if let Some(f) = self.fonts.get(&id) {
                return Some(f.clone());
            }
        }
        match entry.map(|o| deref(doc, o)) {
            Some(Object::Dictionary(fd)) => {
                let f = Rc::new(Font::load(doc, fd, self.budget));
                if let Some(id) = id {
                    self.fonts.insert(id, f.clone());
                }
                Some(f)
            }
            _ => {
                self.problem(format!(
                    "font /{} not in the resources",
                    String::from_utf8_lossy(name)
                ));
                None
            }
        }
    }

    fn run(
        &mut self,
        data: &[u8],
        resources: Option<&'a Dictionary>,
        mut gs: GState,
        depth: usize,
        forms: &mut Vec<ObjectId>,
    ) {
        let doc = self.doc;
        let mut saved: Vec<GState> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut operands: Vec<Object> = Vec::new();
        let mut p = Parser::new(data, 0);
        loop {
            p.skip_ws();
            let Some(&c) = data.get(p.pos) else { break };
            if matches!(c, b'/' | b'<' | b'(' | b'[') {
                match p.object(0) {
                    Ok(o) => {
                        if operands.len() < 64 {
                            operands.push(o)
                        }
                    }
                    Err(e) => {
                        self.problem(format!(
                            "content stream syntax error at byte {}: {e}",
                            p.pos
                        ));
                        break;
                    }
                }
                continue;
            }
            let t = p.token();
            if t.is_empty() {
                p.pos += 1;
                operands.clear();
                continue;
            }
            if let Some(o) = std::str::from_utf8(t).ok().and_then(|s| {
                s.parse::<i64>().ok().map(Object::Integer).or_else(|| {
                    s.parse::<f32>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(Object::Real)
                })
            }) {
                if operands.len() < 64 {
                    operands.push(o);
                }
                continue;
            }
            self.ops += 1;
            if self.ops > MAX_OPS_PER_PAGE {
                self.problem(
                    "too many content operators; the rest of the page was not read".into(),
                );
                break;
            }
            let ops = std::mem::take(&mut operands);
            match t {
                b"true" | b"false" | b"null" => {
                    operands = ops;
                    operands.push(Object::Null);
                }
                b"BI" => {
                    // Inline image: skip to `EI` delimited by whitespace.
                    let rest = &data[p.pos..];
                    let end = rest
                        .windows(4)
                        .position(|w| {
                            w[0].is_ascii_whitespace()
                                && &w[1..3] == b"EI"
                                && (w[3].is_ascii_whitespace())
                        })
                        .map(|i| i + 3)
                        .unwrap_or(rest.len());
                    p.pos += end;
                }
                b"q" if saved.len() < 256 => saved.push(gs.clone()),
                b"Q" => {
                    if let Some(s) = saved.pop() {
                        gs = s;
                    }
                }
                b"cm" => {
                    if let Some(m) = nums::<6>(&ops) {
                        gs.ctm = mul(&m, &gs.ctm);
                    }
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    if let (Some(Object::Name(n)), Some(size)) =
                        (ops.first(), ops.get(1).and_then(number))
                    {
                        gs.text.font = self.font(resources, n);
                        gs.text.size = size;
                    }
                }
                b"Tc" => gs.text.char_space = nums::<1>(&ops).map_or(0.0, |v| v[0]),
                b"Tw" => gs.text.word_space = nums::<1>(&ops).map_or(0.0, |v| v[0]),
                b"Tz" => gs.text.hscale = nums::<1>(&ops).map_or(100.0, |v| v[0]) / 100.0,
                b"TL" => gs.text.leading = nums::<1>(&ops).map_or(0.0, |v| v[0]),
                b"Ts" => gs.text.rise = nums::<1>(&ops).map_or(0.0, |v| v[0]),
                b"Tr" => gs.text.render = nums::<1>(&ops).map_or(0, |v| v[0] as i64),
                b"Td" | b"TD" => {
                    if let Some([tx, ty]) = nums::<2>(&ops) {
                        if t == b"TD" {
                            gs.text.leading = -ty;
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &tlm);
                        tm = tlm;
                    }
                }
                b"Tm" => {
                    if let Some(m) = nums::<6>(&ops) {
                        tlm = m;
                        tm = m;
                    }
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.text.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" | b"TJ" => {
                    if t == b"\"" {
                        if let Some([aw, ac]) = ops.get(..2).and_then(nums::<2>) {
                            gs.text.word_space = aw;
                            gs.text.char_space = ac;
                        }
                    }
                    if t == b"'" || t == b"\"" {
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.text.leading], &tlm);
                        tm = tlm;
                    }
                    match ops.last() {
                        Some(Object::String(s, _)) => self.show(&gs, &mut tm, s),
                        Some(Object::Array(items)) if t == b"TJ" => {
                            for item in items {
                                match item {
                                    Object::String(s, _) => self.show(&gs, &mut tm, s),
                                    o => {
                                        if let Some(n) = number(o) {
                                            let tx = -n / 1000.0 * gs.text.size * gs.text.hscale;
                                            tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                        }
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                b"Do" => {
                    let Some(Object::Name(name)) = ops.first() else {
                        continue;
                    };
                    let xobjs = resources.and_then(|r| get(doc, r, b"XObject"));
                    let Some(Object::Dictionary(xobjs)) = xobjs else {
                        continue;
                    };
                    let Ok(entry) = xobjs.get(name) else { continue };
                    let id = entry.as_reference().ok();
                    let Object::Stream(form) = deref(doc, entry) else {
                        continue;
                    };
                    if form.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
                        continue;
                    }
                    if depth >= MAX_FORM_DEPTH || id.is_some_and(|i| forms.contains(&i)) {
                        self.problem(format!(
                            "Form XObject /{} nested too deeply or recursive; not read",
                            String::from_utf8_lossy(name)
                        ));
                        continue;
                    }
                    if let Some(i) = id {
                        self.content_objects.insert(i.0);
                    }
                    let body = match self.budget.decode_page(form) {
                        Ok(b) => b,
                        Err(e) => {
                            self.problem(format!(
                                "Form XObject /{} cannot be decoded: {e}",
                                String::from_utf8_lossy(name)
                            ));
                            continue;
                        }
                    };
                    let mut inner = gs.clone();
                    if let Some(Object::Array(m)) = get(doc, &form.dict, b"Matrix") {
                        let v: Vec<f64> = m.iter().filter_map(number).collect();
                        if let Ok(m) = <[f64; 6]>::try_from(v.as_slice()) {
                            inner.ctm = mul(&m, &inner.ctm);
                        }
                    }
                    let res = match get(doc, &form.dict, b"Resources") {
                        Some(Object::Dictionary(r)) => Some(r),
                        _ => resources,
                    };
                    if let Some(i) = id {
                        forms.push(i);
                    }
                    self.run(&body, res, inner, depth + 1, forms);
                    if id.is_some() {
                        forms.pop();
                    }
                }
                _ => {}
            }
        }
    }

    fn show(&mut self, gs: &GState, tm: &mut Matrix, bytes: &[u8]) {
        let ts = &gs.text;
        let Some(font) = ts.font.clone() else {
            if !bytes.is_empty() {
                self.problem("text shown without a font (no Tf)".into());
            }
            return;
        };
        if let Some(p) = &font.problem {
            self.problem(p.clone());
        }
        let start_m = mul(tm, &gs.ctm);
        let (x, y) = apply(&start_m, 0.0, ts.rise);
        // Font size in device space: length of the transformed vertical unit.
        let (vx, vy) = (start_m[2] * ts.size, start_m[3] * ts.size);
        let size = (vx * vx + vy * vy).sqrt();
        let mut text = String::new();
        for g in font.glyphs(bytes) {
            match &g.text {
                Some(t) => text.push_str(t),
                None => {
                    text.push('\u{FFFD}');
                    self.problem(format!(
                        "font {} code 0x{:X} has no Unicode mapping (no usable /ToUnicode or encoding)",
                        font.base_font, g.code
                    ));
                }
            }
            let tx =
                (g.width * ts.size + ts.char_space + if g.is_space { ts.word_space } else { 0.0 })
                    * ts.hscale;
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
        }
        let end_m = mul(tm, &gs.ctm);
        let (end_x, _) = apply(&end_m, 0.0, ts.rise);
        if ts.render == 3 || ts.render == 7 || text.is_empty() {
            return;
        }
        if self.fragments.len() < 1_000_000 {
            self.fragments.push(Fragment {
                x,
                y,
                end_x,
                size: if size.is_finite() && size > 0.0 {
                    size
                } else {
                    1.0
                },
                text: text.nfkc().collect(),
            });
        }
    }
}

/// `key` from the page dictionary or the nearest ancestor in the page tree.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    let mut cur = page;
    for _ in 0..64 {
        if let Some(Object::Dictionary(d)) = get(doc, cur, key) {
            return Some(d);
        }
        match get(doc, cur, b"Parent") {
            Some(Object::Dictionary(parent)) => cur = parent,
            _ => return None,
        }
    }
    None
}

fn push_cell(cells: &mut Vec<String>, cell: &mut String) {
    // Runs of two or more spaces separate cells too (monospaced layouts).
    let t = std::mem::take(cell);
    for part in t.split("  ") {
        let part = part.split_whitespace().collect::<Vec<_>>().join(" ");
        if !part.is_empty() {
            cells.push(part);
        }
    }
}

pub(crate) fn build_lines(page: usize, frags: &[Fragment]) -> Vec<TextLine> {
    let mut order: Vec<&Fragment> = frags
        .iter()
        .filter(|f| f.x.is_finite() && f.y.is_finite() && f.end_x.is_finite())
        .collect();
    order.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    // Cluster by baseline.
    let mut clusters: Vec<Vec<&Fragment>> = Vec::new();
    let mut anchor_y = f64::NAN;
    for f in order {
        let tol = 0.4 * f.size;
        match clusters.last_mut() {
            Some(c) if (anchor_y - f.y).abs() <= tol => c.push(f),
            _ => {
                anchor_y = f.y;
                clusters.push(vec![f]);
            }
        }
    }
    let mut lines = Vec::new();
    for mut c in clusters {
        c.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut prev_end: Option<(f64, f64)> = None;
        for f in c {
            if let Some((end, size)) = prev_end {
                let em = size.max(f.size);
                let gap = f.x - end;
                if gap > 0.8 * em {
                    push_cell(&mut cells, &mut cell);
                } else if gap > 0.15 * em && !cell.ends_with(' ') && !f.text.starts_with(' ') {
                    cell.push(' ');
                }
            }
            cell.push_str(&f.text);
            prev_end = Some((f.end_x.max(f.x), f.size));
        }
        push_cell(&mut cells, &mut cell);
        if !cells.is_empty() {
            lines.push(TextLine { page, cells });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the reader always wrote,
    /// the object at fault last.
    #[test]
    fn page_errors_keep_their_messages() {
        let object = object_location((7, 0));
        assert_eq!(
            PageError::PageObjectUnreadable {
                object,
                error: lopdf::Error::ObjectNotFound,
            }
            .to_string(),
            format!(
                "page object unreadable: {} (object 7 0)",
                lopdf::Error::ObjectNotFound
            )
        );
        assert_eq!(
            PageError::ContentStreamMissing {
                object,
                page_number: 2,
            }
            .to_string(),
            "content stream of page 2 is missing or not a stream (object 7 0)"
        );
        assert_eq!(
            PageError::ContentStreamUndecodable {
                object,
                page_number: 2,
                error: DecodeError::TiffPredictor,
            }
            .to_string(),
            "content stream of page 2 cannot be decoded: TIFF predictor 2 is not supported (object 7 0)"
        );
    }
}
