//! The SQLite carver (`trailproof_recover::scan`) and the table reader
//! (`trailproof_recover::table`): a database file, its `-wal` and its `-journal` from arbitrary
//! bytes (the first 4 bytes say how long the `-wal` and `-journal`
//! parts are; the rest of the input is the database file).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (main, wal, journal) = trailproof_recover::split_fuzz_input(data);
    trailproof_recover::check_scan(main, None, None, 1000);
    trailproof_recover::check_table(main);
    trailproof_recover::check_scan(main, Some(wal), Some(journal), 1000);
});
