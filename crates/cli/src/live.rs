//! `trailproof live`: verifies a verification URL against the service's live records, after
//! verifying any `--evidence` files, and reports exactly like `trailproof verify` (same JSON,
//! same exit codes: 0 intact, including growth appended after an export; 1 tampered; 2 could not
//! verify). `--report OUT.html|OUT.pdf` also writes the report (HTML or PDF, by extension), with
//! the timeline of the evidence and the live records. The connection settings here are shared with `trailproof timeline
//! --live`.
//!
//! The bearer token comes from `TRAILPROOF_TOKEN` (or `--token-env VAR`), else from a hidden
//! prompt when stdin is a terminal. It is handed to the HTTP client only: never printed, logged
//! or written, and no error message contains it.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use trailproof_core::timeline::model::TimelineOptions;
use trailproof_ingest::run::{build_case, RunOptions};
use trailproof_live::{
    investigate, verify_live, HttpPolicy, LiveOptions, LiveProgress, LiveRequest, NoProgress, Token,
};

/// How to reach the service: shared by `live` and `timeline --live`.
#[derive(clap::Args)]
pub struct Connect {
    /// Environment variable holding the bearer token (default TRAILPROOF_TOKEN).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// API base URL (default: the verification URL's origin).
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// Extra trusted CA certificate(s), PEM (an on-premise CA); verification stays on.
    #[arg(long, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,
}

/// The arguments of `trailproof live`.
pub struct LiveArgs {
    pub json: bool,
    pub evidence: Vec<PathBuf>,
    pub connect: Connect,
    pub url: String,
    /// Also write the HTML report here.
    pub report: Option<PathBuf>,
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

static STDERR_PROGRESS: StderrProgress = StderrProgress;
static NO_PROGRESS: NoProgress = NoProgress;

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

impl Connect {
    /// The options given, as written on the command line (for "needs --live" messages).
    pub fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.token_env.is_some() {
            v.push("--token-env");
        }
        if self.api_base.is_some() {
            v.push("--api-base");
        }
        if self.ca_cert.is_some() {
            v.push("--ca-cert");
        }
        v
    }

    /// Reads the CA certificate and the token, and draws progress on stderr when it is a
    /// terminal. The second value says whether progress is drawn (end its line afterwards).
    pub fn options(self) -> anyhow::Result<(LiveOptions<'static>, bool)> {
        let ca_pem = match &self.ca_cert {
            Some(p) => Some(
                std::fs::read(p)
                    .with_context(|| format!("reading CA certificate {}", p.display()))?,
            ),
            None => None,
        };
        let token = token(self.token_env.as_deref())?;
        let show = std::io::stderr().is_terminal();
        Ok((
            LiveOptions {
                api_base: self.api_base,
                token,
                ca_pem,
                policy: HttpPolicy::default(),
                progress: if show { &STDERR_PROGRESS } else { &NO_PROGRESS },
                cancel: None,
                keep_copies: false,
            },
            show,
        ))
    }
}

/// Runs the command; returns the exit code.
pub fn run(a: LiveArgs) -> anyhow::Result<u8> {
    let (opts, show) = a.connect.options()?;
    let report = match &a.report {
        Some(path) => {
            let req = LiveRequest {
                url: a.url.clone(),
                options: opts,
            };
            let res = investigate(
                &a.evidence,
                &RunOptions::default(),
                &TimelineOptions::default(),
                Some(&req),
            );
            if show {
                eprintln!();
            }
            let inv = res?;
            crate::report_file::write(path, &inv.report, &inv.timeline, &crate::timeline::argv())?;
            inv.report
        }
        None => {
            let mut case = build_case(&a.evidence, &RunOptions::default())?;
            let res = verify_live(&mut case, &a.url, &opts);
            if show {
                eprintln!();
            }
            res?;
            case.report("trailproof", env!("CARGO_PKG_VERSION"))
        }
    };
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
