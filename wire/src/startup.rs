//! Start-up: the StartupMessage opens a session on the requested database.
//!
//! Authentication is `trust` for now: the user must be a role of the cluster that may log
//! in (a FATAL 28000 otherwise), and becomes the session's user (`current_user`,
//! `session_authorization`). The database defaults to the user name, as in PostgreSQL; a
//! missing one is a FATAL 3D000. The other start-up
//! parameters (`application_name`, `DateStyle`, `TimeZone`, `extra_float_digits`, ...)
//! become the session's settings, as if `SET` at connection.

use std::fmt::Debug;
use std::sync::Arc;

use anchor_query::error::{Error, SqlState};
use async_trait::async_trait;
use futures::sink::{Sink, SinkExt};
use pgwire::api::auth::{
    StartupHandler, protocol_negotiation, save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::{ReadyForQuery, TransactionStatus};
use pgwire::messages::startup::{Authentication, BackendKeyData, SecretKey};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use crate::Shared;
use crate::conn::{Conn, error_info};

/// Start-up parameters that are not settings.
const NOT_SETTINGS: &[&str] = &["user", "database", "options", "replication"];

/// The start-up handler.
pub(crate) struct Startup {
    shared: Arc<Shared>,
}

impl Startup {
    pub(crate) fn new(shared: Arc<Shared>) -> Startup {
        Startup { shared }
    }
}

/// A FATAL error, which ends the connection.
fn fatal(e: &Error) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e, "FATAL")))
}

/// The settings of the `options` start-up parameter (libpq's `PGOPTIONS`): `-c name=value`,
/// `-cname=value` or `--name=value`, separated by spaces (`\ ` is a space in a value).
fn command_line_settings(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next()
        } else {
            w.strip_prefix("-c")
                .or_else(|| w.strip_prefix("--"))
                .map(str::to_string)
        };
        if let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
            out.push((name.replace('-', "_"), value.to_string()));
        }
    }
    out
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let PgWireFrontendMessage::Startup(startup) = message else {
            // Trust authentication asks for nothing, so nothing else may come now.
            return Err(fatal(&Error::new(
                SqlState::PROTOCOL_VIOLATION,
                "expected a startup message",
            )));
        };
        protocol_negotiation(client, &startup).await?;
        save_startup_parameters_to_metadata(client, &startup);
        let Some(user) = startup.parameters.get("user").cloned() else {
            return Err(fatal(&Error::new(
                SqlState("28000"),
                "no PostgreSQL user name specified in startup packet",
            )));
        };
        let database = startup
            .parameters
            .get("database")
            .filter(|d| !d.is_empty())
            .cloned()
            .unwrap_or_else(|| user.clone());
        let mut settings: Vec<(String, String)> = startup
            .parameters
            .iter()
            .filter(|(k, _)| !NOT_SETTINGS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(options) = startup.parameters.get("options") {
            settings.extend(command_line_settings(options));
        }
        let cluster = self.shared.cluster.clone();
        let session = tokio::task::spawn_blocking(move || {
            let mut session = cluster.connect_as(&database, &user)?;
            session.set_startup_parameter("session_authorization", &user)?;
            for (name, value) in settings {
                // Drivers spell the one encoding in several ways ('utf-8', unicode).
                if name.eq_ignore_ascii_case("client_encoding") {
                    continue;
                }
                session.set_startup_parameter(&name, &value)?;
            }
            Ok::<_, Error>(session)
        })
        .await
        .map_err(|_| fatal(&Error::internal("start-up failed")))?
        .map_err(|e| fatal(&e))?;

        let (pid, secret) = self.shared.register(session.cancel_flag());
        let conn = Conn::new(session, self.shared.clone(), pid);
        client.set_pid_and_secret_key(pid, SecretKey::I32(secret));
        client
            .feed(PgWireBackendMessage::Authentication(Authentication::Ok))
            .await?;
        for m in conn.parameter_changes() {
            client.feed(m).await?;
        }
        client
            .feed(PgWireBackendMessage::BackendKeyData(BackendKeyData::new(
                pid,
                SecretKey::I32(secret),
            )))
            .await?;
        client.session_extensions().insert(conn);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                TransactionStatus::Idle,
            )))
            .await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::command_line_settings;

    #[test]
    fn options_parameter_holds_settings() {
        assert_eq!(
            command_line_settings(
                "-c search_path=app --statement-timeout=5s -cDateStyle=ISO,\\ DMY"
            ),
            [
                ("search_path".to_string(), "app".to_string()),
                ("statement_timeout".to_string(), "5s".to_string()),
                ("DateStyle".to_string(), "ISO, DMY".to_string()),
            ]
        );
        assert!(command_line_settings("").is_empty());
        assert!(command_line_settings("-c").is_empty());
    }
}
