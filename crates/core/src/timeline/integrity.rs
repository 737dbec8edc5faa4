//! The integrity state of an event: how far it can be trusted, from what the collector saw of
//! its copies and what the report found about it.
//!
//! The state is the first that applies, in this order:
//! `not_canonical` (a copy cannot be brought to canonical form), `hash_mismatch` (a copy does not
//! hash to its own `hash`), `diverged` (two sources hold different content for it; the fields are
//! named), `chain_broken` (`chain_link_broken`, `genesis_invalid` or `anchor_mismatch` at its seq),
//! `missing_from_source` (a `record_missing` finding: another source should hold it and does not;
//! the sources are named), `consistent` (its chain holds, but no independent commitment of
//! another input reaches its seq: no export, checkpoint or live head, no other source holding
//! the chain, so a consistent rewrite could not be seen), `only_in_one_source` (its
//! tenant is held by two or more sources and only one holds this record, e.g. a record outside an
//! export's scope), `verified` (hash ok and links ok). Gap entries have state `gap`.
//!
//! Invariant: the rules are pure functions of their inputs (no clock, no order of a hash map).

use std::collections::BTreeSet;

use super::model::Integrity;
use crate::finding::{Code, Finding};

/// What the rules look at for one event.
pub struct Evidence<'a> {
    /// A copy cannot be brought to canonical form.
    pub not_canonical: bool,
    /// A copy does not hash to its own `hash`.
    pub hash_bad: bool,
    /// The codes of the report's findings about this (tenant, seq).
    pub codes: &'a [Code],
    /// The members that differ between sources ([`diverged_members`]).
    pub diverged: &'a BTreeSet<String>,
    /// The inputs that should hold it and do not ([`missing_from`]).
    pub missing_from: &'a BTreeSet<String>,
    /// No anchor of the case reaches its seq (see [`crate::assurance`]).
    pub beyond_anchors: bool,
    /// Sources that hold records of its tenant.
    pub tenant_sources: usize,
    /// Sources that hold this record.
    pub record_sources: usize,
}

/// The integrity state of an event (see the module docs for the precedence).
pub fn state(e: &Evidence) -> Integrity {
    let has = |codes: &[Code]| e.codes.iter().any(|c| codes.contains(c));
    if e.not_canonical || has(&[Code::NotCanonical]) {
        Integrity::NotCanonical
    } else if e.hash_bad || has(&[Code::RecordHashMismatch]) {
        Integrity::HashMismatch
    } else if !e.diverged.is_empty() {
        Integrity::Diverged
    } else if has(&[
        Code::ChainLinkBroken,
        Code::GenesisInvalid,
        Code::AnchorMismatch,
    ]) {
        Integrity::ChainBroken
    } else if !e.missing_from.is_empty() {
        Integrity::MissingFromSource
    } else if e.beyond_anchors {
        Integrity::Consistent
    } else if e.tenant_sources >= 2 && e.record_sources == 1 {
        Integrity::OnlyInOneSource
    } else {
        Integrity::Verified
    }
}

/// The members in which an event's copies differ: those the collector saw (`seen`) and those
/// the report's `record_diverged` / `visible_text_mismatch` findings name (`(content)` when a
/// finding names none).
pub fn diverged_members(mut seen: BTreeSet<String>, found: &[&Finding]) -> BTreeSet<String> {
    for f in found
        .iter()
        .filter(|f| matches!(f.code, Code::RecordDiverged | Code::VisibleTextMismatch))
    {
        seen.extend(f.fields.iter().map(|d| d.field.clone()));
        if f.fields.is_empty() {
            seen.insert("(content)".into());
        }
    }
    seen
}

/// The inputs that should hold an event and do not (its `record_missing` findings).
pub fn missing_from(found: &[&Finding]) -> BTreeSet<String> {
    found
        .iter()
        .filter(|f| f.code == Code::RecordMissing)
        .filter_map(|f| f.input.clone())
        .collect()
}

/// What the report's findings say about one (tenant, seq), as its entry needs it: their codes
/// (sorted, each once), the members they name as diverged ([`diverged_members`] of nothing
/// seen) and the inputs that should hold it and do not ([`missing_from`]).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Judged {
    /// The findings' codes, sorted, each once.
    pub codes: Vec<Code>,
    /// The members the findings name as diverged.
    pub diverged: BTreeSet<String>,
    /// The inputs that should hold the record and do not.
    pub missing_from: BTreeSet<String>,
}

impl Judged {
    /// What `found`, the findings about one (tenant, seq), say.
    pub fn of(found: &[&Finding]) -> Judged {
        let mut codes: Vec<Code> = found.iter().map(|f| f.code).collect();
        codes.sort();
        codes.dedup();
        Judged {
            codes,
            diverged: diverged_members(BTreeSet::new(), found),
            missing_from: missing_from(found),
        }
    }
}
