//! The optimizer: rules that rewrite a plan into a cheaper one with the same result, applied
//! in a fixed order. One file per rule, each with a golden test of the plan before and after.
//!
//! 1. [`constant_folding`]: expressions that read no row are computed once.
//! 2. [`subquery_joins`]: `EXISTS`, `IN` and their negations in WHERE become semi and anti
//!    joins.
//! 3. [`filter_pushdown`]: WHERE conjuncts move down to the scans and joins whose columns
//!    they read; join conditions that equate the two sides turn nested loops into hash joins.
//! 4. [`join_order`]: chains of inner joins are rebuilt so that each input joins one it
//!    shares an equality with.
//! 5. [`index_join`]: a hash join whose right side is a table with a key on the join
//!    columns, and whose left side is small, probes the key per left row instead.
//! 6. [`index_selection`]: a filtered scan whose predicate bounds a key (the primary key or
//!    an index) reads only that range of the key.
//! 7. [`limit_pushdown`]: LIMIT moves below projections, onto sorts (top-N) and into the
//!    branches of UNION ALL.
//! 8. [`projection_pruning`]: nodes carry only the columns read above them; sorts, joins and
//!    aggregations get narrower inputs.

pub mod constant_folding;
pub mod filter_pushdown;
pub mod index_join;
pub mod index_selection;
pub mod join_order;
pub mod limit_pushdown;
pub mod projection_pruning;
pub mod subquery_joins;

#[cfg(test)]
mod tests;

use crate::plan::{Expr, Node, SortKey};

/// Applies every rule, in order.
pub fn optimize(node: Node) -> Node {
    let node = constant_folding::apply(node);
    let node = subquery_joins::apply(node);
    let node = join_order::apply(filter_pushdown::apply(node));
    let node = index_selection::apply(index_join::apply(node));
    projection_pruning::apply(limit_pushdown::apply(node))
}

/// Rewrites every expression of every node of the tree with `f` (subqueries inside
/// expressions are `f`'s business).
pub fn map_exprs(node: Node, f: &impl Fn(Expr) -> Expr) -> Node {
    let n = |x: Box<Node>| Box::new(map_exprs(*x, f));
    let o = |x: Option<Expr>| x.map(f);
    let v = |x: Vec<Expr>| x.into_iter().map(f).collect::<Vec<_>>();
    match node {
        Node::Nothing => Node::Nothing,
        Node::Scan { table, filter } => Node::Scan {
            table,
            filter: o(filter),
        },
        Node::IndexScan {
            table,
            lookup,
            filter,
        } => Node::IndexScan {
            table,
            lookup: lookup.map_exprs(f),
            filter: o(filter),
        },
        Node::IndexJoin {
            left,
            table,
            lookup,
            kind,
            filter,
            on,
        } => Node::IndexJoin {
            left: n(left),
            table,
            lookup: lookup.map_exprs(f),
            kind,
            filter: o(filter),
            on: o(on),
        },
        Node::Values { rows } => Node::Values {
            rows: rows.into_iter().map(v).collect(),
        },
        Node::Filter { input, predicate } => Node::Filter {
            input: n(input),
            predicate: f(predicate),
        },
        Node::Project { input, exprs } => Node::Project {
            input: n(input),
            exprs: v(exprs),
        },
        Node::NestedLoopJoin {
            left,
            right,
            kind,
            on,
        } => Node::NestedLoopJoin {
            left: n(left),
            right: n(right),
            kind,
            on: o(on),
        },
        Node::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => Node::HashJoin {
            left: n(left),
            right: n(right),
            kind,
            left_keys: v(left_keys),
            right_keys: v(right_keys),
            residual: o(residual),
        },
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => Node::Aggregate {
            input: n(input),
            group_by: v(group_by),
            aggregates: aggregates.into_iter().map(|a| a.map_exprs(f)).collect(),
        },
        Node::Sort { input, keys } => Node::Sort {
            input: n(input),
            keys: keys
                .into_iter()
                .map(|k| SortKey {
                    expr: f(k.expr),
                    ..k
                })
                .collect(),
        },
        Node::Limit {
            input,
            limit,
            offset,
        } => Node::Limit {
            input: n(input),
            limit: o(limit),
            offset: o(offset),
        },
        Node::Distinct { input } => Node::Distinct { input: n(input) },
        Node::FunctionScan {
            input,
            functions,
            ordinality,
            outer,
        } => Node::FunctionScan {
            input: n(input),
            functions: functions
                .into_iter()
                .map(|c| crate::plan::SetCall {
                    args: v(c.args),
                    ..c
                })
                .collect(),
            ordinality,
            outer: o(outer),
        },
        Node::SetOp {
            op,
            all,
            left,
            right,
        } => Node::SetOp {
            op,
            all,
            left: n(left),
            right: n(right),
        },
        Node::Window { input, functions } => Node::Window {
            input: n(input),
            functions: functions.into_iter().map(|w| w.map_exprs(f)).collect(),
        },
        Node::CteScan {
            name,
            id,
            input,
            shared,
        } => Node::CteScan {
            name,
            id,
            input: n(input),
            shared,
        },
        Node::RecursiveUnion {
            id,
            base,
            recursive,
            distinct,
        } => Node::RecursiveUnion {
            id,
            base: n(base),
            recursive: n(recursive),
            distinct,
        },
        Node::WorkTable { id, width } => Node::WorkTable { id, width },
        Node::LockRows {
            input,
            tables,
            width,
            recheck,
        } => Node::LockRows {
            input: n(input),
            tables,
            width,
            recheck,
        },
    }
}
