//! Every recovery fixture (tests/fixtures/recovery, made by make_recovery_fixtures.py) gives
//! exactly the candidates its expected.json lists: seq, place, offset, the recovered `hash`.

use std::fs::File;
use std::path::PathBuf;

use serde_json::Value;
use trailproof_recover::{
    scan, write_state, Candidate, EvidenceFile, FrameStatus, Options, ReadSeek, RecordHeader,
    RecoverError, Scan, SqlValue,
};

fn dir() -> PathBuf {
    trailproof_testkit::fixture("recovery", "")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("json")
}

fn scan_fixture(files: &Value) -> Scan {
    scan_fixture_with(files, &Options::default())
}

fn scan_fixture_with(files: &Value, options: &Options) -> Scan {
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
        options,
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

/// Live rows written to the temporary file (here every one of them) are read back whole: the
/// copies of live rows in superseded images are still dropped, and every fixture gives the
/// same candidates and anomalies as with the rows held in memory.
#[test]
fn live_rows_spilled_to_a_temporary_file_change_nothing() {
    let spill = Options {
        live_rows_in_memory: 1,
        ..Options::default()
    };
    let all = expected();
    for (name, fixture) in all["fixtures"].as_object().unwrap() {
        let held = scan_fixture(&fixture["files"]);
        let spilled = scan_fixture_with(&fixture["files"], &spill);
        assert_eq!(held.candidates, spilled.candidates, "{name}");
        assert_eq!(held.anomalies, spilled.anomalies, "{name}");
    }
}

/// A temporary directory that cannot be written is an error of the scan that names it, once
/// the live rows outgrow memory (and none while they fit).
#[test]
fn an_unwritable_temporary_directory_is_named() {
    let files = &expected()["fixtures"]["wal_edit"]["files"];
    let missing = dir().join("no-such-directory");
    let options = Options {
        temp_dir: missing.clone(),
        ..Options::default()
    };
    assert!(!scan_fixture_with(files, &options).candidates.is_empty());
    let options = Options {
        live_rows_in_memory: 1,
        ..options
    };
    let open = |n: &str| File::open(dir().join(files[n].as_str().unwrap())).unwrap();
    let err = scan(&mut open("main"), Some(&mut open("wal")), None, &options).unwrap_err();
    match err {
        RecoverError::Temporary { dir, .. } => assert_eq!(dir, missing),
        other => panic!("{other}"),
    }
}

/// The record bytes a candidate carries are the bytes of the file at its offset (save the
/// header bytes that were lost and rebuilt), for every candidate of every fixture.
#[test]
fn offsets_point_at_the_record_bytes() {
    let all = expected();
    for (name, fixture) in all["fixtures"].as_object().unwrap() {
        let files = &fixture["files"];
        let found = scan_fixture(files);
        for c in &found.candidates {
            let key = match c.from.file() {
                EvidenceFile::Main => "main",
                EvidenceFile::Wal => "wal",
                EvidenceFile::Journal => "journal",
            };
            let bytes = std::fs::read(dir().join(files[key].as_str().unwrap())).unwrap();
            let lost = match c.header {
                RecordHeader::Intact => 0,
                RecordHeader::Rebuilt { rebuilt_bytes, .. } => rebuilt_bytes as usize,
            };
            assert!(
                c.overflow_pages.is_empty(),
                "{name}: no fixture record spills"
            );
            let start = c.offset as usize;
            let on_file = &bytes[start + lost..start + c.payload.len()];
            assert_eq!(on_file, &c.payload[lost..], "{name} at {}", c.offset);
            if let Some(rowid) = c.rowid {
                assert!(rowid > 0, "{name}: rowid {rowid}");
            }
        }
    }
}

/// The negative fixtures and the clean vector hold nothing, and in particular not the rows
/// that were removed from them.
#[test]
fn vacuum_secure_delete_and_clean_files_give_nothing() {
    let all = expected();
    for name in ["vacuum", "secure_delete"] {
        let fixture = &all["fixtures"][name];
        let found = scan_fixture(&fixture["files"]);
        for removed in fixture["removed"].as_array().unwrap() {
            let hash = removed["hash"].as_str().unwrap();
            assert!(
                !found
                    .candidates
                    .iter()
                    .any(|c| c.get("hash") == Some(&SqlValue::Text(hash.into()))),
                "{name}: {hash} recovered"
            );
        }
        assert!(found.candidates.is_empty(), "{name}");
        assert!(found.anomalies.is_empty(), "{name}: {:?}", found.anomalies);
    }
    let mut clean = File::open(dir().join("../../vectors/audit.sqlite")).unwrap();
    let found = scan(&mut clean, None, None, &Options::default()).unwrap();
    assert!(found.candidates.is_empty());
    assert!(found.anomalies.is_empty());
    assert!(found.wal.is_none() && found.journal.is_none());
    assert_eq!(found.table.root_page, 2);
    assert_eq!(found.table.stored_columns().count(), 21);
}

/// The frames the WAL parser lists are the ones the script wrote, with the statuses SQLite
/// gives them.
#[test]
fn wal_frames_and_their_status() {
    let all = expected();
    for name in ["wal_edit", "wal_uncommitted"] {
        let fixture = &all["fixtures"][name];
        let wal = scan_fixture(&fixture["files"]).wal.expect("wal");
        let want: Vec<(u32, u32, u32)> = fixture["wal"]["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let n = |k: &str| f[k].as_u64().unwrap() as u32;
                (n("frame"), n("page"), n("commit_size"))
            })
            .collect();
        let got: Vec<_> = wal
            .frames
            .iter()
            .map(|f| (f.number, f.page, f.commit_size))
            .collect();
        assert_eq!(got, want, "{name}");
        let last = fixture["wal"]["last_commit_frame"]
            .as_u64()
            .map(|n| n as u32);
        assert_eq!(wal.last_commit, last, "{name}");
        assert_eq!(wal.log_end, None, "{name}");
        assert_eq!(wal.trailing_bytes, 0, "{name}");
        let header = wal.header.as_ref().unwrap();
        assert_eq!(header.salts, [0x5EED_0001, 0x5EED_0002]);
    }
    let all_frames = |name: &str| scan_fixture(&all["fixtures"][name]["files"]).wal.unwrap();
    let edit = all_frames("wal_edit");
    let status: Vec<_> = edit.frames.iter().map(|f| f.status).collect();
    use FrameStatus::*;
    assert_eq!(status, [Superseded, Superseded, Applied, Applied]);
    assert_eq!(
        edit.applied
            .iter()
            .map(|(&p, &f)| (p, f))
            .collect::<Vec<_>>(),
        [(3, 3), (4, 4)]
    );
    assert_eq!(edit.database_pages, Some(9));
    let tail = all_frames("wal_uncommitted");
    assert!(tail.frames.iter().all(|f| f.status == Uncommitted));
    assert!(tail.applied.is_empty() && tail.database_pages.is_none());
}

/// The journal's page records are the ones the script saw, the last in a segment SQLite had
/// not synced yet.
#[test]
fn journal_pages() {
    let all = expected();
    let fixture = &all["fixtures"]["journal_hot"];
    let journal = scan_fixture(&fixture["files"]).journal.expect("journal");
    assert!(journal.hot);
    assert_eq!(
        journal.initial_pages(),
        fixture["journal"]["initial_pages"]
            .as_u64()
            .map(|n| n as u32)
    );
    let want: Vec<(u32, u64, bool)> = fixture["journal"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["page"].as_u64().unwrap() as u32,
                p["offset"].as_u64().unwrap(),
                p["synced"].as_bool().unwrap(),
            )
        })
        .collect();
    let got: Vec<_> = journal
        .pages
        .iter()
        .map(|p| (p.page, p.offset, journal.segments[p.segment].synced))
        .collect();
    assert_eq!(got, want);
    assert!(journal.pages.iter().all(|p| p.checksum_ok));
}

fn rows(conn: &rusqlite::Connection) -> Vec<Vec<rusqlite::types::Value>> {
    let mut stmt = conn
        .prepare("SELECT * FROM audit_log ORDER BY rowid")
        .unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n).map(|i| r.get(i)).collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

use trailproof_testkit::scratch as temp_dir;

/// `write_state` builds the database SQLite reads from a main file and its -wal: SQLite
/// reading the pair (a private copy) and reading the built state see the same rows.
#[test]
fn the_written_state_is_what_sqlite_reads() {
    let all = expected();
    for name in ["wal_edit", "wal_uncommitted"] {
        let files = &all["fixtures"][name]["files"];
        let main_path = dir().join(files["main"].as_str().unwrap());
        let wal_path = dir().join(files["wal"].as_str().unwrap());
        let d = temp_dir(name);
        let pair = d.join("pair.sqlite");
        std::fs::copy(&main_path, &pair).unwrap();
        let mut wal_name = pair.clone().into_os_string();
        wal_name.push("-wal");
        std::fs::copy(&wal_path, &wal_name).unwrap();
        let by_sqlite = rows(&rusqlite::Connection::open(&pair).unwrap());

        let found = scan_fixture(files);
        let state = d.join("state.sqlite");
        let mut out = File::create(&state).unwrap();
        let mut main = File::open(&main_path).unwrap();
        let mut wal = File::open(&wal_path).unwrap();
        let written = write_state(&mut main, Some(&mut wal), &found, &mut out).unwrap();
        drop(out);
        assert_eq!(written, u64::from(found.database_pages) * 4096);
        let uri = format!("file:{}?immutable=1", state.display());
        let conn = rusqlite::Connection::open_with_flags(
            uri,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap();
        assert_eq!(rows(&conn), by_sqlite, "{name}");
        std::fs::remove_dir_all(&d).ok();
    }
}
