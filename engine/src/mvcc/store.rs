//! The shared side of MVCC: [`Mvcc`], its options and status, the registry of active
//! transactions, commit ordering, serializable validation and garbage collection.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::key;
use super::lock::Locks;
use super::oracle::{LocalOracle, Oracle};
use super::transaction::{IsolationLevel, ReadSet, Transaction};
use crate::engine::{Engine, KeyRange, KeyValue, WriteBatch};
use crate::error::{Error, Result};

/// Settings of a store. `Options::default()` matches PostgreSQL's defaults where there are
/// any.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a transaction waits for a row lock before it fails with
    /// [`Error::LockNotAvailable`]; zero waits forever (PostgreSQL's `lock_timeout = 0`).
    pub lock_timeout: Duration,
    /// True (the default) syncs every commit to disk before it returns; false acknowledges
    /// commits before they are durable, as PostgreSQL's `synchronous_commit = off` does (a
    /// crash may lose the last commits, never tear one).
    pub synchronous_commit: bool,
    /// How many timestamps of history garbage collection keeps for time travel: versions that
    /// were replaced more than this many timestamps ago may be removed. Zero (the default)
    /// keeps only what active transactions need.
    pub gc_retention: u64,
    /// If set, a background thread runs [`Mvcc::gc`] at this interval while the store is
    /// open.
    pub gc_interval: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lock_timeout: Duration::ZERO,
            synchronous_commit: true,
            gc_retention: 0,
            gc_interval: None,
        }
    }
}

/// What [`Mvcc::status`] reports. Counters run from the time the store was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The newest committed timestamp that new snapshots read at.
    pub version: u64,
    /// Transactions begun and not yet committed or rolled back.
    pub active_transactions: u64,
    /// The oldest snapshot an active transaction reads at, if any.
    pub oldest_snapshot: Option<u64>,
    /// Versions older than this may have been garbage-collected; time travel starts here.
    pub gc_floor: u64,
    /// Transactions committed.
    pub commits: u64,
    /// Transactions rolled back (explicitly, by drop, or by a failed commit).
    pub rollbacks: u64,
    /// Versions written by commits.
    pub versions_written: u64,
    /// Versions removed by garbage collection.
    pub versions_collected: u64,
    /// Garbage-collection runs.
    pub gc_runs: u64,
    /// Background garbage-collection runs that failed.
    pub gc_errors: u64,
    /// Keys locked right now.
    pub locks_held: u64,
    /// Transactions waiting for a lock right now.
    pub lock_waiters: u64,
    /// Lock requests that had to wait.
    pub lock_waits: u64,
    /// Lock waits that ran into the lock timeout.
    pub lock_timeouts: u64,
    /// Deadlocks detected (each aborted one waiter).
    pub deadlocks: u64,
    /// Serialization failures (SQLSTATE 40001) raised.
    pub serialization_failures: u64,
    /// Lock waits cancelled.
    pub cancellations: u64,
}

/// One monotonic counter.
#[derive(Default)]
pub(super) struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The counters behind [`Status`].
#[derive(Default)]
pub(super) struct Counters {
    pub commits: Counter,
    pub rollbacks: Counter,
    pub versions_written: Counter,
    pub versions_collected: Counter,
    pub gc_runs: Counter,
    pub gc_errors: Counter,
    pub lock_waits: Counter,
    pub lock_timeouts: Counter,
    pub deadlocks: Counter,
    pub serialization_failures: Counter,
    pub cancellations: Counter,
}

/// A transaction that has begun and not ended.
struct Active {
    /// The timestamp it reads at.
    snapshot: u64,
    /// True for a serializable read-write transaction, which is validated at commit.
    validated: bool,
    cancel: Arc<AtomicBool>,
}

/// Everything that changes at begin, commit and end, under one mutex.
struct State {
    next_txn: u64,
    active: HashMap<u64, Active>,
    /// Every commit with a timestamp up to this one has been written: new snapshots read here.
    visible: u64,
    /// The largest timestamp handed out so far.
    allocated: u64,
    /// Commits whose timestamp is handed out and whose batch is being written.
    in_flight: BTreeSet<u64>,
    /// Keys written by recent commits, by commit timestamp, kept while a serializable
    /// transaction whose snapshot predates them may still validate against them.
    recent: VecDeque<(u64, Arc<Vec<Vec<u8>>>)>,
    /// The garbage-collection horizon of the last run.
    gc_floor: u64,
}

impl State {
    fn prune(&mut self) {
        let horizon = self
            .active
            .values()
            .filter(|a| a.validated)
            .map(|a| a.snapshot)
            .min()
            .unwrap_or(u64::MAX)
            .min(self.visible);
        while self.recent.front().is_some_and(|(ts, _)| *ts <= horizon) {
            self.recent.pop_front();
        }
    }
}

/// The state shared by [`Mvcc`] and its transactions.
pub(super) struct Inner {
    pub engine: Arc<dyn Engine>,
    oracle: Arc<dyn Oracle>,
    pub options: Options,
    state: Mutex<State>,
    visible_changed: Condvar,
    pub locks: Locks,
    pub counters: Counters,
    gc_lock: Mutex<()>,
}

impl Inner {
    /// Registers a new transaction and returns its id, snapshot and cancel flag.
    pub fn begin(
        &self,
        validated: bool,
        as_of: Option<u64>,
    ) -> Result<(u64, u64, Arc<AtomicBool>)> {
        let mut state = self.state.lock();
        let snapshot = match as_of {
            None => state.visible,
            Some(version) => {
                if version > state.visible {
                    return Err(Error::InvalidInput(format!(
                        "version {version} is in the future (the newest is {})",
                        state.visible
                    )));
                }
                let oldest = state
                    .visible
                    .saturating_sub(self.options.gc_retention)
                    .max(state.gc_floor);
                if version < oldest {
                    return Err(Error::SnapshotTooOld(format!(
                        "version {version} is older than the oldest one kept, {oldest}"
                    )));
                }
                version
            }
        };
        let id = state.next_txn;
        state.next_txn += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        state.active.insert(
            id,
            Active {
                snapshot,
                validated,
                cancel: cancel.clone(),
            },
        );
        Ok((id, snapshot, cancel))
    }

    /// Moves a transaction's snapshot to the newest committed timestamp and returns it.
    pub fn refresh(&self, txn: u64) -> u64 {
        let mut state = self.state.lock();
        let visible = state.visible;
        if let Some(active) = state.active.get_mut(&txn) {
            active.snapshot = visible;
        }
        visible
    }

    /// Forgets an ended transaction.
    pub fn end(&self, txn: u64) {
        let mut state = self.state.lock();
        state.active.remove(&txn);
        state.prune();
    }

    /// Validates (if `reads` is given) and writes a commit, and returns once every commit up
    /// to it is visible.
    pub fn commit(
        &self,
        snapshot: u64,
        reads: Option<&ReadSet>,
        writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        sync: bool,
    ) -> Result<()> {
        let keys: Arc<Vec<Vec<u8>>> = Arc::new(writes.keys().cloned().collect());
        let ts = {
            let mut state = self.state.lock();
            if let Some(reads) = reads {
                for (ts, written) in &state.recent {
                    if *ts > snapshot
                        && let Some(what) = reads.conflict(written)
                    {
                        self.counters.serialization_failures.inc();
                        return Err(Error::Serialization(format!(
                            "read/write dependencies among transactions: {what} and then \
                             changed by a concurrent transaction"
                        )));
                    }
                }
            }
            let ts = self.oracle.next()?;
            if ts <= state.allocated {
                return Err(Error::InvalidInput(format!(
                    "the oracle went back from {} to {ts}",
                    state.allocated
                )));
            }
            state.allocated = ts;
            state.in_flight.insert(ts);
            state.recent.push_back((ts, keys));
            ts
        };
        let mut batch = WriteBatch::new();
        for (key, value) in writes {
            batch.set(key::version(key, ts), key::encode_value(value.as_deref()));
        }
        batch.sync = Some(sync);
        let result = self.engine.write(batch);
        let mut state = self.state.lock();
        state.in_flight.remove(&ts);
        state.visible = match state.in_flight.first() {
            Some(first) => first - 1,
            None => state.allocated,
        };
        self.visible_changed.notify_all();
        if result.is_ok() {
            self.counters.versions_written.add(writes.len() as u64);
            while state.visible < ts {
                self.visible_changed.wait(&mut state);
            }
        }
        result
    }

    /// The value of `key` at `snapshot`, if any.
    pub fn read(&self, key: &[u8], snapshot: u64) -> Result<Option<Vec<u8>>> {
        let mut versions = self.engine.scan_rev(key::versions_of(key, 0, snapshot))?;
        match versions.next().transpose()? {
            Some((_, raw)) => key::decode_value(&raw),
            None => Ok(None),
        }
    }

    /// The newest committed version of `key` and its value, if any, whatever the snapshot.
    pub fn newest(&self, key: &[u8]) -> Result<Option<(u64, Option<Vec<u8>>)>> {
        let mut versions = self.engine.scan_rev(key::versions_of(key, 0, u64::MAX))?;
        match versions.next().transpose()? {
            Some((raw_key, raw)) => {
                let (_, version) = key::decode_version(&raw_key)?;
                Ok(Some((version, key::decode_value(&raw)?)))
            }
            None => Ok(None),
        }
    }

    /// Removes the versions nothing needs; returns how many.
    fn gc(&self) -> Result<u64> {
        let _running = self.gc_lock.lock();
        let horizon = {
            let mut state = self.state.lock();
            let horizon = state
                .active
                .values()
                .map(|a| a.snapshot)
                .fold(
                    state.visible.saturating_sub(self.options.gc_retention),
                    u64::min,
                )
                .max(state.gc_floor);
            state.gc_floor = horizon;
            horizon
        };
        let mut batch = WriteBatch::new();
        batch.set(key::meta("gc_floor"), horizon.to_be_bytes().to_vec());
        self.engine.write(batch)?;

        let mut batch = WriteBatch::new();
        let mut removed = 0;
        // The key being looked at, and its newest version at or below the horizon so far
        // (storage key, tombstone?).
        let mut current: Option<Vec<u8>> = None;
        let mut kept: Option<(Vec<u8>, bool)> = None;
        for item in self.engine.scan(key::version_range(&KeyRange::all()))? {
            let (raw_key, raw) = item?;
            let (key, version) = key::decode_version(&raw_key)?;
            if current.as_ref() != Some(&key) {
                if let Some((dead, true)) = kept.take() {
                    batch.delete(dead);
                    removed += 1;
                }
                current = Some(key);
            }
            if version > horizon {
                continue;
            }
            let tombstone = key::is_tombstone(&raw);
            if let Some((older, _)) = kept.replace((raw_key, tombstone)) {
                batch.delete(older);
                removed += 1;
            }
            if batch.ops.len() >= 1024 {
                self.engine.write(std::mem::take(&mut batch))?;
            }
        }
        if let Some((dead, true)) = kept {
            batch.delete(dead);
            removed += 1;
        }
        if !batch.is_empty() {
            self.engine.write(batch)?;
        }
        self.counters.gc_runs.inc();
        self.counters.versions_collected.add(removed);
        Ok(removed)
    }
}

/// The background garbage collector: stopped and joined when the store is dropped.
struct GcThread {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// A transactional store over an [`Engine`]. See the module documentation.
///
/// Open one store per engine: the store keeps its lock table and the registry of active
/// transactions in memory, so two stores over one engine would not see each other's locks.
pub struct Mvcc {
    inner: Arc<Inner>,
    gc_thread: Option<GcThread>,
}

impl Mvcc {
    /// Opens a store over `engine` with timestamps from a [`LocalOracle`] kept in the engine.
    pub fn open(engine: Arc<dyn Engine>, options: Options) -> Result<Mvcc> {
        let oracle = Arc::new(LocalOracle::open(engine.clone())?);
        Self::with_oracle(engine, oracle, options)
    }

    /// Opens a store over `engine` with timestamps from `oracle`, which must hand out
    /// timestamps above every version already in the engine.
    pub fn with_oracle(
        engine: Arc<dyn Engine>,
        oracle: Arc<dyn Oracle>,
        options: Options,
    ) -> Result<Mvcc> {
        // Uncommitted writes never reach the engine, so there is nothing to roll back here:
        // every version found is committed.
        let gc_floor = match engine.get(&key::meta("gc_floor"))? {
            None => 0,
            Some(raw) => u64::from_be_bytes(
                raw.as_slice()
                    .try_into()
                    .map_err(|_| Error::corruption("mvcc", "invalid gc floor"))?,
            ),
        };
        let now = oracle.next()?;
        let inner = Arc::new(Inner {
            engine,
            oracle,
            state: Mutex::new(State {
                next_txn: 1,
                active: HashMap::new(),
                visible: now,
                allocated: now,
                in_flight: BTreeSet::new(),
                recent: VecDeque::new(),
                gc_floor,
            }),
            visible_changed: Condvar::new(),
            locks: Locks::default(),
            counters: Counters::default(),
            gc_lock: Mutex::new(()),
            options,
        });
        let gc_thread = inner.options.gc_interval.map(|interval| {
            let (stop, stopped) = mpsc::channel::<()>();
            let weak: Weak<Inner> = Arc::downgrade(&inner);
            let handle = std::thread::spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    let Some(inner) = weak.upgrade() else { break };
                    if inner.gc().is_err() {
                        inner.counters.gc_errors.inc();
                    }
                }
            });
            GcThread {
                stop: Some(stop),
                handle: Some(handle),
            }
        });
        Ok(Mvcc { inner, gc_thread })
    }

    /// Begins a read-write transaction at `isolation`.
    pub fn begin(&self, isolation: IsolationLevel) -> Result<Transaction> {
        Transaction::begin(self.inner.clone(), isolation, false, None)
    }

    /// Begins a read-only transaction at `isolation`: writes and row locks fail with
    /// [`Error::ReadOnly`].
    pub fn begin_read_only(&self, isolation: IsolationLevel) -> Result<Transaction> {
        Transaction::begin(self.inner.clone(), isolation, true, None)
    }

    /// Begins a read-only transaction that sees the database as of `version`: every commit
    /// stamped `version` or lower. Fails with [`Error::SnapshotTooOld`] if garbage
    /// collection may have removed versions it needs (older than the retention), and with
    /// [`Error::InvalidInput`] if `version` is newer than [`Mvcc::version`].
    pub fn begin_as_of(&self, version: u64) -> Result<Transaction> {
        Transaction::begin(
            self.inner.clone(),
            IsolationLevel::RepeatableRead,
            true,
            Some(version),
        )
    }

    /// The newest committed timestamp: what a snapshot taken now reads at.
    pub fn version(&self) -> u64 {
        self.inner.state.lock().visible
    }

    /// Removes the versions that no active snapshot and no time travel within the retention
    /// can see, and tombstones that hide nothing; returns how many versions it removed.
    /// Safe to call from any thread at any time.
    pub fn gc(&self) -> Result<u64> {
        self.inner.gc()
    }

    /// Cancels the statement of transaction `txn`: if it waits for a lock, the wait ends
    /// with [`Error::Cancelled`]. Returns false if no such transaction is active.
    pub fn cancel(&self, txn: u64) -> bool {
        let cancel = match self.inner.state.lock().active.get(&txn) {
            Some(active) => active.cancel.clone(),
            None => return false,
        };
        cancel.store(true, Ordering::SeqCst);
        self.inner.locks.wake();
        true
    }

    /// True while transaction `txn` waits for a row lock held by another transaction.
    pub fn is_blocked(&self, txn: u64) -> bool {
        self.inner.locks.is_blocked(txn)
    }

    /// Reports activity; see [`Status`].
    pub fn status(&self) -> Status {
        let (active_transactions, oldest_snapshot, version, gc_floor) = {
            let state = self.inner.state.lock();
            (
                state.active.len() as u64,
                state.active.values().map(|a| a.snapshot).min(),
                state.visible,
                state.gc_floor,
            )
        };
        let (locks_held, lock_waiters) = self.inner.locks.counts();
        let c = &self.inner.counters;
        Status {
            version,
            active_transactions,
            oldest_snapshot,
            gc_floor,
            commits: c.commits.get(),
            rollbacks: c.rollbacks.get(),
            versions_written: c.versions_written.get(),
            versions_collected: c.versions_collected.get(),
            gc_runs: c.gc_runs.get(),
            gc_errors: c.gc_errors.get(),
            locks_held,
            lock_waiters,
            lock_waits: c.lock_waits.get(),
            lock_timeouts: c.lock_timeouts.get(),
            deadlocks: c.deadlocks.get(),
            serialization_failures: c.serialization_failures.get(),
            cancellations: c.cancellations.get(),
        }
    }

    /// Reads an unversioned key (metadata outside transactions).
    pub fn get_unversioned(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.engine.get(&key::unversioned(key))
    }

    /// Sets an unversioned key, durably and at once, outside any transaction.
    pub fn set_unversioned(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.set(key::unversioned(key), value);
        batch.sync = Some(true);
        self.inner.engine.write(batch)
    }

    /// Removes an unversioned key, durably and at once.
    pub fn delete_unversioned(&self, key: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key::unversioned(key));
        batch.sync = Some(true);
        self.inner.engine.write(batch)
    }

    /// Lists the unversioned keys in `range`, ascending.
    pub fn scan_unversioned(&self, range: KeyRange) -> Result<Vec<KeyValue>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        self.inner
            .engine
            .scan(key::unversioned_range(&range))?
            .map(|item| {
                let (raw, value) = item?;
                Ok((key::decode_unversioned(&raw)?, value))
            })
            .collect()
    }
}

impl Drop for Mvcc {
    fn drop(&mut self) {
        if let Some(mut gc) = self.gc_thread.take() {
            gc.stop.take();
            if let Some(handle) = gc.handle.take() {
                let _ = handle.join();
            }
        }
    }
}
