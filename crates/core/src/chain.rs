//! Per-tenant hash chains (AEF/1 section 3).
//!
//! A [`Chains`] collects one compact [`Entry`] per record (seq, stored hashes, whether the record
//! hashed to its own hash, timestamp, location): about 100 bytes a record, never the record
//! itself, so a million-record dump checks in flat memory. Records may arrive in any order;
//! [`Chains::analyze`] sorts each tenant by `seq` and reports `seq_gap`, `seq_duplicate`,
//! `genesis_invalid`, `chain_link_broken` and `timestamp_regression`, naming the likely cause
//! where the evidence shows it.
//!
//! Two modes: a dump holds a whole chain ([`Mode::Full`]: gaps are deletions, seq 1 must be
//! there); an export holds a scope's subset ([`Mode::Subset`]: only records with consecutive
//! seqs can be linked, and absent seqs are expected).

use std::collections::BTreeMap;

use crate::finding::{Check, Code, Finding};
use crate::record::{hex, Checked, Digest, Location, GENESIS};
use crate::time::Instant;

/// What one record contributes to its chain.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub stored: Option<Digest>,
    pub prev: Option<Digest>,
    /// Whether the record hashes to its own stored hash (`None` when either is unknown).
    pub content_ok: Option<bool>,
    pub ts: Option<i64>,
    pub loc: Location,
}

impl Entry {
    pub fn from_checked(c: &Checked) -> Option<(String, Entry)> {
        Some((
            c.tenant_id.clone()?,
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
    Full,
    Subset,
}

/// Summary of one tenant's chain in one input.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TenantSummary {
    pub tenant_id: String,
    pub records: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// Stored hash of the record with the highest seq.
    pub head_hash: Option<String>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
}

/// Chain entries of every tenant of one input.
#[derive(Debug, Default)]
pub struct Chains {
    tenants: BTreeMap<String, Vec<Entry>>,
}

fn ts_text(ts: Option<i64>) -> String {
    ts.map(|n| Instant { nanos: n }.canonical())
        .unwrap_or_else(|| "(unreadable)".into())
}

fn dig(d: Option<Digest>) -> String {
    d.map(|d| hex(&d)).unwrap_or_else(|| "(unreadable)".into())
}

impl Chains {
    pub fn push(&mut self, tenant: String, e: Entry) {
        match self.tenants.get_mut(&tenant) {
            Some(v) => v.push(e),
            None => {
                self.tenants.insert(tenant, vec![e]);
            }
        }
    }

    pub fn tenants(&self) -> impl Iterator<Item = &str> {
        self.tenants.keys().map(String::as_str)
    }

    /// Entries of one tenant (sorted by seq after [`Chains::analyze`]).
    pub fn entries(&self, tenant: &str) -> &[Entry] {
        self.tenants.get(tenant).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Sorts every tenant by seq and returns the chain findings and checks of this input.
    pub fn analyze(
        &mut self,
        input: &str,
        mode: Mode,
    ) -> (Vec<Finding>, Vec<Check>, Vec<TenantSummary>) {
        let mut findings = Vec::new();
        let mut checks = Vec::new();
        let mut summaries = Vec::new();
        for (tenant, v) in self.tenants.iter_mut() {
            v.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.loc.cmp(&b.loc)));
            let t = tenant.as_str();
            let mut f = Vec::new();
            analyze_tenant(t, v, mode, input, &mut f);
            let count = |c: Code| f.iter().filter(|x: &&Finding| x.code == c).count();
            let n = v.len();
            let (first, last) = (v[0].seq, v[n - 1].seq);
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
            if v[0].seq == 1 {
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
                        crate::finding::Status::Failed,
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
            summaries.push(TenantSummary {
                tenant_id: tenant.clone(),
                records: n as u64,
                first_seq: first,
                last_seq: last,
                head_hash: v[n - 1].stored.map(|d| hex(&d)),
                first_timestamp: v[0].ts.map(|n| ts_text(Some(n))),
                last_timestamp: v[n - 1].ts.map(|n| ts_text(Some(n))),
            });
            findings.extend(f);
        }
        (findings, checks, summaries)
    }
}

fn analyze_tenant(t: &str, v: &[Entry], mode: Mode, input: &str, out: &mut Vec<Finding>) {
    let fd = |code, seq, msg: String| Finding::new(code, Some(t), Some(seq), msg).input(input);
    if mode == Mode::Full && v[0].seq > 1 {
        let last = v[0].seq - 1;
        out.push(
            fd(
                Code::SeqGap,
                1,
                format!(
                    "the chain starts at seq {}: seq 1..{last} ({last} record(s)) are missing from the start of the log",
                    v[0].seq
                ),
            )
            .seq_end(last),
        );
    }
    // The record each later one links to: the first occurrence of the previous seq.
    let mut prev: Option<&Entry> = None;
    for e in v {
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
                continue;
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
        prev = Some(e);
    }
}
