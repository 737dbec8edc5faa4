//! The opened case's timeline, held compact: every entry (event or gap) as a few fixed-size
//! columns the queries scan (time, tenant, seq, kind / integrity / flag bits, and interned ids of
//! the filter and sort columns: actor, action, severity, resource type, outcome) plus one
//! variable-length record per entry in a single byte arena, whose strings are ids into per-member
//! dictionaries wherever a value repeats. An [`Event`] is rebuilt only when one is asked for (a
//! page of rows, a record's detail, a density mark, an export), and free text is matched on the
//! records in place, without rebuilding events.
//!
//! Encoding of one record: a header varint (timestamp form; `seq_end` present; verbatim), then
//! `seq_end`, the timestamp (derived: the nanoseconds below the microsecond, the rest being the
//! entry's micros; or the string itself), the dimension members in [`Dimension::ALL`] order
//! (a member whose id is a summary column appears only when its value is inline), the lists
//! `sources`, `diverged_fields` and `missing_from`, and the findings. A member value is `0`
//! (absent), `1` followed by the string (inline), or `2 + id` (dictionary). Integers are LEB128
//! varints.
//!
//! Invariants:
//! * [`Store::event`] returns exactly the [`Event`] that was pushed: every record is decoded
//!   and compared with its event when it is written (a value read back as a dictionary id by
//!   the id the encoder took for the event's very value, any other by its text), and an event
//!   that would not come back identical is stored verbatim (as JSON) instead;
//! * a dictionary only grows until it holds its cap of values; after that a new value is stored
//!   inline, so a value is either always an id or always inline, never both: comparing ids is
//!   comparing values;
//! * the derived timestamp is used only when it renders back to the very string pushed;
//! * entry indexes are the timeline's order, stable for the life of the store; the store is
//!   immutable once [`builder::Builder::finish`] returns it.
//!
//! This module holds the store and what reads it; [`builder`] writes it, [`dict`] holds the
//! dictionaries.

pub mod builder;
pub mod dict;

use std::borrow::Cow;

use trailproof_core::finding::Code;
use trailproof_core::time::Instant;
use trailproof_core::timeline::model::{Dimension, Event, Flag, Integrity, Kind};

use dict::Dict;

/// Distinct values a dictionary holds at most; new values past it are stored inline.
pub const DICT_CAP: usize = 1 << 16;

/// The summary columns (hot members), by slot.
pub const HOT: [Dimension; 5] = [
    Dimension::ActorUserId,
    Dimension::Action,
    Dimension::Severity,
    Dimension::ResourceType,
    Dimension::Outcome,
];

/// The slot of a dimension among the summary columns, if it is one.
pub const fn hot_slot(d: Dimension) -> Option<usize> {
    let mut slot = 0;
    while slot < HOT.len() {
        if HOT[slot] as usize == d as usize {
            return Some(slot);
        }
        slot += 1;
    }
    None
}

/// The slot of summary column `d` (a compile-time error in a constant when it is none).
pub const fn slot(d: Dimension) -> usize {
    match hot_slot(d) {
        Some(slot) => slot,
        None => panic!("not a summary column"),
    }
}

/// Codes of a member value.
pub const ABSENT: u32 = 0;
pub const INLINE: u32 = 1;
/// Ids of dictionary values are coded `BASE + id`.
pub const BASE: u32 = 2;

// Bits of an entry.
const GAP: u32 = 1;
const TIMED: u32 = 1 << 1;
const INTEGRITY_SHIFT: u32 = 2; // 4 bits
const FLAG_SHIFT: u32 = 6; // 16 bits
const FLAG_MASK: u32 = 0xffff;
const FINDINGS: u32 = 1 << 22;
const VERBATIM: u32 = 1 << 23;

// Header bits of a record.
const TS_MASK: u64 = 3;
const TS_NONE: u64 = 0;
const TS_DERIVED: u64 = 1;
const TS_EXPLICIT: u64 = 2;
const HAS_SEQ_END: u64 = 4;
const HDR_VERBATIM: u64 = 8;

// The entry bits hold every integrity code and flag bit.
const _: () = assert!(Integrity::ALL.len() <= 1 << 4 && Flag::ALL.len() <= 16);

/// Code of an integrity state (its position in [`Integrity::ALL`]).
pub fn integrity_code(i: Integrity) -> usize {
    i as usize
}

/// Bit of a flag in an entry's flag bits (its position in [`Flag::ALL`]).
pub fn flag_bit(f: Flag) -> u16 {
    1 << (f as u16)
}

/// Case-insensitive substring test (`needle_lower` already lowercase): ASCII without
/// allocating (a needle without letters by SIMD substring search, any other from the places
/// where its first byte stands in either case), anything else through full lowercasing.
pub fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
    if n.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle_lower.is_ascii() {
        if h.len() < n.len() {
            return false;
        }
        if !n.iter().any(u8::is_ascii_alphabetic) {
            return memchr::memmem::find(h, n).is_some();
        }
        let last_start = h.len() - n.len();
        memchr::memchr2_iter(n[0], n[0].to_ascii_uppercase(), &h[..=last_start])
            .any(|i| h[i..i + n.len()].eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle_lower)
    }
}

/// Reads a record back. Never panics: past the end it reads zeros and empty strings (which the
/// check at write time rules out for every stored record).
#[derive(Clone)]
pub struct Rd<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Rd<'a> {
    fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0u32;
        while let Some(&x) = self.b.get(self.p) {
            self.p += 1;
            if shift < 64 {
                v |= u64::from(x & 0x7f) << shift;
            }
            if x & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        v
    }

    fn u32(&mut self) -> u32 {
        u32::try_from(self.u64()).unwrap_or(u32::MAX)
    }

    fn bytes(&mut self) -> &'a [u8] {
        let n = usize::try_from(self.u64()).unwrap_or(usize::MAX);
        let end = self.p.saturating_add(n).min(self.b.len());
        let s = &self.b[self.p.min(end)..end];
        self.p = end;
        s
    }

    fn str(&mut self) -> &'a str {
        std::str::from_utf8(self.bytes()).unwrap_or("")
    }
}

/// A timestamp as stored: derived from the entry's instant (rendered only when its text is
/// asked for), or the string itself.
#[derive(Clone, Copy)]
pub enum Ts<'a> {
    /// The instant, in nanoseconds since the epoch.
    Derived(i64),
    Explicit(&'a str),
}

impl<'a> Ts<'a> {
    /// The timestamp's text; a derived one is rendered into `buf`.
    pub fn text<'b>(&'b self, buf: &'b mut [u8; 30]) -> &'b str {
        match self {
            Ts::Derived(nanos) => {
                *buf = Instant { nanos: *nanos }.canonical_bytes();
                std::str::from_utf8(buf).unwrap_or("")
            }
            Ts::Explicit(s) => s,
        }
    }

    /// The timestamp's text, owned.
    pub fn to_text(&self) -> String {
        self.text(&mut [0; 30]).to_string()
    }

    /// Whether the text is `t`; `proven`: an instant known to render to `t` (no rendering then
    /// when it is this one's).
    fn is(&self, t: &str, proven: Option<i64>) -> bool {
        match self {
            Ts::Derived(nanos) if proven == Some(*nanos) => true,
            ts => ts.text(&mut [0; 30]) == t,
        }
    }
}

/// A member value as stored.
#[derive(Clone, Copy)]
pub enum Val<'a> {
    Absent,
    Id(u32),
    Inline(&'a str),
}

/// A list as stored: a dictionary id, or inline (count and encoded strings).
#[derive(Clone)]
pub enum List<'a> {
    Id(u32),
    Inline(usize, Rd<'a>),
}

/// One record, read in place (nothing decoded but varints).
pub struct View<'a> {
    pub seq_end: Option<u64>,
    pub ts: Option<Ts<'a>>,
    /// By [`Dimension::index`].
    pub dims: [Val<'a>; Dimension::COUNT],
    pub sources: List<'a>,
    pub diverged: List<'a>,
    pub missing: List<'a>,
    pub codes: u32,
}

/// Sort order of a summary column's value codes: by the value's text (absent as ""), ties by
/// entry. Holds for codes `ABSENT` and ids; inline values are compared as text.
type Ranks = Vec<u32>;

/// The compact timeline (see the module docs).
pub struct Store {
    arena: Vec<u8>,
    /// Start of each entry's record in `arena`, and the end of the last.
    offsets: Vec<u64>,
    micros: Vec<i64>,
    seq: Vec<u64>,
    /// Index into `tenants` (sorted by name: the index is the tenant's rank).
    tenant: Vec<u32>,
    bits: Vec<u32>,
    /// Value codes of the summary columns, by slot of [`HOT`].
    hot: [Vec<u32>; 5],
    tenants: Vec<String>,
    /// The dictionary of each dimension, by [`Dimension::index`].
    cols: [Dict<String>; Dimension::COUNT],
    lists: Dict<Vec<String>>,
    codes: Dict<Vec<Code>>,
    ranks: [Ranks; 5],
    /// Entries `[0, n)` have micros, in non-decreasing order, and no later one has: the time
    /// index is the entry order. `None` when that does not hold (then `by_time` holds it).
    timed_prefix: Option<usize>,
    by_time: Vec<(i64, u32)>,
    /// Entries `[0, n)` have a timestamp, in non-decreasing string order, and no later one has.
    ts_prefix: Option<usize>,
    /// Entries of kind event, by (tenant rank, seq, index).
    by_key: Vec<u32>,
}

impl Store {
    /// Entries in the store.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn record(&self, i: u32) -> Rd<'_> {
        let i = i as usize;
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        Rd {
            b: &self.arena[a..b],
            p: 0,
        }
    }

    /// The record of entry `i`, read in place; `None` for an entry stored verbatim.
    pub fn view(&self, i: u32) -> Option<View<'_>> {
        let mut r = self.record(i);
        let hdr = r.u64();
        if hdr & HDR_VERBATIM != 0 {
            return None;
        }
        let seq_end = (hdr & HAS_SEQ_END != 0).then(|| r.u64());
        let ts = match hdr & TS_MASK {
            TS_DERIVED => {
                let rem = r.u64() as i64;
                let nanos = self.micros[i as usize].wrapping_mul(1000).wrapping_add(rem);
                Some(Ts::Derived(nanos))
            }
            TS_EXPLICIT => Some(Ts::Explicit(r.str())),
            _ => None,
        };
        let dims = Dimension::ALL.map(|d| match hot_slot(d) {
            Some(slot) => match self.hot[slot][i as usize] {
                ABSENT => Val::Absent,
                INLINE => Val::Inline(r.str()),
                k => Val::Id(k - BASE),
            },
            None => match r.u32() {
                ABSENT => Val::Absent,
                INLINE => Val::Inline(r.str()),
                k => Val::Id(k - BASE),
            },
        });
        let mut list = || match r.u64() {
            0 => {
                let n = usize::try_from(r.u64()).unwrap_or(0);
                let at = r.clone();
                for _ in 0..n {
                    r.bytes();
                }
                List::Inline(n, at)
            }
            k => List::Id(u32::try_from(k - 1).unwrap_or(u32::MAX)),
        };
        let sources = list();
        let diverged = list();
        let missing = list();
        let codes = r.u32();
        Some(View {
            seq_end,
            ts,
            dims,
            sources,
            diverged,
            missing,
            codes,
        })
    }

    /// The text of a stored value of dimension `d`.
    pub fn val<'a>(&'a self, d: Dimension, v: Val<'a>) -> Option<&'a str> {
        match v {
            Val::Absent => None,
            Val::Id(k) => self.cols[d.index()]
                .values
                .get(k as usize)
                .map(String::as_str),
            Val::Inline(s) => Some(s),
        }
    }

    /// The strings of a stored list.
    pub fn list<'a>(&'a self, l: &List<'a>) -> Vec<&'a str> {
        self.list_items(l).collect()
    }

    /// The strings of a stored list, read in place.
    pub fn list_items<'a>(&'a self, l: &List<'a>) -> impl Iterator<Item = &'a str> + 'a {
        let (held, inline) = match l {
            List::Id(k) => (
                self.lists
                    .values
                    .get(*k as usize)
                    .map_or(&[][..], Vec::as_slice),
                None,
            ),
            List::Inline(n, r) => (&[][..], Some((*n, r.clone()))),
        };
        let inline = inline
            .into_iter()
            .flat_map(|(n, mut r)| (0..n).map(move |_| r.str()));
        held.iter().map(String::as_str).chain(inline)
    }

    /// The finding codes of a stored record.
    pub fn codes(&self, k: u32) -> &[Code] {
        self.codes
            .values
            .get(k as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn verbatim(&self, i: u32) -> Option<Event> {
        let mut r = self.record(i);
        r.u64();
        serde_json::from_slice(&r.b[r.p..]).ok()
    }

    /// The entry at `i`, rebuilt.
    pub fn event(&self, i: u32) -> Option<Event> {
        let ix = i as usize;
        if ix >= self.len() {
            return None;
        }
        let Some(v) = self.view(i) else {
            return self.verbatim(i);
        };
        let owned = |l: &List| self.list(l).into_iter().map(str::to_string).collect();
        let bits = self.bits[ix];
        let kind = if bits & GAP != 0 {
            Kind::Gap
        } else {
            Kind::Event
        };
        let tenant = self.tenants[self.tenant[ix] as usize].clone();
        let mut e = Event::new(kind, tenant, self.seq[ix], self.integrity(i));
        e.seq_end = v.seq_end;
        e.timestamp = v.ts.map(|t| t.to_text());
        e.micros = (bits & TIMED != 0).then_some(self.micros[ix]);
        for d in Dimension::ALL {
            *e.dimension_mut(d) = self.val(d, v.dims[d.index()]).map(str::to_string);
        }
        e.sources = owned(&v.sources);
        e.diverged_fields = owned(&v.diverged);
        e.missing_from = owned(&v.missing);
        e.flags = Flag::ALL
            .into_iter()
            .filter(|&f| self.flag_bits(i) & flag_bit(f) != 0)
            .collect();
        e.findings = self.codes(v.codes).to_vec();
        Some(e)
    }

    /// Whether entry `i` rebuilds to `e` (`event(i).as_ref() == Some(e)`, field by field), read
    /// in place without building the event (the builder asks `holds_as` of every entry
    /// it stores).
    pub fn holds(&self, i: u32, e: &Event) -> bool {
        self.holds_as(i, e, None)
    }

    /// [`Store::holds`], told what the encoder wrote for `e` ([`builder::Written`]): a derived
    /// timestamp that decodes to the instant the encoder proved is not rendered again, and a
    /// member or list that decodes to the dictionary id the encoder took for `e`'s very value is
    /// that value (a dictionary's id names the value interned under it), so no text is compared
    /// but what is stored inline.
    pub(crate) fn holds_as(&self, i: u32, e: &Event, written: Option<&builder::Written>) -> bool {
        let ix = i as usize;
        if ix >= self.len() {
            return false;
        }
        let Some(v) = self.view(i) else {
            return self.verbatim(i).as_ref() == Some(e);
        };
        let bits = self.bits[ix];
        let kind = if bits & GAP != 0 {
            Kind::Gap
        } else {
            Kind::Event
        };
        let same_list = |slot: usize, l: &List, want: &[String]| match (written, l) {
            (Some(w), List::Id(k)) => w.lists[slot] == Some(*k),
            _ => self.list_items(l).eq(want.iter().map(String::as_str)),
        };
        let same_member = |d: Dimension| {
            let (stored, want) = (v.dims[d.index()], e.dimension(d));
            match (written, stored) {
                (Some(w), Val::Id(k)) => w.dims[d.index()] == k + BASE,
                _ => self.val(d, stored) == want,
            }
        };
        let flags = Flag::ALL
            .into_iter()
            .filter(|&f| self.flag_bits(i) & flag_bit(f) != 0);
        kind == e.kind
            && self.tenants[self.tenant[ix] as usize] == e.tenant_id
            && self.seq[ix] == e.seq
            && v.seq_end == e.seq_end
            && match (&v.ts, e.timestamp.as_deref()) {
                (Some(ts), Some(t)) => ts.is(t, written.and_then(|w| w.proven)),
                (None, None) => true,
                _ => false,
            }
            && (bits & TIMED != 0).then_some(self.micros[ix]) == e.micros
            && Dimension::ALL.into_iter().all(same_member)
            && same_list(0, &v.sources, &e.sources)
            && self.integrity(i) == e.integrity
            && same_list(1, &v.diverged, &e.diverged_fields)
            && same_list(2, &v.missing, &e.missing_from)
            && flags.eq(e.flags.iter().copied())
            && self.codes(v.codes) == e.findings.as_slice()
    }

    /// The timestamp of entry `i`, in place.
    pub fn timestamp(&self, i: u32) -> Option<Cow<'_, str>> {
        match self.view(i) {
            Some(v) => v.ts.map(|t| match t {
                Ts::Explicit(s) => Cow::Borrowed(s),
                Ts::Derived(_) => Cow::Owned(t.to_text()),
            }),
            None => self.verbatim(i).and_then(|e| e.timestamp).map(Cow::Owned),
        }
    }

    pub fn is_gap(&self, i: u32) -> bool {
        self.bits[i as usize] & GAP != 0
    }

    pub fn is_verbatim(&self, i: u32) -> bool {
        self.bits[i as usize] & VERBATIM != 0
    }

    pub fn has_findings(&self, i: u32) -> bool {
        self.bits[i as usize] & FINDINGS != 0
    }

    pub fn integrity(&self, i: u32) -> Integrity {
        let code = (self.bits[i as usize] >> INTEGRITY_SHIFT) & 0xf;
        Integrity::ALL[(code as usize).min(Integrity::ALL.len() - 1)]
    }

    /// The set of flags of entry `i` (bits of [`flag_bit`]).
    pub fn flag_bits(&self, i: u32) -> u16 {
        ((self.bits[i as usize] >> FLAG_SHIFT) & FLAG_MASK) as u16
    }

    pub fn micros(&self, i: u32) -> Option<i64> {
        (self.bits[i as usize] & TIMED != 0).then(|| self.micros[i as usize])
    }

    pub fn seq(&self, i: u32) -> u64 {
        self.seq[i as usize]
    }

    /// Rank of the entry's tenant by name.
    pub fn tenant(&self, i: u32) -> u32 {
        self.tenant[i as usize]
    }

    /// Every tenant named by an entry (events and gaps), sorted: the index is the rank.
    pub fn tenants(&self) -> &[String] {
        &self.tenants
    }

    /// Value code of summary column `slot` for entry `i`.
    pub fn hot(&self, slot: usize, i: u32) -> u32 {
        self.hot[slot][i as usize]
    }

    /// The dictionary of dimension `d`.
    pub fn col(&self, d: Dimension) -> &Dict<String> {
        &self.cols[d.index()]
    }

    pub fn lists(&self) -> &Dict<Vec<String>> {
        &self.lists
    }

    pub fn code_lists(&self) -> &Dict<Vec<Code>> {
        &self.codes
    }

    /// Sort rank of a summary column's value code (not for `INLINE`).
    pub fn rank(&self, slot: usize, code: u32) -> u32 {
        self.ranks[slot].get(code as usize).copied().unwrap_or(0)
    }

    /// The text of summary column `slot` of entry `i` (absent as `None`).
    pub fn hot_str(&self, slot: usize, i: u32) -> Option<Cow<'_, str>> {
        let d = HOT[slot];
        match self.hot(slot, i) {
            ABSENT => None,
            INLINE => match self.view(i) {
                Some(v) => self.val(d, v.dims[d.index()]).map(Cow::Borrowed),
                None => self
                    .verbatim(i)
                    .and_then(|e| e.dimension(d).map(str::to_string))
                    .map(Cow::Owned),
            },
            k => self.cols[d.index()]
                .values
                .get((k - BASE) as usize)
                .map(|s| Cow::Borrowed(s.as_str())),
        }
    }

    /// The entry index of the event (tenant rank, seq).
    /// The entry of (tenant, seq): its current entry, or when it has none (a deleted record)
    /// its first recovered version.
    pub fn find_key(&self, tenant: u32, seq: u64) -> Option<u32> {
        let key = |&i: &u32| (self.tenant[i as usize], self.seq[i as usize]);
        let k = self.by_key.partition_point(|i| key(i) < (tenant, seq));
        self.by_key
            .get(k)
            .copied()
            .filter(|i| key(i) == (tenant, seq))
    }

    /// The (micros, index) of entries with micros in `[from, to]`, in time order, and how many.
    pub fn time_window(
        &self,
        from: i64,
        to: i64,
    ) -> (usize, Box<dyn Iterator<Item = (i64, u32)> + '_>) {
        match self.timed_prefix {
            Some(n) => {
                let m = &self.micros[..n];
                let lo = m.partition_point(|&x| x < from);
                let hi = m.partition_point(|&x| x <= to).max(lo);
                (
                    hi - lo,
                    Box::new((lo..hi).map(move |i| (self.micros[i], i as u32))),
                )
            }
            None => {
                let lo = self.by_time.partition_point(|&(m, _)| m < from);
                let hi = self.by_time.partition_point(|&(m, _)| m <= to).max(lo);
                (hi - lo, Box::new(self.by_time[lo..hi].iter().copied()))
            }
        }
    }

    /// First and last micros in time order.
    pub fn time_bounds(&self) -> (Option<i64>, Option<i64>) {
        match self.timed_prefix {
            Some(0) => (None, None),
            Some(n) => (Some(self.micros[0]), Some(self.micros[n - 1])),
            None => (
                self.by_time.first().map(|&(m, _)| m),
                self.by_time.last().map(|&(m, _)| m),
            ),
        }
    }

    /// Entries `[0, n)` have timestamps in string order and no later entry has one.
    pub fn ts_prefix(&self) -> Option<usize> {
        self.ts_prefix
    }

    /// Bytes held (the arena, the columns, the indexes; dictionaries roughly).
    pub fn heap_bytes(&self) -> usize {
        let dict = |d: &Dict<String>| d.values.iter().map(|v| v.capacity() + 24).sum::<usize>();
        self.arena.capacity()
            + self.offsets.capacity() * 8
            + self.micros.capacity() * 8
            + self.seq.capacity() * 8
            + self.tenant.capacity() * 4
            + self.bits.capacity() * 4
            + self.hot.iter().map(|h| h.capacity() * 4).sum::<usize>()
            + self.by_time.capacity() * 16
            + self.by_key.capacity() * 4
            + self.cols.iter().map(dict).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_cover_every_state_and_flag() {
        for (k, i) in Integrity::ALL.iter().enumerate() {
            assert_eq!(integrity_code(*i), k);
        }
        for (k, f) in Flag::ALL.iter().enumerate() {
            assert_eq!(flag_bit(*f), 1 << k);
        }
    }

    #[test]
    fn summary_columns_have_slots() {
        for (k, d) in HOT.iter().enumerate() {
            assert_eq!(hot_slot(*d), Some(k));
            assert_eq!(slot(*d), k);
        }
        assert_eq!(hot_slot(Dimension::HttpRoute), None);
    }

    #[test]
    fn free_text_finds_what_lowercasing_both_finds() {
        let hays = [
            "",
            "a",
            "Alice",
            "ALICE@EXAMPLE.COM",
            "bob-123456",
            "2026-03-01T08:00:00.123456789Z",
            "xAxAxAb",
            "ÄRGER mit Ümlauten",
            "user:42;role=Admin",
            "aaaaaaaab",
            "zz",
        ];
        let needles = [
            "a",
            "alice",
            "example.com",
            "123456",
            "3456789z",
            "t08",
            "axab",
            "ärger",
            "ümlauten",
            "=admin",
            "aab",
            "zzz",
            "-",
            "2026-03-01",
            "z",
            "b",
        ];
        for h in hays {
            for n in needles {
                let expected = h.to_lowercase().contains(n);
                assert_eq!(contains_ci(h, n), expected, "{h:?} contains {n:?}");
            }
        }
    }
}
