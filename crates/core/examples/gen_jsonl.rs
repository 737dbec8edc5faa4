//! Writes a valid AEF/1 JSON Lines dump of N records over T tenants on stdout, for benchmarks:
//! `cargo run --release -p trailproof-core --example gen_jsonl -- 1000000 4 > big.jsonl`.
//! A third argument `us` keeps timestamps to whole microseconds, as PostgreSQL stores them, so
//! the records still verify from a `pg_dump` of them (`trailproof-service import`, then `dump`).

use std::io::{BufWriter, Write};

use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::time::Instant;

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let tenants: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let step = if args.next().as_deref() == Some("us") {
        1_000_004_000
    } else {
        1_000_003_917
    };
    let actions = [
        "auth.login",
        "record.viewed",
        "sequence.edited",
        "call.barge",
        "export.requested",
        "scoring.threshold.changed",
    ];
    let mut heads: Vec<(u64, String)> = (0..tenants).map(|_| (0, hex(&GENESIS))).collect();
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let start = 1_777_536_000_000_000_000i64; // 2026-04-30T08:00:00Z
    for i in 0..n {
        let t = (i % tenants) as usize;
        let (seq, prev) = &heads[t];
        let seq = seq + 1;
        let ts = Instant {
            nanos: start + i as i64 * step,
        }
        .canonical();
        let a = actions[(i % actions.len() as u64) as usize];
        let changes = if a == "sequence.edited" {
            Value::object(vec![
                (
                    "before".into(),
                    Value::object(vec![(
                        "next_number".into(),
                        Value::Number((i % 1000) as f64),
                    )])
                    .unwrap(),
                ),
                (
                    "after".into(),
                    Value::object(vec![(
                        "next_number".into(),
                        Value::Number((i % 1000 + 7) as f64),
                    )])
                    .unwrap(),
                ),
            ])
            .unwrap()
        } else {
            Value::Null
        };
        let mut rec = Value::object(vec![
            ("seq".into(), Value::Number(seq as f64)),
            (
                "event_id".into(),
                s(&format!("00000000-0000-4000-8000-{i:012}")),
            ),
            ("tenant_id".into(), s(&format!("tenant-{t}"))),
            ("timestamp".into(), s(&ts)),
            ("action".into(), s(a)),
            (
                "severity".into(),
                s(if a == "call.barge" {
                    "critical"
                } else {
                    "info"
                }),
            ),
            ("actor_user_id".into(), s(&format!("u-{}", 1000 + i % 37))),
            ("actor_role".into(), s("tenant_admin")),
            ("actor_display".into(), s("Zoë Müller (zmuller)")),
            ("actor_ip".into(), s("2001:db8::42")),
            ("http_method".into(), s("POST")),
            ("http_route".into(), s("/v2/calls/barge")),
            ("resource_type".into(), s("Call")),
            ("resource_id".into(), s(&format!("cal-{}", i % 9973))),
            ("resource_display".into(), s("Call #248682")),
            ("outcome".into(), s("success")),
            ("outcome_reason".into(), Value::Null),
            ("changes".into(), changes),
            (
                "metadata".into(),
                Value::object(vec![
                    ("company_id".into(), s("acme-co-2")),
                    ("row_count".into(), Value::Number((i % 5000) as f64)),
                ])
                .unwrap(),
            ),
            ("prev_hash".into(), s(prev)),
        ])
        .unwrap();
        let h = hex(&compute_hash(&rec));
        rec.set("hash", s(&h));
        writeln!(out, "{rec}").unwrap();
        heads[t] = (seq, h);
    }
    out.flush().unwrap();
}
