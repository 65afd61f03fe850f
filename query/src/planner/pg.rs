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
                if self.find_user_type(name)?.is_none()
                    && self
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
