//! The incidents of a report as one text table that the HTML and the PDF writer both render, so
//! the two say the same words: number, kind, tenant, seqs, what happened, and the root finding
//! with how many findings follow from it.

use trailproof_core::report::Report;

/// Column names of [`incident_rows`].
pub(crate) const INCIDENT_COLUMNS: [&str; 6] =
    ["#", "Kind", "Tenant", "Seq", "What happened", "Findings"];

/// One row per incident, in report order.
pub(crate) fn incident_rows(report: &Report) -> Vec<[String; 6]> {
    report
        .incidents
        .iter()
        .map(|i| {
            let seqs = match (i.first_seq, i.last_seq) {
                (Some(a), Some(b)) if a != b => format!("{a}..{b}"),
                (Some(a), _) => a.to_string(),
                _ => String::new(),
            };
            let root = report
                .findings
                .get(i.root)
                .map(|f| format!("{} (root)", f.code.as_str()))
                .unwrap_or_default();
            let follow = match i.dependents.len() {
                0 => String::new(),
                1 => " and 1 that follows from it".to_string(),
                n => format!(" and {n} that follow from it"),
            };
            [
                i.id.to_string(),
                i.kind.as_str().to_string(),
                i.tenant_id.clone().unwrap_or_default(),
                seqs,
                i.explanation.clone(),
                format!("{root}{follow}"),
            ]
        })
        .collect()
}
