//! A generated case bigger than a report's worth of flagged events, written as evidence files.

use std::io::Write;
use std::path::{Path, PathBuf};

use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::time::Instant;

/// A JSON Lines dump of `n` records over three tenants, one record deleted and one edited after
/// hashing, and a second dump holding part of one tenant: every integrity state the files give,
/// every flag, denial bursts, ties in time, values that repeat and values that do not.
pub(super) fn generate(dir: &Path, n: u64) -> Vec<PathBuf> {
    let s = |x: &str| Value::String(x.to_string());
    let tenants = ["t-b", "t-a", "t-c"];
    let actions = [
        "auth.login",
        "record.viewed",
        "sequence.edited",
        "call.barge",
        "export.requested",
        "auth.failed",
    ];
    let mut heads: Vec<(u64, String)> = tenants.iter().map(|_| (0, hex(&GENESIS))).collect();
    let a = dir.join("main.jsonl");
    let b = dir.join("partial.jsonl");
    let mut out_a = std::io::BufWriter::new(std::fs::File::create(&a).unwrap());
    let mut out_b = std::io::BufWriter::new(std::fs::File::create(&b).unwrap());
    let start = 1_777_536_000_000_000_000i64; // 2026-04-30T08:00:00Z
    for i in 0..n {
        let t = (i % 3) as usize;
        let seq = heads[t].0 + 1;
        // Pairs share an instant (ties across tenants); 61 s apart, so the case spans days.
        let nanos = start + (i / 2) as i64 * 61_000_000_123 + (i % 2) as i64 * 7;
        let action = actions[(i % actions.len() as u64) as usize];
        let failing = action == "auth.failed" || i % 50 < 6;
        let actor = if failing {
            "u-bursty".to_string()
        } else {
            format!("u-{}", i % 211)
        };
        let mut rec = Value::object(vec![
            ("seq".into(), Value::Number(seq as f64)),
            (
                "event_id".into(),
                s(&format!("00000000-0000-4000-8000-{i:012}")),
            ),
            ("tenant_id".into(), s(tenants[t])),
            ("timestamp".into(), s(&Instant { nanos }.canonical())),
            ("action".into(), s(action)),
            (
                "severity".into(),
                s(["info", "warning", "critical", ""][(i % 4) as usize]),
            ),
            ("actor_user_id".into(), s(&actor)),
            (
                "actor_role".into(),
                s(["tenant_admin", "agent"][(i % 2) as usize]),
            ),
            (
                "actor_display".into(),
                s(["Zoë Müller (zmuller)", "Ana O'Neil", "<b>x</b>"][(i % 3) as usize]),
            ),
            ("actor_ip".into(), s(&format!("198.51.100.{}", i % 17))),
            ("http_method".into(), s("POST")),
            ("http_route".into(), s(&format!("/v2/things/{}", i % 5))),
            (
                "resource_type".into(),
                s(["Call", "Sequence"][(i % 2) as usize]),
            ),
            ("resource_id".into(), s(&format!("res-{i}"))),
            ("resource_display".into(), s(&format!("Thing №{}", i % 40))),
            (
                "outcome".into(),
                s(if failing { "failure" } else { "success" }),
            ),
            (
                "outcome_reason".into(),
                if failing {
                    s("denied by policy")
                } else {
                    Value::Null
                },
            ),
            (
                "changes".into(),
                if action == "sequence.edited" {
                    Value::object(vec![("after".into(), Value::Number(i as f64))]).unwrap()
                } else {
                    Value::Null
                },
            ),
            (
                "metadata".into(),
                Value::object(vec![
                    ("row_count".into(), Value::Number((i % 300) as f64)),
                    ("threshold".into(), Value::Number(250.0)),
                ])
                .unwrap(),
            ),
            ("prev_hash".into(), s(&heads[t].1)),
        ])
        .unwrap();
        let h = hex(&compute_hash(&rec));
        rec.set("hash", s(&h));
        heads[t] = (seq, h);
        if t == 1 && seq <= n / 6 {
            if seq == 30 {
                // Edited and re-hashed in the partial dump: both copies hash, they differ.
                let mut other = rec.clone();
                other.set("actor_display", s("Mallory"));
                let h = hex(&compute_hash(&other)); // the hash member is not hashed
                other.set("hash", s(&h));
                writeln!(out_b, "{other}").unwrap();
            } else {
                writeln!(out_b, "{rec}").unwrap();
            }
        }
        if t == 0 && seq == 10 {
            continue; // deleted
        }
        if t == 1 && seq == 20 {
            rec.set("actor_display", s("Mallory")); // edited after hashing
        }
        writeln!(out_a, "{rec}").unwrap();
    }
    out_a.flush().unwrap();
    out_b.flush().unwrap();
    vec![a, b]
}
