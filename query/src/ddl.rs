//! Executing DDL that changes existing rows: `ALTER TABLE` (see the planner's `alter`
//! module for how an alteration is described).

use crate::catalog::{ForeignKey, Table};
use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context};
use crate::planner::Alteration;
use crate::storage::Row;
use crate::types::Value;

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
