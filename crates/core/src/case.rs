//! A case: every input of one verification run, checked on its own and against each other, and
//! the [`Report`] that comes of it.
//!
//! Order of work: export payloads first ([`Case::add_export`]), so that their chain heads and
//! records are known; then every record source (dumps) streams through a [`SourceRun`], which
//! canonicalizes and hashes each batch on all cores (rayon, output order kept) and checks each
//! record against the exports as it passes: `anchor_mismatch`, `chain_truncated`,
//! `record_diverged`, `record_missing`. Only compact chain entries and the few records an export
//! names are kept, so memory stays flat.
//!
//! Record sources are also reconciled with each other, record by record, whatever their kind (a
//! SQLite file against a pg_dump, two JSON Lines files, a dump against the live records): each
//! keeps a compact index, (tenant, seq) to a 32-byte content key (the stored hash when the
//! record hashes to it), written to an external sort as it streams and only read into memory
//! (40 bytes a record) once another source needs it, so a case of one dump stays in flat memory;
//! and when every source has streamed ([`Case::report`]) each pair of
//! sources sharing a tenant is walked seq by seq: `record_diverged` where both hold a seq with
//! different content, `record_missing` where one holds a seq the other covers (a whole chain up
//! to its last seq; a subset source only the records of its scope) but lacks. Field-level diffs
//! need both records: the later source keeps the few that already disagree with an earlier one
//! as it streams, and the earlier one is read again ([`SourceRun::set_reread`]), keeping only
//! the records asked for, its SHA-256 checked against the first read. The same targeted second
//! pass tests an earlier source's records against a later subset source's scope.
//!
//! Determinism: findings, checks and inputs are sorted before the report is built, and nothing in
//! a report depends on the clock, the time zone or the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::chain::{Chains, Entry, Mode};
use crate::export::{hash_finding, ExportAnchor, PayloadResult};
use crate::finding::{Check, Code, FieldDiff, Finding, Status};
use crate::json::Value;
use crate::record::{self, hex, Checked, Digest, RawRecord};
use crate::report::{InputInfo, InputTenant, Report, Tool};
use crate::scope::Scope;
use crate::spill::{Interner, Sorter};

/// Canonical JSON of a member value, for field diffs (`None` when absent).
fn member_text(v: &Value, k: &str) -> Option<String> {
    v.get(k).map(|x| x.to_string())
}

/// Field-level differences between the same record in two sources.
pub fn field_diffs(left: &Value, right: &Value) -> Vec<FieldDiff> {
    record::differing_fields(left, right)
        .into_iter()
        .map(|f| FieldDiff {
            left: member_text(left, &f),
            right: member_text(right, &f),
            field: f,
        })
        .collect()
}

/// Reads a record source again from its start for the second, targeted pass of cross-source
/// reconciliation: hands every batch of raw records to the sink, in the order of the first read,
/// and returns the SHA-256 (lowercase hex) of the bytes read, or why it could not read them.
pub type Reread = Box<dyn FnMut(&mut dyn FnMut(Vec<RawRecord>)) -> Result<String, String> + Send>;

/// At most this many records of one source are kept while it streams, for the field-level diffs
/// of records that disagree with an earlier source; beyond it, the source is read again.
const KEEP_LIMIT: usize = 10_000;

/// What one record source holds of one tenant: 40 bytes a record.
#[derive(Debug, Default)]
struct TenantIndex {
    /// (seq, content key), sorted by seq; input order within one seq.
    keys: Vec<(u64, Digest)>,
    /// Seqs of records that could not be brought to canonical form (no content key).
    unhashed: Vec<u64>,
    max_seq: u64,
}

impl TenantIndex {
    /// Content keys of the records at `seq` (more than one if the seq is duplicated).
    fn at(&self, seq: u64) -> &[(u64, Digest)] {
        let lo = self.keys.partition_point(|(s, _)| *s < seq);
        let n = self.keys[lo..].partition_point(|(s, _)| *s == seq);
        &self.keys[lo..lo + n]
    }

    fn holds(&self, seq: u64) -> bool {
        !self.at(seq).is_empty() || self.unhashed.binary_search(&seq).is_ok()
    }

    /// Distinct seqs held, ascending.
    fn seqs(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .keys
            .iter()
            .map(|k| k.0)
            .chain(self.unhashed.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// A finished record source, as cross-source reconciliation sees it.
#[derive(Debug)]
struct SourceIndex {
    input: String,
    /// The scope of a subset source ([`Mode::Subset`]): it holds all records of that scope, and
    /// only those.
    subset: Option<Scope>,
    tenants: BTreeMap<String, TenantIndex>,
    /// Why the index could not be read back from its temporary file (it is then empty, and no
    /// pair with this source is reconciled).
    broken: Option<String>,
}

/// Bytes of index entries one source holds in memory before a sorted run of them is written to
/// a temporary file.
const INDEX_BUDGET: usize = 16 << 20;

/// A record source's index while it streams: (tenant, seq) to content key in an external sort,
/// so that a source no other source is compared with never holds it in memory.
struct IndexBuilder {
    tenants: Interner,
    max_seq: Vec<u64>,
    /// (keys, unhashed) per tenant, to size the index exactly.
    counts: Vec<(usize, usize)>,
    sorter: Sorter<(u32, u64), Option<Digest>>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder::with_spill(&std::env::temp_dir(), INDEX_BUDGET)
    }
}

impl IndexBuilder {
    fn with_spill(dir: &std::path::Path, budget: usize) -> Self {
        IndexBuilder {
            tenants: Interner::default(),
            max_seq: Vec::new(),
            counts: Vec::new(),
            sorter: Sorter::new(dir, budget),
        }
    }

    fn push(&mut self, t: &str, seq: u64, key: Option<Digest>) {
        let (id, new) = self.tenants.id(t);
        if new {
            self.max_seq.push(0);
            self.counts.push((0, 0));
        }
        let i = id as usize;
        self.max_seq[i] = self.max_seq[i].max(seq);
        match key {
            Some(_) => self.counts[i].0 += 1,
            None => self.counts[i].1 += 1,
        }
        // A run that cannot be written stays in memory (nothing is lost): keep the rest there too
        // rather than try the disk again on every record.
        if self.sorter.push((id, seq), &key).is_err() {
            self.sorter.keep_in_memory();
        }
    }

    /// The index, read back in (tenant, seq) order; input order is kept within one seq.
    fn build(self, input: String, subset: Option<Scope>) -> SourceIndex {
        let mut v: Vec<TenantIndex> = self
            .counts
            .iter()
            .zip(&self.max_seq)
            .map(|(&(k, u), &max_seq)| TenantIndex {
                keys: Vec::with_capacity(k),
                unhashed: Vec::with_capacity(u),
                max_seq,
            })
            .collect();
        let read = self.sorter.finish().and_then(|sorted| {
            for item in sorted {
                let ((id, seq), key) = item?;
                let ti = &mut v[id as usize];
                match key {
                    Some(k) => ti.keys.push((seq, k)),
                    None => ti.unhashed.push(seq),
                }
            }
            Ok(())
        });
        let broken = read.err().map(|e| {
            format!("the index of {input} could not be read back from its temporary file ({e})")
        });
        let tenants = if broken.is_some() {
            BTreeMap::new()
        } else {
            v.iter_mut().for_each(|ti| ti.unhashed.dedup());
            self.tenants.into_names().into_iter().zip(v).collect()
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
fn content_key(c: &Checked) -> Option<Digest> {
    let computed = c.computed_hash?;
    if c.stored_hash == Some(computed) {
        return Some(computed);
    }
    let mut b = Vec::with_capacity(128);
    b.extend_from_slice(b"trailproof content key\0");
    b.extend_from_slice(&computed);
    match (&c.stored_hash, &c.stored_hash_text) {
        (Some(d), _) => {
            b.push(1);
            b.extend_from_slice(d);
        }
        (None, Some(t)) => {
            b.push(2);
            b.extend_from_slice(t.as_bytes());
        }
        (None, None) => b.push(0),
    }
    Some(record::sha256(&b))
}

/// A record source after it streamed.
struct Finished {
    input: String,
    /// The index while it is still in its external sort (until a pair needs it) ...
    pending: Mutex<Option<(Box<IndexBuilder>, Option<Scope>)>>,
    /// ... and once read.
    index: OnceLock<Arc<SourceIndex>>,
    sha256: String,
    reread: Option<Reread>,
    /// Records of this source that disagreed with an earlier source as it streamed.
    kept: BTreeMap<(String, u64), Value>,
    /// (position of an earlier subset source, tenant, seq): records of this source in that
    /// source's scope and range that it lacks.
    hits: Vec<(usize, String, u64)>,
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
    fn index(&self) -> Arc<SourceIndex> {
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

/// All inputs of one run.
#[derive(Debug, Default)]
pub struct Case {
    inputs: Vec<InputInfo>,
    findings: Vec<Finding>,
    checks: Vec<Check>,
    tenants: Vec<InputTenant>,
    anchors: Vec<ExportAnchor>,
    sources: Vec<Finished>,
}

impl Case {
    pub fn new() -> Self {
        Self::default()
    }

    /// Exports added so far (their anchors).
    pub fn exports(&self) -> &[ExportAnchor] {
        &self.anchors
    }

    /// Adds a verified export payload. `info.records` is filled in from the payload.
    pub fn add_export(&mut self, mut info: InputInfo, r: PayloadResult) {
        info.records = r.records;
        // Two exports of one tenant in one case: same seq must hold the same record.
        for other in &self.anchors {
            if other.tenant_id != r.anchor.tenant_id {
                continue;
            }
            for (seq, rec) in &r.anchor.records {
                if let Some(o) = other.records.get(seq) {
                    if o != rec {
                        self.findings.push(diverged(
                            r.anchor.tenant_id.as_deref(),
                            *seq,
                            &other.input,
                            o,
                            &r.anchor.input,
                            rec,
                        ));
                    }
                }
            }
        }
        self.inputs.push(info);
        self.findings.extend(r.findings);
        self.checks.extend(r.checks);
        let input = r.anchor.input.clone();
        self.tenants
            .extend(r.tenants.into_iter().map(|summary| InputTenant {
                input: input.clone(),
                summary,
            }));
        self.anchors.push(r.anchor);
    }

    /// Adds findings and checks produced outside the core (e.g. a PDF's visible text).
    pub fn add(&mut self, findings: Vec<Finding>, checks: Vec<Check>) {
        self.findings.extend(findings);
        self.checks.extend(checks);
    }

    /// Adds an input that contributes no records (e.g. a PDF without its payload).
    pub fn add_input(&mut self, info: InputInfo) {
        self.inputs.push(info);
    }

    /// Starts reading a record source (a dump) named `path` of kind `kind`.
    pub fn source(&self, path: &str, kind: &str) -> SourceRun {
        self.source_with(path, kind, Mode::Full, None)
    }

    /// Starts reading a record source that holds only the records of `scope` (a live query):
    /// chains are analysed in `mode` ([`Mode::Subset`] unless the scope is a whole tenant), and
    /// only exports of exactly that scope are watched. A subset source that lacks an export's
    /// chain-head seq says nothing about it (the head may lie outside the scope): the caller
    /// checks that anchor itself.
    pub fn source_scoped(&self, path: &str, kind: &str, mode: Mode, scope: &Scope) -> SourceRun {
        self.source_with(path, kind, mode, Some(scope))
    }

    fn source_with(&self, path: &str, kind: &str, mode: Mode, only: Option<&Scope>) -> SourceRun {
        let subset = if mode == Mode::Subset {
            only.cloned()
        } else {
            None
        };
        let watches = self
            .anchors
            .iter()
            .filter(|a| only.is_none() || a.scope.as_ref() == only)
            .filter_map(|a| {
                Some(Watch {
                    tenant: a.tenant_id.clone()?,
                    input: a.input.clone(),
                    scope: a.scope.clone(),
                    legacy: a.legacy_search,
                    head: a.chain_head,
                    records: a.records.clone(),
                    seen: BTreeSet::new(),
                    head_seen: false,
                    max_seq: 0,
                    tenant_present: false,
                })
            })
            .collect();
        SourceRun {
            path: path.to_string(),
            kind: kind.to_string(),
            mode,
            chains: Chains::default(),
            findings: Vec::new(),
            records: 0,
            hash_failures: 0,
            canonical_failures: 0,
            watches,
            watch_checks: Vec::new(),
            subset,
            peers: self.sources.iter().map(Finished::index).collect(),
            index: IndexBuilder::default(),
            kept: BTreeMap::new(),
            hits: Vec::new(),
            reread: None,
        }
    }

    /// Closes a record source with the size and SHA-256 of the bytes it parsed.
    pub fn finish_source(&mut self, mut run: SourceRun, size: u64, sha256: String) {
        let path = run.path.clone();
        let (f, c, s) = std::mem::take(&mut run.chains).analyze(&path, run.mode);
        let n = run.records;
        self.checks.push(
            Check::outcome(
                "record_hashes",
                run.hash_failures > 0,
                format!(
                    "each of the {n} records hashes to its own hash ({} do not)",
                    run.hash_failures
                ),
            )
            .input(&path),
        );
        self.checks.push(
            Check::outcome(
                "canonical_form",
                run.canonical_failures > 0,
                format!(
                    "each record is readable and can be brought to canonical form ({} cannot)",
                    run.canonical_failures
                ),
            )
            .input(&path),
        );
        if n == 0 {
            self.checks.push(
                Check::new(
                    "records_present",
                    Status::NotPossible,
                    "the input holds no records",
                )
                .input(&path),
            );
        }
        run.finish_watches();
        self.findings.extend(run.findings);
        self.findings.extend(f);
        self.checks.extend(c);
        self.tenants
            .extend(s.into_iter().map(|summary| InputTenant {
                input: path.clone(),
                summary,
            }));
        self.checks.extend(run.watch_checks);
        let index = std::mem::take(&mut run.index);
        self.sources.push(Finished {
            input: path.clone(),
            pending: Mutex::new(Some((Box::new(index), run.subset.take()))),
            index: OnceLock::new(),
            sha256: sha256.clone(),
            reread: run.reread.take(),
            kept: std::mem::take(&mut run.kept),
            hits: std::mem::take(&mut run.hits),
        });
        self.inputs.push(InputInfo {
            path,
            kind: run.kind,
            size,
            sha256,
            records: n,
        });
    }

    /// Builds the report. `version` is the tool version to record.
    pub fn report(mut self, tool: &str, version: &str) -> Report {
        self.reconcile();
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.findings.dedup();
        self.checks.sort_by(|a, b| {
            (&a.input, &a.tenant_id, &a.check, a.status, &a.detail).cmp(&(
                &b.input,
                &b.tenant_id,
                &b.check,
                b.status,
                &b.detail,
            ))
        });
        Report::new(
            Tool {
                name: tool.into(),
                version: version.into(),
            },
            self.inputs,
            self.tenants,
            self.checks,
            self.findings,
        )
    }
}

impl Case {
    /// Reconciles every pair of record sources that share a tenant, record by record (see the
    /// module documentation). Called by [`Case::report`], once every source has streamed.
    fn reconcile(&mut self) {
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

fn diverged(
    tenant: Option<&str>,
    seq: u64,
    left_input: &str,
    left: &Value,
    right_input: &str,
    right: &Value,
) -> Finding {
    let fields = field_diffs(left, right);
    let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    let detail: Vec<String> = fields
        .iter()
        .filter(|f| f.field != "hash" && f.field != "prev_hash")
        .map(|f| {
            format!(
                "{}: {} vs {}",
                f.field,
                f.left.as_deref().unwrap_or("(absent)"),
                f.right.as_deref().unwrap_or("(absent)")
            )
        })
        .collect();
    let mut msg = format!(
        "{} differs between {left_input} and {right_input} in {}",
        record::describe(tenant, Some(seq)),
        names.join(", ")
    );
    if !detail.is_empty() {
        msg.push_str(&format!(" ({})", detail.join("; ")));
    } else {
        msg.push_str(" (only its hashes: the chain was rewritten)");
    }
    Finding::new(Code::RecordDiverged, tenant, Some(seq), msg)
        .input(left_input)
        .other_input(right_input)
        .fields(fields)
}

struct Watch {
    tenant: String,
    input: String,
    scope: Option<Scope>,
    legacy: bool,
    head: Option<(u64, record::Digest)>,
    records: BTreeMap<u64, Value>,
    seen: BTreeSet<u64>,
    head_seen: bool,
    max_seq: u64,
    tenant_present: bool,
}

/// One record source being read. Feed it batches, then hand it to [`Case::finish_source`].
pub struct SourceRun {
    path: String,
    kind: String,
    mode: Mode,
    chains: Chains,
    findings: Vec<Finding>,
    records: u64,
    hash_failures: usize,
    canonical_failures: usize,
    watches: Vec<Watch>,
    watch_checks: Vec<Check>,
    /// The scope of a subset source.
    subset: Option<Scope>,
    /// Record sources finished before this one started, in case order.
    peers: Vec<Arc<SourceIndex>>,
    index: IndexBuilder,
    kept: BTreeMap<(String, u64), Value>,
    hits: Vec<(usize, String, u64)>,
    reread: Option<Reread>,
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
        if let (Some(t), Some(seq)) = (c.tenant_id.as_deref(), c.seq) {
            for w in self.watches.iter_mut().filter(|w| w.tenant == t) {
                w.tenant_present = true;
                w.max_seq = w.max_seq.max(seq);
                if let Some((hs, hh)) = w.head {
                    if seq == hs {
                        w.head_seen = true;
                        if c.stored_hash != Some(hh) {
                            self.findings.push(
                                Finding::new(
                                    Code::AnchorMismatch,
                                    Some(t),
                                    Some(seq),
                                    format!(
                                        "the chain head {} states for seq {seq} differs from the record {path} holds at that seq: the chain was rewritten after the export",
                                        w.input
                                    ),
                                )
                                .input(path)
                                .other_input(&w.input)
                                .at(c.loc)
                                .values(
                                    hex(&hh),
                                    c.stored_hash
                                        .map(|d| hex(&d))
                                        .or(c.stored_hash_text.clone())
                                        .unwrap_or_default(),
                                ),
                            );
                        }
                    }
                }
                let Some(rec) = c.record.as_ref() else {
                    continue;
                };
                if let Some(exported) = w.records.get(&seq) {
                    w.seen.insert(seq);
                    if exported != rec {
                        self.findings
                            .push(diverged(Some(t), seq, &w.input, exported, path, rec));
                    }
                } else if !w.legacy
                    && w.head.is_some_and(|(hs, _)| seq <= hs)
                    && w.scope.as_ref().is_some_and(|s| s.matches(rec))
                {
                    self.findings.push(
                        Finding::new(
                            Code::RecordMissing,
                            Some(t),
                            Some(seq),
                            format!(
                                "{path} holds {} inside the scope of {} (and before its chain head), but the export does not: it was left out of the export",
                                record::describe(Some(t), Some(seq)),
                                w.input
                            ),
                        )
                        .input(&w.input)
                        .other_input(path)
                        .at(c.loc),
                    );
                }
            }
        }
        if let (Some(t), Some(seq)) = (c.tenant_id.as_deref(), c.seq) {
            self.index_record(t, seq, &c);
        }
        if let Some((t, e)) = Entry::from_checked(&c) {
            self.chains.push(t, e);
        }
    }

    /// Cross-source part of [`SourceRun::absorb`]: against every earlier source, keeps the
    /// record where it disagrees (for the field diff later) and notes records an earlier subset
    /// source should hold but lacks; then adds the record's content key to the index.
    fn index_record(&mut self, t: &str, seq: u64, c: &Checked) {
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

    fn finish_watches(&mut self) {
        let path = self.path.clone();
        let mut checks = Vec::new();
        for w in &self.watches {
            if !w.tenant_present && self.mode == Mode::Full {
                checks.push(
                    Check::new(
                        "anchor",
                        Status::NotPossible,
                        format!("{} holds no records of tenant {}, so the chain head of {} cannot be checked against it", path, w.tenant, w.input),
                    )
                    .input(&path)
                    .tenant(&w.tenant),
                );
                continue;
            }
            let t = w.tenant.as_str();
            let mut anchor_failed = false;
            // A subset source may not hold the head seq (it can lie outside the scope): the
            // caller checks that anchor itself.
            let head_checkable = self.mode == Mode::Full || w.head_seen;
            if !head_checkable {
            } else if let Some((hs, hh)) = w.head {
                if !w.head_seen {
                    anchor_failed = true;
                    let msg = if w.max_seq < hs {
                        format!(
                            "{path} ends at seq {} but {} states the chain reached seq {hs}: the tail of the log was cut off",
                            w.max_seq, w.input
                        )
                    } else {
                        format!("{path} lacks seq {hs}, the chain head {} states", w.input)
                    };
                    self.findings.push(
                        Finding::new(Code::ChainTruncated, Some(t), Some(hs), msg)
                            .input(&path)
                            .other_input(&w.input)
                            .values(hex(&hh), "(absent)"),
                    );
                }
            }
            anchor_failed |= self.findings.iter().any(|f| {
                f.code == Code::AnchorMismatch
                    && f.other_input.as_deref() == Some(&w.input)
                    && f.tenant_id.as_deref() == Some(t)
            });
            if head_checkable {
                checks.push(
                    Check::outcome(
                        "anchor",
                        anchor_failed,
                        format!(
                            "the chain head stated by {} against the record {} holds at that seq",
                            w.input, path
                        ),
                    )
                    .input(&path)
                    .tenant(t),
                );
            }
            let mut missing = 0;
            for (&seq, _) in w.records.iter().filter(|(s, _)| !w.seen.contains(s)) {
                missing += 1;
                self.findings.push(
                    Finding::new(
                        Code::RecordMissing,
                        Some(t),
                        Some(seq),
                        format!(
                            "{} holds {} but {path} does not",
                            w.input,
                            record::describe(Some(t), Some(seq))
                        ),
                    )
                    .input(&path)
                    .other_input(&w.input),
                );
            }
            let diverged = self
                .findings
                .iter()
                .filter(|f| f.code == Code::RecordDiverged && f.input.as_deref() == Some(&w.input))
                .count();
            checks.push(
                Check::outcome(
                    "cross_source",
                    missing + diverged > 0,
                    format!(
                        "the {} record(s) of {} against {path} ({missing} absent, {diverged} different)",
                        w.records.len(),
                        w.input
                    ),
                )
                .input(&path)
                .tenant(t),
            );
            let completeness = if w.legacy {
                Check::new(
                    "completeness",
                    Status::NotPossible,
                    format!(
                        "{} used legacy q/field search, whose selection cannot be replayed",
                        w.input
                    ),
                )
            } else {
                let left_out = self
                    .findings
                    .iter()
                    .filter(|f| {
                        f.code == Code::RecordMissing
                            && f.input.as_deref() == Some(&w.input)
                            && f.other_input.as_deref() == Some(&path)
                    })
                    .count();
                Check::outcome(
                    "completeness",
                    left_out > 0,
                    format!(
                        "every record of {path} in the scope of {} up to its chain head is in the export ({left_out} are not)",
                        w.input
                    ),
                )
            };
            checks.push(completeness.input(&path).tenant(t));
        }
        self.watch_checks = checks;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tenants out of order, a duplicated seq (input order kept), an unhashed seq twice.
    fn built(b: IndexBuilder) -> (usize, SourceIndex) {
        let mut b = b;
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
        for (t, s, k) in pushes {
            b.push(t, s, k.map(|k| [k; 32]));
        }
        let runs = b.sorter.spilled_runs();
        (runs, b.build("dump.jsonl".into(), None))
    }

    #[test]
    fn a_spilled_index_reads_back_as_the_in_memory_one() {
        let tmp = std::env::temp_dir();
        let (runs, mem) = built(IndexBuilder::with_spill(&tmp, usize::MAX));
        let (runs_disk, disk) = built(IndexBuilder::with_spill(&tmp, 1));
        let nowhere = tmp.join("trailproof-no-such-dir-for-the-index");
        let (runs_failed, kept) = built(IndexBuilder::with_spill(&nowhere, 1));
        assert_eq!((runs, runs_disk, runs_failed), (0, 8, 0));
        let dump = |ix: &SourceIndex| format!("{:?} {:?}", ix.tenants, ix.broken);
        assert_eq!(dump(&mem), dump(&disk));
        assert_eq!(dump(&mem), dump(&kept));
        let z = &mem.tenants["z"];
        let seqs: Vec<(u64, u8)> = z.keys.iter().map(|(s, k)| (*s, k[0])).collect();
        assert_eq!(seqs, [(1, 1), (2, 2), (5, 5), (5, 0xee)]);
        assert_eq!(z.max_seq, 5);
        let a = &mem.tenants["a"];
        assert_eq!(a.unhashed, [1]);
        assert!(a.holds(1) && a.holds(3) && !a.holds(4));
        assert_eq!(a.seqs(), [1, 2, 3]);
        assert!(mem.broken.is_none());
    }
}
