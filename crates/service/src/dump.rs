//! `dump`: the store in every form of SPEC section 8, written as the tools write them.
//!
//! * `sqlite`: a database file (`VACUUM INTO`);
//! * `sqlite-sql`: `sqlite3 .dump` text (table, `INSERT INTO audit_log VALUES(...)` in rowid
//!   order, triggers, `COMMIT;`), strings with newlines as `replace('..\n..','\n',char(10))`;
//! * `pg-copy` / `pg-inserts`: `pg_dump` (15) plain text for the PostgreSQL form of the table
//!   (`uuid`, `timestamptz`, `inet`, `jsonb`, `character(64)`), as `COPY ... FROM stdin` in COPY
//!   text format or as `--inserts` statements; `timestamptz` as PostgreSQL prints it
//!   (`2026-05-02 12:02:12.304881+00`: microseconds, trailing zeros dropped), `jsonb` with
//!   its key order (shorter keys first) and `", "`/`": "` separators;
//! * `jsonl`: one record per line (`json.dumps` separators);
//! * `csv`: RFC 4180 with a header row, CRLF line ends, empty field for NULL.
//!
//! PostgreSQL keeps microseconds only: a record whose timestamp has nanoseconds no longer
//! hashes to its `hash` once it went through PostgreSQL. [`dump`] returns how many records
//! lost precision so that the command can warn.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};
use rusqlite::Connection;

use crate::member::{Kind, Member, COLUMNS, COUNT};
use crate::row::{Cell, Row};
use crate::store;

/// Writes the store in `format` to `out`; returns (rows written, rows whose timestamp lost
/// sub-microsecond precision).
pub fn dump(conn: &Connection, format: &str, out: &Path) -> Result<(usize, usize)> {
    if format == "sqlite" {
        if out.exists() {
            std::fs::remove_file(out)?;
        }
        conn.execute("VACUUM INTO ?1", [out.to_string_lossy()])?;
        let n: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
        return Ok((n as usize, 0));
    }
    let rows = store::all_rows(conn)?;
    let mut lossy = 0;
    let text = match format {
        "sqlite-sql" => sqlite_sql(conn, &rows)?,
        "pg-copy" | "pg-inserts" => {
            lossy = rows
                .iter()
                .filter(|r| !r.timestamp.ends_with("000Z"))
                .count();
            pg_dump(&rows, format == "pg-copy")?
        }
        "jsonl" => rows.iter().map(|r| r.to_j().python() + "\n").collect(),
        "csv" => csv(&rows),
        other => {
            bail!("unknown format {other:?} (sqlite, sqlite-sql, pg-copy, pg-inserts, jsonl, csv)")
        }
    };
    std::fs::write(out, text)?;
    Ok((rows.len(), lossy))
}

/// The column values of a row as stored in SQLite (None = NULL; seq as an integer), in
/// [`Member::ALL`] order.
fn texts(r: &Row) -> [Option<String>; COUNT] {
    Member::ALL.map(|m| sqlite_text(r.cell(m)))
}

/// A member's value as SQLite stores it (None = NULL).
fn sqlite_text(cell: Cell) -> Option<String> {
    match cell {
        Cell::Integer(n) => Some(n.to_string()),
        Cell::Text(s) => Some(s.to_string()),
        Cell::Null => None,
        Cell::Object(j) => Some(j.python()),
    }
}

/// Whether a dump writes the member's value bare (an integer), not as a string literal.
fn is_bare(m: Member) -> bool {
    m.kind() == Kind::Integer
}

/// A string literal as the sqlite3 shell's `.dump` writes it.
fn sqlite_literal(s: &str, out: &mut String) {
    let unused = |base: &str, alt: &str| -> String {
        if !s.contains(base) {
            base.to_string()
        } else if !s.contains(alt) {
            alt.to_string()
        } else {
            (0..)
                .map(|i| format!("{base}{i}"))
                .find(|c| !s.contains(c.as_str()))
                .unwrap_or_default()
        }
    };
    let nl = s.contains('\n').then(|| unused("\\n", "\\012"));
    let cr = s.contains('\r').then(|| unused("\\r", "\\015"));
    if nl.is_some() {
        out.push_str("replace(");
    }
    if cr.is_some() {
        out.push_str("replace(");
    }
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\n' => out.push_str(nl.as_deref().unwrap_or("\n")),
            '\r' => out.push_str(cr.as_deref().unwrap_or("\r")),
            c => out.push(c),
        }
    }
    out.push('\'');
    if let Some(cr) = cr {
        let _ = write!(out, ",'{cr}',char(13))");
    }
    if let Some(nl) = nl {
        let _ = write!(out, ",'{nl}',char(10))");
    }
}

fn sqlite_sql(conn: &Connection, rows: &[Row]) -> Result<String> {
    let mut out = String::from("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    let table: String = conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type='table' AND name='audit_log'",
        [],
        |r| r.get(0),
    )?;
    out.push_str(&table);
    out.push_str(";\n");
    for r in rows {
        out.push_str("INSERT INTO audit_log VALUES(");
        for (i, (m, v)) in Member::ALL.into_iter().zip(texts(r)).enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                None => out.push_str("NULL"),
                Some(n) if is_bare(m) => out.push_str(&n),
                Some(s) => sqlite_literal(&s, &mut out),
            }
        }
        out.push_str(");\n");
    }
    let mut st = conn.prepare(
        "SELECT sql FROM sqlite_master WHERE sql NOT NULL AND type IN ('index','trigger','view') ORDER BY rowid",
    )?;
    for sql in st.query_map([], |r| r.get::<_, String>(0))? {
        out.push_str(&sql?);
        out.push_str(";\n");
    }
    out.push_str("COMMIT;\n");
    Ok(out)
}

/// A canonical timestamp as PostgreSQL prints a `timestamptz` (session time zone UTC):
/// rounded to microseconds, trailing fraction zeros dropped, `+00`.
pub fn pg_timestamptz(ts: &str) -> Result<String> {
    let nanos = trailproof_core::time::normalize(ts)?.nanos;
    let rem = nanos.rem_euclid(1000);
    let mut micros = nanos.div_euclid(1000);
    // PostgreSQL rounds the fraction to the nearest microsecond (rint: ties to even).
    if rem > 500 || (rem == 500 && micros % 2 != 0) {
        micros += 1;
    }
    let dt = chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| anyhow::anyhow!("timestamp {ts} out of range"))?;
    let mut s = dt.format("%Y-%m-%d %H:%M:%S").to_string();
    let frac = micros.rem_euclid(1_000_000);
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push_str("+00");
    Ok(s)
}

/// A value in COPY text format.
fn copy_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c => out.push(c),
        }
    }
}

/// The PostgreSQL renderings of a row (timestamptz and jsonb converted), in [`Member::ALL`]
/// order.
fn pg_values(r: &Row) -> Result<Vec<Option<String>>> {
    Member::ALL
        .iter()
        .map(|&m| {
            Ok(match (m, r.cell(m)) {
                (Member::Timestamp, Cell::Text(ts)) => Some(pg_timestamptz(ts)?),
                (_, Cell::Object(j)) => Some(j.jsonb()),
                (_, cell) => sqlite_text(cell),
            })
        })
        .collect()
}

/// A column's name as `pg_dump` writes it: quoted when it is a reserved word (`timestamp`).
fn pg_name(m: Member) -> String {
    match m {
        Member::Timestamp => format!("\"{}\"", m.name()),
        _ => m.name().to_string(),
    }
}

/// A column's type in the PostgreSQL form of the table (SPEC section 8).
fn pg_type(m: Member) -> &'static str {
    match m {
        Member::Seq => "bigint",
        Member::EventId => "uuid",
        Member::Timestamp => "timestamp with time zone",
        Member::ActorIp => "inet",
        Member::Changes | Member::Metadata => "jsonb",
        Member::PrevHash | Member::Hash => "character(64)",
        _ => "text",
    }
}

/// The columns of the PostgreSQL table as `pg_dump` declares them.
fn pg_table_columns() -> String {
    let columns: Vec<String> = Member::ALL
        .iter()
        .map(|&m| {
            let not_null = if m.kind().not_null() { " NOT NULL" } else { "" };
            format!("    {} {}{not_null}", pg_name(m), pg_type(m))
        })
        .collect();
    columns.join(",\n")
}

const PG_HEAD: &str = "--
-- PostgreSQL database dump
--

\\restrict @KEY@

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: audit_log_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
@COLUMNS@
);


--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: -
--

";

const PG_TAIL: &str = "--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, seq);


--
-- Name: audit_log audit_log_no_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_update BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_append_only();


--
-- PostgreSQL database dump complete
--

\\unrestrict @KEY@

";

fn pg_dump(rows: &[Row], copy: bool) -> Result<String> {
    let mut body = String::new();
    if copy {
        let names: Vec<String> = Member::ALL.into_iter().map(pg_name).collect();
        let _ = writeln!(
            body,
            "COPY public.audit_log ({}) FROM stdin;",
            names.join(", ")
        );
        for r in rows {
            for (i, v) in pg_values(r)?.iter().enumerate() {
                if i > 0 {
                    body.push('\t');
                }
                match v {
                    None => body.push_str("\\N"),
                    Some(s) => copy_text(s, &mut body),
                }
            }
            body.push('\n');
        }
        body.push_str("\\.\n\n\n");
    } else {
        for r in rows {
            body.push_str("INSERT INTO public.audit_log VALUES (");
            for (i, (m, v)) in Member::ALL.into_iter().zip(pg_values(r)?).enumerate() {
                if i > 0 {
                    body.push_str(", ");
                }
                match v {
                    None => body.push_str("NULL"),
                    Some(n) if is_bare(m) => body.push_str(&n),
                    Some(s) => {
                        body.push('\'');
                        body.push_str(&s.replace('\'', "''"));
                        body.push('\'');
                    }
                }
            }
            body.push_str(");\n");
        }
        body.push_str("\n\n");
    }
    // pg_dump's \restrict key is random; ours is derived from the content (deterministic).
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let d = trailproof_core::record::sha256(body.as_bytes());
    let d2 = trailproof_core::record::sha256(&d);
    let key: String = d
        .iter()
        .chain(d2.iter())
        .take(63)
        .map(|b| ALNUM[*b as usize % ALNUM.len()] as char)
        .collect();
    let head = PG_HEAD
        .replace("@KEY@", &key)
        .replace("@COLUMNS@", &pg_table_columns());
    Ok(head + &body + &PG_TAIL.replace("@KEY@", &key))
}

fn csv(rows: &[Row]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for r in rows {
        for (i, v) in texts(r).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if let Some(s) = v {
                if s.contains([',', '"', '\n', '\r']) {
                    out.push('"');
                    out.push_str(&s.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(s);
                }
            }
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamptz_rounds_to_microseconds() {
        assert_eq!(
            pg_timestamptz("2026-05-02T12:02:12.304881000Z").unwrap(),
            "2026-05-02 12:02:12.304881+00"
        );
        assert_eq!(
            pg_timestamptz("2026-04-30T13:41:23.120000000Z").unwrap(),
            "2026-04-30 13:41:23.12+00"
        );
        assert_eq!(
            pg_timestamptz("2026-04-30T13:41:23.999999700Z").unwrap(),
            "2026-04-30 13:41:24+00"
        );
        assert_eq!(
            pg_timestamptz("2026-04-30T13:41:23.000000000Z").unwrap(),
            "2026-04-30 13:41:23+00"
        );
    }

    #[test]
    fn sqlite_literals_like_the_shell() {
        let mut s = String::new();
        sqlite_literal("O'Neil\nline2", &mut s);
        assert_eq!(s, "replace('O''Neil\\nline2','\\n',char(10))");
    }
}
