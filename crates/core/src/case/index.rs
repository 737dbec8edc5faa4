//! The cross-source index of one record source: for every (tenant, seq) it holds, a 32-byte
//! content key ([`content_key`]), so that two sources can be reconciled record by record without
//! holding either's records.
//!
//! While a source streams, its entries go to an external sort ([`IndexBuilder`], spilled to the
//! system's temporary directory past [`INDEX_BUDGET`] bytes); only when another source needs it
//! is it read into memory ([`SourceIndex`], 40 bytes a record), so a case of one dump stays in
//! flat memory.
//!
//! Invariants:
//! * within a tenant, keys are sorted by seq and keep input order within one seq (a duplicated
//!   seq keeps every key); seqs without a key (records not in canonical form) are listed apart,
//!   once each;
//! * an index that spilled reads back exactly as one that stayed in memory; a run that cannot be
//!   written stays in memory; an index that cannot be read back is empty and says why
//!   ([`SourceIndex::broken`]), so no pair with it is reconciled;
//! * a source of a case declared to hold one record source keeps no index
//!   ([`IndexBuilder::skipped`]): its index is empty and says so, the same way.

use std::collections::BTreeMap;

use crate::record::{self, Checked, Digest};
use crate::scope::Scope;
use crate::spill::{Interner, Sorter};

/// What one record source holds of one tenant: 40 bytes a record.
#[derive(Debug, Default)]
pub(super) struct TenantIndex {
    /// (seq, content key), sorted by seq; input order within one seq.
    pub(super) keys: Vec<(u64, Digest)>,
    /// Seqs of records that could not be brought to canonical form (no content key).
    pub(super) unhashed: Vec<u64>,
    /// The highest seq held.
    pub(super) max_seq: u64,
}

impl TenantIndex {
    /// Content keys of the records at `seq` (more than one if the seq is duplicated).
    pub(super) fn at(&self, seq: u64) -> &[(u64, Digest)] {
        let start = self.keys.partition_point(|(key_seq, _)| *key_seq < seq);
        let count = self.keys[start..].partition_point(|(key_seq, _)| *key_seq == seq);
        &self.keys[start..start + count]
    }

    /// Whether the source holds a record at `seq` (with or without a content key).
    pub(super) fn holds(&self, seq: u64) -> bool {
        !self.at(seq).is_empty() || self.unhashed.binary_search(&seq).is_ok()
    }

    /// Distinct seqs held, ascending.
    pub(super) fn seqs(&self) -> Vec<u64> {
        let mut seqs: Vec<u64> = self
            .keys
            .iter()
            .map(|(seq, _)| *seq)
            .chain(self.unhashed.iter().copied())
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        seqs
    }
}

/// A finished record source, as cross-source reconciliation sees it.
#[derive(Debug)]
pub(super) struct SourceIndex {
    /// The source's path.
    pub(super) input: String,
    /// The scope of a subset source ([`crate::chain::Mode::Subset`]): it holds all records of
    /// that scope, and only those.
    pub(super) subset: Option<Scope>,
    /// What it holds of each tenant.
    pub(super) tenants: BTreeMap<String, TenantIndex>,
    /// Why the index could not be read back from its temporary file (it is then empty, and no
    /// pair with this source is reconciled).
    pub(super) broken: Option<String>,
}

/// Bytes of index entries one source holds in memory before a sorted run of them is written to
/// a temporary file.
const INDEX_BUDGET: usize = 16 << 20;

/// A record source's index while it streams: (tenant, seq) to content key in an external sort,
/// so that a source no other source is compared with never holds it in memory.
pub(super) struct IndexBuilder {
    /// Tenant numbers, in order of first appearance.
    tenants: Interner,
    /// The highest seq of each tenant.
    max_seq: Vec<u64>,
    /// (keys, unhashed) per tenant, to size the index exactly.
    counts: Vec<(usize, usize)>,
    sorter: Sorter<(u32, u64), Key>,
    /// False for a source no other source will be reconciled with.
    kept: bool,
}

/// A content key as a run holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Key(#[serde(with = "crate::spill::opt_digest")] Option<Digest>);

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder::with_spill(&std::env::temp_dir(), INDEX_BUDGET)
    }
}

impl IndexBuilder {
    /// An index that spills to `dir` past `budget` bytes of entries.
    fn with_spill(dir: &std::path::Path, budget: usize) -> Self {
        IndexBuilder {
            tenants: Interner::default(),
            max_seq: Vec::new(),
            counts: Vec::new(),
            sorter: Sorter::new(dir, budget),
            kept: true,
        }
    }

    /// An index that keeps nothing, for the one record source of a case.
    pub(super) fn skipped() -> Self {
        IndexBuilder {
            kept: false,
            ..IndexBuilder::default()
        }
    }

    /// Whether records pushed are kept.
    pub(super) fn kept(&self) -> bool {
        self.kept
    }

    /// Adds the record at `seq` of `tenant`, with its content key (`None` when not canonical).
    pub(super) fn push(&mut self, tenant: &str, seq: u64, key: Option<Digest>) {
        if !self.kept {
            return;
        }
        let (id, new) = self.tenants.id(tenant);
        if new {
            self.max_seq.push(0);
            self.counts.push((0, 0));
        }
        let position = id as usize;
        self.max_seq[position] = self.max_seq[position].max(seq);
        match key {
            Some(_) => self.counts[position].0 += 1,
            None => self.counts[position].1 += 1,
        }
        // A run that cannot be written stays in memory (nothing is lost): keep the rest there too
        // rather than try the disk again on every record.
        if self.sorter.push((id, seq), &Key(key)).is_err() {
            self.sorter.keep_in_memory();
        }
    }

    /// The index, read back in (tenant, seq) order; input order is kept within one seq.
    pub(super) fn build(self, input: String, subset: Option<Scope>) -> SourceIndex {
        if !self.kept {
            return SourceIndex {
                broken: Some(format!(
                    "no index of {input} was kept (the case was declared to hold one record source)"
                )),
                input,
                subset,
                tenants: BTreeMap::new(),
            };
        }
        let mut tenant_indexes: Vec<TenantIndex> = self
            .counts
            .iter()
            .zip(&self.max_seq)
            .map(|(&(keys, unhashed), &max_seq)| TenantIndex {
                keys: Vec::with_capacity(keys),
                unhashed: Vec::with_capacity(unhashed),
                max_seq,
            })
            .collect();
        let read = self.sorter.finish().and_then(|sorted| {
            for item in sorted {
                let ((id, seq), Key(key)) = item?;
                let tenant_index = &mut tenant_indexes[id as usize];
                match key {
                    Some(key) => tenant_index.keys.push((seq, key)),
                    None => tenant_index.unhashed.push(seq),
                }
            }
            Ok(())
        });
        let broken = read.err().map(|error| {
            format!("the index of {input} could not be read back from its temporary file ({error})")
        });
        let tenants = if broken.is_some() {
            BTreeMap::new()
        } else {
            for tenant_index in &mut tenant_indexes {
                tenant_index.unhashed.dedup();
            }
            self.tenants
                .into_names()
                .into_iter()
                .zip(tenant_indexes)
                .collect()
        };
        SourceIndex {
            input,
            subset,
            tenants,
            broken,
        }
    }
}

/// A content key: the stored hash when the record hashes to it, else a digest of both the
/// recomputed and the stored hash (so that neither an edit nor a changed `hash` goes unseen).
/// `None` when the record cannot be brought to canonical form.
pub(super) fn content_key(checked: &Checked) -> Option<Digest> {
    let computed = checked.computed_hash?;
    if checked.stored_hash == Some(computed) {
        return Some(computed);
    }
    let mut bytes = Vec::with_capacity(128);
    bytes.extend_from_slice(b"trailproof content key\0");
    bytes.extend_from_slice(&computed);
    match (&checked.stored_hash, &checked.stored_hash_text) {
        (Some(stored), _) => {
            bytes.push(1);
            bytes.extend_from_slice(stored);
        }
        (None, Some(stored_text)) => {
            bytes.push(2);
            bytes.extend_from_slice(stored_text.as_bytes());
        }
        (None, None) => bytes.push(0),
    }
    Some(record::sha256(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tenants out of order, a duplicated seq (input order kept), an unhashed seq twice.
    fn built(mut builder: IndexBuilder) -> (usize, SourceIndex) {
        let pushes: [(&str, u64, Option<u8>); 8] = [
            ("z", 5, Some(5)),
            ("a", 3, Some(3)),
            ("z", 2, Some(2)),
            ("a", 1, None),
            ("z", 5, Some(0xee)),
            ("a", 1, None),
            ("a", 2, Some(2)),
            ("z", 1, Some(1)),
        ];
        for (tenant, seq, key_byte) in pushes {
            builder.push(tenant, seq, key_byte.map(|byte| [byte; 32]));
        }
        let runs = builder.sorter.spilled_runs();
        (runs, builder.build("dump.jsonl".into(), None))
    }

    #[test]
    fn a_spilled_index_reads_back_as_the_in_memory_one() {
        let tmp = std::env::temp_dir();
        let (runs, mem) = built(IndexBuilder::with_spill(&tmp, usize::MAX));
        let (runs_disk, disk) = built(IndexBuilder::with_spill(&tmp, 1));
        let nowhere = tmp.join("trailproof-no-such-dir-for-the-index");
        let (runs_failed, kept) = built(IndexBuilder::with_spill(&nowhere, 1));
        assert_eq!((runs, runs_disk, runs_failed), (0, 8, 0));
        let dump = |index: &SourceIndex| format!("{:?} {:?}", index.tenants, index.broken);
        assert_eq!(dump(&mem), dump(&disk));
        assert_eq!(dump(&mem), dump(&kept));
        let z = &mem.tenants["z"];
        let seqs: Vec<(u64, u8)> = z.keys.iter().map(|(seq, key)| (*seq, key[0])).collect();
        assert_eq!(seqs, [(1, 1), (2, 2), (5, 5), (5, 0xee)]);
        assert_eq!(z.max_seq, 5);
        let a = &mem.tenants["a"];
        assert_eq!(a.unhashed, [1]);
        assert!(a.holds(1) && a.holds(3) && !a.holds(4));
        assert_eq!(a.seqs(), [1, 2, 3]);
        assert!(mem.broken.is_none());
    }
}
