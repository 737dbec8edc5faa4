//! How the desktop app's backend holds up on a large case: opens the given evidence files as one
//! case exactly as the window does ([`work::open`]), then times what the window asks while a
//! user browses (a page of rows at the start, middle and end; a free-text filter; a sort; the
//! timeline density, one record's detail, through the zones kept on opening and, as a baseline, by
//! the scan of the whole dump) and prints the process's peak and current memory and
//! the CPU time it used (user + system, all threads: the machine may be busy with other work).
//! Run by `bench/app.sh`; prints one `name value unit` line per measure.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use trailproof_app::types::{RecordFilter, RecordQuery, SortKey};
use trailproof_app::work;

/// `VmHWM` (peak) and `VmRSS` (now) of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (kib("VmHWM:") / 1024.0, kib("VmRSS:") / 1024.0)
}

/// User + system CPU seconds of this process so far (all threads; `/proc/self/stat` counts in
/// USER_HZ, 100 per second on Linux).
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    (tick(11) + tick(12)) / 100.0
}

/// CPU nanoseconds this thread has run (`/proc/thread-self/schedstat`), if known.
fn thread_cpu() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs `f`, printing its wall time and the CPU time of this thread (queries run on it alone;
/// on a busy machine the wall time is the larger).
fn timed<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let c = thread_cpu();
    let t = Instant::now();
    let v = f();
    let wall = t.elapsed().as_secs_f64() * 1e3;
    match (c, thread_cpu()) {
        (Some(a), Some(b)) => println!("{name} {wall:.1} ms (cpu {:.1} ms)", (b - a) as f64 / 1e6),
        _ => println!("{name} {wall:.1} ms"),
    }
    v
}

/// The app's allocator (`src/main.rs`), so that memory is measured as the app uses it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: scale FILE...");
        std::process::exit(2);
    }
    let cancel = AtomicBool::new(false);
    let mut case =
        timed("open", || work::open(1, paths, None, &|_| {}, &cancel)).unwrap_or_else(|e| {
            eprintln!("{:?}: {}", e.kind, e.message);
            std::process::exit(2);
        });
    println!("cpu_open {:.1} s", cpu());
    let (peak, now) = memory();
    println!("rss_peak_after_open {peak:.1} MiB");
    println!("rss_after_open {now:.1} MiB");
    let query = |offset: u32, filter: RecordFilter, sort: SortKey| RecordQuery {
        generation: 1,
        offset,
        limit: 200,
        filter,
        sort,
        descending: false,
    };
    let first = timed("page_first", || {
        case.page(&query(0, RecordFilter::default(), SortKey::Time))
    });
    let total = first.total;
    println!("rows {total} rows");
    timed("page_middle", || {
        case.page(&query(total / 2, RecordFilter::default(), SortKey::Time))
    });
    timed("page_last", || {
        case.page(&query(
            total.saturating_sub(200),
            RecordFilter::default(),
            SortKey::Time,
        ))
    });
    let text = RecordFilter {
        text: Some("123456".into()),
        ..Default::default()
    };
    let hits = timed("filter_text_first", || {
        case.page(&query(0, text.clone(), SortKey::Time))
    });
    println!("filter_text_rows {} rows", hits.total);
    timed("filter_text_next_page", || {
        case.page(&query(200, text.clone(), SortKey::Time))
    });
    timed("sort_actor_first", || {
        case.page(&query(0, RecordFilter::default(), SortKey::Actor))
    });
    timed("sort_actor_next_page", || {
        case.page(&query(200, RecordFilter::default(), SortKey::Actor))
    });
    timed("sort_seq_first", || {
        case.page(&query(0, RecordFilter::default(), SortKey::Seq))
    });
    let critical = RecordFilter {
        severity: Some("critical".into()),
        ..Default::default()
    };
    let crit = timed("filter_severity_first", || {
        case.page(&query(0, critical.clone(), SortKey::Time))
    });
    println!("filter_severity_rows {} rows", crit.total);
    let mid = first.rows.first().map(|_| total / 2).unwrap_or(0);
    let d = timed("detail_middle", || {
        trailproof_app::detail::detail(&case, mid)
    });
    println!(
        "detail_copies {} copies",
        d.map(|d| d.copies.len()).unwrap_or(0)
    );
    timed("detail_first", || trailproof_app::detail::detail(&case, 0));
    timed("detail_last", || {
        trailproof_app::detail::detail(&case, total.saturating_sub(1))
    });
    // The same detail by a scan of every dump (as before zones), as a baseline in this run.
    let zones = std::mem::take(&mut case.zones);
    timed("detail_middle_scan", || {
        trailproof_app::detail::detail(&case, mid)
    });
    case.zones = zones;
    timed("detail_middle_again", || {
        trailproof_app::detail::detail(&case, mid)
    });
    let b = case.bounds();
    if let (Some(from), Some(to)) = (b.first, b.last) {
        timed("density_all_1200px", || case.density(from, to, 1200, 400));
        let mid = (from + to) / 2.0;
        timed("density_zoomed_1min", || {
            case.density(mid, mid + 60e6, 1200, 400)
        });
    }
    println!("cpu_total {:.1} s", cpu());
    println!(
        "timeline_held {:.1} MiB",
        case.held_bytes() as f64 / (1u64 << 20) as f64
    );
    let (peak, now) = memory();
    println!("rss_peak {peak:.1} MiB");
    println!("rss_end {now:.1} MiB");
}
