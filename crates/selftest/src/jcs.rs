//! RFC 8785 (JSON Canonicalization Scheme): the six sample files of the RFC author's test data,
//! each canonicalized byte for byte (against `output/` and its hex in `outhex/`), and the
//! 100,000 ES6 number renderings of `es6-numbers-100k.txt.gz`.

use std::io::{BufRead, BufReader};

use trailproof_core::canonical;
use trailproof_core::json::Value;

use crate::Check;

macro_rules! sample {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../tests/jcs/input/", $name, ".json")),
            include_bytes!(concat!("../../../tests/jcs/output/", $name, ".json")),
            include_str!(concat!("../../../tests/jcs/outhex/", $name, ".txt")),
        )
    };
}

/// (name, input, expected output, expected output as hex text).
const SAMPLES: &[(&str, &[u8], &[u8], &str)] = &[
    sample!("arrays"),
    sample!("french"),
    sample!("structures"),
    sample!("unicode"),
    sample!("values"),
    sample!("weird"),
];

const ES6_NUMBERS_GZ: &[u8] = include_bytes!("../../../tests/jcs/es6-numbers-100k.txt.gz");

pub(crate) fn checks() -> Vec<Check> {
    let mut out: Vec<Check> = SAMPLES.iter().map(|s| sample_check(*s)).collect();
    out.push(es6_numbers());
    out
}

fn sample_check((name, input, want, want_hex): (&str, &[u8], &[u8], &str)) -> Check {
    let name = format!("jcs/{name}.json");
    let want_hex: String = want_hex.split_whitespace().collect();
    let expected = String::from_utf8_lossy(want).into_owned();
    match Value::parse(input) {
        Err(e) => Check::compare(name, expected, format!("refused: {e}")),
        Ok(v) => {
            let got = canonical::to_vec(&v);
            let got_hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
            let got = String::from_utf8_lossy(&got).into_owned();
            if got_hex != want_hex && got == expected {
                // Cannot happen for UTF-8, but the hex is the RFC's own answer: show it.
                return Check::compare(name, want_hex, got_hex);
            }
            Check::compare(name, expected, got)
        }
    }
}

/// Every line is `<IEEE 754 bits in hex>,<ECMAScript rendering>`. The check names the first
/// line that differs, and counts.
fn es6_numbers() -> Check {
    let name = "jcs/es6-numbers-100k";
    let reader = BufReader::new(flate2::bufread::GzDecoder::new(ES6_NUMBERS_GZ));
    let (mut total, mut matched) = (0u64, 0u64);
    let mut first_wrong: Option<String> = None;
    let mut out = Vec::with_capacity(32);
    for (i, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                return Check::compare(
                    name,
                    "100000 of 100000 match",
                    format!("unreadable at line {}: {e}", i + 1),
                )
            }
        };
        total += 1;
        let parsed = line
            .split_once(',')
            .and_then(|(bits, want)| Some((u64::from_str_radix(bits, 16).ok()?, want)));
        let Some((bits, want)) = parsed else {
            first_wrong.get_or_insert_with(|| format!("line {}: unreadable {line:?}", i + 1));
            continue;
        };
        out.clear();
        canonical::write_number(f64::from_bits(bits), &mut out);
        if out == want.as_bytes() {
            matched += 1;
        } else {
            first_wrong.get_or_insert_with(|| {
                format!(
                    "line {}: bits {bits:016x} gave {} for {want}",
                    i + 1,
                    String::from_utf8_lossy(&out)
                )
            });
        }
    }
    let got = match first_wrong {
        None => format!("{matched} of {total} match"),
        Some(w) => format!("{matched} of {total} match (first difference: {w})"),
    };
    Check::compare(name, "100000 of 100000 match", got)
}
