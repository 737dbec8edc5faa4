//! Live verification over real HTTP on 127.0.0.1 against the reference service, started
//! in-process from its library (a middleware layer plays the faulty or hostile service where a
//! test needs one).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use trailproof_core::case::Case;
use trailproof_core::finding::Code;
use trailproof_core::report::{Report, Verdict};
use trailproof_core::scope::Scope;
use trailproof_core::timeline::collector::Collector;
use trailproof_core::timeline::model::{Event, Integrity, Kind, Timeline, TimelineOptions};
use trailproof_engine::files::{build_case, build_case_with, RunOptions};
use trailproof_engine::{EngineError, Investigation, LiveRequest};
use trailproof_live::{
    verify_live, HttpPolicy, LiveError, LiveOptions, LiveProgress, LiveSummary, NoProgress, Token,
};
use trailproof_service::loopback::{self, Loopback, Setup};
use trailproof_service::{row, store, tamper};

const SECRET: &str = "live-test-secret";

type Layer = Arc<dyn Fn(Request, Next) -> futures_box::BoxFut + Send + Sync>;

mod futures_box {
    pub type BoxFut =
        std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>;
}

type Srv = Loopback;

fn start(events: u64, tenants: usize, rate_limit: u32, layer: Option<Layer>) -> Srv {
    let wrap = layer.map(|l| -> Box<dyn FnOnce(axum::Router) -> axum::Router> {
        Box::new(move |app: axum::Router| {
            app.layer(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    let l = l.clone();
                    async move { l(req, next).await }
                },
            ))
        })
    });
    Loopback::start(Setup {
        tenants,
        events,
        seed: 7,
        rate_limit,
        workers: 2,
        secret: SECRET.into(),
        wrap,
    })
}

fn token(role: &str, tenant: &str) -> Token {
    Token::new(loopback::token(SECRET, role, tenant, 600))
}

/// Writes the export of `scope` as JSON; returns (path, verification URL).
fn export_json(s: &Srv, scope: &Scope) -> (PathBuf, String) {
    s.export_json(scope)
}

fn url_of(s: &Srv, scope: &Scope) -> String {
    s.export(scope).verify_url
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
            cancel: None,
            keep_copies: false,
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
        let mut ev = row::Row::event(tenant, "call.barge", "critical");
        ev.actor_user_id = "u-9".into();
        ev.actor_role = "agent".into();
        ev.actor_display = "Agent".into();
        store::append(&mut conn, &mut ev).unwrap();
    }
}

fn admin() -> Token {
    token("tenant_admin", "acme")
}

/// Tampers with the service's store as an insider would, behind the API's back.
fn tamper_with(s: &Srv, action: tamper::Action) {
    let mut conn = store::open(&s.db).unwrap();
    tamper::run(&mut conn, &action).unwrap();
}

/// Changes one column of one record, leaving its hash alone.
fn edit_field(tenant: &str, seq: i64, field: &str, value: &str) -> tamper::Action {
    tamper::Action::EditField {
        tenant: tenant.into(),
        seq,
        field: field.into(),
        value: value.into(),
        null: false,
    }
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
    tamper_with(
        &s,
        edit_field("acme", 5, "outcome_reason", "approved_by_cfo"),
    );
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
    tamper_with(
        &s,
        tamper::Action::Delete {
            tenant: "acme".into(),
            seq: 7,
            to: None,
        },
    );
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
    tamper_with(&s, edit_field("acme", 3, "actor_ip", "10.9.9.9"));
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
    // 2,500 records of one tenant: 3 pages; 1 request per second allowed, so the prefetched
    // second page is refused however slow the machine (3 allowed raced the load of a busy one).
    let s = start(2500, 1, 1, Some(layer));
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

fn head_of(s: &Srv, tenant: &str) -> u64 {
    store::head(&store::open(&s.db).unwrap(), tenant)
        .unwrap()
        .unwrap()
        .0 as u64
}

fn live_request<'a>(url: &str, tok: Token) -> LiveRequest<'a> {
    LiveRequest {
        url: url.to_string(),
        options: LiveOptions {
            policy: fast(),
            ..LiveOptions::new(tok)
        },
    }
}

fn event<'t>(tl: &'t Timeline, tenant: &str, seq: u64) -> &'t Event {
    tl.events
        .iter()
        .find(|e| e.kind == Kind::Event && e.tenant_id == tenant && e.seq == seq)
        .unwrap_or_else(|| panic!("no event {tenant} seq {seq}"))
}

#[test]
fn investigate_intact_live_joins_timeline() {
    let s = start(300, 2, 1000, None);
    let (p, url) = export_json(&s, &Scope::tenant("acme"));
    let head = head_of(&s, "acme");
    let live_name = format!("live:http://{}", s.addr);
    let export_name = p.to_string_lossy().into_owned();
    let inv = Investigation::new(std::slice::from_ref(&p))
        .live(Some(&live_request(&url, admin())))
        .timeline(&TimelineOptions::default())
        .unwrap();
    assert_eq!(
        inv.report.verdict,
        Verdict::Intact,
        "{:#?}",
        inv.report.findings
    );
    assert!(inv.report.findings.is_empty(), "{:#?}", inv.report.findings);
    let sum = inv.live.unwrap();
    assert_eq!(sum.records, head);
    assert_eq!(sum.pages, 1);
    let tl = &inv.timeline;
    assert_eq!(
        tl.summary.sources,
        vec![export_name.clone(), live_name.clone()]
    );
    assert_eq!(tl.summary.events, head);
    assert_eq!(tl.summary.gaps, 0);
    assert_eq!(tl.summary.verdict, "intact");
    assert_eq!(tl.events.len() as u64, head);
    for e in &tl.events {
        assert_eq!(e.tenant_id, "acme");
        assert_eq!(
            e.sources,
            vec![export_name.clone(), live_name.clone()],
            "seq {}",
            e.seq
        );
        assert_eq!(e.integrity, Integrity::Verified, "seq {}", e.seq);
        assert!(e.findings.is_empty(), "seq {}", e.seq);
    }
    let mut seqs: Vec<u64> = tl.events.iter().map(|e| e.seq).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=head).collect::<Vec<_>>());

    // Without evidence: the live records alone make the timeline.
    let inv = Investigation::new(&[])
        .live(Some(&live_request(&url, admin())))
        .timeline(&TimelineOptions::default())
        .unwrap();
    assert_eq!(inv.report.verdict, Verdict::Intact);
    assert_eq!(inv.timeline.summary.sources, vec![live_name.clone()]);
    assert_eq!(inv.timeline.summary.events, head);
    assert!(inv
        .timeline
        .events
        .iter()
        .all(|e| e.sources == [live_name.clone()] && e.integrity == Integrity::Verified));
}

#[test]
fn investigate_without_live_matches_the_files_timeline() {
    let s = start(120, 2, 1000, None);
    let (p, _) = export_json(&s, &Scope::tenant("acme"));
    let inv = Investigation::new(std::slice::from_ref(&p))
        .live(None)
        .timeline(&TimelineOptions::default())
        .unwrap();
    // The files' timeline as the collector makes it, without the engine's live step.
    let mut col = Collector::new();
    let case = build_case_with(
        std::slice::from_ref(&p),
        &RunOptions::default(),
        Some(&mut col),
    )
    .unwrap();
    let mut report = case.report("trailproof", env!("CARGO_PKG_VERSION"));
    // The engine names the build that wrote the report; the case alone does not know it.
    assert!(report.tool.build.is_none());
    report.tool.build = inv.report.tool.build.clone();
    assert!(report.tool.build.is_some());
    let tl = col.finish(&report, &TimelineOptions::default()).unwrap();
    assert!(inv.live.is_none());
    assert_eq!(inv.timeline, tl);
    assert_eq!(
        serde_json::to_string(&inv.report).unwrap(),
        serde_json::to_string(&report).unwrap()
    );
}

#[test]
fn investigate_record_rewritten_after_export_is_diverged() {
    let s = start(200, 2, 1000, None);
    let (p, url) = export_json(&s, &Scope::tenant("acme"));
    let head = head_of(&s, "acme");
    let live_name = format!("live:http://{}", s.addr);
    // An insider edits seq 5 and rewrites the chain from there: the live chain is consistent.
    tamper_with(
        &s,
        tamper::Action::Rechain {
            tenant: "acme".into(),
            from_seq: 5,
            field: Some("outcome_reason".into()),
            value: Some("approved_by_cfo".into()),
        },
    );
    // And edits seq 3 without touching its hash.
    tamper_with(&s, edit_field("acme", 3, "actor_ip", "10.9.9.9"));
    let inv = Investigation::new(std::slice::from_ref(&p))
        .live(Some(&live_request(&url, admin())))
        .timeline(&TimelineOptions::default())
        .unwrap();
    assert_eq!(inv.report.verdict, Verdict::Tampered);
    let c = codes(&inv.report);
    assert!(c.contains(&(Code::RecordDiverged, Some(5))), "{c:?}");
    assert!(c.contains(&(Code::AnchorMismatch, Some(head))), "{c:?}");
    let tl = &inv.timeline;
    assert_eq!(tl.summary.verdict, "tampered");
    let e4 = event(tl, "acme", 4);
    assert_eq!(e4.integrity, Integrity::Verified);
    assert_eq!(e4.findings, vec![]);
    let e5 = event(tl, "acme", 5);
    assert_eq!(e5.integrity, Integrity::Diverged);
    assert_eq!(e5.diverged_fields, vec!["hash", "outcome_reason"]);
    assert_eq!(e5.findings, vec![Code::RecordDiverged]);
    assert_eq!(
        e5.sources,
        vec![p.to_string_lossy().into_owned(), live_name]
    );
    // The first copy read (the export's) is the one shown.
    assert_ne!(e5.outcome_reason.as_deref(), Some("approved_by_cfo"));
    let e6 = event(tl, "acme", 6);
    assert_eq!(e6.integrity, Integrity::Diverged);
    assert_eq!(e6.diverged_fields, vec!["hash", "prev_hash"]);
    // The record edited in place no longer hashes to its own hash.
    let e3 = event(tl, "acme", 3);
    assert_eq!(e3.integrity, Integrity::HashMismatch);
    assert_eq!(e3.diverged_fields, vec!["actor_ip"]);
    assert_eq!(
        e3.actor_ip.as_deref().map(|ip| ip == "10.9.9.9"),
        Some(false)
    );
    let mut want = vec![Code::RecordHashMismatch, Code::RecordDiverged];
    want.sort();
    assert_eq!(e3.findings, want);
}

/// Sets the cancel flag when the first page has been absorbed.
struct CancelAfterFirstPage<'a>(&'a AtomicBool);

impl LiveProgress for CancelAfterFirstPage<'_> {
    fn page(&self, _source: &str, pages: u64, _records: u64) {
        if pages == 1 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

#[test]
fn live_check_is_cancelled_between_pages() {
    let s = start(2500, 1, 1000, None);
    let url = url_of(&s, &Scope::tenant("acme"));
    let flag = AtomicBool::new(false);
    let progress = CancelAfterFirstPage(&flag);
    let req = LiveRequest {
        url: url.clone(),
        options: LiveOptions {
            policy: fast(),
            progress: &progress,
            cancel: Some(&flag),
            keep_copies: false,
            ..LiveOptions::new(admin())
        },
    };
    let e = Investigation::new(&[])
        .live(Some(&req))
        .timeline(&TimelineOptions::default())
        .err()
        .unwrap();
    let live_name = format!("live:http://{}", s.addr);
    match &e {
        EngineError::Live(LiveError::Cancelled { what }) => {
            assert_eq!(
                what,
                &format!("{live_name}: after 1 page(s), 1000 record(s)")
            )
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        e.to_string(),
        format!("the live check was cancelled ({live_name}: after 1 page(s), 1000 record(s))")
    );
    // Cancelled before it starts: no request at all.
    let flag = AtomicBool::new(true);
    let mut case = Case::new();
    let e = verify_live(
        &mut case,
        &url,
        &LiveOptions {
            cancel: Some(&flag),
            keep_copies: false,
            ..LiveOptions::new(admin())
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the live check was cancelled (before it started)"
    );
}

/// `cargo test -p trailproof-engine --release --test it -- --ignored --nocapture bench`
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
