//! `trailproof live` end to end: the binary against the reference service on 127.0.0.1
//! (started in-process from its library): JSON output, exit codes, and that the token never
//! shows.

use std::path::{Path, PathBuf};
use std::process::Command;

use trailproof_core::scope::Scope;
use trailproof_service::loopback::{self, Loopback, Setup};
use trailproof_service::{row, store, tamper};

const BIN: &str = env!("CARGO_BIN_EXE_trailproof");
const SECRET: &str = "cli-live-secret";

type Srv = Loopback;

fn start(events: u64) -> Srv {
    Loopback::start(Setup {
        tenants: 2,
        events,
        seed: 11,
        rate_limit: 1000,
        secret: SECRET.into(),
        ..Setup::default()
    })
}

fn token(role: &str, tenant: &str, ttl: i64) -> String {
    loopback::token(SECRET, role, tenant, ttl)
}

fn export(s: &Srv) -> (PathBuf, String) {
    s.export_json(&Scope::tenant("acme"))
}

/// Runs `trailproof live`; returns (exit code, stdout, stderr).
fn live(env: &[(&str, &str)], args: &[&str], evidence: &[&Path]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.arg("live").env_remove("TRAILPROOF_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    for e in evidence {
        c.arg("--evidence").arg(e);
    }
    let o = c.args(args).output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn intact_appended_and_tampered_exit_codes() {
    let s = start(150);
    let (p, url) = export(&s);
    let t = token("tenant_admin", "acme", 600);
    let (code, out, err) = live(&[("TRAILPROOF_TOKEN", &t)], &["--json", &url], &[&p]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verdict"], "intact");
    assert!(j["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "live" && i["path"] == format!("live:http://{}", s.addr)));
    assert!(!out.contains(&t) && !err.contains(&t));

    // Growth after the export: still 0, with record_appended.
    let mut conn = store::open(&s.db).unwrap();
    let mut ev = row::Row::event("acme", "call.whisper", "warning");
    ev.actor_user_id = "u-7".into();
    ev.actor_role = "agent".into();
    ev.actor_display = "Agent".into();
    store::append(&mut conn, &mut ev).unwrap();
    let (code, out, _) = live(
        &[("MY_TOKEN", &t)],
        &["--json", "--token-env", "MY_TOKEN", &url],
        &[&p],
    );
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["code"] == "record_appended"));

    // A record edited in the database: exit 1 with record_diverged at seq 4.
    tamper::run(
        &mut conn,
        &tamper::Action::EditField {
            tenant: "acme".into(),
            seq: 4,
            field: "outcome".into(),
            value: "success".into(),
            null: false,
        },
    )
    .ok();
    tamper::run(
        &mut conn,
        &tamper::Action::EditField {
            tenant: "acme".into(),
            seq: 4,
            field: "actor_display".into(),
            value: "Somebody Else".into(),
            null: false,
        },
    )
    .unwrap();
    let (code, out, _) = live(&[("TRAILPROOF_TOKEN", &t)], &["--json", &url], &[&p]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verdict"], "tampered");
    assert!(j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "record_diverged" && f["seq"] == 4));
}

#[test]
fn auth_failures_exit_2_without_showing_the_token() {
    let s = start(30);
    let (_, url) = export(&s);
    let expired = token("tenant_admin", "acme", -60);
    let (code, out, err) = live(&[("TRAILPROOF_TOKEN", &expired)], &["--json", &url], &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("authentication failed: the token was refused (expired or wrong?) — set TRAILPROOF_TOKEN to a valid bearer token"),
        "{err}"
    );
    assert!(!err.contains(&expired) && !out.contains(&expired));

    let other = token("tenant_admin", "globex", 600);
    let (code, out, err) = live(&[("TRAILPROOF_TOKEN", &other)], &[&url], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "permission denied: only tenant_admin of that tenant or platform_staff may verify"
        ),
        "{err}"
    );
    assert!(!err.contains(&other) && !out.contains(&other));

    // No token and no terminal: exit 2, says what to set.
    let (code, _, err) = live(&[], &[&url], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("TRAILPROOF_TOKEN"), "{err}");
}

/// Runs `trailproof <args>` with `env`; returns (exit code, stdout, stderr).
fn tp(env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.env_remove("TRAILPROOF_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.args(args).output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

fn head_of(s: &Srv) -> u64 {
    store::head(&store::open(&s.db).unwrap(), "acme")
        .unwrap()
        .unwrap()
        .0 as u64
}

fn events(tl: &serde_json::Value) -> &Vec<serde_json::Value> {
    tl["events"].as_array().unwrap()
}

fn event(tl: &serde_json::Value, seq: u64) -> &serde_json::Value {
    events(tl)
        .iter()
        .find(|e| e["kind"] == "event" && e["tenant_id"] == "acme" && e["seq"] == seq)
        .unwrap_or_else(|| panic!("no event at seq {seq}"))
}

#[test]
fn timeline_live_intact_has_live_on_every_event() {
    let s = start(150);
    let (p, url) = export(&s);
    let head = head_of(&s);
    let t = token("tenant_admin", "acme", 600);
    let ps = p.to_str().unwrap();
    let live_name = format!("live:http://{}", s.addr);
    let (code, out, err) = tp(
        &[("TRAILPROOF_TOKEN", &t)],
        &["timeline", "--live", &url, ps],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&t) && !err.contains(&t));
    let tl: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(tl["summary"]["verdict"], "intact");
    assert_eq!(tl["summary"]["sources"], serde_json::json!([ps, live_name]));
    assert_eq!(tl["summary"]["events"], head);
    assert_eq!(tl["summary"]["gaps"], 0);
    assert_eq!(
        tl["summary"]["integrity"],
        serde_json::json!({ "verified": head })
    );
    assert_eq!(events(&tl).len() as u64, head);
    for e in events(&tl) {
        assert_eq!(e["sources"], serde_json::json!([ps, live_name]), "{e}");
        assert_eq!(e["integrity"], "verified", "{e}");
        assert_eq!(e["findings"], serde_json::json!([]), "{e}");
    }
    assert!(
        err.contains(&format!("timeline: {head} event(s), 0 gap(s)")),
        "{err}"
    );

    // Live only, no file, token from another variable, CSV.
    let (code, out, err) = tp(
        &[("MY_TOKEN", &t)],
        &[
            "timeline",
            "--format",
            "csv",
            "--token-env",
            "MY_TOKEN",
            "--live",
            &url,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (sources, integrity) = (col("sources"), col("integrity"));
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, head);
    for row in &rows {
        assert_eq!(&row[sources], live_name.as_str());
        assert_eq!(&row[integrity], "verified");
    }
}

#[test]
fn timeline_live_shows_a_rewritten_record_as_diverged() {
    let s = start(150);
    let (p, url) = export(&s);
    let head = head_of(&s);
    let t = token("tenant_admin", "acme", 600);
    let mut conn = store::open(&s.db).unwrap();
    tamper::run(
        &mut conn,
        &tamper::Action::Rechain {
            tenant: "acme".into(),
            from_seq: 4,
            field: Some("actor_display".into()),
            value: Some("Somebody Else".into()),
        },
    )
    .unwrap();
    let (code, out, err) = tp(
        &[("TRAILPROOF_TOKEN", &t)],
        &["timeline", "--live", &url, p.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let tl: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(tl["summary"]["verdict"], "tampered");
    assert_eq!(event(&tl, 3)["integrity"], "verified");
    let e = event(&tl, 4);
    assert_eq!(e["integrity"], "diverged");
    assert_eq!(
        e["diverged_fields"],
        serde_json::json!(["actor_display", "hash"])
    );
    assert_eq!(e["findings"], serde_json::json!(["record_diverged"]));
    assert_ne!(e["actor_display"], "Somebody Else");
    let e = event(&tl, 5);
    assert_eq!(e["integrity"], "diverged");
    assert_eq!(
        e["diverged_fields"],
        serde_json::json!(["hash", "prev_hash"])
    );
    // The chain head the export states was rewritten too.
    let e = event(&tl, head);
    assert_eq!(e["integrity"], "diverged");
    assert!(e["findings"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("anchor_mismatch")));
}

#[test]
fn timeline_connection_options_need_live() {
    let s = start(20);
    let (p, _) = export(&s);
    let (code, out, err) = tp(
        &[],
        &[
            "timeline",
            "--token-env",
            "X",
            "--api-base",
            "http://x",
            p.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("--token-env, --api-base only apply with --live URL"),
        "{err}"
    );
}

#[test]
fn live_report_writes_html_with_verdict_and_live_input() {
    let s = start(150);
    let (p, url) = export(&s);
    let t = token("tenant_admin", "acme", 600);
    let out_path = s.dir.path().join("live-report.html");
    let live_name = format!("live:http://{}", s.addr);
    let (code, out, err) = live(
        &[("TRAILPROOF_TOKEN", &t)],
        &["--json", "--report", out_path.to_str().unwrap(), &url],
        &[&p],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verdict"], "intact");
    let html = std::fs::read(&out_path).unwrap();
    let digest = trailproof_core::record::hex(&trailproof_core::record::sha256(&html));
    assert!(
        err.contains(&format!(
            "report written: {} sha256 {digest}",
            out_path.display()
        )),
        "{err}"
    );
    let text = String::from_utf8(html).unwrap();
    assert!(text.contains("<div class=\"verdict v-intact\">"), "verdict");
    assert!(text.contains(&live_name), "live input");
    assert!(text.contains(p.to_str().unwrap()), "evidence input");
    assert!(!text.contains(&t) && !err.contains(&t));

    // Tampered: exit 1, and the report says so.
    let mut conn = store::open(&s.db).unwrap();
    tamper::run(
        &mut conn,
        &tamper::Action::EditField {
            tenant: "acme".into(),
            seq: 6,
            field: "actor_ip".into(),
            value: "10.6.6.6".into(),
            null: false,
        },
    )
    .unwrap();
    let (code, _, err) = live(
        &[("TRAILPROOF_TOKEN", &t)],
        &["--report", out_path.to_str().unwrap(), &url],
        &[&p],
    );
    assert_eq!(code, 1, "{err}");
    let text = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        text.contains("<div class=\"verdict v-tampered\">"),
        "verdict"
    );
    assert!(text.contains("record_diverged"));
    assert!(text.contains(&live_name));

    // The same report as a PDF, by extension; any other extension is refused before any work.
    let pdf_path = s.dir.path().join("live-report.pdf");
    let (code, _, err) = live(
        &[("TRAILPROOF_TOKEN", &t)],
        &["--report", pdf_path.to_str().unwrap(), &url],
        &[&p],
    );
    assert_eq!(code, 1, "{err}");
    let pdf = std::fs::read(&pdf_path).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let digest = trailproof_core::record::hex(&trailproof_core::record::sha256(&pdf));
    assert!(
        err.contains(&format!(
            "report written: {} sha256 {digest}",
            pdf_path.display()
        )),
        "{err}"
    );
    let (code, out, err) = live(
        &[("TRAILPROOF_TOKEN", &t)],
        &["--report", "report.txt", &url],
        &[&p],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("the report file must end in .html or .pdf"),
        "{err}"
    );
}
