//! Anchor's local storage.
//!
//! - [`Engine`]: the narrow key-value trait (get, write batch, ordered scans both ways, flush,
//!   status) that every engine implements.
//! - [`Memory`]: the reference engine, a `BTreeMap`; every other engine is tested against it.
//! - [`lsm::Lsm`]: the log-structured merge-tree engine (write-ahead log, memtables, sorted
//!   tables, leveled compaction, manifest).
//! - [`keycode`]: an order-preserving encoding of SQL values into bytes.
//! - [`mvcc`]: transactions with PostgreSQL's isolation levels over any engine.
//!
//! Everything here is synchronous: background work runs on plain threads.

pub mod engine;
pub mod error;
pub mod keycode;
pub mod lsm;
pub mod memory;
pub mod mvcc;

#[cfg(test)]
mod conformance;

pub use engine::{Engine, KeyRange, KeyValue, Op, ScanIter, Status, SyncPolicy, WriteBatch};
pub use error::{Error, Result};
pub use memory::Memory;
