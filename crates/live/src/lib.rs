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
//! Speed: a scope's pages go through a pipeline ([`scope_stream::pages`]): page k+2 is fetched while page k+1
//! is canonicalized and hashed on all cores (with the page's own digest alongside) and page k is
//! absorbed; only the fingerprint's hash and the chain logic are sequential. Each record is
//! serialized once: its full canonical bytes (for the fingerprint) are its hashed bytes with
//! `hash` spliced in.
#![forbid(unsafe_code)]

mod api;
mod copies;
pub mod http;
mod investigate;
mod scope_stream;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use trailproof_core::case::Case;
use trailproof_core::finding::{Check, Code, Finding, Status};
use trailproof_core::record::{hex, parse_hex, Checked};
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

use api::{ChainHead, Client, VerifyAnswer};
pub use copies::LiveCopies;
pub use http::{Api, HttpPolicy, Token};
pub use investigate::{
    investigate, investigate_stream, InvestigateError, Investigation, LiveRequest,
};
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
/// timeline [`Collector`](trailproof_core::timeline::Collector)); no page is kept.
pub fn verify_live_with(
    case: &mut Case,
    url_text: &str,
    opts: &LiveOptions,
    sink: &mut RecordSink,
) -> Result<LiveSummary, LiveError> {
    opts.check_cancel(|| "before it started".into())?;
    let runtime = Client::new_runtime()?;
    let v = VerifyUrl::parse(url_text)?;
    let scope = v.scope().map_err(|e| LiveError::Scope(e.0))?;
    let base = opts.api_base.clone().unwrap_or_else(|| v.origin.clone());
    let api = Api::new(
        &base,
        &opts.token,
        opts.ca_pem.as_deref(),
        opts.policy.clone(),
    )?;
    let client = Client::new(runtime, api);
    let name = format!("live:{}", v.origin);
    let mut summary = LiveSummary {
        api_base: client.http().base().to_string(),
        ..Default::default()
    };
    url_checks(case, &v, &name);
    let url_hash = v.hash.as_deref().and_then(parse_hex);
    // The service's own verify answer does not depend on the paging: when the URL states a
    // hash, it is asked for at once and computed by the service while the records are paged.
    let url_hash_text = v.hash.clone().filter(|h| parse_hex(h).is_some());
    let early_verify = url_hash_text.clone().map(|h| client.ask_verify(&scope, h));

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
    for (i, (s, input)) in scopes.into_iter().enumerate() {
        let exports = ScopeExport::of(case, &s);
        let want = if i == 0 { url_hash } else { None };
        let mut stream = ScopeStream::new(s, input, want, exports);
        let mut run = case.source_scoped(&stream.input, "live", stream.chain_mode(), &stream.scope);
        let pages = scope_stream::fetch_scope(&client, &mut stream, &mut run, opts, sink)?;
        summary.pages += pages;
        summary.records += stream.records;
        let fp = stream.finish();
        let s = &stream.scope;
        let input = stream.input.as_str();
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
        for (export, cut) in stream.export_cuts() {
            let live = cut.digest.clone().unwrap_or_default();
            let head_seq = cut.bound;
            let stated = &export.fingerprint;
            let export = &export.input;
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
            url_fingerprint(&mut findings, &mut checks, &v, &stream, &fp);
            main_fp = Some(fp);
        }
        let sha = stream.body_sha256();
        case.finish_source(run, stream.bytes, sha);
        case.add(findings, checks);
    }
    summary.live_fingerprint = main_fp.clone();
    let main_fp = main_fp.unwrap_or_default();

    // The service's own verdict.
    let asked = url_hash_text.unwrap_or_else(|| main_fp.clone());
    opts.check_cancel(|| "before asking the service's verdict".into())?;
    let ans = match early_verify {
        Some(pending) => client.verify_answer(pending)?,
        None => client.verify(&scope, asked.clone())?,
    };
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
        let head = client.chain_head(t)?;
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
            let live = client.record_at(t, hs)?;
            let (f, c) = check_anchor(live, t, &export, hs, &hh, &head, &name);
            case.add(f, c);
        }
    }
    Ok(summary)
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

fn url_fingerprint(
    findings: &mut Vec<Finding>,
    checks: &mut Vec<Check>,
    v: &VerifyUrl,
    stream: &ScopeStream,
    fp: &str,
) {
    let tenant = stream.scope.tenant_id.as_str();
    let input = stream.input.as_str();
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
    let n = stream.fingerprinted();
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
        if stream.exports.is_empty() {
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
                if stream.exports.is_empty() {
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

/// The live record at an export's chain-head seq against the head the export states.
fn check_anchor(
    at: Option<Checked>,
    tenant: &str,
    export: &str,
    hs: u64,
    hh: &str,
    head: &ChainHead,
    name: &str,
) -> (Vec<Finding>, Vec<Check>) {
    let mut findings = Vec::new();
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
    (findings, vec![c])
}
