//! The carver: finds whole records of the table in bytes that no live cell owns (free blocks,
//! the unallocated gap, freelist pages, page images that the WAL or a journal superseded).
//!
//! A freed cell loses its first 4 bytes to the free-block header (next block, size): the
//! payload-length and rowid varints and often the header-size byte, sometimes the first serial
//! type too. The serial types after them survive. So at each position of a region the carver
//! tries, in this order:
//! 1. an intact cell: payload length, rowid, then a record whose length is that payload length;
//! 2. an intact record: a header-size varint, then exactly that many header bytes;
//! 3. a record whose header-size byte was lost: the serial types start here, the header size is
//!    rebuilt from the table's column count (only for tables with a strong shape rule);
//! 4. at the start of a free block only: the header-size byte and the first serial types lost
//!    under the 4-byte free-block header, the lost types enumerated from the finite set that
//!    the column allows (integers, a 64-hex text).
//!
//! Invariants: a record is accepted only when it decodes to every stored column of the table,
//! each serial type plausible for its column (text where text is declared, integers for
//! `INTEGER`, no NULL in `NOT NULL`, NULL for the rowid alias), every text UTF-8, the shape
//! rules met (`seq` >= 1, 64-hex hashes), and its bytes fit the region (a record spilling to
//! overflow pages needs its 4-byte pointer inside the region and a complete chain). Lengths are
//! checked before any slice; overflow chains are read only after the columns on the page
//! passed, within a budget of page reads per scan. The region scan moves forward only, and
//! past each record found, so it ends within the region's length.

use std::ops::Range;

use crate::btree::{local_size, read_overflow, PageSource};
use crate::error::RecoverError;
use crate::record::{content_size, decode_value, is_text, push_varint, read_varint, varint_len};
use crate::schema::{Affinity, ColumnRule, Table};
use crate::SqlValue;

/// The serial type of a 64-byte text.
const HEX64_TYPE: u64 = 13 + 2 * 64;

/// How a record's header was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordHeader {
    /// Read whole from the evidence.
    Intact,
    /// The first `rebuilt_bytes` bytes of the header were lost and rebuilt from the schema:
    /// the header-size varint and, when `guessed_columns` > 0, the serial types of that many
    /// leading columns (chosen as the only ones under which the whole record decodes).
    Rebuilt {
        rebuilt_bytes: u8,
        guessed_columns: u8,
    },
}

/// The rule set for one stored column.
#[derive(Debug, Clone)]
struct Spec {
    affinity: Affinity,
    not_null: bool,
    rowid_alias: bool,
    rule: ColumnRule,
}

impl Spec {
    fn plausible(&self, t: u64) -> bool {
        if t == 10 || t == 11 {
            return false;
        }
        if self.rowid_alias {
            return t == 0;
        }
        if t == 0 {
            return !self.not_null && self.rule == ColumnRule::Any;
        }
        match self.rule {
            ColumnRule::PositiveInteger => return (1..=6).contains(&t) || t == 9,
            ColumnRule::Hex64 => return t == HEX64_TYPE,
            ColumnRule::Any => {}
        }
        match self.affinity {
            Affinity::Text => is_text(t),
            Affinity::Integer | Affinity::Real => t <= 9,
            Affinity::Numeric | Affinity::Blob => true,
        }
    }

    /// The serial types this column can have, when there are few of them.
    fn finite_types(&self) -> Option<Vec<u64>> {
        let all: Vec<u64> = (0..=9)
            .chain([HEX64_TYPE])
            .filter(|&t| self.plausible(t))
            .collect();
        let bounded = match self.rule {
            ColumnRule::PositiveInteger | ColumnRule::Hex64 => true,
            ColumnRule::Any => {
                self.rowid_alias || matches!(self.affinity, Affinity::Integer | Affinity::Real)
            }
        };
        (bounded && !all.is_empty()).then_some(all)
    }

    fn value_ok(&self, v: &SqlValue) -> bool {
        if self.rowid_alias {
            return *v == SqlValue::Null;
        }
        match self.rule {
            ColumnRule::PositiveInteger => matches!(v, SqlValue::Integer(i) if *i >= 1),
            ColumnRule::Hex64 => {
                matches!(v, SqlValue::Text(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            }
            ColumnRule::Any => true,
        }
    }
}

/// A record found in a page image.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Where the record (its header) begins in the image; lost bytes included.
    pub start: usize,
    /// One past the last byte of the record on this page (its overflow pointer included).
    pub end: usize,
    /// The cell's start and rowid, when its payload-length and rowid varints survived.
    pub cell: Option<(usize, i64)>,
    pub header: RecordHeader,
    /// The record as SQLite encodes it (rebuilt header bytes included).
    pub payload: Vec<u8>,
    pub values: Vec<SqlValue>,
    pub overflow_pages: Vec<u32>,
}

/// Carves records of one table.
pub(crate) struct Carver {
    specs: Vec<Spec>,
    /// Whether the table's shape rules are strong enough to try records without a header size.
    strong: bool,
    page_size: usize,
    usable: usize,
    max_record: u64,
    /// Overflow pages that carving may still read in this scan.
    pub overflow_budget: u64,
    pub overflow_budget_spent: bool,
    /// Whether [`Carver::could_start`] can pass at a zero byte (it reads the first byte alone
    /// there): when not, runs of zeros, the most of a page's unused space, are stepped over.
    zero_starts: bool,
}

/// Where in a page image a region lies.
pub(crate) struct Region<'a> {
    pub image: &'a [u8],
    /// No record starts before this offset (the database header on page 1).
    pub floor: usize,
    pub bytes: Range<usize>,
    /// Free-block starts inside `bytes`, ascending: their first 4 bytes are the free-block
    /// header, and a record under it is rebuilt (step 4).
    pub freeblocks: &'a [usize],
}

impl Carver {
    pub fn new(
        table: &Table,
        page_size: usize,
        usable: usize,
        max_record: u64,
        overflow_budget: u64,
    ) -> Carver {
        let specs: Vec<Spec> = table
            .stored_columns()
            .map(|c| Spec {
                affinity: c.affinity,
                not_null: c.not_null,
                rowid_alias: c.rowid_alias,
                rule: c.rule,
            })
            .collect();
        let strong = specs.len() >= 4 && specs.iter().any(|s| s.rule == ColumnRule::Hex64);
        let mut carver = Carver {
            specs,
            strong,
            page_size,
            usable,
            max_record,
            overflow_budget,
            overflow_budget_spent: false,
            zero_starts: true,
        };
        carver.zero_starts = carver.could_start(&[0]);
        carver
    }

    /// Finds every record in `region`, in order, none overlapping.
    pub fn carve(
        &mut self,
        region: &Region<'_>,
        src: &mut dyn PageSource,
        out: &mut Vec<Found>,
    ) -> Result<(), RecoverError> {
        let end = region.bytes.end.min(region.image.len()).min(self.usable);
        let mut at = region.bytes.start;
        let mut blocks = region.freeblocks.iter().copied().peekable();
        while at < end {
            while blocks.next_if(|&b| b < at).is_some() {}
            if blocks.peek() == Some(&at) {
                blocks.next();
                let serial_start = at + 4;
                // The payload-length and rowid varints take at least 2 of the 4 lost bytes.
                let min_start = (at + 2).max(region.floor);
                let mut found = None;
                for lost_columns in 0..=2 {
                    found =
                        self.headerless(region, serial_start, end, min_start, lost_columns, src)?;
                    if found.is_some() {
                        break;
                    }
                }
                match found {
                    Some(f) => {
                        at = f.end.max(at + 1);
                        out.push(f);
                    }
                    None => at = serial_start,
                }
                continue;
            }
            if !self.zero_starts && region.image.get(at) == Some(&0) {
                // Up to the next nonzero byte or free block (the ones before `at` are passed).
                let limit = blocks.peek().map_or(end, |&b| b.min(end));
                let zeros = region.image.get(at..limit).unwrap_or_default();
                at += zeros
                    .iter()
                    .position(|&b| b != 0)
                    .unwrap_or(zeros.len())
                    .max(1);
                continue;
            }
            if !self.could_start(region.image.get(at..end).unwrap_or_default()) {
                at += 1;
                continue;
            }
            let mut found = self.cell_at(region, at, end, src)?;
            if found.is_none() {
                found = self.intact_at(region, at, end, src)?;
            }
            if found.is_none() && self.strong {
                found = self.headerless(region, at, end, region.floor, 0, src)?;
            }
            match found {
                Some(f) => {
                    at = f.end.max(at + 1);
                    out.push(f);
                }
                None => at += 1,
            }
        }
        Ok(())
    }

    /// Whether a record of steps 1 to 3 can start at the start of `bytes`, judged by the first
    /// column's serial type alone: the cheap test that almost every position fails.
    fn could_start(&self, bytes: &[u8]) -> bool {
        let Some(first) = self.specs.first() else {
            return false;
        };
        let n = self.specs.len() as u64;
        let first_type_ok = |b: &[u8]| read_varint(b).is_some_and(|(t, _)| first.plausible(t));
        let header_ok = |b: &[u8]| match read_varint(b) {
            Some((size, hv)) if size >= hv as u64 + n && size <= hv as u64 + 9 * n => {
                first_type_ok(b.get(hv..).unwrap_or_default())
            }
            _ => false,
        };
        if self.strong && first_type_ok(bytes) {
            return true;
        }
        if header_ok(bytes) {
            return true;
        }
        let Some((payload_len, a)) = read_varint(bytes) else {
            return false;
        };
        if payload_len < 1 + n || payload_len > self.max_record {
            return false;
        }
        let after_len = bytes.get(a..).unwrap_or_default();
        match read_varint(after_len) {
            Some((_, b)) => header_ok(after_len.get(b..).unwrap_or_default()),
            None => false,
        }
    }

    /// Step 1: a cell whose payload-length and rowid varints survived.
    fn cell_at(
        &mut self,
        region: &Region<'_>,
        at: usize,
        end: usize,
        src: &mut dyn PageSource,
    ) -> Result<Option<Found>, RecoverError> {
        let bytes = region.image.get(at..end).unwrap_or_default();
        let Some((payload_len, a)) = read_varint(bytes) else {
            return Ok(None);
        };
        if payload_len < 1 + self.specs.len() as u64 || payload_len > self.max_record {
            return Ok(None);
        }
        let Some((rowid, b)) = read_varint(bytes.get(a..).unwrap_or_default()) else {
            return Ok(None);
        };
        let Some(mut found) = self.intact_at(region, at + a + b, end, src)? else {
            return Ok(None);
        };
        if found.payload.len() as u64 != payload_len {
            return Ok(None);
        }
        found.cell = Some((at, rowid as i64));
        Ok(Some(found))
    }

    /// Step 2: a record with its whole header.
    fn intact_at(
        &mut self,
        region: &Region<'_>,
        at: usize,
        end: usize,
        src: &mut dyn PageSource,
    ) -> Result<Option<Found>, RecoverError> {
        let bytes = region.image.get(at..end).unwrap_or_default();
        let Some((size, hv)) = read_varint(bytes) else {
            return Ok(None);
        };
        let n = self.specs.len() as u64;
        if size < hv as u64 + n || size > hv as u64 + 9 * n {
            return Ok(None);
        }
        let size = size as usize;
        let Some(types) = self.serial_types(bytes, hv, self.specs.len(), 0) else {
            return Ok(None);
        };
        if types.1 != size {
            return Ok(None);
        }
        self.finish(region, at, size, types.0, end, 0, 0, src)
    }

    /// Steps 3 and 4: the serial types of columns `lost_columns..` start at `serial_start`; the
    /// header-size varint and the types before them are rebuilt.
    fn headerless(
        &mut self,
        region: &Region<'_>,
        serial_start: usize,
        end: usize,
        min_start: usize,
        lost_columns: usize,
        src: &mut dyn PageSource,
    ) -> Result<Option<Found>, RecoverError> {
        if lost_columns > self.specs.len() {
            return Ok(None);
        }
        let bytes = region.image.get(serial_start..end).unwrap_or_default();
        let remaining = self.specs.len() - lost_columns;
        let Some((rest, rest_len)) = self.serial_types(bytes, 0, remaining, lost_columns) else {
            return Ok(None);
        };
        let mut choices: Vec<Vec<u64>> = vec![Vec::new()];
        for spec in &self.specs[..lost_columns] {
            let Some(options) = spec.finite_types() else {
                return Ok(None);
            };
            choices = choices
                .into_iter()
                .flat_map(|prefix| {
                    options.iter().map(move |&t| {
                        let mut p = prefix.clone();
                        p.push(t);
                        p
                    })
                })
                .collect();
        }
        for guess in choices {
            let guessed_len: usize = guess.iter().map(|&t| varint_len(t)).sum();
            let without_size = guessed_len + rest_len;
            let mut size_len = 1;
            while varint_len((without_size + size_len) as u64) > size_len {
                size_len += 1;
            }
            let size = without_size + size_len;
            let lost = size - rest_len;
            let Some(start) = serial_start.checked_sub(lost) else {
                continue;
            };
            if start < min_start {
                continue;
            }
            let mut types = guess.clone();
            types.extend_from_slice(&rest);
            let found = self.finish(region, start, size, types, end, lost, lost_columns, src)?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Reads `count` serial types from `bytes[from..]`, each plausible for columns
    /// `first_column..`: the types and the offset just past them.
    fn serial_types(
        &self,
        bytes: &[u8],
        from: usize,
        count: usize,
        first_column: usize,
    ) -> Option<(Vec<u64>, usize)> {
        let specs = self.specs.get(first_column..first_column + count)?;
        // Checked first without allocating: almost every position of a region fails here.
        let mut at = from;
        for spec in specs {
            let (t, n) = read_varint(bytes.get(at..)?)?;
            if !spec.plausible(t) {
                return None;
            }
            at += n;
        }
        let mut types = Vec::with_capacity(count);
        let mut at = from;
        for _ in specs {
            let (t, n) = read_varint(bytes.get(at..)?)?;
            types.push(t);
            at += n;
        }
        Some((types, at))
    }

    /// Decodes the record whose header (`header_size` bytes, the first `lost` of them not in
    /// the evidence) begins at `start`, and checks it against the table.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        region: &Region<'_>,
        start: usize,
        header_size: usize,
        types: Vec<u64>,
        end: usize,
        lost: usize,
        guessed_columns: usize,
        src: &mut dyn PageSource,
    ) -> Result<Option<Found>, RecoverError> {
        let mut body_len: u64 = 0;
        for &t in &types {
            let Some(size) = content_size(t) else {
                return Ok(None);
            };
            body_len = body_len.saturating_add(size);
        }
        let payload_len = body_len.saturating_add(header_size as u64);
        if payload_len > self.max_record {
            return Ok(None);
        }
        let local = local_size(payload_len, self.usable, true);
        let spills = (local as u64) < payload_len;
        let on_page_end = start + local + if spills { 4 } else { 0 };
        if on_page_end > end || lost > header_size {
            return Ok(None);
        }
        let Some(on_page) = region.image.get(start + lost..start + local) else {
            return Ok(None);
        };
        // Sized for the bytes on the page: a failed attempt must not reserve a whole record.
        let mut payload = Vec::with_capacity(local + 4);
        if lost > 0 {
            let mut header = Vec::with_capacity(header_size);
            push_varint(header_size as u64, &mut header);
            for &t in &types {
                push_varint(t, &mut header);
            }
            if header.len() != header_size {
                return Ok(None);
            }
            payload.extend_from_slice(&header[..lost]);
        }
        payload.extend_from_slice(on_page);
        let mut overflow_pages = Vec::new();
        if spills {
            if !self.columns_fit(&types, header_size, &payload) {
                return Ok(None);
            }
            if self.overflow_budget == 0 {
                self.overflow_budget_spent = true;
                return Ok(None);
            }
            let Some(first) = crate::btree::be32(region.image, start + local) else {
                return Ok(None);
            };
            let needed = (payload_len - local as u64) as usize;
            let chain = read_overflow(src, first, needed, self.page_size, self.usable)?;
            self.overflow_budget = self
                .overflow_budget
                .saturating_sub(chain.pages.len() as u64);
            if !chain.complete {
                return Ok(None);
            }
            payload.extend_from_slice(&chain.bytes);
            overflow_pages = chain.pages;
        }
        let Some(values) = self.decode(&types, header_size, &payload) else {
            return Ok(None);
        };
        Ok(Some(Found {
            start,
            end: on_page_end,
            cell: None,
            header: if lost == 0 {
                RecordHeader::Intact
            } else {
                RecordHeader::Rebuilt {
                    rebuilt_bytes: lost as u8,
                    guessed_columns: guessed_columns as u8,
                }
            },
            payload,
            values,
            overflow_pages,
        }))
    }

    /// Checks the columns whose bytes are all in `partial` (before an overflow chain is read).
    fn columns_fit(&self, types: &[u64], header_size: usize, partial: &[u8]) -> bool {
        let mut at = header_size;
        for (spec, &t) in self.specs.iter().zip(types) {
            let Some(size) = content_size(t).and_then(|s| usize::try_from(s).ok()) else {
                return false;
            };
            let Some(end) = at.checked_add(size) else {
                return false;
            };
            let Some(bytes) = partial.get(at..end) else {
                return true;
            };
            match decode_value(t, bytes) {
                Some(v) if spec.value_ok(&v) => {}
                _ => return false,
            }
            at = end;
        }
        true
    }

    /// Decodes every column; `None` unless each is plausible and the bytes end exactly.
    fn decode(&self, types: &[u64], header_size: usize, payload: &[u8]) -> Option<Vec<SqlValue>> {
        let mut at = header_size;
        let mut values = Vec::with_capacity(types.len());
        for (spec, &t) in self.specs.iter().zip(types) {
            let size = usize::try_from(content_size(t)?).ok()?;
            let end = at.checked_add(size)?;
            let v = decode_value(t, payload.get(at..end)?)?;
            if !spec.value_ok(&v) {
                return None;
            }
            values.push(v);
            at = end;
        }
        (at == payload.len() && values.len() == self.specs.len()).then_some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AnomalyKind;
    use crate::schema::parse_create_table;

    struct NoPages;

    impl PageSource for NoPages {
        fn page(&mut self, _: u32, _: &mut [u8]) -> Result<bool, RecoverError> {
            Ok(false)
        }
        fn anomaly(&mut self, _: u32, _: AnomalyKind) {}
    }

    fn table() -> Table {
        let parsed = parse_create_table(
            "CREATE TABLE audit_log (seq INTEGER NOT NULL, tenant_id TEXT NOT NULL, \
             note TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
        )
        .unwrap();
        Table {
            name: "audit_log".into(),
            root_page: 2,
            sql: String::new(),
            columns: parsed.columns,
        }
    }

    /// Header and body of (seq, tenant_id, note, prev_hash, hash).
    fn record(seq: u8, note: Option<&str>) -> (Vec<u8>, Vec<u8>) {
        let hex = "0123456789abcdef".repeat(4);
        let mut types = vec![1u64, 13 + 2 * 4];
        types.push(note.map_or(0, |n| 13 + 2 * n.len() as u64));
        types.extend([HEX64_TYPE, HEX64_TYPE]);
        let mut header = Vec::new();
        for t in &types {
            push_varint(*t, &mut header);
        }
        header.insert(0, header.len() as u8 + 1);
        let mut body = vec![seq];
        body.extend_from_slice(b"acme");
        body.extend_from_slice(note.unwrap_or("").as_bytes());
        body.extend_from_slice(hex.as_bytes());
        body.extend_from_slice(hex.as_bytes());
        (header, body)
    }

    fn carve(image: &[u8], bytes: Range<usize>, freeblocks: &[usize]) -> Vec<Found> {
        let mut carver = Carver::new(&table(), 1024, 1024, 1 << 20, 10);
        let region = Region {
            image,
            floor: 0,
            bytes,
            freeblocks,
        };
        let mut out = Vec::new();
        carver.carve(&region, &mut NoPages, &mut out).unwrap();
        out
    }

    #[test]
    fn a_cell_with_its_prefix_gives_its_rowid() {
        let (h, b) = record(5, Some("x"));
        let mut image = vec![0u8; 1024];
        let at = 300;
        image[at] = 0x81;
        image[at + 1] = (h.len() + b.len() - 128) as u8;
        image[at + 2] = 77;
        image[at + 3..at + 3 + h.len()].copy_from_slice(&h);
        image[at + 3 + h.len()..at + 3 + h.len() + b.len()].copy_from_slice(&b);
        let found = carve(&image, 100..1024, &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cell, Some((at, 77)));
        assert_eq!(found[0].start, at + 3);
        assert_eq!(found[0].header, RecordHeader::Intact);
        assert_eq!(found[0].values[2], SqlValue::Text("x".into()));
    }

    /// A page with a deleted record at 202 under a free block at 200: paylen and rowid took 2
    /// bytes, so the header starts at 202 and its size byte and the serial type of seq are
    /// under the 4-byte free-block header. The image, the block's start and size, the record.
    fn record_under_a_free_block() -> (Vec<u8>, usize, usize, Vec<u8>) {
        let (h, b) = record(5, None);
        let mut image = vec![0u8; 1024];
        let fb = 200;
        let start = fb + 2;
        image[start..start + h.len()].copy_from_slice(&h);
        image[start + h.len()..start + h.len() + b.len()].copy_from_slice(&b);
        let size = 2 + h.len() + b.len();
        image[fb..fb + 4].copy_from_slice(&[0, 0, 0, size as u8]);
        let mut whole = h;
        whole.extend_from_slice(&b);
        (image, fb, size, whole)
    }

    #[test]
    fn a_free_block_that_ate_the_header_size_and_the_first_type() {
        let (image, fb, size, whole) = record_under_a_free_block();
        let start = fb + 2;
        let found = carve(&image, fb..fb + size, &[fb]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].start, start);
        assert_eq!(
            found[0].header,
            RecordHeader::Rebuilt {
                rebuilt_bytes: 2,
                guessed_columns: 1
            }
        );
        assert_eq!(found[0].values[0], SqlValue::Integer(5));
        assert_eq!(found[0].payload, whole);
    }

    /// Zeros are stepped over up to a free block's start, never past it: the record under a
    /// free-block header that starts with a zero byte, after a run of zeros, is found.
    #[test]
    fn a_run_of_zeros_stops_at_a_free_block() {
        let (image, fb, _, _) = record_under_a_free_block();
        let found = carve(&image, 50..1024, &[fb]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].start, fb + 2);
        assert!(!Carver::new(&table(), 1024, 1024, 1 << 20, 10).zero_starts);
    }

    #[test]
    fn text_where_an_integer_is_declared_is_refused() {
        let (mut h, b) = record(5, None);
        h[1] = 13 + 2; // seq as a 1-byte text
        let mut image = vec![0u8; 1024];
        image[100..100 + h.len()].copy_from_slice(&h);
        image[100 + h.len()..100 + h.len() + b.len()].copy_from_slice(&b);
        assert!(carve(&image, 0..1024, &[]).is_empty());
        let (h, mut b) = record(5, None);
        b[10] = b'G'; // prev_hash no longer hex
        image[100..100 + h.len()].copy_from_slice(&h);
        image[100 + h.len()..100 + h.len() + b.len()].copy_from_slice(&b);
        assert!(carve(&image, 0..1024, &[]).is_empty());
    }

    #[test]
    fn a_record_must_fit_its_region() {
        let (h, b) = record(5, None);
        let mut image = vec![0u8; 1024];
        image[100..100 + h.len()].copy_from_slice(&h);
        image[100 + h.len()..100 + h.len() + b.len()].copy_from_slice(&b);
        let end = 100 + h.len() + b.len();
        assert_eq!(carve(&image, 0..end, &[]).len(), 1);
        assert!(carve(&image, 0..end - 1, &[]).is_empty());
    }
}
