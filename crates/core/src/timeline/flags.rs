//! The flags of an event: what a responder looks for.
//!
//! `privileged_intervention` (action `call.barge`, `call.whisper`, `transcript.override`),
//! `parameter_change` (`changes` not null), `mass_export` (`metadata.row_count` >
//! `metadata.threshold`, both numbers), `denied` (outcome `failure`), `denial_burst` (at least N
//! failures by one actor of one tenant within T minutes; every failure of such a window is
//! flagged), `off_hours` (timestamp outside 07:00:00-19:59:59 UTC: a deliberately simple rule
//! that ignores tenants' own time zones).
//!
//! Invariants: an event's flags are listed in [`Flag`] order; every rule but `denial_burst` reads
//! one record alone ([`record_flags`]); `denial_burst` reads the failures of the whole case
//! (`bursts`), and does not depend on the order they arrive in.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::model::{Flag, TimelineOptions};
use crate::json::Value;
use crate::time::Instant;

/// Actions that let a privileged user act on someone else's live call or record.
pub const PRIVILEGED_ACTIONS: [&str; 3] = ["call.barge", "call.whisper", "transcript.override"];

/// First UTC hour of usual working hours (inclusive).
pub const DAY_START_HOUR: i64 = 7;
/// End of usual working hours, UTC (exclusive).
pub const DAY_END_HOUR: i64 = 20;

/// The off-hours rule as the summary states it.
pub fn off_hours_rule() -> String {
    format!(
        "outside {DAY_START_HOUR:02}:00:00-{:02}:59:59 UTC",
        DAY_END_HOUR - 1
    )
}

/// True when an instant lies outside usual working hours (UTC).
pub fn off_hours(nanos: i64) -> bool {
    let hour = nanos.div_euclid(1_000_000_000).rem_euclid(86_400) / 3_600;
    !(DAY_START_HOUR..DAY_END_HOUR).contains(&hour)
}

/// Whether a record is a mass export: `metadata.row_count` > `metadata.threshold`, both numbers.
pub fn is_mass_export(rec: &Value) -> bool {
    rec.get("metadata").is_some_and(is_mass_export_metadata)
}

/// The same from a record's `metadata` alone.
pub fn is_mass_export_metadata(m: &Value) -> bool {
    match (
        m.get("row_count").and_then(Value::as_f64),
        m.get("threshold").and_then(Value::as_f64),
    ) {
        (Some(n), Some(t)) => n > t,
        _ => false,
    }
}

/// A set of flags, one bit each: what the collector keeps of an event's flags while it orders
/// the events, with no list to allocate for each.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagSet(u16);

// One bit for each flag.
const _: () = assert!(Flag::ALL.len() <= 16);

impl FlagSet {
    /// Adds `f`.
    pub fn push(&mut self, f: Flag) {
        self.0 |= 1 << f as u16;
    }

    /// The flags, in [`Flag`] order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL
            .into_iter()
            .filter(move |&f| self.0 & (1 << f as u16) != 0)
    }
}

impl FromIterator<Flag> for FlagSet {
    fn from_iter<I: IntoIterator<Item = Flag>>(flags: I) -> FlagSet {
        let mut set = FlagSet::default();
        for f in flags {
            set.push(f);
        }
        set
    }
}

/// Every flag of a record but `denial_burst`: from its action, whether its `changes` is not
/// null, whether it is a mass export ([`is_mass_export`]), its outcome and its time
/// (nanoseconds since the epoch).
pub fn record_flags(
    action: Option<&str>,
    changes: bool,
    mass_export: bool,
    outcome: Option<&str>,
    nanos: Option<i64>,
) -> FlagSet {
    let mut flags = FlagSet::default();
    if action.is_some_and(|a| PRIVILEGED_ACTIONS.contains(&a)) {
        flags.push(Flag::PrivilegedIntervention);
    }
    if changes {
        flags.push(Flag::ParameterChange);
    }
    if mass_export {
        flags.push(Flag::MassExport);
    }
    if outcome == Some("failure") {
        flags.push(Flag::Denied);
    }
    if nanos.is_some_and(off_hours) {
        flags.push(Flag::OffHours);
    }
    flags
}

/// A failure by an actor, for `denial_burst`.
pub(crate) struct Failure {
    /// The tenant's rank.
    pub(crate) rank: u32,
    pub(crate) actor: String,
    pub(crate) nanos: i64,
    pub(crate) seq: u64,
}

impl Failure {
    /// The failure of `actor` in seq `seq` of the tenant of rank `rank`, at `nanos`.
    pub(crate) fn new(rank: u32, actor: String, nanos: i64, seq: u64) -> Failure {
        Failure {
            rank,
            actor,
            nanos,
            seq,
        }
    }
}

/// The failures to flag `denial_burst`: every failure inside a window of `burst_minutes` that
/// holds at least `burst_count` failures by one actor of one tenant. Returns (tenant rank, seq).
pub(crate) fn bursts(mut failures: Vec<Failure>, opts: &TimelineOptions) -> HashSet<(u32, u64)> {
    let n = opts.burst_count.max(1);
    let window = i64::try_from(opts.burst_minutes)
        .unwrap_or(i64::MAX / 60_000_000)
        .saturating_mul(60_000_000);
    // By tenant and actor, then in timeline order.
    failures.sort_by(|a, b| {
        (a.rank, &a.actor, a.nanos, a.seq).cmp(&(b.rank, &b.actor, b.nanos, b.seq))
    });
    let mut marked = HashSet::new();
    for group in failures.chunk_by(|a, b| a.rank == b.rank && a.actor == b.actor) {
        // The window is measured in whole microseconds, as the events' `micros` give them.
        let t = |k: usize| {
            Instant {
                nanos: group[k].nanos,
            }
            .micros()
        };
        let mut lo = 0;
        let mut next_unmarked = 0;
        for hi in 0..group.len() {
            while t(hi) - t(lo) > window {
                lo += 1;
            }
            if hi + 1 - lo >= n {
                for f in &group[lo.max(next_unmarked)..=hi] {
                    marked.insert((f.rank, f.seq));
                }
                next_unmarked = hi + 1;
            }
        }
    }
    marked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_hours_boundaries() {
        let h =
            |hh: i64, mm: i64| (hh * 3600 + mm * 60) * 1_000_000_000 + 1_777_507_200_000_000_000;
        assert!(off_hours(h(6, 59)));
        assert!(!off_hours(h(7, 0)));
        assert!(!off_hours(h(19, 59)));
        assert!(off_hours(h(20, 0)));
        assert!(off_hours(-1));
        assert_eq!(off_hours_rule(), "outside 07:00:00-19:59:59 UTC");
    }
}
