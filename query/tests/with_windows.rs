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
fn data_modifying_with_queries_run_once_at_the_top_level_only() {
    let mut s = session();
    for sql in [
        "SELECT * FROM (WITH d AS (DELETE FROM t RETURNING a) SELECT * FROM d) x",
        "WITH RECURSIVE d AS (DELETE FROM t RETURNING a) SELECT * FROM d",
    ] {
        assert_eq!(err(&mut s, sql), SqlState::FEATURE_NOT_SUPPORTED, "{sql}");
    }
    // Nothing was deleted by the refused statements.
    let count = |s: &mut Session| {
        let rows = s.execute("SELECT count(*) FROM t").pop().unwrap().unwrap();
        rows.rows[0][0].to_text(s.settings()).unwrap()
    };
    assert_eq!(count(&mut s), "2");
    // Referenced twice, not referenced at all: the insert runs exactly once each time.
    let r = s
        .execute("WITH i AS (INSERT INTO t VALUES (3, 30) RETURNING a) SELECT * FROM i, i AS j")
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(count(&mut s), "3");
    s.execute("WITH i AS (INSERT INTO t VALUES (4, 40)) SELECT 1")
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(count(&mut s), "4");
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
