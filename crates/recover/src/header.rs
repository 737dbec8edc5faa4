//! The 100-byte database header (<https://www.sqlite.org/fileformat2.html#the_database_header>).
//!
//! Invariants: a header is accepted only with the magic string, a page size that is a power of
//! two from 512 to 65536 and a usable page size (page size minus reserved bytes) of at least
//! 480, as SQLite requires; every other field is read as stored and checked where it is used.
//! Only UTF-8 databases are carved ([`DatabaseHeader::check_encoding`]): records in UTF-16 would
//! need another text decoder and other plausibility rules.

use crate::error::RecoverError;

/// The header's length in bytes, at the start of page 1.
pub const HEADER_LEN: usize = 100;

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The fields of the database header that recovery uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseHeader {
    pub page_size: u32,
    /// 1 = rollback journal, 2 = WAL.
    pub write_version: u8,
    pub read_version: u8,
    pub reserved_bytes: u8,
    pub change_counter: u32,
    /// The in-header database size in pages (valid only as [`Self::valid_database_pages`] says).
    pub database_pages: u32,
    pub first_freelist_trunk: u32,
    pub freelist_pages: u32,
    pub schema_cookie: u32,
    pub schema_format: u32,
    /// 1 = UTF-8, 2 = UTF-16le, 3 = UTF-16be (0 in a database that holds no text yet).
    pub text_encoding: u32,
    /// Non-zero in an auto-vacuum database (which then has pointer-map pages).
    pub largest_root_page: u32,
    pub version_valid_for: u32,
    pub sqlite_version: u32,
}

fn be32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, u32::from_be_bytes)
}

impl DatabaseHeader {
    /// Parses the first 100 bytes of page 1.
    pub fn parse(bytes: &[u8]) -> Result<Self, RecoverError> {
        if bytes.len() < HEADER_LEN {
            return Err(RecoverError::NotSqlite {
                offset: bytes.len() as u64,
                reason: "the file is shorter than the 100-byte header",
            });
        }
        if bytes.get(..16) != Some(&MAGIC[..]) {
            return Err(RecoverError::NotSqlite {
                offset: 0,
                reason: "the header string is not \"SQLite format 3\"",
            });
        }
        let raw = u16::from_be_bytes([bytes[16], bytes[17]]);
        let page_size = if raw == 1 { 65536 } else { u32::from(raw) };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(RecoverError::NotSqlite {
                offset: 16,
                reason: "the page size is not a power of two from 512 to 65536",
            });
        }
        let reserved_bytes = bytes[20];
        if page_size - u32::from(reserved_bytes) < 480 {
            return Err(RecoverError::NotSqlite {
                offset: 20,
                reason: "the reserved bytes leave fewer than 480 usable bytes per page",
            });
        }
        Ok(DatabaseHeader {
            page_size,
            write_version: bytes[18],
            read_version: bytes[19],
            reserved_bytes,
            change_counter: be32(bytes, 24),
            database_pages: be32(bytes, 28),
            first_freelist_trunk: be32(bytes, 32),
            freelist_pages: be32(bytes, 36),
            schema_cookie: be32(bytes, 40),
            schema_format: be32(bytes, 44),
            text_encoding: be32(bytes, 56),
            largest_root_page: be32(bytes, 52),
            version_valid_for: be32(bytes, 92),
            sqlite_version: be32(bytes, 96),
        })
    }

    /// Bytes of each page that b-tree content may use.
    pub fn usable_size(&self) -> u32 {
        self.page_size - u32::from(self.reserved_bytes)
    }

    /// The in-header database size, when SQLite would trust it (non-zero, and written by the
    /// same version that last changed the file).
    pub fn valid_database_pages(&self) -> Option<u32> {
        (self.database_pages != 0 && self.change_counter == self.version_valid_for)
            .then_some(self.database_pages)
    }

    /// Refuses databases whose text is not UTF-8.
    pub fn check_encoding(&self) -> Result<(), RecoverError> {
        match self.text_encoding {
            0 | 1 => Ok(()),
            encoding => Err(RecoverError::UnsupportedEncoding { encoding }),
        }
    }

    /// Whether pages 2, 2 + (usable / 5 + 1), ... are pointer-map pages.
    pub fn auto_vacuum(&self) -> bool {
        self.largest_root_page != 0
    }

    /// Whether `page` is a pointer-map page of an auto-vacuum database.
    pub fn is_pointer_map_page(&self, page: u32) -> bool {
        if !self.auto_vacuum() || page < 2 {
            return false;
        }
        let per_map = self.usable_size() / 5 + 1;
        (page - 2) % per_map == 0
    }

    /// The page holding the lock byte (offset 2^30), which SQLite never uses.
    pub fn lock_byte_page(&self) -> u32 {
        (1u32 << 30) / self.page_size + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(page_size: u16, reserved: u8, encoding: u32) -> Vec<u8> {
        let mut h = vec![0u8; 100];
        h[..16].copy_from_slice(MAGIC);
        h[16..18].copy_from_slice(&page_size.to_be_bytes());
        h[20] = reserved;
        h[56..60].copy_from_slice(&encoding.to_be_bytes());
        h
    }

    #[test]
    fn page_size_one_means_65536() {
        let h = DatabaseHeader::parse(&header(1, 0, 1)).unwrap();
        assert_eq!(h.page_size, 65536);
        assert_eq!(h.usable_size(), 65536);
    }

    #[test]
    fn bad_headers_are_refused_with_their_offset() {
        assert!(matches!(
            DatabaseHeader::parse(&header(1000, 0, 1)),
            Err(RecoverError::NotSqlite { offset: 16, .. })
        ));
        assert!(matches!(
            DatabaseHeader::parse(&header(512, 40, 1)),
            Err(RecoverError::NotSqlite { offset: 20, .. })
        ));
        assert!(matches!(
            DatabaseHeader::parse(&header(4096, 0, 1)[..50]),
            Err(RecoverError::NotSqlite { offset: 50, .. })
        ));
        let h = DatabaseHeader::parse(&header(4096, 0, 2)).unwrap();
        assert!(matches!(
            h.check_encoding(),
            Err(RecoverError::UnsupportedEncoding { encoding: 2 })
        ));
    }

    #[test]
    fn pointer_map_pages_follow_the_usable_size() {
        let mut b = header(1024, 0, 1);
        b[52..56].copy_from_slice(&5u32.to_be_bytes());
        let h = DatabaseHeader::parse(&b).unwrap();
        let per = 1024 / 5 + 1;
        assert!(h.is_pointer_map_page(2));
        assert!(!h.is_pointer_map_page(3));
        assert!(h.is_pointer_map_page(2 + per));
        assert_eq!(h.lock_byte_page(), (1 << 30) / 1024 + 1);
    }
}
