//! One record source being read ([`SourceRun`]): batches of raw records are canonicalized and
//! hashed on all cores, then absorbed one by one in input order.
//!
//! Absorbing a record notes what is wrong with it alone (`not_canonical`,
//! `record_hash_mismatch`), checks it against the exports of the case (see `exports`), keeps
//! what reconciliation with other sources needs (see `reconcile` and `index`), and adds its
//! compact entry to the chain analysis.
//!
//! Invariants:
//! * records are absorbed in input order, whatever the number of threads;
//! * the full record is kept only where an export or an earlier source of its tenant may compare
//!   it; every other record is dropped on the worker that checked it, so memory stays flat.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::exports::Watch;
use super::index::{IndexBuilder, SourceIndex};
use crate::chain::{Chains, Entry, Mode};
use crate::export::hash_finding;
use crate::finding::{Check, Code, Finding};
use crate::json::Value;
use crate::record::{self, Checked, RawRecord};
use crate::scope::Scope;

/// Reads a record source again from its start for the second, targeted pass of cross-source
/// reconciliation: hands every batch of raw records to the sink, in the order of the first read,
/// and returns the SHA-256 (lowercase hex) of the bytes read, or why it could not read them.
pub type Reread = Box<dyn FnMut(&mut dyn FnMut(Vec<RawRecord>)) -> Result<String, String> + Send>;

/// One record source being read. Feed it batches, then hand it to [`Case::finish_source`].
pub struct SourceRun {
    pub(super) path: String,
    pub(super) kind: String,
    pub(super) mode: Mode,
    pub(super) chains: Chains,
    pub(super) findings: Vec<Finding>,
    pub(super) records: u64,
    pub(super) hash_failures: usize,
    pub(super) canonical_failures: usize,
    pub(super) watches: Vec<Watch>,
    pub(super) watch_checks: Vec<Check>,
    /// The scope of a subset source.
    pub(super) subset: Option<Scope>,
    /// Record sources finished before this one started, in case order.
    pub(super) peers: Vec<Arc<SourceIndex>>,
    pub(super) index: IndexBuilder,
    pub(super) kept: BTreeMap<(String, u64), Value>,
    pub(super) hits: Vec<(usize, String, u64)>,
    pub(super) reread: Option<Reread>,
}

impl SourceRun {
    /// Records absorbed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Tells the case how to read this source again, should reconciliation with another source
    /// need some of its records (field-level diffs, scope tests). A source without one (live
    /// records) is still compared by content key; what needs its records is reported as such.
    pub fn set_reread(&mut self, reread: Reread) {
        self.reread = Some(reread);
    }

    /// Canonicalizes and hashes a batch on all cores, then absorbs it in input order.
    pub fn push_batch(&mut self, batch: Vec<RawRecord>) {
        self.push_checked(batch, false, |_| (), |_, ()| ());
    }

    /// Like [`SourceRun::push_batch`], and shows every checked record to someone else too (the
    /// timeline), so one read of the input serves both: `prepare` gets it, full record included,
    /// on the worker that checked it; `seen` then gets it (its full record only where the case
    /// still needs it) with what `prepare` made of it, in input order, before it is absorbed.
    pub fn push_batch_seen<T: Send>(
        &mut self,
        batch: Vec<RawRecord>,
        prepare: impl Fn(&Checked) -> T + Sync,
        seen: impl FnMut(&Checked, T),
    ) {
        self.push_checked(batch, true, prepare, seen);
    }

    /// Checks a batch on all cores; `prepare` sees every full record when `prepared` is set,
    /// and otherwise gets records only where the case needs them.
    fn push_checked<T: Send>(
        &mut self,
        batch: Vec<RawRecord>,
        prepared: bool,
        prepare: impl Fn(&Checked) -> T + Sync,
        mut seen: impl FnMut(&Checked, T),
    ) {
        // The full record is only needed where an export of its tenant may compare it; drop it
        // on the worker otherwise, so the sequential part neither frees it nor waits for it.
        // Earlier record sources compare it too (cross-source reconciliation).
        let watched: BTreeSet<&str> = self
            .watches
            .iter()
            .map(|w| w.tenant.as_str())
            .chain(
                self.peers
                    .iter()
                    .flat_map(|p| p.tenants.keys().map(String::as_str)),
            )
            .collect();
        let checked: Vec<(Checked, T)> = batch
            .into_par_iter()
            .with_min_len(64)
            .map_init(
                || Vec::with_capacity(2048),
                |buf, r| {
                    let wanted = |t: Option<&str>| t.is_some_and(|t| watched.contains(t));
                    let mut c = record::check_keeping(r, buf, |t| prepared || wanted(t));
                    let t = prepare(&c);
                    if !wanted(c.tenant_id.as_deref()) {
                        c.record = None;
                    }
                    (c, t)
                },
            )
            .collect();
        for (c, t) in checked {
            seen(&c, t);
            self.absorb(c);
        }
    }

    /// Absorbs one checked record (sequential part: findings, chain entry, cross-checks).
    pub fn absorb(&mut self, c: Checked) {
        self.records += 1;
        let path = self.path.as_str();
        if !c.problems.is_empty() {
            self.canonical_failures += 1;
            self.findings.push(
                Finding::new(
                    Code::NotCanonical,
                    c.tenant_id.as_deref(),
                    c.seq,
                    format!(
                        "{} cannot be brought to canonical form: {}",
                        record::describe(c.tenant_id.as_deref(), c.seq),
                        c.problems.join("; ")
                    ),
                )
                .input(path)
                .at(c.loc),
            );
        }
        if let Some(f) = hash_finding(&c, path) {
            self.hash_failures += 1;
            self.findings.push(f);
        }
        self.check_against_exports(&c);
        if let (Some(t), Some(seq)) = (c.tenant_id.as_deref(), c.seq) {
            self.index_record(t, seq, &c);
        }
        if let Some((t, e)) = Entry::from_checked(&c) {
            self.chains.push(t, e);
        }
    }
}
