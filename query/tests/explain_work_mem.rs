//! EXPLAIN ANALYZE's output shape, and queries under a small `work_mem`: sorts spill to
//! disk and give the same rows as in memory; hash tables over the limit fail with 53200.

use anchor_query::{Database, Session, SqlState};

fn session() -> Session {
    Database::memory().unwrap().session()
}

/// Runs `sql` (one statement) and renders its rows as text, `NULL` for null.
fn rows(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    let mut results = s.execute(sql);
    assert_eq!(results.len(), 1, "{sql}");
    let result = results
        .pop()
        .unwrap()
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let settings = s.settings().clone();
    result
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| v.to_text(&settings).unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}

fn ok(s: &mut Session, sql: &str) {
    for r in s.execute(sql) {
        r.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

fn plan(s: &mut Session, sql: &str) -> Vec<String> {
    rows(s, sql).into_iter().map(|r| r[0].clone()).collect()
}

#[test]
fn explain_analyze_counts_rows_and_loops() {
    let mut s = session();
    ok(
        &mut s,
        "CREATE TABLE a (x INT, z INT); CREATE TABLE b (y INT);
         INSERT INTO a VALUES (1, 1), (2, 2), (3, 0), (4, 1), (5, 2), (6, 0), (7, 1), (8, 2), (9, 0), (10, 1);
         INSERT INTO b VALUES (1), (2), (2), (NULL)",
    );
    let lines = plan(
        &mut s,
        "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT x FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.y = a.x)",
    );
    assert_eq!(
        lines,
        [
            "Project: #0  (actual rows=2 loops=1)",
            "  ->  Hash Semi Join on #0 = #0  (actual rows=2 loops=1)",
            "    ->  Seq Scan on a  (actual rows=10 loops=1)",
            "    ->  Seq Scan on b  (actual rows=4 loops=1)",
        ]
    );
    // With timing: startup..total in milliseconds, and the execution time at the end.
    let lines = plan(&mut s, "EXPLAIN ANALYZE SELECT x FROM a ORDER BY x LIMIT 3");
    assert!(lines[0].starts_with("Limit: 3::integer offset none  (actual time="), "{lines:?}");
    assert!(lines[0].ends_with(" rows=3 loops=1)"), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Sort: #0  (actual time=")), "{lines:?}");
    assert!(lines.last().unwrap().starts_with("Execution Time: "), "{lines:?}");
    // The option form, with loops of a correlated subquery that stays a subquery.
    let lines = plan(
        &mut s,
        "EXPLAIN (ANALYZE true, TIMING false, SUMMARY false) SELECT x, (SELECT count(*) FROM b WHERE b.y = a.x) FROM a",
    );
    assert_eq!(lines[0], "Project: #0, (SubPlan)  (actual rows=10 loops=1)");
    // EXPLAIN ANALYZE of DML runs it.
    let lines = plan(
        &mut s,
        "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) INSERT INTO b SELECT x FROM a",
    );
    assert_eq!(lines[0], "Insert on b  (actual rows=0 loops=1)");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM b"), [["14"]]);
    let lines = plan(&mut s, "EXPLAIN ANALYZE DELETE FROM b WHERE y > 5");
    assert!(lines[0].starts_with("Delete on b  (actual time="), "{lines:?}");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM b"), [["9"]]);
    // Plain EXPLAIN does not run the statement.
    ok(&mut s, "EXPLAIN DELETE FROM b");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM b"), [["9"]]);
}

#[test]
fn explain_options_are_checked() {
    let mut s = session();
    ok(&mut s, "CREATE TABLE t (x INT)");
    let code = |s: &mut Session, sql: &str| match s.execute(sql).pop().unwrap() {
        Ok(r) => panic!("{sql}: expected an error, got {}", r.tag),
        Err(e) => e.sqlstate(),
    };
    assert_eq!(
        code(&mut s, "EXPLAIN (TIMING) SELECT * FROM t"),
        SqlState::INVALID_PARAMETER_VALUE
    );
    assert_eq!(
        code(&mut s, "EXPLAIN (NONSENSE) SELECT * FROM t"),
        SqlState::SYNTAX_ERROR
    );
    assert_eq!(
        plan(&mut s, "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT * FROM t"),
        [
            "Project: #0  (actual rows=0 loops=1)",
            "  ->  Seq Scan on t  (actual rows=0 loops=1)"
        ]
    );
}
