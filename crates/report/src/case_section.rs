//! The case section of a report made from a case file (`trailproof case report`), as text
//! tables that the HTML and the PDF writer both render, so the two show the same words: the
//! case and its examiner, the evidence with what re-hashing found, the annotated records, the
//! analyst events (marked as the examiner's, not evidence), and the examiner log's head.
//!
//! Times of this section are shown in the case's display time zone with their offset, and in
//! UTC beside them; the section says so. The rest of the report stays in UTC.

use trailproof_core::handover::{CaseHandover, EvidenceState};

/// The section's content.
pub(crate) struct CaseRows {
    /// (label, value) pairs of the case.
    pub meta: Vec<(&'static str, String)>,
    /// Path, kind, size, SHA-256 when added, added, verdict then, now.
    pub evidence: Vec<[String; 7]>,
    /// Tenant, seq, source, starred, tags, notes.
    pub annotations: Vec<[String; 6]>,
    /// Number, time (zone), time (UTC), text, state.
    pub analyst_events: Vec<[String; 5]>,
}

/// Column names of [`CaseRows::evidence`].
pub(crate) const EVIDENCE_COLUMNS: [&str; 7] = [
    "Path",
    "Kind",
    "Size (bytes)",
    "SHA-256 when added",
    "Added",
    "Verdict then",
    "Now",
];
/// Column names of [`CaseRows::annotations`].
pub(crate) const ANNOTATION_COLUMNS: [&str; 6] =
    ["Tenant", "Seq", "Source", "Starred", "Tags", "Notes"];
/// Column names of [`CaseRows::analyst_events`].
pub(crate) const ANALYST_COLUMNS: [&str; 5] = ["#", "Time (case zone)", "UTC", "What", "State"];

/// A canonical UTC timestamp in `zone`, with its offset ("2026-04-30 14:02:00 +02:00").
pub(crate) fn in_zone(utc: &str, zone: &str) -> String {
    let Ok(ts) = utc.parse::<jiff::Timestamp>() else {
        return utc.to_string();
    };
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => ts
            .to_zoned(tz)
            .strftime("%Y-%m-%d %H:%M:%S %:z")
            .to_string(),
        Err(_) => format!("{utc} (time zone {zone} unknown on this machine)"),
    }
}

impl CaseRows {
    /// The rows of `case`.
    pub(crate) fn of(case: &CaseHandover) -> CaseRows {
        let zone = &case.time_zone;
        let t = |utc: &str| format!("{} ({utc})", in_zone(utc, zone));
        let log = &case.examiner_log;
        let log_text = match &log.head {
            None => "empty".to_string(),
            Some(h) => format!(
                "{} records, head seq {} hash {}; chain {}",
                log.records,
                h.seq,
                h.hash,
                if log.is_whole() { "whole" } else { "BROKEN" }
            ),
        };
        let mut meta = vec![
            ("Case number", case.number.clone()),
            ("Title", case.title.clone().unwrap_or_default()),
            ("Case id", case.id.clone()),
            (
                "Examiner",
                format!("{} ({})", case.examiner_name, case.examiner_id),
            ),
            (
                "Organisation",
                case.organisation.clone().unwrap_or_default(),
            ),
            (
                "Time zone",
                format!(
                    "{zone}: the case's times are shown in it with their offset, UTC beside \
                     them; the rest of the report is in UTC"
                ),
            ),
            ("Created", t(&case.created)),
            ("Examiner log", log_text),
        ];
        for b in log.breaks.iter().chain(&case.inconsistencies) {
            meta.push(("Case file problem", b.clone()));
        }
        let evidence = case
            .evidence
            .iter()
            .map(|c| {
                let e = &c.evidence;
                let now = match &c.now {
                    EvidenceState::Unchanged => "unchanged".to_string(),
                    EvidenceState::Changed {
                        size_now,
                        sha256_now,
                    } => format!(
                        "CHANGED: now {size_now} bytes, SHA-256 {sha256_now}; its results are not current"
                    ),
                    EvidenceState::Missing { reason } => {
                        format!("MISSING: {reason}; its results are not current")
                    }
                };
                [
                    e.path.clone(),
                    e.kind.clone(),
                    e.size.to_string(),
                    e.sha256.clone(),
                    t(&e.added),
                    e.verdict.clone(),
                    now,
                ]
            })
            .collect();
        let annotations = case
            .annotations
            .iter()
            .map(|a| {
                let notes = a
                    .notes
                    .iter()
                    .map(|n| {
                        let edited = n
                            .edited
                            .as_ref()
                            .map(|e| format!(", edited {}", in_zone(e, zone)))
                            .unwrap_or_default();
                        format!(
                            "[{} {}{edited}] {}",
                            n.id,
                            in_zone(&n.written, zone),
                            n.text
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                [
                    a.tenant_id.clone(),
                    a.seq.to_string(),
                    a.source.clone().unwrap_or_default(),
                    if a.starred { "yes" } else { "" }.to_string(),
                    a.tags.join(", "),
                    notes,
                ]
            })
            .collect();
        let analyst_events = case
            .analyst_events
            .iter()
            .map(|e| {
                [
                    e.id.to_string(),
                    in_zone(&e.time, zone),
                    e.time.clone(),
                    e.text.clone(),
                    if e.withdrawn {
                        "withdrawn by the examiner"
                    } else {
                        "recorded by the examiner"
                    }
                    .to_string(),
                ]
            })
            .collect();
        CaseRows {
            meta,
            evidence,
            annotations,
            analyst_events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_case_zone_with_their_offset() {
        assert_eq!(
            in_zone("2026-04-30T12:02:00.000000000Z", "Europe/Berlin"),
            "2026-04-30 14:02:00 +02:00"
        );
        assert_eq!(
            in_zone("2026-01-30T12:02:00.000000000Z", "Europe/Berlin"),
            "2026-01-30 13:02:00 +01:00"
        );
        assert_eq!(
            in_zone("2026-01-30T12:02:00.000000000Z", "UTC"),
            "2026-01-30 12:02:00 +00:00"
        );
        assert_eq!(
            in_zone("2026-01-30T12:02:00.000000000Z", "Mars/Olympus"),
            "2026-01-30T12:02:00.000000000Z (time zone Mars/Olympus unknown on this machine)"
        );
    }
}
