//! `DISTINCT` and the set operations (UNION, INTERSECT, EXCEPT, with or without ALL) within
//! `work_mem`.
//!
//! `UNION ALL` streams its left input, then its right one. `DISTINCT` and `UNION` stream too:
//! a row comes out the first time it is seen, and a hash set of the rows seen so far drops
//! the rest. While the set fits in `work_mem` (times 2, as for hash aggregation) every new
//! row joins it; once it is full it is frozen: a row already in it is still dropped, but a
//! new row is written to one of [`PARTITIONS`] spill partitions chosen by its hash (mixed
//! with the depth, so that a partition that spills again splits differently). When the input
//! ends the set is dropped and each partition is made distinct the same way. All copies of a
//! row meet in the same partition and none of them came out before, so each distinct row
//! comes out exactly once.
//!
//! `INTERSECT` and `EXCEPT` count each distinct row's copies on either side in a hash table
//! (the left input is read first), then return each row as many times as the operation says:
//! once or `min(left, right)` times for INTERSECT [ALL], once or `left - right` times for
//! EXCEPT [ALL]. A table that outgrows the limit freezes the same way, and the left and
//! right rows of the keys not in it go to partitions (tagged with their side; within a
//! partition the left rows still come first), which are counted one after another.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::error::{Error, Result};
use crate::exec::{Context, Executor, HashKey};
use crate::plan::SetOpKind;
use crate::spill::{PartitionReader, PartitionWriter, hash_mem, row_size};
use crate::storage::Row;
use crate::types::Value;

/// How many partitions a pass that overflows spills into.
pub const PARTITIONS: usize = 8;

/// Passes deeper than this ignore the limit (a safeguard: rows equal in every column cannot
/// be split by hashing).
const MAX_DEPTH: usize = 8;

/// The memory a distinct row costs in a hash set or table, beyond its values.
const ENTRY_OVERHEAD: usize = 32;

fn partition(key: &HashKey, depth: usize) -> usize {
    let mut h = DefaultHasher::new();
    depth.hash(&mut h);
    key.hash(&mut h);
    (h.finish() % PARTITIONS as u64) as usize
}

/// The rows of a pass: an executor's, or a spilled partition's.
enum Source {
    Input(Box<dyn Executor>),
    Spilled(PartitionReader),
}

impl Source {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        match self {
            Source::Input(e) => e.next(ctx),
            Source::Spilled(r) => {
                ctx.check_cancel()?;
                r.read()
            }
        }
    }
}

/// The rows of one input, then of another (`UNION ALL`).
pub struct ChainExec {
    first: Option<Box<dyn Executor>>,
    second: Box<dyn Executor>,
}

impl ChainExec {
    /// `first`'s rows, then `second`'s.
    pub fn new(first: Box<dyn Executor>, second: Box<dyn Executor>) -> Self {
        ChainExec {
            first: Some(first),
            second,
        }
    }
}

impl Executor for ChainExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        if let Some(first) = &mut self.first {
            if let Some(row) = first.next(ctx)? {
                return Ok(Some(row));
            }
            self.first = None;
        }
        self.second.next(ctx)
    }
}

/// Each distinct row of its input once, streaming, spilling beyond `work_mem` (see the
/// module documentation).
pub struct DistinctExec {
    source: Source,
    depth: usize,
    seen: HashSet<HashKey>,
    used: usize,
    spill: Option<PartitionWriter>,
    /// Partitions still to make distinct, with their depth.
    pending: VecDeque<(PartitionReader, usize)>,
}

impl DistinctExec {
    /// The distinct rows of `input`.
    pub fn new(input: Box<dyn Executor>) -> Self {
        DistinctExec {
            source: Source::Input(input),
            depth: 0,
            seen: HashSet::new(),
            used: 0,
            spill: None,
            pending: VecDeque::new(),
        }
    }
}

impl Executor for DistinctExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            let Some(row) = self.source.next(ctx)? else {
                // The pass is over: on to the next partition.
                self.seen = HashSet::new();
                self.used = 0;
                if let Some(spill) = self.spill.take() {
                    let depth = self.depth + 1;
                    self.pending
                        .extend(spill.finish()?.into_iter().map(|r| (r, depth)));
                }
                let Some((reader, depth)) = self.pending.pop_front() else {
                    return Ok(None);
                };
                self.source = Source::Spilled(reader);
                self.depth = depth;
                continue;
            };
            let key = HashKey(row);
            if self.seen.contains(&key) {
                continue;
            }
            let cost = row_size(&key.0) + ENTRY_OVERHEAD;
            if self.spill.is_some()
                || (self.used + cost > hash_mem(ctx)
                    && !self.seen.is_empty()
                    && self.depth < MAX_DEPTH)
            {
                let part = partition(&key, self.depth);
                if self.spill.is_none() {
                    self.spill = Some(PartitionWriter::new(PARTITIONS)?);
                }
                if let Some(spill) = &mut self.spill {
                    spill.push(part, key.0)?;
                }
                continue;
            }
            self.used += cost;
            let row = key.0.clone();
            self.seen.insert(key);
            return Ok(Some(row));
        }
    }
}

/// Where an INTERSECT or EXCEPT pass reads its rows, each with its side (true: left).
enum Sides {
    Inputs {
        left: Option<Box<dyn Executor>>,
        right: Box<dyn Executor>,
    },
    Spilled(PartitionReader),
}

impl Sides {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<(Row, bool)>> {
        match self {
            Sides::Inputs { left, right } => {
                if let Some(l) = left {
                    if let Some(row) = l.next(ctx)? {
                        return Ok(Some((row, true)));
                    }
                    *left = None;
                }
                Ok(right.next(ctx)?.map(|row| (row, false)))
            }
            Sides::Spilled(reader) => {
                ctx.check_cancel()?;
                let Some(mut row) = reader.read()? else {
                    return Ok(None);
                };
                match row.pop() {
                    Some(Value::Bool(left)) => Ok(Some((row, left))),
                    _ => Err(Error::internal(
                        "spilled set operation row without its side",
                    )),
                }
            }
        }
    }
}

/// INTERSECT and EXCEPT, with or without ALL (UNION is [`ChainExec`] under a
/// [`DistinctExec`] or alone).
pub struct SetOpExec {
    intersect: bool,
    all: bool,
    /// The inputs, until the first pass reads them.
    inputs: Option<Sides>,
    /// Rows to return, each with how many times.
    output: VecDeque<(Row, u64)>,
    /// Partitions still to count, with their depth.
    pending: VecDeque<(PartitionReader, usize)>,
}

impl SetOpExec {
    /// `left INTERSECT right` or `left EXCEPT right` (`op` is not UNION).
    pub fn new(
        op: SetOpKind,
        all: bool,
        left: Box<dyn Executor>,
        right: Box<dyn Executor>,
    ) -> Self {
        SetOpExec {
            intersect: op == SetOpKind::Intersect,
            all,
            inputs: Some(Sides::Inputs {
                left: Some(left),
                right,
            }),
            output: VecDeque::new(),
            pending: VecDeque::new(),
        }
    }

    /// How many copies of a row with `left` and `right` copies come out.
    fn copies(&self, left: u64, right: u64) -> u64 {
        match (self.intersect, self.all) {
            (true, true) => left.min(right),
            (true, false) => u64::from(left > 0 && right > 0),
            (false, true) => left.saturating_sub(right),
            (false, false) => u64::from(left > 0 && right == 0),
        }
    }

    /// Counts the rows of one pass into the output, spilling what does not fit.
    fn pass(&mut self, mut sides: Sides, depth: usize, ctx: &mut Context) -> Result<()> {
        let limit = hash_mem(ctx);
        let mut used = 0;
        let mut index: HashMap<HashKey, usize> = HashMap::new();
        let mut counts: Vec<(u64, u64)> = Vec::new();
        let mut spill: Option<PartitionWriter> = None;
        while let Some((row, left)) = sides.next(ctx)? {
            let key = HashKey(row);
            if let Some(&i) = index.get(&key) {
                let (l, r) = &mut counts[i];
                *if left { l } else { r } += 1;
                continue;
            }
            // Left rows come first: a right row of a key not counted is either spilled
            // with its key's left rows or has none.
            let cost = row_size(&key.0) + ENTRY_OVERHEAD;
            let full =
                spill.is_some() || (used + cost > limit && !counts.is_empty() && depth < MAX_DEPTH);
            if full {
                let part = partition(&key, depth);
                let writer = match &mut spill {
                    Some(w) => w,
                    None => spill.insert(PartitionWriter::new(PARTITIONS)?),
                };
                let mut row = key.0;
                row.push(Value::Bool(left));
                writer.push(part, row)?;
            } else if left {
                used += cost;
                index.insert(key, counts.len());
                counts.push((1, 0));
            }
        }
        let mut rows: Vec<Option<Row>> = vec![None; counts.len()];
        for (key, i) in index {
            rows[i] = Some(key.0);
        }
        for (row, (l, r)) in rows.into_iter().zip(counts) {
            let n = self.copies(l, r);
            if let Some(row) = row
                && n > 0
            {
                self.output.push_back((row, n));
            }
        }
        if let Some(spill) = spill {
            self.pending
                .extend(spill.finish()?.into_iter().map(|r| (r, depth + 1)));
        }
        Ok(())
    }
}

impl Executor for SetOpExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            if let Some((row, n)) = self.output.front_mut() {
                if *n > 1 {
                    *n -= 1;
                    return Ok(Some(row.clone()));
                }
                return Ok(self.output.pop_front().map(|(row, _)| row));
            }
            if let Some(inputs) = self.inputs.take() {
                self.pass(inputs, 0, ctx)?;
                continue;
            }
            let Some((reader, depth)) = self.pending.pop_front() else {
                return Ok(None);
            };
            self.pass(Sides::Spilled(reader), depth, ctx)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use parking_lot::Mutex;

    use super::*;
    use crate::exec::build;
    use crate::plan::{Expr, Node};
    use crate::session::Database;
    use crate::settings::Variables;
    use crate::types::Settings;

    /// `n` rows (key, padding) with `n / repeat` distinct keys.
    fn values(n: i32, repeat: i32) -> Node {
        Node::Values {
            rows: (0..n)
                .map(|i| {
                    let k = i % (n / repeat);
                    vec![
                        Expr::Literal(Value::Int4(k)),
                        Expr::Literal(Value::Text(format!("padding {k:>40}"))),
                    ]
                })
                .collect(),
        }
    }

    /// Runs the executor `make` builds under `work_mem`: its rows, sorted, and whether it
    /// spilled (as `spilled` tells after each row).
    fn run<T: Executor>(
        make: &dyn Fn() -> T,
        spilled: fn(&T) -> bool,
        work_mem: &str,
    ) -> (Vec<String>, bool) {
        let db = Database::memory().unwrap();
        let mut txn = db.begin().unwrap();
        let settings = Settings::default();
        let mut vars = Variables::default();
        vars.set("work_mem", Some(work_mem), false).unwrap();
        let mut ctx = Context::new(
            txn.as_mut(),
            &settings,
            &[],
            Arc::new(AtomicBool::new(false)),
        );
        ctx.vars = Some(Arc::new(Mutex::new(vars)));
        let mut exec = make();
        let mut rows = Vec::new();
        let mut did_spill = false;
        while let Some(row) = exec.next(&mut ctx).unwrap() {
            did_spill |= spilled(&exec);
            rows.push(format!("{row:?}"));
        }
        rows.sort();
        (rows, did_spill)
    }

    fn distinct_spilled(e: &DistinctExec) -> bool {
        e.spill.is_some() || e.depth > 0
    }

    fn set_op_spilled(e: &SetOpExec) -> bool {
        !e.pending.is_empty()
    }

    #[test]
    fn distinct_spills_to_the_same_rows() {
        let input = values(6000, 3);
        let make = || DistinctExec::new(build(&input));
        let (in_memory, spilled) = run(&make, distinct_spilled, "64MB");
        assert!(!spilled);
        assert_eq!(in_memory.len(), 2000);
        let (small, spilled) = run(&make, distinct_spilled, "64kB");
        assert!(spilled);
        assert!(small == in_memory);
    }

    #[test]
    fn intersect_and_except_spill_to_the_same_rows() {
        let (left, right) = (values(9000, 3), values(4000, 2));
        for op in [SetOpKind::Intersect, SetOpKind::Except] {
            for all in [false, true] {
                let make = || SetOpExec::new(op, all, build(&left), build(&right));
                let (in_memory, spilled) = run(&make, set_op_spilled, "64MB");
                assert!(!spilled);
                let (small, spilled) = run(&make, set_op_spilled, "64kB");
                assert!(spilled, "{op:?} {all}");
                assert!(small == in_memory, "{op:?} {all}");
                // Keys 0..3000 appear 3 times on the left, keys 0..2000 twice on the right.
                let expected = match (op, all) {
                    (SetOpKind::Intersect, false) => 2000,
                    (SetOpKind::Intersect, true) => 4000,
                    (_, false) => 1000,
                    _ => 2000 + 3 * 1000,
                };
                assert_eq!(in_memory.len(), expected, "{op:?} {all}");
            }
        }
    }
}
