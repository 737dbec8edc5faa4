//! Timeline collection: one verification run plus a second, streaming pass over the same inputs
//! that hands every record to a [`Collector`].
//!
//! Invariants: the run is exactly [`build_case`] (so the timeline's findings are the report's);
//! the collector keeps memory flat by spilling to the system's temporary directory (`TMPDIR`),
//! never next to the evidence;
//! export records come from the case's own export anchors (the payload is not read twice);
//! dump records stream in batches and are checked on all cores, and only the collector's compact
//! slots are kept, never a raw record.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use rayon::prelude::*;
use trailproof_core::case::{Case, Report};
use trailproof_core::record::{self, Checked, Location, RawData, RawRecord};
use trailproof_core::timeline::{Collector, Stream, Timeline, TimelineOptions};

use crate::detect::{open_records, sniff};
use crate::run::{build_case, display, RunOptions, BATCH};
use crate::{IngestError, InputKind};

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
    let case = build_case(paths, opts)?;
    let mut col = Collector::new();
    let heads = collect_files(&case, paths, &mut col, opts)?;
    let report = case.report("trailproof", env!("CARGO_PKG_VERSION"));
    Ok((report, col, heads))
}

/// Hands every record of the files of `case` (built by [`build_case`] from `paths`) to `col`:
/// the exports' records from the case's anchors, the dumps' records in a second streaming pass.
/// Returns the (tenant, chain head seq) of the case's exports, for [`Collector::finish`].
/// Callers may add records of other sources (a live check) to `col` before finishing it.
pub fn collect_files(
    case: &Case,
    paths: &[PathBuf],
    col: &mut Collector,
    opts: &RunOptions,
) -> Result<Vec<(String, u64)>, IngestError> {
    let mut heads = Vec::new();
    for a in case.exports() {
        let src = col.source(&a.input);
        if let (Some(t), Some((seq, _))) = (&a.tenant_id, a.chain_head) {
            heads.push((t.clone(), seq));
        }
        let mut buf = Vec::with_capacity(2048);
        for (i, rec) in a.records.values().enumerate() {
            let c = record::check(
                RawRecord {
                    loc: Location::Index(i as u64),
                    data: RawData::Value(rec.clone()),
                },
                &mut buf,
            );
            col.add(src, &c);
        }
    }
    for p in paths {
        let kind = sniff(p)?;
        if matches!(kind, InputKind::ExportJson | InputKind::ExportPdf) {
            continue;
        }
        let src = col.source(&display(p));
        let mut source = open_records(p, kind)?;
        std::thread::scope(|s| -> Result<(), IngestError> {
            let (tx, rx) = mpsc::sync_channel::<Vec<RawRecord>>(2);
            let reader = s.spawn(move || -> Result<(), IngestError> {
                loop {
                    let mut batch = Vec::with_capacity(BATCH);
                    let more = source.next_batch(&mut batch, BATCH)?;
                    if !batch.is_empty() && tx.send(batch).is_err() {
                        break;
                    }
                    if !more {
                        break;
                    }
                }
                Ok(())
            });
            let mut cancelled = false;
            for batch in rx.iter() {
                if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    cancelled = true;
                    break;
                }
                let checked: Vec<Checked> = batch
                    .into_par_iter()
                    .with_min_len(64)
                    .map_init(|| Vec::with_capacity(2048), |buf, r| record::check(r, buf))
                    .collect();
                for c in &checked {
                    col.add(src, c);
                }
            }
            // Dropping the receiver stops the reader at its next batch.
            drop(rx);
            let read = reader
                .join()
                .map_err(|_| IngestError::malformed(p, "reader", "the reader thread panicked"))?;
            if cancelled {
                return Err(IngestError::Cancelled);
            }
            read
        })?;
    }
    Ok(heads)
}
