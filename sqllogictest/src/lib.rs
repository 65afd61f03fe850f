//! Anchor's sqllogictest runner: `.slt` suites and the SQLite corpus against any database.
//!
//! A database is a [`Backend`]: it runs one SQL string and answers with rows of text (or a
//! row count), or an error with its SQLSTATE. [`run_file`] runs one file against backends
//! made by a factory (one per connection the file opens), keeps going after a record fails,
//! and returns a [`Report`] of passed, failed and skipped records. [`complete_file`] rewrites
//! the expected output of a file from what the backend answers (`--complete`).
//!
//! Parsing and checking records is the `sqllogictest` crate's work; this crate adds what the
//! SQLite corpus needs on top of it (see [`run`] for the list): value-per-line results,
//! hashing of long results, `skipif`/`onlyif` lines with trailing comments, conditional
//! `halt`, and the corpus's value formatting ([`format`]).
//!
//! [`pg::PgBackend`] talks to a PostgreSQL (or to Anchor's server) over the wire;
//! [`counts`] reads and writes the recorded pass counts that CI checks against. The
//! `anchor-slt` binary puts it together; `README.md` beside this crate says how to run it.

pub mod anchor;
mod backend;
pub mod counts;
pub mod format;
pub mod pg;
pub mod run;

pub use backend::{Backend, BackendError, ColumnType, QueryOutput};
pub use run::{Error, Failure, Report, RunOptions, complete_file, run_file};
