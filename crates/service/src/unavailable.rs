//! A store locked by another writer (a backup job, a maintenance script, a tamper kit holding a
//! write transaction): the service answers instead of hanging.
//!
//! Every append the server makes waits at most [`WAIT`] for SQLite's write lock
//! ([`store::append_within`]). A request that cannot be served in that time is answered
//! `503 Service Unavailable` with `Retry-After: 1` (well within 5 s of its arrival), and the
//! service still keeps its promise that a turned-away request is in the log: the denial (the
//! `auth.rejected` / `permission.denied` record the request would have appended, or a
//! `service.unavailable` record) waits in a [`Queue`] and a background task ([`flusher`])
//! appends it as soon as the lock frees.
//!
//! Invariant: no request waits for the lock longer than [`WAIT`] per append, and a request
//! makes at most one append; a queued denial is appended once, to the first of its tenants
//! that exists, in the order the denials were queued.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use rusqlite::Connection;

use crate::row::Row;
use crate::store;

/// How long one append waits for the write lock before the request is turned away.
pub const WAIT: Duration = Duration::from_secs(3);

/// The `Retry-After` of a 503, in seconds.
pub const RETRY_AFTER: u64 = 1;

/// The answer's message.
pub const MESSAGE: &str =
    "the audit store is locked by another writer (a backup or maintenance job); try again";

/// A denial waiting to be appended: the tenants to try, in order, and the record.
struct Pending {
    tenants: Vec<String>,
    row: Row,
}

/// Denials not yet appended because the store was locked.
#[derive(Default)]
pub struct Queue(Mutex<Vec<Pending>>);

impl Queue {
    /// Queues `row` for the first of `tenants` that exists.
    pub fn push(&self, tenants: Vec<String>, row: Row) {
        self.lock().push(Pending { tenants, row });
    }

    /// Denials waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends the waiting denials, oldest first, until the store is locked again; returns how
    /// many were appended.
    pub fn flush(&self, conn: &mut Connection) -> Result<usize> {
        let mut done = 0;
        loop {
            let Some(mut next) = self.lock().first().map(|p| Pending {
                tenants: p.tenants.clone(),
                row: p.row.clone(),
            }) else {
                return Ok(done);
            };
            match append_denial(conn, &next.tenants, &mut next.row, WAIT) {
                Ok(_) => {
                    self.lock().remove(0);
                    done += 1;
                }
                Err(e) if store::is_locked(&e) => return Ok(done),
                Err(e) => {
                    // Not a lock: the record cannot be appended at all; drop it, say why.
                    self.lock().remove(0);
                    eprintln!("a queued denial could not be appended: {e:#}");
                }
            }
        }
    }
}

/// Appends `row` to the log of the first of `tenants` that exists (none: nothing to do), waiting
/// at most `wait` for the write lock; returns whether it was appended.
pub fn append_denial(
    conn: &mut Connection,
    tenants: &[String],
    row: &mut Row,
    wait: Duration,
) -> Result<bool> {
    for t in tenants {
        if store::tenant_exists(conn, t)? {
            row.tenant_id = t.clone();
            row.resource_id = Some(t.clone());
            store::append_within(conn, row, wait)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Appends queued denials whenever there are some, every 200 ms, for as long as the service
/// runs.
pub async fn flusher(queue: Arc<Queue>, db: std::path::PathBuf) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if queue.is_empty() {
            continue;
        }
        let (queue, db) = (queue.clone(), db.clone());
        let flushed = tokio::task::spawn_blocking(move || -> Result<usize> {
            let mut conn = store::open(&db)?;
            conn.busy_timeout(WAIT)?;
            queue.flush(&mut conn)
        })
        .await;
        if let Ok(Err(e)) = flushed {
            eprintln!("queued denials not appended yet: {e:#}");
        }
    }
}
