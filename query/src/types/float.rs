//! `real` and `double precision` text input and output, as PostgreSQL's `float4in`,
//! `float8in`, `float4out` and `float8out`.

use crate::error::{Error, Result, SqlState};

/// `float8out`: with `extra_float_digits > 0` the shortest text that reads back exactly
/// (fixed notation for decimal exponents -4..15, else `1e+100` style); otherwise `%.*g`
/// with `15 + extra_float_digits` significant digits.
pub fn format_f64(v: f64, extra_float_digits: i32) -> String {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v < 0.0) {
        return special.into();
    }
    if extra_float_digits > 0 {
        shortest(&format!("{v:e}"), 15)
    } else {
        format_g(v, (15 + extra_float_digits).max(1) as usize)
    }
}

/// `float4out`: as [`format_f64`] with fixed notation for exponents -4..6 and `%.*g`
/// with `6 + extra_float_digits` digits.
pub fn format_f32(v: f32, extra_float_digits: i32) -> String {
    if let Some(special) = special(v.is_nan(), v.is_infinite(), v < 0.0) {
        return special.into();
    }
    if extra_float_digits > 0 {
        shortest(&format!("{v:e}"), 6)
    } else {
        format_g(v as f64, (6 + extra_float_digits).max(1) as usize)
    }
}

fn special(nan: bool, infinite: bool, negative: bool) -> Option<&'static str> {
    if nan {
        Some("NaN")
    } else if infinite {
        Some(if negative { "-Infinity" } else { "Infinity" })
    } else {
        None
    }
}

/// Lays out Rust's shortest scientific text (`1.5e-5`) the way PostgreSQL's Ryu output
/// does: fixed notation when `-4 <= exponent < fixed_limit`.
fn shortest(sci: &str, fixed_limit: i32) -> String {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if digits == "0" {
        out.push('0');
        return out;
    }
    if (-4..fixed_limit).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.push_str(&"0".repeat(int_len - digits.len()));
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        push_exponent(&mut out, exp);
    }
    out
}

fn push_exponent(out: &mut String, exp: i32) {
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.abs()));
}

/// C's `printf("%.*g", precision, v)` for a finite value.
pub fn format_g(v: f64, precision: usize) -> String {
    let p = precision.max(1);
    let sci = format!("{:.*e}", p - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mut out = strip_zeros(mantissa).to_string();
        push_exponent(&mut out, exp);
        out
    } else {
        let fixed = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, v);
        strip_zeros(&fixed).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Splits off what C's `strtod` accepts: whitespace around, `inf`/`infinity`/`nan` in any
/// case. Returns the trimmed text, or `None` when Rust's parser would accept text that
/// PostgreSQL rejects.
fn float_text(text: &str) -> Option<&str> {
    let s = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if s.is_empty() {
        return None;
    }
    Some(s)
}

/// True if the decimal text has a non-zero digit in its mantissa.
fn has_nonzero_digit(s: &str) -> bool {
    s.split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

fn is_infinity_literal(s: &str) -> bool {
    let l = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
    l == "inf" || l == "infinity"
}

/// `float8in`.
pub fn parse_f64(text: &str) -> Result<f64> {
    let bad = || {
        Error::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type double precision: \"{text}\""),
        )
    };
    let s = float_text(text).ok_or_else(bad)?;
    let v: f64 = s.parse().map_err(|_| bad())?;
    if (v.is_infinite() && !is_infinity_literal(s)) || (v == 0.0 && has_nonzero_digit(s)) {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("\"{s}\" is out of range for type double precision"),
        ));
    }
    Ok(v)
}

/// `float4in`.
pub fn parse_f32(text: &str) -> Result<f32> {
    let bad = || {
        Error::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type real: \"{text}\""),
        )
    };
    let s = float_text(text).ok_or_else(bad)?;
    let v: f32 = s.parse().map_err(|_| bad())?;
    if (v.is_infinite() && !is_infinity_literal(s)) || (v == 0.0 && has_nonzero_digit(s)) {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("\"{s}\" is out of range for type real"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn float8_output_matches_postgres() {
        // Checked against PostgreSQL 15 (extra_float_digits = 1).
        for (v, s) in [
            (0.1, "0.1"),
            (1e100, "1e+100"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (1.5e-5, "1.5e-05"),
            (-0.0, "-0"),
            (0.0, "0"),
            (0.0001, "0.0001"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (100.0, "100"),
            (1.5, "1.5"),
            (-2.5e-300, "-2.5e-300"),
        ] {
            assert_eq!(format_f64(v, 1), s, "{v}");
        }
        for (v, s) in [
            (1e6f32, "1e+06"),
            (0.1f32, "0.1"),
            (100000.0f32, "100000"),
            (1.2345678e-5f32, "1.2345678e-05"),
        ] {
            assert_eq!(format_f32(v, 1), s, "{v}");
        }
        // extra_float_digits = 0: %.15g.
        assert_eq!(format_f64(0.1 + 0.2, 0), "0.3");
        assert_eq!(format_f64(0.1 + 0.2, 1), "0.30000000000000004");
        assert_eq!(format_f64(1e100, 0), "1e+100");
        assert_eq!(format_f64(123456.0, -10), "1.2346e+05");
        assert_eq!(format_f32(0.1, 0), "0.1");
    }

    #[test]
    fn float_input_matches_postgres() {
        assert_eq!(parse_f64(" 1.5 "), Ok(1.5));
        assert_eq!(parse_f64("-Infinity"), Ok(f64::NEG_INFINITY));
        assert!(parse_f64("nan").is_ok_and(|v| v.is_nan()));
        assert_eq!(parse_f64("1e-310").map(|v| v > 0.0), Ok(true));
        let e = parse_f64("1e400").unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(
            e.to_string(),
            "\"1e400\" is out of range for type double precision"
        );
        assert_eq!(
            parse_f64("1e-400").unwrap_err().sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
        let e = parse_f64("abc").unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type double precision: \"abc\""
        );
        assert_eq!(
            parse_f32("1e39").unwrap_err().to_string(),
            "\"1e39\" is out of range for type real"
        );
    }

    proptest! {
        #[test]
        fn shortest_output_round_trips(v in any::<f64>()) {
            let text = format_f64(v, 1);
            let back = parse_f64(&text).unwrap();
            prop_assert!(back == v || (v.is_nan() && back.is_nan()), "{v} {text}");
        }

        #[test]
        fn shortest_f32_output_round_trips(v in any::<f32>()) {
            let text = format_f32(v, 1);
            let back = parse_f32(&text).unwrap();
            prop_assert!(back == v || (v.is_nan() && back.is_nan()), "{v} {text}");
        }
    }
}
