//! [`Transaction`]: reads at a snapshot, buffered writes, row locks, savepoints and commit.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::key;
use super::lock::{Acquired, Request};
use super::store::Inner;
use crate::engine::{KeyRange, KeyValue, MAX_KEY_SIZE, MAX_VALUE_SIZE, ScanIter};
use crate::error::{Error, Result};

/// PostgreSQL's isolation levels (READ UNCOMMITTED behaves as READ COMMITTED there, and is
/// not offered here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    /// Each statement reads a fresh snapshot; writers wait for concurrent writers and then
    /// work on the newest committed version.
    #[default]
    ReadCommitted,
    /// Snapshot isolation: one snapshot for the whole transaction; the first updater wins and
    /// the second fails with a serialization error.
    RepeatableRead,
    /// Like repeatable read, and commits only if the transaction's reads are still current,
    /// so every history is serializable.
    Serializable,
}

/// The strength of a row lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockMode {
    /// `FOR SHARE`: compatible with other share locks, blocks writers.
    Share,
    /// `FOR UPDATE`, and every write: excludes every other lock.
    Update,
}

/// What a lock request does when the row is locked by another transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WaitPolicy {
    /// Wait until the lock is free, the lock timeout passes, the statement is cancelled or
    /// a deadlock is found.
    #[default]
    Wait,
    /// `NOWAIT`: fail at once with [`Error::LockNotAvailable`].
    NoWait,
    /// `SKIP LOCKED`: give up on the row and tell the caller to skip it.
    SkipLocked,
}

/// The outcome of [`Transaction::lock`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Locked {
    /// The row is locked by this transaction; this is its newest committed value (or this
    /// transaction's own write), `None` if the row does not exist or was deleted.
    Row(Option<Vec<u8>>),
    /// The row was locked by another transaction and the policy was
    /// [`WaitPolicy::SkipLocked`].
    Skipped,
}

/// Sets the cancel flag of a transaction from another thread: the statement's lock wait
/// ends with [`Error::Cancelled`].
#[derive(Clone)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
    inner: Arc<Inner>,
}

impl CancelHandle {
    /// Cancels the current statement's lock wait (or the next one, if it is not waiting,
    /// until [`Transaction::new_statement`] clears the flag).
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.inner.locks.wake();
    }
}

/// Keys and ranges a serializable transaction read, validated at commit.
#[derive(Default)]
pub(super) struct ReadSet {
    keys: BTreeSet<Vec<u8>>,
    ranges: Vec<KeyRange>,
}

impl ReadSet {
    /// Describes the first of `written` that this read set read or scanned over, if any.
    pub fn conflict(&self, written: &[Vec<u8>]) -> Option<String> {
        written.iter().find_map(|k| {
            if self.keys.contains(k) {
                Some(format!("row {} was read", super::display_key(k)))
            } else if self.ranges.iter().any(|r| r.contains(k)) {
                Some(format!(
                    "row {} is in a range that was scanned",
                    super::display_key(k)
                ))
            } else {
                None
            }
        })
    }
}

/// One entry of the undo log kept while a savepoint exists.
enum Undo {
    /// `key` was written; before, this transaction's write of it was `previous` (`None` if
    /// it had not written it; `Some(None)` for a delete).
    Write {
        key: Vec<u8>,
        previous: Option<Option<Vec<u8>>>,
    },
    /// A lock on `key` was taken; before, this transaction held it in `previous`.
    Lock {
        key: Vec<u8>,
        previous: Option<LockMode>,
    },
}

struct Savepoint {
    name: String,
    /// The length of the undo log when the savepoint was made.
    undo: usize,
}

/// A transaction. Dropping it without [`Transaction::commit`] rolls it back.
pub struct Transaction {
    inner: Arc<Inner>,
    id: u64,
    isolation: IsolationLevel,
    read_only: bool,
    snapshot: u64,
    /// Uncommitted writes: `None` deletes.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// What a serializable read-write transaction read.
    reads: Option<ReadSet>,
    /// Row locks held.
    locks: HashMap<Vec<u8>, LockMode>,
    savepoints: Vec<Savepoint>,
    undo: Vec<Undo>,
    cancel: Arc<AtomicBool>,
    lock_timeout: Duration,
    synchronous_commit: bool,
    ended: bool,
}

impl Transaction {
    pub(super) fn begin(
        inner: Arc<Inner>,
        isolation: IsolationLevel,
        read_only: bool,
        as_of: Option<u64>,
    ) -> Result<Transaction> {
        let validated = isolation == IsolationLevel::Serializable && !read_only;
        let (id, snapshot, cancel) = inner.begin(validated, as_of)?;
        Ok(Transaction {
            id,
            isolation,
            read_only,
            snapshot,
            writes: BTreeMap::new(),
            reads: validated.then(ReadSet::default),
            locks: HashMap::new(),
            savepoints: Vec::new(),
            undo: Vec::new(),
            cancel,
            lock_timeout: inner.options.lock_timeout,
            synchronous_commit: inner.options.synchronous_commit,
            ended: false,
            inner,
        })
    }

    /// The transaction's id (for [`super::Mvcc::cancel`] and [`super::Mvcc::is_blocked`]).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The isolation level.
    pub fn isolation(&self) -> IsolationLevel {
        self.isolation
    }

    /// True if the transaction may not write.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The timestamp the transaction (or, at READ COMMITTED, its current statement) reads at.
    pub fn snapshot(&self) -> u64 {
        self.snapshot
    }

    /// Sets how long a lock wait may last (zero: forever), like `SET lock_timeout`.
    pub fn set_lock_timeout(&mut self, timeout: Duration) {
        self.lock_timeout = timeout;
    }

    /// Chooses whether the commit waits for the disk (`SET synchronous_commit`).
    pub fn set_synchronous_commit(&mut self, synchronous: bool) {
        self.synchronous_commit = synchronous;
    }

    /// A handle that cancels this transaction's lock waits from another thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            flag: self.cancel.clone(),
            inner: self.inner.clone(),
        }
    }

    /// Starts a statement: at READ COMMITTED, takes a new snapshot of everything committed
    /// so far; at the other levels, keeps the transaction's snapshot. Clears a pending
    /// cancellation. The SQL layer calls this before each statement.
    pub fn new_statement(&mut self) {
        self.cancel.store(false, Ordering::SeqCst);
        if self.isolation == IsolationLevel::ReadCommitted {
            self.snapshot = self.inner.refresh(self.id);
        }
    }

    /// Reads `key`: this transaction's own write, else the version visible at the snapshot.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(value) = self.writes.get(key) {
            return Ok(value.clone());
        }
        if let Some(reads) = &mut self.reads {
            reads.keys.insert(key.to_vec());
        }
        self.inner.read(key, self.snapshot)
    }

    /// Iterates over the visible keys in `range`, ascending, with this transaction's own
    /// writes and without deleted keys.
    pub fn scan(&mut self, range: KeyRange) -> Result<Scan> {
        self.scan_dir(range, false)
    }

    /// Iterates over the visible keys in `range`, descending.
    pub fn scan_rev(&mut self, range: KeyRange) -> Result<Scan> {
        self.scan_dir(range, true)
    }

    fn scan_dir(&mut self, range: KeyRange, reverse: bool) -> Result<Scan> {
        if range.is_empty() {
            return Ok(Scan::empty());
        }
        let storage = key::version_range(&range);
        let versions = if reverse {
            self.inner.engine.scan_rev(storage)?
        } else {
            self.inner.engine.scan(storage)?
        };
        let mut own: VecDeque<_> = self
            .writes
            .range::<[u8], _>(range.as_bounds())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if reverse {
            own = own.into_iter().rev().collect();
        }
        if let Some(reads) = &mut self.reads {
            reads.ranges.push(range);
        }
        Ok(Scan {
            versions: Some(versions),
            peeked: None,
            next_visible: None,
            own,
            snapshot: self.snapshot,
            reverse,
        })
    }

    /// Sets `key` to `value`, taking the row's exclusive lock (waiting for it).
    pub fn set(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        if value.len() + 1 > MAX_VALUE_SIZE {
            return Err(Error::InvalidInput(format!(
                "value of {} bytes exceeds the maximum of {}",
                value.len(),
                MAX_VALUE_SIZE - 1
            )));
        }
        self.write(key, Some(value.to_vec()))
    }

    /// Deletes `key`, taking the row's exclusive lock (waiting for it).
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.write(key, None)
    }

    fn write(&mut self, key: &[u8], value: Option<Vec<u8>>) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly("a write".into()));
        }
        if key::version_len(key) > MAX_KEY_SIZE {
            return Err(Error::InvalidInput(format!(
                "key of {} bytes is too long",
                key.len()
            )));
        }
        self.take_lock(key, LockMode::Update, WaitPolicy::Wait)?;
        self.check_not_updated(key)?;
        let previous = self.writes.insert(key.to_vec(), value);
        if !self.savepoints.is_empty() {
            self.undo.push(Undo::Write {
                key: key.to_vec(),
                previous,
            });
        }
        Ok(())
    }

    /// At REPEATABLE READ and SERIALIZABLE, fails if a transaction that committed after the
    /// snapshot changed `key` (the first updater wins). Call with the row locked.
    fn check_not_updated(&self, key: &[u8]) -> Result<Option<(u64, Option<Vec<u8>>)>> {
        let newest = self.inner.newest(key)?;
        if self.isolation != IsolationLevel::ReadCommitted
            && !self.writes.contains_key(key)
            && newest
                .as_ref()
                .is_some_and(|(version, _)| *version > self.snapshot)
        {
            self.inner.counters.serialization_failures.inc();
            return Err(Error::Serialization("concurrent update".into()));
        }
        Ok(newest)
    }

    /// Locks a row (`SELECT ... FOR SHARE / FOR UPDATE`) until the transaction ends, as
    /// `policy` says, and returns its newest committed value: at READ COMMITTED, the value to
    /// re-check the statement's condition against; at the other levels, a row changed by a
    /// transaction that committed after the snapshot fails with [`Error::Serialization`].
    pub fn lock(&mut self, key: &[u8], mode: LockMode, policy: WaitPolicy) -> Result<Locked> {
        if self.read_only {
            return Err(Error::ReadOnly("SELECT FOR UPDATE/SHARE".into()));
        }
        if !self.take_lock(key, mode, policy)? {
            return Ok(Locked::Skipped);
        }
        if let Some(value) = self.writes.get(key) {
            return Ok(Locked::Row(value.clone()));
        }
        let newest = self.check_not_updated(key)?;
        if let Some(reads) = &mut self.reads {
            reads.keys.insert(key.to_vec());
        }
        Ok(Locked::Row(newest.and_then(|(_, value)| value)))
    }

    /// Locks `key` for update, waiting, and returns its newest committed value (or this
    /// transaction's own write): what an `UPDATE` at READ COMMITTED re-checks after waiting
    /// for a concurrent writer.
    pub fn get_for_update(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.lock(key, LockMode::Update, WaitPolicy::Wait)? {
            Locked::Row(value) => Ok(value),
            Locked::Skipped => Err(Error::LockNotAvailable("row was skipped".into())),
        }
    }

    /// Takes a lock; false if it was skipped.
    fn take_lock(&mut self, key: &[u8], mode: LockMode, policy: WaitPolicy) -> Result<bool> {
        let request = Request {
            txn: self.id,
            key,
            mode,
            policy,
            timeout: self.lock_timeout,
            cancel: &self.cancel,
        };
        match self.inner.locks.acquire(&request, &self.inner.counters)? {
            Acquired::Already => Ok(true),
            Acquired::Skipped => Ok(false),
            Acquired::Granted { previous } => {
                self.locks.insert(key.to_vec(), mode);
                if !self.savepoints.is_empty() {
                    self.undo.push(Undo::Lock {
                        key: key.to_vec(),
                        previous,
                    });
                }
                Ok(true)
            }
        }
    }

    /// Makes a savepoint. A name may be reused; the newest savepoint of a name wins.
    pub fn savepoint(&mut self, name: &str) {
        self.savepoints.push(Savepoint {
            name: name.to_string(),
            undo: self.undo.len(),
        });
    }

    /// Undoes the writes made since savepoint `name` (restoring this transaction's earlier
    /// writes of the same keys) and releases the locks taken since, as PostgreSQL does.
    /// Later savepoints are dropped; `name` itself stays.
    pub fn rollback_to(&mut self, name: &str) -> Result<()> {
        let index = self.find_savepoint(name)?;
        let mark = self.savepoints[index].undo;
        while self.undo.len() > mark {
            match self.undo.pop() {
                Some(Undo::Write { key, previous }) => match previous {
                    Some(value) => {
                        self.writes.insert(key, value);
                    }
                    None => {
                        self.writes.remove(&key);
                    }
                },
                Some(Undo::Lock { key, previous }) => {
                    self.inner.locks.restore(self.id, &key, previous);
                    match previous {
                        Some(mode) => self.locks.insert(key, mode),
                        None => self.locks.remove(&key),
                    };
                }
                None => break,
            }
        }
        self.savepoints.truncate(index + 1);
        Ok(())
    }

    /// Forgets savepoint `name` and every later one, keeping their writes and locks.
    pub fn release(&mut self, name: &str) -> Result<()> {
        let index = self.find_savepoint(name)?;
        self.savepoints.truncate(index);
        if self.savepoints.is_empty() {
            self.undo.clear();
        }
        Ok(())
    }

    fn find_savepoint(&self, name: &str) -> Result<usize> {
        self.savepoints
            .iter()
            .rposition(|s| s.name == name)
            .ok_or_else(|| Error::InvalidInput(format!("savepoint \"{name}\" does not exist")))
    }

    /// Commits: a serializable transaction is validated first; then every write is stored
    /// at one new timestamp in one atomic batch (synced unless synchronous commit is off).
    /// On error the transaction is rolled back.
    pub fn commit(mut self) -> Result<()> {
        let result = if self.writes.is_empty() {
            Ok(())
        } else {
            self.inner.commit(
                self.snapshot,
                self.reads.as_ref(),
                &self.writes,
                self.synchronous_commit,
            )
        };
        match result {
            Ok(()) => self.inner.counters.commits.inc(),
            Err(_) => self.inner.counters.rollbacks.inc(),
        }
        self.end();
        result
    }

    /// Rolls back: forgets the writes and releases the locks.
    pub fn rollback(mut self) -> Result<()> {
        self.inner.counters.rollbacks.inc();
        self.end();
        Ok(())
    }

    fn end(&mut self) {
        self.ended = true;
        self.inner.locks.release_all(self.id, self.locks.keys());
        self.locks.clear();
        self.inner.end(self.id);
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.ended {
            self.inner.counters.rollbacks.inc();
            self.end();
        }
    }
}

/// A decoded stored version: key, version, raw value.
type StoredVersion = (Vec<u8>, u64, Vec<u8>);

/// A key and its value at some snapshot, `None` for a tombstone or an own delete.
type Entry = (Vec<u8>, Option<Vec<u8>>);

/// The iterator of [`Transaction::scan`] and [`Transaction::scan_rev`]: the visible keys and
/// values in the scan's direction. It owns what it reads, so the transaction may go on (its
/// later writes are not seen by the scan).
pub struct Scan {
    versions: Option<ScanIter>,
    /// A version read ahead.
    peeked: Option<StoredVersion>,
    /// The next visible committed key and value.
    next_visible: Option<Entry>,
    /// The transaction's own writes in the range, in scan order.
    own: VecDeque<Entry>,
    snapshot: u64,
    reverse: bool,
}

impl Scan {
    fn empty() -> Scan {
        Scan {
            versions: None,
            peeked: None,
            next_visible: None,
            own: VecDeque::new(),
            snapshot: 0,
            reverse: false,
        }
    }

    fn next_version(&mut self) -> Result<Option<StoredVersion>> {
        if let Some(peeked) = self.peeked.take() {
            return Ok(Some(peeked));
        }
        let Some(versions) = &mut self.versions else {
            return Ok(None);
        };
        match versions.next() {
            None => {
                self.versions = None;
                Ok(None)
            }
            Some(item) => {
                let (raw_key, raw) = item?;
                let (key, version) = key::decode_version(&raw_key)?;
                Ok(Some((key, version, raw)))
            }
        }
    }

    /// The next key with a version visible at the snapshot, and that version's value.
    fn next_committed(&mut self) -> Result<Option<Entry>> {
        while let Some((key, version, raw)) = self.next_version()? {
            // Versions of one key come together, ascending (forward) or descending (reverse):
            // the visible one is the last (forward) or first (reverse) at or below the
            // snapshot.
            let mut visible = (version <= self.snapshot).then_some(raw);
            loop {
                match self.next_version()? {
                    Some((k, version, raw)) if k == key => {
                        if version <= self.snapshot && (!self.reverse || visible.is_none()) {
                            visible = Some(raw);
                        }
                    }
                    other => {
                        self.peeked = other;
                        break;
                    }
                }
            }
            if let Some(raw) = visible {
                return Ok(Some((key, key::decode_value(&raw)?)));
            }
        }
        Ok(None)
    }

    fn advance(&mut self) -> Result<Option<KeyValue>> {
        loop {
            if self.next_visible.is_none() {
                self.next_visible = self.next_committed()?;
            }
            let take_own = match (&self.next_visible, self.own.front()) {
                (None, None) => return Ok(None),
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some((committed, _)), Some((own, _))) => {
                    if committed == own {
                        self.next_visible = None;
                        true
                    } else {
                        (own < committed) != self.reverse
                    }
                }
            };
            let entry = if take_own {
                self.own.pop_front()
            } else {
                self.next_visible.take()
            };
            if let Some((key, Some(value))) = entry {
                return Ok(Some((key, value)));
            }
        }
    }
}

impl Iterator for Scan {
    type Item = Result<KeyValue>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance() {
            Ok(item) => item.map(Ok),
            Err(err) => {
                self.versions = None;
                self.peeked = None;
                self.next_visible = None;
                self.own.clear();
                Some(Err(err))
            }
        }
    }
}
