//! The members log: the dimension members of every copy the collector takes, written once in
//! arrival order and read back by their [`Place`].
//!
//! The collector orders its copies twice (by tenant and seq to join them, then by time); with
//! the log, both sorts carry a place of a few bytes instead of thirteen strings, and the strings
//! are written once and read once.
//!
//! Invariants:
//! * memory stays flat: the log is held in memory up to its budget, then moves to an anonymous
//!   temporary file ([`tempfile::tempfile_in`], the collector's spill directory; unlinked at
//!   once), and reading back holds one window of at most [`WINDOW`] bytes, or one entry if it is
//!   longer;
//! * a log that never passed its budget touches no file;
//! * a read returns exactly the bytes appended at that place; a place beyond the log is an I/O
//!   error (`UnexpectedEof`), never fewer bytes.
//!
//! Reads in arrival order (the common case: evidence is written in time order) are served from
//! a window that grows to [`WINDOW`] bytes; a read elsewhere reads a small window at its place,
//! so reads in any order stay cheap.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Dimension;
use crate::record::Digest;

/// A record's dimensions, as the log holds them (postcard), by [`Dimension::index`].
pub(crate) type Fields = [Option<String>; Dimension::COUNT];

/// The largest window read back at once.
/// What the log holds of one copy: its dimensions, then its `prev_hash` (read back only where
/// copies of a record differ, [`LogReader::prev_hash`]).
#[derive(Serialize)]
pub(crate) struct Logged<'a, S> {
    pub(crate) fields: &'a [Option<S>; Dimension::COUNT],
    #[serde(with = "crate::spill::opt_digest")]
    pub(crate) prev: Option<Digest>,
}

pub(crate) const WINDOW: usize = 256 << 10;

/// The smallest window, for a read away from the last one.
const SMALL: usize = 4 << 10;

/// Where an entry of the log lies.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Place {
    at: u64,
    len: u32,
}

/// Appends entries (see the module docs).
pub(crate) struct LogWriter {
    dir: PathBuf,
    budget: usize,
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    len: u64,
}

impl LogWriter {
    /// A log held in memory up to `budget` bytes, then in a temporary file in `dir`.
    pub(crate) fn new(dir: &Path, budget: usize) -> LogWriter {
        LogWriter {
            dir: dir.to_path_buf(),
            budget: budget.max(1),
            mem: Vec::new(),
            file: None,
            len: 0,
        }
    }

    #[cfg(test)]
    /// Whether the log moved to a file.
    pub(crate) fn on_disk(&self) -> bool {
        self.file.is_some()
    }

    /// Appends `bytes`; returns their place.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> io::Result<Place> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "entry over 4 GiB"))?;
        let place = Place { at: self.len, len };
        match &mut self.file {
            Some(w) => w.write_all(bytes)?,
            None if self.mem.len() + bytes.len() <= self.budget => {
                self.mem.extend_from_slice(bytes)
            }
            None => {
                let mut w = BufWriter::with_capacity(1 << 16, tempfile::tempfile_in(&self.dir)?);
                w.write_all(&self.mem)?;
                w.write_all(bytes)?;
                self.mem = Vec::new();
                self.file = Some(w);
            }
        }
        self.len += u64::from(len);
        Ok(place)
    }

    /// The log, to read back.
    pub(crate) fn finish(self) -> io::Result<LogReader> {
        Ok(match self.file {
            None => LogReader::Memory(self.mem),
            Some(w) => LogReader::File {
                file: w.into_inner().map_err(|e| e.into_error())?,
                window: Vec::new(),
                at: 0,
                refills: 0,
            },
        })
    }
}

/// Reads entries back by place (see the module docs).
pub(crate) enum LogReader {
    Memory(Vec<u8>),
    File {
        file: File,
        /// The bytes of the log from `at` on.
        window: Vec<u8>,
        at: u64,
        /// Windows read so far.
        refills: u64,
    },
}

fn damaged(e: postcard::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// The dimensions at the start of an entry, as postcard wrote them ([`Logged`]): per
/// dimension an option's tag (0 or 1), then a string's length (a LEB128 varint) and its bytes.
/// Read here rather than by postcard's `Deserialize` so that an entry's strings are checked as
/// UTF-8 in one pass: with every length under 128, the tags and lengths between them are ASCII,
/// so the whole stretch is UTF-8 exactly when each string is, and each string lies on character
/// boundaries of it (a string checked alone cost a call each: thirteen per event, a fifth of
/// the thread that fills a timeline's events). `None` where postcard would refuse the bytes
/// too: a tag other than 0 or 1, a length past the entry or not UTF-8.
fn borrowed_fields(bytes: &[u8]) -> Option<[Option<&str>; Dimension::COUNT]> {
    let mut spans = [None; Dimension::COUNT];
    let (mut i, mut short_lengths) = (0usize, true);
    for span in &mut spans {
        let tag = *bytes.get(i)?;
        i += 1;
        match tag {
            0 => {}
            1 => {
                let (len, used) = varint(bytes.get(i..)?)?;
                short_lengths &= used == 1;
                i += used;
                let end = i.checked_add(usize::try_from(len).ok()?)?;
                bytes.get(i..end)?;
                *span = Some((i, end));
                i = end;
            }
            _ => return None,
        }
    }
    let whole = match short_lengths {
        true => Some(std::str::from_utf8(&bytes[..i]).ok()?),
        false => None,
    };
    let mut fields = [None; Dimension::COUNT];
    for (f, span) in fields.iter_mut().zip(spans) {
        if let Some((a, b)) = span {
            *f = Some(match whole {
                Some(text) => text.get(a..b)?,
                None => std::str::from_utf8(&bytes[a..b]).ok()?,
            });
        }
    }
    Some(fields)
}

/// A LEB128 varint of at most ten bytes, as postcard writes a length: its value and the bytes
/// it took.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (k, &b) in bytes.iter().take(10).enumerate() {
        value |= u64::from(b & 0x7f).checked_shl(7 * k as u32)?;
        if b & 0x80 == 0 {
            return Some((value, k + 1));
        }
    }
    None
}

fn beyond() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "a place beyond the members log",
    )
}

impl LogReader {
    /// The dimensions appended at `p` (the bytes of a [`Fields`]).
    pub(crate) fn fields(&mut self, p: Place) -> io::Result<Fields> {
        Ok(self.borrowed(p)?.map(|v| v.map(str::to_owned)))
    }

    /// The dimensions appended at `p`, borrowed from the log's bytes.
    pub(crate) fn borrowed(&mut self, p: Place) -> io::Result<[Option<&str>; Dimension::COUNT]> {
        borrowed_fields(self.read(p)?).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "a damaged members log entry")
        })
    }

    /// The `prev_hash` logged after the dimensions at `p` ([`Logged`]).
    pub(crate) fn prev_hash(&mut self, p: Place) -> io::Result<Option<Digest>> {
        #[derive(Deserialize)]
        struct Prev(#[serde(with = "crate::spill::opt_digest")] Option<Digest>);
        let bytes = self.read(p)?;
        let (_, rest) = postcard::take_from_bytes::<[Option<&str>; Dimension::COUNT]>(bytes)
            .map_err(damaged)?;
        let (Prev(prev), _) = postcard::take_from_bytes(rest).map_err(damaged)?;
        Ok(prev)
    }

    /// The bytes appended at `p`.
    pub(crate) fn read(&mut self, p: Place) -> io::Result<&[u8]> {
        let len = p.len as usize;
        match self {
            LogReader::Memory(m) => usize::try_from(p.at)
                .ok()
                .and_then(|at| m.get(at..at.checked_add(len)?))
                .ok_or_else(beyond),
            LogReader::File {
                file,
                window,
                at,
                refills,
            } => {
                let end = *at + window.len() as u64;
                let inside = p.at >= *at && p.at.saturating_add(u64::from(p.len)) <= end;
                if !inside {
                    // Reading on past the window's start, up to a window past its end, is the
                    // arrival order (an entry across the window's end included: taken for a
                    // read elsewhere, it kept the log in small windows from then on): read
                    // ahead; anything else reads a small window at the place.
                    let ahead = p.at >= *at && p.at.saturating_sub(end) < WINDOW as u64;
                    let size = if ahead { WINDOW } else { SMALL }.max(len);
                    // The whole window in as few reads as the system gives it (`read_to_end`
                    // read it 4 KiB at a time, after probes of 32 bytes: 41k calls for the log
                    // of a 1M timeline).
                    window.resize(size, 0);
                    file.seek(SeekFrom::Start(p.at))?;
                    let mut filled = 0;
                    while filled < size {
                        match file.read(&mut window[filled..]) {
                            Ok(0) => break,
                            Ok(n) => filled += n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                    window.truncate(filled);
                    *at = p.at;
                    *refills += 1;
                    if window.len() < len {
                        return Err(beyond());
                    }
                }
                let from = (p.at - *at) as usize;
                Ok(&window[from..from + len])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries as the collector writes them, read by postcard and by `borrowed_fields`: the same
    /// dimensions, lengths of one byte and of two, characters of every width at the edges.
    #[test]
    fn an_entry_s_dimensions_read_as_postcard_reads_them() {
        let long = "é".repeat(70);
        let strings = [
            "",
            "a",
            "u-1000",
            "Zoë Müller (zmuller)",
            "€",
            "😀x",
            "x😀",
            &long,
            "\u{7f}",
        ];
        let mut cases: Vec<[Option<&str>; Dimension::COUNT]> = vec![[None; Dimension::COUNT]];
        for (k, s) in strings.iter().enumerate() {
            let mut f = [None; Dimension::COUNT];
            for (d, slot) in f.iter_mut().enumerate() {
                if (d + k) % 3 != 0 {
                    *slot = Some(strings[(d * 5 + k) % strings.len()]);
                }
            }
            f[k % Dimension::COUNT] = Some(s);
            cases.push(f);
        }
        for (n, fields) in cases.iter().enumerate() {
            let prev = (n % 2 == 0).then_some([n as u8; 32]);
            let bytes = postcard::to_stdvec(&Logged { fields, prev }).unwrap();
            let (by_postcard, rest): ([Option<&str>; Dimension::COUNT], &[u8]) =
                postcard::take_from_bytes(&bytes).unwrap();
            assert_eq!(borrowed_fields(&bytes), Some(by_postcard), "case {n}");
            assert_eq!(borrowed_fields(&bytes), Some(*fields), "case {n}");
            // Cut anywhere inside the dimensions: refused, as postcard refuses it.
            let dims = bytes.len() - rest.len();
            for cut in 0..dims {
                assert_eq!(
                    borrowed_fields(&bytes[..cut]),
                    None,
                    "case {n} cut at {cut}"
                );
            }
        }
    }

    /// A tag that is no option's, a string that is not UTF-8 (with short lengths and with a
    /// long one) and a length past the entry are refused, never read.
    #[test]
    fn a_damaged_entry_is_refused() {
        let mut f: [Option<&str>; Dimension::COUNT] = [Some("ab"); Dimension::COUNT];
        let bytes = postcard::to_stdvec(&Logged {
            fields: &f,
            prev: None,
        })
        .unwrap();
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert_eq!(borrowed_fields(&bad), None);
        let mut bad = bytes.clone();
        bad[2] = 0xff;
        assert_eq!(borrowed_fields(&bad), None);
        let mut bad = bytes.clone();
        bad[1] = 0x7f;
        assert_eq!(borrowed_fields(&bad), None);
        let long = "a".repeat(200);
        f[3] = Some(&long);
        let mut bytes = postcard::to_stdvec(&Logged {
            fields: &f,
            prev: None,
        })
        .unwrap();
        assert!(borrowed_fields(&bytes).is_some());
        let at = bytes.len() - 10;
        bytes[at] = 0xc3;
        assert_eq!(borrowed_fields(&bytes), None);
        assert_eq!(varint(&[0x80; 11]), None);
        assert_eq!(varint(&[0xac, 0x02]), Some((300, 2)));
    }

    fn entries(n: usize) -> Vec<Vec<u8>> {
        // Entries of varied lengths, a few longer than a window.
        (0..n)
            .map(|i| {
                let len = if i % 97 == 5 { WINDOW + 3 } else { i % 300 };
                (0..len).map(|k| (i * 31 + k) as u8).collect()
            })
            .collect()
    }

    fn written(budget: usize, items: &[Vec<u8>]) -> (bool, Vec<Place>, LogReader) {
        let mut w = LogWriter::new(&std::env::temp_dir(), budget);
        let places: Vec<Place> = items.iter().map(|e| w.append(e).unwrap()).collect();
        let disk = w.on_disk();
        (disk, places, w.finish().unwrap())
    }

    /// In memory and on disk, in arrival order, backwards and in a scattered order, every read
    /// gives the entry's bytes.
    #[test]
    fn every_order_reads_back_what_was_appended() {
        let items = entries(1500);
        for budget in [usize::MAX, 1000] {
            let (disk, places, mut r) = written(budget, &items);
            assert_eq!(disk, budget != usize::MAX);
            let forward: Vec<usize> = (0..items.len()).collect();
            let backward: Vec<usize> = forward.iter().rev().copied().collect();
            let scattered: Vec<usize> =
                (0..items.len()).map(|i| (i * 7919) % items.len()).collect();
            for order in [forward, backward, scattered] {
                for i in order {
                    assert_eq!(r.read(places[i]).unwrap(), &items[i][..], "entry {i}");
                }
            }
        }
    }

    /// Read back in arrival order, a log on disk is read a window at a time, entries across a
    /// window's end included (taken for reads elsewhere, they kept it in 4 KiB windows).
    #[test]
    fn arrival_order_reads_whole_windows() {
        let items: Vec<Vec<u8>> = (0..20_000).map(|i| vec![i as u8; 100 + i % 150]).collect();
        let total: usize = items.iter().map(Vec::len).sum();
        let (disk, places, mut r) = written(1000, &items);
        assert!(disk);
        for (p, item) in places.iter().zip(&items) {
            assert_eq!(r.read(*p).unwrap(), &item[..]);
        }
        let LogReader::File { refills, .. } = r else {
            panic!("on disk")
        };
        assert!(
            refills as usize <= total / WINDOW + 2,
            "{refills} windows for {total} bytes"
        );
    }

    #[test]
    fn a_place_beyond_the_log_is_an_error() {
        let items = entries(10);
        for budget in [usize::MAX, 1] {
            let (_, places, mut r) = written(budget, &items);
            let last = places[9];
            let past = Place {
                at: last.at,
                len: last.len + 1,
            };
            let err = r.read(past).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        }
    }
}
