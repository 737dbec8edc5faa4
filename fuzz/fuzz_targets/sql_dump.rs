//! The sqlite3 `.dump` and `pg_dump` text parser (statement splitter, INSERT values, COPY
//! blocks), from arbitrary bytes, in both dialects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailproof_ingest::sql::{Dialect, Splitter};
use trailproof_ingest::InputKind;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let mut s = Splitter::new(data, dialect);
        let mut n = 0usize;
        while let Ok(Some(_)) = s.next_statement() {
            n += 1;
            assert!(n <= data.len() + 1, "splitter does not progress");
        }
    }
    common::read_all(data, InputKind::SqliteSql);
    common::read_all(data, InputKind::PgDump);
});
