//! The SQLite store: table `audit_log` with the columns of SPEC section 8, append-only at the
//! database level, and the one append path that assigns `seq`, `timestamp`, `prev_hash` and
//! `hash`.
//!
//! Invariant: every append runs inside a `BEGIN IMMEDIATE` transaction, which takes SQLite's
//! write lock before the tenant's head is read, so concurrent writers (threads, processes,
//! connections) serialize and a chain can never fork.

use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use rusqlite::{params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use trailproof_core::record::{hex, GENESIS};
use trailproof_core::scope::Scope;

use crate::member::COLUMNS;
use crate::row::Row;

/// The table, written exactly as the seed system (and the vector `audit.sqlite`) writes it, so
/// that `sqlite3 .dump` of a store reproduces `audit.sqlite.sql`.
pub const CREATE_TABLE: &str = "CREATE TABLE audit_log (
  seq INTEGER NOT NULL, event_id TEXT NOT NULL, tenant_id TEXT NOT NULL, timestamp TEXT NOT NULL,
  action TEXT NOT NULL, severity TEXT NOT NULL, actor_user_id TEXT NOT NULL, actor_role TEXT NOT NULL,
  actor_display TEXT NOT NULL, actor_ip TEXT, http_method TEXT, http_route TEXT, resource_type TEXT,
  resource_id TEXT, resource_display TEXT, outcome TEXT NOT NULL, outcome_reason TEXT, changes TEXT,
  metadata TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq))";

/// The append-only triggers.
pub const TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
];

/// Every column of `audit_log`, in [`crate::member::Member::ALL`] order.
static SELECT: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM audit_log", COLUMNS.join(", ")));

/// Opens (and creates, with its triggers) a store.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(60))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let exists: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='audit_log'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !exists {
        let tx = rusqlite::Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)?;
        let again: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='audit_log'",
            [],
            |r| r.get(0),
        )?;
        if again == 0 {
            tx.execute_batch(CREATE_TABLE)?;
            for t in TRIGGERS {
                tx.execute_batch(t)?;
            }
        }
        tx.commit()?;
    }
    Ok(conn)
}

/// Drops the append-only triggers (what a DBA does before tampering).
pub fn drop_triggers(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;",
    )?;
    Ok(())
}

/// Restores the append-only triggers.
pub fn restore_triggers(conn: &Connection) -> Result<()> {
    for t in TRIGGERS {
        conn.execute_batch(t)?;
    }
    Ok(())
}

/// The current time as a canonical timestamp.
pub fn now_canonical() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    trailproof_core::time::Instant { nanos }.canonical()
}

/// A random-enough version-4 UUID without a dependency: SHA-256 of the clock and a counter.
pub fn new_uuid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = format!("{}-{}-{}", now_canonical(), std::process::id(), n);
    uuid_from(&trailproof_core::record::sha256(seed.as_bytes()))
}

/// Formats 16 bytes of `d` as a version-4 UUID.
pub fn uuid_from(d: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Appends one event inside an already open IMMEDIATE transaction. Fills `seq`, `prev_hash`,
/// `hash`, an `event_id` if empty, and the `timestamp`: the given one (made canonical) or now,
/// never earlier than the tenant's last record.
pub fn append_in(tx: &Connection, ev: &mut Row) -> Result<()> {
    if ev.tenant_id.is_empty() {
        bail!("tenant_id is required");
    }
    let last: Option<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT seq, hash, timestamp FROM audit_log WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([&ev.tenant_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (seq, prev, last_ts) = match last {
        Some((s, h, t)) => (s + 1, h, Some(t)),
        None => (1, hex(&GENESIS), None),
    };
    let mut ts = if ev.timestamp.is_empty() {
        now_canonical()
    } else {
        trailproof_core::time::normalize(&ev.timestamp)?.canonical()
    };
    if let Some(l) = last_ts {
        if ts < l {
            ts = l;
        }
    }
    if ev.event_id.is_empty() {
        ev.event_id = new_uuid();
    }
    ev.seq = seq;
    ev.timestamp = ts;
    ev.prev_hash = prev;
    ev.hash = String::new();
    ev.hash = ev.compute_hash()?;
    ev.insert(tx)?;
    Ok(())
}

/// Serializes this process's writers before they ask SQLite for its write lock: SQLite's busy
/// handler sleeps with back-off, which costs far more than a mutex hand-off. Other processes
/// are still kept out by `BEGIN IMMEDIATE`, which alone guarantees the chain never forks.
static WRITE_GATE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn gate() -> std::sync::MutexGuard<'static, ()> {
    WRITE_GATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The store's write lock is held by another connection (another process: a backup job, a
/// maintenance script, a tamper kit holding a write transaction) longer than the caller waits.
#[derive(Debug, thiserror::Error)]
#[error("the store is locked by another writer")]
pub struct Locked;

/// Whether `e` comes from a store locked by another connection ([`Locked`], or SQLite's own
/// busy and locked errors).
pub fn is_locked(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.is::<Locked>()
            || matches!(
                cause.downcast_ref::<rusqlite::Error>(),
                Some(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
    })
}

/// [`append`] that waits at most `wait` for this process's writers and for SQLite's write lock,
/// then gives up with [`Locked`] (the connection's busy timeout is `wait` afterwards).
pub fn append_within(conn: &mut Connection, ev: &mut Row, wait: Duration) -> Result<()> {
    let deadline = Instant::now() + wait;
    let _g = loop {
        match WRITE_GATE.try_lock() {
            Ok(g) => break g,
            Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                if Instant::now() >= deadline {
                    return Err(Locked.into());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    };
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    conn.busy_timeout(left)?;
    let result = (|| -> Result<()> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        append_in(&tx, ev)?;
        tx.commit()?;
        Ok(())
    })();
    conn.busy_timeout(wait)?;
    result.map_err(|e| if is_locked(&e) { Locked.into() } else { e })
}

/// Holds the store's write lock (an open `BEGIN IMMEDIATE` transaction) for `hold`, as a backup
/// job or a tamper kit does; `locked` runs once the lock is held. Nothing is written.
pub fn hold_write_lock(path: &Path, hold: Duration, locked: impl FnOnce()) -> Result<()> {
    let mut conn = open(path)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    locked();
    std::thread::sleep(hold);
    tx.rollback()?;
    Ok(())
}

/// Appends one event atomically (its own IMMEDIATE transaction).
pub fn append(conn: &mut Connection, ev: &mut Row) -> Result<()> {
    let _g = gate();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    append_in(&tx, ev)?;
    tx.commit()?;
    Ok(())
}

/// Appends many events in one IMMEDIATE transaction.
pub fn append_all(conn: &mut Connection, evs: &mut [Row]) -> Result<()> {
    let _g = gate();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for ev in evs.iter_mut() {
        append_in(&tx, ev)?;
    }
    tx.commit()?;
    Ok(())
}

/// Whether the tenant has any record.
pub fn tenant_exists(conn: &Connection, tenant: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM audit_log WHERE tenant_id = ?1 LIMIT 1")?
        .exists([tenant])?)
}

/// The chain head (seq, hash) of a tenant.
pub fn head(conn: &Connection, tenant: &str) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, hash FROM audit_log WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([tenant], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// All tenants, sorted.
pub fn tenants(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare("SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id")?;
    let v = st
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

/// Records of `scope` with `seq > after_seq`, in `seq` order, at most `limit` (all if `None`).
pub fn scoped(
    conn: &Connection,
    scope: &Scope,
    after_seq: i64,
    limit: Option<usize>,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    scoped_each(conn, scope, after_seq, limit, |r| {
        rows.push(r);
        Ok(())
    })?;
    Ok(rows)
}

/// Like [`scoped`], handing each row to `each` as it is read (memory stays flat).
pub fn scoped_each(
    conn: &Connection,
    scope: &Scope,
    after_seq: i64,
    limit: Option<usize>,
    mut each: impl FnMut(Row) -> Result<()>,
) -> Result<()> {
    scoped_each_sql(conn, scope, after_seq, limit, |r| each(Row::from_sql(r)?))
}

/// Like [`scoped_each`], handing over SQLite's row itself (columns in [`COLUMNS`] order), so a
/// hot path can read its columns borrowed ([`crate::row::write_compact_sql`],
/// [`crate::row::write_canonical_sql`]).
pub fn scoped_each_sql(
    conn: &Connection,
    scope: &Scope,
    after_seq: i64,
    limit: Option<usize>,
    mut each: impl FnMut(&rusqlite::Row) -> Result<()>,
) -> Result<()> {
    let mut sql = format!("{} WHERE tenant_id = ?1 AND seq > ?2", *SELECT);
    let mut args: Vec<rusqlite::types::Value> = vec![
        scope.tenant_id.clone().into(),
        rusqlite::types::Value::Integer(after_seq),
    ];
    for (col, v) in [
        ("severity", &scope.severity),
        ("action", &scope.event),
        ("actor_user_id", &scope.actor),
        ("resource_type", &scope.resource_type),
    ] {
        if let Some(v) = v {
            args.push(v.clone().into());
            sql.push_str(&format!(" AND {col} = ?{}", args.len()));
        }
    }
    if let Some(lo) = scope.lower() {
        args.push(lo.into());
        sql.push_str(&format!(" AND timestamp >= ?{}", args.len()));
    }
    if let Some(hi) = scope.upper() {
        args.push(hi.into());
        sql.push_str(&format!(" AND timestamp <= ?{}", args.len()));
    }
    sql.push_str(" ORDER BY seq");
    if let Some(l) = limit {
        sql.push_str(&format!(" LIMIT {l}"));
    }
    // Cached: a client paging a scope asks the same statement once per page.
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query(params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        each(r)?;
    }
    Ok(())
}

/// Every row in storage (rowid) order, as a dump writes them.
pub fn all_rows(conn: &Connection) -> Result<Vec<Row>> {
    let mut st = conn.prepare(&format!("{} ORDER BY rowid", *SELECT))?;
    let rows = st
        .query_map([], Row::from_sql)?
        .collect::<rusqlite::Result<Vec<Row>>>()?;
    Ok(rows)
}

/// Recomputes every chain of the store with `trailproof-core`; returns the problems found
/// (empty when every chain is intact) and the number of records checked.
pub fn verify_chains(conn: &Connection) -> Result<(u64, Vec<String>)> {
    let mut problems = Vec::new();
    let mut n = 0;
    for t in tenants(conn)? {
        let mut prev = hex(&GENESIS);
        let mut last_ts = String::new();
        for (i, r) in scoped(conn, &Scope::tenant(&t), 0, None)?
            .iter()
            .enumerate()
        {
            n += 1;
            let want_seq = i as i64 + 1;
            if r.seq != want_seq {
                problems.push(format!("{t}: seq {} where {want_seq} was expected", r.seq));
            }
            if r.prev_hash != prev {
                problems.push(format!("{t} seq {}: prev_hash does not link", r.seq));
            }
            if r.compute_hash()? != r.hash {
                problems.push(format!("{t} seq {}: hash mismatch", r.seq));
            }
            if r.timestamp < last_ts {
                problems.push(format!("{t} seq {}: timestamp regression", r.seq));
            }
            last_ts = r.timestamp.clone();
            prev = r.hash.clone();
        }
    }
    Ok((n, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member::{Kind, Member};

    /// The table text, kept as the seed system writes it, declares the members in order, each
    /// with the type and nullability of its kind.
    #[test]
    fn create_table_declares_every_member() {
        let body = CREATE_TABLE
            .strip_prefix("CREATE TABLE audit_log (")
            .and_then(|b| b.strip_suffix(",\n  PRIMARY KEY (tenant_id, seq))"))
            .unwrap();
        let columns: Vec<String> = body
            .split(',')
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let want: Vec<String> = Member::ALL
            .iter()
            .map(|m| {
                let sql_type = if m.kind() == Kind::Integer {
                    "INTEGER"
                } else {
                    "TEXT"
                };
                let not_null = if m.kind().not_null() { " NOT NULL" } else { "" };
                format!("{} {sql_type}{not_null}", m.name())
            })
            .collect();
        assert_eq!(columns, want);
    }
}
