//! Fonts: from the codes in a content stream's strings to Unicode text and advance widths.
//!
//! Supported: simple fonts (Type1 incl. the standard 14, TrueType, Type3) through `/ToUnicode`
//! or their encoding (WinAnsi, Standard, MacRoman, MacExpert, PDFDoc, plus `/Differences` with
//! Adobe Glyph List names), and Type0 (composite) fonts through `/ToUnicode` (`bfchar` and both
//! forms of `bfrange`) with code lengths from its `codespacerange` (Identity-H: 2 bytes).
//! A code that maps to nothing yields `None`: the caller records it, never drops it silently.

use std::collections::HashMap;
use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Encoding, Object};

use super::decode::Budget;
use super::glyphs::glyph_to_char;
use super::std14::std14_width;
use super::syntax::Parser;

type Table = [Option<u16>; 256];

fn lopdf_table(name: &[u8]) -> Option<Table> {
    let mut d = Dictionary::new();
    d.set("Type", Object::Name(b"Font".to_vec()));
    d.set("Encoding", Object::Name(name.to_vec()));
    let doc = Document::new();
    match d.get_font_encoding(&doc) {
        Ok(Encoding::OneByteEncoding(t)) => Some(*t),
        _ => None,
    }
}

fn named_table(name: &[u8]) -> Option<&'static Table> {
    static TABLES: OnceLock<Vec<(&'static [u8], Option<Table>)>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        [
            &b"WinAnsiEncoding"[..],
            b"StandardEncoding",
            b"MacRomanEncoding",
            b"MacExpertEncoding",
            b"PDFDocEncoding",
        ]
        .into_iter()
        .map(|n| (n, lopdf_table(n)))
        .collect()
    });
    tables
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, t)| t.as_ref())
}

/// Follows references (bounded).
pub(crate) fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    let mut cur = o;
    for _ in 0..16 {
        match cur {
            Object::Reference(id) => match doc.get_object(*id) {
                Ok(next) => cur = next,
                Err(_) => return &Object::Null,
            },
            _ => return cur,
        }
    }
    &Object::Null
}

pub(crate) fn get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key)
        .ok()
        .map(|o| deref(doc, o))
        .filter(|o| !matches!(o, Object::Null))
}

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// A parsed `/ToUnicode` CMap.
#[derive(Debug, Default)]
pub(crate) struct CMap {
    /// (code length in bytes, low, high).
    pub(crate) ranges: Vec<(usize, u32, u32)>,
    pub(crate) map: HashMap<(usize, u32), String>,
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b))
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| (u16::from(c[0]) << 8) | u16::from(c.get(1).copied().unwrap_or(0)))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Bound on the codes one `bfrange` may expand to.
const MAX_RANGE: u32 = 65_536;

pub(crate) fn parse_cmap(data: &[u8]) -> CMap {
    let mut cm = CMap::default();
    let mut p = Parser::new(data, 0);
    let mut section: Option<&'static str> = None;
    let mut pending: Vec<Object> = Vec::new();
    let mut steps = 0usize;
    while p.pos < data.len() && steps < 2_000_000 {
        steps += 1;
        p.skip_ws();
        let Some(&c) = data.get(p.pos) else { break };
        if matches!(c, b'<' | b'[' | b'(' | b'/') {
            match p.object(0) {
                Ok(o) => pending.push(o),
                Err(_) => {
                    p.pos += 1;
                    continue;
                }
            }
        } else {
            let t = p.token();
            if t.is_empty() {
                p.pos += 1;
                continue;
            }
            match t {
                b"begincodespacerange" => section = Some("cs"),
                b"beginbfchar" => section = Some("char"),
                b"beginbfrange" => section = Some("range"),
                b"endcodespacerange" | b"endbfchar" | b"endbfrange" => section = None,
                _ => {}
            }
            pending.clear();
            continue;
        }
        let need = match section {
            Some("cs") | Some("char") => 2,
            Some("range") => 3,
            _ => {
                pending.clear();
                continue;
            }
        };
        if pending.len() < need {
            continue;
        }
        let items = std::mem::take(&mut pending);
        match (section, items.as_slice()) {
            (Some("cs"), [Object::String(lo, _), Object::String(hi, _)])
                if !lo.is_empty() && lo.len() <= 4 =>
            {
                cm.ranges.push((lo.len(), be(lo), be(hi)));
            }
            (Some("char"), [Object::String(src, _), dst]) => {
                if src.is_empty() || src.len() > 4 {
                    continue;
                }
                let text = match dst {
                    Object::String(d, _) => Some(utf16(d)),
                    Object::Name(n) => glyph_to_char(&String::from_utf8_lossy(n)),
                    _ => None,
                };
                if let Some(t) = text {
                    cm.map.insert((src.len(), be(src)), t);
                }
            }
            (Some("range"), [Object::String(lo, _), Object::String(hi, _), dst]) => {
                if lo.is_empty() || lo.len() > 4 {
                    continue;
                }
                let (a, b) = (be(lo), be(hi));
                if b < a || b - a >= MAX_RANGE {
                    continue;
                }
                match dst {
                    Object::String(d, _) if !d.is_empty() => {
                        let mut units: Vec<u16> = d
                            .chunks(2)
                            .map(|c| {
                                (u16::from(c[0]) << 8) | u16::from(c.get(1).copied().unwrap_or(0))
                            })
                            .collect();
                        let last = units.len() - 1;
                        let base = units[last];
                        for (k, code) in (a..=b).enumerate() {
                            units[last] = base.wrapping_add(k as u16);
                            cm.map
                                .insert((lo.len(), code), String::from_utf16_lossy(&units));
                        }
                    }
                    Object::Array(arr) => {
                        for (code, d) in (a..=b).zip(arr.iter()) {
                            if let Object::String(d, _) = d {
                                cm.map.insert((lo.len(), code), utf16(d));
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    cm
}

/// One decoded glyph.
#[derive(Debug, Clone)]
pub(crate) struct Glyph {
    /// Unicode text of the glyph; `None` when the font gives no way to know it.
    pub(crate) text: Option<String>,
    pub(crate) code: u32,
    /// Advance in text space units (already divided by 1000).
    pub(crate) width: f64,
    /// Single-byte code 32: word spacing applies.
    pub(crate) is_space: bool,
}

#[derive(Debug)]
pub(crate) struct Font {
    pub(crate) base_font: String,
    composite: bool,
    to_unicode: Option<CMap>,
    encoding: Option<[Option<String>; 256]>,
    widths: HashMap<u32, f64>,
    default_width: f64,
    width_scale: f64,
    /// Why this font cannot decode (reported once per use).
    pub(crate) problem: Option<String>,
}

impl Font {
    pub(crate) fn load(doc: &Document, d: &Dictionary, budget: &mut Budget) -> Font {
        let name_of = |o: Option<&Object>| match o {
            Some(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
            _ => None,
        };
        let base_font = name_of(get(doc, d, b"BaseFont")).unwrap_or_else(|| "(unnamed)".into());
        let subtype = name_of(get(doc, d, b"Subtype")).unwrap_or_default();
        let composite = subtype == "Type0";
        let mut problem = None;
        let to_unicode = match get(doc, d, b"ToUnicode") {
            Some(Object::Stream(s)) => match budget.decode(s) {
                Ok(data) => Some(parse_cmap(&data)),
                Err(e) => {
                    problem = Some(format!("font {base_font}: /ToUnicode unreadable: {e}"));
                    None
                }
            },
            _ => None,
        };
        let mut widths = HashMap::new();
        let mut default_width = 0.0;
        let mut width_scale = 1.0;
        let mut encoding = None;
        if composite {
            default_width = 1000.0;
            let desc = match get(doc, d, b"DescendantFonts") {
                Some(Object::Array(a)) => a.first().map(|o| deref(doc, o)),
                _ => None,
            };
            if let Some(Object::Dictionary(cid)) = desc {
                if let Some(dw) = get(doc, cid, b"DW").and_then(num) {
                    default_width = dw;
                }
                if let Some(Object::Array(w)) = get(doc, cid, b"W") {
                    let w: Vec<&Object> = w.iter().map(|o| deref(doc, o)).collect();
                    let mut i = 0;
                    while i < w.len() && widths.len() < 1_000_000 {
                        let Some(first) = num(w[i]).map(|v| v as u32) else {
                            break;
                        };
                        match w.get(i + 1) {
                            Some(Object::Array(list)) => {
                                for (k, o) in list.iter().enumerate() {
                                    if let Some(v) = num(deref(doc, o)) {
                                        widths.insert(first.saturating_add(k as u32), v);
                                    }
                                }
                                i += 2;
                            }
                            Some(o) => {
                                let last = num(o).map(|v| v as u32).unwrap_or(first);
                                let v = w.get(i + 2).and_then(|o| num(o)).unwrap_or(default_width);
                                for c in first..=last.min(first.saturating_add(65_535)) {
                                    widths.insert(c, v);
                                }
                                i += 3;
                            }
                            None => break,
                        }
                    }
                }
            }
            let enc = name_of(get(doc, d, b"Encoding")).unwrap_or_default();
            if to_unicode.is_none() && problem.is_none() {
                problem = Some(format!(
                    "font {base_font} (Type0, /Encoding /{enc}) has no /ToUnicode map: its text cannot be decoded"
                ));
            }
        } else {
            let first = get(doc, d, b"FirstChar").and_then(num).unwrap_or(0.0) as u32;
            if let Some(Object::Array(w)) = get(doc, d, b"Widths") {
                for (k, o) in w.iter().enumerate().take(256) {
                    if let Some(v) = num(deref(doc, o)) {
                        widths.insert(first.saturating_add(k as u32), v);
                    }
                }
            }
            if let Some(Object::Dictionary(fd)) = get(doc, d, b"FontDescriptor") {
                if let Some(mw) = get(doc, fd, b"MissingWidth").and_then(num) {
                    default_width = mw;
                }
            }
            if subtype == "Type3" {
                if let Some(Object::Array(m)) = get(doc, d, b"FontMatrix") {
                    if let Some(a) = m.first().and_then(num) {
                        width_scale = a * 1000.0;
                    }
                }
            }
            encoding = Some(simple_encoding(doc, d, &base_font));
        }
        Font {
            base_font,
            composite,
            to_unicode,
            encoding,
            widths,
            default_width,
            width_scale,
            problem,
        }
    }

    /// Splits a string operand into codes and decodes each.
    pub(crate) fn glyphs(&self, bytes: &[u8]) -> Vec<Glyph> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let len = self.code_len(&bytes[i..]);
            let end = (i + len).min(bytes.len());
            let code = be(&bytes[i..end]);
            let mut text = self
                .to_unicode
                .as_ref()
                .and_then(|cm| cm.map.get(&(end - i, code)).cloned());
            if text.is_none() && !self.composite {
                text = self
                    .encoding
                    .as_ref()
                    .and_then(|e| e.get(code as usize).cloned().flatten());
            }
            let width = match self.widths.get(&code) {
                Some(w) => *w * self.width_scale,
                None => text
                    .as_deref()
                    .and_then(|t| t.chars().next())
                    .and_then(|c| std14_width(&self.base_font, c))
                    .unwrap_or(if self.default_width > 0.0 {
                        self.default_width
                    } else {
                        500.0
                    }),
            } / 1000.0;
            out.push(Glyph {
                text,
                code,
                width,
                is_space: !self.composite && code == 32,
            });
            i = end;
        }
        out
    }

    fn code_len(&self, rest: &[u8]) -> usize {
        if !self.composite {
            return 1;
        }
        if let Some(cm) = &self.to_unicode {
            if !cm.ranges.is_empty() {
                for len in 1..=4usize {
                    if rest.len() < len {
                        break;
                    }
                    let c = be(&rest[..len]);
                    if cm
                        .ranges
                        .iter()
                        .any(|(l, lo, hi)| *l == len && *lo <= c && c <= *hi)
                    {
                        return len;
                    }
                }
            }
        }
        2
    }
}

fn simple_encoding(doc: &Document, d: &Dictionary, base_font: &str) -> [Option<String>; 256] {
    let symbolic_std = base_font.starts_with("Symbol") || base_font.starts_with("ZapfDingbats");
    let (base, diffs): (Option<&Table>, Option<&Vec<Object>>) = match get(doc, d, b"Encoding") {
        Some(Object::Name(n)) => (named_table(n), None),
        Some(Object::Dictionary(e)) => {
            let base = match get(doc, e, b"BaseEncoding") {
                Some(Object::Name(n)) => named_table(n),
                _ => None,
            };
            let diffs = match get(doc, e, b"Differences") {
                Some(Object::Array(a)) => Some(a),
                _ => None,
            };
            (base, diffs)
        }
        _ => (None, None),
    };
    let base = match base {
        Some(t) => Some(t),
        None if symbolic_std => None,
        None => named_table(b"StandardEncoding"),
    };
    let mut out: [Option<String>; 256] = std::array::from_fn(|_| None);
    if let Some(t) = base {
        for (i, v) in t.iter().enumerate() {
            out[i] = v
                .and_then(|u| char::from_u32(u32::from(u)))
                .map(String::from);
        }
    }
    if let Some(diffs) = diffs {
        let mut code: usize = 0;
        for o in diffs {
            match deref(doc, o) {
                Object::Integer(i) => code = (*i).clamp(0, 256) as usize,
                Object::Name(n) => {
                    if code < 256 {
                        out[code] = glyph_to_char(&String::from_utf8_lossy(n));
                    }
                    code += 1;
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_forms() {
        let cm = parse_cmap(
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
              2 beginbfchar <0003> <0020> <0011> <00660069> endbfchar\n\
              2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0078> <0079>] endbfrange",
        );
        assert_eq!(cm.map[&(2, 3)], " ");
        assert_eq!(cm.map[&(2, 0x11)], "fi");
        assert_eq!(cm.map[&(2, 0x26)], "C");
        assert_eq!(cm.map[&(2, 0x31)], "y");
        assert_eq!(cm.ranges, vec![(2, 0, 0xffff)]);
    }

    #[test]
    fn tables_load() {
        let t = named_table(b"WinAnsiEncoding").unwrap();
        assert_eq!(t[0x80], Some(0x20AC));
        assert!(named_table(b"StandardEncoding").is_some());
        assert!(named_table(b"MacRomanEncoding").is_some());
    }
}
