//! Binding of function calls, the operators PostgreSQL implements as functions, the
//! special syntaxes that are function calls in disguise (`EXTRACT`, `AT TIME ZONE`,
//! `POSITION`, `OVERLAY`, `SUBSTRING ... FROM`, `TRIM ... FROM`, `ARRAY[...]`, subscripts,
//! `x op ANY/ALL (array)`, `SIMILAR TO`, typed literals), and set-returning functions in
//! FROM.
//!
//! Every call goes through [`functions::signature`]: the arguments are coerced to the
//! types it names (an untyped literal takes the type; a type that does not convert
//! implicitly is 42883) and the call gets PostgreSQL's result type.

use anchor_grammar::ast;

use super::{Grouping, Planner, ReborrowOpt, Scope, ScopeColumn, cast_to, first_words, ident};
use crate::error::{Error, Result, SqlState};
use crate::functions;
use crate::plan::{Expr, Node, SetCall};
use crate::types::{Array, DataType, Value};

/// The arguments of `make_interval` in order, for named notation.
const MAKE_INTERVAL_ARGS: [&str; 7] = ["years", "months", "weeks", "days", "hours", "mins", "secs"];

impl Planner<'_> {
    /// A call of `name` on bound arguments: coerced and typed by its signature.
    pub(super) fn call(
        &mut self,
        name: &str,
        args: Vec<Expr>,
        types: Vec<DataType>,
    ) -> Result<(Expr, DataType)> {
        // length(char(n)) ignores the padding (PostgreSQL's bpcharlen).
        let (args, types) = if matches!(name, "length" | "char_length" | "character_length")
            && matches!(types.as_slice(), [DataType::Char(_)])
        {
            let args = args
                .into_iter()
                .map(|a| cast_to(a, &types[0], &DataType::Text))
                .collect();
            (args, vec![DataType::Text])
        } else {
            (args, types)
        };
        let sig = functions::signature(name, &types)?;
        functions::check_coercions(name, &types, &sig)?;
        let args = args
            .into_iter()
            .zip(&types)
            .enumerate()
            .map(|(i, (a, t))| match sig.args.get(i).cloned().flatten() {
                Some(to) => cast_to(a, t, &to),
                None if *t == DataType::Unknown => cast_to(a, t, &DataType::Text),
                None => a,
            })
            .collect();
        Ok((Expr::Function(name.to_string(), args), sig.ret))
    }

    fn bind_all(
        &mut self,
        exprs: &[&ast::Expr],
        scope: &Scope,
        mut g: Option<&mut Grouping>,
    ) -> Result<(Vec<Expr>, Vec<DataType>)> {
        let mut bound = Vec::new();
        let mut types = Vec::new();
        for e in exprs {
            let (b, t) = self.expr(e, scope, g.as_deref_mut_opt())?;
            bound.push(b);
            types.push(t);
        }
        Ok((bound, types))
    }

    /// A function call written as `name(args)`.
    pub(super) fn function_call(
        &mut self,
        name: &str,
        f: &ast::Function,
        scope: &Scope,
        mut g: Option<&mut Grouping>,
    ) -> Result<(Expr, DataType)> {
        if let Some(found) = self.array_subquery(name, f, scope, g.as_deref_mut_opt())? {
            return Ok(found);
        }
        let args = if name == "make_interval" {
            make_interval_args(f)?
        } else {
            super::function_args(f)?.into_iter().cloned().collect()
        };
        let refs: Vec<&ast::Expr> = args.iter().collect();
        let (bound, types) = self.bind_all(&refs, scope, g)?;
        if name == "pg_typeof" && types.len() == 1 {
            // The type is known here; PostgreSQL's result is a regtype, printed as its name.
            return Ok((Expr::Literal(Value::Text(types[0].name())), DataType::Text));
        }
        if let Some(call) = enum_support(name, &bound, &types)? {
            return Ok(call);
        }
        if let Some(t) = crate::sysfuncs::return_type(name, &types)? {
            return Ok((Expr::Function(name.to_string(), bound), t));
        }
        if functions::set_function(name, &types)?.is_some() {
            return Err(Error::unsupported(format!(
                "set-returning function {name}() outside FROM"
            )));
        }
        self.call(name, bound, types)
    }

    /// `ARRAY(SELECT ...)`: the rows' single column as an array, in the subquery's order
    /// (`{}` for no rows), bound as an `array_agg` over the subquery.
    fn array_subquery(
        &mut self,
        name: &str,
        f: &ast::Function,
        scope: &Scope,
        g: Option<&mut Grouping>,
    ) -> Result<Option<(Expr, DataType)>> {
        let ast::FunctionArguments::Subquery(q) = &f.args else {
            return Ok(None);
        };
        if name != "array" {
            return Ok(None);
        }
        let sql = format!(
            "coalesce((SELECT array_agg(anchor_array.element) FROM ({q}) AS anchor_array(element)), '{{}}')"
        );
        let rewritten = super::parse_expr(&sql)?;
        self.expr(&rewritten, scope, g).map(Some)
    }

    /// Expressions of syntaxes beyond the planner's own list.
    pub(super) fn special_expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        g: Option<&mut Grouping>,
    ) -> Result<(Expr, DataType)> {
        use ast::Expr as E;
        let mut g = g;
        match e {
            E::Collate { expr, collation } => {
                let name = collation.to_string().to_lowercase();
                let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
                if !matches!(name, "default" | "\"default\"" | "\"c\"" | "\"posix\"") {
                    return Err(Error::unsupported(format!("COLLATE {collation}")));
                }
                self.expr(expr, scope, g)
            }
            E::TypedString(ts) => {
                let t = self.resolve_type(&ts.data_type)?;
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s)
                    | ast::Value::EscapedStringLiteral(s)
                    | ast::Value::DoubleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                };
                Ok((
                    Expr::Cast(Box::new(Expr::Literal(Value::Text(text))), t.clone()),
                    t,
                ))
            }
            E::Interval(iv) => {
                if iv.last_field.is_some() || iv.leading_precision.is_some() {
                    return Err(Error::unsupported(format!("interval literal {e}")));
                }
                let (x, xt) = self.expr(&iv.value, scope, g)?;
                let x = match (&iv.leading_field, x) {
                    (Some(field), Expr::Literal(Value::Text(s))) => Expr::Literal(Value::Text(
                        format!("{s} {}", field.to_string().to_lowercase()),
                    )),
                    (Some(_), _) => {
                        return Err(Error::unsupported(format!("interval literal {e}")));
                    }
                    (None, x) => cast_to(x, &xt, &DataType::Text),
                };
                Ok((
                    Expr::Cast(Box::new(x), DataType::Interval),
                    DataType::Interval,
                ))
            }
            E::Extract { field, expr, .. } => {
                let unit = match field {
                    ast::DateTimeField::Custom(i) => i.value.to_lowercase(),
                    other => other.to_string().to_lowercase(),
                };
                let (x, t) = self.expr(expr, scope, g)?;
                self.call(
                    "extract",
                    vec![Expr::Literal(Value::Text(unit)), x],
                    vec![DataType::Text, t],
                )
            }
            E::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                let (ts, tt) = self.expr(timestamp, scope, g.as_deref_mut_opt())?;
                let (z, zt) = self.expr(time_zone, scope, g)?;
                self.call("timezone", vec![z, ts], vec![zt, tt])
            }
            E::Position { expr, r#in } => {
                let (b, t) = self.bind_all(&[r#in, expr], scope, g)?;
                self.call("strpos", b, t)
            }
            E::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut list = vec![expr.as_ref(), overlay_what, overlay_from];
                list.extend(overlay_for.as_deref());
                let (b, t) = self.bind_all(&list, scope, g)?;
                self.call("overlay", b, t)
            }
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let one = ast::Expr::value(ast::Value::Number("1".into(), false));
                let mut list = vec![expr.as_ref(), substring_from.as_deref().unwrap_or(&one)];
                list.extend(substring_for.as_deref());
                let (b, t) = self.bind_all(&list, scope, g)?;
                self.call("substring", b, t)
            }
            E::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                let name = match trim_where {
                    Some(ast::TrimWhereField::Leading) => "ltrim",
                    Some(ast::TrimWhereField::Trailing) => "rtrim",
                    _ => "btrim",
                };
                let mut list = vec![expr.as_ref()];
                list.extend(trim_what.as_deref());
                if let Some(chars) = trim_characters {
                    list.extend(chars.iter());
                }
                let (b, t) = self.bind_all(&list, scope, g)?;
                self.call(name, b, t)
            }
            E::Ceil { expr, field } | E::Floor { expr, field } => {
                let name = if matches!(e, E::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                let (x, t) = self.expr(expr, scope, g)?;
                match field {
                    ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) => {
                        self.call(name, vec![x], vec![t])
                    }
                    ast::CeilFloorKind::Scale(v) => {
                        let (s, st) = super::literal(&v.value)?;
                        self.call(name, vec![x, s], vec![t, st])
                    }
                    _ => Err(Error::unsupported(format!(
                        "{} ... TO",
                        name.to_uppercase()
                    ))),
                }
            }
            E::Array(a) => {
                let refs: Vec<&ast::Expr> = a.elem.iter().collect();
                let (b, types) = self.bind_all(&refs, scope, g)?;
                if b.is_empty() {
                    return Err(Error::new(
                        SqlState::INDETERMINATE_DATATYPE,
                        "cannot determine type of empty array",
                    )
                    .with_hint(
                        "Explicitly cast to the desired type, for example ARRAY[]::integer[].",
                    ));
                }
                let elem = crate::types::common_type_in("ARRAY", &types)?;
                if matches!(elem, DataType::Array(_)) {
                    return Err(Error::unsupported("multidimensional arrays"));
                }
                let mut args = vec![Expr::Literal(Value::Array(Array::new(
                    elem.clone(),
                    Vec::new(),
                )))];
                args.extend(b.into_iter().zip(&types).map(|(x, t)| cast_to(x, t, &elem)));
                Ok((
                    Expr::Function("array".into(), args),
                    DataType::Array(Box::new(elem)),
                ))
            }
            E::CompoundFieldAccess { root, access_chain } => {
                if matches!(root.as_ref(), E::Array(_)) {
                    // PostgreSQL's grammar wants ARRAY[...] parenthesized before a subscript.
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "syntax error at or near \"[\"",
                    ));
                }
                let (mut x, mut t) = self.expr(root, scope, g.as_deref_mut_opt())?;
                for access in access_chain {
                    let ast::AccessExpr::Subscript(sub) = access else {
                        return Err(Error::unsupported(format!("field access {e}")));
                    };
                    (x, t) = match (sub, &t) {
                        (ast::Subscript::Index { index }, DataType::Jsonb) => {
                            let (i, it) = self.expr(index, scope, g.as_deref_mut_opt())?;
                            self.call("->", vec![x, i], vec![t.clone(), it])?
                        }
                        (ast::Subscript::Index { index }, _) => {
                            let (i, it) = self.expr(index, scope, g.as_deref_mut_opt())?;
                            self.call("subscript", vec![x, i], vec![t.clone(), it])?
                        }
                        (
                            ast::Subscript::Slice {
                                lower_bound,
                                upper_bound,
                                stride: None,
                            },
                            _,
                        ) => {
                            let bound =
                                |b: &Option<ast::Expr>, default: i64, planner: &mut Self| match b {
                                    Some(b) => planner.expr(b, scope, None),
                                    None => {
                                        Ok((Expr::Literal(Value::Int8(default)), DataType::Int8))
                                    }
                                };
                            let (lo, lt) = bound(lower_bound, 1, self)?;
                            let (hi, ht) = bound(upper_bound, i64::MAX, self)?;
                            self.call("slice", vec![x, lo, hi], vec![t.clone(), lt, ht])?
                        }
                        _ => return Err(Error::unsupported("array slice with a stride")),
                    };
                }
                Ok((x, t))
            }
            E::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | E::AllOp {
                left,
                compare_op,
                right,
            } => {
                let all = matches!(e, E::AllOp { .. });
                let symbol = match compare_op {
                    ast::BinaryOperator::Eq => "=",
                    ast::BinaryOperator::NotEq => "<>",
                    ast::BinaryOperator::Lt => "<",
                    ast::BinaryOperator::LtEq => "<=",
                    ast::BinaryOperator::Gt => ">",
                    ast::BinaryOperator::GtEq => ">=",
                    other => {
                        return Err(Error::unsupported(format!("operator {other} with ANY/ALL")));
                    }
                };
                // Over a subquery it is the planner's `quantified`; here `right` is an array.
                let (b, t) = self.bind_all(&[left, right], scope, g)?;
                let name = format!("{} {symbol}", if all { "all" } else { "any" });
                self.call(&name, b, t)
            }
            E::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                let mut list = vec![expr.as_ref(), pattern.as_ref()];
                list.extend(escape_char.as_deref());
                let (b, t) = self.bind_all(&list, scope, g)?;
                let name = if *negated {
                    "not_similar_to"
                } else {
                    "similar_to"
                };
                self.call(name, b, t)
            }
            other => Err(Error::unsupported(format!(
                "expression {}",
                first_words(&other.to_string())
            ))),
        }
    }

    /// Binary operators bound as function calls (JSON, arrays, regular expressions,
    /// `||` on arrays and `jsonb`, `jsonb - key`); `None` for the planner's own.
    pub(super) fn operator_call(
        &mut self,
        op: &ast::BinaryOperator,
        l: &Expr,
        lt: &DataType,
        r: &Expr,
        rt: &DataType,
    ) -> Result<Option<(Expr, DataType)>> {
        use ast::BinaryOperator as B;
        let name = match op {
            B::Arrow => "->",
            B::LongArrow => "->>",
            B::HashArrow => "#>",
            B::HashLongArrow => "#>>",
            B::AtArrow => "@>",
            B::ArrowAt => "<@",
            B::Question => "?",
            B::QuestionAnd => "?&",
            B::QuestionPipe => "?|",
            B::PGOverlap => "&&",
            B::PGRegexMatch => "~",
            B::PGRegexIMatch => "~*",
            B::PGRegexNotMatch => "!~",
            B::PGRegexNotIMatch => "!~*",
            B::PGStartsWith => "starts_with",
            B::StringConcat => {
                let is = |t: &DataType, want: fn(&DataType) -> bool| want(t);
                let array = |t: &DataType| matches!(t, DataType::Array(_));
                if is(lt, array) || is(rt, array) {
                    return self.array_concat(l, lt, r, rt).map(Some);
                }
                if *lt == DataType::Jsonb && matches!(rt, DataType::Jsonb | DataType::Unknown)
                    || *rt == DataType::Jsonb && *lt == DataType::Unknown
                {
                    "jsonb_concat"
                } else if *lt == DataType::Bytea
                    && matches!(rt, DataType::Bytea | DataType::Unknown)
                {
                    return Ok(Some((
                        Expr::Binary(
                            crate::types::BinaryOp::Concat,
                            Box::new(l.clone()),
                            Box::new(cast_to(r.clone(), rt, &DataType::Bytea)),
                        ),
                        DataType::Bytea,
                    )));
                } else {
                    return Ok(None);
                }
            }
            B::Minus if *lt == DataType::Jsonb => "jsonb_delete",
            // Days and months step in the session's time zone, which the operator table
            // does not see.
            B::Plus | B::Minus
                if *lt == DataType::TimestampTz
                    && matches!(rt, DataType::Interval | DataType::Unknown) =>
            {
                if matches!(op, B::Plus) {
                    "timestamptz_pl_interval"
                } else {
                    "timestamptz_mi_interval"
                }
            }
            B::Plus if *lt == DataType::Interval && *rt == DataType::TimestampTz => {
                return self
                    .call(
                        "timestamptz_pl_interval",
                        vec![r.clone(), l.clone()],
                        vec![rt.clone(), lt.clone()],
                    )
                    .map(Some);
            }
            _ => return Ok(None),
        };
        self.call(
            name,
            vec![l.clone(), r.clone()],
            vec![lt.clone(), rt.clone()],
        )
        .map(Some)
    }

    /// `array || array`, `array || element`, `element || array`.
    fn array_concat(
        &mut self,
        l: &Expr,
        lt: &DataType,
        r: &Expr,
        rt: &DataType,
    ) -> Result<(Expr, DataType)> {
        let (name, args, types) = match (lt, rt) {
            (DataType::Array(_), DataType::Array(_)) => ("array_cat", vec![l, r], vec![lt, rt]),
            (DataType::Array(_), DataType::Unknown) => {
                // An untyped literal beside an array is an array literal, as in PostgreSQL.
                return self.call(
                    "array_cat",
                    vec![l.clone(), cast_to(r.clone(), rt, lt)],
                    vec![lt.clone(), lt.clone()],
                );
            }
            (DataType::Unknown, DataType::Array(_)) => {
                return self.call(
                    "array_cat",
                    vec![cast_to(l.clone(), lt, rt), r.clone()],
                    vec![rt.clone(), rt.clone()],
                );
            }
            (DataType::Array(_), _) => ("array_append", vec![l, r], vec![lt, rt]),
            _ => ("array_prepend", vec![l, r], vec![lt, rt]),
        };
        self.call(
            name,
            args.into_iter().cloned().collect(),
            types.into_iter().cloned().collect(),
        )
    }

    /// `left JOIN f(...) ON ...` or `CROSS JOIN f(...)` where the function's arguments
    /// read `left` (a lateral call): the function scan over `left`'s rows, filtered by the
    /// ON condition. `None` when the joined item is not such a call.
    pub(super) fn lateral_join(
        &mut self,
        join: &ast::Join,
        left: &Node,
        scope: &Scope,
    ) -> Result<Option<(Node, Scope)>> {
        let Some((node, scope, true)) =
            self.function_factor(&join.relation, Some((left, scope)))?
        else {
            return Ok(None);
        };
        let (on, left_join) = match &join.join_operator {
            ast::JoinOperator::Join(c) | ast::JoinOperator::Inner(c) => (c, false),
            ast::JoinOperator::Left(c) | ast::JoinOperator::LeftOuter(c) => (c, true),
            ast::JoinOperator::CrossJoin(c) => (c, false),
            // As PostgreSQL: the right side of a RIGHT or FULL join cannot read the left.
            _ => {
                return Err(Error::new(
                    SqlState::INVALID_COLUMN_REFERENCE,
                    "invalid reference to FROM-clause entry in the arguments of a function on the right of a RIGHT or FULL join",
                ));
            }
        };
        let on = match on {
            ast::JoinConstraint::On(e) => Some(e),
            ast::JoinConstraint::None => None,
            _ => {
                return Err(Error::unsupported(
                    "JOIN ... USING or NATURAL with a function",
                ));
            }
        };
        if left_join {
            let Node::FunctionScan {
                input,
                functions,
                ordinality,
                ..
            } = node
            else {
                return Err(Error::internal("lateral call is not a function scan"));
            };
            let predicate = match on {
                Some(e) => {
                    let (pred, t) = self.expr(e, &scope, None)?;
                    super::bool_type(&pred, &t, "JOIN/ON")?
                }
                None => Expr::Literal(Value::Bool(true)),
            };
            let node = Node::FunctionScan {
                input,
                functions,
                ordinality,
                outer: Some(predicate),
            };
            return Ok(Some((node, scope)));
        }
        let node = match on {
            Some(e) => {
                let (pred, t) = self.expr(e, &scope, None)?;
                Node::Filter {
                    input: Box::new(node),
                    predicate: super::bool_type(&pred, &t, "JOIN/ON")?,
                }
            }
            None => node,
        };
        Ok(Some((node, scope)))
    }

    /// A FROM item that calls a set-returning function, if `factor` is one. `left` is what
    /// the FROM clause has so far: arguments may refer to it (the call is lateral), and
    /// then the function scan runs over its rows and the result includes them.
    pub(super) fn function_factor(
        &mut self,
        factor: &ast::TableFactor,
        left: Option<(&Node, &Scope)>,
    ) -> Result<Option<(Node, Scope, bool)>> {
        let (name, args, alias, ordinality): (String, Vec<ast::Expr>, _, bool) = match factor {
            ast::TableFactor::Table {
                name,
                alias,
                args: Some(args),
                with_ordinality,
                ..
            } => {
                let list = args
                    .args
                    .iter()
                    .map(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                        other => Err(Error::unsupported(format!("function argument {other}"))),
                    })
                    .collect::<Result<_>>()?;
                let (_, fname) = super::object_name(name)?;
                (fname, list, alias.as_ref(), *with_ordinality)
            }
            ast::TableFactor::Function {
                name,
                args,
                alias,
                with_ordinality,
                ..
            } => {
                let list = args
                    .iter()
                    .map(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                        other => Err(Error::unsupported(format!("function argument {other}"))),
                    })
                    .collect::<Result<_>>()?;
                let (_, fname) = super::object_name(name)?;
                (fname, list, alias.as_ref(), *with_ordinality)
            }
            ast::TableFactor::UNNEST {
                alias,
                array_exprs,
                with_offset: false,
                with_ordinality,
                ..
            } => (
                "unnest".to_string(),
                array_exprs.clone(),
                alias.as_ref(),
                *with_ordinality,
            ),
            _ => return Ok(None),
        };
        let empty = Scope::default();
        let arg_scope = left.map_or(&empty, |(_, s)| s);
        // ROWS FROM (f(...), g(...)): several functions in lockstep.
        let calls: Vec<(String, Vec<ast::Expr>)> = if name == ROWS_FROM {
            args.iter()
                .map(|a| match a {
                    ast::Expr::Function(f) => Ok((
                        super::function_name(f)?,
                        super::function_args(f)?.into_iter().cloned().collect(),
                    )),
                    other => Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("ROWS FROM expects function calls, not {other}"),
                    )),
                })
                .collect::<Result<_>>()?
        } else {
            vec![(name.clone(), args)]
        };
        let mut functions = Vec::new();
        let mut columns = Vec::new();
        for (fname, fargs) in &calls {
            let refs: Vec<&ast::Expr> = fargs.iter().collect();
            let (bound, types) = self.bind_all(&refs, arg_scope, None)?;
            let Some(shape) = functions::set_function(fname, &types)? else {
                if functions::signature(fname, &types).is_ok()
                    || crate::sysfuncs::return_type(fname, &types)?.is_some()
                {
                    // A scalar function in FROM is a one-row table of its value.
                    let (call, t) = match crate::sysfuncs::return_type(fname, &types)? {
                        Some(t) => (Expr::Function(fname.clone(), bound), t),
                        None => self.call(fname, bound, types)?,
                    };
                    functions.push(SetCall {
                        name: functions::srf::SCALAR_ROW.into(),
                        args: vec![call],
                        columns: 1,
                    });
                    columns.push((fname.clone(), t));
                    continue;
                }
                return Err(Error::new(
                    SqlState::UNDEFINED_FUNCTION,
                    format!(
                        "function {fname}({}) does not exist",
                        types
                            .iter()
                            .map(DataType::name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            let args: Vec<Expr> = bound
                .into_iter()
                .zip(&types)
                .enumerate()
                .map(|(i, (a, t))| match shape.args.get(i).cloned().flatten() {
                    Some(to) => cast_to(a, t, &to),
                    None => a,
                })
                .collect();
            functions.push(SetCall {
                name: fname.clone(),
                args,
                columns: shape.columns.len(),
            });
            columns.extend(shape.columns);
        }
        let lateral = functions
            .iter()
            .any(|c| c.args.iter().any(super::references_columns));
        // Column names: the alias's list, else the function's (a one-column function takes
        // the alias's name).
        let qualifier = alias
            .map(|a| ident(&a.name))
            .unwrap_or_else(|| name.clone());
        let renames: Vec<String> = alias
            .map(|a| a.columns.iter().map(|c| ident(&c.name)).collect())
            .unwrap_or_default();
        // A function without named output columns (generate_series, unnest) names its
        // one column after the alias.
        if columns.len() == 1
            && columns[0].0 == name
            && let Some(a) = alias
        {
            columns[0].0 = ident(&a.name);
        }
        if ordinality {
            columns.push(("ordinality".into(), DataType::Int8));
        }
        if renames.len() > columns.len() {
            return Err(Error::new(
                SqlState::SYNTAX_ERROR,
                format!(
                    "table \"{qualifier}\" has {} columns available but {} columns specified",
                    columns.len(),
                    renames.len()
                ),
            ));
        }
        let scope = Scope {
            columns: columns
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
        let (input, scope) = match (lateral, left) {
            (true, Some((node, lscope))) => (node.clone(), lscope.join(&scope)),
            _ => (Node::Nothing, scope),
        };
        Ok(Some((
            Node::FunctionScan {
                input: Box::new(input),
                functions,
                ordinality,
                outer: None,
            },
            scope,
            lateral,
        )))
    }
}

/// The name a set-returning function lifted out of a select list gets in FROM.
const LIFTED: &str = "?set-returning function?";

/// The FROM item that runs several set-returning functions in lockstep, as `ROWS FROM`
/// (which the parser does not read); also written `"rows from"(f(...), g(...))`.
const ROWS_FROM: &str = "rows from";

/// Set-returning functions with one output column, which a select list may call.
fn single_column_srf(f: &ast::Function) -> bool {
    let Ok(name) = super::function_name(f) else {
        return false;
    };
    let args = matches!(&f.args, ast::FunctionArguments::List(l) if l.args.len() == 1);
    match name.as_str() {
        "generate_series"
        | "json_array_elements"
        | "jsonb_array_elements"
        | "json_array_elements_text"
        | "jsonb_array_elements_text"
        | "json_object_keys"
        | "jsonb_object_keys"
        | "regexp_matches"
        | "regexp_split_to_table" => true,
        "unnest" => args,
        _ => false,
    }
}

/// True if `e` holds a set-returning call where [`take_srf`] finds them.
fn has_srf(e: &ast::Expr) -> bool {
    use ast::Expr as E;
    match e {
        E::Function(f) => single_column_srf(f),
        E::Nested(x) | E::UnaryOp { expr: x, .. } | E::Cast { expr: x, .. } => has_srf(x),
        E::BinaryOp { left, right, .. } => has_srf(left) || has_srf(right),
        _ => false,
    }
}

/// Replaces the set-returning call inside `e` (at the top, or under operators, casts
/// and parentheses) with a reference to the lifted column; returns the call.
fn take_srf(e: &mut ast::Expr, found: &mut Vec<ast::Function>) {
    use ast::Expr as E;
    match e {
        E::Function(f) if single_column_srf(f) => {
            found.push(f.clone());
            *e = E::Identifier(lifted_column(found.len()));
        }
        E::Nested(x) | E::UnaryOp { expr: x, .. } | E::Cast { expr: x, .. } => take_srf(x, found),
        E::BinaryOp { left, right, .. } => {
            take_srf(left, found);
            take_srf(right, found);
        }
        _ => {}
    }
}

/// The column of the `n`th set-returning call lifted out of a select list.
fn lifted_column(n: usize) -> ast::Ident {
    ast::Ident::with_quote('"', format!("{LIFTED}{n}"))
}

/// PostgreSQL evaluates set-returning functions in the select list once per row of the
/// FROM clause, producing a row per element (`SELECT generate_series(1, 3)`), several in
/// lockstep. That is a lateral `ROWS FROM` call appended to FROM whose columns replace the
/// calls: this rewrites the query so. Calls in aggregating queries (which PostgreSQL
/// expands after grouping) or beside `*` are 0A000.
pub(super) fn lift_set_function(
    select: &ast::Select,
    order_by: &[ast::OrderByExpr],
) -> Result<Option<ast::Select>> {
    let any = select.projection.iter().any(|i| {
        matches!(i, ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } if has_srf(e))
    });
    if !any {
        return Ok(None);
    }
    let mut lifted = select.clone();
    let mut found = Vec::new();
    let mut star = false;
    for item in &mut lifted.projection {
        match item {
            ast::SelectItem::UnnamedExpr(e) => {
                let before = found.len();
                let name = super::column_name(e);
                take_srf(e, &mut found);
                if found.len() > before && matches!(e, ast::Expr::Identifier(_)) {
                    // The column keeps the function's name.
                    *item = ast::SelectItem::ExprWithAlias {
                        expr: e.clone(),
                        alias: ast::Ident::with_quote('"', name),
                    };
                }
            }
            ast::SelectItem::ExprWithAlias { expr, .. } => take_srf(expr, &mut found),
            _ => star = true,
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    let grouped = !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, _) if e.is_empty())
        || select.having.is_some()
        || lifted.projection.iter().any(|i| {
            matches!(i, ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } if super::has_aggregate(e))
        });
    if star {
        return Err(Error::unsupported(
            "set-returning functions in a select list with *",
        ));
    }
    if grouped {
        return lift_after_grouping(select, order_by).map(Some);
    }
    let args = found
        .iter()
        .map(|f| {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Function(f.clone())))
        })
        .collect();
    lifted.from.push(ast::TableWithJoins {
        relation: ast::TableFactor::Function {
            lateral: true,
            name: ast::ObjectName::from(vec![ast::Ident::with_quote('"', ROWS_FROM)]),
            args,
            with_ordinality: false,
            alias: Some(ast::TableAlias {
                explicit: true,
                name: ast::Ident::with_quote('"', LIFTED),
                columns: (1..=found.len())
                    .map(|n| ast::TableAliasColumnDef {
                        name: lifted_column(n),
                        data_type: None,
                    })
                    .collect(),
                at: None,
            }),
        },
        joins: Vec::new(),
    });
    Ok(Some(lifted))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// In an aggregating query PostgreSQL expands set-returning functions after grouping:
/// `SELECT k, count(*), generate_series(1, count(*)) FROM t GROUP BY k` becomes
/// `SELECT .. FROM (SELECT k, count(*), <the arguments> FROM t GROUP BY k) AS grouped,
/// ROWS FROM (generate_series(<argument columns>))`. Only calls that are a whole select
/// item are lifted so, and ORDER BY must name output columns (by name or position).
fn lift_after_grouping(select: &ast::Select, order_by: &[ast::OrderByExpr]) -> Result<ast::Select> {
    let simple_order = order_by.iter().all(|o| {
        matches!(&o.expr, ast::Expr::Identifier(_))
            || matches!(&o.expr, ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)))
    });
    if !simple_order {
        return Err(Error::unsupported(
            "ORDER BY expressions with set-returning functions in an aggregating select list",
        ));
    }
    let mut inner_items = Vec::new();
    let mut outer_items = Vec::new();
    let mut calls = Vec::new();
    for item in &select.projection {
        let (e, name) = match item {
            ast::SelectItem::UnnamedExpr(e) => (e, super::column_name(e)),
            ast::SelectItem::ExprWithAlias { expr, alias } => (expr, ident(alias)),
            _ => {
                return Err(Error::unsupported(
                    "set-returning functions in a select list with *",
                ));
            }
        };
        let outer = split_grouped(e, &mut inner_items, &mut calls)?;
        outer_items.push(format!("{outer} AS {}", quoted(&name)));
    }
    let distinct = match &select.distinct {
        None => "",
        Some(ast::Distinct::Distinct) => "DISTINCT ",
        Some(_) => {
            return Err(Error::unsupported(
                "DISTINCT ON with set-returning functions",
            ));
        }
    };
    let mut inner = select.clone();
    inner.projection = inner_items;
    inner.distinct = None;
    let columns: Vec<String> = (1..=calls.len())
        .map(|n| quoted(&lifted_column(n).value))
        .collect();
    let sql = format!(
        "SELECT {distinct}{} FROM ({inner}) AS \"?grouped?\", {}({}) AS {}({})",
        outer_items.join(", "),
        quoted(ROWS_FROM),
        calls.join(", "),
        quoted(LIFTED),
        columns.join(", ")
    );
    let parsed = anchor_grammar::parse(&sql)
        .map_err(|e| Error::internal(format!("lifted query does not parse: {}", e.message)))?;
    match parsed.into_iter().next() {
        Some(anchor_grammar::Statement::Sql(stmt)) => match *stmt {
            ast::Statement::Query(q) => match *q.body {
                ast::SetExpr::Select(outer) => Ok(*outer),
                _ => Err(Error::internal("lifted query is not a select")),
            },
            _ => Err(Error::internal("lifted query is not a query")),
        },
        _ => Err(Error::internal("lifted query is not a query")),
    }
}

/// Splits a select item of an aggregating query: what holds no set-returning call is
/// computed by the grouped query (a new column of `inner`), the calls' arguments too, and
/// the returned SQL combines them over the grouped row and the calls' columns.
fn split_grouped(
    e: &ast::Expr,
    inner: &mut Vec<ast::SelectItem>,
    calls: &mut Vec<String>,
) -> Result<String> {
    use ast::Expr as E;
    let column = |expr: &ast::Expr, inner: &mut Vec<ast::SelectItem>| {
        let name = format!("?column {}?", inner.len());
        inner.push(ast::SelectItem::ExprWithAlias {
            expr: expr.clone(),
            alias: ast::Ident::with_quote('"', name.clone()),
        });
        quoted(&name)
    };
    Ok(match e {
        E::Function(f) if single_column_srf(f) => {
            let mut refs = Vec::new();
            for a in super::function_args(f)? {
                refs.push(column(a, inner));
            }
            calls.push(format!("{}({})", f.name, refs.join(", ")));
            quoted(&lifted_column(calls.len()).value)
        }
        e if !has_srf(e) => column(e, inner),
        E::BinaryOp { left, op, right } => format!(
            "({} {op} {})",
            split_grouped(left, inner, calls)?,
            split_grouped(right, inner, calls)?
        ),
        E::UnaryOp { op, expr } => format!("({op} ({}))", split_grouped(expr, inner, calls)?),
        E::Nested(x) => format!("({})", split_grouped(x, inner, calls)?),
        E::Cast {
            expr, data_type, ..
        } => format!(
            "CAST({} AS {data_type})",
            split_grouped(expr, inner, calls)?
        ),
        _ => {
            return Err(Error::unsupported(
                "this set-returning function call in an aggregating select list",
            ));
        }
    })
}

/// `make_interval`'s arguments in positional order, from positional or named notation
/// (`make_interval(days => 3)`); omitted ones are zero.
fn make_interval_args(f: &ast::Function) -> Result<Vec<ast::Expr>> {
    let ast::FunctionArguments::List(list) = &f.args else {
        return Ok(Vec::new());
    };
    let zero = ast::Expr::value(ast::Value::Number("0".into(), false));
    let mut out: Vec<Option<ast::Expr>> = vec![None; MAKE_INTERVAL_ARGS.len()];
    for (i, a) in list.args.iter().enumerate() {
        match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) if i < out.len() => {
                out[i] = Some(e.clone())
            }
            ast::FunctionArg::Named {
                name,
                arg: ast::FunctionArgExpr::Expr(e),
                ..
            }
            | ast::FunctionArg::ExprNamed {
                name: ast::Expr::Identifier(name),
                arg: ast::FunctionArgExpr::Expr(e),
                ..
            } => {
                let n = ident(name);
                let pos = MAKE_INTERVAL_ARGS
                    .iter()
                    .position(|x| *x == n)
                    .ok_or_else(|| {
                        Error::new(
                            SqlState::UNDEFINED_FUNCTION,
                            format!("function make_interval({n} => unknown) does not exist"),
                        )
                    })?;
                out[pos] = Some(e.clone());
            }
            other => return Err(Error::unsupported(format!("function argument {other}"))),
        }
    }
    let last = out.iter().rposition(Option::is_some).map_or(0, |p| p + 1);
    Ok(out
        .into_iter()
        .take(last)
        .map(|e| e.unwrap_or_else(|| zero.clone()))
        .collect())
}

/// `enum_first`, `enum_last` and `enum_range` of an enum: the one-argument forms depend only
/// on the argument's type (`enum_range(NULL::mood)`), so they are constants here; the
/// two-argument `enum_range(a, b)` lists the labels between two values (either NULL for
/// open-ended).
fn enum_support(name: &str, args: &[Expr], types: &[DataType]) -> Result<Option<(Expr, DataType)>> {
    if !matches!(name, "enum_first" | "enum_last" | "enum_range") {
        return Ok(None);
    }
    let Some(ty) = types.iter().find_map(|t| match t {
        DataType::Enum(ty) => Some(std::sync::Arc::clone(ty)),
        _ => None,
    }) else {
        return Ok(None);
    };
    let enum_type = DataType::Enum(std::sync::Arc::clone(&ty));
    let value = |index: u32| {
        Value::Enum(crate::types::EnumValue {
            ty: std::sync::Arc::clone(&ty),
            index,
        })
    };
    let ordered = ty.ordered();
    let array_type = DataType::Array(Box::new(DataType::Enum(std::sync::Arc::clone(&ty))));
    let all = || {
        Value::Array(crate::types::Array::new(
            DataType::Enum(std::sync::Arc::clone(&ty)),
            ordered.iter().map(|&i| value(i)).collect(),
        ))
    };
    Ok(Some(match (name, args.len()) {
        ("enum_first", 1) | ("enum_last", 1) => {
            let pick = if name == "enum_first" {
                ordered.first()
            } else {
                ordered.last()
            };
            let v = pick.map_or(Value::Null, |&i| value(i));
            (Expr::Literal(v), enum_type)
        }
        ("enum_range", 1) => (Expr::Literal(all()), array_type),
        ("enum_range", 2)
            if types
                .iter()
                .all(|t| *t == enum_type || *t == DataType::Unknown) =>
        {
            let bound = |i: usize| {
                if types[i] == DataType::Unknown {
                    Expr::Cast(Box::new(args[i].clone()), enum_type.clone())
                } else {
                    args[i].clone()
                }
            };
            (
                Expr::Function(
                    "enum_range".into(),
                    vec![Expr::Literal(all()), bound(0), bound(1)],
                ),
                array_type,
            )
        }
        _ => return Ok(None),
    }))
}

/// The operator `OPERATOR(pg_catalog.op)` names (psql writes `OPERATOR(pg_catalog.~)`).
pub(super) fn qualified_operator(parts: &[String]) -> Option<ast::BinaryOperator> {
    use ast::BinaryOperator as B;
    let symbol = match parts {
        [schema, symbol] if schema.eq_ignore_ascii_case("pg_catalog") => symbol.as_str(),
        [symbol] => symbol.as_str(),
        _ => return None,
    };
    Some(match symbol {
        "~" => B::PGRegexMatch,
        "~*" => B::PGRegexIMatch,
        "!~" => B::PGRegexNotMatch,
        "!~*" => B::PGRegexNotIMatch,
        "=" => B::Eq,
        "<>" => B::NotEq,
        "<" => B::Lt,
        "<=" => B::LtEq,
        ">" => B::Gt,
        ">=" => B::GtEq,
        "+" => B::Plus,
        "-" => B::Minus,
        "*" => B::Multiply,
        "/" => B::Divide,
        "||" => B::StringConcat,
        _ => return None,
    })
}
