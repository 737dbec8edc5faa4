//! Long work, off the UI thread: opening a case (optionally with a live check) and writing
//! exports. Progress goes to the UI through a callback; cancellation through an [`AtomicBool`]
//! the readers and the live client check between batches and pages.
//!
//! The timeline is never held whole: a case is built from the core's streaming timeline
//! ([`Loaded::from_stream`]), timeline exports are written entry by entry from the case's
//! compact store, and the reports get an excerpt of the entries they list ([`report_excerpt`]).
//!
//! Invariants: the bearer token is handed to the HTTP client only and is never part of an error
//! message or a progress event; exports are written only to the path the user chose in the save
//! dialog, through a temporary file in the same folder renamed into place; every export's bytes
//! are exactly those the core's writers give for the whole `Timeline` of the case.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use trailproof_core::handover::CaseHandover;
use trailproof_core::record::{hex, sha256};
use trailproof_core::report::Report;
use trailproof_core::timeline::model::{Timeline, TimelineOptions};
use trailproof_core::timeline::output;
use trailproof_engine::{EngineError, Investigation, LiveRequest, Progress, READ_AGAIN};
use trailproof_ingest::{IngestError, InputKind};
use trailproof_live::{HttpPolicy, LiveOptions, LiveProgress, Token};
use trailproof_report::{Format, TimelineExcerpt};

use crate::session::Loaded;
use crate::types::{
    AppError, ErrorKind, LiveView, ProgressEvent, ReportFormat, Saved, SelfTestCheck, SelfTestRun,
    TimelineFormat,
};

/// Progress events at most this often (the last one of an input is always sent).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Adapts the readers' and the live client's progress to [`ProgressEvent`]s.
pub struct Reporter<'a> {
    send: &'a (dyn Fn(ProgressEvent) + Sync),
    last: Mutex<Option<Instant>>,
}

impl<'a> Reporter<'a> {
    pub fn new(send: &'a (dyn Fn(ProgressEvent) + Sync)) -> Self {
        Reporter {
            send,
            last: Mutex::new(None),
        }
    }

    fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|l| now.duration_since(l) < PROGRESS_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }
}

impl Progress for Reporter<'_> {
    fn input(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        (self.send)(ProgressEvent::Input {
            path: path.to_string_lossy().into_owned(),
            kind: kind.as_str().into(),
            total,
        });
    }
    fn advance(&self, bytes: u64, records: u64) {
        if self.due() {
            (self.send)(ProgressEvent::Advance { bytes, records });
        }
    }
    /// The window shows the second read as a read of the same file, its kind saying why.
    fn read_again(&self, path: &Path, kind: InputKind, total: Option<u64>) {
        (self.send)(ProgressEvent::Input {
            path: path.to_string_lossy().into_owned(),
            kind: format!("{}, {READ_AGAIN}", kind.as_str()),
            total,
        });
    }
}

impl LiveProgress for Reporter<'_> {
    fn page(&self, source: &str, pages: u64, records: u64) {
        if self.due() {
            (self.send)(ProgressEvent::Live {
                source: source.to_string(),
                pages,
                records,
            });
        }
    }
}

/// A live check to run with the case.
pub struct LiveAsk {
    pub url: String,
    pub token: String,
    pub api_base: Option<String>,
}

impl From<IngestError> for AppError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Cancelled => AppError::new(ErrorKind::Cancelled, "cancelled"),
            e => AppError::new(ErrorKind::Evidence, chain(&e)),
        }
    }
}

/// An error with its cause chain, as the CLI prints it.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Verifies `paths` as one case (with the live check when asked) and indexes it.
pub fn open(
    generation: u32,
    paths: Vec<PathBuf>,
    live: Option<LiveAsk>,
    send: &(dyn Fn(ProgressEvent) + Sync),
    cancel: &AtomicBool,
) -> Result<Loaded, AppError> {
    if paths.is_empty() && live.is_none() {
        return Err(AppError::new(
            ErrorKind::Invalid,
            "no evidence given: drop files on the window or choose them with Open",
        ));
    }
    let reporter = Reporter::new(send);
    let request = live.as_ref().map(|l| {
        let mut options = LiveOptions::new(Token::new(l.token.clone()));
        options.api_base = l.api_base.clone();
        options.policy = HttpPolicy::default();
        options.progress = &reporter;
        options.cancel = Some(cancel);
        // The record detail shows the live copy beside the evidence files'.
        options.keep_copies = true;
        LiveRequest {
            url: l.url.clone(),
            options,
        }
    });
    // Taken before any byte is read: a file changed after this is not read back for a detail.
    let identities = crate::session::identities_of(&paths);
    let inv = Investigation::new(&paths)
        .progress(&reporter)
        .cancel(cancel)
        .live(request.as_ref())
        .zones(true)
        .timeline_stream(&TimelineOptions::default())
        .map_err(|e| match e {
            EngineError::Ingest(e) => AppError::from(e),
            EngineError::Live(e) => {
                let msg = chain(&e);
                if msg.contains("cancelled") {
                    AppError::new(ErrorKind::Cancelled, "cancelled")
                } else {
                    AppError::new(ErrorKind::Live, msg)
                }
            }
        })?;
    send(ProgressEvent::Finishing);
    let live_view = match (&live, inv.live) {
        (Some(l), Some(s)) => Some(LiveView {
            url: l.url.clone(),
            api_base: s.api_base,
            pages: s.pages,
            records: s.records,
            live_fingerprint: s.live_fingerprint,
        }),
        _ => None,
    };
    let mut loaded = Loaded::from_stream(
        generation,
        paths,
        inv.report,
        inv.timeline,
        live_view,
        inv.verify_urls,
        cancel,
    )?;
    loaded.live_copies = inv.live_copies;
    loaded.identities = identities;
    loaded.zones = inv.zones;
    Ok(loaded)
}

/// What the reports show of the case's timeline: its summary, the first
/// [`trailproof_report::TIMELINE_ROWS`] notable entries (gaps, flagged events, integrity
/// problems; [`Loaded::notable`]) rebuilt from the compact store, and the count of all of them.
/// The reports' bytes are those of the whole timeline; memory holds a few hundred events, not
/// the case.
pub fn report_excerpt(case: &Loaded) -> TimelineExcerpt<'_> {
    let mut listed = Vec::new();
    let mut notable = 0usize;
    for i in case.notable() {
        if listed.len() < trailproof_report::TIMELINE_ROWS {
            // An entry the store cannot rebuild is neither listed nor counted.
            if let Some(event) = case.event(i) {
                listed.push(event);
                notable += 1;
            }
        } else {
            notable += 1;
        }
    }
    TimelineExcerpt::new(case.summary(), listed, notable)
}

/// The bytes of the verification report in `format`.
/// Runs the known-answer suite compiled into this build (`trailproof selftest`'s) and names the
/// executable that ran it by its SHA-256.
pub fn selftest() -> SelfTestRun {
    let started = std::time::Instant::now();
    let checks = trailproof_selftest::run();
    let seconds = started.elapsed().as_secs_f64();
    let exe = trailproof_selftest::executable();
    let checks_passed = checks.iter().filter(|c| c.passed).count() as u32;
    SelfTestRun {
        version_line: trailproof_provenance::BUILD.version_line("trailproof-app"),
        executable: exe.path,
        sha256: exe.sha256,
        passed: checks_passed as usize == checks.len(),
        checks_total: checks.len() as u32,
        checks_passed,
        seconds,
        checks: checks
            .into_iter()
            .map(|c| SelfTestCheck {
                name: c.name,
                passed: c.passed,
                expected: c.expected,
                got: c.got,
            })
            .collect(),
    }
}

/// The checkpoint of the case: the chain head of every tenant it verified, its inputs with their
/// SHA-256, the tool and the verdict, byte for byte what `trailproof verify --checkpoint-out`
/// writes for the same evidence.
pub fn checkpoint_bytes(case: &Loaded) -> Vec<u8> {
    trailproof_core::checkpoint::Checkpoint::of_report(&case.report)
        .to_json()
        .into_bytes()
}

pub fn report_bytes(case: &Loaded, format: ReportFormat) -> Result<Vec<u8>, AppError> {
    case_report_bytes(case, format, None)
}

/// The bytes of the verification report in `format`, with the case file's section when one is
/// open (`trailproof case report` writes the same).
pub fn case_report_bytes(
    case: &Loaded,
    format: ReportFormat,
    case_file: Option<CaseHandover>,
) -> Result<Vec<u8>, AppError> {
    let format = match format {
        ReportFormat::Html => Format::Html,
        ReportFormat::Pdf => Format::Pdf,
        ReportFormat::Json => Format::Json,
    };
    // The JSON report is the report object alone.
    let excerpt = (format != Format::Json).then(|| report_excerpt(case));
    let with_case;
    let report = match case_file {
        None => &case.report,
        Some(h) => {
            with_case = Report {
                case: Some(h),
                ..case.report.clone()
            };
            &with_case
        }
    };
    trailproof_report::render(format, report, excerpt.as_ref(), &argv(case))
        .map_err(|e| AppError::new(ErrorKind::Save, chain(&e)))
}

/// Entries rebuilt at a time while a timeline is written.
const WRITE_CHUNK: usize = 1024;

fn core_format(format: TimelineFormat) -> output::Format {
    match format {
        TimelineFormat::Timesketch => output::Format::Timesketch,
        TimelineFormat::Csv => output::Format::Csv,
        TimelineFormat::Jsonl => output::Format::Jsonl,
        TimelineFormat::Json => output::Format::Json,
    }
}

/// The case's timeline as a `Timeline` document (`{"events": [...], "summary": {...}}`), its
/// events rebuilt one at a time while serialized.
struct Doc<'a>(&'a Loaded);

struct DocEvents<'a>(&'a Loaded);

impl serde::Serialize for Doc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Timeline", 2)?;
        st.serialize_field("events", &DocEvents(self.0))?;
        st.serialize_field("summary", self.0.summary())?;
        st.end()
    }
}

impl serde::Serialize for DocEvents<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0.events() {
            seq.serialize_element(&e)?;
        }
        seq.end()
    }
}

/// Writes the case's timeline in `format`, entry by entry: the same bytes as
/// [`output::write`] of the whole timeline, in flat memory.
pub fn write_timeline(
    case: &Loaded,
    format: TimelineFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let f = core_format(format);
    if f == output::Format::Json {
        serde_json::to_writer_pretty(&mut *out, &Doc(case))?;
        return writeln!(out);
    }
    // The line formats are a header (CSV only) and one line per entry: the core writes chunks
    // of entries, and the header once.
    let mut tl = Timeline {
        events: Vec::new(),
        summary: case.summary().clone(),
    };
    let mut buf = Vec::new();
    output::write(&tl, f, &mut buf)?;
    out.write_all(&buf)?;
    let header = buf.len();
    let mut events = case.events().peekable();
    while events.peek().is_some() {
        tl.events.clear();
        tl.events.extend(events.by_ref().take(WRITE_CHUNK));
        buf.clear();
        output::write(&tl, f, &mut buf)?;
        out.write_all(&buf[header.min(buf.len())..])?;
    }
    Ok(())
}

/// The bytes of the timeline in `format`.
pub fn timeline_bytes(case: &Loaded, format: TimelineFormat) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    write_timeline(case, format, &mut out)
        .map_err(|e| AppError::new(ErrorKind::Save, e.to_string()))?;
    Ok(out)
}

/// Writes the timeline in `format` to `path` as it is produced (through a temporary file
/// beside it, renamed into place); the SHA-256 is of the bytes written, read back.
pub fn save_timeline(
    path: &Path,
    case: &Loaded,
    format: TimelineFormat,
) -> Result<Saved, AppError> {
    save_with(path, |w| write_timeline(case, format, w))
}

/// Like [`save_timeline`], with the open case file's annotations on the events and its analyst
/// events among them (Timesketch, CSV, JSON Lines; the JSON document stays the timeline alone).
pub fn save_case_timeline(
    path: &Path,
    case: &Loaded,
    format: TimelineFormat,
    case_file: &CaseHandover,
) -> Result<Saved, AppError> {
    use trailproof_casefile::export::{write_timeline as write_annotated, ExportFormat};
    let f = match format {
        TimelineFormat::Timesketch => ExportFormat::Timesketch,
        TimelineFormat::Csv => ExportFormat::Csv,
        TimelineFormat::Jsonl => ExportFormat::Jsonl,
        TimelineFormat::Json => return save_timeline(path, case, format),
    };
    save_with(path, |w| {
        write_annotated(case.events().map(Ok), case_file, f, false, w)
    })
}

/// The command a report names: the app and the evidence it opened.
fn argv(case: &Loaded) -> Vec<String> {
    let mut v = vec!["trailproof-app".to_string()];
    v.extend(case.paths.iter().map(|p| p.to_string_lossy().into_owned()));
    if let Some(l) = &case.live {
        v.push("--live".into());
        v.push(l.url.clone());
    }
    v
}

/// Refuses a save path that is one of the case's evidence files (or the `-wal` or `-journal`
/// beside one), or the open case file: the save dialog lets the user pick any file, and the
/// rename that puts an export in place would replace the evidence it was made from.
pub fn refuse_evidence(
    path: &Path,
    case: &Loaded,
    case_file: Option<String>,
) -> Result<(), AppError> {
    let mut files = case.paths.clone();
    files.extend(case_file.map(PathBuf::from));
    trailproof_engine::outputs::refuse_evidence(path, &files)
        .map_err(|e| AppError::new(ErrorKind::Save, e.to_string()))
}

/// Writes `bytes` to `path` (through a temporary file beside it, renamed into place).
pub fn save(path: &Path, bytes: &[u8]) -> Result<Saved, AppError> {
    let saved = save_with(path, |w| w.write_all(bytes))?;
    debug_assert_eq!(saved.sha256, hex(&sha256(bytes)));
    Ok(saved)
}

/// Writes what `write` produces to `path` (through a temporary file beside it, renamed into
/// place), and the size and SHA-256 of what was written (read back from the temporary file,
/// so no copy of the output is held in memory).
pub fn save_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<Saved, AppError> {
    let err = |e: std::io::Error| {
        AppError::new(
            ErrorKind::Save,
            format!("{}: cannot write: {e}", path.display()),
        )
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(Path::new("."))).map_err(err)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file());
        write(&mut w).map_err(err)?;
        w.flush().map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    let digest = trailproof_ingest::hashing::digest_file(tmp.path())
        .map_err(|e| AppError::new(ErrorKind::Save, chain(&e)))?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(Saved {
        path: path.to_string_lossy().into_owned(),
        bytes: digest.size,
        sha256: digest.sha256,
    })
}
