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
//!
//! The main types are re-exported at the crate root: the case engine ([`Case`], [`SourceRun`]),
//! what it hands back ([`Report`], [`Verdict`], [`Finding`], [`Code`], [`Level`], [`Check`],
//! [`Status`]), what readers hand it ([`RawRecord`], [`RawData`], [`Location`], [`Value`]) and
//! the [`Timeline`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ahead;
pub mod assurance;
pub mod canonical;
pub mod case;
pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod finding;
pub mod fingerprint;
pub mod handover;
pub mod incident;
pub mod json;
pub mod payload;
pub mod record;
pub mod recovery;
pub mod report;
pub mod scope;
pub mod spill;
pub mod time;
pub mod timeline;
pub mod verify_url;

pub use case::{Case, SourceRun};
pub use chain::Mode;
pub use export::{ExportAnchor, PayloadResult};
pub use finding::{Check, Code, FieldDiff, Finding, Level, Status};
pub use json::Value;
pub use record::{Checked, Location, RawData, RawRecord};
pub use report::{Counts, InputInfo, InputTenant, Report, Tool, Verdict};
pub use scope::Scope;
pub use timeline::model::Timeline;
