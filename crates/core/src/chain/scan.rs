//! One tenant's chain checked entry by entry in (seq, location) order ([`Scan`]), holding only
//! the first, the previous and the last entry, and what the scan found ([`Scanned`]): the
//! findings, the checks and the tenant's summary.

use super::{dig, ts_text, Entry, Mode, TenantSummary};
use crate::finding::{Check, Code, Finding, Status};
use crate::record::{hex, GENESIS};

/// What one tenant's scan found.
pub(super) struct Scanned {
    first: Entry,
    last: Entry,
    n: usize,
    pub(super) findings: Vec<Finding>,
}

impl Scanned {
    pub(super) fn checks(&self, t: &str, mode: Mode, input: &str, checks: &mut Vec<Check>) {
        let f = &self.findings;
        let count = |c: Code| f.iter().filter(|x: &&Finding| x.code == c).count();
        let n = self.n;
        let (first, last) = (self.first.seq, self.last.seq);
        let mk = |id: &str, failed: usize, what: &str| {
            let detail = if failed == 0 {
                format!("{what}: all {n} records of seq {first}..{last}")
            } else {
                format!("{what}: {failed} finding(s) among {n} records of seq {first}..{last}")
            };
            Check::outcome(id, failed > 0, detail)
                .input(input)
                .tenant(t)
        };
        let links = count(Code::ChainLinkBroken);
        checks.push(mk(
            "chain_links",
            links,
            if mode == Mode::Full {
                "prev_hash of each record equals the hash of the record before it"
            } else {
                "prev_hash equals the hash of the record before it, where both are in the export"
            },
        ));
        if mode == Mode::Full {
            checks.push(mk(
                "seq_continuity",
                count(Code::SeqGap) + count(Code::SeqDuplicate),
                "seq runs 1, 2, 3, ... without gaps or duplicates",
            ));
        } else {
            checks.push(mk(
                "seq_unique",
                count(Code::SeqDuplicate),
                "no seq appears twice",
            ));
        }
        if first == 1 {
            checks.push(mk(
                "genesis",
                count(Code::GenesisInvalid),
                "seq 1 has the all-zero prev_hash",
            ));
        } else if mode == Mode::Full {
            // A whole chain without seq 1 lost its start (reported as a seq_gap).
            checks.push(
                Check::new(
                    "genesis",
                    Status::Failed,
                    format!("seq 1 is missing: the chain starts at seq {first}"),
                )
                .input(input)
                .tenant(t),
            );
        }
        checks.push(mk(
            "timestamp_order",
            count(Code::TimestampRegression),
            "timestamps never decrease along seq",
        ));
    }

    pub(super) fn summary(&self, t: &str) -> TenantSummary {
        TenantSummary {
            tenant_id: t.to_string(),
            records: self.n as u64,
            first_seq: self.first.seq,
            last_seq: self.last.seq,
            head_hash: self.last.stored.map(|d| hex(&d)),
            first_timestamp: self.first.ts.map(|n| ts_text(Some(n))),
            last_timestamp: self.last.ts.map(|n| ts_text(Some(n))),
        }
    }
}

/// One tenant's entries, checked one at a time in (seq, location) order: each record against
/// the one before it, so nothing but the first, the previous and the last entry is held.
pub(super) struct Scan {
    t: String,
    mode: Mode,
    input: String,
    first: Option<Entry>,
    /// The record each later one links to: the first occurrence of the previous seq.
    prev: Option<Entry>,
    last: Option<Entry>,
    n: usize,
    out: Vec<Finding>,
}

impl Scan {
    pub(super) fn new(t: &str, mode: Mode, input: &str) -> Self {
        Scan {
            t: t.to_owned(),
            mode,
            input: input.to_owned(),
            first: None,
            prev: None,
            last: None,
            n: 0,
            out: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Scanned {
        let first = self.first.expect("a scan is made for its first entry");
        Scanned {
            last: self.last.unwrap_or_else(|| first.clone()),
            first,
            n: self.n,
            findings: self.out,
        }
    }

    pub(super) fn step(&mut self, e: Entry) {
        self.n += 1;
        self.last = Some(e.clone());
        if self.first.is_none() {
            self.first = Some(e.clone());
            self.start(&e);
        }
        // A record repeating the previous seq is not what the next record links to.
        let prev = self.prev.take();
        self.prev = if self.check(&e, prev.as_ref()) {
            Some(e)
        } else {
            prev
        };
    }

    /// The first entry: a whole chain must start at seq 1.
    fn start(&mut self, e: &Entry) {
        if self.mode == Mode::Full && e.seq > 1 {
            let last = e.seq - 1;
            let msg = format!(
                "the chain starts at seq {}: seq 1..{last} ({last} record(s)) are missing from the start of the log",
                e.seq
            );
            self.out.push(
                Finding::new(Code::SeqGap, Some(&self.t), Some(1), msg)
                    .input(&self.input)
                    .seq_end(last),
            );
        }
    }

    /// Checks `e` against the record before it; false when `e` repeats that record's seq.
    fn check(&mut self, e: &Entry, prev: Option<&Entry>) -> bool {
        let mode = self.mode;
        let fd = |code, seq, msg: String| {
            Finding::new(code, Some(&self.t), Some(seq), msg).input(&self.input)
        };
        let out = &mut self.out;
        if let Some(p) = prev {
            if p.seq == e.seq {
                let same = p.stored == e.stored;
                out.push(
                    fd(
                        Code::SeqDuplicate,
                        e.seq,
                        format!(
                            "seq {} appears more than once ({} and {}){}",
                            e.seq,
                            p.loc,
                            e.loc,
                            if same {
                                ", with the same hash: a record was inserted twice"
                            } else {
                                ", with different hashes: a record was inserted or copied in"
                            }
                        ),
                    )
                    .at(e.loc)
                    .values(dig(p.stored), dig(e.stored)),
                );
                return false;
            }
        }
        if e.seq == 1 {
            if let Some(ph) = e.prev {
                if ph != GENESIS {
                    out.push(
                        fd(
                            Code::GenesisInvalid,
                            1,
                            "seq 1 must have the all-zero prev_hash: records before it were removed or it was rewritten".into(),
                        )
                        .at(e.loc)
                        .values(hex(&GENESIS), hex(&ph)),
                    );
                }
            }
        }
        if let Some(p) = prev {
            let gap = e.seq - p.seq - 1;
            if gap > 0 && mode == Mode::Full {
                let (a, b) = (p.seq + 1, e.seq - 1);
                let relinked = e.prev.is_some() && e.prev == p.stored;
                let range = if a == b {
                    format!("seq {a} is missing")
                } else {
                    format!("seq {a}..{b} ({gap} records) are missing")
                };
                let cause = if relinked {
                    format!(
                        "; seq {} links straight to seq {}: the chain was re-linked over the deleted records",
                        e.seq, p.seq
                    )
                } else {
                    format!(
                        "; seq {} still names a deleted predecessor: record(s) were deleted",
                        e.seq
                    )
                };
                out.push(
                    fd(Code::SeqGap, a, format!("{range}{cause}"))
                        .seq_end(b)
                        .at(e.loc),
                );
            }
            let consecutive = gap == 0;
            // Across a gap in a full chain the link is judged against the nearest record kept.
            let judge = consecutive || mode == Mode::Full;
            if judge {
                if let (Some(ph), Some(ps)) = (e.prev, p.stored) {
                    if ph != ps {
                        let msg = if !consecutive {
                            format!(
                                "prev_hash of seq {} does not match seq {}, the last record before the gap: the record(s) in between were deleted",
                                e.seq, p.seq
                            )
                        } else if e.content_ok == Some(true) && p.content_ok == Some(true) {
                            format!(
                                "prev_hash of seq {} (which hashes correctly, so its prev_hash is original) does not match the hash of seq {}: seq {} was likely edited and its hash recomputed, or replaced",
                                e.seq, p.seq, p.seq
                            )
                        } else if e.content_ok == Some(false) {
                            format!(
                                "prev_hash of seq {} does not match the hash of seq {}; seq {} itself does not hash to its own hash, so its prev_hash may have been altered",
                                e.seq, p.seq, e.seq
                            )
                        } else {
                            format!(
                                "prev_hash of seq {} does not match the hash of seq {}",
                                e.seq, p.seq
                            )
                        };
                        out.push(
                            fd(Code::ChainLinkBroken, e.seq, msg)
                                .at(e.loc)
                                .values(hex(&ps), hex(&ph)),
                        );
                    }
                }
            }
            if let (Some(a), Some(b)) = (p.ts, e.ts) {
                if b < a {
                    out.push(
                        fd(
                            Code::TimestampRegression,
                            e.seq,
                            format!(
                                "timestamp of seq {} ({}) is earlier than that of seq {} ({}): backdated, or inserted out of order",
                                e.seq,
                                ts_text(Some(b)),
                                p.seq,
                                ts_text(Some(a))
                            ),
                        )
                        .at(e.loc)
                        .values(format!(">= {}", ts_text(Some(a))), ts_text(Some(b))),
                    );
                }
            }
        }
        true
    }
}
