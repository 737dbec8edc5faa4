//! The app's live check against the reference service on loopback: the live records join the
//! case (sources, overview), and a refused token is a `live` error that says what happened.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use trailproof_app::types::{ErrorKind, RecordFilter, RecordQuery, SortKey};
use trailproof_app::work::{self, LiveAsk};
use trailproof_core::case::Verdict;
use trailproof_core::scope::Scope;
use trailproof_service::auth::{sign, Claims};
use trailproof_service::export::{self, ExportMeta};
use trailproof_service::server::{router, Config};
use trailproof_service::{seed, store};

const SECRET: &str = "app-live-test-secret";

struct Srv {
    addr: String,
    db: PathBuf,
    dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start(events: u64) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    {
        let mut conn = store::open(&db).unwrap();
        seed::seed(&mut conn, 1, events, 7).unwrap();
    }
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
        rate_limit: 10_000,
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

fn token(secret: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    sign(
        secret,
        &Claims {
            sub: "u-test".into(),
            role: "tenant_admin".into(),
            tenant_id: "acme".into(),
            exp,
        },
    )
    .unwrap()
}

/// The export of the whole acme tenant as JSON, and its verification URL.
fn export_json(s: &Srv) -> (PathBuf, String) {
    let conn = store::open(&s.db).unwrap();
    let e = export::build(
        &conn,
        &Scope::tenant("acme"),
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

#[test]
fn live_records_join_the_case() {
    let s = start(120);
    let (export, url) = export_json(&s);
    let cancel = AtomicBool::new(false);
    let ask = LiveAsk {
        url: url.clone(),
        token: token(SECRET),
        api_base: None,
    };
    let case = work::open(1, vec![export], Some(ask), &|_| {}, &cancel).expect("live check");
    assert_eq!(
        case.report.verdict,
        Verdict::Intact,
        "{}",
        case.report.summary
    );
    let live = case.live.clone().expect("live summary");
    assert_eq!(live.url, url);
    assert_eq!(live.records, 120);
    let source = format!("live:http://{}", s.addr);
    assert!(case.report.inputs.iter().any(|i| i.path == source));
    let page = case.page(&RecordQuery {
        generation: 1,
        offset: 0,
        limit: 1000,
        filter: RecordFilter {
            text: Some(source.clone()),
            ..Default::default()
        },
        sort: SortKey::Seq,
        descending: false,
    });
    assert_eq!(page.total, 120, "every record is in the live source");
    assert!(page.rows.iter().all(|r| r.sources.len() == 2));
}

#[test]
fn a_refused_token_is_a_live_error() {
    let s = start(10);
    let (export, url) = export_json(&s);
    let cancel = AtomicBool::new(false);
    let ask = LiveAsk {
        url,
        token: token("some-other-secret"),
        api_base: None,
    };
    let e = work::open(1, vec![export], Some(ask), &|_| {}, &cancel)
        .err()
        .expect("refused");
    assert_eq!(e.kind, ErrorKind::Live);
    assert!(e.message.contains("authentication failed"), "{}", e.message);
    assert!(
        !e.message.contains("eyJ"),
        "the token never appears: {}",
        e.message
    );
}
