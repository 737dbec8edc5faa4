//! `trailproof timeline` and the HTML report of `trailproof verify --report` and `trailproof live
//! --report`: thin glue between the command line, the run ([`verify_with_timeline`], or
//! [`investigate`] with `--live`) and the core's writers.
//!
//! Invariants: output files are written whole and then reported (the HTML report's SHA-256 is
//! computed over the very bytes written); nothing here reads the clock or the locale.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use trailproof_core::case::Report;
use trailproof_core::timeline::{self, Format, Timeline, TimelineOptions};
use trailproof_ingest::events::{verify_with_timeline, verify_with_timeline_stream};
use trailproof_ingest::run::RunOptions;
use trailproof_live::{investigate_stream, LiveRequest};

use crate::live::Connect;

/// Runs `trailproof timeline`. Exit 0 once the timeline is written (whatever the verdict; it is
/// named in the summary), 2 when an input cannot be read.
pub fn run(
    files: &[PathBuf],
    format: &str,
    out: Option<&Path>,
    opts: &TimelineOptions,
    run_opts: &RunOptions,
    live: Option<String>,
    connect: Connect,
) -> anyhow::Result<u8> {
    let format = Format::parse(format).with_context(|| {
        format!("unknown format {format:?}: use json, jsonl, csv or timesketch")
    })?;
    let mut stream = match live {
        None => {
            let given = connect.given();
            if !given.is_empty() {
                bail!("{} only apply with --live URL", given.join(", "));
            }
            verify_with_timeline_stream(files, run_opts, opts)?.1
        }
        Some(url) => {
            let (options, show) = connect.options()?;
            let req = LiveRequest { url, options };
            let res = investigate_stream(files, run_opts, opts, Some(&req));
            if show {
                eprintln!();
            }
            res?.timeline
        }
    };
    // Events go to the output as they come out of the (possibly on-disk) ordering.
    match out {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = BufWriter::new(f);
            timeline::write_stream(&mut stream, format, &mut w)
                .and_then(|_| w.flush())
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
        None => {
            let mut w = BufWriter::new(std::io::stdout().lock());
            timeline::write_stream(&mut stream, format, &mut w).and_then(|_| w.flush())?;
        }
    }
    let s = stream.summary();
    eprintln!(
        "timeline: {} event(s), {} gap(s), {} flagged; verdict {}",
        s.events,
        s.gaps,
        stream.flagged(),
        s.verdict
    );
    Ok(0)
}

/// Verifies `files`, returning the report and its timeline (for `verify --report`).
pub fn verify(files: &[PathBuf], run_opts: &RunOptions) -> anyhow::Result<(Report, Timeline)> {
    Ok(verify_with_timeline(
        files,
        run_opts,
        &TimelineOptions::default(),
    )?)
}

/// The command line as run, for the report.
pub fn argv() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}
