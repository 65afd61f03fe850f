//! Execution of INSERT, UPDATE and DELETE: RETURNING, ON CONFLICT, UPDATE ... FROM,
//! DELETE ... USING, and the foreign keys every write must respect.
//!
//! A data-modifying statement runs in two phases, as in PostgreSQL:
//!
//! 1. **The statement's own writes.** The rows to change are read first, and their new
//!    values converted and checked (types, NOT NULL, CHECK) and their RETURNING rows
//!    computed before the first write, so that the statement's subqueries see the tables as
//!    it found them, as in PostgreSQL. Then each row is written through a [`Writer`]: the
//!    storage layer enforces unique constraints at once, and the writer remembers the write
//!    as an *event* when the table takes part in a foreign key. (ON CONFLICT goes row by
//!    row instead, since a proposed row may conflict with one the statement inserted.)
//! 2. **The foreign keys, at the end of the statement.** PostgreSQL runs its referential
//!    actions as AFTER triggers, so a statement may insert a child before its parent, or move
//!    a key that is still referenced to a row that takes it over, without an error. The
//!    writer works through its queue of events (see [`crate::foreign_key`]): a written child
//!    must find its parent; a deleted or re-keyed parent cascades, sets NULL or defaults, or
//!    fails. Cascaded writes queue events of their own, handled in the same loop, so chains
//!    of cascades and self-references need nothing special.
//!
//! **UPDATE ... FROM and DELETE ... USING** read the other tables once; a target row is
//! paired with the first row of them that satisfies the WHERE clause, and changed once even
//! if several rows join it (PostgreSQL picks one too, unspecified which).
//!
//! **ON CONFLICT** looks each proposed row up in its arbiters (the primary key or unique
//! indexes named by the conflict target, or all of them for `DO NOTHING` without one) before
//! inserting it. `DO UPDATE` expressions see the existing row as the target table followed
//! by the proposed row as `EXCLUDED`; a row this statement already inserted or updated is
//! error 21000, as in PostgreSQL.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::catalog::{Oid, Table};
use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context};
use crate::foreign_key;
use crate::plan::{Expr, Node};
use crate::planner::{Plan, Planner};
use crate::session::StatementResult;
use crate::storage::{self, Row, RowKey};
use crate::types::{DataType, Value};

/// RETURNING: expressions over the written row (for UPDATE ... FROM and DELETE ... USING,
/// followed by the row of the other tables it joined).
#[derive(Clone, Debug)]
pub struct Returning {
    /// One expression per output column.
    pub exprs: Vec<Expr>,
    /// Output column names and types.
    pub columns: Vec<(String, DataType)>,
}

/// INSERT's ON CONFLICT clause.
#[derive(Clone, Debug)]
pub struct OnConflict {
    /// The arbiters: column positions of the primary key or of unique indexes, each in its
    /// own order. A proposed row conflicts when one of them finds an existing row.
    pub arbiters: Vec<Vec<usize>>,
    /// DO UPDATE; `None` for DO NOTHING.
    pub update: Option<ConflictUpdate>,
}

/// `DO UPDATE SET ... [WHERE ...]`: expressions over the existing row followed by the
/// proposed row (`EXCLUDED`).
#[derive(Clone, Debug)]
pub struct ConflictUpdate {
    /// New values by column position.
    pub assignments: Vec<(usize, Expr)>,
    /// Rows not satisfying it are left alone.
    pub filter: Option<Expr>,
}

/// Executes an INSERT, UPDATE or DELETE plan.
pub fn execute(plan: Plan, ctx: &mut Context) -> Result<StatementResult> {
    let mut writer = Writer::default();
    let (verb, count, returning) = match plan {
        Plan::Insert {
            table,
            source,
            checks,
            on_conflict,
            returning,
        } => {
            let mut out = Output::new(returning);
            let n = insert(
                &mut writer,
                &table,
                &source,
                &checks,
                on_conflict.as_ref(),
                &mut out,
                ctx,
            )?;
            ("INSERT 0", n, out)
        }
        Plan::Update {
            table,
            filter,
            assignments,
            checks,
            from,
            returning,
        } => {
            let mut out = Output::new(returning);
            let targets = matching_rows(&table, filter.as_ref(), from.as_ref(), ctx)?;
            let n = targets.len();
            // Every new row (and RETURNING row) is computed before the first write, so that
            // subqueries see the table as the statement found it.
            let mut writes = Vec::with_capacity(n);
            for (key, old, joined) in targets {
                let mut input = old.clone();
                input.extend(joined.iter().cloned());
                let mut new = old.clone();
                for (i, e) in &assignments {
                    new[*i] = exec::eval(e, &input, ctx)?;
                }
                check_row(&table, &mut new, &checks, ctx)?;
                out.push(new.clone(), &joined, ctx)?;
                writes.push((key, old, new));
            }
            for (key, old, new) in writes {
                writer.update(ctx, &table, &key, &old, new)?;
            }
            ("UPDATE", n, out)
        }
        Plan::Delete {
            table,
            filter,
            using,
            returning,
        } => {
            let mut out = Output::new(returning);
            let targets = matching_rows(&table, filter.as_ref(), using.as_ref(), ctx)?;
            let n = targets.len();
            for (_, old, joined) in &targets {
                out.push(old.clone(), joined, ctx)?;
            }
            for (key, old, _) in targets {
                writer.delete(ctx, &table, &key, &old)?;
            }
            ("DELETE", n, out)
        }
        other => return Err(Error::internal(format!("not a DML plan: {other:?}"))),
    };
    writer.finish(ctx)?;
    Ok(StatementResult {
        tag: format!("{verb} {count}"),
        columns: returning.columns,
        rows: returning.rows,
    })
}

/// The rows RETURNING produces.
struct Output {
    returning: Option<Returning>,
    columns: Vec<(String, DataType)>,
    rows: Vec<Row>,
}

impl Output {
    fn new(returning: Option<Returning>) -> Self {
        let columns = returning
            .as_ref()
            .map(|r| r.columns.clone())
            .unwrap_or_default();
        Output {
            returning,
            columns,
            rows: Vec::new(),
        }
    }

    /// Adds the RETURNING row for the written `row` (joined with `extra`).
    fn push(&mut self, mut row: Row, extra: &[Value], ctx: &mut Context) -> Result<()> {
        if let Some(r) = &self.returning {
            row.extend(extra.iter().cloned());
            let out = r
                .exprs
                .iter()
                .map(|e| exec::eval(e, &row, ctx))
                .collect::<Result<Row>>()?;
            self.rows.push(out);
        }
        Ok(())
    }
}

/// Inserts the source's rows; returns how many were inserted or updated.
fn insert(
    writer: &mut Writer,
    table: &Table,
    source: &Node,
    checks: &[(String, Expr)],
    on_conflict: Option<&OnConflict>,
    out: &mut Output,
    ctx: &mut Context,
) -> Result<usize> {
    let mut rows = exec::collect(source, ctx)?;
    let Some(on_conflict) = on_conflict else {
        // Rows (and RETURNING rows) are computed before the first write, so that subqueries
        // see the table as the statement found it.
        for row in &mut rows {
            check_row(table, row, checks, ctx)?;
            out.push(row.clone(), &[], ctx)?;
        }
        let n = rows.len();
        for row in rows {
            writer.insert(ctx, table, row)?;
        }
        return Ok(n);
    };
    // ON CONFLICT goes row by row: a proposed row may conflict with one inserted before it.
    let mut count = 0;
    // Rows this statement inserted or updated, for ON CONFLICT DO UPDATE's 21000.
    let mut touched: HashSet<RowKey> = HashSet::new();
    for mut row in rows {
        check_row(table, &mut row, checks, ctx)?;
        if let Some((key, existing)) = conflict(table, &on_conflict.arbiters, &row, ctx)? {
            let Some(update) = &on_conflict.update else {
                continue;
            };
            if touched.contains(&key) {
                return Err(Error::new(
                    SqlState::CARDINALITY_VIOLATION,
                    "ON CONFLICT DO UPDATE command cannot affect row a second time",
                )
                .with_hint(
                    "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
                ));
            }
            let Some(mut new) = conflict_update(update, &existing, &row, ctx)? else {
                continue;
            };
            check_row(table, &mut new, checks, ctx)?;
            let key = writer.update(ctx, table, &key, &existing, new.clone())?;
            touched.insert(key);
            out.push(new, &[], ctx)?;
            count += 1;
            continue;
        }
        let key = writer.insert(ctx, table, row.clone())?;
        touched.insert(key);
        out.push(row, &[], ctx)?;
        count += 1;
    }
    Ok(count)
}

/// The existing row a proposed row conflicts with, if any.
fn conflict(
    table: &Table,
    arbiters: &[Vec<usize>],
    row: &Row,
    ctx: &mut Context,
) -> Result<Option<(RowKey, Row)>> {
    for columns in arbiters {
        let values: Vec<Value> = columns.iter().map(|&c| row[c].clone()).collect();
        // NULLs never conflict.
        if values.iter().any(Value::is_null) {
            continue;
        }
        if let Some(found) = rows_where(table, columns, &values, ctx)?.into_iter().next() {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The new row of `DO UPDATE` for `existing` and the proposed row, or `None` when its
/// WHERE clause rejects the row.
fn conflict_update(
    update: &ConflictUpdate,
    existing: &Row,
    proposed: &Row,
    ctx: &mut Context,
) -> Result<Option<Row>> {
    let mut input = existing.clone();
    input.extend(proposed.iter().cloned());
    if let Some(f) = &update.filter
        && !exec::is_true(&exec::eval(f, &input, ctx)?)
    {
        return Ok(None);
    }
    let mut new = existing.clone();
    for (i, e) in &update.assignments {
        new[*i] = exec::eval(e, &input, ctx)?;
    }
    Ok(Some(new))
}

/// Brings each value to its column's exact type with assignment rules (a too-long string
/// for `varchar(n)` is 22001), then checks NOT NULL and CHECK constraints.
pub(crate) fn check_row(
    table: &Table,
    row: &mut [Value],
    checks: &[(String, Expr)],
    ctx: &mut Context,
) -> Result<()> {
    for (column, value) in table.columns.iter().zip(row.iter_mut()) {
        *value = std::mem::replace(value, Value::Null).assign(&column.data_type, ctx.settings)?;
        if !column.nullable && matches!(value, Value::Null) {
            return Err(Error::new(
                SqlState::NOT_NULL_VIOLATION,
                format!(
                    "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                    column.name, table.name
                ),
            ));
        }
    }
    for (name, check) in checks {
        // A CHECK passes unless it is false: NULL passes, as in PostgreSQL.
        if matches!(exec::eval(check, row, ctx)?, Value::Bool(false)) {
            return Err(Error::new(
                SqlState::CHECK_VIOLATION,
                format!(
                    "new row for relation \"{}\" violates check constraint \"{name}\"",
                    table.name
                ),
            ));
        }
    }
    Ok(())
}

/// A target row: its key, its values, and the row of the other tables it joined (empty
/// without FROM / USING).
type Target = (RowKey, Row, Row);

/// The rows of `table` that satisfy `filter`, read before any is changed (so an UPDATE never
/// sees its own new rows), through a key when the filter bounds one. With `join` (UPDATE ... FROM, DELETE ... USING), `filter` is over
/// the target row followed by a row of `join`, and each target row is paired with the first
/// row of `join` that satisfies it.
fn matching_rows(
    table: &Table,
    filter: Option<&Expr>,
    join: Option<&Node>,
    ctx: &mut Context,
) -> Result<Vec<Target>> {
    let others = match join {
        Some(node) => Some(exec::collect(node, ctx)?),
        None => None,
    };
    // A filter that bounds a key reads only that range (the whole filter is still applied).
    let lookup = filter.and_then(|f| crate::optimizer::index_selection::choose(table, f));
    let rows: Vec<(RowKey, Row)> = match &lookup {
        Some(lookup) => crate::index_scan::lookup_rows(table, lookup, &[], ctx)?,
        None => ctx.txn.scan(table)?.collect::<Result<_>>()?,
    };
    let mut out = Vec::new();
    for (key, row) in rows {
        match &others {
            None => {
                let keep = match filter {
                    Some(f) => exec::is_true(&exec::eval(f, &row, ctx)?),
                    None => true,
                };
                if keep {
                    out.push((key, row, Vec::new()));
                }
            }
            Some(others) => {
                let mut joined = row.clone();
                let width = row.len();
                for other in others {
                    joined.truncate(width);
                    joined.extend(other.iter().cloned());
                    let keep = match filter {
                        Some(f) => exec::is_true(&exec::eval(f, &joined, ctx)?),
                        None => true,
                    };
                    if keep {
                        out.push((key, row, other.clone()));
                        break;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The rows of `table` whose `columns` equal `values`, found through the primary key or an
/// index on those columns when there is one, else by a scan.
pub(crate) fn rows_where(
    table: &Table,
    columns: &[usize],
    values: &[Value],
    ctx: &mut Context,
) -> Result<Vec<(RowKey, Row)>> {
    let same_set = |cols: &[usize]| -> bool {
        cols.len() == columns.len() && cols.iter().all(|c| columns.contains(c))
    };
    // Lookups need the values in the table's own types; a value that does not convert
    // cannot be there.
    let mut converted = Vec::with_capacity(values.len());
    for (&c, v) in columns.iter().zip(values) {
        match v.clone().cast(&table.columns[c].data_type, ctx.settings) {
            Ok(x) => converted.push(x),
            Err(_) => return Ok(Vec::new()),
        }
    }
    let value_of = |c: usize| -> Result<&Value> {
        columns
            .iter()
            .position(|&x| x == c)
            .map(|p| &converted[p])
            .ok_or_else(|| Error::internal("key column out of range"))
    };
    let candidates: Vec<(RowKey, Row)> = if let Some(pk) = &table.primary_key
        && same_set(pk)
    {
        let parts = pk
            .iter()
            .map(|&c| value_of(c))
            .collect::<Result<Vec<_>>>()?;
        let key = storage::primary_key(&parts);
        ctx.txn
            .get(table, &key)?
            .map(|row| (key, row))
            .into_iter()
            .collect()
    } else if let Some(index) = table
        .indexes
        .iter()
        .find(|i| i.columns.len() >= columns.len() && same_set(&i.columns[..columns.len()]))
    {
        let prefix = index.columns[..columns.len()]
            .iter()
            .map(|&c| value_of(c).cloned())
            .collect::<Result<Vec<_>>>()?;
        ctx.txn
            .scan_index(table, index, &prefix)?
            .collect::<Result<_>>()?
    } else {
        ctx.txn.scan(table)?.collect::<Result<_>>()?
    };
    let mut out = Vec::new();
    for (key, row) in candidates {
        let mut equal = true;
        for (&c, v) in columns.iter().zip(values) {
            if row[c].compare(v)? != Some(std::cmp::Ordering::Equal) {
                equal = false;
                break;
            }
        }
        if equal {
            out.push((key, row));
        }
    }
    Ok(out)
}

/// A write the foreign keys must look at when the statement ends.
pub(crate) enum Event {
    /// A row was inserted.
    Insert { table: Oid, key: RowKey, row: Row },
    /// A row was updated (its key is now `key`).
    Update {
        table: Oid,
        key: RowKey,
        old: Row,
        new: Row,
    },
    /// A row was deleted.
    Delete { table: Oid, old: Row },
}

/// Writes the rows of one statement and enforces foreign keys when it ends.
#[derive(Default)]
pub(crate) struct Writer {
    /// Writes still to be looked at by foreign keys, oldest first.
    events: VecDeque<Event>,
    /// Tables by object id, read once per statement.
    tables: HashMap<Oid, Table>,
    /// Planned CHECK constraints of tables written by cascades.
    checks: HashMap<Oid, Vec<(String, Expr)>>,
}

fn takes_part(table: &Table) -> bool {
    !table.foreign_keys.is_empty() || !table.referenced_by.is_empty()
}

impl Writer {
    /// The table `oid` as this statement sees it (`None` if it was dropped).
    pub(crate) fn table(&mut self, oid: Oid, ctx: &mut Context) -> Result<Option<Table>> {
        if let Some(t) = self.tables.get(&oid) {
            return Ok(Some(t.clone()));
        }
        let t = ctx.txn.table_by_oid(oid)?;
        if let Some(t) = &t {
            self.tables.insert(oid, t.clone());
        }
        Ok(t)
    }

    fn remember(&mut self, table: &Table) {
        self.tables
            .entry(table.oid)
            .or_insert_with(|| table.clone());
    }

    /// Inserts a row (already checked).
    pub(crate) fn insert(&mut self, ctx: &mut Context, table: &Table, row: Row) -> Result<RowKey> {
        // A new row can only break its own foreign keys: a parent has no children yet.
        if table.foreign_keys.is_empty() {
            return ctx.txn.insert(table, row);
        }
        let key = ctx.txn.insert(table, row.clone())?;
        self.remember(table);
        self.events.push_back(Event::Insert {
            table: table.oid,
            key: key.clone(),
            row,
        });
        Ok(key)
    }

    /// Replaces the row at `key` (already checked); returns its new key.
    pub(crate) fn update(
        &mut self,
        ctx: &mut Context,
        table: &Table,
        key: &[u8],
        old: &Row,
        new: Row,
    ) -> Result<RowKey> {
        if !takes_part(table) {
            return ctx.txn.update(table, key, old, new);
        }
        let key = ctx.txn.update(table, key, old, new.clone())?;
        self.remember(table);
        self.events.push_back(Event::Update {
            table: table.oid,
            key: key.clone(),
            old: old.clone(),
            new,
        });
        Ok(key)
    }

    /// Deletes the row at `key`.
    pub(crate) fn delete(
        &mut self,
        ctx: &mut Context,
        table: &Table,
        key: &[u8],
        old: &Row,
    ) -> Result<()> {
        ctx.txn.delete(table, key, old)?;
        if takes_part(table) {
            self.remember(table);
            self.events.push_back(Event::Delete {
                table: table.oid,
                old: old.clone(),
            });
        }
        Ok(())
    }

    /// The CHECK constraints of `table`, planned once per statement.
    pub(crate) fn checks(
        &mut self,
        table: &Table,
        ctx: &mut Context,
    ) -> Result<Vec<(String, Expr)>> {
        if let Some(c) = self.checks.get(&table.oid) {
            return Ok(c.clone());
        }
        let c = Planner::new(&mut *ctx.txn).checks(table)?;
        self.checks.insert(table.oid, c.clone());
        Ok(c)
    }

    /// Ends the statement: every queued write meets the foreign keys, including the writes
    /// that cascades add to the queue.
    fn finish(&mut self, ctx: &mut Context) -> Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        // At READ COMMITTED the checks see what committed meanwhile (see foreign_key).
        ctx.txn.new_statement();
        while let Some(event) = self.events.pop_front() {
            foreign_key::enforce(self, event, ctx)?;
        }
        Ok(())
    }
}
