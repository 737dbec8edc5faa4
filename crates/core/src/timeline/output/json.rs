//! The JSON writer: the whole timeline as one pretty-printed document,
//! `{"events": [...], "summary": {...}}`.
//!
//! Invariant: [`write_stream`] writes the very bytes [`write()`] writes for the [`Timeline`] of the
//! same case, in flat memory: the summary comes after the events, so it is complete when written.

use std::cell::RefCell;
use std::io::{self, Write};

use serde::Serialize;

use crate::timeline::model::Timeline;
use crate::timeline::stream::Stream;

/// Writes `tl` as one document.
pub fn write(tl: &Timeline, out: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut w, tl)?;
    writeln!(w)?;
    w.flush()
}

/// Writes the events of `stream` as they come, then its summary.
pub fn write_stream(stream: &mut Stream, out: &mut dyn Write) -> io::Result<()> {
    let doc = StreamDoc(RefCell::new(stream));
    // The serializer writes in many small pieces: a buffer it reaches without a virtual call
    // holds them.
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    writeln!(w)?;
    w.flush()
}

/// A [`Stream`] serialized as a [`Timeline`] document: `{"events": [...], "summary": {...}}`.
struct StreamDoc<'a>(RefCell<&'a mut Stream>);

struct StreamEvents<'s, 'a>(&'s RefCell<&'a mut Stream>);

impl Serialize for StreamDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Timeline", 2)?;
        st.serialize_field("events", &StreamEvents(&self.0))?;
        st.serialize_field("summary", self.0.borrow().summary())?;
        st.end()
    }
}

impl Serialize for StreamEvents<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut stream = self.0.borrow_mut();
        let mut seq = s.serialize_seq(None)?;
        for e in &mut **stream {
            seq.serialize_element(&e.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}
