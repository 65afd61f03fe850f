//! PostgreSQL statements that `sqlparser` reads wrongly or not at all, as `pg_dump` and
//! everyday DDL write them.
//!
//! Two kinds of help, both on the token stream of one statement:
//!
//! - **Rewrites** that sqlparser then parses: sequence options in any order (sqlparser wants
//!   `INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE`, while `pg_dump` writes `START WITH`
//!   first), in `CREATE SEQUENCE` and in `GENERATED ... AS IDENTITY (...)`, where the
//!   `SEQUENCE NAME` option is dropped (Anchor names an identity's sequence as PostgreSQL
//!   does by default: `table_column_seq`).
//! - **Statements of our own** ([`PgStatement`]): `ALTER SEQUENCE`, `INSERT ... OVERRIDING
//!   {SYSTEM | USER} VALUE`, `ALTER ... SET SCHEMA` and `ALTER ... OWNER TO`.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::{ParseError, Statement};

/// A PostgreSQL statement in a form of our own.
#[derive(Clone, Debug, PartialEq)]
pub enum PgStatement {
    /// `ALTER SEQUENCE`.
    AlterSequence(AlterSequence),
    /// `INSERT ... OVERRIDING {SYSTEM | USER} VALUE ...`: the insert (without the clause)
    /// and which values win.
    InsertOverriding {
        /// The INSERT statement.
        insert: Box<ast::Statement>,
        /// `SYSTEM`: explicit values go into `GENERATED ALWAYS` identity columns; `USER`:
        /// explicit values for identity columns are ignored.
        system: bool,
    },
    /// `ALTER {TABLE | SEQUENCE | VIEW | TYPE} [IF EXISTS] name SET SCHEMA schema`.
    SetSchema {
        /// The kind of object, upper case.
        kind: String,
        /// The object.
        name: ast::ObjectName,
        /// IF EXISTS.
        if_exists: bool,
        /// The schema it moves to.
        schema: ast::Ident,
    },
    /// `ALTER <kind> name OWNER TO role`.
    OwnerTo {
        /// The kind of object, upper case: `TABLE`, `SCHEMA`, `TYPE`, `SEQUENCE`, `VIEW`,
        /// `INDEX`, `DATABASE`.
        kind: String,
        /// The object.
        name: ast::ObjectName,
        /// The new owner.
        role: ast::Ident,
    },
}

/// `ALTER SEQUENCE [IF EXISTS] name ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterSequence {
    /// The sequence.
    pub name: ast::ObjectName,
    /// IF EXISTS.
    pub if_exists: bool,
    /// `AS type`.
    pub data_type: Option<ast::DataType>,
    /// The options that `CREATE SEQUENCE` also has.
    pub options: Vec<ast::SequenceOptions>,
    /// `RESTART [WITH n]`: `Some(None)` restarts at the start value.
    pub restart: Option<Option<i64>>,
    /// `OWNED BY table.column` (`Some(None)` for `OWNED BY NONE`).
    pub owned_by: Option<Option<ast::ObjectName>>,
    /// `RENAME TO name`.
    pub rename: Option<ast::Ident>,
}

/// Handles the statement if it is one of ours: `Ok(None)` leaves it to sqlparser as is,
/// `Ok(Some(Err(tokens)))` hands sqlparser a rewritten statement.
pub(crate) fn statement(
    sql: &str,
    chunk: &[TokenWithSpan],
) -> Result<Option<Result<Statement, Vec<TokenWithSpan>>>, ParseError> {
    let sig: Vec<&TokenWithSpan> = chunk.iter().filter(|t| significant(&t.token)).collect();
    let syntax = |at: Option<&&TokenWithSpan>| {
        let message = match at {
            Some(t) => format!("syntax error at or near \"{}\"", t.token),
            None => "syntax error at end of input".to_string(),
        };
        ParseError::from_parser(ParserError::ParserError(message), sql, chunk)
    };
    if is_kw(sig.first(), "ALTER") && owner_to(&sig).is_some() {
        let (kind, name, role) = owner_to(&sig).ok_or_else(|| syntax(sig.first()))?;
        return Ok(Some(Ok(Statement::Pg(PgStatement::OwnerTo {
            kind,
            name,
            role,
        }))));
    }
    if let Some(statement) = set_schema(&sig) {
        return Ok(Some(Ok(Statement::Pg(statement))));
    }
    if is_kw(sig.first(), "ALTER") && is_kw(sig.get(1), "SEQUENCE") {
        return alter_sequence(sql, chunk, &sig).map(|s| Some(Ok(Statement::Pg(s))));
    }
    if is_kw(sig.first(), "CREATE") {
        let at = match sig.get(1) {
            Some(t) if is_kw(Some(t), "TEMP") || is_kw(Some(t), "TEMPORARY") => 2,
            _ => 1,
        };
        if is_kw(sig.get(at), "SEQUENCE") {
            let mut start = at + 1;
            if is_kw(sig.get(start), "IF") {
                start += 3;
            }
            let after_name = name_end(&sig, start).ok_or_else(|| syntax(sig.get(start)))?;
            return Ok(Some(Err(reorder_ranges(
                chunk,
                &sig,
                &[(after_name, sig.len())],
                false,
            ))));
        }
    }
    let opens: Vec<usize> = (1..sig.len())
        .filter(|&i| is_kw(sig.get(i - 1), "IDENTITY") && sig[i].token == Token::LParen)
        .collect();
    if !opens.is_empty() {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for open in opens {
            // A list opened inside an unclosed one is left to sqlparser's error.
            if ranges.last().is_some_and(|&(_, close)| open < close) {
                continue;
            }
            let close = (open..sig.len())
                .find(|&i| sig[i].token == Token::RParen)
                .ok_or_else(|| syntax(sig.last()))?;
            ranges.push((open + 1, close));
        }
        return Ok(Some(Err(reorder_ranges(chunk, &sig, &ranges, true))));
    }
    if is_kw(sig.first(), "INSERT")
        && let Some(at) = (0..sig.len()).find(|&i| is_kw(sig.get(i), "OVERRIDING"))
    {
        let system = match sig.get(at + 1) {
            Some(t) if is_kw(Some(t), "SYSTEM") => true,
            Some(t) if is_kw(Some(t), "USER") => false,
            other => return Err(syntax(other)),
        };
        if !is_kw(sig.get(at + 2), "VALUE") {
            return Err(syntax(sig.get(at + 2)));
        }
        let dropped = [sig[at].span, sig[at + 1].span, sig[at + 2].span];
        let tokens: Vec<TokenWithSpan> = chunk
            .iter()
            .filter(|t| !(significant(&t.token) && dropped.contains(&t.span)))
            .cloned()
            .collect();
        let mut parsed = crate::parse_sqlparser(sql, tokens)?;
        return match (parsed.pop(), parsed.is_empty()) {
            (Some(Statement::Sql(insert)), true) => {
                Ok(Some(Ok(Statement::Pg(PgStatement::InsertOverriding {
                    insert,
                    system,
                }))))
            }
            _ => Err(syntax(sig.get(at))),
        };
    }
    Ok(None)
}

fn significant(token: &Token) -> bool {
    !matches!(token, Token::Whitespace(_) | Token::SemiColon | Token::EOF)
}

fn is_kw(t: Option<&&TokenWithSpan>, keyword: &str) -> bool {
    matches!(t.map(|t| &t.token), Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(keyword))
}

fn ident(t: &TokenWithSpan) -> Option<ast::Ident> {
    match &t.token {
        Token::Word(w) => Some(match w.quote_style {
            Some(q) => ast::Ident::with_quote(q, w.value.clone()),
            None => ast::Ident::new(w.value.clone()),
        }),
        _ => None,
    }
}

/// Where a dotted name starting at `start` ends (the index after it).
fn name_end(sig: &[&TokenWithSpan], start: usize) -> Option<usize> {
    ident(sig.get(start)?)?;
    let mut i = start + 1;
    while sig.get(i).is_some_and(|t| t.token == Token::Period) {
        ident(sig.get(i + 1)?)?;
        i += 2;
    }
    Some(i)
}

fn object_name(sig: &[&TokenWithSpan], start: usize, end: usize) -> ast::ObjectName {
    ast::ObjectName::from(
        sig[start..end]
            .iter()
            .filter_map(|t| ident(t))
            .collect::<Vec<_>>(),
    )
}

/// `ALTER <kind> [IF EXISTS] [ONLY] name OWNER TO role`.
fn owner_to(sig: &[&TokenWithSpan]) -> Option<(String, ast::ObjectName, ast::Ident)> {
    let n = sig.len();
    if n < 5 || !is_kw(sig.get(n - 3), "OWNER") || !is_kw(sig.get(n - 2), "TO") {
        return None;
    }
    let role = ident(sig[n - 1])?;
    let kind = match &sig[1].token {
        Token::Word(w) => w.value.to_ascii_uppercase(),
        _ => return None,
    };
    if ![
        "TABLE", "SCHEMA", "TYPE", "SEQUENCE", "VIEW", "INDEX", "DATABASE",
    ]
    .contains(&kind.as_str())
    {
        return None;
    }
    let mut start = 2;
    if is_kw(sig.get(start), "IF") && is_kw(sig.get(start + 1), "EXISTS") {
        start += 2;
    }
    if is_kw(sig.get(start), "ONLY") {
        start += 1;
    }
    let end = name_end(sig, start)?;
    (end == n - 3).then(|| (kind, object_name(sig, start, end), role))
}

/// `ALTER {TABLE | SEQUENCE | VIEW | TYPE} [IF EXISTS] [ONLY] name SET SCHEMA schema`.
fn set_schema(sig: &[&TokenWithSpan]) -> Option<PgStatement> {
    let n = sig.len();
    if n < 6
        || !is_kw(sig.first(), "ALTER")
        || !is_kw(sig.get(n - 3), "SET")
        || !is_kw(sig.get(n - 2), "SCHEMA")
    {
        return None;
    }
    let kind = match &sig[1].token {
        Token::Word(w) => w.value.to_ascii_uppercase(),
        _ => return None,
    };
    if !["TABLE", "SEQUENCE", "VIEW", "TYPE"].contains(&kind.as_str()) {
        return None;
    }
    let mut start = 2;
    let if_exists = is_kw(sig.get(2), "IF") && is_kw(sig.get(3), "EXISTS");
    if if_exists {
        start += 2;
    }
    if is_kw(sig.get(start), "ONLY") {
        start += 1;
    }
    let end = name_end(sig, start)?;
    (end == n - 3).then(|| PgStatement::SetSchema {
        kind,
        name: object_name(sig, start, end),
        if_exists,
        schema: ident(sig[n - 1]).unwrap_or_else(|| ast::Ident::new("")),
    })
}

/// The sequence options, by the order sqlparser reads them in; `None` for clauses
/// sqlparser does not know.
fn option_rank(t: &TokenWithSpan, next: Option<&&TokenWithSpan>) -> Option<usize> {
    let Token::Word(w) = &t.token else {
        return None;
    };
    Some(match w.value.to_ascii_uppercase().as_str() {
        "INCREMENT" => 0,
        "MINVALUE" => 1,
        "MAXVALUE" => 2,
        "START" => 3,
        "CACHE" => 4,
        "CYCLE" => 5,
        "NO" if is_kw(next, "MINVALUE") => 1,
        "NO" if is_kw(next, "MAXVALUE") => 2,
        "NO" if is_kw(next, "CYCLE") => 5,
        _ => return None,
    })
}

/// The option clauses between `from` and `to`, each as (first, end) indexes into `sig`: a
/// clause runs from its keyword to the next clause keyword.
fn clauses(sig: &[&TokenWithSpan], from: usize, to: usize) -> Vec<(usize, usize)> {
    let starts_clause = |i: usize| {
        let t = sig[i];
        option_rank(t, sig.get(i + 1)).is_some() && !(i > from && is_kw(sig.get(i - 1), "NO"))
            || ["AS", "OWNED", "SEQUENCE", "RESTART", "RENAME", "SET"]
                .iter()
                .any(|k| is_kw(Some(&t), k))
    };
    let mut out: Vec<(usize, usize)> = Vec::new();
    for i in from..to {
        if starts_clause(i) || out.is_empty() {
            if let Some(last) = out.last_mut() {
                last.1 = i;
            }
            out.push((i, to));
        }
    }
    out
}

/// The statement with the option clauses of each range of `sig` (one per identity column of a
/// table, or a sequence's) put in sqlparser's order (`AS` first, `OWNED BY` last); `identity`
/// drops `SEQUENCE NAME`.
fn reorder_ranges(
    chunk: &[TokenWithSpan],
    sig: &[&TokenWithSpan],
    ranges: &[(usize, usize)],
    identity: bool,
) -> Vec<TokenWithSpan> {
    let space = |t: &TokenWithSpan| TokenWithSpan {
        token: Token::Whitespace(Whitespace::Space),
        span: t.span,
    };
    let mut out: Vec<TokenWithSpan> = Vec::new();
    let mut emit = |tokens: &[&TokenWithSpan]| {
        for t in tokens {
            out.push((*t).clone());
            out.push(space(t));
        }
    };
    let mut at = 0;
    for &(from, to) in ranges {
        emit(&sig[at..from]);
        let mut groups = clauses(sig, from, to);
        groups.retain(|&(s, _)| !(identity && is_kw(sig.get(s), "SEQUENCE")));
        groups.sort_by_key(|&(s, _)| {
            if is_kw(sig.get(s), "AS") {
                0
            } else if is_kw(sig.get(s), "OWNED") {
                20
            } else {
                option_rank(sig[s], sig.get(s + 1)).map_or(10, |r| r + 1)
            }
        });
        for (s, e) in groups {
            emit(&sig[s..e]);
        }
        at = to;
    }
    emit(&sig[at..]);
    if let Some(last) = chunk.last().filter(|t| t.token == Token::SemiColon) {
        out.push(last.clone());
    }
    out
}

/// Reads a signed integer at `at`.
fn integer(sig: &[&TokenWithSpan], at: usize) -> Option<(i64, usize)> {
    let (negative, at) = match sig.get(at).map(|t| &t.token) {
        Some(Token::Minus) => (true, at + 1),
        Some(Token::Plus) => (false, at + 1),
        _ => (false, at),
    };
    match sig.get(at).map(|t| &t.token) {
        Some(Token::Number(n, _)) => {
            let v: i64 = n.parse().ok()?;
            Some((if negative { -v } else { v }, at + 1))
        }
        _ => None,
    }
}

/// `ALTER SEQUENCE [IF EXISTS] name clause ...`.
fn alter_sequence(
    sql: &str,
    chunk: &[TokenWithSpan],
    sig: &[&TokenWithSpan],
) -> Result<PgStatement, ParseError> {
    let syntax = |at: Option<&&TokenWithSpan>| {
        let message = match at {
            Some(t) => format!("syntax error at or near \"{}\"", t.token),
            None => "syntax error at end of input".to_string(),
        };
        ParseError::from_parser(ParserError::ParserError(message), sql, chunk)
    };
    let mut start = 2;
    let if_exists = is_kw(sig.get(2), "IF") && is_kw(sig.get(3), "EXISTS");
    if if_exists {
        start = 4;
    }
    let end = name_end(sig, start).ok_or_else(|| syntax(sig.get(start)))?;
    let name = object_name(sig, start, end);
    let mut statement = AlterSequence {
        name,
        if_exists,
        data_type: None,
        options: Vec::new(),
        restart: None,
        owned_by: None,
        rename: None,
    };
    let mut options: Vec<TokenWithSpan> = Vec::new();
    for (s, e) in clauses(sig, end, sig.len()) {
        let first = sig[s];
        if is_kw(Some(&first), "RESTART") {
            let mut at = s + 1;
            if is_kw(sig.get(at), "WITH") {
                at += 1;
            }
            statement.restart = Some(match integer(sig, at) {
                Some((v, next)) if next == e => Some(v),
                None if at == e => None,
                _ => return Err(syntax(sig.get(at))),
            });
        } else if is_kw(Some(&first), "OWNED") {
            if !is_kw(sig.get(s + 1), "BY") {
                return Err(syntax(sig.get(s + 1)));
            }
            statement.owned_by = Some(if is_kw(sig.get(s + 2), "NONE") && e == s + 3 {
                None
            } else {
                match name_end(sig, s + 2) {
                    Some(n) if n == e => Some(object_name(sig, s + 2, e)),
                    _ => return Err(syntax(sig.get(s + 2))),
                }
            });
        } else if is_kw(Some(&first), "RENAME") {
            match (
                is_kw(sig.get(s + 1), "TO"),
                sig.get(s + 2).and_then(|t| ident(t)),
            ) {
                (true, Some(to)) if e == s + 3 => statement.rename = Some(to),
                _ => return Err(syntax(sig.get(s + 1))),
            }
        } else if is_kw(Some(&first), "AS") || option_rank(first, sig.get(s + 1)).is_some() {
            options.extend(sig[s..e].iter().map(|t| (*t).clone()));
        } else {
            return Err(syntax(Some(&first)));
        }
    }
    if !options.is_empty() {
        // Read the options as CREATE SEQUENCE's, in sqlparser's order.
        let create: Vec<TokenWithSpan> = ["CREATE", "SEQUENCE", "s"]
            .iter()
            .map(|w| TokenWithSpan::wrap(Token::make_word(w, None)))
            .chain(options)
            .collect();
        let create_sig: Vec<&TokenWithSpan> = create.iter().collect();
        let tokens = reorder_ranges(&create, &create_sig, &[(3, create_sig.len())], false);
        let parsed = Parser::new(&PostgreSqlDialect {})
            .with_tokens_with_locations(tokens)
            .parse_statement()
            .map_err(|e| ParseError::from_parser(e, sql, chunk))?;
        if let ast::Statement::CreateSequence {
            data_type,
            sequence_options,
            ..
        } = parsed
        {
            statement.data_type = data_type;
            statement.options = sequence_options;
        }
    }
    if statement.options.is_empty()
        && statement.data_type.is_none()
        && statement.restart.is_none()
        && statement.owned_by.is_none()
        && statement.rename.is_none()
    {
        return Err(syntax(sig.get(end)));
    }
    Ok(PgStatement::AlterSequence(statement))
}
