//! The runner against a fake in-memory backend, so CI tests it without a database server.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anchor_sqllogictest::{
    Backend, BackendError, ColumnType, QueryOutput, Report, RunOptions, complete_file, run_file,
};

/// Answers from a fixed table of SQL strings; anything else is a syntax error.
struct Fake {
    answers: Arc<HashMap<&'static str, Result<QueryOutput, BackendError>>>,
    sent: Arc<AtomicUsize>,
}

fn rows(types: &[ColumnType], rows: &[&[Option<&str>]]) -> Result<QueryOutput, BackendError> {
    Ok(QueryOutput::Rows {
        types: types.to_vec(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|v| v.map(str::to_string)).collect())
            .collect(),
    })
}

fn answers() -> HashMap<&'static str, Result<QueryOutput, BackendError>> {
    use ColumnType::*;
    let missing = BackendError {
        message: r#"relation "missing" does not exist"#.into(),
        sqlstate: Some("42P01".into()),
    };
    let nine: Vec<[Option<&str>; 1]> = ["3", "1", "2", "9", "8", "7", "4", "5", "6"]
        .iter()
        .map(|v| [Some(*v)])
        .collect();
    let nine: Vec<&[Option<&str>]> = nine.iter().map(|r| &r[..]).collect();
    HashMap::from([
        (
            "CREATE TABLE t (a int, b text)",
            Ok(QueryOutput::Complete(0)),
        ),
        (
            "INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, '')",
            Ok(QueryOutput::Complete(3)),
        ),
        ("SELECT * FROM missing", Err(missing)),
        (
            "SELECT a, b FROM t",
            rows(
                &[Integer, Text],
                &[
                    &[Some("3"), Some("")],
                    &[Some("1"), Some("one")],
                    &[Some("2"), None],
                ],
            ),
        ),
        (
            "SELECT 7.0 / 2",
            rows(&[Any], &[&[Some("3.5000000000000000")]]),
        ),
        ("SELECT 1 + 1", rows(&[Integer], &[&[Some("2")]])),
        ("UPDATE t SET a = a", Ok(QueryOutput::Complete(3))),
        ("SELECT x FROM nine", rows(&[Integer], &nine)),
        (
            "SELECT 1, 2",
            rows(&[Integer, Integer], &[&[Some("1"), Some("2")]]),
        ),
        ("SELECT 1 IN (2)", rows(&[Any], &[&[Some("f")]])),
    ])
}

/// A factory of fake backends sharing one table, and the count of statements they received.
fn factory() -> (
    impl FnMut() -> Result<Fake, BackendError>,
    Arc<AtomicUsize>,
    Arc<AtomicUsize>,
) {
    let answers = Arc::new(answers());
    let sent = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let (s, m) = (sent.clone(), made.clone());
    let make = move || {
        m.fetch_add(1, Ordering::Relaxed);
        Ok(Fake {
            answers: answers.clone(),
            sent: s.clone(),
        })
    };
    (make, sent, made)
}

impl Backend for Fake {
    fn run(&mut self, sql: &str) -> Result<QueryOutput, BackendError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.answers.get(sql.trim()).cloned().unwrap_or_else(|| {
            Err(BackendError {
                message: format!("syntax error: {sql}"),
                sqlstate: Some("42601".into()),
            })
        })
    }
}

fn file() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slt/fake.slt"))
}

#[test]
fn a_failed_record_is_counted_and_the_file_goes_on() {
    let (make, sent, made) = factory();
    let report = run_file(file(), make, &RunOptions::default()).unwrap();
    assert_eq!(
        (report.passed, report.failed, report.skipped),
        (8, 1, 1),
        "{report:#?}"
    );
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].line, 28);
    assert!(
        report.failures[0].message.contains("SELECT 1 + 1"),
        "{report:#?}"
    );
    // The skipped record was never sent; one session served the whole file.
    assert_eq!(sent.load(Ordering::Relaxed), 9);
    assert_eq!(made.load(Ordering::Relaxed), 1);
}

#[test]
fn limit_runs_only_the_first_records() {
    let (make, sent, _) = factory();
    let options = RunOptions {
        limit: Some(3),
        ..RunOptions::default()
    };
    let report = run_file(file(), make, &options).unwrap();
    assert_eq!((report.passed, report.failed, report.skipped), (3, 0, 0));
    assert_eq!(sent.load(Ordering::Relaxed), 3);
}

#[test]
fn labels_decide_skipif_and_onlyif() {
    let (make, _, _) = factory();
    let options = RunOptions {
        labels: vec!["anchor".into()],
        ..RunOptions::default()
    };
    let report = run_file(file(), make, &options).unwrap();
    // `skipif postgresql` now runs (and fails: unknown SQL), `onlyif postgresql` is skipped.
    assert_eq!(
        (report.passed, report.failed, report.skipped),
        (7, 2, 1),
        "{report:#?}"
    );
}

const SQLITE_STYLE: &str = "\
hash-threshold 8

# Values one per line, more than 8 of them hashed.
query I valuesort
SELECT x FROM nine
----
9 values hashing to 22e400a2ddbb013acf2a5852d6ab69fc

query II
SELECT 1, 2
----
1
2

onlyif mysql # aggregate syntax:
query I
SELECT 'mysql only'
----
1

onlyif mssql
halt

query I nosort
SELECT 1 IN (2)
----
0

skipif sqlite
halt

query I
SELECT 'after the halt'
----
1
";

fn sqlite_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("sqlite_style.test");
    std::fs::write(&path, SQLITE_STYLE).unwrap();
    path
}

#[test]
fn sqlite_conventions_for_test_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = sqlite_file(dir.path());
    let (make, _, _) = factory();
    let report = run_file(&path, make, &RunOptions::default()).unwrap();
    // PostgreSQL's `f` is not SQLite's 0; the halt that applies ends the file.
    assert_eq!(
        (report.passed, report.failed, report.skipped),
        (2, 1, 1),
        "{report:#?}"
    );
    assert_eq!(report.failures[0].line, 24);

    let (make, _, _) = factory();
    let mut options = RunOptions::default();
    options.conventions.bool_as_int = true;
    let report = run_file(&path, make, &options).unwrap();
    assert_eq!(
        report,
        Report {
            passed: 3,
            failed: 0,
            skipped: 1,
            failures: vec![]
        }
    );
}

#[test]
fn complete_rewrites_expected_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.slt");
    std::fs::write(
        &path,
        "statement ok\nCREATE TABLE t (a int, b text)\n\nquery IT rowsort\nSELECT a, b FROM t\n----\n9 nine\n\nquery\nSELECT 1 + 1\n\nquery\nSELECT 7.0 / 2\n\nstatement ok\nSELECT * FROM missing\n",
    )
    .unwrap();
    let (make, _, _) = factory();
    complete_file(&path, make, &RunOptions::default()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("----\n1 one\n2 NULL\n3 (empty)\n"), "{text}");
    assert!(text.contains("query I\nSELECT 1 + 1\n----\n2\n"), "{text}");
    assert!(
        text.contains("query R\nSELECT 7.0 / 2\n----\n3.500\n"),
        "{text}"
    );
    assert!(text.contains("statement error"), "{text}");

    let (make, _, _) = factory();
    let report = run_file(&path, make, &RunOptions::default()).unwrap();
    assert_eq!(
        (report.passed, report.failed),
        (5, 0),
        "{report:#?}\n{text}"
    );
}

#[test]
fn a_backend_that_cannot_connect_is_an_error() {
    let make = || -> Result<Fake, BackendError> { Err(BackendError::new("connection refused")) };
    let err = run_file(file(), make, &RunOptions::default()).unwrap_err();
    assert!(err.to_string().contains("connection refused"), "{err}");
}
