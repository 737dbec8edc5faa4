//! Reading the evidence files by offset, one buffer at a time.
//!
//! Invariants: the files are only read (the readers are `Read + Seek`; nothing here can write),
//! and only into buffers the caller sized (one page, one header): memory does not grow with
//! the file. A read past the end of a file returns fewer bytes and zero-fills the rest, as
//! SQLite treats a short database file; every I/O error carries the file and the offset.

use std::io::{ErrorKind, Read, Seek, SeekFrom};

use crate::error::{EvidenceFile, RecoverError};

/// Anything the evidence can be read from: a `File`, a `Cursor<&[u8]>`, ...
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// One evidence file and its length.
pub(crate) struct EvidenceReader<'a> {
    inner: &'a mut dyn ReadSeek,
    pub len: u64,
    pub file: EvidenceFile,
    /// Where the reader stands, when known: a read that starts there needs no seek (a b-tree
    /// walk reads its pages mostly in file order).
    at: Option<u64>,
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
        })
    }

    /// Fills `buf` from `offset`: the number of bytes the file had there (the rest is zeroed).
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, RecoverError> {
        let io = |source| RecoverError::Io {
            file: self.file,
            offset,
            source,
        };
        let available = self.len.saturating_sub(offset).min(buf.len() as u64) as usize;
        if available > 0 && self.at != Some(offset) {
            self.inner.seek(SeekFrom::Start(offset)).map_err(io)?;
        }
        self.at = None;
        let mut filled = 0;
        while filled < available {
            match self.inner.read(&mut buf[filled..available]) {
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
        if available > 0 {
            self.at = Some(offset + filled as u64);
        }
        buf[filled..].fill(0);
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
}
