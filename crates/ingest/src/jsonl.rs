//! JSON Lines reader: one record object per line.
//!
//! Invariants: the file is streamed line by line (memory is bounded by the longest line), every
//! byte goes through a [`HashingReader`]; lines are handed to the core as raw JSON bytes
//! ([`RawData::Json`]) with [`Location::Line`], so the core parses them in parallel and reports a
//! bad line without stopping. Blank lines are skipped, a trailing `\r` is stripped, and a UTF-8
//! byte-order mark at the very start of the file is ignored. A file whose first non-blank line
//! does not start with `{` is not JSON Lines at all: [`IngestError::Malformed`].

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::hashing::{buffer_size, open_input, open_input_at, HashingReader, ReadMode};
use crate::resume::Mark;
use crate::{Digested, IngestError, Location, RawData, RawRecord, RecordSource};

/// Longest line accepted (a record larger than this is not plausible evidence).
pub const MAX_LINE: usize = 256 * 1024 * 1024;

/// Streaming JSON Lines source.
pub struct JsonlSource {
    path: PathBuf,
    reader: BufReader<HashingReader<File>>,
    total: Option<u64>,
    /// Where in the file the reader started (0, or a [`Mark`]'s offset).
    base: u64,
    line_no: u64,
    seen_record: bool,
    done: bool,
    buf: Vec<u8>,
}

impl JsonlSource {
    pub fn open(path: &Path) -> Result<Self, IngestError> {
        Self::open_mode(path, ReadMode::Verify)
    }

    pub fn open_mode(path: &Path, mode: ReadMode) -> Result<Self, IngestError> {
        Ok(Self::over(path, open_input(path, mode)?))
    }

    /// A reader that starts at `mark` (taken by [`RecordSource::mark`] on this file) and reads
    /// on as the marking reader did; it does not hash ([`ReadMode::LookUp`]).
    pub fn open_at(path: &Path, mark: Mark) -> Result<Self, IngestError> {
        let mut src = Self::over(path, open_input_at(path, mark.offset)?);
        src.base = mark.offset;
        src.line_no = mark.line;
        // A mark is taken only after a batch, so past the first record.
        src.seen_record = mark.line > 0;
        Ok(src)
    }

    /// A reader over an opened input, at its first byte.
    fn over(path: &Path, (r, total): (HashingReader<File>, Option<u64>)) -> Self {
        JsonlSource {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(buffer_size(total), r),
            total,
            base: 0,
            line_no: 0,
            seen_record: false,
            done: false,
            buf: Vec::new(),
        }
    }

    fn io(&self, source: std::io::Error) -> IngestError {
        IngestError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// Reads one line (without its `\n`) into `buf`; `Ok(false)` at end of input. Lines longer than
/// `max` are an error.
pub(crate) fn read_line<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<bool> {
    buf.clear();
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(!buf.is_empty());
        }
        let (used, found) = match memchr::memchr(b'\n', chunk) {
            Some(i) => {
                buf.extend_from_slice(&chunk[..i]);
                (i + 1, true)
            }
            None => {
                buf.extend_from_slice(chunk);
                (chunk.len(), false)
            }
        };
        r.consume(used);
        if found {
            return Ok(true);
        }
        if buf.len() > max {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a line is longer than {max} bytes"),
            ));
        }
    }
}

/// The record of line `line_no` (its bytes without the `\n`): `None` for a blank line. The
/// first non-blank line must open an object (`seen_record` says whether one was met).
fn line_record(
    mut line: &[u8],
    line_no: u64,
    seen_record: &mut bool,
    path: &Path,
) -> Result<Option<RawRecord>, IngestError> {
    if line_no == 1 {
        line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    }
    if let Some(l) = line.strip_suffix(b"\r") {
        line = l;
    }
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if !*seen_record && trimmed[0] != b'{' {
        return Err(IngestError::malformed(
            path,
            Location::Line(line_no),
            "not JSON Lines: the first non-blank line does not start with '{'",
        ));
    }
    *seen_record = true;
    let loc = Location::Line(line_no);
    let data = match std::str::from_utf8(line) {
        Ok(_) => RawData::Json(line.to_vec()),
        Err(e) => RawData::Unreadable(format!(
            "line {line_no}: not valid UTF-8 (byte {} of the line)",
            e.valid_up_to() + 1
        )),
    };
    Ok(Some(RawRecord { loc, data }))
}

impl RecordSource for JsonlSource {
    fn next_batch(&mut self, out: &mut Vec<RawRecord>, max: usize) -> Result<bool, IngestError> {
        let mut added = 0;
        while added < max.max(1) {
            if self.done {
                return Ok(added > 0);
            }
            // The common line lies whole in the reader's buffer: its record is copied from
            // there, once. A line across the buffer's end, the last line and an overlong one
            // go through `read_line`.
            let path = &self.path;
            let chunk = self.reader.fill_buf().map_err(|source| IngestError::Io {
                path: path.clone(),
                source,
            })?;
            let record = match memchr::memchr(b'\n', chunk) {
                Some(end) => {
                    self.line_no += 1;
                    let record =
                        line_record(&chunk[..end], self.line_no, &mut self.seen_record, path);
                    self.reader.consume(end + 1);
                    record?
                }
                None => {
                    let mut buf = std::mem::take(&mut self.buf);
                    let more = read_line(&mut self.reader, &mut buf, MAX_LINE).map_err(|e| {
                        let line = self.line_no + 1;
                        if e.kind() == std::io::ErrorKind::InvalidData {
                            IngestError::malformed(&self.path, Location::Line(line), e.to_string())
                        } else {
                            self.io(e)
                        }
                    })?;
                    if !more {
                        self.done = true;
                        self.buf = buf;
                        return Ok(added > 0);
                    }
                    self.line_no += 1;
                    let record = line_record(&buf, self.line_no, &mut self.seen_record, &self.path);
                    self.buf = buf;
                    record?
                }
            };
            if let Some(r) = record {
                out.push(r);
                added += 1;
            }
        }
        Ok(true)
    }

    fn bytes_read(&self) -> u64 {
        self.reader.get_ref().count()
    }

    fn mark(&self) -> Option<Mark> {
        // What was read from the file but not yet consumed is still in the buffer.
        let consumed = self.reader.get_ref().count() - self.reader.buffer().len() as u64;
        Some(Mark {
            offset: self.base + consumed,
            line: self.line_no,
            row: 0,
        })
    }

    fn total_bytes(&self) -> Option<u64> {
        self.total
    }

    fn digest(&mut self) -> Result<Digested, IngestError> {
        self.reader.get_mut().finish().map_err(|e| self.io(e))
    }
}
