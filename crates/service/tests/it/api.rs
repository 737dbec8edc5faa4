//! The API over real HTTP on loopback: paging, every error status, denial logging, rate
//! limit, the HTML page, the PDF endpoint, and concurrent writers.

use crate::common::*;

const SECRET: &str = "test-secret";

fn admin() -> String {
    token(SECRET, "tenant_admin", "acme", "u-1001", 600)
}

#[test]
fn records_paging_head_and_verify() {
    let (_d, db) = imported("paging", "records.jsonl");
    let s = serve(&db, SECRET, &[]);
    let t = admin();
    let r = get(&s.addr, "/api/v1/audit/records?tenant_id=acme&limit=15", &t);
    assert_eq!(r.status, 200);
    let j = r.json();
    let seqs: Vec<u64> = j["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=15).collect::<Vec<_>>());
    assert_eq!(j["next_after_seq"], 15);
    assert_eq!(
        j["records"][0]["hash"],
        "73855e3bba3493e90f9ece0e144ca314eccf11ffbce3c0ecc55b78088fc476e1"
    );
    let r = get(
        &s.addr,
        "/api/v1/audit/records?tenant_id=acme&limit=15&after_seq=30",
        &t,
    );
    let j = r.json();
    assert_eq!(j["records"].as_array().unwrap().len(), 10);
    assert_eq!(j["records"][9]["seq"], 40);
    assert_eq!(j["next_after_seq"], serde_json::Value::Null);
    // Default limit: all 40 fit in 500.
    let j = get(
        &s.addr,
        "/api/v1/audit/records?tenant_id=acme&severity=critical",
        &t,
    )
    .json();
    let seqs: Vec<u64> = j["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 7);
    assert_eq!(seqs[0], 2);
    assert_eq!(j["next_after_seq"], serde_json::Value::Null);

    let j = get(&s.addr, "/api/v1/audit/chain/head?tenant_id=acme", &t).json();
    assert_eq!(
        j,
        serde_json::json!({"tenant_id": "acme", "seq": 40, "hash": "36b867d401ba44a9937768c03d3f7b2f131a9b52b3bf73e2b31632cdeea9fae4"})
    );

    let fp = "dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc";
    let j = http(
        &s.addr,
        "GET",
        &format!("/api/v1/audit/verify?tenant_id=acme&severity=critical&hash={fp}"),
        Some(&t),
        None,
    )
    .json();
    assert_eq!(j["status"], "verified");
    assert_eq!(j["computed_hash"], fp);
    assert_eq!(j["record_count"], 7);
    let j = http(
        &s.addr,
        "GET",
        &format!("/api/v1/audit/verify?tenant_id=acme&hash={fp}"),
        Some(&t),
        None,
    )
    .json();
    assert_eq!(j["status"], "mismatch");
    assert_eq!(j["record_count"], 40);

    // The HTML page, with every value escaped.
    let r = http(
        &s.addr,
        "GET",
        &format!("/audit/verify?tenant_id=acme&severity=critical&hash={fp}"),
        Some(&t),
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("<h1>Export verified</h1>"));
    assert!(r.text().contains("<p>Records in scope: 7</p>"));
    let r = get(
        &s.addr,
        "/audit/verify?tenant_id=acme&actor=%3Cscript%3E&hash=x%22y",
        &t,
    );
    assert!(r.text().contains("<td>&lt;script&gt;</td>"));
    assert!(r.text().contains("<code>x&quot;y</code>"));
    assert!(!r.text().contains("<script>"));

    // The PDF endpoint.
    let r = get(
        &s.addr,
        "/api/v1/audit/export.pdf?tenant_id=acme&severity=critical",
        &t,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r.body.starts_with(b"%PDF-2.0"));
}

#[test]
fn every_error_status_and_denial_logging() {
    let (_d, db) = imported("errors", "records.jsonl");
    let s = serve(&db, SECRET, &[]);
    let t = admin();
    let err = |r: &Resp| r.json()["error"].as_str().unwrap().to_string();

    let bad_secret = token("other", "tenant_admin", "acme", "u-1001", 600);
    let expired = token(SECRET, "tenant_admin", "acme", "u-1001", -10);
    let agent = token(SECRET, "agent", "acme", "u-1004", 600);
    let staff = token(SECRET, "platform_staff", "ops", "u-staff", 600);
    let acme = "/api/v1/audit/records?tenant_id=acme";
    // (path, token, status, error): in this order, so the denials below get these seqs.
    let cases: [(&str, Option<&str>, u16, Option<&str>); 12] = [
        (acme, None, 401, Some("missing bearer token")),
        (acme, Some("not.a.token"), 401, None),
        (acme, Some(&bad_secret), 401, None),
        (acme, Some(&expired), 401, Some("token expired")),
        (
            "/api/v1/audit/records?tenant_id=acme&time_from=10:00",
            Some(&t),
            400,
            Some("time_from needs date_from"),
        ),
        (
            "/api/v1/audit/records?tenant_id=acme&limit=1001",
            Some(&t),
            400,
            Some("limit must be an integer from 1 to 1000, not \"1001\""),
        ),
        (
            "/api/v1/audit/records?tenant_id=acme&bogus=1",
            Some(&t),
            400,
            Some("unknown parameter bogus"),
        ),
        (
            "/api/v1/audit/verify?tenant_id=acme",
            Some(&t),
            400,
            Some("hash is required"),
        ),
        (
            acme,
            Some(&agent),
            403,
            Some("role agent of tenant acme may not read tenant acme"),
        ),
        (
            "/api/v1/audit/records?tenant_id=globex",
            Some(&t),
            403,
            None,
        ),
        (
            "/api/v1/audit/records?tenant_id=nosuch",
            Some(&staff),
            404,
            Some("unknown tenant nosuch"),
        ),
        ("/api/v1/nothing", Some(&staff), 404, None),
    ];
    for (path, token, status, error) in cases {
        let r = http(&s.addr, "GET", path, token, None);
        assert_eq!(r.status, status, "GET {path}");
        if let Some(error) = error {
            assert_eq!(err(&r), error, "GET {path}");
        }
    }

    // Denials were appended: acme had 40 records, globex 12.
    let j = get(
        &s.addr,
        "/api/v1/audit/records?tenant_id=acme&after_seq=40",
        &staff,
    )
    .json();
    let recs = j["records"].as_array().unwrap();
    let summary: Vec<(u64, &str, &str, &str, i64)> = recs
        .iter()
        .map(|r| {
            (
                r["seq"].as_u64().unwrap(),
                r["action"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["outcome_reason"].as_str().unwrap(),
                r["metadata"]["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (41, "auth.rejected", "failure", "missing_token", 401),
            (42, "auth.rejected", "failure", "invalid_token", 401),
            (43, "auth.rejected", "failure", "invalid_token", 401),
            (44, "auth.rejected", "failure", "token_expired", 401),
            (45, "permission.denied", "failure", "permission_denied", 403),
        ]
    );
    assert_eq!(recs[4]["actor_user_id"], "u-1004");
    assert_eq!(recs[4]["actor_ip"], "127.0.0.1");
    assert_eq!(recs[4]["http_route"], "/api/v1/audit/records");
    let j = get(
        &s.addr,
        "/api/v1/audit/records?tenant_id=globex&after_seq=12",
        &staff,
    )
    .json();
    assert_eq!(j["records"][0]["seq"], 13);
    assert_eq!(j["records"][0]["actor_user_id"], "u-1001");
    assert_eq!(j["records"][0]["outcome"], "failure");
    drop(s);
    // The appended denials chain correctly; the only finding is the vectors' own regression.
    let (_, out, err) = run(&["check", "--db", db.to_str().unwrap()]);
    assert_eq!(out, "acme seq 8: timestamp regression\n");
    assert_eq!(err, "error: 1 problems in 58 records\n");
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let (_d, db) = imported("rate", "records.jsonl");
    let s = serve(&db, SECRET, &["--rate-limit", "3", "--rate-window", "30"]);
    let t = admin();
    for _ in 0..3 {
        assert_eq!(
            get(&s.addr, "/api/v1/audit/chain/head?tenant_id=acme", &t).status,
            200
        );
    }
    let r = get(&s.addr, "/api/v1/audit/chain/head?tenant_id=acme", &t);
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(
        r.json()["error"],
        "rate limit of 3 requests per 30s exceeded"
    );
    // Another token has its own budget.
    let other = token(SECRET, "platform_staff", "ops", "u-staff", 600);
    assert_eq!(
        get(&s.addr, "/api/v1/audit/chain/head?tenant_id=acme", &other).status,
        200
    );
}

#[test]
fn post_events_and_concurrent_writers_keep_every_chain_intact() {
    let d = tmpdir("writers");
    let db = d.join("w.db");
    ok(&[
        "seed",
        "--db",
        db.to_str().unwrap(),
        "--tenants",
        "2",
        "--events",
        "10",
    ]);
    let s = serve(&db, SECRET, &["--rate-limit", "100000"]);
    let svc = token(SECRET, "service", "acme", "svc-router", 600);
    let body = r#"{"tenant_id": "acme", "action": "call.barge", "severity": "critical", "actor_user_id": "svc-router", "actor_role": "service", "actor_display": "Routing engine", "http_method": "POST", "http_route": "/v2/calls/barge", "resource_type": "Call", "resource_id": "cal-1", "metadata": {"agent_user_id": "u-1003", "company_id": "acme-co-1"}}"#;
    let r = post_event(&s.addr, &svc, body);
    assert_eq!(r.status, 201, "{}", r.text());
    let rec = r.json();
    assert_eq!(rec["action"], "call.barge");
    assert_eq!(rec["outcome"], "success");
    assert_eq!(rec["hash"].as_str().unwrap().len(), 64);
    // The server fills seq, timestamp and hashes; clients may not.
    let r = http(
        &s.addr,
        "POST",
        "/api/v1/audit/events",
        Some(&svc),
        Some(r#"{"tenant_id": "acme", "seq": 1}"#),
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str().unwrap()),
        (400, "member seq is assigned by the server")
    );
    let admin = admin();
    let r = post_event(&s.addr, &admin, body);
    assert_eq!(r.status, 403);

    let writers: Vec<_> = (0..8)
        .map(|w| {
            let addr = s.addr.clone();
            let tenant = if w % 2 == 0 { "acme" } else { "globex" };
            let tok = token(SECRET, "service", tenant, "svc-router", 600);
            std::thread::spawn(move || {
                for i in 0..250 {
                    let b = format!(r#"{{"tenant_id": "{tenant}", "action": "record.viewed", "severity": "info", "actor_user_id": "svc-router", "actor_role": "service", "actor_display": "Routing engine", "metadata": {{"writer": {w}, "i": {i}}}}}"#);
                    let r = post_event(&addr, &tok, &b);
                    assert_eq!(r.status, 201, "{}", r.text());
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    drop(s);
    // 10 seeded + 1 + 1 denial + 2,000 concurrent appends.
    assert_eq!(
        ok(&["check", "--db", db.to_str().unwrap()]),
        "2012 records, every chain intact\n"
    );
}
