//! Every recovery fixture (tests/fixtures/recovery, made by make_recovery_fixtures.py) gives
//! exactly the candidates its expected.json lists: seq, place, offset, the recovered `hash`.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde_json::Value;
use trailproof_recover::{scan, Candidate, Options, ReadSeek, Scan, SqlValue};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/recovery")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("json")
}

fn scan_fixture(files: &Value) -> Scan {
    let open = |key: &str| {
        files
            .get(key)
            .map(|n| File::open(dir().join(n.as_str().unwrap())).unwrap())
    };
    let mut main = open("main").unwrap();
    let mut wal = open("wal");
    let mut journal = open("journal");
    scan(
        &mut main,
        wal.as_mut().map(|f| f as &mut dyn ReadSeek),
        journal.as_mut().map(|f| f as &mut dyn ReadSeek),
        &Options::default(),
    )
    .expect("scan")
}

fn key(c: &Candidate) -> (String, i64, String, u64, String) {
    let text = |n: &str| match c.get(n) {
        Some(SqlValue::Text(t)) => t.clone(),
        other => panic!("{n}: {other:?}"),
    };
    (
        text("tenant_id"),
        c.get("seq").and_then(SqlValue::as_integer).unwrap(),
        c.from.as_str().to_owned(),
        c.offset,
        text("hash"),
    )
}

#[test]
fn every_fixture_gives_exactly_the_expected_candidates() {
    let all = expected();
    for (name, fixture) in all["fixtures"].as_object().unwrap() {
        let found = scan_fixture(&fixture["files"]);
        let mut got: Vec<_> = found.candidates.iter().map(key).collect();
        let mut want: Vec<_> = fixture["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["tenant_id"].as_str().unwrap().to_owned(),
                    c["seq"].as_i64().unwrap(),
                    c["from"].as_str().unwrap().to_owned(),
                    c["offset"].as_u64().unwrap(),
                    c["hash"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        want.sort();
        assert_eq!(
            got,
            want,
            "{name}: {:#?}",
            found
                .candidates
                .iter()
                .map(|c| (c.from, c.offset, c.region, c.header, c.rowid, c.wal_frame))
                .collect::<Vec<_>>()
        );
    }
}
