//! `seed`: a deterministic, realistic audit history.
//!
//! Same `--seed`, same tenants and events: same store content, byte for byte (event ids,
//! timestamps and every value come from a SplitMix64 generator, never from the clock).

use anyhow::Result;
use rusqlite::Connection;

use crate::ojson::J;
use crate::row::Row;
use crate::store;

/// SplitMix64: small, fast, and fully determined by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const TENANTS: [&str; 6] = ["acme", "globex", "initech", "umbrella", "hooli", "stark"];

/// (user id, role, display, ip)
const ACTORS: [(&str, &str, &str, Option<&str>); 6] = [
    (
        "u-1001",
        "tenant_admin",
        "Cubix Admin (cubix)",
        Some("10.20.0.5"),
    ),
    (
        "u-1002",
        "supervisor",
        "Zoë Müller (zmuller)",
        Some("2001:db8::42"),
    ),
    ("u-1003", "agent", "山田 太郎 (tyamada)", Some("192.0.2.17")),
    (
        "u-1004",
        "agent",
        "Ana O'Neil (aoneil)",
        Some("198.51.100.23"),
    ),
    (
        "u-1005",
        "compliance",
        "Priya \"PJ\" Nair (pnair)",
        Some("203.0.113.9"),
    ),
    ("svc-router", "service", "Routing engine", None),
];

/// The name of tenant `i` (the six fixed names, then `tenant-7`, ...).
pub fn tenant_name(i: usize) -> String {
    TENANTS
        .get(i)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("tenant-{}", i + 1))
}

fn num(x: f64) -> J {
    J::Num(format!("{x}"))
}

/// Builds event `i` of the history (without seq and hashes).
pub fn event(rng: &mut Rng, tenant: &str, i: u64, nanos: i64) -> Row {
    let (uid, role, display, ip) = *rng.pick(&ACTORS);
    let company = format!("{tenant}-co-{}", 1 + rng.below(3));
    let id4 = || format!("{:04}", i * 7919 % 10000);
    let kind = rng.below(100);
    let mut r = Row::event(tenant, "record.viewed", "info");
    r.actor_user_id = uid.into();
    r.actor_role = role.into();
    r.actor_display = display.into();
    r.actor_ip = ip.map(String::from);
    r.event_id = store::uuid_from(&trailproof_core::record::sha256(
        format!("{tenant}/{i}/{}", rng.next_u64()).as_bytes(),
    ));
    r.timestamp = trailproof_core::time::Instant { nanos }.canonical();
    let mut meta = vec![("company_id", J::str(&company))];
    let set = |r: &mut Row, method: &str, route: String, rt: &str, rid: String, rd: String| {
        r.http_method = Some(method.into());
        r.http_route = Some(route);
        r.resource_type = Some(rt.into());
        r.resource_id = Some(rid);
        r.resource_display = Some(rd);
    };
    match kind {
        0..=19 => {
            r.action = "auth.login".into();
            r.http_method = Some("POST".into());
            r.http_route = Some("/v2/auth/login".into());
            if rng.below(6) == 0 {
                r.severity = "warning".into();
                r.outcome = "failure".into();
                r.outcome_reason = Some("invalid_password".into());
            }
            meta.push(("mfa", J::Bool(rng.below(2) == 0)));
        }
        20..=44 => {
            let id = format!("cus-{}", id4());
            set(
                &mut r,
                "GET",
                format!("/v2/records/{id}"),
                "CustomerRecord",
                id,
                format!("Customer {}", rng.below(1000)),
            );
        }
        45..=51 => {
            let id = format!("sco-{}", id4());
            r.action = "scoring.threshold.changed".into();
            r.severity = "warning".into();
            set(
                &mut r,
                "PATCH",
                format!("/v2/scoring/rubrics/{id}"),
                "ScoringRubric",
                id,
                "Compliance rubric v3".into(),
            );
            let before = 50 + rng.below(40);
            let after = before - 5 + rng.below(11);
            r.changes = Some(J::obj(vec![
                (
                    "before",
                    J::obj(vec![("threshold", num(before as f64 / 100.0))]),
                ),
                (
                    "after",
                    J::obj(vec![("threshold", num(after as f64 / 100.0))]),
                ),
            ]));
        }
        52..=56 => {
            let id = format!("sco-{}", id4());
            r.action = "scoring.rubric.updated".into();
            r.severity = "warning".into();
            set(
                &mut r,
                "PUT",
                format!("/v2/scoring/rubrics/{id}"),
                "ScoringRubric",
                id,
                "Greeting & empathy rubric".into(),
            );
            let w = 10 + rng.below(30);
            r.changes = Some(J::obj(vec![
                (
                    "before",
                    J::obj(vec![
                        (
                            "criteria",
                            J::Arr(vec![J::str("greeting"), J::str("empathy")]),
                        ),
                        ("weight_empathy", J::int(w as i64)),
                    ]),
                ),
                (
                    "after",
                    J::obj(vec![
                        (
                            "criteria",
                            J::Arr(vec![
                                J::str("greeting"),
                                J::str("empathy"),
                                J::str("closing"),
                            ]),
                        ),
                        ("weight_empathy", J::int(w as i64 + 5)),
                    ]),
                ),
            ]));
        }
        57..=61 => {
            let id = format!("rou-{}", id4());
            r.action = "routing.policy.updated".into();
            r.severity = "warning".into();
            set(
                &mut r,
                "PUT",
                format!("/v2/routing/policies/{id}"),
                "RoutingPolicy",
                id,
                "VIP callers".into(),
            );
            r.changes = Some(J::obj(vec![
                (
                    "before",
                    J::obj(vec![
                        ("weights", J::Arr(vec![num(0.5), num(0.3), num(0.2)])),
                        ("enabled", J::Bool(true)),
                    ]),
                ),
                (
                    "after",
                    J::obj(vec![
                        ("weights", J::Arr(vec![num(0.6), num(0.25), num(0.15)])),
                        ("enabled", J::Bool(rng.below(4) != 0)),
                    ]),
                ),
            ]));
        }
        62..=66 => {
            let id = format!("cub-{}", id4());
            r.action = "sequence.edited".into();
            r.severity = "warning".into();
            let year = 2020 + rng.below(7);
            set(
                &mut r,
                "PATCH",
                format!("/v2/sequences/{id}"),
                "CubixSequence",
                id,
                format!("Lead sequence LEAD/{year}"),
            );
            let n = 100 + rng.below(400) as i64;
            r.changes = Some(J::obj(vec![
                (
                    "before",
                    J::obj(vec![
                        ("next_number", J::int(n)),
                        ("prefix", J::str("LEAD/")),
                    ]),
                ),
                (
                    "after",
                    J::obj(vec![
                        ("next_number", J::int(n + 1 + rng.below(20) as i64)),
                        ("prefix", J::str("LEAD/")),
                    ]),
                ),
            ]));
            meta.push(("reason", J::str("manual_edit")));
        }
        67..=74 => {
            let what = *rng.pick(&["barge", "whisper"]);
            let id = format!("cal-{}", id4());
            r.action = format!("call.{what}");
            r.severity = "critical".into();
            set(
                &mut r,
                "POST",
                format!("/v2/calls/{what}"),
                "Call",
                id,
                format!("Call #{}", 200_000 + rng.below(200_000)),
            );
            meta.push(("agent_user_id", J::str("u-1003")));
        }
        75..=79 => {
            let id = format!("tra-{}", id4());
            r.action = "transcript.override".into();
            r.severity = "critical".into();
            set(
                &mut r,
                "PATCH",
                format!("/v2/transcripts/{id}"),
                "Transcript",
                id,
                format!("Transcript of call #{}", 300_000 + rng.below(100_000)),
            );
            r.changes = Some(J::obj(vec![
                (
                    "before",
                    J::obj(vec![("text", J::str("I want to cancel my contract."))]),
                ),
                (
                    "after",
                    J::obj(vec![(
                        "text",
                        J::str("I want to review my contract.\n(edited)\tby QA"),
                    )]),
                ),
            ]));
            meta.push(("reason", J::str("asr_correction")));
        }
        80..=89 => {
            let id = format!("aud-{}", id4());
            r.action = "export.requested".into();
            set(
                &mut r,
                "POST",
                "/v2/exports".into(),
                "AuditExport",
                id,
                "Customer PII export".into(),
            );
            let above = rng.below(3) == 0;
            let rows = if above {
                10_001 + rng.below(500_000)
            } else {
                1 + rng.below(9_999)
            };
            r.severity = if above { "critical" } else { "warning" }.into();
            meta.push(("path", J::str("C:\\exports\\q2\tfinal.csv")));
            meta.push(("flagged", J::Bool(above)));
            meta.push(("row_count", J::int(rows as i64)));
            meta.push(("threshold", J::int(10_000)));
        }
        _ => {
            let id = format!("cal-{}", id4());
            r.action = "permission.denied".into();
            r.severity = "critical".into();
            set(
                &mut r,
                "POST",
                "/v2/calls/barge".into(),
                "Call",
                id,
                "Call barge-in attempt".into(),
            );
            r.outcome = "failure".into();
            r.outcome_reason = Some("permission_denied".into());
        }
    }
    r.metadata = J::obj(meta);
    r
}

/// Seeds `events` events over `tenants` tenants; returns the number appended.
pub fn seed(conn: &mut Connection, tenants: usize, events: u64, seed: u64) -> Result<u64> {
    let mut rng = Rng::new(seed);
    // 2026-05-01T08:00:00Z
    let mut nanos: i64 = 1_777_622_400_000_000_000;
    let mut batch = Vec::with_capacity(1000);
    for i in 0..events {
        nanos += (1 + rng.below(180)) as i64 * 1_000_000_000 + rng.below(1_000_000_000) as i64;
        let t = tenant_name(rng.below(tenants.max(1) as u64) as usize);
        batch.push(event(&mut rng, &t, i, nanos));
        if batch.len() == 1000 {
            store::append_all(conn, &mut batch)?;
            batch.clear();
        }
    }
    store::append_all(conn, &mut batch)?;
    Ok(events)
}
