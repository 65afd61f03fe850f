//! Multi-version concurrency control: transactions with PostgreSQL's isolation levels over
//! any [`Engine`](crate::Engine).
//!
//! # Versions and timestamps
//!
//! Every committed write is kept as a *version* of its key, stamped with the 64-bit
//! timestamp of the commit that wrote it. Timestamps come from an [`Oracle`]: a counter
//! persisted in the engine on one node ([`LocalOracle`], which reserves timestamps in blocks
//! of 1024 with one synced write per block), a replicated oracle in a cluster. A
//! transaction reads at a *snapshot*, a timestamp: it sees, for each key, the newest version
//! stamped at or below its snapshot, plus its own uncommitted writes.
//!
//! ```text
//!  time (timestamps) →      1        2        3        4        5
//!  key a                 a=x1              a=x3
//!  key b                          b=y2              b=⌫ (tombstone)
//!
//!  snapshot 2 sees a=x1 b=y2;  snapshot 3 sees a=x3 b=y2;  snapshot 4 sees a=x3 only.
//! ```
//!
//! A transaction's writes stay in its own memory (a sorted write buffer) until commit; the
//! commit takes a new timestamp and writes every version in one atomic [`WriteBatch`]
//! (synced unless synchronous commit is off). So the engine never holds an uncommitted
//! version, rollback is forgetting the buffer, and a crash can lose at most whole commits
//! that were not yet synced. The price is that a transaction's writes must fit in memory.
//!
//! Commits write their batches concurrently, but become *visible* in timestamp order: new
//! snapshots read at the newest timestamp below which every commit has finished writing,
//! and a commit returns only once it is visible, so a client that saw its commit succeed
//! sees it in its next transaction.
//!
//! # Key layout
//!
//! Keys are arbitrary bytes. A storage key is a one-byte space prefix, then (for versions)
//! the key escaped (0x00 → 0x00 0xff) and terminated by 0x00 0x00, then the version as 8
//! bytes big-endian. The escaping keeps every version of `a` together and before every
//! version of `a\0` or `ab`, and the versions of one key ascending:
//!
//! ```text
//!  0x00 "oracle"                          → reserved timestamps (LocalOracle)
//!  0x00 "gc_floor"                        → horizon of the last garbage collection
//!  0x01 key                               → unversioned metadata (Mvcc::set_unversioned)
//!  0x02 escaped(key) 0x00 0x00 version    → 0x01 value   (a live version)
//!                                         → 0x00         (a tombstone: deleted)
//!
//!  0x02 'a' 00 00 | 00..03   a@3
//!  0x02 'a' 00 00 | 00..07   a@7
//!  0x02 'a' 00 ff 00 00 | …  "a\0"@5
//!  0x02 'a' 'b' 00 00 | …     ab@2
//! ```
//!
//! # Isolation levels
//!
//! All writes take the row's exclusive lock (see below) and hold it to the end of the
//! transaction, so no level allows a dirty write; no level allows a dirty read, since
//! uncommitted writes never leave their transaction.
//!
//! - READ COMMITTED (the default): [`Transaction::new_statement`] (which the SQL layer calls
//!   before each statement) moves the snapshot to the newest visible timestamp. A write that
//!   meets a row locked by a concurrent writer waits for it; after it commits the write
//!   goes ahead. An `UPDATE`/`DELETE` first calls [`Transaction::get_for_update`], which
//!   waits in the same way and returns the newest committed value for the statement to
//!   re-check its condition against, as PostgreSQL's EvalPlanQual does.
//! - REPEATABLE READ: one snapshot for the whole transaction (snapshot isolation). The
//!   first updater wins: a write or row lock that meets a row changed by a concurrent
//!   transaction waits for it; if that one commits (the row now has a version newer than
//!   the snapshot) the second fails with [`Error::Serialization`] (40001); if it rolls back
//!   the write goes ahead. Write skew and the read-only anomaly remain possible, as in
//!   PostgreSQL.
//! - SERIALIZABLE: repeatable read plus commit-time validation (optimistic concurrency
//!   control with backward validation). A serializable read-write transaction records the
//!   keys it read and the ranges it scanned; the store keeps the written keys of recent
//!   commits while a serializable snapshot predates them. Commit fails with
//!   [`Error::Serialization`] if a transaction that committed after this one's snapshot
//!   wrote a key it read or into a range it scanned. Validation and taking the commit
//!   timestamp happen under one mutex, so each committed read-write transaction is
//!   equivalent to running alone at its commit timestamp; read-only transactions read a
//!   prefix of that order (every commit up to their snapshot) and need no validation. This
//!   refuses write skew, phantoms and the read-only anomaly (the writer that would make the
//!   read-only transaction's view impossible is the one that fails). It aborts more often
//!   than PostgreSQL's SSI, which needs a dangerous structure of two rw-dependencies: any
//!   single stale read fails the commit.
//!
//! # Locks, waiting and deadlocks
//!
//! Row locks live in memory: share (`FOR SHARE`) and update (`FOR UPDATE`, and every write)
//! modes, share compatible with share only. A transaction keeps its locks until it ends.
//! [`Transaction::lock`] takes a lock with a [`WaitPolicy`]: wait, NOWAIT
//! ([`Error::LockNotAvailable`] at once) or SKIP LOCKED ([`Locked::Skipped`]). A wait ends
//! with [`Error::LockNotAvailable`] after the lock timeout ([`Options::lock_timeout`], zero
//! for never), with [`Error::Cancelled`] when the statement is cancelled
//! ([`Mvcc::cancel`] or a [`CancelHandle`]), or with [`Error::Deadlock`] (40P01): each time a
//! transaction starts or resumes waiting, it follows the wait-for graph (waiter → holders of
//! the lock it waits for → the locks they wait for ...) and, if the path comes back to
//! itself, it is the victim. The victim's statement fails; its transaction keeps its locks
//! until the caller rolls it back (as in PostgreSQL, where the failed transaction must end).
//!
//! # Savepoints
//!
//! While a savepoint exists the transaction keeps an undo log of its writes (the key's
//! previous entry in the write buffer) and lock acquisitions. [`Transaction::rollback_to`]
//! replays it backwards: writes return to their earlier values (including this
//! transaction's own earlier writes of the same key), and locks taken since the savepoint
//! are released or downgraded, as PostgreSQL releases them. Read sets are kept: a
//! serializable transaction still validates what it read after the savepoint.
//!
//! # Garbage collection and time travel
//!
//! [`Mvcc::gc`] computes a horizon: the newest timestamp minus [`Options::gc_retention`]
//! (in timestamps), lowered to the oldest active snapshot. For each key it keeps the newest
//! version at or below the horizon (what every snapshot at or above the horizon sees) and
//! every newer version, and removes the older ones; if the kept one is a tombstone it is
//! removed too, since a missing key reads the same. The horizon is persisted as the GC
//! floor. [`Mvcc::begin_as_of`] opens a read-only transaction at an older timestamp if it
//! is no older than the newest minus the retention and no older than the floor; else it
//! fails with [`Error::SnapshotTooOld`]. [`Options::gc_interval`] runs GC on a background
//! thread.
//!
//! # Recovery
//!
//! Nothing to undo: uncommitted writes never reach the engine, and a commit is one atomic
//! batch. On open the oracle restarts past every timestamp it may have handed out, so new
//! commits sort after every stored version; locks and active transactions were only in
//! memory and are gone with the process.
//!
//! # Limits
//!
//! - A transaction's writes are buffered in memory until commit (so is the commit batch).
//! - One [`Mvcc`] per engine: locks and active transactions are in its memory.
//! - REPEATABLE READ and SERIALIZABLE take their snapshot at begin, not at the first
//!   statement as PostgreSQL does.
//! - Two lock modes only (no `FOR NO KEY UPDATE` / `FOR KEY SHARE`), and no queue: a waiter
//!   takes the lock when it is free at its next look, so a writer can be overtaken by a
//!   stream of share lockers.
//! - Serializable validation keeps the written keys of every commit newer than the oldest
//!   active serializable snapshot: a long serializable transaction holds them in memory.
//!
//! [`Engine`]: crate::Engine
//! [`WriteBatch`]: crate::WriteBatch
//! [`Error::Serialization`]: crate::Error::Serialization
//! [`Error::LockNotAvailable`]: crate::Error::LockNotAvailable
//! [`Error::Cancelled`]: crate::Error::Cancelled
//! [`Error::Deadlock`]: crate::Error::Deadlock
//! [`Error::SnapshotTooOld`]: crate::Error::SnapshotTooOld

mod key;
mod lock;
mod oracle;
mod store;
mod transaction;

#[cfg(test)]
mod script;
#[cfg(test)]
mod tests;

pub use oracle::{LocalOracle, Oracle};
pub use store::{Mvcc, Options, Status};
pub use transaction::{
    CancelHandle, IsolationLevel, LockMode, Locked, Scan, Transaction, WaitPolicy,
};

use store::Counters;

/// A key as printable text for error messages.
fn display_key(key: &[u8]) -> String {
    format!("\"{}\"", key.escape_ascii())
}
