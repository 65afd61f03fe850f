//! `SELECT ... FOR UPDATE / FOR SHARE` with a LIMIT: locking only the rows returned.
//!
//! Without a LIMIT, a locking query locks each row as its scan accepts it (see
//! [`crate::exec::lock_scanned`]). Under a LIMIT that would lock every row the scans accept,
//! though only the first few are returned, and `SKIP LOCKED` would skip rows before they
//! are sorted. PostgreSQL puts a LockRows node between the LIMIT and the rest of the plan:
//! rows are sorted first, then locked one by one as the LIMIT pulls them, so
//! `SELECT ... ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED` locks exactly one row, the first
//! one no one else holds (the job-queue pattern).
//!
//! [`place`] does the same ([`Node::LockRows`]) when the plan below the LIMIT is made of
//! projections, filters, sorts and inner joins over scans, without subqueries. The plan is
//! rewritten so that each scanned row and its key travel up with each output row: scans
//! append the row's key while [`Context::lock_keys`] is set, every projection passes the
//! carried columns through after its own, and every join puts its inputs' carried columns
//! after its own columns (its conditions renumbered). [`LockRowsExec`] locks the keys of the
//! locked tables' rows; when the newest committed version of one differs from the version
//! read (another transaction changed it while we waited) it re-runs the plan's filters,
//! joins and projections over the rows of this output row, with the new versions, as
//! PostgreSQL's EvalPlanQual does: a row that no longer qualifies is skipped and the LIMIT
//! takes the next one. The sort is not redone, as in PostgreSQL. A row deleted meanwhile, or
//! skipped by `SKIP LOCKED`, is skipped too.
//!
//! Other locking queries under a LIMIT (outer joins, subqueries, aggregates below the
//! LIMIT) keep locking at their scans.

use crate::catalog::Table;
use crate::error::{Error, Result};
use crate::exec::{Context, Executor, collect, width};
use crate::optimizer::filter_pushdown::renumber;
use crate::plan::{Expr, JoinKind, Node, RowLocking};
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
            let mut tables = Vec::new();
            let input = if scans(&input, &mut tables)
                && !has_subquery(&input)
                && tables.iter().any(|t| locked(t, locking))
            {
                let tables = tables
                    .into_iter()
                    .map(|t| {
                        let lock = locked(&t, locking);
                        (t, lock)
                    })
                    .collect();
                Box::new(Node::LockRows {
                    width: width(&input),
                    recheck: Box::new(recheck(&input)),
                    input: Box::new(carry_keys(*input)),
                    tables,
                })
            } else {
                input
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

fn locked(table: &Table, locking: &RowLocking) -> bool {
    locking.tables.is_empty() || locking.tables.contains(&table.oid)
}

/// Collects the tables `node` scans, left to right; false if it is not made of
/// projections, filters, sorts and inner joins over scans.
fn scans(node: &Node, tables: &mut Vec<Table>) -> bool {
    match node {
        Node::Project { input, .. } | Node::Filter { input, .. } | Node::Sort { input, .. } => {
            scans(input, tables)
        }
        Node::HashJoin {
            left,
            right,
            kind: JoinKind::Inner,
            ..
        }
        | Node::NestedLoopJoin {
            left,
            right,
            kind: JoinKind::Inner,
            ..
        } => scans(left, tables) && scans(right, tables),
        Node::IndexJoin {
            left,
            table,
            kind: JoinKind::Inner,
            ..
        } => {
            let ok = scans(left, tables);
            tables.push(table.clone());
            ok
        }
        Node::Scan { table, .. } | Node::IndexScan { table, .. } => {
            tables.push(table.clone());
            true
        }
        _ => false,
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

/// Rewrites a chain so that each row carries, after its own columns, each scanned row and
/// its key (left to right).
fn carry_keys(node: Node) -> Node {
    let c = carry(node);
    if c.start == c.own {
        return c.node;
    }
    // The chain is one scan: its rows are the scanned rows and their keys.
    Node::Project {
        input: Box::new(c.node),
        exprs: (0..c.own)
            .chain(c.start..c.start + c.width)
            .map(Expr::Column)
            .collect(),
    }
}

/// A rewritten part of a chain.
struct Carried {
    node: Node,
    /// Its own columns, first in its rows.
    own: usize,
    /// Where the carried columns start (0 for a scan, whose rows are what it carries).
    start: usize,
    /// How many carried columns there are.
    width: usize,
}

impl Carried {
    /// The width of the rewritten rows.
    fn row_width(&self) -> usize {
        self.own.max(self.start + self.width)
    }
}

/// A join's rewritten inputs joined: its own columns first, then what both carry. `make`
/// builds the join node from the rewritten inputs, given the left input's own width and
/// its rewritten width (to renumber the join's conditions with [`shifted`]).
fn join(
    left: Carried,
    right: Carried,
    make: impl FnOnce(Node, Node, usize, usize) -> Node,
) -> Carried {
    let lw = left.row_width();
    let (lo, ro) = (left.own, right.own);
    let exprs = (0..lo)
        .chain(lw..lw + ro)
        .chain(left.start..left.start + left.width)
        .chain(lw + right.start..lw + right.start + right.width)
        .map(Expr::Column)
        .collect();
    let joined = make(left.node, right.node, lo, lw);
    Carried {
        node: Node::Project {
            input: Box::new(joined),
            exprs,
        },
        own: lo + ro,
        start: lo + ro,
        width: left.width + right.width,
    }
}

/// A condition over an original joined row (left part `lo` wide), over the rewritten one
/// (left part `lw` wide).
fn shifted(e: Option<Expr>, lo: usize, lw: usize) -> Option<Expr> {
    e.map(|e| renumber(e, &|i| if i < lo { i } else { i - lo + lw }))
}

fn carry(node: Node) -> Carried {
    match node {
        Node::Project { input, exprs } => {
            let input = carry(*input);
            let own = exprs.len();
            let mut exprs = exprs;
            exprs.extend((input.start..input.start + input.width).map(Expr::Column));
            Carried {
                node: Node::Project {
                    input: Box::new(input.node),
                    exprs,
                },
                own,
                start: own,
                width: input.width,
            }
        }
        Node::Filter { input, predicate } => {
            let c = carry(*input);
            Carried {
                node: Node::Filter {
                    input: Box::new(c.node),
                    predicate,
                },
                ..c
            }
        }
        Node::Sort { input, keys } => {
            let c = carry(*input);
            Carried {
                node: Node::Sort {
                    input: Box::new(c.node),
                    keys,
                },
                ..c
            }
        }
        Node::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => join(carry(*left), carry(*right), |left, right, lo, lw| {
            Node::HashJoin {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                left_keys,
                right_keys,
                residual: shifted(residual, lo, lw),
            }
        }),
        Node::NestedLoopJoin {
            left,
            right,
            kind,
            on,
        } => join(carry(*left), carry(*right), |left, right, lo, lw| {
            Node::NestedLoopJoin {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                on: shifted(on, lo, lw),
            }
        }),
        Node::IndexJoin {
            left,
            table,
            lookup,
            kind,
            filter,
            on,
        } => {
            let tw = table.columns.len();
            let right = Carried {
                node: Node::Nothing,
                own: tw,
                start: 0,
                width: tw + 1,
            };
            join(carry(*left), right, |left, _, lo, lw| Node::IndexJoin {
                left: Box::new(left),
                table,
                lookup,
                kind,
                filter,
                on: shifted(on, lo, lw),
            })
        }
        scan => {
            let own = width(&scan);
            Carried {
                node: scan,
                own,
                start: 0,
                width: own + 1,
            }
        }
    }
}

/// The chain without its sorts, each scan (with its filter) over a placeholder row.
fn recheck(node: &Node) -> Node {
    let placeholder = |filter: &Option<Expr>| {
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
    };
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
        Node::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => Node::HashJoin {
            left: Box::new(recheck(left)),
            right: Box::new(recheck(right)),
            kind: *kind,
            left_keys: left_keys.clone(),
            right_keys: right_keys.clone(),
            residual: residual.clone(),
        },
        Node::NestedLoopJoin {
            left,
            right,
            kind,
            on,
        } => Node::NestedLoopJoin {
            left: Box::new(recheck(left)),
            right: Box::new(recheck(right)),
            kind: *kind,
            on: on.clone(),
        },
        // The probe's `on` repeats the key equalities.
        Node::IndexJoin {
            left,
            kind,
            filter,
            on,
            ..
        } => Node::NestedLoopJoin {
            left: Box::new(recheck(left)),
            right: Box::new(placeholder(filter)),
            kind: *kind,
            on: on.clone(),
        },
        Node::Scan { filter, .. } | Node::IndexScan { filter, .. } => placeholder(filter),
        other => other.clone(),
    }
}

/// Puts `rows` into the placeholders of a recheck plan, left to right.
fn fill(node: &mut Node, rows: &mut impl Iterator<Item = Row>) {
    match node {
        Node::Values { rows: values } => {
            if let Some(row) = rows.next() {
                *values = vec![row.into_iter().map(Expr::Literal).collect()];
            }
        }
        Node::Project { input, .. } | Node::Filter { input, .. } => fill(input, rows),
        Node::HashJoin { left, right, .. } | Node::NestedLoopJoin { left, right, .. } => {
            fill(left, rows);
            fill(right, rows);
        }
        _ => {}
    }
}

/// Locks the rows behind each input row as it passes (see the module documentation).
pub struct LockRowsExec {
    input: Box<dyn Executor>,
    /// The scanned tables, left to right, and whether their rows are locked.
    tables: Vec<(Table, bool)>,
    width: usize,
    recheck: Node,
}

impl LockRowsExec {
    /// Locks rows of `tables` (those marked); input rows are `width` output columns, then
    /// each table's row and its key.
    pub fn new(
        input: Box<dyn Executor>,
        tables: Vec<(Table, bool)>,
        width: usize,
        recheck: Node,
    ) -> Self {
        LockRowsExec {
            input,
            tables,
            width,
            recheck,
        }
    }

    /// Locks the rows behind one input row: the row to return, `None` to skip it.
    fn lock(&mut self, mut row: Row, ctx: &mut Context) -> Result<Option<Row>> {
        let Some(locking) = ctx.row_locking.clone() else {
            row.truncate(self.width);
            return Ok(Some(row));
        };
        let mut carried = row.split_off(self.width.min(row.len()));
        let mut scanned = Vec::with_capacity(self.tables.len());
        let mut changed = false;
        for (table, lock) in &self.tables {
            let rest = carried.split_off((table.columns.len() + 1).min(carried.len()));
            let mut read = std::mem::replace(&mut carried, rest);
            let Some(Value::Bytea(key)) = read.pop() else {
                return Err(Error::internal("LockRows input without a row key"));
            };
            if !lock {
                scanned.push(read);
                continue;
            }
            match ctx
                .txn
                .lock_row(table, &key, locking.update, locking.policy)?
            {
                // Skipped (SKIP LOCKED) or deleted meanwhile.
                None | Some(None) => return Ok(None),
                Some(Some(newest)) => {
                    changed |= newest != read;
                    scanned.push(newest);
                }
            }
        }
        if !changed {
            return Ok(Some(row));
        }
        fill(&mut self.recheck, &mut scanned.into_iter());
        Ok(collect(&self.recheck, ctx)?.into_iter().next())
    }
}

impl Executor for LockRowsExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            ctx.lock_keys = true;
            let next = self.input.next(ctx);
            ctx.lock_keys = false;
            let Some(row) = next? else {
                return Ok(None);
            };
            if let Some(row) = self.lock(row, ctx)? {
                return Ok(Some(row));
            }
        }
    }
}
