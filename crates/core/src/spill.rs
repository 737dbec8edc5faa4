//! External sort: order more items than memory should hold, in flat memory.
//!
//! A `Sorter` encodes each pushed item (with its sort key) into an in-memory run; once the run
//! passes its byte budget it is sorted and written to an anonymous temporary file, and
//! `Sorter::finish` merges every run back in key order. A sorter that never passed its budget
//! touches no file at all. The sorter is internal to the core (chains, cross-source indexes and
//! the timeline use it); only the [`Interner`] is public, for other readers' compact keys.
//!
//! Invariants:
//! * order is by key, and items with equal keys come back in the order they were pushed (runs are
//!   written in push order, sorting within a run is stable, the merge prefers the earlier run);
//! * memory holds one run under the budget, the run being sorted and written on a thread of its
//!   own (the pushing thread never waits for the sort or the disk, only for the run before),
//!   and one read buffer per spilled run; at most [`MAX_RUNS`] runs are open at once: past
//!   that, the runs written so far are merged into one (a case of any size needs a bounded
//!   number of open files);
//! * spill files are created with [`tempfile::tempfile_in`] in the directory given (by default
//!   the system's temporary directory, `TMPDIR`): unlinked at once, so the operating system
//!   deletes them even if the process dies, and never next to the evidence;
//! * an item comes back exactly as pushed (postcard encoding; a run that fails to decode is an
//!   I/O error of kind `InvalidData`, never a silently shorter stream).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Default budget of a run's encoded bytes before it is spilled.
pub(crate) const DEFAULT_BUDGET: usize = 16 << 20;

/// Runs a sorter keeps open before it merges them into one.
pub(crate) const MAX_RUNS: usize = 128;

/// A run's bytes past which its sorter takes the memory of a whole run at once.
const RESERVE_AT: usize = 1 << 20;

/// Names (tenants) numbered in order of first appearance: the small number a sort key or an
/// index carries instead of a string per record.
#[derive(Debug, Default)]
pub struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    /// The number of `name`, and whether it was new.
    pub fn id(&mut self, name: &str) -> (u32, bool) {
        if let Some(&id) = self.ids.get(name) {
            return (id, false);
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        (id, true)
    }

    /// The number of `name`, if it was seen.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The name numbered `id` (which must have been handed out).
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// Every name, by number.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every name, by number, consuming the interner.
    pub fn into_names(self) -> Vec<String> {
        self.names
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether it holds no name.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

fn invalid(e: postcard::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Serde for an `Option<Digest>` kept in a run: its 32 bytes in one piece. Serde writes an
/// array as 32 elements and reads them back one by one, a visible part of the time spent
/// encoding and decoding the chain entries, the index keys and the timeline's copies.
pub(crate) mod opt_digest {
    use serde::de::{Deserializer, Error, Visitor};
    use serde::Serializer;

    use crate::record::Digest;

    struct Bytes<'a>(&'a Digest);

    impl serde::Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    pub(crate) fn serialize<S: Serializer>(d: &Option<Digest>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&Bytes(d)),
            None => s.serialize_none(),
        }
    }

    struct Opt;
    struct Exact;

    impl<'de> Visitor<'de> for Exact {
        type Value = Digest;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("32 bytes")
        }

        fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Digest, E> {
            Digest::try_from(v).map_err(|_| E::invalid_length(v.len(), &self))
        }
    }

    impl<'de> Visitor<'de> for Opt {
        type Value = Option<Digest>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an optional digest")
        }

        fn visit_none<E: Error>(self) -> Result<Option<Digest>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Digest>, D::Error> {
            d.deserialize_bytes(Exact).map(Some)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Digest>, D::Error> {
        d.deserialize_option(Opt)
    }

    /// The same for a `Digest` that is always there.
    pub(crate) mod exact {
        use serde::{Deserializer, Serializer};

        use crate::record::Digest;

        pub(crate) fn serialize<S: Serializer>(d: &Digest, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(d)
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
            d.deserialize_bytes(super::Exact)
        }
    }
}

/// A run's items: each key and where its item's bytes are in the run's buffer.
type Items<K> = Vec<(K, usize, usize)>;

/// Sorts `(K, T)` items by `K`, spilling sorted runs to temporary files (see the module docs).
pub(crate) struct Sorter<K, T> {
    dir: PathBuf,
    budget: usize,
    buf: Vec<u8>,
    items: Vec<(K, usize, usize)>,
    runs: Vec<File>,
    /// The run being sorted and written on a thread of its own ([`Sorter::spill`]).
    pending: Option<JoinHandle<Written<K>>>,
    /// The buffers of the last run written, emptied, for the next one.
    spare: Option<(Vec<u8>, Items<K>)>,
    /// Runs kept open before they are merged into one ([`MAX_RUNS`]).
    max_runs: usize,
    len: u64,
    _item: PhantomData<fn() -> T>,
}

/// A run written on its own thread: the file (or why it could not be written) and the run's
/// buffers, handed back for reuse or, when the write failed, to be kept in memory.
struct Written<K> {
    file: io::Result<File>,
    buf: Vec<u8>,
    items: Vec<(K, usize, usize)>,
}

/// Sorts a run (equal keys in push order: items were pushed at increasing offsets, and items
/// that encode to no bytes share one, their end ordering them, two such being the same
/// bytes; unstable sorting takes no scratch memory) and writes it to a temporary file in
/// `dir`, frame by frame.
fn write_run<K: Ord + Serialize>(
    dir: &Path,
    buf: &[u8],
    items: &mut [(K, usize, usize)],
) -> io::Result<File> {
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let file = tempfile::tempfile_in(dir)?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let mut key_bytes = Vec::new();
    for (key, s, e) in items.iter() {
        key_bytes.clear();
        key_bytes = postcard::to_extend(key, key_bytes).map_err(invalid)?;
        let frame = key_bytes.len() + (e - s);
        let frame = u32::try_from(frame)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "item over 4 GiB"))?;
        w.write_all(&frame.to_le_bytes())?;
        w.write_all(&key_bytes)?;
        w.write_all(&buf[*s..*e])?;
    }
    let mut file = w.into_inner().map_err(|e| e.into_error())?;
    file.rewind()?;
    Ok(file)
}

impl<K, T> Sorter<K, T>
where
    K: Ord + Clone + Serialize + DeserializeOwned + Send + 'static,
    T: Serialize + DeserializeOwned,
{
    /// A sorter that spills to `dir` once a run's encoded bytes pass `budget`.
    pub(crate) fn new(dir: &Path, budget: usize) -> Self {
        Sorter {
            dir: dir.to_path_buf(),
            budget: budget.max(1),
            buf: Vec::new(),
            items: Vec::new(),
            runs: Vec::new(),
            pending: None,
            spare: None,
            max_runs: MAX_RUNS,
            len: 0,
            _item: PhantomData,
        }
    }

    /// Items pushed so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Keeps every later item in memory (no more runs are written): for a caller whose run could
    /// not be written, which keeps what it pushed (a failed [`Sorter::push`] loses nothing).
    pub(crate) fn keep_in_memory(&mut self) {
        self.budget = usize::MAX;
    }

    /// Bytes of the run held in memory (its encoded items and their keys).
    pub(crate) fn held(&self) -> usize {
        self.buf.len() + self.items.len() * std::mem::size_of::<(K, usize, usize)>()
    }

    /// An empty sorter spilling where this one does, within the same budget: what a caller
    /// that drops every item it pushed makes of it.
    pub(crate) fn emptied(&self) -> Self {
        Sorter::new(&self.dir, self.budget)
    }

    /// Runs written to disk so far (the one being written among them).
    pub(crate) fn spilled_runs(&self) -> usize {
        self.runs.len() + usize::from(self.pending.is_some())
    }

    /// Adds one item; writes a run to disk when the budget is passed.
    pub(crate) fn push(&mut self, key: K, item: &T) -> io::Result<()> {
        let start = self.buf.len();
        self.buf = postcard::to_extend(item, std::mem::take(&mut self.buf)).map_err(invalid)?;
        self.items.push((key, start, self.buf.len()));
        self.len += 1;
        let held = self.held();
        if held >= self.budget {
            self.spill()?;
        } else if self.buf.len() >= RESERVE_AT && self.buf.capacity() < self.budget {
            self.reserve_run(held);
        }
        Ok(())
    }

    /// Takes the memory of a whole run at once, once a run passes [`RESERVE_AT`] bytes (it is
    /// then likely to reach its budget): growing by doubling would touch, and have the system
    /// zero, about twice as much fresh memory on the way, a visible cost on the thread that
    /// pushes. Budgets past [`DEFAULT_BUDGET`] (a sorter kept in memory) grow as usual.
    fn reserve_run(&mut self, held: usize) {
        if self.budget > DEFAULT_BUDGET {
            return;
        }
        // The run ends with the item that passes the budget: room for one more the size of
        // the average so far.
        let items = self.items.len().max(1);
        let room = self.budget + self.buf.len() / items;
        self.buf.reserve_exact(room.saturating_sub(self.buf.len()));
        let projected = (items * self.budget).div_ceil(held.max(1)) + 1;
        self.items
            .reserve_exact(projected.saturating_sub(self.items.len()));
    }

    fn sort_run(&mut self) {
        // As `write_run` sorts.
        self.items
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    }

    /// Waits for the run being written. Written, it joins the runs and its buffers are kept
    /// for the next one; not written, its items go back into memory before the items pushed
    /// since (push order holds), and the error is returned.
    fn settle(&mut self) -> io::Result<()> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let Written {
            file,
            mut buf,
            mut items,
        } = pending
            .join()
            .map_err(|_| io::Error::other("the thread writing a sorted run panicked"))?;
        match file {
            Ok(file) => {
                self.runs.push(file);
                buf.clear();
                items.clear();
                self.spare = Some((buf, items));
                Ok(())
            }
            Err(e) => {
                let shift = buf.len();
                buf.extend_from_slice(&self.buf);
                items.extend(
                    self.items
                        .drain(..)
                        .map(|(k, s, e)| (k, s + shift, e + shift)),
                );
                self.buf = buf;
                self.items = items;
                Err(e)
            }
        }
    }

    /// Hands the run in memory to a thread that sorts and writes it (after the one before is
    /// written), and goes on with empty buffers: the thread that pushes does not wait for the
    /// sort or the disk.
    fn spill(&mut self) -> io::Result<()> {
        self.settle()?;
        if self.items.is_empty() {
            return Ok(());
        }
        // The run about to be written counts among the open ones.
        if self.runs.len() + 1 >= self.max_runs {
            self.compact()?;
        }
        let (buf, items) = self.spare.take().unwrap_or_default();
        let buf = std::mem::replace(&mut self.buf, buf);
        let mut items = std::mem::replace(&mut self.items, items);
        let dir = self.dir.clone();
        self.pending = Some(std::thread::spawn(move || {
            let file = write_run(&dir, &buf, &mut items);
            Written { file, buf, items }
        }));
        Ok(())
    }

    /// Merges every run written so far into one, frame by frame in key order (ties to the
    /// earlier run, so push order holds), without decoding the items.
    fn compact(&mut self) -> io::Result<()> {
        let mut readers: Vec<Run> = std::mem::take(&mut self.runs)
            .into_iter()
            .map(Run::new)
            .collect();
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(k) = r.next_frame::<K>()? {
                heap.push(Reverse(Head(k, i)));
            }
        }
        let mut w = BufWriter::with_capacity(1 << 16, tempfile::tempfile_in(&self.dir)?);
        while let Some(Reverse(Head(_, i))) = heap.pop() {
            let frame = &readers[i].frame;
            let len = u32::try_from(frame.len()).expect("a frame read back fits its length");
            w.write_all(&len.to_le_bytes())?;
            w.write_all(frame)?;
            if let Some(k) = readers[i].next_frame::<K>()? {
                heap.push(Reverse(Head(k, i)));
            }
        }
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        self.runs.push(file);
        Ok(())
    }

    /// Every item in key order.
    pub(crate) fn finish(mut self) -> io::Result<Sorted<K, T>> {
        if let Err(e) = self.settle() {
            // Its items are back in memory: with nothing else on disk they are all there is.
            if !self.runs.is_empty() {
                return Err(e);
            }
        }
        if self.runs.is_empty() {
            self.sort_run();
            return Ok(Sorted(Inner::Memory {
                buf: self.buf,
                items: self.items.into_iter(),
            }));
        }
        if !self.items.is_empty() {
            let file = write_run::<K>(&self.dir, &self.buf, &mut self.items)?;
            self.runs.push(file);
        }
        let mut readers: Vec<Run> = self.runs.into_iter().map(Run::new).collect();
        let mut heap = BinaryHeap::with_capacity(readers.len());
        let mut heads = Vec::with_capacity(readers.len());
        for (i, r) in readers.iter_mut().enumerate() {
            match r.next::<K, T>()? {
                Some((k, t)) => {
                    heap.push(Reverse(Head(k, i)));
                    heads.push(Some(t));
                }
                None => heads.push(None),
            }
        }
        Ok(Sorted(Inner::Merge {
            readers,
            heap,
            heads,
        }))
    }
}

struct Run {
    r: BufReader<File>,
    frame: Vec<u8>,
    /// Where the item starts in `frame`, after its key.
    item_at: usize,
}

impl Run {
    fn new(f: File) -> Run {
        Run {
            r: BufReader::with_capacity(1 << 16, f),
            frame: Vec::new(),
            item_at: 0,
        }
    }

    /// Reads the next frame into `frame`; its key, `None` at the end of the run.
    fn next_frame<K: DeserializeOwned>(&mut self) -> io::Result<Option<K>> {
        // End of run only at a frame boundary; a partial frame is an error (`UnexpectedEof`).
        if self.r.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let mut len = [0u8; 4];
        self.r.read_exact(&mut len)?;
        self.frame.resize(u32::from_le_bytes(len) as usize, 0);
        self.r.read_exact(&mut self.frame)?;
        let (k, rest) = postcard::take_from_bytes::<K>(&self.frame).map_err(invalid)?;
        self.item_at = self.frame.len() - rest.len();
        Ok(Some(k))
    }

    fn next<K: DeserializeOwned, T: DeserializeOwned>(&mut self) -> io::Result<Option<(K, T)>> {
        let Some(k) = self.next_frame::<K>()? else {
            return Ok(None);
        };
        let t = postcard::from_bytes::<T>(&self.frame[self.item_at..]).map_err(invalid)?;
        Ok(Some((k, t)))
    }
}

/// A run's next key and its index; ties go to the earlier run.
struct Head<K>(K, usize);

impl<K: Ord> PartialEq for Head<K> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl<K: Ord> Eq for Head<K> {}
impl<K: Ord> PartialOrd for Head<K> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<K: Ord> Ord for Head<K> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

enum Inner<K, T> {
    Memory {
        buf: Vec<u8>,
        items: std::vec::IntoIter<(K, usize, usize)>,
    },
    Merge {
        readers: Vec<Run>,
        heap: BinaryHeap<Reverse<Head<K>>>,
        heads: Vec<Option<T>>,
    },
}

/// The items of a [`Sorter`], in key order.
pub(crate) struct Sorted<K, T>(Inner<K, T>);

impl<K, T> Iterator for Sorted<K, T>
where
    K: Ord + Clone + Serialize + DeserializeOwned,
    T: Serialize + DeserializeOwned,
{
    type Item = io::Result<(K, T)>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Inner::Memory { buf, items } => {
                let (k, s, e) = items.next()?;
                Some(
                    postcard::from_bytes(&buf[s..e])
                        .map(|t| (k, t))
                        .map_err(invalid),
                )
            }
            Inner::Merge {
                readers,
                heap,
                heads,
            } => {
                let Reverse(Head(k, i)) = heap.pop()?;
                let t = heads[i].take()?;
                match readers[i].next::<K, T>() {
                    Ok(Some((nk, nt))) => {
                        heap.push(Reverse(Head(nk, i)));
                        heads[i] = Some(nt);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        heap.clear();
                        return Some(Err(e));
                    }
                }
                Some(Ok((k, t)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(budget: usize, items: &[(u32, String)]) -> (usize, Vec<(u32, String)>) {
        let dir = std::env::temp_dir();
        let mut s = Sorter::new(&dir, budget);
        for (k, v) in items {
            s.push(*k, v).unwrap();
        }
        let runs = s.spilled_runs();
        (runs, s.finish().unwrap().map(Result::unwrap).collect())
    }

    /// 500 items whose keys repeat (k % 7), so ties cross run boundaries.
    fn tied_items() -> Vec<(u32, String)> {
        (0..500u32)
            .map(|i| ((i * 37) % 7, format!("item {i}")))
            .collect()
    }

    #[test]
    fn spilled_and_in_memory_orders_agree_and_keep_push_order_on_ties() {
        let items = tied_items();
        let (runs_mem, mem) = sorted(usize::MAX, &items);
        let (runs_disk, disk) = sorted(256, &items);
        assert_eq!(runs_mem, 0);
        assert!(runs_disk > 10, "{runs_disk} runs");
        assert_eq!(mem, disk);
        let mut expected = items.clone();
        expected.sort_by_key(|(k, _)| *k);
        assert_eq!(disk, expected);
        // Ties in push order: key 0 holds items 0, 7, 14, ...
        assert_eq!(disk[0].1, "item 0");
        assert_eq!(disk[1].1, "item 7");
    }

    /// Past its limit of open runs a sorter merges them into one: the items come back in the
    /// same order (ties in push order across merged and later runs), with few runs open.
    #[test]
    fn merged_runs_keep_order_and_ties() {
        let items = tied_items();
        let (_, expected) = sorted(usize::MAX, &items);
        let dir = std::env::temp_dir();
        let mut s = Sorter::new(&dir, 256);
        s.max_runs = 3;
        let mut most = 0;
        for (k, v) in &items {
            s.push(*k, v).unwrap();
            most = most.max(s.spilled_runs());
        }
        assert_eq!(most, 2, "runs are merged once there are three");
        let got: Vec<(u32, String)> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(got, expected);
    }

    /// A run that cannot be written is an error at the next spill, and its items are back in
    /// memory before the later ones: nothing is lost, and ties keep push order.
    #[test]
    fn a_run_that_cannot_be_written_comes_back_into_memory() {
        let dir = std::env::temp_dir().join("trailproof-no-such-dir-for-spill");
        let mut s: Sorter<u32, String> = Sorter::new(&dir, 1);
        s.push(2, &"first".to_string()).unwrap();
        let e = s.push(2, &"second".to_string()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        s.keep_in_memory();
        s.push(1, &"third".to_string()).unwrap();
        assert_eq!(s.spilled_runs(), 0);
        let got: Vec<(u32, String)> = s.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(
            got,
            [
                (1, "third".into()),
                (2, "first".into()),
                (2, "second".into())
            ]
        );
    }

    #[test]
    fn empty_sorter_yields_nothing() {
        let (runs, out) = sorted(16, &[]);
        assert_eq!(runs, 0);
        assert!(out.is_empty());
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_shorter_stream() {
        let dir = std::env::temp_dir();
        let mut s: Sorter<u32, String> = Sorter::new(&dir, 1);
        s.push(1, &"a".to_string()).unwrap();
        s.push(2, &"b".to_string()).unwrap();
        // Truncate the second run behind the sorter's back, once it is written.
        s.settle().unwrap();
        s.runs[1].set_len(3).unwrap();
        let out: Vec<io::Result<(u32, String)>> = s
            .finish()
            .map(|it| it.collect())
            .unwrap_or_else(|e| vec![Err(e)]);
        assert!(
            out.iter().any(|r| r
                .as_ref()
                .is_err_and(|e| e.kind() == io::ErrorKind::UnexpectedEof)),
            "{out:?}"
        );
    }

    #[test]
    fn digests_come_back_as_written_and_a_short_one_is_invalid_data() {
        #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
        struct D(#[serde(with = "opt_digest")] Option<crate::record::Digest>);
        let dir = std::env::temp_dir();
        let items = [
            D(Some([7; 32])),
            D(None),
            D(Some(std::array::from_fn(|i| i as u8))),
        ];
        for budget in [1, usize::MAX] {
            let mut s: Sorter<u32, D> = Sorter::new(&dir, budget);
            for (i, d) in items.iter().enumerate() {
                s.push(i as u32, d).unwrap();
            }
            let back: Vec<D> = s.finish().unwrap().map(|r| r.unwrap().1).collect();
            assert_eq!(back, items);
        }
        // One element, then a 31-byte string where 32 bytes belong.
        let mut short = vec![1u8, 31];
        short.extend([0u8; 31]);
        let err = postcard::from_bytes::<D>(&short).unwrap_err();
        assert_eq!(err, postcard::Error::SerdeDeCustom);
    }
}
