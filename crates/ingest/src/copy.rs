//! PostgreSQL COPY text format (the data lines of a `COPY ... FROM stdin;` block).
//!
//! Invariants: a data line is split on raw tab bytes only (a tab inside a value is always
//! written `\t`); `\N` as a whole field is SQL NULL; backslash escapes are decoded exactly as
//! PostgreSQL's COPY does (`\b \f \n \r \t \v \\`, octal `\NNN` with 1 to 3 digits, hex `\xHH`
//! with 1 or 2 digits, any other escaped character stands for itself); the decoded bytes must be
//! valid UTF-8, otherwise the field is refused with a message. Nothing here panics on any input.

use crate::row::{Cell, ValueDecodeError};

/// Why one COPY data field could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("a backslash ends the field (a truncated escape)")]
    TruncatedEscape,
    /// The decoded bytes are not UTF-8 from the `byte`-th (1-based).
    #[error("the decoded value is not valid UTF-8 (byte {byte})")]
    NotUtf8 { byte: usize },
}

/// The line that ends a COPY block.
pub const END_MARKER: &[u8] = b"\\.";

/// True when `line` (without its newline) ends a COPY data block.
pub fn is_end_marker(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line == END_MARKER
}

/// The fields of a data line (without its newline and `\r`) that needs no decoding: their
/// ranges in `line` (`None` for `\N`) into `out`; false when a field holds any other escape
/// (then [`decode_row`] decodes it).
pub fn plain_fields(line: &str, out: &mut Vec<Option<(usize, usize)>>) -> bool {
    out.clear();
    let bytes = line.as_bytes();
    let mut start = 0;
    // One vectorized pass finds every tab and backslash (a byte-wise split and a search per
    // field took a tenth of the reading thread of a pg_dump).
    let mut marks = memchr::memchr2_iter(b'\t', b'\\', bytes);
    loop {
        let end = match marks.next() {
            Some(i) if bytes[i] == b'\t' => i,
            // A backslash: the whole field must be `\N`.
            Some(i) => {
                let field_end = match marks.next() {
                    Some(j) if bytes[j] == b'\t' => j,
                    Some(_) => return false,
                    None => bytes.len(),
                };
                if i != start || &bytes[start..field_end] != b"\\N" {
                    return false;
                }
                out.push(None);
                if field_end == bytes.len() {
                    return true;
                }
                start = field_end + 1;
                continue;
            }
            None => bytes.len(),
        };
        out.push(Some((start, end)));
        if end == bytes.len() {
            return true;
        }
        start = end + 1;
    }
}

/// Splits one data line (without its newline) into raw fields.
pub fn split_fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b'\t')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one field: `Ok(None)` for `\N`, `Ok(Some(text))` otherwise.
pub fn decode_field(field: &[u8]) -> Result<Option<String>, FieldError> {
    if field == b"\\N" {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&c) = field.get(i + 1) else {
            return Err(FieldError::TruncatedEscape);
        };
        i += 2;
        match c {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v: u32 = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 {
                    match field.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                            n += 1;
                        }
                        _ => break,
                    }
                }
                // PostgreSQL keeps the low byte of a three-digit octal escape.
                out.push((v & 0xff) as u8);
            }
            b'x' => match field.get(i).and_then(|&d| hex_val(d)) {
                Some(h) => {
                    i += 1;
                    let mut v = h;
                    if let Some(l) = field.get(i).and_then(|&d| hex_val(d)) {
                        v = v * 16 + l;
                        i += 1;
                    }
                    out.push(v);
                }
                None => out.push(b'x'),
            },
            other => out.push(other),
        }
    }
    String::from_utf8(out)
        .map(Some)
        .map_err(|e| FieldError::NotUtf8 {
            byte: e.utf8_error().valid_up_to() + 1,
        })
}

/// Decodes a data line into cells (text or NULL; the column types decide the rest).
pub fn decode_row(line: &[u8]) -> Vec<Cell> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    split_fields(line)
        .map(|f| match decode_field(f) {
            Ok(None) => Cell::Null,
            Ok(Some(s)) => Cell::Text(s),
            Err(error) => Cell::Bad(ValueDecodeError::CopyField(error)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass reading of plain fields agrees with splitting at tabs and judging each
    /// field alone, on lines of every mix of plain, empty, `\N` and escaped fields.
    #[test]
    fn plain_fields_are_the_split_fields_judged_one_by_one() {
        fn by_split(line: &str) -> Option<Vec<Option<(usize, usize)>>> {
            let mut out = Vec::new();
            let mut start = 0;
            for field in split_fields(line.as_bytes()) {
                let end = start + field.len();
                if field == b"\\N" {
                    out.push(None);
                } else if field.contains(&b'\\') {
                    return None;
                } else {
                    out.push(Some((start, end)));
                }
                start = end + 1;
            }
            Some(out)
        }
        let parts = [
            "", "a", "\\N", "\\n", "x\\N", "\\Nx", "\\", "\\N\\N", "é\\t", "{}",
        ];
        let mut lines = Vec::new();
        for a in parts {
            lines.push(a.to_string());
            for b in parts {
                lines.push(format!("{a}\t{b}"));
                for c in parts {
                    lines.push(format!("{a}\t{b}\t{c}"));
                }
            }
        }
        let mut out = Vec::new();
        for line in &lines {
            let ok = plain_fields(line, &mut out);
            assert_eq!(ok.then(|| out.clone()), by_split(line), "{line:?}");
        }
        assert_eq!(lines.len(), 1110);
    }

    /// The messages are part of the reports: each variant prints what the reader always wrote.
    #[test]
    fn field_errors_keep_their_messages() {
        assert_eq!(
            decode_field(b"abc\\").unwrap_err().to_string(),
            "a backslash ends the field (a truncated escape)"
        );
        assert_eq!(
            decode_field(b"ab\\377").unwrap_err().to_string(),
            "the decoded value is not valid UTF-8 (byte 3)"
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(decode_field(b"\\N"), Ok(None));
        assert_eq!(decode_field(b"\\\\N"), Ok(Some("\\N".into())));
        assert_eq!(
            decode_field(b"a\\tb\\nc\\\\d\\101\\x41\\x4g\\q\\v\\b\\f\\r\\0"),
            Ok(Some("a\tb\nc\\dAA\x04gq\x0b\x08\x0c\r\0".into()))
        );
        assert_eq!(decode_field(b"\\303\\251"), Ok(Some("é".into())));
        assert!(decode_field(b"\\377").is_err());
        assert!(decode_field(b"abc\\").is_err());
    }
}
