//! String functions beyond the basics: padding, splitting, `initcap`, `overlay`,
//! `translate`, `format`, quoting, `encode`/`decode`, hashing, and regular expressions
//! (`~`, `regexp_replace`, `regexp_match`, `SIMILAR TO`) through the `regex` crate.
//!
//! PostgreSQL's regular expressions (ARE) and the `regex` crate's agree on the common
//! syntax (classes, quantifiers, groups, anchors, alternation); back-references and
//! look-around, which `regex` lacks, are errors (2201B).

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine as _;
use md5::{Digest as _, Md5};
use regex::{Regex, RegexBuilder};

use crate::error::{Error, Result, SqlState};
use crate::types::{Array, DataType, Settings, Value};

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// `lpad`/`rpad(s, n [, fill])`: to `n` characters, cutting or filling.
pub fn pad(s: &str, n: i64, fill: &str, left: bool) -> Result<Value> {
    let n = n.max(0) as usize;
    if n > 1 << 28 {
        return Err(Error::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "requested length too large",
        ));
    }
    let cs = chars(s);
    if cs.len() >= n {
        return Ok(Value::Text(cs[..n].iter().collect()));
    }
    let fill = chars(fill);
    if fill.is_empty() {
        return Ok(Value::Text(s.to_string()));
    }
    let padding: String = fill.iter().cycle().take(n - cs.len()).collect();
    Ok(Value::Text(if left {
        padding + s
    } else {
        s.to_string() + &padding
    }))
}

/// `split_part(s, delimiter, n)` (negative `n` counts from the end).
pub fn split_part(s: &str, delim: &str, n: i64) -> Result<Value> {
    if n == 0 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "field position must not be zero",
        ));
    }
    let parts: Vec<&str> = if delim.is_empty() {
        vec![s]
    } else {
        s.split(delim).collect()
    };
    let len = parts.len() as i64;
    let i = if n > 0 { n - 1 } else { len + n };
    Ok(Value::Text(if s.is_empty() || !(0..len).contains(&i) {
        String::new()
    } else {
        parts[i as usize].to_string()
    }))
}

/// `initcap`: the first letter of each alphanumeric run upper case, the rest lower. As
/// in PostgreSQL's C locale, only ASCII letters and digits make words and change case.
pub fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        out.push(if in_word {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        });
        in_word = c.is_ascii_alphanumeric();
    }
    out
}

/// `overlay(s PLACING r FROM start [FOR count])`.
pub fn overlay(s: &str, r: &str, start: i64, count: Option<i64>) -> Result<Value> {
    let cs = chars(s);
    let count = count.unwrap_or(chars(r).len() as i64);
    if start < 1 || count < 0 {
        return Err(Error::new(
            SqlState("22011"),
            "negative substring length not allowed",
        ));
    }
    let head: String = cs.iter().take(start as usize - 1).collect();
    let tail: String = cs
        .iter()
        .skip((start - 1).saturating_add(count).max(0) as usize)
        .collect();
    Ok(Value::Text(head + r + &tail))
}

/// `translate(s, from, to)`.
pub fn translate(s: &str, from: &str, to: &str) -> String {
    let (from, to) = (chars(from), chars(to));
    s.chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect()
}

/// `quote_ident`: double quotes unless the name is a plain lower-case identifier.
pub fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !is_reserved(s);
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

fn is_reserved(s: &str) -> bool {
    matches!(
        s,
        "all"
            | "and"
            | "any"
            | "array"
            | "as"
            | "asc"
            | "both"
            | "case"
            | "cast"
            | "check"
            | "column"
            | "constraint"
            | "create"
            | "default"
            | "desc"
            | "distinct"
            | "do"
            | "else"
            | "end"
            | "except"
            | "false"
            | "for"
            | "foreign"
            | "from"
            | "grant"
            | "group"
            | "having"
            | "in"
            | "intersect"
            | "into"
            | "leading"
            | "limit"
            | "not"
            | "null"
            | "offset"
            | "on"
            | "only"
            | "or"
            | "order"
            | "primary"
            | "references"
            | "select"
            | "table"
            | "then"
            | "to"
            | "trailing"
            | "true"
            | "union"
            | "unique"
            | "user"
            | "using"
            | "when"
            | "where"
            | "with"
    )
}

/// `quote_literal`: single quotes, doubled inside; `E'...'` when a backslash is present.
pub fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// `format(fmt, args...)`: `%s`, `%I`, `%L`, `%%`, with optional `n$` positions.
pub fn format(fmt: &str, args: &[Value], settings: &Settings) -> Result<Value> {
    let mut out = String::new();
    let mut it = fmt.chars().peekable();
    let mut next = 0usize;
    let bad = |m: &str| Error::new(SqlState::INVALID_PARAMETER_VALUE, m.to_string());
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if it.peek() == Some(&'%') {
            it.next();
            out.push('%');
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = it.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            it.next();
        }
        let index = if !digits.is_empty() && it.peek() == Some(&'$') {
            it.next();
            let n: usize = digits.parse().map_err(|_| bad("number is out of range"))?;
            if n == 0 {
                return Err(bad(
                    "format specifies argument 0, but arguments are numbered from 1",
                ));
            }
            n - 1
        } else if !digits.is_empty() {
            return Err(Error::unsupported("format() width"));
        } else {
            next
        };
        next = index + 1;
        let kind = it
            .next()
            .ok_or_else(|| bad("unterminated format() type specifier"))?;
        let arg = args
            .get(index)
            .ok_or_else(|| bad("too few arguments for format()"))?;
        match kind {
            's' => out.push_str(&arg.to_text(settings).unwrap_or_default()),
            'I' => match arg.to_text(settings) {
                Some(s) => out.push_str(&quote_ident(&s)),
                None => {
                    return Err(Error::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "null values cannot be formatted as an SQL identifier",
                    ));
                }
            },
            'L' => match arg.to_text(settings) {
                Some(s) => out.push_str(&quote_literal(&s)),
                None => out.push_str("NULL"),
            },
            other => {
                return Err(
                    bad(&format!("unrecognized format() type specifier \"{other}\""))
                        .with_hint("For a single \"%\" use \"%%\"."),
                );
            }
        }
    }
    Ok(Value::Text(out))
}

/// `md5(text)` as hex.
pub fn md5_hex(data: &[u8]) -> String {
    let digest = Md5::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `encode(bytes, format)`.
pub fn encode(data: &[u8], format: &str) -> Result<Value> {
    Ok(Value::Text(match format.to_lowercase().as_str() {
        "hex" => data.iter().map(|b| format!("{b:02x}")).collect(),
        "base64" => {
            let s = base64::engine::general_purpose::STANDARD.encode(data);
            // PostgreSQL breaks base64 output into lines of 76 characters.
            let lines: Vec<&str> = s
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap_or(""))
                .collect();
            lines.join("\n")
        }
        "escape" => {
            let mut out = String::new();
            for &b in data {
                match b {
                    0 => out.push_str("\\000"),
                    b'\\' => out.push_str("\\\\"),
                    b if b >= 0x80 => out.push_str(&format!("\\{b:03o}")),
                    b => out.push(b as char),
                }
            }
            out
        }
        _ => return Err(unknown_encoding(format)),
    }))
}

fn unknown_encoding(format: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("unrecognized encoding: \"{format}\""),
    )
}

/// `decode(text, format)`.
pub fn decode(s: &str, format: &str) -> Result<Value> {
    Ok(Value::Bytea(match format.to_lowercase().as_str() {
        "hex" => {
            let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            let hex = |b: u8| -> Result<u8> {
                (b as char).to_digit(16).map(|d| d as u8).ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid hexadecimal digit: \"{}\"", b as char),
                    )
                })
            };
            if !digits.len().is_multiple_of(2) {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "invalid hexadecimal data: odd number of digits",
                ));
            }
            digits
                .chunks(2)
                .map(|p| Ok(hex(p[0])? << 4 | hex(p[1])?))
                .collect::<Result<_>>()?
        }
        "base64" => {
            let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .map_err(|_| {
                    Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "invalid base64 end sequence",
                    )
                    .with_hint(
                        "Input data is missing padding, is truncated, or is otherwise corrupted.",
                    )
                })?
        }
        "escape" => {
            let b = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'\\' {
                    if b.get(i + 1) == Some(&b'\\') {
                        out.push(b'\\');
                        i += 2;
                        continue;
                    }
                    let oct = b
                        .get(i + 1..i + 4)
                        .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
                    match oct {
                        Some(d) => {
                            out.push(((d[0] - b'0') << 6) | ((d[1] - b'0') << 3) | (d[2] - b'0'));
                            i += 4;
                        }
                        None => {
                            return Err(Error::new(
                                SqlState::INVALID_TEXT_REPRESENTATION,
                                "invalid input syntax for type bytea",
                            ));
                        }
                    }
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            out
        }
        _ => return Err(unknown_encoding(format)),
    }))
}

/// `chr(n)`.
pub fn chr(n: i64) -> Result<Value> {
    if n == 0 {
        return Err(Error::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "null character not permitted",
        ));
    }
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .map(|c| Value::Text(c.to_string()))
        .ok_or_else(|| {
            Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "requested character too large for encoding",
            )
        })
}

/// `to_hex(n)`: two's complement for negatives, as PostgreSQL.
pub fn to_hex(v: &Value) -> String {
    match v {
        Value::Int4(x) => format!("{:x}", *x as u32),
        Value::Int2(x) => format!("{:x}", *x as i32 as u32),
        Value::Int8(x) => format!("{:x}", *x as u64),
        _ => String::new(),
    }
}

/// `gen_random_uuid()`: a version 4 UUID.
pub fn random_uuid() -> Value {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Value::Uuid(b)
}

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<(String, bool), Regex>> = RefCell::new(HashMap::new());
}

/// A PostgreSQL pattern in the `regex` crate's syntax: the class escapes of the C locale
/// (`\w` is `[0-9A-Za-z_]`, `\d` is `[0-9]`, `\s` ASCII blanks) and PostgreSQL's word
/// boundaries (`\m`, `\M`, `\y`, `\Y`, `\Z`).
fn translate_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('w') => out.push_str("[0-9A-Za-z_]"),
            Some('W') => out.push_str("[^0-9A-Za-z_]"),
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some('s') => out.push_str("[\\t\\n\\x0B\\x0C\\r ]"),
            Some('S') => out.push_str("[^\\t\\n\\x0B\\x0C\\r ]"),
            Some('m') => out.push_str("\\b{start}"),
            Some('M') => out.push_str("\\b{end}"),
            Some('y') => out.push_str("\\b"),
            Some('Y') => out.push_str("\\B"),
            Some('Z') => out.push_str("\\z"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A compiled regular expression (cached per thread).
pub fn regex(pattern: &str, case_insensitive: bool) -> Result<Regex> {
    let key = (pattern.to_string(), case_insensitive);
    if let Some(r) = REGEX_CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let r = RegexBuilder::new(&translate_pattern(pattern))
        .case_insensitive(case_insensitive)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let last = msg.lines().last().unwrap_or("").trim().to_string();
            Error::new(
                SqlState("2201B"),
                format!("invalid regular expression: {last}"),
            )
        })?;
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 256 {
            c.clear();
        }
        c.insert(key, r.clone());
    });
    Ok(r)
}

fn flags(f: &str) -> Result<(bool, bool)> {
    let mut global = false;
    let mut ci = false;
    for c in f.chars() {
        match c {
            'g' => global = true,
            'i' => ci = true,
            'c' => ci = false,
            other => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid regular expression option: \"{other}\""),
                ));
            }
        }
    }
    Ok((global, ci))
}

/// `regexp_replace(s, pattern, replacement [, flags])`: `\1`..`\9` and `\&` in the
/// replacement.
pub fn regexp_replace(s: &str, pattern: &str, replacement: &str, f: &str) -> Result<Value> {
    let (global, ci) = flags(f)?;
    let re = regex(pattern, ci)?;
    let rep = replacement_template(replacement);
    Ok(Value::Text(if global {
        re.replace_all(s, rep.as_str()).into_owned()
    } else {
        re.replace(s, rep.as_str()).into_owned()
    }))
}

/// PostgreSQL's `\1` and `\&` as the `regex` crate's `${1}` and `${0}`.
fn replacement_template(r: &str) -> String {
    let mut out = String::new();
    let mut it = r.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(d @ '1'..='9') => out.push_str(&format!("${{{d}}}")),
                Some('&') => out.push_str("${0}"),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// `regexp_match(s, pattern [, flags])`: the captures of the first match (or the whole
/// match when there are no groups), NULL when none.
pub fn regexp_match(s: &str, pattern: &str, f: &str) -> Result<Value> {
    let (global, ci) = flags(f)?;
    if global {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "regexp_match() does not support the \"global\" option",
        )
        .with_hint("Use the regexp_matches function instead."));
    }
    let re = regex(pattern, ci)?;
    Ok(match re.captures(s) {
        None => Value::Null,
        Some(c) => {
            let items: Vec<Value> = if c.len() == 1 {
                vec![Value::Text(c[0].to_string())]
            } else {
                (1..c.len())
                    .map(|i| {
                        c.get(i)
                            .map_or(Value::Null, |m| Value::Text(m.as_str().to_string()))
                    })
                    .collect()
            };
            Value::Array(Array::new(DataType::Text, items))
        }
    })
}

/// Rows of `regexp_matches(s, pattern [, flags])`: the captures of the first match, or
/// of every match with `g`.
pub fn regexp_matches(s: &str, pattern: &str, f: &str) -> Result<Vec<Vec<Value>>> {
    let (global, ci) = flags(f)?;
    let re = regex(pattern, ci)?;
    let mut out = Vec::new();
    for c in re.captures_iter(s) {
        let items: Vec<Value> = if c.len() == 1 {
            vec![Value::Text(c[0].to_string())]
        } else {
            (1..c.len())
                .map(|i| {
                    c.get(i)
                        .map_or(Value::Null, |m| Value::Text(m.as_str().to_string()))
                })
                .collect()
        };
        out.push(vec![Value::Array(Array::new(DataType::Text, items))]);
        if !global {
            break;
        }
    }
    Ok(out)
}

/// `regexp_split_to_array(s, pattern [, flags])`: the pieces between matches (an empty
/// match splits between characters, as in PostgreSQL).
pub fn regexp_split(s: &str, pattern: &str, f: &str) -> Result<Vec<String>> {
    let (global, ci) = flags(f)?;
    if global {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "regexp_split_to_array() does not support the \"global\" option",
        ));
    }
    let re = regex(pattern, ci)?;
    let char_len = |at: usize| s[at..].chars().next().map_or(1, char::len_utf8);
    let mut out = Vec::new();
    let (mut start, mut pos, mut prev_end) = (0, 0, None);
    while pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else {
            break;
        };
        // Empty matches at either end or right after a match do not split.
        if m.is_empty() && (m.start() == 0 || m.start() == s.len() || prev_end == Some(m.start())) {
            if m.start() >= s.len() {
                break;
            }
            pos = m.start() + char_len(m.start());
            continue;
        }
        out.push(s[start..m.start()].to_string());
        start = m.end();
        prev_end = Some(m.end());
        pos = if m.is_empty() {
            m.end() + char_len(m.end())
        } else {
            m.end()
        };
    }
    out.push(s[start..].to_string());
    Ok(out)
}

/// `s ~ pattern` and friends.
pub fn regex_matches(s: &str, pattern: &str, ci: bool) -> Result<bool> {
    Ok(regex(pattern, ci)?.is_match(s))
}

/// `SIMILAR TO`'s pattern as an anchored regular expression: `%` is `.*`, `_` is `.`,
/// regular-expression operators stay, other characters are literal.
pub fn similar_to_regex(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::from("^(?:");
    let mut it = pattern.chars();
    let mut in_bracket = false;
    while let Some(c) = it.next() {
        if Some(c) == escape {
            if let Some(n) = it.next() {
                out.push_str(&regex::escape(&n.to_string()));
            }
            continue;
        }
        match c {
            '%' if !in_bracket => out.push_str(".*"),
            '_' if !in_bracket => out.push('.'),
            '[' => {
                in_bracket = true;
                out.push('[');
            }
            ']' => {
                in_bracket = false;
                out.push(']');
            }
            '|' | '*' | '+' | '?' | '{' | '}' | '(' | ')' => out.push(c),
            c if in_bracket => out.push(c),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push_str(")$");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_as_postgres() {
        assert_eq!(
            pad("hi", 5, "xy", true).unwrap(),
            Value::Text("xyxhi".into())
        );
        assert_eq!(
            pad("hello", 2, " ", false).unwrap(),
            Value::Text("he".into())
        );
        assert_eq!(
            split_part("a,b,c", ",", -1).unwrap(),
            Value::Text("c".into())
        );
        assert_eq!(initcap("hello wORLD-x"), "Hello World-X");
        assert_eq!(translate("12345", "143", "ax"), "a2x5");
        assert_eq!(quote_ident("Foo bar"), "\"Foo bar\"");
        assert_eq!(quote_literal("O'Reilly"), "'O''Reilly'");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            regexp_replace("foobarbaz", "b(..)", "X\\1Y", "g").unwrap(),
            Value::Text("fooXarYXazY".into())
        );
        let re = similar_to_regex("%(b|d)%", None);
        assert!(regex_matches("abc", &re, false).unwrap());
        assert!(!regex_matches("aec", &re, false).unwrap());
    }
}
