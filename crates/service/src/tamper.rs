//! `tamper`: what an insider with database rights does, for demos and tests.
//!
//! Every action drops the append-only triggers, changes the rows in one transaction and
//! restores the triggers, as a DBA would; the printed line says what changed.

use anyhow::{anyhow, bail, Result};
use rusqlite::{Connection, OptionalExtension};
use trailproof_core::record::{hex, GENESIS};
use trailproof_core::scope::Scope;

use crate::member::{Kind, Member, COLUMNS};
use crate::ojson::J;
use crate::store;

/// One tamper action.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Action {
    /// Change one column of one record (its hash is left alone).
    EditField {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        seq: i64,
        #[arg(long)]
        field: String,
        /// New value; for `changes`/`metadata` a JSON object. See --null.
        #[arg(long, default_value = "")]
        value: String,
        /// Set the column to NULL instead.
        #[arg(long)]
        null: bool,
    },
    /// Delete record `--seq` (through `--to`, inclusive).
    Delete {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        seq: i64,
        #[arg(long)]
        to: Option<i64>,
    },
    /// Change one column and recompute that record's own hash (the next link breaks).
    EditRehash {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        seq: i64,
        #[arg(long)]
        field: String,
        #[arg(long)]
        value: String,
    },
    /// Optionally change one column of `--from-seq`, then rewrite every `prev_hash`/`hash`
    /// from that seq on, so that the chain is internally consistent again.
    Rechain {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        from_seq: i64,
        #[arg(long, requires = "value")]
        field: Option<String>,
        #[arg(long)]
        value: Option<String>,
    },
    /// Delete every record from `--from-seq` to the end of the chain.
    Truncate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        from_seq: i64,
    },
    /// Set a record's timestamp (hash left alone).
    Backdate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        seq: i64,
        #[arg(long)]
        timestamp: String,
    },
    /// Move a record to another tenant (keeps its seq unless --new-seq is given).
    MoveTenant {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        seq: i64,
        #[arg(long)]
        to_tenant: String,
        #[arg(long)]
        new_seq: Option<i64>,
    },
}

/// The member named `field`.
fn member(field: &str) -> Result<Member> {
    Member::from_name(field)
        .ok_or_else(|| anyhow!("unknown field {field:?}; one of {}", COLUMNS.join(", ")))
}

fn is_object(kind: Kind) -> bool {
    matches!(kind, Kind::Object | Kind::OptionalObject)
}

fn check_field(field: &str, value: &str) -> Result<()> {
    if is_object(member(field)?.kind()) {
        J::parse(value).map_err(|e| anyhow!("{field} must be JSON: {e}"))?;
    }
    Ok(())
}

fn set_field(
    tx: &Connection,
    tenant: &str,
    seq: i64,
    field: &str,
    value: Option<&str>,
) -> Result<()> {
    let sql = format!("UPDATE audit_log SET \"{field}\" = ?1 WHERE tenant_id = ?2 AND seq = ?3");
    // An unknown field (with --null, which skips the check) is left to SQLite to refuse.
    let kind = Member::from_name(field).map(Member::kind);
    let v: rusqlite::types::Value = match value {
        None => rusqlite::types::Value::Null,
        Some(s) if kind == Some(Kind::Integer) => rusqlite::types::Value::Integer(s.parse()?),
        Some(s) if kind.is_some_and(is_object) => J::parse(s)?.python().into(),
        Some(s) => s.to_string().into(),
    };
    let n = tx.execute(&sql, rusqlite::params![v, tenant, seq])?;
    if n == 0 {
        bail!("no record {tenant} seq {seq}");
    }
    Ok(())
}

fn rehash(tx: &Connection, tenant: &str, seq: i64, prev: Option<&str>) -> Result<String> {
    let scope = Scope::tenant(tenant);
    let mut r = store::scoped(tx, &scope, seq - 1, Some(1))?
        .into_iter()
        .next()
        .filter(|r| r.seq == seq)
        .ok_or_else(|| anyhow!("no record {tenant} seq {seq}"))?;
    if let Some(p) = prev {
        r.prev_hash = p.to_string();
    }
    let h = r.compute_hash()?;
    tx.execute(
        "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE tenant_id = ?3 AND seq = ?4",
        rusqlite::params![r.prev_hash, h, tenant, seq],
    )?;
    Ok(h)
}

/// Runs one action; returns the line to print.
pub fn run(conn: &mut Connection, action: &Action) -> Result<String> {
    store::drop_triggers(conn)?;
    let result = (|| -> Result<String> {
        let tx = conn.transaction()?;
        let msg = match action {
            Action::EditField {
                tenant,
                seq,
                field,
                value,
                null,
            } => {
                let v = (!null).then_some(value.as_str());
                if let Some(v) = v {
                    check_field(field, v)?;
                }
                set_field(&tx, tenant, *seq, field, v)?;
                format!(
                    "edit-field: {tenant} seq {seq}: {field} = {}",
                    v.map(|v| format!("{v:?}")).unwrap_or("NULL".into())
                )
            }
            Action::Delete { tenant, seq, to } => {
                let to = to.unwrap_or(*seq);
                let n = tx.execute(
                    "DELETE FROM audit_log WHERE tenant_id = ?1 AND seq BETWEEN ?2 AND ?3",
                    rusqlite::params![tenant, seq, to],
                )?;
                if n == 0 {
                    bail!("no record {tenant} seq {seq}..={to}");
                }
                format!("delete: {tenant} seq {seq}..={to}: {n} records deleted")
            }
            Action::EditRehash {
                tenant,
                seq,
                field,
                value,
            } => {
                check_field(field, value)?;
                set_field(&tx, tenant, *seq, field, Some(value))?;
                let h = rehash(&tx, tenant, *seq, None)?;
                format!("edit-rehash: {tenant} seq {seq}: {field} = {value:?}, hash now {h}")
            }
            Action::Rechain {
                tenant,
                from_seq,
                field,
                value,
            } => {
                if let (Some(f), Some(v)) = (field, value) {
                    check_field(f, v)?;
                    set_field(&tx, tenant, *from_seq, f, Some(v))?;
                }
                let mut prev: String = tx
                    .query_row(
                        "SELECT hash FROM audit_log WHERE tenant_id = ?1 AND seq = ?2",
                        rusqlite::params![tenant, from_seq - 1],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or_else(|| hex(&GENESIS));
                let seqs: Vec<i64> = tx
                    .prepare(
                        "SELECT seq FROM audit_log WHERE tenant_id = ?1 AND seq >= ?2 ORDER BY seq",
                    )?
                    .query_map(rusqlite::params![tenant, from_seq], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for s in &seqs {
                    prev = rehash(&tx, tenant, *s, Some(&prev))?;
                }
                format!(
                    "rechain: {tenant} seq {from_seq}..: {} records rehashed, head hash now {prev}",
                    seqs.len()
                )
            }
            Action::Truncate { tenant, from_seq } => {
                let n = tx.execute(
                    "DELETE FROM audit_log WHERE tenant_id = ?1 AND seq >= ?2",
                    rusqlite::params![tenant, from_seq],
                )?;
                format!("truncate: {tenant} seq {from_seq}..: {n} records deleted")
            }
            Action::Backdate {
                tenant,
                seq,
                timestamp,
            } => {
                set_field(&tx, tenant, *seq, "timestamp", Some(timestamp))?;
                format!("backdate: {tenant} seq {seq}: timestamp = {timestamp:?}")
            }
            Action::MoveTenant {
                tenant,
                seq,
                to_tenant,
                new_seq,
            } => {
                let ns = new_seq.unwrap_or(*seq);
                let n = tx.execute(
                    "UPDATE audit_log SET tenant_id = ?1, seq = ?2 WHERE tenant_id = ?3 AND seq = ?4",
                    rusqlite::params![to_tenant, ns, tenant, seq],
                )?;
                if n == 0 {
                    bail!("no record {tenant} seq {seq}");
                }
                format!("move-tenant: {tenant} seq {seq} -> {to_tenant} seq {ns}")
            }
        };
        tx.commit()?;
        Ok(msg)
    })();
    store::restore_triggers(conn)?;
    result
}
