// Generated from the Rust types by ts-rs (src-tauri/src/types.rs). Do not edit:
// run `UPDATE_BINDINGS=1 cargo test -p trailproof-app bindings` after changing them.

export type Code = "record_hash_mismatch" | "chain_link_broken" | "seq_gap" | "seq_duplicate" | "genesis_invalid" | "timestamp_regression" | "not_canonical" | "fingerprint_mismatch" | "url_hash_mismatch" | "record_count_mismatch" | "scope_violation" | "visible_text_mismatch" | "pdf_incremental_update" | "attachment_missing" | "legacy_search_unverifiable" | "anchor_mismatch" | "chain_truncated" | "record_diverged" | "record_missing" | "record_appended" | "server_verdict_disagrees" | "record_recovered";

export type Level = "error" | "warning" | "info";

export type Status = "passed" | "failed" | "not_possible";

export type FieldDiff = { 
/**
 * The member's name.
 */
field: string, 
/**
 * Canonical JSON of the value in the first source (`null` text when absent there).
 */
left: string | null, 
/**
 * Canonical JSON of the value in the second source.
 */
right: string | null, };

export type Proof = "chain" | "self" | "none";

export type Finding = { 
/**
 * What is wrong, as the spec names it.
 */
code: Code, 
/**
 * The level the spec assigns to the code.
 */
level: Level, 
/**
 * The tenant concerned, where there is one.
 */
tenant_id: string | null, 
/**
 * The seq concerned, where there is one (the first, for a range).
 */
seq: number | null, 
/**
 * What is wrong, in words a person can act on.
 */
message: string, 
/**
 * Path of the input the finding is about (the first one, for cross-source findings).
 */
input?: string | null, 
/**
 * The other input of a cross-source finding.
 */
other_input?: string | null, 
/**
 * Where in the input ("line 17", "row 4", "page 2", "records[3]").
 */
location?: string | null, 
/**
 * The value the evidence states (stored hash, printed fingerprint, ...).
 */
expected?: string | null, 
/**
 * The value recomputed from the evidence.
 */
computed?: string | null, 
/**
 * For ranges (a seq gap): the last seq of the range; `seq` is the first.
 */
seq_end?: number | null, 
/**
 * Differing members, for `record_diverged` and `visible_text_mismatch`.
 */
fields?: Array<FieldDiff>, 
/**
 * The id of the incident the finding belongs to (see [`crate::incident`]); absent for a
 * warning or info finding that belongs to none.
 */
incident?: number | null, 
/**
 * `record_recovered` (SPEC section 10): where the recovered record was found
 * (`sqlite_freeblock`, `sqlite_wal`, ..., `pdf_revision`).
 */
recovered_from?: string | null, 
/**
 * `record_recovered`: byte offset in that file where the record begins (a PDF: the
 * revision number).
 */
offset?: number | null, 
/**
 * `record_recovered`: the recovered record, every member that could be read.
 */
record?: Record<string, unknown> | null, 
/**
 * `record_recovered`: how far the rest of the evidence proves it original.
 */
proof?: Proof | null, };

export type Check = { 
/**
 * Stable identifier, e.g. `record_hashes`, `chain_links`, `fingerprint`, `anchor`.
 */
check: string, 
/**
 * How it ended.
 */
status: Status, 
/**
 * Path of the input checked, where it concerns one.
 */
input?: string | null, 
/**
 * The tenant checked, where it concerns one.
 */
tenant_id?: string | null, 
/**
 * What was checked and, when failed or not possible, why.
 */
detail: string, };

export type InputInfo = { 
/**
 * Path of the input, as given.
 */
path: string, 
/**
 * Detected kind (`export-pdf`, `sqlite`, `jsonl`, ...).
 */
kind: string, 
/**
 * Size in bytes of the bytes parsed.
 */
size: number, 
/**
 * SHA-256 of the bytes parsed, lowercase hex.
 */
sha256: string, 
/**
 * Records read from it.
 */
records: number, };

export type Verdict = "intact" | "tampered" | "inconclusive";

export type TenantSummary = { 
/**
 * The tenant.
 */
tenant_id: string, 
/**
 * Records of the tenant in the input.
 */
records: number, 
/**
 * The lowest seq.
 */
first_seq: number, 
/**
 * The highest seq.
 */
last_seq: number, 
/**
 * Stored hash of the record with the highest seq.
 */
head_hash: string | null, 
/**
 * Canonical timestamp of the record with the lowest seq, when readable.
 */
first_timestamp: string | null, 
/**
 * Canonical timestamp of the record with the highest seq, when readable.
 */
last_timestamp: string | null, };

export type AnchorKind = "export_head" | "export_records" | "checkpoint" | "live" | "verification_url" | "source";

export type Anchor = { 
/**
 * The input that holds the commitment.
 */
input: string, 
/**
 * What kind of commitment it is.
 */
kind: AnchorKind, 
/**
 * The highest seq it commits to.
 */
seq: number, };

export type Assurance = "anchored" | "partly_anchored" | "unanchored";

export type IncidentKind = "edited" | "edited_rehashed" | "deleted" | "inserted" | "reordered" | "truncated" | "rechained" | "diverged";

export type Incident = { 
/**
 * 1-based number of the incident in the report; findings name it in their `incident`.
 */
id: number, 
/**
 * What kind of act it is.
 */
kind: IncidentKind, 
/**
 * The tenant it concerns, where the findings name one.
 */
tenant_id: string | null, 
/**
 * Lowest seq the act concerns, as far as the evidence shows.
 */
first_seq: number | null, 
/**
 * Highest seq the act concerns, as far as the evidence shows.
 */
last_seq: number | null, 
/**
 * Index (0-based) in the report's `findings` of the finding that names the cause.
 */
root: number, 
/**
 * Indexes in the report's `findings` of the findings that follow from it, in report order.
 */
dependents: Array<number>, 
/**
 * One sentence that explains the act.
 */
explanation: string, };

export type InputTenant = { 
/**
 * Path of the input that holds the chain.
 */
input: string, 
/**
 * The independent commitments that confirm this chain, and how far (see
 * [`crate::assurance`]); empty when nothing anchors it.
 */
anchored_by: Array<Anchor>, 
/**
 * The tenant.
 */
tenant_id: string, 
/**
 * Records of the tenant in the input.
 */
records: number, 
/**
 * The lowest seq.
 */
first_seq: number, 
/**
 * The highest seq.
 */
last_seq: number, 
/**
 * Stored hash of the record with the highest seq.
 */
head_hash: string | null, 
/**
 * Canonical timestamp of the record with the lowest seq, when readable.
 */
first_timestamp: string | null, 
/**
 * Canonical timestamp of the record with the highest seq, when readable.
 */
last_timestamp: string | null, };

export type Tool = { 
/**
 * The tool's name.
 */
name: string, 
/**
 * The tool's version.
 */
version: string, 
/**
 * The build that wrote the report (what `trailproof --version` says); absent where the
 * writer does not know its build.
 */
build?: Build, };

export type Build = { 
/**
 * The full git commit hash.
 */
commit: string, 
/**
 * The commit's date, UTC (not the clock's at build time).
 */
date: string, 
/**
 * The target triple.
 */
target: string, 
/**
 * `rustc --version` of the compiler.
 */
rustc: string, };

export type Counts = { 
/**
 * Findings of level error.
 */
errors: number, 
/**
 * Findings of level warning.
 */
warnings: number, 
/**
 * Findings of level info.
 */
info: number, 
/**
 * Records read from all inputs together.
 */
records: number, };

export type Evidence = { 
/**
 * Path, relative to the case file's folder when it can be.
 */
path: string, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * SHA-256, lowercase hex.
 */
sha256: string, 
/**
 * Kind (`sqlite`, `export-pdf`, `jsonl`, ...).
 */
kind: string, 
/**
 * When it was added, canonical UTC.
 */
added: string, 
/**
 * The case's verdict when it was added.
 */
verdict: string, };

export type EvidenceState = { "state": "unchanged" } | { "state": "changed", 
/**
 * Its size now.
 */
size_now: number, 
/**
 * Its SHA-256 now.
 */
sha256_now: string, } | { "state": "missing", 
/**
 * Why it could not be read.
 */
reason: string, };

export type EvidenceCheck = { 
/**
 * Path, relative to the case file's folder when it can be.
 */
path: string, 
/**
 * Size in bytes.
 */
size: number, 
/**
 * SHA-256, lowercase hex.
 */
sha256: string, 
/**
 * Kind (`sqlite`, `export-pdf`, `jsonl`, ...).
 */
kind: string, 
/**
 * When it was added, canonical UTC.
 */
added: string, 
/**
 * The case's verdict when it was added.
 */
verdict: string, } & ({ "state": "unchanged" } | { "state": "changed", 
/**
 * Its size now.
 */
size_now: number, 
/**
 * Its SHA-256 now.
 */
sha256_now: string, } | { "state": "missing", 
/**
 * Why it could not be read.
 */
reason: string, });

export type Note = { 
/**
 * The note's number in the case.
 */
id: number, 
/**
 * Its current text.
 */
text: string, 
/**
 * When it was first written, canonical UTC.
 */
written: string, 
/**
 * When it was last rewritten, if it was.
 */
edited: string | null, };

export type Annotation = { 
/**
 * The record's tenant.
 */
tenant_id: string, 
/**
 * The record's seq.
 */
seq: number, 
/**
 * The input the examiner named, if any.
 */
source: string | null, 
/**
 * Starred now.
 */
starred: boolean, 
/**
 * Tags now, sorted.
 */
tags: Array<string>, 
/**
 * Notes, in the order they were written.
 */
notes: Array<Note>, };

export type AnalystEvent = { 
/**
 * Its number in the case.
 */
id: number, 
/**
 * When it happened, canonical UTC.
 */
time: string, 
/**
 * What happened.
 */
text: string, 
/**
 * When it was recorded, canonical UTC.
 */
recorded: string, 
/**
 * Withdrawn by the examiner (kept, marked).
 */
withdrawn: boolean, };

export type LogHead = { 
/**
 * The last record's seq.
 */
seq: number, 
/**
 * The last record's hash.
 */
hash: string, };

export type LogStatus = { 
/**
 * How many records the log holds.
 */
records: number, 
/**
 * Its head, if it holds any.
 */
head: LogHead | null, 
/**
 * Every break found, as "seq N: what" (empty when the log is whole).
 */
breaks: Array<string>, };

export type LogEntry = { 
/**
 * seq.
 */
seq: number, 
/**
 * When the action was taken, canonical UTC.
 */
timestamp: string, 
/**
 * Who took it (`actor_display`).
 */
examiner: string, 
/**
 * The action (`annotation.tagged`, ...).
 */
action: string, 
/**
 * Its `metadata` as compact JSON (the target record, the tag, the note's text, ...).
 */
details: string, 
/**
 * Its stored hash.
 */
hash: string, 
/**
 * What is wrong with it in the chain (empty: it verifies).
 */
problems: Array<string>, };

export type CaseHandover = { 
/**
 * The case id (the examiner log's `tenant_id`).
 */
id: string, 
/**
 * Case number.
 */
number: string, 
/**
 * Title.
 */
title: string | null, 
/**
 * The examiner's name.
 */
examiner_name: string, 
/**
 * The examiner's id.
 */
examiner_id: string, 
/**
 * Organisation.
 */
organisation: string | null, 
/**
 * Display time zone (IANA name) of the case's sections; JSON stays UTC.
 */
time_zone: string, 
/**
 * When the case was created, canonical UTC.
 */
created: string, 
/**
 * Every evidence file with what re-hashing found when the report was made.
 */
evidence: Array<EvidenceCheck>, 
/**
 * The annotated records.
 */
annotations: Array<Annotation>, 
/**
 * The analyst events (withdrawn ones included, marked).
 */
analyst_events: Array<AnalystEvent>, 
/**
 * The examiner log: its head and whether its chain is whole.
 */
examiner_log: LogStatus, 
/**
 * Differences between the case file's tables and its log.
 */
inconsistencies: Array<string>, };

export type Report = { 
/**
 * Format of the report: `trailproof-report/1`.
 */
format: string, 
/**
 * The tool that wrote it.
 */
tool: Tool, 
/**
 * The verdict.
 */
verdict: Verdict, 
/**
 * How far the verdict rests on independent commitments (see [`crate::assurance`]).
 */
assurance: Assurance, 
/**
 * One sentence that explains the verdict.
 */
summary: string, 
/**
 * Counts of findings by level, and of records.
 */
counts: Counts, 
/**
 * Every input, in the order it was added to the case.
 */
inputs: Array<InputInfo>, 
/**
 * Every tenant's chain as each input holds it.
 */
tenants: Array<InputTenant>, 
/**
 * Every check made (passed, failed or not possible), sorted by input, tenant, check,
 * status and detail.
 */
checks: Array<Check>, 
/**
 * The findings grouped by the act that explains them, root cause first (see
 * [`crate::incident`]).
 */
incidents: Array<Incident>, 
/**
 * Every finding, sorted by tenant, seq, code, input, location and message.
 */
findings: Array<Finding>, 
/**
 * The investigation's case file, when the report was made from one (`trailproof case
 * report`): absent from a plain verification.
 */
case?: CaseHandover, };

export type Kind = "event" | "gap";

export type Integrity = "verified" | "not_canonical" | "hash_mismatch" | "diverged" | "chain_broken" | "missing_from_source" | "consistent" | "only_in_one_source" | "gap" | "recovered";

export type Flag = "privileged_intervention" | "parameter_change" | "mass_export" | "denied" | "denial_burst" | "off_hours" | "proof_chain" | "proof_self" | "proof_none";

export type Event = { 
/**
 * A record or a gap.
 */
kind: Kind, 
/**
 * The record's tenant.
 */
tenant_id: string, 
/**
 * The record's seq; for a gap, the first missing seq.
 */
seq: number, 
/**
 * For a gap: the last missing seq.
 */
seq_end: number | null, 
/**
 * Canonical timestamp (nanoseconds); for a gap, that of the record before it (or after it,
 * for a gap at the start of a chain). `None` when it cannot be read.
 */
timestamp: string | null, 
/**
 * Microseconds since the Unix epoch, UTC.
 */
micros: number | null, 
/**
 * The record's `actor_user_id`.
 */
actor_user_id: string | null, 
/**
 * The record's `actor_role`.
 */
actor_role: string | null, 
/**
 * The record's `actor_display`.
 */
actor_display: string | null, 
/**
 * The record's `action`.
 */
action: string | null, 
/**
 * The record's `http_method`.
 */
http_method: string | null, 
/**
 * The record's `http_route`.
 */
http_route: string | null, 
/**
 * The record's `severity`.
 */
severity: string | null, 
/**
 * The record's `actor_ip`.
 */
actor_ip: string | null, 
/**
 * The record's `resource_type`.
 */
resource_type: string | null, 
/**
 * The record's `resource_id`.
 */
resource_id: string | null, 
/**
 * The record's `resource_display`.
 */
resource_display: string | null, 
/**
 * The record's `outcome`.
 */
outcome: string | null, 
/**
 * The record's `outcome_reason`.
 */
outcome_reason: string | null, 
/**
 * The inputs that hold it (for a gap: the inputs it is missing from).
 */
sources: Array<string>, 
/**
 * How far it can be trusted.
 */
integrity: Integrity, 
/**
 * For `diverged`: the members that differ between sources.
 */
diverged_fields: Array<string>, 
/**
 * For `missing_from_source`: the inputs that should hold it and do not.
 */
missing_from: Array<string>, 
/**
 * What a responder looks for in it, in [`Flag`] order.
 */
flags: Array<Flag>, 
/**
 * Codes of the report's findings about this (tenant, seq), sorted, unique.
 */
findings: Array<Code>, };

export type Summary = { 
/**
 * Record entries.
 */
events: number, 
/**
 * Gap entries.
 */
gaps: number, 
/**
 * Records that name no tenant or seq and so cannot be placed.
 */
unplaced_records: number, 
/**
 * Every tenant, sorted.
 */
tenants: Array<string>, 
/**
 * Every input that contributed records, in the order they were read.
 */
sources: Array<string>, 
/**
 * Timestamp of the first entry that has one.
 */
first_timestamp: string | null, 
/**
 * Timestamp of the last entry that has one.
 */
last_timestamp: string | null, 
/**
 * Entries by integrity state.
 */
integrity: { [key in string]: number }, 
/**
 * Entries by flag.
 */
flags: { [key in string]: number }, 
/**
 * Failures by one actor that made a burst ([`TimelineOptions::burst_count`]).
 */
burst_count: number, 
/**
 * Window of a burst, in minutes ([`TimelineOptions::burst_minutes`]).
 */
burst_minutes: number, 
/**
 * The off-hours rule, in words.
 */
off_hours_rule: string, 
/**
 * The verdict of the verification run the timeline was joined with.
 */
verdict: string, };

export type Timeline = { 
/**
 * Every entry, in timeline order.
 */
events: Array<Event>, 
/**
 * Counts over them.
 */
summary: Summary, };

export type TimelineOptions = { 
/**
 * Failures by one actor that make a burst.
 */
burst_count: number, 
/**
 * Window of a burst, in minutes.
 */
burst_minutes: number, };

export type CaseView = { 
/**
 * Increases with every case opened in this window (so stale answers can be dropped).
 */
generation: number, 
/**
 * The evidence files, as opened.
 */
paths: Array<string>, report: Report, timeline: Summary, 
/**
 * Verification URLs the opened exports state (for the live check).
 */
verification_urls: Array<string>, 
/**
 * The live check that joined this case, if any: its API base and counts.
 */
live: LiveView | null, 
/**
 * Distinct values of the filterable columns, for the filter menus (at most 500 each).
 */
facets: Facets, };

export type LiveView = { url: string, api_base: string, pages: number, records: number, live_fingerprint: string | null, };

export type TokenStatus = { 
/**
 * The URL's origin (`scheme://host[:port]`): the service a token is for.
 */
origin: string, 
/**
 * A token entered in this session for this origin is held in memory.
 */
in_memory: boolean, 
/**
 * A token for this origin is stored in the OS keyring.
 */
stored: boolean, 
/**
 * Why the OS keyring could not be asked (no Secret Service, locked), when it could not.
 */
keyring_error: string | null, };

export type LiveRun = { 
/**
 * The case with the live records.
 */
view: CaseView, 
/**
 * The user asked to remember the token and the OS keyring refused (kind `keyring`): the
 * check ran, the token is held in memory only.
 */
remember_error: AppError | null, };

export type Facets = { tenants: Array<string>, severities: Array<string>, actions: Array<string>, actors: Array<string>, resource_types: Array<string>, };

export type ProgressEvent = { "stage": "input", path: string, kind: string, total: number | null, } | { "stage": "advance", bytes: number, records: number, } | { "stage": "live", source: string, pages: number, records: number, } | { "stage": "finishing" };

export type RecordFilter = { tenant: string | null, 
/**
 * Exact `severity`.
 */
severity: string | null, 
/**
 * Exact `action` (the scope filter `event`).
 */
event: string | null, 
/**
 * Exact `actor_user_id` (the scope filter `actor`).
 */
actor: string | null, resource_type: string | null, 
/**
 * Inclusive lower bound: a prefix of a canonical timestamp (`2026-03-01`, `2026-03-01T08:00`).
 */
from: string | null, 
/**
 * Inclusive upper bound, as a prefix: `2026-03-01` takes in that whole day.
 */
to: string | null, 
/**
 * Case-insensitive substring of any dimension, seq, source or finding code.
 */
text: string | null, integrity: Integrity | null, flag: Flag | null, 
/**
 * Only entries with at least one finding.
 */
with_findings: boolean, 
/**
 * Leave out gap entries (deleted ranges).
 */
hide_gaps: boolean, 
/**
 * Only these records (tenant, seq): the annotation filters (starred, a tag, has a note),
 * which the UI resolves from the open case file's annotations.
 */
only: Array<[string, number]> | null, };

export type SortKey = "time" | "seq" | "actor" | "action" | "severity" | "outcome" | "integrity";

export type RecordQuery = { generation: number, offset: number, limit: number, filter: RecordFilter, sort: SortKey, descending: boolean, };

export type RecordRow = { 
/**
 * Position in the timeline (stable for this case).
 */
index: number, 
/**
 * A record or a gap.
 */
kind: Kind, 
/**
 * The record's tenant.
 */
tenant_id: string, 
/**
 * The record's seq; for a gap, the first missing seq.
 */
seq: number, 
/**
 * For a gap: the last missing seq.
 */
seq_end: number | null, 
/**
 * Canonical timestamp (nanoseconds); for a gap, that of the record before it (or after it,
 * for a gap at the start of a chain). `None` when it cannot be read.
 */
timestamp: string | null, 
/**
 * Microseconds since the Unix epoch, UTC.
 */
micros: number | null, 
/**
 * The record's `actor_user_id`.
 */
actor_user_id: string | null, 
/**
 * The record's `actor_role`.
 */
actor_role: string | null, 
/**
 * The record's `actor_display`.
 */
actor_display: string | null, 
/**
 * The record's `action`.
 */
action: string | null, 
/**
 * The record's `http_method`.
 */
http_method: string | null, 
/**
 * The record's `http_route`.
 */
http_route: string | null, 
/**
 * The record's `severity`.
 */
severity: string | null, 
/**
 * The record's `actor_ip`.
 */
actor_ip: string | null, 
/**
 * The record's `resource_type`.
 */
resource_type: string | null, 
/**
 * The record's `resource_id`.
 */
resource_id: string | null, 
/**
 * The record's `resource_display`.
 */
resource_display: string | null, 
/**
 * The record's `outcome`.
 */
outcome: string | null, 
/**
 * The record's `outcome_reason`.
 */
outcome_reason: string | null, 
/**
 * The inputs that hold it (for a gap: the inputs it is missing from).
 */
sources: Array<string>, 
/**
 * How far it can be trusted.
 */
integrity: Integrity, 
/**
 * For `diverged`: the members that differ between sources.
 */
diverged_fields: Array<string>, 
/**
 * For `missing_from_source`: the inputs that should hold it and do not.
 */
missing_from: Array<string>, 
/**
 * What a responder looks for in it, in [`Flag`] order.
 */
flags: Array<Flag>, 
/**
 * Codes of the report's findings about this (tenant, seq), sorted, unique.
 */
findings: Array<Code>, };

export type RecordPage = { generation: number, 
/**
 * Rows matching the filter.
 */
total: number, offset: number, rows: Array<RecordRow>, };

export type SourceCopy = { 
/**
 * The input (or `live:` source) that holds it.
 */
source: string, 
/**
 * Where in the input ("line 17", "row 4", "records[3]").
 */
location: string, 
/**
 * Members in canonical order: (name, canonical JSON of the value).
 */
fields: Array<[string, string]>, 
/**
 * The bytes that are hashed (canonical JSON without `hash`), as UTF-8 text.
 */
canonical: string | null, stored_hash: string | null, computed_hash: string | null, 
/**
 * Why the record could not be canonicalized, if it could not.
 */
problems: Array<string>, 
/**
 * For an earlier or deleted version recovered from the evidence (SPEC section 10): where
 * it was found and what proves it.
 */
recovered: RecoveredNote | null, };

export type RecoveredNote = { 
/**
 * `sqlite_freeblock`, `sqlite_wal`, ..., `pdf_revision`.
 */
recovered_from: string, 
/**
 * "byte 17905" or "revision 1".
 */
at: string, 
/**
 * `chain`, `self` or `none`.
 */
proof: string, 
/**
 * What the proof means, in words.
 */
meaning: string, };

export type VisibleCopy = { source: string, page: number, cells: Array<[string, string]>, };

export type DiffRow = { field: string, 
/**
 * The source of `left` (an input path, `live:...`, or "printed on the pages").
 */
left_source: string, 
/**
 * Canonical JSON of the value there (`None` when absent).
 */
left: string | null, right_source: string, right: string | null, };

export type RecordDetail = { generation: number, row: RecordRow, copies: Array<SourceCopy>, visible: Array<VisibleCopy>, 
/**
 * Members that differ between copies.
 */
differing: Array<string>, 
/**
 * Field-level differences between two sources, with both values.
 */
diffs: Array<DiffRow>, 
/**
 * The report's findings about this record.
 */
findings: Array<Finding>, 
/**
 * Timeline index of the record with seq - 1 / seq + 1 of the same tenant.
 */
prev: number | null, next: number | null, 
/**
 * Copies that could not be read back, with the reason (a file changed since it was opened).
 */
unavailable: Array<string>, };

export type Density = { generation: number, 
/**
 * Microseconds since the epoch, UTC.
 */
from: number, to: number, buckets: Array<Bucket>, 
/**
 * Events in the window (all buckets).
 */
total: number, 
/**
 * The events themselves when the window holds at most the requested limit.
 */
marks: Array<Mark>, 
/**
 * Gaps (deleted ranges) whose neighbours fall in the window.
 */
gaps: Array<Mark>, 
/**
 * One lane per tenant (the first [`LANE_LIMIT`] in tenant order), with the same buckets:
 * who did what when, tenant by tenant.
 */
lanes: Array<Lane>, 
/**
 * Tenants past [`LANE_LIMIT`], not given a lane.
 */
lanes_omitted: number, };

export type Bucket = { events: number, privileged: number, parameter: number, mass_export: number, denied: number, 
/**
 * Events with an integrity state other than verified.
 */
problems: number, 
/**
 * Recovered versions of records (integrity `recovered`).
 */
recovered: number, };

export type Lane = { tenant: string, 
/**
 * Events per bucket.
 */
events: Array<number>, 
/**
 * Events per bucket whose integrity state is a problem.
 */
problems: Array<number>, };

export type Mark = { index: number, micros: number, tenant_id: string, seq: number, seq_end: number | null, action: string | null, actor: string | null, integrity: Integrity, flags: Array<Flag>, findings: Array<Code>, };

export type TimeBounds = { first: number | null, last: number | null, events: number, };

export type RecentCase = { paths: Array<string>, 
/**
 * Verdict when last opened.
 */
verdict: Verdict, 
/**
 * The case file these paths are the evidence of, when one was open.
 */
case_file?: string, };

export type CaseFileView = { 
/**
 * The case file.
 */
path: string, 
/**
 * The case, its evidence (with what re-hashing found), annotations, analyst events and the
 * examiner log's state.
 */
case: CaseHandover, 
/**
 * Saved views, by name.
 */
views: Array<SavedViewItem>, 
/**
 * The case's verdict when its evidence was last verified ("not current: ..." when an
 * evidence file changed since).
 */
verdict: string | null, 
/**
 * Evidence files that changed or vanished since they were added: their results are not
 * current.
 */
changed: Array<string>, 
/**
 * The evidence files, as paths to open.
 */
evidence_paths: Array<string>, };

export type SavedViewItem = { name: string, view: string, 
/**
 * When it was saved, canonical UTC.
 */
saved: string, };

export type SelfTestCheck = { name: string, passed: boolean, expected: string, got: string, };

export type SelfTestRun = { 
/**
 * "trailproof-app 0.1.0 (commit ..., date, target, rustc ...)".
 */
version_line: string, 
/**
 * The executable that ran it, and its SHA-256 (`null` when it could not be read).
 */
executable: string, sha256: string | null, passed: boolean, checks_total: number, checks_passed: number, seconds: number, checks: Array<SelfTestCheck>, };

export type NewCaseInput = { number: string, examiner: string, examiner_id: string | null, title: string | null, organisation: string | null, 
/**
 * IANA time zone for display (UTC when empty).
 */
time_zone: string | null, };

export type RecordKey = { tenant_id: string, seq: number, 
/**
 * The input the annotated version was read from, when the examiner names one.
 */
source: string | null, };

export type AnnotationEdit = { "kind": "star" } | { "kind": "unstar" } | { "kind": "tag", tag: string, } | { "kind": "untag", tag: string, } | { "kind": "note", text: string, } | { "kind": "edit_note", note: number, text: string, };

export type ReportFormat = "html" | "pdf" | "json";

export type TimelineFormat = "timesketch" | "csv" | "jsonl" | "json";

export type Saved = { path: string, bytes: number, sha256: string, };

export type AppError = { kind: ErrorKind, message: string, };

export type ErrorKind = "evidence" | "live" | "cancelled" | "no_case" | "busy" | "save" | "invalid" | "keyring" | "case_file";

export const INTEGRITIES: ReadonlyArray<Integrity> = ["verified", "not_canonical", "hash_mismatch", "diverged", "chain_broken", "missing_from_source", "consistent", "only_in_one_source", "gap", "recovered"];

export const FLAGS: ReadonlyArray<Flag> = ["privileged_intervention", "parameter_change", "mass_export", "denied", "denial_burst", "off_hours", "proof_chain", "proof_self", "proof_none"];

export const PROBLEM_INTEGRITIES: ReadonlyArray<Integrity> = ["not_canonical", "hash_mismatch", "diverged", "chain_broken", "missing_from_source", "gap"];

