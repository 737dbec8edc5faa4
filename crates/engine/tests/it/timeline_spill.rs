//! The timeline of a case is the same whether its records fit the collector's memory budget or
//! were ordered on disk (`trailproof_core::spill`), and the streamed writer writes the same bytes
//! as the whole-timeline writer in every format. A tiny budget forces every case through many
//! spilled runs; the spill directory is left empty.

use std::path::PathBuf;

use trailproof_core::timeline::collector::Collector;
use trailproof_core::timeline::model::{Flag, Integrity, Kind, Timeline, TimelineOptions};
use trailproof_core::timeline::output::{self, Format};
use trailproof_engine::files::{build_case_with, RunOptions};

use trailproof_testkit::{scratch, vector};

/// Bursts of two failures within a very long window: every failing actor with two failures
/// gets `denial_burst`, so the burst marking is exercised across runs too.
fn opts() -> TimelineOptions {
    TimelineOptions {
        burst_count: 2,
        burst_minutes: 10_000_000,
    }
}

/// A spill budget small enough that the vectors go through many runs.
const TINY: usize = 320;

fn collected(paths: &[PathBuf], col: &mut Collector) -> trailproof_core::report::Report {
    let run = RunOptions::default();
    let case = build_case_with(paths, &run, Some(col)).unwrap();
    case.report("trailproof", "test")
}

/// (timeline in memory, timeline through spilled runs, runs spilled, bytes per format of
/// write vs write_stream on the spilled collector).
fn both(test: &str, paths: &[PathBuf]) -> (Timeline, Timeline, usize) {
    let dir = scratch(test);
    let mut mem = Collector::with_spill(&dir, usize::MAX);
    let report = collected(paths, &mut mem);
    assert_eq!(mem.spilled_runs(), 0);
    let in_memory = mem.finish(&report, &opts()).unwrap();

    let mut disk = Collector::with_spill(&dir, TINY);
    let report2 = collected(paths, &mut disk);
    let runs = disk.spilled_runs();
    let on_disk = disk.finish(&report2, &opts()).unwrap();
    // Spill files are anonymous: nothing is left in the directory.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

    for format in [Format::Json, Format::Jsonl, Format::Csv, Format::Timesketch] {
        let mut whole = Vec::new();
        output::write(&in_memory, format, &mut whole).unwrap();
        let mut col = Collector::with_spill(&dir, TINY);
        let r = collected(paths, &mut col);
        let mut stream = col.finish_stream(&r, &opts()).unwrap();
        let mut streamed = Vec::new();
        output::write_stream(&mut stream, format, &mut streamed).unwrap();
        assert!(
            whole == streamed,
            "{test}: {format:?} differs between write and write_stream"
        );
        assert_eq!(stream.summary(), &in_memory.summary);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    (in_memory, on_disk, runs)
}

#[test]
fn clean_dump_orders_the_same_on_disk() {
    let (mem, disk, runs) = both("clean", &[vector("records.jsonl")]);
    assert!(runs >= 10, "only {runs} runs spilled");
    assert_eq!(mem, disk);
    assert_eq!(disk.summary.events, 52);
    // The vectors' three failures are all by acme's u-1004: one burst under these options.
    let bursts: Vec<(&str, u64)> = disk
        .events
        .iter()
        .filter(|e| e.flags.contains(&Flag::DenialBurst))
        .map(|e| (e.tenant_id.as_str(), e.seq))
        .collect();
    assert_eq!(bursts, vec![("acme", 21), ("acme", 23), ("acme", 24)]);
    assert_eq!(disk.summary.flags.get("denial_burst"), Some(&3));
}

#[test]
fn deleted_record_gap_and_anchor_survive_spilling() {
    let (mem, disk, runs) = both(
        "deleted",
        &[
            vector("tampered/deleted-record.sqlite"),
            vector("export-acme-critical.pdf"),
            vector("audit.csv"),
        ],
    );
    assert!(runs >= 10, "only {runs} runs spilled");
    assert_eq!(mem, disk);
    assert_eq!(disk.summary.gaps, 1);
    let gap = disk.events.iter().find(|e| e.kind == Kind::Gap).unwrap();
    assert_eq!(
        (gap.tenant_id.as_str(), gap.seq, gap.seq_end),
        ("acme", 9, Some(9))
    );
    // The gap sits right after its neighbour seq 8 (it takes its timestamp).
    let at = disk
        .events
        .iter()
        .position(|e| e.kind == Kind::Gap)
        .unwrap();
    let before = &disk.events[at - 1];
    assert_eq!((before.tenant_id.as_str(), before.seq), ("acme", 8));
    assert_eq!(gap.timestamp, before.timestamp);
}

#[test]
fn rechained_suffix_diverges_the_same_on_disk() {
    let (mem, disk, _) = both(
        "rechained",
        &[
            vector("tampered/rechained-suffix.sqlite"),
            vector("export-acme-critical.pdf"),
        ],
    );
    assert_eq!(mem, disk);
    let diverged: Vec<u64> = disk
        .events
        .iter()
        .filter(|e| e.integrity == Integrity::Diverged)
        .map(|e| e.seq)
        .collect();
    assert_eq!(diverged, vec![31, 39]);
}

/// A stream read ahead on its own thread gives the same events in the same order, and a caller
/// that stops early stops the reading thread too (the call returns; nothing hangs).
#[test]
fn a_prefetched_stream_gives_the_same_events_and_can_stop_early() {
    use trailproof_core::timeline::model::Event;
    use trailproof_core::timeline::prefetch::with_prefetch;
    let dir = scratch("prefetch");
    // Past a few batches: the vectors' records under fifteen tenant names (the copies fail
    // their hashes, which changes nothing here), and two more sources.
    let mut records = Vec::new();
    for k in 0..15 {
        for mut r in trailproof_testkit::jsonl::records() {
            let t = format!("{}-{k}", r["tenant_id"].as_str().unwrap());
            r["tenant_id"] = t.into();
            records.push(r);
        }
    }
    let many = dir.join("many.jsonl");
    trailproof_testkit::jsonl::write(&many, &records);
    let paths = [
        many,
        vector("tampered/deleted-record.sqlite"),
        vector("export-acme-critical.pdf"),
    ];
    let mut mem = Collector::with_spill(&dir, usize::MAX);
    let report = collected(&paths, &mut mem);
    let whole = mem.finish(&report, &opts()).unwrap();
    assert!(whole.events.len() > 3 * 256, "{}", whole.events.len());
    for stop in [Some(3), None] {
        let mut col = Collector::with_spill(&dir, TINY);
        let r = collected(&paths, &mut col);
        let mut stream = col.finish_stream(&r, &opts()).unwrap();
        let mut e = Event::new(Kind::Event, String::new(), 0, Integrity::Verified);
        let got = with_prefetch(&mut stream, |next| {
            let mut got = Vec::new();
            while stop.is_none_or(|n| got.len() < n) && next(&mut e).unwrap() {
                got.push(e.clone());
            }
            got
        });
        let want = match stop {
            Some(n) => &whole.events[..n],
            None => &whole.events[..],
        };
        assert_eq!(got, want);
        if stop.is_none() {
            assert_eq!(stream.summary(), &whole.summary);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
