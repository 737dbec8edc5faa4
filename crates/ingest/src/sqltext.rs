//! SQL dump text: sqlite3 `.dump` output and PostgreSQL `pg_dump` plain text.
//!
//! The text is **parsed, never executed**. A streaming [`Splitter`] cuts the input into
//! statements while respecting `'...'` strings (with `''` doubling), PostgreSQL `E'...'`
//! strings (backslash escapes), `"quoted"` identifiers, `$tag$` dollar quoting, `--` and `/* */`
//! comments, and `BEGIN ... END` bodies of `CREATE TRIGGER`/`FUNCTION`/`PROCEDURE`, whose `;`
//! do not end the statement. PostgreSQL psql meta-commands (`\restrict KEY`, `\connect`, ...)
//! between statements are skipped, and `COPY ... FROM stdin;` data blocks are read line by line
//! in COPY text format ([`crate::copy`]).
//!
//! Only rows of the table `audit_log` (any schema prefix) become records: from
//! `INSERT INTO audit_log VALUES(...)`, `INSERT INTO "audit_log"(cols) VALUES(...)` (one or more
//! tuples) and COPY blocks. The column order comes from the statement's column list, else from
//! the `CREATE TABLE audit_log` statement. Values are literals only: strings, numbers, `NULL`,
//! `TRUE`/`FALSE`, `X'..'` blobs (unreadable as a record member), and the expression forms
//! sqlite3 writes for strings with control characters: `replace(str, lit, char(N))` nested
//! freely, `char(N, ...)` and `unistr('..')`. Anything else makes that row
//! [`RawData::Unreadable`] with the line of its statement; reading goes on.
//!
//! Invariants: memory is bounded by the longest statement (capped at [`MAX_STATEMENT`]); every
//! byte is hashed; a text that is not a dump (binary data, or no `audit_log` table at all) is
//! [`IngestError::Malformed`].

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::copy;
use crate::hashing::{open_input, HashingReader, ReadMode};
use crate::jsonl::read_line;
use crate::row::{build_record, Cell, ColumnKind};
use crate::{Digested, IngestError, Location, RawData, RawRecord, RecordSource};

/// Largest statement (or COPY data line) accepted.
pub const MAX_STATEMENT: usize = 256 * 1024 * 1024;

/// Which SQL dialect the dump is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// sqlite3 `.dump`.
    Sqlite,
    /// PostgreSQL `pg_dump` plain text.
    Postgres,
}

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

fn is_word_byte(b: u8) -> bool {
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
fn dollar_tag(s: &[u8]) -> Option<Vec<u8>> {
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

// ---------------------------------------------------------------------------------------------
// Tokens and literal values.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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
    Bad(String),
}

fn tokenize(s: &[u8], dialect: Dialect, backslash_strings: bool) -> Vec<Tok> {
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
                    Tok::Str(_) => Tok::Bad("malformed X'..' blob literal".into()),
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
    (Tok::Bad("unterminated string literal".into()), s.len())
}

fn push_char(v: &mut Vec<u8>, cp: u32) -> Result<(), String> {
    let ch = char::from_u32(cp).ok_or_else(|| format!("escape names no character (U+{cp:X})"))?;
    let mut b = [0u8; 4];
    v.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
    Ok(())
}

fn hex_digits(s: &[u8], max: usize) -> (u32, usize) {
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
    let mut err: Option<String> = None;
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
                None if pending_high.is_some() => {
                    Tok::Bad("unpaired UTF-16 surrogate in \\u escape".into())
                }
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
        let mut r: Result<(), String> = Ok(());
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
                    r = Err(format!("invalid \\{} escape", e as char));
                } else if (0xD800..0xDC00).contains(&cp) {
                    pending_high = Some(cp);
                    continue;
                } else if (0xDC00..0xE000).contains(&cp) {
                    match pending_high.take() {
                        Some(h) => {
                            r = push_char(&mut v, 0x10000 + ((h - 0xD800) << 10) + (cp - 0xDC00))
                        }
                        None => r = Err("unpaired UTF-16 surrogate in \\u escape".into()),
                    }
                } else {
                    r = push_char(&mut v, cp);
                }
            }
            other => v.push(other),
        }
        if pending_high.take().is_some() {
            r = Err("unpaired UTF-16 surrogate in \\u escape".into());
        }
        if let (Err(m), None) = (r, &err) {
            err = Some(m);
        }
    }
    (Tok::Bad("unterminated string literal".into()), s.len())
}

/// sqlite `unistr()`: `\\`, `\XXXX`, `\uXXXX`, `\+XXXXXX`, `\UXXXXXXXX`.
fn unistr(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut v = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            v.push(b[i]);
            i += 1;
            continue;
        }
        let (skip, want) = match b.get(i + 1) {
            Some(b'\\') => {
                v.push(b'\\');
                i += 2;
                continue;
            }
            Some(b'u') => (2, 4),
            Some(b'+') => (2, 6),
            Some(b'U') => (2, 8),
            _ => (1, 4),
        };
        let (cp, n) = hex_digits(&b[(i + skip).min(b.len())..], want);
        if n != want {
            return Err("invalid escape in unistr()".into());
        }
        push_char(&mut v, cp)?;
        i += skip + n;
    }
    String::from_utf8(v).map_err(|_| "unistr() result is not valid UTF-8".into())
}

fn text_of(t: Vec<u8>) -> Cell {
    match String::from_utf8(t) {
        Ok(s) => Cell::Text(s),
        Err(e) => Cell::Bad(format!(
            "string literal is not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to() + 1
        )),
    }
}

/// Evaluates one value expression: literals and the replace/char/unistr forms only.
struct Expr<'a> {
    toks: &'a [Tok],
    i: usize,
}

impl Expr<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    fn bump(&mut self) -> Option<&Tok> {
        let t = self.toks.get(self.i);
        self.i += 1;
        t
    }

    fn expect(&mut self, p: u8) -> Result<(), String> {
        match self.bump() {
            Some(Tok::Punct(c)) if *c == p => Ok(()),
            _ => Err(format!("expected '{}'", p as char)),
        }
    }

    fn value(&mut self) -> Result<Cell, String> {
        let cell = self.primary()?;
        // PostgreSQL casts (`'..'::jsonb`) do not change the text.
        while let Some(Tok::Cast) = self.peek() {
            self.i += 1;
            while let Some(Tok::Word(_)) | Some(Tok::QIdent(_)) = self.peek() {
                self.i += 1;
                if let Some(Tok::Punct(b'.')) = self.peek() {
                    self.i += 1;
                }
            }
            if let Some(Tok::Punct(b'(')) = self.peek() {
                while let Some(t) = self.bump() {
                    if *t == Tok::Punct(b')') {
                        break;
                    }
                }
            }
            while let Some(Tok::Punct(b'[')) = self.peek() {
                self.i += 1;
                self.expect(b']')?;
            }
        }
        Ok(cell)
    }

    fn args(&mut self) -> Result<Vec<Cell>, String> {
        self.expect(b'(')?;
        let mut v = Vec::new();
        if let Some(Tok::Punct(b')')) = self.peek() {
            self.i += 1;
            return Ok(v);
        }
        loop {
            v.push(self.value()?);
            match self.bump() {
                Some(Tok::Punct(b',')) => {}
                Some(Tok::Punct(b')')) => return Ok(v),
                _ => return Err("expected ',' or ')' in function arguments".into()),
            }
        }
    }

    fn primary(&mut self) -> Result<Cell, String> {
        let Some(t) = self.bump().cloned() else {
            return Err("missing value".into());
        };
        match t {
            Tok::Str(b) => Ok(text_of(b)),
            Tok::Blob(n) => Ok(Cell::Blob(n)),
            Tok::Bad(m) => Ok(Cell::Bad(m)),
            Tok::Num(n) => Ok(number(&n, false)),
            Tok::Punct(s @ (b'-' | b'+')) => match self.bump().cloned() {
                Some(Tok::Num(n)) => Ok(number(&n, s == b'-')),
                _ => Err("a sign must precede a number".into()),
            },
            Tok::Punct(b'(') => {
                let v = self.value()?;
                self.expect(b')')?;
                Ok(v)
            }
            Tok::Word(w) => {
                let u = w.to_ascii_uppercase();
                match u.as_str() {
                    "NULL" => Ok(Cell::Null),
                    "TRUE" => Ok(Cell::Bool(true)),
                    "FALSE" => Ok(Cell::Bool(false)),
                    "REPLACE" => {
                        let a = self.args()?;
                        match a.as_slice() {
                            [Cell::Text(s), Cell::Text(from), Cell::Text(to)] => {
                                if from.is_empty() {
                                    Ok(Cell::Text(s.clone()))
                                } else {
                                    Ok(Cell::Text(s.replace(from.as_str(), to)))
                                }
                            }
                            [Cell::Bad(m), ..] => Ok(Cell::Bad(m.clone())),
                            _ => Err("replace() with arguments other than strings".into()),
                        }
                    }
                    "CHAR" => {
                        let a = self.args()?;
                        let mut s = String::new();
                        for c in a {
                            match c {
                                Cell::Int(n) => {
                                    match u32::try_from(n).ok().and_then(char::from_u32) {
                                        Some(ch) => s.push(ch),
                                        None => {
                                            return Err(format!("char({n}) names no character"))
                                        }
                                    }
                                }
                                _ => return Err("char() with a non-integer argument".into()),
                            }
                        }
                        Ok(Cell::Text(s))
                    }
                    "UNISTR" => {
                        let a = self.args()?;
                        match a.as_slice() {
                            [Cell::Text(s)] => Ok(match unistr(s) {
                                Ok(s) => Cell::Text(s),
                                Err(m) => Cell::Bad(m),
                            }),
                            _ => Err("unistr() with an argument other than one string".into()),
                        }
                    }
                    _ => Err(format!("unsupported expression starting with {w:?}")),
                }
            }
            other => Err(format!("unsupported value {}", describe(&other))),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("{w:?}"),
        Tok::QIdent(w) => format!("identifier {w:?}"),
        Tok::Punct(c) => format!("'{}'", *c as char),
        Tok::Cast => "'::'".into(),
        Tok::Dollar => "dollar-quoted string".into(),
        Tok::Str(_) => "string".into(),
        Tok::Blob(_) => "blob".into(),
        Tok::Num(n) => n.clone(),
        Tok::Bad(m) => m.clone(),
    }
}

fn number(n: &str, neg: bool) -> Cell {
    let is_int = n.bytes().all(|b| b.is_ascii_digit());
    if is_int {
        let s = if neg { format!("-{n}") } else { n.to_string() };
        if let Ok(i) = s.parse::<i64>() {
            return Cell::Int(i);
        }
    }
    match n.parse::<f64>() {
        Ok(f) if f.is_finite() => Cell::Real(if neg { -f } else { f }),
        _ => Cell::Bad(format!("number {n} cannot be represented")),
    }
}

// ---------------------------------------------------------------------------------------------
// Statements about audit_log.

fn is_kw(t: Option<&Tok>, kw: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
}

/// Parses `name(.name)*` at `*i`; returns the last part (the table name) as the dialect
/// folds it.
fn qualified_name(toks: &[Tok], i: &mut usize, dialect: Dialect) -> Option<String> {
    let mut last = None;
    loop {
        match toks.get(*i) {
            Some(Tok::Word(w)) => last = Some(fold(w, dialect)),
            Some(Tok::QIdent(w)) => last = Some(w.clone()),
            _ => return last,
        }
        *i += 1;
        if toks.get(*i) == Some(&Tok::Punct(b'.')) {
            *i += 1;
        } else {
            return last;
        }
    }
}

fn fold(w: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => w.to_ascii_lowercase(),
        Dialect::Sqlite => w.to_string(),
    }
}

fn is_audit_log(name: &str) -> bool {
    name.eq_ignore_ascii_case("audit_log")
}

/// `( ident, ident, ... )` at `*i`.
fn column_list(toks: &[Tok], i: &mut usize, dialect: Dialect) -> Option<Vec<String>> {
    if toks.get(*i) != Some(&Tok::Punct(b'(')) {
        return None;
    }
    *i += 1;
    let mut cols = Vec::new();
    loop {
        match toks.get(*i) {
            Some(Tok::Word(w)) => cols.push(fold(w, dialect)),
            Some(Tok::QIdent(w)) => cols.push(w.clone()),
            _ => return None,
        }
        *i += 1;
        match toks.get(*i) {
            Some(Tok::Punct(b',')) => *i += 1,
            Some(Tok::Punct(b')')) => {
                *i += 1;
                return Some(cols);
            }
            _ => return None,
        }
    }
}

/// Columns and their declared types from `CREATE TABLE audit_log (...)`.
fn create_table(toks: &[Tok], dialect: Dialect) -> Option<Vec<(String, String)>> {
    let mut i = 1;
    while matches!(toks.get(i), Some(Tok::Word(w)) if !w.eq_ignore_ascii_case("TABLE")) {
        i += 1;
    }
    if !is_kw(toks.get(i), "TABLE") {
        return None;
    }
    i += 1;
    if is_kw(toks.get(i), "IF") {
        i += 3;
    }
    let name = qualified_name(toks, &mut i, dialect)?;
    if !is_audit_log(&name) || toks.get(i) != Some(&Tok::Punct(b'(')) {
        return None;
    }
    i += 1;
    let mut cols = Vec::new();
    let mut depth = 0;
    let mut elem: Vec<&Tok> = Vec::new();
    while let Some(t) = toks.get(i) {
        i += 1;
        match t {
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') if depth == 0 => {
                column_def(&elem, dialect, &mut cols);
                return Some(cols);
            }
            Tok::Punct(b')') => depth -= 1,
            Tok::Punct(b',') if depth == 0 => {
                column_def(&elem, dialect, &mut cols);
                elem.clear();
                continue;
            }
            _ => {}
        }
        elem.push(t);
    }
    None
}

fn column_def(elem: &[&Tok], dialect: Dialect, cols: &mut Vec<(String, String)>) {
    const CONSTRAINTS: &[&str] = &[
        "CONSTRAINT",
        "PRIMARY",
        "UNIQUE",
        "CHECK",
        "FOREIGN",
        "EXCLUDE",
        "LIKE",
    ];
    const STOP: &[&str] = &[
        "NOT",
        "NULL",
        "DEFAULT",
        "PRIMARY",
        "REFERENCES",
        "UNIQUE",
        "CHECK",
        "CONSTRAINT",
        "COLLATE",
        "GENERATED",
        "AS",
    ];
    let name = match elem.first() {
        Some(Tok::Word(w)) if CONSTRAINTS.iter().any(|k| w.eq_ignore_ascii_case(k)) => return,
        Some(Tok::Word(w)) => fold(w, dialect),
        Some(Tok::QIdent(w)) => w.clone(),
        _ => return,
    };
    let mut ty = String::new();
    for t in &elem[1..] {
        let piece = match t {
            Tok::Word(w) if STOP.iter().any(|k| w.eq_ignore_ascii_case(k)) => break,
            Tok::Word(w) | Tok::QIdent(w) => w.clone(),
            Tok::Num(n) => n.clone(),
            Tok::Punct(c) => (*c as char).to_string(),
            _ => break,
        };
        if !ty.is_empty() {
            ty.push(' ');
        }
        ty.push_str(&piece);
    }
    cols.push((name, ty));
}

/// What an `INSERT` statement holds: the table, the optional column list and each tuple's
/// values (or why a tuple could not be read).
struct Insert {
    table: String,
    columns: Option<Vec<String>>,
    tuples: Vec<Result<Vec<Cell>, String>>,
}

fn parse_insert(toks: &[Tok], dialect: Dialect) -> Result<Insert, String> {
    let mut i = 1;
    // INSERT [OR REPLACE | OR IGNORE ...] INTO
    while matches!(toks.get(i), Some(Tok::Word(w)) if !w.eq_ignore_ascii_case("INTO")) {
        i += 1;
    }
    if !is_kw(toks.get(i), "INTO") {
        return Err("INSERT without INTO".into());
    }
    i += 1;
    let table = qualified_name(toks, &mut i, dialect).ok_or("INSERT without a table name")?;
    if !is_audit_log(&table) {
        return Ok(Insert {
            table,
            columns: None,
            tuples: Vec::new(),
        });
    }
    if is_kw(toks.get(i), "AS") {
        i += 2;
    }
    let columns = if toks.get(i) == Some(&Tok::Punct(b'(')) {
        Some(column_list(toks, &mut i, dialect).ok_or("malformed column list")?)
    } else {
        None
    };
    // OVERRIDING SYSTEM VALUE and the like.
    while matches!(toks.get(i), Some(Tok::Word(w)) if !w.eq_ignore_ascii_case("VALUES")) {
        i += 1;
    }
    if !is_kw(toks.get(i), "VALUES") {
        return Err("INSERT without VALUES (only literal rows can be read)".into());
    }
    i += 1;
    let mut tuples = Vec::new();
    loop {
        if toks.get(i) != Some(&Tok::Punct(b'(')) {
            if tuples.is_empty() {
                return Err("VALUES without a row".into());
            }
            break;
        }
        // Find the tuple's end by parenthesis depth, then evaluate its values.
        let st = i + 1;
        let mut depth = 0usize;
        let mut end = None;
        for (k, t) in toks.iter().enumerate().skip(i) {
            match t {
                Tok::Punct(b'(') => depth += 1,
                Tok::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            tuples.push(Err("unbalanced parentheses in VALUES".into()));
            break;
        };
        tuples.push(tuple(&toks[st..end]));
        i = end + 1;
        if toks.get(i) == Some(&Tok::Punct(b',')) {
            i += 1;
        } else {
            break;
        }
    }
    Ok(Insert {
        table,
        columns,
        tuples,
    })
}

fn tuple(toks: &[Tok]) -> Result<Vec<Cell>, String> {
    let mut e = Expr { toks, i: 0 };
    let mut cells = Vec::new();
    if toks.is_empty() {
        return Ok(cells);
    }
    loop {
        let n = cells.len() + 1;
        cells.push(e.value().map_err(|m| format!("value {n}: {m}"))?);
        match e.bump() {
            None => return Ok(cells),
            Some(Tok::Punct(b',')) => {}
            Some(t) => {
                return Err(format!(
                    "value {n}: unsupported expression (unexpected {} after the value)",
                    describe(t)
                ))
            }
        }
    }
}

/// `COPY name [(cols)] FROM stdin`: the table and optional columns.
fn parse_copy(toks: &[Tok], dialect: Dialect) -> Option<(String, Option<Vec<String>>)> {
    let mut i = 1;
    let table = qualified_name(toks, &mut i, dialect)?;
    let cols = if toks.get(i) == Some(&Tok::Punct(b'(')) {
        Some(column_list(toks, &mut i, dialect)?)
    } else {
        None
    };
    if is_kw(toks.get(i), "FROM") && is_kw(toks.get(i + 1), "STDIN") {
        Some((table, cols))
    } else {
        None
    }
}

fn first_word(text: &[u8]) -> String {
    let t = text.trim_ascii_start();
    let n = t.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    String::from_utf8_lossy(&t[..n]).to_ascii_uppercase()
}

// ---------------------------------------------------------------------------------------------
// The record source.

enum Copying {
    No,
    /// Data rows of audit_log, with their columns, from the COPY at `line`.
    AuditLog {
        columns: Vec<(String, ColumnKind)>,
        line: u64,
    },
    /// Data of another table: skipped.
    Other {
        line: u64,
    },
}

/// Streaming source over sqlite3 `.dump` or `pg_dump` text.
pub struct SqlDumpSource {
    path: PathBuf,
    dialect: Dialect,
    splitter: Splitter<BufReader<HashingReader<File>>>,
    total: Option<u64>,
    /// Columns and declared types from `CREATE TABLE audit_log`.
    table: Option<Vec<(String, String)>>,
    seen_audit_log: bool,
    backslash_strings: bool,
    copying: Copying,
    pending: VecDeque<RawRecord>,
    done: bool,
}

impl SqlDumpSource {
    /// Opens a dump; fails when the start of the file is binary, not SQL text.
    pub fn open(path: &Path, dialect: Dialect) -> Result<Self, IngestError> {
        Self::open_mode(path, dialect, ReadMode::Verify)
    }

    /// [`SqlDumpSource::open`], reading in `mode`.
    pub fn open_mode(path: &Path, dialect: Dialect, mode: ReadMode) -> Result<Self, IngestError> {
        let (r, total) = open_input(path, mode)?;
        let mut reader = BufReader::with_capacity(256 * 1024, r);
        let head = reader.fill_buf().map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(off) = head.iter().position(|&b| b == 0) {
            return Err(IngestError::malformed(
                path,
                format!("byte offset {off}"),
                "binary data (a NUL byte), not SQL dump text",
            ));
        }
        Ok(SqlDumpSource {
            path: path.to_path_buf(),
            dialect,
            splitter: Splitter::new(reader, dialect),
            total,
            table: None,
            seen_audit_log: false,
            backslash_strings: false,
            copying: Copying::No,
            pending: VecDeque::new(),
            done: false,
        })
    }

    fn io(&self, e: io::Error) -> IngestError {
        if e.kind() == io::ErrorKind::InvalidData {
            IngestError::malformed(
                &self.path,
                format!("line {}", self.splitter.line_no() + 1),
                e.to_string(),
            )
        } else {
            IngestError::Io {
                path: self.path.clone(),
                source: e,
            }
        }
    }

    fn kinds_for(&self, names: &[String]) -> Vec<(String, ColumnKind)> {
        names
            .iter()
            .map(|n| {
                let declared = self
                    .table
                    .as_ref()
                    .and_then(|t| t.iter().find(|(c, _)| c == n))
                    .map(|(_, ty)| ty.as_str());
                let kind = match (self.dialect, declared) {
                    (Dialect::Postgres, Some(ty)) => ColumnKind::from_sql_type(n, ty),
                    (Dialect::Postgres, None) if n == "seq" => ColumnKind::Integer,
                    _ => ColumnKind::by_name(n),
                };
                (n.clone(), kind)
            })
            .collect()
    }

    fn table_columns(&self) -> Option<Vec<String>> {
        self.table
            .as_ref()
            .map(|t| t.iter().map(|(n, _)| n.clone()).collect())
    }

    fn statement(&mut self, st: Statement) {
        let word = first_word(&st.text);
        let loc = Location::Line(st.line);
        match word.as_str() {
            "SET" if self.dialect == Dialect::Postgres => {
                let toks = tokenize(&st.text, self.dialect, false);
                if is_kw(toks.get(1), "standard_conforming_strings") {
                    let off = toks.iter().skip(2).any(|t| match t {
                        Tok::Word(w) => w.eq_ignore_ascii_case("off"),
                        Tok::Str(v) => v.eq_ignore_ascii_case(b"off"),
                        _ => false,
                    });
                    self.backslash_strings = off;
                    self.splitter.set_backslash_strings(off);
                }
            }
            "CREATE" => {
                let toks = tokenize(&st.text, self.dialect, self.backslash_strings);
                if let Some(cols) = create_table(&toks, self.dialect) {
                    self.table = Some(cols);
                    self.seen_audit_log = true;
                }
            }
            "INSERT" | "REPLACE" => {
                let toks = tokenize(&st.text, self.dialect, self.backslash_strings);
                let ins = match parse_insert(&toks, self.dialect) {
                    Ok(ins) => ins,
                    Err(m) => {
                        // Only a statement about audit_log concerns us.
                        if toks
                            .iter()
                            .any(|t| matches!(t, Tok::Word(w) | Tok::QIdent(w) if is_audit_log(w)))
                        {
                            self.seen_audit_log = true;
                            self.pending.push_back(RawRecord {
                                loc,
                                data: RawData::Unreadable(format!("line {}: {m}", st.line)),
                            });
                        }
                        return;
                    }
                };
                if !is_audit_log(&ins.table) {
                    return;
                }
                self.seen_audit_log = true;
                let place = format!("line {}", st.line);
                if !st.complete {
                    self.pending.push_back(RawRecord {
                        loc,
                        data: RawData::Unreadable(format!(
                            "{place}: INSERT statement not terminated by ';' (dump truncated?)"
                        )),
                    });
                    return;
                }
                let names = match ins.columns.or_else(|| self.table_columns()) {
                    Some(n) => n,
                    None => {
                        self.pending.push_back(RawRecord {
                            loc,
                            data: RawData::Unreadable(format!(
                                "{place}: INSERT without a column list and no CREATE TABLE audit_log before it"
                            )),
                        });
                        return;
                    }
                };
                let columns = self.kinds_for(&names);
                let many = ins.tuples.len() > 1;
                for (k, t) in ins.tuples.into_iter().enumerate() {
                    let place = if many {
                        format!("{place} (row {} of the INSERT)", k + 1)
                    } else {
                        place.clone()
                    };
                    let data = match t {
                        Ok(cells) => build_record(&columns, cells, &place),
                        Err(m) => RawData::Unreadable(format!("{place}: {m}")),
                    };
                    self.pending.push_back(RawRecord { loc, data });
                }
            }
            "COPY" if self.dialect == Dialect::Postgres => {
                let toks = tokenize(&st.text, self.dialect, self.backslash_strings);
                match parse_copy(&toks, self.dialect) {
                    Some((table, cols)) if is_audit_log(&table) => {
                        self.seen_audit_log = true;
                        match cols.or_else(|| self.table_columns()) {
                            Some(names) => {
                                let columns = self.kinds_for(&names);
                                self.copying = Copying::AuditLog {
                                    columns,
                                    line: st.line,
                                };
                            }
                            None => {
                                self.pending.push_back(RawRecord {
                                    loc,
                                    data: RawData::Unreadable(format!(
                                        "line {}: COPY audit_log without a column list and no CREATE TABLE before it; its rows cannot be read",
                                        st.line
                                    )),
                                });
                                self.copying = Copying::Other { line: st.line };
                            }
                        }
                    }
                    Some(_) => self.copying = Copying::Other { line: st.line },
                    None => {}
                }
            }
            _ => {}
        }
    }

    /// Reads one COPY data line; returns false at end of input.
    fn copy_line(&mut self) -> Result<bool, IngestError> {
        let got = match self.splitter.raw_line() {
            Ok(g) => g.map(|(l, n)| (copy::is_end_marker(l), copy::decode_row(l), n)),
            Err(e) => return Err(self.io(e)),
        };
        let Some((end, cells, n)) = got else {
            if let Copying::AuditLog { line, .. } | Copying::Other { line } = self.copying {
                let is_audit = matches!(self.copying, Copying::AuditLog { .. });
                self.copying = Copying::No;
                if is_audit {
                    let eof = self.splitter.line_no() + 1;
                    self.pending.push_back(RawRecord {
                        loc: Location::Line(eof),
                        data: RawData::Unreadable(format!(
                            "line {eof}: the COPY block of audit_log started at line {line} has no end marker \\. (dump truncated?)"
                        )),
                    });
                }
            }
            return Ok(false);
        };
        if end {
            self.copying = Copying::No;
            return Ok(true);
        }
        if let Copying::AuditLog { columns, .. } = &self.copying {
            let place = format!("line {n}");
            let data = build_record(columns, cells, &place);
            self.pending.push_back(RawRecord {
                loc: Location::Line(n),
                data,
            });
        }
        Ok(true)
    }
}

impl RecordSource for SqlDumpSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
        let max = max.max(1);
        let mut added = 0;
        loop {
            while added < max {
                match self.pending.pop_front() {
                    Some(r) => {
                        out.push(r);
                        added += 1;
                    }
                    None => break,
                }
            }
            if added >= max {
                return Ok(true);
            }
            if self.done {
                return Ok(added > 0);
            }
            if !matches!(self.copying, Copying::No) {
                // At end of input the COPY state is reset; the next statement read ends.
                self.copy_line()?;
                continue;
            }
            match self.splitter.next_statement() {
                Ok(Some(st)) => self.statement(st),
                Ok(None) => {
                    self.done = true;
                    if !self.seen_audit_log {
                        return Err(IngestError::malformed(
                            &self.path,
                            format!("line {} (end of file)", self.splitter.line_no()),
                            "no table audit_log in this dump (no CREATE TABLE, INSERT or COPY for it)",
                        ));
                    }
                }
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.splitter.get_ref().get_ref().count()
    }

    fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    fn digest(&mut self) -> Result<Digested, IngestError> {
        let path = self.path.clone();
        self.splitter
            .get_mut()
            .get_mut()
            .finish()
            .map_err(|source| IngestError::Io { path, source })
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

    #[test]
    fn values() {
        let toks = tokenize(
            b"INSERT INTO audit_log VALUES(replace(replace('a\\r\\nb','\\r',char(13)),'\\n',char(10)),-5,1.5e2,NULL,X'00ff',unistr('x\\000ay\\\\'))",
            Dialect::Sqlite,
            false,
        );
        let ins = parse_insert(&toks, Dialect::Sqlite).expect("parse");
        assert_eq!(
            ins.tuples[0].as_ref().expect("tuple"),
            &vec![
                Cell::Text("a\r\nb".into()),
                Cell::Int(-5),
                Cell::Real(150.0),
                Cell::Null,
                Cell::Blob(2),
                Cell::Text("x\ny\\".into())
            ]
        );
        let toks = tokenize(
            b"x E'a\\n\\x41\\101\\u00e9''\\q' 'it''s'",
            Dialect::Postgres,
            false,
        );
        assert_eq!(toks[1], Tok::Str("a\nAAé'q".as_bytes().to_vec()));
        assert_eq!(toks[2], Tok::Str(b"it's".to_vec()));
    }
}
