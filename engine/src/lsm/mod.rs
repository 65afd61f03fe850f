//! The log-structured merge-tree engine. Writes go to a write-ahead log and a memtable; full
//! memtables are flushed into immutable sorted tables ([`table`]) made of prefix-compressed,
//! checksummed blocks ([`block`]) with a bloom filter ([`bloom`]) per table, read through a
//! shared byte-bounded block cache ([`cache`]); compaction merges tables level by level.

pub mod block;
pub mod bloom;
pub mod cache;
pub mod table;
