//! Hash aggregation within `work_mem`.
//!
//! Groups are kept in a hash table in the order they are first seen. While the table fits
//! in `work_mem` (times 2, PostgreSQL's default `hash_mem_multiplier`) every row either
//! feeds its group or starts a new one. Once it is full, a row of a group already in the
//! table still feeds it, but a row of a new group is written, whole, to one of
//! [`PARTITIONS`] spill partitions chosen by the hash of its group key (as PostgreSQL 13
//! does). When the input ends the table's groups are finished and returned, the table is
//! dropped, and each partition is aggregated the same way, with the hash mixed with the
//! depth so that a partition that spills again splits differently. Every pass finishes at
//! least one group, so the process ends; rows of one group always meet in the same
//! partition, so each group is computed whole.
//!
//! Only the group keys and accumulators are counted against `work_mem`, not what an
//! accumulator gathers (`array_agg`, `string_agg`, DISTINCT aggregates).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::aggregate::Accumulator;
use crate::error::Result;
use crate::exec::{Context, Executor, HashKey, eval};
use crate::plan::{Aggregate, Expr};
use crate::spill::{PartitionReader, PartitionWriter, hash_mem, row_size};
use crate::storage::Row;

/// How many partitions a pass that overflows spills into.
pub const PARTITIONS: usize = 8;

/// Passes deeper than this ignore the limit (a safeguard; each pass finishes a group).
const MAX_DEPTH: usize = 16;

/// Where a pass reads its rows.
enum Source<'a> {
    Input(&'a mut dyn Executor),
    Spilled(PartitionReader),
}

impl Source<'_> {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        match self {
            Source::Input(e) => e.next(ctx),
            Source::Spilled(r) => r.read(),
        }
    }
}

/// Groups `input` by `group_by` and computes `aggregates`: each output row is the group's
/// values followed by the aggregates' results.
pub fn aggregate(
    input: &mut dyn Executor,
    group_by: &[Expr],
    aggregates: &[Aggregate],
    ctx: &mut Context,
) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    pass(Source::Input(input), group_by, aggregates, ctx, 0, &mut out)?;
    // Without GROUP BY there is exactly one group, even over no rows.
    if group_by.is_empty() && out.is_empty() {
        let mut row = Vec::new();
        for agg in aggregates {
            row.push(Accumulator::new(agg).finish(agg, ctx.settings)?);
        }
        out.push(row);
    }
    Ok(out)
}

fn pass(
    mut source: Source,
    group_by: &[Expr],
    aggregates: &[Aggregate],
    ctx: &mut Context,
    depth: usize,
    out: &mut Vec<Row>,
) -> Result<()> {
    let limit = hash_mem(ctx);
    let mut used = 0usize;
    let mut groups: HashMap<HashKey, Vec<Accumulator>> = HashMap::new();
    let mut order: Vec<HashKey> = Vec::new();
    let mut spill: Option<PartitionWriter> = None;
    while let Some(row) = source.next(ctx)? {
        let key = HashKey(
            group_by
                .iter()
                .map(|e| eval(e, &row, ctx))
                .collect::<Result<_>>()?,
        );
        let accs = match groups.get_mut(&key) {
            Some(accs) => accs,
            None => {
                // The group's key twice (table and order) and its accumulators.
                let cost = 2 * row_size(&key.0) + aggregates.len() * size_of::<Accumulator>();
                if used + cost > limit && !order.is_empty() && depth < MAX_DEPTH {
                    let mut h = DefaultHasher::new();
                    depth.hash(&mut h);
                    key.hash(&mut h);
                    let part = (h.finish() % PARTITIONS as u64) as usize;
                    if spill.is_none() {
                        spill = Some(PartitionWriter::new(PARTITIONS)?);
                    }
                    spill.as_mut().expect("created above").push(part, row)?;
                    continue;
                }
                used += cost;
                order.push(key.clone());
                groups
                    .entry(key)
                    .or_insert_with(|| aggregates.iter().map(Accumulator::new).collect())
            }
        };
        for (acc, agg) in accs.iter_mut().zip(aggregates) {
            acc.feed(agg, &row, ctx)?;
        }
    }
    for key in order {
        let Some(accs) = groups.remove(&key) else {
            continue;
        };
        let mut row = key.0;
        for (acc, agg) in accs.iter().zip(aggregates) {
            row.push(acc.finish(agg, ctx.settings)?);
        }
        out.push(row);
    }
    drop(groups);
    if let Some(spill) = spill {
        for reader in spill.finish()? {
            ctx.check_cancel()?;
            pass(
                Source::Spilled(reader),
                group_by,
                aggregates,
                ctx,
                depth + 1,
                out,
            )?;
        }
    }
    Ok(())
}
