//! `trailproof timeline`: the timeline of a case, from its files ([`verify_with_timeline_stream`])
//! or with the live records as one more source ([`investigate_stream`] with `--live`), written in
//! the chosen format by the core's writers ([`crate::output::write_timeline`]).
//!
//! Exit 0 once the timeline is written (whatever the verdict; it is named in the summary), 2
//! when an input cannot be read. Nothing here reads the clock or the locale.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context};
use trailproof_core::timeline::model::TimelineOptions;
use trailproof_core::timeline::output::Format;
use trailproof_ingest::events::verify_with_timeline_stream;
use trailproof_ingest::run::RunOptions;
use trailproof_live::{investigate_stream, LiveRequest};

use crate::connect::Connect;
use crate::output::{self, Bar};

/// The arguments of `trailproof timeline`.
pub struct TimelineArgs {
    /// `json`, `jsonl`, `csv` or `timesketch`.
    pub format: String,
    /// Write here instead of stdout.
    pub output: Option<PathBuf>,
    pub burst_count: u64,
    pub burst_minutes: u64,
    pub no_progress: bool,
    /// Do not search SQLite files for earlier versions of records.
    pub no_recover: bool,
    /// The verification URL whose live records join the timeline.
    pub live: Option<String>,
    pub connect: Connect,
    pub files: Vec<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(a: TimelineArgs) -> anyhow::Result<u8> {
    let bar = Bar::new(!a.no_progress && std::io::stderr().is_terminal());
    let run_opts = RunOptions {
        progress: &bar,
        cancel: None,
        recover: !a.no_recover,
    };
    let opts = TimelineOptions {
        burst_count: usize::try_from(a.burst_count).unwrap_or(usize::MAX),
        burst_minutes: a.burst_minutes,
    };
    let code = write(a, &opts, &run_opts);
    bar.clear();
    code
}

/// Builds the timeline and writes it.
fn write(a: TimelineArgs, opts: &TimelineOptions, run_opts: &RunOptions) -> anyhow::Result<u8> {
    let format = Format::parse(&a.format).with_context(|| {
        format!(
            "unknown format {:?}: use json, jsonl, csv or timesketch",
            a.format
        )
    })?;
    let mut stream = match a.live {
        None => {
            let given = a.connect.given();
            if !given.is_empty() {
                bail!("{} only apply with --live URL", given.join(", "));
            }
            verify_with_timeline_stream(&a.files, run_opts, opts)?.1
        }
        Some(url) => {
            let (options, show) = a.connect.options()?;
            let req = LiveRequest { url, options };
            let res = investigate_stream(&a.files, run_opts, opts, Some(&req));
            if show {
                eprintln!();
            }
            res?.timeline
        }
    };
    output::write_timeline(&mut stream, format, a.output.as_deref())?;
    Ok(0)
}
