//! Cross-source reconciliation: record sources are reconciled with each other, record by
//! record, whatever their kind (a SQLite file against a pg_dump, two JSON Lines files, a dump
//! against the live records).
//!
//! Each source keeps a compact index while it streams (see `index`). When every source has
//! streamed ([`Case::report`]), each pair of sources sharing a tenant is walked seq by seq:
//! `record_diverged` where both hold a seq with different content, `record_missing` where one
//! holds a seq the other covers (a whole chain up to its last seq; a subset source only the
//! records of its scope) but lacks. Field-level diffs need both records: the later source keeps
//! the few that already disagree with an earlier one as it streams ([`KEEP_LIMIT`] at most),
//! and the earlier one is read again ([`SourceRun::set_reread`]), keeping only the records
//! asked for, its SHA-256 checked against the first read. The same targeted second pass tests an
//! earlier source's records against a later subset source's scope.
//!
//! Invariants:
//! * every pair of sources sharing a tenant ends in one `cross_source` check per tenant (failed,
//!   passed, or not possible when a test it needed could not be made), or one not-possible check
//!   when either index is broken;
//! * a source that cannot be read again, or whose bytes changed since the first read, is
//!   reported (`cross_source_reread` not possible) and its divergences still stand, without
//!   their fields;
//! * a subset source is never blamed for lacking records outside its scope.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::diff::diverged;
use super::index::{content_key, IndexBuilder, SourceIndex};
use super::source_run::{Reread, SourceRun};
use super::Case;
use crate::finding::{Check, Code, Finding, Status};
use crate::json::Value;
use crate::record::{self, Checked, RawRecord};
use crate::scope::Scope;

/// At most this many records of one source are kept while it streams, for the field-level diffs
/// of records that disagree with an earlier source; beyond it, the source is read again.
const KEEP_LIMIT: usize = 10_000;

/// A record source after it streamed.
pub(super) struct Finished {
    pub(super) input: String,
    /// The index while it is still in its external sort (until a pair needs it) ...
    pub(super) pending: Mutex<Option<(Box<IndexBuilder>, Option<Scope>)>>,
    /// ... and once read.
    pub(super) index: OnceLock<Arc<SourceIndex>>,
    pub(super) sha256: String,
    pub(super) reread: Option<Reread>,
    /// Records of this source that disagreed with an earlier source as it streamed.
    pub(super) kept: BTreeMap<(String, u64), Value>,
    /// (position of an earlier subset source, tenant, seq): records of this source in that
    /// source's scope and range that it lacks.
    pub(super) hits: Vec<(usize, String, u64)>,
}

impl std::fmt::Debug for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finished")
            .field("input", &self.input)
            .field("sha256", &self.sha256)
            .field("rereadable", &self.reread.is_some())
            .field("kept", &self.kept.len())
            .field("hits", &self.hits.len())
            .finish()
    }
}

impl Finished {
    /// The source's index, read into memory the first time it is asked for.
    pub(super) fn index(&self) -> Arc<SourceIndex> {
        self.index
            .get_or_init(|| {
                let pending = self
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                let (b, subset) = pending.unwrap_or_else(|| (Box::default(), None));
                Arc::new(b.build(self.input.clone(), subset))
            })
            .clone()
    }
}

/// One pair of record sources, one tenant: what reconciliation found.
struct Pair {
    /// Positions of the earlier and the later source.
    e: usize,
    l: usize,
    tenant: String,
    compared: u64,
    /// Seqs held by one of them but unreadable (not canonical) in one.
    unreadable: u64,
    diverged: Vec<u64>,
    /// Seqs absent from the earlier / the later source.
    missing_e: BTreeSet<u64>,
    missing_l: BTreeSet<u64>,
    /// Seqs of the earlier source to test against the later (subset) source's scope.
    scope_candidates: u64,
    /// Why those could not be tested, if they could not.
    scope_untested: Option<String>,
}

impl SourceRun {
    /// Cross-source part of [`SourceRun::absorb`]: against every earlier source, keeps the
    /// record where it disagrees (for the field diff later) and notes records an earlier subset
    /// source should hold but lacks; then adds the record's content key to the index.
    pub(super) fn index_record(&mut self, t: &str, seq: u64, c: &Checked) {
        let key = content_key(c);
        for (pos, p) in self.peers.iter().enumerate() {
            let Some(pt) = p.tenants.get(t) else {
                continue;
            };
            let (Some(k), Some(rec)) = (key, c.record.as_ref()) else {
                continue;
            };
            let at = pt.at(seq);
            if !at.is_empty() {
                if !at.iter().any(|(_, x)| *x == k)
                    && self.kept.len() < KEEP_LIMIT
                    && !self.kept.contains_key(&(t.to_string(), seq))
                {
                    self.kept.insert((t.to_string(), seq), rec.clone());
                }
            } else if seq <= pt.max_seq && pt.unhashed.binary_search(&seq).is_err() {
                if let Some(scope) = &p.subset {
                    if scope.matches(rec) {
                        self.hits.push((pos, t.to_string(), seq));
                    }
                }
            }
        }
        self.index.push(t, seq, key);
    }
}

impl Case {
    /// Reconciles every pair of record sources that share a tenant, record by record (see the
    /// module documentation). Called by [`Case::report`], once every source has streamed.
    pub(super) fn reconcile(&mut self) {
        let n = self.sources.len();
        let mut pairs = Vec::new();
        for e in 0..n {
            for l in e + 1..n {
                let (ei, li) = (self.sources[e].index(), self.sources[l].index());
                if let Some(why) = ei.broken.as_ref().or(li.broken.as_ref()) {
                    self.checks.push(
                        Check::new(
                            "cross_source",
                            Status::NotPossible,
                            format!(
                                "{why}: {} and {} are not reconciled record by record",
                                ei.input, li.input
                            ),
                        )
                        .input(&ei.input),
                    );
                    continue;
                }
                for (t, et) in &ei.tenants {
                    let Some(lt) = li.tenants.get(t) else {
                        continue;
                    };
                    let mut p = Pair {
                        e,
                        l,
                        tenant: t.clone(),
                        compared: 0,
                        unreadable: 0,
                        diverged: Vec::new(),
                        missing_e: BTreeSet::new(),
                        missing_l: BTreeSet::new(),
                        scope_candidates: 0,
                        scope_untested: None,
                    };
                    for s in et.seqs() {
                        if lt.holds(s) {
                            let (a, b) = (et.at(s), lt.at(s));
                            if a.is_empty() || b.is_empty() {
                                p.unreadable += 1;
                            } else {
                                p.compared += 1;
                                // Duplicates (already `seq_duplicate`): any record in common agrees.
                                if !a.iter().any(|(_, x)| b.iter().any(|(_, y)| x == y)) {
                                    p.diverged.push(s);
                                }
                            }
                        } else if s <= lt.max_seq {
                            if li.subset.is_none() {
                                p.missing_l.insert(s);
                            } else if !et.at(s).is_empty() {
                                p.scope_candidates += 1;
                            }
                        }
                    }
                    if ei.subset.is_none() {
                        for s in lt.seqs() {
                            if s <= et.max_seq && !et.holds(s) {
                                p.missing_e.insert(s);
                            }
                        }
                    }
                    // Records of the later source in the earlier (subset) source's scope.
                    for (pos, ht, s) in &self.sources[l].hits {
                        if *pos == e && ht == t {
                            p.missing_e.insert(*s);
                        }
                    }
                    pairs.push(p);
                }
            }
        }
        if pairs.is_empty() {
            return;
        }

        // The second, targeted pass: the records each source must show for a field diff, and
        // the scope tests of an earlier source's records against a later subset source.
        let mut want: Vec<BTreeSet<(String, u64)>> = vec![BTreeSet::new(); n];
        for p in &pairs {
            for &s in &p.diverged {
                let k = (p.tenant.clone(), s);
                if !self.sources[p.l].kept.contains_key(&k) {
                    want[p.l].insert(k.clone());
                }
                want[p.e].insert(k);
            }
        }
        let mut got: Vec<BTreeMap<(String, u64), Value>> = vec![BTreeMap::new(); n];
        let mut unavailable: Vec<Option<String>> = vec![None; n];
        for (i, wanted) in want.iter().enumerate() {
            // (pair, later subset source's index, its scope) to test this source's records on.
            let tests: Vec<(usize, Arc<SourceIndex>, Scope)> = pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.e == i && p.scope_candidates > 0)
                .filter_map(|(k, p)| {
                    let li = self.sources[p.l].index();
                    let scope = li.subset.clone()?;
                    Some((k, li, scope))
                })
                .collect();
            if wanted.is_empty() && tests.is_empty() {
                continue;
            }
            let input = self.sources[i].input.clone();
            let Some(mut reread) = self.sources[i].reread.take() else {
                unavailable[i] = Some(format!("{input} cannot be read again"));
                continue;
            };
            let mut records = BTreeMap::new();
            let mut found: Vec<(usize, u64)> = Vec::new();
            let result = reread(&mut |batch: Vec<RawRecord>| {
                let checked: Vec<Checked> = batch
                    .into_par_iter()
                    .with_min_len(64)
                    .map_init(|| Vec::with_capacity(2048), |buf, r| record::check(r, buf))
                    .collect();
                for c in checked {
                    let (Some(t), Some(s), Some(rec)) =
                        (c.tenant_id.as_deref(), c.seq, c.record.as_ref())
                    else {
                        continue;
                    };
                    let k = (t.to_string(), s);
                    if wanted.contains(&k) && !records.contains_key(&k) {
                        records.insert(k, rec.clone());
                    }
                    if c.computed_hash.is_none() {
                        continue;
                    }
                    for (pair, li, scope) in &tests {
                        if pairs[*pair].tenant != t {
                            continue;
                        }
                        let Some(lt) = li.tenants.get(t) else {
                            continue;
                        };
                        if s <= lt.max_seq && !lt.holds(s) && scope.matches(rec) {
                            found.push((*pair, s));
                        }
                    }
                }
            });
            let why = match result {
                Ok(sha) if sha == self.sources[i].sha256 => None,
                Ok(sha) => Some(format!(
                    "{input} changed since it was first read (its SHA-256 is now {sha}, was {})",
                    self.sources[i].sha256
                )),
                Err(e) => Some(format!("{input} cannot be read again: {e}")),
            };
            self.sources[i].reread = Some(reread);
            match why {
                None => {
                    got[i] = records;
                    for (pair, s) in found {
                        pairs[pair].missing_l.insert(s);
                    }
                }
                Some(why) => {
                    self.checks.push(
                        Check::new(
                            "cross_source_reread",
                            Status::NotPossible,
                            format!("{why}: the records needed to reconcile it with other inputs record by record are unavailable"),
                        )
                        .input(&input),
                    );
                    unavailable[i] = Some(why);
                }
            }
        }
        for p in pairs.iter_mut().filter(|p| p.scope_candidates > 0) {
            p.scope_untested = unavailable[p.e].clone();
        }

        for p in pairs {
            self.pair_findings(p, &got, &unavailable);
        }
    }

    /// The findings and the `cross_source` check of one reconciled pair.
    fn pair_findings(
        &mut self,
        p: Pair,
        got: &[BTreeMap<(String, u64), Value>],
        unavailable: &[Option<String>],
    ) {
        let t = p.tenant.as_str();
        let ei = self.sources[p.e].index();
        let li = self.sources[p.l].index();
        let (ein, lin) = (ei.input.as_str(), li.input.as_str());
        let mut no_fields = 0;
        for &s in &p.diverged {
            let k = (p.tenant.clone(), s);
            let left = got[p.e].get(&k);
            let right = self.sources[p.l].kept.get(&k).or_else(|| got[p.l].get(&k));
            let f = match (left, right) {
                (Some(a), Some(b)) => diverged(Some(t), s, ein, a, lin, b),
                _ => {
                    no_fields += 1;
                    let why = [&unavailable[p.e], &unavailable[p.l]]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ");
                    Finding::new(
                        Code::RecordDiverged,
                        Some(t),
                        Some(s),
                        format!(
                            "{} differs between {ein} and {lin} (their content hashes differ); the differing fields cannot be shown: {why}",
                            record::describe(Some(t), Some(s))
                        ),
                    )
                    .input(ein)
                    .other_input(lin)
                }
            };
            self.findings.push(f);
        }
        let missing = |holder: &SourceIndex, lacking: &SourceIndex, s: u64| {
            let max = lacking.tenants.get(t).map(|x| x.max_seq).unwrap_or(0);
            let covers = match &lacking.subset {
                Some(scope) => format!(
                    "which holds the records of its scope ({}) up to seq {max}",
                    scope.summary(None)
                ),
                None => format!("which holds tenant {t}'s chain up to seq {max}"),
            };
            Finding::new(
                Code::RecordMissing,
                Some(t),
                Some(s),
                format!(
                    "{} holds {} but {}, {covers}, does not: it was deleted from {}, or inserted into {}",
                    holder.input,
                    record::describe(Some(t), Some(s)),
                    lacking.input,
                    lacking.input,
                    holder.input
                ),
            )
            .input(&lacking.input)
            .other_input(&holder.input)
        };
        for &s in &p.missing_l {
            self.findings.push(missing(&ei, &li, s));
        }
        for &s in &p.missing_e {
            self.findings.push(missing(&li, &ei, s));
        }
        let mut detail = format!(
            "{ein} against {lin}, record by record: {} seq(s) held by both compared, {} differ; {} absent from {ein}, {} absent from {lin}",
            p.compared,
            p.diverged.len(),
            p.missing_e.len(),
            p.missing_l.len()
        );
        for (src, other) in [(&ei, &li), (&li, &ei)] {
            if let Some(scope) = &src.subset {
                detail.push_str(&format!(
                    "; {} holds only the scope {}, so only records of that scope are expected in it (of {} up to seq {})",
                    src.input,
                    scope.summary(None),
                    other.input,
                    src.tenants.get(t).map(|x| x.max_seq).unwrap_or(0)
                ));
            }
        }
        if p.unreadable > 0 {
            detail.push_str(&format!(
                "; {} seq(s) not canonical in one of them, not compared (see not_canonical)",
                p.unreadable
            ));
        }
        if let Some(why) = &p.scope_untested {
            detail.push_str(&format!(
                "; {} record(s) of {ein} that {lin} lacks were not tested against its scope: {why}",
                p.scope_candidates
            ));
        }
        if no_fields > 0 {
            detail.push_str(&format!(
                "; the differing fields of {no_fields} record(s) cannot be shown"
            ));
        }
        let failed = !p.diverged.is_empty() || !p.missing_e.is_empty() || !p.missing_l.is_empty();
        let reread_failed = p.scope_untested.is_some() && self.sources[p.e].reread.is_some();
        let check = if failed {
            Check::new("cross_source", Status::Failed, detail)
        } else if reread_failed {
            Check::new("cross_source", Status::NotPossible, detail)
        } else {
            Check::new("cross_source", Status::Passed, detail)
        };
        self.checks.push(check.input(ein).tenant(t));
    }
}
