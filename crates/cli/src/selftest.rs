//! `trailproof selftest`: runs the known-answer suite compiled into this binary
//! (`trailproof-selftest`) and names exactly which build was tested: the version line with its
//! provenance, the executable's path and its SHA-256. One line per check and a summary, or one
//! JSON object with `--json`. Exit 0 only when every answer matches, 1 when one does not, 2 when
//! the executable could not be read to name it.

use std::io::Write;
use std::time::Instant;

use serde::Serialize;
use trailproof_provenance::{Provenance, BUILD};
use trailproof_selftest::{executable, Check, Executable};

#[derive(clap::Args)]
pub struct Args {
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// The `--json` output.
#[derive(Serialize)]
struct Record<'a> {
    format: &'static str,
    version_line: String,
    build: Provenance,
    executable: Executable,
    passed: bool,
    checks_total: usize,
    checks_passed: usize,
    seconds: f64,
    checks: &'a [Check],
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let exe = executable();
    let started = Instant::now();
    let checks = trailproof_selftest::run();
    let seconds = started.elapsed().as_secs_f64();
    let checks_passed = checks.iter().filter(|c| c.passed).count();
    let passed = checks_passed == checks.len();
    let code = if !passed {
        1
    } else if exe.sha256.is_none() {
        2
    } else {
        0
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        let record = Record {
            format: "trailproof-selftest/1",
            version_line: BUILD.version_line("trailproof"),
            build: BUILD,
            executable: exe,
            passed,
            checks_total: checks.len(),
            checks_passed,
            seconds,
            checks: &checks,
        };
        serde_json::to_writer_pretty(&mut out, &record)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", BUILD.version_line("trailproof"))?;
        writeln!(out, "executable: {}", exe.path)?;
        match (&exe.sha256, &exe.error) {
            (Some(h), _) => writeln!(out, "sha256:     {h}")?,
            (None, e) => writeln!(
                out,
                "sha256:     unknown: the executable could not be read ({})",
                e.as_deref().unwrap_or("no path")
            )?,
        }
        for c in &checks {
            if c.passed {
                writeln!(out, "ok    {}", c.name)?;
            } else {
                writeln!(out, "FAIL  {}", c.name)?;
                writeln!(out, "      expected: {}", c.expected)?;
                writeln!(out, "      got:      {}", c.got)?;
            }
        }
        let verdict = if passed {
            "every answer matches"
        } else {
            "SOME ANSWERS DO NOT MATCH: do not rely on this build"
        };
        writeln!(
            out,
            "selftest: {checks_passed} of {} checks passed in {seconds:.2} s: {verdict}",
            checks.len()
        )?;
    }
    out.flush()?;
    Ok(code)
}
