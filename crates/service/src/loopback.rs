//! The reference service on 127.0.0.1, in-process, for the tests of its clients (the live crate,
//! the CLI and the desktop app): a store seeded in a temporary directory, the API served on a
//! free port by a runtime of its own, tokens signed with the service's secret, and exports of
//! the store as JSON files.
//!
//! Invariants: everything lives in the [`Loopback`]'s temporary directory and dies with it
//! (runtime, server, store); nothing is written elsewhere; a test's hostile or faulty service is
//! an axum layer wrapped around the real router ([`Setup::wrap`]), so the rest of the API stays
//! the real one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use trailproof_core::scope::Scope;

use crate::auth::{sign, Claims};
use crate::export::{self, ExportMeta};
use crate::server::{router, Config};
use crate::{seed, store};

/// How to start a [`Loopback`] service.
pub struct Setup {
    pub tenants: usize,
    pub events: u64,
    /// Seed of the generated events.
    pub seed: u64,
    /// Requests allowed per token per second.
    pub rate_limit: u32,
    /// Worker threads of the server's runtime.
    pub workers: usize,
    pub secret: String,
    /// Wraps the real router (e.g. in a middleware that lies or drops connections).
    pub wrap: Option<Box<dyn FnOnce(Router) -> Router>>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            tenants: 1,
            events: 100,
            seed: 7,
            rate_limit: 10_000,
            workers: 1,
            secret: "loopback-test-secret".into(),
            wrap: None,
        }
    }
}

/// A bearer token signed with `secret` for user `u-test` with `role` on `tenant`, valid for `ttl`
/// seconds from now (negative: already expired). Another secret than the service's gives a
/// token it rejects.
pub fn token(secret: &str, role: &str, tenant: &str, ttl: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    sign(
        secret,
        &Claims {
            sub: "u-test".into(),
            role: role.into(),
            tenant_id: tenant.into(),
            exp: now.saturating_add(ttl).max(0) as u64,
        },
    )
    .expect("sign a token")
}

/// A running reference service (see the module docs). Dropping it stops the server.
pub struct Loopback {
    /// `127.0.0.1:<port>`.
    pub addr: String,
    /// The store (SQLite), for tampering and appending behind the service's back.
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
    secret: String,
    // Declared last: dropped after the paths it serves are no longer needed.
    _rt: tokio::runtime::Runtime,
}

impl Loopback {
    /// Seeds a store and serves it. Panics when the machine cannot (a test harness).
    pub fn start(setup: Setup) -> Loopback {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = dir.path().join("store.db");
        {
            let mut conn = store::open(&db).expect("open the store");
            seed::seed(&mut conn, setup.tenants, setup.events, setup.seed).expect("seed");
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(setup.workers.max(1))
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address").to_string();
        let mut app = router(Config {
            db: db.clone(),
            secret: setup.secret.clone(),
            rate_limit: setup.rate_limit,
            rate_window: Duration::from_secs(1),
            origin: format!("http://{addr}"),
        });
        if let Some(wrap) = setup.wrap {
            app = wrap(app);
        }
        rt.spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        Loopback {
            addr,
            db,
            dir,
            secret: setup.secret,
            _rt: rt,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A bearer token for user `u-test` with `role` on `tenant`, valid for `ttl` seconds from now
    /// (negative: already expired).
    pub fn token(&self, role: &str, tenant: &str, ttl: i64) -> String {
        token(&self.secret, role, tenant, ttl)
    }

    /// The export of `scope` as the store holds it now (exported by `u-test` at a fixed time).
    pub fn export(&self, scope: &Scope) -> export::Export {
        let conn = store::open(&self.db).expect("open the store");
        export::build(
            &conn,
            scope,
            ExportMeta {
                origin: self.origin(),
                exported_at: "2026-06-01T00:00:00.000000000Z".into(),
                user_id: "u-test".into(),
                display: "Test".into(),
                legacy: None,
            },
        )
        .expect("build the export")
    }

    /// Writes the export of `scope` to `export.json` in the service's directory; returns (path,
    /// verification URL).
    pub fn export_json(&self, scope: &Scope) -> (PathBuf, String) {
        let e = self.export(scope);
        let p = self.dir.path().join("export.json");
        std::fs::write(&p, e.json()).expect("write the export");
        (p, e.verify_url)
    }
}
