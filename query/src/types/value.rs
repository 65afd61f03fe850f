//! SQL values: their representation, comparison, total sort order, hashing and index keys.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use anchor_engine::keycode::{self, KeyPart, Order};
use num_bigint::BigInt;

use super::datatype::{DataType, RegKind};
use super::datetime::{Interval, USECS_PER_DAY};
use super::enums::EnumValue;
use super::numeric::Numeric;
use crate::error::{Error, Result, SqlState};

/// A SQL value. Strings of every string type are [`Value::Text`]; the column's
/// [`DataType`] carries the length limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL `NULL`, of any type.
    Null,
    /// `boolean`.
    Bool(bool),
    /// `smallint`.
    Int2(i16),
    /// `integer`.
    Int4(i32),
    /// `bigint`.
    Int8(i64),
    /// `real`.
    Float4(f32),
    /// `double precision`.
    Float8(f64),
    /// `numeric`.
    Numeric(Numeric),
    /// `text`, `varchar` and `char` (the latter stored blank-padded).
    Text(String),
    /// `bytea`.
    Bytea(Vec<u8>),
    /// `date`: days since 2000-01-01; `i32::MAX`/`MIN` are `±infinity`.
    Date(i32),
    /// `time`: microseconds since midnight (up to `24:00:00`).
    Time(i64),
    /// `timestamp`: microseconds since 2000-01-01 00:00 (local, no zone).
    Timestamp(i64),
    /// `timestamptz`: microseconds since 2000-01-01 00:00 UTC.
    TimestampTz(i64),
    /// `interval`.
    Interval(Interval),
    /// `uuid`: the 16 bytes.
    Uuid([u8; 16]),
    /// `json`: the text as written (validated).
    Json(String),
    /// `jsonb`: the normalized text (`{"a": 1, "b": [1, 2]}`); see [`super::json`].
    Jsonb(String),
    /// An array.
    Array(Array),
    /// A value of an enum type.
    Enum(EnumValue),
    /// `oid`.
    Oid(u32),
    /// `regclass`, `regtype`, ...: an OID with the name it prints as.
    Reg(Box<RegValue>),
}

/// A value of an object-identifier alias type (`regclass`, ...): the object's OID and the
/// name it prints as, looked up when the value was made (by a cast, which reads the catalog).
#[derive(Clone, Debug, PartialEq)]
pub struct RegValue {
    /// Which alias type.
    pub kind: RegKind,
    /// The object's OID.
    pub oid: u32,
    /// Its text form: the (qualified if not visible) name, or the number when no object has
    /// the OID.
    pub name: String,
}

/// An array value. Multi-dimensional arrays nest: each element of the outer array is an
/// [`Array`] of the same element type. Lower bounds are always 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The element type (never itself an array).
    pub element_type: DataType,
    /// The elements, `Value::Null` for NULL elements.
    pub elements: Vec<Value>,
}

impl Array {
    /// A one-dimensional array.
    pub fn new(element_type: DataType, elements: Vec<Value>) -> Array {
        Array {
            element_type,
            elements,
        }
    }
}

/// The class of a numeric value for exact cross-type comparison.
enum NumKey {
    Int(i64),
    Float(f64),
    Numeric(Numeric),
}

impl Value {
    /// The value's type; [`DataType::Unknown`] for `NULL`. Strings report `text` and
    /// numerics plain `numeric`: a value does not carry a type modifier.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::NUMERIC,
            Value::Text(_) => DataType::Text,
            Value::Bytea(_) => DataType::Bytea,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::TimestampTz(_) => DataType::TimestampTz,
            Value::Interval(_) => DataType::Interval,
            Value::Uuid(_) => DataType::Uuid,
            Value::Json(_) => DataType::Json,
            Value::Jsonb(_) => DataType::Jsonb,
            Value::Array(a) => DataType::Array(Box::new(a.element_type.clone())),
            Value::Enum(e) => DataType::Enum(Arc::clone(&e.ty)),
            Value::Oid(_) => DataType::Oid,
            Value::Reg(r) => DataType::Reg(r.kind),
        }
    }

    /// True for `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    fn num_key(&self) -> Option<NumKey> {
        Some(match self {
            Value::Int2(v) => NumKey::Int(*v as i64),
            Value::Int4(v) => NumKey::Int(*v as i64),
            Value::Int8(v) => NumKey::Int(*v),
            Value::Float4(v) => NumKey::Float(*v as f64),
            Value::Float8(v) => NumKey::Float(*v),
            Value::Numeric(n) => NumKey::Numeric(n.clone()),
            Value::Oid(v) => NumKey::Int(*v as i64),
            Value::Reg(r) => NumKey::Int(r.oid as i64),
            _ => return None,
        })
    }

    /// SQL comparison of two values: `None` if either is `NULL`. Values of the numeric
    /// category compare by exact value across types (`1::int4 = 1.0::numeric`, floats
    /// with PostgreSQL's `NaN` above everything and equal to itself); `date` compares
    /// with `timestamp` at midnight; `timestamp` with `timestamptz` as if the session zone
    /// were UTC (the binder should cast first). Other mixes fail with 42883.
    pub fn compare(&self, other: &Value) -> Result<Option<Ordering>> {
        if self.is_null() || other.is_null() {
            return Ok(None);
        }
        if let (Some(a), Some(b)) = (self.num_key(), other.num_key()) {
            return Ok(Some(compare_numbers(&a, &b)));
        }
        let ord = match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Text(a), Value::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Bytea(a), Value::Bytea(b)) => a.cmp(b),
            (Value::Date(a), Value::Date(b)) => a.cmp(b),
            (Value::Time(a), Value::Time(b)) => a.cmp(b),
            (
                Value::Timestamp(a) | Value::TimestampTz(a),
                Value::Timestamp(b) | Value::TimestampTz(b),
            ) => a.cmp(b),
            (Value::Date(d), Value::Timestamp(t) | Value::TimestampTz(t)) => {
                date_micros(*d).cmp(&(*t as i128))
            }
            (Value::Timestamp(t) | Value::TimestampTz(t), Value::Date(d)) => {
                (*t as i128).cmp(&date_micros(*d))
            }
            (Value::Interval(a), Value::Interval(b)) => a.span().cmp(&b.span()),
            (Value::Uuid(a), Value::Uuid(b)) => a.cmp(b),
            (Value::Jsonb(a), Value::Jsonb(b)) => a.cmp(b),
            (Value::Array(a), Value::Array(b)) => compare_arrays(a, b)?,
            (Value::Enum(a), Value::Enum(b)) if a.ty.oid == b.ty.oid => a.sort().cmp(&b.sort()),
            _ => {
                return Err(Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!(
                        "operator does not exist: {} = {}",
                        self.data_type().name(),
                        other.data_type().name()
                    ),
                ));
            }
        };
        Ok(Some(ord))
    }

    /// A total order for sorting and grouping: `NULL` after every value (the caller
    /// reverses for `NULLS FIRST`), otherwise [`Value::compare`]; values that cannot be
    /// compared order by type, so the order stays total.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        match self.compare(other) {
            Ok(Some(ord)) => ord,
            _ => self.type_rank().cmp(&other.type_rank()),
        }
    }

    fn type_rank(&self) -> u8 {
        match self {
            Value::Null => 255,
            Value::Bool(_) => 1,
            Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)
            | Value::Numeric(_)
            | Value::Oid(_)
            | Value::Reg(_) => 2,
            Value::Text(_) => 3,
            Value::Bytea(_) => 4,
            Value::Date(_) | Value::Timestamp(_) | Value::TimestampTz(_) => 5,
            Value::Time(_) => 6,
            Value::Interval(_) => 7,
            Value::Uuid(_) => 8,
            Value::Json(_) => 9,
            Value::Jsonb(_) => 10,
            Value::Array(_) => 11,
            Value::Enum(_) => 12,
        }
    }

    /// Feeds the value to a hasher, consistently with [`Value::sort_cmp`] equality among
    /// values of one type (`-0.0` and `0.0`, all NaNs, `1.5` and `1.50`, `1 mon` and
    /// `30 days` hash alike). Integers of different widths hash alike too.
    pub fn hash_key(&self, state: &mut impl Hasher) {
        self.hash_class().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(b) => b.hash(state),
            Value::Int2(v) => (*v as i64).hash(state),
            Value::Int4(v) => (*v as i64).hash(state),
            Value::Int8(v) => v.hash(state),
            Value::Oid(v) => (*v as i64).hash(state),
            Value::Reg(r) => (r.oid as i64).hash(state),
            Value::Float4(v) => canonical_float(*v as f64).hash(state),
            Value::Float8(v) => canonical_float(*v).hash(state),
            Value::Numeric(n) => n.sort_key().hash(state),
            Value::Text(s) | Value::Json(s) | Value::Jsonb(s) => s.hash(state),
            Value::Bytea(b) => b.hash(state),
            Value::Date(d) => d.hash(state),
            Value::Time(t) | Value::Timestamp(t) | Value::TimestampTz(t) => t.hash(state),
            Value::Interval(iv) => iv.span().hash(state),
            Value::Uuid(u) => u.hash(state),
            Value::Array(a) => {
                a.elements.len().hash(state);
                for e in &a.elements {
                    e.hash_key(state);
                }
            }
            Value::Enum(e) => {
                e.ty.oid.hash(state);
                e.index.hash(state);
            }
        }
    }

    /// Integers share a class so that equal integers of different widths hash alike;
    /// so do the two float widths.
    fn hash_class(&self) -> u8 {
        match self {
            Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Oid(_) | Value::Reg(_) => 2,
            Value::Float4(_) | Value::Float8(_) => 3,
            other => other.type_rank().wrapping_mul(16),
        }
    }

    /// The value as a component of an index or primary key, ordered as
    /// [`Value::sort_cmp`] orders values of its type.
    ///
    /// Integers, dates, times and timestamps become [`KeyPart::Int`]; floats
    /// [`KeyPart::Float`]; strings and `jsonb`/`json` text [`KeyPart::Text`]; `bytea` and
    /// `uuid` [`KeyPart::Bytes`]. Types without a native key part are encoded into
    /// order-preserving bytes ([`KeyPart::Bytes`]): `numeric` by [`Numeric::sort_key`],
    /// `interval` by its span (16 bytes, sign flipped, big-endian), arrays as the
    /// concatenated key encodings of their elements (element by element, then shorter
    /// first, NULL elements last, as PostgreSQL orders arrays).
    pub fn to_key_part(&self) -> KeyPart {
        match self {
            Value::Null => KeyPart::Null,
            Value::Bool(b) => KeyPart::Bool(*b),
            Value::Int2(v) => KeyPart::Int(*v as i64),
            Value::Int4(v) => KeyPart::Int(*v as i64),
            Value::Int8(v) => KeyPart::Int(*v),
            Value::Oid(v) => KeyPart::Int(*v as i64),
            Value::Reg(r) => KeyPart::Int(r.oid as i64),
            Value::Float4(v) => KeyPart::Float(*v as f64),
            Value::Float8(v) => KeyPart::Float(*v),
            Value::Numeric(n) => KeyPart::Bytes(n.sort_key()),
            Value::Text(s) | Value::Json(s) | Value::Jsonb(s) => KeyPart::Text(s.clone()),
            Value::Bytea(b) => KeyPart::Bytes(b.clone()),
            Value::Date(d) => KeyPart::Int(*d as i64),
            Value::Time(t) | Value::Timestamp(t) | Value::TimestampTz(t) => KeyPart::Int(*t),
            Value::Interval(iv) => {
                let flipped = (iv.span() as u128) ^ (1u128 << 127);
                KeyPart::Bytes(flipped.to_be_bytes().to_vec())
            }
            Value::Uuid(u) => KeyPart::Bytes(u.to_vec()),
            Value::Array(a) => {
                let mut out = Vec::new();
                for e in &a.elements {
                    keycode::encode_part(&mut out, &e.to_key_part(), Order::ASC);
                }
                KeyPart::Bytes(out)
            }
            Value::Enum(e) => KeyPart::Int(e.sort()),
        }
    }
}

fn date_micros(d: i32) -> i128 {
    match d {
        i32::MAX => i128::MAX,
        i32::MIN => i128::MIN,
        _ => d as i128 * USECS_PER_DAY as i128,
    }
}

/// `-0.0` as `0.0` and every NaN as one NaN, as bits.
fn canonical_float(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// PostgreSQL's float order: NaN above everything and equal to itself, `-0.0 = 0.0`.
pub fn compare_floats(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn compare_numbers(a: &NumKey, b: &NumKey) -> Ordering {
    match (a, b) {
        (NumKey::Int(x), NumKey::Int(y)) => x.cmp(y),
        (NumKey::Float(x), NumKey::Float(y)) => compare_floats(*x, *y),
        (NumKey::Numeric(x), NumKey::Numeric(y)) => x.cmp_total(y),
        (NumKey::Int(x), NumKey::Float(y)) => compare_int_float(*x, *y),
        (NumKey::Float(x), NumKey::Int(y)) => compare_int_float(*y, *x).reverse(),
        (NumKey::Int(x), NumKey::Numeric(y)) => Numeric::from_i64(*x).cmp_total(y),
        (NumKey::Numeric(x), NumKey::Int(y)) => x.cmp_total(&Numeric::from_i64(*y)),
        (NumKey::Float(x), NumKey::Numeric(y)) => float_as_numeric(*x).cmp_total(y),
        (NumKey::Numeric(x), NumKey::Float(y)) => x.cmp_total(&float_as_numeric(*y)),
    }
}

/// Exact comparison of an integer with a float.
fn compare_int_float(i: i64, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Less;
    }
    // Every i64 lies strictly inside (-2^63 - 1, 2^63); compare in i128 after flooring.
    if f >= 9.223_372_036_854_776e18 {
        return Ordering::Less;
    }
    if f < -9.223_372_036_854_776e18 {
        return Ordering::Greater;
    }
    let floor = f.floor();
    match (i as i128).cmp(&(floor as i128)) {
        Ordering::Equal if f > floor => Ordering::Less,
        ord => ord,
    }
}

fn float_as_numeric(f: f64) -> Numeric {
    if f.is_nan() {
        Numeric::nan()
    } else if f.is_infinite() {
        Numeric::infinity(f < 0.0)
    } else {
        Numeric::from_f64_exact(f).unwrap_or_else(|| Numeric::new(BigInt::from(0), 0))
    }
}

/// PostgreSQL's `array_cmp`: element by element (NULL elements above values), then the
/// shorter array first.
fn compare_arrays(a: &Array, b: &Array) -> Result<Ordering> {
    for (x, y) in a.elements.iter().zip(&b.elements) {
        let ord = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => x.compare(y)?.unwrap_or(Ordering::Equal),
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(a.elements.len().cmp(&b.elements.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_engine::keycode::encode;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn num(s: &str) -> Value {
        match Numeric::parse(s) {
            Some(Ok(n)) => Value::Numeric(n),
            _ => panic!("{s}"),
        }
    }

    fn hash(v: &Value) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash_key(&mut h);
        h.finish()
    }

    #[test]
    fn numbers_compare_across_types() {
        let eq = Some(Ordering::Equal);
        assert_eq!(Value::Int4(1).compare(&Value::Int8(1)), Ok(eq));
        assert_eq!(Value::Int4(1).compare(&num("1.0")), Ok(eq));
        assert_eq!(Value::Int2(2).compare(&Value::Float8(2.0)), Ok(eq));
        assert_eq!(Value::Float4(0.5).compare(&num("0.5")), Ok(eq));
        assert_eq!(
            Value::Int8(i64::MAX).compare(&Value::Float8(9.3e18)),
            Ok(Some(Ordering::Less))
        );
        assert_eq!(
            Value::Int4(3).compare(&Value::Float8(2.5)),
            Ok(Some(Ordering::Greater))
        );
        assert_eq!(
            Value::Float8(f64::NAN).compare(&Value::Float8(f64::INFINITY)),
            Ok(Some(Ordering::Greater))
        );
        assert_eq!(
            Value::Float8(f64::NAN).compare(&Value::Float8(f64::NAN)),
            Ok(eq)
        );
        assert_eq!(Value::Float8(-0.0).compare(&Value::Float8(0.0)), Ok(eq));
        assert_eq!(Value::Float8(f64::NAN).compare(&num("NaN")), Ok(eq));
        assert_eq!(Value::Int4(1).compare(&Value::Null), Ok(None));
        let err = Value::Int4(1)
            .compare(&Value::Text("1".into()))
            .unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::UNDEFINED_FUNCTION);
        assert_eq!(err.to_string(), "operator does not exist: integer = text");
    }

    #[test]
    fn hashes_agree_with_equality() {
        assert_eq!(hash(&Value::Float8(-0.0)), hash(&Value::Float8(0.0)));
        assert_eq!(
            hash(&Value::Float8(f64::NAN)),
            hash(&Value::Float8(-f64::NAN))
        );
        assert_eq!(hash(&num("1.50")), hash(&num("1.5")));
        assert_eq!(hash(&Value::Int4(7)), hash(&Value::Int8(7)));
        assert_eq!(
            hash(&Value::Interval(Interval::new(1, 0, 0))),
            hash(&Value::Interval(Interval::new(0, 30, 0)))
        );
        assert_ne!(hash(&Value::Int4(7)), hash(&Value::Text("7".into())));
    }

    pub(crate) fn scalar_of(kind: u8) -> BoxedStrategy<Value> {
        match kind {
            0 => any::<i64>().prop_map(Value::Int8).boxed(),
            1 => prop_oneof![
                any::<f64>(),
                Just(f64::NAN),
                Just(-0.0),
                Just(f64::INFINITY)
            ]
            .prop_map(Value::Float8)
            .boxed(),
            2 => (any::<i64>(), 0u32..8)
                .prop_map(|(v, s)| Value::Numeric(Numeric::new(BigInt::from(v), s)))
                .boxed(),
            3 => ".{0,6}".prop_map(Value::Text).boxed(),
            4 => (any::<i32>(), any::<i32>(), any::<i64>())
                .prop_map(|(m, d, u)| Value::Interval(Interval::new(m, d, u)))
                .boxed(),
            _ => prop::collection::vec(
                prop_oneof![Just(Value::Null), (-5i64..5).prop_map(Value::Int8)],
                0..4,
            )
            .prop_map(|e| Value::Array(Array::new(DataType::Int8, e)))
            .boxed(),
        }
    }

    fn column() -> impl Strategy<Value = Vec<Value>> {
        (0u8..6).prop_flat_map(|k| {
            prop::collection::vec(prop_oneof![1 => Just(Value::Null), 6 => scalar_of(k)], 3)
        })
    }

    proptest! {
        #[test]
        fn sort_cmp_is_a_total_order(v in column()) {
            let (a, b, c) = (&v[0], &v[1], &v[2]);
            prop_assert_eq!(a.sort_cmp(a), Ordering::Equal);
            prop_assert_eq!(a.sort_cmp(b), b.sort_cmp(a).reverse());
            if a.sort_cmp(b) != Ordering::Greater && b.sort_cmp(c) != Ordering::Greater {
                prop_assert_ne!(a.sort_cmp(c), Ordering::Greater);
            }
            if a.sort_cmp(b) == Ordering::Equal {
                prop_assert_eq!(hash(a), hash(b));
            }
        }

        #[test]
        fn key_parts_sort_like_values(v in column()) {
            let (a, b) = (&v[0], &v[1]);
            let ka = encode(&[a.to_key_part()], &[Order::ASC]).unwrap();
            let kb = encode(&[b.to_key_part()], &[Order::ASC]).unwrap();
            prop_assert_eq!(ka.cmp(&kb), a.sort_cmp(b), "{:?} {:?}", a, b);
        }

        #[test]
        fn mixed_numbers_compare_transitively(
            a in prop_oneof![scalar_of(0), scalar_of(1), scalar_of(2)],
            b in prop_oneof![scalar_of(0), scalar_of(1), scalar_of(2)],
            c in prop_oneof![scalar_of(0), scalar_of(1), scalar_of(2)],
        ) {
            if a.sort_cmp(&b) != Ordering::Greater && b.sort_cmp(&c) != Ordering::Greater {
                prop_assert_ne!(a.sort_cmp(&c), Ordering::Greater);
            }
        }
    }
}
