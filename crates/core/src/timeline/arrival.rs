//! Copies that arrive in timeline order. A case whose records come, first to last, in the order
//! the timeline lists them (one dump, written as its service appended it) needs neither the
//! join of copies by (tenant, seq) nor the ordering of entries by time: its copies are kept in
//! arrival order, and each becomes its entry as the stream is read ([`Entries`]).
//!
//! Invariants: the arrival order is kept only while it is provably the timeline order: every
//! copy has a timestamp, none is before the one that came before it, the seqs of each tenant
//! strictly increase (so no (tenant, seq) has two copies to join), and copies of two tenants at
//! one instant come in the order of the tenants' names (checked at the end, once every name is
//! known). At the first copy that breaks it, the copies so far go to the (tenant, seq) order
//! in arrival order ([`Arrivals::into_keyed`]), and the collector goes on as without this
//! path; at the end, a case with `seq_gap` findings (a gap entry takes the timestamp of a
//! neighbour, found while joining) or with tenants out of name order goes the same way. Either
//! way the events are the same, field for field. The stream still checks that each entry's key
//! comes after the one before, and stops with an error if one does not.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::iter::Peekable;
use std::path::Path;

use super::collector::{entry_of, Slot};
use super::flags::Failure;
use super::integrity::Judged;
use super::model::Kind;
use super::sighting::Held;
use super::stream::{time_key, Entry, TimeKey};
use crate::spill::{Sorted, Sorter};

/// A copy's place in arrival order: its number, its tenant's number and its seq.
type ArrivalKey = (u64, u32, u64);

/// Most pairs of tenants met at one instant that are kept for the check at the end; a copy
/// that would add one more sends the copies to the (tenant, seq) order.
const MAX_TIES: usize = 4096;

/// The copies of a collector while they arrive in timeline order (see the module docs).
pub(super) struct Arrivals {
    copies: Sorter<ArrivalKey, Held>,
    /// The last copy's nanos and tenant.
    last: Option<(i64, u32)>,
    /// The last seq of each tenant, by tenant number.
    last_seq: Vec<Option<u64>>,
    /// Tenants (earlier, later) whose copies met at one instant: each pair must be in name order.
    ties: BTreeSet<(u32, u32)>,
    /// The failures so far (outcome `failure`): tenant number, actor, nanos, seq.
    failures: Vec<(u32, String, i64, u64)>,
}

impl Arrivals {
    pub(super) fn new(dir: &Path, budget: usize) -> Self {
        Arrivals {
            copies: Sorter::new(dir, budget),
            last: None,
            last_seq: Vec::new(),
            ties: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Copies kept so far.
    pub(super) fn len(&self) -> u64 {
        self.copies.len()
    }

    /// Runs written to disk so far.
    pub(super) fn spilled_runs(&self) -> usize {
        self.copies.spilled_runs()
    }

    /// Whether a copy of (`tenant`, `seq`) at `nanos` keeps the arrival order the timeline
    /// order; when it does, it is noted as the last copy.
    pub(super) fn admit(&mut self, tenant: u32, seq: u64, nanos: Option<i64>) -> bool {
        let Some(nanos) = nanos else {
            return false;
        };
        let t = tenant as usize;
        if self.last_seq.len() <= t {
            self.last_seq.resize(t + 1, None);
        }
        if self.last_seq[t].is_some_and(|last| seq <= last) {
            return false;
        }
        if let Some((last, last_tenant)) = self.last {
            if nanos < last {
                return false;
            }
            if nanos == last && last_tenant != tenant {
                let pair = (last_tenant, tenant);
                if !self.ties.contains(&pair) {
                    if self.ties.len() >= MAX_TIES {
                        return false;
                    }
                    self.ties.insert(pair);
                }
            }
        }
        self.last_seq[t] = Some(seq);
        self.last = Some((nanos, tenant));
        true
    }

    /// Keeps an admitted copy.
    pub(super) fn push(&mut self, tenant: u32, seq: u64, held: &Held) -> io::Result<()> {
        if let (Some(actor), Some(nanos)) = (&held.failure_actor, held.nanos) {
            self.failures.push((tenant, actor.clone(), nanos, seq));
        }
        self.copies.push((self.copies.len(), tenant, seq), held)
    }

    /// Whether the tenants met at one instant came in name order (`ranks`: each tenant's rank
    /// by its number).
    pub(super) fn in_name_order(&self, ranks: &[u32]) -> bool {
        let rank = |t: u32| ranks.get(t as usize).copied();
        self.ties
            .iter()
            .all(|&(a, b)| matches!((rank(a), rank(b)), (Some(a), Some(b)) if a < b))
    }

    /// The copies kept so far in a sorter by (tenant, seq), pushed in arrival order: where the
    /// collector goes on when the arrival order stops being the timeline order.
    pub(super) fn into_keyed(
        self,
        dir: &Path,
        budget: usize,
    ) -> io::Result<Sorter<(u32, u64), Held>> {
        let mut keyed = Sorter::new(dir, budget);
        for item in self.copies.finish()? {
            let ((_, tenant, seq), held) = item?;
            keyed.push((tenant, seq), &held)?;
        }
        Ok(keyed)
    }

    /// The entries of the copies in timeline order, merged with `extras` (entries of their
    /// own, such as recovered versions), and the failures for `denial_burst`. `judged`: what
    /// the findings say, by (tenant number, seq); `holders`, `heads`, `ranks`: by tenant number,
    /// the sources holding the tenant, how far its anchors reach, its rank by name.
    pub(super) fn finish(
        self,
        judged: HashMap<(u32, u64), Judged>,
        holders: Vec<usize>,
        heads: Vec<Option<u64>>,
        ranks: Vec<u32>,
        mut extras: Vec<(TimeKey, Entry)>,
    ) -> io::Result<(Entries, Vec<Failure>)> {
        let failures = self
            .failures
            .into_iter()
            .filter_map(|(t, actor, nanos, seq)| {
                Some(Failure::new(*ranks.get(t as usize)?, actor, nanos, seq))
            })
            .collect();
        extras.sort_by_key(|e| e.0);
        let entries = Entries {
            copies: self.copies.finish()?,
            judged,
            holders,
            heads,
            ranks,
            extras: extras.into_iter().peekable(),
            copy: None,
            last: None,
            stopped: false,
        };
        Ok((entries, failures))
    }
}

/// The entries of copies that arrived in timeline order, each made as it is read, merged with
/// entries of their own (see [`Arrivals::finish`]).
pub(super) struct Entries {
    copies: Sorted<ArrivalKey, Held>,
    judged: HashMap<(u32, u64), Judged>,
    holders: Vec<usize>,
    heads: Vec<Option<u64>>,
    ranks: Vec<u32>,
    extras: Peekable<std::vec::IntoIter<(TimeKey, Entry)>>,
    /// The next copy's entry, once read.
    copy: Option<(TimeKey, Entry)>,
    /// The key of the last entry handed out.
    last: Option<TimeKey>,
    /// After an error, nothing more.
    stopped: bool,
}

/// A stream that cannot go on: a damaged run, or entries out of order.
fn damaged(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Entries {
    /// The entry of the copy of (`tenant`, `seq`) and its key.
    fn entry(&self, tenant: u32, seq: u64, held: Held) -> io::Result<(TimeKey, Entry)> {
        let t = tenant as usize;
        let (Some(&rank), Some(&holders), Some(&head)) =
            (self.ranks.get(t), self.holders.get(t), self.heads.get(t))
        else {
            return Err(damaged("a damaged timeline run"));
        };
        let key = time_key(held.nanos, rank, seq, Kind::Event);
        let judged = self.judged.get(&(tenant, seq));
        let slot = Slot::new(tenant, seq, held);
        Ok((key, entry_of(slot, judged, holders, head)))
    }

    fn step(&mut self) -> io::Result<Option<(TimeKey, Entry)>> {
        if self.copy.is_none() {
            if let Some(item) = self.copies.next() {
                let ((_, tenant, seq), held) = item?;
                self.copy = Some(self.entry(tenant, seq, held)?);
            }
        }
        let extra_first = match (&self.copy, self.extras.peek()) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some((copy, _)), Some((extra, _))) => extra < copy,
        };
        let next = if extra_first {
            self.extras.next()
        } else {
            self.copy.take()
        };
        let Some((key, entry)) = next else {
            return Ok(None);
        };
        if self.last.is_some_and(|last| key <= last) {
            return Err(damaged("timeline entries out of order"));
        }
        self.last = Some(key);
        Ok(Some((key, entry)))
    }
}

impl Iterator for Entries {
    type Item = io::Result<(TimeKey, Entry)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        let next = self.step();
        self.stopped = !matches!(next, Ok(Some(_)));
        next.transpose()
    }
}
