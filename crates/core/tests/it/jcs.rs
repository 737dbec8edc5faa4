//! RFC 8785 conformance: every file of the RFC author's test data (`tests/jcs`), all 100,000 ES6
//! number cases, a differential test against `serde_json_canonicalizer`, and properties
//! (idempotence, independence of member order and whitespace, single-byte changes detected).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use proptest::prelude::*;
use trailproof_core::canonical;
use trailproof_core::json::Value;
use trailproof_core::record::{self, Location, RawData, RawRecord};
use trailproof_core::time;

fn jcs() -> PathBuf {
    trailproof_testkit::root().join("tests/jcs")
}

#[test]
fn every_rfc8785_file_canonicalizes_byte_exact() {
    let mut n = 0;
    for entry in std::fs::read_dir(jcs().join("input")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let input = std::fs::read(&path).unwrap();
        let want = std::fs::read(jcs().join("output").join(&name)).unwrap();
        let hex_name = name.replace(".json", ".txt");
        let want_hex: String = std::fs::read_to_string(jcs().join("outhex").join(&hex_name))
            .unwrap()
            .split_whitespace()
            .collect();
        let v = Value::parse(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = canonical::to_vec(&v);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{name}"
        );
        let got_hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got_hex, want_hex, "{name} (outhex)");
        n += 1;
    }
    assert_eq!(n, 6, "expected the six RFC 8785 test files");
}

#[test]
fn es6_number_serialization_100k() {
    let f = std::fs::File::open(jcs().join("es6-numbers-100k.txt.gz")).unwrap();
    let r = BufReader::new(flate2::read::GzDecoder::new(f));
    let mut n = 0;
    let mut refused = 0;
    for (i, line) in r.lines().enumerate() {
        let line = line.unwrap();
        let (bits, want) = line.split_once(',').unwrap();
        let x = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        let mut out = Vec::new();
        canonical::write_number(x, &mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            want,
            "line {}: bits {bits}",
            i + 1
        );
        // The text parses back to the same double (float_roundtrip), except integer literals
        // beyond 2^53-1, which evidence parsing refuses on purpose (I-JSON).
        match Value::parse(want.as_bytes()) {
            Ok(Value::Number(y)) => {
                let x0 = if x == 0.0 { 0.0 } else { x };
                assert_eq!(
                    y.to_bits(),
                    x0.to_bits(),
                    "line {}: parse back {want}",
                    i + 1
                )
            }
            Ok(other) => panic!("line {}: parsed as {other:?}", i + 1),
            Err(e) => {
                assert!(
                    !want.contains(['.', 'e']) && x.abs() > 9007199254740991.0,
                    "line {}: {want} refused: {e}",
                    i + 1
                );
                refused += 1;
            }
        }
        n += 1;
    }
    assert_eq!(n, 100_000);
    assert!(
        refused > 0 && refused < 10_000,
        "{refused} unsafe integers refused"
    );
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        (-9007199254740991i64..=9007199254740991).prop_map(|i| serde_json::json!(i)),
        any::<f64>()
            .prop_filter(
                "finite, and not printed as an unsafe integer literal",
                |x| {
                    // ES6 prints doubles in [2^53, 1e21) as plain integers, which evidence parsing
                    // refuses (I-JSON); keep the generator inside the accepted domain.
                    x.is_finite() && (x.abs() < 9007199254740992.0 || x.abs() >= 1e21)
                }
            )
            .prop_map(|x| serde_json::json!(x)),
        "\\PC{0,12}".prop_map(serde_json::Value::String),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn ours(text: &str) -> Vec<u8> {
    canonical::to_vec(&Value::parse_str(text).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_serde_json_canonicalizer(v in arb_json()) {
        let text = serde_json::to_string(&v).unwrap();
        let theirs = serde_json_canonicalizer::to_vec(&v).unwrap();
        let mine = ours(&text);
        prop_assert_eq!(String::from_utf8_lossy(&mine), String::from_utf8_lossy(&theirs));
    }

    #[test]
    fn idempotent_and_whitespace_independent(v in arb_json()) {
        let compact = serde_json::to_string(&v).unwrap();
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let once = ours(&compact);
        prop_assert_eq!(&ours(&pretty), &once);
        prop_assert_eq!(&ours(std::str::from_utf8(&once).unwrap()), &once);
    }

    #[test]
    fn member_order_does_not_matter(pairs in prop::collection::btree_map("\\PC{0,6}", any::<i32>(), 1..10), rot in 0usize..10) {
        let mut items: Vec<_> = pairs.iter().collect();
        let k = rot % items.len();
        items.rotate_left(k);
        items.reverse();
        let body: Vec<String> = items.iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap())).collect();
        let shuffled = format!("{{{}}}", body.join(" , "));
        let sorted = serde_json::to_string(&pairs).unwrap();
        prop_assert_eq!(ours(&shuffled), ours(&sorted));
    }

    /// Any single-byte change to a record's canonical bytes is detected: either the bytes no
    /// longer parse as a record, or the record no longer hashes to its stored hash.
    #[test]
    fn any_single_byte_change_is_detected(pos in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let line = std::fs::read_to_string(jcs().join("../vectors/records.jsonl")).unwrap();
        let first = line.lines().next().unwrap();
        let rec = Value::parse_str(first).unwrap();
        let mut canon = Vec::new();
        record::write_hashed_bytes(&rec, &mut canon);
        // Re-add the stored hash so the mutated text is a full record again.
        let hash = rec.get("hash").unwrap().as_str().unwrap().to_string();
        let i = pos.index(canon.len());
        canon[i] = canon[i].wrapping_add(delta);
        let Ok(text) = String::from_utf8(canon.clone()) else { return Ok(()); };
        let Ok(mut v) = Value::parse_str(&text) else { return Ok(()); };
        if v.get("hash").is_some() { return Ok(()); } // the change renamed a member to "hash"
        // Another spelling of the same instant ('T' + 204 is the space SPEC section 2 accepts):
        // the record is normalized to the same canonical bytes, rightly.
        let instant = |r: &Value| r.get("timestamp").and_then(|t| t.as_str()).and_then(|t| time::normalize(t).ok());
        if v.get("timestamp") != rec.get("timestamp") && instant(&v).is_some() && instant(&v) == instant(&rec) {
            return Ok(());
        }
        v.set("hash", Value::String(hash.clone()));
        let c = record::check(RawRecord { loc: Location::Line(1), data: RawData::Value(v) }, &mut Vec::new());
        let intact = c.problems.is_empty() && c.computed_hash.is_some() && c.computed_hash == c.stored_hash;
        prop_assert!(!intact, "a change at byte {} went unnoticed", i);
    }

    /// Member names order by UTF-16 code units, exactly as comparing `encode_utf16` does, for
    /// names mixing ASCII, the BMP above U+E000 and characters outside the BMP (where byte order
    /// and UTF-16 order disagree).
    #[test]
    fn member_name_order_is_utf16_order(a in "[a\u{e000}\u{ffff}\u{10000}\u{1f600}\u{7f}\u{800}]{0,5}", b in "[a\u{e000}\u{ffff}\u{10000}\u{1f600}\u{7f}\u{800}]{0,5}") {
        prop_assert_eq!(
            trailproof_core::json::cmp_utf16(&a, &b),
            a.encode_utf16().cmp(b.encode_utf16())
        );
    }

    /// A string is written exactly as `serde_json` escapes it (the same rules as ECMAScript's
    /// `JSON.stringify`: `"`, `\\` and control characters only, lowercase hex).
    #[test]
    fn strings_are_escaped_as_json_stringify_does(s in "[\\x00-\\x21\"\\\\a\u{e9}\u{2028}\u{1f600}]{0,12}") {
        let mut out = Vec::new();
        canonical::write_string(&s, &mut out);
        prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
    }
}

/// What the json_canonical fuzz target found (`fuzz/regressions/json_canonical/`), replayed
/// under its oracle: whatever parses canonicalizes to text that parses to the same value, whose
/// canonical form is the same bytes.
#[test]
fn the_fuzzing_findings_replay() {
    let dir = trailproof_testkit::root().join("fuzz/regressions/json_canonical");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(v) = Value::parse(&data) {
            let c = canonical::to_vec(&v);
            let again = Value::parse(&c).expect("canonical output parses");
            assert_eq!(again, v);
            assert_eq!(canonical::to_vec(&again), c);
        }
        n += 1;
    }
    assert!(n >= 1);
}
