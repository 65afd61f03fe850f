//! Reading rows through keys: the executors of [`crate::plan::Node::IndexScan`] and [`crate::plan::Node::IndexJoin`].
//!
//! A [`KeyLookup`] names values for the leading columns of a key (the primary key or an
//! index) and an optional range on the next column. Its expressions are evaluated when the
//! scan starts, each value is turned into key bytes of the key column's type, and the
//! storage reads the resulting ranges ([`Transaction::scan_range`],
//! [`Transaction::scan_index_range`]).
//!
//! # Converting a value to the key column's type
//!
//! The predicate compares the column with a value of perhaps another type (`int_col < 2.5`,
//! `float_col = 1`), and SQL compares numbers of different types by exact value. The key
//! space only holds values of the column's type, so a value `v` that is not one of them is
//! mapped to two column values around it, `lo <= v <= hi` with nothing of interest strictly
//! between them but `v` ([`Probe::Span`]: `floor` and `ceil` for an integer column, a few
//! rounding steps either side for a float column). Then `col = v` reads `[lo, hi]`, `col < v`
//! reads up to `hi` and `col > v` from `lo`, both inclusive. When `v` is a value of the
//! column's type ([`Probe::Exact`]) the bounds are `v` itself, exclusive where the operator
//! is. A value the conversion does not understand ([`Probe::Unknown`]: NaN, out of range,
//! another type family) leaves that side of the range open, and a NULL matches nothing.
//!
//! The ranges may therefore be wider than the conditions they come from, never narrower,
//! and the scan's whole predicate is always applied to the rows read: the key range is
//! only a way to read fewer rows.

use std::collections::HashSet;
use std::ops::Bound;

use anchor_engine::keycode::{self, KeyPart, Order};

use crate::catalog::Table;
use crate::error::Result;
use crate::exec::{Context, Executor, eval, is_true, lock_scanned};
use crate::plan::{Expr, JoinKind, KeyLookup};
use crate::storage::{Row, RowKey, Rows};
use crate::types::{DataType, Value, numeric::Numeric};

/// With more key combinations than this (a product of IN lists), the column that would
/// exceed it is not used: the ranges stop at the columns before it.
const MAX_RANGES: usize = 1024;

/// A value converted to a key column's type.
#[derive(Debug, PartialEq)]
enum Probe {
    /// NULL: no comparison with it is true.
    Null,
    /// A value of the column's type.
    Exact(KeyPart),
    /// Not a column value: column values around it, the first not above it, the second not
    /// below it.
    Span(KeyPart, KeyPart),
    /// Not convertible: the range stays open on that side.
    Unknown,
}

/// `v` as a key of a column of type `ty`.
fn probe(v: &Value, ty: &DataType) -> Probe {
    use DataType as T;
    use Value as V;
    if v.is_null() {
        return Probe::Null;
    }
    let same = || Probe::Exact(v.to_key_part());
    match (ty, v) {
        (T::Int2 | T::Int4 | T::Int8, V::Int2(_) | V::Int4(_) | V::Int8(_)) => same(),
        (T::Int2 | T::Int4 | T::Int8, V::Float4(_) | V::Float8(_)) => {
            let f = match v {
                V::Float4(f) => *f as f64,
                V::Float8(f) => *f,
                _ => unreachable!("matched above"),
            };
            // Beyond ±2^63 (or NaN) no conversion: the range stays open.
            if f.is_nan() || f.abs() >= 9.223_372_036_854_776e18 {
                return Probe::Unknown;
            }
            int_span(f.floor() as i64, f.ceil() as i64)
        }
        (T::Int2 | T::Int4 | T::Int8, V::Numeric(n)) => {
            if !n.is_finite() {
                return Probe::Unknown;
            }
            let Some(t) = n.trunc(0).to_i64_rounded() else {
                return Probe::Unknown;
            };
            match n.cmp_total(&Numeric::from_i64(t)) {
                std::cmp::Ordering::Equal => int_span(t, t),
                std::cmp::Ordering::Greater => match t.checked_add(1) {
                    Some(c) => int_span(t, c),
                    None => Probe::Unknown,
                },
                std::cmp::Ordering::Less => match t.checked_sub(1) {
                    Some(fl) => int_span(fl, t),
                    None => Probe::Unknown,
                },
            }
        }
        (T::Float4 | T::Float8, V::Float4(_) | V::Float8(_)) => same(),
        (T::Float4 | T::Float8, V::Int2(_) | V::Int4(_) | V::Int8(_) | V::Numeric(_)) => {
            let (f, exact) = match v {
                V::Int2(i) => (*i as f64, true),
                V::Int4(i) => (*i as f64, true),
                V::Int8(i) => {
                    let f = *i as f64;
                    (f, f < 9.223_372_036_854_776e18 && f as i64 == *i)
                }
                V::Numeric(n) if n.is_finite() => (n.to_f64(), false),
                _ => return Probe::Unknown,
            };
            if !f.is_finite() {
                return Probe::Unknown;
            }
            if exact {
                Probe::Exact(KeyPart::Float(f))
            } else {
                // Within a rounding step of the value: a superset of the matches.
                Probe::Span(
                    KeyPart::Float(f.next_down().next_down()),
                    KeyPart::Float(f.next_up().next_up()),
                )
            }
        }
        (T::Numeric { .. }, V::Numeric(_)) => same(),
        (T::Numeric { .. }, V::Int2(_) | V::Int4(_) | V::Int8(_)) => {
            let i = match v {
                V::Int2(i) => *i as i64,
                V::Int4(i) => *i as i64,
                V::Int8(i) => *i,
                _ => unreachable!("matched above"),
            };
            Probe::Exact(V::Numeric(Numeric::from_i64(i)).to_key_part())
        }
        (T::Text | T::Varchar(_), V::Text(_))
        | (T::Bool, V::Bool(_))
        | (T::Bytea, V::Bytea(_))
        | (T::Date, V::Date(_))
        | (T::Time, V::Time(_))
        | (T::Timestamp | T::TimestampTz, V::Timestamp(_) | V::TimestampTz(_))
        | (T::Interval, V::Interval(_))
        | (T::Uuid, V::Uuid(_)) => same(),
        _ => Probe::Unknown,
    }
}

/// The integers around a value: `floor` and `ceil` (equal when the value is an integer).
fn int_span(floor: i64, ceil: i64) -> Probe {
    if floor == ceil {
        Probe::Exact(KeyPart::Int(floor))
    } else {
        Probe::Span(KeyPart::Int(floor), KeyPart::Int(ceil))
    }
}

fn encoded(prefix: &[u8], part: &KeyPart) -> Vec<u8> {
    let mut out = prefix.to_vec();
    keycode::encode_part(&mut out, part, Order::ASC);
    out
}

/// One range of encoded key prefixes (see [`crate::storage::Transaction::scan_range`]).
type KeyBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The key ranges `lookup` reads, its expressions evaluated over `row` (the outer row of an
/// index join; empty for a scan).
fn key_ranges(
    lookup: &KeyLookup,
    table: &Table,
    row: &[Value],
    ctx: &mut Context,
) -> Result<Vec<KeyBounds>> {
    let cols = lookup.key_columns(table);
    let ty = |i: usize| &table.columns[cols[i]].data_type;
    let mut prefixes: Vec<Vec<u8>> = vec![Vec::new()];
    let whole = |prefixes: Vec<Vec<u8>>| -> Vec<KeyBounds> {
        prefixes
            .into_iter()
            .map(|p| (Bound::Included(p.clone()), Bound::Included(p)))
            .collect()
    };
    for (i, values) in lookup.eq.iter().enumerate() {
        let mut exact = Vec::new();
        let mut spans = Vec::new();
        for e in values {
            match probe(&eval(e, row, ctx)?, ty(i)) {
                Probe::Null => {}
                Probe::Exact(k) => exact.push(k),
                Probe::Span(lo, hi) => spans.push((lo, hi)),
                Probe::Unknown => return Ok(whole(prefixes)),
            }
        }
        if exact.is_empty() && spans.is_empty() {
            return Ok(Vec::new());
        }
        if prefixes.len() * (exact.len() + spans.len()) > MAX_RANGES {
            return Ok(whole(prefixes));
        }
        if !spans.is_empty() {
            // The last column used: each value becomes a range of its own.
            let mut out = Vec::new();
            for p in &prefixes {
                for k in &exact {
                    let key = encoded(p, k);
                    out.push((Bound::Included(key.clone()), Bound::Included(key)));
                }
                for (lo, hi) in &spans {
                    out.push((
                        Bound::Included(encoded(p, lo)),
                        Bound::Included(encoded(p, hi)),
                    ));
                }
            }
            return Ok(out);
        }
        prefixes = prefixes
            .iter()
            .flat_map(|p| exact.iter().map(move |k| encoded(p, k)))
            .collect();
    }
    let mut lower = None;
    if let Some((e, inclusive)) = &lookup.lower {
        match probe(&eval(e, row, ctx)?, ty(lookup.eq.len())) {
            Probe::Null => return Ok(Vec::new()),
            Probe::Exact(k) => lower = Some((k, *inclusive)),
            Probe::Span(lo, _) => lower = Some((lo, true)),
            Probe::Unknown => {}
        }
    }
    let mut upper = None;
    if let Some((e, inclusive)) = &lookup.upper {
        match probe(&eval(e, row, ctx)?, ty(lookup.eq.len())) {
            Probe::Null => return Ok(Vec::new()),
            Probe::Exact(k) => upper = Some((k, *inclusive)),
            Probe::Span(_, hi) => upper = Some((hi, true)),
            Probe::Unknown => {}
        }
    }
    Ok(prefixes
        .into_iter()
        .map(|p| {
            let start = match &lower {
                Some((k, true)) => Bound::Included(encoded(&p, k)),
                Some((k, false)) => Bound::Excluded(encoded(&p, k)),
                None => Bound::Included(p.clone()),
            };
            let end = match &upper {
                Some((k, true)) => Bound::Included(encoded(&p, k)),
                Some((k, false)) => Bound::Excluded(encoded(&p, k)),
                None => Bound::Included(p),
            };
            (start, end)
        })
        .collect())
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The rows (with their keys) of `table` in the ranges of `lookup` evaluated over `row`,
/// each once, in key order when the ranges do not overlap. Rows are not filtered.
pub fn lookup_rows(
    table: &Table,
    lookup: &KeyLookup,
    row: &[Value],
    ctx: &mut Context,
) -> Result<Vec<(RowKey, Row)>> {
    let mut rows = RangeRows::new(table, lookup, row, ctx)?;
    let mut out = Vec::new();
    while let Some(item) = rows.next(ctx)? {
        out.push(item);
    }
    Ok(out)
}

fn start_key(b: &Bound<Vec<u8>>) -> &[u8] {
    match b {
        Bound::Included(k) | Bound::Excluded(k) => k,
        Bound::Unbounded => &[],
    }
}

/// The rows of the key ranges of a lookup, streaming from storage one range after another
/// (an `IN` list over a large table, or an index join's probe, is never held in memory).
/// With several ranges, which may overlap, the keys of the rows returned are remembered so
/// that each row comes once.
struct RangeRows {
    table: Table,
    index: Option<crate::catalog::Index>,
    ranges: std::vec::IntoIter<KeyBounds>,
    current: Option<Rows>,
    seen: Option<HashSet<RowKey>>,
}

impl RangeRows {
    /// The rows of `lookup`'s ranges, its expressions evaluated over `row`.
    fn new(table: &Table, lookup: &KeyLookup, row: &[Value], ctx: &mut Context) -> Result<Self> {
        let mut ranges = key_ranges(lookup, table, row, ctx)?;
        ranges.sort_by(|a, b| start_key(&a.0).cmp(start_key(&b.0)));
        ranges.dedup();
        Ok(RangeRows {
            table: table.clone(),
            index: lookup.index.clone(),
            seen: (ranges.len() > 1).then(HashSet::new),
            ranges: ranges.into_iter(),
            current: None,
        })
    }

    /// The next row and its key, `None` after the last range.
    fn next(&mut self, ctx: &mut Context) -> Result<Option<(RowKey, Row)>> {
        loop {
            if let Some(rows) = &mut self.current {
                match rows.next() {
                    Some(item) => {
                        let (key, row) = item?;
                        if let Some(seen) = &mut self.seen
                            && !seen.insert(key.clone())
                        {
                            continue;
                        }
                        return Ok(Some((key, row)));
                    }
                    None => self.current = None,
                }
            }
            let Some((lower, upper)) = self.ranges.next() else {
                return Ok(None);
            };
            ctx.check_cancel()?;
            self.current = Some(match &self.index {
                Some(index) => ctx.txn.scan_index_range(
                    &self.table,
                    index,
                    as_slice(&lower),
                    as_slice(&upper),
                )?,
                None => ctx
                    .txn
                    .scan_range(&self.table, as_slice(&lower), as_slice(&upper))?,
            });
        }
    }
}

/// The executor of [`crate::plan::Node::IndexScan`].
pub struct IndexScanExec {
    table: Table,
    lookup: KeyLookup,
    filter: Option<Expr>,
    rows: Option<RangeRows>,
}

impl IndexScanExec {
    /// An index scan of `table`.
    pub fn new(table: Table, lookup: KeyLookup, filter: Option<Expr>) -> Self {
        IndexScanExec {
            table,
            lookup,
            filter,
            rows: None,
        }
    }
}

impl Executor for IndexScanExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if self.rows.is_none() {
            self.rows = Some(RangeRows::new(&self.table, &self.lookup, &[], ctx)?);
        }
        while let Some((key, row)) = match &mut self.rows {
            Some(rows) => rows.next(ctx)?,
            None => None,
        } {
            ctx.check_cancel()?;
            if let Some(f) = &self.filter
                && !is_true(&eval(f, &row, ctx)?)
            {
                continue;
            }
            if let Some(row) = lock_scanned(&self.table, &key, row, self.filter.as_ref(), ctx)? {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

/// The executor of [`crate::plan::Node::IndexJoin`].
pub struct IndexJoinExec {
    left: Box<dyn Executor>,
    table: Table,
    lookup: KeyLookup,
    kind: JoinKind,
    filter: Option<Expr>,
    on: Option<Expr>,
    /// The current left row, the rows its probe reads, and whether one of them matched.
    current: Option<(Row, RangeRows, bool)>,
}

impl IndexJoinExec {
    /// A join of `left`'s rows with `table`'s rows found through `lookup`.
    pub fn new(
        left: Box<dyn Executor>,
        table: Table,
        lookup: KeyLookup,
        kind: JoinKind,
        filter: Option<Expr>,
        on: Option<Expr>,
    ) -> Self {
        IndexJoinExec {
            left,
            table,
            lookup,
            kind,
            filter,
            on,
            current: None,
        }
    }
}

impl Executor for IndexJoinExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            if let Some((left, rows, matched)) = &mut self.current {
                while let Some((key, right)) = rows.next(ctx)? {
                    if let Some(f) = &self.filter
                        && !is_true(&eval(f, &right, ctx)?)
                    {
                        continue;
                    }
                    let Some(right) =
                        lock_scanned(&self.table, &key, right, self.filter.as_ref(), ctx)?
                    else {
                        continue;
                    };
                    let mut row = left.clone();
                    row.extend(right);
                    if let Some(on) = &self.on
                        && !is_true(&eval(on, &row, ctx)?)
                    {
                        continue;
                    }
                    *matched = true;
                    return Ok(Some(row));
                }
                let unmatched = !*matched && self.kind == JoinKind::Left;
                if let Some((mut left, _, _)) = self.current.take()
                    && unmatched
                {
                    left.extend(std::iter::repeat_n(Value::Null, self.table.columns.len()));
                    return Ok(Some(left));
                }
            }
            ctx.check_cancel()?;
            let Some(left) = self.left.next(ctx)? else {
                return Ok(None);
            };
            let rows = RangeRows::new(&self.table, &self.lookup, &left, ctx)?;
            self.current = Some((left, rows, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_convert_like_comparisons() {
        let int = DataType::Int4;
        assert_eq!(probe(&Value::Null, &int), Probe::Null);
        assert_eq!(probe(&Value::Int8(5), &int), Probe::Exact(KeyPart::Int(5)));
        assert_eq!(
            probe(&Value::Float8(2.5), &int),
            Probe::Span(KeyPart::Int(2), KeyPart::Int(3))
        );
        assert_eq!(
            probe(&Value::Float8(-2.5), &int),
            Probe::Span(KeyPart::Int(-3), KeyPart::Int(-2))
        );
        assert_eq!(
            probe(&Value::Float8(3.0), &int),
            Probe::Exact(KeyPart::Int(3))
        );
        assert_eq!(probe(&Value::Float8(f64::NAN), &int), Probe::Unknown);
        assert_eq!(probe(&Value::Float8(1e300), &int), Probe::Unknown);
        let half = Numeric::parse("-2.5").unwrap().unwrap();
        assert_eq!(
            probe(&Value::Numeric(half), &int),
            Probe::Span(KeyPart::Int(-3), KeyPart::Int(-2))
        );
        assert_eq!(
            probe(&Value::Int4(7), &DataType::Float8),
            Probe::Exact(KeyPart::Float(7.0))
        );
        assert_eq!(probe(&Value::Text("1".into()), &int), Probe::Unknown);
        assert_eq!(
            probe(&Value::Int4(1), &DataType::Char(Some(3))),
            Probe::Unknown
        );
    }
}

/// Every predicate gives the same rows through keys as through a full scan of a copy of the
/// table without keys.
#[cfg(test)]
mod differential {
    use crate::session::{Database, Session};
    use crate::storage::Row;

    fn run(s: &mut Session, sql: &str) -> Vec<Row> {
        let mut rows = Vec::new();
        for r in s.execute(sql) {
            rows.extend(r.unwrap_or_else(|e| panic!("{sql}: {e:?}")).rows);
        }
        rows
    }

    fn sorted(mut rows: Vec<Row>) -> Vec<String> {
        let mut out: Vec<String> = rows.drain(..).map(|r| format!("{r:?}")).collect();
        out.sort();
        out
    }

    #[test]
    fn keyed_and_unkeyed_tables_agree() {
        let db = Database::memory().unwrap();
        let mut s = db.session();
        let columns = "(a INT, b SMALLINT, f FLOAT8, n NUMERIC, t TEXT, v VARCHAR(5))";
        run(
            &mut s,
            &format!(
                "CREATE TABLE k {columns}; ALTER TABLE k ADD PRIMARY KEY (a, b);
                 CREATE INDEX k_f ON k (f); CREATE INDEX k_n_t ON k (n, t);
                 CREATE INDEX k_v_b ON k (v, b); CREATE TABLE u {columns}"
            ),
        );
        let mut values = Vec::new();
        for a in -2..4 {
            for b in 0..3 {
                let f = ["NULL", "-0.0", "0.5", "2", "'NaN'", "'-Infinity'", "1e300"]
                    [((a + 2) * 3 + b) as usize % 7];
                let n = ["NULL", "1.50", "2", "-3.25"][(a + b + 2) as usize % 4];
                let t = ["NULL", "''", "'a'", "'ab'", "'b'"][(a * b + 4) as usize % 5];
                values.push(format!("({a}, {b}, {f}, {n}, {t}, {t})"));
            }
        }
        let values = values.join(", ");
        run(
            &mut s,
            &format!("INSERT INTO k VALUES {values}; INSERT INTO u VALUES {values}"),
        );
        run(
            &mut s,
            "UPDATE k SET f = NULL WHERE f = 2; UPDATE u SET f = NULL WHERE f = 2",
        );
        let operands = [
            "NULL",
            "0",
            "1",
            "-1",
            "2",
            "3",
            "2.5",
            "-0.5",
            "1.5",
            "0.0",
            "-0.0::float8",
            "'NaN'::float8",
            "1e300",
            "'-Infinity'::float8",
            "3000000000",
            "'a'",
            "'ab'",
            "''",
        ];
        let columns = ["a", "b", "f", "n", "t", "v"];
        let ops = ["=", "<", "<=", ">", ">="];
        let mut checked = 0;
        for col in columns {
            let text = matches!(col, "t" | "v");
            let fits = |o: &&str| {
                let quoted = o.starts_with('\'') && !o.contains("::");
                *o == "NULL" || quoted == text
            };
            let mine: Vec<&str> = operands.iter().copied().filter(|o| fits(o)).collect();
            let mut preds = Vec::new();
            for op in ops {
                for o in &mine {
                    preds.push(format!("{col} {op} {o}"));
                }
            }
            preds.push(format!("{col} IN ({})", mine.join(", ")));
            for (lo, hi) in mine.iter().zip(mine.iter().rev()) {
                preds.push(format!("{col} BETWEEN {lo} AND {hi}"));
            }
            for p in preds {
                for extra in ["", " AND a = 1", " AND a >= 0 AND b < 2", " AND n = 2"] {
                    let q = |table: &str| format!("SELECT * FROM {table} WHERE {p}{extra}");
                    let keyed = sorted(run(&mut s, &q("k")));
                    let plain = sorted(run(&mut s, &q("u")));
                    assert_eq!(keyed, plain, "{}", q("k"));
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        let plan = format!(
            "{:?}",
            run(&mut s, "EXPLAIN SELECT * FROM k WHERE n = 2 AND t > ''")
        );
        assert!(plan.contains("Index Scan using k_n_t"), "{plan}");
        // The same through an index join, both ways round.
        for col in ["a", "f", "n", "v"] {
            let q = format!(
                "SELECT * FROM (SELECT * FROM u WHERE b = 1) x JOIN k ON k.{col} = x.{col}"
            );
            let keyed = sorted(run(&mut s, &q));
            let plain = sorted(run(&mut s, &q.replace("JOIN k ON k.", "JOIN u y ON y.")));
            assert_eq!(keyed, plain, "{q}");
        }
    }
}
