//! Mathematical functions: logarithms and exponentials, trigonometry, `random` and
//! `setseed`, integer helpers (`div`, `gcd`, `lcm`, `factorial`), `width_bucket`, `scale`.
//!
//! Functions PostgreSQL defines on `double precision` compute in `f64`; those it also
//! defines on `numeric` (`ln`, `log`, `exp`, ...) give a `numeric` for a `numeric`
//! argument, computed in `f64` and kept to 16 significant digits.

use std::cell::RefCell;

use num_bigint::BigInt;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::error::{Error, Result, SqlState};
use crate::types::{Numeric, Value};

thread_local! {
    /// The generator behind `random()`, reseeded by `setseed`.
    static RNG: RefCell<Option<StdRng>> = const { RefCell::new(None) };
}

/// `random()`: uniform in [0, 1).
pub fn random() -> f64 {
    RNG.with(|r| {
        let mut r = r.borrow_mut();
        r.get_or_insert_with(|| StdRng::from_rng(&mut rand::rng()))
            .random::<f64>()
    })
}

/// `setseed(x)`, x in [-1, 1].
pub fn setseed(x: f64) -> Result<()> {
    if !(-1.0..=1.0).contains(&x) || x.is_nan() {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("setseed parameter {x} is out of allowed range [-1,1]"),
        ));
    }
    RNG.with(|r| *r.borrow_mut() = Some(StdRng::seed_from_u64(x.to_bits())));
    Ok(())
}

fn log_error(x: f64) -> Option<Error> {
    if x == 0.0 {
        Some(Error::new(
            SqlState("2201E"),
            "cannot take logarithm of zero",
        ))
    } else if x < 0.0 {
        Some(Error::new(
            SqlState("2201E"),
            "cannot take logarithm of a negative number",
        ))
    } else {
        None
    }
}

/// A unary float function by name.
pub fn unary(name: &str, x: f64) -> Result<f64> {
    let domain = || {
        Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "input is out of range",
        )
    };
    Ok(match name {
        "ln" => match log_error(x) {
            Some(e) => return Err(e),
            None => x.ln(),
        },
        "log" | "log10" => match log_error(x) {
            Some(e) => return Err(e),
            None => x.log10(),
        },
        "exp" => {
            let r = x.exp();
            if r.is_infinite() && x.is_finite() {
                return Err(Error::new(
                    SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                    "value out of range: overflow",
                ));
            }
            r
        }
        "cbrt" => x.cbrt(),
        "degrees" => x.to_degrees(),
        "radians" => x.to_radians(),
        "sin" | "cos" | "tan" | "cot" if x.is_infinite() => return Err(domain()),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "cot" => 1.0 / x.tan(),
        "asin" | "acos" if !(-1.0..=1.0).contains(&x) => return Err(domain()),
        "asin" => x.asin(),
        "acos" => x.acos(),
        "atan" => x.atan(),
        "sinh" => x.sinh(),
        "cosh" => x.cosh(),
        "tanh" => x.tanh(),
        _ => return Err(Error::internal(format!("not a float function: {name}"))),
    })
}

/// `log(base, x)`.
pub fn log_base(b: f64, x: f64) -> Result<f64> {
    if let Some(e) = log_error(b).or_else(|| log_error(x)) {
        return Err(e);
    }
    if b == 1.0 {
        return Err(Error::new(SqlState::DIVISION_BY_ZERO, "division by zero"));
    }
    Ok(x.ln() / b.ln())
}

/// A float result as a `numeric` with the display scale PostgreSQL's numeric `ln`, `log`
/// and `exp` give (16 digits after the point, fewer as the integer part grows). The value
/// comes from `f64`, so digits beyond its precision may differ from PostgreSQL's.
pub fn to_numeric(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Numeric(Numeric::from_float(x, 16));
    }
    let weight = if x == 0.0 {
        0
    } else {
        x.abs().log10().floor() as i64
    };
    let scale = (16 - weight.max(0)).max(0) as usize;
    match Numeric::parse(&format!("{x:.scale$}")) {
        Some(Ok(n)) => Value::Numeric(n),
        _ => Value::Numeric(Numeric::from_float(x, 16)),
    }
}

fn big(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int2(x) => Some(BigInt::from(*x)),
        Value::Int4(x) => Some(BigInt::from(*x)),
        Value::Int8(x) => Some(BigInt::from(*x)),
        _ => None,
    }
}

fn gcd_i128(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a.abs()
}

/// `gcd(a, b)` and `lcm(a, b)` of integers, in the type of the arguments.
pub fn gcd_lcm(name: &str, a: &Value, b: &Value) -> Result<Value> {
    let (Some(x), Some(y)) = (big(a), big(b)) else {
        return Err(Error::unsupported(format!("{name} of numeric")));
    };
    let x: i128 = x.try_into().unwrap_or(0);
    let y: i128 = y.try_into().unwrap_or(0);
    let g = gcd_i128(x, y);
    let r = if name == "gcd" {
        g
    } else if x == 0 || y == 0 {
        0
    } else {
        (x / g * y).abs()
    };
    let out_of_range = |t: &str| {
        Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("{t} out of range"),
        )
    };
    Ok(match a {
        Value::Int8(_) => Value::Int8(i64::try_from(r).map_err(|_| out_of_range("bigint"))?),
        _ => Value::Int4(i32::try_from(r).map_err(|_| out_of_range("integer"))?),
    })
}

/// `factorial(n)`.
pub fn factorial(n: i64) -> Result<Value> {
    if n < 0 {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "factorial of a negative number is undefined",
        ));
    }
    if n > 1000 {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value overflows numeric format",
        ));
    }
    let mut r = BigInt::from(1);
    for i in 2..=n {
        r *= i;
    }
    Ok(Value::Numeric(Numeric::new(r, 0)))
}

/// `width_bucket(x, low, high, count)`.
pub fn width_bucket(x: f64, lo: f64, hi: f64, count: i64) -> Result<Value> {
    if count <= 0 {
        return Err(Error::new(
            SqlState("2201G"),
            "count must be greater than zero",
        ));
    }
    if lo == hi {
        return Err(Error::new(
            SqlState("2201G"),
            "lower bound cannot equal upper bound",
        ));
    }
    if x.is_nan() || lo.is_nan() || hi.is_nan() || lo.is_infinite() || hi.is_infinite() {
        return Err(Error::new(
            SqlState("2201G"),
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    let n = count as f64;
    let b = if lo < hi {
        if x < lo {
            0.0
        } else if x >= hi {
            n + 1.0
        } else {
            ((x - lo) / (hi - lo) * n).floor() + 1.0
        }
    } else if x > lo {
        0.0
    } else if x <= hi {
        n + 1.0
    } else {
        ((lo - x) / (lo - hi) * n).floor() + 1.0
    };
    i32::try_from(b as i64)
        .map(Value::Int4)
        .map_err(|_| Error::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range"))
}

/// `div(a, b)`: the integer quotient, truncated toward zero.
pub fn div(a: &Numeric, b: &Numeric) -> Result<Value> {
    let q = a.div(b)?;
    Ok(Value::Numeric(q.trunc(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_as_postgres() {
        assert!((unary("ln", std::f64::consts::E).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(unary("log", 0.0).unwrap_err().sqlstate().code(), "2201E");
        assert_eq!(log_base(2.0, 8.0).unwrap(), 3.0);
        assert_eq!(
            gcd_lcm("lcm", &Value::Int4(4), &Value::Int4(6)).unwrap(),
            Value::Int4(12)
        );
        assert_eq!(width_bucket(5.35, 0.024, 10.06, 5).unwrap(), Value::Int4(3));
        setseed(0.5).unwrap();
        let a = random();
        setseed(0.5).unwrap();
        assert_eq!(a, random());
    }
}
