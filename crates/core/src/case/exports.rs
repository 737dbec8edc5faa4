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
use crate::canonical;
use crate::chain::Mode;
use crate::export::{ExportAnchor, PayloadResult};
use crate::finding::{Check, Code, Finding, Status};
use crate::payload::CanonicalRecord;
use crate::record::{self, hex, Checked};
use crate::scope::Scope;

/// One export, as a record source watches it while it streams.
pub(super) struct Watch {
    /// The export's tenant.
    pub(super) tenant: String,
    /// The export's path.
    input: String,
    /// The export's scope, if it states one.
    scope: Option<Scope>,
    /// Whether the export selected its records by legacy `q`/`field` search.
    legacy: bool,
    /// The chain head the export states: seq and hash.
    head: Option<(u64, record::Digest)>,
    /// The exported records, by seq (shared with the export's anchor).
    records: BTreeMap<u64, CanonicalRecord>,
    /// The canonical bytes of the record being compared (reused: no allocation per record).
    buf: Vec<u8>,
    /// Exported seqs the source holds.
    seen: BTreeSet<u64>,
    /// Whether the source holds the head's seq.
    head_seen: bool,
    /// The highest seq of the tenant in the source.
    max_seq: u64,
    /// Whether the source holds any record of the tenant.
    tenant_present: bool,
    /// Whether the anchor is a checkpoint's chain head rather than an export.
    checkpoint: bool,
}

/// The exports a record source watches: those of a tenant, and, for a source that holds only
/// the records of a scope (`only`), only those of exactly that scope.
pub(super) fn watches(anchors: &[ExportAnchor], only: Option<&Scope>) -> Vec<Watch> {
    anchors
        .iter()
        .filter(|anchor| only.is_none() || anchor.scope.as_ref() == only)
        .filter_map(|anchor| {
            Some(Watch {
                tenant: anchor.tenant_id.clone()?,
                input: anchor.input.clone(),
                scope: anchor.scope.clone(),
                legacy: anchor.legacy_search,
                head: anchor.chain_head,
                records: anchor.records.clone(),
                buf: Vec::new(),
                seen: BTreeSet::new(),
                head_seen: false,
                max_seq: 0,
                tenant_present: false,
                checkpoint: anchor.checkpoint,
            })
        })
        .collect()
}

impl Watch {
    /// At the chain head's seq: notes it seen, and, when the source's record there is not the
    /// one the head states, an `anchor_mismatch` finding.
    fn check_head(&mut self, path: &str, seq: u64, checked: &Checked) -> Option<Finding> {
        let (head_seq, head_hash) = self.head?;
        if seq != head_seq {
            return None;
        }
        self.head_seen = true;
        if checked.stored_hash == Some(head_hash) {
            return None;
        }
        Some(
            Finding::new(
                Code::AnchorMismatch,
                Some(self.tenant.as_str()),
                Some(seq),
                format!(
                    "the chain head {} states for seq {seq} differs from the record {path} holds at that seq: the chain was rewritten after the {}",
                    self.input,
                    if self.checkpoint { "checkpoint" } else { "export" }
                ),
            )
            .input(path)
            .other_input(&self.input)
            .at(checked.loc)
            .values(
                hex(&head_hash),
                checked
                    .stored_hash
                    .map(|stored| hex(&stored))
                    .or(checked.stored_hash_text.clone())
                    .unwrap_or_default(),
            ),
        )
    }

    /// Against the exported records: an exported seq is noted seen, with a `record_diverged`
    /// finding when its content differs; a record the export lacks though it lies in the
    /// export's scope, before its chain head, is a `record_missing` finding (left out of the
    /// export). Says nothing without the full record, or for a legacy-search export.
    fn check_record(&mut self, path: &str, seq: u64, checked: &Checked) -> Option<Finding> {
        let record = checked.record.as_ref()?;
        let tenant = Some(self.tenant.as_str());
        if let Some(exported) = self.records.get(&seq) {
            self.seen.insert(seq);
            // Equal values have equal canonical bytes and unequal ones unequal bytes.
            self.buf.clear();
            canonical::write_value(record, &mut self.buf);
            return (exported.bytes() != self.buf.as_slice())
                .then(|| diverged(tenant, seq, &self.input, &exported.value(), path, record));
        }
        let left_out = !self.legacy
            && self.head.is_some_and(|(head_seq, _)| seq <= head_seq)
            && self
                .scope
                .as_ref()
                .is_some_and(|scope| scope.matches(record));
        left_out.then(|| {
            Finding::new(
                Code::RecordMissing,
                tenant,
                Some(seq),
                format!(
                    "{path} holds {} inside the scope of {} (and before its chain head), but the export does not: it was left out of the export",
                    record::describe(tenant, Some(seq)),
                    self.input
                ),
            )
            .input(&self.input)
            .other_input(path)
            .at(checked.loc)
        })
    }
}

impl Case {
    /// Two exports of one tenant in one case: same seq must hold the same record.
    pub(super) fn compare_exports(&mut self, payload: &PayloadResult) {
        let added = &payload.anchor;
        for other in self
            .anchors
            .iter()
            .filter(|other| other.tenant_id == added.tenant_id)
        {
            for (seq, record) in &added.records {
                if let Some(other_record) = other.records.get(seq) {
                    if other_record != record {
                        self.findings.push(diverged(
                            added.tenant_id.as_deref(),
                            *seq,
                            &other.input,
                            &other_record.value(),
                            &added.input,
                            &record.value(),
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
    pub(super) fn check_against_exports(&mut self, checked: &Checked) {
        let (Some(tenant), Some(seq)) = (checked.tenant_id.as_deref(), checked.seq) else {
            return;
        };
        let path = self.path.as_str();
        for watch in self
            .watches
            .iter_mut()
            .filter(|watch| watch.tenant == tenant)
        {
            watch.tenant_present = true;
            watch.max_seq = watch.max_seq.max(seq);
            if let Some(finding) = watch.check_head(path, seq, checked) {
                self.findings.push(finding);
            }
            if let Some(finding) = watch.check_record(path, seq, checked) {
                self.findings.push(finding);
            }
        }
    }

    /// Once the source has streamed: the `anchor`, `cross_source` and `completeness` checks of
    /// every watched export, with the `chain_truncated` and `record_missing` findings of what
    /// the source lacks.
    pub(super) fn finish_watches(&mut self) {
        let watches = std::mem::take(&mut self.watches);
        let mut checks = Vec::new();
        for watch in &watches {
            if !watch.tenant_present && self.mode == Mode::Full {
                checks.push(self.tenant_absent_check(watch));
                continue;
            }
            checks.extend(self.anchor_check(watch));
            if watch.checkpoint {
                // A checkpoint states chain heads only: no records, no scope.
                continue;
            }
            checks.push(self.exported_records_check(watch));
            checks.push(self.completeness_check(watch));
        }
        self.watches = watches;
        self.watch_checks = checks;
    }

    /// The `anchor` check of an export whose tenant the source does not hold: not possible.
    fn tenant_absent_check(&self, watch: &Watch) -> Check {
        Check::new(
            "anchor",
            Status::NotPossible,
            format!(
                "{} holds no records of tenant {}, so the chain head of {} cannot be checked against it",
                self.path, watch.tenant, watch.input
            ),
        )
        .input(&self.path)
        .tenant(&watch.tenant)
    }

    /// The `anchor` check of an export's chain head, with a `chain_truncated` finding when the
    /// source lacks the head's seq. `None` for a subset source that does not hold that seq (it
    /// can lie outside the scope): the caller checks that anchor itself.
    fn anchor_check(&mut self, watch: &Watch) -> Option<Check> {
        if self.mode != Mode::Full && !watch.head_seen {
            return None;
        }
        let path = self.path.as_str();
        let mut anchor_failed = false;
        if let Some((head_seq, head_hash)) = watch.head {
            if !watch.head_seen {
                anchor_failed = true;
                let message = if watch.max_seq < head_seq {
                    format!(
                        "{path} ends at seq {} but {} states the chain reached seq {head_seq}: the tail of the log was cut off",
                        watch.max_seq, watch.input
                    )
                } else {
                    format!(
                        "{path} lacks seq {head_seq}, the chain head {} states",
                        watch.input
                    )
                };
                self.findings.push(
                    Finding::new(
                        Code::ChainTruncated,
                        Some(watch.tenant.as_str()),
                        Some(head_seq),
                        message,
                    )
                    .input(path)
                    .other_input(&watch.input)
                    .values(hex(&head_hash), "(absent)"),
                );
            }
        }
        anchor_failed |= self.findings.iter().any(|finding| {
            finding.code == Code::AnchorMismatch
                && finding.other_input.as_deref() == Some(&watch.input)
                && finding.tenant_id.as_deref() == Some(&watch.tenant)
        });
        Some(
            Check::outcome(
                "anchor",
                anchor_failed,
                format!(
                    "the chain head stated by {} against the record {} holds at that seq",
                    watch.input, path
                ),
            )
            .input(path)
            .tenant(&watch.tenant),
        )
    }

    /// The `cross_source` check of an export's records against the source, with a
    /// `record_missing` finding for each exported record the source lacks.
    fn exported_records_check(&mut self, watch: &Watch) -> Check {
        let path = self.path.as_str();
        let tenant = Some(watch.tenant.as_str());
        let mut missing = 0;
        for &seq in watch.records.keys().filter(|seq| !watch.seen.contains(seq)) {
            missing += 1;
            self.findings.push(
                Finding::new(
                    Code::RecordMissing,
                    tenant,
                    Some(seq),
                    format!(
                        "{} holds {} but {path} does not",
                        watch.input,
                        record::describe(tenant, Some(seq))
                    ),
                )
                .input(path)
                .other_input(&watch.input),
            );
        }
        let diverged = self
            .findings
            .iter()
            .filter(|finding| {
                finding.code == Code::RecordDiverged
                    && finding.input.as_deref() == Some(&watch.input)
            })
            .count();
        Check::outcome(
            "cross_source",
            missing + diverged > 0,
            format!(
                "the {} record(s) of {} against {path} ({missing} absent, {diverged} different)",
                watch.records.len(),
                watch.input
            ),
        )
        .input(path)
        .tenant(&watch.tenant)
    }

    /// The `completeness` check of an export: every record of the source in its scope, up to
    /// its chain head, is in it. Not possible for a legacy-search export.
    fn completeness_check(&self, watch: &Watch) -> Check {
        let path = self.path.as_str();
        let completeness = if watch.legacy {
            Check::new(
                "completeness",
                Status::NotPossible,
                format!(
                    "{} used legacy q/field search, whose selection cannot be replayed",
                    watch.input
                ),
            )
        } else {
            let left_out = self
                .findings
                .iter()
                .filter(|finding| {
                    finding.code == Code::RecordMissing
                        && finding.input.as_deref() == Some(&watch.input)
                        && finding.other_input.as_deref() == Some(path)
                })
                .count();
            Check::outcome(
                "completeness",
                left_out > 0,
                format!(
                    "every record of {path} in the scope of {} up to its chain head is in the export ({left_out} are not)",
                    watch.input
                ),
            )
        };
        completeness.input(path).tenant(&watch.tenant)
    }
}
