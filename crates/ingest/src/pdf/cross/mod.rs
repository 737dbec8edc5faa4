//! What people see versus what the embedded payload says.
//!
//! [`cross_check`] turns the differences into AEF/1 findings and records every check it ran
//! (`attachment`, `visible_header`, `visible_rows`, `visible_integrity`, `footer_links`,
//! `revisions`, `text_decoding`) as passed, failed or not possible. It never verifies the
//! payload itself (hashes, chain, fingerprint recomputation): the core does that.
//!
//! Invariants: each check is one function (`check_*`), run in a fixed order, so findings and
//! checks always come out in the same order; every check is recorded whatever its outcome;
//! without a payload a check that needs one is "not possible", never "passed".

use std::collections::{BTreeMap, BTreeSet};

use trailproof_core::finding::{Check, Code, FieldDiff, Finding, Status};
use trailproof_core::json::Value;
use trailproof_core::payload::{CanonicalRecord, Payload};

use super::{PdfEvidence, Revision, VisibleRow};
use crate::Location;

mod integrity;
use integrity::check_visible_integrity;

/// `text` as a JSON string literal, for messages.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

/// A payload value as the PDF prints it (integers without a fraction, strings unquoted).
fn value_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => {
            Some(format!("{}", *number as i64))
        }
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The `hash` query parameter of a verification URL.
pub(crate) fn url_hash(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .find_map(|parameter| parameter.strip_prefix("hash="))
}

/// The `Filters:` summary the payload implies (SPEC section 6).
fn filters_summary(payload: &Payload) -> String {
    let mut parts = Vec::new();
    let scope = payload.get("scope");
    for key in trailproof_core::scope::FILTER_KEYS {
        if let Some(value) = scope
            .and_then(|scope| scope.get(key))
            .and_then(Value::as_str)
        {
            if !value.is_empty() {
                parts.push(format!("{key}={value}"));
            }
        }
    }
    if let Some(legacy_search) = payload.get("legacy_search") {
        for key in ["q", "field"] {
            if let Some(value) = legacy_search.get(key).and_then(Value::as_str) {
                if !value.is_empty() {
                    parts.push(format!("{key}={value}"));
                }
            }
        }
    }
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

/// The findings and checks of one PDF, as they are made.
struct Context<'a> {
    input: &'a str,
    tenant: Option<String>,
    findings: Vec<Finding>,
    checks: Vec<Check>,
}

impl Context<'_> {
    /// A finding about this PDF, placed on `page` when given.
    fn finding(
        &self,
        code: Code,
        seq: Option<u64>,
        page: Option<usize>,
        message: String,
    ) -> Finding {
        let finding = Finding::new(code, self.tenant.as_deref(), seq, message).input(self.input);
        match page {
            Some(page) => finding.at(Location::Page(page as u64)),
            None => finding,
        }
    }

    fn report(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn check(&mut self, id: &str, status: Status, detail: String) {
        let mut check = Check::new(id, status, detail).input(self.input);
        if let Some(tenant) = &self.tenant {
            check = check.tenant(tenant);
        }
        self.checks.push(check);
    }

    /// A check that passed, or failed when `failed` is set.
    fn outcome(&mut self, id: &str, failed: bool, detail: String) {
        let status = if failed {
            Status::Failed
        } else {
            Status::Passed
        };
        self.check(id, status, detail);
    }
}

/// What a printed URL (text or link) is compared with: the payload's `verify_url` or, without
/// a payload, the printed fingerprint.
struct ExpectedUrl<'a> {
    verify_url: Option<&'a str>,
    hash_without_payload: Option<&'a str>,
}

impl ExpectedUrl<'_> {
    /// Whether there is anything to compare a printed URL with.
    fn is_known(&self) -> bool {
        self.verify_url.is_some() || self.hash_without_payload.is_some()
    }
}

/// Compares the URL `shown` as `what` on `page` with what is expected; reports a difference
/// and returns whether there was one.
fn compare_url(
    context: &mut Context,
    what: &str,
    page: usize,
    shown: &str,
    expected: &ExpectedUrl,
) -> bool {
    if let Some(verify_url) = expected.verify_url {
        if shown == verify_url {
            return false;
        }
    } else if expected.hash_without_payload.is_none() {
        return false;
    }
    let shown_hash = url_hash(shown);
    let expected_hash = expected
        .verify_url
        .and_then(url_hash)
        .or(expected.hash_without_payload);
    if shown_hash != expected_hash {
        let message = format!(
            "{what} on page {page} carries hash={} but {} says {}",
            shown_hash.unwrap_or("(none)"),
            if expected.verify_url.is_some() {
                "the embedded payload's verify_url"
            } else {
                "the printed fingerprint"
            },
            expected_hash.unwrap_or("(none)")
        );
        let finding = context
            .finding(Code::UrlHashMismatch, None, Some(page), message)
            .values(expected_hash.unwrap_or(""), shown_hash.unwrap_or(""));
        context.report(finding);
        return true;
    }
    if let Some(verify_url) = expected.verify_url {
        let message = format!(
            "{what} on page {page} is {} but the embedded payload's verify_url is {}",
            quoted(shown),
            quoted(verify_url)
        );
        let finding = context
            .finding(Code::VisibleTextMismatch, None, Some(page), message)
            .values(verify_url, shown);
        context.report(finding);
        return true;
    }
    false
}

/// One incremental update (`index` 1 and up) as the `revisions` finding describes it.
fn describe_revision(index: usize, revision: &Revision) -> String {
    let list = |objects: &[u32]| {
        if objects.is_empty() {
            "none".to_string()
        } else {
            objects
                .iter()
                .map(|number| format!("{number} 0"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut description = format!(
        "update {index} ({} at byte offset {}): added [{}], replaced [{}], freed [{}]",
        if revision.xref_stream {
            "xref stream"
        } else {
            "xref table"
        },
        revision.xref_offsets.first().copied().unwrap_or(0),
        list(&revision.added),
        list(&revision.replaced),
        list(&revision.freed),
    );
    let mut touched = Vec::new();
    if revision.touches_attachment {
        touched.push("the embedded audit-export.json");
    }
    if revision.touches_page_content {
        touched.push("page content");
    }
    if touched.is_empty() {
        description.push_str("; neither the attachment nor page content objects");
    } else {
        description.push_str(&format!("; changes {}", touched.join(" and ")));
    }
    description
}

/// Compares the PDF's visible text with its embedded payload (already parsed by the caller).
/// `input` names the PDF in findings and checks. The checks run, and report, in this order:
/// revisions, text decoding, attachment, header, rows, integrity section, footer links.
pub fn cross_check(
    evidence: &PdfEvidence,
    payload: Option<&Payload>,
    input: &str,
) -> (Vec<Finding>, Vec<Check>) {
    let tenant = payload
        .and_then(|payload| payload.get("scope"))
        .and_then(|scope| scope.get("tenant_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| evidence.header.tenant.as_ref().map(|t| t.value.clone()));
    let mut context = Context {
        input,
        tenant,
        findings: Vec::new(),
        checks: Vec::new(),
    };
    let expected_url = ExpectedUrl {
        verify_url: payload
            .and_then(|payload| payload.get("verify_url"))
            .and_then(Value::as_str),
        hash_without_payload: match payload {
            None => evidence
                .integrity
                .fingerprint
                .as_ref()
                .map(|fingerprint| fingerprint.value.as_str()),
            Some(_) => None,
        },
    };
    check_revisions(&mut context, evidence);
    check_text_decoding(&mut context, evidence);
    check_attachment(&mut context, evidence, payload);
    check_visible_header(&mut context, evidence, payload);
    check_visible_rows(&mut context, evidence, payload);
    check_visible_integrity(&mut context, evidence, payload, &expected_url);
    check_footer_links(&mut context, evidence, &expected_url);
    (context.findings, context.checks)
}

/// `revisions`: more than one revision means the file was changed after it was produced.
fn check_revisions(context: &mut Context, evidence: &PdfEvidence) {
    if evidence.revisions.len() > 1 {
        let updates: Vec<String> = evidence
            .revisions
            .iter()
            .enumerate()
            .skip(1)
            .map(|(index, revision)| describe_revision(index, revision))
            .collect();
        let mut message = format!(
            "the PDF has {} revisions: it was changed after it was produced; {}",
            evidence.revisions.len(),
            updates.join("; ")
        );
        if !evidence.updates.is_empty() {
            message.push_str(". Record by record: ");
            message.push_str(&evidence.updates.join("; "));
        }
        let finding = context.finding(Code::PdfIncrementalUpdate, None, None, message.clone());
        context.report(finding);
        context.check("revisions", Status::Failed, message);
    } else {
        context.check(
            "revisions",
            Status::Passed,
            "one revision: no incremental update".into(),
        );
    }
}

/// `text_decoding`: whether all visible text could be decoded.
fn check_text_decoding(context: &mut Context, evidence: &PdfEvidence) {
    if evidence.text_problems.is_empty() {
        context.check(
            "text_decoding",
            Status::Passed,
            format!("text of {} page(s) decoded", evidence.pages),
        );
    } else {
        context.check(
            "text_decoding",
            Status::Failed,
            format!(
                "some text could not be decoded: {}",
                evidence.text_problems.join("; ")
            ),
        );
    }
}

/// `attachment`: whether the payload is embedded, once, and was supplied parsed.
fn check_attachment(context: &mut Context, evidence: &PdfEvidence, payload: Option<&Payload>) {
    match (payload, &evidence.payload) {
        (Some(_), _) => {
            let source = evidence.payload_source.as_deref().unwrap_or("?");
            if evidence.attachment_notes.is_empty() {
                context.check(
                    "attachment",
                    Status::Passed,
                    format!("audit-export.json found via {source}"),
                );
            } else {
                context.check(
                    "attachment",
                    Status::Failed,
                    evidence.attachment_notes.join("; "),
                );
            }
        }
        (None, Some(_)) => context.check(
            "attachment",
            Status::NotPossible,
            "audit-export.json is embedded but was not supplied parsed (not valid JSON?)".into(),
        ),
        (None, None) => {
            let message = "the PDF has no embedded audit-export.json: its records cannot be recomputed offline, \
                       only what its text shows can be checked"
                .to_string();
            let finding = context.finding(Code::AttachmentMissing, None, None, message.clone());
            context.report(finding);
            context.check("attachment", Status::NotPossible, message);
        }
    }
}

/// `visible_header`: the header lines against the payload.
fn check_visible_header(context: &mut Context, evidence: &PdfEvidence, payload: Option<&Payload>) {
    let Some(payload) = payload else {
        context.check(
            "visible_header",
            Status::NotPossible,
            "no embedded payload to compare the header with".into(),
        );
        return;
    };
    let mut failed = 0;
    let exported_by = payload.get("exported_by").map(|exporter| {
        format!(
            "{} ({})",
            value_text(exporter.get("display")).unwrap_or_default(),
            value_text(exporter.get("user_id")).unwrap_or_default()
        )
    });
    let header = &evidence.header;
    let lines = [
        ("Tenant", &header.tenant, context.tenant.clone()),
        (
            "Exported at",
            &header.exported_at,
            value_text(payload.get("exported_at")),
        ),
        ("Exported by", &header.exported_by, exported_by),
        ("Filters", &header.filters, Some(filters_summary(payload))),
    ];
    for (label, shown, expected) in lines {
        let Some(expected) = expected else { continue };
        match shown {
            Some(shown) if shown.value == expected => {}
            Some(shown) => {
                failed += 1;
                let message = format!(
                    "header shows {label}: {} but the embedded payload says {}",
                    quoted(&shown.value),
                    quoted(&expected)
                );
                let finding = context
                    .finding(Code::VisibleTextMismatch, None, Some(shown.page), message)
                    .values(expected.clone(), shown.value.clone());
                context.report(finding);
            }
            None => {
                failed += 1;
                let message = format!(
                    "the header does not show `{label}:` (the embedded payload says {})",
                    quoted(&expected)
                );
                let finding = context.finding(Code::VisibleTextMismatch, None, None, message);
                context.report(finding);
            }
        }
    }
    context.outcome(
        "visible_header",
        failed > 0,
        format!("{failed} header line(s) differ from the payload"),
    );
}

/// `visible_rows`: every row of the table against the embedded record of its seq, and every
/// embedded record shown.
fn check_visible_rows(context: &mut Context, evidence: &PdfEvidence, payload: Option<&Payload>) {
    let Some(payload) = payload else {
        let seqs: Vec<String> = evidence
            .rows
            .iter()
            .map(|row| row.seq.to_string())
            .collect();
        context.check(
            "visible_rows",
            Status::NotPossible,
            format!(
                "{} row(s) shown (seq {}); no embedded records to compare them with",
                evidence.rows.len(),
                if seqs.is_empty() {
                    "none".to_string()
                } else {
                    seqs.join(", ")
                }
            ),
        );
        return;
    };
    // Each record is parsed once here for its seq and again only to compare it with its row.
    let mut embedded: BTreeMap<u64, &CanonicalRecord> = BTreeMap::new();
    for record in payload.records().unwrap_or_default() {
        if let Some(seq) = record.value().get("seq").and_then(Value::as_u64) {
            embedded.entry(seq).or_insert(record);
        }
    }
    let mut shown: BTreeSet<u64> = BTreeSet::new();
    let mut differences = 0usize;
    for row in &evidence.rows {
        if !shown.insert(row.seq) {
            differences += 1;
            let finding = context.finding(
                Code::VisibleTextMismatch,
                Some(row.seq),
                Some(row.page),
                format!("row seq {} is shown more than once", row.seq),
            );
            context.report(finding);
            continue;
        }
        let Some(record) = embedded.get(&row.seq) else {
            differences += 1;
            let finding = context.finding(
                Code::VisibleTextMismatch,
                Some(row.seq),
                Some(row.page),
                format!(
                    "the table shows a row seq {} that the embedded payload does not hold",
                    row.seq
                ),
            );
            context.report(finding);
            continue;
        };
        if compare_row(context, row, &record.value()) {
            differences += 1;
        }
    }
    for seq in embedded.keys() {
        if !shown.contains(seq) {
            differences += 1;
            let finding = context.finding(
                Code::VisibleTextMismatch,
                Some(*seq),
                None,
                format!("embedded record seq {seq} is not shown in the PDF's table"),
            );
            context.report(finding);
        }
    }
    context.outcome(
        "visible_rows",
        differences > 0,
        format!(
            "{} row(s) shown, {} record(s) embedded, {differences} difference(s)",
            evidence.rows.len(),
            embedded.len()
        ),
    );
}

/// One shown row against its embedded record; reports the differences and returns whether
/// there were any.
fn compare_row(context: &mut Context, row: &VisibleRow, record: &Value) -> bool {
    let differences = row_differences(row, record);
    if differences.is_empty() {
        return false;
    }
    let descriptions: Vec<String> = differences
        .iter()
        .map(|difference| {
            format!(
                "{} shows {} but the embedded record has {}",
                difference.field,
                difference.left.as_deref().unwrap_or("null"),
                difference.right.as_deref().unwrap_or("null")
            )
        })
        .collect();
    let message = format!(
        "row seq {} on page {}: {}",
        row.seq,
        row.page,
        descriptions.join("; ")
    );
    let (expected, shown) = (
        differences[0].right.clone().unwrap_or_default(),
        differences[0].left.clone().unwrap_or_default(),
    );
    let finding = context
        .finding(
            Code::VisibleTextMismatch,
            Some(row.seq),
            Some(row.page),
            message,
        )
        .values(expected, shown)
        .fields(differences);
    context.report(finding);
    true
}

/// `footer_links`: every `/URI` link and footer URL against the expected URL.
fn check_footer_links(context: &mut Context, evidence: &PdfEvidence, expected_url: &ExpectedUrl) {
    let mut failed = 0usize;
    for (page, uri) in &evidence.link_uris {
        if compare_url(context, "the /URI link", *page, uri, expected_url) {
            failed += 1;
        }
    }
    for (page, url) in &evidence.footer_urls {
        if compare_url(context, "the footer URL", *page, url, expected_url) {
            failed += 1;
        }
    }
    let linked: BTreeSet<usize> = evidence.link_uris.iter().map(|(page, _)| *page).collect();
    let unlinked: Vec<String> = (1..=evidence.pages)
        .filter(|page| !linked.contains(page))
        .map(|page| page.to_string())
        .collect();
    let mut detail = format!(
        "{} /URI link(s) and {} footer URL(s) checked, {failed} differ",
        evidence.link_uris.len(),
        evidence.footer_urls.len()
    );
    if !unlinked.is_empty() {
        detail.push_str(&format!(
            "; page(s) without a /URI link: {}",
            unlinked.join(", ")
        ));
    }
    let status = if failed > 0 {
        Status::Failed
    } else if (evidence.link_uris.is_empty() && evidence.footer_urls.is_empty())
        || !expected_url.is_known()
    {
        Status::NotPossible
    } else {
        Status::Passed
    };
    context.check("footer_links", status, detail);
}

/// The cells of a shown row that differ from its embedded record, in column order.
fn row_differences(row: &VisibleRow, record: &Value) -> Vec<FieldDiff> {
    let mut differences = Vec::new();
    let cells = [
        ("timestamp", &row.timestamp),
        ("action", &row.action),
        ("severity", &row.severity),
        ("actor_user_id", &row.actor_user_id),
        ("outcome", &row.outcome),
    ];
    for (field, shown) in cells {
        let expected = value_text(record.get(field));
        if expected.as_deref() != Some(shown.as_str()) {
            differences.push(FieldDiff {
                field: field.to_string(),
                left: Some(quoted(shown)),
                right: expected.map(|expected| quoted(&expected)),
            });
        }
    }
    let hash = value_text(record.get("hash"));
    let prefix: Option<String> = hash.map(|hash| hash.chars().take(16).collect());
    if prefix.as_deref() != Some(row.hash_prefix.as_str()) {
        differences.push(FieldDiff {
            field: "hash".to_string(),
            left: Some(quoted(&row.hash_prefix)),
            right: prefix.map(|prefix| quoted(&prefix)),
        });
    }
    differences
}
