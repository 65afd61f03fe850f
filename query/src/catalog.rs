//! The catalog: what tables, columns, indexes and constraints exist.
//!
//! Catalog entries are stored as versioned keys in the same MVCC key space as the rows they
//! describe, so DDL is transactional as in PostgreSQL: a `CREATE TABLE` inside a transaction
//! is invisible to others until it commits and vanishes if it rolls back, and concurrent DDL
//! on one table conflicts like concurrent writes to one row. Each table is one entry (its
//! definition, serialized as JSON so the format is easy to inspect and to extend with
//! defaulted fields), found by object id; a second entry maps the qualified name to the id.

use serde::{Deserialize, Serialize};

use crate::types::DataType;

/// PostgreSQL's object id: user objects start at 16384.
pub type Oid = u32;

/// The first object id handed to user objects, as in PostgreSQL.
pub const FIRST_USER_OID: Oid = 16384;

/// The schema tables go to when none is named.
pub const DEFAULT_SCHEMA: &str = "public";

/// A column of a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its type.
    pub data_type: DataType,
    /// False for NOT NULL (and primary key) columns.
    pub nullable: bool,
    /// The DEFAULT expression, as SQL text (parsed again when used).
    pub default: Option<String>,
}

/// An index: a sorted copy of some columns that points back at the rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// The index's object id (its entries' key prefix).
    pub oid: Oid,
    /// Its name (unique among the relations of its schema).
    pub name: String,
    /// The indexed columns, by position in the table.
    pub columns: Vec<usize>,
    /// True for UNIQUE indexes (NULLs are distinct, as in PostgreSQL).
    pub unique: bool,
    /// True for the index that enforces the primary key.
    pub primary: bool,
}

/// A CHECK constraint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The constraint's name.
    pub name: String,
    /// The boolean expression, as SQL text.
    pub expr: String,
}

/// A table's definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The table's object id (its rows' key prefix).
    pub oid: Oid,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// The primary key's columns, by position. Without one, rows are keyed by a hidden row
    /// number drawn from a counter.
    pub primary_key: Option<Vec<usize>>,
    /// Secondary indexes (and unique constraints).
    #[serde(default)]
    pub indexes: Vec<Index>,
    /// CHECK constraints.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// For a view: its query, as SQL text (a view has columns but no rows).
    #[serde(default)]
    pub view: Option<String>,
    /// FOREIGN KEY constraints of this table (the referencing side).
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    /// The tables with a foreign key referencing this one (itself for a self-reference), so
    /// that writes to a parent find their children without reading the whole catalog.
    #[serde(default)]
    pub referenced_by: Vec<Oid>,
}

/// What a foreign key does to referencing rows when the referenced row is deleted or its key
/// updated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReferentialAction {
    /// Fail at the end of the statement if referencing rows remain (the default).
    #[default]
    NoAction,
    /// Fail if referencing rows exist, even if the key reappears in the same statement.
    Restrict,
    /// Delete the referencing rows, or update their columns to the new key.
    Cascade,
    /// Set the referencing columns to NULL.
    SetNull,
    /// Set the referencing columns to their defaults.
    SetDefault,
}

/// A FOREIGN KEY constraint: `columns` of this table reference `referenced_columns` of the
/// table `referenced` (its primary key or the columns of a unique index). MATCH SIMPLE: a row
/// with a NULL in any referencing column is not checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint's name (`<table>_<columns>_fkey` by default).
    pub name: String,
    /// The referencing columns, by position in this table.
    pub columns: Vec<usize>,
    /// The referenced table's object id (0 in a table not yet created that references
    /// itself; creation fills in the table's own id).
    pub referenced: Oid,
    /// The referenced columns, by position in the referenced table, paired with `columns`.
    pub referenced_columns: Vec<usize>,
    /// ON DELETE.
    pub on_delete: ReferentialAction,
    /// ON UPDATE.
    pub on_update: ReferentialAction,
}

impl Table {
    /// The position of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column types, in order.
    pub fn types(&self) -> Vec<DataType> {
        self.columns.iter().map(|c| c.data_type.clone()).collect()
    }
}
