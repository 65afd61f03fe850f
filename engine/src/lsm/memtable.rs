//! The memtable: the newest writes, in a lock-free skiplist, until a flush turns them into a
//! sorted table.
//!
//! Every version of a key is kept, ordered by key and then by sequence number, newest first,
//! so a reader with a snapshot sequence number `S` sees exactly the versions with `seq <= S`
//! even while writers keep inserting. Range tombstones sit beside the skiplist in a short list.

use std::cmp::Ordering;
use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use crossbeam_skiplist::SkipMap;
use parking_lot::RwLock;

use super::table::{Entry, RangeTombstone};
use crate::engine::KeyRange;
use crate::error::Result;

/// A key version in the skiplist: ordered by key ascending, then sequence number descending.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MemKey {
    key: Vec<u8>,
    seq: u64,
}

impl Ord for MemKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key
            .cmp(&other.key)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for MemKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Per-entry bookkeeping counted in the memtable's size, roughly a skiplist node.
const ENTRY_OVERHEAD: usize = 48;

/// An in-memory table of versions. Inserts and reads run concurrently.
pub struct Memtable {
    /// The write-ahead log file that holds this memtable's writes.
    pub wal_id: u64,
    map: SkipMap<MemKey, Option<Vec<u8>>>,
    tombstones: RwLock<Vec<RangeTombstone>>,
    size: AtomicUsize,
}

impl Memtable {
    /// An empty memtable whose writes are logged in WAL file `wal_id`.
    pub fn new(wal_id: u64) -> Self {
        Memtable {
            wal_id,
            map: SkipMap::new(),
            tombstones: RwLock::new(Vec::new()),
            size: AtomicUsize::new(0),
        }
    }

    /// Inserts a version (`None` is a point tombstone), taking ownership of the bytes so that
    /// a write batch's buffers move into the skiplist without a copy.
    pub fn put(&self, key: Vec<u8>, seq: u64, value: Option<Vec<u8>>) {
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len) + ENTRY_OVERHEAD;
        self.map.insert(MemKey { key, seq }, value);
        self.size.fetch_add(bytes, AtomicOrdering::Relaxed);
    }

    /// Records a range tombstone.
    pub fn delete_range(&self, tombstone: RangeTombstone) {
        let bytes = tombstone.start.len() + tombstone.end.len() + ENTRY_OVERHEAD;
        self.tombstones.write().push(tombstone);
        self.size.fetch_add(bytes, AtomicOrdering::Relaxed);
    }

    /// Approximate bytes held.
    pub fn size(&self) -> usize {
        self.size.load(AtomicOrdering::Relaxed)
    }

    /// True if nothing was ever written.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.tombstones.read().is_empty()
    }

    /// Number of versions held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The newest version of `key` with `seq <= snapshot`.
    pub fn get(&self, key: &[u8], snapshot: u64) -> Option<Entry> {
        let entry = self.map.lower_bound(Bound::Included(&MemKey {
            key: key.to_vec(),
            seq: snapshot,
        }))?;
        (entry.key().key == key).then(|| Entry {
            key: key.to_vec(),
            seq: entry.key().seq,
            value: entry.value().clone(),
        })
    }

    /// The range tombstones with `seq <= snapshot`.
    pub fn range_tombstones(&self, snapshot: u64) -> Vec<RangeTombstone> {
        self.tombstones
            .read()
            .iter()
            .filter(|t| t.seq <= snapshot)
            .cloned()
            .collect()
    }

    /// Iterates over the versions with `seq <= snapshot` of keys in `range`, in the order a
    /// merging reader wants: keys ascending (or descending if `reverse`), and within a key the
    /// newest version first.
    pub fn iter(self: &Arc<Self>, range: KeyRange, snapshot: u64, reverse: bool) -> MemtableIter {
        MemtableIter {
            memtable: Arc::clone(self),
            range,
            snapshot,
            reverse,
            buffer: VecDeque::new(),
            resume: None,
            done: false,
        }
    }
}

/// How many entries a memtable iterator copies out of the skiplist per seek.
const ITER_BATCH: usize = 128;

/// An owned iterator over a memtable. It copies entries out in small batches and seeks again
/// from the last key for the next batch, so it needs no borrow of the skiplist between calls.
pub struct MemtableIter {
    memtable: Arc<Memtable>,
    range: KeyRange,
    snapshot: u64,
    reverse: bool,
    buffer: VecDeque<Entry>,
    /// The last skiplist key copied: the next batch starts just past it.
    resume: Option<MemKey>,
    done: bool,
}

impl MemtableIter {
    fn refill(&mut self) {
        let memtable = Arc::clone(&self.memtable);
        let map = &memtable.map;
        let mut cursor = match (&self.resume, self.reverse) {
            (Some(last), false) => map.lower_bound(Bound::Excluded(last)),
            (Some(last), true) => map.upper_bound(Bound::Excluded(last)),
            (None, false) => match &self.range.start {
                Bound::Included(k) => map.lower_bound(Bound::Included(&MemKey {
                    key: k.clone(),
                    seq: u64::MAX,
                })),
                // The largest MemKey of `k` is its version with seq 0.
                Bound::Excluded(k) => map.lower_bound(Bound::Excluded(&MemKey {
                    key: k.clone(),
                    seq: 0,
                })),
                Bound::Unbounded => map.front(),
            },
            (None, true) => match &self.range.end {
                Bound::Included(k) => map.upper_bound(Bound::Included(&MemKey {
                    key: k.clone(),
                    seq: 0,
                })),
                Bound::Excluded(k) => map.upper_bound(Bound::Excluded(&MemKey {
                    key: k.clone(),
                    seq: u64::MAX,
                })),
                Bound::Unbounded => map.back(),
            },
        };
        let mut copied = 0;
        let mut group: Vec<Entry> = Vec::new();
        while let Some(entry) = cursor {
            let mk = entry.key();
            let outside = if self.reverse {
                self.range.is_before_start(&mk.key)
            } else {
                self.range.is_past_end(&mk.key)
            };
            if outside {
                break;
            }
            // Batches end between keys, never inside one: in reverse the skiplist yields a
            // key's versions oldest first, and the whole group is turned around below.
            if self.resume.as_ref().is_some_and(|r| r.key != mk.key) {
                self.flush_group(&mut group);
                if copied >= ITER_BATCH {
                    return;
                }
            }
            self.resume = Some(mk.clone());
            if mk.seq <= self.snapshot {
                group.push(Entry {
                    key: mk.key.clone(),
                    seq: mk.seq,
                    value: entry.value().clone(),
                });
            }
            copied += 1;
            cursor = if self.reverse {
                entry.prev()
            } else {
                entry.next()
            };
        }
        self.flush_group(&mut group);
        self.done = true;
    }

    fn flush_group(&mut self, group: &mut Vec<Entry>) {
        if self.reverse {
            self.buffer.extend(group.drain(..).rev());
        } else {
            self.buffer.extend(group.drain(..));
        }
    }
}

impl Iterator for MemtableIter {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.range.is_empty() {
            return None;
        }
        loop {
            if let Some(entry) = self.buffer.pop_front() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            self.refill();
        }
    }
}
