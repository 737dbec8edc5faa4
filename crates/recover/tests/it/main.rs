//! The integration tests of trailproof-recover, in one binary: the named recovery fixtures and
//! their expected candidates, files made by SQLite itself at test time, hostile and damaged
//! files, and mutated bytes.

mod fixtures;
mod hostile;
mod made_by_sqlite;
mod robustness;
