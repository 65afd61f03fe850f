//! The optimizer: rules that rewrite a plan into a cheaper one with the same result, applied
//! in a fixed order. One file per rule, each with a golden test of the plan before and after.
//!
//! 1. [`filter_pushdown`]: WHERE conjuncts move down to the scans and joins whose columns
//!    they read; join conditions that equate the two sides turn nested loops into hash joins.

pub mod filter_pushdown;

#[cfg(test)]
mod tests;

use crate::plan::Node;

/// Applies every rule, in order.
pub fn optimize(node: Node) -> Node {
    filter_pushdown::apply(node)
}
