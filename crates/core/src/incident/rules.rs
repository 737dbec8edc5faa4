//! The grouping rules, one per act of tampering, in the order [`group`](super::group) runs
//! them: each takes the findings that are still free and that its act explains, names a root and
//! writes the one sentence that explains it.

use std::collections::BTreeMap;

use super::{Draft, Grouper, IncidentKind};
use crate::finding::{Code, Finding, Level};
use crate::report::count;

/// Members that every re-hash changes; a record that differs only in these was re-hashed, not
/// edited.
const HASH_FIELDS: [&str; 2] = ["hash", "prev_hash"];

fn content_changed(f: &Finding) -> bool {
    f.fields
        .iter()
        .any(|d| !HASH_FIELDS.contains(&d.field.as_str()))
}

/// "acme seq 12", "acme seq 12-57".
fn span(tenant: Option<&str>, first: Option<u64>, last: Option<u64>) -> String {
    let tenant = tenant.unwrap_or("(no tenant)");
    match (first, last) {
        (Some(a), Some(b)) if a != b => format!("{tenant} seq {a}-{b}"),
        (Some(a), _) => format!("{tenant} seq {a}"),
        (None, _) => tenant.to_string(),
    }
}

/// "actor_user_id \"u-1004\" -> \"u-1003\"" for the content fields of a diverged finding, the
/// original (`original_left`: the finding's `input`) first.
fn changed_fields(f: &Finding, original_left: bool) -> String {
    f.fields
        .iter()
        .filter(|d| !HASH_FIELDS.contains(&d.field.as_str()))
        .map(|d| {
            let (was, now) = if original_left {
                (&d.left, &d.right)
            } else {
                (&d.right, &d.left)
            };
            let was = was.as_deref().unwrap_or("(absent)");
            let now = now.as_deref().unwrap_or("(absent)");
            format!("{} {was} -> {now}", d.field)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The findings of one tenant between one pair of sources: (tenant, input, other input).
type SourcePair = (Option<String>, Option<String>, Option<String>);

impl Grouper<'_> {
    /// `anchor_mismatch`: a chain rewritten consistently, exposed by a chain head known from
    /// elsewhere. The root is the lowest diverged record whose content changed.
    pub(super) fn rechained_by_anchor(&mut self) {
        for anchor in self.free(Code::AnchorMismatch) {
            if self.taken[anchor] {
                continue;
            }
            let f = &self.findings[anchor];
            let tenant = f.tenant_id.clone();
            let head = f.seq.unwrap_or(0);
            let rewritten = f.input.clone();
            let anchor_source = f.other_input.clone();
            let diverged: Vec<usize> = self
                .free_in(Code::RecordDiverged, tenant.as_deref(), 0, head)
                .into_iter()
                .filter(|&i| self.involves(i, rewritten.as_deref()))
                .collect();
            let root = diverged
                .iter()
                .copied()
                .find(|&i| content_changed(&self.findings[i]))
                .or_else(|| diverged.first().copied())
                .unwrap_or(anchor);
            let first = self.seq(root).or(Some(head));
            let source = anchor_source.as_deref().unwrap_or("another source");
            let cause = if root == anchor {
                String::new()
            } else {
                let r = &self.findings[root];
                let original_left = r.input == anchor_source;
                let fields = changed_fields(r, original_left);
                if fields.is_empty() {
                    String::new()
                } else {
                    format!(" ({fields})")
                }
            };
            let rehashed = diverged
                .iter()
                .filter(|&&i| i != root && !content_changed(&self.findings[i]))
                .count();
            let also_edited = diverged
                .iter()
                .filter(|&&i| i != root && content_changed(&self.findings[i]))
                .count();
            let mut explanation = if root == anchor {
                format!(
                    "the chain of {} was rewritten at or before seq {head} and re-hashed to hide it: the record now at seq {head} is not the one {source} commits to",
                    tenant.as_deref().unwrap_or("(no tenant)")
                )
            } else if cause.is_empty() {
                // The source that holds the original shows no content change (an export of a
                // narrower scope, say): only that the chain differs from this seq on.
                format!(
                    "the chain of {} was rewritten at or before seq {} and re-hashed through seq {head} to hide it: from there on its records differ from those {source} holds only in their hashes",
                    tenant.as_deref().unwrap_or("(no tenant)"),
                    first.unwrap_or(head)
                )
            } else {
                format!(
                    "{} was changed{cause} and the chain re-hashed from there to seq {head} to hide it; {source} exposes it with the chain head it states for seq {head}",
                    span(tenant.as_deref(), first, None)
                )
            };
            if rehashed > 0 {
                explanation.push_str(&format!(
                    "; {} {} only in their hashes",
                    count(rehashed, "later record"),
                    if rehashed == 1 { "differs" } else { "differ" }
                ));
            }
            if also_edited > 0 {
                explanation.push_str(&format!(
                    "; {} in that range {} in content too",
                    count(also_edited, "more record"),
                    if also_edited == 1 {
                        "differs"
                    } else {
                        "differ"
                    }
                ));
            }
            let mut members = diverged;
            members.push(anchor);
            self.push(Draft {
                kind: IncidentKind::Rechained,
                tenant,
                first,
                last: Some(head),
                root,
                members,
                explanation,
            });
        }
    }

    /// `chain_truncated`: a chain that ends before a known chain head; the records it lacks
    /// (`record_missing` from the same input) are its dependents.
    pub(super) fn truncated(&mut self) {
        for cut in self.free(Code::ChainTruncated) {
            let f = &self.findings[cut];
            let tenant = f.tenant_id.clone();
            let head = f.seq.unwrap_or(0);
            let input = f.input.clone();
            let missing = self.same_source(cut, Code::RecordMissing, (0, head));
            let first = missing
                .iter()
                .filter_map(|&i| self.seq(i))
                .min()
                .or(Some(head));
            let explanation = format!(
                "{} is cut short in {}: it ends before the chain head {} states for seq {head}",
                span(tenant.as_deref(), None, None),
                input.as_deref().unwrap_or("a source"),
                f.other_input.as_deref().unwrap_or("another source"),
            );
            let mut members = missing;
            members.push(cut);
            self.push(Draft {
                kind: IncidentKind::Truncated,
                tenant,
                first,
                last: Some(head),
                root: cut,
                members,
                explanation,
            });
        }
    }

    /// `seq_gap`: deleted records; the broken link of the record after the gap follows from it.
    pub(super) fn deleted_gaps(&mut self) {
        for gap in self.free(Code::SeqGap) {
            let f = &self.findings[gap];
            let tenant = f.tenant_id.clone();
            let first = f.seq.unwrap_or(0);
            let last = f.seq_end.unwrap_or(first);
            let input = f.input.clone();
            let mut members = self.same_source(gap, Code::ChainLinkBroken, (last + 1, last + 1));
            members.extend(
                self.free_in(Code::RecordMissing, tenant.as_deref(), first, last)
                    .into_iter()
                    .filter(|&i| self.involves(i, input.as_deref())),
            );
            let explanation = if first == last {
                format!(
                    "{} was deleted: seq {} still names it as its predecessor",
                    span(tenant.as_deref(), Some(first), None),
                    last + 1
                )
            } else {
                format!(
                    "{} were deleted",
                    span(tenant.as_deref(), Some(first), Some(last))
                )
            };
            self.push(Draft {
                kind: IncidentKind::Deleted,
                tenant,
                first: Some(first),
                last: Some(last),
                root: gap,
                members,
                explanation,
            });
        }
    }

    /// `seq_duplicate`: a record inserted with a seq that another already holds; the broken links
    /// at that seq and the next follow from it.
    pub(super) fn inserted_duplicates(&mut self) {
        for dup in self.free(Code::SeqDuplicate) {
            let f = &self.findings[dup];
            let tenant = f.tenant_id.clone();
            let seq = f.seq.unwrap_or(0);
            let members = self.same_source(dup, Code::ChainLinkBroken, (seq, seq + 1));
            let explanation = format!(
                "a second record was inserted at {}",
                span(tenant.as_deref(), Some(seq), None)
            );
            self.push(Draft {
                kind: IncidentKind::Inserted,
                tenant,
                first: Some(seq),
                last: Some(seq),
                root: dup,
                members,
                explanation,
            });
        }
    }

    /// `record_hash_mismatch` and `not_canonical`: a record edited without its hash recomputed.
    /// What other sources or the printed page say of the same record follows from it.
    pub(super) fn edited(&mut self) {
        let edits = self.free_any(&[Code::RecordHashMismatch, Code::NotCanonical]);
        for edit in edits {
            if self.taken[edit] {
                continue;
            }
            let f = &self.findings[edit];
            let tenant = f.tenant_id.clone();
            let seq = f.seq;
            let mut members = Vec::new();
            if let Some(s) = seq {
                for code in [Code::RecordDiverged, Code::VisibleTextMismatch] {
                    members.extend(self.free_in(code, tenant.as_deref(), s, s));
                }
            }
            let explanation = if f.code == Code::NotCanonical {
                format!(
                    "{} was changed into a form no AEF/1 writer produces: it cannot be brought to canonical form",
                    span(tenant.as_deref(), seq, None)
                )
            } else {
                format!(
                    "{} was changed after it was hashed: its content no longer hashes to its stored hash",
                    span(tenant.as_deref(), seq, None)
                )
            };
            self.push(Draft {
                kind: IncidentKind::Edited,
                tenant,
                first: seq,
                last: seq,
                root: edit,
                members,
                explanation,
            });
        }
    }

    /// `chain_link_broken` and `genesis_invalid` left over: the record before the link was
    /// changed and re-hashed, or (where the timestamps go back there) records were reordered.
    pub(super) fn broken_links(&mut self) {
        let links = self.free_any(&[Code::ChainLinkBroken, Code::GenesisInvalid]);
        for link in links {
            let f = &self.findings[link];
            let tenant = f.tenant_id.clone();
            let seq = f.seq.unwrap_or(1);
            if f.code == Code::GenesisInvalid {
                let explanation = format!(
                    "{} was changed: its prev_hash is not the all-zero hash that starts a chain",
                    span(tenant.as_deref(), Some(seq), None)
                );
                self.push(Draft {
                    kind: IncidentKind::Edited,
                    tenant,
                    first: Some(seq),
                    last: Some(seq),
                    root: link,
                    members: Vec::new(),
                    explanation,
                });
                continue;
            }
            let before = seq.saturating_sub(1).max(1);
            let backwards = self.free_in(Code::TimestampRegression, tenant.as_deref(), before, seq);
            if !backwards.is_empty() {
                let explanation = format!(
                    "{} were reordered: seq {seq} names another predecessor and its time goes back",
                    span(tenant.as_deref(), Some(before), Some(seq))
                );
                self.push(Draft {
                    kind: IncidentKind::Reordered,
                    tenant,
                    first: Some(before),
                    last: Some(seq),
                    root: link,
                    members: backwards,
                    explanation,
                });
                continue;
            }
            let explanation = format!(
                "{} was changed and re-hashed: its hash is no longer the prev_hash that seq {seq} committed to",
                span(tenant.as_deref(), Some(before), None)
            );
            self.push(Draft {
                kind: IncidentKind::EditedRehashed,
                tenant,
                first: Some(before),
                last: Some(before),
                root: link,
                members: Vec::new(),
                explanation,
            });
        }
    }

    /// `record_diverged` left over, per tenant and pair of sources in seq order: a record whose
    /// content differs followed by records that differ only in their hashes is a rewrite exposed
    /// by the other source; a lone difference is a divergence.
    pub(super) fn diverged(&mut self) {
        let mut runs: BTreeMap<SourcePair, Vec<usize>> = BTreeMap::new();
        let mut order = Vec::new();
        for i in self.free(Code::RecordDiverged) {
            let f = &self.findings[i];
            let key = (f.tenant_id.clone(), f.input.clone(), f.other_input.clone());
            if !runs.contains_key(&key) {
                order.push(key.clone());
            }
            runs.entry(key).or_default().push(i);
        }
        for key in order {
            let mut members = runs.remove(&key).unwrap_or_default();
            members.sort_by_key(|&i| (self.seq(i), i));
            let mut start = 0;
            while start < members.len() {
                let mut end = start + 1;
                while end < members.len()
                    && !content_changed(&self.findings[members[end]])
                    && self.seq(members[end]) == self.seq(members[end - 1]).map(|s| s + 1)
                {
                    end += 1;
                }
                let run: Vec<usize> = members[start..end].to_vec();
                self.diverged_run(&key, run);
                start = end;
            }
        }
    }

    pub(super) fn diverged_run(&mut self, (tenant, left, right): &SourcePair, run: Vec<usize>) {
        let root = run[0];
        let first = self.seq(root);
        let last = self.seq(run[run.len() - 1]);
        let left = left.as_deref().unwrap_or("one source");
        let right = right.as_deref().unwrap_or("another source");
        let fields = changed_fields(&self.findings[root], true);
        if run.len() == 1 {
            let explanation = if fields.is_empty() {
                format!(
                    "{} differs between {left} and {right} only in its hashes",
                    span(tenant.as_deref(), first, None)
                )
            } else {
                format!(
                    "{} differs between {left} and {right}: {fields} ({left} first)",
                    span(tenant.as_deref(), first, None)
                )
            };
            self.push(Draft {
                kind: IncidentKind::Diverged,
                tenant: tenant.clone(),
                first,
                last,
                root,
                members: run,
                explanation,
            });
            return;
        }
        let cause = if fields.is_empty() {
            String::new()
        } else {
            format!(" ({fields}, {left} first)")
        };
        let explanation = format!(
            "{} differs between {left} and {right}{cause}, and the {} after it {} only in their hashes: the chain was re-hashed from there",
            span(tenant.as_deref(), first, None),
            count(run.len() - 1, "record"),
            if run.len() == 2 { "differs" } else { "differ" }
        );
        self.push(Draft {
            kind: IncidentKind::Rechained,
            tenant: tenant.clone(),
            first,
            last,
            root,
            members: run,
            explanation,
        });
    }

    /// `record_missing` left over, per tenant and pair of sources: consecutive missing seqs are
    /// one deletion (or insertion into the other source; the finding's message says both).
    pub(super) fn missing(&mut self) {
        let mut free = self.free(Code::RecordMissing);
        free.sort_by_key(|&i| {
            let f = &self.findings[i];
            (
                f.tenant_id.clone(),
                f.input.clone(),
                f.other_input.clone(),
                f.seq,
                i,
            )
        });
        let mut start = 0;
        while start < free.len() {
            let head = &self.findings[free[start]];
            let mut end = start + 1;
            while end < free.len() {
                let f = &self.findings[free[end]];
                let prev = &self.findings[free[end - 1]];
                if f.tenant_id != head.tenant_id
                    || f.input != head.input
                    || f.other_input != head.other_input
                    || f.seq != prev.seq.map(|s| s + 1)
                {
                    break;
                }
                end += 1;
            }
            let run: Vec<usize> = free[start..end].to_vec();
            let root = run[0];
            let f = &self.findings[root];
            let tenant = f.tenant_id.clone();
            let first = f.seq;
            let last = self.seq(run[run.len() - 1]);
            let explanation = format!(
                "{} held by {} {} missing from {}: deleted there, or inserted into {}",
                span(tenant.as_deref(), first, last),
                f.other_input.as_deref().unwrap_or("another source"),
                if run.len() == 1 { "is" } else { "are" },
                f.input.as_deref().unwrap_or("a source"),
                f.other_input.as_deref().unwrap_or("the other source"),
            );
            self.push(Draft {
                kind: IncidentKind::Deleted,
                tenant,
                first,
                last,
                root,
                members: run,
                explanation,
            });
            start = end;
        }
    }

    /// Export-level errors (fingerprint, record count, URL hash, scope, printed pages, the
    /// service's own verdict): part of an incident about a record of the same input and tenant
    /// where there is one (an edited record changes the export's fingerprint), else an incident
    /// of their own.
    pub(super) fn export_level(&mut self) {
        for i in 0..self.findings.len() {
            if self.taken[i] || self.findings[i].level != Level::Error {
                continue;
            }
            let f = &self.findings[i];
            if let Some(d) = self.incident_of_input(f) {
                self.drafts[d].members.push(i);
                self.taken[i] = true;
                continue;
            }
            let tenant = f.tenant_id.clone();
            let (kind, explanation) = match f.code {
                Code::ScopeViolation => (
                    IncidentKind::Inserted,
                    format!(
                        "{} lies outside the export's scope: it was inserted into the export",
                        span(tenant.as_deref(), f.seq, None)
                    ),
                ),
                Code::VisibleTextMismatch | Code::ServerVerdictDisagrees => {
                    (IncidentKind::Diverged, f.message.clone())
                }
                _ => (
                    IncidentKind::Edited,
                    format!(
                        "the export of {} was changed after it was made: {}",
                        span(tenant.as_deref(), None, None),
                        f.message
                    ),
                ),
            };
            self.push(Draft {
                kind,
                tenant,
                first: f.seq,
                last: f.seq,
                root: i,
                members: Vec::new(),
                explanation,
            });
        }
    }

    /// The first incident about a record of `f`'s tenant whose findings concern `f`'s input.
    pub(super) fn incident_of_input(&self, f: &Finding) -> Option<usize> {
        let input = f.input.as_deref()?;
        self.drafts.iter().position(|d| {
            d.tenant == f.tenant_id
                && d.first.is_some()
                && std::iter::once(d.root)
                    .chain(d.members.iter().copied())
                    .any(|m| self.findings[m].input.as_deref() == Some(input))
        })
    }

    /// Warnings that concern an incident's act join it: a timestamp that goes back inside its
    /// seq range (or at the record after it), the incremental update of the PDF it concerns.
    pub(super) fn attach_warnings(&mut self) {
        for i in 0..self.findings.len() {
            if self.taken[i] || self.findings[i].level == Level::Error {
                continue;
            }
            let f = &self.findings[i];
            let joins = match f.code {
                // An earlier version of a record the act concerns, recovered from the evidence.
                Code::RecordRecovered => self.drafts.iter().position(|d| {
                    d.tenant == f.tenant_id
                        && matches!((d.first, d.last, f.seq), (Some(a), Some(b), Some(s)) if s >= a && s <= b)
                }),
                Code::TimestampRegression => self.drafts.iter().position(|d| {
                    d.tenant == f.tenant_id
                        && matches!((d.first, d.last, f.seq), (Some(a), Some(b), Some(s)) if s >= a && s <= b + 1)
                }),
                Code::PdfIncrementalUpdate => {
                    let input = f.input.as_deref();
                    self.drafts.iter().position(|d| {
                        std::iter::once(d.root)
                            .chain(d.members.iter().copied())
                            .any(|m| input.is_some() && self.findings[m].input.as_deref() == input)
                    })
                }
                _ => None,
            };
            if let Some(d) = joins {
                self.drafts[d].members.push(i);
                self.taken[i] = true;
            }
        }
    }
}
