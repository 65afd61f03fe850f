//! Nested loop joins within `work_mem`.
//!
//! A join with no equality to hash on reads its right input once into a [`RowStore`] (in
//! memory, or in a temporary file once it outgrows `work_mem`) and reads the store again
//! for every left row, checking the condition on each pair. Outer joins add the rows that
//! found no partner, padded with NULLs: an unmatched left row right after its pass, the
//! unmatched right rows (remembered by position) in a last pass after the left input ends.

use std::sync::Arc;

use crate::error::Result;
use crate::exec::{Context, Executor, eval, is_true};
use crate::plan::{Expr, JoinKind};
use crate::spill::{RowStore, StoreReader};
use crate::storage::Row;
use crate::types::Value;

/// A nested loop join of two running inputs.
pub struct NestedLoopExec {
    left: Box<dyn Executor>,
    /// The right input, until it is read into `store`.
    right: Option<Box<dyn Executor>>,
    store: Option<Arc<RowStore>>,
    left_width: usize,
    right_width: usize,
    kind: JoinKind,
    on: Option<Expr>,
    /// The left row being joined, and its pass over the right rows.
    current: Option<(Row, StoreReader)>,
    /// The position of the next right row of the pass.
    position: usize,
    matched: bool,
    /// Which right rows found a partner (RIGHT and FULL joins only).
    right_matched: Vec<bool>,
    /// The last pass, over the unmatched right rows, and its position.
    tail: Option<(StoreReader, usize)>,
}

impl NestedLoopExec {
    /// Joins `left` (`left_width` columns) and `right` (`right_width`) on `on`.
    pub fn new(
        left: Box<dyn Executor>,
        right: Box<dyn Executor>,
        left_width: usize,
        right_width: usize,
        kind: JoinKind,
        on: Option<Expr>,
    ) -> Self {
        NestedLoopExec {
            left,
            right: Some(right),
            store: None,
            left_width,
            right_width,
            kind,
            on,
            current: None,
            position: 0,
            matched: false,
            right_matched: Vec::new(),
            tail: None,
        }
    }

    /// Reads the right input into the store.
    fn load(&mut self, ctx: &mut Context) -> Result<Arc<RowStore>> {
        if let Some(store) = &self.store {
            return Ok(store.clone());
        }
        let mut store = RowStore::new(ctx);
        if let Some(mut right) = self.right.take() {
            while let Some(row) = right.next(ctx)? {
                store.push(row)?;
            }
        }
        if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            self.right_matched = vec![false; store.len()];
        }
        Ok(self.store.insert(Arc::new(store)).clone())
    }
}

impl Executor for NestedLoopExec {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        let store = self.load(ctx)?;
        loop {
            if let Some((reader, position)) = &mut self.tail {
                while let Some(right) = reader.read()? {
                    let i = *position;
                    *position += 1;
                    if !self.right_matched.get(i).copied().unwrap_or(true) {
                        let mut row = vec![Value::Null; self.left_width];
                        row.extend(right);
                        return Ok(Some(row));
                    }
                }
                return Ok(None);
            }
            ctx.check_cancel()?;
            if self.current.is_none() {
                match self.left.next(ctx)? {
                    Some(row) => {
                        self.current = Some((row, store.reader()));
                        self.position = 0;
                        self.matched = false;
                    }
                    None if matches!(self.kind, JoinKind::Right | JoinKind::Full) => {
                        self.tail = Some((store.reader(), 0));
                        continue;
                    }
                    None => return Ok(None),
                }
            }
            let Some((left, reader)) = &mut self.current else {
                continue;
            };
            while let Some(right) = reader.read()? {
                let i = self.position;
                self.position += 1;
                let mut row = Vec::with_capacity(left.len() + right.len());
                row.extend_from_slice(left);
                row.extend(right);
                let ok = match &self.on {
                    Some(on) => is_true(&eval(on, &row, ctx)?),
                    None => true,
                };
                if ok {
                    self.matched = true;
                    if self.kind.left_only() {
                        // One match decides a semi or anti join.
                        break;
                    }
                    if let Some(m) = self.right_matched.get_mut(i) {
                        *m = true;
                    }
                    return Ok(Some(row));
                }
            }
            let Some((mut left, _)) = self.current.take() else {
                continue;
            };
            match self.kind {
                JoinKind::Left | JoinKind::Full if !self.matched => {
                    left.extend(std::iter::repeat_n(Value::Null, self.right_width));
                    return Ok(Some(left));
                }
                JoinKind::Semi if self.matched => return Ok(Some(left)),
                JoinKind::Anti | JoinKind::NullAwareAnti if !self.matched => {
                    return Ok(Some(left));
                }
                _ => {}
            }
        }
    }
}
