//! End-to-end tests of RETURNING, ON CONFLICT and foreign keys where a `.slt` file cannot
//! say it: command tags next to rows, column names and types, statement atomicity,
//! transactions and concurrent sessions. Expectations were checked against PostgreSQL 15.

use std::sync::Arc;
use std::time::Duration;

use anchor_query::types::DataType;
use anchor_query::{Database, Session, SqlState, StatementResult};

fn one(s: &mut Session, sql: &str) -> anchor_query::Result<StatementResult> {
    let mut results = s.execute(sql);
    assert_eq!(results.len(), 1, "{sql}");
    results.pop().unwrap()
}

fn ok(s: &mut Session, sql: &str) -> StatementResult {
    one(s, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn err(s: &mut Session, sql: &str) -> SqlState {
    match one(s, sql) {
        Ok(r) => panic!("{sql}: expected an error, got {}", r.tag),
        Err(e) => e.sqlstate(),
    }
}

/// The rows of `sql` as text, `NULL` for null.
fn rows(s: &mut Session, sql: &str) -> Vec<Vec<String>> {
    let result = ok(s, sql);
    text(s, &result)
}

fn text(s: &Session, result: &StatementResult) -> Vec<Vec<String>> {
    result
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| v.to_text(s.settings()).unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}

#[test]
fn returning_keeps_the_command_tag_and_names_its_columns() {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE t (id INT PRIMARY KEY, name TEXT)");
    let r = ok(
        &mut s,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b') RETURNING id * 10 AS ten, name, 'x'",
    );
    assert_eq!(r.tag, "INSERT 0 2");
    assert_eq!(
        r.columns,
        vec![
            ("ten".to_string(), DataType::Int4),
            ("name".to_string(), DataType::Text),
            ("?column?".to_string(), DataType::Text),
        ]
    );
    assert_eq!(
        text(&s, &r),
        vec![vec!["10", "a", "x"], vec!["20", "b", "x"]]
    );

    let r = ok(&mut s, "UPDATE t SET name = 'c' WHERE id = 2 RETURNING *");
    assert_eq!(r.tag, "UPDATE 1");
    assert_eq!(r.columns.len(), 2);
    assert_eq!(text(&s, &r), vec![vec!["2", "c"]]);

    let r = ok(&mut s, "DELETE FROM t RETURNING id");
    assert_eq!(r.tag, "DELETE 2");
    assert_eq!(r.rows.len(), 2);

    // Without RETURNING a DML statement has no columns.
    let r = ok(&mut s, "INSERT INTO t VALUES (3, 'd')");
    assert!(r.columns.is_empty() && r.rows.is_empty());
}

#[test]
fn on_conflict_tags_count_inserted_and_updated_rows() {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE kv (k INT PRIMARY KEY, v TEXT)");
    ok(&mut s, "INSERT INTO kv VALUES (1, 'a')");
    let r = ok(
        &mut s,
        "INSERT INTO kv VALUES (1, 'b'), (2, 'c') ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING k, v",
    );
    assert_eq!(r.tag, "INSERT 0 2");
    assert_eq!(text(&s, &r), vec![vec!["1", "b"], vec!["2", "c"]]);
    let r = ok(
        &mut s,
        "INSERT INTO kv VALUES (1, 'z'), (3, 'd') ON CONFLICT DO NOTHING RETURNING k",
    );
    assert_eq!(r.tag, "INSERT 0 1");
    assert_eq!(text(&s, &r), vec![vec!["3"]]);
    // 21000 undoes the whole statement, including the rows before the second touch.
    assert_eq!(
        err(
            &mut s,
            "INSERT INTO kv VALUES (4, 'x'), (1, 'y'), (1, 'w') ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        ),
        SqlState::CARDINALITY_VIOLATION
    );
    assert_eq!(
        rows(&mut s, "SELECT k, v FROM kv ORDER BY k"),
        vec![vec!["1", "b"], vec!["2", "c"], vec!["3", "d"]]
    );
}

#[test]
fn a_failed_cascade_changes_nothing() {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE a (id INT PRIMARY KEY)");
    ok(
        &mut s,
        "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a ON DELETE CASCADE)",
    );
    ok(
        &mut s,
        "CREATE TABLE c (id INT PRIMARY KEY, b_id INT REFERENCES b ON DELETE RESTRICT)",
    );
    ok(&mut s, "INSERT INTO a VALUES (1), (2)");
    ok(&mut s, "INSERT INTO b VALUES (10, 1), (20, 2)");
    ok(&mut s, "INSERT INTO c VALUES (100, 20)");
    // Deleting a cascades to b, which c restricts: nothing at all is deleted.
    assert_eq!(
        err(&mut s, "DELETE FROM a"),
        SqlState::FOREIGN_KEY_VIOLATION
    );
    assert_eq!(rows(&mut s, "SELECT count(*) FROM a"), vec![vec!["2"]]);
    assert_eq!(rows(&mut s, "SELECT count(*) FROM b"), vec![vec!["2"]]);
    // Deleting only the unrestricted branch cascades.
    assert_eq!(ok(&mut s, "DELETE FROM a WHERE id = 1").tag, "DELETE 1");
    assert_eq!(rows(&mut s, "SELECT id FROM b"), vec![vec!["20"]]);
}

#[test]
fn foreign_keys_across_a_transaction() {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE p (id INT PRIMARY KEY)");
    ok(&mut s, "CREATE TABLE c (p_id INT REFERENCES p)");
    ok(&mut s, "BEGIN");
    ok(&mut s, "INSERT INTO p VALUES (1)");
    ok(&mut s, "INSERT INTO c VALUES (1)");
    // The check is per statement, not deferred to COMMIT.
    assert_eq!(
        err(&mut s, "DELETE FROM p"),
        SqlState::FOREIGN_KEY_VIOLATION
    );
    assert_eq!(err(&mut s, "SELECT 1"), SqlState::IN_FAILED_SQL_TRANSACTION);
    ok(&mut s, "ROLLBACK");
    assert_eq!(rows(&mut s, "SELECT count(*) FROM p"), vec![vec!["0"]]);

    ok(&mut s, "BEGIN");
    ok(&mut s, "INSERT INTO p VALUES (2)");
    ok(&mut s, "SAVEPOINT sp");
    assert_eq!(
        err(&mut s, "INSERT INTO c VALUES (3)"),
        SqlState::FOREIGN_KEY_VIOLATION
    );
    ok(&mut s, "ROLLBACK TO SAVEPOINT sp");
    ok(&mut s, "INSERT INTO c VALUES (2)");
    ok(&mut s, "COMMIT");
    let mut other = db.session();
    assert_eq!(rows(&mut other, "SELECT p_id FROM c"), vec![vec!["2"]]);
    assert_eq!(
        err(&mut other, "DELETE FROM p WHERE id = 2"),
        SqlState::FOREIGN_KEY_VIOLATION
    );
}

#[test]
fn foreign_keys_are_in_the_catalog_that_rolls_back() {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE p (id INT PRIMARY KEY)");
    ok(&mut s, "BEGIN");
    ok(&mut s, "CREATE TABLE c (p_id INT REFERENCES p)");
    ok(&mut s, "ROLLBACK");
    // The rolled back child no longer holds p.
    assert_eq!(ok(&mut s, "DROP TABLE p").tag, "DROP TABLE");
}

#[test]
fn a_concurrent_delete_of_the_parent_waits_and_fails() {
    let db: Arc<Database> = Database::memory().unwrap();
    let mut a = db.session();
    ok(&mut a, "CREATE TABLE p (id INT PRIMARY KEY)");
    ok(&mut a, "CREATE TABLE c (p_id INT REFERENCES p)");
    ok(&mut a, "INSERT INTO p VALUES (1)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "INSERT INTO c VALUES (1)");
    let deleter = {
        let db = db.clone();
        std::thread::spawn(move || {
            let mut b = db.session();
            one(&mut b, "DELETE FROM p WHERE id = 1").map(|r| r.tag)
        })
    };
    // The delete waits for the child's transaction, then sees the child.
    std::thread::sleep(Duration::from_millis(200));
    ok(&mut a, "COMMIT");
    let result = deleter.join().unwrap();
    assert_eq!(
        result.map_err(|e| e.sqlstate()),
        Err(SqlState::FOREIGN_KEY_VIOLATION)
    );
    assert_eq!(rows(&mut a, "SELECT count(*) FROM p"), vec![vec!["1"]]);
}

#[test]
fn a_child_of_a_parent_deleted_concurrently_waits_and_fails() {
    let db: Arc<Database> = Database::memory().unwrap();
    let mut a = db.session();
    ok(&mut a, "CREATE TABLE p (id INT PRIMARY KEY)");
    ok(&mut a, "CREATE TABLE c (p_id INT REFERENCES p)");
    ok(&mut a, "INSERT INTO p VALUES (1)");
    ok(&mut a, "BEGIN");
    ok(&mut a, "DELETE FROM p");
    let inserter = {
        let db = db.clone();
        std::thread::spawn(move || {
            let mut b = db.session();
            one(&mut b, "INSERT INTO c VALUES (1)").map(|r| r.tag)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    ok(&mut a, "COMMIT");
    let result = inserter.join().unwrap();
    assert_eq!(
        result.map_err(|e| e.sqlstate()),
        Err(SqlState::FOREIGN_KEY_VIOLATION)
    );
    assert_eq!(rows(&mut a, "SELECT count(*) FROM c"), vec![vec!["0"]]);
}

#[test]
fn add_foreign_key_validates_existing_rows() {
    use anchor_query::catalog::{ForeignKey, ReferentialAction};
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE p (id INT PRIMARY KEY)");
    ok(&mut s, "CREATE TABLE c (p_id INT)");
    ok(&mut s, "INSERT INTO p VALUES (1)");
    ok(&mut s, "INSERT INTO c VALUES (1), (NULL), (2)");
    let mut txn = db.begin().unwrap();
    let p = txn.table("public", "p").unwrap().unwrap();
    let c = txn.table("public", "c").unwrap().unwrap();
    let fk = ForeignKey {
        name: "c_p_id_fkey".into(),
        columns: vec![0],
        referenced: p.oid,
        referenced_columns: vec![0],
        on_delete: ReferentialAction::NoAction,
        on_update: ReferentialAction::NoAction,
    };
    let settings = anchor_query::types::Settings::default();
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let mut ctx =
            anchor_query::exec::Context::new(txn.as_mut(), &settings, &[], cancel.clone());
        let e = anchor_query::foreign_key::add_foreign_key(&mut ctx, &c, fk.clone()).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::FOREIGN_KEY_VIOLATION);
        assert!(e.to_string().contains("c_p_id_fkey"), "{e}");
    }
    txn.rollback().unwrap();
    ok(&mut s, "DELETE FROM c WHERE p_id = 2");
    let mut txn = db.begin().unwrap();
    {
        let mut ctx = anchor_query::exec::Context::new(txn.as_mut(), &settings, &[], cancel);
        let altered = anchor_query::foreign_key::add_foreign_key(&mut ctx, &c, fk).unwrap();
        assert_eq!(altered.foreign_keys.len(), 1);
    }
    txn.commit().unwrap();
    assert_eq!(
        err(&mut s, "INSERT INTO c VALUES (5)"),
        SqlState::FOREIGN_KEY_VIOLATION
    );
    assert_eq!(
        err(&mut s, "DELETE FROM p"),
        SqlState::FOREIGN_KEY_VIOLATION
    );
}

#[test]
fn unsupported_foreign_key_forms_answer_0a000() {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    ok(&mut s, "CREATE TABLE p (id INT PRIMARY KEY)");
    for sql in [
        "CREATE TABLE c (x INT REFERENCES p DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TABLE c (x INT, FOREIGN KEY (x) REFERENCES p MATCH FULL)",
    ] {
        assert_eq!(err(&mut s, sql), SqlState::FEATURE_NOT_SUPPORTED, "{sql}");
    }
    // NOT DEFERRABLE is what every supported key is.
    ok(&mut s, "CREATE TABLE c (x INT REFERENCES p NOT DEFERRABLE)");
}
