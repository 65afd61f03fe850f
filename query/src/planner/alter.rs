//! Planning `ALTER TABLE`.
//!
//! The operations of one statement are applied in order to a copy of the table's definition.
//! Alongside, the planner keeps one expression per new column over the *old* row: a column
//! that stays is `Column(i)`, an added one is its default, a retyped one a cast (or its
//! `USING` expression). When the rows must change (a column added, dropped or retyped, a
//! primary key or unique constraint added or dropped), the executor rewrites the table: it
//! reads every row, clears the table and its indexes, writes the new definition and inserts
//! each row through those expressions, validating NOT NULL and CHECK as it goes. Other
//! changes (renames, defaults, dropping NOT NULL or a CHECK) only write the definition; a
//! new NOT NULL or CHECK is validated against the rows in place. Either way the statement is
//! one transaction: a failure leaves the table as it was.

use std::ops::ControlFlow;

use anchor_grammar::ast;

use super::{Plan, Planner, Scope, assign_cast, cast_to, ident, object_name, parse_expr};
use crate::catalog::{Check, Column, ForeignKey, Index, Table};
use crate::error::{Error, Result, SqlState};
use crate::plan::Expr;
use crate::types;

/// What an `ALTER TABLE` does, for the executor.
#[derive(Clone, Debug)]
pub struct Alteration {
    /// The table as it is.
    pub old: Table,
    /// The table as it will be (new indexes have oid 0).
    pub new: Table,
    /// One expression per new column over the old row, when the rows must be rewritten.
    pub rewrite: Option<Vec<Expr>>,
    /// Columns that became NOT NULL (validated against the rows).
    pub not_null: Vec<usize>,
    /// CHECK constraints to validate, bound over the new row: (name, predicate).
    pub checks: Vec<(String, Expr)>,
    /// Sequences to create (SERIAL or identity columns added), owned by the table.
    pub sequences: Vec<Table>,
    /// Relations to drop (sequences owned by dropped columns).
    pub drop: Vec<Table>,
    /// Other relations whose definitions change (sequences whose owner column was renamed,
    /// tables whose foreign keys name columns that moved).
    pub redefine: Vec<Table>,
    /// Foreign keys to add once the new definition is in place (existing rows are checked).
    pub foreign_keys: Vec<ForeignKey>,
}

fn no_column(table: &Table, name: &str) -> Error {
    Error::new(
        SqlState::UNDEFINED_COLUMN,
        format!(
            "column \"{name}\" of relation \"{}\" does not exist",
            table.name
        ),
    )
}

/// Renames column `from` to `to` in a stored expression's SQL text.
fn rename_in_sql(sql: &str, from: &str, to: &str) -> Result<String> {
    let mut e = parse_expr(sql)?;
    let _ = ast::visit_expressions_mut(&mut e, |e| {
        match e {
            ast::Expr::Identifier(i) if ident(i) == from => *i = ast::Ident::new(to),
            ast::Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last_mut()
                    && ident(last) == from
                {
                    *last = ast::Ident::new(to);
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(e.to_string())
}

/// True if a stored expression's SQL text mentions column `name`.
fn mentions(sql: &str, name: &str) -> bool {
    let Ok(e) = parse_expr(sql) else {
        return false;
    };
    ast::visit_expressions(&e, |e| match e {
        ast::Expr::Identifier(i) if ident(i) == name => ControlFlow::Break(()),
        ast::Expr::CompoundIdentifier(parts) if parts.last().is_some_and(|p| ident(p) == name) => {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

fn cascade(behavior: &Option<ast::DropBehavior>) -> bool {
    matches!(behavior, Some(ast::DropBehavior::Cascade))
}

impl Planner<'_> {
    /// `ALTER TABLE`.
    pub(super) fn alter_table(&mut self, alter: &ast::AlterTable) -> Result<Plan> {
        let old = match self.table(&alter.name) {
            Ok(t) => t,
            Err(e) if alter.if_exists && e.sqlstate() == SqlState::UNDEFINED_TABLE => {
                return Ok(Plan::Command("ALTER TABLE".into()));
            }
            Err(e) => return Err(e),
        };
        let only_renames = alter.operations.iter().all(|op| {
            matches!(
                op,
                ast::AlterTableOperation::RenameTable { .. }
                    | ast::AlterTableOperation::RenameColumn { .. }
            )
        });
        if (old.view.is_some() || old.sequence.is_some()) && !only_renames {
            let kind = if old.view.is_some() {
                "view"
            } else {
                "sequence"
            };
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is not a table", old.name),
            )
            .with_hint(format!(
                "Use ALTER {} to change a {kind}.",
                kind.to_uppercase()
            )));
        }
        let mut a = Alteration {
            new: old.clone(),
            old,
            rewrite: None,
            not_null: Vec::new(),
            checks: Vec::new(),
            sequences: Vec::new(),
            drop: Vec::new(),
            redefine: Vec::new(),
            foreign_keys: Vec::new(),
        };
        // Expressions over the old row; `layout` is false once columns were added or dropped
        // (a USING clause then cannot be bound against the old row).
        let mut exprs: Vec<Expr> = (0..a.old.columns.len()).map(Expr::Column).collect();
        let mut rewrite = false;
        let mut layout = true;
        let mut new_checks: Vec<String> = Vec::new();
        for op in &alter.operations {
            match op {
                ast::AlterTableOperation::AddColumn {
                    if_not_exists,
                    column_def,
                    ..
                } => {
                    let name = ident(&column_def.name);
                    if a.new.column_index(&name).is_some() {
                        if *if_not_exists {
                            continue;
                        }
                        return Err(Error::new(
                            SqlState::DUPLICATE_COLUMN,
                            format!(
                                "column \"{name}\" of relation \"{}\" already exists",
                                a.new.name
                            ),
                        ));
                    }
                    let e = self.add_column(&mut a, column_def, &mut new_checks)?;
                    exprs.push(e);
                    rewrite = true;
                    layout = false;
                }
                ast::AlterTableOperation::DropColumn {
                    column_names,
                    if_exists,
                    drop_behavior,
                    ..
                } => {
                    for c in column_names {
                        let name = ident(c);
                        let Some(i) = a.new.column_index(&name) else {
                            if *if_exists {
                                continue;
                            }
                            return Err(no_column(&a.new, &name));
                        };
                        self.drop_column(&mut a, i, cascade(drop_behavior))?;
                        exprs.remove(i);
                        rewrite = true;
                        layout = false;
                    }
                }
                ast::AlterTableOperation::RenameColumn {
                    old_column_name,
                    new_column_name,
                } => {
                    let (from, to) = (ident(old_column_name), ident(new_column_name));
                    let i = a
                        .new
                        .column_index(&from)
                        .ok_or_else(|| no_column(&a.new, &from))?;
                    if a.new.column_index(&to).is_some() {
                        return Err(Error::new(
                            SqlState::DUPLICATE_COLUMN,
                            format!(
                                "column \"{to}\" of relation \"{}\" already exists",
                                a.new.name
                            ),
                        ));
                    }
                    a.new.columns[i].name = to.clone();
                    for check in &mut a.new.checks {
                        check.expr = rename_in_sql(&check.expr, &from, &to)?;
                    }
                    for mut seq in self.owned_sequences(a.old.oid, Some(&from))? {
                        if let Some(def) = &mut seq.sequence {
                            def.owned_by = Some((a.old.oid, to.clone()));
                        }
                        a.redefine.push(seq);
                    }
                }
                ast::AlterTableOperation::RenameTable { table_name } => {
                    let (ast::RenameTableNameKind::As(name) | ast::RenameTableNameKind::To(name)) =
                        table_name;
                    let qualified = name.0.len() > 1;
                    let (schema, name) = object_name(name)?;
                    if qualified && schema != a.new.schema {
                        return Err(Error::unsupported("moving a table to another schema"));
                    }
                    a.new.name = name;
                }
                ast::AlterTableOperation::AlterColumn { column_name, op } => {
                    let name = ident(column_name);
                    let i = a
                        .new
                        .column_index(&name)
                        .ok_or_else(|| no_column(&a.new, &name))?;
                    match op {
                        ast::AlterColumnOperation::SetNotNull => {
                            if a.new.columns[i].nullable {
                                a.new.columns[i].nullable = false;
                                a.not_null.push(i);
                            }
                        }
                        ast::AlterColumnOperation::DropNotNull => {
                            if a.new.primary_key.as_ref().is_some_and(|pk| pk.contains(&i)) {
                                return Err(Error::new(
                                    SqlState::INVALID_TABLE_DEFINITION,
                                    format!("column \"{name}\" is in a primary key"),
                                ));
                            }
                            a.new.columns[i].nullable = true;
                        }
                        ast::AlterColumnOperation::SetDefault { value } => {
                            let column = a.new.columns[i].clone();
                            let (e, t) = self.expr(value, &Scope::default(), None)?;
                            assign_cast(e, &t, &column)?;
                            a.new.columns[i].default = Some(value.to_string());
                        }
                        ast::AlterColumnOperation::DropDefault => a.new.columns[i].default = None,
                        ast::AlterColumnOperation::AddGenerated {
                            generated_as,
                            sequence_options,
                        } => {
                            let identity = match generated_as {
                                Some(ast::GeneratedAs::ByDefault) => {
                                    crate::catalog::Identity::ByDefault
                                }
                                Some(ast::GeneratedAs::ExpStored) => {
                                    return Err(Error::unsupported("generated columns"));
                                }
                                _ => crate::catalog::Identity::Always,
                            };
                            let mut column = a.new.columns[i].clone();
                            let problem = if column.identity.is_some() {
                                Some("is already an identity column")
                            } else if column.nullable {
                                Some("must be declared NOT NULL before identity can be added")
                            } else if column.default.is_some() {
                                Some("already has a default value")
                            } else {
                                None
                            };
                            if let Some(problem) = problem {
                                return Err(Error::new(
                                    SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                                    format!(
                                        "column \"{name}\" of relation \"{}\" {problem}",
                                        a.new.name
                                    ),
                                ));
                            }
                            let options = sequence_options.clone().unwrap_or_default();
                            let mut seq = self.column_sequence(
                                &a.new,
                                &mut column,
                                Some(identity),
                                &options,
                            )?;
                            if let Some(def) = &mut seq.sequence
                                && let Some(owner) = &mut def.owned_by
                            {
                                owner.0 = a.old.oid;
                            }
                            a.sequences.push(seq);
                            a.new.columns[i] = column;
                        }
                        ast::AlterColumnOperation::SetDataType {
                            data_type, using, ..
                        } => {
                            let to = self.resolve_type(data_type)?;
                            let from = a.new.columns[i].data_type.clone();
                            exprs[i] = match using {
                                Some(using) if layout => {
                                    let scope = Scope::of_table(&a.old, None);
                                    let (e, t) = self.expr(using, &scope, None)?;
                                    if !types::can_coerce(
                                        &t,
                                        &to,
                                        types::CoercionContext::Assignment,
                                    ) {
                                        return Err(Error::new(
                                            SqlState::DATATYPE_MISMATCH,
                                            format!(
                                                "result of USING clause for column \"{name}\" cannot be cast automatically to type {}",
                                                to.name()
                                            ),
                                        )
                                        .with_hint("You might need to add an explicit cast."));
                                    }
                                    cast_to(e, &t, &to)
                                }
                                Some(_) => {
                                    return Err(Error::unsupported(
                                        "ALTER COLUMN TYPE ... USING after adding or dropping columns in the same statement",
                                    ));
                                }
                                None => {
                                    if !types::can_coerce(
                                        &from,
                                        &to,
                                        types::CoercionContext::Assignment,
                                    ) {
                                        return Err(Error::new(
                                            SqlState::DATATYPE_MISMATCH,
                                            format!(
                                                "column \"{name}\" cannot be cast automatically to type {}",
                                                to.name()
                                            ),
                                        )
                                        .with_hint(format!(
                                            "You might need to specify \"USING {name}::{}\".",
                                            to.name()
                                        )));
                                    }
                                    cast_to(exprs[i].clone(), &from, &to)
                                }
                            };
                            a.new.columns[i].data_type = to;
                            rewrite = true;
                        }
                    }
                }
                ast::AlterTableOperation::AddConstraint { constraint, .. } => {
                    self.add_constraint(&mut a, constraint, &mut new_checks)?;
                    if !matches!(constraint, ast::TableConstraint::Check(_)) {
                        rewrite = true;
                    }
                }
                ast::AlterTableOperation::DropConstraint {
                    if_exists, name, ..
                } => {
                    let name = ident(name);
                    let pkey = format!("{}_pkey", a.new.name);
                    if let Some(p) = a.new.checks.iter().position(|c| c.name == name) {
                        a.new.checks.remove(p);
                    } else if let Some(p) = a.new.foreign_keys.iter().position(|f| f.name == name) {
                        a.new.foreign_keys.remove(p);
                    } else if let Some(p) = a
                        .new
                        .indexes
                        .iter()
                        .position(|i| i.name == name && i.unique)
                    {
                        a.new.indexes.remove(p);
                        rewrite = true;
                    } else if name == pkey && a.new.primary_key.is_some() {
                        a.new.primary_key = None;
                        rewrite = true;
                    } else if !if_exists {
                        return Err(Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!(
                                "constraint \"{name}\" of relation \"{}\" does not exist",
                                a.new.name
                            ),
                        ));
                    }
                }
                ast::AlterTableOperation::RenameConstraint { old_name, new_name } => {
                    let (from, to) = (ident(old_name), ident(new_name));
                    if let Some(c) = a.new.checks.iter_mut().find(|c| c.name == from) {
                        c.name = to;
                    } else if let Some(i) = a.new.indexes.iter_mut().find(|i| i.name == from) {
                        i.name = to;
                    } else {
                        return Err(Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!(
                                "constraint \"{from}\" for table \"{}\" does not exist",
                                a.new.name
                            ),
                        ));
                    }
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "ALTER TABLE {}",
                        super::first_words(&other.to_string())
                    )));
                }
            }
        }
        if rewrite {
            a.rewrite = Some(exprs);
            a.checks = self.checks(&a.new)?;
            a.not_null = (0..a.new.columns.len())
                .filter(|&i| !a.new.columns[i].nullable)
                .collect();
        } else {
            a.checks = self
                .checks(&a.new)?
                .into_iter()
                .filter(|(n, _)| new_checks.contains(n))
                .collect();
        }
        Ok(Plan::AlterTable(Box::new(a)))
    }

    /// Adds `def` to the new definition; returns the value existing rows get.
    fn add_column(
        &mut self,
        a: &mut Alteration,
        def: &ast::ColumnDef,
        new_checks: &mut Vec<String>,
    ) -> Result<Expr> {
        let serial = super::ddl::serial_type(&def.data_type);
        let mut column = Column {
            name: ident(&def.name),
            data_type: match &serial {
                Some(t) => t.clone(),
                None => self.resolve_type(&def.data_type)?,
            },
            nullable: true,
            default: None,
            identity: None,
        };
        let position = a.new.columns.len();
        let mut sequenced = serial.map(|_| (None, Vec::new()));
        for opt in &def.options {
            match &opt.option {
                ast::ColumnOption::Null => {}
                ast::ColumnOption::NotNull => column.nullable = false,
                ast::ColumnOption::Default(e) => column.default = Some(e.to_string()),
                ast::ColumnOption::PrimaryKey(_) => {
                    self.set_primary_key(a, vec![position])?;
                    column.nullable = false;
                }
                ast::ColumnOption::Unique(_) => {
                    let name = self.index_name(a, &format!("{}_{}_key", a.new.name, column.name));
                    a.new.indexes.push(Index {
                        oid: 0,
                        name,
                        columns: vec![position],
                        unique: true,
                        primary: false,
                    });
                }
                ast::ColumnOption::Check(c) => {
                    let name = format!("{}_{}_check", a.new.name, column.name);
                    new_checks.push(name.clone());
                    a.new.checks.push(Check {
                        name,
                        expr: c.expr.to_string(),
                    });
                }
                ast::ColumnOption::Generated {
                    generated_as,
                    sequence_options,
                    generation_expr: None,
                    ..
                } => {
                    let identity = match generated_as {
                        ast::GeneratedAs::Always => crate::catalog::Identity::Always,
                        ast::GeneratedAs::ByDefault => crate::catalog::Identity::ByDefault,
                        ast::GeneratedAs::ExpStored => {
                            return Err(Error::unsupported("generated columns"));
                        }
                    };
                    sequenced =
                        Some((Some(identity), sequence_options.clone().unwrap_or_default()));
                }
                other => return Err(Error::unsupported(format!("column option {other}"))),
            }
        }
        if let Some((identity, options)) = sequenced {
            let mut seq = self.column_sequence(&a.new, &mut column, identity, &options)?;
            if let Some(def) = &mut seq.sequence
                && let Some(owner) = &mut def.owned_by
            {
                owner.0 = a.old.oid;
            }
            a.sequences.push(seq);
        }
        let value = self.default_value(&column)?;
        a.new.columns.push(column);
        Ok(value)
    }

    /// Removes column `i` and what depends on it: indexes, CHECKs and foreign keys over it,
    /// the primary key if it is part of it, and sequences it owns. A column that other
    /// tables' foreign keys reference is 2BP01 unless `cascade` (which drops those keys).
    fn drop_column(&mut self, a: &mut Alteration, i: usize, cascade: bool) -> Result<()> {
        let name = a.new.columns[i].name.clone();
        a.new.columns.remove(i);
        let renumber = |cols: &mut Vec<usize>| {
            for c in cols.iter_mut() {
                if *c > i {
                    *c -= 1;
                }
            }
        };
        a.new.indexes.retain(|x| !x.columns.contains(&i));
        for index in &mut a.new.indexes {
            renumber(&mut index.columns);
        }
        if a.new.primary_key.as_ref().is_some_and(|pk| pk.contains(&i)) {
            a.new.primary_key = None;
        }
        if let Some(pk) = &mut a.new.primary_key {
            renumber(pk);
        }
        a.new.checks.retain(|c| !mentions(&c.expr, &name));
        let own = a.new.oid;
        a.new.foreign_keys.retain(|f| {
            !(f.columns.contains(&i) || (f.referenced == own && f.referenced_columns.contains(&i)))
        });
        for fk in &mut a.new.foreign_keys {
            renumber(&mut fk.columns);
            if fk.referenced == own {
                renumber(&mut fk.referenced_columns);
            }
        }
        for &child_oid in &a.old.referenced_by {
            if child_oid == own {
                continue;
            }
            let Some(mut child) = self.txn.table_by_oid(child_oid)? else {
                continue;
            };
            if let Some(fk) = child
                .foreign_keys
                .iter()
                .find(|f| f.referenced == own && f.referenced_columns.contains(&i))
                && !cascade
            {
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!(
                        "cannot drop column {name} of table {} because other objects depend on it",
                        a.new.name
                    ),
                )
                .with_detail(format!(
                    "constraint {} on table {} depends on column {name} of table {}",
                    fk.name, child.name, a.new.name
                ))
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            child
                .foreign_keys
                .retain(|f| !(f.referenced == own && f.referenced_columns.contains(&i)));
            for fk in &mut child.foreign_keys {
                if fk.referenced == own {
                    renumber(&mut fk.referenced_columns);
                }
            }
            a.redefine.retain(|t| t.oid != child.oid);
            a.redefine.push(child);
        }
        for seq in self.owned_sequences(a.old.oid, Some(&name))? {
            a.drop.push(seq);
        }
        Ok(())
    }

    fn add_constraint(
        &mut self,
        a: &mut Alteration,
        constraint: &ast::TableConstraint,
        new_checks: &mut Vec<String>,
    ) -> Result<()> {
        let columns = |cols: &[ast::IndexColumn], table: &Table| -> Result<Vec<usize>> {
            cols.iter()
                .map(|c| match &c.column.expr {
                    ast::Expr::Identifier(i) => {
                        let n = ident(i);
                        table.column_index(&n).ok_or_else(|| {
                            Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!("column \"{n}\" named in key does not exist"),
                            )
                        })
                    }
                    other => Err(Error::unsupported(format!(
                        "constraint on expression {other}"
                    ))),
                })
                .collect()
        };
        match constraint {
            ast::TableConstraint::Check(c) => {
                let name = match &c.name {
                    Some(n) => ident(n),
                    None => {
                        let mut n = format!("{}_check", a.new.name);
                        let mut k = 0;
                        while a.new.checks.iter().any(|c| c.name == n) {
                            k += 1;
                            n = format!("{}_check{k}", a.new.name);
                        }
                        n
                    }
                };
                if a.new.checks.iter().any(|c| c.name == name) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_OBJECT,
                        format!(
                            "constraint \"{name}\" for relation \"{}\" already exists",
                            a.new.name
                        ),
                    ));
                }
                new_checks.push(name.clone());
                a.new.checks.push(Check {
                    name,
                    expr: c.expr.to_string(),
                });
            }
            ast::TableConstraint::Unique(u) => {
                let cols = columns(&u.columns, &a.new)?;
                let names: Vec<&str> = cols
                    .iter()
                    .map(|&c| a.new.columns[c].name.as_str())
                    .collect();
                let name = match &u.name {
                    Some(n) => ident(n),
                    None => self.index_name(a, &format!("{}_{}_key", a.new.name, names.join("_"))),
                };
                a.new.indexes.push(Index {
                    oid: 0,
                    name,
                    columns: cols,
                    unique: true,
                    primary: false,
                });
            }
            ast::TableConstraint::ForeignKey(fk) => {
                let cols = fk
                    .columns
                    .iter()
                    .map(|c| {
                        let n = ident(c);
                        a.new.column_index(&n).ok_or_else(|| {
                            Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!("column \"{n}\" referenced in foreign key constraint does not exist"),
                            )
                        })
                    })
                    .collect::<Result<Vec<usize>>>()?;
                let bound = self.foreign_key(&a.new, fk.name.as_ref().map(ident), cols, fk)?;
                a.foreign_keys.push(bound);
            }
            ast::TableConstraint::PrimaryKey(pk) => {
                let cols = columns(&pk.columns, &a.new)?;
                for &c in &cols {
                    if a.new.columns[c].nullable {
                        a.new.columns[c].nullable = false;
                        a.not_null.push(c);
                    }
                }
                self.set_primary_key(a, cols)?;
            }
            other => {
                return Err(Error::unsupported(format!(
                    "ALTER TABLE ADD {}",
                    super::first_words(&other.to_string())
                )));
            }
        }
        Ok(())
    }

    fn set_primary_key(&mut self, a: &mut Alteration, cols: Vec<usize>) -> Result<()> {
        if a.new.primary_key.is_some() {
            return Err(Error::new(
                SqlState::INVALID_TABLE_DEFINITION,
                format!(
                    "multiple primary keys for table \"{}\" are not allowed",
                    a.new.name
                ),
            ));
        }
        a.new.primary_key = Some(cols);
        Ok(())
    }

    /// `base`, or `base1`, ...: a name no index of the table has.
    fn index_name(&self, a: &Alteration, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 0;
        while a.new.indexes.iter().any(|i| i.name == name) {
            n += 1;
            name = format!("{base}{n}");
        }
        name
    }

    /// The sequences owned by table `oid` (by its column `column`, if given).
    pub(super) fn owned_sequences(&mut self, oid: u32, column: Option<&str>) -> Result<Vec<Table>> {
        Ok(self
            .txn
            .tables()?
            .into_iter()
            .filter(|t| {
                t.sequence
                    .as_ref()
                    .and_then(|s| s.owned_by.as_ref())
                    .is_some_and(|(o, c)| *o == oid && column.is_none_or(|col| col == c))
            })
            .collect())
    }
}
