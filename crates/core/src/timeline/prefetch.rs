//! A [`Stream`] read ahead in batches, while the caller writes or indexes the events before:
//! one thread orders the entries back (merging the sorted runs, decoding each), another turns
//! them into events, and the caller's thread takes the events. Ordering the entries and
//! rebuilding each event were the one busy core of a large timeline's last stage, beside a
//! caller that waited half the time.
//!
//! Invariants: the caller sees exactly the events [`Stream::next_into`] gives, in order, and
//! the first error in their place; events circulate between the caller's thread and the one
//! that fills them (the caller's event is swapped with the batch's, and batches go back to be
//! refilled), so their strings are allocated, reused and freed on that thread only; at most two
//! batches wait at each stage, so memory stays flat; both threads stop as soon as the caller is
//! done, whatever they read.

use std::io;
use std::sync::mpsc::{channel, sync_channel};

use super::model::{Event, Integrity, Kind};
use super::stream::Stream;
use crate::ahead::{read_ahead, BATCH};

/// Runs `consume` with a `next` that fills the caller's event with the stream's next one (false
/// at the end), while the stream is read ahead on a thread of its own.
pub fn with_prefetch<R>(
    stream: &mut Stream,
    consume: impl FnOnce(&mut dyn FnMut(&mut Event) -> io::Result<bool>) -> R,
) -> R {
    let (entries, filler) = stream.halves();
    std::thread::scope(|s| {
        let (full_tx, full_rx) = sync_channel::<io::Result<Vec<Event>>>(2);
        let (empty_tx, empty_rx) = channel::<Vec<Event>>();
        // The entries are ordered back on a thread of their own ([`read_ahead`]) while this
        // one fills their events.
        let reader = s.spawn(move || {
            read_ahead(entries, |ordered| loop {
                let mut batch = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                let mut n = 0;
                while n < BATCH {
                    let Some(item) = ordered.next() else { break };
                    if n == batch.len() {
                        batch.push(Event::new(
                            Kind::Event,
                            String::new(),
                            0,
                            Integrity::Verified,
                        ));
                    }
                    if let Err(e) =
                        item.and_then(|(key, entry)| filler.event(key, entry, &mut batch[n]))
                    {
                        let _ = full_tx.send(Err(e));
                        return;
                    }
                    n += 1;
                }
                batch.truncate(n);
                if full_tx.send(Ok(batch)).is_err() || n < BATCH {
                    return;
                }
            })
        });
        let mut current: Vec<Event> = Vec::new();
        let mut at = 0;
        let mut done = false;
        let mut next = move |e: &mut Event| -> io::Result<bool> {
            loop {
                if let Some(slot) = current.get_mut(at) {
                    std::mem::swap(e, slot);
                    at += 1;
                    return Ok(true);
                }
                if done {
                    return Ok(false);
                }
                if !current.is_empty() {
                    let _ = empty_tx.send(std::mem::take(&mut current));
                }
                at = 0;
                match full_rx.recv() {
                    Ok(Ok(batch)) => {
                        done = batch.len() < BATCH;
                        current = batch;
                    }
                    Ok(Err(e)) => {
                        done = true;
                        return Err(e);
                    }
                    Err(_) => {
                        done = true;
                        return Err(io::Error::other(
                            "the thread reading the timeline stopped before its end",
                        ));
                    }
                }
            }
        };
        let out = consume(&mut next);
        // The filling thread stops at its next batch once nobody takes it, and the ordering
        // thread at its next one after that. Joined here, a thread that panicked (its events
        // then end in an error) does not panic the caller.
        drop(next);
        let _ = reader.join();
        out
    })
}
