//! Export payloads (`audit-export.json`, AEF/1 section 6) as evidence.
//!
//! [`verify_payload`] recomputes everything the payload states (each record's hash, the links
//! between records with consecutive seqs, the scope of each record, the record count, the
//! fingerprint, the verification URL's hash and scope) and compares; the payload's `chain_head`
//! and records are kept in an [`ExportAnchor`] so other inputs of the same case can be checked
//! against them.

use std::collections::BTreeMap;

use crate::chain::{Chains, Entry, Mode, TenantSummary};
use crate::finding::{Check, Code, Finding, Status};
use crate::fingerprint::FingerprintHasher;
use crate::json::Value;
use crate::record::{self, hex, parse_hex, Digest, Location, RawData, RawRecord};
use crate::scope::Scope;
use crate::verify_url::VerifyUrl;

/// What an export contributes to the rest of a case.
#[derive(Debug, Clone)]
pub struct ExportAnchor {
    /// Path of the export.
    pub input: String,
    /// The tenant the payload names (`None` when unreadable).
    pub tenant_id: Option<String>,
    /// The export's scope (`None` when unreadable).
    pub scope: Option<Scope>,
    /// True when the export used legacy `q`/`field` search: its selection cannot be replayed.
    pub legacy_search: bool,
    /// The tenant's chain head at export time, as the payload states it.
    pub chain_head: Option<(u64, Digest)>,
    /// The payload's records by seq (canonical form), for cross-source comparison.
    pub records: BTreeMap<u64, Value>,
    /// The verification URL the payload states.
    pub verify_url: Option<String>,
    /// The fingerprint the payload states.
    pub fingerprint: Option<String>,
}

/// The outcome of verifying one payload.
#[derive(Debug)]
pub struct PayloadResult {
    /// What is wrong with the payload.
    pub findings: Vec<Finding>,
    /// Every check made of it.
    pub checks: Vec<Check>,
    /// The chains it holds, by tenant.
    pub tenants: Vec<TenantSummary>,
    /// What it contributes to the rest of the case.
    pub anchor: ExportAnchor,
    /// Records it holds.
    pub records: u64,
}

/// Verifies an export payload, given as JSON text, read from `input`.
pub fn verify_payload_bytes(input: &str, bytes: &[u8]) -> PayloadResult {
    match Value::parse(bytes) {
        Ok(v) => verify_payload(input, &v),
        Err(e) => {
            let mut r = empty_result(input);
            r.findings.push(
                Finding::new(
                    Code::NotCanonical,
                    None,
                    None,
                    format!("the export payload is not strict JSON: {e}"),
                )
                .input(input)
                .at(format!("line {} column {}", e.line, e.column)),
            );
            r.checks.push(
                Check::new(
                    "payload",
                    Status::Failed,
                    format!("payload unreadable: {e}"),
                )
                .input(input),
            );
            r
        }
    }
}

fn empty_result(input: &str) -> PayloadResult {
    PayloadResult {
        findings: Vec::new(),
        checks: Vec::new(),
        tenants: Vec::new(),
        anchor: ExportAnchor {
            input: input.to_string(),
            tenant_id: None,
            scope: None,
            legacy_search: false,
            chain_head: None,
            records: BTreeMap::new(),
            verify_url: None,
            fingerprint: None,
        },
        records: 0,
    }
}

/// Verifies a parsed export payload.
pub fn verify_payload(input: &str, p: &Value) -> PayloadResult {
    let mut r = empty_result(input);
    let fail = |r: &mut PayloadResult, code: Code, tenant: Option<&str>, seq, msg: String| {
        r.findings
            .push(Finding::new(code, tenant, seq, msg).input(input));
    };
    if p.get("format").and_then(Value::as_str) != Some("audit-export/1") {
        fail(
            &mut r,
            Code::NotCanonical,
            None,
            None,
            format!(
                "format is {}, not \"audit-export/1\"",
                p.get("format")
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "missing".into())
            ),
        );
    }
    // Scope.
    let scope = match p.get("scope").map(Scope::from_value) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            fail(
                &mut r,
                Code::NotCanonical,
                None,
                None,
                format!("the export's scope is unreadable: {e}"),
            );
            None
        }
        None => {
            fail(
                &mut r,
                Code::NotCanonical,
                None,
                None,
                "the export has no scope".into(),
            );
            None
        }
    };
    let tenant = scope.as_ref().map(|s| s.tenant_id.clone());
    let t = tenant.as_deref();
    r.anchor.tenant_id = tenant.clone();
    r.anchor.scope = scope.clone();
    // Legacy search.
    let legacy = match p.get("legacy_search") {
        None | Some(Value::Null) => None,
        Some(v) => Some((
            v.get("q").map(|x| x.to_string()).unwrap_or_default(),
            v.get("field").map(|x| x.to_string()).unwrap_or_default(),
        )),
    };
    if let Some((q, field)) = &legacy {
        r.anchor.legacy_search = true;
        r.findings.push(
            Finding::new(
                Code::LegacySearchUnverifiable,
                t,
                None,
                format!(
                    "the export was narrowed by legacy search q={q} field={field}, which is not part of the scope: which records it should hold cannot be recomputed, only the records it holds"
                ),
            )
            .input(input),
        );
    }
    // Records.
    let raw: Vec<Value> = match p.get("records") {
        Some(Value::Array(a)) => a.clone(),
        _ => {
            fail(
                &mut r,
                Code::NotCanonical,
                t,
                None,
                "the export has no records array".into(),
            );
            Vec::new()
        }
    };
    let mut chains = Chains::default();
    let mut fp = FingerprintHasher::new();
    let mut buf = Vec::new();
    let mut last_seq = 0u64;
    let mut order_ok = true;
    let mut hash_failures = 0usize;
    let mut scope_failures = 0usize;
    let mut canonical_failures = 0usize;
    let n_records = raw.len();
    for (i, v) in raw.into_iter().enumerate() {
        let c = record::check(
            RawRecord {
                loc: Location::Index(i as u64),
                data: RawData::Value(v),
            },
            &mut buf,
        );
        let rt = c.tenant_id.as_deref().or(t);
        if !c.problems.is_empty() {
            canonical_failures += 1;
            r.findings.push(
                Finding::new(Code::NotCanonical, rt, c.seq, c.problems.join("; "))
                    .input(input)
                    .at(c.loc),
            );
        }
        if let Some(f) = hash_finding(&c, input) {
            hash_failures += 1;
            r.findings.push(f);
        }
        if let (Some(seq), Some(rec)) = (c.seq, c.record.as_ref()) {
            if seq <= last_seq && order_ok {
                order_ok = false;
                r.findings.push(
                    Finding::new(
                        Code::NotCanonical,
                        rt,
                        Some(seq),
                        format!(
                            "records are not in seq order: seq {seq} comes after seq {last_seq}"
                        ),
                    )
                    .input(input)
                    .at(c.loc),
                );
            }
            last_seq = last_seq.max(seq);
            if let Some(s) = &scope {
                if let Some(member) = s.mismatch(rec) {
                    scope_failures += 1;
                    r.findings.push(
                        Finding::new(
                            Code::ScopeViolation,
                            rt,
                            Some(seq),
                            format!(
                                "the exported record does not match the export's scope on {member}"
                            ),
                        )
                        .input(input)
                        .at(c.loc),
                    );
                }
            }
            r.anchor.records.insert(seq, rec.clone());
        }
        if let Some((tn, e)) = Entry::from_checked(&c) {
            chains.push(tn, e);
        }
    }
    r.records = n_records as u64;
    // Fingerprint over the records in seq order.
    for rec in r.anchor.records.values() {
        fp.push(rec);
    }
    let stated_fp = p
        .get("fingerprint")
        .and_then(Value::as_str)
        .map(str::to_string);
    r.anchor.fingerprint = stated_fp.clone();
    let computed_fp = scope.as_ref().map(|s| hex(&fp.finish(s)));
    let fp_detail;
    let fp_status = match (&stated_fp, &computed_fp) {
        (Some(st), Some(co)) if st == co => {
            fp_detail = format!("recomputed fingerprint {co} equals the stated one");
            Status::Passed
        }
        (Some(st), Some(co)) => {
            fp_detail = format!("stated {st}, recomputed {co}");
            r.findings.push(
                Finding::new(
                    Code::FingerprintMismatch,
                    t,
                    None,
                    format!(
                        "the fingerprint recomputed from the {} exported record(s) and the scope differs from the one the export states: the records or the scope were changed after export",
                        r.anchor.records.len()
                    ),
                )
                .input(input)
                .values(st.clone(), co.clone()),
            );
            Status::Failed
        }
        (None, _) => {
            fp_detail = "the export states no fingerprint".into();
            fail(
                &mut r,
                Code::FingerprintMismatch,
                t,
                None,
                "the export states no fingerprint".into(),
            );
            Status::Failed
        }
        (Some(_), None) => {
            fp_detail = "the scope is unreadable, so the fingerprint cannot be recomputed".into();
            Status::NotPossible
        }
    };
    r.checks
        .push(Check::new("fingerprint", fp_status, fp_detail).input(input));
    // Record count.
    let count = p.get("record_count").and_then(Value::as_u64);
    let count_ok = count == Some(n_records as u64);
    if !count_ok {
        r.findings.push(
            Finding::new(
                Code::RecordCountMismatch,
                t,
                None,
                format!(
                    "the export states {} record(s) but holds {n_records}",
                    count
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "no readable count of".into())
                ),
            )
            .input(input)
            .values(
                count
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "(missing)".into()),
                n_records.to_string(),
            ),
        );
    }
    r.checks.push(
        Check::outcome(
            "record_count",
            !count_ok,
            format!("stated record_count against the {n_records} records present"),
        )
        .input(input),
    );
    r.checks.push(
        Check::outcome(
            "record_hashes",
            hash_failures > 0,
            format!("each of the {n_records} exported records hashes to its own hash ({hash_failures} do not)"),
        )
        .input(input),
    );
    r.checks.push(
        Check::outcome(
            "canonical_form",
            canonical_failures > 0 || !order_ok,
            format!(
                "records are readable, canonical and in seq order ({canonical_failures} are not)"
            ),
        )
        .input(input),
    );
    let scope_check = if scope.is_none() {
        Check::new("scope", Status::NotPossible, "the scope is unreadable")
    } else if legacy.is_some() {
        Check::new(
            "scope",
            if scope_failures > 0 { Status::Failed } else { Status::NotPossible },
            "each record matches the scope filters, but the legacy q/field narrowing cannot be replayed",
        )
    } else {
        Check::outcome(
            "scope",
            scope_failures > 0,
            format!("each exported record matches the export's scope ({scope_failures} do not)"),
        )
    };
    r.checks.push(scope_check.input(input));
    // Chain head.
    match p.get("chain_head") {
        Some(h) => {
            let seq = h.get("seq").and_then(Value::as_u64);
            let hash = h.get("hash").and_then(Value::as_str).and_then(parse_hex);
            match (seq, hash) {
                (Some(s), Some(d)) => {
                    r.anchor.chain_head = Some((s, d));
                    if let Some((&max, _)) = r.anchor.records.iter().next_back() {
                        if max > s {
                            fail(
                                &mut r,
                                Code::AnchorMismatch,
                                t,
                                Some(max),
                                format!("the export holds seq {max}, beyond its own stated chain head seq {s}"),
                            );
                        }
                    }
                    if let Some(rec) = r.anchor.records.get(&s) {
                        let stored = rec.get("hash").and_then(Value::as_str).unwrap_or("");
                        if stored != hex(&d) {
                            let f = Finding::new(
                                Code::AnchorMismatch,
                                t,
                                Some(s),
                                format!("the exported record at the chain head seq {s} does not carry the chain head's hash"),
                            )
                            .input(input)
                            .values(hex(&d), stored.to_string());
                            r.findings.push(f);
                        }
                    }
                }
                _ => fail(
                    &mut r,
                    Code::NotCanonical,
                    t,
                    None,
                    format!("chain_head {h} is not {{\"seq\": n, \"hash\": \"<64 hex>\"}}"),
                ),
            }
        }
        None => fail(
            &mut r,
            Code::NotCanonical,
            t,
            None,
            "the export has no chain_head".into(),
        ),
    }
    // Verification URL.
    let url = p
        .get("verify_url")
        .and_then(Value::as_str)
        .map(str::to_string);
    r.anchor.verify_url = url.clone();
    url_checks(
        &mut r,
        input,
        t,
        url.as_deref(),
        stated_fp.as_deref(),
        scope.as_ref(),
        legacy.is_some(),
    );
    // Chain links between consecutive seqs.
    let (f, c, s) = chains.analyze(input, Mode::Subset);
    r.findings.extend(f);
    r.checks.extend(c);
    r.tenants = s;
    r
}

/// The `record_hash_mismatch` finding for a record that does not hash to its own hash.
pub fn hash_finding(c: &record::Checked, input: &str) -> Option<Finding> {
    let computed = c.computed_hash?;
    let stored = match (c.stored_hash, &c.stored_hash_text) {
        (Some(s), _) if s == computed => return None,
        (Some(s), _) => hex(&s),
        (None, Some(t)) => t.clone(),
        (None, None) => return None,
    };
    Some(
        Finding::new(
            Code::RecordHashMismatch,
            c.tenant_id.as_deref(),
            c.seq,
            format!(
                "{} does not hash to its own hash: its content was changed after it was written",
                record::describe(c.tenant_id.as_deref(), c.seq)
            ),
        )
        .input(input)
        .at(c.loc)
        .values(stored, hex(&computed)),
    )
}

fn url_checks(
    r: &mut PayloadResult,
    input: &str,
    t: Option<&str>,
    url: Option<&str>,
    stated_fp: Option<&str>,
    scope: Option<&Scope>,
    legacy: bool,
) {
    let Some(url) = url else {
        r.findings.push(
            Finding::new(
                Code::UrlHashMismatch,
                t,
                None,
                "the export states no verification URL".into(),
            )
            .input(input),
        );
        r.checks
            .push(Check::new("verify_url", Status::Failed, "no verification URL").input(input));
        return;
    };
    let v = match VerifyUrl::parse(url) {
        Ok(v) => v,
        Err(e) => {
            r.findings.push(
                Finding::new(
                    Code::UrlHashMismatch,
                    t,
                    None,
                    format!("the verification URL is unreadable: {e}"),
                )
                .input(input),
            );
            r.checks
                .push(Check::new("verify_url", Status::Failed, e.to_string()).input(input));
            return;
        }
    };
    let mut failed = false;
    if v.hash.as_deref() != stated_fp {
        failed = true;
        r.findings.push(
            Finding::new(
                Code::UrlHashMismatch,
                t,
                None,
                "the verification URL's hash differs from the fingerprint the export states".into(),
            )
            .input(input)
            .values(
                stated_fp.unwrap_or("(none)").to_string(),
                v.hash.clone().unwrap_or_else(|| "(none)".into()),
            ),
        );
    }
    match (v.scope(), scope) {
        (Ok(us), Some(s)) if &us != s => {
            failed = true;
            r.findings.push(
                Finding::new(
                    Code::UrlHashMismatch,
                    t,
                    None,
                    format!(
                        "the verification URL names another scope than the export (URL: {}; export: {}): it would verify different records",
                        us.summary(None),
                        s.summary(None)
                    ),
                )
                .input(input)
                .values(s.to_value().to_string(), us.to_value().to_string()),
            );
        }
        (Err(e), _) => {
            failed = true;
            r.findings.push(
                Finding::new(
                    Code::UrlHashMismatch,
                    t,
                    None,
                    format!("the verification URL's scope is invalid: {e}"),
                )
                .input(input),
            );
        }
        _ => {}
    }
    let legacy_params: Vec<_> = v
        .unknown
        .iter()
        .filter(|(k, _)| k == "q" || k == "field")
        .collect();
    let unknown: Vec<_> = v
        .unknown
        .iter()
        .filter(|(k, _)| k != "q" && k != "field")
        .collect();
    let mut detail = format!("origin {}, hash and scope against the export", v.origin);
    if !v.problems.is_empty() {
        detail.push_str(&format!("; problems: {}", v.problems.join("; ")));
    }
    if !legacy_params.is_empty() && !legacy {
        detail.push_str("; the URL carries q/field although the export states no legacy search");
    }
    let status =
        if failed || (!v.problems.is_empty() && v.hash.is_some()) {
            Status::Failed
        } else if !unknown.is_empty() {
            detail.push_str(&format!(
            "; unknown parameter(s) {}: what the service does with them cannot be known offline",
            unknown.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        ));
            Status::NotPossible
        } else {
            Status::Passed
        };
    if status == Status::Failed && !failed {
        r.findings.push(
            Finding::new(
                Code::UrlHashMismatch,
                t,
                None,
                format!(
                    "the verification URL is malformed: {}",
                    v.problems.join("; ")
                ),
            )
            .input(input),
        );
    }
    r.checks
        .push(Check::new("verify_url", status, detail).input(input));
}
