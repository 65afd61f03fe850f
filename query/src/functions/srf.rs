//! Set-returning functions, used in FROM: `generate_series` (integers, numerics,
//! timestamps), `unnest` (one column per array argument) and the JSON expanders
//! (`json[b]_array_elements[_text]`, `json[b]_object_keys`, `json[b]_each[_text]`).
//!
//! Rows come from an iterator, so `generate_series(1, 1000000000)` under a `LIMIT` costs
//! only what is read.

use crate::error::{Error, Result, SqlState};
use crate::types::{self, BinaryOp, DataType, Value};

/// A set-returning function's shape: what its arguments are coerced to and the columns
/// it produces.
#[derive(Clone, Debug, PartialEq)]
pub struct SetFunction {
    /// Per argument: the type to coerce it to.
    pub args: Vec<Option<DataType>>,
    /// Output column names and types.
    pub columns: Vec<(String, DataType)>,
}

/// The shape of `name(args)` if `name` is a set-returning function (`Ok(None)` if it is
/// not one); 42883 for argument types it does not take.
pub fn set_function(name: &str, args: &[DataType]) -> Result<Option<SetFunction>> {
    use DataType as T;
    let missing = || {
        let list: Vec<String> = args.iter().map(DataType::name).collect();
        Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("function {name}({}) does not exist", list.join(", ")),
        )
        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
    };
    let one = |t: DataType, n: usize| SetFunction {
        args: vec![Some(t.clone()); n],
        columns: vec![(name.to_string(), t)],
    };
    Ok(Some(match name {
        "generate_series" => {
            if !(2..=3).contains(&args.len()) {
                return Err(missing());
            }
            let rank = |t: &DataType| match t {
                T::Int2 | T::Int4 | T::Unknown => Some(0),
                T::Int8 => Some(1),
                T::Numeric { .. } => Some(2),
                T::Float4 | T::Float8 => Some(2),
                _ => None,
            };
            let datetime = args[..2]
                .iter()
                .any(|t| matches!(t, T::Timestamp | T::TimestampTz | T::Date));
            if datetime {
                if args.len() != 3 {
                    return Err(missing());
                }
                let t = if args[..2]
                    .iter()
                    .all(|t| matches!(t, T::Timestamp | T::Unknown))
                {
                    T::Timestamp
                } else {
                    T::TimestampTz
                };
                SetFunction {
                    args: vec![Some(t.clone()), Some(t.clone()), Some(T::Interval)],
                    columns: vec![(name.to_string(), t)],
                }
            } else {
                let top = args
                    .iter()
                    .map(|t| rank(t).ok_or_else(missing))
                    .collect::<Result<Vec<_>>>()?
                    .into_iter()
                    .max()
                    .unwrap_or(0);
                let t = match top {
                    0 => T::Int4,
                    1 => T::Int8,
                    _ => T::NUMERIC,
                };
                one(t, args.len())
            }
        }
        // Anchor has no partitioning: a relation's only "ancestor" is itself.
        "pg_partition_ancestors" if args.len() == 1 => SetFunction {
            args: vec![None],
            columns: vec![("relid".into(), T::Reg(crate::types::RegKind::Class))],
        },
        "unnest" => {
            if args.is_empty() {
                return Err(missing());
            }
            let mut columns = Vec::new();
            for a in args {
                match a {
                    T::Array(e) => columns.push((name.to_string(), (**e).clone())),
                    _ => return Err(missing()),
                }
            }
            SetFunction {
                args: vec![None; args.len()],
                columns,
            }
        }
        "regexp_matches" | "regexp_split_to_table" => {
            if !(2..=3).contains(&args.len()) {
                return Err(missing());
            }
            let column = if name == "regexp_matches" {
                T::Array(Box::new(T::Text))
            } else {
                T::Text
            };
            SetFunction {
                args: vec![Some(T::Text); args.len()],
                columns: vec![(name.to_string(), column)],
            }
        }
        "json_array_elements"
        | "jsonb_array_elements"
        | "json_array_elements_text"
        | "jsonb_array_elements_text"
        | "json_object_keys"
        | "jsonb_object_keys"
        | "json_each"
        | "jsonb_each"
        | "json_each_text"
        | "jsonb_each_text" => {
            if args.len() != 1 {
                return Err(missing());
            }
            let j = if name.starts_with("jsonb") {
                T::Jsonb
            } else {
                T::Json
            };
            let value = if name.ends_with("_text") {
                T::Text
            } else {
                j.clone()
            };
            let columns = if name.contains("_each") {
                vec![("key".to_string(), T::Text), ("value".to_string(), value)]
            } else if name.contains("object_keys") {
                vec![(name.to_string(), T::Text)]
            } else {
                vec![("value".to_string(), value)]
            };
            SetFunction {
                args: vec![Some(j)],
                columns,
            }
        }
        _ => return Ok(None),
    }))
}

/// The internal set function a scalar function in FROM becomes: one row, its value.
pub const SCALAR_ROW: &str = "anchor scalar row";

/// The rows of a set-returning function.
pub type RowIter = Box<dyn Iterator<Item = Result<Vec<Value>>> + Send>;

/// Runs a set-returning function over evaluated arguments.
pub fn rows(name: &str, args: &[Value]) -> Result<RowIter> {
    match name {
        "generate_series" => series(args),
        SCALAR_ROW => Ok(Box::new(std::iter::once(Ok(args.to_vec())))),
        "pg_partition_ancestors" => {
            let row = match &args[0] {
                Value::Null => Vec::new(),
                v => vec![Ok(vec![v.clone().cast(
                    &DataType::Reg(crate::types::RegKind::Class),
                    &crate::types::Settings::default(),
                )?])],
            };
            Ok(Box::new(row.into_iter()))
        }
        "unnest" => Ok(Box::new(
            super::array::unnest_rows(args)?.into_iter().map(Ok),
        )),
        "regexp_matches" | "regexp_split_to_table" => {
            if args.iter().any(Value::is_null) {
                return Ok(Box::new(std::iter::empty()));
            }
            let text = |i: usize| match args.get(i) {
                Some(Value::Text(s)) => s.as_str(),
                _ => "",
            };
            let rows = if name == "regexp_matches" {
                super::string::regexp_matches(text(0), text(1), text(2))?
            } else {
                super::string::regexp_split(text(0), text(1), text(2))?
                    .into_iter()
                    .map(|p| vec![Value::Text(p)])
                    .collect()
            };
            Ok(Box::new(rows.into_iter().map(Ok)))
        }
        _ => {
            if args[0].is_null() {
                return Ok(Box::new(std::iter::empty()));
            }
            Ok(Box::new(
                super::json::rows(name, &args[0])?.into_iter().map(Ok),
            ))
        }
    }
}

fn series(args: &[Value]) -> Result<RowIter> {
    if args.iter().any(Value::is_null) {
        return Ok(Box::new(std::iter::empty()));
    }
    let (start, stop) = (args[0].clone(), args[1].clone());
    let step = args.get(2).cloned().unwrap_or(Value::Int4(1));
    let zero = match &step {
        Value::Interval(iv) => iv.span() == 0,
        v => v.compare(&Value::Int4(0))? == Some(std::cmp::Ordering::Equal),
    };
    if zero {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "step size cannot equal zero",
        ));
    }
    if let (Value::Numeric(n), _) | (_, Value::Numeric(n)) = (&start, &stop)
        && !n.is_finite()
    {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            if n.is_nan() {
                "start value cannot be NaN"
            } else {
                "start value cannot be infinity"
            },
        ));
    }
    let ascending = match &step {
        Value::Interval(iv) => iv.span() > 0,
        v => v.compare(&Value::Int4(0))? == Some(std::cmp::Ordering::Greater),
    };
    // Integers step in i64 without allocation; other types through the operators.
    if let (Some(a), Some(b), Some(s)) = (int(&start), int(&stop), int(&step)) {
        let wide = matches!(start, Value::Int8(_));
        let mut cur = Some(a);
        return Ok(Box::new(std::iter::from_fn(move || {
            let c = cur?;
            if (s > 0 && c > b) || (s < 0 && c < b) {
                return None;
            }
            cur = c.checked_add(s);
            Some(Ok(vec![if wide {
                Value::Int8(c)
            } else {
                Value::Int4(c as i32)
            }]))
        })));
    }
    let mut cur = Some(start);
    Ok(Box::new(std::iter::from_fn(move || {
        let c = cur.take()?;
        let past = match c.compare(&stop) {
            Ok(Some(o)) => {
                if ascending {
                    o == std::cmp::Ordering::Greater
                } else {
                    o == std::cmp::Ordering::Less
                }
            }
            Ok(None) => true,
            Err(e) => return Some(Err(e)),
        };
        if past {
            return None;
        }
        match types::binary_op(BinaryOp::Plus, &c, &step) {
            Ok(next) => cur = Some(next),
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(vec![c]))
    })))
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(x) => Some(*x as i64),
        Value::Int4(x) => Some(*x as i64),
        Value::Int8(x) => Some(*x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_as_postgres() {
        let got: Vec<Value> = rows(
            "generate_series",
            &[Value::Int4(1), Value::Int4(10), Value::Int4(4)],
        )
        .unwrap()
        .map(|r| r.unwrap().remove(0))
        .collect();
        assert_eq!(got, vec![Value::Int4(1), Value::Int4(5), Value::Int4(9)]);
        let down = rows(
            "generate_series",
            &[Value::Int4(3), Value::Int4(1), Value::Int4(-1)],
        )
        .unwrap()
        .count();
        assert_eq!(down, 3);
        assert!(
            rows(
                "generate_series",
                &[Value::Int4(1), Value::Int4(3), Value::Int4(0)]
            )
            .is_err()
        );
    }
}
