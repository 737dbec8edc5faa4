//! Zones: a record's copies read back from the batches that may hold it, from the readers'
//! marks (JSON Lines, CSV) or counted from the start (SQL dumps), exactly as the first read gave
//! them. The dumps hold 10,000 records (three batches of 4,096) of three tenants in seq order,
//! and one record of tenant `t0` repeated at the end, out of order.

use std::path::{Path, PathBuf};

use trailproof_engine::zones::{read_back, FileZones};
use trailproof_engine::Investigation;
use trailproof_ingest::detect::open_records;
use trailproof_ingest::{InputKind, Location, RawRecord};
use trailproof_testkit::scratch;

const RECORDS: u64 = 10_000;

/// (tenant, seq) of record `i` (0-based): tenants in turn, seqs from 1; the last record is
/// `t0` seq 5 again.
fn key(i: u64) -> (String, u64) {
    if i == RECORDS - 1 {
        return ("t0".into(), 5);
    }
    (format!("t{}", i % 3), i / 3 + 1)
}

fn write_dumps(dir: &Path) -> [(PathBuf, InputKind); 3] {
    let mut jsonl = String::new();
    // A quoted field across two lines every 1,000 rows: CSV lines and rows differ.
    let mut csv = String::from("tenant_id,seq,action,hash\n");
    let mut pg = String::from(
        "--\n-- PostgreSQL database dump\n--\n\nCOPY public.audit_log (tenant_id, seq, action) FROM stdin;\n",
    );
    for i in 0..RECORDS {
        let (t, s) = key(i);
        jsonl.push_str(&format!(
            "{{\"tenant_id\":\"{t}\",\"seq\":{s},\"action\":\"a{i}\"}}\n"
        ));
        if i % 1000 == 0 {
            csv.push_str(&format!("{t},{s},\"a{i}\nnext\",\n"));
        } else {
            csv.push_str(&format!("{t},{s},a{i},\n"));
        }
        pg.push_str(&format!("{t}\t{s}\ta{i}\n"));
    }
    pg.push_str("\\.\n");
    let files = [
        (dir.join("audit.jsonl"), InputKind::Jsonl, jsonl),
        (dir.join("audit.csv"), InputKind::Csv, csv),
        (dir.join("audit.pg.sql"), InputKind::PgDump, pg),
    ];
    files.map(|(p, k, text)| {
        std::fs::write(&p, text).unwrap();
        (p, k)
    })
}

fn zones_of(path: &Path) -> FileZones {
    let files = [path.to_path_buf()];
    let outcome = Investigation::new(&files).zones(true).report().unwrap();
    assert_eq!(outcome.zones.len(), 1);
    outcome.zones.into_iter().next().unwrap()
}

fn all_records(path: &Path, kind: InputKind) -> Vec<RawRecord> {
    let mut src = open_records(path, kind).unwrap();
    let mut out = Vec::new();
    while src.next_batch(&mut out, 1000).unwrap() {}
    out
}

#[test]
fn a_records_copies_are_read_back_from_the_batches_that_may_hold_it() {
    let dir = scratch("zones");
    for (path, kind) in write_dumps(&dir) {
        let name = path.display().to_string();
        let z = zones_of(&path);
        assert_eq!(z.kind, kind);
        assert_eq!(z.zones.len(), 3, "{name}");
        let every = all_records(&path, kind);
        assert_eq!(every.len() as u64, RECORDS);
        let back = |t: &str, s: u64| {
            let mut got = Vec::new();
            let read = read_back(&path, kind, &z.zones, t, s, |r| got.push(r)).unwrap();
            assert_eq!(read, got.len() as u64);
            got
        };
        // A record of the second batch: that batch alone, with the record as first read.
        let i = 5_000;
        let (t, s) = key(i);
        let got = back(&t, s);
        assert_eq!(got.len(), 4096, "{name}");
        assert_eq!(
            format!("{:?}", got[i as usize - 4096]),
            format!("{:?}", every[i as usize]),
            "{name}"
        );
        // t0 seq 5: the first batch and the last one, which repeats it.
        let got = back("t0", 5);
        assert_eq!(got.len(), 4096 + (RECORDS as usize - 8192), "{name}");
        let places: Vec<Location> = got
            .iter()
            .zip(every[..4096].iter().chain(&every[8192..]))
            .map(|(a, b)| {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{name}");
                a.loc
            })
            .collect();
        let (first, last) = (places[12], *places.last().unwrap());
        match kind {
            InputKind::Jsonl => {
                assert_eq!((first, last), (Location::Line(13), Location::Line(RECORDS)));
            }
            InputKind::Csv => {
                assert_eq!((first, last), (Location::Row(13), Location::Row(RECORDS)));
            }
            _ => {
                // The COPY header is line 5: record i is on line 6 + i.
                assert_eq!(
                    (first, last),
                    (Location::Line(18), Location::Line(RECORDS + 5))
                );
            }
        }
        // Nothing holds t1 seq 9,999 or tenant t9: nothing is read.
        assert!(back("t1", 9_999).is_empty(), "{name}");
        assert!(back("t9", 1).is_empty(), "{name}");
    }
}
