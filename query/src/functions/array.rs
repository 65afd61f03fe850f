//! Array functions and operators: constructors, subscripts and slices, `ANY`/`ALL`,
//! `array_length` and friends, `array_append`/`prepend`/`cat`, `array_position`,
//! `array_remove`, `array_to_string`, `string_to_array`, and the containment and overlap
//! operators `@>`, `<@`, `&&`. Arrays are one-dimensional with lower bound 1.

use std::cmp::Ordering;

use crate::error::{Error, Result, SqlState};
use crate::types::{self, Array, BinaryOp, DataType, Settings, Value};

fn elements(v: &Value) -> Result<&[Value]> {
    match v {
        Value::Array(a) => Ok(&a.elements),
        _ => Err(Error::internal("not an array")),
    }
}

fn element_type(v: &Value) -> DataType {
    match v {
        Value::Array(a) => a.element_type.clone(),
        other => other.data_type(),
    }
}

/// An integer argument (subscripts, dimensions).
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(x) => Some(*x as i64),
        Value::Int4(x) => Some(*x as i64),
        Value::Int8(x) => Some(*x),
        _ => None,
    }
}

/// `ARRAY[e1, e2, ...]`: `template` is an empty array of the element type.
pub fn construct(template: &Value, items: &[Value]) -> Result<Value> {
    let elem = element_type(template);
    if items.iter().any(|i| matches!(i, Value::Array(_))) {
        return Err(Error::unsupported("multidimensional arrays"));
    }
    Ok(Value::Array(Array::new(elem, items.to_vec())))
}

/// `a[i]`: NULL outside the bounds.
pub fn subscript(a: &Value, i: &Value) -> Result<Value> {
    let items = elements(a)?;
    Ok(match int(i) {
        Some(i) if i >= 1 && (i as usize) <= items.len() => items[i as usize - 1].clone(),
        _ => Value::Null,
    })
}

/// `a[lo:hi]`: the elements in the bounds (clamped); empty when none.
pub fn slice(a: &Value, lo: &Value, hi: &Value) -> Result<Value> {
    let items = elements(a)?;
    let (Some(lo), Some(hi)) = (int(lo), int(hi)) else {
        return Ok(Value::Null);
    };
    let lo = lo.max(1) as usize;
    let hi = hi.min(items.len() as i64);
    let out = if hi < lo as i64 {
        Vec::new()
    } else {
        items[lo - 1..hi as usize].to_vec()
    };
    Ok(Value::Array(Array::new(element_type(a), out)))
}

/// `x op ANY(a)` / `x op ALL(a)` with SQL's NULL rules.
pub fn quantified(op: BinaryOp, all: bool, x: &Value, a: &Value) -> Result<Value> {
    if a.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for e in elements(a)? {
        match types::binary_op(op, x, e)? {
            Value::Bool(b) if b != all => return Ok(Value::Bool(b)),
            Value::Bool(_) => {}
            _ => saw_null = true,
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(all)
    })
}

/// `array_length(a, dim)`, `array_lower`, `array_upper`, `cardinality`.
pub fn dimension(name: &str, a: &Value, dim: Option<&Value>) -> Result<Value> {
    let n = elements(a)?.len();
    if name == "cardinality" {
        return Ok(Value::Int4(n as i32));
    }
    if n == 0 || dim.and_then(int) != Some(1) {
        return Ok(Value::Null);
    }
    Ok(Value::Int4(match name {
        "array_lower" => 1,
        _ => n as i32,
    }))
}

fn same(a: &Value, b: &Value) -> Result<bool> {
    Ok(match (a.is_null(), b.is_null()) {
        (true, true) => true,
        (false, false) => a.compare(b)? == Some(Ordering::Equal),
        _ => false,
    })
}

/// `array_append`, `array_prepend`, `array_cat` (NULL arrays count as empty).
pub fn combine(name: &str, args: &[Value], elem: &DataType) -> Result<Value> {
    let list = |v: &Value| -> Result<Vec<Value>> {
        Ok(if v.is_null() {
            Vec::new()
        } else {
            elements(v)?.to_vec()
        })
    };
    let out = match name {
        "array_append" => {
            if args[0].is_null() && args[1].is_null() {
                vec![Value::Null]
            } else {
                let mut v = list(&args[0])?;
                v.push(args[1].clone());
                v
            }
        }
        "array_prepend" => {
            let mut v = vec![args[0].clone()];
            v.extend(list(&args[1])?);
            v
        }
        _ => {
            if args[0].is_null() && args[1].is_null() {
                return Ok(Value::Null);
            }
            let mut v = list(&args[0])?;
            v.extend(list(&args[1])?);
            v
        }
    };
    Ok(Value::Array(Array::new(elem.clone(), out)))
}

/// `array_position(a, x [, start])`: the first position at or after `start` holding `x`
/// (NULL finds a NULL element).
pub fn position(a: &Value, x: &Value, start: Option<&Value>) -> Result<Value> {
    if a.is_null() {
        return Ok(Value::Null);
    }
    let from = match start {
        Some(Value::Null) => {
            return Err(Error::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                "initial position must not be null",
            ));
        }
        Some(s) => int(s).unwrap_or(1).max(1) as usize,
        None => 1,
    };
    for (i, e) in elements(a)?.iter().enumerate().skip(from - 1) {
        if same(e, x)? {
            return Ok(Value::Int4(i as i32 + 1));
        }
    }
    Ok(Value::Null)
}

/// `array_remove(a, x)`.
pub fn remove(a: &Value, x: &Value) -> Result<Value> {
    if a.is_null() {
        return Ok(Value::Null);
    }
    let mut out = Vec::new();
    for e in elements(a)? {
        if !same(e, x)? {
            out.push(e.clone());
        }
    }
    Ok(Value::Array(Array::new(element_type(a), out)))
}

/// `array_replace(a, from, to)`: each element equal to `from` (NULL matches NULL) becomes
/// `to`.
pub fn replace(a: &Value, from: &Value, to: &Value) -> Result<Value> {
    if a.is_null() {
        return Ok(Value::Null);
    }
    let mut out = Vec::new();
    for e in elements(a)? {
        out.push(if same(e, from)? {
            to.clone()
        } else {
            e.clone()
        });
    }
    Ok(Value::Array(Array::new(element_type(a), out)))
}

/// `array_to_string(a, delimiter [, null_string])`.
pub fn to_string(args: &[Value], settings: &Settings) -> Result<Value> {
    if args[0].is_null() || args[1].is_null() {
        return Ok(Value::Null);
    }
    let delim = args[1].to_text(settings).unwrap_or_default();
    let null = args.get(2).and_then(|n| n.to_text(settings));
    let parts: Vec<String> = elements(&args[0])?
        .iter()
        .filter_map(|e| match e {
            Value::Null => null.clone(),
            e => e.to_text(settings),
        })
        .collect();
    Ok(Value::Text(parts.join(&delim)))
}

/// `string_to_array(s, delimiter [, null_string])`.
pub fn from_string(args: &[Value], settings: &Settings) -> Result<Value> {
    let Some(s) = args[0].to_text(settings) else {
        return Ok(Value::Null);
    };
    let null = args.get(2).and_then(|n| n.to_text(settings));
    let parts: Vec<String> = if s.is_empty() {
        Vec::new()
    } else {
        match args[1].to_text(settings) {
            None => s.chars().map(String::from).collect(),
            Some(d) if d.is_empty() => vec![s],
            Some(d) => s.split(d.as_str()).map(String::from).collect(),
        }
    };
    Ok(Value::Array(Array::new(
        DataType::Text,
        parts
            .into_iter()
            .map(|p| {
                if null.as_deref() == Some(p.as_str()) {
                    Value::Null
                } else {
                    Value::Text(p)
                }
            })
            .collect(),
    )))
}

/// `a @> b`: every element of `b` is in `a` (NULL elements match nothing).
pub fn contains(a: &Value, b: &Value) -> Result<Value> {
    let (xs, ys) = (elements(a)?, elements(b)?);
    for y in ys {
        let mut found = false;
        for x in xs {
            if !x.is_null() && !y.is_null() && x.compare(y)? == Some(Ordering::Equal) {
                found = true;
                break;
            }
        }
        if !found {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// `a && b`: some element in common.
pub fn overlaps(a: &Value, b: &Value) -> Result<Value> {
    for x in elements(a)? {
        for y in elements(b)? {
            if !x.is_null() && !y.is_null() && x.compare(y)? == Some(Ordering::Equal) {
                return Ok(Value::Bool(true));
            }
        }
    }
    Ok(Value::Bool(false))
}

/// Rows of `unnest(a1, a2, ...)`: one column per array, as long as the longest, padded
/// with NULLs.
pub fn unnest_rows(arrays: &[Value]) -> Result<Vec<Vec<Value>>> {
    let lists: Vec<&[Value]> = arrays
        .iter()
        .map(|a| {
            if a.is_null() {
                Ok(&[][..])
            } else {
                elements(a)
            }
        })
        .collect::<Result<_>>()?;
    let n = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    Ok((0..n)
        .map(|i| {
            lists
                .iter()
                .map(|l| l.get(i).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: &[i32]) -> Value {
        Value::Array(Array::new(
            DataType::Int4,
            v.iter().map(|x| Value::Int4(*x)).collect(),
        ))
    }

    #[test]
    fn arrays_as_postgres() {
        let a = arr(&[1, 2, 3]);
        assert_eq!(subscript(&a, &Value::Int4(2)).unwrap(), Value::Int4(2));
        assert_eq!(subscript(&a, &Value::Int4(4)).unwrap(), Value::Null);
        assert_eq!(
            slice(&a, &Value::Int4(2), &Value::Int8(i64::MAX)).unwrap(),
            arr(&[2, 3])
        );
        assert_eq!(
            quantified(BinaryOp::Eq, false, &Value::Int4(2), &a).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            quantified(BinaryOp::Lt, true, &Value::Int4(2), &a).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(contains(&a, &arr(&[3, 1])).unwrap(), Value::Bool(true));
        assert_eq!(overlaps(&a, &arr(&[5])).unwrap(), Value::Bool(false));
        assert_eq!(position(&a, &Value::Int4(3), None).unwrap(), Value::Int4(3));
    }
}
