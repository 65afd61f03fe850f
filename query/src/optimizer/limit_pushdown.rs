//! Limit pushdown: a LIMIT moves down to where it saves work.
//!
//! - Through a projection: `Limit (Project x)` becomes `Project (Limit x)`, which computes
//!   the same rows (a LIMIT stops pulling rows either way) but puts the LIMIT next to what
//!   is below, typically a sort.
//! - Into a sort: a LIMIT directly over a sort tells it, when it starts, how many rows will
//!   be read (limit plus offset), and the sort keeps only that many: a top-N sort that
//!   holds N rows instead of its whole input (see [`crate::spill`]). This needs no change to
//!   the plan, only the LIMIT's position.
//! - Through UNION ALL: each branch gets a LIMIT of limit plus offset rows (the LIMIT above
//!   stays, to cut the concatenation), so that neither branch is read, or sorted, in full.
//!   Only constant limits and offsets are pushed into branches. A constant LIMIT without
//!   OFFSET that lands on another constant LIMIT merges with it.
//!
//! ```text
//! Limit: 10 offset none              Project: #1
//!   Project: #1                 =>     Limit: 10 offset none
//!     Sort: #0                           Sort: #0   (keeps 10 rows)
//! ```

use crate::plan::{Expr, Node, SetOpKind};
use crate::types::Value;

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    match node {
        Node::Limit {
            input,
            limit,
            offset,
        } => push(*input, limit, offset),
        other => other.map_inputs(apply),
    }
}

/// A LIMIT with `limit` and `offset` over `input`, pushed down as far as it goes.
fn push(input: Node, limit: Option<Expr>, offset: Option<Expr>) -> Node {
    match input {
        Node::Project { input, exprs } if limit.is_some() => Node::Project {
            input: Box::new(push(*input, limit, offset)),
            exprs,
        },
        Node::SetOp {
            op: SetOpKind::Union,
            all: true,
            left,
            right,
        } if rows_needed(&limit, &offset).is_some() => {
            let n = rows_needed(&limit, &offset).expect("checked by the guard");
            let branch =
                |b: Box<Node>| Box::new(push(*b, Some(Expr::Literal(Value::Int8(n))), None));
            Node::Limit {
                input: Box::new(Node::SetOp {
                    op: SetOpKind::Union,
                    all: true,
                    left: branch(left),
                    right: branch(right),
                }),
                limit,
                offset,
            }
        }
        // A constant LIMIT without OFFSET over another constant LIMIT: the smaller one.
        Node::Limit {
            input,
            limit: inner_limit,
            offset: inner_offset,
        } if offset.is_none()
            && rows_needed(&limit, &None).is_some()
            && rows_needed(&inner_limit, &None).is_some() =>
        {
            let outer = rows_needed(&limit, &None).expect("checked by the guard");
            let inner = rows_needed(&inner_limit, &None).expect("checked by the guard");
            let smaller = if outer < inner { limit } else { inner_limit };
            push(*input, smaller, inner_offset)
        }
        other => Node::Limit {
            input: Box::new(apply(other)),
            limit,
            offset,
        },
    }
}

/// Limit plus offset when both are constants that are valid (not negative), the limit
/// present.
fn rows_needed(limit: &Option<Expr>, offset: &Option<Expr>) -> Option<i64> {
    let constant = |e: &Expr| match e {
        Expr::Literal(Value::Int2(n)) => Some(i64::from(*n)),
        Expr::Literal(Value::Int4(n)) => Some(i64::from(*n)),
        Expr::Literal(Value::Int8(n)) => Some(*n),
        _ => None,
    };
    let limit = constant(limit.as_ref()?)?;
    let offset = match offset {
        Some(e) => constant(e)?,
        None => 0,
    };
    if limit < 0 || offset < 0 {
        return None;
    }
    limit.checked_add(offset)
}
