//! The live records of an investigation, kept for a record's detail view: what the service sent
//! for one (tenant, seq), side by side with the evidence files' copies.
//!
//! Invariants: a kept copy is the record's canonical JSON (RFC 8785, every member, `hash`
//! included) as parsed from the service's page, so checking it again ([`LiveCopies::get`])
//! gives back the same computed hash, stored hash and members; records are kept in one byte
//! arena (no value tree per record) whose bytes past the first few MiB live in an unnamed
//! temporary file (deleted by the system when closed, never beside the evidence), so memory holds
//! about 70 bytes per record however large the scope; when no temporary file can be written the
//! arena stays in memory rather than lose a copy, and a copy that cannot be read back from the
//! file is returned as unreadable, saying why; a live record that could not be parsed is not
//! kept, and [`LiveCopies::unparsed`] counts it so a detail view can say so instead of showing
//! nothing.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use trailproof_core::canonical;
use trailproof_core::record::{self, Checked, Location, RawData, RawRecord};
use trailproof_core::spill::Interner;

/// Arena bytes held in memory before they are written to the temporary file.
const SPILL_AT: usize = 8 << 20;

/// No further copy of the same (tenant, seq).
const NONE: u32 = u32::MAX;

/// Where one kept copy lies in the arena; `next` chains the copies of one (tenant, seq).
struct Kept {
    source: u16,
    loc: Location,
    start: u64,
    len: u32,
    next: u32,
}

/// Live records by (tenant, seq) (see the module docs).
pub struct LiveCopies {
    sources: Vec<String>,
    tenants: Interner,
    kept: Vec<Kept>,
    /// (tenant, seq) → (first, last) index in `kept`.
    index: HashMap<(u32, u64), (u32, u32)>,
    /// Arena bytes from offset `spilled` on.
    tail: Vec<u8>,
    /// Arena bytes written to `file` (offsets below this are read from it).
    spilled: u64,
    file: Option<Mutex<File>>,
    spill_failed: bool,
    spill_at: usize,
    unparsed: u64,
}

impl Default for LiveCopies {
    fn default() -> Self {
        LiveCopies::with_spill_at(SPILL_AT)
    }
}

impl LiveCopies {
    /// Copies whose arena moves to the temporary file each time `spill_at` bytes are held
    /// (tests use a small value).
    pub fn with_spill_at(spill_at: usize) -> Self {
        LiveCopies {
            sources: Vec::new(),
            tenants: Interner::default(),
            kept: Vec::new(),
            index: HashMap::new(),
            tail: Vec::new(),
            spilled: 0,
            file: None,
            spill_failed: false,
            spill_at,
            unparsed: 0,
        }
    }

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
        let (tenant, _) = self.tenants.id(tenant);
        let offset = self.tail.len();
        canonical::write_value(rec, &mut self.tail);
        let i = self.kept.len() as u32;
        self.kept.push(Kept {
            source,
            loc: c.loc,
            start: self.spilled + offset as u64,
            len: (self.tail.len() - offset) as u32,
            next: NONE,
        });
        match self.index.get_mut(&(tenant, seq)) {
            Some((_, last)) => {
                self.kept[*last as usize].next = i;
                *last = i;
            }
            None => {
                self.index.insert((tenant, seq), (i, i));
            }
        }
        if self.tail.len() >= self.spill_at && !self.spill_failed {
            self.spill();
        }
    }

    /// Moves the in-memory bytes to the temporary file; on any error the bytes stay in memory
    /// (and later ones too: offsets below `spilled` must all be in the file).
    fn spill(&mut self) {
        if self.file.is_none() {
            match tempfile::tempfile() {
                Ok(f) => self.file = Some(Mutex::new(f)),
                Err(_) => {
                    self.spill_failed = true;
                    return;
                }
            }
        }
        let Some(file) = self.file.as_mut() else {
            return;
        };
        let file = file.get_mut().unwrap_or_else(|p| p.into_inner());
        let written = file
            .seek(SeekFrom::Start(self.spilled))
            .and_then(|_| file.write_all(&self.tail));
        match written {
            Ok(()) => {
                self.spilled += self.tail.len() as u64;
                self.tail.clear();
            }
            Err(_) => self.spill_failed = true,
        }
    }

    /// The canonical bytes of one kept copy.
    fn bytes(&self, k: &Kept) -> Result<Vec<u8>, String> {
        if k.start >= self.spilled {
            let at = (k.start - self.spilled) as usize;
            return Ok(self.tail[at..at + k.len as usize].to_vec());
        }
        let Some(file) = &self.file else {
            return Err("the kept live copy is missing from its temporary file".into());
        };
        let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = vec![0u8; k.len as usize];
        file.seek(SeekFrom::Start(k.start))
            .and_then(|_| file.read_exact(&mut out))
            .map_err(|e| {
                format!("the kept live copy could not be read back from its temporary file: {e}")
            })?;
        Ok(out)
    }

    /// Every kept copy of (tenant, seq), checked again, with the live input it came from.
    pub fn get(&self, tenant: &str, seq: u64) -> Vec<(String, Checked)> {
        let mut buf = Vec::with_capacity(2048);
        let mut out = Vec::new();
        let Some(t) = self.tenants.get(tenant) else {
            return out;
        };
        let mut i = self.index.get(&(t, seq)).map_or(NONE, |&(first, _)| first);
        while i != NONE {
            let k = &self.kept[i as usize];
            let data = match self.bytes(k) {
                Ok(b) => RawData::Json(b),
                Err(e) => RawData::Unreadable(e),
            };
            let raw = RawRecord { loc: k.loc, data };
            out.push((
                self.sources[k.source as usize].clone(),
                record::check(raw, &mut buf),
            ));
            i = k.next;
        }
        out
    }

    /// Records kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Live records that could not be parsed (or named no tenant or seq), so were not kept.
    pub fn unparsed(&self) -> u64 {
        self.unparsed
    }

    /// Arena bytes held in memory (the rest are in the temporary file).
    pub fn bytes_in_memory(&self) -> usize {
        self.tail.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(tenant: &str, seq: u64, actor: &str) -> Checked {
        let json = format!(
            r#"{{"seq":{seq},"tenant_id":"{tenant}","actor_user_id":"{actor}","hash":"{h}"}}"#,
            h = "ab".repeat(32)
        );
        record::check(
            RawRecord {
                loc: Location::Index(seq),
                data: RawData::Json(json.into_bytes()),
            },
            &mut Vec::new(),
        )
    }

    /// Copies written to the temporary file and copies still in memory read back alike, and
    /// the copies of one (tenant, seq) come back in the order kept.
    #[test]
    fn copies_read_back_from_the_file_and_from_memory() {
        let mut k = LiveCopies::with_spill_at(1000);
        for seq in 1..=500u64 {
            k.keep("live:a", &checked("acme", seq, &format!("u{seq}")));
            k.keep("live:a", &checked("globex", seq, &format!("g{seq}")));
        }
        k.keep("live:b", &checked("acme", 7, "second"));
        assert_eq!(k.len(), 1001);
        assert!(k.spilled > 0, "the arena moved to the file");
        assert!(k.bytes_in_memory() < 1000 + 200);
        for seq in [1u64, 250, 500] {
            let got = k.get("globex", seq);
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].0, "live:a");
            let want = checked("globex", seq, &format!("g{seq}"));
            assert_eq!(got[0].1.computed_hash, want.computed_hash);
            assert_eq!(got[0].1.loc, Location::Index(seq));
            assert_eq!(
                got[0].1.record.as_ref().unwrap().to_string(),
                want.record.as_ref().unwrap().to_string()
            );
        }
        let seven = k.get("acme", 7);
        let actors: Vec<_> = seven
            .iter()
            .map(|(s, c)| {
                (
                    s.as_str(),
                    c.record
                        .as_ref()
                        .unwrap()
                        .get("actor_user_id")
                        .unwrap()
                        .to_string(),
                )
            })
            .collect();
        assert_eq!(
            actors,
            vec![
                ("live:a", "\"u7\"".to_string()),
                ("live:b", "\"second\"".to_string())
            ]
        );
        assert!(k.get("acme", 501).is_empty());
        assert!(k.get("initech", 1).is_empty());
    }
}
