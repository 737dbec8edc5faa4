//! Incidents: the findings of a case grouped by the one act of tampering that explains them,
//! root cause first.
//!
//! One edit hidden by re-hashing the rest of a chain gives one `record_diverged` per re-hashed
//! record and an `anchor_mismatch`; a deleted record gives a `seq_gap` and the
//! `chain_link_broken` of its successor. A reader wants the act, not its echoes: [`group`] turns
//! the findings into [`Incident`]s, each with a [`IncidentKind`], the tenant, the honest seq
//! bounds the evidence allows, the root finding (the one that names the cause, such as the
//! diverged record whose content, not only its hashes, changed), its dependent findings, and one
//! sentence that explains it.
//!
//! Invariants:
//! * every error finding belongs to exactly one incident; warnings and info findings join an
//!   incident only where they concern the same act (a `timestamp_regression` inside its seq
//!   range, a `record_recovered` earlier version of a record in it, the
//!   `pdf_incremental_update` of the PDF it concerns) and otherwise stand alone;
//! * the grouping is a pure function of the findings and their order: same findings, same
//!   incidents, in the same order (tenants in order of first appearance, then by first seq);
//! * an incident never claims a wider act than its findings show: the seq bounds are those of
//!   the findings it holds, and the explanation says what exposed it.

use serde::{Deserialize, Serialize};

use crate::finding::{Code, Finding};

mod rules;

/// What kind of act an incident is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// Content changed, stored hash kept: the record no longer hashes to its own hash.
    Edited,
    /// Content changed and the hash recomputed: the next record's link is broken.
    EditedRehashed,
    /// Records removed: a seq gap, or records another source holds and this one lacks.
    Deleted,
    /// A record added where none belonged: a duplicate seq, or a record outside an export's scope.
    Inserted,
    /// Records put in another order: a broken link where the timestamps go back.
    Reordered,
    /// A chain cut short before a chain head known from elsewhere.
    Truncated,
    /// A consistent rewrite from some seq on, exposed only by an anchor or another source.
    Rechained,
    /// Sources disagree about a record (or a PDF's pages about its payload).
    Diverged,
}

impl IncidentKind {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Edited => "edited",
            IncidentKind::EditedRehashed => "edited_rehashed",
            IncidentKind::Deleted => "deleted",
            IncidentKind::Inserted => "inserted",
            IncidentKind::Reordered => "reordered",
            IncidentKind::Truncated => "truncated",
            IncidentKind::Rechained => "rechained",
            IncidentKind::Diverged => "diverged",
        }
    }
}

/// One act of tampering and the findings it explains.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// 1-based number of the incident in the report; findings name it in their `incident`.
    pub id: u32,
    /// What kind of act it is.
    pub kind: IncidentKind,
    /// The tenant it concerns, where the findings name one.
    pub tenant_id: Option<String>,
    /// Lowest seq the act concerns, as far as the evidence shows.
    pub first_seq: Option<u64>,
    /// Highest seq the act concerns, as far as the evidence shows.
    pub last_seq: Option<u64>,
    /// Index (0-based) in the report's `findings` of the finding that names the cause.
    pub root: usize,
    /// Indexes in the report's `findings` of the findings that follow from it, in report order.
    pub dependents: Vec<usize>,
    /// One sentence that explains the act.
    pub explanation: String,
}

/// An incident under construction.
struct Draft {
    kind: IncidentKind,
    tenant: Option<String>,
    first: Option<u64>,
    last: Option<u64>,
    root: usize,
    members: Vec<usize>,
    explanation: String,
}

/// The grouping state: which findings are taken, and the incidents so far.
struct Grouper<'a> {
    findings: &'a [Finding],
    taken: Vec<bool>,
    drafts: Vec<Draft>,
}

impl<'a> Grouper<'a> {
    fn free(&self, code: Code) -> Vec<usize> {
        self.free_any(&[code])
    }

    /// The findings not yet taken whose code is one of `codes`, in report order.
    fn free_any(&self, codes: &[Code]) -> Vec<usize> {
        (0..self.findings.len())
            .filter(|&i| !self.taken[i] && codes.contains(&self.findings[i].code))
            .collect()
    }

    fn same_tenant(&self, i: usize, tenant: Option<&str>) -> bool {
        self.findings[i].tenant_id.as_deref() == tenant
    }

    fn seq(&self, i: usize) -> Option<u64> {
        self.findings[i].seq
    }

    fn push(&mut self, mut draft: Draft) {
        self.taken[draft.root] = true;
        for &m in &draft.members {
            self.taken[m] = true;
        }
        draft.members.retain(|&m| m != draft.root);
        draft.members.sort_unstable();
        draft.members.dedup();
        self.drafts.push(draft);
    }

    /// Free findings of `code` for `tenant` whose seq lies in `first..=last`.
    fn free_in(&self, code: Code, tenant: Option<&str>, first: u64, last: u64) -> Vec<usize> {
        self.free(code)
            .into_iter()
            .filter(|&i| self.same_tenant(i, tenant))
            .filter(|&i| self.seq(i).is_some_and(|s| s >= first && s <= last))
            .collect()
    }

    /// [`Self::free_in`] for the tenant of finding `root`, of findings read from its input only.
    fn same_source(&self, root: usize, code: Code, (first, last): (u64, u64)) -> Vec<usize> {
        let root = &self.findings[root];
        let mut found = self.free_in(code, root.tenant_id.as_deref(), first, last);
        found.retain(|&i| self.findings[i].input == root.input);
        found
    }

    /// Does finding `i` concern input `path`, as its input or its other input?
    fn involves(&self, i: usize, path: Option<&str>) -> bool {
        let f = &self.findings[i];
        path.is_some() && (f.input.as_deref() == path || f.other_input.as_deref() == path)
    }
}

/// Groups `findings` into incidents (see the module doc). Returns the incidents in report order
/// and, for every finding, the id of the incident it belongs to (`None` for a warning or info
/// finding that belongs to none).
pub fn group(findings: &[Finding]) -> (Vec<Incident>, Vec<Option<u32>>) {
    let mut grouper = Grouper {
        findings,
        taken: vec![false; findings.len()],
        drafts: Vec::new(),
    };
    grouper.rechained_by_anchor();
    grouper.truncated();
    grouper.deleted_gaps();
    grouper.inserted_duplicates();
    grouper.edited();
    grouper.broken_links();
    grouper.diverged();
    grouper.missing();
    grouper.export_level();
    grouper.attach_warnings();

    // Tenants in order of first appearance among the findings, then by first seq.
    let mut tenant_rank: Vec<Option<&str>> = Vec::new();
    for f in findings {
        if !tenant_rank.contains(&f.tenant_id.as_deref()) {
            tenant_rank.push(f.tenant_id.as_deref());
        }
    }
    let rank = |t: &Option<String>| {
        tenant_rank
            .iter()
            .position(|r| *r == t.as_deref())
            .unwrap_or(usize::MAX)
    };
    let mut drafts = grouper.drafts;
    drafts.sort_by_key(|d| (rank(&d.tenant), d.first.is_none(), d.first, d.root));

    let mut of_finding = vec![None; findings.len()];
    let incidents = drafts
        .into_iter()
        .enumerate()
        .map(|(n, mut d)| {
            let id = n as u32 + 1;
            of_finding[d.root] = Some(id);
            d.members.retain(|&m| m != d.root);
            d.members.sort_unstable();
            d.members.dedup();
            for &m in &d.members {
                of_finding[m] = Some(id);
            }
            Incident {
                id,
                kind: d.kind,
                tenant_id: d.tenant,
                first_seq: d.first,
                last_seq: d.last,
                root: d.root,
                dependents: d.members,
                explanation: d.explanation,
            }
        })
        .collect();
    (incidents, of_finding)
}

#[cfg(test)]
mod tests;
