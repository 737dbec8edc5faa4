//! A set of page numbers: one bit per page up to the number of pages the evidence files can
//! hold, a hash set for the numbers above (which only a damaged or hostile b-tree, freelist or
//! WAL names).
//!
//! Invariants: the bits take `limit / 8` bytes, fixed when the set is made from the evidence's
//! length (a 5 GB database of 4 KiB pages: 150 KB), so a walk over every page of a large file
//! keeps memory flat, where a hash set of the same pages took 10 MB per million pages and
//! rehashed as it grew; numbers above the limit cost a hash entry each, bounded by the pointers
//! read. Iteration is in ascending page order.

use std::collections::HashSet;

pub(crate) struct PageSet {
    bits: Vec<u64>,
    above: HashSet<u32>,
}

impl PageSet {
    /// A set with a bit for each page number up to `limit`.
    pub fn new(limit: u32) -> PageSet {
        PageSet {
            bits: vec![0; limit as usize / 64 + 1],
            above: HashSet::new(),
        }
    }

    /// Adds `page`: whether it was not there before.
    pub fn insert(&mut self, page: u32) -> bool {
        let (word, bit) = (page as usize / 64, 1u64 << (page % 64));
        match self.bits.get_mut(word) {
            Some(w) => {
                let new = *w & bit == 0;
                *w |= bit;
                new
            }
            None => self.above.insert(page),
        }
    }

    pub fn contains(&self, page: u32) -> bool {
        match self.bits.get(page as usize / 64) {
            Some(w) => w & (1u64 << (page % 64)) != 0,
            None => self.above.contains(&page),
        }
    }

    pub fn extend(&mut self, pages: impl IntoIterator<Item = u32>) {
        for p in pages {
            self.insert(p);
        }
    }

    /// The pages in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let low = self.bits.iter().enumerate().flat_map(|(i, &w)| {
            let base = (i * 64) as u32;
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros();
                    w &= w - 1;
                    base + b
                })
            })
        });
        let mut high: Vec<u32> = self.above.iter().copied().collect();
        high.sort_unstable();
        low.chain(high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_hashed_numbers_make_one_ordered_set() {
        let mut s = PageSet::new(100);
        for p in [u32::MAX, 5, 64, 127, 128, 0, 200, 5] {
            s.insert(p);
        }
        assert!(!s.insert(64), "64 was there");
        assert!(!s.insert(u32::MAX), "u32::MAX was there");
        assert!(s.insert(63));
        assert!(s.contains(127) && s.contains(200) && !s.contains(126) && !s.contains(201));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [0, 5, 63, 64, 127, 128, 200, u32::MAX]
        );
        assert_eq!(s.bits.len(), 2, "bits up to 127, the rest hashed");
    }
}
