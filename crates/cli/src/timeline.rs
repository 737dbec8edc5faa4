//! `trailproof timeline`: the timeline of a case, from its files or with the live records as one
//! more source (`--live`), streamed by the engine ([`Investigation::timeline_stream`]) and
//! written in the chosen format by the core's writers ([`crate::output::write_timeline`]).
//!
//! Exit 0 once the timeline is written (whatever the verdict; it is named in the summary), 2
//! when an input cannot be read. Nothing here reads the clock or the locale.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context};
use trailproof_core::timeline::model::TimelineOptions;
use trailproof_core::timeline::output::Format;
use trailproof_engine::{Investigation, LiveRequest};

use crate::connect::Connect;
use crate::output::{self, Bar};

/// The arguments of `trailproof timeline`.
#[derive(clap::Args)]
pub struct TimelineArgs {
    /// Output format.
    #[arg(long, default_value = "json", value_parser = ["json", "jsonl", "csv", "timesketch"])]
    pub format: String,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Failures by one actor that make a denial burst.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub burst_count: u64,
    /// Window of a denial burst, in minutes.
    #[arg(long, default_value_t = 10)]
    pub burst_minutes: u64,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Do not search SQLite files (and their -wal and -journal) for earlier and deleted
    /// versions of records.
    #[arg(long)]
    pub no_recover: bool,
    /// Also check this verification URL against the service's live records, which join the
    /// timeline as a source (`live:<origin>`).
    #[arg(long, value_name = "URL")]
    pub live: Option<String>,
    #[command(flatten)]
    pub connect: Connect,
    /// Evidence files; their kind is detected from their content.
    #[arg(required_unless_present = "live")]
    pub files: Vec<PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(a: TimelineArgs) -> anyhow::Result<u8> {
    let bar = Bar::new(!a.no_progress && std::io::stderr().is_terminal());
    let opts = TimelineOptions {
        burst_count: usize::try_from(a.burst_count).unwrap_or(usize::MAX),
        burst_minutes: a.burst_minutes,
    };
    let code = write(a, &opts, &bar);
    bar.clear();
    code
}

/// Builds the timeline and writes it.
fn write(a: TimelineArgs, opts: &TimelineOptions, bar: &Bar) -> anyhow::Result<u8> {
    let format = Format::parse(&a.format).with_context(|| {
        format!(
            "unknown format {:?}: use json, jsonl, csv or timesketch",
            a.format
        )
    })?;
    if let Some(out) = &a.output {
        output::refuse_evidence("-o", out, &a.files)?;
    }
    let mut stream = match a.live {
        None => {
            let given = a.connect.given();
            if !given.is_empty() {
                bail!("{} only apply with --live URL", given.join(", "));
            }
            Investigation::new(&a.files)
                .progress(bar)
                .recover(!a.no_recover)
                .timeline_stream(opts)?
                .timeline
        }
        Some(url) => {
            let (options, show) = a.connect.options()?;
            let req = LiveRequest { url, options };
            let res = Investigation::new(&a.files)
                .progress(bar)
                .recover(!a.no_recover)
                .live(Some(&req))
                .timeline_stream(opts);
            if show {
                eprintln!();
            }
            res?.timeline
        }
    };
    output::write_timeline(&mut stream, format, a.output.as_deref())?;
    Ok(0)
}
