//! [`Lsm`]: the engine that ties the log, memtables, tables, manifest and background threads
//! together. See the module essay in `lsm/mod.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use super::cache::BlockCache;
use super::compaction::{self, Output, Policy, RateLimiter, Task};
use super::iter::{LevelIter, MergeIter, Source, Visible, overlaps};
use super::log::LogWriter;
use super::manifest::{Edit, Manifest};
use super::memtable::Memtable;
use super::table::{
    Entry, RangeTombstone, Table, TableBuilder, TableMeta, TableOptions, TableStats,
};
use super::wal;
use crate::engine::{Engine, KeyRange, LevelStatus, Op, ScanIter, Status, SyncPolicy, WriteBatch};
use crate::error::{Error, Result};

/// How an LSM engine is set up.
#[derive(Clone, Debug)]
pub struct Options {
    /// Write a log at all. Without one, writes not yet flushed are lost in a crash (for
    /// callers that keep their own log, such as a Raft log).
    pub wal: bool,
    /// When the log is synced (a batch may override it).
    pub sync: SyncPolicy,
    /// A memtable is frozen and flushed when it holds about this many bytes.
    pub memtable_size: usize,
    /// Writers are slowed while this many frozen memtables wait for a flush.
    pub max_immutable_memtables: usize,
    /// Options of the tables written.
    pub table: TableOptions,
    /// Compaction output tables are cut at about this many bytes.
    pub target_file_size: usize,
    /// The compaction policy.
    pub policy: Policy,
    /// Compactions read at most this many bytes per second (`None`: unlimited).
    pub compaction_rate: Option<u64>,
    /// Bytes of decompressed blocks kept in memory.
    pub block_cache_size: usize,
    /// Run flushes and compactions on background threads. Without them they run only when
    /// [`Lsm::flush_memtable`] or [`Lsm::compact`] is called (for deterministic tests).
    pub background: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            wal: true,
            sync: SyncPolicy::Always,
            memtable_size: 64 << 20,
            max_immutable_memtables: 2,
            table: TableOptions::default(),
            target_file_size: 32 << 20,
            policy: Policy::default(),
            compaction_rate: None,
            block_cache_size: 64 << 20,
            background: true,
        }
    }
}

/// What start-up found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Log files replayed.
    pub logs: u64,
    /// Batches replayed from logs.
    pub batches: u64,
    /// Bytes of torn log or manifest tails cut off.
    pub cut_bytes: u64,
    /// Tables opened.
    pub tables: u64,
    /// Files that belonged to no table or log in use (left by an interrupted flush or
    /// compaction) and were removed.
    pub orphans_removed: u64,
}

/// The shape of the tree at one moment. Replaced, never changed in place.
#[derive(Clone)]
struct State {
    memtable: Arc<Memtable>,
    /// Frozen memtables, newest first.
    immutables: Vec<Arc<Memtable>>,
    /// Level 0 newest first; deeper levels sorted by key.
    levels: Vec<Vec<Arc<Table>>>,
    /// The range tombstones of all tables.
    tombstones: Arc<Vec<RangeTombstone>>,
}

impl State {
    fn with_levels(mut self, levels: Vec<Vec<Arc<Table>>>) -> Self {
        self.tombstones = Arc::new(
            levels
                .iter()
                .flatten()
                .flat_map(|t| t.range_tombstones().iter().cloned())
                .collect(),
        );
        self.levels = levels;
        self
    }

    fn metas(&self) -> Vec<Vec<TableMeta>> {
        self.levels
            .iter()
            .map(|l| l.iter().map(|t| t.meta().clone()).collect())
            .collect()
    }
}

#[derive(Default)]
struct WriteQueue {
    pending: Vec<(u64, WriteBatch)>,
    next_ticket: u64,
    results: HashMap<u64, Result<()>>,
    leader: bool,
    /// The last sequence number taken.
    last_seq: u64,
}

#[derive(Default)]
struct Counters {
    wal_bytes: AtomicU64,
    wal_syncs: AtomicU64,
    wal_writes: AtomicU64,
    group_commits: AtomicU64,
    group_commit_max: AtomicU64,
    flushes: AtomicU64,
    flush_bytes: AtomicU64,
    flush_micros: AtomicU64,
    compactions: AtomicU64,
    compaction_bytes_read: AtomicU64,
    compaction_bytes_written: AtomicU64,
    compaction_micros: AtomicU64,
    write_stalls: AtomicU64,
}

#[derive(Default)]
struct Background {
    shutdown: bool,
    /// A background failure: reported to every later write.
    error: Option<Error>,
    /// Bumped whenever a flush or compaction finishes, for waiters.
    generation: u64,
}

struct Shared {
    dir: PathBuf,
    options: Options,
    state: RwLock<Arc<State>>,
    /// Readers see sequence numbers up to this one.
    visible_seq: AtomicU64,
    queue: Mutex<WriteQueue>,
    queue_cv: Condvar,
    wal: Mutex<Option<LogWriter>>,
    /// Set when the log holds writes not yet synced (for the periodic sync policy).
    wal_dirty: std::sync::atomic::AtomicBool,
    manifest: Mutex<Manifest>,
    /// Held by whoever flushes or compacts, so the two kinds of work never interleave badly.
    flush_lock: Mutex<()>,
    compact_lock: Mutex<()>,
    bg: Mutex<Background>,
    bg_cv: Condvar,
    next_file: AtomicU64,
    cache: Arc<BlockCache>,
    table_stats: Arc<TableStats>,
    counters: Counters,
}

/// The LSM engine. Cheap to share behind an `Arc`; dropping it stops the background threads
/// and flushes the memtable so that the next start replays nothing.
pub struct Lsm {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    recovery: Recovery,
}

impl Lsm {
    /// Opens (or creates) the engine in `dir`.
    pub fn open(dir: impl AsRef<Path>, options: Options) -> Result<Lsm> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let mut recovery = Recovery::default();
        let (manifest, tree, cut) = Manifest::open(&dir)?;
        recovery.cut_bytes += cut;
        let cache = BlockCache::new(options.block_cache_size);
        let table_stats = Arc::new(TableStats::default());
        let mut levels = Vec::new();
        for level in &tree.levels {
            let mut tables = Vec::new();
            for meta in level.values() {
                let path = super::table_path(&dir, meta.id);
                if !path.exists() {
                    return Err(Error::corruption(
                        &path,
                        "table listed in the manifest is missing",
                    ));
                }
                let table = Table::open(meta.id, &path, cache.clone(), table_stats.clone())?;
                tables.push(table);
                recovery.tables += 1;
            }
            levels.push(tables);
        }
        if let Some(l0) = levels.first_mut() {
            l0.sort_by_key(|t| std::cmp::Reverse(t.meta().max_seq));
        }
        for level in levels.iter_mut().skip(1) {
            level.sort_by(|a, b| a.meta().smallest.cmp(&b.meta().smallest));
        }
        let mut next_file = tree.next_file;
        let mut last_seq = tree
            .levels
            .iter()
            .flat_map(|l| l.values())
            .map(|m| m.max_seq)
            .fold(tree.last_seq, u64::max);

        // Replay the logs not yet flushed into one memtable.
        let mut logs = Vec::new();
        let mut live_tables = std::collections::HashSet::new();
        for level in &tree.levels {
            live_tables.extend(level.keys().copied());
        }
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name.split('.').next().and_then(|n| n.parse::<u64>().ok());
            let Some(id) = id else { continue };
            // File numbers are never reused, even those of files the manifest lost track of.
            next_file = next_file.max(id + 1);
            match name.rsplit('.').next() {
                Some("wal") if id >= tree.log_number => logs.push(id),
                // Left by a flush or compaction that crashed before its manifest edit. If the
                // manifest itself lost a damaged tail, such files are kept for inspection.
                Some("wal" | "sst") if !live_tables.contains(&id) && cut == 0 => {
                    std::fs::remove_file(entry.path())?;
                    recovery.orphans_removed += 1;
                }
                _ => {}
            }
        }
        logs.sort_unstable();
        let replayed = Arc::new(Memtable::new(0));
        for (i, id) in logs.iter().enumerate() {
            let replay = wal::replay(&wal::path(&dir, *id), i + 1 == logs.len())?;
            recovery.logs += 1;
            recovery.cut_bytes += replay.cut_bytes;
            for record in replay.records {
                recovery.batches += 1;
                let end = apply_ops(&replayed, record.seq, record.ops);
                last_seq = last_seq.max(end);
            }
            next_file = next_file.max(id + 1);
        }

        let wal_id = next_file;
        next_file += 1;
        let wal = if options.wal {
            Some(LogWriter::create(&wal::path(&dir, wal_id), wal::MAGIC)?)
        } else {
            None
        };
        let state = State {
            memtable: Arc::new(Memtable::new(wal_id)),
            immutables: Vec::new(),
            levels: Vec::new(),
            tombstones: Arc::new(Vec::new()),
        }
        .with_levels(levels);
        let shared = Arc::new(Shared {
            dir: dir.clone(),
            options: options.clone(),
            state: RwLock::new(Arc::new(state)),
            visible_seq: AtomicU64::new(last_seq),
            queue: Mutex::new(WriteQueue {
                last_seq,
                ..WriteQueue::default()
            }),
            queue_cv: Condvar::new(),
            wal: Mutex::new(wal),
            wal_dirty: false.into(),
            manifest: Mutex::new(manifest),
            flush_lock: Mutex::new(()),
            compact_lock: Mutex::new(()),
            bg: Mutex::new(Background::default()),
            bg_cv: Condvar::new(),
            next_file: AtomicU64::new(next_file),
            cache,
            table_stats,
            counters: Counters::default(),
        });
        // What the logs held goes straight into a table, so the old logs can go.
        if !replayed.is_empty() {
            shared.flush_one(&replayed, Some(wal_id), last_seq)?;
        }
        for id in &logs {
            std::fs::remove_file(wal::path(&dir, *id))?;
        }
        {
            shared.manifest.lock().write(&Edit {
                next_file: Some(shared.next_file.load(Ordering::SeqCst)),
                log_number: Some(wal_id),
                last_seq: Some(last_seq),
                ..Edit::default()
            })?;
        }
        super::sync_dir(&dir)?;

        let mut threads = Vec::new();
        if options.background {
            let s = shared.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("lsm-flush".into())
                    .spawn(move || s.flush_loop())?,
            );
            let s = shared.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("lsm-compact".into())
                    .spawn(move || s.compact_loop())?,
            );
        }
        Ok(Lsm {
            shared,
            threads,
            recovery,
        })
    }

    /// What start-up recovered.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// Freezes the memtable and flushes every frozen memtable into level 0 now.
    pub fn flush_memtable(&self) -> Result<()> {
        self.shared.freeze_memtable()?;
        self.shared.flush_immutables()
    }

    /// Flushes the memtable and runs compactions until every level is within budget.
    pub fn compact(&self) -> Result<()> {
        self.flush_memtable()?;
        while self.shared.compact_once()? {}
        Ok(())
    }

    /// Moves every table down, level by level, into the last level: afterwards nothing is
    /// overwritten, deleted or hidden by a tombstone on disk (a manual full compaction).
    pub fn compact_full(&self) -> Result<()> {
        self.flush_memtable()?;
        let _guard = self.shared.compact_lock.lock();
        for level in 0..self.shared.options.policy.max_levels.saturating_sub(1) {
            let state = self.shared.state.read().clone();
            if let Some(task) = compaction::whole_level(&state.metas(), level) {
                self.shared.run_task(&state, &task)?;
            }
        }
        Ok(())
    }

    /// Checks every block of every table (the integrity scrub).
    pub fn verify(&self) -> Result<()> {
        let state = self.shared.state.read().clone();
        for table in state.levels.iter().flatten() {
            table.verify()?;
        }
        Ok(())
    }

    /// The metadata of the tables, level by level.
    pub fn tables(&self) -> Vec<Vec<TableMeta>> {
        self.shared.state.read().metas()
    }

    fn snapshot(&self) -> (Arc<State>, u64) {
        // Read the sequence number first: a state taken afterwards holds at least every
        // write up to it (memtables are swapped only after their writes are published).
        let seq = self.shared.visible_seq.load(Ordering::Acquire);
        (self.shared.state.read().clone(), seq)
    }

    fn check_error(&self) -> Result<()> {
        match &self.shared.bg.lock().error {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }

    fn scan_dir(&self, range: KeyRange, reverse: bool) -> Result<ScanIter> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let (state, seq) = self.snapshot();
        let mut sources: Vec<Source> = Vec::new();
        let mut tombstones = Vec::new();
        for m in std::iter::once(&state.memtable).chain(&state.immutables) {
            sources.push(Box::new(m.iter(range.clone(), seq, reverse)));
            tombstones.extend(
                m.range_tombstones(seq)
                    .into_iter()
                    .filter(|t| tombstone_meets(&range, t)),
            );
        }
        if let Some(l0) = state.levels.first() {
            for table in l0
                .iter()
                .filter(|t| overlaps(&range, &t.meta().smallest, &t.meta().largest))
            {
                sources.push(Box::new(table.iter(range.clone(), reverse)));
            }
        }
        for level in state.levels.iter().skip(1) {
            sources.push(Box::new(LevelIter::new(level, range.clone(), reverse)));
        }
        tombstones.extend(
            state
                .tombstones
                .iter()
                .filter(|t| tombstone_meets(&range, t))
                .cloned(),
        );
        Ok(Box::new(Visible::new(
            MergeIter::new(sources, reverse),
            tombstones,
        )))
    }
}

fn tombstone_meets(range: &KeyRange, t: &RangeTombstone) -> bool {
    !range.is_empty() && !range.is_past_end(&t.start) && !range.is_before_start(&t.end) && {
        // The tombstone's end is excluded: a range starting exactly there does not meet it.
        match &range.start {
            std::ops::Bound::Included(s) | std::ops::Bound::Excluded(s) => s < &t.end,
            std::ops::Bound::Unbounded => true,
        }
    }
}

/// Applies a batch to a memtable with sequence numbers from `seq` on; returns the last one.
fn apply_ops(memtable: &Memtable, seq: u64, ops: Vec<Op>) -> u64 {
    let mut seq = seq;
    for op in ops {
        match op {
            Op::Set { key, value } => memtable.put(key, seq, Some(value)),
            Op::Delete { key } => memtable.put(key, seq, None),
            Op::DeleteRange { start, end } => {
                if start < end {
                    memtable.delete_range(RangeTombstone { start, end, seq });
                }
            }
        }
        seq += 1;
    }
    seq - 1
}

impl Shared {
    fn new_file_id(&self) -> u64 {
        self.next_file.fetch_add(1, Ordering::SeqCst)
    }

    /// Writes a group of batches as their leader: log, sync, memtable, publish.
    fn commit_group(&self, group: Vec<WriteBatch>, first_seq: u64) -> Result<u64> {
        self.make_room()?;
        let mut wal = self.wal.lock();
        let mut buf = Vec::new();
        let mut seq = first_seq;
        let mut sync = false;
        for batch in &group {
            if wal.is_some() {
                wal::encode_record(&mut buf, seq, &batch.ops);
            }
            seq += batch.ops.len() as u64;
            sync |= batch
                .sync
                .unwrap_or(self.options.sync == SyncPolicy::Always);
        }
        if let Some(w) = wal.as_mut() {
            w.append(&buf)?;
            let c = &self.counters;
            c.wal_bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            c.wal_writes
                .fetch_add(group.len() as u64, Ordering::Relaxed);
            c.group_commits.fetch_add(1, Ordering::Relaxed);
            c.group_commit_max
                .fetch_max(group.len() as u64, Ordering::Relaxed);
            if sync {
                // After a failed fsync the kernel may have dropped the dirty pages: nothing
                // written since can be trusted to be durable, so the engine stops taking writes.
                if let Err(err) = w.sync() {
                    self.fail(err.clone());
                    return Err(err);
                }
                c.wal_syncs.fetch_add(1, Ordering::Relaxed);
            } else {
                self.wal_dirty.store(true, Ordering::Release);
            }
        }
        // The memtable is read under the log lock, so a concurrent freeze cannot slip between.
        let memtable = self.state.read().memtable.clone();
        let mut seq = first_seq;
        for batch in group {
            if !batch.ops.is_empty() {
                seq = apply_ops(&memtable, seq, batch.ops) + 1;
            }
        }
        drop(wal);
        Ok(seq - 1)
    }

    /// Freezes a full memtable, slowing the writer while flushes are behind.
    fn make_room(&self) -> Result<()> {
        let full = self.state.read().memtable.size() >= self.options.memtable_size;
        if !full {
            return Ok(());
        }
        if self.options.background {
            let mut bg = self.bg.lock();
            let mut stalled = false;
            while self.state.read().immutables.len() >= self.options.max_immutable_memtables.max(1)
            {
                if let Some(err) = &bg.error {
                    return Err(err.clone());
                }
                if bg.shutdown {
                    break;
                }
                stalled = true;
                self.bg_cv.wait_for(&mut bg, Duration::from_millis(100));
            }
            if stalled {
                self.counters.write_stalls.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.freeze_memtable()?;
        if !self.options.background {
            self.flush_immutables()?;
        }
        Ok(())
    }

    /// Makes the memtable immutable and starts a new one with a new log.
    fn freeze_memtable(&self) -> Result<()> {
        let mut wal = self.wal.lock();
        if self.state.read().memtable.is_empty() {
            return Ok(());
        }
        let id = self.new_file_id();
        if let Some(old) = wal.as_mut() {
            if self.options.sync != SyncPolicy::Never {
                old.sync()?;
            }
            *old = LogWriter::create(&wal::path(&self.dir, id), wal::MAGIC)?;
        }
        let mut state = self.state.write();
        let mut next = (**state).clone();
        next.immutables.insert(
            0,
            std::mem::replace(&mut next.memtable, Arc::new(Memtable::new(id))),
        );
        *state = Arc::new(next);
        drop(state);
        drop(wal);
        self.bg_cv.notify_all();
        Ok(())
    }

    /// Flushes the frozen memtables, oldest first.
    fn flush_immutables(&self) -> Result<()> {
        let _guard = self.flush_lock.lock();
        loop {
            let state = self.state.read().clone();
            let Some(oldest) = state.immutables.last().cloned() else {
                return Ok(());
            };
            // The next memtable's log is the oldest one still needed once this one is in a table.
            let next_log = state
                .immutables
                .iter()
                .rev()
                .nth(1)
                .unwrap_or(&state.memtable)
                .wal_id;
            let last_seq = self.visible_seq.load(Ordering::Acquire);
            self.flush_one(&oldest, Some(next_log), last_seq)?;
            if self.options.wal {
                let path = wal::path(&self.dir, oldest.wal_id);
                if path.exists() {
                    std::fs::remove_file(path)?;
                }
            }
        }
    }

    /// Writes `memtable` into a level-0 table, records it in the manifest and swaps it into
    /// the state in place of the memtable.
    fn flush_one(
        &self,
        memtable: &Arc<Memtable>,
        log_number: Option<u64>,
        last_seq: u64,
    ) -> Result<()> {
        let started = Instant::now();
        let mut builder = TableBuilder::new(self.options.table.clone());
        for entry in memtable.iter(KeyRange::all(), u64::MAX, false) {
            let Entry { key, seq, value } = entry?;
            builder.add(&key, seq, value.as_deref())?;
        }
        for t in memtable.range_tombstones(u64::MAX) {
            builder.add_range_tombstone(t);
        }
        let mut edit = Edit {
            log_number,
            last_seq: Some(last_seq),
            ..Edit::default()
        };
        let mut table = None;
        if !builder.is_empty() {
            let id = self.new_file_id();
            let meta = builder.finish(id, &super::table_path(&self.dir, id))?;
            edit.last_seq = Some(last_seq.max(meta.max_seq));
            super::sync_dir(&self.dir)?;
            self.counters
                .flush_bytes
                .fetch_add(meta.file_size, Ordering::Relaxed);
            table = Some(Table::open(
                id,
                &super::table_path(&self.dir, id),
                self.cache.clone(),
                self.table_stats.clone(),
            )?);
            edit.added.push((0, meta));
        }
        edit.next_file = Some(self.next_file.load(Ordering::SeqCst));
        let mut manifest = self.manifest.lock();
        manifest.write(&edit)?;
        let mut state = self.state.write();
        let mut next = (**state).clone();
        next.immutables.retain(|m| !Arc::ptr_eq(m, memtable));
        let mut levels = next.levels.clone();
        if let Some(table) = table {
            if levels.is_empty() {
                levels.push(Vec::new());
            }
            levels[0].insert(0, table);
        }
        *state = Arc::new(next.with_levels(levels));
        drop(state);
        drop(manifest);
        self.counters.flushes.fetch_add(1, Ordering::Relaxed);
        self.counters
            .flush_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        self.finished_work();
        Ok(())
    }

    fn finished_work(&self) {
        self.bg.lock().generation += 1;
        self.bg_cv.notify_all();
    }

    /// Runs one compaction if the policy asks for one; returns whether it did.
    fn compact_once(&self) -> Result<bool> {
        let _guard = self.compact_lock.lock();
        let state = self.state.read().clone();
        let Some(task) = compaction::pick(&state.metas(), &self.options.policy) else {
            return Ok(false);
        };
        self.run_task(&state, &task)?;
        Ok(true)
    }

    fn run_task(&self, state: &State, task: &Task) -> Result<()> {
        let started = Instant::now();
        let find = |level: usize, ids: &[u64]| -> Vec<Arc<Table>> {
            state.levels.get(level).map_or(Vec::new(), |l| {
                l.iter()
                    .filter(|t| ids.contains(&t.meta().id))
                    .cloned()
                    .collect()
            })
        };
        let inputs = find(task.level, &task.inputs);
        let below = find(task.output_level, &task.overlapping);
        let mut edit = Edit::default();
        for t in &inputs {
            edit.removed.push((task.level as u32, t.meta().id));
        }
        for t in &below {
            edit.removed.push((task.output_level as u32, t.meta().id));
        }
        let mut new_tables = Vec::new();
        if task.trivial_move {
            for t in &inputs {
                edit.added
                    .push((task.output_level as u32, t.meta().clone()));
                new_tables.push(t.clone());
            }
        } else {
            let all: Vec<Arc<Table>> = inputs.iter().chain(&below).cloned().collect();
            let read: u64 = all.iter().map(|t| t.meta().file_size).sum();
            let mut next_id = || self.new_file_id();
            let out = Output {
                dir: &self.dir,
                options: &self.options.table,
                target_file_size: self.options.target_file_size,
                next_id: &mut next_id,
            };
            let metas = compaction::merge(
                &all,
                task.bottom,
                out,
                &mut RateLimiter::new(self.options.compaction_rate),
            )?;
            super::sync_dir(&self.dir)?;
            for meta in metas {
                let path = super::table_path(&self.dir, meta.id);
                self.counters
                    .compaction_bytes_written
                    .fetch_add(meta.file_size, Ordering::Relaxed);
                new_tables.push(Table::open(
                    meta.id,
                    &path,
                    self.cache.clone(),
                    self.table_stats.clone(),
                )?);
                edit.added.push((task.output_level as u32, meta));
            }
            self.counters
                .compaction_bytes_read
                .fetch_add(read, Ordering::Relaxed);
        }
        edit.next_file = Some(self.next_file.load(Ordering::SeqCst));
        let mut manifest = self.manifest.lock();
        manifest.write(&edit)?;
        let removed: Vec<u64> = edit.removed.iter().map(|(_, id)| *id).collect();
        let mut guard = self.state.write();
        let mut levels = guard.levels.clone();
        while levels.len() <= task.output_level {
            levels.push(Vec::new());
        }
        for level in levels.iter_mut() {
            level.retain(|t| !removed.contains(&t.meta().id));
        }
        levels[task.output_level].extend(new_tables);
        levels[task.output_level].sort_by(|a, b| a.meta().smallest.cmp(&b.meta().smallest));
        let next = (**guard).clone().with_levels(levels);
        *guard = Arc::new(next);
        drop(guard);
        drop(manifest);
        if !task.trivial_move {
            for id in removed {
                let path = super::table_path(&self.dir, id);
                std::fs::remove_file(&path)?;
                self.cache.remove_table(id);
            }
        }
        self.counters.compactions.fetch_add(1, Ordering::Relaxed);
        self.counters
            .compaction_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        self.finished_work();
        Ok(())
    }

    fn fail(&self, err: Error) {
        let mut bg = self.bg.lock();
        if bg.error.is_none() {
            bg.error = Some(err);
        }
        drop(bg);
        self.bg_cv.notify_all();
    }

    fn flush_loop(&self) {
        let period = match self.options.sync {
            SyncPolicy::EveryMillis(ms) => Duration::from_millis(ms.max(1)),
            _ => Duration::from_millis(200),
        };
        loop {
            {
                let mut bg = self.bg.lock();
                if bg.error.is_some() {
                    return;
                }
                if self.state.read().immutables.is_empty() {
                    if bg.shutdown {
                        return;
                    }
                    self.bg_cv.wait_for(&mut bg, period);
                }
            }
            if matches!(self.options.sync, SyncPolicy::EveryMillis(_))
                && self.wal_dirty.swap(false, Ordering::AcqRel)
                && let Some(w) = self.wal.lock().as_mut()
            {
                if let Err(err) = w.sync() {
                    return self.fail(err);
                }
                self.counters.wal_syncs.fetch_add(1, Ordering::Relaxed);
            }
            if let Err(err) = self.flush_immutables() {
                return self.fail(err);
            }
        }
    }

    fn compact_loop(&self) {
        loop {
            {
                let bg = self.bg.lock();
                if bg.shutdown || bg.error.is_some() {
                    return;
                }
            }
            match self.compact_once() {
                Ok(true) => continue,
                Ok(false) => {
                    let mut bg = self.bg.lock();
                    if bg.shutdown {
                        return;
                    }
                    self.bg_cv.wait_for(&mut bg, Duration::from_millis(500));
                }
                Err(err) => return self.fail(err),
            }
        }
    }
}

impl Engine for Lsm {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let (state, seq) = self.snapshot();
        let mut found: Option<Entry> = None;
        let mut tomb_seq = 0u64;
        for m in std::iter::once(&state.memtable).chain(&state.immutables) {
            for t in m.range_tombstones(seq) {
                if t.start.as_slice() <= key && key < t.end.as_slice() {
                    tomb_seq = tomb_seq.max(t.seq);
                }
            }
            if found.is_none() {
                found = m.get(key, seq);
            }
        }
        if found.is_none() {
            'levels: for level in &state.levels {
                for table in level {
                    let meta = table.meta();
                    if key < meta.smallest.as_slice() || key > meta.largest.as_slice() {
                        continue;
                    }
                    // Level 0 is newest first, and in a deeper level a key has one table, so
                    // the first version found is the newest.
                    if let Some(e) = table.get(key)? {
                        found = Some(e);
                        break 'levels;
                    }
                }
            }
        }
        for t in state.tombstones.iter() {
            if t.start.as_slice() <= key && key < t.end.as_slice() {
                tomb_seq = tomb_seq.max(t.seq);
            }
        }
        Ok(found.filter(|e| e.seq > tomb_seq).and_then(|e| e.value))
    }

    fn write(&self, mut batch: WriteBatch) -> Result<()> {
        batch.validate()?;
        self.check_error()?;
        // An empty range changes nothing; keeping it out of the log keeps a clean stop clean.
        batch
            .ops
            .retain(|op| !matches!(op, Op::DeleteRange { start, end } if start >= end));
        if batch.is_empty() {
            return Ok(());
        }
        let shared = &self.shared;
        let mut q = shared.queue.lock();
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.pending.push((ticket, batch));
        loop {
            if let Some(result) = q.results.remove(&ticket) {
                return result;
            }
            if !q.leader {
                break;
            }
            shared.queue_cv.wait(&mut q);
        }
        // This writer leads: it commits everything queued so far as one group.
        q.leader = true;
        let (tickets, group): (Vec<u64>, Vec<WriteBatch>) =
            std::mem::take(&mut q.pending).into_iter().unzip();
        let first_seq = q.last_seq + 1;
        drop(q);
        let result = shared.commit_group(group, first_seq);
        let mut q = shared.queue.lock();
        q.leader = false;
        if let Ok(last) = &result {
            q.last_seq = *last;
            shared.visible_seq.store(*last, Ordering::Release);
        }
        for t in tickets {
            q.results.insert(t, result.clone().map(|_| ()));
        }
        let mine = q.results.remove(&ticket).unwrap_or(Ok(()));
        drop(q);
        shared.queue_cv.notify_all();
        mine
    }

    fn scan(&self, range: KeyRange) -> Result<ScanIter> {
        self.scan_dir(range, false)
    }

    fn scan_rev(&self, range: KeyRange) -> Result<ScanIter> {
        self.scan_dir(range, true)
    }

    fn flush(&self) -> Result<()> {
        self.check_error()?;
        let mut wal = self.shared.wal.lock();
        match wal.as_mut() {
            Some(w) => {
                w.sync()?;
                self.shared
                    .counters
                    .wal_syncs
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            None => {
                drop(wal);
                self.flush_memtable()
            }
        }
    }

    fn status(&self) -> Result<Status> {
        let state = self.shared.state.read().clone();
        let c = &self.shared.counters;
        let ts = &self.shared.table_stats;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let memtables = || std::iter::once(&state.memtable).chain(&state.immutables);
        let tables = || state.levels.iter().flatten();
        let wal_size = self.shared.wal.lock().as_ref().map_or(0, LogWriter::len);
        Ok(Status {
            name: "lsm".into(),
            keys: memtables().map(|m| m.len() as u64).sum::<u64>()
                + tables().map(|t| t.meta().entries).sum::<u64>(),
            size: memtables().map(|m| m.size() as u64).sum::<u64>()
                + tables().map(|t| t.meta().data_bytes).sum::<u64>(),
            disk_size: tables().map(|t| t.meta().file_size).sum::<u64>()
                + wal_size
                + self.shared.manifest.lock().len(),
            wal_bytes: load(&c.wal_bytes),
            wal_syncs: load(&c.wal_syncs),
            wal_writes: load(&c.wal_writes),
            group_commits: load(&c.group_commits),
            group_commit_max: load(&c.group_commit_max),
            memtable_bytes: memtables().map(|m| m.size() as u64).sum(),
            immutable_memtables: state.immutables.len() as u64,
            levels: state
                .levels
                .iter()
                .map(|l| LevelStatus {
                    tables: l.len() as u64,
                    bytes: l.iter().map(|t| t.meta().file_size).sum(),
                })
                .collect(),
            flushes: load(&c.flushes),
            flush_bytes: load(&c.flush_bytes),
            flush_micros: load(&c.flush_micros),
            compactions: load(&c.compactions),
            compaction_bytes_read: load(&c.compaction_bytes_read),
            compaction_bytes_written: load(&c.compaction_bytes_written),
            compaction_micros: load(&c.compaction_micros),
            write_stalls: load(&c.write_stalls),
            block_cache_hits: load(&ts.block_cache_hits),
            block_cache_misses: load(&ts.block_cache_misses),
            block_cache_bytes: self.shared.cache.used_bytes() as u64,
            bloom_negatives: load(&ts.bloom_negatives),
            corruptions: load(&ts.corruptions),
        })
    }
}

impl Drop for Lsm {
    fn drop(&mut self) {
        self.shared.bg.lock().shutdown = true;
        self.shared.bg_cv.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // A clean stop leaves nothing in the logs to replay. If this fails, the log still
        // holds every write and the next start replays it.
        if self.check_error().is_ok() && self.shared.freeze_memtable().is_ok() {
            let _ = self.shared.flush_immutables();
        }
    }
}
