//! End-to-end tests of sessions: SQL text in, PostgreSQL's rows, tags and SQLSTATEs out.
//! Expectations were checked against PostgreSQL 15.

use anchor_query::{Database, Session, SqlState};

fn session() -> Session {
    Database::memory().unwrap().session()
}

/// Runs `sql` (one statement) and renders its rows as PostgreSQL's text, `NULL` for null.
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

fn ok(s: &mut Session, sql: &str) -> String {
    let mut tags = Vec::new();
    for r in s.execute(sql) {
        tags.push(r.unwrap_or_else(|e| panic!("{sql}: {e}")).tag);
    }
    tags.join("; ")
}

fn err(s: &mut Session, sql: &str) -> SqlState {
    match s.execute(sql).pop().unwrap() {
        Ok(r) => panic!("{sql}: expected an error, got {}", r.tag),
        Err(e) => e.sqlstate(),
    }
}

fn table(s: &mut Session) {
    ok(
        s,
        "CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL, score INT, dept TEXT);
         INSERT INTO t VALUES (1, 'ann', 90, 'eng'), (2, 'bob', 70, 'eng'), (3, 'cy', NULL, 'ops'), (4, 'di', 85, NULL)",
    );
}

#[test]
fn create_insert_select() {
    let mut s = session();
    assert_eq!(ok(&mut s, "CREATE TABLE t (a INT, b TEXT)"), "CREATE TABLE");
    assert_eq!(
        ok(&mut s, "INSERT INTO t VALUES (1, 'x'), (2, 'y')"),
        "INSERT 0 2"
    );
    assert_eq!(ok(&mut s, "INSERT INTO t (b) VALUES ('z')"), "INSERT 0 1");
    assert_eq!(
        rows(&mut s, "SELECT a, b FROM t ORDER BY b"),
        vec![vec!["1", "x"], vec!["2", "y"], vec!["NULL", "z"]]
    );
    assert_eq!(
        rows(&mut s, "SELECT * FROM t WHERE a > 1"),
        vec![vec!["2", "y"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT a + 1 AS n FROM t WHERE a IS NOT NULL ORDER BY n DESC"
        ),
        vec![vec!["3"], vec!["2"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT 1 + 2, 'a' || 'b', 7 / 2, 7 % 3, -2147483648"
        ),
        vec![vec!["3", "ab", "3", "1", "-2147483648"]]
    );
}

#[test]
fn updates_and_deletes() {
    let mut s = session();
    table(&mut s);
    assert_eq!(
        ok(&mut s, "UPDATE t SET score = score + 1 WHERE dept = 'eng'"),
        "UPDATE 2"
    );
    assert_eq!(
        rows(&mut s, "SELECT score FROM t WHERE dept = 'eng' ORDER BY id"),
        vec![vec!["91"], vec!["71"]]
    );
    assert_eq!(
        ok(&mut s, "UPDATE t SET id = id + 10 WHERE id = 1"),
        "UPDATE 1"
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM t ORDER BY id"),
        vec![vec!["2"], vec!["3"], vec!["4"], vec!["11"]]
    );
    assert_eq!(ok(&mut s, "DELETE FROM t WHERE score IS NULL"), "DELETE 1");
    assert_eq!(ok(&mut s, "DELETE FROM t"), "DELETE 3");
    assert!(rows(&mut s, "SELECT * FROM t").is_empty());
}

#[test]
fn joins() {
    let mut s = session();
    table(&mut s);
    ok(
        &mut s,
        "CREATE TABLE d (name TEXT PRIMARY KEY, floor INT); INSERT INTO d VALUES ('eng', 3), ('hr', 1)",
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT t.name, d.floor FROM t JOIN d ON t.dept = d.name ORDER BY t.name"
        ),
        vec![vec!["ann", "3"], vec!["bob", "3"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT t.name, d.floor FROM t LEFT JOIN d ON t.dept = d.name ORDER BY t.name"
        ),
        vec![
            vec!["ann", "3"],
            vec!["bob", "3"],
            vec!["cy", "NULL"],
            vec!["di", "NULL"]
        ]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT t.name, d.name FROM t RIGHT JOIN d ON t.dept = d.name ORDER BY d.name, t.name"
        ),
        vec![vec!["ann", "eng"], vec!["bob", "eng"], vec!["NULL", "hr"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT count(*) FROM t FULL JOIN d ON t.dept = d.name"
        ),
        vec![vec!["5"]]
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t, d"), vec![vec!["8"]]);
    assert_eq!(
        rows(
            &mut s,
            "SELECT x.name FROM t AS x, d WHERE x.dept = d.name AND d.floor < 3"
        ),
        Vec::<Vec<String>>::new()
    );
}

#[test]
fn aggregates() {
    let mut s = session();
    table(&mut s);
    assert_eq!(
        rows(
            &mut s,
            "SELECT count(*), count(score), sum(score), min(name), max(score), avg(score) FROM t"
        ),
        vec![vec!["4", "3", "245", "ann", "90", "81.6666666666666667"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT dept, count(*) FROM t GROUP BY dept ORDER BY dept NULLS FIRST"
        ),
        vec![vec!["NULL", "1"], vec!["eng", "2"], vec!["ops", "1"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT dept, sum(score) FROM t GROUP BY 1 HAVING count(*) > 1"
        ),
        vec![vec!["eng", "160"]]
    );
    assert_eq!(
        rows(&mut s, "SELECT count(*), sum(score) FROM t WHERE id > 100"),
        vec![vec!["0", "NULL"]]
    );
    assert_eq!(
        rows(&mut s, "SELECT count(DISTINCT dept) FROM t"),
        vec![vec!["2"]]
    );
    assert_eq!(
        err(&mut s, "SELECT name, count(*) FROM t"),
        SqlState::GROUPING_ERROR
    );
}

#[test]
fn subqueries() {
    let mut s = session();
    table(&mut s);
    assert_eq!(
        rows(
            &mut s,
            "SELECT name FROM t WHERE score > (SELECT avg(score) FROM t) ORDER BY 1"
        ),
        vec![vec!["ann"], vec!["di"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT name FROM t a WHERE EXISTS (SELECT 1 FROM t b WHERE b.dept = a.dept AND b.id <> a.id) ORDER BY 1"
        ),
        vec![vec!["ann"], vec!["bob"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT name, (SELECT count(*) FROM t b WHERE b.id < a.id) FROM t a ORDER BY id"
        ),
        vec![
            vec!["ann", "0"],
            vec!["bob", "1"],
            vec!["cy", "2"],
            vec!["di", "3"]
        ]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT id FROM t WHERE id IN (SELECT id + 1 FROM t) ORDER BY id"
        ),
        vec![vec!["2"], vec!["3"], vec!["4"]]
    );
    assert_eq!(
        err(&mut s, "SELECT (SELECT id FROM t)"),
        SqlState::CARDINALITY_VIOLATION
    );
}

#[test]
fn set_operations_distinct_limit() {
    let mut s = session();
    table(&mut s);
    assert_eq!(
        rows(&mut s, "SELECT dept FROM t UNION SELECT 'hr' ORDER BY 1"),
        vec![vec!["eng"], vec!["hr"], vec!["ops"], vec!["NULL"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT DISTINCT dept FROM t WHERE dept IS NOT NULL ORDER BY dept"
        ),
        vec![vec!["eng"], vec!["ops"]]
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM t ORDER BY id LIMIT 2 OFFSET 1"),
        vec![vec!["2"], vec!["3"]]
    );
    assert_eq!(
        rows(&mut s, "SELECT id FROM t EXCEPT SELECT 2 ORDER BY 1 DESC"),
        vec![vec!["4"], vec!["3"], vec!["1"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT CASE WHEN score >= 85 THEN 'hi' WHEN score IS NULL THEN 'none' ELSE 'lo' END FROM t ORDER BY id"
        ),
        vec![vec!["hi"], vec!["lo"], vec!["none"], vec!["hi"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT coalesce(score, -1), nullif(dept, 'eng') FROM t WHERE id = 1"
        ),
        vec![vec!["90", "NULL"]]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT name FROM t WHERE name LIKE '_o%' OR name BETWEEN 'c' AND 'cz'"
        ),
        vec![vec!["bob"], vec!["cy"]]
    );
}

#[test]
fn errors_have_postgres_codes() {
    let mut s = session();
    table(&mut s);
    assert_eq!(err(&mut s, "SELECT * FROM nope"), SqlState::UNDEFINED_TABLE);
    assert_eq!(
        err(&mut s, "SELECT nope FROM t"),
        SqlState::UNDEFINED_COLUMN
    );
    assert_eq!(
        err(&mut s, "SELECT name FROM t a, t b"),
        SqlState::AMBIGUOUS_COLUMN
    );
    assert_eq!(err(&mut s, "SELECT 1/0"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(
        err(&mut s, "SELECT 2147483647 + 1"),
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES (1, 'dup', 1, 'x')"),
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t (id) VALUES (9)"),
        SqlState::NOT_NULL_VIOLATION
    );
    assert_eq!(err(&mut s, "SELEC 1"), SqlState::SYNTAX_ERROR);
    assert_eq!(
        err(&mut s, "CREATE TABLE t (x INT)"),
        SqlState::DUPLICATE_TABLE
    );
    assert_eq!(
        err(&mut s, "INSERT INTO t VALUES ('x', 'y')"),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
    // Nothing of the failed statements stayed.
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["4"]]);
}

#[test]
fn constraints() {
    let mut s = session();
    ok(
        &mut s,
        "CREATE TABLE c (a INT UNIQUE, b INT CHECK (b > 0), c TEXT DEFAULT 'dflt')",
    );
    ok(
        &mut s,
        "INSERT INTO c (a, b) VALUES (1, 1), (NULL, 2), (NULL, 3)",
    );
    assert_eq!(
        rows(&mut s, "SELECT c FROM c WHERE a = 1"),
        vec![vec!["dflt"]]
    );
    assert_eq!(
        err(&mut s, "INSERT INTO c (a, b) VALUES (1, 5)"),
        SqlState::UNIQUE_VIOLATION
    );
    assert_eq!(
        err(&mut s, "INSERT INTO c (a, b) VALUES (7, 0)"),
        SqlState::CHECK_VIOLATION
    );
    assert_eq!(
        err(&mut s, "UPDATE c SET a = 1 WHERE b = 2"),
        SqlState::UNIQUE_VIOLATION
    );
    ok(&mut s, "CREATE INDEX ON c (b)");
    assert_eq!(
        err(&mut s, "CREATE UNIQUE INDEX c_c ON c (c)"),
        SqlState::UNIQUE_VIOLATION
    );
    ok(&mut s, "DROP TABLE c");
    assert_eq!(err(&mut s, "SELECT * FROM c"), SqlState::UNDEFINED_TABLE);
    ok(&mut s, "DROP TABLE IF EXISTS c");
}

#[test]
fn transactions() {
    let db = Database::memory().unwrap();
    let mut a = db.session();
    let mut b = db.session();
    ok(&mut a, "CREATE TABLE acct (id INT PRIMARY KEY, bal INT)");
    ok(&mut a, "INSERT INTO acct VALUES (1, 100)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE acct SET bal = 50 WHERE id = 1");
    // Not visible to others before commit.
    assert_eq!(rows(&mut b, "SELECT bal FROM acct"), vec![vec!["100"]]);
    ok(&mut a, "COMMIT");
    assert_eq!(rows(&mut b, "SELECT bal FROM acct"), vec![vec!["50"]]);
    // An error fails the block until ROLLBACK.
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO acct VALUES (2, 1)");
    assert_eq!(err(&mut a, "SELECT 1/0"), SqlState::DIVISION_BY_ZERO);
    assert_eq!(err(&mut a, "SELECT 1"), SqlState::IN_FAILED_SQL_TRANSACTION);
    assert_eq!(ok(&mut a, "COMMIT"), "ROLLBACK");
    assert_eq!(rows(&mut a, "SELECT count(*) FROM acct"), vec![vec!["1"]]);
    // Savepoints.
    ok(
        &mut a,
        "BEGIN; INSERT INTO acct VALUES (3, 3); SAVEPOINT s; INSERT INTO acct VALUES (4, 4)",
    );
    ok(&mut a, "ROLLBACK TO SAVEPOINT s");
    ok(&mut a, "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT id FROM acct ORDER BY id"),
        vec![vec!["1"], vec!["3"]]
    );
    // DDL is transactional.
    ok(
        &mut a,
        "BEGIN; CREATE TABLE gone (x INT); INSERT INTO gone VALUES (1); ROLLBACK",
    );
    assert_eq!(err(&mut a, "SELECT * FROM gone"), SqlState::UNDEFINED_TABLE);
}

#[test]
fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        table(&mut s);
        ok(&mut s, "CREATE INDEX t_dept ON t (dept)");
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(
        rows(
            &mut s,
            "SELECT name FROM t WHERE dept = 'eng' ORDER BY name"
        ),
        vec![vec!["ann"], vec!["bob"]]
    );
    ok(&mut s, "INSERT INTO t VALUES (5, 'ed', 1, 'ops')");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["5"]]);
}

#[test]
fn enum_types_and_their_values_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        ok(&mut s, "CREATE TYPE mood AS ENUM ('sad', 'happy')");
        ok(&mut s, "CREATE TABLE m (k mood PRIMARY KEY, v mood[])");
        ok(
            &mut s,
            "INSERT INTO m VALUES ('happy', '{sad}'), ('sad', NULL)",
        );
        ok(&mut s, "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'");
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    ok(&mut s, "INSERT INTO m VALUES ('ok', '{ok,happy}')");
    assert_eq!(
        rows(&mut s, "SELECT k, v FROM m WHERE k > 'sad' ORDER BY k"),
        vec![vec!["ok", "{ok,happy}"], vec!["happy", "{sad}"]]
    );
    assert_eq!(
        err(&mut s, "SELECT 'meh'::mood"),
        SqlState::INVALID_TEXT_REPRESENTATION
    );
}

#[test]
fn sequences_never_repeat_a_value_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut last = 0;
    for round in 0..3 {
        let db = Database::open(dir.path()).unwrap();
        let mut s = db.session();
        if round == 0 {
            ok(&mut s, "CREATE TABLE t (id serial PRIMARY KEY, v int)");
        }
        // Fewer and more values than a reservation holds.
        let n = [5, 40, 3][round];
        for _ in 0..n {
            ok(&mut s, "INSERT INTO t (v) VALUES (1)");
        }
        let max: i64 = rows(&mut s, "SELECT max(id) FROM t")[0][0].parse().unwrap();
        assert!(max > last, "round {round}: {max} after {last}");
        last = max;
    }
    let db = Database::open(dir.path()).unwrap();
    let mut s = db.session();
    assert_eq!(rows(&mut s, "SELECT count(*) FROM t"), vec![vec!["48"]]);
    assert_eq!(
        rows(&mut s, "SELECT count(DISTINCT id) FROM t"),
        vec![vec!["48"]]
    );
}

#[test]
fn databases_of_a_cluster() {
    use anchor_query::Cluster;
    let dir = tempfile::tempdir().unwrap();
    {
        let cluster = Cluster::open(dir.path()).unwrap();
        assert_eq!(cluster.databases(), vec!["anchor", "postgres"]);
        assert_eq!(
            cluster.connect("nope").err().unwrap().sqlstate().code(),
            "3D000"
        );
        let mut s = cluster.connect("anchor").unwrap();
        ok(&mut s, "CREATE DATABASE \"Other DB\"");
        ok(&mut s, "CREATE TABLE t (x int)");
        let mut other = cluster.connect("Other DB").unwrap();
        assert_eq!(
            rows(&mut other, "SELECT current_database()"),
            vec![vec!["Other DB"]]
        );
        // Databases do not see each other's tables.
        let e = other.execute("SELECT * FROM t").pop().unwrap().unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::UNDEFINED_TABLE);
        ok(&mut other, "CREATE TABLE u (y int)");
        ok(&mut other, "INSERT INTO u VALUES (7)");
        // In use by `other`, and `s` cannot drop its own.
        let e = s
            .execute("DROP DATABASE \"Other DB\"")
            .pop()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.sqlstate().code(), "55006");
        let e = s
            .execute("DROP DATABASE anchor")
            .pop()
            .unwrap()
            .unwrap_err();
        assert_eq!(e.sqlstate().code(), "55006");
    }
    // Reopened: the new database and its rows are there; then it can go.
    let cluster = Cluster::open(dir.path()).unwrap();
    assert_eq!(cluster.databases(), vec!["Other DB", "anchor", "postgres"]);
    {
        let mut other = cluster.connect("Other DB").unwrap();
        assert_eq!(rows(&mut other, "SELECT y FROM u"), vec![vec!["7"]]);
    }
    let mut s = cluster.connect("postgres").unwrap();
    ok(&mut s, "DROP DATABASE \"Other DB\"");
    assert_eq!(cluster.databases(), vec!["anchor", "postgres"]);
    drop(s);
    drop(cluster);
    assert_eq!(
        Cluster::open(dir.path()).unwrap().databases(),
        vec!["anchor", "postgres"]
    );
}
