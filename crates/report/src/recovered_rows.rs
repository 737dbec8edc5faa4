//! The recovered records of a report (SPEC section 10, `record_recovered`) as one text table that
//! the HTML and the PDF writer both render: which record, the proof, where it was found, and
//! every member that differs from the current version (current → recovered), or the whole
//! record when nothing current holds its seq.

use trailproof_core::finding::{Code, Finding, Proof};
use trailproof_core::recovery::{found_at, proof_meaning};
use trailproof_core::report::Report;

/// Column names of [`recovered_rows`].
pub(crate) const RECOVERED_COLUMNS: [&str; 5] = [
    "Record",
    "Proof",
    "Found in",
    "Differs from the current version (current → recovered)",
    "Recomputed hash",
];

/// The `record_recovered` findings of a report, in report order.
fn recovered(report: &Report) -> impl Iterator<Item = &Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.code == Code::RecordRecovered)
}

/// The proof and what it means.
fn proof_words(f: &Finding) -> String {
    let proof = f.proof.unwrap_or(Proof::Unproven);
    format!("{}: {}", proof.as_str(), proof_meaning(proof))
}

/// One row per recovered record.
pub(crate) fn recovered_rows(report: &Report) -> Vec<[String; 5]> {
    recovered(report)
        .map(|f| {
            let record = format!(
                "{} seq {}",
                f.tenant_id.as_deref().unwrap_or("(no tenant)"),
                f.seq.map_or_else(|| "-".to_string(), |s| s.to_string())
            );
            let place = format!(
                "{} at {}{}{}",
                f.recovered_from.as_deref().unwrap_or("?"),
                found_at(
                    f.recovered_from.as_deref().unwrap_or(""),
                    f.offset.unwrap_or(0)
                ),
                f.location
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default(),
                f.input
                    .as_deref()
                    .map(|i| format!(" of {i}"))
                    .unwrap_or_default()
            );
            let differs = if f.fields.is_empty() {
                let whole = f.record.as_ref().map(|r| r.to_string()).unwrap_or_default();
                format!("nothing current holds this seq; recovered: {whole}")
            } else {
                f.fields
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: {} → {}",
                            d.field,
                            d.left.as_deref().unwrap_or("(absent)"),
                            d.right.as_deref().unwrap_or("(absent)")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            [
                record,
                proof_words(f),
                place,
                differs,
                f.computed.clone().unwrap_or_default(),
            ]
        })
        .collect()
}
