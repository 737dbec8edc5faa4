//! Live verification over real HTTP on 127.0.0.1 against the reference service, started
//! in-process from its library (a middleware layer plays the faulty or hostile service where a
//! test needs one).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use trailproof_core::case::{Case, Report, Verdict};
use trailproof_core::finding::Code;
use trailproof_core::scope::Scope;
use trailproof_ingest::run::{build_case, RunOptions};
use trailproof_live::{
    verify_live, HttpPolicy, LiveError, LiveOptions, LiveSummary, NoProgress, Token,
};
use trailproof_service::auth::{sign, Claims};
use trailproof_service::export::{self, ExportMeta};
use trailproof_service::server::{router, Config};
use trailproof_service::{seed, store, tamper};

const SECRET: &str = "live-test-secret";

type Layer = Arc<dyn Fn(Request, Next) -> futures_box::BoxFut + Send + Sync>;

mod futures_box {
    pub type BoxFut =
        std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>;
}

struct Srv {
    addr: String,
    db: PathBuf,
    dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start(events: u64, tenants: usize, rate_limit: u32, layer: Option<Layer>) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    {
        let mut conn = store::open(&db).unwrap();
        seed::seed(&mut conn, tenants, events, 7).unwrap();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let cfg = Config {
        db: db.clone(),
        secret: SECRET.into(),
        rate_limit,
        rate_window: Duration::from_secs(1),
        origin: format!("http://{addr}"),
    };
    let mut app = router(cfg);
    if let Some(l) = layer {
        app = app.layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let l = l.clone();
                async move { l(req, next).await }
            },
        ));
    }
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

fn token(role: &str, tenant: &str) -> Token {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    Token::new(
        sign(
            SECRET,
            &Claims {
                sub: "u-test".into(),
                role: role.into(),
                tenant_id: tenant.into(),
                exp,
            },
        )
        .unwrap(),
    )
}

/// Writes the export of `scope` as JSON; returns (path, verification URL).
fn export_json(s: &Srv, scope: &Scope) -> (PathBuf, String) {
    let conn = store::open(&s.db).unwrap();
    let e = export::build(
        &conn,
        scope,
        ExportMeta {
            origin: format!("http://{}", s.addr),
            exported_at: "2026-06-01T00:00:00.000000000Z".into(),
            user_id: "u-test".into(),
            display: "Test".into(),
            legacy: None,
        },
    )
    .unwrap();
    let p = s.dir.path().join("export.json");
    std::fs::write(&p, e.json()).unwrap();
    (p, e.verify_url.clone())
}

fn url_of(s: &Srv, scope: &Scope) -> String {
    let conn = store::open(&s.db).unwrap();
    let e = export::build(
        &conn,
        scope,
        ExportMeta {
            origin: format!("http://{}", s.addr),
            exported_at: "2026-06-01T00:00:00.000000000Z".into(),
            user_id: "u".into(),
            display: "u".into(),
            legacy: None,
        },
    )
    .unwrap();
    e.verify_url
}

fn fast() -> HttpPolicy {
    HttpPolicy {
        backoff: Duration::from_millis(20),
        ..HttpPolicy::default()
    }
}

fn run(evidence: &[PathBuf], url: &str, tok: Token) -> Result<(Report, LiveSummary), LiveError> {
    let mut case = if evidence.is_empty() {
        Case::new()
    } else {
        build_case(evidence, &RunOptions::default()).unwrap()
    };
    let sum = verify_live(
        &mut case,
        url,
        &LiveOptions {
            api_base: None,
            token: tok,
            ca_pem: None,
            policy: fast(),
            progress: &NoProgress,
        },
    )?;
    Ok((case.report("trailproof", "test"), sum))
}

fn codes(r: &Report) -> Vec<(Code, Option<u64>)> {
    r.findings.iter().map(|f| (f.code, f.seq)).collect()
}

fn append(s: &Srv, tenant: &str, n: usize) {
    let mut conn = store::open(&s.db).unwrap();
    for _ in 0..n {
        let mut ev = store::Row::event(tenant, "call.barge", "critical");
        ev.actor_user_id = "u-9".into();
        ev.actor_role = "agent".into();
        ev.actor_display = "Agent".into();
        store::append(&mut conn, &mut ev).unwrap();
    }
}

fn admin() -> Token {
    token("tenant_admin", "acme")
}

#[test]
fn intact_scope_with_export() {
    let s = start(300, 2, 1000, None);
    let scope = Scope::tenant("acme");
    let (p, url) = export_json(&s, &scope);
    let (r, sum) = run(&[p], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(sum.records > 100);
    assert_eq!(sum.pages, 1);
    assert!(r.checks.iter().any(|c| c.check == "url_fingerprint"));
    assert!(r.checks.iter().any(|c| c.check == "server_verdict"));
}

#[test]
fn filtered_scope_without_evidence() {
    let s = start(400, 2, 1000, None);
    let mut p = trailproof_core::scope::ScopeParams::default();
    p.set("tenant_id", Some("acme".into()));
    p.set("severity", Some("critical".into()));
    let scope = Scope::normalize(&p).unwrap();
    let url = url_of(&s, &scope);
    let (r, _) = run(&[], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
}

#[test]
fn appended_after_export_is_intact() {
    let s = start(200, 2, 1000, None);
    let scope = Scope::tenant("acme");
    let (p, url) = export_json(&s, &scope);
    let head = store::head(&store::open(&s.db).unwrap(), "acme")
        .unwrap()
        .unwrap()
        .0 as u64;
    append(&s, "acme", 3);
    let (r, _) = run(&[p], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
    assert!(r.findings.iter().all(|f| f.code == Code::RecordAppended));
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::RecordAppended)
        .unwrap();
    assert_eq!(f.seq, Some(head + 1));
    assert_eq!(f.seq_end, Some(head + 3));
    // Without the export, the URL's hash matches a prefix: still intact, growth reported.
    let (r, _) = run(&[], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
    assert_eq!(codes(&r), vec![(Code::RecordAppended, Some(head + 1))]);
}

#[test]
fn record_edited_after_export() {
    let s = start(200, 2, 1000, None);
    let scope = Scope::tenant("acme");
    let (p, url) = export_json(&s, &scope);
    let mut conn = store::open(&s.db).unwrap();
    tamper::run(
        &mut conn,
        &tamper::Action::EditField {
            tenant: "acme".into(),
            seq: 5,
            field: "outcome_reason".into(),
            value: "approved_by_cfo".into(),
            null: false,
        },
    )
    .unwrap();
    let (r, _) = run(&[p], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Tampered);
    let c = codes(&r);
    assert!(c.contains(&(Code::RecordHashMismatch, Some(5))), "{c:?}");
    assert!(c.contains(&(Code::RecordDiverged, Some(5))), "{c:?}");
    assert!(c.contains(&(Code::FingerprintMismatch, None)), "{c:?}");
    assert!(
        !c.iter().any(|(k, _)| *k == Code::ServerVerdictDisagrees),
        "{c:?}"
    );
    let d = r
        .findings
        .iter()
        .find(|f| f.code == Code::RecordDiverged)
        .unwrap();
    let f = d
        .fields
        .iter()
        .find(|f| f.field == "outcome_reason")
        .unwrap();
    assert_eq!(f.right.as_deref(), Some("\"approved_by_cfo\""));
}

#[test]
fn record_deleted_after_export() {
    let s = start(200, 2, 1000, None);
    let scope = Scope::tenant("acme");
    let (p, url) = export_json(&s, &scope);
    let mut conn = store::open(&s.db).unwrap();
    tamper::run(
        &mut conn,
        &tamper::Action::Delete {
            tenant: "acme".into(),
            seq: 7,
            to: None,
        },
    )
    .unwrap();
    let (r, _) = run(&[p], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Tampered);
    let c = codes(&r);
    assert!(c.contains(&(Code::RecordMissing, Some(7))), "{c:?}");
    assert!(c.contains(&(Code::SeqGap, Some(7))), "{c:?}");
    assert!(c.contains(&(Code::FingerprintMismatch, None)), "{c:?}");
}

#[test]
fn lying_verify_endpoint() {
    let layer: Layer = Arc::new(|req: Request, next: Next| {
        Box::pin(async move {
            if req.uri().path() == "/api/v1/audit/verify" {
                let hash = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                    .find(|(k, _)| k == "hash")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let body = format!(
                    "{{\"status\":\"verified\",\"computed_hash\":\"{hash}\",\"record_count\":1,\"checked_at\":\"2026-06-01T00:00:00.000000000Z\"}}"
                );
                return ([("content-type", "application/json")], body).into_response();
            }
            next.run(req).await
        })
    });
    let s = start(100, 1, 1000, Some(layer));
    let scope = Scope::tenant("acme");
    let url = url_of(&s, &scope);
    let mut conn = store::open(&s.db).unwrap();
    tamper::run(
        &mut conn,
        &tamper::Action::EditField {
            tenant: "acme".into(),
            seq: 3,
            field: "actor_ip".into(),
            value: "10.9.9.9".into(),
            null: false,
        },
    )
    .unwrap();
    let (r, _) = run(&[], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Tampered);
    let c = codes(&r);
    assert!(c.contains(&(Code::ServerVerdictDisagrees, None)), "{c:?}");
    assert!(c.contains(&(Code::RecordHashMismatch, Some(3))), "{c:?}");
}

#[test]
fn unauthorized_and_forbidden() {
    let s = start(50, 2, 1000, None);
    let url = url_of(&s, &Scope::tenant("acme"));
    let e = run(&[], &url, Token::new("not-a-token")).unwrap_err();
    assert!(matches!(e, LiveError::Unauthorized), "{e}");
    assert!(e.to_string().starts_with("authentication failed"));
    let e = run(&[], &url, token("tenant_admin", "globex")).unwrap_err();
    assert!(matches!(e, LiveError::Forbidden), "{e}");
    assert!(e.to_string().starts_with("permission denied"));
    // platform_staff may.
    let (r, _) = run(&[], &url, token("platform_staff", "globex")).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
}

#[test]
fn rate_limited_then_success_and_many_pages() {
    let limited = Arc::new(AtomicU32::new(0));
    let l2 = limited.clone();
    let layer: Layer = Arc::new(move |req: Request, next: Next| {
        let l = l2.clone();
        Box::pin(async move {
            let r: Response = next.run(req).await;
            if r.status() == 429 {
                l.fetch_add(1, Ordering::SeqCst);
            }
            r
        })
    });
    // 2,500 records of one tenant: 3 pages; 3 requests per second allowed.
    let s = start(2500, 1, 3, Some(layer));
    let url = url_of(&s, &Scope::tenant("acme"));
    let t0 = std::time::Instant::now();
    let (r, sum) = run(&[], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
    assert_eq!(sum.pages, 3);
    assert_eq!(sum.records, 2500);
    assert!(limited.load(Ordering::SeqCst) >= 1);
    assert!(t0.elapsed() >= Duration::from_millis(900));
}

#[test]
fn connection_dropped_mid_paging() {
    let pages = Arc::new(AtomicU32::new(0));
    let p2 = pages.clone();
    let layer: Layer = Arc::new(move |req: Request, next: Next| {
        let p = p2.clone();
        Box::pin(async move {
            if req.uri().path() == "/api/v1/audit/records"
                && req.uri().query().unwrap_or("").contains("after_seq=1000&")
                && p.fetch_add(1, Ordering::SeqCst) == 0
            {
                // Kills the connection's task: the socket closes without an answer.
                std::panic::resume_unwind(Box::new("dropping the connection"));
            }
            next.run(req).await
        })
    });
    let s = start(2500, 1, 1000, Some(layer));
    let url = url_of(&s, &Scope::tenant("acme"));
    let (r, sum) = run(&[], &url, admin()).unwrap();
    assert_eq!(r.verdict, Verdict::Intact, "{:#?}", r.findings);
    assert_eq!(sum.records, 2500);
    assert_eq!(
        pages.load(Ordering::SeqCst),
        2,
        "the dropped page was asked again"
    );
}

/// `cargo test -p trailproof-live --release --test live -- --ignored --nocapture bench`
#[test]
#[ignore]
fn bench_100k_scope() {
    let s = start(100_000, 1, 1_000_000, None);
    let url = url_of(&s, &Scope::tenant("acme"));
    let t0 = std::time::Instant::now();
    let (r, sum) = run(&[], &url, admin()).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(r.verdict, Verdict::Intact);
    eprintln!(
        "live check: {} records in {} pages in {secs:.3}s = {:.0} records/s",
        sum.records,
        sum.pages,
        sum.records as f64 / secs
    );
}
