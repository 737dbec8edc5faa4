//! The SQLite store: table `audit_log` with the columns of SPEC section 8, append-only at the
//! database level, and the one append path that assigns `seq`, `timestamp`, `prev_hash` and
//! `hash`.
//!
//! Invariant: every append runs inside a `BEGIN IMMEDIATE` transaction, which takes SQLite's
//! write lock before the tenant's head is read, so concurrent writers (threads, processes,
//! connections) serialize and a chain can never fork.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex, GENESIS};
use trailproof_core::scope::Scope;

use crate::ojson::J;

/// The member names of an AEF/1 record, in the order of SPEC section 1 (and of the columns).
pub const COLUMNS: [&str; 21] = [
    "seq",
    "event_id",
    "tenant_id",
    "timestamp",
    "action",
    "severity",
    "actor_user_id",
    "actor_role",
    "actor_display",
    "actor_ip",
    "http_method",
    "http_route",
    "resource_type",
    "resource_id",
    "resource_display",
    "outcome",
    "outcome_reason",
    "changes",
    "metadata",
    "prev_hash",
    "hash",
];

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

/// One stored record. `changes` and `metadata` keep the member order they were written in.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub seq: i64,
    pub event_id: String,
    pub tenant_id: String,
    pub timestamp: String,
    pub action: String,
    pub severity: String,
    pub actor_user_id: String,
    pub actor_role: String,
    pub actor_display: String,
    pub actor_ip: Option<String>,
    pub http_method: Option<String>,
    pub http_route: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub resource_display: Option<String>,
    pub outcome: String,
    pub outcome_reason: Option<String>,
    pub changes: Option<J>,
    pub metadata: J,
    pub prev_hash: String,
    pub hash: String,
}

impl Row {
    /// An event to append: everything the store fills (`seq`, `timestamp`, hashes) is empty.
    pub fn event(tenant_id: &str, action: &str, severity: &str) -> Row {
        Row {
            seq: 0,
            event_id: String::new(),
            tenant_id: tenant_id.into(),
            timestamp: String::new(),
            action: action.into(),
            severity: severity.into(),
            actor_user_id: String::new(),
            actor_role: String::new(),
            actor_display: String::new(),
            actor_ip: None,
            http_method: None,
            http_route: None,
            resource_type: None,
            resource_id: None,
            resource_display: None,
            outcome: "success".into(),
            outcome_reason: None,
            changes: None,
            metadata: J::Obj(vec![]),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// The record as an ordered JSON object (SPEC section 1 order).
    pub fn to_j(&self) -> J {
        let o = J::opt;
        J::obj(vec![
            ("seq", J::int(self.seq)),
            ("event_id", J::str(&self.event_id)),
            ("tenant_id", J::str(&self.tenant_id)),
            ("timestamp", J::str(&self.timestamp)),
            ("action", J::str(&self.action)),
            ("severity", J::str(&self.severity)),
            ("actor_user_id", J::str(&self.actor_user_id)),
            ("actor_role", J::str(&self.actor_role)),
            ("actor_display", J::str(&self.actor_display)),
            ("actor_ip", o(self.actor_ip.as_deref())),
            ("http_method", o(self.http_method.as_deref())),
            ("http_route", o(self.http_route.as_deref())),
            ("resource_type", o(self.resource_type.as_deref())),
            ("resource_id", o(self.resource_id.as_deref())),
            ("resource_display", o(self.resource_display.as_deref())),
            ("outcome", J::str(&self.outcome)),
            ("outcome_reason", o(self.outcome_reason.as_deref())),
            ("changes", self.changes.clone().unwrap_or(J::Null)),
            ("metadata", self.metadata.clone()),
            ("prev_hash", J::str(&self.prev_hash)),
            ("hash", J::str(&self.hash)),
        ])
    }

    /// Appends exactly `self.to_j().compact()` to `out`, without building the [`J`] (the
    /// records endpoint writes every page this way).
    pub fn write_compact(&self, out: &mut String) {
        use crate::ojson::write_str;
        let mut first = true;
        let mut key = |out: &mut String, k: &str| {
            out.push_str(if first { "{" } else { "," });
            first = false;
            write_str(k, out);
            out.push(':');
        };
        let opt = |out: &mut String, v: &Option<String>| match v {
            Some(v) => write_str(v, out),
            None => out.push_str("null"),
        };
        key(out, "seq");
        out.push_str(&self.seq.to_string());
        key(out, "event_id");
        write_str(&self.event_id, out);
        key(out, "tenant_id");
        write_str(&self.tenant_id, out);
        key(out, "timestamp");
        write_str(&self.timestamp, out);
        key(out, "action");
        write_str(&self.action, out);
        key(out, "severity");
        write_str(&self.severity, out);
        key(out, "actor_user_id");
        write_str(&self.actor_user_id, out);
        key(out, "actor_role");
        write_str(&self.actor_role, out);
        key(out, "actor_display");
        write_str(&self.actor_display, out);
        key(out, "actor_ip");
        opt(out, &self.actor_ip);
        key(out, "http_method");
        opt(out, &self.http_method);
        key(out, "http_route");
        opt(out, &self.http_route);
        key(out, "resource_type");
        opt(out, &self.resource_type);
        key(out, "resource_id");
        opt(out, &self.resource_id);
        key(out, "resource_display");
        opt(out, &self.resource_display);
        key(out, "outcome");
        write_str(&self.outcome, out);
        key(out, "outcome_reason");
        opt(out, &self.outcome_reason);
        key(out, "changes");
        match &self.changes {
            Some(j) => j.write_compact(out),
            None => out.push_str("null"),
        }
        key(out, "metadata");
        self.metadata.write_compact(out);
        key(out, "prev_hash");
        write_str(&self.prev_hash, out);
        key(out, "hash");
        write_str(&self.hash, out);
        out.push('}');
    }

    /// The canonical record (what is hashed and fingerprinted). The timestamp is converted to
    /// its canonical form as SPEC section 2 orders.
    ///
    /// Built member by member (already in canonical order) rather than through the compact
    /// text of [`Row::to_j`]: the same value, without a serialization and a parse per record
    /// (it dominated `GET /api/v1/audit/verify`). `changes` and `metadata` still go through
    /// their text, so their numbers read exactly as the strict parser reads them.
    pub fn to_value(&self) -> Result<Value> {
        let ts = trailproof_core::time::normalize(&self.timestamp)?.canonical();
        if self.seq.unsigned_abs() > trailproof_core::json::MAX_SAFE_INTEGER as u64 {
            // Not an exact double: let the strict parser say so, as it would for the text.
            let mut v = self.to_j().to_value()?;
            v.set("timestamp", Value::String(ts));
            return Ok(v);
        }
        let s = |x: &str| Value::String(x.to_string());
        let o = |x: &Option<String>| x.as_deref().map_or(Value::Null, s);
        let changes = match &self.changes {
            Some(j) => j.to_value()?,
            None => Value::Null,
        };
        let members: [(&str, Value); 21] = [
            ("action", s(&self.action)),
            ("actor_display", s(&self.actor_display)),
            ("actor_ip", o(&self.actor_ip)),
            ("actor_role", s(&self.actor_role)),
            ("actor_user_id", s(&self.actor_user_id)),
            ("changes", changes),
            ("event_id", s(&self.event_id)),
            ("hash", s(&self.hash)),
            ("http_method", o(&self.http_method)),
            ("http_route", o(&self.http_route)),
            ("metadata", self.metadata.to_value()?),
            ("outcome", s(&self.outcome)),
            ("outcome_reason", o(&self.outcome_reason)),
            ("prev_hash", s(&self.prev_hash)),
            ("resource_display", o(&self.resource_display)),
            ("resource_id", o(&self.resource_id)),
            ("resource_type", o(&self.resource_type)),
            ("seq", Value::Number(self.seq as f64)),
            ("severity", s(&self.severity)),
            ("tenant_id", s(&self.tenant_id)),
            ("timestamp", Value::String(ts)),
        ];
        debug_assert!(members.windows(2).all(|w| w[0].0 < w[1].0));
        Ok(Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
    }

    /// The hash this record should carry.
    pub fn compute_hash(&self) -> Result<String> {
        Ok(hex(&compute_hash(&self.to_value()?)))
    }

    /// Reads a record object (a JSON Lines line, an API body). Members the store fills may be
    /// absent; any member that is not one of SPEC section 1 is refused.
    pub fn from_j(j: &J) -> Result<Row> {
        let J::Obj(m) = j else {
            bail!("a record must be a JSON object")
        };
        if let Some((k, _)) = m.iter().find(|(k, _)| !COLUMNS.contains(&k.as_str())) {
            bail!("unknown member {k:?}");
        }
        let s = |k: &str| -> Result<Option<String>> {
            match j.get(k) {
                None | Some(J::Null) => Ok(None),
                Some(J::Str(s)) => Ok(Some(s.clone())),
                Some(_) => Err(anyhow!("member {k} must be a string or null")),
            }
        };
        let req =
            |k: &str| -> Result<String> { s(k)?.ok_or_else(|| anyhow!("member {k} is required")) };
        let seq = match j.get("seq") {
            None | Some(J::Null) => 0,
            Some(J::Num(n)) => n
                .parse()
                .with_context(|| format!("seq {n} is not an integer"))?,
            Some(_) => bail!("member seq must be an integer"),
        };
        let obj = |k: &str| -> Result<Option<J>> {
            match j.get(k) {
                None | Some(J::Null) => Ok(None),
                Some(o @ J::Obj(_)) => Ok(Some(o.clone())),
                Some(_) => Err(anyhow!("member {k} must be an object or null")),
            }
        };
        Ok(Row {
            seq,
            event_id: s("event_id")?.unwrap_or_default(),
            tenant_id: req("tenant_id")?,
            timestamp: s("timestamp")?.unwrap_or_default(),
            action: req("action")?,
            severity: req("severity")?,
            actor_user_id: req("actor_user_id")?,
            actor_role: req("actor_role")?,
            actor_display: req("actor_display")?,
            actor_ip: s("actor_ip")?,
            http_method: s("http_method")?,
            http_route: s("http_route")?,
            resource_type: s("resource_type")?,
            resource_id: s("resource_id")?,
            resource_display: s("resource_display")?,
            outcome: s("outcome")?.unwrap_or_else(|| "success".into()),
            outcome_reason: s("outcome_reason")?,
            changes: obj("changes")?,
            metadata: obj("metadata")?.unwrap_or(J::Obj(vec![])),
            prev_hash: s("prev_hash")?.unwrap_or_default(),
            hash: s("hash")?.unwrap_or_default(),
        })
    }

    fn from_sql(r: &rusqlite::Row) -> rusqlite::Result<Row> {
        let json = |i: usize, text: Option<String>| -> rusqlite::Result<Option<J>> {
            text.map(|t| {
                J::parse(&t).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Text,
                        e.into_boxed_dyn_error(),
                    )
                })
            })
            .transpose()
        };
        Ok(Row {
            seq: r.get(0)?,
            event_id: r.get(1)?,
            tenant_id: r.get(2)?,
            timestamp: r.get(3)?,
            action: r.get(4)?,
            severity: r.get(5)?,
            actor_user_id: r.get(6)?,
            actor_role: r.get(7)?,
            actor_display: r.get(8)?,
            actor_ip: r.get(9)?,
            http_method: r.get(10)?,
            http_route: r.get(11)?,
            resource_type: r.get(12)?,
            resource_id: r.get(13)?,
            resource_display: r.get(14)?,
            outcome: r.get(15)?,
            outcome_reason: r.get(16)?,
            changes: json(17, r.get(17)?)?,
            metadata: json(18, r.get(18)?)?.unwrap_or(J::Obj(vec![])),
            prev_hash: r.get(19)?,
            hash: r.get(20)?,
        })
    }

    /// Inserts the row as it is (no chain logic); the import path and the tamper kit use it.
    pub fn insert(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut st = conn.prepare_cached(
            "INSERT INTO audit_log VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
        )?;
        st.execute(rusqlite::params![
            self.seq,
            self.event_id,
            self.tenant_id,
            self.timestamp,
            self.action,
            self.severity,
            self.actor_user_id,
            self.actor_role,
            self.actor_display,
            self.actor_ip,
            self.http_method,
            self.http_route,
            self.resource_type,
            self.resource_id,
            self.resource_display,
            self.outcome,
            self.outcome_reason,
            self.changes.as_ref().map(J::python),
            self.metadata.python(),
            self.prev_hash,
            self.hash,
        ])?;
        Ok(())
    }
}

const SELECT: &str = "SELECT seq, event_id, tenant_id, timestamp, action, severity, actor_user_id, actor_role, actor_display, actor_ip, http_method, http_route, resource_type, resource_id, resource_display, outcome, outcome_reason, changes, metadata, prev_hash, hash FROM audit_log";

/// Opens (and creates, with its triggers) a store.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(60))?;
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
/// hot path can read its columns borrowed ([`write_compact_sql`], [`write_canonical_sql`]).
pub fn scoped_each_sql(
    conn: &Connection,
    scope: &Scope,
    after_seq: i64,
    limit: Option<usize>,
    mut each: impl FnMut(&rusqlite::Row) -> Result<()>,
) -> Result<()> {
    let mut sql = format!("{SELECT} WHERE tenant_id = ?1 AND seq > ?2");
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

/// A row's columns borrowed from SQLite (what [`Row::from_sql`] would copy, `changes` and
/// `metadata` still as their stored text).
struct RowRef<'a> {
    seq: i64,
    event_id: &'a str,
    tenant_id: &'a str,
    timestamp: &'a str,
    action: &'a str,
    severity: &'a str,
    actor_user_id: &'a str,
    actor_role: &'a str,
    actor_display: &'a str,
    actor_ip: Option<&'a str>,
    http_method: Option<&'a str>,
    http_route: Option<&'a str>,
    resource_type: Option<&'a str>,
    resource_id: Option<&'a str>,
    resource_display: Option<&'a str>,
    outcome: &'a str,
    outcome_reason: Option<&'a str>,
    changes: Option<&'a str>,
    metadata: Option<&'a str>,
    prev_hash: &'a str,
    hash: &'a str,
}

impl<'a> RowRef<'a> {
    /// Fails where [`Row::from_sql`] may fail (a value of another type, text that is not UTF-8).
    fn read(r: &'a rusqlite::Row) -> rusqlite::Result<RowRef<'a>> {
        let s = |i: usize| -> rusqlite::Result<&'a str> { Ok(r.get_ref(i)?.as_str()?) };
        let o =
            |i: usize| -> rusqlite::Result<Option<&'a str>> { Ok(r.get_ref(i)?.as_str_or_null()?) };
        Ok(RowRef {
            seq: r.get_ref(0)?.as_i64()?,
            event_id: s(1)?,
            tenant_id: s(2)?,
            timestamp: s(3)?,
            action: s(4)?,
            severity: s(5)?,
            actor_user_id: s(6)?,
            actor_role: s(7)?,
            actor_display: s(8)?,
            actor_ip: o(9)?,
            http_method: o(10)?,
            http_route: o(11)?,
            resource_type: o(12)?,
            resource_id: o(13)?,
            resource_display: o(14)?,
            outcome: s(15)?,
            outcome_reason: o(16)?,
            changes: o(17)?,
            metadata: o(18)?,
            prev_hash: s(19)?,
            hash: s(20)?,
        })
    }
}

/// Appends exactly `Row::from_sql(r)?.write_compact(out)`, reading the columns borrowed (the
/// records endpoint writes every page this way); returns the row's `seq`.
pub fn write_compact_sql(r: &rusqlite::Row, out: &mut String) -> Result<i64> {
    let mark = out.len();
    match write_compact_borrowed(r, out) {
        Ok(seq) => Ok(seq),
        Err(_) => {
            // Whatever the fast path could not read, the owned path says why (or writes it).
            out.truncate(mark);
            let row = Row::from_sql(r)?;
            row.write_compact(out);
            Ok(row.seq)
        }
    }
}

fn write_compact_borrowed(r: &rusqlite::Row, out: &mut String) -> Result<i64> {
    use crate::ojson::write_str;
    let row = RowRef::read(r)?;
    let opt = |out: &mut String, v: Option<&str>| match v {
        Some(v) => write_str(v, out),
        None => out.push_str("null"),
    };
    out.push_str("{\"seq\":");
    out.push_str(itoa::Buffer::new().format(row.seq));
    out.push_str(",\"event_id\":");
    write_str(row.event_id, out);
    out.push_str(",\"tenant_id\":");
    write_str(row.tenant_id, out);
    out.push_str(",\"timestamp\":");
    write_str(row.timestamp, out);
    out.push_str(",\"action\":");
    write_str(row.action, out);
    out.push_str(",\"severity\":");
    write_str(row.severity, out);
    out.push_str(",\"actor_user_id\":");
    write_str(row.actor_user_id, out);
    out.push_str(",\"actor_role\":");
    write_str(row.actor_role, out);
    out.push_str(",\"actor_display\":");
    write_str(row.actor_display, out);
    out.push_str(",\"actor_ip\":");
    opt(out, row.actor_ip);
    out.push_str(",\"http_method\":");
    opt(out, row.http_method);
    out.push_str(",\"http_route\":");
    opt(out, row.http_route);
    out.push_str(",\"resource_type\":");
    opt(out, row.resource_type);
    out.push_str(",\"resource_id\":");
    opt(out, row.resource_id);
    out.push_str(",\"resource_display\":");
    opt(out, row.resource_display);
    out.push_str(",\"outcome\":");
    write_str(row.outcome, out);
    out.push_str(",\"outcome_reason\":");
    opt(out, row.outcome_reason);
    out.push_str(",\"changes\":");
    match row.changes {
        Some(t) => J::parse(t)?.write_compact(out),
        None => out.push_str("null"),
    }
    out.push_str(",\"metadata\":");
    match row.metadata {
        Some(t) => J::parse(t)?.write_compact(out),
        None => out.push_str("{}"),
    }
    out.push_str(",\"prev_hash\":");
    write_str(row.prev_hash, out);
    out.push_str(",\"hash\":");
    write_str(row.hash, out);
    out.push('}');
    Ok(row.seq)
}

/// Appends exactly `canonical::write_value(&Row::from_sql(r)?.to_value()?)`: the full
/// canonical record (every member, `hash` included) that a fingerprint hashes, written straight
/// from the borrowed columns (`GET /api/v1/audit/verify` writes every record of a scope this
/// way). `changes` and `metadata` still go through [`J::to_value`], so their numbers read exactly
/// as the strict parser reads them.
pub fn write_canonical_sql(r: &rusqlite::Row, out: &mut Vec<u8>) -> Result<()> {
    let mark = out.len();
    if write_canonical_borrowed(r, out).is_err() {
        // Whatever the fast path refused (an unsafe seq, a bad timestamp, a column that is not
        // text), the owned path says why in its own words, or writes the record after all.
        out.truncate(mark);
        let v = Row::from_sql(r)?.to_value()?;
        trailproof_core::canonical::write_value(&v, out);
    }
    Ok(())
}

fn write_canonical_borrowed(r: &rusqlite::Row, out: &mut Vec<u8>) -> Result<()> {
    use trailproof_core::canonical::{write_number, write_string, write_value};
    let row = RowRef::read(r)?;
    if row.seq.unsigned_abs() > trailproof_core::json::MAX_SAFE_INTEGER as u64 {
        bail!("seq {} is not an exact double", row.seq);
    }
    let ts = trailproof_core::time::normalize(row.timestamp)?.canonical();
    let opt = |out: &mut Vec<u8>, v: Option<&str>| match v {
        Some(v) => write_string(v, out),
        None => out.extend_from_slice(b"null"),
    };
    let json = |out: &mut Vec<u8>, t: Option<&str>, none: &[u8]| -> Result<()> {
        match t {
            Some(t) => write_value(&J::parse(t)?.to_value()?, out),
            None => out.extend_from_slice(none),
        }
        Ok(())
    };
    // Members in canonical (UTF-16 code unit) order, as `Row::to_value` lists them.
    out.extend_from_slice(b"{\"action\":");
    write_string(row.action, out);
    out.extend_from_slice(b",\"actor_display\":");
    write_string(row.actor_display, out);
    out.extend_from_slice(b",\"actor_ip\":");
    opt(out, row.actor_ip);
    out.extend_from_slice(b",\"actor_role\":");
    write_string(row.actor_role, out);
    out.extend_from_slice(b",\"actor_user_id\":");
    write_string(row.actor_user_id, out);
    out.extend_from_slice(b",\"changes\":");
    json(out, row.changes, b"null")?;
    out.extend_from_slice(b",\"event_id\":");
    write_string(row.event_id, out);
    out.extend_from_slice(b",\"hash\":");
    write_string(row.hash, out);
    out.extend_from_slice(b",\"http_method\":");
    opt(out, row.http_method);
    out.extend_from_slice(b",\"http_route\":");
    opt(out, row.http_route);
    out.extend_from_slice(b",\"metadata\":");
    json(out, row.metadata, b"{}")?;
    out.extend_from_slice(b",\"outcome\":");
    write_string(row.outcome, out);
    out.extend_from_slice(b",\"outcome_reason\":");
    opt(out, row.outcome_reason);
    out.extend_from_slice(b",\"prev_hash\":");
    write_string(row.prev_hash, out);
    out.extend_from_slice(b",\"resource_display\":");
    opt(out, row.resource_display);
    out.extend_from_slice(b",\"resource_id\":");
    opt(out, row.resource_id);
    out.extend_from_slice(b",\"resource_type\":");
    opt(out, row.resource_type);
    out.extend_from_slice(b",\"seq\":");
    write_number(row.seq as f64, out);
    out.extend_from_slice(b",\"severity\":");
    write_string(row.severity, out);
    out.extend_from_slice(b",\"tenant_id\":");
    write_string(row.tenant_id, out);
    out.extend_from_slice(b",\"timestamp\":");
    write_string(&ts, out);
    out.push(b'}');
    Ok(())
}

/// Every row in storage (rowid) order, as a dump writes them.
pub fn all_rows(conn: &Connection) -> Result<Vec<Row>> {
    let mut st = conn.prepare(&format!("{SELECT} ORDER BY rowid"))?;
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

    /// The fast writers give exactly what the J route gives, for every kind of row the seed
    /// makes and for strings that need escaping.
    #[test]
    fn fast_row_writers_match_the_j_route() {
        let mut conn = open(Path::new(":memory:")).unwrap();
        crate::seed::seed(&mut conn, 3, 400, 5).unwrap();
        let mut ev = Row::event("acme", "call.barge", "critical");
        ev.actor_user_id = "u-\"q\"\\".into();
        ev.actor_role = "agent".into();
        ev.actor_display = "Tab\there\nnew\u{1}line é €".into();
        ev.outcome_reason = Some("\u{8}\u{c}\r\u{1f}".into());
        ev.changes = Some(J::parse(r#"{"b": 1.50, "a": [1e3, "x\"y"], "n": null}"#).unwrap());
        append(&mut conn, &mut ev).unwrap();
        let rows = scoped(&conn, &Scope::tenant("acme"), 0, None).unwrap();
        assert!(rows.iter().any(|r| r.changes.is_some()));
        for r in tenants(&conn)
            .unwrap()
            .iter()
            .flat_map(|t| scoped(&conn, &Scope::tenant(t), 0, None).unwrap())
        {
            let mut fast = String::new();
            r.write_compact(&mut fast);
            assert_eq!(fast, r.to_j().compact(), "seq {}", r.seq);
            let mut slow = r.to_j().to_value().unwrap();
            let ts = trailproof_core::time::normalize(&r.timestamp)
                .unwrap()
                .canonical();
            slow.set("timestamp", Value::String(ts));
            assert_eq!(r.to_value().unwrap(), slow, "seq {}", r.seq);
        }
    }

    /// The borrowed-column writers of the records and verify endpoints give exactly what the
    /// owned route gives (or fail with its very error), for every kind of row the seed makes
    /// and for the rows an insider could leave behind.
    #[test]
    fn borrowed_row_writers_match_the_owned_route() {
        let mut conn = open(Path::new(":memory:")).unwrap();
        crate::seed::seed(&mut conn, 3, 400, 5).unwrap();
        let mut ev = Row::event("acme", "call.barge", "critical");
        ev.actor_user_id = "u-\"q\"\\".into();
        ev.actor_role = "agent".into();
        ev.actor_display = "Tab\there\nnew\u{1}line é € \u{7f}".into();
        ev.outcome_reason = Some("\u{8}\u{c}\r\u{1f}".into());
        ev.changes = Some(
            J::parse(r#"{"b": 1.50, "a": [1e3, "x\"y", -0], "n": null, "é": {"z": 2}}"#).unwrap(),
        );
        append(&mut conn, &mut ev).unwrap();
        // Rows written around the append path: another timestamp rendering, a timestamp that
        // is none, an unsafe seq, a blob and invalid UTF-8 where text belongs, JSON columns that
        // are not JSON or hold what the strict parser refuses.
        let h = "ab".repeat(32);
        let odd = [
            (
                "1",
                "'2026-04-30 13:41:23.12+02'",
                "'{}'",
                "NULL",
                "'1.2.3.4'",
            ),
            ("2", "'yesterday'", "'{}'", "NULL", "NULL"),
            (
                "3",
                "'2026-04-30T13:41:23Z'",
                "'{\"a\": 9007199254740993}'",
                "NULL",
                "NULL",
            ),
            (
                "4",
                "'2026-04-30T13:41:23Z'",
                "'{\"a\": 1, \"a\": 2}'",
                "NULL",
                "NULL",
            ),
            ("5", "'2026-04-30T13:41:23Z'", "'not json'", "NULL", "NULL"),
            (
                "6",
                "'2026-04-30T13:41:23Z'",
                "'{}'",
                "'[1, {\"k\": \"\\u00e9\\/\"}]'",
                "X'00ff'",
            ),
            (
                "7",
                "'2026-04-30T13:41:23Z'",
                "'{}'",
                "NULL",
                "CAST(X'ff' AS TEXT)",
            ),
            (
                "8",
                "'2026-04-30T13:41:23Z'",
                "'{\"big\": 100000000000000000000000000000}'",
                "NULL",
                "NULL",
            ),
            (
                "9007199254740993",
                "'2026-04-30T13:41:23Z'",
                "'{}'",
                "NULL",
                "NULL",
            ),
        ];
        for (seq, ts, metadata, changes, ip) in odd {
            conn.execute_batch(&format!(
                "INSERT INTO audit_log VALUES ({seq}, 'e-{seq}', 'odd', {ts}, 'a', 'info', 'u', 'r', 'd', \
                 {ip}, NULL, NULL, NULL, NULL, NULL, 'success', NULL, {changes}, {metadata}, '{h}', '{h}')"
            ))
            .unwrap();
        }
        let mut tenants_seen = 0;
        let (mut compact_ok, mut compact_err, mut canon_ok, mut canon_err) = (0, 0, 0, 0);
        for t in tenants(&conn).unwrap() {
            tenants_seen += 1;
            scoped_each_sql(&conn, &Scope::tenant(&t), 0, None, |r| {
                let owned = Row::from_sql(r).map_err(anyhow::Error::from);
                let mut fast = String::from("[");
                let seq = write_compact_sql(r, &mut fast);
                match &owned {
                    Ok(row) => {
                        assert_eq!(seq.unwrap(), row.seq);
                        assert_eq!(
                            fast,
                            format!("[{}", row.to_j().compact()),
                            "seq {}",
                            row.seq
                        );
                        compact_ok += 1;
                    }
                    Err(e) => {
                        assert_eq!(seq.unwrap_err().to_string(), e.to_string());
                        compact_err += 1;
                    }
                }
                let mut canon = b"[".to_vec();
                let res = write_canonical_sql(r, &mut canon);
                match owned.and_then(|row| row.to_value()) {
                    Ok(v) => {
                        let mut want = b"[".to_vec();
                        trailproof_core::canonical::write_value(&v, &mut want);
                        assert_eq!(
                            String::from_utf8(canon).unwrap(),
                            String::from_utf8(want).unwrap()
                        );
                        canon_ok += 1;
                    }
                    Err(e) => {
                        assert_eq!(res.unwrap_err().to_string(), e.to_string());
                        canon_err += 1;
                    }
                }
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(tenants_seen, 4);
        // 401 appended rows and six odd ones write; a JSON column that is not JSON, a blob and
        // invalid UTF-8 fail both ways; a timestamp that is none, an unsafe integer, a duplicate
        // member and an unsafe seq fail the canonical route only.
        assert_eq!((compact_ok, compact_err), (407, 3));
        assert_eq!((canon_ok, canon_err), (403, 7));
    }
}
