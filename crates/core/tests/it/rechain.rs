//! Chains of a re-readable source that dropped their entries ([`SourceRun::set_reread_keeping`]):
//! a dump in seq order is checked as it arrives and never read again; one record out of order
//! after the drop, and the chains are checked from a second read, with the same report as a
//! source that kept every entry; a second read that differs or fails leaves the chain checks
//! not possible, never passed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use trailproof_core::case::{Case, ReadAgain};
use trailproof_core::finding::{Code, Status};
use trailproof_core::record::RawRecord;
use trailproof_core::report::Report;

use super::reconcile::{lines, raw};

/// The vectors' records without globex seq 5 (line 19): a deletion in a whole chain. Acme seq 8
/// comes before seq 7 (lines 7 and 8), as in the vectors.
fn tampered() -> Vec<String> {
    let mut v = lines();
    let gone = v.remove(18);
    assert!(
        gone.contains(r#""seq": 5,"#) && gone.contains("globex"),
        "{gone}"
    );
    v
}

/// The report of `lines` read as one dump; with `second` (what the second read yields, and
/// its digest), the source keeps one byte of chain entries while in order. Also returns how
/// many times the source was read again, and what the second read reported as it went (its
/// batches of 7 lines "at" 100 bytes a line).
fn report_reporting(
    lines: Vec<String>,
    second: Option<Result<(Vec<String>, String), String>>,
) -> (Report, usize, Vec<ReadAgain>) {
    let mut case = Case::new();
    let mut run = case.source("dump.jsonl", "jsonl");
    let reads = Arc::new(AtomicUsize::new(0));
    if let Some(second) = second {
        let count = reads.clone();
        run.set_reread_keeping(
            Box::new(move |sink: &mut dyn FnMut(Vec<RawRecord>, u64)| {
                count.fetch_add(1, Ordering::SeqCst);
                let (again, digest) = second.clone()?;
                let mut bytes = 0;
                for chunk in raw(&again).chunks(7) {
                    bytes += 100 * chunk.len() as u64;
                    sink(chunk.to_vec(), bytes);
                }
                Ok(digest)
            }),
            1,
        );
    }
    for chunk in raw(&lines).chunks(7) {
        run.push_batch(chunk.to_vec());
    }
    let mut told = Vec::new();
    case.finish_source_reporting(run, 0, "first".into(), &mut |r| told.push(r));
    (case.report("t", "0"), reads.load(Ordering::SeqCst), told)
}

/// [`report_reporting`] without what the second read reported.
fn report(
    lines: Vec<String>,
    second: Option<Result<(Vec<String>, String), String>>,
) -> (Report, usize) {
    let (r, reads, _) = report_reporting(lines, second);
    (r, reads)
}

#[test]
fn a_second_read_reports_its_start_and_every_batch() {
    let lines = tampered();
    let n = lines.len() as u64;
    let (_, reads, told) = report_reporting(lines.clone(), Some(Ok((lines, "first".into()))));
    assert_eq!(reads, 1);
    let mut want = vec![ReadAgain::Started];
    let mut records = 0;
    while records < n {
        records = (records + 7).min(n);
        want.push(ReadAgain::Advanced {
            bytes: 100 * records,
            records,
        });
    }
    assert_eq!(told, want);
    // In seq order, or with nothing to read again, nothing is reported.
    let (_, reads, told) = report_reporting(tampered(), None);
    assert_eq!((reads, told), (0, vec![]));
}

fn json(r: &Report) -> String {
    serde_json::to_string(r).unwrap()
}

fn chain_checks(r: &Report) -> Vec<(String, String, Status)> {
    let ids = [
        "chain_links",
        "seq_continuity",
        "genesis",
        "timestamp_order",
    ];
    r.checks
        .iter()
        .filter(|c| ids.contains(&c.check.as_str()))
        .map(|c| (c.tenant_id.clone().unwrap(), c.check.clone(), c.status))
        .collect()
}

#[test]
fn a_record_out_of_order_after_the_drop_is_checked_from_a_second_read() {
    let (kept, _) = report(tampered(), None);
    let (reread, reads) = report(tampered(), Some(Ok((tampered(), "first".into()))));
    assert_eq!(reads, 1);
    assert_eq!(json(&reread), json(&kept));
    let gaps: Vec<_> = reread
        .findings
        .iter()
        .filter(|f| f.code == Code::SeqGap)
        .map(|f| {
            (
                f.tenant_id.as_deref().unwrap(),
                f.seq.unwrap(),
                f.location.as_deref(),
            )
        })
        .collect();
    assert_eq!(gaps, [("globex", 5, Some("line 19"))]);
    let checks = chain_checks(&reread);
    assert_eq!(checks.len(), 8);
    assert!(checks.contains(&("globex".into(), "seq_continuity".into(), Status::Failed)));
    assert!(checks.contains(&("acme".into(), "chain_links".into(), Status::Passed)));
}

#[test]
fn a_dump_in_seq_order_is_never_read_again() {
    let mut sorted = tampered();
    sorted.sort_by_key(|l| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (
            v["tenant_id"].as_str().unwrap().to_owned(),
            v["seq"].as_u64().unwrap(),
        )
    });
    let (kept, _) = report(sorted.clone(), None);
    let (dropped, reads) = report(sorted, Some(Err("must not be read".into())));
    assert_eq!(reads, 0);
    assert_eq!(json(&dropped), json(&kept));
    let failed: Vec<_> = chain_checks(&dropped)
        .into_iter()
        .filter(|c| c.2 == Status::Failed)
        .map(|c| (c.0, c.1))
        .collect();
    let want = [
        ("acme", "timestamp_order"),
        ("globex", "chain_links"),
        ("globex", "seq_continuity"),
    ];
    assert_eq!(failed, want.map(|(t, c)| (t.to_string(), c.to_string())));
}

#[test]
fn a_second_read_that_differs_or_fails_leaves_the_chains_not_checked() {
    let mut other = tampered();
    other.pop();
    for (second, why) in [
        (
            Ok((other, "second".to_string())),
            "is not the one read first (SHA-256 second, first first)",
        ),
        (Err("boom".to_string()), "could not be read again (boom)"),
    ] {
        let (r, reads) = report(tampered(), Some(second));
        assert_eq!(reads, 1);
        assert!(r.findings.iter().all(|f| !matches!(
            f.code,
            Code::SeqGap | Code::ChainLinkBroken | Code::TimestampRegression
        )));
        let checks: Vec<_> = r
            .checks
            .iter()
            .filter(|c| {
                [
                    "chain_links",
                    "seq_continuity",
                    "genesis",
                    "timestamp_order",
                ]
                .contains(&c.check.as_str())
            })
            .collect();
        assert_eq!(checks.len(), 8, "four for each of acme and globex");
        for c in checks {
            assert_eq!(c.status, Status::NotPossible, "{c:?}");
            assert!(c.detail.contains(why), "{}", c.detail);
        }
        assert!(r.tenants.is_empty());
    }
}
