//! Exports (SPEC sections 5 and 6): the `audit-export/1` payload, and the PDF around it.

use anyhow::{bail, Result};
use rusqlite::Connection;
use trailproof_core::fingerprint::fingerprint;
use trailproof_core::scope::Scope;
use trailproof_core::verify_url::VerifyUrl;

use crate::ojson::J;
use crate::row::Row;
use crate::store;

/// Who exports, and when (fixed values make an export reproducible).
#[derive(Debug, Clone)]
pub struct ExportMeta {
    pub origin: String,
    pub exported_at: String,
    pub user_id: String,
    pub display: String,
    /// Legacy list search (`q`, `field`): narrows the records, is not part of the scope.
    pub legacy: Option<(String, String)>,
}

/// An export, ready to be written as JSON or PDF.
#[derive(Debug, Clone)]
pub struct Export {
    pub scope: Scope,
    pub meta: ExportMeta,
    pub records: Vec<Row>,
    pub fingerprint: String,
    pub head: (i64, String),
    pub verify_url: String,
}

/// Whether a record matches the legacy search: `field`'s text contains `q` (case-insensitive).
fn legacy_match(r: &Row, q: &str, field: &str) -> Result<bool> {
    let j = r.to_j();
    let Some(v) = j.get(field) else {
        bail!("field {field:?} is not a record member")
    };
    let text = match v {
        J::Str(s) => s.clone(),
        J::Null => return Ok(false),
        other => other.compact(),
    };
    Ok(text.to_lowercase().contains(&q.to_lowercase()))
}

/// Builds the export of `scope` from the store.
pub fn build(conn: &Connection, scope: &Scope, meta: ExportMeta) -> Result<Export> {
    let Some(head) = store::head(conn, &scope.tenant_id)? else {
        bail!("unknown tenant {:?}", scope.tenant_id)
    };
    let mut records = store::scoped(conn, scope, 0, None)?;
    if let Some((q, field)) = &meta.legacy {
        let mut kept = Vec::with_capacity(records.len());
        for r in records {
            if legacy_match(&r, q, field)? {
                kept.push(r);
            }
        }
        records = kept;
    }
    let values = records
        .iter()
        .map(Row::to_value)
        .collect::<Result<Vec<_>>>()?;
    let fp = fingerprint(scope, &values);
    let verify_url = VerifyUrl::build(&meta.origin, scope, &fp);
    Ok(Export {
        scope: scope.clone(),
        meta,
        records,
        fingerprint: fp,
        head,
        verify_url,
    })
}

/// The canonical scope as an ordered object (SPEC section 4 order).
pub fn scope_j(scope: &Scope) -> J {
    let mut m = vec![("tenant_id", J::str(&scope.tenant_id))];
    for (k, v) in scope.filters() {
        m.push((k, J::opt(v)));
    }
    J::obj(m)
}

impl Export {
    /// The `audit-export/1` payload (SPEC section 6), members in the spec's order.
    pub fn payload(&self) -> J {
        J::obj(vec![
            ("format", J::str("audit-export/1")),
            ("scope", scope_j(&self.scope)),
            (
                "legacy_search",
                match &self.meta.legacy {
                    None => J::Null,
                    Some((q, f)) => J::obj(vec![("q", J::str(q)), ("field", J::str(f))]),
                },
            ),
            (
                "records",
                J::Arr(self.records.iter().map(Row::to_j).collect()),
            ),
            ("record_count", J::int(self.records.len() as i64)),
            ("fingerprint", J::str(&self.fingerprint)),
            (
                "chain_head",
                J::obj(vec![
                    ("seq", J::int(self.head.0)),
                    ("hash", J::str(&self.head.1)),
                ]),
            ),
            ("exported_at", J::str(&self.meta.exported_at)),
            (
                "exported_by",
                J::obj(vec![
                    ("user_id", J::str(&self.meta.user_id)),
                    ("display", J::str(&self.meta.display)),
                ]),
            ),
            ("verify_url", J::str(&self.verify_url)),
        ])
    }

    /// The payload as the JSON file (indent 1, final newline).
    pub fn json(&self) -> String {
        self.payload().pretty()
    }

    /// The `Filters:` summary.
    pub fn filters_summary(&self) -> String {
        self.scope.summary(
            self.meta
                .legacy
                .as_ref()
                .map(|(q, f)| (q.as_str(), f.as_str())),
        )
    }
}
