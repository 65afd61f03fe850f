//! Planning the PostgreSQL statements `anchor-grammar` reads itself: `ALTER SEQUENCE`,
//! `INSERT ... OVERRIDING {SYSTEM | USER} VALUE` and `ALTER ... OWNER TO`.

use anchor_grammar::{AlterSequence, PgStatement, ast};

use super::{Plan, Planner, object_name};
use crate::error::{Error, Result, SqlState};

impl Planner<'_> {
    /// Plans one of the statements of [`PgStatement`].
    pub fn plan_pg(&mut self, stmt: &PgStatement) -> Result<Plan> {
        match stmt {
            PgStatement::AlterSequence(alter) => self.alter_sequence(alter),
            PgStatement::InsertOverriding { insert, system } => {
                let ast::Statement::Insert(insert) = insert.as_ref() else {
                    return Err(Error::internal(
                        "OVERRIDING on a statement other than INSERT",
                    ));
                };
                self.overriding = Some(*system);
                let plan = self.insert(insert);
                self.overriding = None;
                plan
            }
            PgStatement::OwnerTo { kind, name, .. } => self.owner_to(kind, name),
            PgStatement::SetSchema {
                kind,
                name,
                if_exists,
                schema,
            } => self.set_schema(kind, name, *if_exists, &super::ident(schema)),
        }
    }

    /// `ALTER SEQUENCE`: the new definition (and name), and where it restarts.
    fn alter_sequence(&mut self, alter: &AlterSequence) -> Result<Plan> {
        let old = match self.table(&alter.name) {
            Ok(t) => t,
            Err(e) if alter.if_exists && e.sqlstate() == SqlState::UNDEFINED_TABLE => {
                return Ok(Plan::Command("ALTER SEQUENCE".into()));
            }
            Err(e) => return Err(e),
        };
        let Some(base) = old.sequence.as_deref() else {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is not a sequence", old.name),
            ));
        };
        let mut def =
            super::ddl::sequence_from(Some(base), alter.data_type.as_ref(), &alter.options)?;
        match &alter.owned_by {
            Some(Some(owner)) => def.owned_by = Some(self.sequence_owner(owner)?),
            Some(None) => def.owned_by = None,
            None => {}
        }
        let restart = match alter.restart {
            None => None,
            Some(v) => {
                let v = v.unwrap_or(def.start);
                if v < def.min {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!(
                            "RESTART value ({v}) cannot be less than MINVALUE ({})",
                            def.min
                        ),
                    ));
                }
                if v > def.max {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!(
                            "RESTART value ({v}) cannot be greater than MAXVALUE ({})",
                            def.max
                        ),
                    ));
                }
                Some(v)
            }
        };
        let mut new = old.clone();
        new.sequence = Some(Box::new(def));
        if let Some(to) = &alter.rename {
            new.name = super::ident(to);
        }
        Ok(Plan::AlterSequence { old, new, restart })
    }

    /// `ALTER {TABLE | SEQUENCE | VIEW | TYPE} name SET SCHEMA schema`. A table's owned
    /// sequences move with it, as in PostgreSQL.
    fn set_schema(
        &mut self,
        kind: &str,
        name: &ast::ObjectName,
        if_exists: bool,
        schema: &str,
    ) -> Result<Plan> {
        let tag = format!("ALTER {kind}");
        if kind == "TYPE" {
            let Some(ty) = self.find_user_type(name)? else {
                if if_exists {
                    return Ok(Plan::Command(tag));
                }
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!("type \"{name}\" does not exist"),
                ));
            };
            self.check_schema(schema)?;
            if self.txn.user_type(schema, &ty.name)?.is_some() {
                return Err(Error::new(
                    SqlState::DUPLICATE_OBJECT,
                    format!("type \"{}\" already exists in schema \"{schema}\"", ty.name),
                ));
            }
            return Ok(Plan::AlterType {
                ty,
                change: super::TypeChange::SetSchema(schema.to_string()),
            });
        }
        let table = match self.table(name) {
            Ok(t) => t,
            Err(e) if if_exists && e.sqlstate() == SqlState::UNDEFINED_TABLE => {
                return Ok(Plan::Command(tag));
            }
            Err(e) => return Err(e),
        };
        let wrong = match kind {
            "SEQUENCE" if table.sequence.is_none() => Some("a sequence"),
            "VIEW" if table.view.is_none() => Some("a view"),
            _ => None,
        };
        if let Some(wanted) = wrong {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is not {wanted}", table.name),
            ));
        }
        self.check_schema(schema)?;
        let owned = self.owned_sequences(table.oid, None)?;
        // Defaults that name the owned sequences follow them.
        let mut table = table;
        for seq in &owned {
            let old = super::ddl::nextval_default(&seq.schema, &seq.name);
            let new = super::ddl::nextval_default(schema, &seq.name);
            for c in &mut table.columns {
                if c.default.as_deref() == Some(old.as_str()) {
                    c.default = Some(new.clone());
                }
            }
        }
        let mut moves = vec![(table, schema.to_string())];
        moves.extend(owned.into_iter().map(|t| (t, schema.to_string())));
        Ok(Plan::MoveRelations(moves))
    }

    /// `ALTER <kind> name OWNER TO role`: every object belongs to the one role there is, so
    /// this only checks that the object exists.
    fn owner_to(&mut self, kind: &str, name: &ast::ObjectName) -> Result<Plan> {
        match kind {
            "TABLE" | "SEQUENCE" | "VIEW" => {
                self.table(name)?;
            }
            "INDEX" => {
                let (_, index) = object_name(name)?;
                if !self
                    .txn
                    .tables()?
                    .iter()
                    .any(|t| t.indexes.iter().any(|i| i.name == index))
                {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{index}\" does not exist"),
                    ));
                }
            }
            "SCHEMA" => {
                let (_, schema) = object_name(name)?;
                self.check_schema(&schema)?;
            }
            "TYPE"
                if self
                    .resolve_type(&ast::DataType::Custom(name.clone(), Vec::new()))
                    .is_err() =>
            {
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!("type \"{name}\" does not exist"),
                ));
            }
            _ => {}
        }
        Ok(Plan::Command(format!("ALTER {kind}")))
    }
}
