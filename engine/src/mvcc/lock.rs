//! The row-lock table: shared and exclusive locks on keys, waiting with timeouts and
//! cancellation, and deadlock detection on the wait-for graph.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::{Counters, LockMode, WaitPolicy};
use crate::error::{Error, Result};

/// How long a waiter sleeps before it looks again even without a wake-up.
const POLL: Duration = Duration::from_millis(50);

/// One lock request.
pub(super) struct Request<'a> {
    pub txn: u64,
    pub key: &'a [u8],
    pub mode: LockMode,
    pub policy: WaitPolicy,
    /// Zero waits forever.
    pub timeout: Duration,
    pub cancel: &'a AtomicBool,
}

/// What a lock request did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Acquired {
    /// The transaction already held the lock in this or a stronger mode.
    Already,
    /// The lock was granted; `previous` is the mode held before (an upgrade) or `None`.
    Granted { previous: Option<LockMode> },
    /// The row is locked by another transaction and the policy is SKIP LOCKED.
    Skipped,
}

#[derive(Default)]
struct Table {
    /// Holders of each locked key, with their modes.
    held: HashMap<Vec<u8>, Vec<(u64, LockMode)>>,
    /// The key and mode each waiting transaction asks for.
    waiting: HashMap<u64, (Vec<u8>, LockMode)>,
}

impl Table {
    /// The transactions that hold `key` in a mode that conflicts with `mode` for `txn`.
    fn blockers(&self, txn: u64, key: &[u8], mode: LockMode) -> Vec<u64> {
        self.held
            .get(key)
            .map(|holders| {
                holders
                    .iter()
                    .filter(|(t, m)| {
                        *t != txn && (mode == LockMode::Update || *m == LockMode::Update)
                    })
                    .map(|(t, _)| *t)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// True if `txn`, waiting, closes a cycle in the wait-for graph.
    fn deadlocked(&self, txn: u64, key: &[u8], mode: LockMode) -> bool {
        let mut stack = self.blockers(txn, key, mode);
        let mut seen = HashSet::new();
        while let Some(t) = stack.pop() {
            if t == txn {
                return true;
            }
            if seen.insert(t)
                && let Some((k, m)) = self.waiting.get(&t)
            {
                stack.extend(self.blockers(t, k, *m));
            }
        }
        false
    }
}

/// The lock table shared by all transactions of one store.
#[derive(Default)]
pub(super) struct Locks {
    table: Mutex<Table>,
    changed: Condvar,
}

impl Locks {
    /// Takes a lock, waiting as the request's policy says.
    pub fn acquire(&self, req: &Request<'_>, counters: &Counters) -> Result<Acquired> {
        let mut table = self.table.lock();
        let deadline = (!req.timeout.is_zero()).then(|| Instant::now() + req.timeout);
        let mut waited = false;
        let outcome = loop {
            let current = table
                .held
                .get(req.key)
                .and_then(|holders| holders.iter().find(|(t, _)| *t == req.txn).map(|(_, m)| *m));
            if current == Some(LockMode::Update) || current == Some(req.mode) {
                break Ok(Acquired::Already);
            }
            if table.blockers(req.txn, req.key, req.mode).is_empty() {
                let holders = table.held.entry(req.key.to_vec()).or_default();
                holders.retain(|(t, _)| *t != req.txn);
                holders.push((req.txn, req.mode));
                break Ok(Acquired::Granted { previous: current });
            }
            match req.policy {
                WaitPolicy::NoWait => {
                    break Err(Error::LockNotAvailable(format!(
                        "row {} is locked",
                        super::display_key(req.key)
                    )));
                }
                WaitPolicy::SkipLocked => break Ok(Acquired::Skipped),
                WaitPolicy::Wait => {}
            }
            if req.cancel.swap(false, Ordering::SeqCst) {
                counters.cancellations.inc();
                break Err(Error::Cancelled);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                counters.lock_timeouts.inc();
                break Err(Error::LockNotAvailable(format!(
                    "lock timeout waiting for row {}",
                    super::display_key(req.key)
                )));
            }
            if table.deadlocked(req.txn, req.key, req.mode) {
                counters.deadlocks.inc();
                break Err(Error::Deadlock(format!(
                    "waiting for row {} would close a cycle of lock waits",
                    super::display_key(req.key)
                )));
            }
            if !waited {
                waited = true;
                counters.lock_waits.inc();
                table.waiting.insert(req.txn, (req.key.to_vec(), req.mode));
            }
            let wake = match deadline {
                Some(d) => d.min(Instant::now() + POLL),
                None => Instant::now() + POLL,
            };
            self.changed.wait_until(&mut table, wake);
        };
        table.waiting.remove(&req.txn);
        outcome
    }

    /// Sets `txn`'s lock on `key` back to `mode`, or releases it if `None`.
    pub fn restore(&self, txn: u64, key: &[u8], mode: Option<LockMode>) {
        let mut table = self.table.lock();
        if let Some(holders) = table.held.get_mut(key) {
            holders.retain(|(t, _)| *t != txn);
            if let Some(mode) = mode {
                holders.push((txn, mode));
            }
            if holders.is_empty() {
                table.held.remove(key);
            }
        }
        self.changed.notify_all();
    }

    /// Releases `txn`'s locks on `keys`.
    pub fn release_all<'a>(&self, txn: u64, keys: impl Iterator<Item = &'a Vec<u8>>) {
        let mut table = self.table.lock();
        for key in keys {
            if let Some(holders) = table.held.get_mut(key) {
                holders.retain(|(t, _)| *t != txn);
                if holders.is_empty() {
                    table.held.remove(key);
                }
            }
        }
        self.changed.notify_all();
    }

    /// Wakes every waiter so it looks at its cancel flag.
    pub fn wake(&self) {
        let _table = self.table.lock();
        self.changed.notify_all();
    }

    /// True while `txn` waits for a lock that another transaction holds.
    pub fn is_blocked(&self, txn: u64) -> bool {
        let table = self.table.lock();
        table
            .waiting
            .get(&txn)
            .is_some_and(|(key, mode)| !table.blockers(txn, key, *mode).is_empty())
    }

    /// Keys locked and transactions waiting, for status.
    pub fn counts(&self) -> (u64, u64) {
        let table = self.table.lock();
        (table.held.len() as u64, table.waiting.len() as u64)
    }
}
