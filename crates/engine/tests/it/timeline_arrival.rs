//! A collector that keeps its copies in arrival order while that is the timeline order
//! (`Collector::expect_timeline_order`) gives the very timeline of one that joins them by
//! (tenant, seq) and orders them by time: when the order holds to the end, when a copy breaks
//! it midway, when tenants meet at one instant (in name order or not), when the report has a
//! gap or recovered versions; in memory and through spilled runs.

use std::path::{Path, PathBuf};

use serde_json::Value;
use trailproof_core::report::Report;
use trailproof_core::timeline::collector::Collector;
use trailproof_core::timeline::model::{Integrity, Kind, Timeline, TimelineOptions};
use trailproof_engine::files::{build_case_with, RunOptions};
use trailproof_testkit::{fixture, jsonl, scratch};

/// Bursts of two failures within a very long window, so `denial_burst` is marked too.
fn opts() -> TimelineOptions {
    TimelineOptions {
        burst_count: 2,
        burst_minutes: 10_000_000,
    }
}

/// A spill budget small enough that the records go through many runs.
const TINY: usize = 320;

fn collected(paths: &[PathBuf], col: &mut Collector) -> Report {
    let case = build_case_with(paths, &RunOptions::default(), Some(col)).unwrap();
    case.report("trailproof", "test")
}

/// The timeline of `records` written as one JSON Lines file, from a collector keeping arrival
/// order, after asserting it equals the timeline of a collector joining by (tenant, seq), in
/// memory and through spilled runs; finished with the report of `report_of` when given (the
/// same for both), else with the case's own. Also: whether arrival order held to the end.
fn both_ways(test: &str, records: &[Value], report_of: Option<&Path>) -> (Timeline, bool) {
    let dir = scratch(test);
    let file = dir.join("dump.jsonl");
    jsonl::write(&file, records);
    let paths = [file];
    let mut out = None;
    for budget in [usize::MAX, TINY] {
        let mut keyed = Collector::with_spill(&dir, budget);
        let own = collected(&paths, &mut keyed);
        let mut arrival = Collector::with_spill(&dir, budget);
        arrival.expect_timeline_order();
        collected(&paths, &mut arrival);
        let held = arrival.in_timeline_order();
        let report = match report_of {
            Some(p) => collected(&[p.to_path_buf()], &mut Collector::with_spill(&dir, budget)),
            None => own,
        };
        let want = keyed.finish(&report, &opts()).unwrap();
        let got = arrival.finish(&report, &opts()).unwrap();
        assert_eq!(got, want, "{test}: budget {budget}");
        out = Some((got, held));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    out.unwrap()
}

/// acme 1-6 and globex 1-12 of the public vector, in file (timestamp) order: one clean dump
/// whose every record comes after the one before, in time and in its tenant's seqs.
fn in_order() -> Vec<Value> {
    jsonl::records()
        .into_iter()
        .filter(|r| r["tenant_id"] == "globex" || r["seq"].as_u64().unwrap() <= 6)
        .collect()
}

/// (tenant, seq) of the timeline's events, in order.
fn keys(t: &Timeline) -> Vec<(String, u64)> {
    t.events
        .iter()
        .map(|e| (e.tenant_id.clone(), e.seq))
        .collect()
}

#[test]
fn a_dump_in_timeline_order_keeps_arrival_order_to_the_end() {
    let records = in_order();
    let (t, held) = both_ways("in-order", &records, None);
    assert!(held);
    assert_eq!(t.summary.verdict, "intact");
    assert_eq!(t.events.len(), 18);
    let want: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["tenant_id"].as_str().unwrap().to_string(),
                r["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys(&t), want);
}

#[test]
fn a_record_out_of_order_sends_the_copies_to_the_join_midway() {
    // The vector itself: acme 8 comes before acme 7 (its timestamp is the earlier one).
    let (t, held) = both_ways("whole-vector", &jsonl::records(), None);
    assert!(!held);
    assert_eq!(t.events.len(), 52);
    let at = |seq: u64| {
        keys(&t)
            .iter()
            .position(|k| k == &("acme".to_string(), seq))
    };
    assert!(at(8).unwrap() < at(7).unwrap());
}

#[test]
fn tenants_at_one_instant_come_in_name_order_either_way() {
    let mut records = in_order();
    let acme6 = jsonl::pos(&records, "acme", 6);
    let globex1 = jsonl::pos(&records, "globex", 1);
    assert_eq!(globex1, acme6 + 1);
    records[globex1]["timestamp"] = records[acme6]["timestamp"].clone();
    // In name order as they arrive: kept so.
    let (t, held) = both_ways("tie-in-name-order", &records, None);
    assert!(held);
    let k = keys(&t);
    assert_eq!(k[5], ("acme".to_string(), 6));
    assert_eq!(k[6], ("globex".to_string(), 1));
    // Out of name order as they arrive: the order holds while collecting, and the end sends
    // the copies to the join (arrival order would list globex first, and fail).
    records.swap(acme6, globex1);
    let (t, held) = both_ways("tie-out-of-name-order", &records, None);
    assert!(held);
    let k = keys(&t);
    assert_eq!(k[5], ("acme".to_string(), 6));
    assert_eq!(k[6], ("globex".to_string(), 1));
    assert_eq!(t.events[5].timestamp, t.events[6].timestamp);
}

#[test]
fn a_gap_sends_the_copies_to_the_join_at_the_end() {
    let mut records = in_order();
    records.remove(jsonl::pos(&records, "acme", 4));
    let (t, held) = both_ways("gap", &records, None);
    assert!(held);
    let gap = t.events.iter().position(|e| e.kind == Kind::Gap).unwrap();
    let e = &t.events[gap];
    assert_eq!(
        (e.tenant_id.as_str(), e.seq, e.seq_end),
        ("acme", 4, Some(4))
    );
    // It takes the timestamp of its neighbour seq 3, right before it.
    assert_eq!(t.events[gap - 1].seq, 3);
    assert_eq!(e.timestamp, t.events[gap - 1].timestamp);
}

#[test]
fn recovered_versions_are_merged_into_arrival_order() {
    // The report of a database holding an earlier version of acme 30, applied to the dump in
    // order (which ends before acme 30's time): the version takes its place by its timestamp.
    let sqlite = fixture("recovery", "replace_unhashed.sqlite");
    let (t, held) = both_ways("recovered", &in_order(), Some(&sqlite));
    assert!(held);
    let at = t
        .events
        .iter()
        .position(|e| e.integrity == Integrity::Recovered)
        .unwrap();
    let recovered = &t.events[at];
    assert_eq!((recovered.tenant_id.as_str(), recovered.seq), ("acme", 30));
    assert_eq!(t.events.len(), 19);
    let ts = |i: usize| t.events[i].timestamp.clone().unwrap();
    assert!((0..at).all(|i| ts(i) <= ts(at)));
    assert!((at + 1..t.events.len()).all(|i| ts(i) > ts(at)));
}
