//! `trailproof case`: the investigation's case file (`trailproof-casefile`) from the command
//! line, the same operations as the app: create a case, add evidence (verified as one case with
//! what it already holds), annotate records, record analyst events, show the case, and re-hash
//! its evidence and check the examiner's log. Every change is appended to the case file's
//! examiner log; nothing is written next to the evidence.

mod handout;
mod show;

use std::path::{Path, PathBuf};

use anyhow::Context;
use trailproof_casefile::{Action, CaseFile, NewCase, Target};
use trailproof_engine::Investigation;

use crate::output;

/// The arguments of `trailproof case`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CaseCommand,
}

#[derive(clap::Subcommand)]
enum CaseCommand {
    /// Create a case file (never over an existing file).
    New {
        /// The case file to create (NAME.tpcase).
        case: PathBuf,
        /// Case number.
        #[arg(long)]
        number: String,
        /// The examiner's name.
        #[arg(long)]
        examiner: String,
        /// The examiner's id (defaults to the name).
        #[arg(long)]
        examiner_id: Option<String>,
        /// Title of the case.
        #[arg(long)]
        title: Option<String>,
        /// Organisation.
        #[arg(long)]
        organisation: Option<String>,
        /// Display time zone, an IANA name such as Europe/Berlin (default UTC).
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
    },
    /// Hash and verify evidence files with the case's other evidence, and add them to the case.
    ///
    /// Exit 0 intact, 1 tampered, 2 inconclusive or unreadable input, as `verify`.
    Add {
        /// The case file.
        case: PathBuf,
        /// Evidence files; their kind is detected from their content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Do not search SQLite files for earlier and deleted versions of records.
        #[arg(long)]
        no_recover: bool,
    },
    /// Star, tag or note one record of the evidence.
    Annotate {
        /// The case file.
        case: PathBuf,
        /// The record's tenant.
        #[arg(long)]
        tenant: String,
        /// The record's seq.
        #[arg(long)]
        seq: u64,
        /// The evidence file the annotated version was read from, when inputs differ.
        #[arg(long, value_name = "FILE")]
        source: Option<String>,
        /// Star the record.
        #[arg(long, conflicts_with = "unstar")]
        star: bool,
        /// Take the star off.
        #[arg(long)]
        unstar: bool,
        /// Put a tag on the record (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Take a tag off (repeatable).
        #[arg(long = "untag", value_name = "TAG")]
        untags: Vec<String>,
        /// Write a note on the record.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Record an event learned elsewhere ("14:02 call with the CFO"); kept apart from the
    /// evidence's events.
    Event {
        /// The case file.
        case: PathBuf,
        /// When it happened: an RFC 3339 timestamp with its offset (2026-04-30T14:02:00+02:00).
        #[arg(long, value_name = "TIMESTAMP")]
        time: String,
        /// What happened.
        #[arg(long)]
        text: String,
    },
    /// Show the case: evidence, annotations, analyst events, the examiner log's head.
    Show {
        /// The case file.
        case: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Write the case's report: the verification of its evidence as it is now, with the case,
    /// its annotations, analyst events and examiner log head. Exit as `verify`.
    Report {
        /// The case file.
        case: PathBuf,
        /// The report: a self-contained HTML page, a PDF or JSON, by extension.
        #[arg(value_name = "OUT.html|OUT.pdf|OUT.json")]
        out: PathBuf,
    },
    /// Export the case's timeline with the examiner's annotations and analyst events, or the
    /// case as a CASE/UCO JSON-LD bundle.
    Export {
        /// The case file.
        case: PathBuf,
        /// Output format.
        #[arg(long, value_parser = ["timesketch", "csv", "jsonl", "case-uco"])]
        format: String,
        /// Only the starred, tagged or noted events (and the analyst events).
        #[arg(long)]
        annotated_only: bool,
        /// The file to write.
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
    },
    /// Re-hash every evidence file and check the examiner log; exit 1 naming what changed.
    Check {
        /// The case file.
        case: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `trailproof case ...`; returns the exit code.
pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.command {
        CaseCommand::New {
            case,
            number,
            examiner,
            examiner_id,
            title,
            organisation,
            tz,
        } => {
            let file = CaseFile::create(
                &case,
                NewCase {
                    number,
                    title,
                    examiner_name: examiner,
                    examiner_id,
                    organisation,
                    time_zone: tz,
                },
            )?;
            let i = file.info();
            println!(
                "Created case {} ({}) in {}: examiner {}, time zone {}",
                i.number,
                i.id,
                case.display(),
                i.examiner_name,
                i.time_zone
            );
            Ok(0)
        }
        CaseCommand::Add {
            case,
            files,
            no_recover,
        } => add(&case, &files, no_recover),
        CaseCommand::Annotate {
            case,
            tenant,
            seq,
            source,
            star,
            unstar,
            tags,
            untags,
            note,
        } => {
            let target = Target {
                tenant_id: tenant,
                seq,
                source,
            };
            let mut file = CaseFile::open(&case, true)?;
            let mut actions = Vec::new();
            if star {
                actions.push(Action::Starred(target.clone()));
            }
            if unstar {
                actions.push(Action::Unstarred(target.clone()));
            }
            for tag in tags {
                actions.push(Action::Tagged(target.clone(), non_empty("--tag", tag)?));
            }
            for tag in untags {
                actions.push(Action::Untagged(target.clone(), non_empty("--untag", tag)?));
            }
            if let Some(text) = note {
                let next = trailproof_casefile::state::replay(&file)?.next_note();
                actions.push(Action::Noted {
                    target: target.clone(),
                    note: next,
                    text: non_empty("--note", text)?,
                });
            }
            if actions.is_empty() {
                anyhow::bail!("nothing to record: give --star, --unstar, --tag, --untag or --note");
            }
            for a in &actions {
                let head = file.record(a)?;
                println!("Logged {} as examiner log seq {}", a.name(), head.seq);
            }
            Ok(0)
        }
        CaseCommand::Event { case, time, text } => {
            let at = trailproof_core::time::normalize(&time)
                .map_err(|e| anyhow::anyhow!("--time {time:?}: {}", e.reason))?;
            let mut file = CaseFile::open(&case, true)?;
            let id = trailproof_casefile::state::replay(&file)?.next_analyst_event();
            let head = file.record(&Action::AnalystEventAdded {
                id,
                time: at.canonical(),
                text: non_empty("--text", text)?,
            })?;
            println!(
                "Logged analyst event {id} at {} as examiner log seq {}",
                at.canonical(),
                head.seq
            );
            Ok(0)
        }
        CaseCommand::Show { case, json } => show::show(&case, json),
        CaseCommand::Check { case, json } => show::check(&case, json),
        CaseCommand::Report { case, out } => handout::report(&case, &out),
        CaseCommand::Export {
            case,
            format,
            annotated_only,
            output,
        } => handout::export(&case, &format, annotated_only, &output),
    }
}

fn non_empty(what: &str, text: String) -> anyhow::Result<String> {
    if text.trim().is_empty() {
        anyhow::bail!("{what} must not be empty");
    }
    Ok(text)
}

/// `case add`: verifies the case's evidence and the new files as one case, then records each
/// new file with the verdict of that run.
fn add(case: &Path, files: &[PathBuf], no_recover: bool) -> anyhow::Result<u8> {
    use trailproof_casefile::intake;
    let mut file = CaseFile::open(case, true)?;
    let planned = intake::plan(&file, files)?;
    let mut all = intake::evidence_paths(&file)?;
    all.extend(files.iter().cloned());
    let report = Investigation::new(&all)
        .recover(!no_recover)
        .report()
        .with_context(|| format!("verifying the evidence of {}", case.display()))?
        .report;
    for a in intake::record(&mut file, files, &planned, &report)? {
        println!(
            "Added {} ({}, {} bytes, SHA-256 {}) as examiner log seq {}",
            a.path, a.kind, a.size, a.sha256, a.head.seq
        );
    }
    output::print_report(&report, false, &output::Reading::default())?;
    Ok(output::exit_code(&report, &output::Reading::default()))
}
