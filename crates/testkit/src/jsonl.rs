//! JSON Lines evidence edited by a test: the public vector's records as `serde_json` values, the
//! index of one record, re-hashing after an edit (a forger who knows the format), and writing the
//! edited records back one per line.

use std::path::Path;

use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::time::Instant;

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

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

/// Writes a valid 3-record chain of tenant `acme</td><script>x</script>` whose evidence carries
/// markup in every free-text place; seq 2's `actor_display` becomes `seq2_display` after it was
/// hashed, so a finding quotes the record.
pub fn hostile_chain(path: &Path, seq2_display: &str) {
    let hostile = "<img src=x onerror=alert(1)>";
    let mut prev = hex(&GENESIS);
    let mut out = String::new();
    for seq in 1..=3u64 {
        let mut rec = Value::object(vec![
            ("seq".into(), Value::Number(seq as f64)),
            ("event_id".into(), s(&format!("e-{seq}"))),
            ("tenant_id".into(), s("acme</td><script>x</script>")),
            (
                "timestamp".into(),
                s(&Instant {
                    nanos: 1_777_536_000_000_000_000 + seq as i64 * 60_000_000_000,
                }
                .canonical()),
            ),
            ("action".into(), s("call.barge")),
            ("severity".into(), s("critical")),
            ("actor_user_id".into(), s("u-1\"><b>")),
            ("actor_role".into(), s("tenant_admin")),
            ("actor_display".into(), s(hostile)),
            ("actor_ip".into(), Value::Null),
            ("http_method".into(), s("POST")),
            ("http_route".into(), s("/v2/calls/barge")),
            ("resource_type".into(), Value::Null),
            ("resource_id".into(), Value::Null),
            ("resource_display".into(), Value::Null),
            ("outcome".into(), s("failure")),
            ("outcome_reason".into(), s("<svg onload=alert(2)>")),
            ("changes".into(), Value::Null),
            ("metadata".into(), Value::object(vec![]).unwrap()),
            ("prev_hash".into(), s(&prev)),
        ])
        .unwrap();
        let h = hex(&compute_hash(&rec));
        rec.set("hash", s(&h));
        prev = h;
        if seq == 2 {
            rec.set("actor_display", s(seq2_display));
        }
        out.push_str(&rec.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}
