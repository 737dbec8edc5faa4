//! Per-tenant hash chains (AEF/1 section 3).
//!
//! A [`Chains`] collects one compact [`Entry`] per record (seq, stored hashes, whether the record
//! hashed to its own hash, timestamp, location), never the record itself. Records may arrive in
//! any order: the entries go into an external sort (`spill::Sorter`) that writes sorted
//! runs to an anonymous temporary file past [`CHAIN_BUDGET`] bytes, so a dump of any size checks
//! in flat memory. [`Chains::analyze`] reads each tenant back in (seq, location) order and checks
//! every record against the one before it, reporting `seq_gap`, `seq_duplicate`,
//! `genesis_invalid`, `chain_link_broken` and `timestamp_regression`, naming the likely cause
//! where the evidence shows it. Entries that cannot be written to the temporary file stay in
//! memory; if a written run cannot be read back, the chain checks of the tenants concerned end
//! as not possible, with the reason: they are never skipped.
//!
//! Chains [`Chains::scanning`] their input also check each tenant as its entries arrive, which
//! is the whole analysis while every tenant arrives in (seq, location) order. An input its
//! reader can read again ([`Chains::rereadable`]) then stops keeping entries past
//! [`ORDERED_KEEP`] bytes; one entry out of order after that, and the chains ask to be fed the
//! whole input again ([`Chains::needs_reread`]). Chains that dropped entries never analyse
//! what they do not hold: without that second read, their checks end as not possible.
//!
//! Two modes: a dump holds a whole chain ([`Mode::Full`]: gaps are deletions, seq 1 must be
//! there); an export holds a scope's subset ([`Mode::Subset`]: only records with consecutive
//! seqs can be linked, and absent seqs are expected).

use std::io;
use std::path::Path;

mod scan;

use scan::{Scan, Scanned};

use crate::finding::{Check, Finding, Status};
use crate::record::{hex, Checked, Digest, Location};
use crate::spill::{Interner, Sorter};
use crate::time::Instant;

/// What one record contributes to its chain.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// The record's seq.
    pub seq: u64,
    /// Its stored `hash`, when readable.
    #[serde(with = "crate::spill::opt_digest")]
    pub stored: Option<Digest>,
    /// Its stored `prev_hash`, when readable.
    #[serde(with = "crate::spill::opt_digest")]
    pub prev: Option<Digest>,
    /// Whether the record hashes to its own stored hash (`None` when either is unknown).
    pub content_ok: Option<bool>,
    /// Its timestamp in nanoseconds since the Unix epoch, when readable.
    pub ts: Option<i64>,
    /// Where the record is in its input.
    pub loc: Location,
}

impl Entry {
    /// The tenant and chain entry of a checked record (`None` without a readable tenant or
    /// seq).
    pub fn from_checked(c: &Checked) -> Option<(&str, Entry)> {
        Some((
            c.tenant_id.as_deref()?,
            Entry {
                seq: c.seq?,
                stored: c.stored_hash,
                prev: c.prev_hash,
                content_ok: c.content_ok(),
                ts: c.timestamp.as_ref().map(|t| t.nanos),
                loc: c.loc,
            },
        ))
    }
}

/// Whether an input holds whole chains or a scope's subset of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Whole chains (a dump): gaps are deletions, seq 1 must be there.
    Full,
    /// A scope's subset of chains (an export, a live query): absent seqs are expected.
    Subset,
}

/// Summary of one tenant's chain in one input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TenantSummary {
    /// The tenant.
    pub tenant_id: String,
    /// Records of the tenant in the input.
    pub records: u64,
    /// The lowest seq.
    pub first_seq: u64,
    /// The highest seq.
    pub last_seq: u64,
    /// Stored hash of the record with the highest seq.
    pub head_hash: Option<String>,
    /// Canonical timestamp of the record with the lowest seq, when readable.
    pub first_timestamp: Option<String>,
    /// Canonical timestamp of the record with the highest seq, when readable.
    pub last_timestamp: Option<String>,
}

/// Bytes of chain entries one input holds in memory before a sorted run of them is written to
/// a temporary file (see [`crate::spill`]).
pub const CHAIN_BUDGET: usize = 16 << 20;

/// Bytes of chain entries an input that can be read again keeps while every tenant arrives in
/// order ([`Chains::rereadable`]): a small dump is analysed as before, a big one stops keeping
/// them.
pub const ORDERED_KEEP: usize = 1 << 20;

/// Sort key of an entry: tenant (by first appearance), seq, location.
type Key = (u32, u64, Location);

/// What a [`Chains`] keeps of the entries pushed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    /// Every entry, in the external sort.
    All,
    /// Every entry until this many bytes of them are held while every tenant arrives in order;
    /// then they are dropped ([`Chains::rereadable`]).
    UntilOrdered(usize),
    /// None: while every tenant arrives in order the scans are the analysis; once one does
    /// not, the input must be read again ([`Chains::needs_reread`]).
    Dropped,
}

/// Chain entries of every tenant of one input, kept in an external sort so that memory stays
/// flat however many records the input holds.
pub struct Chains {
    /// Tenant names by the number their entries are keyed with.
    tenants: Interner,
    sorter: Sorter<Key, Entry>,
    /// Each tenant's chain checked as its entries arrive ([`Chains::scanning`]).
    live: Option<Live>,
    store: Store,
}

/// The chains of one input checked as their entries arrive, while every tenant's arrive in
/// (seq, location) order, the order [`Chains::analyze`] reads them back in: the checks are
/// then the same, and the sort is not read back at all. One entry out of that order drops
/// them all, and the sort decides.
struct Live {
    input: String,
    mode: Mode,
    /// By tenant number: the last key seen and the scan so far.
    scans: Vec<((u64, Location), Scan)>,
    ordered: bool,
}

impl Default for Chains {
    fn default() -> Self {
        Chains::with_spill(&std::env::temp_dir(), CHAIN_BUDGET)
    }
}

impl std::fmt::Debug for Chains {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chains")
            .field("tenants", &self.tenants.names())
            .field("entries", &self.sorter.len())
            .field("spilled_runs", &self.sorter.spilled_runs())
            .field("store", &self.store)
            .finish()
    }
}

fn ts_text(ts: Option<i64>) -> String {
    ts.map(|n| Instant { nanos: n }.canonical())
        .unwrap_or_else(|| "(unreadable)".into())
}

fn dig(d: Option<Digest>) -> String {
    d.map(|d| hex(&d)).unwrap_or_else(|| "(unreadable)".into())
}

impl Chains {
    /// Chains that spill sorted runs to `dir` once their entries pass `budget` bytes.
    pub fn with_spill(dir: &Path, budget: usize) -> Self {
        Chains {
            tenants: Interner::default(),
            sorter: Sorter::new(dir, budget),
            live: None,
            store: Store::All,
        }
    }

    /// Also checks each tenant's chain as its entries arrive, for [`Chains::analyze`] with the
    /// same `input` and `mode`: an input whose tenants each arrive in seq order (a dump as the
    /// service writes it) is then analysed without reading its sorted entries back.
    pub fn scanning(mut self, input: &str, mode: Mode) -> Self {
        self.live = Some(Live {
            input: input.to_owned(),
            mode,
            scans: Vec::new(),
            ordered: true,
        });
        self
    }

    /// For chains [`Chains::scanning`] an input that its reader can read again: once `keep`
    /// bytes of entries are held while every tenant still arrives in order, they are dropped
    /// and no more are kept (the scans check the chains, so a dump as the service writes it is
    /// checked in the memory of one entry per tenant, without writing or sorting its entries).
    /// Should an entry then arrive out of order, [`Chains::needs_reread`] says so, and the
    /// caller reads the input again into chains that keep every entry.
    pub fn rereadable(mut self, keep: usize) -> Self {
        if self.live.is_some() && self.store != Store::Dropped {
            self.store = Store::UntilOrdered(keep);
        }
        self
    }

    /// Whether these chains dropped their entries and then met one out of order: only a second
    /// read of the input can check them ([`Chains::rereadable`]).
    pub fn needs_reread(&self) -> bool {
        self.store == Store::Dropped && !self.checked_as_they_arrive()
    }

    /// Adds the chain entry of one record of `tenant`.
    pub fn push(&mut self, tenant: &str, e: Entry) {
        let (id, _) = self.tenants.id(tenant);
        if self.store != Store::Dropped {
            // A run that cannot be written stays in memory (a failed push loses nothing): keep
            // the rest there too rather than try the disk again on every record.
            if self.sorter.push((id, e.seq, e.loc), &e).is_err() {
                self.sorter.keep_in_memory();
            }
        }
        self.scan(id, tenant, e);
        if let Store::UntilOrdered(keep) = self.store {
            if self.checked_as_they_arrive() && self.sorter.held() >= keep {
                self.sorter = self.sorter.emptied();
                self.store = Store::Dropped;
            }
        }
    }

    /// Steps the scan of tenant `id` while every tenant arrives in order.
    fn scan(&mut self, id: u32, tenant: &str, e: Entry) {
        if let Some(live) = self.live.as_mut().filter(|l| l.ordered) {
            let key = (e.seq, e.loc);
            let known = live.scans.len();
            match live.scans.get_mut(id as usize) {
                Some((last, scan)) if *last <= key => {
                    *last = key;
                    scan.step(e);
                }
                None if known == id as usize => {
                    let mut scan = Scan::new(tenant, live.mode, &live.input);
                    scan.step(e);
                    live.scans.push((key, scan));
                }
                _ => {
                    live.ordered = false;
                    live.scans = Vec::new();
                }
            }
        }
    }

    /// Whether every tenant's entries so far arrived in order and are being checked as they
    /// arrive.
    pub fn checked_as_they_arrive(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.ordered)
    }

    /// Runs written to temporary files so far.
    pub fn spilled_runs(&self) -> usize {
        self.sorter.spilled_runs()
    }

    /// Sorts every tenant by seq (then location) and returns the chain findings, checks and
    /// summaries of this input, tenant by tenant in name order. Entries are read back in one
    /// merged pass; a tenant whose entries could not be read back gets its checks as not
    /// possible, with the reason.
    pub fn analyze(
        self,
        input: &str,
        mode: Mode,
    ) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>) {
        let Chains {
            tenants,
            sorter,
            live,
            store,
        } = self;
        let mut done: Vec<Option<Result<Scanned, String>>> =
            (0..tenants.len()).map(|_| None).collect();
        let failure = |e: &io::Error| {
            format!("the chain entries could not be read back from their temporary file ({e}), so the chain was not checked")
        };
        let live = live.filter(|l| l.ordered && l.input == input && l.mode == mode);
        let dropped = store == Store::Dropped;
        match live.map(|l| l.scans).ok_or_else(|| sorter.finish()) {
            Err(_) if dropped => {
                let why = "the chain entries were dropped to keep memory flat, and the input was not read again to check them, so the chain was not checked";
                done.iter_mut().for_each(|d| *d = Some(Err(why.into())));
            }
            Ok(scans) => {
                for (d, (_, scan)) in done.iter_mut().zip(scans) {
                    *d = Some(Ok(scan.finish()));
                }
            }
            Err(Err(e)) => done.iter_mut().for_each(|d| *d = Some(Err(failure(&e)))),
            Err(Ok(sorted)) => {
                let mut scan: Option<(u32, Scan)> = None;
                for item in sorted {
                    match item {
                        Ok(((id, _, _), e)) => {
                            if scan.as_ref().map(|(s, _)| *s) != Some(id) {
                                let next = (id, Scan::new(tenants.name(id), mode, input));
                                if let Some((s, sc)) = scan.replace(next) {
                                    done[s as usize] = Some(Ok(sc.finish()));
                                }
                            }
                            if let Some((_, sc)) = &mut scan {
                                sc.step(e);
                            }
                        }
                        Err(e) => {
                            // The tenant being read and every later one are not checked.
                            let why = failure(&e);
                            for d in done.iter_mut().filter(|d| d.is_none()) {
                                *d = Some(Err(why.clone()));
                            }
                            scan = None;
                            break;
                        }
                    }
                }
                if let Some((s, sc)) = scan {
                    done[s as usize] = Some(Ok(sc.finish()));
                }
            }
        }
        outcomes(&tenants, done, input, mode)
    }

    /// The chain checks of every tenant as not possible, for `why` (the input could not be
    /// read again when [`Chains::needs_reread`] asked for it): no finding, no summary.
    pub fn not_checked(
        self,
        input: &str,
        mode: Mode,
        why: &str,
    ) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>) {
        let done = (0..self.tenants.len())
            .map(|_| Some(Err(why.to_owned())))
            .collect();
        outcomes(&self.tenants, done, input, mode)
    }
}

/// Each tenant's scan (or why it has none) turned into the findings, checks and summaries of
/// `input`, tenant by tenant in name order.
fn outcomes(
    tenants: &Interner,
    mut done: Vec<Option<Result<Scanned, String>>>,
    input: &str,
    mode: Mode,
) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>) {
    let mut order: Vec<u32> = (0..tenants.len() as u32).collect();
    order.sort_by(|&a, &b| tenants.name(a).cmp(tenants.name(b)));
    let mut findings = Vec::new();
    let mut checks = Vec::new();
    let mut summaries = Vec::new();
    for id in order {
        let t = tenants.name(id);
        match done[id as usize].take() {
            Some(Ok(sc)) => {
                sc.checks(t, mode, input, &mut checks);
                summaries.push(sc.summary(t));
                findings.extend(sc.findings);
            }
            Some(Err(why)) => {
                let ids: &[&str] = match mode {
                    Mode::Full => &[
                        "chain_links",
                        "seq_continuity",
                        "genesis",
                        "timestamp_order",
                    ],
                    Mode::Subset => &["chain_links", "seq_unique", "timestamp_order"],
                };
                for id in ids {
                    checks.push(
                        Check::new(id, Status::NotPossible, why.clone())
                            .input(input)
                            .tenant(t),
                    );
                }
            }
            // A tenant with no entry cannot be named (it was named by its first entry).
            None => {}
        }
    }
    (findings, checks, summaries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Code;
    use crate::record::GENESIS;

    fn d(b: u8) -> Option<Digest> {
        Some([b; 32])
    }

    /// Entry `seq` of a chain where record n hashes to [n; 32] and links to [n - 1; 32].
    fn e(seq: u64, row: u64) -> Entry {
        Entry {
            seq,
            stored: d(seq as u8),
            prev: if seq == 1 {
                Some(GENESIS)
            } else {
                d(seq as u8 - 1)
            },
            content_ok: Some(true),
            ts: Some(seq as i64 * 1000),
            loc: Location::Row(row),
        }
    }

    /// Tenant "b": seq 1..=9 with seq 4 deleted (seq 5 still names it), seq 6 twice (the second copy's hash differs),
    /// seq 8's prev_hash rewritten and seq 9 backdated; tenant "a": seq 2..=3 (start missing).
    /// Pushed out of order, "b" first, so order by name is not order of arrival.
    fn entries() -> Vec<(String, Entry)> {
        let mut b: Vec<Entry> = [1, 2, 3, 5, 6, 6, 7, 8, 9]
            .iter()
            .enumerate()
            .map(|(i, &s)| e(s, i as u64 + 1))
            .collect();
        b[5].stored = d(0xee);
        b[7].prev = d(0xaa);
        b[8].ts = Some(1);
        let mut all: Vec<(String, Entry)> = Vec::new();
        // Reverse order with the two tenants interleaved.
        for (i, x) in b.into_iter().enumerate().rev() {
            all.push(("b".into(), x));
            if i == 4 {
                all.push(("a".into(), e(3, 20)));
                all.push(("a".into(), e(2, 21)));
            }
        }
        all
    }

    fn analyzed(mut c: Chains) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>, usize) {
        for (t, x) in entries() {
            c.push(&t, x);
        }
        let runs = c.spilled_runs();
        let (f, k, s) = c.analyze("dump.sqlite", Mode::Full);
        (f, k, s, runs)
    }

    #[test]
    fn spilled_and_in_memory_chains_give_the_same_findings_in_order() {
        let dir = std::env::temp_dir();
        let (f, k, s, runs) = analyzed(Chains::with_spill(&dir, usize::MAX));
        let (f2, k2, s2, runs2) = analyzed(Chains::with_spill(&dir, 1));
        assert_eq!(runs, 0);
        assert_eq!(runs2, 11, "one run per entry");
        assert_eq!((&f, &k, &s), (&f2, &k2, &s2));
        let got: Vec<(&str, Code, u64)> = f
            .iter()
            .map(|x| (x.tenant_id.as_deref().unwrap(), x.code, x.seq.unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", Code::SeqGap, 1),
                ("b", Code::SeqGap, 4),
                ("b", Code::ChainLinkBroken, 5),
                ("b", Code::SeqDuplicate, 6),
                ("b", Code::ChainLinkBroken, 8),
                ("b", Code::TimestampRegression, 9),
            ]
        );
        // The duplicate names both rows; seq 7 links to the first copy of seq 6 (no finding).
        assert_eq!(f[3].location.as_deref(), Some("row 6"));
        assert!(
            f[3].message.contains("(row 5 and row 6)"),
            "{}",
            f[3].message
        );
        assert_eq!(f[4].expected.as_deref(), Some(hex(&[7; 32]).as_str()));
        assert_eq!(f[4].computed.as_deref(), Some(hex(&[0xaa; 32]).as_str()));
        let b = &s[1];
        assert_eq!(
            (s[0].tenant_id.as_str(), s[0].first_seq, s[0].last_seq),
            ("a", 2, 3)
        );
        assert_eq!((b.records, b.first_seq, b.last_seq), (9, 1, 9));
        assert_eq!(b.head_hash, Some(hex(&[9; 32])));
        let status = |t: &str, id: &str| {
            k.iter()
                .find(|c| c.tenant_id.as_deref() == Some(t) && c.check == id)
                .map(|c| c.status)
        };
        assert_eq!(status("a", "genesis"), Some(Status::Failed));
        assert_eq!(status("b", "genesis"), Some(Status::Passed));
        assert_eq!(status("b", "chain_links"), Some(Status::Failed));
        assert_eq!(status("a", "chain_links"), Some(Status::Passed));
    }

    /// `c` with every entry of `all` pushed in turn.
    fn fed(mut c: Chains, all: &[(String, Entry)]) -> Chains {
        for (t, x) in all {
            c.push(t, x.clone());
        }
        c
    }

    /// Every entry of `all` pushed in turn, analysed as a dump.
    fn analyzed_from(
        c: Chains,
        all: &[(String, Entry)],
    ) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>, bool) {
        let c = fed(c, all);
        let live = c.checked_as_they_arrive();
        let (f, k, s) = c.analyze("dump.sqlite", Mode::Full);
        (f, k, s, live)
    }

    #[test]
    fn chains_checked_as_they_arrive_equal_the_sorted_reading() {
        let dir = std::env::temp_dir();
        let sorted_only = || Chains::with_spill(&dir, 1);
        let scanning = |mode| Chains::with_spill(&dir, 1).scanning("dump.sqlite", mode);
        // The tenants interleaved, each in (seq, row) order: gaps, a duplicate, broken links
        // and a regression all found as they arrive.
        let mut in_order = entries();
        in_order.sort_by_key(|(_, x)| (x.seq, x.loc));
        let want = analyzed_from(sorted_only(), &in_order);
        let got = analyzed_from(scanning(Mode::Full), &in_order);
        assert!(got.3, "every tenant arrived in order");
        assert_eq!((&got.0, &got.1, &got.2), (&want.0, &want.1, &want.2));
        assert_eq!(want.0.len(), 6);
        // Out of order (the fixture's reverse order): the sort decides, with the same result.
        let got = analyzed_from(scanning(Mode::Full), &entries());
        assert!(!got.3);
        assert_eq!((&got.0, &got.1, &got.2), (&want.0, &want.1, &want.2));
        // Scans made for another mode are not used.
        let subset = analyzed_from(scanning(Mode::Subset), &in_order);
        assert!(subset.3);
        assert_eq!((&subset.0, &subset.1), (&want.0, &want.1));
    }

    #[test]
    fn rereadable_chains_drop_their_entries_while_in_order_and_ask_for_a_reread_after() {
        let dir = std::env::temp_dir();
        let mut in_order = entries();
        in_order.sort_by_key(|(_, x)| (x.seq, x.loc));
        let want = analyzed_from(Chains::with_spill(&dir, usize::MAX), &in_order);
        let rereadable = |keep| {
            Chains::with_spill(&dir, usize::MAX)
                .scanning("dump.sqlite", Mode::Full)
                .rereadable(keep)
        };
        // In order: dropped at the first entry past `keep`, analysed by the scans alone.
        let c = fed(rereadable(1), &in_order);
        assert_eq!((c.store, c.sorter.len()), (Store::Dropped, 0));
        assert!(!c.needs_reread());
        let (f, k, s) = c.analyze("dump.sqlite", Mode::Full);
        assert_eq!((&f, &k, &s), (&want.0, &want.1, &want.2));
        // The last entry (tenant b's seq 9) arrives before the one before it (seq 8): with
        // the entries dropped, only a second read can check the chains.
        let mut swapped = in_order.clone();
        let n = swapped.len();
        swapped.swap(n - 2, n - 1);
        assert_eq!((swapped[n - 1].1.seq, swapped[n - 2].1.seq), (8, 9));
        let c = fed(rereadable(1), &swapped);
        assert!(c.needs_reread());
        let (f, k, s) = c.analyze("dump.sqlite", Mode::Full);
        assert!(f.is_empty() && s.is_empty());
        assert_eq!(k.len(), 8, "four chain checks of each of two tenants");
        assert!(k.iter().all(|c| c.status == Status::NotPossible
            && c.detail.contains("the chain entries were dropped")));
        // Chains that kept the disordered entries within `keep` analyse them as ever.
        let got = analyzed_from(rereadable(usize::MAX), &swapped);
        assert!(!got.3);
        assert_eq!((&got.0, &got.1, &got.2), (&want.0, &want.1, &want.2));
        // Disorder before anything was dropped: every entry is kept from then on.
        let c = fed(rereadable(1000), &entries());
        assert_eq!((c.store, c.sorter.len()), (Store::UntilOrdered(1000), 11));
        let (f, k, s) = c.analyze("dump.sqlite", Mode::Full);
        assert_eq!((&f, &k, &s), (&want.0, &want.1, &want.2));
        // What a caller does when asked: not checked, for its reason.
        let c = fed(rereadable(1), &swapped);
        let (_, k, _) = c.not_checked("dump.sqlite", Mode::Full, "the input changed");
        assert_eq!(k.len(), 8);
        assert!(k.iter().all(|c| c.detail == "the input changed"));
    }

    #[test]
    fn entries_that_cannot_be_written_to_disk_are_checked_in_memory() {
        let dir = std::env::temp_dir().join("trailproof-no-such-dir-for-chains");
        let (f, k, s, runs) = analyzed(Chains::with_spill(&dir, 1));
        let (f2, k2, s2, _) = analyzed(Chains::with_spill(&std::env::temp_dir(), usize::MAX));
        assert_eq!(runs, 0);
        assert_eq!(f.len(), 6);
        assert_eq!((f, k, s), (f2, k2, s2));
    }
}
