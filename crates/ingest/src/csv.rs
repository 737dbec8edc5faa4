//! CSV reader (RFC 4180) with a header row of member names, in any order.
//!
//! Invariants: rows are streamed through a [`HashingReader`]; an empty field is `null`; the
//! `seq` column is read as an integer, `changes` and `metadata` as JSON, every other column as
//! a string (AEF/1 section 8). Each row becomes a record at [`Location::Row`] (1-based data
//! row); a row that cannot be decoded (wrong field count, bad UTF-8, bad JSON) is
//! [`RawData::Unreadable`] with a message naming the row and its line, and reading goes on. A
//! header that is not a usable list of member names is [`IngestError::Malformed`].

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::hashing::{open_input, open_input_at, HashingReader, ReadMode};
use crate::resume::Mark;
use crate::row::{Cell, ColumnKind, RowBuffers, Table};
use crate::{Digested, IngestError, Location, RawData, RawRecord, RecordSource};

/// Streaming CSV source.
pub struct CsvSource {
    path: PathBuf,
    reader: csv::Reader<HashingReader<File>>,
    table: Table,
    total: Option<u64>,
    /// Where in the file the CSV parser started (0, or a [`Mark`]'s offset past the header).
    base: u64,
    /// Lines before the parser's first line (its line 1 is the file's line `line_shift + 1`).
    line_shift: u64,
    row: u64,
    record: csv::ByteRecord,
    /// The field ranges of the record just read.
    fields: Vec<Option<(usize, usize)>>,
    /// Writes the rows' JSON text in canonical form.
    bufs: RowBuffers,
    done: bool,
}

fn kind_of(name: &str) -> ColumnKind {
    match name {
        "seq" => ColumnKind::Integer,
        _ => ColumnKind::by_name(name),
    }
}

impl CsvSource {
    pub fn open(path: &Path) -> Result<Self, IngestError> {
        Self::open_mode(path, ReadMode::Verify)
    }

    /// A reader that starts at `mark` (taken by [`RecordSource::mark`] on this file) and reads
    /// on as the marking reader did: the header is read again from the start of the file, then
    /// rows from the mark. It does not hash ([`ReadMode::LookUp`]).
    pub fn open_at(path: &Path, mark: Mark) -> Result<Self, IngestError> {
        let mut src = Self::open_mode(path, ReadMode::LookUp)?;
        src.reader = parser(false, open_input_at(path, mark.offset)?.0);
        src.base = mark.offset;
        src.line_shift = mark.line;
        src.row = mark.row;
        Ok(src)
    }

    pub fn open_mode(path: &Path, mode: ReadMode) -> Result<Self, IngestError> {
        let (r, total) = open_input(path, mode)?;
        let mut reader = parser(true, r);
        let headers = reader
            .byte_headers()
            .map_err(|e| csv_error(path, e))?
            .clone();
        if headers.is_empty() {
            return Err(IngestError::malformed(
                path,
                Location::Line(1),
                "the CSV file is empty",
            ));
        }
        let mut columns = Vec::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            let h = if i == 0 {
                h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
            } else {
                h
            };
            let name = std::str::from_utf8(h).map_err(|_| {
                IngestError::malformed(
                    path,
                    Location::Line(1),
                    format!("header field {} is not valid UTF-8", i + 1),
                )
            })?;
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(IngestError::malformed(
                    path,
                    Location::Line(1),
                    format!(
                        "header field {} is empty; the first row must name the members",
                        i + 1
                    ),
                ));
            }
            if columns.iter().any(|(n, _)| *n == name) {
                return Err(IngestError::malformed(
                    path,
                    Location::Line(1),
                    format!("header names column {name:?} twice"),
                ));
            }
            let kind = kind_of(&name);
            columns.push((name, kind));
        }
        Ok(CsvSource {
            path: path.to_path_buf(),
            reader,
            table: Table::new(columns),
            total,
            base: 0,
            line_shift: 0,
            row: 0,
            record: csv::ByteRecord::new(),
            fields: Vec::new(),
            bufs: RowBuffers::default(),
            done: false,
        })
    }

    /// The record just read as a row over its own text (see [`Table::text_row`]), the `\r`
    /// before its line end stripped from the last field; `None` for a blank line, text that is
    /// not UTF-8 or anything else the cells path judges.
    fn text_row(&mut self) -> Option<RawData> {
        let text = std::str::from_utf8(self.record.as_slice()).ok()?;
        let n = self.record.len();
        self.fields.clear();
        for i in 0..n {
            let r = self.record.range(i)?;
            // The record's fields are concatenated without their separators: two fields that
            // are not UTF-8 alone (`a\xef`, `\xbf\xbd`) can make valid text together, so a
            // field need not start or end on a character boundary of `text`. Such a field
            // leaves the row to the cells path, which judges each field alone.
            let field = text.get(r.clone())?;
            let end = if i + 1 == n && field.ends_with('\r') {
                r.end - 1
            } else {
                r.end
            };
            // An empty field is NULL.
            self.fields.push((r.start < end).then_some((r.start, end)));
        }
        // A line holding nothing at all is not a row.
        if n == 1 && self.fields[0].is_none() {
            return None;
        }
        self.table.text_row(text, &self.fields, &mut self.bufs)
    }

    /// Member names from the header row, in file order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.table.columns().iter().map(|(n, _)| n.as_str())
    }
}

/// The CSV parser over `r`: flexible field counts, records ending at `\n` only, so the reported
/// line numbers count every line (a `\r` before it is stripped from the last field).
fn parser(has_headers: bool, r: HashingReader<File>) -> csv::Reader<HashingReader<File>> {
    csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(r)
}

fn csv_error(path: &Path, e: csv::Error) -> IngestError {
    let location = e
        .position()
        .map_or(Location::Byte(0), |p| Location::Line(p.line()));
    match e.into_kind() {
        csv::ErrorKind::Io(source) => IngestError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => IngestError::malformed(path, location, format!("{other:?}")),
    }
}

impl RecordSource for CsvSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
        self.table.renew_shape();
        let mut added = 0;
        while added < max.max(1) {
            if self.done {
                return Ok(added > 0);
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return Ok(added > 0);
                }
                Ok(true) => {
                    let line =
                        self.line_shift + self.record.position().map(|p| p.line()).unwrap_or(0);
                    let nfields = self.record.len();
                    // The common row: its fields as ranges of the record's one buffer.
                    if let Some(data) = self.text_row() {
                        self.row += 1;
                        out.push(RawRecord {
                            loc: Location::Row(self.row),
                            data,
                        });
                        added += 1;
                        continue;
                    }
                    let field = |i: usize, f: &'_ [u8]| -> Vec<u8> {
                        if i + 1 == nfields {
                            f.strip_suffix(b"\r").unwrap_or(f).to_vec()
                        } else {
                            f.to_vec()
                        }
                    };
                    let fields: Vec<Vec<u8>> = self
                        .record
                        .iter()
                        .enumerate()
                        .map(|(i, f)| field(i, f))
                        .collect();
                    // A line holding nothing at all is not a row.
                    if fields.len() == 1 && fields[0].is_empty() {
                        continue;
                    }
                    self.row += 1;
                    let row = self.row;
                    let place = || format!("row {row} (line {line})");
                    let mut cells = Vec::with_capacity(fields.len());
                    let mut bad = None;
                    for (i, field) in fields.into_iter().enumerate() {
                        if field.is_empty() {
                            cells.push(Cell::Null);
                            continue;
                        }
                        match String::from_utf8(field) {
                            Ok(s) => cells.push(Cell::Text(s)),
                            Err(_) => {
                                let name = self
                                    .table
                                    .columns()
                                    .get(i)
                                    .map(|c| c.0.as_str())
                                    .unwrap_or("(extra)");
                                bad =
                                    Some(format!("{}: column {name} is not valid UTF-8", place()));
                                break;
                            }
                        }
                    }
                    let data = match bad {
                        Some(m) => RawData::Unreadable(m),
                        None => self.table.record(cells, &mut self.bufs, place),
                    };
                    out.push(RawRecord {
                        loc: Location::Row(self.row),
                        data,
                    });
                    added += 1;
                }
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(csv_error(&self.path, e));
                    }
                    // A row the CSV parser refused: report it and go on.
                    self.row += 1;
                    let line = self.line_shift + e.position().map(|p| p.line()).unwrap_or(0);
                    out.push(RawRecord {
                        loc: Location::Row(self.row),
                        data: RawData::Unreadable(format!("row {} (line {line}): {e}", self.row)),
                    });
                    added += 1;
                }
            }
        }
        Ok(true)
    }

    fn bytes_read(&self) -> u64 {
        self.reader.get_ref().count()
    }

    fn mark(&self) -> Option<Mark> {
        // The parser's position is where its next record starts, on its line `p.line()`.
        let p = self.reader.position();
        Some(Mark {
            offset: self.base + p.byte(),
            line: self.line_shift + p.line() - 1,
            row: self.row,
        })
    }

    fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    fn digest(&mut self) -> Result<Digested, IngestError> {
        let path = self.path.clone();
        self.reader
            .get_mut()
            .finish()
            .map_err(|source| IngestError::Io { path, source })
    }
}
