//! End-to-end tests of functions through sessions: result column names and types, and
//! the transaction clock. Expectations were checked against PostgreSQL 15.

use anchor_query::types::DataType;
use anchor_query::{Database, Session};

fn session() -> Session {
    Database::memory().unwrap().session()
}

fn columns(s: &mut Session, sql: &str) -> Vec<(String, DataType)> {
    let mut results = s.execute(sql);
    assert_eq!(results.len(), 1, "{sql}");
    results
        .pop()
        .unwrap()
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .columns
}

fn one(s: &mut Session, sql: &str) -> String {
    let mut results = s.execute(sql);
    let result = results
        .pop()
        .unwrap()
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let settings = s.settings().clone();
    result.rows[0][0]
        .to_text(&settings)
        .unwrap_or_else(|| "NULL".into())
}

#[test]
fn columns_are_named_and_typed_as_postgres() {
    let mut s = session();
    let cols = columns(
        &mut s,
        "SELECT extract(year FROM now()), position('a' IN 'b'), substring('abc' FROM 1), \
         trim(' a '), ARRAY[1], (ARRAY[1])[1], now() AT TIME ZONE 'UTC', date '2024-01-01', \
         interval '1 day', '{\"a\":1}'::jsonb -> 'a', current_date, generate_series(1, 2)",
    );
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "extract",
            "position",
            "substring",
            "btrim",
            "array",
            "array",
            "timezone",
            "date",
            "interval",
            "?column?",
            "current_date",
            "generate_series"
        ]
    );
    let types: Vec<String> = cols.iter().map(|(_, t)| t.name()).collect();
    assert_eq!(
        types,
        [
            "numeric",
            "integer",
            "text",
            "text",
            "integer[]",
            "integer",
            "timestamp without time zone",
            "date",
            "interval",
            "jsonb",
            "date",
            "integer"
        ]
    );
}

#[test]
fn now_is_the_transaction_start() {
    let mut s = session();
    s.execute("BEGIN");
    let first = one(&mut s, "SELECT now()");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(one(&mut s, "SELECT now()"), first);
    assert_eq!(one(&mut s, "SELECT now() < statement_timestamp()"), "t");
    assert_eq!(one(&mut s, "SELECT now() < clock_timestamp()"), "t");
    s.execute("COMMIT");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_ne!(one(&mut s, "SELECT now()"), first);
    assert_eq!(one(&mut s, "SELECT now() = statement_timestamp()"), "t");
}
