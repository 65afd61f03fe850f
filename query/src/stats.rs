//! Table statistics and the planner's cost model.
//!
//! ANALYZE counts each table's rows and stores the count in the table's catalog entry
//! ([`TableStats`]). The optimizer never reads data: a table never analyzed is assumed to
//! hold [`DEFAULT_ROWS`] rows. From those counts [`estimate`] guesses how many rows a plan
//! node produces, with fixed selectivities for predicates, as PostgreSQL does when it has
//! no histogram: an equality keeps a tenth of the rows (one row when it pins a unique key),
//! a range a third, anything else half. The estimates only have to rank alternatives: which
//! input of a join to start from, and whether to probe an index per outer row instead of
//! hashing a whole table.

use crate::catalog::{Table, TableStats};
use crate::error::Result;
use crate::exec::Context;
use crate::plan::{Expr, JoinKind, Node};
use crate::types::{BinaryOp, Value};

/// Rows assumed in a table never analyzed.
pub const DEFAULT_ROWS: f64 = 1000.0;

/// Counts the rows of each table and stores the counts in the catalog.
pub fn analyze(tables: &[Table], ctx: &mut Context) -> Result<()> {
    for table in tables {
        let mut rows = 0u64;
        for item in ctx.txn.scan(table)? {
            item?;
            rows += 1;
            if rows.is_multiple_of(4096) {
                ctx.check_cancel()?;
            }
        }
        // The definition as it is now (not as planned), so that nothing else is undone.
        if let Some(mut current) = ctx.txn.table_by_oid(table.oid)? {
            current.stats = Some(TableStats { rows });
            ctx.txn.alter_table(&current)?;
        }
    }
    Ok(())
}

/// The rows `table` holds, by its statistics or the default.
pub fn table_rows(table: &Table) -> f64 {
    table.stats.as_ref().map_or(DEFAULT_ROWS, |s| s.rows as f64)
}

/// The estimated number of rows `node` produces.
pub fn estimate(node: &Node) -> f64 {
    match node {
        Node::Nothing => 1.0,
        Node::Values { rows } => rows.len() as f64,
        Node::Scan { table, filter } | Node::IndexScan { table, filter, .. } => {
            let rows = table_rows(table);
            (rows * filter.as_ref().map_or(1.0, |f| selectivity(f, table))).max(1.0)
        }
        Node::Filter { input, predicate } => {
            (estimate(input) * conjunct_selectivity(predicate, None)).max(1.0)
        }
        Node::Project { input, .. }
        | Node::Sort { input, .. }
        | Node::Window { input, .. }
        | Node::CteScan { input, .. }
        | Node::LockRows { input, .. } => estimate(input),
        Node::Distinct { input } => (estimate(input) / 2.0).max(1.0),
        Node::Limit { input, limit, .. } => {
            let rows = estimate(input);
            match limit {
                Some(Expr::Literal(Value::Int8(n))) => rows.min(*n as f64),
                Some(Expr::Literal(Value::Int4(n))) => rows.min(*n as f64),
                _ => rows,
            }
        }
        Node::Aggregate {
            input, group_by, ..
        } => {
            if group_by.is_empty() {
                1.0
            } else {
                (estimate(input) / 10.0).max(1.0)
            }
        }
        Node::HashJoin { left, right, .. } => estimate(left).max(estimate(right)),
        Node::NestedLoopJoin {
            left,
            right,
            kind,
            on,
        } => {
            let (l, r) = (estimate(left), estimate(right));
            let matched = l * r * on.as_ref().map_or(1.0, |on| conjunct_selectivity(on, None));
            match kind {
                JoinKind::Inner => matched.max(1.0),
                _ => matched.max(l).max(1.0),
            }
        }
        Node::IndexJoin { left, .. } => estimate(left),
        // A set-returning call yields some rows per input row; PostgreSQL guesses 1000 per
        // call, which would make every lateral call look enormous.
        Node::FunctionScan { input, .. } => estimate(input) * 10.0,
        Node::SetOp { left, right, .. } => estimate(left) + estimate(right),
        Node::RecursiveUnion { .. } | Node::WorkTable { .. } => DEFAULT_ROWS,
    }
}

/// The fraction of `table`'s rows that satisfy `filter`.
fn selectivity(filter: &Expr, table: &Table) -> f64 {
    conjunct_selectivity(filter, Some(table))
}

/// The fraction of rows satisfying the conjuncts of `e`; with `table`, an equality that pins
/// a unique key keeps one row.
fn conjunct_selectivity(e: &Expr, table: Option<&Table>) -> f64 {
    match e {
        Expr::And(a, b) => conjunct_selectivity(a, table) * conjunct_selectivity(b, table),
        Expr::Binary(BinaryOp::Eq, a, b) => {
            let unique = table.is_some_and(|t| {
                [a, b].iter().any(|x| match x.as_ref() {
                    Expr::Column(c) => {
                        t.primary_key.as_deref() == Some(&[*c])
                            || t.indexes.iter().any(|i| i.unique && i.columns == [*c])
                    }
                    _ => false,
                })
            });
            match table {
                Some(t) if unique => 1.0 / table_rows(t).max(1.0),
                _ => 0.1,
            }
        }
        Expr::InList(_, list, false) => (0.1 * list.len() as f64).min(1.0),
        Expr::Binary(BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq, ..) => 0.33,
        Expr::IsNull(_) => 0.05,
        Expr::Literal(Value::Bool(true)) => 1.0,
        Expr::Literal(Value::Bool(false) | Value::Null) => 0.0,
        _ => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, Index};
    use crate::types::DataType;

    fn table(rows: Option<u64>) -> Table {
        let col = |name: &str| Column {
            name: name.into(),
            data_type: DataType::Int4,
            nullable: true,
            default: None,
            identity: None,
        };
        Table {
            name: "t".into(),
            columns: vec![col("id"), col("b")],
            primary_key: Some(vec![0]),
            indexes: vec![Index {
                oid: 1,
                name: "t_b_idx".into(),
                columns: vec![1],
                unique: false,
                primary: false,
            }],
            stats: rows.map(|rows| TableStats { rows }),
            ..Table::default()
        }
    }

    fn scan(t: Table, filter: Option<Expr>) -> Node {
        Node::Scan { table: t, filter }
    }

    fn eq(col: usize, v: i32) -> Expr {
        Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(col)),
            Box::new(Expr::Literal(Value::Int4(v))),
        )
    }

    #[test]
    fn estimates_follow_statistics_and_predicates() {
        assert_eq!(estimate(&scan(table(None), None)), DEFAULT_ROWS);
        assert_eq!(estimate(&scan(table(Some(50_000)), None)), 50_000.0);
        // A primary key equality pins one row; another equality keeps a tenth.
        assert_eq!(estimate(&scan(table(Some(50_000)), Some(eq(0, 1)))), 1.0);
        assert_eq!(
            estimate(&scan(table(Some(50_000)), Some(eq(1, 1)))),
            5_000.0
        );
        let join = Node::HashJoin {
            left: Box::new(scan(table(Some(10)), None)),
            right: Box::new(scan(table(Some(500)), None)),
            kind: JoinKind::Inner,
            left_keys: vec![Expr::Column(0)],
            right_keys: vec![Expr::Column(0)],
            residual: None,
        };
        assert_eq!(estimate(&join), 500.0);
    }

    fn run(s: &mut crate::session::Session, sql: &str) -> Vec<crate::storage::Row> {
        let mut rows = Vec::new();
        for r in s.execute(sql) {
            rows.extend(r.unwrap().rows);
        }
        rows
    }

    #[test]
    fn analyze_stores_row_counts_that_steer_plans() {
        let db = crate::session::Database::memory().unwrap();
        let mut s = db.session();
        run(
            &mut s,
            "CREATE TABLE big (id INT PRIMARY KEY, v INT); CREATE TABLE small (x INT);
             INSERT INTO big VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5);
             INSERT INTO small VALUES (1), (2)",
        );
        let explain = |s: &mut crate::session::Session| {
            let rows = run(s, "EXPLAIN SELECT * FROM small, big WHERE big.id = small.x");
            format!("{rows:?}")
        };
        // Never analyzed: both hold the default 1000 rows, so a hash join.
        assert!(explain(&mut s).contains("Hash Inner Join"));
        run(&mut s, "ANALYZE");
        let mut txn = db.begin().unwrap();
        let big = txn.table("public", "big").unwrap().unwrap();
        assert_eq!(big.stats, Some(TableStats { rows: 5 }));
        drop(txn);
        // Still no index join: probing 2 rows costs more than reading 5.
        assert!(explain(&mut s).contains("Hash Inner Join"));
        run(
            &mut s,
            "INSERT INTO big SELECT id + 5, v FROM big; INSERT INTO big SELECT id + 10, v FROM big;
             INSERT INTO big SELECT id + 20, v FROM big; VACUUM ANALYZE",
        );
        let plan = explain(&mut s);
        assert!(plan.contains("Index Nested Loop Inner Join"), "{plan}");
        assert_eq!(
            run(
                &mut s,
                "SELECT big.v FROM small, big WHERE big.id = small.x ORDER BY 1"
            )
            .len(),
            2
        );
    }
}
