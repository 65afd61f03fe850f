//! Constant folding: an expression that reads no row is computed once, at planning time.
//!
//! `col1 > 9128.11` compares a double precision column with a numeric literal, which the
//! binder casts: `col1 > 9128.11::numeric::float8`. Folding turns the cast into a float
//! literal, so each row pays one comparison instead of a conversion and a comparison.
//!
//! Only what cannot depend on the session is folded: operators and casts among numbers and
//! booleans (a cast from text to a timestamp, say, depends on the session's TimeZone, so it
//! waits for execution). An expression that fails (`1/0`) is left as it is, to fail when it
//! runs, if it ever does: `WHERE false AND 1/0 = 1` must not fail.

use crate::plan::{Expr, Node};
use crate::types::{self, DataType, Settings};

/// Applies the rule to every expression of the tree.
pub fn apply(node: Node) -> Node {
    super::map_exprs(node, &fold)
}

fn settled(t: &DataType) -> bool {
    (t.is_numeric() && !matches!(t, DataType::Reg(_))) || *t == DataType::Bool
}

/// Folds `e` bottom-up.
pub fn fold(e: Expr) -> Expr {
    let f = |x: Box<Expr>| Box::new(fold(*x));
    match e {
        Expr::Cast(inner, to) => {
            let inner = fold(*inner);
            if let Expr::Literal(v) = &inner
                && (v.is_null() || settled(&v.data_type()))
                && settled(&to)
                && let Ok(folded) = v.clone().cast(&to, &Settings::default())
            {
                return Expr::Literal(folded);
            }
            Expr::Cast(Box::new(inner), to)
        }
        Expr::Unary(op, inner) => {
            let inner = fold(*inner);
            if let Expr::Literal(v) = &inner
                && settled(&v.data_type())
                && let Ok(folded) = types::unary_op(op, v)
            {
                return Expr::Literal(folded);
            }
            Expr::Unary(op, Box::new(inner))
        }
        Expr::Binary(op, l, r) => {
            let (l, r) = (fold(*l), fold(*r));
            if let (Expr::Literal(a), Expr::Literal(b)) = (&l, &r)
                && settled(&a.data_type())
                && settled(&b.data_type())
                && let Ok(folded) = types::binary_op(op, a, b)
            {
                return Expr::Literal(folded);
            }
            Expr::Binary(op, Box::new(l), Box::new(r))
        }
        Expr::Not(a) => Expr::Not(f(a)),
        Expr::And(a, b) => Expr::And(f(a), f(b)),
        Expr::Or(a, b) => Expr::Or(f(a), f(b)),
        Expr::IsNull(a) => Expr::IsNull(f(a)),
        Expr::IsBool(a, v, n) => Expr::IsBool(f(a), v, n),
        Expr::IsDistinctFrom(a, b, n) => Expr::IsDistinctFrom(f(a), f(b), n),
        Expr::Like(a, b, n, ci) => Expr::Like(f(a), f(b), n, ci),
        Expr::Case {
            operand,
            branches,
            otherwise,
        } => Expr::Case {
            operand: operand.map(f),
            branches: branches
                .into_iter()
                .map(|(w, t)| (fold(w), fold(t)))
                .collect(),
            otherwise: otherwise.map(f),
        },
        Expr::Function(name, args) => Expr::Function(name, args.into_iter().map(fold).collect()),
        Expr::InList(a, list, n) => Expr::InList(f(a), list.into_iter().map(fold).collect(), n),
        Expr::Subquery(node) => Expr::Subquery(Box::new(apply(*node))),
        Expr::Exists(node, n) => Expr::Exists(Box::new(apply(*node)), n),
        Expr::InSubquery(a, node, n) => Expr::InSubquery(f(a), Box::new(apply(*node)), n),
        leaf @ (Expr::Literal(_) | Expr::Column(_) | Expr::Outer { .. } | Expr::Param(_)) => leaf,
    }
}
