//! One investigation, the entry point the CLI and the desktop app call: the evidence files
//! verified as one case, optionally a live check against the service, then the report and, when
//! asked for, the timeline, in which every live record is an event source (named like the live
//! input, `live:<origin>`) merged with the files' records.
//!
//! Order: the files are verified and their records handed to the timeline collector in the same
//! pass ([`build_case_zoned`]) first, so an event lists its file sources before the live one;
//! then the live check streams each checked record to the collector as its page arrives (no page
//! is kept), and adds its findings to the case; the report is built last, so the timeline's
//! findings are the report's. Without a timeline no collector is made, and the run is exactly
//! the files step followed by the live check.

use std::path::PathBuf;

use trailproof_core::record::Checked;
use trailproof_core::report::Report;
use trailproof_core::timeline::collector::{Collector, SourceId};
use trailproof_live::{verify_live_with, LiveCopies, LiveOptions, LiveSummary};

use crate::files::{build_case_zoned, RunOptions};
use crate::zones::FileZones;
use crate::{EngineError, Outcome};

/// A live check to make as part of an [`Investigation`](crate::Investigation).
pub struct LiveRequest<'a> {
    /// The verification URL (`<origin>/audit/verify?tenant_id=..&hash=..`).
    pub url: String,
    pub options: LiveOptions<'a>,
}

/// Everything but the ordered timeline.
pub(crate) struct Gathered {
    pub(crate) report: Report,
    live: Option<LiveSummary>,
    live_copies: Option<LiveCopies>,
    verify_urls: Vec<String>,
    zones: Vec<FileZones>,
}

impl Gathered {
    pub(crate) fn with<T>(self, timeline: T) -> Outcome<T> {
        Outcome {
            report: self.report,
            timeline,
            live: self.live,
            live_copies: self.live_copies,
            verify_urls: self.verify_urls,
            zones: self.zones,
        }
    }
}

/// The files step, then the live check when asked for; every record goes to `col` when given.
pub(crate) fn gather(
    paths: &[PathBuf],
    run: &RunOptions,
    live: Option<&LiveRequest>,
    mut col: Option<&mut Collector>,
) -> Result<Gathered, EngineError> {
    let mut zones = Vec::new();
    let mut case = build_case_zoned(
        paths,
        run,
        Some(usize::from(live.is_some())),
        col.as_deref_mut(),
        &mut zones,
    )?;
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
                let Some(col) = col.as_deref_mut() else {
                    return;
                };
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
    let mut report = case.report("trailproof", env!("CARGO_PKG_VERSION"));
    let b = trailproof_provenance::BUILD;
    report.tool.build = Some(trailproof_core::report::Build {
        commit: b.commit.into(),
        date: b.build_date.into(),
        target: b.target.into(),
        rustc: b.rustc.into(),
    });
    Ok(Gathered {
        report,
        live: summary,
        live_copies,
        verify_urls,
        zones,
    })
}
