//! The narrow key-value interface every storage engine offers.
//!
//! An engine stores byte keys and byte values in key order. It knows nothing of
//! transactions, versions or rows: MVCC (`crate::mvcc`) is built on top of it, so any engine
//! that passes the conformance suite (`crate::tests`) can carry a database.
//!
//! Engines take `&self` everywhere and are shared between threads: readers never wait for
//! writers, and concurrent writers may share one log sync (group commit). Scans return owned
//! iterators over a consistent snapshot taken when the scan began, so a scan can outlive the
//! borrow that started it and never sees a half-applied batch.

use std::ops::{Bound, RangeBounds};

use crate::error::{Error, Result};

/// The largest key an engine accepts, in bytes.
pub const MAX_KEY_SIZE: usize = 64 * 1024;
/// The largest value an engine accepts, in bytes.
pub const MAX_VALUE_SIZE: usize = 64 * 1024 * 1024;

/// One key and its value.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// An owned iterator over the key-value pairs of a scan, in the scan's direction.
pub type ScanIter = Box<dyn Iterator<Item = Result<KeyValue>> + Send>;

/// A range of keys, each end included, excluded or unbounded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// The lower end.
    pub start: Bound<Vec<u8>>,
    /// The upper end.
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    /// Every key.
    pub fn all() -> Self {
        KeyRange {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        let end = match prefix_successor(prefix) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        KeyRange {
            start: Bound::Included(prefix.to_vec()),
            end,
        }
    }

    /// Converts any range of byte vectors, e.g. `b"a".to_vec()..b"c".to_vec()`.
    pub fn from_bounds(range: impl RangeBounds<Vec<u8>>) -> Self {
        KeyRange {
            start: range.start_bound().cloned(),
            end: range.end_bound().cloned(),
        }
    }

    /// True if `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        let after_start = match &self.start {
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
            Bound::Unbounded => true,
        };
        after_start && !self.is_past_end(key)
    }

    /// True if `key` lies beyond the upper end.
    pub fn is_past_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(e) => key > e.as_slice(),
            Bound::Excluded(e) => key >= e.as_slice(),
            Bound::Unbounded => false,
        }
    }

    /// True if `key` lies before the lower end.
    pub fn is_before_start(&self, key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(s) => key < s.as_slice(),
            Bound::Excluded(s) => key <= s.as_slice(),
            Bound::Unbounded => false,
        }
    }

    /// True if no key can lie in the range (the ends cross, or meet with one excluded).
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            _ => false,
        }
    }

    /// The range as a pair of borrowed bounds, for `BTreeMap::range` and friends.
    pub fn as_bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (as_ref_bound(&self.start), as_ref_bound(&self.end))
    }
}

fn as_ref_bound(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The smallest key greater than every key that starts with `prefix`, or `None` if there is
/// none (the prefix is empty or all 0xff).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One change in a write batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Set `key` to `value`.
    Set {
        /// The key.
        key: Vec<u8>,
        /// The new value.
        value: Vec<u8>,
    },
    /// Remove `key`.
    Delete {
        /// The key.
        key: Vec<u8>,
    },
    /// Remove every key in `start..end` (end excluded) at once, without one tombstone per
    /// key: this is how a table is dropped or truncated cheaply.
    DeleteRange {
        /// The first key removed.
        start: Vec<u8>,
        /// The first key kept after the range.
        end: Vec<u8>,
    },
}

/// How a write is made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPolicy {
    /// The write is synced to disk before it is acknowledged (concurrent writers share syncs).
    Always,
    /// The log is synced in the background at most this many milliseconds after a write.
    EveryMillis(u64),
    /// The log is never synced explicitly; the operating system writes it when it will.
    Never,
}

/// A set of changes applied atomically: after a crash, all of them or none are there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    /// The changes, applied in order.
    pub ops: Vec<Op>,
    /// Overrides the engine's sync policy for this batch: `Some(true)` syncs before
    /// acknowledging, `Some(false)` does not, `None` follows the engine's policy.
    pub sync: Option<bool>,
}

impl WriteBatch {
    /// An empty batch that follows the engine's sync policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a set.
    pub fn set(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::Set {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a delete.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::Delete { key: key.into() });
        self
    }

    /// Adds a range delete of `start..end`.
    pub fn delete_range(
        &mut self,
        start: impl Into<Vec<u8>>,
        end: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.ops.push(Op::DeleteRange {
            start: start.into(),
            end: end.into(),
        });
        self
    }

    /// True if the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Checks sizes before anything is written, so an invalid batch changes nothing.
    pub fn validate(&self) -> Result<()> {
        for op in &self.ops {
            match op {
                Op::Set { key, value } => {
                    check_key(key)?;
                    if value.len() > MAX_VALUE_SIZE {
                        return Err(Error::InvalidInput(format!(
                            "value of {} bytes exceeds the maximum of {MAX_VALUE_SIZE}",
                            value.len()
                        )));
                    }
                }
                Op::Delete { key } => check_key(key)?,
                Op::DeleteRange { start, end } => {
                    check_key(start)?;
                    check_key(end)?;
                }
            }
        }
        Ok(())
    }
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() > MAX_KEY_SIZE {
        return Err(Error::InvalidInput(format!(
            "key of {} bytes exceeds the maximum of {MAX_KEY_SIZE}",
            key.len()
        )));
    }
    Ok(())
}

/// Tables and bytes in one level of an LSM tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LevelStatus {
    /// Number of sorted tables in the level.
    pub tables: u64,
    /// Bytes on disk of those tables.
    pub bytes: u64,
}

/// What an operator watches: sizes, log activity, flushes, compactions, caches and damage.
/// Engines fill in what applies to them and leave the rest at zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    /// The engine's name.
    pub name: String,
    /// Live keys (exact for Memory; an estimate that counts overwritten and deleted entries
    /// not yet compacted away for LSM).
    pub keys: u64,
    /// Bytes of live keys and values, by the same measure as `keys`.
    pub size: u64,
    /// Bytes the engine uses on disk (log, tables, manifest).
    pub disk_size: u64,
    /// Bytes appended to the write-ahead log since open.
    pub wal_bytes: u64,
    /// Log syncs (`fdatasync`) since open.
    pub wal_syncs: u64,
    /// Write batches committed through the log since open.
    pub wal_writes: u64,
    /// Group commits since open: each wrote one or more batches with one write and at most one
    /// sync. `wal_writes / group_commits` is the mean group size.
    pub group_commits: u64,
    /// The largest group so far, in batches.
    pub group_commit_max: u64,
    /// Bytes in the active and immutable memtables.
    pub memtable_bytes: u64,
    /// Immutable memtables waiting to be flushed.
    pub immutable_memtables: u64,
    /// Tables and bytes per level, level 0 first.
    pub levels: Vec<LevelStatus>,
    /// Memtable flushes since open.
    pub flushes: u64,
    /// Bytes written by flushes.
    pub flush_bytes: u64,
    /// Time spent flushing, in microseconds.
    pub flush_micros: u64,
    /// Compactions since open.
    pub compactions: u64,
    /// Bytes read by compactions.
    pub compaction_bytes_read: u64,
    /// Bytes written by compactions.
    pub compaction_bytes_written: u64,
    /// Time spent compacting, in microseconds.
    pub compaction_micros: u64,
    /// Times a writer was slowed because flushing fell behind.
    pub write_stalls: u64,
    /// Block-cache hits.
    pub block_cache_hits: u64,
    /// Block-cache misses.
    pub block_cache_misses: u64,
    /// Bytes held by the block cache.
    pub block_cache_bytes: u64,
    /// Point reads a bloom filter answered "absent" without reading a block.
    pub bloom_negatives: u64,
    /// Corruptions detected (checksum or structure mismatches) since open.
    pub corruptions: u64,
}

/// A key-value storage engine. See the module documentation.
pub trait Engine: Send + Sync {
    /// Returns the value of `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Applies `batch` atomically and, as the batch or engine policy says, durably.
    fn write(&self, batch: WriteBatch) -> Result<()>;

    /// Iterates over the keys in `range` in ascending order.
    fn scan(&self, range: KeyRange) -> Result<ScanIter>;

    /// Iterates over the keys in `range` in descending order.
    fn scan_rev(&self, range: KeyRange) -> Result<ScanIter>;

    /// Makes everything written so far durable (syncs the log; an engine without a log writes
    /// its in-memory state to disk).
    fn flush(&self) -> Result<()>;

    /// Reports sizes and activity.
    fn status(&self) -> Result<Status>;

    /// Sets `key` to `value`.
    fn set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.set(key, value);
        self.write(batch)
    }

    /// Removes `key`.
    fn delete(&self, key: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.write(batch)
    }

    /// Removes every key in `start..end`.
    fn delete_range(&self, start: &[u8], end: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete_range(start, end);
        self.write(batch)
    }

    /// Iterates over the keys that start with `prefix`, ascending.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<ScanIter> {
        self.scan(KeyRange::prefix(prefix))
    }
}
