//! Anchor's PostgreSQL wire protocol, on the `pgwire` crate.
//!
//! [`serve`] accepts connections and runs each one as a task of its own: `pgwire` reads and
//! frames the messages, and the handlers here answer them by calling the connection's
//! [`Session`](anchor_query::Session). This layer knows nothing of plans; it turns messages into session calls and
//! results into messages.
//!
//! # A connection's life
//!
//! ```text
//!  SSLRequest → 'N'            (TLS: WireConfig::tls, not configured yet)
//!  StartupMessage → Cluster::connect(database) → AuthenticationOk, ParameterStatus…,
//!                   BackendKeyData, ReadyForQuery
//!  Query → Session::execute → per statement: RowDescription, DataRow…, CommandComplete
//!                             | ErrorResponse; then ReadyForQuery
//!  Query "COPY … FROM STDIN" → CopyInResponse; CopyData…, CopyDone → inserts → COPY n
//!  Query "COPY … TO STDOUT" → CopyOutResponse, CopyData per row, CopyDone, COPY n
//!  Parse → Session::prepare; Bind → decode the parameters; Describe; Execute →
//!          Session::execute_prepared, rows kept with the portal for Execute with a row
//!          limit (PortalSuspended); Sync → ReadyForQuery
//!  CancelRequest (on a new connection) → sets the session's cancel flag → 57014
//! ```
//!
//! The session is synchronous, so every call into it runs on tokio's blocking pool
//! (`Conn::run`); the async side only moves messages. The transaction status byte of
//! `ReadyForQuery` (`I`/`T`/`E`) is read from the session after each message, never
//! tracked here (`pgwire`'s own tracking cannot express `ROLLBACK TO SAVEPOINT` moving `E`
//! back to `T`), so `on_query`, `on_execute` and `on_sync` are overridden.
//!
//! Settings PostgreSQL reports (`GUC_REPORT`: `application_name`, `DateStyle`, `TimeZone`,
//! ...) are compared with what the client was last told after every statement, and changes
//! are sent as ParameterStatus before ReadyForQuery.

mod codec;
mod conn;
mod copy;
mod extended;
mod simple;
mod startup;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use anchor_query::Cluster;
use async_trait::async_trait;
use parking_lot::Mutex;
use pgwire::api::PgWireServerHandlers;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use tokio::net::TcpListener;

/// How the server talks to clients.
#[derive(Clone, Default)]
pub struct WireConfig {
    /// Accepts TLS after an SSLRequest when set; `None` answers `N` (no TLS).
    pub tls: Option<pgwire::tokio::TlsAcceptor>,
}

/// What every connection of one server shares.
pub(crate) struct Shared {
    pub(crate) cluster: Arc<Cluster>,
    /// Running connections by backend PID: their secret key and cancel flag.
    cancels: Mutex<HashMap<i32, (i32, Arc<AtomicBool>)>>,
    next_pid: AtomicI32,
}

impl Shared {
    /// Registers a connection for CancelRequest; returns its PID and secret key.
    pub(crate) fn register(&self, cancel: Arc<AtomicBool>) -> (i32, i32) {
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let secret = rand::random::<i32>();
        self.cancels.lock().insert(pid, (secret, cancel));
        (pid, secret)
    }

    /// Forgets a closed connection.
    pub(crate) fn unregister(&self, pid: i32) {
        self.cancels.lock().remove(&pid);
    }
}

/// The handlers of one server (`pgwire` asks them for each connection).
#[derive(Clone)]
struct Handlers {
    shared: Arc<Shared>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        Arc::new(simple::Simple)
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        Arc::new(extended::Extended::default())
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        Arc::new(startup::Startup::new(self.shared.clone()))
    }

    fn copy_handler(&self) -> Arc<impl pgwire::api::copy::CopyHandler> {
        Arc::new(simple::Copy)
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        Arc::new(self.clone())
    }
}

#[async_trait]
impl CancelHandler for Handlers {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let cancels = self.shared.cancels.lock();
        if let Some((secret, flag)) = cancels.get(&request.pid)
            && request.secret_key.eq_value(&SecretKey::I32(*secret))
        {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// Serves PostgreSQL clients on `listener` until the listener fails: one task per
/// connection, so a broken or hostile connection affects no other.
pub async fn serve(
    listener: TcpListener,
    cluster: Arc<Cluster>,
    config: WireConfig,
) -> std::io::Result<()> {
    let handlers = Handlers {
        shared: Arc::new(Shared {
            cluster,
            cancels: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(std::process::id() as i32 % 100_000 * 100 + 1),
        }),
    };
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors and the like: wait, then go on accepting.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let handlers = handlers.clone();
        let tls = config.tls.clone();
        tokio::spawn(async move {
            let _ = pgwire::tokio::process_socket(socket, tls, handlers).await;
        });
    }
}
