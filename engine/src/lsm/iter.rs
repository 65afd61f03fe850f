//! Cursors over many sources merged into one: the read path of scans and compactions.
//!
//! Every source (a memtable, a table, a level of tables) yields entries in the same
//! direction, and within one key the newest version first. [`MergeIter`] keeps the head of
//! each source in a heap and yields, for each key, only its newest version; [`Visible`] then
//! hides point tombstones and versions covered by a newer range tombstone, which is what a
//! user sees.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use super::table::{Entry, RangeTombstone, Table, TableIter};
use crate::engine::{KeyRange, KeyValue};
use crate::error::Result;

/// One source of a merge.
pub type Source = Box<dyn Iterator<Item = Result<Entry>> + Send>;

/// True if a range tombstone newer than `seq` covers `key`.
pub fn covered(tombstones: &[RangeTombstone], key: &[u8], seq: u64) -> bool {
    tombstones
        .iter()
        .any(|t| t.seq > seq && t.start.as_slice() <= key && key < t.end.as_slice())
}

struct Head {
    entry: Entry,
    source: usize,
    reverse: bool,
}

impl Ord for Head {
    // BinaryHeap pops the greatest: the next key in the scan's direction, then the newest.
    fn cmp(&self, other: &Self) -> Ordering {
        let by_key = self.entry.key.cmp(&other.entry.key);
        let by_key = if self.reverse {
            by_key
        } else {
            by_key.reverse()
        };
        by_key.then_with(|| self.entry.seq.cmp(&other.entry.seq))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

/// Merges sources and yields the newest version of each key (tombstones included).
pub struct MergeIter {
    sources: Vec<Source>,
    heap: BinaryHeap<Head>,
    reverse: bool,
    started: bool,
    failed: bool,
}

impl MergeIter {
    /// Merges `sources`, each sorted in the direction given by `reverse`.
    pub fn new(sources: Vec<Source>, reverse: bool) -> Self {
        MergeIter {
            sources,
            heap: BinaryHeap::new(),
            reverse,
            started: false,
            failed: false,
        }
    }

    fn advance(&mut self, source: usize) -> Result<()> {
        if let Some(next) = self.sources[source].next() {
            self.heap.push(Head {
                entry: next?,
                source,
                reverse: self.reverse,
            });
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Entry>> {
        if !self.started {
            self.started = true;
            for i in 0..self.sources.len() {
                self.advance(i)?;
            }
        }
        let Some(head) = self.heap.pop() else {
            return Ok(None);
        };
        self.advance(head.source)?;
        // Drop the older versions of the same key from every source.
        while let Some(top) = self.heap.peek() {
            if top.entry.key != head.entry.key {
                break;
            }
            let source = top.source;
            self.heap.pop();
            self.advance(source)?;
        }
        Ok(Some(head.entry))
    }
}

impl Iterator for MergeIter {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.step() {
            Ok(entry) => entry.map(Ok),
            Err(err) => {
                self.failed = true;
                Some(Err(err))
            }
        }
    }
}

/// The user's view of a merge: live keys and their values.
pub struct Visible {
    inner: MergeIter,
    tombstones: Vec<RangeTombstone>,
}

impl Visible {
    /// Hides point tombstones and what `tombstones` cover.
    pub fn new(inner: MergeIter, tombstones: Vec<RangeTombstone>) -> Self {
        Visible { inner, tombstones }
    }
}

impl Iterator for Visible {
    type Item = Result<KeyValue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.inner.next()? {
                Err(err) => return Some(Err(err)),
                Ok(Entry {
                    key,
                    seq,
                    value: Some(value),
                }) => {
                    if !covered(&self.tombstones, &key, seq) {
                        return Some(Ok((key, value)));
                    }
                }
                Ok(Entry { value: None, .. }) => {}
            }
        }
    }
}

/// The tables of one sorted level (non-overlapping, ordered by key) read one after another,
/// each opened only when the scan reaches it.
pub struct LevelIter {
    tables: Vec<Arc<Table>>,
    range: KeyRange,
    reverse: bool,
    current: Option<TableIter>,
}

impl LevelIter {
    /// Reads the tables of `tables` (sorted by key) that overlap `range`.
    pub fn new(tables: &[Arc<Table>], range: KeyRange, reverse: bool) -> Self {
        let mut tables: Vec<_> = tables
            .iter()
            .filter(|t| overlaps(&range, &t.meta().smallest, &t.meta().largest))
            .cloned()
            .collect();
        if !reverse {
            tables.reverse();
        }
        LevelIter {
            tables,
            range,
            reverse,
            current: None,
        }
    }
}

impl Iterator for LevelIter {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.current.as_mut().and_then(Iterator::next) {
                return Some(entry);
            }
            // Tables are kept in reverse reading order so that the next one pops off the end.
            let table = self.tables.pop()?;
            self.current = Some(table.iter(self.range.clone(), self.reverse));
        }
    }
}

/// True if the inclusive key span `[smallest, largest]` meets `range`.
pub fn overlaps(range: &KeyRange, smallest: &[u8], largest: &[u8]) -> bool {
    !range.is_empty() && !range.is_past_end(smallest) && !range.is_before_start(largest)
}
