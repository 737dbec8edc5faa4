//! Structure-aware PDF fuzzing: the input bytes choose an export PDF's parts (records, payload
//! members, page text, fonts, filters, cross-reference offsets, incremental updates), which are
//! serialized into a well-formed file (or one broken in a chosen place) and read as the `pdf`
//! target reads bytes. Byte-level mutation of whole PDFs rarely gets past the cross-reference
//! table; here almost every input does, so the fuzzer spends its time in the payload, the
//! cross-check, the page text and the earlier revisions.
#![no_main]

use std::path::Path;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use trailproof_core::export::verify_payload_bytes;
use trailproof_core::payload::Payload;
use trailproof_ingest::pdf::{
    cross_check, describe_updates, printed_commitments, read_earlier, read_pdf_bytes,
    read_pdf_bytes_with, recovered_copies,
};

const TENANTS: &[&str] = &["acme", "globex", "", "ac\\u00e9me", "a\"b"];
const ACTIONS: &[&str] = &["user.login", "call.whisper", "export.create", "x"];
const SEVERITIES: &[&str] = &["info", "warning", "critical", "CRITICAL", ""];
const TIMESTAMPS: &[&str] = &[
    "2026-04-30T08:09:13.659233275Z",
    "2026-04-30T08:09:13Z",
    "2026-04-30 08:09:13",
    "2026-02-30T25:61:61Z",
    "",
];

fn pick<'a>(u: &mut Unstructured, list: &[&'a str]) -> Result<&'a str> {
    Ok(list[u.choose_index(list.len())?])
}

fn hex(u: &mut Unstructured, n: usize) -> Result<String> {
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(&format!("{:02x}", u.arbitrary::<u8>()?));
    }
    Ok(s)
}

/// A short string from the input, escaped for JSON.
fn text(u: &mut Unstructured) -> Result<String> {
    let len = u.int_in_range(0..=12)?;
    let mut s = String::new();
    for _ in 0..len {
        let c: char = u.arbitrary()?;
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    Ok(s)
}

struct Rec {
    seq: u64,
    tenant: &'static str,
    timestamp: &'static str,
    action: &'static str,
    severity: &'static str,
    actor: String,
    hash: String,
    json: String,
}

fn record(u: &mut Unstructured, seq: u64, prev: &str) -> Result<Rec> {
    let tenant = pick(u, TENANTS)?;
    let timestamp = pick(u, TIMESTAMPS)?;
    let action = pick(u, ACTIONS)?;
    let severity = pick(u, SEVERITIES)?;
    let actor = text(u)?;
    let hash = if u.ratio(1, 4)? { hex(u, 32)? } else { "ab".repeat(32) };
    let prev_hash = if u.ratio(3, 4)? { prev.to_string() } else { hex(u, 32)? };
    let seq_text = match u.int_in_range(0..=9)? {
        0 => format!("{seq}.5"),
        1 => format!("\"{seq}\""),
        2 => "9007199254740993".to_string(),
        _ => seq.to_string(),
    };
    let extra = if u.ratio(1, 3)? {
        format!(", \"metadata\": {{\"k\": \"{}\", \"n\": [1, 2.5, null]}}", text(u)?)
    } else {
        String::new()
    };
    let json = format!(
        "{{\"seq\": {seq_text}, \"event_id\": \"e-{seq}\", \"tenant_id\": \"{tenant}\", \"timestamp\": \"{timestamp}\", \
         \"action\": \"{action}\", \"severity\": \"{severity}\", \"actor_user_id\": \"{actor}\", \"actor_role\": \"agent\", \
         \"outcome\": \"success\", \"prev_hash\": \"{prev_hash}\", \"hash\": \"{hash}\"{extra}}}"
    );
    Ok(Rec { seq, tenant, timestamp, action, severity, actor, hash, json })
}

fn payload(u: &mut Unstructured, recs: &[Rec]) -> Result<Vec<u8>> {
    let tenant = recs.first().map(|r| r.tenant).unwrap_or("acme");
    let fingerprint = if u.ratio(1, 2)? { "cd".repeat(32) } else { hex(u, 32)? };
    let head = recs.last().map(|r| (r.seq, r.hash.clone())).unwrap_or((0, "00".repeat(32)));
    let records: Vec<&str> = recs.iter().map(|r| r.json.as_str()).collect();
    let mut text = format!(
        "{{\n \"format\": \"audit-export/1\",\n \"scope\": {{\"tenant_id\": \"{tenant}\", \"severity\": {}, \"event\": null, \
         \"actor\": null, \"resource_type\": null, \"date_from\": null, \"date_to\": null, \"time_from\": null, \"time_to\": null}},\n \
         \"legacy_search\": {},\n \"exported_at\": \"2026-06-01T00:00:00Z\",\n \"exported_by\": {{\"user_id\": \"{}\"}},\n \
         \"records\": [{}],\n \"record_count\": {},\n \"fingerprint\": \"{fingerprint}\",\n \
         \"chain_head\": {{\"seq\": {}, \"hash\": \"{}\"}},\n \"verify_url\": \"https://audit.example/audit/verify?tenant_id={tenant}&hash={fingerprint}\"\n}}",
        if u.ratio(1, 3)? { "\"critical\"" } else { "null" },
        if u.ratio(1, 8)? { "{\"q\": \"x\", \"field\": \"action\"}" } else { "null" },
        text(u)?,
        records.join(",\n"),
        if u.ratio(7, 8)? { recs.len() } else { u.int_in_range(0..=9)? },
        head.0,
        head.1,
    )
    .into_bytes();
    // Now and then a break in the text itself.
    if !text.is_empty() && u.ratio(1, 16)? {
        let at = u.choose_index(text.len())?;
        text[at] = u.arbitrary()?;
    }
    Ok(text)
}

/// A PDF string literal of `s`.
fn literal(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// One page's content: the header lines, the table (a row per record, cells as separate strings
/// or one string), the integrity section; now and then stray operators.
fn content(u: &mut Unstructured, recs: &[Rec], page: usize) -> Result<Vec<u8>> {
    let mut ops = String::from("BT /F1 8 Tf 30 800 Td 10 TL\n");
    let line = |ops: &mut String, cells: &[String]| {
        for (i, c) in cells.iter().enumerate() {
            ops.push_str(&format!("{} {} Td {} Tj\n", if i == 0 { 0 } else { 60 }, 0, literal(c)));
        }
        ops.push_str(&format!("{} -10 Td\n", -60 * cells.len().saturating_sub(1) as i64));
    };
    if page == 0 {
        line(&mut ops, &[format!("Tenant: {}", recs.first().map(|r| r.tenant).unwrap_or("acme"))]);
        line(&mut ops, &["Exported at: 2026-06-01T00:00:00Z".into()]);
        line(&mut ops, &["Filters: none".into()]);
        line(&mut ops, &["seq".into(), "timestamp".into(), "action".into(), "severity".into(), "actor".into(), "outcome".into(), "hash".into()]);
    }
    for r in recs {
        let cells = vec![
            r.seq.to_string(),
            r.timestamp.to_string(),
            r.action.to_string(),
            r.severity.to_string(),
            r.actor.clone(),
            "success".to_string(),
            r.hash.get(..16).unwrap_or("").to_string(),
        ];
        if u.ratio(1, 6)? {
            line(&mut ops, &[cells.join(" ")]);
        } else {
            line(&mut ops, &cells);
        }
    }
    line(&mut ops, &[format!("Records: {}", recs.len())]);
    line(&mut ops, &[format!("Fingerprint: {}", "cd".repeat(32))]);
    line(&mut ops, &[format!("Verify: https://audit.example/audit/verify?tenant_id=acme&hash={}", "cd".repeat(32))]);
    let stray = ["q 1 0 0 1 5 5 cm Q", "T*", "[(a) -200 (b)] TJ", "/F9 3 Tf", "(x) '", "1 2 (y) \"", "/Fm0 Do", "ET BT"];
    for _ in 0..u.int_in_range(0..=3)? {
        ops.push_str(pick(u, &stray)?);
        ops.push('\n');
    }
    ops.push_str("ET\n");
    Ok(ops.into_bytes())
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2_like::Encoder::new();
    e.write_all(data).ok();
    e.finish()
}

/// A stored (uncompressed) zlib stream, so that the target needs no compressor: the reader's
/// inflate still runs over it.
mod flate2_like {
    pub struct Encoder(Vec<u8>);
    impl Encoder {
        pub fn new() -> Self {
            Encoder(Vec::new())
        }
        pub fn finish(self) -> Vec<u8> {
            let mut out = vec![0x78, 0x01];
            let chunks: Vec<&[u8]> = if self.0.is_empty() { vec![&[][..]] } else { self.0.chunks(65535).collect() };
            for (i, c) in chunks.iter().enumerate() {
                out.push(u8::from(i + 1 == chunks.len()));
                let len = c.len() as u16;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&(!len).to_le_bytes());
                out.extend_from_slice(c);
            }
            let (mut a, mut b) = (1u32, 0u32);
            for &x in &self.0 {
                a = (a + u32::from(x)) % 65521;
                b = (b + a) % 65521;
            }
            out.extend_from_slice(&((b << 16) | a).to_be_bytes());
            out
        }
    }
    impl std::io::Write for Encoder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}

fn stream(u: &mut Unstructured, dict: &str, data: &[u8]) -> Result<Vec<u8>> {
    let (filter, body) = match u.int_in_range(0..=5)? {
        0 => ("", data.to_vec()),
        1 => {
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            ("/Filter /ASCIIHexDecode ", format!("{hex}>").into_bytes())
        }
        _ => ("/Filter /FlateDecode ", deflate(data)),
    };
    let size = if u.ratio(1, 2)? {
        format!("/Params << /Size {} >> ", if u.ratio(3, 4)? { data.len() as u64 } else { u.arbitrary::<u32>()? as u64 })
    } else {
        String::new()
    };
    let length = if u.ratio(15, 16)? { body.len() } else { u.int_in_range(0..=body.len() + 8)? };
    let mut out = format!("<< {dict} {filter}{size}/Length {length} >>\nstream\n").into_bytes();
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\nendstream");
    Ok(out)
}

/// Serializes `objects` (numbered from 1) with a classic cross-reference table, after `prefix`
/// (an earlier revision, for an incremental update, with `prev` its xref offset).
fn write(u: &mut Unstructured, prefix: Vec<u8>, objects: &[(u32, Vec<u8>)], root: u32, prev: Option<usize>) -> Result<(Vec<u8>, usize)> {
    let mut out = if prefix.is_empty() { b"%PDF-1.7\n%\xbf\xf7\xa2\xfe\n".to_vec() } else { prefix };
    let mut offsets = Vec::new();
    for (n, body) in objects {
        offsets.push((*n, out.len()));
        out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (n, off) in &offsets {
        let off = if u.ratio(31, 32)? { *off } else { u.int_in_range(0..=out.len())? };
        out.extend_from_slice(format!("{n} 1\n{off:010} 00000 n \n").as_bytes());
    }
    let size = objects.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
    let prev = prev.map(|p| format!(" /Prev {p}")).unwrap_or_default();
    out.extend_from_slice(format!("trailer\n<< /Size {size} /Root {root} 0 R{prev} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    Ok((out, xref))
}

fn build(u: &mut Unstructured) -> Result<Vec<u8>> {
    let n = u.int_in_range(0..=6)?;
    let mut recs = Vec::new();
    let mut prev = "00".repeat(32);
    for i in 0..n {
        let r = record(u, i as u64 + 1, &prev)?;
        prev = r.hash.clone();
        recs.push(r);
    }
    let pages = u.int_in_range(1..=2)?;
    let per_page = recs.len().div_ceil(pages).max(1);
    let payload_bytes = payload(u, &recs)?;
    // 1 catalog, 2 pages, 3 font, 4 names, 5 filespec, 6 payload, then page + content pairs.
    let mut objects: Vec<(u32, Vec<u8>)> = Vec::new();
    let af = if u.ratio(1, 2)? { " /AF [5 0 R]" } else { "" };
    objects.push((1, format!("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >>{af} >>").into_bytes()));
    let kids: Vec<String> = (0..pages).map(|p| format!("{} 0 R", 7 + 2 * p)).collect();
    objects.push((2, format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")).into_bytes()));
    let font = match u.int_in_range(0..=2)? {
        0 => "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        1 => "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".to_string(),
        _ => "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Differences [65 /B /C] >> >>".to_string(),
    };
    objects.push((3, font.into_bytes()));
    objects.push((4, b"<< /Names [(audit-export.json) 5 0 R] >>".to_vec()));
    objects.push((5, b"<< /Type /Filespec /F (audit-export.json) /UF (audit-export.json) /EF << /F 6 0 R >> >>".to_vec()));
    objects.push((6, stream(u, "/Type /EmbeddedFile /Subtype /application#2Fjson", &payload_bytes)?));
    for p in 0..pages {
        let page_no = 7 + 2 * p as u32;
        let chunk: &[Rec] = recs.chunks(per_page).nth(p).unwrap_or(&[]);
        objects.push((page_no, format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>", page_no + 1).into_bytes()));
        let c = content(u, chunk, p)?;
        objects.push((page_no + 1, stream(u, "", &c)?));
    }
    let (mut pdf, mut xref) = write(u, Vec::new(), &objects, 1, None)?;
    // Incremental updates: a new payload, a new page content, or both.
    for _ in 0..u.int_in_range(0..=2)? {
        let mut update = Vec::new();
        if u.ratio(2, 3)? {
            let mut changed: Vec<Rec> = Vec::new();
            let mut prev = "00".repeat(32);
            for i in 0..recs.len() {
                let r = if u.ratio(1, 2)? { record(u, i as u64 + 1, &prev)? } else { record(u, recs[i].seq, &prev)? };
                prev = r.hash.clone();
                changed.push(r);
            }
            let bytes = payload(u, &changed)?;
            update.push((6, stream(u, "/Type /EmbeddedFile", &bytes)?));
        }
        if u.ratio(1, 2)? {
            let c = content(u, &recs, 0)?;
            update.push((8, stream(u, "", &c)?));
        }
        if update.is_empty() {
            update.push((objects.len() as u32 + 1, b"<< /Type /Annot /Subtype /Text >>".to_vec()));
        }
        let (next, next_xref) = write(u, pdf, &update, 1, Some(xref))?;
        pdf = next;
        xref = next_xref;
    }
    if u.ratio(1, 32)? && !pdf.is_empty() {
        let cut = u.choose_index(pdf.len())?;
        pdf.truncate(cut);
    }
    Ok(pdf)
}

/// A stable name for an input (FNV-1a, 64 bits).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(bytes) = build(&mut u) else {
        return;
    };
    // `keep.sh pdf_structure` replays the minimized corpus with this set, so that the PDFs it
    // builds join regressions/pdf, which `cargo test` replays without a fuzzing toolchain.
    if let Some(dir) = std::env::var_os("TRAILPROOF_FUZZ_WRITE_PDFS") {
        let name = format!("structure-{:016x}.pdf", fnv1a(data));
        let _ = std::fs::write(Path::new(&dir).join(name), &bytes);
    }
    let path = Path::new("fuzz.pdf");
    let Ok(mut ev) = read_pdf_bytes(path, &bytes) else {
        return;
    };
    let payload = ev.payload.as_deref().and_then(|b| Payload::parse(b).ok());
    let (earlier, skipped) = read_earlier(path, &bytes, &ev);
    ev.updates = describe_updates(&ev, &earlier, skipped, payload.as_ref());
    for copy in recovered_copies(&ev, &earlier, payload.as_ref(), "fuzz.pdf") {
        assert_eq!(copy.recovered_from, "pdf_revision");
        assert!(copy.offset >= 1 && (copy.offset as usize) < ev.revisions.len());
    }
    let _ = printed_commitments(&ev, &earlier);
    if let Some(b) = ev.payload.as_deref() {
        let _ = verify_payload_bytes("fuzz.pdf", b);
    }
    let _ = cross_check(&ev, payload.as_ref(), "fuzz.pdf");
    // The payload parsed as it inflates agrees with its bytes parsed whole.
    let (_, streamed) = read_pdf_bytes_with(path, &bytes, |p| p.reader().map(Payload::from_reader))
        .expect("the same bytes read again");
    assert_eq!(streamed.and_then(|r| r.ok()), payload);
});
