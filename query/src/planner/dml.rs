//! Binding the parts of INSERT, UPDATE and DELETE beyond their basic form: RETURNING,
//! ON CONFLICT, UPDATE ... FROM and DELETE ... USING; and FOREIGN KEY constraints.

use anchor_grammar::ast;

use super::{Planner, Scope, bool_type, column_name, has_aggregate, ident, object_name};
use crate::catalog::{ForeignKey, ReferentialAction, Table};
use crate::dml::{ConflictUpdate, OnConflict, Returning};
use crate::error::{Error, Result, SqlState};
use crate::plan::Node;
use crate::types::{CoercionContext, DataType, can_coerce};

/// The scope of INSERT's target: its columns, qualified by its alias or else its name.
pub(super) fn insert_scope(table: &Table, alias: Option<&ast::TableAliasWithoutColumns>) -> Scope {
    let mut scope = Scope::of_table(table, None);
    if let Some(a) = alias {
        let q = ident(&a.alias);
        for c in &mut scope.columns {
            c.qualifier = Some(q.clone());
        }
    }
    scope
}

impl Planner<'_> {
    /// RETURNING's select list over `scope` (the written row, then any joined tables).
    pub(super) fn returning(
        &mut self,
        items: Option<&[ast::SelectItem]>,
        scope: &Scope,
    ) -> Result<Option<Returning>> {
        let Some(items) = items else {
            return Ok(None);
        };
        let mut list: Vec<(ast::Expr, String)> = Vec::new();
        for item in items {
            match item {
                ast::SelectItem::UnnamedExpr(e) => list.push((e.clone(), column_name(e))),
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    list.push((expr.clone(), ident(alias)))
                }
                ast::SelectItem::Wildcard(_) => list.extend(scope.wildcard()),
                ast::SelectItem::QualifiedWildcard(
                    ast::SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => list.extend(scope.qualified_wildcard(&object_name(n)?.1)?),
                other => return Err(Error::unsupported(format!("RETURNING item {other}"))),
            }
        }
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (e, name) in list {
            if has_aggregate(&e) {
                return Err(Error::new(
                    SqlState::GROUPING_ERROR,
                    "aggregate functions are not allowed in RETURNING",
                ));
            }
            let (e, t) = self.expr(&e, scope, None)?;
            exprs.push(e);
            // What is still untyped is text, as in PostgreSQL.
            columns.push((
                name,
                if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                },
            ));
        }
        Ok(Some(Returning { exprs, columns }))
    }

    /// The FROM list of UPDATE ... FROM or DELETE ... USING, planned and joined after the
    /// target's scope: (its node, the combined scope).
    pub(super) fn joined_scope(
        &mut self,
        target: &Scope,
        from: &[ast::TableWithJoins],
    ) -> Result<(Node, Scope)> {
        let (node, scope) = self.from(from)?;
        if let Some(q) = target.columns.first().and_then(|c| c.qualifier.as_deref())
            && scope
                .columns
                .iter()
                .any(|c| c.qualifier.as_deref() == Some(q))
        {
            return Err(Error::new(
                SqlState::DUPLICATE_ALIAS,
                format!("table name \"{q}\" specified more than once"),
            ));
        }
        Ok((self.optimized(node), target.join(&scope)))
    }

    /// INSERT's ON CONFLICT clause for `table`, whose row `scope` describes.
    pub(super) fn on_conflict(
        &mut self,
        table: &Table,
        scope: &Scope,
        on: &ast::OnInsert,
    ) -> Result<OnConflict> {
        let ast::OnInsert::OnConflict(oc) = on else {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "syntax error at or near \"ON DUPLICATE\"",
            ));
        };
        // The unique constraints: (name, columns).
        let mut uniques: Vec<(String, Vec<usize>)> = Vec::new();
        if let Some(pk) = &table.primary_key {
            uniques.push((format!("{}_pkey", table.name), pk.clone()));
        }
        for index in table.indexes.iter().filter(|i| i.unique && !i.primary) {
            uniques.push((index.name.clone(), index.columns.clone()));
        }
        let do_update = matches!(oc.action, ast::OnConflictAction::DoUpdate(_));
        let arbiters: Vec<Vec<usize>> = match &oc.conflict_target {
            None if do_update => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                )
                .with_hint("For example, ON CONFLICT (column_name)."));
            }
            None => uniques.into_iter().map(|(_, c)| c).collect(),
            Some(ast::ConflictTarget::Columns(cols)) => {
                let mut wanted = Vec::new();
                for c in cols {
                    let n = ident(c);
                    wanted.push(table.column_index(&n).ok_or_else(|| {
                        Error::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!("column \"{n}\" does not exist"),
                        )
                    })?);
                }
                let matching: Vec<Vec<usize>> = uniques
                    .into_iter()
                    .map(|(_, c)| c)
                    .filter(|c| {
                        c.iter().all(|x| wanted.contains(x)) && wanted.iter().all(|x| c.contains(x))
                    })
                    .collect();
                if matching.is_empty() {
                    return Err(Error::new(
                        SqlState::INVALID_COLUMN_REFERENCE,
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                    ));
                }
                matching
            }
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                let name = object_name(name)?.1;
                match uniques.into_iter().find(|(n, _)| *n == name) {
                    Some((_, c)) => vec![c],
                    None => {
                        return Err(Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!(
                                "constraint \"{name}\" for table \"{}\" does not exist",
                                table.name
                            ),
                        ));
                    }
                }
            }
        };
        let update = match &oc.action {
            ast::OnConflictAction::DoNothing => None,
            ast::OnConflictAction::DoUpdate(du) => {
                // EXCLUDED, the proposed row, follows the existing row: an unqualified name
                // both have is ambiguous, as in PostgreSQL.
                let mut excluded = Scope::of_table(table, None);
                for c in &mut excluded.columns {
                    c.qualifier = Some("excluded".into());
                }
                Some(self.conflict_update(table, &scope.join(&excluded), du)?)
            }
        };
        Ok(OnConflict { arbiters, update })
    }

    fn conflict_update(
        &mut self,
        table: &Table,
        scope: &Scope,
        du: &ast::DoUpdate,
    ) -> Result<ConflictUpdate> {
        let assignments = self.set_assignments(table, scope, &du.assignments)?;
        let filter = match &du.selection {
            Some(s) => {
                let (e, t) = self.expr(s, scope, None)?;
                Some(bool_type(&e, &t, "WHERE")?)
            }
            None => None,
        };
        Ok(ConflictUpdate {
            assignments,
            filter,
        })
    }

    /// The positions of a FOREIGN KEY's referencing columns in `table`.
    pub(super) fn foreign_key_columns(
        &mut self,
        table: &Table,
        columns: &[ast::Ident],
    ) -> Result<Vec<usize>> {
        columns
            .iter()
            .map(|c| {
                let n = ident(c);
                table.column_index(&n).ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_COLUMN,
                        format!(
                            "column \"{n}\" referenced in foreign key constraint does not exist"
                        ),
                    )
                })
            })
            .collect()
    }

    /// Binds a FOREIGN KEY constraint of `table` (whose referencing columns are `columns`):
    /// the referenced table must exist, its columns (its primary key when none are named,
    /// 42704 without one) must be its primary key or have a unique index (42830), and each pair of columns
    /// must be comparable (42804). A table not yet created may reference itself (the
    /// constraint then names object id 0). `ALTER TABLE ... ADD CONSTRAINT` binds with this
    /// and adds with [`crate::foreign_key::add_foreign_key`].
    pub(crate) fn foreign_key(
        &mut self,
        table: &Table,
        name: Option<String>,
        columns: Vec<usize>,
        fk: &ast::ForeignKeyConstraint,
    ) -> Result<ForeignKey> {
        if let Some(kind) = &fk.match_kind
            && !matches!(kind, ast::ConstraintReferenceMatchKind::Simple)
        {
            return Err(Error::unsupported(format!("MATCH {kind}")));
        }
        if let Some(c) = &fk.characteristics
            && (c.deferrable == Some(true)
                || c.initially == Some(ast::DeferrableInitial::Deferred)
                || c.enforced.is_some())
        {
            return Err(Error::unsupported(format!("foreign key {c}")));
        }
        let qualified = fk.foreign_table.0.len() > 1;
        let (schema, parent_name) = object_name(&fk.foreign_table)?;
        let parent = if (!qualified || schema == table.schema) && parent_name == table.name {
            table.clone()
        } else {
            let parent = self.table(&fk.foreign_table)?;
            if parent.view.is_some() {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("referenced relation \"{}\" is not a table", parent.name),
                ));
            }
            parent
        };
        let referenced: Vec<usize> = if fk.referred_columns.is_empty() {
            parent.primary_key.clone().ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!(
                        "there is no primary key for referenced table \"{}\"",
                        parent.name
                    ),
                )
            })?
        } else {
            self.foreign_key_columns(&parent, &fk.referred_columns)?
        };
        if referenced.len() != columns.len() {
            return Err(Error::new(
                SqlState::INVALID_FOREIGN_KEY,
                "number of referencing and referenced columns for foreign key disagree",
            ));
        }
        let same_set =
            |c: &[usize]| c.len() == referenced.len() && c.iter().all(|x| referenced.contains(x));
        let unique = parent.primary_key.as_deref().is_some_and(same_set)
            || parent
                .indexes
                .iter()
                .any(|i| i.unique && same_set(&i.columns));
        if !unique {
            return Err(Error::new(
                SqlState::INVALID_FOREIGN_KEY,
                format!(
                    "there is no unique constraint matching given keys for referenced table \"{}\"",
                    parent.name
                ),
            ));
        }
        let name = name.unwrap_or_else(|| {
            let names: Vec<&str> = columns
                .iter()
                .map(|&c| table.columns[c].name.as_str())
                .collect();
            let base = format!("{}_{}_fkey", table.name, names.join("_"));
            let mut candidate = base.clone();
            let mut n = 0;
            while table.foreign_keys.iter().any(|f| f.name == candidate) {
                n += 1;
                candidate = format!("{base}{n}");
            }
            candidate
        });
        for (&c, &r) in columns.iter().zip(&referenced) {
            let (ct, rt) = (&table.columns[c].data_type, &parent.columns[r].data_type);
            if !comparable(ct, rt) {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!("foreign key constraint \"{name}\" cannot be implemented"),
                )
                .with_detail(format!(
                    "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                    table.columns[c].name,
                    parent.columns[r].name,
                    ct.name(),
                    rt.name()
                )));
            }
        }
        Ok(ForeignKey {
            name,
            columns,
            referenced: parent.oid,
            referenced_columns: referenced,
            on_delete: action(fk.on_delete.as_ref()),
            on_update: action(fk.on_update.as_ref()),
        })
    }
}

/// True if a referencing column of type `child` can be compared with a referenced column of
/// type `parent`: the same type up to modifiers, two integer or two string types, or a child
/// type that converts to the parent's implicitly.
fn comparable(child: &DataType, parent: &DataType) -> bool {
    std::mem::discriminant(child) == std::mem::discriminant(parent)
        || (child.is_integer() && parent.is_integer())
        || (child.is_string() && parent.is_string())
        || can_coerce(child, parent, CoercionContext::Implicit)
}

fn action(a: Option<&ast::ReferentialAction>) -> ReferentialAction {
    match a {
        None | Some(ast::ReferentialAction::NoAction) => ReferentialAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => ReferentialAction::SetDefault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparable_types() {
        assert!(comparable(&DataType::Int8, &DataType::Int4));
        assert!(comparable(&DataType::Varchar(Some(3)), &DataType::Text));
        assert!(!comparable(&DataType::Text, &DataType::Int4));
        assert!(!comparable(&DataType::Bool, &DataType::Int4));
    }
}
