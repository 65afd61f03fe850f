//! Scalar functions, by name, over evaluated arguments.
//!
//! The binder has already checked the argument count and coerced argument types where a
//! function needs one type; a NULL argument makes a strict function return NULL.

use std::cmp::Ordering;

use crate::error::{Error, Result, SqlState};
use crate::types::{self, BinaryOp, DataType, Settings, UnaryOp, Value};

/// True if `name` is a scalar function this module knows.
pub fn exists(name: &str) -> bool {
    matches!(
        name,
        "abs"
            | "coalesce"
            | "nullif"
            | "greatest"
            | "least"
            | "lower"
            | "upper"
            | "length"
            | "char_length"
            | "character_length"
            | "octet_length"
            | "substr"
            | "substring"
            | "concat"
            | "round"
            | "trunc"
            | "floor"
            | "ceil"
            | "ceiling"
            | "mod"
            | "sign"
            | "sqrt"
            | "power"
            | "pow"
            | "replace"
            | "trim"
            | "btrim"
            | "ltrim"
            | "rtrim"
            | "strpos"
            | "left"
            | "right"
            | "repeat"
            | "reverse"
    )
}

fn strict(args: &[Value]) -> bool {
    args.iter().any(|a| matches!(a, Value::Null))
}

fn text(v: &Value, settings: &Settings) -> String {
    v.to_text(settings).unwrap_or_default()
}

fn int_arg(v: &Value, settings: &Settings) -> Result<i64> {
    match v.clone().cast(&DataType::Int8, settings)? {
        Value::Int8(n) => Ok(n),
        _ => Err(Error::internal("cast to bigint gave another type")),
    }
}

fn float_arg(v: &Value, settings: &Settings) -> Result<f64> {
    match v.clone().cast(&DataType::Float8, settings)? {
        Value::Float8(n) => Ok(n),
        _ => Err(Error::internal(
            "cast to double precision gave another type",
        )),
    }
}

/// Calls the scalar function `name` (lower case).
pub fn call(name: &str, args: &[Value], settings: &Settings) -> Result<Value> {
    let arity = |n: usize| -> Result<()> {
        if args.len() == n {
            Ok(())
        } else {
            Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!(
                    "function {name} with {} arguments does not exist",
                    args.len()
                ),
            ))
        }
    };
    match name {
        "nullif" => {
            arity(2)?;
            if !strict(args) && args[0].compare(&args[1])? == Some(Ordering::Equal) {
                return Ok(Value::Null);
            }
            return Ok(args[0].clone());
        }
        "greatest" | "least" => {
            // NULLs are ignored; the result is NULL only if every argument is.
            let mut best: Option<&Value> = None;
            for a in args.iter().filter(|a| !matches!(a, Value::Null)) {
                best = match best {
                    None => Some(a),
                    Some(b) => {
                        let ord = a.compare(b)?.unwrap_or(Ordering::Equal);
                        let better = if name == "greatest" {
                            ord == Ordering::Greater
                        } else {
                            ord == Ordering::Less
                        };
                        Some(if better { a } else { b })
                    }
                };
            }
            return Ok(best.cloned().unwrap_or(Value::Null));
        }
        "concat" => {
            let s: String = args
                .iter()
                .filter(|a| !matches!(a, Value::Null))
                .map(|a| text(a, settings))
                .collect();
            return Ok(Value::Text(s));
        }
        _ => {}
    }
    if strict(args) {
        return Ok(Value::Null);
    }
    Ok(match name {
        "abs" => {
            arity(1)?;
            let negative = args[0].compare(&Value::Int4(0))? == Some(Ordering::Less);
            if negative {
                types::unary_op(UnaryOp::Minus, &args[0])?
            } else {
                args[0].clone()
            }
        }
        "sign" => {
            arity(1)?;
            let f = float_arg(&args[0], settings)?;
            let s = if f > 0.0 {
                1.0
            } else if f < 0.0 {
                -1.0
            } else {
                0.0
            };
            Value::Float8(s).cast(&args[0].data_type(), settings)?
        }
        "lower" => Value::Text(text(&args[0], settings).to_lowercase()),
        "upper" => Value::Text(text(&args[0], settings).to_uppercase()),
        "length" | "char_length" | "character_length" => {
            arity(1)?;
            Value::Int4(text(&args[0], settings).chars().count() as i32)
        }
        "octet_length" => Value::Int4(text(&args[0], settings).len() as i32),
        "substr" | "substring" => {
            let s: Vec<char> = text(&args[0], settings).chars().collect();
            let start = int_arg(args.get(1).unwrap_or(&Value::Int4(1)), settings)?;
            let (from, to) = match args.get(2) {
                Some(len) => {
                    let len = int_arg(len, settings)?;
                    if len < 0 {
                        return Err(Error::new(
                            SqlState("22011"),
                            "negative substring length not allowed",
                        ));
                    }
                    (start, start.saturating_add(len))
                }
                None => (start, i64::MAX),
            };
            let from = from.max(1) as usize - 1;
            let to = (to.max(1) as usize - 1).min(s.len());
            Value::Text(if from < to {
                s[from..to].iter().collect()
            } else {
                String::new()
            })
        }
        "replace" => {
            arity(3)?;
            Value::Text(
                text(&args[0], settings)
                    .replace(&text(&args[1], settings), &text(&args[2], settings)),
            )
        }
        "trim" | "btrim" | "ltrim" | "rtrim" => {
            let s = text(&args[0], settings);
            let set: Vec<char> = match args.get(1) {
                Some(c) => text(c, settings).chars().collect(),
                None => vec![' '],
            };
            let f = |c: char| set.contains(&c);
            Value::Text(match name {
                "ltrim" => s.trim_start_matches(f).to_string(),
                "rtrim" => s.trim_end_matches(f).to_string(),
                _ => s.trim_matches(f).to_string(),
            })
        }
        "strpos" => {
            arity(2)?;
            let (s, sub) = (text(&args[0], settings), text(&args[1], settings));
            Value::Int4(
                s.find(&sub)
                    .map_or(0, |i| s[..i].chars().count() as i32 + 1),
            )
        }
        "left" | "right" => {
            arity(2)?;
            let s: Vec<char> = text(&args[0], settings).chars().collect();
            let n = int_arg(&args[1], settings)?;
            let len = s.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            Value::Text(if name == "left" {
                s[..keep].iter().collect()
            } else {
                s[s.len() - keep..].iter().collect()
            })
        }
        "repeat" => {
            arity(2)?;
            let n = int_arg(&args[1], settings)?.max(0) as usize;
            let s = text(&args[0], settings);
            if s.len().saturating_mul(n) > 1 << 30 {
                return Err(Error::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "requested length too large",
                ));
            }
            Value::Text(s.repeat(n))
        }
        "reverse" => Value::Text(text(&args[0], settings).chars().rev().collect()),
        "mod" => {
            arity(2)?;
            types::binary_op(BinaryOp::Modulo, &args[0], &args[1])?
        }
        "power" | "pow" => {
            arity(2)?;
            types::binary_op(BinaryOp::Exponent, &args[0], &args[1])?
        }
        "sqrt" => {
            let f = float_arg(&args[0], settings)?;
            if f < 0.0 {
                return Err(Error::new(
                    SqlState("2201F"),
                    "cannot take square root of a negative number",
                ));
            }
            Value::Float8(f.sqrt())
        }
        "round" | "trunc" | "floor" | "ceil" | "ceiling" => {
            let digits = match args.get(1) {
                Some(d) => int_arg(d, settings)?,
                None => 0,
            };
            round(name, &args[0], digits, settings)?
        }
        other => {
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {other} does not exist"),
            ));
        }
    })
}

/// round/trunc/floor/ceil of a number, keeping its type class (floats stay float8, exact
/// numbers become numeric, as PostgreSQL does).
fn round(name: &str, v: &Value, digits: i64, settings: &Settings) -> Result<Value> {
    match v {
        Value::Float4(_) | Value::Float8(_) => {
            let f = float_arg(v, settings)?;
            let scale = 10f64.powi(digits.clamp(-300, 300) as i32);
            let x = f * scale;
            let r = match name {
                "round" => x.round(),
                "trunc" => x.trunc(),
                "floor" => x.floor(),
                _ => x.ceil(),
            };
            Ok(Value::Float8(r / scale))
        }
        _ => {
            let numeric = v.clone().cast(
                &DataType::Numeric {
                    precision: None,
                    scale: None,
                },
                settings,
            )?;
            let as_float = float_arg(&numeric, settings)?;
            let scale = 10f64.powi(digits.clamp(-300, 300) as i32);
            let x = as_float * scale;
            let r = match name {
                "round" => x.round(),
                "trunc" => x.trunc(),
                "floor" => x.floor(),
                _ => x.ceil(),
            } / scale;
            let text = if digits > 0 {
                format!("{r:.*}", digits as usize)
            } else {
                format!("{r:.0}")
            };
            Value::from_text(
                &text,
                &DataType::Numeric {
                    precision: None,
                    scale: None,
                },
                settings,
            )
        }
    }
}

/// One element of a LIKE pattern.
#[derive(Clone, Copy, PartialEq)]
enum Piece {
    /// `%`: any run of characters.
    Any,
    /// `_`: one character.
    One,
    /// A literal character (escaped or not).
    Char(char),
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes. Runs in O(len(s) * len(pattern)):
/// on a mismatch it resumes from the last `%` only, the classic wildcard algorithm, so no
/// pattern can make it take exponential time.
pub fn like(s: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    let fold = |t: &str| {
        if case_insensitive {
            t.to_lowercase()
        } else {
            t.to_string()
        }
    };
    let s: Vec<char> = fold(s).chars().collect();
    let mut pieces = Vec::new();
    let mut chars = fold(pattern).chars().collect::<Vec<_>>().into_iter();
    while let Some(c) = chars.next() {
        pieces.push(match c {
            '%' => Piece::Any,
            '_' => Piece::One,
            '\\' => match chars.next() {
                Some(lit) => Piece::Char(lit),
                None => {
                    return Err(Error::new(
                        SqlState("22025"),
                        "LIKE pattern must not end with escape character",
                    ));
                }
            },
            c => Piece::Char(c),
        });
    }
    let (mut si, mut pi) = (0, 0);
    // Where the last % was, and the position in `s` it has consumed up to.
    let mut resume: Option<(usize, usize)> = None;
    while si < s.len() {
        match pieces.get(pi) {
            Some(Piece::Any) => {
                resume = Some((pi, si));
                pi += 1;
            }
            Some(Piece::One) => {
                si += 1;
                pi += 1;
            }
            Some(Piece::Char(c)) if *c == s[si] => {
                si += 1;
                pi += 1;
            }
            _ => match resume {
                Some((rp, rs)) => {
                    // Let the last % swallow one more character and try again after it.
                    resume = Some((rp, rs + 1));
                    pi = rp + 1;
                    si = rs + 1;
                }
                None => return Ok(false),
            },
        }
    }
    Ok(pieces[pi..].iter().all(|p| *p == Piece::Any))
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_matches_as_postgres() {
        let cases = [
            ("abc", "abc", true),
            ("abc", "a%", true),
            ("abc", "%c", true),
            ("abc", "%b%", true),
            ("abc", "a_c", true),
            ("abc", "a_", false),
            ("", "%", true),
            ("", "_", false),
            ("a%c", "a\\%c", true),
            ("abc", "a\\%c", false),
            ("aaab", "%a%a%b", true),
            ("mississippi", "m%iss%pi", true),
            ("mississippi", "m%iss%px", false),
        ];
        for (s, p, want) in cases {
            assert_eq!(like(s, p, false).unwrap(), want, "{s} LIKE {p}");
        }
        assert!(like("ABC", "a%", true).unwrap());
        assert!(like("abc", "abc\\", false).is_err());
        // A pattern that takes exponential time with naive backtracking.
        let s = "a".repeat(5000);
        assert!(!like(&s, &format!("{}b", "%a".repeat(30)), false).unwrap());
    }
}
