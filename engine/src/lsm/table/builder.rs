//! Building a table file from entries in order.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::engine::{MAX_KEY_SIZE, MAX_VALUE_SIZE};
use crate::error::{Error, Result};
use crate::lsm::block::BlockBuilder;
use crate::lsm::bloom::{self, Bloom};
use crate::lsm::table::{
    Footer, IndexEntry, RangeTombstone, TableMeta, TableOptions, encode_index, encode_properties,
    encode_tombstones, push_block,
};

/// Builds a table: entries are added in order (key ascending, seq descending) and the file
/// is written whole by [`TableBuilder::finish`].
pub struct TableBuilder {
    options: TableOptions,
    block: BlockBuilder,
    /// The data blocks written so far, each followed by its checksum.
    file: Vec<u8>,
    index: Vec<IndexEntry>,
    index_bytes: usize,
    /// Hashes of the distinct user keys, for the bloom filter.
    key_hashes: Vec<u64>,
    tombstones: Vec<RangeTombstone>,
    first_key: Vec<u8>,
    last_key: Vec<u8>,
    last_seq: u64,
    entries: u64,
    data_bytes: u64,
    min_seq: u64,
    max_seq: u64,
}

impl TableBuilder {
    /// An empty table.
    pub fn new(options: TableOptions) -> Self {
        TableBuilder {
            options,
            block: BlockBuilder::new(),
            file: Vec::new(),
            index: Vec::new(),
            index_bytes: 0,
            key_hashes: Vec::new(),
            tombstones: Vec::new(),
            first_key: Vec::new(),
            last_key: Vec::new(),
            last_seq: 0,
            entries: 0,
            data_bytes: 0,
            min_seq: u64::MAX,
            max_seq: 0,
        }
    }

    /// Adds a version of `key` (`value` `None` is a point tombstone). Entries must arrive in
    /// order (key ascending, then seq descending); out-of-order input, a repeated (key, seq)
    /// or an oversize key or value is [`Error::InvalidInput`] and adds nothing.
    pub fn add(&mut self, key: &[u8], seq: u64, value: Option<&[u8]>) -> Result<()> {
        let value_len = value.map_or(0, <[u8]>::len);
        if key.len() > MAX_KEY_SIZE || value_len > MAX_VALUE_SIZE {
            return Err(Error::InvalidInput(format!(
                "entry with a key of {} bytes and a value of {value_len} bytes is too large",
                key.len()
            )));
        }
        let new_key = self.entries == 0 || key != self.last_key.as_slice();
        if self.entries > 0
            && (key < self.last_key.as_slice() || (!new_key && seq >= self.last_seq))
        {
            return Err(Error::InvalidInput(format!(
                "table entry {key:?}@{seq} out of order after {:?}@{}",
                self.last_key, self.last_seq
            )));
        }
        // 32 bytes cover the entry header and the restart point it may add.
        if !self.block.is_empty()
            && self.block.estimated_size() + key.len() + value_len + 32 > self.options.block_size
        {
            self.finish_block()?;
        }
        self.block.add(key, seq, value);
        if new_key {
            self.key_hashes.push(bloom::hash(key));
            self.last_key.clear();
            self.last_key.extend_from_slice(key);
        }
        if self.entries == 0 {
            self.first_key = key.to_vec();
        }
        self.last_seq = seq;
        self.entries += 1;
        self.data_bytes += (key.len() + value_len) as u64;
        self.min_seq = self.min_seq.min(seq);
        self.max_seq = self.max_seq.max(seq);
        Ok(())
    }

    /// Adds a range tombstone, in any order. One that covers no key (`start >= end`) is
    /// dropped.
    pub fn add_range_tombstone(&mut self, t: RangeTombstone) {
        if t.start < t.end {
            self.min_seq = self.min_seq.min(t.seq);
            self.max_seq = self.max_seq.max(t.seq);
            self.tombstones.push(t);
        }
    }

    /// Bytes so far (to cut output tables at a target size during compaction).
    pub fn estimated_size(&self) -> usize {
        let tombstones: usize = self
            .tombstones
            .iter()
            .map(|t| t.start.len() + t.end.len() + 16)
            .sum();
        self.file.len()
            + self.block.estimated_size()
            + self.index_bytes
            + self.key_hashes.len() * self.options.bloom_bits_per_key / 8
            + tombstones
    }

    /// True if no entry and no range tombstone was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0 && self.tombstones.is_empty()
    }

    /// Compresses (if worthwhile) and appends the current data block.
    fn finish_block(&mut self) -> Result<()> {
        let last_key = self.block.last_key().to_vec();
        let raw = self.block.finish();
        let raw_len = u32::try_from(raw.len())
            .map_err(|_| Error::InvalidInput(format!("block of {} bytes", raw.len())))?;
        let compressed = match self.options.compression {
            Some(level) if raw.len() >= self.options.min_compress_size => {
                Some(zstd::bulk::compress(&raw, level)?).filter(|c| c.len() < raw.len())
            }
            _ => None,
        };
        let handle = push_block(&mut self.file, compressed.as_deref().unwrap_or(&raw))?;
        self.index_bytes += last_key.len() + 21;
        self.index.push(IndexEntry {
            last_key,
            handle,
            raw_len,
            compressed: compressed.is_some(),
        });
        Ok(())
    }

    /// Writes the file (write to `path`, fsync the file; the caller fsyncs the directory) and
    /// returns its meta. A table with no entries and no range tombstones is valid: its
    /// smallest and largest keys are empty.
    pub fn finish(mut self, id: u64, path: &Path) -> Result<TableMeta> {
        if !self.block.is_empty() {
            self.finish_block()?;
        }
        self.tombstones
            .sort_by(|a, b| a.start.cmp(&b.start).then(b.seq.cmp(&a.seq)));

        let mut smallest = (self.entries > 0).then(|| self.first_key.clone());
        let mut largest = (self.entries > 0).then(|| self.last_key.clone());
        for t in &self.tombstones {
            if smallest.as_ref().is_none_or(|s| t.start < *s) {
                smallest = Some(t.start.clone());
            }
            if largest.as_ref().is_none_or(|l| t.end > *l) {
                largest = Some(t.end.clone());
            }
        }
        let mut meta = TableMeta {
            id,
            file_size: 0,
            smallest: smallest.unwrap_or_default(),
            largest: largest.unwrap_or_default(),
            min_seq: if self.is_empty() { 0 } else { self.min_seq },
            max_seq: self.max_seq,
            entries: self.entries,
            range_tombstones: self.tombstones.len() as u64,
            data_bytes: self.data_bytes,
        };

        let tombstones = push_block(&mut self.file, &encode_tombstones(&self.tombstones))?;
        let mut payload = Vec::new();
        Bloom::build(&self.key_hashes, self.options.bloom_bits_per_key).encode(&mut payload);
        let bloom = push_block(&mut self.file, &payload)?;
        let index = push_block(&mut self.file, &encode_index(&self.index))?;

        let properties = push_block(&mut self.file, &encode_properties(&meta))?;
        let footer = Footer {
            tombstones,
            bloom,
            index,
            properties,
        };
        self.file.extend_from_slice(&footer.encode());

        let mut file = File::create(path)?;
        file.write_all(&self.file)?;
        file.sync_all()?;
        meta.file_size = self.file.len() as u64;
        Ok(meta)
    }
}
