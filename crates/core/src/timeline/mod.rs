//! Timeline reconstruction: what happened, in order, across every source of a case, and how far
//! each event can be trusted.
//!
//! Laid out like plaso's: the data model ([`model`]: entries, integrity states, flags, the
//! summary), the [`collector`] that builds a timeline from the checked records of a case (with
//! its [`stream`] of ordered events, which [`prefetch`] reads ahead on a thread of its own), the rules that judge an event ([`integrity`] and
//! [`flags`]), and one writer per output format ([`output`]: JSON, JSON Lines, CSV, Timesketch).
//!
//! A [`collector::Collector`] takes checked records from any number of sources (export payload
//! records, dump records) and keeps one compact slot per (tenant, seq); when it is finished it
//! joins the slots with the findings of the case's report (a case whose copies arrive in
//! timeline order, one dump as its service wrote it, skips the join and the sort: `arrival`)
//! and returns a [`model::Timeline`] (or a [`stream::Stream`] of its events): events ordered by
//! canonical timestamp, then tenant, then seq, with deleted seq ranges (`seq_gap` findings) as
//! gap entries between their neighbours.
//!
//! Determinism: the order is total (timestamp, tenant, seq, kind), sources are listed in the
//! order they were added, findings and flags in a fixed order; nothing depends on the clock, the
//! time zone or hash-map iteration order.

mod arrival;
pub mod collector;
pub mod flags;
pub mod integrity;
mod members_log;
pub mod model;
pub mod output;
pub mod prefetch;
pub mod sighting;
pub mod stream;
