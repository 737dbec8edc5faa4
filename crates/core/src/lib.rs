//! `trailproof-core`: the verification core of Trailproof.
//!
//! It recomputes what AEF/1 (`SPEC.md`) fixes byte for byte (canonical JSON, record hashes,
//! per-tenant hash chains, scopes and export fingerprints) and names every finding with the
//! spec's codes. It reads no evidence files and opens no sockets: readers (`trailproof-ingest`,
//! `trailproof-live`) hand it records; it hands back a [`report::Report`]. The only files it
//! touches are the anonymous temporary runs of [`spill`], which keep a large timeline, the chain
//! entries and each source's cross-source index in flat memory.
//!
//! Invariants kept throughout:
//! * verification computes first, then compares, and every mismatch carries both the expected
//!   and the computed value;
//! * one bad record never hides findings about the others;
//! * every check ends as passed, failed or not possible, and says so in the report;
//! * output is deterministic: same inputs, same bytes, in any time zone.
#![forbid(unsafe_code)]

pub mod assurance;
pub mod canonical;
pub mod case;
pub mod chain;
pub mod export;
pub mod finding;
pub mod fingerprint;
pub mod incident;
pub mod json;
pub mod record;
pub mod recovery;
pub mod report;
pub mod scope;
pub mod spill;
pub mod time;
pub mod timeline;
pub mod verify_url;
