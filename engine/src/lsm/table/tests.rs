use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::engine::KeyRange;
use crate::error::Error;

fn options(block_size: usize, compression: bool) -> TableOptions {
    TableOptions {
        block_size,
        compression: compression.then_some(3),
        min_compress_size: 64,
        bloom_bits_per_key: 10,
    }
}

/// Builds a table file at `path` and opens it with a fresh cache and stats.
fn build(
    path: &Path,
    entries: &[Entry],
    tombstones: &[RangeTombstone],
    options: TableOptions,
) -> (Arc<Table>, TableMeta) {
    let mut builder = TableBuilder::new(options);
    for e in entries {
        builder
            .add(&e.key, e.seq, e.value.as_deref())
            .expect("in order");
    }
    for t in tombstones {
        builder.add_range_tombstone(t.clone());
    }
    let meta = builder.finish(7, path).expect("finish");
    let table = Table::open(7, path, BlockCache::new(1 << 20), Arc::default()).expect("open");
    (table, meta)
}

/// Random entries in table order: many versions per key, tombstones, an empty key, empty
/// and large values.
fn random_entries(rng: &mut StdRng, keys: usize) -> Vec<Entry> {
    let mut keys: Vec<Vec<u8>> = (0..keys)
        .map(|_| {
            let len = rng.random_range(0..12);
            (0..len).map(|_| b"abcd"[rng.random_range(0..4)]).collect()
        })
        .collect();
    keys.push(Vec::new());
    keys.sort();
    keys.dedup();
    let mut entries = Vec::new();
    for key in keys {
        let versions = rng.random_range(1..5);
        let mut seq = rng.random_range(versions..1000);
        for _ in 0..versions {
            let value = match rng.random_range(0..10) {
                0 => None,
                1 => Some(Vec::new()),
                2 if rng.random_bool(0.1) => {
                    Some(vec![rng.random(); rng.random_range(5000..12000)])
                }
                _ => Some((0..rng.random_range(0..40)).map(|_| rng.random()).collect()),
            };
            entries.push(Entry {
                key: key.clone(),
                seq,
                value,
            });
            seq -= 1;
        }
    }
    entries
}

fn newest(entries: &[Entry], key: &[u8]) -> Option<Entry> {
    entries.iter().find(|e| e.key == key).cloned()
}

/// What a scan must return: the entries in `range`, by key in the scan's direction and
/// newest first within a key.
fn expected_scan(entries: &[Entry], range: &KeyRange, reverse: bool) -> Vec<Entry> {
    let forward: Vec<Entry> = entries
        .iter()
        .filter(|e| range.contains(&e.key))
        .cloned()
        .collect();
    if !reverse {
        return forward;
    }
    let mut groups: Vec<Vec<Entry>> = Vec::new();
    for e in forward {
        match groups.last_mut() {
            Some(group) if group[0].key == e.key => group.push(e),
            _ => groups.push(vec![e]),
        }
    }
    groups.into_iter().rev().flatten().collect()
}

fn scan(table: &Arc<Table>, range: KeyRange, reverse: bool) -> Vec<Entry> {
    table
        .iter(range, reverse)
        .collect::<Result<Vec<_>>>()
        .expect("scan")
}

#[test]
fn get_returns_the_newest_version() {
    for compression in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let entries = random_entries(&mut rng, 2000);
        let tombstones = vec![RangeTombstone {
            start: b"b".to_vec(),
            end: b"bb".to_vec(),
            seq: 5,
        }];
        let path = dir.path().join("1.sst");
        let (table, meta) = build(&path, &entries, &tombstones, options(4096, compression));
        assert_eq!(table.meta(), &meta);
        assert_eq!(meta.entries, entries.len() as u64);
        assert_eq!(meta.range_tombstones, 1);
        assert_eq!(meta.smallest, b"");
        assert_eq!(meta.largest, entries.last().unwrap().key);
        assert_eq!(meta.file_size, std::fs::metadata(&path).unwrap().len());
        assert_eq!(table.range_tombstones(), tombstones.as_slice());
        for e in &entries {
            assert_eq!(table.get(&e.key).unwrap(), newest(&entries, &e.key));
        }
        let mut absent = 0;
        for e in entries.iter().step_by(2) {
            let mut key = e.key.clone();
            key.push(b'x');
            if key < meta.largest {
                absent += 1;
                assert_eq!(table.get(&key).unwrap(), None);
            }
        }
        let negatives = table.stats.bloom_negatives.load(Ordering::Relaxed);
        assert!(negatives * 100 >= absent * 95, "{negatives} of {absent}");
        table.verify().unwrap();
        assert_eq!(scan(&table, KeyRange::all(), false), entries);

        // Reopening from disk with a cold cache reads the same.
        drop(table);
        let stats: Arc<TableStats> = Arc::default();
        let table = Table::open(7, &path, BlockCache::new(1 << 20), stats.clone()).unwrap();
        assert_eq!(table.meta(), &meta);
        assert_eq!(
            scan(&table, KeyRange::all(), true),
            expected_scan(&entries, &KeyRange::all(), true)
        );
        assert_eq!(stats.corruptions.load(Ordering::Relaxed), 0);
    }
}

#[test]
fn compression_shrinks_compressible_tables() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<Entry> = (0..2000u32)
        .map(|i| Entry {
            key: format!("key{i:06}").into_bytes(),
            seq: 1,
            value: Some(vec![b'v'; 100]),
        })
        .collect();
    let (plain, _) = build(&dir.path().join("a"), &entries, &[], options(4096, false));
    let (small, _) = build(&dir.path().join("b"), &entries, &[], options(4096, true));
    assert!(small.meta().file_size * 3 < plain.meta().file_size);
    assert_eq!(scan(&small, KeyRange::all(), false), entries);
    small.verify().unwrap();
}

#[test]
fn block_cache_counts_hits_and_misses() {
    let dir = tempfile::tempdir().unwrap();
    let entries = random_entries(&mut StdRng::seed_from_u64(2), 3000);
    let path = dir.path().join("t");
    build(&path, &entries, &[], options(1024, false));
    let stats: Arc<TableStats> = Arc::default();
    let cache = BlockCache::new(16 * 1024);
    let table = Table::open(1, &path, cache.clone(), stats.clone()).unwrap();
    assert!(table.block_count() > 20);
    let key = &entries[0].key;
    table.get(key).unwrap();
    assert_eq!(stats.block_cache_misses.load(Ordering::Relaxed), 1);
    table.get(key).unwrap();
    assert_eq!(stats.block_cache_hits.load(Ordering::Relaxed), 1);
    assert_eq!(scan(&table, KeyRange::all(), false), entries);
    assert!(cache.used_bytes() <= 16 * 1024 && cache.used_bytes() > 0);
    let misses = stats.block_cache_misses.load(Ordering::Relaxed);
    assert!(misses as usize >= table.block_count());
    cache.remove_table(1);
    assert_eq!(cache.used_bytes(), 0);
}

#[test]
fn out_of_order_input_is_rejected() {
    let mut builder = TableBuilder::new(TableOptions::default());
    builder.add(b"b", 5, Some(b"x")).unwrap();
    builder.add(b"b", 4, None).unwrap();
    for (key, seq) in [(&b"a"[..], 9), (b"b", 4), (b"b", 6)] {
        assert!(matches!(
            builder.add(key, seq, None),
            Err(Error::InvalidInput(_))
        ));
    }
    builder.add(b"c", 9, None).unwrap();
}

#[test]
fn empty_and_tombstone_only_tables() {
    let dir = tempfile::tempdir().unwrap();
    let builder = TableBuilder::new(TableOptions::default());
    assert!(builder.is_empty());
    let (table, meta) = build(&dir.path().join("e"), &[], &[], TableOptions::default());
    assert_eq!((meta.entries, meta.smallest.len(), meta.max_seq), (0, 0, 0));
    assert_eq!(table.get(b"").unwrap(), None);
    assert!(scan(&table, KeyRange::all(), true).is_empty());
    table.verify().unwrap();

    let tombstones = [
        RangeTombstone {
            start: b"m".to_vec(),
            end: b"p".to_vec(),
            seq: 3,
        },
        RangeTombstone {
            start: b"c".to_vec(),
            end: b"f".to_vec(),
            seq: 8,
        },
        RangeTombstone {
            start: b"z".to_vec(),
            end: b"z".to_vec(),
            seq: 9,
        },
    ];
    let (table, meta) = build(
        &dir.path().join("t"),
        &[],
        &tombstones,
        TableOptions::default(),
    );
    assert_eq!(
        (meta.smallest.as_slice(), meta.largest.as_slice()),
        (&b"c"[..], &b"p"[..])
    );
    assert_eq!(
        (meta.min_seq, meta.max_seq, meta.range_tombstones),
        (3, 8, 2)
    );
    assert_eq!(table.range_tombstones()[0].start, b"c");
    assert_eq!(table.get(b"d").unwrap(), None);
}

#[test]
fn bad_magic_and_version_are_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t");
    let entries = random_entries(&mut StdRng::seed_from_u64(3), 10);
    build(&path, &entries, &[], TableOptions::default());
    let good = std::fs::read(&path).unwrap();
    let footer = good.len() - FOOTER_SIZE;
    let open = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        Table::open(1, &path, BlockCache::new(0), Arc::default()).unwrap_err()
    };
    let mut bytes = good.clone();
    bytes[footer + 48] = 2;
    let crc = footer_crc(&bytes[footer..]);
    bytes[footer + 52..footer + 56].copy_from_slice(&crc.to_le_bytes());
    assert!(open(&bytes).to_string().contains("version 2"));
    let mut bytes = good.clone();
    bytes[good.len() - 1] ^= 1;
    assert!(open(&bytes).to_string().contains("magic"));
    let err = open(b"not a table");
    assert_eq!(err, Error::corruption(&path, err_detail(&err)));
}

fn err_detail(err: &Error) -> String {
    match err {
        Error::Corruption { detail, .. } => detail.clone(),
        other => panic!("not a corruption: {other}"),
    }
}

/// How a damaged table fared.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// `open` reported corruption.
    OpenFailed,
    /// Opened; some read or the scrub reported corruption, every other read was correct.
    ReadFailed,
    /// Every read and the scrub succeeded with the right data.
    Intact,
}

/// Checks that a damaged file either reads correctly or reports corruption naming it.
fn check_damaged(
    path: &Path,
    entries: &[Entry],
    tombstones: &[RangeTombstone],
    meta: &TableMeta,
) -> Outcome {
    let is_corruption = |err: &Error| matches!(err, Error::Corruption { path: p, .. } if p == path);
    let stats: Arc<TableStats> = Arc::default();
    let table = match Table::open(meta.id, path, BlockCache::new(1 << 20), stats.clone()) {
        Ok(table) => table,
        Err(err) => {
            assert!(is_corruption(&err), "{err}");
            assert_eq!(stats.corruptions.load(Ordering::Relaxed), 1);
            return Outcome::OpenFailed;
        }
    };
    assert_eq!(
        table.meta(),
        &TableMeta {
            file_size: table.meta().file_size,
            ..meta.clone()
        }
    );
    assert_eq!(table.range_tombstones(), tombstones);
    for e in entries {
        match table.get(&e.key) {
            Ok(found) => assert_eq!(found, newest(entries, &e.key)),
            Err(err) => assert!(is_corruption(&err), "{err}"),
        }
    }
    for reverse in [false, true] {
        let expected = expected_scan(entries, &KeyRange::all(), reverse);
        let mut count = 0;
        for item in table.iter(KeyRange::all(), reverse) {
            match item {
                Ok(entry) => assert_eq!(Some(&entry), expected.get(count)),
                Err(err) => {
                    assert!(is_corruption(&err), "{err}");
                    count = expected.len();
                    break;
                }
            }
            count += 1;
        }
        assert_eq!(count, expected.len());
    }
    if let Err(err) = table.verify() {
        assert!(is_corruption(&err), "{err}");
    }
    match stats.corruptions.load(Ordering::Relaxed) {
        0 => Outcome::Intact,
        _ => Outcome::ReadFailed,
    }
}

#[test]
fn damaged_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(4);
    for compression in [false, true] {
        let entries: Vec<Entry> = random_entries(&mut rng, 40)
            .into_iter()
            .filter(|e| e.value.as_ref().is_none_or(|v| v.len() < 100))
            .map(|e| Entry {
                value: e.value.map(|v| vec![b'v'; v.len()]),
                ..e
            })
            .collect();
        let tombstones = vec![RangeTombstone {
            start: b"a".to_vec(),
            end: b"c".to_vec(),
            seq: 2000,
        }];
        let path = dir.path().join("good");
        let (_, meta) = build(&path, &entries, &tombstones, options(256, compression));
        let table = Table::open(1, &path, BlockCache::new(0), Arc::default()).unwrap();
        assert!(table.block_count() > 3);
        assert_eq!(table.index.iter().any(|e| e.compressed), compression);
        drop(table);
        let good = std::fs::read(&path).unwrap();
        assert!(good.len() < 8000, "{} bytes", good.len());
        let damaged = dir.path().join("damaged");
        let mut outcomes = [0; 3];
        for pos in 0..good.len() {
            let mut bytes = good.clone();
            bytes[pos] ^= 1 << rng.random_range(0..8);
            std::fs::write(&damaged, &bytes).unwrap();
            // Every byte is under a checksum, so a flipped bit never goes unnoticed.
            match check_damaged(&damaged, &entries, &tombstones, &meta) {
                Outcome::OpenFailed => outcomes[0] += 1,
                Outcome::ReadFailed => outcomes[1] += 1,
                Outcome::Intact => panic!("bit flip at {pos} went unnoticed"),
            }
        }
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
        for _ in 0..200 {
            let mut bytes = good.clone();
            let pos = rng.random_range(0..bytes.len() - 8);
            rng.fill(&mut bytes[pos..pos + 8]);
            std::fs::write(&damaged, &bytes).unwrap();
            let outcome = check_damaged(&damaged, &entries, &tombstones, &meta);
            assert!(bytes != good || outcome == Outcome::Intact);
        }
        let n = good.len();
        for len in [0, 1, 10, 63, 64, 65, n / 2, n - 65, n - 64, n - 63, n - 1] {
            std::fs::write(&damaged, &good[..len]).unwrap();
            let err = Table::open(1, &damaged, BlockCache::new(0), Arc::default()).unwrap_err();
            assert_eq!(err, Error::corruption(&damaged, err_detail(&err)));
        }
    }
}

fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'c']), 0..5)
}

fn bound_strategy() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        Just(Bound::Unbounded),
        key_strategy().prop_map(Bound::Included),
        key_strategy().prop_map(Bound::Excluded),
    ]
}

fn entries_strategy() -> impl Strategy<Value = Vec<Entry>> {
    let value = prop_oneof![
        3 => Just(None),
        10 => prop::collection::vec(any::<u8>(), 0..20).prop_map(Some),
        1 => prop::collection::vec(any::<u8>(), 0..600).prop_map(Some),
    ];
    prop::collection::vec((key_strategy(), 1u64..40, value), 0..300).prop_map(|mut raw| {
        raw.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        raw.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        raw.into_iter()
            .map(|(key, seq, value)| Entry { key, seq, value })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn scans_match_the_model(
        entries in entries_strategy(),
        block_size in prop::sample::select(vec![64usize, 200, 4096]),
        compression in any::<bool>(),
        ranges in prop::collection::vec((bound_strategy(), bound_strategy()), 1..20),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (table, _) = build(&dir.path().join("t"), &entries, &[], options(block_size, compression));
        for (start, end) in ranges {
            let range = KeyRange { start, end };
            for reverse in [false, true] {
                prop_assert_eq!(
                    scan(&table, range.clone(), reverse),
                    expected_scan(&entries, &range, reverse),
                    "range {:?} reverse {}", range, reverse
                );
            }
        }
        for e in &entries {
            prop_assert_eq!(table.get(&e.key).unwrap(), newest(&entries, &e.key));
        }
        table.verify().unwrap();
    }
}

#[test]
fn tables_and_iterators_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<Table>();
    assert_send_sync::<BlockCache>();
    assert_send::<TableIter>();
}
