//! Recovered records (SPEC section 10): grading an earlier or deleted version of a record that a
//! reader found in the evidence (a freed SQLite cell, a superseded WAL frame, a hot journal's
//! page), and the `record_recovered` finding that reports it.
//!
//! A recovered record is canonicalized and hashed exactly like any record ([`record::check`]).
//! Its [`Proof`] is then:
//! * [`Proof::Chain`] when its recomputed hash is one the rest of the evidence commits to at its
//!   (tenant, seq) ([`Commitments`]): the `prev_hash` of seq + 1 in the current state, the
//!   stored `hash` of a current row whose own hash no longer matches its content, an export's
//!   record at that seq (its `hash`, or the `prev_hash` of its record at seq + 1) or an export's
//!   chain head;
//! * [`Proof::OwnHashOnly`] when it hashes to the `hash` it carries but nothing commits to it (a
//!   forged copy: a tamperer can always make a record hash to itself, never to what the chain
//!   already holds);
//! * [`Proof::Unproven`] otherwise.
//!
//! Only the current state and the exports commit: a recovered record never proves another one.
//! (A recovered record proven `chain` is the original, so its own `prev_hash` is a sound
//! commitment to seq - 1 too; it is not used, so that `chain` always means one step from what
//! the verified state or an export holds, which a reader of the report can check by hand, and
//! two unproven copies can never prove each other.)
//!
//! A recovered record identical to a current row of its (tenant, seq) is not reported. A
//! recovered record changes no verdict: the finding is `info`.

use std::collections::{BTreeMap, BTreeSet};

use crate::case::field_diffs;
use crate::export::ExportAnchor;
use crate::finding::{Code, Finding, Proof};
use crate::json::Value;
use crate::record::{self, hex, parse_hex, Checked, Digest, RawRecord};

/// `recovered_from` of a record read from an earlier revision of a PDF (its `offset` is the
/// revision number, 1 being the original).
pub const PDF_REVISION: &str = "pdf_revision";

/// Where in its input a recovered record lies, in words: "byte N", or "revision N" for a PDF.
pub fn found_at(recovered_from: &str, offset: u64) -> String {
    if recovered_from == PDF_REVISION {
        format!("revision {offset}")
    } else {
        format!("byte {offset}")
    }
}

/// One record a reader recovered from an input.
#[derive(Debug, Clone)]
pub struct RecoveredCopy {
    /// The input it was found in (as named in the report).
    pub input: String,
    /// SPEC section 10's `recovered_from` (`sqlite_freeblock`, `sqlite_wal`, ...).
    pub recovered_from: String,
    /// Byte offset where the record's bytes begin in that file (a PDF: the revision number).
    pub offset: u64,
    /// Where else it lies, for people ("page 4", "page 4, WAL frame 3").
    pub place: String,
    /// The record as recovered, every member that could be read (the finding's `record`).
    pub shown: serde_json::Value,
    /// The record as a reader hands any record over, for checking.
    pub raw: RawRecord,
    /// What the recovered record is compared with.
    pub superseded_by: Superseded,
}

/// The version a recovered record is compared with: a copy identical to it is not reported,
/// and a differing one is shown field by field against it.
#[derive(Debug, Clone, PartialEq)]
pub enum Superseded {
    /// The current state's rows at its (tenant, seq), as [`Commitments::add_current`] saw them
    /// (a SQLite file: the table as SQLite reads it).
    CurrentState,
    /// The version the same input holds now, known to the reader: a PDF's last revision holds
    /// `Some(record)`, or `None` when it no longer holds that (tenant, seq) at all. The other
    /// inputs' rows then only commit (they are not what this input's copy superseded).
    Record(Option<Value>),
}

/// What the evidence other than the recovered records commits to, by (tenant, seq), and the
/// current records (to leave out copies identical to them and to diff the others against).
#[derive(Debug, Default)]
pub struct Commitments {
    hashes: BTreeMap<(String, u64), BTreeSet<Digest>>,
    current: BTreeMap<(String, u64), Vec<Value>>,
}

impl Commitments {
    /// No commitments yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A hash that the evidence commits to at (tenant, seq) by other means than a record or an
    /// export (an export PDF's printed fingerprint over an earlier revision's records).
    pub fn commit(&mut self, tenant: &str, seq: u64, hash: Digest) {
        self.hashes
            .entry((tenant.to_string(), seq))
            .or_default()
            .insert(hash);
    }

    /// A record of the current state (checked): its `prev_hash` commits to seq - 1; its stored
    /// `hash` commits to its own seq when its content no longer hashes to it (or cannot be
    /// hashed at all).
    pub fn add_current(&mut self, row: &Checked) {
        let (Some(tenant), Some(seq)) = (row.tenant_id.as_deref(), row.seq) else {
            return;
        };
        if let (Some(prev), true) = (row.prev_hash, seq > 1) {
            self.commit(tenant, seq - 1, prev);
        }
        if let (Some(stored), false) = (row.stored_hash, row.content_ok() == Some(true)) {
            self.commit(tenant, seq, stored);
        }
        if let Some(value) = &row.record {
            self.current
                .entry((tenant.to_string(), seq))
                .or_default()
                .push(value.clone());
        }
    }

    /// An export: each of its records' `hash` commits to its seq, each `prev_hash` to seq - 1,
    /// and its chain head to the head's seq.
    pub fn add_export(&mut self, anchor: &ExportAnchor) {
        let Some(tenant) = anchor.tenant_id.as_deref() else {
            return;
        };
        if let Some((seq, head)) = anchor.chain_head {
            self.commit(tenant, seq, head);
        }
        for (&seq, rec) in &anchor.records {
            let rec = rec.value();
            let member = |name: &str| rec.get(name).and_then(Value::as_str).and_then(parse_hex);
            if let Some(hash) = member("hash") {
                self.commit(tenant, seq, hash);
            }
            if let (Some(prev), true) = (member("prev_hash"), seq > 1) {
                self.commit(tenant, seq - 1, prev);
            }
        }
    }

    /// The hashes committed to at (tenant, seq).
    pub fn committed(&self, tenant: &str, seq: u64) -> Option<&BTreeSet<Digest>> {
        self.hashes.get(&(tenant.to_string(), seq))
    }

    /// The current records at (tenant, seq).
    pub fn current(&self, tenant: &str, seq: u64) -> &[Value] {
        self.current
            .get(&(tenant.to_string(), seq))
            .map_or(&[], Vec::as_slice)
    }

    /// Adds what `other` commits to and the current records it saw.
    pub fn merge(&mut self, other: Commitments) {
        for (key, hashes) in other.hashes {
            self.hashes.entry(key).or_default().extend(hashes);
        }
        for (key, values) in other.current {
            self.current.entry(key).or_default().extend(values);
        }
    }
}

/// SPEC section 10's grade of a checked recovered record, given what the rest of the evidence
/// commits to at its (tenant, seq).
pub fn grade(recovered: &Checked, committed: Option<&BTreeSet<Digest>>) -> Proof {
    let Some(computed) = recovered.computed_hash else {
        return Proof::Unproven;
    };
    if committed.is_some_and(|hashes| hashes.contains(&computed)) {
        Proof::Chain
    } else if recovered.stored_hash == Some(computed) {
        Proof::OwnHashOnly
    } else {
        Proof::Unproven
    }
}

/// What a proof means, in words (the `record_recovered` message says it too).
pub fn proof_meaning(proof: Proof) -> &'static str {
    match proof {
        Proof::Chain => "its hash is what the rest of the evidence commits to: it is the original",
        Proof::OwnHashOnly => {
            "it hashes to its own hash, but nothing else in the evidence commits to that hash (a forged or superseded copy)"
        }
        Proof::Unproven => "it does not hash to its own hash (partly overwritten, or never chained)",
    }
}

/// The `record_recovered` findings of `copies`, graded against `commitments`; a copy identical
/// to a current record of its (tenant, seq) gives none.
pub fn findings(copies: Vec<RecoveredCopy>, commitments: &Commitments) -> Vec<Finding> {
    let mut buf = Vec::with_capacity(2048);
    let mut out = Vec::new();
    for copy in copies {
        let checked = record::check(copy.raw.clone(), &mut buf);
        let tenant = checked.tenant_id.as_deref();
        let current = match (&copy.superseded_by, tenant, checked.seq) {
            (Superseded::Record(record), _, _) => record.as_slice(),
            (Superseded::CurrentState, Some(t), Some(s)) => commitments.current(t, s),
            _ => &[],
        };
        if let Some(value) = &checked.record {
            if current.iter().any(|c| c == value) {
                continue;
            }
        }
        let committed = match (tenant, checked.seq) {
            (Some(t), Some(s)) => commitments.committed(t, s),
            _ => None,
        };
        let proof = grade(&checked, committed);
        out.push(finding(&copy, &checked, proof, current.first()));
    }
    out
}

fn finding(
    copy: &RecoveredCopy,
    checked: &Checked,
    proof: Proof,
    current: Option<&Value>,
) -> Finding {
    let what = record::describe(checked.tenant_id.as_deref(), checked.seq);
    let meaning = proof_meaning(proof);
    let version = if current.is_some() {
        "an earlier version"
    } else {
        "a deleted version"
    };
    let at = found_at(&copy.recovered_from, copy.offset);
    let message = format!(
        "{version} of {what} was recovered from {} at {at} ({}); proof {}: {meaning}",
        copy.recovered_from,
        copy.place,
        proof.as_str()
    );
    let mut f = Finding::new(
        Code::RecordRecovered,
        checked.tenant_id.as_deref(),
        checked.seq,
        message,
    )
    .input(&copy.input)
    .at(&copy.place);
    if let (Some(current), Some(recovered)) = (current, &checked.record) {
        f = f.fields(field_diffs(current, recovered));
    }
    if let Some(computed) = checked.computed_hash {
        let stated = checked
            .stored_hash
            .map(|d| hex(&d))
            .or_else(|| checked.stored_hash_text.clone())
            .unwrap_or_default();
        f = f.values(stated, hex(&computed));
    }
    f.recovered_from = Some(copy.recovered_from.clone());
    f.offset = Some(copy.offset);
    f.record = Some(copy.shown.clone());
    f.proof = Some(proof);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Location, RawData};

    fn record(seq: u64, action: &str, prev: &str) -> Value {
        let mut v = Value::parse_str(&format!(
            r#"{{"tenant_id":"acme","seq":{seq},"timestamp":"2026-04-30T08:03:51.929583699Z","action":"{action}","prev_hash":"{prev}","hash":""}}"#
        ))
        .unwrap();
        let h = hex(&record::compute_hash(&v));
        v.set("hash", Value::String(h));
        v
    }

    fn checked(v: &Value) -> Checked {
        record::check(
            RawRecord {
                loc: Location::Row(1),
                data: RawData::Value(v.clone()),
            },
            &mut Vec::new(),
        )
    }

    fn hash_of(v: &Value) -> String {
        v.get("hash").unwrap().as_str().unwrap().to_string()
    }

    fn copy(v: &Value) -> RecoveredCopy {
        RecoveredCopy {
            input: "a.sqlite".into(),
            recovered_from: "sqlite_freeblock".into(),
            offset: 100,
            place: "page 2".into(),
            shown: v.to_serde(),
            raw: RawRecord {
                loc: Location::Byte(100),
                data: RawData::Value(v.clone()),
            },
            superseded_by: Superseded::CurrentState,
        }
    }

    const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn a_record_the_next_one_links_to_is_proven_by_the_chain() {
        let one = record(1, "login", GENESIS);
        let two = record(2, "read", &hash_of(&one));
        let mut c = Commitments::new();
        c.add_current(&checked(&two));
        // seq 1 was deleted: seq 2's prev_hash commits to it.
        assert_eq!(grade(&checked(&one), c.committed("acme", 1)), Proof::Chain);
        let f = findings(vec![copy(&one)], &c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::RecordRecovered);
        assert_eq!(f[0].proof, Some(Proof::Chain));
        assert_eq!(f[0].offset, Some(100));
        assert!(f[0].message.starts_with("a deleted version of acme seq 1"));
    }

    #[test]
    fn a_forged_copy_is_self_never_chain() {
        let one = record(1, "login", GENESIS);
        let two = record(2, "read", &hash_of(&one));
        let forged = record(1, "logout", GENESIS);
        let mut c = Commitments::new();
        c.add_current(&checked(&two));
        assert_eq!(
            grade(&checked(&forged), c.committed("acme", 1)),
            Proof::OwnHashOnly
        );
        // Nothing commits at all: still only self.
        assert_eq!(grade(&checked(&forged), None), Proof::OwnHashOnly);
    }

    #[test]
    fn a_copy_that_does_not_hash_to_itself_is_none() {
        let mut one = record(1, "login", GENESIS);
        one.set("action", Value::String("logout".into()));
        assert_eq!(grade(&checked(&one), None), Proof::Unproven);
    }

    #[test]
    fn the_stored_hash_of_an_edited_row_commits_to_the_original() {
        let original = record(5, "delete", GENESIS);
        // Edited in place, hash left as it was: the row no longer hashes to it.
        let mut edited = original.clone();
        edited.set("action", Value::String("read".into()));
        let mut c = Commitments::new();
        c.add_current(&checked(&edited));
        assert_eq!(
            grade(&checked(&original), c.committed("acme", 5)),
            Proof::Chain
        );
        let f = findings(vec![copy(&original)], &c);
        assert_eq!(f[0].proof, Some(Proof::Chain));
        assert!(f[0].message.starts_with("an earlier version of acme seq 5"));
        assert_eq!(f[0].fields.len(), 1);
        assert_eq!(f[0].fields[0].field, "action");
        assert_eq!(f[0].fields[0].left.as_deref(), Some("\"read\""));
        assert_eq!(f[0].fields[0].right.as_deref(), Some("\"delete\""));
        // An edited and rehashed row commits to nothing at its own seq.
        let rehashed = record(5, "read", GENESIS);
        let mut c = Commitments::new();
        c.add_current(&checked(&rehashed));
        assert_eq!(
            grade(&checked(&original), c.committed("acme", 5)),
            Proof::OwnHashOnly
        );
    }

    #[test]
    fn exports_commit_with_their_records_and_chain_head() {
        let one = record(1, "login", GENESIS);
        let two = record(2, "read", &hash_of(&one));
        let three = record(3, "read", &hash_of(&two));
        let anchor = ExportAnchor {
            input: "export.json".into(),
            tenant_id: Some("acme".into()),
            scope: None,
            legacy_search: false,
            checkpoint: false,
            chain_head: Some((3, parse_hex(&hash_of(&three)).unwrap())),
            records: [(2, crate::payload::CanonicalRecord::of(&two))]
                .into_iter()
                .collect(),
            verify_url: None,
            fingerprint: None,
        };
        let mut c = Commitments::new();
        c.add_export(&anchor);
        for v in [&one, &two, &three] {
            let seq = v.get("seq").unwrap().as_u64().unwrap();
            assert_eq!(
                grade(&checked(v), c.committed("acme", seq)),
                Proof::Chain,
                "seq {seq}"
            );
        }
    }

    #[test]
    fn a_copy_identical_to_the_current_row_is_not_reported() {
        let one = record(1, "login", GENESIS);
        let mut c = Commitments::new();
        c.add_current(&checked(&one));
        assert!(findings(vec![copy(&one)], &c).is_empty());
    }

    #[test]
    fn two_unproven_copies_never_prove_each_other() {
        // A tamperer's pair: forged seq 1 and a forged seq 2 linking to it, both deleted again.
        let one = record(1, "login", GENESIS);
        let two = record(2, "read", &hash_of(&one));
        let c = Commitments::new();
        let f = findings(vec![copy(&one), copy(&two)], &c);
        assert!(f.iter().all(|f| f.proof == Some(Proof::OwnHashOnly)));
    }
}
