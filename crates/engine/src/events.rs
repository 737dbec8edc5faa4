//! Timeline collection: one verification run that also hands every record to a [`Collector`].
//!
//! Invariants: the run is exactly [`build_case`](crate::files::build_case) (so the timeline's
//! findings are the report's), and each input is read once for both
//! ([`build_case_with`]); the collector keeps memory flat by spilling to the system's temporary
//! directory (`TMPDIR`), never next to the evidence; export records come from the case's own
//! export anchors (the payload is not read twice); dump records are checked on all cores, and
//! only the collector's compact slots are kept, never a raw record.

use std::path::PathBuf;

use trailproof_core::report::Report;
use trailproof_core::timeline::collector::{Collector, Stream};
use trailproof_core::timeline::model::{Timeline, TimelineOptions};

use trailproof_ingest::IngestError;

use crate::files::{build_case_with, RunOptions};

/// Verifies `paths` as one case and reconstructs its timeline.
pub fn verify_with_timeline(
    paths: &[PathBuf],
    opts: &RunOptions,
    topts: &TimelineOptions,
) -> Result<(Report, Timeline), IngestError> {
    let (report, col, heads) = collect(paths, opts)?;
    let dir = col.spill_dir().to_path_buf();
    let timeline = col
        .finish(&report, &heads, topts)
        .map_err(|source| IngestError::Spill { dir, source })?;
    Ok((report, timeline))
}

/// Like [`verify_with_timeline`], but the timeline's events come one by one, in order, in flat
/// memory (see [`Collector::finish_stream`]): for a timeline written straight to a file.
/// Reading the stream can fail with an I/O error on its temporary files.
pub fn verify_with_timeline_stream(
    paths: &[PathBuf],
    opts: &RunOptions,
    topts: &TimelineOptions,
) -> Result<(Report, Stream), IngestError> {
    let (report, col, heads) = collect(paths, opts)?;
    let dir = col.spill_dir().to_path_buf();
    let stream = col
        .finish_stream(&report, &heads, topts)
        .map_err(|source| IngestError::Spill { dir, source })?;
    Ok((report, stream))
}

/// The report of a run, the collector holding its records, and its exports' chain heads.
type Collected = (Report, Collector, Vec<(String, u64)>);

/// The run and the collected records; the case is dropped before the timeline is ordered.
fn collect(paths: &[PathBuf], opts: &RunOptions) -> Result<Collected, IngestError> {
    let mut col = Collector::new();
    let (case, heads) = build_case_with(paths, opts, Some(&mut col))?;
    let report = case.report("trailproof", env!("CARGO_PKG_VERSION"));
    Ok((report, col, heads))
}
