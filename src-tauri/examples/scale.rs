//! How the desktop app's backend holds up on a large case: opens the given evidence files as one
//! case exactly as the window does ([`work::open`]), then times what the window asks while a
//! user browses (a page of rows at the start, middle and end; a free-text filter; a sort; the
//! timeline density) and prints the process's peak and current memory.
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

fn timed<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    println!("{name} {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    v
}

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: scale FILE...");
        std::process::exit(2);
    }
    let cancel = AtomicBool::new(false);
    let case = timed("open", || work::open(1, paths, None, &|_| {}, &cancel)).unwrap_or_else(|e| {
        eprintln!("{:?}: {}", e.kind, e.message);
        std::process::exit(2);
    });
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
    let b = case.bounds();
    if let (Some(from), Some(to)) = (b.first, b.last) {
        timed("density_all_1200px", || case.density(from, to, 1200, 400));
        let mid = (from + to) / 2.0;
        timed("density_zoomed_1min", || {
            case.density(mid, mid + 60e6, 1200, 400)
        });
    }
    let (peak, now) = memory();
    println!("rss_peak {peak:.1} MiB");
    println!("rss_end {now:.1} MiB");
}
