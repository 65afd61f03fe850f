//! Data blocks: the unit a sorted table reads, checksums, compresses and caches.
//!
//! A block holds a run of entries (key ascending, sequence number descending) with
//! prefix-compressed keys. Every [`RESTART_INTERVAL`] entries a restart point stores its key
//! whole, so a seek binary-searches the restart points and decodes at most one interval; the
//! entries of an interval are decoded together, which also makes walking backwards cheap.
//!
//! ```text
//! +---------+---------+-----+-------------+-------------+-----+---------------+
//! | entry 0 | entry 1 | ... | restart 0   | restart 1   | ... | restart count |
//! |         |         |     | u32 offset  | u32 offset  |     | u32           |
//! +---------+---------+-----+-------------+-------------+-----+---------------+
//!
//! entry: shared varint | unshared varint | kind u8 | seq varint
//!        | value length varint (puts only) | key suffix | value
//! ```
//!
//! `shared` is the length of the prefix taken from the previous key (0 at a restart point);
//! `kind` is 1 for a put and 0 for a point tombstone. Integers are little-endian; a varint is
//! LEB128. Decoding never trusts the bytes: every length is checked and a bad one is reported
//! as a detail string that the table turns into a corruption error naming its file.

use std::collections::VecDeque;
use std::ops::{Bound, Range};
use std::sync::Arc;

use crate::lsm::table::Entry;

/// Entries between two restart points.
pub const RESTART_INTERVAL: usize = 16;

const KIND_TOMBSTONE: u8 = 0;
const KIND_PUT: u8 = 1;

/// What is wrong with a block, without the file name (the table adds it).
pub type Detail = String;

/// Appends `value` as a LEB128 varint.
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// A bounds-checked cursor over untrusted bytes: every read returns a detail on overrun.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads `buf` from its start.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Result<&'a [u8], Detail> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| format!("{len} bytes wanted at {} of {}", self.pos, self.buf.len()))?;
        let bytes = self.buf.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(bytes)
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Detail> {
        Ok(self.bytes(1)?.first().copied().unwrap_or_default())
    }

    /// The next little-endian u32.
    pub(crate) fn u32(&mut self) -> Result<u32, Detail> {
        let mut b = [0; 4];
        b.copy_from_slice(self.bytes(4)?);
        Ok(u32::from_le_bytes(b))
    }

    /// The next little-endian u64.
    pub(crate) fn u64(&mut self) -> Result<u64, Detail> {
        let mut b = [0; 8];
        b.copy_from_slice(self.bytes(8)?);
        Ok(u64::from_le_bytes(b))
    }

    /// The next LEB128 varint.
    pub(crate) fn varint(&mut self) -> Result<u64, Detail> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    /// The next varint as a length.
    pub(crate) fn len(&mut self) -> Result<usize, Detail> {
        usize::try_from(self.varint()?).map_err(|_| "length overflows".to_string())
    }

    /// A u32-prefixed byte string.
    pub(crate) fn prefixed(&mut self) -> Result<&'a [u8], Detail> {
        let len = self.u32()? as usize;
        self.bytes(len)
    }
}

/// Appends a u32-prefixed byte string (the counterpart of [`Reader::prefixed`]).
pub(crate) fn put_prefixed(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    buf.extend_from_slice(bytes);
}

/// Builds one block. The table builder decides where blocks end and checks entry order.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    entries: usize,
    last_key: Vec<u8>,
}

impl BlockBuilder {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry; `value` is `None` for a tombstone.
    pub fn add(&mut self, key: &[u8], seq: u64, value: Option<&[u8]>) {
        // A restart point opens each interval once the previous one is full.
        let shared = if self.entries == self.restarts.len() * RESTART_INTERVAL {
            self.restarts.push(self.buf.len() as u32);
            0
        } else {
            key.iter()
                .zip(&self.last_key)
                .take_while(|(a, b)| a == b)
                .count()
        };
        let suffix = &key[shared..];
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, suffix.len() as u64);
        match value {
            Some(value) => {
                self.buf.push(KIND_PUT);
                put_varint(&mut self.buf, seq);
                put_varint(&mut self.buf, value.len() as u64);
                self.buf.extend_from_slice(suffix);
                self.buf.extend_from_slice(value);
            }
            None => {
                self.buf.push(KIND_TOMBSTONE);
                put_varint(&mut self.buf, seq);
                self.buf.extend_from_slice(suffix);
            }
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.entries += 1;
    }

    /// The encoded size so far, restart array included.
    pub fn estimated_size(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// True if no entry was added.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The key of the last entry added (empty if none).
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Encodes the block and leaves the builder empty for the next one.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.buf);
        for restart in &self.restarts {
            buf.extend_from_slice(&restart.to_le_bytes());
        }
        buf.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        *self = Self::default();
        buf
    }
}

/// A decoded block: the entry bytes and the restart offsets, checked to lie within them.
#[derive(Debug)]
pub struct Block {
    data: Vec<u8>,
    restarts: Vec<u32>,
}

impl Block {
    /// Parses the restart array of an encoded block.
    pub fn decode(mut raw: Vec<u8>) -> Result<Block, Detail> {
        let mut tail = raw
            .len()
            .checked_sub(4)
            .ok_or("block shorter than its trailer")?;
        let count = Reader::new(&raw[tail..]).u32()? as usize;
        if count == 0 {
            return Err("block without restart points".into());
        }
        tail = count
            .checked_mul(4)
            .and_then(|bytes| tail.checked_sub(bytes))
            .ok_or_else(|| format!("{count} restart points do not fit in the block"))?;
        let mut reader = Reader::new(&raw[tail..]);
        let mut restarts = Vec::with_capacity(count);
        for i in 0..count {
            let offset = reader.u32()?;
            let valid = match restarts.last() {
                None => offset == 0,
                Some(&prev) => offset > prev,
            };
            if !valid || offset as usize >= tail {
                return Err(format!("restart point {i} at bad offset {offset}"));
            }
            restarts.push(offset);
        }
        raw.truncate(tail);
        Ok(Block {
            data: raw,
            restarts,
        })
    }

    /// Number of restart intervals.
    pub fn intervals(&self) -> usize {
        self.restarts.len()
    }

    /// Bytes this block holds in memory, as the block cache charges it.
    pub fn charge(&self) -> usize {
        self.data.capacity() + 4 * self.restarts.capacity() + std::mem::size_of::<Self>()
    }

    /// The byte range of restart interval `i`.
    fn interval_range(&self, i: usize) -> Range<usize> {
        let start = self
            .restarts
            .get(i)
            .map_or(self.data.len(), |&s| s as usize);
        let end = self
            .restarts
            .get(i + 1)
            .map_or(self.data.len(), |&e| e as usize);
        start..end
    }

    /// The whole key stored at restart point `i`.
    fn restart_key(&self, i: usize) -> Result<&[u8], Detail> {
        let mut reader = Reader::new(self.data.get(self.interval_range(i)).unwrap_or_default());
        let raw = read_entry(&mut reader)?;
        if raw.shared != 0 {
            return Err(format!("restart point {i} shares a prefix"));
        }
        Ok(raw.suffix)
    }

    /// How many restart keys are below `key` (or at it too, if `inclusive`), by binary search.
    fn restarts_below(&self, key: &[u8], inclusive: bool) -> Result<usize, Detail> {
        let (mut lo, mut hi) = (0, self.restarts.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let restart = self.restart_key(mid)?;
            if restart < key || (inclusive && restart == key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// Decodes every entry of restart interval `i`, checking order within it.
    pub fn decode_interval(&self, i: usize) -> Result<Vec<Entry>, Detail> {
        let range = self.interval_range(i);
        let mut reader = Reader::new(self.data.get(range).unwrap_or_default());
        let mut entries: Vec<Entry> = Vec::with_capacity(RESTART_INTERVAL);
        while reader.remaining() > 0 {
            let raw = read_entry(&mut reader)?;
            let mut key = match entries.last() {
                None if raw.shared != 0 => {
                    return Err(format!("restart point {i} shares a prefix"));
                }
                None => Vec::with_capacity(raw.suffix.len()),
                Some(prev) => prev
                    .key
                    .get(..raw.shared)
                    .ok_or_else(|| format!("shared prefix of {} bytes too long", raw.shared))?
                    .to_vec(),
            };
            key.extend_from_slice(raw.suffix);
            // Key ascending, then seq descending.
            if entries
                .last()
                .is_some_and(|prev| (prev.key.as_slice(), raw.seq) >= (key.as_slice(), prev.seq))
            {
                return Err(format!("entries out of order in restart interval {i}"));
            }
            entries.push(Entry {
                key,
                seq: raw.seq,
                value: raw.value.map(<[u8]>::to_vec),
            });
        }
        if entries.len() > RESTART_INTERVAL {
            return Err(format!(
                "restart interval {i} holds {} entries",
                entries.len()
            ));
        }
        Ok(entries)
    }
}

/// One encoded entry, borrowed from the block.
struct RawEntry<'a> {
    shared: usize,
    suffix: &'a [u8],
    seq: u64,
    value: Option<&'a [u8]>,
}

fn read_entry<'a>(reader: &mut Reader<'a>) -> Result<RawEntry<'a>, Detail> {
    let shared = reader.len()?;
    let unshared = reader.len()?;
    let kind = reader.u8()?;
    let seq = reader.varint()?;
    let value_len = match kind {
        KIND_PUT => Some(reader.len()?),
        KIND_TOMBSTONE => None,
        kind => return Err(format!("unknown entry kind {kind}")),
    };
    let suffix = reader.bytes(unshared)?;
    let value = match value_len {
        Some(len) => Some(reader.bytes(len)?),
        None => None,
    };
    Ok(RawEntry {
        shared,
        suffix,
        seq,
        value,
    })
}

/// Walks the entries of one block forwards or backwards (physical order reversed: key
/// descending, and within a key sequence numbers ascending; the table iterator regroups).
pub struct BlockIterator {
    block: Arc<Block>,
    /// Restart intervals not yet decoded: forwards take from the front, backwards from the back.
    intervals: Range<usize>,
    buf: VecDeque<Entry>,
    reverse: bool,
}

impl BlockIterator {
    /// Starts at the first entry (or the last, if `reverse`).
    pub fn new(block: Arc<Block>, reverse: bool) -> Self {
        let intervals = 0..block.intervals();
        BlockIterator {
            block,
            intervals,
            buf: VecDeque::new(),
            reverse,
        }
    }

    /// Starts near `bound`, skipping only intervals that cannot hold keys on the wanted side
    /// of it: forwards, the first entry returned is at most one interval before the first
    /// key at or after `bound`; backwards, the same for the last key at or before it. The
    /// caller filters the few entries on the wrong side.
    pub fn seek(block: Arc<Block>, reverse: bool, bound: Bound<&[u8]>) -> Result<Self, Detail> {
        let mut iter = Self::new(block, reverse);
        match (bound, reverse) {
            (Bound::Unbounded, _) => {}
            (Bound::Included(key) | Bound::Excluded(key), false) => {
                let below = iter.block.restarts_below(key, false)?;
                iter.intervals.start = below.saturating_sub(1);
            }
            (Bound::Included(key), true) => {
                iter.intervals.end = iter.block.restarts_below(key, true)?;
            }
            (Bound::Excluded(key), true) => {
                iter.intervals.end = iter.block.restarts_below(key, false)?;
            }
        }
        Ok(iter)
    }
}

impl Iterator for BlockIterator {
    type Item = Result<Entry, Detail>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = if self.reverse {
                self.buf.pop_back()
            } else {
                self.buf.pop_front()
            };
            if entry.is_some() {
                return entry.map(Ok);
            }
            let interval = if self.reverse {
                self.intervals.next_back()
            } else {
                self.intervals.next()
            }?;
            match self.block.decode_interval(interval) {
                Ok(entries) => self.buf = entries.into(),
                Err(detail) => {
                    self.intervals = 0..0;
                    return Some(Err(detail));
                }
            }
        }
    }
}
