//! The RFC 8785 form of a JSON text, written as the text is read, without a [`Value`] tree.
//!
//! Dumps hold the JSON columns (`changes`, `metadata`) as text in whatever form their producer
//! wrote it: spaces after separators, members out of order, escapes. [`TextCanonicalizer`]
//! appends the canonical bytes of such a text in one pass: strings without escapes are copied,
//! an object whose members came out of order has them moved into order where it was written,
//! and every buffer is kept from one text to the next, so the common cell costs no allocation.
//!
//! Invariant: when [`TextCanonicalizer::write`] returns true, what it appended is exactly what
//! [`write_value`](super::write_value) writes for the value [`Value::parse`] gives, and it
//! returns true only for texts `Value::parse` accepts. What it is not sure of (a text that is
//! not JSON, a member name twice, an unpaired surrogate escape, nesting deeper than
//! [`MAX_DEPTH`], a number the strict parser refuses) it declines, with `out` as it was: the
//! caller then parses the text with `Value::parse`, which gives the value or the message. The
//! tests and the `json_canonical` fuzz target hold the two equal.

use std::cmp::Ordering;

use super::{literal_run, short_escape, write_number, write_string_bytes};
use crate::json::{cmp_utf16_bytes, Value};

/// Deepest nesting written here (the strict parser's limit is 128); deeper texts are declined.
const MAX_DEPTH: usize = 64;

/// Writes JSON texts in canonical form, keeping its buffers from one text to the next.
#[derive(Debug, Default)]
pub struct TextCanonicalizer {
    /// The decoded names of the members of every object open now, one after another.
    names: Vec<u8>,
    /// Those members: where each name lies in `names` and the member (`"name":value`) in `out`.
    members: Vec<Member>,
    /// The decoded contents of a string with escapes.
    string: Vec<u8>,
    /// The members of an object written out of order, while they are put in order.
    scratch: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Member {
    name: (usize, usize),
    span: (usize, usize),
}

impl TextCanonicalizer {
    /// Appends the canonical form of the JSON text `text` to `out` and returns true; returns
    /// false, with `out` as it was, for a text it declines (see the module docs).
    pub fn write(&mut self, text: &[u8], out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let mut pass = Pass {
            src: text,
            i: 0,
            c: self,
            out,
        };
        pass.space();
        let ok = pass.value(0).is_some() && {
            pass.space();
            pass.i == text.len()
        };
        if !ok {
            out.truncate(start);
        }
        self.names.clear();
        self.members.clear();
        ok
    }
}

/// One text being written.
struct Pass<'a, 'c> {
    src: &'a [u8],
    i: usize,
    c: &'c mut TextCanonicalizer,
    out: &'c mut Vec<u8>,
}

/// Whether a decimal `whole.fraction` (no exponent; `whole` may carry a minus sign) is
/// written by RFC 8785 exactly as it stands: the fraction ends in a nonzero digit, there are
/// at most 15 significant digits, and the value is at least 1e-6 (at most five zeros open the
/// fraction of a number below 1). A decimal of at most 15 significant digits is the only one
/// of that length to round to its double (DBL_DIG), so it is that double's shortest form, and
/// ECMAScript writes such a number in plain notation from 1e-6 up to 1e21.
fn plain_decimal(whole: &[u8], fraction: &[u8]) -> bool {
    let digits = whole.strip_prefix(b"-").unwrap_or(whole);
    if fraction.last().is_none_or(|&d| d == b'0') {
        return false;
    }
    if digits == b"0" {
        let zeros = fraction.iter().take_while(|&&d| d == b'0').count();
        zeros <= 5 && fraction.len() - zeros <= 15
    } else {
        digits.len() + fraction.len() <= 15
    }
}

/// The value of four hex digits (either case), as the strict parser reads `\u` escapes.
fn hex4(h: &[u8]) -> Option<u32> {
    h.iter().try_fold(0u32, |n, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        Some(n << 4 | u32::from(v))
    })
}

impl Pass<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.i).copied()
    }

    /// Skips JSON white space (space, tab, line feed, carriage return).
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(false),
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => None,
        }
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        let end = self.i + w.len();
        (self.src.get(self.i..end)? == w).then(|| {
            self.i = end;
            self.out.extend_from_slice(w);
        })
    }

    /// A number by the JSON grammar. An integer of at most 15 digits (below 2^53, written as
    /// its digits by RFC 8785 too) is copied; any other number is parsed by the strict parser's
    /// own rule and written as RFC 8785 writes it.
    fn number(&mut self) -> Option<()> {
        let b = self.src;
        let start = self.i;
        let mut i = start;
        let negative = b[i] == b'-';
        if negative {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        match *b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        let integer_digits = i - start - usize::from(negative);
        let mut integer = true;
        let fraction_start = i + 1;
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
            integer = false;
        }
        let fraction_end = i;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
            integer = false;
        }
        self.i = i;
        let token = &b[start..i];
        // `-0` is written `0`.
        if integer && integer_digits <= 15 && token != b"-0" {
            self.out.extend_from_slice(token);
            return Some(());
        }
        if !integer
            && i == fraction_end
            && plain_decimal(&b[start..fraction_start - 1], &b[fraction_start..i])
        {
            self.out.extend_from_slice(token);
            return Some(());
        }
        let Ok(Value::Number(x)) = Value::parse(token) else {
            return None;
        };
        write_number(x, self.out);
        Some(())
    }

    /// A string, written as RFC 8785 escapes it; a member name is also appended, decoded, to
    /// `names`.
    fn string(&mut self, name: bool) -> Option<()> {
        self.i += 1;
        let start = self.i;
        self.i += literal_run::<false>(&self.src[start..]);
        if self.peek()? == b'"' {
            let content = &self.src[start..self.i];
            std::str::from_utf8(content).ok()?;
            self.i += 1;
            self.out.reserve(content.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(content);
            self.out.push(b'"');
            if name {
                self.c.names.extend_from_slice(content);
            }
            return Some(());
        }
        // Escapes (or a control character, which is refused below): decode, then write.
        let mut s = std::mem::take(&mut self.c.string);
        s.clear();
        let decoded = self.decode(start, &mut s);
        if decoded.is_some() {
            write_string_bytes(&s, self.out);
            if name {
                self.c.names.extend_from_slice(&s);
            }
        }
        self.c.string = s;
        decoded
    }

    /// The contents of the string from `start` (its first byte after the quote) to its closing
    /// quote, escapes resolved, into `s`; every piece is checked as UTF-8 on its own.
    fn decode(&mut self, start: usize, s: &mut Vec<u8>) -> Option<()> {
        let b = self.src;
        let mut at = start;
        loop {
            let run = &b[at..self.i];
            std::str::from_utf8(run).ok()?;
            s.extend_from_slice(run);
            match *b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {}
                // A control character.
                _ => return None,
            }
            let byte = match *b.get(self.i + 1)? {
                b'/' => b'/',
                b'u' => {
                    let unit = hex4(b.get(self.i + 2..self.i + 6)?)?;
                    self.i += 6;
                    let code = match unit {
                        0xD800..=0xDBFF => {
                            // Only a high surrogate followed by a low one.
                            if b.get(self.i..self.i + 2)? != b"\\u" {
                                return None;
                            }
                            let low = hex4(b.get(self.i + 2..self.i + 6)?)?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return None;
                            }
                            self.i += 6;
                            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return None,
                        u => u,
                    };
                    let c = char::from_u32(code)?;
                    s.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    at = self.i;
                    self.i += literal_run::<false>(&b[self.i..]);
                    continue;
                }
                letter => short_escape(letter)?,
            };
            s.push(byte);
            self.i += 2;
            at = self.i;
            self.i += literal_run::<false>(&b[self.i..]);
        }
    }

    /// Opens a container at `depth`: `Some(true)` when `close` follows at once (and is written).
    fn open(&mut self, depth: usize, open: u8, close: u8) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.out.push(open);
        self.space();
        if self.peek()? == close {
            self.i += 1;
            self.out.push(close);
            return Some(true);
        }
        Some(false)
    }

    /// After an item of a container: `Some(false)` past a comma (written), `Some(true)` past
    /// `close` (not written).
    fn after_item(&mut self, close: u8) -> Option<bool> {
        self.space();
        let byte = self.peek()?;
        self.i += 1;
        match byte {
            b',' => {
                self.out.push(b',');
                self.space();
                Some(false)
            }
            b if b == close => Some(true),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if self.open(depth, b'[', b']')? {
            return Some(());
        }
        loop {
            self.value(depth)?;
            if self.after_item(b']')? {
                self.out.push(b']');
                return Some(());
            }
        }
    }

    /// An object: its members are written as they come and, when their names were not in
    /// strictly increasing order, put in order once the object is read (a name twice declines).
    fn object(&mut self, depth: usize) -> Option<()> {
        if self.open(depth, b'{', b'}')? {
            return Some(());
        }
        let body = self.out.len();
        let first = self.c.members.len();
        let names_start = self.c.names.len();
        let mut in_order = true;
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let member_start = self.out.len();
            let name_start = self.c.names.len();
            self.string(true)?;
            let name = (name_start, self.c.names.len());
            if let Some(prev) = self.c.members[first..].last() {
                let names = &self.c.names;
                match cmp_utf16_bytes(&names[prev.name.0..prev.name.1], &names[name.0..name.1]) {
                    Ordering::Less => {}
                    Ordering::Equal => return None,
                    Ordering::Greater => in_order = false,
                }
            }
            self.space();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.out.push(b':');
            self.space();
            self.value(depth)?;
            self.c.members.push(Member {
                name,
                span: (member_start, self.out.len()),
            });
            if self.after_item(b'}')? {
                break;
            }
        }
        if !in_order {
            self.put_in_order(body, first)?;
        }
        self.c.members.truncate(first);
        self.c.names.truncate(names_start);
        self.out.push(b'}');
        Some(())
    }

    /// Rewrites the members written since `body` (`members[first..]`) in name order; `None`
    /// when a name is there twice.
    fn put_in_order(&mut self, body: usize, first: usize) -> Option<()> {
        let c = &mut *self.c;
        let names = &c.names;
        let members = &mut c.members[first..];
        let name = |m: &Member| &names[m.name.0..m.name.1];
        members.sort_unstable_by(|a, b| cmp_utf16_bytes(name(a), name(b)));
        if members.windows(2).any(|w| name(&w[0]) == name(&w[1])) {
            return None;
        }
        c.scratch.clear();
        c.scratch.extend_from_slice(&self.out[body..]);
        self.out.truncate(body);
        for (k, m) in members.iter().enumerate() {
            if k > 0 {
                self.out.push(b',');
            }
            self.out
                .extend_from_slice(&c.scratch[m.span.0 - body..m.span.1 - body]);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::to_vec;

    /// What the canonicalizer writes for `text` (with something before it in `out`, which it
    /// must keep), or `None` when it declines.
    fn written(c: &mut TextCanonicalizer, text: &[u8]) -> Option<Vec<u8>> {
        let mut out = b"prefix".to_vec();
        let ok = c.write(text, &mut out);
        assert_eq!(&out[..6], b"prefix", "{:?}", String::from_utf8_lossy(text));
        if ok {
            Some(out[6..].to_vec())
        } else {
            assert_eq!(out, b"prefix", "a declined text left bytes behind");
            None
        }
    }

    /// The canonicalizer writes what the strict parser and `write_value` give, and accepts only
    /// what the strict parser accepts.
    fn agrees(c: &mut TextCanonicalizer, text: &[u8]) -> bool {
        let got = written(c, text);
        match Value::parse(text) {
            Ok(v) => match got {
                Some(bytes) => {
                    assert_eq!(
                        String::from_utf8_lossy(&bytes),
                        String::from_utf8_lossy(&to_vec(&v)),
                        "on {:?}",
                        String::from_utf8_lossy(text)
                    );
                    true
                }
                None => false,
            },
            Err(e) => {
                assert!(
                    got.is_none(),
                    "accepted {:?}, which the strict parser refuses: {e}",
                    String::from_utf8_lossy(text)
                );
                false
            }
        }
    }

    #[test]
    fn plain_decimals_are_copied_only_where_rfc_8785_writes_them_so() {
        for (whole, fraction, plain) in [
            ("0", "63", true),
            ("-0", "5", true),
            ("0", "000001", true),
            ("0", "0000001", false),
            ("0", "10", false),
            ("12", "5", true),
            ("123456789012", "345", true),
            ("123456789012", "3456", false),
            ("0", "123456789012345", true),
            ("0", "1234567890123456", false),
            ("0", "000001234567890123456", false),
        ] {
            assert_eq!(
                plain_decimal(whole.as_bytes(), fraction.as_bytes()),
                plain,
                "{whole}.{fraction}"
            );
        }
        // Decimals of every length, leading and trailing zeros and sign, in and out of the
        // copied form: each written as the strict parser and RFC 8785 write it.
        let mut c = TextCanonicalizer::default();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut written_out = 0;
        for _ in 0..20_000 {
            let mut t = String::new();
            if next(2) == 0 {
                t.push('-');
            }
            match next(17) {
                0 => t.push('0'),
                len => {
                    t.push(char::from(b'1' + next(9) as u8));
                    (1..len).for_each(|_| t.push(char::from(b'0' + next(10) as u8)));
                }
            }
            t.push('.');
            (0..next(8)).for_each(|_| t.push('0'));
            (0..1 + next(18)).for_each(|_| t.push(char::from(b'0' + next(10) as u8)));
            // `agrees` asserts; a number the strict parser refuses (an unsafe one) is declined.
            if agrees(&mut c, t.as_bytes()) {
                written_out += 1;
            }
            agrees(&mut c, format!("[{t}, {{\"x\": {t}}}]").as_bytes());
        }
        assert!(written_out > 15_000, "{written_out}");
    }

    #[test]
    fn dump_columns_as_producers_write_them() {
        let mut c = TextCanonicalizer::default();
        for (text, want) in [
            (
                r#"{"company_id": "acme-co-2", "row_count": 0}"#,
                r#"{"company_id":"acme-co-2","row_count":0}"#,
            ),
            (
                r#"{"before": {"threshold": 0.63}, "after": {"threshold": 0.58}}"#,
                r#"{"after":{"threshold":0.58},"before":{"threshold":0.63}}"#,
            ),
            (
                r#"{"before": {"text": "I want to cancel."}, "after": {"text": "I want\n(edited)\tby QA \u00e9\ud83d\ude00 \/"}}"#,
                "{\"after\":{\"text\":\"I want\\n(edited)\\tby QA \u{e9}\u{1f600} /\"},\"before\":{\"text\":\"I want to cancel.\"}}",
            ),
            (" [ 1 , -0 , 1.50, 1E3, -12, 1e-7 , true, null ] ", "[1,0,1.5,1000,-12,1e-7,true,null]"),
            (r#"{"b":1,"a":{"z":[],"y":{}},"c":"\u0007"}"#, r#"{"a":{"y":{},"z":[]},"b":1,"c":"\u0007"}"#),
            // UTF-16 order: U+1F600 (a surrogate pair) sorts before U+FB01.
            ("{\"\u{fb01}\":1,\"\u{1f600}\":2,\"a\":3}", "{\"a\":3,\"\u{1f600}\":2,\"\u{fb01}\":1}"),
            ("\"x\"", "\"x\""),
            ("123456789012345", "123456789012345"),
            ("1234567890123456", "1234567890123456"),
        ] {
            assert_eq!(
                written(&mut c, text.as_bytes()).map(|b| String::from_utf8(b).unwrap()),
                Some(want.to_string()),
                "{text}"
            );
            assert!(agrees(&mut c, text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn what_the_strict_parser_refuses_is_declined() {
        let mut c = TextCanonicalizer::default();
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for text in [
            &b""[..],
            b" ",
            b"{",
            b"{\"a\":1,}",
            b"[1,]",
            b"{\"a\" 1}",
            b"{\"a\":1,\"a\":2}",
            b"{\"b\":1,\"a\":2,\"b\":3}",
            b"{\"a\":1} x",
            b"01",
            b"-",
            b"1.",
            b"1e",
            b".5",
            b"+1",
            b"9007199254740992",
            b"1e400",
            b"1e20",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\\ud800\\u0041\"",
            b"\"a\x01\"",
            b"\"\xff\"",
            b"\"\\x\"",
            b"\"\\u12g4\"",
            b"tru",
            b"nul",
            b"\xef\xbb\xbf{}",
            b"{\"a\":1}\x00",
            b"\"",
            b"{\"a\":\"\\",
            deep.as_bytes(),
        ] {
            assert!(
                written(&mut c, text).is_none(),
                "{:?}",
                String::from_utf8_lossy(text)
            );
            agrees(&mut c, text);
        }
        // After declining, the next text is written whole.
        assert_eq!(
            written(&mut c, b"{\"b\":[1],\"a\":2}").unwrap(),
            b"{\"a\":2,\"b\":[1]}"
        );
    }

    #[test]
    fn nesting_up_to_the_limit_is_written_and_deeper_declined() {
        let mut c = TextCanonicalizer::default();
        let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(agrees(&mut c, nested(MAX_DEPTH).as_bytes()));
        assert!(written(&mut c, nested(MAX_DEPTH + 1).as_bytes()).is_none());
        assert!(Value::parse(nested(MAX_DEPTH + 1).as_bytes()).is_ok());
    }

    /// Every way of writing a small set of values, shuffled, spaced and escaped, gives the
    /// strict parser's canonical bytes.
    #[test]
    fn every_variant_of_a_value_agrees_with_the_strict_parser() {
        let mut c = TextCanonicalizer::default();
        let names = [
            "a",
            "b",
            "\u{e9}",
            "\u{fb01}",
            "\u{1f600}",
            "a\"b",
            "\\",
            "",
        ];
        let values = [
            "1",
            "-0.0",
            "2.5e-3",
            "100",
            "\"x\"",
            "\"\\u00e9\"",
            "[]",
            "{}",
            "null",
            "false",
            "[1, \"\\n\", {\"k\": []}]",
            "{\"z\": 1, \"y\": 2}",
            "0.1",
            "-7",
        ];
        let escaped = |n: &str| n.replace('\\', "\\\\").replace('"', "\\\"");
        let mut accepted = 0;
        let mut tried = 0;
        for (k, n1) in names.iter().enumerate() {
            for n2 in names.iter().skip(k) {
                for (v1, v2) in values.iter().zip(values.iter().rev()) {
                    for space in ["", " ", "\n\t "] {
                        let text = format!(
                            "{{{space}\"{}\"{space}:{space}{v1}{space},{space}\"{}\"{space}:{space}{v2}{space}}}",
                            escaped(n1),
                            escaped(n2)
                        );
                        tried += 1;
                        if agrees(&mut c, text.as_bytes()) {
                            accepted += 1;
                        }
                    }
                }
            }
        }
        // Only the texts that repeat a name are declined.
        let repeats = names.len() * values.len() * 3;
        assert_eq!(accepted, tried - repeats);
    }
}
