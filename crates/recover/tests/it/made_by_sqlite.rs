//! Cases built with SQLite itself (rusqlite's bundled build) at test time: a deleted row that
//! spilled to overflow pages, cyclic overflow chains, a rowid alias, WITHOUT ROWID, and the
//! files found beside a path.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{params_from_iter, Connection};
use trailproof_recover::{
    scan, scan_files, AnomalyKind, Options, ReadSeek, RecoverError, RecoveredFrom, Scan, SqlValue,
};

fn vector() -> PathBuf {
    trailproof_testkit::vector("audit.sqlite")
}

use trailproof_testkit::scratch as temp_dir;

fn scan_path(path: &Path) -> Result<Scan, RecoverError> {
    let mut f = File::open(path).unwrap();
    scan(&mut f, None::<&mut dyn ReadSeek>, None, &Options::default())
}

const BIG: usize = 5000;

/// A 1024-byte-page copy of the vector's table and rows, a freelist of many pages (a dropped
/// table), and a big decoy row (its `changes` spills to overflow pages taken from that
/// freelist). Returns the decoy's `changes` text.
fn with_big_decoy(path: &Path) -> (Connection, String) {
    let vector = Connection::open(vector()).unwrap();
    let sql: String = vector
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'audit_log'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA page_size=1024; PRAGMA secure_delete=0; PRAGMA journal_mode=DELETE;
         CREATE TABLE scratch (x BLOB);",
    )
    .unwrap();
    conn.execute_batch(&sql).unwrap();
    for _ in 0..60 {
        conn.execute("INSERT INTO scratch VALUES (zeroblob(900))", [])
            .unwrap();
    }
    conn.execute_batch("DROP TABLE scratch").unwrap();
    let mut stmt = vector
        .prepare("SELECT * FROM audit_log ORDER BY rowid")
        .unwrap();
    let n = stmt.column_count();
    let insert = format!("INSERT INTO audit_log VALUES ({})", vec!["?"; n].join(","));
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, rusqlite::types::Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    for row in rows {
        conn.execute(&insert, params_from_iter(row.unwrap()))
            .unwrap();
    }
    let changes = format!(
        "{{\"before\": {{\"note\": \"{}\"}}, \"after\": {{}}}}",
        "Z".repeat(BIG)
    );
    conn.execute(
        "INSERT INTO audit_log SELECT 41, '00000000-0000-4000-8000-0000000000b1', tenant_id, \
         '2026-05-02T00:00:00.000000000Z', action, severity, actor_user_id, actor_role, \
         actor_display, actor_ip, http_method, http_route, resource_type, resource_id, \
         resource_display, outcome, outcome_reason, ?1, metadata, hash, ?2 \
         FROM audit_log WHERE tenant_id = 'acme' AND seq = 40",
        rusqlite::params![changes, "ab".repeat(32)],
    )
    .unwrap();
    (conn, changes)
}

fn overflow_pages_of_decoy(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len() / 1024)
        .filter(|&p| &bytes[p * 1024 + 4..p * 1024 + 12] == b"ZZZZZZZZ")
        .collect()
}

#[test]
fn a_deleted_row_that_spilled_to_overflow_pages_is_recovered_whole() {
    let d = temp_dir("overflow");
    let path = d.join("db.sqlite");
    let (conn, changes) = with_big_decoy(&path);
    conn.execute("DELETE FROM audit_log WHERE seq = 41", [])
        .unwrap();
    drop(conn);
    let s = scan_path(&path).unwrap();
    assert_eq!(s.candidates.len(), 1, "{:?}", s.anomalies);
    let c = &s.candidates[0];
    assert_eq!(c.get("seq"), Some(&SqlValue::Integer(41)));
    assert_eq!(c.get("changes"), Some(&SqlValue::Text(changes)));
    assert_eq!(c.get("hash"), Some(&SqlValue::Text("ab".repeat(32))));
    assert!(c.overflow_pages.len() >= 5, "{:?}", c.overflow_pages);
    assert!(matches!(
        c.from,
        RecoveredFrom::SqliteFreeblock | RecoveredFrom::SqliteUnallocated
    ));
    assert!(s.anomalies.is_empty(), "{:?}", s.anomalies);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn cyclic_overflow_chains_are_cut() {
    for deleted in [false, true] {
        let d = temp_dir(if deleted {
            "cycle-deleted"
        } else {
            "cycle-live"
        });
        let path = d.join("db.sqlite");
        let (conn, _) = with_big_decoy(&path);
        if deleted {
            conn.execute("DELETE FROM audit_log WHERE seq = 41", [])
                .unwrap();
        }
        drop(conn);
        let mut bytes = std::fs::read(&path).unwrap();
        let pages = overflow_pages_of_decoy(&bytes);
        assert!(pages.len() >= 5);
        for &p in &pages {
            // each overflow page names itself as the next
            bytes[p * 1024..p * 1024 + 4].copy_from_slice(&(p as u32 + 1).to_be_bytes());
        }
        std::fs::write(&path, &bytes).unwrap();
        let s = scan_path(&path).unwrap();
        assert!(s.candidates.is_empty(), "deleted: {deleted}");
        if !deleted {
            assert!(s
                .anomalies
                .iter()
                .any(|a| a.kind == AnomalyKind::OverflowChainBroken));
        }
        // two pages pointing at each other
        for (i, &p) in pages.iter().enumerate() {
            let other = pages[(i + 1) % 2] as u32 + 1;
            bytes[p * 1024..p * 1024 + 4].copy_from_slice(&other.to_be_bytes());
        }
        std::fs::write(&path, &bytes).unwrap();
        let s = scan_path(&path).unwrap();
        assert!(s.candidates.is_empty(), "deleted: {deleted}");
        std::fs::remove_dir_all(&d).ok();
    }
}

/// `seq INTEGER PRIMARY KEY`: the record holds NULL, the carved row takes the rowid where the
/// cell's rowid survived (here, the main file's page under a WAL edit).
#[test]
fn a_rowid_alias_takes_the_surviving_rowid() {
    let d = temp_dir("alias");
    let path = d.join("db.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA secure_delete=0; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL,
            prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .unwrap();
    for seq in 1..=20 {
        conn.execute(
            "INSERT INTO audit_log VALUES (?1, 'acme', ?2, ?3)",
            rusqlite::params![seq, "0".repeat(64), format!("{:064x}", seq)],
        )
        .unwrap();
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    conn.execute(
        "UPDATE audit_log SET hash = ?1 WHERE seq = 7",
        [&"f".repeat(64)],
    )
    .unwrap();
    let copy = d.join("copy.sqlite");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(d.join("db.sqlite-wal"), d.join("copy.sqlite-wal")).unwrap();
    drop(conn);
    let s = scan_files(&copy, &Options::default()).unwrap();
    assert!(s.table.columns[0].rowid_alias);
    let under: Vec<_> = s
        .candidates
        .iter()
        .filter(|c| c.from == RecoveredFrom::SqliteMainUnderWal)
        .collect();
    assert_eq!(under.len(), 1, "{:#?}", s.candidates);
    assert_eq!(under[0].rowid, Some(7));
    assert_eq!(under[0].get("seq"), Some(&SqlValue::Integer(7)));
    assert_eq!(
        under[0].get("hash"),
        Some(&SqlValue::Text(format!("{:064x}", 7)))
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn without_rowid_tables_are_refused() {
    let d = temp_dir("without-rowid");
    let path = d.join("db.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE audit_log (seq INTEGER, hash TEXT, PRIMARY KEY (seq)) WITHOUT ROWID;
         INSERT INTO audit_log VALUES (1, 'x');",
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        scan_path(&path),
        Err(RecoverError::UnsupportedTable { .. })
    ));
    std::fs::remove_dir_all(&d).ok();
}

/// `scan_files` finds the -wal beside a path and gives what `scan` gives over the same files.
#[test]
fn scan_files_reads_the_wal_beside_the_path() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/recovery");
    let d = temp_dir("beside");
    let path = d.join("evidence.sqlite");
    std::fs::copy(fixtures.join("wal_edit.sqlite"), &path).unwrap();
    std::fs::copy(
        fixtures.join("wal_edit.sqlite-wal"),
        d.join("evidence.sqlite-wal"),
    )
    .unwrap();
    let by_path = scan_files(&path, &Options::default()).unwrap();
    let mut main = File::open(fixtures.join("wal_edit.sqlite")).unwrap();
    let mut wal = File::open(fixtures.join("wal_edit.sqlite-wal")).unwrap();
    let direct = scan(&mut main, Some(&mut wal), None, &Options::default()).unwrap();
    assert_eq!(by_path.candidates, direct.candidates);
    assert_eq!(by_path.candidates.len(), 4);
    std::fs::remove_dir_all(&d).ok();
}

/// Counts the bytes read through it.
struct Counting {
    inner: File,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::io::Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl std::io::Seek for Counting {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The b-tree reader reads a table of three levels (interior pages among the leaves, as
/// appending rows leaves them) about once: every row, and the file's bytes plus at most 1% (the
/// header, an interior page read alone and again in the window of the leaves after it). A
/// read-ahead window at each interior page had the leaves' window read again after it: 1.82x
/// the file here, 1.23x for a 1M-row table.
#[test]
fn the_table_reader_reads_a_deep_table_once() {
    use trailproof_recover::table::{table_columns, TableReader};
    let d = temp_dir("deep-table");
    let path = d.join("db.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA page_size=1024;
         CREATE TABLE audit_log (seq INTEGER NOT NULL, tenant_id TEXT NOT NULL, body TEXT);",
    )
    .unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    for seq in 1..=30_000i64 {
        tx.execute(
            "INSERT INTO audit_log VALUES (?1, 'acme', ?2)",
            rusqlite::params![seq, format!("{seq:0>40}")],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    let (root, sql): (u32, String) = conn
        .query_row(
            "SELECT rootpage, sql FROM sqlite_master WHERE name = 'audit_log'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let columns = table_columns(&sql)
        .unwrap()
        .into_iter()
        .map(|c| c.2)
        .collect();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let file = Counting {
        inner: File::open(&path).unwrap(),
        read: read.clone(),
    };
    let mut reader = TableReader::from_reader(Box::new(file), root, columns).unwrap();
    let mut rows = 0i64;
    let mut last = 0;
    while reader
        .next_row(&mut |rowid, _, _| {
            rows += 1;
            last = rowid;
        })
        .unwrap()
    {}
    assert_eq!((rows, last), (30_000, 30_000));
    let len = std::fs::metadata(&path).unwrap().len();
    let read = read.load(std::sync::atomic::Ordering::Relaxed);
    assert!(len > 1_500_000, "{len}");
    assert!(
        read <= len + len / 100,
        "read {read} bytes of a {len}-byte file"
    );
    std::fs::remove_dir_all(&d).ok();
}
