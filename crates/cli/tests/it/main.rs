//! The integration tests of the `trailproof` command, in one binary (one link, one start): each
//! module runs the built binary end to end on the public vectors, the named fixtures or evidence
//! it makes, and pins exact findings, seqs, fields, bytes and exit codes.

mod case;
mod evidence;
mod live;
mod pdf_recovery;
mod recovery;
mod report;
mod selftest;
mod snapshots;
mod timeline;
mod verify;
