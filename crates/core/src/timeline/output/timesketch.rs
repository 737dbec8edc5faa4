//! The Timesketch writer: JSON Lines in the form Timesketch imports, one row per event.
//!
//! Invariant: every row carries `message`, `datetime`, `timestamp` (microseconds) and
//! `timestamp_desc`, then the event's fields flattened (lists comma-joined), in a fixed order.

use std::io::{self, Write};

use super::{code_names, flag_names, join, message};
use crate::time::Instant;
use crate::timeline::model::{Dimension, Event, Kind};

/// Writes one event as a row and its line end.
pub fn write_event<W: Write + ?Sized>(e: &Event, out: &mut W) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &row(e))?;
    writeln!(out)
}

/// One Timesketch row: `message`, `datetime`, `timestamp`, `timestamp_desc` and the event's
/// fields flattened (lists comma-joined).
pub fn row(e: &Event) -> serde_json::Value {
    let micros = e.micros.unwrap_or(0);
    let datetime = {
        let secs = micros.div_euclid(1_000_000);
        let frac = micros.rem_euclid(1_000_000);
        let canon = Instant {
            nanos: secs.saturating_mul(1_000_000_000),
        }
        .canonical();
        format!("{}.{frac:06}Z", &canon[..19])
    };
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        m.insert(k.to_string(), v);
    };
    put("message", message(e).into());
    put("datetime", datetime.into());
    put("timestamp", micros.into());
    put("timestamp_desc", "Event Recorded".into());
    put(
        "kind",
        match e.kind {
            Kind::Event => "event",
            Kind::Gap => "gap",
        }
        .into(),
    );
    put("tenant_id", e.tenant_id.clone().into());
    put("seq", e.seq.into());
    put("seq_end", e.seq_end.into());
    put("aef_timestamp", e.timestamp.clone().into());
    for d in Dimension::ALL {
        put(d.name(), e.dimension(d).into());
    }
    put("sources", join(&e.sources, ",").into());
    put("integrity", e.integrity.as_str().into());
    put("diverged_fields", join(&e.diverged_fields, ",").into());
    put("missing_from", join(&e.missing_from, ",").into());
    put("flags", join(&flag_names(e), ",").into());
    put("findings", join(&code_names(e), ",").into());
    serde_json::Value::Object(m)
}
