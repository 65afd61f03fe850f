//! `NUMERIC`: an arbitrary-precision decimal that keeps PostgreSQL's display scale.
//!
//! A finite value is an unscaled [`BigInt`] and a scale: `unscaled / 10^scale`. The scale
//! is PostgreSQL's *display scale* (`dscale`), so `1.50` keeps two digits after the point
//! through arithmetic, text output and storage, as PostgreSQL does. The special values
//! `NaN`, `Infinity` and `-Infinity` of PostgreSQL 14+ are kept apart from finite values.
//!
//! `num-bigint` was chosen over `bigdecimal` and `rust_decimal`: PostgreSQL's numeric is
//! arbitrary precision (`rust_decimal` stops at 28 digits), and the scale rules of each
//! operator (`select_div_scale`, the sum of scales for `*`, the larger scale for `+`) are
//! PostgreSQL's own, so they are written here over a plain big integer rather than fought
//! out of `bigdecimal`'s different rules (its division rounds to a precision, not a scale).

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive, Zero};

use crate::error::{Error, Result, SqlState};

/// Fewest significant digits a division result gets (`NUMERIC_MIN_SIG_DIGITS`).
const MIN_SIG_DIGITS: i64 = 16;
/// Largest display scale an operator picks (`NUMERIC_MAX_DISPLAY_SCALE`).
const MAX_DISPLAY_SCALE: i64 = 1000;
/// Most digits before the decimal point a numeric can hold.
const MAX_WEIGHT_DIGITS: i64 = 131_072;
/// Most digits after the decimal point a numeric can hold (`NUMERIC_DSCALE_MAX`).
const MAX_SCALE: i64 = 16_383;

/// A PostgreSQL `numeric` value.
#[derive(Clone, Debug)]
pub struct Numeric(Repr);

#[derive(Clone, Debug)]
enum Repr {
    NaN,
    PosInf,
    NegInf,
    Finite { unscaled: BigInt, scale: u32 },
}

fn pow10(n: u32) -> BigInt {
    BigInt::from(10u32).pow(n)
}

fn out_of_range() -> Error {
    Error::new(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "value overflows numeric format",
    )
}

/// Divides rounding half away from zero.
fn div_round(num: &BigInt, den: &BigInt) -> BigInt {
    let q = num / den;
    let r = num % den;
    if (r.abs() * 2u32) >= den.abs() {
        if num.sign() == den.sign() {
            q + 1u32
        } else {
            q - 1u32
        }
    } else {
        q
    }
}

impl Numeric {
    /// `NaN`.
    pub fn nan() -> Numeric {
        Numeric(Repr::NaN)
    }

    /// `Infinity`, or `-Infinity` if `negative`.
    pub fn infinity(negative: bool) -> Numeric {
        Numeric(if negative { Repr::NegInf } else { Repr::PosInf })
    }

    /// `unscaled / 10^scale`.
    pub fn new(unscaled: BigInt, scale: u32) -> Numeric {
        Numeric(Repr::Finite { unscaled, scale })
    }

    /// An integer with scale 0.
    pub fn from_i64(v: i64) -> Numeric {
        Numeric::new(BigInt::from(v), 0)
    }

    /// True for `NaN`.
    pub fn is_nan(&self) -> bool {
        matches!(self.0, Repr::NaN)
    }

    /// True unless `NaN` or an infinity.
    pub fn is_finite(&self) -> bool {
        matches!(self.0, Repr::Finite { .. })
    }

    /// The display scale (0 for the special values).
    pub fn scale(&self) -> u32 {
        match &self.0 {
            Repr::Finite { scale, .. } => *scale,
            _ => 0,
        }
    }

    /// The sign: -1, 0 or 1 (`NaN` is 0).
    pub fn signum(&self) -> i32 {
        match &self.0 {
            Repr::NaN => 0,
            Repr::PosInf => 1,
            Repr::NegInf => -1,
            Repr::Finite { unscaled, .. } => match unscaled.sign() {
                Sign::Minus => -1,
                Sign::NoSign => 0,
                Sign::Plus => 1,
            },
        }
    }

    /// Parses PostgreSQL's numeric input: optional sign, digits with an optional point and
    /// exponent, `NaN`, `Infinity`/`inf`; surrounding whitespace is ignored. `None` when
    /// the text is not a number; an error when it is too large.
    pub fn parse(text: &str) -> Option<Result<Numeric>> {
        let s = text.trim_matches(|c: char| c.is_ascii_whitespace());
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = body.to_ascii_lowercase();
        match lower.as_str() {
            "nan" if s.len() == body.len() => return Some(Ok(Numeric::nan())),
            "infinity" | "inf" => return Some(Ok(Numeric::infinity(negative))),
            _ => {}
        }
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => {
                let exp: i64 = body[i + 1..].parse().ok()?;
                (&body[..i], exp)
            }
            None => (body, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if exponent.abs() > 2 * MAX_WEIGHT_DIGITS {
            return Some(Err(out_of_range()));
        }
        let digits = format!("{int_part}{frac_part}");
        let mut unscaled: BigInt = digits.parse().ok()?;
        if negative {
            unscaled = -unscaled;
        }
        let scale = frac_part.len() as i64 - exponent;
        let value = if scale < 0 {
            Numeric::new(unscaled * pow10((-scale) as u32), 0)
        } else {
            Numeric::new(unscaled, scale as u32)
        };
        Some(value.check_limits())
    }

    /// Fails if the value has more digits than a numeric can hold.
    fn check_limits(self) -> Result<Numeric> {
        if let Repr::Finite { unscaled, scale } = &self.0 {
            if *scale as i64 > MAX_SCALE {
                return Err(out_of_range());
            }
            let digits = unscaled.magnitude().to_string().len() as i64;
            if !unscaled.is_zero() && digits - *scale as i64 > MAX_WEIGHT_DIGITS {
                return Err(out_of_range());
            }
        }
        Ok(self)
    }

    /// The nearest `f64` (through its text, which `f64` parses with correct rounding).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::NaN => f64::NAN,
            Repr::PosInf => f64::INFINITY,
            Repr::NegInf => f64::NEG_INFINITY,
            Repr::Finite { .. } => self.to_string().parse().unwrap_or(f64::NAN),
        }
    }

    /// PostgreSQL's `float8::numeric` / `float4::numeric`: the float printed with
    /// `significant` digits (`%.15g` / `%.6g`) and read back.
    pub fn from_float(v: f64, significant: usize) -> Numeric {
        if v.is_nan() {
            return Numeric::nan();
        }
        if v.is_infinite() {
            return Numeric::infinity(v < 0.0);
        }
        let text = super::float::format_g(v, significant);
        match Numeric::parse(&text) {
            Some(Ok(n)) => n,
            _ => Numeric::nan(),
        }
    }

    /// The exact value of a finite float (every finite binary float is a finite decimal).
    pub fn from_f64_exact(v: f64) -> Option<Numeric> {
        if !v.is_finite() {
            return None;
        }
        if v == 0.0 {
            return Some(Numeric::from_i64(0));
        }
        let bits = v.to_bits();
        let negative = bits >> 63 == 1;
        let exp_bits = ((bits >> 52) & 0x7FF) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mantissa, exp) = if exp_bits == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp_bits - 1075)
        };
        let mut m = BigInt::from(mantissa);
        if negative {
            m = -m;
        }
        Some(if exp >= 0 {
            Numeric::new(m << exp as usize, 0)
        } else {
            let k = (-exp) as u32;
            Numeric::new(m * BigInt::from(5u32).pow(k), k).normalized()
        })
    }

    /// Rounds half away from zero to an integer; `None` for `NaN`, infinities and values
    /// outside `i64`.
    pub fn to_i64_rounded(&self) -> Option<i64> {
        match &self.round(0).0 {
            Repr::Finite { unscaled, .. } => unscaled.to_i64(),
            _ => None,
        }
    }

    /// The value rounded half away from zero to `scale` digits after the point (negative:
    /// to tens, hundreds...); the result has display scale `max(scale, 0)`.
    pub fn round(&self, scale: i64) -> Numeric {
        self.rescale(scale, true)
    }

    /// The value truncated toward zero to `scale` digits after the point.
    pub fn trunc(&self, scale: i64) -> Numeric {
        self.rescale(scale, false)
    }

    fn rescale(&self, scale: i64, round: bool) -> Numeric {
        let Repr::Finite {
            unscaled,
            scale: old,
        } = &self.0
        else {
            return self.clone();
        };
        let old = *old as i64;
        let target = scale.max(0);
        if scale >= old {
            return Numeric::new(unscaled * pow10((target - old) as u32), target as u32);
        }
        let drop = pow10((old - scale).min(u32::MAX as i64) as u32);
        let q = if round {
            div_round(unscaled, &drop)
        } else {
            unscaled / &drop
        };
        // Multiply back when rounding to the left of the point.
        let q = if scale < 0 {
            q * pow10((-scale) as u32)
        } else {
            q
        };
        Numeric::new(q, target as u32)
    }

    /// Applies the type modifier of `numeric(precision, scale)`: rounds to `scale` and
    /// fails with 22003 "numeric field overflow" when the integer part does not fit.
    pub fn apply_typmod(&self, precision: u32, scale: u32) -> Result<Numeric> {
        let overflow = || {
            Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                "numeric field overflow",
            )
        };
        match &self.0 {
            Repr::NaN => Ok(self.clone()),
            Repr::PosInf | Repr::NegInf => Err(overflow().with_detail(format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            ))),
            Repr::Finite { .. } => {
                let rounded = self.round(scale as i64);
                let Repr::Finite { unscaled, .. } = &rounded.0 else {
                    return Ok(rounded);
                };
                let limit = pow10(precision);
                if unscaled.abs() >= limit {
                    let digits = precision - scale;
                    let detail = if digits == 0 {
                        format!(
                            "A field with precision {precision}, scale {scale} must round to an absolute value less than 1."
                        )
                    } else {
                        format!(
                            "A field with precision {precision}, scale {scale} must round to an absolute value less than 10^{digits}."
                        )
                    };
                    return Err(overflow().with_detail(detail));
                }
                Ok(rounded)
            }
        }
    }

    /// The finite parts aligned to a common scale.
    fn aligned(a: (&BigInt, u32), b: (&BigInt, u32)) -> (BigInt, BigInt, u32) {
        let scale = a.1.max(b.1);
        (a.0 * pow10(scale - a.1), b.0 * pow10(scale - b.1), scale)
    }

    /// `self + other`.
    pub fn add(&self, other: &Numeric) -> Result<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) | (PosInf, NegInf) | (NegInf, PosInf) => Ok(Numeric::nan()),
            (PosInf, _) | (_, PosInf) => Ok(Numeric::infinity(false)),
            (NegInf, _) | (_, NegInf) => Ok(Numeric::infinity(true)),
            (
                Finite {
                    unscaled: a,
                    scale: sa,
                },
                Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                let (a, b, scale) = Numeric::aligned((a, *sa), (b, *sb));
                Numeric::new(a + b, scale).check_limits()
            }
        }
    }

    /// `-self`.
    pub fn neg(&self) -> Numeric {
        Numeric(match &self.0 {
            Repr::NaN => Repr::NaN,
            Repr::PosInf => Repr::NegInf,
            Repr::NegInf => Repr::PosInf,
            Repr::Finite { unscaled, scale } => Repr::Finite {
                unscaled: -unscaled,
                scale: *scale,
            },
        })
    }

    /// `|self|`.
    pub fn abs(&self) -> Numeric {
        if self.signum() < 0 {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Numeric) -> Result<Numeric> {
        self.add(&other.neg())
    }

    /// `self * other`; the result scale is the sum of the scales.
    pub fn mul(&self, other: &Numeric) -> Result<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) => Ok(Numeric::nan()),
            (
                Finite {
                    unscaled: a,
                    scale: sa,
                },
                Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                let scale = (*sa as i64 + *sb as i64).min(MAX_SCALE) as u32;
                let product = Numeric::new(a * b, sa + sb);
                product.round(scale as i64).check_limits()
            }
            _ => match self.signum() * other.signum() {
                0 => Ok(Numeric::nan()),
                s => Ok(Numeric::infinity(s < 0)),
            },
        }
    }

    /// `(weight, first digit)` of the value in PostgreSQL's base-10000 representation.
    fn nbase_weight(unscaled: &BigInt, scale: u32) -> (i64, i64) {
        if unscaled.is_zero() {
            return (0, 0);
        }
        let digits = unscaled.magnitude().to_string();
        let exponent = digits.len() as i64 - 1 - scale as i64;
        let weight = exponent.div_euclid(4);
        let count = (exponent - 4 * weight + 1) as usize;
        let mut first = 0i64;
        for i in 0..count {
            let d = digits.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
            first = first * 10 + d;
        }
        (weight, first)
    }

    /// `self / other`, with PostgreSQL's result scale (`select_div_scale`): at least 16
    /// significant digits and at least the scale of either input.
    pub fn div(&self, other: &Numeric) -> Result<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) => Ok(Numeric::nan()),
            (PosInf | NegInf, PosInf | NegInf) => Ok(Numeric::nan()),
            (PosInf | NegInf, Finite { unscaled, .. }) => {
                if unscaled.is_zero() {
                    Err(division_by_zero())
                } else {
                    Ok(Numeric::infinity(self.signum() * other.signum() < 0))
                }
            }
            (Finite { .. }, PosInf | NegInf) => Ok(Numeric::from_i64(0)),
            (
                Finite {
                    unscaled: a,
                    scale: sa,
                },
                Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                if b.is_zero() {
                    return Err(division_by_zero());
                }
                let (w1, f1) = Numeric::nbase_weight(a, *sa);
                let (w2, f2) = Numeric::nbase_weight(b, *sb);
                let mut qweight = w1 - w2;
                if f1 <= f2 {
                    qweight -= 1;
                }
                let rscale = (MIN_SIG_DIGITS - qweight * 4)
                    .max(*sa as i64)
                    .max(*sb as i64)
                    .clamp(0, MAX_DISPLAY_SCALE);
                Numeric::div_to_scale(a, *sa, b, *sb, rscale as u32).check_limits()
            }
        }
    }

    /// `a / b` rounded half away from zero to `rscale` digits.
    fn div_to_scale(a: &BigInt, sa: u32, b: &BigInt, sb: u32, rscale: u32) -> Numeric {
        // a/10^sa / (b/10^sb) * 10^rscale = a * 10^(sb + rscale) / (b * 10^sa)
        let num = a * pow10(sb + rscale);
        let den = b * pow10(sa);
        Numeric::new(div_round(&num, &den), rscale)
    }

    /// `self % other`: the remainder of truncating division, with the sign of `self`.
    pub fn rem(&self, other: &Numeric) -> Result<Numeric> {
        use Repr::*;
        match (&self.0, &other.0) {
            (NaN, _) | (_, NaN) | (PosInf | NegInf, _) => Ok(Numeric::nan()),
            (Finite { .. }, PosInf | NegInf) => Ok(self.clone()),
            (
                Finite {
                    unscaled: a,
                    scale: sa,
                },
                Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                if b.is_zero() {
                    return Err(division_by_zero());
                }
                let (a, b, scale) = Numeric::aligned((a, *sa), (b, *sb));
                Ok(Numeric::new(a % b, scale))
            }
        }
    }

    /// `self ^ other`. Integer exponents are exact (rounded to the result scale); other
    /// exponents go through `f64`, so only about 15 of the digits are right.
    pub fn pow(&self, other: &Numeric) -> Result<Numeric> {
        if self.is_nan() || other.is_nan() {
            return Ok(Numeric::nan());
        }
        let (
            Repr::Finite {
                unscaled: base,
                scale: bs,
            },
            Repr::Finite { scale: es, .. },
        ) = (&self.0, &other.0)
        else {
            return Numeric::from_float_exact_or_nan(self.to_f64().powf(other.to_f64()));
        };
        if base.is_zero() && other.signum() < 0 {
            return Err(Error::new(
                SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                "zero raised to a negative power is undefined",
            ));
        }
        if self.signum() < 0 && other.trunc(0).cmp_total(other) != Ordering::Equal {
            return Err(Error::new(
                SqlState::INVALID_ARGUMENT_FOR_POWER_FUNCTION,
                "a negative number raised to a non-integer power yields a complex result",
            ));
        }
        let rscale = MIN_SIG_DIGITS
            .max(*bs as i64)
            .max(*es as i64)
            .min(MAX_DISPLAY_SCALE) as u32;
        let exact_exp = other.trunc(0);
        if exact_exp.cmp_total(other) == Ordering::Equal
            && let Some(e) = exact_exp.to_i64_rounded()
            && e.unsigned_abs() <= 100_000
        {
            let magnitude = base.pow(e.unsigned_abs() as u32);
            let scale = *bs as u64 * e.unsigned_abs();
            if scale > u32::MAX as u64 {
                return Err(out_of_range());
            }
            let powered = Numeric::new(magnitude, scale as u32);
            let result = if e >= 0 {
                powered.round(rscale as i64)
            } else {
                Numeric::from_i64(1).div_scaled(&powered, rscale)?
            };
            return result.check_limits();
        }
        let f = self.to_f64().powf(other.to_f64());
        if f.is_infinite() {
            return Err(out_of_range());
        }
        Ok(Numeric::from_float(f, 17).round(rscale as i64))
    }

    fn from_float_exact_or_nan(f: f64) -> Result<Numeric> {
        Ok(if f.is_nan() {
            Numeric::nan()
        } else if f.is_infinite() {
            Numeric::infinity(f < 0.0)
        } else {
            Numeric::from_float(f, 15)
        })
    }

    /// `self / other` rounded to exactly `rscale` digits.
    fn div_scaled(&self, other: &Numeric, rscale: u32) -> Result<Numeric> {
        match (&self.0, &other.0) {
            (
                Repr::Finite {
                    unscaled: a,
                    scale: sa,
                },
                Repr::Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                if b.is_zero() {
                    return Err(division_by_zero());
                }
                Ok(Numeric::div_to_scale(a, *sa, b, *sb, rscale))
            }
            _ => self.div(other),
        }
    }

    /// PostgreSQL's total order: `-Infinity` < finite values < `Infinity` < `NaN`, with
    /// `NaN` equal to itself; finite values compare by value (`1.5 = 1.50`).
    pub fn cmp_total(&self, other: &Numeric) -> Ordering {
        fn rank(r: &Repr) -> u8 {
            match r {
                Repr::NegInf => 0,
                Repr::Finite { .. } => 1,
                Repr::PosInf => 2,
                Repr::NaN => 3,
            }
        }
        match (&self.0, &other.0) {
            (
                Repr::Finite {
                    unscaled: a,
                    scale: sa,
                },
                Repr::Finite {
                    unscaled: b,
                    scale: sb,
                },
            ) => {
                if sa == sb {
                    a.cmp(b)
                } else {
                    let (a, b, _) = Numeric::aligned((a, *sa), (b, *sb));
                    a.cmp(&b)
                }
            }
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }

    /// The value without trailing fractional zeros: equal values normalize identically.
    pub fn normalized(&self) -> Numeric {
        let Repr::Finite { unscaled, scale } = &self.0 else {
            return self.clone();
        };
        let mut unscaled = unscaled.clone();
        let mut scale = *scale;
        let ten = BigInt::from(10u32);
        while scale > 0 && (&unscaled % &ten).is_zero() {
            unscaled /= &ten;
            scale -= 1;
        }
        Numeric::new(unscaled, scale)
    }

    /// The unscaled integer and scale of a finite value.
    pub fn parts(&self) -> Option<(&BigInt, u32)> {
        match &self.0 {
            Repr::Finite { unscaled, scale } => Some((unscaled, *scale)),
            _ => None,
        }
    }

    /// Bytes whose lexicographic order (shorter first on a common prefix) is the order of
    /// [`Numeric::cmp_total`], and which are equal exactly for equal values.
    ///
    /// A class byte (`-Infinity`, negative, zero, positive, `Infinity`, `NaN`), then for
    /// non-zero finite values the decimal exponent of the first significant digit (8 bytes,
    /// sign flipped, big-endian) and the significant digits as ASCII without trailing
    /// zeros. Negative values complement the exponent and the digits and end with `0xFF`,
    /// so a longer magnitude (which is larger) sorts first.
    pub fn sort_key(&self) -> Vec<u8> {
        match &self.0 {
            Repr::NegInf => vec![0x01],
            Repr::PosInf => vec![0x05],
            Repr::NaN => vec![0x06],
            Repr::Finite { unscaled, scale } => {
                if unscaled.is_zero() {
                    return vec![0x03];
                }
                let digits = unscaled.magnitude().to_string();
                let exponent = digits.len() as i64 - *scale as i64;
                let significant = digits.trim_end_matches('0');
                let negative = unscaled.sign() == Sign::Minus;
                let mut out = vec![if negative { 0x02 } else { 0x04 }];
                let exp_bytes = ((exponent as u64) ^ (1 << 63)).to_be_bytes();
                let mask = if negative { 0xFF } else { 0x00 };
                out.extend(exp_bytes.iter().map(|b| b ^ mask));
                out.extend(significant.bytes().map(|b| b ^ mask));
                if negative {
                    out.push(0xFF);
                }
                out
            }
        }
    }
}

fn division_by_zero() -> Error {
    Error::new(SqlState::DIVISION_BY_ZERO, "division by zero")
}

impl PartialEq for Numeric {
    /// Equal by value, as SQL's `=` (`1.5 = 1.50`; `NaN = NaN`).
    fn eq(&self, other: &Numeric) -> bool {
        self.cmp_total(other) == Ordering::Equal
    }
}

impl fmt::Display for Numeric {
    /// PostgreSQL's `numeric_out`: all digits, exactly `scale` of them after the point.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::NaN => f.write_str("NaN"),
            Repr::PosInf => f.write_str("Infinity"),
            Repr::NegInf => f.write_str("-Infinity"),
            Repr::Finite { unscaled, scale } => {
                let digits = unscaled.magnitude().to_string();
                if unscaled.sign() == Sign::Minus {
                    f.write_str("-")?;
                }
                let scale = *scale as usize;
                if scale == 0 {
                    return f.write_str(&digits);
                }
                if digits.len() > scale {
                    let (int, frac) = digits.split_at(digits.len() - scale);
                    write!(f, "{int}.{frac}")
                } else {
                    write!(f, "0.{}{}", "0".repeat(scale - digits.len()), digits)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        match Numeric::parse(s) {
            Some(Ok(v)) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn parse_and_print_keep_the_scale() {
        for (input, output) in [
            ("1.50", "1.50"),
            ("  -0.001 ", "-0.001"),
            ("1e3", "1000"),
            ("1.5e-3", "0.0015"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0", "0"),
            ("0.000", "0.000"),
            ("NaN", "NaN"),
            ("-inf", "-Infinity"),
            ("Infinity", "Infinity"),
            ("12345678901234567890.123", "12345678901234567890.123"),
        ] {
            assert_eq!(n(input).to_string(), output, "{input}");
        }
        for bad in ["", ".", "abc", "1e", "1.2.3", "- 1", "1 2"] {
            assert!(Numeric::parse(bad).is_none(), "{bad}");
        }
        assert!(matches!(Numeric::parse("1e1000000"), Some(Err(_))));
    }

    #[test]
    fn division_scale_follows_postgres() {
        // Checked against PostgreSQL 15.
        for (a, b, q) in [
            ("1", "3", "0.33333333333333333333"),
            ("10", "4", "2.5000000000000000"),
            ("1.0", "3.00", "0.33333333333333333333"),
            ("12345678901234567890", "7", "1763668414462081127"),
            ("0.0001", "3", "0.000033333333333333333333"),
            ("2", "3", "0.66666666666666666667"),
            ("-2", "3", "-0.66666666666666666667"),
        ] {
            assert_eq!(
                n(a).div(&n(b)).map(|v| v.to_string()),
                Ok(q.into()),
                "{a}/{b}"
            );
        }
        assert_eq!(
            n("1").div(&n("0")).unwrap_err().sqlstate(),
            SqlState::DIVISION_BY_ZERO
        );
    }

    #[test]
    fn arithmetic_scales() {
        assert_eq!(
            n("1.5").add(&n("2.25")).map(|v| v.to_string()),
            Ok("3.75".into())
        );
        assert_eq!(
            n("1.50").mul(&n("2.0")).map(|v| v.to_string()),
            Ok("3.000".into())
        );
        assert_eq!(
            n("7.5").rem(&n("2")).map(|v| v.to_string()),
            Ok("1.5".into())
        );
        assert_eq!(n("-7").rem(&n("2")).map(|v| v.to_string()), Ok("-1".into()));
        // Checked against PostgreSQL 15.
        for (a, b, r) in [
            ("2.0", "3", "8.0000000000000000"),
            ("1.5", "2", "2.2500000000000000"),
            ("2.5", "-2", "0.1600000000000000"),
            ("1.1", "10", "2.5937424601000000"),
        ] {
            assert_eq!(
                n(a).pow(&n(b)).map(|v| v.to_string()),
                Ok(r.into()),
                "{a}^{b}"
            );
        }
        // PostgreSQL: 1.4142135623730950; non-integer powers go through f64 here.
        let root = n("2").pow(&n("0.5")).unwrap().to_string();
        assert!(root.starts_with("1.41421356237309"), "{root}");
        assert_eq!(
            n("0.001").pow(&n("10")).map(|v| v.to_string()),
            Ok("0.0000000000000000".into())
        );
    }

    #[test]
    fn rounding_and_typmod() {
        assert_eq!(n("2.5").round(0).to_string(), "3");
        assert_eq!(n("-2.5").round(0).to_string(), "-3");
        assert_eq!(n("1234.5").round(-2).to_string(), "1200");
        assert_eq!(n("1.239").trunc(2).to_string(), "1.23");
        assert_eq!(
            n("1.005").apply_typmod(5, 2).map(|v| v.to_string()),
            Ok("1.01".into())
        );
        let err = n("1000").apply_typmod(5, 2).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(err.to_string(), "numeric field overflow");
        assert_eq!(
            err.fields().detail.as_deref(),
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        );
        assert_eq!(n("2.5").to_i64_rounded(), Some(3));
        assert_eq!(n("NaN").to_i64_rounded(), None);
    }

    #[test]
    fn order_and_sort_keys_agree() {
        let values: Vec<Numeric> = [
            "-Infinity",
            "-100",
            "-12.5",
            "-12",
            "-1.25",
            "-1.2",
            "-0.001",
            "0",
            "0.001",
            "0.0011",
            "1.2",
            "1.25",
            "12",
            "12.5",
            "100",
            "Infinity",
            "NaN",
        ]
        .iter()
        .map(|s| n(s))
        .collect();
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                assert_eq!(a.cmp_total(b), i.cmp(&j), "{a} vs {b}");
                assert_eq!(a.sort_key().cmp(&b.sort_key()), i.cmp(&j), "{a} vs {b}");
            }
        }
        assert_eq!(n("1.50").sort_key(), n("1.5").sort_key());
        assert_eq!(n("1.50"), n("1.5"));
        assert_eq!(n("0.1").normalized().to_string(), "0.1");
    }

    #[test]
    fn floats_convert_like_postgres() {
        assert_eq!(Numeric::from_float(0.1, 15).to_string(), "0.1");
        assert_eq!(
            Numeric::from_float(1e20, 15).to_string(),
            "100000000000000000000"
        );
        assert_eq!(
            Numeric::from_f64_exact(0.5).map(|v| v.to_string()),
            Some("0.5".into())
        );
        assert_eq!(n("0.1").to_f64(), 0.1);
    }
}
