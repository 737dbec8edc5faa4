//! A page of rows as SQLite gave them ([`Page`]: cells, all text in one buffer checked as
//! UTF-8 once) and how one row becomes a record: a [`Row`] over the page's shared text
//! ([`shared_row`]) or, for a row that cannot be one, a `Value` ([`row_record`]).
//!
//! Invariant: both give the record [`build_record`] gives for the same cells (same values,
//! same member order, same message for the first cell in column order that cannot be
//! represented); the tests pin this on rows built to differ.

use std::sync::Arc;

use rusqlite::types::ValueRef;
use trailproof_core::canonical::TextCanonicalizer;
use trailproof_core::json::Value;
use trailproof_core::record::{Row, RowCell, RowShape};
use trailproof_recover::table::Field;

use crate::row::{
    build_record, cell_value, safe_int, Cell, CellError, ColumnKind, ValueDecodeError,
};
use crate::{Location, RawData, RawRecord};

/// One cell as SQLite gave it; text is a range of [`Page::text`].
#[derive(Debug, Clone, Copy)]
pub(super) enum RawCell {
    Null,
    Int(i64),
    Real(f64),
    Text(usize, usize),
    Blob(usize),
}

/// Rows read from SQLite and not yet turned into records: `columns` cells per row, all text in
/// one buffer.
#[derive(Default)]
pub(super) struct Page {
    pub(super) rowids: Vec<i64>,
    pub(super) cells: Vec<RawCell>,
    /// The text of every cell, while the page is read.
    text: Vec<u8>,
    /// The same text once read, when all of it is valid UTF-8 (checked at once): a cell's text
    /// is then valid exactly when both its ends are character boundaries. After it,
    /// [`Page::write_json`] writes the canonical form of the JSON cells.
    pub(super) utf8: Option<String>,
    /// Per cell, where `utf8` holds the canonical form of its JSON text (`None` for a cell of
    /// another column, and for JSON text the canonicalizer declined).
    json: Vec<Option<(usize, usize)>>,
    /// The canonical JSON of the page while it is written.
    written: Vec<u8>,
}

impl Page {
    pub(super) fn clear(&mut self) {
        if let Some(s) = self.utf8.take() {
            self.text = s.into_bytes();
        }
        self.rowids.clear();
        self.cells.clear();
        self.text.clear();
        self.json.clear();
    }

    /// Appends one cell of the row being read (text goes to the page's buffer).
    pub(super) fn push_cell(&mut self, v: ValueRef) {
        let cell = match v {
            ValueRef::Null => RawCell::Null,
            ValueRef::Integer(i) => RawCell::Int(i),
            ValueRef::Real(r) => RawCell::Real(r),
            ValueRef::Text(t) => {
                let a = self.text.len();
                self.text.extend_from_slice(t);
                RawCell::Text(a, self.text.len())
            }
            ValueRef::Blob(b) => RawCell::Blob(b.len()),
        };
        self.cells.push(cell);
    }

    /// Appends one cell read from a record's `payload` by the b-tree reader.
    pub(super) fn push_field(&mut self, payload: &[u8], f: Field) {
        self.push_cell(match f {
            Field::Null => ValueRef::Null,
            Field::Integer(i) => ValueRef::Integer(i),
            Field::Real(r) => ValueRef::Real(r),
            Field::Text(a, b) => ValueRef::Text(&payload[a..b]),
            Field::Blob(a, b) => ValueRef::Blob(&payload[a..b]),
        });
    }

    /// The page is read: check its text as UTF-8 in one pass.
    pub(super) fn seal(&mut self) {
        match String::from_utf8(std::mem::take(&mut self.text)) {
            Ok(s) => self.utf8 = Some(s),
            Err(e) => self.text = e.into_bytes(),
        }
    }

    /// Writes the canonical form of every JSON cell after the page's text (when it is all
    /// UTF-8), for [`shared_row`]; `columns` are the page's, in table order.
    pub(super) fn write_json(
        &mut self,
        columns: &[(String, ColumnKind)],
        canon: &mut TextCanonicalizer,
    ) {
        self.json.clear();
        let Some(text) = self.utf8.as_mut() else {
            return;
        };
        let mut written = std::mem::take(&mut self.written);
        written.clear();
        let end = text.len();
        for (k, cell) in self.cells.iter().enumerate() {
            self.json.push(match (*cell, columns[k % columns.len()].1) {
                (RawCell::Text(a, b), ColumnKind::Json) => text.get(a..b).and_then(|t| {
                    let at = written.len();
                    canon
                        .write(t.as_bytes(), &mut written)
                        .then(|| (end + at, end + written.len()))
                }),
                _ => None,
            });
        }
        // Canonical text is UTF-8; were it not, every cell would go to the parser.
        match std::str::from_utf8(&written) {
            Ok(w) => text.push_str(w),
            Err(_) => self.json.iter_mut().for_each(|j| *j = None),
        }
        self.written = written;
    }

    /// Where the canonical form of cell `k`'s JSON text lies in the page's text.
    fn json(&self, k: usize) -> Option<(usize, usize)> {
        self.json.get(k).copied().flatten()
    }

    fn bytes(&self, a: usize, b: usize) -> &[u8] {
        match &self.utf8 {
            Some(s) => &s.as_bytes()[a..b],
            None => &self.text[a..b],
        }
    }

    /// The text of a cell, `None` when it is not valid UTF-8.
    fn str(&self, a: usize, b: usize) -> Option<&str> {
        match &self.utf8 {
            // Empty text is valid even where the cell before ends inside a character.
            Some(_) if a == b => Some(""),
            Some(s) => s.get(a..b),
            None => std::str::from_utf8(&self.text[a..b]).ok(),
        }
    }

    fn cell(&self, c: RawCell) -> Cell {
        match c {
            RawCell::Null => Cell::Null,
            RawCell::Int(i) => Cell::Int(i),
            RawCell::Real(r) => Cell::Real(r),
            RawCell::Text(a, b) => match self.str(a, b) {
                Some(s) => Cell::Text(s.to_owned()),
                None => Cell::Bad(ValueDecodeError::TextNotUtf8),
            },
            RawCell::Blob(n) => Cell::Blob(n),
        }
    }
}

/// The record of one row: the same [`RawData`] as [`build_record`] gives (same values, same
/// member order, same message for the first cell in column order that cannot be represented),
/// without sorting the members of every row.
pub(super) fn row_record(
    columns: &[(String, ColumnKind)],
    order: Option<&[usize]>,
    page: &Page,
    rowid: i64,
    cells: &[RawCell],
) -> RawRecord {
    let loc = Location::Row(u64::try_from(rowid).unwrap_or(0));
    let Some(order) = order else {
        let cells = cells.iter().map(|&c| page.cell(c)).collect();
        let data = build_record(columns, cells, &format!("row {rowid}"));
        return RawRecord { loc, data };
    };
    let mut values = Vec::with_capacity(cells.len());
    for ((name, kind), &c) in columns.iter().zip(cells) {
        let value = match c {
            // JSON text is parsed where it lies (as `cell_value` would parse a copy of it).
            RawCell::Text(a, b) if *kind == ColumnKind::Json && page.str(a, b).is_some() => {
                Value::parse(page.bytes(a, b)).map_err(|error| CellError::NotJson {
                    column: name.clone(),
                    error,
                })
            }
            c => cell_value(page.cell(c), name, *kind),
        };
        match value {
            Ok(v) => values.push(v),
            Err(error) => {
                return RawRecord {
                    loc,
                    data: RawData::Unreadable(format!("row {rowid}: {error}")),
                }
            }
        }
    }
    let members = order
        .iter()
        .map(|&i| {
            (
                columns[i].0.clone(),
                std::mem::replace(&mut values[i], Value::Null),
            )
        })
        .collect();
    RawRecord {
        loc,
        data: RawData::Value(Value::Object(members)),
    }
}

/// The record of one row as a [`Row`] over the page's shared text: the same record as
/// [`row_record`] gives, for a row whose every cell is one (no BLOB, text in a JSON column
/// that parses, integers within +-(2^53 - 1)); `None` for any other row, which
/// [`row_record`] then turns into its record or its message.
pub(super) fn shared_row(
    columns: &[(String, ColumnKind)],
    shape: &Arc<RowShape>,
    text: &Arc<str>,
    page: &Page,
    row: usize,
) -> Option<RawRecord> {
    let n = columns.len();
    let first = row * n;
    let cells = &page.cells[first..first + n];
    let mut out = Vec::with_capacity(n);
    for &i in shape.order() {
        out.push(match (cells[i], columns[i].1) {
            (RawCell::Null, _) => RowCell::Null,
            (RawCell::Int(v), _) => RowCell::Number(safe_int(v)?),
            // A number that is not finite makes `Row::new` refuse the row.
            (RawCell::Real(r), _) => RowCell::Number(r),
            (RawCell::Text(a, b), ColumnKind::Auto) => RowCell::text(a, b)?,
            (RawCell::Text(a, b), ColumnKind::Json) => match page.json(first + i) {
                Some((a, b)) => RowCell::canonical(a, b)?,
                // Text the canonicalizer declined: the strict parser judges it.
                None => RowCell::Json(Box::new(Value::parse(page.str(a, b)?.as_bytes()).ok()?)),
            },
            _ => return None,
        });
    }
    let rowid = page.rowids[row];
    Some(RawRecord {
        loc: Location::Row(u64::try_from(rowid).unwrap_or(0)),
        data: RawData::Row(Row::new(Arc::clone(shape), Arc::clone(text), out)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns in an order unlike the canonical one, with names whose UTF-16 and UTF-8 orders
    /// differ.
    fn columns() -> Vec<(String, ColumnKind)> {
        [
            "seq",
            "\u{fb01}",
            "metadata",
            "\u{1f600}",
            "a",
            "changes",
            "Z",
        ]
        .iter()
        .map(|n| (n.to_string(), ColumnKind::by_name(n)))
        .collect()
    }

    /// `RawData` has no `PartialEq`: compare what a reader can give.
    fn same(a: &RawData, b: &RawData) -> bool {
        match (a, b) {
            (RawData::Value(x), RawData::Value(y)) => x == y,
            (RawData::Row(r), RawData::Value(y)) => &r.to_value() == y,
            (RawData::Unreadable(x), RawData::Unreadable(y)) => x == y,
            _ => false,
        }
    }

    /// A page of `rows`, its JSON written as the reader writes it.
    fn page_of(cols: &[(String, ColumnKind)], rows: &[Vec<ValueRef>]) -> Page {
        let mut p = Page::default();
        for (i, row) in rows.iter().enumerate() {
            p.rowids.push(i as i64 + 1);
            for v in row {
                p.push_cell(*v);
            }
        }
        p.seal();
        p.write_json(cols, &mut TextCanonicalizer::default());
        p
    }

    /// A cell as the reader made it before pages (one `from_utf8` per cell).
    fn cell_of(v: &ValueRef) -> Cell {
        match *v {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Int(i),
            ValueRef::Real(r) => Cell::Real(r),
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => Cell::Text(s.to_string()),
                Err(_) => Cell::Bad(ValueDecodeError::TextNotUtf8),
            },
            ValueRef::Blob(b) => Cell::Blob(b.len()),
        }
    }

    fn shape_of(cols: &[(String, ColumnKind)]) -> Option<Arc<RowShape>> {
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        RowShape::new(&names).map(Arc::new)
    }

    /// Every row of `page` (holding `rows`) gives the record `build_record` gives.
    fn assert_rows(cols: &[(String, ColumnKind)], rows: &[Vec<ValueRef>], page: &Page) {
        let shape = shape_of(cols);
        let order = shape.as_deref().map(RowShape::order);
        let n = cols.len();
        for (r, row) in rows.iter().enumerate() {
            let rowid = page.rowids[r];
            let cells = &page.cells[r * n..(r + 1) * n];
            let want = build_record(
                cols,
                row.iter().map(cell_of).collect(),
                &format!("row {rowid}"),
            );
            let got = row_record(cols, order, page, rowid, cells);
            assert!(
                same(&got.data, &want),
                "row {rowid}: {:?} != {want:?}",
                got.data
            );
            assert_eq!(got.loc, Location::Row(rowid as u64));
            let unordered = row_record(cols, None, page, rowid, cells);
            assert!(same(&unordered.data, &want), "row {rowid} without an order");
            // The shared-text row is that same record, or is left to `row_record`.
            let (Some(shape), Some(text)) = (&shape, &page.utf8) else {
                continue;
            };
            let text: Arc<str> = Arc::from(text.as_str());
            match shared_row(cols, shape, &text, page, r) {
                Some(rec) => {
                    assert!(matches!(rec.data, RawData::Row(_)), "row {rowid}");
                    assert!(
                        same(&rec.data, &want),
                        "row {rowid}: {:?} != {want:?}",
                        rec.data
                    );
                    assert_eq!(rec.loc, Location::Row(rowid as u64));
                }
                None => assert!(
                    matches!(want, RawData::Unreadable(_)),
                    "row {rowid} is readable but was not made a shared row"
                ),
            }
        }
    }

    #[test]
    fn rows_become_the_records_build_record_gives() {
        let cols = columns();
        let shape = shape_of(&cols);
        assert!(shape.is_some());
        let order = shape.as_deref().map(RowShape::order);
        let t = |s: &'static str| ValueRef::Text(s.as_bytes());
        let deep: &'static str = format!("{}7{}", "[".repeat(100), "]".repeat(100)).leak();
        let rows: Vec<Vec<ValueRef>> = vec![
            // Readable.
            vec![
                ValueRef::Integer(3),
                t("x"),
                t(r#"{"b": 1, "a": [1, 2.5, "\u00e9"]}"#),
                ValueRef::Real(0.25),
                ValueRef::Null,
                t("null"),
                t("z"),
            ],
            // Two bad cells: the first in column order is named.
            vec![
                ValueRef::Integer(1),
                ValueRef::Blob(b"\x00\x01"),
                t("{not json"),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            vec![
                ValueRef::Integer(9_007_199_254_740_992),
                t("x"),
                t("{}"),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            vec![
                ValueRef::Integer(1),
                t("x"),
                t(r#"{"k":1,"k":2}"#),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            // Not UTF-8 in a JSON column.
            vec![
                ValueRef::Integer(1),
                t("x"),
                ValueRef::Text(b"{\"a\":\"\xff\"}"),
                ValueRef::Null,
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            // Only the last JSON column is bad.
            vec![
                ValueRef::Integer(1),
                t("x"),
                t("{}"),
                ValueRef::Null,
                ValueRef::Null,
                t("[1,]"),
                t("z"),
            ],
            vec![
                ValueRef::Integer(1),
                ValueRef::Text(b"caf\xe9"),
                t("{}"),
                ValueRef::Real(f64::NAN),
                ValueRef::Null,
                t("{}"),
                t("z"),
            ],
            // Readable, with JSON nested deeper than the canonicalizer writes (parsed instead).
            vec![
                ValueRef::Integer(4),
                t("x"),
                t(deep),
                ValueRef::Null,
                ValueRef::Null,
                t("{ }"),
                t("z"),
            ],
        ];
        // One page with text that is not UTF-8 (each cell checked on its own), and each row as
        // a page of its own (pages of valid text are checked at once).
        let page = page_of(&cols, &rows);
        assert!(page.utf8.is_none());
        assert_rows(&cols, &rows, &page);
        for row in &rows {
            assert_rows(
                &cols,
                std::slice::from_ref(row),
                &page_of(&cols, std::slice::from_ref(row)),
            );
        }
        assert!(page_of(&cols, &rows[..1]).utf8.is_some());
        // Two cells that are not UTF-8 alone, but are together: "x\xc3" + "\xa9{}" = "x\u{e9}{}".
        let split = vec![vec![
            ValueRef::Integer(1),
            ValueRef::Text(b"x\xc3"),
            ValueRef::Text(b"\xa9{}"),
            ValueRef::Null,
            ValueRef::Null,
            t("{}"),
            t("z"),
        ]];
        let split_page = page_of(&cols, &split);
        assert!(split_page.utf8.is_some());
        assert_rows(&cols, &split, &split_page);
        let n = cols.len();
        let messages: Vec<String> = (0..page.rowids.len())
            .map(|r| {
                let cells = &page.cells[r * n..(r + 1) * n];
                match row_record(&cols, order, &page, page.rowids[r], cells).data {
                    RawData::Unreadable(m) => m,
                    _ => String::new(),
                }
            })
            .collect();
        assert_eq!(messages[0], "");
        assert!(messages[1].starts_with("row 2: column \u{fb01} holds binary data"));
        assert!(messages[2].starts_with("row 3: column seq: integer 9007199254740992"));
        assert!(messages[3].starts_with("row 4: column metadata is not valid JSON"));
        assert_eq!(
            messages[4],
            "row 5: column metadata: text is not valid UTF-8"
        );
        assert!(messages[5].starts_with("row 6: column changes is not valid JSON"));
        assert_eq!(
            messages[6],
            "row 7: column \u{fb01}: text is not valid UTF-8"
        );
        let RawRecord {
            data: RawData::Value(Value::Object(m)),
            ..
        } = row_record(&cols, order, &page, 1, &page.cells[..n])
        else {
            panic!("row 1 is readable")
        };
        let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Z",
                "a",
                "changes",
                "metadata",
                "seq",
                "\u{1f600}",
                "\u{fb01}"
            ]
        );
    }

    #[test]
    fn cell_text_is_valid_utf8_exactly_when_it_is_alone() {
        // Valid together ("x\u{e9}ok\u{20ac}"), not piece by piece.
        let pieces: [&[u8]; 8] = [
            b"x\xc3",
            b"",
            b"\xa9",
            b"ok",
            b"\xe2\x82",
            b"",
            b"\xac",
            b"",
        ];
        let mut page = Page::default();
        let mut ranges = Vec::new();
        for p in pieces {
            let a = page.text.len();
            page.text.extend_from_slice(p);
            ranges.push((a, page.text.len()));
        }
        page.seal();
        assert!(page.utf8.is_some());
        for (p, (a, b)) in pieces.iter().zip(ranges) {
            assert_eq!(page.str(a, b), std::str::from_utf8(p).ok(), "{p:?}");
            assert_eq!(page.bytes(a, b), *p);
        }
        page.clear();
        assert!(page.utf8.is_none() && page.text.is_empty());
    }

    #[test]
    fn a_repeated_column_name_has_no_order() {
        let cols: Vec<(String, ColumnKind)> = ["a", "b", "a"]
            .iter()
            .map(|n| (n.to_string(), ColumnKind::Auto))
            .collect();
        assert!(shape_of(&cols).is_none());
    }
}
