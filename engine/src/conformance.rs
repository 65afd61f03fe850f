//! The conformance suite every engine passes, and the randomized model test that runs an
//! engine beside [`Memory`] and fails on the first difference.
//!
//! An engine joins with `conformance_tests!(module_name, || harness)`, where the harness
//! implements [`Harness`]: it hands out the engine and can reopen and compact it, so the
//! suite also checks that nothing is lost across a restart.

use std::ops::Bound;

use proptest::prelude::*;

use crate::engine::{Engine, KeyRange, KeyValue, WriteBatch};
use crate::error::Result;
use crate::memory::Memory;

/// An engine under test, with the lifecycle operations the suite drives.
pub trait Harness {
    /// The engine.
    fn engine(&self) -> &dyn Engine;
    /// Closes and opens the engine again from its files (a no-op for in-memory engines).
    fn reopen(&mut self);
    /// Runs whatever background maintenance the engine has to completion.
    fn compact(&mut self);
}

/// The harness of the reference engine.
pub struct MemoryHarness(pub Memory);

impl Harness for MemoryHarness {
    fn engine(&self) -> &dyn Engine {
        &self.0
    }
    fn reopen(&mut self) {}
    fn compact(&mut self) {}
}

/// Collects a scan.
pub fn collect(iter: Result<crate::ScanIter>) -> Vec<KeyValue> {
    iter.expect("scan")
        .collect::<Result<Vec<_>>>()
        .expect("scan item")
}

fn kv(k: &[u8], v: &[u8]) -> KeyValue {
    (k.to_vec(), v.to_vec())
}

pub fn point_ops(h: &mut dyn Harness) {
    let e = h.engine();
    assert_eq!(e.get(b"a").unwrap(), None);
    e.set(b"a", b"1").unwrap();
    e.set(b"b", b"2").unwrap();
    e.set(b"", b"empty key").unwrap();
    e.set(b"c", b"").unwrap();
    assert_eq!(e.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(e.get(b"").unwrap(), Some(b"empty key".to_vec()));
    assert_eq!(e.get(b"c").unwrap(), Some(vec![]));
    e.set(b"a", b"11").unwrap();
    assert_eq!(e.get(b"a").unwrap(), Some(b"11".to_vec()));
    e.delete(b"a").unwrap();
    e.delete(b"never").unwrap();
    assert_eq!(e.get(b"a").unwrap(), None);
    h.reopen();
    let e = h.engine();
    assert_eq!(e.get(b"a").unwrap(), None);
    assert_eq!(e.get(b"b").unwrap(), Some(b"2".to_vec()));
    assert_eq!(e.get(b"c").unwrap(), Some(vec![]));
    assert_eq!(e.get(b"").unwrap(), Some(b"empty key".to_vec()));
}

pub fn scans(h: &mut dyn Harness) {
    let e = h.engine();
    for k in [&b"a"[..], b"b", b"ba", b"bb", b"c", b"\xff", b"\xff\xff"] {
        e.set(k, &[k, b"!"].concat()).unwrap();
    }
    let all = collect(e.scan(KeyRange::all()));
    assert_eq!(all.len(), 7);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    let rev = collect(e.scan_rev(KeyRange::all()));
    assert_eq!(rev, all.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(
        collect(e.scan_prefix(b"b")),
        vec![kv(b"b", b"b!"), kv(b"ba", b"ba!"), kv(b"bb", b"bb!")]
    );
    assert_eq!(
        collect(e.scan_prefix(b"\xff")),
        vec![kv(b"\xff", b"\xff!"), kv(b"\xff\xff", b"\xff\xff!")]
    );
    let r = KeyRange {
        start: Bound::Excluded(b"b".to_vec()),
        end: Bound::Included(b"c".to_vec()),
    };
    assert_eq!(
        collect(e.scan(r.clone())),
        vec![kv(b"ba", b"ba!"), kv(b"bb", b"bb!"), kv(b"c", b"c!")]
    );
    assert_eq!(
        collect(e.scan_rev(r)),
        vec![kv(b"c", b"c!"), kv(b"bb", b"bb!"), kv(b"ba", b"ba!")]
    );
    let empty = KeyRange {
        start: Bound::Included(b"c".to_vec()),
        end: Bound::Excluded(b"c".to_vec()),
    };
    assert!(collect(e.scan(empty.clone())).is_empty());
    assert!(collect(e.scan_rev(empty)).is_empty());
    let crossed = KeyRange {
        start: Bound::Included(b"d".to_vec()),
        end: Bound::Included(b"a".to_vec()),
    };
    assert!(collect(e.scan(crossed)).is_empty());
    h.reopen();
    assert_eq!(collect(h.engine().scan(KeyRange::all())), all);
}

pub fn scan_is_a_snapshot(h: &mut dyn Harness) {
    let e = h.engine();
    for i in 0..100u32 {
        e.set(&i.to_be_bytes(), b"old").unwrap();
    }
    let mut iter = e.scan(KeyRange::all()).unwrap();
    let first = iter.next().unwrap().unwrap();
    for i in 0..100u32 {
        e.set(&i.to_be_bytes(), b"new").unwrap();
    }
    e.set(&1000u32.to_be_bytes(), b"new").unwrap();
    let rest: Vec<_> = iter.collect::<Result<_>>().unwrap();
    assert_eq!(first.1, b"old");
    assert_eq!(rest.len(), 99);
    assert!(rest.iter().all(|(_, v)| v == b"old"));
}

pub fn batches(h: &mut dyn Harness) {
    let e = h.engine();
    let mut b = WriteBatch::new();
    b.set(b"x", b"1")
        .set(b"y", b"2")
        .delete(b"x")
        .set(b"z", b"3")
        .set(b"y", b"22");
    e.write(b).unwrap();
    assert_eq!(e.get(b"x").unwrap(), None);
    assert_eq!(e.get(b"y").unwrap(), Some(b"22".to_vec()));
    // An invalid batch changes nothing, not even its valid part.
    let mut bad = WriteBatch::new();
    bad.set(b"w", b"1")
        .set(vec![0u8; crate::engine::MAX_KEY_SIZE + 1], b"x");
    assert!(matches!(e.write(bad), Err(crate::Error::InvalidInput(_))));
    assert_eq!(e.get(b"w").unwrap(), None);
    let mut big = WriteBatch::new();
    big.set(b"w", vec![0u8; crate::engine::MAX_VALUE_SIZE + 1]);
    assert!(e.write(big).is_err());
    e.write(WriteBatch::new()).unwrap();
    h.reopen();
    let e = h.engine();
    assert_eq!(e.get(b"y").unwrap(), Some(b"22".to_vec()));
    assert_eq!(e.get(b"z").unwrap(), Some(b"3".to_vec()));
    assert_eq!(e.get(b"w").unwrap(), None);
}

pub fn range_deletes(h: &mut dyn Harness) {
    let e = h.engine();
    for i in 0..1000u32 {
        e.set(&i.to_be_bytes(), &i.to_le_bytes()).unwrap();
    }
    h.compact();
    let e = h.engine();
    e.delete_range(&100u32.to_be_bytes(), &900u32.to_be_bytes())
        .unwrap();
    assert_eq!(
        e.get(&99u32.to_be_bytes()).unwrap(),
        Some(99u32.to_le_bytes().to_vec())
    );
    assert_eq!(e.get(&100u32.to_be_bytes()).unwrap(), None);
    assert_eq!(e.get(&899u32.to_be_bytes()).unwrap(), None);
    assert_eq!(
        e.get(&900u32.to_be_bytes()).unwrap(),
        Some(900u32.to_le_bytes().to_vec())
    );
    // A key written after the range delete is visible again.
    e.set(&500u32.to_be_bytes(), b"back").unwrap();
    let check = |e: &dyn Engine| {
        let keys: Vec<u32> = collect(e.scan(KeyRange::all()))
            .into_iter()
            .map(|(k, _)| u32::from_be_bytes(k.try_into().unwrap()))
            .collect();
        let want: Vec<u32> = (0..100).chain([500]).chain(900..1000).collect();
        assert_eq!(keys, want);
        let rev: Vec<u32> = collect(e.scan_rev(KeyRange::all()))
            .into_iter()
            .map(|(k, _)| u32::from_be_bytes(k.try_into().unwrap()))
            .collect();
        assert_eq!(rev, want.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(
            e.get(&500u32.to_be_bytes()).unwrap(),
            Some(b"back".to_vec())
        );
    };
    check(h.engine());
    h.reopen();
    check(h.engine());
    h.compact();
    check(h.engine());
    // An empty or reversed range deletes nothing.
    h.engine().delete_range(b"\xff", b"\x00").unwrap();
    check(h.engine());
}

pub fn status_counts(h: &mut dyn Harness) {
    let e = h.engine();
    for i in 0..50u32 {
        e.set(&i.to_be_bytes(), b"v").unwrap();
    }
    e.flush().unwrap();
    let s = e.status().unwrap();
    assert!(!s.name.is_empty());
    assert!(
        s.keys >= 50,
        "status counts at least the keys written: {s:?}"
    );
}

/// One step of the model test.
#[derive(Clone, Debug)]
pub enum Step {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    DeleteRange(Vec<u8>, Vec<u8>),
    Batch(Vec<(Vec<u8>, Option<Vec<u8>>)>),
    Get(Vec<u8>),
    Scan(Bound<Vec<u8>>, Bound<Vec<u8>>, bool),
    Flush,
    Compact,
    Reopen,
}

fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    // A small alphabet so that keys collide, overwrite and share prefixes.
    proptest::collection::vec(
        prop_oneof![Just(0u8), Just(1), Just(b'a'), Just(b'b'), Just(0xff)],
        0..5,
    )
}

fn bound_strategy() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => key_strategy().prop_map(Bound::Included),
        2 => key_strategy().prop_map(Bound::Excluded),
    ]
}

/// Random steps, mostly writes and reads, with the occasional flush, compaction and reopen.
pub fn step_strategy() -> impl Strategy<Value = Step> {
    let value = proptest::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        40 => (key_strategy(), value.clone()).prop_map(|(k, v)| Step::Set(k, v)),
        10 => key_strategy().prop_map(Step::Delete),
        2 => (key_strategy(), key_strategy()).prop_map(|(a, b)| Step::DeleteRange(a, b)),
        6 => proptest::collection::vec((key_strategy(), proptest::option::of(value)), 1..8)
            .prop_map(Step::Batch),
        25 => key_strategy().prop_map(Step::Get),
        8 => (bound_strategy(), bound_strategy(), any::<bool>()).prop_map(|(s, e, r)| Step::Scan(s, e, r)),
        1 => Just(Step::Flush),
        1 => Just(Step::Compact),
        1 => Just(Step::Reopen),
    ]
}

/// Runs `steps` against the harness and against `Memory`, failing on the first difference.
pub fn run_model(h: &mut dyn Harness, steps: &[Step]) -> std::result::Result<(), TestCaseError> {
    let model = Memory::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Set(k, v) => {
                h.engine().set(k, v).unwrap();
                model.set(k, v).unwrap();
            }
            Step::Delete(k) => {
                h.engine().delete(k).unwrap();
                model.delete(k).unwrap();
            }
            Step::DeleteRange(a, b) => {
                h.engine().delete_range(a, b).unwrap();
                model.delete_range(a, b).unwrap();
            }
            Step::Batch(ops) => {
                let mut batch = WriteBatch::new();
                for (k, v) in ops {
                    match v {
                        Some(v) => batch.set(k.clone(), v.clone()),
                        None => batch.delete(k.clone()),
                    };
                }
                h.engine().write(batch.clone()).unwrap();
                model.write(batch).unwrap();
            }
            Step::Get(k) => {
                prop_assert_eq!(
                    h.engine().get(k).unwrap(),
                    model.get(k).unwrap(),
                    "step {}: get {:?}",
                    i,
                    k
                );
            }
            Step::Scan(s, e, rev) => {
                let range = KeyRange {
                    start: s.clone(),
                    end: e.clone(),
                };
                let (got, want) = if *rev {
                    (
                        collect(h.engine().scan_rev(range.clone())),
                        collect(model.scan_rev(range)),
                    )
                } else {
                    (
                        collect(h.engine().scan(range.clone())),
                        collect(model.scan(range)),
                    )
                };
                prop_assert_eq!(got, want, "step {}: {:?}", i, step);
            }
            Step::Flush => h.engine().flush().unwrap(),
            Step::Compact => h.compact(),
            Step::Reopen => h.reopen(),
        }
    }
    let all = collect(h.engine().scan(KeyRange::all()));
    prop_assert_eq!(all, collect(model.scan(KeyRange::all())), "final contents");
    Ok(())
}

/// Model-test cases to run: 256 by default, more through `ANCHOR_MODEL_CASES`.
pub fn model_cases() -> u32 {
    std::env::var("ANCHOR_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Generates the conformance tests and the model test for one engine.
#[macro_export]
macro_rules! conformance_tests {
    ($name:ident, $setup:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::conformance::{model_cases, run_model, step_strategy};

            #[test]
            fn point_ops() {
                $crate::conformance::point_ops(&mut $setup());
            }
            #[test]
            fn scans() {
                $crate::conformance::scans(&mut $setup());
            }
            #[test]
            fn scan_is_a_snapshot() {
                $crate::conformance::scan_is_a_snapshot(&mut $setup());
            }
            #[test]
            fn batches() {
                $crate::conformance::batches(&mut $setup());
            }
            #[test]
            fn range_deletes() {
                $crate::conformance::range_deletes(&mut $setup());
            }
            #[test]
            fn status_counts() {
                $crate::conformance::status_counts(&mut $setup());
            }

            proptest::proptest! {
                #![proptest_config(proptest::prelude::ProptestConfig { cases: model_cases(), ..proptest::prelude::ProptestConfig::default() })]
                #[test]
                fn model(steps in proptest::collection::vec(step_strategy(), 5000)) {
                    run_model(&mut $setup(), &steps)?;
                }
            }
        }
    };
}

conformance_tests!(memory, || MemoryHarness(Memory::new()));
