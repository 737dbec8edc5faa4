//! From text lines to the export's visible parts: header, table rows, integrity section.
//!
//! Rows are found in the stream of cells in reading order (lines top to bottom, cells left to
//! right, pages in order), so a row reads the same whether a producer draws it as one line or
//! as one cell per line, or lets a timestamp run into the next cell. Column order comes from the
//! table header when one is found (extra columns are skipped), else the spec's order. A cell
//! sequence is a row only when its seq cell is an integer, its timestamp cell looks like a
//! timestamp and its hash cell is hex: header rows, footers ("Page 1 of 2") and labels never
//! qualify.

use super::content::TextLine;
use super::{Located, VisibleChainHead, VisibleHeader, VisibleIntegrity, VisibleRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Seq,
    Timestamp,
    Action,
    Severity,
    Actor,
    Outcome,
    Hash,
    Other,
}

const DEFAULT_COLS: [Col; 7] = [
    Col::Seq,
    Col::Timestamp,
    Col::Action,
    Col::Severity,
    Col::Actor,
    Col::Outcome,
    Col::Hash,
];

fn label_col(cell: &str) -> Option<Col> {
    let l = cell.trim().trim_end_matches(':').to_ascii_lowercase();
    if l.is_empty() || l.len() > 40 || l.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(match l.as_str() {
        "seq" | "#" | "seq." | "sequence" => Col::Seq,
        "timestamp" | "time" | "timestamp (utc)" => Col::Timestamp,
        "action" | "event" => Col::Action,
        "severity" => Col::Severity,
        "actor" | "actor_user_id" | "user" | "actor user id" | "actor user" => Col::Actor,
        "outcome" | "result" => Col::Outcome,
        h if h.starts_with("hash") => Col::Hash,
        _ => Col::Other,
    })
}

fn is_seq(s: &str) -> bool {
    !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit())
}

fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// A timestamp with date, `T` and time in one word (`2026-04-30T08:09:13Z` and longer).
fn is_full_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    looks_like_timestamp(s) && b.len() >= 20 && b[10] == b'T' && b[13] == b':'
}

fn looks_like_hash(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

struct Cell<'a> {
    text: &'a str,
    page: usize,
}

pub(crate) fn parse_rows(lines: &[TextLine]) -> Vec<VisibleRow> {
    // Sized once: a million cells grown by doubling held up to twice their 24 MB while copied.
    let words: usize = lines
        .iter()
        .flat_map(|l| &l.cells)
        .map(|c| c.split_whitespace().count().max(1))
        .sum();
    let mut cells: Vec<Cell<'_>> = Vec::with_capacity(words);
    for l in lines {
        for c in &l.cells {
            let mut words = c.split_whitespace();
            let (w1, w2) = (words.next(), words.next());
            if let (Some(a), Some(b)) = (w1, w2) {
                // A whole row drawn as one string, or a timestamp cell running into the next
                // cell (a column too narrow for it): a complete timestamp holds no space.
                if (is_seq(a) && looks_like_timestamp(b)) || is_full_timestamp(a) {
                    cells.extend(c.split_whitespace().map(|text| Cell { text, page: l.page }));
                    continue;
                }
            }
            cells.push(Cell {
                text: c,
                page: l.page,
            });
        }
    }
    // Column order from the first table header.
    let mut cols: Vec<Col> = DEFAULT_COLS.to_vec();
    let mut header_at: Option<(usize, usize)> = None;
    for i in 0..cells.len() {
        if label_col(cells[i].text) != Some(Col::Seq) {
            continue;
        }
        let mut found = Vec::new();
        let mut j = i;
        while j < cells.len() && found.len() < 32 {
            match label_col(cells[j].text) {
                Some(c) => found.push(c),
                None => break,
            }
            j += 1;
        }
        let has = |c: Col| found.contains(&c);
        if has(Col::Timestamp) && has(Col::Hash) && has(Col::Action) {
            cols = found;
            header_at = Some((i, j));
            break;
        }
    }
    let idx = |c: Col| cols.iter().position(|x| *x == c);
    let (Some(i_seq), Some(i_ts), Some(i_hash)) =
        (idx(Col::Seq), idx(Col::Timestamp), idx(Col::Hash))
    else {
        return Vec::new();
    };
    let n = cols.len();
    let mut rows = Vec::new();
    let mut i = 0;
    while i + n <= cells.len() {
        if header_at.is_some_and(|(a, b)| i >= a && i < b) {
            i += 1;
            continue;
        }
        let c = &cells[i..i + n];
        if is_seq(c[i_seq].text)
            && looks_like_timestamp(c[i_ts].text)
            && looks_like_hash(c[i_hash].text)
        {
            let get = |col: Col| idx(col).map(|k| c[k].text.to_string()).unwrap_or_default();
            if let Ok(seq) = c[i_seq].text.parse::<u64>() {
                rows.push(VisibleRow {
                    seq,
                    timestamp: get(Col::Timestamp),
                    action: get(Col::Action),
                    severity: get(Col::Severity),
                    actor_user_id: get(Col::Actor),
                    outcome: get(Col::Outcome),
                    hash_prefix: get(Col::Hash),
                    page: c[i_seq].page,
                });
                i += n;
                continue;
            }
        }
        i += 1;
    }
    rows
}

/// The value after `label` in a line: the rest of the cell, else the next cell.
fn label_value(line: &TextLine, label: &str) -> Option<String> {
    for (k, c) in line.cells.iter().enumerate() {
        if let Some(rest) = c.strip_prefix(label) {
            let rest = rest.trim();
            if !rest.is_empty() {
                return Some(rest.to_string());
            }
            return Some(line.cells.get(k + 1).cloned().unwrap_or_default());
        }
    }
    None
}

const LABELS: [&str; 9] = [
    "Tenant:",
    "Exported at:",
    "Exported by:",
    "Filters:",
    "Records:",
    "Fingerprint:",
    "Chain head:",
    "Verification URL:",
    "Verify:",
];

fn is_url_continuation(line: &TextLine) -> bool {
    let [c] = line.cells.as_slice() else {
        return false;
    };
    !c.is_empty()
        && !is_seq(c)
        && !LABELS.iter().any(|l| c.starts_with(l))
        && !c.chars().any(char::is_whitespace)
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(ch))
        && (c.contains('=')
            || c.contains('&')
            || c.contains('/')
            || c.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A URL value, with the continuation lines a wrapped URL spills onto.
fn url_value(lines: &[TextLine], k: usize, label: &str) -> Option<String> {
    let mut v = label_value(&lines[k], label)?;
    // Only the first word: a footer may carry "Page 1 of 2" in the same line.
    v = v.split_whitespace().next().unwrap_or("").to_string();
    let mut j = k + 1;
    while j < lines.len()
        && j <= k + 3
        && lines[j].page == lines[k].page
        && is_url_continuation(&lines[j])
    {
        v.push_str(&lines[j].cells[0]);
        j += 1;
    }
    Some(v)
}

pub(crate) fn parse_text(
    lines: &[TextLine],
) -> (VisibleHeader, VisibleIntegrity, Vec<(usize, String)>) {
    let mut h = VisibleHeader::default();
    let mut g = VisibleIntegrity::default();
    let mut footer = Vec::new();
    let set = |slot: &mut Option<Located>, v: Option<String>, page: usize| {
        if slot.is_none() {
            if let Some(value) = v {
                *slot = Some(Located { value, page });
            }
        }
    };
    for (k, line) in lines.iter().enumerate() {
        let p = line.page;
        set(&mut h.tenant, label_value(line, "Tenant:"), p);
        set(&mut h.exported_at, label_value(line, "Exported at:"), p);
        set(&mut h.exported_by, label_value(line, "Exported by:"), p);
        set(&mut h.filters, label_value(line, "Filters:"), p);
        set(&mut g.records, label_value(line, "Records:"), p);
        set(&mut g.fingerprint, label_value(line, "Fingerprint:"), p);
        if g.chain_head.is_none() {
            if let Some(v) = label_value(line, "Chain head:") {
                let w: Vec<&str> = v.split_whitespace().collect();
                let (seq, hash) = match w.as_slice() {
                    ["seq", s, "hash", hsh, ..] => (s.to_string(), hsh.to_string()),
                    _ => (String::new(), String::new()),
                };
                g.chain_head = Some(VisibleChainHead {
                    text: v,
                    seq,
                    hash,
                    page: p,
                });
            }
        }
        if g.verification_url.is_none() {
            set(
                &mut g.verification_url,
                url_value(lines, k, "Verification URL:"),
                p,
            );
        }
        if let Some(u) = url_value(lines, k, "Verify:") {
            footer.push((p, u));
        }
    }
    (h, g, footer)
}
