//! Binding WITH clauses.
//!
//! Each WITH query is planned once, where it is defined, and kept in the planner's stack of
//! WITH scopes (a nested WITH pushes a scope that ends with its query). A reference in FROM
//! becomes a [`Node::CteScan`] over a copy of that plan, all copies sharing one id so that
//! the executor computes the rows once per statement. A WITH query that reads a row of an
//! enclosing query cannot be shared, and is only allowed at the level where it is defined.
//!
//! WITH RECURSIVE: a query of the form `non-recursive-term UNION [ALL] recursive-term` is
//! planned in two steps. The non-recursive term is planned while the query's own name is an
//! error; it fixes the column types. Then the recursive term is planned while the name means
//! the work table ([`Node::WorkTable`]), which it may read once, not from a subquery nor
//! from the NULL-padded side of an outer join (SQLSTATE 42P19, as PostgreSQL). A recursive
//! term that never reads it makes an ordinary UNION. The queries of WITH RECURSIVE may also
//! read later ones: each is planned once those it reads are, and a query that reads one not
//! yet planned waits for the next pass (no progress in a pass is mutual recursion, 0A000).

use anchor_grammar::ast;

use super::{Planner, Scope, ScopeColumn, cast_to, ident};
use crate::error::{Error, Result, SqlState};
use crate::plan::{Expr, Node, SetOpKind, visit_exprs};
use crate::types::{self, DataType};

/// True for a data-modifying WITH query (`x AS (INSERT ... RETURNING ...)`).
fn writes(cte: &ast::Cte) -> bool {
    matches!(
        cte.query.body.as_ref(),
        ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_)
    )
}

/// 42P19: an ill-formed recursive query.
const INVALID_RECURSION: SqlState = SqlState("42P19");

/// A WITH query in scope.
#[derive(Clone, Debug)]
pub(super) struct Cte {
    pub(super) name: String,
    /// Output columns (after the alias list).
    columns: Vec<(String, DataType)>,
    kind: CteKind,
    /// The nesting of queries (`outer.len()`) where it is defined.
    level: usize,
}

#[derive(Clone, Debug)]
enum CteKind {
    /// Planned: references scan it.
    Planned {
        id: usize,
        node: Box<Node>,
        shared: bool,
    },
    /// The recursive term being planned: a reference reads the work table.
    WorkTable { id: usize, references: usize },
    /// A reference is this error (the non-recursive term, or a query of the wrong form).
    Forbidden(SqlState, String),
    /// A WITH RECURSIVE query not planned yet: a reference defers the query that makes it.
    Later { referenced: bool },
}

impl Planner<'_> {
    /// Plans a WITH clause's queries into the current WITH scope.
    pub(super) fn with_clause(&mut self, with: &ast::With) -> Result<()> {
        let mut names: Vec<String> = Vec::new();
        for cte in &with.cte_tables {
            let name = ident(&cte.alias.name);
            if names.contains(&name) {
                return Err(Error::new(
                    SqlState("42712"),
                    format!("WITH query name \"{name}\" specified more than once"),
                ));
            }
            if cte.from.is_some() {
                return Err(Error::unsupported("WITH ... FROM"));
            }
            if matches!(cte.query.body.as_ref(), ast::SetExpr::Merge(_)) {
                return Err(Error::unsupported("MERGE in WITH"));
            }
            if writes(cte) && (with.recursive || self.query_depth > 1) {
                return Err(Error::unsupported(if with.recursive {
                    "data-modifying statements in WITH RECURSIVE"
                } else {
                    "WITH clause containing a data-modifying statement must be at the top level"
                }));
            }
            names.push(name);
        }
        if !with.recursive {
            for (name, cte) in names.into_iter().zip(&with.cte_tables) {
                if let (
                    ast::SetExpr::Insert(stmt)
                    | ast::SetExpr::Update(stmt)
                    | ast::SetExpr::Delete(stmt),
                    true,
                ) = (cte.query.body.as_ref(), writes(cte))
                {
                    // Runs before the statement; references read its RETURNING rows, which
                    // the executor leaves where a shared WITH query's rows go.
                    let plan = self.plan_statement(stmt)?;
                    let columns = crate::prepared::describe(&plan);
                    let id =
                        self.push_cte(name, cte, Node::Values { rows: Vec::new() }, columns)?;
                    self.writes.push((id, plan));
                    continue;
                }
                let (node, columns) = self.query(&cte.query)?;
                self.push_cte(name, cte, node, columns)?;
            }
            return Ok(());
        }
        // WITH RECURSIVE queries may refer to later ones: plan each once those it reads are
        // planned. A query that reads one still pending waits for the next pass.
        let mut pending: Vec<(String, &ast::Cte)> =
            names.into_iter().zip(&with.cte_tables).collect();
        while !pending.is_empty() {
            let mut waiting = Vec::new();
            for (i, (name, cte)) in pending.iter().enumerate() {
                let depth = self.ctes.len();
                let level = self.outer.len();
                // Those not planned yet: deferred in this pass, or not tried yet.
                let unplanned: Vec<String> = waiting
                    .iter()
                    .chain(pending.iter().skip(i + 1))
                    .map(|(n, _)| n.clone())
                    .collect();
                for other in unplanned {
                    self.ctes.push(Cte {
                        name: other,
                        columns: Vec::new(),
                        kind: CteKind::Later { referenced: false },
                        level,
                    });
                }
                let planned = self.recursive_cte(name, cte);
                let deferred = self.ctes[depth..]
                    .iter()
                    .any(|c| matches!(c.kind, CteKind::Later { referenced: true }));
                self.ctes.truncate(depth);
                if deferred {
                    waiting.push((name.clone(), *cte));
                    continue;
                }
                let (node, columns) = planned?;
                self.push_cte(name.clone(), cte, node, columns)?;
            }
            if waiting.len() == pending.len() {
                return Err(Error::unsupported(
                    "mutual recursion between WITH items is not implemented",
                ));
            }
            pending = waiting;
        }
        Ok(())
    }

    /// Adds a planned WITH query to the scope.
    fn push_cte(
        &mut self,
        name: String,
        cte: &ast::Cte,
        node: Node,
        columns: Vec<(String, DataType)>,
    ) -> Result<usize> {
        let columns = renamed(&name, &cte.alias, columns)?;
        let shared = !crate::exec::correlated(&node, 1) && !self.reads_open_work_table(&node);
        let id = self.new_id();
        self.ctes.push(Cte {
            name,
            columns,
            kind: CteKind::Planned {
                id,
                node: Box::new(node),
                shared,
            },
            level: self.outer.len(),
        });
        Ok(id)
    }

    /// True if `node` reads the work table of a recursion still being planned (its rows
    /// change from round to round).
    fn reads_open_work_table(&self, node: &Node) -> bool {
        self.ctes.iter().any(|c| match c.kind {
            CteKind::WorkTable { id, .. } => reads(node, id),
            _ => false,
        })
    }

    /// A fresh id for a WITH query or recursion.
    fn new_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    /// The WITH query `name` in scope, as a FROM item: `None` if there is none.
    pub(super) fn cte_scan(
        &mut self,
        name: &str,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Node, Scope)>> {
        let level = self.outer.len();
        let Some(cte) = self.ctes.iter_mut().rev().find(|c| c.name == name) else {
            return Ok(None);
        };
        let node = match &mut cte.kind {
            CteKind::Forbidden(code, message) => {
                return Err(Error::new(*code, message.clone()));
            }
            CteKind::Later { referenced } => {
                *referenced = true;
                return Err(Error::unsupported(format!(
                    "reference to WITH query \"{name}\" before it is planned"
                )));
            }
            CteKind::WorkTable { id, references } => {
                if level != cte.level {
                    return Err(Error::new(
                        INVALID_RECURSION,
                        format!(
                            "recursive reference to query \"{name}\" must not appear within a subquery"
                        ),
                    ));
                }
                *references += 1;
                if *references > 1 {
                    return Err(Error::new(
                        INVALID_RECURSION,
                        format!(
                            "recursive reference to query \"{name}\" must not appear more than once"
                        ),
                    ));
                }
                Node::WorkTable {
                    id: *id,
                    width: cte.columns.len(),
                }
            }
            CteKind::Planned { id, node, shared } => {
                if !*shared && level != cte.level {
                    return Err(Error::unsupported(format!(
                        "WITH query \"{name}\" that reads an outer query's row, referenced from a subquery"
                    )));
                }
                Node::CteScan {
                    name: name.to_string(),
                    id: *id,
                    input: node.clone(),
                    shared: *shared,
                }
            }
        };
        let qualifier = alias.map(|a| ident(&a.name)).unwrap_or_else(|| name.into());
        let renames: Vec<String> = alias
            .map(|a| a.columns.iter().map(|c| ident(&c.name)).collect())
            .unwrap_or_default();
        if renames.len() > cte.columns.len() {
            return Err(Error::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                format!(
                    "table \"{qualifier}\" has {} columns available but {} columns specified",
                    cte.columns.len(),
                    renames.len()
                ),
            ));
        }
        let scope = Scope {
            columns: cte
                .columns
                .iter()
                .enumerate()
                .map(|(i, (n, t))| ScopeColumn {
                    qualifier: Some(qualifier.clone()),
                    name: renames.get(i).cloned().unwrap_or_else(|| n.clone()),
                    data_type: t.clone(),
                    hidden: false,
                })
                .collect(),
        };
        Ok(Some((node, scope)))
    }

    /// An error if a recursive reference sits on the NULL-padded side of an outer join.
    pub(super) fn check_outer_join(&self, nullable: &Node) -> Result<()> {
        for cte in &self.ctes {
            if let CteKind::WorkTable { id, .. } = cte.kind
                && reads(nullable, id)
            {
                return Err(Error::new(
                    INVALID_RECURSION,
                    format!(
                        "recursive reference to query \"{}\" must not appear within an outer join",
                        cte.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn recursive_cte(
        &mut self,
        name: &str,
        cte: &ast::Cte,
    ) -> Result<(Node, Vec<(String, DataType)>)> {
        let q = &cte.query;
        let level = self.outer.len();
        let forbid = |code: SqlState, message: String| Cte {
            name: name.to_string(),
            columns: Vec::new(),
            kind: CteKind::Forbidden(code, message),
            level,
        };
        let union = match q.body.as_ref() {
            ast::SetExpr::SetOperation {
                op: ast::SetOperator::Union,
                set_quantifier,
                left,
                right,
            } if q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none() => {
                Some((set_quantifier, left, right))
            }
            _ => None,
        };
        let Some((quantifier, left, right)) = union else {
            // A UNION with ORDER BY, LIMIT or OFFSET has the form, but not the support.
            let is_union = matches!(
                q.body.as_ref(),
                ast::SetExpr::SetOperation {
                    op: ast::SetOperator::Union,
                    ..
                }
            );
            let clause = match &q.limit_clause {
                _ if q.order_by.is_some() => Some("ORDER BY"),
                Some(ast::LimitClause::LimitOffset { limit: Some(_), .. })
                | Some(ast::LimitClause::OffsetCommaLimit { .. }) => Some("LIMIT"),
                Some(_) => Some("OFFSET"),
                None => None,
            };
            let refusal = match clause {
                Some(clause) if is_union => forbid(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    format!("{clause} in a recursive query is not implemented"),
                ),
                _ => forbid(
                    INVALID_RECURSION,
                    format!(
                        "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
                    ),
                ),
            };
            self.ctes.push(refusal);
            let planned = self.query(q);
            self.ctes.pop();
            return planned;
        };
        self.ctes.push(forbid(
            INVALID_RECURSION,
            format!(
                "recursive reference to query \"{name}\" must not appear within its non-recursive term"
            ),
        ));
        let base = self.set_expr(left);
        self.ctes.pop();
        let (base, base_columns) = base?;
        let base_columns: Vec<(String, DataType)> = base_columns
            .into_iter()
            .map(|(n, t)| {
                let t = if t == DataType::Unknown {
                    DataType::Text
                } else {
                    t
                };
                (n, t)
            })
            .collect();
        let columns = renamed(name, &cte.alias, base_columns.clone())?;
        let id = self.new_id();
        self.ctes.push(Cte {
            name: name.to_string(),
            columns,
            kind: CteKind::WorkTable { id, references: 0 },
            level,
        });
        let recursive = self.set_expr(right);
        let references = match self.ctes.pop() {
            Some(Cte {
                kind: CteKind::WorkTable { references, .. },
                ..
            }) => references,
            _ => 0,
        };
        let (recursive, rec_columns) = recursive?;
        if references > 0 && aggregates_work_table(&recursive, id) {
            return Err(Error::new(
                INVALID_RECURSION,
                "aggregate functions are not allowed in a recursive query's recursive term",
            ));
        }
        if rec_columns.len() != base_columns.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                "each UNION query must have the same number of columns",
            ));
        }
        let mut base_casts = Vec::new();
        let mut rec_casts = Vec::new();
        for (i, ((_, bt), (_, rt))) in base_columns.iter().zip(&rec_columns).enumerate() {
            let overall = types::common_type(&[bt.clone(), rt.clone()]).unwrap_or(rt.clone());
            if references > 0 && overall != *bt {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    format!(
                        "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                        i + 1,
                        bt.name(),
                        overall.name()
                    ),
                )
                .with_hint("Cast the output of the non-recursive term to the correct type."));
            }
            base_casts.push(cast_to(Expr::Column(i), bt, &overall));
            rec_casts.push(cast_to(Expr::Column(i), rt, &overall));
        }
        let all = matches!(quantifier, ast::SetQuantifier::All);
        let base = Node::Project {
            input: Box::new(base),
            exprs: base_casts,
        };
        let recursive = Node::Project {
            input: Box::new(recursive),
            exprs: rec_casts,
        };
        if references == 0 {
            return Ok((
                Node::SetOp {
                    op: SetOpKind::Union,
                    all,
                    left: Box::new(base),
                    right: Box::new(recursive),
                },
                base_columns,
            ));
        }
        Ok((
            Node::RecursiveUnion {
                id,
                base: Box::new(base),
                recursive: Box::new(recursive),
                distinct: !all,
            },
            base_columns,
        ))
    }
}

/// The columns of WITH query `name` after its alias list `t(a, b)`.
fn renamed(
    name: &str,
    alias: &ast::TableAlias,
    columns: Vec<(String, DataType)>,
) -> Result<Vec<(String, DataType)>> {
    if alias.columns.len() > columns.len() {
        return Err(Error::new(
            SqlState::INVALID_COLUMN_REFERENCE,
            format!(
                "WITH query \"{name}\" has {} columns available but {} columns specified",
                columns.len(),
                alias.columns.len()
            ),
        ));
    }
    Ok(columns
        .into_iter()
        .enumerate()
        .map(|(i, (n, t))| {
            let n = alias.columns.get(i).map(|c| ident(&c.name)).unwrap_or(n);
            let t = if t == DataType::Unknown {
                DataType::Text
            } else {
                t
            };
            (n, t)
        })
        .collect())
}

/// True if `node` (or a subquery in it) reads the work table of recursion `id`.
fn reads(node: &Node, id: usize) -> bool {
    let mut found = false;
    walk(node, &mut |n| {
        found |= matches!(n, Node::WorkTable { id: w, .. } if *w == id)
    });
    found
}

/// True if an aggregate in `node` reads the work table of recursion `id`.
fn aggregates_work_table(node: &Node, id: usize) -> bool {
    let mut found = false;
    walk(node, &mut |n| {
        if let Node::Aggregate { input, .. } = n {
            found |= reads(input, id);
        }
    });
    found
}

/// Calls `f` on every node of the tree, including the plans of subqueries in expressions.
fn walk(node: &Node, f: &mut impl FnMut(&Node)) {
    walk_nodes(node, f);
    let mut subplans = Vec::new();
    visit_exprs(node, &mut |e| {
        if let Expr::Subquery(n) | Expr::Exists(n, _) | Expr::InSubquery(_, n, _) = e {
            subplans.push((**n).clone());
        }
    });
    for s in &subplans {
        walk(s, f);
    }
}

/// Calls `f` on `node` and every node below it (not into subqueries).
fn walk_nodes(node: &Node, f: &mut impl FnMut(&Node)) {
    f(node);
    for c in node.children() {
        walk_nodes(c, f);
    }
}
