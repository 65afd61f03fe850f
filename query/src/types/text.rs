//! PostgreSQL's text input and output functions, and the session settings they read.

use super::datatype::DataType;
use super::datetime::{self, DateOrder, InputContext, Interval, IntervalStyle, TimeZone};
use super::float;
use super::json;
use super::numeric::Numeric;
use super::value::{Array, Value};
use crate::error::{Error, Result, SqlState};

/// The `DateStyle` setting. Output is always ISO (every driver requires it); the order
/// decides how ambiguous input such as `01/02/2024` is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DateStyle {
    /// Field order of ambiguous dates.
    pub order: DateOrder,
}

impl DateStyle {
    /// Parses a `SET DateStyle` value such as `ISO, MDY`, `ISO`, `DMY`, `European`.
    /// Output styles other than ISO answer 0A000.
    pub fn parse(setting: &str, current: DateStyle) -> Result<DateStyle> {
        let mut style = current;
        for word in setting
            .split([',', ' '])
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            match word.to_ascii_lowercase().as_str() {
                "iso" | "default" => {}
                "mdy" | "us" | "noneuropean" => style.order = DateOrder::Mdy,
                "dmy" | "european" => style.order = DateOrder::Dmy,
                "ymd" => style.order = DateOrder::Ymd,
                "postgres" | "sql" | "german" => {
                    return Err(Error::unsupported(format!("DateStyle output \"{word}\"")));
                }
                _ => {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for parameter \"DateStyle\": \"{setting}\""),
                    )
                    .with_detail(format!("Unrecognized key word: \"{word}\".")));
                }
            }
        }
        Ok(style)
    }

    /// The setting as `SHOW DateStyle` prints it: `ISO, MDY`.
    pub fn name(&self) -> String {
        let order = match self.order {
            DateOrder::Mdy => "MDY",
            DateOrder::Dmy => "DMY",
            DateOrder::Ymd => "YMD",
        };
        format!("ISO, {order}")
    }
}

impl IntervalStyle {
    /// Parses a `SET IntervalStyle` value; `sql_standard` and `postgres_verbose` answer 0A000.
    pub fn parse(setting: &str) -> Result<IntervalStyle> {
        match setting.trim().to_ascii_lowercase().as_str() {
            "postgres" => Ok(IntervalStyle::Postgres),
            "iso_8601" => Ok(IntervalStyle::Iso8601),
            "sql_standard" | "postgres_verbose" => {
                Err(Error::unsupported(format!("IntervalStyle \"{setting}\"")))
            }
            _ => Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"IntervalStyle\": \"{setting}\""),
            )),
        }
    }

    /// The setting as `SHOW IntervalStyle` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            IntervalStyle::Postgres => "postgres",
            IntervalStyle::Iso8601 => "iso_8601",
        }
    }
}

/// The session settings that change how values are read and printed.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `TimeZone` (default `UTC`): `timestamptz` output and zone-less input.
    pub timezone: TimeZone,
    /// `DateStyle` (default `ISO, MDY`).
    pub datestyle: DateStyle,
    /// `extra_float_digits` (default 1: shortest exact output; 0 or less: `%.15g` style).
    pub extra_float_digits: i32,
    /// `IntervalStyle` (default `postgres`).
    pub interval_style: IntervalStyle,
    /// What `now`, `today` and friends mean in input (µs since 2000-01-01 UTC), normally
    /// the transaction's start; `None` reads the system clock.
    pub now: Option<i64>,
    /// When the current statement started (µs since 2000-01-01 UTC), for
    /// `statement_timestamp()`; `None`: the same as `now`.
    pub statement_now: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: TimeZone::default(),
            datestyle: DateStyle::default(),
            extra_float_digits: 1,
            interval_style: IntervalStyle::default(),
            now: None,
            statement_now: None,
        }
    }
}

impl Settings {
    fn input_context(&self) -> InputContext<'_> {
        InputContext {
            order: self.datestyle.order,
            zone: &self.timezone,
            now: self.now,
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Value {
    /// PostgreSQL's text output of the value; `None` for `NULL`.
    pub fn to_text(&self, settings: &Settings) -> Option<String> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(b) => (if *b { "t" } else { "f" }).into(),
            Value::Int2(v) => v.to_string(),
            Value::Int4(v) => v.to_string(),
            Value::Int8(v) => v.to_string(),
            Value::Float4(v) => float::format_f32(*v, settings.extra_float_digits),
            Value::Float8(v) => float::format_f64(*v, settings.extra_float_digits),
            Value::Numeric(n) => n.to_string(),
            Value::Text(s) | Value::Json(s) | Value::Jsonb(s) => s.clone(),
            Value::Bytea(b) => {
                let mut out = String::with_capacity(2 + 2 * b.len());
                out.push_str("\\x");
                for byte in b {
                    out.push(HEX[(byte >> 4) as usize] as char);
                    out.push(HEX[(byte & 15) as usize] as char);
                }
                out
            }
            Value::Date(d) => datetime::format_date(*d),
            Value::Time(t) => datetime::format_time(*t),
            Value::Timestamp(t) => datetime::format_timestamp(*t, None),
            Value::TimestampTz(t) => datetime::format_timestamp(*t, Some(&settings.timezone)),
            Value::Interval(iv) => iv.format(settings.interval_style),
            Value::Uuid(u) => format_uuid(u),
            Value::Oid(v) => v.to_string(),
            Value::Reg(r) => r.name.clone(),
            Value::Array(a) => {
                let mut out = String::new();
                write_array(&mut out, a, settings);
                out
            }
            Value::Enum(e) => e.label().to_string(),
        })
    }

    /// PostgreSQL's input function of `ty` applied to `text`, with its errors (22P02 for
    /// bad syntax, 22003 out of range, 22007/22008 for dates, 22001 for a too long
    /// `varchar(n)`). `char(n)` is padded with spaces. `unknown` stays text.
    pub fn from_text(text: &str, ty: &DataType, settings: &Settings) -> Result<Value> {
        Ok(match ty {
            DataType::Bool => Value::Bool(parse_bool(text)?),
            DataType::Int2 => Value::Int2(parse_int(text, ty)? as i16),
            DataType::Int4 => Value::Int4(parse_int(text, ty)? as i32),
            DataType::Int8 => Value::Int8(parse_int(text, ty)? as i64),
            DataType::Float4 => Value::Float4(float::parse_f32(text)?),
            DataType::Float8 => Value::Float8(float::parse_f64(text)?),
            DataType::Numeric { precision, scale } => {
                let n = match Numeric::parse(text) {
                    Some(n) => n?,
                    None => {
                        return Err(invalid_syntax("numeric", text));
                    }
                };
                match precision {
                    Some(p) => Value::Numeric(n.apply_typmod(*p, scale.unwrap_or(0))?),
                    None => Value::Numeric(n),
                }
            }
            DataType::Text | DataType::Unknown => Value::Text(text.to_string()),
            DataType::Varchar(_) | DataType::Char(_) => {
                Value::Text(fit_string(text.to_string(), ty, false)?)
            }
            DataType::Bytea => Value::Bytea(parse_bytea(text)?),
            DataType::Date => Value::Date(datetime::parse_date(text, &settings.input_context())?),
            DataType::Time => Value::Time(datetime::parse_time(text, &settings.input_context())?),
            DataType::Timestamp => Value::Timestamp(datetime::parse_timestamp(
                text,
                false,
                &settings.input_context(),
            )?),
            DataType::TimestampTz => Value::TimestampTz(datetime::parse_timestamp(
                text,
                true,
                &settings.input_context(),
            )?),
            DataType::Interval => Value::Interval(Interval::parse(text)?),
            DataType::Uuid => Value::Uuid(parse_uuid(text)?),
            DataType::Json => Value::Json(json::json_in(text)?),
            DataType::Jsonb => Value::Jsonb(json::jsonb_in(text)?),
            DataType::Array(elem) => Value::Array(parse_array(text, elem, settings)?),
            DataType::Enum(e) => Value::Enum(e.parse(text)?),
            DataType::Name => Value::Text(text.to_string()),
            DataType::SingleChar => Value::Text(fit_string(text.to_string(), ty, true)?),
            DataType::Oid => Value::Oid(parse_oid(text)?),
            // Names need the catalog: the binder routes casts from text through a system
            // function; a number reads as itself.
            DataType::Reg(kind) => {
                let oid = parse_oid(text)?;
                Value::Reg(Box::new(super::value::RegValue {
                    kind: *kind,
                    oid,
                    name: oid.to_string(),
                }))
            }
        })
    }
}

/// 22P02 `invalid input syntax for type X: "text"`.
pub fn invalid_syntax(type_name: &str, text: &str) -> Error {
    Error::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}: \"{text}\""),
    )
}

/// `boolin`: `t`/`true`/`yes`/`on`/`1` and their unique prefixes, any case, trimmed.
pub fn parse_bool(text: &str) -> Result<bool> {
    let s = text
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| s.len() >= min && word.starts_with(s.as_str());
    if prefix_of("true", 1) || prefix_of("yes", 1) || prefix_of("on", 2) || s == "1" {
        Ok(true)
    } else if prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || s == "0" {
        Ok(false)
    } else {
        Err(invalid_syntax("boolean", text))
    }
}

/// `int2in`/`int4in`/`int8in`: optional sign and decimal digits, surrounding whitespace.
fn parse_int(text: &str, ty: &DataType) -> Result<i128> {
    let name = ty.name();
    let s = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_syntax(&name, text));
    }
    let (min, max) = match ty {
        DataType::Int2 => (i16::MIN as i128, i16::MAX as i128),
        DataType::Int4 => (i32::MIN as i128, i32::MAX as i128),
        _ => (i64::MIN as i128, i64::MAX as i128),
    };
    let v = if digits.trim_start_matches('0').len() > 20 {
        None
    } else {
        s.parse::<i128>().ok()
    };
    match v {
        Some(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{text}\" is out of range for type {name}"),
        )),
    }
}

/// `oidin`: a number in `-2147483648..=4294967295`, negative ones wrapping around as in
/// PostgreSQL.
pub fn parse_oid(text: &str) -> Result<u32> {
    let v = parse_int(text, &DataType::Int8).map_err(|_| invalid_syntax("oid", text))?;
    if !(i32::MIN as i128..=u32::MAX as i128).contains(&v) {
        return Err(Error::new(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("value \"{text}\" is out of range for type oid"),
        ));
    }
    Ok(v as i64 as u32)
}

/// Applies a string type's length: `varchar(n)` and `char(n)` refuse longer strings
/// (22001) unless the excess is spaces, or truncate when `truncate` (an explicit cast);
/// `char(n)` pads to `n` with spaces.
pub fn fit_string(mut s: String, ty: &DataType, truncate: bool) -> Result<String> {
    let limit = match ty {
        DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => *n as usize,
        // `"char"` keeps the first byte of any string.
        DataType::SingleChar => {
            let cut = s.char_indices().nth(1).map_or(s.len(), |(i, _)| i);
            s.truncate(cut);
            return Ok(s);
        }
        _ => return Ok(s),
    };
    let len = s.chars().count();
    if len > limit {
        let cut = s.char_indices().nth(limit).map_or(s.len(), |(i, _)| i);
        if !truncate && !s[cut..].bytes().all(|b| b == b' ') {
            return Err(Error::new(
                SqlState::STRING_DATA_RIGHT_TRUNCATION,
                format!("value too long for type {}", ty.name()),
            ));
        }
        s.truncate(cut);
    } else if matches!(ty, DataType::Char(_)) {
        s.extend(std::iter::repeat_n(' ', limit - len));
    }
    Ok(s)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `byteain`: `\x` hex format (whitespace between byte pairs allowed) or the escape
/// format (`\\` and `\ooo` octal escapes).
pub fn parse_bytea(text: &str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    if let Some(hex) = text.strip_prefix("\\x") {
        let mut out = Vec::with_capacity(hex.len() / 2);
        let mut iter = hex.char_indices().peekable();
        while let Some((_, c)) = iter.next() {
            if c.is_ascii_whitespace() {
                continue;
            }
            let hi = hex_value(c as u8).filter(|_| c.is_ascii()).ok_or_else(|| {
                Error::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    format!("invalid hexadecimal digit: \"{c}\""),
                )
            })?;
            let Some((_, c2)) = iter.next() else {
                return Err(Error::new(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    "invalid hexadecimal data: odd number of digits",
                ));
            };
            let lo = hex_value(c2 as u8)
                .filter(|_| c2.is_ascii())
                .ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_TEXT_REPRESENTATION,
                        format!("invalid hexadecimal digit: \"{c2}\""),
                    )
                })?;
            out.push(hi << 4 | lo);
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if let Some(oct) = bytes.get(i + 1..i + 4).filter(|o| {
            (b'0'..=b'3').contains(&o[0]) && o[1..].iter().all(|b| (b'0'..=b'7').contains(b))
        }) {
            out.push((oct[0] - b'0') * 64 + (oct[1] - b'0') * 8 + (oct[2] - b'0'));
            i += 4;
        } else {
            return Err(Error::new(
                SqlState::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type bytea",
            ));
        }
    }
    Ok(out)
}

/// `uuid_in`: 32 hex digits, optionally in braces, with an optional hyphen after any
/// group of four digits.
pub fn parse_uuid(text: &str) -> Result<[u8; 16]> {
    let bad = || invalid_syntax("uuid", text);
    let s = match text.strip_prefix('{') {
        Some(inner) => inner.strip_suffix('}').ok_or_else(bad)?,
        None => text,
    };
    let mut out = [0u8; 16];
    let mut n = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'-' {
            if n == 0 || !n.is_multiple_of(4) || n == 32 || bytes.get(i + 1) == Some(&b'-') {
                return Err(bad());
            }
            i += 1;
            continue;
        }
        let v = hex_value(bytes[i]).ok_or_else(bad)?;
        if n >= 32 {
            return Err(bad());
        }
        out[n / 2] |= if n.is_multiple_of(2) { v << 4 } else { v };
        n += 1;
        i += 1;
    }
    if n != 32 || bytes.last() == Some(&b'-') {
        return Err(bad());
    }
    Ok(out)
}

/// `uuid_out`: lower-case `8-4-4-4-12`.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, byte) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 15) as usize] as char);
    }
    out
}

fn write_array(out: &mut String, a: &Array, settings: &Settings) {
    out.push('{');
    for (i, e) in a.elements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match e {
            Value::Null => out.push_str("NULL"),
            Value::Array(inner) => write_array(out, inner, settings),
            other => {
                let text = other.to_text(settings).unwrap_or_default();
                let quote = text.is_empty()
                    || text.eq_ignore_ascii_case("null")
                    || text
                        .bytes()
                        .any(|b| b"{},\"\\".contains(&b) || b.is_ascii_whitespace());
                if quote {
                    out.push('"');
                    for c in text.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                } else {
                    out.push_str(&text);
                }
            }
        }
    }
    out.push('}');
}

/// An element of an array literal before conversion to the element type.
enum RawElement {
    Null,
    Text(String),
    Nested(Vec<RawElement>),
}

struct ArrayReader<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    depth: usize,
}

impl ArrayReader<'_> {
    fn malformed(&self, detail: &str) -> Error {
        Error::new(
            SqlState::INVALID_TEXT_REPRESENTATION,
            format!("malformed array literal: \"{}\"", self.text),
        )
        .with_detail(detail.to_string())
    }

    fn skip_ws(&mut self) {
        while self
            .chars
            .peek()
            .is_some_and(|(_, c)| c.is_ascii_whitespace())
        {
            self.chars.next();
        }
    }

    /// Reads `{...}` after its opening brace.
    fn list(&mut self) -> Result<Vec<RawElement>> {
        self.depth += 1;
        if self.depth > 6 {
            return Err(Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "number of array dimensions (7) exceeds the maximum allowed (6)",
            ));
        }
        let mut items = Vec::new();
        self.skip_ws();
        if self.chars.peek().is_some_and(|(_, c)| *c == '}') {
            self.chars.next();
            self.depth -= 1;
            return Ok(items);
        }
        loop {
            self.skip_ws();
            let item = match self.chars.peek().map(|(_, c)| *c) {
                Some('{') => {
                    self.chars.next();
                    RawElement::Nested(self.list()?)
                }
                Some('"') => {
                    self.chars.next();
                    let mut s = String::new();
                    loop {
                        match self.chars.next() {
                            Some((_, '"')) => break,
                            Some((_, '\\')) => match self.chars.next() {
                                Some((_, c)) => s.push(c),
                                None => return Err(self.malformed("Unexpected end of input.")),
                            },
                            Some((_, c)) => s.push(c),
                            None => return Err(self.malformed("Unexpected end of input.")),
                        }
                    }
                    RawElement::Text(s)
                }
                Some(_) => {
                    let mut s = String::new();
                    let mut escaped = false;
                    while let Some(&(_, c)) = self.chars.peek() {
                        if c == ',' || c == '}' {
                            break;
                        }
                        if c == '{' || c == '"' {
                            return Err(self.malformed("Unexpected array element."));
                        }
                        self.chars.next();
                        if c == '\\' {
                            match self.chars.next() {
                                Some((_, e)) => s.push(e),
                                None => return Err(self.malformed("Unexpected end of input.")),
                            }
                            escaped = true;
                        } else {
                            s.push(c);
                        }
                    }
                    let trimmed = s.trim_end_matches(|c: char| c.is_ascii_whitespace());
                    if trimmed.is_empty() {
                        return Err(self.malformed("Unexpected \",\" character."));
                    }
                    if !escaped && trimmed.eq_ignore_ascii_case("null") {
                        RawElement::Null
                    } else {
                        RawElement::Text(trimmed.to_string())
                    }
                }
                None => return Err(self.malformed("Unexpected end of input.")),
            };
            items.push(item);
            self.skip_ws();
            match self.chars.next() {
                Some((_, ',')) => {}
                Some((_, '}')) => {
                    self.depth -= 1;
                    return Ok(items);
                }
                Some(_) => return Err(self.malformed("Unexpected array element.")),
                None => return Err(self.malformed("Unexpected end of input.")),
            }
        }
    }
}

/// The shape of nested raw elements: `Some(dims)` when rectangular.
fn shape(items: &[RawElement]) -> Option<Vec<usize>> {
    let nested: Vec<&Vec<RawElement>> = items
        .iter()
        .filter_map(|i| match i {
            RawElement::Nested(v) => Some(v),
            _ => None,
        })
        .collect();
    if nested.is_empty() {
        return Some(vec![items.len()]);
    }
    if nested.len() != items.len() {
        return None;
    }
    let first = shape(nested[0])?;
    for n in &nested[1..] {
        if shape(n)? != first {
            return None;
        }
    }
    let mut dims = vec![items.len()];
    dims.extend(first);
    Some(dims)
}

fn convert_elements(
    items: Vec<RawElement>,
    elem: &DataType,
    settings: &Settings,
) -> Result<Vec<Value>> {
    items
        .into_iter()
        .map(|item| match item {
            RawElement::Null => Ok(Value::Null),
            RawElement::Text(s) => Value::from_text(&s, elem, settings),
            RawElement::Nested(inner) => Ok(Value::Array(Array::new(
                elem.clone(),
                convert_elements(inner, elem, settings)?,
            ))),
        })
        .collect()
}

/// `array_in`: `{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`.
pub fn parse_array(text: &str, elem: &DataType, settings: &Settings) -> Result<Array> {
    let mut reader = ArrayReader {
        text,
        chars: text.char_indices().peekable(),
        depth: 0,
    };
    reader.skip_ws();
    match reader.chars.next() {
        Some((_, '{')) => {}
        Some((_, '[')) => {
            return Err(Error::unsupported("array literal with explicit bounds"));
        }
        _ => {
            return Err(
                reader.malformed("Array value must start with \"{\" or dimension information.")
            );
        }
    }
    let items = reader.list()?;
    reader.skip_ws();
    if reader.chars.next().is_some() {
        return Err(reader.malformed("Junk after closing right brace."));
    }
    if shape(&items).is_none() {
        return Err(reader
            .malformed("Multidimensional arrays must have sub-arrays with matching dimensions."));
    }
    Ok(Array::new(
        elem.clone(),
        convert_elements(items, elem, settings)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s() -> Settings {
        Settings::default()
    }

    fn round(text: &str, ty: &DataType) -> Result<String> {
        Value::from_text(text, ty, &s()).map(|v| v.to_text(&s()).unwrap_or_default())
    }

    #[test]
    fn scalar_input_and_output_match_postgres() {
        use DataType as T;
        // Checked against PostgreSQL 15.
        for (ty, input, output) in [
            (T::Int4, " 12 ", "12"),
            (T::Int4, "-2147483648", "-2147483648"),
            (T::Int2, "+7", "7"),
            (T::Int8, "9223372036854775807", "9223372036854775807"),
            (T::Bool, "yes", "t"),
            (T::Bool, " on", "t"),
            (T::Bool, "OFF", "f"),
            (T::Bool, "0", "f"),
            (T::Bool, "tr", "t"),
            (T::Float8, "0.1", "0.1"),
            (T::Float8, "1e100", "1e+100"),
            (T::Float8, "-0", "-0"),
            (T::Float8, "Infinity", "Infinity"),
            (T::Float4, "3.14", "3.14"),
            (T::NUMERIC, "1.50", "1.50"),
            (
                T::Numeric {
                    precision: Some(5),
                    scale: Some(2),
                },
                "3.14159",
                "3.14",
            ),
            (T::Bytea, "\\x0001ff", "\\x0001ff"),
            (T::Bytea, "abc\\\\\\001", "\\x6162635c01"),
            (
                T::Uuid,
                "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            ),
            (
                T::Uuid,
                "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            ),
            (
                T::Uuid,
                "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            ),
            (T::Char(Some(3)), "a", "a  "),
            (T::Varchar(Some(3)), "ab   ", "ab "),
            (T::Date, "2024-01-02", "2024-01-02"),
            (T::Time, "01:02:03.5", "01:02:03.5"),
            (
                T::Timestamp,
                "2024-01-02 03:04:05.123456",
                "2024-01-02 03:04:05.123456",
            ),
            (
                T::TimestampTz,
                "2024-01-02 03:04:05+02",
                "2024-01-02 01:04:05+00",
            ),
            (T::Interval, "1 day 2 hours", "1 day 02:00:00"),
            (T::Json, "{\"a\" : 1}", "{\"a\" : 1}"),
            (
                T::Jsonb,
                "{\"b\":1,\"a\":[1,2]}",
                "{\"a\": [1, 2], \"b\": 1}",
            ),
        ] {
            assert_eq!(round(input, &ty), Ok(output.to_string()), "{input}::{ty}");
        }
    }

    #[test]
    fn input_errors_match_postgres() {
        use DataType as T;
        for (ty, input, code, message) in [
            (
                T::Int4,
                "abc",
                "22P02",
                "invalid input syntax for type integer: \"abc\"",
            ),
            (
                T::Int4,
                "",
                "22P02",
                "invalid input syntax for type integer: \"\"",
            ),
            (
                T::Int4,
                "1.5",
                "22P02",
                "invalid input syntax for type integer: \"1.5\"",
            ),
            (
                T::Int4,
                "2147483648",
                "22003",
                "value \"2147483648\" is out of range for type integer",
            ),
            (
                T::Int2,
                "40000",
                "22003",
                "value \"40000\" is out of range for type smallint",
            ),
            (
                T::Int8,
                "99999999999999999999999",
                "22003",
                "value \"99999999999999999999999\" is out of range for type bigint",
            ),
            (
                T::Bool,
                "maybe",
                "22P02",
                "invalid input syntax for type boolean: \"maybe\"",
            ),
            (
                T::Bool,
                "o",
                "22P02",
                "invalid input syntax for type boolean: \"o\"",
            ),
            (
                T::NUMERIC,
                "1x",
                "22P02",
                "invalid input syntax for type numeric: \"1x\"",
            ),
            (
                T::Uuid,
                "xyz",
                "22P02",
                "invalid input syntax for type uuid: \"xyz\"",
            ),
            (
                T::Varchar(Some(3)),
                "abcd",
                "22001",
                "value too long for type character varying(3)",
            ),
            (
                T::Char(Some(2)),
                "abc",
                "22001",
                "value too long for type character(2)",
            ),
            (
                T::Bytea,
                "\\xzz",
                "22P02",
                "invalid hexadecimal digit: \"z\"",
            ),
            (
                T::Bytea,
                "\\x123",
                "22P02",
                "invalid hexadecimal data: odd number of digits",
            ),
            (
                T::Bytea,
                "\\q",
                "22P02",
                "invalid input syntax for type bytea",
            ),
            (
                T::Array(Box::new(T::Int4)),
                "1,2",
                "22P02",
                "malformed array literal: \"1,2\"",
            ),
            (
                T::Array(Box::new(T::Int4)),
                "{{1},{2,3}}",
                "22P02",
                "malformed array literal: \"{{1},{2,3}}\"",
            ),
            (
                T::Array(Box::new(T::Int4)),
                "{1,x}",
                "22P02",
                "invalid input syntax for type integer: \"x\"",
            ),
        ] {
            let e = Value::from_text(input, &ty, &s()).unwrap_err();
            assert_eq!(
                (e.sqlstate().code(), e.to_string().as_str()),
                (code, message),
                "{input}::{ty}"
            );
        }
    }

    #[test]
    fn arrays_quote_like_postgres() {
        let text_array = DataType::Array(Box::new(DataType::Text));
        for (input, output) in [
            ("{a,b}", "{a,b}"),
            (
                "{\"a b\",\"c\\\"d\",\"\",NULL,\"NULL\"}",
                "{\"a b\",\"c\\\"d\",\"\",NULL,\"NULL\"}",
            ),
            ("{ x , y }", "{x,y}"),
            ("{}", "{}"),
            ("{{a,b},{c,d}}", "{{a,b},{c,d}}"),
            ("{\"{}\"}", "{\"{}\"}"),
        ] {
            assert_eq!(round(input, &text_array), Ok(output.to_string()), "{input}");
        }
        let ints = DataType::Array(Box::new(DataType::Int4));
        assert_eq!(round("{1, 2 ,NULL}", &ints), Ok("{1,2,NULL}".into()));
    }

    #[test]
    fn settings_parse() {
        let d = DateStyle::parse("ISO, DMY", DateStyle::default()).unwrap();
        assert_eq!(d.name(), "ISO, DMY");
        assert_eq!(
            DateStyle::parse("SQL", d).unwrap_err().sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        let settings = Settings {
            datestyle: d,
            ..Settings::default()
        };
        let v = Value::from_text("01/02/2024", &DataType::Date, &settings).unwrap();
        assert_eq!(v.to_text(&settings), Some("2024-02-01".into()));
        assert_eq!(IntervalStyle::parse("ISO_8601"), Ok(IntervalStyle::Iso8601));
    }

    fn any_value() -> impl Strategy<Value = (Value, DataType)> {
        prop_oneof![
            any::<bool>().prop_map(|v| (Value::Bool(v), DataType::Bool)),
            any::<i16>().prop_map(|v| (Value::Int2(v), DataType::Int2)),
            any::<i32>().prop_map(|v| (Value::Int4(v), DataType::Int4)),
            any::<i64>().prop_map(|v| (Value::Int8(v), DataType::Int8)),
            any::<f32>()
                .prop_filter("NaN", |v| !v.is_nan())
                .prop_map(|v| (Value::Float4(v), DataType::Float4)),
            any::<f64>()
                .prop_filter("NaN", |v| !v.is_nan())
                .prop_map(|v| (Value::Float8(v), DataType::Float8)),
            (any::<i64>(), 0u32..10).prop_map(|(v, s)| (
                Value::Numeric(Numeric::new(num_bigint::BigInt::from(v), s)),
                DataType::NUMERIC
            )),
            ".*".prop_map(|v| (Value::Text(v), DataType::Text)),
            prop::collection::vec(any::<u8>(), 0..20)
                .prop_map(|v| (Value::Bytea(v), DataType::Bytea)),
            (-2_451_545i32..2_145_031_948).prop_map(|v| (Value::Date(v), DataType::Date)),
            (0i64..=datetime::USECS_PER_DAY).prop_map(|v| (Value::Time(v), DataType::Time)),
            (-211_813_488_000_000_000i64..9_223_371_331_200_000_000)
                .prop_map(|v| (Value::Timestamp(v), DataType::Timestamp)),
            (-211_813_488_000_000_000i64..9_223_371_331_200_000_000)
                .prop_map(|v| (Value::TimestampTz(v), DataType::TimestampTz)),
            (any::<i32>(), any::<i32>(), any::<i64>()).prop_map(|(m, d, u)| (
                Value::Interval(Interval::new(m, d, u)),
                DataType::Interval
            )),
            any::<[u8; 16]>().prop_map(|v| (Value::Uuid(v), DataType::Uuid)),
            prop::collection::vec(prop_oneof![Just(None), any::<Option<String>>()], 0..5).prop_map(
                |v| (
                    Value::Array(Array::new(
                        DataType::Text,
                        v.into_iter()
                            .map(|e| e.map_or(Value::Null, Value::Text))
                            .collect()
                    )),
                    DataType::Array(Box::new(DataType::Text))
                )
            ),
        ]
    }

    proptest! {
        #[test]
        fn text_output_reads_back((value, ty) in any_value()) {
            for settings in [
                s(),
                Settings { timezone: TimeZone::parse("America/New_York").unwrap(), interval_style: IntervalStyle::Iso8601, ..s() },
                Settings { timezone: TimeZone::parse("-03:30").unwrap(), ..s() },
            ] {
                let text = value.to_text(&settings).unwrap();
                let back = Value::from_text(&text, &ty, &settings);
                prop_assert_eq!(back.as_ref(), Ok(&value), "{}", text);
            }
        }

        #[test]
        fn input_never_panics(text in ".{0,30}", kind in 0usize..20) {
            let types = [
                DataType::Bool, DataType::Int2, DataType::Int4, DataType::Int8, DataType::Float4,
                DataType::Float8, DataType::NUMERIC, DataType::Varchar(Some(3)), DataType::Char(Some(2)),
                DataType::Bytea, DataType::Date, DataType::Time, DataType::Timestamp,
                DataType::TimestampTz, DataType::Interval, DataType::Uuid, DataType::Json,
                DataType::Jsonb, DataType::Array(Box::new(DataType::Int4)),
                DataType::Array(Box::new(DataType::Date)),
            ];
            let _ = Value::from_text(&text, &types[kind], &s());
        }
    }
}
