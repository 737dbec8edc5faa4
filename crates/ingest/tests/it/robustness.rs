//! Robustness: every text reader and the sniffer, fed arbitrary bytes and mutated vector text,
//! must return records or an error, never panic, and always digest the whole input.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use trailproof_core::record::check;
use trailproof_ingest::copy::decode_field;
use trailproof_ingest::detect::{open_records, sniff};
use trailproof_ingest::resume::open_at;
use trailproof_ingest::InputKind;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(trailproof_testkit::vector(name)).expect("vector")
}

fn temp_file(bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailproof-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(format!("in-{}", COUNTER.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Reads everything; errors are fine, panics are not. The digest, when reading worked, covers
/// every byte. A reader started again at the mark taken before a batch reads that batch again,
/// record for record.
fn exercise(bytes: &[u8], kind: InputKind) {
    let p = temp_file(bytes);
    let _ = sniff(&p);
    if let Ok(mut src) = open_records(&p, kind) {
        let mut out = Vec::new();
        let mut guard = 0;
        loop {
            let mark = src.mark();
            let start = out.len();
            let more = src.next_batch(&mut out, 5);
            if let (Some(mark), Ok(_)) = (mark, &more) {
                let mut again = Vec::new();
                let mut resumed = open_at(&p, kind, mark)
                    .expect("open at a mark")
                    .expect("resumes");
                resumed.next_batch(&mut again, 5).expect("read at a mark");
                assert_eq!(
                    format!("{:?}", &out[start..]),
                    format!("{again:?}"),
                    "batch at {mark:?}"
                );
            }
            if !matches!(more, Ok(true)) {
                break;
            }
            guard += 1;
            assert!(guard < 100_000, "reader does not progress");
        }
        let d = src.digest().expect("digest");
        assert_eq!(d.size, bytes.len() as u64);
        let mut buf = Vec::new();
        for r in out {
            let _ = check(r, &mut buf);
        }
    }
    std::fs::remove_file(&p).ok();
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop::sample::select(vec![
        b"'".to_vec(),
        b"''".to_vec(),
        b"\\".to_vec(),
        b"\\.\n".to_vec(),
        b"\t".to_vec(),
        b"\n".to_vec(),
        b"\r\n".to_vec(),
        b"\"".to_vec(),
        b";".to_vec(),
        b"$$".to_vec(),
        b"E'".to_vec(),
        b"\\N".to_vec(),
        b"\\x".to_vec(),
        b"\\3".to_vec(),
        b"/*".to_vec(),
        b"--".to_vec(),
        b"(".to_vec(),
        b")".to_vec(),
        b",".to_vec(),
        b"replace(".to_vec(),
        b"char(".to_vec(),
        b"X'0".to_vec(),
        b"\xff".to_vec(),
        b"\0".to_vec(),
        b"{".to_vec(),
        b"CREATE TRIGGER t BEGIN ".to_vec(),
        b"COPY audit_log (seq) FROM stdin;\n".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), interesting).prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut v: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = v.len().max(1);
        match m {
            Mutation::Replace(i, b) => {
                if !v.is_empty() {
                    let i = i % v.len();
                    v[i] = *b;
                }
            }
            Mutation::Insert(i, s) => {
                let i = i % (v.len() + 1);
                v.splice(i..i, s.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = i % len;
                let end = (i + n).min(v.len());
                if i < end {
                    v.drain(i..end);
                }
            }
            Mutation::Truncate(i) => v.truncate(i % len),
        }
    }
    v
}

const TEXT_KINDS: [InputKind; 4] = [
    InputKind::Jsonl,
    InputKind::Csv,
    InputKind::SqliteSql,
    InputKind::PgDump,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), k in 0usize..4) {
        exercise(&bytes, TEXT_KINDS[k]);
    }

    #[test]
    fn arbitrary_sqlish_text(
        parts in prop::collection::vec(prop::sample::select(vec![
            "INSERT INTO audit_log VALUES(", "INSERT INTO audit_log(seq,hash) VALUES", "(1,'a')",
            "CREATE TABLE audit_log (seq INTEGER, hash TEXT);", "COPY public.audit_log (seq, hash) FROM stdin;\n",
            "1\tx\n", "\\.\n", "'", "''", "E'\\'", "$$", "$a$", ";", "\n", "\\restrict k\n", "--",
            "/*", "*/", "replace('a','b',char(10))", "unistr('\\0041')", "NULL", "X'00'", ",", ")",
            "BEGIN", "END", "CREATE TRIGGER x BEGIN", "\"", "-1e999", "99999999999999999999",
        ]), 0..40),
        k in 2usize..4,
    ) {
        exercise(parts.concat().as_bytes(), TEXT_KINDS[k]);
    }

    #[test]
    fn mutated_pg_dump(muts in prop::collection::vec(mutation(), 1..6)) {
        exercise(&mutate(vector("audit.pg.sql"), &muts), InputKind::PgDump);
    }

    #[test]
    fn mutated_sqlite_dump(muts in prop::collection::vec(mutation(), 1..6)) {
        exercise(&mutate(vector("audit.sqlite.sql"), &muts), InputKind::SqliteSql);
    }

    #[test]
    fn mutated_csv(muts in prop::collection::vec(mutation(), 1..6)) {
        exercise(&mutate(vector("audit.csv"), &muts), InputKind::Csv);
    }

    #[test]
    fn mutated_jsonl(muts in prop::collection::vec(mutation(), 1..6)) {
        exercise(&mutate(vector("records.jsonl"), &muts), InputKind::Jsonl);
    }

    #[test]
    fn mutated_sqlite_file(muts in prop::collection::vec(mutation(), 1..4)) {
        exercise(&mutate(vector("audit.sqlite"), &muts), InputKind::Sqlite);
    }

    #[test]
    fn copy_fields(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_field(&bytes);
    }
}

/// The corpora the fuzzing campaign kept (`fuzz/regressions/jsonl_csv/` and `sql_dump/`: the
/// smallest of each target's coverage-minimized inputs), replayed as the targets read them: the
/// statement splitter in both dialects, then every reader the target feeds.
#[test]
fn the_fuzzing_corpora_replay() {
    use trailproof_ingest::sql::{Dialect, Splitter};
    for (target, kinds) in [
        ("jsonl_csv", [InputKind::Jsonl, InputKind::Csv]),
        ("sql_dump", [InputKind::SqliteSql, InputKind::PgDump]),
    ] {
        let dir = trailproof_testkit::root()
            .join("fuzz/regressions")
            .join(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("the corpus") {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            if target == "sql_dump" {
                for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                    let mut s = Splitter::new(data.as_slice(), dialect);
                    let mut statements = 0;
                    while let Ok(Some(_)) = s.next_statement() {
                        statements += 1;
                        assert!(statements <= data.len() + 1, "splitter does not progress");
                    }
                }
            }
            for kind in kinds {
                exercise(&data, kind);
            }
            n += 1;
        }
        assert!(n >= 20, "{target}: {n} inputs");
    }
}
