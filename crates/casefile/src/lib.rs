//! `trailproof-casefile`: the investigation's case file, `NAME.tpcase`.
//!
//! A case file is a SQLite database written only by Trailproof. It holds the case (number,
//! title, examiner, organisation, display time zone, created), the evidence added to it (path as
//! given, size, SHA-256, kind, verdict when added), and the examiner's own log: every action the
//! examiner takes (case created, evidence added, star, tag, note, analyst event, view saved,
//! report exported) is appended to the table `audit_log` as an AEF/1 record (SPEC section 1),
//! `tenant_id` = the case id, chained by SPEC section 3. So `trailproof verify CASE.tpcase`, or
//! any other AEF/1 verifier, verifies the examiner's log like any other evidence.
//!
//! Invariants:
//! * the log is append-only: nothing in `audit_log` is ever updated or deleted (triggers refuse
//!   it, and the chain shows it if the triggers are dropped); removing a tag appends
//!   `annotation.untagged`;
//! * annotations, analyst events and saved views are the replay of the log ([`state`]), never a
//!   second copy that could disagree with it; the `case_info` and `evidence` tables are checked
//!   against the log's `case.created` and `evidence.added` records when the case is read;
//! * the log's timestamps never go back: a clock that went back stamps the previous time;
//! * evidence files are only read, never written; re-hashing names every file that changed or
//!   vanished with both digests ([`check`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod action;
pub mod check;
pub mod error;
pub mod export;
pub mod file;
pub mod handover;
pub mod intake;
pub mod log;
pub mod state;
pub mod uco;

pub use action::{Action, Target};
pub use check::{check_evidence, hash_file, EvidenceCheck, EvidenceState};
pub use error::CaseError;
pub use file::{CaseFile, CaseInfo, Evidence, NewCase};
pub use handover::{assemble, case_dir, case_verdict, handover};
pub use state::{CaseState, SavedView};
pub use trailproof_core::handover::{
    AnalystEvent, Annotation, CaseHandover, LogHead, LogStatus, Note,
};
