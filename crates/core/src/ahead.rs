//! An iterator of fallible items read ahead on a thread of its own, in batches, while the
//! caller works on the items before: merging sorted runs and decoding their items is one
//! thread's work, what is done with each item another's.
//!
//! Invariants: the caller sees exactly the iterator's items, in order; a reading thread that
//! stops before the iterator's end (it panicked) ends the items with an error, never silently,
//! and never panics the caller; at most two batches wait and emptied batches go back to be
//! refilled, so memory stays flat; the reading thread stops at its next batch once the caller
//! is done, whatever it read.

use std::collections::VecDeque;
use std::io;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

/// Items per batch: each hand-over can wake a sleeping thread, which costs a VM more than a
/// machine; 4096 (not 256) halves nothing in memory that matters (a few MiB of events) and
/// wakes the threads 16 times less often.
pub(crate) const BATCH: usize = 4096;

/// Runs `consume` over the items of `items`, read ahead on a thread of its own.
pub(crate) fn read_ahead<T: Send, R>(
    items: impl Iterator<Item = io::Result<T>> + Send,
    consume: impl FnOnce(&mut Ahead<T>) -> R,
) -> R {
    std::thread::scope(|s| {
        let (full_tx, full_rx) = sync_channel::<VecDeque<io::Result<T>>>(2);
        let (empty_tx, empty_rx) = channel::<VecDeque<io::Result<T>>>();
        let mut items = items;
        let reader = s.spawn(move || loop {
            let mut batch = empty_rx
                .try_recv()
                .unwrap_or_else(|_| VecDeque::with_capacity(BATCH));
            batch.extend(items.by_ref().take(BATCH));
            let last = batch.len() < BATCH;
            if full_tx.send(batch).is_err() || last {
                return;
            }
        });
        let mut ahead = Ahead {
            full: full_rx,
            empty: empty_tx,
            current: VecDeque::new(),
            done: false,
        };
        let out = consume(&mut ahead);
        drop(ahead);
        // Joined here: a reading thread that panicked ended the items with an error.
        let _ = reader.join();
        out
    })
}

/// The items [`read_ahead`] hands over, in order.
pub(crate) struct Ahead<T> {
    full: Receiver<VecDeque<io::Result<T>>>,
    empty: Sender<VecDeque<io::Result<T>>>,
    /// The batch being handed over, its next item first (taken from the front: reversing each
    /// batch to pop from its end moved every item once more).
    current: VecDeque<io::Result<T>>,
    done: bool,
}

impl<T> Iterator for Ahead<T> {
    type Item = io::Result<T>;

    fn next(&mut self) -> Option<io::Result<T>> {
        loop {
            if let Some(item) = self.current.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let _ = self.empty.send(std::mem::take(&mut self.current));
            match self.full.recv() {
                Ok(batch) => {
                    self.done = batch.len() < BATCH;
                    self.current = batch;
                }
                Err(_) => {
                    self.done = true;
                    return Some(Err(io::Error::other(
                        "the thread reading ahead stopped before the end",
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_comes_in_order_whatever_the_batches() {
        for n in [0, 1, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 7] {
            let items = (0..n).map(Ok::<usize, io::Error>);
            let got: Vec<usize> = read_ahead(items, |a| a.map(Result::unwrap).collect());
            assert_eq!(got, (0..n).collect::<Vec<_>>(), "{n} items");
        }
    }

    #[test]
    fn an_error_stays_in_its_place() {
        let items = (0..600).map(|i| {
            if i == 300 {
                Err(io::Error::other("item 300"))
            } else {
                Ok(i)
            }
        });
        let got: Vec<Result<usize, String>> =
            read_ahead(items, |a| a.map(|r| r.map_err(|e| e.to_string())).collect());
        assert_eq!(got.len(), 600);
        assert_eq!(got[299], Ok(299));
        assert_eq!(got[300], Err("item 300".to_string()));
        assert_eq!(got[301], Ok(301));
    }

    #[test]
    fn a_reader_that_panics_ends_the_items_with_an_error() {
        let items = (0..3 * BATCH).map(|i| {
            assert!(i < 2 * BATCH + BATCH / 2, "item {i}");
            Ok::<usize, io::Error>(i)
        });
        let got: Vec<io::Result<usize>> = read_ahead(items, |a| a.collect());
        // Two whole batches were handed over before the batch that panicked.
        assert_eq!(got.len(), 2 * BATCH + 1);
        assert!(got[..2 * BATCH].iter().all(Result::is_ok));
        let last = got.last().unwrap().as_ref().unwrap_err();
        assert_eq!(
            last.to_string(),
            "the thread reading ahead stopped before the end"
        );
    }

    #[test]
    fn a_caller_that_stops_early_stops_the_reader() {
        let got: Vec<usize> = read_ahead((0..).map(Ok::<usize, io::Error>), |a| {
            a.take(1000).map(Result::unwrap).collect()
        });
        assert_eq!(got.len(), 1000);
    }
}
