//! Earlier revisions of an incrementally updated export PDF (SPEC section 10, `pdf_revision`).
//!
//! Every revision of a PDF ends with its own trailer, `startxref` and `%%EOF`, and an
//! incremental update only appends: the bytes up to the end of revision N are the document as it
//! was at revision N, still in the file. [`read_earlier`] reads each of those prefixes with the
//! same reader as the whole file (payload and page text), and then:
//! * [`recovered_copies`] hands over every payload record of an earlier revision that differs
//!   from the last revision's record at its (tenant, seq), or that the last revision no longer
//!   holds, once (in the oldest revision that holds that version), as a
//!   [`RecoveredCopy`] with `offset` = revision number (1 = the original);
//! * [`describe_updates`] says what each update changed, record by record, in the payload and
//!   in the printed rows, for the `revisions` check;
//! * [`printed_commitments`] gives what the last revision's printed fingerprint and
//!   verification URLs commit to, when they name an earlier revision's records.
//!
//! Invariants: only revisions that a later update changed the attachment or page content of are
//! read, at most [`MAX_EARLIER`] of them (the oldest first), one at a time (memory is that of
//! one read); a revision that cannot be read is named with why, never dropped silently; the
//! verdict stays about the last revision (the file as any reader shows it).

use std::collections::BTreeMap;
use std::path::Path;

use trailproof_core::case::field_diffs;
use trailproof_core::fingerprint::FingerprintHasher;
use trailproof_core::json::Value;
use trailproof_core::payload::{CanonicalRecord, Payload};
use trailproof_core::record::{self, hex, Digest, Location, RawData, RawRecord};
use trailproof_core::recovery::{RecoveredCopy, Superseded, PDF_REVISION};
use trailproof_core::scope::Scope;

use super::cross::url_hash;
use super::{read_pdf_bytes, PdfEvidence, VisibleRow};

/// Earlier revisions read at most per file.
pub const MAX_EARLIER: usize = 32;

/// One earlier revision, as it was.
#[derive(Debug, Clone)]
pub struct EarlierRevision {
    /// Its number: 1 is the original, the last revision is `PdfEvidence::revisions.len()`.
    pub number: usize,
    /// It is the file's first `end` bytes.
    pub end: u64,
    /// What it held, or why it could not be read.
    pub state: Result<RevisionState, String>,
}

/// What a revision held.
#[derive(Debug, Clone)]
pub struct RevisionState {
    /// Its embedded payload, parsed (once, for every use), or why it is not JSON; `None`
    /// without one.
    pub payload: Option<Result<Payload, String>>,
    /// Its printed rows.
    pub rows: Vec<VisibleRow>,
}

/// The earlier revisions of `evidence` (read from `bytes`, the whole file) worth reading, and
/// how many more were not read for the limit.
pub fn read_earlier(
    path: &Path,
    bytes: &[u8],
    evidence: &PdfEvidence,
) -> (Vec<EarlierRevision>, usize) {
    let revisions = &evidence.revisions;
    let mut wanted = Vec::new();
    for index in 0..revisions.len().saturating_sub(1) {
        let changed_later = revisions[index + 1..]
            .iter()
            .any(|later| later.touches_attachment || later.touches_page_content);
        if changed_later {
            wanted.push(index);
        }
    }
    let skipped = wanted.len().saturating_sub(MAX_EARLIER);
    wanted.truncate(MAX_EARLIER);
    let earlier = wanted
        .into_iter()
        .map(|index| {
            let revision = &revisions[index];
            let after = revision.xref_offsets.iter().copied().max().unwrap_or(0);
            let number = index + 1;
            let Some(end) = end_of_revision(bytes, after) else {
                return EarlierRevision {
                    number,
                    end: 0,
                    state: Err(format!(
                        "no %%EOF after its cross-reference section at byte offset {after}"
                    )),
                };
            };
            let state = read_pdf_bytes(path, &bytes[..end])
                .map(|ev| RevisionState {
                    payload: ev.payload.map(|p| {
                        Payload::parse(&p).map_err(|e| format!("its payload is not JSON: {e}"))
                    }),
                    rows: ev.rows,
                })
                .map_err(|e| e.to_string());
            EarlierRevision {
                number,
                end: end as u64,
                state,
            }
        })
        .collect();
    (earlier, skipped)
}

/// The end of the `%%EOF` line after byte offset `after` (its end-of-line included).
fn end_of_revision(bytes: &[u8], after: usize) -> Option<usize> {
    let tail = bytes.get(after..)?;
    let at = after + tail.windows(5).position(|w| w == b"%%EOF")? + 5;
    let mut end = at;
    for &b in bytes.get(at..(at + 2).min(bytes.len()))? {
        match b {
            b'\r' if end == at => end += 1,
            b'\n' => {
                end += 1;
                break;
            }
            _ => break,
        }
    }
    Some(end)
}

type Key = (String, u64);

/// A parsed payload's records by (tenant, seq); where keys repeat, the first wins.
fn records_of(payload: Option<&Payload>) -> BTreeMap<Key, CanonicalRecord> {
    let mut out = BTreeMap::new();
    for stored in payload.and_then(Payload::records).unwrap_or_default() {
        let record = stored.value();
        let tenant = record.get("tenant_id").and_then(Value::as_str);
        let seq = record.get("seq").and_then(Value::as_u64);
        if let (Some(tenant), Some(seq)) = (tenant, seq) {
            out.entry((tenant.to_string(), seq))
                .or_insert_with(|| stored.clone());
        }
    }
    out
}

/// A payload's records, from its bytes.
fn records(payload: &[u8]) -> Result<BTreeMap<Key, CanonicalRecord>, String> {
    let payload = Payload::parse(payload).map_err(|e| format!("its payload is not JSON: {e}"))?;
    Ok(records_of(Some(&payload)))
}

/// Every payload record of an earlier revision that the last revision (whose parsed payload is
/// `last`) no longer holds as it was; each version once, from the oldest revision holding it.
pub fn recovered_copies(
    evidence: &PdfEvidence,
    earlier: &[EarlierRevision],
    last: Option<&Payload>,
    input: &str,
) -> Vec<RecoveredCopy> {
    let now = records_of(last);
    let total = evidence.revisions.len();
    let mut seen: Vec<&CanonicalRecord> = Vec::new();
    let mut out = Vec::new();
    let parsed: Vec<(usize, u64, BTreeMap<Key, CanonicalRecord>)> = earlier
        .iter()
        .filter_map(|revision| {
            let payload = revision
                .state
                .as_ref()
                .ok()?
                .payload
                .as_ref()?
                .as_ref()
                .ok()?;
            Some((revision.number, revision.end, records_of(Some(payload))))
        })
        .collect();
    for (number, end, records) in &parsed {
        for (index, (key, record)) in records.iter().enumerate() {
            let current = now.get(key);
            if current == Some(record) || seen.contains(&record) {
                continue;
            }
            seen.push(record);
            let record = record.value();
            out.push(RecoveredCopy {
                input: input.to_string(),
                recovered_from: PDF_REVISION.to_string(),
                offset: *number as u64,
                place: format!(
                    "revision {number} of {total}, the file's first {end} bytes, payload record {}",
                    index + 1
                ),
                shown: record.to_serde(),
                raw: RawRecord {
                    loc: Location::Index(index as u64),
                    data: RawData::Value(record),
                },
                superseded_by: Superseded::Record(current.map(CanonicalRecord::value)),
            });
        }
    }
    out
}

/// What the last revision's pages commit to about the earlier ones: for every earlier revision
/// whose payload's fingerprint (recomputed over its scope and its records in seq order, SPEC
/// section 5) is one the last revision prints (the integrity section's `Fingerprint:`, or the
/// `hash=` of the printed verification URL, a footer URL or a link), the recomputed hash of
/// each of its records, by (tenant, seq). Printed text that an update left alone is as much a
/// commitment of the original export as its chain: a payload rewritten consistently afterwards
/// (records, fingerprint and URL recomputed) does not change it.
pub fn printed_commitments(
    evidence: &PdfEvidence,
    earlier: &[EarlierRevision],
) -> Vec<(String, u64, Digest)> {
    let mut printed: Vec<&str> = Vec::new();
    if let Some(f) = &evidence.integrity.fingerprint {
        printed.push(f.value.as_str());
    }
    let urls = evidence
        .integrity
        .verification_url
        .iter()
        .map(|u| u.value.as_str())
        .chain(evidence.footer_urls.iter().map(|(_, u)| u.as_str()))
        .chain(evidence.link_uris.iter().map(|(_, u)| u.as_str()));
    printed.extend(urls.filter_map(url_hash));
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for revision in earlier {
        let Some(Ok(payload)) = revision
            .state
            .as_ref()
            .ok()
            .and_then(|s| s.payload.as_ref())
        else {
            continue;
        };
        let Some(Ok(scope)) = payload.get("scope").map(Scope::from_value) else {
            continue;
        };
        let records = records_of(Some(payload));
        let mut hasher = FingerprintHasher::new();
        for record in records.values() {
            hasher.push_canonical(record.bytes());
        }
        let computed = hex(&hasher.finish(&scope));
        if !printed.contains(&computed.as_str()) {
            continue;
        }
        for ((tenant, seq), record) in records {
            let checked = record::check(
                RawRecord {
                    loc: Location::Payload,
                    data: RawData::Value(record.value()),
                },
                &mut buf,
            );
            if let Some(hash) = checked.computed_hash {
                out.push((tenant, seq, hash));
            }
        }
    }
    out
}

/// A value for a message: JSON text, cut to 80 characters.
fn short(text: Option<&str>) -> String {
    let text = text.unwrap_or("(absent)");
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// One revision's records and rows, for comparing it with the next.
#[derive(Clone)]
struct Snapshot {
    records: Result<BTreeMap<Key, CanonicalRecord>, String>,
    rows: BTreeMap<u64, VisibleRow>,
}

fn rows(list: &[VisibleRow]) -> BTreeMap<u64, VisibleRow> {
    let mut out = BTreeMap::new();
    for row in list {
        out.entry(row.seq).or_insert_with(|| row.clone());
    }
    out
}

fn row_fields(row: &VisibleRow) -> [(&'static str, &str); 6] {
    [
        ("timestamp", &row.timestamp),
        ("action", &row.action),
        ("severity", &row.severity),
        ("actor_user_id", &row.actor_user_id),
        ("outcome", &row.outcome),
        ("hash", &row.hash_prefix),
    ]
}

/// What changed from `before` to `after`, record by record.
fn changes(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    match (&before.records, &after.records) {
        (Ok(old), Ok(new)) => {
            for (key, record) in old {
                let what = format!("payload record {} seq {}", key.0, key.1);
                match new.get(key) {
                    None => out.push(format!("{what} removed")),
                    Some(now) if now != record => {
                        let fields: Vec<String> = field_diffs(&record.value(), &now.value())
                            .iter()
                            .map(|d| {
                                format!(
                                    "{} {} → {}",
                                    d.field,
                                    short(d.left.as_deref()),
                                    short(d.right.as_deref())
                                )
                            })
                            .collect();
                        out.push(format!("{what}: {}", fields.join(", ")));
                    }
                    Some(_) => {}
                }
            }
            for key in new.keys().filter(|key| !old.contains_key(key)) {
                out.push(format!("payload record {} seq {} added", key.0, key.1));
            }
        }
        (Err(old), Err(new)) if old == new => {}
        (Err(why), _) | (_, Err(why)) => out.push(format!("payload not compared ({why})")),
    }
    for (seq, row) in &before.rows {
        match after.rows.get(seq) {
            None => out.push(format!("printed row seq {seq} removed")),
            Some(now) => {
                let fields: Vec<String> = row_fields(row)
                    .iter()
                    .zip(row_fields(now).iter())
                    .filter(|(a, b)| a.1 != b.1)
                    .map(|(a, b)| format!("{} {} → {}", a.0, short(Some(a.1)), short(Some(b.1))))
                    .collect();
                if !fields.is_empty() {
                    out.push(format!("printed row seq {seq}: {}", fields.join(", ")));
                }
            }
        }
    }
    for seq in after
        .rows
        .keys()
        .filter(|seq| !before.rows.contains_key(seq))
    {
        out.push(format!("printed row seq {seq} added"));
    }
    out
}

/// What each update changed, record by record: one entry per update whose earlier state was
/// read (`"update K (revision K+1): ..."`), then which revision the verdict is about.
pub fn describe_updates(
    evidence: &PdfEvidence,
    earlier: &[EarlierRevision],
    skipped: usize,
    last: Option<&Payload>,
) -> Vec<String> {
    let total = evidence.revisions.len();
    if total < 2 {
        return Vec::new();
    }
    let snapshot = |state: &RevisionState| Snapshot {
        records: match &state.payload {
            Some(Ok(payload)) => Ok(records_of(Some(payload))),
            Some(Err(why)) => Err(why.clone()),
            None => Err("no embedded payload".into()),
        },
        rows: rows(&state.rows),
    };
    let last_snapshot = Snapshot {
        records: match (last, &evidence.payload) {
            (Some(payload), _) => Ok(records_of(Some(payload))),
            (None, Some(bytes)) => records(bytes),
            (None, None) => Err("no embedded payload".into()),
        },
        rows: rows(&evidence.rows),
    };
    let mut out = Vec::new();
    for (i, revision) in earlier.iter().enumerate() {
        let number = revision.number;
        let state = match &revision.state {
            Ok(state) => state,
            Err(why) => {
                out.push(format!("revision {number} could not be read ({why})"));
                continue;
            }
        };
        let before = snapshot(state);
        // Compared with the next revision that was read (or the last one).
        let (next_number, after) = match earlier.get(i + 1) {
            Some(next) => match &next.state {
                Ok(next_state) => (next.number, snapshot(next_state)),
                Err(_) => continue,
            },
            None => (total, last_snapshot.clone()),
        };
        let list = changes(&before, &after);
        let span = if next_number == number + 1 {
            format!("update {number} (revision {number} → {next_number})")
        } else {
            format!(
                "updates {number}-{} (revision {number} → {next_number})",
                next_number - 1
            )
        };
        if list.is_empty() {
            out.push(format!("{span} changed no record"));
        } else {
            out.push(format!("{span} changed {}", list.join("; ")));
        }
    }
    if skipped > 0 {
        out.push(format!(
            "{skipped} more earlier revision(s) were not read (at most {MAX_EARLIER} are)"
        ));
    }
    out.push(format!(
        "the verdict is about revision {total} of {total} (the whole file, as PDF readers show it)"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_ends_after_its_eof_line() {
        let bytes = b"xref\ntrailer\nstartxref\n0\n%%EOF\r\nmore";
        assert_eq!(end_of_revision(bytes, 0), Some(bytes.len() - 4));
        let bytes = b"xref %%EOF";
        assert_eq!(end_of_revision(bytes, 0), Some(bytes.len()));
        assert_eq!(end_of_revision(b"xref", 0), None);
        assert_eq!(end_of_revision(b"xref", 99), None);
    }
}
