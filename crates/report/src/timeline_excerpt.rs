//! What a report shows of a timeline: its summary and its notable entries (gaps, flagged events
//! and integrity problems, [`is_notable`]), the first [`TIMELINE_ROWS`] of them listed and all
//! of them counted. The HTML and the PDF report show the same excerpt.
//!
//! Invariant: an excerpt lists the first `min(notable, TIMELINE_ROWS)` notable entries of the
//! timeline in timeline order, and counts every notable entry; a report renders the same bytes
//! from the excerpt of a whole timeline ([`TimelineExcerpt::of`]) as from one built from those
//! entries alone ([`TimelineExcerpt::new`]), so a caller that keeps its timeline elsewhere (the
//! desktop app's compact store) never rebuilds the whole timeline for a report.

use std::borrow::Cow;

use trailproof_core::timeline::model::{Event, Kind, Summary, Timeline};

/// Notable timeline entries a report lists at most; the rest are counted, not shown.
pub const TIMELINE_ROWS: usize = 500;

/// Whether a report lists this timeline entry: a gap, a flagged event, or an integrity problem
/// ([`is_problem`](trailproof_core::timeline::model::Integrity::is_problem): `only_in_one_source` and `consistent` are states of the
/// evidence, not findings about it).
pub fn is_notable(event: &Event) -> bool {
    event.kind == Kind::Gap || !event.flags.is_empty() || event.integrity.is_problem()
}

/// The part of a timeline a report shows (see the module docs).
#[derive(Debug, Clone)]
pub struct TimelineExcerpt<'a> {
    summary: &'a Summary,
    listed: Vec<Cow<'a, Event>>,
    notable: usize,
}

impl<'a> TimelineExcerpt<'a> {
    /// The excerpt of a whole timeline.
    pub fn of(timeline: &'a Timeline) -> Self {
        let mut listed = Vec::new();
        let mut notable = 0;
        for event in timeline.events.iter().filter(|e| is_notable(e)) {
            if listed.len() < TIMELINE_ROWS {
                listed.push(Cow::Borrowed(event));
            }
            notable += 1;
        }
        TimelineExcerpt {
            summary: &timeline.summary,
            listed,
            notable,
        }
    }

    /// The excerpt of a timeline held elsewhere: its `summary`, its first notable entries in
    /// timeline order (`listed`: all of them, or the first [`TIMELINE_ROWS`] when there are
    /// more) and the number of its notable entries (`notable`).
    ///
    /// # Panics
    /// When `listed` is not `min(notable, TIMELINE_ROWS)` entries long, or holds an entry that
    /// is not notable: the report would then not be that of the timeline.
    pub fn new(summary: &'a Summary, listed: Vec<Event>, notable: usize) -> Self {
        assert_eq!(
            listed.len(),
            notable.min(TIMELINE_ROWS),
            "a timeline excerpt lists the first notable entries"
        );
        assert!(
            listed.iter().all(is_notable),
            "a timeline excerpt lists notable entries only"
        );
        TimelineExcerpt {
            summary,
            listed: listed.into_iter().map(Cow::Owned).collect(),
            notable,
        }
    }

    /// The summary of the whole timeline.
    pub fn summary(&self) -> &Summary {
        self.summary
    }

    /// The notable entries a report lists, in timeline order.
    pub fn listed(&self) -> impl ExactSizeIterator<Item = &Event> + '_ {
        self.listed.iter().map(|e| e.as_ref())
    }

    /// Notable entries of the whole timeline, listed or not.
    pub fn notable(&self) -> usize {
        self.notable
    }

    /// Notable entries counted but not listed.
    pub fn not_listed(&self) -> usize {
        self.notable - self.listed.len()
    }
}
