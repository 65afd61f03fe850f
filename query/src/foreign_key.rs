//! Foreign keys: checks and referential actions, and their place in the catalog.
//!
//! A constraint lives in the referencing (child) table's definition
//! ([`crate::catalog::ForeignKey`]); the referenced (parent) table lists the tables that
//! reference it (`referenced_by`), so that a write to a parent finds its children without
//! reading the whole catalog, and a table taking no part in a foreign key pays nothing.
//!
//! Enforcement runs at the end of each statement over the writes the statement queued
//! ([`crate::dml`] explains why), with PostgreSQL's MATCH SIMPLE semantics: a child row with a
//! NULL in any referencing column is not checked. At READ COMMITTED it reads a fresh
//! snapshot, as PostgreSQL's referential queries do: a parent deleted while a concurrent
//! transaction inserted a child waits for that transaction (the lock below) and then sees
//! the child. At REPEATABLE READ and SERIALIZABLE the snapshot stays, and PostgreSQL's
//! serialization failure in that case is not reproduced yet.
//!
//! - A written child row must find its parent. The parent is looked up through its primary
//!   key or the unique index the constraint references, never by a scan, and locked
//!   ([`crate::storage::Transaction::lock_shared`]) so that a concurrent transaction cannot
//!   delete it before this one commits. A row that a later write of the same statement
//!   deleted, or whose referencing columns it changed again, is checked in its final form
//!   only.
//! - A deleted parent row, or one whose referenced columns changed, applies the constraint's
//!   action to the children: `NO ACTION` fails unless another row now holds the old key,
//!   `RESTRICT` fails if any child remains, `CASCADE` deletes the children or copies the new
//!   key into them, `SET NULL` and `SET DEFAULT` rewrite their referencing columns (and the
//!   rewritten rows are checked like any other write). Children are found through an index
//!   whose leading columns are the referencing columns when the child table has one, and
//!   otherwise by scanning the child table, as PostgreSQL does: index the referencing columns
//!   of large tables whose parents are deleted or re-keyed.

use std::collections::HashSet;

use crate::catalog::{ForeignKey, Oid, ReferentialAction, Table};
use crate::dml::{self, Event, Writer};
use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context};
use crate::planner::Planner;
use crate::storage::{Row, Transaction};
use crate::types::Value;

/// Applies the foreign keys to one queued write.
pub(crate) fn enforce(writer: &mut Writer, event: Event, ctx: &mut Context) -> Result<()> {
    match event {
        Event::Insert { table, key, row } => {
            if let Some(t) = writer.table(table, ctx)? {
                check_parents(writer, &t, &key, &row, None, ctx)?;
            }
        }
        Event::Update {
            table,
            key,
            old,
            new,
        } => {
            if let Some(t) = writer.table(table, ctx)? {
                act_on_children(writer, &t, &old, Some(&new), ctx)?;
                check_parents(writer, &t, &key, &new, Some(&old), ctx)?;
            }
        }
        Event::Delete { table, old } => {
            if let Some(t) = writer.table(table, ctx)? {
                act_on_children(writer, &t, &old, None, ctx)?;
            }
        }
    }
    Ok(())
}

/// Checks that the row at `key` (written as `row`, formerly `old`) finds its parents.
fn check_parents(
    writer: &mut Writer,
    table: &Table,
    key: &[u8],
    row: &Row,
    old: Option<&Row>,
    ctx: &mut Context,
) -> Result<()> {
    // The row as it is now: a row deleted later in the statement is not checked, and one
    // whose referencing columns changed again is checked by that later write.
    let mut current: Option<Option<Row>> = None;
    for fk in &table.foreign_keys {
        let values: Vec<Value> = fk.columns.iter().map(|&c| row[c].clone()).collect();
        if values.iter().any(Value::is_null) {
            continue;
        }
        if let Some(old) = old
            && fk.columns.iter().all(|&c| old[c] == row[c])
        {
            continue;
        }
        if current.is_none() {
            current = Some(ctx.txn.get(table, key)?);
        }
        match current.as_ref().and_then(|c| c.as_ref()) {
            None => return Ok(()),
            Some(now) if fk.columns.iter().any(|&c| now[c] != row[c]) => continue,
            Some(_) => {}
        }
        let parent = if fk.referenced == table.oid {
            table.clone()
        } else {
            match writer.table(fk.referenced, ctx)? {
                Some(p) => p,
                None => continue,
            }
        };
        let found = dml::rows_where(&parent, &fk.referenced_columns, &values, ctx)?;
        // The parent found stays until this transaction ends: a concurrent delete waits.
        let mut present = false;
        for (parent_key, _) in &found {
            if ctx.txn.lock_shared(&parent, parent_key)? {
                present = true;
                break;
            }
        }
        if !present {
            return Err(not_present(table, &parent, fk, &values, ctx));
        }
    }
    Ok(())
}

fn not_present(
    table: &Table,
    parent: &Table,
    fk: &ForeignKey,
    values: &[Value],
    ctx: &Context,
) -> Error {
    Error::new(
        SqlState::FOREIGN_KEY_VIOLATION,
        format!(
            "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
            table.name, fk.name
        ),
    )
    .with_detail(format!(
        "Key {} is not present in table \"{}\".",
        key_text(table, &fk.columns, values, ctx),
        parent.name
    ))
}

/// `(a, b)=(1, 2)`: columns and values as PostgreSQL's details show them.
fn key_text(table: &Table, columns: &[usize], values: &[Value], ctx: &Context) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|&c| table.columns[c].name.as_str())
        .collect();
    let values: Vec<String> = values
        .iter()
        .map(|v| v.to_text(ctx.settings).unwrap_or_else(|| "null".into()))
        .collect();
    format!("({})=({})", names.join(", "), values.join(", "))
}

/// Applies ON DELETE (`new` is `None`) or ON UPDATE actions of the constraints referencing
/// `parent` to the children of its row `old`.
fn act_on_children(
    writer: &mut Writer,
    parent: &Table,
    old: &Row,
    new: Option<&Row>,
    ctx: &mut Context,
) -> Result<()> {
    for &child_oid in &parent.referenced_by {
        let child = if child_oid == parent.oid {
            parent.clone()
        } else {
            match writer.table(child_oid, ctx)? {
                Some(c) => c,
                None => continue,
            }
        };
        for fk in child
            .foreign_keys
            .iter()
            .filter(|f| f.referenced == parent.oid)
        {
            let key: Vec<Value> = fk
                .referenced_columns
                .iter()
                .map(|&c| old[c].clone())
                .collect();
            if key.iter().any(Value::is_null) {
                continue;
            }
            let action = match new {
                Some(new) => {
                    if fk.referenced_columns.iter().all(|&c| old[c] == new[c]) {
                        continue;
                    }
                    fk.on_update
                }
                None => fk.on_delete,
            };
            if matches!(
                action,
                ReferentialAction::Cascade
                    | ReferentialAction::SetNull
                    | ReferentialAction::SetDefault
            ) {
                rewrite_children(writer, &child, fk, action, &key, new, ctx)?;
            }
            // SET DEFAULT may have set the children to the very key that went: like
            // PostgreSQL, it then checks as NO ACTION does.
            if matches!(
                action,
                ReferentialAction::NoAction
                    | ReferentialAction::Restrict
                    | ReferentialAction::SetDefault
            ) {
                // NO ACTION is satisfied if another row took over the key.
                if action != ReferentialAction::Restrict
                    && !dml::rows_where(parent, &fk.referenced_columns, &key, ctx)?.is_empty()
                {
                    continue;
                }
                if !dml::rows_where(&child, &fk.columns, &key, ctx)?.is_empty() {
                    return Err(Error::new(
                        SqlState::FOREIGN_KEY_VIOLATION,
                        format!(
                            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
                            parent.name, fk.name, child.name
                        ),
                    )
                    .with_detail(format!(
                        "Key {} is still referenced from table \"{}\".",
                        key_text(parent, &fk.referenced_columns, &key, ctx),
                        child.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// CASCADE, SET NULL or SET DEFAULT for the children of `key` (the parent's old key; `new`
/// is the parent's new row, `None` when it was deleted).
fn rewrite_children(
    writer: &mut Writer,
    child: &Table,
    fk: &ForeignKey,
    action: ReferentialAction,
    key: &[Value],
    new: Option<&Row>,
    ctx: &mut Context,
) -> Result<()> {
    let rows = dml::rows_where(child, &fk.columns, key, ctx)?;
    for (child_key, row) in rows {
        if action == ReferentialAction::Cascade && new.is_none() {
            writer.delete(ctx, child, &child_key, &row)?;
            continue;
        }
        let mut changed = row.clone();
        for (i, &c) in fk.columns.iter().enumerate() {
            changed[c] = match (action, new) {
                (ReferentialAction::Cascade, Some(new)) => new[fk.referenced_columns[i]].clone(),
                (ReferentialAction::SetDefault, _) => {
                    let e = Planner::new(&mut *ctx.txn).default_value(&child.columns[c])?;
                    exec::eval(&e, &[], ctx)?
                }
                _ => Value::Null,
            };
        }
        let checks = writer.checks(child, ctx)?;
        dml::check_row(child, &mut changed, &checks, ctx)?;
        writer.update(ctx, child, &child_key, &row, changed)?;
    }
    Ok(())
}

/// Creates `table` (its object id already assigned) with its foreign keys: a self-reference
/// gets the table's own id, and each referenced table records the new child.
pub(crate) fn create_table(txn: &mut dyn Transaction, table: &mut Table) -> Result<()> {
    let oid = table.oid;
    for fk in &mut table.foreign_keys {
        if fk.referenced == 0 {
            fk.referenced = oid;
        }
    }
    if table.foreign_keys.iter().any(|f| f.referenced == oid) {
        table.referenced_by.push(oid);
    }
    txn.create_table(table)?;
    let parents: HashSet<Oid> = table
        .foreign_keys
        .iter()
        .map(|f| f.referenced)
        .filter(|&p| p != oid)
        .collect();
    for parent in parents {
        add_child(txn, parent, oid)?;
    }
    Ok(())
}

fn add_child(txn: &mut dyn Transaction, parent: Oid, child: Oid) -> Result<()> {
    if let Some(mut p) = txn.table_by_oid(parent)?
        && !p.referenced_by.contains(&child)
    {
        p.referenced_by.push(child);
        txn.alter_table(&p)?;
    }
    Ok(())
}

/// Adds the foreign key `fk` (bound by [`Planner::foreign_key`]) to the existing table
/// `table` after checking that every row finds its parent (23503 otherwise), as
/// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY` does. Returns the altered table.
pub fn add_foreign_key(ctx: &mut Context, table: &Table, mut fk: ForeignKey) -> Result<Table> {
    if fk.referenced == 0 {
        fk.referenced = table.oid;
    }
    if table.foreign_keys.iter().any(|f| f.name == fk.name) {
        return Err(Error::new(
            SqlState::DUPLICATE_OBJECT,
            format!(
                "constraint \"{}\" for relation \"{}\" already exists",
                fk.name, table.name
            ),
        ));
    }
    let parent = if fk.referenced == table.oid {
        table.clone()
    } else {
        ctx.txn.table_by_oid(fk.referenced)?.ok_or_else(|| {
            Error::new(SqlState::UNDEFINED_TABLE, "referenced table does not exist")
        })?
    };
    let rows: Vec<Row> = ctx
        .txn
        .scan(table)?
        .map(|item| item.map(|(_, row)| row))
        .collect::<Result<_>>()?;
    for row in rows {
        let values: Vec<Value> = fk.columns.iter().map(|&c| row[c].clone()).collect();
        if values.iter().any(Value::is_null) {
            continue;
        }
        if dml::rows_where(&parent, &fk.referenced_columns, &values, ctx)?.is_empty() {
            return Err(not_present(table, &parent, &fk, &values, ctx));
        }
    }
    let mut altered = table.clone();
    if fk.referenced == table.oid && !altered.referenced_by.contains(&table.oid) {
        altered.referenced_by.push(table.oid);
    }
    let parent_oid = fk.referenced;
    altered.foreign_keys.push(fk);
    ctx.txn.alter_table(&altered)?;
    if parent_oid != table.oid {
        add_child(ctx.txn, parent_oid, table.oid)?;
    }
    Ok(altered)
}

/// Drops `tables`. A table still referenced by a table not being dropped is 2BP01, unless
/// `cascade`, which drops the referencing constraints (not the tables that hold them).
pub(crate) fn drop_tables(
    txn: &mut dyn Transaction,
    tables: &[Table],
    cascade: bool,
) -> Result<()> {
    let dropping: HashSet<Oid> = tables.iter().map(|t| t.oid).collect();
    for table in tables {
        let mut dependents = Vec::new();
        for &child_oid in &table.referenced_by {
            if dropping.contains(&child_oid) {
                continue;
            }
            let Some(child) = txn.table_by_oid(child_oid)? else {
                continue;
            };
            for fk in child
                .foreign_keys
                .iter()
                .filter(|f| f.referenced == table.oid)
            {
                dependents.push(format!(
                    "constraint {} on table {} depends on table {}",
                    fk.name, child.name, table.name
                ));
            }
            if cascade {
                let mut altered = child.clone();
                altered.foreign_keys.retain(|f| f.referenced != table.oid);
                txn.alter_table(&altered)?;
            }
        }
        if !dependents.is_empty() && !cascade {
            return Err(Error::new(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                format!(
                    "cannot drop table {} because other objects depend on it",
                    table.name
                ),
            )
            .with_detail(dependents.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
    }
    for table in tables {
        let parents: HashSet<Oid> = table
            .foreign_keys
            .iter()
            .map(|f| f.referenced)
            .filter(|p| !dropping.contains(p))
            .collect();
        for parent in parents {
            if let Some(mut p) = txn.table_by_oid(parent)? {
                p.referenced_by.retain(|&c| c != table.oid);
                txn.alter_table(&p)?;
            }
        }
        txn.drop_table(table)?;
    }
    Ok(())
}

/// Refuses (2BP01) to drop the index `name` of `table` while a foreign key needs it to find
/// its parents: when no other unique index or the primary key has the same columns.
pub(crate) fn check_drop_index(txn: &mut dyn Transaction, table: &Table, name: &str) -> Result<()> {
    let Some(index) = table.indexes.iter().find(|i| i.name == name) else {
        return Ok(());
    };
    let same = |cols: &[usize]| {
        cols.len() == index.columns.len() && cols.iter().all(|c| index.columns.contains(c))
    };
    let replaced = table.primary_key.as_deref().is_some_and(same)
        || table
            .indexes
            .iter()
            .any(|i| i.name != name && i.unique && same(&i.columns));
    if !index.unique || replaced {
        return Ok(());
    }
    let mut dependents = Vec::new();
    for &child_oid in &table.referenced_by {
        let child = if child_oid == table.oid {
            table.clone()
        } else {
            match txn.table_by_oid(child_oid)? {
                Some(c) => c,
                None => continue,
            }
        };
        for fk in child
            .foreign_keys
            .iter()
            .filter(|f| f.referenced == table.oid && same(&f.referenced_columns))
        {
            dependents.push(format!(
                "constraint {} on table {} depends on index {name}",
                fk.name, child.name
            ));
        }
    }
    if dependents.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
        format!("cannot drop index {name} because other objects depend on it"),
    )
    .with_detail(dependents.join("\n"))
    .with_hint("Use DROP ... CASCADE to drop the dependent objects too."))
}

/// Truncates `tables`. A table referenced by a table not in the list is 0A000, unless
/// `cascade`, which truncates the referencing tables too.
pub(crate) fn truncate_tables(
    txn: &mut dyn Transaction,
    tables: &[Table],
    cascade: bool,
) -> Result<()> {
    let mut all: Vec<Table> = tables.to_vec();
    let mut i = 0;
    while i < all.len() {
        let referenced_by = all[i].referenced_by.clone();
        for child_oid in referenced_by {
            if all.iter().any(|t| t.oid == child_oid) {
                continue;
            }
            let Some(child) = txn.table_by_oid(child_oid)? else {
                continue;
            };
            if !cascade {
                return Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "cannot truncate a table referenced in a foreign key constraint",
                )
                .with_detail(format!(
                    "Table \"{}\" references \"{}\".",
                    child.name, all[i].name
                ))
                .with_hint(format!(
                    "Truncate table \"{}\" at the same time, or use TRUNCATE ... CASCADE.",
                    child.name
                )));
            }
            all.push(child);
        }
        i += 1;
    }
    for t in &all {
        txn.truncate(t)?;
    }
    Ok(())
}
