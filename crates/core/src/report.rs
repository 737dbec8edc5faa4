//! The report model: what one verification run hands back ([`Report`]), and the verdict rule of
//! AEF/1 section 9 ([`verdict`]).
//!
//! A report is plain data, deterministic and fit for a case file: the case engine
//! ([`crate::case::Case::report`]) sorts its inputs, findings and checks, then
//! [`Report::new`] derives the counts, the verdict and its one-sentence summary from them.
//!
//! Invariants:
//! * the verdict follows from the findings and checks alone ([`verdict`] is a pure function):
//!   any error finding makes it tampered; otherwise any check that was not possible makes it
//!   inconclusive; otherwise it is intact (warnings and info never change it);
//! * the serialized form (`trailproof-report/1`) and the TypeScript declarations the desktop app
//!   generates from these types are part of the output: field names and order do not change.

use serde::{Deserialize, Serialize};

use crate::chain::TenantSummary;
use crate::finding::{Check, Finding, Level, Status};
use crate::record;

/// The `format` member of every report.
const FORMAT: &str = "trailproof-report/1";

/// One input of a case, as a report lists it (chain of custody).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    /// Path of the input, as given.
    pub path: String,
    /// Detected kind (`export-pdf`, `sqlite`, `jsonl`, ...).
    pub kind: String,
    /// Size in bytes of the bytes parsed.
    pub size: u64,
    /// SHA-256 of the bytes parsed, lowercase hex.
    pub sha256: String,
    /// Records read from it.
    pub records: u64,
}

/// The verdict of AEF/1 section 9 ([`verdict`] is the rule).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No error finding, and every check could be made.
    Intact,
    /// At least one error finding.
    Tampered,
    /// No error finding, but at least one check was not possible.
    Inconclusive,
}

impl Verdict {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Intact => "intact",
            Verdict::Tampered => "tampered",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// Process exit code: 0 intact, 1 tampered, 2 inconclusive.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Intact => 0,
            Verdict::Tampered => 1,
            Verdict::Inconclusive => 2,
        }
    }
}

/// One tenant's chain as one input holds it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTenant {
    /// Path of the input that holds the chain.
    pub input: String,
    /// The chain as that input holds it (its members appear inline in JSON).
    #[serde(flatten)]
    pub summary: TenantSummary,
}

/// The tool that wrote a report.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// The tool's name.
    pub name: String,
    /// The tool's version.
    pub version: String,
}

/// Counts of findings by level, and of the records read.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Findings of level error.
    pub errors: usize,
    /// Findings of level warning.
    pub warnings: usize,
    /// Findings of level info.
    pub info: usize,
    /// Records read from all inputs together.
    pub records: u64,
}

/// A verification report: deterministic, machine-readable, fit for a case file.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Format of the report: `trailproof-report/1`.
    pub format: String,
    /// The tool that wrote it.
    pub tool: Tool,
    /// The verdict.
    pub verdict: Verdict,
    /// One sentence that explains the verdict.
    pub summary: String,
    /// Counts of findings by level, and of records.
    pub counts: Counts,
    /// Every input, in the order it was added to the case.
    pub inputs: Vec<InputInfo>,
    /// Every tenant's chain as each input holds it.
    pub tenants: Vec<InputTenant>,
    /// Every check made (passed, failed or not possible), sorted by input, tenant, check,
    /// status and detail.
    pub checks: Vec<Check>,
    /// Every finding, sorted by tenant, seq, code, input, location and message.
    pub findings: Vec<Finding>,
}

impl Counts {
    /// Findings by level, and the records of every input.
    pub fn of(findings: &[Finding], inputs: &[InputInfo]) -> Counts {
        let mut counts = Counts::default();
        for finding in findings {
            match finding.level {
                Level::Error => counts.errors += 1,
                Level::Warning => counts.warnings += 1,
                Level::Info => counts.info += 1,
            }
        }
        counts.records = inputs.iter().map(|input| input.records).sum();
        counts
    }
}

impl Report {
    /// A report of `inputs`, `tenants`, `checks` and `findings`, in the order given (the case
    /// sorts them first): counts, verdict and summary follow from them.
    pub fn new(
        tool: Tool,
        inputs: Vec<InputInfo>,
        tenants: Vec<InputTenant>,
        checks: Vec<Check>,
        findings: Vec<Finding>,
    ) -> Report {
        let counts = Counts::of(&findings, &inputs);
        let (verdict, summary) = verdict(&findings, &checks, &counts, inputs.len());
        Report {
            format: FORMAT.into(),
            tool,
            verdict,
            summary,
            counts,
            inputs,
            tenants,
            checks,
            findings,
        }
    }
}

/// The verdict rule of AEF/1 section 9, and the one sentence that explains it: tampered when an
/// error finding stands (naming the first), else inconclusive when a check was not possible
/// (naming the first), else intact. `counts` are those of `findings` ([`Counts::of`]);
/// `input_count` is the number of inputs.
pub fn verdict(
    findings: &[Finding],
    checks: &[Check],
    counts: &Counts,
    input_count: usize,
) -> (Verdict, String) {
    let not_possible: Vec<&Check> = checks
        .iter()
        .filter(|check| check.status == Status::NotPossible)
        .collect();
    if counts.errors > 0 {
        let first = findings.iter().find(|f| f.level == Level::Error);
        let what = first
            .map(|f| {
                format!(
                    "first: {} ({}): {}",
                    f.code,
                    record::describe(f.tenant_id.as_deref(), f.seq),
                    f.message
                )
            })
            .unwrap_or_default();
        (
            Verdict::Tampered,
            format!(
                "Tampered: {} error finding(s) in {input_count} input(s); {what}",
                counts.errors,
            ),
        )
    } else if let Some(first) = not_possible.first() {
        (
            Verdict::Inconclusive,
            format!(
                "Inconclusive: no tampering found, but {} check(s) could not be made; first: {} ({})",
                not_possible.len(),
                first.check,
                first.detail
            ),
        )
    } else {
        let passed = checks
            .iter()
            .filter(|check| check.status == Status::Passed)
            .count();
        let warnings = if counts.warnings > 0 {
            format!("; {} warning(s) to review", counts.warnings)
        } else {
            String::new()
        };
        (
            Verdict::Intact,
            format!(
                "Intact: no tampering found in {} record(s) from {input_count} input(s); {passed} of {} checks passed{warnings}",
                counts.records,
                checks.len(),
            ),
        )
    }
}
