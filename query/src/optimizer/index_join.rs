//! Join algorithm choice: an index nested loop join when the inner side has a key on the
//! join columns and the outer side is small.
//!
//! A hash join reads its whole right input to build the hash table. When that input is a
//! plain scan of a table whose primary key or an index starts with the columns the join
//! equates, each left row can instead probe the key ([`Node::IndexJoin`]): reading a few
//! entries per left row beats reading the whole table once the left side is small enough.
//! The cost model ([`crate::stats`]) decides: the probes win when the left side's estimated
//! rows, times [`PROBE_COST`], stay below the right table's rows. Inner and left joins
//! qualify (a left join's right side is the one probed, so unmatched left rows still come
//! out padded with NULLs).
//!
//! ```text
//! Hash Inner Join on #0 = #0               Index Nested Loop Inner Join on (#0 Eq #2)
//!   Seq Scan on a  Filter: (#1 Eq 1)  =>     Seq Scan on a  Filter: (#1 Eq 1)
//!   Seq Scan on b                            Index Scan using b_pkey on b (id = #0)
//! ```
//!
//! The join keeps its whole condition (the key equalities included) and the right scan's
//! filter: the probe only narrows the rows read.

use super::filter_pushdown::{columns, conjoin, renumber, split};
use super::index_selection::key_column;
use crate::exec::width;
use crate::plan::{Expr, JoinKind, KeyLookup, Node};
use crate::stats::{estimate, table_rows};
use crate::types::BinaryOp;

/// What one probe of a key costs, in rows of a full scan.
pub const PROBE_COST: f64 = 4.0;

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    match node.map_inputs(apply) {
        Node::HashJoin {
            left,
            right,
            kind: kind @ (JoinKind::Inner | JoinKind::Left),
            left_keys,
            right_keys,
            residual,
        } => match *right {
            Node::Scan { table, filter }
                if estimate(&left) * PROBE_COST < table_rows(&table)
                    && left_keys
                        .iter()
                        .chain(&residual)
                        .all(|e| columns(e).is_some()) =>
            {
                let w = width(&left);
                let Some(lookup) = probe_lookup(&table, &left_keys, &right_keys) else {
                    return Node::HashJoin {
                        left,
                        right: Box::new(Node::Scan { table, filter }),
                        kind,
                        left_keys,
                        right_keys,
                        residual,
                    };
                };
                let mut on: Vec<Expr> = left_keys
                    .into_iter()
                    .zip(right_keys)
                    .map(|(l, r)| {
                        Expr::Binary(BinaryOp::Eq, Box::new(l), Box::new(renumber(r, &|i| i + w)))
                    })
                    .collect();
                on.extend(residual.map(split).unwrap_or_default());
                Node::IndexJoin {
                    left,
                    table,
                    lookup,
                    kind,
                    filter,
                    on: conjoin(on),
                }
            }
            right => Node::HashJoin {
                left,
                right: Box::new(right),
                kind,
                left_keys,
                right_keys,
                residual,
            },
        },
        other => other,
    }
}

/// The lookup of the key of `table` that the join's key pairs pin the longest prefix of
/// (the primary key on ties), its values being the left keys.
fn probe_lookup(
    table: &crate::catalog::Table,
    left_keys: &[Expr],
    right_keys: &[Expr],
) -> Option<KeyLookup> {
    let pairs: Vec<(usize, &Expr)> = right_keys
        .iter()
        .zip(left_keys)
        .filter_map(|(r, l)| key_column(table, r).map(|c| (c, l)))
        .collect();
    let primary = table.primary_key.clone().map(|cols| (None, cols));
    let indexes = table
        .indexes
        .iter()
        .filter(|i| !i.primary)
        .map(|i| (Some(i.clone()), i.columns.clone()));
    let mut best: Option<KeyLookup> = None;
    for (index, cols) in primary.into_iter().chain(indexes) {
        let eq: Vec<Vec<Expr>> = cols
            .iter()
            .map_while(|c| {
                pairs
                    .iter()
                    .find(|(pc, _)| pc == c)
                    .map(|(_, l)| vec![(*l).clone()])
            })
            .collect();
        if !eq.is_empty() && best.as_ref().is_none_or(|b| eq.len() > b.eq.len()) {
            best = Some(KeyLookup {
                index,
                eq,
                lower: None,
                upper: None,
            });
        }
    }
    best
}
