//! `trailproof`: verify and inspect AEF/1 audit evidence from the command line.
//!
//! Exit codes: 0 intact, 1 tampered, 2 inconclusive or an input that cannot be read (the
//! message on stderr names the file and the place, with its cause chain).
//!
//! Here: the command line (clap) and the dispatch to one module per command ([`verify`],
//! [`timeline`], [`live`], [`inspect`]); what the commands write goes through [`output`], how
//! `live` and `timeline --live` reach the service is [`connect`].
#![forbid(unsafe_code)]

mod case;
mod connect;
mod generate;
mod inspect;
mod live;
mod output;
mod selftest;
mod timeline;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Verify(verify::VerifyArgs),
    /// Reconstruct the timeline of a case: one event per (tenant, seq) from every source, with
    /// integrity state, findings and flags; deleted ranges as gaps.
    Timeline(timeline::TimelineArgs),
    /// Verify a verification URL against the service's live records (and reconcile evidence).
    ///
    /// Exit 0 intact (appended growth included), 1 tampered, 2 could not verify.
    Live(live::LiveArgs),
    /// Show one record: its canonical bytes as hashed, stored vs recomputed hash, and links.
    Inspect(inspect::Args),
    /// Run the known-answer self-test built into this binary and name the build tested
    /// (version, commit, SHA-256 of the executable).
    ///
    /// Exit 0 when every answer matches, 1 when one does not, 2 when the executable cannot be
    /// read to name it.
    Selftest(selftest::Args),
    /// Keep an investigation in a case file: evidence, annotations, analyst events and the
    /// examiner's own hash-chained log.
    Case(case::Args),
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
            // Each cause once: one whose text the message already carries (an OS error quoted
            // in the message) is not printed again.
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !msg.contains(&cause) {
                    msg.push_str(&format!("\n  caused by: {cause}"));
                }
            }
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Verify(args) => verify::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Live(args) => live::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Selftest(args) => selftest::run(args),
        Command::Case(args) => case::run(args),
        Command::GenerateDocs(args) => generate::run(args),
    }
}
