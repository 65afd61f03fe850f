//! Scanning a table forwards or backwards over a key range.

use std::ops::{Bound, Range};
use std::sync::Arc;

use crate::engine::KeyRange;
use crate::error::Result;
use crate::lsm::block::BlockIterator;
use crate::lsm::table::{Entry, Table};

/// An owned iterator over the entries of a table in a key range (see [`Table::iter`]). It
/// holds the table, loads blocks lazily through the block cache, and stops for good after
/// the first error.
pub struct TableIter {
    table: Arc<Table>,
    range: KeyRange,
    reverse: bool,
    started: bool,
    done: bool,
    /// Data blocks not yet opened: forwards take from the front, backwards from the back.
    blocks: Range<usize>,
    block: Option<BlockIterator>,
    /// Backwards only: versions of the current key, oldest first (popped newest first).
    group: Vec<Entry>,
    /// Backwards only: the entry read past the end of the current group.
    lookahead: Option<Entry>,
}

impl TableIter {
    pub(crate) fn new(table: Arc<Table>, range: KeyRange, reverse: bool) -> Self {
        TableIter {
            table,
            range,
            reverse,
            started: false,
            done: false,
            blocks: 0..0,
            block: None,
            group: Vec::new(),
            lookahead: None,
        }
    }

    /// Positions at the block and restart interval where the range begins (in the scan's
    /// direction). Entries just outside the range are filtered as they come.
    fn start(&mut self) -> Result<()> {
        let count = self.table.block_count();
        if self.range.is_empty() {
            return Ok(());
        }
        let bound = if self.reverse {
            self.range.end.clone()
        } else {
            self.range.start.clone()
        };
        let bound = bound.as_ref().map(Vec::as_slice);
        self.blocks = match (bound, self.reverse) {
            (Bound::Unbounded, _) => 0..count,
            (Bound::Included(key) | Bound::Excluded(key), false) => {
                self.table.blocks_before(key, false)..count
            }
            // Keys at or before `key` can lie in the first block that ends after it, not later.
            (Bound::Included(key), true) => 0..(self.table.blocks_before(key, true) + 1).min(count),
            (Bound::Excluded(key), true) => {
                0..(self.table.blocks_before(key, false) + 1).min(count)
            }
        };
        if bound != Bound::Unbounded {
            let next = if self.reverse {
                self.blocks.next_back()
            } else {
                self.blocks.next()
            };
            if let Some(i) = next {
                let block = self.table.read_block(i)?;
                let iter = BlockIterator::seek(block, self.reverse, bound)
                    .map_err(|d| self.table.corrupt(d))?;
                self.block = Some(iter);
            }
        }
        Ok(())
    }

    /// The next entry in file order (reversed if backwards), ignoring the range.
    fn next_in_file(&mut self) -> Result<Option<Entry>> {
        loop {
            if let Some(block) = &mut self.block {
                match block.next() {
                    Some(Ok(entry)) => return Ok(Some(entry)),
                    Some(Err(detail)) => return Err(self.table.corrupt(detail)),
                    None => self.block = None,
                }
            }
            let next = if self.reverse {
                self.blocks.next_back()
            } else {
                self.blocks.next()
            };
            let Some(i) = next else {
                return Ok(None);
            };
            let block = self.table.read_block(i)?;
            self.block = Some(BlockIterator::new(block, self.reverse));
        }
    }

    fn next_entry(&mut self) -> Result<Option<Entry>> {
        if self.reverse {
            self.next_reverse()
        } else {
            self.next_forward()
        }
    }

    fn next_forward(&mut self) -> Result<Option<Entry>> {
        while let Some(entry) = self.next_in_file()? {
            if self.range.is_past_end(&entry.key) {
                return Ok(None);
            }
            if !self.range.is_before_start(&entry.key) {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// Backwards the file yields a key's versions oldest first; gather them all so they can
    /// be returned newest first.
    fn next_reverse(&mut self) -> Result<Option<Entry>> {
        if let Some(entry) = self.group.pop() {
            return Ok(Some(entry));
        }
        loop {
            let entry = match self.lookahead.take() {
                Some(entry) => entry,
                None => match self.next_in_file()? {
                    Some(entry) => entry,
                    None => return Ok(None),
                },
            };
            if self.range.is_before_start(&entry.key) {
                return Ok(None);
            }
            if !self.range.is_past_end(&entry.key) {
                self.group.push(entry);
                break;
            }
        }
        while let Some(entry) = self.next_in_file()? {
            if self
                .group
                .first()
                .is_some_and(|first| first.key == entry.key)
            {
                self.group.push(entry);
            } else {
                self.lookahead = Some(entry);
                break;
            }
        }
        Ok(self.group.pop())
    }
}

impl Iterator for TableIter {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = if !self.started {
            self.started = true;
            self.start().and_then(|()| self.next_entry())
        } else {
            self.next_entry()
        };
        match next {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}
