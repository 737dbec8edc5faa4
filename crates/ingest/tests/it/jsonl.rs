//! The JSON Lines reader on damaged and awkward files: a bad line among good ones, a broken
//! first line, lines across the reader's buffer (the vectors are read in `dumps.rs`).

use trailproof_ingest::detect::sniff;
use trailproof_ingest::{InputKind, Location, RawData};

use super::dumps::{checked, fixture, read_all, unreadable};

#[test]
fn jsonl_bad_line_in_the_middle() {
    let r = read_all(&fixture("bad-line.jsonl"), InputKind::Jsonl);
    let locs: Vec<_> = r.iter().map(|r| r.loc).collect();
    assert_eq!(
        locs,
        vec![
            Location::Line(1),
            Location::Line(3),
            Location::Line(4),
            Location::Line(5),
            Location::Line(6)
        ]
    );
    assert!(matches!(&r[2].data, RawData::Json(b) if b == br#"{"seq": 3, "tenant_id": "acme"}"#));
    assert!(unreadable(&r[3]).starts_with("line 5: not valid UTF-8"));
    let c = checked(r);
    assert_eq!(c[0].seq, Some(1));
    assert!(c[1].problems[0].contains("JSON"), "{:?}", c[1].problems);
    assert_eq!(c[1].loc, Location::Line(3));
    assert_eq!(c[2].tenant_id.as_deref(), Some("acme"));
    assert_eq!(c[2].seq, Some(3));
    assert_eq!(c[4].seq, Some(5));

    let r = read_all(&fixture("bom.jsonl"), InputKind::Jsonl);
    assert!(matches!(&r[0].data, RawData::Json(b) if b == br#"{"seq": 1}"#));
}

/// Lines across the reader's 256 KiB buffer, longer than it, blank, with `\r`, not UTF-8 and
/// a last one without `\n` come out as the lines of the file, numbered, whichever way each was
/// read.
#[test]
fn jsonl_lines_across_the_reader_s_buffer_are_the_file_s_lines() {
    let dir = trailproof_testkit::scratch("jsonl_buffer");
    let path = dir.join("big.jsonl");
    let mut file = b"\xEF\xBB\xBF".to_vec();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for i in 0..1500usize {
        let line = match i % 97 {
            5 => Vec::new(),
            6 => b"   \r".to_vec(),
            7 => b"{\"bad\": \"\xFF\"}".to_vec(),
            8 => format!("{{\"big\": \"{}\"}}", "x".repeat(300_000 + i)).into_bytes(),
            _ => format!(
                "{{\"seq\": {i}, \"pad\": \"{}\"}}\r",
                "y".repeat(i * 7 % 900)
            )
            .into_bytes(),
        };
        file.extend_from_slice(&line);
        if i < 1499 {
            file.push(b'\n');
        }
        lines.push(line);
    }
    std::fs::write(&path, &file).unwrap();
    let read = read_all(&path, InputKind::Jsonl);
    let mut expected = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        expected.push((Location::Line(i as u64 + 1), line.to_vec()));
    }
    assert_eq!(read.len(), expected.len());
    for (r, (loc, bytes)) in read.iter().zip(&expected) {
        assert_eq!(r.loc, *loc);
        match &r.data {
            RawData::Json(b) => assert!(b == bytes, "{loc:?}"),
            RawData::Unreadable(m) => {
                assert!(bytes.starts_with(b"{\"bad\""), "{loc:?}");
                let Location::Line(n) = loc else {
                    unreachable!()
                };
                assert_eq!(
                    m,
                    &format!("line {n}: not valid UTF-8 (byte 10 of the line)")
                );
            }
            other => panic!("{loc:?}: {other:?}"),
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn jsonl_with_a_broken_first_line_is_still_jsonl() {
    let p = fixture("bad-first-line.jsonl");
    assert_eq!(sniff(&p).expect("sniff"), InputKind::Jsonl);
    let c = checked(read_all(&p, InputKind::Jsonl));
    assert_eq!(c.len(), 2);
    assert!(c[0].problems[0].contains("JSON"));
    assert_eq!(c[1].seq, Some(2));
}
