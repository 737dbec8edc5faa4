//! The stages a dump streams through: one thread produces batches, several check them, one batch
//! per thread at a time, and the calling thread absorbs them in the order they were produced.
//!
//! Why whole batches per thread: checking one batch at a time on all cores (a fork and a join
//! per batch) left a core idle at every join while the workers slept and woke; a worker that
//! takes the next batch as soon as it is done keeps every core busy while there is work.
//!
//! Invariants: batches are absorbed exactly in the order produced, none skipped; at most
//! `workers + IN_FLIGHT_SPARE` batches are out at once (produced and not yet absorbed: queued,
//! being checked, or waiting for an earlier one), so memory stays flat whatever the
//! threads' speeds; when the absorber stops early, every thread stops; a thread that panicked is
//! reported as such, never as fewer batches.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

/// Batches out at once beyond one per worker.
const IN_FLIGHT_SPARE: usize = 3;

/// The stage whose thread panicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Panicked {
    Producer,
    Checker,
}

/// Runs `produce` on a thread of its own, `check` on `workers` threads (at least one) and
/// `absorb` on this one, in the order the batches were produced; returns what `produce`
/// returned. `produce` hands each batch to the function it is given, which returns `false` once
/// nothing more is wanted (`absorb` returned `false`); `produce` should then stop.
pub(crate) fn run<B, C, R>(
    workers: usize,
    produce: impl FnOnce(&mut dyn FnMut(B) -> bool) -> R + Send,
    check: impl Fn(B) -> C + Sync,
    mut absorb: impl FnMut(C) -> bool,
) -> Result<R, Panicked>
where
    B: Send,
    C: Send,
    R: Send,
{
    let workers = workers.max(1);
    let in_flight = workers + IN_FLIGHT_SPARE;
    std::thread::scope(|s| {
        // A credit per batch out at once: the producer takes one before handing a batch over,
        // this thread gives it back once the batch is absorbed.
        let (credit_tx, credit_rx) = mpsc::sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            credit_tx
                .send(())
                .expect("the receiver is alive and the channel has room");
        }
        let (batch_tx, batch_rx) = mpsc::sync_channel::<(u64, B)>(in_flight);
        let producer = s.spawn(move || {
            let mut n = 0u64;
            let mut hand = |b: B| -> bool {
                if credit_rx.recv().is_err() || batch_tx.send((n, b)).is_err() {
                    return false;
                }
                n += 1;
                true
            };
            produce(&mut hand)
        });
        // Shared by the checkers alone: once every checker is gone, a producer blocked on a full
        // queue is released.
        let batch_rx = Arc::new(Mutex::new(batch_rx));
        // A check that panicked comes back as `None`, so that this thread stops everything
        // rather than wait for its batch.
        let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Option<C>)>(in_flight);
        let checkers: Vec<_> = (0..workers)
            .map(|_| {
                let done_tx = done_tx.clone();
                let (batch_rx, check) = (Arc::clone(&batch_rx), &check);
                s.spawn(move || loop {
                    let next = match batch_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok((n, batch)) = next else { break };
                    let checked = catch_unwind(AssertUnwindSafe(|| check(batch))).ok();
                    let failed = checked.is_none();
                    if done_tx.send((n, checked)).is_err() || failed {
                        break;
                    }
                })
            })
            .collect();
        drop((done_tx, batch_rx));
        let mut waiting: BTreeMap<u64, C> = BTreeMap::new();
        let mut next = 0u64;
        let mut stopped = false;
        let mut panicked = None;
        'batches: for (n, checked) in done_rx.iter() {
            let Some(checked) = checked else {
                panicked = Some(Panicked::Checker);
                break;
            };
            waiting.insert(n, checked);
            while let Some(checked) = waiting.remove(&next) {
                next += 1;
                if !absorb(checked) {
                    stopped = true;
                    break 'batches;
                }
                // The producer may be done: a credit nobody takes is harmless.
                let _ = credit_tx.try_send(());
            }
        }
        // Stop the checkers (their next send fails) and the producer (no more credits).
        drop(done_rx);
        drop(credit_tx);
        for c in checkers {
            if c.join().is_err() {
                panicked = Some(Panicked::Checker);
            }
        }
        let produced = producer.join().map_err(|_| Panicked::Producer)?;
        if let Some(p) = panicked {
            return Err(p);
        }
        // Every batch was absorbed unless this thread stopped: a batch missing means a checker
        // died without its panic being seen, which must not pass for a shorter input.
        if !stopped && !waiting.is_empty() {
            return Err(Panicked::Checker);
        }
        Ok(produced)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Produces batches `0..n` (each a vector of its number), counting the batches handed over.
    fn numbers(
        n: u64,
        handed: &AtomicUsize,
    ) -> impl FnOnce(&mut dyn FnMut(Vec<u64>) -> bool) -> u64 + Send + '_ {
        move |hand| {
            let mut last = 0;
            for i in 0..n {
                if !hand(vec![i]) {
                    break;
                }
                handed.fetch_add(1, Ordering::SeqCst);
                last = i;
            }
            last
        }
    }

    #[test]
    fn batches_come_back_in_the_order_produced_whatever_each_check_takes() {
        let handed = AtomicUsize::new(0);
        let mut seen = Vec::new();
        let last = run(
            3,
            numbers(200, &handed),
            // Early batches take longest, so later ones finish first.
            |b: Vec<u64>| {
                if b[0] % 7 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
                b[0] * 10
            },
            |c| {
                seen.push(c);
                true
            },
        )
        .unwrap();
        assert_eq!(last, 199);
        assert_eq!(seen, (0..200).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[test]
    fn no_more_batches_are_out_than_the_credits_allow() {
        let out = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let produce = |hand: &mut dyn FnMut(u64) -> bool| {
            for i in 0..100 {
                let now = out.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                if !hand(i) {
                    break;
                }
            }
        };
        let mut absorbed = 0;
        run(
            2,
            produce,
            |b| b,
            |_| {
                // A slow absorber: the producer must wait for credits rather than run ahead.
                std::thread::sleep(Duration::from_millis(1));
                out.fetch_sub(1, Ordering::SeqCst);
                absorbed += 1;
                true
            },
        )
        .unwrap();
        assert_eq!(absorbed, 100);
        // The batch being built counts too: one beyond the credits.
        assert!(
            peak.load(Ordering::SeqCst) <= 2 + IN_FLIGHT_SPARE + 1,
            "{peak:?}"
        );
    }

    #[test]
    fn an_absorber_that_stops_stops_every_thread() {
        let handed = AtomicUsize::new(0);
        let mut seen = 0;
        run(
            2,
            numbers(1_000_000, &handed),
            |b| b,
            |_| {
                seen += 1;
                seen < 5
            },
        )
        .unwrap();
        assert_eq!(seen, 5);
        // The producer stopped within the credits of the fifth batch.
        assert!(handed.load(Ordering::SeqCst) <= 5 + 2 + IN_FLIGHT_SPARE);
    }

    #[test]
    fn a_checker_that_panics_is_an_error_never_fewer_batches() {
        let handed = AtomicUsize::new(0);
        let got = run(
            2,
            numbers(50, &handed),
            |b: Vec<u64>| {
                assert_ne!(b[0], 17, "the check of batch 17 fails");
                b[0]
            },
            |_| true,
        );
        assert_eq!(got, Err(Panicked::Checker));
    }

    #[test]
    fn a_producer_that_panics_is_an_error() {
        let got = run(
            2,
            |hand: &mut dyn FnMut(u64) -> bool| {
                hand(1);
                panic!("the reader fails");
            },
            |b| b,
            |_| true,
        );
        assert_eq!(got.map(|_: ()| ()), Err(Panicked::Producer));
    }
}
