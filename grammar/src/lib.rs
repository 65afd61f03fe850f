//! Anchor's grammar layer: text in, statements out.
//!
//! [`parse`] turns a query string, which may hold several statements separated by `;`, into
//! [`Statement`]s. SQL goes through `sqlparser` with its PostgreSQL dialect; the ContextQL
//! language will get its own variant and parser here, so callers match on [`Statement`] rather
//! than on sqlparser's types directly. [`ast`] re-exports sqlparser's syntax tree so that every
//! crate of the workspace names one version of it.
//!
//! Errors come back as a [`ParseError`] worded and positioned like PostgreSQL's (`syntax error
//! at or near "FROM"`, 1-based character position); the query layer reports them with SQLSTATE
//! 42601.
//!
//! ```
//! let statements = anchor_grammar::parse("SELECT 1; -- done\nSELECT 'a'::text").unwrap();
//! assert_eq!(statements.len(), 2);
//! let err = anchor_grammar::parse("SELECT * FROM").unwrap_err();
//! assert_eq!(err.message, "syntax error at end of input");
//! ```

mod error;

use std::fmt;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

pub use error::ParseError;
/// sqlparser's syntax tree, re-exported so that the workspace uses one version of it.
pub use sqlparser::ast;

/// One parsed statement.
///
/// Today every statement is SQL. ContextQL queries will be a second variant, added with the
/// ContextQL parser; match on this enum, not on sqlparser's types, to be ready for it.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// A SQL statement in sqlparser's syntax tree (boxed: the tree is large).
    Sql(Box<ast::Statement>),
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Sql(statement) => statement.fmt(f),
        }
    }
}

/// A statement together with the text it was parsed from.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed<'a> {
    /// The statement.
    pub statement: Statement,
    /// Its source text without the terminating `;` and surrounding blanks, for logs and
    /// `pg_stat_activity`. Comments just before the statement are kept. When the statements
    /// cannot be told apart token by token (a statement containing `;` outside quotes, as in
    /// a `BEGIN ... END` block), this is the whole input.
    pub text: &'a str,
}

/// Parses a query string into its statements.
///
/// Several statements separated by `;` give several entries; an empty string, or one holding
/// only blanks, comments and semicolons, gives an empty `Vec`.
pub fn parse(sql: &str) -> Result<Vec<Statement>, ParseError> {
    let tokens = tokenize(sql)?;
    parse_tokens(sql, tokens)
}

/// Parses a query string like [`parse`], and also returns each statement's source text.
pub fn parse_with_text(sql: &str) -> Result<Vec<Parsed<'_>>, ParseError> {
    let tokens = tokenize(sql)?;
    let texts = statement_texts(sql, &tokens);
    let statements = parse_tokens(sql, tokens)?;
    let texts = if texts.len() == statements.len() {
        texts
    } else {
        vec![sql.trim(); statements.len()]
    };
    Ok(statements
        .into_iter()
        .zip(texts)
        .map(|(statement, text)| Parsed { statement, text })
        .collect())
}

fn tokenize(sql: &str) -> Result<Vec<TokenWithSpan>, ParseError> {
    Tokenizer::new(&PostgreSqlDialect {}, sql)
        .tokenize_with_location()
        .map_err(|err| ParseError::from_parser(err.into(), sql, &[]))
}

fn parse_tokens(sql: &str, tokens: Vec<TokenWithSpan>) -> Result<Vec<Statement>, ParseError> {
    // Kept for the error message: the parser consumes its copy.
    let kept = tokens.clone();
    Parser::new(&PostgreSqlDialect {})
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map(|statements| {
            statements
                .into_iter()
                .map(|s| Statement::Sql(Box::new(s)))
                .collect()
        })
        .map_err(|err| ParseError::from_parser(err, sql, &kept))
}

/// The text of each run of tokens between top-level semicolons that holds more than blanks
/// and comments.
fn statement_texts<'a>(sql: &'a str, tokens: &[TokenWithSpan]) -> Vec<&'a str> {
    let lines = error::Lines::new(sql);
    let mut texts = Vec::new();
    // Where the current statement starts (its first comment or token), and where its last
    // token ends, once it has one.
    let mut start: Option<usize> = None;
    let mut end: Option<usize> = None;
    for token in tokens {
        match &token.token {
            Token::SemiColon => {
                if let (Some(s), Some(e)) = (start.take(), end.take()) {
                    texts.push(sql[s..e].trim());
                }
                start = None;
            }
            Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline) => {}
            Token::Whitespace(_) => {
                // A comment before a statement belongs to it.
                if start.is_none() {
                    start = lines.byte_offset(token.span.start);
                }
            }
            _ => {
                if start.is_none() {
                    start = lines.byte_offset(token.span.start);
                }
                end = lines.byte_offset(token.span.end).or(end);
            }
        }
    }
    if let (Some(s), Some(e)) = (start, end) {
        texts.push(sql[s..e].trim());
    }
    texts
}

#[cfg(test)]
mod tests;
