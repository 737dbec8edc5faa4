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
    {
        let mut hand = written_to(out);
        let mut blocks = Blocks::new(&mut hand);
        write_header(format, &mut blocks)?;
        for e in &tl.events {
            blocks.line(e, format)?;
        }
        blocks.hand_on()?;
    }
    out.flush()
}

/// Writes the events of `stream` in `format` as they come, in flat memory: the same bytes
/// [`write()`] writes for the [`Timeline`] of the same case (JSON puts the summary after the
/// events, so it is complete when written).
pub fn write_stream(stream: &mut Stream, format: Format, out: &mut dyn Write) -> io::Result<()> {
    write_stream_blocks(stream, format, &mut written_to(out))?;
    out.flush()
}

/// A `hand` ([`write_stream_blocks`]) that writes each block to `out` and gives it back.
fn written_to(out: &mut dyn Write) -> impl FnMut(Vec<u8>) -> io::Result<Vec<u8>> + '_ {
    move |mut block| {
        out.write_all(&block)?;
        block.clear();
        Ok(block)
    }
}

/// Bytes gathered before they are handed on (a line may take a block a little past it).
pub const BLOCK: usize = 1 << 20;

/// [`write_stream`] in blocks of about [`BLOCK`] bytes: each full block is handed to `hand`,
/// which takes it and gives a buffer to fill next (the one it took, emptied, or another), so a
/// writer on another thread gets the bytes without one more copy. The same bytes, in order.
pub fn write_stream_blocks(
    stream: &mut Stream,
    format: Format,
    hand: &mut dyn FnMut(Vec<u8>) -> io::Result<Vec<u8>>,
) -> io::Result<()> {
    let mut blocks = Blocks::new(hand);
    if format == Format::Json {
        json::write_stream(stream, &mut blocks)?;
        return blocks.hand_on();
    }
    write_header(format, &mut blocks)?;
    // One event, refilled (its strings reused from event to event), read ahead on a thread of
    // its own while this one writes each line straight into the block.
    let mut e = Event::new(Kind::Event, String::new(), 0, Integrity::Verified);
    with_prefetch(stream, |next| -> io::Result<()> {
        while next(&mut e)? {
            blocks.line(&e, format)?;
        }
        Ok(())
    })?;
    blocks.hand_on()
}

/// Room past [`BLOCK`] for the line that fills a block.
const SLACK: usize = 64 << 10;

/// A block being filled, and where it goes when full.
struct Blocks<'a> {
    buf: Vec<u8>,
    hand: &'a mut dyn FnMut(Vec<u8>) -> io::Result<Vec<u8>>,
}

impl<'a> Blocks<'a> {
    fn new(hand: &'a mut dyn FnMut(Vec<u8>) -> io::Result<Vec<u8>>) -> Blocks<'a> {
        Blocks {
            buf: Vec::with_capacity(BLOCK + SLACK),
            hand,
        }
    }

    /// Appends one event in a line format, straight into the block.
    fn line(&mut self, e: &Event, format: Format) -> io::Result<()> {
        write_line(e, format, &mut self.buf)?;
        self.full()
    }

    /// Hands the block on once it holds [`BLOCK`] bytes.
    fn full(&mut self) -> io::Result<()> {
        if self.buf.len() >= BLOCK {
            self.hand_on()?;
        }
        Ok(())
    }

    /// Hands on what the block holds, if anything.
    fn hand_on(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut next = (self.hand)(std::mem::take(&mut self.buf))?;
        next.clear();
        next.reserve(BLOCK + SLACK);
        self.buf = next;
        Ok(())
    }
}

impl Write for Blocks<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.full()?;
        Ok(data.len())
    }

    /// Blocks are handed on when full and at the end, not at a flush in between.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn write_header<W: Write>(format: Format, out: &mut W) -> io::Result<()> {
    if format == Format::Csv {
        csv::write_header(out)?;
    }
    Ok(())
}

/// Appends one event in a line format (JSON Lines, CSV, Timesketch) to `out`.
fn write_line(e: &Event, format: Format, out: &mut Vec<u8>) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl => {
            jsonl::write_line(e, out);
            Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_handed_on_full_in_order_and_reused() {
        let mut handed: Vec<Vec<u8>> = Vec::new();
        let mut expected = Vec::new();
        let mut reused = 0;
        let mut hand = |block: Vec<u8>| -> io::Result<Vec<u8>> {
            handed.push(block.clone());
            Ok(block)
        };
        let mut blocks = Blocks::new(&mut hand);
        for i in 0..9000usize {
            let piece: Vec<u8> = (0..(i * 53) % 900).map(|k| (k ^ i) as u8).collect();
            let before = blocks.buf.as_ptr();
            blocks.write_all(&piece).unwrap();
            expected.extend_from_slice(&piece);
            reused += usize::from(
                !piece.is_empty() && blocks.buf.is_empty() && blocks.buf.as_ptr() == before,
            );
        }
        // A flush hands nothing on; the end hands on the rest, once.
        blocks.write_all(b"the rest").unwrap();
        expected.extend_from_slice(b"the rest");
        blocks.flush().unwrap();
        blocks.hand_on().unwrap();
        blocks.hand_on().unwrap();
        let (last, full) = handed.split_last().unwrap();
        assert!(full.len() >= 3, "{} blocks", handed.len());
        for b in full {
            assert!((BLOCK..BLOCK + 900).contains(&b.len()), "{}", b.len());
        }
        assert!(!last.is_empty() && last.len() < BLOCK + 900);
        assert!(handed.concat() == expected);
        assert_eq!(reused, full.len());
    }
}
