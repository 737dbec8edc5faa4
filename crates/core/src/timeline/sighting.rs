//! A sighting: what the timeline keeps of one checked record of one source, read from the
//! record alone so that this part of the work runs on the cores that check records while the
//! [`Collector`](super::collector::Collector) takes the sightings in order.
//!
//! A record's dimensions, whether its `changes` is set and whether it is a mass export are read
//! from its tree, or, where the checker built none ([`Kept`]), from its canonical text (at the
//! member spans the validating scan noted, or found again) or from a row's cells.
//!
//! Invariant: a sighting is the same whichever of these it was read from (the tests hold the
//! lean readers equal to the tree on the vectors and their edits); anything a lean reader does
//! not read in its common form is read from the tree.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::flags::{self, FlagSet};
use super::members_log::{Fields, Logged, Place};
use super::model::Dimension;
use crate::json::Value;
use crate::record::members::{self, Members, Span};
use crate::record::{Cell, Checked, Digest, Kept, Row, RowShape};

/// Identifies a source added to a [`Collector`](super::collector::Collector).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId(pub(super) u16);

/// One copy of a record as one source holds it: all the timeline keeps of it (never the raw
/// record). Spilled to disk with the collector's other copies when a case is large; its
/// dimension members are in the collector's members log, at `members`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct Held {
    pub(super) src: u16,
    pub(super) nanos: Option<i64>,
    /// Where the log holds the record's dimensions ([`Fields`], postcard).
    pub(super) members: Place,
    /// Every flag of the record but `denial_burst` ([`flags::record_flags`]).
    pub(super) flags: FlagSet,
    /// The actor of a failure (outcome `failure`), for `denial_burst`.
    pub(super) failure_actor: Option<String>,
    /// What the copy hashes to and its stored `hash`: copies that hash apart differ in
    /// content. (Its `prev_hash` is in the members log, read only where copies differ.)
    pub(super) hashes: Hashes,
    pub(super) hash_bad: bool,
    pub(super) not_canonical: bool,
}

/// A copy's computed and stored hashes: one digest where they agree (nearly every copy of a
/// case), both where they do not. Half the bytes a copy was sorted with.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) enum Hashes {
    /// The copy hashes to its stored `hash`.
    Agree(#[serde(with = "crate::spill::opt_digest::exact")] Digest),
    /// Anything else.
    Apart(Box<Apart>),
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) struct Apart {
    /// `None` when the copy is not canonical.
    #[serde(with = "crate::spill::opt_digest")]
    computed: Option<Digest>,
    /// `None` when its `hash` is not 64 lowercase hex digits.
    #[serde(with = "crate::spill::opt_digest")]
    stored: Option<Digest>,
}

impl Hashes {
    fn of(computed: Option<Digest>, stored: Option<Digest>) -> Hashes {
        match (computed, stored) {
            (Some(a), Some(b)) if a == b => Hashes::Agree(a),
            _ => Hashes::Apart(Box::new(Apart { computed, stored })),
        }
    }

    pub(super) fn computed(&self) -> Option<Digest> {
        match self {
            Hashes::Agree(d) => Some(*d),
            Hashes::Apart(a) => a.computed,
        }
    }

    pub(super) fn stored(&self) -> Option<Digest> {
        match self {
            Hashes::Agree(d) => Some(*d),
            Hashes::Apart(a) => a.stored,
        }
    }
}

/// What the collector keeps of one checked record of one source, read from the record alone
/// ([`Sighting::of`]), so that this part of the work can run on the cores that check records
/// while the collector takes them in order
/// ([`Collector::add_sighting`](super::collector::Collector::add_sighting)).
#[derive(Debug, PartialEq)]
pub struct Sighting {
    pub(super) held: Held,
    /// The record's dimensions ([`Fields`], postcard), for the members log.
    pub(super) members: Vec<u8>,
}

impl Sighting {
    /// The copy `c` of source `src` as the collector keeps it: from its record, or from what
    /// stands for it where the tree was not built ([`Checked::kept`]).
    pub fn of(src: SourceId, c: &Checked) -> Sighting {
        let lean = match &c.kept {
            Some(Kept::Text { text, members }) => from_text(text, members.as_deref()),
            Some(Kept::Row(row)) => from_row(row),
            None => None,
        };
        if let Some((fields, changes, mass_export)) = lean {
            return Sighting::from_members(src, c, &fields, changes, mass_export);
        }
        // A member the lean readers leave to the tree: build it (canonical text parses).
        let tree = match (&c.record, &c.kept) {
            (None, Some(Kept::Text { text, .. })) => Value::parse(text).ok(),
            (None, Some(Kept::Row(row))) => Some(row.to_value()),
            _ => None,
        };
        let (fields, changes, mass_export) = from_record(c.record.as_ref().or(tree.as_ref()));
        Sighting::from_members(src, c, &fields, changes, mass_export)
    }

    /// The sighting of `c` with its dimensions (borrowed from its text, or owned) and the
    /// members its flags read.
    fn from_members<S: AsRef<str> + Serialize>(
        src: SourceId,
        c: &Checked,
        fields: &[Option<S>; Dimension::COUNT],
        changes: bool,
        mass_export: bool,
    ) -> Sighting {
        let nanos = c.timestamp.as_ref().map(|i| i.nanos);
        let get = |d: Dimension| fields[d.index()].as_ref().map(AsRef::as_ref);
        let outcome = get(Dimension::Outcome);
        let held = Held {
            src: src.0,
            nanos,
            members: Place::default(),
            flags: flags::record_flags(
                get(Dimension::Action),
                changes,
                mass_export,
                outcome,
                nanos,
            ),
            failure_actor: get(Dimension::ActorUserId)
                .filter(|_| outcome == Some("failure"))
                .map(str::to_string),
            hashes: Hashes::of(c.computed_hash, c.stored_hash),
            hash_bad: c.content_ok() == Some(false),
            not_canonical: !c.problems.is_empty(),
        };
        // The bytes of a `Fields` (postcard writes a `str` the same whoever owns it) and the
        // `prev_hash`, in a buffer of their size (an option's tag, a length's varint, the
        // bytes): grown from empty, it took six allocations and copies a record.
        let size = fields
            .iter()
            .map(|f| f.as_ref().map_or(1, |s| 1 + 5 + s.as_ref().len()))
            .sum::<usize>()
            + 34;
        let logged = Logged {
            fields,
            prev: c.prev_hash,
        };
        let members =
            postcard::to_extend(&logged, Vec::with_capacity(size)).expect("strings always encode");
        Sighting { held, members }
    }
}

/// Dimensions read from a canonical text: borrowed from it unless a string has escapes.
type TextFields<'a> = [Option<Cow<'a, str>>; Dimension::COUNT];

/// What the collector keeps of a record's members, from its tree.
fn from_record(rec: Option<&Value>) -> (Fields, bool, bool) {
    (
        Dimension::ALL.map(|d| rec.and_then(|r| text(r.get(d.name())))),
        rec.and_then(|r| r.get("changes"))
            .is_some_and(|v| !v.is_null()),
        rec.is_some_and(flags::is_mass_export),
    )
}

/// The same from a canonical record's text: `None` when a dimension is neither a string nor
/// null (the parsed record answers those).
fn from_text<'a>(
    text: &'a [u8],
    spans: Option<&'a [Span]>,
) -> Option<(TextFields<'a>, bool, bool)> {
    // Checked once as a whole: every string member is then sliced out of it.
    let whole = std::str::from_utf8(text).ok()?;
    let m = match spans {
        Some(spans) => Members::at(text, spans)?,
        None => Members::of(text)?,
    };
    // One pass names each member once.
    let mut values: [Option<&[u8]>; Dimension::COUNT] = [None; Dimension::COUNT];
    let (mut changes, mut metadata) = (None, None);
    for (name, v) in m.iter() {
        match name {
            b"changes" => changes = Some(v),
            b"metadata" => metadata = Some(v),
            _ => {
                if let Some(d) = Dimension::named(name) {
                    values[d.index()] = Some(v);
                }
            }
        }
    }
    let mut fields: TextFields = Default::default();
    for (f, v) in fields.iter_mut().zip(values) {
        *f = members::string_value_within(whole, v).ok()?;
    }
    let changes = changes.is_some_and(|v| v != b"null");
    Some((fields, changes, metadata.map_or(Some(false), mass_export)?))
}

/// The same from a row's cells: `None` when a dimension is neither text nor null (the row's
/// value answers those).
fn from_row(row: &Row) -> Option<(TextFields<'_>, bool, bool)> {
    let members = RowMembers::of(row.shape());
    let cell = |i: Option<usize>| i.and_then(|i| row.cell(i));
    let mut fields: TextFields = Default::default();
    for (f, &i) in fields.iter_mut().zip(&members.dimensions) {
        *f = match cell(i) {
            None | Some(Cell::Null) => None,
            Some(Cell::Text(s)) => Some(Cow::Borrowed(s)),
            Some(_) => return None,
        };
    }
    let changes = match cell(members.changes) {
        None | Some(Cell::Null) => false,
        Some(Cell::Json(v)) => !v.is_null(),
        Some(Cell::Canonical(t)) => t != "null",
        Some(Cell::Number(_) | Cell::Text(_)) => true,
    };
    let mass_export = match cell(members.metadata) {
        Some(Cell::Json(m)) => flags::is_mass_export_metadata(m),
        Some(Cell::Canonical(t)) => mass_export(t.as_bytes())?,
        _ => false,
    };
    Some((fields, changes, mass_export))
}

/// Where a table's rows hold the members a sighting reads ([`RowShape::member`]).
#[derive(Clone, Copy)]
struct RowMembers {
    dimensions: [Option<usize>; Dimension::COUNT],
    changes: Option<usize>,
    metadata: Option<usize>,
}

impl RowMembers {
    /// The members of `shape`, found once per table and thread: the rows of a table share
    /// their shape, and looking ten names up in every row cost more than reading them.
    fn of(shape: &Arc<RowShape>) -> RowMembers {
        thread_local! {
            static LAST: RefCell<Option<(Arc<RowShape>, RowMembers)>> = const { RefCell::new(None) };
        }
        LAST.with_borrow_mut(|last| match last {
            // The shape is held here, so its address names no other shape.
            Some((s, m)) if Arc::ptr_eq(s, shape) => *m,
            _ => {
                let m = RowMembers {
                    dimensions: Dimension::ALL.map(|d| shape.member(d.name())),
                    changes: shape.member("changes"),
                    metadata: shape.member("metadata"),
                };
                *last = Some((Arc::clone(shape), m));
                m
            }
        })
    }
}

/// Whether canonical `metadata` text makes a mass export; `None` if it does not parse. Only
/// metadata that names a `threshold` can: canonical JSON writes that name as it is spelled,
/// so only that metadata is parsed.
fn mass_export(metadata: &[u8]) -> Option<bool> {
    if memchr::memmem::find(metadata, b"\"threshold\"").is_none() {
        return Some(false);
    }
    let m = Value::parse(metadata).ok()?;
    Some(flags::is_mass_export_metadata(&m))
}

/// A member as the timeline shows it: a string as it is, `null` as nothing, anything else as
/// its JSON.
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.as_str().into()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{check_with, check_with_members, Keep, Location, RawData, RawRecord};

    fn checked(text: &[u8], keep: Keep) -> Checked {
        let raw = RawRecord {
            loc: Location::Line(1),
            data: RawData::Json(text.to_vec()),
        };
        check_with(raw, &mut Vec::new(), |_| keep)
    }

    /// The same, with the members noted as the text is scanned.
    fn noted(text: &[u8]) -> Checked {
        let raw = RawRecord {
            loc: Location::Line(1),
            data: RawData::Json(text.to_vec()),
        };
        check_with_members(raw, &mut Vec::new(), |_| Keep::TextOrRecord)
    }

    /// Each vector record's line, with the record it parses to and that record with each of
    /// `edits` (a member set to a JSON value).
    fn vector_records(edits: &[(&str, &str)]) -> Vec<(String, Vec<Value>)> {
        let lines = std::fs::read_to_string(trailproof_testkit::vector("records.jsonl")).unwrap();
        lines
            .lines()
            .map(|line| {
                let base = Value::parse(line.as_bytes()).unwrap();
                let mut records = vec![base.clone()];
                for (name, v) in edits {
                    let mut r = base.clone();
                    r.set(name, Value::parse(v.as_bytes()).unwrap());
                    records.push(r);
                }
                (line.to_string(), records)
            })
            .collect()
    }

    /// The collector keeps the same of a canonical record read from its text as from its tree:
    /// the vectors' records, and the same records with members the text reader reads itself
    /// (escapes, non-ASCII, `changes`, `metadata`) or leaves to the parser (a number, a mass
    /// export).
    #[test]
    fn a_sighting_from_canonical_text_is_the_sighting_from_the_record() {
        let edits: [(&str, &str); 10] = [
            ("actor_display", r#""line\none \"quoted\" \u0001 Zoë 🙂""#),
            ("outcome_reason", "null"),
            ("changes", r#"{"role":{"from":"a","to":"b"}}"#),
            ("metadata", r#"{"row_count":500,"threshold":100}"#),
            ("metadata", r#"{"row_count":5,"threshold":100}"#),
            ("metadata", r#"{"row_count":"500","threshold":100}"#),
            ("metadata", r#""threshold""#),
            ("actor_user_id", "42"),
            ("resource_id", r#"["x"]"#),
            ("action", r#""a}b]c,d""#),
        ];
        let (mut from_text, mut total) = (0, 0);
        for (line, records) in vector_records(&edits) {
            // The line as written, its edits written canonically.
            let edited = records[1..].iter().map(crate::canonical::to_vec);
            for t in std::iter::once(line.into_bytes()).chain(edited) {
                let lean = checked(&t, Keep::TextOrRecord);
                let full = checked(&t, Keep::Record);
                assert!(full.record.is_some() && full.kept.is_none());
                let src = SourceId(3);
                assert_eq!(Sighting::of(src, &lean), Sighting::of(src, &full));
                // Read at the spans the scan noted, or found again in the text: the same.
                let with_spans = noted(&t);
                assert_eq!(Sighting::of(src, &with_spans), Sighting::of(src, &full));
                if let Some(Kept::Text { members, .. }) = &with_spans.kept {
                    assert!(members.is_some());
                }
                total += 1;
                if lean.kept.is_some() {
                    assert!(lean.record.is_none());
                    from_text += 1;
                }
            }
        }
        // The vectors' lines are not canonical (they have spaces): they build a tree; the ten
        // edits of each are written canonically, and none of them does.
        assert_eq!((from_text, total), (52 * 10, 52 * 11));
    }

    /// The same for a record checked as a table's row: its cells stand for its members. Every
    /// vector record with the edits above, as the row a database holds (objects and arrays as
    /// canonical JSON text, as the SQLite reader writes them, or as parsed JSON).
    #[test]
    fn a_sighting_from_a_rows_bytes_is_the_sighting_from_its_record() {
        use crate::record::{Row, RowCell, RowShape};
        use std::sync::Arc;
        let edits: [(&str, &str); 8] = [
            ("actor_display", r#""line\none \"quoted\" \u0001 Zoë 🙂""#),
            ("changes", r#"{"role":{"from":"a","to":"b"}}"#),
            ("metadata", r#"{"row_count":500,"threshold":100}"#),
            ("metadata", r#"{"row_count":5,"threshold":100}"#),
            ("metadata", r#""threshold""#),
            ("changes", "0"),
            ("actor_user_id", "42"),
            ("timestamp", r#""2026-04-30 15:41:23.12+02""#),
        ];
        let (mut from_text, mut total) = (0, 0);
        let records = vector_records(&edits).into_iter().flat_map(|(_, r)| r);
        for (r, parsed) in records.flat_map(|r| [(r.clone(), false), (r, true)]) {
            let Value::Object(m) = &r else { panic!() };
            let mut text = String::new();
            let mut span = |t: &str| {
                text.push_str(t);
                (text.len() - t.len(), text.len())
            };
            let cells: Vec<RowCell> = m
                .iter()
                .map(|(_, v)| match v {
                    Value::Null => RowCell::Null,
                    Value::Number(n) => RowCell::Number(*n),
                    Value::String(s) => {
                        let (a, b) = span(s);
                        RowCell::text(a, b).unwrap()
                    }
                    other if parsed => RowCell::Json(Box::new(other.clone())),
                    other => {
                        let json = crate::canonical::to_vec(other);
                        let (a, b) = span(std::str::from_utf8(&json).unwrap());
                        RowCell::canonical(a, b).unwrap()
                    }
                })
                .collect();
            let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
            let shape = Arc::new(RowShape::new(&names).unwrap());
            // Cells in the shape's member order.
            let cells = shape.order().iter().map(|&i| cells[i].clone()).collect();
            let row = Row::new(shape, Arc::from(text.as_str()), cells).unwrap();
            let check = |keep| {
                let raw = RawRecord {
                    loc: Location::Row(1),
                    data: RawData::Row(row.clone()),
                };
                check_with(raw, &mut Vec::new(), |_| keep)
            };
            let (lean, full) = (check(Keep::TextOrRecord), check(Keep::Record));
            assert!(full.record.is_some() && full.kept.is_none());
            assert_eq!(
                Sighting::of(SourceId(1), &lean),
                Sighting::of(SourceId(1), &full)
            );
            total += 1;
            if lean.kept.is_some() {
                assert!(lean.record.is_none());
                from_text += 1;
            }
        }
        // Every row checks as a row: none builds a tree.
        assert_eq!((from_text, total), (52 * 9 * 2, 52 * 9 * 2));
    }
}
