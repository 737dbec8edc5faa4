//! Record detail: every copy of one (tenant, seq) read back from the evidence files (and the
//! live copy the live check kept), with its canonical bytes and both hashes, the rows an export
//! PDF prints for it, and the report's findings about it.
//!
//! Invariants: files are opened exactly as on first read (read-only; SQLite `mode=ro` and
//! `immutable=1` inside the readers), but not hashed again ([`ReadMode::LookUp`]: hashing would
//! triple the scan); a file whose identity (size, modification and change times, inode) differs
//! from the one taken before the case was read is not read back at all; a copy that cannot be
//! read back is listed as unavailable with the reason, never silently left out. A dump is read
//! back through the zones kept while it was verified ([`FileZones`]): only the batches of
//! 4,096 records that may hold the record, from the readers' marks (JSON Lines, CSV) or counted
//! from the start (SQL dumps), every record of them checked. Without zones (a case made
//! otherwise), dumps are scanned with a cheap byte prefilter (the seq's digits) and rescanned
//! without it when the prefilter found nothing, so an oddly written number is never missed. A
//! SQLite file is not scanned: its rows of (tenant, seq) are looked up in the state
//! verification read (the main file with its `-wal`'s committed frames, from the private copy
//! made once per case and kept for it; see [`SqliteStates`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use trailproof_core::case::field_diffs;
use trailproof_core::finding::{Code, Finding, Proof};
use trailproof_core::json::Value;
use trailproof_core::payload::Payload;
use trailproof_core::record::{self, hex, Checked, Location, RawData, RawRecord};
use trailproof_core::recovery::{found_at, proof_meaning};
use trailproof_engine::zones::{read_back, FileZones};
use trailproof_engine::{display, BATCH};
use trailproof_ingest::detect::{open_records_mode, sniff};
use trailproof_ingest::hashing::{FileIdentity, ReadMode};
use trailproof_ingest::recovery::SqliteEvidence;
use trailproof_ingest::{pdf, IngestError, InputKind};

use crate::session::{row, Loaded};
use crate::types::{DiffRow, RecordDetail, RecoveredNote, SourceCopy, VisibleCopy};

/// Builds the detail of the event at timeline `index`.
pub fn detail(case: &Loaded, index: u32) -> Option<RecordDetail> {
    let ev = case.event(index)?;
    let tenant = ev.tenant_id.clone();
    let seq = ev.seq;
    let mut copies = Vec::new();
    let mut visible = Vec::new();
    let mut unavailable = Vec::new();
    if ev.kind == trailproof_core::timeline::model::Kind::Event {
        for (i, p) in case.paths.iter().enumerate() {
            let then = case.identities.get(i).cloned().flatten();
            let now = std::fs::metadata(p).ok().map(|m| FileIdentity::of(&m));
            if then.is_none() || now != then {
                unavailable.push(format!(
                    "{}: the file changed (or cannot be read) since the case was opened, so its copy is not read back: open the case again to verify it anew",
                    display(p)
                ));
                continue;
            }
            let zones = case.zones.iter().find(|z| z.path == *p);
            match copies_in(p, &tenant, seq, &mut visible, &case.sqlite_states, zones) {
                Ok(mut c) => copies.append(&mut c),
                Err(e) => unavailable.push(format!("{}: {e}", display(p))),
            }
        }
        if ev.sources.iter().any(|s| s.starts_with("live:")) {
            let kept = case
                .live_copies
                .as_ref()
                .map(|k| k.get(&tenant, seq))
                .unwrap_or_default();
            if kept.is_empty() {
                unavailable.push(
                    "the live copy was not kept (the service sent a record that could not be parsed): its differences from the evidence are in the findings below"
                        .to_string(),
                );
            }
            copies.extend(kept.into_iter().map(|(source, c)| copy_of(&source, c)));
        }
        copies.extend(recovered_copies(case, &tenant, seq));
    }
    let mut differing: Vec<String> = Vec::new();
    let records: Vec<&Value> = copies.iter().filter_map(|(_, v)| v.as_ref()).collect();
    for w in records.windows(2) {
        for f in record::differing_fields(w[0], w[1]) {
            if !differing.contains(&f) {
                differing.push(f);
            }
        }
    }
    let mut diffs: Vec<DiffRow> = Vec::new();
    let named: Vec<(&str, &Value)> = copies
        .iter()
        .filter_map(|(c, v)| v.as_ref().map(|v| (c.source.as_str(), v)))
        .collect();
    for (i, (ls, l)) in named.iter().enumerate() {
        for (rs, r) in &named[i + 1..] {
            for d in field_diffs(l, r) {
                diffs.push(DiffRow {
                    field: d.field,
                    left_source: ls.to_string(),
                    left: d.left,
                    right_source: rs.to_string(),
                    right: d.right,
                });
            }
        }
    }
    let findings: Vec<_> = case
        .report
        .findings
        .iter()
        .filter(|f| {
            f.tenant_id.as_deref() == Some(tenant.as_str())
                && f.seq.is_some_and(|s| {
                    s == seq || f.seq_end.is_some_and(|end| s <= seq && seq <= end)
                })
        })
        .cloned()
        .collect();
    for f in &findings {
        let (ls, rs) = finding_sides(f);
        for d in &f.fields {
            if !diffs
                .iter()
                .any(|x| x.field == d.field && x.left == d.left && x.right == d.right)
            {
                diffs.push(DiffRow {
                    field: d.field.clone(),
                    left_source: ls.clone(),
                    left: d.left.clone(),
                    right_source: rs.clone(),
                    right: d.right.clone(),
                });
            }
            if !differing.contains(&d.field) {
                differing.push(d.field.clone());
            }
        }
    }
    differing.sort();
    let prev = seq.checked_sub(1).and_then(|s| case.index_of(&tenant, s));
    let next = case.index_of(&tenant, seq + 1);
    Some(RecordDetail {
        generation: case.generation,
        row: row(index, ev),
        copies: copies.into_iter().map(|(c, _)| c).collect(),
        visible,
        differing,
        diffs,
        findings,
        prev,
        next,
        unavailable,
    })
}

/// The copies of (tenant, seq) that the report's `record_recovered` findings hold: earlier or
/// deleted versions found in the evidence, each with where it was found and its proof.
fn recovered_copies(case: &Loaded, tenant: &str, seq: u64) -> Vec<Copy> {
    let mut buf = Vec::new();
    case.report
        .findings
        .iter()
        .filter(|f| {
            f.code == Code::RecordRecovered
                && f.seq == Some(seq)
                && f.tenant_id.as_deref() == Some(tenant)
        })
        .filter_map(|f| {
            let value = Value::from_serde(f.record.as_ref()?).ok()?;
            let checked = record::check(
                RawRecord {
                    loc: Location::Payload,
                    data: RawData::Value(value),
                },
                &mut buf,
            );
            let (mut copy, value) = copy_of(&recovered_side(f), checked);
            copy.location = f.location.clone().unwrap_or_default();
            let from = f.recovered_from.clone().unwrap_or_default();
            let proof = f.proof.unwrap_or(Proof::Unproven);
            copy.recovered = Some(RecoveredNote {
                at: found_at(&from, f.offset.unwrap_or(0)),
                recovered_from: from,
                proof: proof.as_str().to_string(),
                meaning: proof_meaning(proof).to_string(),
            });
            Some((copy, value))
        })
        .collect()
}

/// The source name of a recovered copy: its input, marked as recovered and where from.
fn recovered_side(f: &Finding) -> String {
    format!(
        "{} (recovered from {} at {})",
        f.input.as_deref().unwrap_or("?"),
        f.recovered_from.as_deref().unwrap_or("?"),
        found_at(
            f.recovered_from.as_deref().unwrap_or(""),
            f.offset.unwrap_or(0)
        )
    )
}

/// The two sides of a finding's field diffs: a `visible_text_mismatch` compares the printed page
/// with the embedded record; a `record_recovered` the current version with the recovered one;
/// cross-source findings name both inputs.
fn finding_sides(f: &Finding) -> (String, String) {
    let input = f.input.clone().unwrap_or_else(|| "first source".into());
    if f.code == Code::RecordRecovered {
        return (format!("{input} (current)"), recovered_side(f));
    }
    if f.code == Code::VisibleTextMismatch {
        return (
            format!("{input} (printed on the page)"),
            format!("{input} (embedded record)"),
        );
    }
    let other = f
        .other_input
        .clone()
        .unwrap_or_else(|| "other source".into());
    (input, other)
}

/// The SQLite inputs of a case as verification read them, prepared once each on the first
/// record detail that needs them: a file with a `-wal` beside it is read from the private copy
/// of its state (the main file with the committed frames applied), exactly as verified, and the
/// copy lives as long as the case.
#[derive(Default)]
pub struct SqliteStates(Mutex<HashMap<PathBuf, Arc<SqliteEvidence>>>);

impl SqliteStates {
    fn of(&self, path: &Path) -> Result<Arc<SqliteEvidence>, IngestError> {
        let mut states = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = states.get(path) {
            return Ok(e.clone());
        }
        let e = Arc::new(SqliteEvidence::prepare(path, &display(path), false)?);
        states.insert(path.to_path_buf(), e.clone());
        Ok(e)
    }
}

type Copy = (SourceCopy, Option<Value>);

fn copy_of(source: &str, c: Checked) -> Copy {
    let mut canonical = None;
    let mut fields = Vec::new();
    if let Some(rec) = &c.record {
        if c.computed_hash.is_some() {
            let mut out = Vec::new();
            record::write_hashed_bytes(rec, &mut out);
            canonical = Some(String::from_utf8_lossy(&out).into_owned());
        }
        if let Value::Object(m) = rec {
            fields = m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
        }
    }
    (
        SourceCopy {
            source: source.to_string(),
            location: c.loc.to_string(),
            fields,
            canonical,
            stored_hash: c
                .stored_hash
                .map(|h| hex(&h))
                .or_else(|| c.stored_hash_text.clone()),
            computed_hash: c.computed_hash.map(|h| hex(&h)),
            problems: c.problems.clone(),
            recovered: None,
        },
        c.record,
    )
}

fn is_target(c: &Checked, tenant: &str, seq: u64) -> bool {
    c.seq == Some(seq) && c.tenant_id.as_deref() == Some(tenant)
}

/// Copies of (tenant, seq) in one file (an export's payload record, or every matching dump
/// record: a duplicated seq has several).
fn copies_in(
    path: &Path,
    tenant: &str,
    seq: u64,
    visible: &mut Vec<VisibleCopy>,
    states: &SqliteStates,
    zones: Option<&FileZones>,
) -> Result<Vec<Copy>, IngestError> {
    let name = display(path);
    let kind = sniff(path)?;
    if kind == InputKind::Sqlite {
        let evidence = states.of(path)?;
        let mut src = evidence.lookup()?;
        let mut buf = Vec::new();
        return Ok(src
            .records_of(tenant, &[seq])?
            .into_iter()
            .map(|raw| record::check(raw, &mut buf))
            .filter(|c| is_target(c, tenant, seq))
            .map(|c| copy_of(&name, c))
            .collect());
    }
    let payload = match kind {
        InputKind::ExportPdf => {
            // The payload is parsed as it inflates and then released: never held whole.
            let (ev, parsed) = pdf::read_pdf_with(path, |payload| {
                let parsed = payload.reader().map(Payload::from_reader);
                if matches!(parsed, Some(Ok(_))) {
                    payload.release();
                }
                parsed
            })?;
            let header_tenant = ev.header.tenant.as_ref().map(|t| t.value.as_str());
            if header_tenant.is_none_or(|t| t == tenant) {
                for r in ev.rows.iter().filter(|r| r.seq == seq) {
                    visible.push(VisibleCopy {
                        source: name.clone(),
                        page: r.page as u32,
                        cells: vec![
                            ("seq".into(), r.seq.to_string()),
                            ("timestamp".into(), r.timestamp.clone()),
                            ("action".into(), r.action.clone()),
                            ("severity".into(), r.severity.clone()),
                            ("actor_user_id".into(), r.actor_user_id.clone()),
                            ("outcome".into(), r.outcome.clone()),
                            ("hash".into(), r.hash_prefix.clone()),
                        ],
                    });
                }
            }
            parsed
        }
        InputKind::ExportJson => {
            let file = std::fs::File::open(path).map_err(|source| IngestError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            Some(Payload::from_reader(file))
        }
        _ => match zones.filter(|z| z.kind == kind) {
            Some(z) => return from_zones(path, z, tenant, seq),
            None => return scan_dump(path, kind, tenant, seq),
        },
    };
    let Some(parsed) = payload else {
        return Ok(Vec::new());
    };
    // Records kept as canonical bytes: one record is a tree at a time.
    let v = parsed.map_err(|e| IngestError::malformed(path, Location::Payload, e.to_string()))?;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    if let Some(recs) = v.record_values() {
        for (i, r) in recs.enumerate() {
            if r.get("seq").and_then(Value::as_u64) != Some(seq)
                || r.get("tenant_id").and_then(Value::as_str) != Some(tenant)
            {
                continue;
            }
            let c = record::check(
                RawRecord {
                    loc: Location::Index(i as u64),
                    data: RawData::Value(r),
                },
                &mut buf,
            );
            out.push(copy_of(&name, c));
        }
    }
    Ok(out)
}

/// The copies of (tenant, seq) in a dump, read back from the batches its zones say may hold
/// them (the zones were kept while the case was verified, from this very file).
fn from_zones(
    path: &Path,
    z: &FileZones,
    tenant: &str,
    seq: u64,
) -> Result<Vec<Copy>, IngestError> {
    let name = display(path);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    read_back(path, z.kind, &z.zones, tenant, seq, |raw| {
        let c = record::check(raw, &mut buf);
        if is_target(&c, tenant, seq) {
            out.push(copy_of(&name, c));
        }
    })?;
    Ok(out)
}

/// The copies of (tenant, seq) in a dump without zones, scanned from its start.
fn scan_dump(
    path: &Path,
    kind: InputKind,
    tenant: &str,
    seq: u64,
) -> Result<Vec<Copy>, IngestError> {
    let found = scan_pass(path, kind, tenant, seq, true)?;
    if found.is_empty() {
        return scan_pass(path, kind, tenant, seq, false);
    }
    Ok(found)
}

fn scan_pass(
    path: &Path,
    kind: InputKind,
    tenant: &str,
    seq: u64,
    prefilter: bool,
) -> Result<Vec<Copy>, IngestError> {
    let name = display(path);
    let digits = seq.to_string();
    let finder = memchr::memmem::Finder::new(digits.as_bytes());
    let mut src = open_records_mode(path, kind, ReadMode::LookUp)?;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        let more = src.next_batch(&mut batch, BATCH)?;
        for raw in batch.drain(..) {
            let keep = match &raw.data {
                RawData::Json(b) => !prefilter || finder.find(b).is_some(),
                RawData::Value(v) => {
                    !prefilter
                        || v.get("seq").and_then(Value::as_u64) == Some(seq)
                        || v.get("seq").and_then(Value::as_str) == Some(digits.as_str())
                }
                RawData::Row(r) => {
                    let v = r.member("seq");
                    !prefilter
                        || v.as_ref().and_then(Value::as_u64) == Some(seq)
                        || v.as_ref().and_then(Value::as_str) == Some(digits.as_str())
                }
                RawData::Unreadable(_) => false,
            };
            if !keep {
                continue;
            }
            let c = record::check(raw, &mut buf);
            if is_target(&c, tenant, seq) {
                out.push(copy_of(&name, c));
            }
        }
        if !more {
            break;
        }
    }
    Ok(out)
}
