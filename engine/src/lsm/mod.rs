//! The log-structured merge-tree engine.
//!
//! Writes go to a write-ahead log ([`wal`]) and then to an in-memory skiplist ([`memtable`]).
//! A full memtable becomes immutable and a background thread flushes it into a sorted table
//! ([`table`]) in level 0; another background thread merges tables down the levels
//! ([`compaction`]). The [`manifest`] records every change of the set of tables, so start-up
//! rebuilds the tree from the manifest and replays the logs that were not flushed yet.
//!
//! ```text
//!  write ─> WAL ─> memtable ──(full)──> immutable memtable ──flush──> L0 tables
//!                                                                        │ compaction
//!  read  ─> memtable, immutables, L0 (newest first), L1, L2, ... <───────┘
//! ```
//!
//! Every write takes sequence numbers; a reader takes the newest published sequence number
//! and an `Arc` of the tree's state (memtables and tables), so it reads a consistent
//! snapshot without blocking writers, flushes or compactions, which swap in a new state
//! copy-on-write. A range delete is one range tombstone, whatever it covers; compaction drops
//! what it hides, and drops the tombstone itself at the bottom of the tree.

pub mod block;
pub mod bloom;
pub mod cache;
pub mod compaction;
pub mod iter;
pub mod log;
pub mod manifest;
pub mod memtable;
pub mod table;
#[cfg(test)]
mod tests;
mod tree;
pub mod wal;

pub use tree::{Lsm, Options, Recovery};

use std::path::{Path, PathBuf};

/// The path of table `id` in `dir`.
pub fn table_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:06}.sst"))
}

/// Syncs a directory, so that files created, renamed or removed in it survive a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
