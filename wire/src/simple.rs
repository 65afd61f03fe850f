//! The simple query protocol: a Query message runs every statement of its string.
//!
//! Each statement answers RowDescription, DataRows (text format) and CommandComplete, or
//! CommandComplete alone; the first error ends the string with an ErrorResponse. A string
//! with no statement (empty, only `;`, only comments such as Grafana's `-- ping`) answers
//! EmptyQueryResponse. ReadyForQuery then carries the session's transaction status.

use std::fmt::Debug;

use anchor_query::error::Error;
use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use pgwire::api::query::SimpleQueryHandler;
use pgwire::api::results::Response;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{DataRow, RowDescription};
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse, ErrorResponse};
use pgwire::messages::simplequery::Query;

use crate::conn::{Conn, encode_rows, error_info, row_description};

/// The simple query handler.
pub(crate) struct Simple;

/// What one statement of a Query answers.
enum Answer {
    Rows(RowDescription, Vec<DataRow>, String),
    Command(String),
    Error(Error),
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
        let answers = conn
            .run(move |session| {
                let results = session.execute(&sql);
                let settings = session.settings().clone();
                results
                    .into_iter()
                    .map(|r| match r {
                        Err(e) => Answer::Error(e),
                        Ok(r) if r.columns.is_empty() => Answer::Command(r.tag),
                        Ok(r) => match encode_rows(&r.rows, &r.columns, &|_| false, &settings) {
                            Ok(rows) => {
                                Answer::Rows(row_description(&r.columns, &|_| false), rows, r.tag)
                            }
                            Err(e) => Answer::Error(e),
                        },
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
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
