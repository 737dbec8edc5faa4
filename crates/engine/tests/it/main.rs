//! The integration tests of trailproof-engine, in one binary: cross-source reconciliation, live
//! verification against the reference service on 127.0.0.1, the progress of a dump read again,
//! and the timeline spilled to disk.

mod cross_source;
mod live;
mod read_again;
mod timeline_arrival;
mod timeline_spill;
mod zones;
