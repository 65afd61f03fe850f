//! Sessions: one client's statements, settings and transaction.
//!
//! Outside a transaction block every statement runs in a transaction of its own
//! (autocommit). `BEGIN` opens a block; an error inside it fails the block, and every later
//! statement answers 25P02 until `ROLLBACK` (or `COMMIT`, which then rolls back), as in
//! PostgreSQL.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use anchor_engine::mvcc::{self, IsolationLevel, Mvcc};
use anchor_engine::{Engine, Memory};
use anchor_grammar::{PgStatement, ast};

use crate::cluster::Cluster;
use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context};
use crate::planner::{Plan, Planner};
use crate::prepared::{self, Prepared};
use crate::settings::{self, Variables};
use crate::storage::{Local, Row, Transaction};
use crate::types::{DataType, Settings, Value};
use parking_lot::Mutex;

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

    /// Starts a session on this database alone (CREATE and DROP DATABASE need a
    /// [`Cluster`]).
    pub fn session(self: &Arc<Self>) -> Session {
        Session {
            db: self.clone(),
            cluster: None,
            block: None,
            failed: false,
            vars: Arc::new(Mutex::new(Variables::default())),
            settings: Settings::default(),
            cancel: Arc::new(AtomicBool::new(false)),
            prepared: HashMap::new(),
        }
    }

    /// Starts a session on this database, which is `name` in `cluster`.
    pub fn session_in(self: &Arc<Self>, cluster: Arc<Cluster>, name: &str) -> Session {
        let mut session = self.session();
        session.vars.lock().cluster = Some(cluster.clone());
        session.cluster = Some(cluster);
        session.vars.lock().database = name.to_string();
        session
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

/// A transaction block: begun, but not started until its first statement (so that
/// `SET TRANSACTION` can still choose the isolation level), or running.
enum Block {
    Pending {
        isolation: IsolationLevel,
        read_only: bool,
    },
    Open(Box<dyn Transaction>),
}

/// One client's session.
pub struct Session {
    db: Arc<Database>,
    /// The cluster the database belongs to, if the session was opened through one.
    cluster: Option<Arc<Cluster>>,
    /// The open transaction block, if any.
    block: Option<Block>,
    /// The block failed: only ROLLBACK is accepted.
    failed: bool,
    /// The settings (`SET`), shared with running statements for `set_config`.
    vars: Arc<Mutex<Variables>>,
    /// What the type system needs of `vars`, refreshed after each statement.
    settings: Settings,
    cancel: Arc<AtomicBool>,
    /// Statements prepared with SQL's PREPARE, by name.
    prepared: HashMap<String, Arc<Prepared>>,
}

impl Session {
    /// Makes `role` the session user (`session_user`, `current_user`, the owner the
    /// catalogs show); the wire layer calls it after authentication.
    pub fn set_user(&mut self, role: &str) {
        self.vars.lock().user = role.to_string();
    }

    /// The session's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The value of a setting as `SHOW` prints it (for the wire layer's ParameterStatus).
    pub fn setting(&self, name: &str) -> Option<String> {
        self.vars.lock().show_if_exists(name)
    }

    /// The flag that cancels the running statement when set (from another thread).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// True while a transaction block is open.
    pub fn in_transaction(&self) -> bool {
        self.block.is_some()
    }

    /// True if the open block failed.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Marks the open transaction block failed, for an error met outside the session (a
    /// malformed parameter in a protocol message): later statements answer 25P02 until
    /// ROLLBACK, as in PostgreSQL. Outside a block it does nothing.
    pub fn fail_block(&mut self) {
        if self.block.is_some() {
            self.failed = true;
        }
    }

    /// Sets `name` to `value` for the whole session, as a client's start-up packet does
    /// (`application_name`, `DateStyle`, ... and the user as `session_authorization`):
    /// like `SET`, with its errors (42704 for an unknown name, 22023 for a bad value).
    pub fn set_startup_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        self.vars.lock().set(name, Some(value), false)?;
        self.refresh_settings();
        Ok(())
    }

    /// Runs every statement of `sql`, stopping at the first error (as the simple query
    /// protocol does).
    ///
    /// Several statements outside a transaction block run in one implicit transaction, as
    /// in PostgreSQL: an error rolls back the statements before it, and statements that
    /// refuse blocks (CREATE DATABASE) refuse the string. A string with transaction
    /// control of its own (BEGIN, COMMIT, SAVEPOINT, ...) runs statement by statement.
    pub fn execute(&mut self, sql: &str) -> Vec<Result<StatementResult>> {
        let stmts = match anchor_grammar::parse(sql) {
            Ok(s) => s,
            Err(e) => {
                let mut err = Error::new(SqlState::SYNTAX_ERROR, e.message.clone());
                if let Some(p) = e.position {
                    err = err.with_position(p);
                }
                if self.block.is_some() {
                    self.failed = true;
                }
                return vec![Err(err)];
            }
        };
        let implicit = stmts.len() > 1
            && self.block.is_none()
            && !stmts.iter().any(|s| match s {
                anchor_grammar::Statement::Sql(stmt) => controls_transaction(stmt),
                anchor_grammar::Statement::Maintenance(_) => true,
                anchor_grammar::Statement::Pg(_) => false,
            });
        if implicit && let Err(e) = self.begin(&[]) {
            return vec![Err(e)];
        }
        let mut results = Vec::new();
        for stmt in stmts {
            let result = match stmt {
                anchor_grammar::Statement::Sql(stmt) => self.statement(&stmt),
                anchor_grammar::Statement::Maintenance(m) => self.maintenance(&m),
                anchor_grammar::Statement::Pg(p) => self.pg_statement(&p),
            };
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        if implicit {
            let ok = results.last().is_some_and(|r| r.is_ok());
            if let Err(e) = self.end_implicit(ok)
                && ok
            {
                results.push(Err(e));
            }
        }
        results
    }

    /// Ends the implicit transaction of a multi-statement string: commits it if `commit`
    /// and nothing failed, else rolls it back.
    fn end_implicit(&mut self, commit: bool) -> Result<()> {
        let failed = std::mem::take(&mut self.failed);
        let Some(block) = self.block.take() else {
            return Ok(());
        };
        if commit && !failed {
            let r = end(block, true);
            if r.is_ok() {
                self.vars.lock().commit();
            } else {
                self.vars.lock().rollback();
            }
            r
        } else {
            self.vars.lock().rollback();
            end(block, false)
        }
    }

    /// Re-reads what the type system needs of the settings after a statement may have
    /// changed them (keeping the transaction's `now()`).
    fn refresh_settings(&mut self) {
        self.settings = Settings {
            now: self.settings.now,
            ..self.vars.lock().types()
        };
    }

    /// Runs one parsed statement.
    pub fn statement(&mut self, stmt: &ast::Statement) -> Result<StatementResult> {
        self.cancel.store(false, AtomicOrdering::Relaxed);
        let result = self.dispatch(stmt, None);
        self.refresh_settings();
        result
    }

    /// Runs one of the PostgreSQL statements `anchor-grammar` reads itself (`ALTER SEQUENCE`,
    /// `INSERT ... OVERRIDING`, `ALTER ... OWNER TO`).
    pub fn pg_statement(&mut self, stmt: &PgStatement) -> Result<StatementResult> {
        if self.failed {
            return Err(aborted());
        }
        self.cancel.store(false, AtomicOrdering::Relaxed);
        let result = self.run_in_transaction(Source::Pg(stmt), None);
        self.refresh_settings();
        result
    }

    /// Runs `CHECKPOINT` or `VACUUM`. Storage reclaims space by itself (compaction and MVCC
    /// garbage collection), so both only answer; `VACUUM ANALYZE` also analyzes.
    pub fn maintenance(&mut self, m: &anchor_grammar::Maintenance) -> Result<StatementResult> {
        if self.failed {
            return Err(aborted());
        }
        match m {
            anchor_grammar::Maintenance::Checkpoint => Ok(StatementResult::command("CHECKPOINT")),
            anchor_grammar::Maintenance::Vacuum { analyze, tables } => {
                if self.block.is_some() {
                    self.failed = true;
                    return Err(Error::new(
                        SqlState::ACTIVE_SQL_TRANSACTION,
                        "VACUUM cannot run inside a transaction block",
                    ));
                }
                let analysis = |table_name| {
                    ast::Statement::Analyze(ast::Analyze {
                        table_name,
                        partitions: None,
                        for_columns: false,
                        columns: Vec::new(),
                        cache_metadata: false,
                        noscan: false,
                        compute_statistics: false,
                        has_table_keyword: false,
                    })
                };
                let statements: Vec<ast::Statement> = if tables.is_empty() {
                    vec![analysis(None)]
                } else {
                    tables.iter().map(|t| analysis(Some(t.clone()))).collect()
                };
                if *analyze {
                    for statement in statements {
                        self.statement(&statement)?;
                    }
                } else {
                    let mut txn = self.db.local.begin(IsolationLevel::ReadCommitted, true)?;
                    for t in tables {
                        let parts: Vec<String> =
                            t.0.iter()
                                .map(|p| match p.as_ident() {
                                    Some(i) if i.quote_style.is_some() => i.value.clone(),
                                    Some(i) => i.value.to_lowercase(),
                                    None => p.to_string(),
                                })
                                .collect();
                        let (schema, name) = match parts.as_slice() {
                            [name] => (crate::catalog::DEFAULT_SCHEMA, name.as_str()),
                            [schema, name] => (schema.as_str(), name.as_str()),
                            _ => return Err(Error::unsupported(format!("VACUUM of {t}"))),
                        };
                        if txn.table(schema, name)?.is_none() {
                            return Err(Error::new(
                                SqlState::UNDEFINED_TABLE,
                                format!("relation \"{name}\" does not exist"),
                            ));
                        }
                    }
                    Box::new(txn).rollback()?;
                }
                Ok(StatementResult::command("VACUUM"))
            }
        }
    }

    /// Prepares `sql` (one statement, or none) for execution with
    /// [`execute_prepared`](Self::execute_prepared): parses it, plans it, and works out its
    /// parameter types (`declared`, where not `unknown`) and result columns.
    pub fn prepare(&mut self, sql: &str, declared: &[DataType]) -> Result<Arc<Prepared>> {
        let mut stmts = anchor_grammar::parse(sql).map_err(syntax_error)?;
        if stmts.len() > 1 {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        match stmts.pop() {
            None => Ok(Arc::new(Prepared {
                statement: None,
                param_types: declared.to_vec(),
                columns: Vec::new(),
                plan: parking_lot::Mutex::new(None),
                overriding: None,
            })),
            Some(anchor_grammar::Statement::Sql(stmt)) => {
                self.prepare_statement(*stmt, declared, None)
            }
            // COPY FROM inserts this way: explicit values into identity columns.
            Some(anchor_grammar::Statement::Pg(PgStatement::InsertOverriding {
                insert,
                system,
            })) => self.prepare_statement(*insert, declared, Some(system)),
            Some(s) => Err(Error::unsupported(format!(
                "{s} as a prepared statement (send it as a simple query)"
            ))),
        }
    }

    fn prepare_statement(
        &mut self,
        stmt: ast::Statement,
        declared: &[DataType],
        overriding: Option<bool>,
    ) -> Result<Arc<Prepared>> {
        if self.failed {
            return Err(aborted());
        }
        if !plannable(&stmt) {
            let columns = match &stmt {
                ast::Statement::ShowVariable { variable } => show_columns(variable),
                ast::Statement::Execute { name: Some(n), .. } => self
                    .prepared
                    .get(&n.to_string().to_lowercase())
                    .map(|p| p.columns.clone())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            return Ok(Arc::new(Prepared {
                statement: Some(stmt),
                param_types: declared.to_vec(),
                columns,
                plan: parking_lot::Mutex::new(None),
                overriding,
            }));
        }
        let key = (
            self.db.local.catalog_epoch(),
            self.vars.lock().search_path(),
        );
        let plan = match &mut self.block {
            Some(Block::Open(txn)) => Planner::new(txn.as_mut())
                .with_search_path(key.1.clone())
                .with_params(declared)
                .with_overriding(overriding)
                .plan(&stmt)?,
            _ => {
                let mut txn = self.db.local.begin(IsolationLevel::ReadCommitted, true)?;
                let plan = Planner::new(&mut txn)
                    .with_search_path(key.1.clone())
                    .with_params(declared)
                    .with_overriding(overriding)
                    .plan(&stmt);
                Box::new(txn).rollback()?;
                plan?
            }
        };
        Ok(Arc::new(Prepared {
            param_types: prepared::infer_params(&plan, declared),
            columns: prepared::describe(&plan),
            statement: Some(stmt),
            plan: parking_lot::Mutex::new(Some((key, plan))),
            overriding,
        }))
    }

    /// Executes a prepared statement with `params` (one value per parameter, of its type).
    pub fn execute_prepared(
        &mut self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Result<StatementResult> {
        if params.len() != prepared.param_types.len() {
            return Err(Error::new(
                SqlState::PROTOCOL_VIOLATION,
                format!(
                    "bind message supplies {} parameters, but prepared statement requires {}",
                    params.len(),
                    prepared.param_types.len()
                ),
            ));
        }
        let Some(stmt) = &prepared.statement else {
            return Ok(StatementResult::command(""));
        };
        self.cancel.store(false, AtomicOrdering::Relaxed);
        let result = self.dispatch(stmt, Some((prepared, params)));
        self.refresh_settings();
        result
    }

    fn dispatch(
        &mut self,
        stmt: &ast::Statement,
        bound: Option<(&Prepared, &[Value])>,
    ) -> Result<StatementResult> {
        match stmt {
            ast::Statement::StartTransaction { modes, .. } => return self.begin(modes),
            ast::Statement::Commit { .. } => {
                let failed = std::mem::take(&mut self.failed);
                return match self.block.take() {
                    None => Ok(StatementResult::command("COMMIT")),
                    Some(block) if failed => {
                        self.vars.lock().rollback();
                        end(block, false).map(|_| StatementResult::command("ROLLBACK"))
                    }
                    Some(block) => {
                        let r = end(block, true);
                        if r.is_ok() {
                            self.vars.lock().commit();
                        } else {
                            self.vars.lock().rollback();
                        }
                        r.map(|_| StatementResult::command("COMMIT"))
                    }
                };
            }
            ast::Statement::Rollback {
                savepoint: None, ..
            } => {
                self.failed = false;
                if let Some(block) = self.block.take() {
                    self.vars.lock().rollback();
                    end(block, false)?;
                }
                return Ok(StatementResult::command("ROLLBACK"));
            }
            ast::Statement::Rollback {
                savepoint: Some(name),
                ..
            } => {
                let name = name.value.to_lowercase();
                match self.block.as_mut() {
                    None => return Err(no_block("ROLLBACK TO SAVEPOINT")()),
                    Some(Block::Pending { .. }) => return Err(no_savepoint(&name)),
                    Some(Block::Open(txn)) => txn.rollback_to(&name)?,
                }
                self.vars.lock().rollback_to(&name);
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
        let result = self.session_statement(stmt);
        if result.is_err() && self.block.is_some() {
            self.failed = true;
        }
        match result {
            Ok(Some(r)) => Ok(r),
            Err(e) => Err(e),
            Ok(None) => self.run_in_transaction(Source::Sql(stmt), bound),
        }
    }

    /// Statements about the session itself; `None` for those that need a transaction.
    fn session_statement(&mut self, stmt: &ast::Statement) -> Result<Option<StatementResult>> {
        Ok(Some(match stmt {
            ast::Statement::Savepoint { name } => {
                let name = name.value.to_lowercase();
                let txn = self.open_block(Some("SAVEPOINT"))?;
                txn.savepoint(&name);
                self.vars.lock().savepoint(&name);
                StatementResult::command("SAVEPOINT")
            }
            ast::Statement::ReleaseSavepoint { name } => {
                let name = name.value.to_lowercase();
                let txn = self.open_block(Some("RELEASE SAVEPOINT"))?;
                txn.release(&name)?;
                self.vars.lock().release(&name);
                StatementResult::command("RELEASE")
            }
            ast::Statement::Set(set) => self.set(set)?,
            ast::Statement::ShowVariable { variable } => self.show(variable)?,
            ast::Statement::Reset(reset) => {
                match &reset.reset {
                    ast::Reset::ALL => self.vars.lock().reset_all(),
                    ast::Reset::ConfigurationParameter(name) => {
                        let name = object_name_text(name);
                        self.set_variable(&name, None, false)?;
                    }
                    ast::Reset::SessionAuthorization => {
                        self.vars.lock().set("session_authorization", None, false)?
                    }
                }
                StatementResult::command("RESET")
            }
            ast::Statement::Prepare {
                name,
                data_types,
                statement,
            } => {
                let name = name.value.to_lowercase();
                if self.prepared.contains_key(&name) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_PREPARED_STATEMENT,
                        format!("prepared statement \"{name}\" already exists"),
                    ));
                }
                let declared = data_types
                    .iter()
                    .map(DataType::from_sql)
                    .collect::<Result<Vec<_>>>()?;
                let prepared =
                    self.prepare_statement(statement.as_ref().clone(), &declared, None)?;
                self.prepared.insert(name, prepared);
                StatementResult::command("PREPARE")
            }
            ast::Statement::Execute {
                name: Some(name),
                parameters,
                using,
                into,
                immediate: false,
                ..
            } if using.is_empty() && into.is_empty() => {
                let name = name.to_string().to_lowercase();
                let prepared = self.prepared.get(&name).cloned().ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_SQL_STATEMENT_NAME,
                        format!("prepared statement \"{name}\" does not exist"),
                    )
                })?;
                if parameters.len() != prepared.param_types.len() {
                    return Err(prepared::wrong_count(
                        &name,
                        prepared.param_types.len(),
                        parameters.len(),
                    ));
                }
                let params = self.evaluate(parameters, &prepared.param_types)?;
                return match &prepared.statement {
                    Some(stmt) => self.dispatch(stmt, Some((&prepared, &params))).map(Some),
                    None => Ok(Some(StatementResult::command(""))),
                };
            }
            ast::Statement::Deallocate { name, .. } => {
                let name = name.value.to_lowercase();
                if name == "all" {
                    self.prepared.clear();
                } else if self.prepared.remove(&name).is_none() {
                    return Err(Error::new(
                        SqlState::INVALID_SQL_STATEMENT_NAME,
                        format!("prepared statement \"{name}\" does not exist"),
                    ));
                }
                StatementResult::command(if name == "all" {
                    "DEALLOCATE ALL"
                } else {
                    "DEALLOCATE"
                })
            }
            ast::Statement::CreateDatabase {
                db_name,
                if_not_exists,
                ..
            } => {
                let name = database_name(db_name)?;
                let cluster = self.cluster_for("CREATE DATABASE")?;
                match cluster.create_database(&name) {
                    Err(e) if *if_not_exists && e.sqlstate() == SqlState::DUPLICATE_DATABASE => {}
                    r => r?,
                }
                StatementResult::command("CREATE DATABASE")
            }
            ast::Statement::Drop {
                object_type: ast::ObjectType::Database,
                if_exists,
                names,
                ..
            } => {
                let cluster = self.cluster_for("DROP DATABASE")?;
                let current = self.vars.lock().database.clone();
                for n in names {
                    cluster.drop_database(&database_name(n)?, &current, *if_exists)?;
                }
                StatementResult::command("DROP DATABASE")
            }
            stmt if crate::roles::is_role_statement(stmt) => {
                let user = self.vars.lock().user.clone();
                let cluster = self.cluster.clone().ok_or_else(|| {
                    Error::unsupported("role commands in a database opened outside a cluster")
                })?;
                StatementResult::command(cluster.roles().execute(stmt, &user)?)
            }
            ast::Statement::Discard { object_type } => {
                if self.block.is_some() {
                    return Err(Error::new(
                        SqlState::ACTIVE_SQL_TRANSACTION,
                        "DISCARD ALL cannot run inside a transaction block",
                    ));
                }
                if matches!(object_type, ast::DiscardObject::ALL) {
                    self.vars.lock().reset_all();
                    self.prepared.clear();
                }
                if matches!(
                    object_type,
                    ast::DiscardObject::ALL | ast::DiscardObject::SEQUENCES
                ) {
                    let mut vars = self.vars.lock();
                    vars.currval.clear();
                    vars.lastval = None;
                }
                StatementResult::command(format!("DISCARD {object_type}"))
            }
            _ => return Ok(None),
        }))
    }

    /// The cluster, for `what` (CREATE or DROP DATABASE), which runs outside transaction
    /// blocks.
    fn cluster_for(&self, what: &str) -> Result<Arc<Cluster>> {
        if self.block.is_some() {
            return Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                format!("{what} cannot run inside a transaction block"),
            ));
        }
        self.cluster.clone().ok_or_else(|| {
            Error::unsupported(format!("{what} in a database opened outside a cluster"))
        })
    }

    /// The running transaction of the open block (started now if it was pending); `what`
    /// names the statement for the error outside a block.
    fn open_block(&mut self, what: Option<&'static str>) -> Result<&mut Box<dyn Transaction>> {
        match self.block.take() {
            None => Err(no_block(what.unwrap_or("this statement"))()),
            Some(Block::Pending {
                isolation,
                read_only,
            }) => {
                let txn = self.start(isolation, read_only)?;
                self.block = Some(Block::Open(txn));
                self.open_block(what)
            }
            Some(Block::Open(txn)) => {
                self.block = Some(Block::Open(txn));
                match &mut self.block {
                    Some(Block::Open(txn)) => Ok(txn),
                    _ => Err(Error::internal("transaction block vanished")),
                }
            }
        }
    }

    /// Starts a storage transaction and fixes `now()` to its start.
    fn start(
        &mut self,
        isolation: IsolationLevel,
        read_only: bool,
    ) -> Result<Box<dyn Transaction>> {
        let txn = self.db.local.begin(isolation, read_only)?;
        let mut vars = self.vars.lock();
        vars.set(
            "transaction_isolation",
            Some(isolation_name(isolation)),
            true,
        )?;
        vars.set(
            "transaction_read_only",
            Some(if read_only { "on" } else { "off" }),
            true,
        )?;
        Ok(Box::new(txn))
    }

    /// Plans and runs `stmt` (or runs its prepared plan with its parameters) in the open
    /// block, or in a transaction of its own.
    fn run_in_transaction(
        &mut self,
        stmt: Source<'_>,
        bound: Option<(&Prepared, &[Value])>,
    ) -> Result<StatementResult> {
        let timeout = self.vars.lock().millis("statement_timeout");
        let env = Env {
            deadline: (timeout > 0).then(|| Instant::now() + Duration::from_millis(timeout)),
            epoch: self.db.local.catalog_epoch(),
        };
        if self.block.is_some() {
            let settings = self.settings.clone();
            let vars = self.vars.clone();
            let cancel = self.cancel.clone();
            let txn = self.open_block(None)?;
            txn.new_statement();
            let result = run(txn.as_mut(), &settings, &vars, cancel, &env, stmt, bound);
            if result.is_err() {
                self.failed = true;
            }
            return result;
        }
        let (isolation, read_only) = self.defaults();
        self.vars.lock().begin();
        // now() is this statement's start (run() fills it in).
        self.settings.now = None;
        let mut txn = self.start(isolation, read_only)?;
        let result = run(
            txn.as_mut(),
            &self.settings,
            &self.vars,
            self.cancel.clone(),
            &env,
            stmt,
            bound,
        );
        match result {
            Ok(r) => match txn.commit() {
                Ok(()) => {
                    self.vars.lock().commit();
                    Ok(r)
                }
                Err(e) => {
                    self.vars.lock().rollback();
                    Err(e)
                }
            },
            Err(e) => {
                self.vars.lock().rollback();
                // The statement's error is what the client needs to see.
                let _ = txn.rollback();
                Err(e)
            }
        }
    }

    /// The isolation level and access mode of a new transaction.
    fn defaults(&self) -> (IsolationLevel, bool) {
        let vars = self.vars.lock();
        let isolation = isolation_level(
            &vars
                .show("default_transaction_isolation")
                .unwrap_or_default(),
        );
        (isolation, vars.flag("default_transaction_read_only"))
    }

    fn begin(&mut self, modes: &[ast::TransactionMode]) -> Result<StatementResult> {
        if self.failed {
            return Err(Error::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        if self.block.is_some() {
            // PostgreSQL warns and carries on.
            return Ok(StatementResult::command("BEGIN"));
        }
        let (mut isolation, mut read_only) = self.defaults();
        apply_modes(modes, &mut isolation, &mut read_only)?;
        self.block = Some(Block::Pending {
            isolation,
            read_only,
        });
        self.vars.lock().begin();
        self.settings.now = Some(crate::functions::datetime::clock());
        Ok(StatementResult::command("BEGIN"))
    }

    fn set(&mut self, set: &ast::Set) -> Result<StatementResult> {
        match set {
            ast::Set::SingleAssignment {
                scope,
                variable,
                values,
                ..
            } => {
                let name = object_name_text(variable);
                let local = matches!(scope, Some(ast::ContextModifier::Local));
                let value = set_value(values)?;
                self.set_variable(&name, value.as_deref(), local)?;
            }
            ast::Set::SetTimeZone { local, value } => {
                let value = set_value(std::slice::from_ref(value))?;
                let value = value.filter(|v| !v.eq_ignore_ascii_case("local"));
                self.set_variable("TimeZone", value.as_deref(), *local)?;
            }
            ast::Set::SetTransaction {
                modes,
                snapshot: None,
                session,
            } => {
                if *session {
                    let (mut isolation, mut read_only) = self.defaults();
                    apply_modes(modes, &mut isolation, &mut read_only)?;
                    let mut vars = self.vars.lock();
                    vars.set(
                        "default_transaction_isolation",
                        Some(isolation_name(isolation)),
                        false,
                    )?;
                    vars.set(
                        "default_transaction_read_only",
                        Some(if read_only { "on" } else { "off" }),
                        false,
                    )?;
                } else {
                    self.set_transaction(modes)?;
                }
                return Ok(StatementResult::command("SET"));
            }
            ast::Set::SetNames { charset_name, .. } => {
                self.set_variable("client_encoding", Some(&charset_name.value), false)?;
            }
            ast::Set::SetSessionAuthorization(_) | ast::Set::SetRole { .. } => {
                return Err(Error::unsupported("SET ROLE and SET SESSION AUTHORIZATION"));
            }
            other => {
                return Err(Error::unsupported(format!(
                    "SET form {}",
                    first_words(&other.to_string())
                )));
            }
        }
        Ok(StatementResult::command("SET"))
    }

    /// `SET name ...` / `RESET name` (`value` `None`).
    fn set_variable(&mut self, name: &str, value: Option<&str>, local: bool) -> Result<()> {
        let canonical = settings::canonical_name(name)?;
        if canonical == "transaction_isolation" || canonical == "transaction_read_only" {
            let Some(value) = value else {
                return Ok(());
            };
            let mode = if canonical == "transaction_isolation" {
                ast::TransactionMode::IsolationLevel(match isolation_level(value) {
                    IsolationLevel::ReadCommitted => ast::TransactionIsolationLevel::ReadCommitted,
                    IsolationLevel::RepeatableRead => {
                        ast::TransactionIsolationLevel::RepeatableRead
                    }
                    IsolationLevel::Serializable => ast::TransactionIsolationLevel::Serializable,
                })
            } else {
                let on = crate::types::text::parse_bool(value)?;
                ast::TransactionMode::AccessMode(if on {
                    ast::TransactionAccessMode::ReadOnly
                } else {
                    ast::TransactionAccessMode::ReadWrite
                })
            };
            return self.set_transaction(&[mode]);
        }
        // SET LOCAL outside a block has no effect (PostgreSQL warns).
        if local && self.block.is_none() {
            return settings::canonical_name(name).map(|_| ());
        }
        self.vars.lock().set(name, value, local)
    }

    /// `SET TRANSACTION`: only before the block's first query.
    fn set_transaction(&mut self, modes: &[ast::TransactionMode]) -> Result<()> {
        match &mut self.block {
            // PostgreSQL warns that it only works in blocks and does nothing.
            None => Ok(()),
            Some(Block::Pending {
                isolation,
                read_only,
            }) => apply_modes(modes, isolation, read_only),
            Some(Block::Open(_)) => Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "SET TRANSACTION ISOLATION LEVEL must be called before any query",
            )),
        }
    }

    fn show(&mut self, variable: &[ast::Ident]) -> Result<StatementResult> {
        let columns = show_columns(variable);
        let Some(name) = show_name(variable) else {
            let rows = self
                .vars
                .lock()
                .all()
                .into_iter()
                .map(|(n, v, d)| vec![Value::Text(n), Value::Text(v), Value::Text(d)])
                .collect::<Vec<_>>();
            return Ok(StatementResult {
                tag: "SHOW".into(),
                columns,
                rows,
            });
        };
        let value = match (name.as_str(), &self.block) {
            ("transaction_isolation", Some(Block::Pending { isolation, .. })) => {
                isolation_name(*isolation).to_string()
            }
            ("transaction_read_only", Some(Block::Pending { read_only, .. })) => {
                if *read_only { "on" } else { "off" }.to_string()
            }
            _ => self.vars.lock().show(&name)?,
        };
        Ok(StatementResult {
            tag: "SHOW".into(),
            columns,
            rows: vec![vec![Value::Text(value)]],
        })
    }

    /// Evaluates EXECUTE's arguments and brings them to the parameters' types.
    fn evaluate(&mut self, args: &[ast::Expr], types: &[DataType]) -> Result<Vec<Value>> {
        if args.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut parsed =
            anchor_grammar::parse(&format!("SELECT {}", list.join(", "))).map_err(syntax_error)?;
        let Some(anchor_grammar::Statement::Sql(select)) = parsed.pop() else {
            return Err(Error::internal("EXECUTE arguments did not parse"));
        };
        let result = self.run_in_transaction(Source::Sql(&select), None)?;
        let row = result.rows.into_iter().next().unwrap_or_default();
        row.into_iter()
            .zip(types)
            .map(|(v, t)| v.cast(t, &self.settings))
            .collect()
    }
}

/// The setting `SHOW` names (`None` for `SHOW ALL`).
fn show_name(variable: &[ast::Ident]) -> Option<String> {
    let words: Vec<String> = variable.iter().map(|i| i.value.to_lowercase()).collect();
    Some(match words.join(" ").as_str() {
        "time zone" => "TimeZone".to_string(),
        "transaction isolation level" => "transaction_isolation".to_string(),
        "session authorization" => "session_authorization".to_string(),
        "all" => return None,
        _ => variable
            .iter()
            .map(|i| i.value.clone())
            .collect::<Vec<_>>()
            .join("."),
    })
}

/// The columns `SHOW` answers with: the setting's name, or name, setting and description.
fn show_columns(variable: &[ast::Ident]) -> Vec<(String, DataType)> {
    match show_name(variable) {
        None => ["name", "setting", "description"]
            .into_iter()
            .map(|n| (n.to_string(), DataType::Text))
            .collect(),
        Some(name) => {
            let column = settings::canonical_name(&name).unwrap_or(name);
            let column = if column.contains('.') {
                column
            } else {
                column.to_lowercase()
            };
            vec![(column, DataType::Text)]
        }
    }
}

/// A database name as written (unquoted names fold to lowercase).
fn database_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [part] => match part.as_ident() {
            Some(i) if i.quote_style.is_some() => Ok(i.value.clone()),
            Some(i) => Ok(i.value.to_lowercase()),
            None => Err(Error::unsupported(format!("database name {name}"))),
        },
        _ => Err(Error::new(
            SqlState::SYNTAX_ERROR,
            format!("improper qualified name (too many dotted names): {name}"),
        )),
    }
}

/// True for statements that begin or end transactions or work with savepoints.
fn controls_transaction(stmt: &ast::Statement) -> bool {
    matches!(
        stmt,
        ast::Statement::StartTransaction { .. }
            | ast::Statement::Commit { .. }
            | ast::Statement::Rollback { .. }
            | ast::Statement::Savepoint { .. }
            | ast::Statement::ReleaseSavepoint { .. }
    )
}

/// Ends a block: commits or rolls back its transaction, if it started one.
fn end(block: Block, commit: bool) -> Result<()> {
    match block {
        Block::Pending { .. } => Ok(()),
        Block::Open(txn) if commit => txn.commit(),
        Block::Open(txn) => txn.rollback(),
    }
}

fn no_savepoint(name: &str) -> Error {
    Error::new(
        SqlState::INVALID_SAVEPOINT_SPECIFICATION,
        format!("savepoint \"{name}\" does not exist"),
    )
}

fn apply_modes(
    modes: &[ast::TransactionMode],
    isolation: &mut IsolationLevel,
    read_only: &mut bool,
) -> Result<()> {
    for m in modes {
        match m {
            ast::TransactionMode::IsolationLevel(l) => {
                *isolation = match l {
                    ast::TransactionIsolationLevel::ReadUncommitted
                    | ast::TransactionIsolationLevel::ReadCommitted => {
                        IsolationLevel::ReadCommitted
                    }
                    ast::TransactionIsolationLevel::RepeatableRead => {
                        IsolationLevel::RepeatableRead
                    }
                    ast::TransactionIsolationLevel::Serializable => IsolationLevel::Serializable,
                    other => return Err(Error::unsupported(format!("isolation level {other}"))),
                }
            }
            ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly) => {
                *read_only = true
            }
            ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadWrite) => {
                *read_only = false
            }
        }
    }
    Ok(())
}

fn isolation_level(name: &str) -> IsolationLevel {
    match name.trim().to_lowercase().as_str() {
        "repeatable read" => IsolationLevel::RepeatableRead,
        "serializable" => IsolationLevel::Serializable,
        _ => IsolationLevel::ReadCommitted,
    }
}

fn isolation_name(level: IsolationLevel) -> &'static str {
    match level {
        IsolationLevel::ReadCommitted => "read committed",
        IsolationLevel::RepeatableRead => "repeatable read",
        IsolationLevel::Serializable => "serializable",
    }
}

/// A setting name as written (`a.b`, `TimeZone`), unquoted.
fn object_name_text(name: &ast::ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p.as_ident() {
            Some(i) => i.value.clone(),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The value of `SET name TO values`: `None` for `DEFAULT`; a list is joined with `, `
/// (`SET search_path TO a, b`).
fn set_value(values: &[ast::Expr]) -> Result<Option<String>> {
    let mut parts = Vec::new();
    for v in values {
        let text = match v {
            ast::Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default") =>
            {
                if values.len() == 1 {
                    return Ok(None);
                }
                "default".to_string()
            }
            ast::Expr::Identifier(i) if i.quote_style.is_some() => {
                format!("\"{}\"", i.value.replace('"', "\"\""))
            }
            ast::Expr::Identifier(i) => i.value.to_lowercase(),
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                    s.clone()
                }
                ast::Value::Number(n, _) => n.clone(),
                ast::Value::Boolean(b) => if *b { "on" } else { "off" }.to_string(),
                other => return Err(Error::unsupported(format!("SET value {other}"))),
            },
            ast::Expr::UnaryOp {
                op: ast::UnaryOperator::Minus,
                expr,
            } => match expr.as_ref() {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(n, _) => format!("-{n}"),
                    other => return Err(Error::unsupported(format!("SET value -{other}"))),
                },
                other => return Err(Error::unsupported(format!("SET value -{other}"))),
            },
            other => return Err(Error::unsupported(format!("SET value {other}"))),
        };
        parts.push(text);
    }
    Ok(Some(parts.join(", ")))
}

fn first_words(s: &str) -> String {
    s.split_whitespace().take(4).collect::<Vec<_>>().join(" ")
}

fn no_block(what: &'static str) -> impl Fn() -> Error {
    move || {
        Error::new(
            SqlState::NO_ACTIVE_SQL_TRANSACTION,
            format!("{what} can only be used in transaction blocks"),
        )
    }
}

/// What a statement's execution needs besides the transaction.
struct Env {
    /// When statement_timeout runs out.
    deadline: Option<Instant>,
    /// The catalog epoch when the statement began.
    epoch: u64,
}

/// Plans and executes one statement in `txn`, or runs a prepared statement's plan (planned
/// again if the catalog changed since) with its parameters.
fn run(
    txn: &mut dyn Transaction,
    settings: &Settings,
    vars: &Arc<Mutex<Variables>>,
    cancel: Arc<AtomicBool>,
    env: &Env,
    stmt: Source<'_>,
    bound: Option<(&Prepared, &[Value])>,
) -> Result<StatementResult> {
    let search_path = vars.lock().search_path();
    let (plan, params) = match (bound, stmt) {
        (None, Source::Sql(stmt)) => (
            Planner::new(txn).with_search_path(search_path).plan(stmt)?,
            &[][..],
        ),
        (_, Source::Pg(stmt)) => (
            Planner::new(txn)
                .with_search_path(search_path)
                .plan_pg(stmt)?,
            &[][..],
        ),
        (Some((prepared, params)), Source::Sql(stmt)) => {
            let mut cached = prepared.plan.lock();
            let plan = match cached.as_ref() {
                Some(((epoch, path), plan)) if *epoch == env.epoch && *path == search_path => {
                    plan.clone()
                }
                _ => {
                    let plan = Planner::new(txn)
                        .with_search_path(search_path.clone())
                        .with_params(&prepared.param_types)
                        .with_overriding(prepared.overriding)
                        .plan(stmt)?;
                    if prepared::describe(&plan) != prepared.columns {
                        return Err(Error::unsupported(
                            "cached plan must not change result type",
                        ));
                    }
                    *cached = Some(((env.epoch, search_path), plan.clone()));
                    plan
                }
            };
            (plan, params)
        }
    };
    // now() is the transaction's start, statement_timestamp() this statement's.
    let mut settings = settings.clone();
    let started = crate::functions::datetime::clock();
    settings.statement_now = Some(started);
    settings.now.get_or_insert(started);
    let mut ctx = Context::new(txn, &settings, params, cancel);
    ctx.deadline = env.deadline;
    ctx.vars = Some(vars.clone());
    execute_plan(plan, &mut ctx)
}

/// A statement to plan: sqlparser's, or one of the PostgreSQL statements `anchor-grammar`
/// reads itself.
#[derive(Clone, Copy)]
enum Source<'a> {
    Sql(&'a ast::Statement),
    Pg(&'a PgStatement),
}

/// True for statements that are planned; the others are about the session (transaction
/// control, settings, prepared statements) and run without a plan.
fn plannable(stmt: &ast::Statement) -> bool {
    !crate::roles::is_role_statement(stmt)
        && !controls_transaction(stmt)
        && !matches!(
            stmt,
            ast::Statement::Set(_)
                | ast::Statement::ShowVariable { .. }
                | ast::Statement::Reset(_)
                | ast::Statement::Discard { .. }
                | ast::Statement::Prepare { .. }
                | ast::Statement::Execute { .. }
                | ast::Statement::Deallocate { .. }
                | ast::Statement::CreateDatabase { .. }
                | ast::Statement::Drop {
                    object_type: ast::ObjectType::Database,
                    ..
                }
        )
}

fn syntax_error(e: anchor_grammar::ParseError) -> Error {
    let mut err = Error::new(SqlState::SYNTAX_ERROR, e.message.clone());
    if let Some(p) = e.position {
        err = err.with_position(p);
    }
    err
}

fn aborted() -> Error {
    Error::new(
        SqlState::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

/// Executes a plan.
pub fn execute_plan(plan: Plan, ctx: &mut Context) -> Result<StatementResult> {
    Ok(match plan {
        Plan::Query {
            node,
            columns,
            locking,
        } => {
            ctx.row_locking = locking;
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
        plan @ (Plan::Insert { .. } | Plan::Update { .. } | Plan::Delete { .. }) => {
            crate::dml::execute(plan, ctx)?
        }
        Plan::ExplainAnalyze(plan, options) => crate::explain::analyze(*plan, options, ctx)?,
        Plan::CreateTable {
            mut table,
            if_not_exists,
            sequences,
        } => {
            if ctx.txn.table(&table.schema, &table.name)?.is_some() && if_not_exists {
                return Ok(StatementResult::command("CREATE TABLE"));
            }
            table.oid = ctx.txn.next_oid()?;
            for index in &mut table.indexes {
                index.oid = ctx.txn.next_oid()?;
            }
            crate::foreign_key::create_table(ctx.txn, &mut table)?;
            for mut seq in sequences {
                if let Some(def) = &mut seq.sequence
                    && let Some(owner) = &mut def.owned_by
                {
                    owner.0 = table.oid;
                }
                seq.oid = ctx.txn.next_oid()?;
                ctx.txn.create_table(&seq)?;
            }
            StatementResult::command("CREATE TABLE")
        }
        Plan::CreateSequence {
            mut sequence,
            if_not_exists,
        } => {
            if ctx.txn.table(&sequence.schema, &sequence.name)?.is_some() {
                if if_not_exists {
                    return Ok(StatementResult::command("CREATE SEQUENCE"));
                }
                return Err(Error::new(
                    SqlState::DUPLICATE_TABLE,
                    format!("relation \"{}\" already exists", sequence.name),
                ));
            }
            sequence.oid = ctx.txn.next_oid()?;
            ctx.txn.create_table(&sequence)?;
            StatementResult::command("CREATE SEQUENCE")
        }
        Plan::AlterTable(alteration) => {
            crate::ddl::alter_table(*alteration, ctx)?;
            StatementResult::command("ALTER TABLE")
        }
        Plan::Command(tag) => StatementResult::command(tag),
        Plan::WithWrites { writes, main } => {
            for (id, write) in writes {
                let result = execute_plan(write, ctx)?;
                let mut store = crate::spill::RowStore::new(ctx);
                for row in result.rows {
                    store.push(row)?;
                }
                ctx.ctes.insert(id, Arc::new(store));
            }
            execute_plan(*main, ctx)?
        }
        Plan::CreateType(ty) => {
            crate::ddl::create_type(ty, ctx)?;
            StatementResult::command("CREATE TYPE")
        }
        Plan::AlterType { ty, change } => {
            crate::ddl::alter_type(ty, change, ctx)?;
            StatementResult::command("ALTER TYPE")
        }
        Plan::DropType(types) => {
            for ty in &types {
                ctx.txn.drop_type(ty)?;
            }
            StatementResult::command("DROP TYPE")
        }
        Plan::CreateSchema {
            name,
            if_not_exists,
        } => {
            if if_not_exists && ctx.txn.schemas()?.iter().any(|(_, n)| *n == name) {
                return Ok(StatementResult::command("CREATE SCHEMA"));
            }
            ctx.txn.create_schema(&name)?;
            StatementResult::command("CREATE SCHEMA")
        }
        Plan::DropSchema {
            schemas,
            contents,
            types,
        } => {
            let (tables, others): (Vec<_>, Vec<_>) = contents
                .into_iter()
                .partition(|t| t.view.is_none() && t.sequence.is_none());
            crate::foreign_key::drop_tables(ctx.txn, &tables, true)?;
            for t in &others {
                ctx.txn.drop_table(t)?;
            }
            for ty in &types {
                ctx.txn.drop_type(ty)?;
            }
            for name in &schemas {
                ctx.txn.drop_schema(name)?;
            }
            StatementResult::command("DROP SCHEMA")
        }
        Plan::Analyze { tables, tag } => {
            crate::stats::analyze(&tables, ctx)?;
            StatementResult::command(tag)
        }
        Plan::AlterSequence { old, new, restart } => {
            if new.name != old.name {
                ctx.txn.rename_table(&old, &new.name)?;
            }
            ctx.txn.alter_table(&new)?;
            if let Some(v) = restart {
                ctx.txn.setval(&new, v, false)?;
            }
            StatementResult::command("ALTER SEQUENCE")
        }
        Plan::MoveRelations(moves) => {
            for (table, schema) in moves {
                ctx.txn.move_table(&table, &schema)?;
                ctx.txn
                    .alter_table(&crate::catalog::Table { schema, ..table })?;
            }
            StatementResult::command("ALTER TABLE")
        }
        Plan::DropSequence { sequences } => {
            for s in &sequences {
                ctx.txn.drop_table(s)?;
            }
            StatementResult::command("DROP SEQUENCE")
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
        Plan::DropTable {
            tables,
            views,
            cascade,
        } => {
            crate::foreign_key::drop_tables(ctx.txn, &tables, cascade)?;
            for t in &tables {
                drop_owned_sequences(t, ctx)?;
            }
            StatementResult::command(if views { "DROP VIEW" } else { "DROP TABLE" })
        }
        Plan::Truncate { tables, cascade } => {
            crate::foreign_key::truncate_tables(ctx.txn, &tables, cascade)?;
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
                crate::foreign_key::check_drop_index(ctx.txn, table, name)?;
                ctx.txn.drop_index(table, name)?;
            }
            StatementResult::command("DROP INDEX")
        }
    })
}

/// Drops the sequences owned by the columns of `table` (SERIAL and identity columns).
fn drop_owned_sequences(table: &crate::catalog::Table, ctx: &mut Context) -> Result<()> {
    for t in ctx.txn.tables()? {
        if t.sequence
            .as_ref()
            .and_then(|s| s.owned_by.as_ref())
            .is_some_and(|(oid, _)| *oid == table.oid)
        {
            ctx.txn.drop_table(&t)?;
        }
    }
    Ok(())
}
