//! The SQLite carver (`trailproof_recover::scan`): a database file, its `-wal` and its
//! `-journal` from arbitrary bytes (the first 4 bytes say how long the `-wal` and `-journal`
//! parts are; the rest of the input is the database file).
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use trailproof_recover::{scan, EvidenceFile, Options, ReadSeek};

fuzz_target!(|data: &[u8]| {
    let (main, wal, journal) = trailproof_recover::split_fuzz_input(data);
    let options = Options {
        max_candidates: 1000,
        ..Options::default()
    };
    for (wal, journal) in [(None, None), (Some(wal), Some(journal))] {
        let mut m = Cursor::new(main);
        let mut w = wal.map(Cursor::new);
        let mut j = journal.map(Cursor::new);
        let Ok(found) = scan(
            &mut m,
            w.as_mut().map(|c| c as &mut dyn ReadSeek),
            j.as_mut().map(|c| c as &mut dyn ReadSeek),
            &options,
        ) else {
            continue;
        };
        assert!(found.candidates.len() <= options.max_candidates);
        for c in &found.candidates {
            let file_len = match c.from.file() {
                EvidenceFile::Main => main.len(),
                EvidenceFile::Wal => wal.map_or(0, <[u8]>::len),
                EvidenceFile::Journal => journal.map_or(0, <[u8]>::len),
            };
            assert!(c.offset < file_len as u64, "a candidate outside its file");
            assert_eq!(c.columns.len(), found.table.stored_columns().count());
        }
    }
});
