//! The block cache: decompressed, decoded data blocks shared by every table of an engine.
//!
//! Blocks are keyed by (table id, block offset) and charged by the bytes they hold in
//! memory. When an insert pushes the total over the capacity, the least recently used blocks
//! are evicted. A hit only stamps the block with the time of use; the eviction order is
//! brought up to date lazily, when eviction meets a block used since it was queued (which
//! then goes to the back of the queue, with its newer time), so the common case, a hit, is
//! one tree lookup under the mutex. Tables count hits and misses in
//! their [`TableStats`](crate::lsm::table::TableStats).

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::lsm::block::Block;

/// A byte-bounded LRU cache of decoded blocks. See the module documentation.
pub struct BlockCache {
    capacity: usize,
    inner: Mutex<Lru>,
}

/// (table id, block offset in the table's file).
type BlockKey = (u64, u64);

#[derive(Default)]
struct Lru {
    /// Each block with its last-use tick. Ordered by key so a table's blocks are one range.
    /// Each block, the tick under which it is queued in `order`, and the tick of its last use.
    blocks: BTreeMap<BlockKey, (Arc<Block>, u64, u64)>,
    /// Last-use tick to block: the first entry is the least recently used.
    order: BTreeMap<u64, BlockKey>,
    tick: u64,
    used: usize,
}

impl Lru {
    fn touch(&mut self, key: BlockKey) -> Option<Arc<Block>> {
        self.tick += 1;
        let tick = self.tick;
        let (block, _, used) = self.blocks.get_mut(&key)?;
        *used = tick;
        Some(block.clone())
    }

    fn remove(&mut self, key: BlockKey) {
        if let Some((block, queued, _)) = self.blocks.remove(&key) {
            self.order.remove(&queued);
            self.used -= block.charge();
        }
    }

    /// Evicts the least recently used block; false if the cache is empty.
    fn evict_one(&mut self) -> bool {
        while let Some((queued, key)) = self.order.pop_first() {
            let Some((_, queued_at, used)) = self.blocks.get_mut(&key) else {
                continue;
            };
            if *used != queued {
                // Used since it was queued: requeue it under its last use.
                *queued_at = *used;
                let used = *used;
                self.order.insert(used, key);
                continue;
            }
            if let Some((block, _, _)) = self.blocks.remove(&key) {
                self.used -= block.charge();
            }
            return true;
        }
        false
    }
}

impl BlockCache {
    /// A cache holding at most `capacity_bytes` of blocks (0 caches nothing).
    pub fn new(capacity_bytes: usize) -> Arc<Self> {
        Arc::new(BlockCache {
            capacity: capacity_bytes,
            inner: Mutex::new(Lru::default()),
        })
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of blocks held now.
    pub fn used_bytes(&self) -> usize {
        self.inner.lock().used
    }

    /// Number of blocks held now.
    pub fn len(&self) -> usize {
        self.inner.lock().blocks.len()
    }

    /// True if no block is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block at `offset` of table `table`, if cached; marks it recently used.
    pub fn get(&self, table: u64, offset: u64) -> Option<Arc<Block>> {
        self.inner.lock().touch((table, offset))
    }

    /// Caches a block, evicting the least recently used ones to stay within capacity. A
    /// block larger than the whole capacity is not cached.
    pub fn insert(&self, table: u64, offset: u64, block: Arc<Block>) {
        let charge = block.charge();
        if charge > self.capacity {
            return;
        }
        let mut lru = self.inner.lock();
        lru.remove((table, offset));
        while lru.used + charge > self.capacity {
            if !lru.evict_one() {
                break;
            }
        }
        lru.tick += 1;
        let tick = lru.tick;
        lru.blocks.insert((table, offset), (block, tick, tick));
        lru.order.insert(tick, (table, offset));
        lru.used += charge;
    }

    /// Drops every block of table `table` (call when the table is deleted).
    pub fn remove_table(&self, table: u64) {
        let mut lru = self.inner.lock();
        let keys: Vec<BlockKey> = lru
            .blocks
            .range((table, 0)..=(table, u64::MAX))
            .map(|(&key, _)| key)
            .collect();
        for key in keys {
            lru.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::block::BlockBuilder;

    fn block(value_len: usize) -> Arc<Block> {
        let mut builder = BlockBuilder::new();
        builder.add(b"k", 1, Some(&vec![7; value_len]));
        Arc::new(Block::decode(builder.finish()).expect("valid block"))
    }

    #[test]
    fn capacity_is_respected_and_lru_evicted() {
        let charge = block(1000).charge();
        let cache = BlockCache::new(charge * 3);
        for offset in 0..3 {
            cache.insert(1, offset, block(1000));
        }
        assert_eq!(cache.len(), 3);
        assert!(cache.get(1, 0).is_some()); // 1 is now the least recently used
        cache.insert(1, 3, block(1000));
        assert!(cache.used_bytes() <= cache.capacity());
        assert!(cache.get(1, 1).is_none());
        assert!(cache.get(1, 0).is_some());
        assert!(cache.get(1, 3).is_some());
        for offset in 0..100 {
            cache.insert(2, offset, block(1000));
            assert!(cache.used_bytes() <= cache.capacity());
        }
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn oversize_blocks_are_not_cached_and_tables_are_dropped() {
        let cache = BlockCache::new(block(10).charge() * 4);
        cache.insert(1, 0, block(100_000));
        assert!(cache.is_empty());
        cache.insert(1, 0, block(10));
        cache.insert(1, 5, block(10));
        cache.insert(2, 0, block(10));
        cache.insert(1, 0, block(10));
        assert_eq!(cache.len(), 3);
        cache.remove_table(1);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.used_bytes(), block(10).charge());
        assert!(cache.get(2, 0).is_some());
        BlockCache::new(0).insert(1, 0, block(1));
    }
}
