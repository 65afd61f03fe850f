//! Sorted tables: the immutable files an LSM tree flushes memtables into and compacts.
//!
//! A table holds versions of keys, sorted by user key ascending and then by sequence number
//! descending, so the newest version of a key comes first. A version whose value is `None`
//! is a point tombstone. Range tombstones ("every key in `start..end` written before `seq` is
//! deleted") are kept apart in their own block and loaded whole when the table opens; the
//! reader above the table applies them.
//!
//! # File layout
//!
//! ```text
//! +--------------+-----+--------------+------------+-------+-------+------------+--------+
//! | data block 0 | ... | data block n | tombstones | bloom | index | properties | footer |
//! +--------------+-----+--------------+------------+-------+-------+------------+--------+
//!  \___________ each block: payload | crc32 (u32) of the payload __________/     64 bytes
//!
//! index payload:      count u32, then per data block:
//!                     last key (u32 length + bytes) | offset u64 | stored length u32
//!                     | decompressed length u32 | flags u8 (bit 0: zstd-compressed)
//! tombstones payload: count u32, then per tombstone: start (u32 length + bytes)
//!                     | end (u32 length + bytes) | seq u64          (sorted by start, seq desc)
//! bloom payload:      see `lsm::bloom`
//! properties payload: smallest | largest (u32 length + bytes each) | min_seq u64
//!                     | max_seq u64 | entries u64 | range_tombstones u64 | data_bytes u64
//!
//! footer: +0  tombstones  offset u64, length u32
//!         +12 bloom       offset u64, length u32
//!         +24 index       offset u64, length u32
//!         +36 properties  offset u64, length u32
//!         +48 format version u32 (1)
//!         +52 crc32 of footer bytes 0..52 and 56..64
//!         +56 magic u64 ("ANCHORST")
//! ```
//!
//! A block's length excludes its 4-byte checksum, which covers the bytes as stored (after
//! compression). Data blocks are described in `lsm::block`; they are compressed with zstd
//! when compression is on, the block is at least `min_compress_size` bytes and compression
//! actually shrinks it. All integers are little-endian.
//!
//! # Reading
//!
//! [`Table::open`] maps the file, checks the footer and the checksums of the metadata blocks
//! and keeps the index, bloom filter, range tombstones and properties in memory. Data blocks
//! are read lazily through the shared [`BlockCache`]; their checksums are checked when they
//! are read. Nothing read from the file is trusted: every offset and length is bounds-checked,
//! and any mismatch is an [`Error::Corruption`] naming the file, never a panic.
//!
//! A point read ([`Table::get`]) asks the bloom filter, binary-searches the index (the last
//! key of each block) and then the block's restart points. A scan ([`Table::iter`]) walks
//! blocks forwards or backwards; backwards, the versions of one key are regrouped so they
//! still come newest first, which is what a merging reader wants in both directions.

mod builder;
mod iterator;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;

pub use builder::TableBuilder;
pub use iterator::TableIter;

use crate::engine::KeyRange;
use crate::error::{Error, Result};
use crate::lsm::block::{Block, BlockIterator, Detail, Reader, put_prefixed};
use crate::lsm::bloom::Bloom;
use crate::lsm::cache::BlockCache;

/// Size of the footer at the end of every table file.
pub const FOOTER_SIZE: usize = 64;
/// The number a table file ends with ("ANCHORST" in ASCII).
pub const MAGIC: u64 = u64::from_be_bytes(*b"ANCHORST");
/// The format version written, and the only one read.
pub const FORMAT_VERSION: u32 = 1;

/// Flag bit of an index entry: the block is zstd-compressed.
const FLAG_ZSTD: u8 = 1;

/// One version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The user key.
    pub key: Vec<u8>,
    /// The sequence number of the write; higher is newer.
    pub seq: u64,
    /// The value, or `None` for a point tombstone.
    pub value: Option<Vec<u8>>,
}

/// Every key in start..end (end excluded) written before `seq` is deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeTombstone {
    /// The first key deleted.
    pub start: Vec<u8>,
    /// The first key after the range, kept.
    pub end: Vec<u8>,
    /// The sequence number of the deletion; versions with a lower one are deleted.
    pub seq: u64,
}

/// How tables are built.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// Target size of an uncompressed data block, in bytes (default 4096). A block ends at
    /// the first entry that would push it past this; a single large entry makes a large block.
    pub block_size: usize,
    /// zstd compression level of data blocks; `None` turns compression off (the default).
    pub compression: Option<i32>,
    /// Blocks smaller than this are not compressed (default 1024).
    pub min_compress_size: usize,
    /// Bloom filter bits per distinct key (default 10, about 1% false positives; 0 = none).
    pub bloom_bits_per_key: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            block_size: 4096,
            compression: None,
            min_compress_size: 1024,
            bloom_bits_per_key: 10,
        }
    }
}

/// What the manifest records about a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableMeta {
    /// The table's id (its file name is chosen by the caller).
    pub id: u64,
    /// Bytes of the file.
    pub file_size: u64,
    /// The smallest key of the table, over point keys and range tombstone starts. Empty for a
    /// table with no entries and no range tombstones.
    pub smallest: Vec<u8>,
    /// The largest key, inclusive, over point keys and range tombstones (a tombstone's end
    /// counts as its largest key).
    pub largest: Vec<u8>,
    /// The lowest sequence number of an entry or range tombstone (0 if none).
    pub min_seq: u64,
    /// The highest sequence number of an entry or range tombstone (0 if none).
    pub max_seq: u64,
    /// Point entries (every version, tombstones included).
    pub entries: u64,
    /// Range tombstones.
    pub range_tombstones: u64,
    /// Sum of the key and value bytes of the point entries.
    pub data_bytes: u64,
}

/// Counters shared by all the tables of an engine.
#[derive(Debug, Default)]
pub struct TableStats {
    /// Data blocks found in the block cache.
    pub block_cache_hits: AtomicU64,
    /// Data blocks read from the file because the cache did not hold them.
    pub block_cache_misses: AtomicU64,
    /// Point reads the bloom filter answered "absent".
    pub bloom_negatives: AtomicU64,
    /// Corruption errors produced.
    pub corruptions: AtomicU64,
}

/// Where a block lies in the file; `len` excludes the checksum after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BlockHandle {
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

impl BlockHandle {
    fn encode(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.offset.to_le_bytes());
        buf.extend_from_slice(&self.len.to_le_bytes());
    }

    fn decode(reader: &mut Reader) -> std::result::Result<Self, Detail> {
        Ok(BlockHandle {
            offset: reader.u64()?,
            len: reader.u32()?,
        })
    }
}

/// One data block as the index describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    /// The key of the block's last entry.
    pub(crate) last_key: Vec<u8>,
    pub(crate) handle: BlockHandle,
    /// Length of the block once decompressed (equal to `handle.len` if not compressed).
    pub(crate) raw_len: u32,
    pub(crate) compressed: bool,
}

/// The metadata blocks a footer points to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) tombstones: BlockHandle,
    pub(crate) bloom: BlockHandle,
    pub(crate) index: BlockHandle,
    pub(crate) properties: BlockHandle,
}

impl Footer {
    pub(crate) fn encode(&self) -> [u8; FOOTER_SIZE] {
        let mut buf = Vec::with_capacity(FOOTER_SIZE);
        for handle in [self.tombstones, self.bloom, self.index, self.properties] {
            handle.encode(&mut buf);
        }
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        buf.extend_from_slice(&[0; 4]);
        buf.extend_from_slice(&MAGIC.to_le_bytes());
        let mut footer = [0; FOOTER_SIZE];
        footer.copy_from_slice(&buf);
        let crc = footer_crc(&footer);
        footer[52..56].copy_from_slice(&crc.to_le_bytes());
        footer
    }

    fn decode(footer: &[u8]) -> std::result::Result<Footer, Detail> {
        let mut reader = Reader::new(footer);
        let handles = [
            BlockHandle::decode(&mut reader)?,
            BlockHandle::decode(&mut reader)?,
            BlockHandle::decode(&mut reader)?,
            BlockHandle::decode(&mut reader)?,
        ];
        let version = reader.u32()?;
        let crc = reader.u32()?;
        let magic = reader.u64()?;
        if magic != MAGIC {
            return Err(format!("bad magic number {magic:#018x}: not a table file"));
        }
        if version != FORMAT_VERSION {
            return Err(format!("unsupported table format version {version}"));
        }
        if crc != footer_crc(footer) {
            return Err("footer checksum mismatch".into());
        }
        let [tombstones, bloom, index, properties] = handles;
        Ok(Footer {
            tombstones,
            bloom,
            index,
            properties,
        })
    }
}

fn footer_crc(footer: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(footer.get(..52).unwrap_or_default());
    hasher.update(footer.get(56..).unwrap_or_default());
    hasher.finalize()
}

/// Appends `payload` and its checksum to `file`, returning where it went.
pub(crate) fn push_block(file: &mut Vec<u8>, payload: &[u8]) -> Result<BlockHandle> {
    let len = u32::try_from(payload.len()).map_err(|_| {
        Error::InvalidInput(format!("block of {} bytes is too large", payload.len()))
    })?;
    let handle = BlockHandle {
        offset: file.len() as u64,
        len,
    };
    file.extend_from_slice(payload);
    file.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    Ok(handle)
}

/// The payload of the block at `handle`, checked against its checksum and against `limit`
/// (the end of the region it must lie in).
fn read_block_bytes(
    file: &[u8],
    handle: BlockHandle,
    limit: usize,
) -> std::result::Result<&[u8], Detail> {
    let start = usize::try_from(handle.offset).unwrap_or(usize::MAX);
    let end = start.checked_add(handle.len as usize);
    let (Some(end), Some(crc_end)) = (end, end.and_then(|end| end.checked_add(4))) else {
        return Err(format!("block at {} overflows", handle.offset));
    };
    let (Some(payload), Some(crc)) = (
        file.get(start..end).filter(|_| crc_end <= limit),
        file.get(end..crc_end),
    ) else {
        return Err(format!(
            "block at {} of {} bytes lies beyond {limit}",
            handle.offset, handle.len
        ));
    };
    let crc = Reader::new(crc).u32()?;
    if crc != crc32fast::hash(payload) {
        return Err(format!("checksum mismatch in block at {}", handle.offset));
    }
    Ok(payload)
}

/// Encodes the index block.
pub(crate) fn encode_index(index: &[IndexEntry]) -> Vec<u8> {
    let mut buf = Vec::new();
    buf.extend_from_slice(&(index.len() as u32).to_le_bytes());
    for entry in index {
        put_prefixed(&mut buf, &entry.last_key);
        entry.handle.encode(&mut buf);
        buf.extend_from_slice(&entry.raw_len.to_le_bytes());
        buf.push(if entry.compressed { FLAG_ZSTD } else { 0 });
    }
    buf
}

fn decode_index(payload: &[u8], data_end: u64) -> std::result::Result<Vec<IndexEntry>, Detail> {
    let mut reader = Reader::new(payload);
    let count = reader.u32()? as usize;
    let mut index: Vec<IndexEntry> = Vec::with_capacity(count.min(payload.len() / 21));
    for i in 0..count {
        let last_key = reader.prefixed()?.to_vec();
        let handle = BlockHandle::decode(&mut reader)?;
        let raw_len = reader.u32()?;
        let flags = reader.u8()?;
        let compressed = flags & FLAG_ZSTD != 0;
        let in_order = index
            .last()
            .is_none_or(|prev| prev.last_key <= last_key && prev.handle.offset < handle.offset);
        let end = handle.offset.checked_add(u64::from(handle.len) + 4);
        if !in_order
            || end.is_none_or(|end| end > data_end)
            || flags & !FLAG_ZSTD != 0
            || (!compressed && raw_len != handle.len)
        {
            return Err(format!("index entry {i} is invalid"));
        }
        index.push(IndexEntry {
            last_key,
            handle,
            raw_len,
            compressed,
        });
    }
    expect_end(&reader, "index")?;
    Ok(index)
}

/// Encodes the range tombstone block.
pub(crate) fn encode_tombstones(tombstones: &[RangeTombstone]) -> Vec<u8> {
    let mut buf = Vec::new();
    buf.extend_from_slice(&(tombstones.len() as u32).to_le_bytes());
    for t in tombstones {
        put_prefixed(&mut buf, &t.start);
        put_prefixed(&mut buf, &t.end);
        buf.extend_from_slice(&t.seq.to_le_bytes());
    }
    buf
}

fn decode_tombstones(payload: &[u8]) -> std::result::Result<Vec<RangeTombstone>, Detail> {
    let mut reader = Reader::new(payload);
    let count = reader.u32()? as usize;
    let mut tombstones = Vec::with_capacity(count.min(payload.len() / 16));
    for _ in 0..count {
        tombstones.push(RangeTombstone {
            start: reader.prefixed()?.to_vec(),
            end: reader.prefixed()?.to_vec(),
            seq: reader.u64()?,
        });
    }
    expect_end(&reader, "range tombstone block")?;
    Ok(tombstones)
}

fn decode_properties(
    payload: &[u8],
    id: u64,
    file_size: u64,
) -> std::result::Result<TableMeta, Detail> {
    let mut reader = Reader::new(payload);
    let meta = TableMeta {
        id,
        file_size,
        smallest: reader.prefixed()?.to_vec(),
        largest: reader.prefixed()?.to_vec(),
        min_seq: reader.u64()?,
        max_seq: reader.u64()?,
        entries: reader.u64()?,
        range_tombstones: reader.u64()?,
        data_bytes: reader.u64()?,
    };
    expect_end(&reader, "properties block")?;
    Ok(meta)
}

/// Encodes the properties block (everything in `meta` but the id and file size).
pub(crate) fn encode_properties(meta: &TableMeta) -> Vec<u8> {
    let mut buf = Vec::new();
    put_prefixed(&mut buf, &meta.smallest);
    put_prefixed(&mut buf, &meta.largest);
    for n in [
        meta.min_seq,
        meta.max_seq,
        meta.entries,
        meta.range_tombstones,
        meta.data_bytes,
    ] {
        buf.extend_from_slice(&n.to_le_bytes());
    }
    buf
}

fn expect_end(reader: &Reader, what: &str) -> std::result::Result<(), Detail> {
    match reader.remaining() {
        0 => Ok(()),
        n => Err(format!("{n} trailing bytes in the {what}")),
    }
}

/// An open table file: immutable, shared as `Arc<Table>`, read through a memory map.
pub struct Table {
    path: PathBuf,
    mmap: Mmap,
    meta: TableMeta,
    footer: Footer,
    index: Vec<IndexEntry>,
    bloom: Bloom,
    tombstones: Vec<RangeTombstone>,
    cache: Arc<BlockCache>,
    stats: Arc<TableStats>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("path", &self.path)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// Opens and checks footer, index and bloom filter checksums; any mismatch is
    /// [`Error::Corruption`] naming the file. `id` keys the table's blocks in `cache`.
    pub fn open(
        id: u64,
        path: &Path,
        cache: Arc<BlockCache>,
        stats: Arc<TableStats>,
    ) -> Result<Arc<Table>> {
        let corrupt = |detail: Detail| {
            stats.corruptions.fetch_add(1, Ordering::Relaxed);
            Error::corruption(path, detail)
        };
        let file = File::open(path)?;
        let file_size = file.metadata()?.len();
        if file_size < FOOTER_SIZE as u64 {
            return Err(corrupt(format!(
                "file of {file_size} bytes is shorter than the {FOOTER_SIZE}-byte footer"
            )));
        }
        // SAFETY: a table file is written whole and synced before it is opened, and never
        // modified or truncated while open (tables are immutable; compaction deletes them only
        // after every reader has dropped them), so the mapped bytes do not change under us.
        let mmap = unsafe { Mmap::map(&file)? };
        let bytes: &[u8] = &mmap;
        let footer_start = bytes.len().saturating_sub(FOOTER_SIZE);
        let footer =
            Footer::decode(bytes.get(footer_start..).unwrap_or_default()).map_err(corrupt)?;
        let block = |handle: BlockHandle, what: &str| {
            read_block_bytes(bytes, handle, footer_start)
                .map_err(|d| corrupt(format!("{what}: {d}")))
        };
        let index = decode_index(block(footer.index, "index")?, footer.tombstones.offset)
            .map_err(&corrupt)?;
        let bloom = Bloom::decode(block(footer.bloom, "bloom filter")?).map_err(&corrupt)?;
        let tombstones =
            decode_tombstones(block(footer.tombstones, "range tombstones")?).map_err(&corrupt)?;
        let meta = decode_properties(block(footer.properties, "properties")?, id, file_size)
            .map_err(&corrupt)?;
        if meta.range_tombstones != tombstones.len() as u64
            || (meta.entries == 0) != index.is_empty()
            || meta.smallest > meta.largest
        {
            return Err(corrupt(
                "properties disagree with the index or tombstones".into(),
            ));
        }
        Ok(Arc::new(Table {
            path: path.to_path_buf(),
            mmap,
            meta,
            footer,
            index,
            bloom,
            tombstones,
            cache,
            stats,
        }))
    }

    /// What the manifest records about this table (read from its properties block).
    pub fn meta(&self) -> &TableMeta {
        &self.meta
    }

    /// The table's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The range tombstones of the table, sorted by start key, then newest first.
    pub fn range_tombstones(&self) -> &[RangeTombstone] {
        &self.tombstones
    }

    /// The newest entry for `key` (tombstone included), consulting the bloom filter first.
    pub fn get(&self, key: &[u8]) -> Result<Option<Entry>> {
        if self.index.is_empty()
            || key < self.meta.smallest.as_slice()
            || key > self.meta.largest.as_slice()
        {
            return Ok(None);
        }
        if !self.bloom.may_contain(key) {
            self.stats.bloom_negatives.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        // The first block whose last key is at or after `key` holds its newest version.
        let block = self.blocks_before(key, false);
        if block == self.index.len() {
            return Ok(None);
        }
        let block = self.read_block(block)?;
        let entries =
            BlockIterator::seek(block, false, Bound::Included(key)).map_err(|d| self.corrupt(d))?;
        for entry in entries {
            let entry = entry.map_err(|d| self.corrupt(d))?;
            if entry.key.as_slice() >= key {
                return Ok((entry.key == key).then_some(entry));
            }
        }
        Ok(None)
    }

    /// All entries (every version) whose key is in `range`: ascending (key asc, seq desc), or
    /// if `reverse` descending by key but, within one key, still newest first (seq desc).
    pub fn iter(self: &Arc<Self>, range: KeyRange, reverse: bool) -> TableIter {
        TableIter::new(self.clone(), range, reverse)
    }

    /// Reads and checks every block, bypassing the cache (the integrity scrub): checksums,
    /// structure, entry order across blocks, and agreement with the index and properties.
    pub fn verify(&self) -> Result<()> {
        let bytes: &[u8] = &self.mmap;
        let footer_start = bytes.len().saturating_sub(FOOTER_SIZE);
        for (handle, what) in [
            (self.footer.tombstones, "range tombstones"),
            (self.footer.bloom, "bloom filter"),
            (self.footer.index, "index"),
            (self.footer.properties, "properties"),
        ] {
            read_block_bytes(bytes, handle, footer_start)
                .map_err(|d| self.corrupt(format!("{what}: {d}")))?;
        }
        let mut last: Option<(Vec<u8>, u64)> = None;
        let mut entries = 0u64;
        for (i, index) in self.index.iter().enumerate() {
            let block = Arc::new(self.load_block(index).map_err(|d| self.corrupt(d))?);
            for entry in BlockIterator::new(block, false) {
                let entry = entry.map_err(|d| self.corrupt(d))?;
                let in_order = last.as_ref().is_none_or(|(key, seq)| {
                    key < &entry.key || (key == &entry.key && *seq > entry.seq)
                });
                if !in_order || entry.seq < self.meta.min_seq || entry.seq > self.meta.max_seq {
                    return Err(self.corrupt(format!("entry out of order or range in block {i}")));
                }
                entries += 1;
                last = Some((entry.key, entry.seq));
            }
            if last.as_ref().map(|(key, _)| key) != Some(&index.last_key) {
                return Err(self.corrupt(format!("block {i} does not end at its index key")));
            }
        }
        if entries != self.meta.entries {
            return Err(self.corrupt(format!(
                "{entries} entries found, properties say {}",
                self.meta.entries
            )));
        }
        Ok(())
    }

    /// Number of data blocks.
    pub(crate) fn block_count(&self) -> usize {
        self.index.len()
    }

    /// The index of the first block whose last key is after `key` (or at it too, if
    /// `inclusive`): a binary search over the index.
    pub(crate) fn blocks_before(&self, key: &[u8], inclusive: bool) -> usize {
        self.index
            .partition_point(|e| e.last_key.as_slice() < key || (inclusive && e.last_key == key))
    }

    /// Data block `i`, from the cache or the file.
    pub(crate) fn read_block(&self, i: usize) -> Result<Arc<Block>> {
        let index = self
            .index
            .get(i)
            .ok_or_else(|| self.corrupt(format!("no data block {i}")))?;
        let offset = index.handle.offset;
        if let Some(block) = self.cache.get(self.meta.id, offset) {
            self.stats.block_cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(block);
        }
        self.stats
            .block_cache_misses
            .fetch_add(1, Ordering::Relaxed);
        let block = Arc::new(self.load_block(index).map_err(|d| self.corrupt(d))?);
        self.cache.insert(self.meta.id, offset, block.clone());
        Ok(block)
    }

    /// Reads, checks, decompresses and decodes one data block from the file.
    fn load_block(&self, index: &IndexEntry) -> std::result::Result<Block, Detail> {
        let offset = index.handle.offset;
        let payload = read_block_bytes(
            &self.mmap,
            index.handle,
            self.footer
                .tombstones
                .offset
                .try_into()
                .unwrap_or(usize::MAX),
        )
        .map_err(|d| format!("data block: {d}"))?;
        let raw = if index.compressed {
            let raw = zstd::bulk::decompress(payload, index.raw_len as usize)
                .map_err(|e| format!("data block at {offset} does not decompress: {e}"))?;
            if raw.len() != index.raw_len as usize {
                return Err(format!(
                    "data block at {offset} decompresses to the wrong length"
                ));
            }
            raw
        } else {
            payload.to_vec()
        };
        Block::decode(raw).map_err(|d| format!("data block at {offset}: {d}"))
    }

    /// A corruption error naming this table's file, counted in the stats.
    pub(crate) fn corrupt(&self, detail: Detail) -> Error {
        self.stats.corruptions.fetch_add(1, Ordering::Relaxed);
        Error::corruption(&self.path, detail)
    }
}
