//! Entries the core never makes (timestamps out of order or not canonical, repeated flags,
//! gaps of tenants without events), so that every fallback of the store is taken, and the
//! store's own check of each entry it writes against rebuilding it.

use super::*;

fn entry(tenant: &str, seq: u64, ts: Option<&str>, micros: Option<i64>) -> Event {
    Event {
        kind: Kind::Event,
        tenant_id: tenant.into(),
        seq,
        seq_end: None,
        timestamp: ts.map(str::to_string),
        micros,
        actor_user_id: Some(format!("u-{seq}")),
        actor_role: None,
        actor_display: Some("Zoë".into()),
        action: Some("auth.login".into()),
        http_method: None,
        http_route: None,
        severity: Some("info".into()),
        actor_ip: None,
        resource_type: None,
        resource_id: Some(format!("r-{seq}")),
        resource_display: None,
        outcome: Some("success".into()),
        outcome_reason: None,
        sources: vec!["a.jsonl".into()],
        integrity: Integrity::Verified,
        diverged_fields: Vec::new(),
        missing_from: Vec::new(),
        flags: Vec::new(),
        findings: Vec::new(),
    }
}

/// Entries the core never makes, so every fallback of the store is taken: timestamps out of
/// order, not canonical, without micros, micros without a timestamp; flags out of order and
/// repeated; empty strings; gaps of tenants with no event; lists and finding codes of all kinds.
fn odd_timeline() -> Timeline {
    use trailproof_core::finding::Code;
    let ts = |n: i64| Instant { nanos: n }.canonical();
    let base = 1_777_536_000_000_000_000i64;
    let mut events = Vec::new();
    for k in 0..40i64 {
        let nanos = base + k * 3_600_000_000_007;
        let mut e = entry(
            ["b", "a", "ä"][(k % 3) as usize],
            k as u64 + 1,
            Some(&ts(nanos)),
            Some(Instant { nanos }.micros()),
        );
        e.severity = [
            Some("info".into()),
            None,
            Some(String::new()),
            Some("Crit".into()),
        ][(k % 4) as usize]
            .clone();
        e.actor_user_id = [
            None,
            Some("ü-1".into()),
            Some("u-2".into()),
            Some(String::new()),
        ][(k % 4) as usize]
            .clone();
        e.outcome = [Some("failure".into()), None][(k % 2) as usize].clone();
        e.resource_type = Some(["Call", "CALL", "call"][(k % 3) as usize].into());
        e.sources = match k % 3 {
            0 => vec!["a.jsonl".into()],
            1 => vec!["a.jsonl".into(), "live:https://x.example".into()],
            _ => Vec::new(),
        };
        e.diverged_fields = if k % 5 == 0 {
            vec!["hash".into(), "actor_display".into()]
        } else {
            Vec::new()
        };
        e.missing_from = if k % 7 == 0 {
            vec!["b.sqlite".into()]
        } else {
            Vec::new()
        };
        e.findings = match k % 4 {
            0 => vec![Code::RecordDiverged],
            1 => vec![Code::ChainLinkBroken, Code::RecordMissing],
            _ => Vec::new(),
        };
        // Every state of a record entry (all but gap's).
        let states: Vec<Integrity> = Integrity::ALL
            .into_iter()
            .filter(|&i| i != Integrity::Gap)
            .collect();
        e.integrity = states[k as usize % states.len()];
        e.flags = match k % 8 {
            0 => vec![Flag::OffHours, Flag::Denied], // out of order
            1 => vec![Flag::Denied, Flag::Denied],   // repeated
            2 => vec![Flag::PrivilegedIntervention, Flag::OffHours],
            3 => vec![Flag::DenialBurst],
            4 => vec![Flag::Denied, Flag::ProofChain],
            5 => vec![Flag::ProofSelf],
            6 => vec![Flag::OffHours, Flag::ProofNone],
            _ => Vec::new(),
        };
        match k {
            // Not canonical, and out of order.
            5 => e.timestamp = Some("2026-05-01 10:00:00Z".into()),
            // Micros that go back.
            9 => e.micros = Some(base / 1000 - 5),
            // A timestamp without micros, micros without a timestamp.
            13 => e.micros = None,
            14 => e.timestamp = None,
            _ => {}
        }
        events.push(e);
    }
    let mut gap = entry("z-gone", 3, None, None);
    gap.kind = Kind::Gap;
    gap.seq_end = Some(9);
    gap.integrity = Integrity::Gap;
    gap.actor_user_id = None;
    gap.actor_display = None;
    gap.action = None;
    gap.severity = None;
    gap.resource_id = None;
    gap.outcome = None;
    gap.findings = vec![Code::SeqGap];
    events.insert(7, gap.clone());
    gap.tenant_id = "a".into();
    gap.timestamp = Some(ts(base + 1));
    gap.micros = Some((base + 1) / 1000);
    events.insert(3, gap);
    Timeline {
        events,
        summary: Summary {
            events: 40,
            gaps: 2,
            tenants: vec!["a".into(), "b".into(), "ä".into()],
            ..Summary::default()
        },
    }
}

#[test]
fn entries_the_core_never_makes_still_answer_as_the_whole_timeline_does() {
    let tl = odd_timeline();
    for cap in [0, 1, 2, 1 << 16] {
        let case = Loaded::with_dict_cap(
            cap,
            1,
            Vec::new(),
            reference(&[vector("audit.sqlite")]).0,
            tl.clone(),
            None,
            Vec::new(),
        );
        same_queries(&format!("odd entries (dictionaries of {cap})"), &case, &tl);
    }
}

/// `Store::holds` (what the builder asks of every entry it stores) says exactly what rebuilding
/// the entry and comparing says: for every entry of the vectors and of the odd timeline, stored
/// with and without dictionaries, and for each entry changed in any one of its fields.
#[test]
fn an_entry_holds_exactly_the_event_it_rebuilds_to() {
    use trailproof_app::store::builder::Builder;
    use trailproof_core::finding::Code;
    use trailproof_core::timeline::model::Dimension;
    type Change = Box<dyn Fn(&mut Event)>;
    let mut changes: Vec<Change> = Dimension::ALL
        .into_iter()
        .map(|d| {
            Box::new(move |e: &mut Event| {
                let was = e.dimension(d).map(str::to_string);
                *e.dimension_mut(d) = Some(format!("{was:?}-"));
            }) as Change
        })
        .collect();
    let others: Vec<fn(&mut Event)> = vec![
        |e| {
            e.kind = if e.kind == Kind::Gap {
                Kind::Event
            } else {
                Kind::Gap
            }
        },
        |e| e.tenant_id.push('x'),
        |e| e.seq += 1,
        |e| e.seq_end = Some(e.seq_end.map_or(7, |s| s + 1)),
        |e| {
            e.timestamp = if e.timestamp.is_some() {
                None
            } else {
                Some("x".into())
            }
        },
        |e| e.micros = Some(e.micros.map_or(1, |m| m + 1)),
        |e| e.sources.push("another".into()),
        |e| {
            e.integrity = if e.integrity == Integrity::Gap {
                Integrity::Verified
            } else {
                Integrity::Gap
            }
        },
        |e| e.diverged_fields.push("hash".into()),
        |e| e.missing_from.push("b.jsonl".into()),
        |e| e.flags.push(Flag::ProofNone),
        |e| e.findings.push(Code::RecordRecovered),
    ];
    changes.extend(
        others
            .into_iter()
            .map(|f| Box::new(f) as Box<dyn Fn(&mut Event)>),
    );
    let (_, vectors) = reference(&[vector("records.jsonl"), vector("audit.sqlite")]);
    for tl in [vectors, odd_timeline()] {
        for cap in [0, 1 << 16] {
            let mut b = Builder::new(cap);
            for e in &tl.events {
                b.push(e);
            }
            let store = b.finish();
            for (i, e) in tl.events.iter().enumerate() {
                let i = i as u32;
                let rebuilt = store.event(i);
                assert_eq!(store.holds(i, e), rebuilt.as_ref() == Some(e), "entry {i}");
                for (k, change) in changes.iter().enumerate() {
                    let mut other = e.clone();
                    change(&mut other);
                    assert_ne!(other, *e, "change {k} changes nothing");
                    assert!(!store.holds(i, &other), "entry {i} holds change {k}");
                }
            }
            assert!(!store.holds(tl.events.len() as u32, &tl.events[0]));
        }
    }
}
