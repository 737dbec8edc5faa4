//! Checks of record sources against the exports of the case: each export names a tenant, its
//! chain head (seq and hash) and, in its payload, a scope and the records it selected. Every
//! record source that starts after the exports watches them ([`Watch`]) as it streams.
//!
//! Findings: `anchor_mismatch` (the source holds another record at the head's seq),
//! `chain_truncated` (it lacks the head's seq), `record_diverged` (it holds an exported record
//! with other content), `record_missing` either way (an exported record it lacks, or a record of
//! the export's scope, before its chain head, that the export left out). Two exports of one
//! tenant are compared with each other as well.
//!
//! Invariants:
//! * a source that holds no record of an export's tenant says so (`anchor` not possible) and
//!   reports nothing else about that export;
//! * a subset source checks a chain head only when it holds the head's seq (the head may lie
//!   outside its scope); the caller checks that anchor itself;
//! * the completeness of an export made by legacy `q`/`field` search cannot be replayed and is
//!   reported as not possible, never as passed.

use std::collections::{BTreeMap, BTreeSet};

use super::diff::diverged;
use super::source_run::SourceRun;
use super::Case;
use crate::chain::Mode;
use crate::export::{ExportAnchor, PayloadResult};
use crate::finding::{Check, Code, Finding, Status};
use crate::json::Value;
use crate::record::{self, hex, Checked};
use crate::scope::Scope;

/// One export, as a record source watches it while it streams.
pub(super) struct Watch {
    pub(super) tenant: String,
    pub(super) input: String,
    pub(super) scope: Option<Scope>,
    pub(super) legacy: bool,
    pub(super) head: Option<(u64, record::Digest)>,
    pub(super) records: BTreeMap<u64, Value>,
    pub(super) seen: BTreeSet<u64>,
    pub(super) head_seen: bool,
    pub(super) max_seq: u64,
    pub(super) tenant_present: bool,
}

/// The exports a record source watches: those of a tenant, and, for a source that holds only
/// the records of a scope (`only`), only those of exactly that scope.
pub(super) fn watches(anchors: &[ExportAnchor], only: Option<&Scope>) -> Vec<Watch> {
    anchors
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
        .collect()
}

impl Case {
    /// Two exports of one tenant in one case: same seq must hold the same record.
    pub(super) fn compare_exports(&mut self, r: &PayloadResult) {
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
    }
}

impl SourceRun {
    /// Export part of [`SourceRun::absorb`]: checks one record against every export of its
    /// tenant (chain head, exported records, records the export left out).
    pub(super) fn check_against_exports(&mut self, c: &Checked) {
        let path = self.path.as_str();
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
    }

    /// Once the source has streamed: `chain_truncated` and the exported records it lacks, and
    /// the `anchor`, `cross_source` and `completeness` checks of every watched export.
    pub(super) fn finish_watches(&mut self) {
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
