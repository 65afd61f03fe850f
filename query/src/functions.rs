//! Scalar functions, by name, over evaluated arguments.
//!
//! [`signature`] tells the binder what a call `name(types...)` takes and returns: the type
//! each argument is coerced to, and the result type (PostgreSQL's). The binder then checks
//! the coercions and casts; [`call`] evaluates. A NULL argument makes a strict function
//! return NULL; the few that are not strict (`concat`, the JSON builders, the array
//! functions that treat NULL as an empty array...) are handled first.
//!
//! Operators that PostgreSQL implements as functions (`->`, `@>`, `~`, `x = ANY(a)`, array
//! subscripts, `AT TIME ZONE`) are bound into [`crate::plan::Expr::Function`] calls with
//! internal names (the operator symbol, `any =`, `subscript`, `timezone`), so they reach
//! the same dispatch. The families live in submodules: [`datetime`] and [`format`]
//! (`to_char`, `to_date`, `to_timestamp`), [`json`], [`array`], [`string`], [`math`].
//! Set-returning functions (`generate_series`, `unnest`, the JSON ones) produce rows in
//! [`srf`].

pub mod array;
pub mod datetime;
pub mod format;
pub mod json;
pub mod math;
pub mod srf;
pub mod string;

use std::cmp::Ordering;

use crate::error::{Error, Result, SqlState};
use crate::types::{self, BinaryOp, CoercionContext, DataType, Settings, UnaryOp, Value};

pub use srf::{SetFunction, set_function};

/// What a call takes and returns: the type each argument is coerced to (`None`: left as
/// it is) and the result type.
#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    /// Per argument: the type to coerce it to.
    pub args: Vec<Option<DataType>>,
    /// The result type.
    pub ret: DataType,
}

fn no_function(name: &str, args: &[DataType]) -> Error {
    let list: Vec<String> = args.iter().map(DataType::name).collect();
    Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", list.join(", ")),
    )
    .with_hint(
        "No function matches the given name and argument types. You might need to add explicit type casts.",
    )
}

fn no_operator(op: &str, args: &[DataType]) -> Error {
    let names: Vec<String> = args.iter().map(DataType::name).collect();
    Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("operator does not exist: {}", names.join(&format!(" {op} "))),
    )
    .with_hint(
        "No operator matches the given name and argument types. You might need to add explicit type casts.",
    )
}

/// True for the names of operators bound as functions (their errors name an operator).
fn is_operator(name: &str) -> bool {
    name.starts_with(|c: char| !c.is_ascii_alphabetic())
        || name.starts_with("any ")
        || name.starts_with("all ")
}

fn arr(t: DataType) -> DataType {
    DataType::Array(Box::new(t))
}

fn elem_of(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Array(e) => Some((**e).clone()),
        _ => None,
    }
}

/// True if `name` is a scalar function of some arity (up to four arguments of any type).
pub fn exists(name: &str) -> bool {
    (0..=4).any(|n| signature(name, &vec![DataType::Unknown; n]).is_ok())
}

/// The signature of `name(args)`, or 42883 when there is no such function for these
/// argument types.
pub fn signature(name: &str, args: &[DataType]) -> Result<Signature> {
    let sig = signature_of(name, args)?;
    // Every argument has a place in the signature (evaluation relies on the count).
    if sig.args.len() != args.len() {
        return Err(if is_operator(name) {
            no_operator(name, args)
        } else {
            no_function(name, args)
        });
    }
    Ok(sig)
}

fn signature_of(name: &str, args: &[DataType]) -> Result<Signature> {
    use DataType as T;
    let n = args.len();
    let missing = || {
        if is_operator(name) {
            no_operator(name, args)
        } else {
            no_function(name, args)
        }
    };
    let count = |lo: usize, hi: usize| -> Result<()> {
        if (lo..=hi).contains(&n) {
            Ok(())
        } else {
            Err(missing())
        }
    };
    let same = |t: DataType| -> Vec<Option<DataType>> { vec![Some(t); n] };
    let known = |t: &DataType| if *t == T::Unknown { T::Text } else { t.clone() };
    let sig = |args: Vec<Option<DataType>>, ret: DataType| Ok(Signature { args, ret });
    let keep = || vec![None; n];
    let float = T::Float8;
    let datetime_arg = |t: &DataType| match t {
        T::Timestamp | T::TimestampTz | T::Interval | T::Time => Some(t.clone()),
        T::Date | T::Unknown => Some(T::TimestampTz),
        _ => None,
    };
    let json_of = |t: &DataType| match t {
        T::Json => T::Json,
        _ => T::Jsonb,
    };
    match name {
        "coalesce" | "nullif" | "greatest" | "least" => {
            if name == "nullif" {
                count(2, 2)?;
            }
            if n == 0 {
                return Err(missing());
            }
            let t = known(&types::common_type(args)?);
            sig(same(t.clone()), t)
        }
        "abs" | "mod" | "sign" => {
            count(1, 2)?;
            sig(keep(), args[0].clone())
        }
        "round" | "trunc" | "floor" | "ceil" | "ceiling" => {
            count(1, 2)?;
            sig(
                keep(),
                match args[0] {
                    T::Float4 | T::Float8 => T::Float8,
                    _ => T::NUMERIC,
                },
            )
        }
        "sqrt" => {
            count(1, 1)?;
            sig(keep(), T::Float8)
        }
        "power" | "pow" => {
            count(2, 2)?;
            sig(keep(), T::Float8)
        }
        "length" | "char_length" | "character_length" | "octet_length" | "ascii" => {
            count(1, 1)?;
            sig(keep(), T::Int4)
        }
        "strpos" => {
            count(2, 2)?;
            sig(same(T::Text), T::Int4)
        }
        "lower" | "upper" | "reverse" | "initcap" | "quote_ident" => {
            count(1, 1)?;
            sig(same(T::Text), T::Text)
        }
        "quote_literal" | "quote_nullable" => {
            count(1, 1)?;
            sig(vec![Some(known(&args[0]))], T::Text)
        }
        "substr" | "substring" => {
            count(2, 3)?;
            sig(
                vec![Some(T::Text), Some(T::Int4), Some(T::Int4)][..n].to_vec(),
                T::Text,
            )
        }
        "replace" | "translate" => {
            count(3, 3)?;
            sig(same(T::Text), T::Text)
        }
        "trim" | "btrim" | "ltrim" | "rtrim" => {
            count(1, 2)?;
            sig(same(T::Text), T::Text)
        }
        "left" | "right" | "repeat" => {
            count(2, 2)?;
            sig(vec![Some(T::Text), Some(T::Int4)], T::Text)
        }
        "split_part" => {
            count(3, 3)?;
            sig(vec![Some(T::Text), Some(T::Text), Some(T::Int4)], T::Text)
        }
        "regexp_replace" => {
            count(3, 4)?;
            sig(same(T::Text), T::Text)
        }
        "concat" => {
            count(1, usize::MAX)?;
            sig(keep(), T::Text)
        }
        "concat_ws" => {
            count(2, usize::MAX)?;
            sig(keep(), T::Text)
        }
        "lpad" | "rpad" => {
            count(2, 3)?;
            sig(
                vec![Some(T::Text), Some(T::Int4), Some(T::Text)][..n].to_vec(),
                T::Text,
            )
        }
        "overlay" => {
            count(3, 4)?;
            sig(
                vec![Some(T::Text), Some(T::Text), Some(T::Int4), Some(T::Int4)][..n].to_vec(),
                T::Text,
            )
        }
        "md5" => {
            count(1, 1)?;
            sig(
                vec![Some(if args[0] == T::Bytea {
                    T::Bytea
                } else {
                    T::Text
                })],
                T::Text,
            )
        }
        "chr" => sig(vec![Some(T::Int4)], T::Text),
        "to_hex" => {
            count(1, 1)?;
            let t = if args[0] == T::Int8 { T::Int8 } else { T::Int4 };
            sig(vec![Some(t)], T::Text)
        }
        "starts_with" => {
            count(2, 2)?;
            sig(same(T::Text), T::Bool)
        }
        "format" => {
            if n == 0 {
                return Err(missing());
            }
            let mut a = vec![Some(T::Text)];
            a.extend(args[1..].iter().map(|t| Some(known(t))));
            sig(a, T::Text)
        }
        "encode" => sig(vec![Some(T::Bytea), Some(T::Text)], T::Text),
        "decode" => sig(vec![Some(T::Text), Some(T::Text)], T::Bytea),
        "regexp_match" | "regexp_split_to_array" => {
            count(2, 3)?;
            sig(same(T::Text), arr(T::Text))
        }
        "array_replace" => {
            count(3, 3)?;
            let e = match &args[0] {
                T::Array(e) => (**e).clone(),
                _ => return Err(missing()),
            };
            sig(
                vec![Some(arr(e.clone())), Some(e.clone()), Some(e.clone())],
                arr(e),
            )
        }
        "array_dims" | "array_ndims" => {
            count(1, 1)?;
            elem_of(&args[0]).ok_or_else(missing)?;
            sig(
                vec![None],
                if name == "array_dims" {
                    T::Text
                } else {
                    T::Int4
                },
            )
        }
        "~" | "~*" | "!~" | "!~*" => {
            count(2, 2)?;
            sig(same(T::Text), T::Bool)
        }
        "similar_to" | "not_similar_to" => {
            count(2, 3)?;
            sig(same(T::Text), T::Bool)
        }
        "gen_random_uuid" => {
            count(0, 0)?;
            sig(vec![], T::Uuid)
        }
        // ---- math
        "ln" | "log" | "log10" | "exp" => {
            count(1, 2)?;
            if args.iter().any(|t| matches!(t, T::Numeric { .. })) {
                sig(same(T::NUMERIC), T::NUMERIC)
            } else {
                sig(same(float.clone()), float)
            }
        }
        "cbrt" | "degrees" | "radians" | "sin" | "cos" | "tan" | "cot" | "asin" | "acos"
        | "atan" | "sinh" | "cosh" | "tanh" => {
            count(1, 1)?;
            sig(same(float.clone()), float)
        }
        "atan2" => {
            count(2, 2)?;
            sig(same(float.clone()), float)
        }
        "pi" | "random" => {
            count(0, 0)?;
            sig(vec![], float)
        }
        "setseed" => sig(vec![Some(float)], T::Text),
        "div" => {
            count(2, 2)?;
            sig(same(T::NUMERIC), T::NUMERIC)
        }
        "gcd" | "lcm" => {
            count(2, 2)?;
            let t = types::common_type(args)?;
            let t = match t {
                T::Int2 | T::Int4 | T::Unknown | T::Text => T::Int4,
                T::Int8 => T::Int8,
                _ => return Err(missing()),
            };
            sig(same(t.clone()), t)
        }
        "factorial" => sig(vec![Some(T::Int8)], T::NUMERIC),
        "scale" => sig(vec![Some(T::NUMERIC)], T::Int4),
        "width_bucket" => {
            count(4, 4)?;
            sig(
                vec![
                    Some(float.clone()),
                    Some(float.clone()),
                    Some(float),
                    Some(T::Int4),
                ],
                T::Int4,
            )
        }
        // ---- date/time
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp" => {
            count(0, 0)?;
            sig(vec![], T::TimestampTz)
        }
        "localtimestamp" => sig(vec![], T::Timestamp),
        "current_date" => sig(vec![], T::Date),
        "current_time" | "localtime" => sig(vec![], T::Time),
        "timeofday" => sig(vec![], T::Text),
        "date_trunc" => {
            count(2, 3)?;
            let t = match &args[1] {
                _ if n == 3 => T::TimestampTz,
                T::Timestamp | T::TimestampTz | T::Interval => args[1].clone(),
                T::Date | T::Unknown => T::TimestampTz,
                _ => return Err(missing()),
            };
            sig(
                vec![Some(T::Text), Some(t.clone()), Some(T::Text)][..n].to_vec(),
                datetime::trunc_type(&t),
            )
        }
        "date_part" | "extract" => {
            count(2, 2)?;
            let t = match (&args[1], name) {
                (T::Date, "extract") => T::Date,
                (t, _) => datetime_arg(t).ok_or_else(missing)?,
            };
            let ret = if name == "extract" { T::NUMERIC } else { float };
            sig(vec![Some(T::Text), Some(t)], ret)
        }
        "to_char" => {
            count(2, 2)?;
            let t = match &args[0] {
                t if t.is_numeric() => t.clone(),
                T::Timestamp | T::TimestampTz | T::Interval => args[0].clone(),
                T::Date => T::TimestampTz,
                // A time converts implicitly to an interval.
                T::Time => T::Interval,
                _ => return Err(missing()),
            };
            sig(vec![Some(t), Some(T::Text)], T::Text)
        }
        "to_date" => sig(vec![Some(T::Text), Some(T::Text)], T::Date),
        "to_timestamp" => {
            count(1, 2)?;
            if n == 1 {
                sig(vec![Some(float)], T::TimestampTz)
            } else {
                sig(same(T::Text), T::TimestampTz)
            }
        }
        "age" => {
            count(1, 2)?;
            let t = if args.iter().all(|t| *t == T::Timestamp || *t == T::Unknown)
                && args.contains(&T::Timestamp)
            {
                T::Timestamp
            } else {
                T::TimestampTz
            };
            sig(same(t), T::Interval)
        }
        "make_date" => sig(vec![Some(T::Int4); 3], T::Date),
        "make_time" => sig(vec![Some(T::Int4), Some(T::Int4), Some(float)], T::Time),
        "make_timestamp" | "make_timestamptz" => {
            count(6, 6)?;
            let mut a = vec![Some(T::Int4); 5];
            a.push(Some(float));
            sig(
                a,
                if name == "make_timestamp" {
                    T::Timestamp
                } else {
                    T::TimestampTz
                },
            )
        }
        "make_interval" => {
            count(0, 7)?;
            let mut a = vec![Some(T::Int4); 6];
            a.push(Some(float));
            sig(a[..n].to_vec(), T::Interval)
        }
        "justify_days" | "justify_hours" | "justify_interval" => {
            sig(vec![Some(T::Interval)], T::Interval)
        }
        "isfinite" => {
            count(1, 1)?;
            let t = match &args[0] {
                T::Date | T::Timestamp | T::TimestampTz | T::Interval => args[0].clone(),
                T::Unknown => T::TimestampTz,
                _ => return Err(missing()),
            };
            sig(vec![Some(t)], T::Bool)
        }
        "timestamptz_pl_interval" | "timestamptz_mi_interval" => sig(
            vec![Some(T::TimestampTz), Some(T::Interval)],
            T::TimestampTz,
        ),
        "timezone" => {
            count(2, 2)?;
            let zone = if args[0] == T::Interval {
                T::Interval
            } else {
                T::Text
            };
            let (t, ret) = match &args[1] {
                T::Timestamp => (T::Timestamp, T::TimestampTz),
                T::TimestampTz | T::Date | T::Unknown => (T::TimestampTz, T::Timestamp),
                _ => return Err(missing()),
            };
            sig(vec![Some(zone), Some(t)], ret)
        }
        // ---- json
        "->" | "->>" | "#>" | "#>>" => {
            count(2, 2)?;
            let j = match &args[0] {
                T::Json | T::Jsonb => args[0].clone(),
                T::Unknown => T::Jsonb,
                _ => return Err(missing()),
            };
            let key = match (name, &args[1]) {
                ("->" | "->>", t) if t.is_integer() => T::Int4,
                ("->" | "->>", _) => T::Text,
                _ => arr(T::Text),
            };
            let ret = if name.ends_with(">>") {
                T::Text
            } else {
                j.clone()
            };
            sig(vec![Some(j), Some(key)], ret)
        }
        "@>" | "<@" | "&&" => {
            count(2, 2)?;
            if args.iter().any(|t| matches!(t, T::Array(_))) {
                let t = types::common_type(args).map_err(|_| missing())?;
                sig(same(t), T::Bool)
            } else if name != "&&" && args.iter().all(|t| matches!(t, T::Jsonb | T::Unknown)) {
                sig(same(T::Jsonb), T::Bool)
            } else {
                Err(missing())
            }
        }
        "?" | "?|" | "?&" => {
            count(2, 2)?;
            if !matches!(args[0], T::Jsonb | T::Unknown) {
                return Err(missing());
            }
            let key = if name == "?" { T::Text } else { arr(T::Text) };
            sig(vec![Some(T::Jsonb), Some(key)], T::Bool)
        }
        "jsonb_concat" => {
            count(2, 2)?;
            sig(same(T::Jsonb), T::Jsonb)
        }
        "jsonb_delete" => {
            count(2, 2)?;
            let key = match &args[1] {
                t if t.is_integer() => T::Int4,
                T::Array(_) => arr(T::Text),
                _ => T::Text,
            };
            sig(vec![Some(T::Jsonb), Some(key)], T::Jsonb)
        }
        "json_build_object" | "json_build_array" => {
            sig(args.iter().map(|t| Some(known(t))).collect(), T::Json)
        }
        "jsonb_build_object" | "jsonb_build_array" => {
            sig(args.iter().map(|t| Some(known(t))).collect(), T::Jsonb)
        }
        "to_json" | "to_jsonb" => {
            count(1, 1)?;
            if args[0] == T::Unknown {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    "could not determine polymorphic type because input has type unknown",
                ));
            }
            sig(
                vec![Some(known(&args[0]))],
                if name == "to_json" { T::Json } else { T::Jsonb },
            )
        }
        "json_typeof" | "jsonb_typeof" => {
            count(1, 1)?;
            sig(
                vec![Some(if name == "json_typeof" {
                    T::Json
                } else {
                    T::Jsonb
                })],
                T::Text,
            )
        }
        "json_array_length" | "jsonb_array_length" => {
            count(1, 1)?;
            let t = if name.starts_with("jsonb") {
                T::Jsonb
            } else {
                T::Json
            };
            sig(vec![Some(t)], T::Int4)
        }
        "json_extract_path"
        | "jsonb_extract_path"
        | "json_extract_path_text"
        | "jsonb_extract_path_text" => {
            if n == 0 {
                return Err(missing());
            }
            let j = if name.starts_with("jsonb") {
                T::Jsonb
            } else {
                T::Json
            };
            let mut a = vec![Some(j.clone())];
            a.extend(std::iter::repeat_n(Some(T::Text), n - 1));
            sig(a, if name.ends_with("_text") { T::Text } else { j })
        }
        "jsonb_set" => {
            count(3, 4)?;
            sig(
                vec![
                    Some(T::Jsonb),
                    Some(arr(T::Text)),
                    Some(T::Jsonb),
                    Some(T::Bool),
                ][..n]
                    .to_vec(),
                T::Jsonb,
            )
        }
        "json_strip_nulls" | "jsonb_strip_nulls" => {
            let t = json_of(args.first().unwrap_or(&T::Jsonb));
            let t = if name == "json_strip_nulls" {
                T::Json
            } else {
                t
            };
            sig(vec![Some(t.clone())], t)
        }
        "jsonb_pretty" => sig(vec![Some(T::Jsonb)], T::Text),
        // ---- arrays
        "array_length" | "array_lower" | "array_upper" => {
            count(2, 2)?;
            elem_of(&args[0]).ok_or_else(missing)?;
            sig(vec![None, Some(T::Int4)], T::Int4)
        }
        "cardinality" => {
            count(1, 1)?;
            elem_of(&args[0]).ok_or_else(missing)?;
            sig(vec![None], T::Int4)
        }
        "array_append" | "array_remove" | "array_position" => {
            count(2, if name == "array_position" { 3 } else { 2 })?;
            let e = match (&args[0], &args[1]) {
                (T::Array(e), _) => (**e).clone(),
                (T::Unknown, t) => known(t),
                _ => return Err(missing()),
            };
            let mut a = vec![Some(arr(e.clone())), Some(e.clone())];
            if n == 3 {
                a.push(Some(T::Int4));
            }
            let ret = if name == "array_position" {
                T::Int4
            } else {
                arr(e)
            };
            sig(a, ret)
        }
        "array_prepend" => {
            count(2, 2)?;
            let e = match (&args[0], &args[1]) {
                (_, T::Array(e)) => (**e).clone(),
                (t, T::Unknown) => known(t),
                _ => return Err(missing()),
            };
            sig(vec![Some(e.clone()), Some(arr(e.clone()))], arr(e))
        }
        "array_cat" => {
            count(2, 2)?;
            let t = types::common_type(args).map_err(|_| missing())?;
            elem_of(&t).ok_or_else(missing)?;
            sig(same(t.clone()), t)
        }
        "array_to_string" => {
            count(2, 3)?;
            elem_of(&args[0]).ok_or_else(missing)?;
            sig(
                vec![None, Some(T::Text), Some(T::Text)][..n].to_vec(),
                T::Text,
            )
        }
        "string_to_array" => {
            count(2, 3)?;
            sig(same(T::Text), arr(T::Text))
        }
        "subscript" => {
            count(2, 2)?;
            let e = elem_of(&args[0]).ok_or_else(|| {
                Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "cannot subscript type {} because it does not support subscripting",
                        args[0].name()
                    ),
                )
            })?;
            sig(vec![None, Some(T::Int4)], e)
        }
        "slice" => {
            count(3, 3)?;
            elem_of(&args[0]).ok_or_else(|| {
                Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "cannot subscript type {} because it does not support subscripting",
                        args[0].name()
                    ),
                )
            })?;
            sig(vec![None, Some(T::Int8), Some(T::Int8)], args[0].clone())
        }
        q if q.starts_with("any ") || q.starts_with("all ") => {
            count(2, 2)?;
            let e = match &args[1] {
                T::Array(e) => (**e).clone(),
                T::Unknown => known(&args[0]),
                _ => {
                    return Err(Error::new(
                        SqlState::DATATYPE_MISMATCH,
                        "op ANY/ALL (array) requires array on right side",
                    ));
                }
            };
            let t = types::common_type(&[args[0].clone(), e.clone()])
                .map_err(|_| no_operator(&q[4..], &[args[0].clone(), e.clone()]))?;
            sig(vec![Some(t.clone()), Some(arr(t))], T::Bool)
        }
        _ => Err(missing()),
    }
}

/// Checks that each argument converts implicitly to its target (else 42883).
pub fn check_coercions(name: &str, args: &[DataType], sig: &Signature) -> Result<()> {
    for (a, t) in args.iter().zip(&sig.args) {
        if let Some(t) = t
            && *a != DataType::Unknown
            && a.without_typmod() != t.without_typmod()
            && !types::can_coerce(a, t, CoercionContext::Implicit)
        {
            return Err(if is_operator(name) {
                no_operator(name, args)
            } else {
                no_function(name, args)
            });
        }
    }
    Ok(())
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
    if let Some(v) = non_strict(name, args, settings)? {
        return Ok(v);
    }
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
        // Case mapping of the C locale: ASCII letters only.
        "lower" => Value::Text(text(&args[0], settings).to_ascii_lowercase()),
        "upper" => Value::Text(text(&args[0], settings).to_ascii_uppercase()),
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
        other => return strict_call(other, args, settings),
    })
}

fn text_at(args: &[Value], i: usize, settings: &Settings) -> String {
    args.get(i).map(|v| text(v, settings)).unwrap_or_default()
}

/// Functions that see NULL arguments (all others return NULL for any NULL argument).
fn non_strict(name: &str, args: &[Value], settings: &Settings) -> Result<Option<Value>> {
    Ok(Some(match name {
        "array" => array::construct(&args[0], &args[1..])?,
        "array_append" | "array_prepend" | "array_cat" => {
            let elem = args
                .iter()
                .find_map(|a| match a {
                    Value::Array(a) => Some(a.element_type.clone()),
                    _ => None,
                })
                .or_else(|| args.iter().find(|a| !a.is_null()).map(Value::data_type))
                .unwrap_or(DataType::Text);
            array::combine(name, args, &elem)?
        }
        // Planned as (every label in order, low, high); a NULL bound is open.
        "enum_range" if args.len() == 3 => {
            let Value::Array(all) = &args[0] else {
                return Ok(None);
            };
            let within = |v: &Value| -> Result<bool> {
                let above = args[1].is_null() || v.compare(&args[1])? != Some(Ordering::Less);
                let below = args[2].is_null() || v.compare(&args[2])? != Some(Ordering::Greater);
                Ok(above && below)
            };
            let mut elements = Vec::new();
            for v in &all.elements {
                if within(v)? {
                    elements.push(v.clone());
                }
            }
            Value::Array(types::Array::new(all.element_type.clone(), elements))
        }
        "array_position" => array::position(&args[0], &args[1], args.get(2))?,
        "array_remove" => array::remove(&args[0], &args[1])?,
        "array_replace" => array::replace(&args[0], &args[1], &args[2])?,
        "array_to_string" => array::to_string(args, settings)?,
        "string_to_array" => array::from_string(args, settings)?,
        "concat_ws" => {
            let Some(sep) = args.first().and_then(|s| s.to_text(settings)) else {
                return Ok(Some(Value::Null));
            };
            let parts: Vec<String> = args[1..]
                .iter()
                .filter_map(|a| a.to_text(settings))
                .collect();
            Value::Text(parts.join(&sep))
        }
        "format" => match args.first() {
            Some(Value::Null) | None => Value::Null,
            Some(f) => string::format(&text(f, settings), &args[1..], settings)?,
        },
        "quote_nullable" => match &args[0] {
            Value::Null => Value::Text("NULL".into()),
            v => Value::Text(string::quote_literal(&text(v, settings))),
        },
        "json_build_object" | "jsonb_build_object" => {
            json::build_object(args, name.starts_with("jsonb"), settings)?
        }
        "json_build_array" | "jsonb_build_array" => {
            json::build_array(args, name.starts_with("jsonb"), settings)?
        }
        "json_extract_path"
        | "jsonb_extract_path"
        | "json_extract_path_text"
        | "jsonb_extract_path_text" => json::extract_path(args, name.ends_with("_text"))?,
        "jsonb_set" => {
            if args[..3].iter().any(Value::is_null) {
                return Ok(Some(Value::Null));
            }
            let create = !matches!(args.get(3), Some(Value::Bool(false)));
            json::set(&args[0], &args[1], &args[2], create)?
        }
        q if q.starts_with("any ") || q.starts_with("all ") => {
            let op = binary_op_named(&q[4..])?;
            if args[0].is_null() && !args[1].is_null() {
                // NULL op ANY(empty) is false; with elements, NULL.
                return Ok(Some(match &args[1] {
                    Value::Array(a) if a.elements.is_empty() => Value::Bool(q.starts_with("all ")),
                    _ => Value::Null,
                }));
            }
            array::quantified(op, q.starts_with("all "), &args[0], &args[1])?
        }
        "now"
        | "current_timestamp"
        | "transaction_timestamp"
        | "statement_timestamp"
        | "clock_timestamp"
        | "localtimestamp"
        | "current_date"
        | "current_time"
        | "localtime"
        | "timeofday" => datetime::clock_value(name, settings)?,
        "pi" => Value::Float8(std::f64::consts::PI),
        "random" => Value::Float8(math::random()),
        "gen_random_uuid" => string::random_uuid(),
        "make_interval" if args.is_empty() => datetime::make_interval(args)?,
        _ => return Ok(None),
    }))
}

/// The comparison operator an `ANY`/`ALL` names.
fn binary_op_named(symbol: &str) -> Result<BinaryOp> {
    Ok(match symbol {
        "=" => BinaryOp::Eq,
        "<>" => BinaryOp::NotEq,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::LtEq,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::GtEq,
        other => return Err(Error::unsupported(format!("operator {other} with ANY/ALL"))),
    })
}

fn float_of(v: &Value, settings: &Settings) -> Result<f64> {
    float_arg(v, settings)
}

/// The strict functions added to the first list (no argument is NULL here).
fn strict_call(name: &str, args: &[Value], settings: &Settings) -> Result<Value> {
    let t = |i: usize| text_at(args, i, settings);
    let i = |k: usize| -> Result<i64> { int_arg(&args[k], settings) };
    let f = |k: usize| -> Result<f64> { float_of(&args[k], settings) };
    Ok(match name {
        // ---- date/time
        "date_trunc" if args.len() == 3 => {
            // date_trunc(unit, timestamptz, zone): the fields of that zone.
            let mut in_zone = settings.clone();
            in_zone.timezone = datetime::parse_zone(&t(2))?;
            datetime::date_trunc(&t(0), &args[1], &in_zone)?
        }
        "date_trunc" => datetime::date_trunc(&t(0), &args[1], settings)?,
        "date_part" | "extract" => datetime::extract(&t(0), &args[1], name == "extract", settings)?,
        "to_char" => match &args[0] {
            v if v.data_type().is_numeric() => format::to_char_number(v, &t(1))?,
            v => format::to_char_datetime(v, &t(1), settings)?,
        },
        "to_date" => format::to_date(&t(0), &t(1))?,
        "to_timestamp" if args.len() == 1 => datetime::to_timestamp_epoch(f(0)?)?,
        "to_timestamp" => format::to_timestamp(&t(0), &t(1), &settings.timezone)?,
        "age" => {
            let (a, b) = if args.len() == 1 {
                // age(ts): from midnight of today.
                let today = datetime::clock_value("current_date", settings)?;
                let midnight = today.cast(&args[0].data_type(), settings)?;
                (midnight, args[0].clone())
            } else {
                (args[0].clone(), args[1].clone())
            };
            datetime::age(&a, &b, &settings.timezone)?
        }
        "make_date" => datetime::make_date(args)?,
        "make_time" => datetime::make_time(args)?,
        "make_timestamp" => datetime::make_timestamp(args, None)?,
        "make_timestamptz" => datetime::make_timestamp(args, Some(&settings.timezone))?,
        "make_interval" => datetime::make_interval(args)?,
        "justify_days" | "justify_hours" | "justify_interval" => match &args[0] {
            Value::Interval(iv) => Value::Interval(match name {
                "justify_days" => datetime::justify_days(iv)?,
                "justify_hours" => datetime::justify_hours(iv)?,
                _ => datetime::justify_interval(iv)?,
            }),
            _ => return Err(Error::internal("justify of a non-interval")),
        },
        "isfinite" => datetime::isfinite(&args[0]),
        "timezone" => datetime::at_time_zone(&args[0], &args[1], settings)?,
        "timestamptz_pl_interval" | "timestamptz_mi_interval" => match (&args[0], &args[1]) {
            (Value::TimestampTz(ts), Value::Interval(iv)) => {
                let iv = if name == "timestamptz_mi_interval" {
                    iv.checked_neg()?
                } else {
                    *iv
                };
                Value::TimestampTz(types::datetime::add_interval(
                    *ts,
                    &iv,
                    Some(&settings.timezone),
                )?)
            }
            _ => return Err(Error::internal("timestamptz arithmetic on other types")),
        },
        // ---- json
        "->" | "->>" | "#>" | "#>>" => json::access(name, &args[0], &args[1])?,
        "@>" | "<@" => {
            let (a, b) = if name == "@>" {
                (&args[0], &args[1])
            } else {
                (&args[1], &args[0])
            };
            match a {
                Value::Array(_) => array::contains(a, b)?,
                _ => json::contains_op(a, b)?,
            }
        }
        "&&" => array::overlaps(&args[0], &args[1])?,
        "?" | "?|" | "?&" => json::exists_op(name, &args[0], &args[1])?,
        "jsonb_concat" => json::concat(&args[0], &args[1])?,
        "jsonb_delete" => json::delete(&args[0], &args[1])?,
        "to_json" | "to_jsonb" => json::to_json(&args[0], name == "to_jsonb", settings)?,
        "json_typeof" | "jsonb_typeof" => json::typeof_(&args[0])?,
        "json_array_length" | "jsonb_array_length" => json::array_length(&args[0])?,
        "json_strip_nulls" | "jsonb_strip_nulls" => json::strip_nulls_value(&args[0])?,
        "jsonb_pretty" => json::pretty(&args[0])?,
        // ---- arrays
        "subscript" => array::subscript(&args[0], &args[1])?,
        "slice" => array::slice(&args[0], &args[1], &args[2])?,
        "array_length" | "array_lower" | "array_upper" | "cardinality" => {
            array::dimension(name, &args[0], args.get(1))?
        }
        // ---- strings
        "lpad" | "rpad" => {
            let fill = if args.len() > 2 {
                t(2)
            } else {
                " ".to_string()
            };
            string::pad(&t(0), i(1)?, &fill, name == "lpad")?
        }
        "split_part" => string::split_part(&t(0), &t(1), i(2)?)?,
        "initcap" => Value::Text(string::initcap(&t(0))),
        "overlay" => string::overlay(&t(0), &t(1), i(2)?, args.get(3).map(|_| i(3)).transpose()?)?,
        "md5" => Value::Text(match &args[0] {
            Value::Bytea(b) => string::md5_hex(b),
            _ => string::md5_hex(t(0).as_bytes()),
        }),
        "chr" => string::chr(i(0)?)?,
        "ascii" => Value::Int4(t(0).chars().next().map_or(0, |c| c as i32)),
        "to_hex" => Value::Text(string::to_hex(&args[0])),
        "starts_with" => Value::Bool(t(0).starts_with(&t(1))),
        "translate" => Value::Text(string::translate(&t(0), &t(1), &t(2))),
        "quote_ident" => Value::Text(string::quote_ident(&t(0))),
        "quote_literal" => Value::Text(string::quote_literal(&t(0))),
        "encode" => match &args[0] {
            Value::Bytea(b) => string::encode(b, &t(1))?,
            _ => return Err(Error::internal("encode of a non-bytea")),
        },
        "decode" => string::decode(&t(0), &t(1))?,
        "regexp_replace" => {
            let flags = if args.len() > 3 { t(3) } else { String::new() };
            string::regexp_replace(&t(0), &t(1), &t(2), &flags)?
        }
        "regexp_match" => {
            let flags = if args.len() > 2 { t(2) } else { String::new() };
            string::regexp_match(&t(0), &t(1), &flags)?
        }
        "regexp_split_to_array" => {
            let flags = if args.len() > 2 { t(2) } else { String::new() };
            Value::Array(types::Array::new(
                DataType::Text,
                string::regexp_split(&t(0), &t(1), &flags)?
                    .into_iter()
                    .map(Value::Text)
                    .collect(),
            ))
        }
        "array_dims" | "array_ndims" => match &args[0] {
            Value::Array(a) if a.elements.is_empty() => Value::Null,
            Value::Array(a) if name == "array_dims" => {
                Value::Text(format!("[1:{}]", a.elements.len()))
            }
            _ => Value::Int4(1),
        },
        "~" | "~*" | "!~" | "!~*" => {
            let m = string::regex_matches(&t(0), &t(1), name.ends_with('*'))?;
            Value::Bool(m != name.starts_with('!'))
        }
        "similar_to" | "not_similar_to" => {
            let escape = match args.get(2) {
                Some(e) => {
                    let e = text(e, settings);
                    let mut cs = e.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => Some(c),
                        (None, _) => None,
                        _ => {
                            return Err(Error::new(SqlState("22025"), "invalid escape string")
                                .with_hint("Escape string must be empty or one character."));
                        }
                    }
                }
                None => Some('\\'),
            };
            let re = string::similar_to_regex(&t(1), escape);
            let m = string::regex_matches(&t(0), &re, false)?;
            Value::Bool(m != (name == "not_similar_to"))
        }
        // ---- math
        "ln" | "log" | "log10" | "exp" if matches!(args[0], Value::Numeric(_)) => {
            let num = |k: usize| match &args[k] {
                Value::Numeric(n) => Ok(n.clone()),
                _ => Err(Error::internal("numeric logarithm of another type")),
            };
            Value::Numeric(match (name, args.len()) {
                (_, 2) => math::exact::log(&num(0)?, &num(1)?)?,
                ("ln", _) => math::exact::ln(&num(0)?)?,
                ("exp", _) => math::exact::exp(&num(0)?)?,
                _ => math::exact::log(&types::Numeric::from_i64(10), &num(0)?)?,
            })
        }
        "log" if args.len() == 2 => Value::Float8(math::log_base(f(0)?, f(1)?)?),
        "ln" | "log" | "log10" | "exp" | "cbrt" | "degrees" | "radians" | "sin" | "cos" | "tan"
        | "cot" | "asin" | "acos" | "atan" | "sinh" | "cosh" | "tanh" => {
            Value::Float8(math::unary(name, f(0)?)?)
        }
        "atan2" => Value::Float8(f(0)?.atan2(f(1)?)),
        "setseed" => {
            math::setseed(f(0)?)?;
            Value::Text(String::new())
        }
        "div" => match (&args[0], &args[1]) {
            (Value::Numeric(a), Value::Numeric(b)) => math::div(a, b)?,
            _ => return Err(Error::internal("div of non-numerics")),
        },
        "gcd" | "lcm" => math::gcd_lcm(name, &args[0], &args[1])?,
        "factorial" => math::factorial(i(0)?)?,
        "scale" => match &args[0] {
            Value::Numeric(n) => Value::Int4(n.scale() as i32),
            _ => return Err(Error::internal("scale of a non-numeric")),
        },
        "width_bucket" => math::width_bucket(f(0)?, f(1)?, f(2)?, i(3)?)?,
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
