//! Mathematical functions: logarithms and exponentials, trigonometry, `random` and
//! `setseed`, integer helpers (`div`, `gcd`, `lcm`, `factorial`), `width_bucket`, `scale`.
//!
//! Functions PostgreSQL defines on `double precision` compute in `f64`; `ln`, `log` and
//! `exp` of a `numeric` are computed exactly to PostgreSQL's result scale ([`exact`]).

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

/// Arbitrary-precision `ln`, `log` and `exp` on `numeric`, with PostgreSQL's result
/// scales: fixed-point arithmetic on big integers with guard digits, the series taken
/// after range reduction (square roots for `ln`, halving for `exp`).
pub mod exact {
    use num_bigint::BigInt;
    use num_traits::{Signed, Zero};

    use super::log_error;
    use crate::error::{Error, Result, SqlState};
    use crate::types::Numeric;

    /// PostgreSQL's `NUMERIC_MIN_SIG_DIGITS`.
    const MIN_SIG_DIGITS: i64 = 16;
    /// PostgreSQL's `NUMERIC_MAX_DISPLAY_SCALE`.
    const MAX_DISPLAY_SCALE: i64 = 1000;

    fn pow10(n: u32) -> BigInt {
        BigInt::from(10u32).pow(n)
    }

    /// A value as a fixed-point integer with `p` fraction digits (truncated).
    fn fixed(n: &Numeric, p: u32) -> Result<BigInt> {
        let (unscaled, scale) = n
            .parts()
            .ok_or_else(|| Error::internal("fixed point of a non-finite numeric"))?;
        Ok(if p >= scale {
            unscaled * pow10(p - scale)
        } else {
            unscaled / pow10(scale - p)
        })
    }

    /// Rounds a fixed-point value with `p` digits to `scale` digits, half away from zero.
    fn round_to(v: &BigInt, p: u32, scale: u32) -> Numeric {
        if scale >= p {
            return Numeric::new(v * pow10(scale - p), scale);
        }
        let d = pow10(p - scale);
        let half: BigInt = &d / 2u32;
        let magnitude: BigInt = (v.abs() + half) / &d;
        let q = if v.is_negative() {
            -magnitude
        } else {
            magnitude
        };
        Numeric::new(q, scale)
    }

    fn mul(a: &BigInt, b: &BigInt, one: &BigInt) -> BigInt {
        a * b / one
    }

    /// `ln(x)` for `x > 0` (not far from 1) in fixed point with `p` digits.
    fn ln_fixed(x: &BigInt, p: u32) -> BigInt {
        let one = pow10(p);
        // Bring x within 1e-4 of 1 by square roots (the caller has divided out powers of
        // ten), so the series converges fast.
        let mut y = x.clone();
        let mut roots = 0u32;
        let near = &one / 10_000u32;
        // The caller keeps x well above zero in fixed point; the bound is a backstop.
        while (&y - &one).abs() > near && roots < 4096 {
            y = (&y * &one).sqrt();
            roots += 1;
        }
        // ln(y) = 2 atanh(z), z = (y - 1) / (y + 1).
        let z = (&y - &one) * &one / (&y + &one);
        let z2 = mul(&z, &z, &one);
        let mut term = z.clone();
        let mut sum = BigInt::zero();
        let mut k = 1u32;
        while !term.is_zero() {
            sum += &term / k;
            term = mul(&term, &z2, &one);
            k += 2;
        }
        sum * 2 * (BigInt::from(1u32) << roots)
    }

    /// `exp(x)` in fixed point with `p` digits.
    fn exp_fixed(x: &BigInt, p: u32) -> BigInt {
        let one = pow10(p);
        // Halve until |x| < 1e-5, sum the series, square back.
        let mut halvings = 0u32;
        let mut r = x.clone();
        let small = &one / 100_000u32;
        while r.abs() > small {
            r /= 2;
            halvings += 1;
        }
        let mut term = one.clone();
        let mut sum = BigInt::zero();
        let mut k = 1u32;
        while !term.is_zero() {
            sum += &term;
            term = mul(&term, &r, &one) / k;
            k += 1;
        }
        for _ in 0..halvings {
            sum = mul(&sum, &sum, &one);
        }
        sum
    }

    /// The decimal exponent of the leading digit of a finite non-zero value.
    fn weight(n: &Numeric) -> i64 {
        match n.parts() {
            Some((u, scale)) if !u.is_zero() => u.abs().to_string().len() as i64 - scale as i64 - 1,
            _ => 0,
        }
    }

    /// The decimal weight of `ln(x)` as PostgreSQL estimates it.
    fn ln_weight(n: &Numeric) -> i64 {
        let x = n.to_f64();
        let l = if x.is_normal() {
            if (0.9..=1.1).contains(&x) {
                // ln x is about x - 1: the exact exponent of its leading digit.
                return match n.sub(&Numeric::from_i64(1)) {
                    Ok(d) if d.signum() != 0 => weight(&d),
                    _ => 0,
                };
            }
            x.ln().abs()
        } else {
            // Beyond double precision: ln x is about weight * ln 10.
            ((weight(n) as f64 + 0.5) * std::f64::consts::LN_10).abs()
        };
        if l == 0.0 { 0 } else { l.log10() as i64 }
    }

    fn check_arg(n: &Numeric) -> Result<()> {
        if let Some(e) = log_error(n.signum() as f64) {
            return Err(e);
        }
        if !n.is_finite() {
            return Err(Error::unsupported("logarithm of numeric infinity or NaN"));
        }
        Ok(())
    }

    /// Guard digits for `ln(x)`: the range reduction's, and those lost multiplying `ln 10`
    /// by the decimal exponent.
    fn guard(x: &Numeric) -> u32 {
        (weight(x) + 1).unsigned_abs().to_string().len() as u32 + 30
    }

    /// `ln(x)` of a positive finite value in fixed point with `p` digits: `x = m 10^k`
    /// with `m` in [0.1, 1), so the work does not grow with the value's magnitude.
    fn ln_numeric(x: &Numeric, p: u32) -> Result<BigInt> {
        let (unscaled, scale) = x
            .parts()
            .ok_or_else(|| Error::internal("logarithm of a non-finite numeric"))?;
        let k = weight(x) + 1;
        let shift = p as i64 - scale as i64 - k;
        let m = if shift >= 0 {
            unscaled * pow10(shift as u32)
        } else {
            unscaled / pow10(shift.unsigned_abs().min(u32::MAX as u64) as u32)
        };
        let mut r = ln_fixed(&m, p);
        if k != 0 {
            r += ln_fixed(&(pow10(p) * 10u32), p) * k;
        }
        Ok(r)
    }

    /// `ln(x)` on `numeric`.
    pub fn ln(x: &Numeric) -> Result<Numeric> {
        check_arg(x)?;
        let scale = (MIN_SIG_DIGITS - ln_weight(x))
            .max(x.scale() as i64)
            .clamp(0, MAX_DISPLAY_SCALE) as u32;
        let p = scale + guard(x);
        Ok(round_to(&ln_numeric(x, p)?, p, scale))
    }

    /// `log(base, x)` on `numeric`.
    pub fn log(base: &Numeric, x: &Numeric) -> Result<Numeric> {
        check_arg(base)?;
        check_arg(x)?;
        let result_weight = ln_weight(x) - ln_weight(base);
        let scale = (MIN_SIG_DIGITS - result_weight)
            .max(base.scale() as i64)
            .max(x.scale() as i64)
            .clamp(0, MAX_DISPLAY_SCALE) as u32;
        let p = scale + guard(x) + guard(base);
        let lb = ln_numeric(base, p)?;
        if base.cmp_total(&Numeric::from_i64(1)).is_eq() {
            return Err(Error::new(SqlState::DIVISION_BY_ZERO, "division by zero"));
        }
        let lx = ln_numeric(x, p)?;
        Ok(round_to(&(lx * pow10(p) / lb), p, scale))
    }

    /// `exp(x)` on `numeric`.
    pub fn exp(x: &Numeric) -> Result<Numeric> {
        if !x.is_finite() {
            return Err(Error::unsupported("exp of numeric infinity or NaN"));
        }
        let f = x.to_f64();
        let weight = (f * std::f64::consts::LOG10_E).clamp(-2000.0, 2000.0);
        let scale = (MIN_SIG_DIGITS - weight as i64)
            .max(x.scale() as i64)
            .clamp(0, MAX_DISPLAY_SCALE) as u32;
        // PostgreSQL's limit (NUMERIC_MAX_RESULT_SCALE * 3): beyond it the result overflows,
        // or is zero below it.
        if f.abs() >= 6000.0 {
            if f > 0.0 {
                return Err(Error::new(
                    SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                    "value overflows numeric format",
                ));
            }
            return Ok(Numeric::new(BigInt::zero(), scale));
        }
        // The result has about `weight` integer digits; squaring multiplies the error.
        let p = scale + weight.max(0.0) as u32 + 40;
        Ok(round_to(&exp_fixed(&fixed(x, p)?, p), p, scale))
    }
}
