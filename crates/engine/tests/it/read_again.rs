//! A dump large enough that its chains drop their entries, with one record moved to its end,
//! is read a second time for its chains: the progress says so, then follows that second read
//! to the file's end; the same dump in order is read once.

use std::path::Path;
use std::sync::Mutex;

use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::time::Instant;
use trailproof_engine::files::{build_case_with, Progress, RunOptions};
use trailproof_ingest::InputKind;
use trailproof_testkit::scratch;

/// Records of two tenants, interleaved, each chain whole: enough of them that the chains'
/// entries pass what a re-readable dump keeps in order (1 MiB).
fn records(n: u64) -> Vec<String> {
    let mut heads = [(0u64, hex(&GENESIS)), (0u64, hex(&GENESIS))];
    (0..n)
        .map(|i| {
            let t = (i % 2) as usize;
            let seq = heads[t].0 + 1;
            let at = Instant {
                nanos: 1_777_536_000_000_000_000 + i as i64 * 1_000_000_000,
            };
            let s = |x: &str| Value::String(x.to_string());
            let mut rec = Value::object(vec![
                ("seq".into(), Value::Number(seq as f64)),
                ("tenant_id".into(), s(&format!("tenant-{t}"))),
                ("timestamp".into(), s(&at.canonical())),
                ("action".into(), s("auth.login")),
                ("actor_user_id".into(), s("u-1")),
                ("outcome".into(), s("success")),
                ("prev_hash".into(), s(&heads[t].1)),
            ])
            .unwrap();
            let h = hex(&compute_hash(&rec));
            rec.set("hash", Value::String(h.clone()));
            heads[t] = (seq, h);
            rec.to_string()
        })
        .collect()
}

/// What the progress was told, in order.
#[derive(Default)]
struct Told(Mutex<Vec<String>>);

impl Progress for Told {
    fn input(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        let name = path.file_name().unwrap().to_string_lossy();
        let line = format!("input {name} {} {total:?}", kind.as_str());
        self.0.lock().unwrap().push(line);
    }
    fn advance(&self, bytes: u64, records: u64) {
        self.0
            .lock()
            .unwrap()
            .push(format!("advance {bytes} {records}"));
    }
    fn input_done(&self) {
        self.0.lock().unwrap().push("done".into());
    }
    fn read_again(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        let name = path.file_name().unwrap().to_string_lossy();
        let line = format!("again {name} {} {total:?}", kind.as_str());
        self.0.lock().unwrap().push(line);
    }
}

fn told(path: &Path) -> Vec<String> {
    let progress = Told::default();
    let opts = RunOptions {
        progress: &progress,
        ..RunOptions::default()
    };
    build_case_with(&[path.to_path_buf()], &opts, None).unwrap();
    progress.0.into_inner().unwrap()
}

#[test]
fn a_dump_read_again_for_its_chains_shows_that_second_read() {
    let dir = scratch("read_again");
    let mut lines = records(30_000);
    let in_order = dir.join("in-order.jsonl");
    std::fs::write(&in_order, lines.join("\n") + "\n").unwrap();
    let size = std::fs::metadata(&in_order).unwrap().len();
    let once = told(&in_order);
    assert!(once.contains(&format!("input in-order.jsonl jsonl Some({size})")));
    assert!(!once.iter().any(|l| l.starts_with("again")), "{once:?}");
    assert_eq!(once.last().unwrap(), "done");

    // Tenant 0's seq 2 (line 3) moved to the end.
    let moved = lines.remove(2);
    lines.push(moved);
    let out_of_order = dir.join("moved.jsonl");
    std::fs::write(&out_of_order, lines.join("\n") + "\n").unwrap();
    let twice = told(&out_of_order);
    let again = twice
        .iter()
        .position(|l| l.starts_with("again"))
        .expect("the second read is announced");
    assert_eq!(
        twice[again],
        format!("again moved.jsonl jsonl Some({size})")
    );
    let second: Vec<(u64, u64)> = twice[again + 1..twice.len() - 1]
        .iter()
        .map(|l| {
            let mut p = l.strip_prefix("advance ").expect(l).split(' ');
            let mut n = || p.next().unwrap().parse::<u64>().unwrap();
            (n(), n())
        })
        .collect();
    assert!(second
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    assert_eq!(second.last(), Some(&(size, 30_000)));
    assert_eq!(twice.last().unwrap(), "done");
    std::fs::remove_dir_all(&dir).unwrap();
}
