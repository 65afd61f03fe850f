//! Hash joins beyond `work_mem`: partitioned (a "grace" hash join).
//!
//! A hash join reads its right input into a hash table. If the table outgrows `work_mem`
//! (times 2, PostgreSQL's default `hash_mem_multiplier`), the join switches to partitions:
//! the right rows (those read so far, then the rest) are written to [`PARTITIONS`] spill
//! partitions by the hash of their key, then the left rows the same way. Rows with equal keys land in the same partition, so the join is the union
//! of the joins of each partition pair, which run one after another as ordinary hash joins,
//! each within `work_mem` again (a partition that is still too large is partitioned again
//! with the hash mixed with the depth, up to [`MAX_DEPTH`] times, after which it is held in
//! memory whatever its size).
//!
//! A NULL key matches nothing, so rows with one go to no partition; what the join kind
//! makes of them is settled directly: an unmatched left row of a LEFT or FULL join comes out
//! padded with NULLs, and one of an anti join as it is (both after the partitions); an
//! unmatched right row of a RIGHT or FULL join comes out padded at the end. For NOT IN's
//! null-aware anti join, a NULL on the right means no row comes out at all, and a NULL on
//! the left (the right side being non-empty here) rejects that row.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::error::Result;
use crate::exec::{Context, Executor, HashKey, JoinExec, eval};
use crate::plan::{Expr, JoinKind};
use crate::spill::{PartitionReader, PartitionWriter};
use crate::storage::Row;
use crate::types::Value;

/// How many partitions a join that overflows spills into.
pub const PARTITIONS: usize = 16;

/// How many times a join's rows may be partitioned.
pub const MAX_DEPTH: usize = 4;

/// What a join does, apart from its inputs.
#[derive(Clone, Debug)]
pub struct JoinSpec {
    /// Columns of a left row.
    pub left_width: usize,
    /// Columns of a right row.
    pub right_width: usize,
    /// How unmatched rows are treated.
    pub kind: JoinKind,
    /// Key expressions over the left row.
    pub left_keys: Vec<Expr>,
    /// Key expressions over the right row.
    pub right_keys: Vec<Expr>,
    /// A further condition over the joined row.
    pub condition: Option<Expr>,
    /// How many times the rows were partitioned already.
    pub depth: usize,
}

/// Evaluates `keys` over `row`: `None` if one is NULL.
fn key(keys: &[Expr], row: &Row, ctx: &mut Context) -> Result<Option<HashKey>> {
    let values: Vec<Value> = keys
        .iter()
        .map(|e| eval(e, row, ctx))
        .collect::<Result<_>>()?;
    Ok((!values.iter().any(Value::is_null)).then_some(HashKey(values)))
}

fn partition(key: &HashKey, depth: usize) -> usize {
    let mut h = DefaultHasher::new();
    depth.hash(&mut h);
    key.hash(&mut h);
    (h.finish() % PARTITIONS as u64) as usize
}

/// The rows of a join whose right side outgrew `work_mem` after `loaded` rows were read:
/// both inputs are partitioned and the partitions joined in turn.
pub(crate) fn partitioned(
    mut left: Box<dyn Executor>,
    mut right: Box<dyn Executor>,
    loaded: Vec<Row>,
    spec: JoinSpec,
    ctx: &mut Context,
) -> Result<Box<dyn Executor>> {
    let kind = spec.kind;
    // Partition PARTITIONS holds the rows with a NULL key that come out unmatched.
    let mut rights = PartitionWriter::new(PARTITIONS + 1)?;
    let mut right_null = false;
    let mut pending = loaded.into_iter();
    loop {
        let row = match pending.next() {
            Some(row) => row,
            None => match right.next(ctx)? {
                Some(row) => row,
                None => break,
            },
        };
        match key(&spec.right_keys, &row, ctx)? {
            Some(k) => rights.push(partition(&k, spec.depth), row)?,
            None => {
                right_null = true;
                if matches!(kind, JoinKind::Right | JoinKind::Full) {
                    rights.push(PARTITIONS, row)?;
                }
            }
        }
    }
    if kind == JoinKind::NullAwareAnti && right_null {
        // NOT IN over a set holding NULL is never true.
        return Ok(Box::new(Partitions::empty(spec)));
    }
    let mut lefts = PartitionWriter::new(PARTITIONS + 1)?;
    while let Some(row) = left.next(ctx)? {
        match key(&spec.left_keys, &row, ctx)? {
            Some(k) => lefts.push(partition(&k, spec.depth), row)?,
            None => {
                if matches!(kind, JoinKind::Left | JoinKind::Full | JoinKind::Anti) {
                    lefts.push(PARTITIONS, row)?;
                }
            }
        }
    }
    let mut pairs: Vec<(PartitionReader, PartitionReader)> =
        lefts.finish()?.into_iter().zip(rights.finish()?).collect();
    let (null_left, null_right) = pairs.pop().expect("PARTITIONS + 1 partitions");
    Ok(Box::new(Partitions {
        pairs: pairs.into_iter(),
        current: None,
        null_left: Some(null_left),
        null_right: Some(null_right),
        spec,
    }))
}

/// Joins partition pairs one after another, then emits the rows with NULL keys.
struct Partitions {
    pairs: std::vec::IntoIter<(PartitionReader, PartitionReader)>,
    current: Option<JoinExec>,
    null_left: Option<PartitionReader>,
    null_right: Option<PartitionReader>,
    spec: JoinSpec,
}

impl Partitions {
    fn empty(spec: JoinSpec) -> Partitions {
        Partitions {
            pairs: Vec::new().into_iter(),
            current: None,
            null_left: None,
            null_right: None,
            spec,
        }
    }
}

/// An executor over the rows of a spilled partition.
struct Spilled(PartitionReader);

impl Executor for Spilled {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        ctx.check_cancel()?;
        self.0.read()
    }
}

impl Executor for Partitions {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        loop {
            if let Some(join) = &mut self.current {
                if let Some(row) = join.next(ctx)? {
                    return Ok(Some(row));
                }
                self.current = None;
            }
            let Some((l, r)) = self.pairs.next() else {
                break;
            };
            let spec = JoinSpec {
                depth: self.spec.depth + 1,
                ..self.spec.clone()
            };
            self.current = Some(JoinExec::over(
                Box::new(Spilled(l)),
                Box::new(Spilled(r)),
                spec,
            ));
        }
        if let Some(reader) = &mut self.null_left {
            match reader.read()? {
                Some(row) if self.spec.kind == JoinKind::Anti => return Ok(Some(row)),
                Some(mut row) => {
                    row.extend(std::iter::repeat_n(Value::Null, self.spec.right_width));
                    return Ok(Some(row));
                }
                None => self.null_left = None,
            }
        }
        if let Some(reader) = &mut self.null_right {
            match reader.read()? {
                Some(row) => {
                    let mut padded = vec![Value::Null; self.spec.left_width];
                    padded.extend(row);
                    return Ok(Some(padded));
                }
                None => self.null_right = None,
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use parking_lot::Mutex;

    use super::*;
    use crate::exec::collect;
    use crate::plan::Node;
    use crate::session::Database;
    use crate::settings::Variables;
    use crate::types::{BinaryOp, Settings};

    /// `n` rows (key, id, padding): keys repeat, every 17th is NULL.
    fn values(n: i32, step: i32) -> Node {
        Node::Values {
            rows: (0..n)
                .map(|i| {
                    let key = if i % 17 == 0 {
                        Value::Null
                    } else {
                        Value::Int4((i * step) % 700)
                    };
                    vec![
                        Expr::Literal(key),
                        Expr::Literal(Value::Int4(i)),
                        Expr::Literal(Value::Text(format!("padding {i:>40}"))),
                    ]
                })
                .collect(),
        }
    }

    fn run(node: &Node, work_mem: &str) -> Vec<String> {
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
        let mut rows: Vec<String> = collect(node, &mut ctx)
            .unwrap()
            .iter()
            .map(|r| format!("{r:?}"))
            .collect();
        rows.sort();
        rows
    }

    #[test]
    fn every_join_kind_spills_to_the_same_rows() {
        for kind in [
            JoinKind::Inner,
            JoinKind::Left,
            JoinKind::Right,
            JoinKind::Full,
            JoinKind::Semi,
            JoinKind::Anti,
            JoinKind::NullAwareAnti,
        ] {
            for residual in [false, true] {
                let node = Node::HashJoin {
                    left: Box::new(values(1500, 7)),
                    right: Box::new(values(2500, 3)),
                    kind,
                    left_keys: vec![Expr::Column(0)],
                    right_keys: vec![Expr::Column(0)],
                    // The ids' parity must agree: some key matches fail the condition.
                    residual: residual.then(|| {
                        Expr::Binary(
                            BinaryOp::Eq,
                            Box::new(Expr::Binary(
                                BinaryOp::Modulo,
                                Box::new(Expr::Column(1)),
                                Box::new(Expr::Literal(Value::Int4(2))),
                            )),
                            Box::new(Expr::Binary(
                                BinaryOp::Modulo,
                                Box::new(Expr::Column(4)),
                                Box::new(Expr::Literal(Value::Int4(2))),
                            )),
                        )
                    }),
                };
                let in_memory = run(&node, "64MB");
                let spilled = run(&node, "64kB");
                assert!(
                    in_memory == spilled,
                    "{kind:?} (residual {residual}): {} rows in memory, {} spilled",
                    in_memory.len(),
                    spilled.len()
                );
                if kind != JoinKind::NullAwareAnti {
                    assert!(!in_memory.is_empty(), "{kind:?}");
                }
            }
        }
    }
}
