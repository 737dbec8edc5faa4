//! `trailproof`: verify and inspect AEF/1 audit evidence from the command line.
//!
//! Exit codes: 0 intact, 1 tampered, 2 inconclusive or an input that cannot be read (the
//! message on stderr names the file and the place, with its cause chain).
#![forbid(unsafe_code)]

mod generate;
mod human;
mod inspect;
mod live;
mod report_file;
mod selftest;
mod timeline;

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
    long_version = trailproof_provenance::LONG_VERSION,
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
        /// Also write the verification report to this file: a self-contained HTML page
        /// (`.html`) or a PDF (`.pdf`), by extension.
        #[arg(long, value_name = "OUT.html|OUT.pdf", value_parser = report_file::parse_out)]
        report: Option<PathBuf>,
        /// Evidence files; their kind is detected from their content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Reconstruct the timeline of a case: one event per (tenant, seq) from every source, with
    /// integrity state, findings and flags; deleted ranges as gaps.
    Timeline {
        /// Output format.
        #[arg(long, default_value = "json", value_parser = ["json", "jsonl", "csv", "timesketch"])]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Failures by one actor that make a denial burst.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
        burst_count: u64,
        /// Window of a denial burst, in minutes.
        #[arg(long, default_value_t = 10)]
        burst_minutes: u64,
        /// Never draw a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Also check this verification URL against the service's live records, which join the
        /// timeline as a source (`live:<origin>`).
        #[arg(long, value_name = "URL")]
        live: Option<String>,
        #[command(flatten)]
        connect: live::Connect,
        /// Evidence files; their kind is detected from their content.
        #[arg(required_unless_present = "live")]
        files: Vec<PathBuf>,
    },
    /// Verify a verification URL against the service's live records (and reconcile evidence).
    ///
    /// Exit 0 intact (appended growth included), 1 tampered, 2 could not verify.
    Live {
        /// Print exactly one JSON report object on stdout.
        #[arg(long)]
        json: bool,
        /// Evidence files (export PDFs, export JSON, dumps) to reconcile with the live records.
        #[arg(long, value_name = "FILE")]
        evidence: Vec<PathBuf>,
        #[command(flatten)]
        connect: live::Connect,
        /// Also write the report, with the timeline of the evidence and the live records, to
        /// this file: a self-contained HTML page (`.html`) or a PDF (`.pdf`), by extension.
        #[arg(long, value_name = "OUT.html|OUT.pdf", value_parser = report_file::parse_out)]
        report: Option<PathBuf>,
        /// The verification URL (`<origin>/audit/verify?tenant_id=..&hash=..`).
        url: String,
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
    /// Run the known-answer self-test built into this binary and name the build tested
    /// (version, commit, SHA-256 of the executable).
    ///
    /// Exit 0 when every answer matches, 1 when one does not, 2 when the executable cannot be
    /// read to name it.
    Selftest(selftest::Args),
    /// Write man pages and shell completions (for packaging).
    #[command(hide = true)]
    GenerateDocs(generate::Args),
}

/// Records are parsed on rayon workers and their buffers freed elsewhere; glibc malloc spends a
/// fifth of a run on that traffic (perf), mimalloc a fraction of it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`trailproof verify ... | head`) is the reader's choice, not an error.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::from(2);
            }
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
            report: report_path,
            files,
        } => {
            let bar = Bar::new(!no_progress && std::io::stderr().is_terminal());
            let opts = RunOptions {
                progress: &bar,
                cancel: None,
            };
            let report = match &report_path {
                Some(path) => {
                    let (report, tl) = timeline::verify(&files, &opts)?;
                    bar.clear();
                    let argv: Vec<String> = std::env::args_os()
                        .map(|a| a.to_string_lossy().into_owned())
                        .collect();
                    report_file::write(path, &report, &tl, &argv)?;
                    report
                }
                None => verify_files(&files, &opts)?,
            };
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
        Command::Timeline {
            format,
            output,
            burst_count,
            burst_minutes,
            no_progress,
            live,
            connect,
            files,
        } => {
            let bar = Bar::new(!no_progress && std::io::stderr().is_terminal());
            let opts = RunOptions {
                progress: &bar,
                cancel: None,
            };
            let topts = trailproof_core::timeline::TimelineOptions {
                burst_count: usize::try_from(burst_count).unwrap_or(usize::MAX),
                burst_minutes,
            };
            let code = timeline::run(
                &files,
                &format,
                output.as_deref(),
                &topts,
                &opts,
                live,
                connect,
            );
            bar.clear();
            code
        }
        Command::Live {
            json,
            evidence,
            connect,
            report,
            url,
        } => live::run(live::LiveArgs {
            json,
            evidence,
            connect,
            url,
            report,
        }),
        Command::Inspect {
            file,
            tenant,
            seq,
            json,
        } => inspect::run(&file, &tenant, seq, json)
            .with_context(|| format!("inspecting {tenant} seq {seq} in {}", file.display())),
        Command::Selftest(args) => selftest::run(args),
        Command::GenerateDocs(args) => generate::run(args),
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
