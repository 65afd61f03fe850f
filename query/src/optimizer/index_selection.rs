//! Index selection: a filtered scan reads only the keys its predicate allows.
//!
//! After filter pushdown a scan carries the conjuncts that read only its table. Those that
//! compare a key column with a value that does not depend on the row (`id = 5`, `b > $1`,
//! `a IN (1, 2)`, `x BETWEEN 3 AND 9`, or a column of an enclosing query's row) describe a
//! range of a key: equalities on a prefix of the key's columns, then at most a lower and an
//! upper bound on the next one. Every candidate key (the primary key, then each index) is
//! scored and the best becomes a [`Node::IndexScan`]:
//!
//! 1. a primary or unique key whose every column is equated with one value (one row),
//! 2. then the longest equality prefix,
//! 3. then a range on the next column (both ends before one),
//! 4. then the primary key (which reads rows directly, without an index entry per row).
//!
//! The scan keeps the whole predicate as its filter: the key range is only a way to read
//! fewer rows (see [`crate::index_scan`] for how values of other types become key bounds).
//!
//! ```text
//! Seq Scan on t                     Index Scan using t_pkey on t (id = 5::integer)
//!   Filter: (#0 Eq 5::integer)  =>    Filter: (#0 Eq 5::integer)
//! ```

use super::filter_pushdown::split;
use crate::catalog::{Index, Table};
use crate::plan::{Expr, KeyLookup, Node};
use crate::types::{BinaryOp, DataType};

/// Applies the rule to the whole tree.
pub fn apply(node: Node) -> Node {
    match node {
        Node::Scan {
            table,
            filter: Some(filter),
        } => match choose(&table, &filter) {
            Some(lookup) => Node::IndexScan {
                table,
                lookup,
                filter: Some(filter),
            },
            None => Node::Scan {
                table,
                filter: Some(filter),
            },
        },
        other => other.map_inputs(apply),
    }
}

/// What one conjunct says about a column.
enum Cond {
    /// Equal to one of these values.
    Eq(Vec<Expr>),
    /// Above (or at, if inclusive) the value.
    Lower(Expr, bool),
    /// Below (or at, if inclusive) the value.
    Upper(Expr, bool),
}

/// The best key lookup for a scan of `table` under `filter`, if any key helps.
pub fn choose(table: &Table, filter: &Expr) -> Option<KeyLookup> {
    let conds: Vec<(usize, Cond)> = split(filter.clone())
        .into_iter()
        .filter_map(|c| condition(table, c))
        .collect();
    if conds.is_empty() {
        return None;
    }
    let mut best: Option<((bool, usize, usize, bool), KeyLookup)> = None;
    let primary = table
        .primary_key
        .as_ref()
        .map(|cols| (None, cols.clone(), true));
    let indexes = table
        .indexes
        .iter()
        .filter(|i| !i.primary)
        .map(|i| (Some(i.clone()), i.columns.clone(), i.unique));
    for (index, cols, unique) in primary.into_iter().chain(indexes) {
        let Some(lookup) = lookup_for(&conds, &cols, index.clone()) else {
            continue;
        };
        let point =
            unique && lookup.eq.len() == cols.len() && lookup.eq.iter().all(|v| v.len() == 1);
        let ends = lookup.lower.is_some() as usize + lookup.upper.is_some() as usize;
        let score = (point, lookup.eq.len(), ends, index.is_none());
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, lookup));
        }
    }
    best.map(|(_, lookup)| lookup)
}

/// The lookup of the key with columns `cols` that `conds` allow, if it reads less than
/// everything.
fn lookup_for(conds: &[(usize, Cond)], cols: &[usize], index: Option<Index>) -> Option<KeyLookup> {
    let mut eq = Vec::new();
    for &col in cols {
        let values = conds.iter().find_map(|(c, cond)| match cond {
            Cond::Eq(values) if *c == col => Some(values.clone()),
            _ => None,
        });
        match values {
            Some(values) => eq.push(values),
            None => break,
        }
    }
    let (mut lower, mut upper) = (None, None);
    if let Some(&next) = cols.get(eq.len()) {
        for (c, cond) in conds {
            match cond {
                Cond::Lower(e, inc) if *c == next && lower.is_none() => {
                    lower = Some((e.clone(), *inc))
                }
                Cond::Upper(e, inc) if *c == next && upper.is_none() => {
                    upper = Some((e.clone(), *inc))
                }
                _ => {}
            }
        }
    }
    if eq.is_empty() && lower.is_none() && upper.is_none() {
        return None;
    }
    Some(KeyLookup {
        index,
        eq,
        lower,
        upper,
    })
}

/// The key column and condition a conjunct states, if it is one this rule uses.
fn condition(table: &Table, c: Expr) -> Option<(usize, Cond)> {
    match c {
        Expr::Binary(op, a, b) => {
            let (col, value, op) = match (key_column(table, &a), key_column(table, &b)) {
                (Some(col), None) => (col, *b, op),
                (None, Some(col)) => (col, *a, flip(op)?),
                _ => return None,
            };
            if !row_free(&value) {
                return None;
            }
            Some((
                col,
                match op {
                    BinaryOp::Eq => Cond::Eq(vec![value]),
                    BinaryOp::Gt => Cond::Lower(value, false),
                    BinaryOp::GtEq => Cond::Lower(value, true),
                    BinaryOp::Lt => Cond::Upper(value, false),
                    BinaryOp::LtEq => Cond::Upper(value, true),
                    _ => return None,
                },
            ))
        }
        Expr::InList(a, list, false) => {
            let col = key_column(table, &a)?;
            (!list.is_empty() && list.iter().all(row_free)).then_some((col, Cond::Eq(list)))
        }
        _ => None,
    }
}

/// The comparison with its operands swapped (`5 < x` is `x > 5`).
fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Eq => BinaryOp::Eq,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        _ => return None,
    })
}

/// The column `e` reads if it is a column of a type whose key order is its SQL order, bare
/// or under a cast that keeps every value and its order (integer widening, integer to
/// numeric, real to double, varchar to text).
pub(super) fn key_column(table: &Table, e: &Expr) -> Option<usize> {
    use DataType as T;
    let (col, cast) = match e {
        Expr::Column(c) => (*c, None),
        Expr::Cast(inner, t) => match inner.as_ref() {
            Expr::Column(c) => (*c, Some(t)),
            _ => return None,
        },
        _ => return None,
    };
    let ty = &table.columns.get(col)?.data_type;
    let keyed = matches!(
        ty,
        T::Int2
            | T::Int4
            | T::Int8
            | T::Float4
            | T::Float8
            | T::Numeric { .. }
            | T::Text
            | T::Varchar(_)
            | T::Bool
            | T::Bytea
            | T::Date
            | T::Time
            | T::Timestamp
            | T::TimestampTz
            | T::Interval
            | T::Uuid
    );
    let lossless = match (ty, cast) {
        (_, None) => true,
        (a, Some(b)) if a == b => true,
        (T::Int2, Some(T::Int4 | T::Int8)) | (T::Int4, Some(T::Int8)) => true,
        (
            T::Int2 | T::Int4 | T::Int8,
            Some(T::Numeric {
                precision: None, ..
            }),
        ) => true,
        (T::Float4, Some(T::Float8)) => true,
        (T::Text | T::Varchar(_), Some(T::Text | T::Varchar(None))) => true,
        _ => false,
    };
    (keyed && lossless).then_some(col)
}

/// True if `e` reads nothing of the scanned row and gives the same value for every row:
/// literals, parameters, enclosing queries' columns, and casts and operators over them.
pub(super) fn row_free(e: &Expr) -> bool {
    match e {
        Expr::Literal(_) | Expr::Param(_) | Expr::Outer { .. } => true,
        Expr::Cast(a, _) | Expr::Unary(_, a) => row_free(a),
        Expr::Binary(_, a, b) => row_free(a) && row_free(b),
        _ => false,
    }
}
