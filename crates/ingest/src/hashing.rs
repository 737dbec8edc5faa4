//! Hashing of evidence bytes while they are read.
//!
//! [`HashingReader`] wraps any [`Read`] and feeds every byte that passes through it into a
//! SHA-256 hasher, counting them. Readers parse from it, so the digest reported for an input
//! covers exactly the bytes parsed. Invariant: [`HashingReader::finish`] first drains whatever
//! the parser left unread, so the digest always covers the whole input, even when parsing
//! stopped early.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::{Digested, IngestError};

/// A [`Read`] adapter that hashes and counts the bytes read through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Bytes read through this reader so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Reads (and hashes) whatever is left of the input, then returns the digest of every byte.
    /// The reader stays usable: a second call returns the same digest.
    pub fn finish(&mut self) -> io::Result<Digested> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Digested {
            size: self.count,
            sha256: trailproof_core::record::hex(&self.hasher.clone().finalize().into()),
        })
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Opens `path` for hashed reading; also returns the file size when the metadata gives it.
pub fn open_hashed(path: &Path) -> Result<(HashingReader<File>, Option<u64>), IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((HashingReader::new(file), size))
}

/// SHA-256 and size of a whole file, read in a streaming fashion.
pub fn digest_file(path: &Path) -> Result<Digested, IngestError> {
    let (mut r, _) = open_hashed(path)?;
    r.finish().map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })
}
