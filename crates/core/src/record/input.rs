//! A record as an input gives it, before it is checked: where it sits ([`Location`]), its bytes
//! or parsed value ([`RawData`]), or a SQLite row's cells over a shared column layout ([`Row`],
//! [`RowShape`]).
//!
//! Invariant: [`Row::to_value`] is the value the same row would have been as JSON; the checker
//! hashes a row straight from its cells only where that gives the same bytes.

use std::sync::Arc;

use crate::canonical;
use crate::json::{cmp_utf16, Value};

/// Where a record, or a problem with an input, sits in that input, for messages ("line 17",
/// "row 4", "records[3]", "page 2", "object 12 0"). The [`Display`](std::fmt::Display) form is
/// what reports and error messages print.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Location {
    /// 1-based line of a text input.
    Line(u64),
    /// 1-based data row of a table (SQLite rowid order, CSV data row).
    Row(u64),
    /// 0-based index in an export payload's `records` array.
    Index(u64),
    /// Byte offset in the input.
    Byte(u64),
    /// 1-based page of a PDF.
    Page(u64),
    /// An indirect object of a PDF, by object number and generation.
    Object {
        /// The object number.
        number: u32,
        /// The generation number.
        generation: u16,
    },
    /// The trailer of a PDF.
    Trailer,
    /// The end of a text input whose last line is `line` (1-based; 0 when it has none).
    EndOfFile {
        /// The last line (0 when there is none).
        line: u64,
    },
    /// A table row by its SQLite rowid (which may be negative).
    Rowid(i64),
    /// The row that follows a rowid, when reading on from that rowid failed.
    AfterRowid(i64),
    /// The schema of a database (its tables, not a row).
    Schema,
    /// The thread that read an input (a failure with no place inside the input).
    Reader,
    /// The export payload `audit-export.json` as a whole.
    Payload,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
            Location::Index(n) => write!(f, "records[{n}]"),
            Location::Byte(n) => write!(f, "byte offset {n}"),
            Location::Page(n) => write!(f, "page {n}"),
            Location::Object { number, generation } => write!(f, "object {number} {generation}"),
            Location::Trailer => f.write_str("trailer"),
            Location::EndOfFile { line } => write!(f, "line {line} (end of file)"),
            Location::Rowid(rowid) => write!(f, "row {rowid}"),
            Location::AfterRowid(rowid) => write!(f, "row after rowid {rowid}"),
            Location::Schema => f.write_str("schema"),
            Location::Reader => f.write_str("reader"),
            Location::Payload => f.write_str("audit-export.json"),
        }
    }
}

/// One record as a reader hands it over, before canonicalization.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Where the record is in its input.
    pub loc: Location,
    /// Its content.
    pub data: RawData,
}

/// The content of a [`RawRecord`].
#[derive(Debug, Clone)]
pub enum RawData {
    /// JSON text of one record object (parsed strictly, in parallel, by the core).
    Json(Vec<u8>),
    /// A record object the reader built itself (from a SQL row, CSV row, ...).
    Value(Value),
    /// A table row whose columns name the members, handed over without building a [`Value`].
    Row(Row),
    /// The reader could not make a record of this place; the message says why.
    Unreadable(String),
}

/// The columns of a table as record members: their names in canonical (RFC 8785) order, with
/// their canonical `"name":` bytes, the column each comes from, and where the members a check
/// reads lie.
#[derive(Debug, Clone)]
pub struct RowShape {
    pub(super) names: Vec<String>,
    /// `order[j]` is the column holding the `j`-th member.
    pub(super) order: Vec<usize>,
    pub(super) keys: Vec<Vec<u8>>,
    pub(super) tenant_id: Option<usize>,
    pub(super) seq: Option<usize>,
    pub(super) hash: Option<usize>,
    pub(super) prev_hash: Option<usize>,
    pub(super) timestamp: Option<usize>,
}

impl RowShape {
    /// The members of a table with `columns` (in table order); `None` when a name repeats.
    pub fn new<S: AsRef<str>>(columns: &[S]) -> Option<RowShape> {
        let col = |i: usize| columns[i].as_ref();
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|&a, &b| cmp_utf16(col(a), col(b)));
        if order.windows(2).any(|w| col(w[0]) == col(w[1])) {
            return None;
        }
        let names: Vec<String> = order.iter().map(|&i| col(i).to_string()).collect();
        let keys = names
            .iter()
            .map(|n| {
                let mut k = Vec::with_capacity(n.len() + 3);
                canonical::write_string(n, &mut k);
                k.push(b':');
                k
            })
            .collect();
        let at = |m: &str| names.iter().position(|n| n == m);
        Some(RowShape {
            tenant_id: at("tenant_id"),
            seq: at("seq"),
            hash: at("hash"),
            prev_hash: at("prev_hash"),
            timestamp: at("timestamp"),
            keys,
            order,
            names,
        })
    }

    /// Which member (cell of a [`Row`]) `name` is, if the table has it.
    pub fn member(&self, name: &str) -> Option<usize> {
        // Unique names in canonical (UTF-16) order.
        self.names.binary_search_by(|n| cmp_utf16(n, name)).ok()
    }

    /// The column of each member, in member (canonical) order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

/// Shows the record, not the page of text it shares.
impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Row").field(&self.to_value()).finish()
    }
}

/// One cell of a [`Row`].
#[derive(Debug, Clone, PartialEq)]
pub enum RowCell {
    /// SQL `NULL` or JSON `null`.
    Null,
    /// A finite number (an integer within +-(2^53 - 1) or a double).
    Number(f64),
    /// Text: the byte range of the row's text buffer ([`RowCell::text`]).
    Text(u32, u32),
    /// Text that was parsed as JSON (`changes`, `metadata`).
    Json(Box<Value>),
    /// JSON text (`changes`, `metadata`) in its canonical form: the byte range of the row's
    /// text buffer where [`TextCanonicalizer`](crate::canonical::TextCanonicalizer) wrote it
    /// ([`RowCell::canonical`]).
    Canonical(u32, u32),
}

// Offsets of 32 bits keep a cell in two words: a reader writes a row's cells for every record
// (the SQLite reader's hottest writes), the checking thread reads them once.
const _: () = assert!(std::mem::size_of::<RowCell>() == 16);

impl RowCell {
    /// Text at bytes `a..b` of the row's text; `None` past 4 GiB (the reader then builds the
    /// record's value instead of a row).
    pub fn text(a: usize, b: usize) -> Option<RowCell> {
        offsets(a, b).map(|(a, b)| RowCell::Text(a, b))
    }

    /// Canonical JSON text at bytes `a..b` of the row's text; `None` past 4 GiB.
    pub fn canonical(a: usize, b: usize) -> Option<RowCell> {
        offsets(a, b).map(|(a, b)| RowCell::Canonical(a, b))
    }
}

/// Byte offsets as a cell holds them; `None` past 4 GiB.
fn offsets(a: usize, b: usize) -> Option<(u32, u32)> {
    Some((u32::try_from(a).ok()?, u32::try_from(b).ok()?))
}

/// The byte range of a text cell's offsets.
pub(super) fn span(a: u32, b: u32) -> std::ops::Range<usize> {
    a as usize..b as usize
}

/// A cell of a [`Row`] as the member value it is, borrowed ([`Row::cell`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// SQL `NULL` or JSON `null`.
    Null,
    /// A finite number.
    Number(f64),
    /// A string.
    Text(&'a str),
    /// JSON the reader parsed.
    Json(&'a Value),
    /// JSON text in its canonical form.
    Canonical(&'a str),
}

/// A record as one row of a table: the same record as [`Row::to_value`] gives, which
/// [`check`] canonicalizes and hashes without building that value unless it is kept.
/// Invariant (kept by [`Row::new`]): one cell per name of the shape, every text range a `str`
/// range of `text`.
#[derive(Clone)]
pub struct Row {
    pub(super) shape: Arc<RowShape>,
    pub(super) text: Arc<str>,
    pub(super) cells: Vec<RowCell>,
}

impl Row {
    /// `cells` in the shape's order; `None` when their number or a text range is wrong.
    pub fn new(shape: Arc<RowShape>, text: Arc<str>, cells: Vec<RowCell>) -> Option<Row> {
        let ok = cells.len() == shape.names.len()
            && cells.iter().all(|c| match *c {
                RowCell::Text(a, b) | RowCell::Canonical(a, b) => {
                    a <= b && text.get(span(a, b)).is_some()
                }
                RowCell::Number(n) => n.is_finite(),
                _ => true,
            });
        ok.then_some(Row { shape, text, cells })
    }

    pub(super) fn text_of(&self, i: Option<usize>) -> Option<&str> {
        match self.cells.get(i?)? {
            RowCell::Text(a, b) => self.text.get(span(*a, *b)),
            _ => None,
        }
    }

    /// The member value of cell `i`.
    pub(super) fn value(&self, i: usize) -> Value {
        match self.cell(i).expect("a member of the row's shape") {
            Cell::Null => Value::Null,
            Cell::Number(n) => Value::Number(n),
            Cell::Text(s) => Value::String(s.to_string()),
            Cell::Json(v) => v.clone(),
            // Canonical text parses back to the value it was written from (the invariant of
            // `TextCanonicalizer`, held by its tests and fuzz target).
            Cell::Canonical(t) => Value::parse(t.as_bytes()).unwrap_or_else(|e| {
                debug_assert!(false, "canonical text that does not parse: {e}");
                Value::String(t.to_string())
            }),
        }
    }

    /// The shape of the row (shared by every row of its table).
    pub fn shape(&self) -> &Arc<RowShape> {
        &self.shape
    }

    /// The cell of the `i`-th member ([`RowShape::member`]), without building its value.
    pub fn cell(&self, i: usize) -> Option<Cell<'_>> {
        Some(match self.cells.get(i)? {
            RowCell::Null => Cell::Null,
            RowCell::Number(n) => Cell::Number(*n),
            RowCell::Text(a, b) => Cell::Text(&self.text[span(*a, *b)]),
            RowCell::Json(v) => Cell::Json(v),
            RowCell::Canonical(a, b) => Cell::Canonical(&self.text[span(*a, *b)]),
        })
    }

    /// The value of member `name`, if the row has it.
    pub fn member(&self, name: &str) -> Option<Value> {
        Some(self.value(self.shape.member(name)?))
    }

    /// The record object.
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.shape
                .names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.clone(), self.value(i)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_print_as_messages_name_them() {
        let cases = [
            (Location::Line(17), "line 17"),
            (Location::Row(4), "row 4"),
            (Location::Index(3), "records[3]"),
            (Location::Byte(4096), "byte offset 4096"),
            (Location::Page(2), "page 2"),
            (
                Location::Object {
                    number: 12,
                    generation: 0,
                },
                "object 12 0",
            ),
            (Location::Trailer, "trailer"),
            (Location::EndOfFile { line: 9 }, "line 9 (end of file)"),
            (Location::Rowid(-5), "row -5"),
            (
                Location::AfterRowid(i64::MIN),
                "row after rowid -9223372036854775808",
            ),
            (Location::Schema, "schema"),
            (Location::Reader, "reader"),
            (Location::Payload, "audit-export.json"),
        ];
        for (location, text) in cases {
            assert_eq!(location.to_string(), text);
        }
    }

    #[test]
    fn a_cell_past_four_gib_of_text_is_not_made() {
        let max = u32::MAX as usize;
        assert_eq!(RowCell::text(7, max), Some(RowCell::Text(7, u32::MAX)));
        assert_eq!(RowCell::text(7, max + 1), None);
        assert_eq!(RowCell::canonical(max + 1, max + 3), None);
        assert_eq!(RowCell::canonical(0, 2), Some(RowCell::Canonical(0, 2)));
    }
}
