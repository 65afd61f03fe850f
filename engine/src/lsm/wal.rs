//! The write-ahead log: every write batch is appended here, in a [`log`](super::log) record,
//! before it reaches the memtable.
//!
//! ```text
//! payload: first seq u64 | op count u32 | op ...
//! op:      kind u8 (1 set, 2 delete, 3 delete range) | len u32 | key | len u32 | value or range end
//! ```
//! Each op of a batch takes the next sequence number, so a later op of the same batch wins
//! over an earlier one on the same key. One log file belongs to one memtable; it is deleted
//! once that memtable is flushed into a sorted table.

use std::path::{Path, PathBuf};

use super::log::{self, Reader, put_bytes};
use crate::engine::Op;
use crate::error::{Error, Result};

/// The magic number that opens a log file.
pub const MAGIC: &[u8; 4] = b"AWAL";

const OP_SET: u8 = 1;
const OP_DELETE: u8 = 2;
const OP_DELETE_RANGE: u8 = 3;

/// The path of log file `id` in `dir`.
pub fn path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:06}.wal"))
}

/// Appends the record of one batch, whose first op takes sequence number `seq`, to `out`.
pub fn encode_record(out: &mut Vec<u8>, seq: u64, ops: &[Op]) {
    let start = log::begin_frame(out);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&(ops.len() as u32).to_le_bytes());
    for op in ops {
        match op {
            Op::Set { key, value } => {
                out.push(OP_SET);
                put_bytes(out, key);
                put_bytes(out, value);
            }
            Op::Delete { key } => {
                out.push(OP_DELETE);
                put_bytes(out, key);
            }
            Op::DeleteRange { start, end } => {
                out.push(OP_DELETE_RANGE);
                put_bytes(out, start);
                put_bytes(out, end);
            }
        }
    }
    log::finish_frame(out, start);
}

/// One batch read back from the log.
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    /// Sequence number of the first op.
    pub seq: u64,
    /// The ops.
    pub ops: Vec<Op>,
}

/// What reading a log found.
#[derive(Debug, Default)]
pub struct Replay {
    /// The whole records, in order.
    pub records: Vec<Record>,
    /// Bytes of a torn tail that were cut off.
    pub cut_bytes: u64,
}

/// Reads log file `path`. If `newest` (no later log exists), a torn tail is cut off the file;
/// otherwise any damage is corruption.
pub fn replay(path: &Path, newest: bool) -> Result<Replay> {
    let contents = log::read(path, MAGIC, newest)?;
    let mut records = Vec::with_capacity(contents.records.len());
    for (i, payload) in contents.records.iter().enumerate() {
        let record = decode_payload(payload)
            .ok_or_else(|| Error::corruption(path, format!("malformed record number {i}")))?;
        records.push(record);
    }
    Ok(Replay {
        records,
        cut_bytes: contents.cut_bytes,
    })
}

fn decode_payload(payload: &[u8]) -> Option<Record> {
    let mut r = Reader(payload);
    let seq = r.u64()?;
    let count = r.u32()? as usize;
    let mut ops = Vec::with_capacity(count.min(payload.len()));
    for _ in 0..count {
        ops.push(match r.u8()? {
            OP_SET => Op::Set {
                key: r.bytes()?,
                value: r.bytes()?,
            },
            OP_DELETE => Op::Delete { key: r.bytes()? },
            OP_DELETE_RANGE => Op::DeleteRange {
                start: r.bytes()?,
                end: r.bytes()?,
            },
            _ => return None,
        });
    }
    r.is_empty().then_some(Record { seq, ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(i: u8) -> Vec<Op> {
        vec![
            Op::Set {
                key: vec![i],
                value: vec![i; i as usize],
            },
            Op::Delete { key: vec![i, i] },
            Op::DeleteRange {
                start: vec![0],
                end: vec![i],
            },
        ]
    }

    fn write_log(dir: &Path, n: u8) -> PathBuf {
        let mut wal = log::LogWriter::create(&path(dir, 1), MAGIC).unwrap();
        for i in 0..n {
            let mut buf = Vec::new();
            encode_record(&mut buf, i as u64 * 10, &batch(i));
            wal.append(&buf).unwrap();
        }
        wal.sync().unwrap();
        path(dir, 1)
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_log(dir.path(), 20);
        let r = replay(&p, true).unwrap();
        assert_eq!(r.cut_bytes, 0);
        assert_eq!(r.records.len(), 20);
        for (i, rec) in r.records.iter().enumerate() {
            assert_eq!(rec.seq, i as u64 * 10);
            assert_eq!(rec.ops, batch(i as u8));
        }
    }

    #[test]
    fn torn_tail_is_cut_at_every_length() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_log(dir.path(), 5);
        let full = std::fs::read(&p).unwrap();
        let whole = replay(&p, true).unwrap().records;
        for cut in 8..full.len() {
            std::fs::write(&p, &full[..cut]).unwrap();
            let r = replay(&p, true).unwrap();
            // Whatever survives is a prefix of what was written.
            assert_eq!(r.records[..], whole[..r.records.len()]);
            assert_eq!(
                std::fs::metadata(&p).unwrap().len() + r.cut_bytes,
                cut as u64
            );
            // The file was cut back, so replaying again finds nothing torn.
            assert_eq!(replay(&p, true).unwrap().cut_bytes, 0);
            // In a log that is not the newest, a torn tail is corruption.
            if r.cut_bytes > 0 {
                std::fs::write(&p, &full[..cut]).unwrap();
                assert!(matches!(replay(&p, false), Err(Error::Corruption { .. })));
            }
        }
    }

    #[test]
    fn flipped_bytes_never_return_wrong_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_log(dir.path(), 5);
        let full = std::fs::read(&p).unwrap();
        let whole = replay(&p, true).unwrap().records;
        for pos in 0..full.len() {
            let mut bad = full.clone();
            bad[pos] ^= 0x5a;
            std::fs::write(&p, &bad).unwrap();
            match replay(&p, true) {
                Ok(r) => {
                    assert!(r.cut_bytes > 0, "flip at {pos} went unnoticed");
                    assert_eq!(r.records[..], whole[..r.records.len()]);
                }
                Err(Error::Corruption { path, .. }) => assert_eq!(path, p),
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }
}
