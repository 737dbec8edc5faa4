//! `trailproof`: verify and inspect AEF/1 audit evidence from the command line.
//!
//! Exit codes: 0 intact, 1 tampered, 2 inconclusive or an input that cannot be read (the
//! message on stderr names the file and the place, with its cause chain).
#![forbid(unsafe_code)]

mod human;
mod inspect;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use trailproof_ingest::run::{verify_files, Progress, RunOptions};
use trailproof_ingest::InputKind;

#[derive(Parser)]
#[command(
    name = "trailproof",
    version,
    about = "Forensic verifier for AEF/1 tamper-evident audit logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify evidence files (export PDFs, export JSON, dumps) as one case.
    ///
    /// Exit 0 intact, 1 tampered, 2 inconclusive or unreadable input.
    Verify {
        /// Print exactly one JSON report object on stdout.
        #[arg(long)]
        json: bool,
        /// Never draw a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Evidence files; their kind is detected from their content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show one record: its canonical bytes as hashed, stored vs recomputed hash, and links.
    Inspect {
        /// The evidence file to look in.
        file: PathBuf,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        seq: u64,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut msg = format!("trailproof: error: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Verify {
            json,
            no_progress,
            files,
        } => {
            let bar = Bar::new(!no_progress && std::io::stderr().is_terminal());
            let report = verify_files(
                &files,
                &RunOptions {
                    progress: &bar,
                    cancel: None,
                },
            )?;
            bar.clear();
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                let color =
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                human::write_report(&mut out, &report, color)?;
            }
            out.flush()?;
            Ok(report.verdict.exit_code() as u8)
        }
        Command::Inspect {
            file,
            tenant,
            seq,
            json,
        } => inspect::run(&file, &tenant, seq, json)
            .with_context(|| format!("inspecting {tenant} seq {seq} in {}", file.display())),
    }
}

/// Progress bar on stderr, drawn only on a terminal.
struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    fn new(enabled: bool) -> Self {
        Bar {
            bar: enabled.then(|| {
                let b = ProgressBar::hidden();
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                b
            }),
        }
    }

    fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn input(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        if let Some(b) = &self.bar {
            b.reset();
            match total {
                Some(t) => {
                    b.set_length(t);
                    b.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {bytes}/{total_bytes} {per_sec} ETA {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                }
                None => b.set_style(ProgressStyle::default_spinner()),
            }
            b.set_message(format!("{} ({})", path.display(), kind.as_str()));
        }
    }

    fn advance(&self, bytes: u64, _records: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
        }
    }
}
