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
use super::reconcile::{RecordKey, SubsetGap};
use crate::chain::{Chains, Entry, Mode, TenantSummary, ORDERED_KEEP};
use crate::export::hash_finding;
use crate::finding::{Check, Code, Finding, Status};
use crate::json::Value;
use crate::record::{self, Checked, Keep, RawRecord};
use crate::recovery::Commitments;
use crate::scope::Scope;

/// Places (tenant → seqs) where the case wants to know what a record source holds: the seq of
/// each recovered record still to be graded, and the seq after it.
pub type Wanted = BTreeMap<String, BTreeSet<u64>>;

/// Reads a record source again from its start (for its chains, or for the second, targeted
/// pass of cross-source reconciliation): hands every batch of raw records to the sink, in the
/// order of the first read, with the bytes of the source read so far, and returns the SHA-256
/// (lowercase hex) of the bytes read, or why it could not read them.
pub type Reread =
    Box<dyn FnMut(&mut dyn FnMut(Vec<RawRecord>, u64)) -> Result<String, String> + Send>;

/// How far a second read of a source for its chains went ([`Case::finish_source_reporting`]):
/// said once when it starts, then after every batch.
///
/// [`Case::finish_source_reporting`]: super::Case::finish_source_reporting
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAgain {
    /// The source is read again from its start.
    Started,
    /// So far into the second read.
    Advanced {
        /// Bytes of the source read again.
        bytes: u64,
        /// Records read again.
        records: u64,
    },
}

/// One record source being read. Feed it batches, then hand it to [`Case::finish_source`].
///
/// [`Case::finish_source`]: super::Case::finish_source
pub struct SourceRun {
    /// The source's path.
    pub(super) path: String,
    /// The source's detected kind.
    pub(super) kind: String,
    pub(super) mode: Mode,
    pub(super) chains: Chains,
    pub(super) findings: Vec<Finding>,
    pub(super) records: u64,
    pub(super) hash_failures: usize,
    pub(super) canonical_failures: usize,
    /// The exports this source is checked against.
    pub(super) watches: Vec<Watch>,
    /// Their checks, once the source has streamed.
    pub(super) watch_checks: Vec<Check>,
    /// The scope of a subset source.
    pub(super) subset: Option<Scope>,
    /// Record sources finished before this one started, in case order.
    pub(super) peers: Vec<Arc<SourceIndex>>,
    pub(super) index: IndexBuilder,
    /// Records that disagree with an earlier source (for field diffs).
    pub(super) kept: BTreeMap<RecordKey, Value>,
    /// Records that an earlier subset source lacks.
    pub(super) subset_gaps: Vec<SubsetGap>,
    pub(super) reread: Option<Reread>,
    /// Where the case's recovered records lie (see [`Wanted`]).
    recovery_wanted: Arc<Wanted>,
    /// What this source commits to there.
    pub(super) recovery_seen: Commitments,
}

impl SourceRun {
    /// A source named `path` of kind `kind`, analysed in `mode`, checked against `watches` and
    /// the indexes of the sources finished before it (`peers`).
    pub(super) fn new(
        path: &str,
        kind: &str,
        mode: Mode,
        subset: Option<Scope>,
        watches: Vec<Watch>,
        peers: Vec<Arc<SourceIndex>>,
        recovery_wanted: Arc<Wanted>,
    ) -> SourceRun {
        SourceRun {
            path: path.to_string(),
            kind: kind.to_string(),
            mode,
            chains: Chains::default().scanning(path, mode),
            findings: Vec::new(),
            records: 0,
            hash_failures: 0,
            canonical_failures: 0,
            watches,
            watch_checks: Vec::new(),
            subset,
            peers,
            index: IndexBuilder::default(),
            kept: BTreeMap::new(),
            subset_gaps: Vec::new(),
            reread: None,
            recovery_wanted,
            recovery_seen: Commitments::new(),
        }
    }

    /// The checks of the source's records on their own: `record_hashes`, `canonical_form`, and
    /// `records_present` (not possible) when it holds none.
    pub(super) fn record_checks(&self) -> Vec<Check> {
        let path = self.path.as_str();
        let mut checks = vec![
            Check::outcome(
                "record_hashes",
                self.hash_failures > 0,
                format!(
                    "each of the {} records hashes to its own hash ({} do not)",
                    self.records, self.hash_failures
                ),
            )
            .input(path),
            Check::outcome(
                "canonical_form",
                self.canonical_failures > 0,
                format!(
                    "each record is readable and can be brought to canonical form ({} cannot)",
                    self.canonical_failures
                ),
            )
            .input(path),
        ];
        if self.records == 0 {
            checks.push(
                Check::new(
                    "records_present",
                    Status::NotPossible,
                    "the input holds no records",
                )
                .input(path),
            );
        }
        checks
    }

    /// Records absorbed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Tells the case how to read this source again, should reconciliation with another source
    /// need some of its records (field-level diffs, scope tests). A source without one (live
    /// records) is still compared by content key; what needs its records is reported as such.
    ///
    /// A source that can be read again keeps no chain entries past [`ORDERED_KEEP`] bytes while
    /// each tenant arrives in seq order (its chains are then checked as they arrive); one
    /// record out of that order after that, and the chains are checked from a second read.
    pub fn set_reread(&mut self, reread: Reread) {
        self.set_reread_keeping(reread, ORDERED_KEEP);
    }

    /// [`SourceRun::set_reread`], keeping at most `keep` bytes of chain entries while every
    /// tenant arrives in order.
    pub fn set_reread_keeping(&mut self, reread: Reread, keep: usize) {
        self.reread = Some(reread);
        self.chains = std::mem::take(&mut self.chains).rereadable(keep);
    }

    /// The chain findings, checks and tenant summaries of this source, once it has streamed:
    /// from the chains kept while reading it or, when they dropped their entries and then met
    /// one out of order, from a second read whose SHA-256 must equal the first read's
    /// (`sha256`). A second read that fails or differs leaves the chain checks not possible.
    pub(super) fn analyze_chains(
        &mut self,
        sha256: &str,
        progress: &mut dyn FnMut(ReadAgain),
    ) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>) {
        let chains = std::mem::take(&mut self.chains);
        let (path, mode) = (self.path.as_str(), self.mode);
        if !chains.needs_reread() {
            return chains.analyze(path, mode);
        }
        let mut again = Chains::default();
        let reread = self.reread.as_mut();
        if reread.is_some() {
            progress(ReadAgain::Started);
        }
        let mut records = 0u64;
        // As on the first read, the reader reads the next batch while the last one is checked.
        let read = std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawRecord>>(2);
            let again = &mut again;
            let checking = s.spawn(move || {
                for batch in rx {
                    for (tenant, entry) in chain_entries(batch) {
                        again.push(&tenant, entry);
                    }
                }
            });
            let read = match reread {
                Some(reread) => reread(&mut |batch, bytes| {
                    records += batch.len() as u64;
                    // A checker that stopped is reported below.
                    let _ = tx.send(batch);
                    progress(ReadAgain::Advanced { bytes, records });
                }),
                None => Err("no reader was given for it".into()),
            };
            drop(tx);
            checking
                .join()
                .map_err(|_| "the checking thread panicked".to_string())
                .and(read)
        });
        let what = match read {
            Ok(digest) if digest == sha256 => return again.analyze(path, mode),
            Ok(digest) => format!(
                "the input read again is not the one read first (SHA-256 {digest}, first {sha256})"
            ),
            Err(e) => format!("the input could not be read again ({e})"),
        };
        let why = format!("a record arrived out of seq order after the chain entries were dropped to keep memory flat, and {what}, so the chain was not checked");
        chains.not_checked(path, mode, &why)
    }

    /// Canonicalizes and hashes a batch on all cores, then absorbs it in input order.
    pub fn push_batch(&mut self, batch: Vec<RawRecord>) {
        let checked = self.checker().check(batch, false, |_| ());
        self.absorb_checked(checked, |_, ()| ());
    }

    /// The parallel half of reading this source, which may run on another thread (checking the
    /// next batch while this run absorbs the one before): see [`Checker`].
    pub fn checker(&self) -> Checker {
        // The full record is only needed where an export of its tenant may compare it; it is
        // dropped on the worker otherwise, so the sequential part neither frees it nor waits for
        // it. Earlier record sources compare it too (cross-source reconciliation), and so do
        // the recovered records still to be graded.
        let watched = self
            .watches
            .iter()
            .map(|watch| watch.tenant.clone())
            .chain(
                self.peers
                    .iter()
                    .flat_map(|peer| peer.tenants.keys().cloned()),
            )
            .chain(self.recovery_wanted.keys().cloned())
            .collect();
        Checker { watched }
    }

    /// Absorbs a batch [`Checker::check`] checked, in input order: `seen` gets each record
    /// (its full record only where the case still needs it) with what `prepare` made of it,
    /// before it is absorbed.
    pub fn absorb_checked<T>(
        &mut self,
        checked: Vec<(Checked, T)>,
        mut seen: impl FnMut(&Checked, T),
    ) {
        for (checked, prepared_value) in checked {
            seen(&checked, prepared_value);
            self.absorb(checked);
        }
    }

    /// Absorbs one checked record (sequential part: findings, chain entry, cross-checks).
    pub fn absorb(&mut self, checked: Checked) {
        self.records += 1;
        let path = self.path.as_str();
        if !checked.problems.is_empty() {
            self.canonical_failures += 1;
            self.findings.push(
                Finding::new(
                    Code::NotCanonical,
                    checked.tenant_id.as_deref(),
                    checked.seq,
                    format!(
                        "{} cannot be brought to canonical form: {}",
                        record::describe(checked.tenant_id.as_deref(), checked.seq),
                        checked.problems.join("; ")
                    ),
                )
                .input(path)
                .at(checked.loc),
            );
        }
        if let Some(finding) = hash_finding(&checked, path) {
            self.hash_failures += 1;
            self.findings.push(finding);
        }
        self.check_against_exports(&checked);
        if let (Some(tenant), Some(seq)) = (checked.tenant_id.as_deref(), checked.seq) {
            self.index_record(tenant, seq, &checked);
            if self
                .recovery_wanted
                .get(tenant)
                .is_some_and(|seqs| seqs.contains(&seq))
            {
                self.recovery_seen.add_current(&checked);
            }
        }
        if let Some((tenant, entry)) = Entry::from_checked(&checked) {
            self.chains.push(tenant, entry);
        }
    }
}

/// The tenant and chain entry of each record of `batch` that has both, in input order, checked
/// on all cores.
fn chain_entries(batch: Vec<RawRecord>) -> Vec<(String, Entry)> {
    on_all_cores(batch, |raw, buffer| {
        let checked = record::check_with(raw, buffer, |_| Keep::Nothing);
        Entry::from_checked(&checked).map(|(tenant, entry)| (tenant.to_owned(), entry))
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `f` applied to every record of `batch` on all cores, in input order; each worker lends it
/// one buffer for canonical bytes, reused from record to record.
pub(super) fn on_all_cores<T: Send>(
    batch: Vec<RawRecord>,
    f: impl Fn(RawRecord, &mut Vec<u8>) -> T + Sync + Send,
) -> Vec<T> {
    batch
        .into_par_iter()
        .with_min_len(64)
        .map_init(|| Vec::with_capacity(2048), |buffer, raw| f(raw, buffer))
        .collect()
}

/// Checks a source's batches on all cores ([`SourceRun::checker`]): canonicalizes and hashes
/// each record, keeping its full record only for the tenants the case compares. Holds no
/// reference to the run, so it can check the next batch on another thread while the run
/// absorbs the one before ([`SourceRun::absorb_checked`]).
pub struct Checker {
    watched: BTreeSet<String>,
}

impl Checker {
    /// Checks `batch` on all cores; `prepare` sees every record, its full record (or its
    /// canonical text) included, when `prepare_every_record` is set, and otherwise records only
    /// where the case needs them. In input order.
    pub fn check<T: Send>(
        &self,
        batch: Vec<RawRecord>,
        prepare_every_record: bool,
        prepare: impl Fn(&Checked) -> T + Sync,
    ) -> Vec<(Checked, T)> {
        on_all_cores(batch, |raw, buffer| {
            self.check_one(raw, buffer, prepare_every_record, &prepare)
        })
    }

    /// Like [`Checker::check`], on the calling thread alone: for callers that check several
    /// batches at once, one per thread, rather than one batch at a time on all cores.
    pub fn check_here<T>(
        &self,
        batch: Vec<RawRecord>,
        prepare_every_record: bool,
        prepare: impl Fn(&Checked) -> T,
    ) -> Vec<(Checked, T)> {
        let mut buffer = Vec::with_capacity(2048);
        batch
            .into_iter()
            .map(|raw| self.check_one(raw, &mut buffer, prepare_every_record, &prepare))
            .collect()
    }

    /// One record of [`Checker::check`], canonicalized into `buffer`.
    fn check_one<T>(
        &self,
        raw: RawRecord,
        buffer: &mut Vec<u8>,
        prepare_every_record: bool,
        prepare: &impl Fn(&Checked) -> T,
    ) -> (Checked, T) {
        let watched = &self.watched;
        let wanted = |tenant: Option<&str>| tenant.is_some_and(|tenant| watched.contains(tenant));
        // `prepare` reads a record's members from its canonical text or its row cells
        // ([`record::Kept`]); the tree is built only where the case compares the record.
        let keep = |tenant: Option<&str>| {
            if wanted(tenant) {
                Keep::Record
            } else if prepare_every_record {
                Keep::TextOrRecord
            } else {
                Keep::Nothing
            }
        };
        let mut checked = if prepare_every_record {
            record::check_with_members(raw, buffer, keep)
        } else {
            record::check_with(raw, buffer, keep)
        };
        let prepared_value = prepare(&checked);
        checked.kept = None;
        if !wanted(checked.tenant_id.as_deref()) {
            checked.record = None;
        }
        (checked, prepared_value)
    }
}
