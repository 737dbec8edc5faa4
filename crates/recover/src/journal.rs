//! The rollback journal (`-journal`) beside a database
//! (<https://www.sqlite.org/fileformat2.html#the_rollback_journal>).
//!
//! A journal is a list of segments, each a header padded to the sector size (magic, record
//! count, checksum nonce, initial database size, sector size, page size) followed by page
//! records (page number, the page as it was before the transaction, checksum = nonce + every
//! 200th byte of the page). A hot journal (its first header has the magic) means the main file
//! may hold a partial transaction: its page records are the state before it, which SQLite would
//! restore. SQLite writes a segment header with a zeroed magic and fills the magic in only when
//! it syncs the journal; such an unsynced segment ends SQLite's playback, but its records are
//! still pages as they were before the transaction, so they are listed (and carved) too.
//!
//! Invariants: the file is read one record at a time into a buffer of one page; each segment
//! starts at least one sector after the previous one, so the segment loop ends within the file.
//! A journal whose first 28 bytes are zero (a persisted or truncated journal after a commit) or
//! that is empty is not hot and lists nothing. One whose first header is not a journal header
//! is a [`RecoverError::Journal`] naming the byte offset.

use crate::error::{JournalProblem, RecoverError};
use crate::io::EvidenceReader;

const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
const HEADER_FIELDS: usize = 28;

/// One segment header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSegment {
    /// Byte offset of the header in the `-journal` file.
    pub offset: u64,
    /// Whether the header has its magic (SQLite synced this segment).
    pub synced: bool,
    /// The record count the header states (0xffffffff: "to the end of the file").
    pub stated_records: u32,
    pub nonce: u32,
    /// The database size in pages before the transaction.
    pub initial_pages: u32,
    pub sector_size: u32,
    pub page_size: u32,
}

/// One page record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalPage {
    pub page: u32,
    /// Byte offset of the page image in the `-journal` file.
    pub offset: u64,
    /// Index into [`JournalInfo::segments`].
    pub segment: usize,
    pub checksum_ok: bool,
}

/// A parsed `-journal` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalInfo {
    /// The first header has the magic and at least one page record follows: the main file
    /// may hold part of an unfinished transaction.
    pub hot: bool,
    pub segments: Vec<JournalSegment>,
    pub pages: Vec<JournalPage>,
}

impl JournalInfo {
    /// The database size in pages before the transaction, from the first header.
    pub fn initial_pages(&self) -> Option<u32> {
        self.segments.first().map(|s| s.initial_pages)
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn record_checksum(nonce: u32, page: &[u8]) -> u32 {
    let mut sum = nonce;
    let mut i = page.len().saturating_sub(200);
    while i > 0 {
        sum = sum.wrapping_add(u32::from(page[i]));
        i = i.saturating_sub(200);
    }
    sum
}

/// Parses a `-journal` file for a database of `database_page_size`.
pub(crate) fn parse(
    journal: &mut EvidenceReader<'_>,
    database_page_size: u32,
) -> Result<JournalInfo, RecoverError> {
    let mut info = JournalInfo::default();
    if journal.len == 0 {
        return Ok(info);
    }
    if journal.len < HEADER_FIELDS as u64 {
        return Err(RecoverError::Journal {
            offset: 0,
            problem: JournalProblem::TooShort { len: journal.len },
        });
    }
    let mut h = [0u8; HEADER_FIELDS];
    journal.read_at(0, &mut h)?;
    if h.iter().all(|&b| b == 0) {
        return Ok(info);
    }
    if h[..8] != MAGIC {
        return Err(RecoverError::Journal {
            offset: 0,
            problem: JournalProblem::BadMagic,
        });
    }
    let mut at = 0u64;
    let mut page = vec![0u8; database_page_size as usize + 8];
    while at + HEADER_FIELDS as u64 <= journal.len {
        journal.read_at(at, &mut h)?;
        let first = info.segments.is_empty();
        let synced = h[..8] == MAGIC;
        if !synced && h[..8] != [0u8; 8] {
            break;
        }
        let segment = JournalSegment {
            offset: at,
            synced,
            stated_records: be32(&h, 8),
            nonce: be32(&h, 12),
            initial_pages: be32(&h, 16),
            sector_size: be32(&h, 20),
            page_size: be32(&h, 24),
        };
        let problem = if !(32..=65536).contains(&segment.sector_size)
            || !segment.sector_size.is_power_of_two()
        {
            Some((20, JournalProblem::BadSectorSize(segment.sector_size)))
        } else if !(512..=65536).contains(&segment.page_size)
            || !segment.page_size.is_power_of_two()
        {
            Some((24, JournalProblem::BadPageSize(segment.page_size)))
        } else if segment.page_size != database_page_size {
            Some((
                24,
                JournalProblem::PageSizeMismatch {
                    journal: segment.page_size,
                    database: database_page_size,
                },
            ))
        } else {
            None
        };
        if let Some((field, problem)) = problem {
            if first {
                return Err(RecoverError::Journal {
                    offset: at + field,
                    problem,
                });
            }
            break;
        }
        let record_len = u64::from(segment.page_size) + 8;
        let records_start = at + u64::from(segment.sector_size);
        let available = journal.len.saturating_sub(records_start) / record_len;
        let counted = synced && segment.stated_records != 0 && segment.stated_records != u32::MAX;
        let count = if counted {
            available.min(u64::from(segment.stated_records))
        } else {
            available
        };
        let index = info.segments.len();
        let sector = u64::from(segment.sector_size);
        let nonce = segment.nonce;
        info.segments.push(segment);
        let mut end = records_start;
        for i in 0..count {
            let offset = records_start + i * record_len;
            journal.read_at(offset, &mut page)?;
            let number = be32(&page, 0);
            let data = &page[4..4 + database_page_size as usize];
            let stored = be32(&page, 4 + database_page_size as usize);
            let checksum_ok = record_checksum(nonce, data) == stored;
            if !counted && (number == 0 || !checksum_ok) {
                break;
            }
            info.pages.push(JournalPage {
                page: number,
                offset: offset + 4,
                segment: index,
                checksum_ok,
            });
            end = offset + record_len;
        }
        let next = end.div_ceil(sector) * sector;
        if next <= at {
            break;
        }
        at = next;
    }
    info.hot = info.segments.first().is_some_and(|s| s.synced) && !info.pages.is_empty();
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::EvidenceFile;
    use std::io::Cursor;

    fn segment(out: &mut Vec<u8>, magic: bool, nrec: u32, pages: &[(u32, u8)], ps: usize) {
        let start = out.len();
        out.extend_from_slice(if magic { &MAGIC } else { &[0u8; 8] });
        for v in [nrec, 77, 9, 512, ps as u32] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.resize(start + 512, 0);
        for &(number, fill) in pages {
            out.extend_from_slice(&number.to_be_bytes());
            let data = vec![fill; ps];
            out.extend_from_slice(&data);
            out.extend_from_slice(&record_checksum(77, &data).to_be_bytes());
        }
        let pad = out.len().div_ceil(512) * 512;
        out.resize(pad, 0);
    }

    fn parse_bytes(bytes: &[u8], ps: u32) -> Result<JournalInfo, RecoverError> {
        let mut c = Cursor::new(bytes.to_vec());
        let mut r = EvidenceReader::new(&mut c, EvidenceFile::Journal).unwrap();
        parse(&mut r, ps)
    }

    #[test]
    fn synced_and_unsynced_segments() {
        let mut j = Vec::new();
        segment(&mut j, true, 2, &[(3, 1), (6, 2)], 1024);
        let second = j.len() as u64;
        segment(&mut j, false, 0, &[(9, 3)], 1024);
        let info = parse_bytes(&j, 1024).unwrap();
        assert!(info.hot);
        assert_eq!(info.segments.len(), 2);
        assert_eq!(info.segments[1].offset, second);
        assert!(!info.segments[1].synced);
        let pages: Vec<_> = info.pages.iter().map(|p| (p.page, p.checksum_ok)).collect();
        assert_eq!(pages, [(3, true), (6, true), (9, true)]);
        assert_eq!(info.pages[0].offset, 516);
        assert_eq!(info.initial_pages(), Some(9));
    }

    #[test]
    fn zeroed_or_foreign_headers() {
        assert!(!parse_bytes(&[0u8; 600], 1024).unwrap().hot);
        assert!(!parse_bytes(&[], 1024).unwrap().hot);
        assert!(matches!(
            parse_bytes(&[1u8; 600], 1024),
            Err(RecoverError::Journal {
                offset: 0,
                problem: JournalProblem::BadMagic
            })
        ));
        let mut j = Vec::new();
        segment(&mut j, true, 1, &[(2, 1)], 1024);
        assert!(matches!(
            parse_bytes(&j, 4096),
            Err(RecoverError::Journal {
                offset: 24,
                problem: JournalProblem::PageSizeMismatch { .. }
            })
        ));
    }

    #[test]
    fn a_bad_checksum_is_kept_in_a_counted_segment() {
        let mut j = Vec::new();
        segment(&mut j, true, 1, &[(2, 1)], 1024);
        j[512 + 4 + 824] ^= 0xff;
        let info = parse_bytes(&j, 1024).unwrap();
        assert_eq!(info.pages.len(), 1);
        assert!(!info.pages[0].checksum_ok);
    }
}
