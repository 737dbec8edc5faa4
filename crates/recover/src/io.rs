//! Reading the evidence files by offset, one buffer at a time.
//!
//! Invariants: the files are only read (the readers are `Read + Seek`; nothing here can write),
//! and only into buffers the caller sized (one page, one header) and one read-ahead window of
//! at most [`MAX_WINDOW`] bytes: memory does not grow with the file. A read past the end of a
//! file returns fewer bytes and zero-fills the rest, as SQLite treats a short database file;
//! every I/O error carries the file and the offset.
//!
//! Reads that follow each other (a b-tree walk reads its pages mostly in file order) are served
//! from a window that doubles with each such read up to [`MAX_WINDOW`]: a large database's
//! pages cost one system call per window instead of one each. A read elsewhere drops the window
//! back to the bytes asked for, so reads in any order read no more than they did.

use std::io::{ErrorKind, Read, Seek, SeekFrom};

use crate::error::{EvidenceFile, RecoverError};

/// The largest read-ahead window.
pub(crate) const MAX_WINDOW: usize = 256 << 10;

/// Anything the evidence can be read from: a `File`, a `Cursor<&[u8]>`, ...
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// One evidence file and its length.
pub(crate) struct EvidenceReader<'a> {
    inner: &'a mut dyn ReadSeek,
    pub len: u64,
    pub file: EvidenceFile,
    /// Where the reader stands, when known: a read that starts there needs no seek.
    at: Option<u64>,
    /// The bytes of the file from `window_from` read ahead.
    window: Vec<u8>,
    window_from: u64,
    /// Where the last read served ended, and the window the next read in order takes.
    last_end: Option<u64>,
    ahead: usize,
}

impl<'a> EvidenceReader<'a> {
    pub fn new(inner: &'a mut dyn ReadSeek, file: EvidenceFile) -> Result<Self, RecoverError> {
        let len = inner
            .seek(SeekFrom::End(0))
            .map_err(|source| RecoverError::Io {
                file,
                offset: 0,
                source,
            })?;
        Ok(EvidenceReader {
            inner,
            len,
            file,
            at: None,
            window: Vec::new(),
            window_from: 0,
            last_end: None,
            ahead: 0,
        })
    }

    /// Fills `buf` from `offset`: the number of bytes the file had there (the rest is zeroed).
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, RecoverError> {
        let available = self.len.saturating_sub(offset).min(buf.len() as u64) as usize;
        let in_window = offset
            .checked_sub(self.window_from)
            .and_then(|from| usize::try_from(from).ok())
            .filter(|&from| from + available <= self.window.len());
        let filled = match in_window {
            Some(from) => {
                buf[..available].copy_from_slice(&self.window[from..from + available]);
                available
            }
            None => {
                self.ahead = if self.last_end == Some(offset) {
                    (self.ahead.max(buf.len()) * 2).min(MAX_WINDOW)
                } else {
                    0
                };
                let ahead = self.len.saturating_sub(offset).min(self.ahead as u64) as usize;
                if ahead > available {
                    let mut window = std::mem::take(&mut self.window);
                    window.resize(ahead, 0);
                    let got = self.fill(offset, &mut window);
                    window.truncate(*got.as_ref().unwrap_or(&0));
                    self.window = window;
                    self.window_from = offset;
                    got?;
                    let n = available.min(self.window.len());
                    buf[..n].copy_from_slice(&self.window[..n]);
                    n
                } else {
                    self.fill(offset, &mut buf[..available])?
                }
            }
        };
        self.last_end = Some(offset + filled as u64);
        buf[filled..].fill(0);
        Ok(filled)
    }

    /// Reads from `offset` into `buf` until it is full or the file ends: the bytes read.
    fn fill(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, RecoverError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.at != Some(offset) {
            self.inner
                .seek(SeekFrom::Start(offset))
                .map_err(|source| RecoverError::Io {
                    file: self.file,
                    offset,
                    source,
                })?;
        }
        self.at = None;
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(RecoverError::Io {
                        file: self.file,
                        offset: offset + filled as u64,
                        source: e,
                    })
                }
            }
        }
        self.at = Some(offset + filled as u64);
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_past_the_end_are_short_and_zero_filled() {
        let mut c = Cursor::new(vec![1u8, 2, 3, 4]);
        let mut r = EvidenceReader::new(&mut c, EvidenceFile::Main).unwrap();
        assert_eq!(r.len, 4);
        let mut buf = [9u8; 4];
        assert_eq!(r.read_at(2, &mut buf).unwrap(), 2);
        assert_eq!(buf, [3, 4, 0, 0]);
        assert_eq!(r.read_at(100, &mut buf).unwrap(), 0);
        assert_eq!(buf, [0; 4]);
    }

    /// Reads in file order skip the seek; any other read seeks.
    #[test]
    fn reads_in_order_and_out_of_order_give_the_bytes_asked_for() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut c = Cursor::new(bytes);
        let mut r = EvidenceReader::new(&mut c, EvidenceFile::Main).unwrap();
        let mut buf = [0u8; 4];
        for (offset, first) in [
            (0, 0u8),
            (4, 4),
            (8, 8),
            (2, 2),
            (6, 6),
            (200, 200),
            (204, 204),
        ] {
            r.read_at(offset, &mut buf).unwrap();
            assert_eq!(buf, [first, first + 1, first + 2, first + 3], "at {offset}");
        }
        assert_eq!(r.read_at(254, &mut buf).unwrap(), 2);
        assert_eq!(buf, [254, 255, 0, 0]);
        r.read_at(0, &mut buf).unwrap();
        assert_eq!(buf, [0, 1, 2, 3]);
    }

    /// Counts the reads that reach the file.
    struct Counted<R> {
        inner: R,
        reads: usize,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.reads += 1;
            self.inner.read(buf)
        }
    }

    impl<R: Seek> Seek for Counted<R> {
        fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    /// Pages read in file order come through a window (a few reads for a whole file); reads in
    /// any other order, across the window's edge or past the end, give the same bytes as the
    /// file has there.
    #[test]
    fn pages_in_order_come_through_the_window_and_every_read_gives_the_file_s_bytes() {
        let bytes: Vec<u8> = (0..(1 << 20) + 1000)
            .map(|i: u32| (i % 251) as u8)
            .collect();
        let mut c = Counted {
            inner: Cursor::new(bytes.clone()),
            reads: 0,
        };
        let mut r = EvidenceReader::new(&mut c, EvidenceFile::Main).unwrap();
        let mut page = vec![0u8; 4096];
        for p in 0..256u64 {
            assert_eq!(r.read_at(p * 4096, &mut page).unwrap(), 4096);
            assert!(page[..] == bytes[p as usize * 4096..][..4096], "page {p}");
        }
        let expect = |offset: u64, len: usize| -> Vec<u8> {
            let mut v: Vec<u8> = bytes
                .iter()
                .copied()
                .skip(offset as usize)
                .take(len)
                .collect();
            v.resize(len, 0);
            v
        };
        // Out of order, inside and across windows, short reads at the end, page after page to
        // the end, then past it.
        let offsets = [
            17u64,
            500_000,
            4096,
            4096 * 3 + 5,
            1 << 20,
            (1 << 20) + 900,
            1_000_000,
            7,
        ];
        for &o in offsets
            .iter()
            .chain(&[(1 << 20) - 4096, 1 << 20, (1 << 20) + 4096])
        {
            let n = r.read_at(o, &mut page).unwrap();
            assert_eq!(
                n,
                (bytes.len() as u64).saturating_sub(o).min(4096) as usize,
                "at {o}"
            );
            assert!(page == expect(o, 4096), "at {o}");
        }
        drop(r);
        assert!(c.reads < 40, "{} reads", c.reads);
    }
}
