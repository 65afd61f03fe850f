//! The storage encoding of a row: compact, versioned, self-checking.
//!
//! ```text
//! +---------+-----------+----------------------+---------------------------------------+
//! | format  | columns n | NULL bitmap          | values of the non-NULL columns        |
//! | 1 byte  | varint    | ceil(n/8) bytes      | each: tag (1 byte) + payload           |
//! | = 0x01  |           | bit i set: col i NULL|                                       |
//! +---------+-----------+----------------------+---------------------------------------+
//! ```
//!
//! Payloads: fixed-width little-endian for `bool` (1), `int2` (2), `int4`/`date` (4),
//! `int8`/`float8`/`time`/`timestamp[tz]` (8), `interval` (months 4, days 4, micros 8),
//! `uuid` (16); a varint length and bytes for `text`, `bytea`, `json`, `jsonb`; for
//! `numeric` a kind byte (finite, NaN, ±Infinity) and for finite values a varint scale,
//! a sign byte and the magnitude as length-prefixed little-endian bytes; for arrays a
//! varint element count and each element as a marker byte (0 NULL, 1 value) and a tagged
//! value; for enums the label's index as a varint. Varints are LEB128.
//!
//! The tag of each value is checked against the declared column type on decoding, so a
//! row written under another schema is reported instead of misread. A row with fewer
//! columns than the table decodes with `NULL` for the missing trailing columns: `ALTER
//! TABLE ... ADD COLUMN` without a default needs no rewrite.

use std::sync::Arc;

use num_bigint::{BigInt, Sign};

use super::datatype::DataType;
use super::datetime::Interval;
use super::enums::EnumValue;
use super::numeric::Numeric;
use super::value::{Array, Value};
use crate::error::{Error, Result, SqlState};

/// The current row format.
pub const ROW_FORMAT: u8 = 1;

const TAG_BOOL: u8 = 1;
const TAG_INT2: u8 = 2;
const TAG_INT4: u8 = 3;
const TAG_INT8: u8 = 4;
const TAG_FLOAT4: u8 = 5;
const TAG_FLOAT8: u8 = 6;
const TAG_NUMERIC: u8 = 7;
const TAG_TEXT: u8 = 8;
const TAG_BYTEA: u8 = 9;
const TAG_DATE: u8 = 10;
const TAG_TIME: u8 = 11;
const TAG_TIMESTAMP: u8 = 12;
const TAG_TIMESTAMPTZ: u8 = 13;
const TAG_INTERVAL: u8 = 14;
const TAG_UUID: u8 = 15;
const TAG_JSON: u8 = 16;
const TAG_JSONB: u8 = 17;
const TAG_ARRAY: u8 = 18;
const TAG_ENUM: u8 = 19;
const TAG_OID: u8 = 20;

/// Deepest array nesting decoded (PostgreSQL allows 6 dimensions).
const MAX_ARRAY_DEPTH: usize = 6;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Encodes a row of values in the storage format.
pub fn encode_row(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + values.len().div_ceil(8) + values.len() * 8);
    out.push(ROW_FORMAT);
    put_varint(&mut out, values.len() as u64);
    let bitmap_start = out.len();
    out.resize(bitmap_start + values.len().div_ceil(8), 0);
    for (i, v) in values.iter().enumerate() {
        if v.is_null() {
            out[bitmap_start + i / 8] |= 1 << (i % 8);
        } else {
            encode_value(&mut out, v);
        }
    }
    out
}

fn encode_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        // NULLs live in the bitmap (or in an array element's marker).
        Value::Null => {}
        Value::Bool(b) => {
            out.push(TAG_BOOL);
            out.push(*b as u8);
        }
        Value::Int2(x) => {
            out.push(TAG_INT2);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Int4(x) => {
            out.push(TAG_INT4);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Int8(x) => {
            out.push(TAG_INT8);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Float4(x) => {
            out.push(TAG_FLOAT4);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Float8(x) => {
            out.push(TAG_FLOAT8);
            out.extend_from_slice(&x.to_le_bytes());
        }
        Value::Numeric(n) => {
            out.push(TAG_NUMERIC);
            match n.parts() {
                Some((unscaled, scale)) => {
                    out.push(0);
                    put_varint(out, scale as u64);
                    let (sign, magnitude) = unscaled.to_bytes_le();
                    out.push(match sign {
                        Sign::Minus => 0,
                        Sign::NoSign => 1,
                        Sign::Plus => 2,
                    });
                    put_bytes(out, &magnitude);
                }
                None if n.is_nan() => out.push(1),
                None if n.signum() > 0 => out.push(2),
                None => out.push(3),
            }
        }
        Value::Text(s) => {
            out.push(TAG_TEXT);
            put_bytes(out, s.as_bytes());
        }
        Value::Bytea(b) => {
            out.push(TAG_BYTEA);
            put_bytes(out, b);
        }
        Value::Date(d) => {
            out.push(TAG_DATE);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::Time(t) => {
            out.push(TAG_TIME);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Timestamp(t) => {
            out.push(TAG_TIMESTAMP);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::TimestampTz(t) => {
            out.push(TAG_TIMESTAMPTZ);
            out.extend_from_slice(&t.to_le_bytes());
        }
        Value::Interval(iv) => {
            out.push(TAG_INTERVAL);
            out.extend_from_slice(&iv.months.to_le_bytes());
            out.extend_from_slice(&iv.days.to_le_bytes());
            out.extend_from_slice(&iv.micros.to_le_bytes());
        }
        Value::Oid(v) => {
            out.push(TAG_OID);
            out.extend_from_slice(&v.to_le_bytes());
        }
        Value::Reg(r) => {
            out.push(TAG_OID);
            out.extend_from_slice(&r.oid.to_le_bytes());
        }
        Value::Uuid(u) => {
            out.push(TAG_UUID);
            out.extend_from_slice(u);
        }
        Value::Json(s) => {
            out.push(TAG_JSON);
            put_bytes(out, s.as_bytes());
        }
        Value::Jsonb(s) => {
            out.push(TAG_JSONB);
            put_bytes(out, s.as_bytes());
        }
        Value::Array(a) => {
            out.push(TAG_ARRAY);
            put_varint(out, a.elements.len() as u64);
            for e in &a.elements {
                if e.is_null() {
                    out.push(0);
                } else {
                    out.push(1);
                    encode_value(out, e);
                }
            }
        }
        Value::Enum(e) => {
            out.push(TAG_ENUM);
            put_varint(out, e.index as u64);
        }
    }
}

fn corrupted(what: impl std::fmt::Display) -> Error {
    Error::new(
        SqlState::DATA_CORRUPTED,
        format!("row data corrupted: {what}"),
    )
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| corrupted("truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7F) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupted("bad varint"))
    }

    fn len(&mut self) -> Result<usize> {
        let n = self.varint()?;
        if n > (self.bytes.len() - self.pos) as u64 {
            return Err(corrupted("length past the end"));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupted("invalid UTF-8"))
    }
}

/// The tag a value of the declared type is stored with.
fn expected_tag(ty: &DataType) -> Option<u8> {
    Some(match ty {
        DataType::Bool => TAG_BOOL,
        DataType::Int2 => TAG_INT2,
        DataType::Int4 => TAG_INT4,
        DataType::Int8 => TAG_INT8,
        DataType::Float4 => TAG_FLOAT4,
        DataType::Float8 => TAG_FLOAT8,
        DataType::Numeric { .. } => TAG_NUMERIC,
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::Name
        | DataType::SingleChar => TAG_TEXT,
        DataType::Oid | DataType::Reg(_) => TAG_OID,
        DataType::Bytea => TAG_BYTEA,
        DataType::Date => TAG_DATE,
        DataType::Time => TAG_TIME,
        DataType::Timestamp => TAG_TIMESTAMP,
        DataType::TimestampTz => TAG_TIMESTAMPTZ,
        DataType::Interval => TAG_INTERVAL,
        DataType::Uuid => TAG_UUID,
        DataType::Json => TAG_JSON,
        DataType::Jsonb => TAG_JSONB,
        DataType::Array(_) => TAG_ARRAY,
        DataType::Enum(_) => TAG_ENUM,
        DataType::Unknown => return None,
    })
}

fn decode_value(r: &mut Reader, ty: &DataType, depth: usize) -> Result<Value> {
    let tag = r.byte()?;
    // An array element may itself be an array (a further dimension).
    let nested = tag == TAG_ARRAY && depth > 0;
    if !nested && expected_tag(ty).is_some_and(|t| t != tag) {
        return Err(corrupted(format!(
            "value tag {tag} does not match column type {}",
            ty.name()
        )));
    }
    Ok(match tag {
        TAG_BOOL => match r.byte()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(corrupted(format!("bad boolean {b}"))),
        },
        TAG_INT2 => Value::Int2(i16::from_le_bytes(r.array()?)),
        TAG_INT4 => Value::Int4(i32::from_le_bytes(r.array()?)),
        TAG_INT8 => Value::Int8(i64::from_le_bytes(r.array()?)),
        TAG_FLOAT4 => Value::Float4(f32::from_le_bytes(r.array()?)),
        TAG_FLOAT8 => Value::Float8(f64::from_le_bytes(r.array()?)),
        TAG_NUMERIC => Value::Numeric(match r.byte()? {
            0 => {
                let scale = u32::try_from(r.varint()?).map_err(|_| corrupted("numeric scale"))?;
                let sign = match r.byte()? {
                    0 => Sign::Minus,
                    1 => Sign::NoSign,
                    2 => Sign::Plus,
                    _ => return Err(corrupted("numeric sign")),
                };
                Numeric::new(BigInt::from_bytes_le(sign, r.bytes()?), scale)
            }
            1 => Numeric::nan(),
            2 => Numeric::infinity(false),
            3 => Numeric::infinity(true),
            _ => return Err(corrupted("numeric kind")),
        }),
        TAG_TEXT => Value::Text(r.string()?),
        TAG_BYTEA => Value::Bytea(r.bytes()?.to_vec()),
        TAG_DATE => Value::Date(i32::from_le_bytes(r.array()?)),
        TAG_TIME => Value::Time(i64::from_le_bytes(r.array()?)),
        TAG_TIMESTAMP => Value::Timestamp(i64::from_le_bytes(r.array()?)),
        TAG_TIMESTAMPTZ => Value::TimestampTz(i64::from_le_bytes(r.array()?)),
        TAG_INTERVAL => Value::Interval(Interval::new(
            i32::from_le_bytes(r.array()?),
            i32::from_le_bytes(r.array()?),
            i64::from_le_bytes(r.array()?),
        )),
        TAG_UUID => Value::Uuid(r.array()?),
        TAG_OID => {
            let oid = u32::from_le_bytes(r.array()?);
            match ty {
                // A stored `regclass` prints as its number: names are looked up by casts.
                DataType::Reg(kind) => Value::Reg(Box::new(super::value::RegValue {
                    kind: *kind,
                    oid,
                    name: oid.to_string(),
                })),
                _ => Value::Oid(oid),
            }
        }
        TAG_JSON => Value::Json(r.string()?),
        TAG_JSONB => Value::Jsonb(r.string()?),
        TAG_ARRAY => {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(corrupted("arrays nested too deeply"));
            }
            let elem = match ty {
                DataType::Array(elem) => (**elem).clone(),
                other => other.clone(),
            };
            let count = r.len()?;
            let mut elements = Vec::with_capacity(count);
            for _ in 0..count {
                elements.push(match r.byte()? {
                    0 => Value::Null,
                    1 => decode_value(r, &elem, depth + 1)?,
                    _ => return Err(corrupted("array element marker")),
                });
            }
            Value::Array(Array::new(elem, elements))
        }
        TAG_ENUM => {
            let DataType::Enum(ty) = ty else {
                return Err(corrupted("enum value in a column of another type"));
            };
            let index = u32::try_from(r.varint()?)
                .ok()
                .filter(|&i| (i as usize) < ty.labels.len())
                .ok_or_else(|| corrupted(format!("no such label of enum {}", ty.name)))?;
            Value::Enum(EnumValue {
                ty: Arc::clone(ty),
                index,
            })
        }
        _ => return Err(corrupted(format!("unknown value tag {tag}"))),
    })
}

/// Decodes a row stored by [`encode_row`] for columns of `types`. Stored columns beyond
/// `types` are an error; missing trailing columns are `NULL`. Bad bytes give XX001.
pub fn decode_row(bytes: &[u8], types: &[DataType]) -> Result<Vec<Value>> {
    let mut r = Reader { bytes, pos: 0 };
    let format = r.byte()?;
    if format != ROW_FORMAT {
        return Err(corrupted(format!("unknown row format {format}")));
    }
    let n = r.varint()?;
    if n > types.len() as u64 {
        return Err(corrupted(format!(
            "row has {n} columns, the table {}",
            types.len()
        )));
    }
    let n = n as usize;
    let bitmap = r.take(n.div_ceil(8))?;
    let mut values = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate().take(n) {
        if bitmap[i / 8] & (1 << (i % 8)) != 0 {
            values.push(Value::Null);
        } else {
            values.push(decode_value(&mut r, ty, 0)?);
        }
    }
    if r.pos != bytes.len() {
        return Err(corrupted("trailing bytes"));
    }
    values.resize(types.len(), Value::Null);
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn column() -> impl Strategy<Value = (Value, DataType)> {
        let scalar = prop_oneof![
            any::<bool>().prop_map(|v| (Value::Bool(v), DataType::Bool)),
            any::<i16>().prop_map(|v| (Value::Int2(v), DataType::Int2)),
            any::<i32>().prop_map(|v| (Value::Int4(v), DataType::Int4)),
            any::<i64>().prop_map(|v| (Value::Int8(v), DataType::Int8)),
            any::<f32>()
                .prop_filter("NaN != NaN", |v| !v.is_nan())
                .prop_map(|v| (Value::Float4(v), DataType::Float4)),
            any::<f64>()
                .prop_filter("NaN != NaN", |v| !v.is_nan())
                .prop_map(|v| (Value::Float8(v), DataType::Float8)),
            (any::<i128>(), 0u32..40).prop_map(|(v, s)| (
                Value::Numeric(Numeric::new(BigInt::from(v), s)),
                DataType::NUMERIC
            )),
            Just((Value::Numeric(Numeric::nan()), DataType::NUMERIC)),
            Just((Value::Numeric(Numeric::infinity(true)), DataType::NUMERIC)),
            ".*".prop_map(|v| (Value::Text(v), DataType::Varchar(None))),
            prop::collection::vec(any::<u8>(), 0..40)
                .prop_map(|v| (Value::Bytea(v), DataType::Bytea)),
            any::<i32>().prop_map(|v| (Value::Date(v), DataType::Date)),
            any::<i64>().prop_map(|v| (Value::Time(v), DataType::Time)),
            any::<i64>().prop_map(|v| (Value::Timestamp(v), DataType::Timestamp)),
            any::<i64>().prop_map(|v| (Value::TimestampTz(v), DataType::TimestampTz)),
            (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(m, d, u)| (
                Value::Interval(Interval::new(m, d, u)),
                DataType::Interval
            )),
            any::<[u8; 16]>().prop_map(|v| (Value::Uuid(v), DataType::Uuid)),
            ".*".prop_map(|v| (Value::Json(v), DataType::Json)),
            ".*".prop_map(|v| (Value::Jsonb(v), DataType::Jsonb)),
            prop::collection::vec(prop::option::of(any::<i32>()), 0..6).prop_map(|v| (
                Value::Array(Array::new(
                    DataType::Int4,
                    v.into_iter()
                        .map(|e| e.map_or(Value::Null, Value::Int4))
                        .collect()
                )),
                DataType::Array(Box::new(DataType::Int4))
            )),
            Just((
                Value::Array(Array::new(
                    DataType::Text,
                    vec![
                        Value::Array(Array::new(
                            DataType::Text,
                            vec![Value::Text("a".into()), Value::Null]
                        )),
                        Value::Array(Array::new(
                            DataType::Text,
                            vec![Value::Text("b".into()), Value::Text("c".into())]
                        )),
                    ]
                )),
                DataType::Array(Box::new(DataType::Text))
            )),
        ];
        prop_oneof![
            1 => scalar.clone().prop_map(|(_, t)| (Value::Null, t)),
            5 => scalar,
        ]
    }

    proptest! {
        #[test]
        fn rows_round_trip(cols in prop::collection::vec(column(), 0..20)) {
            let (values, types): (Vec<Value>, Vec<DataType>) = cols.into_iter().unzip();
            let bytes = encode_row(&values);
            prop_assert_eq!(decode_row(&bytes, &types), Ok(values.clone()));
            // Added columns read as NULL.
            let mut wider = types.clone();
            wider.push(DataType::Int4);
            wider.push(DataType::Text);
            let mut expected = values;
            expected.push(Value::Null);
            expected.push(Value::Null);
            prop_assert_eq!(decode_row(&bytes, &wider), Ok(expected));
        }

        #[test]
        fn corrupted_rows_never_panic(
            cols in prop::collection::vec(column(), 1..8),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let (values, types): (Vec<Value>, Vec<DataType>) = cols.into_iter().unzip();
            let mut bytes = encode_row(&values);
            for (i, b) in flips {
                let i = i.index(bytes.len());
                bytes[i] ^= b;
            }
            if let Err(e) = decode_row(&bytes, &types) {
                prop_assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED);
            }
            let cut = cut.index(bytes.len());
            if let Err(e) = decode_row(&bytes[..cut], &types) {
                prop_assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED);
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let types = [DataType::Int4, DataType::Text, DataType::NUMERIC, DataType::Array(Box::new(DataType::Int8))];
            let _ = decode_row(&bytes, &types);
        }
    }

    #[test]
    fn layout_is_compact() {
        let bytes = encode_row(&[Value::Int4(7), Value::Null, Value::Text("ab".into())]);
        assert_eq!(
            bytes,
            vec![1, 3, 0b010, TAG_INT4, 7, 0, 0, 0, TAG_TEXT, 2, b'a', b'b']
        );
        let e = decode_row(&bytes, &[DataType::Int8, DataType::Int4, DataType::Text]).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED);
        assert!(decode_row(&[], &[]).is_err());
        assert!(decode_row(&bytes, &[DataType::Int4]).is_err());
    }
}
