//! The bloom filter of a sorted table: "is this user key possibly here?" in a few bit probes.
//!
//! One 64-bit hash per key ([`hash`], fixed forever because filters are stored on disk) gives
//! the probes by double hashing: probe `i` tests bit `(h1 + i * h2) mod bits`, with `h1` and
//! `h2` the low and high halves of the hash. With `b` bits per key and `k = round(0.69 b)`
//! probes the false-positive rate is about `(1 - e^(-k/b))^k`: 0.8% at 10 bits per key.
//!
//! ```text
//! +-------------------------+-----------------+
//! | bit array (bytes)       | probe count u8  |
//! +-------------------------+-----------------+
//! ```
//!
//! A filter with no probes (no keys, or filters disabled) answers "maybe" to everything.

use crate::lsm::block::Detail;

/// The most probes a filter uses, however many bits per key it is given.
const MAX_PROBES: usize = 30;

/// A stable 64-bit hash of `key` (a multiply-rotate loop over 8-byte words and a
/// splitmix64 finish). Filters on disk depend on it: never change it.
pub fn hash(key: &[u8]) -> u64 {
    const P1: u64 = 0x9e37_79b9_7f4a_7c15;
    const P2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let mix = |h: u64, word: &[u8]| {
        let mut bytes = [0u8; 8];
        bytes[..word.len()].copy_from_slice(word);
        (h ^ u64::from_le_bytes(bytes).wrapping_mul(P2))
            .rotate_left(31)
            .wrapping_mul(P1)
    };
    let mut h = (key.len() as u64).wrapping_mul(P1) ^ 0x2545_f491_4f6c_dd1d;
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        h = mix(h, word);
    }
    h = mix(h, words.remainder());
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A bloom filter over the user keys of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bloom {
    bits: Vec<u8>,
    probes: u8,
}

impl Bloom {
    /// Builds a filter over keys given by their [`hash`]es, with `bits_per_key` bits each
    /// (0 builds a filter that answers "maybe" to everything).
    pub fn build(key_hashes: &[u64], bits_per_key: usize) -> Bloom {
        if key_hashes.is_empty() || bits_per_key == 0 {
            return Bloom {
                bits: Vec::new(),
                probes: 0,
            };
        }
        let probes = ((bits_per_key as f64 * 0.69).round() as usize).clamp(1, MAX_PROBES);
        let nbits = key_hashes.len().saturating_mul(bits_per_key).max(64);
        let mut bits = vec![0u8; nbits.div_ceil(8)];
        let nbits = bits.len() as u64 * 8;
        for &h in key_hashes {
            for bit in probe_bits(h, probes, nbits) {
                bits[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        Bloom {
            bits,
            probes: probes as u8,
        }
    }

    /// False if `key` is certainly absent; true if it may be present.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        if self.probes == 0 || self.bits.is_empty() {
            return true;
        }
        let nbits = self.bits.len() as u64 * 8;
        probe_bits(hash(key), self.probes as usize, nbits).all(|bit| {
            self.bits
                .get((bit / 8) as usize)
                .is_some_and(|byte| byte & (1 << (bit % 8)) != 0)
        })
    }

    /// Appends the encoded filter.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.bits);
        buf.push(self.probes);
    }

    /// Parses an encoded filter.
    pub fn decode(raw: &[u8]) -> Result<Bloom, Detail> {
        let (&probes, bits) = raw.split_last().ok_or("empty bloom filter block")?;
        if probes as usize > MAX_PROBES || (probes > 0 && bits.is_empty()) {
            return Err(format!(
                "bloom filter with {probes} probes over {} bytes",
                bits.len()
            ));
        }
        Ok(Bloom {
            bits: bits.to_vec(),
            probes,
        })
    }
}

fn probe_bits(h: u64, probes: usize, nbits: u64) -> impl Iterator<Item = u64> {
    let (h1, h2) = (h & 0xffff_ffff, h >> 32);
    (0..probes as u64).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % nbits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn false_positive_rate_is_about_one_percent() {
        let keys: Vec<Vec<u8>> = (0..10_000u32)
            .map(|i| format!("key{i}").into_bytes())
            .collect();
        let hashes: Vec<u64> = keys.iter().map(|k| hash(k)).collect();
        let bloom = Bloom::build(&hashes, 10);
        assert!(keys.iter().all(|k| bloom.may_contain(k)));
        let trials = 100_000u32;
        let false_positives = (0..trials)
            .filter(|i| bloom.may_contain(format!("absent{i}").as_bytes()))
            .count();
        let rate = false_positives as f64 / f64::from(trials);
        assert!(rate < 0.02, "false-positive rate {rate}");
        let decoded = Bloom::decode(&{
            let mut buf = Vec::new();
            bloom.encode(&mut buf);
            buf
        })
        .expect("decodes");
        assert_eq!(decoded, bloom);
    }

    #[test]
    fn empty_filter_says_maybe() {
        let bloom = Bloom::build(&[], 10);
        assert!(bloom.may_contain(b"anything"));
        assert!(Bloom::build(&[hash(b"a")], 0).may_contain(b"b"));
    }

    #[test]
    fn hash_is_stable() {
        // Filters on disk depend on these values.
        assert_eq!(hash(b""), hash(b""));
        assert_ne!(hash(b"a"), hash(b"b"));
        assert_ne!(hash(b"abcdefgh"), hash(b"abcdefgh\0"));
        assert_eq!(hash(b"anchor"), 0x319d_576a_66b7_af6a);
    }
}
