//! The executor: plan nodes become pull iterators.
//!
//! Each [`Executor`] yields one row per call to `next`, pulling rows from its inputs as it
//! needs them, so a query over a large table streams unless an operator must hold its input
//! (a sort, a hash table, a grouping). Every call gets the [`Context`]: the transaction, the
//! session settings, the statement's parameters, the rows of enclosing queries (for
//! correlated subqueries) and the cancel flag, checked as rows flow.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::Instant;

use crate::error::{Error, Result, SqlState};
use crate::functions;
use crate::plan::{Aggregate, Expr, JoinKind, Node, RowLocking, SetCall, SetOpKind, SortKey};
use crate::settings::Variables;
use crate::storage::{Row, Rows, Transaction};
use crate::sysfuncs;
use crate::types::{self, DataType, Settings, Value};
use parking_lot::Mutex;

/// What every executor call needs.
pub struct Context<'a> {
    /// The transaction that reads and writes.
    pub txn: &'a mut dyn Transaction,
    /// Session settings (time zone, date style, ...).
    pub settings: &'a Settings,
    /// The statement's parameters.
    pub params: &'a [Value],
    /// Rows of enclosing queries, innermost last.
    pub outer: Vec<Row>,
    /// Set to stop the statement (cancel request or timeout).
    pub cancel: Arc<AtomicBool>,
    /// Results of uncorrelated subqueries, computed once per statement, by node address
    /// (`None`: the subquery is correlated and runs for every row).
    pub subqueries: HashMap<usize, Option<Vec<Row>>>,
    /// When `statement_timeout` runs out.
    pub deadline: Option<Instant>,
    /// `SELECT ... FOR UPDATE / FOR SHARE`: the rows scans read are locked.
    pub row_locking: Option<RowLocking>,
    /// The session's settings, for `current_setting` and `set_config`.
    pub vars: Option<Arc<Mutex<Variables>>>,
    /// Rows of shared WITH queries, computed once per statement, by [`Node::CteScan`] id.
    pub ctes: HashMap<usize, Arc<crate::spill::RowStore>>,
    /// The rows of the previous round of each running recursive union, by id.
    pub work_tables: HashMap<usize, Arc<crate::spill::RowStore>>,
    /// Set while a [`Node::LockRows`] reads its input: scans append each row's key instead
    /// of locking it (see [`crate::lock_rows`]).
    pub lock_keys: bool,
}

impl<'a> Context<'a> {
    /// A context for one statement.
    pub fn new(
        txn: &'a mut dyn Transaction,
        settings: &'a Settings,
        params: &'a [Value],
        cancel: Arc<AtomicBool>,
    ) -> Self {
        Context {
            txn,
            settings,
            params,
            outer: Vec::new(),
            cancel,
            subqueries: HashMap::new(),
            deadline: None,
            row_locking: None,
            vars: None,
            ctes: HashMap::new(),
            work_tables: HashMap::new(),
            lock_keys: false,
        }
    }
}

impl Context<'_> {
    /// An error if the statement was canceled.
    pub(crate) fn check_cancel(&self) -> Result<()> {
        if self.cancel.load(AtomicOrdering::Relaxed) {
            return Err(Error::new(
                SqlState::QUERY_CANCELED,
                "canceling statement due to user request",
            ));
        }
        if let Some(deadline) = self.deadline
            && Instant::now() >= deadline
        {
            return Err(Error::new(
                SqlState::QUERY_CANCELED,
                "canceling statement due to statement timeout",
            ));
        }
        Ok(())
    }
}

/// A running plan node.
pub trait Executor: Send {
    /// The next row, or `None` when done.
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>>;

    /// Told by a LIMIT above that at most `rows` rows will be read (a sort then keeps only
    /// that many: a top-N sort). Most executors ignore it.
    fn set_bound(&mut self, _rows: usize) {}
}

/// Builds the executor of `node` (counting what it does under EXPLAIN ANALYZE).
pub fn build(node: &Node) -> Box<dyn Executor> {
    crate::explain::instrument(node, build_node(node))
}

fn build_node(node: &Node) -> Box<dyn Executor> {
    match node {
        Node::Nothing => Box::new(Once { done: false }),
        Node::Scan { table, filter } => Box::new(Scan {
            table: table.clone(),
            filter: filter.clone(),
            rows: None,
        }),
        Node::IndexScan {
            table,
            lookup,
            filter,
        } => Box::new(crate::index_scan::IndexScanExec::new(
            table.clone(),
            lookup.clone(),
            filter.clone(),
        )),
        Node::IndexJoin {
            left,
            table,
            lookup,
            kind,
            filter,
            on,
        } => Box::new(crate::index_scan::IndexJoinExec::new(
            build(left),
            table.clone(),
            lookup.clone(),
            *kind,
            filter.clone(),
            on.clone(),
        )),
        Node::Values { rows } => Box::new(ValuesExec {
            rows: rows.clone(),
            next: 0,
        }),
        Node::Filter { input, predicate } => Box::new(FilterExec {
            input: build(input),
            predicate: predicate.clone(),
        }),
        Node::Project { input, exprs } => Box::new(ProjectExec {
            input: build(input),
            exprs: exprs.clone(),
        }),
        Node::NestedLoopJoin {
            left,
            right,
            kind,
            on,
        } => Box::new(crate::nested_loop::NestedLoopExec::new(
            build(left),
            build(right),
            width(left),
            width(right),
            *kind,
            on.clone(),
        )),
        Node::HashJoin {
            left,
            right,
            kind,
            left_keys,
            right_keys,
            residual,
        } => Box::new(JoinExec::new(
            left,
            right,
            *kind,
            left_keys.clone(),
            right_keys.clone(),
            residual.clone(),
        )),
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => Box::new(AggregateExec {
            input: build(input),
            group_by: group_by.clone(),
            aggregates: aggregates.clone(),
            output: None,
        }),
        Node::Sort { input, keys } => Box::new(SortExec {
            input: build(input),
            keys: keys.clone(),
            bound: None,
            output: None,
        }),
        Node::Limit {
            input,
            limit,
            offset,
        } => Box::new(LimitExec {
            input: build(input),
            limit_expr: limit.clone(),
            offset_expr: offset.clone(),
            limit: None,
            offset: 0,
            started: false,
        }),
        Node::Distinct { input } => Box::new(crate::set_ops::DistinctExec::new(build(input))),
        Node::FunctionScan {
            input,
            functions,
            ordinality,
            outer,
        } => Box::new(FunctionScanExec {
            input: build(input),
            functions: functions.clone(),
            ordinality: *ordinality,
            outer: outer.clone(),
            current: None,
            matched: false,
        }),
        Node::SetOp {
            op,
            all,
            left,
            right,
        } => match op {
            SetOpKind::Union if *all => {
                Box::new(crate::set_ops::ChainExec::new(build(left), build(right)))
            }
            SetOpKind::Union => Box::new(crate::set_ops::DistinctExec::new(Box::new(
                crate::set_ops::ChainExec::new(build(left), build(right)),
            ))),
            _ => Box::new(crate::set_ops::SetOpExec::new(
                *op,
                *all,
                build(left),
                build(right),
            )),
        },
        Node::Window { input, functions } => Box::new(crate::window::WindowExec::new(
            build(input),
            functions.clone(),
        )),
        Node::CteScan {
            id, input, shared, ..
        } => Box::new(crate::cte::CteScanExec::new(
            *id,
            (**input).clone(),
            *shared,
        )),
        Node::RecursiveUnion {
            id,
            base,
            recursive,
            distinct,
        } => Box::new(crate::cte::RecursiveUnionExec::new(
            *id,
            (**base).clone(),
            (**recursive).clone(),
            *distinct,
        )),
        Node::WorkTable { id, .. } => Box::new(crate::cte::WorkTableExec::new(*id)),
        Node::LockRows {
            input,
            tables,
            width,
            recheck,
        } => Box::new(crate::lock_rows::LockRowsExec::new(
            build(input),
            tables.clone(),
            *width,
            (**recheck).clone(),
        )),
    }
}

/// The number of columns `node` produces.
pub fn width(node: &Node) -> usize {
    match node {
        Node::Nothing => 0,
        Node::Scan { table, .. } | Node::IndexScan { table, .. } => table.columns.len(),
        Node::IndexJoin { left, table, .. } => width(left) + table.columns.len(),
        Node::Values { rows } => rows.first().map_or(0, Vec::len),
        Node::Filter { input, .. }
        | Node::Sort { input, .. }
        | Node::Limit { input, .. }
        | Node::Distinct { input } => width(input),
        Node::Project { exprs, .. } => exprs.len(),
        Node::NestedLoopJoin {
            left, right, kind, ..
        }
        | Node::HashJoin {
            left, right, kind, ..
        } => {
            if kind.left_only() {
                width(left)
            } else {
                width(left) + width(right)
            }
        }
        Node::Aggregate {
            group_by,
            aggregates,
            ..
        } => group_by.len() + aggregates.len(),
        Node::SetOp { left, .. } => width(left),
        Node::Window { input, functions } => width(input) + functions.len(),
        Node::CteScan { input, .. } => width(input),
        Node::RecursiveUnion { base, .. } => width(base),
        Node::WorkTable { width, .. } | Node::LockRows { width, .. } => *width,
        Node::FunctionScan {
            input,
            functions,
            ordinality,
            ..
        } => {
            width(input)
                + functions.iter().map(|c| c.columns).sum::<usize>()
                + usize::from(*ordinality)
        }
    }
}

/// Runs `node` to completion and collects its rows.
pub fn collect(node: &Node, ctx: &mut Context) -> Result<Vec<Row>> {
    let mut exec = build(node);
    let mut rows = Vec::new();
    while let Some(row) = exec.next(ctx)? {
        rows.push(row);
    }
    Ok(rows)
}

struct Once {
    done: bool,
}

impl Executor for Once {
    fn next(&mut self, _: &mut Context) -> Result<Option<Row>> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        Ok(Some(Vec::new()))
    }
}

struct Scan {
    table: crate::catalog::Table,
    filter: Option<Expr>,
    rows: Option<Rows>,
}

impl Executor for Scan {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.rows.is_none() {
            self.rows = Some(ctx.txn.scan(&self.table)?);
        }
        let rows = self.rows.as_mut().expect("opened above");
        loop {
            ctx.check_cancel()?;
            let Some(item) = rows.next() else {
                return Ok(None);
            };
            let (key, row) = item?;
            if let Some(f) = &self.filter
                && !is_true(&eval(f, &row, ctx)?)
            {
                continue;
            }
            match lock_scanned(&self.table, &key, row, self.filter.as_ref(), ctx)? {
                Some(row) => return Ok(Some(row)),
                None => continue,
            }
        }
    }
}

/// Under `FOR UPDATE / FOR SHARE`, locks a row a scan of `table` accepted and returns its
/// newest version if that still passes `filter` (`None`: skip the row). Otherwise returns
/// the row as it is.
pub(crate) fn lock_scanned(
    table: &crate::catalog::Table,
    key: &[u8],
    row: Row,
    filter: Option<&Expr>,
    ctx: &mut Context,
) -> Result<Option<Row>> {
    if ctx.lock_keys {
        let mut row = row;
        row.push(Value::Bytea(key.to_vec()));
        return Ok(Some(row));
    }
    let Some(locking) = &ctx.row_locking else {
        return Ok(Some(row));
    };
    if !locking.tables.is_empty() && !locking.tables.contains(&table.oid) {
        return Ok(Some(row));
    }
    let (update, policy) = (locking.update, locking.policy);
    let Some(Some(newest)) = ctx.txn.lock_row(table, key, update, policy)? else {
        return Ok(None);
    };
    if newest != row
        && let Some(f) = filter
        && !is_true(&eval(f, &newest, ctx)?)
    {
        return Ok(None);
    }
    Ok(Some(newest))
}

struct ValuesExec {
    rows: Vec<Vec<Expr>>,
    next: usize,
}

impl Executor for ValuesExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        let Some(exprs) = self.rows.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        exprs
            .iter()
            .map(|e| eval(e, &[], ctx))
            .collect::<Result<Row>>()
            .map(Some)
    }
}

struct FilterExec {
    input: Box<dyn Executor>,
    predicate: Expr,
}

impl Executor for FilterExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        while let Some(row) = self.input.next(ctx)? {
            if is_true(&eval(&self.predicate, &row, ctx)?) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

struct ProjectExec {
    input: Box<dyn Executor>,
    exprs: Vec<Expr>,
}

impl Executor for ProjectExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        let Some(row) = self.input.next(ctx)? else {
            return Ok(None);
        };
        self.exprs
            .iter()
            .map(|e| eval(e, &row, ctx))
            .collect::<Result<Row>>()
            .map(Some)
    }
}

fn nulls(n: usize) -> Row {
    vec![Value::Null; n]
}

fn concat(left: &Row, right: &Row) -> Row {
    let mut row = Vec::with_capacity(left.len() + right.len());
    row.extend_from_slice(left);
    row.extend_from_slice(right);
    row
}

/// A hashable, equality-comparable group of values (for hash joins, grouping, DISTINCT).
#[derive(Clone, Debug)]
pub(crate) struct HashKey(pub(crate) Vec<Value>);

impl PartialEq for HashKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.sort_cmp(b) == Ordering::Equal)
    }
}

impl Eq for HashKey {}

impl Hash for HashKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            v.hash_key(state);
        }
    }
}

/// A hash join: the right input is hashed on its keys and each left row visits only the
/// right rows with equal keys (without keys, every right row). The condition is checked on
/// each pair, and outer joins add the rows that found no partner, padded with NULLs. Plan
/// nodes without keys run as [`crate::nested_loop::NestedLoopExec`], whose inner side may
/// spill.
pub(crate) struct JoinExec {
    left: Box<dyn Executor>,
    right: Box<dyn Executor>,
    /// The right input, read once.
    right_rows: Option<Vec<Row>>,
    /// Right rows by key (hash joins only).
    table: HashMap<HashKey, Vec<usize>>,
    left_width: usize,
    right_width: usize,
    kind: JoinKind,
    left_keys: Vec<Expr>,
    right_keys: Vec<Expr>,
    condition: Option<Expr>,
    /// The left row being joined.
    current: Option<Row>,
    /// The right rows it may match (`None`: all of them).
    candidates: Option<Vec<usize>>,
    position: usize,
    matched: bool,
    right_matched: Vec<bool>,
    /// Some right row has a NULL key (for [`JoinKind::NullAwareAnti`]).
    right_null_key: bool,
    /// Unmatched right rows of a RIGHT or FULL join, emitted after the left side ends.
    tail: Option<std::vec::IntoIter<Row>>,
    /// How many times the rows were partitioned to get here (see [`crate::hash_join`]).
    depth: usize,
    /// The join's rows once it spilled to partitions.
    spilled: Option<Box<dyn Executor>>,
}

impl JoinExec {
    fn new(
        left: &Node,
        right: &Node,
        kind: JoinKind,
        left_keys: Vec<Expr>,
        right_keys: Vec<Expr>,
        condition: Option<Expr>,
    ) -> Self {
        let spec = crate::hash_join::JoinSpec {
            left_width: width(left),
            right_width: width(right),
            kind,
            left_keys,
            right_keys,
            condition,
            depth: 0,
        };
        JoinExec::over(build(left), build(right), spec)
    }

    /// The join of two running inputs.
    pub(crate) fn over(
        left: Box<dyn Executor>,
        right: Box<dyn Executor>,
        spec: crate::hash_join::JoinSpec,
    ) -> Self {
        JoinExec {
            left,
            right,
            right_rows: None,
            table: HashMap::new(),
            left_width: spec.left_width,
            right_width: spec.right_width,
            kind: spec.kind,
            left_keys: spec.left_keys,
            right_keys: spec.right_keys,
            condition: spec.condition,
            current: None,
            candidates: None,
            position: 0,
            matched: false,
            right_matched: Vec::new(),
            right_null_key: false,
            tail: None,
            depth: spec.depth,
            spilled: None,
        }
    }

    /// Reads the right input into memory; if it outgrows `work_mem` and has keys to
    /// partition by, stops and returns the rows read so far instead.
    fn load_right(&mut self, ctx: &mut Context) -> Result<Option<Vec<Row>>> {
        let mut rows = Vec::new();
        let limit = crate::spill::hash_mem(ctx);
        let mut used = 0;
        while let Some(row) = self.right.next(ctx)? {
            used += crate::spill::row_size(&row);
            // A nested loop (no keys) reads its right rows once per left row: it holds them
            // whatever their size.
            if used > limit
                && !self.right_keys.is_empty()
                && self.depth < crate::hash_join::MAX_DEPTH
            {
                rows.push(row);
                self.table.clear();
                return Ok(Some(rows));
            }
            if !self.right_keys.is_empty() {
                let key: Vec<Value> = self
                    .right_keys
                    .iter()
                    .map(|e| eval(e, &row, ctx))
                    .collect::<Result<_>>()?;
                // NULL keys never match, but the row may still come out of a RIGHT/FULL join.
                if !key.iter().any(Value::is_null) {
                    self.table.entry(HashKey(key)).or_default().push(rows.len());
                } else {
                    self.right_null_key = true;
                }
            }
            rows.push(row);
        }
        self.right_matched = vec![false; rows.len()];
        self.right_rows = Some(rows);
        Ok(None)
    }

    /// The join's parts, for joining partitions one level deeper.
    fn spec(&self) -> crate::hash_join::JoinSpec {
        crate::hash_join::JoinSpec {
            left_width: self.left_width,
            right_width: self.right_width,
            kind: self.kind,
            left_keys: self.left_keys.clone(),
            right_keys: self.right_keys.clone(),
            condition: self.condition.clone(),
            depth: self.depth,
        }
    }
}

impl Executor for JoinExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if let Some(spilled) = &mut self.spilled {
            return spilled.next(ctx);
        }
        if self.right_rows.is_none()
            && let Some(loaded) = self.load_right(ctx)?
        {
            let done = || Box::new(Once { done: true }) as Box<dyn Executor>;
            let left = std::mem::replace(&mut self.left, done());
            let right = std::mem::replace(&mut self.right, done());
            let spilled = crate::hash_join::partitioned(left, right, loaded, self.spec(), ctx)?;
            return self.spilled.insert(spilled).next(ctx);
        }
        loop {
            if let Some(tail) = &mut self.tail {
                return Ok(tail.next());
            }
            ctx.check_cancel()?;
            let right_rows = self.right_rows.as_ref().expect("loaded above");
            if self.current.is_none() {
                match self.left.next(ctx)? {
                    Some(row) => {
                        self.candidates = if self.left_keys.is_empty() {
                            None
                        } else {
                            let key: Vec<Value> = self
                                .left_keys
                                .iter()
                                .map(|e| eval(e, &row, ctx))
                                .collect::<Result<_>>()?;
                            if self.kind == JoinKind::NullAwareAnti
                                && !right_rows.is_empty()
                                && (self.right_null_key || key.iter().any(Value::is_null))
                            {
                                // NOT IN is NULL, never true, for this row.
                                continue;
                            }
                            Some(self.table.get(&HashKey(key)).cloned().unwrap_or_default())
                        };
                        self.current = Some(row);
                        self.position = 0;
                        self.matched = false;
                    }
                    None => {
                        let unmatched: Vec<Row> =
                            if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
                                right_rows
                                    .iter()
                                    .zip(&self.right_matched)
                                    .filter(|(_, m)| !**m)
                                    .map(|(r, _)| concat(&nulls(self.left_width), r))
                                    .collect()
                            } else {
                                Vec::new()
                            };
                        self.tail = Some(unmatched.into_iter());
                        continue;
                    }
                }
            }
            let left = self.current.as_ref().expect("set above");
            let count = self.candidates.as_ref().map_or(right_rows.len(), Vec::len);
            while self.position < count {
                let i = self
                    .candidates
                    .as_ref()
                    .map_or(self.position, |c| c[self.position]);
                self.position += 1;
                let row = concat(left, &right_rows[i]);
                let ok = match &self.condition {
                    Some(c) => is_true(&eval(c, &row, ctx)?),
                    None => true,
                };
                if ok {
                    self.matched = true;
                    if self.kind.left_only() {
                        // One match decides a semi or anti join.
                        break;
                    }
                    self.right_matched[i] = true;
                    return Ok(Some(row));
                }
            }
            let left = self.current.take().expect("set above");
            match self.kind {
                JoinKind::Left | JoinKind::Full if !self.matched => {
                    return Ok(Some(concat(&left, &nulls(self.right_width))));
                }
                JoinKind::Semi if self.matched => return Ok(Some(left)),
                JoinKind::Anti | JoinKind::NullAwareAnti if !self.matched => {
                    return Ok(Some(left));
                }
                _ => {}
            }
        }
    }
}

struct AggregateExec {
    input: Box<dyn Executor>,
    group_by: Vec<Expr>,
    aggregates: Vec<Aggregate>,
    output: Option<std::vec::IntoIter<Row>>,
}

impl Executor for AggregateExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.output.is_none() {
            let rows = crate::hash_aggregate::aggregate(
                self.input.as_mut(),
                &self.group_by,
                &self.aggregates,
                ctx,
            )?;
            self.output = Some(rows.into_iter());
        }
        Ok(self.output.as_mut().and_then(Iterator::next))
    }
}

/// Compares two rows by sort keys already evaluated into `a` and `b`.
pub(crate) fn compare_keys(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for (k, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let ord = match (matches!(x, Value::Null), matches!(y, Value::Null)) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.sort_cmp(y);
                if k.desc { o.reverse() } else { o }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A sort: in memory, spilling sorted runs to disk beyond `work_mem`, and keeping only the
/// first rows when a LIMIT above bounds it (see [`crate::spill`]).
struct SortExec {
    input: Box<dyn Executor>,
    keys: Vec<SortKey>,
    bound: Option<usize>,
    output: Option<Box<dyn Iterator<Item = Result<Row>> + Send>>,
}

impl Executor for SortExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.output.is_none() {
            let mut sort = crate::spill::ExternalSort::new(ctx, &self.keys, self.bound);
            while let Some(row) = self.input.next(ctx)? {
                let key = self
                    .keys
                    .iter()
                    .map(|k| eval(&k.expr, &row, ctx))
                    .collect::<Result<_>>()?;
                sort.push(key, row)?;
            }
            ctx.check_cancel()?;
            self.output = Some(sort.finish()?);
        }
        self.output.as_mut().and_then(Iterator::next).transpose()
    }

    fn set_bound(&mut self, rows: usize) {
        self.bound = Some(rows);
    }
}

struct LimitExec {
    input: Box<dyn Executor>,
    limit_expr: Option<Expr>,
    offset_expr: Option<Expr>,
    limit: Option<u64>,
    offset: u64,
    started: bool,
}

fn count_value(expr: &Expr, ctx: &mut Context, what: &str) -> Result<Option<u64>> {
    match eval(expr, &[], ctx)? {
        Value::Null => Ok(None),
        v => {
            let n = match v.cast(&DataType::Int8, ctx.settings)? {
                Value::Int8(n) => n,
                _ => return Err(Error::internal("cast to bigint gave another type")),
            };
            if n < 0 {
                let code = if what == "LIMIT" { "2201W" } else { "2201X" };
                return Err(Error::new(
                    SqlState(code),
                    format!("{what} must not be negative"),
                ));
            }
            Ok(Some(n as u64))
        }
    }
}

impl Executor for LimitExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if !self.started {
            self.started = true;
            if let Some(e) = &self.limit_expr {
                self.limit = count_value(e, ctx, "LIMIT")?;
            }
            if let Some(e) = &self.offset_expr {
                self.offset = count_value(e, ctx, "OFFSET")?.unwrap_or(0);
            }
            if let Some(limit) = self.limit {
                let rows = limit.saturating_add(self.offset);
                self.input
                    .set_bound(usize::try_from(rows).unwrap_or(usize::MAX));
            }
        }
        while self.offset > 0 {
            if self.input.next(ctx)?.is_none() {
                return Ok(None);
            }
            self.offset -= 1;
        }
        match &mut self.limit {
            Some(0) => Ok(None),
            Some(n) => {
                *n -= 1;
                self.input.next(ctx)
            }
            None => self.input.next(ctx),
        }
    }
}

/// Set-returning functions over each input row (see [`Node::FunctionScan`]).
struct FunctionScanExec {
    input: Box<dyn Executor>,
    functions: Vec<SetCall>,
    ordinality: bool,
    outer: Option<Expr>,
    /// Some row of the function came out for the current input row (LEFT JOIN).
    matched: bool,
    /// The input row being expanded, each function's remaining rows (`None` once it ran
    /// out) and the count of rows produced for it.
    current: Option<(Row, Vec<Option<functions::srf::RowIter>>, i64)>,
}

impl Executor for FunctionScanExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            ctx.check_cancel()?;
            if let Some((row, iters, n)) = &mut self.current {
                let mut out = row.clone();
                let mut any = false;
                for (call, iter) in self.functions.iter().zip(iters.iter_mut()) {
                    match iter.as_mut().map(Iterator::next) {
                        Some(Some(r)) => {
                            any = true;
                            out.extend(r?);
                        }
                        Some(None) | None => {
                            *iter = None;
                            out.extend(std::iter::repeat_n(Value::Null, call.columns));
                        }
                    }
                }
                if any {
                    *n += 1;
                    if self.ordinality {
                        out.push(Value::Int8(*n));
                    }
                    match &self.outer {
                        Some(on) if !is_true(&eval(on, &out, ctx)?) => continue,
                        _ => {
                            self.matched = true;
                            return Ok(Some(out));
                        }
                    }
                }
                let row = row.clone();
                self.current = None;
                if self.outer.is_some() && !self.matched {
                    // LEFT JOIN: the input row once, with NULLs for the function.
                    let width = self.functions.iter().map(|c| c.columns).sum::<usize>()
                        + usize::from(self.ordinality);
                    let mut out = row;
                    out.extend(std::iter::repeat_n(Value::Null, width));
                    return Ok(Some(out));
                }
            }
            let Some(row) = self.input.next(ctx)? else {
                return Ok(None);
            };
            let mut iters = Vec::with_capacity(self.functions.len());
            for call in &self.functions {
                let values: Vec<Value> = call
                    .args
                    .iter()
                    .map(|a| eval(a, &row, ctx))
                    .collect::<Result<_>>()?;
                let rows = match crate::system::scan(&call.name, ctx)? {
                    Some(rows) => rows,
                    None => functions::srf::rows(&call.name, &values)?,
                };
                iters.push(Some(rows));
            }
            self.current = Some((row, iters, 0));
            self.matched = false;
        }
    }
}

/// True if a predicate's value lets a row through (NULL does not).
pub fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

/// Evaluates `expr` over `row`.
pub fn eval(expr: &Expr, row: &[Value], ctx: &mut Context) -> Result<Value> {
    Ok(match expr {
        Expr::Literal(v) => v.clone(),
        Expr::Column(i) => row
            .get(*i)
            .cloned()
            .ok_or_else(|| Error::internal(format!("column #{i} out of range")))?,
        Expr::Outer { depth, index } => {
            let outer = ctx
                .outer
                .len()
                .checked_sub(*depth)
                .and_then(|d| ctx.outer.get(d))
                .ok_or_else(|| Error::internal("outer reference without an outer row"))?;
            outer
                .get(*index)
                .cloned()
                .ok_or_else(|| Error::internal("outer column out of range"))?
        }
        Expr::Param(i) => ctx.params.get(*i).cloned().ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_PARAMETER,
                format!("there is no parameter ${}", i + 1),
            )
        })?,
        Expr::Unary(op, e) => types::unary_op(*op, &eval(e, row, ctx)?)?,
        Expr::Binary(op, l, r) => types::binary_op(*op, &eval(l, row, ctx)?, &eval(r, row, ctx)?)?,
        Expr::And(l, r) => {
            let a = eval(l, row, ctx)?;
            if matches!(a, Value::Bool(false)) {
                return Ok(a);
            }
            match (a, eval(r, row, ctx)?) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Null,
            }
        }
        Expr::Or(l, r) => {
            let a = eval(l, row, ctx)?;
            if matches!(a, Value::Bool(true)) {
                return Ok(a);
            }
            match (a, eval(r, row, ctx)?) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Null,
            }
        }
        Expr::Not(e) => match eval(e, row, ctx)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        Expr::IsNull(e) => Value::Bool(matches!(eval(e, row, ctx)?, Value::Null)),
        Expr::IsDistinctFrom(l, r, negated) => {
            let (a, b) = (eval(l, row, ctx)?, eval(r, row, ctx)?);
            let distinct = match (&a, &b) {
                (Value::Null, Value::Null) => false,
                (Value::Null, _) | (_, Value::Null) => true,
                _ => a.compare(&b)? != Some(Ordering::Equal),
            };
            Value::Bool(distinct != *negated)
        }
        Expr::IsBool(e, truth, negated) => {
            let v = eval(e, row, ctx)?;
            Value::Bool(matches!(v, Value::Bool(b) if b == *truth) != *negated)
        }
        Expr::Cast(e, ty) => eval(e, row, ctx)?.cast(ty, ctx.settings)?,
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => {
            let subject = match operand {
                Some(o) => Some(eval(o, row, ctx)?),
                None => None,
            };
            for (when, then) in branches {
                let w = eval(when, row, ctx)?;
                let hit = match &subject {
                    Some(s) => {
                        !matches!(s, Value::Null)
                            && !matches!(w, Value::Null)
                            && s.compare(&w)? == Some(Ordering::Equal)
                    }
                    None => is_true(&w),
                };
                if hit {
                    return eval(then, row, ctx);
                }
            }
            match otherwise {
                Some(e) => eval(e, row, ctx)?,
                None => Value::Null,
            }
        }
        Expr::Function(name, args) => {
            // COALESCE and friends evaluate lazily; everything else takes evaluated arguments.
            if name == "coalesce" {
                for a in args {
                    let v = eval(a, row, ctx)?;
                    if !matches!(v, Value::Null) {
                        return Ok(v);
                    }
                }
                return Ok(Value::Null);
            }
            let values: Vec<Value> = args
                .iter()
                .map(|a| eval(a, row, ctx))
                .collect::<Result<_>>()?;
            if let Some(v) = sysfuncs::call(name, &values, ctx)? {
                return Ok(v);
            }
            functions::call(name, &values, ctx.settings)?
        }
        Expr::InList(e, list, negated) => {
            let v = eval(e, row, ctx)?;
            let values: Vec<Value> = list
                .iter()
                .map(|a| eval(a, row, ctx))
                .collect::<Result<_>>()?;
            in_values(&v, &values, *negated)?
        }
        Expr::Like(e, p, negated, ci) => {
            let (v, p) = (eval(e, row, ctx)?, eval(p, row, ctx)?);
            match (v, p) {
                (Value::Text(s), Value::Text(p)) => {
                    Value::Bool(functions::like(&s, &p, *ci)? != *negated)
                }
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                _ => {
                    return Err(Error::new(
                        SqlState::UNDEFINED_FUNCTION,
                        "operator does not exist for LIKE",
                    ));
                }
            }
        }
        Expr::Subquery(node) => {
            let rows = run_subquery(node, row, ctx, 2)?;
            match rows.len() {
                0 => Value::Null,
                1 => rows
                    .into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Value::Null),
                _ => {
                    return Err(Error::new(
                        SqlState::CARDINALITY_VIOLATION,
                        "more than one row returned by a subquery used as an expression",
                    ));
                }
            }
        }
        Expr::Exists(node, negated) => {
            Value::Bool(run_subquery(node, row, ctx, 1)?.is_empty() == *negated)
        }
        Expr::InSubquery(e, node, negated) => {
            let v = eval(e, row, ctx)?;
            let values: Vec<Value> = run_subquery(node, row, ctx, usize::MAX)?
                .into_iter()
                .filter_map(|r| r.into_iter().next())
                .collect();
            in_values(&v, &values, *negated)?
        }
    })
}

/// `v IN values` with SQL's NULL rules: true if any equals, else NULL if `v` or any value is
/// NULL, else false; then negated for NOT IN.
fn in_values(v: &Value, values: &[Value], negated: bool) -> Result<Value> {
    if matches!(v, Value::Null) {
        return Ok(if values.is_empty() {
            Value::Bool(negated)
        } else {
            Value::Null
        });
    }
    let mut saw_null = false;
    for x in values {
        if matches!(x, Value::Null) {
            saw_null = true;
        } else if v.compare(x)? == Some(Ordering::Equal) {
            return Ok(Value::Bool(!negated));
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(negated)
    })
}

/// True if `node`, a subquery `level` levels deep, reads a row of a query outside it.
pub(crate) fn correlated(node: &Node, level: usize) -> bool {
    let mut found = false;
    crate::plan::visit_exprs(node, &mut |e| found |= refers_outside(e, level));
    found
}

fn refers_outside(e: &Expr, level: usize) -> bool {
    let mut found = false;
    e.visit(&mut |x| match x {
        Expr::Outer { depth, .. } if *depth >= level => found = true,
        Expr::Subquery(n) | Expr::Exists(n, _) | Expr::InSubquery(_, n, _) => {
            found |= correlated(n, level + 1)
        }
        _ => {}
    });
    found
}

/// Runs a subquery with `row` as its nearest outer row, reading at most `max` rows. An
/// uncorrelated subquery runs once per statement; later calls reuse its rows.
fn run_subquery(node: &Node, row: &[Value], ctx: &mut Context, max: usize) -> Result<Vec<Row>> {
    let key = node as *const Node as usize;
    let cached = match ctx.subqueries.get(&key) {
        Some(entry) => entry.is_some(),
        None => {
            let uncorrelated = !correlated(node, 1);
            ctx.subqueries.insert(key, None);
            if uncorrelated {
                let rows = run_subquery_rows(node, row, ctx, usize::MAX)?;
                ctx.subqueries.insert(key, Some(rows));
            }
            uncorrelated
        }
    };
    if cached && let Some(Some(rows)) = ctx.subqueries.get(&key) {
        return Ok(rows.iter().take(max).cloned().collect());
    }
    run_subquery_rows(node, row, ctx, max)
}

fn run_subquery_rows(
    node: &Node,
    row: &[Value],
    ctx: &mut Context,
    max: usize,
) -> Result<Vec<Row>> {
    ctx.outer.push(row.to_vec());
    let result = (|| {
        let mut exec = build(node);
        let mut rows = Vec::new();
        while rows.len() < max {
            match exec.next(ctx)? {
                Some(r) => rows.push(r),
                None => break,
            }
        }
        Ok(rows)
    })();
    ctx.outer.pop();
    result
}
