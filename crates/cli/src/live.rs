//! `trailproof live`: verifies a verification URL against the service's live records, after
//! verifying any `--evidence` files, and reports exactly like `trailproof verify` (same JSON,
//! same exit codes: 0 intact, including growth appended after an export; 1 tampered; 2 could not
//! verify).
//!
//! The bearer token comes from `TRAILPROOF_TOKEN` (or `--token-env VAR`), else from a hidden
//! prompt when stdin is a terminal. It is handed to the HTTP client only: never printed, logged
//! or written, and no error message contains it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use trailproof_ingest::run::{build_case, RunOptions};
use trailproof_live::{verify_live, HttpPolicy, LiveOptions, LiveProgress, Token};

/// The arguments of `trailproof live`.
pub struct LiveArgs {
    pub json: bool,
    pub evidence: Vec<PathBuf>,
    pub token_env: Option<String>,
    pub api_base: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub url: String,
}

/// Pages and records on stderr, on one line redrawn in place (terminal only).
struct StderrProgress;

impl LiveProgress for StderrProgress {
    fn page(&self, source: &str, pages: u64, records: u64) {
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\r{source}: {pages} page(s), {records} record(s)");
        let _ = e.flush();
    }
}

fn token(var: Option<&str>) -> anyhow::Result<Token> {
    let name = var.unwrap_or("TRAILPROOF_TOKEN");
    if let Some(v) = std::env::var_os(name) {
        let t = Token::new(v.to_string_lossy().into_owned());
        if t.is_empty() {
            bail!("the environment variable {name} is empty: set it to a bearer token");
        }
        return Ok(t);
    }
    if std::io::stdin().is_terminal() {
        let t = rpassword::prompt_password("Bearer token (input hidden): ")
            .context("reading the token from the terminal")?;
        let t = Token::new(t);
        if t.is_empty() {
            bail!("no token given");
        }
        return Ok(t);
    }
    bail!("no token: set {name} to a bearer token (or run on a terminal to be asked for it)")
}

/// Runs the command; returns the exit code.
pub fn run(a: LiveArgs) -> anyhow::Result<u8> {
    let ca_pem = match &a.ca_cert {
        Some(p) => Some(
            std::fs::read(p).with_context(|| format!("reading CA certificate {}", p.display()))?,
        ),
        None => None,
    };
    let token = token(a.token_env.as_deref())?;
    let mut case = build_case(&a.evidence, &RunOptions::default())?;
    let progress = StderrProgress;
    let quiet = trailproof_live::NoProgress;
    let show = std::io::stderr().is_terminal();
    let opts = LiveOptions {
        api_base: a.api_base,
        token,
        ca_pem,
        policy: HttpPolicy::default(),
        progress: if show { &progress } else { &quiet },
    };
    let res = verify_live(&mut case, &a.url, &opts);
    if show {
        eprintln!();
    }
    res?;
    let report = case.report("trailproof", env!("CARGO_PKG_VERSION"));
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        crate::human::write_report(&mut out, &report, color)?;
    }
    out.flush()?;
    Ok(report.verdict.exit_code() as u8)
}
