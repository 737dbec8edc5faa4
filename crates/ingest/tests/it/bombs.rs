//! Decompression bombs built in code (issue #21): an export PDF whose embedded payload, or
//! whose page content, inflates to hundreds of MiB from a few hundred KiB. Each is refused with
//! a message naming the object and the limit, before it is decoded whole (`bench/bombs.sh`
//! measures the peak memory of the same refusals); and the payload handed over as it inflates.

use std::path::Path;

use trailproof_ingest::pdf::read_pdf_bytes;

/// A zlib stream that inflates to at least `mib` MiB of zeros, written bit by bit (RFC 1951):
/// one final block with the fixed Huffman codes, a literal zero, then back-references of the
/// longest length (258) at distance 1, then end-of-block, and the Adler-32 of the output. About
/// 6.5 KB of input per MiB of output.
fn zeros(mib: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `n` bits of `v`, least significant first (header fields, extra bits).
        fn put(&mut self, v: u64, n: u32) {
            self.acc |= v << self.n;
            self.n += n;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code of `len` bits, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut reversed = 0;
            for i in 0..len {
                reversed |= ((code >> i) & 1) << (len - 1 - i);
            }
            self.put(reversed, len);
        }
    }
    let total = (mib as u64) << 20;
    let repeats = (total - 1).div_ceil(258);
    let size = 1 + repeats * 258;
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE 01: fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..repeats {
        bits.code(0xC5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: distance 1
    }
    bits.code(0, 7); // end of block (256)
    bits.put(0, 7); // to a byte boundary
    let mut out = bits.out;
    // Adler-32 of `size` zero bytes: A stays 1, B adds 1 per byte.
    let b = size % 65521;
    out.extend_from_slice(&(((b << 16) | 1) as u32).to_be_bytes());
    out
}

fn stream(data: &[u8], extra: &str) -> Vec<u8> {
    let mut s = format!(
        "<< /Length {} /Filter /FlateDecode {extra}>>\nstream\n",
        data.len()
    )
    .into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

/// An export PDF: one page with `content`, and `payload` embedded as audit-export.json.
fn export_pdf(content: &[u8], payload: &[u8]) -> Vec<u8> {
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 6 0 R >> >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        stream(content, ""),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        b"<< /Names [(audit-export.json) 7 0 R] >>".to_vec(),
        b"<< /Type /Filespec /F (audit-export.json) /UF (audit-export.json) /EF << /F 8 0 R >> >>".to_vec(),
        stream(payload, "/Type /EmbeddedFile "),
    ];
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, data).unwrap();
    e.finish().unwrap()
}

#[test]
fn the_bomb_builder_makes_what_it_says() {
    let bomb = zeros(3);
    assert!(bomb.len() < 24 * 1024, "{} bytes", bomb.len());
    let mut d = flate2::read::ZlibDecoder::new(&bomb[..]);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).unwrap();
    assert_eq!(
        out.len() as u64,
        1 + (((3u64 << 20) - 1).div_ceil(258)) * 258
    );
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn a_payload_bomb_is_refused_naming_the_object_and_the_limit() {
    let content = deflate(b"BT /F1 10 Tf 30 800 Td (Tenant: acme) Tj ET");
    let pdf = export_pdf(&content, &zeros(256));
    assert!(pdf.len() < 2 << 20, "{} bytes", pdf.len());
    let e = read_pdf_bytes(Path::new("bomb.pdf"), &pdf).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bomb.pdf: object 8 0: embedded audit-export.json cannot be decoded: FlateDecode output exceeds the limit of 201326592 bytes (decompression bomb?)"
    );
}

#[test]
fn a_page_content_bomb_is_refused_naming_the_page_the_object_and_the_limit() {
    let payload = deflate(br#"{"format": "audit-export/1", "records": []}"#);
    let pdf = export_pdf(&zeros(64), &payload);
    let e = read_pdf_bytes(Path::new("bomb.pdf"), &pdf).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bomb.pdf: page 1: content stream of page 1 cannot be decoded: FlateDecode output exceeds the limit of 33554432 bytes (decompression bomb?) (object 4 0)"
    );
}

/// The payload is handed to the caller's work as it inflates (a zlib stream) or as decoded
/// bytes (raw deflate, which only the whole decoder's fallback reads): the same bytes either
/// way; kept, the evidence holds them as `read_pdf` gives them; released, it holds none.
#[test]
fn the_payload_is_handed_over_as_it_inflates_and_can_be_released() {
    use std::io::Read;
    use trailproof_ingest::pdf::read_pdf_bytes_with;
    let text = br#"{"format": "audit-export/1", "records": [{"seq": 1}]}"#;
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut raw, text).unwrap();
    let raw = raw.finish().unwrap();
    let content = deflate(b"BT /F1 10 Tf 30 800 Td (Tenant: acme) Tj ET");
    for (packed, how) in [(deflate(text), "zlib"), (raw, "raw deflate")] {
        let pdf = export_pdf(&content, &packed);
        let (ev, read) = read_pdf_bytes_with(Path::new("p.pdf"), &pdf, |payload| {
            let mut read = Vec::new();
            payload.reader().unwrap().read_to_end(&mut read).unwrap();
            read
        })
        .unwrap();
        assert_eq!(read, text, "{how}");
        assert_eq!(ev.payload.as_deref(), Some(&text[..]), "{how}");
        let (ev, present) = read_pdf_bytes_with(Path::new("p.pdf"), &pdf, |payload| {
            let present = payload.is_present();
            payload.release();
            present
        })
        .unwrap();
        assert!(present, "{how}");
        assert_eq!(ev.payload, None, "{how}");
        assert_eq!(
            read_pdf_bytes(Path::new("p.pdf"), &pdf)
                .unwrap()
                .payload
                .as_deref(),
            Some(&text[..])
        );
    }
}
