//! One connection's state: its session, what the client was told, and its portals' rows.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use anchor_query::error::{Error, SqlState};
use anchor_query::session::Session;
use anchor_query::types::{DataType, Settings, Value};
use bytes::BytesMut;
use futures::sink::{Sink, SinkExt};
use parking_lot::Mutex;
use pgwire::api::ClientInfo;
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{DataRow, FieldDescription, RowDescription};
use pgwire::messages::response::{ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::ParameterStatus;

use crate::Shared;
use crate::codec;

/// The settings PostgreSQL 15 reports with ParameterStatus (`GUC_REPORT`), at start-up
/// and whenever they change.
pub(crate) const REPORTED: &[&str] = &[
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
];

/// A connection's state, kept in `pgwire`'s session extensions.
pub(crate) struct Conn {
    pub(crate) session: Arc<Mutex<Session>>,
    /// The reported settings as the client last heard them.
    reported: Mutex<HashMap<&'static str, String>>,
    /// Bound portals: their parameters and, once executed, their rows.
    pub(crate) portals: Mutex<HashMap<String, PortalState>>,
    /// The COPY FROM STDIN under way, if any.
    pub(crate) copy: Mutex<Option<crate::copy::CopyIn>>,
    shared: Arc<Shared>,
    pid: i32,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.shared.unregister(self.pid);
    }
}

/// What this layer keeps for a portal `pgwire` stores.
pub(crate) struct PortalState {
    /// Which bound portal this is (the address of `pgwire`'s portal), so that a portal
    /// re-bound under the same name never sees the old one's rows.
    pub(crate) id: usize,
    /// The decoded parameters.
    pub(crate) params: Vec<Value>,
    /// The result once executed: encoded rows, the next row to send, and the tag.
    pub(crate) result: Option<Executed>,
}

/// A portal's executed result.
pub(crate) struct Executed {
    pub(crate) rows: Vec<DataRow>,
    pub(crate) next: usize,
    pub(crate) tag: String,
    pub(crate) has_rows: bool,
}

impl Conn {
    pub(crate) fn new(session: Session, shared: Arc<Shared>, pid: i32) -> Conn {
        Conn {
            session: Arc::new(Mutex::new(session)),
            reported: Mutex::new(HashMap::new()),
            portals: Mutex::new(HashMap::new()),
            copy: Mutex::new(None),
            shared,
            pid,
        }
    }

    /// The connection's state, which the start-up handler stored.
    pub(crate) fn of<C: ClientInfo>(client: &C) -> PgWireResult<Arc<Conn>> {
        client
            .session_extensions()
            .get::<Conn>()
            .ok_or_else(|| PgWireError::ApiError("connection has no session".into()))
    }

    /// Runs `f` on the session on the blocking pool (the session is synchronous).
    pub(crate) async fn run<T, F>(&self, f: F) -> PgWireResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> T + Send + 'static,
    {
        let session = self.session.clone();
        tokio::task::spawn_blocking(move || f(&mut session.lock()))
            .await
            .map_err(|_| user_error(&Error::internal("the statement's task failed")))
    }

    /// The status byte for ReadyForQuery.
    pub(crate) fn status(&self) -> TransactionStatus {
        let session = self.session.lock();
        if session.is_failed() {
            TransactionStatus::Error
        } else if session.in_transaction() {
            TransactionStatus::Transaction
        } else {
            TransactionStatus::Idle
        }
    }

    /// ParameterStatus messages for reported settings that changed since the client last
    /// heard them (all of them the first time).
    pub(crate) fn parameter_changes(&self) -> Vec<PgWireBackendMessage> {
        let session = self.session.lock();
        let mut reported = self.reported.lock();
        let mut out = Vec::new();
        for name in REPORTED {
            let Some(value) = session.setting(name) else {
                continue;
            };
            if reported.get(name) != Some(&value) {
                reported.insert(name, value.clone());
                out.push(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    (*name).to_string(),
                    value,
                )));
            }
        }
        out
    }

    /// Sends changed settings, then ReadyForQuery with the session's status.
    pub(crate) async fn ready<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        for m in self.parameter_changes() {
            client.feed(m).await?;
        }
        let status = self.status();
        client.set_transaction_status(status);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await?;
        Ok(())
    }
}

/// An ERROR response carrying the SQL layer's SQLSTATE, message, detail, hint and
/// position.
pub(crate) fn error_info(e: &Error, severity: &str) -> ErrorInfo {
    let f = e.fields();
    let mut info = ErrorInfo::new(
        severity.to_string(),
        f.code.code().to_string(),
        f.message.clone(),
    );
    info.severity_nonlocalized = Some(severity.to_string());
    info.detail = f.detail.clone();
    info.hint = f.hint.clone();
    info.position = f.position.map(|p| p.to_string());
    info
}

/// An `Error` as `pgwire`'s error (sent as an ERROR).
pub(crate) fn user_error(e: &Error) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e, "ERROR")))
}

/// 08P01, a protocol violation.
pub(crate) fn protocol_violation(message: String) -> PgWireError {
    user_error(&Error::new(SqlState::PROTOCOL_VIOLATION, message))
}

/// The RowDescription field of a result column; `binary` is its format.
pub(crate) fn field(name: &str, ty: &DataType, binary: bool) -> FieldDescription {
    FieldDescription::new(
        name.to_string(),
        0,
        0,
        ty.oid(),
        ty.typlen(),
        ty.typmod(),
        i16::from(binary),
    )
}

/// A RowDescription of `columns` in the given formats.
pub(crate) fn row_description(
    columns: &[(String, DataType)],
    binary: &dyn Fn(usize) -> bool,
) -> RowDescription {
    RowDescription::new(
        columns
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| field(name, ty, binary(i)))
            .collect(),
    )
}

/// Encodes rows as DataRow messages, column `i` in binary if `binary(i)`.
pub(crate) fn encode_rows(
    rows: &[Vec<Value>],
    columns: &[(String, DataType)],
    binary: &dyn Fn(usize) -> bool,
    settings: &Settings,
) -> Result<Vec<DataRow>, Error> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut buf = BytesMut::new();
        for (i, (_, ty)) in columns.iter().enumerate() {
            let value = row.get(i).unwrap_or(&Value::Null);
            codec::put_field(&mut buf, value, ty, binary(i), settings)?;
        }
        out.push(DataRow::new(buf, columns.len() as i16));
    }
    Ok(out)
}
