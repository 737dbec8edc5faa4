//! `trailproof-engine`: runs an investigation from its inputs to its report and timeline, the
//! one place that joins the readers (`trailproof-ingest`) and the live check (`trailproof-live`).
//!
//! Modules: [`files`] (the evidence files verified as one case), [`events`] (the same with the
//! timeline) and `investigate` (files and live check as one case and timeline).
#![forbid(unsafe_code)]

pub mod events;
pub mod files;
mod investigate;

pub use investigate::{
    investigate, investigate_stream, InvestigateError, Investigation, LiveRequest,
};
