//! A [`Stream`] read ahead on a thread of its own, in batches, while the caller writes or
//! indexes the events before: ordering the entries back and rebuilding each event, and
//! writing or indexing it, were the one busy core of a large timeline's last stage.
//!
//! Invariants: the caller sees exactly the events [`Stream::next_into`] gives, in order, and
//! the first error in their place; events circulate between the two threads (the caller's
//! event is swapped with the batch's, and batches go back to be refilled), so their strings
//! are allocated, reused and freed on the reading thread only; at most two batches wait, so
//! memory stays flat; the reading thread stops as soon as the caller is done, whatever it
//! read.

use std::io;
use std::sync::mpsc::{channel, sync_channel};

use super::model::{Event, Integrity, Kind};
use super::stream::Stream;

/// Events per batch.
const BATCH: usize = 256;

/// Runs `consume` with a `next` that fills the caller's event with the stream's next one (false
/// at the end), while the stream is read ahead on a thread of its own.
pub fn with_prefetch<R>(
    stream: &mut Stream,
    consume: impl FnOnce(&mut dyn FnMut(&mut Event) -> io::Result<bool>) -> R,
) -> R {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = sync_channel::<io::Result<Vec<Event>>>(2);
        let (empty_tx, empty_rx) = channel::<Vec<Event>>();
        let reader = s.spawn(move || loop {
            let mut batch = empty_rx
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            let mut n = 0;
            while n < BATCH {
                if n == batch.len() {
                    batch.push(Event::new(
                        Kind::Event,
                        String::new(),
                        0,
                        Integrity::Verified,
                    ));
                }
                match stream.next_into(&mut batch[n]) {
                    Ok(true) => n += 1,
                    Ok(false) => break,
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        return;
                    }
                }
            }
            batch.truncate(n);
            if full_tx.send(Ok(batch)).is_err() || n < BATCH {
                return;
            }
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
        // The reading thread stops at its next batch once nobody takes it. Joined here, a
        // thread that panicked (its events then end in an error) does not panic the caller.
        drop(next);
        let _ = reader.join();
        out
    })
}
