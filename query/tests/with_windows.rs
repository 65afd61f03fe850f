//! WITH queries and window functions end to end: what the .slt suites cannot show because
//! PostgreSQL answers differently on purpose (features Anchor refuses with 0A000), and plans.

use anchor_query::{Database, Session, SqlState};

fn session() -> Session {
    let mut s = Database::memory().unwrap().session();
    for r in s.execute("CREATE TABLE t (a INT, b INT); INSERT INTO t VALUES (1, 10), (2, 20)") {
        r.unwrap();
    }
    s
}

fn err(s: &mut Session, sql: &str) -> SqlState {
    match s.execute(sql).pop().unwrap() {
        Ok(r) => panic!("{sql}: expected an error, got {}", r.tag),
        Err(e) => e.sqlstate(),
    }
}

fn explain(s: &mut Session, sql: &str) -> String {
    let result = s.execute(&format!("EXPLAIN {sql}")).pop().unwrap().unwrap();
    let settings = s.settings().clone();
    result
        .rows
        .iter()
        .filter_map(|r| r.first().and_then(|v| v.to_text(&settings)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn data_modifying_with_queries_are_refused() {
    let mut s = session();
    for sql in [
        "WITH d AS (DELETE FROM t RETURNING a) SELECT * FROM d",
        "WITH i AS (INSERT INTO t VALUES (3, 30) RETURNING a) SELECT * FROM i",
        "WITH u AS (UPDATE t SET a = 0 RETURNING a) SELECT * FROM u",
    ] {
        assert_eq!(err(&mut s, sql), SqlState::FEATURE_NOT_SUPPORTED, "{sql}");
    }
    // Nothing was deleted.
    let rows = s.execute("SELECT count(*) FROM t").pop().unwrap().unwrap();
    assert_eq!(rows.rows.len(), 1);
    assert_eq!(rows.rows[0][0].to_text(s.settings()).as_deref(), Some("2"));
}

#[test]
fn plans_show_windows_and_with_queries() {
    let mut s = session();
    let plan = explain(&mut s, "SELECT a, rank() OVER (ORDER BY b DESC) FROM t");
    assert!(
        plan.contains("WindowAgg: rank() OVER (ORDER BY #1 DESC"),
        "{plan}"
    );
    let plan = explain(
        &mut s,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n, n AS m",
    );
    assert_eq!(plan.matches("CTE Scan on n").count(), 2, "{plan}");
    assert!(plan.contains("Recursive Union All"), "{plan}");
    assert!(plan.contains("WorkTable Scan"), "{plan}");
}
