//! The storage key layout of MVCC (see the module essay for the diagram).
//!
//! Keys and versions are written with [`crate::keycode`]'s byte and integer encodings, so
//! that storage order is key order, then version order.

use std::ops::Bound;

use crate::engine::{KeyRange, prefix_successor};
use crate::error::{Error, Result};
use crate::keycode::{decode_bytes, decode_u64, encode_bytes, encode_u64};

/// Internal bookkeeping: the oracle's reserved timestamps, the garbage-collection floor.
const META: u8 = 0x00;
/// Unversioned metadata keys, stored as the prefix plus the raw key.
const UNVERSIONED: u8 = 0x01;
/// Versions: the prefix, the escaped key, then the version big-endian.
const VERSION: u8 = 0x02;

/// The value of a version: a tombstone, or a live value after a marker byte.
const TOMBSTONE: u8 = 0x00;
const LIVE: u8 = 0x01;

fn corrupt(detail: impl Into<String>) -> Error {
    Error::corruption("mvcc", detail)
}

/// The storage key of an internal bookkeeping entry.
pub(super) fn meta(name: &str) -> Vec<u8> {
    let mut out = vec![META];
    out.extend_from_slice(name.as_bytes());
    out
}

/// The storage key of an unversioned key.
pub(super) fn unversioned(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 1);
    out.push(UNVERSIONED);
    out.extend_from_slice(key);
    out
}

/// Strips the prefix from an unversioned storage key.
pub(super) fn decode_unversioned(raw: &[u8]) -> Result<Vec<u8>> {
    match raw.split_first() {
        Some((&UNVERSIONED, key)) => Ok(key.to_vec()),
        _ => Err(corrupt("not an unversioned key")),
    }
}

/// The storage range of the unversioned keys in `range`.
pub(super) fn unversioned_range(range: &KeyRange) -> KeyRange {
    let start = match &range.start {
        Bound::Included(k) => Bound::Included(unversioned(k)),
        Bound::Excluded(k) => Bound::Excluded(unversioned(k)),
        Bound::Unbounded => Bound::Included(vec![UNVERSIONED]),
    };
    let end = match &range.end {
        Bound::Included(k) => Bound::Included(unversioned(k)),
        Bound::Excluded(k) => Bound::Excluded(unversioned(k)),
        Bound::Unbounded => Bound::Excluded(vec![UNVERSIONED + 1]),
    };
    KeyRange { start, end }
}

/// The prefix shared by every version of `key`.
fn version_prefix(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 11);
    out.push(VERSION);
    encode_bytes(&mut out, key);
    out
}

/// The storage key of `key` at `version`.
pub(super) fn version(key: &[u8], version: u64) -> Vec<u8> {
    let mut out = version_prefix(key);
    encode_u64(&mut out, version);
    out
}

/// The length of the storage key of `key` at any version.
pub(super) fn version_len(key: &[u8]) -> usize {
    1 + key.len() + key.iter().filter(|&&b| b == 0).count() + 2 + 8
}

/// Splits a version's storage key into the key and the version.
pub(super) fn decode_version(raw: &[u8]) -> Result<(Vec<u8>, u64)> {
    let Some((&VERSION, mut rest)) = raw.split_first() else {
        return Err(corrupt("not a version key"));
    };
    let key = decode_bytes(&mut rest).map_err(|e| corrupt(e.to_string()))?;
    let version = decode_u64(&mut rest).map_err(|e| corrupt(e.to_string()))?;
    if !rest.is_empty() {
        return Err(corrupt("trailing bytes after version"));
    }
    Ok((key, version))
}

/// The storage range of the versions of `key` from `from` to `to`, both included.
pub(super) fn versions_of(key: &[u8], from: u64, to: u64) -> KeyRange {
    KeyRange {
        start: Bound::Included(version(key, from)),
        end: Bound::Included(version(key, to)),
    }
}

/// The storage range of every version of every key in `range`.
pub(super) fn version_range(range: &KeyRange) -> KeyRange {
    // Every version of a key lies between its prefix and the prefix's successor; the
    // successor exists since an encoded key ends with 0x00 0x00.
    let after =
        |k: &[u8]| prefix_successor(&version_prefix(k)).unwrap_or_else(|| vec![VERSION + 1]);
    let start = match &range.start {
        Bound::Included(k) => Bound::Included(version_prefix(k)),
        Bound::Excluded(k) => Bound::Included(after(k)),
        Bound::Unbounded => Bound::Included(vec![VERSION]),
    };
    let end = match &range.end {
        Bound::Included(k) => Bound::Excluded(after(k)),
        Bound::Excluded(k) => Bound::Excluded(version_prefix(k)),
        Bound::Unbounded => Bound::Excluded(vec![VERSION + 1]),
    };
    KeyRange { start, end }
}

/// Encodes a version's value: `None` is a tombstone.
pub(super) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![TOMBSTONE],
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(LIVE);
            out.extend_from_slice(v);
            out
        }
    }
}

/// Decodes a version's value.
pub(super) fn decode_value(raw: &[u8]) -> Result<Option<Vec<u8>>> {
    match raw.split_first() {
        Some((&TOMBSTONE, [])) => Ok(None),
        Some((&LIVE, v)) => Ok(Some(v.to_vec())),
        _ => Err(corrupt("invalid version value")),
    }
}

/// True if a raw version value is a tombstone.
pub(super) fn is_tombstone(raw: &[u8]) -> bool {
    raw == [TOMBSTONE]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_roundtrip_and_order() {
        let keys: Vec<&[u8]> = vec![
            b"",
            b"\x00",
            b"\x00\x00",
            b"\x00\xff",
            b"a",
            b"a\x00",
            b"a\x00b",
            b"ab",
            b"\xff",
        ];
        let mut encoded = Vec::new();
        for k in &keys {
            let mut out = Vec::new();
            encode_bytes(&mut out, k);
            let mut input = out.as_slice();
            assert_eq!(decode_bytes(&mut input).unwrap(), k.to_vec());
            assert!(input.is_empty());
            encoded.push(out);
        }
        let mut sorted = encoded.clone();
        sorted.sort();
        assert_eq!(sorted, encoded);
    }

    #[test]
    fn versions_do_not_interleave() {
        // Every version of "a" sorts before any version of "a\x00" and "ab".
        assert!(version(b"a", u64::MAX) < version(b"a\x00", 0));
        assert!(version(b"a\x00", u64::MAX) < version(b"ab", 0));
        assert!(version(b"a", 1) < version(b"a", 2));
        assert_eq!(
            decode_version(&version(b"a\x00b", 7)).unwrap(),
            (b"a\x00b".to_vec(), 7)
        );
        assert_eq!(version_len(b"a\x00b"), version(b"a\x00b", 7).len());
        assert!(decode_version(b"\x02a\x00").is_err());
        assert!(decode_value(b"").is_err());
    }

    #[test]
    fn version_ranges() {
        let r = version_range(&KeyRange::from_bounds(b"a".to_vec()..=b"b".to_vec()));
        assert!(r.contains(&version(b"a", 0)));
        assert!(r.contains(&version(b"b", u64::MAX)));
        assert!(!r.contains(&version(b"b\x00", 0)));
        let r = version_range(&KeyRange {
            start: Bound::Excluded(b"a".to_vec()),
            end: Bound::Excluded(b"b".to_vec()),
        });
        assert!(!r.contains(&version(b"a", u64::MAX)));
        assert!(r.contains(&version(b"a\x00", 0)));
        assert!(!r.contains(&version(b"b", 0)));
    }
}
