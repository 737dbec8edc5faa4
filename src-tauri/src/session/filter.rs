//! The records table's filter ([`RecordFilter`]) compiled over the store's columns: the scope
//! dimensions as dictionary codes, the tenant as its index, `from` / `to` as an index range
//! while timestamps are in order, free text tested once per dictionary value, and the
//! annotation filter as a set of (tenant index, seq).
//!
//! Invariant: [`Matcher::matches`] over [`Matcher::range`] keeps exactly the entries the same
//! filter keeps over the whole timeline in memory, where free text also meets the values the
//! other copies of a record hold (the report's field differences: a diverged record is found by
//! either value).

use trailproof_core::timeline::model::{Dimension, Event, Integrity};

use super::{code_name, SLOT_ACTION, SLOT_ACTOR, SLOT_RESOURCE_TYPE, SLOT_SEVERITY};
use crate::store::{
    contains_ci, flag_bit, integrity_code, List, Store, Ts, Val, BASE, HOT, INLINE,
};
use crate::types::RecordFilter;

/// The values other copies of a record hold, by (tenant index, seq).
pub(super) type OtherCopies = std::collections::HashMap<(u32, u64), Vec<String>>;

/// What a filter wants of one summary column.
enum Want {
    /// This value code.
    Code(u32),
    /// This text, stored inline (the column's dictionary was full when it first came).
    Inline(String),
    /// A value no entry holds.
    Nothing,
}

/// A compiled [`RecordFilter`], over the store's columns.
pub(super) struct Matcher<'a> {
    f: &'a RecordFilter,
    s: &'a Store,
    /// Scope dimensions asked for: (slot, want), for severity, event, actor, resource type.
    dims: Vec<(usize, Want)>,
    /// A dimension or a flag is asked for: gaps have neither.
    gaps_out: bool,
    /// `None`: any tenant; `Some(None)`: a tenant no entry names.
    tenant: Option<Option<u32>>,
    from: Option<&'a str>,
    to: Option<&'a str>,
    /// `from` / `to` are answered by the range alone.
    by_range: bool,
    text: Option<Text>,
    /// The annotation filters: `(tenant index, seq)` of the records asked for; a tenant no
    /// entry names drops out here, so the set holds only what can match.
    only: Option<std::collections::HashSet<(u32, u64)>>,
    /// The values other copies hold, by (tenant index, seq).
    other: &'a OtherCopies,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// First index in `[0, n)` where `pred` stops holding (`pred` holds on a prefix).
fn partition(n: usize, mut pred: impl FnMut(u32) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid as u32) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn before_from(ts: &str, lo: &str) -> bool {
    ts < lo
}

/// Inclusive as a prefix: "2026-03-01" takes in the whole day.
fn within_to(ts: &str, hi: &str) -> bool {
    ts <= hi || ts.starts_with(hi)
}

impl<'a> Matcher<'a> {
    pub(super) fn new(f: &'a RecordFilter, s: &'a Store, other: &'a OtherCopies) -> Self {
        let mut dims = Vec::new();
        for (slot, v) in [
            (SLOT_SEVERITY, &f.severity),
            (SLOT_ACTION, &f.event),
            (SLOT_ACTOR, &f.actor),
            (SLOT_RESOURCE_TYPE, &f.resource_type),
        ] {
            if let Some(w) = given(v) {
                let col = s.col(HOT[slot]);
                let want = match col.find(w) {
                    Some(k) => Want::Code(k + BASE),
                    None if col.overflowed() => Want::Inline(w.to_string()),
                    None => Want::Nothing,
                };
                dims.push((slot, want));
            }
        }
        let gaps_out = f.hide_gaps || !dims.is_empty() || f.flag.is_some() || f.only.is_some();
        let only = f.only.as_ref().map(|keys| {
            keys.iter()
                .filter_map(|(t, seq)| {
                    let k = s.tenants().binary_search_by(|x| x.as_str().cmp(t)).ok()?;
                    Some((k as u32, *seq))
                })
                .collect()
        });
        let tenant = given(&f.tenant).map(|t| {
            s.tenants()
                .binary_search_by(|x| x.as_str().cmp(t))
                .ok()
                .map(|k| k as u32)
        });
        let text = f
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| Text::new(&t.to_lowercase(), s));
        let (from, to) = (given(&f.from), given(&f.to));
        Matcher {
            f,
            s,
            dims,
            gaps_out,
            tenant,
            from,
            to,
            by_range: s.ts_prefix().is_some(),
            text,
            only,
            other,
        }
    }

    /// The index range that can match: all entries, or, when timestamps are in order, the
    /// entries whose timestamp lies within `from` / `to`.
    pub(super) fn range(&self) -> (usize, usize) {
        let n = self.s.len();
        let Some(with_ts) = self.s.ts_prefix().filter(|_| self.by_range) else {
            return (0, n);
        };
        if self.from.is_none() && self.to.is_none() {
            return (0, n);
        }
        let ts = |i: u32| self.s.timestamp(i).unwrap_or_default();
        let lo = self
            .from
            .map_or(0, |lo| partition(with_ts, |i| before_from(&ts(i), lo)));
        let hi = self
            .to
            .map_or(with_ts, |hi| partition(with_ts, |i| within_to(&ts(i), hi)));
        (lo, hi.max(lo))
    }

    pub(super) fn matches(&self, i: u32) -> bool {
        let s = self.s;
        if s.is_gap(i) {
            // A gap has no dimensions: it stays unless hidden or the filter needs a dimension.
            if self.gaps_out {
                return false;
            }
        } else {
            for (slot, want) in &self.dims {
                let ok = match want {
                    Want::Code(k) => s.hot(*slot, i) == *k,
                    Want::Inline(w) => {
                        s.hot(*slot, i) == INLINE
                            && s.hot_str(*slot, i).is_some_and(|v| v == w.as_str())
                    }
                    Want::Nothing => false,
                };
                if !ok {
                    return false;
                }
            }
        }
        if let Some(t) = self.tenant {
            if t != Some(s.tenant(i)) {
                return false;
            }
        }
        if !self.by_range && (self.from.is_some() || self.to.is_some()) {
            let ts = s.timestamp(i);
            let Some(ts) = ts.as_deref() else {
                return false;
            };
            if self.from.is_some_and(|lo| before_from(ts, lo))
                || self.to.is_some_and(|hi| !within_to(ts, hi))
            {
                return false;
            }
        }
        if let Some(want) = self.f.integrity {
            if s.integrity(i) != want {
                return false;
            }
        }
        if let Some(fl) = self.f.flag {
            if s.flag_bits(i) & flag_bit(fl) == 0 {
                return false;
            }
        }
        if self.f.with_findings && !s.has_findings(i) {
            return false;
        }
        if let Some(keys) = &self.only {
            if !keys.contains(&(s.tenant(i), s.seq(i))) {
                return false;
            }
        }
        if let Some(t) = &self.text {
            let in_other_copy = self
                .other
                .get(&(s.tenant(i), s.seq(i)))
                .is_some_and(|vs| vs.iter().any(|v| contains_ci(v, &t.t)));
            if !t.hit(s, i) && !in_other_copy {
                return false;
            }
        }
        true
    }
}

/// A compiled free-text filter: which dictionary values hold the text, computed once.
struct Text {
    t: String,
    /// The text is the decimal of this seq.
    seq: Option<u64>,
    /// The text could lie in a canonical timestamp (digits, `-:.`, `t`, `z` only).
    in_canonical_ts: bool,
    /// By [`Dimension::index`].
    cols: [Vec<bool>; Dimension::COUNT],
    tenants: Vec<bool>,
    lists: Vec<bool>,
    codes: Vec<bool>,
    integrity: [bool; Integrity::ALL.len()],
}

impl Text {
    fn new(t: &str, s: &Store) -> Text {
        let hit = |v: &str| contains_ci(v, t);
        Text {
            t: t.to_string(),
            seq: t.parse::<u64>().ok().filter(|n| n.to_string() == t),
            in_canonical_ts: t.bytes().all(|b| b"0123456789-:.tz".contains(&b)),
            cols: Dimension::ALL.map(|d| s.col(d).values().iter().map(|v| hit(v)).collect()),
            tenants: s.tenants().iter().map(|v| hit(v)).collect(),
            lists: s
                .lists()
                .values()
                .iter()
                .map(|l| l.iter().any(|v| hit(v)))
                .collect(),
            codes: s
                .code_lists()
                .values()
                .iter()
                .map(|l| l.iter().any(|c| hit(&code_name(*c))))
                .collect(),
            integrity: Integrity::ALL.map(|i| hit(i.as_str())),
        }
    }

    fn hit(&self, s: &Store, i: u32) -> bool {
        let Some(v) = s.view(i) else {
            return s.event(i).is_some_and(|e| text_hit(&e, &self.t));
        };
        let at = |table: &[bool], k: u32| table.get(k as usize).copied().unwrap_or(false);
        if at(&self.tenants, s.tenant(i))
            || self.integrity[integrity_code(s.integrity(i))]
            || self.seq == Some(s.seq(i))
            || at(&self.codes, v.codes)
        {
            return true;
        }
        for (c, d) in v.dims.iter().enumerate() {
            let hit = match *d {
                Val::Absent => false,
                Val::Id(k) => at(&self.cols[c], k),
                Val::Inline(x) => contains_ci(x, &self.t),
            };
            if hit {
                return true;
            }
        }
        let sources = match &v.sources {
            List::Id(k) => at(&self.lists, *k),
            l @ List::Inline(..) => s.list(l).iter().any(|x| contains_ci(x, &self.t)),
        };
        sources
            || match v.ts {
                Some(Ts::Derived(_)) if !self.in_canonical_ts => false,
                Some(ts) => contains_ci(ts.text(&mut [0; 30]), &self.t),
                None => false,
            }
    }
}

/// Free text against a whole event (entries stored verbatim).
fn text_hit(e: &Event, t: &str) -> bool {
    e.dimensions()
        .into_iter()
        .chain([e.timestamp.as_deref()])
        .any(|v| v.is_some_and(|s| contains_ci(s, t)))
        || e.seq.to_string() == t
        || contains_ci(&e.tenant_id, t)
        || e.sources.iter().any(|s| contains_ci(s, t))
        || e.findings.iter().any(|c| contains_ci(&code_name(*c), t))
        || contains_ci(e.integrity.as_str(), t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_and_from_hold_on_a_prefix_of_sorted_timestamps() {
        let ts = [
            "2026-02-28T23:59:59.999999999Z",
            "2026-03-01T00:00:00.000000000Z",
            "2026-03-01T08:00:00.000000000Z",
            "2026-03-01T23:59:59.999999999Z",
            "2026-03-02T00:00:00.000000000Z",
        ];
        for bound in [
            "2026-03-01",
            "2026-03-01T08",
            "2026-03-01T08:00:00.000000000Z",
            "2026",
            "2027",
            "2025",
            "",
        ] {
            let to: Vec<bool> = ts.iter().map(|t| within_to(t, bound)).collect();
            let from: Vec<bool> = ts.iter().map(|t| before_from(t, bound)).collect();
            for v in [to, from] {
                let k = v.iter().position(|b| !b).unwrap_or(v.len());
                assert!(v[k..].iter().all(|b| !b), "{bound}: {v:?}");
            }
        }
    }
}
