//! The paging pipeline of one scope: a fetcher task asks for the pages one after the other and
//! hands each body on as soon as it has read `next_after_seq` from it; a checker thread
//! canonicalizes and hashes each page's records on all cores (the page's own digest alongside);
//! the caller absorbs the checked pages in order (fingerprint, chain, findings, sink). So page
//! k+2 is on the wire while page k+1 is hashed and page k is absorbed.
//!
//! Invariants:
//! * pages reach the caller in the order the service sent them, records in page order, and
//!   [`Location::Index`] counts records across pages exactly as one sequential pass would;
//! * an error (transport, status, malformed page, `next_after_seq` that does not advance) is
//!   delivered after every page before it and ends the stream: the page it concerns is never
//!   absorbed;
//! * at most [`AHEAD`] bodies wait between the fetcher and the checker and one checked page
//!   between the checker and the caller, so memory stays flat whatever the scope's size;
//! * the stream ends with the page whose `next_after_seq` is null; a stream that stops before
//!   it (a stage that died) is an error, never a short scope;
//! * when the caller stops early (cancel, error), dropping its receiver and aborting the fetcher
//!   ends both other stages.

use rayon::prelude::*;
use ring::digest::Context;
use trailproof_core::canonical;
use trailproof_core::json::Value;
use trailproof_core::record::members::value_end;
use trailproof_core::record::{self, Checked, Location, RawData, RawRecord};
use trailproof_core::scope::Scope;

use crate::api::{malformed, Page, RECORDS_PATH};
use crate::http::Api;
use crate::LiveError;

/// Bodies the fetcher may hold ready ahead of the checker.
pub(crate) const AHEAD: usize = 2;

/// A page body, where its records lie in it, and whether it is the scope's last page.
pub(crate) struct Fetched {
    body: Vec<u8>,
    spans: Vec<(usize, usize)>,
    last: bool,
}

/// Reads a body: its records' spans and its `next_after_seq`.
fn read_body(body: Vec<u8>) -> Result<(Fetched, Option<u64>), LiveError> {
    let page = Page::parse(&body)?;
    let base = body.as_ptr() as usize;
    let spans = page
        .records
        .iter()
        .map(|r| {
            let start = r.get().as_ptr() as usize - base;
            (start, start + r.get().len())
        })
        .collect();
    let next = page.next_after_seq;
    drop(page);
    let last = next.is_none();
    Ok((Fetched { body, spans, last }, next))
}

/// The fetcher: pages `query` (the scope's parameters) from `after_seq=0` until
/// `next_after_seq` is null, sending each page, or the error that ends the paging, to `tx`.
/// Returns when done, when the receiver is gone, or at the first error.
pub(crate) async fn fetch_pages(
    api: Api,
    query: Vec<(&'static str, String)>,
    limit: usize,
    tx: tokio::sync::mpsc::Sender<Result<Fetched, LiveError>>,
) {
    let mut after = 0u64;
    loop {
        let mut q = query.clone();
        q.push(("after_seq", after.to_string()));
        q.push(("limit", limit.to_string()));
        let got = api
            .get(RECORDS_PATH, &q)
            .await
            .and_then(read_body)
            .and_then(|(page, next)| match next {
                Some(n) if n <= after => Err(malformed(
                    RECORDS_PATH,
                    format!("next_after_seq {n} does not advance past {after}"),
                )),
                _ => Ok((page, next)),
            });
        match got {
            Ok((page, next)) => {
                if tx.send(Ok(page)).await.is_err() {
                    return;
                }
                match next {
                    Some(n) => after = n,
                    None => return,
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    }
}

/// One live record, checked: what [`record::check`] says of it, its full canonical bytes (for
/// the fingerprint; empty when it is unreadable) and why it is outside the scope, if it is.
pub(crate) struct Prepared {
    pub checked: Checked,
    pub canonical: Vec<u8>,
    pub mismatch: Option<&'static str>,
}

/// A checked page.
pub(crate) struct CheckedPage {
    pub bytes: u64,
    pub records: Vec<Prepared>,
    /// The scope's last page (`next_after_seq` null): the stream ends with it.
    pub last: bool,
}

/// The checker's state: the digest of every body so far (chain of custody) and the index of
/// the next record.
pub(crate) struct Checker<'a> {
    pub scope: &'a Scope,
    pub body: Context,
    pub index: u64,
}

impl Checker<'_> {
    /// Checks one page on all cores, its body's digest alongside.
    pub fn check(&mut self, page: Fetched) -> CheckedPage {
        let Fetched { body, spans, last } = page;
        let raws: Vec<RawRecord> = spans
            .iter()
            .enumerate()
            .map(|(i, &(s, e))| RawRecord {
                loc: Location::Index(self.index + i as u64),
                data: RawData::Json(body[s..e].to_vec()),
            })
            .collect();
        self.index += spans.len() as u64;
        let scope = self.scope;
        let digest = &mut self.body;
        let (_, records) = rayon::join(
            || digest.update(&body),
            || {
                raws.into_par_iter()
                    .with_min_len(64)
                    .map_init(|| Vec::with_capacity(2048), |buf, r| prepare(r, buf, scope))
                    .collect()
            },
        );
        CheckedPage {
            bytes: body.len() as u64,
            records,
            last,
        }
    }
}

fn prepare(raw: RawRecord, buf: &mut Vec<u8>, scope: &Scope) -> Prepared {
    let checked = record::check(raw, buf);
    let mut canonical = Vec::new();
    let mut mismatch = None;
    if let Some(rec) = &checked.record {
        // With a computed hash, `buf` holds the record's hashed bytes (every member but
        // `hash`): the full bytes are those with `hash` spliced in, not a second serialization.
        if checked.computed_hash.is_none() || !splice_hash(rec, buf, &mut canonical) {
            canonical.clear();
            canonical.reserve(buf.len() + 96);
            canonical::write_value(rec, &mut canonical);
        }
        mismatch = scope.mismatch(rec);
    }
    Prepared {
        checked,
        canonical,
        mismatch,
    }
}

/// Writes into `out` the canonical bytes of the object `rec` (exactly what
/// [`canonical::write_value`] writes), given `hashed`, the canonical bytes of `rec` without its
/// `hash` member ([`record::write_hashed_bytes`]): `"hash":<value>` goes in after the members
/// that precede it. False (and `out` unusable) when `hashed` does not have the members of `rec`.
pub(crate) fn splice_hash(rec: &Value, hashed: &[u8], out: &mut Vec<u8>) -> bool {
    let Value::Object(members) = rec else {
        return false;
    };
    let Some(at) = members.iter().position(|(k, _)| k == "hash") else {
        out.extend_from_slice(hashed);
        return true;
    };
    let after = members.len() - at - 1;
    if hashed.first() != Some(&b'{') || hashed.last() != Some(&b'}') {
        return false;
    }
    // The end of the `at` members before `hash`, each checked against its name.
    let mut pos = 1;
    let mut key = Vec::with_capacity(32);
    for (i, (name, _)) in members[..at].iter().enumerate() {
        if i > 0 {
            if hashed.get(pos) != Some(&b',') {
                return false;
            }
            pos += 1;
        }
        key.clear();
        canonical::write_string(name, &mut key);
        if !hashed[pos..].starts_with(&key) || hashed.get(pos + key.len()) != Some(&b':') {
            return false;
        }
        match value_end(hashed, pos + key.len() + 1) {
            Some(end) => pos = end,
            None => return false,
        }
    }
    // What follows is the next member, or the end of the object.
    let want = if after > 0 {
        if at > 0 {
            b','
        } else {
            b'"'
        }
    } else {
        b'}'
    };
    if hashed.get(pos) != Some(&want) {
        return false;
    }
    out.reserve(hashed.len() + 96);
    out.extend_from_slice(&hashed[..pos]);
    if at > 0 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"hash\":");
    canonical::write_value(&members[at].1, out);
    if at == 0 && after > 0 {
        out.push(b',');
    }
    out.extend_from_slice(&hashed[pos..]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(v: &Value) -> Vec<u8> {
        let mut b = Vec::new();
        record::write_hashed_bytes(v, &mut b);
        b
    }

    /// The spliced bytes are the full canonical bytes, wherever `hash` sorts and whatever the
    /// members around it hold.
    #[test]
    fn splice_gives_the_full_canonical_bytes() {
        let texts = [
            r#"{"seq":1,"hash":"ab","tenant_id":"t"}"#,
            r#"{"hash":"ab"}"#,
            r#"{"hash":{"x":[1,"]}"]},"a":"}\"","z":null}"#,
            r#"{"a":1,"hash":2}"#,
            r#"{"hash":null,"zz":[{"a":"\\"}],"b":[[],{}]}"#,
            r#"{"a\"b":"x","h\u0000":1,"hash":true,"hasi":false,"é":"€","𝄞":1}"#,
            r#"{"changes":{"a":[1.5,-0,1e21,"q\"}"]},"actor_ip":null,"event_id":"e","hash":"h","seq":3}"#,
            r#"{"seq":1,"tenant_id":"t"}"#,
            r#"{}"#,
        ];
        for t in texts {
            let v = Value::parse(t.as_bytes()).unwrap();
            let mut out = Vec::new();
            assert!(splice_hash(&v, &hashed(&v), &mut out), "{t}");
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(canonical::to_vec(&v)).unwrap(),
                "{t}"
            );
        }
    }

    /// Bytes that are not the record's hashed bytes are refused, never spliced into.
    #[test]
    fn splice_refuses_other_bytes() {
        let v = Value::parse(br#"{"a":"x","hash":"h","z":1}"#).unwrap();
        let other = Value::parse(br#"{"b":"x","hash":"h","z":1}"#).unwrap();
        for bad in [
            hashed(&other),
            b"".to_vec(),
            b"{}".to_vec(),
            b"{\"a\":\"x\"".to_vec(),
            b"{\"a\":\"x}".to_vec(),
        ] {
            let mut out = Vec::new();
            assert!(!splice_hash(&v, &bad, &mut out), "{bad:?}");
        }
        assert!(!splice_hash(&Value::Null, b"null", &mut Vec::new()));
    }

    /// A prepared record carries the full canonical bytes, also when its timestamp cannot be
    /// made canonical (no hashed bytes to splice into) and when it is out of scope.
    #[test]
    fn prepare_matches_a_full_serialization() {
        let scope = Scope::tenant("acme");
        let mut buf = Vec::new();
        for (t, out_of_scope) in [
            (
                r#"{"seq":2,"tenant_id":"acme","timestamp":"2026-04-30 13:41:23+02","hash":"x","prev_hash":"y"}"#,
                None,
            ),
            (
                r#"{"seq":2,"tenant_id":"acme","timestamp":"never","hash":"x","prev_hash":"y"}"#,
                None,
            ),
            (
                r#"{"seq":2,"tenant_id":"globex","timestamp":"2026-04-30T13:41:23Z","prev_hash":"y"}"#,
                Some("tenant_id"),
            ),
        ] {
            let raw = RawRecord {
                loc: Location::Index(4),
                data: RawData::Json(t.as_bytes().to_vec()),
            };
            let p = prepare(raw.clone(), &mut buf, &scope);
            let c = record::check(raw, &mut Vec::new());
            let full = canonical::to_vec(c.record.as_ref().unwrap());
            assert_eq!(p.canonical, full, "{t}");
            assert_eq!(p.mismatch, out_of_scope, "{t}");
            assert_eq!(p.checked.computed_hash, c.computed_hash, "{t}");
        }
        let raw = RawRecord {
            loc: Location::Index(0),
            data: RawData::Json(b"{\"seq\":1,\"seq\":2}".to_vec()),
        };
        let p = prepare(raw, &mut buf, &scope);
        assert!(p.checked.record.is_none() && p.canonical.is_empty() && p.mismatch.is_none());
    }

    /// Spans point at each record's own text, and `next_after_seq` is read.
    #[test]
    fn read_body_finds_every_record() {
        let body =
            br#" { "next_after_seq" : 7, "records" : [ {"a": "]}"} ,{"b":[1,{"c":2}]}, 3 ] } "#;
        let (f, next) = read_body(body.to_vec()).unwrap();
        assert_eq!(next, Some(7));
        let texts: Vec<&[u8]> = f.spans.iter().map(|&(s, e)| &f.body[s..e]).collect();
        assert_eq!(
            texts,
            vec![
                &br#"{"a": "]}"}"#[..],
                &br#"{"b":[1,{"c":2}]}"#[..],
                &b"3"[..]
            ]
        );
        assert!(matches!(
            read_body(b"{\"records\":[}".to_vec()),
            Err(LiveError::Protocol { .. })
        ));
    }
}
