//! A PostgreSQL (or Anchor server) over the wire, through `tokio-postgres`.
//!
//! Statements go through the simple query protocol, so values come back in PostgreSQL's text
//! format and a record may hold several statements, as psql would send them. The backend is
//! synchronous like [`Backend`]: each one owns a small single-threaded tokio runtime.
//!
//! [`TempDatabase`] gives each file a fresh database (`CREATE DATABASE` through the
//! connection string's database, dropped again afterwards).

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Runtime;
use tokio_postgres::{Client, Config, NoTls, SimpleQueryMessage};

use crate::backend::{Backend, BackendError, ColumnType, QueryOutput};

/// One session on a PostgreSQL server.
pub struct PgBackend {
    // Dropped before the runtime that drives its connection.
    client: Client,
    runtime: Runtime,
}

impl PgBackend {
    /// Connects with a libpq-style connection string (`host=... port=... user=... dbname=...`)
    /// or URL.
    pub fn connect(conninfo: &str) -> Result<PgBackend, BackendError> {
        let config: Config = conninfo
            .parse()
            .map_err(|e| BackendError::new(format!("bad connection string: {e}")))?;
        PgBackend::connect_config(&config)
    }

    /// Connects with a parsed configuration.
    pub fn connect_config(config: &Config) -> Result<PgBackend, BackendError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| BackendError::new(format!("cannot start a runtime: {e}")))?;
        let (client, connection) = runtime.block_on(config.connect(NoTls)).map_err(from_pg)?;
        // The connection task runs whenever the runtime does, that is during each query.
        runtime.spawn(connection);
        Ok(PgBackend { client, runtime })
    }
}

fn from_pg(err: tokio_postgres::Error) -> BackendError {
    match err.as_db_error() {
        Some(db) => BackendError {
            message: db.message().to_string(),
            sqlstate: Some(db.code().code().to_string()),
        },
        None => BackendError::new(err.to_string()),
    }
}

impl Backend for PgBackend {
    fn run(&mut self, sql: &str) -> Result<QueryOutput, BackendError> {
        let messages = self
            .runtime
            .block_on(self.client.simple_query(sql))
            .map_err(from_pg)?;
        // The first result set, if any statement had one; else the last row count.
        let mut columns: Option<usize> = None;
        let mut rows = Vec::new();
        let mut done = false;
        let mut count = 0;
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(description) if columns.is_none() => {
                    columns = Some(description.len());
                }
                SimpleQueryMessage::Row(row) if !done => {
                    columns.get_or_insert(row.len());
                    rows.push(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_string))
                            .collect(),
                    );
                }
                SimpleQueryMessage::CommandComplete(n) => {
                    count = n;
                    done |= columns.is_some();
                }
                _ => {}
            }
        }
        Ok(match columns {
            Some(n) => QueryOutput::Rows {
                types: vec![ColumnType::Any; n],
                rows,
            },
            None => QueryOutput::Complete(count),
        })
    }
}

/// A database created for one file and dropped when this value is.
pub struct TempDatabase {
    admin: PgBackend,
    name: String,
    config: Config,
}

impl TempDatabase {
    /// Creates a fresh, uniquely named database on the server of `conninfo`, connecting
    /// through the database the string names (by default the user's).
    pub fn create(conninfo: &str) -> Result<TempDatabase, BackendError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let mut config: Config = conninfo
            .parse()
            .map_err(|e| BackendError::new(format!("bad connection string: {e}")))?;
        let mut admin = PgBackend::connect_config(&config)?;
        let name = format!(
            "anchor_slt_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin.run(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.run(&format!("CREATE DATABASE {name}"))?;
        config.dbname(&name);
        Ok(TempDatabase {
            admin,
            name,
            config,
        })
    }

    /// A new session on the database.
    pub fn connect(&self) -> Result<PgBackend, BackendError> {
        PgBackend::connect_config(&self.config)
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        // Best effort: a database left behind is harmless and has a recognizable name.
        let _ = self.admin.run(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}
