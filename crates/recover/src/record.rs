//! The SQLite record format: variable-length integers, serial types and the values they encode
//! (<https://www.sqlite.org/fileformat2.html#record_format>).
//!
//! Invariants: every function takes attacker-controlled bytes and returns `None` rather than
//! panicking: no slice index is computed without a bounds check, no size arithmetic can
//! overflow (checked or saturating), and text is returned only when it is valid UTF-8 (the only
//! encoding this crate reads). A serial-type list is read only up to the record's own header
//! size, so its length is bounded by the bytes it came from.

/// One column value of a record, as SQLite stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl SqlValue {
    /// The text, when the value is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            SqlValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The integer, when the value is an integer.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            SqlValue::Integer(i) => Some(*i),
            _ => None,
        }
    }
}

/// Reads one varint at the start of `bytes`: its value and its length (1 to 9 bytes).
pub(crate) fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for i in 0..8 {
        let b = *bytes.get(i)?;
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    let b = *bytes.get(8)?;
    Some(((value << 8) | u64::from(b), 9))
}

/// How many bytes SQLite uses to write `value` as a varint.
pub(crate) fn varint_len(value: u64) -> usize {
    if value > 0x00ff_ffff_ffff_ffff {
        return 9;
    }
    let bits = 64 - value.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Appends `value` written as SQLite writes a varint.
pub(crate) fn push_varint(value: u64, out: &mut Vec<u8>) {
    let len = varint_len(value);
    if len == 9 {
        let mut v = value >> 8;
        let mut head = [0u8; 8];
        for slot in head.iter_mut().rev() {
            *slot = (v & 0x7f) as u8 | 0x80;
            v >>= 7;
        }
        out.extend_from_slice(&head);
        out.push(value as u8);
        return;
    }
    for i in (0..len).rev() {
        let seven = ((value >> (7 * i)) & 0x7f) as u8;
        out.push(if i == 0 { seven } else { seven | 0x80 });
    }
}

/// The number of content bytes of a serial type; `None` for the reserved types 10 and 11.
pub(crate) fn content_size(serial_type: u64) -> Option<u64> {
    Some(match serial_type {
        0 | 8 | 9 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        n => (n - 12) / 2,
    })
}

/// Whether a serial type holds text.
pub(crate) fn is_text(serial_type: u64) -> bool {
    serial_type >= 13 && serial_type % 2 == 1
}

/// Decodes one value from exactly its content bytes; `None` when the bytes do not fit the
/// type or text is not UTF-8.
pub(crate) fn decode_value(serial_type: u64, content: &[u8]) -> Option<SqlValue> {
    if content_size(serial_type)? != content.len() as u64 {
        return None;
    }
    Some(match serial_type {
        0 => SqlValue::Null,
        1..=6 => {
            let mut v: i64 = if content.first()? & 0x80 != 0 { -1 } else { 0 };
            for b in content {
                v = (v << 8) | i64::from(*b);
            }
            SqlValue::Integer(v)
        }
        7 => {
            let bytes: [u8; 8] = content.try_into().ok()?;
            SqlValue::Real(f64::from_be_bytes(bytes))
        }
        8 => SqlValue::Integer(0),
        9 => SqlValue::Integer(1),
        n if n % 2 == 0 => SqlValue::Blob(content.to_vec()),
        _ => SqlValue::Text(String::from_utf8(content.to_vec()).ok()?),
    })
}

/// Reads a record header at the start of `payload`: the serial types and the header size.
pub(crate) fn parse_header(payload: &[u8]) -> Option<(Vec<u64>, usize)> {
    let (size, mut at) = read_varint(payload)?;
    let size = usize::try_from(size).ok()?;
    if size < at || size > payload.len() {
        return None;
    }
    let mut types = Vec::new();
    while at < size {
        let (t, n) = read_varint(payload.get(at..size)?)?;
        content_size(t)?;
        types.push(t);
        at += n;
    }
    (at == size).then_some((types, size))
}

/// Decodes a whole record (header and body, nothing after it); `None` unless every byte fits.
pub(crate) fn decode_record(payload: &[u8]) -> Option<Vec<SqlValue>> {
    let (types, mut at) = parse_header(payload)?;
    let mut values = Vec::with_capacity(types.len());
    for t in types {
        let size = usize::try_from(content_size(t)?).ok()?;
        let end = at.checked_add(size)?;
        values.push(decode_value(t, payload.get(at..end)?)?);
        at = end;
    }
    (at == payload.len()).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_length() {
        for v in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            (1 << 21) - 1,
            1 << 21,
            (1 << 56) - 1,
            1 << 56,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            push_varint(v, &mut out);
            assert_eq!(out.len(), varint_len(v), "{v}");
            assert_eq!(read_varint(&out), Some((v, out.len())), "{v}");
        }
        assert_eq!(read_varint(&[0x81]), None);
        assert_eq!(read_varint(&[]), None);
    }

    #[test]
    fn values_decode_big_endian_and_signed() {
        assert_eq!(decode_value(1, &[0xff]), Some(SqlValue::Integer(-1)));
        assert_eq!(decode_value(2, &[0x01, 0x00]), Some(SqlValue::Integer(256)));
        assert_eq!(
            decode_value(5, &[0x80, 0, 0, 0, 0, 0]),
            Some(SqlValue::Integer(-(1 << 47)))
        );
        assert_eq!(decode_value(9, &[]), Some(SqlValue::Integer(1)));
        assert_eq!(
            decode_value(7, &1.5f64.to_be_bytes()),
            Some(SqlValue::Real(1.5))
        );
        assert_eq!(decode_value(19, b"abc"), Some(SqlValue::Text("abc".into())));
        assert_eq!(decode_value(19, &[0xff, 0xfe, 0x00]), None);
        assert_eq!(
            decode_value(18, b"abc"),
            Some(SqlValue::Blob(b"abc".to_vec()))
        );
        assert_eq!(decode_value(10, &[]), None);
        assert_eq!(decode_value(1, &[]), None);
    }

    #[test]
    fn records_decode_only_when_every_byte_fits() {
        // header: size 3, types 1 (i8) and 15 (1-byte text)
        let rec = [3u8, 1, 15, 42, b'x'];
        assert_eq!(
            decode_record(&rec),
            Some(vec![SqlValue::Integer(42), SqlValue::Text("x".into())])
        );
        assert_eq!(decode_record(&rec[..4]), None);
        let mut longer = rec.to_vec();
        longer.push(0);
        assert_eq!(decode_record(&longer), None);
        assert_eq!(decode_record(&[9, 1]), None);
    }
}
