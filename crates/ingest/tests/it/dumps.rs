//! Every dump reader against the public vectors and the fixtures in `tests/fixtures/dumps/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use trailproof_core::json::Value;
use trailproof_core::record::{check, hex, Checked};
use trailproof_ingest::detect::{open_records, open_records_mode, sniff};
use trailproof_ingest::hashing::ReadMode;
use trailproof_ingest::{IngestError, InputKind, Location, RawData, RawRecord};
use trailproof_testkit::vector;

/// The clean vectors' dumps, one of each form.
const DUMPS: [(&str, InputKind); 5] = [
    ("records.jsonl", InputKind::Jsonl),
    ("audit.csv", InputKind::Csv),
    ("audit.pg.sql", InputKind::PgDump),
    ("audit.sqlite.sql", InputKind::SqliteSql),
    ("audit.sqlite", InputKind::Sqlite),
];

pub(super) fn fixture(name: &str) -> PathBuf {
    trailproof_testkit::fixture("dumps", name)
}

/// Reads every record, in small batches, and checks the digest covers the whole file.
pub(super) fn read_all(path: &Path, kind: InputKind) -> Vec<RawRecord> {
    let mut src = open_records(path, kind).unwrap_or_else(|e| panic!("open {path:?}: {e}"));
    let mut out = Vec::new();
    loop {
        let before = out.len();
        let more = src
            .next_batch(&mut out, 7)
            .unwrap_or_else(|e| panic!("read {path:?}: {e}"));
        assert!(out.len() - before <= 7, "batch larger than asked");
        if !more {
            break;
        }
    }
    let bytes = std::fs::read(path).expect("read file");
    let d = src.digest().expect("digest");
    assert_eq!(d.size, bytes.len() as u64);
    assert_eq!(d.sha256, hex(&Sha256::digest(&bytes).into()));
    out
}

pub(super) fn checked(records: Vec<RawRecord>) -> Vec<Checked> {
    let mut buf = Vec::new();
    records.into_iter().map(|r| check(r, &mut buf)).collect()
}

fn expected(name: &str) -> Vec<Checked> {
    let text = std::fs::read(vector(name)).expect("read expected");
    let raws = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| RawRecord {
            loc: Location::Line(i as u64 + 1),
            data: RawData::Json(l.to_vec()),
        })
        .collect();
    checked(raws)
}

fn by_key(v: &[Checked]) -> BTreeMap<(String, u64), &Checked> {
    v.iter()
        .map(|c| {
            (
                (c.tenant_id.clone().expect("tenant"), c.seq.expect("seq")),
                c,
            )
        })
        .collect()
}

/// The reader's records equal the expected records, each hashing to its stored hash.
fn assert_vector(path: &Path, kind: InputKind, expected_name: &str) {
    let got = checked(read_all(path, kind));
    let want = expected(expected_name);
    assert_eq!(got.len(), want.len(), "{path:?}: record count");
    for c in &got {
        assert!(
            c.problems.is_empty(),
            "{path:?} {}: {:?}",
            c.loc,
            c.problems
        );
        assert_eq!(c.computed_hash, c.stored_hash, "{path:?} {}", c.loc);
        assert!(c.computed_hash.is_some());
    }
    let (g, w) = (by_key(&got), by_key(&want));
    assert_eq!(g.len(), got.len(), "duplicate (tenant, seq)");
    for (k, e) in &w {
        let c = g
            .get(k)
            .unwrap_or_else(|| panic!("{path:?}: missing {k:?}"));
        assert_eq!(c.record, e.record, "{path:?}: record {k:?}");
    }
}

/// Looking a record up again reads the very records a verifying read gives, in every dump form,
/// and has no digest to give (it hashed nothing).
#[test]
fn look_up_mode_reads_the_same_records_without_a_digest() {
    for (name, kind) in DUMPS {
        let path = vector(name);
        let verified = read_all(&path, kind);
        let mut src = open_records_mode(&path, kind, ReadMode::LookUp).unwrap();
        let mut looked_up = Vec::new();
        while src.next_batch(&mut looked_up, 64).unwrap() {}
        assert_eq!(looked_up.len(), verified.len(), "{name}");
        assert_eq!(format!("{looked_up:?}"), format!("{verified:?}"), "{name}");
        let err = src.digest().unwrap_err().to_string();
        assert!(err.contains("not hashed"), "{name}: {err}");
    }
}

#[test]
fn sqlite_vector_matches_records_jsonl() {
    assert_vector(&vector("audit.sqlite"), InputKind::Sqlite, "records.jsonl");
    let got = read_all(&vector("audit.sqlite"), InputKind::Sqlite);
    assert_eq!(got[0].loc, Location::Row(1));
    assert_eq!(got[51].loc, Location::Row(52));
}

#[test]
fn sqlite_sql_vector_matches_records_jsonl() {
    assert_vector(
        &vector("audit.sqlite.sql"),
        InputKind::SqliteSql,
        "records.jsonl",
    );
    let got = read_all(&vector("audit.sqlite.sql"), InputKind::SqliteSql);
    assert_eq!(got[0].loc, Location::Line(10));
}

#[test]
fn csv_vector_matches_records_jsonl() {
    assert_vector(&vector("audit.csv"), InputKind::Csv, "records.jsonl");
    let got = read_all(&vector("audit.csv"), InputKind::Csv);
    assert_eq!(got[0].loc, Location::Row(1));
}

#[test]
fn jsonl_vectors_read_line_by_line() {
    assert_vector(&vector("records.jsonl"), InputKind::Jsonl, "records.jsonl");
    assert_vector(
        &vector("pg-records.jsonl"),
        InputKind::Jsonl,
        "pg-records.jsonl",
    );
}

#[test]
fn pg_vector_matches_pg_records_jsonl() {
    assert_vector(
        &vector("audit.pg.sql"),
        InputKind::PgDump,
        "pg-records.jsonl",
    );
    let got = read_all(&vector("audit.pg.sql"), InputKind::PgDump);
    assert_eq!(got.len(), 33);
    assert_eq!(got[0].loc, Location::Line(68));
    assert_eq!(got[32].loc, Location::Line(100));
}

#[test]
fn tampered_sqlite_vectors() {
    let read = |n: &str| {
        checked(read_all(
            &vector(&format!("tampered/{n}")),
            InputKind::Sqlite,
        ))
    };
    // edited-field: acme 17 no longer hashes to its stored hash; nothing else changed.
    let v = read("edited-field.sqlite");
    assert_eq!(v.len(), 52);
    for c in &v {
        let bad = c.tenant_id.as_deref() == Some("acme") && c.seq == Some(17);
        assert_eq!(c.content_ok(), Some(!bad), "{}", c.loc);
    }
    // deleted-record: acme 9 is gone.
    let v = read("deleted-record.sqlite");
    assert_eq!(v.len(), 51);
    assert!(!by_key(&v).contains_key(&("acme".to_string(), 9)));
    assert!(v.iter().all(|c| c.content_ok() == Some(true)));
    // edited-and-rehashed: every record hashes right, but acme 23 no longer links to 22.
    let v = read("edited-and-rehashed.sqlite");
    assert!(v.iter().all(|c| c.content_ok() == Some(true)));
    let k = by_key(&v);
    let h22 = k[&("acme".to_string(), 22)].stored_hash;
    assert_ne!(k[&("acme".to_string(), 23)].prev_hash, h22);
    // rechained-suffix: internally consistent.
    let v = read("rechained-suffix.sqlite");
    assert!(v.iter().all(|c| c.content_ok() == Some(true)));
    let k = by_key(&v);
    for ((t, s), c) in &k {
        if *s > 1 {
            assert_eq!(c.prev_hash, k[&(t.clone(), s - 1)].stored_hash, "{t} {s}");
        }
    }
}

#[test]
fn sniff_vectors_by_content() {
    let cases = [
        ("audit.sqlite", InputKind::Sqlite),
        ("audit.sqlite.sql", InputKind::SqliteSql),
        ("audit.csv", InputKind::Csv),
        ("audit.pg.sql", InputKind::PgDump),
        ("records.jsonl", InputKind::Jsonl),
        ("pg-records.jsonl", InputKind::Jsonl),
        ("export-acme-critical.json", InputKind::ExportJson),
        ("export-acme-critical.pdf", InputKind::ExportPdf),
        ("export-globex-all.pdf", InputKind::ExportPdf),
        ("tampered/edited-field.sqlite", InputKind::Sqlite),
    ];
    let dir = std::env::temp_dir().join(format!("trailproof-sniff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    for (i, (name, kind)) in cases.iter().enumerate() {
        assert_eq!(sniff(&vector(name)).expect(name), *kind, "{name}");
        // Renamed with a misleading extension: the content still decides.
        let renamed = dir.join(format!("evidence-{i}.csv"));
        std::fs::copy(vector(name), &renamed).expect("copy");
        assert_eq!(sniff(&renamed).expect(name), *kind, "{name} renamed");
    }
    // A PDF header behind some junk.
    let p = dir.join("junk.pdf.txt");
    let mut bytes = vec![b'x'; 300];
    bytes.extend(std::fs::read(vector("export-acme-critical.pdf")).expect("pdf"));
    std::fs::write(&p, bytes).expect("write");
    assert_eq!(sniff(&p).expect("junk pdf"), InputKind::ExportPdf);
    // A one-line export payload is still an export, not JSON Lines.
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vector("export-acme-critical.json")).expect("json"))
            .expect("parse");
    std::fs::write(&p, serde_json::to_vec(&v).expect("ser")).expect("write");
    assert_eq!(sniff(&p).expect("one-line export"), InputKind::ExportJson);
    // Pretty JSON that is not an export; unknown text; empty file.
    std::fs::write(&p, "{\n  \"a\": 1\n}\n").expect("write");
    assert!(matches!(sniff(&p), Err(IngestError::Unrecognised { .. })));
    std::fs::write(&p, "hello world\n").expect("write");
    let e = sniff(&p).expect_err("text");
    assert!(e.to_string().contains("hello world"), "{e}");
    std::fs::write(&p, "").expect("write");
    assert!(sniff(&p).expect_err("empty").to_string().contains("empty"));
    std::fs::remove_dir_all(&dir).ok();
    for (name, kind) in [
        ("sqlite-replace.sql", InputKind::SqliteSql),
        ("sqlite-misc.sql", InputKind::SqliteSql),
        ("quoted.csv", InputKind::Csv),
        ("pg-copy-escapes.sql", InputKind::PgDump),
        ("pg-inserts.sql", InputKind::PgDump),
        ("pg-truncated.sql", InputKind::PgDump),
        ("bad-line.jsonl", InputKind::Jsonl),
        ("bom.jsonl", InputKind::Jsonl),
        ("damaged.sqlite", InputKind::Sqlite),
    ] {
        assert_eq!(sniff(&fixture(name)).expect(name), kind, "{name}");
    }
}

/// The record a reader made of a row, whether as a value or as a row over shared text.
fn value(r: &RawRecord) -> Value {
    match &r.data {
        RawData::Value(v) => v.clone(),
        RawData::Row(row) => row.to_value(),
        other => panic!("{}: expected a record, got {other:?}", r.loc),
    }
}

pub(super) fn unreadable(r: &RawRecord) -> &str {
    match &r.data {
        RawData::Unreadable(m) => m,
        other => panic!("{}: expected unreadable, got {other:?}", r.loc),
    }
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn j(v: &str) -> Value {
    Value::parse_str(v).expect("json")
}

#[test]
fn sqlite_dump_replace_char_forms() {
    let r = read_all(&fixture("sqlite-replace.sql"), InputKind::SqliteSql);
    assert_eq!(r.len(), 3);
    let a = value(&r[0]);
    assert_eq!(r[0].loc, Location::Line(4));
    assert_eq!(a.get("actor_display"), Some(&s("line1\nline2")));
    assert_eq!(a.get("metadata"), Some(&j(r#"{"a": 1}"#)));
    assert_eq!(a.get("changes"), Some(&Value::Null));
    assert_eq!(a.get("score"), Some(&Value::Number(0.5)));
    assert_eq!(a.get("seq"), Some(&Value::Number(1.0)));
    let b = value(&r[1]);
    assert_eq!(b.get("actor_display"), Some(&s("cr\r\nlf, it's")));
    assert_eq!(b.get("changes"), Some(&j(r#"{"before": {"t": "x\ny"}}"#)));
    assert_eq!(b.get("score"), Some(&Value::Number(-0.0025)));
    let m = unreadable(&r[2]);
    assert!(
        m.contains("line 6") && m.contains("blobby") && m.contains("binary"),
        "{m}"
    );
}

#[test]
fn sqlite_dump_quoting_triggers_and_bad_rows() {
    let r = read_all(&fixture("sqlite-misc.sql"), InputKind::SqliteSql);
    assert_eq!(r.len(), 5, "{r:?}");
    let a = value(&r[0]);
    assert_eq!(r[0].loc, Location::Line(13));
    assert_eq!(
        a.get("actor_display"),
        Some(&s("raw\nnewline; and 'quotes'"))
    );
    assert_eq!(a.get("hash"), Some(&s("h1")));
    assert_eq!(a.get("seq"), Some(&Value::Number(1.0)));
    let b = value(&r[1]);
    assert_eq!(r[1].loc, Location::Line(15));
    assert_eq!(b.get("actor_display"), Some(&s("tab\tend")));
    assert_eq!(b.get("metadata"), Some(&j(r#"{"k": [1, 2.5]}"#)));
    assert_eq!(b.get("hash"), Some(&s("h2")));
    let m = unreadable(&r[2]);
    assert!(m.starts_with("line 16:") && m.contains("\"lower\""), "{m}");
    let m = unreadable(&r[3]);
    assert!(
        m.starts_with("line 17:") && m.contains("metadata is not valid JSON"),
        "{m}"
    );
    let m = unreadable(&r[4]);
    assert!(
        m.starts_with("line 18:") && m.contains("4 values for 5 columns"),
        "{m}"
    );
}

/// Found by the jsonl_csv fuzz target (2026-12-04): the reader sliced the record's text, whose
/// fields are concatenated without separators, at a field that ends inside a character
/// (`a\xef` then `\xbf\xbd`, valid UTF-8 only together) and panicked. The row is unreadable,
/// naming the first field that is not UTF-8; the rows around it are read.
#[test]
fn csv_fields_that_are_utf8_only_together_are_not_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("split.csv");
    std::fs::write(
        &p,
        b"seq,tenant_id,actor_display\n1,acme,ok\n2,a\xef,\xbf\xbd\n3,acme,ok\n",
    )
    .expect("write");
    let r = read_all(&p, InputKind::Csv);
    assert_eq!(r.len(), 3);
    assert_eq!(value(&r[0]).get("seq"), Some(&Value::Number(1.0)));
    assert_eq!(r[1].loc, Location::Row(2));
    assert_eq!(
        unreadable(&r[1]),
        "row 2 (line 3): column tenant_id is not valid UTF-8"
    );
    assert_eq!(value(&r[2]).get("seq"), Some(&Value::Number(3.0)));
}

#[test]
fn csv_quoted_newlines_empty_null_and_bad_rows() {
    let r = read_all(&fixture("quoted.csv"), InputKind::Csv);
    assert_eq!(r.len(), 4);
    let a = value(&r[0]);
    assert_eq!(r[0].loc, Location::Row(1));
    assert_eq!(a.get("seq"), Some(&Value::Number(1.0)));
    assert_eq!(
        a.get("actor_display"),
        Some(&s("multi\nline, with \"quotes\""))
    );
    assert_eq!(a.get("changes"), Some(&Value::Null));
    assert_eq!(a.get("http_method"), Some(&Value::Null));
    assert_eq!(a.get("metadata"), Some(&j(r#"{"a": 1}"#)));
    let b = value(&r[1]);
    assert_eq!(b.get("changes"), Some(&j(r#"{"before": null}"#)));
    assert_eq!(b.get("http_method"), Some(&s("POST")));
    assert_eq!(b.get("tenant_id"), Some(&s("globex")));
    let m = unreadable(&r[2]);
    assert_eq!(r[2].loc, Location::Row(3));
    assert!(
        m.contains("row 3 (line 5)") && m.contains("3 values for 7 columns"),
        "{m}"
    );
    let m = unreadable(&r[3]);
    assert!(
        m.contains("row 4 (line 6)") && m.contains("changes is not valid JSON"),
        "{m}"
    );
}

#[test]
fn pg_copy_escapes_and_types() {
    let r = read_all(&fixture("pg-copy-escapes.sql"), InputKind::PgDump);
    assert_eq!(r.len(), 5, "{r:?}");
    let a = value(&r[0]);
    assert_eq!(r[0].loc, Location::Line(33));
    assert_eq!(
        a.get("actor_display"),
        Some(&s("tab\there\nnew\\line AB\x04zq"))
    );
    assert_eq!(a.get("actor_ip"), Some(&s("10.0.0.1/24")));
    assert_eq!(a.get("changes"), Some(&Value::Null));
    assert_eq!(
        a.get("metadata"),
        Some(&j(r#"{"path": "C:\\x\ty", "n": 0.8}"#))
    );
    assert_eq!(
        a.get("prev_hash"),
        Some(&s("abc")),
        "character(n) padding trimmed"
    );
    assert_eq!(a.get("hash"), Some(&s("h1  ")), "varchar keeps its spaces");
    assert_eq!(a.get("flagged"), Some(&Value::Bool(true)));
    assert_eq!(a.get("score"), Some(&Value::Number(0.8)));
    assert_eq!(a.get("seq"), Some(&Value::Number(1.0)));
    let b = value(&r[1]);
    assert_eq!(b.get("actor_display"), Some(&s("café €")));
    assert_eq!(b.get("actor_ip"), Some(&Value::Null));
    assert_eq!(
        b.get("changes"),
        Some(&j(r#"{"after": null, "before": {"a": 1}}"#))
    );
    assert_eq!(b.get("flagged"), Some(&Value::Bool(false)));
    let m = unreadable(&r[2]);
    assert!(
        m.starts_with("line 35: column actor_display") && m.contains("UTF-8"),
        "{m}"
    );
    let m = unreadable(&r[3]);
    assert!(
        m.starts_with("line 36:") && m.contains("3 values for 10 columns"),
        "{m}"
    );
    let e = value(&r[4]);
    assert_eq!(e.get("tenant_id"), Some(&s("initech")));
    assert_eq!(e.get("actor_ip"), Some(&s("::1")));
    assert_eq!(e.get("score"), Some(&Value::Number(1000.0)));
}

#[test]
fn pg_inserts_and_column_inserts() {
    let r = read_all(&fixture("pg-inserts.sql"), InputKind::PgDump);
    assert_eq!(r.len(), 6, "{r:?}");
    let a = value(&r[0]);
    assert_eq!(r[0].loc, Location::Line(19));
    assert_eq!(a.get("actor_display"), Some(&s("O'Neil; \"the\" boss")));
    assert_eq!(a.get("hash"), Some(&s("h1")));
    assert_eq!(a.get("metadata"), Some(&j(r#"{"a": [1, 2]}"#)));
    let b = value(&r[1]);
    assert_eq!(
        b.get("actor_display"),
        Some(&s("line\nnext \\ back's AA é"))
    );
    assert_eq!(b.get("changes"), Some(&j(r#"{"before": {"t": "x\\ny"}}"#)));
    let c = value(&r[2]);
    assert_eq!(r[2].loc, Location::Line(21));
    assert_eq!(c.get("actor_display"), Some(&s("multi\nline")));
    assert_eq!(c.get("hash"), Some(&s("h3")));
    assert_eq!(c.get("seq"), Some(&Value::Number(3.0)));
    assert_eq!(value(&r[3]).get("actor_display"), Some(&s("row a")));
    assert_eq!(value(&r[4]).get("seq"), Some(&Value::Number(5.0)));
    assert_eq!(r[4].loc, Location::Line(23));
    let m = unreadable(&r[5]);
    assert!(
        m.starts_with("line 26: value 3") && m.contains("now"),
        "{m}"
    );
}

#[test]
fn pg_truncated_copy_block() {
    let r = read_all(&fixture("pg-truncated.sql"), InputKind::PgDump);
    assert_eq!(r.len(), 4, "{r:?}");
    assert_eq!(value(&r[0]).get("hash"), Some(&s("h1")));
    assert_eq!(value(&r[1]).get("seq"), Some(&Value::Number(2.0)));
    let m = unreadable(&r[2]);
    assert!(
        m.starts_with("line 10:") && m.contains("2 values for 3 columns"),
        "{m}"
    );
    let m = unreadable(&r[3]);
    assert!(
        m.contains("started at line 7") && m.contains("no end marker"),
        "{m}"
    );
}

#[test]
fn damaged_sqlite_is_an_input_error() {
    for name in ["damaged.sqlite", "truncated.sqlite"] {
        let p = fixture(name);
        let err = match open_records(&p, InputKind::Sqlite) {
            Err(e) => e,
            Ok(mut src) => {
                let mut out = Vec::new();
                let mut res = Ok(true);
                while let Ok(true) = res {
                    res = src.next_batch(&mut out, 100);
                }
                res.expect_err("a damaged database must fail")
            }
        };
        assert!(matches!(err, IngestError::Malformed { .. }), "{err:?}");
        assert!(err.to_string().contains(name), "{err}");
    }
    // A text file claimed to be SQLite, and a SQLite file without audit_log.
    let e = open_records(&vector("audit.csv"), InputKind::Sqlite)
        .err()
        .expect("csv as sqlite");
    assert!(e.to_string().contains("not a SQLite database"), "{e}");
    let dir = std::env::temp_dir().join(format!("trailproof-noaudit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let db = dir.join("other.db");
    {
        let c = rusqlite::Connection::open(&db).expect("create");
        c.execute_batch("CREATE TABLE t (x);").expect("schema");
    }
    let e = open_records(&db, InputKind::Sqlite)
        .err()
        .expect("no audit_log");
    assert!(e.to_string().contains("no table audit_log"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn not_the_claimed_format_is_malformed() {
    let e = open_records(&vector("audit.sqlite"), InputKind::PgDump)
        .err()
        .expect("binary as pg");
    assert!(matches!(e, IngestError::Malformed { .. }), "{e:?}");
    assert!(e.to_string().contains("byte offset"), "{e}");
    let mut src = open_records(&vector("audit.csv"), InputKind::SqliteSql).expect("open");
    let mut out = Vec::new();
    let e = src.next_batch(&mut out, 10).expect_err("csv as sql");
    assert!(e.to_string().contains("no table audit_log"), "{e}");
    let mut src = open_records(&vector("audit.csv"), InputKind::Jsonl).expect("open");
    let e = src.next_batch(&mut out, 10).expect_err("csv as jsonl");
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn digest_covers_the_whole_file_after_an_early_stop() {
    for (name, kind) in DUMPS {
        let p = vector(name);
        let mut src = open_records(&p, kind).expect("open");
        let mut out = Vec::new();
        assert!(src.next_batch(&mut out, 2).expect("batch"));
        assert_eq!(out.len(), 2);
        let bytes = std::fs::read(&p).expect("read");
        let d = src.digest().expect("digest");
        assert_eq!(d.size, bytes.len() as u64, "{name}");
        assert_eq!(d.sha256, hex(&Sha256::digest(&bytes).into()), "{name}");
        assert_eq!(src.total_bytes(), Some(bytes.len() as u64));
    }
}

#[test]
fn pg_standard_conforming_strings_off() {
    let r = read_all(&fixture("pg-scs-off.sql"), InputKind::PgDump);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        value(&r[0]).get("actor_display"),
        Some(&s("it's a \\ back; slash"))
    );
    assert_eq!(r[0].loc, Location::Line(5));
    assert_eq!(value(&r[1]).get("actor_display"), Some(&s("C:\\temp")));
}

/// Dumps written by the real tools (pg_dump 15.18 in all three plain-text forms, psql's CSV
/// COPY, the sqlite3 3.40 shell's `.dump` and `-csv`) of the `pg-records.jsonl` vector with
/// hostile text in four records (see make_real_dumps.py): every record is detected by content,
/// hashes to its stored hash, and the hostile values come back byte for byte.
#[test]
fn dumps_written_by_the_real_tools_read_exactly() {
    for (name, kind) in [
        ("pg15-copy.sql", InputKind::PgDump),
        ("pg15-inserts.sql", InputKind::PgDump),
        ("pg15-column-inserts.sql", InputKind::PgDump),
        ("pg15.csv", InputKind::Csv),
        ("sqlite3.sql", InputKind::SqliteSql),
        ("sqlite3.csv", InputKind::Csv),
    ] {
        let path = fixture(name);
        assert_eq!(sniff(&path).unwrap(), kind, "{name}");
        let got = checked(read_all(&path, kind));
        assert_eq!(got.len(), 33, "{name}");
        for c in &got {
            assert!(c.problems.is_empty(), "{name} {}: {:?}", c.loc, c.problems);
            assert!(c.computed_hash.is_some(), "{name} {}", c.loc);
            assert_eq!(c.computed_hash, c.stored_hash, "{name} {}", c.loc);
        }
        let g = by_key(&got);
        let field = |t: &str, seq: u64, f: &str| {
            g[&(t.to_string(), seq)]
                .record
                .as_ref()
                .and_then(|r| r.get(f))
                .cloned()
        };
        assert_eq!(
            field("acme", 2, "actor_display"),
            Some(s("Line one\nline\ttwo \\ \"quoted\" 'single'\n\\.\nend")),
            "{name}"
        );
        assert_eq!(
            field("acme", 5, "outcome_reason"),
            Some(s("denied\r\nby rule \u{1} \u{1F600}")),
            "{name}"
        );
        assert_eq!(
            field("acme", 7, "metadata"),
            Some(j(
                r#"{"zeta": 1, "a": "x\\ny \u2028 z", "company_id": "acme-co-1",
                    "nested": {"bb": [1, 2.5, null], "a": true}}"#
            )),
            "{name}"
        );
        assert_eq!(
            field("initech", 3, "resource_display"),
            Some(s("O'Brien's E'x' \\")),
            "{name}"
        );
        assert!(
            matches!(field("acme", 1, "changes"), Some(Value::Object(_))),
            "{name}"
        );
        assert_eq!(field("acme", 3, "changes"), Some(Value::Null), "{name}");
        assert_eq!(
            field("acme", 1, "timestamp"),
            Some(s("2026-05-02T12:02:12.304881000Z")),
            "{name}"
        );
    }
}

/// Packed evidence (a pg_dump archive, compressed or archived files) is named, with the command
/// that unpacks a copy, instead of "binary content".
#[test]
fn packed_evidence_says_what_it_is_and_how_to_unpack_it() {
    let dir = std::env::temp_dir().join(format!("trailproof-packed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p = dir.join("evidence.bin");
    let mut tar = vec![0u8; 1024];
    tar[..9].copy_from_slice(b"audit.sql");
    tar[257..263].copy_from_slice(b"ustar\0");
    let cases: [(&[u8], &str, &str); 7] = [
        (
            b"PGDMP\x01\x0f\x00\x04\x08\x01\x01\x00\x00\x00",
            "a pg_dump archive (custom format, pg_dump -Fc)",
            "pg_restore -f audit.sql FILE",
        ),
        (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
            "gzip-compressed",
            "gunzip -k FILE",
        ),
        (
            b"\x28\xb5\x2f\xfd\x04\x58",
            "zstd-compressed",
            "zstd -d FILE",
        ),
        (b"\xfd7zXZ\x00\x00\x04", "xz-compressed", "xz -dk FILE"),
        (b"BZh91AY&SY\x12\x34", "bzip2-compressed", "bunzip2 -k FILE"),
        (b"PK\x03\x04\x14\x00", "a ZIP archive", "unzip FILE"),
        (&tar, "a tar archive", "tar -xf FILE"),
    ];
    for (bytes, what, how) in cases {
        std::fs::write(&p, bytes).expect("write");
        let e = sniff(&p).expect_err(what);
        assert!(matches!(e, IngestError::Unrecognised { .. }), "{what}: {e}");
        let m = e.to_string();
        assert!(m.contains(&format!("{what}; ")) && m.contains(how), "{m}");
        assert!(m.contains("evidence.bin"), "{m}");
    }
    // "BZh" opening a CSV header is a CSV, not bzip2.
    std::fs::write(&p, "BZh9,seq,tenant_id,hash\n1,1,acme,x\n").expect("write");
    assert_eq!(sniff(&p).expect("csv"), InputKind::Csv);
    std::fs::remove_dir_all(&dir).ok();
}

/// The byte offset where line `n` (1-based) of `bytes` begins.
fn line_start(bytes: &[u8], n: usize) -> u64 {
    let ends = bytes.iter().enumerate().filter(|(_, &b)| b == b'\n');
    ends.take(n - 1).last().map_or(0, |(i, _)| i as u64 + 1)
}

#[test]
fn jsonl_and_csv_readers_mark_where_their_next_batch_begins() {
    use trailproof_ingest::resume::{open_at, Mark};
    let jsonl = std::fs::read(vector("records.jsonl")).unwrap();
    let csv = std::fs::read(vector("audit.csv")).unwrap();
    let mark = |bytes: &[u8], line: usize, row| Mark {
        offset: line_start(bytes, line + 1),
        line: line as u64,
        row,
    };
    // (file, kind, the mark before the first record, the mark after 7 records, the 8th's place)
    let cases = [
        (
            "records.jsonl",
            InputKind::Jsonl,
            mark(&jsonl, 0, 0),
            mark(&jsonl, 7, 0),
            Location::Line(8),
        ),
        (
            // The header is line 1.
            "audit.csv",
            InputKind::Csv,
            mark(&csv, 1, 0),
            mark(&csv, 8, 7),
            Location::Row(8),
        ),
    ];
    for (name, kind, start, after_seven, eighth) in cases {
        let path = vector(name);
        let mut src = open_records(&path, kind).unwrap();
        assert_eq!(src.mark(), Some(start), "{name}");
        src.next_batch(&mut Vec::new(), 7).unwrap();
        assert_eq!(src.mark(), Some(after_seven), "{name}");
        let mut second = Vec::new();
        src.next_batch(&mut second, 7).unwrap();
        let mut resumed = open_at(&path, kind, after_seven).unwrap().expect("resumes");
        let mut again = Vec::new();
        resumed.next_batch(&mut again, 7).unwrap();
        assert_eq!(format!("{second:?}"), format!("{again:?}"), "{name}");
        assert_eq!(again[0].loc, eighth, "{name}");
    }
    // Readers whose state is more than a place give no mark, and cannot be started again.
    for (name, kind) in &DUMPS[2..] {
        let src = open_records(&vector(name), *kind).unwrap();
        assert_eq!(src.mark(), None, "{name}");
        let origin = Mark {
            offset: 0,
            line: 0,
            row: 0,
        };
        assert!(
            open_at(&vector(name), *kind, origin).unwrap().is_none(),
            "{name}"
        );
    }
}
