//! The HTML report: one self-contained page, for a case file.
//!
//! Invariants:
//! * self-contained: inline CSS only, no script, no external asset, no link that fetches
//!   anything; it renders the same offline;
//! * every value that comes from evidence or from the command line (paths, tenants, messages,
//!   field values, hashes) passes through [`escape`]; markup is only ever written from literals;
//! * deterministic: the output is a function of the report, the timeline and the command line
//!   given; no clock, no locale, no time zone, no hash-map order.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use trailproof_core::finding::{Code, Finding, Level, Status};
use trailproof_core::report::{Report, Verdict};
use trailproof_core::timeline::model::{Integrity, Kind};

use crate::command_line::shell_quote;
use crate::TimelineExcerpt;

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--ok:#1a7f37;--bad:#b42318;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 12px}
h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td{overflow-wrap:anywhere}
td.nw,th.nw{white-space:nowrap;overflow-wrap:normal}
td.kw{overflow-wrap:normal}
.verdict{border-radius:8px;padding:14px 18px;margin-bottom:16px;border:2px solid}
.verdict .word{font-size:24px;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.v-intact{border-color:var(--ok);background:#dafbe1}.v-intact .word{color:var(--ok)}
.v-tampered{border-color:var(--bad);background:#ffebe9}.v-tampered .word{color:var(--bad)}
.v-inconclusive{border-color:var(--warn);background:#fff8c5}.v-inconclusive .word{color:var(--warn)}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;white-space:nowrap}
.s-passed,.l-info,.i-verified{background:#dafbe1;color:var(--ok)}
.s-failed,.l-error,.i-bad{background:#ffebe9;color:var(--bad)}
.s-not_possible,.l-warning,.i-warn{background:#fff8c5;color:var(--warn)}
.i-recovered{background:#ddf4ff;color:#0550ae}
.flag{display:inline-block;white-space:nowrap;background:#ddf4ff;color:#0550ae;border-radius:10px;padding:0 7px;font-size:12px;margin:1px 2px 1px 0}
.gap td{background:#ffebe9;font-style:italic}
.muted{color:var(--muted)}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
.diff td.l{background:#ffebe9}.diff td.r{background:#dafbe1}
.diff{width:auto;min-width:60%}
footer{margin-top:32px;color:var(--muted);font-size:12px}
"#;

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::NotPossible => "not_possible",
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::NotPossible => "not possible",
    }
}

fn level_str(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "info",
    }
}

fn opt(v: Option<&str>) -> String {
    v.map(escape).unwrap_or_default()
}

/// An escaped path that may wrap after each `/`.
fn path(s: &str) -> String {
    escape(s).replace('/', "/<wbr>")
}

fn opt_path(v: Option<&str>) -> String {
    v.map(path).unwrap_or_default()
}

fn seq_text(f: &Finding) -> String {
    match (f.seq, f.seq_end) {
        (Some(s), Some(e)) if e != s => format!("{s}..{e}"),
        (Some(s), _) => s.to_string(),
        _ => String::new(),
    }
}

/// Renders the report. `timeline`, when given, adds its flagged events and gaps; `argv` is the
/// exact command line (program name first).
pub(crate) fn render(
    report: &Report,
    timeline: Option<&TimelineExcerpt>,
    argv: &[String],
) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let v = report.verdict.as_str();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Trailproof verification report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(v)
    );
    let _ = writeln!(h, "<h1>Trailproof verification report</h1>");
    let _ = writeln!(
        h,
        "<div class=\"verdict v-{v}\"><div class=\"word\">{}</div><div>{}</div></div>",
        escape(v),
        escape(&report.summary)
    );
    let c = &report.counts;
    let command = argv
        .iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(
        h,
        "<dl class=\"meta\"><dt>Tool</dt><dd>{}</dd><dt>Report format</dt><dd>{}</dd>\
         <dt>Command</dt><dd><code>{}</code></dd><dt>Records read</dt><dd>{}</dd>\
         <dt>Findings</dt><dd>{} error(s), {} warning(s), {} info</dd>\
         <dt>Assurance</dt><dd>{}</dd><dt>Exit code</dt><dd>{}</dd></dl>",
        escape(&report.tool.describe()),
        escape(&report.format),
        escape(&command),
        c.records,
        c.errors,
        c.warnings,
        c.info,
        escape(&report.assurance.as_str().replace('_', " ")),
        report.verdict.exit_code()
    );

    if let Some(case) = &report.case {
        write_case(&mut h, case);
    }

    // Inputs.
    let _ = writeln!(h, "<h2>Inputs ({})</h2>", report.inputs.len());
    h.push_str("<table><tr><th>Path</th><th>Kind</th><th>Size (bytes)</th><th>Records</th><th>SHA-256</th></tr>\n");
    for i in &report.inputs {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"hash\">{}</td></tr>",
            path(&i.path),
            escape(&i.kind),
            i.size,
            i.records,
            escape(&i.sha256)
        );
    }
    h.push_str("</table>\n");

    // Chains.
    if !report.tenants.is_empty() {
        let _ = writeln!(h, "<h2>Chains</h2>");
        h.push_str("<table><tr><th>Input</th><th>Tenant</th><th>Records</th><th>Seq</th><th>First / last timestamp</th><th>Head hash</th><th>Anchored by</th></tr>\n");
        for t in &report.tenants {
            let s = &t.summary;
            let reach = t.anchored_by.iter().map(|a| a.seq).max();
            let anchored = if t.anchored_by.is_empty() {
                format!(
                    "<span class=\"badge s-not_possible\">nothing</span> seq {}..{} consistent, not verified",
                    s.first_seq, s.last_seq
                )
            } else {
                let mut by = t
                    .anchored_by
                    .iter()
                    .map(|a| format!("{} ({} seq {})", path(&a.input), a.kind.as_str(), a.seq))
                    .collect::<Vec<_>>()
                    .join("<br>");
                if let Some(seq) = reach.filter(|&seq| seq < s.last_seq) {
                    let _ = write!(
                        by,
                        "<br>seq {}..{} consistent, not verified",
                        seq + 1,
                        s.last_seq
                    );
                }
                by
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"nw\">{}..{}</td><td class=\"mono nw\">{}<br>{}</td><td class=\"hash\">{}</td><td>{}</td></tr>",
                path(&t.input),
                escape(&s.tenant_id),
                s.records,
                s.first_seq,
                s.last_seq,
                opt(s.first_timestamp.as_deref()),
                opt(s.last_timestamp.as_deref()),
                opt(s.head_hash.as_deref()),
                anchored
            );
        }
        h.push_str("</table>\n");
    }

    // Incidents: the act first, its findings counted.
    if !report.incidents.is_empty() {
        let _ = writeln!(h, "<h2>Incidents ({})</h2>", report.incidents.len());
        h.push_str("<table><tr>");
        for c in crate::incident_rows::INCIDENT_COLUMNS {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr>\n");
        for [id, kind, tenant, seqs, what, findings] in crate::incident_rows::incident_rows(report)
        {
            let _ = writeln!(
                h,
                "<tr><td>{id}</td><td class=\"mono nw\">{}</td><td>{}</td><td class=\"nw\">{seqs}</td><td>{}</td><td>{}</td></tr>",
                escape(&kind),
                escape(&tenant),
                escape(&what),
                escape(&findings)
            );
        }
        h.push_str("</table>\n");
    }

    // Recovered records: each earlier version beside the current one, with its proof.
    let recovered = crate::recovered_rows::recovered_rows(report);
    if !recovered.is_empty() {
        let _ = writeln!(h, "<h2>Recovered records ({})</h2>", recovered.len());
        h.push_str("<table><tr>");
        for c in crate::recovered_rows::RECOVERED_COLUMNS {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr>\n");
        for [record, proof, place, differs, computed] in recovered {
            let _ = writeln!(
                h,
                "<tr><td class=\"nw\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                escape(&record),
                escape(&proof),
                escape(&place),
                escape(&differs),
                escape(&computed)
            );
        }
        h.push_str("</table>\n");
    }

    // Checks.
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        h,
        "<h2>Checks ({} passed, {} failed, {} not possible)</h2>",
        count(Status::Passed),
        count(Status::Failed),
        count(Status::NotPossible)
    );
    h.push_str("<table><tr><th>Status</th><th>Check</th><th>Input</th><th>Tenant</th><th>Detail</th></tr>\n");
    // Failed first, then not possible, then passed; the report's order within each.
    let mut checks: Vec<_> = report.checks.iter().collect();
    checks.sort_by_key(|c| match c.status {
        Status::Failed => 0,
        Status::NotPossible => 1,
        Status::Passed => 2,
    });
    for k in checks {
        let _ = writeln!(
            h,
            "<tr><td><span class=\"badge s-{}\">{}</span></td><td class=\"mono nw\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            status_str(k.status),
            status_label(k.status),
            escape(&k.check),
            opt_path(k.input.as_deref()),
            opt(k.tenant_id.as_deref()),
            escape(&k.detail)
        );
    }
    h.push_str("</table>\n");

    // Findings by tenant.
    let _ = writeln!(h, "<h2>Findings ({})</h2>", report.findings.len());
    if report.findings.is_empty() {
        h.push_str("<p class=\"muted\">No findings.</p>\n");
    }
    let mut by_tenant: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_tenant.entry(f.tenant_id.as_deref()).or_default().push(f);
    }
    for (tenant, fs) in &by_tenant {
        let _ = writeln!(
            h,
            "<h3>{}</h3>",
            match tenant {
                Some(t) => format!("Tenant {}", escape(t)),
                None => "Not tied to a tenant".to_string(),
            }
        );
        h.push_str("<table><tr><th>Level</th><th>Code</th><th>Seq</th><th>Input</th><th>Location</th><th>Message</th></tr>\n");
        for f in fs {
            let mut inputs = opt_path(f.input.as_deref());
            if let Some(o) = &f.other_input {
                let _ = write!(inputs, "<br><span class=\"muted\">vs</span> {}", path(o));
            }
            let _ = write!(
                h,
                "<tr><td><span class=\"badge l-{lv}\">{lv}</span></td><td class=\"mono nw\">{}</td><td class=\"nw\">{}</td><td>{inputs}</td><td>{}</td><td>{}",
                escape(f.code.as_str()),
                escape(&seq_text(f)),
                opt(f.location.as_deref()),
                escape(&f.message),
                lv = level_str(f.level),
            );
            if f.expected.is_some() || f.computed.is_some() {
                let _ = write!(
                    h,
                    "<dl class=\"meta\"><dt>stated</dt><dd class=\"hash\">{}</dd><dt>recomputed</dt><dd class=\"hash\">{}</dd></dl>",
                    opt(f.expected.as_deref()),
                    opt(f.computed.as_deref())
                );
            }
            if !f.fields.is_empty() {
                let (left, right) = if f.code == Code::VisibleTextMismatch {
                    (
                        format!("shown on the page of {}", opt_path(f.input.as_deref())),
                        "embedded record".to_string(),
                    )
                } else {
                    (
                        f.input
                            .as_deref()
                            .map(path)
                            .unwrap_or_else(|| "first".into()),
                        f.other_input
                            .as_deref()
                            .map(path)
                            .unwrap_or_else(|| "second".into()),
                    )
                };
                let _ = write!(
                    h,
                    "<table class=\"diff\"><tr><th>Field</th><th>{left}</th><th>{right}</th></tr>"
                );
                for d in &f.fields {
                    let _ = write!(
                        h,
                        "<tr><td class=\"mono nw\">{}</td><td class=\"l mono\">{}</td><td class=\"r mono\">{}</td></tr>",
                        escape(&d.field),
                        d.left.as_deref().map(escape).unwrap_or_else(|| "<span class=\"muted\">(absent)</span>".into()),
                        d.right.as_deref().map(escape).unwrap_or_else(|| "<span class=\"muted\">(absent)</span>".into())
                    );
                }
                h.push_str("</table>");
            }
            h.push_str("</td></tr>\n");
        }
        h.push_str("</table>\n");
    }

    if let Some(tl) = timeline {
        write_timeline(&mut h, tl);
    }

    let _ = writeln!(
        h,
        "<footer>Written by {} ({}). The report holds no date of its own: the same inputs and \
         command give the same bytes. Verdict rule: AEF/1 section 9 ({}).</footer>\n</body>\n</html>",
        escape(&report.tool.describe()),
        escape(&report.format),
        match report.verdict {
            Verdict::Tampered => "an error finding stands",
            Verdict::Inconclusive => "no error, but a check could not be made",
            Verdict::Intact => "no error finding and every check possible",
        }
    );
    h
}

/// A canonical timestamp on two lines: date, then time.
/// The case section (`trailproof case report`): the same rows the PDF shows.
fn write_case(h: &mut String, case: &trailproof_core::handover::CaseHandover) {
    use crate::case_section::{CaseRows, ANALYST_COLUMNS, ANNOTATION_COLUMNS, EVIDENCE_COLUMNS};
    let rows = CaseRows::of(case);
    let _ = writeln!(h, "<h2>Case {}</h2>", escape(&case.number));
    h.push_str("<dl class=\"meta\">");
    for (label, value) in &rows.meta {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
    }
    h.push_str("</dl>\n");
    let evidence: Vec<&[String]> = rows.evidence.iter().map(|r| &r[..]).collect();
    let title = format!("Case evidence ({})", rows.evidence.len());
    case_table(h, &title, &EVIDENCE_COLUMNS, &evidence);
    let annotations: Vec<&[String]> = rows.annotations.iter().map(|r| &r[..]).collect();
    let title = format!("Annotated records ({})", rows.annotations.len());
    case_table(h, &title, &ANNOTATION_COLUMNS, &annotations);
    let analyst: Vec<&[String]> = rows.analyst_events.iter().map(|r| &r[..]).collect();
    let title = format!(
        "Analyst events ({}): recorded by the examiner, not evidence",
        rows.analyst_events.len()
    );
    case_table(h, &title, &ANALYST_COLUMNS, &analyst);
}

/// One table of the case section (every cell escaped; line breaks kept).
fn case_table(h: &mut String, title: &str, columns: &[&str], body: &[&[String]]) {
    let _ = writeln!(h, "<h3>{}</h3>", escape(title));
    if body.is_empty() {
        h.push_str("<p class=\"muted\">None.</p>\n");
        return;
    }
    h.push_str("<table><tr>");
    for c in columns {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    for row in body {
        h.push_str("<tr>");
        for cell in *row {
            let _ = write!(h, "<td>{}</td>", escape(cell).replace('\n', "<br>"));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn stamp(ts: Option<&str>) -> String {
    match ts {
        Some(t) if t.len() > 11 && t.is_char_boundary(11) => {
            format!("{}<br>{}", escape(&t[..10]), escape(&t[11..]))
        }
        other => opt(other),
    }
}

fn integrity_class(i: Integrity) -> &'static str {
    match i {
        Integrity::Verified => "i-verified",
        Integrity::Consistent | Integrity::OnlyInOneSource => "i-warn",
        Integrity::Recovered => "i-recovered",
        _ => "i-bad",
    }
}

fn write_timeline(h: &mut String, tl: &TimelineExcerpt) {
    let s = tl.summary();
    let _ = writeln!(
        h,
        "<h2>Timeline: flagged events and gaps ({} of {} events, {} gap(s))</h2>",
        tl.notable() - s.gaps as usize,
        s.events,
        s.gaps
    );
    let join = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{} {v}", escape(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        h,
        "<dl class=\"meta\"><dt>Span</dt><dd class=\"mono\">{} &ndash; {}</dd><dt>Integrity</dt><dd>{}</dd>\
         <dt>Flags</dt><dd>{}</dd><dt>Rules</dt><dd>denial burst: {} failures by one actor within {} minutes; off hours: {}</dd></dl>",
        opt(s.first_timestamp.as_deref()),
        opt(s.last_timestamp.as_deref()),
        join(&s.integrity),
        if s.flags.is_empty() { "none".to_string() } else { join(&s.flags) },
        s.burst_count,
        s.burst_minutes,
        escape(&s.off_hours_rule)
    );
    if tl.notable() == 0 {
        h.push_str("<p class=\"muted\">No flagged events and no gaps.</p>\n");
        return;
    }
    h.push_str("<table><tr><th>Timestamp (UTC)</th><th>Tenant</th><th>Seq</th><th>Action</th><th>Actor</th><th>Outcome</th><th>Integrity</th><th>Flags</th><th>Findings</th></tr>\n");
    for e in tl.listed() {
        let integrity = format!(
            "<span class=\"badge {}\">{}</span>{}",
            integrity_class(e.integrity),
            e.integrity.as_str(),
            if e.diverged_fields.is_empty() {
                String::new()
            } else {
                format!(
                    "<br><span class=\"mono\">{}</span>",
                    escape(&e.diverged_fields.join(", "))
                )
            }
        );
        let flags: String = e
            .flags
            .iter()
            .map(|f| format!("<span class=\"flag\">{}</span>", f.as_str()))
            .collect();
        let findings = e
            .findings
            .iter()
            .map(|c| c.as_str().replace('_', "_<wbr>"))
            .collect::<Vec<_>>()
            .join(", ");
        if e.kind == Kind::Gap {
            let last = e.seq_end.unwrap_or(e.seq);
            let _ = writeln!(
                h,
                "<tr class=\"gap\"><td class=\"mono nw\">{}</td><td>{}</td><td class=\"nw\">{}</td><td colspan=\"3\">{} record(s) deleted (missing from {})</td><td>{integrity}</td><td></td><td class=\"mono kw\">{}</td></tr>",
                stamp(e.timestamp.as_deref()),
                escape(&e.tenant_id),
                if last == e.seq {
                    e.seq.to_string()
                } else {
                    format!("{}..{last}", e.seq)
                },
                last.saturating_sub(e.seq) + 1,
                e.sources.iter().map(|p| path(p)).collect::<Vec<_>>().join(", "),
                findings
            );
            continue;
        }
        let mut actor = opt(e.actor_display.as_deref());
        if let Some(u) = &e.actor_user_id {
            let _ = write!(actor, "<br><span class=\"muted mono\">{}", escape(u));
            if let Some(r) = &e.actor_role {
                let _ = write!(actor, " &middot; {}", escape(r));
            }
            actor.push_str("</span>");
        }
        let mut outcome = opt(e.outcome.as_deref());
        if let Some(r) = &e.outcome_reason {
            let _ = write!(outcome, " ({})", escape(r));
        }
        let _ = writeln!(
            h,
            "<tr><td class=\"mono nw\">{}</td><td>{}</td><td class=\"nw\">{}</td><td class=\"mono kw\">{}</td><td class=\"kw\">{actor}</td><td class=\"kw\">{outcome}</td><td class=\"kw\">{integrity}</td><td>{flags}</td><td class=\"mono kw\">{}</td></tr>",
            stamp(e.timestamp.as_deref()),
            escape(&e.tenant_id),
            e.seq,
            opt(e.action.as_deref()).replace('.', ".<wbr>"),
            findings
        );
    }
    h.push_str("</table>\n");
    if tl.not_listed() > 0 {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{} more flagged event(s) or gap(s) are not shown; <code>trailproof timeline</code> lists them all.</p>",
            tl.not_listed()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(escape("a&b \"c\" 'd'"), "a&amp;b &quot;c&quot; &#39;d&#39;");
        assert_eq!(escape("Zoë Müller"), "Zoë Müller");
    }
}
