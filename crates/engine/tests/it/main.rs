//! The integration tests of trailproof-engine, in one binary: cross-source reconciliation, live
//! verification against the reference service on 127.0.0.1, and the timeline spilled to disk.

mod cross_source;
mod live;
mod timeline_spill;
mod zones;
