//! The simple query protocol: a Query message runs every statement of its string.
//!
//! Each statement answers RowDescription, DataRows (text format) and CommandComplete, or
//! CommandComplete alone; the first error ends the string with an ErrorResponse. A string
//! with no statement (empty, only `;`, only comments such as Grafana's `-- ping`) answers
//! EmptyQueryResponse. ReadyForQuery then carries the session's transaction status.
//!
//! A COPY statement (alone in its string) switches to the COPY sub-protocol instead (see
//! [`crate::copy`]); this module also holds the handler of its CopyData, CopyDone and
//! CopyFail messages, and the sending of a COPY's start or of all of a COPY TO, shared with
//! Execute.

use std::fmt::Debug;

use anchor_query::error::{Error, SqlState};
use anchor_query::session::Session;
use async_trait::async_trait;
use bytes::BytesMut;
use futures::sink::{Sink, SinkExt};
use pgwire::api::copy::CopyHandler;
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail, CopyInResponse, CopyOutResponse};
use pgwire::messages::data::{DataRow, RowDescription};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse, ErrorResponse};
use pgwire::messages::simplequery::Query;

use crate::conn::{Conn, encode_rows, error_info, row_description, user_error};
use crate::copy;

/// The simple query handler.
pub(crate) struct Simple;

/// What one statement of a Query answers.
pub(crate) enum Answer {
    Rows(RowDescription, Vec<DataRow>, String),
    Command(String),
    Error(Error),
}

/// What a Query answers: statements' answers, or a COPY.
pub(crate) enum Outcome {
    Answers(Vec<Answer>),
    /// COPY FROM STDIN, waiting for its data; the number of columns.
    CopyIn(copy::CopyIn, usize),
    /// COPY TO STDOUT, with its data.
    CopyOut {
        format: copy::Format,
        columns: usize,
        data: Vec<BytesMut>,
        rows: usize,
    },
}

/// Runs every statement of `sql` and encodes the answers.
fn run(session: &mut Session, sql: &str) -> Vec<Answer> {
    let results = session.execute(sql);
    let settings = session.settings().clone();
    results
        .into_iter()
        .map(|r| match r {
            Err(e) => Answer::Error(e),
            Ok(r) if r.columns.is_empty() => Answer::Command(r.tag),
            Ok(r) => match encode_rows(&r.rows, &r.columns, &|_| false, &settings) {
                Ok(rows) => Answer::Rows(row_description(&r.columns, &|_| false), rows, r.tag),
                Err(e) => Answer::Error(e),
            },
        })
        .collect()
}

/// Starts a COPY if `sql` is one; `None` if it is not (the session runs it as usual).
pub(crate) fn run_copy(session: &mut Session, sql: &str) -> Option<Outcome> {
    let stmts = copy::parse(sql)?;
    let plan = stmts.iter().find_map(|s| match s {
        anchor_grammar::Statement::Sql(stmt) => copy::plan(stmt),
        anchor_grammar::Statement::Maintenance(_) | anchor_grammar::Statement::Pg(_) => None,
    })?;
    if stmts.len() > 1 {
        return Some(Outcome::Answers(vec![Answer::Error(Error::unsupported(
            "COPY in a query string of several statements",
        ))]));
    }
    let outcome = (|| match plan? {
        copy::Plan::In {
            table,
            columns,
            options,
        } => {
            let (insert, names) = copy::prepare_in(session, &table, &columns)?;
            let n = insert.param_types.len();
            Ok(Outcome::CopyIn(
                copy::CopyIn {
                    insert,
                    names,
                    options,
                    data: Vec::new(),
                },
                n,
            ))
        }
        copy::Plan::Out { query, options } => {
            let result = session
                .execute(&query)
                .pop()
                .unwrap_or_else(|| Err(Error::internal("COPY ran no query")))?;
            let settings = session.settings().clone();
            let data = copy::encode_out(&result.rows, &result.columns, &options, &settings)?;
            Ok(Outcome::CopyOut {
                format: options.format,
                columns: result.columns.len(),
                data,
                rows: result.rows.len(),
            })
        }
    })();
    Some(match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            session.fail_block();
            Outcome::Answers(vec![Answer::Error(e)])
        }
    })
}

/// Sends the start of a COPY: CopyInResponse (then the client sends the data), or all of
/// a COPY TO: CopyOutResponse, CopyData, CopyDone and CommandComplete. `extended` is true
/// for a COPY run by Execute. An error answer becomes an `Err`.
pub(crate) async fn send_copy<C>(
    client: &mut C,
    conn: &Conn,
    outcome: Outcome,
    extended: bool,
) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    match outcome {
        Outcome::Answers(answers) => match answers.into_iter().next() {
            Some(Answer::Error(e)) => Err(user_error(&e)),
            _ => Ok(()),
        },
        Outcome::CopyIn(copy, columns) => {
            let format = i8::from(copy.options.format == copy::Format::Binary);
            *conn.copy.lock() = Some(copy);
            client.set_transaction_status(conn.status());
            client.set_state(PgWireConnectionState::CopyInProgress(extended));
            client
                .send(PgWireBackendMessage::CopyInResponse(CopyInResponse::new(
                    format,
                    columns as i16,
                    vec![i16::from(format); columns],
                )))
                .await?;
            Ok(())
        }
        Outcome::CopyOut {
            format,
            columns,
            data,
            rows,
        } => {
            let format = i8::from(format == copy::Format::Binary);
            client
                .feed(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                    format,
                    columns as i16,
                    vec![i16::from(format); columns],
                )))
                .await?;
            for chunk in data {
                client
                    .feed(PgWireBackendMessage::CopyData(CopyData::new(
                        chunk.freeze(),
                    )))
                    .await?;
            }
            client
                .feed(PgWireBackendMessage::CopyDone(CopyDone::new()))
                .await?;
            client
                .send(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                    format!("COPY {rows}"),
                )))
                .await?;
            Ok(())
        }
    }
}

/// The COPY FROM STDIN handler: collects CopyData, and on CopyDone inserts the rows.
pub(crate) struct Copy;

#[async_trait]
impl CopyHandler for Copy {
    async fn on_copy_data<C>(&self, client: &mut C, data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let mut copy = conn.copy.lock();
        match copy.as_mut() {
            Some(copy) => {
                copy.data.extend_from_slice(&data.data);
                Ok(())
            }
            None => Err(crate::conn::protocol_violation(
                "CopyData outside COPY".into(),
            )),
        }
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        let Some(copy) = conn.copy.lock().take() else {
            return Err(crate::conn::protocol_violation(
                "CopyDone outside COPY".into(),
            ));
        };
        let result = conn
            .run(move |session| copy::finish_in(session, &copy))
            .await?;
        client.set_transaction_status(conn.status());
        let rows = result.map_err(|e| user_error(&e))?;
        client
            .send(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                format!("COPY {rows}"),
            )))
            .await?;
        Ok(())
    }

    async fn on_copy_fail<C>(&self, client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if let Ok(conn) = Conn::of(client) {
            conn.copy.lock().take();
            conn.session.lock().fail_block();
            client.set_transaction_status(conn.status());
        }
        user_error(&Error::new(
            SqlState("57014"),
            format!("COPY from stdin failed: {}", fail.message),
        ))
    }
}

#[async_trait]
impl SimpleQueryHandler for Simple {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let conn = Conn::of(client)?;
        client.set_state(PgWireConnectionState::QueryInProgress);
        let sql = query.query;
        let outcome = conn
            .run(move |session| {
                if copy::looks_like_copy(&sql)
                    && let Some(outcome) = run_copy(session, &sql)
                {
                    return outcome;
                }
                Outcome::Answers(run(session, &sql))
            })
            .await?;
        let answers = match outcome {
            Outcome::Answers(answers) => answers,
            copy => {
                let copy_in = matches!(copy, Outcome::CopyIn(..));
                send_copy(client, &conn, copy, false).await?;
                if !copy_in {
                    client.set_state(PgWireConnectionState::ReadyForQuery);
                    conn.ready(client).await?;
                }
                return Ok(());
            }
        };
        if answers.is_empty() {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        }
        for answer in answers {
            match answer {
                Answer::Rows(description, rows, tag) => {
                    client
                        .feed(PgWireBackendMessage::RowDescription(description))
                        .await?;
                    for row in rows {
                        client.feed(PgWireBackendMessage::DataRow(row)).await?;
                    }
                    client
                        .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                            tag,
                        )))
                        .await?;
                }
                Answer::Command(tag) if tag.is_empty() => {
                    client
                        .feed(PgWireBackendMessage::EmptyQueryResponse(
                            EmptyQueryResponse::new(),
                        ))
                        .await?;
                }
                Answer::Command(tag) => {
                    client
                        .feed(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                            tag,
                        )))
                        .await?;
                }
                Answer::Error(e) => {
                    client
                        .feed(PgWireBackendMessage::ErrorResponse(ErrorResponse::from(
                            error_info(&e, "ERROR"),
                        )))
                        .await?;
                }
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        conn.ready(client).await
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` answers every Query itself.
        Ok(Vec::new())
    }
}
