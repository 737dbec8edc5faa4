//! The export PDF reader from bytes (revisions, objects, streams, fonts, visible text), then the
//! cross-check of what it shows against its embedded payload.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use trailproof_core::export::verify_payload_bytes;
use trailproof_core::json::Value;
use trailproof_ingest::pdf::{cross_check, read_pdf_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = read_pdf_bytes(Path::new("fuzz.pdf"), data) {
        let payload = ev.payload.as_deref().and_then(|b| Value::parse(b).ok());
        if let Some(b) = ev.payload.as_deref() {
            let _ = verify_payload_bytes("fuzz.pdf", b);
        }
        let _ = cross_check(&ev, payload.as_ref(), "fuzz.pdf");
    }
});
