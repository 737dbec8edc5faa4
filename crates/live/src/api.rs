//! The API client: the AEF/1 audit API (SPEC section 7) as the live check reads it, one typed
//! call per endpoint, blocking on a small tokio runtime of the check's own, over the
//! [`http`](crate::http) transport (TLS, timeouts, retries, the token).
//!
//! Endpoints: `GET /api/v1/audit/records` (a page of a scope, or the one record at a seq),
//! `GET /api/v1/audit/verify` (the service's own verdict on a scope and hash) and
//! `GET /api/v1/audit/chain/head` (a tenant's chain head).
//!
//! Invariants: an answer is only parsed here, never believed: every verdict is recomputed by
//! the checks ([`checks`](crate::checks)); an answer that is not the JSON the API states becomes
//! [`LiveError::Protocol`] naming the request (`GET <path>`), never a default value; the one
//! record at a seq is checked ([`record::check`]) like any paged record, and a record at another
//! seq is no record at that seq.

use std::future::Future;

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use trailproof_core::record::{self, Checked, Location, RawData, RawRecord};
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

use crate::http::Api;
use crate::LiveError;

/// Path of the records endpoint (paged by `after_seq` and `limit`).
pub(crate) const RECORDS_PATH: &str = "/api/v1/audit/records";
/// Path of the service's own verify endpoint.
const VERIFY_PATH: &str = "/api/v1/audit/verify";
/// Path of the chain-head endpoint.
const CHAIN_HEAD_PATH: &str = "/api/v1/audit/chain/head";

/// The error for an answer of `GET path` that is not the JSON the API states.
pub(crate) fn malformed(path: &str, cause: impl std::fmt::Display) -> LiveError {
    LiveError::Protocol {
        what: format!("GET {path}"),
        cause: cause.to_string(),
    }
}

/// A page of records, each left as its own text (checked later, in parallel).
#[derive(Deserialize)]
pub(crate) struct Page<'a> {
    #[serde(borrow)]
    pub records: Vec<&'a RawValue>,
    /// Where the next page starts; null on the scope's last page.
    pub next_after_seq: Option<u64>,
}

impl Page<'_> {
    pub fn parse(body: &[u8]) -> Result<Page<'_>, LiveError> {
        serde_json::from_slice(body).map_err(|e| malformed(RECORDS_PATH, e))
    }
}

/// The service's answer to `GET /api/v1/audit/verify`.
#[derive(Deserialize)]
pub(crate) struct VerifyAnswer {
    pub status: String,
    pub computed_hash: String,
    pub record_count: u64,
}

/// The service's answer to `GET /api/v1/audit/chain/head`.
#[derive(Deserialize)]
pub(crate) struct ChainHead {
    pub seq: u64,
    pub hash: String,
}

/// A verify request sent ahead ([`Client::ask_verify`]), answered while the pages are read.
pub(crate) struct PendingVerify(JoinHandle<Result<Vec<u8>, LiveError>>);

/// The API of one live check: its runtime and its HTTP client.
pub(crate) struct Client {
    runtime: Runtime,
    http: Api,
}

impl Client {
    /// The runtime a live check runs its requests on: two workers, timers and I/O on.
    pub fn new_runtime() -> Result<Runtime, LiveError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| LiveError::Runtime(e.to_string()))
    }

    pub fn new(runtime: Runtime, http: Api) -> Client {
        Client { runtime, http }
    }

    /// The HTTP client (cloned into the tasks that page a scope).
    pub fn http(&self) -> &Api {
        &self.http
    }

    /// Runs `task` on the check's runtime.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(task)
    }

    /// Sends the verify request for `scope` and `hash` now; [`Client::verify_answer`] waits for
    /// its answer.
    pub fn ask_verify(&self, scope: &Scope, hash: String) -> PendingVerify {
        let http = self.http.clone();
        let query = verify_query(scope, hash);
        PendingVerify(
            self.runtime
                .spawn(async move { http.get(VERIFY_PATH, &query).await }),
        )
    }

    /// The answer to a verify request sent ahead.
    pub fn verify_answer(&self, pending: PendingVerify) -> Result<VerifyAnswer, LiveError> {
        let body = self
            .runtime
            .block_on(pending.0)
            .map_err(|e| LiveError::Runtime(e.to_string()))??;
        parse_verify(&body)
    }

    /// The service's verdict on `scope` and `hash`, asked now.
    pub fn verify(&self, scope: &Scope, hash: String) -> Result<VerifyAnswer, LiveError> {
        let body = self
            .runtime
            .block_on(self.http.get(VERIFY_PATH, &verify_query(scope, hash)))?;
        parse_verify(&body)
    }

    /// The chain head of `tenant`, as the service states it.
    pub fn chain_head(&self, tenant: &str) -> Result<ChainHead, LiveError> {
        let body = self.runtime.block_on(
            self.http
                .get(CHAIN_HEAD_PATH, &[("tenant_id", tenant.to_string())]),
        )?;
        serde_json::from_slice(&body).map_err(|e| malformed(CHAIN_HEAD_PATH, e))
    }

    /// The live record of `tenant` at `seq`, checked; `None` when the service has none there.
    pub fn record_at(&self, tenant: &str, seq: u64) -> Result<Option<Checked>, LiveError> {
        let query = [
            ("tenant_id", tenant.to_string()),
            ("after_seq", seq.saturating_sub(1).to_string()),
            ("limit", "1".to_string()),
        ];
        let body = self.runtime.block_on(self.http.get(RECORDS_PATH, &query))?;
        let page = Page::parse(&body)?;
        let checked = page.records.first().map(|r| {
            let raw = RawRecord {
                loc: Location::Index(0),
                data: RawData::Json(r.get().as_bytes().to_vec()),
            };
            record::check(raw, &mut Vec::new())
        });
        Ok(checked.filter(|c| c.seq == Some(seq)))
    }
}

fn verify_query(scope: &Scope, hash: String) -> Vec<(&'static str, String)> {
    let mut query = VerifyUrl::scope_query(scope);
    query.push(("hash", hash));
    query
}

fn parse_verify(body: &[u8]) -> Result<VerifyAnswer, LiveError> {
    serde_json::from_slice(body).map_err(|e| malformed(VERIFY_PATH, e))
}
