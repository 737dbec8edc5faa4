//! Building the compact store: each event of the timeline, pushed in order, becomes its
//! columns and its encoded record (see the parent module for the encoding); [`Builder::finish`]
//! sorts the tenants, ranks the summary columns' values and builds the indexes.
//!
//! Invariant: every record is read back and compared with its event as it is written; an event
//! that would not come back identical is stored verbatim (as JSON) instead.

use foldhash::{HashMap, HashMapExt};

use super::*;

/// Appends `v` as a LEB128 varint.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a string: its length, then its bytes.
fn put_str(out: &mut Vec<u8>, s: &str) {
    put(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Builds a [`Store`] from events pushed in timeline order.
pub struct Builder {
    s: Store,
    tenant_ix: HashMap<String, u32>,
    last_micros: Option<i64>,
    untimed_seen: bool,
    timed_ok: bool,
    last_ts: Option<String>,
    no_ts_seen: bool,
    ts_ok: bool,
    ts_count: usize,
}

/// What a push learned about an entry's summary columns (for facets).
pub struct Pushed {
    /// Value codes of the summary columns, by slot.
    pub hot: [u32; 5],
}

impl Builder {
    /// A builder whose dictionaries hold at most `dict_cap` values each (the findings' lists of
    /// codes excepted: they are few).
    pub fn new(dict_cap: usize) -> Self {
        Builder {
            s: Store {
                arena: Vec::new(),
                offsets: vec![0],
                micros: Vec::new(),
                seq: Vec::new(),
                tenant: Vec::new(),
                bits: Vec::new(),
                hot: Default::default(),
                tenants: Vec::new(),
                cols: std::array::from_fn(|_| Dict::new(dict_cap)),
                lists: Dict::new(dict_cap),
                codes: Dict::new(usize::MAX),
                ranks: Default::default(),
                timed_prefix: None,
                by_time: Vec::new(),
                ts_prefix: None,
                by_key: Vec::new(),
            },
            tenant_ix: HashMap::new(),
            last_micros: None,
            untimed_seen: false,
            timed_ok: true,
            last_ts: None,
            no_ts_seen: false,
            ts_ok: true,
            ts_count: 0,
        }
    }

    /// Entries pushed so far.
    pub fn len(&self) -> usize {
        self.s.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the next entry of the timeline.
    pub fn push(&mut self, e: &Event) -> Pushed {
        let s = &mut self.s;
        let i = s.seq.len();
        let tenant = match self.tenant_ix.get(e.tenant_id.as_str()) {
            Some(&t) => t,
            None => {
                let t = s.tenants.len() as u32;
                s.tenants.push(e.tenant_id.clone());
                self.tenant_ix.insert(e.tenant_id.clone(), t);
                t
            }
        };
        let mut flags = 0u16;
        for f in &e.flags {
            flags |= flag_bit(*f);
        }
        let mut bits = (integrity_code(e.integrity) as u32) << INTEGRITY_SHIFT
            | u32::from(flags) << FLAG_SHIFT;
        if e.kind == Kind::Gap {
            bits |= GAP;
        }
        if e.micros.is_some() {
            bits |= TIMED;
        }
        if !e.findings.is_empty() {
            bits |= FINDINGS;
        }
        let hot: [u32; 5] = HOT.map(|d| match e.dimension(d) {
            None => ABSENT,
            Some(v) => s.cols[d.index()].intern(v).map_or(INLINE, |k| k + BASE),
        });
        s.micros.push(e.micros.unwrap_or(0));
        s.seq.push(e.seq);
        s.tenant.push(tenant);
        s.bits.push(bits);
        for (slot, v) in hot.iter().enumerate() {
            s.hot[slot].push(*v);
        }
        let start = s.arena.len();
        let written = s.encode(e, &hot);
        s.offsets.push(s.arena.len() as u64);
        if !s.holds_as(i as u32, e, Some(&written)) {
            // Not representable compactly (for instance flags out of order): keep it whole.
            s.arena.truncate(start);
            put(&mut s.arena, HDR_VERBATIM);
            let json = serde_json::to_vec(e).unwrap_or_default();
            s.arena.extend_from_slice(&json);
            *s.offsets.last_mut().expect("pushed") = s.arena.len() as u64;
            s.bits[i] |= VERBATIM;
        }
        // The orders the queries rely on, when they hold.
        match e.micros {
            Some(m) => {
                if self.untimed_seen || self.last_micros.is_some_and(|l| m < l) {
                    self.timed_ok = false;
                }
                self.last_micros = Some(m);
            }
            None => self.untimed_seen = true,
        }
        match &e.timestamp {
            Some(t) => {
                self.ts_count += 1;
                if self.no_ts_seen || self.last_ts.as_deref().is_some_and(|l| t.as_str() < l) {
                    self.ts_ok = false;
                }
                match &mut self.last_ts {
                    Some(l) => {
                        l.clear();
                        l.push_str(t);
                    }
                    None => self.last_ts = Some(t.clone()),
                }
            }
            None => self.no_ts_seen = true,
        }
        Pushed { hot }
    }

    /// The store, its indexes built.
    pub fn finish(self) -> Store {
        let Builder {
            mut s,
            timed_ok,
            ts_ok,
            ts_count,
            ..
        } = self;
        // Tenants by name: the id becomes the rank.
        let mut order: Vec<u32> = (0..s.tenants.len() as u32).collect();
        order.sort_by(|&a, &b| s.tenants[a as usize].cmp(&s.tenants[b as usize]));
        let mut remap = vec![0u32; order.len()];
        for (rank, &old) in order.iter().enumerate() {
            remap[old as usize] = rank as u32;
        }
        for t in &mut s.tenant {
            *t = remap[*t as usize];
        }
        s.tenants = order
            .iter()
            .map(|&o| std::mem::take(&mut s.tenants[o as usize]))
            .collect();
        for (slot, &member) in HOT.iter().enumerate() {
            let values = s.cols[member.index()].values();
            let mut sorted: Vec<(&str, u32)> = values
                .iter()
                .enumerate()
                .map(|(k, v)| (v.as_str(), k as u32 + BASE))
                .chain(std::iter::once(("", ABSENT)))
                .collect();
            sorted.sort_unstable();
            let mut ranks = vec![0u32; values.len() + BASE as usize];
            let mut rank = 0u32;
            for (n, &(v, code)) in sorted.iter().enumerate() {
                if n > 0 && sorted[n - 1].0 != v {
                    rank += 1;
                }
                ranks[code as usize] = rank;
            }
            s.ranks[slot] = ranks;
        }
        for c in &mut s.cols {
            c.seal();
        }
        s.lists.seal();
        s.codes.seal();
        let n = s.len();
        let timed = s.bits.iter().filter(|&&b| b & TIMED != 0).count();
        if timed_ok {
            s.timed_prefix = Some(timed);
        } else {
            let mut by_time: Vec<(i64, u32)> = (0..n)
                .filter(|&i| s.bits[i] & TIMED != 0)
                .map(|i| (s.micros[i], i as u32))
                .collect();
            by_time.sort_unstable();
            s.by_time = by_time;
        }
        if ts_ok {
            s.ts_prefix = Some(ts_count);
        }
        s.by_key = by_key(&s);
        s.arena.shrink_to_fit();
        s.offsets.shrink_to_fit();
        s.micros.shrink_to_fit();
        s.seq.shrink_to_fit();
        s.tenant.shrink_to_fit();
        s.bits.shrink_to_fit();
        for h in &mut s.hot {
            h.shrink_to_fit();
        }
        s
    }
}

/// The entries of kind event by (tenant rank, seq, index), the current entry of a (tenant,
/// seq) before its recovered versions. Placed by tenant first (keeping timeline order), so a
/// tenant whose seqs come in timeline order (the common case: a log is written in time order)
/// is in place without sorting; any other tenant's entries are sorted.
fn by_key(s: &Store) -> Vec<u32> {
    let recovered = integrity_code(Integrity::Recovered) as u32;
    let key = |i: u32| {
        let ix = i as usize;
        let is_recovered = (s.bits[ix] >> INTEGRITY_SHIFT) & 0xf == recovered;
        (s.seq[ix], is_recovered, i)
    };
    let events = || (0..s.len() as u32).filter(|&i| s.bits[i as usize] & GAP == 0);
    // Where each tenant's entries start.
    let mut start = vec![0usize; s.tenants.len() + 1];
    for i in events() {
        start[s.tenant[i as usize] as usize + 1] += 1;
    }
    for t in 1..start.len() {
        start[t] += start[t - 1];
    }
    let mut at = start.clone();
    let mut out = vec![0u32; start[s.tenants.len()]];
    for i in events() {
        let t = s.tenant[i as usize] as usize;
        out[at[t]] = i;
        at[t] += 1;
    }
    for t in 0..s.tenants.len() {
        let run = &mut out[start[t]..start[t + 1]];
        if !run.windows(2).all(|w| key(w[0]) < key(w[1])) {
            run.sort_unstable_by_key(|&i| key(i));
        }
    }
    out
}

/// What [`Store::encode`] wrote for an event, for [`Store::holds_as`] to check the record
/// against.
pub(crate) struct Written {
    /// The instant a derived timestamp renders from (see [`ts_form`]).
    pub(crate) proven: Option<i64>,
    /// The code of each member, by [`Dimension::index`] (`BASE + id` for a dictionary value).
    pub(crate) dims: [u32; Dimension::COUNT],
    /// The dictionary id of `sources`, `diverged_fields` and `missing_from`, where interned.
    pub(crate) lists: [Option<u32>; 3],
}

/// How `e`'s timestamp is stored: its form, the nanoseconds below the microsecond of a derived
/// one, and the instant found to render to the timestamp's very string.
fn ts_form(e: &Event) -> (u64, u64, Option<i64>) {
    let Some(ts) = &e.timestamp else {
        return (TS_NONE, 0, None);
    };
    let derived = e.micros.and_then(|m| {
        let b = ts.as_bytes();
        // The nanoseconds below the microsecond are the last three digits of the fraction; the
        // comparison below decides whether the rest is the micros' rendering.
        let rem = b.get(26..29)?.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })?;
        let nanos = m.checked_mul(1000)?.checked_add(rem)?;
        (Instant { nanos }.canonical_bytes().as_slice() == b).then_some((rem, nanos))
    });
    match derived {
        Some((rem, nanos)) => (TS_DERIVED, rem as u64, Some(nanos)),
        None => (TS_EXPLICIT, 0, None),
    }
}

impl Store {
    /// Appends `e`'s record to the arena; returns what it wrote.
    fn encode(&mut self, e: &Event, hot: &[u32; 5]) -> Written {
        let (ts, rem, proven) = ts_form(e);
        let mut hdr = ts;
        if e.seq_end.is_some() {
            hdr |= HAS_SEQ_END;
        }
        let out = &mut self.arena;
        put(out, hdr);
        if let Some(end) = e.seq_end {
            put(out, end);
        }
        match ts {
            TS_DERIVED => put(out, rem),
            TS_EXPLICIT => put_str(out, e.timestamp.as_deref().unwrap_or("")),
            _ => {}
        }
        let mut dims = [ABSENT; Dimension::COUNT];
        for d in Dimension::ALL {
            let v = e.dimension(d);
            let code = match hot_slot(d) {
                Some(slot) => hot[slot],
                None => {
                    let code = v.map_or(ABSENT, |v| {
                        self.cols[d.index()].intern(v).map_or(INLINE, |k| k + BASE)
                    });
                    put(out, u64::from(code));
                    code
                }
            };
            if code == INLINE {
                put_str(out, v.unwrap_or(""));
            }
            dims[d.index()] = code;
        }
        let mut lists = [None; 3];
        for (slot, l) in [&e.sources, &e.diverged_fields, &e.missing_from]
            .into_iter()
            .enumerate()
        {
            lists[slot] = self.lists.intern(l.as_slice());
            match lists[slot] {
                Some(k) => put(out, u64::from(k) + 1),
                None => {
                    put(out, 0);
                    put(out, l.len() as u64);
                    for v in l {
                        put_str(out, v);
                    }
                }
            }
        }
        let k = self.codes.intern(e.findings.as_slice()).unwrap_or(0);
        put(out, u64::from(k));
        Written {
            proven,
            dims,
            lists,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut b = Vec::new();
        let vals = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        for v in vals {
            put(&mut b, v);
        }
        put_str(&mut b, "zoë");
        let mut r = Rd { b: &b, p: 0 };
        for v in vals {
            assert_eq!(r.u64(), v);
        }
        assert_eq!(r.str(), "zoë");
        // Past the end: zeros and empty strings, no panic.
        assert_eq!(r.u64(), 0);
        assert_eq!(r.str(), "");
    }

    #[test]
    fn records_are_stored_compactly_when_they_read_back_and_verbatim_when_not() {
        let event = |seq: u64, actor: &str, source: &str| {
            let mut e = Event::new(Kind::Event, "acme".into(), seq, Integrity::Verified);
            e.timestamp = Some("2026-04-30T08:00:00.000001234Z".into());
            e.micros = Some(1_777_536_000_000_001);
            e.actor_user_id = Some(actor.into());
            e.resource_id = Some(format!("r-{seq}"));
            e.sources = vec![source.into()];
            e
        };
        // Dictionaries of one value: the second actor, resource and list are stored inline.
        let mut timeline = vec![event(1, "u-1", "a.jsonl"), event(2, "u-2", "b.jsonl")];
        // Flags out of order do not read back from flag bits: stored whole.
        let mut odd = event(3, "u-1", "a.jsonl");
        odd.flags = vec![Flag::OffHours, Flag::Denied];
        timeline.push(odd);
        // A timestamp that is not its instant's rendering is stored as its text.
        let mut explicit = event(4, "u-1", "a.jsonl");
        explicit.timestamp = Some("2026-04-30T08:00:00.000001234+00:00".into());
        timeline.push(explicit);
        let mut b = Builder::new(1);
        for e in &timeline {
            b.push(e);
        }
        let s = b.finish();
        let verbatim: Vec<bool> = (0..4).map(|i| s.is_verbatim(i)).collect();
        assert_eq!(verbatim, [false, false, true, false]);
        for (i, e) in timeline.iter().enumerate() {
            assert_eq!(s.event(i as u32).as_ref(), Some(e), "entry {i}");
        }
        let v = s.view(1).expect("compact");
        assert!(matches!(
            v.dims[Dimension::ActorUserId.index()],
            Val::Inline("u-2")
        ));
        assert!(matches!(v.sources, List::Inline(1, _)));
        let v = s.view(3).expect("compact");
        assert!(matches!(v.ts, Some(Ts::Explicit(_))));
        assert!(matches!(v.dims[Dimension::ActorUserId.index()], Val::Id(0)));
        assert!(matches!(v.sources, List::Id(0)));
    }

    #[test]
    fn entries_by_key_put_each_tenant_in_seq_order_current_before_recovered() {
        use Integrity::{Recovered, Verified};
        let entry =
            |kind, tenant: &str, seq, integrity| Event::new(kind, tenant.into(), seq, integrity);
        let timeline = [
            entry(Kind::Event, "b", 1, Verified),
            entry(Kind::Event, "a", 3, Verified),
            entry(Kind::Event, "b", 2, Verified),
            entry(Kind::Event, "a", 1, Verified),
            entry(Kind::Gap, "a", 2, Integrity::Gap),
            entry(Kind::Event, "a", 2, Recovered),
            entry(Kind::Event, "a", 2, Verified),
            entry(Kind::Event, "b", 3, Verified),
        ];
        let mut b = Builder::new(16);
        for e in &timeline {
            b.push(e);
        }
        let s = b.finish();
        // Tenant a (out of order, its seq 2 recovered before it is current), then b (in order);
        // the gap is no event.
        assert_eq!(s.by_key, [3, 6, 5, 1, 0, 2, 7]);
        assert_eq!(s.find_key(0, 2), Some(6));
        assert_eq!(s.find_key(1, 3), Some(7));
    }
}
