//! The integration tests of trailproof-ingest, in one binary: every dump reader and the PDF
//! reader against the public vectors and named fixtures, and the readers under arbitrary bytes.

mod bombs;
mod btree;
mod dumps;
mod jsonl;
mod pdf;
mod robustness;
