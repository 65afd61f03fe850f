//! JSON operators and functions over `json` and `jsonb` values: field and path access
//! (`->`, `->>`, `#>`, `#>>`), containment and key tests (`@>`, `<@`, `?`, `?|`, `?&`),
//! `jsonb` concatenation and deletion (`||`, `-`), builders (`json[b]_build_object`,
//! `json[b]_build_array`, `to_json[b]`) and the usual inspection functions.
//!
//! Values are parsed into [`Json`] trees for each call. A `jsonb` result is normalized as
//! `jsonb_in` would; a `json` result is printed compactly (`json` values keep the text as
//! written, which a parsed tree cannot, so a `->` on `json` prints without the input's
//! blanks).

use std::cmp::Ordering;

use crate::error::{Error, Result, SqlState};
use crate::types::json::{self as j, Json};
use crate::types::{DataType, Numeric, Settings, Value, datetime as dt};

/// The tree of a `json` or `jsonb` value.
pub fn tree(v: &Value) -> Result<Json> {
    match v {
        Value::Json(s) | Value::Jsonb(s) => j::parse(s, "json"),
        Value::Text(s) => j::parse(s, "json"),
        _ => Err(Error::internal("not a json value")),
    }
}

/// A tree as a value of the type of `like` (`json` or `jsonb`).
pub fn value_like(like: &Value, t: Json) -> Value {
    if matches!(like, Value::Json(_)) {
        Value::Json(compact(&t))
    } else {
        Value::Jsonb(t.normalize().to_text())
    }
}

/// `json` text without blanks.
fn compact(t: &Json) -> String {
    let mut out = String::new();
    write_json(&mut out, t, ",", ":");
    out
}

fn write_json(out: &mut String, t: &Json, comma: &str, colon: &str) {
    match t {
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                write_json(out, item, comma, colon);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                j::write_string(out, k);
                out.push_str(colon);
                write_json(out, v, comma, colon);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_text()),
    }
}

/// The text `->>` gives for a tree: strings unquoted, `null` as SQL NULL.
fn as_text(t: &Json, json_type: bool) -> Value {
    match t {
        Json::Null => Value::Null,
        Json::String(s) => Value::Text(s.clone()),
        other if json_type => Value::Text(compact(other)),
        other => Value::Text(other.clone().normalize().to_text()),
    }
}

/// One step of a path: a key of an object or (for an integer-looking step) an element of
/// an array, negative from the end.
fn step<'a>(t: &'a Json, key: &Value) -> Option<&'a Json> {
    match (t, key) {
        (Json::Object(m), Value::Text(k)) => {
            m.iter().rev().find(|(name, _)| name == k).map(|(_, v)| v)
        }
        (Json::Array(items), Value::Text(k)) => {
            let i: i64 = k.trim().parse().ok()?;
            index(items, i)
        }
        (Json::Array(items), Value::Int2(_) | Value::Int4(_) | Value::Int8(_)) => {
            let i = match key {
                Value::Int2(x) => *x as i64,
                Value::Int4(x) => *x as i64,
                Value::Int8(x) => *x,
                _ => return None,
            };
            index(items, i)
        }
        _ => None,
    }
}

fn index(items: &[Json], i: i64) -> Option<&Json> {
    let len = items.len() as i64;
    let i = if i < 0 { len + i } else { i };
    if (0..len).contains(&i) {
        items.get(i as usize)
    } else {
        None
    }
}

fn path_elements(v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a.elements.clone()),
        _ => Err(Error::internal("json path is not an array")),
    }
}

/// `j -> key`, `j ->> key`, `j #> path`, `j #>> path`.
pub fn access(op: &str, j: &Value, key: &Value) -> Result<Value> {
    if let Value::Json(text) = j {
        return access_raw(op, text, key);
    }
    let t = tree(j)?;
    let json_type = matches!(j, Value::Json(_));
    let scalar = !matches!(t, Json::Array(_) | Json::Object(_));
    let found = match op {
        // A jsonb scalar is a one-element array to PostgreSQL's -> with 0 or -1.
        "->" | "->>" if scalar && matches!(super::array::int(key), Some(0 | -1)) => Some(t.clone()),
        "->" | "->>" => step(&t, key).cloned(),
        _ => {
            let mut cur = Some(&t);
            for k in path_elements(key)? {
                if k.is_null() {
                    cur = None;
                    break;
                }
                cur = cur.and_then(|c| step(c, &k));
            }
            cur.cloned()
        }
    };
    Ok(match (found, op) {
        (None, _) => Value::Null,
        (Some(f), "->>" | "#>>") => as_text(&f, json_type),
        (Some(f), _) => value_like(j, f),
    })
}

// ---- `json` as written: the text of a member or element, found without reparsing it.

/// The end (byte offset) of the JSON value starting at `start` of a validated document.
fn value_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    match b.get(i) {
        Some(b'"') => {
            i += 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            b.len()
        }
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while i < b.len() {
                match b[i] {
                    b'"' => {
                        i = value_end(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        _ => {
            while i < b.len() && !matches!(b[i], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
            {
                i += 1;
            }
            i
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// A member of an object (its key and text) or an element of an array (no key), as
/// written.
type RawChild<'a> = (Option<String>, &'a str);

/// The members of an object or the elements of an array; `None` for a scalar.
fn raw_children(text: &str) -> Result<Option<Vec<RawChild<'_>>>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    let object = match b.get(i) {
        Some(b'{') => true,
        Some(b'[') => false,
        _ => return Ok(None),
    };
    let close = if object { b'}' } else { b']' };
    let mut out = Vec::new();
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&close) {
        return Ok(Some(out));
    }
    while i < b.len() {
        let key = if object {
            let end = value_end(b, i);
            let key = match j::parse(&text[i..end], "json")? {
                Json::String(k) => k,
                _ => return Err(Error::internal("json object key is not a string")),
            };
            i = skip_ws(b, end);
            i = skip_ws(b, i + 1); // the colon
            Some(key)
        } else {
            None
        };
        let end = value_end(b, i);
        out.push((key, &text[i..end]));
        i = skip_ws(b, end);
        if b.get(i) != Some(&b',') {
            break;
        }
        i = skip_ws(b, i + 1);
    }
    Ok(Some(out))
}

/// One path step over `json` text: the child's text as written.
fn raw_step<'a>(text: &'a str, key: &Value) -> Result<Option<&'a str>> {
    let Some(children) = raw_children(text)? else {
        return Ok(None);
    };
    let is_object =
        children.first().is_some_and(|(k, _)| k.is_some()) || text.trim_start().starts_with('{');
    Ok(match key {
        Value::Text(k) if is_object => children
            .iter()
            .rev()
            .find(|(name, _)| name.as_deref() == Some(k.as_str()))
            .map(|(_, v)| *v),
        _ if is_object => None,
        other => {
            let i = match other {
                Value::Text(k) => match k.trim().parse::<i64>() {
                    Ok(i) => i,
                    Err(_) => return Ok(None),
                },
                v => super::array::int(v).unwrap_or(i64::MAX),
            };
            let len = children.len() as i64;
            let i = if i < 0 { len + i } else { i };
            if (0..len).contains(&i) {
                Some(children[i as usize].1)
            } else {
                None
            }
        }
    })
}

/// `->`, `->>`, `#>`, `#>>` on `json`: results keep the text as written.
fn access_raw(op: &str, text: &str, key: &Value) -> Result<Value> {
    let found = match op {
        "->" | "->>" => raw_step(text, key)?,
        _ => {
            let mut cur = Some(text);
            for k in path_elements(key)? {
                cur = match cur {
                    Some(c) if !k.is_null() => raw_step(c, &k)?,
                    _ => None,
                };
            }
            cur
        }
    };
    let Some(found) = found else {
        return Ok(Value::Null);
    };
    let found = found.trim();
    Ok(match op {
        "->>" | "#>>" => match j::parse(found, "json")? {
            Json::Null => Value::Null,
            Json::String(s) => Value::Text(s),
            _ => Value::Text(found.to_string()),
        },
        _ => Value::Json(found.to_string()),
    })
}

fn numbers_equal(a: &str, b: &str) -> bool {
    match (Numeric::parse(a), Numeric::parse(b)) {
        (Some(Ok(x)), Some(Ok(y))) => x.cmp_total(&y) == Ordering::Equal,
        _ => a == b,
    }
}

/// jsonb containment: does `a` contain `b`?
fn contains(a: &Json, b: &Json, top: bool) -> bool {
    match (a, b) {
        (Json::Object(am), Json::Object(bm)) => bm.iter().all(|(k, bv)| {
            am.iter()
                .find(|(ak, _)| ak == k)
                .is_some_and(|(_, av)| contains(av, bv, false))
        }),
        (Json::Array(ai), Json::Array(bi)) => bi.iter().all(|bv| {
            ai.iter().any(|av| match (av, bv) {
                (Json::Array(_) | Json::Object(_), _) | (_, Json::Array(_) | Json::Object(_)) => {
                    contains(av, bv, false)
                        && std::mem::discriminant(av) == std::mem::discriminant(bv)
                }
                _ => contains(av, bv, false),
            })
        }),
        // A top-level array contains a scalar it holds.
        (Json::Array(ai), scalar) if top && !matches!(scalar, Json::Object(_)) => {
            ai.iter().any(|av| contains(av, scalar, false))
        }
        (Json::Number(x), Json::Number(y)) => numbers_equal(x, y),
        (Json::String(x), Json::String(y)) => x == y,
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Null, Json::Null) => true,
        _ => false,
    }
}

/// `a @> b` (or `b <@ a` with the arguments swapped by the caller).
pub fn contains_op(a: &Value, b: &Value) -> Result<Value> {
    Ok(Value::Bool(contains(&tree(a)?, &tree(b)?, true)))
}

fn has_key(t: &Json, key: &str) -> bool {
    match t {
        Json::Object(m) => m.iter().any(|(k, _)| k == key),
        Json::Array(items) => items
            .iter()
            .any(|i| matches!(i, Json::String(s) if s == key)),
        Json::String(s) => s == key,
        _ => false,
    }
}

/// `?`, `?|`, `?&`.
pub fn exists_op(op: &str, j: &Value, key: &Value) -> Result<Value> {
    let t = tree(j)?;
    Ok(Value::Bool(match op {
        "?" => match key {
            Value::Text(k) => has_key(&t, k),
            _ => false,
        },
        _ => {
            let keys: Vec<String> = path_elements(key)?
                .into_iter()
                .filter_map(|k| match k {
                    Value::Text(s) => Some(s),
                    _ => None,
                })
                .collect();
            if op == "?|" {
                keys.iter().any(|k| has_key(&t, k))
            } else {
                keys.iter().all(|k| has_key(&t, k))
            }
        }
    }))
}

/// `jsonb || jsonb`: objects merge (right wins), arrays concatenate, a scalar or object
/// beside an array becomes one element.
pub fn concat(a: &Value, b: &Value) -> Result<Value> {
    let (x, y) = (tree(a)?, tree(b)?);
    let out = match (x, y) {
        (Json::Object(mut am), Json::Object(bm)) => {
            for (k, v) in bm {
                am.retain(|(ak, _)| *ak != k);
                am.push((k, v));
            }
            Json::Object(am)
        }
        (Json::Array(mut ai), Json::Array(bi)) => {
            ai.extend(bi);
            Json::Array(ai)
        }
        (Json::Array(mut ai), other) => {
            ai.push(other);
            Json::Array(ai)
        }
        (other, Json::Array(bi)) => {
            let mut items = vec![other];
            items.extend(bi);
            Json::Array(items)
        }
        (x, y) => Json::Array(vec![x, y]),
    };
    Ok(Value::Jsonb(out.normalize().to_text()))
}

/// `jsonb - text` (a key, or matching strings of an array), `jsonb - integer` (an array
/// element), `jsonb - text[]` (several keys).
pub fn delete(a: &Value, key: &Value) -> Result<Value> {
    let t = tree(a)?;
    let keys: Vec<String> = match key {
        Value::Text(k) => vec![k.clone()],
        Value::Array(arr) => arr
            .elements
            .iter()
            .filter_map(|k| match k {
                Value::Text(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) => {
            let i = match key {
                Value::Int2(x) => *x as i64,
                Value::Int4(x) => *x as i64,
                Value::Int8(x) => *x,
                _ => 0,
            };
            return match t {
                Json::Array(mut items) => {
                    let len = items.len() as i64;
                    let i = if i < 0 { len + i } else { i };
                    if (0..len).contains(&i) {
                        items.remove(i as usize);
                    }
                    Ok(Value::Jsonb(Json::Array(items).to_text()))
                }
                Json::Object(_) => Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "cannot delete from object using integer index",
                )),
                _ => Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "cannot delete from scalar",
                )),
            };
        }
        _ => return Err(Error::internal("jsonb - of an unexpected type")),
    };
    let out = match t {
        Json::Object(mut m) => {
            m.retain(|(k, _)| !keys.contains(k));
            Json::Object(m)
        }
        Json::Array(mut items) => {
            items.retain(|i| !matches!(i, Json::String(s) if keys.contains(s)));
            Json::Array(items)
        }
        _ => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "cannot delete from scalar",
            ));
        }
    };
    Ok(Value::Jsonb(out.to_text()))
}

/// A SQL value as JSON, as `to_json` converts it.
pub fn from_value(v: &Value, settings: &Settings) -> Result<Json> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int2(_) | Value::Int4(_) | Value::Int8(_) | Value::Numeric(_) => {
            let s = v.to_text(settings).unwrap_or_default();
            match s.as_str() {
                "NaN" | "Infinity" | "-Infinity" => Json::String(s),
                _ => Json::Number(s),
            }
        }
        Value::Float4(_) | Value::Float8(_) => {
            let s = v.to_text(settings).unwrap_or_default();
            if s.parse::<f64>().is_ok_and(f64::is_finite) {
                Json::Number(s)
            } else {
                Json::String(s)
            }
        }
        Value::Json(_) | Value::Jsonb(_) => tree(v)?,
        Value::Array(a) => Json::Array(
            a.elements
                .iter()
                .map(|e| from_value(e, settings))
                .collect::<Result<_>>()?,
        ),
        Value::Date(d) if !dt::date_is_infinite(*d) => Json::String(dt::format_date(*d)),
        Value::Timestamp(t) if !dt::timestamp_is_infinite(*t) => {
            Json::String(dt::format_timestamp(*t, None).replacen(' ', "T", 1))
        }
        Value::TimestampTz(t) if !dt::timestamp_is_infinite(*t) => {
            let s = dt::format_timestamp(*t, Some(&settings.timezone)).replacen(' ', "T", 1);
            // JSON wants a full offset: +00 becomes +00:00.
            let fixed = match s.rfind(['+', '-']) {
                Some(p) if s.len() - p == 3 => format!("{s}:00"),
                _ => s,
            };
            Json::String(fixed)
        }
        other => Json::String(other.to_text(settings).unwrap_or_default()),
    })
}

/// `to_json` / `to_jsonb`.
pub fn to_json(v: &Value, jsonb: bool, settings: &Settings) -> Result<Value> {
    let t = from_value(v, settings)?;
    Ok(if jsonb {
        Value::Jsonb(t.normalize().to_text())
    } else {
        Value::Json(match v {
            Value::Json(s) => s.clone(),
            _ => compact_builder(&t, ","),
        })
    })
}

/// `json` as `to_json` prints arrays: `[1,2]`.
fn compact_builder(t: &Json, comma: &str) -> String {
    let mut out = String::new();
    write_json(&mut out, t, comma, ":");
    out
}

/// `json[b]_build_object(k, v, ...)`.
pub fn build_object(args: &[Value], jsonb: bool, settings: &Settings) -> Result<Value> {
    if !args.len().is_multiple_of(2) {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "argument list must have even number of elements",
        )
        .with_hint(format!(
            "The arguments of {}_build_object() must consist of alternating keys and values.",
            if jsonb { "jsonb" } else { "json" }
        )));
    }
    let mut members = Vec::new();
    let mut text = String::from("{");
    for (i, pair) in args.chunks(2).enumerate() {
        let key = match &pair[0] {
            Value::Null => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    if jsonb {
                        format!("argument {}: key must not be null", i * 2 + 1)
                    } else {
                        format!("argument {} cannot be null", i * 2 + 1)
                    },
                ));
            }
            k => k.to_text(settings).unwrap_or_default(),
        };
        let value = from_value(&pair[1], settings)?;
        if i > 0 {
            text.push_str(", ");
        }
        j::write_string(&mut text, &key);
        text.push_str(" : ");
        text.push_str(&json_text_of(&pair[1], &value));
        members.push((key, value));
    }
    text.push('}');
    Ok(if jsonb {
        Value::Jsonb(Json::Object(members).normalize().to_text())
    } else {
        Value::Json(text)
    })
}

/// `json[b]_object_agg`'s result over its (key, value) pairs, flattened: `json` prints as
/// `{ "k" : 1, "l" : null }`, as PostgreSQL's does. A NULL key is 22023.
pub fn object_agg(pairs: &[Value], jsonb: bool, settings: &Settings) -> Result<Value> {
    if pairs.chunks(2).any(|p| p[0].is_null()) {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "field name must not be null",
        ));
    }
    if jsonb {
        return build_object(pairs, true, settings);
    }
    let mut text = String::from("{ ");
    for (i, pair) in pairs.chunks(2).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        j::write_string(&mut text, &pair[0].to_text(settings).unwrap_or_default());
        text.push_str(" : ");
        text.push_str(&json_text_of(&pair[1], &from_value(&pair[1], settings)?));
    }
    text.push_str(" }");
    Ok(Value::Json(text))
}

/// How a value prints inside a `json` builder: `json` values as written.
fn json_text_of(v: &Value, t: &Json) -> String {
    match v {
        Value::Json(s) | Value::Jsonb(s) => s.clone(),
        _ => compact_builder(t, ","),
    }
}

/// `json[b]_build_array(...)`.
pub fn build_array(args: &[Value], jsonb: bool, settings: &Settings) -> Result<Value> {
    let items: Vec<Json> = args
        .iter()
        .map(|a| from_value(a, settings))
        .collect::<Result<_>>()?;
    Ok(if jsonb {
        Value::Jsonb(Json::Array(items).normalize().to_text())
    } else {
        let parts: Vec<String> = args
            .iter()
            .zip(&items)
            .map(|(a, t)| json_text_of(a, t))
            .collect();
        Value::Json(format!("[{}]", parts.join(", ")))
    })
}

/// `json[b]_typeof`.
pub fn typeof_(v: &Value) -> Result<Value> {
    Ok(Value::Text(
        match tree(v)? {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
        .into(),
    ))
}

/// `json[b]_array_length`.
pub fn array_length(v: &Value) -> Result<Value> {
    match tree(v)? {
        Json::Array(items) => Ok(Value::Int4(items.len() as i32)),
        Json::Object(_) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot get array length of a non-array",
        )),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot get array length of a scalar",
        )),
    }
}

/// `json[b]_extract_path[_text](j, VARIADIC path)`.
pub fn extract_path(args: &[Value], as_text: bool) -> Result<Value> {
    let Some((j, path)) = args.split_first() else {
        return Err(Error::internal("extract_path without arguments"));
    };
    if j.is_null() {
        return Ok(Value::Null);
    }
    let path = Value::Array(crate::types::Array::new(DataType::Text, path.to_vec()));
    access(if as_text { "#>>" } else { "#>" }, j, &path)
}

/// `jsonb_set(target, path, new [, create_missing])`.
pub fn set(target: &Value, path: &Value, new: &Value, create: bool) -> Result<Value> {
    let mut t = tree(target)?;
    let new = tree(new)?;
    let keys = path_elements(path)?;
    if keys.iter().any(Value::is_null) {
        return Err(Error::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            "path element at position 1 is null",
        ));
    }
    // As PostgreSQL: an empty document comes back as it is unless paths may be created.
    let empty = matches!(&t, Json::Object(m) if m.is_empty())
        || matches!(&t, Json::Array(items) if items.is_empty());
    if empty && !create {
        return Ok(Value::Jsonb(t.to_text()));
    }
    if matches!(t, Json::Object(_) | Json::Array(_)) && !keys.is_empty() {
        set_at(&mut t, &keys, new, create, 1)?;
    } else if !matches!(t, Json::Object(_) | Json::Array(_)) {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot set path in scalar",
        ));
    }
    Ok(Value::Jsonb(t.normalize().to_text()))
}

fn set_at(t: &mut Json, keys: &[Value], new: Json, create: bool, level: usize) -> Result<()> {
    let Some((first, rest)) = keys.split_first() else {
        *t = new;
        return Ok(());
    };
    let key = match first {
        Value::Text(k) => k.clone(),
        _ => return Ok(()),
    };
    match t {
        Json::Object(m) => match m.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => set_at(v, rest, new, create, level + 1)?,
            None if rest.is_empty() && create => m.push((key, new)),
            None => {}
        },
        Json::Array(items) => {
            let Ok(i) = key.trim().parse::<i64>() else {
                return Err(Error::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    format!("path element at position {level} is not an integer: \"{key}\""),
                ));
            };
            let len = items.len() as i64;
            let idx = if i < 0 { len + i } else { i };
            if (0..len).contains(&idx) {
                set_at(&mut items[idx as usize], rest, new, create, level + 1)?;
            } else if rest.is_empty() && create {
                if idx < 0 {
                    items.insert(0, new);
                } else {
                    items.push(new);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn strip_nulls(t: Json) -> Json {
    match t {
        Json::Object(m) => Json::Object(
            m.into_iter()
                .filter(|(_, v)| !matches!(v, Json::Null))
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// `json[b]_strip_nulls`.
pub fn strip_nulls_value(v: &Value) -> Result<Value> {
    Ok(value_like(v, strip_nulls(tree(v)?)))
}

/// `jsonb_pretty`: four-space indentation, as PostgreSQL prints it.
pub fn pretty(v: &Value) -> Result<Value> {
    fn go(out: &mut String, t: &Json, depth: usize) {
        let pad = "    ".repeat(depth + 1);
        let end = "    ".repeat(depth);
        match t {
            Json::Array(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                    }
                    out.push_str(&pad);
                    go(out, item, depth + 1);
                }
                if !items.is_empty() {
                    out.push('\n');
                }
                out.push_str(&end);
                out.push(']');
            }
            Json::Object(m) => {
                out.push_str("{\n");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",\n");
                    }
                    out.push_str(&pad);
                    j::write_string(out, k);
                    out.push_str(": ");
                    go(out, v, depth + 1);
                }
                if !m.is_empty() {
                    out.push('\n');
                }
                out.push_str(&end);
                out.push('}');
            }
            other => out.push_str(&other.to_text()),
        }
    }
    let mut out = String::new();
    go(&mut out, &tree(v)?.normalize(), 0);
    Ok(Value::Text(out))
}

/// Rows of the JSON set-returning functions: `json[b]_array_elements[_text]`,
/// `json[b]_object_keys`, `json[b]_each[_text]`.
pub fn rows(name: &str, v: &Value) -> Result<Vec<Vec<Value>>> {
    if let Value::Json(text) = v
        && !name.contains("object_keys")
        && let Some(children) = raw_children(text)?
    {
        let is_object = text.trim_start().starts_with('{');
        let each = name.contains("_each");
        if is_object == each {
            let as_text = name.ends_with("_text");
            return children
                .into_iter()
                .map(|(k, raw)| {
                    let value = if as_text {
                        match j::parse(raw, "json")? {
                            Json::Null => Value::Null,
                            Json::String(s) => Value::Text(s),
                            _ => Value::Text(raw.to_string()),
                        }
                    } else {
                        Value::Json(raw.to_string())
                    };
                    Ok(match k {
                        Some(k) if each => vec![Value::Text(k), value],
                        _ => vec![value],
                    })
                })
                .collect();
        }
    }
    let t = tree(v)?;
    let text = name.ends_with("_text");
    let elem = |x: Json| {
        if text {
            as_text(&x, matches!(v, Value::Json(_)))
        } else {
            value_like(v, x)
        }
    };
    let base = name
        .trim_start_matches("jsonb_")
        .trim_start_matches("json_");
    match (base.trim_end_matches("_text"), t) {
        ("array_elements", Json::Array(items)) => {
            Ok(items.into_iter().map(|x| vec![elem(x)]).collect())
        }
        ("array_elements", Json::Object(_)) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot extract elements from an object",
        )),
        ("array_elements", _) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "cannot extract elements from a scalar",
        )),
        ("object_keys", Json::Object(m)) => {
            let m = if matches!(v, Value::Jsonb(_)) {
                match Json::Object(m).normalize() {
                    Json::Object(m) => m,
                    _ => Vec::new(),
                }
            } else {
                m
            };
            Ok(m.into_iter().map(|(k, _)| vec![Value::Text(k)]).collect())
        }
        ("each", Json::Object(m)) => {
            let m = if matches!(v, Value::Jsonb(_)) {
                match Json::Object(m).normalize() {
                    Json::Object(m) => m,
                    _ => Vec::new(),
                }
            } else {
                m
            };
            Ok(m.into_iter()
                .map(|(k, x)| vec![Value::Text(k), elem(x)])
                .collect())
        }
        (_, Json::Array(_)) => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot call {name} on an array"),
        )),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("cannot call {name} on a scalar"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jb(s: &str) -> Value {
        Value::Jsonb(j::jsonb_in(s).unwrap())
    }

    #[test]
    fn operators_as_postgres() {
        let doc = jb(r#"{"a": {"b": [1, 2, {"c": "x"}]}, "d": null}"#);
        assert_eq!(
            access("->", &doc, &Value::Text("a".into())).unwrap(),
            jb(r#"{"b": [1, 2, {"c": "x"}]}"#)
        );
        let path = Value::Array(crate::types::Array::new(
            DataType::Text,
            vec![
                Value::Text("a".into()),
                Value::Text("b".into()),
                Value::Text("2".into()),
                Value::Text("c".into()),
            ],
        ));
        assert_eq!(access("#>>", &doc, &path).unwrap(), Value::Text("x".into()));
        assert_eq!(
            access("->>", &doc, &Value::Text("d".into())).unwrap(),
            Value::Null
        );
        assert_eq!(
            contains_op(&doc, &jb(r#"{"a": {"b": [2]}}"#)).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            contains_op(&doc, &jb(r#"{"a": {"b": [3]}}"#)).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            concat(&jb(r#"{"a": 1}"#), &jb(r#"{"a": 2, "b": 3}"#)).unwrap(),
            jb(r#"{"a": 2, "b": 3}"#)
        );
        assert_eq!(
            delete(&jb("[1, 2, 3]"), &Value::Int4(-1)).unwrap(),
            jb("[1, 2]")
        );
    }
}
