//! A small, bounded parser for PDF objects in raw file bytes.
//!
//! Used to walk the revision chain (`startxref`, xref tables and streams, trailers, `/Prev`)
//! independently of lopdf, which merges all revisions on load and hides them. It never
//! recurses deeper than [`MAX_DEPTH`] and never reads past the buffer.

use lopdf::{Dictionary, Object, StringFormat};

const MAX_DEPTH: usize = 32;

/// Why the bytes at the parser's position are not a PDF object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SyntaxError {
    #[error("objects nested too deeply")]
    TooDeep,
    #[error("unexpected end of file")]
    UnexpectedEnd,
    #[error("unterminated dictionary")]
    UnterminatedDictionary,
    #[error("bad dictionary end")]
    BadDictionaryEnd,
    #[error("bad dictionary key")]
    BadDictionaryKey,
    #[error("dictionary key is not a name")]
    DictionaryKeyNotName,
    #[error("bad hex string")]
    BadHexString,
    #[error("unterminated hex string")]
    UnterminatedHexString,
    #[error("unterminated string")]
    UnterminatedString,
    #[error("unterminated array")]
    UnterminatedArray,
    #[error("unexpected character 0x{0:02x}")]
    UnexpectedCharacter(u8),
    #[error("bad token")]
    BadToken,
    #[error("unexpected token {0:?}")]
    UnexpectedToken(String),
}

pub(crate) struct Parser<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

impl<'a> Parser<'a> {
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Parser { buf, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub(crate) fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if is_ws(c) {
                self.pos += 1;
            } else if c == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A bare token (keyword or number), without consuming delimiters.
    pub(crate) fn token(&mut self) -> &'a [u8] {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_ws(c) || is_delim(c) {
                break;
            }
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    pub(crate) fn keyword(&mut self, kw: &[u8]) -> bool {
        let save = self.pos;
        if self.token() == kw {
            true
        } else {
            self.pos = save;
            false
        }
    }

    pub(crate) fn integer(&mut self) -> Option<i64> {
        let save = self.pos;
        let t = self.token();
        match std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
        {
            Some(v) => Some(v),
            None => {
                self.pos = save;
                None
            }
        }
    }

    /// Parses one object; `N G R` references are recognised.
    pub(crate) fn object(&mut self, depth: usize) -> Result<Object, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError::TooDeep);
        }
        self.skip_ws();
        let c = self.peek().ok_or(SyntaxError::UnexpectedEnd)?;
        match c {
            b'/' => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if is_ws(c) || is_delim(c) {
                        break;
                    }
                    self.pos += 1;
                }
                Ok(Object::Name(unescape_name(&self.buf[start..self.pos])))
            }
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut dict = Dictionary::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(SyntaxError::UnterminatedDictionary),
                        Some(b'>') => {
                            if self.buf.get(self.pos + 1) == Some(&b'>') {
                                self.pos += 2;
                                return Ok(Object::Dictionary(dict));
                            }
                            return Err(SyntaxError::BadDictionaryEnd);
                        }
                        Some(b'/') => {
                            let key = match self.object(depth + 1)? {
                                Object::Name(n) => n,
                                _ => return Err(SyntaxError::BadDictionaryKey),
                            };
                            let value = self.object(depth + 1)?;
                            dict.set(key, value);
                        }
                        Some(_) => return Err(SyntaxError::DictionaryKeyNotName),
                    }
                }
            }
            b'<' => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == b'>' {
                        let hex: Vec<u8> = self.buf[start..self.pos - 1]
                            .iter()
                            .copied()
                            .filter(|c| !is_ws(*c))
                            .collect();
                        let mut out = Vec::with_capacity(hex.len() / 2 + 1);
                        for pair in hex.chunks(2) {
                            let hi = (pair[0] as char)
                                .to_digit(16)
                                .ok_or(SyntaxError::BadHexString)?;
                            let lo = match pair.get(1) {
                                Some(c) => {
                                    (*c as char).to_digit(16).ok_or(SyntaxError::BadHexString)?
                                }
                                None => 0,
                            };
                            out.push((hi * 16 + lo) as u8);
                        }
                        return Ok(Object::String(out, StringFormat::Hexadecimal));
                    }
                }
                Err(SyntaxError::UnterminatedHexString)
            }
            b'(' => {
                self.pos += 1;
                let mut out = Vec::new();
                let mut level = 1usize;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    match c {
                        b'\\' => {
                            let Some(e) = self.peek() else { break };
                            self.pos += 1;
                            match e {
                                b'n' => out.push(b'\n'),
                                b'r' => out.push(b'\r'),
                                b't' => out.push(b'\t'),
                                b'b' => out.push(8),
                                b'f' => out.push(12),
                                b'0'..=b'7' => {
                                    let mut v = u32::from(e - b'0');
                                    for _ in 0..2 {
                                        match self.peek() {
                                            Some(d @ b'0'..=b'7') => {
                                                v = v * 8 + u32::from(d - b'0');
                                                self.pos += 1;
                                            }
                                            _ => break,
                                        }
                                    }
                                    out.push((v & 0xff) as u8);
                                }
                                b'\r' => {
                                    if self.peek() == Some(b'\n') {
                                        self.pos += 1;
                                    }
                                }
                                b'\n' => {}
                                other => out.push(other),
                            }
                        }
                        b'(' => {
                            level += 1;
                            out.push(c);
                        }
                        b')' => {
                            level -= 1;
                            if level == 0 {
                                return Ok(Object::String(out, StringFormat::Literal));
                            }
                            out.push(c);
                        }
                        _ => out.push(c),
                    }
                }
                Err(SyntaxError::UnterminatedString)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(SyntaxError::UnterminatedArray),
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        Some(_) => items.push(self.object(depth + 1)?),
                    }
                }
            }
            _ => {
                let save = self.pos;
                let t = self.token();
                if t.is_empty() {
                    self.pos += 1;
                    return Err(SyntaxError::UnexpectedCharacter(c));
                }
                let s = std::str::from_utf8(t).map_err(|_| SyntaxError::BadToken)?;
                match s {
                    "true" => return Ok(Object::Boolean(true)),
                    "false" => return Ok(Object::Boolean(false)),
                    "null" => return Ok(Object::Null),
                    _ => {}
                }
                if let Ok(n) = s.parse::<i64>() {
                    // Maybe a reference: N G R.
                    let after = self.pos;
                    if let Some(g) = self.integer() {
                        if self.keyword(b"R") {
                            if let (Ok(n), Ok(g)) = (u32::try_from(n), u16::try_from(g)) {
                                return Ok(Object::Reference((n, g)));
                            }
                        }
                    }
                    self.pos = after;
                    return Ok(Object::Integer(n));
                }
                if let Ok(f) = s.parse::<f32>() {
                    return Ok(Object::Real(f));
                }
                self.pos = save;
                Err(SyntaxError::UnexpectedToken(
                    String::from_utf8_lossy(t).into_owned(),
                ))
            }
        }
    }
}

fn unescape_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' && i + 2 < raw.len() + 1 {
            let h = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = h.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the reader always wrote.
    #[test]
    fn syntax_errors_keep_their_messages() {
        let cases: [(&[u8], &str); 10] = [
            (b"", "unexpected end of file"),
            (b"<< /A 1", "unterminated dictionary"),
            (b"<< /A 1 >", "bad dictionary end"),
            (b"<< 1 2 >>", "dictionary key is not a name"),
            (b"<0g>", "bad hex string"),
            (b"<00", "unterminated hex string"),
            (b"(abc", "unterminated string"),
            (b"[1 2", "unterminated array"),
            (b")", "unexpected character 0x29"),
            (b"x", "unexpected token \"x\""),
        ];
        for (source, text) in cases {
            let error = Parser::new(source, 0).object(0).expect_err(text);
            assert_eq!(error.to_string(), text);
        }
        let deep = [b'['; 40];
        assert_eq!(
            Parser::new(&deep, 0).object(0).unwrap_err().to_string(),
            "objects nested too deeply"
        );
        assert_eq!(
            SyntaxError::BadDictionaryKey.to_string(),
            "bad dictionary key"
        );
        assert_eq!(SyntaxError::BadToken.to_string(), "bad token");
    }

    #[test]
    fn parses_trailer_dict() {
        let src = b"<< /Size 12 /Root 1 0 R /Prev 1234 /ID [<0A0b> (x\\)y)] /N#20a -1.5 >>";
        let mut p = Parser::new(src, 0);
        let o = p.object(0).unwrap();
        let d = o.as_dict().unwrap();
        assert_eq!(d.get(b"Prev").unwrap().as_i64().unwrap(), 1234);
        assert_eq!(d.get(b"Root").unwrap().as_reference().unwrap(), (1, 0));
        assert!(d.get(b"N a").is_ok());
    }
}
