//! Export PDF reader (AEF/1 section 6).
//!
//! An export PDF carries its evidence twice: as text people read, and as the embedded file
//! `audit-export.json` machines verify. [`read_pdf`] extracts both, plus what tells whether the
//! file was changed after it was produced (its revisions), and [`cross_check`] compares what
//! people see with what the payload says.
//!
//! Invariants:
//! * the file is read once, into memory; digest, revision walk and parsing all use those bytes;
//! * the embedded payload is decoded before the pages are read, so that [`read_pdf_with`] can
//!   hand it to the caller's work (the verifier parses and checks it) on a thread of its own,
//!   beside the file digest, while this thread reads the pages;
//! * nothing is decrypted: an encrypted PDF is an [`IngestError`], as is a damaged or non-PDF
//!   file, naming the file and the place ("byte offset N", "object N 0", "page N");
//! * every decoded stream goes through a bounded decoder (per stream and per document, see
//!   `decode`), including object streams that lopdf would otherwise inflate without limit;
//! * visible text is read by our own content-stream interpreter (Form XObjects included), and
//!   text that cannot be decoded is recorded in [`PdfEvidence::text_problems`], never dropped;
//! * revisions are read from the raw `startxref` / `/Prev` chain, independently of lopdf, which
//!   merges all revisions on load;
//! * no input-derived data is `unwrap`ped; recursion (name trees, forms, objects) is bounded.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use lopdf::{Document, Object, ObjectId};
use trailproof_core::record::{hex, sha256};

use crate::{Digested, IngestError, Location};

mod content;
mod cross;
mod decode;
mod earlier;
mod fonts;
mod glyphs;
mod revisions;
mod std14;
mod syntax;
mod visible;

pub use content::TextLine;
pub use cross::cross_check;
pub use earlier::{
    describe_updates, printed_commitments, read_earlier, recovered_copies, EarlierRevision,
    RevisionState, MAX_EARLIER,
};

use decode::Budget;
use fonts::{deref, get};

/// Name of the embedded payload (SPEC section 6).
pub const PAYLOAD_NAME: &str = "audit-export.json";

/// A value read from a page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Located {
    pub value: String,
    pub page: usize,
}

/// The header lines: `Tenant:`, `Exported at:`, `Exported by:`, `Filters:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VisibleHeader {
    pub tenant: Option<Located>,
    pub exported_at: Option<Located>,
    pub exported_by: Option<Located>,
    pub filters: Option<Located>,
}

/// One table row as printed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VisibleRow {
    pub seq: u64,
    pub timestamp: String,
    pub action: String,
    pub severity: String,
    pub actor_user_id: String,
    pub outcome: String,
    /// First 16 hex digits of the record's hash, as printed.
    pub hash_prefix: String,
    pub page: usize,
}

/// `Chain head: seq <n> hash <hex>` as printed (`seq` and `hash` empty when the line does not
/// have that form; `text` is everything after the label).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VisibleChainHead {
    pub text: String,
    pub seq: String,
    pub hash: String,
    pub page: usize,
}

/// The integrity section.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VisibleIntegrity {
    pub records: Option<Located>,
    pub fingerprint: Option<Located>,
    pub chain_head: Option<VisibleChainHead>,
    pub verification_url: Option<Located>,
}

/// One revision of the file: the original (index 0) or an incremental update.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revision {
    /// Byte offsets of this revision's cross-reference section(s).
    pub xref_offsets: Vec<usize>,
    /// Whether the section is an xref stream (else a classic table).
    pub xref_stream: bool,
    /// Object numbers new in this revision.
    pub added: Vec<u32>,
    /// Object numbers this revision gave a new body.
    pub replaced: Vec<u32>,
    /// Object numbers this revision freed.
    pub freed: Vec<u32>,
    /// Among added/replaced/freed: the embedded payload's objects (filespec, stream).
    pub touches_attachment: bool,
    /// Among added/replaced/freed: page objects, content streams or Form XObjects.
    pub touches_page_content: bool,
}

/// Everything read from an export PDF.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PdfEvidence {
    pub digest: Digested,
    /// Decoded bytes of the embedded `audit-export.json`.
    #[serde(skip)]
    pub payload: Option<Vec<u8>>,
    /// Where the payload was found: "/EmbeddedFiles name tree" or "catalog /AF".
    pub payload_source: Option<String>,
    /// Oddities about the attachment (listed twice with different content, ...).
    pub attachment_notes: Vec<String>,
    pub pages: usize,
    pub header: VisibleHeader,
    pub rows: Vec<VisibleRow>,
    pub integrity: VisibleIntegrity,
    /// `/URI` link annotations: (page, URI).
    pub link_uris: Vec<(usize, String)>,
    /// URLs printed in page footers after `Verify:`: (page, URL).
    pub footer_urls: Vec<(usize, String)>,
    /// Oldest first; more than one means the file was updated after it was produced.
    pub revisions: Vec<Revision>,
    /// What each update changed, record by record ([`describe_updates`]), when the caller read
    /// the earlier revisions ([`read_earlier`]); the `revisions` check then says it.
    pub updates: Vec<String>,
    /// Text that could not be decoded, each naming its page.
    pub text_problems: Vec<String>,
}

thread_local! {
    /// Object-stream bytes inflated so far by the current load (one thread, see `load`).
    static OBJSTM_USED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

const REFUSED_KEY: &[u8] = b"TrailproofRefused";

/// lopdf filter: inflate object streams ourselves, within bounds, before lopdf does.
fn objstm_filter(id: (u32, u16), obj: &mut Object) -> Option<((u32, u16), Object)> {
    if let Object::Stream(s) = obj {
        if s.dict.type_is(b"ObjStm") && s.dict.has(b"Filter") {
            let used = OBJSTM_USED.with(|c| c.get());
            let allowance = decode::MAX_DOCUMENT.saturating_sub(used);
            let mut budget = Budget::new(decode::MAX_STREAM, allowance);
            match budget.decode(s) {
                Ok(data) => {
                    OBJSTM_USED.with(|c| c.set(used + data.len() as u64));
                    s.set_plain_content(data);
                }
                Err(e) => {
                    s.set_plain_content(Vec::new());
                    s.dict
                        .set(REFUSED_KEY, Object::string_literal(e.to_string()));
                }
            }
        }
        // Streams are never inside object streams; lopdf ignores this return value here.
        return Some((id, Object::Null));
    }
    Some((id, obj.clone()))
}

fn load(bytes: &[u8]) -> Result<Document, lopdf::Error> {
    let run = || {
        OBJSTM_USED.with(|c| c.set(0));
        lopdf::Reader {
            buffer: bytes,
            document: Document::new(),
        }
        .read(Some(objstm_filter))
    };
    // One worker thread, so that lopdf's parallel object parsing runs where the thread-local
    // object-stream budget lives (and leaves the other cores to other work).
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

fn text_string(o: &Object) -> Option<String> {
    match o {
        Object::String(b, _) => Some(if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
            let units: Vec<u16> = rest
                .chunks(2)
                .map(|c| (u16::from(c[0]) << 8) | u16::from(c.get(1).copied().unwrap_or(0)))
                .collect();
            String::from_utf16_lossy(&units)
        } else if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            String::from_utf8_lossy(rest).into_owned()
        } else {
            b.iter().map(|&c| char::from(c)).collect()
        }),
        _ => None,
    }
}

fn object_location(id: ObjectId) -> Location {
    Location::Object {
        number: id.0,
        generation: id.1,
    }
}

/// Collects (name, filespec) pairs of a name tree, bounded in depth and size.
fn walk_name_tree<'a>(
    doc: &'a Document,
    node: &'a Object,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<(String, &'a Object)>,
) {
    if depth > 16 || out.len() > 10_000 {
        return;
    }
    if let Object::Reference(id) = node {
        if !seen.insert(*id) {
            return;
        }
    }
    let Object::Dictionary(d) = deref(doc, node) else {
        return;
    };
    if let Some(Object::Array(names)) = get(doc, d, b"Names") {
        for pair in names.chunks(2) {
            if let [k, v] = pair {
                if let Some(name) = text_string(deref(doc, k)) {
                    out.push((name, v));
                }
            }
        }
    }
    if let Some(Object::Array(kids)) = get(doc, d, b"Kids") {
        for k in kids {
            walk_name_tree(doc, k, depth + 1, seen, out);
        }
    }
}

struct Attachment {
    stream: ObjectId,
    objects: Vec<u32>,
}

/// The embedded-file stream of a filespec named `audit-export.json`, if this is one.
fn payload_stream(
    doc: &Document,
    filespec: &Object,
    tree_name: Option<&str>,
) -> Option<Attachment> {
    let mut objects = Vec::new();
    if let Object::Reference(id) = filespec {
        objects.push(id.0);
    }
    let Object::Dictionary(fs) = deref(doc, filespec) else {
        return None;
    };
    let names: Vec<String> = [b"UF".as_slice(), b"F"]
        .iter()
        .filter_map(|k| get(doc, fs, k).and_then(text_string))
        .collect();
    let named = tree_name == Some(PAYLOAD_NAME) || names.iter().any(|n| n == PAYLOAD_NAME);
    if !named {
        return None;
    }
    let ef_obj = fs.get(b"EF").ok()?;
    if let Object::Reference(id) = ef_obj {
        objects.push(id.0);
    }
    let Object::Dictionary(ef) = deref(doc, ef_obj) else {
        return None;
    };
    for key in [b"F".as_slice(), b"UF"] {
        if let Ok(Object::Reference(id)) = ef.get(key) {
            if matches!(doc.get_object(*id), Ok(Object::Stream(_))) {
                objects.push(id.0);
                return Some(Attachment {
                    stream: *id,
                    objects,
                });
            }
        }
    }
    None
}

/// The embedded payload as [`read_pdf_with`]'s caller receives it.
pub struct EmbeddedPayload<'a> {
    data: Embedded<'a>,
}

enum Embedded<'a> {
    Absent,
    /// Decoded already (a filter chain, a predictor, raw deflate, a truncated end).
    Bytes(Vec<u8>),
    /// A zlib stream measured at this many decoded bytes, inflated as it is read.
    Deflated(&'a [u8], u64),
    /// Released by the caller: the evidence holds no bytes.
    Released,
}

impl EmbeddedPayload<'_> {
    fn absent() -> Self {
        EmbeddedPayload {
            data: Embedded::Absent,
        }
    }

    /// Whether the PDF embeds a payload (and it was not released).
    pub fn is_present(&self) -> bool {
        matches!(self.data, Embedded::Bytes(_) | Embedded::Deflated(..))
    }

    /// The payload's decoded bytes as a reader (inflating as it is read when it can).
    pub fn reader(&self) -> Option<Box<dyn std::io::Read + '_>> {
        match &self.data {
            Embedded::Bytes(bytes) => Some(Box::new(bytes.as_slice())),
            Embedded::Deflated(data, _) => Some(Box::new(decode::payload_reader(data))),
            Embedded::Absent | Embedded::Released => None,
        }
    }

    /// The payload's decoded bytes, inflated whole if they were not yet.
    pub fn bytes(&mut self) -> Result<Option<&[u8]>, String> {
        if let Embedded::Deflated(data, size) = self.data {
            let bytes = decode::payload_bytes(data, size).map_err(|e| e.to_string())?;
            self.data = Embedded::Bytes(bytes);
        }
        Ok(match &self.data {
            Embedded::Bytes(bytes) => Some(bytes.as_slice()),
            _ => None,
        })
    }

    /// Frees the payload: the evidence's `payload` will be `None`.
    pub fn release(&mut self) {
        if self.is_present() {
            self.data = Embedded::Released;
        }
    }

    /// The bytes for [`PdfEvidence::payload`].
    fn into_bytes(mut self) -> Result<Option<Vec<u8>>, String> {
        self.bytes()?;
        Ok(match self.data {
            Embedded::Bytes(bytes) => Some(bytes),
            _ => None,
        })
    }
}

/// Reads an export PDF. See the module docs for what is guaranteed.
pub fn read_pdf(path: &Path) -> Result<PdfEvidence, IngestError> {
    read_pdf_with(path, |_| ()).map(|(ev, ())| ev)
}

/// [`read_pdf`] that also runs `on_payload` on the embedded payload's bytes (`None` without
/// one) on a thread of its own while the pages are read, and returns its result: verifying the
/// payload costs about as much as reading the pages, and neither needs the other.
///
/// `on_payload` reads the payload through [`EmbeddedPayload`], as it inflates or as bytes, and
/// may [`release`](EmbeddedPayload::release) it once parsed, so that the whole text is never
/// held (87 MB for a 100k-record export); the evidence's `payload` is then `None`, and the
/// caller hands its parsed payload to [`cross_check`] and [`describe_updates`], which prefer it
/// to the bytes. Otherwise the evidence holds the payload's bytes, as [`read_pdf`]'s does.
pub fn read_pdf_with<R: Send>(
    path: &Path,
    on_payload: impl FnOnce(&mut EmbeddedPayload<'_>) -> R + Send,
) -> Result<(PdfEvidence, R), IngestError> {
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_pdf_bytes_with(path, &bytes, on_payload)
}

/// [`read_pdf`] on bytes already in memory (`path` is used in messages only).
pub fn read_pdf_bytes(path: &Path, bytes: &[u8]) -> Result<PdfEvidence, IngestError> {
    read_pdf_bytes_with(path, bytes, |_| ()).map(|(ev, ())| ev)
}

/// [`read_pdf_with`] on bytes already in memory.
pub fn read_pdf_bytes_with<R: Send>(
    path: &Path,
    bytes: &[u8],
    on_payload: impl FnOnce(&mut EmbeddedPayload<'_>) -> R + Send,
) -> Result<(PdfEvidence, R), IngestError> {
    let bad = |location: Location, message: String| IngestError::malformed(path, location, message);
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(bad(
            Location::Byte(0),
            "not a PDF: no %PDF- header in the first 1024 bytes".into(),
        ));
    }
    let mut budget = Budget::new(decode::MAX_STREAM, decode::MAX_DOCUMENT);
    let chain = revisions::read_chain(bytes, &mut budget).map_err(|error| {
        bad(
            Location::Byte(error.offset as u64),
            format!("damaged PDF: {error}"),
        )
    })?;
    if chain.encrypted {
        return Err(bad(
            Location::Trailer,
            "the PDF is encrypted (/Encrypt in its trailer); Trailproof does not decrypt evidence: \
             obtain the export without encryption"
                .into(),
        ));
    }
    let doc = load(bytes).map_err(|e| {
        let loc = match &e {
            lopdf::Error::Offset(offset) => Location::Byte(*offset as u64),
            lopdf::Error::Header => Location::Byte(0),
            _ => Location::Byte(
                chain
                    .revisions
                    .last()
                    .and_then(|r| r.xref_offsets.first())
                    .copied()
                    .unwrap_or(0) as u64,
            ),
        };
        bad(loc, format!("damaged PDF: {e}"))
    })?;
    for (id, o) in &doc.objects {
        if let Object::Stream(s) = o {
            if let Some(reason) = s.dict.get(REFUSED_KEY).ok().and_then(text_string) {
                return Err(bad(
                    object_location(*id),
                    format!("object stream refused: {reason}"),
                ));
            }
        }
    }
    if doc.trailer.has(b"Encrypt") {
        return Err(bad(
            Location::Trailer,
            "the PDF is encrypted (/Encrypt in its trailer); Trailproof does not decrypt evidence"
                .into(),
        ));
    }
    let catalog = doc.catalog().map_err(|e| {
        bad(
            Location::Trailer,
            format!("damaged PDF: no document catalog (/Root): {e}"),
        )
    })?;

    // The embedded payload.
    let mut found: Vec<(Attachment, &str)> = Vec::new();
    if let Some(Object::Dictionary(names)) = get(&doc, catalog, b"Names") {
        if let Ok(ef) = names.get(b"EmbeddedFiles") {
            let mut entries = Vec::new();
            walk_name_tree(&doc, ef, 0, &mut HashSet::new(), &mut entries);
            for (name, fs) in entries {
                if let Some(a) = payload_stream(&doc, fs, Some(&name)) {
                    found.push((a, "/EmbeddedFiles name tree"));
                }
            }
        }
    }
    if let Some(Object::Array(af)) = get(&doc, catalog, b"AF") {
        for fs in af.iter().take(10_000) {
            if let Some(a) = payload_stream(&doc, fs, None) {
                found.push((a, "catalog /AF"));
            }
        }
    }
    let mut attachment_notes = Vec::new();
    let mut attachment_objects: BTreeSet<u32> = BTreeSet::new();
    let mut payload = EmbeddedPayload::absent();
    let mut payload_digest = None;
    let mut payload_source = None;
    // A PDF/A-3 export lists its payload in the name tree and in /AF: one stream object, decoded
    // once (two copies of a 100k-record payload were 87 MB more at the peak). A plain zlib
    // payload is only measured here (size and digest) and inflated again as the caller parses
    // it, so that its text is never held whole.
    let mut decoded: BTreeSet<ObjectId> = BTreeSet::new();
    for (a, source) in &found {
        attachment_objects.extend(a.objects.iter().copied());
        if !decoded.insert(a.stream) {
            continue;
        }
        let Ok(Object::Stream(s)) = doc.get_object(a.stream) else {
            continue;
        };
        let cannot = |e: decode::DecodeError| {
            bad(
                object_location(a.stream),
                format!("embedded {PAYLOAD_NAME} cannot be decoded: {e}"),
            )
        };
        let (data, digest) = match budget.measure_payload(s).map_err(cannot)? {
            Some((size, digest)) => (Embedded::Deflated(&s.content, size), digest),
            None => {
                let bytes = budget.decode_payload(s).map_err(cannot)?;
                let digest = sha256(&bytes);
                (Embedded::Bytes(bytes), digest)
            }
        };
        match &payload_digest {
            None => {
                payload = EmbeddedPayload { data };
                payload_digest = Some(digest);
                payload_source = Some(source.to_string());
            }
            Some(first) if *first != digest => attachment_notes.push(format!(
                "{PAYLOAD_NAME} in {source} ({}) differs from the one in {}",
                object_location(a.stream),
                payload_source.as_deref().unwrap_or("?")
            )),
            Some(_) => {}
        }
    }
    if let (Some(src), true) = (
        &payload_source,
        found.iter().any(|(_, s)| *s == "catalog /AF"),
    ) {
        if src != "catalog /AF" {
            payload_source = Some(format!("{src} (also in catalog /AF)"));
        }
    }

    // Pages and their text.
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(bad(
            Location::Page(1),
            "damaged PDF: the page tree holds no pages".into(),
        ));
    }
    // The pages are read here while the file digest and the caller's payload work run beside.
    let mut read_pages = || -> Result<_, IngestError> {
        let mut lines = Vec::new();
        let mut link_uris = Vec::new();
        let mut problems: BTreeSet<String> = BTreeSet::new();
        let mut content_objects: BTreeSet<u32> = BTreeSet::new();
        {
            let mut reader = content::PageReader::new(&doc, &mut budget);
            for (&no, &page_id) in &pages {
                let no = no as usize;
                let page_lines = reader
                    .read_page(no, page_id)
                    .map_err(|error| bad(Location::Page(no as u64), error.to_string()))?;
                lines.extend(page_lines);
                if let Ok(page) = doc.get_dictionary(page_id) {
                    if let Some(Object::Array(annots)) = get(&doc, page, b"Annots") {
                        for a in annots {
                            let Object::Dictionary(a) = deref(&doc, a) else {
                                continue;
                            };
                            let Some(Object::Dictionary(action)) = get(&doc, a, b"A") else {
                                continue;
                            };
                            if let Some(uri) = get(&doc, action, b"URI").and_then(text_string) {
                                link_uris.push((no, uri));
                            }
                        }
                    }
                }
            }
            problems.append(&mut reader.problems);
            content_objects.append(&mut reader.content_objects);
        }
        Ok((lines, link_uris, problems, content_objects))
    };
    let (read, digest, payload_result) = std::thread::scope(|s| {
        let digest = s.spawn(|| Digested {
            size: bytes.len() as u64,
            sha256: hex(&sha256(bytes)),
        });
        let done = s.spawn(|| on_payload(&mut payload));
        let read = read_pages();
        let digest = digest
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        let done = done.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (read, digest, done)
    });
    let (lines, link_uris, problems, content_objects) = read?;
    let payload = payload.into_bytes().map_err(|e| {
        bad(
            Location::Payload,
            format!("embedded {PAYLOAD_NAME} cannot be decoded: {e}"),
        )
    })?;
    // Everything needed from the object graph has been read (35 MB for a 100k-record export).
    drop(doc);

    let touches = |d: &revisions::RevisionDelta, set: &BTreeSet<u32>| {
        d.added
            .iter()
            .chain(&d.replaced)
            .chain(&d.freed)
            .any(|n| set.contains(n))
    };
    let revisions = chain
        .revisions
        .iter()
        .map(|d| Revision {
            xref_offsets: d.xref_offsets.clone(),
            xref_stream: d.xref_stream,
            added: d.added.clone(),
            replaced: d.replaced.clone(),
            freed: d.freed.clone(),
            touches_attachment: touches(d, &attachment_objects),
            touches_page_content: touches(d, &content_objects),
        })
        .collect();

    let rows = visible::parse_rows(&lines);
    let (header, integrity, footer_urls) = visible::parse_text(&lines);
    let ev = PdfEvidence {
        digest,
        payload,
        payload_source,
        attachment_notes,
        pages: pages.len(),
        header,
        rows,
        integrity,
        link_uris,
        footer_urls,
        revisions,
        updates: Vec::new(),
        text_problems: problems.into_iter().collect(),
    };
    drop(lines);
    Ok((ev, payload_result))
}
