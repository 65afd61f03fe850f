//! Sessions: one client's statements, settings and transaction.
//!
//! Outside a transaction block every statement runs in a transaction of its own
//! (autocommit). `BEGIN` opens a block; an error inside it fails the block, and every later
//! statement answers 25P02 until `ROLLBACK` (or `COMMIT`, which then rolls back), as in
//! PostgreSQL.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anchor_engine::mvcc::{self, IsolationLevel, Mvcc};
use anchor_engine::{Engine, Memory};
use anchor_grammar::ast;

use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context};
use crate::planner::{Plan, Planner};
use crate::storage::{Local, Row, Transaction};
use crate::types::{DataType, Settings, Value};

/// A database: the storage that sessions share.
pub struct Database {
    local: Local,
}

impl Database {
    /// A database in memory (for tests).
    pub fn memory() -> Result<Arc<Database>> {
        Self::on_engine(Arc::new(Memory::new()))
    }

    /// A database in the LSM engine at `dir`.
    pub fn open(dir: &Path) -> Result<Arc<Database>> {
        let lsm = anchor_engine::lsm::Lsm::open(dir, anchor_engine::lsm::Options::default())?;
        Self::on_engine(Arc::new(lsm))
    }

    /// A database on any engine.
    pub fn on_engine(engine: Arc<dyn Engine>) -> Result<Arc<Database>> {
        let mvcc = Mvcc::open(engine, mvcc::Options::default())?;
        Ok(Arc::new(Database {
            local: Local::new(Arc::new(mvcc)),
        }))
    }

    /// Begins a transaction directly (tests and tools; sessions manage their own).
    pub fn begin(&self) -> Result<Box<dyn Transaction>> {
        Ok(Box::new(
            self.local.begin(IsolationLevel::ReadCommitted, false)?,
        ))
    }

    /// Starts a session.
    pub fn session(self: &Arc<Self>) -> Session {
        Session {
            db: self.clone(),
            txn: None,
            failed: false,
            settings: Settings::default(),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What a statement returns.
#[derive(Clone, Debug, PartialEq)]
pub struct StatementResult {
    /// The command tag (`SELECT 3`, `INSERT 0 1`, `CREATE TABLE`, ...).
    pub tag: String,
    /// Column names and types, for statements that return rows.
    pub columns: Vec<(String, DataType)>,
    /// The rows.
    pub rows: Vec<Row>,
}

impl StatementResult {
    fn command(tag: impl Into<String>) -> Self {
        StatementResult {
            tag: tag.into(),
            columns: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// One client's session.
pub struct Session {
    db: Arc<Database>,
    /// The open transaction block, if any.
    txn: Option<Box<dyn Transaction>>,
    /// The block failed: only ROLLBACK is accepted.
    failed: bool,
    settings: Settings,
    cancel: Arc<AtomicBool>,
}

impl Session {
    /// The session's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// True while a transaction block is open.
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// True if the open block failed.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Runs every statement of `sql`, stopping at the first error (as the simple query
    /// protocol does).
    pub fn execute(&mut self, sql: &str) -> Vec<Result<StatementResult>> {
        let stmts = match anchor_grammar::parse(sql) {
            Ok(s) => s,
            Err(e) => {
                let mut err = Error::new(SqlState::SYNTAX_ERROR, e.message.clone());
                if let Some(p) = e.position {
                    err = err.with_position(p);
                }
                if self.txn.is_some() {
                    self.failed = true;
                }
                return vec![Err(err)];
            }
        };
        let mut results = Vec::new();
        for stmt in stmts {
            let anchor_grammar::Statement::Sql(stmt) = stmt;
            let result = self.statement(&stmt);
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        results
    }

    /// Runs one parsed statement.
    pub fn statement(&mut self, stmt: &ast::Statement) -> Result<StatementResult> {
        match stmt {
            ast::Statement::StartTransaction { modes, .. } => return self.begin(modes),
            ast::Statement::Commit { .. } => {
                let failed = std::mem::take(&mut self.failed);
                self.settings.now = None;
                return match self.txn.take() {
                    None => Ok(StatementResult::command("COMMIT")),
                    Some(txn) if failed => {
                        txn.rollback().map(|_| StatementResult::command("ROLLBACK"))
                    }
                    Some(txn) => txn.commit().map(|_| StatementResult::command("COMMIT")),
                };
            }
            ast::Statement::Rollback {
                savepoint: None, ..
            } => {
                self.failed = false;
                self.settings.now = None;
                if let Some(txn) = self.txn.take() {
                    txn.rollback()?;
                }
                return Ok(StatementResult::command("ROLLBACK"));
            }
            ast::Statement::Rollback {
                savepoint: Some(name),
                ..
            } => {
                let txn = self
                    .txn
                    .as_mut()
                    .ok_or_else(no_block("ROLLBACK TO SAVEPOINT"))?;
                txn.rollback_to(&name.value.to_lowercase())?;
                self.failed = false;
                return Ok(StatementResult::command("ROLLBACK"));
            }
            _ => {}
        }
        if self.failed {
            return Err(Error::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        match stmt {
            ast::Statement::Savepoint { name } => {
                let txn = self.txn.as_mut().ok_or_else(no_block("SAVEPOINT"))?;
                txn.savepoint(&name.value.to_lowercase());
                return Ok(StatementResult::command("SAVEPOINT"));
            }
            ast::Statement::ReleaseSavepoint { name } => {
                let txn = self
                    .txn
                    .as_mut()
                    .ok_or_else(no_block("RELEASE SAVEPOINT"))?;
                let r = txn.release(&name.value.to_lowercase());
                if r.is_err() {
                    self.failed = true;
                }
                return r.map(|_| StatementResult::command("RELEASE"));
            }
            _ => {}
        }
        match self.txn.take() {
            Some(mut txn) => {
                txn.new_statement();
                let result = run(txn.as_mut(), &self.settings, &self.cancel, stmt);
                if result.is_err() {
                    self.failed = true;
                }
                self.txn = Some(txn);
                result
            }
            None => {
                let mut txn: Box<dyn Transaction> =
                    Box::new(self.db.local.begin(IsolationLevel::ReadCommitted, false)?);
                match run(txn.as_mut(), &self.settings, &self.cancel, stmt) {
                    Ok(r) => {
                        txn.commit()?;
                        Ok(r)
                    }
                    Err(e) => {
                        // The statement's error is what the client needs to see.
                        let _ = txn.rollback();
                        Err(e)
                    }
                }
            }
        }
    }

    fn begin(&mut self, modes: &[ast::TransactionMode]) -> Result<StatementResult> {
        if self.txn.is_some() {
            // PostgreSQL warns and carries on.
            return Ok(StatementResult::command("BEGIN"));
        }
        let mut isolation = IsolationLevel::ReadCommitted;
        let mut read_only = false;
        for m in modes {
            match m {
                ast::TransactionMode::IsolationLevel(l) => {
                    isolation = match l {
                        ast::TransactionIsolationLevel::ReadUncommitted
                        | ast::TransactionIsolationLevel::ReadCommitted => {
                            IsolationLevel::ReadCommitted
                        }
                        ast::TransactionIsolationLevel::RepeatableRead => {
                            IsolationLevel::RepeatableRead
                        }
                        ast::TransactionIsolationLevel::Serializable => {
                            IsolationLevel::Serializable
                        }
                        other => {
                            return Err(Error::unsupported(format!("isolation level {other}")));
                        }
                    }
                }
                ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                    read_only = true
                }
                ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {
                    read_only = false
                }
            }
        }
        self.txn = Some(Box::new(self.db.local.begin(isolation, read_only)?));
        self.settings.now = Some(crate::functions::datetime::clock());
        Ok(StatementResult::command("BEGIN"))
    }
}

fn no_block(what: &'static str) -> impl Fn() -> Error {
    move || {
        Error::new(
            SqlState::NO_ACTIVE_SQL_TRANSACTION,
            format!("{what} can only be used in transaction blocks"),
        )
    }
}

/// Plans and executes one statement in `txn`.
fn run(
    txn: &mut dyn Transaction,
    settings: &Settings,
    cancel: &Arc<AtomicBool>,
    stmt: &ast::Statement,
) -> Result<StatementResult> {
    // now() is the transaction's start (set by BEGIN), else this statement's.
    let mut settings = settings.clone();
    let started = crate::functions::datetime::clock();
    settings.statement_now = Some(started);
    settings.now.get_or_insert(started);
    let plan = Planner::new(txn).plan(stmt)?;
    let mut ctx = Context::new(txn, &settings, &[], cancel.clone());
    execute_plan(plan, &mut ctx)
}

/// Brings each value to its column's exact type with assignment rules (a too-long string
/// for `varchar(n)` is 22001), then checks NOT NULL and CHECK constraints.
fn check_row(
    table: &crate::catalog::Table,
    row: &mut [Value],
    checks: &[(String, crate::plan::Expr)],
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

/// Executes a plan.
pub fn execute_plan(plan: Plan, ctx: &mut Context) -> Result<StatementResult> {
    Ok(match plan {
        Plan::Query { node, columns } => {
            let rows = exec::collect(&node, ctx)?;
            StatementResult {
                tag: format!("SELECT {}", rows.len()),
                columns,
                rows,
            }
        }
        Plan::Explain(text) => StatementResult {
            tag: "EXPLAIN".into(),
            columns: vec![("QUERY PLAN".into(), DataType::Text)],
            rows: text
                .lines()
                .map(|l| vec![Value::Text(l.to_string())])
                .collect(),
        },
        Plan::Insert {
            table,
            source,
            checks,
        } => {
            let rows = exec::collect(&source, ctx)?;
            let n = rows.len();
            for mut row in rows {
                check_row(&table, &mut row, &checks, ctx)?;
                ctx.txn.insert(&table, row)?;
            }
            StatementResult::command(format!("INSERT 0 {n}"))
        }
        Plan::Update {
            table,
            filter,
            assignments,
            checks,
        } => {
            let targets = matching_rows(&table, filter.as_ref(), ctx)?;
            let n = targets.len();
            for (key, old) in targets {
                let mut new = old.clone();
                for (i, e) in &assignments {
                    new[*i] = exec::eval(e, &old, ctx)?;
                }
                check_row(&table, &mut new, &checks, ctx)?;
                ctx.txn.update(&table, &key, &old, new)?;
            }
            StatementResult::command(format!("UPDATE {n}"))
        }
        Plan::Delete { table, filter } => {
            let targets = matching_rows(&table, filter.as_ref(), ctx)?;
            let n = targets.len();
            for (key, old) in targets {
                ctx.txn.delete(&table, &key, &old)?;
            }
            StatementResult::command(format!("DELETE {n}"))
        }
        Plan::CreateTable {
            mut table,
            if_not_exists,
        } => {
            if ctx.txn.table(&table.schema, &table.name)?.is_some() && if_not_exists {
                return Ok(StatementResult::command("CREATE TABLE"));
            }
            table.oid = ctx.txn.next_oid()?;
            for index in &mut table.indexes {
                index.oid = ctx.txn.next_oid()?;
            }
            ctx.txn.create_table(&table)?;
            StatementResult::command("CREATE TABLE")
        }
        Plan::CreateView {
            mut table,
            or_replace,
            if_not_exists,
        } => {
            if let Some(existing) = ctx.txn.table(&table.schema, &table.name)? {
                if if_not_exists {
                    return Ok(StatementResult::command("CREATE VIEW"));
                }
                if !or_replace || existing.view.is_none() {
                    return Err(Error::new(
                        SqlState::DUPLICATE_TABLE,
                        format!("relation \"{}\" already exists", table.name),
                    ));
                }
                table.oid = existing.oid;
                ctx.txn.alter_table(&table)?;
            } else {
                table.oid = ctx.txn.next_oid()?;
                ctx.txn.create_table(&table)?;
            }
            StatementResult::command("CREATE VIEW")
        }
        Plan::DropTable { tables, views } => {
            for t in &tables {
                ctx.txn.drop_table(t)?;
            }
            StatementResult::command(if views { "DROP VIEW" } else { "DROP TABLE" })
        }
        Plan::Truncate { tables } => {
            for t in &tables {
                ctx.txn.truncate(t)?;
            }
            StatementResult::command("TRUNCATE TABLE")
        }
        Plan::CreateTableAs {
            mut table,
            source,
            if_not_exists,
        } => {
            if ctx.txn.table(&table.schema, &table.name)?.is_some() {
                if if_not_exists {
                    return Ok(StatementResult::command("CREATE TABLE AS"));
                }
                return Err(Error::new(
                    SqlState::DUPLICATE_TABLE,
                    format!("relation \"{}\" already exists", table.name),
                ));
            }
            let rows = exec::collect(&source, ctx)?;
            table.oid = ctx.txn.next_oid()?;
            ctx.txn.create_table(&table)?;
            let n = rows.len();
            for row in rows {
                ctx.txn.insert(&table, row)?;
            }
            StatementResult::command(format!("SELECT {n}"))
        }
        Plan::CreateIndex {
            table,
            mut index,
            skip,
        } => {
            if !skip {
                index.oid = ctx.txn.next_oid()?;
                ctx.txn.create_index(&table, &index)?;
            }
            StatementResult::command("CREATE INDEX")
        }
        Plan::DropIndex { indexes } => {
            for (table, name) in &indexes {
                ctx.txn.drop_index(table, name)?;
            }
            StatementResult::command("DROP INDEX")
        }
    })
}

/// The rows of `table` that satisfy `filter`, read before any is changed (so an UPDATE never
/// sees its own new rows).
fn matching_rows(
    table: &crate::catalog::Table,
    filter: Option<&crate::plan::Expr>,
    ctx: &mut Context,
) -> Result<Vec<(Vec<u8>, Row)>> {
    let mut out = Vec::new();
    for item in ctx.txn.scan(table)? {
        let (key, row) = item?;
        let keep = match filter {
            Some(f) => exec::is_true(&exec::eval(f, &row, ctx)?),
            None => true,
        };
        if keep {
            out.push((key, row));
        }
    }
    Ok(out)
}
