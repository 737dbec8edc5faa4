//! Scopes (AEF/1 section 4): the filter context of an export or a verification.
//!
//! [`Scope::normalize`] turns loose parameters (from a URL, a CLI, an API call) into the
//! canonical scope, with the spec's errors; [`Scope::matches`] decides whether a record is in
//! scope; [`Scope::to_value`] gives the canonical object that the fingerprint hashes.
//! Invariant: a `Scope` value is always normalized (times `HH:MM:SS`, dates valid, empty strings
//! unset, time bounds only with their date).

use serde::{Deserialize, Serialize};

use crate::json::Value;

/// The filter members in the order the spec lists them (also the order of the `Filters:`
/// summary and of URL parameters).
pub const FILTER_KEYS: [&str; 8] = [
    "severity",
    "event",
    "actor",
    "resource_type",
    "date_from",
    "date_to",
    "time_from",
    "time_to",
];

/// A canonical scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// The tenant (always set).
    pub tenant_id: String,
    /// Records of this `severity` only.
    pub severity: Option<String>,
    /// Records of this `action` only.
    pub event: Option<String>,
    /// Records of this `actor_user_id` only.
    pub actor: Option<String>,
    /// Records of this `resource_type` only.
    pub resource_type: Option<String>,
    /// First UTC date in scope, `YYYY-MM-DD` (inclusive).
    pub date_from: Option<String>,
    /// Last UTC date in scope, `YYYY-MM-DD` (inclusive).
    pub date_to: Option<String>,
    /// Time of day on `date_from` from which records are in scope, `HH:MM:SS`.
    pub time_from: Option<String>,
    /// Time of day on `date_to` up to which records are in scope, `HH:MM:SS`.
    pub time_to: Option<String>,
}

/// Loose scope parameters as given by a user or a URL; `None` and `""` both mean unset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeParams {
    /// The tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The `severity` filter.
    #[serde(default)]
    pub severity: Option<String>,
    /// The `event` filter (a record's `action`).
    #[serde(default)]
    pub event: Option<String>,
    /// The `actor` filter (a record's `actor_user_id`).
    #[serde(default)]
    pub actor: Option<String>,
    /// The `resource_type` filter.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The first date, as given.
    #[serde(default)]
    pub date_from: Option<String>,
    /// The last date, as given.
    #[serde(default)]
    pub date_to: Option<String>,
    /// The time on the first date, as given (`HH:MM` or `HH:MM:SS`).
    #[serde(default)]
    pub time_from: Option<String>,
    /// The time on the last date, as given (`HH:MM` or `HH:MM:SS`).
    #[serde(default)]
    pub time_to: Option<String>,
}

impl ScopeParams {
    /// Sets a parameter by its name; returns false for a name that is not a scope member.
    pub fn set(&mut self, key: &str, value: Option<String>) -> bool {
        let slot = match key {
            "tenant_id" => &mut self.tenant_id,
            "severity" => &mut self.severity,
            "event" => &mut self.event,
            "actor" => &mut self.actor,
            "resource_type" => &mut self.resource_type,
            "date_from" => &mut self.date_from,
            "date_to" => &mut self.date_to,
            "time_from" => &mut self.time_from,
            "time_to" => &mut self.time_to,
            _ => return false,
        };
        *slot = value;
        true
    }
}

/// A scope parameter the spec refuses; the message is the spec's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScopeError(pub String);

fn unset_empty(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.is_empty()).cloned()
}

fn check_date(key: &str, v: &Option<String>) -> Result<(), ScopeError> {
    if let Some(d) = v {
        let ok = d.len() == 10
            && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()
            && d.as_bytes()[4] == b'-';
        if !ok {
            return Err(ScopeError(format!("{key} must be YYYY-MM-DD, not {d:?}")));
        }
    }
    Ok(())
}

fn norm_time(
    key: &str,
    v: Option<String>,
    seconds_if_short: &str,
) -> Result<Option<String>, ScopeError> {
    let Some(t) = v else { return Ok(None) };
    let full = match t.len() {
        5 => format!("{t}:{seconds_if_short}"),
        8 => t.clone(),
        _ => String::new(),
    };
    let ok = full.len() == 8
        && full.as_bytes()[2] == b':'
        && full.as_bytes()[5] == b':'
        && chrono::NaiveTime::parse_from_str(&full, "%H:%M:%S").is_ok();
    if ok {
        Ok(Some(full))
    } else {
        Err(ScopeError(format!(
            "{key} must be HH:MM or HH:MM:SS, not {t:?}"
        )))
    }
}

impl Scope {
    /// Normalizes parameters into the canonical scope (section 4).
    pub fn normalize(p: &ScopeParams) -> Result<Scope, ScopeError> {
        let tenant_id =
            unset_empty(&p.tenant_id).ok_or_else(|| ScopeError("tenant_id is required".into()))?;
        let date_from = unset_empty(&p.date_from);
        let date_to = unset_empty(&p.date_to);
        check_date("date_from", &date_from)?;
        check_date("date_to", &date_to)?;
        let time_from = norm_time("time_from", unset_empty(&p.time_from), "00")?;
        let time_to = norm_time("time_to", unset_empty(&p.time_to), "59")?;
        if time_from.is_some() && date_from.is_none() {
            return Err(ScopeError("time_from needs date_from".into()));
        }
        if time_to.is_some() && date_to.is_none() {
            return Err(ScopeError("time_to needs date_to".into()));
        }
        Ok(Scope {
            tenant_id,
            severity: unset_empty(&p.severity),
            event: unset_empty(&p.event),
            actor: unset_empty(&p.actor),
            resource_type: unset_empty(&p.resource_type),
            date_from,
            date_to,
            time_from,
            time_to,
        })
    }

    /// A scope of a whole tenant (no filters).
    pub fn tenant(tenant_id: &str) -> Scope {
        Scope {
            tenant_id: tenant_id.to_string(),
            severity: None,
            event: None,
            actor: None,
            resource_type: None,
            date_from: None,
            date_to: None,
            time_from: None,
            time_to: None,
        }
    }

    /// Reads a canonical scope object (as found in an export payload). Anything that is not
    /// already canonical is an error naming the member.
    pub fn from_value(v: &Value) -> Result<Scope, ScopeError> {
        let Value::Object(_) = v else {
            return Err(ScopeError(format!(
                "scope is {}, not an object",
                v.type_name()
            )));
        };
        let mut p = ScopeParams::default();
        let mut keys = vec!["tenant_id"];
        keys.extend(FILTER_KEYS);
        for k in keys {
            match v.get(k) {
                Some(Value::String(s)) => {
                    p.set(k, Some(s.clone()));
                }
                Some(Value::Null) => {}
                Some(other) => {
                    return Err(ScopeError(format!(
                        "scope member {k} is {}, not a string or null",
                        other.type_name()
                    )))
                }
                None => return Err(ScopeError(format!("scope member {k} is missing"))),
            }
        }
        if let Value::Object(m) = v {
            if let Some((k, _)) = m
                .iter()
                .find(|(k, _)| k != "tenant_id" && !FILTER_KEYS.contains(&k.as_str()))
            {
                return Err(ScopeError(format!("scope has an unknown member {k:?}")));
            }
        }
        let s = Scope::normalize(&p)?;
        if s.to_value() != *v {
            return Err(ScopeError(
                "scope is not in canonical form (empty string or short time where the canonical form has null or HH:MM:SS)".into(),
            ));
        }
        Ok(s)
    }

    /// The filter values in [`FILTER_KEYS`] order.
    pub fn filters(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("severity", self.severity.as_deref()),
            ("event", self.event.as_deref()),
            ("actor", self.actor.as_deref()),
            ("resource_type", self.resource_type.as_deref()),
            ("date_from", self.date_from.as_deref()),
            ("date_to", self.date_to.as_deref()),
            ("time_from", self.time_from.as_deref()),
            ("time_to", self.time_to.as_deref()),
        ]
    }

    /// The canonical scope object (all nine members, `null` where unset).
    pub fn to_value(&self) -> Value {
        let s = |o: &Option<String>| o.clone().map(Value::String).unwrap_or(Value::Null);
        let mut m = vec![(
            "tenant_id".to_string(),
            Value::String(self.tenant_id.clone()),
        )];
        for (k, v) in [
            ("severity", &self.severity),
            ("event", &self.event),
            ("actor", &self.actor),
            ("resource_type", &self.resource_type),
            ("date_from", &self.date_from),
            ("date_to", &self.date_to),
            ("time_from", &self.time_from),
            ("time_to", &self.time_to),
        ] {
            m.push((k.to_string(), s(v)));
        }
        Value::object(m).expect("scope member names are unique")
    }

    /// Lower bound (inclusive), a canonical timestamp, if `date_from` is set.
    pub fn lower(&self) -> Option<String> {
        self.date_from.as_ref().map(|d| {
            format!(
                "{d}T{}.000000000Z",
                self.time_from.as_deref().unwrap_or("00:00:00")
            )
        })
    }

    /// Upper bound (inclusive), a canonical timestamp, if `date_to` is set.
    pub fn upper(&self) -> Option<String> {
        self.date_to.as_ref().map(|d| {
            format!(
                "{d}T{}.999999999Z",
                self.time_to.as_deref().unwrap_or("23:59:59")
            )
        })
    }

    /// Whether a canonical record is in scope. Returns the first member that does not match.
    pub fn mismatch(&self, record: &Value) -> Option<&'static str> {
        let str_of = |k: &str| record.get(k).and_then(Value::as_str);
        if str_of("tenant_id") != Some(self.tenant_id.as_str()) {
            return Some("tenant_id");
        }
        for (filter, member, want) in [
            ("severity", "severity", &self.severity),
            ("event", "action", &self.event),
            ("actor", "actor_user_id", &self.actor),
            ("resource_type", "resource_type", &self.resource_type),
        ] {
            if let Some(w) = want {
                if str_of(member) != Some(w.as_str()) {
                    return Some(filter);
                }
            }
        }
        let ts = str_of("timestamp").unwrap_or("");
        if let Some(lo) = self.lower() {
            if ts < lo.as_str() {
                return Some("date_from");
            }
        }
        if let Some(hi) = self.upper() {
            if ts > hi.as_str() {
                return Some("date_to");
            }
        }
        None
    }

    /// Whether a canonical record (timestamp already canonical) is in scope.
    pub fn matches(&self, record: &Value) -> bool {
        self.mismatch(record).is_none()
    }

    /// The `Filters:` summary of an export PDF: `key=value` pairs joined by `; `, or `none`.
    pub fn summary(&self, legacy: Option<(&str, &str)>) -> String {
        let mut parts: Vec<String> = self
            .filters()
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
            .collect();
        if let Some((q, field)) = legacy {
            parts.push(format!("q={q}"));
            parts.push(format!("field={field}"));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join("; ")
        }
    }
}
