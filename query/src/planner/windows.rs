//! Binding window function calls (`f(...) OVER (...)`).
//!
//! While a SELECT's list and ORDER BY are bound, the planner holds a [`Windows`] collector.
//! A window call binds its arguments, PARTITION BY and ORDER BY over the window node's input
//! row (the FROM row, or the grouped row in an aggregating query, so that
//! `sum(count(*)) OVER ()` works), joins the collector's list (equal calls are computed once)
//! and becomes a column reference numbered from [`WINDOW_BASE`]. Once the query's aggregates
//! are all known, [`Planner::place_windows`] puts a [`Node::Window`] above the grouping and
//! renumbers those references to the columns it appends after its input's.
//!
//! Where no collector is open (WHERE, GROUP BY, HAVING, inside another window call or an
//! aggregate's argument) a window call is an error naming the clause, as in PostgreSQL.

use anchor_grammar::ast;

use super::{Grouping, Planner, Scope, cast_to, function_name, ident};
use crate::aggregate::AGGREGATES;
use crate::error::{Error, Result, SqlState};
use crate::functions;
use crate::plan::{Expr, Frame, FrameBound, FrameUnits, Node, SortKey, WindowFunction};
use crate::types::{self, DataType};
use crate::window;

/// 42P20: a window function or clause where it is not allowed.
pub(super) const WINDOWING_ERROR: SqlState = SqlState("42P20");

/// Window results are bound as columns from here until the window node is placed.
const WINDOW_BASE: usize = 1 << 40;

/// The window calls of the query being bound.
#[derive(Default)]
pub(super) struct Windows {
    /// The WINDOW clause's definitions.
    named: Vec<(String, ast::NamedWindowExpr)>,
    /// The calls found so far.
    functions: Vec<WindowFunction>,
}

impl Windows {
    /// A collector for a SELECT with the WINDOW clause `named`.
    pub(super) fn new(named: &[ast::NamedWindowDefinition]) -> Result<Windows> {
        let mut list: Vec<(String, ast::NamedWindowExpr)> = Vec::new();
        for ast::NamedWindowDefinition(name, expr) in named {
            let name = ident(name);
            if list.iter().any(|(n, _)| *n == name) {
                return Err(Error::new(
                    WINDOWING_ERROR,
                    format!("window \"{name}\" is already defined"),
                ));
            }
            list.push((name, expr.clone()));
        }
        Ok(Windows {
            named: list,
            functions: Vec::new(),
        })
    }

    /// The definition of the window `name`.
    fn lookup(&self, name: &ast::Ident) -> Result<ast::WindowSpec> {
        let mut name = ident(name);
        for _ in 0..=self.named.len() {
            match self.named.iter().find(|(n, _)| *n == name) {
                Some((_, ast::NamedWindowExpr::WindowSpec(spec))) => return Ok(spec.clone()),
                Some((_, ast::NamedWindowExpr::NamedWindow(other))) => name = ident(other),
                None => break,
            }
        }
        Err(Error::new(
            SqlState::UNDEFINED_OBJECT,
            format!("window \"{name}\" does not exist"),
        ))
    }
}

impl Planner<'_> {
    /// Binds a window function call; returns the reference to its result.
    pub(super) fn window_call(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
        g: Option<&mut Grouping>,
    ) -> Result<(Expr, DataType)> {
        let Some(mut windows) = self.windows.take() else {
            let (code, message) = self.window_error;
            return Err(Error::new(code, message));
        };
        let saved = std::mem::replace(
            &mut self.window_error,
            (WINDOWING_ERROR, "window function calls cannot be nested"),
        );
        let bound = self.bind_window_call(f, scope, g, &windows);
        self.window_error = saved;
        let call = match bound {
            Ok(call) => call,
            Err(e) => {
                self.windows = Some(windows);
                return Err(e);
            }
        };
        let t = call.data_type.clone();
        let index = match windows.functions.iter().position(|c| *c == call) {
            Some(i) => i,
            None => {
                windows.functions.push(call);
                windows.functions.len() - 1
            }
        };
        self.windows = Some(windows);
        Ok((Expr::Column(WINDOW_BASE + index), t))
    }

    fn bind_window_call(
        &mut self,
        f: &ast::Function,
        scope: &Scope,
        mut g: Option<&mut Grouping>,
        windows: &Windows,
    ) -> Result<WindowFunction> {
        let name = function_name(f)?;
        let spec = match &f.over {
            Some(ast::WindowType::WindowSpec(spec)) => match &spec.window_name {
                None => spec.clone(),
                Some(base_name) => {
                    let base = windows.lookup(base_name)?;
                    let base_name = ident(base_name);
                    if !spec.partition_by.is_empty() {
                        return Err(Error::new(
                            WINDOWING_ERROR,
                            format!(
                                "cannot override PARTITION BY clause of window \"{base_name}\""
                            ),
                        ));
                    }
                    if !spec.order_by.is_empty() && !base.order_by.is_empty() {
                        return Err(Error::new(
                            WINDOWING_ERROR,
                            format!("cannot override ORDER BY clause of window \"{base_name}\""),
                        ));
                    }
                    if base.window_frame.is_some() {
                        return Err(Error::new(
                            WINDOWING_ERROR,
                            format!(
                                "cannot copy window \"{base_name}\" because it has a frame clause"
                            ),
                        ));
                    }
                    ast::WindowSpec {
                        window_name: None,
                        partition_by: base.partition_by,
                        order_by: if spec.order_by.is_empty() {
                            base.order_by
                        } else {
                            spec.order_by.clone()
                        },
                        window_frame: spec.window_frame.clone(),
                    }
                }
            },
            Some(ast::WindowType::NamedWindow(n)) => windows.lookup(n)?,
            None => return Err(Error::internal("window call without OVER")),
        };
        let mut partition_by = Vec::new();
        for e in &spec.partition_by {
            partition_by.push(self.expr(e, scope, g.as_deref_mut())?.0);
        }
        let mut order_by = Vec::new();
        let mut order_types = Vec::new();
        for o in &spec.order_by {
            let (e, t) = self.expr(&o.expr, scope, g.as_deref_mut())?;
            let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
            order_by.push(SortKey {
                expr: e,
                desc,
                nulls_first: o.options.nulls_first.unwrap_or(desc),
            });
            order_types.push(t);
        }
        let frame = self.frame(spec.window_frame.as_ref(), &order_types, scope)?;
        let list = match &f.args {
            ast::FunctionArguments::List(l) => Some(l),
            _ => None,
        };
        if list.is_some_and(|l| !l.clauses.is_empty()) || !f.within_group.is_empty() {
            return Err(Error::unsupported(
                "aggregate ORDER BY is not implemented for window functions",
            ));
        }
        if list.is_some_and(|l| {
            matches!(
                l.duplicate_treatment,
                Some(ast::DuplicateTreatment::Distinct)
            )
        }) {
            return Err(Error::unsupported(
                "DISTINCT is not implemented for window functions",
            ));
        }
        if AGGREGATES.contains(&name.as_str()) {
            let aggregate = self.aggregate_call(&name, f, scope, g, true)?;
            return Ok(WindowFunction {
                function: name,
                args: Vec::new(),
                data_type: aggregate.data_type.clone(),
                aggregate: Some(aggregate),
                partition_by,
                order_by,
                frame,
            });
        }
        let Some((min, max)) = window::arity(&name) else {
            if functions::exists(&name) {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!(
                        "OVER specified, but {name} is not a window function nor an aggregate function"
                    ),
                ));
            }
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name} does not exist"),
            ));
        };
        if f.filter.is_some() {
            return Err(Error::unsupported(
                "FILTER is not implemented for non-aggregate window functions",
            ));
        }
        let raw = super::call_args(f)?;
        let mut args = Vec::new();
        let mut types_ = Vec::new();
        for a in raw {
            let (e, t) = self.expr(a, scope, g.as_deref_mut())?;
            args.push(e);
            types_.push(t);
        }
        if args.len() < min || args.len() > max {
            let list: Vec<String> = types_.iter().map(DataType::name).collect();
            return Err(Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!("function {name}({}) does not exist", list.join(", ")),
            ));
        }
        // The value argument is polymorphic: it needs a type; lag/lead's default joins it.
        if name != "ntile" && types_.first() == Some(&DataType::Unknown) {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                "could not determine polymorphic type because input has type unknown",
            ));
        }
        if matches!(name.as_str(), "lag" | "lead") && args.len() == 3 {
            let common = types::common_type(&[types_[0].clone(), types_[2].clone()])?;
            args[0] = cast_to(args[0].clone(), &types_[0], &common);
            args[2] = cast_to(args[2].clone(), &types_[2], &common);
            types_[0] = common;
        }
        // Counts: ntile's buckets, lag/lead's offset, nth_value's n are integers.
        let count_arg = match name.as_str() {
            "ntile" => Some(0),
            "lag" | "lead" | "nth_value" => Some(1),
            _ => None,
        };
        if let Some(i) = count_arg
            && i < args.len()
        {
            let t = &types_[i];
            if !matches!(
                t,
                DataType::Unknown | DataType::Int2 | DataType::Int4 | DataType::Int8
            ) {
                let list: Vec<String> = types_.iter().map(DataType::name).collect();
                return Err(Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!("function {name}({}) does not exist", list.join(", ")),
                ));
            }
            args[i] = cast_to(args[i].clone(), t, &DataType::Int4);
        }
        let data_type = window::function_type(&name, &types_)
            .ok_or_else(|| Error::internal(format!("no type for window function {name}")))?;
        Ok(WindowFunction {
            function: name,
            args,
            aggregate: None,
            partition_by,
            order_by,
            frame,
            data_type,
        })
    }

    /// Binds a frame clause (the default frame when absent).
    fn frame(
        &mut self,
        frame: Option<&ast::WindowFrame>,
        order_types: &[DataType],
        scope: &Scope,
    ) -> Result<Frame> {
        let Some(frame) = frame else {
            return Ok(Frame {
                units: FrameUnits::Range,
                start: FrameBound::UnboundedPreceding,
                end: FrameBound::CurrentRow,
            });
        };
        let units = match frame.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        let err = |m: &str| Err(Error::new(WINDOWING_ERROR, m.to_string()));
        let end = frame
            .end_bound
            .clone()
            .unwrap_or(ast::WindowFrameBound::CurrentRow);
        use ast::WindowFrameBound as B;
        match (&frame.start_bound, &end) {
            (B::Following(None), _) => return err("frame start cannot be UNBOUNDED FOLLOWING"),
            (_, B::Preceding(None)) => return err("frame end cannot be UNBOUNDED PRECEDING"),
            (B::CurrentRow, B::Preceding(Some(_))) => {
                return err("frame starting from current row cannot have preceding rows");
            }
            (B::Following(Some(_)), B::Preceding(Some(_)) | B::CurrentRow) => {
                return err("frame starting from following row cannot have preceding rows");
            }
            _ => {}
        }
        let has_offset = |b: &B| matches!(b, B::Preceding(Some(_)) | B::Following(Some(_)));
        if units == FrameUnits::Range
            && (has_offset(&frame.start_bound) || has_offset(&end))
            && order_types.len() != 1
        {
            return err(
                "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
            );
        }
        if units == FrameUnits::Groups && order_types.is_empty() {
            return err("GROUPS mode requires an ORDER BY clause");
        }
        let start = self.frame_bound(&frame.start_bound, units, order_types, scope)?;
        let end = self.frame_bound(&end, units, order_types, scope)?;
        Ok(Frame { units, start, end })
    }

    fn frame_bound(
        &mut self,
        bound: &ast::WindowFrameBound,
        units: FrameUnits,
        order_types: &[DataType],
        scope: &Scope,
    ) -> Result<FrameBound> {
        let offset = |planner: &mut Self, e: &ast::Expr| -> Result<Expr> {
            // The parser reads a quoted offset as an interval literal: `'2 days' PRECEDING`.
            let e = match e {
                ast::Expr::Interval(i)
                    if i.leading_field.is_none()
                        && i.last_field.is_none()
                        && i.leading_precision.is_none()
                        && i.fractional_seconds_precision.is_none() =>
                {
                    i.value.as_ref()
                }
                other => other,
            };
            let saved = planner.windows.take();
            let bound = planner.expr(e, scope, None);
            planner.windows = saved;
            let (e, t) = bound?;
            if window::reads_row(&e) {
                let what = match units {
                    FrameUnits::Rows => "ROWS",
                    FrameUnits::Range => "RANGE",
                    FrameUnits::Groups => "GROUPS",
                };
                return Err(Error::new(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    format!("argument of {what} must not contain variables"),
                ));
            }
            let range_unsupported = |key: &DataType| {
                let offset = if t == DataType::Unknown || t == *key {
                    String::new()
                } else {
                    format!(" and offset type {}", t.name())
                };
                Error::unsupported(format!(
                    "RANGE with offset PRECEDING/FOLLOWING for column type {}{offset}",
                    key.name()
                ))
            };
            let (target, context) = match units {
                FrameUnits::Rows | FrameUnits::Groups => {
                    (DataType::Int8, types::CoercionContext::Assignment)
                }
                FrameUnits::Range => match order_types.first() {
                    Some(k) if k.is_numeric() => (k.clone(), types::CoercionContext::Implicit),
                    Some(
                        DataType::Date
                        | DataType::Timestamp
                        | DataType::TimestampTz
                        | DataType::Time
                        | DataType::Interval,
                    ) => (DataType::Interval, types::CoercionContext::Implicit),
                    Some(k) => return Err(range_unsupported(k)),
                    None => (t.clone(), types::CoercionContext::Implicit),
                },
            };
            if t != DataType::Unknown && !types::can_coerce(&t, &target, context) {
                return Err(match (units, order_types.first()) {
                    (FrameUnits::Range, Some(k)) => range_unsupported(k),
                    _ => Error::new(
                        SqlState::DATATYPE_MISMATCH,
                        format!(
                            "argument of {} must be type bigint, not type {}",
                            if units == FrameUnits::Rows {
                                "ROWS"
                            } else {
                                "GROUPS"
                            },
                            t.name()
                        ),
                    ),
                });
            }
            Ok(cast_to(e, &t, &target))
        };
        Ok(match bound {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            ast::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(self, e)?),
            ast::WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(self, e)?),
        })
    }

    /// Puts the collected window calls above `node` (whose rows are `input_width` wide) and
    /// renumbers the references to them in `exprs`.
    pub(super) fn place_windows(
        windows: Option<Windows>,
        node: Node,
        exprs: Vec<Expr>,
        input_width: usize,
    ) -> (Node, Vec<Expr>) {
        let functions = windows.map(|w| w.functions).unwrap_or_default();
        if functions.is_empty() {
            return (node, exprs);
        }
        let renumber = |i: usize| {
            if i >= WINDOW_BASE {
                i - WINDOW_BASE + input_width
            } else {
                i
            }
        };
        let exprs = exprs
            .into_iter()
            .map(|e| crate::optimizer::filter_pushdown::renumber(e, &renumber))
            .collect();
        (
            Node::Window {
                input: Box::new(node),
                functions,
            },
            exprs,
        )
    }
}
