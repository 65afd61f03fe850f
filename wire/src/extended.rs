//! The extended query protocol: Parse, Bind, Describe, Execute, Close, Flush and Sync.
//!
//! `pgwire` keeps the named and unnamed statements and portals and skips to Sync after an
//! error; this module answers each message:
//!
//! * Parse prepares the statement in the session ([`Session::prepare`]): the parameter
//!   types are the client's (OID 0 or `unknown`: inferred from context) and the result
//!   columns are known before execution.
//! * Bind checks the counts of parameters and format codes (08P01, as PostgreSQL) and
//!   decodes the parameters, text or binary, into values of the parameters' types.
//! * Describe answers ParameterDescription and RowDescription (or NoData) from the
//!   prepared statement; a portal's RowDescription carries its result formats.
//! * Execute runs the portal once and keeps its encoded rows, so that Execute with a row
//!   limit sends them in slices, each but the last ending in PortalSuspended.
//! * Sync answers ReadyForQuery with the session's status (and ParameterStatus for
//!   changed settings first).
//!
//! An error in any message inside a transaction block fails the block, as in PostgreSQL.
//!
//! [`Session::prepare`]: anchor_query::session::Session::prepare

use std::fmt::Debug;
use std::sync::Arc;

use anchor_query::error::{Error, SqlState};
use anchor_query::prepared::Prepared;
use anchor_query::types::{DataType, Value};
use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Close, CloseComplete, Describe, Execute, Parse, ParseComplete,
    PortalSuspended, Sync as PgSync, TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse};

use crate::conn::{
    Conn, Executed, PortalState, encode_rows, protocol_violation, row_description, user_error,
};
use crate::{codec, copy, simple};

/// A prepared statement as `pgwire` stores it: one the session prepared, or a COPY (which
/// the session does not know; see `copy`).
#[derive(Clone)]
pub(crate) enum Stmt {
    Sql(Arc<Prepared>),
    Copy(String),
}

impl Stmt {
    fn param_types(&self) -> &[DataType] {
        match self {
            Stmt::Sql(p) => &p.param_types,
            Stmt::Copy(_) => &[],
        }
    }

    fn columns(&self) -> &[(String, DataType)] {
        match self {
            Stmt::Sql(p) => &p.columns,
            Stmt::Copy(_) => &[],
        }
    }
}

/// True if `sql` is one COPY statement.
fn is_copy(sql: &str) -> bool {
    copy::looks_like_copy(sql)
        && matches!(copy::parse(sql).as_deref(),
            Some([anchor_grammar::Statement::Sql(stmt)]) if copy::plan(stmt).is_some())
}

/// The parameter type a client's OID asks for: `unknown` (inferred) for 0, `unknown` and
/// OIDs Anchor does not know.
fn declared_type(oid: Option<&Type>) -> DataType {
    oid.and_then(|t| DataType::from_oid(t.oid()))
        .unwrap_or(DataType::Unknown)
}

/// The `pgwire` type of an Anchor type (for `pgwire`'s own describe path).
fn pg_type(ty: &DataType) -> Type {
    Type::from_oid(ty.oid()).unwrap_or(Type::UNKNOWN)
}

/// True if column `i` goes out in binary under `format` (a short list of codes is a
/// protocol violation Bind already refused; treat it as text here).
fn is_binary(format: &Format, i: usize) -> bool {
    match format {
        Format::UnifiedText => false,
        Format::UnifiedBinary => true,
        Format::Individual(codes) => codes.get(i) == Some(&1),
    }
}

/// The name of a statement or portal as PostgreSQL prints it (`""` for the unnamed one).
fn shown(name: &str) -> &str {
    if name == DEFAULT_NAME { "" } else { name }
}

/// Parses SQL into prepared statements.
#[derive(Default)]
pub(crate) struct Parser;

#[async_trait]
impl QueryParser for Parser {
    type Statement = Stmt;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Stmt>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let conn = Conn::of(client)?;
        if is_copy(sql) {
            return Ok(Some(Stmt::Copy(sql.to_string())));
        }
        let declared: Vec<DataType> = types.iter().map(|t| declared_type(t.as_ref())).collect();
        let sql = sql.to_string();
        let prepared = conn
            .run(move |session| session.prepare(&sql, &declared))
            .await?
            .map_err(|e| user_error(&e))?;
        Ok((!prepared.is_empty()).then_some(Stmt::Sql(prepared)))
    }

    fn get_parameter_types(&self, stmt: &Stmt) -> PgWireResult<Vec<Type>> {
        Ok(stmt.param_types().iter().map(pg_type).collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Stmt,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(stmt
            .columns()
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| {
                let binary = format.is_some_and(|f| is_binary(f, i));
                FieldInfo::new(
                    name.clone(),
                    None,
                    None,
                    pg_type(ty),
                    if binary {
                        pgwire::api::results::FieldFormat::Binary
                    } else {
                        pgwire::api::results::FieldFormat::Text
                    },
                )
                .with_type_size(ty.typlen())
                .with_type_modifier(ty.typmod())
            })
            .collect())
    }
}

/// The extended query handler.
#[derive(Default)]
pub(crate) struct Extended {
    parser: Arc<Parser>,
}

/// Marks the session's transaction block failed after an error in a message, and passes
/// the error on.
fn failing<T>(conn: &Conn, result: PgWireResult<T>) -> PgWireResult<T> {
    if result.is_err() {
        conn.session.lock().fail_block();
    }
    result
}

/// 26000 for a statement that does not exist.
fn no_statement(name: &str) -> PgWireError {
    user_error(&Error::new(
        SqlState::INVALID_SQL_STATEMENT_NAME,
        format!("prepared statement \"{}\" does not exist", shown(name)),
    ))
}

/// 34000 for a portal that does not exist.
fn no_portal(name: &str) -> PgWireError {
    user_error(&Error::new(
        SqlState::INVALID_CURSOR_NAME,
        format!("portal \"{}\" does not exist", shown(name)),
    ))
}

/// Checks a Bind message against its statement and decodes its parameters.
fn bind_params(conn: &Conn, message: &Bind, stmt: &Stmt, name: &str) -> PgWireResult<Vec<Value>> {
    if conn.session.lock().is_failed() {
        return Err(user_error(&Error::new(
            SqlState::IN_FAILED_SQL_TRANSACTION,
            "current transaction is aborted, commands ignored until end of transaction block",
        )));
    }
    let types = stmt.param_types();
    if message.parameters.len() != types.len() {
        return Err(protocol_violation(format!(
            "bind message supplies {} parameters, but prepared statement \"{}\" requires {}",
            message.parameters.len(),
            shown(name),
            types.len()
        )));
    }
    let formats = &message.parameter_format_codes;
    if formats.len() > 1 && formats.len() != types.len() {
        return Err(protocol_violation(format!(
            "bind message has {} parameter formats but {} parameters",
            formats.len(),
            types.len()
        )));
    }
    let results = &message.result_column_format_codes;
    if results.len() > 1 && results.len() != stmt.columns().len() {
        return Err(protocol_violation(format!(
            "bind message has {} result formats but query has {} columns",
            results.len(),
            stmt.columns().len()
        )));
    }
    if let Some(code) = formats.iter().chain(results).find(|c| !matches!(c, 0 | 1)) {
        return Err(user_error(&Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("unsupported format code: {code}"),
        )));
    }
    let settings = conn.session.lock().settings().clone();
    let binary = |i: usize| match formats.as_slice() {
        [] => false,
        [one] => *one == 1,
        many => many.get(i) == Some(&1),
    };
    message
        .parameters
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (bytes, ty))| match bytes {
            None => Ok(Value::Null),
            Some(bytes) => {
                codec::decode_param(bytes, ty, binary(i), &settings).map_err(|e| user_error(&e))
            }
        })
        .collect()
}

#[async_trait]
impl ExtendedQueryHandler for Extended {
    type Statement = Stmt;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        // Only the unnamed statement is replaced by a new Parse.
        if name != DEFAULT_NAME && client.portal_store().get_statement(&name).is_some() {
            return failing(
                &conn,
                Err(user_error(&Error::new(
                    SqlState::DUPLICATE_PREPARED_STATEMENT,
                    format!("prepared statement \"{name}\" already exists"),
                ))),
            );
        }
        let parsed = StoredStatement::parse(client, &message, self.parser.clone()).await;
        match failing(&conn, parsed)? {
            Some(stmt) => client.portal_store().put_statement(Arc::new(stmt)),
            None => client.portal_store().put_empty_statement(&name),
        }
        client
            .send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal_name = message
            .portal_name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        conn.portals.lock().remove(&portal_name);
        match client.portal_store().get_statement(statement_name) {
            Some(Entry::Value(statement)) => {
                let params = failing(
                    &conn,
                    bind_params(&conn, &message, &statement.statement, statement_name),
                )?;
                let portal = Arc::new(Portal::try_new(&message, statement)?);
                conn.portals.lock().insert(
                    portal_name,
                    PortalState {
                        id: Arc::as_ptr(&portal) as usize,
                        params,
                        result: None,
                    },
                );
                client.portal_store().put_portal(portal);
            }
            Some(Entry::Empty) => {
                if !message.parameters.is_empty() {
                    return failing(
                        &conn,
                        Err(protocol_violation(format!(
                            "bind message supplies {} parameters, but prepared statement \"{}\" requires 0",
                            message.parameters.len(),
                            shown(statement_name)
                        ))),
                    );
                }
                client.portal_store().put_empty_portal(&portal_name);
            }
            None => return failing(&conn, Err(no_statement(statement_name))),
        }
        client
            .send(PgWireBackendMessage::BindComplete(BindComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let (params, columns, format) = match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
                Some(Entry::Value(stmt)) => (
                    Some(stmt.statement.param_types().to_vec()),
                    stmt.statement.columns().to_vec(),
                    Format::UnifiedText,
                ),
                Some(Entry::Empty) => (Some(Vec::new()), Vec::new(), Format::UnifiedText),
                None => return failing(&conn, Err(no_statement(name))),
            },
            TARGET_TYPE_BYTE_PORTAL => match client.portal_store().get_portal(name) {
                Some(Entry::Value(portal)) => (
                    None,
                    portal.statement.statement.columns().to_vec(),
                    portal.result_column_format.clone(),
                ),
                Some(Entry::Empty) => (None, Vec::new(), Format::UnifiedText),
                None => return failing(&conn, Err(no_portal(name))),
            },
            other => {
                return failing(
                    &conn,
                    Err(protocol_violation(format!(
                        "invalid DESCRIBE message subtype {other}"
                    ))),
                );
            }
        };
        if let Some(params) = params {
            client
                .feed(PgWireBackendMessage::ParameterDescription(
                    ParameterDescription::new(params.iter().map(DataType::oid).collect()),
                ))
                .await?;
        }
        if columns.is_empty() {
            client
                .send(PgWireBackendMessage::NoData(NoData::new()))
                .await?;
        } else {
            let description = row_description(&columns, &|i| is_binary(&format, i));
            client
                .send(PgWireBackendMessage::RowDescription(description))
                .await?;
        }
        Ok(())
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal = match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => portal,
            Some(Entry::Empty) => {
                client
                    .send(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
                return Ok(());
            }
            None => return failing(&conn, Err(no_portal(name))),
        };
        let id = Arc::as_ptr(&portal) as usize;
        let state = conn.portals.lock().remove(name).filter(|s| s.id == id);
        let Some(mut state) = state else {
            return failing(&conn, Err(no_portal(name)));
        };
        let prepared = match &portal.statement.statement {
            Stmt::Sql(prepared) => prepared.clone(),
            Stmt::Copy(sql) => {
                let sql = sql.clone();
                let outcome = conn
                    .run(move |session| {
                        simple::run_copy(session, &sql)
                            .unwrap_or_else(|| simple::Outcome::Answers(Vec::new()))
                    })
                    .await?;
                let sent = simple::send_copy(client, &conn, outcome, true).await;
                return failing(&conn, sent);
            }
        };
        client.set_state(PgWireConnectionState::QueryInProgress);
        let executed = match state.result.take() {
            Some(executed) => executed,
            None => {
                let format = portal.result_column_format.clone();
                let params = std::mem::take(&mut state.params);
                let result = conn
                    .run(move |session| {
                        let r = session.execute_prepared(&prepared, &params)?;
                        let settings = session.settings().clone();
                        let rows = encode_rows(
                            &r.rows,
                            &r.columns,
                            &|i| is_binary(&format, i),
                            &settings,
                        )?;
                        Ok::<_, Error>(Executed {
                            rows,
                            next: 0,
                            has_rows: !r.columns.is_empty(),
                            tag: r.tag,
                        })
                    })
                    .await?;
                client.set_state(PgWireConnectionState::ReadyForQuery);
                failing(&conn, result.map_err(|e| user_error(&e)))?
            }
        };
        let mut executed = executed;
        let limit = usize::try_from(message.max_rows).ok().filter(|n| *n > 0);
        let end = match limit {
            Some(n) => executed.rows.len().min(executed.next.saturating_add(n)),
            None => executed.rows.len(),
        };
        let whole = executed.next == 0 && end == executed.rows.len();
        let sent = end - executed.next;
        for row in &executed.rows[executed.next..end] {
            client
                .feed(PgWireBackendMessage::DataRow(row.clone()))
                .await?;
        }
        executed.next = end;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        // As in PostgreSQL, an Execute that fills its row limit suspends the portal even
        // when no row is left; the next one completes it.
        if executed.has_rows && limit == Some(sent) {
            client
                .send(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()))
                .await?;
        } else {
            // A portal run in slices counts the rows of this Execute, as PostgreSQL does.
            let tag = match executed.tag.rsplit_once(' ') {
                Some((head, count)) if !whole && count.parse::<u64>().is_ok() => {
                    format!("{head} {sent}")
                }
                _ => executed.tag.clone(),
            };
            client
                .send(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    tag,
                )))
                .await?;
        }
        state.result = Some(executed);
        conn.portals.lock().insert(name.to_string(), state);
        Ok(())
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        client.portal_store().rm_portal(DEFAULT_NAME);
        conn.portals.lock().remove(DEFAULT_NAME);
        conn.ready(client).await?;
        client.flush().await?;
        Ok(())
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => client.portal_store().rm_statement(name),
            TARGET_TYPE_BYTE_PORTAL => {
                client.portal_store().rm_portal(name);
                conn.portals.lock().remove(name);
            }
            other => {
                return failing(
                    &conn,
                    Err(protocol_violation(format!(
                        "invalid CLOSE message subtype {other}"
                    ))),
                );
            }
        }
        client
            .send(PgWireBackendMessage::CloseComplete(CloseComplete::new()))
            .await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        _client: &mut C,
        _portal: &Portal<Stmt>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Stmt>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_execute` answers every Execute itself.
        Ok(Response::EmptyQuery)
    }
}
