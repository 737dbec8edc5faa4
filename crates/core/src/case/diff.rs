//! Field-level differences between two copies of one record, and the `record_diverged` finding
//! that names them.
//!
//! Invariants: a diff lists every member whose value differs, a member absent from one copy
//! included (as `None` on that side), in canonical member order ([`record::differing_fields`]);
//! each side is the member's canonical JSON. The finding's message names every differing member
//! and spells out the values of all but `hash` and `prev_hash`; when only those differ it says
//! the chain was rewritten.

use crate::finding::{Code, FieldDiff, Finding};
use crate::json::Value;
use crate::record;

/// Canonical JSON of a member value, for field diffs (`None` when absent).
fn member_text(record: &Value, member: &str) -> Option<String> {
    record.get(member).map(|value| value.to_string())
}

/// Field-level differences between the same record in two sources.
pub fn field_diffs(left: &Value, right: &Value) -> Vec<FieldDiff> {
    record::differing_fields(left, right)
        .into_iter()
        .map(|field| FieldDiff {
            left: member_text(left, &field),
            right: member_text(right, &field),
            field,
        })
        .collect()
}

/// A `record_diverged` finding about the record at `seq` of `tenant`, which `left_input` and
/// `right_input` hold as `left` and `right`.
pub(super) fn diverged(
    tenant: Option<&str>,
    seq: u64,
    left_input: &str,
    left: &Value,
    right_input: &str,
    right: &Value,
) -> Finding {
    let fields = field_diffs(left, right);
    let names: Vec<&str> = fields.iter().map(|diff| diff.field.as_str()).collect();
    let detail: Vec<String> = fields
        .iter()
        .filter(|diff| diff.field != "hash" && diff.field != "prev_hash")
        .map(|diff| {
            format!(
                "{}: {} vs {}",
                diff.field,
                diff.left.as_deref().unwrap_or("(absent)"),
                diff.right.as_deref().unwrap_or("(absent)")
            )
        })
        .collect();
    let mut message = format!(
        "{} differs between {left_input} and {right_input} in {}",
        record::describe(tenant, Some(seq)),
        names.join(", ")
    );
    if !detail.is_empty() {
        message.push_str(&format!(" ({})", detail.join("; ")));
    } else {
        message.push_str(" (only its hashes: the chain was rewritten)");
    }
    Finding::new(Code::RecordDiverged, tenant, Some(seq), message)
        .input(left_input)
        .other_input(right_input)
        .fields(fields)
}
