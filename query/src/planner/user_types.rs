//! User-defined types: resolving type names written in statements, and `CREATE TYPE ... AS
//! ENUM`, `ALTER TYPE` and `DROP TYPE`.

use std::sync::Arc;

use anchor_grammar::ast;

use super::{Plan, Planner, object_name};
use crate::catalog::Table;
use crate::error::{Error, Result, SqlState};
use crate::types::enums::LabelPosition;
use crate::types::{DataType, EnumType};

/// What `ALTER TYPE` does to an enum.
#[derive(Clone, Debug)]
pub enum TypeChange {
    /// `ADD VALUE [IF NOT EXISTS] 'label' [BEFORE | AFTER 'label']`.
    AddValue {
        /// The new label.
        label: String,
        /// Where it goes.
        position: LabelPosition,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// `RENAME VALUE 'from' TO 'to'`.
    RenameValue {
        /// The existing label.
        from: String,
        /// Its new text.
        to: String,
    },
    /// `RENAME TO name`.
    Rename(String),
    /// `SET SCHEMA schema`.
    SetSchema(String),
}

/// True if `t` is, or is an array of, the enum type `oid`.
pub(crate) fn uses_type(t: &DataType, oid: u32) -> bool {
    match t {
        DataType::Enum(e) => e.oid == oid,
        DataType::Array(elem) => uses_type(elem, oid),
        _ => false,
    }
}

/// `t` with every use of `ty` (by OID) replaced by `ty`: a table's column types after
/// `ALTER TYPE`.
pub(crate) fn with_type(t: &DataType, ty: &Arc<EnumType>) -> DataType {
    match t {
        DataType::Enum(e) if e.oid == ty.oid => DataType::Enum(Arc::clone(ty)),
        DataType::Array(elem) => DataType::Array(Box::new(with_type(elem, ty))),
        other => other.clone(),
    }
}

/// The tables with a column of type `oid` (or an array of it), and those columns' names.
pub(crate) fn dependents(tables: &[Table], oid: u32) -> Vec<(&Table, Vec<&str>)> {
    tables
        .iter()
        .filter(|t| t.view.is_none())
        .filter_map(|t| {
            let columns: Vec<&str> = t
                .columns
                .iter()
                .filter(|c| uses_type(&c.data_type, oid))
                .map(|c| c.name.as_str())
                .collect();
            (!columns.is_empty()).then_some((t, columns))
        })
        .collect()
}

fn label_text(i: &ast::Ident) -> String {
    // Labels are string literals; sqlparser hands them over as identifiers.
    i.value.clone()
}

impl Planner<'_> {
    /// The type written in a statement, user-defined types included.
    pub(super) fn resolve_type(&mut self, t: &ast::DataType) -> Result<DataType> {
        DataType::from_sql_with(t, &mut |name| {
            Ok(self
                .find_user_type(name)?
                .map(|ty| DataType::Enum(Arc::new(ty))))
        })
    }

    /// The user-defined type `name` (qualified, or looked up along the search path).
    pub(super) fn find_user_type(&mut self, name: &ast::ObjectName) -> Result<Option<EnumType>> {
        let qualified = name.0.len() > 1;
        let (schema, name) = object_name(name)?;
        let schemas = if qualified {
            self.check_schema(&schema)?;
            vec![schema]
        } else {
            self.search_path.clone()
        };
        for schema in &schemas {
            if let Some(ty) = self.txn.user_type(schema, &name)? {
                return Ok(Some(ty));
            }
        }
        Ok(None)
    }

    fn existing_type(&mut self, name: &ast::ObjectName) -> Result<EnumType> {
        self.find_user_type(name)?.ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("type \"{name}\" does not exist"),
            )
        })
    }

    /// `CREATE TYPE name AS ENUM (...)`.
    pub(super) fn create_type(
        &mut self,
        name: &ast::ObjectName,
        representation: Option<&ast::UserDefinedTypeRepresentation>,
    ) -> Result<Plan> {
        let labels: Vec<String> = match representation {
            Some(ast::UserDefinedTypeRepresentation::Enum { labels }) => {
                labels.iter().map(label_text).collect()
            }
            Some(ast::UserDefinedTypeRepresentation::Composite { .. }) => {
                return Err(Error::unsupported(
                    "composite types (CREATE TYPE ... AS (...))",
                ));
            }
            Some(ast::UserDefinedTypeRepresentation::Range { .. }) => {
                return Err(Error::unsupported("range types (CREATE TYPE ... AS RANGE)"));
            }
            Some(ast::UserDefinedTypeRepresentation::SqlDefinition { .. }) | None => {
                return Err(Error::unsupported(
                    "base and shell types (CREATE TYPE without AS)",
                ));
            }
        };
        let (schema, type_name) = self.creation_name(name)?;
        let exists = self.txn.user_type(&schema, &type_name)?.is_some()
            || self.txn.table(&schema, &type_name)?.is_some();
        if exists {
            return Err(Error::new(
                SqlState::DUPLICATE_OBJECT,
                format!("type \"{type_name}\" already exists"),
            ));
        }
        let ty = EnumType::new(0, 0, &schema, &type_name, &labels)?;
        Ok(Plan::CreateType(ty))
    }

    /// `ALTER TYPE name ...`.
    pub(super) fn alter_type(&mut self, alter: &ast::AlterType) -> Result<Plan> {
        let ty = self.existing_type(&alter.name)?;
        let change = match &alter.operation {
            ast::AlterTypeOperation::AddValue(add) => TypeChange::AddValue {
                label: label_text(&add.value),
                position: match &add.position {
                    None => LabelPosition::Last,
                    Some(ast::AlterTypeAddValuePosition::Before(l)) => {
                        LabelPosition::Before(label_text(l))
                    }
                    Some(ast::AlterTypeAddValuePosition::After(l)) => {
                        LabelPosition::After(label_text(l))
                    }
                },
                if_not_exists: add.if_not_exists,
            },
            ast::AlterTypeOperation::RenameValue(r) => TypeChange::RenameValue {
                from: label_text(&r.from),
                to: label_text(&r.to),
            },
            ast::AlterTypeOperation::Rename(r) => {
                let to = super::ident(&r.new_name);
                if self.txn.user_type(&ty.schema, &to)?.is_some()
                    || self.txn.table(&ty.schema, &to)?.is_some()
                {
                    return Err(Error::new(
                        SqlState::DUPLICATE_OBJECT,
                        format!("type \"{to}\" already exists"),
                    ));
                }
                TypeChange::Rename(to)
            }
        };
        Ok(Plan::AlterType { ty, change })
    }

    /// `DROP TYPE [IF EXISTS] names [CASCADE | RESTRICT]`.
    pub(super) fn drop_types(
        &mut self,
        names: &[ast::ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Plan> {
        let mut types = Vec::new();
        let tables = self.txn.tables()?;
        for name in names {
            let Some(ty) = self.find_user_type(name)? else {
                if if_exists {
                    continue;
                }
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!("type \"{}\" does not exist", object_name(name)?.1),
                ));
            };
            if let Some((table, columns)) = dependents(&tables, ty.oid).first() {
                if cascade {
                    return Err(Error::unsupported(format!(
                        "DROP TYPE ... CASCADE of a type used by a column (drop column {} of table {} first)",
                        columns[0], table.name
                    )));
                }
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!(
                        "cannot drop type {} because other objects depend on it",
                        ty.name
                    ),
                )
                .with_detail(format!(
                    "column {} of table {} depends on type {}",
                    columns[0], table.name, ty.name
                ))
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            types.push(ty);
        }
        Ok(Plan::DropType(types))
    }
}
