//! Binding the system catalogs (`pg_catalog.pg_class`, `information_schema.tables`, ...):
//! see [`crate::system`].

use anchor_grammar::ast;

use super::{Planner, Scope, ident};
use crate::error::Result;
use crate::plan::{Expr, Node, SetCall};
use crate::types::{DataType, RegKind, Value};

impl Planner<'_> {
    /// The system relation `name` names, as a scan of its rows: `pg_catalog.x` and
    /// `information_schema.x`, and a bare `x` of `pg_catalog` (searched before the search
    /// path, as in PostgreSQL). `None` for other names.
    pub(super) fn system_table(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(Node, Scope)>> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(i) => ident(i),
                other => other.to_string(),
            })
            .collect();
        let found = match parts.as_slice() {
            [relation] => crate::system::find(None, relation),
            [schema, relation] => crate::system::find(Some(schema), relation),
            _ => None,
        };
        let Some(system) = found else {
            return Ok(None);
        };
        let table = system.table();
        let scope = Scope::of_table(&table, alias);
        let node = Node::FunctionScan {
            input: Box::new(Node::Nothing),
            functions: vec![SetCall {
                name: system.scan_name(),
                args: Vec::new(),
                columns: table.columns.len(),
            }],
            ordinality: false,
            outer: None,
        };
        Ok(Some((node, scope)))
    }
}

impl Planner<'_> {
    /// A cast of a literal to `regclass`, `regtype` or `regnamespace`, looked up now (as
    /// PostgreSQL does when it parses `'t1'::regclass`), so that it is not looked up again
    /// for every row. `None` for other casts.
    pub(super) fn fold_reg_cast(&mut self, x: &Expr, to: &DataType) -> Result<Option<Expr>> {
        let (DataType::Reg(kind), Expr::Literal(v)) = (to, x) else {
            return Ok(None);
        };
        if v.is_null() || !matches!(kind, RegKind::Class | RegKind::Type | RegKind::Namespace) {
            return Ok(None);
        }
        if matches!(v, Value::Reg(r) if r.kind == *kind) {
            return Ok(None);
        }
        let snapshot =
            crate::system::Snapshot::of_relations(&mut *self.txn, self.search_path.clone())?;
        let value = crate::system::functions::reg_from(*kind, v, &snapshot, true)?;
        Ok(Some(Expr::Literal(value)))
    }
}
