//! Timestamps: the [`Oracle`] trait and the local, persisted [`LocalOracle`].

use std::sync::Arc;

use parking_lot::Mutex;

use super::key;
use crate::engine::{Engine, WriteBatch};
use crate::error::{Error, Result};

/// Hands out the 64-bit timestamps that stamp committed versions.
///
/// Timestamps must grow strictly, also across restarts: every timestamp returned is greater
/// than every timestamp returned before, so a new commit sorts after every version already
/// stored. One node uses [`LocalOracle`]; a cluster will use a replicated oracle.
pub trait Oracle: Send + Sync {
    /// Returns a timestamp greater than every one returned before.
    fn next(&self) -> Result<u64>;
}

/// How many timestamps [`LocalOracle`] reserves with one synced write.
const BLOCK: u64 = 1024;

/// A counter persisted in the engine it serves. Timestamps are reserved in blocks: the upper
/// end of the current block is written (synced) before any timestamp of it is handed out, so
/// after a crash the counter restarts past every timestamp that may have been used.
pub struct LocalOracle {
    engine: Arc<dyn Engine>,
    /// The next timestamp and the end (excluded) of the reserved block.
    state: Mutex<(u64, u64)>,
}

impl LocalOracle {
    /// Opens the counter stored in `engine`.
    pub fn open(engine: Arc<dyn Engine>) -> Result<Self> {
        let reserved = match engine.get(&key::meta("oracle"))? {
            None => 1,
            Some(raw) => {
                let bytes: [u8; 8] = raw
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::corruption("mvcc", "invalid oracle counter"))?;
                u64::from_be_bytes(bytes).max(1)
            }
        };
        Ok(LocalOracle {
            engine,
            state: Mutex::new((reserved, reserved)),
        })
    }
}

impl Oracle for LocalOracle {
    fn next(&self) -> Result<u64> {
        let mut state = self.state.lock();
        let (next, limit) = *state;
        if next >= limit {
            let limit = next
                .checked_add(BLOCK)
                .ok_or_else(|| Error::InvalidInput("timestamps exhausted".into()))?;
            let mut batch = WriteBatch::new();
            batch.set(key::meta("oracle"), limit.to_be_bytes().to_vec());
            batch.sync = Some(true);
            self.engine.write(batch)?;
            state.1 = limit;
        }
        state.0 = next + 1;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Memory;

    #[test]
    fn grows_across_reopen() {
        let engine: Arc<dyn Engine> = Arc::new(Memory::new());
        let oracle = LocalOracle::open(engine.clone()).unwrap();
        let a = oracle.next().unwrap();
        let b = oracle.next().unwrap();
        assert!(a >= 1 && b > a);
        let reopened = LocalOracle::open(engine).unwrap();
        assert!(reopened.next().unwrap() > b);
    }
}
