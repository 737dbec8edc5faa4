//! A record whose JSON text is already canonical (RFC 8785), checked where it lies.
//!
//! Services write their records in canonical form, so a JSON Lines dump is nearly always one
//! canonical object per line. For such a text the bytes that are hashed are the text itself
//! without its `hash` member: one validating pass finds that member and the five a check reads,
//! and hashes the two slices around it, with no [`Value`](crate::json::Value) tree, no string
//! copies and no second serialization.
//!
//! Invariant: [`check_canonical_text`] accepts a text only when the strict parser accepts it and
//! the canonical form of what it parses to is the text, byte for byte; every member a check
//! reads is then in its common form (as [`check_row`](super) requires of a row). Everything
//! else (whitespace, escapes in names, a number not written as RFC 8785 writes it, a
//! non-canonical timestamp, nesting deeper than [`MAX_DEPTH`], ...) is declined, with `c`
//! untouched, and judged by the full parser, so every message stays the one it gives. The tests
//! hold the two paths equal on every mutation of canonical records and on the fuzz corpora.

use std::cmp::Ordering;

use super::members::Spans;
use super::{parse_hex_bytes, Checked, Digest};
use crate::canonical;
use crate::json::{cmp_utf16_bytes, Value};
use crate::time;

/// Deepest nesting accepted here (the full parser's limit is 128); deeper texts are declined.
pub(super) const MAX_DEPTH: usize = 32;

/// Fills `c` from `text` and returns true when `text` is a canonical record object in the
/// common form; returns false, with `c` untouched, for anything else. Notes where its
/// top-level members lie in `spans`, when given (meaningful when true is returned).
pub(super) fn check_canonical_text(
    text: &[u8],
    c: &mut Checked,
    spans: Option<&mut Spans>,
) -> bool {
    let mut scan = Scan {
        b: text,
        i: 0,
        top: Top::default(),
        spans,
    };
    if scan.object(1).is_none() || scan.i != scan.b.len() {
        return false;
    }
    let top = scan.top;
    let (Some(tenant), Some(seq), Some((hash, hash_at)), Some(prev), Some(ts)) =
        (top.tenant, top.seq, top.hash, top.prev, top.timestamp)
    else {
        return false;
    };
    // Each string was checked to be UTF-8 as it was scanned.
    let text = |(a, z): (usize, usize)| std::str::from_utf8(&scan.b[a..z]).ok();
    let (Some(tenant), Some(ts)) = (text(tenant), text(ts)) else {
        return false;
    };
    let Ok(instant) = time::normalize(ts) else {
        return false;
    };
    if instant.canonical_bytes() != ts.as_bytes() {
        return false;
    }
    // The hashed bytes: the text without the `hash` member and the comma that joins it.
    let b = scan.b;
    let (before, after) = if b[hash_at.0 - 1] == b'{' {
        match b.get(hash_at.1) {
            Some(b',') => (&b[..hash_at.0], &b[hash_at.1 + 1..]),
            _ => (&b[..hash_at.0], &b[hash_at.1..]),
        }
    } else {
        (&b[..hash_at.0 - 1], &b[hash_at.1..])
    };
    let computed = super::sha256_of(&[before, after]);
    c.tenant_id = Some(tenant.to_string());
    c.seq = Some(seq);
    c.stored_hash = Some(hash);
    c.prev_hash = Some(prev);
    c.timestamp = Some(instant);
    c.computed_hash = Some(computed);
    true
}

/// What the top-level object holds of the members a check reads (byte ranges of their string
/// contents; for `hash` also the range of the whole member, name to value).
#[derive(Default)]
struct Top {
    tenant: Option<(usize, usize)>,
    seq: Option<u64>,
    hash: Option<(Digest, (usize, usize))>,
    prev: Option<Digest>,
    timestamp: Option<(usize, usize)>,
}

/// A validating pass over a canonical text; every method returns `None` at the first byte that
/// is not where canonical form puts it.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    top: Top,
    spans: Option<&'a mut Spans>,
}

/// The kind of value just scanned, for the members a check reads.
enum Scanned {
    /// A string without escapes, by the byte range of its contents.
    PlainString(usize, usize),
    /// A safe non-negative integer.
    Integer(u64),
    /// Anything else canonical.
    Other,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Scanned> {
        match self.peek()? {
            b'{' => self.object(depth + 1).map(|()| Scanned::Other),
            b'[' => self.array(depth + 1).map(|()| Scanned::Other),
            b'"' => self.string().map(|(a, z, plain)| {
                if plain {
                    Scanned::PlainString(a, z)
                } else {
                    Scanned::Other
                }
            }),
            b't' => self.word(b"true").map(|()| Scanned::Other),
            b'f' => self.word(b"false").map(|()| Scanned::Other),
            b'n' => self.word(b"null").map(|()| Scanned::Other),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A number as RFC 8785 writes it. A plain integer is read here; any other number (a
    /// fraction, an exponent) is parsed by the full parser's own number rule and written back,
    /// and accepted only when that gives its text again.
    fn number(&mut self) -> Option<Scanned> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|d| d.is_ascii_digit() || matches!(d, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let token = &self.b[start..self.i];
        let (negative, digits) = match token.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, token),
        };
        if !digits.is_empty()
            && digits.len() <= 16
            && digits.iter().all(u8::is_ascii_digit)
            && !(digits[0] == b'0' && (digits.len() > 1 || negative))
        {
            let n = digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return (n < 1 << 53).then_some(if negative {
                Scanned::Other
            } else {
                Scanned::Integer(n)
            });
        }
        let Ok(Value::Number(x)) = Value::parse(token) else {
            return None;
        };
        let mut written = Vec::with_capacity(token.len());
        canonical::write_number(x, &mut written);
        (written == token).then_some(Scanned::Other)
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        let end = self.i + w.len();
        (self.b.get(self.i..end)? == w).then(|| self.i = end)
    }

    /// A string as RFC 8785 escapes it, in UTF-8; returns its content range and whether it has
    /// no escape.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut plain = true;
        let mut ascii = true;
        loop {
            // Past a first byte from 0x80 up the contents are checked as UTF-8 at the end:
            // the run then goes on over such bytes.
            let rest = &self.b[self.i..];
            self.i += if ascii {
                canonical::literal_run::<true>(rest)
            } else {
                canonical::literal_run::<false>(rest)
            };
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    let content = (start, self.i - 1);
                    if !ascii && std::str::from_utf8(&self.b[content.0..content.1]).is_err() {
                        return None;
                    }
                    return Some((content.0, content.1, plain));
                }
                b'\\' => {
                    plain = false;
                    match *self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => self.i += 2,
                        b'u' => {
                            // Only the control characters without a short escape.
                            let hex = self.b.get(self.i + 2..self.i + 6)?;
                            let low = match hex {
                                [b'0', b'0', b'0', d] | [b'0', b'0', b'1', d] => *d,
                                _ => return None,
                            };
                            let low = match low {
                                b'0'..=b'9' => low - b'0',
                                b'a'..=b'f' => low - b'a' + 10,
                                _ => return None,
                            };
                            let code = if hex[2] == b'1' { 16 + low } else { low };
                            if matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                _ => {
                    ascii = false;
                    self.i += 1;
                }
            }
        }
    }

    /// Opens a container at `depth` with `open`; `Some(true)` when `close` follows at once.
    fn open(&mut self, depth: usize, open: u8, close: u8) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(open)?;
        Some(self.eat(close).is_some())
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if self.open(depth, b'[', b']')? {
            return Some(());
        }
        loop {
            self.value(depth)?;
            if self.after_item(b']')? {
                return Some(());
            }
        }
    }

    /// After an item of a container: `Some(false)` past a comma, `Some(true)` past `close`.
    fn after_item(&mut self, close: u8) -> Option<bool> {
        let byte = self.peek()?;
        self.i += 1;
        match byte {
            b',' => Some(false),
            b if b == close => Some(true),
            _ => None,
        }
    }

    /// An object whose names have no escapes and stand in strictly increasing UTF-16 order
    /// (so none repeats); at depth 1 it notes the members a check reads.
    fn object(&mut self, depth: usize) -> Option<()> {
        if self.open(depth, b'{', b'}')? {
            return Some(());
        }
        let mut previous: Option<&[u8]> = None;
        loop {
            let member_start = self.i;
            let (a, z, plain) = self.string()?;
            // UTF-8: `string` checked it.
            let name = &self.b[a..z];
            if !plain || previous.is_some_and(|p| cmp_utf16_bytes(p, name) != Ordering::Less) {
                return None;
            }
            previous = Some(name);
            self.eat(b':')?;
            let value_start = self.i;
            let value = self.value(depth)?;
            if depth == 1 {
                if let Some(spans) = self.spans.as_deref_mut() {
                    spans.note((a, z), (value_start, self.i));
                }
                self.note(name, value, member_start)?;
            }
            if self.after_item(b'}')? {
                return Some(());
            }
        }
    }

    /// Notes a top-level member a check reads; `None` when it is not in its common form.
    fn note(&mut self, name: &[u8], value: Scanned, member_start: usize) -> Option<()> {
        match (name, value) {
            (b"tenant_id", Scanned::PlainString(a, z)) => self.top.tenant = Some((a, z)),
            (b"seq", Scanned::Integer(n)) if n >= 1 => self.top.seq = Some(n),
            (b"hash", Scanned::PlainString(a, z)) => {
                self.top.hash = Some((parse_hex_bytes(&self.b[a..z])?, (member_start, self.i)));
            }
            (b"prev_hash", Scanned::PlainString(a, z)) => {
                self.top.prev = Some(parse_hex_bytes(&self.b[a..z])?);
            }
            (b"timestamp", Scanned::PlainString(a, z)) => self.top.timestamp = Some((a, z)),
            (b"tenant_id" | b"seq" | b"hash" | b"prev_hash" | b"timestamp", _) => return None,
            _ => {}
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::{check_on, Checked, Keep, Location, RawData, RawRecord};
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn checked(text: &[u8], keep: bool, as_written: bool) -> Checked {
        let raw = RawRecord {
            loc: Location::Line(1),
            data: RawData::Json(text.to_vec()),
        };
        let keep = if keep { Keep::Record } else { Keep::Nothing };
        check_on(raw, &mut Vec::new(), |_| keep, as_written, false)
    }

    /// The path taken, and the same judgment as the full parser's, kept record included.
    fn same_as_parsed(text: &[u8]) -> bool {
        let mut c = checked(b"", false, false);
        let taken = check_canonical_text(text, &mut c, None);
        // A declined text goes the parser's way whatever is kept.
        let keeps: &[bool] = if taken { &[false, true] } else { &[false] };
        for &keep in keeps {
            let (fast, slow) = (checked(text, keep, true), checked(text, keep, false));
            assert_eq!(
                format!("{fast:?}"),
                format!("{slow:?}"),
                "{:?} (keep {keep})",
                String::from_utf8_lossy(text)
            );
        }
        taken
    }

    /// The spec's records, in canonical form (the vectors write them with spaces).
    fn canonical_records() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for file in [
            "tests/vectors/records.jsonl",
            "tests/vectors/pg-records.jsonl",
        ] {
            let text = std::fs::read(root().join(file)).unwrap();
            for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                out.push(canonical::to_vec(&Value::parse(line).unwrap()));
            }
        }
        out
    }

    #[test]
    fn a_canonical_record_is_hashed_where_it_lies() {
        let records = canonical_records();
        assert!(records.len() >= 20, "{}", records.len());
        for text in &records {
            assert!(same_as_parsed(text), "{}", String::from_utf8_lossy(text));
            let c = checked(text, false, true);
            assert_eq!(c.content_ok(), Some(true));
            assert!(c.record.is_none());
        }
        // The spec's own first record: its stored hash is what the slices hash to.
        let first = &records[0];
        let c = checked(first, false, true);
        let v = Value::parse(first).unwrap();
        assert_eq!(
            super::super::hex(&c.computed_hash.unwrap()),
            v.get("hash").unwrap().as_str().unwrap()
        );
    }

    /// The spans the scan notes are the members a reader of the text finds, in order; a record
    /// with more members than [`Spans::MAX`] has none noted.
    #[test]
    fn the_scan_notes_where_each_member_lies() {
        use super::super::members::Members;
        let spans_of = |text: &[u8]| {
            let mut spans = Spans::default();
            let mut c = checked(b"", false, false);
            assert!(check_canonical_text(text, &mut c, Some(&mut spans)));
            spans.to_boxed()
        };
        for text in canonical_records() {
            let spans = spans_of(&text).expect("every member noted");
            let at: Vec<_> = Members::at(&text, &spans).unwrap().iter().collect();
            let of: Vec<_> = Members::of(&text).unwrap().iter().collect();
            assert_eq!(at, of);
            assert_eq!(at.len(), spans.len());
            assert!(at
                .iter()
                .any(|(n, v)| *n == b"metadata" && v.starts_with(b"{")));
        }
        // The first record with members `m00`..`m39` added.
        let mut wide = Value::parse(&canonical_records()[0]).unwrap();
        for i in 0..40 {
            wide.set(&format!("m{i:02}"), Value::Null);
        }
        assert_eq!(spans_of(&canonical::to_vec(&wide)), None);
    }

    /// `hash` first, last and alone beside the other four: the comma that joins it goes with it.
    #[test]
    fn the_hash_member_is_cut_with_its_comma_wherever_it_stands() {
        let h = "ab".repeat(32);
        let z = "0".repeat(64);
        let base = format!(
            r#""prev_hash":"{z}","seq":1,"tenant_id":"t","timestamp":"2026-01-02T03:04:05.000000000Z""#
        );
        for text in [
            format!(r#"{{"a":1,"hash":"{h}",{base}}}"#),
            format!(r#"{{"hash":"{h}",{base}}}"#),
            format!(r#"{{"a":[],"b":{{}},"hash":"{h}",{base},"zz":null}}"#),
            format!(r#"{{{base},"z":"\u001f","zzz":"{h}"}}"#).replace(r#""zzz""#, r#""~hash""#),
        ] {
            assert!(
                same_as_parsed(text.as_bytes()) || !text.contains(r#""hash""#),
                "{text}"
            );
        }
        // Last member.
        let last = format!(r#"{{"a":1,{base},"hash":"{h}"}}"#);
        // Not canonical: `hash` must sort before `prev_hash`; declined, judged by the parser.
        assert!(!same_as_parsed(last.as_bytes()));
    }

    /// Every one-byte change, deletion and insertion of canonical records: whatever the path
    /// taken, the judgment is the full parser's.
    #[test]
    fn every_mutation_of_a_canonical_record_is_judged_as_the_parser_judges_it() {
        let bytes: &[u8] = b"\x00\x1f \"\\,:{}[]019-.eEuz~\x7f\xc3/";
        let mut fast = 0;
        let mut declined = 0;
        // One record with escapes, one with fractions and nested objects.
        let records = canonical_records();
        let odd = |needle: &[u8]| {
            records
                .iter()
                .find(|r| r.windows(needle.len()).any(|w| w == needle))
                .unwrap()
        };
        for text in [odd(b"\\\""), odd(b".25")] {
            for i in 0..text.len() {
                let mut variants = Vec::new();
                let mut deleted = text.clone();
                deleted.remove(i);
                variants.push(deleted);
                for &b in bytes {
                    let mut changed = text.clone();
                    changed[i] = b;
                    variants.push(changed);
                    let mut inserted = text.clone();
                    inserted.insert(i, b);
                    variants.push(inserted);
                }
                for v in variants {
                    if same_as_parsed(&v) {
                        fast += 1;
                    } else {
                        declined += 1;
                    }
                }
            }
        }
        // Both paths were exercised: changes inside string values stay canonical.
        assert!(fast > 1000 && declined > 1000, "{fast} {declined}");
    }

    /// Odd texts around each rule: numbers, escapes, names, nesting, the five members' forms.
    #[test]
    fn odd_texts_are_declined_or_judged_the_same() {
        let h = "ab".repeat(32);
        let z = "0".repeat(64);
        let record = |extra: &str, seq: &str, ts: &str| {
            format!(
                r#"{{{extra}"hash":"{h}","prev_hash":"{z}","seq":{seq},"tenant_id":"t","timestamp":"{ts}"}}"#
            )
        };
        let ts = "2026-01-02T03:04:05.000000000Z";
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let extras = [
            "".to_string(),
            r#""a":-0,"#.into(),
            r#""a":-1,"#.into(),
            r#""a":01,"#.into(),
            r#""a":1.5,"#.into(),
            r#""a":1e3,"#.into(),
            r#""a":1e+21,"#.into(),
            r#""a":1e21,"#.into(),
            r#""a":[0.1,-0.5,1.50,5e-7,1e-7,0.000001,123.456,-1e+30],"#.into(),
            r#""a":1.0,"#.into(),
            r#""a":-,"#.into(),
            r#""a":1-2,"#.into(),
            r#""a":9007199254740991,"#.into(),
            r#""a":9007199254740992,"#.into(),
            r#""a":-9007199254740992,"#.into(),
            r#""a":"\u0008","#.into(),
            r#""a":"\b\t\n\f\r\"\\","#.into(),
            r#""a":"\u001F","#.into(),
            r#""a":"\u0009\u000a\u000c\u000d\u007f","#.into(),
            r#""a":"\u000d","#.into(),
            r#""a":"\u000b\u0000\u001e","#.into(),
            r#""a":"\u0041","#.into(),
            r#""a":"\/","#.into(),
            r#""a":"\ud800","#.into(),
            r#""a\u0062":1,"#.into(),
            r#""a":1,"a":2,"#.into(),
            r#""b":1,"a":2,"#.into(),
            "\"\u{fb01}\":1,\"\u{1f600}\":2,".into(),
            "\"\u{1f600}\":1,\"\u{fb01}\":2,".into(),
            format!(r#""a":{deep},"#),
            r#""a":[1,],"#.into(),
            r#""a":{"y":1,"x":2},"#.into(),
            r#""a":tru,"#.into(),
        ];
        let mut taken = 0;
        for extra in &extras {
            for seq in ["1", "0", "-1", "1.0", "\"1\"", "18"] {
                for t in [ts, "2026-01-02T03:04:05Z", "2026-01-02 03:04:05"] {
                    let text = record(extra, seq, t);
                    if same_as_parsed(text.as_bytes()) {
                        taken += 1;
                    }
                }
            }
        }
        // Whole text: trailing blank, leading blank, not an object.
        for text in [
            format!("{} ", record("", "1", ts)),
            format!(" {}", record("", "1", ts)),
        ] {
            assert!(!same_as_parsed(text.as_bytes()));
        }
        assert!(!same_as_parsed(b"[]"));
        assert!(taken > 0);
    }

    /// The fuzz corpora's JSON texts and lines (json_canonical, jsonl_csv): the same judgment.
    #[test]
    fn the_fuzz_corpora_are_judged_as_the_parser_judges_them() {
        let mut n = 0;
        for target in ["json_canonical", "jsonl_csv"] {
            let dir = root().join("fuzz/regressions").join(target);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                same_as_parsed(&bytes);
                for line in bytes.split(|&b| b == b'\n') {
                    same_as_parsed(line);
                    n += 1;
                }
            }
        }
        assert!(n > 2000, "{n}");
    }
}
