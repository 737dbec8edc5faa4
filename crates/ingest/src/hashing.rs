//! Hashing of evidence bytes while they are read.
//!
//! [`HashingReader`] wraps any [`Read`] and feeds every byte that passes through it into a
//! SHA-256 hasher, counting them. Readers parse from it, so the digest reported for an input
//! covers exactly the bytes parsed. Invariant: [`HashingReader::finish`] first drains whatever
//! the parser left unread, so the digest always covers the whole input, even when parsing
//! stopped early.
//!
//! A SQLite database is parsed by SQLite itself, which reads its pages through its own file
//! handle, so its bytes cannot pass through a [`HashingReader`]. [`FileDigest`] hashes such a
//! file on a thread of its own while it is parsed, from the handle opened (and checked) before
//! the parser opened the file, and [`FileDigest::finish`] refuses the digest unless the file at
//! the path is still that same file, with the same size and modification and change times, once
//! parsing is over: the digest then covers the bytes the parser read.
//!
//! SHA-256 is ring's (the BoringSSL assembly, with AVX code paths): without SHA extensions it
//! hashes about 1.5 times as fast as the `sha2` crate's assembly on this project's machine.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::SystemTime;

use ring::digest::{Context, SHA256};

use crate::{Digested, IngestError, Location};

fn hex_digest(ctx: Context) -> String {
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    trailproof_core::record::hex(&out)
}

/// Why an input is read: to verify it (every byte hashed, the digest goes in the report), or to
/// look a record up again in a file already verified (the record detail), where hashing would
/// triple the time of the scan and its digest is never used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    Verify,
    LookUp,
}

/// The error of asking for the digest of an input opened with [`ReadMode::LookUp`].
pub(crate) fn not_hashed() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "the input was opened to look a record up, not to verify it: it was not hashed",
    )
}

/// A [`Read`] adapter that hashes and counts the bytes read through it (or only counts them,
/// when opened with [`ReadMode::LookUp`]).
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Context>,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_mode(inner, ReadMode::Verify)
    }

    pub fn with_mode(inner: R, mode: ReadMode) -> Self {
        HashingReader {
            inner,
            hasher: (mode == ReadMode::Verify).then(|| Context::new(&SHA256)),
            count: 0,
        }
    }

    /// Bytes read through this reader so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Reads (and hashes) whatever is left of the input, then returns the digest of every byte.
    /// The reader stays usable: a second call returns the same digest. A reader opened with
    /// [`ReadMode::LookUp`] has no digest: an error, before anything is read.
    pub fn finish(&mut self) -> io::Result<Digested> {
        if self.hasher.is_none() {
            return Err(not_hashed());
        }
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let ctx = self.hasher.clone().ok_or_else(not_hashed)?;
        Ok(Digested {
            size: self.count,
            sha256: hex_digest(ctx),
        })
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// Opens `path` for hashed reading; also returns the file size when the metadata gives it.
pub fn open_hashed(path: &Path) -> Result<(HashingReader<File>, Option<u64>), IngestError> {
    open_input(path, ReadMode::Verify)
}

/// Opens `path` for reading in `mode`; also returns the file size when the metadata gives it.
pub fn open_input(
    path: &Path,
    mode: ReadMode,
) -> Result<(HashingReader<File>, Option<u64>), IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((HashingReader::with_mode(file, mode), size))
}

/// Like [`open_input`], not hashing ([`ReadMode::LookUp`]) and starting at byte `offset`: for a
/// reader started again at a mark ([`crate::resume`]). The size is the whole file's.
pub fn open_input_at(
    path: &Path,
    offset: u64,
) -> Result<(HashingReader<File>, Option<u64>), IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().ok().map(|m| m.len());
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    Ok((HashingReader::with_mode(file, ReadMode::LookUp), size))
}

/// The read buffer for an input of `size` bytes: 256 KiB (large reads keep the hashing and
/// parsing threads fed), or the size of a smaller file, so that the many small inputs of a
/// case (and every fuzzing input) do not each zero and fault in 256 KiB they never fill.
pub fn buffer_size(size: Option<u64>) -> usize {
    const LARGE: usize = 256 * 1024;
    size.map_or(LARGE, |s| {
        usize::try_from(s).unwrap_or(LARGE).clamp(4096, LARGE)
    })
}

/// SHA-256 and size of a whole file, read in a streaming fashion.
pub fn digest_file(path: &Path) -> Result<Digested, IngestError> {
    let (mut r, _) = open_hashed(path)?;
    r.finish().map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// What identifies one state of a file: a different file at the path, or the same file written
/// to, gives a different identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    len: u64,
    modified: Option<SystemTime>,
    /// Device, inode and change time (seconds, nanoseconds), where the platform has them.
    unix: Option<(u64, u64, i64, i64)>,
}

impl FileIdentity {
    pub fn of(m: &Metadata) -> FileIdentity {
        #[cfg(unix)]
        let unix = {
            use std::os::unix::fs::MetadataExt;
            Some((m.dev(), m.ino(), m.ctime(), m.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let unix = None;
        FileIdentity {
            len: m.len(),
            modified: m.modified().ok(),
            unix,
        }
    }
}

/// Bytes hashed per read by [`FileDigest`].
const CHUNK: usize = 1 << 20;

/// The SHA-256 of a whole file, computed on a thread of its own (see the module docs).
pub struct FileDigest {
    path: PathBuf,
    before: FileIdentity,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<io::Result<Digested>>>,
    result: Option<Digested>,
}

impl FileDigest {
    /// Starts hashing `file` (opened from `path`) from its first byte. `before` is the file's
    /// identity taken from this handle before any other reader opened the path.
    pub fn start(path: &Path, mut file: File, before: FileIdentity) -> FileDigest {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let work = move || -> io::Result<Digested> {
            file.seek(SeekFrom::Start(0))?;
            crate::background::lower_this_thread();
            let mut ctx = Context::new(&SHA256);
            let mut buf = vec![0u8; CHUNK];
            let mut size = 0u64;
            loop {
                if flag.load(Ordering::Relaxed) {
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
                }
                match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        ctx.update(&buf[..n]);
                        size += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(Digested {
                size,
                sha256: hex_digest(ctx),
            })
        };
        // Without a thread (the system refuses one), hash when the digest is asked for.
        let worker = std::thread::Builder::new()
            .name("trailproof-digest".into())
            .spawn(work);
        let (worker, result) = match worker {
            Ok(h) => (Some(h), None),
            Err(_) => (None, None),
        };
        let mut d = FileDigest {
            path: path.to_path_buf(),
            before,
            stop,
            worker,
            result,
        };
        if d.worker.is_none() {
            d.result = digest_file(path).ok();
        }
        d
    }

    /// Waits for the digest, then checks that the path still names the file hashed, unchanged.
    /// A second call returns the same digest.
    pub fn finish(&mut self) -> Result<Digested, IngestError> {
        if let Some(d) = &self.result {
            return Ok(d.clone());
        }
        let io = |source| IngestError::Io {
            path: self.path.clone(),
            source,
        };
        let d = match self.worker.take() {
            Some(h) => h
                .join()
                .map_err(|_| io(io::Error::other("the digest thread panicked")))?
                .map_err(io)?,
            None => digest_file(&self.path)?,
        };
        let after = std::fs::metadata(&self.path)
            .map(|m| FileIdentity::of(&m))
            .map_err(io)?;
        if after != self.before || d.size != self.before.len {
            return Err(IngestError::malformed(
                &self.path,
                Location::Byte(0),
                format!(
                    "the file changed while it was read ({} bytes when opened, {} bytes hashed, {} bytes now; or its modification time, change time or inode changed): its digest would not cover the bytes parsed",
                    self.before.len, d.size, after.len
                ),
            ));
        }
        self.result = Some(d.clone());
        Ok(d)
    }
}

impl Drop for FileDigest {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("trailproof-hashing-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn sha2_hex(bytes: &[u8]) -> String {
        trailproof_core::record::hex(&Sha256::digest(bytes).into())
    }

    #[test]
    fn ring_and_sha2_agree() {
        for len in [0usize, 1, 55, 56, 63, 64, 65, 1000, 3 * CHUNK + 17] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut r = HashingReader::new(&bytes[..]);
            let d = r.finish().unwrap();
            assert_eq!(d.size, len as u64);
            assert_eq!(d.sha256, sha2_hex(&bytes), "len {len}");
        }
        let mut r = HashingReader::new(&b"abc"[..]);
        assert_eq!(
            r.finish().unwrap().sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn file_digest_covers_the_whole_file_from_the_start() {
        let bytes: Vec<u8> = (0..2 * CHUNK + 5).map(|i| (i % 253) as u8).collect();
        let p = temp("whole", &bytes);
        let mut f = File::open(&p).unwrap();
        // The caller has read the head already: the digest still starts at byte 0.
        let mut head = [0u8; 16];
        f.read_exact(&mut head).unwrap();
        let before = FileIdentity::of(&f.metadata().unwrap());
        let mut d = FileDigest::start(&p, f, before);
        let got = d.finish().unwrap();
        assert_eq!(got.size, bytes.len() as u64);
        assert_eq!(got.sha256, sha2_hex(&bytes));
        assert_eq!(d.finish().unwrap(), got);
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn file_digest_refuses_a_file_changed_while_read() {
        let p = temp("changed", b"first content");
        let f = File::open(&p).unwrap();
        let before = FileIdentity::of(&f.metadata().unwrap());
        let mut d = FileDigest::start(&p, f, before);
        std::fs::write(&p, b"second, longer content").unwrap();
        let e = d.finish().unwrap_err().to_string();
        assert!(e.contains("the file changed while it was read"), "{e}");
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn file_digest_refuses_another_file_at_the_path() {
        let p = temp("replaced", b"same length A");
        let f = File::open(&p).unwrap();
        let before = FileIdentity::of(&f.metadata().unwrap());
        let mut d = FileDigest::start(&p, f, before);
        let q = temp("replacement", b"same length B");
        std::fs::rename(&q, &p).unwrap();
        assert!(d.finish().is_err());
        std::fs::remove_file(&p).unwrap();
    }
}
