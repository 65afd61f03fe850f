//! Parse errors, worded and positioned the way PostgreSQL reports them.
//!
//! sqlparser says what it expected (`Expected: an SQL statement, found: FROM at Line: 1,
//! Column: 1`); PostgreSQL says where it gave up (`syntax error at or near "FROM"`, with a
//! 1-based character position into the whole query string). [`ParseError`] carries
//! PostgreSQL's wording in `message`, the position in all three forms, and sqlparser's
//! explanation in `detail`. The query layer turns it into SQLSTATE 42601 (`syntax_error`);
//! this crate knows nothing of SQLSTATEs because `query` depends on `grammar`, not the other
//! way round.

use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Location, TokenWithSpan};

/// A statement that does not parse.
///
/// The query layer maps every `ParseError` to SQLSTATE 42601 (`syntax_error`), copying
/// `message` and `position` into the error response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// PostgreSQL's primary message: `syntax error at or near "FROM"`, `syntax error at end
    /// of input`, `unterminated quoted string at or near "'abc"`, ...
    pub message: String,
    /// 1-based line of the offending token (of the end of the input for errors there).
    pub line: u64,
    /// 1-based column, in characters, of the offending token (one past the last character
    /// of the last line for errors at the end of the input).
    pub column: u64,
    /// PostgreSQL's cursor position: the 1-based character offset of the offending token in
    /// the whole string (one past the last character at the end of the input). `None` when
    /// the error has no place (a statement nested too deeply).
    pub position: Option<u32>,
    /// sqlparser's own explanation (`Expected: an SQL statement, found: FROM`), for a DETAIL
    /// line or a log.
    pub detail: Option<String>,
}

/// The character offset of the start of every line, to turn sqlparser's line and column
/// into PostgreSQL's position.
pub(crate) struct Lines<'a> {
    text: &'a str,
    /// Byte offset and character offset of each line's first character.
    starts: Vec<(usize, usize)>,
    chars: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![(0, 0)];
        let mut chars = 0;
        for (byte, ch) in text.char_indices() {
            chars += 1;
            if ch == '\n' {
                starts.push((byte + 1, chars));
            }
        }
        Lines {
            text,
            starts,
            chars,
        }
    }

    /// The location just past the last character: where "end of input" points.
    fn end(&self) -> Location {
        let (_, chars) = self.starts.last().copied().unwrap_or((0, 0));
        Location {
            line: self.starts.len() as u64,
            column: (self.chars - chars + 1) as u64,
        }
    }

    /// The byte offset of a 1-based (line, column) location, if it lies inside the text.
    pub(crate) fn byte_offset(&self, location: Location) -> Option<usize> {
        let line = usize::try_from(location.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(location.column).ok()?.checked_sub(1)?;
        let &(start, _) = self.starts.get(line)?;
        let rest = &self.text[start..];
        if column == rest.chars().count() {
            return Some(self.text.len());
        }
        rest.char_indices().nth(column).map(|(b, _)| start + b)
    }

    /// The 1-based character offset of a 1-based (line, column) location.
    fn position(&self, location: Location) -> Option<u32> {
        let line = usize::try_from(location.line).ok()?.checked_sub(1)?;
        let &(_, chars) = self.starts.get(line)?;
        let offset = chars + usize::try_from(location.column).ok()?;
        u32::try_from(offset).ok()
    }

    /// The source text of a token.
    pub(crate) fn token_text(&self, token: &TokenWithSpan) -> Option<&'a str> {
        let start = self.byte_offset(token.span.start)?;
        let end = self.byte_offset(token.span.end)?;
        self.text.get(start..end)
    }

    /// The text from a location to the end, as PostgreSQL quotes an unterminated token.
    fn rest_from(&self, location: Location) -> Option<&'a str> {
        self.byte_offset(location).map(|b| &self.text[b..])
    }
}

/// Splits sqlparser's `"... at Line: 3, Column: 7"` into the message and the location.
fn split_location(message: &str) -> (&str, Option<Location>) {
    let Some((head, tail)) = message.rsplit_once(" at Line: ") else {
        return (message, None);
    };
    let Some((line, column)) = tail.split_once(", Column: ") else {
        return (message, None);
    };
    match (line.trim().parse(), column.trim().parse()) {
        (Ok(line), Ok(column)) if line > 0 => (head, Some(Location { line, column })),
        _ => (message, None),
    }
}

impl ParseError {
    /// Translates sqlparser's error into PostgreSQL's words, finding the offending token in
    /// `tokens` (the tokens of `sql`, when tokenizing succeeded).
    pub(crate) fn from_parser(err: ParserError, sql: &str, tokens: &[TokenWithSpan]) -> ParseError {
        let lines = Lines::new(sql);
        let end = u32::try_from(lines.chars + 1).ok();
        match err {
            ParserError::RecursionLimitExceeded => ParseError {
                message: "statement is nested too deeply".into(),
                line: 0,
                column: 0,
                position: None,
                detail: Some("sqlparser's recursion limit was exceeded".into()),
            },
            ParserError::TokenizerError(text) => {
                let (explanation, location) = split_location(&text);
                let at = location.unwrap_or_else(|| lines.end());
                let (line, column) = (at.line, at.column);
                let position = location.and_then(|l| lines.position(l));
                let rest = location.and_then(|l| lines.rest_from(l)).unwrap_or("");
                let what = if explanation.starts_with("Unterminated string literal")
                    || explanation.starts_with("Unterminated encoded string literal")
                {
                    "unterminated quoted string".to_string()
                } else if explanation.starts_with("Unterminated dollar-quoted") {
                    "unterminated dollar-quoted string".to_string()
                } else if explanation.starts_with("Unexpected EOF while in a multi-line comment") {
                    "unterminated /* comment".to_string()
                } else if explanation.contains("close delimiter '\"'") {
                    "unterminated quoted identifier".to_string()
                } else {
                    "syntax error".to_string()
                };
                ParseError {
                    message: format!("{what} at or near \"{rest}\""),
                    line,
                    column,
                    position: position.or(end),
                    detail: Some(explanation.to_string()),
                }
            }
            ParserError::ParserError(text) => {
                let (explanation, location) = split_location(&text);
                let token = location.and_then(|l| tokens.iter().find(|t| t.span.start == l));
                match (location, token.and_then(|t| lines.token_text(t))) {
                    (Some(location), Some(near)) => ParseError {
                        message: format!("syntax error at or near \"{near}\""),
                        line: location.line,
                        column: location.column,
                        position: lines.position(location),
                        detail: Some(explanation.to_string()),
                    },
                    (Some(location), None) => ParseError {
                        message: "syntax error".into(),
                        line: location.line,
                        column: location.column,
                        position: lines.position(location),
                        detail: Some(explanation.to_string()),
                    },
                    (None, _) => ParseError {
                        message: "syntax error at end of input".into(),
                        line: lines.end().line,
                        column: lines.end().column,
                        position: end,
                        detail: Some(explanation.to_string()),
                    },
                }
            }
        }
    }
}
