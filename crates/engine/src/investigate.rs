//! One investigation, the entry point the desktop app calls: the evidence files verified as one
//! case, optionally a live check against the service, then the report and the timeline, in which
//! every live record is an event source (named like the live input, `live:<origin>`) merged with
//! the files' records.
//!
//! Order: the files are verified and their records handed to the timeline collector in the same
//! pass ([`build_case_with`]) first, so an event lists its file sources before the live one;
//! then the live check streams each checked record to the collector as its page arrives (no page
//! is kept), and adds its findings to the case; the report is built last, so the timeline's
//! findings are the report's.

use std::path::PathBuf;

use trailproof_core::record::Checked;
use trailproof_core::report::Report;
use trailproof_core::timeline::collector::{Collector, SourceId, Stream};
use trailproof_core::timeline::model::{Timeline, TimelineOptions};
use trailproof_ingest::IngestError;
use trailproof_live::{verify_live_with, LiveCopies, LiveError, LiveOptions, LiveSummary};

use crate::files::{build_case_with, RunOptions};

/// A live check to make as part of an [`investigate`] call.
pub struct LiveRequest<'a> {
    /// The verification URL (`<origin>/audit/verify?tenant_id=..&hash=..`).
    pub url: String,
    pub options: LiveOptions<'a>,
}

/// What an investigation found. `T` is the timeline: whole ([`Timeline`], from [`investigate`])
/// or streamed in flat memory ([`Stream`], from [`investigate_stream`]).
pub struct Investigation<T = Timeline> {
    pub report: Report,
    pub timeline: T,
    /// What the live check saw, when one was asked for.
    pub live: Option<LiveSummary>,
    /// Every live record, when the live check asked for them (`LiveOptions::keep_copies`).
    pub live_copies: Option<LiveCopies>,
    /// The verification URLs the exports of the case state (`verify_url`), unique, in input
    /// order: what a live check of this evidence would follow.
    pub verify_urls: Vec<String>,
}

/// Why an investigation could not be completed (an unreadable input, a cancelled run, a live
/// check that could not be made).
#[derive(Debug, thiserror::Error)]
pub enum InvestigateError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Live(#[from] LiveError),
}

/// Verifies `paths` as one case, runs the live check of `live` when given, and returns the
/// report with its timeline. Blocking; cancellable through `run.cancel` (files) and
/// `live.options.cancel` (between pages and requests).
pub fn investigate(
    paths: &[PathBuf],
    run: &RunOptions,
    topts: &TimelineOptions,
    live: Option<&LiveRequest>,
) -> Result<Investigation, InvestigateError> {
    gather(paths, run, live)?.finish(|col, report, heads| col.finish(report, heads, topts))
}

/// Like [`investigate`], but the timeline's events come one by one, in order, in flat memory
/// (see [`Collector::finish_stream`]).
pub fn investigate_stream(
    paths: &[PathBuf],
    run: &RunOptions,
    topts: &TimelineOptions,
    live: Option<&LiveRequest>,
) -> Result<Investigation<Stream>, InvestigateError> {
    gather(paths, run, live)?.finish(|col, report, heads| col.finish_stream(report, heads, topts))
}

/// Everything but the ordered timeline.
struct Gathered {
    report: Report,
    col: Collector,
    heads: Vec<(String, u64)>,
    live: Option<LiveSummary>,
    live_copies: Option<LiveCopies>,
    verify_urls: Vec<String>,
    dir: PathBuf,
}

impl Gathered {
    fn finish<T>(
        self,
        order: impl FnOnce(Collector, &Report, &[(String, u64)]) -> std::io::Result<T>,
    ) -> Result<Investigation<T>, InvestigateError> {
        let Gathered {
            report,
            col,
            heads,
            live,
            live_copies,
            verify_urls,
            dir,
        } = self;
        let timeline =
            order(col, &report, &heads).map_err(|source| IngestError::Spill { dir, source })?;
        Ok(Investigation {
            report,
            timeline,
            live,
            live_copies,
            verify_urls,
        })
    }
}

fn gather(
    paths: &[PathBuf],
    run: &RunOptions,
    live: Option<&LiveRequest>,
) -> Result<Gathered, InvestigateError> {
    let mut col = Collector::new();
    let (mut case, heads) = build_case_with(paths, run, Some(&mut col))?;
    let mut verify_urls: Vec<String> = Vec::new();
    for u in case.exports().iter().filter_map(|a| a.verify_url.as_ref()) {
        if !verify_urls.contains(u) {
            verify_urls.push(u.clone());
        }
    }
    let mut live_copies = live
        .filter(|r| r.options.keep_copies)
        .map(|_| LiveCopies::default());
    let summary = match live {
        Some(req) => {
            // Records of one input arrive together: look its source up once per run of them.
            let mut last: Option<(String, SourceId)> = None;
            let mut sink = |input: &str, c: &Checked| {
                if let Some(k) = live_copies.as_mut() {
                    k.keep(input, c);
                }
                let id = match &last {
                    Some((name, id)) if name == input => *id,
                    _ => {
                        let id = col.source(input);
                        last = Some((input.to_string(), id));
                        id
                    }
                };
                col.add(id, c);
            };
            Some(verify_live_with(
                &mut case,
                &req.url,
                &req.options,
                &mut sink,
            )?)
        }
        None => None,
    };
    let report = case.report("trailproof", env!("CARGO_PKG_VERSION"));
    Ok(Gathered {
        report,
        dir: col.spill_dir().to_path_buf(),
        col,
        heads,
        live: summary,
        live_copies,
        verify_urls,
    })
}
