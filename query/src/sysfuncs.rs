//! System functions: those that read or change the session or the database rather than
//! compute from their arguments alone (`current_setting`, `set_config`, `version`,
//! `current_database`, `current_schema`, ...). They are never folded at planning time.

use crate::catalog::{DEFAULT_SCHEMA, Table};
use crate::error::{Error, Result, SqlState};
use crate::exec::Context;
use crate::settings::SERVER_VERSION;
use crate::types::{DataType, Value};

/// The internal function behind `SELECT * FROM seq`: `(oid, false)` is the sequence's last
/// value, `(oid, true)` whether it was handed out. Not callable from SQL (the binder does not
/// know it).
pub const SEQUENCE_STATE: &str = "anchor sequence state";

/// The result type of system function `name` over `args`; `None` if `name` is not one.
pub fn return_type(name: &str, args: &[DataType]) -> Result<Option<DataType>> {
    if let Some(t) = crate::system::functions::return_type(name, args) {
        return Ok(Some(t));
    }
    let text_like =
        |t: &DataType| matches!(t, DataType::Text | DataType::Unknown | DataType::Varchar(_));
    // A sequence: its name as text, or `'s'::regclass` (as PostgreSQL's defaults write it).
    let relation = |t: &DataType| {
        text_like(t)
            || matches!(
                t,
                DataType::Oid | DataType::Reg(crate::types::RegKind::Class)
            )
    };
    let (ok, t) = match name {
        "current_setting" => (
            (args.len() == 1 && text_like(&args[0]))
                || (args.len() == 2
                    && text_like(&args[0])
                    && matches!(args[1], DataType::Bool | DataType::Unknown)),
            DataType::Text,
        ),
        "set_config" => (
            args.len() == 3
                && text_like(&args[0])
                && text_like(&args[1])
                && matches!(args[2], DataType::Bool | DataType::Unknown),
            DataType::Text,
        ),
        "version" | "current_database" | "current_schema" | "current_user" | "session_user"
        | "current_role" | "user" => (args.is_empty(), DataType::Text),
        "pg_backend_pid" => (args.is_empty(), DataType::Int4),
        "nextval" | "currval" => (args.len() == 1 && relation(&args[0]), DataType::Int8),
        "lastval" => (args.is_empty(), DataType::Int8),
        "setval" => (
            (args.len() == 2 || args.len() == 3)
                && relation(&args[0])
                && args[1].is_numeric()
                && args
                    .get(2)
                    .is_none_or(|t| matches!(t, DataType::Bool | DataType::Unknown)),
            DataType::Int8,
        ),
        _ => return Ok(None),
    };
    if !ok {
        let list: Vec<String> = args.iter().map(DataType::name).collect();
        return Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("function {name}({}) does not exist", list.join(", ")),
        )
        .with_hint(
            "No function matches the given name and argument types. You might need to add explicit type casts.",
        ));
    }
    Ok(Some(t))
}

fn text(v: &Value, ctx: &Context) -> String {
    v.to_text(ctx.settings).unwrap_or_default()
}

/// Runs system function `name`; `None` if `name` is not one.
pub fn call(name: &str, args: &[Value], ctx: &mut Context) -> Result<Option<Value>> {
    if let Some(v) = crate::system::functions::call(name, args, ctx)? {
        return Ok(Some(v));
    }
    Ok(Some(match name {
        "current_setting" => {
            if args[0].is_null() {
                return Ok(Some(Value::Null));
            }
            let setting = text(&args[0], ctx);
            let missing_ok = matches!(args.get(1), Some(Value::Bool(true)));
            let vars = ctx
                .vars
                .as_ref()
                .ok_or_else(|| Error::internal("no session settings"))?
                .lock();
            match vars.show(&setting) {
                Ok(v) => Value::Text(v),
                Err(_) if missing_ok => Value::Null,
                Err(e) => return Err(e),
            }
        }
        "set_config" => {
            if args[0].is_null() {
                return Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "SET requires parameter name",
                ));
            }
            let setting = text(&args[0], ctx);
            let value = (!args[1].is_null()).then(|| text(&args[1], ctx));
            let local = matches!(args[2], Value::Bool(true));
            let mut vars = ctx
                .vars
                .as_ref()
                .ok_or_else(|| Error::internal("no session settings"))?
                .lock();
            vars.set(&setting, value.as_deref(), local)?;
            Value::Text(vars.show(&setting)?)
        }
        "version" => Value::Text(format!(
            "PostgreSQL {SERVER_VERSION} (Anchor {}) on x86_64-pc-linux-gnu, 64-bit",
            env!("CARGO_PKG_VERSION")
        )),
        "current_database" => Value::Text(match &ctx.vars {
            Some(vars) => vars.lock().database.clone(),
            None => crate::cluster::INITIAL_DATABASES[0].to_string(),
        }),
        "current_schema" => {
            let path = ctx.vars.as_ref().map(|v| v.lock().search_path());
            let existing = ctx.txn.schemas()?;
            match path
                .unwrap_or_default()
                .into_iter()
                .find(|s| existing.iter().any(|(_, n)| n == s))
            {
                Some(s) => Value::Text(s),
                None => Value::Null,
            }
        }
        "session_user" => Value::Text(match &ctx.vars {
            Some(vars) => vars.lock().user.clone(),
            None => crate::roles::BOOTSTRAP_ROLE.to_string(),
        }),
        "current_user" | "current_role" | "user" => {
            let vars = ctx
                .vars
                .as_ref()
                .map(|v| v.lock().show_if_exists("session_authorization"));
            Value::Text(vars.flatten().unwrap_or_else(|| "anchor".into()))
        }
        "pg_backend_pid" => Value::Int4(std::process::id() as i32),
        "nextval" | "currval" | "setval" => {
            if args.iter().any(Value::is_null) {
                return Ok(Some(Value::Null));
            }
            sequence_call(name, args, ctx)?
        }
        SEQUENCE_STATE => {
            let (Value::Int8(oid), Value::Bool(field)) = (&args[0], &args[1]) else {
                return Err(Error::internal("malformed sequence state call"));
            };
            let seq = u32::try_from(*oid)
                .ok()
                .map(|oid| ctx.txn.table_by_oid(oid))
                .transpose()?
                .flatten()
                .ok_or_else(|| Error::new(SqlState::UNDEFINED_TABLE, "sequence does not exist"))?;
            let (last, called) = ctx.txn.sequence_value(&seq)?;
            if *field {
                Value::Bool(called)
            } else {
                Value::Int8(last)
            }
        }
        "lastval" => {
            let vars = ctx
                .vars
                .as_ref()
                .ok_or_else(|| Error::internal("no session state"))?
                .lock();
            match vars.lastval {
                Some(v) => Value::Int8(v),
                None => {
                    return Err(Error::new(
                        SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        "lastval is not yet defined in this session",
                    ));
                }
            }
        }
        _ => return Ok(None),
    }))
}

/// `nextval`, `currval` and `setval` over a sequence named by text.
fn sequence_call(function: &str, args: &[Value], ctx: &mut Context) -> Result<Value> {
    let seq = match &args[0] {
        Value::Reg(r) => sequence_by_oid(r.oid, ctx)?,
        Value::Oid(oid) => sequence_by_oid(*oid, ctx)?,
        other => {
            let name = text(other, ctx);
            find_sequence(&name, ctx)?
        }
    };
    let vars = ctx
        .vars
        .clone()
        .ok_or_else(|| Error::internal("no session state"))?;
    let value = match function {
        "nextval" => ctx.txn.nextval(&seq)?,
        "currval" => match vars.lock().currval.get(&seq.oid) {
            Some(v) => return Ok(Value::Int8(*v)),
            None => {
                return Err(Error::new(
                    SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!(
                        "currval of sequence \"{}\" is not yet defined in this session",
                        seq.name
                    ),
                ));
            }
        },
        _ => {
            let value = match args[1].clone().cast(&DataType::Int8, ctx.settings)? {
                Value::Int8(v) => v,
                _ => return Err(Error::internal("setval value is not bigint")),
            };
            let is_called = !matches!(args.get(2), Some(Value::Bool(false)));
            ctx.txn.setval(&seq, value, is_called)?;
            if !is_called {
                return Ok(Value::Int8(value));
            }
            value
        }
    };
    let mut vars = vars.lock();
    vars.currval.insert(seq.oid, value);
    vars.lastval = Some(value);
    Ok(Value::Int8(value))
}

/// The sequence named by `name` (`s`, `public.s`, `"MySeq"`), as `regclass` input reads it.
/// The sequence with OID `oid` (42P01 if there is no relation, 42809 if it is not a
/// sequence).
fn sequence_by_oid(oid: u32, ctx: &mut Context) -> Result<Table> {
    let table = ctx.txn.table_by_oid(oid)?.ok_or_else(|| {
        Error::new(
            SqlState::UNDEFINED_TABLE,
            format!("could not open relation with OID {oid}"),
        )
    })?;
    if table.sequence.is_none() {
        return Err(Error::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!("\"{}\" is not a sequence", table.name),
        ));
    }
    Ok(table)
}

fn find_sequence(name: &str, ctx: &mut Context) -> Result<Table> {
    let parts = crate::system::functions::split_name(name)?;
    let path = match &ctx.vars {
        Some(vars) => vars.lock().search_path(),
        None => vec![DEFAULT_SCHEMA.to_string()],
    };
    let (schemas, relation) = match parts.as_slice() {
        [relation] => (path, relation.clone()),
        [schema, relation] => (vec![schema.clone()], relation.clone()),
        _ => {
            return Err(Error::new(
                SqlState::INVALID_NAME,
                format!("improper relation name (too many dotted names): {name}"),
            ));
        }
    };
    let mut found = None;
    for schema in &schemas {
        if let Some(t) = ctx.txn.table(schema, &relation)? {
            found = Some(t);
            break;
        }
    }
    match found {
        Some(t) if t.sequence.is_some() => Ok(t),
        Some(t) => Err(Error::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!("\"{}\" is not a sequence", t.name),
        )),
        None => Err(Error::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{relation}\" does not exist"),
        )),
    }
}
