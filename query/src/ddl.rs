//! Executing DDL that changes existing rows or other objects: `ALTER TABLE` (see the
//! planner's `alter` module for how an alteration is described) and the enum types' DDL.

use std::sync::Arc;

use crate::catalog::{ForeignKey, Table};
use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context};
use crate::planner::{Alteration, TypeChange, user_types};
use crate::storage::Row;
use crate::types::{EnumType, Value};

/// Applies an `ALTER TABLE`.
pub fn alter_table(a: Alteration, ctx: &mut Context) -> Result<()> {
    let Alteration {
        old,
        mut new,
        rewrite,
        not_null,
        checks,
        sequences,
        drop,
        redefine,
        foreign_keys,
    } = a;
    for mut seq in sequences {
        seq.oid = ctx.txn.next_oid()?;
        ctx.txn.create_table(&seq)?;
    }
    for seq in &drop {
        ctx.txn.drop_table(seq)?;
    }
    for seq in &redefine {
        ctx.txn.alter_table(seq)?;
    }
    if new.name != old.name {
        ctx.txn.rename_table(&old, &new.name)?;
    }
    for index in &mut new.indexes {
        if index.oid == 0 {
            index.oid = ctx.txn.next_oid()?;
        }
    }
    let Some(exprs) = rewrite else {
        ctx.txn.alter_table(&new)?;
        add_foreign_keys(&new, foreign_keys, ctx)?;
        if !not_null.is_empty() || !checks.is_empty() {
            let rows: Vec<Row> = ctx
                .txn
                .scan(&new)?
                .map(|r| r.map(|(_, row)| row))
                .collect::<Result<_>>()?;
            for row in rows {
                validate(&new, &row, &not_null, &checks, ctx)?;
            }
        }
        return Ok(());
    };
    let rows: Vec<Row> = ctx
        .txn
        .scan(&old)?
        .map(|r| r.map(|(_, row)| row))
        .collect::<Result<_>>()?;
    ctx.txn.truncate(&old)?;
    ctx.txn.alter_table(&new)?;
    for old_row in rows {
        let mut row = Vec::with_capacity(exprs.len());
        for (e, column) in exprs.iter().zip(&new.columns) {
            let v = exec::eval(e, &old_row, ctx)?;
            row.push(v.assign(&column.data_type, ctx.settings)?);
        }
        validate(&new, &row, &not_null, &checks, ctx)?;
        ctx.txn.insert(&new, row)?;
    }
    add_foreign_keys(&new, foreign_keys, ctx)
}

fn add_foreign_keys(table: &Table, foreign_keys: Vec<ForeignKey>, ctx: &mut Context) -> Result<()> {
    let mut table = table.clone();
    for fk in foreign_keys {
        table = crate::foreign_key::add_foreign_key(ctx, &table, fk)?;
    }
    Ok(())
}

/// Checks a row against the NOT NULL columns and CHECK constraints being added, with the
/// errors PostgreSQL gives when existing rows fail them.
fn validate(
    table: &Table,
    row: &[Value],
    not_null: &[usize],
    checks: &[(String, crate::plan::Expr)],
    ctx: &mut Context,
) -> Result<()> {
    for &i in not_null {
        if row[i].is_null() {
            return Err(Error::new(
                SqlState::NOT_NULL_VIOLATION,
                format!(
                    "column \"{}\" of relation \"{}\" contains null values",
                    table.columns[i].name, table.name
                ),
            ));
        }
    }
    for (name, check) in checks {
        if matches!(exec::eval(check, row, ctx)?, Value::Bool(false)) {
            return Err(Error::new(
                SqlState::CHECK_VIOLATION,
                format!(
                    "check constraint \"{name}\" of relation \"{}\" is violated by some row",
                    table.name
                ),
            ));
        }
    }
    Ok(())
}

/// Executes `CREATE TYPE ... AS ENUM`: the type and its array type get their OIDs.
pub fn create_type(mut ty: EnumType, ctx: &mut Context) -> Result<()> {
    ty.oid = ctx.txn.next_oid()?;
    ty.array_oid = ctx.txn.next_oid()?;
    ctx.txn.put_type(&ty, None)
}

/// Executes `ALTER TYPE`: changes the type, then every column that uses it (tables carry
/// their columns' enum types, labels included). Rows need no rewrite: they hold label
/// indexes, and keys hold sort keys, neither of which changes.
pub fn alter_type(ty: EnumType, change: TypeChange, ctx: &mut Context) -> Result<()> {
    let mut new = ty.clone();
    let mut renamed_from = None;
    match change {
        TypeChange::AddValue {
            label,
            position,
            if_not_exists,
        } => {
            if !new.add_label(&label, &position, if_not_exists)? {
                return Ok(());
            }
        }
        TypeChange::RenameValue { from, to } => new.rename_label(&from, &to)?,
        TypeChange::Rename(to) => {
            renamed_from = Some(ty.name.clone());
            new.name = to;
        }
        TypeChange::SetSchema(schema) => {
            ctx.txn.drop_type(&ty)?;
            new.schema = schema;
        }
    }
    ctx.txn.put_type(&new, renamed_from.as_deref())?;
    let new = Arc::new(new);
    for table in ctx.txn.tables()? {
        if !table
            .columns
            .iter()
            .any(|c| user_types::uses_type(&c.data_type, new.oid))
        {
            continue;
        }
        let mut changed = table.clone();
        for c in &mut changed.columns {
            c.data_type = user_types::with_type(&c.data_type, &new);
        }
        ctx.txn.alter_table(&changed)?;
    }
    Ok(())
}
