//! The live rows of the table, as (payload length, page) pairs: noted while the state's b-trees
//! are walked, read back when carved records are compared with the live rows (only pages that
//! hold a row of a candidate's length are read again).
//!
//! Invariants: at most [`crate::Options::live_rows_in_memory`] pairs are held in memory; past
//! that they are appended to an anonymous temporary file ([`tempfile::tempfile_in`] in
//! [`crate::Options::temp_dir`]: unlinked at once, never next to the evidence), 8 bytes a row,
//! so a database of any size is walked in flat memory. Reading back yields every pair pushed,
//! the spilled ones first, and leaves the set ready for more.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use crate::pages::PageSet;

pub(crate) struct LiveRows {
    held: Vec<(u32, u32)>,
    max_held: usize,
    dir: PathBuf,
    /// The temporary file and the pairs written to it.
    spilled: Option<(File, u64)>,
}

impl LiveRows {
    pub fn new(dir: PathBuf, max_held: usize) -> LiveRows {
        LiveRows {
            held: Vec::new(),
            max_held: max_held.max(1),
            dir,
            spilled: None,
        }
    }

    pub fn push(&mut self, len: u32, page: u32) -> io::Result<()> {
        self.held.push((len, page));
        if self.held.len() >= self.max_held {
            self.spill()?;
        }
        Ok(())
    }

    /// Where the temporary file is made.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    fn spill(&mut self) -> io::Result<()> {
        let (file, count) = match &mut self.spilled {
            Some(s) => s,
            None => self.spilled.insert((tempfile::tempfile_in(&self.dir)?, 0)),
        };
        let mut bytes = Vec::with_capacity(self.held.len() * 8);
        for &(len, page) in &self.held {
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(&page.to_le_bytes());
        }
        file.write_all(&bytes)?;
        *count += self.held.len() as u64;
        self.held.clear();
        Ok(())
    }

    /// Adds to `pages` every page holding a live row whose payload length `wanted` accepts.
    pub fn pages_with(
        &mut self,
        wanted: impl Fn(u32) -> bool,
        pages: &mut PageSet,
    ) -> io::Result<()> {
        if let Some((file, count)) = &mut self.spilled {
            file.seek(SeekFrom::Start(0))?;
            let mut reader = BufReader::with_capacity(1 << 16, &mut *file);
            let mut pair = [0u8; 8];
            for _ in 0..*count {
                reader.read_exact(&mut pair)?;
                let [l0, l1, l2, l3, p0, p1, p2, p3] = pair;
                if wanted(u32::from_le_bytes([l0, l1, l2, l3])) {
                    pages.insert(u32::from_le_bytes([p0, p1, p2, p3]));
                }
            }
            drop(reader);
            file.seek(SeekFrom::End(0))?;
        }
        for &(len, page) in &self.held {
            if wanted(len) {
                pages.insert(page);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_spilled_and_held_are_all_read_back() {
        let mut live = LiveRows::new(std::env::temp_dir(), 3);
        for (len, page) in [
            (10, 2),
            (20, 3),
            (10, 4),
            (30, 5),
            (10, 6),
            (20, 7),
            (10, 9),
        ] {
            live.push(len, page).unwrap();
        }
        assert_eq!(live.spilled.as_ref().map(|s| s.1), Some(6));
        assert_eq!(live.held, [(10, 9)]);
        let mut pages = PageSet::new(16);
        live.pages_with(|l| l == 10, &mut pages).unwrap();
        assert_eq!(pages.iter().collect::<Vec<_>>(), [2, 4, 6, 9]);
        // Read again after more pushes: the file was left at its end.
        live.push(20, 11).unwrap();
        live.push(20, 12).unwrap();
        let mut pages = PageSet::new(16);
        live.pages_with(|l| l == 20, &mut pages).unwrap();
        assert_eq!(pages.iter().collect::<Vec<_>>(), [3, 7, 11, 12]);
    }
}
