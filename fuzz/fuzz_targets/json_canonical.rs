//! The strict JSON parser and the RFC 8785 canonicalizer (core), and record canonicalization.
//!
//! Oracles: no panic; whatever the parser accepts canonicalizes to text it accepts again, whose
//! canonical form is the same bytes (canonicalization is idempotent); a record never panics the
//! hashing path, and when it hashes, hashing its canonical form again gives the same hash; the
//! canonical text of what parses is judged exactly as its value (the text is hashed where it
//! lies when it is a record in canonical form, the value after serializing it); the text
//! canonicalizer writes a text only when the parser accepts it, and then exactly the bytes of
//! its value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailproof_core::canonical::{self, TextCanonicalizer};
use trailproof_core::json::Value;
use trailproof_core::record::{check, Location, RawData, RawRecord};

fuzz_target!(|data: &[u8]| {
    let mut written = Vec::new();
    if TextCanonicalizer::default().write(data, &mut written) {
        let v = Value::parse(data).expect("the text canonicalizer wrote a text the parser refuses");
        assert_eq!(written, canonical::to_vec(&v), "the text canonicalizer wrote other bytes");
    } else {
        assert!(written.is_empty(), "a declined text left bytes behind");
    }
    if let Ok(v) = Value::parse(data) {
        let c = canonical::to_vec(&v);
        let again = Value::parse(&c).expect("canonical output must parse");
        assert_eq!(again, v, "canonical output parses to another value");
        assert_eq!(
            canonical::to_vec(&again),
            c,
            "canonicalization not idempotent"
        );
        // The kept records are compared as values: -0 (from `-7e-777`, say) is written `0`,
        // which parses back as +0, an equal value whose Debug form differs.
        let judged = |data| {
            let raw = RawRecord {
                loc: Location::Line(1),
                data,
            };
            let mut checked = check(raw, &mut Vec::new());
            let record = checked.record.take();
            (format!("{checked:?}"), record)
        };
        assert_eq!(
            judged(RawData::Json(c)),
            judged(RawData::Value(v)),
            "canonical text judged otherwise than its value"
        );
    }
    let mut buf = Vec::new();
    let c = check(
        RawRecord {
            loc: Location::Line(1),
            data: RawData::Json(data.to_vec()),
        },
        &mut buf,
    );
    if let (Some(h), Some(rec)) = (c.computed_hash, c.record.as_ref()) {
        let c2 = check(
            RawRecord {
                loc: Location::Line(1),
                data: RawData::Value(rec.clone()),
            },
            &mut buf,
        );
        assert_eq!(
            c2.computed_hash,
            Some(h),
            "hash of the canonical record differs"
        );
    }
});
