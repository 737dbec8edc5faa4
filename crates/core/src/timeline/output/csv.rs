//! The CSV writer: RFC 4180, a header row of [`CSV_COLUMNS`], CRLF line ends, lists joined by
//! `;`, absent values empty.
//!
//! Invariant: every row has exactly the columns of the header, in its order.

use std::io::{self, Write};

use super::{code_names, flag_names, join, message};
use crate::timeline::model::{Event, Kind};

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 26] = [
    "kind",
    "tenant_id",
    "seq",
    "seq_end",
    "timestamp",
    "micros",
    "actor_user_id",
    "actor_role",
    "actor_display",
    "action",
    "http_method",
    "http_route",
    "severity",
    "actor_ip",
    "resource_type",
    "resource_id",
    "resource_display",
    "outcome",
    "outcome_reason",
    "sources",
    "integrity",
    "diverged_fields",
    "missing_from",
    "flags",
    "findings",
    "message",
];

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
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let row = [
        match e.kind {
            Kind::Event => "event".to_string(),
            Kind::Gap => "gap".to_string(),
        },
        e.tenant_id.clone(),
        e.seq.to_string(),
        e.seq_end.map(|s| s.to_string()).unwrap_or_default(),
        o(&e.timestamp),
        e.micros.map(|s| s.to_string()).unwrap_or_default(),
        o(&e.actor_user_id),
        o(&e.actor_role),
        o(&e.actor_display),
        o(&e.action),
        o(&e.http_method),
        o(&e.http_route),
        o(&e.severity),
        o(&e.actor_ip),
        o(&e.resource_type),
        o(&e.resource_id),
        o(&e.resource_display),
        o(&e.outcome),
        o(&e.outcome_reason),
        join(&e.sources, ";"),
        e.integrity.as_str().to_string(),
        join(&e.diverged_fields, ";"),
        join(&e.missing_from, ";"),
        join(&flag_names(e), ";"),
        join(&code_names(e), ";"),
        message(e),
    ];
    let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
