//! The write-ahead log (`-wal`) beside a database
//! (<https://www.sqlite.org/fileformat2.html#the_write_ahead_log>).
//!
//! The WAL is parsed here, not by SQLite, so nothing is written next to the evidence. Rules, as
//! SQLite's recovery applies them: a frame is valid when its salts equal the header's and its
//! cumulative checksum (seeded by the header's) matches; the valid log ends at the first
//! invalid frame; the committed log ends at the last commit frame (non-zero database size)
//! within the valid log. The state SQLite reads is the main file with, for each page, the
//! newest committed frame of that page applied, truncated to the last commit's size.
//!
//! Every frame is classified ([`FrameStatus`]): applied (part of the state), superseded,
//! uncommitted (valid but with no commit frame after it: reported and carved, never applied),
//! or beyond the valid log (a frame of an earlier WAL generation or a torn write: carved too).
//!
//! Invariants: the file is read one frame at a time into a buffer of one page; the frame list
//! grows with the file (one small entry per frame), nothing else does. A WAL that cannot be
//! read at all (header too short, bad magic, version, page size or header checksum, a page
//! size other than the database's) is a [`RecoverError::Wal`] naming the byte offset; an empty
//! file is a WAL with no frames (SQLite leaves one after a checkpoint). [`write_state`] writes
//! the state as a private database file, a page at a time.

use std::collections::BTreeMap;
use std::io::Write;

use crate::error::{EvidenceFile, RecoverError, WalProblem};
use crate::io::{EvidenceReader, ReadSeek};
use crate::Scan;

/// The length of the WAL header.
pub const WAL_HEADER_LEN: u64 = 32;
/// The length of a frame header.
pub const FRAME_HEADER_LEN: u64 = 24;

/// The WAL header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalHeader {
    pub magic: u32,
    /// Checksums read the data as big-endian words (magic 0x377f0683) or little-endian ones.
    pub big_endian_checksums: bool,
    pub version: u32,
    pub page_size: u32,
    pub checkpoint_sequence: u32,
    pub salts: [u32; 2],
    pub checksum: [u32; 2],
}

/// Why the valid log ends at a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogBreak {
    /// The frame's salts differ from the header's: a frame of an earlier WAL generation (the
    /// WAL was reset and rewritten from the start since).
    SaltMismatch,
    /// The salts match but the cumulative checksum does not: a torn or altered frame.
    ChecksumMismatch,
    /// The frame names page 0.
    PageZero,
    /// A frame after the first invalid one (SQLite reads no further).
    AfterBreak,
}

/// What a frame is to SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameStatus {
    /// The newest committed image of its page: part of the state SQLite reads.
    Applied,
    /// Committed, but a later committed frame holds its page, or its page lies past the last
    /// commit's database size.
    Superseded,
    /// Valid, but no commit frame follows it: SQLite never applies it.
    Uncommitted,
    /// Past the end of the valid log: SQLite ignores it.
    BeyondLog(LogBreak),
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalFrame {
    /// 1-based, in file order.
    pub number: u32,
    /// Byte offset of the frame header in the `-wal` file (the page follows 24 bytes later).
    pub offset: u64,
    pub page: u32,
    /// The database size in pages after this commit; 0 when this is not a commit frame.
    pub commit_size: u32,
    pub status: FrameStatus,
}

impl WalFrame {
    /// Byte offset of the page image in the `-wal` file.
    pub fn data_offset(&self) -> u64 {
        self.offset + FRAME_HEADER_LEN
    }
}

/// Where the valid log ends before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEnd {
    /// The first frame that is not valid (1-based).
    pub frame: u32,
    /// Its byte offset in the `-wal` file.
    pub offset: u64,
    pub reason: LogBreak,
}

/// A parsed `-wal` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WalInfo {
    /// `None` for an empty file.
    pub header: Option<WalHeader>,
    pub frames: Vec<WalFrame>,
    /// The last commit frame of the valid log.
    pub last_commit: Option<u32>,
    /// The database size in pages after the last commit.
    pub database_pages: Option<u32>,
    /// For each page of the state, the frame whose image SQLite reads (page -> frame number).
    pub applied: BTreeMap<u32, u32>,
    /// Where the valid log stops short of the file's last frame, if it does.
    pub log_end: Option<LogEnd>,
    /// Bytes after the last whole frame (a torn append).
    pub trailing_bytes: u64,
}

impl WalInfo {
    /// The frame with this 1-based number.
    pub fn frame(&self, number: u32) -> Option<&WalFrame> {
        self.frames
            .get(usize::try_from(number).ok()?.checked_sub(1)?)
    }
}

fn word(b: &[u8], big_endian: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s`.
pub(crate) fn checksum(data: &[u8], big_endian: bool, mut s: [u32; 2]) -> [u32; 2] {
    for pair in data.chunks_exact(8) {
        s[0] = s[0]
            .wrapping_add(word(&pair[..4], big_endian))
            .wrapping_add(s[1]);
        s[1] = s[1]
            .wrapping_add(word(&pair[4..], big_endian))
            .wrapping_add(s[0]);
    }
    s
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses a `-wal` file for a database of `database_page_size`.
pub(crate) fn parse(
    wal: &mut EvidenceReader<'_>,
    database_page_size: u32,
) -> Result<WalInfo, RecoverError> {
    let error = |frame, offset, problem| RecoverError::Wal {
        frame,
        offset,
        problem,
    };
    if wal.len == 0 {
        return Ok(WalInfo::default());
    }
    if wal.len < WAL_HEADER_LEN {
        return Err(error(None, 0, WalProblem::TooShort { len: wal.len }));
    }
    let mut h = [0u8; 32];
    wal.read_at(0, &mut h)?;
    let magic = be32(&h, 0);
    if magic != 0x377f_0682 && magic != 0x377f_0683 {
        return Err(error(None, 0, WalProblem::BadMagic(magic)));
    }
    let big_endian = magic == 0x377f_0683;
    let version = be32(&h, 4);
    if version != 3_007_000 {
        return Err(error(None, 4, WalProblem::UnsupportedVersion(version)));
    }
    let page_size = be32(&h, 8);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(error(None, 8, WalProblem::BadPageSize(page_size)));
    }
    if page_size != database_page_size {
        return Err(error(
            None,
            8,
            WalProblem::PageSizeMismatch {
                wal: page_size,
                database: database_page_size,
            },
        ));
    }
    let header_checksum = [be32(&h, 24), be32(&h, 28)];
    if checksum(&h[..24], big_endian, [0, 0]) != header_checksum {
        return Err(error(None, 24, WalProblem::HeaderChecksum));
    }
    let header = WalHeader {
        magic,
        big_endian_checksums: big_endian,
        version,
        page_size,
        checkpoint_sequence: be32(&h, 12),
        salts: [be32(&h, 16), be32(&h, 20)],
        checksum: header_checksum,
    };

    let frame_len = FRAME_HEADER_LEN + u64::from(page_size);
    let count = (wal.len - WAL_HEADER_LEN) / frame_len;
    let mut info = WalInfo {
        trailing_bytes: (wal.len - WAL_HEADER_LEN) % frame_len,
        ..WalInfo::default()
    };
    let mut buf = vec![0u8; frame_len as usize];
    let mut running = header_checksum;
    let mut valid = true;
    let mut last_valid = 0u32;
    for index in 0..count {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let offset = WAL_HEADER_LEN + index * frame_len;
        wal.read_at(offset, &mut buf)?;
        let page = be32(&buf, 0);
        let commit_size = be32(&buf, 4);
        let salts = [be32(&buf, 8), be32(&buf, 12)];
        let mut status = FrameStatus::Uncommitted;
        if valid {
            let reason = if salts != header.salts {
                Some(LogBreak::SaltMismatch)
            } else if page == 0 {
                Some(LogBreak::PageZero)
            } else {
                let s = checksum(&buf[..8], big_endian, running);
                let s = checksum(&buf[FRAME_HEADER_LEN as usize..], big_endian, s);
                if s == [be32(&buf, 16), be32(&buf, 20)] {
                    running = s;
                    None
                } else {
                    Some(LogBreak::ChecksumMismatch)
                }
            };
            if let Some(reason) = reason {
                valid = false;
                info.log_end = Some(LogEnd {
                    frame: number,
                    offset,
                    reason,
                });
                status = FrameStatus::BeyondLog(reason);
            } else {
                last_valid = number;
                if commit_size != 0 {
                    info.last_commit = Some(number);
                    info.database_pages = Some(commit_size);
                }
            }
        } else {
            status = FrameStatus::BeyondLog(if salts != header.salts {
                LogBreak::SaltMismatch
            } else {
                LogBreak::AfterBreak
            });
        }
        info.frames.push(WalFrame {
            number,
            offset,
            page,
            commit_size,
            status,
        });
    }
    let last_commit = info.last_commit.unwrap_or(0);
    let size = info.database_pages.unwrap_or(0);
    for frame in info.frames.iter_mut().take(last_valid as usize) {
        if frame.number <= last_commit {
            frame.status = FrameStatus::Superseded;
            if frame.page <= size {
                info.applied.insert(frame.page, frame.number);
            }
        }
    }
    for &number in info.applied.values() {
        if let Some(frame) = info.frames.get_mut((number as usize).saturating_sub(1)) {
            frame.status = FrameStatus::Applied;
        }
    }
    info.header = Some(header);
    Ok(info)
}

/// Writes the state SQLite reads (the main file with the committed frames of the `-wal`
/// applied, truncated to the last commit's size) to `out`, a page at a time: a private copy the
/// verifier can open (with `immutable=1`: its header may still say WAL mode). Returns the bytes
/// written. `scan` must come from [`scan`] over these same files. Pages past both the main file
/// and the WAL's last page are not written (a header may claim billions of pages; SQLite would
/// read them as zeros).
pub fn write_state(
    main: &mut dyn ReadSeek,
    wal: Option<&mut dyn ReadSeek>,
    scan: &Scan,
    out: &mut dyn Write,
) -> Result<u64, RecoverError> {
    let ps = u64::from(scan.header.page_size);
    let mut main = EvidenceReader::new(main, EvidenceFile::Main)?;
    let mut wal = match wal {
        Some(w) => Some(EvidenceReader::new(w, EvidenceFile::Wal)?),
        None => None,
    };
    let mut buf = vec![0u8; ps as usize];
    let mut written = 0u64;
    let main_pages = u32::try_from(main.len.div_ceil(ps)).unwrap_or(u32::MAX);
    let wal_last = scan
        .wal
        .as_ref()
        .and_then(|w| w.applied.keys().next_back().copied())
        .unwrap_or(0);
    let last = scan.database_pages.min(main_pages.max(wal_last));
    for page in 1..=last {
        let frame = scan
            .wal
            .as_ref()
            .and_then(|w| w.applied.get(&page).and_then(|&n| w.frame(n)));
        match (frame, wal.as_mut()) {
            (Some(f), Some(r)) => r.read_at(f.data_offset(), &mut buf)?,
            _ => main.read_at(u64::from(page - 1) * ps, &mut buf)?,
        };
        out.write_all(&buf).map_err(|source| RecoverError::Io {
            file: EvidenceFile::Main,
            offset: written,
            source,
        })?;
        written += ps;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EvidenceFile;
    use std::io::Cursor;

    fn header(magic: u32, page_size: u32, salts: [u32; 2]) -> Vec<u8> {
        let mut h = Vec::new();
        for v in [magic, 3_007_000, page_size, 0, salts[0], salts[1]] {
            h.extend_from_slice(&v.to_be_bytes());
        }
        let s = checksum(&h, magic & 1 == 1, [0, 0]);
        h.extend_from_slice(&s[0].to_be_bytes());
        h.extend_from_slice(&s[1].to_be_bytes());
        h
    }

    fn frame(wal: &mut Vec<u8>, running: &mut [u32; 2], page: u32, commit: u32, fill: u8) {
        let big = be32(wal, 0) & 1 == 1;
        let ps = be32(wal, 8) as usize;
        let salts = [be32(wal, 16), be32(wal, 20)];
        let mut f = Vec::new();
        for v in [page, commit, salts[0], salts[1]] {
            f.extend_from_slice(&v.to_be_bytes());
        }
        let data = vec![fill; ps];
        let s = checksum(&f[..8], big, *running);
        let s = checksum(&data, big, s);
        *running = s;
        f.extend_from_slice(&s[0].to_be_bytes());
        f.extend_from_slice(&s[1].to_be_bytes());
        f.extend_from_slice(&data);
        wal.extend_from_slice(&f);
    }

    fn parse_bytes(bytes: &[u8], ps: u32) -> Result<WalInfo, RecoverError> {
        let mut c = Cursor::new(bytes.to_vec());
        let mut r = EvidenceReader::new(&mut c, EvidenceFile::Wal).unwrap();
        parse(&mut r, ps)
    }

    #[test]
    fn commits_apply_and_the_tail_does_not() {
        for magic in [0x377f_0682, 0x377f_0683] {
            let mut wal = header(magic, 512, [7, 9]);
            let mut s = [be32(&wal, 24), be32(&wal, 28)];
            frame(&mut wal, &mut s, 2, 0, 1);
            frame(&mut wal, &mut s, 3, 3, 2);
            frame(&mut wal, &mut s, 2, 3, 3);
            frame(&mut wal, &mut s, 3, 0, 4);
            let info = parse_bytes(&wal, 512).unwrap();
            let status: Vec<_> = info.frames.iter().map(|f| f.status).collect();
            assert_eq!(
                status,
                [
                    FrameStatus::Superseded,
                    FrameStatus::Applied,
                    FrameStatus::Applied,
                    FrameStatus::Uncommitted
                ]
            );
            assert_eq!(info.last_commit, Some(3));
            assert_eq!(info.database_pages, Some(3));
            assert_eq!(info.applied.get(&2), Some(&3));
            assert_eq!(info.log_end, None);
        }
    }

    #[test]
    fn a_broken_checksum_ends_the_log_there() {
        let mut wal = header(0x377f_0682, 512, [1, 2]);
        let mut s = [be32(&wal, 24), be32(&wal, 28)];
        frame(&mut wal, &mut s, 2, 2, 1);
        frame(&mut wal, &mut s, 2, 2, 5);
        let second = (32 + 536 + 24 + 10) as usize;
        wal[second] ^= 1;
        let info = parse_bytes(&wal, 512).unwrap();
        assert_eq!(
            info.frames[1].status,
            FrameStatus::BeyondLog(LogBreak::ChecksumMismatch)
        );
        assert_eq!(
            info.log_end,
            Some(LogEnd {
                frame: 2,
                offset: 32 + 536,
                reason: LogBreak::ChecksumMismatch
            })
        );
        assert_eq!(info.applied.get(&2), Some(&1));
    }

    #[test]
    fn unreadable_headers_name_their_offset() {
        assert!(matches!(
            parse_bytes(&[0u8; 10], 512),
            Err(RecoverError::Wal {
                frame: None,
                offset: 0,
                problem: WalProblem::TooShort { len: 10 }
            })
        ));
        let mut wal = header(0x377f_0682, 512, [1, 2]);
        wal[31] ^= 1;
        assert!(matches!(
            parse_bytes(&wal, 512),
            Err(RecoverError::Wal {
                offset: 24,
                problem: WalProblem::HeaderChecksum,
                ..
            })
        ));
        let wal = header(0x377f_0682, 1024, [1, 2]);
        assert!(matches!(
            parse_bytes(&wal, 512),
            Err(RecoverError::Wal {
                offset: 8,
                problem: WalProblem::PageSizeMismatch { .. },
                ..
            })
        ));
        assert_eq!(parse_bytes(&[], 512).unwrap(), WalInfo::default());
    }
}
