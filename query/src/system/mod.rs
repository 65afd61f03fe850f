//! The system catalogs: `pg_catalog.*` and `information_schema.*` as read-only virtual
//! tables.
//!
//! Anchor keeps its catalog as one JSON definition per relation ([`crate::catalog::Table`]);
//! PostgreSQL's clients (psql's `\d`, drivers, ORMs, Grafana) read it through PostgreSQL's
//! own relations instead. Each relation here is a name, a column list with PostgreSQL's
//! column names and types ([`SystemTable`]), and a function that builds its rows from the
//! live catalog of the current transaction when a statement reads it: the binder resolves
//! `pg_catalog.pg_class` (or bare `pg_class`: `pg_catalog` is implicitly first on the search
//! path, as in PostgreSQL) to a [`crate::plan::Node::FunctionScan`] of a set function named
//! after the relation, and the executor asks [`scan`] for its rows. Everything above the scan
//! (joins, filters, regular expressions, sub-selects) is the ordinary planner's, so no query
//! text is matched.
//!
//! OIDs: built-in types, namespaces, access methods and the catalogs themselves have
//! PostgreSQL's; user relations have the OIDs the storage gave them (16384 and up).
//! Constraints and column defaults have no OID of their own in Anchor's catalog, so they get
//! derived ones, stable as long as the table's constraints are ([`constraint_oid`]).
//! Everything is owned by the bootstrap superuser (OID 10). Catalogs Anchor has nothing for
//! (triggers, policies, publications, inheritance, ...) exist with their columns and no rows,
//! so that queries joining them still run.

pub mod functions;
mod rows;

use crate::catalog::{Column, Oid, Table};
use crate::error::Result;
use crate::exec::Context;
use crate::functions::srf::RowIter;
use crate::types::{DataType, RegKind};

pub use rows::{Snapshot, constraint_oid, constraints};

/// `pg_catalog`'s OID.
pub const PG_CATALOG_OID: Oid = 11;
/// `pg_toast`'s OID.
pub const PG_TOAST_OID: Oid = 99;
/// `public`'s OID.
pub const PUBLIC_OID: Oid = 2200;
/// `information_schema`'s OID (PostgreSQL 15's initdb gives it one in this range).
pub const INFORMATION_SCHEMA_OID: Oid = 13212;
/// The `heap` access method.
pub const HEAP_AM: Oid = 2;
/// The `btree` access method.
pub const BTREE_AM: Oid = 403;
/// The `default` collation.
pub const DEFAULT_COLLATION: Oid = 100;

/// The prefix of the set-function names that stand for system relations in plans.
const SCAN_PREFIX: &str = "system catalog ";

/// A system relation: where it lives, its OID, and its columns as `name type` pairs.
#[derive(Debug)]
pub struct SystemTable {
    /// `pg_catalog` or `information_schema`.
    pub schema: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its OID (PostgreSQL's for the catalogs clients name by OID).
    pub oid: Oid,
    /// True for PostgreSQL's views (`pg_roles`, `pg_tables`, all of information_schema).
    pub view: bool,
    /// Columns: `name:type` separated by spaces.
    pub(crate) spec: &'static str,
}

macro_rules! sys {
    ($schema:expr, $name:expr, $oid:expr, $view:expr, $spec:expr) => {
        SystemTable {
            schema: $schema,
            name: $name,
            oid: $oid,
            view: $view,
            spec: $spec,
        }
    };
}

const PG: &str = "pg_catalog";
const IS: &str = "information_schema";

/// Every system relation.
pub static SYSTEM_TABLES: &[SystemTable] = &[
    sys!(
        PG,
        "pg_namespace",
        2615,
        false,
        "oid:oid nspname:name nspowner:oid nspacl:text[]"
    ),
    sys!(
        PG,
        "pg_class",
        1259,
        false,
        "oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid \
         relfilenode:oid reltablespace:oid relpages:int4 reltuples:float4 relallvisible:int4 \
         reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char relkind:char \
         relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool \
         relrowsecurity:bool relforcerowsecurity:bool relispopulated:bool relreplident:char \
         relispartition:bool relrewrite:oid relfrozenxid:int8 relminmxid:int8 relacl:text[] \
         reloptions:text[] relpartbound:text"
    ),
    sys!(
        PG,
        "pg_attribute",
        1249,
        false,
        "attrelid:oid attname:name atttypid:oid attstattarget:int4 attlen:int2 attnum:int2 \
         attndims:int4 attcacheoff:int4 atttypmod:int4 attbyval:bool attalign:char \
         attstorage:char attcompression:char attnotnull:bool atthasdef:bool \
         atthasmissing:bool attidentity:char attgenerated:char attisdropped:bool \
         attislocal:bool attinhcount:int4 attcollation:oid attacl:text[] attoptions:text[] \
         attfdwoptions:text[]"
    ),
    sys!(
        PG,
        "pg_type",
        1247,
        false,
        "oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool \
         typtype:char typcategory:char typispreferred:bool typisdefined:bool typdelim:char \
         typrelid:oid typsubscript:regproc typelem:oid typarray:oid typinput:regproc \
         typoutput:regproc typreceive:regproc typsend:regproc typmodin:regproc \
         typmodout:regproc typanalyze:regproc typalign:char typstorage:char typnotnull:bool \
         typbasetype:oid typtypmod:int4 typndims:int4 typcollation:oid typdefaultbin:text \
         typdefault:text typacl:text[]"
    ),
    sys!(
        PG,
        "pg_index",
        2610,
        false,
        "indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool \
         indnullsnotdistinct:bool indisprimary:bool indisexclusion:bool indimmediate:bool \
         indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool \
         indisreplident:bool indkey:int2[] indcollation:oid[] indclass:oid[] indoption:int2[] \
         indexprs:text indpred:text"
    ),
    sys!(
        PG,
        "pg_constraint",
        2606,
        false,
        "oid:oid conname:name connamespace:oid contype:char condeferrable:bool \
         condeferred:bool convalidated:bool conrelid:oid contypid:oid conindid:oid \
         conparentid:oid confrelid:oid confupdtype:char confdeltype:char confmatchtype:char \
         conislocal:bool coninhcount:int4 connoinherit:bool conkey:int2[] confkey:int2[] \
         conpfeqop:oid[] conppeqop:oid[] conffeqop:oid[] confdelsetcols:int2[] \
         conexclop:oid[] conbin:text"
    ),
    sys!(
        PG,
        "pg_attrdef",
        2604,
        false,
        "oid:oid adrelid:oid adnum:int2 adbin:text"
    ),
    sys!(
        PG,
        "pg_am",
        2601,
        false,
        "oid:oid amname:name amhandler:regproc amtype:char"
    ),
    sys!(
        PG,
        "pg_database",
        1262,
        false,
        "oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char \
         datistemplate:bool datallowconn:bool datconnlimit:int4 datfrozenxid:int8 \
         datminmxid:int8 dattablespace:oid datcollate:text datctype:text daticulocale:text \
         datcollversion:text datacl:text[]"
    ),
    sys!(
        PG,
        "pg_authid",
        1260,
        false,
        "oid:oid rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool \
         rolcreatedb:bool rolcanlogin:bool rolreplication:bool rolbypassrls:bool \
         rolconnlimit:int4 rolpassword:text rolvaliduntil:timestamptz"
    ),
    sys!(
        PG,
        "pg_roles",
        12001,
        true,
        "rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool \
         rolcanlogin:bool rolreplication:bool rolconnlimit:int4 rolpassword:text \
         rolvaliduntil:timestamptz rolbypassrls:bool rolconfig:text[] oid:oid"
    ),
    sys!(
        PG,
        "pg_user",
        12002,
        true,
        "usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool \
         usebypassrls:bool passwd:text valuntil:timestamptz useconfig:text[]"
    ),
    sys!(
        PG,
        "pg_shadow",
        12003,
        true,
        "usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool \
         usebypassrls:bool passwd:text valuntil:timestamptz useconfig:text[]"
    ),
    sys!(
        PG,
        "pg_auth_members",
        1261,
        false,
        "oid:oid roleid:oid member:oid grantor:oid admin_option:bool"
    ),
    sys!(
        PG,
        "pg_proc",
        1255,
        false,
        "oid:oid proname:name pronamespace:oid proowner:oid prolang:oid procost:float4 \
         prorows:float4 provariadic:oid prosupport:regproc prokind:char prosecdef:bool \
         proleakproof:bool proisstrict:bool proretset:bool provolatile:char \
         proparallel:char pronargs:int2 pronargdefaults:int2 prorettype:oid \
         proargtypes:oid[] proallargtypes:oid[] proargmodes:char[] proargnames:text[] \
         proargdefaults:text protrftypes:oid[] prosrc:text probin:text prosqlbody:text \
         proconfig:text[] proacl:text[]"
    ),
    sys!(
        PG,
        "pg_description",
        2609,
        false,
        "objoid:oid classoid:oid objsubid:int4 description:text"
    ),
    sys!(
        PG,
        "pg_shdescription",
        2396,
        false,
        "objoid:oid classoid:oid description:text"
    ),
    sys!(
        PG,
        "pg_settings",
        12004,
        true,
        "name:text setting:text unit:text category:text short_desc:text extra_desc:text \
         context:text vartype:text source:text min_val:text max_val:text enumvals:text[] \
         boot_val:text reset_val:text sourcefile:text sourceline:int4 pending_restart:bool"
    ),
    sys!(
        PG,
        "pg_sequence",
        2224,
        false,
        "seqrelid:oid seqtypid:oid seqstart:int8 seqincrement:int8 seqmax:int8 seqmin:int8 \
         seqcache:int8 seqcycle:bool"
    ),
    sys!(
        PG,
        "pg_sequences",
        12005,
        true,
        "schemaname:name sequencename:name sequenceowner:name data_type:regtype \
         start_value:int8 min_value:int8 max_value:int8 increment_by:int8 cycle:bool \
         cache_size:int8 last_value:int8"
    ),
    sys!(
        PG,
        "pg_tables",
        12006,
        true,
        "schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool \
         hasrules:bool hastriggers:bool rowsecurity:bool"
    ),
    sys!(
        PG,
        "pg_views",
        12007,
        true,
        "schemaname:name viewname:name viewowner:name definition:text"
    ),
    sys!(
        PG,
        "pg_indexes",
        12008,
        true,
        "schemaname:name tablename:name indexname:name tablespace:name indexdef:text"
    ),
    sys!(
        PG,
        "pg_matviews",
        12009,
        true,
        "schemaname:name matviewname:name matviewowner:name tablespace:name \
         hasindexes:bool ispopulated:bool definition:text"
    ),
    sys!(
        PG,
        "pg_stat_user_tables",
        12010,
        true,
        "relid:oid schemaname:name relname:name seq_scan:int8 seq_tup_read:int8 \
         idx_scan:int8 idx_tup_fetch:int8 n_tup_ins:int8 n_tup_upd:int8 n_tup_del:int8 \
         n_tup_hot_upd:int8 n_live_tup:int8 n_dead_tup:int8 n_mod_since_analyze:int8 \
         n_ins_since_vacuum:int8 last_vacuum:timestamptz last_autovacuum:timestamptz \
         last_analyze:timestamptz last_autoanalyze:timestamptz vacuum_count:int8 \
         autovacuum_count:int8 analyze_count:int8 autoanalyze_count:int8"
    ),
    sys!(
        PG,
        "pg_collation",
        3456,
        false,
        "oid:oid collname:name collnamespace:oid collowner:oid collprovider:char \
         collisdeterministic:bool collencoding:int4 collcollate:text collctype:text \
         colliculocale:text collversion:text"
    ),
    sys!(
        PG,
        "pg_tablespace",
        1213,
        false,
        "oid:oid spcname:name spcowner:oid spcacl:text[] spcoptions:text[]"
    ),
    sys!(
        PG,
        "pg_inherits",
        2611,
        false,
        "inhrelid:oid inhparent:oid inhseqno:int4 inhdetachpending:bool"
    ),
    sys!(
        PG,
        "pg_partitioned_table",
        3350,
        false,
        "partrelid:oid partstrat:char partnatts:int2 partdefid:oid partattrs:int2[] \
         partclass:oid[] partcollation:oid[] partexprs:text"
    ),
    sys!(
        PG,
        "pg_extension",
        3079,
        false,
        "oid:oid extname:name extowner:oid extnamespace:oid extrelocatable:bool \
         extversion:text extconfig:oid[] extcondition:text[]"
    ),
    sys!(
        PG,
        "pg_enum",
        3501,
        false,
        "oid:oid enumtypid:oid enumsortorder:float4 enumlabel:name"
    ),
    sys!(
        PG,
        "pg_range",
        3541,
        false,
        "rngtypid:oid rngsubtype:oid rngmultitypid:oid rngcollation:oid rngsubopc:oid \
         rngcanonical:regproc rngsubdiff:regproc"
    ),
    sys!(
        PG,
        "pg_trigger",
        2620,
        false,
        "oid:oid tgrelid:oid tgparentid:oid tgname:name tgfoid:oid tgtype:int2 \
         tgenabled:char tgisinternal:bool tgconstrrelid:oid tgconstrindid:oid \
         tgconstraint:oid tgdeferrable:bool tginitdeferred:bool tgnargs:int2 \
         tgattr:int2[] tgqual:text tgoldtable:name tgnewtable:name"
    ),
    sys!(
        PG,
        "pg_policy",
        3256,
        false,
        "oid:oid polname:name polrelid:oid polcmd:char polpermissive:bool polroles:oid[] \
         polqual:text polwithcheck:text"
    ),
    sys!(
        PG,
        "pg_statistic_ext",
        3381,
        false,
        "oid:oid stxrelid:oid stxname:name stxnamespace:oid stxowner:oid \
         stxstattarget:int4 stxkeys:int2[] stxkind:char[] stxexprs:text"
    ),
    sys!(
        PG,
        "pg_publication",
        6104,
        false,
        "oid:oid pubname:name pubowner:oid puballtables:bool pubinsert:bool \
         pubupdate:bool pubdelete:bool pubtruncate:bool pubviaroot:bool"
    ),
    sys!(
        PG,
        "pg_publication_namespace",
        6237,
        false,
        "oid:oid pnpubid:oid pnnspid:oid"
    ),
    sys!(
        PG,
        "pg_publication_rel",
        6106,
        false,
        "oid:oid prpubid:oid prrelid:oid prqual:text prattrs:int2[]"
    ),
    sys!(
        PG,
        "pg_rewrite",
        2618,
        false,
        "oid:oid rulename:name ev_class:oid ev_type:char ev_enabled:char is_instead:bool \
         ev_qual:text ev_action:text"
    ),
    sys!(
        PG,
        "pg_depend",
        2608,
        false,
        "classid:oid objid:oid objsubid:int4 refclassid:oid refobjid:oid refobjsubid:int4 \
         deptype:char"
    ),
    sys!(
        PG,
        "pg_language",
        2612,
        false,
        "oid:oid lanname:name lanowner:oid lanispl:bool lanpltrusted:bool \
         lanplcallfoid:oid laninline:oid lanvalidator:oid lanacl:text[]"
    ),
    sys!(
        PG,
        "pg_stat_activity",
        12011,
        true,
        "datid:oid datname:name pid:int4 leader_pid:int4 usesysid:oid usename:name \
         application_name:text client_addr:text client_hostname:text client_port:int4 \
         backend_start:timestamptz xact_start:timestamptz query_start:timestamptz \
         state_change:timestamptz wait_event_type:text wait_event:text state:text \
         backend_xid:int8 backend_xmin:int8 query_id:int8 query:text backend_type:text"
    ),
    sys!(
        IS,
        "schemata",
        13300,
        true,
        "catalog_name:name schema_name:name schema_owner:name \
         default_character_set_catalog:name default_character_set_schema:name \
         default_character_set_name:name sql_path:varchar"
    ),
    sys!(
        IS,
        "tables",
        13301,
        true,
        "table_catalog:name table_schema:name table_name:name table_type:varchar \
         self_referencing_column_name:name reference_generation:varchar \
         user_defined_type_catalog:name user_defined_type_schema:name \
         user_defined_type_name:name is_insertable_into:varchar is_typed:varchar \
         commit_action:varchar"
    ),
    sys!(
        IS,
        "columns",
        13302,
        true,
        "table_catalog:name table_schema:name table_name:name column_name:name \
         ordinal_position:int4 column_default:varchar is_nullable:varchar data_type:varchar \
         character_maximum_length:int4 character_octet_length:int4 numeric_precision:int4 \
         numeric_precision_radix:int4 numeric_scale:int4 datetime_precision:int4 \
         interval_type:varchar interval_precision:int4 character_set_catalog:name \
         character_set_schema:name character_set_name:name collation_catalog:name \
         collation_schema:name collation_name:name domain_catalog:name domain_schema:name \
         domain_name:name udt_catalog:name udt_schema:name udt_name:name scope_catalog:name \
         scope_schema:name scope_name:name maximum_cardinality:int4 dtd_identifier:name \
         is_self_referencing:varchar is_identity:varchar identity_generation:varchar \
         identity_start:varchar identity_increment:varchar identity_maximum:varchar \
         identity_minimum:varchar identity_cycle:varchar is_generated:varchar \
         generation_expression:varchar is_updatable:varchar"
    ),
    sys!(
        IS,
        "views",
        13303,
        true,
        "table_catalog:name table_schema:name table_name:name view_definition:varchar \
         check_option:varchar is_updatable:varchar is_insertable_into:varchar \
         is_trigger_updatable:varchar is_trigger_deletable:varchar \
         is_trigger_insertable_into:varchar"
    ),
    sys!(
        IS,
        "table_constraints",
        13304,
        true,
        "constraint_catalog:name constraint_schema:name constraint_name:name \
         table_catalog:name table_schema:name table_name:name constraint_type:varchar \
         is_deferrable:varchar initially_deferred:varchar enforced:varchar \
         nulls_distinct:varchar"
    ),
    sys!(
        IS,
        "key_column_usage",
        13305,
        true,
        "constraint_catalog:name constraint_schema:name constraint_name:name \
         table_catalog:name table_schema:name table_name:name column_name:name \
         ordinal_position:int4 position_in_unique_constraint:int4"
    ),
    sys!(
        IS,
        "check_constraints",
        13308,
        true,
        "constraint_catalog:name constraint_schema:name constraint_name:name \
         check_clause:varchar"
    ),
    sys!(
        IS,
        "constraint_column_usage",
        13309,
        true,
        "table_catalog:name table_schema:name table_name:name column_name:name \
         constraint_catalog:name constraint_schema:name constraint_name:name"
    ),
    sys!(
        IS,
        "referential_constraints",
        13306,
        true,
        "constraint_catalog:name constraint_schema:name constraint_name:name \
         unique_constraint_catalog:name unique_constraint_schema:name \
         unique_constraint_name:name match_option:varchar update_rule:varchar \
         delete_rule:varchar"
    ),
    sys!(
        IS,
        "sequences",
        13307,
        true,
        "sequence_catalog:name sequence_schema:name sequence_name:name data_type:varchar \
         numeric_precision:int4 numeric_precision_radix:int4 numeric_scale:int4 \
         start_value:varchar minimum_value:varchar maximum_value:varchar increment:varchar \
         cycle_option:varchar"
    ),
];

impl SystemTable {
    /// The columns, with their types.
    pub fn columns(&self) -> Vec<(String, DataType)> {
        self.spec
            .split_whitespace()
            .map(|c| {
                let (name, ty) = c.split_once(':').unwrap_or((c, "text"));
                (name.to_string(), spec_type(ty))
            })
            .collect()
    }

    /// The relation as a [`Table`] definition (no rows, no constraints), for binding names.
    pub fn table(&self) -> Table {
        Table {
            oid: self.oid,
            schema: self.schema.to_string(),
            name: self.name.to_string(),
            columns: self
                .columns()
                .into_iter()
                .map(|(name, data_type)| Column {
                    name,
                    data_type,
                    nullable: true,
                    default: None,
                    identity: None,
                })
                .collect(),
            ..Table::default()
        }
    }

    /// The name of the set function that produces its rows in a plan.
    pub fn scan_name(&self) -> String {
        format!("{SCAN_PREFIX}{}.{}", self.schema, self.name)
    }
}

fn spec_type(ty: &str) -> DataType {
    let (base, array) = match ty.strip_suffix("[]") {
        Some(b) => (b, true),
        None => (ty, false),
    };
    let t = match base {
        "oid" => DataType::Oid,
        "name" => DataType::Name,
        "char" => DataType::SingleChar,
        "bool" => DataType::Bool,
        "int2" => DataType::Int2,
        "int4" => DataType::Int4,
        "int8" => DataType::Int8,
        "float4" => DataType::Float4,
        "varchar" => DataType::Varchar(None),
        "timestamptz" => DataType::TimestampTz,
        "regproc" => DataType::Reg(RegKind::Proc),
        "regtype" => DataType::Reg(RegKind::Type),
        _ => DataType::Text,
    };
    if array {
        DataType::Array(Box::new(t))
    } else {
        t
    }
}

/// The system relation `name` in `schema` (or, without a schema, in `pg_catalog`, which is
/// searched first).
pub fn find(schema: Option<&str>, name: &str) -> Option<&'static SystemTable> {
    let schema = schema.unwrap_or(PG);
    SYSTEM_TABLES
        .iter()
        .find(|t| t.schema == schema && t.name == name)
}

/// The system relation with OID `oid`.
pub fn by_oid(oid: Oid) -> Option<&'static SystemTable> {
    SYSTEM_TABLES.iter().find(|t| t.oid == oid)
}

/// The rows of the set function `name` if it stands for a system relation.
pub fn scan(name: &str, ctx: &mut Context) -> Result<Option<RowIter>> {
    let Some(qualified) = name.strip_prefix(SCAN_PREFIX) else {
        return Ok(None);
    };
    let Some((schema, relation)) = qualified.split_once('.') else {
        return Ok(None);
    };
    let Some(table) = find(Some(schema), relation) else {
        return Ok(None);
    };
    let snapshot = Snapshot::take(ctx)?;
    let rows = snapshot.rows(table, ctx)?;
    Ok(Some(Box::new(rows.into_iter().map(Ok))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cluster;

    #[test]
    fn every_row_has_every_column() {
        let cluster = Cluster::memory().expect("cluster");
        let mut session = cluster.connect("anchor").expect("session");
        let setup = "CREATE TABLE p (id int PRIMARY KEY, n text UNIQUE);
            CREATE TABLE c (id serial PRIMARY KEY, p int REFERENCES p (id), v numeric(5,2) CHECK (v > 0),
                g int GENERATED ALWAYS AS IDENTITY);
            CREATE INDEX c_v ON c (v);
            CREATE VIEW w AS SELECT id FROM c;
            CREATE SEQUENCE s;
            CREATE ROLE r LOGIN PASSWORD 'x';
            ANALYZE";
        for r in session.execute(setup) {
            r.expect("setup");
        }
        for table in SYSTEM_TABLES {
            let sql = format!("SELECT * FROM {}.{}", table.schema, table.name);
            let result = session.execute(&sql).remove(0).expect(&sql);
            assert_eq!(result.columns.len(), table.columns().len(), "{sql}");
            for row in &result.rows {
                assert_eq!(row.len(), result.columns.len(), "{sql}: {row:?}");
                for (value, (name, ty)) in row.iter().zip(&result.columns) {
                    let fits = value.is_null()
                        || value.data_type().without_typmod() == ty.without_typmod()
                        || (ty.is_string() && value.data_type().is_string());
                    assert!(fits, "{sql}: {name} is {ty} but holds {value:?}");
                }
            }
        }
    }
}
