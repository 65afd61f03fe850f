//! Tests of what the golden scripts do not show: timeouts, cancellation, recovery, garbage
//! collection on the raw engine, scans against a model, durability options, and randomized
//! interleavings that check invariants.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proptest::prelude::*;

use super::*;
use crate::engine::{Engine, KeyRange, ScanIter, WriteBatch};
use crate::error::{Error, Result};
use crate::memory::Memory;

use IsolationLevel::{ReadCommitted, RepeatableRead, Serializable};

fn open(engine: &Arc<Memory>) -> Mvcc {
    Mvcc::open(engine.clone(), Options::default()).unwrap()
}

fn commit_values(mvcc: &Mvcc, pairs: &[(&str, &str)]) {
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    for (k, v) in pairs {
        txn.set(k.as_bytes(), v.as_bytes()).unwrap();
    }
    txn.commit().unwrap();
}

fn get(txn: &mut Transaction, key: &str) -> Option<String> {
    txn.get(key.as_bytes())
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

/// Waits until `txn` waits for a lock held by someone else.
fn wait_blocked(mvcc: &Mvcc, txn: u64) {
    let start = Instant::now();
    while !mvcc.is_blocked(txn) {
        assert!(start.elapsed() < Duration::from_secs(60), "never blocked");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The number of versions stored in the engine.
fn stored_versions(engine: &Memory) -> usize {
    engine
        .scan(key::version_range(&KeyRange::all()))
        .unwrap()
        .count()
}

#[test]
fn lock_timeout() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    let mut t1 = mvcc.begin(ReadCommitted).unwrap();
    t1.set(b"a", b"1").unwrap();
    let mut t2 = mvcc.begin(ReadCommitted).unwrap();
    t2.set_lock_timeout(Duration::from_millis(50));
    let start = Instant::now();
    assert!(matches!(
        t2.set(b"a", b"2"),
        Err(Error::LockNotAvailable(_))
    ));
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(mvcc.status().lock_timeouts, 1);
    // The lock is free once t1 ends.
    t1.commit().unwrap();
    t2.new_statement();
    t2.set(b"a", b"2").unwrap();
    t2.commit().unwrap();
}

#[test]
fn lock_timeout_from_options() {
    let engine = Arc::new(Memory::new());
    let options = Options {
        lock_timeout: Duration::from_millis(20),
        ..Options::default()
    };
    let mvcc = Mvcc::open(engine.clone(), options).unwrap();
    let mut t1 = mvcc.begin(ReadCommitted).unwrap();
    t1.lock(b"a", LockMode::Share, WaitPolicy::Wait).unwrap();
    let mut t2 = mvcc.begin(ReadCommitted).unwrap();
    assert!(matches!(t2.delete(b"a"), Err(Error::LockNotAvailable(_))));
}

#[test]
fn cancel_while_waiting() {
    let engine = Arc::new(Memory::new());
    let mvcc = Arc::new(open(&engine));
    let mut t1 = mvcc.begin(ReadCommitted).unwrap();
    t1.set(b"a", b"1").unwrap();

    // Through a cancel handle.
    let mut t2 = mvcc.begin(ReadCommitted).unwrap();
    let (id, handle) = (t2.id(), t2.cancel_handle());
    let waiter = std::thread::spawn(move || {
        let result = t2.set(b"a", b"2");
        (t2, result)
    });
    wait_blocked(&mvcc, id);
    handle.cancel();
    let (mut t2, result) = waiter.join().unwrap();
    assert_eq!(result, Err(Error::Cancelled));

    // Through the store, by transaction id; the transaction itself goes on.
    t2.new_statement();
    let waiter = std::thread::spawn(move || {
        let result = t2.get_for_update(b"a");
        (t2, result)
    });
    wait_blocked(&mvcc, id);
    assert!(mvcc.cancel(id));
    let (mut t2, result) = waiter.join().unwrap();
    assert_eq!(result, Err(Error::Cancelled));
    assert_eq!(mvcc.status().cancellations, 2);

    t1.commit().unwrap();
    t2.new_statement();
    assert_eq!(t2.get_for_update(b"a").unwrap(), Some(b"1".to_vec()));
    t2.commit().unwrap();
    assert!(!mvcc.cancel(id));
}

#[test]
fn deadlock_between_threads() {
    let engine = Arc::new(Memory::new());
    let mvcc = Arc::new(open(&engine));
    let mut t1 = mvcc.begin(RepeatableRead).unwrap();
    let mut t2 = mvcc.begin(RepeatableRead).unwrap();
    t1.set(b"a", b"1").unwrap();
    t2.set(b"b", b"2").unwrap();
    let id1 = t1.id();
    let waiter = std::thread::spawn(move || {
        let result = t1.set(b"b", b"1");
        (t1, result)
    });
    wait_blocked(&mvcc, id1);
    assert!(matches!(t2.set(b"a", b"2"), Err(Error::Deadlock(_))));
    assert!(Error::Deadlock(String::new()).is_retryable());
    t2.rollback().unwrap();
    let (t1, result) = waiter.join().unwrap();
    result.unwrap();
    t1.commit().unwrap();
    let status = mvcc.status();
    assert_eq!(status.deadlocks, 1);
    assert_eq!(status.lock_waits, 1);
    assert_eq!(status.locks_held, 0);
}

#[test]
fn recovery_forgets_uncommitted_writes() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    commit_values(&mvcc, &[("a", "1")]);
    let before = mvcc.version();
    let mut txn = mvcc.begin(RepeatableRead).unwrap();
    txn.set(b"a", b"2").unwrap();
    txn.set(b"b", b"1").unwrap();
    // A crash: neither the transaction nor the store gets to clean up.
    std::mem::forget(txn);
    std::mem::forget(mvcc);

    let mvcc = open(&engine);
    assert!(mvcc.version() > before);
    assert_eq!(stored_versions(&engine), 1);
    let mut txn = mvcc.begin(RepeatableRead).unwrap();
    assert_eq!(get(&mut txn, "a").as_deref(), Some("1"));
    assert_eq!(get(&mut txn, "b"), None);
    // Locks were in memory only: the key is free.
    txn.set(b"a", b"3").unwrap();
    txn.commit().unwrap();
    let mut txn = mvcc.begin(RepeatableRead).unwrap();
    assert_eq!(get(&mut txn, "a").as_deref(), Some("3"));
}

#[test]
fn time_travel_within_retention() {
    let engine = Arc::new(Memory::new());
    let options = Options {
        gc_retention: 3,
        ..Options::default()
    };
    let mvcc = Mvcc::open(engine.clone(), options).unwrap();
    commit_values(&mvcc, &[("a", "1")]);
    let v1 = mvcc.version();
    commit_values(&mvcc, &[("a", "2")]);
    let v2 = mvcc.version();
    assert_eq!(mvcc.gc().unwrap(), 0);

    let mut old = mvcc.begin_as_of(v1).unwrap();
    assert!(old.is_read_only());
    assert_eq!(get(&mut old, "a").as_deref(), Some("1"));
    assert!(matches!(old.set(b"a", b"9"), Err(Error::ReadOnly(_))));
    old.commit().unwrap();
    assert!(matches!(
        mvcc.begin_as_of(v2 + 100),
        Err(Error::InvalidInput(_))
    ));

    for i in 0..3 {
        commit_values(&mvcc, &[("b", &i.to_string())]);
    }
    // v1 has fallen out of the retention, v2 not yet.
    assert!(matches!(
        mvcc.begin_as_of(v1),
        Err(Error::SnapshotTooOld(_))
    ));
    let mut at_v2 = mvcc.begin_as_of(v2).unwrap();
    // GC keeps what the time-travel transaction needs: a@v1 goes, a@v2 stays.
    assert_eq!(mvcc.gc().unwrap(), 1);
    assert_eq!(get(&mut at_v2, "a").as_deref(), Some("2"));
    assert_eq!(get(&mut at_v2, "b"), None);
    drop(at_v2);
    // The floor is persisted: after a restart, v1 is still too old.
    drop(mvcc);
    let mvcc = Mvcc::open(
        engine.clone(),
        Options {
            gc_retention: 1000,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(matches!(
        mvcc.begin_as_of(v1),
        Err(Error::SnapshotTooOld(_))
    ));
}

#[test]
fn gc_on_the_raw_engine() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    for i in 0..5 {
        commit_values(&mvcc, &[("a", &i.to_string()), ("b", &i.to_string())]);
    }
    let mut reader = mvcc.begin(RepeatableRead).unwrap();
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    txn.set(b"a", b"new").unwrap();
    txn.delete(b"b").unwrap();
    txn.commit().unwrap();
    assert_eq!(stored_versions(&engine), 12);
    // The reader needs a@4 and b@4; the new versions stay too.
    assert_eq!(mvcc.gc().unwrap(), 8);
    assert_eq!(stored_versions(&engine), 4);
    assert_eq!(get(&mut reader, "a").as_deref(), Some("4"));
    assert_eq!(get(&mut reader, "b").as_deref(), Some("4"));
    reader.commit().unwrap();
    // Now only a's newest version is needed; b's tombstone hides nothing.
    assert_eq!(mvcc.gc().unwrap(), 3);
    assert_eq!(stored_versions(&engine), 1);
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    assert_eq!(get(&mut txn, "a").as_deref(), Some("new"));
    assert_eq!(get(&mut txn, "b"), None);
    let status = mvcc.status();
    assert_eq!(status.versions_collected, 11);
    assert_eq!(status.gc_runs, 2);
}

#[test]
fn gc_in_the_background() {
    let engine = Arc::new(Memory::new());
    let options = Options {
        gc_interval: Some(Duration::from_millis(5)),
        ..Options::default()
    };
    let mvcc = Mvcc::open(engine.clone(), options).unwrap();
    for i in 0..10 {
        commit_values(&mvcc, &[("a", &i.to_string())]);
    }
    let start = Instant::now();
    while stored_versions(&engine) > 1 {
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(mvcc.status().gc_runs > 0);
    drop(mvcc); // Stops and joins the thread.
}

/// An engine that records the sync flag of every batch.
#[derive(Default)]
struct Recording {
    inner: Memory,
    syncs: Mutex<Vec<Option<bool>>>,
}

impl Engine for Recording {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn write(&self, batch: WriteBatch) -> Result<()> {
        self.syncs.lock().push(batch.sync);
        self.inner.write(batch)
    }
    fn scan(&self, range: KeyRange) -> Result<ScanIter> {
        self.inner.scan(range)
    }
    fn scan_rev(&self, range: KeyRange) -> Result<ScanIter> {
        self.inner.scan_rev(range)
    }
    fn flush(&self) -> Result<()> {
        self.inner.flush()
    }
    fn status(&self) -> Result<crate::engine::Status> {
        self.inner.status()
    }
}

#[test]
fn synchronous_commit() {
    let engine = Arc::new(Recording::default());
    let mvcc = Mvcc::open(engine.clone(), Options::default()).unwrap();
    let last_sync = || *engine.syncs.lock().last().unwrap();
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    txn.set(b"a", b"1").unwrap();
    txn.commit().unwrap();
    assert_eq!(last_sync(), Some(true));
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    txn.set_synchronous_commit(false);
    txn.set(b"a", b"2").unwrap();
    txn.commit().unwrap();
    assert_eq!(last_sync(), Some(false));
    // A commit is one batch; a read-only commit writes nothing.
    let writes = engine.syncs.lock().len();
    mvcc.begin(Serializable).unwrap().commit().unwrap();
    assert_eq!(engine.syncs.lock().len(), writes);
    drop(mvcc);

    let engine: Arc<dyn Engine> = Arc::new(Recording::default());
    let options = Options {
        synchronous_commit: false,
        ..Options::default()
    };
    let mvcc = Mvcc::open(engine, options).unwrap();
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    txn.set(b"a", b"1").unwrap();
    txn.commit().unwrap();
}

#[test]
fn unversioned_keys() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    mvcc.set_unversioned(b"schema", b"v1").unwrap();
    mvcc.set_unversioned(b"schema\x00x", b"v2").unwrap();
    mvcc.set_unversioned(b"z", b"v3").unwrap();
    assert_eq!(
        mvcc.get_unversioned(b"schema").unwrap(),
        Some(b"v1".to_vec())
    );
    assert_eq!(
        mvcc.scan_unversioned(KeyRange::prefix(b"schema")).unwrap(),
        vec![
            (b"schema".to_vec(), b"v1".to_vec()),
            (b"schema\x00x".to_vec(), b"v2".to_vec())
        ]
    );
    assert_eq!(mvcc.scan_unversioned(KeyRange::all()).unwrap().len(), 3);
    mvcc.delete_unversioned(b"schema").unwrap();
    assert_eq!(mvcc.get_unversioned(b"schema").unwrap(), None);
    // Transactions do not see them.
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    assert_eq!(txn.scan(KeyRange::all()).unwrap().count(), 0);
    assert_eq!(txn.get(b"z").unwrap(), None);
}

#[test]
fn serializable_point_read_of_a_missing_key() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    let mut t1 = mvcc.begin(Serializable).unwrap();
    assert_eq!(t1.get(b"x").unwrap(), None);
    let mut t2 = mvcc.begin(Serializable).unwrap();
    t2.set(b"x", b"1").unwrap();
    t2.commit().unwrap();
    t1.set(b"y", b"1").unwrap();
    assert!(matches!(t1.commit(), Err(Error::Serialization(_))));
    assert_eq!(mvcc.status().serialization_failures, 1);
    // A serializable transaction that only read commits: it read a consistent prefix.
    let mut t3 = mvcc.begin(Serializable).unwrap();
    assert_eq!(t3.get(b"x").unwrap(), Some(b"1".to_vec()));
    commit_values(&mvcc, &[("x", "2")]);
    t3.commit().unwrap();
}

#[test]
fn status_counts() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    commit_values(&mvcc, &[("a", "1"), ("b", "2")]);
    let t = mvcc.begin(RepeatableRead).unwrap();
    let mut w = mvcc.begin(ReadCommitted).unwrap();
    w.set(b"a", b"3").unwrap();
    let status = mvcc.status();
    assert_eq!(status.active_transactions, 2);
    assert_eq!(status.oldest_snapshot, Some(t.snapshot()));
    assert_eq!(status.commits, 1);
    assert_eq!(status.versions_written, 2);
    assert_eq!(status.locks_held, 1);
    drop(w);
    t.rollback().unwrap();
    let status = mvcc.status();
    assert_eq!(status.active_transactions, 0);
    assert_eq!(status.rollbacks, 2);
    assert_eq!(status.locks_held, 0);
}

#[test]
fn invalid_sizes() {
    let engine = Arc::new(Memory::new());
    let mvcc = open(&engine);
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    let long = vec![0u8; crate::engine::MAX_KEY_SIZE];
    assert!(matches!(txn.set(&long, b"x"), Err(Error::InvalidInput(_))));
    assert!(matches!(
        txn.rollback_to("nope"),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn dyn_engine() {
    let engine: Arc<dyn Engine> = Arc::new(Memory::new());
    let oracle = Arc::new(LocalOracle::open(engine.clone()).unwrap());
    let mvcc = Mvcc::with_oracle(engine, oracle, Options::default()).unwrap();
    let mut txn = mvcc.begin(Serializable).unwrap();
    txn.set(b"k", b"v").unwrap();
    txn.commit().unwrap();
}

/// Keys that share prefixes and hold zero bytes, to catch interleaving versions.
const KEYS: &[&[u8]] = &[
    b"", b"\x00", b"a", b"a\x00", b"a\x00b", b"a\xff", b"ab", b"b",
];

#[derive(Debug, Clone)]
enum Op {
    Set(usize, u8),
    Delete(usize),
    Commit,
    Scan(usize, usize, bool, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..KEYS.len(), any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
        2 => (0..KEYS.len()).prop_map(Op::Delete),
        1 => Just(Op::Commit),
        3 => (0..KEYS.len(), 0..KEYS.len(), any::<bool>(), any::<bool>())
            .prop_map(|(a, b, i, r)| Op::Scan(a, b, i, r)),
    ]
}

proptest! {
    /// Scans merge committed versions, tombstones and own writes like a plain map does.
    #[test]
    fn scans_match_a_model(ops in proptest::collection::vec(op(), 1..60)) {
        let engine = Arc::new(Memory::new());
        let mvcc = open(&engine);
        let mut committed: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut model = committed.clone();
        let mut txn = mvcc.begin(RepeatableRead).unwrap();
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    txn.set(KEYS[k], &[v]).unwrap();
                    model.insert(KEYS[k].to_vec(), vec![v]);
                }
                Op::Delete(k) => {
                    txn.delete(KEYS[k]).unwrap();
                    model.remove(KEYS[k]);
                }
                Op::Commit => {
                    txn.commit().unwrap();
                    committed = model.clone();
                    txn = mvcc.begin(RepeatableRead).unwrap();
                    // A concurrent reader keeps seeing the old state.
                }
                Op::Scan(a, b, inclusive, reverse) => {
                    let (lo, hi) = (KEYS[a].min(KEYS[b]).to_vec(), KEYS[a].max(KEYS[b]).to_vec());
                    let range = KeyRange {
                        start: Bound::Included(lo),
                        end: if inclusive { Bound::Included(hi) } else { Bound::Excluded(hi) },
                    };
                    let mut expect: Vec<_> = model
                        .range::<[u8], _>(range.as_bounds())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    let got: Vec<_> = if reverse {
                        expect.reverse();
                        txn.scan_rev(range).unwrap().map(|r| r.unwrap()).collect()
                    } else {
                        txn.scan(range).unwrap().map(|r| r.unwrap()).collect()
                    };
                    prop_assert_eq!(got, expect);
                    let mut reader = mvcc.begin_read_only(RepeatableRead).unwrap();
                    let all: BTreeMap<_, _> =
                        reader.scan(KeyRange::all()).unwrap().map(|r| r.unwrap()).collect();
                    prop_assert_eq!(&all, &committed);
                }
            }
        }
    }
}

/// Accounts of the bank and doctors on call.
const ACCOUNTS: usize = 4;
const BALANCE: u64 = 100;
const DOCTORS: usize = 3;

fn account(i: usize) -> Vec<u8> {
    format!("acct{i}").into_bytes()
}

fn doctor(i: usize) -> Vec<u8> {
    format!("doc{i}").into_bytes()
}

fn number(value: Option<Vec<u8>>) -> u64 {
    String::from_utf8(value.unwrap()).unwrap().parse().unwrap()
}

#[derive(Debug, Clone)]
enum Step {
    Begin(usize, u8),
    Transfer(usize, usize, usize, u64),
    GoOffCall(usize, usize),
    Audit(usize),
    Commit(usize),
    Rollback(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let slot = 0..4usize;
    prop_oneof![
        2 => (slot.clone(), 0..3u8).prop_map(|(s, l)| Step::Begin(s, l)),
        3 => (slot.clone(), 0..ACCOUNTS, 0..ACCOUNTS, 1..50u64)
            .prop_map(|(s, a, b, n)| Step::Transfer(s, a, b, n)),
        2 => (slot.clone(), 0..DOCTORS).prop_map(|(s, d)| Step::GoOffCall(s, d)),
        1 => slot.clone().prop_map(Step::Audit),
        3 => slot.clone().prop_map(Step::Commit),
        1 => slot.prop_map(Step::Rollback),
    ]
}

/// Runs one step; an error the caller must retry for (serialization, a lock that is taken)
/// rolls the transaction back, as a client would.
fn run_step(mvcc: &Mvcc, txns: &mut [Option<Transaction>], step: &Step) -> Result<()> {
    let slot = match step {
        Step::Begin(s, level) => {
            let isolation = [ReadCommitted, RepeatableRead, Serializable][*level as usize];
            if txns[*s].is_none() {
                txns[*s] = Some(mvcc.begin(isolation)?);
            }
            return Ok(());
        }
        Step::Transfer(s, ..) | Step::GoOffCall(s, _) | Step::Audit(s) => *s,
        Step::Commit(s) => return txns[*s].take().map_or(Ok(()), |t| t.commit()),
        Step::Rollback(s) => return txns[*s].take().map_or(Ok(()), |t| t.rollback()),
    };
    let Some(txn) = txns[slot].as_mut() else {
        return Ok(());
    };
    txn.new_statement();
    let result = (|| -> Result<()> {
        match *step {
            Step::Transfer(_, from, to, amount) if from != to => {
                // Lock first (NOWAIT keeps one thread from waiting on itself), then read: at
                // READ COMMITTED the lock returns the newest value, at the other levels a
                // row changed since the snapshot fails.
                let read = |txn: &mut Transaction, key: &[u8]| -> Result<u64> {
                    match txn.lock(key, LockMode::Update, WaitPolicy::NoWait)? {
                        Locked::Row(v) => Ok(number(v)),
                        Locked::Skipped => unreachable!(),
                    }
                };
                let a = read(txn, &account(from))?;
                let b = read(txn, &account(to))?;
                if a >= amount {
                    txn.set(&account(from), (a - amount).to_string().as_bytes())?;
                    txn.set(&account(to), (b + amount).to_string().as_bytes())?;
                }
            }
            Step::GoOffCall(_, d) if txn.isolation() == Serializable => {
                // Plain reads: only serializable validation protects the rule.
                let on_call: u64 = txn
                    .scan(KeyRange::prefix(b"doc"))?
                    .map(|r| r.map(|(_, v)| number(Some(v))))
                    .sum::<Result<u64>>()?;
                if on_call >= 2 {
                    match txn.lock(&doctor(d), LockMode::Update, WaitPolicy::NoWait)? {
                        Locked::Row(_) => txn.set(&doctor(d), b"0")?,
                        Locked::Skipped => unreachable!(),
                    }
                }
            }
            Step::Audit(_) => {
                let total: u64 = txn
                    .scan(KeyRange::prefix(b"acct"))?
                    .map(|r| r.map(|(_, v)| number(Some(v))))
                    .sum::<Result<u64>>()?;
                assert_eq!(
                    total,
                    ACCOUNTS as u64 * BALANCE,
                    "a snapshot saw a torn transfer"
                );
            }
            _ => {}
        }
        Ok(())
    })();
    if result.is_err() {
        txns[slot] = None;
    }
    result
}

fn check_committed(mvcc: &Mvcc) {
    let mut reader = mvcc.begin_read_only(RepeatableRead).unwrap();
    let total: u64 = reader
        .scan(KeyRange::prefix(b"acct"))
        .unwrap()
        .map(|r| number(Some(r.unwrap().1)))
        .sum();
    assert_eq!(total, ACCOUNTS as u64 * BALANCE);
    let on_call: u64 = reader
        .scan(KeyRange::prefix(b"doc"))
        .unwrap()
        .map(|r| number(Some(r.unwrap().1)))
        .sum();
    assert!(on_call >= 1, "write skew: nobody is on call");
}

fn setup_bank(mvcc: &Mvcc) {
    let mut txn = mvcc.begin(ReadCommitted).unwrap();
    for i in 0..ACCOUNTS {
        txn.set(&account(i), BALANCE.to_string().as_bytes())
            .unwrap();
    }
    for i in 0..DOCTORS {
        txn.set(&doctor(i), b"1").unwrap();
    }
    txn.commit().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Interleaves transfers, audits and doctors going off call in up to four transactions
    /// at mixed levels: every committed state keeps the bank's total, every snapshot sees a
    /// whole number of transfers, and serializable transactions never leave nobody on call.
    #[test]
    fn interleavings_keep_invariants(steps in proptest::collection::vec(step(), 1..80)) {
        let engine = Arc::new(Memory::new());
        let mvcc = open(&engine);
        setup_bank(&mvcc);
        let mut txns: Vec<Option<Transaction>> = (0..4).map(|_| None).collect();
        for (i, step) in steps.iter().enumerate() {
            match run_step(&mvcc, &mut txns, step) {
                Ok(()) => {}
                Err(Error::Serialization(_) | Error::LockNotAvailable(_)) => {}
                Err(err) => panic!("unexpected error {err}"),
            }
            check_committed(&mvcc);
            if i % 10 == 0 {
                mvcc.gc().unwrap();
            }
        }
        for txn in txns.iter_mut() {
            if let Some(t) = txn.take() {
                let _ = t.commit();
            }
        }
        check_committed(&mvcc);
    }
}

/// Real threads transfer money at REPEATABLE READ and SERIALIZABLE, waiting for locks and
/// retrying after serialization failures and deadlocks.
#[test]
fn concurrent_transfers() {
    let engine = Arc::new(Memory::new());
    let mvcc = Arc::new(open(&engine));
    setup_bank(&mvcc);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let mvcc = mvcc.clone();
            std::thread::spawn(move || {
                let isolation = if t % 2 == 0 {
                    RepeatableRead
                } else {
                    Serializable
                };
                let mut done = 0;
                let mut n = t;
                while done < 30 {
                    n = (n * 7 + 3) % 97;
                    let (from, to) = (n % ACCOUNTS, (n / ACCOUNTS) % ACCOUNTS);
                    if from == to {
                        continue;
                    }
                    let attempt = || -> Result<()> {
                        let mut txn = mvcc.begin(isolation)?;
                        let a = number(txn.get(&account(from))?);
                        let b = number(txn.get(&account(to))?);
                        if a >= 5 {
                            txn.set(&account(from), (a - 5).to_string().as_bytes())?;
                            txn.set(&account(to), (b + 5).to_string().as_bytes())?;
                        }
                        txn.commit()
                    };
                    match attempt() {
                        Ok(()) => done += 1,
                        Err(err) if err.is_retryable() => {}
                        Err(err) => panic!("unexpected error {err}"),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    check_committed(&mvcc);
    assert_eq!(mvcc.status().active_transactions, 0);
}

/// The same transfers over the LSM engine with synced commits; after the engine is closed
/// and reopened, every committed transfer is there, the oracle never hands out an old
/// timestamp again, and the bank still balances.
#[test]
fn transfers_over_lsm_survive_reopen() {
    use crate::lsm::{Lsm, Options as LsmOptions};
    let dir = tempfile::tempdir().unwrap();
    let lsm_options = || LsmOptions {
        memtable_size: 16 << 10,
        ..LsmOptions::default()
    };
    let last_version = {
        let engine: Arc<dyn Engine> = Arc::new(Lsm::open(dir.path(), lsm_options()).unwrap());
        let mvcc = Mvcc::open(engine, Options::default()).unwrap();
        setup_bank(&mvcc);
        for n in 0..200usize {
            let (from, to) = (n % ACCOUNTS, (n * 3 + 1) % ACCOUNTS);
            let mut txn = mvcc.begin(Serializable).unwrap();
            let a = number(txn.get(&account(from)).unwrap());
            let b = number(txn.get(&account(to)).unwrap());
            if from != to && a >= 1 {
                txn.set(&account(from), (a - 1).to_string().as_bytes())
                    .unwrap();
                txn.set(&account(to), (b + 1).to_string().as_bytes())
                    .unwrap();
            }
            txn.commit().unwrap();
        }
        check_committed(&mvcc);
        mvcc.version()
    };
    let engine: Arc<dyn Engine> = Arc::new(Lsm::open(dir.path(), lsm_options()).unwrap());
    let mvcc = Mvcc::open(engine, Options::default()).unwrap();
    check_committed(&mvcc);
    let txn = mvcc.begin(RepeatableRead).unwrap();
    assert!(
        txn.snapshot() >= last_version,
        "timestamps go backwards after a restart"
    );
}
