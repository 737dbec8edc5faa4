//! The JSON Lines writer: one event per line, as compact JSON.
//!
//! Invariant: a line is the event's serde form, the same object the JSON document lists:
//! [`write_line`] writes it by hand (members in the order of [`Event`]'s fields, strings
//! escaped as `serde_json` escapes them, which is RFC 8785's way), and a test holds its bytes
//! equal to `serde_json`'s for every kind of member. The timeline of a large case is mostly
//! this writer's work: serde's generic path spent about a fifth of it.

use std::io::{self, Write};

use crate::canonical::{write_string, write_u64};
use crate::timeline::model::{Dimension, Event, Kind};

/// Writes one event and its line end.
pub fn write_event<W: Write + ?Sized>(e: &Event, out: &mut W) -> io::Result<()> {
    let mut line = Vec::with_capacity(1024);
    write_line(e, &mut line);
    out.write_all(&line)
}

/// Appends one event and its line end to `out`.
pub fn write_line(e: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(match e.kind {
        Kind::Event => br#"{"kind":"event","tenant_id":"#,
        Kind::Gap => br#"{"kind":"gap","tenant_id":"#,
    });
    write_string(&e.tenant_id, out);
    out.extend_from_slice(br#","seq":"#);
    write_u64(e.seq, out);
    out.extend_from_slice(br#","seq_end":"#);
    match e.seq_end {
        Some(s) => write_u64(s, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","timestamp":"#);
    write_opt(e.timestamp.as_deref(), out);
    out.extend_from_slice(br#","micros":"#);
    match e.micros {
        Some(m) if m < 0 => {
            out.push(b'-');
            write_u64(m.unsigned_abs(), out);
        }
        Some(m) => write_u64(m.unsigned_abs(), out),
        None => out.extend_from_slice(b"null"),
    }
    for d in Dimension::ALL {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(d.name().as_bytes());
        out.extend_from_slice(b"\":");
        write_opt(e.dimension(d), out);
    }
    out.extend_from_slice(br#","sources":"#);
    write_list(e.sources.iter().map(String::as_str), out);
    out.extend_from_slice(br#","integrity":""#);
    out.extend_from_slice(e.integrity.as_str().as_bytes());
    out.extend_from_slice(br#"","diverged_fields":"#);
    write_list(e.diverged_fields.iter().map(String::as_str), out);
    out.extend_from_slice(br#","missing_from":"#);
    write_list(e.missing_from.iter().map(String::as_str), out);
    out.extend_from_slice(br#","flags":"#);
    write_list(e.flags.iter().map(|f| f.as_str()), out);
    out.extend_from_slice(br#","findings":"#);
    write_list(e.findings.iter().map(|c| c.as_str()), out);
    out.extend_from_slice(b"}\n");
}

fn write_opt(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => write_string(s, out),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_list<'a>(items: impl Iterator<Item = &'a str>, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(s, out);
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;
    use crate::timeline::model::{Flag, Integrity};

    fn serde_line(e: &Event) -> String {
        let mut s = serde_json::to_string(e).unwrap();
        s.push('\n');
        s
    }

    fn line(e: &Event) -> String {
        let mut out = Vec::new();
        write_line(e, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Every finding code.
    const CODES: [Code; 22] = [
        Code::RecordHashMismatch,
        Code::ChainLinkBroken,
        Code::SeqGap,
        Code::SeqDuplicate,
        Code::GenesisInvalid,
        Code::TimestampRegression,
        Code::NotCanonical,
        Code::FingerprintMismatch,
        Code::UrlHashMismatch,
        Code::RecordCountMismatch,
        Code::ScopeViolation,
        Code::VisibleTextMismatch,
        Code::PdfIncrementalUpdate,
        Code::AttachmentMissing,
        Code::LegacySearchUnverifiable,
        Code::AnchorMismatch,
        Code::ChainTruncated,
        Code::RecordDiverged,
        Code::RecordMissing,
        Code::RecordAppended,
        Code::ServerVerdictDisagrees,
        Code::RecordRecovered,
    ];

    /// Strings that take every escape serde_json writes, and some it must not.
    const AWKWARD: [&str; 6] = [
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}",
        "é — 💥 \u{2028}\u{2029}",
        "<script>alert(1)</script>",
    ];

    #[test]
    fn a_line_is_serde_json_s_line_for_every_kind_of_member() {
        let mut events = vec![
            Event::new(Kind::Event, "t".into(), 0, Integrity::Verified),
            Event::gap("tenant".into(), 5, Some(9)),
        ];
        for (i, s) in AWKWARD.iter().enumerate() {
            let mut e = Event::new(
                Kind::Event,
                s.to_string(),
                u64::MAX - i as u64,
                Integrity::ALL[i],
            );
            e.seq_end = Some(i as u64);
            e.timestamp = Some(format!("2026-01-0{i}T00:00:00.000000000Z{s}"));
            e.micros = Some([i64::MIN, -1, 0, 1, i64::MAX, 1_700_000_000_000_000][i]);
            for (j, d) in Dimension::ALL.into_iter().enumerate() {
                *e.dimension_mut(d) = ((i + j) % 3 != 0).then(|| format!("{s}{j}"));
            }
            e.sources = AWKWARD[..i].iter().map(|s| s.to_string()).collect();
            e.diverged_fields = AWKWARD[i..].iter().map(|s| s.to_string()).collect();
            e.missing_from = vec![s.to_string(); i];
            e.flags = Flag::ALL[..i + 1].to_vec();
            e.findings = CODES[..i * 4].to_vec();
            events.push(e);
        }
        for integrity in Integrity::ALL {
            events.push(Event::new(Kind::Event, "t".into(), 1, integrity));
        }
        let mut e = Event::new(Kind::Event, "t".into(), 2, Integrity::Recovered);
        e.flags = Flag::ALL.to_vec();
        e.findings = CODES.to_vec();
        events.push(e);
        for e in &events {
            assert_eq!(line(e), serde_line(e));
        }
    }
}
