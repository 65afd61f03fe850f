//! Golden tests: each rule's input queries, with the plan before and after the rule.

use std::sync::Arc;

use crate::session::Database;
use crate::storage::Transaction;

fn golden(rule: &str, apply: fn(crate::plan::Node) -> crate::plan::Node) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/optimizer/testdata");
    let input = std::fs::read_to_string(dir.join(format!("{rule}.sql"))).unwrap();
    let db: Arc<Database> = Database::memory().unwrap();
    let mut s = db.session();
    for r in s.execute(
        "CREATE TABLE a (x INT, z INT); CREATE TABLE b (y INT, w INT); CREATE TABLE c (k INT PRIMARY KEY);
         CREATE TABLE d (id INT PRIMARY KEY, b INT, c TEXT, f FLOAT8, s SMALLINT);
         CREATE INDEX d_b_c_idx ON d (b, c); CREATE UNIQUE INDEX d_f_key ON d (f); CREATE INDEX d_s_idx ON d (s);
         CREATE TABLE e (a INT, b INT, v TEXT, PRIMARY KEY (a, b))",
    ) {
        r.unwrap();
    }
    let mut txn = db.begin().unwrap();
    let mut out = String::new();
    let input: String = input
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for sql in input.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let Some(anchor_grammar::Statement::Sql(stmt)) = anchor_grammar::parse(sql).unwrap().pop()
        else {
            panic!("not a SQL statement: {sql}");
        };
        let plan = crate::planner::Planner::unoptimized(txn.as_mut() as &mut dyn Transaction)
            .plan(&stmt)
            .unwrap();
        let crate::planner::Plan::Query { node, .. } = plan else {
            panic!("not a query: {sql}")
        };
        out.push_str(&format!(
            "query: {sql}\nbefore:\n{node}after:\n{}\n",
            apply(node.clone())
        ));
    }
    let path = dir.join(format!("{rule}.golden"));
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(&path, &out).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        out,
        expected,
        "golden file {} differs; run with UPDATE_GOLDEN=1 to accept",
        path.display()
    );
}

#[test]
fn filter_pushdown() {
    golden("filter_pushdown", super::filter_pushdown::apply);
}

#[test]
fn constant_folding() {
    golden("constant_folding", super::constant_folding::apply);
}

#[test]
fn join_order() {
    golden("join_order", |n| {
        super::join_order::apply(super::filter_pushdown::apply(n))
    });
}

#[test]
fn subquery_joins() {
    golden("subquery_joins", super::subquery_joins::apply);
}

#[test]
fn limit_pushdown() {
    golden("limit_pushdown", super::limit_pushdown::apply);
}

#[test]
fn projection_pruning() {
    golden("projection_pruning", |n| {
        super::projection_pruning::apply(super::filter_pushdown::apply(n))
    });
}

#[test]
fn index_selection() {
    golden("index_selection", |n| {
        super::index_selection::apply(super::filter_pushdown::apply(n))
    });
}

#[test]
fn index_join() {
    golden("index_join", |n| {
        let n = super::join_order::apply(super::filter_pushdown::apply(n));
        super::index_selection::apply(super::index_join::apply(n))
    });
}
