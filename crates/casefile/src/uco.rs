//! The case as a CASE/UCO JSON-LD bundle (`trailproof case export --format case-uco`), for
//! forensic tools that exchange investigations in the Cyber-investigation Analysis Standard
//! Expression: the verification as a `case-investigation:InvestigativeAction` with the tool as
//! instrument (name, version, commit), the examiner as performer, every evidence file as an
//! object (name, path, size, SHA-256), and every report the examiner wrote from the case as a
//! result, inside a `case-investigation:Investigation` named by the case number.
//!
//! Invariants: every node id ends in a UUID derived from the case id and what the node names, so
//! the same case gives the same ids; the bundle conforms to the CASE 1.x shapes that
//! `case_validate` (from `case-utils`) checks, warnings included.

use serde_json::{json, Value};
use trailproof_core::handover::CaseHandover;

use crate::file::uuid_from;
use crate::state::ExportedReport;

/// The tool that made the bundle.
pub struct ToolInfo<'a> {
    /// Name.
    pub name: &'a str,
    /// Version.
    pub version: &'a str,
    /// Git commit it was built from.
    pub commit: &'a str,
}

/// The JSON-LD bundle of `case`; `verdict` is the case's verdict, `reports` what the examiner
/// exported, `now` the canonical UTC time of the bundle.
pub fn bundle(
    case: &CaseHandover,
    tool: &ToolInfo,
    verdict: &str,
    reports: &[ExportedReport],
    now: &str,
) -> Value {
    let id = |kind: &str, key: &str| {
        format!(
            "kb:{kind}-{}",
            uuid_from(&[case.id.as_bytes(), kind.as_bytes(), key.as_bytes()])
        )
    };
    let time = |t: &str| json!({"@type": "xsd:dateTime", "@value": t});
    let mut graph = Vec::new();
    let tool_id = id(
        "tool",
        &format!("{} {} {}", tool.name, tool.version, tool.commit),
    );
    graph.push(json!({
        "@id": tool_id,
        "@type": "uco-tool:AnalyticTool",
        "uco-core:name": tool.name,
        "uco-tool:version": tool.version,
        "uco-core:description": format!("built from git commit {}", tool.commit),
    }));
    let examiner_id = id("person", &case.examiner_id);
    graph.push(json!({
        "@id": examiner_id,
        "@type": "uco-identity:Person",
        "uco-core:name": case.examiner_name,
        "uco-core:description": format!("examiner id {}", case.examiner_id),
    }));
    let mut file = |kind: &str, path: &str, size: u64, sha256: &str| -> String {
        let node = id(kind, &format!("{path}\u{0}{sha256}"));
        let name = std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string());
        let size = json!({"@type": "xsd:integer", "@value": size.to_string()});
        graph.push(json!({
            "@id": node,
            "@type": "uco-observable:File",
            "uco-core:hasFacet": [
                {
                    "@id": id("file-facet", &node),
                    "@type": "uco-observable:FileFacet",
                    "uco-observable:fileName": name,
                    "uco-observable:filePath": path,
                    "uco-observable:sizeInBytes": size,
                },
                {
                    "@id": id("content-facet", &node),
                    "@type": "uco-observable:ContentDataFacet",
                    "uco-observable:sizeInBytes": size,
                    "uco-observable:hash": [{
                        "@id": id("hash", &node),
                        "@type": "uco-types:Hash",
                        "uco-types:hashMethod": "SHA256",
                        "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": sha256},
                    }],
                },
            ],
        }));
        node
    };
    let objects: Vec<Value> = case
        .evidence
        .iter()
        .map(|c| {
            let e = &c.evidence;
            json!({"@id": file("evidence", &e.path, e.size, &e.sha256)})
        })
        .collect();
    let results: Vec<Value> = reports
        .iter()
        .map(|r| json!({"@id": file("report", &r.path, r.size, &r.sha256)}))
        .collect();
    let head = case
        .examiner_log
        .head
        .as_ref()
        .map(|h| format!("seq {} hash {}", h.seq, h.hash))
        .unwrap_or_else(|| "empty".into());
    let action_id = id("investigative-action", now);
    let mut action = json!({
        "@id": action_id,
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": "Trailproof verification of AEF/1 audit evidence",
        "uco-core:description": format!(
            "verdict {verdict}; examiner log (AEF/1, tenant_id {}) head {head}", case.id
        ),
        "uco-action:startTime": time(&case.created),
        "uco-action:endTime": time(now),
        "uco-action:instrument": {"@id": tool_id},
        "uco-action:performer": {"@id": examiner_id},
        "uco-action:object": objects,
    });
    if !results.is_empty() {
        action["uco-action:result"] = Value::Array(results);
    }
    graph.push(action);
    let mut investigation = json!({
        "@id": id("investigation", &case.number),
        "@type": "case-investigation:Investigation",
        "uco-core:name": case.number,
        "uco-core:object": [{"@id": action_id}],
    });
    if let Some(t) = &case.title {
        investigation["uco-core:description"] = json!(t);
    }
    graph.push(investigation);
    json!({
        "@context": {
            "kb": "http://example.org/kb/",
            "case-investigation": "https://ontology.caseontology.org/case/investigation/",
            "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
            "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
            "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
            "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
            "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
            "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@graph": graph,
    })
}
