//! RFC 8785 (JSON Canonicalization Scheme) serialization of a [`Value`].
//!
//! Output is byte-exact with the RFC: no whitespace, members in UTF-16 code-unit order (kept by
//! [`Value`] itself), strings escaped as ECMAScript `JSON.stringify` does (only `"`, `\` and
//! control characters; everything else is literal UTF-8), and numbers written as ECMAScript
//! `Number.prototype.toString` writes them (`ryu-js`, the shortest round-trip digits with ES6
//! exponent rules; `-0` is `0`).
//!
//! The existing canonicalizer crates go through `serde_json::Value` and re-sort every object on
//! every call; this writer works on already-sorted values and appends into one reused buffer,
//! which is what keeps per-record hashing fast. [`TextCanonicalizer`] writes the same bytes
//! straight from JSON text (a dump's JSON columns), without building the value.

use crate::json::Value;

mod text;

pub use text::TextCanonicalizer;

/// Appends the canonical bytes of `v` to `out`.
pub fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(*n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(x, out);
            }
            out.push(b']');
        }
        Value::Object(m) => write_members(m.iter().map(|(k, v)| (k.as_str(), v)), out),
    }
}

/// Appends an object made of `members`, which must already be in canonical order.
pub fn write_members<'a>(members: impl Iterator<Item = (&'a str, &'a Value)>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, x)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(k, out);
        out.push(b':');
        write_value(x, out);
    }
    out.push(b'}');
}

/// The canonical bytes of `v`.
pub fn to_vec(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(v, &mut out);
    out
}

/// Appends an ECMAScript number rendering. `n` must be finite ([`Value`] guarantees it).
pub fn write_number(n: f64, out: &mut Vec<u8>) {
    if n == 0.0 {
        // Both +0 and -0 are "0" in ECMAScript.
        out.push(b'0');
        return;
    }
    // Integers below 2^53 (every `seq`) print as their digits in ECMAScript too; ryu-js is
    // for everything else.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        if n < 0.0 {
            out.push(b'-');
        }
        write_u64(n.abs() as u64, out);
        return;
    }
    let mut buf = ryu_js::Buffer::new();
    out.extend_from_slice(buf.format_finite(n).as_bytes());
}

/// Appends the decimal digits of `v`.
pub(crate) fn write_u64(mut v: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// How many bytes at the start of `bytes` a JSON string holds as they are: anything but `"`,
/// `\` and the control characters, and with `ASCII_ONLY` nothing from 0x80 up either. Tested
/// eight bytes at a time with the well-known word tricks ("has a zero byte", "has a byte less
/// than n" for n <= 128, exact on bytes from 0x80 up too): a byte-wise loop took about a tenth
/// of all the instructions of verifying a SQLite dump. The tricks mark every stopping byte and,
/// through a borrow, perhaps bytes after one, never before: the lowest mark is the first stop,
/// so the run ends without a byte-wise look at its last word. The last bytes (fewer than eight)
/// are tested as the string's last word, or as a word padded with zeros (which stop the run
/// where the bytes end) when the string is shorter than a word.
#[inline]
pub(crate) fn literal_run<const ASCII_ONLY: bool>(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    // The high bit of each byte that stops the run (and perhaps of bytes after the first).
    let stops = |x: u64| {
        (if ASCII_ONLY { x & HIGH } else { 0 })
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | has_zero(x ^ (ONES * u64::from(b'"')))
            | has_zero(x ^ (ONES * u64::from(b'\\')))
    };
    // Bytes before the first stop of a word read in little-endian order.
    let before = |m: u64| (m.trailing_zeros() / 8) as usize;
    let mut words = bytes.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let m = stops(u64::from_le_bytes(w.try_into().expect("eight bytes")));
        if m != 0 {
            return n + before(m);
        }
        n += 8;
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return n;
    }
    // Read in registers: a word loaded from bytes just copied to the stack waits for the
    // copy (most of the time of writing a short string, measured).
    let m = match bytes.len().checked_sub(8) {
        // The last eight bytes, those already tested shifted out (no mark lies among them).
        Some(start) => {
            let w = u64::from_le_bytes(bytes[start..].try_into().expect("eight bytes"));
            stops(w) >> (8 * (8 - rest.len()))
        }
        None => stops(rest.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b))),
    };
    n + before(m).min(rest.len())
}

/// Whether any byte of `bytes` must be escaped.
fn needs_escape(bytes: &[u8]) -> bool {
    literal_run::<false>(bytes) < bytes.len()
}

/// The byte a short escape (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`: the ones RFC 8785
/// writes) stands for, by the letter after its backslash.
pub(crate) fn short_escape(letter: u8) -> Option<u8> {
    Some(match letter {
        b'"' => b'"',
        b'\\' => b'\\',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

/// Appends a JSON string literal escaped as RFC 8785 section 3.2.2.2 requires.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    write_string_bytes(s.as_bytes(), out);
}

/// [`write_string`] of a string given as its UTF-8 bytes (checked by the caller).
fn write_string_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Nearly every string in a record needs no escape: test the whole string first and copy it
    // in one piece.
    if !needs_escape(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        String::from_utf8(to_vec(&Value::parse_str(text).unwrap())).unwrap()
    }

    /// The run a byte-wise look gives, against the word-wise one: every length up to three
    /// words and a tail, every place of a stopping byte among neighbours that borrow or not,
    /// and a second stop right after the first.
    #[test]
    fn a_literal_run_ends_at_the_first_byte_a_string_cannot_hold_as_it_is() {
        fn bytewise(b: &[u8], ascii_only: bool) -> usize {
            b.iter()
                .take_while(|&&c| {
                    c >= 0x20 && c != b'"' && c != b'\\' && !(ascii_only && c >= 0x80)
                })
                .count()
        }
        fn check(b: &[u8]) {
            assert_eq!(literal_run::<false>(b), bytewise(b, false), "{b:02x?}");
            assert_eq!(
                literal_run::<true>(b),
                bytewise(b, true),
                "{b:02x?} (ASCII only)"
            );
        }
        let fill = [b'a', 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff];
        let stop = [0x00, 0x01, 0x1f, b'"', b'\\', 0x80, 0xff];
        for len in 0..=27 {
            for &f in &fill {
                let base = vec![f; len];
                check(&base);
                for at in 0..len {
                    for &s in &stop {
                        let mut b = base.clone();
                        b[at] = s;
                        check(&b);
                        if at + 1 < len {
                            b[at + 1] = 0x00;
                            check(&b);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rfc8785_section_3_2_3_example() {
        let input = r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]}"#;
        assert_eq!(
            canon(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn an_escape_is_found_wherever_it_lies_in_a_long_string() {
        for len in [0, 1, 31, 32, 33, 64, 65, 100] {
            // Bytes next to the special ones need no escape.
            let plain: String = "a !#[]~\u{7f}".chars().cycle().take(len).collect();
            assert_eq!(
                to_vec(&Value::String(plain.clone())),
                format!("\"{plain}\"").into_bytes()
            );
            for at in 0..len {
                for (c, esc) in [
                    ('"', "\\\""),
                    ('\\', "\\\\"),
                    ('\n', "\\n"),
                    ('\u{1f}', "\\u001f"),
                ] {
                    let mut s = plain.clone();
                    s.replace_range(at..at + 1, &c.to_string());
                    let want = format!("\"{}{esc}{}\"", &plain[..at], &plain[at + 1..]);
                    assert_eq!(String::from_utf8(to_vec(&Value::String(s))).unwrap(), want);
                }
            }
        }
    }

    #[test]
    fn text_beyond_ascii_is_written_as_it_is() {
        let s = "é€😀".repeat(7);
        assert_eq!(
            to_vec(&Value::String(s.clone())),
            format!("\"{s}\"").into_bytes()
        );
        let q = format!("{s}\"{s}");
        assert_eq!(
            to_vec(&Value::String(q)),
            format!("\"{s}\\\"{s}\"").into_bytes()
        );
    }

    #[test]
    fn integers_print_as_ryu_js_prints_them() {
        let mut cases = vec![1.0, -1.0, 9.0, 10.0, 99.0, 100.0, 123_456_789.0, 1e15, 1e16];
        cases.extend([
            9_007_199_254_740_991.0,
            -9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
        ]);
        cases.extend((0..64).map(|k| (1u64 << k) as f64 - 1.0));
        for n in cases {
            let mut out = Vec::new();
            write_number(n, &mut out);
            let ryu = ryu_js::Buffer::new().format_finite(n).to_string();
            assert_eq!(String::from_utf8(out).unwrap(), ryu, "{n}");
        }
    }

    #[test]
    fn negative_zero_is_zero() {
        assert_eq!(canon("-0.0"), "0");
        assert_eq!(canon("[-0]"), "[0]");
    }

    #[test]
    fn integral_doubles_have_no_fraction() {
        assert_eq!(canon("1.0"), "1");
        assert_eq!(canon("1e21"), "1e+21");
        // The parser refuses 1e20 (its canonical form is an unsafe integer literal); the
        // serializer still writes such a double as RFC 8785 says.
        assert_eq!(
            String::from_utf8(to_vec(&Value::Number(1e20))).unwrap(),
            "100000000000000000000"
        );
    }
}
