//! What people see versus what the embedded payload says.
//!
//! [`cross_check`] turns the differences into AEF/1 findings and records every check it ran
//! (`attachment`, `visible_header`, `visible_rows`, `visible_integrity`, `footer_links`,
//! `revisions`, `text_decoding`) as passed, failed or not possible. It never verifies the
//! payload itself (hashes, chain, fingerprint recomputation): the core does that.

use std::collections::{BTreeMap, BTreeSet};

use trailproof_core::finding::{Check, Code, FieldDiff, Finding, Status};
use trailproof_core::json::Value;

use super::{PdfEvidence, Revision, VisibleRow};

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn value_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(format!("{}", *n as i64)),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The `hash` query parameter of a verification URL.
pub(crate) fn url_hash(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|kv| kv.strip_prefix("hash="))
}

/// The `Filters:` summary the payload implies (SPEC section 6).
fn filters_summary(payload: &Value) -> String {
    let mut parts = Vec::new();
    let scope = payload.get("scope");
    for key in trailproof_core::scope::FILTER_KEYS {
        if let Some(v) = scope.and_then(|s| s.get(key)).and_then(Value::as_str) {
            if !v.is_empty() {
                parts.push(format!("{key}={v}"));
            }
        }
    }
    if let Some(ls) = payload.get("legacy_search") {
        for key in ["q", "field"] {
            if let Some(v) = ls.get(key).and_then(Value::as_str) {
                if !v.is_empty() {
                    parts.push(format!("{key}={v}"));
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

struct Ctx<'a> {
    input: &'a str,
    tenant: Option<String>,
    findings: Vec<Finding>,
    checks: Vec<Check>,
}

impl Ctx<'_> {
    fn finding(
        &mut self,
        code: Code,
        seq: Option<u64>,
        page: Option<usize>,
        message: String,
    ) -> &mut Finding {
        let mut f = Finding::new(code, self.tenant.as_deref(), seq, message).input(self.input);
        if let Some(p) = page {
            f = f.at(format!("page {p}"));
        }
        self.findings.push(f);
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    fn check(&mut self, id: &str, status: Status, detail: String) {
        let mut c = Check::new(id, status, detail).input(self.input);
        if let Some(t) = &self.tenant {
            c = c.tenant(t);
        }
        self.checks.push(c);
    }

    /// A printed URL (text or link) against the payload's `verify_url` or, without one, the
    /// printed fingerprint. Returns whether it differs.
    fn url(
        &mut self,
        what: &str,
        page: usize,
        shown: &str,
        want_url: Option<&str>,
        want_hash: Option<&str>,
    ) -> bool {
        if let Some(w) = want_url {
            if shown == w {
                return false;
            }
        } else if want_hash.is_none() {
            return false;
        }
        let shown_hash = url_hash(shown);
        let expected_hash = want_url.and_then(url_hash).or(want_hash);
        if shown_hash != expected_hash {
            let msg = format!(
                "{what} on page {page} carries hash={} but {} says {}",
                shown_hash.unwrap_or("(none)"),
                if want_url.is_some() {
                    "the embedded payload's verify_url"
                } else {
                    "the printed fingerprint"
                },
                expected_hash.unwrap_or("(none)")
            );
            let f = self.finding(Code::UrlHashMismatch, None, Some(page), msg);
            *f = f
                .clone()
                .values(expected_hash.unwrap_or(""), shown_hash.unwrap_or(""));
            return true;
        }
        if let Some(w) = want_url {
            let msg = format!(
                "{what} on page {page} is {} but the embedded payload's verify_url is {}",
                q(shown),
                q(w)
            );
            let f = self.finding(Code::VisibleTextMismatch, None, Some(page), msg);
            *f = f.clone().values(w, shown);
            return true;
        }
        false
    }
}

fn describe_revision(i: usize, r: &Revision) -> String {
    let list = |v: &[u32]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|n| format!("{n} 0"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut s = format!(
        "update {i} ({} at byte offset {}): added [{}], replaced [{}], freed [{}]",
        if r.xref_stream {
            "xref stream"
        } else {
            "xref table"
        },
        r.xref_offsets.first().copied().unwrap_or(0),
        list(&r.added),
        list(&r.replaced),
        list(&r.freed),
    );
    let mut touched = Vec::new();
    if r.touches_attachment {
        touched.push("the embedded audit-export.json");
    }
    if r.touches_page_content {
        touched.push("page content");
    }
    if touched.is_empty() {
        s.push_str("; neither the attachment nor page content objects");
    } else {
        s.push_str(&format!("; changes {}", touched.join(" and ")));
    }
    s
}

/// Compares the PDF's visible text with its embedded payload (already parsed by the caller).
/// `input` names the PDF in findings and checks.
pub fn cross_check(
    ev: &PdfEvidence,
    payload: Option<&Value>,
    input: &str,
) -> (Vec<Finding>, Vec<Check>) {
    let tenant = payload
        .and_then(|p| p.get("scope"))
        .and_then(|s| s.get("tenant_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| ev.header.tenant.as_ref().map(|t| t.value.clone()));
    let mut cx = Ctx {
        input,
        tenant,
        findings: Vec::new(),
        checks: Vec::new(),
    };

    // Revisions.
    if ev.revisions.len() > 1 {
        let updates: Vec<String> = ev
            .revisions
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, r)| describe_revision(i, r))
            .collect();
        let msg = format!(
            "the PDF has {} revisions: it was changed after it was produced; {}",
            ev.revisions.len(),
            updates.join("; ")
        );
        cx.finding(Code::PdfIncrementalUpdate, None, None, msg.clone());
        cx.check("revisions", Status::Failed, msg);
    } else {
        cx.check(
            "revisions",
            Status::Passed,
            "one revision: no incremental update".into(),
        );
    }

    // Text decoding.
    if ev.text_problems.is_empty() {
        cx.check(
            "text_decoding",
            Status::Passed,
            format!("text of {} page(s) decoded", ev.pages),
        );
    } else {
        cx.check(
            "text_decoding",
            Status::Failed,
            format!(
                "some text could not be decoded: {}",
                ev.text_problems.join("; ")
            ),
        );
    }

    // Attachment.
    match (payload, &ev.payload) {
        (Some(_), _) => {
            let src = ev.payload_source.as_deref().unwrap_or("?");
            if ev.attachment_notes.is_empty() {
                cx.check(
                    "attachment",
                    Status::Passed,
                    format!("audit-export.json found via {src}"),
                );
            } else {
                cx.check("attachment", Status::Failed, ev.attachment_notes.join("; "));
            }
        }
        (None, Some(_)) => cx.check(
            "attachment",
            Status::NotPossible,
            "audit-export.json is embedded but was not supplied parsed (not valid JSON?)".into(),
        ),
        (None, None) => {
            let msg = "the PDF has no embedded audit-export.json: its records cannot be recomputed offline, \
                       only what its text shows can be checked"
                .to_string();
            cx.finding(Code::AttachmentMissing, None, None, msg.clone());
            cx.check("attachment", Status::NotPossible, msg);
        }
    }

    let printed_fp = ev.integrity.fingerprint.as_ref().map(|f| f.value.clone());
    let want_url = payload
        .and_then(|p| p.get("verify_url"))
        .and_then(Value::as_str);
    let want_hash_no_payload = if payload.is_none() {
        printed_fp.as_deref()
    } else {
        None
    };

    // Header.
    if let Some(p) = payload {
        let mut failed = 0;
        let exported_by = p.get("exported_by").map(|e| {
            format!(
                "{} ({})",
                value_text(e.get("display")).unwrap_or_default(),
                value_text(e.get("user_id")).unwrap_or_default()
            )
        });
        let items = [
            ("Tenant", &ev.header.tenant, cx.tenant.clone()),
            (
                "Exported at",
                &ev.header.exported_at,
                value_text(p.get("exported_at")),
            ),
            ("Exported by", &ev.header.exported_by, exported_by),
            ("Filters", &ev.header.filters, Some(filters_summary(p))),
        ];
        for (label, shown, want) in items {
            let Some(want) = want else { continue };
            match shown {
                Some(s) if s.value == want => {}
                Some(s) => {
                    failed += 1;
                    let msg = format!(
                        "header shows {label}: {} but the embedded payload says {}",
                        q(&s.value),
                        q(&want)
                    );
                    let f = cx.finding(Code::VisibleTextMismatch, None, Some(s.page), msg);
                    *f = f.clone().values(want.clone(), s.value.clone());
                }
                None => {
                    failed += 1;
                    let msg = format!(
                        "the header does not show `{label}:` (the embedded payload says {})",
                        q(&want)
                    );
                    cx.finding(Code::VisibleTextMismatch, None, None, msg);
                }
            }
        }
        cx.check(
            "visible_header",
            if failed == 0 {
                Status::Passed
            } else {
                Status::Failed
            },
            format!("{failed} header line(s) differ from the payload"),
        );
    } else {
        cx.check(
            "visible_header",
            Status::NotPossible,
            "no embedded payload to compare the header with".into(),
        );
    }

    // Rows.
    if let Some(p) = payload {
        let mut embedded: BTreeMap<u64, &Value> = BTreeMap::new();
        if let Some(Value::Array(recs)) = p.get("records") {
            for r in recs {
                if let Some(seq) = r.get("seq").and_then(Value::as_u64) {
                    embedded.entry(seq).or_insert(r);
                }
            }
        }
        let mut shown: BTreeSet<u64> = BTreeSet::new();
        let mut bad_rows = 0usize;
        for row in &ev.rows {
            if !shown.insert(row.seq) {
                bad_rows += 1;
                cx.finding(
                    Code::VisibleTextMismatch,
                    Some(row.seq),
                    Some(row.page),
                    format!("row seq {} is shown more than once", row.seq),
                );
                continue;
            }
            let Some(rec) = embedded.get(&row.seq) else {
                bad_rows += 1;
                cx.finding(
                    Code::VisibleTextMismatch,
                    Some(row.seq),
                    Some(row.page),
                    format!(
                        "the table shows a row seq {} that the embedded payload does not hold",
                        row.seq
                    ),
                );
                continue;
            };
            let diffs = row_diffs(row, rec);
            if !diffs.is_empty() {
                bad_rows += 1;
                let desc: Vec<String> = diffs
                    .iter()
                    .map(|d| {
                        format!(
                            "{} shows {} but the embedded record has {}",
                            d.field,
                            d.left.as_deref().unwrap_or("null"),
                            d.right.as_deref().unwrap_or("null")
                        )
                    })
                    .collect();
                let msg = format!(
                    "row seq {} on page {}: {}",
                    row.seq,
                    row.page,
                    desc.join("; ")
                );
                let (e, c) = (
                    diffs[0].right.clone().unwrap_or_default(),
                    diffs[0].left.clone().unwrap_or_default(),
                );
                let f = cx.finding(
                    Code::VisibleTextMismatch,
                    Some(row.seq),
                    Some(row.page),
                    msg,
                );
                *f = f.clone().values(e, c).fields(diffs);
            }
        }
        for seq in embedded.keys() {
            if !shown.contains(seq) {
                bad_rows += 1;
                cx.finding(
                    Code::VisibleTextMismatch,
                    Some(*seq),
                    None,
                    format!("embedded record seq {seq} is not shown in the PDF's table"),
                );
            }
        }
        cx.check(
            "visible_rows",
            if bad_rows == 0 {
                Status::Passed
            } else {
                Status::Failed
            },
            format!(
                "{} row(s) shown, {} record(s) embedded, {bad_rows} difference(s)",
                ev.rows.len(),
                embedded.len()
            ),
        );
    } else {
        let seqs: Vec<String> = ev.rows.iter().map(|r| r.seq.to_string()).collect();
        cx.check(
            "visible_rows",
            Status::NotPossible,
            format!(
                "{} row(s) shown (seq {}); no embedded records to compare them with",
                ev.rows.len(),
                if seqs.is_empty() {
                    "none".to_string()
                } else {
                    seqs.join(", ")
                }
            ),
        );
    }

    // Integrity section.
    let mut integrity_failed = 0usize;
    let gi = &ev.integrity;
    if let Some(p) = payload {
        if let Some(want) = value_text(p.get("record_count")) {
            match &gi.records {
                Some(s) if s.value == want => {}
                Some(s) => {
                    integrity_failed += 1;
                    let msg = format!("page {} shows Records: {} but the embedded payload's record_count is {want}", s.page, s.value);
                    let f = cx.finding(Code::RecordCountMismatch, None, Some(s.page), msg);
                    *f = f.clone().values(want.clone(), s.value.clone());
                }
                None => {
                    integrity_failed += 1;
                    cx.finding(
                        Code::VisibleTextMismatch,
                        None,
                        None,
                        "the PDF does not show `Records:`".into(),
                    );
                }
            }
        }
        if let Some(want) = value_text(p.get("fingerprint")) {
            match &gi.fingerprint {
                Some(s) if s.value == want => {}
                Some(s) => {
                    integrity_failed += 1;
                    let msg = format!(
                        "page {} shows Fingerprint: {} but the embedded payload states {want}",
                        s.page, s.value
                    );
                    let f = cx.finding(Code::FingerprintMismatch, None, Some(s.page), msg);
                    *f = f.clone().values(want.clone(), s.value.clone());
                }
                None => {
                    integrity_failed += 1;
                    cx.finding(
                        Code::VisibleTextMismatch,
                        None,
                        None,
                        "the PDF does not show `Fingerprint:`".into(),
                    );
                }
            }
        }
        let head = p.get("chain_head");
        if let (Some(seq), Some(hash)) = (
            value_text(head.and_then(|h| h.get("seq"))),
            value_text(head.and_then(|h| h.get("hash"))),
        ) {
            let want = format!("seq {seq} hash {hash}");
            match &gi.chain_head {
                Some(s) if s.seq == seq && s.hash == hash => {}
                Some(s) => {
                    integrity_failed += 1;
                    let msg = format!("page {} shows Chain head: {} but the embedded payload's chain_head is {want}", s.page, s.text);
                    let f = cx.finding(Code::VisibleTextMismatch, None, Some(s.page), msg);
                    *f = f.clone().values(want.clone(), s.text.clone());
                }
                None => {
                    integrity_failed += 1;
                    cx.finding(
                        Code::VisibleTextMismatch,
                        None,
                        None,
                        "the PDF does not show `Chain head:`".into(),
                    );
                }
            }
        }
    }
    match &gi.verification_url {
        Some(u) => {
            if cx.url(
                "the printed Verification URL",
                u.page,
                &u.value,
                want_url,
                want_hash_no_payload,
            ) {
                integrity_failed += 1;
            }
        }
        None => {
            if payload.is_some() {
                integrity_failed += 1;
                cx.finding(
                    Code::VisibleTextMismatch,
                    None,
                    None,
                    "the PDF does not show `Verification URL:`".into(),
                );
            }
        }
    }
    let integrity_status = if integrity_failed > 0 {
        Status::Failed
    } else if payload.is_none() && (printed_fp.is_none() || gi.verification_url.is_none()) {
        Status::NotPossible
    } else {
        Status::Passed
    };
    cx.check(
        "visible_integrity",
        integrity_status,
        if payload.is_some() {
            format!("{integrity_failed} printed integrity value(s) differ from the embedded payload")
        } else {
            format!(
                "no payload: printed fingerprint checked against the printed URL's hash only; {integrity_failed} difference(s)"
            )
        },
    );

    // Footer links and footer URLs.
    let mut link_failed = 0usize;
    for (page, uri) in &ev.link_uris {
        if cx.url("the /URI link", *page, uri, want_url, want_hash_no_payload) {
            link_failed += 1;
        }
    }
    for (page, url) in &ev.footer_urls {
        if cx.url("the footer URL", *page, url, want_url, want_hash_no_payload) {
            link_failed += 1;
        }
    }
    let linked: BTreeSet<usize> = ev.link_uris.iter().map(|(p, _)| *p).collect();
    let unlinked: Vec<String> = (1..=ev.pages)
        .filter(|p| !linked.contains(p))
        .map(|p| p.to_string())
        .collect();
    let mut detail = format!(
        "{} /URI link(s) and {} footer URL(s) checked, {link_failed} differ",
        ev.link_uris.len(),
        ev.footer_urls.len()
    );
    if !unlinked.is_empty() {
        detail.push_str(&format!(
            "; page(s) without a /URI link: {}",
            unlinked.join(", ")
        ));
    }
    let status = if link_failed > 0 {
        Status::Failed
    } else if (ev.link_uris.is_empty() && ev.footer_urls.is_empty())
        || (want_url.is_none() && want_hash_no_payload.is_none())
    {
        Status::NotPossible
    } else {
        Status::Passed
    };
    cx.check("footer_links", status, detail);

    (cx.findings, cx.checks)
}

fn row_diffs(row: &VisibleRow, rec: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let cells = [
        ("timestamp", &row.timestamp),
        ("action", &row.action),
        ("severity", &row.severity),
        ("actor_user_id", &row.actor_user_id),
        ("outcome", &row.outcome),
    ];
    for (field, shown) in cells {
        let want = value_text(rec.get(field));
        if want.as_deref() != Some(shown.as_str()) {
            out.push(FieldDiff {
                field: field.to_string(),
                left: Some(q(shown)),
                right: want.map(|w| q(&w)),
            });
        }
    }
    let hash = value_text(rec.get("hash"));
    let prefix: Option<String> = hash.map(|h| h.chars().take(16).collect());
    if prefix.as_deref() != Some(row.hash_prefix.as_str()) {
        out.push(FieldDiff {
            field: "hash".to_string(),
            left: Some(q(&row.hash_prefix)),
            right: prefix.map(|p| q(&p)),
        });
    }
    out
}
