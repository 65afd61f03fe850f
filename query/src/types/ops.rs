//! Operators on values: arithmetic, comparison, concatenation and bitwise operators, with
//! PostgreSQL's result types and errors.

use std::cmp::Ordering;

use super::datatype::DataType;
use super::datetime::{self, Interval, USECS_PER_DAY};
use super::numeric::Numeric;
use super::text::Settings;
use super::value::{Array, Value};
use crate::error::{Error, Result, SqlState};

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `%`
    Modulo,
    /// `^`
    Exponent,
    /// `||`
    Concat,
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `#`
    BitXor,
    /// `<<`
    ShiftLeft,
    /// `>>`
    ShiftRight,
}

impl BinaryOp {
    /// The operator as written in SQL.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Exponent => "^",
            BinaryOp::Concat => "||",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
        }
    }

    /// True for the six comparison operators.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Minus,
    /// `+x`
    Plus,
    /// `NOT x`
    Not,
    /// `~x`
    BitNot,
}

fn no_operator(op: &str, left: &Value, right: &Value) -> Error {
    Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!(
            "operator does not exist: {} {op} {}",
            left.data_type().name(),
            right.data_type().name()
        ),
    )
    .with_hint(
        "No operator matches the given name and argument types. You might need to add explicit type casts.",
    )
}

fn division_by_zero() -> Error {
    Error::new(SqlState::DIVISION_BY_ZERO, "division by zero")
}

fn out_of_range(ty: &DataType) -> Error {
    Error::new(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("{} out of range", ty.name()),
    )
}

/// Integer operands widened to the larger of the two widths.
fn int_pair(left: &Value, right: &Value) -> Option<(i64, i64, DataType)> {
    let width = |v: &Value| match v {
        Value::Int2(x) => Some((*x as i64, 0)),
        Value::Int4(x) => Some((*x as i64, 1)),
        Value::Int8(x) => Some((*x, 2)),
        _ => None,
    };
    let (a, wa) = width(left)?;
    let (b, wb) = width(right)?;
    let ty = match wa.max(wb) {
        0 => DataType::Int2,
        1 => DataType::Int4,
        _ => DataType::Int8,
    };
    Some((a, b, ty))
}

fn make_int(v: Option<i64>, ty: &DataType) -> Result<Value> {
    let v = v.ok_or_else(|| out_of_range(ty))?;
    match ty {
        DataType::Int2 => i16::try_from(v)
            .map(Value::Int2)
            .map_err(|_| out_of_range(ty)),
        DataType::Int4 => i32::try_from(v)
            .map(Value::Int4)
            .map_err(|_| out_of_range(ty)),
        _ => Ok(Value::Int8(v)),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int2(x) => Some(*x as f64),
        Value::Int4(x) => Some(*x as f64),
        Value::Int8(x) => Some(*x as f64),
        Value::Float4(x) => Some(*x as f64),
        Value::Float8(x) => Some(*x),
        Value::Numeric(n) => Some(n.to_f64()),
        _ => None,
    }
}

fn as_numeric(v: &Value) -> Option<Numeric> {
    match v {
        Value::Int2(x) => Some(Numeric::from_i64(*x as i64)),
        Value::Int4(x) => Some(Numeric::from_i64(*x as i64)),
        Value::Int8(x) => Some(Numeric::from_i64(*x)),
        Value::Numeric(n) => Some(n.clone()),
        _ => None,
    }
}

/// PostgreSQL's float overflow and underflow checks (`float_overflow_error`).
fn check_float(result: f64, inputs_infinite: bool, zero_ok: bool) -> Result<f64> {
    if result.is_infinite() && !inputs_infinite {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value out of range: overflow",
        ));
    }
    if result == 0.0 && !zero_ok {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value out of range: underflow",
        ));
    }
    Ok(result)
}

fn float_arith(op: BinaryOp, a: f64, b: f64) -> Result<f64> {
    let inf = a.is_infinite() || b.is_infinite();
    match op {
        BinaryOp::Plus => check_float(a + b, inf, true),
        BinaryOp::Minus => check_float(a - b, inf, true),
        BinaryOp::Multiply => check_float(a * b, inf, a == 0.0 || b == 0.0),
        BinaryOp::Divide => {
            if b == 0.0 {
                return Err(division_by_zero());
            }
            check_float(a / b, a.is_infinite(), a == 0.0 || b.is_infinite())
        }
        BinaryOp::Exponent => {
            if a == 0.0 && b < 0.0 {
                return Err(Error::new(
                    SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                    "zero raised to a negative power is undefined",
                ));
            }
            if a < 0.0 && b.fract() != 0.0 && b.is_finite() {
                return Err(Error::new(
                    SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                    "a negative number raised to a non-integer power yields a complex result",
                ));
            }
            let r = a.powf(b);
            check_float(
                r,
                inf,
                a == 0.0 || r.is_nan() || b.is_infinite() || a.is_infinite(),
            )
        }
        _ => Err(Error::internal("not a float operator")),
    }
}

fn compare_result(op: BinaryOp, ord: Ordering) -> bool {
    match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::NotEq => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::LtEq => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    }
}

/// Applies a binary operator to two values of already-resolved types. A `NULL` operand
/// gives `NULL` (the caller handles `AND`/`OR` and `IS [NOT] DISTINCT FROM`).
///
/// Integer operands widen to the wider type and overflow with 22003 ("integer out of
/// range"); integer division truncates; any float operand makes the result `double
/// precision` (two `real`s stay `real`); an integer with a numeric gives numeric, with
/// PostgreSQL's result scales. Date/time arithmetic: `date ± integer`, `date - date`,
/// `date + time`, `timestamp ± interval`, `timestamp - timestamp`, `interval ± interval`,
/// `interval * / number`, `time ± interval`. `timestamptz ± interval` steps days and
/// months in UTC; use [`datetime::add_interval`] with the session zone for the exact rule.
pub fn binary_op(op: BinaryOp, left: &Value, right: &Value) -> Result<Value> {
    if left.is_null() || right.is_null() {
        return Ok(Value::Null);
    }
    if op.is_comparison() {
        let ord = left
            .compare(right)
            .map_err(|_| no_operator(op.symbol(), left, right))?;
        return Ok(ord.map_or(Value::Null, |o| Value::Bool(compare_result(op, o))));
    }
    use BinaryOp as B;
    use Value as V;
    if op == B::Concat {
        return concat(left, right);
    }
    // Integers.
    if let Some((a, b, ty)) = int_pair(left, right) {
        return match op {
            B::Plus => make_int(a.checked_add(b), &ty),
            B::Minus => make_int(a.checked_sub(b), &ty),
            B::Multiply => make_int(a.checked_mul(b), &ty),
            B::Divide if b == 0 => Err(division_by_zero()),
            B::Divide => make_int(a.checked_div(b), &ty),
            B::Modulo if b == 0 => Err(division_by_zero()),
            B::Modulo => make_int(Some(a.checked_rem(b).unwrap_or(0)), &ty),
            B::Exponent => Ok(V::Float8(float_arith(op, a as f64, b as f64)?)),
            B::BitAnd => make_int(Some(a & b), &ty),
            B::BitOr => make_int(Some(a | b), &ty),
            B::BitXor => make_int(Some(a ^ b), &ty),
            B::ShiftLeft | B::ShiftRight => shift(op, left, b),
            _ => Err(no_operator(op.symbol(), left, right)),
        };
    }
    // Floats: real op real stays real; anything else with a float is double precision.
    if let (V::Float4(a), V::Float4(b)) = (left, right)
        && matches!(op, B::Plus | B::Minus | B::Multiply | B::Divide)
    {
        let r = float_arith(op, *a as f64, *b as f64)? as f32;
        let inf = a.is_infinite() || b.is_infinite();
        if r.is_infinite() && !inf {
            return Err(Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                "value out of range: overflow",
            ));
        }
        return Ok(V::Float4(r));
    }
    if (matches!(left, V::Float4(_) | V::Float8(_)) || matches!(right, V::Float4(_) | V::Float8(_)))
        && let (Some(a), Some(b)) = (as_f64(left), as_f64(right))
    {
        return match op {
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Exponent => {
                Ok(V::Float8(float_arith(op, a, b)?))
            }
            _ => Err(no_operator(op.symbol(), left, right)),
        };
    }
    // Numerics.
    if let (Some(a), Some(b)) = (as_numeric(left), as_numeric(right)) {
        return Ok(V::Numeric(match op {
            B::Plus => a.add(&b)?,
            B::Minus => a.sub(&b)?,
            B::Multiply => a.mul(&b)?,
            B::Divide => a.div(&b)?,
            B::Modulo => a.rem(&b)?,
            B::Exponent => a.pow(&b)?,
            _ => return Err(no_operator(op.symbol(), left, right)),
        }));
    }
    datetime_op(op, left, right)
}

fn shift(op: BinaryOp, left: &Value, by: i64) -> Result<Value> {
    // As PostgreSQL's C shifts on x86: the count is taken modulo the width.
    let by = by as u32;
    Ok(match (op, left) {
        (BinaryOp::ShiftLeft, Value::Int2(a)) => Value::Int2(a.wrapping_shl(by)),
        (BinaryOp::ShiftLeft, Value::Int4(a)) => Value::Int4(a.wrapping_shl(by)),
        (BinaryOp::ShiftLeft, Value::Int8(a)) => Value::Int8(a.wrapping_shl(by)),
        (_, Value::Int2(a)) => Value::Int2(a.wrapping_shr(by)),
        (_, Value::Int4(a)) => Value::Int4(a.wrapping_shr(by)),
        (_, Value::Int8(a)) => Value::Int8(a.wrapping_shr(by)),
        _ => return Err(Error::internal("shift of a non-integer")),
    })
}

fn concat(left: &Value, right: &Value) -> Result<Value> {
    let settings = Settings::default();
    Ok(match (left, right) {
        (Value::Bytea(a), Value::Bytea(b)) => Value::Bytea([a.as_slice(), b].concat()),
        (Value::Array(a), Value::Array(b)) => Value::Array(Array::new(
            a.element_type.clone(),
            [a.elements.clone(), b.elements.clone()].concat(),
        )),
        (Value::Array(a), e) => {
            let mut elements = a.elements.clone();
            elements.push(e.clone());
            Value::Array(Array::new(a.element_type.clone(), elements))
        }
        (e, Value::Array(b)) => {
            let mut elements = vec![e.clone()];
            elements.extend(b.elements.iter().cloned());
            Value::Array(Array::new(b.element_type.clone(), elements))
        }
        (Value::Text(_), _) | (_, Value::Text(_)) => {
            let mut s = left.to_text(&settings).unwrap_or_default();
            s.push_str(&right.to_text(&settings).unwrap_or_default());
            Value::Text(s)
        }
        _ => return Err(no_operator("||", left, right)),
    })
}

fn date_value(days: Option<i64>) -> Result<Value> {
    let days = days.ok_or_else(datetime::date_out_of_range)?;
    Ok(Value::Date(datetime::check_date(days)?))
}

fn datetime_op(op: BinaryOp, left: &Value, right: &Value) -> Result<Value> {
    use BinaryOp as B;
    use Value as V;
    let int = |v: &Value| match v {
        V::Int2(x) => Some(*x as i64),
        V::Int4(x) => Some(*x as i64),
        V::Int8(x) => Some(*x),
        _ => None,
    };
    Ok(match (op, left, right) {
        (B::Plus, V::Date(d), r) if int(r).is_some() => {
            if datetime::date_is_infinite(*d) {
                V::Date(*d)
            } else {
                date_value(int(r).and_then(|n| (*d as i64).checked_add(n)))?
            }
        }
        (B::Plus, l, V::Date(d)) if int(l).is_some() => return datetime_op(op, right, left),
        (B::Minus, V::Date(d), r) if int(r).is_some() => {
            if datetime::date_is_infinite(*d) {
                V::Date(*d)
            } else {
                date_value(int(r).and_then(|n| (*d as i64).checked_sub(n)))?
            }
        }
        (B::Minus, V::Date(a), V::Date(b)) => {
            if datetime::date_is_infinite(*a) || datetime::date_is_infinite(*b) {
                return Err(Error::new(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "cannot subtract infinite dates",
                ));
            }
            V::Int4(a.wrapping_sub(*b))
        }
        (B::Plus, V::Date(d), V::Time(t)) | (B::Plus, V::Time(t), V::Date(d)) => {
            let ts = datetime::date_to_timestamp(*d)?;
            V::Timestamp(if datetime::timestamp_is_infinite(ts) {
                ts
            } else {
                datetime::check_timestamp(ts + t)?
            })
        }
        (B::Plus | B::Minus, V::Date(d), V::Interval(iv)) => {
            let ts = datetime::date_to_timestamp(*d)?;
            return datetime_op(op, &V::Timestamp(ts), &V::Interval(*iv));
        }
        (B::Plus, V::Interval(_), V::Date(_) | V::Timestamp(_) | V::TimestampTz(_)) => {
            return datetime_op(op, right, left);
        }
        (B::Plus, V::Timestamp(ts), V::Interval(iv)) => {
            V::Timestamp(datetime::add_interval(*ts, iv, None)?)
        }
        (B::Minus, V::Timestamp(ts), V::Interval(iv)) => {
            V::Timestamp(datetime::add_interval(*ts, &iv.checked_neg()?, None)?)
        }
        (B::Plus, V::TimestampTz(ts), V::Interval(iv)) => {
            V::TimestampTz(datetime::add_interval(*ts, iv, None)?)
        }
        (B::Minus, V::TimestampTz(ts), V::Interval(iv)) => {
            V::TimestampTz(datetime::add_interval(*ts, &iv.checked_neg()?, None)?)
        }
        (B::Minus, V::Timestamp(a) | V::TimestampTz(a), V::Timestamp(b) | V::TimestampTz(b)) => {
            V::Interval(datetime::timestamp_diff(*a, *b)?)
        }
        (B::Minus, V::Date(a), V::Timestamp(b)) => V::Interval(datetime::timestamp_diff(
            datetime::date_to_timestamp(*a)?,
            *b,
        )?),
        (B::Minus, V::Timestamp(a), V::Date(b)) => V::Interval(datetime::timestamp_diff(
            *a,
            datetime::date_to_timestamp(*b)?,
        )?),
        (B::Plus, V::Interval(a), V::Interval(b)) => V::Interval(a.checked_add(b)?),
        (B::Minus, V::Interval(a), V::Interval(b)) => {
            V::Interval(a.checked_add(&b.checked_neg()?)?)
        }
        (B::Plus | B::Minus, V::Time(t), V::Interval(iv)) => {
            let delta = if op == B::Plus { iv.micros } else { -iv.micros };
            V::Time((t + delta.rem_euclid(USECS_PER_DAY)).rem_euclid(USECS_PER_DAY))
        }
        (B::Plus, V::Interval(_), V::Time(_)) => return datetime_op(op, right, left),
        (B::Minus, V::Time(a), V::Time(b)) => V::Interval(Interval::new(0, 0, a - b)),
        (B::Multiply, V::Interval(iv), n) | (B::Multiply, n, V::Interval(iv)) => match as_f64(n) {
            Some(f) => V::Interval(iv.mul_f64(f)?),
            None => return Err(no_operator(op.symbol(), left, right)),
        },
        (B::Divide, V::Interval(iv), n) => match as_f64(n) {
            Some(0.0) => return Err(division_by_zero()),
            Some(f) => V::Interval(iv.mul_f64(1.0 / f)?),
            None => return Err(no_operator(op.symbol(), left, right)),
        },
        _ => return Err(no_operator(op.symbol(), left, right)),
    })
}

/// Applies a unary operator; `NULL` gives `NULL`.
pub fn unary_op(op: UnaryOp, v: &Value) -> Result<Value> {
    use Value as V;
    if v.is_null() {
        return Ok(V::Null);
    }
    let undefined = || {
        let symbol = match op {
            UnaryOp::Minus => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Not => "NOT",
            UnaryOp::BitNot => "~",
        };
        Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("operator does not exist: {symbol} {}", v.data_type().name()),
        )
    };
    Ok(match (op, v) {
        (UnaryOp::Plus, V::Int2(_) | V::Int4(_) | V::Int8(_) | V::Float4(_) | V::Float8(_))
        | (UnaryOp::Plus, V::Numeric(_) | V::Interval(_)) => v.clone(),
        (UnaryOp::Minus, V::Int2(a)) => V::Int2(
            a.checked_neg()
                .ok_or_else(|| out_of_range(&DataType::Int2))?,
        ),
        (UnaryOp::Minus, V::Int4(a)) => V::Int4(
            a.checked_neg()
                .ok_or_else(|| out_of_range(&DataType::Int4))?,
        ),
        (UnaryOp::Minus, V::Int8(a)) => V::Int8(
            a.checked_neg()
                .ok_or_else(|| out_of_range(&DataType::Int8))?,
        ),
        (UnaryOp::Minus, V::Float4(a)) => V::Float4(-a),
        (UnaryOp::Minus, V::Float8(a)) => V::Float8(-a),
        (UnaryOp::Minus, V::Numeric(n)) => V::Numeric(n.neg()),
        (UnaryOp::Minus, V::Interval(iv)) => V::Interval(iv.checked_neg()?),
        (UnaryOp::Not, V::Bool(b)) => V::Bool(!b),
        (UnaryOp::BitNot, V::Int2(a)) => V::Int2(!a),
        (UnaryOp::BitNot, V::Int4(a)) => V::Int4(!a),
        (UnaryOp::BitNot, V::Int8(a)) => V::Int8(!a),
        _ => return Err(undefined()),
    })
}

/// The type of `left op right` for operands of these types, as [`binary_op`] computes it;
/// 42883 when no such operator exists. Untyped operands (`Unknown`) take the other side's type.
pub fn binary_op_type(op: BinaryOp, left: &DataType, right: &DataType) -> Result<DataType> {
    use BinaryOp as B;
    use DataType as T;
    let (l, r) = match (left, right) {
        (T::Unknown, T::Unknown) => (&T::Text, &T::Text),
        (T::Unknown, r) => (r, r),
        (l, T::Unknown) => (l, l),
        (l, r) => (l, r),
    };
    if op.is_comparison() {
        // An enum compares only with itself.
        let same_enum = match (l, r) {
            (T::Enum(a), T::Enum(b)) => a.oid == b.oid,
            (T::Enum(_), _) | (_, T::Enum(_)) => false,
            _ => true,
        };
        if !same_enum {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("operator does not exist: {} {} {}", l.name(), op.symbol(), r.name()),
            )
            .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts."));
        }
        return Ok(T::Bool);
    }
    if op == B::Concat {
        return Ok(match (l, r) {
            (T::Bytea, T::Bytea) => T::Bytea,
            (T::Array(e), _) | (_, T::Array(e)) => T::Array(e.clone()),
            _ => T::Text,
        });
    }
    let missing = || {
        Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("operator does not exist: {} {} {}", l.name(), op.symbol(), r.name()),
        )
        .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
    };
    let rank = |t: &DataType| match t {
        T::Int2 => Some(0),
        T::Int4 => Some(1),
        T::Int8 => Some(2),
        T::Numeric { .. } => Some(3),
        T::Float4 => Some(4),
        T::Float8 => Some(5),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(l), rank(r)) {
        let top = a.max(b);
        return match op {
            B::BitAnd | B::BitOr | B::BitXor | B::ShiftLeft | B::ShiftRight if top > 2 => {
                Err(missing())
            }
            B::ShiftLeft | B::ShiftRight => Ok(l.clone()),
            B::Exponent if top <= 2 => Ok(T::Float8),
            B::Modulo if top >= 4 => Err(missing()),
            _ => Ok(match top {
                0 => T::Int2,
                1 => T::Int4,
                2 => T::Int8,
                3 => T::NUMERIC,
                // real op real stays real; a float with anything else is double precision.
                4 if a == 4 && b == 4 => T::Float4,
                _ => T::Float8,
            }),
        };
    }
    let int = |t: &DataType| matches!(t, T::Int2 | T::Int4 | T::Int8);
    let num = |t: &DataType| rank(t).is_some();
    Ok(match (op, l, r) {
        (B::Plus, T::Date, t) | (B::Plus, t, T::Date) if int(t) => T::Date,
        (B::Minus, T::Date, t) if int(t) => T::Date,
        (B::Minus, T::Date, T::Date) => T::Int4,
        (B::Plus, T::Date, T::Time) | (B::Plus, T::Time, T::Date) => T::Timestamp,
        (B::Plus | B::Minus, T::Date, T::Interval) | (B::Plus, T::Interval, T::Date) => {
            T::Timestamp
        }
        (B::Plus | B::Minus, T::Timestamp, T::Interval) | (B::Plus, T::Interval, T::Timestamp) => {
            T::Timestamp
        }
        (B::Plus | B::Minus, T::TimestampTz, T::Interval)
        | (B::Plus, T::Interval, T::TimestampTz) => T::TimestampTz,
        (B::Plus | B::Minus, T::Time, T::Interval) | (B::Plus, T::Interval, T::Time) => T::Time,
        (B::Minus, T::Timestamp, T::Timestamp) | (B::Minus, T::TimestampTz, T::TimestampTz) => {
            T::Interval
        }
        (B::Minus, T::Time, T::Time) => T::Interval,
        (B::Plus | B::Minus, T::Interval, T::Interval) => T::Interval,
        (B::Multiply, T::Interval, t) | (B::Multiply, t, T::Interval) if num(t) => T::Interval,
        (B::Divide, T::Interval, t) if num(t) => T::Interval,
        _ => return Err(missing()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use BinaryOp as B;

    fn s() -> Settings {
        Settings::default()
    }

    fn text(v: Result<Value>) -> Result<String> {
        v.map(|v| v.to_text(&s()).unwrap_or_else(|| "NULL".into()))
    }

    fn parse(t: &str, ty: DataType) -> Value {
        Value::from_text(t, &ty, &s()).unwrap()
    }

    fn err(v: Result<Value>) -> (&'static str, String) {
        let e = v.unwrap_err();
        (e.sqlstate().code(), e.to_string())
    }

    #[test]
    fn integer_arithmetic_matches_postgres() {
        assert_eq!(
            binary_op(B::Plus, &Value::Int4(1), &Value::Int8(2)),
            Ok(Value::Int8(3))
        );
        assert_eq!(
            binary_op(B::Divide, &Value::Int4(7), &Value::Int4(-2)),
            Ok(Value::Int4(-3))
        );
        assert_eq!(
            binary_op(B::Modulo, &Value::Int4(-7), &Value::Int4(2)),
            Ok(Value::Int4(-1))
        );
        assert_eq!(
            binary_op(B::Modulo, &Value::Int4(i32::MIN), &Value::Int4(-1)),
            Ok(Value::Int4(0))
        );
        assert_eq!(
            binary_op(B::Plus, &Value::Int2(1), &Value::Int2(2)),
            Ok(Value::Int2(3))
        );
        assert_eq!(
            err(binary_op(B::Plus, &Value::Int4(i32::MAX), &Value::Int4(1))),
            ("22003", "integer out of range".into())
        );
        assert_eq!(
            err(binary_op(
                B::Multiply,
                &Value::Int8(i64::MAX),
                &Value::Int8(2)
            )),
            ("22003", "bigint out of range".into())
        );
        assert_eq!(
            err(binary_op(B::Plus, &Value::Int2(i16::MAX), &Value::Int2(1))),
            ("22003", "smallint out of range".into())
        );
        assert_eq!(
            err(binary_op(
                B::Divide,
                &Value::Int4(i32::MIN),
                &Value::Int4(-1)
            )),
            ("22003", "integer out of range".into())
        );
        assert_eq!(
            err(binary_op(B::Divide, &Value::Int4(1), &Value::Int4(0))),
            ("22012", "division by zero".into())
        );
        assert_eq!(
            err(binary_op(B::Modulo, &Value::Int8(1), &Value::Int8(0))),
            ("22012", "division by zero".into())
        );
        assert_eq!(
            binary_op(B::Exponent, &Value::Int4(2), &Value::Int4(10)),
            Ok(Value::Float8(1024.0))
        );
        assert_eq!(
            binary_op(B::ShiftLeft, &Value::Int4(1), &Value::Int4(4)),
            Ok(Value::Int4(16))
        );
        assert_eq!(
            binary_op(B::BitXor, &Value::Int4(5), &Value::Int4(3)),
            Ok(Value::Int4(6))
        );
        assert_eq!(
            unary_op(UnaryOp::Minus, &Value::Int4(5)),
            Ok(Value::Int4(-5))
        );
        assert_eq!(
            err(unary_op(UnaryOp::Minus, &Value::Int4(i32::MIN))),
            ("22003", "integer out of range".into())
        );
        assert_eq!(
            binary_op(B::Plus, &Value::Int4(1), &Value::Null),
            Ok(Value::Null)
        );
    }

    #[test]
    fn float_and_numeric_arithmetic() {
        let n = |t: &str| parse(t, DataType::NUMERIC);
        assert_eq!(
            text(binary_op(B::Divide, &Value::Int4(1), &n("3"))),
            Ok("0.33333333333333333333".into())
        );
        assert_eq!(
            text(binary_op(B::Plus, &n("1.5"), &Value::Int4(1))),
            Ok("2.5".into())
        );
        assert_eq!(
            text(binary_op(B::Plus, &n("1.5"), &Value::Float8(1.0))),
            Ok("2.5".into())
        );
        assert_eq!(
            text(binary_op(B::Plus, &Value::Float8(0.1), &Value::Float8(0.2))),
            Ok("0.30000000000000004".into())
        );
        assert_eq!(
            binary_op(B::Plus, &Value::Float4(1.5), &Value::Float4(1.0)),
            Ok(Value::Float4(2.5))
        );
        assert_eq!(
            binary_op(B::Plus, &Value::Float4(1.5), &Value::Int4(1)),
            Ok(Value::Float8(2.5))
        );
        assert_eq!(
            err(binary_op(
                B::Divide,
                &Value::Float8(1.0),
                &Value::Float8(0.0)
            )),
            ("22012", "division by zero".into())
        );
        assert_eq!(
            err(binary_op(
                B::Multiply,
                &Value::Float8(1e300),
                &Value::Float8(1e300)
            )),
            ("22003", "value out of range: overflow".into())
        );
        assert_eq!(
            err(binary_op(B::Divide, &n("1"), &n("0"))),
            ("22012", "division by zero".into())
        );
        assert_eq!(
            binary_op(B::Lt, &Value::Int4(1), &n("1.5")),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            binary_op(B::Eq, &Value::Float8(f64::NAN), &Value::Float8(f64::NAN)),
            Ok(Value::Bool(true))
        );
        let e = binary_op(B::Eq, &Value::Int4(1), &Value::Text("1".into())).unwrap_err();
        assert_eq!(e.to_string(), "operator does not exist: integer = text");
    }

    #[test]
    fn datetime_arithmetic_matches_postgres() {
        let d = |t: &str| parse(t, DataType::Date);
        let ts = |t: &str| parse(t, DataType::Timestamp);
        let iv = |t: &str| parse(t, DataType::Interval);
        // Checked against PostgreSQL 15.
        assert_eq!(
            text(binary_op(B::Plus, &d("2024-01-31"), &Value::Int4(1))),
            Ok("2024-02-01".into())
        );
        assert_eq!(
            text(binary_op(B::Minus, &d("2024-01-01"), &d("2023-01-01"))),
            Ok("365".into())
        );
        assert_eq!(
            text(binary_op(B::Plus, &d("2024-01-31"), &iv("1 month"))),
            Ok("2024-02-29 00:00:00".into())
        );
        assert_eq!(
            text(binary_op(
                B::Minus,
                &ts("2024-01-03"),
                &ts("2024-01-01 22:00")
            )),
            Ok("1 day 02:00:00".into())
        );
        assert_eq!(
            text(binary_op(B::Multiply, &iv("1 day"), &Value::Float8(1.5))),
            Ok("1 day 12:00:00".into())
        );
        assert_eq!(
            text(binary_op(B::Divide, &iv("1 mon"), &Value::Int4(3))),
            Ok("10 days".into())
        );
        assert_eq!(
            text(binary_op(
                B::Plus,
                &parse("23:00", DataType::Time),
                &iv("2 hours")
            )),
            Ok("01:00:00".into())
        );
        assert_eq!(
            text(binary_op(
                B::Plus,
                &d("2024-01-01"),
                &parse("10:00", DataType::Time)
            )),
            Ok("2024-01-01 10:00:00".into())
        );
        assert_eq!(
            err(binary_op(B::Plus, &d("5874897-12-31"), &Value::Int4(1))),
            ("22008", "date out of range".into())
        );
        assert_eq!(
            text(unary_op(UnaryOp::Minus, &iv("1 day"))),
            Ok("-1 days".into())
        );
    }

    #[test]
    fn concatenation() {
        assert_eq!(
            binary_op(B::Concat, &Value::Text("a".into()), &Value::Int4(1)),
            Ok(Value::Text("a1".into()))
        );
        assert_eq!(
            binary_op(B::Concat, &Value::Bytea(vec![1]), &Value::Bytea(vec![2])),
            Ok(Value::Bytea(vec![1, 2]))
        );
        let a = parse("{1,2}", DataType::Array(Box::new(DataType::Int4)));
        assert_eq!(
            text(binary_op(B::Concat, &a, &Value::Int4(3))),
            Ok("{1,2,3}".into())
        );
        assert_eq!(text(binary_op(B::Concat, &a, &a)), Ok("{1,2,1,2}".into()));
        assert_eq!(
            binary_op(B::Concat, &Value::Text("a".into()), &Value::Null),
            Ok(Value::Null)
        );
    }
}
