//! Binding aggregate calls: arguments, `DISTINCT`, `ORDER BY` inside the call and `FILTER`,
//! with the result types PostgreSQL gives each aggregate (see [`crate::aggregate`] for how
//! they run).

use anchor_grammar::ast;

use super::{Grouping, Planner, Scope, bool_type, call_args, cast_to, has_aggregate, windows};
use crate::error::{Error, Result, SqlState};
use crate::plan::{Aggregate, Expr, SortKey};
use crate::types::DataType;

impl Planner<'_> {
    /// Binds an aggregate call: its arguments, ORDER BY and FILTER, over the FROM row, or
    /// (`over_window`) over a window node's input, which is the grouped row `g` in an
    /// aggregating query.
    pub(super) fn aggregate_call(
        &mut self,
        name: &str,
        f: &ast::Function,
        scope: &Scope,
        g: Option<&mut Grouping>,
        over_window: bool,
    ) -> Result<Aggregate> {
        let saved_windows = self.windows.take();
        let saved_error = self.window_error;
        if !over_window {
            self.window_error = (
                SqlState::GROUPING_ERROR,
                "aggregate function calls cannot contain window function calls",
            );
        }
        let bound = self.aggregate_parts(name, f, scope, g, over_window);
        self.windows = saved_windows;
        self.window_error = saved_error;
        bound
    }

    fn aggregate_parts(
        &mut self,
        name: &str,
        f: &ast::Function,
        scope: &Scope,
        mut g: Option<&mut Grouping>,
        over_window: bool,
    ) -> Result<Aggregate> {
        let list = match &f.args {
            ast::FunctionArguments::List(l) => Some(l),
            _ => None,
        };
        let distinct = list.is_some_and(|l| {
            matches!(
                l.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            )
        });
        let star = list.is_some_and(|l| {
            l.args.len() == 1
                && matches!(
                    l.args[0],
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)
                )
        });
        if !f.within_group.is_empty() {
            return Err(Error::unsupported(format!(
                "{name} ... WITHIN GROUP (ordered-set aggregates)"
            )));
        }
        let mut bound = Vec::new();
        if star {
            if name != "count" {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("{name}(*) is not valid"),
                ));
            }
        } else {
            for a in call_args(f)? {
                // Arguments are bound over the FROM row; aggregates do not nest.
                if !over_window && has_aggregate(a) {
                    return Err(Error::new(
                        SqlState::GROUPING_ERROR,
                        "aggregate function calls cannot be nested",
                    ));
                }
                let (e, t) = self.expr(a, scope, g.as_deref_mut())?;
                if t == DataType::Unknown && name == "array_agg" {
                    return Err(Error::new(
                        SqlState::AMBIGUOUS_FUNCTION,
                        "function array_agg(unknown) is not unique",
                    )
                    .with_hint("Could not choose a best candidate function. You might need to add explicit type casts."));
                }
                let (e, t) = if t == DataType::Unknown {
                    (cast_to(e, &t, &DataType::Text), DataType::Text)
                } else {
                    (e, t)
                };
                bound.push((e, t));
            }
        }
        let arg_types: Vec<DataType> = bound.iter().map(|(_, t)| t.clone()).collect();
        let no_such = || {
            let list: Vec<String> = arg_types.iter().map(DataType::name).collect();
            Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", list.join(", ")),
            )
        };
        let expected = if name == "string_agg" { 2 } else { 1 };
        if !star && bound.len() != expected {
            return Err(no_such());
        }
        let numeric = DataType::Numeric {
            precision: None,
            scale: None,
        };
        let arg_type = arg_types.first();
        let data_type = match (name, arg_type) {
            ("count", _) => DataType::Int8,
            ("sum", Some(DataType::Int2 | DataType::Int4)) => DataType::Int8,
            ("sum", Some(DataType::Int8))
            | ("avg", Some(DataType::Int2 | DataType::Int4 | DataType::Int8)) => numeric.clone(),
            ("sum" | "avg", Some(DataType::Float4 | DataType::Float8)) => DataType::Float8,
            ("sum" | "avg", Some(DataType::Numeric { .. })) => numeric.clone(),
            ("sum" | "avg", Some(t)) if *t != DataType::Interval => return Err(no_such()),
            ("string_agg", Some(DataType::Bytea)) if arg_types[1] == DataType::Bytea => {
                DataType::Bytea
            }
            ("string_agg", Some(t)) if t.is_string() && arg_types[1].is_string() => DataType::Text,
            ("string_agg", _) => return Err(no_such()),
            ("array_agg", Some(DataType::Array(_))) => {
                return Err(Error::unsupported("array_agg over arrays"));
            }
            ("array_agg", Some(t)) => DataType::Array(Box::new(t.clone())),
            ("bool_and" | "bool_or" | "every", Some(DataType::Bool)) => DataType::Bool,
            ("bool_and" | "bool_or" | "every", _) => return Err(no_such()),
            (
                "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop",
                Some(t),
            ) => match t {
                DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Numeric { .. } => {
                    numeric.clone()
                }
                DataType::Float4 | DataType::Float8 => DataType::Float8,
                _ => return Err(no_such()),
            },
            (_, Some(t)) => t.clone(),
            (_, None) => DataType::Int8,
        };
        let mut args = bound.into_iter();
        let arg = args.next().map(|(e, t)| {
            if name == "string_agg" && data_type == DataType::Text {
                cast_to(e, &t, &DataType::Text)
            } else {
                e
            }
        });
        let extra: Vec<Expr> = args.map(|(e, t)| cast_to(e, &t, &data_type)).collect();
        let mut order_by = Vec::new();
        for clause in list.map(|l| l.clauses.as_slice()).unwrap_or_default() {
            match clause {
                ast::FunctionArgumentClause::OrderBy(keys) => {
                    for o in keys {
                        let (e, _) = self.expr(&o.expr, scope, g.as_deref_mut())?;
                        let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
                        order_by.push(SortKey {
                            expr: e,
                            desc,
                            nulls_first: o.options.nulls_first.unwrap_or(desc),
                        });
                    }
                }
                other => return Err(Error::unsupported(format!("aggregate clause {other}"))),
            }
        }
        if distinct
            && order_by
                .iter()
                .any(|k| arg.as_ref() != Some(&k.expr) && !extra.contains(&k.expr))
        {
            return Err(Error::new(
                SqlState::INVALID_COLUMN_REFERENCE,
                "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
            ));
        }
        let filter = match &f.filter {
            None => None,
            Some(e) => {
                if has_aggregate(e) {
                    return Err(Error::new(
                        SqlState::GROUPING_ERROR,
                        "aggregate functions are not allowed in FILTER",
                    ));
                }
                let error = std::mem::replace(
                    &mut self.window_error,
                    (
                        windows::WINDOWING_ERROR,
                        "window functions are not allowed in FILTER",
                    ),
                );
                let bound = self.expr(e, scope, g);
                self.window_error = error;
                let (e, t) = bound?;
                Some(bool_type(&e, &t, "FILTER")?)
            }
        };
        Ok(Aggregate {
            function: name.to_string(),
            arg,
            extra,
            distinct,
            order_by,
            filter,
            data_type,
        })
    }
}
