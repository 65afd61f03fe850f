//! Predicate pushdown: a filter moves as close to the data as its columns allow.
//!
//! A predicate is split into its AND-ed conjuncts. Over an inner join, a conjunct that reads
//! only the left side's columns goes to the left input, one that reads only the right side's
//! goes to the right input (its column numbers shifted), and one that reads both becomes
//! part of the join condition. At a scan, what arrives becomes the scan's filter, evaluated
//! as rows are read. A join condition that equates a left expression with a right one makes
//! the join a hash join on those keys; the rest of the condition is checked on each match.
//!
//! Under a lateral function call (`FROM a, generate_series(1, a.x)`), a conjunct that reads
//! only the input row filters that row before the function expands it.
//!
//! Conjuncts that contain a subquery stay where they are: a subquery's outer references
//! point at the row of the node that evaluates it. Outer joins pass nothing of a WHERE
//! through, since moving a predicate across the NULL-padded side would change the result.
//! An outer join's own ON condition becomes hash keys the same way (a LEFT, RIGHT or FULL
//! hash join), and its conjuncts over the padded side alone filter that side's input.
//!
//! ```text
//! Filter: a.x = b.y AND a.z = 1          Hash Inner Join on a.x = b.y
//!   Nested Loop Inner Join        =>       Seq Scan on a  Filter: a.z = 1
//!     Seq Scan on a                        Seq Scan on b
//!     Seq Scan on b
//! ```

use std::collections::BTreeSet;

use crate::exec::width;
use crate::plan::{Expr, JoinKind, Node};
use crate::types::BinaryOp;

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    match node {
        Node::Filter { input, predicate } => {
            let input = apply(*input);
            push(input, split(predicate))
        }
        Node::NestedLoopJoin {
            left,
            right,
            kind: kind @ (JoinKind::Left | JoinKind::Right | JoinKind::Full),
            on: Some(on),
        } => outer_join(apply(*left), apply(*right), kind, split(on)),
        other => other.map_inputs(apply),
    }
}

/// The conjuncts of a predicate.
pub(super) fn split(e: Expr) -> Vec<Expr> {
    match e {
        Expr::And(a, b) => {
            let mut v = split(*a);
            v.extend(split(*b));
            v
        }
        other => vec![other],
    }
}

pub(super) fn conjoin(mut conjuncts: Vec<Expr>) -> Option<Expr> {
    let first = conjuncts.pop()?;
    Some(
        conjuncts
            .into_iter()
            .rev()
            .fold(first, |acc, c| Expr::And(Box::new(c), Box::new(acc))),
    )
}

/// The columns of its own row that `e` reads, or `None` if it holds a subquery (which must
/// not move).
pub(super) fn columns(e: &Expr) -> Option<BTreeSet<usize>> {
    let mut set = BTreeSet::new();
    collect(e, &mut set).then_some(set)
}

fn collect(e: &Expr, set: &mut BTreeSet<usize>) -> bool {
    match e {
        Expr::Column(i) => {
            set.insert(*i);
            true
        }
        Expr::Literal(_) | Expr::Outer { .. } | Expr::Param(_) => true,
        Expr::Unary(_, a)
        | Expr::Not(a)
        | Expr::IsNull(a)
        | Expr::Cast(a, _)
        | Expr::IsBool(a, _, _) => collect(a, set),
        Expr::Binary(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::IsDistinctFrom(a, b, _)
        | Expr::Like(a, b, _, _) => collect(a, set) && collect(b, set),
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => {
            operand.as_deref().is_none_or(|o| collect(o, set))
                && branches
                    .iter()
                    .all(|(w, t)| collect(w, set) && collect(t, set))
                && otherwise.as_deref().is_none_or(|o| collect(o, set))
        }
        Expr::Function(_, args) => args.iter().all(|a| collect(a, set)),
        Expr::InList(a, list, _) => collect(a, set) && list.iter().all(|x| collect(x, set)),
        Expr::Subquery(_) | Expr::Exists(..) | Expr::InSubquery(..) => false,
    }
}

/// `e` with every column number `i` of its own row replaced by `f(i)`.
pub(crate) fn renumber(e: Expr, f: &impl Fn(usize) -> usize) -> Expr {
    // Literals, parameters and outer references read nothing of this row; subqueries are
    // never moved (see `columns`).
    e.map_leaves(&|leaf| match leaf {
        Expr::Column(i) => Expr::Column(f(i)),
        other => other,
    })
}

/// `e` over a join's row, renumbered over its right input (whose first column is `w`).
fn shift(e: Expr, w: usize) -> Expr {
    renumber(e, &|i| i - w)
}

/// `e` over a join's right input, renumbered over the joined row.
fn unshift(e: Expr, w: usize) -> Expr {
    renumber(e, &|i| i + w)
}

/// Pushes `conjuncts` (over `node`'s output) into `node` as far as they go.
fn push(node: Node, conjuncts: Vec<Expr>) -> Node {
    if conjuncts.is_empty() {
        return node;
    }
    match node {
        Node::Scan { table, filter } => {
            let mut all = filter.map(split).unwrap_or_default();
            all.extend(conjuncts);
            Node::Scan {
                table,
                filter: conjoin(all),
            }
        }
        Node::Filter { input, predicate } => {
            let mut all = split(predicate);
            all.extend(conjuncts);
            push(*input, all)
        }
        node @ (Node::NestedLoopJoin {
            kind: JoinKind::Inner,
            ..
        }
        | Node::HashJoin {
            kind: JoinKind::Inner,
            ..
        }) => {
            // Back to plain conditions, so that old and new keys are chosen together.
            let (left, right, on) = inner_join_parts(node).expect("an inner join");
            let w = width(&left);
            let mut to_left = Vec::new();
            let mut to_right = Vec::new();
            let mut here = Vec::new();
            for c in conjuncts.into_iter().chain(on) {
                match columns(&c) {
                    Some(cols) if !cols.is_empty() && cols.iter().all(|&i| i < w) => {
                        to_left.push(c)
                    }
                    Some(cols) if !cols.is_empty() && cols.iter().all(|&i| i >= w) => {
                        to_right.push(shift(c, w))
                    }
                    _ => here.push(c),
                }
            }
            let left = push(left, to_left);
            let right = push(right, to_right);
            join(left, right, w, here)
        }
        Node::FunctionScan {
            input,
            functions,
            ordinality,
            outer,
        } => {
            // What reads only the input row filters it before the functions expand it.
            let w = width(&input);
            let (down, here): (Vec<Expr>, Vec<Expr>) = conjuncts.into_iter().partition(|c| {
                matches!(columns(c), Some(cols) if !cols.is_empty() && cols.iter().all(|&i| i < w))
            });
            let node = Node::FunctionScan {
                input: Box::new(push(*input, down)),
                functions,
                ordinality,
                outer,
            };
            match conjoin(here) {
                Some(predicate) => Node::Filter {
                    input: Box::new(node),
                    predicate,
                },
                None => node,
            }
        }
        other => Node::Filter {
            input: Box::new(other),
            predicate: conjoin(conjuncts).expect("not empty"),
        },
    }
}

/// The inverse of [`join`]: an inner join's inputs and its conditions over the joined row (hash
/// keys turned back into equalities), or `None` for any other node.
pub(super) fn inner_join_parts(node: Node) -> Option<(Node, Node, Vec<Expr>)> {
    match node {
        Node::NestedLoopJoin {
            left,
            right,
            kind: JoinKind::Inner,
            on,
        } => Some((*left, *right, on.map(split).unwrap_or_default())),
        Node::HashJoin {
            left,
            right,
            kind: JoinKind::Inner,
            left_keys,
            right_keys,
            residual,
        } => {
            let w = width(&left);
            let mut conds: Vec<Expr> = left_keys
                .into_iter()
                .zip(right_keys)
                .map(|(l, r)| Expr::Binary(BinaryOp::Eq, Box::new(l), Box::new(unshift(r, w))))
                .collect();
            conds.extend(residual.map(split).unwrap_or_default());
            Some((*left, *right, conds))
        }
        _ => None,
    }
}

/// An inner join of `left` and `right` under `conds` (over the joined row): a hash join when
/// some condition equates a left-only expression with a right-only one.
pub(super) fn join(left: Node, right: Node, w: usize, conds: Vec<Expr>) -> Node {
    let (left_keys, right_keys, residual) = hash_keys(w, conds);
    if left_keys.is_empty() {
        return Node::NestedLoopJoin {
            left: Box::new(left),
            right: Box::new(right),
            kind: JoinKind::Inner,
            on: conjoin(residual),
        };
    }
    Node::HashJoin {
        left: Box::new(left),
        right: Box::new(right),
        kind: JoinKind::Inner,
        left_keys,
        right_keys,
        residual: conjoin(residual),
    }
}

/// An outer join under the conjuncts of its ON condition. Equalities between a left-only
/// and a right-only expression become hash keys; the rest stays the join's condition,
/// checked on each pair with equal keys, so a row whose partners all fail it still comes
/// out padded with NULLs. A conjunct over the padded side alone filters that side's input
/// (of a LEFT join, its right input; of a RIGHT join, its left one): a row it rejects could
/// only have come out padded, as it does without a partner.
fn outer_join(left: Node, right: Node, kind: JoinKind, conds: Vec<Expr>) -> Node {
    let w = width(&left);
    let mut to_left = Vec::new();
    let mut to_right = Vec::new();
    let mut here = Vec::new();
    for c in conds {
        match (kind, columns(&c)) {
            (JoinKind::Left, Some(cols)) if !cols.is_empty() && cols.iter().all(|&i| i >= w) => {
                to_right.push(shift(c, w))
            }
            (JoinKind::Right, Some(cols)) if !cols.is_empty() && cols.iter().all(|&i| i < w) => {
                to_left.push(c)
            }
            _ => here.push(c),
        }
    }
    let left = Box::new(push(left, to_left));
    let right = Box::new(push(right, to_right));
    let (left_keys, right_keys, residual) = hash_keys(w, here);
    if left_keys.is_empty() {
        return Node::NestedLoopJoin {
            left,
            right,
            kind,
            on: conjoin(residual),
        };
    }
    Node::HashJoin {
        left,
        right,
        kind,
        left_keys,
        right_keys,
        residual: conjoin(residual),
    }
}

/// Splits join conditions (over the joined row, whose right part starts at `w`) into hash
/// keys over the left row, hash keys over the right row, and the rest.
fn hash_keys(w: usize, conds: Vec<Expr>) -> (Vec<Expr>, Vec<Expr>, Vec<Expr>) {
    let mut left_keys = Vec::new();
    let mut right_keys = Vec::new();
    let mut residual = Vec::new();
    for c in conds {
        if let Expr::Binary(BinaryOp::Eq, a, b) = &c
            && let (Some(ca), Some(cb)) = (columns(a), columns(b))
            && !ca.is_empty()
            && !cb.is_empty()
        {
            let left_only = |s: &BTreeSet<usize>| s.iter().all(|&i| i < w);
            let right_only = |s: &BTreeSet<usize>| s.iter().all(|&i| i >= w);
            if left_only(&ca) && right_only(&cb) {
                left_keys.push((**a).clone());
                right_keys.push(shift((**b).clone(), w));
                continue;
            }
            if right_only(&ca) && left_only(&cb) {
                left_keys.push((**b).clone());
                right_keys.push(shift((**a).clone(), w));
                continue;
            }
        }
        residual.push(c);
    }
    (left_keys, right_keys, residual)
}
