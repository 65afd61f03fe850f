//! Projection pruning: each node carries only the columns that the plan above it reads.
//!
//! The rule walks down from the root with the set of columns each node must produce. A
//! projection drops the expressions nobody reads (unless they call a function, which may be
//! volatile, or hold a subquery); a filter, sort, join or aggregation asks its inputs for
//! what is required of it plus what its own expressions read. Below a sort, a join's right
//! side (the hashed or buffered one) and an aggregation, an input that would produce more
//! than what is asked gets a projection of just those columns, so that sort buffers, hash
//! tables and spilled rows hold less. Column references above are renumbered to the narrower rows.
//!
//! A node whose expressions hold a subquery keeps its whole input: the subquery's outer
//! references point into that row by position. Nodes the rule does not look into (set
//! operations, DISTINCT, window functions, WITH queries) keep all their columns, and what
//! is below them is pruned afresh. Asked for all its columns, every node keeps its width and
//! numbering, so the plan's output never changes.
//!
//! ```text
//! Project: #0                          Project: #0
//!   Sort: #1                             Sort: #1
//!     Seq Scan on a (x, z, ...)   =>       Project: #0, #1
//!                                            Seq Scan on a
//! ```

use std::collections::BTreeSet;

use crate::exec::width;
use crate::plan::{Expr, Node, SortKey};

use super::filter_pushdown::{columns, renumber};

/// Old column number to new (`None`: dropped).
type ColumnMap = Vec<Option<usize>>;

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    let w = width(&node);
    prune(node, &(0..w).collect()).0
}

fn identity(w: usize) -> ColumnMap {
    (0..w).map(Some).collect()
}

/// The columns all of `exprs` read, or every column of a `w`-wide row if one holds a
/// subquery.
fn reads<'a>(exprs: impl IntoIterator<Item = &'a Expr>, w: usize) -> BTreeSet<usize> {
    let mut set = BTreeSet::new();
    for e in exprs {
        match columns(e) {
            Some(cols) => set.extend(cols),
            None => return (0..w).collect(),
        }
    }
    set
}

/// `e` renumbered through `map` (columns it reads are always kept).
fn through(e: Expr, map: &ColumnMap) -> Expr {
    renumber(e, &|i| map.get(i).copied().flatten().unwrap_or(i))
}

/// `node` pruned to produce at least `required`, with where its columns went.
fn prune(node: Node, required: &BTreeSet<usize>) -> (Node, ColumnMap) {
    match node {
        Node::Project { input, exprs } => {
            let mut kept = Vec::new();
            let mut map = vec![None; exprs.len()];
            for (i, e) in exprs.into_iter().enumerate() {
                if required.contains(&i) || !droppable(&e) {
                    map[i] = Some(kept.len());
                    kept.push(e);
                }
            }
            let needed = reads(&kept, width(&input));
            let (input, inner) = prune(*input, &needed);
            let exprs = kept.into_iter().map(|e| through(e, &inner)).collect();
            (
                Node::Project {
                    input: Box::new(input),
                    exprs,
                },
                map,
            )
        }
        Node::Filter { input, predicate } => {
            let mut needed = reads([&predicate], width(&input));
            needed.extend(required);
            let (input, map) = prune(*input, &needed);
            let predicate = through(predicate, &map);
            (
                Node::Filter {
                    input: Box::new(input),
                    predicate,
                },
                map,
            )
        }
        Node::Limit {
            input,
            limit,
            offset,
        } => {
            let (input, map) = prune(*input, required);
            (
                Node::Limit {
                    input: Box::new(input),
                    limit,
                    offset,
                },
                map,
            )
        }
        Node::Sort { input, keys } => {
            let mut needed = reads(keys.iter().map(|k| &k.expr), width(&input));
            needed.extend(required);
            let (input, map) = narrow(*input, &needed);
            let keys = keys
                .into_iter()
                .map(|k| SortKey {
                    expr: through(k.expr, &map),
                    ..k
                })
                .collect();
            (
                Node::Sort {
                    input: Box::new(input),
                    keys,
                },
                map,
            )
        }
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let out = group_by.len() + aggregates.len();
            let needed = reads(
                group_by
                    .iter()
                    .chain(aggregates.iter().flat_map(|a| a.exprs())),
                width(&input),
            );
            let (input, map) = narrow(*input, &needed);
            let node = Node::Aggregate {
                input: Box::new(input),
                group_by: group_by.into_iter().map(|e| through(e, &map)).collect(),
                aggregates: aggregates
                    .into_iter()
                    .map(|a| a.map_exprs(&|e| through(e, &map)))
                    .collect(),
            };
            (node, identity(out))
        }
        Node::NestedLoopJoin {
            left,
            right,
            kind,
            on,
        } => {
            let (lw, rw) = (width(&left), width(&right));
            let conds = reads(on.iter(), lw + rw);
            let (left, right, lmap, rmap) = prune_sides(*left, *right, required, &conds, &[], &[]);
            let map = joined(&lmap, &rmap, width(&left));
            let node = Node::NestedLoopJoin {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                on: on.map(|e| through(e, &map)),
            };
            let out = if kind.left_only() { lmap } else { map };
            (node, out)
        }
        Node::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => {
            let (lw, rw) = (width(&left), width(&right));
            let conds = reads(residual.iter(), lw + rw);
            let (left, right, lmap, rmap) =
                prune_sides(*left, *right, required, &conds, &left_keys, &right_keys);
            let map = joined(&lmap, &rmap, width(&left));
            let node = Node::HashJoin {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                left_keys: left_keys.into_iter().map(|e| through(e, &lmap)).collect(),
                right_keys: right_keys.into_iter().map(|e| through(e, &rmap)).collect(),
                residual: residual.map(|e| through(e, &map)),
            };
            let out = if kind.left_only() { lmap } else { map };
            (node, out)
        }
        other => {
            let w = width(&other);
            let node = other.map_inputs(|input| {
                let all = (0..width(&input)).collect();
                prune(input, &all).0
            });
            (node, identity(w))
        }
    }
}

/// A join's inputs pruned to what is required of the join (`required`, over the joined
/// row), what its conditions read (`conds`, over the joined row) and its keys.
fn prune_sides(
    left: Node,
    right: Node,
    required: &BTreeSet<usize>,
    conds: &BTreeSet<usize>,
    left_keys: &[Expr],
    right_keys: &[Expr],
) -> (Node, Node, ColumnMap, ColumnMap) {
    let (lw, rw) = (width(&left), width(&right));
    let mut need_left = reads(left_keys, lw);
    let mut need_right = reads(right_keys, rw);
    for &i in required.iter().chain(conds) {
        if i < lw {
            need_left.insert(i);
        } else {
            need_right.insert(i - lw);
        }
    }
    // The left side streams: pruned, but not given a projection of its own.
    let (left, lmap) = prune(left, &need_left);
    let (right, rmap) = narrow(right, &need_right);
    (left, right, lmap, rmap)
}

/// Where the columns of a joined row go, given its sides' maps (`lw`: the new left width).
fn joined(lmap: &ColumnMap, rmap: &ColumnMap, lw: usize) -> ColumnMap {
    lmap.iter()
        .copied()
        .chain(rmap.iter().map(|m| m.map(|i| i + lw)))
        .collect()
}

/// `node` pruned to `needed`, with a projection on top if it would still produce more.
fn narrow(node: Node, needed: &BTreeSet<usize>) -> (Node, ColumnMap) {
    let w = width(&node);
    let (node, map) = prune(node, needed);
    let new_width = width(&node);
    if needed.len() >= new_width {
        return (node, map);
    }
    let mut out = vec![None; w];
    let mut exprs = Vec::with_capacity(needed.len());
    for &i in needed {
        if let Some(Some(j)) = map.get(i) {
            out[i] = Some(exprs.len());
            exprs.push(Expr::Column(*j));
        }
    }
    (
        Node::Project {
            input: Box::new(node),
            exprs,
        },
        out,
    )
}

/// True if a projection may leave `e` out when nobody reads it: no function calls (which
/// may be volatile, like `nextval`) and no subqueries.
fn droppable(e: &Expr) -> bool {
    let mut ok = true;
    e.visit(&mut |x| {
        ok &= !matches!(
            x,
            Expr::Function(..) | Expr::Subquery(_) | Expr::Exists(..) | Expr::InSubquery(..)
        )
    });
    ok
}
