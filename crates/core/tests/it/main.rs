//! The integration tests of trailproof-core, in one binary: RFC 8785 conformance (`jcs`), the
//! public AEF/1 vectors (`vectors`) and cross-source reconciliation fed as the engine feeds it
//! (`reconcile`).

mod jcs;
mod reconcile;
mod vectors;
