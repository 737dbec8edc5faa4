//! `trailproof-service`: the reference producer of AEF/1 evidence (`SPEC.md`).
//!
//! It shares `trailproof-core` for every hash, canonical form, scope, fingerprint and
//! verification URL, and writes evidence in every form the verifier reads. See `main.rs` for
//! the command line and what each command prints.
#![forbid(unsafe_code)]

pub mod auth;
pub mod dump;
pub mod export;
pub mod loopback;
pub mod member;
pub mod ojson;
pub mod pdf;
pub mod row;
pub mod seed;
pub mod server;
pub mod store;
pub mod tamper;
pub mod unavailable;
