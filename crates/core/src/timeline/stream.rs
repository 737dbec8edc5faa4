//! The entries of a finished collector in timeline order, and the events they become.
//!
//! While they are ordered by time ([`TimeKey`]), entries carry only what their key does not
//! say, their dimensions as a place in the members log and their sources by number
//! ([`Entry`]); [`Stream`] turns each back into the [`Event`] every output format writes, marks
//! `denial_burst`, and counts the summary as the events go by.
//!
//! Invariant: an event is the same whichever way its entry was ordered (in memory or through
//! spilled runs), and the summary counts exactly the events handed out.

use std::collections::{BTreeMap, HashSet};
use std::io;

use serde::{Deserialize, Serialize};

use super::arrival::Entries;
use super::flags::FlagSet;
use super::members_log::{Fields, LogReader, Place};
use super::model::{Dimension, Event, Flag, Integrity, Kind, Summary};
use crate::finding::Code;
use crate::spill::Sorted;
use crate::time::Instant;

/// Timeline order: timestamp (unreadable last), tenant (by name rank), seq, kind, then the
/// current entry of a (tenant, seq) before its recovered versions (numbered from 1 in report
/// order).
pub(super) type TimeKey = (bool, i64, u32, u64, Kind, u32);

pub(super) fn time_key(nanos: Option<i64>, rank: u32, seq: u64, kind: Kind) -> TimeKey {
    (nanos.is_none(), nanos.unwrap_or(0), rank, seq, kind, 0)
}

pub(super) fn recovered_key(nanos: Option<i64>, rank: u32, seq: u64, version: u32) -> TimeKey {
    (
        nanos.is_none(),
        nanos.unwrap_or(0),
        rank,
        seq,
        Kind::Event,
        version,
    )
}

/// An entry of the timeline while it is ordered by time: what its [`TimeKey`] does not say
/// (timestamp, tenant, seq and kind are in the key), with its dimensions in the members log
/// and its sources by number where it can.
#[derive(Serialize, Deserialize)]
pub(super) struct Entry {
    pub(super) seq_end: Option<u64>,
    /// The tenant, where the key's rank does not name it (a recovered record's).
    pub(super) tenant: Option<String>,
    pub(super) members: Dims,
    pub(super) sources: Sources,
    pub(super) integrity: Integrity,
    pub(super) diverged_fields: Vec<String>,
    pub(super) missing_from: Vec<String>,
    pub(super) flags: FlagSet,
    pub(super) findings: Vec<Code>,
}

/// An entry's dimensions: a record's in the members log, a gap's or a recovered record's here.
#[derive(Serialize, Deserialize)]
pub(super) enum Dims {
    Log(Place),
    Here(Box<Fields>),
}

/// An entry's sources: the collector's by number, or inputs by name.
#[derive(Serialize, Deserialize)]
pub(super) enum Sources {
    Numbered(Vec<u16>),
    Named(Vec<String>),
}

impl Entry {
    /// The parts of `e` its key does not hold.
    pub(super) fn of(mut e: Event, tenant: Option<String>) -> Entry {
        let mut fields: Fields = Default::default();
        for (f, d) in fields.iter_mut().zip(Dimension::ALL) {
            *f = e.dimension_mut(d).take();
        }
        Entry {
            seq_end: e.seq_end,
            tenant,
            members: Dims::Here(Box::new(fields)),
            sources: Sources::Named(e.sources),
            integrity: e.integrity,
            diverged_fields: e.diverged_fields,
            missing_from: e.missing_from,
            flags: e.flags.into_iter().collect(),
            findings: e.findings,
        }
    }
}

/// The events of a finished [`Collector`](super::collector::Collector), in timeline order (an
/// iterator of `io::Result<Event>`: reading a spilled run back can fail). [`Stream::summary`]
/// is complete once the stream is exhausted.
pub struct Stream {
    /// The ordered entries.
    pub(super) events: Ordered,
    /// What turns each into its event.
    pub(super) filler: Filler,
}

/// The entries of a [`Stream`] in timeline order: ordered by their keys through the sorter, or
/// made in the order their copies arrived when that is the timeline order ([`super::arrival`]).
pub(super) enum Ordered {
    Sorted(Sorted<TimeKey, Entry>),
    Arrival(Box<Entries>),
}

impl Iterator for Ordered {
    type Item = io::Result<(TimeKey, Entry)>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Ordered::Sorted(s) => s.next(),
            Ordered::Arrival(a) => a.next(),
        }
    }
}

/// The half of a [`Stream`] that turns its ordered entries into events and counts them: on
/// a thread of its own while another orders the entries ([`super::prefetch`]).
pub(super) struct Filler {
    /// The dimensions of the entries ([`Dims::Log`]).
    pub(super) log: LogReader,
    /// Every tenant by rank.
    pub(super) names: Vec<String>,
    /// The collector's sources, by number.
    pub(super) sources: Vec<String>,
    /// (tenant rank, seq) of the failures inside a `denial_burst` window.
    pub(super) bursts: HashSet<(u32, u64)>,
    /// Counts of the events handed out so far.
    pub(super) summary: Summary,
    /// Events handed out so far that carry a flag.
    pub(super) flagged: u64,
}

impl Stream {
    /// The summary of the events handed out so far (all of them, once exhausted).
    pub fn summary(&self) -> &Summary {
        &self.filler.summary
    }

    /// Events handed out so far that carry at least one flag.
    pub fn flagged(&self) -> u64 {
        self.filler.flagged
    }

    /// Writes the next event into `e`, reusing its strings and lists (a caller that keeps one
    /// event allocates next to nothing per event once they have grown); false at the end. The
    /// event is the one [`Iterator::next`] hands out, field for field.
    pub fn next_into(&mut self, e: &mut Event) -> io::Result<bool> {
        match self.events.next() {
            None => Ok(false),
            Some(item) => {
                let (key, entry) = item?;
                self.filler.event(key, entry, e)?;
                Ok(true)
            }
        }
    }

    /// The two halves, for two threads: the entries in order, and what makes their events.
    pub(super) fn halves(&mut self) -> (&mut Ordered, &mut Filler) {
        (&mut self.events, &mut self.filler)
    }
}

impl Filler {
    /// Writes the event of the next entry in order (`key`, `entry`) into `e`, and counts it.
    pub(super) fn event(&mut self, key: TimeKey, entry: Entry, e: &mut Event) -> io::Result<()> {
        let (_, _, rank, seq, kind, version) = key;
        self.fill(key, entry, e)?;
        if kind == Kind::Event && version == 0 && self.bursts.contains(&(rank, seq)) {
            e.flags.push(Flag::DenialBurst);
            e.flags.sort();
        }
        let s = &mut self.summary;
        match e.kind {
            Kind::Event => s.events += 1,
            Kind::Gap => s.gaps += 1,
        }
        count(&mut s.integrity, e.integrity.as_str());
        for f in &e.flags {
            count(&mut s.flags, f.as_str());
        }
        self.flagged += u64::from(!e.flags.is_empty());
        if let Some(t) = &e.timestamp {
            if s.first_timestamp.is_none() {
                s.first_timestamp = Some(t.clone());
            }
            match &mut s.last_timestamp {
                Some(last) => last.clone_from(t),
                None => s.last_timestamp = Some(t.clone()),
            }
        }
        Ok(())
    }

    /// Sets every field of `e` to the event of an entry and its key.
    fn fill(&mut self, key: TimeKey, entry: Entry, e: &mut Event) -> io::Result<()> {
        let (unread, nanos, rank, seq, kind, _) = key;
        // Ranks and source numbers come from this collector; one that names nothing can only
        // come from a damaged run: an error, never a panic.
        let damaged = || io::Error::new(io::ErrorKind::InvalidData, "a damaged timeline run");
        e.kind = kind;
        match entry.tenant {
            Some(t) => e.tenant_id = t,
            None => {
                let name = self.names.get(rank as usize).ok_or_else(damaged)?;
                e.tenant_id.clone_from(name);
            }
        }
        e.seq = seq;
        e.seq_end = entry.seq_end;
        if unread {
            e.timestamp = None;
            e.micros = None;
        } else {
            let at = Instant { nanos };
            let text = at.canonical_bytes();
            let text = std::str::from_utf8(&text).map_err(|_| damaged())?;
            set(&mut e.timestamp, Some(text));
            e.micros = Some(at.micros());
        }
        match entry.members {
            Dims::Log(p) => {
                for (d, value) in Dimension::ALL.into_iter().zip(self.log.borrowed(p)?) {
                    set(e.dimension_mut(d), value);
                }
            }
            Dims::Here(fields) => {
                for (d, value) in Dimension::ALL.into_iter().zip(*fields) {
                    *e.dimension_mut(d) = value;
                }
            }
        }
        match entry.sources {
            Sources::Numbered(ids) => {
                e.sources.truncate(ids.len());
                for (i, &s) in ids.iter().enumerate() {
                    let name = self.sources.get(s as usize).ok_or_else(damaged)?;
                    match e.sources.get_mut(i) {
                        Some(slot) => slot.clone_from(name),
                        None => e.sources.push(name.clone()),
                    }
                }
            }
            Sources::Named(names) => e.sources = names,
        }
        e.integrity = entry.integrity;
        e.diverged_fields = entry.diverged_fields;
        e.missing_from = entry.missing_from;
        e.flags.clear();
        e.flags.extend(entry.flags.iter());
        e.findings = entry.findings;
        Ok(())
    }
}

/// Counts one more `name` in `counts`; allocates its key only the first time (`entry` took a
/// new `String` for every event).
fn count(counts: &mut BTreeMap<String, u64>, name: &str) {
    match counts.get_mut(name) {
        Some(n) => *n += 1,
        None => {
            counts.insert(name.to_string(), 1);
        }
    }
}

/// Sets `slot` to `value`, in the string it holds when it holds one.
fn set(slot: &mut Option<String>, value: Option<&str>) {
    match (slot.as_mut(), value) {
        (Some(s), Some(v)) => {
            s.clear();
            s.push_str(v);
        }
        (None, Some(v)) => *slot = Some(v.to_owned()),
        (_, None) => *slot = None,
    }
}

impl Iterator for Stream {
    type Item = io::Result<Event>;

    fn next(&mut self) -> Option<io::Result<Event>> {
        let mut e = Event::new(Kind::Event, String::new(), 0, Integrity::Verified);
        match self.next_into(&mut e) {
            Ok(true) => Some(Ok(e)),
            Ok(false) => None,
            Err(err) => Some(Err(err)),
        }
    }
}
