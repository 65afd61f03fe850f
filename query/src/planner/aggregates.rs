//! Binding aggregate calls: arguments, `DISTINCT`, `ORDER BY` inside the call and `FILTER`,
//! with the result types PostgreSQL gives each aggregate (see [`crate::aggregate`] for how
//! they run).

use anchor_grammar::ast;

use super::{Grouping, Planner, Scope, bool_type, call_args, cast_to, has_aggregate, windows};
use crate::error::{Error, Result, SqlState};
use crate::plan::{Aggregate, Expr, SortKey};
use crate::types::{self, DataType};

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
        if !f.within_group.is_empty() || crate::aggregate::ORDERED_SET.contains(&name) {
            return self.ordered_set(name, f, list, scope, g);
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
        let expected = if matches!(name, "string_agg" | "json_object_agg" | "jsonb_object_agg") {
            2
        } else {
            1
        };
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
            ("json_agg" | "json_object_agg", _) => DataType::Json,
            ("jsonb_agg" | "jsonb_object_agg", _) => DataType::Jsonb,
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
        let extra: Vec<Expr> = if name.ends_with("object_agg") {
            args.map(|(e, _)| e).collect()
        } else {
            args.map(|(e, t)| cast_to(e, &t, &data_type)).collect()
        };
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
        let filter = self.aggregate_filter(f, scope, g)?;
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

    /// The call's `FILTER (WHERE ...)`.
    fn aggregate_filter(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
        g: Option<&mut Grouping>,
    ) -> Result<Option<Expr>> {
        let Some(e) = &f.filter else {
            return Ok(None);
        };
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
        Ok(Some(bool_type(&e, &t, "FILTER")?))
    }

    /// An ordered-set aggregate: `percentile_cont(f)`, `percentile_disc(f)` or `mode()`
    /// `WITHIN GROUP (ORDER BY x)`. The sorted values are the argument, fed in the WITHIN
    /// GROUP order; the fraction is the further argument.
    fn ordered_set(
        &mut self,
        name: &str,
        f: &ast::Function,
        list: Option<&ast::FunctionArgumentList>,
        scope: &Scope,
        mut g: Option<&mut Grouping>,
    ) -> Result<Aggregate> {
        let star = list.is_some_and(|l| {
            matches!(
                l.args.as_slice(),
                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
            )
        });
        if star {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("{name} is not an ordered-set aggregate, so it cannot have WITHIN GROUP"),
            ));
        }
        if list.is_some_and(|l| l.duplicate_treatment.is_some() || !l.clauses.is_empty()) {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!("cannot use DISTINCT or ORDER BY inside {name}(...) WITHIN GROUP"),
            ));
        }
        let mut direct = Vec::new();
        for a in call_args(f)? {
            if has_aggregate(a) {
                return Err(Error::new(
                    SqlState::GROUPING_ERROR,
                    "aggregate function calls cannot be nested",
                ));
            }
            direct.push(self.expr(a, scope, g.as_deref_mut())?);
        }
        let mut sorted = Vec::new();
        for key in &f.within_group {
            sorted.push(self.expr(&key.expr, scope, g.as_deref_mut())?);
        }
        if !crate::aggregate::ORDERED_SET.contains(&name) || f.within_group.is_empty() {
            // PostgreSQL looks for a function of all these argument types, and finds none.
            let list: Vec<String> = direct
                .iter()
                .chain(&sorted)
                .map(|(_, t)| {
                    if *t == DataType::Unknown {
                        "unknown".to_string()
                    } else {
                        t.name()
                    }
                })
                .collect();
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", list.join(", ")),
            )
            .with_hint("No function matches the given name and argument types. You might need to add explicit type casts."));
        }
        let [key] = f.within_group.as_slice() else {
            return Err(Error::unsupported(format!(
                "{name} WITHIN GROUP over more than one sort key"
            )));
        };
        let (value, value_type) = sorted.swap_remove(0);
        let (value, value_type) = if value_type == DataType::Unknown {
            (cast_to(value, &value_type, &DataType::Text), DataType::Text)
        } else {
            (value, value_type)
        };
        let no_such = |types: &[&DataType]| {
            let list: Vec<String> = types.iter().map(|t| t.name()).collect();
            Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!(
                    "function {name}({}) does not exist",
                    list.join(" ORDER BY ")
                ),
            )
        };
        let (extra, data_type, value) = match (name, direct.as_slice()) {
            ("mode", []) => (Vec::new(), value_type.clone(), value),
            ("percentile_cont" | "percentile_disc", [(fraction, ft)]) => {
                if !types::can_coerce(ft, &DataType::Float8, types::CoercionContext::Implicit) {
                    return Err(no_such(&[ft, &value_type]));
                }
                let fraction = cast_to(fraction.clone(), ft, &DataType::Float8);
                if name == "percentile_disc" {
                    (vec![fraction], value_type.clone(), value)
                } else if value_type == DataType::Interval {
                    (vec![fraction], DataType::Interval, value)
                } else if value_type.is_numeric() {
                    let value = cast_to(value, &value_type, &DataType::Float8);
                    (vec![fraction], DataType::Float8, value)
                } else {
                    return Err(no_such(&[&DataType::Float8, &value_type]));
                }
            }
            _ => {
                let types: Vec<&DataType> = direct.iter().map(|(_, t)| t).collect();
                return Err(no_such(&types));
            }
        };
        let desc = matches!(key.options.sort, Some(ast::OrderBySort::Desc));
        let order_by = vec![SortKey {
            expr: value.clone(),
            desc,
            nulls_first: key.options.nulls_first.unwrap_or(desc),
        }];
        let filter = self.aggregate_filter(f, scope, g)?;
        Ok(Aggregate {
            function: name.to_string(),
            arg: Some(value),
            extra,
            distinct: false,
            order_by,
            filter,
            data_type,
        })
    }
}
