//! `serve`: the AEF/1 API (SPEC section 7) on axum.
//!
//! Order of checks for every read endpoint: 401 (no, bad or expired token) -> 429 (per-token
//! rate) -> 400 (bad parameters, with the scope normalization error) -> 403 (only
//! `tenant_admin` of that tenant and `platform_staff`) -> 404 (unknown tenant). Every 401 and
//! 403 is appended to the requested tenant's log (or, failing that, the token's tenant) as a
//! `failure` record (`auth.rejected` / `permission.denied`). Errors are `{"error": "..."}`.
//! A store locked by another writer is answered `503` with `Retry-After` within seconds, never
//! waited for, and the denial is appended when the lock frees (see [`unavailable`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rusqlite::Connection;
use trailproof_core::fingerprint::FingerprintHasher;
use trailproof_core::record::hex;
use trailproof_core::scope::{Scope, ScopeParams};

use crate::auth::{self, Claims};
use crate::export::{self, ExportMeta};
use crate::ojson::J;
use crate::row::{self, Row};
use crate::store;
use crate::unavailable;

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    pub secret: String,
    /// Requests allowed per token per window.
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// Origin written into verification URLs.
    pub origin: String,
}

struct AppState {
    cfg: Config,
    pool: Mutex<Vec<Connection>>,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
    /// Denials waiting for a locked store to free.
    queue: Arc<unavailable::Queue>,
}

type St = Arc<AppState>;

/// An error answer: status, message, `Retry-After` seconds, and for a 503 whether the request's
/// denial is already queued (see [`unavailable`]).
pub struct ApiError(StatusCode, String, Option<u64>, bool);

impl ApiError {
    fn new(s: StatusCode, m: impl Into<String>) -> Self {
        ApiError(s, m.into(), None, false)
    }

    /// `503` with `Retry-After`: the store is locked by another writer. `queued`: the denial
    /// this request would have appended waits in the queue already.
    fn unavailable(queued: bool) -> Self {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            unavailable::MESSAGE.into(),
            Some(unavailable::RETRY_AFTER),
            queued,
        )
    }
}

/// On a 503: the request's denial is queued already.
#[derive(Clone, Copy)]
struct Queued;

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {e:#}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = J::obj(vec![("error", J::str(self.1))]).compact();
        let mut r = (self.0, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let Some(s) = self.2 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, s.to_string().parse().expect("digits"));
        }
        if self.3 {
            r.extensions_mut().insert(Queued);
        }
        r
    }
}

fn json_ok(status: StatusCode, j: &J) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        j.compact(),
    )
        .into_response()
}

impl AppState {
    /// Runs `f` with a pooled connection on the blocking pool.
    async fn db<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Connection) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let st = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = st.pool.lock().expect("pool").pop();
            let mut conn = match conn {
                Some(c) => c,
                None => {
                    let c = store::open(&st.cfg.db)?;
                    // Never wait longer than a request may for a lock another writer holds.
                    c.busy_timeout(unavailable::WAIT)?;
                    c
                }
            };
            let r = f(&mut conn);
            st.pool.lock().expect("pool").push(conn);
            r
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| {
            if store::is_locked(&e) {
                ApiError::unavailable(false)
            } else {
                ApiError::from(e)
            }
        })
    }
}

/// Builds the router.
pub fn router(cfg: Config) -> Router {
    let queue = Arc::new(unavailable::Queue::default());
    // Queued denials are appended by a task of the runtime that serves the router.
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(unavailable::flusher(queue.clone(), cfg.db.clone()));
    }
    let st = Arc::new(AppState {
        cfg,
        pool: Mutex::new(Vec::new()),
        hits: Mutex::new(HashMap::new()),
        queue,
    });
    Router::new()
        .route("/api/v1/audit/records", get(records))
        .route("/api/v1/audit/verify", get(verify))
        .route("/api/v1/audit/chain/head", get(chain_head))
        .route("/api/v1/audit/events", axum::routing::post(post_event))
        .route("/api/v1/audit/export.pdf", get(export_pdf))
        .route("/audit/verify", get(verify_page))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            turned_away,
        ))
        .with_state(st)
}

/// Every request answered 503 because the store was locked, and whose own denial is not queued
/// yet, gets a `service.unavailable` denial queued: the log says that the service turned it
/// away, once the lock frees.
async fn turned_away(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Only what a denial needs is kept past the handler (the method, the URI and the two
    // headers that may carry the token); everything else is read only on a 503.
    let method = request.method().clone();
    let uri = request.uri().clone();
    let mut headers = HeaderMap::new();
    for name in [header::AUTHORIZATION, header::COOKIE] {
        if let Some(v) = request.headers().get(&name) {
            headers.insert(name, v.clone());
        }
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && response.extensions().get::<Queued>().is_none()
    {
        let req = req_of(method, &uri, addr, headers);
        let tenant = query(&uri).ok().and_then(|q| {
            q.into_iter()
                .find(|(k, _)| k == "tenant_id")
                .map(|(_, v)| v)
        });
        let claims = bearer(&req).and_then(|t| auth::verify(&st.cfg.secret, &t).ok());
        let why = Denied {
            status: 503,
            action: "service.unavailable",
            reason: "store_locked",
        };
        let (tenants, ev) = denial(&req, tenant, claims.as_ref(), why);
        st.queue.push(tenants, ev);
    }
    response
}

/// Serves until the process ends.
pub async fn serve(cfg: Config, bind: &str, port: u16) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind((bind, port)).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        router(cfg).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// Query parameters, each at most once.
fn query(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if out.iter().any(|(a, _)| *a == k) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("parameter {k} is given more than once"),
            ));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

/// Splits the query into scope params and the `extra` names an endpoint accepts.
fn scope_params(
    q: &[(String, String)],
    extra: &[&str],
) -> Result<(ScopeParams, HashMap<String, String>), ApiError> {
    let mut p = ScopeParams::default();
    let mut rest = HashMap::new();
    for (k, v) in q {
        if extra.contains(&k.as_str()) {
            rest.insert(k.clone(), v.clone());
        } else if !p.set(k, Some(v.clone())) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("unknown parameter {k}"),
            ));
        }
    }
    Ok((p, rest))
}

/// What the handlers, authentication and the denial log read of a request; every handler
/// extracts it from the request's parts and the peer address.
struct Req {
    method: Method,
    uri: Uri,
    ip: String,
    headers: HeaderMap,
}

/// Appends a denial to the log of `tenant` (if it exists) or of the token's tenant.
/// Records a `permission.denied` event for a request an authenticated caller may not make, and
/// returns the 403 to answer (or the error that kept the event from being recorded).
async fn forbidden(st: &St, req: &Req, tenant: &str, claims: &Claims, message: String) -> ApiError {
    match log_denial(
        st,
        req,
        Some(tenant.to_string()),
        Some(claims),
        Denied {
            status: 403,
            action: "permission.denied",
            reason: "permission_denied",
        },
    )
    .await
    {
        Ok(()) => ApiError::new(StatusCode::FORBIDDEN, message),
        Err(e) => e,
    }
}

/// Why a request was turned away: the status answered, and the record's action and reason.
#[derive(Clone, Copy)]
struct Denied {
    status: u16,
    action: &'static str,
    reason: &'static str,
}

impl Denied {
    fn rejected(reason: &'static str) -> Denied {
        Denied {
            status: 401,
            action: "auth.rejected",
            reason,
        }
    }
}

/// The denial record of a request (not yet placed in a tenant's log) and the tenants to try,
/// in order: the one it asked for, then the token's.
fn denial(
    req: &Req,
    tenant: Option<String>,
    claims: Option<&Claims>,
    why: Denied,
) -> (Vec<String>, Row) {
    let Denied {
        status,
        action,
        reason,
    } = why;
    let mut candidates: Vec<String> = tenant.into_iter().collect();
    if let Some(c) = claims {
        candidates.push(c.tenant_id.clone());
    }
    let mut ev = Row::event("", action, "critical");
    ev.actor_user_id = claims.map(|c| c.sub.clone()).unwrap_or("anonymous".into());
    ev.actor_role = claims.map(|c| c.role.clone()).unwrap_or("anonymous".into());
    ev.actor_display = claims
        .map(|c| c.sub.clone())
        .unwrap_or("anonymous (no valid token)".into());
    ev.actor_ip = Some(req.ip.clone());
    ev.http_method = Some(req.method.to_string());
    ev.http_route = Some(req.uri.path().to_string());
    ev.resource_type = Some("AuditLog".into());
    ev.outcome = "failure".into();
    ev.outcome_reason = Some(reason.into());
    ev.metadata = J::obj(vec![("status", J::int(status as i64))]);
    (candidates, ev)
}

/// Appends the denial of a request to the log of `tenant` (if it exists) or of the token's
/// tenant. When the store is locked by another writer, the request is answered 503 instead and
/// its denial (saying so) is appended once the lock frees.
async fn log_denial(
    st: &St,
    req: &Req,
    tenant: Option<String>,
    claims: Option<&Claims>,
    why: Denied,
) -> Result<(), ApiError> {
    let (candidates, ev) = denial(req, tenant, claims, why);
    let tenants = candidates.clone();
    let locked = st
        .db(move |conn| {
            let mut ev = ev;
            match unavailable::append_denial(conn, &candidates, &mut ev, unavailable::WAIT) {
                Ok(_) => Ok(None),
                Err(e) if store::is_locked(&e) => Ok(Some(ev)),
                Err(e) => Err(e),
            }
        })
        .await?;
    match locked {
        None => Ok(()),
        Some(mut ev) => {
            ev.metadata = J::obj(vec![
                ("status", J::int(503)),
                ("denied", J::int(why.status as i64)),
            ]);
            st.queue.push(tenants, ev);
            Err(ApiError::unavailable(true))
        }
    }
}

/// The bearer token of a request: the `Authorization` header, or the `token` cookie.
fn bearer(req: &Req) -> Option<String> {
    req.headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| {
            req.headers
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .and_then(|c| {
                    c.split(';')
                        .find_map(|p| p.trim().strip_prefix("token=").map(str::to_string))
                })
        })
}

/// 401 check and rate limit; returns the claims.
async fn authenticate(st: &St, req: &Req, tenant: Option<String>) -> Result<Claims, ApiError> {
    let (claims, token) = match bearer(req) {
        None => {
            log_denial(st, req, tenant, None, Denied::rejected("missing_token")).await?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing bearer token",
            ));
        }
        Some(t) => match auth::verify(&st.cfg.secret, &t) {
            Ok(c) => (c, t),
            Err(m) => {
                let reason = if m == "token expired" {
                    "token_expired"
                } else {
                    "invalid_token"
                };
                log_denial(st, req, tenant, None, Denied::rejected(reason)).await?;
                return Err(ApiError::new(StatusCode::UNAUTHORIZED, m));
            }
        },
    };
    let now = Instant::now();
    let mut hits = st.hits.lock().expect("rate table");
    let e = hits.entry(token).or_insert((now, 0));
    if now.duration_since(e.0) >= st.cfg.rate_window {
        *e = (now, 0);
    }
    e.1 += 1;
    if e.1 > st.cfg.rate_limit {
        let left = st.cfg.rate_window.saturating_sub(now.duration_since(e.0));
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "rate limit of {} requests per {}s exceeded",
                st.cfg.rate_limit,
                st.cfg.rate_window.as_secs()
            ),
            Some(secs.max(1)),
            false,
        ));
    }
    Ok(claims)
}

/// Authentication, parameters, authorization and tenant existence for the read endpoints.
async fn admit(
    st: &St,
    req: &Req,
    extra: &[&str],
) -> Result<(Claims, Scope, HashMap<String, String>), ApiError> {
    let q = query(&req.uri);
    let tenant_hint = q.as_ref().ok().and_then(|q| {
        q.iter()
            .find(|(k, _)| k == "tenant_id")
            .map(|(_, v)| v.clone())
    });
    let claims = authenticate(st, req, tenant_hint).await?;
    let (p, rest) = scope_params(&q?, extra)?;
    let scope = Scope::normalize(&p).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.0))?;
    let allowed = claims.role == "platform_staff"
        || (claims.role == "tenant_admin" && claims.tenant_id == scope.tenant_id);
    if !allowed {
        let message = format!(
            "role {} of tenant {} may not read tenant {}",
            claims.role, claims.tenant_id, scope.tenant_id
        );
        return Err(forbidden(st, req, &scope.tenant_id, &claims, message).await);
    }
    let t = scope.tenant_id.clone();
    if !st.db(move |c| store::tenant_exists(c, &t)).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("unknown tenant {}", scope.tenant_id),
        ));
    }
    Ok((claims, scope, rest))
}

impl<S: Send + Sync> FromRequestParts<S> for Req {
    type Rejection = <ConnectInfo<SocketAddr> as FromRequestParts<S>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ConnectInfo(addr) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await?;
        Ok(req_of(
            parts.method.clone(),
            &parts.uri,
            addr,
            parts.headers.clone(),
        ))
    }
}

fn req_of(method: Method, uri: &Uri, addr: SocketAddr, headers: HeaderMap) -> Req {
    Req {
        method,
        uri: uri.clone(),
        ip: addr.ip().to_string(),
        headers,
    }
}

fn int_param(
    rest: &HashMap<String, String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match rest.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("{name} must be an integer from {min} to {max}, not {v:?}"),
                )
            }),
    }
}

async fn records(State(st): State<St>, req: Req) -> Result<Response, ApiError> {
    let (_, scope, rest) = admit(&st, &req, &["after_seq", "limit"]).await?;
    let after = int_param(&rest, "after_seq", 0, 0, i64::MAX)?;
    let limit = int_param(&rest, "limit", 500, 1, 1000)? as usize;
    // The page is written on the blocking pool as its rows are read, straight from SQLite's
    // borrowed columns (the same bytes as
    // `J::obj([("records", rows), ("next_after_seq", next)]).compact()`).
    let body = st
        .db(move |c| {
            let mut body = String::with_capacity(limit.min(1000) * 800 + 64);
            body.push_str("{\"records\":[");
            let mut n = 0usize;
            let mut last = 0i64;
            let mut more = false;
            store::scoped_each_sql(c, &scope, after, Some(limit + 1), |row| {
                if n == limit {
                    more = true;
                    return Ok(());
                }
                if n > 0 {
                    body.push(',');
                }
                last = row::write_compact_sql(row, &mut body)?;
                n += 1;
                Ok(())
            })?;
            body.push_str("],\"next_after_seq\":");
            if more {
                body.push_str(&last.to_string());
            } else {
                body.push_str("null");
            }
            body.push('}');
            Ok(body)
        })
        .await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// (status, computed fingerprint, record count)
async fn compute_verdict(
    st: &St,
    scope: Scope,
    hash: String,
) -> Result<(&'static str, String, usize), ApiError> {
    st.db(move |c| {
        // Streamed: one row at a time, never the whole scope in memory; each record's canonical
        // bytes are written straight from SQLite's borrowed columns into one reused buffer.
        let mut fp = FingerprintHasher::new();
        let mut buf = Vec::with_capacity(2048);
        store::scoped_each_sql(c, &scope, 0, None, |row| {
            buf.clear();
            row::write_canonical_sql(row, &mut buf)?;
            fp.push_canonical(&buf);
            Ok(())
        })?;
        let n = fp.count() as usize;
        let fp = hex(&fp.finish(&scope));
        let status = if fp == hash { "verified" } else { "mismatch" };
        Ok((status, fp, n))
    })
    .await
}

async fn verify(State(st): State<St>, req: Req) -> Result<Response, ApiError> {
    let (_, scope, rest) = admit(&st, &req, &["hash"]).await?;
    let hash = rest
        .get("hash")
        .cloned()
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "hash is required"))?;
    let (status, fp, n) = compute_verdict(&st, scope, hash).await?;
    Ok(json_ok(
        StatusCode::OK,
        &J::obj(vec![
            ("status", J::str(status)),
            ("computed_hash", J::str(fp)),
            ("record_count", J::int(n as i64)),
            ("checked_at", J::str(store::now_canonical())),
        ]),
    ))
}

async fn chain_head(State(st): State<St>, req: Req) -> Result<Response, ApiError> {
    let (_, scope, _) = admit(&st, &req, &[]).await?;
    let t = scope.tenant_id.clone();
    let (seq, hash) = st
        .db(move |c| store::head(c, &t))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "unknown tenant"))?;
    Ok(json_ok(
        StatusCode::OK,
        &J::obj(vec![
            ("tenant_id", J::str(scope.tenant_id)),
            ("seq", J::int(seq)),
            ("hash", J::str(hash)),
        ]),
    ))
}

async fn post_event(State(st): State<St>, req: Req, body: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "body is not UTF-8"))?;
    let parsed = J::parse(text);
    let tenant_hint = parsed
        .as_ref()
        .ok()
        .and_then(|j| j.get("tenant_id"))
        .and_then(J::as_str)
        .map(str::to_string);
    let claims = authenticate(&st, &req, tenant_hint).await?;
    let j = parsed
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("body is not JSON: {e}")))?;
    for k in ["seq", "timestamp", "prev_hash", "hash"] {
        if j.get(k).is_some() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("member {k} is assigned by the server"),
            ));
        }
    }
    let mut ev =
        Row::from_j(&j).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    if claims.role != "service" || claims.tenant_id != ev.tenant_id {
        let message = "only role service of the event's tenant may append events";
        return Err(forbidden(&st, &req, &ev.tenant_id, &claims, message.into()).await);
    }
    let ev = st
        .db(move |c| {
            store::append_within(c, &mut ev, unavailable::WAIT)?;
            Ok(ev)
        })
        .await?;
    Ok(json_ok(StatusCode::CREATED, &ev.to_j()))
}

async fn export_pdf(State(st): State<St>, req: Req) -> Result<Response, ApiError> {
    let (claims, scope, _) = admit(&st, &req, &[]).await?;
    let meta = ExportMeta {
        origin: st.cfg.origin.clone(),
        exported_at: store::now_canonical(),
        user_id: claims.sub.clone(),
        display: format!("{} ({})", claims.sub, claims.role),
        legacy: None,
    };
    let pdf = st
        .db(move |c| {
            let e = export::build(c, &scope, meta)?;
            crate::pdf::render(&e)
        })
        .await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-export.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

async fn verify_page(State(st): State<St>, req: Req) -> Result<Response, ApiError> {
    let (_, scope, rest) = admit(&st, &req, &["hash"]).await?;
    let hash = rest.get("hash").cloned().unwrap_or_default();
    let (status, fp, n) = compute_verdict(&st, scope.clone(), hash.clone()).await?;
    let e = html_escape;
    let mut rows = format!(
        "<tr><th>tenant_id</th><td>{}</td></tr>",
        e(&scope.tenant_id)
    );
    for (k, v) in scope.filters() {
        if let Some(v) = v {
            rows.push_str(&format!("<tr><th>{k}</th><td>{}</td></tr>", e(v)));
        }
    }
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Audit export verification</title></head><body>\n\
<h1>Export {status}</h1>\n<table>{rows}</table>\n\
<p>Records in scope: {n}</p>\n<p>Stated fingerprint: <code>{}</code></p>\n<p>Computed fingerprint: <code>{}</code></p>\n\
<p>Filters: {}</p>\n</body></html>\n",
        e(&hash),
        e(&fp),
        e(&scope.summary(None)),
    );
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response())
}
