//! One record of the store ([`Row`]) and every form it takes: the ordered JSON object of an API
//! body or a JSON Lines dump ([`Row::to_j`], [`Row::from_j`]), its compact text
//! ([`Row::write_compact`]), the canonical record that is hashed ([`Row::to_value`]), and a row
//! of the table `audit_log` (read, inserted, and written straight from SQLite's borrowed columns
//! by the API's hot paths: [`write_compact_sql`], [`write_canonical_sql`]).
//!
//! Every form iterates the members of [`Member::ALL`] (or [`Member::CANONICAL`]); the only
//! place that names each member is the bridge between a member and its field ([`Row::cell`] and
//! the private `Row::slot`).
//!
//! Invariants: the borrowed writers produce exactly the bytes of the owned route (`Row::from_sql`
//! then [`Row::write_compact`] or [`Row::to_value`]), or fall back to that route, so an error is
//! always reported in its words; `changes` and `metadata` keep the member order they were
//! written in.

use std::sync::LazyLock;

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{params_from_iter, Connection};
use trailproof_core::json::Value;
use trailproof_core::record::{compute_hash, hex};

use crate::member::{Kind, Member, COLUMNS, COUNT};
use crate::ojson::{write_str, J};

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

/// A member's value in a [`Row`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Integer(i64),
    Text(&'a str),
    Null,
    /// A JSON object (`changes`, `metadata`).
    Object(&'a J),
}

impl Cell<'_> {
    /// The value as a member of an ordered JSON object.
    pub fn to_j(self) -> J {
        match self {
            Cell::Integer(n) => J::int(n),
            Cell::Text(s) => J::str(s),
            Cell::Null => J::Null,
            Cell::Object(j) => j.clone(),
        }
    }
}

/// A member's place in a [`Row`], to fill; the variant follows the member's [`Kind`].
enum Slot<'a> {
    Integer(&'a mut i64),
    Text(&'a mut String),
    OptionalText(&'a mut Option<String>),
    Object(&'a mut J),
    OptionalObject(&'a mut Option<J>),
}

/// Appends `{"name":` (the first member) or `,"name":` to `out`: member names need no escaping.
fn write_key(out: &mut String, first: bool, m: Member) {
    out.push_str(if first { "{\"" } else { ",\"" });
    out.push_str(m.name());
    out.push_str("\":");
}

/// Like [`write_key`], for canonical bytes.
fn write_key_bytes(out: &mut Vec<u8>, first: bool, m: Member) {
    out.extend_from_slice(if first { b"{\"" } else { b",\"" });
    out.extend_from_slice(m.name().as_bytes());
    out.extend_from_slice(b"\":");
}

/// Whether `seq` is an exact double (the canonical form writes it as a JSON number).
fn safe_seq(seq: i64) -> bool {
    seq.unsigned_abs() <= trailproof_core::json::MAX_SAFE_INTEGER as u64
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

    /// The value of member `m`.
    pub fn cell(&self, m: Member) -> Cell<'_> {
        fn text(s: &Option<String>) -> Cell<'_> {
            s.as_deref().map_or(Cell::Null, Cell::Text)
        }
        match m {
            Member::Seq => Cell::Integer(self.seq),
            Member::EventId => Cell::Text(&self.event_id),
            Member::TenantId => Cell::Text(&self.tenant_id),
            Member::Timestamp => Cell::Text(&self.timestamp),
            Member::Action => Cell::Text(&self.action),
            Member::Severity => Cell::Text(&self.severity),
            Member::ActorUserId => Cell::Text(&self.actor_user_id),
            Member::ActorRole => Cell::Text(&self.actor_role),
            Member::ActorDisplay => Cell::Text(&self.actor_display),
            Member::ActorIp => text(&self.actor_ip),
            Member::HttpMethod => text(&self.http_method),
            Member::HttpRoute => text(&self.http_route),
            Member::ResourceType => text(&self.resource_type),
            Member::ResourceId => text(&self.resource_id),
            Member::ResourceDisplay => text(&self.resource_display),
            Member::Outcome => Cell::Text(&self.outcome),
            Member::OutcomeReason => text(&self.outcome_reason),
            Member::Changes => self.changes.as_ref().map_or(Cell::Null, Cell::Object),
            Member::Metadata => Cell::Object(&self.metadata),
            Member::PrevHash => Cell::Text(&self.prev_hash),
            Member::Hash => Cell::Text(&self.hash),
        }
    }

    /// The place of member `m`.
    fn slot(&mut self, m: Member) -> Slot<'_> {
        match m {
            Member::Seq => Slot::Integer(&mut self.seq),
            Member::EventId => Slot::Text(&mut self.event_id),
            Member::TenantId => Slot::Text(&mut self.tenant_id),
            Member::Timestamp => Slot::Text(&mut self.timestamp),
            Member::Action => Slot::Text(&mut self.action),
            Member::Severity => Slot::Text(&mut self.severity),
            Member::ActorUserId => Slot::Text(&mut self.actor_user_id),
            Member::ActorRole => Slot::Text(&mut self.actor_role),
            Member::ActorDisplay => Slot::Text(&mut self.actor_display),
            Member::ActorIp => Slot::OptionalText(&mut self.actor_ip),
            Member::HttpMethod => Slot::OptionalText(&mut self.http_method),
            Member::HttpRoute => Slot::OptionalText(&mut self.http_route),
            Member::ResourceType => Slot::OptionalText(&mut self.resource_type),
            Member::ResourceId => Slot::OptionalText(&mut self.resource_id),
            Member::ResourceDisplay => Slot::OptionalText(&mut self.resource_display),
            Member::Outcome => Slot::Text(&mut self.outcome),
            Member::OutcomeReason => Slot::OptionalText(&mut self.outcome_reason),
            Member::Changes => Slot::OptionalObject(&mut self.changes),
            Member::Metadata => Slot::Object(&mut self.metadata),
            Member::PrevHash => Slot::Text(&mut self.prev_hash),
            Member::Hash => Slot::Text(&mut self.hash),
        }
    }

    /// The record as an ordered JSON object (SPEC section 1 order).
    pub fn to_j(&self) -> J {
        J::Obj(
            Member::ALL
                .iter()
                .map(|&m| (m.name().to_string(), self.cell(m).to_j()))
                .collect(),
        )
    }

    /// Appends exactly `self.to_j().compact()` to `out`, without building the [`J`] (the
    /// records endpoint writes every page this way).
    pub fn write_compact(&self, out: &mut String) {
        for (i, &m) in Member::ALL.iter().enumerate() {
            write_key(out, i == 0, m);
            match self.cell(m) {
                Cell::Integer(n) => out.push_str(itoa::Buffer::new().format(n)),
                Cell::Text(s) => write_str(s, out),
                Cell::Null => out.push_str("null"),
                Cell::Object(j) => j.write_compact(out),
            }
        }
        out.push('}');
    }

    /// The canonical record (what is hashed and fingerprinted). The timestamp is converted to
    /// its canonical form as SPEC section 2 orders.
    ///
    /// Built member by member (in canonical order) rather than through the compact text of
    /// [`Row::to_j`]: the same value, without a serialization and a parse per record (it
    /// dominated `GET /api/v1/audit/verify`). `changes` and `metadata` still go through their
    /// text, so their numbers read exactly as the strict parser reads them.
    pub fn to_value(&self) -> Result<Value> {
        let mut ts = trailproof_core::time::normalize(&self.timestamp)?.canonical();
        if !safe_seq(self.seq) {
            // Not an exact double: let the strict parser say so, as it would for the text.
            let mut v = self.to_j().to_value()?;
            v.set("timestamp", Value::String(ts));
            return Ok(v);
        }
        let members = Member::CANONICAL
            .iter()
            .map(|&m| {
                let v = match (m, self.cell(m)) {
                    (Member::Timestamp, _) => Value::String(std::mem::take(&mut ts)),
                    (_, Cell::Integer(n)) => Value::Number(n as f64),
                    (_, Cell::Text(s)) => Value::String(s.to_string()),
                    (_, Cell::Null) => Value::Null,
                    (_, Cell::Object(j)) => j.to_value()?,
                };
                Ok((m.name().to_string(), v))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Value::Object(members))
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
        if let Some((k, _)) = m.iter().find(|(k, _)| Member::from_name(k).is_none()) {
            bail!("unknown member {k:?}");
        }
        let text = |k: &str| -> Result<Option<String>> {
            match j.get(k) {
                None | Some(J::Null) => Ok(None),
                Some(J::Str(s)) => Ok(Some(s.clone())),
                Some(_) => Err(anyhow!("member {k} must be a string or null")),
            }
        };
        let object = |k: &str| -> Result<Option<J>> {
            match j.get(k) {
                None | Some(J::Null) => Ok(None),
                Some(o @ J::Obj(_)) => Ok(Some(o.clone())),
                Some(_) => Err(anyhow!("member {k} must be an object or null")),
            }
        };
        // Absent members keep the values of a new event.
        let mut row = Row::event("", "", "");
        for m in Member::ALL {
            let k = m.name();
            match row.slot(m) {
                Slot::Integer(n) => match j.get(k) {
                    None | Some(J::Null) => {}
                    Some(J::Num(v)) => {
                        *n = v
                            .parse()
                            .with_context(|| format!("{k} {v} is not an integer"))?
                    }
                    Some(_) => bail!("member {k} must be an integer"),
                },
                Slot::Text(s) => match text(k)? {
                    Some(v) => *s = v,
                    None if m.required_in_new_event() => bail!("member {k} is required"),
                    None => {}
                },
                Slot::OptionalText(s) => *s = text(k)?,
                Slot::Object(o) => {
                    if let Some(v) = object(k)? {
                        *o = v;
                    }
                }
                Slot::OptionalObject(o) => *o = object(k)?,
            }
        }
        Ok(row)
    }

    /// The row SQLite hands over (columns in [`Member::ALL`] order).
    pub(crate) fn from_sql(r: &rusqlite::Row) -> rusqlite::Result<Row> {
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
        let mut row = Row::event("", "", "");
        for m in Member::ALL {
            let i = m.column();
            match row.slot(m) {
                Slot::Integer(n) => *n = r.get(i)?,
                Slot::Text(s) => *s = r.get(i)?,
                Slot::OptionalText(s) => *s = r.get(i)?,
                Slot::Object(o) => *o = json(i, r.get(i)?)?.unwrap_or(J::Obj(vec![])),
                Slot::OptionalObject(o) => *o = json(i, r.get(i)?)?,
            }
        }
        Ok(row)
    }

    /// Inserts the row as it is (no chain logic); the import path and the tamper kit use it.
    pub fn insert(&self, conn: &Connection) -> rusqlite::Result<()> {
        use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
        let mut st = conn.prepare_cached(&INSERT)?;
        st.execute(params_from_iter(Member::ALL.map(|m| match self.cell(m) {
            Cell::Integer(n) => ToSqlOutput::Owned(Sql::Integer(n)),
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Null => ToSqlOutput::Owned(Sql::Null),
            Cell::Object(j) => ToSqlOutput::Owned(Sql::Text(j.python())),
        })))?;
        Ok(())
    }
}

/// One row of `audit_log`, every column bound.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO audit_log VALUES ({})", params.join(","))
});

/// A member's value as SQLite holds it, borrowed (what [`Row::from_sql`] would copy; `changes`
/// and `metadata` still as their stored text).
#[derive(Clone, Copy)]
enum Stored<'a> {
    Integer(i64),
    Text(&'a str),
    Null,
    ObjectText(&'a str),
}

/// A row's columns borrowed from SQLite, by [`Member::column`] (`seq` and `timestamp` also on
/// their own, for the checks before writing).
struct RowRef<'a> {
    seq: i64,
    timestamp: &'a str,
    columns: [Stored<'a>; COUNT],
}

impl<'a> RowRef<'a> {
    /// Fails where [`Row::from_sql`] may fail (a value of another type, text that is not UTF-8).
    fn read(r: &'a rusqlite::Row) -> rusqlite::Result<RowRef<'a>> {
        let mut columns = [Stored::Null; COUNT];
        for m in Member::ALL {
            let value = r.get_ref(m.column())?;
            columns[m.column()] = match m.kind() {
                Kind::Integer => Stored::Integer(value.as_i64()?),
                Kind::Text => Stored::Text(value.as_str()?),
                Kind::OptionalText => value.as_str_or_null()?.map_or(Stored::Null, Stored::Text),
                // A null `metadata` reads as an empty object, as in `Row::from_sql`.
                Kind::Object => Stored::ObjectText(value.as_str_or_null()?.unwrap_or("{}")),
                Kind::OptionalObject => value
                    .as_str_or_null()?
                    .map_or(Stored::Null, Stored::ObjectText),
            };
        }
        Ok(RowRef {
            seq: r.get_ref(Member::Seq.column())?.as_i64()?,
            timestamp: r.get_ref(Member::Timestamp.column())?.as_str()?,
            columns,
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
    let row = RowRef::read(r)?;
    for (i, &m) in Member::ALL.iter().enumerate() {
        write_key(out, i == 0, m);
        match row.columns[m.column()] {
            Stored::Integer(n) => out.push_str(itoa::Buffer::new().format(n)),
            Stored::Text(s) => write_str(s, out),
            Stored::Null => out.push_str("null"),
            Stored::ObjectText(t) => J::parse(t)?.write_compact(out),
        }
    }
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
    if !safe_seq(row.seq) {
        bail!("seq {} is not an exact double", row.seq);
    }
    let ts = trailproof_core::time::normalize(row.timestamp)?.canonical();
    // Members in canonical (UTF-16 code unit) order, as `Row::to_value` lists them.
    for (i, &m) in Member::CANONICAL.iter().enumerate() {
        write_key_bytes(out, i == 0, m);
        match (m, row.columns[m.column()]) {
            (Member::Timestamp, _) => write_string(&ts, out),
            (_, Stored::Integer(n)) => write_number(n as f64, out),
            (_, Stored::Text(s)) => write_string(s, out),
            (_, Stored::Null) => out.extend_from_slice(b"null"),
            (_, Stored::ObjectText(t)) => write_value(&J::parse(t)?.to_value()?, out),
        }
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use trailproof_core::scope::Scope;

    use super::*;
    use crate::store::{append, open, scoped, scoped_each_sql, tenants};

    /// Each member's place in a row holds what its kind says, and reads back as that kind.
    #[test]
    fn slots_and_cells_follow_the_member_kinds() {
        let mut row = Row::event("acme", "a", "info");
        for m in Member::ALL {
            let slot_kind = match row.slot(m) {
                Slot::Integer(_) => Kind::Integer,
                Slot::Text(_) => Kind::Text,
                Slot::OptionalText(_) => Kind::OptionalText,
                Slot::Object(_) => Kind::Object,
                Slot::OptionalObject(_) => Kind::OptionalObject,
            };
            assert_eq!(slot_kind, m.kind(), "{}", m.name());
        }
        // Null only where the kind allows it.
        for m in Member::ALL {
            let fits = matches!(
                (row.cell(m), m.kind()),
                (Cell::Integer(_), Kind::Integer)
                    | (Cell::Text(_), Kind::Text | Kind::OptionalText)
                    | (Cell::Object(_), Kind::Object | Kind::OptionalObject)
                    | (Cell::Null, Kind::OptionalText | Kind::OptionalObject)
            );
            assert!(fits, "{}: {:?}", m.name(), row.cell(m));
        }
    }

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
