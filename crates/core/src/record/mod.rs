//! Audit records (AEF/1 sections 1 to 3): bringing one record to canonical form and hashing it.
//!
//! Invariants:
//! * a record is hashed exactly as given: every member but `hash`, unknown members included;
//! * the only change made before hashing is the one the spec orders: `timestamp` is converted to
//!   its canonical rendering (section 2);
//! * a record that cannot be brought to canonical form still yields what can be read of it
//!   (tenant, seq, stored hashes), so one bad record never hides findings about its neighbours;
//! * a [`Row`] is checked exactly as the value [`Row::to_value`] gives (a test holds the two
//!   equal, messages included): only its common case is hashed straight from its cells;
//! * JSON text is checked exactly as the value it parses to: text already in canonical form is
//!   hashed where it lies (`canonical_text`), anything else is parsed first.

use crate::canonical;
use crate::json::{cmp_utf16, Value};
use crate::time::{self, Instant};

mod canonical_text;
mod input;
pub mod members;
use input::span;
pub use input::{Cell, Location, RawData, RawRecord, Row, RowCell, RowShape};

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// The all-zero `prev_hash` of a chain's first record.
pub const GENESIS: Digest = [0; 32];

/// Lowercase hex of a digest.
pub fn hex(d: &Digest) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

/// Parses 64 lowercase hex digits.
pub fn parse_hex(s: &str) -> Option<Digest> {
    parse_hex_bytes(s.as_bytes())
}

/// [`parse_hex`] of the digits as bytes (anything but lowercase hex digits is refused, so the
/// text needs no UTF-8 check first).
pub(crate) fn parse_hex_bytes(b: &[u8]) -> Option<Digest> {
    let b: &[u8; 64] = b.try_into().ok()?;
    // Every record has two digests to read: a table, and one test of all nibbles at the end.
    const NIBBLE: [u8; 256] = {
        let mut t = [0xFF; 256];
        let mut c = 0;
        while c < 10 {
            t[b'0' as usize + c] = c as u8;
            c += 1;
        }
        let mut c = 0;
        while c < 6 {
            t[b'a' as usize + c] = 10 + c as u8;
            c += 1;
        }
        t
    };
    let mut d = [0u8; 32];
    let mut bad = 0u8;
    for (out, pair) in d.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
        bad |= hi | lo;
        *out = hi << 4 | lo;
    }
    (bad & 0xF0 == 0).then_some(d)
}

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> Digest {
    sha256_of(&[bytes])
}

/// SHA-256 of the concatenation of `parts`, by the code that costs least on this CPU: a
/// record's few hundred bytes hash ~12% faster with the sha2 crate's SHA-NI code than with
/// ring's where the CPU has SHA extensions (ring's set-up and finish cost more; in bulk the two
/// are equal), while without them ring's AVX assembly runs ~1.8x the sha2 crate. The digest is
/// the same either way.
pub fn sha256_of(parts: &[&[u8]]) -> Digest {
    if sha_extensions() {
        sha256_sha2(parts)
    } else {
        sha256_ring(parts)
    }
}

/// Whether the CPU has SHA extensions (looked up once).
fn sha_extensions() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static SHA: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *SHA.get_or_init(|| std::arch::is_x86_feature_detected!("sha"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn sha256_sha2(parts: &[&[u8]]) -> Digest {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn sha256_ring(parts: &[&[u8]]) -> Digest {
    let mut c = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        c.update(p);
    }
    c.finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 digests are 32 bytes")
}

/// Appends the canonical bytes that are hashed for a record: the object without `hash`.
/// `record` must be an object with a canonical `timestamp`.
pub fn write_hashed_bytes(record: &Value, out: &mut Vec<u8>) {
    if let Value::Object(m) = record {
        canonical::write_members(
            m.iter()
                .filter(|(k, _)| k != "hash")
                .map(|(k, v)| (k.as_str(), v)),
            out,
        );
    } else {
        canonical::write_value(record, out);
    }
}

/// The hash a record should carry: SHA-256 of its canonical form without `hash`.
pub fn compute_hash(record: &Value) -> Digest {
    let mut buf = Vec::with_capacity(1024);
    write_hashed_bytes(record, &mut buf);
    sha256(&buf)
}

/// What could be read of one record, and whether it could be canonicalized.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Where the record is in its input.
    pub loc: Location,
    /// Its `tenant_id`, when it is a string.
    pub tenant_id: Option<String>,
    /// Its `seq`, when it is an integer of at least 1.
    pub seq: Option<u64>,
    /// Canonical instant of `timestamp`, when it could be converted.
    pub timestamp: Option<Instant>,
    /// The stored `hash`, when it is 64 lowercase hex digits.
    pub stored_hash: Option<Digest>,
    /// The stored `prev_hash`, when it is 64 lowercase hex digits.
    pub prev_hash: Option<Digest>,
    /// SHA-256 of the canonical form without `hash`; `None` when not canonical.
    pub computed_hash: Option<Digest>,
    /// The raw text of `hash` when it is not 64 lowercase hex (so a message can quote it).
    pub stored_hash_text: Option<String>,
    /// Why the record is not canonical (`not_canonical`), if it is not.
    pub problems: Vec<String>,
    /// The canonical record (timestamp normalized); `None` when unreadable.
    pub record: Option<Value>,
    /// What stands for the record when its tree was not built because a reader of its
    /// members only ([`Keep::TextOrRecord`]) was asked for.
    pub kept: Option<Kept>,
}

/// What [`Keep::TextOrRecord`] keeps of a record instead of its tree: what its members can be
/// read from without building it.
#[derive(Debug, Clone)]
pub enum Kept {
    /// A JSON record's own text, canonical as it lies (see [`members`]).
    Text {
        /// The text.
        text: Vec<u8>,
        /// Where its top-level members lie, as the scan that found it canonical noted them
        /// ([`check_with_members`]; `None` when it did not note them all).
        members: Option<Box<[members::Span]>>,
    },
    /// A row checked as a row: its cells are its members ([`Row::cell`]). Its canonical text
    /// is not copied out of the buffer it was hashed in.
    Row(Row),
}

/// What [`check_with`] keeps of a record, besides what every check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Nothing: [`Checked::record`] and [`Checked::kept`] stay `None`.
    Nothing,
    /// The record as a [`Value`] tree.
    Record,
    /// What its members can be read from without a tree ([`Kept`]): a JSON record's text as
    /// it lies, where it is canonical, or a row checked as a row; otherwise its tree.
    TextOrRecord,
}

impl Checked {
    /// A record at `loc` of which nothing was read yet.
    fn nothing_read(loc: Location) -> Checked {
        Checked {
            loc,
            tenant_id: None,
            seq: None,
            timestamp: None,
            stored_hash: None,
            prev_hash: None,
            computed_hash: None,
            stored_hash_text: None,
            problems: Vec::new(),
            record: None,
            kept: None,
        }
    }

    /// True when the record hashes to its own stored hash.
    pub fn content_ok(&self) -> Option<bool> {
        Some(self.computed_hash? == self.stored_hash?)
    }
}

/// Canonicalizes and hashes one raw record. Never fails: problems are collected in
/// [`Checked::problems`] and whatever could be read is kept.
pub fn check(raw: RawRecord, buf: &mut Vec<u8>) -> Checked {
    check_keeping(raw, buf, |_| true)
}

/// Like [`check`], keeping [`Checked::record`] only where `keep` accepts the record's tenant
/// (`None` when unreadable); everything else is the same. A row then never becomes a
/// [`Value`] for nothing.
pub fn check_keeping(
    raw: RawRecord,
    buf: &mut Vec<u8>,
    keep: impl Fn(Option<&str>) -> bool,
) -> Checked {
    check_with(
        raw,
        buf,
        |t| if keep(t) { Keep::Record } else { Keep::Nothing },
    )
}

/// Like [`check`], keeping of each record what `keep` asks for its tenant (`None` when
/// unreadable); everything else is the same.
pub fn check_with(
    raw: RawRecord,
    buf: &mut Vec<u8>,
    keep: impl Fn(Option<&str>) -> Keep,
) -> Checked {
    check_on(raw, buf, keep, true, false)
}

/// Like [`check_with`], for a caller that asks for [`Keep::TextOrRecord`]: the scan of a
/// canonical JSON text also notes where its members lie ([`Kept::Text`]), so that a reader of
/// members does not look for them again. A check that keeps nothing is better off without it.
pub fn check_with_members(
    raw: RawRecord,
    buf: &mut Vec<u8>,
    keep: impl Fn(Option<&str>) -> Keep,
) -> Checked {
    check_on(raw, buf, keep, true, true)
}

/// [`check_keeping`], taking the canonical-text path for JSON only when `as_written` is set
/// (the tests compare the two), noting where a canonical text's members lie when
/// `note_members` is.
fn check_on(
    raw: RawRecord,
    buf: &mut Vec<u8>,
    keep_what: impl Fn(Option<&str>) -> Keep,
    as_written: bool,
    note_members: bool,
) -> Checked {
    let keep = |t: Option<&str>| keep_what(t) != Keep::Nothing;
    let mut c = Checked::nothing_read(raw.loc);
    let value = match raw.data {
        RawData::Value(v) => v,
        RawData::Json(bytes) => {
            let mut spans = note_members.then(members::Spans::default);
            if as_written && canonical_text::check_canonical_text(&bytes, &mut c, spans.as_mut()) {
                match keep_what(c.tenant_id.as_deref()) {
                    Keep::Nothing => return c,
                    Keep::TextOrRecord => {
                        c.kept = Some(Kept::Text {
                            text: bytes,
                            members: spans.and_then(|s| s.to_boxed()),
                        });
                        return c;
                    }
                    Keep::Record => {}
                }
                // Canonical text parses, and its timestamp needs no rewriting.
                if let Ok(v) = Value::parse(&bytes) {
                    c.record = Some(v);
                    return c;
                }
                c = Checked::nothing_read(c.loc);
            }
            match Value::parse(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    c.problems.push(format!("JSON refused: {e}"));
                    locate_leniently(&bytes, &mut c);
                    return c;
                }
            }
        }
        RawData::Row(row) => {
            if !check_row(&row, &mut c, buf) {
                check_value(row.to_value(), &mut c, buf);
                if !keep(c.tenant_id.as_deref()) {
                    c.record = None;
                }
                return c;
            }
            match keep_what(c.tenant_id.as_deref()) {
                Keep::Nothing => {}
                // A row's cells are its members: a reader of members needs no tree.
                Keep::TextOrRecord => c.kept = Some(Kept::Row(row)),
                Keep::Record => {
                    let mut v = row.to_value();
                    if let (Some(i), Some(t)) = (&c.timestamp, row.text_of(row.shape.timestamp)) {
                        if i.canonical_bytes() != t.as_bytes() {
                            v.set("timestamp", Value::String(i.canonical()));
                        }
                    }
                    c.record = Some(v);
                }
            }
            return c;
        }
        RawData::Unreadable(msg) => {
            c.problems.push(msg);
            return c;
        }
    };
    check_value(value, &mut c, buf);
    if !keep(c.tenant_id.as_deref()) {
        c.record = None;
    }
    c
}

/// The common case of a row, without building its value: `tenant_id`, `hash` and `prev_hash`
/// are text (the hashes 64 lowercase hex digits), `seq` an integer >= 1 and `timestamp` text
/// that converts. False, with `c` untouched, for anything else: [`check_value`] then judges the
/// row's value, so that every message stays the one it gives.
fn check_row(row: &Row, c: &mut Checked, buf: &mut Vec<u8>) -> bool {
    let shape = &row.shape;
    let (Some(tenant), Some(hash), Some(prev), Some(ts)) = (
        row.text_of(shape.tenant_id),
        row.text_of(shape.hash).and_then(parse_hex),
        row.text_of(shape.prev_hash).and_then(parse_hex),
        row.text_of(shape.timestamp),
    ) else {
        return false;
    };
    let seq = match shape.seq.map(|i| &row.cells[i]) {
        Some(RowCell::Number(n)) => match Value::Number(*n).as_u64() {
            Some(n) if n >= 1 => n,
            _ => return false,
        },
        _ => return false,
    };
    let Ok(instant) = time::normalize(ts) else {
        return false;
    };
    let canonical_ts = instant.canonical_bytes();
    buf.clear();
    buf.push(b'{');
    let mut first = true;
    for (i, cell) in row.cells.iter().enumerate() {
        if Some(i) == shape.hash {
            continue;
        }
        if !first {
            buf.push(b',');
        }
        first = false;
        buf.extend_from_slice(&shape.keys[i]);
        match cell {
            RowCell::Null => buf.extend_from_slice(b"null"),
            RowCell::Number(n) => canonical::write_number(*n, buf),
            RowCell::Text(..) if Some(i) == shape.timestamp => {
                buf.push(b'"');
                buf.extend_from_slice(&canonical_ts);
                buf.push(b'"');
            }
            RowCell::Text(a, b) => canonical::write_string(&row.text[span(*a, *b)], buf),
            RowCell::Json(v) => canonical::write_value(v, buf),
            RowCell::Canonical(a, b) => buf.extend_from_slice(&row.text.as_bytes()[span(*a, *b)]),
        }
    }
    buf.push(b'}');
    c.tenant_id = Some(tenant.to_string());
    c.seq = Some(seq);
    c.stored_hash = Some(hash);
    c.prev_hash = Some(prev);
    c.timestamp = Some(instant);
    c.computed_hash = Some(sha256(buf));
    true
}

/// For a record the strict parser refused (duplicate member, unsafe integer, ...): reads what
/// locates it in its chain (tenant, seq, hashes, timestamp) with a lenient parser, so its
/// neighbours are still judged correctly. Its content is never hashed: `computed_hash` stays
/// `None` and the record stays `not_canonical`.
fn locate_leniently(bytes: &[u8], c: &mut Checked) {
    let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(bytes)
    else {
        return;
    };
    let s = |k: &str| m.get(k).and_then(serde_json::Value::as_str);
    c.tenant_id = s("tenant_id").map(str::to_string);
    c.seq = m
        .get("seq")
        .and_then(serde_json::Value::as_u64)
        .filter(|n| *n >= 1);
    c.stored_hash = s("hash").and_then(parse_hex);
    c.prev_hash = s("prev_hash").and_then(parse_hex);
    c.timestamp = s("timestamp").and_then(|t| time::normalize(t).ok());
}

fn check_value(mut value: Value, c: &mut Checked, buf: &mut Vec<u8>) {
    let Value::Object(members) = &value else {
        c.problems.push(format!(
            "a record must be a JSON object, not {}",
            value.type_name()
        ));
        return;
    };
    // The five members this needs, in one pass (names are unique in a `Value`).
    let (mut tenant, mut seq, mut hash, mut prev, mut ts) = (None, None, None, None, None);
    for (k, v) in members {
        match k.as_str() {
            "tenant_id" => tenant = Some(v),
            "seq" => seq = Some(v),
            "hash" => hash = Some(v),
            "prev_hash" => prev = Some(v),
            "timestamp" => ts = Some(v),
            _ => {}
        }
    }
    match tenant {
        Some(Value::String(t)) => c.tenant_id = Some(t.clone()),
        Some(v) => c
            .problems
            .push(format!("tenant_id is {}, not a string", v.type_name())),
        None => c.problems.push("member tenant_id is missing".into()),
    }
    match seq {
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => c.seq = Some(n),
            _ => c.problems.push(format!("seq is {v}, not an integer >= 1")),
        },
        None => c.problems.push("member seq is missing".into()),
    }
    match hash {
        Some(Value::String(h)) => match parse_hex(h) {
            Some(d) => c.stored_hash = Some(d),
            None => c.stored_hash_text = Some(h.clone()),
        },
        Some(v) => c.stored_hash_text = Some(v.to_string()),
        None => c.problems.push("member hash is missing".into()),
    }
    match prev {
        Some(Value::String(h)) => match parse_hex(h) {
            Some(d) => c.prev_hash = Some(d),
            None => c
                .problems
                .push(format!("prev_hash {h:?} is not 64 lowercase hex digits")),
        },
        Some(v) => c
            .problems
            .push(format!("prev_hash is {}, not a string", v.type_name())),
        None => c.problems.push("member prev_hash is missing".into()),
    }
    let mut ts_ok = false;
    let mut ts_rewrite = None;
    match ts {
        Some(Value::String(t)) => match time::normalize(t) {
            Ok(i) => {
                if i.canonical_bytes() != t.as_bytes() {
                    ts_rewrite = Some(i.canonical());
                }
                c.timestamp = Some(i);
                ts_ok = true;
            }
            Err(e) => c.problems.push(e.to_string()),
        },
        Some(v) => c
            .problems
            .push(format!("timestamp is {}, not a string", v.type_name())),
        None => c.problems.push("member timestamp is missing".into()),
    }
    if let Some(t) = ts_rewrite {
        value.set("timestamp", Value::String(t));
    }
    if ts_ok {
        buf.clear();
        write_hashed_bytes(&value, buf);
        c.computed_hash = Some(sha256(buf));
    }
    c.record = Some(value);
}

/// Names a record for messages: "acme seq 17".
pub fn describe(tenant: Option<&str>, seq: Option<u64>) -> String {
    match (tenant, seq) {
        (Some(t), Some(s)) => format!("{t} seq {s}"),
        (Some(t), None) => format!("{t} (seq unreadable)"),
        (None, Some(s)) => format!("seq {s} (tenant unreadable)"),
        (None, None) => "record (tenant and seq unreadable)".into(),
    }
}

/// Sorted member names of an object (for field-level comparison of two records).
pub fn member_names(v: &Value) -> Vec<&str> {
    match v {
        Value::Object(m) => m.iter().map(|(k, _)| k.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// Names of the members whose values differ between two records (canonical order), `hash`
/// included.
pub fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let (Value::Object(x), Value::Object(y)) = (a, b) else {
        return vec!["(record)".into()];
    };
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < x.len() || j < y.len() {
        let ord = match (x.get(i), y.get(j)) {
            (Some(p), Some(q)) => cmp_utf16(&p.0, &q.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match ord {
            std::cmp::Ordering::Less => {
                out.push(x[i].0.clone());
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y[j].0.clone());
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if x[i].1 != y[j].1 {
                    out.push(x[i].0.clone());
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Both ways of hashing give SHA-256 (FIPS 180-2's "abc"; a message of two blocks split
    /// across parts), whichever this CPU takes.
    #[test]
    fn both_sha256_backends_agree_with_the_standard() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        for f in [sha256_sha2, sha256_ring] {
            assert_eq!(hex(&f(&[b"abc"])), abc);
            assert_eq!(hex(&f(&[b"a", b"", b"bc"])), abc);
            let long: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
            assert_eq!(f(&[&long[..300], &long[300..]]), sha256_ring(&[&long]));
            assert_eq!(f(&[]), sha256_ring(&[b""]));
        }
        assert_eq!(hex(&sha256(b"abc")), abc);
    }

    /// Exactly 64 lowercase hex digits read as a digest; every other byte at any place, an
    /// uppercase digit and any other length are refused.
    #[test]
    fn parse_hex_reads_lowercase_hex_digests_only() {
        let digest: Digest = std::array::from_fn(|i| (i * 37 + 5) as u8);
        let text = hex(&digest);
        assert_eq!(parse_hex(&text), Some(digest));
        assert_eq!(parse_hex(&"0".repeat(64)), Some([0; 32]));
        assert_eq!(parse_hex(&"f".repeat(64)), Some([0xFF; 32]));
        for at in [0, 1, 31, 62, 63] {
            for bad in ['g', 'A', 'F', ':', '/', '`', ' ', '\0', 'é'] {
                let mut t: Vec<char> = text.chars().collect();
                t[at] = bad;
                let t: String = t.into_iter().collect();
                assert_eq!(parse_hex(&t), None, "{bad:?} at {at}");
            }
        }
        for len in [0, 63, 65, 128] {
            assert_eq!(parse_hex(&"a".repeat(len)), None, "length {len}");
        }
    }

    /// One text buffer for every cell, and a cell reading `s` from it.
    struct Text(String);

    impl Text {
        fn cell(&mut self, s: &str) -> RowCell {
            let a = self.0.len();
            self.0.push_str(s);
            RowCell::text(a, self.0.len()).unwrap()
        }

        /// A cell holding JSON `json` in canonical form, as a dump reader writes it.
        fn canonical(&mut self, json: &str) -> RowCell {
            let mut bytes = Vec::new();
            assert!(
                crate::canonical::TextCanonicalizer::default().write(json.as_bytes(), &mut bytes)
            );
            let a = self.0.len();
            self.0.push_str(std::str::from_utf8(&bytes).unwrap());
            RowCell::canonical(a, self.0.len()).unwrap()
        }
    }

    /// Every row (odd ones included) is judged exactly as the record it stands for: same
    /// tenant, seq, hashes, timestamp, problems and kept record, down to the messages.
    #[test]
    fn a_row_checks_as_its_value_does() {
        let h = "ab".repeat(32);
        let mut text = Text(String::new());
        let tenants = [text.cell("acme"), RowCell::Null, RowCell::Number(7.0)];
        let seqs = [
            RowCell::Number(5.0),
            RowCell::Number(0.0),
            RowCell::Number(1.5),
            RowCell::Number(-2.0),
            text.cell("5"),
            RowCell::Null,
        ];
        let hashes = [
            text.cell(&h),
            text.cell("XYZ"),
            RowCell::Null,
            RowCell::Number(1.0),
        ];
        let prevs = [
            text.cell(&"0".repeat(64)),
            text.cell(&h.to_uppercase()),
            RowCell::Null,
        ];
        let stamps = [
            text.cell("2026-04-30T13:41:23.120000000Z"),
            text.cell("2026-04-30 15:41:23.12+02"),
            text.cell("yesterday"),
            RowCell::Null,
        ];
        let others = [
            text.cell("quote \" back \\ line \n tab \t \u{1} é 😀"),
            RowCell::Json(Box::new(
                Value::parse(br#"{"z":[1,2.5e30,-0.0,null],"a":{"\u00e9":true}}"#).unwrap(),
            )),
            text.canonical(r#"{"z": [1, 2.5e30, -0.0, null], "a": {"\u00e9": true, "b": "\n"}}"#),
            RowCell::Number(1e21),
            RowCell::Number(-0.0),
            RowCell::Null,
        ];
        let text: Arc<str> = Arc::from(text.0.as_str());
        // Every member, and one without `prev_hash` nor `timestamp`.
        let full = [
            "action",
            "hash",
            "prev_hash",
            "seq",
            "tenant_id",
            "timestamp",
            "\u{fb01}",
        ];
        let partial = ["action", "hash", "seq", "tenant_id", "\u{fb01}"];
        let mut rows = 0;
        for names in [&full[..], &partial[..]] {
            let shape = Arc::new(RowShape::new(names).unwrap());
            let mut n = 0;
            for t in &tenants {
                for s in &seqs {
                    for hh in &hashes {
                        for p in &prevs {
                            for ts in &stamps {
                                n += 1;
                                let cells: Vec<RowCell> = names
                                    .iter()
                                    .map(|name| match *name {
                                        "tenant_id" => t.clone(),
                                        "seq" => s.clone(),
                                        "hash" => hh.clone(),
                                        "prev_hash" => p.clone(),
                                        "timestamp" => ts.clone(),
                                        _ => others[n % others.len()].clone(),
                                    })
                                    .collect();
                                let row =
                                    Row::new(Arc::clone(&shape), Arc::clone(&text), cells).unwrap();
                                let raw = |data| RawRecord {
                                    loc: Location::Row(n as u64),
                                    data,
                                };
                                let want =
                                    check(raw(RawData::Value(row.to_value())), &mut Vec::new());
                                let got = check(raw(RawData::Row(row.clone())), &mut Vec::new());
                                assert_eq!(format!("{got:?}"), format!("{want:?}"));
                                let lean =
                                    check_keeping(raw(RawData::Row(row)), &mut Vec::new(), |_| {
                                        false
                                    });
                                assert!(lean.record.is_none());
                                assert_eq!(
                                    format!(
                                        "{:?}",
                                        Checked {
                                            record: None,
                                            ..lean
                                        }
                                    ),
                                    format!(
                                        "{:?}",
                                        Checked {
                                            record: None,
                                            ..want
                                        }
                                    )
                                );
                                rows += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(rows, 2 * 3 * 6 * 4 * 3 * 4);
    }

    #[test]
    fn the_common_row_is_hashed_without_a_value_and_to_the_known_hash() {
        // The first vector record of the spec, as the row a SQLite dump holds.
        let line = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/records.jsonl"
        ))
        .expect("the vectors are in the repository");
        let v = Value::parse(line.lines().next().unwrap().as_bytes()).unwrap();
        let Value::Object(m) = &v else { panic!() };
        let mut text = Text(String::new());
        let cells = m
            .iter()
            .map(|(_, x)| match x {
                Value::String(s) => text.cell(s),
                Value::Number(n) => RowCell::Number(*n),
                Value::Null => RowCell::Null,
                other => RowCell::Json(Box::new(other.clone())),
            })
            .collect();
        let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        let shape = Arc::new(RowShape::new(&names).unwrap());
        let row = Row::new(shape, Arc::from(text.0.as_str()), cells).unwrap();
        let mut c = Checked::nothing_read(Location::Row(1));
        assert!(
            check_row(&row, &mut c, &mut Vec::new()),
            "the fast path takes it"
        );
        assert_eq!(c.computed_hash, c.stored_hash);
        assert!(c.computed_hash.is_some());
    }
}
