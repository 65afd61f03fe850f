//! Values on the wire: PostgreSQL's text and binary formats.
//!
//! Text output is the query crate's own ([`Value::to_text`]) under the session's settings,
//! so results read exactly as psql shows them. Binary output follows PostgreSQL's `*send`
//! functions, chosen by the column's declared type (not the value's variant), because the
//! client decodes by the OID in RowDescription:
//!
//! | type | binary form |
//! |------|-------------|
//! | `bool` | one byte, 0 or 1 |
//! | `int2`/`int4`/`int8`, `float4`/`float8` | big-endian |
//! | `numeric` | `ndigits`, `weight`, `sign`, `dscale` (16 bits each), then base-10000 digits |
//! | `text`, `varchar`, `bpchar`, `json`, `unknown` | the UTF-8 bytes |
//! | `bytea` | the bytes |
//! | `date` | days since 2000-01-01 (32 bits) |
//! | `time` | µs since midnight (64 bits) |
//! | `timestamp`, `timestamptz` | µs since 2000-01-01 (64 bits; UTC for `timestamptz`) |
//! | `interval` | µs (64 bits), days (32), months (32) |
//! | `uuid` | the 16 bytes |
//! | `jsonb` | version byte 1, then the text |
//! | arrays | `ndim`, has-nulls flag, element OID, (`length`, lower bound 1) per dimension, then each element as length + bytes (-1 for NULL) |
//!
//! Parameters come in either format; [`decode_param`] reads both into a [`Value`] of the
//! parameter's type, with PostgreSQL's errors (22P02 for bad text, 22P03 for bad binary).

use anchor_query::error::{Error, Result, SqlState};
use anchor_query::types::{Array, DataType, Interval, Numeric, Settings, Value, datetime};
use bytes::{BufMut, BytesMut};

/// PostgreSQL's NUMERIC sign words.
const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;

/// Appends one field of a DataRow: its length (-1 for NULL) and its bytes, in text
/// (`binary` false) or binary format.
pub fn put_field(
    buf: &mut BytesMut,
    value: &Value,
    ty: &DataType,
    binary: bool,
    settings: &Settings,
) -> Result<()> {
    if value.is_null() {
        buf.put_i32(-1);
        return Ok(());
    }
    let start = buf.len();
    buf.put_i32(0);
    if binary {
        put_binary(buf, value, ty, settings)?;
    } else if let Some(text) = value.to_text(settings) {
        buf.put_slice(text.as_bytes());
    }
    let len = field_len(buf.len() - start - 4)?;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// A field length as the protocol's 32-bit integer (54000 past 1 GB, as in PostgreSQL).
fn field_len(len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| {
        Error::new(
            SqlState("54000"),
            "value too large to be sent in one protocol message",
        )
    })
}

/// The binary form of a non-NULL value of type `ty`.
fn put_binary(buf: &mut BytesMut, value: &Value, ty: &DataType, settings: &Settings) -> Result<()> {
    match (ty, value) {
        (DataType::Bool, Value::Bool(b)) => buf.put_u8(u8::from(*b)),
        (DataType::Int2, Value::Int2(v)) => buf.put_i16(*v),
        (DataType::Int4, Value::Int4(v)) => buf.put_i32(*v),
        (DataType::Int8, Value::Int8(v)) => buf.put_i64(*v),
        (DataType::Float4, Value::Float4(v)) => buf.put_f32(*v),
        (DataType::Float8, Value::Float8(v)) => buf.put_f64(*v),
        (DataType::Numeric { .. }, Value::Numeric(n)) => put_numeric(buf, n)?,
        (
            DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Unknown,
            Value::Text(s),
        )
        | (DataType::Json, Value::Json(s)) => buf.put_slice(s.as_bytes()),
        (DataType::Jsonb, Value::Jsonb(s)) => {
            buf.put_u8(1);
            buf.put_slice(s.as_bytes());
        }
        (DataType::Bytea, Value::Bytea(b)) => buf.put_slice(b),
        (DataType::Date, Value::Date(d)) => buf.put_i32(*d),
        (DataType::Time, Value::Time(t))
        | (DataType::Timestamp, Value::Timestamp(t))
        | (DataType::TimestampTz, Value::TimestampTz(t)) => buf.put_i64(*t),
        (DataType::Interval, Value::Interval(iv)) => {
            buf.put_i64(iv.micros);
            buf.put_i32(iv.days);
            buf.put_i32(iv.months);
        }
        (DataType::Uuid, Value::Uuid(u)) => buf.put_slice(u),
        // An enum's binary form is its label, as PostgreSQL's enum_send.
        (DataType::Enum(_), Value::Enum(e)) => buf.put_slice(e.label().as_bytes()),
        (DataType::Oid, Value::Oid(oid)) => buf.put_u32(*oid),
        (DataType::Reg(_), Value::Reg(r)) => buf.put_u32(r.oid),
        (DataType::Name | DataType::SingleChar, Value::Text(s)) => buf.put_slice(s.as_bytes()),
        (DataType::Array(elem), Value::Array(a)) => put_array(buf, a, elem, settings)?,
        // The value's variant differs from the column's type (an integer in a bigint
        // column, say): convert it, so the bytes match the OID the client was told.
        (ty, value) => {
            let converted = value.clone().cast(&ty.without_typmod(), settings)?;
            if !fits(ty, &converted) {
                return Err(Error::internal(format!(
                    "cannot send a {} value as {}",
                    value.data_type().name(),
                    ty.name()
                )));
            }
            return put_binary(buf, &converted, ty, settings);
        }
    }
    Ok(())
}

/// True if `put_binary` writes `value` as `ty` without converting it.
fn fits(ty: &DataType, value: &Value) -> bool {
    matches!(
        (ty, value),
        (DataType::Bool, Value::Bool(_))
            | (DataType::Int2, Value::Int2(_))
            | (DataType::Int4, Value::Int4(_))
            | (DataType::Int8, Value::Int8(_))
            | (DataType::Float4, Value::Float4(_))
            | (DataType::Float8, Value::Float8(_))
            | (DataType::Numeric { .. }, Value::Numeric(_))
            | (
                DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Unknown,
                Value::Text(_)
            )
            | (DataType::Json, Value::Json(_))
            | (DataType::Jsonb, Value::Jsonb(_))
            | (DataType::Bytea, Value::Bytea(_))
            | (DataType::Date, Value::Date(_))
            | (DataType::Time, Value::Time(_))
            | (DataType::Timestamp, Value::Timestamp(_))
            | (DataType::TimestampTz, Value::TimestampTz(_))
            | (DataType::Interval, Value::Interval(_))
            | (DataType::Uuid, Value::Uuid(_))
            | (DataType::Enum(_), Value::Enum(_))
            | (DataType::Oid, Value::Oid(_))
            | (DataType::Reg(_), Value::Reg(_))
            | (DataType::Name | DataType::SingleChar, Value::Text(_))
            | (DataType::Array(_), Value::Array(_))
    )
}

/// The dimensions of an array (outermost first); `[]` for an empty one.
fn dimensions(a: &Array) -> Vec<i32> {
    let mut dims = Vec::new();
    let mut level = a;
    loop {
        if level.elements.is_empty() {
            return dims;
        }
        dims.push(level.elements.len() as i32);
        match level.elements.first() {
            Some(Value::Array(inner)) => level = inner,
            _ => return dims,
        }
    }
}

/// The leaf elements of an array in row-major order.
fn leaves<'a>(a: &'a Array, out: &mut Vec<&'a Value>) {
    for e in &a.elements {
        match e {
            Value::Array(inner) => leaves(inner, out),
            other => out.push(other),
        }
    }
}

fn put_array(buf: &mut BytesMut, a: &Array, elem: &DataType, settings: &Settings) -> Result<()> {
    let dims = dimensions(a);
    let mut items = Vec::new();
    leaves(a, &mut items);
    buf.put_i32(dims.len() as i32);
    buf.put_i32(i32::from(items.iter().any(|v| v.is_null())));
    buf.put_u32(elem.oid());
    for d in &dims {
        buf.put_i32(*d);
        buf.put_i32(1);
    }
    for item in items {
        put_field(buf, item, elem, true, settings)?;
    }
    Ok(())
}

/// PostgreSQL's binary NUMERIC: the digits in base 10000 around the decimal point.
fn put_numeric(buf: &mut BytesMut, n: &Numeric) -> Result<()> {
    let Some((unscaled, scale)) = n.parts() else {
        let sign = if n.is_nan() {
            NUMERIC_NAN
        } else if n.signum() > 0 {
            NUMERIC_PINF
        } else {
            NUMERIC_NINF
        };
        buf.put_i16(0);
        buf.put_i16(0);
        buf.put_u16(sign);
        buf.put_u16(0);
        return Ok(());
    };
    let negative = unscaled.sign() == num_bigint::Sign::Minus;
    let digits = unscaled.magnitude().to_string();
    let scale = scale as usize;
    // Split into integer and fraction digits, padding the fraction to the scale.
    let (int_part, frac_part) = if digits.len() > scale {
        let (i, f) = digits.split_at(digits.len() - scale);
        (i.to_string(), f.to_string())
    } else {
        (String::new(), format!("{digits:0>scale$}"))
    };
    let int_pad = (4 - int_part.len() % 4) % 4;
    let int_digits = format!("{}{int_part}", "0".repeat(int_pad));
    let frac_pad = (4 - frac_part.len() % 4) % 4;
    let frac_digits = format!("{frac_part}{}", "0".repeat(frac_pad));
    let group = |s: &str| -> Vec<i16> {
        s.as_bytes()
            .chunks(4)
            .map(|c| c.iter().fold(0i16, |acc, d| acc * 10 + i16::from(d - b'0')))
            .collect()
    };
    let mut groups = group(&int_digits);
    let int_groups = groups.len() as i32;
    groups.extend(group(&frac_digits));
    let mut weight = int_groups - 1;
    let leading = groups.iter().take_while(|g| **g == 0).count();
    groups.drain(..leading);
    weight -= leading as i32;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let overflow = || Error::internal("numeric too large for the binary format");
    buf.put_i16(i16::try_from(groups.len()).map_err(|_| overflow())?);
    buf.put_i16(i16::try_from(weight).map_err(|_| overflow())?);
    buf.put_u16(if negative && !groups.is_empty() {
        NUMERIC_NEG
    } else {
        NUMERIC_POS
    });
    buf.put_u16(u16::try_from(scale).map_err(|_| overflow())?);
    for g in groups {
        buf.put_i16(g);
    }
    Ok(())
}

/// 22P03, PostgreSQL's error for a malformed binary parameter.
fn bad_binary(what: &str) -> Error {
    Error::new(
        SqlState("22P03"),
        format!("incorrect binary data format in bind parameter ({what})"),
    )
}

/// Reads a parameter sent in `binary` or text format as a value of `ty`.
pub fn decode_param(
    bytes: &[u8],
    ty: &DataType,
    binary: bool,
    settings: &Settings,
) -> Result<Value> {
    if !binary {
        return Value::from_text(&utf8(bytes)?, ty, settings);
    }
    let mut r = Reader(bytes);
    let value = read_binary(&mut r, ty, settings)?;
    if !r.0.is_empty() {
        return Err(bad_binary("trailing bytes"));
    }
    Ok(value)
}

/// A cursor over a binary value.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        if self.0.len() < N {
            return Err(bad_binary("too short"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }

    fn i16(&mut self) -> Result<i16> {
        self.take::<2>().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> Result<i32> {
        self.take::<4>().map(i32::from_be_bytes)
    }

    fn i64(&mut self) -> Result<i64> {
        self.take::<8>().map(i64::from_be_bytes)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(bad_binary("too short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn rest(&mut self) -> &[u8] {
        std::mem::take(&mut self.0)
    }
}

/// Text from a client: UTF-8 without NUL characters (22021 otherwise, as in PostgreSQL).
fn utf8(bytes: &[u8]) -> Result<String> {
    let invalid = |b: u8| {
        Error::new(
            SqlState::CHARACTER_NOT_IN_REPERTOIRE,
            format!("invalid byte sequence for encoding \"UTF8\": 0x{b:02x}"),
        )
    };
    if bytes.contains(&0) {
        return Err(invalid(0));
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| invalid(bytes[e.utf8_error().valid_up_to()]))
}

fn read_binary(r: &mut Reader, ty: &DataType, settings: &Settings) -> Result<Value> {
    Ok(match ty {
        DataType::Bool => match r.take::<1>()?[0] {
            0 => Value::Bool(false),
            _ => Value::Bool(true),
        },
        DataType::Int2 => Value::Int2(r.i16()?),
        DataType::Int4 => Value::Int4(r.i32()?),
        DataType::Int8 => Value::Int8(r.i64()?),
        DataType::Float4 => Value::Float4(f32::from_be_bytes(r.take::<4>()?)),
        DataType::Float8 => Value::Float8(f64::from_be_bytes(r.take::<8>()?)),
        DataType::Numeric { .. } => {
            let n = read_numeric(r)?;
            return Value::from_text(&n, ty, settings);
        }
        DataType::Text | DataType::Unknown => Value::Text(utf8(r.rest())?),
        DataType::Varchar(_) | DataType::Char(_) => {
            let s = utf8(r.rest())?;
            return Value::from_text(&s, ty, settings);
        }
        DataType::Json => {
            let s = utf8(r.rest())?;
            return Value::from_text(&s, ty, settings);
        }
        DataType::Jsonb => {
            if r.take::<1>()?[0] != 1 {
                return Err(Error::new(
                    SqlState("22P03"),
                    "unsupported jsonb version number",
                ));
            }
            let s = utf8(r.rest())?;
            return Value::from_text(&s, ty, settings);
        }
        DataType::Bytea => Value::Bytea(r.rest().to_vec()),
        DataType::Date => {
            let d = r.i32()?;
            if datetime::date_is_infinite(d) {
                Value::Date(d)
            } else {
                Value::Date(datetime::check_date(i64::from(d))?)
            }
        }
        DataType::Time => {
            let t = r.i64()?;
            if !(0..=86_400_000_000).contains(&t) {
                return Err(Error::new(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "time out of range",
                ));
            }
            Value::Time(t)
        }
        DataType::Timestamp => Value::Timestamp(datetime::check_timestamp(r.i64()?)?),
        DataType::TimestampTz => Value::TimestampTz(datetime::check_timestamp(r.i64()?)?),
        DataType::Interval => {
            let micros = r.i64()?;
            let days = r.i32()?;
            let months = r.i32()?;
            Value::Interval(Interval {
                months,
                days,
                micros,
            })
        }
        DataType::Uuid => Value::Uuid(r.take::<16>()?),
        DataType::Enum(_) | DataType::Name | DataType::SingleChar => {
            let s = utf8(r.rest())?;
            return Value::from_text(&s, ty, settings);
        }
        DataType::Oid => Value::Oid(u32::from_be_bytes(r.take::<4>()?)),
        DataType::Reg(_) => {
            let oid = u32::from_be_bytes(r.take::<4>()?);
            return Value::from_text(&oid.to_string(), ty, settings);
        }
        DataType::Array(elem) => Value::Array(read_array(r, elem, settings)?),
    })
}

/// Reads a binary NUMERIC into its decimal text.
fn read_numeric(r: &mut Reader) -> Result<String> {
    let ndigits = r.i16()?;
    let weight = r.i16()?;
    let sign = r.take::<2>().map(u16::from_be_bytes)?;
    let dscale = r.take::<2>().map(u16::from_be_bytes)?;
    match sign {
        NUMERIC_NAN => return Ok("NaN".into()),
        NUMERIC_PINF => return Ok("Infinity".into()),
        NUMERIC_NINF => return Ok("-Infinity".into()),
        NUMERIC_POS | NUMERIC_NEG => {}
        _ => return Err(bad_binary("invalid sign in external \"numeric\" value")),
    }
    if ndigits < 0 || dscale > 0x3FFF {
        return Err(bad_binary("invalid length in external \"numeric\" value"));
    }
    let mut groups = Vec::with_capacity(ndigits as usize);
    for _ in 0..ndigits {
        let g = r.i16()?;
        if !(0..10_000).contains(&g) {
            return Err(bad_binary("invalid digit in external \"numeric\" value"));
        }
        groups.push(g);
    }
    // Digit group i stands for 10000^(weight - i).
    let weight = i32::from(weight);
    let mut int_part = String::new();
    let mut frac_part = String::new();
    for (i, g) in groups.iter().enumerate() {
        let power = weight - i as i32;
        if power >= 0 {
            int_part.push_str(&format!("{g:04}"));
        } else {
            if frac_part.is_empty() && power < -1 {
                frac_part.push_str(&"0000".repeat((-power - 1) as usize));
            }
            frac_part.push_str(&format!("{g:04}"));
        }
    }
    // Integer groups missing between the last digit and the decimal point are zeros.
    let last_power = weight - groups.len() as i32 + 1;
    if last_power > 0 && !groups.is_empty() {
        int_part.push_str(&"0000".repeat(last_power as usize));
    }
    let int_part = int_part.trim_start_matches('0');
    let dscale = dscale as usize;
    let mut frac: String = frac_part.chars().take(dscale).collect();
    while frac.len() < dscale {
        frac.push('0');
    }
    let mut out = String::new();
    if sign == NUMERIC_NEG {
        out.push('-');
    }
    out.push_str(if int_part.is_empty() { "0" } else { int_part });
    if dscale > 0 {
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

fn read_array(r: &mut Reader, elem: &DataType, settings: &Settings) -> Result<Array> {
    let ndim = r.i32()?;
    let _has_nulls = r.i32()?;
    let elem_oid = r.i32()? as u32;
    if !(0..=6).contains(&ndim) {
        return Err(bad_binary("invalid number of dimensions"));
    }
    if ndim > 0 && elem_oid != elem.oid() {
        return Err(Error::new(
            SqlState("42804"),
            format!(
                "binary data has array element type {elem_oid} instead of expected {}",
                elem.oid()
            ),
        ));
    }
    let mut dims = Vec::with_capacity(ndim as usize);
    let mut total: usize = 1;
    for _ in 0..ndim {
        let len = r.i32()?;
        let _lower = r.i32()?;
        if len < 0 {
            return Err(bad_binary("negative array dimension"));
        }
        total = total
            .checked_mul(len as usize)
            .filter(|t| *t <= r.0.len() / 4 + 1)
            .ok_or_else(|| bad_binary("array too large"))?;
        dims.push(len as usize);
    }
    if ndim == 0 {
        return Ok(Array::new(elem.clone(), Vec::new()));
    }
    let mut items = Vec::with_capacity(total);
    for _ in 0..total {
        let len = r.i32()?;
        if len < 0 {
            items.push(Value::Null);
        } else {
            let bytes = r.bytes(len as usize)?;
            let mut inner = Reader(bytes);
            let v = read_binary(&mut inner, elem, settings)?;
            if !inner.0.is_empty() {
                return Err(bad_binary("trailing bytes in array element"));
            }
            items.push(v);
        }
    }
    Ok(nest(items, &dims, elem))
}

/// Builds nested arrays of `dims` from row-major leaves.
fn nest(items: Vec<Value>, dims: &[usize], elem: &DataType) -> Array {
    match dims {
        [] | [_] => Array::new(elem.clone(), items),
        [_, inner @ ..] => {
            let chunk: usize = inner.iter().product();
            let mut rest = items;
            let mut outer = Vec::new();
            while !rest.is_empty() && chunk > 0 {
                let tail = rest.split_off(chunk.min(rest.len()));
                outer.push(Value::Array(nest(rest, inner, elem)));
                rest = tail;
            }
            Array::new(elem.clone(), outer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_roundtrip(text: &str) -> (Vec<u8>, String) {
        let settings = Settings::default();
        let ty = DataType::NUMERIC;
        let v = Value::from_text(text, &ty, &settings).unwrap();
        let mut buf = BytesMut::new();
        put_binary(&mut buf, &v, &ty, &settings).unwrap();
        let back = decode_param(&buf, &ty, true, &settings).unwrap();
        (buf.to_vec(), back.to_text(&settings).unwrap())
    }

    #[test]
    fn numeric_binary_matches_postgres() {
        // Bytes from PostgreSQL 15's numeric_send.
        let (bytes, back) = numeric_roundtrip("12345.678");
        assert_eq!(
            bytes,
            [0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1A, 0x7C]
        );
        assert_eq!(back, "12345.678");
        let (bytes, back) = numeric_roundtrip("-0.0001");
        assert_eq!(bytes, [0, 1, 0xFF, 0xFF, 0x40, 0, 0, 4, 0, 1]);
        assert_eq!(back, "-0.0001");
        let (bytes, back) = numeric_roundtrip("0.00");
        assert_eq!(bytes, [0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(back, "0.00");
        let (bytes, back) = numeric_roundtrip("100000000");
        assert_eq!(bytes, [0, 1, 0, 2, 0, 0, 0, 0, 0, 1]);
        assert_eq!(back, "100000000");
        for t in [
            "NaN",
            "Infinity",
            "-Infinity",
            "1.5",
            "99999999.99999",
            "0.000001230",
        ] {
            assert_eq!(numeric_roundtrip(t).1, t);
        }
    }

    #[test]
    fn arrays_round_trip_in_binary() {
        let settings = Settings::default();
        let ty = DataType::Array(Box::new(DataType::Int4));
        for text in ["{1,NULL,3}", "{}", "{{1,2},{3,4}}"] {
            let v = Value::from_text(text, &ty, &settings).unwrap();
            let mut buf = BytesMut::new();
            put_binary(&mut buf, &v, &ty, &settings).unwrap();
            let back = decode_param(&buf, &ty, true, &settings).unwrap();
            assert_eq!(back.to_text(&settings).unwrap(), text);
        }
    }

    #[test]
    fn malformed_binary_parameters_are_errors() {
        let settings = Settings::default();
        let e = decode_param(&[0, 1], &DataType::Int4, true, &settings).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22P03");
        let e = decode_param(&[0, 0, 0, 1, 0], &DataType::Int4, true, &settings).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22P03");
        let arr = DataType::Array(Box::new(DataType::Int4));
        let huge = [
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1,
        ];
        assert!(decode_param(&huge, &arr, true, &settings).is_err());
        let e = decode_param(b"abc", &DataType::Int4, false, &settings).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22P02");
        // Dates and timestamps beyond PostgreSQL's range are 22008, not values.
        let far = (i64::MAX - 1).to_be_bytes();
        let e = decode_param(&far, &DataType::TimestampTz, true, &settings).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22008");
        let e = decode_param(
            &(i32::MAX - 1).to_be_bytes(),
            &DataType::Date,
            true,
            &settings,
        )
        .unwrap_err();
        assert_eq!(e.sqlstate().code(), "22008");
        let e = decode_param(b"a\0b", &DataType::Text, true, &settings).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22021");
        let e = decode_param(b"\xff", &DataType::Text, false, &settings).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22021");
        let inf = decode_param(
            &i64::MAX.to_be_bytes(),
            &DataType::Timestamp,
            true,
            &settings,
        );
        assert_eq!(inf.unwrap().to_text(&settings).as_deref(), Some("infinity"));
    }
}
