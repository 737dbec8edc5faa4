//! The SQLite reader's fast path (the table's b-tree read straight from the file) against
//! SQLite stepping the same rows: every vector and fixture, and databases built to reach each
//! rule of the fast path (overflow chains, deep trees, the rowid alias and its `DESC` quirk,
//! REAL affinity, blobs, added columns, generated columns, a damaged interior page). Records,
//! their checks and the final error must be the same, and the fast path must have been taken
//! exactly where it can be.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use trailproof_core::record::check;
use trailproof_ingest::hashing::ReadMode;
use trailproof_ingest::sqlite::SqliteSource;
use trailproof_ingest::{RawData, RecordSource};
use trailproof_testkit::{fixture, vector};

/// Every record (its place, value and check) and how reading ended.
fn read(source: &mut SqliteSource) -> (Vec<String>, Option<String>) {
    let mut out = Vec::new();
    let mut end = None;
    loop {
        match source.next_batch(&mut out, 7) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                end = Some(e.to_string());
                break;
            }
        }
    }
    let mut buf = Vec::new();
    let records = out
        .into_iter()
        .map(|r| {
            let value = match &r.data {
                RawData::Row(row) => format!("{:?}", row.to_value()),
                other => format!("{other:?}"),
            };
            let loc = format!("{:?}", r.loc);
            format!("{loc} {value} {:?}", check(r, &mut buf))
        })
        .collect();
    (records, end)
}

/// Reads `path` both ways; whether the fast path read it to the end.
fn same_both_ways(path: &Path) -> bool {
    let open = || SqliteSource::open_mode(path, ReadMode::LookUp);
    let (Ok(mut fast), Ok(slow)) = (open(), open()) else {
        let (a, b) = (open().err().unwrap(), open().err().unwrap());
        assert_eq!(a.to_string(), b.to_string());
        return false;
    };
    let mut slow = slow.sqlite_only();
    let (a, b) = (read(&mut fast), read(&mut slow));
    assert_eq!(a.1, b.1, "{path:?}: how reading ended");
    assert_eq!(a.0.len(), b.0.len(), "{path:?}: record count");
    for (x, y) in a.0.iter().zip(&b.0) {
        assert_eq!(x, y, "{path:?}");
    }
    fast.reads_btree()
}

#[test]
fn vectors_and_fixtures_read_the_same_both_ways() {
    for p in [
        vector("audit.sqlite"),
        vector("tampered/edited-field.sqlite"),
        vector("tampered/deleted-record.sqlite"),
        vector("tampered/edited-and-rehashed.sqlite"),
        vector("tampered/rechained-suffix.sqlite"),
    ] {
        assert!(same_both_ways(&p), "{p:?}: the fast path read it");
    }
    for name in [
        "decoy.sqlite",
        "delete.sqlite",
        "replace_rehashed.sqlite",
        "secure_delete.sqlite",
        "vacuum.sqlite",
        "wal_edit.sqlite",
    ] {
        assert!(same_both_ways(&fixture("recovery", name)), "{name}");
    }
    // SQLite refuses these; the fast path gives the same error.
    for name in ["damaged.sqlite", "truncated.sqlite"] {
        same_both_ways(&fixture("dumps", name));
    }
}

fn build(dir: &Path, name: &str, page_size: u32, sql: &str) -> PathBuf {
    let p = dir.join(name);
    let c = Connection::open(&p).unwrap();
    c.execute_batch(&format!("PRAGMA page_size={page_size}; {sql}"))
        .unwrap();
    p
}

const AUDIT: &str = "CREATE TABLE audit_log (seq INTEGER NOT NULL, tenant_id TEXT NOT NULL, \
    event_id TEXT, timestamp TEXT, metadata TEXT, hash TEXT, PRIMARY KEY (tenant_id, seq));";

fn rows(n: usize, meta_len: impl Fn(usize) -> usize) -> String {
    let mut s = String::from("BEGIN;");
    for i in 1..=n {
        let meta = format!(r#"{{"k": "{}", "i": {i}}}"#, "m".repeat(meta_len(i)));
        s.push_str(&format!(
            "INSERT INTO audit_log VALUES ({i}, 't{}', 'e{i}', '2026-01-01T00:00:{:02}Z', '{meta}', '{}');",
            i % 3,
            i % 60,
            "a".repeat(64)
        ));
    }
    s.push_str("COMMIT;");
    s
}

#[test]
fn healthy_tables_of_every_shape_take_the_fast_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A deep tree of 512-byte pages, and records spilling into overflow chains of one to
    // hundreds of pages.
    let deep = build(
        d,
        "deep.sqlite",
        512,
        &format!("{AUDIT}{}", rows(3000, |_| 10)),
    );
    let over = build(
        d,
        "overflow.sqlite",
        1024,
        &format!(
            "{AUDIT}{}",
            rows(40, |i| [0, 900, 1100, 5000, 300_000][i % 5])
        ),
    );
    // The rowid alias, REAL affinity (integers stored, reals read), blobs, NULLs, rowids
    // far apart and negative.
    let alias = build(
        d,
        "alias.sqlite",
        4096,
        "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, seq INTEGER, amount REAL, data BLOB, note);
         INSERT INTO audit_log VALUES (-5, 1, 5, NULL, NULL), (3, 2, 2.5, x'00ff', 'x'),
           (9000000000, 3, -7, x'', 1.25), (9000000001, 4, NULL, NULL, 'é');",
    );
    // `INTEGER PRIMARY KEY DESC` is no alias: the value is stored.
    let desc = build(
        d,
        "desc.sqlite",
        4096,
        "CREATE TABLE audit_log (id INTEGER PRIMARY KEY DESC, seq INTEGER);
         INSERT INTO audit_log VALUES (10, 1), (20, 2), (5, 3);",
    );
    for p in [&deep, &over, &alias, &desc] {
        assert!(same_both_ways(p), "{p:?}: the fast path read it to the end");
    }
    let mut s = SqliteSource::open_mode(&alias, ReadMode::LookUp).unwrap();
    let (records, _) = read(&mut s);
    // The alias holds NULL in the record; its value is the rowid.
    assert!(
        records[0].contains(r#"("id", Number(-5.0))"#),
        "{}",
        records[0]
    );
}

#[test]
fn tables_it_cannot_vouch_for_fall_back_to_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Rows written before a column was added hold fewer values: SQLite gives the default.
    let altered = build(
        d,
        "altered.sqlite",
        4096,
        &format!(
            "{AUDIT}{} ALTER TABLE audit_log ADD COLUMN extra TEXT DEFAULT 'x'; {}",
            rows(20, |_| 5),
            "INSERT INTO audit_log VALUES (99, 't9', 'e', 't', '{}', 'h', 'y');"
        ),
    );
    assert!(
        !same_both_ways(&altered),
        "a short record hands over to SQLite"
    );
    let generated = build(
        d,
        "generated.sqlite",
        4096,
        "CREATE TABLE audit_log (seq INTEGER, twice INTEGER GENERATED ALWAYS AS (seq * 2) VIRTUAL);
         INSERT INTO audit_log (seq) VALUES (1), (2);",
    );
    let s = SqliteSource::open_mode(&generated, ReadMode::LookUp).unwrap();
    assert!(!s.reads_btree(), "a generated column is read by SQLite");
    assert!(!same_both_ways(&generated));
}

/// Page `n` (1-based) of a database file.
fn page_mut(bytes: &mut [u8], page_size: usize, n: usize) -> &mut [u8] {
    &mut bytes[(n - 1) * page_size..n * page_size]
}

#[test]
fn a_damaged_interior_page_hands_over_where_it_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let deep = build(
        dir.path(),
        "deep.sqlite",
        512,
        &format!("{AUDIT}{}", rows(2000, |_| 10)),
    );
    let root: u32 = Connection::open(&deep)
        .unwrap()
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name='audit_log'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut bytes = std::fs::read(&deep).unwrap();
    let root_page = page_mut(&mut bytes, 512, root as usize);
    assert_eq!(root_page[0], 5, "the root is an interior table page");
    // The second interior cell's key set below the first: the keys no longer ascend.
    let cell = |p: &[u8], i: usize| usize::from(u16::from_be_bytes([p[12 + 2 * i], p[13 + 2 * i]]));
    let second = cell(root_page, 1);
    root_page[second + 4] = 1;
    let damaged = dir.path().join("damaged-key.sqlite");
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(
        !same_both_ways(&damaged),
        "the fast path stopped at the damaged key"
    );
    let mut s = SqliteSource::open_mode(&damaged, ReadMode::LookUp).unwrap();
    let (records, _) = read(&mut s);
    assert!(
        !records.is_empty(),
        "the rows before the damage came from the b-tree"
    );
}

/// Bytes changed anywhere in a small database (headers, pointers, keys, varints, text): at
/// every one of them both readings give the same records and the same end.
#[test]
fn a_byte_changed_anywhere_reads_the_same_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let db = build(
        dir.path(),
        "small.sqlite",
        512,
        &format!(
            "{AUDIT}{}",
            rows(300, |i| if i % 50 == 0 { 1500 } else { 8 })
        ),
    );
    let clean = std::fs::read(&db).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let damaged = dir.path().join("flipped.sqlite");
    let mut fast_to_end = 0;
    for _ in 0..400 {
        let mut bytes = clean.clone();
        // Past the file header (a damaged header stops SQLite before any row).
        let at = 100 + (next() as usize) % (bytes.len() - 100);
        bytes[at] ^= 1 + (next() % 255) as u8;
        std::fs::write(&damaged, &bytes).unwrap();
        if same_both_ways(&damaged) {
            fast_to_end += 1;
        }
    }
    // Most changes land in text and leave the tree whole; some stop the fast path.
    assert!((1..400).contains(&fast_to_end), "{fast_to_end}");
}
