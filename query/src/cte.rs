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
//!
//! A shared WITH query's rows and each round's rows are kept in a [`RowStore`], which moves
//! them to a temporary file once they outgrow `work_mem`.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::exec::{Context, Executor, HashKey, build};
use crate::plan::Node;
use crate::spill::{RowStore, StoreReader};
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
    Cached(StoreReader),
    /// Computing them: the running plan and the rows so far (kept to share at the end).
    Running(Box<dyn Executor>, Option<RowStore>),
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
                        Some(rows) if self.shared => CteState::Cached(rows.reader()),
                        _ => CteState::Running(
                            build(&self.input),
                            self.shared.then(|| RowStore::new(ctx)),
                        ),
                    };
                }
                CteState::Cached(reader) => {
                    ctx.check_cancel()?;
                    return reader.read();
                }
                CteState::Running(exec, rows) => match exec.next(ctx)? {
                    Some(row) => {
                        if let Some(rows) = rows {
                            rows.push(row.clone())?;
                        }
                        return Ok(Some(row));
                    }
                    None => {
                        if let Some(rows) = rows.take() {
                            ctx.ctes.insert(self.id, Arc::new(rows));
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
    /// The rows UNION has seen (held in memory whatever their size, as in PostgreSQL).
    seen: HashSet<HashKey>,
    /// This round's rows, which the next round reads (`None` until the base term starts).
    work: Option<RowStore>,
    /// The previous round's rows, being returned.
    pending: Option<StoreReader>,
    /// The previous round's rows, which the next round reads.
    previous: Option<Arc<RowStore>>,
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
            work: None,
            pending: None,
            previous: None,
        }
    }

    /// Keeps `row` (for the output and the next round) unless UNION has seen it.
    fn admit(&mut self, row: &Row, ctx: &Context) -> Result<bool> {
        let fresh = !self.distinct || self.seen.insert(HashKey(row.clone()));
        if fresh {
            self.work
                .get_or_insert_with(|| RowStore::new(ctx))
                .push(row.clone())?;
        }
        Ok(fresh)
    }

    /// Runs one round over the previous round's rows, into `work`.
    fn round(&mut self, previous: Arc<RowStore>, ctx: &mut Context) -> Result<()> {
        ctx.work_tables.insert(self.id, previous);
        let mut exec = build(&self.recursive);
        let result = (|| {
            while let Some(row) = exec.next(ctx)? {
                self.admit(&row, ctx)?;
            }
            Ok(())
        })();
        ctx.work_tables.remove(&self.id);
        result
    }
}

impl Executor for RecursiveUnionExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        while let Some(base) = &mut self.base {
            match base.next(ctx)? {
                Some(row) => {
                    if self.admit(&row, ctx)? {
                        return Ok(Some(row));
                    }
                }
                None => {
                    self.base = None;
                    self.previous = self.work.take().map(Arc::new);
                }
            }
        }
        loop {
            if let Some(pending) = &mut self.pending {
                if let Some(row) = pending.read()? {
                    return Ok(Some(row));
                }
                self.pending = None;
            }
            let Some(previous) = self.previous.take() else {
                return Ok(None);
            };
            if previous.is_empty() {
                return Ok(None);
            }
            ctx.check_cancel()?;
            self.round(previous, ctx)?;
            let Some(rows) = self.work.take() else {
                return Ok(None);
            };
            let rows = Arc::new(rows);
            self.pending = Some(rows.reader());
            self.previous = Some(rows);
        }
    }
}

/// Reads the previous round's rows of a running recursive union.
pub struct WorkTableExec {
    id: usize,
    rows: Option<StoreReader>,
}

impl WorkTableExec {
    /// Reads the work table of recursion `id`.
    pub fn new(id: usize) -> Self {
        WorkTableExec { id, rows: None }
    }
}

impl Executor for WorkTableExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.rows.is_none() {
            let rows = ctx
                .work_tables
                .get(&self.id)
                .ok_or_else(|| Error::internal("work table read outside its recursion"))?
                .reader();
            self.rows = Some(rows);
        }
        ctx.check_cancel()?;
        match &mut self.rows {
            Some(rows) => rows.read(),
            None => Ok(None),
        }
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
