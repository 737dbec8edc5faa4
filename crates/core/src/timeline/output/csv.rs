//! The CSV writer: RFC 4180, a header row of [`CSV_COLUMNS`], CRLF line ends, lists joined by
//! `;`, absent values empty.
//!
//! Invariant: every row has exactly the columns of the header, in its order.

use std::io::{self, Write};

use super::{code_names, flag_names, join, message};
use crate::timeline::model::{Dimension, Event, Kind};

/// The columns before the dimensions.
const LEADING: [&str; 6] = ["kind", "tenant_id", "seq", "seq_end", "timestamp", "micros"];

/// The columns after the dimensions.
const TRAILING: [&str; 7] = [
    "sources",
    "integrity",
    "diverged_fields",
    "missing_from",
    "flags",
    "findings",
    "message",
];

/// The CSV columns, in order: the entry (kind to micros), its dimensions ([`Dimension::ALL`]),
/// then what the timeline makes of it (sources to message).
pub const CSV_COLUMNS: [&str; LEADING.len() + Dimension::COUNT + TRAILING.len()] = {
    let mut columns = [""; LEADING.len() + Dimension::COUNT + TRAILING.len()];
    let mut i = 0;
    while i < columns.len() {
        columns[i] = if i < LEADING.len() {
            LEADING[i]
        } else if i < LEADING.len() + Dimension::COUNT {
            Dimension::ALL[i - LEADING.len()].name()
        } else {
            TRAILING[i - LEADING.len() - Dimension::COUNT]
        };
        i += 1;
    }
    columns
};

/// Quotes one CSV field per RFC 4180 when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes the header row.
pub fn write_header(out: &mut dyn Write) -> io::Result<()> {
    out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// Writes one event as a row (after the header of [`write_header`]).
pub fn write_row(e: &Event, out: &mut dyn Write) -> io::Result<()> {
    write_fields(&fields(e), out)
}

/// Writes one row of already formatted fields, quoted where they need it, and its CRLF.
pub fn write_fields<S: AsRef<str>>(fields: &[S], out: &mut dyn Write) -> io::Result<()> {
    let line: Vec<String> = fields.iter().map(|f| csv_field(f.as_ref())).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// The fields of one event's row, in the order of [`CSV_COLUMNS`].
pub fn fields(e: &Event) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let leading = [
        match e.kind {
            Kind::Event => "event".to_string(),
            Kind::Gap => "gap".to_string(),
        },
        e.tenant_id.clone(),
        e.seq.to_string(),
        e.seq_end.map(|s| s.to_string()).unwrap_or_default(),
        o(&e.timestamp),
        e.micros.map(|s| s.to_string()).unwrap_or_default(),
    ];
    let dimensions = e.dimensions().map(|v| v.unwrap_or_default().to_string());
    let trailing = [
        join(&e.sources, ";"),
        e.integrity.as_str().to_string(),
        join(&e.diverged_fields, ";"),
        join(&e.missing_from, ";"),
        join(&flag_names(e), ";"),
        join(&code_names(e), ";"),
        message(e),
    ];
    let row: Vec<String> = leading
        .into_iter()
        .chain(dimensions)
        .chain(trailing)
        .collect();
    debug_assert_eq!(row.len(), CSV_COLUMNS.len());
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_name_the_dimensions_between_the_entry_and_its_judgement() {
        assert_eq!(CSV_COLUMNS[..6], LEADING);
        assert_eq!(CSV_COLUMNS[6], "actor_user_id");
        assert_eq!(CSV_COLUMNS[18], "outcome_reason");
        assert_eq!(CSV_COLUMNS[19..], TRAILING);
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
