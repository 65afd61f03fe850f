//! EXPLAIN ANALYZE's output shape, and queries under a small `work_mem`: sorts, hash
//! aggregations, hash joins, DISTINCT (ON), set operations, window functions, WITH queries,
//! recursive work tables and nested loop joins spill to disk and give the same rows as in
//! memory.

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
    assert!(
        lines[0].starts_with("Limit: 3::integer offset none  (actual time="),
        "{lines:?}"
    );
    assert!(lines[0].ends_with(" rows=3 loops=1)"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("Sort: #0  (actual time=")),
        "{lines:?}"
    );
    assert!(
        lines.last().unwrap().starts_with("Execution Time: "),
        "{lines:?}"
    );
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
    assert!(
        lines[0].starts_with("Delete on b  (actual time="),
        "{lines:?}"
    );
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
        plan(
            &mut s,
            "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT * FROM t"
        ),
        [
            "Project: #0  (actual rows=0 loops=1)",
            "  ->  Seq Scan on t  (actual rows=0 loops=1)"
        ]
    );
}

/// A session with the digits `d` and `big` (id, k, s) of `n` rows, `n` at most 10000.
fn big(n: usize) -> Session {
    let mut s = session();
    ok(
        &mut s,
        "CREATE TABLE d (n INT); INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
         CREATE TABLE big (id INT, k INT, s TEXT)",
    );
    ok(
        &mut s,
        &format!(
            "INSERT INTO big SELECT id, (id * 7919) % 1000, 'row ' || ((id * 31) % 977)
             FROM (SELECT a.n + 10 * b.n + 100 * c.n + 1000 * e.n AS id
                   FROM d a, d b, d c, d e) t0
             WHERE id < {n}",
        ),
    );
    s
}

#[test]
fn sorts_spill_beyond_work_mem() {
    let mut s = big(10_000);
    // 300 thousand rows: 10 thousand times 30.
    ok(
        &mut s,
        "CREATE TABLE thirty (n INT);
         INSERT INTO thirty SELECT a.n + 10 * b.n FROM d a, d b WHERE a.n + 10 * b.n < 30;
         CREATE TABLE large AS SELECT id + 10000 * t.n AS id, k, s FROM big, thirty t",
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM large"), [["300000"]]);
    let queries = [
        "SELECT id, k, s FROM large ORDER BY k, s DESC, id",
        "SELECT id, s FROM large ORDER BY s, id DESC LIMIT 1000 OFFSET 200",
        "SELECT k, count(*), min(s) FROM large GROUP BY k ORDER BY 2 DESC, 1",
        // 300 thousand groups: the aggregation spills partitions, recursively.
        "SELECT id % 150000, count(*), sum(k), max(s) FROM large GROUP BY id % 150000 ORDER BY 1",
        "SELECT count(*) FROM (SELECT DISTINCT s, k FROM large) t",
    ];
    let mut in_memory = Vec::new();
    for q in queries {
        in_memory.push(rows(&mut s, q));
    }
    ok(&mut s, "SET work_mem = '64kB'");
    for (q, expected) in queries.iter().zip(&in_memory) {
        assert!(
            rows(&mut s, q) == *expected,
            "{q} differs under work_mem = 64kB"
        );
    }
    assert_eq!(in_memory[0].len(), 300_000);
    assert_eq!(in_memory[1].len(), 1000);
    assert_eq!(in_memory[3].len(), 150_000);
    assert!(in_memory[3].iter().all(|r| r[1] == "2"));
    // The first rows of the full sort, checked by hand: k = 0 for ids that are multiples
    // of 1000, s descending.
    assert_eq!(in_memory[0][0][1], "0");
}

#[test]
fn hash_joins_spill_beyond_work_mem() {
    let mut s = big(10_000);
    // Keys with NULLs on both sides, and rows on each side without a partner.
    ok(
        &mut s,
        "CREATE TABLE l AS SELECT id, CASE WHEN id % 97 = 0 THEN NULL ELSE k END AS k, s FROM big;
         CREATE TABLE r AS SELECT id, CASE WHEN id % 89 = 0 THEN NULL ELSE (k * 3) % 1200 END AS k, s FROM big WHERE id % 5 <> 1",
    );
    let queries = [
        "SELECT count(*), sum(l.id), sum(r.id) FROM l JOIN r ON l.k = r.k",
        "SELECT count(*), sum(id) FROM l WHERE EXISTS (SELECT 1 FROM r WHERE r.k = l.k AND r.id <> l.id)",
        "SELECT count(*), sum(id) FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE r.k = l.k)",
        "SELECT count(*), sum(id) FROM l WHERE k NOT IN (SELECT k FROM r WHERE k IS NOT NULL)",
        "SELECT count(*) FROM l WHERE k NOT IN (SELECT k FROM r)",
        "SELECT l.id, r.k FROM l JOIN r ON l.id = r.id ORDER BY l.id LIMIT 50",
    ];
    let mut in_memory = Vec::new();
    for q in queries {
        in_memory.push(rows(&mut s, q));
    }
    ok(&mut s, "SET work_mem = '64kB'");
    for (q, expected) in queries.iter().zip(&in_memory) {
        assert_eq!(rows(&mut s, q), *expected, "{q} under work_mem = 64kB");
    }
    // Sanity: the joins found rows, and NOT IN over a NULL found none.
    assert_ne!(in_memory[0][0][0], "0");
    assert_ne!(in_memory[2][0][0], "0");
    assert_eq!(in_memory[4], [["0"]]);
    assert_eq!(in_memory[5].len(), 50);
}

#[test]
fn explain_analyze_annotates_every_plan_shape() {
    let mut s = session();
    ok(
        &mut s,
        "CREATE TABLE t (id INT PRIMARY KEY, x INT, g TEXT);
         INSERT INTO t VALUES (1, 1, 'a'), (2, 2, 'a'), (3, NULL, 'b')",
    );
    for sql in [
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
        "WITH c AS (SELECT * FROM t) SELECT * FROM c a, c b WHERE a.id = b.id",
        "SELECT g, count(*), row_number() OVER (ORDER BY g) FROM t GROUP BY g",
        "SELECT * FROM t WHERE x NOT IN (SELECT x FROM t WHERE x IS NOT NULL) UNION ALL SELECT * FROM t LIMIT 2",
        "SELECT DISTINCT g FROM t EXCEPT SELECT 'a'",
        "VALUES (1), (2)",
    ] {
        let lines = plan(
            &mut s,
            &format!("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) {sql}"),
        );
        assert!(lines[0].contains("  (actual rows="), "{sql}: {lines:?}");
        assert!(
            !lines.iter().any(|l| l.contains("time=")),
            "{sql}: {lines:?}"
        );
    }
    let code = |s: &mut Session, sql: &str| s.execute(sql).pop().unwrap().unwrap_err().sqlstate();
    assert_eq!(
        code(&mut s, "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1"),
        SqlState::FEATURE_NOT_SUPPORTED
    );
    // UPDATE runs under EXPLAIN ANALYZE.
    ok(
        &mut s,
        "EXPLAIN (ANALYZE, COSTS OFF, VERBOSE) UPDATE t SET x = x + 1 WHERE id IN (SELECT id FROM t)",
    );
    assert_eq!(
        rows(&mut s, "SELECT x FROM t ORDER BY id"),
        [["2"], ["3"], ["NULL"]]
    );
}

#[test]
fn distinct_and_set_operations_spill_beyond_work_mem() {
    // DISTINCT, DISTINCT ON and set operations under a small work_mem.
    let mut s = big(10_000);
    let queries = [
        "SELECT DISTINCT k, s FROM big",
        "SELECT DISTINCT id % 3000, s FROM (SELECT * FROM big UNION ALL SELECT * FROM big) t",
        "SELECT id, s FROM big UNION SELECT id + 5000, s FROM big",
        "SELECT id, k FROM big UNION ALL SELECT id, k FROM big WHERE id % 3 = 0",
        "SELECT id % 4000, k FROM big INTERSECT SELECT id % 6000, k FROM big",
        "SELECT id % 2000 FROM big INTERSECT ALL SELECT id % 3000 FROM big",
        "SELECT id % 5000, s FROM big EXCEPT SELECT id, s FROM big WHERE id % 2 = 0",
        "SELECT id % 2000 FROM big EXCEPT ALL SELECT id % 3000 FROM big WHERE id % 2 = 0",
        "SELECT DISTINCT ON (k) k, id, s FROM big ORDER BY k, id DESC",
        "SELECT DISTINCT ON (id % 3000, s) id, s FROM big ORDER BY id % 3000, s, id",
    ];
    // Spilled rows come out in another order: compare them sorted.
    let sorted = |s: &mut Session, q: &str| {
        let mut r = rows(s, q);
        r.sort();
        r
    };
    let mut in_memory = Vec::new();
    for q in queries {
        in_memory.push(sorted(&mut s, q));
    }
    ok(&mut s, "SET work_mem = '64kB'");
    for (q, expected) in queries.iter().zip(&in_memory) {
        assert!(
            sorted(&mut s, q) == *expected,
            "{q} differs under work_mem = 64kB"
        );
    }
    // PostgreSQL 15's row counts for the same queries.
    let counts: Vec<usize> = in_memory.iter().map(Vec::len).collect();
    assert_eq!(
        counts,
        [
            10_000, 10_000, 20_000, 13_334, 4000, 7000, 7500, 6500, 1000, 10_000
        ]
    );
    // The row DISTINCT ON keeps for k = 0 is the one with the largest id, as in PostgreSQL.
    assert_eq!(in_memory[8][0], ["0", "9000", "row 555"]);
}

#[test]
fn windows_with_queries_and_nested_loops_spill_beyond_work_mem() {
    let mut s = big(10_000);
    let queries = [
        "SELECT id, k, row_number() OVER (PARTITION BY k ORDER BY id),
                sum(id) OVER (PARTITION BY k % 7 ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW),
                rank() OVER (ORDER BY s), count(*) OVER ()
         FROM big",
        // An argument with a subquery over the row: the window keeps whole rows.
        "SELECT id, sum((SELECT max(d.n) FROM d WHERE d.n < big.id % 10)) OVER (PARTITION BY k % 10 ORDER BY id)
         FROM big",
        "WITH c AS (SELECT id, s FROM big) SELECT count(*), max(a.s), sum(b.id) FROM c a JOIN c b ON a.id = b.id + 1",
        "WITH RECURSIVE r(id, lvl) AS (SELECT id, 0 FROM big UNION ALL SELECT id, lvl + 1 FROM r WHERE lvl < 3)
         SELECT count(*), sum(id), sum(lvl) FROM r",
        "WITH RECURSIVE r(n) AS (SELECT id % 5000 FROM big UNION SELECT (n * 7) % 5003 FROM r)
         SELECT count(*), sum(n) FROM r",
        "SELECT count(*), count(b.id), sum(b.id) FROM (SELECT * FROM big WHERE id < 100) a
         LEFT JOIN big b ON b.id BETWEEN a.id * 50 AND a.id * 50 + 2",
        "SELECT count(*), count(a.id), sum(b.id) FROM (SELECT * FROM big WHERE id < 100) a
         RIGHT JOIN (SELECT * FROM big WHERE id < 5000) b ON b.id BETWEEN a.id * 50 AND a.id * 50 + 2",
    ];
    let sorted = |s: &mut Session, q: &str| {
        let mut r = rows(s, q);
        r.sort();
        r
    };
    let mut in_memory = Vec::new();
    for q in queries {
        in_memory.push(sorted(&mut s, q));
    }
    ok(&mut s, "SET work_mem = '64kB'");
    for (q, expected) in queries.iter().zip(&in_memory) {
        assert!(
            sorted(&mut s, q) == *expected,
            "{q} differs under work_mem = 64kB"
        );
    }
    assert_eq!(in_memory[0].len(), 10_000);
    assert_eq!(in_memory[1].len(), 10_000);
    // Checksums of the window values (NULLs left out), from PostgreSQL 15.
    let total = |rows: &[Vec<String>], col: usize| -> i64 {
        rows.iter().filter_map(|r| r[col].parse::<i64>().ok()).sum()
    };
    assert_eq!(
        [
            total(&in_memory[0], 2),
            total(&in_memory[0], 4),
            total(&in_memory[0], 3)
        ],
        [55_000, 49_958_735, 149_775_143]
    );
    assert_eq!(total(&in_memory[1], 1), 18_018_000);
    // PostgreSQL 15's answers for the rest.
    let rest: Vec<Vec<String>> = in_memory[2..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        rest,
        [
            vec!["9999", "row 99", "49985001"],
            vec!["40000", "199980000", "60000"],
            vec!["5003", "12512503"],
            vec!["300", "300", "742800"],
            vec!["5000", "300", "12497500"],
        ]
    );
}
