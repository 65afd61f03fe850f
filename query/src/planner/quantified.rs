//! Binding `x op ANY (subquery)` and `x op ALL (subquery)`.
//!
//! `x = ANY (q)` is `x IN (q)` and `x <> ALL (q)` is `x NOT IN (q)`, which the optimizer may
//! turn into semi and anti joins. Any other operator is rewritten with what IN already
//! does: the subquery computes, for each of its rows, the comparison `x op column` (with `x`
//! moved into the subquery as an outer reference), and
//!
//! - `x op ANY (q)` is `true IN (SELECT x op c FROM q)`: true if some comparison is true,
//!   else NULL if some is NULL, else false (also over no rows);
//! - `x op ALL (q)` is `false NOT IN (SELECT x op c FROM q)`: false if some comparison is
//!   false, else NULL if some is NULL, else true (also over no rows).
//!
//! Both are PostgreSQL's three-valued semantics. The subquery is correlated (it reads `x`),
//! so it runs once per row.

use anchor_grammar::ast;

use super::{Grouping, Planner, Scope, cast_to};
use crate::error::{Error, Result, SqlState};
use crate::plan::{Expr, Node};
use crate::types::{self, DataType, Value};

impl Planner<'_> {
    /// Binds `left op ANY/ALL (right)` where `right` is a subquery.
    pub(super) fn quantified(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
        scope: &Scope,
        g: Option<&mut Grouping>,
    ) -> Result<(Expr, DataType)> {
        let ast::Expr::Subquery(q) = right else {
            return Err(Error::unsupported("ANY and ALL over an array"));
        };
        let (x, xt) = self.expr(left, scope, g)?;
        let (node, cols) = self.subquery(q, scope)?;
        if cols.len() != 1 {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                if cols.len() > 1 {
                    "subquery has too many columns"
                } else {
                    "subquery has too few columns"
                },
            ));
        }
        let ct = cols[0].1.clone();
        let in_form = matches!(
            (op, all),
            (ast::BinaryOperator::Eq, false) | (ast::BinaryOperator::NotEq, true)
        );
        if in_form {
            let common = types::common_type(&[xt.clone(), ct.clone()])?;
            let node = Node::Project {
                input: Box::new(node),
                exprs: vec![cast_to(Expr::Column(0), &ct, &common)],
            };
            return Ok((
                Expr::InSubquery(Box::new(cast_to(x, &xt, &common)), Box::new(node), all),
                DataType::Bool,
            ));
        }
        let lifted = lift(x).ok_or_else(|| {
            Error::unsupported("a subquery in the left operand of ANY or ALL (subquery)")
        })?;
        let (cmp, rt) = self.binary(op, lifted, xt, Expr::Column(0), ct)?;
        if rt != DataType::Bool {
            return Err(Error::new(
                SqlState("42809"),
                "op ANY/ALL (array) requires operator to yield boolean",
            ));
        }
        let node = Node::Project {
            input: Box::new(node),
            exprs: vec![cmp],
        };
        Ok((
            Expr::InSubquery(
                Box::new(Expr::Literal(Value::Bool(!all))),
                Box::new(node),
                all,
            ),
            DataType::Bool,
        ))
    }
}

/// `e` as seen from inside a subquery of its query: its columns become references to the
/// nearest outer row and its outer references reach one level further. `None` if it holds a
/// subquery.
fn lift(e: Expr) -> Option<Expr> {
    let r = |x: Box<Expr>| lift(*x).map(Box::new);
    Some(match e {
        Expr::Column(index) => Expr::Outer { depth: 1, index },
        Expr::Outer { depth, index } => Expr::Outer {
            depth: depth + 1,
            index,
        },
        e @ (Expr::Literal(_) | Expr::Param(_)) => e,
        Expr::Unary(op, a) => Expr::Unary(op, r(a)?),
        Expr::Not(a) => Expr::Not(r(a)?),
        Expr::IsNull(a) => Expr::IsNull(r(a)?),
        Expr::Cast(a, t) => Expr::Cast(r(a)?, t),
        Expr::IsBool(a, v, n) => Expr::IsBool(r(a)?, v, n),
        Expr::Binary(op, a, b) => Expr::Binary(op, r(a)?, r(b)?),
        Expr::And(a, b) => Expr::And(r(a)?, r(b)?),
        Expr::Or(a, b) => Expr::Or(r(a)?, r(b)?),
        Expr::IsDistinctFrom(a, b, n) => Expr::IsDistinctFrom(r(a)?, r(b)?, n),
        Expr::Like(a, b, n, ci) => Expr::Like(r(a)?, r(b)?, n, ci),
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => Expr::Case {
            operand: match operand {
                Some(o) => Some(r(o)?),
                None => None,
            },
            branches: branches
                .into_iter()
                .map(|(w, t)| Some((lift(w)?, lift(t)?)))
                .collect::<Option<_>>()?,
            otherwise: match otherwise {
                Some(o) => Some(r(o)?),
                None => None,
            },
        },
        Expr::Function(name, args) => {
            Expr::Function(name, args.into_iter().map(lift).collect::<Option<_>>()?)
        }
        Expr::InList(a, list, n) => {
            Expr::InList(r(a)?, list.into_iter().map(lift).collect::<Option<_>>()?, n)
        }
        Expr::Subquery(_) | Expr::Exists(..) | Expr::InSubquery(..) => return None,
    })
}
