//! The service under faults: a second process holds the store's write lock (as a backup job or
//! a tamper kit holding a write transaction does) while requests arrive. Reads go on; a request
//! that must append is answered 503 with `Retry-After` within 5 s, never hangs; once the lock
//! frees, the denials are in the log and every chain is intact.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const SECRET: &str = "fault-secret";

/// The denials of acme answered 503, through the API, as (action, outcome_reason, metadata).
fn acme_denials(addr: &str) -> Vec<(String, String, serde_json::Value)> {
    let admin = token(SECRET, "tenant_admin", "acme", "u-1001", 600);
    all_records(addr, "acme", &admin)
        .into_iter()
        .filter(|rec| rec["outcome"] == "failure" && rec["metadata"]["status"] == 503)
        .map(|rec| {
            (
                rec["action"].as_str().unwrap().to_string(),
                rec["outcome_reason"].as_str().unwrap_or("").to_string(),
                rec["metadata"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_locked_store_is_answered_503_within_5_s_and_the_denials_logged_when_it_frees() {
    let d = tmpdir("locked");
    let db = d.join("store.db");
    let db_arg = db.to_str().unwrap();
    ok(&["seed", "--db", db_arg, "--tenants", "2", "--events", "20"]);
    let s = serve(&db, SECRET, &[]);
    let mut holder = Command::new(BIN)
        .args(["hold-lock", "--db", db_arg, "--seconds", "8"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n");

    // Reads go on while another process holds the write lock (the store is in WAL mode).
    let admin = token(SECRET, "tenant_admin", "acme", "u-1001", 600);
    let r = get(&s.addr, "/api/v1/audit/chain/head?tenant_id=acme", &admin);
    assert_eq!(r.status, 200, "{}", r.text());

    // An append is turned away within 5 s, with Retry-After.
    let svc = token(SECRET, "service", "acme", "svc-router", 600);
    let body = r#"{"tenant_id": "acme", "action": "record.viewed", "severity": "info", "actor_user_id": "svc-router", "actor_role": "service", "actor_display": "Routing engine", "metadata": {}}"#;
    let t0 = Instant::now();
    let r = post_event(&s.addr, &svc, body);
    let took = t0.elapsed();
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    assert_eq!(
        r.json()["error"],
        "the audit store is locked by another writer (a backup or maintenance job); try again"
    );

    // A request without a token cannot have its rejection logged now: 503 too, within 5 s.
    let t0 = Instant::now();
    let r = http(
        &s.addr,
        "GET",
        "/api/v1/audit/records?tenant_id=acme",
        None,
        None,
    );
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // Nothing was appended while the lock was held.
    assert!(acme_denials(&s.addr).is_empty());

    assert!(holder.wait().unwrap().success());
    // Once the lock frees, both denials are appended (the flusher runs every 200 ms).
    let deadline = Instant::now() + Duration::from_secs(10);
    let denials = loop {
        let found = acme_denials(&s.addr);
        if found.len() >= 2 || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        denials,
        vec![
            (
                "service.unavailable".to_string(),
                "store_locked".to_string(),
                serde_json::json!({"status": 503})
            ),
            (
                "auth.rejected".to_string(),
                "missing_token".to_string(),
                serde_json::json!({"status": 503, "denied": 401})
            ),
        ]
    );
    // And the service writes again.
    let r = post_event(&s.addr, &svc, body);
    assert_eq!(r.status, 201, "{}", r.text());
    drop(s);
    assert!(ok(&["check", "--db", db_arg]).ends_with("every chain intact\n"));
}

/// 8 writers and 8 readers paging at once on loopback for `TRAILPROOF_LOAD_SECONDS` (5 s in
/// the test suite; the figure in the issue notes comes from a 60 s run): every answer is a
/// success or the 503 of a locked store, no chain forks, and every record appended is readable
/// afterwards. Prints the throughput.
#[test]
fn writers_and_readers_at_once_keep_every_chain_and_every_record() {
    let seconds: u64 = std::env::var("TRAILPROOF_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let d = tmpdir("load");
    let db = d.join("store.db");
    let db_arg = db.to_str().unwrap().to_string();
    ok(&["seed", "--db", &db_arg, "--tenants", "2", "--events", "200"]);
    let s = serve(&db, SECRET, &["--rate-limit", "100000000"]);
    let until = Instant::now() + Duration::from_secs(seconds);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let addr = s.addr.clone();
            let tenant = if w % 2 == 0 { "acme" } else { "globex" };
            let tok = token(SECRET, "service", tenant, "svc-router", 3600);
            std::thread::spawn(move || {
                let (mut created, mut busy) = (0u64, 0u64);
                while Instant::now() < until {
                    let b = format!(r#"{{"tenant_id": "{tenant}", "action": "record.viewed", "severity": "info", "actor_user_id": "svc-router", "actor_role": "service", "actor_display": "Routing engine", "metadata": {{"writer": {w}, "i": {created}}}}}"#);
                    let r = post_event(&addr, &tok, &b);
                    match r.status {
                        201 => created += 1,
                        503 => busy += 1,
                        other => panic!("writer {w}: {other} {}", r.text()),
                    }
                }
                (created, busy)
            })
        })
        .collect();
    let readers: Vec<_> = (0..8)
        .map(|k| {
            let addr = s.addr.clone();
            let tenant = if k % 2 == 0 { "acme" } else { "globex" };
            let tok = token(SECRET, "platform_staff", tenant, "u-staff", 3600);
            std::thread::spawn(move || {
                let mut pages = 0u64;
                while Instant::now() < until {
                    let mut after = 0;
                    loop {
                        let r = http(
                            &addr,
                            "GET",
                            &format!("/api/v1/audit/records?tenant_id={tenant}&after_seq={after}&limit=200"),
                            Some(&tok),
                            None,
                        );
                        assert!(r.status == 200 || r.status == 503, "reader {k}: {} {}", r.status, r.text());
                        pages += 1;
                        if r.status != 200 {
                            break;
                        }
                        match r.json()["next_after_seq"].as_i64() {
                            Some(n) => after = n,
                            None => break,
                        }
                    }
                }
                pages
            })
        })
        .collect();
    let (mut created, mut busy) = (0, 0);
    for w in writers {
        let (c, b) = w.join().unwrap();
        created += c;
        busy += b;
    }
    let pages: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    // Every record is readable through the API afterwards.
    let staff = token(SECRET, "platform_staff", "acme", "u-staff", 3600);
    let read: u64 = ["acme", "globex"]
        .iter()
        .map(|tenant| all_records(&s.addr, tenant, &staff).len() as u64)
        .sum();
    drop(s);
    eprintln!(
        "load for {seconds} s: {created} appends ({:.0}/s), {busy} answered 503, {pages} pages read ({:.0}/s)",
        created as f64 / seconds as f64,
        pages as f64 / seconds as f64
    );
    assert!(created > 0);
    assert_eq!(read, 200 + created, "seeded + appended, every one readable");
    assert_eq!(
        ok(&["check", "--db", &db_arg]),
        format!("{} records, every chain intact\n", 200 + created)
    );
}
