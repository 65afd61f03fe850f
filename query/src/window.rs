//! The window executor: each row gets the values of window functions computed over other
//! rows of its partition.
//!
//! Each function is a stage over the previous function's stage (the first one over the
//! input), as in PostgreSQL: its rows are sorted by the function's PARTITION BY keys, then
//! its ORDER BY keys (an external sort within `work_mem`, stable, so rows equal on both keep
//! their order), and cut into partitions, which are computed one at a time. A partition's
//! rows wait in a row store that spills beyond `work_mem`; only their ORDER BY keys and the
//! columns the function reads stay in memory. Within a partition, rows equal on the ORDER BY keys are *peers*: they
//! share a rank, and a frame that ends at the CURRENT ROW in RANGE or GROUPS mode ends after
//! the current row's last peer. Without ORDER BY every row of the partition is a peer of every
//! other, so the default frame (`RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`) is the
//! whole partition.
//!
//! A frame is a range `[start, end)` of positions in the partition:
//!
//! - ROWS counts rows from the current one;
//! - GROUPS counts peer groups from the current row's group;
//! - RANGE compares the single ORDER BY key with the current row's key plus or minus the
//!   offset, in the sort's direction, with NULLs where the sort puts them (a NULL current
//!   row's offset frame is its NULL peers).
//!
//! Aggregates over a frame that starts at UNBOUNDED PRECEDING are computed incrementally (the
//! frame's end never moves back); other frames feed a fresh accumulator per row.
//! Rows come out in the order of the last function's window, each followed by one value per
//! function (each stage appends its own).

use std::cmp::Ordering;
use std::sync::Arc;

use crate::aggregate::Accumulator;
use crate::error::{Error, Result, SqlState};
use crate::exec::{Context, Executor, compare_keys, eval};
use crate::plan::{Expr, FrameBound, FrameUnits, SortKey, WindowFunction};
use crate::spill::{ExternalSort, RowStore, StoreReader};
use crate::storage::Row;
use crate::types::{self, BinaryOp, DataType, Value};

/// Computes window functions over its input.
pub struct WindowExec {
    input: Option<Box<dyn Executor>>,
    functions: Vec<WindowFunction>,
    /// The last function's stage, over the stages of the ones before it.
    output: Option<Box<dyn Executor>>,
}

impl WindowExec {
    /// Window functions `functions` over `input`'s rows.
    pub fn new(input: Box<dyn Executor>, functions: Vec<WindowFunction>) -> Self {
        WindowExec {
            input: Some(input),
            functions,
            output: None,
        }
    }
}

impl Executor for WindowExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.output.is_none()
            && let Some(input) = self.input.take()
        {
            let mut stage = input;
            for f in &self.functions {
                stage = Box::new(WindowStage::new(stage, f.clone()));
            }
            self.output = Some(stage);
        }
        match &mut self.output {
            Some(output) => output.next(ctx),
            None => Ok(None),
        }
    }
}

/// One function's pass: its input sorted by the window (an external sort, within
/// `work_mem`), then one partition at a time, each row followed by its value. A partition's
/// rows go to a [`RowStore`] (a temporary file beyond `work_mem`) and are read back to be
/// returned; what stays in memory is, for each row, its ORDER BY keys and the columns the
/// function reads.
struct WindowStage {
    input: Box<dyn Executor>,
    f: WindowFunction,
    /// PARTITION BY keys as sort keys, then the window's ORDER BY.
    keys: Vec<SortKey>,
    /// The input columns the function's arguments read (`None`: any, through a subquery).
    reads: Option<Vec<usize>>,
    /// The rows in window order, each followed by its partition and order keys.
    sorted: Option<Box<dyn Iterator<Item = Result<Row>> + Send>>,
    offsets: Option<Offsets>,
    /// The first row of the next partition, already read.
    ahead: Option<Row>,
    /// The rows of the current partition being returned, and their values.
    out: Option<(StoreReader, std::vec::IntoIter<Value>)>,
}

/// One partition read from the sorted rows.
struct PartitionRows {
    /// The whole rows, to be returned.
    store: RowStore,
    /// The columns the function reads of each (the others NULL).
    reads: Vec<Row>,
    /// The ORDER BY keys of each.
    keys: Vec<Vec<Value>>,
}

impl WindowStage {
    fn new(input: Box<dyn Executor>, f: WindowFunction) -> Self {
        let mut keys: Vec<SortKey> = f
            .partition_by
            .iter()
            .map(|e| SortKey {
                expr: e.clone(),
                desc: false,
                nulls_first: false,
            })
            .collect();
        keys.extend(f.order_by.iter().cloned());
        let mut reads = Some(Vec::new());
        let read = f
            .args
            .iter()
            .chain(f.aggregate.iter().flat_map(|a| a.exprs()));
        for e in read {
            e.visit(&mut |x| match x {
                Expr::Column(i) => {
                    if let Some(r) = &mut reads {
                        r.push(*i);
                    }
                }
                Expr::Subquery(_) | Expr::Exists(..) | Expr::InSubquery(..) => reads = None,
                _ => {}
            });
        }
        WindowStage {
            input,
            f,
            keys,
            reads,
            sorted: None,
            offsets: None,
            ahead: None,
            out: None,
        }
    }

    /// Sorts the input by the window, keeping each row's keys after its columns.
    fn sort(&mut self, ctx: &mut Context) -> Result<()> {
        let mut sort = ExternalSort::new(ctx, &self.keys, None);
        while let Some(mut row) = self.input.next(ctx)? {
            let key: Vec<Value> = self
                .keys
                .iter()
                .map(|k| eval(&k.expr, &row, ctx))
                .collect::<Result<_>>()?;
            row.extend(key.iter().cloned());
            sort.push(key, row)?;
        }
        ctx.check_cancel()?;
        self.sorted = Some(sort.finish()?);
        self.offsets = Some(Offsets {
            start: offset(&self.f.frame.start, true, self.f.frame.units, ctx)?,
            end: offset(&self.f.frame.end, false, self.f.frame.units, ctx)?,
        });
        Ok(())
    }

    /// The next partition (`None` after the last).
    fn partition(&mut self, ctx: &mut Context) -> Result<Option<PartitionRows>> {
        let Some(sorted) = &mut self.sorted else {
            return Ok(None);
        };
        let Some(first) = self.ahead.take().map(Ok).or_else(|| sorted.next()) else {
            return Ok(None);
        };
        let parts = self.f.partition_by.len();
        let mut rows = PartitionRows {
            store: RowStore::new(ctx),
            reads: Vec::new(),
            keys: Vec::new(),
        };
        let mut part: Option<Vec<Value>> = None;
        let mut next = Some(first);
        while let Some(row) = next.take().or_else(|| sorted.next()) {
            let mut row = row?;
            let mut keys = row.split_off(row.len() - self.keys.len());
            let order = keys.split_off(parts);
            match &part {
                Some(p) if compare_keys(&self.keys[..parts], p, &keys) != Ordering::Equal => {
                    row.extend(keys);
                    row.extend(order);
                    self.ahead = Some(row);
                    break;
                }
                Some(_) => {}
                None => part = Some(keys),
            }
            rows.reads.push(match &self.reads {
                Some(reads) => {
                    let mut narrow = vec![Value::Null; reads.iter().max().map_or(0, |m| m + 1)];
                    for &i in reads {
                        if let (Some(slot), Some(v)) = (narrow.get_mut(i), row.get(i)) {
                            *slot = v.clone();
                        }
                    }
                    narrow
                }
                None => row.clone(),
            });
            rows.keys.push(order);
            rows.store.push(row)?;
        }
        Ok(Some(rows))
    }
}

impl Executor for WindowStage {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            if let Some((reader, values)) = &mut self.out {
                if let Some(mut row) = reader.read()? {
                    row.push(values.next().unwrap_or(Value::Null));
                    return Ok(Some(row));
                }
                self.out = None;
            }
            if self.sorted.is_none() {
                self.sort(ctx)?;
            }
            let Some(rows) = self.partition(ctx)? else {
                return Ok(None);
            };
            let len = rows.keys.len();
            let mut group = Vec::with_capacity(len);
            let mut group_start = Vec::new();
            for i in 0..len {
                if i == 0
                    || compare_keys(&self.f.order_by, &rows.keys[i - 1], &rows.keys[i])
                        != Ordering::Equal
                {
                    group_start.push(i);
                }
                group.push(group_start.len() - 1);
            }
            group_start.push(len);
            let order: Vec<usize> = (0..len).collect();
            let partition = Partition {
                rows: &order,
                keys: &rows.keys,
                group,
                group_start,
            };
            let Some(offsets) = &self.offsets else {
                return Err(Error::internal("window frame offsets not evaluated"));
            };
            let values = partition_values(&self.f, &partition, offsets, &rows.reads, ctx)?;
            ctx.check_cancel()?;
            self.out = Some((Arc::new(rows.store).reader(), values.into_iter()));
        }
    }
}

/// One partition of rows, sorted by the window's ORDER BY.
struct Partition<'a> {
    /// Input row indexes, in window order.
    rows: &'a [usize],
    /// The ORDER BY key values of each (by position in the partition).
    keys: &'a [Vec<Value>],
    /// The peer group of each position.
    group: Vec<usize>,
    /// Each group's first position, plus the partition's length at the end.
    group_start: Vec<usize>,
}

impl Partition<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    /// The end (exclusive) of position `i`'s peer group.
    fn peers_end(&self, i: usize) -> usize {
        self.group_start[self.group[i] + 1]
    }

    /// The first position of group `g` (the partition's end past the last group).
    fn group_bound(&self, g: i64) -> usize {
        let groups = self.group_start.len() as i64 - 1;
        self.group_start[g.clamp(0, groups) as usize]
    }
}

/// The frame offsets, evaluated once: how many rows or groups, or the RANGE distance.
struct Offsets {
    start: Option<Value>,
    end: Option<Value>,
}

/// A frame bound's offset, checked as PostgreSQL checks it.
fn offset(
    bound: &FrameBound,
    start: bool,
    units: FrameUnits,
    ctx: &mut Context,
) -> Result<Option<Value>> {
    let e = match bound {
        FrameBound::Preceding(e) | FrameBound::Following(e) => e,
        _ => return Ok(None),
    };
    let which = if start { "starting" } else { "ending" };
    let v = eval(e, &[], ctx)?;
    if v.is_null() {
        return Err(Error::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            format!("frame {which} offset must not be null"),
        ));
    }
    let negative = match &v {
        Value::Int2(n) => *n < 0,
        Value::Int4(n) => *n < 0,
        Value::Int8(n) => *n < 0,
        Value::Float4(n) => *n < 0.0,
        Value::Float8(n) => *n < 0.0,
        Value::Numeric(n) => n.signum() < 0,
        Value::Interval(i) => i.months < 0 || i.days < 0 || i.micros < 0,
        _ => false,
    };
    if negative {
        let message = if units == FrameUnits::Range {
            "invalid preceding or following size in window function".to_string()
        } else {
            format!("frame {which} offset must not be negative")
        };
        return Err(Error::new(SqlState("22013"), message));
    }
    Ok(Some(v))
}

fn count_of(v: &Value) -> Result<i64> {
    match v {
        Value::Int2(n) => Ok(*n as i64),
        Value::Int4(n) => Ok(*n as i64),
        Value::Int8(n) => Ok(*n),
        other => Err(Error::internal(format!(
            "frame offset of type {}",
            other.data_type().name()
        ))),
    }
}

/// The frame `[start, end)` of position `i`. Offsets are counts here (ROWS, GROUPS), checked
/// non-negative; arithmetic saturates, so huge offsets mean "the partition's end".
fn frame(f: &WindowFunction, p: &Partition, o: &Offsets, i: usize) -> Result<(usize, usize)> {
    let len = p.len() as i64;
    let here = i as i64;
    let rows = |x: i64| x.clamp(0, len) as usize;
    let group = p.group[i] as i64;
    let count = |v: &Option<Value>| count_of(v.as_ref().unwrap_or(&Value::Null));
    let start = match (&f.frame.start, f.frame.units) {
        (FrameBound::UnboundedPreceding, _) => 0,
        (FrameBound::UnboundedFollowing, _) => p.len(),
        (FrameBound::CurrentRow, FrameUnits::Rows) => i,
        (FrameBound::CurrentRow, _) => p.group_start[p.group[i]],
        (FrameBound::Preceding(_), FrameUnits::Rows) => rows(here.saturating_sub(count(&o.start)?)),
        (FrameBound::Following(_), FrameUnits::Rows) => rows(here.saturating_add(count(&o.start)?)),
        (FrameBound::Preceding(_), FrameUnits::Groups) => {
            p.group_bound(group.saturating_sub(count(&o.start)?))
        }
        (FrameBound::Following(_), FrameUnits::Groups) => {
            p.group_bound(group.saturating_add(count(&o.start)?))
        }
        (bound, FrameUnits::Range) => range_bound(f, p, o.start.as_ref(), bound, i, true)?,
    };
    let end = match (&f.frame.end, f.frame.units) {
        (FrameBound::UnboundedFollowing, _) => p.len(),
        (FrameBound::UnboundedPreceding, _) => 0,
        (FrameBound::CurrentRow, FrameUnits::Rows) => i + 1,
        (FrameBound::CurrentRow, _) => p.peers_end(i),
        (FrameBound::Preceding(_), FrameUnits::Rows) => {
            rows(here.saturating_sub(count(&o.end)?).saturating_add(1))
        }
        (FrameBound::Following(_), FrameUnits::Rows) => {
            rows(here.saturating_add(count(&o.end)?).saturating_add(1))
        }
        (FrameBound::Preceding(_), FrameUnits::Groups) => {
            let target = group.saturating_sub(count(&o.end)?);
            if target < 0 {
                0
            } else {
                p.group_bound(target + 1)
            }
        }
        (FrameBound::Following(_), FrameUnits::Groups) => {
            p.group_bound(group.saturating_add(count(&o.end)?).saturating_add(1))
        }
        (bound, FrameUnits::Range) => range_bound(f, p, o.end.as_ref(), bound, i, false)?,
    };
    Ok((start, end.max(start)))
}

/// A RANGE frame's start (`first`) or end with an offset: the first position whose key is
/// not before (start) or is after (end) the current key moved by the offset.
fn range_bound(
    f: &WindowFunction,
    p: &Partition,
    offset: Option<&Value>,
    bound: &FrameBound,
    i: usize,
    first: bool,
) -> Result<usize> {
    let (Some(key), Some(offset)) = (f.order_by.first(), offset) else {
        return Err(Error::internal("RANGE offset without an ORDER BY key"));
    };
    let current = &p.keys[i][0];
    let target = if current.is_null() {
        Value::Null
    } else {
        // PRECEDING moves against the sort's direction.
        let towards_start = matches!(bound, FrameBound::Preceding(_));
        let op = if towards_start != key.desc {
            BinaryOp::Minus
        } else {
            BinaryOp::Plus
        };
        match types::binary_op(op, current, offset) {
            Ok(v) => v,
            // Past the type's range: beyond every row in that direction.
            Err(_) => return Ok(if towards_start { 0 } else { p.len() }),
        }
    };
    let order = |k: &Value| -> Ordering {
        match (k.is_null(), target.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if key.nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if key.nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let o = k
                    .compare(&target)
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| k.sort_cmp(&target));
                if key.desc { o.reverse() } else { o }
            }
        }
    };
    Ok(p.keys.partition_point(|k| {
        let ord = order(&k[0]);
        if first {
            ord == Ordering::Less
        } else {
            ord != Ordering::Greater
        }
    }))
}

/// The values of `f` for each position of partition `p`.
fn partition_values(
    f: &WindowFunction,
    p: &Partition,
    offsets: &Offsets,
    rows: &[Row],
    ctx: &mut Context,
) -> Result<Vec<Value>> {
    let len = p.len();
    let row = |i: usize| &rows[p.rows[i]];
    let arg = |n: usize, i: usize, ctx: &mut Context| -> Result<Value> {
        match f.args.get(n) {
            Some(e) => eval(e, row(i), ctx),
            None => Ok(Value::Null),
        }
    };
    let mut out = Vec::with_capacity(len);
    if let Some(agg) = &f.aggregate {
        let running = matches!(f.frame.start, FrameBound::UnboundedPreceding);
        let mut acc = Accumulator::new(agg);
        let mut fed = 0;
        let mut last: Option<((usize, usize), Value)> = None;
        for i in 0..len {
            let bounds = frame(f, p, offsets, i)?;
            if let Some((b, v)) = &last
                && *b == bounds
            {
                out.push(v.clone());
                continue;
            }
            let (start, end) = bounds;
            let v = if running && start == 0 && end >= fed {
                for j in fed..end {
                    acc.feed(agg, row(j), ctx)?;
                }
                fed = end;
                acc.finish(agg, ctx.settings)?
            } else {
                let mut fresh = Accumulator::new(agg);
                for j in start..end {
                    fresh.feed(agg, row(j), ctx)?;
                }
                fresh.finish(agg, ctx.settings)?
            };
            last = Some((bounds, v.clone()));
            out.push(v);
        }
        return Ok(out);
    }
    for i in 0..len {
        let g = p.group[i];
        let v = match f.function.as_str() {
            "row_number" => Value::Int8(i as i64 + 1),
            "rank" => Value::Int8(p.group_start[g] as i64 + 1),
            "dense_rank" => Value::Int8(g as i64 + 1),
            "percent_rank" => Value::Float8(if len > 1 {
                p.group_start[g] as f64 / (len - 1) as f64
            } else {
                0.0
            }),
            "cume_dist" => Value::Float8(p.peers_end(i) as f64 / len as f64),
            "ntile" => match arg(0, 0, ctx)? {
                Value::Null => Value::Null,
                n => {
                    let buckets = count_of(&n)?;
                    if buckets <= 0 {
                        return Err(Error::new(
                            SqlState("22014"),
                            "argument of ntile must be greater than zero",
                        ));
                    }
                    Value::Int4(ntile(i as i64, len as i64, buckets) as i32)
                }
            },
            "lag" | "lead" => {
                let step = match f.args.get(1) {
                    Some(_) => match arg(1, i, ctx)? {
                        Value::Null => {
                            out.push(Value::Null);
                            continue;
                        }
                        n => count_of(&n)?,
                    },
                    None => 1,
                };
                let target = if f.function == "lag" {
                    i as i64 - step
                } else {
                    i as i64 + step
                };
                if target >= 0 && target < len as i64 {
                    arg(0, target as usize, ctx)?
                } else {
                    arg(2, i, ctx)?
                }
            }
            "first_value" | "last_value" | "nth_value" => {
                let (start, end) = frame(f, p, offsets, i)?;
                let pick = match f.function.as_str() {
                    "first_value" => (start < end).then_some(start),
                    "last_value" => (start < end).then(|| end - 1),
                    _ => match arg(1, i, ctx)? {
                        Value::Null => None,
                        n => {
                            let n = count_of(&n)?;
                            if n <= 0 {
                                return Err(Error::new(
                                    SqlState("22016"),
                                    "argument of nth_value must be greater than zero",
                                ));
                            }
                            let at = start as i64 + n - 1;
                            (at < end as i64).then_some(at as usize)
                        }
                    },
                };
                match pick {
                    Some(j) => arg(0, j, ctx)?,
                    None => Value::Null,
                }
            }
            other => {
                return Err(Error::unsupported(format!("window function {other}")));
            }
        };
        out.push(v);
    }
    Ok(out)
}

/// PostgreSQL's ntile: `rows` rows into `buckets` buckets, the first `rows % buckets` of them
/// one row larger; the 1-based bucket of the row at `position`.
fn ntile(position: i64, rows: i64, buckets: i64) -> i64 {
    let size = rows / buckets;
    let larger = rows % buckets;
    let boundary = larger * (size + 1);
    if position < boundary {
        position / (size + 1) + 1
    } else {
        (position - boundary) / size.max(1) + larger + 1
    }
}

/// The result type of a window function that is not an aggregate (`None` if unknown).
pub fn function_type(name: &str, args: &[DataType]) -> Option<DataType> {
    Some(match name {
        "row_number" | "rank" | "dense_rank" => DataType::Int8,
        "percent_rank" | "cume_dist" => DataType::Float8,
        "ntile" => DataType::Int4,
        "lag" | "lead" | "first_value" | "last_value" | "nth_value" => args.first()?.clone(),
        _ => return None,
    })
}

/// The number of arguments each window function takes (inclusive range).
pub fn arity(name: &str) -> Option<(usize, usize)> {
    Some(match name {
        "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" => (0, 0),
        "ntile" | "first_value" | "last_value" => (1, 1),
        "nth_value" => (2, 2),
        "lag" | "lead" => (1, 3),
        _ => return None,
    })
}

/// True if `e` reads a column of the row (frame offsets must not).
pub fn reads_row(e: &Expr) -> bool {
    let mut found = false;
    e.visit(&mut |x| found |= matches!(x, Expr::Column(_)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Frame, FrameUnits};

    fn function(units: FrameUnits, start: FrameBound, end: FrameBound) -> WindowFunction {
        WindowFunction {
            function: "first_value".into(),
            args: vec![Expr::Column(0)],
            aggregate: None,
            partition_by: Vec::new(),
            order_by: vec![SortKey {
                expr: Expr::Column(0),
                desc: false,
                nulls_first: false,
            }],
            frame: Frame { units, start, end },
            data_type: DataType::Int4,
        }
    }

    fn partition(keys: &[Vec<Value>]) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
        let rows: Vec<usize> = (0..keys.len()).collect();
        let mut group = Vec::new();
        let mut starts = Vec::new();
        for i in 0..keys.len() {
            if i == 0 || keys[i - 1] != keys[i] {
                starts.push(i);
            }
            group.push(starts.len() - 1);
        }
        starts.push(keys.len());
        (rows, group, starts)
    }

    fn frames(f: &WindowFunction, keys: &[Vec<Value>], o: Offsets) -> Vec<(usize, usize)> {
        let (rows, group, group_start) = partition(keys);
        let p = Partition {
            rows: &rows,
            keys,
            group,
            group_start,
        };
        (0..keys.len())
            .map(|i| frame(f, &p, &o, i).unwrap())
            .collect()
    }

    fn ints(v: &[i32]) -> Vec<Vec<Value>> {
        v.iter().map(|x| vec![Value::Int4(*x)]).collect()
    }

    #[test]
    fn default_frame_includes_peers() {
        let f = function(
            FrameUnits::Range,
            FrameBound::UnboundedPreceding,
            FrameBound::CurrentRow,
        );
        let none = || Offsets {
            start: None,
            end: None,
        };
        assert_eq!(
            frames(&f, &ints(&[1, 2, 2, 3]), none()),
            vec![(0, 1), (0, 3), (0, 3), (0, 4)]
        );
    }

    #[test]
    fn rows_groups_and_range_offsets() {
        let one = || Offsets {
            start: Some(Value::Int4(1)),
            end: Some(Value::Int4(1)),
        };
        let keys = ints(&[1, 2, 2, 5]);
        let rows = function(
            FrameUnits::Rows,
            FrameBound::Preceding(Expr::Literal(Value::Int4(1))),
            FrameBound::Following(Expr::Literal(Value::Int4(1))),
        );
        assert_eq!(
            frames(&rows, &keys, one()),
            vec![(0, 2), (0, 3), (1, 4), (2, 4)]
        );
        let groups = WindowFunction {
            frame: Frame {
                units: FrameUnits::Groups,
                ..rows.frame.clone()
            },
            ..rows.clone()
        };
        assert_eq!(
            frames(&groups, &keys, one()),
            vec![(0, 3), (0, 4), (0, 4), (1, 4)]
        );
        let range = WindowFunction {
            frame: Frame {
                units: FrameUnits::Range,
                ..rows.frame.clone()
            },
            ..rows
        };
        assert_eq!(
            frames(&range, &keys, one()),
            vec![(0, 3), (0, 3), (0, 3), (3, 4)]
        );
    }

    #[test]
    fn ntile_makes_the_first_buckets_larger() {
        let buckets: Vec<i64> = (0..7).map(|i| ntile(i, 7, 3)).collect();
        assert_eq!(buckets, vec![1, 1, 1, 2, 2, 3, 3]);
        let more: Vec<i64> = (0..2).map(|i| ntile(i, 2, 5)).collect();
        assert_eq!(more, vec![1, 2]);
    }
}
