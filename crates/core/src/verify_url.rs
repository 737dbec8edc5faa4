//! Verification URLs (AEF/1 section 7).
//!
//! `<origin>/audit/verify?tenant_id=..&hash=<fingerprint>[&<filter>=..]...`, form-url-encoded,
//! unset filters left out. [`VerifyUrl::parse`] never drops what it does not understand: unknown
//! parameters, repeated parameters, a wrong path or a malformed hash are kept as `problems`, so
//! a report can say so instead of verifying something other than what the URL says.

use serde::{Deserialize, Serialize};

use crate::record::parse_hex;
use crate::scope::{Scope, ScopeError, ScopeParams, FILTER_KEYS};

/// A parsed verification URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyUrl {
    /// Scheme, host and port, e.g. `https://erp.example.com`.
    pub origin: String,
    /// The `hash` parameter as given (`None` when absent).
    pub hash: Option<String>,
    /// Scope parameters as given.
    pub params: ScopeParams,
    /// Parameters that are not part of AEF/1 (reported, not ignored).
    pub unknown: Vec<(String, String)>,
    /// Everything else that is wrong with the URL, in words.
    pub problems: Vec<String>,
}

/// A URL that could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a verification URL: {0}")]
pub struct UrlError(pub String);

impl VerifyUrl {
    /// Parses a verification URL, keeping whatever is wrong with it in
    /// [`VerifyUrl::problems`] and [`VerifyUrl::unknown`]; fails only when the text is not an
    /// http(s) URL at all.
    pub fn parse(text: &str) -> Result<VerifyUrl, UrlError> {
        let u = url::Url::parse(text.trim()).map_err(|e| UrlError(format!("{e} in {text:?}")))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(UrlError(format!(
                "scheme {:?} is not http or https",
                u.scheme()
            )));
        }
        let origin = u.origin().ascii_serialization();
        let mut v = VerifyUrl {
            origin,
            hash: None,
            params: ScopeParams::default(),
            unknown: Vec::new(),
            problems: Vec::new(),
        };
        if !u.path().ends_with("/audit/verify") {
            v.problems
                .push(format!("path is {:?}, not /audit/verify", u.path()));
        }
        let mut seen: Vec<String> = Vec::new();
        for (k, val) in u.query_pairs() {
            let (k, val) = (k.into_owned(), val.into_owned());
            if seen.contains(&k) {
                v.problems
                    .push(format!("parameter {k} is given more than once"));
                continue;
            }
            seen.push(k.clone());
            if k == "hash" {
                if parse_hex(&val).is_none() {
                    v.problems
                        .push(format!("hash {val:?} is not 64 lowercase hex digits"));
                }
                v.hash = Some(val);
            } else if !v.params.set(&k, Some(val.clone())) {
                v.unknown.push((k, val));
            }
        }
        if v.hash.is_none() {
            v.problems.push("parameter hash is missing".into());
        }
        Ok(v)
    }

    /// The canonical scope the URL names.
    pub fn scope(&self) -> Result<Scope, ScopeError> {
        Scope::normalize(&self.params)
    }

    /// Builds the verification URL for `scope` and `hash` at `origin` (no trailing slash).
    pub fn build(origin: &str, scope: &Scope, hash: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("tenant_id", &scope.tenant_id);
        q.append_pair("hash", hash);
        for (k, v) in scope.filters() {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        format!(
            "{}/audit/verify?{}",
            origin.trim_end_matches('/'),
            q.finish()
        )
    }

    /// The query parameters of the scope part, for the API (`tenant_id` first, then filters).
    pub fn scope_query(scope: &Scope) -> Vec<(&'static str, String)> {
        let mut out = vec![("tenant_id", scope.tenant_id.clone())];
        for (k, v) in scope.filters() {
            if let Some(v) = v {
                out.push((k, v.to_string()));
            }
        }
        debug_assert!(out.iter().skip(1).all(|(k, _)| FILTER_KEYS.contains(k)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rebuilds_the_vector_url() {
        let text = "https://erp.example.com/audit/verify?tenant_id=acme&hash=dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc&severity=critical";
        let v = VerifyUrl::parse(text).unwrap();
        assert_eq!(v.origin, "https://erp.example.com");
        assert!(v.problems.is_empty() && v.unknown.is_empty());
        let scope = v.scope().unwrap();
        assert_eq!(scope.severity.as_deref(), Some("critical"));
        assert_eq!(
            VerifyUrl::build(&v.origin, &scope, v.hash.as_deref().unwrap()),
            text
        );
    }

    #[test]
    fn unknown_and_repeated_parameters_are_reported() {
        let v =
            VerifyUrl::parse("http://h:8080/audit/verify?tenant_id=a%20b&hash=xyz&q=x&tenant_id=c")
                .unwrap();
        assert_eq!(v.origin, "http://h:8080");
        assert_eq!(v.params.tenant_id.as_deref(), Some("a b"));
        assert_eq!(v.unknown, vec![("q".to_string(), "x".to_string())]);
        assert_eq!(
            v.problems,
            vec![
                "hash \"xyz\" is not 64 lowercase hex digits".to_string(),
                "parameter tenant_id is given more than once".to_string()
            ]
        );
    }
}
