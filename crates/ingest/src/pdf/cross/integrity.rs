//! `visible_integrity`: the printed integrity lines (`Records:`, `Fingerprint:`, `Chain head:`,
//! `Verification URL:`) against what the embedded payload states, each line compared by one
//! function over data (label, payload member, wording of the finding).
//!
//! Invariant: a line the payload states but no page shows is `visible_text_mismatch`; a line
//! that differs names the page that shows it and carries both values.

use trailproof_core::finding::{Code, Status};
use trailproof_core::payload::Payload;

use super::{compare_url, value_text, Context, ExpectedUrl};
use crate::pdf::{Located, PdfEvidence};

/// `visible_integrity`: the printed record count, fingerprint, chain head and verification
/// URL against the payload (without one, the printed URL against the printed fingerprint).
pub(super) fn check_visible_integrity(
    context: &mut Context,
    evidence: &PdfEvidence,
    payload: Option<&Payload>,
    expected_url: &ExpectedUrl,
) {
    let mut failed = 0usize;
    if let Some(payload) = payload {
        let integrity = &evidence.integrity;
        for (printed, line) in [
            (&integrity.records, &RECORDS_LINE),
            (&integrity.fingerprint, &FINGERPRINT_LINE),
        ] {
            failed += usize::from(compare_value(context, printed.as_ref(), payload, line));
        }
        failed += usize::from(compare_chain_head(context, evidence, payload));
    }
    failed += usize::from(compare_verification_url(
        context,
        evidence,
        payload,
        expected_url,
    ));
    let integrity = &evidence.integrity;
    let status = if failed > 0 {
        Status::Failed
    } else if payload.is_none()
        && (integrity.fingerprint.is_none() || integrity.verification_url.is_none())
    {
        Status::NotPossible
    } else {
        Status::Passed
    };
    context.check(
        "visible_integrity",
        status,
        if payload.is_some() {
            format!("{failed} printed integrity value(s) differ from the embedded payload")
        } else {
            format!(
                "no payload: printed fingerprint checked against the printed URL's hash only; {failed} difference(s)"
            )
        },
    );
}

/// A printed integrity line and the payload member it repeats.
struct PrintedLine {
    /// The line's label as printed.
    label: &'static str,
    /// The payload member.
    member: &'static str,
    /// How a mismatch's message names the payload's value.
    source: &'static str,
    /// The finding for a printed value that differs.
    code: Code,
}

/// `Records:` repeats the payload's `record_count`.
const RECORDS_LINE: PrintedLine = PrintedLine {
    label: "Records",
    member: "record_count",
    source: "the embedded payload's record_count is",
    code: Code::RecordCountMismatch,
};

/// `Fingerprint:` repeats the payload's `fingerprint`.
const FINGERPRINT_LINE: PrintedLine = PrintedLine {
    label: "Fingerprint",
    member: "fingerprint",
    source: "the embedded payload states",
    code: Code::FingerprintMismatch,
};

/// `Chain head:` repeats the payload's `chain_head` (its `seq` and `hash`).
const CHAIN_HEAD_LINE: PrintedLine = PrintedLine {
    label: "Chain head",
    member: "chain_head",
    source: "the embedded payload's chain_head is",
    code: Code::VisibleTextMismatch,
};

/// A printed single-value line against the payload member it repeats (nothing to compare where
/// the payload lacks it); returns whether they differ.
fn compare_value(
    context: &mut Context,
    printed: Option<&Located>,
    payload: &Payload,
    line: &'static PrintedLine,
) -> bool {
    let Some(expected) = value_text(payload.get(line.member)) else {
        return false;
    };
    let shown = printed.map(|shown| Shown {
        page: shown.page,
        text: &shown.value,
        agrees: shown.value == expected,
    });
    compare_printed(context, Stated { line, expected }, shown)
}

/// The printed `Chain head:` against the payload's `chain_head`; returns whether they differ.
fn compare_chain_head(context: &mut Context, evidence: &PdfEvidence, payload: &Payload) -> bool {
    let head = payload.get(CHAIN_HEAD_LINE.member);
    let (Some(seq), Some(hash)) = (
        value_text(head.and_then(|head| head.get("seq"))),
        value_text(head.and_then(|head| head.get("hash"))),
    ) else {
        return false;
    };
    let shown = evidence.integrity.chain_head.as_ref().map(|shown| Shown {
        page: shown.page,
        text: &shown.text,
        agrees: shown.seq == seq && shown.hash == hash,
    });
    let stated = Stated {
        line: &CHAIN_HEAD_LINE,
        expected: format!("seq {seq} hash {hash}"),
    };
    compare_printed(context, stated, shown)
}

/// What the embedded payload states for one printed integrity line.
struct Stated {
    line: &'static PrintedLine,
    /// The value as the page should print it.
    expected: String,
}

/// One printed integrity line as the page shows it.
struct Shown<'a> {
    page: usize,
    text: &'a str,
    /// Whether it says what the payload states.
    agrees: bool,
}

/// A printed integrity line against the payload: a finding with both values at the page that
/// shows a different one, `visible_text_mismatch` where no page shows the line; returns whether
/// they differ.
fn compare_printed(context: &mut Context, stated: Stated, shown: Option<Shown<'_>>) -> bool {
    let line = stated.line;
    match shown {
        Some(shown) if shown.agrees => false,
        Some(shown) => {
            let message = format!(
                "page {} shows {}: {} but {} {}",
                shown.page, line.label, shown.text, line.source, stated.expected
            );
            let finding = context
                .finding(line.code, None, Some(shown.page), message)
                .values(stated.expected, shown.text.to_string());
            context.report(finding);
            true
        }
        None => not_shown(context, line.label),
    }
}

/// `visible_text_mismatch`: no page shows the integrity line `label`; returns true.
fn not_shown(context: &mut Context, label: &str) -> bool {
    let finding = context.finding(
        Code::VisibleTextMismatch,
        None,
        None,
        format!("the PDF does not show `{label}:`"),
    );
    context.report(finding);
    true
}

/// The printed `Verification URL:` against the expected URL; returns whether it differs (or,
/// with a payload, is missing).
fn compare_verification_url(
    context: &mut Context,
    evidence: &PdfEvidence,
    payload: Option<&Payload>,
    expected_url: &ExpectedUrl,
) -> bool {
    match &evidence.integrity.verification_url {
        Some(shown) => compare_url(
            context,
            "the printed Verification URL",
            shown.page,
            &shown.value,
            expected_url,
        ),
        None if payload.is_some() => not_shown(context, "Verification URL"),
        None => false,
    }
}
