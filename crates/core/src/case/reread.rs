//! The second, targeted pass of cross-source reconciliation: sources are read again
//! ([`super::SourceRun::set_reread`]) for what their indexes cannot tell: the records of a
//! divergence, for its field-level diff, and whether an earlier source's records that a later
//! subset source lacks match that source's scope (then they are missing from it).
//!
//! Invariants:
//! * a source is read again only if a pair needs it, at most once, and only the records asked
//!   for are kept;
//! * what a second read yields is used only if its SHA-256 equals the first read's; a source
//!   that changed or failed to read is reported as a not-possible `cross_source_reread` check,
//!   and one that cannot be read again at all (live records) is noted as unavailable, which the
//!   pair's check and findings then say.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::index::SourceIndex;
use super::reconcile::{Finished, Pair, RecordKey};
use super::source_run::on_all_cores;
use super::Case;
use crate::finding::{Check, Status};
use crate::json::Value;
use crate::record::{self, Checked, RawRecord};
use crate::scope::Scope;

/// What the second pass brought back, per source (by its position in the case).
pub(super) struct SecondPass {
    /// The records read again, for field-level diffs.
    pub(super) records: Vec<BTreeMap<RecordKey, Value>>,
    /// Why a source's records are unavailable, if they are.
    pub(super) unavailable: Vec<Option<String>>,
}

impl SecondPass {
    /// Why the records of either source of `pair` are unavailable (empty if neither's are).
    pub(super) fn why_unavailable(&self, pair: &Pair) -> String {
        [
            &self.unavailable[pair.earlier],
            &self.unavailable[pair.later],
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("; ")
    }
}

/// A test of an earlier source's records against the scope of a later subset source that lacks
/// them: those that match it are missing from the later source.
struct ScopeTest {
    /// Position of the pair among all pairs.
    pair: usize,
    tenant: String,
    later: Arc<SourceIndex>,
    scope: Scope,
}

/// What one source's second read found.
#[derive(Default)]
struct Reading {
    /// The records asked for (the first of each, for a duplicated seq).
    records: BTreeMap<RecordKey, Value>,
    /// (pair, seq): records the later subset source of that pair lacks but should hold.
    missing_from_later: Vec<(usize, u64)>,
}

impl Reading {
    /// Checks one batch of the second read on all cores, then keeps the records `wanted` and
    /// runs the scope `tests` on every record in canonical form, in input order.
    fn scan(&mut self, batch: Vec<RawRecord>, wanted: &BTreeSet<RecordKey>, tests: &[ScopeTest]) {
        let checked: Vec<Checked> = on_all_cores(batch, record::check);
        for checked in checked {
            let (Some(tenant), Some(seq), Some(record)) = (
                checked.tenant_id.as_deref(),
                checked.seq,
                checked.record.as_ref(),
            ) else {
                continue;
            };
            let key = (tenant.to_string(), seq);
            if wanted.contains(&key) && !self.records.contains_key(&key) {
                self.records.insert(key, record.clone());
            }
            if checked.computed_hash.is_none() {
                continue;
            }
            for test in tests.iter().filter(|test| test.tenant == tenant) {
                let Some(later_tenant) = test.later.tenants.get(tenant) else {
                    continue;
                };
                if seq <= later_tenant.max_seq
                    && !later_tenant.holds(seq)
                    && test.scope.matches(record)
                {
                    self.missing_from_later.push((test.pair, seq));
                }
            }
        }
    }
}

/// The records each source must show for the field diffs of the pairs' divergences: the
/// earlier source's always, the later source's unless it kept them as it streamed.
fn records_for_field_diffs(sources: &[Finished], pairs: &[Pair]) -> Vec<BTreeSet<RecordKey>> {
    let mut wanted: Vec<BTreeSet<RecordKey>> = vec![BTreeSet::new(); sources.len()];
    for pair in pairs {
        for &seq in &pair.diverged {
            let key = (pair.tenant.clone(), seq);
            if !sources[pair.later].kept.contains_key(&key) {
                wanted[pair.later].insert(key.clone());
            }
            wanted[pair.earlier].insert(key);
        }
    }
    wanted
}

impl Case {
    /// Reads again every source that a pair needs records or scope tests of; records missing
    /// from later subset sources go into their pairs, and so does why a scope test could not be
    /// made.
    pub(super) fn read_sources_again(&mut self, pairs: &mut [Pair]) -> SecondPass {
        let count = self.sources.len();
        let wanted = records_for_field_diffs(&self.sources, pairs);
        let mut second_pass = SecondPass {
            records: vec![BTreeMap::new(); count],
            unavailable: vec![None; count],
        };
        for (source, wanted) in wanted.iter().enumerate() {
            let tests = self.scope_tests(pairs, source);
            if wanted.is_empty() && tests.is_empty() {
                continue;
            }
            match self.read_source_again(source, wanted, &tests) {
                Ok(reading) => {
                    second_pass.records[source] = reading.records;
                    for (pair, seq) in reading.missing_from_later {
                        pairs[pair].missing_from_later.insert(seq);
                    }
                }
                Err(why) => second_pass.unavailable[source] = Some(why),
            }
        }
        for pair in pairs.iter_mut().filter(|pair| pair.scope_candidates > 0) {
            pair.scope_untested = second_pass.unavailable[pair.earlier].clone();
        }
        second_pass
    }

    /// The scope tests to run on the records of `source`: one for each pair in which it is the
    /// earlier source and the later one is a subset source lacking some of its records.
    fn scope_tests(&self, pairs: &[Pair], source: usize) -> Vec<ScopeTest> {
        pairs
            .iter()
            .enumerate()
            .filter(|(_, pair)| pair.earlier == source && pair.scope_candidates > 0)
            .filter_map(|(position, pair)| {
                let later = self.sources[pair.later].index();
                let scope = later.subset.clone()?;
                Some(ScopeTest {
                    pair: position,
                    tenant: pair.tenant.clone(),
                    later,
                    scope,
                })
            })
            .collect()
    }

    /// Reads `source` again, keeping the `wanted` records and running the scope `tests`, or says
    /// why its records are unavailable. A source that failed to read again or changed since the
    /// first read is also reported as a not-possible `cross_source_reread` check.
    fn read_source_again(
        &mut self,
        source: usize,
        wanted: &BTreeSet<RecordKey>,
        tests: &[ScopeTest],
    ) -> Result<Reading, String> {
        let input = self.sources[source].input.clone();
        let Some(mut reread) = self.sources[source].reread.take() else {
            return Err(format!("{input} cannot be read again"));
        };
        let mut reading = Reading::default();
        let result = reread(&mut |batch: Vec<RawRecord>, _| reading.scan(batch, wanted, tests));
        self.sources[source].reread = Some(reread);
        let first_sha256 = &self.sources[source].sha256;
        let why = match result {
            Ok(sha256) if sha256 == *first_sha256 => return Ok(reading),
            Ok(sha256) => format!(
                "{input} changed since it was first read (its SHA-256 is now {sha256}, was {first_sha256})"
            ),
            Err(error) => format!("{input} cannot be read again: {error}"),
        };
        self.checks.push(
            Check::new(
                "cross_source_reread",
                Status::NotPossible,
                format!("{why}: the records needed to reconcile it with other inputs record by record are unavailable"),
            )
            .input(&input),
        );
        Err(why)
    }
}
