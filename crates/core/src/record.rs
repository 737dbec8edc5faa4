//! Audit records (AEF/1 sections 1 to 3): bringing one record to canonical form and hashing it.
//!
//! Invariants:
//! * a record is hashed exactly as given: every member but `hash`, unknown members included;
//! * the only change made before hashing is the one the spec orders: `timestamp` is converted to
//!   its canonical rendering (section 2);
//! * a record that cannot be brought to canonical form still yields what can be read of it
//!   (tenant, seq, stored hashes), so one bad record never hides findings about its neighbours.

use crate::canonical;
use crate::json::{cmp_utf16, Value};
use crate::time::{self, Instant};

/// A SHA-256 digest.
pub type Digest = [u8; 32];

/// The all-zero `prev_hash` of a chain's first record.
pub const GENESIS: Digest = [0; 32];

/// Where a record sits in its input, for messages ("line 17", "row 4", "records[3]").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Location {
    /// 1-based line of a text input.
    Line(u64),
    /// 1-based data row of a table (SQLite rowid order, CSV data row).
    Row(u64),
    /// 0-based index in an export payload's `records` array.
    Index(u64),
    /// Byte offset in the input.
    Byte(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
            Location::Index(n) => write!(f, "records[{n}]"),
            Location::Byte(n) => write!(f, "byte offset {n}"),
        }
    }
}

/// One record as a reader hands it over, before canonicalization.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub loc: Location,
    pub data: RawData,
}

/// The content of a [`RawRecord`].
#[derive(Debug, Clone)]
pub enum RawData {
    /// JSON text of one record object (parsed strictly, in parallel, by the core).
    Json(Vec<u8>),
    /// A record object the reader built itself (from a SQL row, CSV row, ...).
    Value(Value),
    /// The reader could not make a record of this place; the message says why.
    Unreadable(String),
}

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
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut d = [0u8; 32];
    for i in 0..32 {
        d[i] = nib(b[2 * i])? << 4 | nib(b[2 * i + 1])?;
    }
    Some(d)
}

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> Digest {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("SHA-256 digests are 32 bytes")
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
    pub loc: Location,
    pub tenant_id: Option<String>,
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
}

impl Checked {
    /// True when the record hashes to its own stored hash.
    pub fn content_ok(&self) -> Option<bool> {
        Some(self.computed_hash? == self.stored_hash?)
    }
}

/// Canonicalizes and hashes one raw record. Never fails: problems are collected in
/// [`Checked::problems`] and whatever could be read is kept.
pub fn check(raw: RawRecord, buf: &mut Vec<u8>) -> Checked {
    let mut c = Checked {
        loc: raw.loc,
        tenant_id: None,
        seq: None,
        timestamp: None,
        stored_hash: None,
        prev_hash: None,
        computed_hash: None,
        stored_hash_text: None,
        problems: Vec::new(),
        record: None,
    };
    let value = match raw.data {
        RawData::Value(v) => v,
        RawData::Json(bytes) => match Value::parse(&bytes) {
            Ok(v) => v,
            Err(e) => {
                c.problems.push(format!("JSON refused: {e}"));
                locate_leniently(&bytes, &mut c);
                return c;
            }
        },
        RawData::Unreadable(msg) => {
            c.problems.push(msg);
            return c;
        }
    };
    check_value(value, &mut c, buf);
    c
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
    let Value::Object(_) = value else {
        c.problems.push(format!(
            "a record must be a JSON object, not {}",
            value.type_name()
        ));
        return;
    };
    match value.get("tenant_id") {
        Some(Value::String(t)) => c.tenant_id = Some(t.clone()),
        Some(v) => c
            .problems
            .push(format!("tenant_id is {}, not a string", v.type_name())),
        None => c.problems.push("member tenant_id is missing".into()),
    }
    match value.get("seq") {
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => c.seq = Some(n),
            _ => c.problems.push(format!("seq is {v}, not an integer >= 1")),
        },
        None => c.problems.push("member seq is missing".into()),
    }
    match value.get("hash") {
        Some(Value::String(h)) => match parse_hex(h) {
            Some(d) => c.stored_hash = Some(d),
            None => c.stored_hash_text = Some(h.clone()),
        },
        Some(v) => c.stored_hash_text = Some(v.to_string()),
        None => c.problems.push("member hash is missing".into()),
    }
    match value.get("prev_hash") {
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
    match value.get("timestamp") {
        Some(Value::String(t)) => match time::normalize(t) {
            Ok(i) => {
                if i.canonical_bytes() != t.as_bytes() {
                    value.set("timestamp", Value::String(i.canonical()));
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
