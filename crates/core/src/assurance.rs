//! Assurance: what a verdict rests on.
//!
//! A chain that holds proves only that it is consistent: whoever can write the table can
//! rewrite a chain consistently from any seq on. Only a commitment made independently of the
//! source confirms its records: an export's chain head or records, a checkpoint an investigator
//! took, the live service's head, or another source that holds the same chain. This module says,
//! for every tenant of every source, which of those anchor it and how far ([`Anchor`]), and for
//! the whole report whether every tenant is anchored up to its head ([`Assurance`]).
//!
//! Invariants:
//! * a source never anchors itself: an export alone is consistent, not verified;
//! * a tenant is anchored up to its head only when some anchor reaches its last seq; records
//!   above the highest anchor are consistent, never verified;
//! * the result is a pure function of the tenants and the claims, in their order: same inputs,
//!   same bytes.

use serde::{Deserialize, Serialize};

use crate::report::InputTenant;

/// What kind of commitment anchors a chain.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorKind {
    /// An export's `chain_head`: the tenant's whole chain at export time.
    ExportHead,
    /// An export's records (its scope), up to the last of them.
    ExportRecords,
    /// A chain head from a checkpoint file of an earlier check.
    Checkpoint,
    /// The live service's chain head.
    Live,
    /// A verification URL whose hash (the fingerprint an export printed) the live records of
    /// its scope recompute to.
    VerificationUrl,
    /// Another source that holds the same chain.
    Source,
}

impl AnchorKind {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            AnchorKind::ExportHead => "export_head",
            AnchorKind::ExportRecords => "export_records",
            AnchorKind::Checkpoint => "checkpoint",
            AnchorKind::Live => "live",
            AnchorKind::VerificationUrl => "verification_url",
            AnchorKind::Source => "source",
        }
    }
}

/// One anchor of one tenant of one source: `input` commits to the chain up to `seq`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Anchor {
    /// The input that holds the commitment.
    pub input: String,
    /// What kind of commitment it is.
    pub kind: AnchorKind,
    /// The highest seq it commits to.
    pub seq: u64,
}

/// A commitment one input makes about one tenant's chain, as the case engine found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The input that makes it.
    pub input: String,
    /// The tenant it is about.
    pub tenant_id: String,
    /// What kind of commitment it is.
    pub kind: AnchorKind,
    /// The highest seq it commits to.
    pub seq: u64,
}

/// How far the report's verdict rests on independent commitments.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assurance {
    /// Every tenant of every source is anchored up to its head.
    Anchored,
    /// Some are, or some only part of the way.
    PartlyAnchored,
    /// Nothing independent anchors any of them.
    Unanchored,
}

impl Assurance {
    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Assurance::Anchored => "anchored",
            Assurance::PartlyAnchored => "partly_anchored",
            Assurance::Unanchored => "unanchored",
        }
    }
}

/// Records of one tenant of one source that no anchor reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanchored {
    /// The source.
    pub input: String,
    /// The tenant.
    pub tenant_id: String,
    /// First seq no anchor reaches.
    pub first_seq: u64,
    /// Last seq of the tenant in that source.
    pub last_seq: u64,
}

/// The anchors of every tenant of every source, and what is left unanchored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchoring {
    /// For each entry of the tenants given, in their order: the anchors that reach it.
    pub anchored_by: Vec<Vec<Anchor>>,
    /// The report's assurance.
    pub assurance: Assurance,
    /// Ranges no anchor reaches, in the tenants' order.
    pub unanchored: Vec<Unanchored>,
}

/// Anchors every tenant of every source with the claims of the other inputs (see the module
/// doc). A source that makes no explicit claim about a tenant it holds (a dump) anchors the
/// same tenant in the other sources up to its own last seq, as [`AnchorKind::Source`].
pub fn anchor(tenants: &[InputTenant], claims: &[Claim]) -> Anchoring {
    let mut all: Vec<Claim> = claims.to_vec();
    for t in tenants {
        let explicit = claims
            .iter()
            .any(|c| c.input == t.input && c.tenant_id == t.summary.tenant_id);
        if !explicit && t.summary.records > 0 {
            all.push(Claim {
                input: t.input.clone(),
                tenant_id: t.summary.tenant_id.clone(),
                kind: AnchorKind::Source,
                seq: t.summary.last_seq,
            });
        }
    }
    let mut anchored_by = Vec::with_capacity(tenants.len());
    let mut unanchored = Vec::new();
    let (mut full, mut none) = (0usize, 0usize);
    for t in tenants {
        let mut anchors: Vec<Anchor> = all
            .iter()
            .filter(|c| c.input != t.input && c.tenant_id == t.summary.tenant_id)
            .map(|c| Anchor {
                input: c.input.clone(),
                kind: c.kind,
                seq: c.seq,
            })
            .collect();
        anchors.sort();
        anchors.dedup();
        let reach = anchors.iter().map(|a| a.seq).max();
        match reach {
            Some(seq) if seq >= t.summary.last_seq => full += 1,
            _ => {
                if reach.is_none() {
                    none += 1;
                }
                unanchored.push(Unanchored {
                    input: t.input.clone(),
                    tenant_id: t.summary.tenant_id.clone(),
                    first_seq: reach.map_or(t.summary.first_seq, |s| s + 1),
                    last_seq: t.summary.last_seq,
                });
            }
        }
        anchored_by.push(anchors);
    }
    let assurance = if full == tenants.len() {
        Assurance::Anchored
    } else if none == tenants.len() {
        Assurance::Unanchored
    } else {
        Assurance::PartlyAnchored
    };
    Anchoring {
        anchored_by,
        assurance,
        unanchored,
    }
}

/// The clause an intact summary ends with when not everything is anchored: "nothing
/// independent anchors globex (1-63) in audit.sqlite: a consistent rewrite could not be
/// detected". `None` when everything is anchored.
pub fn caveat(anchoring: &Anchoring) -> Option<String> {
    if anchoring.unanchored.is_empty() {
        return None;
    }
    const SHOWN: usize = 4;
    // Ranges grouped by input, inputs in order of first appearance.
    let mut by_input: Vec<(&str, Vec<String>)> = Vec::new();
    for u in anchoring.unanchored.iter().take(SHOWN) {
        let range = if u.first_seq == u.last_seq {
            format!("{} ({})", u.tenant_id, u.first_seq)
        } else {
            format!("{} ({}-{})", u.tenant_id, u.first_seq, u.last_seq)
        };
        match by_input.iter_mut().find(|(input, _)| *input == u.input) {
            Some((_, ranges)) => ranges.push(range),
            None => by_input.push((&u.input, vec![range])),
        }
    }
    let mut parts: Vec<String> = by_input
        .into_iter()
        .map(|(input, ranges)| format!("{} in {input}", ranges.join(" and ")))
        .collect();
    let more = anchoring.unanchored.len().saturating_sub(SHOWN);
    if more > 0 {
        parts.push(format!("{more} more"));
    }
    Some(format!(
        "nothing independent anchors {}: a consistent rewrite could not be detected",
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::TenantSummary;

    fn tenant(input: &str, tenant: &str, first: u64, last: u64) -> InputTenant {
        InputTenant::new(
            input,
            TenantSummary {
                tenant_id: tenant.into(),
                records: last - first + 1,
                first_seq: first,
                last_seq: last,
                head_hash: Some("00".repeat(32)),
                first_timestamp: None,
                last_timestamp: None,
            },
        )
    }

    fn claim(input: &str, tenant: &str, kind: AnchorKind, seq: u64) -> Claim {
        Claim {
            input: input.into(),
            tenant_id: tenant.into(),
            kind,
            seq,
        }
    }

    #[test]
    fn the_sample_case_is_partly_anchored_naming_globex() {
        let tenants = vec![
            tenant("export-acme.pdf", "acme", 1, 57),
            tenant("audit.sqlite", "acme", 1, 57),
            tenant("audit.sqlite", "globex", 1, 63),
        ];
        let claims = vec![
            claim("export-acme.pdf", "acme", AnchorKind::ExportHead, 57),
            claim("export-acme.pdf", "acme", AnchorKind::ExportRecords, 57),
        ];
        let a = anchor(&tenants, &claims);
        assert_eq!(a.assurance, Assurance::PartlyAnchored);
        assert_eq!(
            a.anchored_by[0],
            vec![Anchor {
                input: "audit.sqlite".into(),
                kind: AnchorKind::Source,
                seq: 57
            }]
        );
        assert_eq!(a.anchored_by[1].len(), 2);
        assert_eq!(a.anchored_by[1][0].kind, AnchorKind::ExportHead);
        assert!(a.anchored_by[2].is_empty());
        assert_eq!(
            caveat(&a).unwrap(),
            "nothing independent anchors globex (1-63) in audit.sqlite: a consistent rewrite could not be detected"
        );
    }

    #[test]
    fn a_lone_source_is_unanchored_and_an_export_head_below_the_dump_head_leaves_the_rest() {
        let lone = anchor(&[tenant("d.sqlite", "acme", 1, 40)], &[]);
        assert_eq!(lone.assurance, Assurance::Unanchored);
        assert_eq!(lone.unanchored[0].first_seq, 1);

        let tenants = vec![tenant("d.sqlite", "acme", 1, 52)];
        let claims = vec![claim("e.pdf", "acme", AnchorKind::ExportHead, 40)];
        let a = anchor(&tenants, &claims);
        assert_eq!(a.assurance, Assurance::PartlyAnchored);
        assert_eq!(
            a.unanchored,
            vec![Unanchored {
                input: "d.sqlite".into(),
                tenant_id: "acme".into(),
                first_seq: 41,
                last_seq: 52
            }]
        );
    }

    #[test]
    fn a_checkpoint_at_the_head_anchors_fully() {
        let tenants = vec![tenant("d.sqlite", "acme", 1, 40)];
        let claims = vec![claim("cp.json", "acme", AnchorKind::Checkpoint, 40)];
        let a = anchor(&tenants, &claims);
        assert_eq!(a.assurance, Assurance::Anchored);
        assert_eq!(caveat(&a), None);
    }
}
