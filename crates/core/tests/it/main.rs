//! The integration tests of trailproof-core, in one binary: RFC 8785 conformance (`jcs`), the
//! public AEF/1 vectors (`vectors`), cross-source reconciliation fed as the engine feeds it
//! (`reconcile`), chains checked from a second read of their source (`rechain`) and the grading of recovered records added before the sources (`recovered`).

mod jcs;
mod rechain;
mod reconcile;
mod recovered;
mod vectors;
