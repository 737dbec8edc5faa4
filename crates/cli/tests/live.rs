//! `trailproof live` end to end: the binary against the reference service on 127.0.0.1
//! (started in-process from its library): JSON output, exit codes, and that the token never
//! shows.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use trailproof_core::scope::Scope;
use trailproof_service::auth::{sign, Claims};
use trailproof_service::export::{self, ExportMeta};
use trailproof_service::server::{router, Config};
use trailproof_service::{seed, store, tamper};

const BIN: &str = env!("CARGO_BIN_EXE_trailproof");
const SECRET: &str = "cli-live-secret";

struct Srv {
    addr: String,
    db: PathBuf,
    dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start(events: u64) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    seed::seed(&mut store::open(&db).unwrap(), 2, events, 11).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = router(Config {
        db: db.clone(),
        secret: SECRET.into(),
        rate_limit: 1000,
        rate_window: Duration::from_secs(1),
        origin: format!("http://{addr}"),
    });
    rt.spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Srv {
        addr,
        db,
        dir,
        _rt: rt,
    }
}

fn token(role: &str, tenant: &str, ttl: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    sign(
        SECRET,
        &Claims {
            sub: "u-cli".into(),
            role: role.into(),
            tenant_id: tenant.into(),
            exp: (now + ttl) as u64,
        },
    )
    .unwrap()
}

fn export(s: &Srv) -> (PathBuf, String) {
    let conn = store::open(&s.db).unwrap();
    let e = export::build(
        &conn,
        &Scope::tenant("acme"),
        ExportMeta {
            origin: format!("http://{}", s.addr),
            exported_at: "2026-06-01T00:00:00.000000000Z".into(),
            user_id: "u-cli".into(),
            display: "CLI".into(),
            legacy: None,
        },
    )
    .unwrap();
    let p = s.dir.path().join("export.json");
    std::fs::write(&p, e.json()).unwrap();
    (p, e.verify_url)
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
    let mut ev = store::Row::event("acme", "call.whisper", "warning");
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
