//! The reference engine: a `BTreeMap` behind a lock. Every other engine is tested against it.

use std::collections::BTreeMap;

use parking_lot::RwLock;

use crate::engine::{Engine, KeyRange, Op, ScanIter, Status, WriteBatch};
use crate::error::Result;

/// An in-memory engine. Nothing survives the process; `flush` does nothing.
#[derive(Default)]
pub struct Memory {
    data: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl Memory {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Memory {
    /// Copies the pairs in `range` out, so the scan is a snapshot that holds no lock.
    fn collect_range(&self, range: &KeyRange, reverse: bool) -> ScanIter {
        if range.is_empty() {
            return Box::new(std::iter::empty());
        }
        let data = self.data.read();
        let items = data
            .range::<[u8], _>(range.as_bounds())
            .map(|(k, v)| Ok((k.clone(), v.clone())));
        let items: Vec<_> = if reverse {
            items.rev().collect()
        } else {
            items.collect()
        };
        Box::new(items.into_iter())
    }
}

impl Engine for Memory {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.data.read().get(key).cloned())
    }

    fn write(&self, batch: WriteBatch) -> Result<()> {
        batch.validate()?;
        let mut data = self.data.write();
        for op in batch.ops {
            match op {
                Op::Set { key, value } => {
                    data.insert(key, value);
                }
                Op::Delete { key } => {
                    data.remove(&key);
                }
                Op::DeleteRange { start, end } => {
                    if start < end {
                        let mut tail = data.split_off(&start);
                        let mut rest = tail.split_off(&end);
                        data.append(&mut rest);
                    }
                }
            }
        }
        Ok(())
    }

    fn scan(&self, range: KeyRange) -> Result<ScanIter> {
        Ok(self.collect_range(&range, false))
    }

    fn scan_rev(&self, range: KeyRange) -> Result<ScanIter> {
        Ok(self.collect_range(&range, true))
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn status(&self) -> Result<Status> {
        let data = self.data.read();
        Ok(Status {
            name: "memory".into(),
            keys: data.len() as u64,
            size: data.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum(),
            ..Status::default()
        })
    }
}
