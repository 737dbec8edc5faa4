//! `trailproof-live`: verifies a verification URL (AEF/1 section 7) against the service's live
//! records, and reconciles the evidence of a [`Case`] with them.
//!
//! What [`verify_live`] does, in order:
//! 1. parses the URL with [`VerifyUrl::parse`]; unknown parameters, repeated parameters, a wrong
//!    path or a malformed hash become checks (not possible) or a `legacy_search_unverifiable`
//!    warning, never silently dropped;
//! 2. pages `GET /api/v1/audit/records` for the URL's scope (and for every other scope an
//!    evidence export has) following `next_after_seq`, streaming each page through a core
//!    [`SourceRun`]: each record's own hash, the links between consecutive seqs (the whole chain
//!    when the scope is a whole tenant), scope membership, and the exports' records
//!    (`record_diverged`, `record_missing`);
//! 3. recomputes the scope's fingerprint locally, streaming, and compares it with the URL's
//!    `hash` and with each export's fingerprint, as of the export's chain head;
//! 4. asks `GET /api/v1/audit/verify` (at once, while paging, when the URL states a hash) and
//!    reports `server_verdict_disagrees` where the service's answer contradicts the local
//!    recomputation;
//! 5. reads `GET /api/v1/audit/chain/head` and the live record at each export's chain head:
//!    `anchor_mismatch`, `chain_truncated`, or `record_appended` (info: growth since export).
//!
//! Invariants: the service is never taken at its word (every verdict is recomputed here); the
//! token is never printed, logged or written; TLS verification is always on; records are held
//! one page at a time (memory stays flat apart from the exports' own records), and a record
//! sink ([`verify_live_with`]) sees each checked record as its page arrives.
//!
//! Speed: a scope's pages go through a pipeline (`scope_stream::pages`): page k+2 is fetched
//! while page k+1 is canonicalized and hashed on all cores (with the page's own digest
//! alongside) and page k is absorbed; only the fingerprint's hash and the chain logic are
//! sequential. Each record is serialized once: its full canonical bytes (for the fingerprint)
//! are its hashed bytes with `hash` spliced in.
//!
//! Modules, one concern each:
//! * [`http`]: the transport (TLS, timeouts, bounded retries, the redacted token);
//! * `api`: the API client, one typed call per endpoint of the audit API;
//! * `scope_stream`: the scope stream, one scope's records paged through the API and measured as
//!   they arrive (fingerprint, cuts at the exports' chain heads, order, membership);
//! * `checks`: the checks, pure functions from what was measured and answered to findings and
//!   checks (fingerprint recompute, reconciling the evidence with the live records, the
//!   service's own verdict);
//! * `copies`: the live records kept for a record's detail view ([`LiveCopies`]).
//!
//! Files and live check as one case and timeline are `trailproof-engine`'s: this crate depends
//! on `trailproof-core` only.
//!
//! This file keeps the public entry points ([`verify_live`], [`verify_live_with`]), their
//! options and errors, and the order of the steps.
//!
//! [`SourceRun`]: trailproof_core::case::SourceRun
#![forbid(unsafe_code)]

mod api;
mod checks;
mod copies;
pub mod http;
mod scope_stream;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use trailproof_core::assurance::{AnchorKind, Claim};

use trailproof_core::case::Case;
use trailproof_core::record::{parse_hex, Checked};
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

use api::Client;
use checks::ExportHead;
pub use copies::LiveCopies;
pub use http::{Api, HttpPolicy, Token};
use scope_stream::{ScopeExport, ScopeStream};

/// Records asked for per page (the API's maximum).
pub const PAGE_LIMIT: usize = 1000;

/// Why a live check could not be made (exit 2 in the CLI).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Url(#[from] trailproof_core::verify_url::UrlError),
    #[error("the verification URL names no usable scope: {0}")]
    Scope(String),
    #[error("{0}")]
    Config(String),
    #[error("authentication failed: the token was refused (expired or wrong?) — set TRAILPROOF_TOKEN to a valid bearer token")]
    Unauthorized,
    #[error("permission denied: only tenant_admin of that tenant or platform_staff may verify")]
    Forbidden,
    #[error("{what}: HTTP {status} after {attempts} attempt(s): {message}")]
    Status {
        what: String,
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("{what}: {cause} (after {attempts} attempt(s))")]
    Transport {
        what: String,
        attempts: u32,
        cause: String,
    },
    #[error("{what}: the service answered with malformed JSON: {cause}")]
    Protocol { what: String, cause: String },
    #[error("cannot start the HTTP runtime: {0}")]
    Runtime(String),
    #[error("the live check was cancelled ({what})")]
    Cancelled { what: String },
}

/// Progress of a live check (pages and records fetched so far).
pub trait LiveProgress: Sync {
    fn page(&self, _source: &str, _pages: u64, _records: u64) {}
}

/// A [`LiveProgress`] that reports nothing.
pub struct NoProgress;
impl LiveProgress for NoProgress {}

/// Options of a live check.
pub struct LiveOptions<'a> {
    /// API base; the verification URL's origin when `None`.
    pub api_base: Option<String>,
    pub token: Token,
    /// Extra trusted root certificates (PEM).
    pub ca_pem: Option<Vec<u8>>,
    pub policy: HttpPolicy,
    pub progress: &'a dyn LiveProgress,
    /// Set to stop the check between pages and requests ([`LiveError::Cancelled`]).
    pub cancel: Option<&'a AtomicBool>,
    /// Keep every live record ([`LiveCopies`]; the engine hands them back with its outcome) for
    /// a record's detail view; off by default (the CLI has no use for them).
    pub keep_copies: bool,
}

impl LiveOptions<'_> {
    /// Options with `token`, the URL's origin as API base, the system's roots only, the default
    /// [`HttpPolicy`], no progress and no cancellation.
    pub fn new(token: Token) -> Self {
        LiveOptions {
            api_base: None,
            token,
            ca_pem: None,
            policy: HttpPolicy::default(),
            progress: &NoProgress,
            cancel: None,
            keep_copies: false,
        }
    }

    fn check_cancel(&self, what: impl FnOnce() -> String) -> Result<(), LiveError> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            Err(LiveError::Cancelled { what: what() })
        } else {
            Ok(())
        }
    }
}

/// Receives every live record, as its page is checked and before the case absorbs it, with the
/// name of the live input it was read for (`live:<origin>`, or `live:<origin>?<scope>` for the
/// scope of an export that is not the URL's).
pub type RecordSink<'s> = dyn FnMut(&str, &Checked) + 's;

/// What a live check saw, besides the findings it added to the case.
#[derive(Debug, Clone, Default)]
pub struct LiveSummary {
    pub api_base: String,
    pub pages: u64,
    pub records: u64,
    /// Fingerprint of the URL scope's live records, recomputed here.
    pub live_fingerprint: Option<String>,
}

/// Runs a live check of `url_text` and adds its input, checks and findings to `case` (whose
/// evidence files were verified before). Blocking: it runs its own small tokio runtime.
pub fn verify_live(
    case: &mut Case,
    url_text: &str,
    opts: &LiveOptions,
) -> Result<LiveSummary, LiveError> {
    verify_live_with(case, url_text, opts, &mut |_, _| {})
}

/// Like [`verify_live`], and hands every live record to `sink` as its page arrives (for a
/// timeline [`Collector`](trailproof_core::timeline::collector::Collector)); no page is kept.
pub fn verify_live_with(
    case: &mut Case,
    url_text: &str,
    opts: &LiveOptions,
    sink: &mut RecordSink,
) -> Result<LiveSummary, LiveError> {
    opts.check_cancel(|| "before it started".into())?;
    let runtime = Client::new_runtime()?;
    let url = VerifyUrl::parse(url_text)?;
    let scope = url.scope().map_err(|e| LiveError::Scope(e.0))?;
    let base = opts.api_base.clone().unwrap_or_else(|| url.origin.clone());
    let api = Api::new(
        &base,
        &opts.token,
        opts.ca_pem.as_deref(),
        opts.policy.clone(),
    )?;
    let client = Client::new(runtime, api);
    let name = format!("live:{}", url.origin);
    let mut summary = LiveSummary {
        api_base: client.http().base().to_string(),
        ..Default::default()
    };
    checks::verification_url(&url, &name).add_to(case);
    // The service's own verify answer does not depend on the paging: when the URL states a
    // hash, it is asked for at once and computed by the service while the records are paged.
    let url_hash_text = url.hash.clone().filter(|h| parse_hex(h).is_some());
    let early_verify = url_hash_text.clone().map(|h| client.ask_verify(&scope, h));

    // Each scope's live records, streamed, against the exports of that scope.
    let url_hash = url.hash.as_deref().and_then(parse_hex);
    let mut max_seq: BTreeMap<String, u64> = BTreeMap::new();
    let mut main_fingerprint = None;
    for (index, (read, input)) in scopes_to_read(case, &scope, &name).into_iter().enumerate() {
        let is_url_scope = index == 0;
        let exports = ScopeExport::of(case, &read);
        let mut stream = ScopeStream::new(read, input, url_hash.filter(|_| is_url_scope), exports);
        let mut run = case.source_scoped(&stream.input, "live", stream.chain_mode(), &stream.scope);
        summary.pages += scope_stream::fetch_scope(&client, &mut stream, &mut run, opts, sink)?;
        summary.records += stream.records;
        let fingerprint = stream.finish();
        for (tenant, seq) in &stream.max_seq {
            let highest = max_seq.entry(tenant.clone()).or_insert(0);
            *highest = (*highest).max(*seq);
        }
        let mut outcome = checks::scope_records(&mut stream);
        outcome.extend(checks::export_fingerprints(&stream));
        if is_url_scope {
            outcome.extend(checks::url_fingerprint(&url, &stream, &fingerprint));
            // The URL's hash was printed when the export was made: live records that
            // recompute to it are anchored by it.
            if url.hash.as_deref() == Some(fingerprint.as_str()) {
                for (tenant, seq) in &stream.max_seq {
                    case.add_claim(Claim {
                        input: url_text.to_string(),
                        tenant_id: tenant.clone(),
                        kind: AnchorKind::VerificationUrl,
                        seq: *seq,
                    });
                }
            }
            main_fingerprint = Some(fingerprint);
        }
        case.finish_source(run, stream.bytes, stream.body_sha256());
        outcome.add_to(case);
    }
    summary.live_fingerprint = main_fingerprint.clone();
    let main_fingerprint = main_fingerprint.unwrap_or_default();

    // The service's own verdict.
    let asked = url_hash_text.unwrap_or_else(|| main_fingerprint.clone());
    opts.check_cancel(|| "before asking the service's verdict".into())?;
    let answer = match early_verify {
        Some(pending) => client.verify_answer(pending)?,
        None => client.verify(&scope, asked.clone())?,
    };
    checks::server_verdict(&answer, &asked, &main_fingerprint, &scope, &name).add_to(case);

    // Chain heads and the record at each export's head.
    for tenant in tenants_to_check(case, &scope) {
        opts.check_cancel(|| format!("before reading the chain head of tenant {tenant}"))?;
        let head = client.chain_head(&tenant)?;
        let seen = max_seq.get(&tenant).copied().unwrap_or(0);
        checks::chain_head(&tenant, &head, seen, &name).add_to(case);
        // The service's head is a commitment independent of the evidence files.
        case.add_claim(Claim {
            input: name.clone(),
            tenant_id: tenant.clone(),
            kind: AnchorKind::Live,
            seq: head.seq,
        });
        for export in ExportHead::of_tenant(case, &tenant) {
            let live = client.record_at(&tenant, export.seq)?;
            checks::export_head(&tenant, &export, live.as_ref(), &head, &name).add_to(case);
        }
    }
    Ok(summary)
}

/// The scopes a live check reads, each with the name of its live input: the URL's (`name`), then
/// every other scope an export of `case` has (`name?<scope query>`), in input order.
fn scopes_to_read(case: &Case, scope: &Scope, name: &str) -> Vec<(Scope, String)> {
    let mut scopes: Vec<(Scope, String)> = vec![(scope.clone(), name.to_string())];
    for a in case.exports() {
        if let Some(s) = &a.scope {
            if !scopes.iter().any(|(x, _)| x == s) {
                let q = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(VerifyUrl::scope_query(s))
                    .finish();
                scopes.push((s.clone(), format!("{name}?{q}")));
            }
        }
    }
    scopes
}

/// The tenants whose chain head a live check reads: the URL scope's, then every other tenant an
/// export of `case` has, in input order.
fn tenants_to_check(case: &Case, scope: &Scope) -> Vec<String> {
    let mut tenants: Vec<String> = vec![scope.tenant_id.clone()];
    for a in case.exports() {
        if let Some(t) = &a.tenant_id {
            if !tenants.contains(t) {
                tenants.push(t.clone());
            }
        }
    }
    tenants
}
