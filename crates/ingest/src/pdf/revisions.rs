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

use super::decode::Budget;
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

/// Error: (byte offset, message).
pub(crate) type ChainError = (usize, String);

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

pub(crate) fn read_chain(buf: &[u8], budget: &mut Budget) -> Result<Chain, ChainError> {
    let sx = find_last(buf, b"startxref").ok_or_else(|| {
        (
            buf.len(),
            "no startxref: the file is truncated or damaged".to_string(),
        )
    })?;
    let mut p = Parser::new(buf, sx + b"startxref".len());
    let start =
        p.integer()
            .filter(|v| *v >= 0 && (*v as usize) < buf.len())
            .ok_or((sx, "startxref does not give a valid offset".to_string()))? as usize;

    // Newest first.
    let mut sections = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(start);
    while let Some(off) = next {
        if !seen.insert(off) {
            break;
        }
        if sections.len() >= MAX_SECTIONS {
            return Err((off, "too many cross-reference sections".to_string()));
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
                    .map_err(|_| (off, "/Prev is not an integer".to_string()))?;
                if v < 0 || v as usize >= buf.len() {
                    return Err((off, format!("/Prev {v} points outside the file")));
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
            return Err((here, "bad cross-reference table (no trailer)".to_string()));
        };
        if first < 0 || count < 0 || total + count > MAX_ENTRIES {
            return Err((here, "bad cross-reference subsection header".to_string()));
        }
        total += count;
        for i in 0..count {
            let at = p.pos;
            let (Some(o), Some(_g)) = (p.integer(), p.integer()) else {
                return Err((at, "bad cross-reference entry".to_string()));
            };
            let kind = p.token();
            let n = u32::try_from(first + i)
                .map_err(|_| (at, "object number too large".to_string()))?;
            match kind {
                b"n" => in_use.push((n, Loc::Offset(o.max(0) as u64))),
                b"f" => free.push(n),
                _ => return Err((at, "bad cross-reference entry type".to_string())),
            }
        }
    }
    let at = p.pos;
    let trailer = match p.object(0) {
        Ok(Object::Dictionary(d)) => d,
        _ => return Err((at, "trailer is not a dictionary".to_string())),
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
    let bad = |m: &str| (off, format!("no cross-reference table or stream here: {m}"));
    let (Some(_n), Some(_g)) = (p.integer(), p.integer()) else {
        return Err(bad("no object header"));
    };
    if !p.keyword(b"obj") {
        return Err(bad("no `obj` keyword"));
    }
    let dict = match p.object(0) {
        Ok(Object::Dictionary(d)) => d,
        _ => return Err(bad("no stream dictionary")),
    };
    if !dict.type_is(b"XRef") {
        return Err(bad("object is not /Type /XRef"));
    }
    if !p.keyword(b"stream") {
        return Err(bad("no `stream` keyword"));
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
                .ok_or_else(|| bad("unterminated stream"))?
        }
    };
    let end = s
        .checked_add(len)
        .filter(|e| *e <= buf.len())
        .ok_or_else(|| bad("stream runs past the end of the file"))?;
    let stream = Stream::new(dict.clone(), buf[s..end].to_vec());
    let data = budget
        .decode(&stream)
        .map_err(|e| (off, format!("cross-reference stream: {e}")))?;

    let w: Vec<usize> = dict
        .get(b"W")
        .and_then(Object::as_array)
        .map_err(|_| bad("xref stream without /W"))?
        .iter()
        .map(|o| {
            o.as_i64()
                .ok()
                .and_then(|v| usize::try_from(v).ok())
                .filter(|v| *v <= 8)
        })
        .collect::<Option<Vec<_>>>()
        .filter(|w| w.len() == 3)
        .ok_or_else(|| bad("bad /W"))?;
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
            return Err(bad("odd /Index"));
        };
        if *first < 0 || *count < 0 || *count > MAX_ENTRIES {
            return Err(bad("bad /Index"));
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
