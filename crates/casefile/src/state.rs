//! What the case shows (annotations, analyst events, saved views, exports): the replay of the
//! examiner log, record by record, so it can never disagree with the log. The replay also checks
//! the `case_info` and `evidence` tables against the log's own `case.created` and
//! `evidence.added` records, and names every difference.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::action::{Action, Target};
use crate::error::CaseError;
use crate::file::{CaseFile, Evidence};
use crate::log::{self, LogStatus};
pub use trailproof_core::handover::{AnalystEvent, Annotation, Note};

/// A saved view (its definition as the app states it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedView {
    /// Name.
    pub name: String,
    /// Filters, sort and columns.
    pub view: serde_json::Value,
    /// When it was last saved.
    pub saved: String,
}

/// A report or export written from the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedReport {
    /// Where.
    pub path: String,
    /// Format.
    pub format: String,
    /// Size in bytes of what was written.
    pub size: u64,
    /// SHA-256 of what was written.
    pub sha256: String,
    /// When.
    pub time: String,
}

/// The case as the examiner log says it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseState {
    /// Annotations with anything left on them, by tenant, seq, source.
    pub annotations: Vec<Annotation>,
    /// Analyst events, in the order recorded.
    pub analyst_events: Vec<AnalystEvent>,
    /// Saved views by name.
    pub views: Vec<SavedView>,
    /// Reports and exports written.
    pub reports: Vec<ExportedReport>,
    /// Evidence as the log recorded it.
    pub evidence: Vec<Evidence>,
    /// The log's chain check.
    pub log: LogStatus,
    /// Differences between the tables and the log, and log records that cannot be replayed.
    pub inconsistencies: Vec<String>,
}

impl CaseState {
    /// The next free note number.
    pub fn next_note(&self) -> u64 {
        self.annotations
            .iter()
            .flat_map(|a| &a.notes)
            .map(|n| n.id)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The next free analyst event number.
    pub fn next_analyst_event(&self) -> u64 {
        self.analyst_events.iter().map(|e| e.id).max().unwrap_or(0) + 1
    }

    /// The annotation of `target`, if any.
    pub fn annotation(&self, target: &Target) -> Option<&Annotation> {
        self.annotations.iter().find(|a| {
            a.tenant_id == target.tenant_id && a.seq == target.seq && a.source == target.source
        })
    }
}

/// Replays the case's examiner log.
pub fn replay(case: &CaseFile) -> Result<CaseState, CaseError> {
    let records = log::read(case)?;
    let status = log::status(&case.info().id, &records);
    let mut inconsistencies = Vec::new();
    let mut notes: BTreeMap<Target, (bool, BTreeSet<String>, Vec<Note>)> = BTreeMap::new();
    let mut events: Vec<AnalystEvent> = Vec::new();
    let mut views: BTreeMap<String, SavedView> = BTreeMap::new();
    let mut reports = Vec::new();
    let mut evidence = Vec::new();
    let mut created = None;
    for r in &records {
        let time = r.timestamp.clone();
        let action = match r.action() {
            Ok(a) => a,
            Err(e) => {
                inconsistencies.push(format!("examiner log seq {}: {e}", r.seq));
                continue;
            }
        };
        let entry = |t: &Target, notes: &mut BTreeMap<_, _>| {
            notes
                .entry(t.clone())
                .or_insert_with(|| (false, BTreeSet::new(), Vec::new()));
        };
        match action {
            Action::CaseCreated { .. } => created = Some(action),
            Action::EvidenceAdded {
                path,
                size,
                sha256,
                kind,
                verdict,
            } => evidence.push(Evidence {
                path,
                size,
                sha256,
                kind,
                added: time,
                verdict,
            }),
            Action::Starred(t) | Action::Unstarred(t) => {
                let starred = r.record["action"] == "annotation.starred";
                entry(&t, &mut notes);
                notes.get_mut(&t).expect("entered").0 = starred;
            }
            Action::Tagged(t, tag) => {
                entry(&t, &mut notes);
                notes.get_mut(&t).expect("entered").1.insert(tag);
            }
            Action::Untagged(t, tag) => {
                entry(&t, &mut notes);
                notes.get_mut(&t).expect("entered").1.remove(&tag);
            }
            Action::Noted { target, note, text } => {
                entry(&target, &mut notes);
                notes.get_mut(&target).expect("entered").2.push(Note {
                    id: note,
                    text,
                    written: time,
                    edited: None,
                });
            }
            Action::NoteEdited { target, note, text } => {
                let found = notes
                    .get_mut(&target)
                    .and_then(|(_, _, ns)| ns.iter_mut().find(|n| n.id == note));
                match found {
                    Some(n) => {
                        n.text = text;
                        n.edited = Some(time);
                    }
                    None => inconsistencies.push(format!(
                        "examiner log seq {}: edits note {note}, which no earlier record wrote on {}/{}",
                        r.seq, target.tenant_id, target.seq
                    )),
                }
            }
            Action::AnalystEventAdded { id, time: at, text } => events.push(AnalystEvent {
                id,
                time: at,
                text,
                recorded: time,
                withdrawn: false,
            }),
            Action::AnalystEventWithdrawn { id } => {
                match events.iter_mut().find(|e| e.id == id) {
                    Some(e) => e.withdrawn = true,
                    None => inconsistencies.push(format!(
                        "examiner log seq {}: withdraws analyst event {id}, which no earlier record added",
                        r.seq
                    )),
                }
            }
            Action::ViewSaved { name, view } => {
                views.insert(
                    name.clone(),
                    SavedView {
                        name,
                        view,
                        saved: time,
                    },
                );
            }
            Action::ReportExported {
                path,
                format,
                size,
                sha256,
            } => reports.push(ExportedReport {
                path,
                format,
                size,
                sha256,
                time,
            }),
        }
    }
    compare_tables(case, created, &evidence, &mut inconsistencies)?;
    let annotations = notes
        .into_iter()
        .map(|(t, (starred, tags, notes))| Annotation {
            tenant_id: t.tenant_id,
            seq: t.seq,
            source: t.source,
            starred,
            tags: tags.into_iter().collect(),
            notes,
        })
        .filter(|a| !a.is_empty())
        .collect();
    Ok(CaseState {
        annotations,
        analyst_events: events,
        views: views.into_values().collect(),
        reports,
        evidence,
        log: status,
        inconsistencies,
    })
}

fn compare_tables(
    case: &CaseFile,
    created: Option<Action>,
    logged: &[Evidence],
    out: &mut Vec<String>,
) -> Result<(), CaseError> {
    let info = case.info();
    match created {
        None => out.push("the examiner log has no case.created record".into()),
        Some(Action::CaseCreated {
            number,
            title,
            organisation,
            time_zone,
        }) => {
            for (what, table, log) in [
                ("number", Some(&info.number), Some(&number)),
                ("title", info.title.as_ref(), title.as_ref()),
                (
                    "organisation",
                    info.organisation.as_ref(),
                    organisation.as_ref(),
                ),
                ("time_zone", Some(&info.time_zone), Some(&time_zone)),
            ] {
                if table != log {
                    out.push(format!(
                        "case_info.{what} is {table:?}, the examiner log's case.created says {log:?}"
                    ));
                }
            }
        }
        Some(_) => unreachable!("only case.created is kept"),
    }
    let table = case.evidence()?;
    if table != logged {
        out.push(format!(
            "the evidence table lists {} file(s) that differ from the {} the examiner log's evidence.added records name",
            table.len(),
            logged.len()
        ));
    }
    Ok(())
}
