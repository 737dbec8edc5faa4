//! The one entry point, `render`: every format from one call, the JSON report exactly as
//! `trailproof verify --json` prints it, and a timeline excerpt built from the listed entries
//! alone rendering the same bytes as the excerpt of the whole timeline.

use std::path::Path;

use trailproof_core::report::Report;
use trailproof_core::timeline::model::{Event, Timeline, TimelineOptions};
use trailproof_engine::Investigation;
use trailproof_report::{is_notable, render, render_at, Format, TimelineExcerpt, TIMELINE_ROWS};

use trailproof_testkit::vector;

/// A tampered case whose timeline has more notable entries than a report lists: the real
/// timeline, then as many gaps again as a report lists.
fn crowded_case() -> (Report, Timeline) {
    let paths = [
        vector("export-acme-critical.pdf"),
        vector("tampered/deleted-record.sqlite"),
    ];
    let outcome = Investigation::new(&paths)
        .timeline(&TimelineOptions::default())
        .unwrap();
    let (report, mut tl) = (outcome.report, outcome.timeline);
    for seq in 0..TIMELINE_ROWS as u64 {
        tl.events
            .push(Event::gap("tenant-extra".into(), 1000 + 2 * seq, None));
    }
    (report, tl)
}

fn argv() -> Vec<String> {
    ["trailproof", "verify", "--report", "out.html"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn formats_are_named_by_extension_in_any_case() {
    assert_eq!(Format::from_path(Path::new("a/r.html")), Some(Format::Html));
    assert_eq!(Format::from_path(Path::new("R.PDF")), Some(Format::Pdf));
    assert_eq!(Format::from_path(Path::new("r.Json")), Some(Format::Json));
    assert_eq!(Format::from_path(Path::new("r.htm")), None);
    assert_eq!(Format::from_path(Path::new("html")), None);
}

#[test]
fn the_json_report_is_the_report_object_pretty_printed_with_a_newline() {
    let (report, tl) = crowded_case();
    let excerpt = TimelineExcerpt::of(&tl);
    let mut want = serde_json::to_vec_pretty(&report).unwrap();
    want.push(b'\n');
    for timeline in [None, Some(&excerpt)] {
        assert!(render(Format::Json, &report, timeline, &argv()).unwrap() == want);
    }
}

/// The PDF's document date in these tests: 2026-04-30T08:00:00Z.
const CREATED: i64 = 1_777_536_000;

#[test]
fn an_excerpt_of_the_listed_entries_renders_as_the_whole_timeline() {
    let (report, tl) = crowded_case();
    let notable: Vec<&Event> = tl.events.iter().filter(|e| is_notable(e)).collect();
    assert!(notable.len() > TIMELINE_ROWS, "{}", notable.len());
    let whole = TimelineExcerpt::of(&tl);
    assert_eq!(whole.notable(), notable.len());
    assert_eq!(whole.listed().len(), TIMELINE_ROWS);
    assert_eq!(whole.not_listed(), notable.len() - TIMELINE_ROWS);
    let listed = notable[..TIMELINE_ROWS]
        .iter()
        .map(|e| (*e).clone())
        .collect();
    let parts = TimelineExcerpt::new(&tl.summary, listed, notable.len());
    for format in [Format::Html, Format::Pdf] {
        let a = render_at(format, &report, Some(&whole), &argv(), CREATED).unwrap();
        let b = render_at(format, &report, Some(&parts), &argv(), CREATED).unwrap();
        assert!(a == b, "{format:?}");
    }
    let html =
        String::from_utf8(render(Format::Html, &report, Some(&whole), &argv()).unwrap()).unwrap();
    assert!(html.contains(&format!(
        "<p class=\"muted\">{} more flagged event(s) or gap(s) are not shown;",
        notable.len() - TIMELINE_ROWS
    )));
}

#[test]
#[should_panic(expected = "lists the first notable entries")]
fn an_excerpt_that_lists_too_few_entries_is_refused() {
    let (_, tl) = crowded_case();
    let _ = TimelineExcerpt::new(&tl.summary, Vec::new(), 3);
}
