//! COPY FROM STDIN and COPY TO STDOUT, in text, CSV and binary formats.
//!
//! The SQL layer knows nothing of COPY: this module turns it into statements the session
//! runs. `COPY t (a, b) FROM STDIN` prepares `INSERT INTO t (a, b) VALUES ($1, $2)` (so the
//! parameters take the columns' types), collects the CopyData messages, and on CopyDone
//! parses the rows and executes the insert once per row, all in one transaction (the open
//! block, or one of its own). `COPY t TO STDOUT` and `COPY (query) TO STDOUT` run the
//! query and send each row as a CopyData message.
//!
//! The formats are PostgreSQL's: text (tab-separated, `\N` for NULL, backslash escapes, a
//! `\.` line ends the data), CSV (`"` quoting, an unquoted empty field is NULL, optional
//! HEADER) and binary (`PGCOPY\n\377\r\n\0`, then per row a field count and each field's
//! length and bytes, then -1).

use std::sync::Arc;

use anchor_grammar::ast;
use anchor_query::error::{Error, Result, SqlState};
use anchor_query::prepared::Prepared;
use anchor_query::session::Session;
use anchor_query::types::{DataType, Settings, Value};
use bytes::{BufMut, BytesMut};

use crate::codec;

/// The binary format's signature.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// A COPY data format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Csv,
    Binary,
}

/// The options of a COPY statement.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) format: Format,
    delimiter: char,
    null: String,
    header: bool,
    quote: char,
    escape: char,
}

/// What a COPY statement asks for.
pub(crate) enum Plan {
    /// COPY ... FROM STDIN: the table, and its columns (none: all of them).
    In {
        table: String,
        columns: Vec<String>,
        options: Options,
    },
    /// COPY ... TO STDOUT: the query whose rows go out.
    Out { query: String, options: Options },
}

/// A COPY FROM STDIN under way: the insert to run per row and the data received so far.
pub(crate) struct CopyIn {
    pub(crate) insert: Arc<Prepared>,
    /// The columns' names, for errors.
    pub(crate) names: Vec<String>,
    pub(crate) options: Options,
    pub(crate) data: Vec<u8>,
}

fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::unsupported(format!("COPY {what}"))
}

fn single_char(what: &str) -> Error {
    Error::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("COPY {what} must be a single one-byte character"),
    )
}

/// True if `sql` starts with the keyword COPY (after whitespace and comments): only such
/// strings are parsed here to look for a COPY.
pub(crate) fn looks_like_copy(sql: &str) -> bool {
    let mut s = sql;
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    s.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("copy"))
        && !s[4..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
}

/// Parses a COPY statement, also in spellings sqlparser does not read: PostgreSQL accepts
/// `on`/`off` (and `1`/`0`) for boolean options (`WITH (FREEZE ON)`, pgbench's).
pub(crate) fn parse(sql: &str) -> Option<Vec<anchor_grammar::Statement>> {
    if let Ok(stmts) = anchor_grammar::parse(sql) {
        return Some(stmts);
    }
    let boolean = regex::Regex::new(r"(?i)\b(freeze|header)\s+(on|off|1|0)\b").ok()?;
    let fixed = boolean.replace_all(sql, |c: &regex::Captures| {
        let on = matches!(c[2].to_ascii_lowercase().as_str(), "on" | "1");
        format!("{} {}", &c[1], if on { "true" } else { "false" })
    });
    anchor_grammar::parse(&fixed).ok()
}

/// Reads a COPY statement; `None` for any other statement.
pub(crate) fn plan(stmt: &ast::Statement) -> Option<Result<Plan>> {
    let ast::Statement::Copy {
        source,
        to,
        target,
        options,
        legacy_options,
        values,
    } = stmt
    else {
        return None;
    };
    Some(plan_copy(
        source,
        *to,
        target,
        options,
        legacy_options,
        values,
    ))
}

fn plan_copy(
    source: &ast::CopySource,
    to: bool,
    target: &ast::CopyTarget,
    options: &[ast::CopyOption],
    legacy: &[ast::CopyLegacyOption],
    values: &[Option<String>],
) -> Result<Plan> {
    match (to, target) {
        (false, ast::CopyTarget::Stdin) | (true, ast::CopyTarget::Stdout) => {}
        _ => return Err(unsupported("to or from a file or program")),
    }
    if !values.is_empty() {
        return Err(unsupported("with inline data"));
    }
    let mut format = Format::Text;
    let mut delimiter = None;
    let mut null = None;
    let mut header = false;
    let mut quote = '"';
    let mut escape = None;
    for option in options {
        match option {
            ast::CopyOption::Format(name) => {
                format = match name.value.to_lowercase().as_str() {
                    "text" => Format::Text,
                    "csv" => Format::Csv,
                    "binary" => Format::Binary,
                    other => {
                        return Err(Error::new(
                            SqlState::INVALID_PARAMETER_VALUE,
                            format!("COPY format \"{other}\" not recognized"),
                        ));
                    }
                }
            }
            ast::CopyOption::Freeze(_) => {}
            ast::CopyOption::Delimiter(c) => delimiter = Some(*c),
            ast::CopyOption::Null(s) => null = Some(s.clone()),
            ast::CopyOption::Header(h) => header = *h,
            ast::CopyOption::Quote(c) => quote = *c,
            ast::CopyOption::Escape(c) => escape = Some(*c),
            ast::CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf8") => {}
            other => return Err(unsupported(other)),
        }
    }
    for option in legacy {
        match option {
            ast::CopyLegacyOption::Binary => format = Format::Binary,
            ast::CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
            ast::CopyLegacyOption::Null(s) => null = Some(s.clone()),
            ast::CopyLegacyOption::Header => header = true,
            ast::CopyLegacyOption::Csv(csv) => {
                format = Format::Csv;
                for o in csv {
                    match o {
                        ast::CopyLegacyCsvOption::Header => header = true,
                        ast::CopyLegacyCsvOption::Quote(c) => quote = *c,
                        ast::CopyLegacyCsvOption::Escape(c) => escape = Some(*c),
                        other => return Err(unsupported(other)),
                    }
                }
            }
            other => return Err(unsupported(other)),
        }
    }
    let delimiter = delimiter.unwrap_or(if format == Format::Csv { ',' } else { '\t' });
    if !delimiter.is_ascii() {
        return Err(single_char("delimiter"));
    }
    if format == Format::Binary && (header || null.is_some()) {
        return Err(Error::new(
            SqlState::SYNTAX_ERROR,
            "cannot specify HEADER or NULL in BINARY mode",
        ));
    }
    if format == Format::Text && header {
        return Err(Error::unsupported("COPY HEADER in text format"));
    }
    let escape = escape.unwrap_or(quote);
    if !quote.is_ascii() || !escape.is_ascii() {
        return Err(single_char("quote and escape"));
    }
    let options = Options {
        format,
        delimiter,
        null: null.unwrap_or_else(|| {
            if format == Format::Csv {
                String::new()
            } else {
                "\\N".into()
            }
        }),
        header,
        quote,
        escape,
    };
    match source {
        ast::CopySource::Table {
            table_name,
            columns,
        } => {
            let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            if to {
                let list = if columns.is_empty() {
                    "*".to_string()
                } else {
                    columns.join(", ")
                };
                Ok(Plan::Out {
                    query: format!("SELECT {list} FROM {table_name}"),
                    options,
                })
            } else {
                Ok(Plan::In {
                    table: table_name.to_string(),
                    columns,
                    options,
                })
            }
        }
        ast::CopySource::Query(query) if to => Ok(Plan::Out {
            query: query.to_string(),
            options,
        }),
        ast::CopySource::Query(_) => Err(Error::new(
            SqlState::SYNTAX_ERROR,
            "COPY FROM cannot take a query",
        )),
    }
}

/// Quotes an identifier for SQL.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Prepares the insert of a COPY FROM: with no column list, every column of the table.
pub(crate) fn prepare_in(
    session: &mut Session,
    table: &str,
    columns: &[String],
) -> Result<(Arc<Prepared>, Vec<String>)> {
    let (columns, names) = if columns.is_empty() {
        let all = session.prepare(&format!("SELECT * FROM {table}"), &[])?;
        all.columns
            .iter()
            .map(|(name, _)| (quote_ident(name), name.clone()))
            .unzip()
    } else {
        let names = columns
            .iter()
            .map(|c| c.trim_matches('"').to_lowercase())
            .collect();
        (columns.to_vec(), names)
    };
    let params: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let insert = session.prepare(
        &format!(
            "INSERT INTO {table} ({}) OVERRIDING SYSTEM VALUE VALUES ({})",
            columns.join(", "),
            params.join(", ")
        ),
        &[],
    )?;
    Ok((insert, names))
}

/// Runs a COPY FROM's insert for every row of its data, in one transaction; returns the
/// number of rows.
pub(crate) fn finish_in(session: &mut Session, copy: &CopyIn) -> Result<usize> {
    let settings = session.settings().clone();
    let rows = parse_rows(
        &copy.data,
        &copy.options,
        &copy.insert.param_types,
        &copy.names,
        &settings,
    )?;
    let own = !session.in_transaction();
    if own {
        first_error(session.execute("BEGIN"))?;
    }
    let mut result = Ok(rows.len());
    for row in &rows {
        if let Err(e) = session.execute_prepared(&copy.insert, row) {
            result = Err(e);
            break;
        }
    }
    if result.is_err() {
        session.fail_block();
    }
    if own {
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        first_error(session.execute(end))?;
    }
    result
}

fn first_error(results: Vec<Result<anchor_query::StatementResult>>) -> Result<()> {
    results.into_iter().try_for_each(|r| r.map(|_| ()))
}

/// 22P04, PostgreSQL's error for malformed COPY data.
fn bad_copy(message: impl Into<String>) -> Error {
    Error::new(SqlState("22P04"), message)
}

/// Parses COPY data into rows of values of `types`.
fn parse_rows(
    data: &[u8],
    options: &Options,
    types: &[DataType],
    names: &[String],
    settings: &Settings,
) -> Result<Vec<Vec<Value>>> {
    if options.format == Format::Binary {
        return parse_binary(data, types, settings);
    }
    let text = std::str::from_utf8(data).map_err(|_| {
        Error::new(
            SqlState::CHARACTER_NOT_IN_REPERTOIRE,
            "invalid byte sequence for encoding \"UTF8\"",
        )
    })?;
    let records = match options.format {
        Format::Csv => csv_records(text, options)?,
        _ => text_records(text, options)?,
    };
    let skip = usize::from(options.header);
    records
        .into_iter()
        .skip(skip)
        .map(|fields| {
            if fields.len() < types.len() {
                let name = names.get(fields.len()).map_or("", String::as_str);
                return Err(bad_copy(format!("missing data for column \"{name}\"")));
            }
            if fields.len() > types.len() {
                return Err(bad_copy("extra data after last expected column"));
            }
            fields
                .into_iter()
                .zip(types)
                .map(|(f, ty)| match f {
                    None => Ok(Value::Null),
                    Some(s) => Value::from_text(&s, ty, settings),
                })
                .collect()
        })
        .collect()
}

/// The records of text-format data: fields split at the delimiter, `\N` (the NULL string)
/// as NULL, backslash escapes decoded; a `\.` line ends the data.
fn text_records(text: &str, options: &Options) -> Result<Vec<Vec<Option<String>>>> {
    let mut records = Vec::new();
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() {
        Vec::new()
    } else {
        body.split('\n').collect()
    };
    for line in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line == "\\." {
            break;
        }
        let mut fields = Vec::new();
        let mut raw = String::new();
        let mut chars = line.chars().peekable();
        let mut field = String::new();
        loop {
            match chars.next() {
                None => {
                    fields.push(text_field(&raw, field, options));
                    break;
                }
                Some(c) if c == options.delimiter => {
                    fields.push(text_field(&raw, std::mem::take(&mut field), options));
                    raw.clear();
                }
                Some('\\') => {
                    raw.push('\\');
                    let Some(e) = chars.next() else {
                        return Err(bad_copy("end-of-copy marker corrupt"));
                    };
                    raw.push(e);
                    match e {
                        'b' => field.push('\u{8}'),
                        'f' => field.push('\u{c}'),
                        'n' => field.push('\n'),
                        'r' => field.push('\r'),
                        't' => field.push('\t'),
                        'v' => field.push('\u{b}'),
                        '0'..='7' => {
                            let mut value = e.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match chars.peek().and_then(|d| d.to_digit(8)) {
                                    Some(d) => {
                                        value = value * 8 + d;
                                        raw.push(chars.next().unwrap_or('0'));
                                    }
                                    None => break,
                                }
                            }
                            field.push(char::from_u32(value & 0xFF).unwrap_or('\0'));
                        }
                        'x' => {
                            let mut value = 0;
                            let mut digits = 0;
                            while digits < 2 {
                                match chars.peek().and_then(|d| d.to_digit(16)) {
                                    Some(d) => {
                                        value = value * 16 + d;
                                        raw.push(chars.next().unwrap_or('0'));
                                        digits += 1;
                                    }
                                    None => break,
                                }
                            }
                            if digits == 0 {
                                field.push('x');
                            } else {
                                field.push(char::from_u32(value).unwrap_or('\0'));
                            }
                        }
                        other => field.push(other),
                    }
                }
                Some(c) => {
                    raw.push(c);
                    field.push(c);
                }
            }
        }
        records.push(fields);
    }
    Ok(records)
}

fn text_field(raw: &str, field: String, options: &Options) -> Option<String> {
    if raw == options.null {
        None
    } else {
        Some(field)
    }
}

/// The records of CSV data.
fn csv_records(text: &str, options: &Options) -> Result<Vec<Vec<Option<String>>>> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        // Each record starts a line: the end of the data, or the `\.` end marker.
        let rest: String = chars.clone().take(3).collect();
        if rest == "\\." || rest == "\\.\n" || rest == "\\.\r" || chars.peek().is_none() {
            break;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut in_quotes = false;
        loop {
            match chars.next() {
                None => {
                    if in_quotes {
                        return Err(bad_copy("unterminated CSV quoted field"));
                    }
                    fields.push(csv_field(field, quoted, options));
                    break;
                }
                Some(c) if in_quotes => {
                    if c == options.escape && chars.peek() == Some(&options.quote) {
                        chars.next();
                        field.push(options.quote);
                    } else if c == options.quote {
                        in_quotes = false;
                    } else {
                        field.push(c);
                    }
                }
                Some(c) if c == options.quote => {
                    in_quotes = true;
                    quoted = true;
                }
                Some(c) if c == options.delimiter => {
                    fields.push(csv_field(std::mem::take(&mut field), quoted, options));
                    quoted = false;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some('\n') | Some('\r') => {
                    fields.push(csv_field(field, quoted, options));
                    break;
                }
                Some(c) => field.push(c),
            }
        }
        records.push(fields);
    }
    Ok(records)
}

fn csv_field(field: String, quoted: bool, options: &Options) -> Option<String> {
    if !quoted && field == options.null {
        None
    } else {
        Some(field)
    }
}

/// The rows of binary COPY data.
fn parse_binary(data: &[u8], types: &[DataType], settings: &Settings) -> Result<Vec<Vec<Value>>> {
    let bad = || bad_copy("invalid COPY file header or data");
    let rest = data
        .strip_prefix(SIGNATURE)
        .ok_or_else(|| bad_copy("COPY file signature not recognized"))?;
    let take = |rest: &mut &[u8], n: usize| -> Result<Vec<u8>> {
        if rest.len() < n {
            return Err(bad());
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Ok(head.to_vec())
    };
    let mut rest = rest;
    let _flags = take(&mut rest, 4)?;
    let ext = take(&mut rest, 4)?;
    let ext = u32::from_be_bytes([ext[0], ext[1], ext[2], ext[3]]) as usize;
    take(&mut rest, ext)?;
    let mut rows = Vec::new();
    loop {
        let count = take(&mut rest, 2)?;
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            break;
        }
        if count as usize != types.len() {
            return Err(bad_copy(format!(
                "row field count is {count}, expected {}",
                types.len()
            )));
        }
        let mut row = Vec::with_capacity(types.len());
        for ty in types {
            let len = take(&mut rest, 4)?;
            let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
            if len < 0 {
                row.push(Value::Null);
            } else {
                let bytes = take(&mut rest, len as usize)?;
                row.push(codec::decode_param(&bytes, ty, true, settings)?);
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The CopyData payloads of a COPY TO: one per row (and the binary header and trailer).
pub(crate) fn encode_out(
    rows: &[Vec<Value>],
    columns: &[(String, DataType)],
    options: &Options,
    settings: &Settings,
) -> Result<Vec<BytesMut>> {
    let mut out = Vec::with_capacity(rows.len() + 2);
    match options.format {
        Format::Binary => {
            let mut header = BytesMut::new();
            header.put_slice(SIGNATURE);
            header.put_i32(0);
            header.put_i32(0);
            out.push(header);
            for row in rows {
                let mut buf = BytesMut::new();
                buf.put_i16(columns.len() as i16);
                for (i, (_, ty)) in columns.iter().enumerate() {
                    codec::put_field(
                        &mut buf,
                        row.get(i).unwrap_or(&Value::Null),
                        ty,
                        true,
                        settings,
                    )?;
                }
                out.push(buf);
            }
            let mut trailer = BytesMut::new();
            trailer.put_i16(-1);
            out.push(trailer);
        }
        Format::Text | Format::Csv => {
            if options.header {
                let names: Vec<String> = columns
                    .iter()
                    .map(|(n, _)| csv_value(n, options, true))
                    .collect();
                out.push(line(&names, options));
            }
            for row in rows {
                let fields: Vec<String> = (0..columns.len())
                    .map(|i| match row.get(i).and_then(|v| v.to_text(settings)) {
                        None => options.null.clone(),
                        Some(s) if options.format == Format::Csv => csv_value(&s, options, false),
                        Some(s) => text_value(&s, options.delimiter),
                    })
                    .collect();
                out.push(line(&fields, options));
            }
        }
    }
    Ok(out)
}

fn line(fields: &[String], options: &Options) -> BytesMut {
    let mut buf = BytesMut::new();
    buf.put_slice(fields.join(&options.delimiter.to_string()).as_bytes());
    buf.put_u8(b'\n');
    buf
}

/// A value in text format: backslash escapes for the backslash, the delimiter and control
/// characters.
fn text_value(s: &str, delimiter: char) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' if delimiter == '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if c == delimiter => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A value in CSV: quoted when it holds the delimiter, the quote, a line break, or looks
/// like the NULL string (an empty string is `""`).
fn csv_value(s: &str, options: &Options, header: bool) -> String {
    let needs = s.contains(options.delimiter)
        || s.contains(options.quote)
        || s.contains('\n')
        || s.contains('\r')
        || (!header && s == options.null)
        || s == "\\.";
    if !needs {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push(options.quote);
    for c in s.chars() {
        if c == options.quote || c == options.escape {
            out.push(options.escape);
        }
        out.push(c);
    }
    out.push(options.quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(format: Format) -> Options {
        Options {
            format,
            delimiter: if format == Format::Csv { ',' } else { '\t' },
            null: if format == Format::Csv {
                String::new()
            } else {
                "\\N".into()
            },
            header: false,
            quote: '"',
            escape: '"',
        }
    }

    #[test]
    fn text_records_decode_escapes_and_nulls() {
        let records = text_records(
            "1\ta\\tb\t\\N\n2\t\\\\x\t\n\\.\nignored\n",
            &options(Format::Text),
        )
        .unwrap();
        assert_eq!(
            records,
            vec![
                vec![Some("1".into()), Some("a\tb".into()), None],
                vec![Some("2".into()), Some("\\x".into()), Some("".into())],
            ]
        );
    }

    #[test]
    fn csv_records_quote_and_null() {
        let records = csv_records(
            "1,\"a,\"\"b\"\"\",\n2,\"\",\"x\ny\"\n",
            &options(Format::Csv),
        )
        .unwrap();
        assert_eq!(
            records,
            vec![
                vec![Some("1".into()), Some("a,\"b\"".into()), None],
                vec![Some("2".into()), Some("".into()), Some("x\ny".into())],
            ]
        );
        assert!(csv_records("\"open", &options(Format::Csv)).is_err());
    }

    #[test]
    fn values_escape_for_output() {
        assert_eq!(text_value("a\tb\\c\n", '\t'), "a\\tb\\\\c\\n");
        let csv = options(Format::Csv);
        assert_eq!(csv_value("plain", &csv, false), "plain");
        assert_eq!(csv_value("", &csv, false), "\"\"");
        assert_eq!(csv_value("a,\"b\"", &csv, false), "\"a,\"\"b\"\"\"");
    }
}
