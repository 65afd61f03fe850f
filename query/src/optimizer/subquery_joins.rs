//! Subqueries in WHERE as semi and anti joins.
//!
//! A conjunct `EXISTS (subquery)`, `NOT EXISTS (subquery)`, `x IN (subquery)` or
//! `x NOT IN (subquery)` of a filter otherwise runs the subquery for every row when it is
//! correlated (quadratic), or once with a linear search of its rows per row. As a join it
//! runs once, through a hash table when there are keys:
//!
//! - `EXISTS`, `IN` become a *semi* join: each row of the filter's input that has a match,
//!   once. A conjunct that is NULL rejects the row just like false, so `IN`'s NULLs need no
//!   care.
//! - `NOT EXISTS` becomes an *anti* join: each row with no match.
//! - `NOT IN` is NULL rather than true when the row's value is NULL or the subquery yields a
//!   NULL, so it becomes a *null-aware* anti join (see [`JoinKind::NullAwareAnti`]), and only
//!   when the subquery is not correlated (the NULL rule concerns the subquery's whole result).
//!
//! The subquery is taken apart as `Project (Filter (body))`. The filter's conjuncts that do
//! not read the outer row stay on the body (the join's right input). A conjunct
//! `inner = outer`, with one side reading only the subquery's columns and the other only the
//! outer row, becomes a pair of hash keys; any other conjunct reading both becomes the join's
//! residual condition. `IN`'s own value and the subquery's output are a further pair of keys.
//! If anything else in the subquery reads the outer row (a correlated aggregate, LIMIT,
//! references two levels out), the conjunct stays a subquery.
//!
//! ```text
//! Filter: (EXISTS SubPlan)                  Hash Semi Join on #0 = #0
//!   Seq Scan on a                     =>      Seq Scan on a
//!   [SubPlan: Project 1                       Seq Scan on b
//!      Seq Scan on b  Filter: #0 = outer1.#0]
//! ```

use crate::exec::{correlated, width};
use crate::plan::{Expr, JoinKind, Node};
use crate::types::BinaryOp;

use super::filter_pushdown::{columns, conjoin, renumber, split};

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    match node {
        Node::Filter { input, predicate } => rewrite(apply(*input), predicate),
        other => other.map_inputs(apply),
    }
}

/// A semi or anti join to put over the filter's input.
struct SubqueryJoin {
    kind: JoinKind,
    right: Node,
    left_keys: Vec<Expr>,
    right_keys: Vec<Expr>,
    residual: Vec<Expr>,
}

fn rewrite(input: Node, predicate: Expr) -> Node {
    let lw = width(&input);
    let mut joins = Vec::new();
    let mut rest = Vec::new();
    for c in split(predicate) {
        match as_join(&c, lw) {
            Some(j) => joins.push(j),
            None => rest.push(c),
        }
    }
    let mut node = match conjoin(rest) {
        Some(predicate) => Node::Filter {
            input: Box::new(input),
            predicate,
        },
        None => input,
    };
    for j in joins {
        node = if j.left_keys.is_empty() {
            Node::NestedLoopJoin {
                left: Box::new(node),
                right: Box::new(j.right),
                kind: j.kind,
                on: conjoin(j.residual),
            }
        } else {
            Node::HashJoin {
                left: Box::new(node),
                right: Box::new(j.right),
                kind: j.kind,
                left_keys: j.left_keys,
                right_keys: j.right_keys,
                residual: conjoin(j.residual),
            }
        };
    }
    node
}

/// The join that computes conjunct `c` over a row of `lw` columns, if it is one of ours.
fn as_join(c: &Expr, lw: usize) -> Option<SubqueryJoin> {
    match c {
        Expr::Exists(sub, negated) => {
            let kind = if *negated {
                JoinKind::Anti
            } else {
                JoinKind::Semi
            };
            decorrelate(sub, lw, kind, None)
        }
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Exists(sub, false) => decorrelate(sub, lw, JoinKind::Anti, None),
            Expr::InSubquery(x, sub, false) => not_in(x, sub, lw),
            _ => None,
        },
        Expr::InSubquery(x, sub, false) => {
            if !plain_outer(x) {
                return None;
            }
            decorrelate(sub, lw, JoinKind::Semi, Some((**x).clone()))
        }
        Expr::InSubquery(x, sub, true) => not_in(x, sub, lw),
        _ => None,
    }
}

fn not_in(x: &Expr, sub: &Node, lw: usize) -> Option<SubqueryJoin> {
    if !plain_outer(x) || correlated(sub, 1) {
        return None;
    }
    decorrelate(sub, lw, JoinKind::NullAwareAnti, Some(x.clone()))
}

/// True if `e` reads only the current row (no subquery, no outer reference).
fn plain_outer(e: &Expr) -> bool {
    columns(e).is_some() && !reads_outer(e)
}

/// True if `e` reads a row of an enclosing query.
fn reads_outer(e: &Expr) -> bool {
    let mut found = false;
    e.visit(&mut |x| found |= matches!(x, Expr::Outer { .. }));
    found
}

/// The subquery's rows as a join input, with the keys and residual that tie them to the
/// outer row; `in_value` is `IN`'s left operand (its subquery's one column becomes a key).
fn decorrelate(
    sub: &Node,
    lw: usize,
    kind: JoinKind,
    in_value: Option<Expr>,
) -> Option<SubqueryJoin> {
    let (output, body) = match (sub, &in_value) {
        (Node::Project { input, exprs }, Some(_)) if exprs.len() == 1 => {
            (Some(exprs[0].clone()), input.as_ref())
        }
        (Node::Project { input, .. }, None) => (None, input.as_ref()),
        (other, _) => (in_value.as_ref().map(|_| Expr::Column(0)), other),
    };
    // IN's own projection over the subquery's projection: look through both.
    let (body, output) = match (body, output) {
        (Node::Project { input, exprs }, Some(out)) => match through(out.clone(), exprs) {
            Some(inner) => (input.as_ref(), Some(inner)),
            None => (body, Some(out)),
        },
        (b, out) => (b, out),
    };
    let (base, conjuncts) = match body {
        Node::Filter { input, predicate } => ((**input).clone(), split(predicate.clone())),
        Node::Scan {
            table,
            filter: Some(f),
        } => (
            Node::Scan {
                table: table.clone(),
                filter: None,
            },
            split(f.clone()),
        ),
        other => (other.clone(), Vec::new()),
    };
    let mut left_keys = Vec::new();
    let mut right_keys = Vec::new();
    let mut residual = Vec::new();
    let mut inner = Vec::new();
    for c in conjuncts {
        if !reads_outer(&c) && !correlated_expr(&c) {
            inner.push(c);
            continue;
        }
        columns(&c)?;
        if !outer_depths_at_most_one(&c) {
            return None;
        }
        if let Expr::Binary(BinaryOp::Eq, a, b) = &c {
            let inner_only =
                |e: &Expr| !reads_outer(e) && columns(e).is_some_and(|s| !s.is_empty());
            let outer_only = |e: &Expr| reads_outer(e) && columns(e).is_some_and(|s| s.is_empty());
            if inner_only(a) && outer_only(b) {
                left_keys.push(lift_outer(b));
                right_keys.push((**a).clone());
                continue;
            }
            if outer_only(a) && inner_only(b) {
                left_keys.push(lift_outer(a));
                right_keys.push((**b).clone());
                continue;
            }
        }
        residual.push(lift_outer(&renumber(c, &|i| i + lw)));
    }
    if let (Some(x), Some(out)) = (in_value, output) {
        if reads_outer(&out) || columns(&out).is_none() {
            return None;
        }
        left_keys.push(x);
        right_keys.push(out);
    }
    if kind == JoinKind::NullAwareAnti && (left_keys.len() != 1 || !residual.is_empty()) {
        return None;
    }
    let right = match conjoin(inner) {
        Some(predicate) => Node::Filter {
            input: Box::new(base),
            predicate,
        },
        None => base,
    };
    if correlated(&right, 1) {
        return None;
    }
    Some(SubqueryJoin {
        kind,
        right,
        left_keys,
        right_keys,
        residual,
    })
}

/// `e`, an expression over a projection's output, as an expression over its input; only
/// for a column or a cast of one.
fn through(e: Expr, exprs: &[Expr]) -> Option<Expr> {
    match e {
        Expr::Column(i) => exprs.get(i).cloned(),
        Expr::Cast(inner, t) => Some(Expr::Cast(Box::new(through(*inner, exprs)?), t)),
        _ => None,
    }
}

/// True if a subquery inside `e` reads a row outside `e`'s own query.
fn correlated_expr(e: &Expr) -> bool {
    let mut found = false;
    e.visit(&mut |x| {
        if let Expr::Subquery(n) | Expr::Exists(n, _) | Expr::InSubquery(_, n, _) = x {
            found |= correlated(n, 1);
        }
    });
    found
}

/// True if every outer reference of `e` is to the nearest enclosing query.
fn outer_depths_at_most_one(e: &Expr) -> bool {
    let mut ok = true;
    e.visit(&mut |x| {
        if let Expr::Outer { depth, .. } = x {
            ok &= *depth == 1;
        }
    });
    ok
}

/// `e` with each reference to the nearest enclosing query's row made a column reference
/// (the outer row is the join's left row).
fn lift_outer(e: &Expr) -> Expr {
    e.clone().map_leaves(&|leaf| match leaf {
        Expr::Outer { depth: 1, index } => Expr::Column(index),
        other => other,
    })
}
