//! Memory limits for the operators that hold rows, and the external sort.
//!
//! A sort, a hash join's hash table, a hash aggregation's groups and the other operators
//! that hold rows keep them in memory; the session setting `work_mem` (kilobytes) bounds how
//! much each may hold. What a row costs is
//! estimated cheaply by [`row_size`]: the size of its values plus what they own on the heap.
//!
//! A sort that outgrows `work_mem` spills: it sorts what it holds into a *run*, writes the run
//! to a temporary file and starts over. At the end the runs (and what is still in memory) are
//! merged through a heap, reading each run a block at a time, so the sort's memory is the
//! buffer plus one block per run. Too many runs at once would need too many blocks, so runs
//! are first merged [`FAN_IN`] at a time into longer runs. The sort is stable. All runs live
//! in one temporary file that is deleted when the sort ends (even on error or cancel).
//!
//! A sort that only needs its first N rows (under a LIMIT) keeps at most about 2N rows in
//! memory: whenever the buffer reaches twice the bound it is sorted and cut to the bound.
//!
//! Hash aggregation, hash joins, DISTINCT and set operations spill rows to partitions
//! ([`PartitionWriter`], used by [`crate::hash_aggregate`], [`crate::hash_join`] and
//! [`crate::set_ops`]). Rows that must be read again in order (a nested loop join's right
//! input, WITH queries' rows and work tables) are kept in a [`RowStore`], which writes them
//! to a temporary file once they outgrow `work_mem`.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::error::{Error, Result, SqlState};
use crate::exec::{Context, compare_keys};
use crate::plan::SortKey;
use crate::storage::Row;
use crate::types::{DataType, Value, decode_row, encode_row};

/// How many runs are merged at once.
pub const FAN_IN: usize = 64;

/// Bytes read from a run at a time while merging.
const BLOCK: usize = 8192;

/// The default `work_mem` in kilobytes, when the session's settings are not at hand.
const DEFAULT_WORK_MEM_KB: u64 = 4096;

/// The estimated memory of one value.
pub fn value_size(v: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match v {
            Value::Text(s) | Value::Json(s) | Value::Jsonb(s) => s.len(),
            Value::Bytea(b) => b.len(),
            Value::Numeric(_) => 16,
            Value::Array(a) => a.elements.iter().map(value_size).sum(),
            _ => 0,
        }
}

/// The estimated memory of a row held by an operator.
pub fn row_size(row: &[Value]) -> usize {
    std::mem::size_of::<Row>() + row.iter().map(value_size).sum::<usize>()
}

/// The session's `work_mem` in bytes.
pub fn work_mem(ctx: &Context) -> usize {
    let kb = ctx
        .vars
        .as_ref()
        .map_or(DEFAULT_WORK_MEM_KB, |v| v.lock().kilobytes("work_mem"));
    usize::try_from(kb.saturating_mul(1024)).unwrap_or(usize::MAX)
}

/// What hash tables (hash joins and aggregations) may hold: `work_mem` times PostgreSQL's
/// default `hash_mem_multiplier`, 2.
pub fn hash_mem(ctx: &Context) -> usize {
    work_mem(ctx).saturating_mul(2)
}

/// A row with its evaluated sort key.
type Keyed = (Vec<Value>, Row);

/// A sort of rows by already evaluated keys that spills sorted runs to a temporary file when
/// its buffer outgrows `work_mem`.
pub struct ExternalSort {
    keys: Arc<[SortKey]>,
    /// Keep only the first `bound` rows (a LIMIT above).
    bound: Option<usize>,
    limit: usize,
    buffer: Vec<Keyed>,
    used: usize,
    file: Option<SpillFile>,
    runs: Vec<Run>,
}

impl ExternalSort {
    /// A sort on `keys` with the session's `work_mem`.
    pub fn new(ctx: &Context, keys: &[SortKey], bound: Option<usize>) -> ExternalSort {
        ExternalSort::with_limit(work_mem(ctx), keys, bound)
    }

    /// A sort on `keys` that spills beyond `limit` bytes.
    fn with_limit(limit: usize, keys: &[SortKey], bound: Option<usize>) -> ExternalSort {
        ExternalSort {
            keys: keys.into(),
            bound,
            limit,
            buffer: Vec::new(),
            used: 0,
            file: None,
            runs: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn push(&mut self, key: Vec<Value>, row: Row) -> Result<()> {
        self.used += row_size(&key) + row_size(&row);
        self.buffer.push((key, row));
        if let Some(bound) = self.bound
            && self.buffer.len() >= bound.saturating_mul(2).max(64)
        {
            self.sort_buffer();
        }
        if self.used > self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn sort_buffer(&mut self) {
        let keys = &self.keys;
        self.buffer.sort_by(|a, b| compare_keys(keys, &a.0, &b.0));
        if let Some(bound) = self.bound {
            self.buffer.truncate(bound);
        }
        self.used = self
            .buffer
            .iter()
            .map(|(k, r)| row_size(k) + row_size(r))
            .sum();
    }

    /// Writes the buffer out as a sorted run.
    fn spill(&mut self) -> Result<()> {
        self.sort_buffer();
        if self.file.is_none() {
            self.file = Some(SpillFile::new()?);
        }
        let file = self.file.as_mut().expect("created above");
        let run = file.write_run(std::mem::take(&mut self.buffer).into_iter().map(Ok))?;
        self.runs.push(run);
        self.used = 0;
        Ok(())
    }

    /// The rows in order.
    pub fn finish(mut self) -> Result<Box<dyn Iterator<Item = Result<Row>> + Send>> {
        if self.runs.is_empty() {
            self.sort_buffer();
            return Ok(Box::new(self.buffer.into_iter().map(|(_, r)| Ok(r))));
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        let Some(file) = self.file.take() else {
            return Err(Error::internal("spilled sort without a file"));
        };
        let file = Arc::new(file);
        let mut runs = std::mem::take(&mut self.runs);
        // Merge neighbouring runs FAN_IN at a time until one merge can read them all. Runs
        // keep their order, and ties go to the earlier run, so the sort is stable.
        while runs.len() > FAN_IN {
            let mut merged = Vec::with_capacity(runs.len().div_ceil(FAN_IN));
            let mut rest = runs.into_iter().peekable();
            while rest.peek().is_some() {
                let mut group: Vec<Run> = rest.by_ref().take(FAN_IN).collect();
                merged.push(match group.len() {
                    1 => group.pop().expect("one run"),
                    _ => file.append_run(Merge::new(&file, group, self.keys.clone())?)?,
                });
            }
            runs = merged;
        }
        let merge = Merge::new(&file, runs, self.keys.clone())?;
        let bound = self.bound.unwrap_or(usize::MAX);
        Ok(Box::new(merge.take(bound).map(|r| r.map(|(_, row)| row))))
    }
}

/// A sorted run's place in the spill file, and the types needed to decode its values.
#[derive(Clone)]
struct Run {
    offset: u64,
    len: u64,
    types: Vec<DataType>,
}

/// The temporary file of a sort's runs, deleted when dropped.
struct SpillFile {
    file: File,
    end: std::sync::Mutex<u64>,
}

impl SpillFile {
    fn new() -> Result<SpillFile> {
        let file = tempfile::tempfile().map_err(io_error)?;
        Ok(SpillFile {
            file,
            end: std::sync::Mutex::new(0),
        })
    }

    /// Appends the rows, already in order, as a run.
    fn write_run(&self, rows: impl Iterator<Item = Result<Keyed>>) -> Result<Run> {
        let mut end = self
            .end
            .lock()
            .map_err(|_| Error::internal("spill file lock poisoned"))?;
        let offset = *end;
        let mut types: Vec<DataType> = Vec::new();
        let mut out = Vec::with_capacity(BLOCK * 8);
        let mut written = 0u64;
        for row in rows {
            let (key, row) = row?;
            let mut values = key;
            let key_len = values.len();
            values.extend(row);
            if types.len() < values.len() {
                types.resize(values.len(), DataType::Unknown);
            }
            for (t, v) in types.iter_mut().zip(&values) {
                if *t == DataType::Unknown && !v.is_null() {
                    *t = v.data_type();
                }
            }
            let bytes = encode_row(&values);
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(&(key_len as u32).to_le_bytes());
            out.extend_from_slice(&bytes);
            if out.len() >= BLOCK * 8 {
                self.file
                    .write_all_at(&out, offset + written)
                    .map_err(io_error)?;
                written += out.len() as u64;
                out.clear();
            }
        }
        self.file
            .write_all_at(&out, offset + written)
            .map_err(io_error)?;
        written += out.len() as u64;
        *end = offset + written;
        Ok(Run {
            offset,
            len: written,
            types,
        })
    }

    fn append_run(&self, merge: Merge) -> Result<Run> {
        self.write_run(merge)
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::new(
        SqlState("58030"),
        format!("could not write to temporary file: {e}"),
    )
}

/// Reads one run's records a block at a time.
struct RunReader {
    file: Arc<SpillFile>,
    next: u64,
    end: u64,
    types: Vec<DataType>,
    block: Vec<u8>,
    pos: usize,
}

impl RunReader {
    fn new(file: &Arc<SpillFile>, run: Run) -> RunReader {
        RunReader {
            file: file.clone(),
            next: run.offset,
            end: run.offset + run.len,
            types: run.types,
            block: Vec::new(),
            pos: 0,
        }
    }

    /// Ensures `n` unread bytes are in the block (false at the end of the run).
    fn fill(&mut self, n: usize) -> Result<bool> {
        if self.block.len() - self.pos >= n {
            return Ok(true);
        }
        self.block.drain(..self.pos);
        self.pos = 0;
        while self.block.len() < n {
            let want = (n - self.block.len()).max(BLOCK) as u64;
            let take = want.min(self.end - self.next) as usize;
            if take == 0 {
                return Ok(false);
            }
            let start = self.block.len();
            self.block.resize(start + take, 0);
            self.file
                .file
                .read_exact_at(&mut self.block[start..], self.next)
                .map_err(io_error)?;
            self.next += take as u64;
        }
        Ok(true)
    }

    fn read(&mut self) -> Result<Option<Keyed>> {
        if !self.fill(8)? {
            return Ok(None);
        }
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let len = word(&self.block[self.pos..]);
        let key_len = word(&self.block[self.pos + 4..]);
        self.pos += 8;
        if !self.fill(len)? {
            return Err(Error::internal("truncated spill file"));
        }
        let mut values = decode_row(&self.block[self.pos..self.pos + len], &self.types)?;
        self.pos += len;
        let row = values.split_off(key_len.min(values.len()));
        Ok(Some((values, row)))
    }
}

/// The head of one run in the merge heap (ordered so that the heap's top is the least).
struct Head {
    keyed: Keyed,
    run: usize,
    keys: Arc<[SortKey]>,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_keys(&self.keys, &self.keyed.0, &other.keyed.0).then(self.run.cmp(&other.run))
    }
}

/// A merge of sorted runs.
struct Merge {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<Head>>,
    keys: Arc<[SortKey]>,
}

impl Merge {
    fn new(file: &Arc<SpillFile>, runs: Vec<Run>, keys: Arc<[SortKey]>) -> Result<Merge> {
        let mut merge = Merge {
            readers: runs.into_iter().map(|r| RunReader::new(file, r)).collect(),
            heap: BinaryHeap::new(),
            keys,
        };
        for run in 0..merge.readers.len() {
            merge.advance(run)?;
        }
        Ok(merge)
    }

    fn advance(&mut self, run: usize) -> Result<()> {
        if let Some(keyed) = self.readers[run].read()? {
            self.heap.push(Reverse(Head {
                keyed,
                run,
                keys: self.keys.clone(),
            }));
        }
        Ok(())
    }
}

impl Iterator for Merge {
    type Item = Result<Keyed>;

    fn next(&mut self) -> Option<Result<Keyed>> {
        let Reverse(head) = self.heap.pop()?;
        if let Err(e) = self.advance(head.run) {
            return Some(Err(e));
        }
        Some(Ok(head.keyed))
    }
}

/// Bytes of rows a partition buffers before writing them out.
const PARTITION_BUFFER: usize = 4 * BLOCK;

/// Rows written to disk in partitions (for hash aggregation), each read back in the order
/// written.
pub struct PartitionWriter {
    file: Arc<SpillFile>,
    buffers: Vec<Vec<Row>>,
    bytes: Vec<usize>,
    runs: Vec<Vec<Run>>,
}

impl PartitionWriter {
    /// A writer of `n` partitions, with its temporary file.
    pub fn new(n: usize) -> Result<PartitionWriter> {
        Ok(PartitionWriter {
            file: Arc::new(SpillFile::new()?),
            buffers: vec![Vec::new(); n],
            bytes: vec![0; n],
            runs: (0..n).map(|_| Vec::new()).collect(),
        })
    }

    /// Adds `row` to partition `part`.
    pub fn push(&mut self, part: usize, row: Row) -> Result<()> {
        self.bytes[part] += row_size(&row);
        self.buffers[part].push(row);
        if self.bytes[part] >= PARTITION_BUFFER {
            self.flush(part)?;
        }
        Ok(())
    }

    fn flush(&mut self, part: usize) -> Result<()> {
        let rows = std::mem::take(&mut self.buffers[part]);
        self.bytes[part] = 0;
        if !rows.is_empty() {
            let run = self
                .file
                .write_run(rows.into_iter().map(|r| Ok((Vec::new(), r))))?;
            self.runs[part].push(run);
        }
        Ok(())
    }

    /// Readers of the partitions, in order (some may be empty).
    pub fn finish(mut self) -> Result<Vec<PartitionReader>> {
        for part in 0..self.buffers.len() {
            self.flush(part)?;
        }
        let file = self.file;
        Ok(self
            .runs
            .into_iter()
            .map(|runs| PartitionReader {
                runs: runs.into_iter().map(|r| RunReader::new(&file, r)).collect(),
            })
            .collect())
    }
}

/// The rows of one partition.
pub struct PartitionReader {
    runs: std::collections::VecDeque<RunReader>,
}

impl PartitionReader {
    /// The next row, `None` at the end.
    pub fn read(&mut self) -> Result<Option<Row>> {
        while let Some(run) = self.runs.front_mut() {
            if let Some((_, row)) = run.read()? {
                return Ok(Some(row));
            }
            self.runs.pop_front();
        }
        Ok(None)
    }
}

/// Rows kept in the order added within `work_mem`, and read back as often as needed: the
/// right input of a nested loop join, a WITH query's rows, a recursive union's work table.
/// Once the rows outgrow `work_mem` they are written to a temporary file (deleted when the
/// store is dropped), and later rows are written a buffer at a time.
pub struct RowStore {
    limit: usize,
    /// The rows not written out (all of them while the store fits in memory).
    rows: Vec<Row>,
    used: usize,
    file: Option<Arc<SpillFile>>,
    runs: Vec<Run>,
    len: usize,
}

impl RowStore {
    /// An empty store within the session's `work_mem`.
    pub fn new(ctx: &Context) -> RowStore {
        RowStore::with_limit(work_mem(ctx))
    }

    /// An empty store that spills beyond `limit` bytes.
    fn with_limit(limit: usize) -> RowStore {
        RowStore {
            limit,
            rows: Vec::new(),
            used: 0,
            file: None,
            runs: Vec::new(),
            len: 0,
        }
    }

    /// Adds a row at the end.
    pub fn push(&mut self, row: Row) -> Result<()> {
        self.used += row_size(&row);
        self.rows.push(row);
        self.len += 1;
        if self.used > self.limit || (self.file.is_some() && self.used >= PARTITION_BUFFER) {
            let file = match &self.file {
                Some(file) => file,
                None => self.file.insert(Arc::new(SpillFile::new()?)),
            };
            let rows = std::mem::take(&mut self.rows);
            self.runs
                .push(file.write_run(rows.into_iter().map(|r| Ok((Vec::new(), r))))?);
            self.used = 0;
        }
        Ok(())
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the store holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True if some rows were written to disk.
    pub fn spilled(&self) -> bool {
        self.file.is_some()
    }

    /// A reader of the rows from the first.
    pub fn reader(self: &Arc<RowStore>) -> StoreReader {
        StoreReader {
            store: self.clone(),
            run: None,
            next_run: 0,
            next_row: 0,
        }
    }
}

/// Reads a [`RowStore`]'s rows in order.
pub struct StoreReader {
    store: Arc<RowStore>,
    run: Option<RunReader>,
    next_run: usize,
    next_row: usize,
}

impl StoreReader {
    /// The next row, `None` at the end.
    pub fn read(&mut self) -> Result<Option<Row>> {
        loop {
            if let Some(run) = &mut self.run {
                if let Some((_, row)) = run.read()? {
                    return Ok(Some(row));
                }
                self.run = None;
            }
            match (&self.store.file, self.store.runs.get(self.next_run)) {
                (Some(file), Some(run)) => {
                    self.run = Some(RunReader::new(file, run.clone()));
                    self.next_run += 1;
                }
                _ => break,
            }
        }
        let row = self.store.rows.get(self.next_row).cloned();
        self.next_row += 1;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Expr;
    use crate::types::Array;

    fn key(desc: bool) -> SortKey {
        SortKey {
            expr: Expr::Column(0),
            desc,
            nulls_first: desc,
        }
    }

    /// A row of varied values: the sort key (some NULL), text, an array and a numeric.
    fn row(i: i64) -> Row {
        let k = (i * 7919) % 1009;
        vec![
            if i % 13 == 0 {
                Value::Null
            } else {
                Value::Int8(k)
            },
            Value::Text(format!("row {i}")),
            Value::Array(Array::new(
                DataType::Int4,
                vec![Value::Int4(i as i32), Value::Null],
            )),
            Value::Numeric(crate::types::Numeric::from_i64(i)),
        ]
    }

    fn sorted(limit: usize, n: i64, desc: bool, bound: Option<usize>) -> Vec<Row> {
        let keys = [key(desc)];
        let mut sort = ExternalSort::with_limit(limit, &keys, bound);
        for i in 0..n {
            let r = row(i);
            sort.push(vec![r[0].clone()], r).unwrap();
        }
        let runs = sort.runs.len();
        let out: Vec<Row> = sort.finish().unwrap().map(Result::unwrap).collect();
        assert!(
            limit == usize::MAX || bound.is_some() || runs > FAN_IN,
            "{runs} runs"
        );
        out
    }

    #[test]
    fn spilled_sort_equals_in_memory_sort() {
        for desc in [false, true] {
            let in_memory = sorted(usize::MAX, 20_000, desc, None);
            // About 20 rows a run: several hundred runs, merged in two passes.
            let spilled = sorted(4096, 20_000, desc, None);
            assert_eq!(in_memory.len(), 20_000);
            assert!(in_memory == spilled);
            let keys = [key(desc)];
            assert!(
                in_memory
                    .windows(2)
                    .all(|w| { compare_keys(&keys, &w[0][..1], &w[1][..1]) != Ordering::Greater })
            );
        }
    }

    #[test]
    fn bounded_sort_keeps_the_first_rows() {
        let all = sorted(usize::MAX, 5_000, false, None);
        for limit in [usize::MAX, 4096] {
            let top = sorted(limit, 5_000, false, Some(25));
            assert_eq!(top.len(), 25);
            // Ties may come in any order: compare the keys.
            let keys: Vec<&Value> = top.iter().map(|r| &r[0]).collect();
            let expected: Vec<&Value> = all[..25].iter().map(|r| &r[0]).collect();
            assert_eq!(keys, expected);
        }
    }

    #[test]
    fn row_stores_read_back_what_was_added_as_often_as_asked() {
        for limit in [usize::MAX, 4096] {
            let mut store = RowStore::with_limit(limit);
            for i in 0..3_000 {
                store.push(row(i)).unwrap();
            }
            assert_eq!(store.len(), 3_000);
            assert_eq!(store.spilled(), limit != usize::MAX);
            let store = Arc::new(store);
            for _ in 0..2 {
                let mut reader = store.reader();
                let mut i = 0;
                while let Some(r) = reader.read().unwrap() {
                    assert_eq!(r, row(i));
                    i += 1;
                }
                assert_eq!(i, 3_000);
            }
        }
    }

    #[test]
    fn partitions_read_back_what_was_written() {
        let mut w = PartitionWriter::new(3).unwrap();
        for i in 0..3_000 {
            w.push((i % 3) as usize, row(i)).unwrap();
        }
        let mut readers = w.finish().unwrap();
        assert_eq!(readers.len(), 3);
        for (p, reader) in readers.iter_mut().enumerate() {
            let mut i = p as i64;
            while let Some(r) = reader.read().unwrap() {
                assert_eq!(r, row(i));
                i += 3;
            }
            assert_eq!(i, 3_000 + p as i64);
        }
    }
}
