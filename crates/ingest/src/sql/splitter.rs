//! The statement splitter: cuts SQL dump text into statements, streaming, line by line.
//!
//! Invariants: a `;` ends a statement only outside quotes, comments, dollar quoting and the
//! `BEGIN ... END` body of a `CREATE TRIGGER|FUNCTION|PROCEDURE`; comments are dropped (a space
//! stands in for one); each statement carries the 1-based line it starts on and whether its `;`
//! was seen; at most [`MAX_STATEMENT`] bytes are held, a longer statement is an error of kind
//! `InvalidData`; every call progresses (the fuzz target `sql_dump` holds it to that).

use std::io::{self, BufRead};

use super::{Dialect, MAX_STATEMENT};
use crate::jsonl::read_line;

/// One statement cut out of the text (comments removed, without its `;`).
#[derive(Debug, Clone)]
pub struct Statement {
    pub text: Vec<u8>,
    /// 1-based line where the statement starts.
    pub line: u64,
    /// False when the input ended before the statement's `;`.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Quote {
    None,
    Single { escapes: bool },
    Double,
    Bracket,
    Backtick,
    Dollar(Vec<u8>),
    Block,
}

pub(super) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Cuts a SQL text into statements, streaming.
pub struct Splitter<R> {
    reader: R,
    dialect: Dialect,
    line: Vec<u8>,
    pos: usize,
    line_no: u64,
    started: bool,
    eof: bool,
    /// PostgreSQL with `standard_conforming_strings = off`: `'..'` strings take backslash
    /// escapes.
    backslash_strings: bool,
}

impl<R: BufRead> Splitter<R> {
    pub fn new(reader: R, dialect: Dialect) -> Self {
        Splitter {
            reader,
            dialect,
            line: Vec::new(),
            pos: 0,
            line_no: 0,
            started: false,
            eof: false,
            backslash_strings: false,
        }
    }

    /// Sets whether plain `'..'` strings take backslash escapes (PostgreSQL
    /// `standard_conforming_strings = off`).
    pub fn set_backslash_strings(&mut self, on: bool) {
        self.backslash_strings = on && self.dialect == Dialect::Postgres;
    }

    /// Number of the last line read (1-based; 0 before any).
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    fn next_line(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let mut buf = std::mem::take(&mut self.line);
        let more = read_line(&mut self.reader, &mut buf, MAX_STATEMENT)?;
        self.line = buf;
        self.pos = 0;
        if more {
            self.line_no += 1;
        } else {
            self.eof = true;
        }
        Ok(more)
    }

    /// Drops the rest of the current line and returns the next whole line (for COPY data),
    /// or `None` at end of input.
    pub fn raw_line(&mut self) -> io::Result<Option<(&[u8], u64)>> {
        if !self.next_line()? {
            return Ok(None);
        }
        self.pos = self.line.len();
        Ok(Some((&self.line, self.line_no)))
    }

    /// The next statement, or `None` at end of input.
    pub fn next_statement(&mut self) -> io::Result<Option<Statement>> {
        let mut text: Vec<u8> = Vec::new();
        let mut start = 0u64;
        let mut q = Quote::None;
        let mut ws = Words::default();
        let mut have_text = false;
        self.started = self.line_no > 0;
        loop {
            if !self.started || self.pos >= self.line.len() {
                if self.started && have_text {
                    if q == Quote::None {
                        ws.end();
                    }
                    text.push(b'\n');
                }
                if !self.next_line()? {
                    if have_text {
                        return Ok(Some(Statement {
                            text,
                            line: start,
                            complete: false,
                        }));
                    }
                    return Ok(None);
                }
                self.started = true;
                if !have_text
                    && q == Quote::None
                    && self.dialect == Dialect::Postgres
                    && self.line.first() == Some(&b'\\')
                {
                    // psql meta-command (\restrict, \connect, ...): one line, not SQL.
                    self.pos = self.line.len();
                    continue;
                }
                if text.len() > MAX_STATEMENT {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("a statement is longer than {MAX_STATEMENT} bytes"),
                    ));
                }
                continue;
            }
            let c = self.line[self.pos];
            let next = self.line.get(self.pos + 1).copied();
            match &q {
                Quote::None => {
                    if !is_word_byte(c) && !ws.word.is_empty() {
                        let e_prefix = self.dialect == Dialect::Postgres
                            && c == b'\''
                            && (ws.word == b"E" || ws.word == b"e");
                        ws.end();
                        if e_prefix {
                            q = Quote::Single { escapes: true };
                            text.push(c);
                            self.pos += 1;
                            continue;
                        }
                    }
                    if c == b'-' && next == Some(b'-') {
                        if have_text {
                            text.push(b' ');
                        }
                        self.pos = self.line.len();
                        continue;
                    }
                    if c == b'/' && next == Some(b'*') {
                        if have_text {
                            text.push(b' ');
                        }
                        q = Quote::Block;
                        self.pos += 2;
                        continue;
                    }
                    if !have_text {
                        if c.is_ascii_whitespace() {
                            self.pos += 1;
                            continue;
                        }
                        have_text = true;
                        start = self.line_no;
                    }
                    self.pos += 1;
                    match c {
                        b';' if ws.depth <= 0 => {
                            return Ok(Some(Statement {
                                text,
                                line: start,
                                complete: true,
                            }))
                        }
                        b'\'' => {
                            q = Quote::Single {
                                escapes: self.backslash_strings,
                            }
                        }
                        b'"' => q = Quote::Double,
                        b'[' if self.dialect == Dialect::Sqlite => q = Quote::Bracket,
                        b'`' if self.dialect == Dialect::Sqlite => q = Quote::Backtick,
                        b'$' if self.dialect == Dialect::Postgres && ws.word.is_empty() => {
                            if let Some(tag) = dollar_tag(&self.line[self.pos - 1..]) {
                                text.extend_from_slice(&tag);
                                self.pos += tag.len() - 1;
                                q = Quote::Dollar(tag);
                                continue;
                            }
                        }
                        _ => {}
                    }
                    if is_word_byte(c) {
                        ws.word.push(c);
                    }
                    text.push(c);
                }
                Quote::Single { escapes } => {
                    text.push(c);
                    self.pos += 1;
                    if *escapes && c == b'\\' {
                        if let Some(n) = next {
                            text.push(n);
                            self.pos += 1;
                        }
                    } else if c == b'\'' {
                        if next == Some(b'\'') {
                            text.push(b'\'');
                            self.pos += 1;
                        } else {
                            q = Quote::None;
                        }
                    }
                }
                Quote::Double | Quote::Backtick => {
                    let close = if q == Quote::Double { b'"' } else { b'`' };
                    text.push(c);
                    self.pos += 1;
                    if c == close {
                        if next == Some(close) {
                            text.push(close);
                            self.pos += 1;
                        } else {
                            q = Quote::None;
                        }
                    }
                }
                Quote::Bracket => {
                    text.push(c);
                    self.pos += 1;
                    if c == b']' {
                        q = Quote::None;
                    }
                }
                Quote::Dollar(tag) => {
                    if self.line[self.pos..].starts_with(tag) {
                        let n = tag.len();
                        text.extend_from_slice(&self.line[self.pos..self.pos + n]);
                        self.pos += n;
                        q = Quote::None;
                    } else {
                        text.push(c);
                        self.pos += 1;
                    }
                }
                Quote::Block => {
                    if c == b'*' && next == Some(b'/') {
                        self.pos += 2;
                        q = Quote::None;
                    } else {
                        self.pos += 1;
                    }
                }
            }
        }
    }
}

/// Keyword tracking of the statement being cut: `BEGIN`/`CASE` ... `END` nesting inside
/// `CREATE TRIGGER|FUNCTION|PROCEDURE`, where `;` does not end the statement.
#[derive(Default)]
struct Words {
    word: Vec<u8>,
    count: usize,
    first_create: bool,
    block_stmt: bool,
    depth: i32,
}

impl Words {
    fn end(&mut self) {
        if self.word.is_empty() {
            return;
        }
        let w = String::from_utf8_lossy(&self.word).to_ascii_uppercase();
        self.word.clear();
        self.count += 1;
        if self.count == 1 {
            self.first_create = w == "CREATE";
        } else if self.first_create
            && self.count <= 5
            && matches!(w.as_str(), "TRIGGER" | "FUNCTION" | "PROCEDURE")
        {
            self.block_stmt = true;
        }
        if self.block_stmt {
            match w.as_str() {
                "BEGIN" | "CASE" => self.depth += 1,
                "END" if self.depth > 0 => self.depth -= 1,
                _ => {}
            }
        }
    }
}

/// `$tag$` at the start of `s` (tag empty or an identifier not starting with a digit).
pub(super) fn dollar_tag(s: &[u8]) -> Option<Vec<u8>> {
    if s.first() != Some(&b'$') {
        return None;
    }
    let mut i = 1;
    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_' || s[i] >= 0x80) {
        if i == 1 && s[i].is_ascii_digit() {
            return None;
        }
        i += 1;
    }
    if s.get(i) == Some(&b'$') {
        Some(s[..=i].to_vec())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(s: &str, d: Dialect) -> Vec<(String, u64, bool)> {
        let mut sp = Splitter::new(s.as_bytes(), d);
        let mut v = Vec::new();
        while let Some(st) = sp.next_statement().expect("io") {
            v.push((
                String::from_utf8_lossy(&st.text).into_owned(),
                st.line,
                st.complete,
            ));
        }
        v
    }

    #[test]
    fn splits_triggers_dollar_and_strings() {
        let s = "PRAGMA x;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n SELECT 1; SELECT CASE WHEN 1 THEN 2 END;\nEND;\nINSERT INTO a VALUES('x;''\ny');\n";
        let v = stmts(s, Dialect::Sqlite);
        assert_eq!(v.len(), 3);
        assert_eq!(v[1].1, 2);
        assert_eq!(v[2].0, "INSERT INTO a VALUES('x;''\ny')");
        assert_eq!(v[2].1, 5);
        let p = "\\restrict abc\nCREATE FUNCTION f() AS $$ BEGIN x; END $$;\n-- c;\nSELECT E'a\\';b';\n\\unrestrict abc\n";
        let v = stmts(p, Dialect::Postgres);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[1].0, "SELECT E'a\\';b'");
        assert_eq!(v[1].1, 4);
    }
}
