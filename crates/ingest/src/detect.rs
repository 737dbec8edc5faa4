//! Detection of an evidence file's kind by its content, never by its name.
//!
//! Invariants: only the first bytes are examined (a few KiB; for a pretty-printed JSON
//! document whose `format` member is not near the start, the document is scanned with a
//! streaming parser that keeps nothing); the rules are ordered from the most specific magic
//! (`%PDF-`, `SQLite format 3\0`) to the loosest (a CSV header); content that matches no rule is
//! [`IngestError::Unrecognised`] with a message saying what was seen.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::csv::CsvSource;
use crate::hashing::ReadMode;
use crate::jsonl::{read_line, JsonlSource};
use crate::sql::{Dialect, SqlDumpSource};
use crate::sqlite::SqliteSource;
use crate::{IngestError, InputKind, RecordSource};

/// Bytes examined for text markers.
const HEAD: usize = 16 * 1024;
/// Longest first line read to decide between JSON Lines and a JSON document.
const FIRST_LINE_MAX: usize = 8 * 1024 * 1024;

fn io_err(path: &Path, source: std::io::Error) -> IngestError {
    IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Detects the kind of evidence in `path` from its content.
pub fn sniff(path: &Path) -> Result<InputKind, IngestError> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut head = Vec::with_capacity(HEAD);
    (&mut f)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| io_err(path, e))?;
    if head.is_empty() {
        return Err(IngestError::Unrecognised {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
        });
    }
    if find(&head[..head.len().min(1024 + 5)], b"%PDF-").is_some_and(|i| i <= 1024) {
        return Ok(InputKind::ExportPdf);
    }
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(InputKind::Sqlite);
    }
    if let Some(message) = packed(&head) {
        return Err(IngestError::Unrecognised {
            path: path.to_path_buf(),
            message,
        });
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let lead = body.iter().position(|b| !b.is_ascii_whitespace());
    if lead.is_some_and(|i| body[i] == b'{') {
        if trailproof_core::checkpoint::Checkpoint::sniff(body) {
            return Ok(InputKind::Checkpoint);
        }
        return sniff_json(path);
    }
    if let Some(off) = head.iter().position(|&b| b == 0) {
        return Err(IngestError::Unrecognised {
            path: path.to_path_buf(),
            message: format!(
                "binary content (a NUL byte at byte offset {off}) that is neither a PDF nor a SQLite database"
            ),
        });
    }
    let text = String::from_utf8_lossy(body);
    if is_pg(&text) {
        return Ok(InputKind::PgDump);
    }
    if is_sqlite_sql(&text) {
        return Ok(InputKind::SqliteSql);
    }
    if is_csv_header(body) {
        return Ok(InputKind::Csv);
    }
    let first: String = text.lines().next().unwrap_or("").chars().take(60).collect();
    Err(IngestError::Unrecognised {
        path: path.to_path_buf(),
        message: format!(
            "the content starts with {first:?}: not a PDF, SQLite database, JSON export, JSON \
             Lines, SQL dump (sqlite3 .dump or pg_dump) or CSV with a header naming at least \
             seq, tenant_id and hash"
        ),
    })
}

/// Evidence often arrives packed: a pg_dump archive or a compressed file. Reading it would mean
/// unpacking it, and the bytes verified would no longer be the bytes received, so say what it
/// is and how to unpack a copy (the report then records the unpacked file's SHA-256; keep the
/// received file's beside it).
fn packed(head: &[u8]) -> Option<String> {
    let unpack = |what: &str, how: &str| {
        format!("{what}; trailproof reads the plain evidence inside it, not the package: unpack a copy ({how}) and verify that")
    };
    // bzip2: "BZh", the block size digit, then the first block's magic.
    let bzip2 = head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && &head[4..10] == b"1AY&SY";
    if bzip2 {
        return Some(unpack("bzip2-compressed", "bunzip2 -k FILE"));
    }
    let kinds: [(&[u8], &str, &str); 6] = [
        (
            b"PGDMP",
            "a pg_dump archive (custom format, pg_dump -Fc)",
            "pg_restore -f audit.sql FILE writes its plain-text dump; it needs no database",
        ),
        (b"\x1f\x8b", "gzip-compressed", "gunzip -k FILE"),
        (b"\x28\xb5\x2f\xfd", "zstd-compressed", "zstd -d FILE"),
        (b"\xfd7zXZ\x00", "xz-compressed", "xz -dk FILE"),
        (b"PK\x03\x04", "a ZIP archive", "unzip FILE"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "7z x FILE"),
    ];
    kinds
        .iter()
        .find(|(magic, ..)| head.starts_with(magic))
        .map(|(_, what, how)| unpack(what, how))
        .or_else(|| {
            // A tar archive names "ustar" at byte offset 257.
            (head.get(257..262) == Some(b"ustar")).then(|| unpack("a tar archive", "tar -xf FILE"))
        })
}

fn is_pg(text: &str) -> bool {
    if text.contains("PostgreSQL database dump") || text.contains("pg_catalog") {
        return true;
    }
    text.lines().any(|l| {
        let l = l.trim_start();
        (l.starts_with("COPY ") && l.trim_end().ends_with("FROM stdin;"))
            || l.starts_with("SET ")
            || l.starts_with("\\restrict ")
            || l.starts_with("\\connect ")
    })
}

fn is_sqlite_sql(text: &str) -> bool {
    if text.contains("PRAGMA foreign_keys") || text.contains("BEGIN TRANSACTION;") {
        return true;
    }
    let upper = text.to_ascii_uppercase();
    if upper.contains("CREATE TABLE") && upper.contains("INSERT INTO") {
        return true;
    }
    // A data-only dump: the first statement is an INSERT.
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .is_some_and(|l| l.to_ascii_uppercase().starts_with("INSERT INTO"))
}

fn is_csv_header(body: &[u8]) -> bool {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut rec = csv::StringRecord::new();
    match r.read_record(&mut rec) {
        Ok(true) => {
            let has = |n: &str| rec.iter().any(|f| f.trim() == n);
            has("seq") && has("tenant_id") && has("hash")
        }
        _ => false,
    }
}

/// The `format` member of a JSON object, read by a streaming parse that keeps nothing else.
struct ProbeFormat(Option<String>);

impl<'de> serde::Deserialize<'de> for ProbeFormat {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ProbeFormat;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<ProbeFormat, A::Error> {
                let mut format = None;
                while let Some(k) = m.next_key::<String>()? {
                    if k == "format" && format.is_none() {
                        let v: serde_json::Value = m.next_value()?;
                        format = Some(match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        });
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(ProbeFormat(format))
            }
        }
        d.deserialize_map(V)
    }
}

/// The content starts with `{`: one JSON object per line (JSON Lines), or one JSON document.
fn sniff_json(path: &Path) -> Result<InputKind, IngestError> {
    let f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut r = BufReader::new(f);
    let mut line = Vec::new();
    // Skip blank lines before the first content line.
    loop {
        let more = read_line(&mut r, &mut line, FIRST_LINE_MAX).map_err(|e| io_err(path, e))?;
        let l = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
        if !more || !l.trim_ascii().is_empty() {
            break;
        }
    }
    let l = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(l) {
        if m.get("format").and_then(|v| v.as_str()) == Some("audit-export/1") {
            return Ok(InputKind::ExportJson);
        }
        return Ok(InputKind::Jsonl);
    }
    // A first line that is one broken object is still JSON Lines (the core reports the line).
    let t = l.trim_ascii();
    if t.len() > 1 && t.starts_with(b"{") && t.ends_with(b"}") {
        return Ok(InputKind::Jsonl);
    }
    // Not a one-line object: a JSON document over many lines. Look for its format member.
    let f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut r = BufReader::new(f);
    let buf = r.fill_buf().map_err(|e| io_err(path, e))?;
    let skip = if buf.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    r.consume(skip);
    let mut de = serde_json::Deserializer::from_reader(r);
    match <ProbeFormat as serde::Deserialize>::deserialize(&mut de) {
        Ok(p) if p.0.as_deref() == Some("audit-export/1") => Ok(InputKind::ExportJson),
        Ok(p) => Err(IngestError::Unrecognised {
            path: path.to_path_buf(),
            message: match p.0 {
                Some(f) => format!("a JSON document with format {f:?}, not \"audit-export/1\""),
                None => "a JSON document without a \"format\" member; an export payload has \
                         \"format\": \"audit-export/1\", JSON Lines has one object per line"
                    .into(),
            },
        }),
        Err(e) => Err(IngestError::Unrecognised {
            path: path.to_path_buf(),
            message: format!(
                "starts like JSON but is neither JSON Lines (line 1 is not a complete object) \
                 nor a JSON document ({e})"
            ),
        }),
    }
}

/// Opens a streaming record source for one of the dump kinds, hashing every byte it reads.
pub fn open_records(path: &Path, kind: InputKind) -> Result<Box<dyn RecordSource>, IngestError> {
    open_records_mode(path, kind, ReadMode::Verify)
}

/// [`open_records`] in `mode`: [`ReadMode::LookUp`] reads the same records from the same bytes
/// without hashing them, for looking a record up again in a file already verified.
pub fn open_records_mode(
    path: &Path,
    kind: InputKind,
    mode: ReadMode,
) -> Result<Box<dyn RecordSource>, IngestError> {
    Ok(match kind {
        InputKind::Jsonl => Box::new(JsonlSource::open_mode(path, mode)?),
        InputKind::Csv => Box::new(CsvSource::open_mode(path, mode)?),
        InputKind::Sqlite => Box::new(SqliteSource::open_mode(path, mode)?),
        InputKind::SqliteSql => Box::new(SqlDumpSource::open_mode(path, Dialect::Sqlite, mode)?),
        InputKind::PgDump => Box::new(SqlDumpSource::open_mode(path, Dialect::Postgres, mode)?),
        InputKind::ExportJson | InputKind::ExportPdf | InputKind::Checkpoint => {
            return Err(IngestError::Unrecognised {
                path: path.to_path_buf(),
                message: format!(
                    "{} is an export, not a database dump; it is read by the export reader",
                    kind.as_str()
                ),
            })
        }
    })
}
