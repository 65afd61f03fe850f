//! `db_bench`: the classic LevelDB/RocksDB workloads on Anchor's LSM engine and on RocksDB,
//! with matched settings, side by side.
//!
//! The parent process runs one child process per engine per value size (so each engine's
//! peak memory is its own), collects the children's results and prints one table per value
//! size. See `bench/README.md`.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anchor_bench::{
    Db, Kind, Settings, bytes_written, cpu_seconds, dir_size, mib, open, peak_rss, reset_peak_rss,
};
use anyhow::{Context, Result, bail};
use clap::Parser;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};

/// Every workload, in the order they run.
const ALL: &[&str] = &[
    "fillseq",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readseq",
    "seekrandom",
    "deleterandom",
    "fillsync",
];

/// Entries read after each seek in `seekrandom`.
const SEEK_NEXT: usize = 10;

/// Key size in bytes.
const KEY_SIZE: usize = 16;

/// Storage-engine benchmark: Anchor's LSM engine against RocksDB.
#[derive(Parser, Debug, Clone)]
#[command(name = "db_bench")]
struct Args {
    /// Number of keys (default 1,000,000; 50,000 with --quick).
    #[arg(long)]
    num: Option<u64>,
    /// Reads for readrandom and seeks for seekrandom (default: --num).
    #[arg(long)]
    reads: Option<u64>,
    /// Value sizes in bytes, comma-separated; each gets its own run.
    #[arg(long, value_delimiter = ',', default_values_t = vec![100usize, 1024])]
    value_size: Vec<usize>,
    /// Engines to run, comma-separated: anchor, rocksdb.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["anchor".to_string(), "rocksdb".to_string()])]
    engines: Vec<String>,
    /// Workloads to run, comma-separated (default: all). Reads, overwrite and deletes need a
    /// database: when fillrandom is not selected, an untimed fill makes one.
    #[arg(long, value_delimiter = ',')]
    benchmarks: Vec<String>,
    /// Writes in fillsync, each synced (default: --num / 100).
    #[arg(long)]
    sync_num: Option<u64>,
    /// A fast check: 50,000 keys unless --num says otherwise.
    #[arg(long)]
    quick: bool,
    /// Where the databases go (default: a new temporary directory in $TMPDIR or /tmp; keep
    /// it on a real disk, not tmpfs).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the databases after the run.
    #[arg(long)]
    keep: bool,
    /// Seed of the random key orders.
    #[arg(long, default_value_t = 301)]
    seed: u64,
    /// Internal: run one engine in this process and print machine-readable results.
    #[arg(long, hide = true)]
    child: Option<String>,
}

impl Args {
    fn num(&self) -> u64 {
        self.num
            .unwrap_or(if self.quick { 50_000 } else { 1_000_000 })
    }

    fn reads(&self) -> u64 {
        self.reads.unwrap_or(self.num())
    }

    fn sync_num(&self) -> u64 {
        self.sync_num.unwrap_or((self.num() / 100).max(1))
    }

    fn benchmarks(&self) -> Result<Vec<&'static str>> {
        if self.benchmarks.is_empty() {
            return Ok(ALL.to_vec());
        }
        let mut chosen = Vec::new();
        for name in &self.benchmarks {
            match ALL.iter().find(|b| **b == name.trim()) {
                Some(b) => chosen.push(*b),
                None => bail!("unknown workload {name:?}; known: {}", ALL.join(", ")),
            }
        }
        // Always run in the canonical order, whatever order they were given in.
        Ok(ALL.iter().copied().filter(|b| chosen.contains(b)).collect())
    }
}

/// What one workload measured on one engine.
#[derive(Clone, Debug, Default)]
struct Outcome {
    workload: String,
    /// Operations performed.
    ops: u64,
    /// Seconds spent in the operations themselves.
    secs: f64,
    /// Seconds spent afterwards flushing and waiting for compactions (writes only).
    settle_secs: f64,
    /// Bytes the process wrote to files during the workload and its settling.
    written: u64,
    /// Key and value bytes the workload wrote (0 for reads).
    user_bytes: u64,
    /// Bytes of files in the data directory afterwards (writes only).
    disk: u64,
    /// Peak resident set size during the workload.
    peak: u64,
    /// CPU seconds (all threads) during the workload and its settling.
    cpu: f64,
    /// Free-form notes (e.g. keys found).
    note: String,
}

impl Outcome {
    fn ops_per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.ops as f64 / self.secs
        } else {
            0.0
        }
    }

    fn write_amp(&self) -> Option<f64> {
        (self.user_bytes > 0).then(|| self.written as f64 / self.user_bytes as f64)
    }

    fn to_line(&self) -> String {
        format!(
            "RESULT\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.workload,
            self.ops,
            self.secs,
            self.settle_secs,
            self.written,
            self.user_bytes,
            self.disk,
            self.peak,
            self.cpu,
            self.note.replace('\t', " ")
        )
    }

    fn from_line(line: &str) -> Option<Outcome> {
        let f: Vec<&str> = line.strip_prefix("RESULT\t")?.split('\t').collect();
        if f.len() < 10 {
            return None;
        }
        Some(Outcome {
            workload: f[0].to_string(),
            ops: f[1].parse().ok()?,
            secs: f[2].parse().ok()?,
            settle_secs: f[3].parse().ok()?,
            written: f[4].parse().ok()?,
            user_bytes: f[5].parse().ok()?,
            disk: f[6].parse().ok()?,
            peak: f[7].parse().ok()?,
            cpu: f[8].parse().ok()?,
            note: f[9].to_string(),
        })
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(engine) = &args.child {
        return child(&args, Kind::parse(engine)?);
    }
    parent(&args)
}

// ---------------------------------------------------------------------------------------------
// The parent: one child per engine per value size, then the tables.

fn parent(args: &Args) -> Result<()> {
    let engines: Vec<Kind> = args
        .engines
        .iter()
        .map(|e| Kind::parse(e))
        .collect::<Result<_>>()?;
    let benchmarks = args.benchmarks()?;
    let (base, temp_guard) = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            (dir.clone(), None)
        }
        None => {
            let temp = tempfile::Builder::new()
                .prefix("anchor-db-bench-")
                .tempdir()
                .context("creating a temporary directory")?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let exe = std::env::current_exe()?;
    println!(
        "db_bench: {} keys of {KEY_SIZE} B, values {:?} B, {} reads, {} synced writes; engines {}; data in {}",
        args.num(),
        args.value_size,
        args.reads(),
        args.sync_num(),
        engines
            .iter()
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(", "),
        base.display()
    );
    println!("settings (both engines): {:?}", Settings::matched(false));

    for &value_size in &args.value_size {
        let mut results: Vec<(Kind, Vec<Outcome>, u64)> = Vec::new();
        for &kind in &engines {
            let dir = base.join(format!("{}-{value_size}", kind.name()));
            eprintln!("== {} with {value_size} B values", kind.name());
            let mut cmd = Command::new(&exe);
            cmd.arg("--child")
                .arg(kind.name())
                .arg("--num")
                .arg(args.num().to_string())
                .arg("--reads")
                .arg(args.reads().to_string())
                .arg("--sync-num")
                .arg(args.sync_num().to_string())
                .arg("--value-size")
                .arg(value_size.to_string())
                .arg("--benchmarks")
                .arg(benchmarks.join(","))
                .arg("--seed")
                .arg(args.seed.to_string())
                .arg("--dir")
                .arg(&dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            let mut proc = cmd.spawn().context("starting a child db_bench")?;
            let stdout = proc.stdout.take().context("child stdout")?;
            let mut outcomes = Vec::new();
            let mut peak_total = 0;
            for line in BufReader::new(stdout).lines() {
                let line = line?;
                if let Some(o) = Outcome::from_line(&line) {
                    outcomes.push(o);
                } else if let Some(p) = line.strip_prefix("PEAK\t") {
                    peak_total = p.trim().parse().unwrap_or(0);
                } else {
                    println!("{line}");
                }
            }
            let status = proc.wait()?;
            if !status.success() {
                eprintln!("!! {} child failed: {status}", kind.name());
            }
            if !args.keep {
                let _ = std::fs::remove_dir_all(&dir);
            }
            results.push((kind, outcomes, peak_total));
        }
        print_tables(args, value_size, &benchmarks, &results);
    }
    if args.keep {
        println!("databases kept in {}", base.display());
        if let Some(temp) = temp_guard {
            let _ = temp.keep();
        }
    }
    Ok(())
}

fn print_tables(
    args: &Args,
    value_size: usize,
    benchmarks: &[&str],
    results: &[(Kind, Vec<Outcome>, u64)],
) {
    let find = |kind: Kind, w: &str| -> Option<&Outcome> {
        results
            .iter()
            .find(|(k, _, _)| *k == kind)
            .and_then(|(_, os, _)| os.iter().find(|o| o.workload == w))
    };
    let fmt_opt = |v: Option<f64>, digits: usize| match v {
        Some(v) => format!("{v:.digits$}"),
        None => "-".to_string(),
    };
    println!();
    println!(
        "### {} keys, {KEY_SIZE} B keys, {value_size} B values",
        args.num()
    );
    println!();
    println!(
        "| workload | anchor ops/s | rocksdb ops/s | anchor/rocksdb | W-amp anchor | W-amp rocksdb | disk MiB anchor | disk MiB rocksdb | peak RSS MiB anchor | peak RSS MiB rocksdb |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for w in benchmarks {
        let a = find(Kind::Anchor, w);
        let r = find(Kind::RocksDb, w);
        let ratio = match (a, r) {
            (Some(a), Some(r)) if r.ops_per_sec() > 0.0 => Some(a.ops_per_sec() / r.ops_per_sec()),
            _ => None,
        };
        let ops = |o: Option<&Outcome>| fmt_opt(o.map(|o| o.ops_per_sec().round()), 0);
        let wamp = |o: Option<&Outcome>| fmt_opt(o.and_then(|o| o.write_amp()), 2);
        let disk = |o: Option<&Outcome>| fmt_opt(o.filter(|o| o.disk > 0).map(|o| mib(o.disk)), 1);
        let peak = |o: Option<&Outcome>| fmt_opt(o.map(|o| mib(o.peak)), 0);
        println!(
            "| {w} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            ops(a),
            ops(r),
            fmt_opt(ratio, 2),
            wamp(a),
            wamp(r),
            disk(a),
            disk(r),
            peak(a),
            peak(r),
        );
    }
    println!();
    println!(
        "Details (secs = timed operations; settle = flush + wait for compactions afterwards; cpu = all threads over both):"
    );
    println!();
    println!("| engine | workload | ops | secs | settle secs | cpu secs | written MiB | note |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for (kind, outcomes, _) in results {
        for o in outcomes {
            println!(
                "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {} |",
                kind.name(),
                o.workload,
                o.ops,
                o.secs,
                o.settle_secs,
                o.cpu,
                mib(o.written),
                o.note
            );
        }
    }
    for (kind, _, peak) in results {
        println!(
            "peak RSS of the whole {} process: {:.0} MiB",
            kind.name(),
            mib(*peak)
        );
    }
    let _ = std::io::stdout().flush();
}

// ---------------------------------------------------------------------------------------------
// The child: every workload on one engine, one value size.

/// Key `i`: a zero-padded decimal number, 16 bytes.
fn key(i: u64) -> [u8; KEY_SIZE] {
    let mut k = [b'0'; KEY_SIZE];
    let mut n = i;
    for b in k.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    k
}

/// Incompressible-ish value bytes: values are windows into one random buffer.
struct Values {
    buf: Vec<u8>,
    size: usize,
}

impl Values {
    fn new(size: usize, seed: u64) -> Values {
        let mut buf = vec![0u8; (1 << 20) + size];
        StdRng::seed_from_u64(seed).fill_bytes(&mut buf);
        Values { buf, size }
    }

    fn get(&self, i: u64) -> &[u8] {
        let start = (i.wrapping_mul(7919) % (1 << 20)) as usize;
        &self.buf[start..start + self.size]
    }
}

fn shuffled(num: u64, rng: &mut StdRng) -> Vec<u64> {
    let mut order: Vec<u64> = (0..num).collect();
    order.shuffle(rng);
    order
}

/// Runs `body` as one workload: times it, then (for writes) settles the database and
/// measures the bytes written, the files left and the peak memory.
fn measure(
    name: &str,
    db: &Db,
    dir: &Path,
    user_bytes: u64,
    body: impl FnOnce(&Db) -> Result<(u64, String)>,
) -> Result<Outcome> {
    reset_peak_rss();
    let written0 = bytes_written()?;
    let cpu0 = cpu_seconds()?;
    let start = Instant::now();
    let (ops, note) = body(db)?;
    let secs = start.elapsed().as_secs_f64();
    let mut settle_secs = 0.0;
    let mut disk = 0;
    if user_bytes > 0 {
        let settle = Instant::now();
        db.settle()?;
        settle_secs = settle.elapsed().as_secs_f64();
        disk = dir_size(dir)?;
    }
    let outcome = Outcome {
        workload: name.to_string(),
        ops,
        secs,
        settle_secs,
        written: bytes_written()? - written0,
        user_bytes,
        disk,
        peak: peak_rss()?,
        cpu: cpu_seconds()? - cpu0,
        note,
    };
    eprintln!(
        "   {:<13} {:>10.0} ops/s  {:>7.2}s (+{:.2}s settle)  {}",
        name,
        outcome.ops_per_sec(),
        secs,
        settle_secs,
        db.summary()
    );
    Ok(outcome)
}

fn child(args: &Args, kind: Kind) -> Result<()> {
    let num = args.num();
    let reads = args.reads();
    let value_size = *args.value_size.first().context("no value size")?;
    let entry = (KEY_SIZE + value_size) as u64;
    let base = args.dir.clone().context("--dir is required with --child")?;
    if base.exists() {
        std::fs::remove_dir_all(&base)?;
    }
    std::fs::create_dir_all(&base)?;
    let values = Values::new(value_size, args.seed);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let bulk = Settings::matched(false);
    let synced = Settings::matched(true);
    let mut peak_total = 0;
    let report = |o: Outcome, peak_total: &mut u64| {
        *peak_total = (*peak_total).max(o.peak);
        println!("{}", o.to_line());
        let _ = std::io::stdout().flush();
    };
    let benchmarks = args.benchmarks()?;
    let wants = |w: &str| benchmarks.contains(&w);

    if wants("fillseq") {
        let dir = base.join("fillseq");
        let db = open(kind, &dir, &bulk)?;
        let o = measure("fillseq", &db, &dir, num * entry, |db| {
            for i in 0..num {
                db.put(&key(i), values.get(i))?;
            }
            Ok((num, String::new()))
        })?;
        report(o, &mut peak_total);
        drop(db);
        std::fs::remove_dir_all(&dir)?;
    }

    // The random database: fillrandom, then overwrite, reads and deletes on it.
    let needs_random = benchmarks
        .iter()
        .any(|w| !matches!(*w, "fillseq" | "fillsync"));
    if needs_random {
        let dir = base.join("random");
        let db = open(kind, &dir, &bulk)?;
        let order = shuffled(num, &mut rng);
        let fill = |db: &Db| -> Result<(u64, String)> {
            for &i in &order {
                db.put(&key(i), values.get(i))?;
            }
            Ok((num, String::new()))
        };
        if wants("fillrandom") {
            let o = measure("fillrandom", &db, &dir, num * entry, fill)?;
            report(o, &mut peak_total);
        } else {
            fill(&db)?;
            db.settle()?;
        }
        if wants("overwrite") {
            let order = shuffled(num, &mut rng);
            let o = measure("overwrite", &db, &dir, num * entry, |db| {
                for &i in &order {
                    db.put(&key(i), values.get(i + 1))?;
                }
                Ok((num, String::new()))
            })?;
            report(o, &mut peak_total);
        }
        if wants("readrandom") {
            let picks: Vec<u64> = (0..reads).map(|_| rng.random_range(0..num)).collect();
            let o = measure("readrandom", &db, &dir, 0, |db| {
                let mut found = 0u64;
                for &i in &picks {
                    if db.get(&key(i))?.is_some() {
                        found += 1;
                    }
                }
                Ok((reads, format!("{found} of {reads} found")))
            })?;
            report(o, &mut peak_total);
        }
        if wants("readseq") {
            let o = measure("readseq", &db, &dir, 0, |db| {
                let (entries, bytes) = db.scan_all()?;
                Ok((entries, format!("{entries} entries, {:.0} MiB", mib(bytes))))
            })?;
            report(o, &mut peak_total);
        }
        if wants("seekrandom") {
            let picks: Vec<u64> = (0..reads).map(|_| rng.random_range(0..num)).collect();
            let o = measure("seekrandom", &db, &dir, 0, |db| {
                let mut read = 0u64;
                for &i in &picks {
                    read += db.seek_next(&key(i), SEEK_NEXT)? as u64;
                }
                Ok((
                    reads,
                    format!("{read} entries read ({SEEK_NEXT} after each seek)"),
                ))
            })?;
            report(o, &mut peak_total);
        }
        if wants("deleterandom") {
            let order = shuffled(num, &mut rng);
            let o = measure("deleterandom", &db, &dir, num * KEY_SIZE as u64, |db| {
                for &i in &order {
                    db.delete(&key(i))?;
                }
                Ok((num, String::new()))
            })?;
            report(o, &mut peak_total);
        }
        drop(db);
        std::fs::remove_dir_all(&dir)?;
    }

    if wants("fillsync") {
        let n = args.sync_num();
        let dir = base.join("fillsync");
        let db = open(kind, &dir, &synced)?;
        let order = shuffled(n, &mut rng);
        let o = measure("fillsync", &db, &dir, n * entry, |db| {
            for &i in &order {
                db.put(&key(i), values.get(i))?;
            }
            Ok((n, "each write synced".to_string()))
        })?;
        report(o, &mut peak_total);
        drop(db);
        std::fs::remove_dir_all(&dir)?;
    }

    // The peak over the whole process (the per-workload peaks are reset between workloads).
    let peak = peak_rss()?.max(peak_total);
    println!("PEAK\t{peak}");
    Ok(())
}
