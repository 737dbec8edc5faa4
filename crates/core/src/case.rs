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
//! Determinism: findings, checks and inputs are sorted before the report is built, and nothing in
//! a report depends on the clock, the time zone or the thread count.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chain::{Chains, Entry, Mode, TenantSummary};
use crate::export::{hash_finding, ExportAnchor, PayloadResult};
use crate::finding::{Check, Code, FieldDiff, Finding, Level, Status};
use crate::json::Value;
use crate::record::{self, hex, Checked, RawRecord};
use crate::scope::Scope;

/// One input of a case, as a report lists it (chain of custody).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    pub path: String,
    /// Detected kind (`export-pdf`, `sqlite`, `jsonl`, ...).
    pub kind: String,
    /// Size in bytes of the bytes parsed.
    pub size: u64,
    /// SHA-256 of the bytes parsed, lowercase hex.
    pub sha256: String,
    /// Records read from it.
    pub records: u64,
}

/// The verdict rule of AEF/1 section 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Intact,
    Tampered,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Intact => "intact",
            Verdict::Tampered => "tampered",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// Process exit code: 0 intact, 1 tampered, 2 inconclusive.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Intact => 0,
            Verdict::Tampered => 1,
            Verdict::Inconclusive => 2,
        }
    }
}

/// One tenant's chain as one input holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTenant {
    pub input: String,
    #[serde(flatten)]
    pub summary: TenantSummary,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// Counts of findings by level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
    pub records: u64,
}

/// A verification report: deterministic, machine-readable, fit for a case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub tool: Tool,
    pub verdict: Verdict,
    /// One sentence that explains the verdict.
    pub summary: String,
    pub counts: Counts,
    pub inputs: Vec<InputInfo>,
    pub tenants: Vec<InputTenant>,
    pub checks: Vec<Check>,
    pub findings: Vec<Finding>,
}

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

/// All inputs of one run.
#[derive(Debug, Default)]
pub struct Case {
    inputs: Vec<InputInfo>,
    findings: Vec<Finding>,
    checks: Vec<Check>,
    tenants: Vec<InputTenant>,
    anchors: Vec<ExportAnchor>,
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
        }
    }

    /// Closes a record source with the size and SHA-256 of the bytes it parsed.
    pub fn finish_source(&mut self, mut run: SourceRun, size: u64, sha256: String) {
        let path = run.path.clone();
        let (f, c, s) = run.chains.analyze(&path, run.mode);
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
        let mut counts = Counts::default();
        for f in &self.findings {
            match f.level {
                Level::Error => counts.errors += 1,
                Level::Warning => counts.warnings += 1,
                Level::Info => counts.info += 1,
            }
        }
        counts.records = self.inputs.iter().map(|i| i.records).sum();
        let not_possible: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::NotPossible)
            .collect();
        let (verdict, summary) = if counts.errors > 0 {
            let first = self.findings.iter().find(|f| f.level == Level::Error);
            let what = first
                .map(|f| {
                    format!(
                        "first: {} ({}): {}",
                        f.code,
                        record::describe(f.tenant_id.as_deref(), f.seq),
                        f.message
                    )
                })
                .unwrap_or_default();
            (
                Verdict::Tampered,
                format!(
                    "Tampered: {} error finding(s) in {} input(s); {what}",
                    counts.errors,
                    self.inputs.len()
                ),
            )
        } else if let Some(c) = not_possible.first() {
            (
                Verdict::Inconclusive,
                format!(
                    "Inconclusive: no tampering found, but {} check(s) could not be made; first: {} ({})",
                    not_possible.len(),
                    c.check,
                    c.detail
                ),
            )
        } else {
            let passed = self
                .checks
                .iter()
                .filter(|c| c.status == Status::Passed)
                .count();
            let warnings = if counts.warnings > 0 {
                format!("; {} warning(s) to review", counts.warnings)
            } else {
                String::new()
            };
            (
                Verdict::Intact,
                format!(
                    "Intact: no tampering found in {} record(s) from {} input(s); {passed} of {} checks passed{warnings}",
                    counts.records,
                    self.inputs.len(),
                    self.checks.len(),
                ),
            )
        };
        Report {
            format: "trailproof-report/1".into(),
            tool: Tool {
                name: tool.into(),
                version: version.into(),
            },
            verdict,
            summary,
            counts,
            inputs: self.inputs,
            tenants: self.tenants,
            checks: self.checks,
            findings: self.findings,
        }
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
}

impl SourceRun {
    /// Records absorbed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Canonicalizes and hashes a batch on all cores, then absorbs it in input order.
    pub fn push_batch(&mut self, batch: Vec<RawRecord>) {
        // The full record is only needed where an export of its tenant may compare it; drop it
        // on the worker otherwise, so the sequential part neither frees it nor waits for it.
        let watched: BTreeSet<&str> = self.watches.iter().map(|w| w.tenant.as_str()).collect();
        let checked: Vec<Checked> = batch
            .into_par_iter()
            .with_min_len(64)
            .map_init(
                || Vec::with_capacity(2048),
                |buf, r| {
                    let mut c = record::check(r, buf);
                    if !c.tenant_id.as_deref().is_some_and(|t| watched.contains(t)) {
                        c.record = None;
                    }
                    c
                },
            )
            .collect();
        for c in checked {
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
        if let Some((t, e)) = Entry::from_checked(&c) {
            self.chains.push(t, e);
        }
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
