//! Prepared statements: parsed once, planned once per catalog epoch, executed many times.
//!
//! Preparing parses the statement, plans it, and learns from the plan what the parameters
//! are and what the result looks like. A parameter takes its declared type (`PREPARE p(int)`
//! or the types a client sends with Parse); an undeclared one takes the type the binder cast
//! it to where it was first used: compared with an integer column it is an integer, inserted
//! into a text column it is text. One used nowhere that decides its type is text.
//!
//! The plan is kept with the catalog epoch it was made at (see `storage::Local`): any DDL,
//! committed or not, moves the epoch, and the next execution plans again. A new plan may
//! not change the result's columns (0A000 `cached plan must not change result type`, as in
//! PostgreSQL).

use anchor_grammar::ast;
use parking_lot::Mutex;

use crate::error::{Error, SqlState};
use crate::plan::{Expr, Node, visit_exprs};
use crate::planner::Plan;
use crate::types::DataType;

/// What a cached plan depends on: the catalog epoch and the search path.
pub(crate) type PlanKey = (u64, Vec<String>);

/// A prepared statement.
#[derive(Debug)]
pub struct Prepared {
    /// The statement (`None` for an empty query string).
    pub(crate) statement: Option<ast::Statement>,
    /// The parameters' types, `$1` first.
    pub param_types: Vec<DataType>,
    /// The result's columns (empty for a statement without rows).
    pub columns: Vec<(String, DataType)>,
    /// The plan, with the catalog epoch and search path it was made under; `None` for
    /// statements about the session (BEGIN, SET, ...), which are not planned.
    pub(crate) plan: Mutex<Option<(PlanKey, Plan)>>,
    /// An INSERT's `OVERRIDING SYSTEM VALUE` (`Some(true)`) or `USER VALUE` (`Some(false)`).
    pub(crate) overriding: Option<bool>,
}

impl Prepared {
    /// True if the statement is empty (a query string of only comments or whitespace).
    pub fn is_empty(&self) -> bool {
        self.statement.is_none()
    }

    /// The statement's SQL text.
    pub fn sql(&self) -> String {
        self.statement
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default()
    }
}

/// Calls `f` on every expression of the node's tree, subqueries included.
fn deep_visit(node: &Node, f: &mut dyn FnMut(&Expr)) {
    visit_exprs(node, &mut |e: &Expr| {
        f(e);
        if let Expr::Subquery(n) | Expr::Exists(n, _) | Expr::InSubquery(_, n, _) = e {
            deep_visit(n, f);
        }
    });
}

/// Calls `f` on every expression of a plan.
fn visit_plan(plan: &Plan, f: &mut dyn FnMut(&Expr)) {
    let exprs = |list: &mut dyn Iterator<Item = &Expr>, f: &mut dyn FnMut(&Expr)| {
        for e in list {
            e.visit(&mut |x: &Expr| {
                f(x);
                if let Expr::Subquery(n) | Expr::Exists(n, _) | Expr::InSubquery(_, n, _) = x {
                    deep_visit(n, f);
                }
            });
        }
    };
    match plan {
        Plan::Query { node, .. } => deep_visit(node, f),
        Plan::Insert {
            source,
            checks,
            on_conflict,
            returning,
            ..
        } => {
            deep_visit(source, f);
            exprs(&mut checks.iter().map(|(_, e)| e), f);
            if let Some(update) = on_conflict.as_ref().and_then(|c| c.update.as_ref()) {
                exprs(
                    &mut update
                        .assignments
                        .iter()
                        .map(|(_, e)| e)
                        .chain(&update.filter),
                    f,
                );
            }
            if let Some(r) = returning {
                exprs(&mut r.exprs.iter(), f);
            }
        }
        Plan::Update {
            filter,
            assignments,
            checks,
            from,
            returning,
            ..
        } => {
            exprs(
                &mut filter
                    .iter()
                    .chain(assignments.iter().map(|(_, e)| e))
                    .chain(checks.iter().map(|(_, e)| e)),
                f,
            );
            if let Some(n) = from {
                deep_visit(n, f);
            }
            if let Some(r) = returning {
                exprs(&mut r.exprs.iter(), f);
            }
        }
        Plan::Delete {
            filter,
            using,
            returning,
            ..
        } => {
            exprs(&mut filter.iter(), f);
            if let Some(n) = using {
                deep_visit(n, f);
            }
            if let Some(r) = returning {
                exprs(&mut r.exprs.iter(), f);
            }
        }
        Plan::CreateTableAs { source, .. } => deep_visit(source, f),
        Plan::WithWrites { writes, main } => {
            for (_, write) in writes {
                visit_plan(write, f);
            }
            visit_plan(main, f);
        }
        _ => {}
    }
}

/// The types of a plan's parameters: `declared` where known, else the type each was first
/// cast to, else text. There are as many as the highest `$n` used or declared.
pub fn infer_params(plan: &Plan, declared: &[DataType]) -> Vec<DataType> {
    let mut types: Vec<Option<DataType>> = declared
        .iter()
        .map(|t| (*t != DataType::Unknown).then(|| t.clone()))
        .collect();
    visit_plan(plan, &mut |e: &Expr| {
        let (i, cast) = match e {
            Expr::Param(i) => (*i, None),
            Expr::Cast(inner, t) => match inner.as_ref() {
                Expr::Param(i) => (*i, Some(t.clone())),
                _ => return,
            },
            _ => return,
        };
        if types.len() <= i {
            types.resize(i + 1, None);
        }
        if types[i].is_none()
            && let Some(t) = cast
            && t != DataType::Unknown
        {
            types[i] = Some(t);
        }
    });
    types
        .into_iter()
        .map(|t| t.unwrap_or(DataType::Text))
        .collect()
}

/// The columns a plan's result has.
pub fn describe(plan: &Plan) -> Vec<(String, DataType)> {
    match plan {
        Plan::Query { columns, .. } => columns.clone(),
        Plan::Insert { returning, .. }
        | Plan::Update { returning, .. }
        | Plan::Delete { returning, .. } => returning
            .as_ref()
            .map(|r| r.columns.clone())
            .unwrap_or_default(),
        Plan::Explain(_) => vec![("QUERY PLAN".into(), DataType::Text)],
        Plan::WithWrites { main, .. } => describe(main),
        _ => Vec::new(),
    }
}

/// The error for executing with the wrong number of parameters.
pub fn wrong_count(name: &str, expected: usize, got: usize) -> Error {
    Error::new(
        SqlState::SYNTAX_ERROR,
        format!("wrong number of parameters for prepared statement \"{name}\""),
    )
    .with_detail(format!("Expected {expected} parameters but got {got}."))
}
