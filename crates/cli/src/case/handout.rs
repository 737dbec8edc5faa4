//! `case report` and `case export`: what leaves the case for a colleague or a court. The case's
//! evidence is verified again (as it is now), the report or timeline carries the case, its
//! annotations, analyst events and examiner log head, and writing it is itself logged
//! (`report.exported`, with the SHA-256 of what was written).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use trailproof_casefile::export::{write_timeline, ExportFormat};
use trailproof_casefile::file::relative_path;
use trailproof_casefile::uco::{bundle, ToolInfo};
use trailproof_casefile::{case_dir, case_verdict, handover, Action, CaseFile};
use trailproof_core::record::{hex, sha256};
use trailproof_core::timeline::model::TimelineOptions;
use trailproof_engine::Investigation;
use trailproof_report::{render, Format, TimelineExcerpt};

use crate::output;

/// The case's evidence files, as paths from here (an error when there are none).
fn evidence_paths(file: &CaseFile) -> anyhow::Result<Vec<PathBuf>> {
    let paths = trailproof_casefile::intake::evidence_paths(file)?;
    if paths.is_empty() {
        bail!(
            "{}: the case holds no evidence yet: add some with `trailproof case add`",
            file.path().display()
        );
    }
    Ok(paths)
}

/// Refuses an `out` that is the case file or one of the case's evidence files.
fn refuse_case_files(file: &CaseFile, what: &str, out: &Path) -> anyhow::Result<()> {
    let mut files = trailproof_casefile::intake::evidence_paths(file)?;
    files.push(file.path().to_path_buf());
    output::refuse_evidence(what, out, &files)
}

/// Writes `bytes` to `out`, logs it in the case, and names it with its SHA-256 on stderr.
fn write_and_log(
    file: &mut CaseFile,
    out: &Path,
    format: &str,
    bytes: &[u8],
) -> anyhow::Result<()> {
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    let digest = hex(&sha256(bytes));
    let real = out.canonicalize()?;
    let head = file.record(&Action::ReportExported {
        path: relative_path(&case_dir(file.path())?, &real),
        format: format.to_string(),
        size: bytes.len() as u64,
        sha256: digest.clone(),
    })?;
    eprintln!(
        "{format} written: {} sha256 {digest} (examiner log seq {})",
        out.display(),
        head.seq
    );
    Ok(())
}

/// `case report CASE OUT.html|OUT.pdf|OUT.json`: exit as `verify` on the case's evidence.
pub fn report(case: &Path, out: &Path) -> anyhow::Result<u8> {
    let Some(format) = Format::from_path(out) else {
        bail!(
            "cannot tell the format of the report {}: use .html, .pdf or .json",
            out.display()
        );
    };
    let mut file = CaseFile::open(case, true)?;
    refuse_case_files(&file, "the report", out)?;
    let paths = evidence_paths(&file)?;
    let (h, _) = handover(&file)?;
    let outcome = Investigation::new(&paths).timeline(&TimelineOptions::default())?;
    let mut report = outcome.report;
    report.case = Some(h);
    let excerpt = TimelineExcerpt::of(&outcome.timeline);
    let timeline = (format != Format::Json).then_some(&excerpt);
    let bytes = render(format, &report, timeline, &output::argv())
        .with_context(|| format!("cannot make the {} report", format.name()))?;
    write_and_log(&mut file, out, &format.name().to_ascii_lowercase(), &bytes)?;
    Ok(report.verdict.exit_code() as u8)
}

/// `case export CASE --format F [--annotated-only] -o OUT`.
pub fn export(case: &Path, format: &str, annotated_only: bool, out: &Path) -> anyhow::Result<u8> {
    let mut file = CaseFile::open(case, true)?;
    refuse_case_files(&file, "-o", out)?;
    let (h, state) = handover(&file)?;
    let mut bytes = Vec::new();
    if format == "case-uco" {
        if annotated_only {
            bail!("--annotated-only applies to timelines, not to --format case-uco");
        }
        let build = &trailproof_provenance::BUILD;
        let tool = ToolInfo {
            name: "trailproof",
            version: build.version,
            commit: build.commit,
        };
        let verdict = case_verdict(&h).unwrap_or_else(|| "no evidence yet".into());
        let now = trailproof_casefile::log::now();
        let doc = bundle(&h, &tool, &verdict, &state.reports, &now);
        serde_json::to_writer_pretty(&mut bytes, &doc)?;
        bytes.push(b'\n');
    } else {
        let f = match format {
            "timesketch" => ExportFormat::Timesketch,
            "jsonl" => ExportFormat::Jsonl,
            "csv" => ExportFormat::Csv,
            other => bail!("unknown export format {other:?}"),
        };
        let paths = evidence_paths(&file)?;
        let outcome = Investigation::new(&paths).timeline_stream(&TimelineOptions::default())?;
        write_timeline(outcome.timeline, &h, f, annotated_only, &mut bytes)?;
    }
    write_and_log(&mut file, out, format, &bytes)?;
    Ok(0)
}
