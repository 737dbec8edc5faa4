//! Robustness: the scan and the table reader, fed mutated fixture bytes (main file, -wal, -journal) and arbitrary
//! bytes behind a valid header, returns candidates or a typed error, never panics, never
//! loops, and every candidate it returns lies inside its file with every column.

use proptest::prelude::*;

const PS: usize = 4096;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(trailproof_testkit::fixture("recovery", name)).expect("fixture")
}

/// Scans, and reads the tables with the table reader; errors are fine, panics are not; what
/// is found is inside its file.
fn exercise(main: &[u8], wal: Option<&[u8]>, journal: Option<&[u8]>) {
    trailproof_recover::check_scan(main, wal, journal, 500);
    trailproof_recover::check_table(main);
}

/// A place in the file: mostly page headers and cell pointers, where damage matters most.
#[derive(Debug, Clone)]
struct Pos {
    page: usize,
    within: usize,
    header: bool,
}

impl Pos {
    fn offset(&self, len: usize) -> usize {
        let pages = len.div_ceil(PS).max(1);
        let page = self.page % pages;
        let within = if self.header {
            (if page == 0 { 100 } else { 0 }) + self.within % 24
        } else {
            self.within % PS
        };
        (page * PS + within).min(len.saturating_sub(1))
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Byte(Pos, u8),
    Be16(Pos, u16),
    Be32(Pos, u32),
    Zero(Pos, usize),
    Truncate(usize),
}

fn pos() -> impl Strategy<Value = Pos> {
    (0usize..16, any::<usize>(), any::<bool>()).prop_map(|(page, within, header)| Pos {
        page,
        within,
        header,
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let page_number = prop_oneof![0u32..16, Just(u32::MAX), any::<u32>()];
    let small = prop_oneof![0u16..64, 4000u16..4100, any::<u16>()];
    prop_oneof![
        (pos(), any::<u8>()).prop_map(|(p, b)| Mutation::Byte(p, b)),
        (pos(), small).prop_map(|(p, v)| Mutation::Be16(p, v)),
        (pos(), page_number).prop_map(|(p, v)| Mutation::Be32(p, v)),
        (pos(), 1usize..600).prop_map(|(p, n)| Mutation::Zero(p, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut v: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if v.is_empty() {
            break;
        }
        let put = |v: &mut Vec<u8>, p: &Pos, bytes: &[u8]| {
            let at = p.offset(v.len());
            let end = (at + bytes.len()).min(v.len());
            v[at..end].copy_from_slice(&bytes[..end - at]);
        };
        match m {
            Mutation::Byte(p, b) => put(&mut v, p, &[*b]),
            Mutation::Be16(p, x) => put(&mut v, p, &x.to_be_bytes()),
            Mutation::Be32(p, x) => put(&mut v, p, &x.to_be_bytes()),
            Mutation::Zero(p, n) => put(&mut v, p, &vec![0; *n]),
            Mutation::Truncate(i) => {
                let len = v.len();
                v.truncate(i % len);
            }
        }
    }
    v
}

const MAINS: [&str; 6] = [
    "delete.sqlite",
    "replace_rehashed.sqlite",
    "decoy.sqlite",
    "wal_edit.sqlite",
    "journal_hot.sqlite",
    "secure_delete.sqlite",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_main_file(k in 0usize..MAINS.len(), muts in prop::collection::vec(mutation(), 1..8)) {
        exercise(&mutate(fixture(MAINS[k]), &muts), None, None);
    }

    #[test]
    fn mutated_wal(muts in prop::collection::vec(mutation(), 1..8)) {
        let main = fixture("wal_edit.sqlite");
        exercise(&main, Some(&mutate(fixture("wal_edit.sqlite-wal"), &muts)), None);
    }

    #[test]
    fn mutated_pair(muts in prop::collection::vec(mutation(), 1..6), wal_muts in prop::collection::vec(mutation(), 0..4)) {
        let main = mutate(fixture("wal_edit.sqlite"), &muts);
        exercise(&main, Some(&mutate(fixture("wal_edit.sqlite-wal"), &wal_muts)), None);
    }

    #[test]
    fn mutated_journal(muts in prop::collection::vec(mutation(), 1..8)) {
        let main = fixture("journal_hot.sqlite");
        exercise(&main, None, Some(&mutate(fixture("journal_hot.sqlite-journal"), &muts)));
    }

    #[test]
    fn arbitrary_bytes_behind_a_header(
        bytes in prop::collection::vec(any::<u8>(), 0..3 * PS),
        page_size in prop::sample::select(vec![512u16, 1024, 4096, 1]),
    ) {
        let mut main = fixture("delete.sqlite")[..100].to_vec();
        main[16..18].copy_from_slice(&page_size.to_be_bytes());
        main.extend_from_slice(&bytes);
        exercise(&main, None, None);
        exercise(&bytes, Some(&bytes), Some(&bytes));
    }
}

/// The corpus the fuzzing campaign kept (`fuzz/regressions/sqlite_recover/`: the smallest of
/// its coverage-minimized inputs), replayed as the fuzz target reads them: the first 4 bytes
/// give the lengths of the `-wal` and `-journal` parts, the rest is the database file.
#[test]
fn the_fuzzing_corpus_replays() {
    let dir = trailproof_testkit::root().join("fuzz/regressions/sqlite_recover");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let (main, wal, journal) = trailproof_recover::split_fuzz_input(&data);
        exercise(main, None, None);
        exercise(main, Some(wal), Some(journal));
        n += 1;
    }
    assert!(n >= 40, "{n} inputs");
}
