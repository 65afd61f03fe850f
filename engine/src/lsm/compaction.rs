//! Leveled compaction: the policy, a pure function from the tree's shape to a task, and the
//! merge that carries a task out.
//!
//! Level 0 holds whole flushed memtables, which overlap one another; every deeper level is a
//! sorted run of non-overlapping tables, each level about `level_multiplier` times larger than
//! the one above. A level is scored by how far it is over its budget (level 0 by table count,
//! deeper levels by bytes); the most urgent level over budget is compacted into the next:
//!
//! ```text
//!   L0  [a..z] [c..m] [b..y]            all of L0 ──┐
//!   L1  [a..f] [g..p] [q..z]        overlapping L1 ─┴─> merge ─> new L1 tables
//!   L2  [a..c] [d..h] [i..n] [o..z]
//! ```
//!
//! From a deeper level one table is chosen, the one whose overlap with the next level is
//! smallest for its size (the least rewriting per byte moved down). A table that overlaps
//! nothing below is moved by a manifest edit alone. When nothing lies below the output, the
//! compaction is at the bottom: point tombstones and range tombstones have nothing left to
//! hide and are dropped. Versions hidden by a newer version or by a range tombstone are
//! always dropped: engine readers see a tree through an immutable snapshot, so no reader
//! needs an overwritten version of a table that is being replaced.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::iter::{MergeIter, Source, covered};
use super::table::{RangeTombstone, Table, TableBuilder, TableMeta, TableOptions};
use crate::engine::KeyRange;
use crate::error::Result;

/// The knobs of the policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Level 0 is compacted when it holds this many tables.
    pub l0_trigger: usize,
    /// The byte budget of level 1.
    pub base_level_bytes: u64,
    /// Each level's budget is this many times the one above.
    pub level_multiplier: u64,
    /// Number of levels, level 0 included.
    pub max_levels: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            l0_trigger: 4,
            base_level_bytes: 64 << 20,
            level_multiplier: 10,
            max_levels: 7,
        }
    }
}

impl Policy {
    /// The byte budget of `level` (1 or deeper).
    pub fn level_budget(&self, level: usize) -> u64 {
        let exp = u32::try_from(level.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base_level_bytes
            .saturating_mul(self.level_multiplier.saturating_pow(exp))
    }

    /// How urgent compacting `level` is: 1.0 or more means over budget.
    pub fn score(&self, levels: &[Vec<TableMeta>], level: usize) -> f64 {
        let tables = levels.get(level).map_or(&[][..], Vec::as_slice);
        if level == 0 {
            tables.len() as f64 / self.l0_trigger.max(1) as f64
        } else {
            tables.iter().map(|t| t.file_size).sum::<u64>() as f64
                / self.level_budget(level).max(1) as f64
        }
    }
}

/// A compaction to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The level compacted.
    pub level: usize,
    /// Tables of `level` taken.
    pub inputs: Vec<u64>,
    /// The level written: `level + 1`.
    pub output_level: usize,
    /// Tables of the output level that overlap the inputs and are merged with them.
    pub overlapping: Vec<u64>,
    /// Nothing below the output level overlaps: tombstones can be dropped.
    pub bottom: bool,
    /// The single input moves down by a manifest edit, without being rewritten.
    pub trivial_move: bool,
}

fn span(tables: &[&TableMeta]) -> Option<(Vec<u8>, Vec<u8>)> {
    let smallest = tables.iter().map(|t| &t.smallest).min()?.clone();
    let largest = tables.iter().map(|t| &t.largest).max()?.clone();
    Some((smallest, largest))
}

fn overlapping<'a>(level: &'a [TableMeta], smallest: &[u8], largest: &[u8]) -> Vec<&'a TableMeta> {
    level
        .iter()
        .filter(|t| t.smallest.as_slice() <= largest && t.largest.as_slice() >= smallest)
        .collect()
}

/// Chooses the next compaction for a tree whose levels hold `levels` (level 0 in any order,
/// deeper levels sorted by key), or `None` if every level is within budget.
pub fn pick(levels: &[Vec<TableMeta>], policy: &Policy) -> Option<Task> {
    let last = policy.max_levels.saturating_sub(1);
    let (level, score) = (0..last)
        .map(|l| (l, policy.score(levels, l)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    if score < 1.0 {
        return None;
    }
    let empty = Vec::new();
    let this = levels.get(level).unwrap_or(&empty);
    let next = levels.get(level + 1).unwrap_or(&empty);
    let chosen: Vec<&TableMeta> = if level == 0 {
        this.iter().collect()
    } else {
        // The table that rewrites the fewest bytes of the next level per byte it moves down.
        let best = this.iter().min_by(|a, b| {
            let ratio = |t: &TableMeta| {
                let below: u64 = overlapping(next, &t.smallest, &t.largest)
                    .iter()
                    .map(|o| o.file_size)
                    .sum();
                below as f64 / t.file_size.max(1) as f64
            };
            ratio(a)
                .total_cmp(&ratio(b))
                .then_with(|| a.smallest.cmp(&b.smallest))
        })?;
        vec![best]
    };
    task_for(levels, level, &chosen)
}

/// The task that moves every table of `level` into the next level, whatever the budgets say
/// (a manual full compaction runs this level by level), or `None` if the level is empty.
pub fn whole_level(levels: &[Vec<TableMeta>], level: usize) -> Option<Task> {
    let chosen: Vec<&TableMeta> = levels.get(level)?.iter().collect();
    task_for(levels, level, &chosen)
}

fn task_for(levels: &[Vec<TableMeta>], level: usize, chosen: &[&TableMeta]) -> Option<Task> {
    let empty = Vec::new();
    let next = levels.get(level + 1).unwrap_or(&empty);
    let (smallest, largest) = span(chosen)?;
    let below = overlapping(next, &smallest, &largest);
    let mut all = chosen.to_vec();
    all.extend(below.iter().copied());
    let (lo, hi) = span(&all)?;
    let bottom = levels
        .iter()
        .skip(level + 2)
        .all(|l| overlapping(l, &lo, &hi).is_empty());
    let trivial_move =
        chosen.len() == 1 && below.is_empty() && !(bottom && chosen[0].range_tombstones > 0);
    Some(Task {
        level,
        inputs: chosen.iter().map(|t| t.id).collect(),
        output_level: level + 1,
        overlapping: below.iter().map(|t| t.id).collect(),
        bottom,
        trivial_move,
    })
}

/// Limits the bytes per second a compaction reads, so that it does not starve foreground
/// reads and writes of disk bandwidth.
pub struct RateLimiter {
    bytes_per_sec: Option<u64>,
    start: Instant,
    bytes: u64,
}

impl RateLimiter {
    /// A limiter at `bytes_per_sec` (`None`: unlimited).
    pub fn new(bytes_per_sec: Option<u64>) -> Self {
        RateLimiter {
            bytes_per_sec,
            start: Instant::now(),
            bytes: 0,
        }
    }

    /// Accounts for `bytes` and sleeps as long as the work is ahead of the rate.
    pub fn consume(&mut self, bytes: u64) {
        let Some(rate) = self.bytes_per_sec.filter(|r| *r > 0) else {
            return;
        };
        self.bytes += bytes;
        let due = Duration::from_secs_f64(self.bytes as f64 / rate as f64);
        if let Some(ahead) = due.checked_sub(self.start.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
}

/// Where compaction output goes.
pub struct Output<'a> {
    /// The directory of the tables.
    pub dir: &'a Path,
    /// Options of the new tables.
    pub options: &'a TableOptions,
    /// Output tables are cut at about this many bytes.
    pub target_file_size: usize,
    /// Hands out file numbers.
    pub next_id: &'a mut dyn FnMut() -> u64,
}

/// Merges `inputs` (newest data first is not required: versions are ordered by sequence
/// number) into new tables, keeping the newest version of each key, dropping what range
/// tombstones hide, and at the `bottom` dropping the tombstones themselves.
pub fn merge(
    inputs: &[Arc<Table>],
    bottom: bool,
    mut out: Output,
    limiter: &mut RateLimiter,
) -> Result<Vec<TableMeta>> {
    let mut tombstones: Vec<RangeTombstone> = inputs
        .iter()
        .flat_map(|t| t.range_tombstones().iter().cloned())
        .collect();
    tombstones.sort_by(|a, b| a.start.cmp(&b.start).then(b.seq.cmp(&a.seq)));
    let sources: Vec<Source> = inputs
        .iter()
        .map(|t| Box::new(t.iter(KeyRange::all(), false)) as Source)
        .collect();
    let mut outputs = Vec::new();
    let mut builder = TableBuilder::new(out.options.clone());
    // Keys below `lower` went to earlier outputs (their tombstone pieces too).
    let mut lower: Option<Vec<u8>> = None;
    let mut since_limit = 0u64;
    for entry in MergeIter::new(sources, false) {
        let entry = entry?;
        let size = (entry.key.len() + entry.value.as_ref().map_or(0, Vec::len)) as u64;
        since_limit += size;
        if since_limit >= 256 << 10 {
            limiter.consume(since_limit);
            since_limit = 0;
        }
        if covered(&tombstones, &entry.key, entry.seq) || (bottom && entry.value.is_none()) {
            continue;
        }
        if builder.estimated_size() >= out.target_file_size {
            let upper = entry.key.clone();
            let full = std::mem::replace(&mut builder, TableBuilder::new(out.options.clone()));
            outputs.extend(finish(
                full,
                &tombstones,
                bottom,
                lower.as_deref(),
                Some(&upper),
                &mut out,
            )?);
            lower = Some(upper);
        }
        builder.add(&entry.key, entry.seq, entry.value.as_deref())?;
    }
    limiter.consume(since_limit);
    outputs.extend(finish(
        builder,
        &tombstones,
        bottom,
        lower.as_deref(),
        None,
        &mut out,
    )?);
    Ok(outputs)
}

/// Adds the pieces of `tombstones` that fall in `[lower, upper)` and writes the table.
/// Returns `None` (and writes nothing) if the table would be empty.
fn finish(
    mut builder: TableBuilder,
    tombstones: &[RangeTombstone],
    bottom: bool,
    lower: Option<&[u8]>,
    upper: Option<&[u8]>,
    out: &mut Output,
) -> Result<Option<TableMeta>> {
    if !bottom {
        for t in tombstones {
            let start = match lower {
                Some(l) if l > t.start.as_slice() => l.to_vec(),
                _ => t.start.clone(),
            };
            let end = match upper {
                Some(u) if u < t.end.as_slice() => u.to_vec(),
                _ => t.end.clone(),
            };
            if start < end {
                builder.add_range_tombstone(RangeTombstone {
                    start,
                    end,
                    seq: t.seq,
                });
            }
        }
    }
    if builder.is_empty() {
        return Ok(None);
    }
    let id = (out.next_id)();
    builder
        .finish(id, &super::table_path(out.dir, id))
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: u64, lo: &str, hi: &str, size: u64) -> TableMeta {
        TableMeta {
            id,
            file_size: size,
            smallest: lo.as_bytes().to_vec(),
            largest: hi.as_bytes().to_vec(),
            min_seq: id,
            max_seq: id,
            entries: 1,
            range_tombstones: 0,
            data_bytes: size,
        }
    }

    fn policy() -> Policy {
        Policy {
            l0_trigger: 2,
            base_level_bytes: 100,
            level_multiplier: 10,
            max_levels: 4,
        }
    }

    #[test]
    fn nothing_to_do_within_budget() {
        let levels = vec![vec![t(1, "a", "z", 10)], vec![t(2, "a", "m", 50)]];
        assert_eq!(pick(&levels, &policy()), None);
        assert_eq!(pick(&[], &policy()), None);
    }

    #[test]
    fn level0_takes_all_tables_and_the_overlapping_ones_below() {
        let levels = vec![
            vec![t(5, "c", "f", 10), t(6, "e", "h", 10)],
            vec![
                t(1, "a", "b", 10),
                t(2, "d", "e", 10),
                t(3, "g", "k", 10),
                t(4, "m", "p", 10),
            ],
        ];
        let task = pick(&levels, &policy()).unwrap();
        assert_eq!(task.level, 0);
        assert_eq!(task.inputs, vec![5, 6]);
        assert_eq!(task.overlapping, vec![2, 3]);
        assert!(task.bottom);
        assert!(!task.trivial_move);
    }

    #[test]
    fn deeper_level_picks_least_overlap_and_knows_the_bottom() {
        let levels = vec![
            vec![],
            vec![t(1, "a", "c", 60), t(2, "d", "f", 60)],
            vec![t(3, "a", "b", 500), t(4, "e", "e", 10)],
            vec![t(5, "a", "a", 1)],
        ];
        let task = pick(&levels, &policy()).unwrap();
        assert_eq!((task.level, task.output_level), (1, 2));
        assert_eq!(task.inputs, vec![2]);
        assert_eq!(task.overlapping, vec![4]);
        assert!(task.bottom, "level 3 does not overlap d..f");
        let mut levels = levels;
        levels[3].push(t(6, "f", "g", 1));
        assert!(!pick(&levels, &policy()).unwrap().bottom);
    }

    #[test]
    fn trivial_move_when_nothing_overlaps() {
        let levels = vec![vec![], vec![t(1, "a", "c", 150)], vec![t(2, "x", "z", 10)]];
        let task = pick(&levels, &policy()).unwrap();
        assert!(task.trivial_move);
        assert!(task.overlapping.is_empty());
    }

    #[test]
    fn the_last_level_is_never_compacted_down() {
        let levels = vec![vec![], vec![], vec![], vec![t(1, "a", "z", 1 << 40)]];
        assert_eq!(pick(&levels, &policy()), None);
    }
}
