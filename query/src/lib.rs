//! Anchor's SQL semantics. Built by the SQL issue; so far: the errors and their SQLSTATEs.

pub mod error;
pub mod types;

pub use error::{Error, Result, SqlState};
