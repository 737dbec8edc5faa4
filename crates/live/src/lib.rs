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
//! Speed: a scope's pages go through a pipeline ([`pages`]): page k+2 is fetched while page k+1
//! is canonicalized and hashed on all cores (with the page's own digest alongside) and page k is
//! absorbed; only the fingerprint's hash and the chain logic are sequential. Each record is
//! serialized once: its full canonical bytes (for the fingerprint) are its hashed bytes with
//! `hash` spliced in.
#![forbid(unsafe_code)]

mod copies;
pub mod http;
mod investigate;
mod pages;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ring::digest::{Context, SHA256};
use serde::Deserialize;
use trailproof_core::case::{Case, SourceRun};
use trailproof_core::chain::Mode;
use trailproof_core::finding::{Check, Code, Finding, Status};
use trailproof_core::fingerprint::{self, FingerprintHasher};
use trailproof_core::record::{self, hex, parse_hex, Checked, Location, RawData, RawRecord};
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

pub use copies::LiveCopies;
pub use http::{Api, HttpPolicy, Token};
pub use investigate::{
    investigate, investigate_stream, InvestigateError, Investigation, LiveRequest,
};

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
    /// [`investigate`] keeps every live record ([`Investigation::live_copies`]) for a record's
    /// detail view; off by default (the CLI has no use for them).
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

#[derive(Deserialize)]
struct VerifyAnswer {
    status: String,
    computed_hash: String,
    record_count: u64,
}

#[derive(Deserialize)]
struct HeadAnswer {
    seq: u64,
    hash: String,
}

/// An export watched by a scope's stream: (input, chain head (seq, hash), stated fingerprint).
type ScopeAnchor = (String, Option<(u64, String)>, Option<String>);

/// A prefix fingerprint to capture: the digest of the records with `seq <= bound`.
struct Cut {
    bound: u64,
    digest: Option<String>,
    count: u64,
    above: u64,
    first_above: Option<u64>,
}

/// The streaming state of one scope's records.
struct Stream {
    scope: Scope,
    fp: FingerprintHasher,
    /// The bytes that close the scope's fingerprint object (for a peek after every record).
    closing: Vec<u8>,
    /// The URL hash to look for among all prefixes (main scope only).
    want: Option<[u8; 32]>,
    /// (records in the matching prefix, its last seq).
    prefix_match: Option<(u64, u64)>,
    cuts: Vec<Cut>,
    unreadable: u64,
    last_seq: Option<u64>,
    order_problems: u64,
    out_of_scope: Vec<Finding>,
    /// Digest of every page body, in order (the live input's SHA-256).
    body: Context,
    bytes: u64,
    records: u64,
    max_seq: BTreeMap<String, u64>,
}

impl Stream {
    fn new(scope: Scope, want: Option<[u8; 32]>, cuts: Vec<u64>) -> Stream {
        let mut s = Stream {
            closing: fingerprint::closing(&scope),
            scope,
            fp: FingerprintHasher::new(),
            want,
            prefix_match: None,
            cuts: cuts
                .into_iter()
                .map(|bound| Cut {
                    bound,
                    digest: None,
                    count: 0,
                    above: 0,
                    first_above: None,
                })
                .collect(),
            unreadable: 0,
            last_seq: None,
            order_problems: 0,
            out_of_scope: Vec::new(),
            body: Context::new(&SHA256),
            bytes: 0,
            records: 0,
            max_seq: BTreeMap::new(),
        };
        // The empty prefix.
        s.check_prefix(0);
        s
    }

    /// Digest of the records pushed so far, without closing the stream.
    fn prefix_digest(&self) -> [u8; 32] {
        self.fp.peek_closed(&self.closing)
    }

    fn check_prefix(&mut self, seq: u64) {
        if let Some(w) = self.want {
            if self.prefix_match.is_none() && self.prefix_digest() == w {
                self.prefix_match = Some((self.fp.count(), seq));
            }
        }
    }

    fn absorb(
        &mut self,
        run: &mut SourceRun,
        p: pages::Prepared,
        input: &str,
        sink: &mut RecordSink,
    ) {
        let pages::Prepared {
            checked: c,
            canonical,
            mismatch,
        } = p;
        self.records += 1;
        if let Some(seq) = c.seq {
            if self.last_seq.is_some_and(|l| seq <= l) {
                self.order_problems += 1;
            }
            self.last_seq = Some(seq);
            for cut in self.cuts.iter_mut() {
                if seq > cut.bound {
                    if cut.digest.is_none() {
                        cut.digest = Some(hex(&self.fp.peek_closed(&self.closing)));
                        cut.count = self.fp.count();
                    }
                    cut.above += 1;
                    cut.first_above.get_or_insert(seq);
                }
            }
            if let Some(t) = c.tenant_id.as_deref() {
                let m = self.max_seq.entry(t.to_string()).or_insert(0);
                *m = (*m).max(seq);
            }
        }
        match c.record.as_ref() {
            Some(_) => {
                self.fp.push_canonical(&canonical);
                if let Some(why) = mismatch {
                    self.out_of_scope.push(
                        Finding::new(
                            Code::ScopeViolation,
                            c.tenant_id.as_deref(),
                            c.seq,
                            format!(
                                "the service returned {} for a scope it does not match ({why})",
                                record::describe(c.tenant_id.as_deref(), c.seq)
                            ),
                        )
                        .input(input)
                        .at(c.loc),
                    );
                }
            }
            None => self.unreadable += 1,
        }
        if self.want.is_some() && self.prefix_match.is_none() {
            self.check_prefix(c.seq.unwrap_or(0));
        }
        sink(input, &c);
        run.absorb(c);
    }

    fn finish(&mut self) -> String {
        for cut in self.cuts.iter_mut() {
            if cut.digest.is_none() {
                cut.digest = Some(hex(&self.fp.peek_closed(&self.closing)));
                cut.count = self.fp.count();
            }
        }
        hex(&self.prefix_digest())
    }
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LiveError::Runtime(e.to_string()))?;
    let v = VerifyUrl::parse(url_text)?;
    let scope = v.scope().map_err(|e| LiveError::Scope(e.0))?;
    let base = opts.api_base.clone().unwrap_or_else(|| v.origin.clone());
    let api = Api::new(
        &base,
        &opts.token,
        opts.ca_pem.as_deref(),
        opts.policy.clone(),
    )?;
    let name = format!("live:{}", v.origin);
    let mut summary = LiveSummary {
        api_base: api.base().to_string(),
        ..Default::default()
    };
    url_checks(case, &v, &name);
    let url_hash = v.hash.as_deref().and_then(parse_hex);
    // The service's own verify answer does not depend on the paging: when the URL states a
    // hash, it is asked for at once and computed by the service while the records are paged.
    let url_hash_text = v.hash.clone().filter(|h| parse_hex(h).is_some());
    let early_verify = url_hash_text.clone().map(|h| {
        let api = api.clone();
        let mut q = VerifyUrl::scope_query(&scope);
        q.push(("hash", h));
        rt.spawn(async move { api.get("/api/v1/audit/verify", &q).await })
    });

    // Scopes to fetch: the URL's, then every other scope an export has.
    let mut scopes: Vec<(Scope, String)> = vec![(scope.clone(), name.clone())];
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
    let mut max_seq: BTreeMap<String, u64> = BTreeMap::new();
    let mut main_fp = None;
    for (i, (s, input)) in scopes.iter().enumerate() {
        let anchors: Vec<ScopeAnchor> = case
            .exports()
            .iter()
            .filter(|a| a.scope.as_ref() == Some(s))
            .map(|a| {
                (
                    a.input.clone(),
                    a.chain_head.map(|(seq, h)| (seq, hex(&h))),
                    a.fingerprint.clone(),
                )
            })
            .collect();
        let cuts = anchors
            .iter()
            .filter_map(|(_, h, _)| h.as_ref().map(|(seq, _)| *seq))
            .collect();
        let want = if i == 0 { url_hash } else { None };
        let mut stream = Stream::new(s.clone(), want, cuts);
        let whole_tenant = s.filters().iter().all(|(_, v)| v.is_none());
        let mode = if whole_tenant {
            Mode::Full
        } else {
            Mode::Subset
        };
        let mut run = case.source_scoped(input, "live", mode, s);
        let pages = fetch_scope(&rt, &api, s, &mut stream, &mut run, input, opts, sink)?;
        summary.pages += pages;
        summary.records += stream.records;
        let fp = stream.finish();
        for (t, m) in &stream.max_seq {
            let e = max_seq.entry(t.clone()).or_insert(0);
            *e = (*e).max(*m);
        }
        let mut findings = std::mem::take(&mut stream.out_of_scope);
        let mut checks = Vec::new();
        checks.push(
            Check::outcome(
                "scope_membership",
                !findings.is_empty(),
                format!(
                    "each live record matches the scope it was fetched for ({} do not)",
                    findings.len()
                ),
            )
            .input(input),
        );
        checks.push(
            Check::outcome(
                "seq_order",
                stream.order_problems > 0,
                format!(
                    "the service returned records in ascending seq order ({} out of order)",
                    stream.order_problems
                ),
            )
            .input(input),
        );
        // Each export of this scope: its fingerprint vs the live records up to its chain head.
        for ((export, head, stated), cut) in anchors
            .iter()
            .filter(|(_, h, _)| h.is_some())
            .zip(stream.cuts.iter())
        {
            let live = cut.digest.clone().unwrap_or_default();
            let head_seq = head.as_ref().map(|h| h.0).unwrap_or(0);
            match stated {
                Some(stated) if stream.unreadable == 0 => {
                    let bad = *stated != live;
                    if bad {
                        findings.push(
                            Finding::new(
                                Code::FingerprintMismatch,
                                Some(&s.tenant_id),
                                None,
                                format!(
                                    "the fingerprint {export} states differs from the fingerprint of the {} live record(s) of its scope up to its chain head (seq {head_seq}): the records changed since the export",
                                    cut.count
                                ),
                            )
                            .input(input)
                            .other_input(export)
                            .values(stated.clone(), live.clone()),
                        );
                    }
                    checks.push(
                        Check::outcome(
                            "live_fingerprint",
                            bad,
                            format!("the fingerprint of {export} against the live records of its scope up to seq {head_seq}"),
                        )
                        .input(input)
                        .tenant(&s.tenant_id),
                    );
                }
                _ => checks.push(
                    Check::new(
                        "live_fingerprint",
                        Status::NotPossible,
                        format!("the fingerprint of {export} cannot be compared: it states none, or a live record is unreadable"),
                    )
                    .input(input)
                    .tenant(&s.tenant_id),
                ),
            }
            if cut.above > 0 {
                let first = cut.first_above.unwrap_or(head_seq + 1);
                let last = stream.last_seq.unwrap_or(first);
                findings.push(
                    Finding::new(
                        Code::RecordAppended,
                        Some(&s.tenant_id),
                        Some(first),
                        format!(
                            "{} record(s) of the scope of {export} were appended after its chain head (seq {head_seq}): expected growth, the exported records are not affected",
                            cut.above
                        ),
                    )
                    .input(input)
                    .other_input(export)
                    .seq_end(last),
                );
            }
        }
        if i == 0 {
            url_fingerprint(
                &mut findings,
                &mut checks,
                &v,
                &stream,
                &fp,
                input,
                &anchors,
            );
            main_fp = Some(fp);
        }
        let sha = hex(&digest(stream.body.clone()));
        case.finish_source(run, stream.bytes, sha);
        case.add(findings, checks);
    }
    summary.live_fingerprint = main_fp.clone();
    let main_fp = main_fp.unwrap_or_default();

    // The service's own verdict.
    let asked = url_hash_text.unwrap_or_else(|| main_fp.clone());
    opts.check_cancel(|| "before asking the service's verdict".into())?;
    let body = match early_verify {
        Some(task) => rt
            .block_on(task)
            .map_err(|e| LiveError::Runtime(e.to_string()))??,
        None => {
            let mut q = VerifyUrl::scope_query(&scope);
            q.push(("hash", asked.clone()));
            rt.block_on(api.get("/api/v1/audit/verify", &q))?
        }
    };
    let ans: VerifyAnswer = serde_json::from_slice(&body).map_err(|e| LiveError::Protocol {
        what: "GET /api/v1/audit/verify".into(),
        cause: e.to_string(),
    })?;
    server_verdict(case, &ans, &asked, &main_fp, &scope, &name);

    // Chain heads and the record at each export's head.
    let mut tenants: Vec<String> = vec![scope.tenant_id.clone()];
    for a in case.exports() {
        if let Some(t) = &a.tenant_id {
            if !tenants.contains(t) {
                tenants.push(t.clone());
            }
        }
    }
    for t in &tenants {
        opts.check_cancel(|| format!("before reading the chain head of tenant {t}"))?;
        let body = rt.block_on(api.get("/api/v1/audit/chain/head", &[("tenant_id", t.clone())]))?;
        let head: HeadAnswer = serde_json::from_slice(&body).map_err(|e| LiveError::Protocol {
            what: "GET /api/v1/audit/chain/head".into(),
            cause: e.to_string(),
        })?;
        let seen = max_seq.get(t).copied().unwrap_or(0);
        let below = seen > head.seq;
        case.add(
            if below {
                vec![Finding::new(
                    Code::ChainTruncated,
                    Some(t),
                    Some(head.seq),
                    format!(
                        "the service states chain head seq {} but returned a record at seq {seen}",
                        head.seq
                    ),
                )
                .input(&name)]
            } else {
                Vec::new()
            },
            vec![Check::outcome(
                "live_chain_head",
                below,
                format!(
                    "the service's chain head (seq {}, {}) against the live records read",
                    head.seq,
                    short(&head.hash)
                ),
            )
            .input(&name)
            .tenant(t)],
        );
        let anchors: Vec<(String, u64, String)> = case
            .exports()
            .iter()
            .filter(|a| a.tenant_id.as_deref() == Some(t))
            .filter_map(|a| a.chain_head.map(|(s, h)| (a.input.clone(), s, hex(&h))))
            .collect();
        for (export, hs, hh) in anchors {
            let (f, c) = rt.block_on(check_anchor(&api, t, &export, hs, &hh, &head, &name))?;
            case.add(f, c);
        }
    }
    Ok(summary)
}

fn digest(h: Context) -> [u8; 32] {
    h.finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 digests are 32 bytes")
}

fn short(h: &str) -> String {
    h.chars().take(16).collect()
}

/// Checks and findings about the URL itself.
fn url_checks(case: &mut Case, v: &VerifyUrl, name: &str) {
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    let legacy: Vec<&(String, String)> = v
        .unknown
        .iter()
        .filter(|(k, _)| k == "q" || k == "field")
        .collect();
    let other: Vec<String> = v
        .unknown
        .iter()
        .filter(|(k, _)| k != "q" && k != "field")
        .map(|(k, val)| format!("{k}={val}"))
        .collect();
    if !legacy.is_empty() {
        findings.push(
            Finding::new(
                Code::LegacySearchUnverifiable,
                v.params.tenant_id.as_deref(),
                None,
                "the verification URL carries legacy q/field search, which is not part of the scope and cannot be replayed: the export it names will not verify".into(),
            )
            .input(name),
        );
    }
    if v.problems.is_empty() && other.is_empty() {
        checks.push(Check::new(
            "verify_url",
            Status::Passed,
            "the verification URL is well-formed AEF/1",
        ));
    } else {
        let mut why = v.problems.clone();
        if !other.is_empty() {
            why.push(format!(
                "parameters not in AEF/1: {} (not replayed)",
                other.join(", ")
            ));
        }
        checks.push(Check::new(
            "verify_url",
            Status::NotPossible,
            format!(
                "the verification URL cannot be verified as given: {}",
                why.join("; ")
            ),
        ));
    }
    let checks = checks.into_iter().map(|c| c.input(name)).collect();
    case.add(findings, checks);
}

#[allow(clippy::too_many_arguments)]
fn url_fingerprint(
    findings: &mut Vec<Finding>,
    checks: &mut Vec<Check>,
    v: &VerifyUrl,
    stream: &Stream,
    fp: &str,
    input: &str,
    anchors: &[ScopeAnchor],
) {
    let tenant = stream.scope.tenant_id.as_str();
    let Some(stated) = v.hash.as_deref().filter(|h| parse_hex(h).is_some()) else {
        checks.push(
            Check::new(
                "url_fingerprint",
                Status::NotPossible,
                "the verification URL has no valid hash to compare the live fingerprint with",
            )
            .input(input)
            .tenant(tenant),
        );
        return;
    };
    if stream.unreadable > 0 {
        checks.push(
            Check::new(
                "url_fingerprint",
                Status::NotPossible,
                format!(
                    "{} live record(s) are unreadable, so the scope's fingerprint cannot be recomputed",
                    stream.unreadable
                ),
            )
            .input(input)
            .tenant(tenant),
        );
        return;
    }
    let n = stream.fp.count();
    if stated == fp {
        checks.push(
            Check::new(
                "url_fingerprint",
                Status::Passed,
                format!(
                    "the URL's hash equals the fingerprint of the {n} live record(s) of its scope"
                ),
            )
            .input(input)
            .tenant(tenant),
        );
        return;
    }
    if let Some((count, last)) = stream.prefix_match {
        // The URL's export holds exactly the first `count` records; the rest came later.
        checks.push(
            Check::new(
                "url_fingerprint",
                Status::Passed,
                format!(
                    "the URL's hash equals the fingerprint of the first {count} live record(s) of its scope (up to seq {last}); {} were appended since",
                    n - count
                ),
            )
            .input(input)
            .tenant(tenant),
        );
        if anchors.is_empty() {
            findings.push(
                Finding::new(
                    Code::RecordAppended,
                    Some(tenant),
                    Some(last + 1),
                    format!(
                        "{} record(s) were appended to the scope after the export the URL names (its records up to seq {last} are intact): expected growth",
                        n - count
                    ),
                )
                .input(input)
                .seq_end(stream.last_seq.unwrap_or(last + 1)),
            );
        }
        return;
    }
    findings.push(
        Finding::new(
            Code::FingerprintMismatch,
            Some(tenant),
            None,
            format!(
                "the verification URL's hash is not the fingerprint of the {n} live record(s) of its scope, nor of any first part of them: records of the scope were changed, deleted or inserted since the export{}",
                if anchors.is_empty() {
                    " (give the export with --evidence to see which)"
                } else {
                    ""
                }
            ),
        )
        .input(input)
        .values(stated, fp),
    );
    checks.push(
        Check::new(
            "url_fingerprint",
            Status::Failed,
            "the URL's hash against the live records of its scope",
        )
        .input(input)
        .tenant(tenant),
    );
}

fn server_verdict(
    case: &mut Case,
    ans: &VerifyAnswer,
    asked: &str,
    local_fp: &str,
    scope: &Scope,
    name: &str,
) {
    let local_status = if asked == local_fp {
        "verified"
    } else {
        "mismatch"
    };
    let mut why = Vec::new();
    if ans.status != local_status {
        why.push(format!(
            "it says {} where the local recomputation says {local_status}",
            ans.status
        ));
    }
    if ans.computed_hash != local_fp {
        why.push(format!(
            "its computed hash {} is not the local {}",
            ans.computed_hash, local_fp
        ));
    }
    let mut findings = Vec::new();
    if !why.is_empty() {
        findings.push(
            Finding::new(
                Code::ServerVerdictDisagrees,
                Some(&scope.tenant_id),
                None,
                format!(
                    "the service's own verify answer contradicts the records it serves ({}; it counts {} record(s)): a compromised or faulty service must not be trusted",
                    why.join("; "),
                    ans.record_count
                ),
            )
            .input(name)
            .values(ans.computed_hash.clone(), local_fp.to_string()),
        );
    }
    let c = Check::outcome(
        "server_verdict",
        !why.is_empty(),
        format!(
            "the service's verify answer ({}) against the local recomputation",
            ans.status
        ),
    )
    .input(name)
    .tenant(&scope.tenant_id);
    case.add(findings, vec![c]);
}

/// How often a caller waiting for a page looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Pages one scope through `run` with the [`pages`] pipeline; returns the number of pages.
/// The fetcher runs on `rt`, the checker on a thread of its own (with rayon under it), and the
/// absorbing here, on the caller's thread (the sink need not be `Send`).
#[allow(clippy::too_many_arguments)]
fn fetch_scope(
    rt: &tokio::runtime::Runtime,
    api: &Api,
    scope: &Scope,
    stream: &mut Stream,
    run: &mut SourceRun,
    input: &str,
    opts: &LiveOptions<'_>,
    sink: &mut RecordSink<'_>,
) -> Result<u64, LiveError> {
    opts.check_cancel(|| format!("{input}: after 0 page(s), 0 record(s)"))?;
    let (page_tx, mut page_rx) = tokio::sync::mpsc::channel(pages::AHEAD);
    let fetcher = rt.spawn(pages::fetch_pages(
        api.clone(),
        VerifyUrl::scope_query(scope),
        PAGE_LIMIT,
        page_tx,
    ));
    let (checked_tx, checked_rx) = std::sync::mpsc::sync_channel(1);
    let body = std::mem::replace(&mut stream.body, Context::new(&SHA256));
    let (result, body) = std::thread::scope(|threads| {
        let checker = threads.spawn(move || {
            let mut checker = pages::Checker {
                scope,
                body,
                index: 0,
            };
            // Ends when the fetcher is done or gone, or when the caller stopped listening.
            while let Some(page) = page_rx.blocking_recv() {
                if checked_tx.send(page.map(|p| checker.check(p))).is_err() {
                    break;
                }
            }
            checker.body
        });
        let result = absorb_pages(checked_rx, stream, run, input, opts, sink);
        // Stops the fetcher (a no-op when it is done), which ends the checker.
        fetcher.abort();
        let body = checker
            .join()
            .map_err(|_| LiveError::Runtime("the page checker panicked".into()));
        (result, body)
    });
    stream.body = body?;
    result
}

/// The caller's end of the pipeline: absorbs each checked page in order, looking at the cancel
/// flag while it waits.
fn absorb_pages(
    rx: std::sync::mpsc::Receiver<Result<pages::CheckedPage, LiveError>>,
    stream: &mut Stream,
    run: &mut SourceRun,
    input: &str,
    opts: &LiveOptions<'_>,
    sink: &mut RecordSink<'_>,
) -> Result<u64, LiveError> {
    let mut pages = 0u64;
    loop {
        let cancelled = |stream: &Stream| {
            opts.check_cancel(|| {
                format!(
                    "{input}: after {pages} page(s), {} record(s)",
                    stream.records
                )
            })
        };
        cancelled(stream)?;
        let page = loop {
            match rx.recv_timeout(CANCEL_POLL) {
                Ok(page) => break page?,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => cancelled(stream)?,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(LiveError::Runtime(format!(
                        "{input}: the paging stopped after {pages} page(s) without reaching the last page"
                    )))
                }
            }
        };
        pages += 1;
        stream.bytes += page.bytes;
        for p in page.records {
            stream.absorb(run, p, input, sink);
        }
        opts.progress.page(input, pages, stream.records);
        if page.last {
            return Ok(pages);
        }
    }
}

/// The live record at an export's chain-head seq against the head the export states.
async fn check_anchor(
    api: &Api,
    tenant: &str,
    export: &str,
    hs: u64,
    hh: &str,
    head: &HeadAnswer,
    name: &str,
) -> Result<(Vec<Finding>, Vec<Check>), LiveError> {
    let mut findings = Vec::new();
    let q = [
        ("tenant_id", tenant.to_string()),
        ("after_seq", hs.saturating_sub(1).to_string()),
        ("limit", "1".to_string()),
    ];
    let body = api.get("/api/v1/audit/records", &q).await?;
    let page = pages::Page::parse(&body)?;
    let at = page.records.first().map(|r| {
        let raw = RawRecord {
            loc: Location::Index(0),
            data: RawData::Json(r.get().as_bytes().to_vec()),
        };
        record::check(raw, &mut Vec::new())
    });
    let at = at.filter(|c| c.seq == Some(hs));
    match at {
        None if head.seq < hs => findings.push(
            Finding::new(
                Code::ChainTruncated,
                Some(tenant),
                Some(hs),
                format!(
                    "the live chain ends at seq {} but {export} states the chain reached seq {hs}: the tail of the log was cut off",
                    head.seq
                ),
            )
            .input(name)
            .other_input(export)
            .values(hh, "(absent)"),
        ),
        None => findings.push(
            Finding::new(
                Code::AnchorMismatch,
                Some(tenant),
                Some(hs),
                format!("the live chain lacks seq {hs}, the chain head {export} states: it was deleted"),
            )
            .input(name)
            .other_input(export)
            .values(hh, "(absent)"),
        ),
        Some(c) => {
            let live = c.stored_hash.map(|d| hex(&d)).unwrap_or_default();
            if live != hh {
                findings.push(
                    Finding::new(
                        Code::AnchorMismatch,
                        Some(tenant),
                        Some(hs),
                        format!(
                            "the chain head {export} states for seq {hs} differs from the live record at that seq: the chain was rewritten after the export"
                        ),
                    )
                    .input(name)
                    .other_input(export)
                    .values(hh, live),
                );
            }
        }
    }
    if head.seq > hs && findings.is_empty() {
        findings.push(
            Finding::new(
                Code::RecordAppended,
                Some(tenant),
                Some(hs + 1),
                format!(
                    "the tenant's chain grew from seq {hs} ({export}'s chain head) to seq {} since the export: expected growth",
                    head.seq
                ),
            )
            .input(name)
            .other_input(export)
            .seq_end(head.seq),
        );
    }
    let failed = findings.iter().any(|f| f.code != Code::RecordAppended);
    let c = Check::outcome(
        "live_anchor",
        failed,
        format!("the chain head {export} states (seq {hs}) against the live record at that seq"),
    )
    .input(name)
    .tenant(tenant);
    Ok((findings, vec![c]))
}
