//! The expression evaluator: the value of one literal expression of an `INSERT` tuple.
//!
//! Invariants: only literals and the forms sqlite3 writes for strings with control characters
//! (`replace(..)`, `char(..)`, `unistr(..)`, nested freely) and PostgreSQL casts (which do not
//! change the text) are evaluated; anything else is an error naming what was found, so the row
//! becomes unreadable and reading goes on. Nothing is executed.

use super::tokenizer::{hex_digits, push_char, LiteralError, Tok};
use crate::row::{Cell, ValueDecodeError};

/// Why an expression could not be evaluated (the row holding it is then unreadable).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum ExpressionError {
    #[error("expected '{0}'")]
    Expected(char),
    #[error("expected ',' or ')' in function arguments")]
    ExpectedArgumentSeparator,
    #[error("missing value")]
    MissingValue,
    #[error("a sign must precede a number")]
    SignWithoutNumber,
    #[error("replace() with arguments other than strings")]
    ReplaceArguments,
    #[error("char({0}) names no character")]
    CharNamesNoCharacter(i64),
    #[error("char() with a non-integer argument")]
    CharArgument,
    #[error("unistr() with an argument other than one string")]
    UnistrArgument,
    #[error("unsupported expression starting with {0:?}")]
    UnsupportedFunction(String),
    #[error("unsupported value {}", describe(.0))]
    UnsupportedValue(Tok),
}

/// sqlite `unistr()`: `\\`, `\XXXX`, `\uXXXX`, `\+XXXXXX`, `\UXXXXXXXX`.
fn unistr(s: &str) -> Result<String, LiteralError> {
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
            return Err(LiteralError::InvalidUnistrEscape);
        }
        push_char(&mut v, cp)?;
        i += skip + n;
    }
    String::from_utf8(v).map_err(|_| LiteralError::UnistrNotUtf8)
}

fn text_of(t: Vec<u8>) -> Cell {
    match String::from_utf8(t) {
        Ok(s) => Cell::Text(s),
        Err(e) => Cell::Bad(ValueDecodeError::LiteralNotUtf8 {
            byte: e.utf8_error().valid_up_to() + 1,
        }),
    }
}

/// Evaluates one value expression: literals and the replace/char/unistr forms only.
pub(super) struct Expr<'a> {
    pub(super) toks: &'a [Tok],
    pub(super) i: usize,
}

impl Expr<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }

    pub(super) fn bump(&mut self) -> Option<&Tok> {
        let t = self.toks.get(self.i);
        self.i += 1;
        t
    }

    fn expect(&mut self, p: u8) -> Result<(), ExpressionError> {
        match self.bump() {
            Some(Tok::Punct(c)) if *c == p => Ok(()),
            _ => Err(ExpressionError::Expected(char::from(p))),
        }
    }

    pub(super) fn value(&mut self) -> Result<Cell, ExpressionError> {
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

    fn args(&mut self) -> Result<Vec<Cell>, ExpressionError> {
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
                _ => return Err(ExpressionError::ExpectedArgumentSeparator),
            }
        }
    }

    fn primary(&mut self) -> Result<Cell, ExpressionError> {
        let Some(t) = self.bump().cloned() else {
            return Err(ExpressionError::MissingValue);
        };
        match t {
            Tok::Str(b) => Ok(text_of(b)),
            Tok::Blob(n) => Ok(Cell::Blob(n)),
            Tok::Bad(error) => Ok(Cell::Bad(ValueDecodeError::Literal(error))),
            Tok::Num(n) => Ok(number(&n, false)),
            Tok::Punct(s @ (b'-' | b'+')) => match self.bump().cloned() {
                Some(Tok::Num(n)) => Ok(number(&n, s == b'-')),
                _ => Err(ExpressionError::SignWithoutNumber),
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
                            _ => Err(ExpressionError::ReplaceArguments),
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
                                            return Err(ExpressionError::CharNamesNoCharacter(n))
                                        }
                                    }
                                }
                                _ => return Err(ExpressionError::CharArgument),
                            }
                        }
                        Ok(Cell::Text(s))
                    }
                    "UNISTR" => {
                        let a = self.args()?;
                        match a.as_slice() {
                            [Cell::Text(s)] => Ok(match unistr(s) {
                                Ok(s) => Cell::Text(s),
                                Err(error) => Cell::Bad(ValueDecodeError::Literal(error)),
                            }),
                            _ => Err(ExpressionError::UnistrArgument),
                        }
                    }
                    _ => Err(ExpressionError::UnsupportedFunction(w)),
                }
            }
            other => Err(ExpressionError::UnsupportedValue(other)),
        }
    }
}

pub(super) fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("{w:?}"),
        Tok::QIdent(w) => format!("identifier {w:?}"),
        Tok::Punct(c) => format!("'{}'", *c as char),
        Tok::Cast => "'::'".into(),
        Tok::Dollar => "dollar-quoted string".into(),
        Tok::Str(_) => "string".into(),
        Tok::Blob(_) => "blob".into(),
        Tok::Num(n) => n.clone(),
        Tok::Bad(error) => error.to_string(),
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
        _ => Cell::Bad(ValueDecodeError::UnrepresentableNumber(n.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the reader always wrote.
    #[test]
    fn expression_errors_keep_their_messages() {
        let cases = [
            (ExpressionError::Expected(')'), "expected ')'"),
            (
                ExpressionError::ExpectedArgumentSeparator,
                "expected ',' or ')' in function arguments",
            ),
            (ExpressionError::MissingValue, "missing value"),
            (
                ExpressionError::SignWithoutNumber,
                "a sign must precede a number",
            ),
            (
                ExpressionError::ReplaceArguments,
                "replace() with arguments other than strings",
            ),
            (
                ExpressionError::CharNamesNoCharacter(-1),
                "char(-1) names no character",
            ),
            (
                ExpressionError::CharArgument,
                "char() with a non-integer argument",
            ),
            (
                ExpressionError::UnistrArgument,
                "unistr() with an argument other than one string",
            ),
            (
                ExpressionError::UnsupportedFunction("now".into()),
                "unsupported expression starting with \"now\"",
            ),
            (
                ExpressionError::UnsupportedValue(Tok::QIdent("x".into())),
                "unsupported value identifier \"x\"",
            ),
            (
                ExpressionError::UnsupportedValue(Tok::Bad(LiteralError::MalformedBlob)),
                "unsupported value malformed X'..' blob literal",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
        assert_eq!(
            ValueDecodeError::LiteralNotUtf8 { byte: 3 }.to_string(),
            "string literal is not valid UTF-8 (byte 3)"
        );
        assert_eq!(
            ValueDecodeError::UnrepresentableNumber("1e999".into()).to_string(),
            "number 1e999 cannot be represented"
        );
    }
}
