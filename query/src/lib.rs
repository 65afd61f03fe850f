//! Anchor's SQL semantics: from a statement's text to its rows.
//!
//! The life of a statement:
//!
//! 1. [`session::Session::execute`] receives SQL text; `anchor_grammar::parse` turns it into
//!    `ast::Statement`s (sqlparser's PostgreSQL dialect).
//! 2. [`planner::Planner`] binds names against the catalog ([`catalog::Table`], read through
//!    the transaction) and types every expression ([`types::DataType`]), producing a
//!    [`planner::Plan`] whose queries are trees of [`plan::Node`]s over [`plan::Expr`]s.
//! 3. [`exec`] turns nodes into pull iterators ([`exec::Executor`]) that read and write rows
//!    ([`storage::Row`], vectors of [`types::Value`]) through [`storage::Transaction`];
//!    aggregate state is in [`aggregate`], window functions in [`window`], WITH queries in
//!    [`cte`].
//! 4. [`storage::Local`] implements that trait with MVCC over a local engine
//!    (`anchor_engine::mvcc`), encoding keys with `anchor_engine::keycode` and rows with
//!    [`types::encode_row`].
//! 5. The session returns [`session::StatementResult`]s (command tag, columns, rows), or an
//!    [`Error`] that knows its SQLSTATE.

pub mod aggregate;
pub mod catalog;
pub mod cluster;
pub mod cte;
pub mod ddl;
pub mod dml;
pub mod error;
pub mod exec;
pub mod explain;
pub mod foreign_key;
pub mod functions;
pub mod hash_aggregate;
pub mod hash_join;
pub mod index_scan;
pub mod lock_rows;
pub mod nested_loop;
pub mod optimizer;
pub mod plan;
pub mod planner;
pub mod prepared;
pub mod roles;
pub mod session;
pub mod set_ops;
pub mod settings;
pub mod spill;
pub mod stats;
pub mod storage;
pub mod sysfuncs;
pub mod system;
pub mod types;
pub mod window;

pub use cluster::Cluster;
pub use error::{Error, Result, SqlState};
pub use session::{Database, Session, StatementResult};
