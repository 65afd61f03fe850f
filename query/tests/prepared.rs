//! The prepared-statement API the wire protocol uses: parameter types inferred from context,
//! result columns described before execution, plans cached until the catalog changes.

use anchor_query::types::{DataType, Value};
use anchor_query::{Database, Session};

fn session() -> Session {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    for r in s.execute(
        "CREATE TABLE t (id int PRIMARY KEY, name varchar(10), qty bigint);
         INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', NULL)",
    ) {
        r.unwrap();
    }
    s
}

#[test]
fn parameter_types_come_from_context() {
    let mut s = session();
    let p = s
        .prepare(
            "SELECT name, qty * 2 FROM t WHERE id = $1 AND qty > $2",
            &[],
        )
        .unwrap();
    assert_eq!(p.param_types, vec![DataType::Int4, DataType::Int8]);
    assert_eq!(p.columns[0].0, "name");
    assert_eq!(p.columns[1].1, DataType::Int8);
    let r = s
        .execute_prepared(&p, &[Value::Int4(2), Value::Int8(5)])
        .unwrap();
    assert_eq!(r.rows, vec![vec![Value::Text("b".into()), Value::Int8(40)]]);
    assert_eq!(r.tag, "SELECT 1");

    let insert = s
        .prepare("INSERT INTO t VALUES ($1, $2, $3)", &[DataType::Int8])
        .unwrap();
    // Declared types win; the others come from the columns.
    assert_eq!(insert.param_types[0], DataType::Int8);
    assert_eq!(insert.param_types[2], DataType::Int8);
    assert!(insert.columns.is_empty());
    let r = s
        .execute_prepared(
            &insert,
            &[Value::Int8(9), Value::Text("z".into()), Value::Null],
        )
        .unwrap();
    assert_eq!(r.tag, "INSERT 0 1");

    // Untyped anywhere: text.
    let p = s.prepare("SELECT $1", &[]).unwrap();
    assert_eq!(p.param_types, vec![DataType::Text]);
}

#[test]
fn wrong_parameter_count_and_bad_strings() {
    let mut s = session();
    let p = s.prepare("SELECT * FROM t WHERE id = $1", &[]).unwrap();
    let e = s.execute_prepared(&p, &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "08P01");
    let e = s.prepare("SELECT 1; SELECT 2", &[]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42601");
    let e = s
        .prepare("SELECT * FROM nope WHERE x = $1", &[])
        .unwrap_err();
    assert_eq!(e.sqlstate().code(), "42P01");
    let empty = s.prepare("  -- nothing", &[]).unwrap();
    assert!(empty.is_empty());
}

#[test]
fn plans_follow_the_catalog() {
    let mut s = session();
    let p = s
        .prepare("SELECT count(*) FROM t WHERE id > $1", &[])
        .unwrap();
    let count = |s: &mut Session| s.execute_prepared(&p, &[Value::Int4(0)]).unwrap().rows;
    assert_eq!(count(&mut s), vec![vec![Value::Int8(3)]]);
    // Data changes need no new plan; DDL makes one.
    s.execute("INSERT INTO t VALUES (4, 'd', 1)")[0]
        .clone()
        .unwrap();
    assert_eq!(count(&mut s), vec![vec![Value::Int8(4)]]);
    s.execute("ALTER TABLE t RENAME TO u")[0].clone().unwrap();
    let e = s.execute_prepared(&p, &[Value::Int4(0)]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "42P01");
    s.execute("ALTER TABLE u RENAME TO t")[0].clone().unwrap();
    assert_eq!(count(&mut s), vec![vec![Value::Int8(4)]]);

    // A plan whose columns would change is refused, as PostgreSQL does.
    let star = s.prepare("SELECT * FROM t WHERE id = $1", &[]).unwrap();
    s.execute("ALTER TABLE t ADD COLUMN extra int")[0]
        .clone()
        .unwrap();
    let e = s.execute_prepared(&star, &[Value::Int4(1)]).unwrap_err();
    assert_eq!(e.sqlstate().code(), "0A000");
}

#[test]
fn session_statements_prepare_too() {
    let mut s = session();
    let begin = s.prepare("BEGIN", &[]).unwrap();
    let show = s.prepare("SHOW TimeZone", &[]).unwrap();
    assert_eq!(show.columns, vec![("timezone".to_string(), DataType::Text)]);
    s.execute_prepared(&begin, &[]).unwrap();
    assert!(s.in_transaction());
    let del = s
        .prepare("DELETE FROM t WHERE id = $1 RETURNING name", &[])
        .unwrap();
    assert_eq!(del.columns.len(), 1);
    let r = s.execute_prepared(&del, &[Value::Int4(1)]).unwrap();
    assert_eq!(r.tag, "DELETE 1");
    let rollback = s.prepare("ROLLBACK", &[]).unwrap();
    s.execute_prepared(&rollback, &[]).unwrap();
    let p = s.prepare("SELECT count(*) FROM t", &[]).unwrap();
    assert_eq!(
        s.execute_prepared(&p, &[]).unwrap().rows,
        vec![vec![Value::Int8(3)]]
    );
}
