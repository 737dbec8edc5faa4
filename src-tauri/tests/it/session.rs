//! The backend of the app without a window: opening cases from the vectors, paging and
//! filtering the records table, record detail read back from the evidence, timeline density,
//! exports and the recent-cases list. Each test asserts exact seqs, codes and values.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use trailproof_app::session::Loaded;
use trailproof_app::types::{
    ErrorKind, RecentCase, RecordFilter, RecordQuery, ReportFormat, SortKey, TimelineFormat,
};
use trailproof_app::{detail, recent, work};
use trailproof_core::finding::Code;
use trailproof_core::report::Verdict;
use trailproof_core::timeline::model::{Flag, Integrity, Kind};

use trailproof_testkit::{root, vector};

fn open(paths: &[PathBuf]) -> Loaded {
    let cancel = AtomicBool::new(false);
    work::open(1, paths.to_vec(), None, &|_| {}, &cancel).expect("opens")
}

fn query(filter: RecordFilter, sort: SortKey, offset: u32, limit: u32) -> RecordQuery {
    RecordQuery {
        generation: 1,
        offset,
        limit,
        filter,
        sort,
        descending: false,
    }
}

#[test]
fn visible_edit_pdf_detail_shows_the_printed_row_and_the_finding() {
    let case = open(&[vector("tampered/visible-edit.pdf")]);
    assert_eq!(case.report.verdict, Verdict::Tampered);
    let i = case.index_of("acme", 2).expect("acme 2 is in the timeline");
    let d = detail::detail(&case, i).unwrap();
    assert_eq!(d.row.seq, 2);
    assert_eq!(d.copies.len(), 1, "the embedded payload's copy");
    assert!(d.copies[0].location.starts_with("records["));
    assert_eq!(d.copies[0].stored_hash, d.copies[0].computed_hash);
    assert_eq!(d.visible.len(), 1, "the printed row");
    assert!(d
        .findings
        .iter()
        .any(|f| serde_json::to_value(f.code).unwrap() == "visible_text_mismatch"));
    // The canonical bytes are what is hashed: no `hash` member, and they hash to the stored one.
    let canon = d.copies[0].canonical.clone().unwrap();
    assert!(!canon.contains("\"hash\""));
    let h = trailproof_core::record::hex(&trailproof_core::record::sha256(canon.as_bytes()));
    assert_eq!(Some(h), d.copies[0].stored_hash);
    assert_eq!(d.prev, case.index_of("acme", 1));
    // The printed cell against the embedded value, each side named.
    let sev = d
        .diffs
        .iter()
        .find(|x| x.field == "severity")
        .expect("severity diff");
    assert_eq!(sev.left.as_deref(), Some("\"info\""));
    assert_eq!(sev.right.as_deref(), Some("\"critical\""));
    assert!(sev
        .left_source
        .ends_with("visible-edit.pdf (printed on the page)"));
    assert!(sev
        .right_source
        .ends_with("visible-edit.pdf (embedded record)"));
}

#[test]
fn edited_field_detail_has_both_hashes() {
    let case = open(&[vector("tampered/edited-field.sqlite")]);
    let i = case.index_of("acme", 17).unwrap();
    let d = detail::detail(&case, i).unwrap();
    assert_eq!(d.row.integrity, Integrity::HashMismatch);
    assert_eq!(d.copies.len(), 1);
    assert_eq!(
        d.copies[0].location, "row 24",
        "rowid order interleaves tenants"
    );
    assert_ne!(d.copies[0].stored_hash, d.copies[0].computed_hash);
    assert!(d.copies[0].computed_hash.is_some());
}

#[test]
fn a_recovered_original_is_a_copy_of_its_own_and_an_entry_after_the_current_one() {
    let case = open(&[root().join("tests/fixtures/recovery/replace_rehashed.sqlite")]);
    let i = case.index_of("acme", 12).unwrap();
    // The current entry first, its recovered version right after it.
    assert_ne!(case.event(i).unwrap().integrity, Integrity::Recovered);
    let recovered = case.event(i + 1).unwrap();
    assert_eq!((recovered.tenant_id.as_str(), recovered.seq), ("acme", 12));
    assert_eq!(recovered.integrity, Integrity::Recovered);
    assert_eq!(recovered.flags, vec![Flag::ProofChain]);
    assert_eq!(recovered.outcome.as_deref(), Some("success"));
    assert_eq!(
        recovered.diverged_fields,
        ["actor_ip", "hash", "outcome", "outcome_reason"]
    );
    for at in [i, i + 1] {
        let d = detail::detail(&case, at).unwrap();
        assert_eq!(d.copies.len(), 2, "the row and the recovered copy");
        let current = &d.copies[0];
        assert!(current.recovered.is_none());
        let copy = &d.copies[1];
        let note = copy.recovered.as_ref().unwrap();
        assert_eq!(note.recovered_from, "sqlite_freeblock");
        assert_eq!(note.at, "byte 17905");
        assert_eq!(note.proof, "chain");
        assert_eq!(copy.location, "page 5");
        assert_eq!(
            copy.computed_hash.as_deref(),
            Some("547f8ff8abb7533ff5298d9f2c4bf3530cc9ffa947a270c86a0325ccf8e85a7b")
        );
        assert_eq!(copy.computed_hash, copy.stored_hash);
        assert!(d.diffs.iter().any(|r| r.field == "outcome"
            && r.left.as_deref() == Some("\"failure\"")
            && r.right.as_deref() == Some("\"success\"")
            && r.right_source
                .contains("(recovered from sqlite_freeblock at byte 17905)")));
    }
}

#[test]
fn an_earlier_pdf_revision_s_record_is_a_copy_in_the_detail() {
    let case = open(&[root().join("tests/fixtures/pdf-recovery/attachment-edited.pdf")]);
    let i = case.index_of("acme", 9).unwrap();
    let d = detail::detail(&case, i).unwrap();
    let copy = d
        .copies
        .iter()
        .find(|c| c.recovered.is_some())
        .expect("the original of revision 1");
    let note = copy.recovered.as_ref().unwrap();
    assert_eq!(
        (
            note.recovered_from.as_str(),
            note.at.as_str(),
            note.proof.as_str()
        ),
        ("pdf_revision", "revision 1", "chain")
    );
    assert!(copy
        .fields
        .iter()
        .any(|(k, v)| k == "actor_user_id" && v == "\"u-1003\""));
    assert_eq!(
        case.event(i + 1).map(|e| e.integrity),
        Some(Integrity::Recovered)
    );
}

#[test]
fn a_sqlite_record_is_read_back_from_the_state_verified_wal_included() {
    // acme seq 7 was edited in a transaction still in the -wal: verification reads the main
    // file with the committed frames applied, and so must the detail (not the main file's
    // original row, which is a recovered copy, sqlite_main_under_wal).
    let dir = tempfile::tempdir().unwrap();
    for f in ["wal_edit.sqlite", "wal_edit.sqlite-wal"] {
        std::fs::copy(
            root().join("tests/fixtures/recovery").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    let db = dir.path().join("wal_edit.sqlite");
    let case = open(std::slice::from_ref(&db));
    let i = case.index_of("acme", 7).unwrap();
    let event = case.event(i).unwrap();
    let d = detail::detail(&case, i).unwrap();
    let current: Vec<_> = d.copies.iter().filter(|c| c.recovered.is_none()).collect();
    assert_eq!(current.len(), 1, "{:?}", d.unavailable);
    let field = |k: &str| {
        current[0]
            .fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        field("action"),
        event.action.map(|a| serde_json::to_string(&a).unwrap())
    );
    // Not the main file's row: that one is the original, recovered with proof chain.
    assert_ne!(
        current[0].computed_hash.as_deref(),
        Some("fd2146d22fa5e1fd36c2f4e636d73f58a07c355d10579b737cbdd3b725bfb683")
    );
    assert!(d.copies.iter().any(|c| c
        .recovered
        .as_ref()
        .is_some_and(|r| r.recovered_from == "sqlite_main_under_wal" && r.proof == "chain")));
    // Nothing was written beside the evidence.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn a_file_changed_after_opening_is_not_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("records.jsonl");
    std::fs::copy(vector("records.jsonl"), &copy).unwrap();
    let case = open(std::slice::from_ref(&copy));
    let i = case.index_of("acme", 3).unwrap();
    let d = detail::detail(&case, i).unwrap();
    assert_eq!(d.copies.len(), 1, "{:?}", d.unavailable);
    assert_eq!(d.copies[0].location, "line 3");
    assert!(d.unavailable.is_empty());
    // Appending one byte changes the size: the copy would no longer be the bytes verified.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&copy)
        .unwrap();
    std::io::Write::write_all(&mut f, b"\n").unwrap();
    drop(f);
    let d = detail::detail(&case, i).unwrap();
    assert!(d.copies.is_empty());
    assert_eq!(d.unavailable.len(), 1);
    assert!(
        d.unavailable[0].ends_with(
            "records.jsonl: the file changed (or cannot be read) since the case was opened, so its copy is not read back: open the case again to verify it anew"
        ),
        "{}",
        d.unavailable[0]
    );
}

#[test]
fn dump_and_export_diverge_field_by_field() {
    let case = open(&[
        vector("tampered/rechained-suffix.sqlite"),
        vector("export-acme-critical.pdf"),
    ]);
    assert_eq!(case.report.verdict, Verdict::Tampered);
    // acme 39 is in the export (critical) and was re-chained in the dump.
    let i = case.index_of("acme", 39).unwrap();
    let d = detail::detail(&case, i).unwrap();
    // One copy from the dump, one from the export's payload.
    assert_eq!(d.copies.len(), 2, "{:?}", d.unavailable);
    assert_eq!(
        d.differing,
        vec!["hash".to_string(), "prev_hash".to_string()]
    );
    assert_eq!(d.row.integrity, Integrity::Diverged);
}

#[test]
fn filters_equal_the_scope_filters() {
    let case = open(&[vector("audit.sqlite")]);
    let all = case.page(&query(RecordFilter::default(), SortKey::Time, 0, 1000));
    assert_eq!(all.total as usize, case.len());
    let critical = case.page(&query(
        RecordFilter {
            severity: Some("critical".into()),
            tenant: Some("acme".into()),
            ..Default::default()
        },
        SortKey::Seq,
        0,
        1000,
    ));
    assert!(critical.total > 0);
    assert!(critical
        .rows
        .iter()
        .all(|r| r.severity.as_deref() == Some("critical") && r.tenant_id == "acme"));
    let seqs: Vec<u64> = critical.rows.iter().map(|r| r.seq).collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted, "sorted by seq");
    // The same selection as the export of that scope holds.
    let export = open(&[vector("export-acme-critical.pdf")]);
    assert_eq!(critical.total as u64, export.report.counts.records);

    // Paging: offsets past the end are clamped, limits are capped.
    let page = case.page(&query(
        RecordFilter::default(),
        SortKey::Time,
        all.total - 3,
        50,
    ));
    assert_eq!(page.rows.len(), 3);
    assert_eq!(page.offset, all.total - 3);

    // Time range as canonical prefixes: `to` takes in the whole day it names.
    let first = all.rows[0].timestamp.clone().unwrap();
    let day = &first[..10];
    let same_day = case.page(&query(
        RecordFilter {
            from: Some(day.into()),
            to: Some(day.into()),
            ..Default::default()
        },
        SortKey::Time,
        0,
        1000,
    ));
    assert!(same_day.total > 0);
    assert!(same_day
        .rows
        .iter()
        .all(|r| r.timestamp.as_deref().unwrap().starts_with(day)));
}

#[test]
fn html_payload_stays_text_and_is_found_by_free_text() {
    let case = open(&[root().join("tests/fixtures/app/xss.jsonl")]);
    assert_eq!(case.report.verdict, Verdict::Intact);
    let p = case.page(&query(
        RecordFilter {
            text: Some("ONERROR".into()),
            ..Default::default()
        },
        SortKey::Time,
        0,
        100,
    ));
    assert_eq!(p.total, 1);
    assert_eq!(p.rows[0].seq, 3);
    assert_eq!(
        p.rows[0].actor_display.as_deref(),
        Some("<img src=x onerror=alert(1)>")
    );
    let html = String::from_utf8(work::report_bytes(&case, ReportFormat::Html).unwrap()).unwrap();
    assert!(!html.contains("<img src=x"));
}

#[test]
fn gaps_are_rows_and_density_counts_every_event() {
    let case = open(&[vector("tampered/deleted-record.sqlite")]);
    let gaps = case.page(&query(
        RecordFilter {
            integrity: Some(Integrity::Gap),
            ..Default::default()
        },
        SortKey::Time,
        0,
        10,
    ));
    assert_eq!(gaps.total, 1);
    assert_eq!(gaps.rows[0].kind, Kind::Gap);
    assert_eq!(
        (gaps.rows[0].tenant_id.as_str(), gaps.rows[0].seq),
        ("acme", 9)
    );
    let hidden = case.page(&query(
        RecordFilter {
            hide_gaps: true,
            ..Default::default()
        },
        SortKey::Time,
        0,
        10,
    ));
    assert_eq!(hidden.total as usize, case.len() - 1);

    let b = case.bounds();
    let d = case.density(b.first.unwrap(), b.last.unwrap(), 50, 10_000);
    let events = case
        .events()
        .filter(|e| e.kind == Kind::Event && e.micros.is_some())
        .count();
    assert_eq!(d.total as usize, events);
    assert_eq!(
        d.buckets.iter().map(|b| b.events as usize).sum::<usize>(),
        events
    );
    assert_eq!(d.marks.len(), events);
    assert_eq!(d.gaps.len(), 1);
    assert_eq!(d.gaps[0].seq, 9);
    // Above the limit the events are summarised, not listed.
    assert!(case
        .density(b.first.unwrap(), b.last.unwrap(), 50, 5)
        .marks
        .is_empty());
}

#[test]
fn exports_write_only_the_chosen_file() {
    let case = open(&[vector("export-acme-critical.pdf")]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let bytes = work::report_bytes(&case, ReportFormat::Json).unwrap();
    let saved = work::save(&out, &bytes).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    assert_eq!(saved.bytes, bytes.len() as u64);
    assert_eq!(
        saved.sha256,
        trailproof_core::record::hex(&trailproof_core::record::sha256(&bytes))
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["verdict"], "intact");

    let csv = work::timeline_bytes(&case, TimelineFormat::Csv).unwrap();
    let lines = csv.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    assert_eq!(lines, case.len() + 1, "header and one line per entry");
    let ts = work::timeline_bytes(&case, TimelineFormat::Timesketch).unwrap();
    let first: serde_json::Value =
        serde_json::from_slice(ts.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert!(first["timestamp"].is_i64());
    assert_eq!(first["timestamp_desc"], "Event Recorded");
}

#[test]
fn a_save_path_that_is_evidence_or_the_case_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("records.jsonl");
    std::fs::copy(vector("records.jsonl"), &evidence).unwrap();
    let case = open(std::slice::from_ref(&evidence));
    let e = work::refuse_evidence(&evidence, &case, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Save);
    assert!(
        e.message.contains("is the evidence file") && e.message.contains("records.jsonl"),
        "{}",
        e.message
    );
    // Another spelling of the same file is the same file.
    let respelled = dir.path().join(".").join("records.jsonl");
    assert!(work::refuse_evidence(&respelled, &case, None).is_err());
    // The open case file is refused as well; a new path passes.
    let case_file = dir.path().join("case.trailproof");
    std::fs::write(&case_file, b"case").unwrap();
    let named = Some(case_file.to_string_lossy().into_owned());
    assert!(work::refuse_evidence(&case_file, &case, named.clone()).is_err());
    assert!(work::refuse_evidence(&case_file, &case, None).is_ok());
    let new = dir.path().join("report.html");
    assert!(work::refuse_evidence(&new, &case, named).is_ok());
    assert_eq!(
        std::fs::read(&evidence).unwrap(),
        std::fs::read(vector("records.jsonl")).unwrap()
    );
}

#[test]
fn verification_urls_come_from_the_export() {
    let case = open(&[vector("export-acme-critical.pdf")]);
    assert_eq!(
        case.verification_urls.len(),
        1,
        "{:?}",
        case.verification_urls
    );
    assert_eq!(
        case.verification_urls[0],
        "https://erp.example.com/audit/verify?tenant_id=acme&hash=dd82d8688f20b646b785dca19fbf40c617f090187b12e5dc6951d636ad3df4fc&severity=critical"
    );
}

#[test]
fn unreadable_evidence_is_an_evidence_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.txt");
    std::fs::write(&bad, b"hello\n").unwrap();
    let cancel = AtomicBool::new(false);
    let e = work::open(1, vec![bad.clone()], None, &|_| {}, &cancel)
        .err()
        .expect("refused");
    assert_eq!(e.kind, ErrorKind::Evidence);
    assert!(e.message.contains("notes.txt"), "{}", e.message);
    let e = work::open(1, Vec::new(), None, &|_| {}, &cancel)
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[test]
fn cancelling_stops_the_open() {
    let cancel = AtomicBool::new(true);
    let e = work::open(1, vec![vector("audit.sqlite")], None, &|_| {}, &cancel)
        .err()
        .expect("cancelled");
    assert_eq!(e.kind, ErrorKind::Cancelled);
}

#[test]
fn recent_cases_newest_first_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let f = recent::file_in(dir.path().join("cfg"));
    assert!(recent::load(&f).is_empty());
    let c = |p: &str, v| RecentCase {
        paths: vec![p.to_string()],
        verdict: v,
        case_file: None,
    };
    recent::remember(&f, c("a.pdf", Verdict::Intact)).unwrap();
    recent::remember(&f, c("b.sqlite", Verdict::Tampered)).unwrap();
    let list = recent::remember(&f, c("a.pdf", Verdict::Tampered)).unwrap();
    assert_eq!(
        list,
        vec![
            c("a.pdf", Verdict::Tampered),
            c("b.sqlite", Verdict::Tampered)
        ]
    );
    assert_eq!(recent::load(&f), list);
    for i in 0..20 {
        recent::remember(&f, c(&format!("{i}.jsonl"), Verdict::Intact)).unwrap();
    }
    assert_eq!(recent::load(&f).len(), 12);
}

#[test]
fn the_annotation_filter_keeps_exactly_the_records_named() {
    // The UI resolves "starred", "tagged X" and "has a note" from the case file into (tenant, seq)
    // keys; the table then shows those records and nothing else: no gaps, no unknown tenants.
    let case = open(&[vector("audit.sqlite")]);
    let only = |keys: &[(&str, u64)]| {
        let page = case.page(&query(
            RecordFilter {
                only: Some(keys.iter().map(|(t, s)| (t.to_string(), *s)).collect()),
                ..Default::default()
            },
            SortKey::Seq,
            0,
            1000,
        ));
        page.rows
            .iter()
            .map(|r| (r.tenant_id.clone(), r.seq))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        only(&[("acme", 3), ("acme", 1), ("nobody", 1), ("acme", 999_999)]),
        vec![("acme".to_string(), 1), ("acme".to_string(), 3)]
    );
    assert_eq!(only(&[]), Vec::<(String, u64)>::new());
}

#[test]
fn analyst_events_stand_after_the_entries_of_their_instant() {
    // count_through says how many matching entries lie at or before each time: the place of an
    // analyst event among the records, filtered or not.
    let case = open(&[vector("audit.sqlite")]);
    let all = case.page(&query(RecordFilter::default(), SortKey::Time, 0, 1000));
    let times: Vec<i64> = all
        .rows
        .iter()
        .map(|r| r.micros.expect("every vector record has a time"))
        .collect();
    let (first, third) = (times[0], times[2]);
    assert_eq!(
        case.count_through(
            &RecordFilter::default(),
            &[first - 1, first, third, i64::MAX]
        ),
        vec![0, 1, 3, all.total]
    );
    // Under a filter, only the entries it keeps count.
    let acme = RecordFilter {
        tenant: Some("acme".into()),
        ..Default::default()
    };
    let acme_rows = case.page(&query(acme.clone(), SortKey::Time, 0, 1000));
    let before_third = acme_rows
        .rows
        .iter()
        .filter(|r| r.micros.unwrap() <= third)
        .count() as u32;
    assert_eq!(
        case.count_through(&acme, &[third, i64::MAX]),
        vec![before_third, acme_rows.total]
    );
}

#[test]
fn free_text_finds_a_diverged_record_by_either_copy() {
    // acme seq 12 differs between the export (actor u-1004, its original hash) and the rewritten
    // table (u-1003, a new hash): searching either copy's value finds the record (and the next
    // one, whose prev_hash holds it), and nothing else.
    let case = open(&[
        root().join("samples/export-acme.pdf"),
        root().join("samples/audit-rewritten.sqlite"),
    ]);
    let f = case
        .report
        .findings
        .iter()
        .find(|f| f.code == Code::RecordDiverged && f.seq == Some(12))
        .expect("acme seq 12 diverged");
    let hash = f
        .fields
        .iter()
        .find(|d| d.field == "hash")
        .expect("hashes differ");
    for value in [&hash.left, &hash.right] {
        let text = value.as_deref().unwrap().trim_matches('"')[..16].to_string();
        let page = case.page(&query(
            RecordFilter {
                text: Some(text.clone()),
                ..Default::default()
            },
            SortKey::Time,
            0,
            100,
        ));
        let found: Vec<(String, u64)> = page
            .rows
            .iter()
            .map(|r| (r.tenant_id.clone(), r.seq))
            .collect();
        // Seq 12 holds it as its hash; seq 13, in the same copy, as its prev_hash.
        assert_eq!(
            found,
            vec![("acme".to_string(), 12), ("acme".to_string(), 13)],
            "{text}"
        );
    }
}

#[test]
fn the_problem_strip_counts_problems_not_unanchored_records() {
    // A lone dump: every record is consistent (nothing anchors it), none is a problem, so the
    // timeline's red strip stays empty. With the export that anchors acme and the rewritten
    // table, the diverged records are problems and are counted.
    let lone = open(&[vector("audit.sqlite")]);
    let b = lone.bounds();
    let d = lone.density(b.first.unwrap() as f64, b.last.unwrap() as f64, 50, 10_000);
    assert!(d.total > 0);
    assert_eq!(d.buckets.iter().map(|b| b.problems).sum::<u32>(), 0);

    let case = open(&[
        root().join("samples/export-acme.pdf"),
        root().join("samples/audit-rewritten.sqlite"),
    ]);
    let b = case.bounds();
    let d = case.density(b.first.unwrap() as f64, b.last.unwrap() as f64, 50, 10_000);
    let problems = case
        .events()
        .filter(|e| e.micros.is_some() && e.integrity.is_problem())
        .count();
    assert!(problems > 0);
    assert_eq!(
        d.buckets.iter().map(|b| b.problems).sum::<u32>() as usize,
        problems
    );
}

#[test]
fn a_checkpoint_saved_now_catches_a_later_rewrite() {
    // The examiner checkpoints the table as first seen; later the rewritten copy is opened with
    // that checkpoint: the rewrite of acme from seq 12 on is caught against the heads saved.
    let dir = trailproof_testkit::scratch("checkpoint");
    let first = open(&[root().join("samples/audit.sqlite")]);
    assert_eq!(first.report.verdict, Verdict::Intact);
    let cp = dir.join("trailproof-checkpoint.json");
    let saved = work::save(&cp, &work::checkpoint_bytes(&first)).unwrap();
    assert_eq!(saved.bytes, std::fs::metadata(&cp).unwrap().len());
    let parsed = trailproof_core::checkpoint::Checkpoint::parse(&std::fs::read(&cp).unwrap())
        .expect("the app writes a checkpoint the CLI reads");
    assert_eq!(
        parsed,
        trailproof_core::checkpoint::Checkpoint::of_report(&first.report)
    );

    let later = open(&[root().join("samples/audit-rewritten.sqlite"), cp.clone()]);
    assert_eq!(later.report.verdict, Verdict::Tampered);
    let anchors: Vec<(Option<String>, Option<u64>)> = later
        .report
        .findings
        .iter()
        .filter(|f| f.code == Code::AnchorMismatch)
        .map(|f| (f.tenant_id.clone(), f.seq))
        .collect();
    assert!(
        anchors.iter().any(|(t, _)| t.as_deref() == Some("acme")),
        "{anchors:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_time_axis_has_a_lane_per_tenant() {
    let case = open(&[vector("audit.sqlite")]);
    let b = case.bounds();
    let d = case.density(b.first.unwrap() as f64, b.last.unwrap() as f64, 40, 10_000);
    let tenants: Vec<&str> = d.lanes.iter().map(|l| l.tenant.as_str()).collect();
    assert_eq!(tenants, ["acme", "globex"]);
    assert_eq!(d.lanes_omitted, 0);
    for lane in &d.lanes {
        assert_eq!(lane.events.len(), 40);
        let want = case
            .events()
            .filter(|e| e.kind == Kind::Event && e.micros.is_some() && e.tenant_id == lane.tenant)
            .count() as u32;
        assert_eq!(lane.events.iter().sum::<u32>(), want, "{}", lane.tenant);
    }
    // Bucket by bucket, the lanes add up to the axis.
    for (k, bucket) in d.buckets.iter().enumerate() {
        assert_eq!(
            d.lanes.iter().map(|l| l.events[k]).sum::<u32>(),
            bucket.events
        );
        assert_eq!(
            d.lanes.iter().map(|l| l.problems[k]).sum::<u32>(),
            bucket.problems
        );
    }
}

#[test]
fn the_apps_selftest_is_the_clis_suite_and_names_its_executable() {
    let run = work::selftest();
    assert!(run.passed, "{:?}", run.checks.iter().find(|c| !c.passed));
    assert_eq!(run.checks_total as usize, run.checks.len());
    assert_eq!(run.checks_passed, run.checks_total);
    assert!(run.checks.len() > 50, "{}", run.checks.len());
    assert!(run.checks.iter().any(|c| c.name == "jcs/french.json"));
    let exe = std::env::current_exe().unwrap();
    assert_eq!(run.executable, exe.to_string_lossy());
    assert_eq!(
        run.sha256.as_deref(),
        Some(trailproof_testkit::sha256_hex(&std::fs::read(&exe).unwrap()).as_str())
    );
    assert!(
        run.version_line.starts_with("trailproof-app "),
        "{}",
        run.version_line
    );
}
