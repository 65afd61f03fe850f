//! Join ordering: a chain of inner joins is rebuilt so that each table joins one it shares
//! an equality with, instead of in FROM order.
//!
//! `FROM t1, t2, t3 WHERE t1.a = t3.a AND t3.b = t2.b` joins t1 with t2 with no condition (a
//! cross product) before t3 arrives. This rule flattens a tree of inner joins into its
//! inputs and conditions, then builds a left-deep tree greedily: starting from the input
//! with the fewest estimated rows ([`crate::stats::estimate`]), it adds next the smallest
//! input that an equality connects to those already joined (a hash join, or an index
//! nested loop join later), and only when none is connected the smallest of the others (a
//! cross join); ties go to FROM order. Every condition is applied at the first join where
//! its columns are all present. A projection on top restores the original column order,
//! so nothing above notices.
//!
//! Trees whose conditions hold subqueries are left alone: a subquery's outer references
//! point at positions in the row where it is evaluated, which reordering would move.
//!
//! Starting small keeps the hash tables small and lets a small outer side probe the keys
//! of the big tables ([`super::index_join`]).

use super::filter_pushdown::{columns, inner_join_parts, join, renumber};
use crate::exec::width;
use crate::plan::{Expr, JoinKind, Node};
use crate::stats::estimate;
use crate::types::BinaryOp;

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    match node {
        join @ (Node::NestedLoopJoin {
            kind: JoinKind::Inner,
            ..
        }
        | Node::HashJoin {
            kind: JoinKind::Inner,
            ..
        }) => reorder(join),
        other => other.map_inputs(apply),
    }
}

/// Collects the inputs of a tree of inner joins and its conditions over the whole row.
fn flatten(node: Node, base: usize, inputs: &mut Vec<Node>, conds: &mut Vec<Expr>) {
    match node {
        join @ (Node::NestedLoopJoin {
            kind: JoinKind::Inner,
            ..
        }
        | Node::HashJoin {
            kind: JoinKind::Inner,
            ..
        }) => {
            let (left, right, on) = inner_join_parts(join).expect("an inner join");
            let w = width(&left);
            flatten(left, base, inputs, conds);
            flatten(right, base + w, inputs, conds);
            conds.extend(on.into_iter().map(|c| renumber(c, &|i| i + base)));
        }
        input => inputs.push(apply(input)),
    }
}

/// True if a condition anywhere in this tree of inner joins holds a subquery.
fn has_subquery_condition(node: &Node) -> bool {
    let bad = |e: &Expr| columns(e).is_none();
    match node {
        Node::NestedLoopJoin {
            left,
            right,
            kind: JoinKind::Inner,
            on,
        } => {
            on.as_ref().is_some_and(bad)
                || has_subquery_condition(left)
                || has_subquery_condition(right)
        }
        Node::HashJoin {
            left,
            right,
            kind: JoinKind::Inner,
            left_keys,
            right_keys,
            residual,
        } => {
            left_keys.iter().chain(right_keys).chain(residual).any(bad)
                || has_subquery_condition(left)
                || has_subquery_condition(right)
        }
        _ => false,
    }
}

fn reorder(node: Node) -> Node {
    if has_subquery_condition(&node) {
        return node.map_inputs(apply);
    }
    let mut inputs = Vec::new();
    let mut conds = Vec::new();
    flatten(node, 0, &mut inputs, &mut conds);
    let widths: Vec<usize> = inputs.iter().map(width).collect();
    let offsets: Vec<usize> = widths
        .iter()
        .scan(0, |acc, w| Some(std::mem::replace(acc, *acc + w)))
        .collect();
    let total: usize = widths.iter().sum();
    let owner = |col: usize| offsets.iter().rposition(|&o| o <= col).unwrap_or(0);
    let cond_inputs: Vec<Vec<usize>> = conds
        .iter()
        .map(|c| {
            let mut v: Vec<usize> = columns(c)
                .unwrap_or_default()
                .into_iter()
                .map(owner)
                .collect();
            v.dedup();
            v
        })
        .collect();
    let is_equality: Vec<bool> = conds
        .iter()
        .map(|c| matches!(c, Expr::Binary(BinaryOp::Eq, ..)))
        .collect();

    let estimates: Vec<f64> = inputs.iter().map(estimate).collect();
    let mut slots: Vec<Option<Node>> = inputs.into_iter().map(Some).collect();
    let mut joined = vec![false; slots.len()];
    let mut applied = vec![false; conds.len()];
    // Where each column of the original row sits in the row built so far.
    let mut position: Vec<Option<usize>> = vec![None; total];
    let mut current: Option<Node> = None;
    let mut current_width = 0;
    for _ in 0..slots.len() {
        let connected = |j: usize| {
            current.is_none()
                || cond_inputs
                    .iter()
                    .zip(&is_equality)
                    .zip(&applied)
                    .any(|((ins, eq), done)| {
                        *eq && !done && ins.contains(&j) && ins.iter().all(|&i| i == j || joined[i])
                    })
        };
        let smallest = |candidates: &mut dyn Iterator<Item = usize>| {
            candidates.fold(None, |best: Option<usize>, j| match best {
                Some(b) if estimates[b] <= estimates[j] => Some(b),
                _ => Some(j),
            })
        };
        let next = smallest(&mut (0..slots.len()).filter(|&j| !joined[j] && connected(j)))
            .or_else(|| smallest(&mut (0..slots.len()).filter(|&j| !joined[j])))
            .expect("an input is left");
        joined[next] = true;
        let input = slots[next].take().expect("each input is joined once");
        for k in 0..widths[next] {
            position[offsets[next] + k] = Some(current_width + k);
        }
        let mut here = Vec::new();
        for (c, cond) in conds.iter().enumerate() {
            if !applied[c] && cond_inputs[c].iter().all(|&i| joined[i]) {
                applied[c] = true;
                here.push(renumber(cond.clone(), &|i| {
                    position[i].expect("joined column")
                }));
            }
        }
        current = Some(match current.take() {
            None => match crate::optimizer::filter_pushdown::conjoin(here) {
                None => input,
                Some(predicate) => Node::Filter {
                    input: Box::new(input),
                    predicate,
                },
            },
            Some(left) => join(left, input, current_width, here),
        });
        current_width += widths[next];
    }
    let node = current.expect("a join has inputs");
    let order: Vec<usize> = position
        .iter()
        .map(|p| p.expect("every column joined"))
        .collect();
    if order.iter().enumerate().all(|(i, &p)| i == p) {
        return node;
    }
    Node::Project {
        input: Box::new(node),
        exprs: order.into_iter().map(Expr::Column).collect(),
    }
}
