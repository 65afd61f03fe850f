//! The functions clients call on the catalogs: `format_type`, `pg_get_indexdef`,
//! `pg_table_is_visible`, `pg_get_userbyid`, the privilege tests, `current_schemas`, ...,
//! and the casts to the object-identifier alias types (`'t1'::regclass`), which look names
//! up in the catalog and so run here, where the transaction is at hand, rather than in the
//! type system's casts.

use crate::catalog::Oid;
use crate::error::{Error, Result, SqlState};
use crate::exec::Context;
use crate::functions::string::quote_ident;
use crate::types::{Array, DataType, RegKind, RegValue, Value};

use super::rows::{self, Snapshot};

/// The prefix of the internal functions that cast to an alias type (`regclass`, ...): the
/// type's name follows.
const REG_CAST: &str = "anchor cast to ";

/// The expression casting a value to `kind` (the binder's replacement for `x::regclass`).
pub fn reg_cast_name(kind: RegKind) -> String {
    format!("{REG_CAST}{}", kind.name())
}

fn reg_kind(name: &str) -> Option<RegKind> {
    [
        RegKind::Class,
        RegKind::Type,
        RegKind::Proc,
        RegKind::Procedure,
        RegKind::Namespace,
        RegKind::Role,
    ]
    .into_iter()
    .find(|k| k.name() == name)
}

/// The result type of catalog function `name` over `args`; `None` if it is not one.
pub fn return_type(name: &str, args: &[DataType]) -> Option<DataType> {
    use DataType as T;
    if let Some(kind) = name.strip_prefix(REG_CAST).and_then(reg_kind) {
        return (args.len() == 1).then_some(T::Reg(kind));
    }
    let n = args.len();
    Some(match (name, n) {
        ("to_regclass", 1) => T::Reg(RegKind::Class),
        ("to_regtype", 1) => T::Reg(RegKind::Type),
        ("to_regproc", 1) => T::Reg(RegKind::Proc),
        ("to_regprocedure", 1) => T::Reg(RegKind::Procedure),
        ("to_regnamespace", 1) => T::Reg(RegKind::Namespace),
        ("to_regrole", 1) => T::Reg(RegKind::Role),
        ("format_type", 2)
        | ("pg_get_indexdef", 1 | 3)
        | ("pg_get_constraintdef", 1 | 2)
        | ("pg_get_expr", 2 | 3)
        | ("pg_get_viewdef", 1 | 2)
        | ("pg_get_function_result", 1)
        | ("pg_get_function_arguments", 1)
        | ("pg_get_function_identity_arguments", 1)
        | ("pg_get_functiondef", 1)
        | ("pg_get_triggerdef", 1 | 2)
        | ("pg_get_ruledef", 1 | 2)
        | ("pg_get_partkeydef", 1)
        | ("pg_get_statisticsobjdef_columns", 1)
        | ("obj_description", 1 | 2)
        | ("col_description", 2)
        | ("shobj_description", 2)
        | ("pg_get_serial_sequence", 2)
        | ("pg_tablespace_location", 1)
        | ("pg_size_pretty", 1)
        | ("inet_server_addr" | "inet_client_addr", 0) => T::Text,
        ("pg_get_userbyid", 1) | ("pg_encoding_to_char", 1) => T::Name,
        ("parse_ident", 1 | 2) => T::Array(Box::new(T::Text)),
        ("pg_table_is_visible", 1)
        | ("pg_type_is_visible", 1)
        | ("pg_function_is_visible", 1)
        | ("pg_collation_is_visible", 1)
        | ("pg_relation_is_publishable", 1)
        | ("pg_is_in_recovery", 0)
        | ("has_table_privilege", 2 | 3)
        | ("has_schema_privilege", 2 | 3)
        | ("has_database_privilege", 2 | 3)
        | ("has_column_privilege", 3 | 4)
        | ("has_sequence_privilege", 2 | 3)
        | ("has_function_privilege", 2 | 3)
        | ("has_any_column_privilege", 2 | 3)
        | ("pg_has_role", 2 | 3) => T::Bool,
        ("pg_postmaster_start_time", 0) | ("pg_conf_load_time", 0) => T::TimestampTz,
        ("current_schemas", 1) => T::Array(Box::new(T::Name)),
        ("pg_relation_size", 1 | 2)
        | ("pg_total_relation_size", 1)
        | ("pg_table_size", 1)
        | ("pg_indexes_size", 1)
        | ("pg_database_size", 1) => T::Int8,
        ("pg_my_temp_schema", 0) => T::Oid,
        ("txid_current", 0) => T::Int8,
        ("pg_partition_ancestors" | "pg_partition_root", 1) => T::Reg(RegKind::Class),
        ("inet_server_port" | "inet_client_port", 0) => T::Int4,
        _ => return None,
    })
}

/// The number an OID-valued argument holds (`oid`, an integer, `regclass`, or text).
fn as_oid(v: &Value) -> Option<Oid> {
    match v {
        Value::Oid(o) => Some(*o),
        Value::Reg(r) => Some(r.oid),
        Value::Int2(i) => Some(*i as u32),
        Value::Int4(i) => Some(*i as u32),
        Value::Int8(i) => u32::try_from(*i).ok(),
        Value::Text(s) => crate::types::text::parse_oid(s).ok(),
        _ => None,
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(i) => Some(*i as i64),
        Value::Int4(i) => Some(*i as i64),
        Value::Int8(i) => Some(*i),
        Value::Oid(o) => Some(*o as i64),
        Value::Text(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_of(v: &Value, ctx: &Context) -> String {
    v.to_text(ctx.settings).unwrap_or_default()
}

/// Runs catalog function `name`; `None` if it is not one.
pub fn call(name: &str, args: &[Value], ctx: &mut Context) -> Result<Option<Value>> {
    if let Some(kind) = name.strip_prefix(REG_CAST).and_then(reg_kind) {
        return match args {
            [Value::Null] => Ok(Some(Value::Null)),
            [v] => reg_in(kind, v, ctx, true).map(Some),
            _ => Ok(None),
        };
    }
    if return_type(name, &vec![DataType::Unknown; args.len()]).is_none() {
        return Ok(None);
    }
    // Most of these are strict: a NULL argument gives NULL.
    let lenient = matches!(
        name,
        "pg_get_expr" | "obj_description" | "col_description" | "shobj_description" | "format_type"
    );
    if !lenient && args.iter().any(Value::is_null) {
        return Ok(Some(Value::Null));
    }
    let oid_arg = |i: usize| args.get(i).and_then(as_oid).unwrap_or(0);
    let pretty = |i: usize| matches!(args.get(i), Some(Value::Bool(true)));
    Ok(Some(match name {
        "to_regclass" | "to_regtype" | "to_regproc" | "to_regprocedure" | "to_regnamespace"
        | "to_regrole" => {
            let kind = reg_kind(&name[3..]).ok_or_else(|| Error::internal("reg kind"))?;
            let text = Value::Text(text_of(&args[0], ctx));
            reg_in(kind, &text, ctx, false)?
        }
        "format_type" => match DataType::from_oid(oid_arg(0)) {
            _ if args[0].is_null() => Value::Null,
            Some(t) => {
                let typmod = args.get(1).and_then(as_i64).unwrap_or(-1);
                Value::Text(with_typmod(t, typmod).name())
            }
            None => Value::Text(match rows::type_name(oid_arg(0)) {
                Some(name) => name,
                None => Snapshot::take(ctx)?
                    .user_type_name(oid_arg(0))
                    .unwrap_or_else(|| "???".into()),
            }),
        },
        "pg_get_userbyid" => {
            let o = oid_arg(0);
            Value::Text(role_name(o, ctx).unwrap_or_else(|| format!("unknown (OID={o})")))
        }
        "pg_encoding_to_char" => Value::Text(match args[0] {
            Value::Int4(6) | Value::Int8(6) | Value::Int2(6) => "UTF8".into(),
            Value::Int4(0) | Value::Int8(0) | Value::Int2(0) => "SQL_ASCII".into(),
            _ => String::new(),
        }),
        "pg_table_is_visible" => Value::Bool(table_is_visible(oid_arg(0), ctx)?),
        "pg_type_is_visible" | "pg_function_is_visible" | "pg_collation_is_visible" => {
            Value::Bool(true)
        }
        "pg_get_indexdef" => {
            let o = oid_arg(0);
            let column = args.get(1).and_then(as_i64).unwrap_or(0);
            let snapshot = Snapshot::take(ctx)?;
            let mut found = Value::Null;
            for t in ctx.txn.tables()? {
                if let Some(i) = rows::indexes(&t).into_iter().find(|i| i.oid == o) {
                    found = Value::Text(if column > 0 {
                        i.columns
                            .get(column as usize - 1)
                            .and_then(|&c| t.columns.get(c))
                            .map(|c| quote_ident(&c.name))
                            .unwrap_or_default()
                    } else if pretty(2) {
                        rows::index_definition(&t, &i, Some(&snapshot))
                    } else {
                        rows::index_definition(&t, &i, None)
                    });
                    break;
                }
            }
            found
        }
        "pg_get_constraintdef" => constraint_definition(oid_arg(0), pretty(1), ctx)?,
        "pg_get_expr" => match &args[0] {
            Value::Null => Value::Null,
            v => Value::Text(text_of(v, ctx)),
        },
        "pg_get_viewdef" => {
            let view = match &args[0] {
                Value::Text(name) => {
                    let kind = Value::Text(name.clone());
                    as_oid(&reg_in(RegKind::Class, &kind, ctx, true)?)
                }
                v => as_oid(v),
            };
            match view.map(|o| ctx.txn.table_by_oid(o)).transpose()?.flatten() {
                Some(t) => t.view.map_or(Value::Null, Value::Text),
                None => Value::Null,
            }
        }
        "pg_get_function_result"
        | "pg_get_function_arguments"
        | "pg_get_function_identity_arguments"
        | "pg_get_functiondef"
        | "pg_get_triggerdef"
        | "pg_get_ruledef"
        | "pg_get_partkeydef"
        | "pg_get_statisticsobjdef_columns"
        | "obj_description"
        | "col_description"
        | "shobj_description"
        | "inet_server_addr"
        | "inet_client_addr"
        | "inet_server_port"
        | "inet_client_port" => Value::Null,
        "pg_tablespace_location" => Value::Text(String::new()),
        "pg_relation_is_publishable" | "pg_is_in_recovery" => Value::Bool(false),
        "has_table_privilege"
        | "has_schema_privilege"
        | "has_database_privilege"
        | "has_column_privilege"
        | "has_sequence_privilege"
        | "has_function_privilege"
        | "has_any_column_privilege"
        | "pg_has_role" => Value::Bool(true),
        "pg_postmaster_start_time" | "pg_conf_load_time" => Value::TimestampTz(start_time()),
        "current_schemas" => {
            let implicit = matches!(args[0], Value::Bool(true));
            let snapshot = Snapshot::take(ctx)?;
            let names = snapshot
                .search_path
                .iter()
                .filter(|s| implicit || *s != "pg_catalog")
                .filter(|s| snapshot.schemas.iter().any(|(_, n)| n == *s))
                .map(|s| Value::Text(s.clone()))
                .collect();
            Value::Array(Array::new(DataType::Name, names))
        }
        "pg_relation_size" | "pg_total_relation_size" | "pg_table_size" | "pg_indexes_size" => {
            let rows = match ctx.txn.table_by_oid(oid_arg(0))? {
                Some(t) => t.stats.map_or(0, |s| s.rows),
                None => 0,
            };
            // An estimate: PostgreSQL's pages of ~100-byte rows.
            Value::Int8(rows.div_ceil(80) as i64 * 8192)
        }
        "pg_database_size" => Value::Int8(8 * 1024 * 1024),
        "pg_size_pretty" => Value::Text(size_pretty(as_i64(&args[0]).unwrap_or(0))),
        "pg_my_temp_schema" => Value::Oid(0),
        "txid_current" => Value::Int8(i64::try_from(ctx.txn.id()).unwrap_or(i64::MAX)),
        "pg_partition_ancestors" | "pg_partition_root" => {
            reg_in(RegKind::Class, &args[0], ctx, true)?
        }
        "pg_get_serial_sequence" => serial_sequence(&args[0], &args[1], ctx)?,
        "parse_ident" => {
            let text = text_of(&args[0], ctx);
            let parts = split_name(&text).map_err(|_| {
                Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("string is not a valid identifier: \"{text}\""),
                )
            })?;
            Value::Array(Array::new(
                DataType::Text,
                parts.into_iter().map(Value::Text).collect(),
            ))
        }
        _ => return Ok(None),
    }))
}

/// The name of role `oid` (without reading the relations, as a snapshot would: psql calls
/// this for every row).
fn role_name(oid: Oid, ctx: &Context) -> Option<String> {
    if oid == 6171 {
        return Some("pg_database_owner".into());
    }
    let vars = ctx.vars.as_ref()?.lock();
    match &vars.cluster {
        Some(cluster) => cluster.roles().name_of(oid),
        None => crate::roles::Roles::memory().name_of(oid),
    }
}

/// `pg_table_is_visible`: the relation is the one its name finds along the search path
/// (`pg_catalog` first). Tables and catalogs are found by key; indexes, which have no entry
/// of their own, through a snapshot.
fn table_is_visible(oid: Oid, ctx: &mut Context) -> Result<bool> {
    if let Some(system) = super::by_oid(oid) {
        return Ok(system.schema == "pg_catalog");
    }
    let Some(table) = ctx.txn.table_by_oid(oid)? else {
        let snapshot = Snapshot::take(ctx)?;
        return Ok(snapshot.is_visible(oid));
    };
    if super::find(None, &table.name).is_some() {
        return Ok(false);
    }
    let path = match &ctx.vars {
        Some(vars) => vars.lock().search_path(),
        None => vec![crate::catalog::DEFAULT_SCHEMA.to_string()],
    };
    for schema in path {
        if schema == table.schema {
            return Ok(true);
        }
        if ctx.txn.table(&schema, &table.name)?.is_some() {
            return Ok(false);
        }
    }
    Ok(false)
}

/// When the server started, as far as `pg_postmaster_start_time` is concerned: the first
/// time it was asked in this process.
fn start_time() -> i64 {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        // Microseconds since 2000-01-01.
        now - 946_684_800_000_000
    })
}

/// `pg_size_pretty`: bytes below 10 kB, then the largest unit that keeps the number below
/// 20480 half-units, rounded half away from zero, as PostgreSQL does.
fn size_pretty(bytes: i64) -> String {
    const LIMIT: i64 = 10 * 1024;
    const LIMIT2: i64 = LIMIT * 2 - 1;
    if bytes.unsigned_abs() < LIMIT as u64 {
        return format!("{bytes} bytes");
    }
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    // In half-kilobytes, then half-megabytes, ...
    let mut size = bytes >> 9;
    let units = ["kB", "MB", "GB", "TB", "PB"];
    for (i, unit) in units.iter().enumerate() {
        if size.unsigned_abs() < LIMIT2 as u64 || i + 1 == units.len() {
            return format!("{} {unit}", half_rounded(size));
        }
        size >>= 10;
    }
    format!("{bytes} bytes")
}

/// The type `t` with modifier `typmod` (`format_type(1043, 14)` is `character varying(10)`).
fn with_typmod(t: DataType, typmod: i64) -> DataType {
    if typmod < 4 {
        return t;
    }
    let m = (typmod - 4) as u32;
    match t {
        DataType::Varchar(_) => DataType::Varchar(Some(m)),
        DataType::Char(_) => DataType::Char(Some(m)),
        DataType::Numeric { .. } => DataType::Numeric {
            precision: Some((m >> 16) & 0xFFFF),
            scale: Some(m & 0xFFFF),
        },
        DataType::Array(e) => DataType::Array(Box::new(with_typmod(*e, typmod))),
        other => other,
    }
}

/// Splits a possibly qualified, possibly quoted name (`public."My Table"`) into parts,
/// folding unquoted parts to lower case.
pub fn split_name(name: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = name.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c if quoted => current.push(c),
            c => current.extend(c.to_lowercase()),
        }
    }
    parts.push(current);
    if quoted || parts.iter().any(String::is_empty) {
        return Err(Error::new(SqlState::INVALID_NAME, "invalid name syntax"));
    }
    Ok(parts)
}

/// A value of alias type `kind` from `v`: a number is taken as the OID (and printed as the
/// object's name, or as itself when there is none), text as the object's name, looked up
/// (an error if `strict`, else NULL, when there is none).
fn reg_in(kind: RegKind, v: &Value, ctx: &mut Context, strict: bool) -> Result<Value> {
    let snapshot = Snapshot::take(ctx)?;
    reg_from(kind, v, &snapshot, strict)
}

/// [`reg_in`] over a snapshot of the catalog.
pub fn reg_from(kind: RegKind, v: &Value, snapshot: &Snapshot, strict: bool) -> Result<Value> {
    let reg = |oid: Oid, name: String| Value::Reg(Box::new(RegValue { kind, oid, name }));
    let text = match v {
        Value::Text(s) => s.trim().to_string(),
        other => {
            let Some(oid) = as_oid(other) else {
                return Err(Error::new(
                    SqlState::CANNOT_COERCE,
                    format!(
                        "cannot cast type {} to {}",
                        other.data_type().name(),
                        kind.name()
                    ),
                ));
            };
            return Ok(reg(oid, reg_name(kind, oid, snapshot)));
        }
    };
    if let Ok(oid) = crate::types::text::parse_oid(&text)
        && text.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(reg(oid, reg_name(kind, oid, snapshot)));
    }
    let found = match kind {
        RegKind::Class => {
            let parts = split_name(&text)?;
            match parts.as_slice() {
                [name] => snapshot.find_relation(&snapshot.search_path, name),
                [schema, name] => snapshot.find_relation(std::slice::from_ref(schema), name),
                [_, schema, name] => snapshot.find_relation(std::slice::from_ref(schema), name),
                _ => None,
            }
            .map(|o| (o, parts))
            .ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{text}\" does not exist"),
                )
            })
            .map(|(o, _)| o)
        }
        RegKind::Type => parse_type(&text).map(|t| t.oid()).or_else(|e| {
            split_name(&text)
                .ok()
                .and_then(|parts| snapshot.user_type_oid(&parts))
                .ok_or(e)
        }),
        RegKind::Namespace => {
            let parts = split_name(&text)?;
            snapshot
                .all_schemas()
                .into_iter()
                .find(|(_, n)| parts.len() == 1 && *n == parts[0])
                .map(|(o, _)| o)
                .ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_SCHEMA_NAME,
                        format!("schema \"{text}\" does not exist"),
                    )
                })
        }
        RegKind::Role => {
            let parts = split_name(&text)?;
            snapshot
                .roles
                .iter()
                .find(|r| parts.len() == 1 && r.name == parts[0])
                .map(|r| r.oid)
                .ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("role \"{text}\" does not exist"),
                    )
                })
        }
        RegKind::Proc | RegKind::Procedure => Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("function \"{text}\" does not exist"),
        )),
    };
    match found {
        Ok(oid) => Ok(reg(oid, reg_name(kind, oid, snapshot))),
        Err(_) if !strict => Ok(Value::Null),
        Err(e) => Err(e),
    }
}

/// The type a name like `integer`, `int4`, `character varying(10)` or `text[]` means.
fn parse_type(text: &str) -> Result<DataType> {
    let expr = crate::planner::parse_expr(&format!("NULL::{text}")).map_err(|_| {
        Error::new(
            SqlState::UNDEFINED_OBJECT,
            format!("type \"{text}\" does not exist"),
        )
    })?;
    match expr {
        sqlparser::ast::Expr::Cast { data_type, .. } => DataType::from_sql(&data_type),
        _ => Err(Error::new(
            SqlState::UNDEFINED_OBJECT,
            format!("type \"{text}\" does not exist"),
        )),
    }
}

/// How a value of alias type `kind` with OID `oid` prints.
fn reg_name(kind: RegKind, oid: Oid, snapshot: &Snapshot) -> String {
    let name = match kind {
        RegKind::Class => snapshot
            .relation(oid)
            .map(|(schema, name)| snapshot.regclass_name(&schema, &name)),
        RegKind::Type => rows::type_name(oid)
            .or_else(|| DataType::from_oid(oid).map(|t| t.name()))
            .or_else(|| snapshot.user_type_name(oid)),
        RegKind::Namespace => snapshot.schema_name(oid).map(|n| quote_ident(&n)),
        RegKind::Role => snapshot.role_name(oid).map(|n| quote_ident(&n)),
        RegKind::Proc | RegKind::Procedure => None,
    };
    match name {
        // PostgreSQL prints the invalid OID as `-` in every alias type.
        _ if oid == 0 => "-".into(),
        Some(n) => n,
        None => oid.to_string(),
    }
}

/// `pg_get_constraintdef`: `PRIMARY KEY (id)`, `CHECK ((a > 0))`, `FOREIGN KEY (b)
/// REFERENCES t2(id) ON DELETE CASCADE`.
fn constraint_definition(oid: Oid, pretty: bool, ctx: &mut Context) -> Result<Value> {
    let Some(table_oid) = rows::derived_table(oid) else {
        return Ok(Value::Null);
    };
    let Some(table) = ctx.txn.table_by_oid(table_oid)? else {
        return Ok(Value::Null);
    };
    let Some(c) = rows::constraints(&table).into_iter().find(|c| c.oid == oid) else {
        return Ok(Value::Null);
    };
    let names = |t: &crate::catalog::Table, cols: &[usize]| {
        cols.iter()
            .filter_map(|&i| t.columns.get(i))
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(Value::Text(match c.kind {
        'p' => format!("PRIMARY KEY ({})", names(&table, &c.columns)),
        'u' => format!("UNIQUE ({})", names(&table, &c.columns)),
        'c' => {
            let expr = c.check.unwrap_or_default();
            if pretty {
                format!("CHECK ({expr})")
            } else {
                format!("CHECK (({expr}))")
            }
        }
        _ => {
            let Some(fk) = c.foreign_key else {
                return Ok(Value::Null);
            };
            let snapshot = Snapshot::take(ctx)?;
            let (referenced, target) = match ctx.txn.table_by_oid(fk.referenced)? {
                Some(r) => (
                    snapshot.regclass_name(&r.schema, &r.name),
                    names(&r, &fk.referenced_columns),
                ),
                None => (fk.referenced.to_string(), String::new()),
            };
            let mut def = format!(
                "FOREIGN KEY ({}) REFERENCES {referenced}({target})",
                names(&table, &fk.columns)
            );
            if fk.on_update != crate::catalog::ReferentialAction::NoAction {
                def.push_str(&format!(" ON UPDATE {}", rows::action_name(fk.on_update)));
            }
            if fk.on_delete != crate::catalog::ReferentialAction::NoAction {
                def.push_str(&format!(" ON DELETE {}", rows::action_name(fk.on_delete)));
            }
            def
        }
    }))
}

/// `pg_get_serial_sequence(table, column)`: the sequence a column's default draws from,
/// schema-qualified.
fn serial_sequence(table: &Value, column: &Value, ctx: &mut Context) -> Result<Value> {
    let table_text = Value::Text(text_of(table, ctx));
    let column = text_of(column, ctx);
    let Some(oid) = as_oid(&reg_in(RegKind::Class, &table_text, ctx, true)?) else {
        return Ok(Value::Null);
    };
    let Some(t) = ctx.txn.table_by_oid(oid)? else {
        return Ok(Value::Null);
    };
    let Some(col) = t.columns.iter().find(|c| c.name == column) else {
        return Err(Error::new(
            SqlState::UNDEFINED_COLUMN,
            format!(
                "column \"{column}\" of relation \"{}\" does not exist",
                t.name
            ),
        ));
    };
    let Some(default) = &col.default else {
        return Ok(Value::Null);
    };
    let Some(seq) = default
        .strip_prefix("nextval('")
        .and_then(|r| r.strip_suffix("')"))
    else {
        return Ok(Value::Null);
    };
    let parts = split_name(&seq.replace("''", "'"))?;
    Ok(Value::Text(match parts.as_slice() {
        [name] => format!("{}.{}", quote_ident(&t.schema), quote_ident(name)),
        _ => parts
            .iter()
            .map(|p| quote_ident(p))
            .collect::<Vec<_>>()
            .join("."),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_postgres_prints_them() {
        assert_eq!(size_pretty(10239), "10239 bytes");
        assert_eq!(size_pretty(10240), "10 kB");
        assert_eq!(size_pretty(123_456_789), "118 MB");
        assert_eq!(size_pretty(-5_000_000), "-4883 kB");
        assert_eq!(size_pretty(i64::MIN), "-8192 PB");
        assert_eq!(size_pretty(i64::MAX), "8192 PB");
    }

    #[test]
    fn names_split_like_parse_ident() {
        assert_eq!(
            split_name(r#"Public."My ""T""""#).ok(),
            Some(vec!["public".to_string(), "My \"T\"".to_string()])
        );
        for bad in ["a.", "\"open", ".b", ""] {
            assert!(split_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn type_modifiers_apply() {
        assert_eq!(
            with_typmod(DataType::Varchar(None), 14).name(),
            "character varying(10)"
        );
        assert_eq!(
            with_typmod(DataType::NUMERIC, (10 << 16 | 2) + 4).name(),
            "numeric(10,2)"
        );
        assert_eq!(with_typmod(DataType::Int4, 42).name(), "integer");
    }
}
