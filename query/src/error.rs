//! Errors of the SQL layer, sorted by what the caller must do, each with its SQLSTATE.
//!
//! This module is the one place that maps errors to SQLSTATE codes: the wire layer copies
//! [`Error::sqlstate`], the message, detail, hint and position into its responses and adds
//! nothing of its own.

use std::fmt;

/// A SQL result.
pub type Result<T> = std::result::Result<T, Error>;

/// A five-character SQLSTATE code, as PostgreSQL reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SqlState(pub &'static str);

impl SqlState {
    /// 08P01: a malformed or out-of-place protocol message.
    pub const PROTOCOL_VIOLATION: SqlState = SqlState("08P01");
    /// 0A000: the feature is not supported.
    pub const FEATURE_NOT_SUPPORTED: SqlState = SqlState("0A000");
    /// 21000: a scalar subquery returned more than one row, and similar.
    pub const CARDINALITY_VIOLATION: SqlState = SqlState("21000");
    /// 22001: a string is too long for its type.
    pub const STRING_DATA_RIGHT_TRUNCATION: SqlState = SqlState("22001");
    /// 22003: a number is out of its type's range.
    pub const NUMERIC_VALUE_OUT_OF_RANGE: SqlState = SqlState("22003");
    /// 22007: a date or time is malformed.
    pub const INVALID_DATETIME_FORMAT: SqlState = SqlState("22007");
    /// 22008: a date or time is out of range.
    pub const DATETIME_FIELD_OVERFLOW: SqlState = SqlState("22008");
    /// 22015: an interval field is out of range.
    pub const INTERVAL_FIELD_OVERFLOW: SqlState = SqlState("22015");
    /// 22009: an invalid time zone displacement.
    pub const INVALID_TIME_ZONE_DISPLACEMENT_VALUE: SqlState = SqlState("22009");
    /// 22012: division by zero.
    pub const DIVISION_BY_ZERO: SqlState = SqlState("22012");
    /// 22023: an argument has an invalid value.
    pub const INVALID_PARAMETER_VALUE: SqlState = SqlState("22023");
    /// 2201F: an invalid argument for a power function.
    pub const INVALID_ARGUMENT_FOR_POWER_FUNCTION: SqlState = SqlState("2201F");
    /// 22P02: text is not a valid value of the type.
    pub const INVALID_TEXT_REPRESENTATION: SqlState = SqlState("22P02");
    /// 22004: a NULL where none is allowed.
    pub const NULL_VALUE_NOT_ALLOWED: SqlState = SqlState("22004");
    /// 2202E: an array subscript is out of range.
    pub const ARRAY_SUBSCRIPT_ERROR: SqlState = SqlState("2202E");
    /// 22021: a character is not valid in the encoding.
    pub const CHARACTER_NOT_IN_REPERTOIRE: SqlState = SqlState("22021");
    /// 22P05: an untranslatable character.
    pub const UNTRANSLATABLE_CHARACTER: SqlState = SqlState("22P05");
    /// 22000: a data exception without a more precise code.
    pub const DATA_EXCEPTION: SqlState = SqlState("22000");
    /// 2200H: a sequence reached its limit.
    pub const SEQUENCE_GENERATOR_LIMIT_EXCEEDED: SqlState = SqlState("2200H");
    /// 23502: a NULL in a NOT NULL column.
    pub const NOT_NULL_VIOLATION: SqlState = SqlState("23502");
    /// 23503: a foreign key is violated.
    pub const FOREIGN_KEY_VIOLATION: SqlState = SqlState("23503");
    /// 23505: a unique or primary key is violated.
    pub const UNIQUE_VIOLATION: SqlState = SqlState("23505");
    /// 23514: a CHECK constraint is violated.
    pub const CHECK_VIOLATION: SqlState = SqlState("23514");
    /// 25001: the statement cannot run inside a transaction block.
    pub const ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25001");
    /// 25P01: the statement needs a transaction block.
    pub const NO_ACTIVE_SQL_TRANSACTION: SqlState = SqlState("25P01");
    /// 25006: a write in a read-only transaction.
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = SqlState("25006");
    /// 25P02: the transaction failed; commands are ignored until its end.
    pub const IN_FAILED_SQL_TRANSACTION: SqlState = SqlState("25P02");
    /// 3B001: no such savepoint.
    pub const INVALID_SAVEPOINT_SPECIFICATION: SqlState = SqlState("3B001");
    /// 28000: the role does not exist or may not log in.
    pub const INVALID_AUTHORIZATION_SPECIFICATION: SqlState = SqlState("28000");
    /// 3D000: no such database.
    pub const INVALID_CATALOG_NAME: SqlState = SqlState("3D000");
    /// 3F000: no such schema.
    pub const INVALID_SCHEMA_NAME: SqlState = SqlState("3F000");
    /// 26000: no such prepared statement.
    pub const INVALID_SQL_STATEMENT_NAME: SqlState = SqlState("26000");
    /// 34000: no such cursor or portal.
    pub const INVALID_CURSOR_NAME: SqlState = SqlState("34000");
    /// 40001: a concurrent transaction got in the way; retry.
    pub const SERIALIZATION_FAILURE: SqlState = SqlState("40001");
    /// 40P01: this transaction was the victim of a deadlock; retry.
    pub const DEADLOCK_DETECTED: SqlState = SqlState("40P01");
    /// 42601: a syntax error.
    pub const SYNTAX_ERROR: SqlState = SqlState("42601");
    /// 42501: not allowed.
    pub const INSUFFICIENT_PRIVILEGE: SqlState = SqlState("42501");
    /// 42703: no such column.
    pub const UNDEFINED_COLUMN: SqlState = SqlState("42703");
    /// 42883: no such function or operator for these argument types.
    pub const UNDEFINED_FUNCTION: SqlState = SqlState("42883");
    /// 42602: a malformed name.
    pub const INVALID_NAME: SqlState = SqlState("42602");
    /// 428C9: an explicit value for a GENERATED ALWAYS column.
    pub const GENERATED_ALWAYS: SqlState = SqlState("428C9");
    /// 42P01: no such table.
    pub const UNDEFINED_TABLE: SqlState = SqlState("42P01");
    /// 42P02: no such parameter.
    pub const UNDEFINED_PARAMETER: SqlState = SqlState("42P02");
    /// 42704: no such object (type, index, ...).
    pub const UNDEFINED_OBJECT: SqlState = SqlState("42704");
    /// 42702: a column reference matches several columns.
    pub const AMBIGUOUS_COLUMN: SqlState = SqlState("42702");
    /// 42725: a function call matches several functions.
    pub const AMBIGUOUS_FUNCTION: SqlState = SqlState("42725");
    /// 42803: a column must appear in GROUP BY or an aggregate.
    pub const GROUPING_ERROR: SqlState = SqlState("42803");
    /// 42804: a value has the wrong type.
    pub const DATATYPE_MISMATCH: SqlState = SqlState("42804");
    /// 42846: no cast between the types.
    pub const CANNOT_COERCE: SqlState = SqlState("42846");
    /// 42P18: a parameter's type cannot be determined.
    pub const INDETERMINATE_DATATYPE: SqlState = SqlState("42P18");
    /// 42P07: a table or index of that name exists.
    pub const DUPLICATE_TABLE: SqlState = SqlState("42P07");
    /// 42701: a column of that name exists.
    pub const DUPLICATE_COLUMN: SqlState = SqlState("42701");
    /// 42710: an object of that name exists.
    pub const DUPLICATE_OBJECT: SqlState = SqlState("42710");
    pub const DUPLICATE_ALIAS: SqlState = SqlState("42712");
    pub const INVALID_FOREIGN_KEY: SqlState = SqlState("42830");
    /// 42P04: a database of that name exists.
    pub const DUPLICATE_DATABASE: SqlState = SqlState("42P04");
    /// 42P06: a schema of that name exists.
    pub const DUPLICATE_SCHEMA: SqlState = SqlState("42P06");
    /// 42P05: a prepared statement of that name exists.
    pub const DUPLICATE_PREPARED_STATEMENT: SqlState = SqlState("42P05");
    /// 42P16: an invalid table definition.
    pub const INVALID_TABLE_DEFINITION: SqlState = SqlState("42P16");
    /// 42P10: an invalid column reference (e.g. ORDER BY position out of range).
    pub const INVALID_COLUMN_REFERENCE: SqlState = SqlState("42P10");
    /// 42809: the object is of the wrong kind.
    pub const WRONG_OBJECT_TYPE: SqlState = SqlState("42809");
    /// 42939: a reserved name.
    pub const RESERVED_NAME: SqlState = SqlState("42939");
    /// 2BP01: other objects depend on this one.
    pub const DEPENDENT_OBJECTS_STILL_EXIST: SqlState = SqlState("2BP01");
    /// 53100: the disk is full.
    pub const DISK_FULL: SqlState = SqlState("53100");
    /// 53200: out of memory (or over `work_mem` where spilling is not possible).
    pub const OUT_OF_MEMORY: SqlState = SqlState("53200");
    /// 54000: a program limit was exceeded.
    pub const PROGRAM_LIMIT_EXCEEDED: SqlState = SqlState("54000");
    /// 55000: the object is not in the required state.
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: SqlState = SqlState("55000");
    /// 55006: the object is in use (a sequence's value before nextval, a busy object).
    pub const OBJECT_IN_USE: SqlState = SqlState("55006");
    /// 55P02: a read-only setting cannot be changed.
    pub const CANT_CHANGE_RUNTIME_PARAM: SqlState = SqlState("55P02");
    /// 55P03: a lock could not be taken.
    pub const LOCK_NOT_AVAILABLE: SqlState = SqlState("55P03");
    /// 57014: the statement was cancelled (by request or by statement_timeout).
    pub const QUERY_CANCELED: SqlState = SqlState("57014");
    /// 58030: an I/O error.
    pub const IO_ERROR: SqlState = SqlState("58030");
    /// XX000: an internal error (a bug).
    pub const INTERNAL_ERROR: SqlState = SqlState("XX000");
    /// XX001: data on disk is corrupted.
    pub const DATA_CORRUPTED: SqlState = SqlState("XX001");

    /// The five characters.
    pub fn code(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A SQL error: what the client sees, PostgreSQL's way.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// The statement is wrong: fix it (syntax, names, types, constraint violations, bad
    /// values). Carries PostgreSQL's fields.
    #[error("{}", .0.message)]
    Statement(Box<Details>),
    /// A concurrent transaction got in the way (40001, 40P01): run the transaction again.
    #[error("{}", .0.message)]
    Retry(Box<Details>),
    /// The statement was stopped: cancelled, timed out, or it waited too long for a lock.
    #[error("{}", .0.message)]
    Interrupted(Box<Details>),
    /// The system is at fault (disk full, I/O error, corruption, a bug): not the statement.
    #[error("{}", .0.message)]
    System(Box<Details>),
}

/// The fields of an error response.
#[derive(Clone, Debug, PartialEq)]
pub struct Details {
    /// The SQLSTATE.
    pub code: SqlState,
    /// The primary message, lower case and without a final period, as PostgreSQL writes it.
    pub message: String,
    /// An optional detail line.
    pub detail: Option<String>,
    /// An optional hint.
    pub hint: Option<String>,
    /// A 1-based character position in the statement text, when one is known.
    pub position: Option<u32>,
}

impl Error {
    fn details(code: SqlState, message: impl Into<String>) -> Box<Details> {
        Box::new(Details {
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
        })
    }

    /// An error in the statement with SQLSTATE `code`, sorted by its class.
    pub fn new(code: SqlState, message: impl Into<String>) -> Error {
        let details = Self::details(code, message);
        match &code.0[..2] {
            "40" => Error::Retry(details),
            "57" | "55"
                if code == SqlState::QUERY_CANCELED || code == SqlState::LOCK_NOT_AVAILABLE =>
            {
                Error::Interrupted(details)
            }
            "53" | "58" | "XX" => Error::System(details),
            _ => Error::Statement(details),
        }
    }

    /// 0A000 naming the unsupported feature.
    pub fn unsupported(feature: impl fmt::Display) -> Error {
        Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("{feature} is not supported"),
        )
    }

    /// XX000: something that should not happen did.
    pub fn internal(message: impl fmt::Display) -> Error {
        Error::new(
            SqlState::INTERNAL_ERROR,
            format!("internal error: {message}"),
        )
    }

    /// The fields.
    pub fn fields(&self) -> &Details {
        match self {
            Error::Statement(d) | Error::Retry(d) | Error::Interrupted(d) | Error::System(d) => d,
        }
    }

    fn fields_mut(&mut self) -> &mut Details {
        match self {
            Error::Statement(d) | Error::Retry(d) | Error::Interrupted(d) | Error::System(d) => d,
        }
    }

    /// The SQLSTATE.
    pub fn sqlstate(&self) -> SqlState {
        self.fields().code
    }

    /// Adds a detail line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.fields_mut().detail = Some(detail.into());
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.fields_mut().hint = Some(hint.into());
        self
    }

    /// Sets the 1-based character position in the statement, unless one is already set.
    pub fn with_position(mut self, position: u32) -> Error {
        let fields = self.fields_mut();
        fields.position.get_or_insert(position);
        self
    }

    /// True if running the whole transaction again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Retry(_))
    }
}

impl From<anchor_engine::Error> for Error {
    fn from(err: anchor_engine::Error) -> Self {
        use anchor_engine::Error as E;
        let code = match &err {
            E::Corruption { .. } => SqlState::DATA_CORRUPTED,
            E::Io(_) => SqlState::IO_ERROR,
            E::DiskFull(_) => SqlState::DISK_FULL,
            E::InvalidInput(_) => SqlState::PROGRAM_LIMIT_EXCEEDED,
            E::Serialization(_) => SqlState::SERIALIZATION_FAILURE,
            E::Deadlock(_) => SqlState::DEADLOCK_DETECTED,
            E::LockNotAvailable(_) => SqlState::LOCK_NOT_AVAILABLE,
            E::Cancelled => SqlState::QUERY_CANCELED,
            E::ReadOnly(_) => SqlState::READ_ONLY_SQL_TRANSACTION,
            E::SnapshotTooOld(_) => SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            E::Closed(_) => SqlState::IO_ERROR,
        };
        Error::new(code, err.to_string())
    }
}

/// Returns early with a statement error: `bail!(SqlState::UNDEFINED_TABLE, "relation \"{}\" does not exist", name)`.
#[macro_export]
macro_rules! bail {
    ($code:expr, $($arg:tt)*) => {
        return Err($crate::error::Error::new($code, format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_sort_errors_by_what_to_do() {
        assert!(Error::new(SqlState::SERIALIZATION_FAILURE, "x").is_retryable());
        assert!(Error::new(SqlState::DEADLOCK_DETECTED, "x").is_retryable());
        assert!(matches!(
            Error::new(SqlState::QUERY_CANCELED, "x"),
            Error::Interrupted(_)
        ));
        assert!(matches!(
            Error::new(SqlState::DISK_FULL, "x"),
            Error::System(_)
        ));
        assert!(matches!(
            Error::new(SqlState::DATA_CORRUPTED, "x"),
            Error::System(_)
        ));
        assert!(matches!(
            Error::new(SqlState::UNDEFINED_TABLE, "x"),
            Error::Statement(_)
        ));
        assert!(matches!(
            Error::new(SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "x"),
            Error::Statement(_)
        ));
        let e = Error::unsupported("LISTEN")
            .with_hint("h")
            .with_position(3)
            .with_position(9);
        assert_eq!(e.sqlstate().code(), "0A000");
        assert_eq!(e.to_string(), "LISTEN is not supported");
        assert_eq!(e.fields().position, Some(3));
    }

    #[test]
    fn storage_errors_keep_their_meaning() {
        let e: Error = anchor_engine::Error::Serialization("x".into()).into();
        assert_eq!(e.sqlstate(), SqlState::SERIALIZATION_FAILURE);
        let e: Error = anchor_engine::Error::corruption("/f", "bad").into();
        assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED);
    }
}
