//! Errors of the storage layer, sorted by what the caller must do.

use std::path::PathBuf;

/// A storage result.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong in storage. Each variant tells the caller what to do: retry the
/// transaction, fix the request, or give up because the data or the machine is at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    /// A checksum, magic number or structure did not match: the file is damaged. Never
    /// retried; the data it would have returned is not trusted.
    #[error("data corrupted in {path}: {detail}")]
    Corruption {
        /// The file in which the damage was found.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// An operating-system I/O error (disk full, permission, ...).
    #[error("I/O error: {0}")]
    Io(String),
    /// The disk is full: the write that needed space failed and changed nothing.
    #[error("disk full: {0}")]
    DiskFull(String),
    /// The request itself is invalid (empty key, oversize value, bad option).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A concurrent transaction changed what this one read or wrote; retry the transaction.
    #[error("could not serialize access due to {0}")]
    Serialization(String),
    /// This transaction was chosen as the victim of a deadlock; retry the transaction.
    #[error("deadlock detected: {0}")]
    Deadlock(String),
    /// A row lock could not be taken at once (NOWAIT) or within the lock timeout.
    #[error("could not obtain lock: {0}")]
    LockNotAvailable(String),
    /// The statement was cancelled while it waited.
    #[error("canceling statement due to user request")]
    Cancelled,
    /// The transaction is read-only and was asked to write.
    #[error("cannot execute {0} in a read-only transaction")]
    ReadOnly(String),
    /// A read asked for a version older than the garbage-collection retention keeps.
    #[error("snapshot too old: {0}")]
    SnapshotTooOld(String),
    /// The engine was used after it was closed or after a fatal error.
    #[error("engine closed: {0}")]
    Closed(String),
}

impl Error {
    /// True when the whole transaction may succeed if it is run again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Serialization(_) | Error::Deadlock(_))
    }

    /// Shorthand for a corruption error in `path`.
    pub fn corruption(path: impl Into<PathBuf>, detail: impl Into<String>) -> Error {
        Error::Corruption {
            path: path.into(),
            detail: detail.into(),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        if err.raw_os_error() == Some(libc::ENOSPC) || err.kind() == std::io::ErrorKind::StorageFull
        {
            Error::DiskFull(err.to_string())
        } else {
            Error::Io(err.to_string())
        }
    }
}
