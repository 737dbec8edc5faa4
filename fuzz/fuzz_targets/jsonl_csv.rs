//! The JSON Lines and CSV readers (and the sniffer), from arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailproof_ingest::InputKind;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::read_all(data, InputKind::Jsonl);
    common::read_all(data, InputKind::Csv);
});
