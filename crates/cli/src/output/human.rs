//! The human summary of a report: the verdict first, then the inputs (chain of custody), what
//! anchors each chain, the incidents (root cause first, their dependent findings counted, not
//! listed), the findings that belong to no incident, and the checks that did not pass. With
//! `all_findings`, every finding is listed too, each naming its incident.

use std::io::{self, Write};

use std::collections::BTreeMap;

use trailproof_core::assurance::Assurance;
use trailproof_core::finding::{Code, Finding, Level, Status};
use trailproof_core::report::{count, Report, Verdict};

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

/// Writes the human summary of `r`; `all_findings` lists every finding, not only the roots of
/// incidents and the findings of none.
pub fn write_report(
    out: &mut impl Write,
    r: &Report,
    color: bool,
    all_findings: bool,
) -> io::Result<()> {
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
        "\n{}, {}, {} info; {} read",
        count(r.counts.errors, "error"),
        count(r.counts.warnings, "warning"),
        r.counts.info,
        count(r.counts.records as usize, "record")
    )?;
    writeln!(out, "\nInputs:")?;
    for i in &r.inputs {
        writeln!(
            out,
            "  {}  {}  {} bytes  sha256 {}  {}",
            safe(&i.path),
            i.kind,
            i.size,
            i.sha256,
            count(i.records as usize, "record")
        )?;
    }
    write_anchors(out, r, &st)?;
    write_incidents(out, r, &st)?;
    write_recovered(out, r, &st)?;
    let loose: Vec<&Finding> = r
        .findings
        .iter()
        // Recovered records have a section of their own (`write_recovered`).
        .filter(|f| f.code != Code::RecordRecovered)
        .filter(|f| all_findings || f.incident.is_none())
        .collect();
    if !loose.is_empty() {
        let title = if all_findings {
            "All findings"
        } else if r.incidents.is_empty() {
            "Findings"
        } else {
            "Findings outside any incident"
        };
        writeln!(out, "\n{title}:")?;
        let mut tenant: Option<Option<&str>> = None;
        for f in loose {
            let t = f.tenant_id.as_deref();
            if tenant != Some(t) {
                writeln!(out, "  tenant {}:", safe(t.unwrap_or("(none)")))?;
                tenant = Some(t);
            }
            write_finding(out, f, &st, "    ", None)?;
        }
    }
    let passed = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .count();
    writeln!(out, "\nChecks: {passed} of {} passed", r.checks.len())?;
    // Failed checks first, then those not possible.
    for status in [Status::Failed, Status::NotPossible] {
        for c in r.checks.iter().filter(|c| c.status == status) {
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
    }
    writeln!(out, "\n{}", r.tool.describe())?;
    Ok(())
}

/// What anchors each chain of each input: the commitments and how far they reach, or that
/// nothing does (its records are consistent, not verified).
fn write_anchors(out: &mut impl Write, r: &Report, st: &Style) -> io::Result<()> {
    if r.tenants.is_empty() {
        return Ok(());
    }
    let assurance = match r.assurance {
        Assurance::Anchored => st.paint("32", "anchored"),
        Assurance::PartlyAnchored => st.paint("33", "partly anchored"),
        Assurance::Unanchored => st.paint("33", "unanchored"),
    };
    writeln!(out, "\nAnchors ({assurance}):")?;
    for t in &r.tenants {
        let s = &t.summary;
        let reach = t.anchored_by.iter().map(|a| a.seq).max();
        let by = t
            .anchored_by
            .iter()
            .map(|a| format!("{} {} seq {}", safe(&a.input), a.kind.as_str(), a.seq))
            .collect::<Vec<_>>()
            .join(", ");
        let line = match reach {
            None => format!(
                "nothing anchors seq {}-{}: consistent, not verified",
                s.first_seq, s.last_seq
            ),
            Some(seq) if seq >= s.last_seq => {
                format!("seq {}-{} anchored by {by}", s.first_seq, s.last_seq)
            }
            Some(seq) => format!(
                "seq {}-{seq} anchored by {by}; seq {}-{} consistent, not verified",
                s.first_seq,
                seq + 1,
                s.last_seq
            ),
        };
        writeln!(
            out,
            "  {} in {}: {line}",
            safe(&s.tenant_id),
            safe(&t.input)
        )?;
    }
    Ok(())
}

/// The incidents: kind, tenant, seq range and explanation, the root finding in full, and the
/// dependent findings counted by code.
fn write_incidents(out: &mut impl Write, r: &Report, st: &Style) -> io::Result<()> {
    if r.incidents.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nIncidents:")?;
    for i in &r.incidents {
        let range = match (i.first_seq, i.last_seq) {
            (Some(a), Some(b)) if a != b => format!(" seq {a}-{b}"),
            (Some(a), _) => format!(" seq {a}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {}. {} {}{range}: {}",
            i.id,
            st.paint("1", i.kind.as_str()),
            safe(i.tenant_id.as_deref().unwrap_or("(no tenant)")),
            safe(&i.explanation)
        )?;
        if let Some(root) = r.findings.get(i.root) {
            write_finding(out, root, st, "     root: ", Some(&i.explanation))?;
        }
        if !i.dependents.is_empty() {
            let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
            for &d in &i.dependents {
                if let Some(f) = r.findings.get(d) {
                    *by_code.entry(f.code.as_str()).or_default() += 1;
                }
            }
            let codes = by_code
                .iter()
                .map(|(code, n)| format!("{n} {code}"))
                .collect::<Vec<_>>()
                .join(", ");
            let n = i.dependents.len();
            writeln!(
                out,
                "     and {} that {} from it ({codes}; --all-findings lists them)",
                count(n, "finding"),
                if n == 1 { "follows" } else { "follow" }
            )?;
        }
    }
    Ok(())
}

/// One finding: level, code, seq and message, then where, the stated and recomputed values and
/// the differing fields, indented under `lead`. Its message is left out when it is `said`
/// already (an incident explained by its root's own message), so nothing is read twice.
fn write_finding(
    out: &mut impl Write,
    f: &Finding,
    st: &Style,
    lead: &str,
    said: Option<&str>,
) -> io::Result<()> {
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
    // A root is printed under its incident already.
    let incident = match f.incident {
        Some(id) if !lead.contains("root") => format!(" [incident {id}]"),
        _ => String::new(),
    };
    if said == Some(f.message.as_str()) {
        writeln!(out, "{lead}{level} {} {seq}{incident}", f.code)?;
    } else {
        writeln!(
            out,
            "{lead}{level} {} {seq}: {}{incident}",
            f.code,
            safe(&f.message)
        )?;
    }
    let pad = " ".repeat(lead.chars().count() + 2);
    let mut place = Vec::new();
    if let Some(i) = &f.input {
        place.push(safe(i));
    }
    if let Some(l) = &f.location {
        place.push(safe(l));
    }
    if !place.is_empty() {
        writeln!(out, "{pad}at {}", place.join(", "))?;
    }
    // What the pages print against what the payload embeds is in the message, each value named
    // once; "stated / recomputed" would name them wrongly.
    if f.code == Code::VisibleTextMismatch {
        return Ok(());
    }
    if let (Some(e), Some(c)) = (&f.expected, &f.computed) {
        writeln!(out, "{pad}stated:     {}", safe(e))?;
        writeln!(out, "{pad}recomputed: {}", safe(c))?;
    }
    for d in &f.fields {
        writeln!(
            out,
            "{pad}{}: {} | {}",
            safe(&d.field),
            safe(d.left.as_deref().unwrap_or("(absent)")),
            safe(d.right.as_deref().unwrap_or("(absent)"))
        )?;
    }
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
            "    found in {} at {} ({}){}",
            f.recovered_from.as_deref().unwrap_or("?"),
            trailproof_core::recovery::found_at(
                f.recovered_from.as_deref().unwrap_or(""),
                f.offset.unwrap_or(0)
            ),
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
