//! `case show` and `case check`: the case as its examiner log replays it, with every evidence
//! file re-hashed, and the check of the log's chain.

use std::path::Path;

use serde_json::json;
use trailproof_casefile::{
    case_verdict as verdict, handover, CaseFile, CaseHandover, EvidenceState,
};

/// `case show [--json]`.
pub fn show(case: &Path, json: bool) -> anyhow::Result<u8> {
    let file = CaseFile::open(case, false)?;
    let (h, state) = handover(&file)?;
    let verdict = verdict(&h);
    if json {
        let out = json!({
            "id": h.id,
            "number": h.number,
            "title": h.title,
            "examiner": {"name": h.examiner_name, "id": h.examiner_id},
            "organisation": h.organisation,
            "time_zone": h.time_zone,
            "created": h.created,
            "evidence": h.evidence,
            "annotations": h.annotations,
            "analyst_events": h.analyst_events,
            "views": state.views,
            "reports": state.reports,
            "log_head": h.examiner_log.head,
            "log": {"records": h.examiner_log.records, "whole": h.examiner_log.is_whole(),
                    "breaks": h.examiner_log.breaks},
            "inconsistencies": h.inconsistencies,
            "verdict": verdict,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(0);
    }
    let title = h
        .title
        .as_ref()
        .map(|t| format!(": {t}"))
        .unwrap_or_default();
    println!("Case {}{title}", h.number);
    println!("  id           {}", h.id);
    println!("  examiner     {} ({})", h.examiner_name, h.examiner_id);
    if let Some(o) = &h.organisation {
        println!("  organisation {o}");
    }
    println!("  time zone    {}", h.time_zone);
    println!("  created      {}", h.created);
    let v = verdict.as_deref().unwrap_or("no evidence yet");
    println!("  verdict      {v}");
    println!("\nEvidence ({})", h.evidence.len());
    print_evidence(&h);
    println!("\nAnnotations ({})", h.annotations.len());
    for a in &h.annotations {
        let mut what = Vec::new();
        if a.starred {
            what.push("starred".to_string());
        }
        if !a.tags.is_empty() {
            what.push(format!("tags: {}", a.tags.join(", ")));
        }
        let source = a
            .source
            .as_ref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        println!(
            "  {} seq {}{source}: {}",
            a.tenant_id,
            a.seq,
            what.join("; ")
        );
        for n in &a.notes {
            let edited = n
                .edited
                .as_ref()
                .map(|t| format!(", edited {t}"))
                .unwrap_or_default();
            println!("    note {} ({}{edited}): {}", n.id, n.written, n.text);
        }
    }
    println!(
        "\nAnalyst events ({}), recorded by the examiner, not evidence",
        h.analyst_events.len()
    );
    for e in &h.analyst_events {
        let w = if e.withdrawn { " [withdrawn]" } else { "" };
        println!("  {} {}: {}{w}", e.id, e.time, e.text);
    }
    print_log(&h);
    Ok(0)
}

fn print_evidence(h: &CaseHandover) {
    for c in &h.evidence {
        let e = &c.evidence;
        match &c.now {
            EvidenceState::Unchanged => println!(
                "  unchanged  {}  {}  {} bytes  SHA-256 {}  added {}  verdict then: {}",
                e.path, e.kind, e.size, e.sha256, e.added, e.verdict
            ),
            EvidenceState::Changed {
                size_now,
                sha256_now,
            } => println!(
                "  CHANGED    {}  SHA-256 when added {} ({} bytes), now {sha256_now} ({size_now} bytes): its results are not current",
                e.path, e.sha256, e.size
            ),
            EvidenceState::Missing { reason } => println!(
                "  MISSING    {}  SHA-256 when added {}: {reason}: its results are not current",
                e.path, e.sha256
            ),
        }
    }
}

fn print_log(h: &CaseHandover) {
    let log = &h.examiner_log;
    match &log.head {
        Some(head) => println!(
            "\nExaminer log: {} records, head seq {} hash {}, chain {}",
            log.records,
            head.seq,
            head.hash,
            if log.is_whole() { "whole" } else { "BROKEN" }
        ),
        None => println!("\nExaminer log: empty"),
    }
    for b in log.breaks.iter().chain(&h.inconsistencies) {
        println!("  ! {b}");
    }
}

/// `case check [--json]`: exit 0 when every evidence file is unchanged and the log is whole and
/// agrees with the tables, 1 otherwise.
pub fn check(case: &Path, json: bool) -> anyhow::Result<u8> {
    let file = CaseFile::open(case, false)?;
    let (h, _) = handover(&file)?;
    let changed = h
        .evidence
        .iter()
        .filter(|c| c.now != EvidenceState::Unchanged)
        .count();
    let log_whole = h.examiner_log.is_whole();
    let ok = changed == 0 && log_whole && h.inconsistencies.is_empty();
    if json {
        let out = json!({
            "evidence": h.evidence,
            "log": {"records": h.examiner_log.records, "head": h.examiner_log.head,
                    "whole": log_whole, "breaks": h.examiner_log.breaks},
            "inconsistencies": h.inconsistencies,
            "ok": ok,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(if ok { 0 } else { 1 });
    }
    print_evidence(&h);
    print_log(&h);
    if ok {
        println!("Case check passed: every evidence file unchanged, examiner log whole.");
    } else {
        let mut what = Vec::new();
        if changed > 0 {
            what.push(format!("{changed} evidence file(s) changed or missing"));
        }
        if !log_whole {
            what.push("the examiner log's chain is broken".to_string());
        }
        if !h.inconsistencies.is_empty() {
            what.push("the case file's tables disagree with its log".to_string());
        }
        println!("Case check FAILED: {}.", what.join("; "));
    }
    Ok(if ok { 0 } else { 1 })
}
