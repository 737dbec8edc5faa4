//! Timelines exported from a case (`trailproof case export`): the evidence's events with what
//! the examiner said about each (starred, tags, notes), and the analyst events between them in
//! time order, each marked as the examiner's (`kind` `analyst_event`), never as evidence. Times
//! stay UTC in every format, and say so by their `Z`.
//!
//! Formats: Timesketch JSON Lines (its `tag` list carries the tags, `starred` when starred),
//! JSON Lines (each event's object with an `annotation` member), CSV (the timeline's columns
//! and `starred`, `tags`, `notes`). With `annotated_only`, only annotated events (and the
//! analyst events) are written.

use std::io::{self, Write};

use serde_json::{json, Value};
use trailproof_core::handover::{AnalystEvent, Annotation, CaseHandover};
use trailproof_core::time::normalize;
use trailproof_core::timeline::model::Event;
use trailproof_core::timeline::output::{csv, timesketch};

/// The formats a case exports its timeline in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Timesketch's JSON Lines import.
    Timesketch,
    /// One JSON object per line.
    Jsonl,
    /// RFC 4180 CSV.
    Csv,
}

/// The extra CSV columns of a case export.
pub const CSV_CASE_COLUMNS: [&str; 3] = ["starred", "tags", "notes"];

/// Writes the case's timeline: `events` in their order, the analyst events merged in by time.
pub fn write_timeline(
    events: impl Iterator<Item = io::Result<Event>>,
    case: &CaseHandover,
    format: ExportFormat,
    annotated_only: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == ExportFormat::Csv {
        let header: Vec<&str> = csv::CSV_COLUMNS
            .iter()
            .chain(&CSV_CASE_COLUMNS)
            .copied()
            .collect();
        csv::write_fields(&header, out)?;
    }
    let mut analyst: Vec<(i64, &AnalystEvent)> = case
        .analyst_events
        .iter()
        .map(|a| {
            (
                normalize(&a.time).map(|t| t.micros()).unwrap_or(i64::MIN),
                a,
            )
        })
        .collect();
    analyst.sort_by_key(|(micros, a)| (*micros, a.id));
    let mut pending = analyst.into_iter().peekable();
    for e in events {
        let e = e?;
        if let Some(m) = e.micros {
            while let Some((_, a)) = pending.next_if(|(am, _)| *am <= m) {
                write_analyst(a, case, format, out)?;
            }
        }
        let notes: Vec<&Annotation> = case
            .annotations
            .iter()
            .filter(|a| a.applies_to(&e.tenant_id, e.seq, &e.sources))
            .collect();
        if annotated_only && notes.is_empty() {
            continue;
        }
        write_event(&e, &notes, format, out)?;
    }
    for (_, a) in pending {
        write_analyst(a, case, format, out)?;
    }
    Ok(())
}

/// What the annotations of one event say: starred, tags (sorted, unique), notes.
fn merged(notes: &[&Annotation]) -> (bool, Vec<String>, Vec<String>) {
    let starred = notes.iter().any(|a| a.starred);
    let mut tags: Vec<String> = notes.iter().flat_map(|a| a.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    let texts = notes
        .iter()
        .flat_map(|a| &a.notes)
        .map(|n| n.text.clone())
        .collect();
    (starred, tags, texts)
}

fn write_event(
    e: &Event,
    notes: &[&Annotation],
    format: ExportFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (starred, tags, texts) = merged(notes);
    match format {
        ExportFormat::Timesketch => {
            let mut row = timesketch::row(e);
            let mut tag = tags.clone();
            if starred {
                tag.insert(0, "starred".into());
            }
            row["tag"] = json!(tag);
            row["starred"] = json!(starred);
            row["case_notes"] = json!(texts.join("\n"));
            line(&row, out)
        }
        ExportFormat::Jsonl => {
            let mut row = serde_json::to_value(e)?;
            if !notes.is_empty() {
                row["annotation"] = json!({"starred": starred, "tags": tags, "notes": texts});
            }
            line(&row, out)
        }
        ExportFormat::Csv => {
            let mut fields = csv::fields(e);
            fields.push(if starred { "yes" } else { "" }.into());
            fields.push(tags.join(";"));
            fields.push(texts.join("\n"));
            csv::write_fields(&fields, out)
        }
    }
}

fn write_analyst(
    a: &AnalystEvent,
    case: &CaseHandover,
    format: ExportFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let state = if a.withdrawn { " (withdrawn)" } else { "" };
    let message = format!(
        "[analyst event, recorded by the examiner{state}] {}",
        a.text
    );
    let micros = normalize(&a.time).map(|t| t.micros()).ok();
    match format {
        ExportFormat::Timesketch => {
            let datetime = micros.map(|m| {
                let canon = a.time.as_str();
                format!("{}.{:06}Z", &canon[..19], m.rem_euclid(1_000_000))
            });
            line(
                &json!({
                    "message": message,
                    "datetime": datetime,
                    "timestamp": micros,
                    "timestamp_desc": "Analyst Event",
                    "kind": "analyst_event",
                    "case_number": case.number,
                    "examiner": case.examiner_name,
                    "analyst_event": a.id,
                    "withdrawn": a.withdrawn,
                    "tag": ["analyst_event"],
                }),
                out,
            )
        }
        ExportFormat::Jsonl => line(
            &json!({
                "kind": "analyst_event",
                "analyst_event": a.id,
                "timestamp": a.time,
                "micros": micros,
                "text": a.text,
                "recorded": a.recorded,
                "withdrawn": a.withdrawn,
                "examiner": case.examiner_name,
            }),
            out,
        ),
        ExportFormat::Csv => {
            let mut fields = vec![String::new(); csv::CSV_COLUMNS.len() + CSV_CASE_COLUMNS.len()];
            let col = |name: &str| {
                csv::CSV_COLUMNS
                    .iter()
                    .position(|c| *c == name)
                    .expect("a timeline column")
            };
            fields[col("kind")] = "analyst_event".into();
            fields[col("timestamp")] = a.time.clone();
            fields[col("micros")] = micros.map(|m| m.to_string()).unwrap_or_default();
            fields[col("sources")] = format!("examiner:{}", case.examiner_name);
            fields[col("message")] = message;
            csv::write_fields(&fields, out)
        }
    }
}

fn line(v: &Value, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    writeln!(out)
}
