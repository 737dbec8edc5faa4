//! The checks of a live check: pure functions that judge what a scope stream measured and what
//! the API answered, each returning the findings and checks it adds to the case ([`Outcome`]).
//!
//! * The verification URL itself ([`verification_url`]).
//! * The records of a scope as served ([`scope_records`]): membership and seq order.
//! * Fingerprint recompute: the URL's hash against the fingerprint of its scope's live records
//!   ([`url_fingerprint`]), and each export's fingerprint against the live records up to its
//!   chain head ([`export_fingerprints`]).
//! * Reconciling the evidence against the live records: the service's chain head against the
//!   records read ([`chain_head`]) and the live record at each export's chain head against the
//!   head it states ([`export_head`]).
//! * The service's own verdict against the local recomputation ([`server_verdict`]).
//!
//! Invariants: no function here makes a request, and none takes the service at its word: every
//! comparison is against what was recomputed locally from the records; a comparison that cannot
//! be made (no hash stated, an unreadable record) is `not_possible`, never passed; growth since an
//! export is `record_appended` (info), never a failure; every finding and check names the input
//! it concerns (`live:<origin>`, or the scope's own live input) and, where it concerns one, its
//! tenant and the export compared with.

use trailproof_core::case::Case;
use trailproof_core::finding::{Check, Code, Finding, Status};
use trailproof_core::record::{hex, parse_hex, Checked};
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

use crate::api::{ChainHead, VerifyAnswer};
use crate::scope_stream::ScopeStream;

/// The findings and checks one check adds to the case, in order.
#[derive(Default)]
pub(crate) struct Outcome {
    pub findings: Vec<Finding>,
    pub checks: Vec<Check>,
}

impl Outcome {
    /// Appends `other`'s findings and checks after these.
    pub fn extend(&mut self, other: Outcome) {
        self.findings.extend(other.findings);
        self.checks.extend(other.checks);
    }

    /// Adds the findings and checks to `case`.
    pub fn add_to(self, case: &mut Case) {
        case.add(self.findings, self.checks);
    }
}

/// The chain head an export states, which the live record at its seq must match.
pub(crate) struct ExportHead {
    /// The export's input name.
    pub input: String,
    pub seq: u64,
    /// The chain head's hash (hex).
    pub hash: String,
}

impl ExportHead {
    /// The chain heads the exports of `case` state for `tenant`, in input order.
    pub fn of_tenant(case: &Case, tenant: &str) -> Vec<ExportHead> {
        case.exports()
            .iter()
            .filter(|a| a.tenant_id.as_deref() == Some(tenant))
            .filter_map(|a| {
                a.chain_head.map(|(seq, hash)| ExportHead {
                    input: a.input.clone(),
                    seq,
                    hash: hex(&hash),
                })
            })
            .collect()
    }
}

/// The verification URL itself: `verify_url` (well-formed AEF/1, or not possible as given) and
/// `legacy_search_unverifiable` (legacy `q`/`field` search, which no scope replays).
pub(crate) fn verification_url(url: &VerifyUrl, name: &str) -> Outcome {
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    let legacy: Vec<&(String, String)> = url
        .unknown
        .iter()
        .filter(|(k, _)| k == "q" || k == "field")
        .collect();
    let other: Vec<String> = url
        .unknown
        .iter()
        .filter(|(k, _)| k != "q" && k != "field")
        .map(|(k, val)| format!("{k}={val}"))
        .collect();
    if !legacy.is_empty() {
        findings.push(
            Finding::new(
                Code::LegacySearchUnverifiable,
                url.params.tenant_id.as_deref(),
                None,
                "the verification URL carries legacy q/field search, which is not part of the scope and cannot be replayed: the export it names will not verify".into(),
            )
            .input(name),
        );
    }
    if url.problems.is_empty() && other.is_empty() {
        checks.push(Check::new(
            "verify_url",
            Status::Passed,
            "the verification URL is well-formed AEF/1",
        ));
    } else {
        let mut why = url.problems.clone();
        if !other.is_empty() {
            why.push(format!(
                "parameters not in AEF/1: {} (not replayed)",
                other.join(", ")
            ));
        }
        checks.push(Check::new(
            "verify_url",
            Status::NotPossible,
            format!(
                "the verification URL cannot be verified as given: {}",
                why.join("; ")
            ),
        ));
    }
    let checks = checks.into_iter().map(|c| c.input(name)).collect();
    Outcome { findings, checks }
}

/// The records of a scope as the service served them: `scope_membership` (with the stream's
/// `scope_violation` findings, taken from it) and `seq_order`.
pub(crate) fn scope_records(stream: &mut ScopeStream) -> Outcome {
    let findings = std::mem::take(&mut stream.out_of_scope);
    let input = stream.input.as_str();
    let mut checks = Vec::new();
    checks.push(
        Check::outcome(
            "scope_membership",
            !findings.is_empty(),
            format!(
                "each live record matches the scope it was fetched for ({} do not)",
                findings.len()
            ),
        )
        .input(input),
    );
    checks.push(
        Check::outcome(
            "seq_order",
            stream.order_problems > 0,
            format!(
                "the service returned records in ascending seq order ({} out of order)",
                stream.order_problems
            ),
        )
        .input(input),
    );
    Outcome { findings, checks }
}

/// Fingerprint recompute, each export of the scope: the fingerprint it states against that of
/// the live records up to its chain head (`live_fingerprint`, `fingerprint_mismatch`), and the
/// records appended after its chain head (`record_appended`, info).
pub(crate) fn export_fingerprints(stream: &ScopeStream) -> Outcome {
    let scope = &stream.scope;
    let input = stream.input.as_str();
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    for (export, cut) in stream.export_cuts() {
        let live = cut.digest.clone().unwrap_or_default();
        let head_seq = cut.bound;
        let stated = &export.fingerprint;
        let export = &export.input;
        match stated {
            Some(stated) if stream.unreadable == 0 => {
                let bad = *stated != live;
                if bad {
                    findings.push(
                        Finding::new(
                            Code::FingerprintMismatch,
                            Some(&scope.tenant_id),
                            None,
                            format!(
                                "the fingerprint {export} states differs from the fingerprint of the {} live record(s) of its scope up to its chain head (seq {head_seq}): the records changed since the export",
                                cut.count
                            ),
                        )
                        .input(input)
                        .other_input(export)
                        .values(stated.clone(), live.clone()),
                    );
                }
                checks.push(
                    Check::outcome(
                        "live_fingerprint",
                        bad,
                        format!("the fingerprint of {export} against the live records of its scope up to seq {head_seq}"),
                    )
                    .input(input)
                    .tenant(&scope.tenant_id),
                );
            }
            _ => checks.push(
                Check::new(
                    "live_fingerprint",
                    Status::NotPossible,
                    format!("the fingerprint of {export} cannot be compared: it states none, or a live record is unreadable"),
                )
                .input(input)
                .tenant(&scope.tenant_id),
            ),
        }
        if cut.above > 0 {
            let first = cut.first_above.unwrap_or(head_seq + 1);
            let last = stream.last_seq.unwrap_or(first);
            findings.push(
                Finding::new(
                    Code::RecordAppended,
                    Some(&scope.tenant_id),
                    Some(first),
                    format!(
                        "{} record(s) of the scope of {export} were appended after its chain head (seq {head_seq}): expected growth, the exported records are not affected",
                        cut.above
                    ),
                )
                .input(input)
                .other_input(export)
                .seq_end(last),
            );
        }
    }
    Outcome { findings, checks }
}

/// Fingerprint recompute, the URL's scope: the URL's hash against `fingerprint`, the fingerprint of the
/// scope's live records recomputed by `stream` (`url_fingerprint`), or against the first part of
/// them (the export the URL names, grown since: `record_appended` when no export of the scope is
/// in the case to say so); else `fingerprint_mismatch`.
pub(crate) fn url_fingerprint(url: &VerifyUrl, stream: &ScopeStream, fingerprint: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let tenant = stream.scope.tenant_id.as_str();
    let input = stream.input.as_str();
    let Some(stated) = url.hash.as_deref().filter(|h| parse_hex(h).is_some()) else {
        outcome.checks.push(
            Check::new(
                "url_fingerprint",
                Status::NotPossible,
                "the verification URL has no valid hash to compare the live fingerprint with",
            )
            .input(input)
            .tenant(tenant),
        );
        return outcome;
    };
    if stream.unreadable > 0 {
        outcome.checks.push(
            Check::new(
                "url_fingerprint",
                Status::NotPossible,
                format!(
                    "{} live record(s) are unreadable, so the scope's fingerprint cannot be recomputed",
                    stream.unreadable
                ),
            )
            .input(input)
            .tenant(tenant),
        );
        return outcome;
    }
    let n = stream.fingerprinted();
    if stated == fingerprint {
        outcome.checks.push(
            Check::new(
                "url_fingerprint",
                Status::Passed,
                format!(
                    "the URL's hash equals the fingerprint of the {n} live record(s) of its scope"
                ),
            )
            .input(input)
            .tenant(tenant),
        );
        return outcome;
    }
    if let Some((count, last)) = stream.prefix_match {
        // The URL's export holds exactly the first `count` records; the rest came later.
        outcome.checks.push(
            Check::new(
                "url_fingerprint",
                Status::Passed,
                format!(
                    "the URL's hash equals the fingerprint of the first {count} live record(s) of its scope (up to seq {last}); {} were appended since",
                    n - count
                ),
            )
            .input(input)
            .tenant(tenant),
        );
        if stream.exports.is_empty() {
            outcome.findings.push(
                Finding::new(
                    Code::RecordAppended,
                    Some(tenant),
                    Some(last + 1),
                    format!(
                        "{} record(s) were appended to the scope after the export the URL names (its records up to seq {last} are intact): expected growth",
                        n - count
                    ),
                )
                .input(input)
                .seq_end(stream.last_seq.unwrap_or(last + 1)),
            );
        }
        return outcome;
    }
    outcome.findings.push(
        Finding::new(
            Code::FingerprintMismatch,
            Some(tenant),
            None,
            format!(
                "the verification URL's hash is not the fingerprint of the {n} live record(s) of its scope, nor of any first part of them: records of the scope were changed, deleted or inserted since the export{}",
                if stream.exports.is_empty() {
                    " (give the export with --evidence to see which)"
                } else {
                    ""
                }
            ),
        )
        .input(input)
        .values(stated, fingerprint),
    );
    outcome.checks.push(
        Check::new(
            "url_fingerprint",
            Status::Failed,
            "the URL's hash against the live records of its scope",
        )
        .input(input)
        .tenant(tenant),
    );
    outcome
}

/// The service's own verdict: its verify answer `answer` to the hash `asked` against the local
/// recomputation `local_fingerprint` (`server_verdict`; `server_verdict_disagrees` where it contradicts
/// it, in status or in computed hash).
pub(crate) fn server_verdict(
    answer: &VerifyAnswer,
    asked: &str,
    local_fingerprint: &str,
    scope: &Scope,
    name: &str,
) -> Outcome {
    let local_status = if asked == local_fingerprint {
        "verified"
    } else {
        "mismatch"
    };
    let mut why = Vec::new();
    if answer.status != local_status {
        why.push(format!(
            "it says {} where the local recomputation says {local_status}",
            answer.status
        ));
    }
    if answer.computed_hash != local_fingerprint {
        why.push(format!(
            "its computed hash {} is not the local {}",
            answer.computed_hash, local_fingerprint
        ));
    }
    let mut findings = Vec::new();
    if !why.is_empty() {
        findings.push(
            Finding::new(
                Code::ServerVerdictDisagrees,
                Some(&scope.tenant_id),
                None,
                format!(
                    "the service's own verify answer contradicts the records it serves ({}; it counts {} record(s)): a compromised or faulty service must not be trusted",
                    why.join("; "),
                    answer.record_count
                ),
            )
            .input(name)
            .values(answer.computed_hash.clone(), local_fingerprint.to_string()),
        );
    }
    let c = Check::outcome(
        "server_verdict",
        !why.is_empty(),
        format!(
            "the service's verify answer ({}) against the local recomputation",
            answer.status
        ),
    )
    .input(name)
    .tenant(&scope.tenant_id);
    Outcome {
        findings,
        checks: vec![c],
    }
}

/// Reconciling the service with itself: the chain head it states for `tenant` against `seen`,
/// the highest seq of `tenant` among the live records read (`live_chain_head`; `chain_truncated`
/// when a record lies above the stated head).
pub(crate) fn chain_head(tenant: &str, head: &ChainHead, seen: u64, name: &str) -> Outcome {
    let below = seen > head.seq;
    Outcome {
        findings: if below {
            vec![Finding::new(
                Code::ChainTruncated,
                Some(tenant),
                Some(head.seq),
                format!(
                    "the service states chain head seq {} but returned a record at seq {seen}",
                    head.seq
                ),
            )
            .input(name)]
        } else {
            Vec::new()
        },
        checks: vec![Check::outcome(
            "live_chain_head",
            below,
            format!(
                "the service's chain head (seq {}, {}) against the live records read",
                head.seq,
                short(&head.hash)
            ),
        )
        .input(name)
        .tenant(tenant)],
    }
}

/// Reconciling an export with the live records, of tenant `tenant`: `at`, the live record at the
/// seq of the export's chain head, against the head the export states (`live_anchor`:
/// `anchor_mismatch` when it differs or is gone, `chain_truncated` when the service's chain
/// `head` ends before it, `record_appended` (info) for growth since).
pub(crate) fn export_head(
    tenant: &str,
    export: &ExportHead,
    at: Option<&Checked>,
    head: &ChainHead,
    name: &str,
) -> Outcome {
    let stated_seq = export.seq;
    let stated_hash = export.hash.as_str();
    let export = export.input.as_str();
    let mut findings = Vec::new();
    match at {
        None if head.seq < stated_seq => findings.push(
            Finding::new(
                Code::ChainTruncated,
                Some(tenant),
                Some(stated_seq),
                format!(
                    "the live chain ends at seq {} but {export} states the chain reached seq {stated_seq}: the tail of the log was cut off",
                    head.seq
                ),
            )
            .input(name)
            .other_input(export)
            .values(stated_hash, "(absent)"),
        ),
        None => findings.push(
            Finding::new(
                Code::AnchorMismatch,
                Some(tenant),
                Some(stated_seq),
                format!("the live chain lacks seq {stated_seq}, the chain head {export} states: it was deleted"),
            )
            .input(name)
            .other_input(export)
            .values(stated_hash, "(absent)"),
        ),
        Some(c) => {
            let live = c.stored_hash.map(|d| hex(&d)).unwrap_or_default();
            if live != stated_hash {
                findings.push(
                    Finding::new(
                        Code::AnchorMismatch,
                        Some(tenant),
                        Some(stated_seq),
                        format!(
                            "the chain head {export} states for seq {stated_seq} differs from the live record at that seq: the chain was rewritten after the export"
                        ),
                    )
                    .input(name)
                    .other_input(export)
                    .values(stated_hash, live),
                );
            }
        }
    }
    if head.seq > stated_seq && findings.is_empty() {
        findings.push(
            Finding::new(
                Code::RecordAppended,
                Some(tenant),
                Some(stated_seq + 1),
                format!(
                    "the tenant's chain grew from seq {stated_seq} ({export}'s chain head) to seq {} since the export: expected growth",
                    head.seq
                ),
            )
            .input(name)
            .other_input(export)
            .seq_end(head.seq),
        );
    }
    let failed = findings.iter().any(|f| f.code != Code::RecordAppended);
    let c = Check::outcome(
        "live_anchor",
        failed,
        format!(
            "the chain head {export} states (seq {stated_seq}) against the live record at that seq"
        ),
    )
    .input(name)
    .tenant(tenant);
    Outcome {
        findings,
        checks: vec![c],
    }
}

/// The first 16 characters of a hash, for a check's message.
fn short(h: &str) -> String {
    h.chars().take(16).collect()
}
