//! The export PDF reader from bytes (revisions, objects, streams, fonts, visible text), its
//! earlier revisions and the records they hold (SPEC section 10), then the cross-check of what
//! it shows against its embedded payload.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use trailproof_core::export::verify_payload_bytes;
use trailproof_core::payload::Payload;
use trailproof_ingest::pdf::{
    cross_check, describe_updates, read_earlier, read_pdf_bytes, recovered_copies,
};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.pdf");
    if let Ok(mut ev) = read_pdf_bytes(path, data) {
        let payload = ev.payload.as_deref().and_then(|b| Payload::parse(b).ok());
        let (earlier, skipped) = read_earlier(path, data, &ev);
        ev.updates = describe_updates(&ev, &earlier, skipped, payload.as_ref());
        for copy in recovered_copies(&ev, &earlier, payload.as_ref(), "fuzz.pdf") {
            assert_eq!(copy.recovered_from, "pdf_revision");
            assert!(copy.offset >= 1 && (copy.offset as usize) < ev.revisions.len());
        }
        if let Some(b) = ev.payload.as_deref() {
            let _ = verify_payload_bytes("fuzz.pdf", b);
        }
        let _ = cross_check(&ev, payload.as_ref(), "fuzz.pdf");
    }
});
