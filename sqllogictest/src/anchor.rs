//! The in-process backend: Anchor's SQL layer (`anchor_query`) without a server, each file on
//! a fresh in-memory database.

use std::sync::Arc;

use anchor_query::{Cluster, Session};

use crate::backend::{Backend, BackendError, ColumnType, QueryOutput};

/// One session on an in-process Anchor database.
pub struct AnchorBackend {
    session: Session,
}

impl AnchorBackend {
    /// A session on the database `anchor` of `cluster` (every new cluster has it).
    pub fn new(cluster: &Arc<Cluster>) -> Result<AnchorBackend, BackendError> {
        let session = cluster.connect("anchor").map_err(|e| BackendError {
            message: e.to_string(),
            sqlstate: Some(e.sqlstate().code().to_string()),
        })?;
        Ok(AnchorBackend { session })
    }
}

impl Backend for AnchorBackend {
    fn run(&mut self, sql: &str) -> Result<QueryOutput, BackendError> {
        let mut first_rows = None;
        let mut last_count = 0;
        for result in self.session.execute(sql) {
            let result = result.map_err(|e| BackendError {
                message: e.to_string(),
                sqlstate: Some(e.sqlstate().code().to_string()),
            })?;
            if result.columns.is_empty() {
                last_count = result
                    .tag
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                continue;
            }
            if first_rows.is_none() {
                let settings = self.session.settings();
                let rows = result
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|v| v.to_text(settings)).collect())
                    .collect();
                // Like the PostgreSQL backend, leave the column letters to the runner.
                first_rows = Some(QueryOutput::Rows {
                    types: vec![ColumnType::Any; result.columns.len()],
                    rows,
                });
            }
        }
        Ok(first_rows.unwrap_or(QueryOutput::Complete(last_count)))
    }
}
