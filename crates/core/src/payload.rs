//! An export payload (`audit-export.json`, AEF/1 section 6) held in flat memory.
//!
//! A payload of 100,000 records is about 87 MB of JSON; as one [`Value`] tree it took several
//! hundred MB, and a verification held it two or three times over (issue #21: a 100k-record
//! export PDF peaked at 1.1 GiB). [`Payload::parse`] parses the text with the same strict rules
//! as [`Value::parse`] (same errors, same positions: it is the same parser), but keeps each
//! element of the `records` array as its canonical bytes (RFC 8785, about 650 bytes a record)
//! the moment it is parsed, so only one record is ever a tree. Every other member stays a
//! [`Value`] ([`Payload::get`]).
//!
//! Invariants:
//! * what is accepted is exactly what [`Value::parse`] accepts, refused with the same
//!   [`JsonError`];
//! * [`Payload::records`] yields the elements in order, each equal to the [`Value`] the strict
//!   parser built for it (canonical text parses back to the same value: `json_canonical`'s
//!   fuzz oracle);
//! * [`Payload::get`] never returns `records` when it is an array: its elements are only
//!   reachable through [`Payload::records`].

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::canonical;
use crate::json::{parse_whole, JsonError, StrictSeed, StrictVisitor, Value};

/// One record kept as its canonical (RFC 8785) bytes; shared, never copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRecord(Arc<[u8]>);

impl CanonicalRecord {
    /// The canonical bytes of `value`.
    pub fn of(value: &Value) -> CanonicalRecord {
        CanonicalRecord(canonical::to_vec(value).into())
    }

    /// Its canonical bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The record as a value, parsed again from its canonical bytes. Canonical text of a
    /// strictly parsed value always parses back to that value; should it ever not, the record
    /// reads as `null`, which every check reports as not a record (never silently dropped).
    pub fn value(&self) -> Value {
        Value::parse(&self.0).unwrap_or(Value::Null)
    }

    /// Member `name` of the record, when it is a string (the record is parsed for it).
    pub fn str_member(&self, name: &str) -> Option<String> {
        self.value()
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// A strictly parsed payload: its `records` elements as canonical bytes, the rest as values.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The payload without `records` when that is an array (whatever JSON value the text holds,
    /// normally an object).
    head: Value,
    /// The `records` array's elements in order, when the payload has such an array.
    records: Option<Vec<CanonicalRecord>>,
}

impl Payload {
    /// Parses a payload strictly (the rules and errors of [`Value::parse`]).
    pub fn parse(text: &[u8]) -> Result<Payload, JsonError> {
        parse_whole(serde_json::Deserializer::from_slice(text), PayloadSeed)
    }

    /// [`Payload::parse`] from a reader (an inflating decoder, so that the payload's text is
    /// never held whole): the same rules and refusals, though a number refused by the strict
    /// rules is placed one column further (serde_json has peeked past it); a read error is
    /// refused as JSON errors are, with the position reached.
    pub fn from_reader(reader: impl std::io::Read) -> Result<Payload, JsonError> {
        let buffered = std::io::BufReader::with_capacity(256 * 1024, reader);
        parse_whole(serde_json::Deserializer::from_reader(buffered), PayloadSeed)
    }

    /// A payload from a value built in memory (tests, fixtures).
    pub fn from_value(mut value: Value) -> Payload {
        let records = match value.get("records") {
            Some(Value::Array(_)) => match value.remove("records") {
                Some(Value::Array(list)) => Some(list.iter().map(CanonicalRecord::of).collect()),
                _ => None,
            },
            _ => None,
        };
        Payload {
            head: value,
            records,
        }
    }

    /// Member `name` of the payload (never `records` when it is an array: see
    /// [`Payload::records`]).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.head.get(name)
    }

    /// The `records` array's elements in order, each as its canonical bytes; `None` when the
    /// payload has no `records` array.
    pub fn records(&self) -> Option<&[CanonicalRecord]> {
        self.records.as_deref()
    }

    /// The `records` array's elements in order, each parsed again (one at a time).
    pub fn record_values(&self) -> Option<impl Iterator<Item = Value> + '_> {
        self.records
            .as_ref()
            .map(|list| list.iter().map(CanonicalRecord::value))
    }
}

/// The visitor methods that hand a scalar to [`StrictVisitor`] and wrap its value with `$wrap`
/// (both visitors below differ from it only in arrays and objects).
macro_rules! strict_scalars {
    ($wrap:expr) => {
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            StrictVisitor.visit_unit().map($wrap)
        }

        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
            StrictVisitor.visit_bool(b).map($wrap)
        }

        fn visit_i64<E: de::Error>(self, i: i64) -> Result<Self::Value, E> {
            StrictVisitor.visit_i64(i).map($wrap)
        }

        fn visit_u64<E: de::Error>(self, u: u64) -> Result<Self::Value, E> {
            StrictVisitor.visit_u64(u).map($wrap)
        }

        fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
            StrictVisitor.visit_f64(x).map($wrap)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            StrictVisitor.visit_str(s).map($wrap)
        }

        fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
            StrictVisitor.visit_string(s).map($wrap)
        }
    };
}

/// Deserializes a [`Payload`]: a [`StrictVisitor`] except for the top-level object's
/// `records` member.
struct PayloadSeed;

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = Payload;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Payload, D::Error> {
        d.deserialize_any(PayloadVisitor)
    }
}

/// A top-level value that is not an object is a payload without records.
fn plain(head: Value) -> Payload {
    Payload {
        head,
        records: None,
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = Payload;

    strict_scalars!(plain);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Payload, A::Error> {
        StrictVisitor.visit_seq(seq).map(plain)
    }

    /// As [`StrictVisitor::visit_map`], with `records` parsed one element at a time: while the
    /// members are checked for duplicates, an array `records` stands as `null`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::with_capacity(24);
        let mut records = None;
        while let Some(k) = map.next_key::<String>()? {
            if k == "records" {
                match map.next_value_seed(RecordsSeed)? {
                    Records::Array(list) => {
                        records = Some(list);
                        members.push((k, Value::Null));
                    }
                    Records::Other(v) => members.push((k, v)),
                }
            } else {
                let v = map.next_value_seed(StrictSeed)?;
                members.push((k, v));
            }
        }
        let mut head = Value::object(members)
            .map_err(|k| de::Error::custom(format!("duplicate member name {k:?}")))?;
        if records.is_some() {
            head.remove("records");
        }
        Ok(Payload { head, records })
    }
}

/// The `records` member: an array kept as canonical elements, anything else as a value.
enum Records {
    Array(Vec<CanonicalRecord>),
    Other(Value),
}

struct RecordsSeed;

impl<'de> DeserializeSeed<'de> for RecordsSeed {
    type Value = Records;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Records, D::Error> {
        d.deserialize_any(RecordsVisitor)
    }
}

struct RecordsVisitor;

impl<'de> Visitor<'de> for RecordsVisitor {
    type Value = Records;

    strict_scalars!(Records::Other);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Records, A::Error> {
        StrictVisitor.visit_map(map).map(Records::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Records, A::Error> {
        let mut list = Vec::new();
        while let Some(element) = seq.next_element_seed(StrictSeed)? {
            list.push(CanonicalRecord::of(&element));
        }
        Ok(Records::Array(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{
 "format": "audit-export/1",
 "records": [
  {"seq": 1, "b": [1, 2.50, "x"], "a": null},
  7,
  {"seq": 2, "nested": {"z": 1, "y": {"k": "\u00e9"}}}
 ],
 "scope": {"tenant_id": "acme"}
}"#;

    #[test]
    fn records_come_back_as_the_strict_parser_builds_them() {
        let payload = Payload::parse(TEXT.as_bytes()).unwrap();
        let whole = Value::parse(TEXT.as_bytes()).unwrap();
        let Some(Value::Array(expected)) = whole.get("records") else {
            panic!("the text has a records array")
        };
        let got: Vec<Value> = payload.record_values().unwrap().collect();
        assert_eq!(&got, expected);
        assert_eq!(
            payload.records().unwrap()[0].bytes(),
            br#"{"a":null,"b":[1,2.5,"x"],"seq":1}"#
        );
        assert_eq!(payload.get("records"), None);
        assert_eq!(payload.get("format"), whole.get("format"));
        assert_eq!(payload.get("scope"), whole.get("scope"));
        assert_eq!(Payload::from_value(whole), payload);
        assert_eq!(Payload::from_reader(TEXT.as_bytes()).unwrap(), payload);
    }

    #[test]
    fn records_that_are_not_an_array_stay_a_member() {
        let payload = Payload::parse(br#"{"records": {"seq": 1}}"#).unwrap();
        assert_eq!(payload.records(), None);
        assert_eq!(
            payload.get("records"),
            Some(&Value::parse(br#"{"seq": 1}"#).unwrap())
        );
        let payload = Payload::parse(b"[1, 2]").unwrap();
        assert_eq!(payload.records(), None);
        assert_eq!(payload.get("records"), None);
    }

    /// Every refusal is the strict parser's, at the same place: inside a record, after the
    /// records, a duplicate `records` member, a top-level duplicate.
    #[test]
    fn refusals_are_the_strict_parsers() {
        for text in [
            "{\"records\": [{\"seq\": 1}, {\"seq\": 2, \"seq\": 3}]}",
            "{\"records\": [{\"n\": 9007199254740993}], \"x\": 1}",
            "{\"records\": [{\"s\": \"\\ud800\"}]}",
            "{\"records\": [], \"records\": []}",
            "{\"records\": [1],\n \"a\": 1,\n \"a\": 2}",
            "{\"records\": [1, 2,]}",
            "{\"records\": [1]} trailing",
            "{\"records\": [1], \"scope\": {\"t\": 1e400}}",
            "",
        ] {
            let strict = Value::parse(text.as_bytes()).unwrap_err();
            assert_eq!(
                Payload::parse(text.as_bytes()).unwrap_err(),
                strict,
                "{text}"
            );
            // From a reader, serde_json has peeked one byte further when a number is refused.
            let read = Payload::from_reader(text.as_bytes()).unwrap_err();
            assert_eq!((&read.message, read.line), (&strict.message, strict.line));
            assert!(read.column - strict.column <= 1, "{text}: {read:?}");
        }
    }
}
