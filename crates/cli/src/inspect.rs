//! `trailproof inspect`: one record, its canonical bytes exactly as hashed, stored vs recomputed
//! hash, and its links to the neighbouring seqs of the same input; for a SQLite file, also every
//! earlier or deleted version of it recovered from the file, its `-wal` and a hot `-journal`
//! (SPEC section 10), with its proof and place; for an export PDF, the versions its earlier
//! revisions hold. A SQLite file with a `-wal` is read as SQLite
//! reads it (committed frames applied), as `verify` reads it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use trailproof_core::case::Case;
use trailproof_core::finding::{Code, Finding};
use trailproof_core::json::JsonError;
use trailproof_core::payload::Payload;
use trailproof_core::record::{self, hex, Checked, Location, RawData, RawRecord};
use trailproof_core::recovery::found_at;
use trailproof_engine::files::{build_case, display, RunOptions};
use trailproof_ingest::detect::{open_records, sniff};
use trailproof_ingest::hashing::ReadMode;
use trailproof_ingest::recovery::SqliteEvidence;
use trailproof_ingest::{pdf, InputKind};

/// Records of `tenant` at seq n-1, n, n+1 of one input, in input order, and the versions of
/// the record at n recovered from it (`record_recovered` findings).
fn neighbours(path: &Path, tenant: &str, seq: u64) -> anyhow::Result<(Vec<Checked>, Vec<Finding>)> {
    let kind = sniff(path)?;
    let want = |c: &Checked| {
        c.tenant_id.as_deref() == Some(tenant)
            && c.seq.is_some_and(|s| s + 1 >= seq && s <= seq + 1)
    };
    let mut buf = Vec::new();
    let mut out = Vec::new();
    // The payload's records as canonical bytes (flat memory), checked one at a time.
    let payload = |parsed: Result<Payload, JsonError>| -> anyhow::Result<Payload> {
        let v = parsed.context("the export payload is not strict JSON")?;
        if v.records().is_none() {
            bail!("the export payload has no records array");
        }
        Ok(v)
    };
    fn payload_records(payload: &Payload) -> impl Iterator<Item = RawRecord> + '_ {
        payload
            .records()
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, r)| RawRecord {
                loc: Location::Index(i as u64),
                data: RawData::Value(r.value()),
            })
    }
    match kind {
        InputKind::ExportJson => {
            let bytes = std::fs::read(path)?;
            let payload = payload(Payload::parse(&bytes))?;
            for r in payload_records(&payload) {
                let c = record::check(r, &mut buf);
                if want(&c) {
                    out.push(c);
                }
            }
        }
        InputKind::ExportPdf => {
            // Parsed as it inflates, never held whole.
            let (_, parsed) = pdf::read_pdf_with(path, |payload| {
                let parsed = payload.reader().map(Payload::from_reader);
                payload.release();
                parsed
            })?;
            let Some(parsed) = parsed else {
                bail!("the PDF has no embedded audit-export.json: its records cannot be inspected offline");
            };
            let payload = payload(parsed)?;
            for r in payload_records(&payload) {
                let c = record::check(r, &mut buf);
                if want(&c) {
                    out.push(c);
                }
            }
            // Its earlier revisions, graded as `verify` grades them on this file alone.
            let case = build_case(&[path.to_path_buf()], &RunOptions::default())?;
            let recovered = case
                .report("trailproof", env!("CARGO_PKG_VERSION"))
                .findings
                .into_iter()
                .filter(|f| {
                    f.code == Code::RecordRecovered
                        && f.tenant_id.as_deref() == Some(tenant)
                        && f.seq == Some(seq)
                })
                .collect();
            return Ok((out, recovered));
        }
        _ => {
            let evidence = match kind {
                InputKind::Sqlite => Some(SqliteEvidence::prepare(path, &display(path), true)?),
                _ => None,
            };
            let mut src = match &evidence {
                Some(e) => e.open_records(ReadMode::LookUp)?,
                None => open_records(path, kind)?,
            };
            let mut batch = Vec::new();
            loop {
                batch.clear();
                let more = src.next_batch(&mut batch, 4096)?;
                for r in batch.drain(..) {
                    let c = record::check(r, &mut buf);
                    if want(&c) {
                        out.push(c);
                    }
                }
                if !more {
                    break;
                }
            }
            if let Some(mut e) = evidence {
                let recovered = e
                    .findings(&Case::new(), &display(path))?
                    .into_iter()
                    .filter(|f| f.tenant_id.as_deref() == Some(tenant) && f.seq == Some(seq))
                    .collect();
                return Ok((out, recovered));
            }
        }
    }
    Ok((out, Vec::new()))
}

/// A recovered version as `inspect --json` shows it.
fn recovered_json(f: &Finding) -> serde_json::Value {
    serde_json::json!({
        "recovered_from": f.recovered_from,
        "offset": f.offset,
        "location": f.location,
        "proof": f.proof,
        "computed_hash": f.computed,
        "record": f.record,
        "fields": f.fields,
        "message": f.message,
    })
}

/// The recovered versions in text: proof, place, and the members that differ from the current
/// record (or the whole record when there is none).
fn print_recovered(recovered: &[Finding]) -> anyhow::Result<()> {
    if recovered.is_empty() {
        return Ok(());
    }
    println!("\nRecovered versions ({}):", recovered.len());
    for f in recovered {
        println!(
            "  proof {}: {} at {} ({})",
            f.proof.map(|p| p.as_str()).unwrap_or("none"),
            f.recovered_from.as_deref().unwrap_or("?"),
            found_at(
                f.recovered_from.as_deref().unwrap_or(""),
                f.offset.unwrap_or(0)
            ),
            f.location.as_deref().unwrap_or(""),
        );
        println!(
            "    recomputed hash: {}",
            f.computed.as_deref().unwrap_or("(not computable)")
        );
        if f.fields.is_empty() {
            println!(
                "    {}",
                serde_json::to_string(&f.record)?.replace(|c: char| c.is_control(), "\u{fffd}")
            );
        }
        for d in &f.fields {
            println!(
                "    {}: {} | recovered {}",
                d.field,
                d.left.as_deref().unwrap_or("(absent)"),
                d.right.as_deref().unwrap_or("(absent)")
            )
        }
    }
    Ok(())
}

/// The arguments of `trailproof inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// The evidence file to look in.
    pub file: PathBuf,
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub seq: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command; returns the exit code.
pub fn run(a: Args) -> anyhow::Result<u8> {
    let (file, tenant, seq) = (&a.file, &a.tenant, a.seq);
    show(file, tenant, seq, a.json)
        .with_context(|| format!("inspecting {tenant} seq {seq} in {}", file.display()))
}

fn show(path: &Path, tenant: &str, seq: u64, json: bool) -> anyhow::Result<u8> {
    let (found, recovered) = neighbours(path, tenant, seq)?;
    let at = |s: u64| found.iter().filter(move |c| c.seq == Some(s));
    let Some(target) = at(seq).next() else {
        if recovered.is_empty() {
            bail!("no record of tenant {tenant:?} with seq {seq} in this input");
        }
        // Deleted, but recovered: show what was found.
        if json {
            let v = serde_json::json!({
                "tenant_id": tenant,
                "seq": seq,
                "copies": 0,
                "recovered": recovered.iter().map(recovered_json).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            println!("{tenant} seq {seq}: no current record in this input");
            print_recovered(&recovered)?;
        }
        return Ok(1);
    };
    let copies = at(seq).count();
    let Some(rec) = &target.record else {
        bail!(
            "the record at {} is unreadable: {}",
            target.loc,
            target.problems.join("; ")
        );
    };
    let mut canon = Vec::new();
    record::write_hashed_bytes(rec, &mut canon);
    let stored = target
        .stored_hash
        .map(|d| hex(&d))
        .or(target.stored_hash_text.clone());
    let computed = target.computed_hash.map(|d| hex(&d));
    let prev = at(seq.wrapping_sub(1)).next();
    let next = at(seq + 1).next();
    let link_prev = match (seq, prev) {
        (1, _) => Some(target.prev_hash == Some(record::GENESIS)),
        (_, Some(p)) => Some(p.stored_hash.is_some() && p.stored_hash == target.prev_hash),
        (_, None) => None,
    };
    let link_next = next.map(|n| n.prev_hash.is_some() && n.prev_hash == target.stored_hash);
    let ok = stored.is_some()
        && stored == computed
        && link_prev != Some(false)
        && link_next != Some(false);
    if json {
        let v = serde_json::json!({
            "tenant_id": tenant,
            "seq": seq,
            "location": target.loc.to_string(),
            "copies": copies,
            "record": rec.to_serde(),
            "canonical": String::from_utf8_lossy(&canon),
            "stored_hash": stored,
            "computed_hash": computed,
            "hash_matches": stored.is_some() && stored == computed,
            "problems": target.problems,
            "prev": prev.map(|p| serde_json::json!({"seq": p.seq, "hash": p.stored_hash.map(|d| hex(&d)), "location": p.loc.to_string()})),
            "prev_hash": target.prev_hash.map(|d| hex(&d)),
            "links_to_prev": link_prev,
            "next": next.map(|n| serde_json::json!({"seq": n.seq, "prev_hash": n.prev_hash.map(|d| hex(&d)), "location": n.loc.to_string()})),
            "next_links_here": link_next,
        });
        let mut v = v;
        if !recovered.is_empty() {
            v["recovered"] = recovered.iter().map(recovered_json).collect();
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let yn = |b: Option<bool>| match b {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "not in this input",
        };
        println!(
            "{tenant} seq {seq} at {}{}",
            target.loc,
            if copies > 1 {
                format!(" ({copies} records share this seq)")
            } else {
                String::new()
            }
        );
        println!(
            "\nRecord:\n{}",
            serde_json::to_string_pretty(&rec.to_serde())?
        );
        println!(
            "\nCanonical bytes as hashed ({} bytes):\n{}",
            canon.len(),
            String::from_utf8_lossy(&canon).replace(|c: char| c.is_control(), "\u{fffd}")
        );
        println!(
            "\nstored hash:     {}",
            stored.as_deref().unwrap_or("(none)")
        );
        println!(
            "recomputed hash: {}",
            computed.as_deref().unwrap_or("(not computable)")
        );
        for p in &target.problems {
            println!("problem: {p}");
        }
        println!(
            "\nprev_hash:       {}",
            target
                .prev_hash
                .map(|d| hex(&d))
                .unwrap_or_else(|| "(unreadable)".into())
        );
        println!("links to seq {}: {}", seq.saturating_sub(1), yn(link_prev));
        println!("seq {} links here: {}", seq + 1, yn(link_next));
        print_recovered(&recovered)?;
    }
    Ok(if ok { 0 } else { 1 })
}
