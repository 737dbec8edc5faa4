//! Strict JSON values for evidence.
//!
//! Evidence JSON is parsed into [`Value`], never into `serde_json::Value`, because a verifier
//! must not silently normalise what it hashes:
//!
//! * a duplicate member name is an error (serde_json keeps the last one: two `severity` keys
//!   would show one value and hash another);
//! * an unpaired surrogate escape (`"\ud800"`) is an error (serde_json's own check);
//! * an integer literal outside +-(2^53 - 1) is an error, since RFC 8785 hashes it as a double
//!   and two producers would disagree on its bytes (RFC 7493, I-JSON); so is any number, however
//!   written (`7727777777777777777.77`, `1e20`), whose canonical form is such an integer literal
//!   (integral, beyond 2^53 - 1 and below 10^21, where RFC 8785 switches to exponents): what is
//!   accepted canonicalizes to text that is accepted again;
//! * a number that overflows a double is an error.
//!
//! Invariant: the members of a [`Value::Object`] are stored sorted by the UTF-16 code units of
//! their names (the RFC 8785 order) and are unique, so canonical serialization is a plain walk.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Largest integer a double holds exactly: 2^53 - 1.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A parsed JSON value with objects in canonical member order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Every JSON number is an IEEE-754 double, as RFC 8785 requires.
    Number(f64),
    /// A string, escapes resolved.
    String(String),
    /// An array, in order.
    Array(Vec<Value>),
    /// Members sorted by UTF-16 code units of the name, names unique.
    Object(Vec<(String, Value)>),
}

/// Why a JSON text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line} column {column}")]
pub struct JsonError {
    /// What is wrong, without the position.
    pub message: String,
    /// 1-based line of the JSON text where the parser stopped (0 when unknown).
    pub line: usize,
    /// 1-based column of that line.
    pub column: usize,
}

impl JsonError {
    pub(crate) fn from_serde(e: serde_json::Error) -> Self {
        // serde_json appends " at line L column C" to custom messages; keep ours clean.
        let mut message = e.to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        if message.contains("hex escape") || message.contains("surrogate") {
            message = format!("invalid \\u escape (an unpaired UTF-16 surrogate?): {message}");
        }
        JsonError {
            message,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Compares two member names in RFC 8785 order (UTF-16 code units).
///
/// UTF-8 byte order is code point order, and UTF-16 order differs from it only between a code
/// point of U+E000..=U+FFFF (UTF-8 lead byte 0xEE or 0xEF) and one above U+FFFF (lead byte 0xF0
/// and up, a surrogate pair in UTF-16). The names' bytes are compared, and only when they first
/// differ at such a pair of lead bytes are the UTF-16 code units compared. (Equal prefixes put the
/// first differing byte at a character boundary in both names, or inside a character of the
/// same length in both.)
pub fn cmp_utf16(a: &str, b: &str) -> Ordering {
    cmp_utf16_bytes(a.as_bytes(), b.as_bytes())
}

/// [`cmp_utf16`] of two names given as their UTF-8 bytes (for text already checked to be
/// UTF-8: bytes that are not fall back to byte order).
pub fn cmp_utf16_bytes(x: &[u8], y: &[u8]) -> Ordering {
    let Some(i) = x.iter().zip(y).position(|(p, q)| p != q) else {
        return x.len().cmp(&y.len());
    };
    let (p, q) = (x[i], y[i]);
    let high_bmp = |c: u8| c == 0xEE || c == 0xEF;
    if (p >= 0xF0 && high_bmp(q)) || (high_bmp(p) && q >= 0xF0) {
        match (std::str::from_utf8(x), std::str::from_utf8(y)) {
            (Ok(a), Ok(b)) => a.encode_utf16().cmp(b.encode_utf16()),
            _ => p.cmp(&q),
        }
    } else {
        p.cmp(&q)
    }
}

impl Value {
    /// Parses one JSON text strictly (see the module docs).
    pub fn parse(text: &[u8]) -> Result<Value, JsonError> {
        parse_whole(serde_json::Deserializer::from_slice(text), StrictSeed)
    }

    /// Parses a JSON text given as `&str`.
    pub fn parse_str(text: &str) -> Result<Value, JsonError> {
        Value::parse(text.as_bytes())
    }

    /// Builds an object from members in any order; `Err(name)` names a duplicate member.
    pub fn object(mut members: Vec<(String, Value)>) -> Result<Value, String> {
        // Unstable is enough: two members of one name are refused below, whatever their order.
        if !members.is_sorted_by(|a, b| cmp_utf16(&a.0, &b.0).is_le()) {
            members.sort_unstable_by(|a, b| cmp_utf16(&a.0, &b.0));
        }
        if let Some(w) = members.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(w[0].0.clone());
        }
        Ok(Value::Object(members))
    }

    /// Member `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m
                .binary_search_by(|(k, _)| cmp_utf16(k, name))
                .ok()
                .map(|i| &m[i].1),
            _ => None,
        }
    }

    /// Mutable member `name` of an object.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m
                .binary_search_by(|(k, _)| cmp_utf16(k, name))
                .ok()
                .map(move |i| &mut m[i].1),
            _ => None,
        }
    }

    /// Sets member `name` of an object, keeping the canonical order. No-op on non-objects.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Object(m) = self {
            match m.binary_search_by(|(k, _)| cmp_utf16(k, name)) {
                Ok(i) => m[i].1 = value,
                Err(i) => m.insert(i, (name.to_string(), value)),
            }
        }
    }

    /// Removes member `name` of an object and returns it.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        match self {
            Value::Object(m) => m
                .binary_search_by(|(k, _)| cmp_utf16(k, name))
                .ok()
                .map(|i| m.remove(i).1),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The double of a number value.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The value as an exact non-negative integer, if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n <= MAX_SAFE_INTEGER => {
                Some(*n as u64)
            }
            _ => None,
        }
    }

    /// Whether the value is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The JSON type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Converts from a `serde_json::Value` (used for data our own code builds, never for
    /// evidence text, which goes through [`Value::parse`]).
    pub fn from_serde(v: &serde_json::Value) -> Result<Value, String> {
        Ok(match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    check_safe_int(i as i128)?;
                    Value::Number(i as f64)
                } else if let Some(u) = n.as_u64() {
                    check_safe_int(u as i128)?;
                    Value::Number(u as f64)
                } else {
                    Value::Number(n.as_f64().ok_or("number out of range")?)
                }
            }
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => {
                Value::Array(a.iter().map(Value::from_serde).collect::<Result<_, _>>()?)
            }
            serde_json::Value::Object(o) => Value::object(
                o.iter()
                    .map(|(k, v)| Ok((k.clone(), Value::from_serde(v)?)))
                    .collect::<Result<_, String>>()?,
            )
            .map_err(|k| format!("duplicate member {k:?}"))?,
        })
    }

    /// Converts to a `serde_json::Value` for display and report output.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
                    serde_json::Value::from(*n as i64)
                } else {
                    serde_json::Number::from_f64(*n)
                        .map(serde_json::Value::Number)
                        .unwrap_or(serde_json::Value::Null)
                }
            }
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_serde).collect()),
            Value::Object(m) => serde_json::Value::Object(
                m.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect(),
            ),
        }
    }
}

/// Runs `seed` over a whole JSON text: one value, then nothing but white space.
pub(crate) fn parse_whole<'de, R: serde_json::de::Read<'de>, S: DeserializeSeed<'de>>(
    mut de: serde_json::Deserializer<R>,
    seed: S,
) -> Result<S::Value, JsonError> {
    let v = seed.deserialize(&mut de).map_err(JsonError::from_serde)?;
    de.end().map_err(JsonError::from_serde)?;
    Ok(v)
}

fn check_safe_int(i: i128) -> Result<(), String> {
    if (i.unsigned_abs() as f64) > MAX_SAFE_INTEGER {
        Err(format!(
            "integer {i} is outside +-(2^53-1) and cannot be hashed reproducibly (I-JSON)"
        ))
    } else {
        Ok(())
    }
}

impl fmt::Display for Value {
    /// Displays the canonical (RFC 8785) form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::canonical::write_value(self, &mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// Deserializes a [`Value`] strictly. Used through [`Value::parse`].
pub(crate) struct StrictSeed;

impl<'de> DeserializeSeed<'de> for StrictSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

pub(crate) struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        check_safe_int(i as i128).map_err(E::custom)?;
        Ok(Value::Number(i as f64))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        check_safe_int(u as i128).map_err(E::custom)?;
        Ok(Value::Number(u as f64))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Value, E> {
        if !x.is_finite() {
            return Err(E::custom("number overflows a double"));
        }
        if x.fract() == 0.0 && x.abs() > MAX_SAFE_INTEGER && x.abs() < 1e21 {
            // RFC 8785 writes it as an integer literal, which the rule above refuses.
            return Err(E::custom(format!(
                "number {} is an integer outside +-(2^53-1) and cannot be hashed reproducibly (I-JSON)",
                String::from_utf8_lossy(&crate::canonical::to_vec(&Value::Number(x)))
            )));
        }
        Ok(Value::Number(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(x) = seq.next_element_seed(StrictSeed)? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::with_capacity(24);
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(StrictSeed)?;
            members.push((k, v));
        }
        Value::object(members)
            .map_err(|k| de::Error::custom(format!("duplicate member name {k:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_member_is_refused() {
        let e = Value::parse(br#"{"severity":"info","a":1,"severity":"critical"}"#).unwrap_err();
        assert_eq!(e.message, "duplicate member name \"severity\"");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn lone_surrogate_is_refused() {
        let e = Value::parse(br#"{"a":"\ud800x"}"#).unwrap_err();
        assert_eq!(
            e.message,
            "invalid \\u escape (an unpaired UTF-16 surrogate?): unexpected end of hex escape"
        );
    }

    #[test]
    fn unsafe_integers_are_refused_and_safe_ones_kept() {
        assert!(Value::parse(b"9007199254740992").is_err());
        assert!(Value::parse(b"-9007199254740992").is_err());
        assert_eq!(
            Value::parse(b"9007199254740991").unwrap(),
            Value::Number(9007199254740991.0)
        );
        assert!(Value::parse(b"1e400").is_err());
    }

    /// Found by fuzzing (json_canonical): a fraction beyond 2^53 is an integral double whose
    /// canonical form is an integer literal, which parsing refused: now refused as written too,
    /// and so is an integer literal too long for 64 bits; from 10^21 on RFC 8785 writes an
    /// exponent, which parses back.
    #[test]
    fn a_number_whose_canonical_form_is_an_unsafe_integer_is_refused_however_written() {
        for text in [
            "7727777777777777777.77",
            "9007199254740993.5",
            "1e20",
            "100000000000000000000",
            "-4.5e19",
        ] {
            let e = Value::parse(text.as_bytes()).unwrap_err();
            assert!(
                e.message.contains("is an integer outside +-(2^53-1)"),
                "{text}: {}",
                e.message
            );
        }
        assert_eq!(
            Value::parse(b"7727777777777777777.77").unwrap_err().message,
            "number 7727777777777778000 is an integer outside +-(2^53-1) and cannot be hashed reproducibly (I-JSON)"
        );
        for text in ["1e21", "1E30", "4503599627370495.5", "9007199254740991.0"] {
            let v = Value::parse(text.as_bytes()).unwrap();
            let c = crate::canonical::to_vec(&v);
            assert_eq!(Value::parse(&c).unwrap(), v, "{text}");
        }
    }

    #[test]
    fn members_are_sorted_by_utf16() {
        // U+1F600 (surrogates D83D..) sorts before U+FB01 in UTF-16 but after it in UTF-8.
        let v = Value::parse("{\"\u{fb01}\":1,\"\u{1f600}\":2,\"a\":3}".as_bytes()).unwrap();
        let Value::Object(m) = v else { panic!() };
        let names: Vec<_> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["a", "\u{1f600}", "\u{fb01}"]);
    }

    #[test]
    fn trailing_garbage_is_refused() {
        let e = Value::parse(b"{} x").unwrap_err();
        assert_eq!((e.line, e.column), (1, 4));
    }
}
