//! The integration tests of trailproof-core, in one binary: RFC 8785 conformance (`jcs`), the
//! public AEF/1 vectors (`vectors`), cross-source reconciliation fed as the engine feeds it
//! (`reconcile`) and the grading of recovered records added before the sources (`recovered`).

mod jcs;
mod reconcile;
mod recovered;
mod vectors;
