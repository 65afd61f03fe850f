//! Running a file: records one by one, counting instead of stopping.
//!
//! The `sqllogictest` crate parses records and checks each one; this module drives it the
//! way the SQLite corpus needs:
//!
//! - **Keep going.** A failed record is counted and the next one runs, as SQLite's own driver
//!   does; a statement that fails does not stop the file.
//! - **Two dialects of file.** `.test` files follow SQLite's conventions: one value per result
//!   line (`control resultmode valuewise`) and results of more than 8 values compared through
//!   their MD5 (`hash-threshold 8`, "30 values hashing to ..."). `.slt` files (Anchor's own
//!   suites) compare row by row and hash nothing unless they say so. A file can change either
//!   with the usual `control` and `hash-threshold` records.
//! - **Conditions with comments.** The corpus writes `skipif mysql # not compatible`; the
//!   comment is cut off before parsing.
//! - **Conditional halt.** `onlyif mssql` followed by `halt` stops the file only when the
//!   condition holds (the crate would stop unconditionally and carry the condition over to the
//!   next record).
//! - **Labels.** `skipif`/`onlyif` test the labels of [`RunOptions::labels`]: `postgresql` and
//!   `postgres` by default, since Anchor answers like PostgreSQL.
//! - **Formatting.** Values are printed by the type letters of the `query` line
//!   ([`crate::format`]).
//!
//! The rewriting keeps every line where it was, so failures report the file's own line numbers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::executor::block_on;
use sqllogictest::{DBOutput, DefaultColumnType, Record, RecordOutput, Runner};

use crate::backend::{Backend, BackendError, ColumnType, QueryOutput};
use crate::format::{Conventions, guess_type};

/// How to run a file.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Labels that `skipif` and `onlyif` test.
    pub labels: Vec<String>,
    /// Run only the first this many records that count (statements and queries).
    pub limit: Option<usize>,
    /// Value formatting.
    pub conventions: Conventions,
    /// Follow SQLite's conventions (values one per line, hashing above 8 values); `None`
    /// decides by the extension (`.test` yes, anything else no).
    pub sqlite_format: Option<bool>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            labels: vec!["postgresql".into(), "postgres".into()],
            limit: None,
            conventions: Conventions::default(),
            sqlite_format: None,
        }
    }
}

impl RunOptions {
    fn sqlite_format(&self, path: &Path) -> bool {
        self.sqlite_format
            .unwrap_or_else(|| path.extension().is_some_and(|e| e == "test"))
    }
}

/// What running a file gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Statement and query records that behaved as expected.
    pub passed: usize,
    /// Records that did not; each one is in `failures`.
    pub failed: usize,
    /// Records that `skipif`/`onlyif` left out.
    pub skipped: usize,
    /// The failed records.
    pub failures: Vec<Failure>,
}

/// One failed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The line of the record in its file (1-based).
    pub line: u32,
    /// What went wrong, with the SQL and the expected and actual results.
    pub message: String,
}

/// Why a file could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid sqllogictest.
    #[error("{0}")]
    Parse(String),
    /// The first connection to the database failed.
    #[error("cannot connect: {0}")]
    Connect(BackendError),
}

/// Expected column types of the record being run, shared between the loop (which knows
/// them) and the adapter (which formats the values).
type Expected = Arc<Mutex<Vec<ColumnType>>>;

/// A [`Backend`] as the `sqllogictest` crate wants it.
struct Adapter<B> {
    backend: B,
    expected: Expected,
    conventions: Conventions,
}

impl<B: Backend> sqllogictest::DB for Adapter<B> {
    type Error = BackendError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, BackendError> {
        match self.backend.run(sql)? {
            QueryOutput::Complete(count) => Ok(DBOutput::StatementComplete(count)),
            QueryOutput::Rows { types, rows } => {
                let expected = self.expected.lock().map(|e| e.clone()).unwrap_or_default();
                let types: Vec<ColumnType> = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match t {
                        ColumnType::Any => {
                            guess_type(rows.iter().map(|r| r.get(i).and_then(|v| v.as_deref())))
                        }
                        t => *t,
                    })
                    .collect();
                // A query that declares no types (one being completed) is printed by the
                // types it gets, so that the completed file passes.
                let expected = if expected.is_empty() {
                    &types
                } else {
                    &expected
                };
                let rows = rows
                    .iter()
                    .map(|row| self.conventions.row(row, expected))
                    .collect();
                let types = types.into_iter().map(to_crate_type).collect();
                Ok(DBOutput::Rows { types, rows })
            }
        }
    }

    fn error_sql_state(err: &BackendError) -> Option<String> {
        err.sqlstate.clone()
    }
}

fn to_crate_type(t: ColumnType) -> DefaultColumnType {
    match t {
        ColumnType::Text => DefaultColumnType::Text,
        ColumnType::Integer => DefaultColumnType::Integer,
        ColumnType::Float => DefaultColumnType::FloatingPoint,
        ColumnType::Any => DefaultColumnType::Any,
    }
}

fn from_crate_type(t: &DefaultColumnType) -> ColumnType {
    match t {
        DefaultColumnType::Text => ColumnType::Text,
        DefaultColumnType::Integer => ColumnType::Integer,
        DefaultColumnType::FloatingPoint => ColumnType::Float,
        DefaultColumnType::Any => ColumnType::Any,
    }
}

/// Rewrites the corpus's condition and halt lines into what the crate parses, line for line.
fn preprocess(script: &str, labels: &[String]) -> String {
    let mut lines: Vec<String> = Vec::new();
    // Indexes (into `lines`) of the condition lines just before the current line.
    let mut conditions: Vec<usize> = Vec::new();
    // Whether those conditions let the next record run.
    let mut applies = true;
    for line in script.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match tokens.as_slice() {
            [keyword @ ("skipif" | "onlyif"), label, ..] => {
                let seen = labels.iter().any(|l| l == label);
                applies &= if *keyword == "skipif" { !seen } else { seen };
                conditions.push(lines.len());
                lines.push(format!("{keyword} {label}"));
                continue;
            }
            ["halt", ..] => {
                // The crate keeps conditions before a halt for the record after it: take them
                // off, and drop the halt too when they say it does not apply here.
                for &i in &conditions {
                    lines[i] = format!("# {}", lines[i]);
                }
                lines.push(if applies {
                    "halt".to_string()
                } else {
                    "# halt (not for these labels)".to_string()
                });
            }
            _ => lines.push(line.to_string()),
        }
        conditions.clear();
        applies = true;
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

type Records = Vec<Record<DefaultColumnType>>;

fn parse(script: &str, path: &Path) -> Result<Records, Error> {
    sqllogictest::parse_with_name(script, path.display().to_string())
        .map_err(|e| Error::Parse(e.to_string()))
}

/// Makes adapters: the first from a backend made up front, the rest from the factory.
struct Maker<B, F> {
    first: Option<B>,
    make_backend: F,
    expected: Expected,
    conventions: Conventions,
}

impl<B, F> sqllogictest::MakeConnection for Maker<B, F>
where
    B: Backend + 'static,
    F: FnMut() -> Result<B, BackendError>,
{
    type Conn = Adapter<B>;
    type MakeFuture = std::future::Ready<Result<Adapter<B>, BackendError>>;

    fn make(&mut self) -> Self::MakeFuture {
        let backend = match self.first.take() {
            Some(backend) => Ok(backend),
            None => (self.make_backend)(),
        };
        std::future::ready(backend.map(|backend| Adapter {
            backend,
            expected: self.expected.clone(),
            conventions: self.conventions,
        }))
    }
}

type FileRunner<B, F> = Runner<Adapter<B>, Maker<B, F>>;

/// A runner over backends from `make_backend`, set up for `path`. The first backend is made
/// here, so that a database that cannot be reached is an error rather than a failed record.
fn runner<B, F>(
    path: &Path,
    mut make_backend: F,
    options: &RunOptions,
) -> Result<(FileRunner<B, F>, Expected), Error>
where
    B: Backend + 'static,
    F: FnMut() -> Result<B, BackendError>,
{
    let expected: Expected = Arc::default();
    let first = make_backend().map_err(Error::Connect)?;
    let mut runner = Runner::new(Maker {
        first: Some(first),
        make_backend,
        expected: expected.clone(),
        conventions: options.conventions,
    });
    for label in &options.labels {
        runner.add_label(label);
    }
    if options.sqlite_format(path) {
        runner.with_hash_threshold(8);
        for record in parse("control resultmode valuewise\n", path)? {
            runner
                .run(record)
                .map_err(|e| Error::Parse(e.to_string()))?;
        }
    }
    Ok((runner, expected))
}

/// Tells the adapter the column types a record expects.
fn expect(expected: &Expected, record: &Record<DefaultColumnType>) {
    let types = match record {
        Record::Query {
            expected: sqllogictest::QueryExpect::Results { types, .. },
            ..
        } => types.iter().map(from_crate_type).collect(),
        _ => Vec::new(),
    };
    if let Ok(mut e) = expected.lock() {
        *e = types;
    }
}

/// Runs the file at `path` against backends from `make_backend` (called once per connection
/// the file uses, so a file that uses `connection` records gets several sessions on one
/// database) and counts what passed, failed and was skipped.
///
/// Statement, query, `system` and `let` records count. A `halt` that applies ends the file; records after
/// it are not counted.
pub fn run_file<B, F>(path: &Path, make_backend: F, options: &RunOptions) -> Result<Report, Error>
where
    B: Backend + 'static,
    F: FnMut() -> Result<B, BackendError>,
{
    let script = preprocess(&read(path)?, &options.labels);
    let records = parse(&script, path)?;
    let (mut runner, expected) = runner(path, make_backend, options)?;
    let mut report = Report::default();
    let mut seen = 0;
    for record in records {
        let line = match &record {
            Record::Statement { loc, .. }
            | Record::Query { loc, .. }
            | Record::System { loc, .. }
            | Record::Let { loc, .. } => loc.line(),
            Record::Halt { .. } => break,
            _ => {
                runner
                    .run(record)
                    .map_err(|e| Error::Parse(e.to_string()))?;
                continue;
            }
        };
        if options.limit.is_some_and(|limit| seen >= limit) {
            break;
        }
        seen += 1;
        expect(&expected, &record);
        match runner.run(record) {
            Ok(RecordOutput::Nothing) => report.skipped += 1,
            Ok(_) => report.passed += 1,
            Err(err) => {
                report.failed += 1;
                report.failures.push(Failure {
                    line,
                    message: err.display(false).to_string().trim_end().to_string(),
                });
            }
        }
    }
    runner.shutdown();
    Ok(report)
}

/// Rewrites the expected results of the file at `path` with what the backend returns
/// (`--complete`): query results, statement counts and error messages. Records after a `halt`
/// are kept as they are. Meant for Anchor's own `.slt` suites; the SQLite corpus is never
/// rewritten.
pub fn complete_file<B, F>(path: &Path, make_backend: F, options: &RunOptions) -> Result<(), Error>
where
    B: Backend + 'static,
    F: FnMut() -> Result<B, BackendError>,
{
    let script = read(path)?;
    let records = parse(&script, path)?;
    let (mut runner, expected) = runner(path, make_backend, options)?;
    let mut out = String::new();
    let mut halted = false;
    for record in records {
        if !halted {
            halted = matches!(record, Record::Halt { .. });
        }
        if halted {
            out.push_str(&format!("{record}\n"));
            continue;
        }
        expect(&expected, &record);
        let output = block_on(runner.apply_record(record.clone()));
        if keeps_sqlstate(&record, &output) {
            out.push_str(&format!("{record}\n"));
            continue;
        }
        let updated = sqllogictest::update_record_with_output(
            &record,
            &output,
            " ",
            sqllogictest::default_validator,
            sqllogictest::default_normalizer,
            |actual, expected| actual.len() == expected.len(),
        )
        .unwrap_or(record);
        out.push_str(&format!("{updated}\n"));
    }
    runner.shutdown();
    let mut out = out.trim_end().to_string();
    out.push('\n');
    std::fs::write(path, out).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// True if `record` expects an error by SQLSTATE and `output` failed with that SQLSTATE: the
/// crate's updater compares only messages, and would replace the code with the message.
fn keeps_sqlstate(
    record: &Record<DefaultColumnType>,
    output: &sqllogictest::RecordOutput<DefaultColumnType>,
) -> bool {
    use sqllogictest::{ExpectedError, QueryExpect, RecordOutput, StatementExpect};
    let (expected, error) = match (record, output) {
        (
            Record::Statement {
                expected: StatementExpect::Error(ExpectedError::SqlState(s)),
                ..
            },
            RecordOutput::Statement { error: Some(e), .. },
        )
        | (
            Record::Query {
                expected: QueryExpect::Error(ExpectedError::SqlState(s)),
                ..
            },
            RecordOutput::Query { error: Some(e), .. },
        ) => (s, e),
        _ => return false,
    };
    error
        .downcast_ref::<BackendError>()
        .and_then(|b| b.sqlstate.as_deref())
        == Some(expected.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        RunOptions::default().labels
    }

    #[test]
    fn conditions_lose_their_comments() {
        let out = preprocess(
            "skipif mysql # not compatible\nquery I\nSELECT 1\n",
            &labels(),
        );
        assert_eq!(out, "skipif mysql\nquery I\nSELECT 1\n");
    }

    #[test]
    fn halt_obeys_its_conditions() {
        let script = "onlyif mssql\nhalt\n\nskipif sqlite\nhalt\n\nonlyif postgresql\nhalt\n";
        let out = preprocess(script, &labels());
        assert_eq!(
            out,
            "# onlyif mssql\n# halt (not for these labels)\n\n# skipif sqlite\nhalt\n\n# onlyif postgresql\nhalt\n"
        );
        assert_eq!(out.lines().count(), script.lines().count());
    }
}
