//! The tokenizer: one statement's text as tokens, string literals decoded.
//!
//! Invariants: every byte of the text is consumed (the loop always advances); a literal that
//! cannot be decoded (unterminated, a bad escape, a malformed `X'..'` blob) becomes a
//! [`Tok::Bad`] carrying why, never a panic, so only the row that holds it is unreadable;
//! string bytes are kept as written and checked for UTF-8 when a value is made of them.

use super::splitter::{dollar_tag, is_word_byte};
use super::Dialect;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// Bare identifier or keyword, as written.
    Word(String),
    /// Quoted identifier.
    QIdent(String),
    /// String literal, decoded (bytes: validity checked when used).
    Str(Vec<u8>),
    /// `X'..'` literal, byte count.
    Blob(usize),
    Num(String),
    Punct(u8),
    /// `::`
    Cast,
    /// `$$ ... $$`
    Dollar,
    /// A literal that could not be decoded.
    Bad(LiteralError),
}

/// Why a literal (a string, a blob, the argument of `unistr()`) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiteralError {
    #[error("unterminated string literal")]
    UnterminatedString,
    #[error("malformed X'..' blob literal")]
    MalformedBlob,
    #[error("escape names no character (U+{0:X})")]
    NoCharacter(u32),
    /// A `\u` or `\U` escape without its hex digits.
    #[error("invalid \\{0} escape")]
    InvalidUnicodeEscape(char),
    #[error("unpaired UTF-16 surrogate in \\u escape")]
    UnpairedSurrogate,
    #[error("invalid escape in unistr()")]
    InvalidUnistrEscape,
    #[error("unistr() result is not valid UTF-8")]
    UnistrNotUtf8,
}

pub(super) fn tokenize(s: &[u8], dialect: Dialect, backslash_strings: bool) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && s.get(i + 1) == Some(&b'-') {
            while i < s.len() && s[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && s.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < s.len() && !(s[i] == b'*' && s.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i += 2;
        } else if c == b'\'' {
            let (t, n) = if backslash_strings && dialect == Dialect::Postgres {
                escape_string(&s[i..])
            } else {
                plain_string(&s[i..])
            };
            out.push(t);
            i += n;
        } else if is_word_byte(c) && !c.is_ascii_digit() {
            let st = i;
            while i < s.len() && (is_word_byte(s[i]) || s[i] == b'$') {
                i += 1;
            }
            let w = &s[st..i];
            if s.get(i) == Some(&b'\'') && (w == b"X" || w == b"x") {
                let (t, n) = plain_string(&s[i..]);
                i += n;
                out.push(match t {
                    Tok::Str(b) if b.len() % 2 == 0 && b.iter().all(u8::is_ascii_hexdigit) => {
                        Tok::Blob(b.len() / 2)
                    }
                    Tok::Str(_) => Tok::Bad(LiteralError::MalformedBlob),
                    other => other,
                });
            } else if dialect == Dialect::Postgres
                && s.get(i) == Some(&b'\'')
                && (w == b"E" || w == b"e")
            {
                let (t, n) = escape_string(&s[i..]);
                out.push(t);
                i += n;
            } else {
                out.push(Tok::Word(String::from_utf8_lossy(w).into_owned()));
            }
        } else if c.is_ascii_digit() || (c == b'.' && s.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let st = i;
            while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'.') {
                i += 1;
            }
            if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
                let mut j = i + 1;
                if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
                    j += 1;
                }
                if j < s.len() && s[j].is_ascii_digit() {
                    i = j;
                    while i < s.len() && s[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            out.push(Tok::Num(String::from_utf8_lossy(&s[st..i]).into_owned()));
        } else if c == b'"' || (dialect == Dialect::Sqlite && c == b'`') {
            let mut v = Vec::new();
            i += 1;
            while i < s.len() {
                if s[i] == c {
                    if s.get(i + 1) == Some(&c) {
                        v.push(c);
                        i += 2;
                        continue;
                    }
                    break;
                }
                v.push(s[i]);
                i += 1;
            }
            i += 1;
            out.push(Tok::QIdent(String::from_utf8_lossy(&v).into_owned()));
        } else if c == b'[' && dialect == Dialect::Sqlite {
            let st = i + 1;
            while i < s.len() && s[i] != b']' {
                i += 1;
            }
            out.push(Tok::QIdent(
                String::from_utf8_lossy(&s[st.min(i)..i]).into_owned(),
            ));
            i += 1;
        } else if c == b'$' && dialect == Dialect::Postgres {
            if let Some(tag) = dollar_tag(&s[i..]) {
                i += tag.len();
                match find(&s[i..], &tag) {
                    Some(k) => i += k + tag.len(),
                    None => i = s.len(),
                }
                out.push(Tok::Dollar);
            } else {
                out.push(Tok::Punct(c));
                i += 1;
            }
        } else if c == b':' && s.get(i + 1) == Some(&b':') {
            out.push(Tok::Cast);
            i += 2;
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `'...'` with `''` doubling, starting at the opening quote. Returns the token and the bytes
/// used.
fn plain_string(s: &[u8]) -> (Tok, usize) {
    let mut v = Vec::new();
    let mut i = 1;
    while i < s.len() {
        if s[i] == b'\'' {
            if s.get(i + 1) == Some(&b'\'') {
                v.push(b'\'');
                i += 2;
                continue;
            }
            return (Tok::Str(v), i + 1);
        }
        v.push(s[i]);
        i += 1;
    }
    (Tok::Bad(LiteralError::UnterminatedString), s.len())
}

pub(super) fn push_char(v: &mut Vec<u8>, cp: u32) -> Result<(), LiteralError> {
    let ch = char::from_u32(cp).ok_or(LiteralError::NoCharacter(cp))?;
    let mut b = [0u8; 4];
    v.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
    Ok(())
}

pub(super) fn hex_digits(s: &[u8], max: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut n = 0;
    while n < max {
        match s.get(n).and_then(|b| (*b as char).to_digit(16)) {
            Some(d) => {
                v = v * 16 + d;
                n += 1;
            }
            None => break,
        }
    }
    (v, n)
}

/// PostgreSQL `E'...'` starting at the opening quote.
fn escape_string(s: &[u8]) -> (Tok, usize) {
    let mut v = Vec::new();
    let mut i = 1;
    let mut err: Option<LiteralError> = None;
    let mut pending_high: Option<u32> = None;
    while i < s.len() {
        let c = s[i];
        if c == b'\'' {
            if s.get(i + 1) == Some(&b'\'') {
                v.push(b'\'');
                i += 2;
                continue;
            }
            let tok = match err {
                Some(e) => Tok::Bad(e),
                None if pending_high.is_some() => Tok::Bad(LiteralError::UnpairedSurrogate),
                None => Tok::Str(v),
            };
            return (tok, i + 1);
        }
        if c != b'\\' {
            v.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = s.get(i + 1) else { break };
        i += 2;
        let mut r: Result<(), LiteralError> = Ok(());
        match e {
            b'b' => v.push(8),
            b'f' => v.push(12),
            b'n' => v.push(b'\n'),
            b'r' => v.push(b'\r'),
            b't' => v.push(b'\t'),
            b'0'..=b'7' => {
                let mut val = u32::from(e - b'0');
                let mut n = 1;
                while n < 3 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            val = val * 8 + u32::from(d - b'0');
                            i += 1;
                            n += 1;
                        }
                        _ => break,
                    }
                }
                v.push((val & 0xff) as u8);
            }
            b'x' => {
                let (val, n) = hex_digits(&s[i..], 2);
                if n == 0 {
                    v.push(b'x');
                } else {
                    v.push(val as u8);
                    i += n;
                }
            }
            b'u' | b'U' => {
                let want = if e == b'u' { 4 } else { 8 };
                let (cp, n) = hex_digits(&s[i..], want);
                i += n;
                if n != want {
                    r = Err(LiteralError::InvalidUnicodeEscape(e as char));
                } else if (0xD800..0xDC00).contains(&cp) {
                    pending_high = Some(cp);
                    continue;
                } else if (0xDC00..0xE000).contains(&cp) {
                    match pending_high.take() {
                        Some(h) => {
                            r = push_char(&mut v, 0x10000 + ((h - 0xD800) << 10) + (cp - 0xDC00))
                        }
                        None => r = Err(LiteralError::UnpairedSurrogate),
                    }
                } else {
                    r = push_char(&mut v, cp);
                }
            }
            other => v.push(other),
        }
        if pending_high.take().is_some() {
            r = Err(LiteralError::UnpairedSurrogate);
        }
        if let (Err(m), None) = (r, &err) {
            err = Some(m);
        }
    }
    (Tok::Bad(LiteralError::UnterminatedString), s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the reader always wrote.
    #[test]
    fn literal_errors_keep_their_messages() {
        let cases = [
            (
                LiteralError::UnterminatedString,
                "unterminated string literal",
            ),
            (LiteralError::MalformedBlob, "malformed X'..' blob literal"),
            (
                LiteralError::NoCharacter(0xD800),
                "escape names no character (U+D800)",
            ),
            (
                LiteralError::InvalidUnicodeEscape('U'),
                "invalid \\U escape",
            ),
            (
                LiteralError::UnpairedSurrogate,
                "unpaired UTF-16 surrogate in \\u escape",
            ),
            (
                LiteralError::InvalidUnistrEscape,
                "invalid escape in unistr()",
            ),
            (
                LiteralError::UnistrNotUtf8,
                "unistr() result is not valid UTF-8",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        let tokens = tokenize(b"E'\\u12' E'\\uD800x' 'open", Dialect::Postgres, false);
        assert_eq!(
            tokens,
            vec![
                Tok::Bad(LiteralError::InvalidUnicodeEscape('u')),
                Tok::Bad(LiteralError::UnpairedSurrogate),
                Tok::Bad(LiteralError::UnterminatedString),
            ]
        );
    }
}
