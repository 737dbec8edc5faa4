//! The files step of an investigation: every evidence file verified as one case, with an
//! optional timeline collector fed in the same pass.
//!
//! Order: every file is sniffed by content first (an unreadable file stops the run before any
//! work, exit 2); export payloads and PDFs are verified next, so their chain heads and records
//! anchor the dumps; then each dump streams through the core in batches, in three stages
//! ([`crate::stages`]): a reader thread parses batches, a checking thread per core canonicalizes
//! and hashes one batch each, and the calling thread absorbs them in input order.
//!
//! Invariants: each input is read once for both the case and the timeline ([`build_case_with`]);
//! sources are named in the collector as in the report (exports first, then dumps in the order
//! given); a cancel flag set between batches stops the run with [`IngestError::Cancelled`].
//! The entry point callers use is [`Investigation`](crate::Investigation); this module is public
//! for tests that need the case itself or a collector of their own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use trailproof_core::case::{Case, ReadAgain, Reread};
use trailproof_core::checkpoint::Checkpoint;
use trailproof_core::export::{payload_refused, verify_payload, verify_payload_bytes};
use trailproof_core::payload::Payload;
use trailproof_core::record;
use trailproof_core::report::InputInfo;
use trailproof_core::timeline::collector::Collector;
use trailproof_core::timeline::sighting::Sighting;

use crate::stages::{self, Panicked};
use crate::zones::{FileZones, Zones};

use trailproof_ingest::detect::{open_records, sniff};
use trailproof_ingest::hashing::ReadMode;
use trailproof_ingest::recovery::SqliteEvidence;
use trailproof_ingest::resume::Mark;
use trailproof_ingest::sqlite::SqliteSource;
use trailproof_ingest::{pdf, Digested, IngestError, InputKind, Location, RawData, RawRecord};

/// Records handed to the core at a time.
pub const BATCH: usize = 4096;

/// What a progress display says of an input read again ([`Progress::read_again`]), the same in
/// the CLI and the app.
pub const READ_AGAIN: &str = "read again: a record out of seq order";

/// Progress of a run, reported from the thread that runs it.
pub trait Progress: Sync {
    /// A new input starts; `total` is its size in bytes when known.
    fn input(&self, _path: &Path, _kind: InputKind, _total: Option<u64>) {}
    /// `bytes` of the current input were read and `records` records absorbed so far.
    fn advance(&self, _bytes: u64, _records: u64) {}
    /// The current input is done.
    fn input_done(&self) {}
    /// The input just read is read again from its start (a record arrived out of seq order
    /// after its chains' entries were dropped to keep memory flat): [`Progress::advance`] then
    /// reports that second read, before the input is done.
    fn read_again(&self, _path: &Path, _kind: InputKind, _total: Option<u64>) {}
}

/// A [`Progress`] that reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Options of a run.
pub struct RunOptions<'a> {
    pub progress: &'a dyn Progress,
    /// Set to stop the run between batches ([`IngestError::Cancelled`]).
    pub cancel: Option<&'a AtomicBool>,
    /// Search SQLite files for earlier and deleted versions of records (SPEC section 10).
    pub recover: bool,
    /// Keep where each dump's records lie ([`Zones`]), for reading a record back later.
    pub zones: bool,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            progress: &NoProgress,
            cancel: None,
            recover: true,
            zones: false,
        }
    }
}

/// The display name of a path in reports: as the user gave it.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Sniffs every file, then verifies them as one case; returns the case before its report is
/// built (so callers can add live findings).
pub fn build_case(paths: &[PathBuf], opts: &RunOptions) -> Result<Case, IngestError> {
    build_case_with(paths, opts, None)
}

/// Like [`build_case`], and when given a timeline collector, hands it every record of every
/// file in the same pass: the exports' records (from the case's export anchors, so a payload is
/// not read twice) first, then each dump's records as they are checked (a dump is read once).
/// Sources are named in the collector as in the report: exports first, then dumps in the order
/// of `paths`.
pub fn build_case_with(
    paths: &[PathBuf],
    opts: &RunOptions,
    col: Option<&mut Collector>,
) -> Result<Case, IngestError> {
    build_case_zoned(paths, opts, None, col, &mut Vec::new())
}

/// Like [`build_case_with`], and when `opts.zones` is set, adds the [`Zones`] of every dump
/// but SQLite files (looked up by their rows) to `zones`. A caller that knows how many record
/// sources it adds to the case after the files (a live check) says so in `sources_after`.
pub(crate) fn build_case_zoned(
    paths: &[PathBuf],
    opts: &RunOptions,
    sources_after: Option<usize>,
    mut col: Option<&mut Collector>,
    zones: &mut Vec<FileZones>,
) -> Result<Case, IngestError> {
    let mut kinds = Vec::with_capacity(paths.len());
    for p in paths {
        kinds.push((p.clone(), sniff(p)?));
    }
    let is_export = |k: &InputKind| {
        matches!(
            k,
            InputKind::ExportJson | InputKind::ExportPdf | InputKind::Checkpoint
        )
    };
    // Exports and checkpoints first: they anchor the dumps.
    kinds.sort_by_key(|(_, k)| !is_export(k));
    let mut case = Case::new();
    // The caller that knows what it adds after the files declares every record source, so
    // that the one source of a case keeps no cross-source index.
    if let Some(after) = sources_after {
        let dumps = kinds.iter().filter(|(_, k)| !is_export(k)).count();
        case.expect_record_sources(dumps + after);
    }
    let mut exports_collected = false;
    for (path, kind) in &kinds {
        check_cancel(opts)?;
        if !is_export(kind) && !exports_collected {
            if let Some(col) = col.as_deref_mut() {
                collect_exports(&case, col);
            }
            exports_collected = true;
        }
        opts.progress.input(path, *kind, None);
        match kind {
            InputKind::ExportJson => add_export_json(&mut case, path)?,
            InputKind::ExportPdf => add_export_pdf(&mut case, path, opts.recover)?,
            InputKind::Checkpoint => add_checkpoint(&mut case, path)?,
            _ => {
                let z = add_records(&mut case, path, *kind, opts, col.as_deref_mut())?;
                if let Some(zones_of_file) = z {
                    zones.push(FileZones {
                        path: path.clone(),
                        kind: *kind,
                        zones: zones_of_file,
                    });
                }
            }
        }
        opts.progress.input_done();
    }
    if !exports_collected {
        if let Some(col) = col {
            collect_exports(&case, col);
        }
    }
    Ok(case)
}

/// Hands the records of the case's exports to `col`.
fn collect_exports(case: &Case, col: &mut Collector) {
    let mut buf = Vec::with_capacity(2048);
    for a in case.exports() {
        let src = col.source(&a.input);
        for (i, rec) in a.records.values().enumerate() {
            let c = record::check(
                RawRecord {
                    loc: Location::Index(i as u64),
                    data: RawData::Value(rec.value()),
                },
                &mut buf,
            );
            col.add(src, &c);
        }
    }
}

fn check_cancel(opts: &RunOptions) -> Result<(), IngestError> {
    if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        Err(IngestError::Cancelled)
    } else {
        Ok(())
    }
}

fn add_export_json(case: &mut Case, path: &Path) -> Result<(), IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = display(path);
    // Parsed as it is read and hashed (records kept as canonical bytes: the text is never held
    // whole). A refused payload is read again whole, so that the report places the refusal as
    // the bytes parser does, and its digest is of those bytes.
    let (mut reader, _) = trailproof_ingest::hashing::open_hashed(path)?;
    let (r, d) = match Payload::from_reader(&mut reader) {
        Ok(payload) => (
            verify_payload(&name, &payload),
            reader.finish().map_err(io)?,
        ),
        Err(_) => {
            let bytes = std::fs::read(path).map_err(io)?;
            let d = Digested {
                size: bytes.len() as u64,
                sha256: trailproof_core::record::hex(&trailproof_core::record::sha256(&bytes)),
            };
            (verify_payload_bytes(&name, &bytes), d)
        }
    };
    case.add_export(
        InputInfo {
            path: name,
            kind: InputKind::ExportJson.as_str().into(),
            size: d.size,
            sha256: d.sha256,
            records: 0,
        },
        r,
    );
    Ok(())
}

/// A checkpoint file: its chain heads anchor the dumps read after it.
fn add_checkpoint(case: &mut Case, path: &Path) -> Result<(), IngestError> {
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let checkpoint = Checkpoint::parse(&bytes).map_err(|e| {
        let line = Checkpoint::line_of(&bytes, &e) as u64;
        IngestError::malformed(path, Location::Line(line), e.to_string())
    })?;
    case.add_checkpoint(
        InputInfo {
            path: display(path),
            kind: InputKind::Checkpoint.as_str().into(),
            size: bytes.len() as u64,
            sha256: trailproof_core::record::hex(&trailproof_core::record::sha256(&bytes)),
            records: 0,
        },
        &checkpoint,
    );
    Ok(())
}

/// An export PDF: its last revision verified as an export; with `recover`, the records its
/// earlier revisions held and the last one no longer does are graded against the whole case
/// (see [`Case::add_recovered`]). What each update changed is said either way.
fn add_export_pdf(case: &mut Case, path: &Path, recover: bool) -> Result<(), IngestError> {
    let name = display(path);
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // The payload is parsed once and verified on one core while the pages are read on another;
    // once parsed, its bytes are freed (the parsed payload keeps each record as canonical bytes).
    // A payload that is not strict JSON goes through `verify_payload_bytes`, which parses it
    // again to report where it fails, and its bytes stay for the checks that quote them.
    let (mut ev, verified) = pdf::read_pdf_bytes_with(path, &bytes, |payload| {
        let parsed = Payload::from_reader(payload.reader()?);
        Some(match parsed {
            Ok(v) => {
                payload.release();
                let r = verify_payload(&name, &v);
                (Some(v), r)
            }
            // Refused: parsed again from the bytes, whose positions the report gives (a reader
            // may stop one column further), and the bytes stay for the checks that quote them.
            Err(refused) => match payload.bytes() {
                Ok(Some(bytes)) => (None, verify_payload_bytes(&name, bytes)),
                Ok(None) | Err(_) => (None, payload_refused(&name, &refused)),
            },
        })
    })?;
    let info = InputInfo {
        path: name.clone(),
        kind: InputKind::ExportPdf.as_str().into(),
        size: ev.digest.size,
        sha256: ev.digest.sha256.clone(),
        records: 0,
    };
    let (payload, verified) = match verified {
        Some((payload, r)) => (payload, Some(r)),
        None => (None, None),
    };
    let (earlier, skipped) = pdf::read_earlier(path, &bytes, &ev);
    drop(bytes);
    ev.updates = pdf::describe_updates(&ev, &earlier, skipped, payload.as_ref());
    let (copies, printed) = if recover {
        (
            pdf::recovered_copies(&ev, &earlier, payload.as_ref(), &name),
            pdf::printed_commitments(&ev, &earlier),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let (findings, checks) = pdf::cross_check(&ev, payload.as_ref(), &name);
    match verified {
        Some(r) => case.add_export(info, r),
        None => case.add_input(info),
    }
    case.add(findings, checks);
    case.add_recovered(copies);
    for (tenant, seq, hash) in printed {
        case.add_commitment(&tenant, seq, hash);
    }
    Ok(())
}

/// Reads one dump into the case (and the collector); returns its zones when `opts.zones` asks
/// for them and it is not a SQLite file.
fn add_records(
    case: &mut Case,
    path: &Path,
    kind: InputKind,
    opts: &RunOptions,
    col: Option<&mut Collector>,
) -> Result<Option<Zones>, IngestError> {
    let name = display(path);
    let sqlite = match kind {
        InputKind::Sqlite => Some(SqliteEvidence::prepare(path, &name, opts.recover)?),
        _ => None,
    };
    let mut src = match &sqlite {
        Some(evidence) => evidence.open_records(ReadMode::Verify)?,
        None => open_records(path, kind)?,
    };
    let total = src.total_bytes();
    opts.progress.input(path, kind, total);
    let mut run = case.source(&name, kind.as_str());
    run.set_reread(reread(path, kind, sqlite.as_ref()));
    let mut col = col.map(|c| {
        let id = c.source(&name);
        (c, id)
    });
    let mut zones = (opts.zones && kind != InputKind::Sqlite).then(Zones::default);
    // Three stages ([`crate::stages`]): a reader thread parses batches, a checking thread per
    // core canonicalizes and hashes one batch each, and this thread absorbs them in input order.
    let checker = run.checker();
    let sighting_of = col.as_ref().map(|(_, id)| *id);
    // The timeline sees every record; without one, only what the case compares.
    let every = sighting_of.is_some();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut cancelled = false;
    let produce = |hand: &mut dyn FnMut((Vec<RawRecord>, u64, Option<Mark>)) -> bool| {
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            let mark = src.mark();
            let more = src.next_batch(&mut batch, BATCH)?;
            let bytes = src.bytes_read();
            if !batch.is_empty() && !hand((batch, bytes, mark)) {
                break;
            }
            if !more {
                break;
            }
        }
        src.digest()
    };
    let check = |(batch, bytes, mark): (Vec<RawRecord>, u64, Option<Mark>)| {
        let checked =
            checker.check_here(batch, every, |c| sighting_of.map(|id| Sighting::of(id, c)));
        (checked, bytes, mark)
    };
    let absorb = |(checked, bytes, mark): (Vec<_>, u64, Option<Mark>)| {
        if check_cancel(opts).is_err() {
            cancelled = true;
            return false;
        }
        if let Some(z) = zones.as_mut() {
            z.start(mark, checked.len());
        }
        run.absorb_checked(checked, |c, sighting| {
            if let Some(z) = zones.as_mut() {
                z.note(c);
            }
            if let (Some((col, _)), Some(s)) = (col.as_mut(), sighting) {
                col.add_sighting(c, s);
            }
        });
        opts.progress.advance(bytes, run.records());
        true
    };
    // A thread that panicked would leave the source short: that is an error, never fewer
    // records.
    let digest = stages::run(workers, produce, check, absorb).map_err(|p| {
        let stage = match p {
            Panicked::Producer => "the reader thread panicked",
            Panicked::Checker => "a checking thread panicked",
        };
        IngestError::malformed(path, Location::Reader, stage)
    })?;
    if cancelled {
        return Err(IngestError::Cancelled);
    }
    let digest = digest?;
    case.finish_source_reporting(run, digest.size, digest.sha256, &mut |r| match r {
        ReadAgain::Started => opts.progress.read_again(path, kind, total),
        ReadAgain::Advanced { bytes, records } => opts.progress.advance(bytes, records),
    });
    if let Some(mut evidence) = sqlite {
        let findings = evidence.findings(case, &name)?;
        case.add(findings, evidence.checks());
    }
    Ok(zones)
}

/// Reads a dump again (cross-source reconciliation's second pass: only when it disagrees with
/// another source), batch by batch, returning the SHA-256 of the bytes read.
/// A SQLite file is read from the same state as the first time (its private copy, kept alive
/// by the closure).
fn reread(path: &Path, kind: InputKind, sqlite: Option<&SqliteEvidence>) -> Reread {
    let path = path.to_path_buf();
    let state = sqlite.map(SqliteEvidence::state);
    Box::new(move |sink: &mut dyn FnMut(Vec<RawRecord>, u64)| {
        let mut src = match &state {
            Some((path, state, _private)) => {
                SqliteSource::open_state(path, state, ReadMode::Verify)
                    .map(|s| Box::new(s) as Box<dyn trailproof_ingest::RecordSource>)
            }
            None => open_records(&path, kind),
        }
        .map_err(|e| e.to_string())?;
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            let more = src
                .next_batch(&mut batch, BATCH)
                .map_err(|e| e.to_string())?;
            if !batch.is_empty() {
                sink(batch, src.bytes_read());
            }
            if !more {
                break;
            }
        }
        Ok(src.digest().map_err(|e| e.to_string())?.sha256)
    })
}
