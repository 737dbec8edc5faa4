//! SQL dump text: sqlite3 `.dump` output and PostgreSQL `pg_dump` plain text.
//!
//! The text is **parsed, never executed**, in layers, one file each:
//! * `splitter`: a streaming [`Splitter`] cuts the input into statements while respecting
//!   `'...'` strings (with `''` doubling), PostgreSQL `E'...'` strings (backslash escapes),
//!   `"quoted"` identifiers, `$tag$` dollar quoting, `--` and `/* */` comments, and
//!   `BEGIN ... END` bodies of `CREATE TRIGGER`/`FUNCTION`/`PROCEDURE`, whose `;` do not end the
//!   statement. PostgreSQL psql meta-commands (`\restrict KEY`, `\connect`, ...) between
//!   statements are skipped;
//! * `tokenizer`: one statement's text as tokens, string literals decoded;
//! * `expression`: the value of one literal expression;
//! * `statement`: what a `CREATE TABLE`, `INSERT` or `COPY` statement says about `audit_log`;
//! * `source`: the [`SqlDumpSource`] that turns statements, and `COPY ... FROM stdin;` data
//!   blocks read line by line in COPY text format ([`crate::copy`]), into records.
//!
//! Only rows of the table `audit_log` (any schema prefix) become records: from
//! `INSERT INTO audit_log VALUES(...)`, `INSERT INTO "audit_log"(cols) VALUES(...)` (one or more
//! tuples) and COPY blocks. The column order comes from the statement's column list, else from
//! the `CREATE TABLE audit_log` statement. Values are literals only: strings, numbers, `NULL`,
//! `TRUE`/`FALSE`, `X'..'` blobs (unreadable as a record member), and the expression forms
//! sqlite3 writes for strings with control characters: `replace(str, lit, char(N))` nested
//! freely, `char(N, ...)` and `unistr('..')`. Anything else makes that row
//! [`RawData::Unreadable`](crate::RawData::Unreadable) with the line of its statement; reading
//! goes on.
//!
//! Invariants: memory is bounded by the longest statement (capped at [`MAX_STATEMENT`]); every
//! byte is hashed; a text that is not a dump (binary data, or no `audit_log` table at all) is
//! [`IngestError::Malformed`](crate::IngestError::Malformed).

mod expression;
mod source;
mod splitter;
mod statement;
mod tokenizer;

pub use source::SqlDumpSource;
pub use splitter::{Splitter, Statement};
pub use tokenizer::LiteralError;

/// Largest statement (or COPY data line) accepted.
pub const MAX_STATEMENT: usize = 256 * 1024 * 1024;

/// Which SQL dialect the dump is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// sqlite3 `.dump`.
    Sqlite,
    /// PostgreSQL `pg_dump` plain text.
    Postgres,
}
