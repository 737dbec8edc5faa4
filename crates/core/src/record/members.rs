//! The top-level members of a record's canonical JSON text, read where they lie: what the
//! timeline keeps of a record (its dimensions, whether `changes` is set, its `metadata`) without
//! building the record's [`Value`](crate::json::Value) tree.
//!
//! Invariant: only for a text [`check_canonical_text`](super::canonical_text) accepted (the
//! caller holds it as [`Kept::Text`](super::Kept::Text)): every member is then well formed,
//! names are unique and need no unescaping (RFC 8785 escapes only `"`, `\` and control
//! characters), and a string's escapes are the six short ones and `\u00XX`. Anything else makes
//! [`Members::string`] answer `Err(())`, and the caller reads the parsed value instead.

use std::borrow::Cow;

/// The top-level members of a canonical object text, as (name, value text) slices.
pub struct Members<'a> {
    /// Found by reading the text ([`Members::of`]).
    members: Vec<(&'a [u8], &'a [u8])>,
    /// Or noted by its scan ([`Members::at`]): spans inside `text`, read as they are asked for
    /// (a record's vector of slices, grown member by member, was a fifth of its sighting).
    text: &'a [u8],
    noted: &'a [Span],
}

/// The end (exclusive, just after its closing quote) of the JSON string starting at
/// `b[i] == b'"'`; `None` when `b` ends first.
pub fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[at] == b'"' {
            return Some(at + 1);
        }
        i = at + 2;
    }
}

/// The end (exclusive) of the canonical JSON value starting at `b[i]` (a string, an object or
/// array with everything inside it, or a literal or number up to the `,`, `}` or `]` after
/// it); `None` when `b` ends first. For text already validated: nothing but nesting and
/// strings is checked.
pub fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => Some(
            i + b[i..]
                .iter()
                .position(|&c| c == b',' || c == b'}' || c == b']')?,
        ),
    }
}

/// Where one top-level member of a canonical text lies, as the scan that found the text
/// canonical noted it ([`Spans`]): its name's contents and its value's text, as byte ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    name: (u32, u32),
    value: (u32, u32),
}

/// The spans of a text's top-level members, noted while it is scanned, for up to
/// [`Spans::MAX`] members (a record has about twenty); none past that.
#[derive(Debug, Clone)]
pub struct Spans {
    spans: [Span; Spans::MAX],
    /// Members noted; `None` past [`Spans::MAX`] or an offset past `u32::MAX`.
    len: Option<usize>,
}

impl Default for Spans {
    fn default() -> Spans {
        Spans {
            spans: [Span::default(); Spans::MAX],
            len: Some(0),
        }
    }
}

impl Spans {
    /// Members noted at most.
    pub const MAX: usize = 32;

    /// Notes a member: its name's contents `name` and its value `value` (byte ranges).
    pub(crate) fn note(&mut self, name: (usize, usize), value: (usize, usize)) {
        let small = |(a, z): (usize, usize)| Some((u32::try_from(a).ok()?, u32::try_from(z).ok()?));
        self.len = match (self.len, small(name), small(value)) {
            (Some(n), Some(name), Some(value)) if n < Spans::MAX => {
                self.spans[n] = Span { name, value };
                Some(n + 1)
            }
            _ => None,
        };
    }

    /// The members noted, if every one was.
    pub fn to_boxed(&self) -> Option<Box<[Span]>> {
        self.len.map(|n| self.spans[..n].into())
    }
}

impl<'a> Members<'a> {
    /// The members of `text` at `spans`, as the scan that found `text` canonical noted them;
    /// `None` when a span lies outside it.
    pub fn at(text: &'a [u8], spans: &'a [Span]) -> Option<Members<'a>> {
        let inside = |(a, z): (u32, u32)| a <= z && z as usize <= text.len();
        spans
            .iter()
            .all(|s| inside(s.name) && inside(s.value))
            .then_some(Members {
                members: Vec::new(),
                text,
                noted: spans,
            })
    }

    /// The members of `text`, a canonical object; `None` when it is not an object.
    pub fn of(text: &'a [u8]) -> Option<Members<'a>> {
        let b = text;
        if b.first() != Some(&b'{') {
            return None;
        }
        let mut members = Vec::with_capacity(24);
        let mut i = 1;
        while b.get(i) != Some(&b'}') {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let name_end = string_end(b, i)?;
            let name = &b[i + 1..name_end - 1];
            if b.get(name_end) != Some(&b':') {
                return None;
            }
            let v = name_end + 1;
            let end = value_end(b, v)?;
            members.push((name, &b[v..end]));
            i = end;
            if b.get(i) == Some(&b',') {
                i += 1;
            }
        }
        Some(Members {
            members,
            text,
            noted: &[],
        })
    }

    /// The text of member `name`'s value, if the object has it.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.iter()
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, v)| v)
    }

    /// Member `name` as the timeline reads it: `Ok(None)` when absent or `null`, `Ok(Some(s))`
    /// for a string (borrowed from the text unless it has escapes), `Err(())` for any other
    /// value (the caller reads the parsed value).
    #[allow(clippy::result_unit_err)]
    pub fn string(&self, name: &str) -> Result<Option<Cow<'a, str>>, ()> {
        string_value(self.get(name))
    }

    /// Every member, in text order, as (name, value text).
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + '_ {
        let text = self.text;
        // Inside the text: `Members::at` checked every span.
        let slice = move |(a, z): (u32, u32)| &text[a as usize..z as usize];
        self.members.iter().copied().chain(
            self.noted
                .iter()
                .map(move |s| (slice(s.name), slice(s.value))),
        )
    }
}

/// A member's value text (`None` when absent) as [`Members::string`] reads it.
#[allow(clippy::result_unit_err)]
pub fn string_value(v: Option<&[u8]>) -> Result<Option<Cow<'_, str>>, ()> {
    match v {
        None | Some(b"null") => Ok(None),
        Some(v) if v.first() == Some(&b'"') => unescape(&v[1..v.len() - 1]).map(Some),
        Some(_) => Err(()),
    }
}

/// [`string_value`] of a value text `v` that lies inside `text` (as [`Members::of`] found it
/// there): a string without escapes is sliced out of `text`, which is UTF-8 already, rather
/// than checked again (a record's dozen short checks were a tenth of a timeline's checking
/// thread). A `v` that is not a slice of `text` is read as [`string_value`] reads it.
#[allow(clippy::result_unit_err)]
pub fn string_value_within<'a>(
    text: &'a str,
    v: Option<&'a [u8]>,
) -> Result<Option<Cow<'a, str>>, ()> {
    let Some(v) = v.filter(|v| v.len() >= 2 && v[0] == b'"' && memchr::memchr(b'\\', v).is_none())
    else {
        return string_value(v);
    };
    let start = (v.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    let inside = text.as_bytes().get(start..start.wrapping_add(v.len()));
    match inside {
        // The very bytes of `v`: their contents between the quotes are on char boundaries.
        Some(b) if std::ptr::eq(b.as_ptr(), v.as_ptr()) => text
            .get(start + 1..start + v.len() - 1)
            .map(|s| Some(Cow::Borrowed(s)))
            .ok_or(()),
        _ => string_value(Some(v)),
    }
}

/// The text of a canonical string's contents (without its quotes).
fn unescape(s: &[u8]) -> Result<Cow<'_, str>, ()> {
    let Some(first) = memchr::memchr(b'\\', s) else {
        return std::str::from_utf8(s).map(Cow::Borrowed).map_err(|_| ());
    };
    let mut out = Vec::with_capacity(s.len());
    out.extend_from_slice(&s[..first]);
    let mut i = first;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = *s.get(i + 1).ok_or(())?;
        let byte = match c {
            b'u' => {
                let hex = std::str::from_utf8(s.get(i + 2..i + 6).ok_or(())?).map_err(|_| ())?;
                let n =
                    u8::from_str_radix(hex.strip_prefix("00").ok_or(())?, 16).map_err(|_| ())?;
                if n >= 0x20 {
                    return Err(());
                }
                out.push(n);
                i += 6;
                continue;
            }
            letter => crate::canonical::short_escape(letter).ok_or(())?,
        };
        out.push(byte);
        i += 2;
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Value;

    /// Every member's value text, read in place, is the canonical form of the parsed member, and
    /// strings read as the parser reads them.
    #[test]
    fn members_read_in_place_are_the_parsed_members() {
        let texts: [&[u8]; 4] = [
            br#"{"a":1,"b":"x","c":null,"d":{"e":[1,{"f":"}]"}],"g":true},"h":[],"i":"q\"\\\n\u001f"}"#,
            br#"{}"#,
            br#"{"":"","changes":{"x":{"from":1,"to":2}},"metadata":{"row_count":5,"threshold":1}}"#,
            "{\"actor_display\":\"Zoë\",\"z\":-1.5e-7}".as_bytes(),
        ];
        for t in texts {
            let m = Members::of(t).expect("an object");
            let Value::Object(map) = Value::parse(t).unwrap() else {
                panic!("an object")
            };
            assert_eq!(m.members.len(), map.len());
            for (name, value) in &map {
                let text = m.get(name).expect("member found");
                assert_eq!(Value::parse(text).unwrap(), *value, "{name}");
                match value {
                    Value::Null => assert_eq!(m.string(name), Ok(None)),
                    Value::String(s) => {
                        assert_eq!(m.string(name), Ok(Some(Cow::Borrowed(s.as_str()))))
                    }
                    _ => assert_eq!(m.string(name), Err(())),
                }
            }
            assert_eq!(m.string("absent"), Ok(None));
        }
        // Escapes RFC 8785 never writes are left to the parser.
        for t in [&br#"{"k":"a\/b"}"#[..], &br#"{"k":"Zo\u00eb"}"#[..]] {
            assert_eq!(Members::of(t).unwrap().string("k"), Err(()));
        }
        assert!(Members::of(b"[1]").is_none());
    }

    /// Strings sliced out of the whole text are the strings read one by one, escaped or not;
    /// a value text that is not a slice of the text given is read one by one too.
    #[test]
    fn strings_within_the_text_are_the_strings_read_alone() {
        let text =
            "{\"a\":\"x\",\"b\":\"Zoë Müller\",\"c\":\"q\\\"\\n\",\"d\":null,\"e\":1,\"f\":\"\"}";
        let m = Members::of(text.as_bytes()).unwrap();
        let mut sliced = 0;
        for (name, v) in m.iter() {
            let within = string_value_within(text, Some(v));
            assert_eq!(within, string_value(Some(v)), "{name:?}");
            sliced += matches!(within, Ok(Some(Cow::Borrowed(_)))) as usize;
        }
        assert_eq!(sliced, 3, "a, b and f are borrowed, c has escapes");
        assert_eq!(string_value_within(text, None), Ok(None));
        let elsewhere = b"\"Zo\xc3\xab\"".to_vec();
        assert_eq!(
            string_value_within(text, Some(&elsewhere)),
            Ok(Some(Cow::Borrowed("Zoë")))
        );
        let not_utf8 = b"\"\xff\"".to_vec();
        assert_eq!(string_value_within(text, Some(&not_utf8)), Err(()));
    }

    /// Members at noted spans are the members read from the text; a span outside the text is
    /// refused whole, never sliced.
    #[test]
    fn members_at_noted_spans_are_the_text_s_and_spans_outside_it_are_refused() {
        let t = br#"{"a":1,"bb":"x","c":{"d":[2]}}"#;
        let mut spans = Spans::default();
        for (name, value) in [((2, 3), (5, 6)), ((8, 10), (12, 15)), ((17, 18), (20, 29))] {
            spans.note(name, value);
        }
        let noted = spans.to_boxed().unwrap();
        let at: Vec<_> = Members::at(t, &noted).unwrap().iter().collect();
        let of: Vec<_> = Members::of(t).unwrap().iter().collect();
        assert_eq!(at, of);
        assert_eq!(
            Members::at(t, &noted).unwrap().get("bb"),
            Some(&br#""x""#[..])
        );
        for bad in [((2, 3), (5, 31)), ((4, 3), (5, 6))] {
            let mut spans = Spans::default();
            spans.note(bad.0, bad.1);
            assert!(
                Members::at(t, &spans.to_boxed().unwrap()).is_none(),
                "{bad:?}"
            );
        }
    }
}
