//! JSON Lines evidence edited by a test: the public vector's records as `serde_json` values, the
//! index of one record, re-hashing after an edit (a forger who knows the format), and writing the
//! edited records back one per line.

use std::path::Path;

/// The records of the public vector `records.jsonl`, in file order.
pub fn records() -> Vec<serde_json::Value> {
    std::fs::read_to_string(crate::vector("records.jsonl"))
        .expect("read records.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

/// Where the record of `tenant` at `seq` stands in `records` (panics when it is absent).
pub fn pos(records: &[serde_json::Value], tenant: &str, seq: u64) -> usize {
    records
        .iter()
        .position(|r| r["tenant_id"] == tenant && r["seq"] == seq)
        .unwrap_or_else(|| panic!("no record {tenant}/{seq}"))
}

/// Recomputes the record's `hash` over its (edited) members, so only the chain can tell.
pub fn rehash(record: &mut serde_json::Value) {
    let v = trailproof_core::json::Value::from_serde(record).expect("a record value");
    record["hash"] = serde_json::Value::String(trailproof_core::record::hex(
        &trailproof_core::record::compute_hash(&v),
    ));
}

/// Writes `records` to `path`, one JSON object per line, each line ending in a newline.
pub fn write(path: &Path, records: &[serde_json::Value]) {
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).expect("serialize a record"));
        text.push('\n');
    }
    std::fs::write(path, text).expect("write the JSON Lines file");
}
