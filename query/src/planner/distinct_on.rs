//! `SELECT DISTINCT ON (exprs)`: the first row (in ORDER BY order) of each group of rows
//! equal on `exprs`.
//!
//! The expressions are bound like ORDER BY keys (output names and positions, or expressions
//! computed into hidden columns). As in PostgreSQL, the ORDER BY keys that are DISTINCT ON
//! expressions must come first (42P10 otherwise). The plan numbers the rows of each group in
//! ORDER BY order with `row_number() OVER (PARTITION BY exprs ORDER BY ...)` and keeps the
//! first: the window sorts with the external sort and holds one group at a time, so DISTINCT
//! ON stays within `work_mem` whatever the number of groups.

use anchor_grammar::ast;

use super::{Grouping, Planner, Scope, resolve_output_index};
use crate::error::{Error, Result, SqlState};
use crate::plan::{Expr, Frame, FrameBound, FrameUnits, Node, SortKey, WindowFunction};
use crate::types::{BinaryOp, DataType, Value};

impl Planner<'_> {
    /// The output columns `on` names, binding expressions not in the select list into
    /// hidden columns at the end of `exprs` (counted in `hidden`). Checks them against the
    /// ORDER BY keys `sort_keys`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn distinct_on_targets(
        &mut self,
        on: &[ast::Expr],
        items: &[(ast::Expr, String)],
        columns: &[(String, DataType)],
        exprs: &mut Vec<Expr>,
        hidden: &mut usize,
        scope: &Scope,
        mut grouping: Option<&mut Grouping>,
        sort_keys: &[SortKey],
    ) -> Result<Vec<usize>> {
        let mut targets = Vec::new();
        for e in on {
            let target = match resolve_output_index(e, items, columns)? {
                Some(i) => i,
                None => {
                    let (bound, _) = self.expr(e, scope, grouping.as_deref_mut())?;
                    match exprs.iter().position(|x| *x == bound) {
                        Some(i) => i,
                        None => {
                            exprs.push(bound);
                            *hidden += 1;
                            exprs.len() - 1
                        }
                    }
                }
            };
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        // PostgreSQL's rule: once an ORDER BY key that is not a DISTINCT ON expression has
        // been passed, no DISTINCT ON expression may follow, in ORDER BY or after it.
        let sorted: Vec<Option<usize>> = sort_keys
            .iter()
            .map(|k| match k.expr {
                Expr::Column(i) => Some(i),
                _ => None,
            })
            .collect();
        let mut skipped = false;
        for t in &sorted {
            match t {
                Some(t) if targets.contains(t) => {
                    if skipped {
                        return Err(mismatch());
                    }
                }
                _ => skipped = true,
            }
        }
        if skipped && targets.iter().any(|t| !sorted.contains(&Some(*t))) {
            return Err(mismatch());
        }
        Ok(targets)
    }
}

fn mismatch() -> Error {
    Error::new(
        SqlState::INVALID_COLUMN_REFERENCE,
        "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
    )
}

/// Keeps the first row, by `sort_keys`, of each group of `node`'s rows (`width` columns)
/// equal on the columns `targets`.
pub(super) fn first_of_each(
    node: Node,
    width: usize,
    targets: &[usize],
    sort_keys: &[SortKey],
) -> Node {
    let numbered = Node::Window {
        input: Box::new(node),
        functions: vec![WindowFunction {
            function: "row_number".into(),
            args: Vec::new(),
            aggregate: None,
            partition_by: targets.iter().map(|&t| Expr::Column(t)).collect(),
            order_by: sort_keys.to_vec(),
            frame: Frame {
                units: FrameUnits::Range,
                start: FrameBound::UnboundedPreceding,
                end: FrameBound::CurrentRow,
            },
            data_type: DataType::Int8,
        }],
    };
    let first = Node::Filter {
        input: Box::new(numbered),
        predicate: Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(width)),
            Box::new(Expr::Literal(Value::Int8(1))),
        ),
    };
    Node::Project {
        input: Box::new(first),
        exprs: (0..width).map(Expr::Column).collect(),
    }
}
