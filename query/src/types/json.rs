//! `json` and `jsonb` input: a small JSON reader that validates `json` (kept as written)
//! and normalizes `jsonb` the way PostgreSQL prints it: object keys sorted by length then
//! bytes, the last of duplicate keys kept, `", "` and `": "` separators, numbers as
//! `numeric` prints them.

use super::numeric::Numeric;
use crate::error::{Error, Result, SqlState};

/// A parsed JSON document.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as `numeric` text (`1.50`, `100` for `1e2`).
    Number(String),
    /// A string (unescaped).
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in input order (duplicates kept until normalized).
    Object(Vec<(String, Json)>),
}

fn syntax_error(type_name: &str, detail: impl Into<String>) -> Error {
    Error::new(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}"),
    )
    .with_detail(detail)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    type_name: &'a str,
    depth: usize,
}

/// Deepest nesting accepted, so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 1000;

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while let Some(b) = self.text.as_bytes().get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn error(&self) -> Error {
        let rest: String = self.text[self.pos..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !",:]}".contains(*c))
            .collect();
        if rest.is_empty() {
            syntax_error(self.type_name, "The input string ended unexpectedly.")
        } else {
            syntax_error(self.type_name, format!("Token \"{rest}\" is invalid."))
        }
    }

    fn expect(&mut self, b: u8) -> Result<()> {
        self.skip_ws();
        if self.text.as_bytes().get(self.pos) == Some(&b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn value(&mut self) -> Result<Json> {
        self.skip_ws();
        let Some(&b) = self.text.as_bytes().get(self.pos) else {
            return Err(self.error());
        };
        match b {
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Error::new(
                        SqlState::PROGRAM_LIMIT_EXCEEDED,
                        "stack depth limit exceeded",
                    ));
                }
                self.pos += 1;
                let v = if b == b'{' {
                    self.object()?
                } else {
                    self.array()?
                };
                self.depth -= 1;
                Ok(v)
            }
            b'"' => Ok(Json::String(self.string()?)),
            b'-' | b'0'..=b'9' => self.number(),
            _ => {
                for (word, value) in [
                    ("true", Json::Bool(true)),
                    ("false", Json::Bool(false)),
                    ("null", Json::Null),
                ] {
                    if self.text[self.pos..].starts_with(word) {
                        let end = self.pos + word.len();
                        let next = self.text.as_bytes().get(end);
                        if next.is_none_or(|c| !c.is_ascii_alphanumeric()) {
                            self.pos = end;
                            return Ok(value);
                        }
                    }
                }
                Err(self.error())
            }
        }
    }

    fn object(&mut self) -> Result<Json> {
        let mut members = Vec::new();
        self.skip_ws();
        if self.text.as_bytes().get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.text.as_bytes().get(self.pos) != Some(&b'"') {
                return Err(self.error());
            }
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.value()?;
            members.push((key, value));
            self.skip_ws();
            match self.text.as_bytes().get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error()),
            }
        }
    }

    fn array(&mut self) -> Result<Json> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.text.as_bytes().get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.text.as_bytes().get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error()),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                syntax_error(
                    self.type_name,
                    "\"\\u\" must be followed by four hexadecimal digits.",
                )
            })?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error())
    }

    fn string(&mut self) -> Result<String> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(syntax_error(
                    self.type_name,
                    "The input string ended unexpectedly.",
                ));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.text[self.pos..].chars().next() else {
                        return Err(self.error());
                    };
                    self.pos += e.len_utf8();
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code)
                                && self.text[self.pos..].starts_with("\\u")
                            {
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(syntax_error(
                                        self.type_name,
                                        "Unicode low surrogate must follow a high surrogate.",
                                    ));
                                }
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            }
                            if code == 0 {
                                return Err(Error::new(
                                    SqlState::UNTRANSLATABLE_CHARACTER,
                                    "unsupported Unicode escape sequence",
                                )
                                .with_detail("\\u0000 cannot be converted to text."));
                            }
                            let ch = char::from_u32(code).ok_or_else(|| {
                                syntax_error(
                                    self.type_name,
                                    "Unicode low surrogate must follow a high surrogate.",
                                )
                            })?;
                            out.push(ch);
                        }
                        _ => {
                            return Err(syntax_error(
                                self.type_name,
                                format!("Escape sequence \"\\{e}\" is invalid."),
                            ));
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(syntax_error(
                        self.type_name,
                        format!("Character with value 0x{:02x} must be escaped.", c as u32),
                    ));
                }
                c => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut end = start;
        if bytes.get(end) == Some(&b'-') {
            end += 1;
        }
        let int_start = end;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let int_len = end - int_start;
        let leading_zero = int_len > 1 && bytes[int_start] == b'0';
        let mut ok = int_len > 0 && !leading_zero;
        if bytes.get(end) == Some(&b'.') {
            end += 1;
            let f = end;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            ok &= end > f;
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            end += 1;
            if matches!(bytes.get(end), Some(b'+' | b'-')) {
                end += 1;
            }
            let e = end;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            ok &= end > e;
        }
        if !ok || bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
            return Err(self.error());
        }
        self.pos = end;
        let text = &self.text[start..end];
        match Numeric::parse(text) {
            Some(Ok(n)) => Ok(Json::Number(n.to_string())),
            Some(Err(e)) => Err(e),
            None => Err(self.error()),
        }
    }
}

/// Parses a JSON document; errors are PostgreSQL's 22P02 `invalid input syntax for type
/// json` (or `jsonb`) with a detail naming the bad token.
pub fn parse(text: &str, type_name: &str) -> Result<Json> {
    let mut r = Reader {
        text,
        pos: 0,
        type_name,
        depth: 0,
    };
    let v = r.value()?;
    r.skip_ws();
    if r.pos != text.len() {
        return Err(r.error());
    }
    Ok(v)
}

impl Json {
    /// The `jsonb` form: object keys sorted by length then bytes, the last duplicate kept.
    pub fn normalize(self) -> Json {
        match self {
            Json::Array(items) => Json::Array(items.into_iter().map(Json::normalize).collect()),
            Json::Object(members) => {
                let mut out: Vec<(String, Json)> = Vec::with_capacity(members.len());
                for (k, v) in members {
                    let v = v.normalize();
                    match out.iter_mut().find(|(existing, _)| *existing == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                out.sort_by(|(a, _), (b, _)| {
                    a.len()
                        .cmp(&b.len())
                        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
                });
                Json::Object(out)
            }
            other => other,
        }
    }

    /// The text `jsonb_out` prints.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_string(out, k);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// PostgreSQL's `escape_json`.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json_in`: validates and keeps the text as written.
pub fn json_in(text: &str) -> Result<String> {
    parse(text, "json")?;
    Ok(text.to_string())
}

/// `jsonb_in`: validates and normalizes.
pub fn jsonb_in(text: &str) -> Result<String> {
    Ok(parse(text, "json")?.normalize().to_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn jsonb_normalizes_like_postgres() {
        // Checked against PostgreSQL 15.
        for (input, output) in [
            (
                r#"{"b":1,"a":2,"aa":[1,2.50,1e2],"a":3}"#,
                r#"{"a": 3, "b": 1, "aa": [1, 2.50, 100]}"#,
            ),
            (
                r#" [true,false,null,"x\"y\u00e9\n"] "#,
                "[true, false, null, \"x\\\"yé\\n\"]",
            ),
            ("-0", "0"),
            ("1E-2", "0.01"),
            ("{}", "{}"),
            ("[]", "[]"),
        ] {
            assert_eq!(jsonb_in(input), Ok(output.to_string()), "{input}");
        }
        assert_eq!(
            json_in(r#"{"b":1, "a":2}"#),
            Ok(r#"{"b":1, "a":2}"#.to_string())
        );
        for bad in [
            "",
            "{",
            "[1,]",
            "01",
            "tru",
            "{\"a\" 1}",
            "\"\\x\"",
            "1 2",
            "nulls",
        ] {
            let e = jsonb_in(bad).unwrap_err();
            assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION, "{bad}");
            assert_eq!(e.to_string(), "invalid input syntax for type json");
        }
        assert!(jsonb_in(&"[".repeat(5000)).is_err());
    }

    proptest! {
        #[test]
        fn jsonb_output_reparses_to_itself(s in r#"[\[\]{}",:0-9a-z\\ .eE+-]{0,24}"#) {
            if let Ok(normal) = jsonb_in(&s) {
                prop_assert_eq!(jsonb_in(&normal), Ok(normal.clone()));
            }
        }
    }
}
