//! End-to-end tests of `trailproof timeline`: the public vectors pinned to exact events, states
//! and gaps; the responder flags on crafted chains; and a ~20k-record timeline that must survive
//! every output format (JSON, JSONL, CSV, Timesketch) event for event.

use std::path::Path;
use std::process::Command;

use serde_json::Value as J;
use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::time::Instant;
use trailproof_testkit::vector_arg as vector;

/// Runs `trailproof timeline` and returns (exit code, stdout, stderr).
fn timeline(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trailproof"))
        .arg("timeline")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_timeline(files: &[&str]) -> J {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(files);
    let (code, out, err) = timeline(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_slice(&out).unwrap()
}

fn events(t: &J) -> &Vec<J> {
    t["events"].as_array().unwrap()
}

fn find<'a>(t: &'a J, kind: &str, tenant: &str, seq: u64) -> (usize, &'a J) {
    events(t)
        .iter()
        .enumerate()
        .find(|(_, e)| e["kind"] == kind && e["tenant_id"] == tenant && e["seq"] == seq)
        .unwrap_or_else(|| panic!("no {kind} {tenant} {seq}"))
}

#[test]
fn deleted_record_is_a_gap_between_its_neighbours() {
    let t = json_timeline(&[&vector("tampered/deleted-record.sqlite")]);
    let (i8, _) = find(&t, "event", "acme", 8);
    let (ig, gap) = find(&t, "gap", "acme", 9);
    let (i10, e10) = find(&t, "event", "acme", 10);
    assert_eq!(gap["seq_end"], 9);
    assert_eq!(gap["integrity"], "gap");
    assert_eq!(gap["findings"], serde_json::json!(["seq_gap"]));
    assert_eq!(gap["timestamp"], events(&t)[i8]["timestamp"]);
    assert_eq!(ig, i8 + 1, "the gap follows seq 8 directly");
    assert!(ig < i10);
    assert_eq!(e10["integrity"], "chain_broken");
    assert_eq!(e10["findings"], serde_json::json!(["chain_link_broken"]));
    assert_eq!(t["summary"]["gaps"], 1);
    assert_eq!(t["summary"]["events"], 51);
    assert_eq!(t["summary"]["verdict"], "tampered");
    // No record 9 anywhere.
    assert!(!events(&t)
        .iter()
        .any(|e| e["kind"] == "event" && e["tenant_id"] == "acme" && e["seq"] == 9));
}

#[test]
fn edited_field_is_a_hash_mismatch() {
    let t = json_timeline(&[&vector("tampered/edited-field.sqlite")]);
    let (_, e) = find(&t, "event", "acme", 17);
    assert_eq!(e["integrity"], "hash_mismatch");
    assert_eq!(e["findings"], serde_json::json!(["record_hash_mismatch"]));
    assert_eq!(e["action"], "sequence.edited");
    assert_eq!(e["timestamp"], "2026-04-30T08:58:29.947244035Z");
    assert_eq!(e["micros"], 1_777_539_509_947_244i64);
    // A lone dump: nothing independent anchors its chains, so the rest is consistent, never
    // verified.
    let bad: Vec<_> = events(&t)
        .iter()
        .filter(|e| e["integrity"] != "consistent")
        .map(|e| (e["tenant_id"].clone(), e["seq"].clone()))
        .collect();
    assert_eq!(bad, vec![(J::from("acme"), J::from(17))]);
}

#[test]
fn export_and_dump_merge_per_record() {
    let pdf = vector("export-acme-critical.pdf");
    let db = vector("audit.sqlite");
    let t = json_timeline(&[&pdf, &db]);
    let (_, e) = find(&t, "event", "acme", 2);
    assert_eq!(e["sources"], serde_json::json!([pdf, db]));
    assert_eq!(e["integrity"], "verified");
    assert_eq!(e["action"], "call.whisper");
    assert_eq!(e["flags"], serde_json::json!(["privileged_intervention"]));
    // A record outside the export's scope is held by the dump only.
    let (_, e1) = find(&t, "event", "acme", 1);
    assert_eq!(e1["sources"], serde_json::json!([db]));
    assert_eq!(e1["integrity"], "only_in_one_source");
    assert_eq!(t["summary"]["events"], 52);
    // acme's records the export's chain head anchors are verified; globex's, which nothing
    // anchors, are consistent only.
    assert_eq!(t["summary"]["integrity"]["verified"], 7);
    assert_eq!(t["summary"]["integrity"]["only_in_one_source"], 33);
    assert_eq!(t["summary"]["integrity"]["consistent"], 12);
    let (_, g) = find(&t, "event", "globex", 1);
    assert_eq!(g["integrity"], "consistent");
    // Ordered by timestamp, then tenant, then seq.
    let keys: Vec<(String, String, u64)> = events(&t)
        .iter()
        .map(|e| {
            (
                e["timestamp"].as_str().unwrap().to_string(),
                e["tenant_id"].as_str().unwrap().to_string(),
                e["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn rechained_suffix_diverges_from_the_export() {
    let pdf = vector("export-acme-critical.pdf");
    let t = json_timeline(&[&pdf, &vector("tampered/rechained-suffix.sqlite")]);
    // A record the export holds: same seq, rewritten hashes.
    let (_, e) = find(&t, "event", "acme", 39);
    assert_eq!(e["integrity"], "diverged");
    assert_eq!(
        e["diverged_fields"],
        serde_json::json!(["hash", "prev_hash"])
    );
    assert_eq!(e["findings"], serde_json::json!(["record_diverged"]));
    assert_eq!(e["sources"].as_array().unwrap().len(), 2);
    // The export's chain head, which it states but does not hold.
    let (_, e) = find(&t, "event", "acme", 40);
    assert_eq!(e["integrity"], "chain_broken");
    assert_eq!(e["findings"], serde_json::json!(["anchor_mismatch"]));
}

#[test]
fn vectors_of_every_dump_form_give_the_same_timeline() {
    let base = json_timeline(&[&vector("audit.sqlite")]);
    // A lone dump is consistent, not verified: nothing independent anchors it.
    assert!(events(&base).iter().all(|e| e["integrity"] == "consistent"));
    for other in ["records.jsonl", "audit.csv", "audit.sqlite.sql"] {
        let t = json_timeline(&[&vector(other)]);
        let strip = |t: &J| -> Vec<J> {
            events(t)
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    e["sources"] = J::Null;
                    e
                })
                .collect()
        };
        assert_eq!(strip(&t), strip(&base), "{other}");
    }
}

#[test]
fn unknown_format_and_unreadable_input_exit_2() {
    let (code, _, _) = timeline(&["--format", "xml", &vector("audit.sqlite")]);
    assert_eq!(code, 2);
    let (code, _, err) = timeline(&["/nonexistent/file.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/file.jsonl"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Generated chains.

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

const START: i64 = 1_777_536_000_000_000_000; // 2026-04-30T08:00:00Z

/// A valid record of `tenant` with the given seq, prev hash and time; `tweak` edits members
/// before hashing.
fn record(tenant: &str, seq: u64, prev: &str, nanos: i64, tweak: &dyn Fn(&mut Value)) -> Value {
    let mut rec = Value::object(vec![
        ("seq".into(), Value::Number(seq as f64)),
        (
            "event_id".into(),
            s(&format!("00000000-0000-4000-8000-{seq:012}")),
        ),
        ("tenant_id".into(), s(tenant)),
        ("timestamp".into(), s(&Instant { nanos }.canonical())),
        ("action".into(), s("record.viewed")),
        ("severity".into(), s("info")),
        ("actor_user_id".into(), s("u-1000")),
        ("actor_role".into(), s("agent")),
        ("actor_display".into(), s("Zoë Müller (zmuller)")),
        ("actor_ip".into(), s("2001:db8::42")),
        ("http_method".into(), s("GET")),
        ("http_route".into(), s("/v2/records")),
        ("resource_type".into(), s("Record")),
        ("resource_id".into(), s(&format!("rec-{seq}"))),
        ("resource_display".into(), Value::Null),
        ("outcome".into(), s("success")),
        ("outcome_reason".into(), Value::Null),
        ("changes".into(), Value::Null),
        ("metadata".into(), Value::object(vec![]).unwrap()),
        ("prev_hash".into(), s(prev)),
    ])
    .unwrap();
    tweak(&mut rec);
    let h = hex(&compute_hash(&rec));
    rec.set("hash", s(&h));
    rec
}

/// Writes a chain of `tenant` as JSON Lines: record i (0-based) at `times[i]`, edited by `tweak(i)`.
fn chain(path: &Path, tenant: &str, times: &[i64], tweak: &dyn Fn(usize, &mut Value)) {
    let mut out = String::new();
    let mut prev = hex(&GENESIS);
    for (i, &t) in times.iter().enumerate() {
        let rec = record(tenant, i as u64 + 1, &prev, t, &|r| tweak(i, r));
        prev = rec.get("hash").unwrap().as_str().unwrap().to_string();
        out.push_str(&rec.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

const MIN: i64 = 60_000_000_000;

#[test]
fn flags_for_responders() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("flags.jsonl");
    // 0: barge; 1: change; 2: export over threshold; 3: export under it;
    // 4..=8: five failures of u-666 within 8 minutes (a burst); 9: 05:00 UTC next day;
    // 10..=13: four failures of u-777 within 4 minutes (no burst at N=5).
    let mut times: Vec<i64> = (0..9).map(|i| START + i * MIN).collect();
    times.push(START + 21 * 60 * MIN);
    times.extend((0..4).map(|i| START + 22 * 60 * MIN + i * MIN));
    chain(&p, "acme", &times, &|i, r| match i {
        0 => r.set("action", s("call.barge")),
        1 => r.set(
            "changes",
            Value::parse(br#"{"before":{"x":1},"after":{"x":2}}"#).unwrap(),
        ),
        2 => r.set(
            "metadata",
            Value::parse(br#"{"row_count":5001,"threshold":5000}"#).unwrap(),
        ),
        3 => r.set(
            "metadata",
            Value::parse(br#"{"row_count":5000,"threshold":5000}"#).unwrap(),
        ),
        4..=8 | 10..=13 => {
            r.set("outcome", s("failure"));
            r.set("outcome_reason", s("permission_denied"));
            r.set("actor_user_id", s(if i < 9 { "u-666" } else { "u-777" }));
        }
        _ => {}
    });
    let p = p.to_string_lossy().into_owned();
    let flags = |t: &J| -> Vec<Vec<String>> {
        events(t)
            .iter()
            .map(|e| {
                e["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect()
            })
            .collect()
    };
    let t = json_timeline(&[&p]);
    let f = flags(&t);
    assert_eq!(f[0], ["privileged_intervention"]);
    assert_eq!(f[1], ["parameter_change"]);
    assert_eq!(f[2], ["mass_export"]);
    assert!(f[3].is_empty());
    for x in &f[4..9] {
        assert_eq!(x, &["denied", "denial_burst"]);
    }
    // 05:00 UTC, and 06:00-06:03 UTC.
    assert_eq!(f[9], ["off_hours"]);
    for x in &f[10..14] {
        assert_eq!(x, &["denied", "off_hours"]);
    }
    assert_eq!(t["summary"]["flags"]["denial_burst"], 5);
    // Configurable: 4 failures within 3 minutes make a burst; 5 within 10 do not fit in 3.
    let (code, out, _) = timeline(&[
        "--format",
        "json",
        "--burst-count",
        "4",
        "--burst-minutes",
        "3",
        &p,
    ]);
    assert_eq!(code, 0);
    let t: J = serde_json::from_slice(&out).unwrap();
    let f = flags(&t);
    for x in &f[4..9] {
        assert_eq!(
            x,
            &["denied", "denial_burst"],
            "u-666: 4 failures in 3 minutes"
        );
    }
    for x in &f[10..14] {
        assert_eq!(x, &["denied", "denial_burst", "off_hours"]);
    }
    let (code, out, _) = timeline(&["--format", "json", "--burst-minutes", "3", &p]);
    assert_eq!(code, 0);
    let t: J = serde_json::from_slice(&out).unwrap();
    assert!(t["summary"]["flags"].get("denial_burst").is_none());
}

// ---------------------------------------------------------------------------------------------
// Round trip of a large timeline through every format.

/// (kind, tenant, seq, timestamp, integrity, flags) of one event.
type Key = (String, String, u64, String, String, Vec<String>);

fn key_of(e: &J) -> Key {
    (
        e["kind"].as_str().unwrap().to_string(),
        e["tenant_id"].as_str().unwrap().to_string(),
        e["seq"].as_u64().unwrap(),
        e["timestamp"].as_str().unwrap().to_string(),
        e["integrity"].as_str().unwrap().to_string(),
        e["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect(),
    )
}

fn split(s: &str, sep: char) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(sep).map(str::to_string).collect()
    }
}

#[test]
fn large_timeline_round_trips_through_every_format() {
    const N: usize = 20_000;
    const TENANTS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let actions = [
        "auth.login",
        "record.viewed",
        "sequence.edited",
        "call.barge",
        "export.requested",
        "scoring.threshold.changed",
    ];
    let mut heads: Vec<(u64, String)> = (0..TENANTS).map(|_| (0, hex(&GENESIS))).collect();
    let mut out = String::with_capacity(N * 900);
    for i in 0..N {
        let t = i % TENANTS;
        let (seq, prev) = heads[t].clone();
        let seq = seq + 1;
        let a = actions[i % actions.len()];
        let nanos = START + i as i64 * 7_000_003_917;
        let mut rec = record(&format!("tenant-{t}"), seq, &prev, nanos, &|r| {
            r.set("action", s(a));
            // Awkward text for CSV: commas, quotes, a line break, a semicolon-free display.
            r.set(
                "actor_display",
                s(&format!("Admin, \"Ops\" #{}\nsecond line", i % 37)),
            );
            r.set("actor_user_id", s(&format!("u-{}", 1000 + i % 37)));
            if a == "sequence.edited" {
                r.set(
                    "changes",
                    Value::parse(br#"{"before":{"n":1},"after":{"n":2}}"#).unwrap(),
                );
            }
            if a == "export.requested" {
                r.set(
                    "metadata",
                    Value::parse(
                        format!(r#"{{"row_count":{},"threshold":2500}}"#, i % 5000).as_bytes(),
                    )
                    .unwrap(),
                );
            }
            if i % 97 == 0 {
                r.set("outcome", s("failure"));
            }
        });
        heads[t] = (seq, rec.get("hash").unwrap().as_str().unwrap().to_string());
        if i == 501 {
            continue; // deleted: a gap
        }
        if i == 1234 {
            rec.set("resource_id", s("edited-after-the-fact")); // a hash mismatch
        }
        out.push_str(&rec.to_string());
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
    let p = path.to_string_lossy().into_owned();

    let run = |format: &str| -> Vec<u8> {
        let (code, out, err) = timeline(&["--format", format, &p]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let json_bytes = run("json");
    let json: J = serde_json::from_slice(&json_bytes).unwrap();
    let expected: Vec<Key> = events(&json).iter().map(key_of).collect();
    assert_eq!(expected.len(), N); // N - 1 records and one gap
    assert_eq!(json["summary"]["gaps"], 1);
    assert_eq!(json["summary"]["integrity"]["hash_mismatch"], 1);
    assert!(expected.iter().any(|k| k.5.contains(&"mass_export".into())));
    assert!(expected.iter().any(|k| k.5.contains(&"denied".into())));
    assert!(expected
        .iter()
        .any(|k| k.5.contains(&"privileged_intervention".into())));

    // JSON Lines.
    let jsonl = run("jsonl");
    let got: Vec<Key> = jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| key_of(&serde_json::from_slice(l).unwrap()))
        .collect();
    assert_eq!(got, expected, "jsonl");
    // The full events too, not only the keys.
    let full: Vec<J> = jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(&full, events(&json));

    // CSV, written with -o.
    let o = dir.path().join("out.csv");
    let (code, stdout, err) = timeline(&["--format", "csv", "-o", o.to_str().unwrap(), &p]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let csv_bytes = std::fs::read(&o).unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(&csv_bytes[..]);
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (ck, ct, cs, cts, ci, cf, cd) = (
        col("kind"),
        col("tenant_id"),
        col("seq"),
        col("timestamp"),
        col("integrity"),
        col("flags"),
        col("actor_display"),
    );
    let mut got = Vec::new();
    for (row, e) in rdr.records().zip(events(&json)) {
        let row = row.unwrap();
        got.push((
            row[ck].to_string(),
            row[ct].to_string(),
            row[cs].parse::<u64>().unwrap(),
            row[cts].to_string(),
            row[ci].to_string(),
            split(&row[cf], ';'),
        ));
        assert_eq!(&row[cd], e["actor_display"].as_str().unwrap_or(""));
    }
    assert_eq!(got, expected, "csv");
    assert!(csv_bytes.windows(2).any(|w| w == b"\r\n"));

    // Timesketch.
    let ts = run("timesketch");
    let mut got = Vec::new();
    for line in ts.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let e: J = serde_json::from_slice(line).unwrap();
        let canonical = e["aef_timestamp"].as_str().unwrap().to_string();
        // datetime is ISO 8601 in UTC with microseconds; timestamp counts them.
        let micros = e["timestamp"].as_i64().unwrap();
        let dt = e["datetime"].as_str().unwrap();
        assert_eq!(dt, format!("{}Z", &canonical[..26]));
        assert_eq!(
            micros,
            trailproof_core::time::normalize(&canonical)
                .unwrap()
                .micros()
        );
        assert_eq!(e["timestamp_desc"], "Event Recorded");
        assert!(!e["message"].as_str().unwrap().is_empty());
        got.push((
            e["kind"].as_str().unwrap().to_string(),
            e["tenant_id"].as_str().unwrap().to_string(),
            e["seq"].as_u64().unwrap(),
            canonical,
            e["integrity"].as_str().unwrap().to_string(),
            split(e["flags"].as_str().unwrap(), ','),
        ));
    }
    assert_eq!(got, expected, "timesketch");
}
