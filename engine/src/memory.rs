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
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let items: Vec<_> = self
            .data
            .read()
            .range::<[u8], _>(range.as_bounds())
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        Ok(Box::new(items.into_iter()))
    }

    fn scan_rev(&self, range: KeyRange) -> Result<ScanIter> {
        if range.is_empty() {
            return Ok(Box::new(std::iter::empty()));
        }
        let items: Vec<_> = self
            .data
            .read()
            .range::<[u8], _>(range.as_bounds())
            .rev()
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        Ok(Box::new(items.into_iter()))
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
