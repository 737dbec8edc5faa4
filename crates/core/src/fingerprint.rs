//! Export fingerprints (AEF/1 section 5), computed streaming.
//!
//! `fingerprint = SHA-256(canonical({"records": [...], "scope": scope}))`. The canonical
//! object's members sort as `records` < `scope`, so the bytes are produced in one pass:
//! `{"records":[` + each full record (with `hash` and `prev_hash`) joined by `,` + `],"scope":`
//! + the canonical scope + `}`. No record list is ever held in memory for it.

use ring::digest::{Context, SHA256};

use crate::canonical;
use crate::json::Value;
use crate::record::{hex, Digest};
use crate::scope::Scope;

/// Streaming fingerprint of a scope's records, fed in `seq` order.
pub struct FingerprintHasher {
    h: Context,
    count: u64,
    buf: Vec<u8>,
}

impl Default for FingerprintHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl FingerprintHasher {
    /// A hasher that has seen no record yet.
    pub fn new() -> Self {
        let mut h = Context::new(&SHA256);
        h.update(b"{\"records\":[");
        FingerprintHasher {
            h,
            count: 0,
            buf: Vec::with_capacity(1024),
        }
    }

    /// Adds the next record (a full canonical record, timestamp normalized).
    pub fn push(&mut self, record: &Value) {
        self.buf.clear();
        if self.count > 0 {
            self.buf.push(b',');
        }
        canonical::write_value(record, &mut self.buf);
        self.h.update(&self.buf);
        self.count += 1;
    }

    /// Adds the next record given as its canonical bytes (exactly what
    /// [`canonical::write_value`] writes for it), so callers can serialize records on several
    /// threads and only hash here, in order.
    pub fn push_canonical(&mut self, bytes: &[u8]) {
        if self.count > 0 {
            self.h.update(b",");
        }
        self.h.update(bytes);
        self.count += 1;
    }

    /// Records pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The fingerprint of the records pushed so far under `scope`, without closing the stream
    /// (for prefix fingerprints: "which first part of a live scope did an export hold?").
    pub fn peek(&self, scope: &Scope) -> Digest {
        self.peek_closed(&closing(scope))
    }

    /// [`FingerprintHasher::peek`] with the closing bytes of the scope computed once by
    /// [`closing`] (for a peek after every record).
    pub fn peek_closed(&self, closing: &[u8]) -> Digest {
        let mut h = self.h.clone();
        h.update(closing);
        digest(h)
    }

    /// Closes the object with the scope and returns the digest.
    pub fn finish(mut self, scope: &Scope) -> Digest {
        self.buf.clear();
        self.buf.extend_from_slice(b"],\"scope\":");
        canonical::write_value(&scope.to_value(), &mut self.buf);
        self.buf.push(b'}');
        self.h.update(&self.buf);
        digest(self.h)
    }
}

fn digest(h: Context) -> Digest {
    h.finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 digests are 32 bytes")
}

/// The bytes that close the fingerprint object of `scope`: `],"scope":` + the canonical scope
/// + `}`.
pub fn closing(scope: &Scope) -> Vec<u8> {
    let mut tail = Vec::with_capacity(256);
    tail.extend_from_slice(b"],\"scope\":");
    canonical::write_value(&scope.to_value(), &mut tail);
    tail.push(b'}');
    tail
}

/// Fingerprint of `records` (already in `seq` order) under `scope`, as lowercase hex.
pub fn fingerprint<'a>(scope: &Scope, records: impl IntoIterator<Item = &'a Value>) -> String {
    let mut f = FingerprintHasher::new();
    for r in records {
        f.push(r);
    }
    hex(&f.finish(scope))
}
