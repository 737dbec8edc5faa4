//! The integration tests of the desktop app's backend, in one binary: the generated TypeScript
//! bindings, the compact record store against the reference queries, the session (open, page,
//! detail, reports) and live checks. The two keyring tests stay binaries of their own: one sets
//! the process environment, the other needs a real Secret Service (`scripts/e2e.sh` runs it).

mod bindings;
mod compact;
mod detail;
mod live;
mod session;
mod workspace;
