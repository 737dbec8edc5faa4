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

    fn decode_within(&mut self, stream: &Stream, per_stream: u64) -> Result<Vec<u8>, DecodeError> {
        let filters = filter_names(&stream.dict)?;
        let parms = decode_parms(&stream.dict, filters.len());
        let mut data = stream.content.clone();
        for (i, filter) in filters.iter().enumerate() {
            let limit = per_stream.min(self.remaining);
            let p = parms.get(i).and_then(|p| p.as_ref());
            data = decode_one(filter, &data, p, limit)?;
        }
        let used = data.len() as u64;
        if used > self.remaining {
            return Err(DecodeError::DocumentLimit);
        }
        self.remaining -= used;
        Ok(data)
    }
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
) -> Result<Vec<u8>, DecodeError> {
    let out = match filter {
        "FlateDecode" | "Fl" => {
            let raw = inflate(data, limit)?;
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
fn read_limited(mut r: impl Read, out: &mut Vec<u8>, limit: u64) -> Result<bool, std::io::Error> {
    const BLOCK: usize = 1 << 20;
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut total = out.len() as u64;
    let mut block = Vec::with_capacity(BLOCK);
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

/// Inflates zlib (or, failing that, raw deflate) data, refusing output past `limit` bytes.
pub(crate) fn inflate(data: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
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
        assert!(inflate(&packed, 1024 * 1024).is_err());
        assert_eq!(
            inflate(&packed, 10 * 1024 * 1024).unwrap().len(),
            10 * 1024 * 1024
        );
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
