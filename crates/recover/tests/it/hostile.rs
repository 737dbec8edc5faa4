//! Hostile and damaged evidence: truncated files, cyclic freelists, b-trees and overflow
//! chains, garbage pages, unreadable -wal and -journal files. Each gives a typed error or a
//! scan with anomalies, never a panic or an endless loop.

use std::io::Cursor;
use std::path::Path;

use trailproof_recover::{
    scan, AnomalyKind, JournalProblem, Options, ReadSeek, RecoverError, Scan, WalProblem,
};

const PS: usize = 4096;

fn vector() -> Vec<u8> {
    std::fs::read(trailproof_testkit::vector("audit.sqlite")).unwrap()
}

fn run(main: &[u8], wal: Option<&[u8]>, journal: Option<&[u8]>) -> Result<Scan, RecoverError> {
    let mut m = Cursor::new(main);
    let mut w = wal.map(Cursor::new);
    let mut j = journal.map(Cursor::new);
    scan(
        &mut m,
        w.as_mut().map(|c| c as &mut dyn ReadSeek),
        j.as_mut().map(|c| c as &mut dyn ReadSeek),
        &Options::default(),
    )
}

fn has(scan: &Scan, kind: impl Fn(&AnomalyKind) -> bool) -> bool {
    scan.anomalies.iter().any(|a| kind(&a.kind))
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// A deterministic byte stream (xorshift).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn truncated_files() {
    let v = vector();
    for cut in [0, 10, 99] {
        assert!(matches!(
            run(&v[..cut], None, None),
            Err(RecoverError::NotSqlite { .. })
        ));
    }
    for cut in [100, 1000, PS - 1] {
        // page 1 is cut: sqlite_schema reads zeros past the end
        let _ = run(&v[..cut], None, None);
    }
    for cut in [PS, PS + 1, 2 * PS + 100, 5 * PS, v.len() - 1] {
        let s = run(&v[..cut], None, None).expect("a short file still scans");
        assert!(
            has(&s, |k| matches!(
                k,
                AnomalyKind::MainFileShort { pages: 9, .. }
            )),
            "{cut}: {:?}",
            s.anomalies
        );
        assert!(s.candidates.is_empty(), "{cut}");
    }
}

/// Two pages appended as a freelist whose trunks point at each other.
#[test]
fn cyclic_freelist() {
    let mut v = vector();
    v.resize(11 * PS, 0);
    put32(&mut v, 28, 11);
    put32(&mut v, 32, 10);
    put32(&mut v, 36, 2);
    put32(&mut v, 9 * PS, 11);
    put32(&mut v, 10 * PS, 10);
    let s = run(&v, None, None).unwrap();
    assert!(has(&s, |k| *k == AnomalyKind::FreelistDamaged));
    assert!(!has(&s, |k| matches!(k, AnomalyKind::FreelistCount { .. })));

    // a trunk that lists live b-tree pages and claims 2^32 - 1 leaves
    put32(&mut v, 9 * PS, 0);
    put32(&mut v, 9 * PS + 4, u32::MAX);
    for i in 0..1000 {
        put32(&mut v, 9 * PS + 8 + 4 * i, 2 + (i as u32 % 8));
    }
    let s = run(&v, None, None).unwrap();
    assert!(has(&s, |k| *k == AnomalyKind::FreelistDamaged));
    assert!(
        has(&s, |k| matches!(k, AnomalyKind::FreelistCount { .. })),
        "{} anomalies",
        s.anomalies.len()
    );
    assert!(
        s.anomalies.len() < 10,
        "one anomaly per trunk, not per leaf"
    );
    assert!(s.candidates.is_empty(), "live pages are not carved twice");
}

/// The table's root (an interior page) names itself as its right child.
#[test]
fn cyclic_btree() {
    let mut v = vector();
    assert_eq!(v[PS], 5, "page 2 is the table's interior root");
    put32(&mut v, PS + 8, 2);
    let s = run(&v, None, None).unwrap();
    assert!(has(&s, |k| *k == AnomalyKind::PageRevisited));
    // every child points at the root
    let mut v = vector();
    let cells = u16::from_be_bytes([v[PS + 3], v[PS + 4]]) as usize;
    for i in 0..cells {
        let at = u16::from_be_bytes([v[PS + 12 + 2 * i], v[PS + 13 + 2 * i]]) as usize;
        put32(&mut v, PS + at, 2);
    }
    let s = run(&v, None, None).unwrap();
    assert!(has(&s, |k| *k == AnomalyKind::PageRevisited));
}

#[test]
fn garbage_pages() {
    let base = vector();
    for page in 1..=9usize {
        for (i, fill) in [noise(page as u64, PS), vec![0xff; PS], vec![0; PS]]
            .into_iter()
            .enumerate()
        {
            let mut v = base.clone();
            let start = if page == 1 { 100 } else { 0 };
            v[(page - 1) * PS + start..page * PS].copy_from_slice(&fill[start..]);
            let _ = run(&v, None, None);
            // a b-tree header over garbage: a leaf with 65535 cells and free blocks everywhere
            if i == 0 {
                let h = (page - 1) * PS + start;
                v[h] = 13;
                v[h + 1..h + 3].copy_from_slice(&8u16.to_be_bytes());
                v[h + 3..h + 5].copy_from_slice(&0xffffu16.to_be_bytes());
                let _ = run(&v, None, None);
            }
        }
    }
    for seed in 0..20 {
        let mut v = noise(seed, 9 * PS);
        v[..100].copy_from_slice(&base[..100]);
        let _ = run(&v, None, None);
    }
}

#[test]
fn unreadable_wal_and_journal_are_typed_errors() {
    let v = vector();
    assert!(matches!(
        run(&v, Some(&noise(1, 5000)), None),
        Err(RecoverError::Wal {
            frame: None,
            offset: 0,
            problem: WalProblem::BadMagic(_)
        })
    ));
    assert!(matches!(
        run(&v, Some(&[0x37, 0x7f]), None),
        Err(RecoverError::Wal {
            problem: WalProblem::TooShort { len: 2 },
            ..
        })
    ));
    assert!(matches!(
        run(&v, None, Some(&noise(2, 5000))),
        Err(RecoverError::Journal {
            offset: 0,
            problem: JournalProblem::BadMagic
        })
    ));
    let s = run(&v, Some(&[]), Some(&[0u8; 4096])).unwrap();
    assert!(s.wal.unwrap().frames.is_empty());
    assert!(!s.journal.unwrap().hot);
    assert!(s.candidates.is_empty());
}

/// A valid WAL header followed by frames of garbage: nothing is applied, everything is
/// carved, nothing panics.
#[test]
fn wal_with_garbage_frames() {
    let v = vector();
    let wal = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/recovery/wal_edit.sqlite-wal"),
    )
    .unwrap();
    let mut bad = wal[..32].to_vec();
    bad.extend_from_slice(&noise(3, 3 * (PS + 24) + 17));
    let s = run(&v, Some(&bad), None).unwrap();
    let info = s.wal.unwrap();
    assert_eq!(info.frames.len(), 3);
    assert_eq!(info.trailing_bytes, 17);
    assert!(info.applied.is_empty());
    assert_eq!(
        info.log_end.as_ref().map(|e| (e.frame, e.offset)),
        Some((1, 32))
    );
    // frames whose page numbers are huge or zero
    let mut big = wal.clone();
    put32(&mut big, 32, u32::MAX);
    put32(&mut big, 32 + PS + 24, 0);
    let _ = run(&v, Some(&big), None).unwrap();
}

#[test]
fn other_encodings_and_tables_are_refused() {
    let mut v = vector();
    put32(&mut v, 56, 2);
    assert!(matches!(
        run(&v, None, None),
        Err(RecoverError::UnsupportedEncoding { encoding: 2 })
    ));
    let v = vector();
    let mut m = Cursor::new(&v[..]);
    let options = trailproof_recover::Options {
        table: "nope".into(),
        ..Default::default()
    };
    assert!(matches!(
        scan(&mut m, None, None, &options),
        Err(RecoverError::TableNotFound { .. })
    ));
}

/// The caps hold and say so: one candidate allowed, no overflow page to follow.
#[test]
fn limits_are_kept_and_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/recovery");
    let main = std::fs::read(dir.join("delete.sqlite")).unwrap();
    let mut m = Cursor::new(&main[..]);
    let options = Options {
        max_candidates: 1,
        ..Options::default()
    };
    let s = scan(&mut m, None, None, &options).unwrap();
    assert_eq!(s.candidates.len(), 1);
    assert!(has(&s, |k| *k == AnomalyKind::CandidateLimit));
}

/// A superseded image holds mostly unchanged rows: they are dropped before they count against
/// the cap, so a small cap still reports the one row that changed.
#[test]
fn unchanged_rows_do_not_fill_the_cap() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/recovery");
    let main = std::fs::read(dir.join("wal_edit.sqlite")).unwrap();
    let wal = std::fs::read(dir.join("wal_edit.sqlite-wal")).unwrap();
    let mut m = Cursor::new(&main[..]);
    let mut w = Cursor::new(&wal[..]);
    let options = Options {
        max_candidates: 12,
        ..Options::default()
    };
    let s = scan(&mut m, Some(&mut w), None, &options).unwrap();
    assert_eq!(s.candidates.len(), 4, "{:?}", s.anomalies);
    assert!(!has(&s, |k| *k == AnomalyKind::CandidateLimit));
}
