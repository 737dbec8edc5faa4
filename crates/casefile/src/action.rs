//! The examiner's actions, as they stand in the log: each has one AEF/1 `action` name, a
//! resource it acts on, and a `metadata` object that says everything needed to replay it. The
//! mapping goes both ways ([`Action::metadata`], [`Action::from_record`]) and is the only place
//! that knows it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// An evidence record an annotation is about: its tenant, its seq, and optionally the input it
/// was read from (when two inputs hold different versions of it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    /// The record's tenant.
    pub tenant_id: String,
    /// The record's seq.
    pub seq: u64,
    /// The input the annotated version was read from, if the examiner named one.
    pub source: Option<String>,
}

impl Target {
    fn json(&self) -> Value {
        json!({"tenant_id": self.tenant_id, "seq": self.seq, "source": self.source})
    }

    fn resource_id(&self) -> String {
        format!("{}/{}", self.tenant_id, self.seq)
    }
}

/// One action of the examiner.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The case was opened (`case.created`).
    CaseCreated {
        /// Case number.
        number: String,
        /// Title, if any.
        title: Option<String>,
        /// Organisation, if any.
        organisation: Option<String>,
        /// Display time zone (IANA name).
        time_zone: String,
    },
    /// An evidence file was added (`evidence.added`).
    EvidenceAdded {
        /// Path as given.
        path: String,
        /// Size in bytes.
        size: u64,
        /// SHA-256, lowercase hex.
        sha256: String,
        /// Kind of evidence (`sqlite`, `export_pdf`, ...).
        kind: String,
        /// Verdict of its verification when added.
        verdict: String,
    },
    /// A record was starred (`annotation.starred`).
    Starred(Target),
    /// A star was removed (`annotation.unstarred`).
    Unstarred(Target),
    /// A tag was put on a record (`annotation.tagged`).
    Tagged(Target, String),
    /// A tag was taken off (`annotation.untagged`).
    Untagged(Target, String),
    /// A note was written on a record (`annotation.noted`).
    Noted {
        /// The record.
        target: Target,
        /// The note's number in the case (1, 2, ...).
        note: u64,
        /// The text.
        text: String,
    },
    /// A note was rewritten (`annotation.note_edited`); the earlier text stays in the log.
    NoteEdited {
        /// The record.
        target: Target,
        /// The note's number.
        note: u64,
        /// The new text.
        text: String,
    },
    /// The examiner recorded an event learned elsewhere (`analyst_event.added`).
    AnalystEventAdded {
        /// The analyst event's number in the case (1, 2, ...).
        id: u64,
        /// When it happened, canonical UTC.
        time: String,
        /// What happened.
        text: String,
    },
    /// An analyst event was withdrawn (`analyst_event.withdrawn`).
    AnalystEventWithdrawn {
        /// The analyst event's number.
        id: u64,
    },
    /// A view (filters, sort, columns) was saved by name (`view.saved`).
    ViewSaved {
        /// The view's name.
        name: String,
        /// Its definition, as the app states it.
        view: Value,
    },
    /// A report or export was written (`report.exported`).
    ReportExported {
        /// Where, relative to the case file's folder when it can be.
        path: String,
        /// Its format (`html`, `pdf`, `json`, `timesketch`, ...).
        format: String,
        /// Size in bytes of what was written.
        size: u64,
        /// SHA-256 of what was written.
        sha256: String,
    },
}

impl Action {
    /// The AEF/1 `action` name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::CaseCreated { .. } => "case.created",
            Action::EvidenceAdded { .. } => "evidence.added",
            Action::Starred(_) => "annotation.starred",
            Action::Unstarred(_) => "annotation.unstarred",
            Action::Tagged(..) => "annotation.tagged",
            Action::Untagged(..) => "annotation.untagged",
            Action::Noted { .. } => "annotation.noted",
            Action::NoteEdited { .. } => "annotation.note_edited",
            Action::AnalystEventAdded { .. } => "analyst_event.added",
            Action::AnalystEventWithdrawn { .. } => "analyst_event.withdrawn",
            Action::ViewSaved { .. } => "view.saved",
            Action::ReportExported { .. } => "report.exported",
        }
    }

    /// (`resource_type`, `resource_id`) of the record; `case_id` names the case itself.
    pub fn resource(&self, case_id: &str) -> (&'static str, String) {
        match self {
            Action::CaseCreated { .. } => ("case", case_id.to_string()),
            Action::EvidenceAdded { sha256, .. } => ("evidence", sha256.clone()),
            Action::Starred(t) | Action::Unstarred(t) | Action::Tagged(t, _) => {
                ("audit_record", t.resource_id())
            }
            Action::Untagged(t, _) => ("audit_record", t.resource_id()),
            Action::Noted { target, .. } | Action::NoteEdited { target, .. } => {
                ("audit_record", target.resource_id())
            }
            Action::AnalystEventAdded { id, .. } | Action::AnalystEventWithdrawn { id } => {
                ("analyst_event", id.to_string())
            }
            Action::ViewSaved { name, .. } => ("view", name.clone()),
            Action::ReportExported { path, .. } => ("report", path.clone()),
        }
    }

    /// The record's `metadata`: everything needed to replay the action.
    pub fn metadata(&self) -> Value {
        match self {
            Action::CaseCreated {
                number,
                title,
                organisation,
                time_zone,
            } => json!({"number": number, "title": title, "organisation": organisation,
                        "time_zone": time_zone}),
            Action::EvidenceAdded {
                path,
                size,
                sha256,
                kind,
                verdict,
            } => json!({"path": path, "size": size, "sha256": sha256, "kind": kind,
                        "verdict": verdict}),
            Action::Starred(t) | Action::Unstarred(t) => json!({"target": t.json()}),
            Action::Tagged(t, tag) | Action::Untagged(t, tag) => {
                json!({"target": t.json(), "tag": tag})
            }
            Action::Noted { target, note, text } | Action::NoteEdited { target, note, text } => {
                json!({"target": target.json(), "note": note, "text": text})
            }
            Action::AnalystEventAdded { id, time, text } => {
                json!({"analyst_event": id, "time": time, "text": text})
            }
            Action::AnalystEventWithdrawn { id } => json!({"analyst_event": id}),
            Action::ViewSaved { name, view } => json!({"name": name, "view": view}),
            Action::ReportExported {
                path,
                format,
                size,
                sha256,
            } => json!({"path": path, "format": format, "size": size, "sha256": sha256}),
        }
    }

    /// The action a log record states, from its `action` name and `metadata`.
    pub fn from_record(action: &str, metadata: &Value) -> Result<Action, String> {
        let m = metadata
            .as_object()
            .ok_or_else(|| "metadata is not an object".to_string())?;
        let target = || target_of(m);
        Ok(match action {
            "case.created" => Action::CaseCreated {
                number: text(m, "number")?,
                title: opt_text(m, "title")?,
                organisation: opt_text(m, "organisation")?,
                time_zone: text(m, "time_zone")?,
            },
            "evidence.added" => Action::EvidenceAdded {
                path: text(m, "path")?,
                size: number(m, "size")?,
                sha256: text(m, "sha256")?,
                kind: text(m, "kind")?,
                verdict: text(m, "verdict")?,
            },
            "annotation.starred" => Action::Starred(target()?),
            "annotation.unstarred" => Action::Unstarred(target()?),
            "annotation.tagged" => Action::Tagged(target()?, text(m, "tag")?),
            "annotation.untagged" => Action::Untagged(target()?, text(m, "tag")?),
            "annotation.noted" => Action::Noted {
                target: target()?,
                note: number(m, "note")?,
                text: text(m, "text")?,
            },
            "annotation.note_edited" => Action::NoteEdited {
                target: target()?,
                note: number(m, "note")?,
                text: text(m, "text")?,
            },
            "analyst_event.added" => Action::AnalystEventAdded {
                id: number(m, "analyst_event")?,
                time: text(m, "time")?,
                text: text(m, "text")?,
            },
            "analyst_event.withdrawn" => Action::AnalystEventWithdrawn {
                id: number(m, "analyst_event")?,
            },
            "view.saved" => Action::ViewSaved {
                name: text(m, "name")?,
                view: m.get("view").cloned().ok_or("metadata lacks view")?,
            },
            "report.exported" => Action::ReportExported {
                path: text(m, "path")?,
                format: text(m, "format")?,
                size: number(m, "size")?,
                sha256: text(m, "sha256")?,
            },
            other => return Err(format!("unknown action {other:?}")),
        })
    }
}

fn text(m: &Map<String, Value>, k: &str) -> Result<String, String> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("metadata.{k} is not a string"))
}

fn opt_text(m: &Map<String, Value>, k: &str) -> Result<Option<String>, String> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("metadata.{k} is neither a string nor null")),
    }
}

fn number(m: &Map<String, Value>, k: &str) -> Result<u64, String> {
    m.get(k)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("metadata.{k} is not a whole number"))
}

fn target_of(m: &Map<String, Value>) -> Result<Target, String> {
    let t = m
        .get("target")
        .and_then(Value::as_object)
        .ok_or("metadata.target is not an object")?;
    Ok(Target {
        tenant_id: text(t, "tenant_id").map_err(|e| e.replace("metadata.", "metadata.target."))?,
        seq: number(t, "seq").map_err(|e| e.replace("metadata.", "metadata.target."))?,
        source: opt_text(t, "source").map_err(|e| e.replace("metadata.", "metadata.target."))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_own_record() {
        let t = Target {
            tenant_id: "acme".into(),
            seq: 7,
            source: Some("audit.sqlite".into()),
        };
        let all = [
            Action::CaseCreated {
                number: "2026-041".into(),
                title: None,
                organisation: Some("Org".into()),
                time_zone: "Europe/Berlin".into(),
            },
            Action::EvidenceAdded {
                path: "a.sqlite".into(),
                size: 3,
                sha256: "ab".into(),
                kind: "sqlite".into(),
                verdict: "tampered".into(),
            },
            Action::Starred(t.clone()),
            Action::Unstarred(t.clone()),
            Action::Tagged(t.clone(), "exfil".into()),
            Action::Untagged(t.clone(), "exfil".into()),
            Action::Noted {
                target: t.clone(),
                note: 1,
                text: "why".into(),
            },
            Action::NoteEdited {
                target: t.clone(),
                note: 1,
                text: "why not".into(),
            },
            Action::AnalystEventAdded {
                id: 1,
                time: "2026-04-30T14:02:00.000000000Z".into(),
                text: "call with the CFO".into(),
            },
            Action::AnalystEventWithdrawn { id: 1 },
            Action::ViewSaved {
                name: "starred".into(),
                view: json!({"starred": true}),
            },
            Action::ReportExported {
                path: "r.html".into(),
                format: "html".into(),
                size: 9,
                sha256: "cd".into(),
            },
        ];
        for a in all {
            assert_eq!(Action::from_record(a.name(), &a.metadata()).unwrap(), a);
        }
        assert_eq!(
            Action::from_record("annotation.tagged", &json!({"target": {"seq": 1}})).unwrap_err(),
            "metadata.target.tenant_id is not a string"
        );
    }
}
