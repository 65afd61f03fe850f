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
mod pg;

use std::fmt;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

pub use error::ParseError;
pub use pg::{AlterSequence, PgStatement};
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
    /// A maintenance command in PostgreSQL's syntax, which sqlparser does not read.
    Maintenance(Maintenance),
    /// Another PostgreSQL statement sqlparser does not read (`ALTER SEQUENCE`, `INSERT ...
    /// OVERRIDING SYSTEM VALUE`, `ALTER ... SET SCHEMA`, `ALTER ... OWNER TO`).
    Pg(PgStatement),
}

/// PostgreSQL's maintenance commands: `CHECKPOINT` and `VACUUM` in every form
/// (`VACUUM ANALYZE t`, `VACUUM (VERBOSE, ANALYZE) t1, t2`, `VACUUM FULL`).
#[derive(Clone, Debug, PartialEq)]
pub enum Maintenance {
    /// `CHECKPOINT`.
    Checkpoint,
    /// `VACUUM`: whether it also analyzes, and the tables it names (none: all).
    Vacuum {
        /// `ANALYZE` was among its options.
        analyze: bool,
        /// The tables, as written.
        tables: Vec<ast::ObjectName>,
    },
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Sql(statement) => statement.fmt(f),
            Statement::Maintenance(Maintenance::Checkpoint) => f.write_str("CHECKPOINT"),
            Statement::Maintenance(Maintenance::Vacuum { analyze, tables }) => {
                f.write_str("VACUUM")?;
                if *analyze {
                    f.write_str(" ANALYZE")?;
                }
                for (i, t) in tables.iter().enumerate() {
                    write!(f, "{}{t}", if i == 0 { " " } else { ", " })?;
                }
                Ok(())
            }
            Statement::Pg(PgStatement::AlterSequence(a)) => write!(f, "ALTER SEQUENCE {}", a.name),
            Statement::Pg(PgStatement::InsertOverriding { insert, system }) => {
                let overriding = if *system { "SYSTEM" } else { "USER" };
                write!(f, "{insert} (OVERRIDING {overriding} VALUE)")
            }
            Statement::Pg(PgStatement::SetSchema {
                kind, name, schema, ..
            }) => write!(f, "ALTER {kind} {name} SET SCHEMA {schema}"),
            Statement::Pg(PgStatement::OwnerTo { kind, name, role }) => {
                write!(f, "ALTER {kind} {name} OWNER TO {role}")
            }
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
    let tokens = role_synonyms(tokens);
    let chunks = split_statements(&tokens);
    // What we make of each statement ourselves: a statement, tokens for sqlparser, or
    // nothing (sqlparser reads it as written).
    let mut ours = Vec::with_capacity(chunks.len());
    for chunk in &chunks {
        ours.push(match maintenance_word(chunk) {
            Some(word) => Some(Ok(Statement::Maintenance(maintenance(sql, word, chunk)?))),
            None => pg::statement(sql, chunk)?,
        });
    }
    if ours.iter().all(Option::is_none) {
        return parse_sqlparser(sql, tokens);
    }
    let mut out = Vec::new();
    for (chunk, mine) in chunks.into_iter().zip(ours) {
        match mine {
            Some(Ok(statement)) => out.push(statement),
            Some(Err(rewritten)) => out.extend(parse_sqlparser(sql, rewritten)?),
            None => out.extend(parse_sqlparser(sql, chunk)?),
        }
    }
    Ok(out)
}

/// The tokens of each statement (split at top-level semicolons, each with its `;`).
fn split_statements(tokens: &[TokenWithSpan]) -> Vec<Vec<TokenWithSpan>> {
    let mut chunks = vec![Vec::new()];
    for token in tokens {
        chunks.last_mut().expect("never empty").push(token.clone());
        if token.token == Token::SemiColon {
            chunks.push(Vec::new());
        }
    }
    chunks.retain(|c| c.iter().any(|t| significant(&t.token)));
    chunks
}

fn significant(token: &Token) -> bool {
    !matches!(token, Token::Whitespace(_) | Token::SemiColon | Token::EOF)
}

/// PostgreSQL's `CREATE USER name ...` is `CREATE ROLE name LOGIN ...` and `ALTER USER` is
/// `ALTER ROLE`; sqlparser reads other dialects' USER statements there, so the tokens are
/// rewritten to the ROLE forms.
fn role_synonyms(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is = |t: &TokenWithSpan, k: &str| matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
    let mut out = Vec::with_capacity(tokens.len() + 2);
    let mut start = 0;
    while start < tokens.len() {
        let end = tokens[start..]
            .iter()
            .position(|t| t.token == Token::SemiColon)
            .map_or(tokens.len(), |p| start + p + 1);
        let chunk = &tokens[start..end];
        let words: Vec<usize> = (0..chunk.len())
            .filter(|&i| significant(&chunk[i].token))
            .collect();
        let create = words.len() >= 3 && is(&chunk[words[0]], "CREATE");
        let alter = words.len() >= 3 && is(&chunk[words[0]], "ALTER");
        if (create || alter) && is(&chunk[words[1]], "USER") {
            let login = chunk.iter().any(|t| is(t, "LOGIN") || is(t, "NOLOGIN"));
            for (i, t) in chunk.iter().enumerate() {
                if i == words[1] {
                    out.push(TokenWithSpan::new(Token::make_keyword("ROLE"), t.span));
                    continue;
                }
                out.push(t.clone());
                if create && !login && Some(&i) == words.last() {
                    out.push(TokenWithSpan::new(
                        Token::Whitespace(Whitespace::Space),
                        t.span,
                    ));
                    out.push(TokenWithSpan::new(Token::make_keyword("LOGIN"), t.span));
                }
            }
        } else {
            out.extend_from_slice(chunk);
        }
        start = end;
    }
    out
}

/// `CHECKPOINT` or `VACUUM` if the statement starts with it.
fn maintenance_word(chunk: &[TokenWithSpan]) -> Option<&'static str> {
    match chunk
        .iter()
        .find(|t| significant(&t.token))
        .map(|t| &t.token)
    {
        Some(Token::Word(w)) if w.quote_style.is_none() => ["CHECKPOINT", "VACUUM"]
            .into_iter()
            .find(|k| w.value.eq_ignore_ascii_case(k)),
        _ => None,
    }
}

/// Reads `CHECKPOINT` or `VACUUM [options] [table [, ...]]`.
fn maintenance(sql: &str, word: &str, chunk: &[TokenWithSpan]) -> Result<Maintenance, ParseError> {
    let tokens: Vec<&TokenWithSpan> = chunk.iter().filter(|t| significant(&t.token)).collect();
    let unexpected = |t: &TokenWithSpan| {
        ParseError::from_parser(
            sqlparser::parser::ParserError::ParserError(format!(
                "syntax error at or near \"{}\"",
                t.token
            )),
            sql,
            chunk,
        )
    };
    if word == "CHECKPOINT" {
        return match tokens.get(1) {
            None => Ok(Maintenance::Checkpoint),
            Some(t) => Err(unexpected(t)),
        };
    }
    let mut analyze = false;
    let mut rest = &tokens[1..];
    // VACUUM (option [value], ...)
    if rest.first().is_some_and(|t| t.token == Token::LParen) {
        let close = rest
            .iter()
            .position(|t| t.token == Token::RParen)
            .ok_or_else(|| unexpected(rest[0]))?;
        analyze = rest[1..close]
            .iter()
            .any(|t| matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case("analyze")));
        rest = &rest[close + 1..];
    }
    // VACUUM [FULL] [FREEZE] [VERBOSE] [ANALYZE]
    while let Some(Token::Word(w)) = rest.first().map(|t| &t.token) {
        let option = ["FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE"]
            .into_iter()
            .find(|k| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
        match option {
            Some("ANALYZE" | "ANALYSE") => analyze = true,
            Some(_) => {}
            None => break,
        }
        rest = &rest[1..];
    }
    // table [(columns)] [, ...]
    let mut tables = Vec::new();
    let mut parts: Vec<ast::Ident> = Vec::new();
    let mut depth = 0;
    for t in rest {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            Token::Word(w) => parts.push(match w.quote_style {
                Some(q) => ast::Ident::with_quote(q, w.value.clone()),
                None => ast::Ident::new(w.value.clone()),
            }),
            Token::Period => {}
            Token::Comma if !parts.is_empty() => {
                tables.push(ast::ObjectName::from(std::mem::take(&mut parts)))
            }
            _ => return Err(unexpected(t)),
        }
    }
    if !parts.is_empty() {
        tables.push(ast::ObjectName::from(parts));
    }
    Ok(Maintenance::Vacuum { analyze, tables })
}

pub(crate) fn parse_sqlparser(
    sql: &str,
    tokens: Vec<TokenWithSpan>,
) -> Result<Vec<Statement>, ParseError> {
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
