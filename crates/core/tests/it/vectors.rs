//! The public AEF/1 vectors (`tests/vectors/`, from an independent implementation) as
//! data-driven tests. Each failure names the case.

use trailproof_core::canonical;
use trailproof_core::fingerprint::fingerprint;
use trailproof_core::json::Value;
use trailproof_core::record::{self, hex, Location, RawData, RawRecord};
use trailproof_core::scope::{Scope, ScopeParams};
use trailproof_testkit::vector;

fn load(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(vector(name)).unwrap()).unwrap()
}

fn records() -> Vec<Value> {
    std::fs::read_to_string(vector("records.jsonl"))
        .unwrap()
        .lines()
        .map(|l| Value::parse_str(l).unwrap())
        .collect()
}

#[test]
fn canonical_vectors_are_byte_exact() {
    let cases = load("canonical.json");
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        let text = match (case.get("record"), case.get("record_json_text")) {
            (Some(r), _) => serde_json::to_string(r).unwrap(),
            (None, Some(t)) => t.as_str().unwrap().to_string(),
            _ => panic!("case {i}: no record"),
        };
        let want_canon = case["canonical"].as_str().unwrap();
        let want_hash = case["hash"].as_str().unwrap();
        let v = Value::parse_str(&text).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let mut buf = Vec::new();
        record::write_hashed_bytes(&v, &mut buf);
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            want_canon,
            "case {i}: canonical bytes"
        );
        let checked = record::check(
            RawRecord {
                loc: Location::Index(i as u64),
                data: RawData::Json(text.into_bytes()),
            },
            &mut Vec::new(),
        );
        assert_eq!(
            hex(&checked.computed_hash.unwrap()),
            want_hash,
            "case {i}: hash"
        );
    }
}

#[test]
fn every_vector_record_hashes_to_its_own_hash() {
    for name in ["records.jsonl", "pg-records.jsonl"] {
        let text = std::fs::read_to_string(vector(name)).unwrap();
        for (n, line) in text.lines().enumerate() {
            let c = record::check(
                RawRecord {
                    loc: Location::Line(n as u64 + 1),
                    data: RawData::Json(line.as_bytes().to_vec()),
                },
                &mut Vec::new(),
            );
            assert!(
                c.problems.is_empty(),
                "{name} line {}: {:?}",
                n + 1,
                c.problems
            );
            assert_eq!(c.computed_hash, c.stored_hash, "{name} line {}", n + 1);
        }
    }
}

#[test]
fn scope_vectors_normalize_match_and_fingerprint() {
    let all = records();
    for (i, case) in load("scopes.json").as_array().unwrap().iter().enumerate() {
        let params: ScopeParams = serde_json::from_value(case["params"].clone()).unwrap();
        match Scope::normalize(&params) {
            Err(e) => assert_eq!(
                Some(e.0.as_str()),
                case["error"].as_str(),
                "case {i}: error"
            ),
            Ok(scope) => {
                assert!(
                    case.get("error").is_none(),
                    "case {i}: expected error {}",
                    case["error"]
                );
                let want_scope = Value::from_serde(&case["scope"]).unwrap();
                assert_eq!(scope.to_value(), want_scope, "case {i}: canonical scope");
                assert_eq!(
                    Scope::from_value(&want_scope).unwrap(),
                    scope,
                    "case {i}: from_value"
                );
                let mut sel: Vec<&Value> = all.iter().filter(|r| scope.matches(r)).collect();
                sel.sort_by_key(|r| r.get("seq").unwrap().as_u64());
                let seqs: Vec<u64> = sel
                    .iter()
                    .map(|r| r.get("seq").unwrap().as_u64().unwrap())
                    .collect();
                let want: Vec<u64> = case["seqs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_u64().unwrap())
                    .collect();
                assert_eq!(seqs, want, "case {i}: seqs");
                assert_eq!(
                    fingerprint(&scope, sel.iter().copied()),
                    case["fingerprint"].as_str().unwrap(),
                    "case {i}: fingerprint"
                );
            }
        }
    }
}

#[test]
fn export_payload_vector_fingerprint() {
    let e = Value::from_serde(&load("export-acme-critical.json")).unwrap();
    let scope = Scope::from_value(e.get("scope").unwrap()).unwrap();
    let Some(Value::Array(recs)) = e.get("records") else {
        panic!()
    };
    assert_eq!(
        fingerprint(&scope, recs.iter()),
        e.get("fingerprint").unwrap().as_str().unwrap()
    );
    let canon = canonical::to_vec(&scope.to_value());
    assert!(canon.starts_with(b"{\"actor\":null,"));
}
