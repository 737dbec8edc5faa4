//! The live rows of one rowid table read straight from its b-tree, in rowid order, as SQLite's
//! `SELECT ... ORDER BY rowid` gives them: the fast path for reading a large, healthy table
//! (stepping SQLite's virtual machine and copying every column out through its API costs more
//! than reading the pages).
//!
//! Invariants: this reader is strict where the carver is lenient. It yields a row only from a
//! tree that is well formed as far as it has read: every page a b-tree page of the kind its
//! parent implies and named once, no deeper than [`MAX_DEPTH`], inside the file; every cell
//! pointer and cell inside its page; interior keys ascending and within their parent's bounds;
//! rowids strictly ascending and within the bounds of the interior cells above them; a record
//! whose header and body cover its payload exactly, with one value per stored column; an
//! overflow chain complete and never revisiting a page. At the first thing that is not so it
//! stops with a [`Deviation`] and yields nothing more: the caller then reads the rest through
//! SQLite from the last rowid it was given, so a damaged file gets SQLite's own reading (and
//! its messages), and a healthy one the same rows faster. It does what SQLite does on reading
//! a value: a column declared `INTEGER PRIMARY KEY` gives the rowid, an integer stored in a
//! column of REAL affinity gives a real, a stored NaN gives NULL.
//!
//! Memory: one page buffer per level of the tree, a read-ahead window of [`WINDOW_BYTES`], and
//! for a row with an overflow chain its record (at most [`MAX_PAYLOAD`] bytes) and the chain
//! read for it; the file is only read, never written.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::btree::{parse_cell, read_overflow, PageHeader, PageSource, INTERIOR_TABLE, LEAF_TABLE};
use crate::error::{AnomalyKind, RecoverError};
use crate::header::{DatabaseHeader, HEADER_LEN};
use crate::io::ReadSeek;
use crate::pages::PageSet;
use crate::record::{content_size, read_varint};

/// No real b-tree is this deep (SQLite's own limit is 20).
const MAX_DEPTH: usize = 40;

/// How much of the file one read brings in.
const WINDOW_BYTES: usize = 256 << 10;

/// A row whose record is larger than this is left to SQLite (the carver's default cap on a
/// record, [`crate::Options::max_record_bytes`], is the same).
pub const MAX_PAYLOAD: u64 = 16 << 20;

/// Why the fast path stopped: the page it was on and what it found. Nothing is wrong with the
/// evidence because of it; SQLite reads on from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    pub page: u32,
    pub reason: &'static str,
}

/// How a column of the table is read from a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnRead {
    /// `INTEGER PRIMARY KEY`: the record holds NULL, the value is the rowid.
    pub rowid_alias: bool,
    /// REAL affinity: an integer in the record is read as a real.
    pub real: bool,
}

/// One value of a row; text and blobs are ranges of the payload handed with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field {
    Null,
    Integer(i64),
    Real(f64),
    Text(usize, usize),
    Blob(usize, usize),
}

/// What [`TableReader::next_row`] calls with a row: its rowid, its record's payload and one
/// field per column.
pub type OnRow<'a> = dyn FnMut(i64, &[u8], &[Field]) + 'a;

/// A page being walked (an interior page on the stack, or the leaf whose rows are being
/// yielded): its image, the next child or cell, and the rowid bounds `(lo, hi]` that the
/// page's keys and its subtrees must keep.
struct Level {
    number: u32,
    image: Vec<u8>,
    header: PageHeader,
    next: usize,
    lo: Option<i64>,
    hi: Option<i64>,
}

/// Reads the rows of one table b-tree in rowid order ([module docs](self)).
pub struct TableReader {
    file: Box<dyn ReadSeek + Send>,
    /// Pages read ahead: `window_pages` pages from page `window_first`.
    window: Vec<u8>,
    window_first: u32,
    window_pages: u32,
    /// The last page read alone, away from the window.
    last_alone: Option<u32>,
    page_size: usize,
    usable: usize,
    pages: u32,
    lock_byte_page: u32,
    columns: Vec<ColumnRead>,
    visited: PageSet,
    levels: Vec<Level>,
    leaf: Option<Level>,
    /// Page images of levels that were left, to be reused.
    spare: Vec<Vec<u8>>,
    overflow: Vec<u8>,
    fields: Vec<Field>,
    started: bool,
    root: u32,
    stopped: Option<Deviation>,
}

fn stop<T>(page: u32, reason: &'static str) -> Result<T, Deviation> {
    Err(Deviation { page, reason })
}

impl TableReader {
    /// Opens `path` read-only to read the table whose b-tree is rooted at `root`, with
    /// `columns` in the table's column order. The header must say UTF-8 text.
    pub fn open(path: &Path, root: u32, columns: Vec<ColumnRead>) -> Result<Self, Deviation> {
        let file = File::open(path).map_err(|_| Deviation {
            page: 1,
            reason: "the file cannot be opened",
        })?;
        Self::from_reader(Box::new(file), root, columns)
    }

    /// [`TableReader::open`] over any readable, seekable bytes.
    pub fn from_reader(
        mut file: Box<dyn ReadSeek + Send>,
        root: u32,
        columns: Vec<ColumnRead>,
    ) -> Result<Self, Deviation> {
        let len = file.seek(SeekFrom::End(0)).map_err(|_| Deviation {
            page: 1,
            reason: "the file's size cannot be read",
        })?;
        file.seek(SeekFrom::Start(0)).map_err(|_| Deviation {
            page: 1,
            reason: "the header cannot be read",
        })?;
        let mut head = [0u8; HEADER_LEN];
        file.read_exact(&mut head).map_err(|_| Deviation {
            page: 1,
            reason: "the header cannot be read",
        })?;
        let header = DatabaseHeader::parse(&head).map_err(|_| Deviation {
            page: 1,
            reason: "the header is not one SQLite reads",
        })?;
        if header.text_encoding != 1 {
            return stop(1, "the text is not UTF-8");
        }
        if header.schema_format < 1 || header.schema_format > 4 {
            return stop(1, "the schema format is not 1 to 4");
        }
        let page_size = header.page_size as usize;
        // As SQLite counts them: the header's count when it is valid, never past the file.
        let in_file = u32::try_from(len / page_size as u64).unwrap_or(u32::MAX);
        let pages = header
            .valid_database_pages()
            .map_or(in_file, |p| p.min(in_file));
        if root < 2 || root > pages {
            return stop(root, "the root page is not in the file");
        }
        Ok(TableReader {
            file,
            window: Vec::new(),
            window_first: 0,
            window_pages: 0,
            last_alone: None,
            page_size,
            usable: header.usable_size() as usize,
            pages,
            lock_byte_page: header.lock_byte_page(),
            columns,
            visited: PageSet::new(pages),
            levels: Vec::new(),
            leaf: None,
            spare: Vec::new(),
            overflow: Vec::new(),
            fields: Vec::new(),
            started: false,
            root,
            stopped: None,
        })
    }

    fn read_page(&mut self, number: u32, buf: &mut Vec<u8>) -> Result<(), Deviation> {
        buf.resize(self.page_size, 0);
        self.fill(number, buf)
    }

    /// Fills `buf` (one page) with page `number`, from the read-ahead window.
    fn fill(&mut self, number: u32, buf: &mut [u8]) -> Result<(), Deviation> {
        if number < 2 || number > self.pages || number == self.lock_byte_page {
            return stop(number, "a page number outside the file");
        }
        let ps = self.page_size;
        let cached = self.window_pages;
        if !(self.window_first..self.window_first + cached).contains(&number) {
            let next = number == self.window_first + cached
                || self
                    .last_alone
                    .is_some_and(|p| p.checked_add(1) == Some(number));
            if cached > 0 && !next {
                // A page away from the window (an interior page among the leaves, mostly) is
                // read alone: a window read there had the leaves' window read again after it,
                // 23% more bytes than the file for a 1M-row table.
                let offset = u64::from(number - 1) * ps as u64;
                let read = self
                    .file
                    .seek(SeekFrom::Start(offset))
                    .and_then(|_| self.file.read_exact(buf));
                if read.is_err() {
                    return stop(number, "the page cannot be read");
                }
                self.last_alone = Some(number);
                return Ok(());
            }
            // The pages of a table are mostly in file order: one read brings the next ones.
            let count = (WINDOW_BYTES / ps).max(1) as u32;
            let count = count.min(self.pages - number + 1);
            self.window.resize(count as usize * ps, 0);
            let offset = u64::from(number - 1) * ps as u64;
            let read = self
                .file
                .seek(SeekFrom::Start(offset))
                .and_then(|_| self.file.read_exact(&mut self.window));
            if read.is_err() {
                self.window_pages = 0;
                return stop(number, "the page cannot be read");
            }
            self.window_first = number;
            self.window_pages = count;
        }
        let at = (number - self.window_first) as usize * ps;
        buf.copy_from_slice(&self.window[at..at + ps]);
        Ok(())
    }

    /// Loads page `number` as a child with bounds `(lo, hi]` at `depth`: onto the stack when
    /// interior, as the current leaf when a leaf.
    fn descend(
        &mut self,
        number: u32,
        lo: Option<i64>,
        hi: Option<i64>,
        depth: usize,
    ) -> Result<(), Deviation> {
        if depth > MAX_DEPTH {
            return stop(number, "the tree is deeper than any real one");
        }
        if !self.visited.insert(number) {
            return stop(number, "a page is named twice");
        }
        let mut image = self.spare.pop().unwrap_or_default();
        self.read_page(number, &mut image)?;
        let Some(header) = PageHeader::parse(&image, 0, self.usable) else {
            return stop(number, "not a b-tree page");
        };
        if header.cell_count == 0 && number != self.root {
            return stop(number, "an empty page below the root");
        }
        // The whole page is checked before any of it is used: SQLite finds rowids on a page
        // by binary search, which agrees with reading it in order only when all its keys
        // ascend within the bounds its parent gives.
        self.check_keys(number, &image, &header, lo, hi)?;
        let page = Level {
            number,
            image,
            header,
            next: 0,
            lo,
            hi,
        };
        if header.kind == INTERIOR_TABLE {
            self.levels.push(page);
        } else if let Some(old) = self.leaf.replace(page) {
            self.spare.push(old.image);
        }
        Ok(())
    }

    /// Checks that every cell of a table page parses and that its keys (rowids on a leaf)
    /// ascend strictly within `(lo, hi]`.
    fn check_keys(
        &self,
        number: u32,
        image: &[u8],
        header: &PageHeader,
        lo: Option<i64>,
        hi: Option<i64>,
    ) -> Result<(), Deviation> {
        if header.kind != INTERIOR_TABLE && header.kind != LEAF_TABLE {
            return stop(number, "not a table b-tree page");
        }
        let mut floor = lo;
        for i in 0..header.cell_count {
            let at = self.cell_at(image, header, i, number)?;
            let Some(cell) = parse_cell(image, at, header.kind, self.usable) else {
                return stop(number, "a cell leaves the page");
            };
            let key = cell.rowid.expect("table cells have a key");
            if floor.is_some_and(|f| key <= f) || hi.is_some_and(|h| key > h) {
                return stop(number, "keys out of order");
            }
            floor = Some(key);
        }
        Ok(())
    }

    /// The offset of cell `i` of a page, checked to lie in its content area.
    fn cell_at(
        &self,
        image: &[u8],
        header: &PageHeader,
        i: usize,
        page: u32,
    ) -> Result<usize, Deviation> {
        let at = header.pointer_array_end() - 2 * header.cell_count + 2 * i;
        let cell = usize::from(u16::from_be_bytes([image[at], image[at + 1]]));
        if cell < header.pointer_array_end() || cell >= self.usable {
            return stop(page, "a cell pointer outside the page's content");
        }
        Ok(cell)
    }

    /// The child and key of interior cell `i` of `level`.
    fn key_of(&self, level: &Level, i: usize) -> Result<(u32, i64), Deviation> {
        let at = self.cell_at(&level.image, &level.header, i, level.number)?;
        match parse_cell(&level.image, at, INTERIOR_TABLE, self.usable) {
            Some(crate::btree::Cell {
                left_child: Some(child),
                rowid: Some(key),
                ..
            }) => Ok((child, key)),
            _ => stop(level.number, "an interior cell leaves the page"),
        }
    }

    /// Moves to the next leaf in key order (none is current); `Ok(false)` when the tree is
    /// done.
    fn next_leaf(&mut self) -> Result<bool, Deviation> {
        if !self.started {
            self.started = true;
            self.descend(self.root, None, None, 0)?;
            if self.leaf.is_some() {
                return Ok(true);
            }
        }
        loop {
            let Some(level) = self.levels.last() else {
                return Ok(false);
            };
            let (n, i) = (level.header.cell_count, level.next);
            if i > n {
                let done = self.levels.pop().expect("a level");
                self.spare.push(done.image);
                continue;
            }
            // Child i holds the rowids in (key i-1, key i]; the right child those above the
            // last key, up to the page's own bound.
            let lo = if i == 0 {
                level.lo
            } else {
                Some(self.key_of(level, i - 1)?.1)
            };
            // The page's keys were checked when it was loaded (`check_keys`).
            let (child, hi) = if i == n {
                (level.header.right_child, level.hi)
            } else {
                let (child, key) = self.key_of(level, i)?;
                (child, Some(key))
            };
            self.levels.last_mut().expect("a level").next += 1;
            let depth = self.levels.len();
            self.descend(child, lo, hi, depth)?;
            if self.leaf.is_some() {
                return Ok(true);
            }
        }
    }

    /// Reads the next row and hands it to `row` with its rowid, its payload and one field per
    /// column; `Ok(false)` at the end of the table. After a [`Deviation`] every call gives
    /// the same deviation.
    pub fn next_row(&mut self, row: &mut OnRow<'_>) -> Result<bool, Deviation> {
        if let Some(d) = &self.stopped {
            return Err(d.clone());
        }
        match self.step(row) {
            Err(d) => {
                self.stopped = Some(d.clone());
                Err(d)
            }
            ok => ok,
        }
    }

    fn step(&mut self, row: &mut OnRow<'_>) -> Result<bool, Deviation> {
        loop {
            let pending = self
                .leaf
                .as_ref()
                .is_some_and(|l| l.next < l.header.cell_count);
            if pending {
                break;
            }
            if let Some(old) = self.leaf.take() {
                self.spare.push(old.image);
            }
            if !self.next_leaf()? {
                return Ok(false);
            }
        }
        let leaf = self.leaf.as_ref().expect("a leaf");
        let number = leaf.number;
        let at = self.cell_at(&leaf.image, &leaf.header, leaf.next, number)?;
        let Some(cell) = parse_cell(&leaf.image, at, LEAF_TABLE, self.usable) else {
            return stop(number, "a cell leaves the page");
        };
        // The leaf's rowids were checked to ascend within its bounds when it was loaded.
        let rowid = cell.rowid.expect("a table leaf cell has a rowid");
        if cell.payload_len > MAX_PAYLOAD {
            return stop(number, "a record larger than the fast path reads");
        }
        let local = cell.payload_start..cell.payload_start + cell.local_len;
        if let Some(first) = cell.overflow {
            self.overflow.clear();
            self.overflow.extend_from_slice(&leaf.image[local.clone()]);
            let needed = cell.payload_len as usize - cell.local_len;
            let (page_size, usable) = (self.page_size, self.usable);
            let chain =
                read_overflow(self, first, needed, page_size, usable).map_err(|_| Deviation {
                    page: first,
                    reason: "an overflow page cannot be read",
                })?;
            if !chain.complete {
                return stop(first, "an overflow chain ends early");
            }
            // Overflow pages are not tree pages, and no page serves twice.
            for page in chain.pages {
                if !self.visited.insert(page) {
                    return stop(page, "a page is named twice");
                }
            }
            self.overflow.extend_from_slice(&chain.bytes);
        }
        let payload = match cell.overflow {
            Some(_) => &self.overflow[..],
            None => &self.leaf.as_ref().expect("a leaf").image[local],
        };
        decode(payload, rowid, &self.columns, &mut self.fields).ok_or(Deviation {
            page: number,
            reason: "a record that does not decode as a row of the table",
        })?;
        row(rowid, payload, &self.fields);
        self.leaf.as_mut().expect("a leaf").next += 1;
        Ok(true)
    }
}

/// The overflow chains of the table's rows are read through the carver's chain reader
/// ([`read_overflow`]): a page it cannot have ends the chain, which the reader then stops at.
impl PageSource for TableReader {
    fn page(&mut self, number: u32, buf: &mut [u8]) -> Result<bool, RecoverError> {
        Ok(self.fill(number, buf).is_ok())
    }

    fn anomaly(&mut self, _: u32, _: AnomalyKind) {}
}

/// The columns of a `CREATE TABLE` text as this reader reads them, with their names and
/// declared types, in table order; `None` for a table it does not read (a text the parser
/// refuses, `WITHOUT ROWID`, a `VIRTUAL` column).
pub fn table_columns(sql: &str) -> Option<Vec<(String, String, ColumnRead)>> {
    let parsed = crate::schema::parse_create_table(sql).ok()?;
    if parsed.without_rowid || parsed.columns.iter().any(|c| !c.stored) {
        return None;
    }
    Some(
        parsed
            .columns
            .into_iter()
            .map(|c| {
                let read = ColumnRead {
                    rowid_alias: c.rowid_alias,
                    real: c.affinity == crate::schema::Affinity::Real,
                };
                (c.name, c.declared_type, read)
            })
            .collect(),
    )
}

/// Decodes a record into one field per column; `None` unless its header and body cover the
/// payload exactly with one value per column.
fn decode(payload: &[u8], rowid: i64, columns: &[ColumnRead], out: &mut Vec<Field>) -> Option<()> {
    out.clear();
    let (size, mut h) = read_varint(payload)?;
    let size = usize::try_from(size).ok()?;
    if size < h || size > payload.len() {
        return None;
    }
    let mut body = size;
    for c in columns {
        if h >= size {
            return None;
        }
        let (t, n) = read_varint(&payload[h..size])?;
        h += n;
        let len = usize::try_from(content_size(t)?).ok()?;
        let end = body.checked_add(len)?;
        let content = payload.get(body..end)?;
        let field = match t {
            0 if c.rowid_alias => Field::Integer(rowid),
            _ if c.rowid_alias => return None,
            0 => Field::Null,
            1..=6 => {
                let mut v: i64 = if content[0] & 0x80 != 0 { -1 } else { 0 };
                for b in content {
                    v = (v << 8) | i64::from(*b);
                }
                Field::Integer(v)
            }
            7 => {
                let v = f64::from_be_bytes(content.try_into().ok()?);
                if v.is_nan() {
                    Field::Null
                } else {
                    Field::Real(v)
                }
            }
            8 => Field::Integer(0),
            9 => Field::Integer(1),
            t if t % 2 == 0 => Field::Blob(body, end),
            _ => Field::Text(body, end),
        };
        let field = match field {
            Field::Integer(v) if c.real && !c.rowid_alias => Field::Real(v as f64),
            f => f,
        };
        out.push(field);
        body = end;
    }
    (h == size && body == payload.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: ColumnRead = ColumnRead {
        rowid_alias: false,
        real: false,
    };

    #[test]
    fn records_decode_exactly_or_not_at_all() {
        // header 4: types 1 (i8), 15 (1-byte text), 0 (NULL)
        let rec = [4u8, 1, 15, 0, 42, b'x'];
        let mut out = Vec::new();
        assert!(decode(&rec, 7, &[PLAIN; 3], &mut out).is_some());
        assert_eq!(
            out,
            vec![Field::Integer(42), Field::Text(5, 6), Field::Null]
        );
        // fewer or more columns than the record holds
        assert!(decode(&rec, 7, &[PLAIN; 2], &mut out).is_none());
        assert!(decode(&rec, 7, &[PLAIN; 4], &mut out).is_none());
        // a trailing byte, a short body
        let mut longer = rec.to_vec();
        longer.push(0);
        assert!(decode(&longer, 7, &[PLAIN; 3], &mut out).is_none());
        assert!(decode(&rec[..5], 7, &[PLAIN; 3], &mut out).is_none());
        // the rowid alias reads NULL as the rowid and refuses anything else
        let alias = ColumnRead {
            rowid_alias: true,
            real: false,
        };
        assert!(decode(&rec, 7, &[PLAIN, PLAIN, alias], &mut out).is_some());
        assert_eq!(out[2], Field::Integer(7));
        assert!(decode(&rec, 7, &[alias, PLAIN, PLAIN], &mut out).is_none());
        // REAL affinity turns a stored integer into a real
        let real = ColumnRead {
            rowid_alias: false,
            real: true,
        };
        assert!(decode(&rec, 7, &[real, PLAIN, PLAIN], &mut out).is_some());
        assert_eq!(out[0], Field::Real(42.0));
        // a stored NaN reads as NULL; the reserved types 10 and 11 refuse
        let mut nan = vec![2u8, 7];
        nan.extend_from_slice(&f64::NAN.to_be_bytes());
        assert!(decode(&nan, 1, &[PLAIN], &mut out).is_some());
        assert_eq!(out, vec![Field::Null]);
        assert!(decode(&[2, 10], 1, &[PLAIN], &mut out).is_none());
    }
}
