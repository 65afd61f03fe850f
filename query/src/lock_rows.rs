//! `SELECT ... FOR UPDATE / FOR SHARE` with a LIMIT: locking only the rows returned.
//!
//! Without a LIMIT, a locking query locks each row as its scan accepts it (see
//! [`crate::exec::lock_scanned`]). Under a LIMIT that would lock every row the scan accepts,
//! though only the first few are returned, and `SKIP LOCKED` would skip rows before they
//! are sorted. PostgreSQL puts a LockRows node between the LIMIT and the rest of the plan:
//! rows are sorted first, then locked one by one as the LIMIT pulls them, so
//! `SELECT ... ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED` locks exactly one row, the first
//! one no one else holds (the job-queue pattern).
//!
//! [`place`] does the same for a query over one table whose plan below the LIMIT is
//! projections, filters and sorts over one scan ([`Node::LockRows`]). The plan is rewritten
//! so that the scanned row and its key travel up with each output row: scans append the
//! row's key while [`Context::lock_keys`] is set, and every projection passes the scanned
//! row and the key through after its own columns. [`LockRowsExec`] locks the key, and
//! when the newest committed version differs from the one read (another transaction
//! changed it while we waited) it re-runs the plan's filters and projections over the new
//! version, as PostgreSQL's EvalPlanQual does: a row that no longer qualifies is skipped
//! and the LIMIT takes the next one. The sort is not redone, as in PostgreSQL. A row
//! deleted meanwhile, or skipped by `SKIP LOCKED`, is skipped too.
//!
//! Other locking queries under a LIMIT (joins, subqueries in the conditions) keep locking
//! at their scans.

use crate::catalog::Table;
use crate::error::{Error, Result};
use crate::exec::{Context, Executor, collect, width};
use crate::plan::{Expr, Node, RowLocking};
use crate::storage::Row;
use crate::types::Value;

/// Puts a [`Node::LockRows`] under the LIMIT at the top of `node` (below projections) when
/// the plan under it is simple enough; otherwise returns `node` as it is.
pub fn place(node: Node, locking: &RowLocking) -> Node {
    match node {
        Node::Project { input, exprs } => Node::Project {
            input: Box::new(place(*input, locking)),
            exprs,
        },
        Node::Limit {
            input,
            limit,
            offset,
        } => {
            let input = match scanned_table(&input) {
                Some(table)
                    if (locking.tables.is_empty() || locking.tables.contains(&table.oid))
                        && !has_subquery(&input) =>
                {
                    let table = table.clone();
                    Box::new(Node::LockRows {
                        width: width(&input),
                        recheck: Box::new(recheck(&input)),
                        input: Box::new(carry_keys(*input)),
                        table,
                    })
                }
                _ => input,
            };
            Node::Limit {
                input,
                limit,
                offset,
            }
        }
        other => other,
    }
}

/// The table a chain of projections, filters and sorts reads, if `node` is one.
fn scanned_table(node: &Node) -> Option<&Table> {
    match node {
        Node::Project { input, .. } | Node::Filter { input, .. } | Node::Sort { input, .. } => {
            scanned_table(input)
        }
        Node::Scan { table, .. } | Node::IndexScan { table, .. } => Some(table),
        _ => None,
    }
}

fn has_subquery(node: &Node) -> bool {
    let mut found = false;
    crate::plan::visit_exprs(node, &mut |e| {
        found |= matches!(
            e,
            Expr::Subquery(_) | Expr::Exists(..) | Expr::InSubquery(..)
        )
    });
    found
}

/// Rewrites a chain so that each row carries the scanned row and its key after its own
/// columns.
fn carry_keys(node: Node) -> Node {
    let tw = scanned_table(&node).map_or(0, |t| t.columns.len());
    let (node, own, start) = carry(node);
    if start == own {
        return node;
    }
    // The chain has no projection: its rows are the scanned rows and their keys.
    Node::Project {
        input: Box::new(node),
        exprs: (0..own)
            .chain(start..start + tw + 1)
            .map(Expr::Column)
            .collect(),
    }
}

/// [`carry_keys`] below the top: the chain, its own width and where the carried columns
/// (the scanned row, then its key) start in its rows.
fn carry(node: Node) -> (Node, usize, usize) {
    match node {
        Node::Project { input, exprs } => {
            let tw = scanned_table(&input).map_or(0, |t| t.columns.len());
            let (input, _, start) = carry(*input);
            let own = exprs.len();
            let mut exprs = exprs;
            exprs.extend((start..start + tw + 1).map(Expr::Column));
            let input = Box::new(input);
            (Node::Project { input, exprs }, own, own)
        }
        Node::Filter { input, predicate } => {
            let (input, own, start) = carry(*input);
            let input = Box::new(input);
            (Node::Filter { input, predicate }, own, start)
        }
        Node::Sort { input, keys } => {
            let (input, own, start) = carry(*input);
            let input = Box::new(input);
            (Node::Sort { input, keys }, own, start)
        }
        scan => {
            let own = width(&scan);
            (scan, own, 0)
        }
    }
}

/// The chain without its sorts, over a placeholder row in place of the scan (which keeps
/// its filter).
fn recheck(node: &Node) -> Node {
    match node {
        Node::Project { input, exprs } => Node::Project {
            input: Box::new(recheck(input)),
            exprs: exprs.clone(),
        },
        Node::Filter { input, predicate } => Node::Filter {
            input: Box::new(recheck(input)),
            predicate: predicate.clone(),
        },
        Node::Sort { input, .. } => recheck(input),
        Node::Scan { filter, .. } | Node::IndexScan { filter, .. } => {
            let row = Node::Values {
                rows: vec![Vec::new()],
            };
            match filter {
                Some(predicate) => Node::Filter {
                    input: Box::new(row),
                    predicate: predicate.clone(),
                },
                None => row,
            }
        }
        other => other.clone(),
    }
}

/// The placeholder row of a recheck plan.
fn placeholder(node: &mut Node) -> Option<&mut Vec<Vec<Expr>>> {
    match node {
        Node::Values { rows } => Some(rows),
        Node::Project { input, .. } | Node::Filter { input, .. } => placeholder(input),
        _ => None,
    }
}

/// Locks the row behind each input row as it passes (see the module documentation).
pub struct LockRowsExec {
    input: Box<dyn Executor>,
    table: Table,
    width: usize,
    recheck: Node,
}

impl LockRowsExec {
    /// Locks rows of `table`; input rows are `width` output columns, then the table's row and
    /// its key.
    pub fn new(input: Box<dyn Executor>, table: Table, width: usize, recheck: Node) -> Self {
        LockRowsExec {
            input,
            table,
            width,
            recheck,
        }
    }

    /// The output row for `newest`, the new version of a row: `None` if it no longer
    /// qualifies.
    fn recompute(&mut self, newest: Row, ctx: &mut Context) -> Result<Option<Row>> {
        let Some(rows) = placeholder(&mut self.recheck) else {
            return Err(Error::internal("LockRows recheck without its row"));
        };
        *rows = vec![newest.into_iter().map(Expr::Literal).collect()];
        Ok(collect(&self.recheck, ctx)?.into_iter().next())
    }
}

impl Executor for LockRowsExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            ctx.lock_keys = true;
            let next = self.input.next(ctx);
            ctx.lock_keys = false;
            let Some(mut row) = next? else {
                return Ok(None);
            };
            let Some(Value::Bytea(key)) = row.pop() else {
                return Err(Error::internal("LockRows input without a row key"));
            };
            let read = row.split_off(self.width.min(row.len()));
            let Some(locking) = ctx.row_locking.clone() else {
                return Ok(Some(row));
            };
            match ctx
                .txn
                .lock_row(&self.table, &key, locking.update, locking.policy)?
            {
                // Skipped (SKIP LOCKED) or deleted meanwhile.
                None | Some(None) => continue,
                Some(Some(newest)) if newest == read => return Ok(Some(row)),
                Some(Some(newest)) => match self.recompute(newest, ctx)? {
                    Some(row) => return Ok(Some(row)),
                    None => continue,
                },
            }
        }
    }
}
