//! The case section of the PDF report (`trailproof case report`): the rows of
//! [`crate::case_section`], laid out as the other sections are.

use trailproof_core::handover::CaseHandover;

use super::layout::PAD_X;
use super::*;
use crate::case_section::{CaseRows, ANALYST_COLUMNS, ANNOTATION_COLUMNS, EVIDENCE_COLUMNS};

impl Writer {
    pub(super) fn case(&mut self, case: &CaseHandover) {
        let rows = CaseRows::of(case);
        self.h2(&format!("Case {}", v(&case.number)), "Case");
        self.meta(
            rows.meta
                .iter()
                .map(|(label, value)| (*label, para(v(value), sans(BODY))))
                .collect(),
        );
        // Path, kind and size share the first cell, one per line, so the digest keeps one line.
        let hash_w = self.sh.width(&"0".repeat(64), mono(HASH)) + 2.0 * PAD_X + 1.0;
        let rest = WIDTH - hash_w;
        let evidence: Vec<[String; 5]> = rows
            .evidence
            .iter()
            .map(|[path, kind, size, sha, added, verdict, now]| {
                [
                    format!("{path}\n{kind}\n{size} bytes"),
                    sha.clone(),
                    added.clone(),
                    verdict.clone(),
                    now.clone(),
                ]
            })
            .collect();
        let columns = [
            "Path, kind, size",
            EVIDENCE_COLUMNS[3],
            EVIDENCE_COLUMNS[4],
            EVIDENCE_COLUMNS[5],
            EVIDENCE_COLUMNS[6],
        ];
        self.case_table(
            format!("Case evidence ({})", rows.evidence.len()),
            &columns,
            &[rest * 0.32, hash_w, rest * 0.26, rest * 0.16, rest * 0.26],
            &evidence.iter().map(|r| &r[..]).collect::<Vec<_>>(),
            Some(1),
        );
        self.case_table(
            format!("Annotated records ({})", rows.annotations.len()),
            &ANNOTATION_COLUMNS,
            &[60.0, 40.0, 90.0, 44.0, 90.0, WIDTH - 324.0],
            &rows.annotations.iter().map(|r| &r[..]).collect::<Vec<_>>(),
            None,
        );
        self.case_table(
            format!(
                "Analyst events ({}): recorded by the examiner, not evidence",
                rows.analyst_events.len()
            ),
            &ANALYST_COLUMNS,
            &[24.0, 110.0, 130.0, WIDTH - 354.0, 90.0],
            &rows
                .analyst_events
                .iter()
                .map(|r| &r[..])
                .collect::<Vec<_>>(),
            None,
        );
    }

    /// One table of the case section; `hash_column` is set in the monospace hash face.
    fn case_table(
        &mut self,
        title: String,
        columns: &[&str],
        widths: &[f32],
        body: &[&[String]],
        hash_column: Option<usize>,
    ) {
        self.h3(para(title.clone(), sans(BODY).bold()), title);
        if body.is_empty() {
            self.note("None.");
            return;
        }
        let header = self.header(widths, columns);
        let rows = body
            .iter()
            .map(|cells| {
                let content = cells
                    .iter()
                    .enumerate()
                    .map(|(i, text)| {
                        let style = if Some(i) == hash_column {
                            mono(HASH)
                        } else {
                            sans(TABLE)
                        };
                        c(text.split('\n').map(|l| para(v(l), style)).collect())
                    })
                    .collect();
                self.row(widths, content, true)
            })
            .collect();
        self.lay.table(header, rows);
    }
}
