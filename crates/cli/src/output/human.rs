//! The human summary of a report: the verdict first, then the inputs (chain of custody), the
//! findings grouped by tenant, and the checks that did not pass.

use std::io::{self, Write};

use trailproof_core::finding::{Code, Finding, Level, Status};
use trailproof_core::report::{Report, Verdict};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Strips control characters from evidence text before it reaches a terminal: an audit log may
/// carry escape sequences that would rewrite the screen.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

pub fn write_report(out: &mut impl Write, r: &Report, color: bool) -> io::Result<()> {
    let st = Style { on: color };
    let verdict = match r.verdict {
        Verdict::Intact => st.paint("1;32", "INTACT"),
        Verdict::Tampered => st.paint("1;31", "TAMPERED"),
        Verdict::Inconclusive => st.paint("1;33", "INCONCLUSIVE"),
    };
    writeln!(out, "{verdict}")?;
    writeln!(out, "{}", safe(&r.summary))?;
    writeln!(
        out,
        "\n{} error(s), {} warning(s), {} info; {} record(s) read",
        r.counts.errors, r.counts.warnings, r.counts.info, r.counts.records
    )?;
    writeln!(out, "\nInputs:")?;
    for i in &r.inputs {
        writeln!(
            out,
            "  {}  {}  {} bytes  sha256 {}  {} record(s)",
            safe(&i.path),
            i.kind,
            i.size,
            i.sha256,
            i.records
        )?;
    }
    // Recovered records have a section of their own (`write_recovered`).
    let listed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.code != Code::RecordRecovered)
        .collect();
    if !listed.is_empty() {
        writeln!(out, "\nFindings:")?;
        let mut tenant: Option<Option<&str>> = None;
        for f in listed {
            let t = f.tenant_id.as_deref();
            if tenant != Some(t) {
                writeln!(out, "  tenant {}:", safe(t.unwrap_or("(none)")))?;
                tenant = Some(t);
            }
            let level = match f.level {
                Level::Error => st.paint("31", "error"),
                Level::Warning => st.paint("33", "warning"),
                Level::Info => st.paint("36", "info"),
            };
            let seq = match (f.seq, f.seq_end) {
                (Some(a), Some(b)) if b != a => format!("seq {a}..{b}"),
                (Some(a), _) => format!("seq {a}"),
                (None, _) => "-".into(),
            };
            writeln!(out, "    {level} {} {seq}: {}", f.code, safe(&f.message))?;
            let mut place = Vec::new();
            if let Some(i) = &f.input {
                place.push(safe(i));
            }
            if let Some(l) = &f.location {
                place.push(safe(l));
            }
            if !place.is_empty() {
                writeln!(out, "      at {}", place.join(", "))?;
            }
            if let (Some(e), Some(c)) = (&f.expected, &f.computed) {
                writeln!(out, "      stated:     {}", safe(e))?;
                writeln!(out, "      recomputed: {}", safe(c))?;
            }
            for d in &f.fields {
                writeln!(
                    out,
                    "      {}: {} | {}",
                    safe(&d.field),
                    safe(d.left.as_deref().unwrap_or("(absent)")),
                    safe(d.right.as_deref().unwrap_or("(absent)"))
                )?;
            }
        }
    }
    write_recovered(out, r, &st)?;
    let passed = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .count();
    writeln!(out, "\nChecks: {passed} of {} passed", r.checks.len())?;
    for c in r.checks.iter().filter(|c| c.status != Status::Passed) {
        let s = match c.status {
            Status::Failed => st.paint("31", "failed"),
            _ => st.paint("33", "not possible"),
        };
        writeln!(
            out,
            "  {s} {}{}{}: {}",
            c.check,
            c.input
                .as_deref()
                .map(|i| format!(" [{}]", safe(i)))
                .unwrap_or_default(),
            c.tenant_id
                .as_deref()
                .map(|t| format!(" tenant {}", safe(t)))
                .unwrap_or_default(),
            safe(&c.detail)
        )?;
    }
    writeln!(out, "\n{} {}", r.tool.name, r.tool.version)?;
    Ok(())
}

/// The `record_recovered` findings (SPEC section 10), one block each: the record, its proof and
/// where it was found, then every member that differs from the current record side by side (a
/// deleted record, which has no current one, is shown whole). Nothing when there are none.
fn write_recovered(out: &mut impl Write, r: &Report, st: &Style) -> io::Result<()> {
    let recovered: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::RecordRecovered)
        .collect();
    if recovered.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nRecovered records:")?;
    for f in recovered {
        let proof = f.proof.map(|p| p.as_str()).unwrap_or("none");
        let painted = match proof {
            "chain" => st.paint("1;32", "proof chain"),
            other => st.paint("33", &format!("proof {other}")),
        };
        writeln!(
            out,
            "  {} seq {}: {painted}",
            safe(f.tenant_id.as_deref().unwrap_or("(none)")),
            f.seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
        )?;
        writeln!(
            out,
            "    found in {} at byte {} ({}){}",
            f.recovered_from.as_deref().unwrap_or("?"),
            f.offset.unwrap_or(0),
            safe(f.location.as_deref().unwrap_or("")),
            f.input
                .as_deref()
                .map(|i| format!(" of {}", safe(i)))
                .unwrap_or_default()
        )?;
        writeln!(out, "    {}", safe(&f.message))?;
        if let Some(c) = &f.computed {
            writeln!(out, "    recomputed hash: {}", safe(c))?;
        }
        if !f.fields.is_empty() {
            let width = f
                .fields
                .iter()
                .map(|d| d.field.chars().count())
                .max()
                .unwrap_or(0);
            let left = |d: &trailproof_core::finding::FieldDiff| {
                safe(d.left.as_deref().unwrap_or("(absent)"))
            };
            let lw = f
                .fields
                .iter()
                .map(|d| left(d).chars().count())
                .max()
                .unwrap_or(0)
                .max(7);
            writeln!(out, "    {:width$}  {:lw$}  recovered", "member", "current")?;
            for d in &f.fields {
                writeln!(
                    out,
                    "    {:width$}  {:lw$}  {}",
                    safe(&d.field),
                    left(d),
                    safe(d.right.as_deref().unwrap_or("(absent)"))
                )?;
            }
        } else if let Some(serde_json::Value::Object(m)) = &f.record {
            writeln!(out, "    no current record at this seq; recovered:")?;
            for (k, v) in m {
                writeln!(out, "      {}: {}", safe(k), safe(&v.to_string()))?;
            }
        }
    }
    Ok(())
}
