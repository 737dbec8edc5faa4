//! What checking one record costs, phase by phase, on one thread: strict JSON parse, canonical
//! bytes, SHA-256, and `record::check` as a whole (which also normalizes the timestamp).
//! Reads a JSON Lines dump (e.g. from the `gen_jsonl` example) and prints nanoseconds per record:
//! `cargo run --release -p trailproof-core --example check_cost -- big.jsonl`.
//! A bench script, not a test: nothing here asserts a time.

use std::time::Instant;

use trailproof_core::json::Value;
use trailproof_core::record::{self, Location, RawData, RawRecord};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: check_cost FILE.jsonl [ROUNDS]");
    let rounds: u32 = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let text = std::fs::read(&path).expect("read the JSON Lines file");
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let n = lines.len() as f64;
    let values: Vec<Value> = lines
        .iter()
        .map(|l| Value::parse(l).expect("valid JSON"))
        .collect();
    let mut buf = Vec::new();
    let canon: Vec<Vec<u8>> = values
        .iter()
        .map(|v| {
            buf.clear();
            record::write_hashed_bytes(v, &mut buf);
            buf.clone()
        })
        .collect();
    let bytes: usize = canon.iter().map(Vec::len).sum();
    println!(
        "{} records, {:.0} canonical bytes per record",
        lines.len(),
        bytes as f64 / n
    );
    let best = |name: &str, f: &mut dyn FnMut() -> usize| {
        let mut best = f64::MAX;
        let mut sink = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            sink += f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{name:<16} {:>8.0} ns/record   (sink {sink})",
            best * 1e9 / n
        );
    };
    best("parse", &mut || {
        lines.iter().map(|l| Value::parse(l).map_or(0, |_| 1)).sum()
    });
    best("canonical", &mut || {
        values
            .iter()
            .map(|v| {
                buf.clear();
                record::write_hashed_bytes(v, &mut buf);
                buf.len()
            })
            .sum()
    });
    best("sha256", &mut || {
        canon.iter().map(|c| record::sha256(c)[0] as usize).sum()
    });
    best("timestamp", &mut || {
        values
            .iter()
            .map(|v| match v.get("timestamp") {
                Some(Value::String(t)) => trailproof_core::time::normalize(t)
                    .map(|i| i.canonical().len())
                    .unwrap_or(0),
                _ => 0,
            })
            .sum()
    });
    best("check (json)", &mut || {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let raw = RawRecord {
                    loc: Location::Line(i as u64 + 1),
                    data: RawData::Json(l.to_vec()),
                };
                record::check(raw, &mut buf).seq.unwrap_or(0) as usize
            })
            .sum()
    });
    best("check (value)", &mut || {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let raw = RawRecord {
                    loc: Location::Line(i as u64 + 1),
                    data: RawData::Value(v.clone()),
                };
                record::check(raw, &mut buf).seq.unwrap_or(0) as usize
            })
            .sum()
    });
    best("clone (value)", &mut || {
        values
            .iter()
            .map(|v| usize::from(v.clone().get("seq").is_some()))
            .sum()
    });
}
