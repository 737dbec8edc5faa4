//! The scope stream: one scope's live records paged through the API ([`pages`]) and absorbed
//! one at a time into a core [`SourceRun`] (record hashes, chain, the exports' records) while
//! this stream measures what the checks ([`checks`](crate::checks)) compare: the scope's
//! fingerprint, recomputed as the records arrive, the fingerprint of the records up to each
//! export's chain head ([`Cut`]), the first prefix that matches the URL's hash, seq order, scope
//! membership, the highest seq per tenant and the digest of every page body.
//!
//! Invariants:
//! * each record is absorbed exactly once, in the order the service sent it, and handed to the
//!   record sink before the case absorbs it; no page is kept after it is absorbed;
//! * a cut's fingerprint covers exactly the records before the first one above its bound (the
//!   export's chain head), or every record when none is above it: it is taken as that record
//!   arrives, never recomputed;
//! * the prefix that matches the URL's hash is looked for after every record (the empty prefix
//!   included) until one matches, and only in the URL's own scope;
//! * the body digest covers every page body in order, whatever the records in it (the live
//!   input's SHA-256, chain of custody);
//! * the check stops between pages when cancelled, and a paging that ends before the last page
//!   is an error, never a short scope.

pub(crate) mod pages;

use std::collections::BTreeMap;
use std::time::Duration;

use ring::digest::{Context, SHA256};
use trailproof_core::case::{Case, SourceRun};
use trailproof_core::chain::Mode;
use trailproof_core::finding::{Code, Finding};
use trailproof_core::fingerprint::{self, FingerprintHasher};
use trailproof_core::record::{self, hex};
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

use crate::api::Client;
use crate::{LiveError, LiveOptions, RecordSink, PAGE_LIMIT};

/// How often a caller waiting for a page looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// An evidence export of the scope a stream reads: what its live records are compared with.
pub(crate) struct ScopeExport {
    /// The export's input name.
    pub input: String,
    /// The seq of the chain head the export states, if it states one.
    pub chain_head_seq: Option<u64>,
    /// The scope fingerprint the export states, if it states one.
    pub fingerprint: Option<String>,
}

impl ScopeExport {
    /// The exports of `case` whose scope is `scope`, in input order.
    pub fn of(case: &Case, scope: &Scope) -> Vec<ScopeExport> {
        case.exports()
            .iter()
            .filter(|a| a.scope.as_ref() == Some(scope))
            .map(|a| ScopeExport {
                input: a.input.clone(),
                chain_head_seq: a.chain_head.map(|(seq, _)| seq),
                fingerprint: a.fingerprint.clone(),
            })
            .collect()
    }
}

/// The live records of the scope up to one export's chain head: their fingerprint, and the
/// records above it.
pub(crate) struct Cut {
    /// The export (index in [`ScopeStream::exports`]).
    export: usize,
    /// The export's chain-head seq: the cut holds the records with `seq <= bound`.
    pub bound: u64,
    /// Fingerprint of the records in the cut (set when the first record above the bound
    /// arrives, or at the end).
    pub digest: Option<String>,
    /// Records in the cut's fingerprint.
    pub count: u64,
    /// Records above the bound, and the seq of the first of them.
    pub above: u64,
    pub first_above: Option<u64>,
}

/// The streaming state of one scope's records.
pub(crate) struct ScopeStream {
    pub scope: Scope,
    /// The live input's name: `live:<origin>`, or `live:<origin>?<scope>` for the scope of an
    /// export that is not the URL's.
    pub input: String,
    fingerprint: FingerprintHasher,
    /// The bytes that close the scope's fingerprint object (for a peek after every record).
    closing: Vec<u8>,
    /// The URL hash to look for among all prefixes (the URL's scope only).
    url_hash: Option<[u8; 32]>,
    /// (records in the prefix that matches the URL's hash, its last seq).
    pub prefix_match: Option<(u64, u64)>,
    /// The exports of this scope.
    pub exports: Vec<ScopeExport>,
    /// One per export that states a chain head, in the order of `exports`.
    cuts: Vec<Cut>,
    /// Records that could not be parsed.
    pub unreadable: u64,
    pub last_seq: Option<u64>,
    /// Records whose seq is not above the one before.
    pub order_problems: u64,
    /// A `scope_violation` finding per record outside the scope.
    pub out_of_scope: Vec<Finding>,
    /// Digest of every page body, in order (the live input's SHA-256).
    body: Context,
    /// Bytes of every page body.
    pub bytes: u64,
    pub records: u64,
    /// Highest seq seen per tenant.
    pub max_seq: BTreeMap<String, u64>,
}

impl ScopeStream {
    /// A stream of `scope`'s records read as `input`, looking for a prefix whose fingerprint
    /// is `url_hash` (when given), and cut at the chain head of each of `exports`.
    pub fn new(
        scope: Scope,
        input: String,
        url_hash: Option<[u8; 32]>,
        exports: Vec<ScopeExport>,
    ) -> ScopeStream {
        let cuts = exports
            .iter()
            .enumerate()
            .filter_map(|(export, e)| {
                e.chain_head_seq.map(|bound| Cut {
                    export,
                    bound,
                    digest: None,
                    count: 0,
                    above: 0,
                    first_above: None,
                })
            })
            .collect();
        let mut s = ScopeStream {
            closing: fingerprint::closing(&scope),
            scope,
            input,
            fingerprint: FingerprintHasher::new(),
            url_hash,
            prefix_match: None,
            exports,
            cuts,
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

    /// How the core checks the chain of this scope's records: the whole chain when the scope is
    /// a whole tenant, the links between consecutive seqs otherwise.
    pub fn chain_mode(&self) -> Mode {
        let whole_tenant = self.scope.filters().iter().all(|(_, v)| v.is_none());
        if whole_tenant {
            Mode::Full
        } else {
            Mode::Subset
        }
    }

    /// Each export that states a chain head, with its cut.
    pub fn export_cuts(&self) -> impl Iterator<Item = (&ScopeExport, &Cut)> {
        self.cuts.iter().map(|cut| (&self.exports[cut.export], cut))
    }

    /// Records in the scope's fingerprint so far (the readable ones).
    pub fn fingerprinted(&self) -> u64 {
        self.fingerprint.count()
    }

    /// Digest of the records pushed so far, without closing the stream.
    fn prefix_digest(&self) -> [u8; 32] {
        self.fingerprint.peek_closed(&self.closing)
    }

    fn check_prefix(&mut self, seq: u64) {
        if let Some(w) = self.url_hash {
            if self.prefix_match.is_none() && self.prefix_digest() == w {
                self.prefix_match = Some((self.fingerprint.count(), seq));
            }
        }
    }

    fn absorb(&mut self, run: &mut SourceRun, p: pages::Prepared, sink: &mut RecordSink) {
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
                        cut.digest = Some(hex(&self.fingerprint.peek_closed(&self.closing)));
                        cut.count = self.fingerprint.count();
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
                self.fingerprint.push_canonical(&canonical);
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
                        .input(&self.input)
                        .at(c.loc),
                    );
                }
            }
            None => self.unreadable += 1,
        }
        if self.url_hash.is_some() && self.prefix_match.is_none() {
            self.check_prefix(c.seq.unwrap_or(0));
        }
        sink(&self.input, &c);
        run.absorb(c);
    }

    /// Ends the stream: the cuts not taken yet cover every record; returns the scope's
    /// fingerprint (hex).
    pub fn finish(&mut self) -> String {
        for cut in self.cuts.iter_mut() {
            if cut.digest.is_none() {
                cut.digest = Some(hex(&self.fingerprint.peek_closed(&self.closing)));
                cut.count = self.fingerprint.count();
            }
        }
        hex(&self.prefix_digest())
    }

    /// SHA-256 (hex) of every page body read so far, in order.
    pub fn body_sha256(&self) -> String {
        let digest = self.body.clone().finish();
        hex(digest
            .as_ref()
            .try_into()
            .expect("SHA-256 digests are 32 bytes"))
    }
}

/// Pages the stream's scope through `run` with the [`pages`] pipeline; returns the number of
/// pages. The fetcher runs on the client's runtime, the checker on a thread of its own (with
/// rayon under it), and the absorbing here, on the caller's thread (the sink need not be
/// `Send`).
pub(crate) fn fetch_scope(
    client: &Client,
    stream: &mut ScopeStream,
    run: &mut SourceRun,
    opts: &LiveOptions<'_>,
    sink: &mut RecordSink<'_>,
) -> Result<u64, LiveError> {
    opts.check_cancel(|| format!("{}: after 0 page(s), 0 record(s)", stream.input))?;
    let (page_tx, mut page_rx) = tokio::sync::mpsc::channel(pages::AHEAD);
    let fetcher = client.spawn(pages::fetch_pages(
        client.http().clone(),
        VerifyUrl::scope_query(&stream.scope),
        PAGE_LIMIT,
        page_tx,
    ));
    let (checked_tx, checked_rx) = std::sync::mpsc::sync_channel(1);
    // The checker reads its own copy of the scope: the stream is the caller's meanwhile.
    let scope = stream.scope.clone();
    let scope = &scope;
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
        let result = absorb_pages(checked_rx, stream, run, opts, sink);
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
    stream: &mut ScopeStream,
    run: &mut SourceRun,
    opts: &LiveOptions<'_>,
    sink: &mut RecordSink<'_>,
) -> Result<u64, LiveError> {
    let mut pages = 0u64;
    loop {
        let cancelled = |stream: &ScopeStream| {
            opts.check_cancel(|| {
                format!(
                    "{}: after {pages} page(s), {} record(s)",
                    stream.input, stream.records
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
                        "{}: the paging stopped after {pages} page(s) without reaching the last page",
                        stream.input
                    )))
                }
            }
        };
        pages += 1;
        stream.bytes += page.bytes;
        for p in page.records {
            stream.absorb(run, p, sink);
        }
        opts.progress.page(&stream.input, pages, stream.records);
        if page.last {
            return Ok(pages);
        }
    }
}
