//! The output formats of a timeline, one writer each: [`json`] (one document), [`jsonl`] (one
//! event per line), [`csv`] (RFC 4180) and [`timesketch`] (Timesketch's JSON Lines import).
//!
//! Invariants: [`write()`] and [`write_stream`] write the same bytes for the same case (the stream
//! in flat memory); an entry is described for people the same way in every format that carries a
//! message ([`message`]).

pub mod csv;
pub mod json;
pub mod jsonl;
pub mod timesketch;

use std::io::{self, Write};

use super::model::{Event, Integrity, Kind, Timeline};
use super::prefetch::with_prefetch;
use super::stream::Stream;

/// Output formats of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON document: the events, then the summary.
    Json,
    /// One event per line.
    Jsonl,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// Timesketch's JSON Lines import.
    Timesketch,
}

impl Format {
    /// The format named `json`, `jsonl`, `csv` or `timesketch`.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "csv" => Format::Csv,
            "timesketch" => Format::Timesketch,
            _ => return None,
        })
    }
}

/// Writes a timeline in `format`.
pub fn write(tl: &Timeline, format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        return json::write(tl, out);
    }
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    write_header(format, &mut w)?;
    let mut line = Vec::new();
    for e in &tl.events {
        write_line(e, format, &mut line, &mut w)?;
    }
    w.flush()
}

/// Writes the events of `stream` in `format` as they come, in flat memory: the same bytes
/// [`write()`] writes for the [`Timeline`] of the same case (JSON puts the summary after the
/// events, so it is complete when written).
pub fn write_stream(stream: &mut Stream, format: Format, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        return json::write_stream(stream, out);
    }
    // Serializers write an event in many small pieces: a buffer they reach without a virtual
    // call holds them, and `out` gets whole blocks.
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    write_header(format, &mut w)?;
    let mut line = Vec::new();
    // One event, refilled (its strings reused from event to event), read ahead on a thread of
    // its own while this one writes.
    let mut e = Event::new(Kind::Event, String::new(), 0, Integrity::Verified);
    with_prefetch(stream, |next| -> io::Result<()> {
        while next(&mut e)? {
            write_line(&e, format, &mut line, &mut w)?;
        }
        Ok(())
    })?;
    w.flush()
}

fn write_header<W: Write>(format: Format, out: &mut W) -> io::Result<()> {
    if format == Format::Csv {
        csv::write_header(out)?;
    }
    Ok(())
}

/// One event in a line format (JSON Lines, CSV, Timesketch); `line` is a buffer kept from
/// line to line.
fn write_line<W: Write>(
    e: &Event,
    format: Format,
    line: &mut Vec<u8>,
    out: &mut W,
) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            line.clear();
            jsonl::write_line(e, line);
            out.write_all(line)
        }
        Format::Csv => csv::write_row(e, out),
        Format::Timesketch => timesketch::write_event(e, out),
    }
}

/// The strings of `v` joined by `sep`.
pub(super) fn join<T: AsRef<str>>(v: &[T], sep: &str) -> String {
    v.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(sep)
}

/// The names of an entry's flags, in order.
pub(super) fn flag_names(e: &Event) -> Vec<&'static str> {
    e.flags.iter().map(|f| f.as_str()).collect()
}

/// The codes of an entry's findings, in order.
pub(super) fn code_names(e: &Event) -> Vec<&'static str> {
    e.findings.iter().map(|c| c.as_str()).collect()
}

/// A one-line human description of an entry.
pub fn message(e: &Event) -> String {
    let d = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let mut m = match e.kind {
        Kind::Gap => {
            let last = e.seq_end.unwrap_or(e.seq);
            format!(
                "{} seq {}..{}: {} record(s) deleted",
                e.tenant_id,
                e.seq,
                last,
                last.saturating_sub(e.seq) + 1
            )
        }
        Kind::Event => {
            let mut m = format!(
                "{} seq {}: {} by {} ({}) {}",
                e.tenant_id,
                e.seq,
                d(&e.action),
                d(&e.actor_display),
                d(&e.actor_role),
                d(&e.outcome)
            );
            if let Some(r) = &e.outcome_reason {
                m.push_str(&format!(" ({r})"));
            }
            if let Some(r) = e.resource_display.as_ref().or(e.resource_id.as_ref()) {
                m.push_str(&format!(" on {r}"));
            }
            m
        }
    };
    m.push_str(&format!(" [{}]", e.integrity.as_str()));
    if !e.flags.is_empty() {
        m.push_str(&format!(" flags: {}", join(&flag_names(e), ", ")));
    }
    m
}
