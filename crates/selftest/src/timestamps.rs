//! SPEC section 2: the renderings of one instant that stores and tools produce, each converted
//! to the canonical `YYYY-MM-DDTHH:MM:SS.fffffffffZ`, and renderings that name no instant
//! refused (an input error for that record).

use trailproof_core::time::normalize;

use crate::Check;

/// (rendering, canonical form or `None` when it must be refused).
const CASES: &[(&str, Option<&str>)] = &[
    // The spec's canonical example, unchanged.
    (
        "2026-04-30T13:41:23.120000000Z",
        Some("2026-04-30T13:41:23.120000000Z"),
    ),
    // PostgreSQL timestamptz, as the spec quotes it.
    (
        "2026-04-30 13:41:23.12+00",
        Some("2026-04-30T13:41:23.120000000Z"),
    ),
    // An offset, written +HH:MM and +HHMM, and a negative one.
    (
        "2026-04-30T15:41:23.12+02:00",
        Some("2026-04-30T13:41:23.120000000Z"),
    ),
    (
        "2026-04-30T15:41:23.12+0200",
        Some("2026-04-30T13:41:23.120000000Z"),
    ),
    (
        "2026-04-30T08:11:23.12-05:30",
        Some("2026-04-30T13:41:23.120000000Z"),
    ),
    // Fewer fraction digits, none at all, and an offset that crosses midnight.
    (
        "2026-04-30T13:41:23.1Z",
        Some("2026-04-30T13:41:23.100000000Z"),
    ),
    (
        "2026-04-30T13:41:23Z",
        Some("2026-04-30T13:41:23.000000000Z"),
    ),
    (
        "2026-05-01T01:41:23.120000000+12:00",
        Some("2026-04-30T13:41:23.120000000Z"),
    ),
    // Nine digits are kept exactly.
    (
        "2026-04-30T13:41:23.123456789Z",
        Some("2026-04-30T13:41:23.123456789Z"),
    ),
    // Renderings that cannot be converted: no zone, ten fraction digits, not a date.
    ("2026-04-30 13:41:23.12", None),
    ("2026-04-30T13:41:23.1234567891Z", None),
    ("2026-02-30T13:41:23Z", None),
];

pub(crate) fn checks() -> Vec<Check> {
    CASES
        .iter()
        .map(|(rendering, canonical)| {
            let expected = canonical.map_or_else(|| "refused".to_string(), str::to_string);
            let got = match normalize(rendering) {
                Ok(instant) => instant.canonical(),
                Err(_) => "refused".to_string(),
            };
            Check::compare(format!("timestamp {rendering}"), expected, got)
        })
        .collect()
}
