//! Storage-engine benchmark support: one small interface over Anchor's LSM engine and
//! RocksDB, opened with matched settings, plus the process measurements (bytes written,
//! peak memory, CPU time) the `db_bench` binary reports.
//!
//! The settings both engines share are in [`Settings`]; [`open`] turns them into each
//! engine's own options so the two sides never drift apart.

use std::ops::Bound;
use std::path::Path;

use anchor_engine::lsm::{Lsm, Options as LsmOptions};
use anchor_engine::{Engine as _, KeyRange, SyncPolicy};
use anyhow::{Context, Result, bail};

/// Which engine a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Anchor's LSM engine (`anchor_engine::lsm::Lsm`).
    Anchor,
    /// RocksDB through the `rocksdb` crate.
    RocksDb,
}

impl Kind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Anchor => "anchor",
            Kind::RocksDb => "rocksdb",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Result<Kind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "anchor" | "lsm" => Ok(Kind::Anchor),
            "rocksdb" | "rocks" => Ok(Kind::RocksDb),
            other => bail!("unknown engine {other:?} (expected anchor or rocksdb)"),
        }
    }
}

/// The settings both engines are opened with.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Memtable (RocksDB: write buffer) size in bytes.
    pub memtable_size: usize,
    /// Frozen memtables allowed to wait for a flush (RocksDB: `max_write_buffer_number - 1`).
    pub max_immutable_memtables: usize,
    /// Uncompressed data block size in bytes.
    pub block_size: usize,
    /// Bloom filter bits per key.
    pub bloom_bits_per_key: usize,
    /// Block cache capacity in bytes.
    pub block_cache_size: usize,
    /// Compaction output files are cut at about this many bytes.
    pub target_file_size: u64,
    /// Byte budget of level 1.
    pub base_level_bytes: u64,
    /// Each level's budget is this many times the one above.
    pub level_multiplier: u64,
    /// Number of levels, level 0 included.
    pub levels: usize,
    /// Level-0 file count that triggers a compaction.
    pub l0_trigger: usize,
    /// Sync the log on every write (otherwise never sync explicitly).
    pub sync: bool,
}

impl Settings {
    /// Anchor's defaults, which RocksDB is matched to.
    pub fn matched(sync: bool) -> Settings {
        let lsm = LsmOptions::default();
        Settings {
            memtable_size: lsm.memtable_size,
            max_immutable_memtables: lsm.max_immutable_memtables,
            block_size: lsm.table.block_size,
            bloom_bits_per_key: lsm.table.bloom_bits_per_key,
            block_cache_size: lsm.block_cache_size,
            target_file_size: lsm.target_file_size as u64,
            base_level_bytes: lsm.policy.base_level_bytes,
            level_multiplier: lsm.policy.level_multiplier,
            levels: lsm.policy.max_levels,
            l0_trigger: lsm.policy.l0_trigger,
            sync,
        }
    }
}

/// An open database of either kind, with the handful of operations the workloads need.
pub enum Db {
    /// Anchor's LSM engine.
    Anchor(Lsm),
    /// RocksDB, with the write options every write uses.
    #[cfg(feature = "rocksdb")]
    RocksDb {
        /// The database.
        db: rocksdb::DB,
        /// WAL on; `sync` as the settings say.
        write: rocksdb::WriteOptions,
    },
}

/// Opens (creating) a database of `kind` in `dir` with `settings`.
pub fn open(kind: Kind, dir: &Path, settings: &Settings) -> Result<Db> {
    match kind {
        Kind::Anchor => {
            let mut options = LsmOptions {
                wal: true,
                sync: if settings.sync {
                    SyncPolicy::Always
                } else {
                    SyncPolicy::Never
                },
                memtable_size: settings.memtable_size,
                max_immutable_memtables: settings.max_immutable_memtables,
                target_file_size: settings.target_file_size as usize,
                block_cache_size: settings.block_cache_size,
                ..LsmOptions::default()
            };
            options.table.block_size = settings.block_size;
            options.table.bloom_bits_per_key = settings.bloom_bits_per_key;
            options.table.compression = None;
            options.policy.base_level_bytes = settings.base_level_bytes;
            options.policy.level_multiplier = settings.level_multiplier;
            options.policy.max_levels = settings.levels;
            options.policy.l0_trigger = settings.l0_trigger;
            let lsm = Lsm::open(dir, options).context("opening the Anchor LSM")?;
            Ok(Db::Anchor(lsm))
        }
        #[cfg(not(feature = "rocksdb"))]
        Kind::RocksDb => bail!("db_bench was built without the rocksdb feature"),
        #[cfg(feature = "rocksdb")]
        Kind::RocksDb => {
            let mut table = rocksdb::BlockBasedOptions::default();
            table.set_block_size(settings.block_size);
            table.set_bloom_filter(settings.bloom_bits_per_key as f64, false);
            let cache = rocksdb::Cache::new_lru_cache(settings.block_cache_size);
            table.set_block_cache(&cache);

            let mut options = rocksdb::Options::default();
            options.create_if_missing(true);
            options.set_block_based_table_factory(&table);
            options.set_compression_type(rocksdb::DBCompressionType::None);
            options.set_bottommost_compression_type(rocksdb::DBCompressionType::None);
            options.set_write_buffer_size(settings.memtable_size);
            options.set_max_write_buffer_number(settings.max_immutable_memtables as i32 + 1);
            options.set_target_file_size_base(settings.target_file_size);
            options.set_max_bytes_for_level_base(settings.base_level_bytes);
            options.set_max_bytes_for_level_multiplier(settings.level_multiplier as f64);
            options.set_num_levels(settings.levels as i32);
            options.set_level_zero_file_num_compaction_trigger(settings.l0_trigger as i32);
            // Anchor sizes levels statically from level 1 down; so does this.
            options.set_level_compaction_dynamic_level_bytes(false);
            // One flush thread and one compaction thread, like Anchor.
            options.set_max_background_jobs(2);
            let mut env = rocksdb::Env::new().context("creating the RocksDB environment")?;
            env.set_high_priority_background_threads(1);
            env.set_background_threads(1);
            options.set_env(&env);

            let db = rocksdb::DB::open(&options, dir).context("opening RocksDB")?;
            let mut write = rocksdb::WriteOptions::default();
            write.disable_wal(false);
            write.set_sync(settings.sync);
            Ok(Db::RocksDb { db, write })
        }
    }
}

impl Db {
    /// Sets `key` to `value` (one write, one log record).
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        match self {
            Db::Anchor(lsm) => lsm.set(key, value)?,
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, write } => db.put_opt(key, value, write)?,
        }
        Ok(())
    }

    /// Removes `key`.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        match self {
            Db::Anchor(lsm) => lsm.delete(key)?,
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, write } => db.delete_opt(key, write)?,
        }
        Ok(())
    }

    /// Reads `key`; returns the value's length if it is there.
    pub fn get(&self, key: &[u8]) -> Result<Option<usize>> {
        Ok(match self {
            Db::Anchor(lsm) => lsm.get(key)?.map(|v| v.len()),
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, .. } => db.get(key)?.map(|v| v.len()),
        })
    }

    /// Seeks to the first key at or after `key` and reads up to `n` entries; returns how many
    /// were read.
    pub fn seek_next(&self, key: &[u8], n: usize) -> Result<usize> {
        match self {
            Db::Anchor(lsm) => {
                let range = KeyRange {
                    start: Bound::Included(key.to_vec()),
                    end: Bound::Unbounded,
                };
                let mut read = 0;
                for item in lsm.scan(range)?.take(n) {
                    let (k, v) = item?;
                    std::hint::black_box((k, v));
                    read += 1;
                }
                Ok(read)
            }
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, .. } => {
                let mut it = db.raw_iterator();
                it.seek(key);
                let mut read = 0;
                while read < n && it.valid() {
                    std::hint::black_box((it.key(), it.value()));
                    read += 1;
                    it.next();
                }
                it.status()?;
                Ok(read)
            }
        }
    }

    /// Reads every entry in key order; returns the number of entries and their bytes.
    pub fn scan_all(&self) -> Result<(u64, u64)> {
        let (mut entries, mut bytes) = (0u64, 0u64);
        match self {
            Db::Anchor(lsm) => {
                for item in lsm.scan(KeyRange::all())? {
                    let (k, v) = item?;
                    entries += 1;
                    bytes += (k.len() + v.len()) as u64;
                }
            }
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, .. } => {
                let mut it = db.raw_iterator();
                it.seek_to_first();
                while let (Some(k), Some(v)) = (it.key(), it.value()) {
                    entries += 1;
                    bytes += (k.len() + v.len()) as u64;
                    it.next();
                }
                it.status()?;
            }
        }
        Ok((entries, bytes))
    }

    /// Flushes the memtable and waits until background compaction has nothing left to do,
    /// so that the files on disk are the steady state the workload leads to.
    pub fn settle(&self) -> Result<()> {
        match self {
            Db::Anchor(lsm) => lsm.compact()?,
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, .. } => {
                db.flush()?;
                let mut wait = rocksdb::WaitForCompactOptions::default();
                wait.set_flush(true);
                db.wait_for_compact(&wait)?;
            }
        }
        Ok(())
    }

    /// A one-line summary of the engine's own counters (flushes, compactions, stalls).
    pub fn summary(&self) -> String {
        match self {
            Db::Anchor(lsm) => match lsm.status() {
                Ok(s) => {
                    let levels: Vec<String> =
                        s.levels.iter().map(|l| l.tables.to_string()).collect();
                    format!(
                        "flushes={} compactions={} compaction_written={:.0}MiB stalls={} tables/level=[{}] cache hit/miss={}/{}",
                        s.flushes,
                        s.compactions,
                        mib(s.compaction_bytes_written),
                        s.write_stalls,
                        levels.join(","),
                        s.block_cache_hits,
                        s.block_cache_misses,
                    )
                }
                Err(e) => format!("status failed: {e}"),
            },
            #[cfg(feature = "rocksdb")]
            Db::RocksDb { db, .. } => {
                let files: Vec<String> = (0..7)
                    .map(|l| {
                        db.property_value(&format!("rocksdb.num-files-at-level{l}"))
                            .ok()
                            .flatten()
                            .unwrap_or_default()
                    })
                    .collect();
                let stall = db
                    .property_int_value("rocksdb.actual-delayed-write-rate")
                    .ok()
                    .flatten()
                    .unwrap_or(0);
                format!(
                    "tables/level=[{}] delayed-write-rate={}",
                    files.join(","),
                    stall
                )
            }
        }
    }
}

/// Bytes as MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// The sum of the sizes of every file under `dir`.
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            total += dir_size(&entry.path())?;
        } else {
            total += meta.len();
        }
    }
    Ok(total)
}

/// Bytes this process has passed to `write`-family system calls so far (`wchar` in
/// `/proc/self/io`): log appends, table files and manifests, whether or not they have reached
/// the disk yet. Counts every thread, background ones included.
pub fn bytes_written() -> Result<u64> {
    proc_field("/proc/self/io", "wchar:")
}

/// Resets the process's peak resident set size (`VmHWM`), so the next [`peak_rss`] reports
/// the peak since now. Returns false where the kernel does not allow it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The process's peak resident set size in bytes (`VmHWM` in `/proc/self/status`).
pub fn peak_rss() -> Result<u64> {
    Ok(proc_field("/proc/self/status", "VmHWM:")? * 1024)
}

/// User plus system CPU time this process has used, in seconds (all threads).
pub fn cpu_seconds() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("parsing /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 of the rest.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    // Linux reports these in USER_HZ, which is 100 on every architecture Rust targets.
    Ok(ticks as f64 / 100.0)
}

fn proc_field(path: &str, name: &str) -> Result<u64> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(name) {
            let number = rest.split_whitespace().next().unwrap_or("");
            return number
                .parse()
                .with_context(|| format!("parsing {name} in {path}"));
        }
    }
    bail!("{name} not found in {path}")
}
