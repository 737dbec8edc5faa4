//! Findings (AEF/1 section 9) and checks.
//!
//! A [`Finding`] names what is wrong with one of the spec's codes, the tenant and seq it
//! concerns, a message a person can act on, and, where a value was compared, both the expected
//! and the computed value. A [`Check`] records that something was examined and how it ended:
//! passed, failed, or not possible (never silently skipped).

use serde::{Deserialize, Serialize};

/// The finding codes of AEF/1 section 9.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A record does not hash to its own `hash`: its content was changed.
    RecordHashMismatch,
    /// `prev_hash` of seq n is not the `hash` of seq n - 1.
    ChainLinkBroken,
    /// Seqs are missing (deleted records); the finding's seq is the first missing one.
    SeqGap,
    /// Two records of one tenant share a seq.
    SeqDuplicate,
    /// Seq 1 does not have the all-zero `prev_hash`.
    GenesisInvalid,
    /// A timestamp is earlier than that of the record before it (warning).
    TimestampRegression,
    /// A record cannot be brought to canonical form.
    NotCanonical,
    /// The recomputed fingerprint differs from the one the export states.
    FingerprintMismatch,
    /// The verification URL's `hash` differs from the stated fingerprint.
    UrlHashMismatch,
    /// The stated record count differs from the records present.
    RecordCountMismatch,
    /// An exported record does not match the export's scope.
    ScopeViolation,
    /// What a PDF shows differs from its embedded records.
    VisibleTextMismatch,
    /// The PDF was changed after it was produced (warning).
    PdfIncrementalUpdate,
    /// A PDF has no embedded payload (warning).
    AttachmentMissing,
    /// The export used legacy `q`/`field` search, which cannot be replayed (warning).
    LegacySearchUnverifiable,
    /// A known chain head differs from the record now at its seq.
    AnchorMismatch,
    /// A chain ends before a known chain head.
    ChainTruncated,
    /// The same (tenant, seq) differs between two sources.
    RecordDiverged,
    /// A record of one source's scope is absent from another that should hold it.
    RecordMissing,
    /// Records were appended after an export: expected growth (info).
    RecordAppended,
    /// The service's own verify answer contradicts the local recomputation.
    ServerVerdictDisagrees,
    /// SPEC section 10: an earlier or deleted version of a record, found in the evidence.
    RecordRecovered,
}

impl Code {
    /// The level the spec assigns to this code.
    pub fn level(self) -> Level {
        use Code::*;
        match self {
            TimestampRegression
            | PdfIncrementalUpdate
            | AttachmentMissing
            | LegacySearchUnverifiable => Level::Warning,
            RecordAppended | RecordRecovered => Level::Info,
            _ => Level::Error,
        }
    }

    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            RecordHashMismatch => "record_hash_mismatch",
            ChainLinkBroken => "chain_link_broken",
            SeqGap => "seq_gap",
            SeqDuplicate => "seq_duplicate",
            GenesisInvalid => "genesis_invalid",
            TimestampRegression => "timestamp_regression",
            NotCanonical => "not_canonical",
            FingerprintMismatch => "fingerprint_mismatch",
            UrlHashMismatch => "url_hash_mismatch",
            RecordCountMismatch => "record_count_mismatch",
            ScopeViolation => "scope_violation",
            VisibleTextMismatch => "visible_text_mismatch",
            PdfIncrementalUpdate => "pdf_incremental_update",
            AttachmentMissing => "attachment_missing",
            LegacySearchUnverifiable => "legacy_search_unverifiable",
            AnchorMismatch => "anchor_mismatch",
            ChainTruncated => "chain_truncated",
            RecordDiverged => "record_diverged",
            RecordMissing => "record_missing",
            RecordAppended => "record_appended",
            ServerVerdictDisagrees => "server_verdict_disagrees",
            RecordRecovered => "record_recovered",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Finding levels; the verdict depends on errors only.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Evidence of tampering: the verdict is tampered.
    Error,
    /// Worth a look; does not change the verdict.
    Warning,
    /// For the record; does not change the verdict.
    Info,
}

/// One differing member of a record between two sources.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The member's name.
    pub field: String,
    /// Canonical JSON of the value in the first source (`null` text when absent there).
    pub left: Option<String>,
    /// Canonical JSON of the value in the second source.
    pub right: Option<String>,
}

/// One finding, as it appears in a report.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What is wrong, as the spec names it.
    pub code: Code,
    /// The level the spec assigns to the code.
    pub level: Level,
    /// The tenant concerned, where there is one.
    pub tenant_id: Option<String>,
    /// The seq concerned, where there is one (the first, for a range).
    pub seq: Option<u64>,
    /// What is wrong, in words a person can act on.
    pub message: String,
    /// Path of the input the finding is about (the first one, for cross-source findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The other input of a cross-source finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_input: Option<String>,
    /// Where in the input ("line 17", "row 4", "page 2", "records[3]").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The value the evidence states (stored hash, printed fingerprint, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The value recomputed from the evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<String>,
    /// For ranges (a seq gap): the last seq of the range; `seq` is the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq_end: Option<u64>,
    /// Differing members, for `record_diverged` and `visible_text_mismatch`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldDiff>,
    /// The id of the incident the finding belongs to (see [`crate::incident`]); absent for a
    /// warning or info finding that belongs to none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<u32>,
    /// `record_recovered` (SPEC section 10): where the recovered record was found
    /// (`sqlite_freeblock`, `sqlite_wal`, ..., `pdf_revision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered_from: Option<String>,
    /// `record_recovered`: byte offset in that file where the record begins (a PDF: the
    /// revision number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// `record_recovered`: the recovered record, every member that could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub record: Option<serde_json::Value>,
    /// `record_recovered`: how far the rest of the evidence proves it original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// SPEC section 10's grade of a recovered record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Proof {
    /// Its recomputed hash is what the rest of the evidence commits to at its (tenant, seq):
    /// it is the original.
    #[serde(rename = "chain")]
    Chain,
    /// It hashes to its own `hash`, but nothing else commits to that hash (a forged or
    /// superseded copy).
    #[serde(rename = "self")]
    OwnHashOnly,
    /// It does not even hash to its own `hash` (partly overwritten, or never chained).
    #[serde(rename = "none")]
    Unproven,
}

impl Proof {
    /// The name SPEC section 10 gives this grade.
    pub fn as_str(self) -> &'static str {
        match self {
            Proof::Chain => "chain",
            Proof::OwnHashOnly => "self",
            Proof::Unproven => "none",
        }
    }
}

impl Finding {
    /// A finding with the code's own level and no detail fields.
    pub fn new(code: Code, tenant_id: Option<&str>, seq: Option<u64>, message: String) -> Self {
        Finding {
            code,
            level: code.level(),
            tenant_id: tenant_id.map(str::to_string),
            seq,
            message,
            input: None,
            other_input: None,
            location: None,
            expected: None,
            computed: None,
            seq_end: None,
            fields: Vec::new(),
            incident: None,
            recovered_from: None,
            offset: None,
            record: None,
            proof: None,
        }
    }

    /// With the input the finding is about.
    pub fn input(mut self, path: &str) -> Self {
        self.input = Some(path.to_string());
        self
    }

    /// With the other input of a cross-source finding.
    pub fn other_input(mut self, path: &str) -> Self {
        self.other_input = Some(path.to_string());
        self
    }

    /// With where in the input it is.
    pub fn at(mut self, location: impl std::fmt::Display) -> Self {
        self.location = Some(location.to_string());
        self
    }

    /// With the value the evidence states and the value recomputed from it.
    pub fn values(mut self, expected: impl Into<String>, computed: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.computed = Some(computed.into());
        self
    }

    /// With the last seq of a range (`seq` is the first).
    pub fn seq_end(mut self, last: u64) -> Self {
        self.seq_end = Some(last);
        self
    }

    /// With the members that differ.
    pub fn fields(mut self, fields: Vec<FieldDiff>) -> Self {
        self.fields = fields;
        self
    }

    /// Sort key that makes reports deterministic: tenant, seq, code, input, then the message.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.tenant_id.as_deref(),
            self.seq.unwrap_or(0),
            self.code,
            self.input.as_deref(),
            self.location.as_deref(),
            self.message.as_str(),
        )
    }
}

/// How a check ended.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Made, and nothing wrong found.
    Passed,
    /// Made, and something wrong found.
    Failed,
    /// Could not be made; the detail says why.
    NotPossible,
}

/// One check that was run (or could not be), for one input and tenant where that applies.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable identifier, e.g. `record_hashes`, `chain_links`, `fingerprint`, `anchor`.
    pub check: String,
    /// How it ended.
    pub status: Status,
    /// Path of the input checked, where it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The tenant checked, where it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// What was checked and, when failed or not possible, why.
    pub detail: String,
}

impl Check {
    /// A check named `check` that ended as `status`.
    pub fn new(check: &str, status: Status, detail: impl Into<String>) -> Self {
        Check {
            check: check.to_string(),
            status,
            input: None,
            tenant_id: None,
            detail: detail.into(),
        }
    }

    /// Passed when `failed` is false, else failed.
    pub fn outcome(check: &str, failed: bool, detail: impl Into<String>) -> Self {
        let status = if failed {
            Status::Failed
        } else {
            Status::Passed
        };
        Check::new(check, status, detail)
    }

    /// With the input checked.
    pub fn input(mut self, path: &str) -> Self {
        self.input = Some(path.to_string());
        self
    }

    /// With the tenant checked.
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant_id = Some(tenant.to_string());
        self
    }
}
