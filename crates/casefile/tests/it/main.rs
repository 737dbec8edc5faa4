//! The integration tests of trailproof-casefile, in one binary: the case store (create, open,
//! evidence, re-hash) and the examiner log (its chain verifies with the core like any evidence,
//! and a copy edited by hand fails with the exact finding).

mod log;
mod store;
