//! A writer that hands full blocks to a thread of its own, so that the system's copy of a
//! large output (a timeline of a million events is over half a gigabyte) runs beside the work
//! that produces it instead of after each block of it.
//!
//! Invariants: the bytes reach the inner writer in the order written, in blocks of
//! [`BLOCK`] bytes but the last; memory holds at most [`IN_FLIGHT`] blocks plus the one being
//! filled; an error of the inner writer is returned by the next write or by
//! [`Offload::finish`], never dropped; [`Offload::finish`] returns only once every byte was
//! written and the inner writer flushed.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

/// Bytes handed over at once.
pub const BLOCK: usize = 1 << 20;

/// Blocks handed over and not yet written, at most.
pub const IN_FLIGHT: usize = 2;

/// See the module docs.
pub struct Offload {
    buf: Vec<u8>,
    to_writer: Option<SyncSender<Vec<u8>>>,
    /// Written blocks, to fill again.
    spare: Receiver<Vec<u8>>,
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl Offload {
    /// Writes to `inner` on a thread of its own.
    pub fn new<W: Write + Send + 'static>(mut inner: W) -> io::Result<Offload> {
        let (to_writer, blocks) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (give_back, spare) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let writer =
            thread::Builder::new()
                .name("output".into())
                .spawn(move || -> io::Result<()> {
                    for mut block in blocks {
                        inner.write_all(&block)?;
                        block.clear();
                        // The writing side may be gone or have spares enough: either is fine.
                        let _ = give_back.try_send(block);
                    }
                    inner.flush()
                })?;
        Ok(Offload {
            buf: Vec::with_capacity(BLOCK),
            to_writer: Some(to_writer),
            spare,
            writer: Some(writer),
        })
    }

    /// Hands the filled block over.
    fn hand_over(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK));
        let block = std::mem::replace(&mut self.buf, next);
        let sent = match &self.to_writer {
            Some(tx) => tx.send(block).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The thread stopped: at an error of the inner writer.
            Err(self.join().err().unwrap_or_else(stopped))
        }
    }

    /// Hands a whole block over as it is (after the bytes written before it), without copying
    /// it; returns a buffer to fill next.
    pub fn hand(&mut self, block: Vec<u8>) -> io::Result<Vec<u8>> {
        self.hand_over()?;
        let spare = std::mem::replace(&mut self.buf, block);
        self.hand_over()?;
        Ok(spare)
    }

    /// Waits for the thread; its error, if it had one.
    fn join(&mut self) -> io::Result<()> {
        self.to_writer = None;
        match self.writer.take() {
            Some(h) => h.join().unwrap_or_else(|_| Err(stopped())),
            None => Err(stopped()),
        }
    }

    /// Writes what is left, waits until every byte is written and the inner writer flushed.
    pub fn finish(mut self) -> io::Result<()> {
        self.hand_over()?;
        self.join()
    }
}

fn stopped() -> io::Error {
    io::Error::other("the output thread stopped")
}

impl Write for Offload {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let room = BLOCK - self.buf.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = later;
            if self.buf.len() == BLOCK {
                self.hand_over()?;
            }
        }
        Ok(())
    }

    /// Hands the bytes written so far over; [`Offload::finish`] waits for them.
    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps what it is given, or fails after `fail_after` bytes.
    #[derive(Clone)]
    struct Sink {
        got: Arc<Mutex<Vec<u8>>>,
        fail_after: usize,
    }

    impl Write for Sink {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            let mut got = self.got.lock().unwrap();
            if got.len() + data.len() > self.fail_after {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            got.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn sink(fail_after: usize) -> Sink {
        Sink {
            got: Arc::default(),
            fail_after,
        }
    }

    #[test]
    fn every_byte_arrives_in_order() {
        let s = sink(usize::MAX);
        let mut w = Offload::new(s.clone()).unwrap();
        let mut expected = Vec::new();
        // Pieces of every size, some over a block.
        for i in 0..3000usize {
            let piece: Vec<u8> = (0..(i * 37) % 5000 + if i % 500 == 7 { BLOCK + 5 } else { 0 })
                .map(|k| (i + k) as u8)
                .collect();
            w.write_all(&piece).unwrap();
            expected.extend_from_slice(&piece);
        }
        w.finish().unwrap();
        assert!(*s.got.lock().unwrap() == expected);
    }

    #[test]
    fn whole_blocks_arrive_in_order_among_written_bytes() {
        let s = sink(usize::MAX);
        let mut w = Offload::new(s.clone()).unwrap();
        let mut expected = Vec::new();
        let mut next = Vec::new();
        for i in 0..40usize {
            // Written bytes, then a handed block (empty, short, a block and more), in turn.
            let written: Vec<u8> = (0..i * 101).map(|k| (k + i) as u8).collect();
            w.write_all(&written).unwrap();
            expected.extend_from_slice(&written);
            let len = [0, 1, 4096, BLOCK, BLOCK + 777][i % 5];
            next.clear();
            next.extend((0..len).map(|k| (k * 3 + i) as u8));
            expected.extend_from_slice(&next);
            next = w.hand(std::mem::take(&mut next)).unwrap();
        }
        w.finish().unwrap();
        assert!(*s.got.lock().unwrap() == expected);
    }

    /// The inner writer's error once it took three blocks, whether the blocks are written or
    /// handed over whole: returned by a later call or by `finish`, never dropped.
    #[test]
    fn an_error_of_the_inner_writer_is_returned() {
        let handed = |w: &mut Offload| w.hand(vec![7u8; BLOCK]).map(drop);
        let written = |w: &mut Offload| w.write_all(&[7u8; BLOCK]);
        for give in [&handed as &dyn Fn(&mut Offload) -> io::Result<()>, &written] {
            let mut w = Offload::new(sink(3 * BLOCK)).unwrap();
            let failed = (0..10).find_map(|_| give(&mut w).err());
            let e = match failed {
                Some(e) => e,
                None => w.finish().unwrap_err(),
            };
            assert_eq!(e.kind(), io::ErrorKind::StorageFull, "{e}");
        }
    }
}
