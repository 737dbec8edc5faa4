//! Record detail read back through the zones kept while the case was verified (issue #20): the
//! same copies, at the same places, as the full scan of each dump, for every entry of cases of
//! every dump form, and of a dump of many batches.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use trailproof_app::session::Loaded;
use trailproof_app::{detail, work};
use trailproof_ingest::InputKind;
use trailproof_testkit::{fixture, scratch, vector};

fn open(paths: &[PathBuf]) -> Loaded {
    let cancel = AtomicBool::new(false);
    work::open(1, paths.to_vec(), None, &|_| {}, &cancel).expect("opens")
}

/// The detail of entry `i`, as the UI receives it.
fn shown(case: &Loaded, i: u32) -> String {
    serde_json::to_string(&detail::detail(case, i).expect("an entry")).unwrap()
}

/// Every `step`th entry's detail through the zones, then through the full scan: equal, and
/// naming at least one copy from a dump for each record.
fn same_as_scan(mut case: Loaded, step: usize) -> usize {
    let entries: Vec<u32> = (0..case.len() as u32).step_by(step).collect();
    let zoned: Vec<String> = entries.iter().map(|&i| shown(&case, i)).collect();
    case.zones.clear();
    for (&i, z) in entries.iter().zip(&zoned) {
        assert_eq!(*z, shown(&case, i), "entry {i}");
    }
    entries.len()
}

#[test]
fn every_dump_form_reads_the_same_detail_through_its_zones() {
    let files = [
        (vector("records.jsonl"), Some(InputKind::Jsonl)),
        (vector("audit.csv"), Some(InputKind::Csv)),
        (vector("audit.pg.sql"), Some(InputKind::PgDump)),
        (vector("audit.sqlite.sql"), Some(InputKind::SqliteSql)),
        (vector("audit.sqlite"), None),
        (fixture("dumps", "bad-line.jsonl"), Some(InputKind::Jsonl)),
        (fixture("dumps", "quoted.csv"), Some(InputKind::Csv)),
        (
            fixture("dumps", "pg15-inserts.sql"),
            Some(InputKind::PgDump),
        ),
        (
            fixture("dumps", "sqlite-misc.sql"),
            Some(InputKind::SqliteSql),
        ),
    ];
    for (path, kind) in files {
        let case = open(std::slice::from_ref(&path));
        // SQLite files are looked up by their rows: they keep no zones.
        let kinds: Vec<InputKind> = case.zones.iter().map(|z| z.kind).collect();
        assert_eq!(kinds, kind.into_iter().collect::<Vec<_>>(), "{path:?}");
        assert!(same_as_scan(case, 1) > 0, "{path:?}");
    }
}

#[test]
fn a_dump_of_many_batches_reads_each_record_back_from_its_own_batch() {
    // 52 records under 200 tenant names: 10,400 records, three batches, one record edited.
    let mut records = Vec::new();
    for k in 0..200 {
        for mut r in trailproof_testkit::jsonl::records() {
            r["tenant_id"] = format!("{}-{k}", r["tenant_id"].as_str().unwrap()).into();
            records.push(r);
        }
    }
    records[7_000]["outcome_reason"] = "edited".into();
    let path = scratch("detail-zones").join("many.jsonl");
    trailproof_testkit::jsonl::write(&path, &records);
    let case = open(std::slice::from_ref(&path));
    assert_eq!(case.zones[0].zones.len(), 3);
    let (tenant, seq) = (
        records[7_000]["tenant_id"].as_str().unwrap().to_string(),
        records[7_000]["seq"].as_u64().unwrap(),
    );
    let d = detail::detail(&case, case.index_of(&tenant, seq).unwrap()).unwrap();
    assert_eq!(d.copies.len(), 1);
    assert_eq!(d.copies[0].location, "line 7001");
    assert!(d.copies[0]
        .fields
        .iter()
        .any(|(k, v)| k == "outcome_reason" && v == "\"edited\""));
    assert_ne!(d.copies[0].stored_hash, d.copies[0].computed_hash);
    assert_eq!(same_as_scan(case, 1_001), 11);
}
