//! Aggregate state: one [`Accumulator`] per aggregate call and group (or window frame).
//!
//! Rows are fed one at a time: FILTER drops a row first, then the call's arguments are
//! evaluated, NULLs are skipped (except by array_agg, which keeps them), DISTINCT drops
//! repeated values, and what remains updates the running state. An aggregate with ORDER BY
//! inside the call holds its inputs instead and, when finished, sorts them and feeds them to
//! a fresh accumulator in that order.
//!
//! Variance and standard deviation follow PostgreSQL's arithmetic exactly, so that results
//! agree digit for digit: over integers and numerics they keep the exact sums of the values
//! and of their squares in numeric and divide `N·Σx² − (Σx)²` by `N·(N−1)` (or `N²`) at
//! numeric division's scale; over floats they use the Youngs-Cramer updates of
//! PostgreSQL's `float8_accum`.

use std::cmp::Ordering;
use std::collections::HashSet;

use num_bigint::BigInt;

use crate::error::{Error, Result};
use crate::exec::{Context, HashKey, compare_keys, eval, is_true};
use crate::plan::{Aggregate, Expr, SortKey};
use crate::types::{self, BinaryOp, DataType, Numeric, Settings, Value};

/// The aggregates a query may call.
pub const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "string_agg",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "percentile_cont",
    "percentile_disc",
    "mode",
];

/// The ordered-set aggregates (`... WITHIN GROUP (ORDER BY x)`).
pub const ORDERED_SET: &[&str] = &["percentile_cont", "percentile_disc", "mode"];

fn numeric_type() -> DataType {
    DataType::Numeric {
        precision: None,
        scale: None,
    }
}

/// The running state of one aggregate in one group.
#[derive(Clone, Debug)]
pub struct Accumulator {
    count: i64,
    /// sum, avg; the sum of the values for numeric variance.
    sum: Option<Value>,
    /// The sum of the squares, for numeric variance.
    sum_squares: Option<Value>,
    /// Float variance: (N, Σx, Σ(x − mean)²) as PostgreSQL's float8_accum keeps them.
    float: (f64, f64, f64),
    /// min, max, bool_and, bool_or; string_agg's text so far.
    best: Option<Value>,
    /// array_agg's elements.
    items: Vec<Value>,
    seen: Option<HashSet<HashKey>>,
    /// Inputs of an aggregate with ORDER BY: (sort key values, argument values).
    held: Option<Vec<(Vec<Value>, Vec<Value>)>>,
}

impl Accumulator {
    /// A fresh accumulator for `agg`.
    pub fn new(agg: &Aggregate) -> Self {
        Accumulator {
            count: 0,
            sum: None,
            sum_squares: None,
            float: (0.0, 0.0, 0.0),
            best: None,
            items: Vec::new(),
            seen: agg.distinct.then(HashSet::new),
            // DISTINCT sorts the values (PostgreSQL dedupes by sorting), which shows in the
            // order-sensitive aggregates.
            held: (!agg.order_by.is_empty() || (agg.distinct && order_sensitive(agg)))
                .then(Vec::new),
        }
    }

    /// Feeds the row `row` (over which the call's expressions are bound).
    pub fn feed(&mut self, agg: &Aggregate, row: &[Value], ctx: &mut Context) -> Result<()> {
        if let Some(filter) = &agg.filter
            && !is_true(&eval(filter, row, ctx)?)
        {
            return Ok(());
        }
        let args: Vec<Value> = agg
            .arg
            .iter()
            .chain(&agg.extra)
            .map(|e| eval(e, row, ctx))
            .collect::<Result<_>>()?;
        if let Some(held) = &mut self.held {
            let keys = agg
                .order_by
                .iter()
                .map(|k| eval(&k.expr, row, ctx))
                .collect::<Result<_>>()?;
            held.push((keys, args));
            return Ok(());
        }
        self.add(agg, args)
    }

    /// Adds one call's argument values (none for `count(*)`).
    fn add(&mut self, agg: &Aggregate, args: Vec<Value>) -> Result<()> {
        let Some(value) = args.first().cloned() else {
            // count(*) counts rows.
            self.count += 1;
            return Ok(());
        };
        if value.is_null() && !keeps_nulls(agg) {
            return Ok(());
        }
        if let Some(seen) = &mut self.seen
            && !seen.insert(HashKey(args.clone()))
        {
            return Ok(());
        }
        self.count += 1;
        match agg.function.as_str() {
            "sum" | "avg" => {
                let widened = match (&agg.function[..], &value) {
                    // PostgreSQL sums small integers into bigint and bigints into numeric.
                    ("sum", Value::Int2(_) | Value::Int4(_)) => {
                        value.cast(&DataType::Int8, &Settings::default())?
                    }
                    ("sum", Value::Int8(_))
                    | ("avg", Value::Int2(_) | Value::Int4(_) | Value::Int8(_)) => {
                        value.cast(&numeric_type(), &Settings::default())?
                    }
                    _ => value,
                };
                self.sum = Some(match self.sum.take() {
                    None => widened,
                    Some(sum) => types::binary_op(BinaryOp::Plus, &sum, &widened)?,
                });
            }
            "min" | "max" => {
                let replace = match &self.best {
                    None => true,
                    Some(best) => {
                        let ord = value.sort_cmp(best);
                        if agg.function == "min" {
                            ord == Ordering::Less
                        } else {
                            ord == Ordering::Greater
                        }
                    }
                };
                if replace {
                    self.best = Some(value);
                }
            }
            "bool_and" | "every" | "bool_or" => {
                let v = matches!(value, Value::Bool(true));
                let and = agg.function != "bool_or";
                self.best = Some(Value::Bool(match &self.best {
                    None => v,
                    Some(Value::Bool(b)) if and => *b && v,
                    Some(Value::Bool(b)) => *b || v,
                    Some(_) => return Err(Error::internal("boolean aggregate state")),
                }));
            }
            "string_agg" => {
                let delimiter = args.get(1).cloned().unwrap_or(Value::Null);
                self.best = Some(match (self.best.take(), value, delimiter) {
                    (None, v, _) => v,
                    (Some(Value::Text(mut s)), Value::Text(v), d) => {
                        if let Value::Text(d) = d {
                            s.push_str(&d);
                        }
                        s.push_str(&v);
                        Value::Text(s)
                    }
                    (Some(Value::Bytea(mut s)), Value::Bytea(v), d) => {
                        if let Value::Bytea(d) = d {
                            s.extend_from_slice(&d);
                        }
                        s.extend_from_slice(&v);
                        Value::Bytea(s)
                    }
                    _ => return Err(Error::internal("string_agg over mixed types")),
                });
            }
            "array_agg" | "json_agg" | "jsonb_agg" | "mode" => self.items.push(value),
            "percentile_cont" | "percentile_disc" => {
                self.items.push(value);
                self.best = args.get(1).cloned();
            }
            "json_object_agg" | "jsonb_object_agg" => {
                self.items.push(value);
                self.items.push(args.get(1).cloned().unwrap_or(Value::Null));
            }
            "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop" => {
                match value {
                    Value::Float4(_) | Value::Float8(_) => {
                        let x = match value {
                            Value::Float4(f) => f as f64,
                            Value::Float8(f) => f,
                            _ => 0.0,
                        };
                        let (n0, sx, sxx) = self.float;
                        let n = n0 + 1.0;
                        let sx = sx + x;
                        let sxx = if n0 > 0.0 {
                            let tmp = x * n - sx;
                            sxx + tmp * tmp / (n * n0)
                        } else {
                            0.0
                        };
                        self.float = (n, sx, sxx);
                    }
                    other => {
                        let x = other.cast(&numeric_type(), &Settings::default())?;
                        let square = types::binary_op(BinaryOp::Multiply, &x, &x)?;
                        self.sum = Some(match self.sum.take() {
                            None => x,
                            Some(s) => types::binary_op(BinaryOp::Plus, &s, &x)?,
                        });
                        self.sum_squares = Some(match self.sum_squares.take() {
                            None => square,
                            Some(s) => types::binary_op(BinaryOp::Plus, &s, &square)?,
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The aggregate's result over what was fed so far.
    pub fn finish(&self, agg: &Aggregate, settings: &Settings) -> Result<Value> {
        if let Some(held) = &self.held {
            let mut sorted = held.clone();
            if agg.order_by.is_empty() {
                sorted.sort_by(|a, b| compare_keys(&ascending(a.1.len()), &a.1, &b.1));
            } else {
                sorted.sort_by(|a, b| compare_keys(&agg.order_by, &a.0, &b.0));
            }
            let mut plain = Accumulator {
                held: None,
                ..Accumulator::new(agg)
            };
            for (_, args) in sorted {
                plain.add(agg, args)?;
            }
            return plain.finish(agg, settings);
        }
        Ok(match agg.function.as_str() {
            "count" => Value::Int8(self.count),
            "sum" => self.sum.clone().unwrap_or(Value::Null),
            "avg" => match &self.sum {
                None => Value::Null,
                Some(sum) => {
                    let count = Value::Int8(self.count).cast(&sum.data_type(), settings)?;
                    types::binary_op(BinaryOp::Divide, sum, &count)?
                }
            },
            "min" | "max" | "bool_and" | "every" | "bool_or" | "string_agg" => {
                self.best.clone().unwrap_or(Value::Null)
            }
            "array_agg" => match (&agg.data_type, self.items.is_empty()) {
                (_, true) => Value::Null,
                (DataType::Array(element), false) => {
                    Value::Array(types::Array::new((**element).clone(), self.items.clone()))
                }
                _ => return Err(Error::internal("array_agg without an array type")),
            },
            f @ ("stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop") => {
                let sample = !f.ends_with("_pop");
                let root = f.starts_with("stddev");
                if agg.data_type.is_float() {
                    self.float_variance(sample, root)
                } else {
                    self.numeric_variance(sample, root)?
                }
            }
            "percentile_cont" | "percentile_disc" => self.percentile(agg)?,
            "mode" => self.mode(),
            "json_agg" | "jsonb_agg" if self.items.is_empty() => Value::Null,
            "json_agg" | "jsonb_agg" => crate::functions::json::build_array(
                &self.items,
                agg.function == "jsonb_agg",
                settings,
            )?,
            "json_object_agg" | "jsonb_object_agg" if self.items.is_empty() => Value::Null,
            "json_object_agg" | "jsonb_object_agg" => crate::functions::json::object_agg(
                &self.items,
                agg.function == "jsonb_object_agg",
                settings,
            )?,
            other => return Err(Error::unsupported(format!("aggregate function {other}"))),
        })
    }

    /// `percentile_cont` / `percentile_disc` over the values fed in sorted order; the
    /// fraction was kept in `best`.
    fn percentile(&self, agg: &Aggregate) -> Result<Value> {
        let fraction = match &self.best {
            Some(Value::Float8(f)) => *f,
            _ => return Ok(Value::Null),
        };
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::new(
                crate::error::SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("percentile value {fraction} is not between 0 and 1"),
            ));
        }
        let n = self.items.len();
        if n == 0 {
            return Ok(Value::Null);
        }
        if agg.function == "percentile_disc" {
            // The first value whose cumulative share reaches the fraction.
            let row = ((fraction * n as f64).ceil() as usize).clamp(1, n);
            return Ok(self.items[row - 1].clone());
        }
        let position = fraction * (n - 1) as f64;
        let (low, high) = (position.floor() as usize, position.ceil() as usize);
        let (a, b) = (&self.items[low], &self.items[high]);
        if low == high {
            return Ok(a.clone());
        }
        let weight = position - low as f64;
        match (a, b) {
            (Value::Float8(a), Value::Float8(b)) => Ok(Value::Float8(a + (b - a) * weight)),
            _ => {
                // interval: a + (b - a) * weight, as PostgreSQL's interval_lerp.
                let diff = types::binary_op(BinaryOp::Minus, b, a)?;
                let scaled = types::binary_op(BinaryOp::Multiply, &diff, &Value::Float8(weight))?;
                types::binary_op(BinaryOp::Plus, a, &scaled)
            }
        }
    }

    /// `mode()`: the most frequent value, the first in sort order among equals.
    fn mode(&self) -> Value {
        let mut best: Option<(&Value, usize)> = None;
        let mut i = 0;
        while i < self.items.len() {
            let mut j = i + 1;
            while j < self.items.len() && self.items[j].sort_cmp(&self.items[i]) == Ordering::Equal
            {
                j += 1;
            }
            if best.is_none_or(|(_, count)| j - i > count) {
                best = Some((&self.items[i], j - i));
            }
            i = j;
        }
        best.map_or(Value::Null, |(v, _)| v.clone())
    }

    fn float_variance(&self, sample: bool, root: bool) -> Value {
        let (n, _, sxx) = self.float;
        let divisor = if sample { n - 1.0 } else { n };
        if n == 0.0 || divisor <= 0.0 {
            return Value::Null;
        }
        let v = sxx / divisor;
        Value::Float8(if root { v.sqrt() } else { v })
    }

    fn numeric_variance(&self, sample: bool, root: bool) -> Result<Value> {
        let (Some(Value::Numeric(sum)), Some(Value::Numeric(squares))) =
            (&self.sum, &self.sum_squares)
        else {
            return Ok(Value::Null);
        };
        let n = Numeric::from_i64(self.count);
        let n_less = if sample {
            Numeric::from_i64(self.count - 1)
        } else {
            n.clone()
        };
        if self.count == 0 || (sample && self.count == 1) {
            return Ok(Value::Null);
        }
        if !sum.is_finite() || !squares.is_finite() {
            return Ok(Value::Numeric(Numeric::nan()));
        }
        let numerator = n.mul(squares)?.sub(&sum.mul(sum)?)?;
        if numerator.signum() <= 0 {
            return Ok(Value::Numeric(Numeric::from_i64(0)));
        }
        let variance = numerator.div(&n.mul(&n_less)?)?;
        Ok(Value::Numeric(if root {
            numeric_sqrt(&variance)
        } else {
            variance
        }))
    }
}

/// True for the aggregates whose result depends on the order of their input.
fn order_sensitive(agg: &Aggregate) -> bool {
    matches!(
        agg.function.as_str(),
        "string_agg"
            | "array_agg"
            | "json_agg"
            | "jsonb_agg"
            | "json_object_agg"
            | "jsonb_object_agg"
    )
}

/// True for the aggregates that take NULL inputs in (as array or JSON elements).
fn keeps_nulls(agg: &Aggregate) -> bool {
    matches!(
        agg.function.as_str(),
        "array_agg" | "json_agg" | "jsonb_agg" | "json_object_agg" | "jsonb_object_agg"
    )
}

/// Ascending sort keys over `n` values (the expressions are unused: the values are given).
fn ascending(n: usize) -> Vec<SortKey> {
    (0..n)
        .map(|i| SortKey {
            expr: Expr::Column(i),
            desc: false,
            nulls_first: false,
        })
        .collect()
}

/// The square root of a positive numeric, rounded to the input's scale (as PostgreSQL's
/// `sqrt_var` at the variance's scale).
fn numeric_sqrt(v: &Numeric) -> Numeric {
    let Some((unscaled, scale)) = v.parts() else {
        return v.clone();
    };
    // sqrt(u / 10^s) * 10^(s + 1) = sqrt(u * 10^(s + 2)), then round off the extra digit.
    let widened: BigInt = unscaled * BigInt::from(10u32).pow(scale + 2);
    let root = widened.sqrt();
    let rounded = (root + BigInt::from(5)) / BigInt::from(10);
    Numeric::new(rounded, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(function: &str, data_type: DataType) -> Aggregate {
        Aggregate {
            function: function.into(),
            arg: Some(Expr::Column(0)),
            extra: Vec::new(),
            distinct: false,
            order_by: Vec::new(),
            filter: None,
            data_type,
        }
    }

    fn run(function: &str, data_type: DataType, values: Vec<Value>) -> Value {
        let a = agg(function, data_type);
        let mut acc = Accumulator::new(&a);
        for v in values {
            acc.add(&a, vec![v]).unwrap();
        }
        acc.finish(&a, &Settings::default()).unwrap()
    }

    #[test]
    fn numeric_variance_matches_postgres_digits() {
        let ints = || (1..=4).map(Value::Int4).collect::<Vec<_>>();
        let text = |v: Value| v.to_text(&Settings::default()).unwrap();
        // SELECT variance(x), stddev(x), var_pop(x) FROM generate_series(1, 4) x
        assert_eq!(
            text(run("variance", numeric_type(), ints())),
            "1.6666666666666667"
        );
        assert_eq!(
            text(run("stddev", numeric_type(), ints())),
            "1.2909944487358056"
        );
        assert_eq!(
            text(run("var_pop", numeric_type(), ints())),
            "1.2500000000000000"
        );
        assert_eq!(
            run("var_samp", numeric_type(), vec![Value::Int4(7)]),
            Value::Null
        );
    }

    #[test]
    fn float_variance_uses_youngs_cramer() {
        let v = run(
            "var_samp",
            DataType::Float8,
            vec![Value::Float8(1.0), Value::Float8(2.0), Value::Float8(4.0)],
        );
        assert_eq!(v, Value::Float8(7.0 / 3.0));
    }
}
