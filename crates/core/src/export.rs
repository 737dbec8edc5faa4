//! Export payloads (`audit-export.json`, AEF/1 section 6) as evidence.
//!
//! [`verify_payload`] recomputes everything the payload states (each record's hash, the links
//! between records with consecutive seqs, the scope of each record, the record count, the
//! fingerprint, the verification URL's hash and scope) and compares; the payload's `chain_head`
//! and records are kept in an [`ExportAnchor`] so other inputs of the same case can be checked
//! against them.
//!
//! Invariants: each check is one function (`Verification::check_*`), run in a fixed order, so
//! findings and checks always come out in the same order; every finding and check names the
//! payload's input; a payload that cannot be read at all still gets a result (a finding and a
//! failed `payload` check), never an error.

use std::collections::BTreeMap;

use crate::chain::{Chains, Entry, Mode, TenantSummary};
use crate::finding::{Check, Code, Finding, Status};
use crate::fingerprint::FingerprintHasher;
use crate::json::{JsonError, Value};
use crate::payload::{CanonicalRecord, Payload};
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
    /// The payload's records by seq (canonical form, kept as bytes: flat memory), for
    /// cross-source comparison.
    pub records: BTreeMap<u64, CanonicalRecord>,
    /// The verification URL the payload states.
    pub verify_url: Option<String>,
    /// The fingerprint the payload states.
    pub fingerprint: Option<String>,
    /// True when the anchor is a chain head from a checkpoint file (see [`crate::checkpoint`]),
    /// not an export: it has a chain head and nothing else.
    pub checkpoint: bool,
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
    match Payload::parse(bytes) {
        Ok(payload) => verify_payload(input, &payload),
        Err(e) => payload_refused(input, &e),
    }
}

/// The result of a payload that is not strict JSON (`e` says why and where): a `not_canonical`
/// finding and a failed `payload` check.
pub fn payload_refused(input: &str, e: &JsonError) -> PayloadResult {
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
            checkpoint: false,
        },
        records: 0,
    }
}

/// Verifies a parsed export payload. The checks run, and report, in this order: format, scope,
/// legacy search, records (each one's canonical form, hash, seq order and scope), fingerprint,
/// record count, the record tallies (hashes, canonical form, scope), chain head, verification
/// URL, and the links between records with consecutive seqs.
pub fn verify_payload(input: &str, payload: &Payload) -> PayloadResult {
    let mut verification = Verification {
        input,
        result: empty_result(input),
    };
    verification.check_format(payload);
    let scope = verification.read_scope(payload);
    let tenant = scope.as_ref().map(|scope| scope.tenant_id.clone());
    verification.result.anchor.tenant_id = tenant.clone();
    verification.result.anchor.scope = scope.clone();
    let tenant = tenant.as_deref();
    let legacy_search = verification.read_legacy_search(payload, tenant);
    let records = verification.read_records(payload, tenant);
    let tally = verification.check_records(records, tenant, scope.as_ref());
    let stated_fingerprint = verification.check_fingerprint(payload, tenant, scope.as_ref());
    verification.check_record_count(payload, tenant, tally.records);
    verification.check_record_hashes(&tally);
    verification.check_canonical_form(&tally);
    verification.check_scope(&tally, scope.as_ref(), legacy_search.is_some());
    verification.check_chain_head(payload, tenant);
    let verify_url = payload
        .get("verify_url")
        .and_then(Value::as_str)
        .map(str::to_string);
    verification.result.anchor.verify_url = verify_url.clone();
    verification.check_verify_url(
        tenant,
        verify_url.as_deref(),
        stated_fingerprint.as_deref(),
        scope.as_ref(),
        legacy_search.is_some(),
    );
    verification.check_chain_links(tally.chains);
    verification.result
}

/// The result of one payload, as its checks add to it.
struct Verification<'a> {
    input: &'a str,
    result: PayloadResult,
}

/// What the records of a payload added up to.
struct RecordTally {
    /// How many records the payload holds.
    records: usize,
    chains: Chains,
    hash_failures: usize,
    scope_failures: usize,
    canonical_failures: usize,
    in_seq_order: bool,
}

impl Verification<'_> {
    /// Adds `finding`, naming this payload's input.
    fn report(&mut self, finding: Finding) {
        self.result.findings.push(finding.input(self.input));
    }

    /// Adds a finding that has no detail fields.
    fn fail(&mut self, code: Code, tenant: Option<&str>, seq: Option<u64>, message: String) {
        self.report(Finding::new(code, tenant, seq, message));
    }

    /// Adds `check`, naming this payload's input.
    fn check(&mut self, check: Check) {
        self.result.checks.push(check.input(self.input));
    }

    /// The payload says it is `audit-export/1`.
    fn check_format(&mut self, payload: &Payload) {
        if payload.get("format").and_then(Value::as_str) != Some("audit-export/1") {
            self.fail(
                Code::NotCanonical,
                None,
                None,
                format!(
                    "format is {}, not \"audit-export/1\"",
                    payload
                        .get("format")
                        .map(|format| format.to_string())
                        .unwrap_or_else(|| "missing".into())
                ),
            );
        }
    }

    /// The export's scope, when it has a readable one.
    fn read_scope(&mut self, payload: &Payload) -> Option<Scope> {
        match payload.get("scope").map(Scope::from_value) {
            Some(Ok(scope)) => Some(scope),
            Some(Err(error)) => {
                self.fail(
                    Code::NotCanonical,
                    None,
                    None,
                    format!("the export's scope is unreadable: {error}"),
                );
                None
            }
            None => {
                self.fail(
                    Code::NotCanonical,
                    None,
                    None,
                    "the export has no scope".into(),
                );
                None
            }
        }
    }

    /// The legacy `q`/`field` narrowing, as (q, field) in JSON text, when the export used it:
    /// which records it should hold then cannot be recomputed.
    fn read_legacy_search(
        &mut self,
        payload: &Payload,
        tenant: Option<&str>,
    ) -> Option<(String, String)> {
        let legacy_search = match payload.get("legacy_search") {
            None | Some(Value::Null) => return None,
            Some(search) => (
                search
                    .get("q")
                    .map(|query| query.to_string())
                    .unwrap_or_default(),
                search
                    .get("field")
                    .map(|field| field.to_string())
                    .unwrap_or_default(),
            ),
        };
        let (query, field) = &legacy_search;
        self.result.anchor.legacy_search = true;
        self.fail(
            Code::LegacySearchUnverifiable,
            tenant,
            None,
            format!(
                "the export was narrowed by legacy search q={query} field={field}, which is not part of the scope: which records it should hold cannot be recomputed, only the records it holds"
            ),
        );
        Some(legacy_search)
    }

    /// The payload's `records` array (empty when it has none).
    fn read_records<'p>(
        &mut self,
        payload: &'p Payload,
        tenant: Option<&str>,
    ) -> &'p [CanonicalRecord] {
        match payload.records() {
            Some(records) => records,
            None => {
                self.fail(
                    Code::NotCanonical,
                    tenant,
                    None,
                    "the export has no records array".into(),
                );
                &[]
            }
        }
    }

    /// Each record: canonical form, own hash, seq order and scope; keeps the readable ones in
    /// the anchor and their links for [`Verification::check_chain_links`].
    fn check_records(
        &mut self,
        records: &[CanonicalRecord],
        tenant: Option<&str>,
        scope: Option<&Scope>,
    ) -> RecordTally {
        let mut tally = RecordTally {
            records: records.len(),
            chains: Chains::default(),
            hash_failures: 0,
            scope_failures: 0,
            canonical_failures: 0,
            in_seq_order: true,
        };
        let mut buffer = Vec::new();
        let mut last_seq = 0u64;
        for (index, element) in records.iter().enumerate() {
            let checked = record::check(
                RawRecord {
                    loc: Location::Index(index as u64),
                    data: RawData::Value(element.value()),
                },
                &mut buffer,
            );
            let record_tenant = checked.tenant_id.as_deref().or(tenant);
            if !checked.problems.is_empty() {
                tally.canonical_failures += 1;
                self.report(
                    Finding::new(
                        Code::NotCanonical,
                        record_tenant,
                        checked.seq,
                        checked.problems.join("; "),
                    )
                    .at(checked.loc),
                );
            }
            if let Some(finding) = hash_finding(&checked, self.input) {
                tally.hash_failures += 1;
                self.result.findings.push(finding);
            }
            if let (Some(seq), Some(canonical)) = (checked.seq, checked.record.as_ref()) {
                if seq <= last_seq && tally.in_seq_order {
                    tally.in_seq_order = false;
                    self.report(
                        Finding::new(
                            Code::NotCanonical,
                            record_tenant,
                            Some(seq),
                            format!(
                                "records are not in seq order: seq {seq} comes after seq {last_seq}"
                            ),
                        )
                        .at(checked.loc),
                    );
                }
                last_seq = last_seq.max(seq);
                if let Some(member) = scope.and_then(|scope| scope.mismatch(canonical)) {
                    tally.scope_failures += 1;
                    self.report(
                        Finding::new(
                            Code::ScopeViolation,
                            record_tenant,
                            Some(seq),
                            format!(
                                "the exported record does not match the export's scope on {member}"
                            ),
                        )
                        .at(checked.loc),
                    );
                }
                // Shared with the payload when checking changed nothing (the common case).
                let kept = CanonicalRecord::of(canonical);
                let kept = if kept == *element {
                    element.clone()
                } else {
                    kept
                };
                self.result.anchor.records.insert(seq, kept);
            }
            if let Some((chain_tenant, entry)) = Entry::from_checked(&checked) {
                tally.chains.push(chain_tenant, entry);
            }
        }
        self.result.records = tally.records as u64;
        tally
    }

    /// `fingerprint`: recomputed over the records in seq order and the scope, against the
    /// stated one. Returns the stated fingerprint.
    fn check_fingerprint(
        &mut self,
        payload: &Payload,
        tenant: Option<&str>,
        scope: Option<&Scope>,
    ) -> Option<String> {
        let mut hasher = FingerprintHasher::new();
        for record in self.result.anchor.records.values() {
            hasher.push_canonical(record.bytes());
        }
        let stated = payload
            .get("fingerprint")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.result.anchor.fingerprint = stated.clone();
        let computed = scope.map(|scope| hex(&hasher.finish(scope)));
        let detail;
        let status = match (&stated, &computed) {
            (Some(stated), Some(computed)) if stated == computed => {
                detail = format!("recomputed fingerprint {computed} equals the stated one");
                Status::Passed
            }
            (Some(stated), Some(computed)) => {
                detail = format!("stated {stated}, recomputed {computed}");
                let finding = Finding::new(
                    Code::FingerprintMismatch,
                    tenant,
                    None,
                    format!(
                        "the fingerprint recomputed from the {} exported record(s) and the scope differs from the one the export states: the records or the scope were changed after export",
                        self.result.anchor.records.len()
                    ),
                )
                .values(stated.clone(), computed.clone());
                self.report(finding);
                Status::Failed
            }
            (None, _) => {
                detail = "the export states no fingerprint".into();
                self.fail(
                    Code::FingerprintMismatch,
                    tenant,
                    None,
                    "the export states no fingerprint".into(),
                );
                Status::Failed
            }
            (Some(_), None) => {
                detail = "the scope is unreadable, so the fingerprint cannot be recomputed".into();
                Status::NotPossible
            }
        };
        self.check(Check::new("fingerprint", status, detail));
        stated
    }

    /// `record_count`: the stated `record_count` against the `records` present.
    fn check_record_count(&mut self, payload: &Payload, tenant: Option<&str>, records: usize) {
        let count = payload.get("record_count").and_then(Value::as_u64);
        let count_ok = count == Some(records as u64);
        if !count_ok {
            let finding = Finding::new(
                Code::RecordCountMismatch,
                tenant,
                None,
                format!(
                    "the export states {} record(s) but holds {records}",
                    count
                        .map(|count| count.to_string())
                        .unwrap_or_else(|| "no readable count of".into())
                ),
            )
            .values(
                count
                    .map(|count| count.to_string())
                    .unwrap_or_else(|| "(missing)".into()),
                records.to_string(),
            );
            self.report(finding);
        }
        self.check(Check::outcome(
            "record_count",
            !count_ok,
            format!("stated record_count against the {records} records present"),
        ));
    }

    /// `record_hashes`: every record hashes to its own hash.
    fn check_record_hashes(&mut self, tally: &RecordTally) {
        self.check(Check::outcome(
            "record_hashes",
            tally.hash_failures > 0,
            format!(
                "each of the {} exported records hashes to its own hash ({} do not)",
                tally.records, tally.hash_failures
            ),
        ));
    }

    /// `canonical_form`: every record is readable, canonical and in seq order.
    fn check_canonical_form(&mut self, tally: &RecordTally) {
        self.check(Check::outcome(
            "canonical_form",
            tally.canonical_failures > 0 || !tally.in_seq_order,
            format!(
                "records are readable, canonical and in seq order ({} are not)",
                tally.canonical_failures
            ),
        ));
    }

    /// `scope`: every record matches the export's scope (not possible without a readable
    /// scope; with legacy search, only a failure can be told).
    fn check_scope(&mut self, tally: &RecordTally, scope: Option<&Scope>, legacy_search: bool) {
        let check = if scope.is_none() {
            Check::new("scope", Status::NotPossible, "the scope is unreadable")
        } else if legacy_search {
            Check::new(
                "scope",
                if tally.scope_failures > 0 {
                    Status::Failed
                } else {
                    Status::NotPossible
                },
                "each record matches the scope filters, but the legacy q/field narrowing cannot be replayed",
            )
        } else {
            Check::outcome(
                "scope",
                tally.scope_failures > 0,
                format!(
                    "each exported record matches the export's scope ({} do not)",
                    tally.scope_failures
                ),
            )
        };
        self.check(check);
    }

    /// The stated `chain_head`: well formed, not before the records held, and carried by the
    /// record at its seq; kept in the anchor.
    fn check_chain_head(&mut self, payload: &Payload, tenant: Option<&str>) {
        let Some(head) = payload.get("chain_head") else {
            self.fail(
                Code::NotCanonical,
                tenant,
                None,
                "the export has no chain_head".into(),
            );
            return;
        };
        let seq = head.get("seq").and_then(Value::as_u64);
        let hash = head.get("hash").and_then(Value::as_str).and_then(parse_hex);
        let (Some(head_seq), Some(head_hash)) = (seq, hash) else {
            self.fail(
                Code::NotCanonical,
                tenant,
                None,
                format!("chain_head {head} is not {{\"seq\": n, \"hash\": \"<64 hex>\"}}"),
            );
            return;
        };
        self.result.anchor.chain_head = Some((head_seq, head_hash));
        if let Some((&highest_seq, _)) = self.result.anchor.records.iter().next_back() {
            if highest_seq > head_seq {
                self.fail(
                    Code::AnchorMismatch,
                    tenant,
                    Some(highest_seq),
                    format!("the export holds seq {highest_seq}, beyond its own stated chain head seq {head_seq}"),
                );
            }
        }
        if let Some(record) = self.result.anchor.records.get(&head_seq) {
            let stored = record.str_member("hash").unwrap_or_default();
            if stored != hex(&head_hash) {
                let finding = Finding::new(
                    Code::AnchorMismatch,
                    tenant,
                    Some(head_seq),
                    format!("the exported record at the chain head seq {head_seq} does not carry the chain head's hash"),
                )
                .values(hex(&head_hash), stored);
                self.report(finding);
            }
        }
    }

    /// `verify_url`: the verification URL's hash against the stated fingerprint and its scope
    /// against the export's.
    fn check_verify_url(
        &mut self,
        tenant: Option<&str>,
        verify_url: Option<&str>,
        stated_fingerprint: Option<&str>,
        scope: Option<&Scope>,
        legacy_search: bool,
    ) {
        let Some(verify_url) = verify_url else {
            self.fail(
                Code::UrlHashMismatch,
                tenant,
                None,
                "the export states no verification URL".into(),
            );
            self.check(Check::new(
                "verify_url",
                Status::Failed,
                "no verification URL",
            ));
            return;
        };
        let url = match VerifyUrl::parse(verify_url) {
            Ok(url) => url,
            Err(error) => {
                self.fail(
                    Code::UrlHashMismatch,
                    tenant,
                    None,
                    format!("the verification URL is unreadable: {error}"),
                );
                self.check(Check::new("verify_url", Status::Failed, error.to_string()));
                return;
            }
        };
        let mut failed = false;
        if url.hash.as_deref() != stated_fingerprint {
            failed = true;
            let finding = Finding::new(
                Code::UrlHashMismatch,
                tenant,
                None,
                "the verification URL's hash differs from the fingerprint the export states".into(),
            )
            .values(
                stated_fingerprint.unwrap_or("(none)").to_string(),
                url.hash.clone().unwrap_or_else(|| "(none)".into()),
            );
            self.report(finding);
        }
        match (url.scope(), scope) {
            (Ok(url_scope), Some(scope)) if &url_scope != scope => {
                failed = true;
                let finding = Finding::new(
                    Code::UrlHashMismatch,
                    tenant,
                    None,
                    format!(
                        "the verification URL names another scope than the export (URL: {}; export: {}): it would verify different records",
                        url_scope.summary(None),
                        scope.summary(None)
                    ),
                )
                .values(scope.to_value().to_string(), url_scope.to_value().to_string());
                self.report(finding);
            }
            (Err(error), _) => {
                failed = true;
                self.fail(
                    Code::UrlHashMismatch,
                    tenant,
                    None,
                    format!("the verification URL's scope is invalid: {error}"),
                );
            }
            _ => {}
        }
        let legacy_parameters: Vec<_> = url
            .unknown
            .iter()
            .filter(|(key, _)| key == "q" || key == "field")
            .collect();
        let unknown: Vec<_> = url
            .unknown
            .iter()
            .filter(|(key, _)| key != "q" && key != "field")
            .collect();
        let mut detail = format!("origin {}, hash and scope against the export", url.origin);
        if !url.problems.is_empty() {
            detail.push_str(&format!("; problems: {}", url.problems.join("; ")));
        }
        if !legacy_parameters.is_empty() && !legacy_search {
            detail
                .push_str("; the URL carries q/field although the export states no legacy search");
        }
        let status = if failed || (!url.problems.is_empty() && url.hash.is_some()) {
            Status::Failed
        } else if !unknown.is_empty() {
            detail.push_str(&format!(
                "; unknown parameter(s) {}: what the service does with them cannot be known offline",
                unknown
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            Status::NotPossible
        } else {
            Status::Passed
        };
        if status == Status::Failed && !failed {
            self.fail(
                Code::UrlHashMismatch,
                tenant,
                None,
                format!(
                    "the verification URL is malformed: {}",
                    url.problems.join("; ")
                ),
            );
        }
        self.check(Check::new("verify_url", status, detail));
    }

    /// The links between records with consecutive seqs (a subset: gaps are not findings).
    fn check_chain_links(&mut self, chains: Chains) {
        let (findings, checks, tenants) = chains.analyze(self.input, Mode::Subset);
        self.result.findings.extend(findings);
        self.result.checks.extend(checks);
        self.result.tenants = tenants;
    }
}

/// The `record_hash_mismatch` finding for a record that does not hash to its own hash.
pub fn hash_finding(checked: &record::Checked, input: &str) -> Option<Finding> {
    let computed = checked.computed_hash?;
    let stored = match (checked.stored_hash, &checked.stored_hash_text) {
        (Some(stored), _) if stored == computed => return None,
        (Some(stored), _) => hex(&stored),
        (None, Some(text)) => text.clone(),
        (None, None) => return None,
    };
    Some(
        Finding::new(
            Code::RecordHashMismatch,
            checked.tenant_id.as_deref(),
            checked.seq,
            format!(
                "{} does not hash to its own hash: its content was changed after it was written",
                record::describe(checked.tenant_id.as_deref(), checked.seq)
            ),
        )
        .input(input)
        .at(checked.loc)
        .values(stored, hex(&computed)),
    )
}
