//! The integration tests of the reference service, in one binary: its HTTP API, its store, and
//! the public vectors it must reproduce. `common` holds what they share.

mod api;
mod common;
mod faults;
mod store;
mod vectors;
