//! The app's live check against the reference service on loopback: the live records join the
//! case (sources, overview), and a refused token is a `live` error that says what happened.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use trailproof_app::types::{ErrorKind, RecordFilter, RecordQuery, SortKey};
use trailproof_app::work::{self, LiveAsk};
use trailproof_core::case::Verdict;
use trailproof_core::scope::Scope;
use trailproof_service::loopback::{self, Loopback, Setup};

const SECRET: &str = "app-live-test-secret";

type Srv = Loopback;

fn start(events: u64) -> Srv {
    Loopback::start(Setup {
        events,
        secret: SECRET.into(),
        ..Setup::default()
    })
}

fn token(secret: &str) -> String {
    loopback::token(secret, "tenant_admin", "acme", 600)
}

/// The export of the whole acme tenant as JSON, and its verification URL.
fn export_json(s: &Srv) -> (PathBuf, String) {
    s.export_json(&Scope::tenant("acme"))
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
