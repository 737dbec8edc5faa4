//! What a report shows of a timeline: its notable entries (gaps, flagged events and integrity
//! problems), at most [`TIMELINE_ROWS`] of them, with a count of the rest. The HTML and the PDF
//! report select the same entries with [`is_notable`].

use trailproof_core::timeline::{Event, Integrity, Kind};

/// Notable timeline entries a report lists at most; the rest are counted, not shown.
pub const TIMELINE_ROWS: usize = 500;

/// Whether a report lists this timeline entry: a gap, a flagged event, or an integrity problem
/// other than `only_in_one_source` and `unanchored` (which are states of the evidence, not
/// findings about it).
pub fn is_notable(event: &Event) -> bool {
    event.kind == Kind::Gap
        || !event.flags.is_empty()
        || !matches!(
            event.integrity,
            Integrity::Verified | Integrity::OnlyInOneSource | Integrity::Unanchored
        )
}
