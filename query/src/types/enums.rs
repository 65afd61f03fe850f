//! User-defined enum types (`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`).
//!
//! An enum type carries its labels inside the [`DataType`](super::DataType), so values can be
//! compared, printed and parsed without a catalog lookup. Each label has two numbers:
//!
//! - its *index*, the position at which it was added. A stored value is this index, so
//!   renaming a label or adding one never rewrites rows;
//! - its *sort key*, which orders the values. Labels created together get keys spaced
//!   [`SORT_GAP`] apart; `ADD VALUE ... BEFORE/AFTER` takes the midpoint between two
//!   neighbours, so existing keys (and index entries, which hold the sort key) stay valid.
//!
//! This is PostgreSQL's design (`pg_enum.enumsortorder`), with integers instead of floats.

use std::sync::Arc;

use crate::error::{Error, Result, SqlState};

/// The distance between the sort keys of labels added at the end.
pub const SORT_GAP: i64 = 1 << 32;

/// The longest label, in bytes (PostgreSQL's `NAMEDATALEN - 1`).
pub const MAX_LABEL_BYTES: usize = 63;

/// An enum type: its identity and its labels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct EnumType {
    /// The type's OID.
    pub oid: u32,
    /// The OID of its array type (`mood[]`).
    pub array_oid: u32,
    /// The schema the type belongs to.
    pub schema: String,
    /// The type's name.
    pub name: String,
    /// The labels in the order they were added; a value is an index into this list.
    pub labels: Vec<EnumLabel>,
}

/// One label of an enum type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct EnumLabel {
    /// The label's text.
    pub name: String,
    /// Its place in the type's order.
    pub sort: i64,
}

/// Where `ALTER TYPE ... ADD VALUE` puts a new label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelPosition {
    /// After every existing label.
    Last,
    /// Just before the named label.
    Before(String),
    /// Just after the named label.
    After(String),
}

/// A value of an enum type.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumValue {
    /// The value's type.
    pub ty: Arc<EnumType>,
    /// The index of its label in [`EnumType::labels`].
    pub index: u32,
}

impl EnumValue {
    /// The label's text.
    pub fn label(&self) -> &str {
        self.ty
            .labels
            .get(self.index as usize)
            .map_or("", |l| l.name.as_str())
    }

    /// The label's sort key.
    pub fn sort(&self) -> i64 {
        self.ty
            .labels
            .get(self.index as usize)
            .map_or(i64::MAX, |l| l.sort)
    }
}

/// Checks a label's length, as PostgreSQL does (42602).
pub fn check_label(label: &str) -> Result<()> {
    if label.len() > MAX_LABEL_BYTES {
        return Err(Error::new(
            SqlState::INVALID_NAME,
            format!("invalid enum label \"{label}\""),
        )
        .with_detail(format!("Labels must be {MAX_LABEL_BYTES} bytes or less.")));
    }
    Ok(())
}

impl EnumType {
    /// A new type with `labels` in that order. A duplicate label is 23505, as PostgreSQL's
    /// unique index on `pg_enum` reports it.
    pub fn new(
        oid: u32,
        array_oid: u32,
        schema: &str,
        name: &str,
        labels: &[String],
    ) -> Result<Self> {
        let mut ty = EnumType {
            oid,
            array_oid,
            schema: schema.to_string(),
            name: name.to_string(),
            labels: Vec::with_capacity(labels.len()),
        };
        for label in labels {
            check_label(label)?;
            if ty.find(label).is_some() {
                return Err(Error::new(
                    SqlState::UNIQUE_VIOLATION,
                    "duplicate key value violates unique constraint \"pg_enum_typid_label_index\"",
                ));
            }
            let sort = (ty.labels.len() as i64 + 1) * SORT_GAP;
            ty.labels.push(EnumLabel {
                name: label.clone(),
                sort,
            });
        }
        Ok(ty)
    }

    /// The index of `label`, if the type has it.
    pub fn find(&self, label: &str) -> Option<u32> {
        self.labels
            .iter()
            .position(|l| l.name == label)
            .map(|i| i as u32)
    }

    /// Parses a label (the type's input function): 22P02 for one the type lacks.
    pub fn parse(self: &Arc<Self>, text: &str) -> Result<EnumValue> {
        match self.find(text) {
            Some(index) => Ok(EnumValue {
                ty: Arc::clone(self),
                index,
            }),
            None => Err(Error::new(
                SqlState::INVALID_TEXT_REPRESENTATION,
                format!("invalid input value for enum {}: \"{text}\"", self.name),
            )),
        }
    }

    /// The labels' indexes in sort order.
    pub fn ordered(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.labels.len() as u32).collect();
        order.sort_by_key(|&i| self.labels[i as usize].sort);
        order
    }

    /// Adds a label (`ALTER TYPE ... ADD VALUE`). Returns false if it exists already and
    /// `if_not_exists` is set; 42710 if it exists otherwise, 22023 if the neighbour is
    /// missing.
    pub fn add_label(
        &mut self,
        label: &str,
        at: &LabelPosition,
        if_not_exists: bool,
    ) -> Result<bool> {
        check_label(label)?;
        if self.find(label).is_some() {
            if if_not_exists {
                return Ok(false);
            }
            return Err(Error::new(
                SqlState::DUPLICATE_OBJECT,
                format!("enum label \"{label}\" already exists"),
            ));
        }
        let order = self.ordered();
        let sorts: Vec<i64> = order
            .iter()
            .map(|&i| self.labels[i as usize].sort)
            .collect();
        let neighbour = |name: &str| -> Result<usize> {
            order
                .iter()
                .position(|&i| self.labels[i as usize].name == name)
                .ok_or_else(|| {
                    Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("\"{name}\" is not an existing enum label"),
                    )
                })
        };
        let (low, high) = match at {
            LabelPosition::Last => {
                let last = sorts.last().copied().unwrap_or(0);
                (last, last.saturating_add(2 * SORT_GAP))
            }
            LabelPosition::Before(name) => {
                let at = neighbour(name)?;
                let low = if at == 0 {
                    sorts[at] - 2 * SORT_GAP
                } else {
                    sorts[at - 1]
                };
                (low, sorts[at])
            }
            LabelPosition::After(name) => {
                let at = neighbour(name)?;
                let high = sorts
                    .get(at + 1)
                    .copied()
                    .unwrap_or(sorts[at] + 2 * SORT_GAP);
                (sorts[at], high)
            }
        };
        let sort = low + (high - low) / 2;
        if sort == low || sort == high {
            return Err(Error::unsupported(format!(
                "adding more enum labels at this position of type {}",
                self.name
            )));
        }
        self.labels.push(EnumLabel {
            name: label.to_string(),
            sort,
        });
        Ok(true)
    }

    /// Renames a label (`ALTER TYPE ... RENAME VALUE`).
    pub fn rename_label(&mut self, from: &str, to: &str) -> Result<()> {
        check_label(to)?;
        let Some(index) = self.find(from) else {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("\"{from}\" is not an existing enum label"),
            ));
        };
        if self.find(to).is_some() {
            return Err(Error::new(
                SqlState::DUPLICATE_OBJECT,
                format!("enum label \"{to}\" already exists"),
            ));
        }
        self.labels[index as usize].name = to.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mood() -> EnumType {
        let labels: Vec<String> = ["sad", "ok", "happy"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        EnumType::new(16384, 16385, "public", "mood", &labels).unwrap()
    }

    fn names(ty: &EnumType) -> Vec<&str> {
        ty.ordered()
            .iter()
            .map(|&i| ty.labels[i as usize].name.as_str())
            .collect()
    }

    #[test]
    fn labels_keep_their_index_when_others_are_added() {
        let mut ty = mood();
        ty.add_label("meh", &LabelPosition::Before("ok".into()), false)
            .unwrap();
        ty.add_label("ecstatic", &LabelPosition::Last, false)
            .unwrap();
        ty.add_label("glum", &LabelPosition::After("sad".into()), false)
            .unwrap();
        assert_eq!(
            names(&ty),
            ["sad", "glum", "meh", "ok", "happy", "ecstatic"]
        );
        assert_eq!(ty.find("ok"), Some(1));
        assert!(
            !ty.add_label("ok", &LabelPosition::Last, true).unwrap(),
            "IF NOT EXISTS skips an existing label"
        );
        let err = ty.add_label("ok", &LabelPosition::Last, false).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::DUPLICATE_OBJECT);
        let err = ty
            .add_label("x", &LabelPosition::Before("nope".into()), false)
            .unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
    }

    #[test]
    fn repeated_inserts_at_one_place_run_out_cleanly() {
        let mut ty = mood();
        let mut added = 0;
        loop {
            match ty.add_label(
                &format!("l{added}"),
                &LabelPosition::Before("ok".into()),
                false,
            ) {
                Ok(_) => added += 1,
                Err(e) => {
                    assert_eq!(e.sqlstate(), SqlState::FEATURE_NOT_SUPPORTED);
                    break;
                }
            }
        }
        assert!(added >= 30, "only {added} labels fit");
        let sorts: Vec<i64> = ty
            .ordered()
            .iter()
            .map(|&i| ty.labels[i as usize].sort)
            .collect();
        assert!(
            sorts.windows(2).all(|w| w[0] < w[1]),
            "sort keys stay strictly ordered"
        );
    }

    #[test]
    fn bad_labels_are_refused() {
        let long = "a".repeat(64);
        let err = EnumType::new(1, 2, "public", "t", &[long]).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::INVALID_NAME);
        let err = EnumType::new(1, 2, "public", "t", &["a".into(), "a".into()]).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::UNIQUE_VIOLATION);
        let ty = Arc::new(mood());
        assert_eq!(ty.parse("happy").unwrap().label(), "happy");
        let err = ty.parse("x").unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(err.to_string(), "invalid input value for enum mood: \"x\"");
    }
}
