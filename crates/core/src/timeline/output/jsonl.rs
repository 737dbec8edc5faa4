//! The JSON Lines writer: one event per line, as compact JSON.
//!
//! Invariant: a line is the event's serde form, the same object the JSON document lists.

use std::io::{self, Write};

use crate::timeline::model::Event;

/// Writes one event and its line end.
pub fn write_event<W: Write + ?Sized>(e: &Event, out: &mut W) -> io::Result<()> {
    serde_json::to_writer(&mut *out, e)?;
    writeln!(out)
}
