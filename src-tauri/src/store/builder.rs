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
        let proven = s.encode(e, &hot);
        s.offsets.push(s.arena.len() as u64);
        if !s.holds_proven(i as u32, e, proven) {
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
        let mut by_key: Vec<u32> = (0..n as u32)
            .filter(|&i| s.bits[i as usize] & GAP == 0)
            .collect();
        // The current entry of a (tenant, seq) first, its recovered versions after it.
        let recovered = integrity_code(Integrity::Recovered) as u32;
        by_key.sort_unstable_by_key(|&i| {
            let ix = i as usize;
            let is_recovered = (s.bits[ix] >> INTEGRITY_SHIFT) & 0xf == recovered;
            (s.tenant[ix], s.seq[ix], is_recovered, i)
        });
        s.by_key = by_key;
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

/// How `e`'s timestamp is stored: its form, the nanoseconds below the microsecond of a derived
/// one, and the instant found to render to the timestamp's very string.
fn ts_form(e: &Event) -> (u64, u64, Option<i64>) {
    let Some(ts) = &e.timestamp else {
        return (TS_NONE, 0, None);
    };
    let derived = e.micros.and_then(|m| {
        let b = ts.as_bytes();
        let frac: u32 = std::str::from_utf8(b.get(20..29)?).ok()?.parse().ok()?;
        let rem = i64::from(frac % 1000);
        let nanos = m.checked_mul(1000)?.checked_add(rem)?;
        (Instant { nanos }.canonical_bytes().as_slice() == b).then_some((rem, nanos))
    });
    match derived {
        Some((rem, nanos)) => (TS_DERIVED, rem as u64, Some(nanos)),
        None => (TS_EXPLICIT, 0, None),
    }
}

impl Store {
    /// Appends `e`'s record to the arena; returns the instant its derived timestamp renders from
    /// (see [`ts_form`]).
    fn encode(&mut self, e: &Event, hot: &[u32; 5]) -> Option<i64> {
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
        for d in Dimension::ALL {
            let v = e.dimension(d);
            match hot_slot(d) {
                Some(slot) => {
                    if hot[slot] == INLINE {
                        put_str(out, v.unwrap_or(""));
                    }
                }
                None => match v {
                    None => put(out, u64::from(ABSENT)),
                    Some(v) => match self.cols[d.index()].intern(v) {
                        Some(k) => put(out, u64::from(k + BASE)),
                        None => {
                            put(out, u64::from(INLINE));
                            put_str(out, v);
                        }
                    },
                },
            }
        }
        for l in [&e.sources, &e.diverged_fields, &e.missing_from] {
            match self.lists.intern(l.as_slice()) {
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
        proven
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
}
