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

use crate::assurance::{self, Anchor, Anchoring, Assurance, Claim};
use crate::chain::TenantSummary;
use crate::finding::{Check, Finding, Level, Status};
use crate::incident::{self, Incident};

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
    /// The independent commitments that confirm this chain, and how far (see
    /// [`crate::assurance`]); empty when nothing anchors it.
    #[serde(default)]
    pub anchored_by: Vec<Anchor>,
}

impl InputTenant {
    /// A tenant of `input` that nothing anchors yet ([`Report::new`] fills `anchored_by`).
    pub fn new(input: &str, summary: TenantSummary) -> InputTenant {
        InputTenant {
            input: input.to_string(),
            summary,
            anchored_by: Vec::new(),
        }
    }
}

/// The tool that wrote a report.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// The tool's name.
    pub name: String,
    /// The tool's version.
    pub version: String,
    /// The build that wrote the report (what `trailproof --version` says); absent where the
    /// writer does not know its build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub build: Option<Build>,
}

/// Where a build of the tool came from.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// The full git commit hash.
    pub commit: String,
    /// The commit's date, UTC (not the clock's at build time).
    pub date: String,
    /// The target triple.
    pub target: String,
    /// `rustc --version` of the compiler.
    pub rustc: String,
}

impl Tool {
    /// "trailproof 0.1.0", with "(commit 1a2b3c4d5e6f, DATE, TARGET, RUSTC)" when the build is
    /// known.
    pub fn describe(&self) -> String {
        match &self.build {
            None => format!("{} {}", self.name, self.version),
            Some(b) => format!(
                "{} {} (commit {}, {}, {}, {})",
                self.name,
                self.version,
                b.commit.get(..12).unwrap_or(&b.commit),
                b.date,
                b.target,
                b.rustc
            ),
        }
    }
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
    /// How far the verdict rests on independent commitments (see [`crate::assurance`]).
    pub assurance: Assurance,
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
    /// The findings grouped by the act that explains them, root cause first (see
    /// [`crate::incident`]).
    pub incidents: Vec<Incident>,
    /// Every finding, sorted by tenant, seq, code, input, location and message.
    pub findings: Vec<Finding>,
    /// The investigation's case file, when the report was made from one (`trailproof case
    /// report`): absent from a plain verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub case: Option<crate::handover::CaseHandover>,
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
    /// sorts them first), with the commitments inputs make about each other's chains
    /// (`claims`): anchors, assurance, incidents, counts, verdict and summary follow from them.
    pub fn new(
        tool: Tool,
        inputs: Vec<InputInfo>,
        mut tenants: Vec<InputTenant>,
        checks: Vec<Check>,
        mut findings: Vec<Finding>,
        claims: &[Claim],
    ) -> Report {
        let anchoring = assurance::anchor(&tenants, claims);
        for (tenant, anchors) in tenants.iter_mut().zip(&anchoring.anchored_by) {
            tenant.anchored_by = anchors.clone();
        }
        let (incidents, of_finding) = incident::group(&findings);
        for (finding, id) in findings.iter_mut().zip(of_finding) {
            finding.incident = id;
        }
        let counts = Counts::of(&findings, &inputs);
        let (verdict, summary) = verdict(&incidents, &checks, &counts, inputs.len(), &anchoring);
        Report {
            format: FORMAT.into(),
            tool,
            verdict,
            assurance: anchoring.assurance,
            summary,
            counts,
            inputs,
            tenants,
            checks,
            incidents,
            findings,
            case: None,
        }
    }
}

/// "1 warning", "2 warnings".
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The verdict rule of AEF/1 section 9, and the one sentence that explains it: tampered when an
/// error finding stands (naming the first incident), else inconclusive when a check was not
/// possible (naming the first), else intact. An intact verdict says how far it goes: where
/// nothing independent anchors a chain up to its head, the sentence says so and names it
/// ([`assurance::caveat`]). `counts` are those of the findings; `input_count` is the number of
/// inputs.
pub fn verdict(
    incidents: &[Incident],
    checks: &[Check],
    counts: &Counts,
    input_count: usize,
    anchoring: &Anchoring,
) -> (Verdict, String) {
    let not_possible: Vec<&Check> = checks
        .iter()
        .filter(|check| check.status == Status::NotPossible)
        .collect();
    let inputs = count(input_count, "input");
    if counts.errors > 0 {
        let what = incidents
            .first()
            .map(|i| format!("; first: {}", i.explanation))
            .unwrap_or_default();
        (
            Verdict::Tampered,
            format!(
                "Tampered: {} ({}) in {inputs}{what}",
                count(incidents.len(), "incident"),
                count(counts.errors, "error finding"),
            ),
        )
    } else if let Some(first) = not_possible.first() {
        (
            Verdict::Inconclusive,
            format!(
                "Inconclusive: no tampering found, but {} could not be made; first: {} ({})",
                count(not_possible.len(), "check"),
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
            format!("; {} to review", count(counts.warnings, "warning"))
        } else {
            String::new()
        };
        let records = count(counts.records as usize, "record");
        let checked = format!(
            "{passed} of {} passed{warnings}",
            count(checks.len(), "check")
        );
        let summary = match assurance::caveat(anchoring) {
            None => format!(
                "Intact: no tampering found in {records} from {inputs}, every chain anchored up to its head; {checked}"
            ),
            Some(caveat) => format!(
                "Intact as far as this evidence goes: chains consistent in {records} from {inputs}, but {caveat}; {checked}"
            ),
        };
        (Verdict::Intact, summary)
    }
}
