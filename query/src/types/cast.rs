//! Casts between types and PostgreSQL's coercion rules (`pg_cast` contexts, type
//! categories and preferred types).

use super::datatype::DataType;
use super::datetime::{self, USECS_PER_DAY};
use super::numeric::Numeric;
use super::text::{Settings, fit_string};
use super::value::{Array, Value};
use crate::error::{Error, Result, SqlState};

/// Where a conversion happens, from the most to the least permissive: PostgreSQL applies
/// implicit casts anywhere, assignment casts when storing into a column, explicit casts
/// only when written (`CAST`, `::`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CoercionContext {
    /// Inside an expression (`int4 + int8`).
    Implicit,
    /// Storing into a column (`INSERT`, `UPDATE`).
    Assignment,
    /// A written cast.
    Explicit,
}

/// The weakest context in which `from` converts to `to` (as `pg_cast.castcontext`,
/// plus I/O conversion: to a string type by assignment, from one explicitly), or `None`.
fn cast_context(from: &DataType, to: &DataType) -> Option<CoercionContext> {
    use CoercionContext::*;
    use DataType as T;
    if from.without_typmod() == to.without_typmod() || *from == T::Unknown {
        return Some(Implicit);
    }
    match (from, to) {
        (T::Enum(a), T::Enum(b)) if a.oid == b.oid => return Some(Implicit),
        (T::Array(a), T::Array(b)) => return cast_context(a, b),
        (T::Array(_), _) | (_, T::Array(_)) if !to.is_string() && !from.is_string() => {
            return None;
        }
        _ => {}
    }
    // The object identifiers: integers become OIDs implicitly, OIDs integers by assignment,
    // `oid` and `regclass` (...) are interchangeable; nothing else is numeric with them.
    let oid_like = |t: &DataType| matches!(t, T::Oid | T::Reg(_));
    if oid_like(from) || oid_like(to) {
        return match (from, to) {
            (T::Oid, T::Reg(_)) | (T::Reg(_), T::Oid) => Some(Implicit),
            (T::Int2 | T::Int4 | T::Int8, _) if oid_like(to) => Some(Implicit),
            (_, T::Int4 | T::Int8) if oid_like(from) => Some(Assignment),
            (_, t) if t.is_string() => Some(Assignment),
            (f, _) if f.is_string() => Some(Explicit),
            _ => None,
        };
    }
    let rank = |t: &DataType| match t {
        T::Int2 => 0,
        T::Int4 => 1,
        T::Int8 => 2,
        T::Numeric { .. } => 3,
        T::Float4 => 4,
        _ => 5,
    };
    Some(match (from, to) {
        (f, t) if f.is_numeric() && t.is_numeric() => {
            if rank(f) < rank(t) && !(f.is_float() && matches!(t, T::Numeric { .. })) {
                Implicit
            } else {
                Assignment
            }
        }
        (f, t) if f.is_string() && t.is_string() => Implicit,
        (T::Date, T::Timestamp | T::TimestampTz) | (T::Timestamp, T::TimestampTz) => Implicit,
        (T::TimestampTz, T::Timestamp)
        | (T::Timestamp | T::TimestampTz, T::Date | T::Time)
        | (T::Interval, T::Time) => Assignment,
        (T::Time, T::Interval) => Implicit,
        (T::Bool, T::Int4) | (T::Int4, T::Bool) => Explicit,
        (T::Json, T::Jsonb) | (T::Jsonb, T::Json) => Assignment,
        (T::Jsonb, T::Bool | T::Int2 | T::Int4 | T::Int8 | T::Float4 | T::Float8)
        | (T::Jsonb, T::Numeric { .. }) => Explicit,
        (_, t) if t.is_string() => Assignment,
        (f, _) if f.is_string() => Explicit,
        _ => return None,
    })
}

/// True if a value of `from` may be converted to `to` in `context` (PostgreSQL's
/// `can_coerce_type`). `unknown` converts to anything.
pub fn can_coerce(from: &DataType, to: &DataType, context: CoercionContext) -> bool {
    cast_context(from, to).is_some_and(|needed| needed <= context)
}

/// The type `UNION`, `CASE`, `COALESCE`, `VALUES` and friends resolve their inputs to
/// (PostgreSQL's `select_common_type`), with "UNION" in the error message.
pub fn common_type(types: &[DataType]) -> Result<DataType> {
    common_type_in("UNION", types)
}

/// [`common_type`] naming the construct in its error: `CASE types integer and text cannot
/// be matched` (42804). All-`unknown` inputs resolve to `text`; within a category a later
/// type wins when the current one converts to it implicitly but not back, and a
/// preferred type (`float8`, `text`, `timestamptz`) is kept once reached.
pub fn common_type_in(context: &str, types: &[DataType]) -> Result<DataType> {
    let mut known = types.iter().filter(|t| **t != DataType::Unknown);
    let Some(first) = known.next() else {
        return Ok(DataType::Text);
    };
    let mut chosen = first.clone();
    for t in known {
        if t.without_typmod() == chosen.without_typmod() {
            if *t != chosen {
                chosen = merge_typmods(&chosen, t);
            }
            continue;
        }
        if t.category() != chosen.category() {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!(
                    "{context} types {} and {} cannot be matched",
                    chosen.name(),
                    t.name()
                ),
            ));
        }
        if !chosen.is_preferred()
            && can_coerce(&chosen, t, CoercionContext::Implicit)
            && !can_coerce(t, &chosen, CoercionContext::Implicit)
        {
            chosen = t.clone();
        }
    }
    for t in types {
        if !can_coerce(t, &chosen, CoercionContext::Implicit) {
            return Err(Error::new(
                SqlState::CANNOT_COERCE,
                format!(
                    "{context} could not convert type {} to {}",
                    t.name(),
                    chosen.name()
                ),
            ));
        }
    }
    // The type modifier survives only when every input has it.
    if types
        .iter()
        .any(|t| *t != DataType::Unknown && *t != chosen)
    {
        chosen = chosen.without_typmod();
    }
    Ok(chosen)
}

/// Same base type, different modifiers: PostgreSQL keeps the modifier only when all agree.
fn merge_typmods(a: &DataType, b: &DataType) -> DataType {
    if a == b {
        a.clone()
    } else {
        a.without_typmod()
    }
}

fn int_out_of_range(ty: &DataType) -> Error {
    Error::new(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("{} out of range", ty.name()),
    )
}

fn int_value(v: i128, ty: &DataType) -> Result<Value> {
    let fits = |min: i128, max: i128| (min..=max).contains(&v);
    match ty {
        DataType::Int2 if fits(i16::MIN as i128, i16::MAX as i128) => Ok(Value::Int2(v as i16)),
        DataType::Int4 if fits(i32::MIN as i128, i32::MAX as i128) => Ok(Value::Int4(v as i32)),
        DataType::Int8 if fits(i64::MIN as i128, i64::MAX as i128) => Ok(Value::Int8(v as i64)),
        _ => Err(int_out_of_range(ty)),
    }
}

fn numeric_value(n: Numeric, ty: &DataType) -> Result<Value> {
    match ty {
        DataType::Numeric {
            precision: Some(p),
            scale,
        } => Ok(Value::Numeric(n.apply_typmod(*p, scale.unwrap_or(0))?)),
        _ => Ok(Value::Numeric(n)),
    }
}

fn float8_to_float4(v: f64) -> Result<f32> {
    let f = v as f32;
    if f.is_infinite() && !v.is_infinite() {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value out of range: overflow",
        ));
    }
    if f == 0.0 && v != 0.0 {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value out of range: underflow",
        ));
    }
    Ok(f)
}

impl Value {
    /// An explicit cast (`CAST(x AS t)`, `x::t`) with PostgreSQL's semantics: integer
    /// range checks (22003 "integer out of range"), floats to integers rounded half to
    /// even (`rint`), numerics half away from zero, `numeric(p,s)` rounding and overflow,
    /// `varchar(n)`/`char(n)` truncation, `bool` ↔ `integer`, date/time conversions in
    /// the session time zone, and text I/O to and from every type. Impossible casts fail
    /// with 42846 "cannot cast type X to Y".
    pub fn cast(self, to: &DataType, settings: &Settings) -> Result<Value> {
        self.convert(to, settings, true)
    }

    /// An assignment to a column of type `to`: as [`Value::cast`], except that a string
    /// too long for `varchar(n)`/`char(n)` fails with 22001 unless the excess is spaces.
    pub fn assign(self, to: &DataType, settings: &Settings) -> Result<Value> {
        self.convert(to, settings, false)
    }

    fn convert(self, to: &DataType, settings: &Settings, explicit: bool) -> Result<Value> {
        use DataType as T;
        if self.is_null() || *to == T::Unknown {
            return Ok(self);
        }
        let from = self.data_type();
        let cannot = || {
            Error::new(
                SqlState::CANNOT_COERCE,
                format!("cannot cast type {} to {}", from.name(), to.name()),
            )
        };
        Ok(match (self, to) {
            // Strings: the target's length rules; anything else prints as text.
            (Value::Text(s), t) if t.is_string() => Value::Text(fit_string(s, t, explicit)?),
            (Value::Array(_), t) if t.is_string() && !explicit => {
                return Err(cannot());
            }
            // The cast says true/false where the output format says t/f.
            (Value::Bool(b), t) if t.is_string() => {
                Value::Text(fit_string(b.to_string(), t, explicit)?)
            }
            (v, t) if t.is_string() => {
                let text = v.to_text(settings).unwrap_or_default();
                Value::Text(fit_string(text, t, explicit)?)
            }
            (Value::Text(s), t) => Value::from_text(&s, t, settings)?,

            // Numbers.
            (Value::Int2(v), t) => int_to(v as i64, t).ok_or_else(cannot)??,
            (Value::Int4(v), t) => int_to(v as i64, t).ok_or_else(cannot)??,
            (Value::Int8(v), t) => int_to(v, t).ok_or_else(cannot)??,
            (Value::Float4(v), T::Float4) => Value::Float4(v),
            (Value::Float4(v), T::Numeric { .. }) => {
                numeric_value(Numeric::from_float(v as f64, 6), to)?
            }
            (Value::Float4(v), t) => float_to(v as f64, t).ok_or_else(cannot)??,
            (Value::Float8(v), T::Numeric { .. }) => numeric_value(Numeric::from_float(v, 15), to)?,
            (Value::Float8(v), t) => float_to(v, t).ok_or_else(cannot)??,
            (Value::Numeric(n), t) => numeric_to(n, t).ok_or_else(cannot)??,
            (Value::Oid(v), t) => oid_to(v, t).ok_or_else(cannot)?,
            (Value::Reg(r), T::Reg(kind)) if r.kind == *kind => Value::Reg(r),
            (Value::Reg(r), t) => oid_to(r.oid, t).ok_or_else(cannot)?,
            (Value::Bool(b), T::Bool) => Value::Bool(b),
            (Value::Bool(b), T::Int4) => Value::Int4(b as i32),

            // Dates and times.
            (Value::Date(d), T::Date) => Value::Date(d),
            (Value::Date(d), T::Timestamp) => Value::Timestamp(datetime::date_to_timestamp(d)?),
            (Value::Date(d), T::TimestampTz) => {
                let local = datetime::date_to_timestamp(d)?;
                Value::TimestampTz(if datetime::timestamp_is_infinite(local) {
                    local
                } else {
                    settings.timezone.local_to_utc(local)
                })
            }
            (Value::Time(t), T::Time) => Value::Time(t),
            (Value::Time(t), T::Interval) => Value::Interval(datetime::Interval::new(0, 0, t)),
            (Value::Timestamp(ts), T::Timestamp) => Value::Timestamp(ts),
            (Value::Timestamp(ts), T::Date) => Value::Date(datetime::timestamp_to_date(ts)?),
            (Value::Timestamp(ts), T::Time) => {
                if datetime::timestamp_is_infinite(ts) {
                    return Err(cannot());
                }
                Value::Time(ts.rem_euclid(USECS_PER_DAY))
            }
            (Value::Timestamp(ts), T::TimestampTz) => {
                Value::TimestampTz(if datetime::timestamp_is_infinite(ts) {
                    ts
                } else {
                    datetime::check_timestamp(settings.timezone.local_to_utc(ts))?
                })
            }
            (Value::TimestampTz(ts), T::TimestampTz) => Value::TimestampTz(ts),
            (Value::TimestampTz(ts), T::Timestamp | T::Date | T::Time) => {
                let local = if datetime::timestamp_is_infinite(ts) {
                    ts
                } else {
                    datetime::check_timestamp(
                        ts + settings.timezone.offset_at_utc(ts) as i64 * 1_000_000,
                    )?
                };
                Value::Timestamp(local).convert(to, settings, explicit)?
            }
            (Value::Interval(iv), T::Interval) => Value::Interval(iv),
            (Value::Interval(iv), T::Time) => Value::Time(iv.micros.rem_euclid(USECS_PER_DAY)),

            // Others.
            (Value::Bytea(b), T::Bytea) => Value::Bytea(b),
            (Value::Uuid(u), T::Uuid) => Value::Uuid(u),
            // The same enum, perhaps as an older version of the type (before a new label).
            (Value::Enum(e), T::Enum(ty)) if e.ty.oid == ty.oid => {
                ty.parse(e.label()).map(Value::Enum)?
            }
            (Value::Json(s), T::Json) => Value::Json(s),
            (Value::Jsonb(s), T::Jsonb) => Value::Jsonb(s),
            (Value::Json(s), T::Jsonb) => Value::Jsonb(super::json::jsonb_in(&s)?),
            (Value::Jsonb(s), T::Json) => Value::Json(s),
            (Value::Jsonb(s), t) if t.is_numeric() || *t == T::Bool => {
                jsonb_scalar(&s, t, settings)?
            }
            (Value::Array(a), T::Array(elem)) => {
                let elements = a
                    .elements
                    .into_iter()
                    .map(|e| match e {
                        Value::Array(inner) => Value::Array(inner).convert(to, settings, explicit),
                        other => other.convert(elem, settings, explicit),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Value::Array(Array::new((**elem).clone(), elements))
            }
            _ => return Err(cannot()),
        })
    }
}

/// An OID as another type: `int4` reinterprets its bits as PostgreSQL does, an alias type
/// prints as the number (the binder looks names up before this is reached).
fn oid_to(v: u32, to: &DataType) -> Option<Value> {
    Some(match to {
        DataType::Oid => Value::Oid(v),
        DataType::Int4 => Value::Int4(v as i32),
        DataType::Int8 => Value::Int8(v as i64),
        DataType::Reg(kind) => Value::Reg(Box::new(super::value::RegValue {
            kind: *kind,
            oid: v,
            name: v.to_string(),
        })),
        _ => return None,
    })
}

fn int_to(v: i64, to: &DataType) -> Option<Result<Value>> {
    Some(match to {
        DataType::Oid | DataType::Reg(_) => {
            if !(i32::MIN as i64..=u32::MAX as i64).contains(&v) {
                return Some(Err(int_out_of_range(&DataType::Oid)));
            }
            Ok(oid_to(v as u32, to)?)
        }
        DataType::Int2 | DataType::Int4 | DataType::Int8 => int_value(v as i128, to),
        DataType::Float4 => Ok(Value::Float4(v as f32)),
        DataType::Float8 => Ok(Value::Float8(v as f64)),
        DataType::Numeric { .. } => numeric_value(Numeric::from_i64(v), to),
        DataType::Bool => Ok(Value::Bool(v != 0)),
        _ => return None,
    })
}

fn float_to(v: f64, to: &DataType) -> Option<Result<Value>> {
    Some(match to {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => {
            let r = v.round_ties_even();
            // `as i128` saturates and maps NaN to 0, so check finiteness first.
            if !r.is_finite() || r.abs() > 1e19 {
                Err(int_out_of_range(to))
            } else {
                int_value(r as i128, to)
            }
        }
        DataType::Float4 => float8_to_float4(v).map(Value::Float4),
        DataType::Float8 => Ok(Value::Float8(v)),
        _ => return None,
    })
}

fn numeric_to(n: Numeric, to: &DataType) -> Option<Result<Value>> {
    Some(match to {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => {
            if n.is_nan() {
                Err(Error::unsupported_conversion(&format!(
                    "cannot convert NaN to {}",
                    to.name()
                )))
            } else if !n.is_finite() {
                Err(Error::unsupported_conversion(&format!(
                    "cannot convert infinity to {}",
                    to.name()
                )))
            } else {
                match n.round(0).parts().map(|(u, _)| u.clone()) {
                    Some(u) => {
                        let v: Option<i128> = num_traits::ToPrimitive::to_i128(&u);
                        match v {
                            Some(v) => int_value(v, to),
                            None => Err(int_out_of_range(to)),
                        }
                    }
                    None => Err(int_out_of_range(to)),
                }
            }
        }
        DataType::Float4 => {
            let f = n.to_f64();
            float8_to_float4(f).map(Value::Float4)
        }
        DataType::Float8 => {
            let f = n.to_f64();
            if f.is_infinite() && n.is_finite() {
                Err(Error::new(
                    SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                    "value out of range: overflow",
                ))
            } else {
                Ok(Value::Float8(f))
            }
        }
        DataType::Numeric { .. } => numeric_value(n, to),
        _ => return None,
    })
}

/// `jsonb` scalars cast to `boolean` and numbers.
fn jsonb_scalar(text: &str, to: &DataType, settings: &Settings) -> Result<Value> {
    let doc = super::json::parse(text, "jsonb")?;
    let (kind, value) = match &doc {
        super::json::Json::Number(n) => ("number", Some(Value::Text(n.clone()))),
        super::json::Json::Bool(b) => ("boolean", Some(Value::Bool(*b))),
        super::json::Json::String(_) => ("string", None),
        super::json::Json::Null => ("null", None),
        super::json::Json::Array(_) => ("array", None),
        super::json::Json::Object(_) => ("object", None),
    };
    let wrong = || {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot cast jsonb {kind} to type {}", to.name()),
        )
    };
    match (value, to) {
        (Some(Value::Bool(b)), DataType::Bool) => Ok(Value::Bool(b)),
        (Some(Value::Text(n)), t) if t.is_numeric() => Value::from_text(&n, t, settings),
        _ => Err(wrong()),
    }
}

impl Error {
    /// 0A000 with PostgreSQL's message for a conversion that has no result.
    fn unsupported_conversion(message: &str) -> Error {
        Error::new(SqlState::FEATURE_NOT_SUPPORTED, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CoercionContext::*;
    use DataType as T;

    fn s() -> Settings {
        Settings::default()
    }

    fn cast(v: Value, t: &DataType) -> Result<String> {
        v.cast(t, &s()).map(|v| v.to_text(&s()).unwrap_or_default())
    }

    fn n(text: &str) -> Value {
        Value::from_text(text, &T::NUMERIC, &s()).unwrap()
    }

    #[test]
    fn numeric_casts_match_postgres() {
        // Checked against PostgreSQL 15.
        assert_eq!(cast(Value::Float8(2.5), &T::Int4), Ok("2".into()));
        assert_eq!(cast(Value::Float8(3.5), &T::Int4), Ok("4".into()));
        assert_eq!(cast(Value::Float8(-2.5), &T::Int4), Ok("-2".into()));
        assert_eq!(cast(n("2.5"), &T::Int4), Ok("3".into()));
        assert_eq!(cast(n("-2.5"), &T::Int4), Ok("-3".into()));
        assert_eq!(cast(Value::Float8(0.1), &T::NUMERIC), Ok("0.1".into()));
        assert_eq!(cast(Value::Float4(0.1), &T::NUMERIC), Ok("0.1".into()));
        assert_eq!(cast(Value::Int4(5), &T::Float8), Ok("5".into()));
        assert_eq!(
            cast(
                Value::Int4(5),
                &T::Numeric {
                    precision: Some(5),
                    scale: Some(2)
                }
            ),
            Ok("5.00".into())
        );
        for (v, t, msg) in [
            (Value::Int4(70000), T::Int2, "smallint out of range"),
            (Value::Int8(1 << 40), T::Int4, "integer out of range"),
            (Value::Float8(1e19), T::Int8, "bigint out of range"),
            (Value::Float8(f64::NAN), T::Int4, "integer out of range"),
            (
                Value::Float8(1e300),
                T::Float4,
                "value out of range: overflow",
            ),
        ] {
            let e = v.cast(&t, &s()).unwrap_err();
            assert_eq!(
                (e.sqlstate(), e.to_string()),
                (SqlState::NUMERIC_VALUE_OUT_OF_RANGE, msg.to_string())
            );
        }
        let e = n("NaN").cast(&T::Int4, &s()).unwrap_err();
        assert_eq!(e.to_string(), "cannot convert NaN to integer");
        let e = n("123.456")
            .cast(
                &T::Numeric {
                    precision: Some(4),
                    scale: Some(2),
                },
                &s(),
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "numeric field overflow");
    }

    #[test]
    fn string_and_other_casts() {
        let v = Value::Text("abcdef".into());
        assert_eq!(cast(v.clone(), &T::Varchar(Some(3))), Ok("abc".into()));
        assert_eq!(cast(v.clone(), &T::Char(Some(8))), Ok("abcdef  ".into()));
        let e = v.clone().assign(&T::Varchar(Some(3)), &s()).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::STRING_DATA_RIGHT_TRUNCATION);
        assert_eq!(cast(Value::Int4(42), &T::Text), Ok("42".into()));
        assert_eq!(cast(Value::Text(" 42 ".into()), &T::Int8), Ok("42".into()));
        assert_eq!(cast(Value::Bool(true), &T::Int4), Ok("1".into()));
        assert_eq!(cast(Value::Int4(7), &T::Bool), Ok("t".into()));
        assert_eq!(
            cast(Value::Date(0), &T::Timestamp),
            Ok("2000-01-01 00:00:00".into())
        );
        let ny = Settings {
            timezone: super::super::datetime::TimeZone::parse("America/New_York").unwrap(),
            ..s()
        };
        let tz = Value::Date(0).cast(&T::TimestampTz, &ny).unwrap();
        assert_eq!(tz.to_text(&ny), Some("2000-01-01 00:00:00-05".into()));
        assert_eq!(tz.to_text(&s()), Some("2000-01-01 05:00:00+00".into()));
        let back = Value::TimestampTz(0).cast(&T::Date, &ny).unwrap();
        assert_eq!(back.to_text(&s()), Some("1999-12-31".into()));
        assert_eq!(
            cast(Value::Timestamp(USECS_PER_DAY + 3_600_000_000), &T::Time),
            Ok("01:00:00".into())
        );
        assert_eq!(
            cast(Value::Json("{\"b\":1, \"a\":2}".into()), &T::Jsonb),
            Ok("{\"a\": 2, \"b\": 1}".into())
        );
        assert_eq!(
            cast(Value::Jsonb("12.5".into()), &T::NUMERIC),
            Ok("12.5".into())
        );
        let ints = Value::from_text("{1,2,NULL}", &T::Array(Box::new(T::Int4)), &s()).unwrap();
        assert_eq!(
            cast(ints, &T::Array(Box::new(T::Float8))),
            Ok("{1,2,NULL}".into())
        );
        let e = Value::Int4(1).cast(&T::Date, &s()).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::CANNOT_COERCE);
        assert_eq!(e.to_string(), "cannot cast type integer to date");
    }

    #[test]
    fn coercion_follows_pg_cast() {
        assert!(can_coerce(&T::Int4, &T::Int8, Implicit));
        assert!(can_coerce(&T::Int8, &T::Float4, Implicit));
        assert!(can_coerce(&T::NUMERIC, &T::Float8, Implicit));
        assert!(!can_coerce(&T::Float8, &T::NUMERIC, Implicit));
        assert!(can_coerce(&T::Float8, &T::NUMERIC, Assignment));
        assert!(!can_coerce(&T::Int8, &T::Int4, Implicit));
        assert!(can_coerce(&T::Int8, &T::Int4, Assignment));
        assert!(can_coerce(&T::Varchar(Some(3)), &T::Text, Implicit));
        assert!(can_coerce(&T::Text, &T::Varchar(Some(3)), Implicit));
        assert!(can_coerce(&T::Int4, &T::Text, Assignment));
        assert!(!can_coerce(&T::Int4, &T::Text, Implicit));
        assert!(!can_coerce(&T::Text, &T::Int4, Assignment));
        assert!(can_coerce(&T::Text, &T::Int4, Explicit));
        assert!(can_coerce(&T::Unknown, &T::Date, Implicit));
        assert!(can_coerce(&T::Date, &T::TimestampTz, Implicit));
        assert!(!can_coerce(&T::TimestampTz, &T::Date, Implicit));
        assert!(!can_coerce(&T::Int4, &T::Bool, Assignment));
        assert!(can_coerce(&T::Int4, &T::Bool, Explicit));
        assert!(!can_coerce(&T::Int4, &T::Date, Explicit));
        assert!(can_coerce(
            &T::Array(Box::new(T::Int4)),
            &T::Array(Box::new(T::Int8)),
            Implicit
        ));
    }

    #[test]
    fn common_types_follow_postgres() {
        let c = |ts: &[DataType]| common_type(ts).map(|t| t.name());
        assert_eq!(c(&[T::Unknown, T::Unknown]), Ok("text".into()));
        assert_eq!(c(&[T::Int4, T::Int8]), Ok("bigint".into()));
        assert_eq!(c(&[T::Int2, T::NUMERIC, T::Int8]), Ok("numeric".into()));
        assert_eq!(c(&[T::Int4, T::Float4, T::NUMERIC]), Ok("real".into()));
        assert_eq!(c(&[T::NUMERIC, T::Float8]), Ok("double precision".into()));
        // PostgreSQL keeps varchar here: text and varchar convert implicitly both ways.
        assert_eq!(
            c(&[T::Varchar(Some(3)), T::Text]),
            Ok("character varying".into())
        );
        assert_eq!(c(&[T::Text, T::Varchar(Some(3))]), Ok("text".into()));
        assert_eq!(c(&[T::Unknown, T::Int4]), Ok("integer".into()));
        assert_eq!(
            c(&[T::Date, T::TimestampTz]),
            Ok("timestamp with time zone".into())
        );
        assert_eq!(
            c(&[T::Varchar(Some(3)), T::Varchar(Some(5))]),
            Ok("character varying".into())
        );
        let e = common_type_in("CASE", &[T::Int4, T::Text]).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::DATATYPE_MISMATCH);
        assert_eq!(
            e.to_string(),
            "CASE types integer and text cannot be matched"
        );
    }
}
