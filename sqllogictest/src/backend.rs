//! The narrow boundary between the runner and a database.

/// A database under test: one session on it.
///
/// The runner makes one backend per connection of a file (most files use one) and sends it
/// each record's SQL as one string, which may hold several statements.
pub trait Backend: Send {
    /// Runs `sql` and returns the first result set it produced, or the row count of its last
    /// statement when it produced none.
    fn run(&mut self, sql: &str) -> Result<QueryOutput, BackendError>;
}

/// What a statement returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryOutput {
    /// Rows of values in PostgreSQL's text format, `None` for NULL.
    Rows {
        /// One entry per column. [`ColumnType::Any`] where the backend cannot tell: the
        /// runner then guesses from the values.
        types: Vec<ColumnType>,
        /// The rows, each as long as `types`.
        rows: Vec<Vec<Option<String>>>,
    },
    /// A statement without a result set, and the number of rows it touched.
    Complete(u64),
}

/// A column's type as sqllogictest spells it in `query` lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// `T`: text.
    Text,
    /// `I`: an integer (or, in the corpus, a boolean).
    Integer,
    /// `R`: a floating-point or numeric value.
    Float,
    /// Unknown.
    Any,
}

impl ColumnType {
    /// The letter of a `query` line.
    pub fn letter(self) -> char {
        match self {
            ColumnType::Text => 'T',
            ColumnType::Integer => 'I',
            ColumnType::Float => 'R',
            ColumnType::Any => '?',
        }
    }
}

/// An error from the database: what the statement got instead of a result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    /// The message, as the database worded it.
    pub message: String,
    /// The SQLSTATE, when the database sent one (`statement error (42P01)` matches on it).
    pub sqlstate: Option<String>,
}

impl BackendError {
    /// An error without a SQLSTATE (a lost connection, a client-side failure).
    pub fn new(message: impl Into<String>) -> BackendError {
        BackendError {
            message: message.into(),
            sqlstate: None,
        }
    }
}
