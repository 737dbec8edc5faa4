//! The app's live check against the reference service on loopback: the live records join the
//! case (sources, overview), the record detail shows the live copy beside the export's (with the
//! differing members of a record edited after the export), and a refused token is a `live`
//! error that says what happened.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use trailproof_app::detail::detail;
use trailproof_app::types::{ErrorKind, RecordFilter, RecordQuery, SortKey};
use trailproof_app::work::{self, LiveAsk};
use trailproof_core::report::Verdict;
use trailproof_core::scope::Scope;
use trailproof_service::loopback::{self, Loopback, Setup};
use trailproof_service::{store, tamper};

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

#[test]
fn the_detail_shows_the_live_copy_beside_the_export() {
    let s = start(30);
    let (export, url) = export_json(&s);
    // After the export, acme 4 is edited in the service's database (hash left as it was).
    tamper::run(
        &mut store::open(&s.db).unwrap(),
        &tamper::Action::EditField {
            tenant: "acme".into(),
            seq: 4,
            field: "actor_display".into(),
            value: "Somebody Else".into(),
            null: false,
        },
    )
    .unwrap();
    let cancel = AtomicBool::new(false);
    let ask = LiveAsk {
        url,
        token: token(SECRET),
        api_base: None,
    };
    let case = work::open(1, vec![export.clone()], Some(ask), &|_| {}, &cancel).expect("live");
    assert_eq!(case.report.verdict, Verdict::Tampered);
    let live = format!("live:http://{}", s.addr);
    let exported = export.display().to_string();

    // An untouched record: the live copy hashes to its stored hash, the same as the export's.
    let d = detail(&case, case.index_of("acme", 3).unwrap()).unwrap();
    let sources: Vec<&str> = d.copies.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(sources, vec![exported.as_str(), live.as_str()]);
    assert!(d.unavailable.is_empty(), "{:?}", d.unavailable);
    let (e, l) = (&d.copies[0], &d.copies[1]);
    assert_eq!(l.computed_hash, l.stored_hash);
    assert_eq!(l.computed_hash, e.computed_hash);
    assert_eq!(l.canonical, e.canonical);
    assert!(d.diffs.is_empty(), "{:?}", d.diffs);

    // The edited record: the live copy no longer hashes to its hash, and the diff names both
    // sources and both values of actor_display.
    let d = detail(&case, case.index_of("acme", 4).unwrap()).unwrap();
    let l = d
        .copies
        .iter()
        .find(|c| c.source == live)
        .expect("live copy");
    assert_ne!(l.computed_hash, l.stored_hash);
    assert!(
        d.differing.contains(&"actor_display".to_string()),
        "{:?}",
        d.differing
    );
    let row = d
        .diffs
        .iter()
        .find(|r| r.field == "actor_display" && r.left_source == exported && r.right_source == live)
        .unwrap_or_else(|| panic!("no export/live diff row: {:?}", d.diffs));
    assert_eq!(row.right.as_deref(), Some("\"Somebody Else\""));
    assert_ne!(row.left, row.right);
}
