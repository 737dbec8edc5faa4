//! `trailproof-engine`: runs an investigation from its inputs to its report and timeline, the one
//! entry point the CLI and the desktop app share ([`Investigation`]).
//!
//! An investigation is, in order: the evidence files verified as one case ([`files`], through
//! `trailproof-ingest`'s readers), the live check against the service when one is asked for
//! (`trailproof-live`), then the report and, when asked for, the timeline (whole or streamed in
//! flat memory), in which the files' and the live records are merged.
//!
//! Invariants:
//! * every input is read once, for both the case and the timeline, and the timeline's findings
//!   are the report's (the report is built before the timeline is ordered);
//! * the readers and the live client know nothing of each other: this crate is the only place
//!   that joins them (`trailproof-ingest` and `trailproof-live` depend on `trailproof-core`
//!   only);
//! * what the engine adds changes no output: a report asked for without a timeline makes no
//!   collector, and a timeline without a live check is exactly the files' timeline.
//!
//! This file keeps the entry point ([`Investigation`], [`Outcome`]) and its error; the steps
//! are [`files`] (sniffing, exports first, dumps streamed in batches) and `investigate` (files,
//! then the live check with its record sink, then the report).
#![forbid(unsafe_code)]

pub mod files;
mod investigate;
pub mod outputs;
mod stages;
pub mod zones;

pub use files::{display, NoProgress, Progress, BATCH, READ_AGAIN};
pub use investigate::LiveRequest;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use trailproof_core::report::Report;
use trailproof_core::timeline::collector::Collector;
use trailproof_core::timeline::model::{Timeline, TimelineOptions};
use trailproof_core::timeline::stream::Stream;
use trailproof_ingest::IngestError;
use trailproof_live::{LiveCopies, LiveError, LiveSummary};

use files::RunOptions;

/// Why an investigation could not be completed (an unreadable input, a cancelled run, the
/// timeline's temporary files, a live check that could not be made). Displays as the error it
/// wraps.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Live(#[from] LiveError),
}

/// An investigation to run: the evidence files, the live check when one is asked for, progress
/// and cancellation. Build it with [`Investigation::new`] and the setters, then run it with
/// [`report`](Investigation::report), [`timeline`](Investigation::timeline) or
/// [`timeline_stream`](Investigation::timeline_stream). Blocking; cancellable through
/// [`cancel`](Investigation::cancel) (files) and the live request's `options.cancel` (between
/// pages and requests).
pub struct Investigation<'a> {
    files: &'a [PathBuf],
    live: Option<&'a LiveRequest<'a>>,
    run: RunOptions<'a>,
}

/// What an investigation found. `T` is the timeline: none (`()`, from
/// [`Investigation::report`]), whole ([`Timeline`], from [`Investigation::timeline`]) or
/// streamed in flat memory ([`Stream`], from [`Investigation::timeline_stream`]).
pub struct Outcome<T = Timeline> {
    pub report: Report,
    pub timeline: T,
    /// What the live check saw, when one was asked for.
    pub live: Option<LiveSummary>,
    /// Every live record, when the live check asked for them (`LiveOptions::keep_copies`).
    pub live_copies: Option<LiveCopies>,
    /// The verification URLs the exports of the case state (`verify_url`), unique, in input
    /// order: what a live check of this evidence would follow.
    pub verify_urls: Vec<String>,
    /// Where each dump's records lie, when asked for ([`Investigation::zones`]).
    pub zones: Vec<zones::FileZones>,
}

impl<'a> Investigation<'a> {
    /// An investigation of `files` (possibly none, for a live check alone), without a live
    /// check, progress or cancellation.
    pub fn new(files: &'a [PathBuf]) -> Self {
        Investigation {
            files,
            live: None,
            run: RunOptions {
                progress: &NoProgress,
                cancel: None,
                recover: true,
                zones: false,
            },
        }
    }

    /// Also makes the live check of `request`, after the files are verified.
    pub fn live(mut self, request: Option<&'a LiveRequest<'a>>) -> Self {
        self.live = request;
        self
    }

    /// Reports the files' progress to `progress` (the live check's goes to its own options).
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.run.progress = progress;
        self
    }

    /// Whether SQLite evidence is searched for earlier and deleted versions of its records
    /// (SPEC section 10); on unless `--no-recover`.
    pub fn recover(mut self, recover: bool) -> Self {
        self.run.recover = recover;
        self
    }

    /// Keeps where each dump's records lie ([`zones::Zones`], a few bytes a batch), so that a
    /// record's copies can be read back from a batch or two ([`zones::read_back`]).
    pub fn zones(mut self, keep: bool) -> Self {
        self.run.zones = keep;
        self
    }

    /// Stops the files step between batches once `cancel` is set ([`IngestError::Cancelled`]).
    pub fn cancel(mut self, cancel: &'a AtomicBool) -> Self {
        self.run.cancel = Some(cancel);
        self
    }

    /// Runs the investigation for its report only: no timeline is collected.
    pub fn report(self) -> Result<Outcome<()>, EngineError> {
        Ok(investigate::gather(self.files, &self.run, self.live, None)?.with(()))
    }

    /// Runs the investigation and returns the report with its whole timeline.
    pub fn timeline(self, topts: &TimelineOptions) -> Result<Outcome, EngineError> {
        self.ordered(|col, report| col.finish(report, topts))
    }

    /// Like [`timeline`](Investigation::timeline), but the timeline's events come one by one,
    /// in order, in flat memory (see [`Collector::finish_stream`]): for a timeline written
    /// straight to a file. Reading the stream can fail with an I/O error on its temporary files.
    pub fn timeline_stream(self, topts: &TimelineOptions) -> Result<Outcome<Stream>, EngineError> {
        self.ordered(|col, report| col.finish_stream(report, topts))
    }

    /// Runs the investigation with a collector, then orders its timeline with `order`; the case
    /// is dropped before the timeline is ordered.
    fn ordered<T>(
        self,
        order: impl FnOnce(Collector, &Report) -> std::io::Result<T>,
    ) -> Result<Outcome<T>, EngineError> {
        let mut col = Collector::new();
        // One file's records most likely come in timeline order (a dump as its service wrote
        // it): kept in arrival order while they do, they need no join and no sort at the end.
        if self.files.len() == 1 && self.live.is_none() {
            col.expect_timeline_order();
        }
        let gathered = investigate::gather(self.files, &self.run, self.live, Some(&mut col))?;
        let dir = col.spill_dir().to_path_buf();
        let timeline =
            order(col, &gathered.report).map_err(|source| IngestError::Spill { dir, source })?;
        Ok(gathered.with(timeline))
    }
}
