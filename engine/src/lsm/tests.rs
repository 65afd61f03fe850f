//! Tests of the LSM engine as a whole: conformance and model tests against `Memory`, crash
//! recovery with a child process killed at random points, corruption of every kind of file,
//! group commit, range deletes and write stalls.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rand::{Rng, SeedableRng};

use super::compaction::Policy;
use super::table::TableOptions;
use super::{Lsm, Options};
use crate::conformance::{Harness, collect};
use crate::engine::{Engine, KeyRange, SyncPolicy, WriteBatch};
use crate::error::Error;

/// A scratch directory, on tmpfs when there is one: the tests sync a lot, and what they check
/// is the engine's logic, not the disk's speed.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// Options that make flushes and compactions happen after a few writes.
fn tiny(background: bool) -> Options {
    Options {
        sync: SyncPolicy::Never,
        memtable_size: 4 << 10,
        max_immutable_memtables: 2,
        table: TableOptions {
            block_size: 256,
            ..TableOptions::default()
        },
        target_file_size: 8 << 10,
        policy: Policy {
            l0_trigger: 2,
            base_level_bytes: 16 << 10,
            level_multiplier: 4,
            max_levels: 5,
        },
        block_cache_size: 64 << 10,
        background,
        ..Options::default()
    }
}

struct LsmHarness {
    dir: tempfile::TempDir,
    options: Options,
    lsm: Option<Lsm>,
}

impl LsmHarness {
    fn new(options: Options) -> Self {
        let dir = scratch();
        let lsm = Some(Lsm::open(dir.path(), options.clone()).unwrap());
        LsmHarness { dir, options, lsm }
    }
}

impl Harness for LsmHarness {
    fn engine(&self) -> &dyn Engine {
        self.lsm.as_ref().unwrap()
    }
    fn reopen(&mut self) {
        self.lsm = None;
        let lsm = Lsm::open(self.dir.path(), self.options.clone()).unwrap();
        assert_eq!(
            lsm.recovery().batches,
            0,
            "a clean stop leaves nothing to replay"
        );
        self.lsm = Some(lsm);
    }
    fn compact(&mut self) {
        let lsm = self.lsm.as_ref().unwrap();
        if self.options.background {
            lsm.compact().unwrap()
        } else {
            lsm.compact_full().unwrap()
        }
    }
}

crate::conformance_tests!(lsm_foreground, || LsmHarness::new(tiny(false)));
crate::conformance_tests!(lsm_background, || LsmHarness::new(tiny(true)));
crate::conformance_tests!(lsm_default, || LsmHarness::new(Options {
    sync: SyncPolicy::Never,
    ..Options::default()
}));
crate::conformance_tests!(lsm_no_wal, || LsmHarness::new(Options {
    wal: false,
    ..tiny(true)
}));
crate::conformance_tests!(lsm_compressed, || LsmHarness::new(Options {
    table: TableOptions {
        block_size: 256,
        compression: Some(1),
        min_compress_size: 64,
        ..TableOptions::default()
    },
    ..tiny(false)
}));

#[test]
fn periodic_sync_policy_syncs_in_the_background() {
    let dir = scratch();
    let lsm = Lsm::open(
        dir.path(),
        Options {
            sync: SyncPolicy::EveryMillis(5),
            ..tiny(true)
        },
    )
    .unwrap();
    lsm.set(b"k", b"v").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while lsm.status().unwrap().wal_syncs == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the log was never synced"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // A batch may still ask for its own sync.
    let before = lsm.status().unwrap().wal_syncs;
    let mut batch = WriteBatch::new();
    batch.set(b"k2", b"v2");
    batch.sync = Some(true);
    lsm.write(batch).unwrap();
    assert!(lsm.status().unwrap().wal_syncs > before);
}

#[test]
fn concurrent_writers_share_syncs() {
    let dir = scratch();
    let lsm = Arc::new(
        Lsm::open(
            dir.path(),
            Options {
                sync: SyncPolicy::Always,
                ..tiny(true)
            },
        )
        .unwrap(),
    );
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let lsm = lsm.clone();
            std::thread::spawn(move || {
                for i in 0..200u32 {
                    lsm.set(&[t.to_be_bytes(), i.to_be_bytes()].concat(), &[7; 100])
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let status = lsm.status().unwrap();
    assert_eq!(status.wal_writes, 1600);
    assert!(status.group_commits <= status.wal_writes);
    assert!(status.wal_syncs >= 1);
    assert_eq!(collect(lsm.scan(KeyRange::all())).len(), 1600);
}

#[test]
fn writers_are_slowed_not_failed_when_flushing_falls_behind() {
    let dir = scratch();
    let options = Options {
        memtable_size: 1 << 10,
        max_immutable_memtables: 1,
        ..tiny(true)
    };
    let lsm = Lsm::open(dir.path(), options).unwrap();
    for i in 0..5000u32 {
        lsm.set(&i.to_be_bytes(), &[1; 64]).unwrap();
    }
    lsm.compact().unwrap();
    assert_eq!(collect(lsm.scan(KeyRange::all())).len(), 5000);
    let status = lsm.status().unwrap();
    assert!(status.flushes > 10, "{status:?}");
    assert!(status.compactions > 0, "{status:?}");
}

#[test]
fn a_range_delete_is_one_tombstone_and_compaction_reclaims_the_space() {
    let dir = scratch();
    let lsm = Lsm::open(dir.path(), tiny(false)).unwrap();
    for i in 0..20_000u32 {
        lsm.set(&i.to_be_bytes(), &[9; 50]).unwrap();
    }
    lsm.compact().unwrap();
    let before = lsm.status().unwrap();
    let wal_before = before.wal_bytes;
    lsm.delete_range(&0u32.to_be_bytes(), &20_000u32.to_be_bytes())
        .unwrap();
    // One small log record, whatever the range covers.
    assert!(lsm.status().unwrap().wal_bytes - wal_before < 100);
    assert!(collect(lsm.scan(KeyRange::all())).is_empty());
    lsm.compact_full().unwrap();
    let after = lsm.status().unwrap();
    assert!(collect(lsm.scan(KeyRange::all())).is_empty());
    assert!(
        after.disk_size * 4 < before.disk_size,
        "before {before:?}\nafter {after:?}"
    );
}

#[test]
fn restart_after_a_clean_stop_replays_nothing_and_after_a_crash_replays_the_log() {
    let dir = scratch();
    let lsm = Lsm::open(dir.path(), Options::default()).unwrap();
    lsm.set(b"k", b"v").unwrap();
    drop(lsm);
    let lsm = Lsm::open(dir.path(), Options::default()).unwrap();
    assert_eq!(lsm.recovery().batches, 0);
    assert_eq!(lsm.get(b"k").unwrap(), Some(b"v".to_vec()));
    lsm.set(b"k2", b"v2").unwrap();
    // A crash: the process ends without dropping the engine.
    std::mem::forget(lsm);
    let lsm = Lsm::open(dir.path(), Options::default()).unwrap();
    assert_eq!(lsm.recovery().batches, 1);
    assert_eq!(lsm.get(b"k2").unwrap(), Some(b"v2".to_vec()));
}

// --- Crash test: a child process writes synced batches and reports each acknowledgement; the
// parent kills it at a random moment and checks the reopened engine.

const CHILD_DIR: &str = "ANCHOR_CRASH_CHILD_DIR";
const KEYS_PER_BATCH: u32 = 5;

fn batch_key(batch: u32, j: u32) -> Vec<u8> {
    [b"b".as_slice(), &batch.to_be_bytes(), &j.to_be_bytes()].concat()
}

fn batch_value(batch: u32, j: u32) -> Vec<u8> {
    let mut v = format!("batch {batch} key {j} ").into_bytes();
    v.resize(20 + (batch as usize * 37 % 300), b'x');
    v
}

/// The child's body: runs only when the parent starts this test binary with `CHILD_DIR` set.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let lsm = Lsm::open(
        &dir,
        Options {
            sync: SyncPolicy::Always,
            ..tiny(true)
        },
    )
    .unwrap();
    let start: u32 = std::env::var("ANCHOR_CRASH_START")
        .unwrap()
        .parse()
        .unwrap();
    for batch in start.. {
        let mut b = WriteBatch::new();
        for j in 0..KEYS_PER_BATCH {
            b.set(batch_key(batch, j), batch_value(batch, j));
        }
        // Every batch also overwrites a shared key and deletes an older batch's key.
        b.set(b"last".to_vec(), batch.to_be_bytes().to_vec());
        if batch >= 10 {
            b.delete(batch_key(batch - 10, 0));
        }
        lsm.write(b).unwrap();
        println!("ack {batch}");
    }
}

fn crash_rounds() -> u32 {
    std::env::var("ANCHOR_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

#[test]
fn acknowledged_batches_survive_kill_9() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut next_batch = 0u32;
    let exe = std::env::current_exe().unwrap();
    for round in 0..crash_rounds() {
        let mut child = Command::new(&exe)
            .args([
                "lsm::tests::crash_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env("ANCHOR_CRASH_START", next_batch.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let target = rng.random_range(1..200u32);
        let mut acked = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("ack ") {
                let n: u32 = n.parse().unwrap();
                acked = Some(n);
                if n >= next_batch + target {
                    break;
                }
            }
        }
        // Let it run a little past the last acknowledgement we read, then kill it mid-write.
        std::thread::sleep(std::time::Duration::from_micros(rng.random_range(0..3000)));
        child.kill().unwrap();
        child.wait().unwrap();
        // Acknowledgements printed before the kill but not read yet still count.
        for line in lines {
            if let Some(n) = line.unwrap().strip_prefix("ack ") {
                acked = Some(n.parse().unwrap());
            }
        }
        let acked =
            acked.unwrap_or_else(|| panic!("round {round}: the child acknowledged nothing"));
        let lsm = Lsm::open(dir.path(), tiny(false)).unwrap();
        let last = u32::from_be_bytes(lsm.get(b"last").unwrap().unwrap().try_into().unwrap());
        assert!(
            last >= acked,
            "round {round}: acknowledged batch {acked} lost (last is {last})"
        );
        // Every batch up to `last` is whole; none after it is there at all.
        for batch in 0..last + 5 {
            for j in 0..KEYS_PER_BATCH {
                let got = lsm.get(&batch_key(batch, j)).unwrap();
                let deleted = j == 0 && batch + 10 <= last;
                let want = (batch <= last && !deleted).then(|| batch_value(batch, j));
                assert_eq!(
                    got, want,
                    "round {round}: batch {batch} key {j} (last {last}, acked {acked})"
                );
            }
        }
        next_batch = last + 1;
    }
}

// --- Corruption: damage each kind of file; opening and reading either reports corruption or
// returns the right data, never wrong data, never a panic.

fn fill(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let lsm = Lsm::open(
        dir,
        Options {
            table: TableOptions {
                block_size: 512,
                ..TableOptions::default()
            },
            ..tiny(false)
        },
    )
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for i in 0..600u32 {
        let mut v = vec![0u8; rng.random_range(0..200)];
        rng.fill(&mut v[..]);
        lsm.set(&i.to_be_bytes(), &v).unwrap();
    }
    lsm.compact().unwrap();
    // Some writes stay in the log: the crash below leaves them unflushed.
    for i in 600..650u32 {
        lsm.set(&i.to_be_bytes(), b"in the log").unwrap();
    }
    let expected = collect(lsm.scan(KeyRange::all()));
    std::mem::forget(lsm);
    expected
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

/// Opens and reads everything; an error must be corruption, data must be a subset of what
/// was written with the right values. Only a damaged log may lose writes without an error:
/// a log cut at a record boundary looks like one that ended there.
fn check_damaged(dir: &Path, expected: &[(Vec<u8>, Vec<u8>)], what: &str, log_damaged: bool) {
    let lsm = match Lsm::open(dir, tiny(false)) {
        Ok(lsm) => lsm,
        Err(Error::Corruption { .. }) => return,
        Err(e) => panic!("{what}: open failed with {e}, not corruption"),
    };
    let cut = lsm.recovery().cut_bytes > 0 || log_damaged;
    let mut got = Vec::new();
    match lsm
        .scan(KeyRange::all())
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
    {
        Ok(items) => got = items,
        Err(Error::Corruption { .. }) => {}
        Err(e) => panic!("{what}: scan failed with {e}"),
    }
    for (k, v) in &got {
        let want = expected.iter().find(|(ek, _)| ek == k);
        assert_eq!(
            Some(v),
            want.map(|(_, v)| v),
            "{what}: wrong data for key {k:?}"
        );
    }
    if !cut && !got.is_empty() {
        assert_eq!(
            got.len(),
            expected.len(),
            "{what}: keys lost without a cut or an error"
        );
    }
    for (k, v) in expected.iter().step_by(7) {
        match lsm.get(k) {
            Ok(Some(got)) => assert_eq!(&got, v, "{what}: wrong value for {k:?}"),
            Ok(None) => assert!(cut, "{what}: key {k:?} lost without a cut log tail"),
            Err(Error::Corruption { .. }) => {}
            Err(e) => panic!("{what}: get failed with {e}"),
        }
    }
    drop(lsm);
}

#[test]
fn damaged_files_are_reported_or_cut_never_read_as_data() {
    let pristine = scratch();
    let expected = fill(pristine.path());
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    for suffix in [".sst", ".wal", "MANIFEST"] {
        let names = files(pristine.path(), suffix);
        assert!(!names.is_empty(), "no {suffix} file to damage");
        for name in names {
            let data = std::fs::read(&name).unwrap();
            let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
            for _ in 0..40 {
                let pos = rng.random_range(0..data.len());
                let mut bad = data.clone();
                bad[pos] ^= 1 << rng.random_range(0..8);
                cases.push((format!("flip at {pos}"), bad));
            }
            for len in [
                0,
                data.len() / 3,
                data.len() / 2,
                data.len().saturating_sub(1),
            ] {
                cases.push((format!("truncated to {len}"), data[..len].to_vec()));
            }
            for (how, bad) in cases {
                let copy = scratch();
                for f in std::fs::read_dir(pristine.path()).unwrap() {
                    let f = f.unwrap().path();
                    std::fs::copy(&f, copy.path().join(f.file_name().unwrap())).unwrap();
                }
                std::fs::write(copy.path().join(name.file_name().unwrap()), &bad).unwrap();
                check_damaged(
                    copy.path(),
                    &expected,
                    &format!("{} {how}", name.display()),
                    suffix == ".wal",
                );
            }
        }
    }
}
