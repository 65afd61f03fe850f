//! Binding ANALYZE and VACUUM.
//!
//! ANALYZE refreshes the planner's statistics of one table or of every table. VACUUM has
//! nothing to reclaim (old versions are collected by the storage on its own) and only
//! checks its table; `VACUUM ANALYZE` (which the parser reads as VACUUM of a table named
//! `ANALYZE`) analyzes every table.

use anchor_grammar::ast;

use super::{Planner, ident};
use crate::catalog::Table;
use crate::error::{Error, Result, SqlState};

use super::Plan;

impl Planner<'_> {
    /// `ANALYZE [table [(columns)]]`.
    pub(super) fn analyze(&mut self, analyze: &ast::Analyze) -> Result<Plan> {
        let tables = match &analyze.table_name {
            Some(name) => {
                let table = self.table(name)?;
                for c in &analyze.columns {
                    let name = ident(c);
                    if table.column_index(&name).is_none() {
                        return Err(Error::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!(
                                "column \"{name}\" of relation \"{}\" does not exist",
                                table.name
                            ),
                        ));
                    }
                }
                vec![table]
            }
            None => self.txn.tables()?,
        };
        Ok(Plan::Analyze {
            tables: tables.into_iter().filter(analyzable).collect(),
            tag: "ANALYZE",
        })
    }
}

/// True for tables with rows (not views nor sequences).
fn analyzable(table: &Table) -> bool {
    table.view.is_none() && table.sequence.is_none()
}
