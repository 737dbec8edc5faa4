//! The live records of an investigation, kept for a record's detail view: what the service sent
//! for one (tenant, seq), side by side with the evidence files' copies.
//!
//! Invariants: a kept copy is the record's canonical JSON (RFC 8785, every member, `hash`
//! included) as parsed from the service's page, so checking it again ([`LiveCopies::get`])
//! gives back the same computed hash, stored hash and members; records are kept in one byte
//! arena (no value tree per record); a live record that could not be parsed is not kept, and
//! [`LiveCopies::unparsed`] counts it so a detail view can say so instead of showing nothing.

use std::collections::HashMap;

use trailproof_core::canonical;
use trailproof_core::record::{self, Checked, Location, RawData, RawRecord};

/// Where one kept copy lies in the arena.
struct Kept {
    source: u16,
    loc: Location,
    start: usize,
    end: usize,
}

/// Live records by (tenant, seq) (see the module docs).
#[derive(Default)]
pub struct LiveCopies {
    sources: Vec<String>,
    bytes: Vec<u8>,
    index: HashMap<(String, u64), Vec<Kept>>,
    unparsed: u64,
}

impl LiveCopies {
    /// Keeps the record of `c`, read for the live input `source`.
    pub fn keep(&mut self, source: &str, c: &Checked) {
        let (Some(rec), Some(tenant), Some(seq)) = (&c.record, &c.tenant_id, c.seq) else {
            self.unparsed += 1;
            return;
        };
        let source = match self.sources.iter().position(|s| s == source) {
            Some(i) => i as u16,
            None => {
                self.sources.push(source.to_string());
                (self.sources.len() - 1) as u16
            }
        };
        let start = self.bytes.len();
        canonical::write_value(rec, &mut self.bytes);
        self.index
            .entry((tenant.clone(), seq))
            .or_default()
            .push(Kept {
                source,
                loc: c.loc,
                start,
                end: self.bytes.len(),
            });
    }

    /// Every kept copy of (tenant, seq), checked again, with the live input it came from.
    pub fn get(&self, tenant: &str, seq: u64) -> Vec<(String, Checked)> {
        let mut buf = Vec::with_capacity(2048);
        self.index
            .get(&(tenant.to_string(), seq))
            .into_iter()
            .flatten()
            .map(|k| {
                let raw = RawRecord {
                    loc: k.loc,
                    data: RawData::Json(self.bytes[k.start..k.end].to_vec()),
                };
                (
                    self.sources[k.source as usize].clone(),
                    record::check(raw, &mut buf),
                )
            })
            .collect()
    }

    /// Records kept.
    pub fn len(&self) -> usize {
        self.index.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Live records that could not be parsed (or named no tenant or seq), so were not kept.
    pub fn unparsed(&self) -> u64 {
        self.unparsed
    }
}
