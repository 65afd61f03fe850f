//! The binder and planner: a parsed statement becomes a [`Plan`], with every name resolved
//! against the catalog and every expression typed.
//!
//! A query is planned bottom-up as PostgreSQL evaluates it: FROM (scans and joins), WHERE
//! (a filter), GROUP BY and aggregates, HAVING, the select list (a projection), DISTINCT,
//! ORDER BY (a sort, on output columns or on hidden extra columns that a final projection
//! drops), LIMIT and OFFSET. Names are looked up in the scope of the FROM clause, then in the
//! scopes of enclosing queries (a correlated reference becomes [`Expr::Outer`]).
//!
//! In an aggregating query, expressions above the grouping are bound against the grouped
//! row: a subexpression equal to a GROUP BY expression becomes a reference to that group
//! column, an aggregate call becomes a reference to its result, and any other reference to a
//! column of the FROM clause is error 42803.
//!
//! Function calls, the operators and special syntaxes that are calls in disguise, and
//! set-returning functions in FROM (and lifted out of select lists) are bound in [`calls`].

mod calls;

mod aggregates;
mod ctes;
mod distinct_on;
mod quantified;
mod windows;

use anchor_grammar::ast;

use crate::aggregate::AGGREGATES;
use crate::catalog::{Column, DEFAULT_SCHEMA, Identity, Index, Table};
use crate::dml::{OnConflict, Returning};
use crate::error::{Error, Result, SqlState};
use crate::plan::{Aggregate, Expr, JoinKind, Node, RowLocking, SetOpKind, SortKey};
use crate::storage::Transaction;
use crate::types::{self, BinaryOp, DataType, Settings, UnaryOp, Value};

mod alter;
mod ddl;
mod dml;
mod pg;
mod stats;
mod system;
pub(crate) mod user_types;

pub use alter::Alteration;
pub use user_types::TypeChange;

/// A planned statement.
#[derive(Clone, Debug)]
pub enum Plan {
    /// A query: its rows and their column names and types.
    Query {
        /// The plan.
        node: Node,
        /// Output column names and types.
        columns: Vec<(String, DataType)>,
        /// `FOR UPDATE` / `FOR SHARE`: the rows read are locked.
        locking: Option<RowLocking>,
    },
    /// INSERT: rows from `source` (one value per table column) go into `table`.
    Insert {
        /// The table.
        table: Table,
        /// Produces complete rows in table column order.
        source: Node,
        /// CHECK constraints over the new row: (name, predicate).
        checks: Vec<(String, Expr)>,
        /// ON CONFLICT.
        on_conflict: Option<OnConflict>,
        /// RETURNING, over the inserted (or updated) row.
        returning: Option<Returning>,
    },
    /// UPDATE: rows of `table` satisfying `filter` get `assignments` (column, expression
    /// over the old row, followed by the row of `from` it joined).
    Update {
        /// The table.
        table: Table,
        /// Which rows.
        filter: Option<Expr>,
        /// New values by column position.
        assignments: Vec<(usize, Expr)>,
        /// CHECK constraints over the new row: (name, predicate).
        checks: Vec<(String, Expr)>,
        /// UPDATE ... FROM: the other tables, joined to each target row by `filter`.
        from: Option<Node>,
        /// RETURNING, over the new row followed by the row of `from`.
        returning: Option<Returning>,
    },
    /// DELETE: rows of `table` satisfying `filter`.
    Delete {
        /// The table.
        table: Table,
        /// Which rows (over the row followed by the row of `using` it joined).
        filter: Option<Expr>,
        /// DELETE ... USING: the other tables.
        using: Option<Node>,
        /// RETURNING, over the deleted row followed by the row of `using`.
        returning: Option<Returning>,
    },
    /// CREATE TABLE.
    CreateTable {
        /// The definition (oid 0: assigned when executed).
        table: Table,
        /// IF NOT EXISTS.
        if_not_exists: bool,
        /// Sequences of its SERIAL and identity columns, owned by them (the owner's oid is
        /// the table's, once it has one).
        sequences: Vec<Table>,
    },
    /// CREATE SEQUENCE.
    CreateSequence {
        /// The sequence (oid 0: assigned when executed).
        sequence: Table,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// CREATE SCHEMA.
    CreateSchema {
        /// The schema's name.
        name: String,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// DROP SCHEMA.
    DropSchema {
        /// The schemas.
        schemas: Vec<String>,
        /// The relations in them (CASCADE), dropped first.
        contents: Vec<Table>,
        /// The types in them (CASCADE), dropped after the relations.
        types: Vec<crate::types::EnumType>,
    },
    /// ALTER SEQUENCE.
    AlterSequence {
        /// The sequence as it is.
        old: Table,
        /// As it becomes (definition, name).
        new: Table,
        /// RESTART: the value the next `nextval` returns.
        restart: Option<i64>,
    },
    /// ALTER ... SET SCHEMA of relations: each (as it is) moves to the schema given with it.
    MoveRelations(Vec<(Table, String)>),
    /// DROP SEQUENCE.
    DropSequence {
        /// The sequences.
        sequences: Vec<Table>,
    },
    /// CREATE VIEW.
    CreateView {
        /// The view (oid 0: assigned when executed).
        table: Table,
        /// OR REPLACE.
        or_replace: bool,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// TRUNCATE: every row of the tables goes (transactionally).
    Truncate {
        /// The tables.
        tables: Vec<Table>,
        /// CASCADE: tables referencing them by foreign keys go too.
        cascade: bool,
    },
    /// CREATE TABLE ... AS query: a new table with the query's columns and rows.
    CreateTableAs {
        /// The definition (oid 0: assigned when executed).
        table: Table,
        /// The rows.
        source: Node,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// DROP TABLE or DROP VIEW.
    DropTable {
        /// The tables (or views).
        tables: Vec<Table>,
        /// DROP VIEW rather than DROP TABLE (for the command tag).
        views: bool,
        /// CASCADE: foreign keys referencing the tables are dropped with them.
        cascade: bool,
    },
    /// CREATE INDEX.
    CreateIndex {
        /// The table.
        table: Table,
        /// The new index (oid 0: assigned when executed).
        index: Index,
        /// IF NOT EXISTS and it exists: do nothing.
        skip: bool,
    },
    /// DROP INDEX.
    DropIndex {
        /// The table and the index's position in it.
        indexes: Vec<(Table, String)>,
    },
    /// ALTER TABLE.
    AlterTable(Box<Alteration>),
    /// CREATE TYPE ... AS ENUM (oid 0: assigned when executed).
    CreateType(crate::types::EnumType),
    /// ALTER TYPE.
    AlterType {
        /// The type as it is.
        ty: crate::types::EnumType,
        /// What changes.
        change: TypeChange,
    },
    /// DROP TYPE: types no column uses.
    DropType(Vec<crate::types::EnumType>),
    /// A statement whose WITH clause holds data-modifying statements: they run first, once
    /// each, and their RETURNING rows become their WITH queries' rows.
    WithWrites {
        /// The INSERT, UPDATE and DELETE plans, with the ids of their WITH queries.
        writes: Vec<(usize, Plan)>,
        /// The statement.
        main: Box<Plan>,
    },
    /// A statement with nothing to do but answer its tag (`ALTER TABLE IF EXISTS` of a
    /// missing table, `VACUUM`, `CHECKPOINT`).
    Command(String),
    /// EXPLAIN: the plan's text.
    Explain(String),
    /// EXPLAIN ANALYZE: the statement to run and show.
    ExplainAnalyze(Box<Plan>, crate::explain::ExplainOptions),
    /// ANALYZE (or VACUUM ANALYZE): refreshes these tables' statistics.
    Analyze {
        /// The tables.
        tables: Vec<Table>,
        /// The command tag: ANALYZE or VACUUM.
        tag: &'static str,
    },
}

/// A column visible in a scope: its qualifier (table name or alias), name and type.
#[derive(Clone, Debug)]
struct ScopeColumn {
    qualifier: Option<String>,
    name: String,
    data_type: DataType,
    /// Merged away by `JOIN ... USING` or `NATURAL JOIN`: reachable only qualified
    /// (`a.x`), and left out of an unqualified `*`.
    hidden: bool,
}

/// The columns a FROM clause makes visible, in the order of the rows it produces.
#[derive(Clone, Debug, Default)]
struct Scope {
    columns: Vec<ScopeColumn>,
}

impl Scope {
    /// The columns of `table`, qualified by its alias or else its name.
    fn of_table(table: &Table, alias: Option<&ast::TableAlias>) -> Scope {
        let qualifier = alias
            .map(|a| ident(&a.name))
            .unwrap_or_else(|| table.name.clone());
        Scope {
            columns: table
                .columns
                .iter()
                .map(|c| ScopeColumn {
                    qualifier: Some(qualifier.clone()),
                    name: c.name.clone(),
                    data_type: c.data_type.clone(),
                    hidden: false,
                })
                .collect(),
        }
    }

    fn join(&self, other: &Scope) -> Scope {
        Scope {
            columns: self.columns.iter().chain(&other.columns).cloned().collect(),
        }
    }

    /// What `*` stands for: every column but those merged away by USING, as expressions
    /// with their names.
    fn wildcard(&self) -> Vec<(ast::Expr, String)> {
        self.columns
            .iter()
            .filter(|c| !c.hidden)
            .map(|c| (qualified_ident(c), c.name.clone()))
            .collect()
    }

    /// What `q.*` stands for (42P01 if no FROM item is called `q`).
    fn qualified_wildcard(&self, q: &str) -> Result<Vec<(ast::Expr, String)>> {
        let cols: Vec<(ast::Expr, String)> = self
            .columns
            .iter()
            .filter(|c| c.qualifier.as_deref() == Some(q))
            .map(|c| (qualified_ident(c), c.name.clone()))
            .collect();
        if cols.is_empty() {
            return Err(Error::new(
                SqlState::UNDEFINED_TABLE,
                format!("missing FROM-clause entry for table \"{q}\""),
            ));
        }
        Ok(cols)
    }

    /// Finds a column: `Ok(None)` if absent, an error if ambiguous.
    fn lookup(&self, qualifier: Option<&str>, name: &str) -> Result<Option<usize>> {
        let mut found = None;
        for (i, c) in self.columns.iter().enumerate() {
            let qualifies = match qualifier {
                Some(q) => c.qualifier.as_deref() == Some(q),
                None => !c.hidden,
            };
            if qualifies && c.name == name {
                if found.is_some() {
                    return Err(Error::new(
                        SqlState::AMBIGUOUS_COLUMN,
                        format!("column reference \"{name}\" is ambiguous"),
                    ));
                }
                found = Some(i);
            }
        }
        Ok(found)
    }
}

/// The grouping of an aggregating query, while its upper expressions are bound.
struct Grouping {
    /// GROUP BY expressions bound over the FROM row.
    groups: Vec<Expr>,
    /// Their types.
    group_types: Vec<DataType>,
    /// Aggregates found so far.
    aggregates: Vec<Aggregate>,
}

/// Plans statements against the catalog a transaction sees.
pub struct Planner<'a> {
    txn: &'a mut dyn Transaction,
    /// Scopes of enclosing queries, innermost last.
    outer: Vec<Scope>,
    /// Run the optimizer over queries (golden tests turn it off to show the plan before).
    optimize: bool,
    /// WITH queries in scope, innermost last.
    ctes: Vec<ctes::Cte>,
    /// The last id given to a WITH query or recursion.
    next_id: usize,
    /// The window calls of the select list being bound (`None` where they are not allowed).
    windows: Option<windows::Windows>,
    /// The error for a window call where none is allowed.
    window_error: (SqlState, &'static str),
    /// Declared types of the parameters `$1`, `$2`, ... (`unknown`: inferred from use).
    params: Vec<DataType>,
    /// Where unqualified names are looked up, and created (the first that exists).
    search_path: Vec<String>,
    /// The INSERT being planned has `OVERRIDING SYSTEM VALUE` (`Some(true)`) or `OVERRIDING
    /// USER VALUE` (`Some(false)`).
    overriding: Option<bool>,
    /// Data-modifying WITH queries planned so far, with their ids.
    writes: Vec<(usize, Plan)>,
    /// How many queries enclose the one being planned (1 for a statement's own query).
    query_depth: usize,
}

/// The error for a window call outside a select list or ORDER BY.
const WINDOW_NOT_ALLOWED: (SqlState, &str) = (
    windows::WINDOWING_ERROR,
    "window functions are not allowed here",
);

fn ident(i: &ast::Ident) -> String {
    // Unquoted identifiers fold to lower case, as in PostgreSQL.
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

fn object_name(name: &ast::ObjectName) -> Result<(String, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => Ok(ident(i)),
            other => Err(Error::unsupported(format!("name {other}"))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [name] => Ok((DEFAULT_SCHEMA.to_string(), name.clone())),
        [schema, name] => Ok((schema.clone(), name.clone())),
        _ => Err(Error::unsupported(format!("qualified name {name}"))),
    }
}

fn bool_type(e: &Expr, t: &DataType, what: &str) -> Result<Expr> {
    match t {
        DataType::Bool => Ok(e.clone()),
        DataType::Unknown => Ok(Expr::Cast(Box::new(e.clone()), DataType::Bool)),
        other => Err(Error::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "argument of {what} must be type boolean, not type {}",
                other.name()
            ),
        )),
    }
}

impl<'a> Planner<'a> {
    /// A planner over `txn`'s catalog.
    pub fn new(txn: &'a mut dyn Transaction) -> Self {
        Planner {
            txn,
            outer: Vec::new(),
            optimize: true,
            ctes: Vec::new(),
            next_id: 0,
            windows: None,
            window_error: WINDOW_NOT_ALLOWED,
            params: Vec::new(),
            search_path: vec![DEFAULT_SCHEMA.to_string()],
            overriding: None,
            writes: Vec::new(),
            query_depth: 0,
        }
    }

    /// A planner that leaves queries as bound, without the optimizer's rewrites.
    pub fn unoptimized(txn: &'a mut dyn Transaction) -> Self {
        Planner {
            txn,
            outer: Vec::new(),
            optimize: false,
            ctes: Vec::new(),
            next_id: 0,
            windows: None,
            window_error: WINDOW_NOT_ALLOWED,
            params: Vec::new(),
            search_path: vec![DEFAULT_SCHEMA.to_string()],
            overriding: None,
            writes: Vec::new(),
            query_depth: 0,
        }
    }

    /// Sets the schemas unqualified names are looked up in (the session's `search_path`).
    pub fn with_search_path(mut self, path: Vec<String>) -> Self {
        self.search_path = path;
        self
    }

    /// Declares the types of the parameters (`unknown` for those left to inference).
    pub fn with_params(mut self, types: &[DataType]) -> Self {
        self.params = types.to_vec();
        self
    }

    /// Plans INSERTs with `OVERRIDING SYSTEM VALUE` (`Some(true)`) or `OVERRIDING USER
    /// VALUE` (`Some(false)`).
    pub fn with_overriding(mut self, overriding: Option<bool>) -> Self {
        self.overriding = overriding;
        self
    }

    /// Plans one statement.
    pub fn plan(&mut self, stmt: &ast::Statement) -> Result<Plan> {
        let plan = self.plan_statement(stmt)?;
        if self.writes.is_empty() {
            return Ok(plan);
        }
        Ok(Plan::WithWrites {
            writes: std::mem::take(&mut self.writes),
            main: Box::new(plan),
        })
    }

    fn plan_statement(&mut self, stmt: &ast::Statement) -> Result<Plan> {
        match stmt {
            ast::Statement::Query(q)
                if matches!(
                    q.body.as_ref(),
                    ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_)
                ) =>
            {
                self.with_write(q)
            }
            ast::Statement::Query(q) => {
                let (locking, unlocked);
                let q = if q.locks.is_empty() {
                    locking = None;
                    q
                } else {
                    locking = Some(self.row_locking(q)?);
                    unlocked = ast::Query {
                        locks: Vec::new(),
                        ..q.as_ref().clone()
                    };
                    &unlocked
                };
                let (node, mut columns) = self.query(q)?;
                let mut node = self.optimized(node);
                if let Some(locking) = &locking {
                    node = crate::lock_rows::place(node, locking);
                }
                // What is still untyped at the top is text, as in PostgreSQL.
                for (_, t) in &mut columns {
                    if *t == DataType::Unknown {
                        *t = DataType::Text;
                    }
                }
                Ok(Plan::Query {
                    node,
                    columns,
                    locking,
                })
            }
            ast::Statement::Insert(insert) => self.insert(insert),
            ast::Statement::Update(update) => self.update(update),
            ast::Statement::Delete(delete) => self.delete(delete),
            ast::Statement::CreateTable(create) => self.create_table(create),
            ast::Statement::CreateIndex(create) => self.create_index(create),
            ast::Statement::AlterTable(alter) => self.alter_table(alter),
            ast::Statement::CreateSchema {
                schema_name,
                if_not_exists,
                ..
            } => self.create_schema(schema_name, *if_not_exists),
            ast::Statement::CreateSequence {
                temporary,
                if_not_exists,
                name,
                data_type,
                sequence_options,
                owned_by,
            } => self.create_sequence(
                name,
                *if_not_exists,
                *temporary,
                data_type.as_ref(),
                sequence_options,
                owned_by.as_ref(),
            ),
            ast::Statement::CreateView(create) => self.create_view(create),
            ast::Statement::CreateType {
                name,
                representation,
            } => self.create_type(name, representation.as_ref()),
            ast::Statement::AlterType(alter) => self.alter_type(alter),
            ast::Statement::Truncate(truncate) => {
                let mut tables = Vec::new();
                for target in &truncate.table_names {
                    tables.push(self.target(&target.name)?);
                }
                Ok(Plan::Truncate {
                    tables,
                    cascade: matches!(truncate.cascade, Some(ast::CascadeOption::Cascade)),
                })
            }
            ast::Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                ..
            } => self.drop(object_type, *if_exists, *cascade, names),
            ast::Statement::Analyze(analyze) => self.analyze(analyze),
            ast::Statement::Explain {
                statement,
                analyze,
                options,
                ..
            } => {
                let options =
                    crate::explain::ExplainOptions::from_ast(*analyze, options.as_deref())?;
                if options.analyze {
                    let plan = self.plan(statement)?;
                    return Ok(Plan::ExplainAnalyze(Box::new(plan), options));
                }
                Ok(Plan::Explain(explain_text(&self.plan(statement)?)?))
            }
            other => Err(Error::unsupported(format!(
                "statement {}",
                first_words(&other.to_string())
            ))),
        }
    }

    /// WITH in front of INSERT, UPDATE or DELETE.
    fn with_write(&mut self, q: &ast::Query) -> Result<Plan> {
        let (ast::SetExpr::Insert(inner)
        | ast::SetExpr::Update(inner)
        | ast::SetExpr::Delete(inner)) = q.body.as_ref()
        else {
            return Err(Error::internal("not a data-modifying statement"));
        };
        let depth = self.ctes.len();
        let planned = match &q.with {
            Some(with) => self.with_clause(with).and_then(|()| self.plan(inner)),
            None => self.plan(inner),
        };
        self.ctes.truncate(depth);
        planned
    }

    /// The row locks of `SELECT ... FOR UPDATE / FOR SHARE`, with PostgreSQL's restrictions.
    fn row_locking(&mut self, q: &ast::Query) -> Result<RowLocking> {
        let mut locking = RowLocking {
            tables: Vec::new(),
            update: false,
            policy: anchor_engine::mvcc::WaitPolicy::Wait,
        };
        let what = if q.locks.iter().any(|l| l.lock_type == ast::LockType::Update) {
            "FOR UPDATE"
        } else {
            "FOR SHARE"
        };
        let refuse = |clause: &str| {
            Err(Error::unsupported(format!(
                "{what} is not allowed with {clause}"
            )))
        };
        match q.body.as_ref() {
            ast::SetExpr::Select(select) => {
                if select.distinct.is_some() {
                    return refuse("DISTINCT clause");
                }
                if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty())
                {
                    return refuse("GROUP BY clause");
                }
                if select.having.is_some() {
                    return refuse("HAVING clause");
                }
                let aggregate = select.projection.iter().any(|item| match item {
                    ast::SelectItem::UnnamedExpr(e)
                    | ast::SelectItem::ExprWithAlias { expr: e, .. } => has_aggregate(e),
                    _ => false,
                });
                if aggregate {
                    return refuse("aggregate functions");
                }
            }
            ast::SetExpr::SetOperation { .. } => return refuse("UNION/INTERSECT/EXCEPT"),
            _ => {}
        }
        for lock in &q.locks {
            locking.update |= lock.lock_type == ast::LockType::Update;
            match lock.nonblock {
                Some(ast::NonBlock::Nowait) => {
                    locking.policy = anchor_engine::mvcc::WaitPolicy::NoWait
                }
                Some(ast::NonBlock::SkipLocked) => {
                    locking.policy = anchor_engine::mvcc::WaitPolicy::SkipLocked
                }
                None => {}
            }
            if let Some(of) = &lock.of {
                let (_, name) = object_name(of)?;
                let oid = self.lock_target(q, &name)?;
                locking.tables.push(oid);
            }
        }
        Ok(locking)
    }

    /// The table that `FOR UPDATE OF name` means: a FROM item of the query named (or
    /// aliased) `name`.
    fn lock_target(&mut self, q: &ast::Query, name: &str) -> Result<crate::catalog::Oid> {
        if let ast::SetExpr::Select(select) = q.body.as_ref() {
            let factors = select.from.iter().flat_map(|t| {
                std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation))
            });
            for factor in factors {
                if let ast::TableFactor::Table {
                    name: table, alias, ..
                } = factor
                {
                    let (_, table_name) = object_name(table)?;
                    let visible = alias.as_ref().map(|a| ident(&a.name)).unwrap_or(table_name);
                    if visible == name {
                        return Ok(self.table(table)?.oid);
                    }
                }
            }
        }
        Err(Error::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{name}\" in FOR UPDATE clause not found in FROM clause"),
        ))
    }

    fn optimized(&self, node: Node) -> Node {
        if self.optimize {
            crate::optimizer::optimize(node)
        } else {
            node
        }
    }

    /// A table that rows are written to: views refuse (PostgreSQL's automatically
    /// updatable views are not supported).
    fn target(&mut self, name: &ast::ObjectName) -> Result<Table> {
        let table = self.table(name)?;
        if table.view.is_some() {
            return Err(Error::unsupported(format!(
                "writing to view \"{}\"",
                table.name
            )));
        }
        if table.sequence.is_some() {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("cannot change sequence \"{}\"", table.name),
            ));
        }
        Ok(table)
    }

    fn table(&mut self, name: &ast::ObjectName) -> Result<Table> {
        let qualified = name.0.len() > 1;
        let (schema, name) = object_name(name)?;
        let schemas = if qualified {
            vec![schema.clone()]
        } else {
            self.search_path.clone()
        };
        for schema in &schemas {
            if let Some(t) = self.txn.table(schema, &name)? {
                return Ok(t);
            }
        }
        let shown = if qualified {
            format!("{schema}.{name}")
        } else {
            name
        };
        Err(Error::new(
            SqlState::UNDEFINED_TABLE,
            format!("relation \"{shown}\" does not exist"),
        ))
    }

    // ---- queries

    /// Plans a query; returns its node and output columns.
    fn query(&mut self, q: &ast::Query) -> Result<(Node, Vec<(String, DataType)>)> {
        self.query_depth += 1;
        let planned = match &q.with {
            None => self.query_body(q),
            Some(with) => {
                let depth = self.ctes.len();
                let planned = self.with_clause(with).and_then(|()| self.query_body(q));
                self.ctes.truncate(depth);
                planned
            }
        };
        self.query_depth -= 1;
        planned
    }

    /// Plans a query after its WITH clause.
    fn query_body(&mut self, q: &ast::Query) -> Result<(Node, Vec<(String, DataType)>)> {
        if !q.locks.is_empty() {
            return Err(Error::unsupported("SELECT ... FOR UPDATE/SHARE"));
        }
        let order_by: &[ast::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(ast::OrderBy {
                kind: ast::OrderByKind::Expressions(e),
                ..
            }) => e,
            Some(_) => return Err(Error::unsupported("ORDER BY ALL")),
        };
        let (mut node, columns) = match q.body.as_ref() {
            ast::SetExpr::Select(select) => self.select(select, order_by)?,
            other => {
                let (node, columns) = self.set_expr(other)?;
                let node = self.order_by_output(node, &columns, order_by)?;
                (node, columns)
            }
        };
        let (limit, offset) = match &q.limit_clause {
            None => (None, None),
            Some(ast::LimitClause::LimitOffset { limit, offset, .. }) => {
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
                (Some(limit), Some(offset))
            }
        };
        if limit.is_some() || offset.is_some() {
            let mut bind = |e: Option<&ast::Expr>| -> Result<Option<Expr>> {
                e.map(|e| self.expr(e, &Scope::default(), None).map(|(e, _)| e))
                    .transpose()
            };
            let limit = bind(limit)?;
            let offset = bind(offset)?;
            node = Node::Limit {
                input: Box::new(node),
                limit,
                offset,
            };
        }
        Ok((node, columns))
    }

    fn set_expr(&mut self, body: &ast::SetExpr) -> Result<(Node, Vec<(String, DataType)>)> {
        match body {
            ast::SetExpr::Select(select) => self.select(select, &[]),
            ast::SetExpr::Query(q) => self.query(q),
            ast::SetExpr::Values(values) => self.values(values),
            ast::SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let (l, lcols) = self.set_expr(left)?;
                let (r, rcols) = self.set_expr(right)?;
                let name = match op {
                    ast::SetOperator::Union => "UNION",
                    ast::SetOperator::Intersect => "INTERSECT",
                    ast::SetOperator::Except | ast::SetOperator::Minus => "EXCEPT",
                };
                if lcols.len() != rcols.len() {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("each {name} query must have the same number of columns"),
                    ));
                }
                let mut columns = Vec::new();
                let mut lcasts = Vec::new();
                let mut rcasts = Vec::new();
                for (i, ((name_l, tl), (_, tr))) in lcols.iter().zip(&rcols).enumerate() {
                    let t = types::common_type(&[tl.clone(), tr.clone()]).map_err(|_| {
                        Error::new(
                            SqlState::DATATYPE_MISMATCH,
                            format!(
                                "{name} types {} and {} cannot be matched",
                                tl.name(),
                                tr.name()
                            ),
                        )
                    })?;
                    let t = if t == DataType::Unknown {
                        DataType::Text
                    } else {
                        t
                    };
                    lcasts.push(cast_to(Expr::Column(i), tl, &t));
                    rcasts.push(cast_to(Expr::Column(i), tr, &t));
                    columns.push((name_l.clone(), t));
                }
                let all = matches!(set_quantifier, ast::SetQuantifier::All);
                let kind = match op {
                    ast::SetOperator::Union => SetOpKind::Union,
                    ast::SetOperator::Intersect => SetOpKind::Intersect,
                    _ => SetOpKind::Except,
                };
                let node = Node::SetOp {
                    op: kind,
                    all,
                    left: Box::new(Node::Project {
                        input: Box::new(l),
                        exprs: lcasts,
                    }),
                    right: Box::new(Node::Project {
                        input: Box::new(r),
                        exprs: rcasts,
                    }),
                };
                Ok((node, columns))
            }
            other => Err(Error::unsupported(format!(
                "query {}",
                first_words(&other.to_string())
            ))),
        }
    }

    fn values(&mut self, values: &ast::Values) -> Result<(Node, Vec<(String, DataType)>)> {
        let mut rows = Vec::new();
        let mut types_by_col: Vec<Vec<DataType>> = Vec::new();
        for row in &values.rows {
            let mut out = Vec::new();
            for (i, e) in row.iter().enumerate() {
                let (e, t) = self.expr(e, &Scope::default(), None)?;
                if types_by_col.len() <= i {
                    types_by_col.push(Vec::new());
                }
                types_by_col[i].push(t);
                out.push(e);
            }
            if let Some(first) = rows.first().map(Vec::len)
                && first != out.len()
            {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "VALUES lists must all be the same length",
                ));
            }
            rows.push(out);
        }
        let mut columns = Vec::new();
        for (i, ts) in types_by_col.iter().enumerate() {
            // Untyped literals stay untyped: an INSERT gives them the column's type.
            let t = if ts.iter().all(|t| *t == DataType::Unknown) {
                DataType::Unknown
            } else {
                types::common_type_in("VALUES", ts)?
            };
            for (row, from) in rows.iter_mut().zip(ts) {
                row[i] = cast_to(row[i].clone(), from, &t);
            }
            columns.push((format!("column{}", i + 1), t));
        }
        Ok((Node::Values { rows }, columns))
    }

    /// Plans the FROM clause: a node and the scope of its rows.
    fn from(&mut self, from: &[ast::TableWithJoins]) -> Result<(Node, Scope)> {
        let mut result: Option<(Node, Scope)> = None;
        for twj in from {
            // A set-returning function whose arguments read earlier FROM items runs over
            // their rows (an implicitly lateral call).
            if let Some((left, lscope)) = &result
                && let Some((node, scope, true)) =
                    self.function_factor(&twj.relation, Some((left, lscope)))?
            {
                if !twj.joins.is_empty() {
                    return Err(Error::unsupported("JOIN after a lateral function call"));
                }
                result = Some((node, scope));
                continue;
            }
            let (mut node, mut scope) = self.table_factor(&twj.relation)?;
            for join in &twj.joins {
                if let Some((n, s)) = self.lateral_join(join, &node, &scope)? {
                    (node, scope) = (n, s);
                    continue;
                }
                let (right, rscope) = self.table_factor(&join.relation)?;
                let (kind, constraint) = match &join.join_operator {
                    ast::JoinOperator::Join(c) | ast::JoinOperator::Inner(c) => {
                        (JoinKind::Inner, Some(c))
                    }
                    ast::JoinOperator::Left(c) | ast::JoinOperator::LeftOuter(c) => {
                        (JoinKind::Left, Some(c))
                    }
                    ast::JoinOperator::Right(c) | ast::JoinOperator::RightOuter(c) => {
                        (JoinKind::Right, Some(c))
                    }
                    ast::JoinOperator::FullOuter(c) => (JoinKind::Full, Some(c)),
                    ast::JoinOperator::CrossJoin(_) => (JoinKind::Inner, None),
                    other => return Err(Error::unsupported(format!("join {other:?}"))),
                };
                let joined = scope.join(&rscope);
                let mut using = None;
                let on = match constraint {
                    Some(ast::JoinConstraint::On(e)) => {
                        let (e, t) = self.expr(e, &joined, None)?;
                        Some(bool_type(&e, &t, "JOIN/ON")?)
                    }
                    Some(ast::JoinConstraint::Using(names)) => {
                        let names = names
                            .iter()
                            .map(|n| object_name(n).map(|(_, n)| n))
                            .collect::<Result<Vec<_>>>()?;
                        let (on, merge) = using_join(&scope, &rscope, &names)?;
                        using = Some(merge);
                        on
                    }
                    Some(ast::JoinConstraint::Natural) => {
                        let names: Vec<String> = scope
                            .columns
                            .iter()
                            .filter(|c| !c.hidden)
                            .filter(|c| {
                                rscope.columns.iter().any(|r| !r.hidden && r.name == c.name)
                            })
                            .map(|c| c.name.clone())
                            .collect();
                        let (on, merge) = using_join(&scope, &rscope, &names)?;
                        using = Some(merge);
                        on
                    }
                    Some(ast::JoinConstraint::None) | None => None,
                };
                match kind {
                    JoinKind::Left => self.check_outer_join(&right)?,
                    JoinKind::Right => self.check_outer_join(&node)?,
                    JoinKind::Full => {
                        self.check_outer_join(&node)?;
                        self.check_outer_join(&right)?;
                    }
                    JoinKind::Inner | JoinKind::Semi | JoinKind::Anti | JoinKind::NullAwareAnti => {
                    }
                }
                node = join_node(node, right, kind, on, scope.columns.len());
                scope = joined;
                if let Some(merge) = using {
                    (node, scope) = merge_using(node, scope, kind, &merge);
                }
            }
            result = Some(match result {
                None => (node, scope),
                Some((left, lscope)) => {
                    let joined = lscope.join(&scope);
                    (
                        join_node(left, node, JoinKind::Inner, None, lscope.columns.len()),
                        joined,
                    )
                }
            });
        }
        Ok(result.unwrap_or((Node::Nothing, Scope::default())))
    }

    fn table_factor(&mut self, factor: &ast::TableFactor) -> Result<(Node, Scope)> {
        match factor {
            ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                if let [ast::ObjectNamePart::Identifier(single)] = name.0.as_slice()
                    && let Some(found) = self.cte_scan(&ident(single), alias.as_ref())?
                {
                    return Ok(found);
                }
                if let Some(found) = self.system_table(name, alias.as_ref())? {
                    return Ok(found);
                }
                let table = self.table(name)?;
                if let Some(sql) = &table.view {
                    return self.view(&table, sql, alias.as_ref());
                }
                let scope = Scope::of_table(&table, alias.as_ref());
                if table.sequence.is_some() {
                    return Ok((self.sequence_scan(&table)?, scope));
                }
                Ok((
                    Node::Scan {
                        table,
                        filter: None,
                    },
                    scope,
                ))
            }
            ast::TableFactor::Derived {
                subquery,
                alias,
                lateral: false,
                ..
            } => {
                let (node, columns) = self.query(subquery)?;
                let qualifier = alias.as_ref().map(|a| ident(&a.name));
                let renames: Vec<String> = alias
                    .as_ref()
                    .map(|a| a.columns.iter().map(|c| ident(&c.name)).collect())
                    .unwrap_or_default();
                let scope = Scope {
                    columns: columns
                        .iter()
                        .enumerate()
                        .map(|(i, (n, t))| ScopeColumn {
                            qualifier: qualifier.clone(),
                            name: renames.get(i).cloned().unwrap_or_else(|| n.clone()),
                            data_type: t.clone(),
                            hidden: false,
                        })
                        .collect(),
                };
                Ok((node, scope))
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.from(std::slice::from_ref(table_with_joins.as_ref())),
            other => match self.function_factor(other, None)? {
                Some((node, scope, _)) => Ok((node, scope)),
                None => Err(Error::unsupported(format!("FROM item {other}"))),
            },
        }
    }

    /// A view in FROM: its query planned in place, as a derived table.
    fn view(
        &mut self,
        table: &Table,
        sql: &str,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Node, Scope)> {
        let query = parse_query(sql)?;
        // The view's query sees no enclosing query, nor its WITH queries.
        let outer = std::mem::take(&mut self.outer);
        let ctes = std::mem::take(&mut self.ctes);
        let planned = self.query(&query);
        self.outer = outer;
        self.ctes = ctes;
        let (node, _) = planned?;
        Ok((node, Scope::of_table(table, alias)))
    }

    fn create_view(&mut self, create: &ast::CreateView) -> Result<Plan> {
        if create.materialized {
            return Err(Error::unsupported("CREATE MATERIALIZED VIEW"));
        }
        let (schema, name) = self.creation_name(&create.name)?;
        let (_, columns) = self.query(&create.query)?;
        if create.columns.len() > columns.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "CREATE VIEW specifies more column names than columns",
            ));
        }
        let columns = columns
            .into_iter()
            .enumerate()
            .map(|(i, (n, t))| Column {
                name: create.columns.get(i).map(|c| ident(&c.name)).unwrap_or(n),
                data_type: if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                },
                nullable: true,
                default: None,
                identity: None,
            })
            .collect();
        let table = Table {
            oid: 0,
            schema,
            name,
            columns,
            view: Some(create.query.to_string()),
            ..Table::default()
        };
        Ok(Plan::CreateView {
            table,
            or_replace: create.or_replace,
            if_not_exists: create.if_not_exists,
        })
    }

    fn select(
        &mut self,
        select: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<(Node, Vec<(String, DataType)>)> {
        if let Some(lifted) = calls::lift_set_function(select, order_by)? {
            return self.select(&lifted, order_by);
        }
        // A subquery has its own window calls; the enclosing query's resume after it.
        let windows = self.windows.take();
        let error = std::mem::replace(&mut self.window_error, WINDOW_NOT_ALLOWED);
        let planned = self.select_inner(select, order_by);
        self.windows = windows;
        self.window_error = error;
        planned
    }

    fn select_inner(
        &mut self,
        select: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<(Node, Vec<(String, DataType)>)> {
        let (mut node, scope) = self.from(&select.from)?;
        if let Some(selection) = &select.selection {
            self.window_error = (
                windows::WINDOWING_ERROR,
                "window functions are not allowed in WHERE",
            );
            let (pred, t) = self.expr(selection, &scope, None)?;
            let pred = bool_type(&pred, &t, "WHERE")?;
            node = Node::Filter {
                input: Box::new(node),
                predicate: pred,
            };
        }
        let group_exprs: &[ast::Expr] = match &select.group_by {
            ast::GroupByExpr::Expressions(e, mods) if mods.is_empty() => e,
            _ => return Err(Error::unsupported("GROUP BY ALL or grouping modifiers")),
        };
        // Expand the select list.
        let mut items: Vec<(ast::Expr, String)> = Vec::new();
        for item in &select.projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => items.push((e.clone(), column_name(e))),
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    items.push((expr.clone(), ident(alias)))
                }
                ast::SelectItem::Wildcard(_) => {
                    if scope.columns.is_empty() {
                        return Err(Error::new(
                            SqlState::SYNTAX_ERROR,
                            "SELECT * with no tables specified is not valid",
                        ));
                    }
                    items.extend(scope.wildcard());
                }
                ast::SelectItem::QualifiedWildcard(kind, _) => {
                    let q = match kind {
                        ast::SelectItemQualifiedWildcardKind::ObjectName(n) => object_name(n)?.1,
                        ast::SelectItemQualifiedWildcardKind::Expr(e) => {
                            return Err(Error::unsupported(format!("wildcard over {e}")));
                        }
                    };
                    items.extend(scope.qualified_wildcard(&q)?);
                }
                other => return Err(Error::unsupported(format!("select item {other}"))),
            }
        }
        let aggregating = !group_exprs.is_empty()
            || select.having.is_some()
            || items.iter().any(|(e, _)| has_aggregate(e))
            || order_by.iter().any(|o| has_aggregate(&o.expr));
        let mut grouping = None;
        if aggregating {
            self.window_error = (
                windows::WINDOWING_ERROR,
                "window functions are not allowed in GROUP BY",
            );
            let mut groups = Vec::new();
            let mut group_types = Vec::new();
            for g in group_exprs {
                // GROUP BY may name an output column by position or alias.
                let g = resolve_output_ref(g, &items)?.unwrap_or_else(|| g.clone());
                let (e, t) = self.expr(&g, &scope, None)?;
                groups.push(e);
                group_types.push(t);
            }
            self.functionally_dependent(&select.from, &scope, &mut groups, &mut group_types)?;
            grouping = Some(Grouping {
                groups,
                group_types,
                aggregates: Vec::new(),
            });
        }
        // The select list, HAVING and ORDER BY keys, bound over the FROM row or the groups.
        self.window_error = WINDOW_NOT_ALLOWED;
        self.windows = Some(windows::Windows::new(&select.named_window)?);
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (e, name) in &items {
            let (e, t) = self.expr(e, &scope, grouping.as_mut())?;
            exprs.push(e);
            columns.push((name.clone(), t));
        }
        let having = match &select.having {
            Some(h) => {
                let windows = self.windows.take();
                self.window_error = (
                    windows::WINDOWING_ERROR,
                    "window functions are not allowed in HAVING",
                );
                let bound = self.expr(h, &scope, grouping.as_mut());
                self.windows = windows;
                self.window_error = WINDOW_NOT_ALLOWED;
                let (e, t) = bound?;
                Some(bool_type(&e, &t, "HAVING")?)
            }
            None => None,
        };
        let mut sort_keys = Vec::new();
        let mut hidden = 0;
        for o in order_by {
            let target = match resolve_output_index(&o.expr, &items, &columns)? {
                Some(i) => i,
                None => {
                    let (e, _) = self.expr(&o.expr, &scope, grouping.as_mut())?;
                    match exprs.iter().position(|x| *x == e) {
                        Some(i) => i,
                        None => {
                            if matches!(select.distinct, Some(ast::Distinct::Distinct)) {
                                return Err(Error::new(
                                    SqlState::INVALID_COLUMN_REFERENCE,
                                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
                                ));
                            }
                            exprs.push(e);
                            hidden += 1;
                            exprs.len() - 1
                        }
                    }
                }
            };
            let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
            sort_keys.push(SortKey {
                expr: Expr::Column(target),
                desc,
                nulls_first: o.options.nulls_first.unwrap_or(desc),
            });
        }
        let distinct_on = match &select.distinct {
            Some(ast::Distinct::On(on)) => Some(self.distinct_on_targets(
                on,
                &items,
                &columns,
                &mut exprs,
                &mut hidden,
                &scope,
                grouping.as_mut(),
                &sort_keys,
            )?),
            _ => None,
        };
        let windows = self.windows.take();
        let input_width = grouping
            .as_ref()
            .map_or(scope.columns.len(), |g| g.groups.len() + g.aggregates.len());
        if let Some(g) = grouping {
            node = Node::Aggregate {
                input: Box::new(node),
                group_by: g.groups,
                aggregates: g.aggregates,
            };
            if let Some(h) = having {
                node = Node::Filter {
                    input: Box::new(node),
                    predicate: h,
                };
            }
        }
        let (windowed, exprs) = Self::place_windows(windows, node, exprs, input_width);
        node = Node::Project {
            input: Box::new(windowed),
            exprs,
        };
        match &select.distinct {
            None | Some(ast::Distinct::All) => {}
            Some(ast::Distinct::Distinct) => {
                node = Node::Distinct {
                    input: Box::new(node),
                }
            }
            Some(ast::Distinct::On(_)) => {
                let width = crate::exec::width(&node);
                let targets = distinct_on.unwrap_or_default();
                node = distinct_on::first_of_each(node, width, &targets, &sort_keys);
            }
        }
        if !sort_keys.is_empty() {
            node = Node::Sort {
                input: Box::new(node),
                keys: sort_keys,
            };
        }
        if hidden > 0 {
            let visible = columns.len();
            node = Node::Project {
                input: Box::new(node),
                exprs: (0..visible).map(Expr::Column).collect(),
            };
        }
        Ok((node, columns))
    }

    /// ORDER BY over the output of a set operation or VALUES: output columns only.
    fn order_by_output(
        &mut self,
        node: Node,
        columns: &[(String, DataType)],
        order_by: &[ast::OrderByExpr],
    ) -> Result<Node> {
        if order_by.is_empty() {
            return Ok(node);
        }
        let scope = Scope {
            columns: columns
                .iter()
                .map(|(n, t)| ScopeColumn {
                    qualifier: None,
                    name: n.clone(),
                    data_type: t.clone(),
                    hidden: false,
                })
                .collect(),
        };
        let mut keys = Vec::new();
        for o in order_by {
            let expr = match &o.expr {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(n, _) => Expr::Column(position(n, columns.len())?),
                    _ => self.expr(&o.expr, &scope, None)?.0,
                },
                e => self.expr(e, &scope, None)?.0,
            };
            let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
            keys.push(SortKey {
                expr,
                desc,
                nulls_first: o.options.nulls_first.unwrap_or(desc),
            });
        }
        Ok(Node::Sort {
            input: Box::new(node),
            keys,
        })
    }

    // ---- expressions

    /// Binds an expression over `scope` (and, in an aggregating query, the grouping).
    fn expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        mut grouping: Option<&mut Grouping>,
    ) -> Result<(Expr, DataType)> {
        if let ast::Expr::Function(f) = e
            && f.over.is_some()
        {
            return self.window_call(f, scope, grouping);
        }
        if let Some(g) = grouping.as_deref_mut() {
            if let ast::Expr::Function(f) = e
                && let Some(name) = aggregate_name(f)
            {
                return self.aggregate(&name, f, scope, g);
            }
            if !has_aggregate(e) && !has_window(e) {
                let (bound, t) = self.expr(e, scope, None)?;
                if let Some(i) = g.groups.iter().position(|x| *x == bound) {
                    return Ok((Expr::Column(i), g.group_types[i].clone()));
                }
                if !references_columns(&bound) {
                    return Ok((bound, t));
                }
                if matches!(
                    e,
                    ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_)
                ) {
                    return Err(Error::new(
                        SqlState::GROUPING_ERROR,
                        format!(
                            "column \"{}\" must appear in the GROUP BY clause or be used in an aggregate function",
                            e
                        ),
                    ));
                }
            }
        }
        let mut g = grouping;
        Ok(match e {
            ast::Expr::Identifier(i) => self.column(None, &ident(i), scope)?,
            ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] => self.column(Some(&ident(q)), &ident(c), scope)?,
                [_, q, c] => self.column(Some(&ident(q)), &ident(c), scope)?,
                _ => return Err(Error::unsupported(format!("column reference {e}"))),
            },
            ast::Expr::Value(v) => match literal(&v.value)? {
                (Expr::Param(i), _) => {
                    let t = self.params.get(i).cloned().unwrap_or(DataType::Unknown);
                    (Expr::Param(i), t)
                }
                other => other,
            },
            ast::Expr::Nested(inner) => self.expr(inner, scope, g)?,
            ast::Expr::UnaryOp { op, expr } => {
                let (inner, t) = self.expr(expr, scope, g)?;
                match op {
                    ast::UnaryOperator::Not => (
                        Expr::Not(Box::new(bool_type(&inner, &t, "NOT")?)),
                        DataType::Bool,
                    ),
                    ast::UnaryOperator::Minus => {
                        // Fold negative literals so that -2147483648 stays an integer.
                        if let Expr::Literal(v) = &inner {
                            let folded = types::unary_op(UnaryOp::Minus, v)?;
                            return Ok((Expr::Literal(folded), t));
                        }
                        (Expr::Unary(UnaryOp::Minus, Box::new(inner)), t)
                    }
                    ast::UnaryOperator::Plus => (inner, t),
                    other => return Err(Error::unsupported(format!("operator {other}"))),
                }
            }
            ast::Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            } if matches!(right.as_ref(), ast::Expr::Subquery(_)) => {
                self.quantified(left, compare_op, right, false, scope, g)?
            }
            ast::Expr::AllOp {
                left,
                compare_op,
                right,
            } if matches!(right.as_ref(), ast::Expr::Subquery(_)) => {
                self.quantified(left, compare_op, right, true, scope, g)?
            }
            ast::Expr::BinaryOp { left, op, right } => {
                let (l, lt) = self.expr(left, scope, g.as_deref_mut_opt())?;
                let (r, rt) = self.expr(right, scope, g)?;
                self.binary(op, l, lt, r, rt)?
            }
            ast::Expr::IsNull(inner) => (
                Expr::IsNull(Box::new(self.expr(inner, scope, g)?.0)),
                DataType::Bool,
            ),
            ast::Expr::IsNotNull(inner) => (
                Expr::Not(Box::new(Expr::IsNull(Box::new(
                    self.expr(inner, scope, g)?.0,
                )))),
                DataType::Bool,
            ),
            ast::Expr::IsTrue(inner) => (
                Expr::IsBool(Box::new(self.expr(inner, scope, g)?.0), true, false),
                DataType::Bool,
            ),
            ast::Expr::IsNotTrue(inner) => (
                Expr::IsBool(Box::new(self.expr(inner, scope, g)?.0), true, true),
                DataType::Bool,
            ),
            ast::Expr::IsFalse(inner) => (
                Expr::IsBool(Box::new(self.expr(inner, scope, g)?.0), false, false),
                DataType::Bool,
            ),
            ast::Expr::IsNotFalse(inner) => (
                Expr::IsBool(Box::new(self.expr(inner, scope, g)?.0), false, true),
                DataType::Bool,
            ),
            ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => {
                let negated = matches!(e, ast::Expr::IsNotDistinctFrom(..));
                let (a, at) = self.expr(a, scope, g.as_deref_mut_opt())?;
                let (b, bt) = self.expr(b, scope, g)?;
                let (a, b) = coerce_pair(a, &at, b, &bt)?;
                (
                    Expr::IsDistinctFrom(Box::new(a), Box::new(b), negated),
                    DataType::Bool,
                )
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let (x, xt) = self.expr(expr, scope, g.as_deref_mut_opt())?;
                let (lo, lt) = self.expr(low, scope, g.as_deref_mut_opt())?;
                let (hi, ht) = self.expr(high, scope, g)?;
                let (x1, lo) = coerce_pair(x.clone(), &xt, lo, &lt)?;
                let (x2, hi) = coerce_pair(x, &xt, hi, &ht)?;
                let both = Expr::And(
                    Box::new(Expr::Binary(BinaryOp::GtEq, Box::new(x1), Box::new(lo))),
                    Box::new(Expr::Binary(BinaryOp::LtEq, Box::new(x2), Box::new(hi))),
                );
                (
                    if *negated {
                        Expr::Not(Box::new(both))
                    } else {
                        both
                    },
                    DataType::Bool,
                )
            }
            ast::Expr::InList {
                expr,
                list,
                negated,
            } => {
                let (x, xt) = self.expr(expr, scope, g.as_deref_mut_opt())?;
                let mut items = Vec::new();
                let mut all_types = vec![xt.clone()];
                for item in list {
                    let (i, t) = self.expr(item, scope, g.as_deref_mut_opt())?;
                    all_types.push(t.clone());
                    items.push((i, t));
                }
                let common = types::common_type(&all_types)?;
                let x = cast_to(x, &xt, &common);
                let items = items
                    .into_iter()
                    .map(|(i, t)| cast_to(i, &t, &common))
                    .collect();
                (Expr::InList(Box::new(x), items, *negated), DataType::Bool)
            }
            ast::Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let (x, xt) = self.expr(expr, scope, g)?;
                let (node, cols) = self.subquery(subquery, scope)?;
                if cols.len() != 1 {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "subquery has too many columns",
                    ));
                }
                let common = types::common_type(&[xt.clone(), cols[0].1.clone()])?;
                let node = Node::Project {
                    input: Box::new(node),
                    exprs: vec![cast_to(Expr::Column(0), &cols[0].1, &common)],
                };
                (
                    Expr::InSubquery(Box::new(cast_to(x, &xt, &common)), Box::new(node), *negated),
                    DataType::Bool,
                )
            }
            ast::Expr::Exists { subquery, negated } => {
                let (node, _) = self.subquery(subquery, scope)?;
                (Expr::Exists(Box::new(node), *negated), DataType::Bool)
            }
            ast::Expr::Subquery(q) => {
                let (node, cols) = self.subquery(q, scope)?;
                if cols.len() != 1 {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "subquery must return only one column",
                    ));
                }
                (Expr::Subquery(Box::new(node)), cols[0].1.clone())
            }
            ast::Expr::Like {
                negated,
                expr,
                pattern,
                escape_char: None,
                any: false,
            }
            | ast::Expr::ILike {
                negated,
                expr,
                pattern,
                escape_char: None,
                any: false,
            } => {
                let ci = matches!(e, ast::Expr::ILike { .. });
                let (x, xt) = self.expr(expr, scope, g.as_deref_mut_opt())?;
                let (p, pt) = self.expr(pattern, scope, g)?;
                let x = cast_to(x, &xt, &DataType::Text);
                let p = cast_to(p, &pt, &DataType::Text);
                (
                    Expr::Like(Box::new(x), Box::new(p), *negated, ci),
                    DataType::Bool,
                )
            }
            ast::Expr::Cast {
                expr, data_type, ..
            } => {
                let (x, from) = self.expr(expr, scope, g)?;
                let t = self.resolve_type(data_type)?;
                match self.fold_reg_cast(&x, &t)? {
                    Some(folded) => (folded, t),
                    None => (explicit_cast(x, &from, &t), t),
                }
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let mut operand_bound = None;
                let mut operand_type = None;
                if let Some(o) = operand {
                    let (o, t) = self.expr(o, scope, g.as_deref_mut_opt())?;
                    operand_bound = Some(o);
                    operand_type = Some(t);
                }
                let mut whens = Vec::new();
                let mut results = Vec::new();
                for c in conditions {
                    let (w, wt) = self.expr(&c.condition, scope, g.as_deref_mut_opt())?;
                    let w = match &operand_type {
                        Some(ot) => {
                            cast_to(w, &wt, &types::common_type(&[ot.clone(), wt.clone()])?)
                        }
                        None => bool_type(&w, &wt, "CASE/WHEN")?,
                    };
                    whens.push(w);
                    results.push(self.expr(&c.result, scope, g.as_deref_mut_opt())?);
                }
                if let Some(e) = else_result {
                    results.push(self.expr(e, scope, g.as_deref_mut_opt())?);
                }
                let common = types::common_type(
                    &results.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
                )?;
                let common = if common == DataType::Unknown {
                    DataType::Text
                } else {
                    common
                };
                let mut results: Vec<Expr> = results
                    .into_iter()
                    .map(|(r, t)| cast_to(r, &t, &common))
                    .collect();
                let otherwise = else_result
                    .as_ref()
                    .and_then(|_| results.pop())
                    .map(Box::new);
                let operand = operand_bound.map(Box::new);
                (
                    Expr::Case {
                        operand,
                        branches: whens.into_iter().zip(results).collect(),
                        otherwise,
                    },
                    common,
                )
            }
            ast::Expr::Function(f) => {
                let name = function_name(f)?;
                if AGGREGATES.contains(&name.as_str()) {
                    return Err(Error::new(
                        SqlState::GROUPING_ERROR,
                        format!("aggregate functions are not allowed here: {name}"),
                    ));
                }
                if crate::window::arity(&name).is_some() {
                    return Err(Error::new(
                        SqlState::WRONG_OBJECT_TYPE,
                        format!("window function {name} requires an OVER clause"),
                    ));
                }
                return self.function_call(&name, f, scope, g);
            }
            other => return self.special_expr(other, scope, g),
        })
    }

    /// Adds to `groups` the other columns of each FROM table whose primary key is grouped
    /// (they are functionally dependent on it, so PostgreSQL lets the select list use them);
    /// grouping by them too changes no group.
    fn functionally_dependent(
        &mut self,
        from: &[ast::TableWithJoins],
        scope: &Scope,
        groups: &mut Vec<Expr>,
        group_types: &mut Vec<DataType>,
    ) -> Result<()> {
        let factors: Vec<&ast::TableFactor> = from
            .iter()
            .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
            .collect();
        for factor in factors {
            let ast::TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } = factor
            else {
                continue;
            };
            if self
                .ctes
                .iter()
                .any(|c| name.0.len() == 1 && name.to_string().to_lowercase() == c.name)
            {
                continue;
            }
            let Ok(table) = self.table(name) else {
                continue;
            };
            let Some(pk) = &table.primary_key else {
                continue;
            };
            let qualifier = alias
                .as_ref()
                .map(|a| ident(&a.name))
                .unwrap_or_else(|| table.name.clone());
            let positions: Vec<Option<usize>> = table
                .columns
                .iter()
                .map(|c| scope.lookup(Some(&qualifier), &c.name).ok().flatten())
                .collect();
            let grouped = |p: Option<usize>| p.is_some_and(|p| groups.contains(&Expr::Column(p)));
            if !pk.iter().all(|&k| grouped(positions[k])) {
                continue;
            }
            for p in positions.into_iter().flatten() {
                if !groups.contains(&Expr::Column(p)) {
                    groups.push(Expr::Column(p));
                    group_types.push(scope.columns[p].data_type.clone());
                }
            }
        }
        Ok(())
    }

    fn column(
        &self,
        qualifier: Option<&str>,
        name: &str,
        scope: &Scope,
    ) -> Result<(Expr, DataType)> {
        if let Some(i) = scope.lookup(qualifier, name)? {
            return Ok((Expr::Column(i), scope.columns[i].data_type.clone()));
        }
        for (depth, outer) in self.outer.iter().rev().enumerate() {
            if let Some(i) = outer.lookup(qualifier, name)? {
                return Ok((
                    Expr::Outer {
                        depth: depth + 1,
                        index: i,
                    },
                    outer.columns[i].data_type.clone(),
                ));
            }
        }
        Err(match qualifier {
            Some(q)
                if !scope
                    .columns
                    .iter()
                    .chain(self.outer.iter().flat_map(|s| &s.columns))
                    .any(|c| c.qualifier.as_deref() == Some(q)) =>
            {
                Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("missing FROM-clause entry for table \"{q}\""),
                )
            }
            Some(q) => Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column {q}.{name} does not exist"),
            ),
            None => Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist"),
            ),
        })
    }

    fn subquery(
        &mut self,
        q: &ast::Query,
        scope: &Scope,
    ) -> Result<(Node, Vec<(String, DataType)>)> {
        self.outer.push(scope.clone());
        let result = self.query(q);
        self.outer.pop();
        let (node, columns) = result?;
        Ok((self.optimized(node), columns))
    }

    fn aggregate(
        &mut self,
        name: &str,
        f: &ast::Function,
        scope: &Scope,
        g: &mut Grouping,
    ) -> Result<(Expr, DataType)> {
        let agg = self.aggregate_call(name, f, scope, None, false)?;
        let data_type = agg.data_type.clone();
        let index = match g.aggregates.iter().position(|a| *a == agg) {
            Some(i) => i,
            None => {
                g.aggregates.push(agg);
                g.aggregates.len() - 1
            }
        };
        Ok((Expr::Column(g.groups.len() + index), data_type))
    }

    fn binary(
        &mut self,
        op: &ast::BinaryOperator,
        l: Expr,
        lt: DataType,
        r: Expr,
        rt: DataType,
    ) -> Result<(Expr, DataType)> {
        use ast::BinaryOperator as B;
        if let B::PGCustomBinaryOperator(parts) = op
            && let Some(standard) = calls::qualified_operator(parts)
        {
            return self.binary(&standard, l, lt, r, rt);
        }
        if let Some(call) = self.operator_call(op, &l, &lt, &r, &rt)? {
            return Ok(call);
        }
        Ok(match op {
            B::And => (
                Expr::And(
                    Box::new(bool_type(&l, &lt, "AND")?),
                    Box::new(bool_type(&r, &rt, "AND")?),
                ),
                DataType::Bool,
            ),
            B::Or => (
                Expr::Or(
                    Box::new(bool_type(&l, &lt, "OR")?),
                    Box::new(bool_type(&r, &rt, "OR")?),
                ),
                DataType::Bool,
            ),
            B::StringConcat => {
                let l = cast_to(l, &lt, &DataType::Text);
                let r = cast_to(r, &rt, &DataType::Text);
                (
                    Expr::Binary(BinaryOp::Concat, Box::new(l), Box::new(r)),
                    DataType::Text,
                )
            }
            _ => {
                let bop = match op {
                    B::Plus => BinaryOp::Plus,
                    B::Minus => BinaryOp::Minus,
                    B::Multiply => BinaryOp::Multiply,
                    B::Divide => BinaryOp::Divide,
                    B::Modulo => BinaryOp::Modulo,
                    B::Eq => BinaryOp::Eq,
                    B::NotEq => BinaryOp::NotEq,
                    B::Lt => BinaryOp::Lt,
                    B::LtEq => BinaryOp::LtEq,
                    B::Gt => BinaryOp::Gt,
                    B::GtEq => BinaryOp::GtEq,
                    B::PGExp => BinaryOp::Exponent,
                    B::BitwiseAnd => BinaryOp::BitAnd,
                    B::BitwiseOr => BinaryOp::BitOr,
                    B::PGBitwiseXor => BinaryOp::BitXor,
                    B::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
                    B::PGBitwiseShiftRight => BinaryOp::ShiftRight,
                    other => return Err(Error::unsupported(format!("operator {other}"))),
                };
                let (l, r) = coerce_pair(l, &lt, r, &rt)?;
                let lt = if lt == DataType::Unknown {
                    rt.clone()
                } else {
                    lt
                };
                let rt = if rt == DataType::Unknown {
                    lt.clone()
                } else {
                    rt
                };
                let t = types::binary_op_type(bop, &lt, &rt)?;
                // Arithmetic on mixed numbers runs in the result type, as PostgreSQL's
                // operators do (integer * real is double precision, not real).
                let (l, r) = if !bop.is_comparison()
                    && (t.is_float() || matches!(t, DataType::Numeric { .. }))
                {
                    let to = |e: Expr, from: &DataType| {
                        if from.is_numeric() {
                            cast_to(e, from, &t)
                        } else {
                            e
                        }
                    };
                    (to(l, &lt), to(r, &rt))
                } else {
                    (l, r)
                };
                (Expr::Binary(bop, Box::new(l), Box::new(r)), t)
            }
        })
    }

    // ---- writes

    fn insert(&mut self, insert: &ast::Insert) -> Result<Plan> {
        if insert.or.is_some() || insert.replace_into || insert.ignore {
            // SQLite's and MySQL's conflict clauses are not PostgreSQL syntax.
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "syntax error at or near \"OR\"",
            ));
        }
        let ast::TableObject::TableName(name) = &insert.table else {
            return Err(Error::unsupported("INSERT into a table function"));
        };
        let table = self.target(name)?;
        let targets: Vec<usize> = if insert.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            insert
                .columns
                .iter()
                .map(|c| {
                    let n = object_name(c)?.1;
                    table.column_index(&n).ok_or_else(|| {
                        Error::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!(
                                "column \"{n}\" of relation \"{}\" does not exist",
                                table.name
                            ),
                        )
                    })
                })
                .collect::<Result<_>>()?
        };
        // DEFAULT VALUES: one row of defaults.
        let all_defaults;
        let source = match &insert.source {
            Some(source) => source.as_ref(),
            None => {
                let defaults = vec!["DEFAULT"; targets.len()].join(", ");
                all_defaults = parse_query(&format!("VALUES ({defaults})"))?;
                &all_defaults
            }
        };
        let substituted =
            ddl::substitute_defaults(&table, &targets, source, &self.params, self.overriding)?;
        let (node, columns) = self.query(substituted.as_ref().unwrap_or(source))?;
        if columns.len() > targets.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "INSERT has more expressions than target columns",
            ));
        }
        let mut exprs = Vec::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            let e = match targets.iter().position(|&t| t == i) {
                Some(p) if p < columns.len() => {
                    assign_cast(Expr::Column(p), &columns[p].1, column)?
                }
                _ => self.default_value(column)?,
            };
            exprs.push(e);
        }
        let checks = self.checks(&table)?;
        let scope = dml::insert_scope(&table, insert.table_alias.as_ref());
        let on_conflict = match &insert.on {
            Some(on) => Some(self.on_conflict(&table, &scope, on)?),
            None => None,
        };
        let returning = self.returning(insert.returning.as_deref(), &scope)?;
        Ok(Plan::Insert {
            // Optimized like any query: an INSERT ... SELECT gets key ranges and hash joins.
            source: self.optimized(Node::Project {
                input: Box::new(node),
                exprs,
            }),
            table,
            checks,
            on_conflict,
            returning,
        })
    }

    /// A column's DEFAULT expression (NULL without one), cast to the column's type.
    pub(crate) fn default_value(&mut self, column: &Column) -> Result<Expr> {
        match &column.default {
            None => Ok(Expr::Literal(Value::Null)),
            Some(sql) => {
                let parsed = parse_expr(sql)?;
                let (e, t) = self.expr(&parsed, &Scope::default(), None)?;
                assign_cast(e, &t, column)
            }
        }
    }

    /// A table's CHECK constraints, bound over its row.
    pub(crate) fn checks(&mut self, table: &Table) -> Result<Vec<(String, Expr)>> {
        let scope = Scope::of_table(table, None);
        let mut checks = Vec::new();
        for c in &table.checks {
            let (e, t) = self.expr(&parse_expr(&c.expr)?, &scope, None)?;
            checks.push((c.name.clone(), bool_type(&e, &t, "CHECK")?));
        }
        Ok(checks)
    }

    /// The `SET column = value` list of UPDATE and ON CONFLICT DO UPDATE: each column's
    /// position and its new value over the row of `scope`, cast to the column's type
    /// (`DEFAULT` is the column's default; a GENERATED ALWAYS column takes nothing else).
    fn set_assignments(
        &mut self,
        table: &Table,
        scope: &Scope,
        list: &[ast::Assignment],
    ) -> Result<Vec<(usize, Expr)>> {
        let mut assignments = Vec::new();
        for a in list {
            let ast::AssignmentTarget::ColumnName(col) = &a.target else {
                return Err(Error::unsupported("UPDATE of a column tuple"));
            };
            let n = object_name(col)?.1;
            let i = table.column_index(&n).ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{n}\" of relation \"{}\" does not exist",
                        table.name
                    ),
                )
            })?;
            ddl::check_identity_update(table, i, &a.value)?;
            if ddl::is_default(&a.value) {
                assignments.push((i, self.default_value(&table.columns[i])?));
                continue;
            }
            let (e, t) = self.expr(&a.value, scope, None)?;
            assignments.push((i, assign_cast(e, &t, &table.columns[i])?));
        }
        Ok(assignments)
    }

    fn update(&mut self, update: &ast::Update) -> Result<Plan> {
        if update.or.is_some() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "syntax error at or near \"OR\"",
            ));
        }
        let ast::TableFactor::Table { name, alias, .. } = &update.table.relation else {
            return Err(Error::unsupported("UPDATE of a non-table"));
        };
        let table = self.target(name)?;
        let scope = Scope::of_table(&table, alias.as_ref());
        let (from, scope) = match &update.from {
            Some(ast::UpdateTableFromKind::AfterSet(from)) => {
                let (node, scope) = self.joined_scope(&scope, from)?;
                (Some(node), scope)
            }
            Some(ast::UpdateTableFromKind::BeforeSet(_)) => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    "syntax error at or near \"FROM\"",
                ));
            }
            None => (None, scope),
        };
        let filter = match &update.selection {
            Some(s) => {
                let (e, t) = self.expr(s, &scope, None)?;
                Some(bool_type(&e, &t, "WHERE")?)
            }
            None => None,
        };
        let assignments = self.set_assignments(&table, &scope, &update.assignments)?;
        let checks = self.checks(&table)?;
        let returning = self.returning(update.returning.as_deref(), &scope)?;
        Ok(Plan::Update {
            table,
            filter,
            assignments,
            checks,
            from,
            returning,
        })
    }

    fn delete(&mut self, delete: &ast::Delete) -> Result<Plan> {
        let from = match &delete.from {
            ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
        };
        let [twj] = from.as_slice() else {
            return Err(Error::unsupported("DELETE from several tables"));
        };
        let ast::TableFactor::Table { name, alias, .. } = &twj.relation else {
            return Err(Error::unsupported("DELETE from a non-table"));
        };
        let table = self.target(name)?;
        let scope = Scope::of_table(&table, alias.as_ref());
        let (using, scope) = match &delete.using {
            Some(using) => {
                let (node, scope) = self.joined_scope(&scope, using)?;
                (Some(node), scope)
            }
            None => (None, scope),
        };
        let filter = match &delete.selection {
            Some(s) => {
                let (e, t) = self.expr(s, &scope, None)?;
                Some(bool_type(&e, &t, "WHERE")?)
            }
            None => None,
        };
        let returning = self.returning(delete.returning.as_deref(), &scope)?;
        Ok(Plan::Delete {
            table,
            filter,
            using,
            returning,
        })
    }

    // ---- DDL

    fn create_table(&mut self, create: &ast::CreateTable) -> Result<Plan> {
        let (schema, name) = self.creation_name(&create.name)?;
        if let Some(query) = &create.query {
            if !create.columns.is_empty() {
                return Err(Error::unsupported(
                    "CREATE TABLE AS with column definitions",
                ));
            }
            let (node, columns) = self.query(query)?;
            let table = Table {
                oid: 0,
                schema,
                name,
                columns: columns
                    .into_iter()
                    .map(|(n, t)| Column {
                        name: n,
                        data_type: if t == DataType::Unknown {
                            DataType::Text
                        } else {
                            t
                        },
                        nullable: true,
                        default: None,
                        identity: None,
                    })
                    .collect(),
                ..Table::default()
            };
            let source = self.optimized(node);
            return Ok(Plan::CreateTableAs {
                table,
                source,
                if_not_exists: create.if_not_exists,
            });
        }
        let mut table = Table {
            oid: 0,
            schema,
            name: name.clone(),
            columns: Vec::new(),
            ..Table::default()
        };
        let mut uniques: Vec<Vec<usize>> = Vec::new();
        // Columns fed by a sequence: position, identity kind, sequence options.
        let mut sequenced: Vec<(usize, Option<Identity>, Vec<ast::SequenceOptions>)> = Vec::new();
        // Foreign keys are bound last, when the table's keys are known (it may reference
        // itself): (constraint name, referencing columns, constraint).
        let mut foreign_keys: Vec<(Option<String>, Vec<usize>, &ast::ForeignKeyConstraint)> =
            Vec::new();
        for def in &create.columns {
            let cname = ident(&def.name);
            if table.column_index(&cname).is_some() {
                return Err(Error::new(
                    SqlState::DUPLICATE_COLUMN,
                    format!("column \"{cname}\" specified more than once"),
                ));
            }
            let serial = ddl::serial_type(&def.data_type);
            let position = table.columns.len();
            let mut column = Column {
                name: cname,
                data_type: match &serial {
                    Some(t) => t.clone(),
                    None => self.resolve_type(&def.data_type)?,
                },
                nullable: true,
                default: None,
                identity: None,
            };
            if serial.is_some() {
                sequenced.push((position, None, Vec::new()));
            }
            for opt in &def.options {
                match &opt.option {
                    ast::ColumnOption::Null => {}
                    ast::ColumnOption::NotNull => column.nullable = false,
                    ast::ColumnOption::Default(e) => column.default = Some(e.to_string()),
                    ast::ColumnOption::Generated {
                        generated_as,
                        sequence_options,
                        generation_expr: None,
                        ..
                    } => {
                        let identity = match generated_as {
                            ast::GeneratedAs::Always => Identity::Always,
                            ast::GeneratedAs::ByDefault => Identity::ByDefault,
                            ast::GeneratedAs::ExpStored => {
                                return Err(Error::unsupported("generated columns"));
                            }
                        };
                        if serial.is_some() || sequenced.iter().any(|s| s.0 == position) {
                            return Err(Error::new(
                                SqlState::SYNTAX_ERROR,
                                format!(
                                    "multiple identity specifications for column \"{}\" of table \"{name}\"",
                                    column.name
                                ),
                            ));
                        }
                        sequenced.push((
                            position,
                            Some(identity),
                            sequence_options.clone().unwrap_or_default(),
                        ));
                    }
                    ast::ColumnOption::PrimaryKey(_) => {
                        if table.primary_key.is_some() {
                            return Err(Error::new(
                                SqlState::INVALID_TABLE_DEFINITION,
                                format!(
                                    "multiple primary keys for table \"{name}\" are not allowed"
                                ),
                            ));
                        }
                        table.primary_key = Some(vec![position]);
                        column.nullable = false;
                    }
                    ast::ColumnOption::Unique(_) => uniques.push(vec![position]),
                    ast::ColumnOption::ForeignKey(fk) => foreign_keys.push((
                        opt.name.as_ref().or(fk.name.as_ref()).map(ident),
                        vec![position],
                        fk,
                    )),
                    ast::ColumnOption::Check(c) => table.checks.push(crate::catalog::Check {
                        name: format!("{name}_{}_check", column.name),
                        expr: c.expr.to_string(),
                    }),
                    other => return Err(Error::unsupported(format!("column option {other}"))),
                }
            }
            table.columns.push(column);
        }
        for constraint in &create.constraints {
            let cols = |cols: &[ast::IndexColumn], table: &Table| -> Result<Vec<usize>> {
                cols.iter()
                    .map(|c| {
                        let n = match &c.column.expr {
                            ast::Expr::Identifier(i) => ident(i),
                            other => {
                                return Err(Error::unsupported(format!(
                                    "constraint on expression {other}"
                                )));
                            }
                        };
                        table.column_index(&n).ok_or_else(|| {
                            Error::new(
                                SqlState::UNDEFINED_COLUMN,
                                format!("column \"{n}\" named in key does not exist"),
                            )
                        })
                    })
                    .collect()
            };
            match constraint {
                ast::TableConstraint::PrimaryKey(pk) => {
                    if table.primary_key.is_some() {
                        return Err(Error::new(
                            SqlState::INVALID_TABLE_DEFINITION,
                            format!("multiple primary keys for table \"{name}\" are not allowed"),
                        ));
                    }
                    let c = cols(&pk.columns, &table)?;
                    for &i in &c {
                        table.columns[i].nullable = false;
                    }
                    table.primary_key = Some(c);
                }
                ast::TableConstraint::Unique(u) => uniques.push(cols(&u.columns, &table)?),
                ast::TableConstraint::ForeignKey(fk) => {
                    let columns = self.foreign_key_columns(&table, &fk.columns)?;
                    foreign_keys.push((fk.name.as_ref().map(ident), columns, fk));
                }
                ast::TableConstraint::Check(c) => table.checks.push(crate::catalog::Check {
                    name: format!("{name}_check{}", table.checks.len() + 1),
                    expr: c.expr.to_string(),
                }),
                other => return Err(Error::unsupported(format!("table constraint {other}"))),
            }
        }
        for (i, cols) in uniques.into_iter().enumerate() {
            let names: Vec<&str> = cols
                .iter()
                .map(|&c| table.columns[c].name.as_str())
                .collect();
            let suffix = if i == 0 { String::new() } else { i.to_string() };
            table.indexes.push(Index {
                oid: 0,
                name: format!("{name}_{}_key{suffix}", names.join("_")),
                columns: cols,
                unique: true,
                primary: false,
            });
        }
        for (constraint, columns, fk) in foreign_keys {
            let bound = self.foreign_key(&table, constraint, columns, fk)?;
            table.foreign_keys.push(bound);
        }
        let mut sequences = Vec::new();
        for (i, identity, options) in sequenced {
            let mut column = table.columns[i].clone();
            sequences.push(self.column_sequence(&table, &mut column, identity, &options)?);
            table.columns[i] = column;
        }
        Ok(Plan::CreateTable {
            table,
            if_not_exists: create.if_not_exists,
            sequences,
        })
    }

    fn create_index(&mut self, create: &ast::CreateIndex) -> Result<Plan> {
        let table = self.target(&create.table_name)?;
        let mut columns = Vec::new();
        for c in &create.columns {
            let n = match &c.column.expr {
                ast::Expr::Identifier(i) => ident(i),
                other => return Err(Error::unsupported(format!("index on expression {other}"))),
            };
            columns.push(table.column_index(&n).ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!("column \"{n}\" does not exist"),
                )
            })?);
        }
        let name = match &create.name {
            Some(n) => object_name(n)?.1,
            None => {
                let names: Vec<&str> = columns
                    .iter()
                    .map(|&c| table.columns[c].name.as_str())
                    .collect();
                format!("{}_{}_idx", table.name, names.join("_"))
            }
        };
        let exists = self
            .txn
            .tables()?
            .iter()
            .any(|t| t.name == name || t.indexes.iter().any(|i| i.name == name));
        if exists && !create.if_not_exists {
            return Err(Error::new(
                SqlState::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        let index = Index {
            oid: 0,
            name,
            columns,
            unique: create.unique,
            primary: false,
        };
        Ok(Plan::CreateIndex {
            table,
            index,
            skip: exists,
        })
    }

    fn drop(
        &mut self,
        object_type: &ast::ObjectType,
        if_exists: bool,
        cascade: bool,
        names: &[ast::ObjectName],
    ) -> Result<Plan> {
        match object_type {
            ast::ObjectType::Table | ast::ObjectType::View | ast::ObjectType::Sequence => {
                let kind_of = |t: &Table| {
                    if t.view.is_some() {
                        ("a view", "VIEW")
                    } else if t.sequence.is_some() {
                        ("a sequence", "SEQUENCE")
                    } else {
                        ("a table", "TABLE")
                    }
                };
                let wanted = match object_type {
                    ast::ObjectType::View => "VIEW",
                    ast::ObjectType::Sequence => "SEQUENCE",
                    _ => "TABLE",
                };
                let mut tables = Vec::new();
                for n in names {
                    match self.table(n) {
                        Ok(t) if kind_of(&t).1 != wanted => {
                            let kind = match wanted {
                                "VIEW" => "a view",
                                "SEQUENCE" => "a sequence",
                                _ => "a table",
                            };
                            return Err(Error::new(
                                SqlState::WRONG_OBJECT_TYPE,
                                format!("\"{}\" is not {kind}", t.name),
                            )
                            .with_hint(format!("Use DROP {} to remove it.", kind_of(&t).1)));
                        }
                        Ok(t) => tables.push(t),
                        Err(e) if if_exists && e.sqlstate() == SqlState::UNDEFINED_TABLE => {}
                        Err(e) => return Err(e),
                    }
                }
                if wanted == "SEQUENCE" {
                    return Ok(Plan::DropSequence { sequences: tables });
                }
                Ok(Plan::DropTable {
                    tables,
                    views: wanted == "VIEW",
                    cascade,
                })
            }
            ast::ObjectType::Schema => self.drop_schemas(names, if_exists, cascade),
            ast::ObjectType::Type => self.drop_types(names, if_exists, cascade),
            ast::ObjectType::Index => {
                let mut indexes = Vec::new();
                let all = self.txn.tables()?;
                for n in names {
                    let (_, name) = object_name(n)?;
                    match all
                        .iter()
                        .find(|t| t.indexes.iter().any(|i| i.name == name))
                    {
                        Some(t) => indexes.push((t.clone(), name)),
                        None if if_exists => {}
                        None => {
                            return Err(Error::new(
                                SqlState::UNDEFINED_OBJECT,
                                format!("index \"{name}\" does not exist"),
                            ));
                        }
                    }
                }
                Ok(Plan::DropIndex { indexes })
            }
            other => Err(Error::unsupported(format!("DROP {other}"))),
        }
    }
}

/// A small helper so that an `Option<&mut T>` can be lent to several calls in turn.
trait ReborrowOpt<T> {
    fn as_deref_mut_opt(&mut self) -> Option<&mut T>;
}

impl<T> ReborrowOpt<T> for Option<&mut T> {
    fn as_deref_mut_opt(&mut self) -> Option<&mut T> {
        self.as_deref_mut()
    }
}

fn first_words(s: &str) -> String {
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// The columns `JOIN ... USING (names)` merges: for each name, its position on the left, its
/// position on the right (in the joined row) and their common type.
type UsingColumns = Vec<(usize, usize, DataType)>;

/// The join condition of `USING (names)` and the pairs it merges. Each name must be a
/// column of both sides (42703) and once on each (42702).
fn using_join(
    left: &Scope,
    right: &Scope,
    names: &[String],
) -> Result<(Option<Expr>, UsingColumns)> {
    let mut on: Option<Expr> = None;
    let mut merge = Vec::new();
    for name in names {
        if names.iter().filter(|n| *n == name).count() > 1 {
            return Err(Error::new(
                SqlState::DUPLICATE_COLUMN,
                format!("column \"{name}\" appears more than once in USING clause"),
            ));
        }
        let find = |scope: &Scope, side: &str| -> Result<usize> {
            scope.lookup(None, name)?.ok_or_else(|| {
                Error::new(
                    SqlState::UNDEFINED_COLUMN,
                    format!(
                        "column \"{name}\" specified in USING clause does not exist in {side} table"
                    ),
                )
            })
        };
        let l = find(left, "left")?;
        let r = find(right, "right")?;
        let (lt, rt) = (&left.columns[l].data_type, &right.columns[r].data_type);
        let t = types::common_type_in("JOIN/USING", &[lt.clone(), rt.clone()])?;
        let r = r + left.columns.len();
        let eq = Expr::Binary(
            BinaryOp::Eq,
            Box::new(cast_to(Expr::Column(l), lt, &t)),
            Box::new(cast_to(Expr::Column(r), rt, &t)),
        );
        on = Some(match on {
            None => eq,
            Some(prev) => Expr::And(Box::new(prev), Box::new(eq)),
        });
        merge.push((l, r, t));
    }
    Ok((on, merge))
}

/// Puts the merged columns of a USING join first (the left value, the right one for a right
/// join, the non-null one for a full join), and hides the originals from unqualified names.
fn merge_using(node: Node, scope: Scope, kind: JoinKind, merge: &UsingColumns) -> (Node, Scope) {
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for (l, r, t) in merge {
        let left = cast_to(Expr::Column(*l), &scope.columns[*l].data_type, t);
        let right = cast_to(Expr::Column(*r), &scope.columns[*r].data_type, t);
        exprs.push(match kind {
            JoinKind::Right => right,
            JoinKind::Full => Expr::Function("coalesce".into(), vec![left, right]),
            _ => left,
        });
        columns.push(ScopeColumn {
            qualifier: None,
            name: scope.columns[*l].name.clone(),
            data_type: t.clone(),
            hidden: false,
        });
    }
    for (i, c) in scope.columns.iter().enumerate() {
        exprs.push(Expr::Column(i));
        let mut c = c.clone();
        c.hidden |= merge.iter().any(|(l, r, _)| *l == i || *r == i);
        columns.push(c);
    }
    (
        Node::Project {
            input: Box::new(node),
            exprs,
        },
        Scope { columns },
    )
}

fn join_node(left: Node, right: Node, kind: JoinKind, on: Option<Expr>, left_width: usize) -> Node {
    // An equality between a left column and a right column makes a hash join.
    if let Some(Expr::Binary(BinaryOp::Eq, a, b)) = &on
        && let (Expr::Column(x), Expr::Column(y)) = (a.as_ref(), b.as_ref())
        && (*x < left_width) != (*y < left_width)
    {
        let (l, r) = if *x < left_width { (*x, *y) } else { (*y, *x) };
        return Node::HashJoin {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            left_keys: vec![Expr::Column(l)],
            right_keys: vec![Expr::Column(r - left_width)],
            residual: None,
        };
    }
    Node::NestedLoopJoin {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on,
    }
}

fn qualified_ident(c: &ScopeColumn) -> ast::Expr {
    let quoted = |s: &str| ast::Ident::with_quote('"', s);
    match &c.qualifier {
        Some(q) => ast::Expr::CompoundIdentifier(vec![quoted(q), quoted(&c.name)]),
        None => ast::Expr::Identifier(quoted(&c.name)),
    }
}

/// The output name PostgreSQL gives an unaliased select item.
fn column_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(i) => ident(i),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(ident).unwrap_or_default(),
        ast::Expr::Function(f) => f
            .name
            .0
            .last()
            .map(|p| p.to_string().to_lowercase())
            .unwrap_or_default(),
        ast::Expr::Cast {
            expr, data_type, ..
        } => match expr.as_ref() {
            ast::Expr::Value(_) => type_column_name(data_type),
            other => column_name(other),
        },
        ast::Expr::Nested(inner) => column_name(inner),
        ast::Expr::Case { .. } => "case".into(),
        ast::Expr::Exists { .. } => "exists".into(),
        // Syntaxes that are function calls take the function's name, as in PostgreSQL.
        ast::Expr::Extract { .. } => "extract".into(),
        ast::Expr::Position { .. } => "position".into(),
        ast::Expr::Substring { .. } => "substring".into(),
        ast::Expr::Overlay { .. } => "overlay".into(),
        ast::Expr::Trim { trim_where, .. } => match trim_where {
            Some(ast::TrimWhereField::Leading) => "ltrim",
            Some(ast::TrimWhereField::Trailing) => "rtrim",
            _ => "btrim",
        }
        .into(),
        ast::Expr::Ceil { .. } => "ceil".into(),
        ast::Expr::Floor { .. } => "floor".into(),
        ast::Expr::AtTimeZone { .. } => "timezone".into(),
        ast::Expr::Array(_) => "array".into(),
        ast::Expr::CompoundFieldAccess { root, .. } => column_name(root),
        ast::Expr::Interval(_) => "interval".into(),
        ast::Expr::TypedString(ts) => type_column_name(&ts.data_type),
        _ => "?column?".into(),
    }
}

/// EXPLAIN's text of a plan: the query's nodes, or for a write its target, filter and the
/// plan of its input.
fn explain_text(plan: &Plan) -> Result<String> {
    let under = |node: &Node| -> String {
        node.to_string()
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("\n  ->  {l}")
                } else {
                    format!("\n      {l}")
                }
            })
            .collect()
    };
    let filter = |f: &Option<Expr>| {
        f.as_ref()
            .map(|e| format!("\n      Filter: {e}"))
            .unwrap_or_default()
    };
    Ok(match plan {
        Plan::Query { node, .. } => node.to_string(),
        Plan::Insert { table, source, .. } => format!("Insert on {}{}", table.name, under(source)),
        Plan::Update {
            table,
            filter: f,
            from,
            ..
        } => format!(
            "Update on {}{}{}",
            table.name,
            filter(f),
            from.as_ref().map(under).unwrap_or_default()
        ),
        Plan::Delete {
            table,
            filter: f,
            using,
            ..
        } => format!(
            "Delete on {}{}{}",
            table.name,
            filter(f),
            using.as_ref().map(under).unwrap_or_default()
        ),
        Plan::CreateTableAs { table, source, .. } => {
            format!("Create Table {}{}", table.name, under(source))
        }
        Plan::WithWrites { writes, main } => {
            let mut text = explain_text(main)?;
            for (_, write) in writes {
                text.push_str("\n  CTE (data-modifying)\n");
                text.push_str(
                    &explain_text(write)?
                        .lines()
                        .map(|l| format!("    {l}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            }
            text
        }
        _ => {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "EXPLAIN takes SELECT, INSERT, UPDATE, DELETE, VALUES or CREATE TABLE AS",
            ));
        }
    })
}

/// The output name of a cast literal: the type's name (`int4`, or a user type's own name).
fn type_column_name(t: &ast::DataType) -> String {
    match DataType::from_sql(t) {
        Ok(t) => t.typname(),
        Err(_) => match t {
            ast::DataType::Custom(name, _) => name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(ident)
                .unwrap_or_else(|| "?column?".into()),
            _ => "?column?".into(),
        },
    }
}

fn position(n: &str, count: usize) -> Result<usize> {
    match n.parse::<usize>() {
        Ok(p) if p >= 1 && p <= count => Ok(p - 1),
        _ => Err(Error::new(
            SqlState::INVALID_COLUMN_REFERENCE,
            format!("ORDER BY position {n} is not in select list"),
        )),
    }
}

/// GROUP BY 2 or GROUP BY alias: the select item's expression.
fn resolve_output_ref(g: &ast::Expr, items: &[(ast::Expr, String)]) -> Result<Option<ast::Expr>> {
    match g {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => {
                let p = n
                    .parse::<usize>()
                    .ok()
                    .filter(|p| *p >= 1 && *p <= items.len())
                    .ok_or_else(|| {
                        Error::new(
                            SqlState::INVALID_COLUMN_REFERENCE,
                            format!("GROUP BY position {n} is not in select list"),
                        )
                    })?;
                Ok(Some(items[p - 1].0.clone()))
            }
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// ORDER BY 2 or ORDER BY alias: the output column's index.
fn resolve_output_index(
    o: &ast::Expr,
    items: &[(ast::Expr, String)],
    columns: &[(String, DataType)],
) -> Result<Option<usize>> {
    match o {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Ok(Some(position(n, columns.len())?)),
            _ => Ok(None),
        },
        ast::Expr::Identifier(i) => {
            let name = ident(i);
            let hits: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, (_, alias))| *alias == name)
                .map(|(i, _)| i)
                .collect();
            match hits.as_slice() {
                [one] => Ok(Some(*one)),
                [] => Ok(None),
                _ => Err(Error::new(
                    SqlState::AMBIGUOUS_COLUMN,
                    format!("ORDER BY \"{name}\" is ambiguous"),
                )),
            }
        }
        _ => Ok(None),
    }
}

fn aggregate_name(f: &ast::Function) -> Option<String> {
    if f.over.is_some() {
        return None;
    }
    let name = function_name(f).ok()?;
    AGGREGATES.contains(&name.as_str()).then_some(name)
}

fn function_name(f: &ast::Function) -> Result<String> {
    match f.name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(i)] => Ok(ident(i)),
        [
            ast::ObjectNamePart::Identifier(s),
            ast::ObjectNamePart::Identifier(i),
        ] if ident(s) == "pg_catalog" => Ok(ident(i)),
        _ => Err(Error::unsupported(format!("function {}", f.name))),
    }
}

fn function_args(f: &ast::Function) -> Result<Vec<&ast::Expr>> {
    if f.over.is_some() {
        return Err(Error::internal("window call bound as a scalar function"));
    }
    if f.filter.is_some() {
        return Err(Error::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!(
                "FILTER specified, but {} is not an aggregate function",
                f.name
            ),
        ));
    }
    call_args(f)
}

/// A call's plain arguments.
fn call_args(f: &ast::Function) -> Result<Vec<&ast::Expr>> {
    match &f.args {
        ast::FunctionArguments::None => Ok(Vec::new()),
        ast::FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
                other => Err(Error::unsupported(format!("function argument {other}"))),
            })
            .collect(),
        ast::FunctionArguments::Subquery(_) => {
            Err(Error::unsupported("subquery as function arguments"))
        }
    }
}

/// True if `e` contains an aggregate call outside any subquery.
fn has_aggregate(e: &ast::Expr) -> bool {
    contains_call(e, &|f| aggregate_name(f).is_some())
}

/// True if `e` contains a window function call outside any subquery.
fn has_window(e: &ast::Expr) -> bool {
    contains_call(e, &|f| f.over.is_some())
}

/// True if `e` contains a call satisfying `is` outside any subquery.
fn contains_call(e: &ast::Expr, is: &dyn Fn(&ast::Function) -> bool) -> bool {
    use ast::Expr as E;
    let inner = |x: &ast::Expr| contains_call(x, is);
    match e {
        E::Function(f) => {
            let in_window = match &f.over {
                Some(ast::WindowType::WindowSpec(w)) => {
                    w.partition_by.iter().any(inner) || w.order_by.iter().any(|o| inner(&o.expr))
                }
                _ => false,
            };
            is(f)
                || in_window
                || f.filter.as_deref().is_some_and(inner)
                || matches!(&f.args, ast::FunctionArguments::List(l) if l.args.iter().any(|a| matches!(a, ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) if inner(x))))
        }
        E::BinaryOp { left, right, .. } => inner(left) || inner(right),
        E::UnaryOp { expr, .. }
        | E::Nested(expr)
        | E::IsNull(expr)
        | E::IsNotNull(expr)
        | E::IsTrue(expr)
        | E::IsNotTrue(expr)
        | E::IsFalse(expr)
        | E::IsNotFalse(expr)
        | E::Cast { expr, .. } => inner(expr),
        E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => inner(a) || inner(b),
        E::Between {
            expr, low, high, ..
        } => inner(expr) || inner(low) || inner(high),
        E::InList { expr, list, .. } => inner(expr) || list.iter().any(inner),
        E::InSubquery { expr, .. } => inner(expr),
        E::Like { expr, pattern, .. } | E::ILike { expr, pattern, .. } => {
            inner(expr) || inner(pattern)
        }
        E::Extract { expr, .. }
        | E::Substring { expr, .. }
        | E::Trim { expr, .. }
        | E::Ceil { expr, .. }
        | E::Floor { expr, .. } => has_aggregate(expr),
        E::AtTimeZone {
            timestamp: a,
            time_zone: b,
        }
        | E::Position { expr: a, r#in: b }
        | E::AnyOp {
            left: a, right: b, ..
        }
        | E::AllOp {
            left: a, right: b, ..
        }
        | E::SimilarTo {
            expr: a,
            pattern: b,
            ..
        } => has_aggregate(a) || has_aggregate(b),
        E::CompoundFieldAccess { root, .. } => has_aggregate(root),
        E::Array(a) => a.elem.iter().any(has_aggregate),
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.as_deref().is_some_and(inner)
                || conditions
                    .iter()
                    .any(|c| inner(&c.condition) || inner(&c.result))
                || else_result.as_deref().is_some_and(inner)
        }
        _ => false,
    }
}

/// True if `e` reads a column of its own row (not only constants and outer references).
fn references_columns(e: &Expr) -> bool {
    match e {
        Expr::Column(_) => true,
        Expr::Literal(_) | Expr::Outer { .. } | Expr::Param(_) => false,
        Expr::Unary(_, a)
        | Expr::Not(a)
        | Expr::IsNull(a)
        | Expr::Cast(a, _)
        | Expr::IsBool(a, _, _) => references_columns(a),
        Expr::Binary(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::IsDistinctFrom(a, b, _)
        | Expr::Like(a, b, _, _) => references_columns(a) || references_columns(b),
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => {
            operand.as_deref().is_some_and(references_columns)
                || branches
                    .iter()
                    .any(|(w, t)| references_columns(w) || references_columns(t))
                || otherwise.as_deref().is_some_and(references_columns)
        }
        Expr::Function(_, args) => args.iter().any(references_columns),
        Expr::InList(a, list, _) => references_columns(a) || list.iter().any(references_columns),
        // A subquery's outer references point at our row: assume it reads it.
        Expr::Subquery(_) | Expr::Exists(..) | Expr::InSubquery(..) => true,
    }
}

/// A literal: numbers are int4, then int8, then numeric; strings stay of unknown type until
/// context decides (as PostgreSQL's untyped literals).
fn literal(v: &ast::Value) -> Result<(Expr, DataType)> {
    Ok(match v {
        ast::Value::Number(n, _) => {
            if let Ok(i) = n.parse::<i32>() {
                (Expr::Literal(Value::Int4(i)), DataType::Int4)
            } else if let Ok(i) = n.parse::<i64>() {
                (Expr::Literal(Value::Int8(i)), DataType::Int8)
            } else {
                let t = DataType::Numeric {
                    precision: None,
                    scale: None,
                };
                (
                    Expr::Literal(Value::from_text(n, &t, &Settings::default())?),
                    t,
                )
            }
        }
        ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
            (Expr::Literal(Value::Text(s.clone())), DataType::Unknown)
        }
        ast::Value::DollarQuotedString(s) => (
            Expr::Literal(Value::Text(s.value.clone())),
            DataType::Unknown,
        ),
        ast::Value::Boolean(b) => (Expr::Literal(Value::Bool(*b)), DataType::Bool),
        ast::Value::Null => (Expr::Literal(Value::Null), DataType::Unknown),
        ast::Value::Placeholder(p) => {
            let n: usize = p
                .trim_start_matches('$')
                .parse()
                .map_err(|_| Error::unsupported(format!("parameter {p}")))?;
            if n == 0 {
                return Err(Error::new(
                    SqlState::UNDEFINED_PARAMETER,
                    format!("there is no parameter {p}"),
                ));
            }
            (Expr::Param(n - 1), DataType::Unknown)
        }
        other => return Err(Error::unsupported(format!("literal {other}"))),
    })
}

/// A written cast (`CAST(x AS t)`, `x::t`): casts to the object-identifier alias types
/// (`regclass`, ...) look names up in the catalog, so they become calls of the function
/// that does.
fn explicit_cast(x: Expr, from: &DataType, to: &DataType) -> Expr {
    match to {
        DataType::Reg(kind) if from != to => {
            Expr::Function(crate::system::functions::reg_cast_name(*kind), vec![x])
        }
        _ => Expr::Cast(Box::new(x), to.clone()),
    }
}

/// `e` (of type `from`) as type `to`: a cast when they differ, folded for literals.
fn cast_to(e: Expr, from: &DataType, to: &DataType) -> Expr {
    if from == to || *to == DataType::Unknown {
        return e;
    }
    if matches!(to, DataType::Reg(_)) {
        return explicit_cast(e, from, to);
    }
    if let Expr::Literal(Value::Null) = e {
        return e;
    }
    if matches!(&e, Expr::Cast(_, t) if t == to) {
        return e;
    }
    // char(n) loses its padding on the way to other strings, as in PostgreSQL.
    if matches!(from, DataType::Char(_)) && matches!(to, DataType::Text | DataType::Varchar(_)) {
        let trimmed = Expr::Function("rtrim".into(), vec![e]);
        return Expr::Cast(Box::new(trimmed), to.clone());
    }
    Expr::Cast(Box::new(e), to.clone())
}

/// Brings two operands to one type for comparison or arithmetic: an untyped literal takes
/// the other side's type; otherwise both go to their common type when they are of one
/// category (so int4 = int8 compares as int8).
fn coerce_pair(l: Expr, lt: &DataType, r: Expr, rt: &DataType) -> Result<(Expr, Expr)> {
    match (lt, rt) {
        (DataType::Unknown, DataType::Unknown) => Ok((
            cast_to(l, lt, &DataType::Text),
            cast_to(r, rt, &DataType::Text),
        )),
        (DataType::Unknown, t) => Ok((cast_to(l, lt, t), r)),
        (t, DataType::Unknown) => Ok((l, cast_to(r, rt, t))),
        (a, b) if a == b => Ok((l, r)),
        _ => match types::common_type(&[lt.clone(), rt.clone()]) {
            Ok(t) => Ok((cast_to(l, lt, &t), cast_to(r, rt, &t))),
            // Leave it to the operator, which may know the pair (date + int, ...).
            Err(_) => Ok((l, r)),
        },
    }
}

/// The assignment cast of a value into a column (INSERT, UPDATE): PostgreSQL allows
/// assignment casts (numeric to int rounding, any type to text, ...).
fn assign_cast(e: Expr, from: &DataType, column: &Column) -> Result<Expr> {
    if *from != DataType::Unknown
        && !types::can_coerce(from, &column.data_type, types::CoercionContext::Assignment)
    {
        return Err(Error::new(
            SqlState::DATATYPE_MISMATCH,
            format!(
                "column \"{}\" is of type {} but expression is of type {}",
                column.name,
                column.data_type.name(),
                from.name()
            ),
        )
        .with_hint("You will need to rewrite or cast the expression."));
    }
    // A string goes to the type without its length: the executor's assignment then checks the
    // length (22001) where an explicit cast would truncate.
    let target = if column.data_type.is_string() {
        column.data_type.without_typmod()
    } else {
        column.data_type.clone()
    };
    Ok(cast_to(e, from, &target))
}

/// Parses a stored query (a view's).
fn parse_query(sql: &str) -> Result<ast::Query> {
    let stmts = anchor_grammar::parse(sql).map_err(|e| {
        Error::new(
            SqlState::DATA_CORRUPTED,
            format!("stored query does not parse: {}", e.message),
        )
    })?;
    match stmts.into_iter().next() {
        Some(anchor_grammar::Statement::Sql(stmt)) => match *stmt {
            ast::Statement::Query(q) => Ok(*q),
            _ => Err(Error::internal("stored query is not a query")),
        },
        _ => Err(Error::internal("stored query is not a query")),
    }
}

/// Parses a stored expression (a DEFAULT or CHECK).
pub fn parse_expr(sql: &str) -> Result<ast::Expr> {
    let stmts = anchor_grammar::parse(&format!("SELECT {sql}")).map_err(|e| {
        Error::new(
            SqlState::DATA_CORRUPTED,
            format!("stored expression does not parse: {}", e.message),
        )
    })?;
    match stmts.into_iter().next() {
        Some(anchor_grammar::Statement::Sql(stmt)) => match *stmt {
            ast::Statement::Query(q) => match *q.body {
                ast::SetExpr::Select(s) => match s.projection.into_iter().next() {
                    Some(ast::SelectItem::UnnamedExpr(e)) => Ok(e),
                    _ => Err(Error::internal("stored expression is not an expression")),
                },
                _ => Err(Error::internal("stored expression is not an expression")),
            },
            _ => Err(Error::internal("stored expression is not an expression")),
        },
        _ => Err(Error::internal("stored expression is not an expression")),
    }
}
