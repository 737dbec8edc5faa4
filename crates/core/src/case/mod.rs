//! A case: every input of one verification run, checked on its own and against each other, and
//! the [`Report`] that comes of it.
//!
//! Order of work: export payloads first ([`Case::add_export`]), so that their chain heads and
//! records are known; then every record source (dumps) streams through a [`SourceRun`], which
//! canonicalizes and hashes each batch on all cores (rayon, output order kept) and checks each
//! record against the exports as it passes (`exports`). Only compact chain entries, a compact
//! index per source (`index`) and the few records an export names are kept, so memory stays
//! flat. When every source has streamed, [`Case::report`] reconciles the record sources with
//! each other (`reconcile`) and builds the report.
//!
//! One file per concern:
//! * `mod.rs`: the case and its assembly (inputs, findings, checks, the report);
//! * `source_run.rs`: one record source as it streams;
//! * `exports.rs`: checks of record sources against exports;
//! * `index.rs`: each source's on-disk cross-source index;
//! * `reconcile.rs`: cross-source reconciliation, pair by pair;
//! * `reread.rs`: its second, targeted pass over sources read again;
//! * `diff.rs`: field-level diffs and the `record_diverged` finding.
//!
//! Determinism: findings and checks are sorted before the report is built (findings without
//! duplicates), inputs keep the order they were added in, and nothing in a report depends on the
//! clock, the time zone or the thread count.

mod diff;
mod exports;
mod index;
mod reconcile;
mod reread;
mod source_run;

pub use diff::field_diffs;
pub use source_run::{Checker, ReadAgain, Reread, SourceRun};

use std::sync::Arc;

use crate::assurance::{AnchorKind, Claim};
use crate::chain::Mode;
use crate::checkpoint::Checkpoint;
use crate::export::{ExportAnchor, PayloadResult};
use crate::finding::{Check, Finding};
use crate::recovery::{self, Commitments, RecoveredCopy};
use crate::report::{InputInfo, InputTenant, Report, Tool};
use crate::scope::Scope;
use index::IndexBuilder;
use reconcile::Finished;
pub use source_run::Wanted;

/// All inputs of one run.
#[derive(Debug, Default)]
pub struct Case {
    inputs: Vec<InputInfo>,
    findings: Vec<Finding>,
    checks: Vec<Check>,
    tenants: Vec<InputTenant>,
    anchors: Vec<ExportAnchor>,
    sources: Vec<Finished>,
    /// Commitments about chains that are not exports' (checkpoints, the live service's head).
    claims: Vec<Claim>,
    /// Recovered records graded when the report is built, against every input of the case.
    recovered: Vec<RecoveredCopy>,
    /// Their (tenant, seq) and (tenant, seq + 1): what the record sources read later note.
    recovery_wanted: Arc<Wanted>,
    /// What the record sources committed to at those places.
    recovery_seen: Commitments,
    /// How many record sources the caller declared the case will stream, when it did.
    record_sources: Option<usize>,
}

impl Case {
    /// An empty case.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares that the case will stream `n` record sources in all. With one, nothing is
    /// reconciled record by record, so that source keeps no cross-source index (about a tenth
    /// of the work of taking its records in). A source started beyond the declared count is
    /// reconciled as usual with the sources that kept one; a pair with a source that did not
    /// gets a not-possible `cross_source` check that says so.
    pub fn expect_record_sources(&mut self, n: usize) {
        self.record_sources = Some(n);
    }

    /// Exports added so far (their anchors).
    pub fn exports(&self) -> &[ExportAnchor] {
        &self.anchors
    }

    /// Adds a verified export payload. `info.records` is filled in from the payload.
    pub fn add_export(&mut self, mut info: InputInfo, r: PayloadResult) {
        info.records = r.records;
        self.compare_exports(&r);
        self.inputs.push(info);
        self.findings.extend(r.findings);
        self.checks.extend(r.checks);
        let input = r.anchor.input.clone();
        self.tenants.extend(
            r.tenants
                .into_iter()
                .map(|summary| InputTenant::new(&input, summary)),
        );
        self.anchors.push(r.anchor);
    }

    /// Adds a checkpoint file (see [`crate::checkpoint`]): each chain head it states anchors
    /// the record sources read after it, exactly as an export's chain head does. Add
    /// checkpoints, like exports, before the record sources.
    pub fn add_checkpoint(&mut self, info: InputInfo, checkpoint: &Checkpoint) {
        for head in &checkpoint.heads {
            self.anchors.push(ExportAnchor {
                input: info.path.clone(),
                tenant_id: Some(head.tenant_id.clone()),
                scope: None,
                legacy_search: false,
                chain_head: Some((head.seq, head.digest())),
                records: Default::default(),
                verify_url: None,
                fingerprint: None,
                checkpoint: true,
            });
        }
        self.inputs.push(info);
    }

    /// Adds a commitment about a tenant's chain made outside an export, such as the live
    /// service's chain head (see [`crate::assurance`]).
    pub fn add_claim(&mut self, claim: Claim) {
        self.claims.push(claim);
    }

    /// The commitments every input makes about the chains of the case: each export's chain
    /// head and the last of its records, then the claims added.
    fn claims(&self) -> Vec<Claim> {
        let mut claims = Vec::new();
        for anchor in &self.anchors {
            let Some(tenant) = &anchor.tenant_id else {
                continue;
            };
            if let Some((seq, _)) = anchor.chain_head {
                claims.push(Claim {
                    input: anchor.input.clone(),
                    tenant_id: tenant.clone(),
                    kind: if anchor.checkpoint {
                        AnchorKind::Checkpoint
                    } else {
                        AnchorKind::ExportHead
                    },
                    seq,
                });
            }
            if let Some(&seq) = anchor.records.keys().next_back() {
                claims.push(Claim {
                    input: anchor.input.clone(),
                    tenant_id: tenant.clone(),
                    kind: AnchorKind::ExportRecords,
                    seq,
                });
            }
        }
        claims.extend(self.claims.iter().cloned());
        claims
    }

    /// Adds records recovered from an input read before the record sources (a PDF's earlier
    /// revisions). They are graded when the report is built, against the exports and against
    /// every record source and live query read after this call (the `prev_hash` of seq + 1,
    /// the stored hash of a row that no longer matches it): so add them, like exports, first.
    pub fn add_recovered(&mut self, copies: Vec<RecoveredCopy>) {
        if copies.is_empty() {
            return;
        }
        let mut wanted = (*self.recovery_wanted).clone();
        let mut buf = Vec::new();
        for copy in &copies {
            let checked = crate::record::check(copy.raw.clone(), &mut buf);
            if let (Some(tenant), Some(seq)) = (checked.tenant_id, checked.seq) {
                wanted
                    .entry(tenant)
                    .or_default()
                    .extend([seq, seq.saturating_add(1)]);
            }
        }
        self.recovery_wanted = Arc::new(wanted);
        self.recovered.extend(copies);
    }

    /// Adds a hash that the evidence commits to at (tenant, seq) outside any record or export
    /// (an export PDF's printed fingerprint names an earlier revision's records): recovered
    /// records are graded against it too.
    pub fn add_commitment(&mut self, tenant: &str, seq: u64, hash: crate::record::Digest) {
        self.recovery_seen.commit(tenant, seq, hash);
    }

    /// The `record_recovered` findings of the records added with [`Case::add_recovered`].
    fn grade_recovered(&mut self) {
        if self.recovered.is_empty() {
            return;
        }
        let mut commitments = std::mem::take(&mut self.recovery_seen);
        for anchor in &self.anchors {
            commitments.add_export(anchor);
        }
        let copies = std::mem::take(&mut self.recovered);
        self.findings
            .extend(recovery::findings(copies, &commitments));
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
        let mut run = SourceRun::new(
            path,
            kind,
            mode,
            subset,
            exports::watches(&self.anchors, only),
            self.sources.iter().map(Finished::index).collect(),
            self.recovery_wanted.clone(),
        );
        if self.record_sources == Some(1) && self.sources.is_empty() {
            run.index = IndexBuilder::skipped();
        }
        run
    }

    /// Closes a record source with the size and SHA-256 of the bytes it parsed.
    pub fn finish_source(&mut self, run: SourceRun, size: u64, sha256: String) {
        self.finish_source_reporting(run, size, sha256, &mut |_| ());
    }

    /// [`Case::finish_source`], telling `progress` how far the source is read again when its
    /// chains need a second read (a record arrived out of seq order after their entries were
    /// dropped to keep memory flat): that read can take as long as the first.
    pub fn finish_source_reporting(
        &mut self,
        mut run: SourceRun,
        size: u64,
        sha256: String,
        progress: &mut dyn FnMut(ReadAgain),
    ) {
        let path = run.path.clone();
        let (chain_findings, chain_checks, chain_summaries) = run.analyze_chains(&sha256, progress);
        self.checks.extend(run.record_checks());
        run.finish_watches();
        self.findings.append(&mut run.findings);
        self.findings.extend(chain_findings);
        self.checks.extend(chain_checks);
        self.tenants.extend(
            chain_summaries
                .into_iter()
                .map(|summary| InputTenant::new(&path, summary)),
        );
        self.checks.append(&mut run.watch_checks);
        self.recovery_seen
            .merge(std::mem::take(&mut run.recovery_seen));
        self.sources
            .push(Finished::from_run(&mut run, sha256.clone()));
        self.inputs.push(InputInfo {
            path,
            kind: run.kind,
            size,
            sha256,
            records: run.records,
        });
    }

    /// Builds the report. `version` is the tool version to record.
    pub fn report(mut self, tool: &str, version: &str) -> Report {
        self.reconcile();
        self.grade_recovered();
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
        let claims = self.claims();
        Report::new(
            Tool {
                name: tool.into(),
                version: version.into(),
                build: None,
            },
            self.inputs,
            self.tenants,
            self.checks,
            self.findings,
            &claims,
        )
    }
}
