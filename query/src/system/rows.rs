//! The rows of the system relations, built from a [`Snapshot`] of the live catalog.

use sqlparser::ast;

use crate::catalog::{DEFAULT_SCHEMA, ForeignKey, Oid, ReferentialAction, Table};
use crate::error::Result;
use crate::exec::Context;
use crate::functions::string::quote_ident;
use crate::roles::{BOOTSTRAP_ROLE, BOOTSTRAP_ROLE_OID, Role, Roles};
use crate::storage::{Row, Transaction};
use crate::types::{Array, DataType, RegKind, RegValue, Value};

use super::{
    BTREE_AM, DEFAULT_COLLATION, HEAP_AM, INFORMATION_SCHEMA_OID, PG_CATALOG_OID, PG_TOAST_OID,
    SYSTEM_TABLES, SystemTable,
};

/// The predefined role that owns `public`.
const PG_DATABASE_OWNER: Oid = 6171;

/// What the catalogs are built from: the current transaction's schemas and relations and
/// the cluster's roles and databases.
pub struct Snapshot {
    /// Every schema, with its OID (the built-in ones included).
    pub schemas: Vec<(Oid, String)>,
    /// Every user relation.
    pub tables: Vec<Table>,
    /// The roles.
    pub roles: Vec<Role>,
    /// The databases' names.
    pub databases: Vec<String>,
    /// The current database.
    pub database: String,
    /// The schemas of the search path, `pg_catalog` first.
    pub search_path: Vec<String>,
    /// The user-defined (enum) types.
    pub user_types: Vec<crate::types::EnumType>,
}

/// A user index as the catalogs show it: the declared ones plus the primary key's, which
/// Anchor's storage keeps as the row key rather than as an index.
#[derive(Clone, Debug)]
pub struct IndexInfo {
    /// Its OID.
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// The indexed columns, by position.
    pub columns: Vec<usize>,
    /// UNIQUE.
    pub unique: bool,
    /// The primary key's.
    pub primary: bool,
}

/// A constraint (`pg_constraint` row) of a table.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// Its derived OID ([`constraint_oid`]).
    pub oid: Oid,
    /// Its name.
    pub name: String,
    /// `p`, `u`, `c` or `f`.
    pub kind: char,
    /// The index enforcing it (primary key, unique), or the referenced key's (foreign key).
    pub index: Oid,
    /// Its columns, by position.
    pub columns: Vec<usize>,
    /// A CHECK's expression.
    pub check: Option<String>,
    /// A FOREIGN KEY's definition.
    pub foreign_key: Option<ForeignKey>,
}

/// Derived OIDs: the top bit set, then 20 bits of the table's OID, 2 bits of kind and 9 of
/// sequence number. They never collide with the storage's OIDs (counted up from 16384).
fn derived_oid(table: Oid, kind: u32, n: usize) -> Oid {
    0x8000_0000 | ((table & 0xF_FFFF) << 11) | (kind << 9) | (n as u32 & 0x1FF)
}

/// The table whose derived OID `oid` is.
pub fn derived_table(oid: Oid) -> Option<Oid> {
    (oid & 0x8000_0000 != 0).then_some((oid >> 11) & 0xF_FFFF)
}

/// The OID of the `n`th constraint of table `table` (in [`constraints`] order).
pub fn constraint_oid(table: Oid, n: usize) -> Oid {
    derived_oid(table, 0, n)
}

fn attrdef_oid(table: Oid, column: usize) -> Oid {
    derived_oid(table, 1, column)
}

/// The indexes of `table`, the primary key's first.
pub fn indexes(table: &Table) -> Vec<IndexInfo> {
    let mut out = Vec::new();
    if let Some(pk) = &table.primary_key
        && !table.indexes.iter().any(|i| i.primary)
    {
        out.push(IndexInfo {
            oid: derived_oid(table.oid, 2, 0),
            name: format!("{}_pkey", table.name),
            columns: pk.clone(),
            unique: true,
            primary: true,
        });
    }
    for i in &table.indexes {
        out.push(IndexInfo {
            oid: i.oid,
            name: i.name.clone(),
            columns: i.columns.clone(),
            unique: i.unique || i.primary,
            primary: i.primary,
        });
    }
    out
}

/// The constraints of `table`: primary key, unique constraints (unique indexes named as
/// PostgreSQL names the indexes of UNIQUE constraints, `..._key`), checks, foreign keys.
pub fn constraints(table: &Table) -> Vec<Constraint> {
    let mut out: Vec<Constraint> = Vec::new();
    let mut push = |name: String, kind, index, columns, check, foreign_key| {
        let oid = constraint_oid(table.oid, out.len());
        out.push(Constraint {
            oid,
            name,
            kind,
            index,
            columns,
            check,
            foreign_key,
        });
    };
    for i in indexes(table) {
        if i.primary {
            push(i.name, 'p', i.oid, i.columns, None, None);
        } else if i.unique && i.name.ends_with("_key") {
            push(i.name, 'u', i.oid, i.columns, None, None);
        }
    }
    for c in &table.checks {
        push(
            c.name.clone(),
            'c',
            0,
            Vec::new(),
            Some(c.expr.clone()),
            None,
        );
    }
    for fk in &table.foreign_keys {
        push(
            fk.name.clone(),
            'f',
            0,
            fk.columns.clone(),
            None,
            Some(fk.clone()),
        );
    }
    out
}

/// The OID of the unique index of `table` over exactly `columns`, and the constraint it
/// backs (for a foreign key's `conindid` and `unique_constraint_name`).
fn key_index(table: &Table, columns: &[usize]) -> Option<IndexInfo> {
    indexes(table)
        .into_iter()
        .find(|i| i.unique && i.columns == columns)
}

/// The text a default of a column of type `ty` shows as, closer to PostgreSQL's deparsing
/// than the text as written: `nextval('s')` gains `::regclass`, a string literal the column's
/// type (`'x'::character varying`); other expressions show as written.
pub fn display_default(sql: &str, ty: &DataType) -> String {
    if let Some(seq) = sql
        .strip_prefix("nextval('")
        .and_then(|r| r.strip_suffix("')"))
    {
        return format!("nextval('{seq}'::regclass)");
    }
    match crate::planner::parse_expr(sql) {
        Ok(ast::Expr::Value(v)) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => {
                format!(
                    "'{}'::{}",
                    s.replace('\'', "''"),
                    ty.without_typmod().name()
                )
            }
            _ => sql.to_string(),
        },
        _ => sql.to_string(),
    }
}

/// The `pg_constraint.confupdtype` / `confdeltype` code of an action.
fn action_code(a: ReferentialAction) -> char {
    match a {
        ReferentialAction::NoAction => 'a',
        ReferentialAction::Restrict => 'r',
        ReferentialAction::Cascade => 'c',
        ReferentialAction::SetNull => 'n',
        ReferentialAction::SetDefault => 'd',
    }
}

/// The SQL spelling of an action (information_schema, `pg_get_constraintdef`).
pub fn action_name(a: ReferentialAction) -> &'static str {
    match a {
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::SetNull => "SET NULL",
        ReferentialAction::SetDefault => "SET DEFAULT",
    }
}

/// A built-in type without a [`DataType`]: OID, name, length, `typtype`, category, array.
const OTHER_TYPES: &[(Oid, &str, i16, char, char, Oid)] = &[
    (22, "int2vector", -1, 'b', 'A', 1006),
    (27, "tid", 6, 'b', 'U', 1010),
    (28, "xid", 4, 'b', 'U', 1011),
    (29, "cid", 4, 'b', 'U', 1012),
    (30, "oidvector", -1, 'b', 'A', 1013),
    (142, "xml", -1, 'b', 'U', 143),
    (194, "pg_node_tree", -1, 'b', 'Z', 0),
    (650, "cidr", -1, 'b', 'I', 651),
    (790, "money", 8, 'b', 'N', 791),
    (829, "macaddr", 6, 'b', 'U', 1040),
    (869, "inet", -1, 'b', 'I', 1041),
    (1033, "aclitem", 12, 'b', 'U', 1034),
    (1266, "timetz", 12, 'b', 'D', 1270),
    (1560, "bit", -1, 'b', 'V', 1561),
    (1562, "varbit", -1, 'b', 'V', 1563),
    (2249, "record", -1, 'p', 'P', 2287),
    (2275, "cstring", -2, 'p', 'P', 1263),
    (2276, "any", 4, 'p', 'P', 0),
    (2277, "anyarray", -1, 'p', 'P', 0),
    (2278, "void", 4, 'p', 'P', 0),
    (2279, "trigger", 4, 'p', 'P', 0),
    (2283, "anyelement", 4, 'p', 'P', 0),
    (3614, "tsvector", -1, 'b', 'U', 3643),
    (3615, "tsquery", -1, 'b', 'U', 3645),
];

/// The OIDs of the built-in types that have a [`DataType`] (their arrays follow from it).
const DATA_TYPE_OIDS: &[Oid] = &[
    16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 114, 700, 701, 705, 1042, 1043, 1082, 1083, 1114, 1184,
    1186, 1700, 2202, 2205, 2206, 2950, 3802, 4089, 4096,
];

/// The name of a built-in type's OID as `format_type` prints it, if Anchor knows the OID.
pub fn type_name(oid: Oid) -> Option<String> {
    if let Some(t) = DataType::from_oid(oid) {
        return Some(match t {
            DataType::Char(None) => "bpchar".into(),
            DataType::Char(Some(_)) | DataType::Varchar(_) | DataType::Numeric { .. } => t.name(),
            other => other.name(),
        });
    }
    OTHER_TYPES
        .iter()
        .find(|t| t.0 == oid)
        .map(|t| t.1.to_string())
        .or_else(|| {
            OTHER_TYPES
                .iter()
                .find(|t| t.5 == oid && oid != 0)
                .map(|t| format!("{}[]", t.1))
        })
}

fn oid(v: Oid) -> Value {
    Value::Oid(v)
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn ch(c: char) -> Value {
    if c == '\0' {
        Value::Text(String::new())
    } else {
        Value::Text(c.to_string())
    }
}

fn opt_text(s: Option<impl Into<String>>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.into()))
}

fn int2s(v: impl IntoIterator<Item = i64>) -> Value {
    Value::Array(Array::new(
        DataType::Int2,
        v.into_iter().map(|i| Value::Int2(i as i16)).collect(),
    ))
}

fn oids(v: impl IntoIterator<Item = Oid>) -> Value {
    Value::Array(Array::new(DataType::Oid, v.into_iter().map(oid).collect()))
}

fn regproc(name: &str) -> Value {
    Value::Reg(Box::new(RegValue {
        kind: RegKind::Proc,
        oid: 0,
        name: name.to_string(),
    }))
}

fn yes_no(b: bool) -> Value {
    text(if b { "YES" } else { "NO" })
}

/// `pg_type.typcollation` / `pg_attribute.attcollation` of a type.
fn collation_of(t: &DataType) -> Oid {
    match t {
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => DEFAULT_COLLATION,
        DataType::Name => 950,
        DataType::Array(e) => collation_of(e),
        _ => 0,
    }
}

/// `typalign` of a type.
fn align(t: &DataType) -> char {
    match t.typlen() {
        1 | -2 => 'c',
        2 => 's',
        8 => 'd',
        _ => match t {
            DataType::Array(e) if e.typlen() == 8 => 'd',
            DataType::Interval => 'd',
            DataType::Uuid | DataType::Name => 'c',
            _ => 'i',
        },
    }
}

/// `typstorage` of a type.
fn storage(t: &DataType) -> char {
    match t {
        DataType::Numeric { .. } => 'm',
        _ if t.typlen() == -1 => 'x',
        _ => 'p',
    }
}

/// The base name of a type's I/O functions (`int4` → `int4in`, `date` → `date_in`).
fn io_function(t: &DataType, suffix: &str) -> String {
    match t {
        DataType::Array(_) => format!("array_{suffix}"),
        DataType::Numeric { .. }
        | DataType::Date
        | DataType::Time
        | DataType::Timestamp
        | DataType::TimestampTz
        | DataType::Interval
        | DataType::Uuid
        | DataType::Json
        | DataType::Jsonb => format!("{}_{suffix}", t.typname()),
        _ => format!("{}{suffix}", t.typname()),
    }
}

/// The SQL-standard spelling information_schema uses for a type.
pub fn standard_type_name(t: &DataType) -> String {
    match t {
        DataType::Varchar(_) => "character varying".into(),
        DataType::Char(_) => "character".into(),
        DataType::Numeric { .. } => "numeric".into(),
        DataType::Array(_) => "ARRAY".into(),
        DataType::SingleChar => "\"char\"".into(),
        other => other.name(),
    }
}

/// information_schema's numeric precision, radix and scale of a type.
fn numeric_facts(t: &DataType) -> (Value, Value, Value) {
    let int = |p: i32| (Value::Int4(p), Value::Int4(2), Value::Int4(0));
    match t {
        DataType::Int2 => int(16),
        DataType::Int4 => int(32),
        DataType::Int8 => int(64),
        DataType::Float4 => (Value::Int4(24), Value::Int4(2), Value::Null),
        DataType::Float8 => (Value::Int4(53), Value::Int4(2), Value::Null),
        DataType::Numeric { precision, scale } => (
            precision.map_or(Value::Null, |p| Value::Int4(p as i32)),
            Value::Int4(10),
            scale.map_or(Value::Null, |s| Value::Int4(s as i32)),
        ),
        _ => (Value::Null, Value::Null, Value::Null),
    }
}

/// A relation as `pg_class` lists it.
struct Relation<'a> {
    oid: Oid,
    name: String,
    namespace: Oid,
    kind: char,
    table: Option<&'a Table>,
    system: Option<&'static SystemTable>,
    index: Option<IndexInfo>,
    /// The columns of a user relation (a system one's are built by [`Relation::columns`]).
    columns: Vec<AttributeInfo>,
}

/// A column as `pg_attribute` lists it: name, type, NOT NULL, default, identity code.
type AttributeInfo = (String, DataType, bool, Option<String>, char);

impl Relation<'_> {
    /// The columns.
    fn columns(&self) -> Vec<AttributeInfo> {
        match self.system {
            Some(t) => t
                .columns()
                .into_iter()
                .map(|(n, ty)| (n, ty, false, None, '\0'))
                .collect(),
            None => self.columns.clone(),
        }
    }

    /// How many columns there are.
    fn column_count(&self) -> usize {
        match self.system {
            Some(t) => t.spec.split_whitespace().count(),
            None => self.columns.len(),
        }
    }
}

impl Snapshot {
    /// Reads the catalog through the statement's transaction.
    pub fn take(ctx: &mut Context) -> Result<Snapshot> {
        let (roles, databases, database, path) = match &ctx.vars {
            Some(vars) => {
                let vars = vars.lock();
                let (roles, databases) = match &vars.cluster {
                    Some(c) => (c.roles().list(), c.databases()),
                    None => (Roles::memory().list(), vec![vars.database.clone()]),
                };
                (roles, databases, vars.database.clone(), vars.search_path())
            }
            None => (
                Roles::memory().list(),
                vec![crate::cluster::INITIAL_DATABASES[0].to_string()],
                crate::cluster::INITIAL_DATABASES[0].to_string(),
                vec![DEFAULT_SCHEMA.to_string()],
            ),
        };
        Snapshot::of(ctx.txn, path, roles, databases, database)
    }

    /// The schemas and relations of `txn` (for the binder, which has no roles at hand).
    pub fn of_relations(txn: &mut dyn Transaction, path: Vec<String>) -> Result<Snapshot> {
        let database = crate::cluster::INITIAL_DATABASES[0].to_string();
        Snapshot::of(txn, path, Vec::new(), Vec::new(), database)
    }

    fn of(
        txn: &mut dyn Transaction,
        path: Vec<String>,
        roles: Vec<Role>,
        databases: Vec<String>,
        database: String,
    ) -> Result<Snapshot> {
        let schemas = txn.schemas()?;
        let tables = txn.tables()?;
        let user_types = txn.user_types()?;
        // PostgreSQL 15's `public` belongs to this predefined role.
        let mut roles = roles;
        roles.push(Role {
            oid: PG_DATABASE_OWNER,
            name: "pg_database_owner".into(),
            superuser: false,
            login: false,
            createdb: false,
            createrole: false,
            inherit: true,
            replication: false,
            bypassrls: false,
            connlimit: -1,
            password: None,
            valid_until: None,
        });
        let mut search_path = vec!["pg_catalog".to_string()];
        search_path.extend(path.into_iter().filter(|s| s != "pg_catalog"));
        Ok(Snapshot {
            schemas,
            tables,
            roles,
            databases,
            database,
            search_path,
            user_types,
        })
    }

    /// The name `format_type` gives the enum type (or array of one) with OID `oid`:
    /// qualified when its schema is not on the search path.
    pub fn user_type_name(&self, oid: Oid) -> Option<String> {
        self.user_types.iter().find_map(|ty| {
            let name = if self.search_path.contains(&ty.schema) {
                quote_ident(&ty.name)
            } else {
                format!("{}.{}", quote_ident(&ty.schema), quote_ident(&ty.name))
            };
            if ty.oid == oid {
                Some(name)
            } else if ty.array_oid == oid {
                Some(format!("{name}[]"))
            } else {
                None
            }
        })
    }

    /// The OID of the enum type (or array of one) a name like `mood`, `s.mood` or `mood[]`
    /// means, along the search path.
    pub fn user_type_oid(&self, parts: &[String]) -> Option<Oid> {
        let (parts, array) = match parts.split_last() {
            Some((last, rest)) if last.ends_with("[]") => {
                let mut v = rest.to_vec();
                v.push(last.trim_end_matches("[]").to_string());
                (v, true)
            }
            _ => (parts.to_vec(), false),
        };
        let (schemas, name) = match parts.as_slice() {
            [name] => (self.search_path.clone(), name.clone()),
            [schema, name] => (vec![schema.clone()], name.clone()),
            _ => return None,
        };
        schemas.iter().find_map(|s| {
            self.user_types
                .iter()
                .find(|t| t.schema == *s && t.name == name)
                .map(|t| if array { t.array_oid } else { t.oid })
        })
    }

    /// `pg_type` rows of the enum types and their array types.
    fn enum_types(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for ty in &self.user_types {
            let namespace = self.schema_oid(&ty.schema);
            let element = TypeRow {
                oid: ty.oid,
                name: ty.name.clone(),
                namespace,
                len: 4,
                typtype: 'e',
                category: 'E',
                elem: 0,
                array: ty.array_oid,
            };
            let array = TypeRow {
                oid: ty.array_oid,
                name: format!("_{}", ty.name),
                namespace,
                len: -1,
                typtype: 'b',
                category: 'A',
                elem: ty.oid,
                array: 0,
            };
            out.push(type_row(&element, Some("enum")));
            out.push(type_row(&array, Some("array")));
        }
        out
    }

    /// `pg_enum`: one row per label, its sort order as PostgreSQL numbers them (1, 2, ...
    /// in order).
    fn pg_enum(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for ty in &self.user_types {
            for (position, index) in ty.ordered().into_iter().enumerate() {
                out.push(vec![
                    // Label OIDs are not stored: derive stable ones from the type's.
                    oid(ty.oid.wrapping_mul(1000).wrapping_add(index)),
                    oid(ty.oid),
                    Value::Float4((position + 1) as f32),
                    text(ty.labels[index as usize].name.clone()),
                ]);
            }
        }
        out
    }

    /// Every schema, with `information_schema` and `pg_toast`.
    pub fn all_schemas(&self) -> Vec<(Oid, String)> {
        let mut out = self.schemas.clone();
        out.push((INFORMATION_SCHEMA_OID, "information_schema".into()));
        out.push((PG_TOAST_OID, "pg_toast".into()));
        out.sort_by_key(|s| s.0);
        out
    }

    /// The OID of schema `name`.
    pub fn schema_oid(&self, name: &str) -> Oid {
        self.all_schemas()
            .into_iter()
            .find(|(_, n)| n == name)
            .map_or(0, |(o, _)| o)
    }

    /// The name of the role with OID `oid`.
    pub fn role_name(&self, oid: Oid) -> Option<String> {
        self.roles
            .iter()
            .find(|r| r.oid == oid)
            .map(|r| r.name.clone())
    }

    fn owner(&self) -> String {
        self.role_name(BOOTSTRAP_ROLE_OID)
            .unwrap_or_else(|| BOOTSTRAP_ROLE.to_string())
    }

    /// A relation's name as `regclass` prints it: qualified unless visible.
    pub fn regclass_name(&self, schema: &str, name: &str) -> String {
        let visible = self.search_path.iter().find(|s| self.has_relation(s, name));
        let quoted = crate::functions::string::quote_ident(name);
        if visible.is_some_and(|s| s == schema) {
            quoted
        } else {
            format!("{}.{quoted}", crate::functions::string::quote_ident(schema))
        }
    }

    /// True if schema `schema` has a relation (or index) named `name`.
    pub fn has_relation(&self, schema: &str, name: &str) -> bool {
        self.relations()
            .iter()
            .any(|r| r.name == name && self.schema_name(r.namespace).as_deref() == Some(schema))
    }

    /// The name of schema `oid`.
    pub fn schema_name(&self, oid: Oid) -> Option<String> {
        self.all_schemas()
            .into_iter()
            .find(|(o, _)| *o == oid)
            .map(|(_, n)| n)
    }

    /// The relation with OID `oid`: its schema and name.
    pub fn relation(&self, oid: Oid) -> Option<(String, String)> {
        self.relations()
            .into_iter()
            .find(|r| r.oid == oid)
            .and_then(|r| Some((self.schema_name(r.namespace)?, r.name)))
    }

    /// The OID of the relation `name` in the first schema of `schemas` that has one.
    pub fn find_relation(&self, schemas: &[String], name: &str) -> Option<Oid> {
        let relations = self.relations();
        schemas.iter().find_map(|s| {
            let ns = self.schema_oid(s);
            relations
                .iter()
                .find(|r| r.namespace == ns && r.name == name)
                .map(|r| r.oid)
        })
    }

    /// True if relation `oid` is the one its name finds on the search path.
    pub fn is_visible(&self, oid: Oid) -> bool {
        match self.relations().into_iter().find(|r| r.oid == oid) {
            Some(r) => self.find_relation(&self.search_path, &r.name) == Some(oid),
            None => false,
        }
    }

    fn relations(&self) -> Vec<Relation<'_>> {
        let mut out = Vec::new();
        for t in SYSTEM_TABLES {
            out.push(Relation {
                oid: t.oid,
                name: t.name.to_string(),
                namespace: if t.schema == "pg_catalog" {
                    PG_CATALOG_OID
                } else {
                    INFORMATION_SCHEMA_OID
                },
                kind: if t.view { 'v' } else { 'r' },
                table: None,
                system: Some(t),
                index: None,
                // Built on demand (see `Relation::columns`): most readers need none.
                columns: Vec::new(),
            });
        }
        for t in &self.tables {
            let namespace = self.schema_oid(&t.schema);
            let (kind, columns) = if let Some(seq) = &t.sequence {
                let _ = seq;
                (
                    'S',
                    vec![
                        ("last_value".into(), DataType::Int8, true, None, '\0'),
                        ("log_cnt".into(), DataType::Int8, true, None, '\0'),
                        ("is_called".into(), DataType::Bool, true, None, '\0'),
                    ],
                )
            } else {
                let columns = t
                    .columns
                    .iter()
                    .map(|c| {
                        let identity = match c.identity {
                            Some(crate::catalog::Identity::Always) => 'a',
                            Some(crate::catalog::Identity::ByDefault) => 'd',
                            None => '\0',
                        };
                        let default = if identity == '\0' {
                            c.default.clone()
                        } else {
                            None
                        };
                        (
                            c.name.clone(),
                            c.data_type.clone(),
                            !c.nullable,
                            default,
                            identity,
                        )
                    })
                    .collect();
                (if t.view.is_some() { 'v' } else { 'r' }, columns)
            };
            out.push(Relation {
                oid: t.oid,
                name: t.name.clone(),
                namespace,
                kind,
                table: Some(t),
                system: None,
                index: None,
                columns,
            });
            for i in indexes(t) {
                let columns = i
                    .columns
                    .iter()
                    .filter_map(|&c| t.columns.get(c))
                    .map(|c| (c.name.clone(), c.data_type.clone(), false, None, '\0'))
                    .collect();
                out.push(Relation {
                    oid: i.oid,
                    name: i.name.clone(),
                    namespace,
                    kind: 'i',
                    table: Some(t),
                    system: None,
                    index: Some(i),
                    columns,
                });
            }
        }
        out
    }

    /// The rows of `table`.
    pub fn rows(&self, table: &SystemTable, ctx: &mut Context) -> Result<Vec<Row>> {
        Ok(match (table.schema, table.name) {
            ("pg_catalog", "pg_namespace") => self
                .all_schemas()
                .into_iter()
                .map(|(o, n)| {
                    let owner = if o == super::PUBLIC_OID {
                        PG_DATABASE_OWNER
                    } else {
                        BOOTSTRAP_ROLE_OID
                    };
                    vec![oid(o), text(n), oid(owner), Value::Null]
                })
                .collect(),
            ("pg_catalog", "pg_class") => self.pg_class(),
            ("pg_catalog", "pg_attribute") => self.pg_attribute(),
            ("pg_catalog", "pg_type") => {
                let mut rows = pg_type();
                rows.extend(self.enum_types());
                rows
            }
            ("pg_catalog", "pg_enum") => self.pg_enum(),
            ("pg_catalog", "pg_index") => self.pg_index(),
            ("pg_catalog", "pg_constraint") => self.pg_constraint(),
            ("pg_catalog", "pg_attrdef") => self.pg_attrdef(),
            ("pg_catalog", "pg_am") => [
                (HEAP_AM, "heap", "heap_tableam_handler", 't'),
                (BTREE_AM, "btree", "bthandler", 'i'),
                (405, "hash", "hashhandler", 'i'),
                (783, "gist", "gisthandler", 'i'),
                (2742, "gin", "ginhandler", 'i'),
                (4000, "spgist", "spghandler", 'i'),
                (3580, "brin", "brinhandler", 'i'),
            ]
            .into_iter()
            .map(|(o, n, h, k)| vec![oid(o), text(n), regproc(h), ch(k)])
            .collect(),
            ("pg_catalog", "pg_database") => self
                .databases
                .iter()
                .map(|d| {
                    vec![
                        oid(database_oid(d)),
                        text(d.clone()),
                        oid(BOOTSTRAP_ROLE_OID),
                        Value::Int4(6),
                        ch('c'),
                        Value::Bool(false),
                        Value::Bool(true),
                        Value::Int4(-1),
                        Value::Int8(716),
                        Value::Int8(1),
                        oid(1663),
                        text("C"),
                        text("C"),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_authid") => self
                .roles
                .iter()
                .map(|r| {
                    vec![
                        oid(r.oid),
                        text(r.name.clone()),
                        Value::Bool(r.superuser),
                        Value::Bool(r.inherit),
                        Value::Bool(r.createrole),
                        Value::Bool(r.createdb),
                        Value::Bool(r.login),
                        Value::Bool(r.replication),
                        Value::Bool(r.bypassrls),
                        Value::Int4(r.connlimit),
                        opt_text(r.password.clone()),
                        valid_until(r, ctx),
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_roles") => self
                .roles
                .iter()
                .map(|r| {
                    vec![
                        text(r.name.clone()),
                        Value::Bool(r.superuser),
                        Value::Bool(r.inherit),
                        Value::Bool(r.createrole),
                        Value::Bool(r.createdb),
                        Value::Bool(r.login),
                        Value::Bool(r.replication),
                        Value::Int4(r.connlimit),
                        text("********"),
                        valid_until(r, ctx),
                        Value::Bool(r.bypassrls),
                        Value::Null,
                        oid(r.oid),
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_user") | ("pg_catalog", "pg_shadow") => self
                .roles
                .iter()
                .filter(|r| r.login)
                .map(|r| {
                    let passwd = if table.name == "pg_user" {
                        text("********")
                    } else {
                        opt_text(r.password.clone())
                    };
                    vec![
                        text(r.name.clone()),
                        oid(r.oid),
                        Value::Bool(r.createdb),
                        Value::Bool(r.superuser),
                        Value::Bool(r.replication),
                        Value::Bool(r.bypassrls),
                        passwd,
                        valid_until(r, ctx),
                        Value::Null,
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_settings") => match &ctx.vars {
                Some(vars) => vars
                    .lock()
                    .settings_table()
                    .into_iter()
                    .map(|(name, value, desc, settable, default)| {
                        let context = if settable { "user" } else { "internal" };
                        vec![
                            text(name),
                            text(value.clone()),
                            Value::Null,
                            text("Anchor"),
                            text(desc),
                            Value::Null,
                            text(context),
                            text("string"),
                            text(if value == default {
                                "default"
                            } else {
                                "session"
                            }),
                            Value::Null,
                            Value::Null,
                            Value::Null,
                            text(default),
                            text(default),
                            Value::Null,
                            Value::Null,
                            Value::Bool(false),
                        ]
                    })
                    .collect(),
                None => Vec::new(),
            },
            ("pg_catalog", "pg_sequence") => self
                .tables
                .iter()
                .filter_map(|t| Some((t, t.sequence.as_ref()?)))
                .map(|(t, s)| {
                    vec![
                        oid(t.oid),
                        oid(s.data_type.oid()),
                        Value::Int8(s.start),
                        Value::Int8(s.increment),
                        Value::Int8(s.max),
                        Value::Int8(s.min),
                        Value::Int8(s.cache),
                        Value::Bool(s.cycle),
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_sequences") => {
                let mut out = Vec::new();
                for t in &self.tables {
                    let Some(s) = &t.sequence else { continue };
                    let (last, called) = ctx.txn.sequence_value(t)?;
                    out.push(vec![
                        text(t.schema.clone()),
                        text(t.name.clone()),
                        text(self.owner()),
                        Value::Reg(Box::new(RegValue {
                            kind: RegKind::Type,
                            oid: s.data_type.oid(),
                            name: s.data_type.name(),
                        })),
                        Value::Int8(s.start),
                        Value::Int8(s.min),
                        Value::Int8(s.max),
                        Value::Int8(s.increment),
                        Value::Bool(s.cycle),
                        Value::Int8(s.cache),
                        if called {
                            Value::Int8(last)
                        } else {
                            Value::Null
                        },
                    ]);
                }
                out
            }
            ("pg_catalog", "pg_tables") => self
                .relations()
                .into_iter()
                .filter(|r| r.kind == 'r')
                .map(|r| {
                    vec![
                        opt_text(self.schema_name(r.namespace)),
                        text(r.name.clone()),
                        text(self.owner()),
                        Value::Null,
                        Value::Bool(r.table.is_some_and(|t| !indexes(t).is_empty())),
                        Value::Bool(false),
                        Value::Bool(r.table.is_some_and(|t| {
                            !t.foreign_keys.is_empty() || !t.referenced_by.is_empty()
                        })),
                        Value::Bool(false),
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_views") => self
                .relations()
                .into_iter()
                .filter(|r| r.kind == 'v')
                .map(|r| {
                    vec![
                        opt_text(self.schema_name(r.namespace)),
                        text(r.name.clone()),
                        text(self.owner()),
                        opt_text(r.table.and_then(|t| t.view.clone())),
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_indexes") => {
                let mut out = Vec::new();
                for t in &self.tables {
                    for i in indexes(t) {
                        out.push(vec![
                            text(t.schema.clone()),
                            text(t.name.clone()),
                            text(i.name.clone()),
                            Value::Null,
                            text(index_definition(t, &i, None)),
                        ]);
                    }
                }
                out
            }
            ("pg_catalog", "pg_stat_user_tables") => self
                .tables
                .iter()
                .filter(|t| t.view.is_none() && t.sequence.is_none())
                .map(|t| {
                    let mut row = vec![oid(t.oid), text(t.schema.clone()), text(t.name.clone())];
                    row.extend((0..8).map(|_| Value::Int8(0)));
                    row.push(Value::Int8(t.stats.as_ref().map_or(0, |s| s.rows as i64)));
                    row.extend((0..3).map(|_| Value::Int8(0)));
                    row.extend((0..4).map(|_| Value::Null));
                    row.extend((0..4).map(|_| Value::Int8(0)));
                    row
                })
                .collect(),
            ("pg_catalog", "pg_collation") => [
                (DEFAULT_COLLATION, "default", 'd', None),
                (950, "C", 'c', Some("C")),
                (951, "POSIX", 'c', Some("POSIX")),
            ]
            .into_iter()
            .map(|(o, n, p, c)| {
                vec![
                    oid(o),
                    text(n),
                    oid(PG_CATALOG_OID),
                    oid(BOOTSTRAP_ROLE_OID),
                    ch(p),
                    Value::Bool(true),
                    Value::Int4(-1),
                    opt_text(c),
                    opt_text(c),
                    Value::Null,
                    Value::Null,
                ]
            })
            .collect(),
            ("pg_catalog", "pg_tablespace") => [(1663, "pg_default"), (1664, "pg_global")]
                .into_iter()
                .map(|(o, n)| {
                    vec![
                        oid(o),
                        text(n),
                        oid(BOOTSTRAP_ROLE_OID),
                        Value::Null,
                        Value::Null,
                    ]
                })
                .collect(),
            ("pg_catalog", "pg_language") => [(12, "internal"), (13, "c"), (14, "sql")]
                .into_iter()
                .map(|(o, n)| {
                    vec![
                        oid(o),
                        text(n),
                        oid(BOOTSTRAP_ROLE_OID),
                        Value::Bool(false),
                        Value::Bool(n == "sql"),
                        oid(0),
                        oid(0),
                        oid(0),
                        Value::Null,
                    ]
                })
                .collect(),
            ("information_schema", "schemata") => self
                .all_schemas()
                .into_iter()
                .map(|(o, n)| {
                    let owner = if o == super::PUBLIC_OID {
                        self.role_name(PG_DATABASE_OWNER).unwrap_or_default()
                    } else {
                        self.owner()
                    };
                    vec![
                        text(self.database.clone()),
                        text(n),
                        text(owner),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                    ]
                })
                .collect(),
            ("information_schema", "tables") => self.is_tables(),
            ("information_schema", "columns") => self.is_columns(),
            ("information_schema", "views") => self
                .relations()
                .into_iter()
                .filter(|r| r.kind == 'v')
                .map(|r| {
                    let mut row = vec![
                        text(self.database.clone()),
                        opt_text(self.schema_name(r.namespace)),
                        text(r.name.clone()),
                        opt_text(r.table.and_then(|t| t.view.clone())),
                        text("NONE"),
                    ];
                    row.extend((0..5).map(|_| text("NO")));
                    row
                })
                .collect(),
            ("information_schema", "table_constraints") => self.is_table_constraints(),
            ("information_schema", "key_column_usage") => self.is_key_column_usage(),
            ("information_schema", "check_constraints") => self.is_check_constraints(),
            ("information_schema", "constraint_column_usage") => self.is_constraint_column_usage(),
            ("information_schema", "referential_constraints") => self.is_referential_constraints(),
            ("information_schema", "sequences") => self
                .tables
                .iter()
                .filter_map(|t| Some((t, t.sequence.as_ref()?)))
                .map(|(t, s)| {
                    let (p, radix, scale) = numeric_facts(&s.data_type);
                    vec![
                        text(self.database.clone()),
                        text(t.schema.clone()),
                        text(t.name.clone()),
                        text(s.data_type.name()),
                        p,
                        radix,
                        scale,
                        text(s.start.to_string()),
                        text(s.min.to_string()),
                        text(s.max.to_string()),
                        text(s.increment.to_string()),
                        yes_no(s.cycle),
                    ]
                })
                .collect(),
            // Catalogs of features Anchor does not have: no rows.
            _ => Vec::new(),
        })
    }

    fn pg_class(&self) -> Vec<Row> {
        self.relations()
            .into_iter()
            .map(|r| {
                let t = r.table;
                let checks = t.map_or(0, |t| t.checks.len());
                let has_index = t.is_some_and(|t| r.index.is_none() && !indexes(t).is_empty());
                let tuples = match (t, r.kind) {
                    (Some(t), 'r') => t.stats.as_ref().map_or(-1.0, |s| s.rows as f32),
                    (_, 'i' | 'r') => 0.0,
                    _ => 0.0,
                };
                let am = match r.kind {
                    'r' | 'S' => HEAP_AM,
                    'i' => BTREE_AM,
                    _ => 0,
                };
                vec![
                    oid(r.oid),
                    text(r.name.clone()),
                    oid(r.namespace),
                    oid(0),
                    oid(0),
                    oid(BOOTSTRAP_ROLE_OID),
                    oid(am),
                    oid(if r.kind == 'v' { 0 } else { r.oid }),
                    oid(0),
                    Value::Int4(0),
                    Value::Float4(tuples),
                    Value::Int4(0),
                    oid(0),
                    Value::Bool(has_index),
                    Value::Bool(false),
                    ch('p'),
                    ch(r.kind),
                    Value::Int2(r.column_count() as i16),
                    Value::Int2(checks as i16),
                    Value::Bool(r.kind == 'v'),
                    Value::Bool(t.is_some_and(|t| {
                        r.index.is_none()
                            && (!t.foreign_keys.is_empty() || !t.referenced_by.is_empty())
                    })),
                    Value::Bool(false),
                    Value::Bool(false),
                    Value::Bool(false),
                    Value::Bool(true),
                    ch(if r.kind == 'r' && r.system.is_none() {
                        'd'
                    } else {
                        'n'
                    }),
                    Value::Bool(false),
                    oid(0),
                    Value::Int8(0),
                    Value::Int8(0),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]
            })
            .collect()
    }

    fn pg_attribute(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for r in self.relations() {
            for (i, (name, ty, notnull, default, identity)) in r.columns().iter().enumerate() {
                let len = ty.typlen();
                out.push(vec![
                    oid(r.oid),
                    text(name.clone()),
                    oid(ty.oid()),
                    Value::Int4(-1),
                    Value::Int2(len),
                    Value::Int2(i as i16 + 1),
                    Value::Int4(i32::from(matches!(ty, DataType::Array(_)))),
                    Value::Int4(-1),
                    Value::Int4(ty.typmod()),
                    Value::Bool(matches!(len, 1 | 2 | 4 | 8)),
                    ch(align(ty)),
                    ch(storage(ty)),
                    ch('\0'),
                    Value::Bool(*notnull),
                    Value::Bool(default.is_some()),
                    Value::Bool(false),
                    ch(*identity),
                    ch('\0'),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Int4(0),
                    oid(collation_of(ty)),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]);
            }
        }
        out
    }

    fn pg_index(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in &self.tables {
            for i in indexes(t) {
                let n = i.columns.len() as i16;
                out.push(vec![
                    oid(i.oid),
                    oid(t.oid),
                    Value::Int2(n),
                    Value::Int2(n),
                    Value::Bool(i.unique),
                    Value::Bool(false),
                    Value::Bool(i.primary),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Bool(true),
                    Value::Bool(false),
                    int2s(i.columns.iter().map(|&c| c as i64 + 1)),
                    oids(
                        i.columns
                            .iter()
                            .map(|&c| t.columns.get(c).map_or(0, |c| collation_of(&c.data_type))),
                    ),
                    oids(i.columns.iter().map(|_| 0)),
                    int2s(i.columns.iter().map(|_| 0)),
                    Value::Null,
                    Value::Null,
                ]);
            }
        }
        out
    }

    fn pg_constraint(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in &self.tables {
            let namespace = self.schema_oid(&t.schema);
            for c in constraints(t) {
                let fk = c.foreign_key.as_ref();
                let referenced =
                    fk.and_then(|fk| self.tables.iter().find(|r| r.oid == fk.referenced));
                let index = match (fk, referenced) {
                    (Some(fk), Some(r)) => {
                        key_index(r, &fk.referenced_columns).map_or(0, |i| i.oid)
                    }
                    _ => c.index,
                };
                let key = if c.kind == 'c' {
                    Value::Null
                } else {
                    int2s(c.columns.iter().map(|&i| i as i64 + 1))
                };
                out.push(vec![
                    oid(c.oid),
                    text(c.name.clone()),
                    oid(namespace),
                    ch(c.kind),
                    Value::Bool(false),
                    Value::Bool(false),
                    Value::Bool(true),
                    oid(t.oid),
                    oid(0),
                    oid(index),
                    oid(0),
                    oid(fk.map_or(0, |fk| fk.referenced)),
                    ch(fk.map_or(' ', |fk| action_code(fk.on_update))),
                    ch(fk.map_or(' ', |fk| action_code(fk.on_delete))),
                    ch(if fk.is_some() { 's' } else { ' ' }),
                    Value::Bool(true),
                    Value::Int4(0),
                    Value::Bool(false),
                    key,
                    fk.map_or(Value::Null, |fk| {
                        int2s(fk.referenced_columns.iter().map(|&i| i as i64 + 1))
                    }),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    opt_text(c.check.clone()),
                ]);
            }
        }
        out
    }

    fn pg_attrdef(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in self.tables.iter().filter(|t| t.sequence.is_none()) {
            for (i, c) in t.columns.iter().enumerate() {
                if c.identity.is_some() {
                    continue;
                }
                if let Some(d) = &c.default {
                    out.push(vec![
                        oid(attrdef_oid(t.oid, i)),
                        oid(t.oid),
                        Value::Int2(i as i16 + 1),
                        text(display_default(d, &c.data_type)),
                    ]);
                }
            }
        }
        out
    }

    fn is_tables(&self) -> Vec<Row> {
        self.relations()
            .into_iter()
            .filter(|r| matches!(r.kind, 'r' | 'v'))
            .map(|r| {
                let table = r.kind == 'r';
                vec![
                    text(self.database.clone()),
                    opt_text(self.schema_name(r.namespace)),
                    text(r.name.clone()),
                    text(if table { "BASE TABLE" } else { "VIEW" }),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    yes_no(table),
                    text("NO"),
                    Value::Null,
                ]
            })
            .collect()
    }

    fn is_columns(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for r in self.relations() {
            if !matches!(r.kind, 'r' | 'v') {
                continue;
            }
            for (i, (name, ty, notnull, default, identity)) in r.columns().iter().enumerate() {
                let (length, octets) = match ty {
                    DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => (
                        Value::Int4(*n as i32),
                        Value::Int4((*n as i32).saturating_mul(4)),
                    ),
                    DataType::Varchar(None) | DataType::Char(None) | DataType::Text => {
                        (Value::Null, Value::Int4(1_073_741_824))
                    }
                    _ => (Value::Null, Value::Null),
                };
                let (precision, radix, scale) = numeric_facts(ty);
                let datetime = match ty {
                    DataType::Date => Value::Int4(0),
                    DataType::Time
                    | DataType::Timestamp
                    | DataType::TimestampTz
                    | DataType::Interval => Value::Int4(6),
                    _ => Value::Null,
                };
                let udt = match ty {
                    DataType::Array(e) => format!("_{}", e.typname()),
                    other => other.typname(),
                };
                // Columns of the default collation show none.
                let collation = Value::Null;
                let identity_generation = match identity {
                    'a' => text("ALWAYS"),
                    'd' => text("BY DEFAULT"),
                    _ => Value::Null,
                };
                let mut row = vec![
                    text(self.database.clone()),
                    opt_text(self.schema_name(r.namespace)),
                    text(r.name.clone()),
                    text(name.clone()),
                    Value::Int4(i as i32 + 1),
                    opt_text(default.as_deref().map(|d| display_default(d, ty))),
                    yes_no(!notnull),
                    text(standard_type_name(ty)),
                    length,
                    octets,
                    precision,
                    radix,
                    scale,
                    datetime,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    collation,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    text(self.database.clone()),
                    text("pg_catalog"),
                    text(udt),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    text((i + 1).to_string()),
                    text("NO"),
                    yes_no(*identity != '\0'),
                    identity_generation,
                ];
                row.extend((0..5).map(|_| Value::Null));
                row.push(text("NEVER"));
                row.push(Value::Null);
                row.push(yes_no(r.kind == 'r' && r.system.is_none()));
                out.push(row);
            }
        }
        out
    }

    fn is_table_constraints(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in self
            .tables
            .iter()
            .filter(|t| t.view.is_none() && t.sequence.is_none())
        {
            let namespace = self.schema_oid(&t.schema);
            let row = |name: String, kind: &str, nulls: Value| {
                vec![
                    text(self.database.clone()),
                    text(t.schema.clone()),
                    text(name),
                    text(self.database.clone()),
                    text(t.schema.clone()),
                    text(t.name.clone()),
                    text(kind),
                    text("NO"),
                    text("NO"),
                    text("YES"),
                    nulls,
                ]
            };
            for c in constraints(t) {
                let (kind, nulls) = match c.kind {
                    'p' => ("PRIMARY KEY", text("YES")),
                    'u' => ("UNIQUE", text("YES")),
                    'f' => ("FOREIGN KEY", Value::Null),
                    _ => ("CHECK", Value::Null),
                };
                out.push(row(c.name, kind, nulls));
            }
            for (i, c) in t.columns.iter().enumerate() {
                if !c.nullable {
                    out.push(row(
                        format!("{namespace}_{}_{}_not_null", t.oid, i + 1),
                        "CHECK",
                        Value::Null,
                    ));
                }
            }
        }
        out
    }

    fn is_key_column_usage(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in &self.tables {
            for c in constraints(t) {
                if c.kind == 'c' {
                    continue;
                }
                for (n, &col) in c.columns.iter().enumerate() {
                    let position = c.foreign_key.as_ref().map_or(Value::Null, |fk| {
                        let referenced = fk.referenced_columns.get(n).copied();
                        let key = self
                            .tables
                            .iter()
                            .find(|r| r.oid == fk.referenced)
                            .and_then(|r| key_index(r, &fk.referenced_columns));
                        match (key, referenced) {
                            (Some(k), Some(rc)) => k
                                .columns
                                .iter()
                                .position(|&x| x == rc)
                                .map_or(Value::Null, |p| Value::Int4(p as i32 + 1)),
                            _ => Value::Null,
                        }
                    });
                    out.push(vec![
                        text(self.database.clone()),
                        text(t.schema.clone()),
                        text(c.name.clone()),
                        text(self.database.clone()),
                        text(t.schema.clone()),
                        text(t.name.clone()),
                        opt_text(t.columns.get(col).map(|c| c.name.clone())),
                        Value::Int4(n as i32 + 1),
                        position,
                    ]);
                }
            }
        }
        out
    }

    fn is_check_constraints(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in self
            .tables
            .iter()
            .filter(|t| t.view.is_none() && t.sequence.is_none())
        {
            let namespace = self.schema_oid(&t.schema);
            let mut row = |name: String, clause: String| {
                out.push(vec![
                    text(self.database.clone()),
                    text(t.schema.clone()),
                    text(name),
                    text(clause),
                ])
            };
            for c in &t.checks {
                row(c.name.clone(), format!("(({}))", c.expr));
            }
            for (i, c) in t.columns.iter().enumerate() {
                if !c.nullable {
                    row(
                        format!("{namespace}_{}_{}_not_null", t.oid, i + 1),
                        format!(
                            "{} IS NOT NULL",
                            crate::functions::string::quote_ident(&c.name)
                        ),
                    );
                }
            }
        }
        out
    }

    fn is_constraint_column_usage(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in &self.tables {
            for c in constraints(t) {
                // A foreign key uses the referenced columns; a check the columns it names.
                let (table, columns): (&Table, Vec<usize>) = match (&c.foreign_key, &c.check) {
                    (Some(fk), _) => match self.tables.iter().find(|r| r.oid == fk.referenced) {
                        Some(r) => (r, fk.referenced_columns.clone()),
                        None => continue,
                    },
                    (None, Some(expr)) => (t, check_columns(t, expr)),
                    (None, None) => (t, c.columns.clone()),
                };
                for col in columns {
                    let Some(column) = table.columns.get(col) else {
                        continue;
                    };
                    out.push(vec![
                        text(self.database.clone()),
                        text(table.schema.clone()),
                        text(table.name.clone()),
                        text(column.name.clone()),
                        text(self.database.clone()),
                        text(t.schema.clone()),
                        text(c.name.clone()),
                    ]);
                }
            }
        }
        out
    }

    fn is_referential_constraints(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for t in &self.tables {
            for fk in &t.foreign_keys {
                let referenced = self.tables.iter().find(|r| r.oid == fk.referenced);
                let unique = referenced.and_then(|r| {
                    let key = key_index(r, &fk.referenced_columns)?;
                    constraints(r)
                        .into_iter()
                        .find(|c| c.index == key.oid && matches!(c.kind, 'p' | 'u'))
                        .map(|c| (r.schema.clone(), c.name))
                });
                let (schema, name) = match unique {
                    Some((s, n)) => (text(s), text(n)),
                    None => (Value::Null, Value::Null),
                };
                out.push(vec![
                    text(self.database.clone()),
                    text(t.schema.clone()),
                    text(fk.name.clone()),
                    text(self.database.clone()),
                    schema,
                    name,
                    text("NONE"),
                    text(action_name(fk.on_update)),
                    text(action_name(fk.on_delete)),
                ]);
            }
        }
        out
    }
}

/// The columns of `table` a CHECK expression names, in table order.
fn check_columns(table: &Table, expr: &str) -> Vec<usize> {
    let mut named = std::collections::BTreeSet::new();
    if let Ok(parsed) = crate::planner::parse_expr(expr) {
        let _ = ast::visit_expressions(&parsed, |e| {
            if let ast::Expr::Identifier(i) = e {
                let name = if i.quote_style.is_some() {
                    i.value.clone()
                } else {
                    i.value.to_lowercase()
                };
                if let Some(p) = table.column_index(&name) {
                    named.insert(p);
                }
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
    }
    named.into_iter().collect()
}

fn valid_until(r: &Role, ctx: &Context) -> Value {
    match &r.valid_until {
        Some(s) => Value::from_text(s, &DataType::TimestampTz, ctx.settings).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// A database's OID: PostgreSQL's for `postgres` (5), otherwise derived from the name so
/// that it stays the same across restarts.
pub fn database_oid(name: &str) -> Oid {
    if name == "postgres" {
        return 5;
    }
    // FNV-1a, folded into the derived range.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    0x4000_0000 | (h & 0x3FFF_FFFF)
}

/// `CREATE [UNIQUE] INDEX name ON schema.table USING btree (columns)`, as
/// `pg_get_indexdef` prints it.
/// With a snapshot (`pretty`), the table is qualified only when it is not visible.
pub fn index_definition(t: &Table, i: &IndexInfo, pretty: Option<&Snapshot>) -> String {
    let columns: Vec<String> = i
        .columns
        .iter()
        .filter_map(|&c| t.columns.get(c))
        .map(|c| crate::functions::string::quote_ident(&c.name))
        .collect();
    let table = match pretty {
        Some(snapshot) => snapshot.regclass_name(&t.schema, &t.name),
        None => format!(
            "{}.{}",
            crate::functions::string::quote_ident(&t.schema),
            crate::functions::string::quote_ident(&t.name)
        ),
    };
    format!(
        "CREATE {}INDEX {} ON {table} USING btree ({})",
        if i.unique { "UNIQUE " } else { "" },
        crate::functions::string::quote_ident(&i.name),
        columns.join(", ")
    )
}

/// The columns of a `pg_type` row that vary between the types not listed in
/// [`DATA_TYPE_OIDS`] (catalog types, enums and their arrays).
struct TypeRow {
    oid: Oid,
    name: String,
    namespace: Oid,
    len: i16,
    typtype: char,
    category: char,
    elem: Oid,
    array: Oid,
}

/// A `pg_type` row; `io` is the prefix of its I/O functions (`enum` for `enum_in`, ...), or
/// `None` to show none.
fn type_row(t: &TypeRow, io: Option<&str>) -> Row {
    let function = |f: &str| regproc(&io.map_or("-".to_string(), |p| format!("{p}_{f}")));
    let array_support = |f: &str| regproc(if io.is_some() && t.elem != 0 { f } else { "-" });
    vec![
        oid(t.oid),
        text(t.name.clone()),
        oid(t.namespace),
        oid(BOOTSTRAP_ROLE_OID),
        Value::Int2(t.len),
        Value::Bool(matches!(t.len, 1 | 2 | 4 | 8)),
        ch(t.typtype),
        ch(t.category),
        Value::Bool(false),
        Value::Bool(true),
        ch(','),
        oid(0),
        array_support("array_subscript_handler"),
        oid(t.elem),
        oid(t.array),
        function("in"),
        function("out"),
        function("recv"),
        function("send"),
        regproc("-"),
        regproc("-"),
        array_support("array_typanalyze"),
        ch('i'),
        ch(if t.len == -1 { 'x' } else { 'p' }),
        Value::Bool(false),
        oid(0),
        Value::Int4(-1),
        Value::Int4(0),
        oid(0),
        Value::Null,
        Value::Null,
        Value::Null,
    ]
}

fn pg_type() -> Vec<Row> {
    let mut out = Vec::new();
    let mut push_data_type = |t: &DataType, array_oid: Oid| {
        let len = t.typlen();
        let elem = t.element_type().map_or(0, DataType::oid);
        let category = t.category().code();
        let category = match t {
            DataType::SingleChar => 'Z',
            DataType::Name => 'S',
            _ => category,
        };
        out.push(vec![
            oid(t.oid()),
            text(t.typname()),
            oid(PG_CATALOG_OID),
            oid(BOOTSTRAP_ROLE_OID),
            Value::Int2(len),
            Value::Bool(matches!(len, 1 | 2 | 4 | 8)),
            ch(if *t == DataType::Unknown { 'p' } else { 'b' }),
            ch(category),
            Value::Bool(t.is_preferred()),
            Value::Bool(true),
            ch(','),
            oid(0),
            regproc(if elem != 0 {
                "array_subscript_handler"
            } else {
                "-"
            }),
            oid(elem),
            oid(array_oid),
            regproc(&io_function(t, "in")),
            regproc(&io_function(t, "out")),
            regproc(&io_function(t, "recv")),
            regproc(&io_function(t, "send")),
            regproc("-"),
            regproc("-"),
            regproc("-"),
            ch(align(t)),
            ch(storage(t)),
            Value::Bool(false),
            oid(0),
            Value::Int4(-1),
            Value::Int4(0),
            oid(collation_of(t)),
            Value::Null,
            Value::Null,
            Value::Null,
        ]);
    };
    for &o in DATA_TYPE_OIDS {
        let Some(t) = DataType::from_oid(o) else {
            continue;
        };
        let array = DataType::Array(Box::new(t.clone()));
        let array_oid = if t == DataType::Unknown {
            0
        } else {
            array.oid()
        };
        push_data_type(&t, array_oid);
        if array_oid != 0 {
            push_data_type(&array, 0);
        }
    }
    for &(o, name, len, typtype, category, array) in OTHER_TYPES {
        let row = |o: Oid,
                   name: String,
                   len: i16,
                   typtype: char,
                   category: char,
                   elem: Oid,
                   array: Oid| {
            type_row(
                &TypeRow {
                    oid: o,
                    name,
                    namespace: PG_CATALOG_OID,
                    len,
                    typtype,
                    category,
                    elem,
                    array,
                },
                None,
            )
        };
        out.push(row(o, name.to_string(), len, typtype, category, 0, array));
        if array != 0 {
            out.push(row(array, format!("_{name}"), -1, 'b', 'A', o, 0));
        }
    }
    out
}
