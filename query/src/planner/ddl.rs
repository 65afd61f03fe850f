//! Planning sequences: `CREATE SEQUENCE`, the sequences behind `SERIAL` and identity
//! columns, and `DEFAULT` in `INSERT ... VALUES`.
//!
//! A sequence is a relation in the catalog (a [`Table`] whose `sequence` is set), so it
//! shares the tables' namespace and object ids, as in PostgreSQL. A `SERIAL` column is an
//! integer column, NOT NULL, whose default is `nextval('<table>_<column>_seq')`, with the
//! sequence owned by the column; an identity column is the same plus the rule that decides
//! whether an explicit value is allowed.

use anchor_grammar::ast;

use super::{Planner, object_name};
use crate::catalog::{Column, Identity, Sequence, Table};
use crate::error::{Error, Result, SqlState};
use crate::functions::string::quote_ident;
use crate::plan::{Expr, Node};
use crate::types::{DataType, Value};

use super::Plan;

/// The integer type of a `SERIAL` spelling.
pub(super) fn serial_type(t: &ast::DataType) -> Option<DataType> {
    match t.to_string().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some(DataType::Int4),
        "bigserial" | "serial8" => Some(DataType::Int8),
        "smallserial" | "serial2" => Some(DataType::Int2),
        _ => None,
    }
}

/// The bounds of a sequence's type.
fn type_bounds(t: &DataType) -> (i64, i64) {
    match t {
        DataType::Int2 => (i16::MIN.into(), i16::MAX.into()),
        DataType::Int4 => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

/// An integer option value (`INCREMENT BY -2`).
fn option_value(e: &ast::Expr) -> Result<i64> {
    let bad = || {
        Error::new(
            SqlState::SYNTAX_ERROR,
            format!("invalid sequence option value {e}"),
        )
    };
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().map_err(|_| bad()),
            _ => Err(bad()),
        },
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => option_value(expr)?.checked_neg().ok_or_else(bad),
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Plus,
            expr,
        } => option_value(expr),
        _ => Err(bad()),
    }
}

/// A sequence's parameters from its options, with PostgreSQL's defaults and checks.
pub(super) fn sequence(
    data_type: Option<&ast::DataType>,
    options: &[ast::SequenceOptions],
) -> Result<Sequence> {
    sequence_from(None, data_type, options)
}

/// A sequence's parameters from its options over `base` (ALTER SEQUENCE) or PostgreSQL's
/// defaults (CREATE SEQUENCE), with PostgreSQL's checks. A bound at its type's limit follows
/// a change of type, as in PostgreSQL.
pub(super) fn sequence_from(
    base: Option<&Sequence>,
    data_type: Option<&ast::DataType>,
    options: &[ast::SequenceOptions],
) -> Result<Sequence> {
    let data_type = match data_type {
        None => base.map_or(DataType::Int8, |b| b.data_type.clone()),
        Some(t) => match DataType::from_sql(t)? {
            t @ (DataType::Int2 | DataType::Int4 | DataType::Int8) => t,
            _ => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "sequence type must be smallint, integer, or bigint",
                ));
            }
        },
    };
    let (mut increment, mut min, mut max, mut start, mut cache, mut cycle) =
        (1, None, None, None, 1, false);
    if let Some(b) = base {
        let (old_low, old_high) = type_bounds(&b.data_type);
        let retyped = b.data_type != data_type;
        increment = b.increment;
        min = (!retyped || b.min != old_low).then_some(b.min);
        max = (!retyped || b.max != old_high).then_some(b.max);
        start = Some(b.start);
        cache = b.cache;
        cycle = b.cycle;
    }
    for option in options {
        match option {
            ast::SequenceOptions::IncrementBy(e, _) => increment = option_value(e)?,
            ast::SequenceOptions::MinValue(e) => min = e.as_ref().map(option_value).transpose()?,
            ast::SequenceOptions::MaxValue(e) => max = e.as_ref().map(option_value).transpose()?,
            ast::SequenceOptions::StartWith(e, _) => start = Some(option_value(e)?),
            ast::SequenceOptions::Cache(e) => cache = option_value(e)?,
            ast::SequenceOptions::Cycle(no) => cycle = !*no,
        }
    }
    if increment == 0 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "INCREMENT must not be zero",
        ));
    }
    let (low, high) = type_bounds(&data_type);
    let min = min.unwrap_or(if increment > 0 { 1 } else { low });
    let max = max.unwrap_or(if increment > 0 { high } else { -1 });
    let type_name = data_type.name();
    for (what, v) in [("MINVALUE", min), ("MAXVALUE", max)] {
        if v < low || v > high {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("{what} ({v}) is out of range for sequence data type {type_name}"),
            ));
        }
    }
    if min >= max {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("MINVALUE ({min}) must be less than MAXVALUE ({max})"),
        ));
    }
    let start = start.unwrap_or(if increment > 0 { min } else { max });
    if start < min {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("START value ({start}) cannot be less than MINVALUE ({min})"),
        ));
    }
    if start > max {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("START value ({start}) cannot be greater than MAXVALUE ({max})"),
        ));
    }
    if cache < 1 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("CACHE ({cache}) must be greater than zero"),
        ));
    }
    Ok(Sequence {
        data_type,
        increment,
        min,
        max,
        start,
        cache,
        cycle,
        owned_by: base.and_then(|b| b.owned_by.clone()),
    })
}

/// The columns `SELECT * FROM seq` shows.
pub(super) fn sequence_columns() -> Vec<Column> {
    [
        ("last_value", DataType::Int8),
        ("log_cnt", DataType::Int8),
        ("is_called", DataType::Bool),
    ]
    .into_iter()
    .map(|(name, data_type)| Column {
        name: name.into(),
        data_type,
        nullable: false,
        default: None,
        identity: None,
    })
    .collect()
}

/// A relation for sequence `name` in `schema` (oid 0: assigned when executed).
pub(super) fn sequence_table(schema: &str, name: &str, sequence: Sequence) -> Table {
    Table {
        schema: schema.into(),
        name: name.into(),
        columns: sequence_columns(),
        sequence: Some(Box::new(sequence)),
        ..Table::default()
    }
}

/// The default of a column fed by sequence `seq` of `schema`: qualified unless the schema is
/// `public`, so that it finds the sequence whatever the search path.
pub(super) fn nextval_default(schema: &str, seq: &str) -> String {
    let name = if schema == crate::catalog::DEFAULT_SCHEMA {
        quote_ident(seq)
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(seq))
    };
    format!("nextval('{}')", name.replace('\'', "''"))
}

/// True for the keyword `DEFAULT` where a value goes.
pub(super) fn is_default(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"))
}

/// `source` with each `DEFAULT` of its VALUES rows replaced by the default expression of
/// the column it goes to (`NULL` without one), each parameter of undeclared type given the
/// type of its column (as PostgreSQL infers it), and the check that GENERATED ALWAYS
/// identity columns get no explicit value (428C9). `targets` are the table columns the
/// source's columns go to, in order; `declared` the declared parameter types. `overriding` is
/// `OVERRIDING SYSTEM VALUE` (`Some(true)`: identity columns take explicit values) or
/// `OVERRIDING USER VALUE` (`Some(false)`: identity columns ignore them).
pub(super) fn substitute_defaults(
    table: &Table,
    targets: &[usize],
    source: &ast::Query,
    declared: &[DataType],
    overriding: Option<bool>,
) -> Result<Option<ast::Query>> {
    let untyped_param = |e: &ast::Expr| match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Placeholder(p) => p
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .and_then(|n| n.checked_sub(1))
                .is_some_and(|i| declared.get(i).is_none_or(|t| *t == DataType::Unknown)),
            _ => false,
        },
        _ => false,
    };
    let always =
        |i: usize| table.columns[i].identity == Some(Identity::Always) && overriding != Some(true);
    let ignored = |i: usize| table.columns[i].identity.is_some() && overriding == Some(false);
    let ast::SetExpr::Values(values) = source.body.as_ref() else {
        if targets.iter().any(|&i| ignored(i)) {
            return Err(Error::unsupported(
                "OVERRIDING USER VALUE with a query (use VALUES)",
            ));
        }
        if let Some(&i) = targets.iter().find(|&&i| always(i)) {
            return Err(explicit_identity(table, i));
        }
        return Ok(None);
    };
    if !values
        .rows
        .iter()
        .flat_map(|r| &r.content)
        .any(|e| is_default(e) || untyped_param(e))
        && !targets.iter().any(|&i| always(i) || ignored(i))
    {
        return Ok(None);
    }
    let mut source = source.clone();
    let ast::SetExpr::Values(values) = source.body.as_mut() else {
        return Ok(None);
    };
    for row in &mut values.rows {
        for (cell, &column) in row.content.iter_mut().zip(targets) {
            if !is_default(cell) && !ignored(column) {
                if always(column) {
                    return Err(explicit_identity(table, column));
                }
                if untyped_param(cell) {
                    let t = table.columns[column].data_type.without_typmod();
                    *cell = super::parse_expr(&format!("{cell}::{}", t.sql_name()))?;
                }
                continue;
            }
            *cell = match &table.columns[column].default {
                Some(sql) => super::parse_expr(sql)?,
                None => ast::Expr::Value(ast::Value::Null.into()),
            };
        }
    }
    Ok(Some(source))
}

fn explicit_identity(table: &Table, column: usize) -> Error {
    let name = &table.columns[column].name;
    Error::new(
        SqlState::GENERATED_ALWAYS,
        format!("cannot insert a non-DEFAULT value into column \"{name}\""),
    )
    .with_detail(format!(
        "Column \"{name}\" is an identity column defined as GENERATED ALWAYS."
    ))
    .with_hint("Use OVERRIDING SYSTEM VALUE to override.")
}

/// The check that UPDATE sets a GENERATED ALWAYS identity column only to DEFAULT.
pub(super) fn check_identity_update(table: &Table, column: usize, value: &ast::Expr) -> Result<()> {
    if table.columns[column].identity == Some(Identity::Always) && !is_default(value) {
        return Err(Error::new(
            SqlState::GENERATED_ALWAYS,
            format!(
                "column \"{}\" can only be updated to DEFAULT",
                table.columns[column].name
            ),
        )
        .with_detail(format!(
            "Column \"{}\" is an identity column defined as GENERATED ALWAYS.",
            table.columns[column].name
        )));
    }
    Ok(())
}

impl Planner<'_> {
    /// `CREATE SEQUENCE`.
    pub(super) fn create_sequence(
        &mut self,
        name: &ast::ObjectName,
        if_not_exists: bool,
        temporary: bool,
        data_type: Option<&ast::DataType>,
        options: &[ast::SequenceOptions],
        owned_by: Option<&ast::ObjectName>,
    ) -> Result<Plan> {
        if temporary {
            return Err(Error::unsupported("temporary sequences"));
        }
        let (schema, seq_name) = self.creation_name(name)?;
        let mut def = sequence(data_type, options)?;
        if let Some(owner) = owned_by
            && !(owner.0.len() == 1 && owner.to_string().eq_ignore_ascii_case("none"))
        {
            def.owned_by = Some(self.sequence_owner(owner)?);
        }
        Ok(Plan::CreateSequence {
            sequence: sequence_table(&schema, &seq_name, def),
            if_not_exists,
        })
    }

    /// The column of `OWNED BY table.column`: the table's oid and the column's name.
    pub(super) fn sequence_owner(&mut self, owner: &ast::ObjectName) -> Result<(u32, String)> {
        let parts = &owner.0;
        if parts.len() < 2 {
            return Err(
                Error::new(SqlState::SYNTAX_ERROR, "invalid OWNED BY option")
                    .with_hint("Specify OWNED BY table.column or OWNED BY NONE."),
            );
        }
        let table_name = ast::ObjectName(parts[..parts.len() - 1].to_vec());
        let column = match parts[parts.len() - 1].as_ident() {
            Some(i) => super::ident(i),
            None => parts[parts.len() - 1].to_string(),
        };
        let table = self.table(&table_name)?;
        if table.column_index(&column).is_none() {
            return Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!(
                    "column \"{column}\" of relation \"{}\" does not exist",
                    table.name
                ),
            ));
        }
        Ok((table.oid, column))
    }

    /// `SELECT ... FROM seq`: one row with the sequence's state, read when the statement
    /// runs (a prepared statement's plan outlives one execution).
    pub(super) fn sequence_scan(&mut self, table: &Table) -> Result<Node> {
        let state = |field: bool| {
            Expr::Function(
                crate::sysfuncs::SEQUENCE_STATE.into(),
                vec![
                    Expr::Literal(Value::Int8(table.oid.into())),
                    Expr::Literal(Value::Bool(field)),
                ],
            )
        };
        Ok(Node::Values {
            rows: vec![vec![
                state(false),
                Expr::Literal(Value::Int8(0)),
                state(true),
            ]],
        })
    }

    /// The sequence a `SERIAL` or identity column of `table` needs (created with the
    /// table); sets the column's default and NOT NULL.
    pub(super) fn column_sequence(
        &mut self,
        table: &Table,
        column: &mut Column,
        identity: Option<Identity>,
        options: &[ast::SequenceOptions],
    ) -> Result<Table> {
        let seq_name =
            self.free_relation_name(table, &format!("{}_{}_seq", table.name, column.name))?;
        let ty = match &column.data_type {
            t @ (DataType::Int2 | DataType::Int4 | DataType::Int8) => t.clone(),
            other => {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "identity column type must be smallint, integer, or bigint, not {}",
                        other.name()
                    ),
                ));
            }
        };
        let type_name = ast::DataType::Custom(
            ast::ObjectName::from(vec![ast::Ident::new(ty.name())]),
            Vec::new(),
        );
        let mut def = sequence(Some(&type_name), options)?;
        def.owned_by = Some((0, column.name.clone()));
        column.default = Some(nextval_default(&table.schema, &seq_name));
        column.nullable = false;
        column.identity = identity;
        Ok(sequence_table(&table.schema, &seq_name, def))
    }

    /// `base`, or `base1`, `base2`, ... : the first name no relation of `table`'s schema has.
    fn free_relation_name(&mut self, table: &Table, base: &str) -> Result<String> {
        let mut name = base.to_string();
        let mut n = 0;
        while self.txn.table(&table.schema, &name)?.is_some() {
            n += 1;
            name = format!("{base}{n}");
        }
        Ok(name)
    }

    /// Fails unless `schema` exists (3F000).
    pub(super) fn check_schema(&mut self, schema: &str) -> Result<()> {
        if !self.txn.schemas()?.iter().any(|(_, n)| n == schema) {
            return Err(Error::new(
                SqlState::INVALID_SCHEMA_NAME,
                format!("schema \"{schema}\" does not exist"),
            ));
        }
        Ok(())
    }

    /// The schema and name of a relation being created: its own schema if qualified (which
    /// must exist), else the first schema of the search path that exists.
    pub(super) fn creation_name(&mut self, name: &ast::ObjectName) -> Result<(String, String)> {
        let (schema, relation) = object_name(name)?;
        if name.0.len() > 1 {
            self.check_schema(&schema)?;
            return Ok((schema, relation));
        }
        let existing = self.txn.schemas()?;
        let schema = self
            .search_path
            .iter()
            .find(|s| existing.iter().any(|(_, n)| n == *s))
            .ok_or_else(|| {
                Error::new(
                    SqlState::INVALID_SCHEMA_NAME,
                    "no schema has been selected to create in",
                )
            })?;
        Ok((schema.clone(), relation))
    }

    /// `CREATE SCHEMA`.
    pub(super) fn create_schema(
        &mut self,
        name: &ast::SchemaName,
        if_not_exists: bool,
    ) -> Result<Plan> {
        let name = match name {
            ast::SchemaName::Simple(n) | ast::SchemaName::NamedAuthorization(n, _) => {
                match n.0.as_slice() {
                    [part] => match part.as_ident() {
                        Some(i) => super::ident(i),
                        None => return Err(Error::unsupported(format!("schema name {n}"))),
                    },
                    _ => {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            format!("improper qualified name (too many dotted names): {n}"),
                        ));
                    }
                }
            }
            ast::SchemaName::UnnamedAuthorization(role) => super::ident(role),
        };
        if name.starts_with("pg_") {
            return Err(Error::new(
                SqlState::RESERVED_NAME,
                format!("unacceptable schema name \"{name}\""),
            )
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
        }
        Ok(Plan::CreateSchema {
            name,
            if_not_exists,
        })
    }

    /// `DROP SCHEMA`: RESTRICT refuses a schema with relations in it (2BP01), CASCADE drops
    /// them too.
    pub(super) fn drop_schemas(
        &mut self,
        names: &[ast::ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<Plan> {
        let existing = self.txn.schemas()?;
        let tables = self.txn.tables()?;
        let mut schemas = Vec::new();
        let mut contents = Vec::new();
        let mut types = Vec::new();
        for n in names {
            let (_, name) = object_name(n)?;
            if !existing.iter().any(|(_, s)| *s == name) {
                if if_exists {
                    continue;
                }
                return Err(Error::new(
                    SqlState::INVALID_SCHEMA_NAME,
                    format!("schema \"{name}\" does not exist"),
                ));
            }
            if crate::storage::BUILTIN_SCHEMAS
                .iter()
                .any(|(_, s)| *s == name)
            {
                return Err(Error::unsupported(format!("dropping schema {name}")));
            }
            let inside: Vec<Table> = tables
                .iter()
                .filter(|t| t.schema == name)
                .cloned()
                .collect();
            let user_types: Vec<_> = self
                .txn
                .user_types()?
                .into_iter()
                .filter(|t| t.schema == name)
                .collect();
            for ty in &user_types {
                let outside: Vec<Table> = tables
                    .iter()
                    .filter(|t| t.schema != name)
                    .cloned()
                    .collect();
                if let Some((table, columns)) =
                    super::user_types::dependents(&outside, ty.oid).first()
                {
                    return Err(Error::unsupported(format!(
                        "DROP SCHEMA of type {}.{} used by column {} of table {}.{}",
                        ty.schema, ty.name, columns[0], table.schema, table.name
                    )));
                }
            }
            if (!inside.is_empty() || !user_types.is_empty()) && !cascade {
                return Err(Error::new(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    format!("cannot drop schema {name} because other objects depend on it"),
                )
                .with_detail(
                    inside
                        .iter()
                        .map(|t| format!("table {}.{} depends on schema {name}", t.schema, t.name))
                        .chain(user_types.iter().map(|t| {
                            format!("type {}.{} depends on schema {name}", t.schema, t.name)
                        }))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
                .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
            }
            contents.extend(inside);
            types.extend(user_types);
            schemas.push(name);
        }
        Ok(Plan::DropSchema {
            schemas,
            contents,
            types,
        })
    }
}
