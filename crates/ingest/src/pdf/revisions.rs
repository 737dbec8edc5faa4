//! The revision chain of a PDF, read from the raw bytes.
//!
//! A PDF written once has one cross-reference section; every incremental update appends
//! objects, a new cross-reference section (classic table or xref stream) and a trailer whose
//! `/Prev` points to the section before. lopdf merges all of that on load, so this module
//! follows `startxref` and `/Prev` itself and reports, per revision, which objects were added,
//! replaced or freed. A linearized file's two sections (first-page and main) count as one
//! revision. Bounded: at most [`MAX_SECTIONS`] sections, xref streams decoded within a budget.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Object, Stream};

use super::decode::{Budget, DecodeError};
use super::syntax::Parser;

const MAX_SECTIONS: usize = 1000;
const MAX_ENTRIES: i64 = 10_000_000;

/// Where an object's bytes live, per an xref entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Offset(u64),
    InStream(u64, u64),
}

#[derive(Debug)]
pub(crate) struct Section {
    pub(crate) offset: usize,
    pub(crate) is_stream: bool,
    in_use: Vec<(u32, Loc)>,
    free: Vec<u32>,
    pub(crate) trailer: Dictionary,
}

/// Objects one revision changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RevisionDelta {
    pub(crate) xref_offsets: Vec<usize>,
    pub(crate) xref_stream: bool,
    pub(crate) added: Vec<u32>,
    pub(crate) replaced: Vec<u32>,
    pub(crate) freed: Vec<u32>,
}

pub(crate) struct Chain {
    pub(crate) revisions: Vec<RevisionDelta>,
    pub(crate) encrypted: bool,
}

/// Why the revision chain could not be followed, and the byte offset where it broke.
#[derive(Debug, thiserror::Error)]
#[error("{problem}")]
pub(crate) struct ChainError {
    pub(crate) offset: usize,
    problem: ChainProblem,
}

/// What broke the revision chain.
#[derive(Debug, thiserror::Error)]
enum ChainProblem {
    #[error("no startxref: the file is truncated or damaged")]
    NoStartxref,
    #[error("startxref does not give a valid offset")]
    BadStartxref,
    #[error("too many cross-reference sections")]
    TooManySections,
    #[error("/Prev is not an integer")]
    PrevNotInteger,
    #[error("/Prev {0} points outside the file")]
    PrevOutsideFile(i64),
    #[error("bad cross-reference table (no trailer)")]
    TableWithoutTrailer,
    #[error("bad cross-reference subsection header")]
    BadSubsectionHeader,
    #[error("bad cross-reference entry")]
    BadEntry,
    #[error("object number too large")]
    ObjectNumberTooLarge,
    #[error("bad cross-reference entry type")]
    BadEntryType,
    #[error("trailer is not a dictionary")]
    TrailerNotDictionary,
    #[error("no cross-reference table or stream here: {0}")]
    NoCrossReference(XrefStreamProblem),
    #[error("cross-reference stream: {0}")]
    XrefStreamUndecodable(DecodeError),
}

/// Why the bytes at a section's offset are not a cross-reference stream.
#[derive(Debug, thiserror::Error)]
enum XrefStreamProblem {
    #[error("no object header")]
    NoObjectHeader,
    #[error("no `obj` keyword")]
    NoObjKeyword,
    #[error("no stream dictionary")]
    NoStreamDictionary,
    #[error("object is not /Type /XRef")]
    NotXrefType,
    #[error("no `stream` keyword")]
    NoStreamKeyword,
    #[error("unterminated stream")]
    UnterminatedStream,
    #[error("stream runs past the end of the file")]
    StreamPastEnd,
    #[error("xref stream without /W")]
    NoWidths,
    #[error("bad /W")]
    BadWidths,
    #[error("odd /Index")]
    OddIndex,
    #[error("bad /Index")]
    BadIndex,
}

impl ChainProblem {
    fn at(self, offset: usize) -> ChainError {
        ChainError {
            offset,
            problem: self,
        }
    }
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

pub(crate) fn read_chain(buf: &[u8], budget: &mut Budget) -> Result<Chain, ChainError> {
    let sx = find_last(buf, b"startxref").ok_or(ChainProblem::NoStartxref.at(buf.len()))?;
    let mut p = Parser::new(buf, sx + b"startxref".len());
    let start = p
        .integer()
        .filter(|v| *v >= 0 && (*v as usize) < buf.len())
        .ok_or(ChainProblem::BadStartxref.at(sx))? as usize;

    // Newest first.
    let mut sections = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(start);
    while let Some(off) = next {
        if !seen.insert(off) {
            break;
        }
        if sections.len() >= MAX_SECTIONS {
            return Err(ChainProblem::TooManySections.at(off));
        }
        let mut sec = read_section(buf, off, budget)?;
        if let Ok(x) = sec.trailer.get(b"XRefStm").and_then(Object::as_i64) {
            if x >= 0 && (x as usize) < buf.len() && !seen.contains(&(x as usize)) {
                let hybrid = read_section(buf, x as usize, budget)?;
                // Table entries take precedence over the hybrid stream's.
                let known: HashSet<u32> = sec.in_use.iter().map(|e| e.0).collect();
                sec.in_use
                    .extend(hybrid.in_use.into_iter().filter(|e| !known.contains(&e.0)));
            }
        }
        next = match sec.trailer.get(b"Prev") {
            Ok(o) => {
                let v = o
                    .as_i64()
                    .map_err(|_| ChainProblem::PrevNotInteger.at(off))?;
                if v < 0 || v as usize >= buf.len() {
                    return Err(ChainProblem::PrevOutsideFile(v).at(off));
                }
                Some(v as usize)
            }
            Err(_) => None,
        };
        sections.push(sec);
    }
    sections.reverse();
    let encrypted = sections.iter().any(|s| s.trailer.has(b"Encrypt"));

    // Linearized files: everything up to /L is the original revision.
    let lin_len = linearized_length(buf);
    let mut groups: Vec<Vec<&Section>> = Vec::new();
    for s in &sections {
        let original = lin_len.is_some_and(|l| s.offset < l);
        match groups.last_mut() {
            Some(g) if original && g.iter().all(|x| lin_len.is_some_and(|l| x.offset < l)) => {
                g.push(s)
            }
            _ => groups.push(vec![s]),
        }
    }
    let mut live: HashMap<u32, Loc> = HashMap::new();
    let mut revisions = Vec::new();
    for g in groups {
        let mut delta = RevisionDelta {
            xref_offsets: g.iter().map(|s| s.offset).collect(),
            xref_stream: g.iter().any(|s| s.is_stream),
            added: Vec::new(),
            replaced: Vec::new(),
            freed: Vec::new(),
        };
        let mut entries: HashMap<u32, Loc> = HashMap::new();
        let mut freed: HashSet<u32> = HashSet::new();
        for s in &g {
            for &(n, loc) in &s.in_use {
                entries.insert(n, loc);
            }
            freed.extend(s.free.iter().copied().filter(|n| *n != 0));
        }
        let mut keys: Vec<u32> = entries.keys().copied().collect();
        keys.sort_unstable();
        for n in keys {
            let loc = entries[&n];
            match live.insert(n, loc) {
                None => delta.added.push(n),
                Some(old) if old != loc => delta.replaced.push(n),
                Some(_) => {}
            }
        }
        let mut fr: Vec<u32> = freed
            .into_iter()
            .filter(|n| !entries.contains_key(n) && live.remove(n).is_some())
            .collect();
        fr.sort_unstable();
        delta.freed = fr;
        revisions.push(delta);
    }
    Ok(Chain {
        revisions,
        encrypted,
    })
}

fn linearized_length(buf: &[u8]) -> Option<usize> {
    // The linearization dictionary is the first object, within the first 1024 bytes.
    let head = &buf[..buf.len().min(1024)];
    let i = head.windows(3).position(|w| w == b"obj")?;
    let mut p = Parser::new(buf, i + 3);
    let o = p.object(0).ok()?;
    let d = o.as_dict().ok()?;
    if !d.has(b"Linearized") {
        return None;
    }
    let l = d.get(b"L").and_then(Object::as_i64).ok()?;
    usize::try_from(l).ok()
}

fn read_section(buf: &[u8], off: usize, budget: &mut Budget) -> Result<Section, ChainError> {
    let mut p = Parser::new(buf, off);
    if p.keyword(b"xref") {
        read_table(p, off)
    } else {
        read_xref_stream(p, off, budget)
    }
}

fn read_table(mut p: Parser<'_>, off: usize) -> Result<Section, ChainError> {
    let mut in_use = Vec::new();
    let mut free = Vec::new();
    let mut total = 0i64;
    loop {
        if p.keyword(b"trailer") {
            break;
        }
        let here = p.pos;
        let (Some(first), Some(count)) = (p.integer(), p.integer()) else {
            return Err(ChainProblem::TableWithoutTrailer.at(here));
        };
        if first < 0 || count < 0 || total + count > MAX_ENTRIES {
            return Err(ChainProblem::BadSubsectionHeader.at(here));
        }
        total += count;
        for i in 0..count {
            let at = p.pos;
            let (Some(o), Some(_g)) = (p.integer(), p.integer()) else {
                return Err(ChainProblem::BadEntry.at(at));
            };
            let kind = p.token();
            let n =
                u32::try_from(first + i).map_err(|_| ChainProblem::ObjectNumberTooLarge.at(at))?;
            match kind {
                b"n" => in_use.push((n, Loc::Offset(o.max(0) as u64))),
                b"f" => free.push(n),
                _ => return Err(ChainProblem::BadEntryType.at(at)),
            }
        }
    }
    let at = p.pos;
    let trailer = match p.object(0) {
        Ok(Object::Dictionary(d)) => d,
        _ => return Err(ChainProblem::TrailerNotDictionary.at(at)),
    };
    Ok(Section {
        offset: off,
        is_stream: false,
        in_use,
        free,
        trailer,
    })
}

fn read_xref_stream(
    mut p: Parser<'_>,
    off: usize,
    budget: &mut Budget,
) -> Result<Section, ChainError> {
    let bad = |problem| ChainProblem::NoCrossReference(problem).at(off);
    let (Some(_n), Some(_g)) = (p.integer(), p.integer()) else {
        return Err(bad(XrefStreamProblem::NoObjectHeader));
    };
    if !p.keyword(b"obj") {
        return Err(bad(XrefStreamProblem::NoObjKeyword));
    }
    let dict = match p.object(0) {
        Ok(Object::Dictionary(d)) => d,
        _ => return Err(bad(XrefStreamProblem::NoStreamDictionary)),
    };
    if !dict.type_is(b"XRef") {
        return Err(bad(XrefStreamProblem::NotXrefType));
    }
    if !p.keyword(b"stream") {
        return Err(bad(XrefStreamProblem::NoStreamKeyword));
    }
    let buf = p.buf;
    let mut s = p.pos;
    if buf.get(s) == Some(&b'\r') {
        s += 1;
    }
    if buf.get(s) == Some(&b'\n') {
        s += 1;
    }
    let len = match dict.get(b"Length") {
        Ok(Object::Integer(l)) if *l >= 0 => *l as usize,
        _ => {
            // Indirect or missing: fall back to the `endstream` keyword.
            buf[s..]
                .windows(9)
                .position(|w| w == b"endstream")
                .ok_or_else(|| bad(XrefStreamProblem::UnterminatedStream))?
        }
    };
    let end = s
        .checked_add(len)
        .filter(|e| *e <= buf.len())
        .ok_or_else(|| bad(XrefStreamProblem::StreamPastEnd))?;
    let stream = Stream::new(dict.clone(), buf[s..end].to_vec());
    let data = budget
        .decode(&stream)
        .map_err(|error| ChainProblem::XrefStreamUndecodable(error).at(off))?;

    let w: Vec<usize> = dict
        .get(b"W")
        .and_then(Object::as_array)
        .map_err(|_| bad(XrefStreamProblem::NoWidths))?
        .iter()
        .map(|o| {
            o.as_i64()
                .ok()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|v| *v <= 8)
        })
        .collect::<Option<Vec<_>>>()
        .filter(|w| w.len() == 3)
        .ok_or_else(|| bad(XrefStreamProblem::BadWidths))?;
    let size = dict.get(b"Size").and_then(Object::as_i64).unwrap_or(0);
    let index: Vec<i64> = match dict.get(b"Index").and_then(Object::as_array) {
        Ok(a) => a.iter().map(|o| o.as_i64().unwrap_or(-1)).collect(),
        Err(_) => vec![0, size],
    };
    let row = w[0] + w[1] + w[2];
    let mut in_use = Vec::new();
    let mut free = Vec::new();
    let mut pos = 0usize;
    let field = |d: &[u8], at: usize, width: usize| -> u64 {
        d[at..at + width]
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    };
    for pair in index.chunks(2) {
        let [first, count] = pair else {
            return Err(bad(XrefStreamProblem::OddIndex));
        };
        if *first < 0 || *count < 0 || *count > MAX_ENTRIES {
            return Err(bad(XrefStreamProblem::BadIndex));
        }
        for i in 0..*count {
            if row == 0 || pos + row > data.len() {
                break;
            }
            let t = if w[0] == 0 {
                1
            } else {
                field(&data, pos, w[0])
            };
            let f2 = field(&data, pos + w[0], w[1]);
            let f3 = field(&data, pos + w[0] + w[1], w[2]);
            pos += row;
            let Ok(n) = u32::try_from(first + i) else {
                continue;
            };
            match t {
                0 => free.push(n),
                1 => in_use.push((n, Loc::Offset(f2))),
                2 => in_use.push((n, Loc::InStream(f2, f3))),
                _ => {}
            }
        }
    }
    Ok(Section {
        offset: off,
        is_stream: true,
        in_use,
        free,
        trailer: dict,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each problem prints what the reader always wrote,
    /// at the offset where the chain broke.
    #[test]
    fn chain_errors_keep_their_messages_and_offsets() {
        let mut budget = Budget::new(1 << 20, 1 << 20);
        let Err(error) = read_chain(b"%PDF-1.7\n", &mut budget) else {
            panic!("a file without startxref has no chain");
        };
        assert_eq!(error.offset, 9);
        assert_eq!(
            error.to_string(),
            "no startxref: the file is truncated or damaged"
        );
        let Err(error) = read_chain(b"%PDF-1.7\nstartxref\n999\n%%EOF", &mut budget) else {
            panic!("startxref points outside the file");
        };
        assert_eq!(error.offset, 9);
        assert_eq!(error.to_string(), "startxref does not give a valid offset");
        let Err(error) = read_chain(
            b"%PDF-1.7\n1 0 obj\n<< >>\nstartxref\n9\n%%EOF",
            &mut budget,
        ) else {
            panic!("an object without /Type /XRef is no xref stream");
        };
        assert_eq!(error.offset, 9);
        assert_eq!(
            error.to_string(),
            "no cross-reference table or stream here: object is not /Type /XRef"
        );
        let cases = [
            (
                ChainProblem::TooManySections,
                "too many cross-reference sections",
            ),
            (ChainProblem::PrevNotInteger, "/Prev is not an integer"),
            (
                ChainProblem::PrevOutsideFile(-1),
                "/Prev -1 points outside the file",
            ),
            (
                ChainProblem::TableWithoutTrailer,
                "bad cross-reference table (no trailer)",
            ),
            (
                ChainProblem::BadSubsectionHeader,
                "bad cross-reference subsection header",
            ),
            (ChainProblem::BadEntry, "bad cross-reference entry"),
            (
                ChainProblem::ObjectNumberTooLarge,
                "object number too large",
            ),
            (ChainProblem::BadEntryType, "bad cross-reference entry type"),
            (
                ChainProblem::TrailerNotDictionary,
                "trailer is not a dictionary",
            ),
            (
                ChainProblem::XrefStreamUndecodable(DecodeError::DocumentLimit),
                "cross-reference stream: decoded streams exceed the per-document limit",
            ),
        ];
        for (problem, text) in cases {
            assert_eq!(problem.at(0).to_string(), text);
        }
        let cases = [
            (XrefStreamProblem::NoObjectHeader, "no object header"),
            (XrefStreamProblem::NoObjKeyword, "no `obj` keyword"),
            (
                XrefStreamProblem::NoStreamDictionary,
                "no stream dictionary",
            ),
            (XrefStreamProblem::NoStreamKeyword, "no `stream` keyword"),
            (XrefStreamProblem::UnterminatedStream, "unterminated stream"),
            (
                XrefStreamProblem::StreamPastEnd,
                "stream runs past the end of the file",
            ),
            (XrefStreamProblem::NoWidths, "xref stream without /W"),
            (XrefStreamProblem::BadWidths, "bad /W"),
            (XrefStreamProblem::OddIndex, "odd /Index"),
            (XrefStreamProblem::BadIndex, "bad /Index"),
        ];
        for (problem, text) in cases {
            assert_eq!(problem.to_string(), text);
        }
    }
}
