//! Cross-source reconciliation: record sources are reconciled with each other, record by
//! record, whatever their kind (a SQLite file against a pg_dump, two JSON Lines files, a dump
//! against the live records).
//!
//! Each source keeps a compact index while it streams (see `index`), and notes what an earlier
//! source already tells about its records ([`SourceRun::index_record`]). When every source has
//! streamed ([`Case::report`]), reconciliation runs in three steps:
//! 1. [`Case::compare_indexes`]: each pair of sources sharing a tenant is walked seq by seq,
//!    index against index: a seq both hold with different content is diverged; a seq one holds
//!    and the other covers (a whole chain up to its last seq; a subset source only the records
//!    of its scope) but lacks is missing;
//! 2. [`Case::read_sources_again`] (see `reread`): field-level diffs need both records: the later
//!    source kept the few that already disagreed with an earlier one as it streamed
//!    ([`KEEP_LIMIT`] at most), and the earlier one (and the later one, for what it did not
//!    keep) is read again, keeping only the records asked for, its SHA-256 checked against the
//!    first read. The same targeted second pass tests an earlier source's records against a
//!    later subset source's scope;
//! 3. [`Case::pair_findings`]: each pair's `record_diverged` and `record_missing` findings and
//!    its `cross_source` check.
//!
//! Invariants:
//! * every pair of sources sharing a tenant ends in one `cross_source` check for that tenant:
//!   failed when a record differs or is missing, else not possible when a scope test it needed
//!   was not made because reading a source again failed, else passed; a pair with a broken
//!   index ends in one not-possible check instead;
//! * a divergence stands even when its records cannot be had: the finding then says why its
//!   fields cannot be shown;
//! * a subset source is never blamed for lacking records outside its scope.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::diff::diverged;
use super::index::{content_key, IndexBuilder, SourceIndex, TenantIndex};
use super::reread::SecondPass;
use super::source_run::{Reread, SourceRun};
use super::Case;
use crate::finding::{Check, Code, Finding, Status};
use crate::json::Value;
use crate::record::{self, Checked};
use crate::scope::Scope;

/// At most this many records of one source are kept while it streams, for the field-level diffs
/// of records that disagree with an earlier source; beyond it, the source is read again.
const KEEP_LIMIT: usize = 10_000;

/// One record of a source: (tenant, seq).
pub(super) type RecordKey = (String, u64);

/// A record of a later source in the scope of an earlier subset source, which that source
/// lacks though its range covers it (noted as the later source streamed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SubsetGap {
    /// Position of the earlier subset source in the case.
    pub(super) source: usize,
    pub(super) tenant: String,
    pub(super) seq: u64,
}

/// A record source after it streamed.
pub(super) struct Finished {
    pub(super) input: String,
    /// The index while it is still in its external sort (until a pair needs it) ...
    pub(super) pending: Mutex<Option<(Box<IndexBuilder>, Option<Scope>)>>,
    /// ... and once read.
    pub(super) index: OnceLock<Arc<SourceIndex>>,
    /// SHA-256 of the bytes of the first read, lowercase hex.
    pub(super) sha256: String,
    pub(super) reread: Option<Reread>,
    /// Records of this source that disagreed with an earlier source as it streamed.
    pub(super) kept: BTreeMap<RecordKey, Value>,
    /// Records of this source that an earlier subset source lacks.
    pub(super) subset_gaps: Vec<SubsetGap>,
}

impl std::fmt::Debug for Finished {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Finished")
            .field("input", &self.input)
            .field("sha256", &self.sha256)
            .field("rereadable", &self.reread.is_some())
            .field("kept", &self.kept.len())
            .field("subset_gaps", &self.subset_gaps.len())
            .finish()
    }
}

impl Finished {
    /// A source that has streamed, with the SHA-256 of the bytes it parsed: takes its index,
    /// its scope, how to read it again and what it kept for reconciliation.
    pub(super) fn from_run(run: &mut SourceRun, sha256: String) -> Finished {
        let index = std::mem::take(&mut run.index);
        Finished {
            input: run.path.clone(),
            pending: Mutex::new(Some((Box::new(index), run.subset.take()))),
            index: OnceLock::new(),
            sha256,
            reread: run.reread.take(),
            kept: std::mem::take(&mut run.kept),
            subset_gaps: std::mem::take(&mut run.subset_gaps),
        }
    }

    /// The source's index, read into memory the first time it is asked for.
    pub(super) fn index(&self) -> Arc<SourceIndex> {
        self.index
            .get_or_init(|| {
                let pending = self
                    .pending
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take();
                let (builder, subset) = pending.unwrap_or_else(|| (Box::default(), None));
                Arc::new(builder.build(self.input.clone(), subset))
            })
            .clone()
    }
}

/// One pair of record sources, one tenant: what reconciliation found.
pub(super) struct Pair {
    /// Position of the earlier source in the case.
    pub(super) earlier: usize,
    /// Position of the later source in the case.
    pub(super) later: usize,
    pub(super) tenant: String,
    /// Seqs held by both and compared.
    compared: u64,
    /// Seqs held by one of them but unreadable (not canonical) in one.
    unreadable: u64,
    /// Seqs held by both with different content.
    pub(super) diverged: Vec<u64>,
    /// Seqs absent from the earlier source.
    missing_from_earlier: BTreeSet<u64>,
    /// Seqs absent from the later source.
    pub(super) missing_from_later: BTreeSet<u64>,
    /// Seqs of the earlier source to test against the later (subset) source's scope.
    pub(super) scope_candidates: u64,
    /// Why those could not be tested, if they could not.
    pub(super) scope_untested: Option<String>,
}

impl Pair {
    fn new(earlier: usize, later: usize, tenant: &str) -> Pair {
        Pair {
            earlier,
            later,
            tenant: tenant.to_string(),
            compared: 0,
            unreadable: 0,
            diverged: Vec::new(),
            missing_from_earlier: BTreeSet::new(),
            missing_from_later: BTreeSet::new(),
            scope_candidates: 0,
            scope_untested: None,
        }
    }

    /// Walks the seqs of the earlier source: compared or unreadable where both hold them,
    /// diverged where no content key is in common; missing from the later source where it covers
    /// them (or a scope candidate, when the later source is a subset). Then, unless the earlier
    /// source is a subset, the seqs it covers but lacks are missing from it.
    fn compare_seqs(
        &mut self,
        earlier: &SourceIndex,
        earlier_tenant: &TenantIndex,
        later: &SourceIndex,
        later_tenant: &TenantIndex,
    ) {
        for seq in earlier_tenant.seqs() {
            if later_tenant.holds(seq) {
                let (earlier_keys, later_keys) = (earlier_tenant.at(seq), later_tenant.at(seq));
                if earlier_keys.is_empty() || later_keys.is_empty() {
                    self.unreadable += 1;
                } else {
                    self.compared += 1;
                    // Duplicates (already `seq_duplicate`): any record in common agrees.
                    let in_common = earlier_keys.iter().any(|(_, earlier_key)| {
                        later_keys
                            .iter()
                            .any(|(_, later_key)| earlier_key == later_key)
                    });
                    if !in_common {
                        self.diverged.push(seq);
                    }
                }
            } else if seq <= later_tenant.max_seq {
                if later.subset.is_none() {
                    self.missing_from_later.insert(seq);
                } else if !earlier_tenant.at(seq).is_empty() {
                    self.scope_candidates += 1;
                }
            }
        }
        if earlier.subset.is_none() {
            for seq in later_tenant.seqs() {
                if seq <= earlier_tenant.max_seq && !earlier_tenant.holds(seq) {
                    self.missing_from_earlier.insert(seq);
                }
            }
        }
    }

    /// Records of the later source in the earlier (subset) source's scope, noted as the later
    /// source streamed: missing from the earlier source.
    fn add_subset_gaps(&mut self, later_gaps: &[SubsetGap]) {
        for gap in later_gaps {
            if gap.source == self.earlier && gap.tenant == self.tenant {
                self.missing_from_earlier.insert(gap.seq);
            }
        }
    }

    /// Whether the pair differs: a diverged record, or one missing from either source.
    fn failed(&self) -> bool {
        !self.diverged.is_empty()
            || !self.missing_from_earlier.is_empty()
            || !self.missing_from_later.is_empty()
    }
}

impl SourceRun {
    /// Cross-source part of [`SourceRun::absorb`]: against every earlier source, keeps the
    /// record where it disagrees (for the field diff later) and notes records an earlier subset
    /// source should hold but lacks; then adds the record's content key to the index.
    pub(super) fn index_record(&mut self, tenant: &str, seq: u64, checked: &Checked) {
        if self.peers.is_empty() && !self.index.kept() {
            return;
        }
        let key = content_key(checked);
        for (position, peer) in self.peers.iter().enumerate() {
            let Some(peer_tenant) = peer.tenants.get(tenant) else {
                continue;
            };
            let (Some(key), Some(record)) = (key, checked.record.as_ref()) else {
                continue;
            };
            let peer_keys = peer_tenant.at(seq);
            if !peer_keys.is_empty() {
                if !peer_keys.iter().any(|(_, peer_key)| *peer_key == key)
                    && self.kept.len() < KEEP_LIMIT
                    && !self.kept.contains_key(&(tenant.to_string(), seq))
                {
                    self.kept.insert((tenant.to_string(), seq), record.clone());
                }
            } else if seq <= peer_tenant.max_seq
                && peer_tenant.unhashed.binary_search(&seq).is_err()
            {
                if let Some(scope) = &peer.subset {
                    if scope.matches(record) {
                        self.subset_gaps.push(SubsetGap {
                            source: position,
                            tenant: tenant.to_string(),
                            seq,
                        });
                    }
                }
            }
        }
        self.index.push(tenant, seq, key);
    }
}

impl Case {
    /// Reconciles every pair of record sources that share a tenant, record by record (see the
    /// module documentation). Called by [`Case::report`], once every source has streamed.
    pub(super) fn reconcile(&mut self) {
        let mut pairs = self.compare_indexes();
        if pairs.is_empty() {
            return;
        }
        let second_pass = self.read_sources_again(&mut pairs);
        for pair in pairs {
            self.pair_findings(pair, &second_pass);
        }
    }

    /// The first pass: every pair of sources, earlier before later, compared index against
    /// index for each tenant both hold. A pair with a broken index gets a not-possible
    /// `cross_source` check instead.
    fn compare_indexes(&mut self) -> Vec<Pair> {
        let count = self.sources.len();
        let mut pairs = Vec::new();
        for earlier in 0..count {
            for later in earlier + 1..count {
                let earlier_index = self.sources[earlier].index();
                let later_index = self.sources[later].index();
                if let Some(why) = earlier_index
                    .broken
                    .as_ref()
                    .or(later_index.broken.as_ref())
                {
                    self.checks.push(
                        Check::new(
                            "cross_source",
                            Status::NotPossible,
                            format!(
                                "{why}: {} and {} are not reconciled record by record",
                                earlier_index.input, later_index.input
                            ),
                        )
                        .input(&earlier_index.input),
                    );
                    continue;
                }
                for (tenant, earlier_tenant) in &earlier_index.tenants {
                    let Some(later_tenant) = later_index.tenants.get(tenant) else {
                        continue;
                    };
                    let mut pair = Pair::new(earlier, later, tenant);
                    pair.compare_seqs(&earlier_index, earlier_tenant, &later_index, later_tenant);
                    pair.add_subset_gaps(&self.sources[later].subset_gaps);
                    pairs.push(pair);
                }
            }
        }
        pairs
    }

    /// The findings and the `cross_source` check of one reconciled pair.
    fn pair_findings(&mut self, pair: Pair, second_pass: &SecondPass) {
        let earlier = self.sources[pair.earlier].index();
        let later = self.sources[pair.later].index();
        let without_fields = self.diverged_findings(&pair, &earlier, &later, second_pass);
        for &seq in &pair.missing_from_later {
            self.findings
                .push(missing_finding(&pair.tenant, seq, &earlier, &later));
        }
        for &seq in &pair.missing_from_earlier {
            self.findings
                .push(missing_finding(&pair.tenant, seq, &later, &earlier));
        }
        let detail = pair_detail(&pair, &earlier, &later, without_fields);
        let reread_failed =
            pair.scope_untested.is_some() && self.sources[pair.earlier].reread.is_some();
        let status = if pair.failed() {
            Status::Failed
        } else if reread_failed {
            Status::NotPossible
        } else {
            Status::Passed
        };
        self.checks.push(
            Check::new("cross_source", status, detail)
                .input(&earlier.input)
                .tenant(&pair.tenant),
        );
    }

    /// The `record_diverged` findings of one pair, with the differing fields where both records
    /// could be had; returns how many had to go without them.
    fn diverged_findings(
        &mut self,
        pair: &Pair,
        earlier: &SourceIndex,
        later: &SourceIndex,
        second_pass: &SecondPass,
    ) -> usize {
        let tenant = pair.tenant.as_str();
        let mut without_fields = 0;
        for &seq in &pair.diverged {
            let key = (pair.tenant.clone(), seq);
            let earlier_record = second_pass.records[pair.earlier].get(&key);
            let later_record = self.sources[pair.later]
                .kept
                .get(&key)
                .or_else(|| second_pass.records[pair.later].get(&key));
            let finding = match (earlier_record, later_record) {
                (Some(earlier_record), Some(later_record)) => diverged(
                    Some(tenant),
                    seq,
                    &earlier.input,
                    earlier_record,
                    &later.input,
                    later_record,
                ),
                _ => {
                    without_fields += 1;
                    let why = second_pass.why_unavailable(pair);
                    Finding::new(
                        Code::RecordDiverged,
                        Some(tenant),
                        Some(seq),
                        format!(
                            "{} differs between {} and {} (their content hashes differ); the differing fields cannot be shown: {why}",
                            record::describe(Some(tenant), Some(seq)),
                            earlier.input,
                            later.input,
                        ),
                    )
                    .input(&earlier.input)
                    .other_input(&later.input)
                }
            };
            self.findings.push(finding);
        }
        without_fields
    }
}

/// The `record_missing` finding of a seq of `tenant` that `holder` holds and `lacking` covers
/// but lacks.
fn missing_finding(tenant: &str, seq: u64, holder: &SourceIndex, lacking: &SourceIndex) -> Finding {
    let max_seq = lacking
        .tenants
        .get(tenant)
        .map(|lacking_tenant| lacking_tenant.max_seq)
        .unwrap_or(0);
    let covers = match &lacking.subset {
        Some(scope) => format!(
            "which holds the records of its scope ({}) up to seq {max_seq}",
            scope.summary(None)
        ),
        None => format!("which holds tenant {tenant}'s chain up to seq {max_seq}"),
    };
    Finding::new(
        Code::RecordMissing,
        Some(tenant),
        Some(seq),
        format!(
            "{} holds {} but {}, {covers}, does not: it was deleted from {}, or inserted into {}",
            holder.input,
            record::describe(Some(tenant), Some(seq)),
            lacking.input,
            lacking.input,
            holder.input
        ),
    )
    .input(&lacking.input)
    .other_input(&holder.input)
}

/// The detail of a pair's `cross_source` check: what was compared and what differs, what a
/// subset source is expected to hold, and what could not be compared or shown.
fn pair_detail(
    pair: &Pair,
    earlier: &SourceIndex,
    later: &SourceIndex,
    without_fields: usize,
) -> String {
    let tenant = pair.tenant.as_str();
    let (earlier_input, later_input) = (earlier.input.as_str(), later.input.as_str());
    let mut detail = format!(
        "{earlier_input} against {later_input}, record by record: {} seq(s) held by both compared, {} differ; {} absent from {earlier_input}, {} absent from {later_input}",
        pair.compared,
        pair.diverged.len(),
        pair.missing_from_earlier.len(),
        pair.missing_from_later.len()
    );
    for (source, other) in [(earlier, later), (later, earlier)] {
        if let Some(scope) = &source.subset {
            detail.push_str(&format!(
                "; {} holds only the scope {}, so only records of that scope are expected in it (of {} up to seq {})",
                source.input,
                scope.summary(None),
                other.input,
                source
                    .tenants
                    .get(tenant)
                    .map(|source_tenant| source_tenant.max_seq)
                    .unwrap_or(0)
            ));
        }
    }
    if pair.unreadable > 0 {
        detail.push_str(&format!(
            "; {} seq(s) not canonical in one of them, not compared (see not_canonical)",
            pair.unreadable
        ));
    }
    if let Some(why) = &pair.scope_untested {
        detail.push_str(&format!(
            "; {} record(s) of {earlier_input} that {later_input} lacks were not tested against its scope: {why}",
            pair.scope_candidates
        ));
    }
    if without_fields > 0 {
        detail.push_str(&format!(
            "; the differing fields of {without_fields} record(s) cannot be shown"
        ));
    }
    detail
}
