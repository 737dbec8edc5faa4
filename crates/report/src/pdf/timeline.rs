//! The timeline section of the PDF report: the timeline's summary, then its flagged events and
//! gaps (those the [`TimelineExcerpt`] lists, with a count of the rest).

use std::collections::BTreeMap;

use trailproof_core::timeline::model::{Event, Integrity, Kind};

use super::layout::Row;
use super::text::span;
use super::*;
use crate::TimelineExcerpt;

impl Writer {
    pub(super) fn timeline(&mut self, tl: &TimelineExcerpt) {
        let s = tl.summary();
        self.h2(
            &format!(
                "Timeline: flagged events and gaps ({} of {} events, {} gap(s))",
                tl.notable() as u64 - s.gaps,
                s.events,
                s.gaps
            ),
            "Timeline",
        );
        let join = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, n)| format!("{} {n}", v(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.meta(vec![
            (
                "Span",
                para(
                    format!(
                        "{} – {}",
                        o(s.first_timestamp.as_deref()),
                        o(s.last_timestamp.as_deref())
                    ),
                    mono(TABLE),
                ),
            ),
            ("Integrity", para(join(&s.integrity), sans(BODY))),
            (
                "Flags",
                para(
                    if s.flags.is_empty() {
                        "none".to_string()
                    } else {
                        join(&s.flags)
                    },
                    sans(BODY),
                ),
            ),
            (
                "Rules",
                para(
                    format!(
                        "denial burst: {} failures by one actor within {} minutes; off hours: {}",
                        s.burst_count,
                        s.burst_minutes,
                        v(&s.off_hours_rule)
                    ),
                    sans(BODY),
                ),
            ),
        ]);
        self.lay.gap(4.0);
        if tl.notable() == 0 {
            self.note("No flagged events and no gaps.");
            return;
        }
        let widths = [84.0, 42.0, 30.0, 66.0, 70.0, 50.0, 80.0, WIDTH - 422.0];
        let header = self.header(
            &widths,
            &[
                "Timestamp (UTC)",
                "Tenant",
                "Seq",
                "Action",
                "Actor",
                "Outcome",
                "Integrity",
                "Flags / findings",
            ],
        );
        let rows = tl.listed().map(|e| self.timeline_row(&widths, e)).collect();
        self.lay.table(header, rows);
        if tl.not_listed() > 0 {
            self.note(format!(
                "{} more flagged event(s) or gap(s) are not shown; trailproof timeline lists them all.",
                tl.not_listed()
            ));
        }
    }

    fn timeline_row(&self, widths: &[f32; 8], e: &Event) -> Row {
        let stamp = match e.timestamp.as_deref() {
            Some(t) if t.len() > 11 && t.is_char_boundary(11) => {
                vec![para(&t[..10], mono(HASH)), para(&t[11..], mono(HASH))]
            }
            other => vec![para(other.map(v).unwrap_or_default(), mono(HASH))],
        };
        let (ifg, ibg) = match e.integrity {
            Integrity::Verified => (OK, None),
            Integrity::Consistent | Integrity::OnlyInOneSource => (WARN, None),
            Integrity::Recovered => (FLAG, None),
            _ => (BAD, Some(BAD_BG)),
        };
        let mut integrity = vec![para(e.integrity.as_str(), sans(HASH).bold().color(ifg))];
        if !e.diverged_fields.is_empty() {
            integrity.push(para(tv(&e.diverged_fields.join(", ")), mono(HASH)));
        }
        // One flag or finding code per line: flags in blue, codes in the level's colour.
        let mut marks: Vec<Para> = e
            .flags
            .iter()
            .map(|f| para(f.as_str(), sans(HASH).color(FLAG)))
            .collect();
        marks.extend(e.findings.iter().map(|c| {
            let (_, color) = level_label(c.level());
            para(c.as_str(), mono(HASH).color(color))
        }));
        if e.kind == Kind::Gap {
            let last = e.seq_end.unwrap_or(e.seq);
            let seq = if last == e.seq {
                e.seq.to_string()
            } else {
                format!("{}..{last}", e.seq)
            };
            let what = format!(
                "{} record(s) deleted (missing from {})",
                last.saturating_sub(e.seq) + 1,
                tv(&e.sources.join(", "))
            );
            let span4: f32 = widths[3..6].iter().sum();
            let w = [widths[0], widths[1], widths[2], span4, widths[6], widths[7]];
            let cells = vec![
                c(stamp).fill(BAD_BG),
                c1(tv(&e.tenant_id), sans(TABLE)).fill(BAD_BG),
                c1(seq, sans(TABLE)).fill(BAD_BG),
                c1(what, sans(TABLE).bold().color(BAD)).fill(BAD_BG),
                c(integrity).fill(BAD_BG),
                c(marks).fill(BAD_BG),
            ];
            return self.row(&w, cells, true);
        }
        let mut actor = vec![para(to(e.actor_display.as_deref()), sans(TABLE))];
        if let Some(u) = &e.actor_user_id {
            let mut p = vec![span(tv(u), mono(HASH).color(MUTED))];
            if let Some(r) = &e.actor_role {
                p.push(span(" · ", sans(HASH).color(MUTED)));
                p.push(span(tv(r), mono(HASH).color(MUTED)));
            }
            actor.push(p);
        }
        let mut outcome = to(e.outcome.as_deref());
        if let Some(r) = &e.outcome_reason {
            outcome.push_str(&format!(" ({})", tv(r)));
        }
        let mut integrity_cell = c(integrity);
        if let Some(bg) = ibg {
            integrity_cell = integrity_cell.fill(bg);
        }
        self.row(
            widths,
            vec![
                c(stamp),
                c1(tv(&e.tenant_id), sans(TABLE)),
                c1(e.seq.to_string(), sans(TABLE)),
                c1(to(e.action.as_deref()), mono(HASH)),
                c(actor),
                c1(outcome, sans(TABLE)),
                integrity_cell,
                c(marks),
            ],
            true,
        )
    }
}
