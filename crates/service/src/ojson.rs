//! Order-preserving JSON for the store's text columns and for dumps.
//!
//! Hashing always goes through `trailproof_core::json::Value` (canonical order). This module
//! only keeps the member order a producer wrote, so that the stored text of `changes` and
//! `metadata` renders the way the seed system wrote it (Python `json.dumps` separators
//! `", "` and `": "`), and renders `jsonb` the way PostgreSQL prints it.

use std::fmt::Write as _;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use trailproof_core::json::Value;

/// A JSON value whose objects keep their member order. Numbers keep their source text.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn parse(text: &str) -> anyhow::Result<J> {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = de.deserialize_any(JVisitor)?;
        de.end()?;
        Ok(v)
    }

    pub fn str(s: impl Into<String>) -> J {
        J::Str(s.into())
    }

    pub fn int(n: i64) -> J {
        J::Num(n.to_string())
    }

    pub fn obj(members: Vec<(&str, J)>) -> J {
        J::Obj(
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    pub fn opt(s: Option<&str>) -> J {
        s.map(J::str).unwrap_or(J::Null)
    }

    pub fn get(&self, name: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The strict, canonical-order value that is hashed.
    pub fn to_value(&self) -> anyhow::Result<Value> {
        let mut out = String::new();
        self.write_compact(&mut out);
        Ok(Value::parse_str(&out)?)
    }

    /// Compact JSON (`,` and `:` without spaces), member order kept.
    pub fn compact(&self) -> String {
        let mut out = String::new();
        self.write_compact(&mut out);
        out
    }

    /// Appends [`J::compact`]'s text to `out`.
    pub fn write_compact(&self, out: &mut String) {
        self.write_sep(out, ",", ":", false);
    }

    /// Python `json.dumps(ensure_ascii=False)` rendering: `", "` and `": "`, order kept.
    pub fn python(&self) -> String {
        let mut out = String::new();
        self.write_sep(&mut out, ", ", ": ", false);
        out
    }

    /// PostgreSQL `jsonb` output: members sorted by (length, bytes), `", "` and `": "`.
    pub fn jsonb(&self) -> String {
        let mut out = String::new();
        self.write_sep(&mut out, ", ", ": ", true);
        out
    }

    fn write_sep(&self, out: &mut String, comma: &str, colon: &str, jsonb: bool) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => write_str(s, out),
            J::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    v.write_sep(out, comma, colon, jsonb);
                }
                out.push(']');
            }
            J::Obj(m) => {
                let mut refs: Vec<&(String, J)> = m.iter().collect();
                if jsonb {
                    refs.sort_by(|a, b| {
                        (a.0.len(), a.0.as_bytes()).cmp(&(b.0.len(), b.0.as_bytes()))
                    });
                    // jsonb keeps the last of duplicate keys.
                    refs.dedup_by(|later, earlier| {
                        if later.0 == earlier.0 {
                            std::mem::swap(later, earlier);
                            true
                        } else {
                            false
                        }
                    });
                }
                out.push('{');
                for (i, (k, v)) in refs.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(comma);
                    }
                    write_str(k, out);
                    out.push_str(colon);
                    v.write_sep(out, comma, colon, jsonb);
                }
                out.push('}');
            }
        }
    }

    /// Python `json.dumps(indent=1, ensure_ascii=False)` plus a final newline.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out.push('\n');
        out
    }

    fn write_pretty(&self, out: &mut String, depth: usize) {
        let pad = |out: &mut String, d: usize| {
            out.push('\n');
            for _ in 0..d {
                out.push(' ');
            }
        };
        match self {
            J::Arr(a) if !a.is_empty() => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    v.write_pretty(out, depth + 1);
                }
                pad(out, depth);
                out.push(']');
            }
            J::Obj(m) if !m.is_empty() => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    write_str(k, out);
                    out.push_str(": ");
                    v.write_pretty(out, depth + 1);
                }
                pad(out, depth);
                out.push('}');
            }
            other => other.write_compact(out),
        }
    }
}

/// A JSON string as Python (`ensure_ascii=False`) and PostgreSQL write it: only `"`, `\` and
/// control characters are escaped; runs without them are copied whole.
pub(crate) fn write_str(s: &str, out: &mut String) {
    // Nearly every string needs no escape: test it whole first (no early exit, so the test
    // vectorizes) and copy it in one piece.
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    out.reserve(s.len() + 2);
    out.push('"');
    if plain {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte matched above is ASCII, so `i` is a char boundary.
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<J, E> {
        Ok(J::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<J, E> {
        Ok(J::Num(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<J, E> {
        Ok(J::Num(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<J, E> {
        // Python repr and ES6 agree for the values a producer writes (shortest round trip).
        let mut buf = Vec::new();
        trailproof_core::canonical::write_number(v, &mut buf);
        let mut s = String::from_utf8(buf).map_err(E::custom)?;
        if !s.contains(['.', 'e']) {
            s.push_str(".0");
        }
        Ok(J::Num(s))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<J, E> {
        Ok(J::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<J, E> {
        Ok(J::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element_seed(JSeed)? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut m = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(JSeed)?;
            m.push((k, v));
        }
        Ok(J::Obj(m))
    }
}

struct JSeed;

impl<'de> de::DeserializeSeed<'de> for JSeed {
    type Value = J;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_python_and_jsonb() {
        let j = J::parse(
            r#"{"before": {"threshold": 0.8}, "after": {"threshold": 0.75, "x": "a\tb"}}"#,
        )
        .unwrap();
        assert_eq!(
            j.python(),
            r#"{"before": {"threshold": 0.8}, "after": {"threshold": 0.75, "x": "a\tb"}}"#
        );
        assert_eq!(
            j.jsonb(),
            r#"{"after": {"x": "a\tb", "threshold": 0.75}, "before": {"threshold": 0.8}}"#
        );
    }
}
