//! Canonical timestamps (AEF/1 section 2).
//!
//! The canonical form is `YYYY-MM-DDTHH:MM:SS.fffffffffZ`: UTC, nine fraction digits. Because
//! the width is fixed, canonical strings compare in time order.
//!
//! [`normalize`] accepts every rendering of one instant that stores and tools produce: `T`, `t`
//! or a space between date and time; 0 to 9 fraction digits; `Z`, `z`, or an offset written
//! `+HH`, `+HHMM` or `+HH:MM` (PostgreSQL `timestamptz` prints `+00`). A rendering without a
//! zone is refused: it does not name an instant.

/// Why a timestamp could not be made canonical; the message quotes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {value:?} {reason}")]
pub struct TimestampError {
    /// The value as given.
    pub value: String,
    /// Why it is refused, as the end of a sentence (e.g. "is outside the years 1677 to 2262").
    pub reason: &'static str,
}

/// A canonical instant: the canonical string and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Nanoseconds since 1970-01-01T00:00:00Z (negative before it).
    pub nanos: i64,
}

impl Instant {
    /// The canonical rendering.
    pub fn canonical(&self) -> String {
        let b = self.canonical_bytes();
        String::from_utf8(b.to_vec()).expect("the canonical rendering is ASCII")
    }

    /// The canonical rendering as bytes, without allocating (it is written once per record).
    /// An `i64` of nanoseconds spans the years 1677 to 2262, so the year has four digits.
    pub fn canonical_bytes(&self) -> [u8; 30] {
        let secs = self.nanos.div_euclid(1_000_000_000);
        let nanos = self.nanos.rem_euclid(1_000_000_000) as u32;
        let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400) as u32;
        let mut out = *b"0000-00-00T00:00:00.000000000Z";
        let mut put = |at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y as u32);
        put(5, 2, mo);
        put(8, 2, d);
        put(11, 2, sod / 3600);
        put(14, 2, sod / 60 % 60);
        put(17, 2, sod % 60);
        put(20, 9, nanos);
        out
    }

    /// Microseconds since the epoch (Timesketch and many other tools count in them).
    pub fn micros(&self) -> i64 {
        self.nanos.div_euclid(1000)
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`); the
/// date must be valid.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Converts any accepted rendering to the canonical instant.
///
/// Integer arithmetic on the proleptic Gregorian calendar, as chrono computes it (a test keeps
/// the two equal, errors included): this runs once per record.
pub fn normalize(value: &str) -> Result<Instant, TimestampError> {
    let err = |reason| TimestampError {
        value: value.to_string(),
        reason,
    };
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = b.get(r)?;
        if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0, |n, &c| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(err("is not of the form YYYY-MM-DDTHH:MM:SS[.f][zone]"));
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return Err(err("has no 'T' or space between date and time"));
    }
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return Err(err("has a non-digit in its date or time"));
    };
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return Err(err("is not a valid date"));
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n = i - start;
        if n > 9 {
            return Err(err("has more than nine fraction digits"));
        }
        nanos = digits(start..i).unwrap_or(0) * 10u32.pow(9 - n as u32);
    }
    if h > 23 || mi > 59 || s > 59 {
        return Err(err("is not a valid time"));
    }
    let offset_secs: i64 = match &b[i..] {
        b"Z" | b"z" => 0,
        [] => return Err(err("has no time zone (Z or an offset)")),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (hh, mm) = match rest.len() {
                2 => (digits(i + 1..i + 3), Some(0)),
                4 => (digits(i + 1..i + 3), digits(i + 3..i + 5)),
                5 if rest[2] == b':' => (digits(i + 1..i + 3), digits(i + 4..i + 6)),
                _ => (None, None),
            };
            let (Some(hh), Some(mm)) = (hh, mm) else {
                return Err(err("has an unreadable zone offset"));
            };
            if hh > 23 || mm > 59 {
                return Err(err("has an out-of-range zone offset"));
            }
            let secs = i64::from(hh * 3600 + mm * 60);
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return Err(err("has trailing characters after its time")),
    };
    let secs = days_from_civil(i64::from(y), mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s)
        - offset_secs;
    i64::try_from(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
        .map(|nanos| Instant { nanos })
        .map_err(|_| err("is outside the years 1677 to 2262"))
}

/// True when `value` already is in canonical form.
pub fn is_canonical(value: &str) -> bool {
    normalize(value).is_ok_and(|i| i.canonical() == value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

    fn c(s: &str) -> String {
        normalize(s).unwrap().canonical()
    }

    /// What chrono makes of a date, a time and a zone offset: the oracle of the integer
    /// arithmetic (errors in the order `normalize` checks them).
    fn by_chrono(
        (y, mo, d): (i32, u32, u32),
        (h, mi, s, nanos): (u32, u32, u32, u32),
        offset_secs: i64,
    ) -> Result<i64, &'static str> {
        let date = NaiveDate::from_ymd_opt(y, mo, d).ok_or("is not a valid date")?;
        let time = NaiveTime::from_hms_nano_opt(h, mi, s, nanos).ok_or("is not a valid time")?;
        (NaiveDateTime::new(date, time) - Duration::seconds(offset_secs))
            .and_utc()
            .timestamp_nanos_opt()
            .ok_or("is outside the years 1677 to 2262")
    }

    #[test]
    fn integer_arithmetic_equals_chrono_on_every_kind_of_date() {
        let zones = [("Z", 0), ("+00", 0), ("-23:59", -86_340), ("+0530", 19_800)];
        let times = [
            ((0, 0, 0, 0), "00:00:00"),
            ((23, 59, 59, 999_999_999), "23:59:59.999999999"),
            ((12, 0, 0, 500_000_000), "12:00:00.5"),
            ((24, 0, 0, 0), "24:00:00"),
            ((12, 60, 0, 0), "12:60:00"),
            ((12, 0, 60, 0), "12:00:60"),
        ];
        let mut n = 0;
        for y in [
            0, 1, 4, 100, 400, 1600, 1676, 1677, 1678, 1900, 1969, 1970, 2000, 2024,
        ] {
            for y in [y, 2100 + y % 200, 2261, 2262, 2263, 9999] {
                for mo in 0..=13 {
                    for d in [0, 1, 15, 28, 29, 30, 31, 32] {
                        for (hms, t) in times {
                            for (z, off) in zones {
                                let text = format!("{y:04}-{mo:02}-{d:02}T{t}{z}");
                                let got = normalize(&text).map(|i| i.nanos).map_err(|e| e.reason);
                                assert_eq!(got, by_chrono((y, mo, d), hms, off), "{text}");
                                if let Ok(nanos) = got {
                                    let want = DateTime::<Utc>::from_timestamp_nanos(nanos)
                                        .format("%Y-%m-%dT%H:%M:%S.%9fZ")
                                        .to_string();
                                    assert_eq!(Instant { nanos }.canonical(), want, "{text}");
                                }
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 14 * 6 * 14 * 8 * 6 * 4);
        // Both ends of the range, to the nanosecond.
        for nanos in [i64::MIN, i64::MIN + 1, i64::MAX - 1, i64::MAX] {
            let s = DateTime::<Utc>::from_timestamp_nanos(nanos)
                .format("%Y-%m-%dT%H:%M:%S.%9fZ")
                .to_string();
            assert_eq!(normalize(&s).map(|i| i.nanos), Ok(nanos), "{s}");
        }
        for s in [
            "1677-09-21T00:12:43.145224191Z",
            "2262-04-11T23:47:16.854775808Z",
        ] {
            let e = normalize(s).unwrap_err();
            assert_eq!(e.reason, "is outside the years 1677 to 2262", "{s}");
        }
    }

    #[test]
    fn every_allowed_rendering_normalizes() {
        let want = "2026-04-30T13:41:23.120000000Z";
        for s in [
            "2026-04-30T13:41:23.120000000Z",
            "2026-04-30 13:41:23.12+00",
            "2026-04-30T13:41:23.12Z",
            "2026-04-30T15:41:23.12+02:00",
            "2026-04-30T15:41:23.12+0200",
            "2026-04-30T15:41:23.12+02",
            "2026-04-30T10:11:23.12-03:30",
            "2026-04-30t13:41:23.120z",
        ] {
            assert_eq!(c(s), want, "{s}");
        }
        assert_eq!(
            c("2026-04-30 13:41:23+00"),
            "2026-04-30T13:41:23.000000000Z"
        );
        assert_eq!(
            c("2026-05-01T01:00:00.5+02:00"),
            "2026-04-30T23:00:00.500000000Z"
        );
    }

    #[test]
    fn bad_renderings_name_the_value() {
        for (s, why) in [
            ("2026-04-30T13:41:23", "has no time zone (Z or an offset)"),
            ("2026-02-30T13:41:23Z", "is not a valid date"),
            (
                "2026-04-30T13:41:23.1234567891Z",
                "has more than nine fraction digits",
            ),
            ("2026-04-30T25:41:23Z", "is not a valid time"),
            (
                "yesterday",
                "is not of the form YYYY-MM-DDTHH:MM:SS[.f][zone]",
            ),
            (
                "2026-04-30T13:41:23Z junk",
                "has trailing characters after its time",
            ),
        ] {
            let e = normalize(s).unwrap_err();
            assert_eq!(e.reason, why, "{s}");
            assert_eq!(e.value, s);
        }
    }

    #[test]
    fn canonical_bytes_match_chrono_at_the_edges_of_the_range() {
        for nanos in [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            1,
            951_782_400_123_456_789, // 2000-02-29
            1_777_536_000_000_000_000,
            i64::MAX,
        ] {
            let i = Instant { nanos };
            let chrono = DateTime::<Utc>::from_timestamp_nanos(nanos)
                .format("%Y-%m-%dT%H:%M:%S.%9fZ")
                .to_string();
            assert_eq!(i.canonical(), chrono, "{nanos}");
            assert_eq!(normalize(&chrono).unwrap(), i);
        }
    }

    #[test]
    fn canonical_strings_sort_in_time_order() {
        let a = normalize("2026-04-30T23:59:59.999999999Z").unwrap();
        let b = normalize("2026-05-01T00:00:00Z").unwrap();
        assert!(a < b && a.canonical() < b.canonical());
    }
}
