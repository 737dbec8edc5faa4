//! The sections of the PDF report that show the case: the verdict, the tool and command, the
//! inputs, the chains, the checks, the findings and the closing verdict rule.

use std::collections::BTreeMap;

use trailproof_core::finding::{Check, Code, Finding, Status};
use trailproof_core::report::{Report, Verdict};

use super::layout::{Row, BOTTOM, PAD_X, TOP, WIDTH};
use super::text::{clip, span};
use super::*;
use crate::command_line::shell_quote;

impl Writer {
    pub(super) fn title_and_verdict(&mut self, report: &Report) {
        self.lay.mark("Verdict".into(), 1);
        let mut r = self.block(vec![para(
            "Trailproof verification report",
            sans(17.0).bold(),
        )]);
        r.role = Role::Heading(1);
        self.lay.row(r);
        self.lay.gap(6.0);
        let (fg, bg) = verdict_colors(report.verdict);
        // Laid out 8 points narrower than the frame, then indented by 4.
        let mut r = self.row(
            &[WIDTH - 8.0],
            vec![c(vec![
                para(
                    report.verdict.as_str().to_uppercase(),
                    sans(28.0).bold().color(fg),
                ),
                para(v(&report.summary), sans(10.0)),
            ])
            .fill(bg)],
            false,
        );
        r.frame = Some((fg, 1.5));
        r.pad = 5.0;
        r.cells[0].w = WIDTH;
        for l in &mut r.cells[0].lines {
            for run in &mut l.runs {
                run.x += 4.0;
            }
        }
        self.lay.row(r);
        self.lay.gap(8.0);
    }

    pub(super) fn tool(&mut self, report: &Report, argv: &[String]) {
        let c = &report.counts;
        let command = argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        self.meta(vec![
            ("Tool", para(v(&report.tool.describe()), sans(BODY))),
            ("Report format", para(v(&report.format), sans(BODY))),
            ("Command", para(v(&command), mono(TABLE + 0.5))),
            ("Records read", para(c.records.to_string(), sans(BODY))),
            (
                "Findings",
                para(
                    format!(
                        "{} error(s), {} warning(s), {} info",
                        c.errors, c.warnings, c.info
                    ),
                    sans(BODY),
                ),
            ),
            (
                "Exit code",
                para(report.verdict.exit_code().to_string(), sans(BODY)),
            ),
        ]);
    }

    pub(super) fn inputs(&mut self, report: &Report) {
        self.h2(&format!("Inputs ({})", report.inputs.len()), "Inputs");
        // The SHA-256 column fits a whole digest on one line.
        let hash_w = self.sh.width(&"0".repeat(64), mono(HASH)) + 2.0 * PAD_X + 1.0;
        // Kind, size (up to 13 digits on one line), records.
        let fixed = [46.0, 60.0, 42.0];
        let path_w = WIDTH - hash_w - fixed.iter().sum::<f32>();
        let widths = [path_w, fixed[0], fixed[1], fixed[2], hash_w];
        let header = self.header(
            &widths,
            &["Path", "Kind", "Size (bytes)", "Records", "SHA-256"],
        );
        let rows = report
            .inputs
            .iter()
            .map(|i| {
                self.row(
                    &widths,
                    vec![
                        c1(v(&i.path), sans(TABLE)),
                        c1(v(&i.kind), sans(TABLE)),
                        c1(i.size.to_string(), sans(TABLE)),
                        c1(i.records.to_string(), sans(TABLE)),
                        c1(v(&i.sha256), mono(HASH)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    pub(super) fn chains(&mut self, report: &Report) {
        if report.tenants.is_empty() {
            return;
        }
        self.h2("Chains", "Chains");
        let widths = [122.0, 56.0, 38.0, 40.0, 124.0, WIDTH - 380.0];
        let header = self.header(
            &widths,
            &[
                "Input",
                "Tenant",
                "Records",
                "Seq",
                "First / last timestamp",
                "Head hash",
            ],
        );
        let rows = report
            .tenants
            .iter()
            .map(|t| {
                let s = &t.summary;
                self.row(
                    &widths,
                    vec![
                        c1(v(&t.input), sans(TABLE)),
                        c1(v(&s.tenant_id), sans(TABLE)),
                        c1(s.records.to_string(), sans(TABLE)),
                        c1(format!("{}..{}", s.first_seq, s.last_seq), sans(TABLE)),
                        c(vec![
                            para(o(s.first_timestamp.as_deref()), mono(HASH)),
                            para(o(s.last_timestamp.as_deref()), mono(HASH)),
                        ]),
                        c1(o(s.head_hash.as_deref()), mono(HASH)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    /// What anchors each chain: the commitments from other inputs, and the seqs nothing
    /// independent confirms (consistent, not verified), as the HTML report's "Anchored by".
    pub(super) fn anchors(&mut self, report: &Report) {
        if report.tenants.is_empty() {
            return;
        }
        self.h2(
            &format!("Anchors ({})", report.assurance.as_str().replace('_', " ")),
            "Anchors",
        );
        let widths = [140.0, 70.0, WIDTH - 210.0];
        let header = self.header(&widths, &["Input", "Tenant", "Anchored by"]);
        let rows = report
            .tenants
            .iter()
            .map(|t| {
                let s = &t.summary;
                let mut lines: Vec<String> = t
                    .anchored_by
                    .iter()
                    .map(|a| format!("{} ({} seq {})", a.input, a.kind.as_str(), a.seq))
                    .collect();
                let reach = t.anchored_by.iter().map(|a| a.seq).max();
                match reach {
                    None => lines.push(format!(
                        "nothing: seq {}..{} consistent, not verified",
                        s.first_seq, s.last_seq
                    )),
                    Some(seq) if seq < s.last_seq => lines.push(format!(
                        "seq {}..{} consistent, not verified",
                        seq + 1,
                        s.last_seq
                    )),
                    Some(_) => {}
                }
                self.row(
                    &widths,
                    vec![
                        c1(v(&t.input), sans(TABLE)),
                        c1(v(&s.tenant_id), sans(TABLE)),
                        c(lines.iter().map(|l| para(v(l), sans(TABLE))).collect()),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    /// The incidents, root cause first: the act, its seqs, the sentence that explains it, and
    /// how many findings follow from it (the full list is the Findings section).
    pub(super) fn incidents(&mut self, report: &Report) {
        if report.incidents.is_empty() {
            return;
        }
        self.h2(
            &format!("Incidents ({})", report.incidents.len()),
            "Incidents",
        );
        let widths = [20.0, 78.0, 56.0, 48.0, WIDTH - 302.0, 100.0];
        let header = self.header(&widths, &crate::incident_rows::INCIDENT_COLUMNS);
        let rows = crate::incident_rows::incident_rows(report)
            .into_iter()
            .map(|[id, kind, tenant, seqs, what, findings]| {
                self.row(
                    &widths,
                    vec![
                        c1(id, sans(TABLE)),
                        c1(kind, mono(TABLE)),
                        c1(v(&tenant), sans(TABLE)),
                        c1(seqs, sans(TABLE)),
                        c1(v(&what), sans(TABLE)),
                        c1(findings, sans(TABLE)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    /// The recovered records: each earlier version with its proof, its place and what differs
    /// from the current version (the whole record when nothing current holds its seq).
    pub(super) fn recovered(&mut self, report: &Report) {
        let rows = crate::recovered_rows::recovered_rows(report);
        if rows.is_empty() {
            return;
        }
        self.h2(
            &format!("Recovered records ({})", rows.len()),
            "Recovered records",
        );
        let widths = [70.0, 90.0, 110.0, WIDTH - 370.0, 100.0];
        let header = self.header(&widths, &crate::recovered_rows::RECOVERED_COLUMNS);
        let rows = rows
            .into_iter()
            .map(|[record, proof, place, differs, computed]| {
                self.row(
                    &widths,
                    vec![
                        c1(v(&record), sans(TABLE)),
                        c1(proof, sans(TABLE)),
                        c1(v(&place), sans(TABLE)),
                        c1(v(&differs), mono(TABLE)),
                        c1(computed, mono(TABLE)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    pub(super) fn checks(&mut self, report: &Report) {
        let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
        self.h2(
            &format!(
                "Checks ({} passed, {} failed, {} not possible)",
                count(Status::Passed),
                count(Status::Failed),
                count(Status::NotPossible)
            ),
            "Checks",
        );
        if report.checks.is_empty() {
            self.note("No checks.");
            return;
        }
        let widths = [52.0, 78.0, 120.0, 60.0, WIDTH - 310.0];
        let header = self.header(&widths, &["Status", "Check", "Input", "Tenant", "Detail"]);
        // Failed first, then not possible, then passed; the report's order within each.
        let mut checks: Vec<&Check> = report.checks.iter().collect();
        checks.sort_by_key(|c| match c.status {
            Status::Failed => 0,
            Status::NotPossible => 1,
            Status::Passed => 2,
        });
        let rows = checks
            .into_iter()
            .map(|k| {
                let (label, fg, bg) = status_label(k.status);
                self.row(
                    &widths,
                    vec![
                        c1(label, sans(TABLE).bold().color(fg)).fill(bg),
                        c1(v(&k.check), mono(TABLE)),
                        c1(o(k.input.as_deref()), sans(TABLE)),
                        c1(o(k.tenant_id.as_deref()), sans(TABLE)),
                        c1(v(&k.detail), sans(TABLE)),
                    ],
                    true,
                )
            })
            .collect();
        self.lay.table(header, rows);
    }

    pub(super) fn findings(&mut self, report: &Report) {
        let mut by_tenant: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
        for f in &report.findings {
            by_tenant.entry(f.tenant_id.as_deref()).or_default().push(f);
        }
        // Keep the section heading with the first tenant's heading and first finding.
        if let Some(first) = by_tenant.values().next().and_then(|fs| fs.first()) {
            let h: f32 = self.finding(first).iter().map(Row::height).sum();
            self.lay.need((h + 90.0).min(BOTTOM - TOP - 1.0));
        }
        self.h2(&format!("Findings ({})", report.findings.len()), "Findings");
        if report.findings.is_empty() {
            self.note("No findings.");
            return;
        }
        let mut drawn = 0;
        'tenants: for (tenant, fs) in &by_tenant {
            let (title, outline) = match tenant {
                Some(t) => (
                    vec![
                        span("Tenant ", sans(10.5).bold()),
                        span(v(t), sans(10.5).bold()),
                        span(
                            format!("  ({} finding(s))", fs.len()),
                            sans(BODY).color(MUTED),
                        ),
                    ],
                    format!("Tenant {}", clip(t, 60)),
                ),
                None => (
                    vec![span("Not tied to a tenant", sans(10.5).bold())],
                    "Not tied to a tenant".to_string(),
                ),
            };
            // Keep the heading with the tenant's first finding.
            if let Some(first) = fs.first() {
                let h: f32 = self.finding(first).iter().map(Row::height).sum();
                self.lay.need((h + 40.0).min(BOTTOM - TOP - 1.0));
            }
            self.h3(title, outline);
            for f in fs {
                if drawn == FINDING_ROWS {
                    break 'tenants;
                }
                drawn += 1;
                let rows = self.finding(f);
                self.lay.group(rows);
                self.lay.gap(5.0);
            }
        }
        if report.findings.len() > drawn {
            self.note(format!(
                "{} more finding(s) are not shown; the JSON report (trailproof verify --json) lists them all.",
                report.findings.len() - drawn
            ));
        }
    }

    /// The rows of one finding: its header line, message, values and field table.
    fn finding(&self, f: &Finding) -> Vec<Row> {
        let (lv, color) = level_label(f.level);
        let mut head = vec![
            span(lv.to_uppercase(), sans(BODY).bold().color(color)),
            span("   ", sans(BODY)),
            span(f.code.as_str(), mono(BODY + 0.5).bold()),
        ];
        if let Some(s) = seq_text(f) {
            head.push(span("   ", sans(BODY)));
            head.push(span(s, sans(BODY).bold()));
        }
        let mut place = Vec::new();
        if let Some(i) = &f.input {
            place.push(span("input ", sans(TABLE).color(MUTED)));
            place.push(span(v(i), sans(TABLE)));
        }
        if let Some(o) = &f.other_input {
            place.push(span(" vs ", sans(TABLE).color(MUTED)));
            place.push(span(v(o), sans(TABLE)));
        }
        if let Some(l) = &f.location {
            place.push(span("   at ", sans(TABLE).color(MUTED)));
            place.push(span(v(l), sans(TABLE)));
        }
        let mut paras = vec![head];
        if !place.is_empty() {
            paras.push(place);
        }
        let mut rows = vec![{
            let mut r = self.row(&[WIDTH], vec![c(paras).fill(HEAD_BG)], false);
            r.frame = Some((LINE, 0.5));
            r
        }];
        let mut msg = self.block(vec![para(v(&f.message), sans(BODY))]);
        msg.pad = 1.0;
        rows.push(msg);
        if f.expected.is_some() || f.computed.is_some() {
            let widths = [62.0, WIDTH - 62.0];
            for (k, val) in [("stated", &f.expected), ("recomputed", &f.computed)] {
                rows.push(self.row(
                    &widths,
                    vec![
                        c1(k, sans(TABLE).color(MUTED)),
                        c1(val.as_deref().map(v).unwrap_or_default(), mono(HASH + 0.5)),
                    ],
                    false,
                ));
            }
        }
        if !f.fields.is_empty() {
            let (left, right) = if f.code == Code::VisibleTextMismatch {
                (
                    format!(
                        "shown on the page of {}",
                        f.input.as_deref().map(v).unwrap_or_default()
                    ),
                    "embedded record".to_string(),
                )
            } else {
                (
                    f.input.as_deref().map(v).unwrap_or_else(|| "first".into()),
                    f.other_input
                        .as_deref()
                        .map(v)
                        .unwrap_or_else(|| "second".into()),
                )
            };
            let half = (WIDTH - 90.0) / 2.0;
            let widths = [90.0, half, half];
            rows.push(self.row(
                &widths,
                vec![
                    c1("Field", sans(TABLE).bold()).fill(HEAD_BG),
                    c1(left, sans(TABLE).bold()).fill(HEAD_BG),
                    c1(right, sans(TABLE).bold()).fill(HEAD_BG),
                ],
                true,
            ));
            for d in &f.fields {
                let val = |x: &Option<String>| match x {
                    Some(s) => para(v(s), mono(TABLE)),
                    None => para("(absent)", sans(TABLE).color(MUTED)),
                };
                rows.push(self.row(
                    &widths,
                    vec![
                        c1(v(&d.field), mono(TABLE)),
                        c(vec![val(&d.left)]).fill(BAD_BG),
                        c(vec![val(&d.right)]).fill(OK_BG),
                    ],
                    true,
                ));
            }
        }
        rows
    }

    pub(super) fn closing(&mut self, report: &Report) {
        self.lay.gap(14.0);
        let rule = match report.verdict {
            Verdict::Tampered => "an error finding stands",
            Verdict::Inconclusive => "no error, but a check could not be made",
            Verdict::Intact => "no error finding and every check possible",
        };
        self.note(format!(
            "Written by {} ({}). Its only date is the document date PDF/A requires (in the \
             document properties): the same inputs, command and date give the same bytes. \
             Verdict rule: AEF/1 section 9 ({rule}).",
            v(&report.tool.describe()),
            v(&report.format),
        ));
    }
}
