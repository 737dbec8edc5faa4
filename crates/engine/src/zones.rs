//! Where the records of a dump lie, kept while the dump is verified, so that the copies of one
//! record can later be read back from a batch or two instead of the whole file (the desktop
//! app's record detail; issue #20).
//!
//! A dump is read in batches ([`BATCH`](crate::BATCH) records). For each batch its [`Zones`]
//! keep the reader's [`Mark`] before it (JSON Lines and CSV give marks), how many records it
//! held, and per tenant the range of seqs among them (the tenant by a 64-bit hash of its id).
//! [`read_back`] then reads only the batches whose ranges may hold a (tenant, seq): from their
//! marks, or, for a reader without marks, from the start of the file up to the last of them.
//!
//! Invariants:
//! * never a miss: every record whose tenant and seq can be read lies inside a range of its
//!   batch, and a batch whose ranges cannot say (too many tenants) holds anything; ranges may
//!   over-cover (a hash collision, an unordered batch), which costs reading, never a copy;
//! * the records read back are exactly those the first read gave, at the same places, provided
//!   the file is unchanged (the caller checks its identity first): a batch is read again from
//!   its mark for exactly its number of records, or counted record by record from the start;
//! * bounded: at most [`MAX_RANGES`] ranges a batch, about 40 bytes a batch of 4,096 records
//!   in the common case, whatever the input.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use trailproof_core::record::Checked;
use trailproof_ingest::detect::open_records_mode;
use trailproof_ingest::hashing::ReadMode;
use trailproof_ingest::resume::{open_at, resumes, Mark};
use trailproof_ingest::{IngestError, InputKind, RawRecord};

/// Seq ranges kept a batch at most; a batch of more tenants (or of seqs too scattered to keep
/// apart, see [`Zones::note`]) is read back for any record.
pub const MAX_RANGES: usize = 16;

/// The zones of one dump of a case.
#[derive(Debug, Clone)]
pub struct FileZones {
    /// The dump, as given.
    pub path: PathBuf,
    /// Its kind, as sniffed on the first read.
    pub kind: InputKind,
    pub zones: Zones,
}

/// Where the records of one dump lie, batch by batch, in input order.
#[derive(Debug, Clone, Default)]
pub struct Zones {
    batches: Vec<Batch>,
}

/// One batch of the first read.
#[derive(Debug, Clone)]
struct Batch {
    /// The reader's mark before it, when the reader gives marks.
    mark: Option<Mark>,
    /// Records it held.
    records: usize,
    /// Seq ranges by tenant hash, at most [`MAX_RANGES`].
    ranges: Vec<Range>,
    /// Its ranges cannot say what it holds: read it back for any record.
    any: bool,
}

#[derive(Debug, Clone, Copy)]
struct Range {
    tenant: u64,
    first: u64,
    last: u64,
}

fn tenant_hash(tenant: &str) -> u64 {
    let mut h = DefaultHasher::new();
    tenant.hash(&mut h);
    h.finish()
}

impl Zones {
    /// A batch of `records` records starts, at `mark` when the reader gave one.
    pub fn start(&mut self, mark: Option<Mark>, records: usize) {
        self.batches.push(Batch {
            mark,
            records,
            ranges: Vec::new(),
            any: false,
        });
    }

    /// The next record of the current batch, as checked.
    pub fn note(&mut self, c: &Checked) {
        if let (Some(tenant), Some(seq)) = (c.tenant_id.as_deref(), c.seq) {
            self.note_key(tenant, seq);
        }
    }

    fn note_key(&mut self, tenant: &str, seq: u64) {
        let Some(b) = self.batches.last_mut() else {
            return;
        };
        if b.any {
            return;
        }
        let tenant = tenant_hash(tenant);
        // A seq next to the last range of its tenant widens it (a dump in seq order keeps one
        // range a tenant); any other opens a range of its own while there is room.
        if let Some(r) = b.ranges.iter_mut().rev().find(|r| r.tenant == tenant) {
            if r.first <= seq && seq <= r.last {
                return;
            }
            if seq == r.last.saturating_add(1) {
                r.last = seq;
                return;
            }
            if seq.checked_add(1) == Some(r.first) {
                r.first = seq;
                return;
            }
        }
        if b.ranges.len() == MAX_RANGES {
            // Out of room: widen the nearest range of the tenant, or hold anything.
            let distance = |r: &Range| r.first.abs_diff(seq).min(r.last.abs_diff(seq));
            let nearest = b
                .ranges
                .iter_mut()
                .filter(|r| r.tenant == tenant)
                .min_by_key(|r| distance(r));
            match nearest {
                Some(r) => {
                    r.first = r.first.min(seq);
                    r.last = r.last.max(seq);
                }
                None => {
                    b.any = true;
                    b.ranges = Vec::new();
                }
            }
            return;
        }
        b.ranges.push(Range {
            tenant,
            first: seq,
            last: seq,
        });
    }

    /// Batches of the first read.
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// Whether no batch was read.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// The batches (by index) that may hold a record of (`tenant`, `seq`), in input order.
    pub fn batches_of(&self, tenant: &str, seq: u64) -> Vec<usize> {
        let tenant = tenant_hash(tenant);
        self.batches
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                b.any
                    || b.ranges
                        .iter()
                        .any(|r| r.tenant == tenant && r.first <= seq && seq <= r.last)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// Reads back, without hashing, every record of the batches of `path` that may hold
/// (`tenant`, `seq`), in input order, handing each to `found`; returns how many records were
/// read. Batches with marks are read from their marks; otherwise the file is read from its
/// start and stops after the last such batch. The caller has checked that the file is the one
/// `zones` describe.
pub fn read_back(
    path: &Path,
    kind: InputKind,
    zones: &Zones,
    tenant: &str,
    seq: u64,
    mut found: impl FnMut(RawRecord),
) -> Result<u64, IngestError> {
    let wanted = zones.batches_of(tenant, seq);
    let Some(&last) = wanted.last() else {
        return Ok(0);
    };
    let mut read = 0;
    let marks: Option<Vec<Mark>> = wanted.iter().map(|&i| zones.batches[i].mark).collect();
    if let (Some(marks), true) = (marks, resumes(kind)) {
        // One batch at a time from its mark: one reader (and its buffer) open at once, however
        // many batches may hold the record.
        for (mark, &i) in marks.into_iter().zip(&wanted) {
            let Some(mut src) = open_at(path, kind, mark)? else {
                continue;
            };
            let n = zones.batches[i].records;
            let mut batch = Vec::with_capacity(n);
            while batch.len() < n {
                let left = n - batch.len();
                if !src.next_batch(&mut batch, left)? {
                    break;
                }
            }
            read += batch.len() as u64;
            batch.into_iter().for_each(&mut found);
        }
        return Ok(read);
    }
    // No marks: count records from the start; batch i is records [start_i, start_i + len_i).
    let mut src = open_records_mode(path, kind, ReadMode::LookUp)?;
    let mut bounds = Vec::with_capacity(wanted.len());
    let mut start = 0;
    for (i, b) in zones.batches.iter().enumerate().take(last + 1) {
        if wanted.binary_search(&i).is_ok() {
            bounds.push(start..start + b.records);
        }
        start += b.records;
    }
    let end = start;
    let mut at = 0;
    let mut batch = Vec::with_capacity(crate::BATCH);
    while at < end {
        batch.clear();
        let more = src.next_batch(&mut batch, crate::BATCH)?;
        for raw in batch.drain(..) {
            if bounds.iter().any(|r| r.contains(&at)) {
                read += 1;
                found(raw);
            }
            at += 1;
        }
        if !more {
            break;
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_too_many_tenants_holds_anything_and_ranges_stay_bounded() {
        let mut z = Zones::default();
        // Batch 0: one tenant in seq order, one range; batch 1: 17 tenants; batch 2: scattered
        // seqs of one tenant, widened once out of room.
        z.start(None, 100);
        (1..=100).for_each(|s| z.note_key("a", s));
        z.start(None, 17);
        (0..17).for_each(|t| z.note_key(&format!("t{t}"), 1));
        z.start(None, 40);
        (0..40).for_each(|k| z.note_key("a", 1_000 + 10 * k));
        assert_eq!(z.batches[0].ranges.len(), 1);
        assert!(z.batches[1].any && z.batches[1].ranges.is_empty());
        assert_eq!(z.batches[2].ranges.len(), MAX_RANGES);
        assert_eq!(z.batches_of("a", 50), vec![0, 1]);
        assert_eq!(z.batches_of("a", 101), vec![1]);
        assert_eq!(z.batches_of("zz", 1), vec![1]);
        // Every seq of batch 2 is found, the last ones inside the widened range.
        for k in 0..40 {
            assert_eq!(
                z.batches_of("a", 1_000 + 10 * k),
                vec![1, 2],
                "seq {}",
                1_000 + 10 * k
            );
        }
        assert_eq!(z.batches_of("a", 1_005), vec![1], "between the kept seqs");
    }
}
