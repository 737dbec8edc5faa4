//! Bounded stream decoding.
//!
//! lopdf's own `decompressed_content` inflates without any limit, so a few kilobytes of
//! crafted Flate data could exhaust memory. Every stream Trailproof decodes goes through
//! [`Budget`] instead: each filter's output is capped per stream (the embedded payload at
//! [`MAX_PAYLOAD`], page content and forms at [`MAX_PAGE_STREAM`], anything else at
//! [`MAX_STREAM`]) and the sum over a document is capped too. Exceeding a cap is an error,
//! never a silent truncation, and it is noticed as the stream inflates: output is gathered in
//! blocks, never in a buffer that grows by doubling (measured: a 1 GiB payload bomb is refused
//! within 232 MiB, a page content bomb within 62 MiB; `bench/bombs.sh`).

use std::io::Read;

use lopdf::{Dictionary, Object, Stream};
use trailproof_core::record::Digest;

/// Largest decoded size of one stream other than the payload and page content (fonts, object
/// and xref streams): a bomb refused at this size costs little memory.
pub(crate) const MAX_STREAM: u64 = 64 * 1024 * 1024;
/// Largest decoded size of one page content stream or Form XObject: an export's page holds a
/// few hundred rows of text (kilobytes), so a larger one is a bomb, refused before it costs
/// memory.
pub(crate) const MAX_PAGE_STREAM: u64 = 32 * 1024 * 1024;
/// Largest decoded size of the embedded `audit-export.json`: a 100,000-record export's payload
/// is about 87 MB, and a bomb refused at this size stays within 256 MiB of memory.
pub(crate) const MAX_PAYLOAD: u64 = 192 * 1024 * 1024;
/// Largest decoded size of all streams of one document together.
pub(crate) const MAX_DOCUMENT: u64 = 1024 * 1024 * 1024;

/// Why a stream could not be decoded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("decoded streams exceed the per-document limit")]
    DocumentLimit,
    #[error("/Filter array holds a non-name")]
    FilterArrayHoldsNonName,
    #[error("/Filter is neither a name nor an array")]
    FilterNeitherNameNorArray,
    #[error("unsupported stream filter /{0}")]
    UnsupportedFilter(String),
    /// One filter's output is larger than the allowance (`limit` bytes).
    #[error("/{filter} output exceeds the limit of {limit} bytes (decompression bomb?)")]
    FilterOutputTooLarge { filter: String, limit: u64 },
    #[error("FlateDecode failed: {0}")]
    Inflate(std::io::Error),
    #[error("FlateDecode output exceeds the limit of {limit} bytes (decompression bomb?)")]
    InflateOutputTooLarge { limit: u64 },
    #[error("TIFF predictor 2 is not supported")]
    TiffPredictor,
    #[error("bad PNG predictor row type {0}")]
    PngRowType(u8),
    #[error("ASCIIHexDecode: bad character 0x{0:02x}")]
    AsciiHexCharacter(u8),
    #[error("ASCII85Decode: group out of range")]
    Ascii85GroupOutOfRange,
    #[error("ASCII85Decode: bad character 0x{0:02x}")]
    Ascii85Character(u8),
    #[error("ASCII85Decode: dangling single character")]
    Ascii85DanglingCharacter,
    #[error("RunLengthDecode output exceeds the limit")]
    RunLengthOutputTooLarge,
    #[error("LZW stream too large to decode within the limit")]
    LzwTooLarge,
    #[error("LZWDecode failed: {0}")]
    Lzw(lopdf::Error),
}

/// Decompression allowance of one document.
#[derive(Debug)]
pub(crate) struct Budget {
    per_stream: u64,
    remaining: u64,
}

impl Budget {
    pub(crate) fn new(per_stream: u64, total: u64) -> Self {
        Budget {
            per_stream,
            remaining: total,
        }
    }

    /// The decoded bytes of `stream` (every filter applied, in order).
    pub(crate) fn decode(&mut self, stream: &Stream) -> Result<Vec<u8>, DecodeError> {
        self.decode_within(stream, self.per_stream)
    }

    /// The decoded bytes of a page content stream or Form XObject, within
    /// [`MAX_PAGE_STREAM`].
    pub(crate) fn decode_page(&mut self, stream: &Stream) -> Result<Vec<u8>, DecodeError> {
        self.decode_within(stream, self.per_stream.min(MAX_PAGE_STREAM))
    }

    /// The decoded bytes of the embedded payload, within [`MAX_PAYLOAD`].
    pub(crate) fn decode_payload(&mut self, stream: &Stream) -> Result<Vec<u8>, DecodeError> {
        self.decode_within(stream, MAX_PAYLOAD)
    }

    /// The embedded payload when it can be inflated as it is read (one `/FlateDecode` filter,
    /// no `/DecodeParms`, a zlib stream that inflates cleanly within [`MAX_PAYLOAD`]): its
    /// decoded size and SHA-256, counted against the document's allowance, its output never
    /// kept. `Ok(None)` when it is not such a stream: decode it with
    /// [`Budget::decode_payload`], whose refusals this one repeats word for word.
    pub(crate) fn measure_payload(
        &mut self,
        stream: &Stream,
    ) -> Result<Option<(u64, Digest)>, DecodeError> {
        let filters = filter_names(&stream.dict)?;
        let plain = filters.len() == 1
            && matches!(filters[0].as_str(), "FlateDecode" | "Fl")
            && stream.dict.get(b"DecodeParms").is_err()
            && stream.dict.get(b"DP").is_err();
        if !plain {
            return Ok(None);
        }
        let limit = MAX_PAYLOAD.min(self.remaining);
        let mut sink = Measure {
            size: 0,
            hasher: ring::digest::Context::new(&ring::digest::SHA256),
        };
        let mut decoder = flate2::read::ZlibDecoder::new(stream.content.as_slice());
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = match decoder.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // Not clean zlib (raw deflate, a truncated end): the whole decoder's fallbacks.
                Err(_) => return Ok(None),
            };
            if sink.size + n as u64 > limit {
                return Err(DecodeError::InflateOutputTooLarge { limit });
            }
            sink.size += n as u64;
            sink.hasher.update(&chunk[..n]);
        }
        if sink.size == 0 && !stream.content.is_empty() {
            return Ok(None);
        }
        if sink.size > self.remaining {
            return Err(DecodeError::DocumentLimit);
        }
        self.remaining -= sink.size;
        let digest = sink.hasher.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Ok(Some((sink.size, out)))
    }

    fn decode_within(&mut self, stream: &Stream, per_stream: u64) -> Result<Vec<u8>, DecodeError> {
        let filters = filter_names(&stream.dict)?;
        let parms = decode_parms(&stream.dict, filters.len());
        // The stated decoded size, when one filter gives the final bytes: their buffer is then
        // reserved once instead of gathered in blocks and joined (which held them twice).
        let stated = if filters.len() == 1 {
            stated_size(&stream.dict)
        } else {
            None
        };
        let mut data = stream.content.clone();
        for (i, filter) in filters.iter().enumerate() {
            let limit = per_stream.min(self.remaining);
            let p = parms.get(i).and_then(|p| p.as_ref());
            data = decode_one(filter, &data, p, limit, stated)?;
        }
        let used = data.len() as u64;
        if used > self.remaining {
            return Err(DecodeError::DocumentLimit);
        }
        self.remaining -= used;
        Ok(data)
    }
}

/// The decoded size a stream's dictionary states: `/DL` (PDF 1.5) or, for an embedded file,
/// `/Params /Size`; direct non-negative integers only.
fn stated_size(dict: &Dictionary) -> Option<u64> {
    let direct = |o: &Object| o.as_i64().ok().and_then(|n| u64::try_from(n).ok());
    if let Some(size) = dict.get(b"DL").ok().and_then(direct) {
        return Some(size);
    }
    match dict.get(b"Params") {
        Ok(Object::Dictionary(params)) => params.get(b"Size").ok().and_then(direct),
        _ => None,
    }
}

/// What [`Budget::measure_payload`] counts.
struct Measure {
    size: u64,
    hasher: ring::digest::Context,
}

/// Inflates a zlib stream that [`Budget::measure_payload`] measured, as it is read.
pub(crate) fn payload_reader(data: &[u8]) -> impl Read + '_ {
    flate2::read::ZlibDecoder::new(data)
}

/// The whole of a zlib stream that [`Budget::measure_payload`] measured at `size` bytes.
pub(crate) fn payload_bytes(data: &[u8], size: u64) -> Result<Vec<u8>, DecodeError> {
    inflate_stated(data, size, Some(size))
}

fn filter_names(dict: &Dictionary) -> Result<Vec<String>, DecodeError> {
    match dict.get(b"Filter") {
        Err(_) | Ok(Object::Null) => Ok(Vec::new()),
        Ok(Object::Name(n)) => Ok(vec![String::from_utf8_lossy(n).into_owned()]),
        Ok(Object::Array(a)) => a
            .iter()
            .map(|o| match o {
                Object::Name(n) => Ok(String::from_utf8_lossy(n).into_owned()),
                _ => Err(DecodeError::FilterArrayHoldsNonName),
            })
            .collect(),
        Ok(_) => Err(DecodeError::FilterNeitherNameNorArray),
    }
}

fn decode_parms(dict: &Dictionary, n: usize) -> Vec<Option<Dictionary>> {
    match dict.get(b"DecodeParms").or_else(|_| dict.get(b"DP")) {
        Ok(Object::Dictionary(d)) => vec![Some(d.clone())],
        Ok(Object::Array(a)) => a
            .iter()
            .map(|o| match o {
                Object::Dictionary(d) => Some(d.clone()),
                _ => None,
            })
            .collect(),
        _ => vec![None; n],
    }
}

fn decode_one(
    filter: &str,
    data: &[u8],
    parms: Option<&Dictionary>,
    limit: u64,
    stated: Option<u64>,
) -> Result<Vec<u8>, DecodeError> {
    let out = match filter {
        "FlateDecode" | "Fl" => {
            let raw = inflate_stated(data, limit, stated)?;
            predictor(raw, parms)?
        }
        "ASCIIHexDecode" | "AHx" => ascii_hex(data)?,
        "ASCII85Decode" | "A85" => ascii85(data)?,
        "RunLengthDecode" | "RL" => run_length(data, limit)?,
        "LZWDecode" | "LZW" => {
            // lopdf decodes LZW without a limit; one 12-bit code expands to at most 4096
            // bytes, so refuse inputs whose worst case exceeds the allowance.
            if (data.len() as u64).saturating_mul(2731) > limit {
                return Err(DecodeError::LzwTooLarge);
            }
            let mut d = Dictionary::new();
            d.set("Filter", Object::Name(b"LZWDecode".to_vec()));
            if let Some(p) = parms {
                d.set("DecodeParms", Object::Dictionary(p.clone()));
            }
            Stream::new(d, data.to_vec())
                .decompressed_content()
                .map_err(DecodeError::Lzw)?
        }
        other => return Err(DecodeError::UnsupportedFilter(other.to_string())),
    };
    if out.len() as u64 > limit {
        return Err(DecodeError::FilterOutputTooLarge {
            filter: filter.to_string(),
            limit,
        });
    }
    Ok(out)
}

/// Reads `r` to its end, refusing as soon as more than `limit` bytes came out. The output is
/// gathered in blocks of 1 MiB and joined once at the end, so that memory never holds more
/// than what was decoded while decoding (a growing buffer would be copied into one twice its
/// size): a bomb costs at most `limit` bytes before it is refused. Appends to `out`.
///
/// Output goes straight into `out` while it fits its reserved capacity (a stated decoded size:
/// see [`inflate_stated`]); blocks take over only past it.
fn read_limited(mut r: impl Read, out: &mut Vec<u8>, limit: u64) -> Result<bool, std::io::Error> {
    const BLOCK: usize = 1 << 20;
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut total = out.len() as u64;
    let mut block = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let complete = loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Keep what came out before the error (a truncated final block).
                blocks.push(block);
                join(out, blocks);
                return Err(e);
            }
        };
        if total + n as u64 > limit {
            break false;
        }
        total += n as u64;
        if blocks.is_empty() && block.is_empty() && out.capacity() - out.len() >= n {
            out.extend_from_slice(&chunk[..n]);
            continue;
        }
        if block.capacity() == 0 {
            block.reserve_exact(BLOCK);
        }
        let mut rest = &chunk[..n];
        while !rest.is_empty() {
            let take = rest.len().min(BLOCK - block.len());
            block.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if block.len() == BLOCK {
                blocks.push(std::mem::replace(&mut block, Vec::with_capacity(BLOCK)));
            }
        }
    };
    if complete {
        blocks.push(block);
        join(out, blocks);
    }
    Ok(complete)
}

/// Appends `blocks` to `out` with one allocation of the exact size.
fn join(out: &mut Vec<u8>, blocks: Vec<Vec<u8>>) {
    out.reserve_exact(blocks.iter().map(Vec::len).sum());
    for b in blocks {
        out.extend_from_slice(&b);
    }
}

/// Deflate expands at most 1032 times (RFC 1951's longest match for 2 bits): a stated size
/// beyond that of the input is not believed.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Inflates zlib (or, failing that, raw deflate) data, refusing output past `limit` bytes, into
/// a buffer reserved for the `stated` decoded size (a stream's `/DL` or an
/// embedded file's `/Params /Size`), when it is within `limit` and what `data` can expand to.
/// A stated size is the writer's word: output beyond it goes on in blocks, and a size never
/// reached only leaves reserved memory untouched.
fn inflate_stated(data: &[u8], limit: u64, stated: Option<u64>) -> Result<Vec<u8>, DecodeError> {
    let reserve = stated
        .filter(|&size| {
            size <= limit && size <= (data.len() as u64).saturating_mul(MAX_DEFLATE_RATIO) + 64
        })
        .unwrap_or(0);
    let mut out = Vec::with_capacity(reserve as usize);
    let zr = read_limited(flate2::read::ZlibDecoder::new(data), &mut out, limit);
    match zr {
        Ok(true) => {}
        Ok(false) => return Err(DecodeError::InflateOutputTooLarge { limit }),
        Err(e) => {
            // Some producers write raw deflate without the zlib header.
            let mut raw = Vec::new();
            let rr = read_limited(flate2::read::DeflateDecoder::new(data), &mut raw, limit);
            match rr {
                Ok(false) => return Err(DecodeError::InflateOutputTooLarge { limit }),
                Ok(true) if !raw.is_empty() || data.is_empty() => out = raw,
                // A truncated final block after real output: keep what zlib gave, as readers do,
                // but only when something came out.
                _ if !out.is_empty() => {}
                _ => return Err(DecodeError::Inflate(e)),
            }
        }
    }
    Ok(out)
}

fn int_param(parms: &Dictionary, key: &[u8], default: i64) -> i64 {
    parms.get(key).and_then(Object::as_i64).unwrap_or(default)
}

fn predictor(data: Vec<u8>, parms: Option<&Dictionary>) -> Result<Vec<u8>, DecodeError> {
    let Some(p) = parms else { return Ok(data) };
    let pred = int_param(p, b"Predictor", 1);
    if pred < 10 {
        if pred == 2 {
            return Err(DecodeError::TiffPredictor);
        }
        return Ok(data);
    }
    let colors = int_param(p, b"Colors", 1).clamp(1, 32) as usize;
    let bpc = int_param(p, b"BitsPerComponent", 8).clamp(1, 16) as usize;
    let columns = int_param(p, b"Columns", 1).clamp(1, 1 << 24) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    // A row longer than the data is malformed; never allocate beyond the data's size.
    let row_len = (colors * bpc * columns).div_ceil(8).min(data.len().max(1));
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&ftype, row)) = chunk.split_first() else {
            continue;
        };
        let mut cur = row.to_vec();
        cur.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match ftype {
                0 => cur[i],
                1 => cur[i].wrapping_add(left),
                2 => cur[i].wrapping_add(up),
                3 => cur[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => cur[i].wrapping_add(paeth(left, up, up_left)),
                t => return Err(DecodeError::PngRowType(t)),
            };
        }
        out.extend_from_slice(&cur[..row.len().min(row_len)]);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn ascii_hex(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut hi: Option<u8> = None;
    for &c in data {
        if c == b'>' {
            break;
        }
        if c.is_ascii_whitespace() {
            continue;
        }
        let v = (c as char)
            .to_digit(16)
            .ok_or(DecodeError::AsciiHexCharacter(c))? as u8;
        match hi.take() {
            None => hi = Some(v),
            Some(h) => out.push(h << 4 | v),
        }
    }
    if let Some(h) = hi {
        out.push(h << 4);
    }
    Ok(out)
}

fn ascii85(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(data.len());
    let mut group = [0u32; 5];
    let mut n = 0usize;
    let body = data.strip_prefix(b"<~").unwrap_or(data);
    for &c in body {
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0, 0, 0, 0]),
            b'!'..=b'u' => {
                group[n] = u32::from(c - b'!');
                n += 1;
                if n == 5 {
                    let v = group.iter().fold(0u64, |acc, &d| acc * 85 + u64::from(d));
                    if v > u64::from(u32::MAX) {
                        return Err(DecodeError::Ascii85GroupOutOfRange);
                    }
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                    n = 0;
                }
            }
            c if c.is_ascii_whitespace() => {}
            c => return Err(DecodeError::Ascii85Character(c)),
        }
    }
    if n == 1 {
        return Err(DecodeError::Ascii85DanglingCharacter);
    }
    if n > 1 {
        for g in group.iter_mut().skip(n) {
            *g = 84;
        }
        let v = group.iter().fold(0u64, |acc, &d| acc * 85 + u64::from(d));
        let bytes = (v.min(u64::from(u32::MAX)) as u32).to_be_bytes();
        out.extend_from_slice(&bytes[..n - 1]);
    }
    Ok(out)
}

fn run_length(data: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let len = data[i];
        i += 1;
        match len {
            128 => break,
            0..=127 => {
                let n = usize::from(len) + 1;
                let end = (i + n).min(data.len());
                out.extend_from_slice(&data[i..end]);
                i = end;
            }
            _ => {
                let n = 257 - usize::from(len);
                if let Some(&b) = data.get(i) {
                    out.extend(std::iter::repeat_n(b, n));
                }
                i += 1;
            }
        }
        if out.len() as u64 > limit {
            return Err(DecodeError::RunLengthOutputTooLarge);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages are part of the reports: each variant prints what the reader always wrote.
    #[test]
    fn decode_errors_keep_their_messages() {
        let cases = [
            (
                DecodeError::DocumentLimit,
                "decoded streams exceed the per-document limit",
            ),
            (
                DecodeError::FilterArrayHoldsNonName,
                "/Filter array holds a non-name",
            ),
            (
                DecodeError::FilterNeitherNameNorArray,
                "/Filter is neither a name nor an array",
            ),
            (
                DecodeError::UnsupportedFilter("JBIG2Decode".into()),
                "unsupported stream filter /JBIG2Decode",
            ),
            (
                DecodeError::FilterOutputTooLarge {
                    filter: "Fl".into(),
                    limit: 10,
                },
                "/Fl output exceeds the limit of 10 bytes (decompression bomb?)",
            ),
            (
                DecodeError::InflateOutputTooLarge { limit: 10 },
                "FlateDecode output exceeds the limit of 10 bytes (decompression bomb?)",
            ),
            (
                DecodeError::TiffPredictor,
                "TIFF predictor 2 is not supported",
            ),
            (DecodeError::PngRowType(7), "bad PNG predictor row type 7"),
            (
                DecodeError::AsciiHexCharacter(b'g'),
                "ASCIIHexDecode: bad character 0x67",
            ),
            (
                DecodeError::Ascii85GroupOutOfRange,
                "ASCII85Decode: group out of range",
            ),
            (
                DecodeError::Ascii85Character(0x0b),
                "ASCII85Decode: bad character 0x0b",
            ),
            (
                DecodeError::Ascii85DanglingCharacter,
                "ASCII85Decode: dangling single character",
            ),
            (
                DecodeError::RunLengthOutputTooLarge,
                "RunLengthDecode output exceeds the limit",
            ),
            (
                DecodeError::LzwTooLarge,
                "LZW stream too large to decode within the limit",
            ),
            (
                DecodeError::Inflate(std::io::Error::other("corrupt deflate stream")),
                "FlateDecode failed: corrupt deflate stream",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn inflate_refuses_bomb() {
        use std::io::Write;
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 10 * 1024 * 1024]).unwrap();
        let packed = enc.finish().unwrap();
        assert!(inflate_stated(&packed, 1024 * 1024, None).is_err());
        assert_eq!(
            inflate_stated(&packed, 10 * 1024 * 1024, None)
                .unwrap()
                .len(),
            10 * 1024 * 1024
        );
    }

    /// A stated size only reserves: true, too small, absurd or absent, the output is the same,
    /// and the limit still refuses.
    #[test]
    fn a_stated_size_reserves_and_changes_nothing_else() {
        use std::io::Write;
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        let packed = enc.finish().unwrap();
        for stated in [None, Some(3_000_000), Some(1_000), Some(u64::MAX), Some(0)] {
            let out = inflate_stated(&packed, 4_000_000, stated).unwrap();
            assert!(out == data, "{stated:?}");
        }
        let exact = inflate_stated(&packed, 4_000_000, Some(3_000_000)).unwrap();
        assert_eq!(exact.capacity(), 3_000_000);
        assert!(inflate_stated(&packed, 2_999_999, Some(3_000_000)).is_err());
        let mut d = Dictionary::new();
        d.set(
            "Params",
            Object::Dictionary(Dictionary::from_iter(vec![("Size", Object::Integer(77))])),
        );
        assert_eq!(stated_size(&d), Some(77));
        d.set("DL", Object::Integer(5));
        assert_eq!(stated_size(&d), Some(5));
        d.set("DL", Object::Integer(-5));
        assert_eq!(stated_size(&d), Some(77));
    }

    #[test]
    fn document_budget_is_shared() {
        use std::io::Write;
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&[7u8; 1000]).unwrap();
        let mut d = Dictionary::new();
        d.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        let s = Stream::new(d, enc.finish().unwrap());
        let mut b = Budget::new(1500, 2500);
        assert!(b.decode(&s).is_ok());
        assert!(b.decode(&s).is_ok());
        assert!(b.decode(&s).is_err());
    }

    #[test]
    fn ascii_filters() {
        assert_eq!(ascii_hex(b"48 65 6c6c6f>").unwrap(), b"Hello");
        assert_eq!(ascii85(b"87cURD]j7BEbo7~>").unwrap(), b"Hello world");
    }
}
