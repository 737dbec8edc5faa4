//! The dictionaries of the compact store: values interned to small ids, in the order first
//! seen, up to a cap.
//!
//! Invariant: a dictionary only grows until it holds its cap of values; after that a new value
//! is refused (and stored inline by the caller), so a value is either always an id or never.

use std::borrow::Borrow;
// Values come from the evidence: foldhash seeds each map at random (minimally DoS-resistant),
// at a fraction of SipHash's cost per lookup.
use foldhash::{HashMap, HashMapExt};
use std::hash::Hash;

/// Values interned to ids, in the order first seen, up to a cap.
pub struct Dict<K> {
    pub(super) values: Vec<K>,
    map: HashMap<K, u32>,
    cap: usize,
    /// A value was refused because the dictionary was full (so some values are inline).
    overflowed: bool,
}

impl<K: Hash + Eq + Clone> Dict<K> {
    pub(super) fn new(cap: usize) -> Self {
        Dict {
            values: Vec::new(),
            map: HashMap::new(),
            cap,
            overflowed: false,
        }
    }

    /// The id of `q`, interning it while there is room; `None` once full and `q` is new.
    pub(super) fn intern<Q>(&mut self, q: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(&i) = self.map.get(q) {
            return Some(i);
        }
        if self.values.len() >= self.cap {
            self.overflowed = true;
            return None;
        }
        let id = self.values.len() as u32;
        let k = q.to_owned();
        self.map.insert(k.clone(), id);
        self.values.push(k);
        Some(id)
    }

    /// The values, by id.
    pub fn values(&self) -> &[K] {
        &self.values
    }

    /// Some value was stored inline instead.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The id of `q` (a scan: done once per query, not per entry).
    pub fn find<Q>(&self, q: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.values
            .iter()
            .position(|v| v.borrow() == q)
            .map(|i| i as u32)
    }

    /// Drops the lookup map (building is over) and trims memory.
    pub(super) fn seal(&mut self) {
        self.map = HashMap::new();
        self.values.shrink_to_fit();
    }
}
