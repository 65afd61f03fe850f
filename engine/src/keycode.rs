//! An order-preserving encoding of SQL key values into bytes.
//!
//! Engines sort keys by plain byte comparison (`memcmp`, a shorter key first when it is a
//! prefix of a longer one). Index and primary keys are tuples of SQL values, each column
//! with its own `ASC`/`DESC` and `NULLS FIRST`/`NULLS LAST`. This module turns such a tuple
//! into bytes whose byte order is exactly the SQL order of the tuples, so that an engine
//! scan is an index scan and a range of SQL values is a range of keys.
//!
//! # Format of one component
//!
//! Each component is a type tag followed by a payload. In ascending order:
//!
//! | Value        | Tag    | Payload                                                          |
//! |--------------|--------|------------------------------------------------------------------|
//! | `NULL`       | `0x00`/`0xFF` | none: `0x00` for `NULLS FIRST`, `0xFF` for `NULLS LAST`   |
//! | `Bool`       | `0x10` | `0x00` false, `0x01` true                                        |
//! | `Int`        | `0x20` | 8 bytes, big-endian, sign bit flipped                            |
//! | `Float`      | `0x30` | 8 bytes, big-endian IEEE 754 bits, transformed (see below)       |
//! | `Text`       | `0x40` | UTF-8 bytes, escaped, terminated (see below)                     |
//! | `Bytes`      | `0x50` | the bytes, escaped, terminated                                   |
//!
//! The gaps between tags leave room for later types (decimal, date, timestamp, uuid, ...).
//! A key is the concatenation of its components' encodings, with nothing in between.
//!
//! - **Integers.** `SMALLINT`, `INTEGER` and `BIGINT` all widen to `i64`, so an index on an
//!   `INTEGER` column can be probed with a `BIGINT` literal. Flipping the sign bit maps
//!   `i64::MIN..=i64::MAX` monotonically onto `0..=u64::MAX`, and big-endian puts the most
//!   significant byte first, where `memcmp` looks first.
//! - **Floats** follow PostgreSQL: `-Inf < negatives < -0.0 = 0.0 < positives < +Inf < NaN`,
//!   with all NaNs equal. Every NaN is first replaced by one canonical quiet NaN and `-0.0`
//!   by `0.0`, because values that are equal in SQL must have identical bytes (a unique
//!   index would otherwise hold both). Then a non-negative float has its sign bit set (it
//!   sorts above every negative one, and IEEE magnitudes already sort like integers), and a
//!   negative float has all its bits inverted (a larger magnitude must sort lower). The
//!   canonical NaN is positive with the largest exponent and a non-zero mantissa, so it
//!   lands above `+Inf`.
//! - **Text and bytes.** Text compares by code point, as PostgreSQL's `COLLATE "C"`; UTF-8
//!   was designed so that its byte order is code-point order, so text is stored as its
//!   UTF-8 bytes. A variable-length payload must end in a way that sorts below any
//!   continuation, or `("a", "b")` would compare against `("ab", ...)` by the bytes of the
//!   next column. So each `0x00` is escaped as `0x00 0xFF` and the payload ends with
//!   `0x00 0x00`: where one string ends and the other goes on, the terminator `0x00 0x00`
//!   is below both `0x00 0xFF` (an embedded NUL) and any non-zero byte.
//!
//! # Why byte order is SQL order
//!
//! Every component encoding is *self-delimiting*: no encoding is a proper prefix of
//! another encoding of the same column (the fixed-width types trivially so, the strings
//! thanks to the terminator, `NULL` because its marker differs from every tag). And it is
//! *canonical*: two values are equal in SQL exactly when their encodings are identical.
//! When two tuples are compared byte by byte, their equal leading components match
//! byte for byte; at the first unequal component the two encodings differ at some byte
//! before either ends, and that byte decides, in the order of that component. A key that
//! is a prefix of another tuple (fewer components, as used to scan an index by a prefix of
//! its columns) sorts first, as in `memcmp`.
//!
//! Tuples compared by the engine share their column types, so the order between tags only
//! matters against `NULL`, whose markers are below and above every tag.
//!
//! # Descending order and `NULL` placement
//!
//! A descending component is its ascending encoding with every byte inverted (`b ^ 0xFF`),
//! tag included. Inversion reverses the order of any two byte strings that differ at some
//! position, which is the only way two self-delimiting encodings can differ, and an
//! inverted prefix-free set stays prefix-free; so the component is still self-delimiting
//! and now sorts in reverse. Decoding reads through the same inversion.
//!
//! The `NULL` marker is never inverted: it is `0x00` for `NULLS FIRST` and `0xFF` for
//! `NULLS LAST` whatever the direction. Inverted tags (`0xEF`, `0xDF`, ...) stay strictly
//! between the two markers, so `NULL` placement is independent of direction, as in SQL.
//! PostgreSQL's defaults are `ASC NULLS LAST` ([`Order::ASC`]) and `DESC NULLS FIRST`
//! ([`Order::DESC`]).
//!
//! # Low-level helpers
//!
//! [`encode_bytes`], [`encode_u64`] and [`encode_i64`] (and their decoders) write the
//! ascending payloads without tags, for modules that build their own keys, such as MVCC's
//! `(key, version)` storage keys.

use crate::error::{Error, Result};

const NULL_FIRST: u8 = 0x00;
const NULL_LAST: u8 = 0xFF;
const TAG_BOOL: u8 = 0x10;
const TAG_INT: u8 = 0x20;
const TAG_FLOAT: u8 = 0x30;
const TAG_TEXT: u8 = 0x40;
const TAG_BYTES: u8 = 0x50;

/// Escape for a `0x00` byte inside a string payload: `0x00 ESCAPED_ZERO`.
const ESCAPED_ZERO: u8 = 0xFF;
/// Second byte of the string terminator `0x00 0x00`.
const TERMINATOR: u8 = 0x00;

/// The single NaN every NaN is stored as: positive, quiet, empty payload.
const CANONICAL_NAN_BITS: u64 = 0x7FF8_0000_0000_0000;
const SIGN_BIT: u64 = 1 << 63;

/// One component of a key: a SQL value of a type that can be indexed.
///
/// Values of one column must all use the same variant (or `Null`); the encoding orders
/// values within a variant, not across variants.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPart {
    /// SQL `NULL`; where it sorts is chosen by the column's [`Order`].
    Null,
    /// `BOOLEAN`: `false < true`.
    Bool(bool),
    /// `SMALLINT`, `INTEGER` and `BIGINT`, all widened so they compare across widths.
    Int(i64),
    /// `REAL` and `DOUBLE PRECISION`, in PostgreSQL order (NaN above `+Inf`, all NaNs
    /// equal, `-0.0 = 0.0`). Decoding returns `0.0` for `-0.0` and one canonical NaN.
    Float(f64),
    /// `TEXT`/`VARCHAR`/`CHAR`, compared by code point (`COLLATE "C"`).
    Text(String),
    /// `BYTEA`, compared bytewise.
    Bytes(Vec<u8>),
}

/// The sort order of one key component: direction and where `NULL` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Order {
    /// Larger values first.
    pub descending: bool,
    /// `NULL` before every value rather than after.
    pub nulls_first: bool,
}

impl Order {
    /// `ASC NULLS LAST`, PostgreSQL's default for `ASC`.
    pub const ASC: Order = Order {
        descending: false,
        nulls_first: false,
    };
    /// `DESC NULLS FIRST`, PostgreSQL's default for `DESC`.
    pub const DESC: Order = Order {
        descending: true,
        nulls_first: true,
    };

    /// An order with explicit direction and `NULL` placement.
    pub const fn new(descending: bool, nulls_first: bool) -> Order {
        Order {
            descending,
            nulls_first,
        }
    }

    /// The order with the default `NULL` placement for its direction, as PostgreSQL picks
    /// when `NULLS FIRST`/`LAST` is not written.
    pub const fn with_default_nulls(descending: bool) -> Order {
        Order {
            descending,
            nulls_first: descending,
        }
    }

    /// The byte every encoded byte of a value is XORed with.
    const fn mask(self) -> u8 {
        if self.descending { 0xFF } else { 0x00 }
    }

    const fn null_marker(self) -> u8 {
        if self.nulls_first {
            NULL_FIRST
        } else {
            NULL_LAST
        }
    }
}

impl Default for Order {
    /// [`Order::ASC`], as SQL assumes when no direction is written.
    fn default() -> Self {
        Order::ASC
    }
}

/// Encodes a key: `values[i]` in `orders[i]`.
///
/// `values` may be shorter than `orders`: the result is then a prefix of every key that
/// starts with these values, usable as a scan bound over an index's leading columns.
/// Fails with [`Error::InvalidInput`] if there are more values than orders.
pub fn encode(values: &[KeyPart], orders: &[Order]) -> Result<Vec<u8>> {
    if values.len() > orders.len() {
        return Err(Error::InvalidInput(format!(
            "key has {} values but only {} orders",
            values.len(),
            orders.len()
        )));
    }
    let mut out = Vec::new();
    for (value, &order) in values.iter().zip(orders) {
        encode_part(&mut out, value, order);
    }
    Ok(out)
}

/// Appends the self-delimiting encoding of one component to `out`.
pub fn encode_part(out: &mut Vec<u8>, value: &KeyPart, order: Order) {
    let start = out.len();
    match value {
        // The marker is written as is, never inverted: that is what keeps NULL placement
        // independent of direction.
        KeyPart::Null => {
            out.push(order.null_marker());
            return;
        }
        KeyPart::Bool(b) => {
            out.push(TAG_BOOL);
            out.push(u8::from(*b));
        }
        KeyPart::Int(i) => {
            out.push(TAG_INT);
            encode_i64(out, *i);
        }
        KeyPart::Float(f) => {
            out.push(TAG_FLOAT);
            encode_f64(out, *f);
        }
        KeyPart::Text(s) => {
            out.push(TAG_TEXT);
            encode_bytes(out, s.as_bytes());
        }
        KeyPart::Bytes(b) => {
            out.push(TAG_BYTES);
            encode_bytes(out, b);
        }
    }
    if order.descending {
        for byte in &mut out[start..] {
            *byte = !*byte;
        }
    }
}

/// Decodes a whole key written by [`encode`] with the same `orders`: exactly one value
/// per order, and no bytes left over.
///
/// Fails with [`Error::InvalidInput`] on a truncated key, trailing bytes, an unknown tag,
/// a bad escape, invalid UTF-8 in text, a `NULL` marker that does not match its order's
/// placement, or a non-canonical encoding no value encodes to.
pub fn decode(key: &[u8], orders: &[Order]) -> Result<Vec<KeyPart>> {
    let mut input = key;
    let mut values = Vec::with_capacity(orders.len());
    for &order in orders {
        values.push(decode_part(&mut input, order)?);
    }
    if !input.is_empty() {
        return Err(invalid(format!(
            "{} trailing bytes after the last key component",
            input.len()
        )));
    }
    Ok(values)
}

/// Decodes one component written by [`encode_part`] with `order` from the front of
/// `input`, and advances `input` past it.
pub fn decode_part(input: &mut &[u8], order: Order) -> Result<KeyPart> {
    let (&first, rest) = input
        .split_first()
        .ok_or_else(|| invalid("key ends where a component was expected"))?;
    if first == NULL_FIRST || first == NULL_LAST {
        if first != order.null_marker() {
            return Err(invalid(format!(
                "NULL marker {first:#04x} does not match the column's NULL placement"
            )));
        }
        *input = rest;
        return Ok(KeyPart::Null);
    }
    let mask = order.mask();
    let mut payload = rest;
    let value = match first ^ mask {
        TAG_BOOL => {
            let [b] = take::<1>(&mut payload, mask)?;
            match b {
                0 => KeyPart::Bool(false),
                1 => KeyPart::Bool(true),
                other => return Err(invalid(format!("invalid boolean byte {other:#04x}"))),
            }
        }
        TAG_INT => KeyPart::Int(i64_from_u64(u64::from_be_bytes(take(&mut payload, mask)?))),
        TAG_FLOAT => {
            let bits = u64::from_be_bytes(take(&mut payload, mask)?);
            let value = f64_from_sortable(bits);
            // -0.0 and non-canonical NaNs are never written; finding one means the bytes
            // did not come from this encoder, and accepting them would let two equal
            // values have distinct keys.
            if f64_to_sortable(value) != bits {
                return Err(invalid("non-canonical float encoding"));
            }
            KeyPart::Float(value)
        }
        TAG_TEXT => {
            let bytes = decode_bytes_masked(&mut payload, mask)?;
            let text = String::from_utf8(bytes)
                .map_err(|e| invalid(format!("text key component is not UTF-8: {e}")))?;
            KeyPart::Text(text)
        }
        TAG_BYTES => KeyPart::Bytes(decode_bytes_masked(&mut payload, mask)?),
        tag => return Err(invalid(format!("unknown key component tag {tag:#04x}"))),
    };
    *input = payload;
    Ok(value)
}

/// Appends `bytes` in ascending order as a self-delimiting string: each `0x00` becomes
/// `0x00 0xFF`, and `0x00 0x00` ends it.
pub fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    let mut rest = bytes;
    // Copy the runs between zeros wholesale: most keys have no zero byte at all.
    while let Some(zero) = rest.iter().position(|&b| b == 0) {
        out.extend_from_slice(&rest[..zero]);
        out.extend_from_slice(&[0x00, ESCAPED_ZERO]);
        rest = &rest[zero + 1..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(&[0x00, TERMINATOR]);
}

/// Decodes a string written by [`encode_bytes`] from the front of `input`, and advances
/// `input` past its terminator.
///
/// Fails with [`Error::InvalidInput`] if the terminator is missing or a `0x00` is followed
/// by anything but `0x00` or `0xFF`.
pub fn decode_bytes(input: &mut &[u8]) -> Result<Vec<u8>> {
    decode_bytes_masked(input, 0x00)
}

/// Appends `v` as 8 big-endian bytes, whose byte order is numeric order.
pub fn encode_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Decodes 8 bytes written by [`encode_u64`] from the front of `input`, and advances
/// `input` past them. Fails with [`Error::InvalidInput`] if fewer than 8 bytes remain.
pub fn decode_u64(input: &mut &[u8]) -> Result<u64> {
    take(input, 0x00).map(u64::from_be_bytes)
}

/// Appends `v` as 8 big-endian bytes with the sign bit flipped, so that negative numbers
/// sort below positive ones.
pub fn encode_i64(out: &mut Vec<u8>, v: i64) {
    encode_u64(out, (v as u64) ^ SIGN_BIT);
}

/// Decodes 8 bytes written by [`encode_i64`] from the front of `input`, and advances
/// `input` past them. Fails with [`Error::InvalidInput`] if fewer than 8 bytes remain.
pub fn decode_i64(input: &mut &[u8]) -> Result<i64> {
    decode_u64(input).map(i64_from_u64)
}

/// Appends `v` as 8 bytes in PostgreSQL float order, with `-0.0` written as `0.0` and
/// every NaN as one canonical NaN.
pub fn encode_f64(out: &mut Vec<u8>, v: f64) {
    encode_u64(out, f64_to_sortable(v));
}

/// Decodes 8 bytes written by [`encode_f64`] from the front of `input`, and advances
/// `input` past them. Fails with [`Error::InvalidInput`] if fewer than 8 bytes remain or
/// the bytes are not a canonical encoding.
pub fn decode_f64(input: &mut &[u8]) -> Result<f64> {
    let mut rest = *input;
    let bits = decode_u64(&mut rest)?;
    let value = f64_from_sortable(bits);
    if f64_to_sortable(value) != bits {
        return Err(invalid("non-canonical float encoding"));
    }
    *input = rest;
    Ok(value)
}

fn i64_from_u64(v: u64) -> i64 {
    (v ^ SIGN_BIT) as i64
}

/// Maps a float to a `u64` whose numeric order is PostgreSQL's float order, equal SQL
/// values to equal integers.
fn f64_to_sortable(v: f64) -> u64 {
    let bits = if v.is_nan() {
        CANONICAL_NAN_BITS
    } else if v == 0.0 {
        // Both zeros compare equal, so both become +0.0.
        0
    } else {
        v.to_bits()
    };
    if bits & SIGN_BIT == 0 {
        bits | SIGN_BIT
    } else {
        !bits
    }
}

/// The inverse of [`f64_to_sortable`] on its image; other inputs decode to some float
/// whose re-encoding differs, which callers check.
fn f64_from_sortable(v: u64) -> f64 {
    let bits = if v & SIGN_BIT != 0 { v ^ SIGN_BIT } else { !v };
    f64::from_bits(bits)
}

/// Takes `N` bytes from the front of `input`, unmasked.
fn take<const N: usize>(input: &mut &[u8], mask: u8) -> Result<[u8; N]> {
    let Some((head, rest)) = input.split_first_chunk::<N>() else {
        return Err(invalid(format!(
            "key ends after {} of {N} bytes",
            input.len()
        )));
    };
    let mut out = *head;
    for byte in &mut out {
        *byte ^= mask;
    }
    *input = rest;
    Ok(out)
}

/// [`decode_bytes`] reading through `mask`, for descending components.
fn decode_bytes_masked(input: &mut &[u8], mask: u8) -> Result<Vec<u8>> {
    let data = *input;
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        // An escape sequence starts at the (masked) zero byte; everything before it is
        // literal.
        let Some(offset) = data[i..].iter().position(|&b| b == mask) else {
            return Err(invalid("string key component has no terminator"));
        };
        out.extend(data[i..i + offset].iter().map(|&b| b ^ mask));
        i += offset;
        let Some(&second) = data.get(i + 1) else {
            return Err(invalid("string key component ends inside an escape"));
        };
        match second ^ mask {
            TERMINATOR => {
                *input = &data[i + 2..];
                return Ok(out);
            }
            ESCAPED_ZERO => {
                out.push(0);
                i += 2;
            }
            other => {
                return Err(invalid(format!(
                    "invalid escape 0x00 {other:#04x} in string key component"
                )));
            }
        }
    }
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::InvalidInput(format!("malformed key: {}", detail.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    /// PostgreSQL's comparison of two floats, which [`encode_f64`] preserves: NaN above
    /// everything and equal to itself.
    fn pg_float_cmp(a: f64, b: f64) -> Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => a.partial_cmp(&b).unwrap(),
        }
    }

    /// The SQL comparison the encoding must reproduce, written from the SQL rules and not
    /// from the encoding.
    fn sql_cmp(a: &KeyPart, b: &KeyPart, order: Order) -> Ordering {
        use KeyPart::*;
        let ord = match (a, b) {
            (Null, Null) => return Ordering::Equal,
            (Null, _) => {
                return if order.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            (_, Null) => {
                return if order.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (Bool(x), Bool(y)) => x.cmp(y),
            (Int(x), Int(y)) => x.cmp(y),
            (Float(x), Float(y)) => pg_float_cmp(*x, *y),
            (Text(x), Text(y)) => x.chars().cmp(y.chars()),
            (Bytes(x), Bytes(y)) => x.cmp(y),
            _ => panic!("compared values of different types: {a:?} vs {b:?}"),
        };
        if order.descending { ord.reverse() } else { ord }
    }

    /// Lexicographic SQL comparison of tuples; a tuple that is a prefix of another sorts
    /// first.
    fn sql_cmp_tuple(a: &[KeyPart], b: &[KeyPart], orders: &[Order]) -> Ordering {
        for ((x, y), &order) in a.iter().zip(b).zip(orders) {
            let ord = sql_cmp(x, y, order);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.len().cmp(&b.len())
    }

    /// Equality that accepts what decoding normalises: NaN equals NaN, -0.0 equals 0.0
    /// (and the decoded zero must be +0.0).
    fn same_value(original: &KeyPart, decoded: &KeyPart) -> bool {
        match (original, decoded) {
            (KeyPart::Float(a), KeyPart::Float(b)) => {
                if a.is_nan() {
                    b.is_nan() && b.to_bits() == CANONICAL_NAN_BITS
                } else if *a == 0.0 {
                    b.to_bits() == 0
                } else {
                    a.to_bits() == b.to_bits()
                }
            }
            _ => original == decoded,
        }
    }

    fn enc(value: &KeyPart, order: Order) -> Vec<u8> {
        let mut out = Vec::new();
        encode_part(&mut out, value, order);
        out
    }

    fn order_strategy() -> impl Strategy<Value = Order> {
        (any::<bool>(), any::<bool>()).prop_map(|(d, n)| Order::new(d, n))
    }

    fn float_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![
            3 => any::<f64>(),
            2 => prop::sample::select(vec![
                0.0,
                -0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                -f64::NAN,
                f64::MIN,
                f64::MAX,
                f64::MIN_POSITIVE,
                -f64::MIN_POSITIVE,
                f64::EPSILON,
                1.0,
                -1.0,
            ]),
            // Subnormals, both signs.
            1 => (1u64..(1 << 52), any::<bool>())
                .prop_map(|(m, neg)| f64::from_bits(m | if neg { SIGN_BIT } else { 0 })),
            // NaNs with arbitrary payloads and signs, which must all be equal.
            1 => (1u64..(1 << 52), any::<bool>()).prop_map(|(m, neg)| {
                f64::from_bits(0x7FF0_0000_0000_0000 | m | if neg { SIGN_BIT } else { 0 })
            }),
            // A small domain of the values SQL equates despite distinct bits, so that
            // equal pairs with unequal bits are frequent.
            3 => prop::sample::select(vec![-1.0, -0.0, 0.0, 1.0, f64::NAN, -f64::NAN]),
        ]
    }

    /// Bytes drawn mostly from the troublesome values, so that embedded zeros, 0xFF and
    /// common prefixes are frequent.
    fn byte_strategy() -> impl Strategy<Value = u8> {
        prop_oneof![
            Just(0x00u8),
            Just(0x01u8),
            Just(0xFFu8),
            Just(b'a'),
            any::<u8>()
        ]
    }

    fn char_strategy() -> impl Strategy<Value = char> {
        prop_oneof![
            Just('\0'),
            Just('\u{1}'),
            Just('a'),
            Just('b'),
            Just('\u{ff}'),
            Just('\u{7ff}'),
            Just('\u{ffff}'),
            Just('\u{10ffff}'),
            any::<char>()
        ]
    }

    /// A non-null value of type number `ty`.
    fn typed_value(ty: u8) -> BoxedStrategy<KeyPart> {
        match ty {
            0 => any::<bool>().prop_map(KeyPart::Bool).boxed(),
            1 => prop_oneof![
                any::<i64>(),
                -3i64..=3,
                Just(i64::MIN),
                Just(i64::MAX),
                Just(i64::MIN + 1),
                Just(i64::MAX - 1),
            ]
            .prop_map(KeyPart::Int)
            .boxed(),
            2 => float_strategy().prop_map(KeyPart::Float).boxed(),
            3 => prop::collection::vec(char_strategy(), 0..6)
                .prop_map(|cs| KeyPart::Text(cs.into_iter().collect()))
                .boxed(),
            _ => prop::collection::vec(byte_strategy(), 0..6)
                .prop_map(KeyPart::Bytes)
                .boxed(),
        }
    }

    const TYPES: u8 = 5;

    /// A value of type `ty`, or sometimes NULL.
    fn value_of(ty: u8) -> BoxedStrategy<KeyPart> {
        prop_oneof![1 => Just(KeyPart::Null), 5 => typed_value(ty)].boxed()
    }

    fn same_type_pair() -> impl Strategy<Value = (KeyPart, KeyPart)> {
        (0..TYPES).prop_flat_map(|ty| (value_of(ty), value_of(ty)))
    }

    /// Two tuples over the same column types and orders; the second may be shorter, to
    /// exercise prefix keys.
    fn tuple_pair() -> impl Strategy<Value = (Vec<KeyPart>, Vec<KeyPart>, Vec<Order>)> {
        prop::collection::vec((0..TYPES, order_strategy()), 1..=4).prop_flat_map(|columns| {
            let n = columns.len();
            let tuple = columns
                .iter()
                .map(|&(ty, _)| value_of(ty))
                .collect::<Vec<_>>();
            let orders = columns.iter().map(|&(_, o)| o).collect::<Vec<_>>();
            (tuple.clone(), tuple, 1..=n, Just(orders)).prop_map(|(a, mut b, len_b, orders)| {
                b.truncate(len_b);
                (a, b, orders)
            })
        })
    }

    fn tuple() -> impl Strategy<Value = (Vec<KeyPart>, Vec<Order>)> {
        prop::collection::vec((0..TYPES, order_strategy()), 0..=4).prop_flat_map(|columns| {
            let values = columns
                .iter()
                .map(|&(ty, _)| value_of(ty))
                .collect::<Vec<_>>();
            let orders = columns.iter().map(|&(_, o)| o).collect::<Vec<_>>();
            (values, Just(orders))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn single_values_sort_in_sql_order((a, b) in same_type_pair()) {
            for descending in [false, true] {
                for nulls_first in [false, true] {
                    let order = Order::new(descending, nulls_first);
                    let (ea, eb) = (enc(&a, order), enc(&b, order));
                    prop_assert_eq!(
                        ea.cmp(&eb),
                        sql_cmp(&a, &b, order),
                        "{:?} vs {:?} in {:?}: {:02x?} vs {:02x?}",
                        a, b, order, ea, eb
                    );
                }
            }
        }

        #[test]
        fn tuples_sort_lexicographically((a, b, orders) in tuple_pair()) {
            let ea = encode(&a, &orders).unwrap();
            let eb = encode(&b, &orders).unwrap();
            prop_assert_eq!(ea.cmp(&eb), sql_cmp_tuple(&a, &b, &orders));
            prop_assert_eq!(eb.cmp(&ea), sql_cmp_tuple(&b, &a, &orders));
        }

        #[test]
        fn decode_inverts_encode((values, orders) in tuple()) {
            let key = encode(&values, &orders).unwrap();
            let decoded = decode(&key, &orders).unwrap();
            prop_assert_eq!(decoded.len(), values.len());
            for (v, d) in values.iter().zip(&decoded) {
                prop_assert!(same_value(v, d), "{:?} decoded as {:?}", v, d);
            }
            // Each component is self-delimiting: decoding one at a time consumes exactly
            // its own bytes.
            let mut input = key.as_slice();
            for (v, &order) in values.iter().zip(&orders) {
                let before = input.len();
                let d = decode_part(&mut input, order).unwrap();
                prop_assert!(same_value(v, &d));
                prop_assert_eq!(before - input.len(), enc(v, order).len());
            }
            prop_assert!(input.is_empty());
        }

        #[test]
        fn low_level_helpers_round_trip_and_order(
            a in prop::collection::vec(byte_strategy(), 0..8),
            b in prop::collection::vec(byte_strategy(), 0..8),
            x in any::<u64>(),
            y in any::<u64>(),
            i in any::<i64>(),
            j in any::<i64>(),
        ) {
            let mut ea = Vec::new();
            encode_bytes(&mut ea, &a);
            let mut eb = Vec::new();
            encode_bytes(&mut eb, &b);
            prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
            // A trailing u64 after the string must not disturb either decoder.
            encode_u64(&mut ea, x);
            encode_i64(&mut ea, i);
            let mut input = ea.as_slice();
            prop_assert_eq!(decode_bytes(&mut input).unwrap(), a);
            prop_assert_eq!(decode_u64(&mut input).unwrap(), x);
            prop_assert_eq!(decode_i64(&mut input).unwrap(), i);
            prop_assert!(input.is_empty());

            let (mut ex, mut ey) = (Vec::new(), Vec::new());
            encode_u64(&mut ex, x);
            encode_u64(&mut ey, y);
            prop_assert_eq!(ex.cmp(&ey), x.cmp(&y));
            let (mut ei, mut ej) = (Vec::new(), Vec::new());
            encode_i64(&mut ei, i);
            encode_i64(&mut ej, j);
            prop_assert_eq!(ei.cmp(&ej), i.cmp(&j));
        }
    }

    fn text(s: &str) -> KeyPart {
        KeyPart::Text(s.to_string())
    }

    fn asc(values: &[KeyPart]) -> Vec<u8> {
        encode(values, &vec![Order::ASC; values.len()]).unwrap()
    }

    #[test]
    fn empty_string_sorts_before_nul_string() {
        let empty = asc(&[text("")]);
        let nul = asc(&[text("\0")]);
        assert_eq!(empty, [TAG_TEXT, 0x00, 0x00]);
        assert_eq!(nul, [TAG_TEXT, 0x00, 0xFF, 0x00, 0x00]);
        assert!(empty < nul);
        assert!(nul < asc(&[text("\0\0")]));
        assert!(nul < asc(&[text("\u{1}")]));
        let desc = |s| enc(&text(s), Order::DESC);
        assert!(desc("") > desc("\0"));
        assert!(desc("\0") > desc("\0\0"));
    }

    #[test]
    fn embedded_zero_and_ff_bytes() {
        let values: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x00],
            vec![0x00, 0x00],
            vec![0x00, 0xFF],
            vec![0x00, 0xFF, 0x00],
            vec![0x01],
            vec![0xFF],
            vec![0xFF, 0x00],
            vec![0xFF, 0xFF],
        ];
        // Sorted input, so consecutive encodings must be strictly increasing in ASC and
        // strictly decreasing in DESC.
        for order in [Order::ASC, Order::DESC] {
            let keys: Vec<Vec<u8>> = values
                .iter()
                .map(|v| enc(&KeyPart::Bytes(v.clone()), order))
                .collect();
            for pair in keys.windows(2) {
                assert_eq!(
                    pair[0] < pair[1],
                    !order.descending,
                    "{order:?} {pair:02x?}"
                );
            }
            for (v, k) in values.iter().zip(&keys) {
                assert_eq!(decode(k, &[order]).unwrap(), [KeyPart::Bytes(v.clone())]);
            }
        }
        let s = "a\0\u{ff}b";
        assert_eq!(decode(&asc(&[text(s)]), &[Order::ASC]).unwrap(), [text(s)]);
    }

    #[test]
    fn integer_extremes() {
        let ints = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        let keys: Vec<_> = ints.iter().map(|&i| asc(&[KeyPart::Int(i)])).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(keys[0], [TAG_INT, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            keys[6],
            [TAG_INT, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        for (&i, k) in ints.iter().zip(&keys) {
            assert_eq!(decode(k, &[Order::ASC]).unwrap(), [KeyPart::Int(i)]);
            let d = enc(&KeyPart::Int(i), Order::DESC);
            assert_eq!(decode(&d, &[Order::DESC]).unwrap(), [KeyPart::Int(i)]);
        }
    }

    #[test]
    fn float_order_and_canonical_forms() {
        let floats = [
            f64::NEG_INFINITY,
            f64::MIN,
            -1.0,
            -f64::MIN_POSITIVE,
            -f64::from_bits(1),
            0.0,
            f64::from_bits(1),
            f64::MIN_POSITIVE,
            1.0,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ];
        let keys: Vec<_> = floats.iter().map(|&f| asc(&[KeyPart::Float(f)])).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:02x?}");
        assert_eq!(asc(&[KeyPart::Float(-0.0)]), asc(&[KeyPart::Float(0.0)]));
        let other_nan = f64::from_bits(0xFFF0_0000_0000_0123);
        assert!(other_nan.is_nan());
        assert_eq!(
            asc(&[KeyPart::Float(other_nan)]),
            asc(&[KeyPart::Float(f64::NAN)])
        );
        let decoded = decode(&asc(&[KeyPart::Float(-0.0)]), &[Order::ASC]).unwrap();
        assert!(matches!(decoded[0], KeyPart::Float(z) if z.to_bits() == 0));
    }

    #[test]
    fn nulls_follow_their_placement_in_both_directions() {
        let null = KeyPart::Null;
        let small = KeyPart::Int(i64::MIN);
        let big = KeyPart::Int(i64::MAX);
        for order in [
            Order::ASC,
            Order::DESC,
            Order::new(false, true),
            Order::new(true, false),
        ] {
            let n = enc(&null, order);
            for v in [&small, &big] {
                assert_eq!(n < enc(v, order), order.nulls_first, "{order:?}");
            }
            assert_eq!(decode(&n, &[order]).unwrap(), [KeyPart::Null]);
        }
        assert_eq!(Order::default(), Order::ASC);
        assert_eq!(Order::with_default_nulls(true), Order::DESC);
        assert_eq!(Order::with_default_nulls(false), Order::ASC);
    }

    #[test]
    fn prefix_keys_sort_first_and_components_do_not_merge() {
        // ("a", "b") vs ("ab", "") : the first column decides.
        let a_b = asc(&[text("a"), text("b")]);
        let ab_ = asc(&[text("ab"), text("")]);
        assert!(a_b < ab_);
        // A key on the leading columns bounds every key that extends it.
        let prefix = asc(&[text("a")]);
        assert!(a_b.starts_with(&prefix));
        assert!(!ab_.starts_with(&prefix));
        let orders = [Order::DESC, Order::ASC];
        let short = encode(&[KeyPart::Int(5)], &orders).unwrap();
        let long = encode(&[KeyPart::Int(5), KeyPart::Null], &orders).unwrap();
        assert!(long.starts_with(&short) && short < long);
        assert!(encode(&[], &orders).unwrap().is_empty());
    }

    #[test]
    fn encode_rejects_more_values_than_orders() {
        let err = encode(&[KeyPart::Int(1), KeyPart::Int(2)], &[Order::ASC]).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
    }

    #[test]
    fn malformed_keys_are_errors() {
        let asc1 = [Order::ASC];
        let cases: Vec<(&str, Vec<u8>, Vec<Order>)> = vec![
            ("empty key", vec![], asc1.to_vec()),
            ("unknown tag", vec![0x99], asc1.to_vec()),
            ("truncated int", vec![TAG_INT, 1, 2, 3], asc1.to_vec()),
            ("truncated float", vec![TAG_FLOAT, 0x80], asc1.to_vec()),
            ("missing bool", vec![TAG_BOOL], asc1.to_vec()),
            ("bad bool", vec![TAG_BOOL, 2], asc1.to_vec()),
            ("unterminated text", vec![TAG_TEXT, b'a'], asc1.to_vec()),
            ("dangling escape", vec![TAG_TEXT, b'a', 0x00], asc1.to_vec()),
            ("bad escape", vec![TAG_BYTES, 0x00, 0x01], asc1.to_vec()),
            (
                "invalid utf-8",
                vec![TAG_TEXT, 0xC3, 0x28, 0x00, 0x00],
                asc1.to_vec(),
            ),
            ("trailing bytes", vec![TAG_BOOL, 1, 0x00], asc1.to_vec()),
            (
                "null marker for nulls first",
                vec![NULL_FIRST],
                asc1.to_vec(),
            ),
            (
                "null marker for nulls last",
                vec![NULL_LAST],
                vec![Order::DESC],
            ),
            (
                "ascending bytes read as descending",
                vec![TAG_INT; 9],
                vec![Order::DESC],
            ),
            (
                "negative zero",
                {
                    let mut k = vec![TAG_FLOAT];
                    encode_u64(&mut k, !(SIGN_BIT));
                    k
                },
                asc1.to_vec(),
            ),
            (
                "non-canonical NaN",
                {
                    let mut k = vec![TAG_FLOAT];
                    encode_u64(&mut k, 0x7FF0_0000_0000_0001 | SIGN_BIT);
                    k
                },
                asc1.to_vec(),
            ),
            (
                "missing second component",
                vec![TAG_BOOL, 1],
                vec![Order::ASC; 2],
            ),
        ];
        for (what, key, orders) in cases {
            match decode(&key, &orders) {
                Err(Error::InvalidInput(_)) => {}
                other => panic!("{what}: expected InvalidInput, got {other:?}"),
            }
        }
    }

    #[test]
    fn low_level_decoders_reject_short_input_without_consuming() {
        let mut input: &[u8] = &[1, 2, 3];
        assert!(decode_u64(&mut input).is_err());
        assert!(decode_i64(&mut input).is_err());
        assert!(decode_f64(&mut input).is_err());
        assert_eq!(input, [1, 2, 3]);
        let mut input: &[u8] = &[b'x', 0x00];
        assert!(decode_bytes(&mut input).is_err());
        assert_eq!(input, [b'x', 0x00]);
        let mut out = Vec::new();
        encode_f64(&mut out, -2.5);
        let mut input = out.as_slice();
        assert_eq!(decode_f64(&mut input).unwrap(), -2.5);
        assert!(input.is_empty());
    }
}
