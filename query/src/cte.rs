//! Executors of WITH queries.
//!
//! A WITH query referenced in FROM is a [`Node::CteScan`] over
//! the query's plan. A shared one (one that reads no row of an enclosing query) is computed
//! once per statement: the first reference to run it to the end leaves its rows in the
//! context, and later references read them, as PostgreSQL's materialized CTEs. Rows stream as
//! they are produced, so `WITH RECURSIVE ... SELECT ... LIMIT n` over an endless recursion
//! stops once it has its rows.
//!
//! WITH RECURSIVE runs the working-table algorithm: the non-recursive term's rows are the
//! first round; each further round runs the recursive term with
//! [`Node::WorkTable`] reading the previous round's rows, until
//! a round produces nothing. With UNION (not ALL) a row seen before is dropped, in the first
//! round too, so a recursion through a cycle ends.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::exec::{Context, Executor, HashKey, build, collect};
use crate::plan::Node;
use crate::storage::Row;

/// Reads a WITH query's rows, computing them at most once per statement when shared.
pub struct CteScanExec {
    id: usize,
    input: Node,
    shared: bool,
    state: CteState,
}

enum CteState {
    Start,
    /// Reading rows another reference computed.
    Cached(Arc<Vec<Row>>, usize),
    /// Computing them: the running plan and the rows so far (kept to share at the end).
    Running(Box<dyn Executor>, Vec<Row>),
    Done,
}

impl CteScanExec {
    /// Reads the rows of WITH query `id` planned as `input`.
    pub fn new(id: usize, input: Node, shared: bool) -> Self {
        CteScanExec {
            id,
            input,
            shared,
            state: CteState::Start,
        }
    }
}

impl Executor for CteScanExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            match &mut self.state {
                CteState::Start => {
                    self.state = match ctx.ctes.get(&self.id) {
                        Some(rows) if self.shared => CteState::Cached(rows.clone(), 0),
                        _ => CteState::Running(build(&self.input), Vec::new()),
                    };
                }
                CteState::Cached(rows, position) => {
                    let row = rows.get(*position).cloned();
                    *position += 1;
                    return Ok(row);
                }
                CteState::Running(exec, rows) => match exec.next(ctx)? {
                    Some(row) => {
                        if self.shared {
                            rows.push(row.clone());
                        }
                        return Ok(Some(row));
                    }
                    None => {
                        if self.shared {
                            ctx.ctes.insert(self.id, Arc::new(std::mem::take(rows)));
                        }
                        self.state = CteState::Done;
                    }
                },
                CteState::Done => return Ok(None),
            }
        }
    }
}

/// WITH RECURSIVE's working-table loop.
pub struct RecursiveUnionExec {
    id: usize,
    base: Option<Box<dyn Executor>>,
    recursive: Node,
    distinct: bool,
    seen: HashSet<HashKey>,
    /// This round's rows, which the next round reads.
    work: Vec<Row>,
    /// Rows of the round being returned.
    pending: std::vec::IntoIter<Row>,
}

impl RecursiveUnionExec {
    /// The recursion `id`: `base` first, then `recursive` until it adds nothing.
    pub fn new(id: usize, base: Node, recursive: Node, distinct: bool) -> Self {
        RecursiveUnionExec {
            id,
            base: Some(build(&base)),
            recursive,
            distinct,
            seen: HashSet::new(),
            work: Vec::new(),
            pending: Vec::new().into_iter(),
        }
    }

    /// Keeps `row` (for the output and the next round) unless UNION has seen it.
    fn admit(&mut self, row: &Row) -> bool {
        let fresh = !self.distinct || self.seen.insert(HashKey(row.clone()));
        if fresh {
            self.work.push(row.clone());
        }
        fresh
    }
}

impl Executor for RecursiveUnionExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        while let Some(base) = &mut self.base {
            match base.next(ctx)? {
                Some(row) => {
                    if self.admit(&row) {
                        return Ok(Some(row));
                    }
                }
                None => self.base = None,
            }
        }
        loop {
            if let Some(row) = self.pending.next() {
                return Ok(Some(row));
            }
            if self.work.is_empty() {
                return Ok(None);
            }
            ctx.check_cancel()?;
            let previous = Arc::new(std::mem::take(&mut self.work));
            ctx.work_tables.insert(self.id, previous);
            let produced = collect(&self.recursive, ctx);
            ctx.work_tables.remove(&self.id);
            let mut round = Vec::new();
            for row in produced? {
                if self.admit(&row) {
                    round.push(row);
                }
            }
            self.pending = round.into_iter();
        }
    }
}

/// Reads the previous round's rows of a running recursive union.
pub struct WorkTableExec {
    id: usize,
    rows: Option<Arc<Vec<Row>>>,
    position: usize,
}

impl WorkTableExec {
    /// Reads the work table of recursion `id`.
    pub fn new(id: usize) -> Self {
        WorkTableExec {
            id,
            rows: None,
            position: 0,
        }
    }
}

impl Executor for WorkTableExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.rows.is_none() {
            let rows = ctx
                .work_tables
                .get(&self.id)
                .cloned()
                .ok_or_else(|| Error::internal("work table read outside its recursion"))?;
            self.rows = Some(rows);
        }
        let row = self
            .rows
            .as_ref()
            .and_then(|r| r.get(self.position).cloned());
        self.position += 1;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::plan::Expr;
    use crate::session::Database;
    use crate::types::{Settings, Value};

    fn values(v: &[i32]) -> Node {
        Node::Values {
            rows: v
                .iter()
                .map(|x| vec![Expr::Literal(Value::Int4(*x))])
                .collect(),
        }
    }

    fn drain(exec: &mut dyn Executor, ctx: &mut Context) -> Vec<Row> {
        let mut rows = Vec::new();
        while let Some(r) = exec.next(ctx).unwrap() {
            rows.push(r);
        }
        rows
    }

    #[test]
    fn a_shared_with_query_is_computed_once() {
        let db = Database::memory().unwrap();
        let mut txn = db.begin().unwrap();
        let settings = Settings::default();
        let mut ctx = Context::new(
            txn.as_mut(),
            &settings,
            &[],
            Arc::new(AtomicBool::new(false)),
        );
        // Two references to WITH query 7: the second reads the first's rows, not its own plan.
        let mut first = CteScanExec::new(7, values(&[1, 2]), true);
        let mut second = CteScanExec::new(7, values(&[9]), true);
        let one = vec![Value::Int4(1)];
        assert_eq!(
            drain(&mut first, &mut ctx),
            vec![one.clone(), vec![Value::Int4(2)]]
        );
        assert_eq!(
            drain(&mut second, &mut ctx),
            vec![one, vec![Value::Int4(2)]]
        );
        // One that is not shared runs its own plan.
        let mut own = CteScanExec::new(7, values(&[9]), false);
        assert_eq!(drain(&mut own, &mut ctx), vec![vec![Value::Int4(9)]]);
    }

    #[test]
    fn union_drops_rows_seen_in_earlier_rounds() {
        let db = Database::memory().unwrap();
        let mut txn = db.begin().unwrap();
        let settings = Settings::default();
        let mut ctx = Context::new(
            txn.as_mut(),
            &settings,
            &[],
            Arc::new(AtomicBool::new(false)),
        );
        // base: 1, 1; recursive: (n % 3) + 1 over the work table: 2, 3, 1 (seen) => ends.
        let step = Node::Project {
            input: Box::new(Node::WorkTable { id: 1, width: 1 }),
            exprs: vec![Expr::Binary(
                crate::types::BinaryOp::Plus,
                Box::new(Expr::Binary(
                    crate::types::BinaryOp::Modulo,
                    Box::new(Expr::Column(0)),
                    Box::new(Expr::Literal(Value::Int4(3))),
                )),
                Box::new(Expr::Literal(Value::Int4(1))),
            )],
        };
        let mut exec = RecursiveUnionExec::new(1, values(&[1, 1]), step, true);
        let rows: Vec<Row> = drain(&mut exec, &mut ctx);
        assert_eq!(
            rows,
            vec![
                vec![Value::Int4(1)],
                vec![Value::Int4(2)],
                vec![Value::Int4(3)]
            ]
        );
    }
}
