//! SQL data types: PostgreSQL's OIDs, names, type categories and the mapping from
//! `sqlparser`'s syntax tree.

use std::fmt;
use std::sync::Arc;

use sqlparser::ast;

use super::enums::EnumType;

use crate::error::{Error, Result, SqlState};

/// A SQL data type, with its type modifier (length, precision) where it has one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DataType {
    /// `boolean` (OID 16).
    Bool,
    /// `smallint` (OID 21).
    Int2,
    /// `integer` (OID 23).
    Int4,
    /// `bigint` (OID 20).
    Int8,
    /// `real` (OID 700).
    Float4,
    /// `double precision` (OID 701).
    Float8,
    /// `numeric(p,s)` (OID 1700); `None` means unconstrained.
    Numeric {
        /// Total number of significant digits, 1..=1000.
        precision: Option<u32>,
        /// Digits after the decimal point, `0..=precision`; only with a precision.
        scale: Option<u32>,
    },
    /// `text` (OID 25).
    Text,
    /// `character varying(n)` (OID 1043).
    Varchar(Option<u32>),
    /// `character(n)`, PostgreSQL's `bpchar` (OID 1042); blank-padded to `n`.
    Char(Option<u32>),
    /// `bytea` (OID 17).
    Bytea,
    /// `date` (OID 1082).
    Date,
    /// `time without time zone` (OID 1083).
    Time,
    /// `timestamp without time zone` (OID 1114).
    Timestamp,
    /// `timestamp with time zone` (OID 1184).
    TimestampTz,
    /// `interval` (OID 1186).
    Interval,
    /// `uuid` (OID 2950).
    Uuid,
    /// `json` (OID 114): the text as written, validated.
    Json,
    /// `jsonb` (OID 3802): normalized JSON.
    Jsonb,
    /// An array of the element type (one OID per element type, e.g. `integer[]` is 1007).
    Array(Box<DataType>),
    /// A user-defined enum type, with its labels.
    Enum(Arc<EnumType>),
    /// `unknown` (OID 705): an untyped literal or parameter not yet resolved.
    Unknown,
    /// `oid` (OID 26): an object identifier, an unsigned 32-bit number.
    Oid,
    /// `name` (OID 19): the system catalogs' identifier type, a string.
    Name,
    /// `"char"` (OID 18): one byte, the catalogs' code type (`pg_class.relkind`), a string.
    SingleChar,
    /// `regclass`, `regtype`, ...: an OID that reads and prints as an object's name.
    Reg(RegKind),
}

/// The object-identifier alias types (`regclass`, `regtype`, ...): which catalog the OID
/// names an object of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RegKind {
    /// `regclass` (OID 2205): a relation.
    Class,
    /// `regtype` (OID 2206): a type.
    Type,
    /// `regproc` (OID 24): a function, by name.
    Proc,
    /// `regprocedure` (OID 2202): a function, with its argument types.
    Procedure,
    /// `regnamespace` (OID 4089): a schema.
    Namespace,
    /// `regrole` (OID 4096): a role.
    Role,
}

impl RegKind {
    /// The type's name (`regclass`).
    pub fn name(self) -> &'static str {
        match self {
            RegKind::Class => "regclass",
            RegKind::Type => "regtype",
            RegKind::Proc => "regproc",
            RegKind::Procedure => "regprocedure",
            RegKind::Namespace => "regnamespace",
            RegKind::Role => "regrole",
        }
    }
}

/// PostgreSQL's type categories (`pg_type.typcategory`), which drive implicit coercion and
/// the resolution of `UNION`/`CASE` types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeCategory {
    /// `A`: arrays.
    Array,
    /// `B`: boolean.
    Boolean,
    /// `D`: date and time.
    DateTime,
    /// `N`: numbers.
    Numeric,
    /// `S`: strings.
    String,
    /// `T`: time spans (interval).
    Timespan,
    /// `E`: enums.
    Enum,
    /// `U`: user-defined and other types (bytea, uuid, json, jsonb).
    User,
    /// `X`: unknown.
    Unknown,
}

impl TypeCategory {
    /// The one-letter code of `pg_type.typcategory`.
    pub fn code(self) -> char {
        match self {
            TypeCategory::Array => 'A',
            TypeCategory::Boolean => 'B',
            TypeCategory::DateTime => 'D',
            TypeCategory::Enum => 'E',
            TypeCategory::Numeric => 'N',
            TypeCategory::String => 'S',
            TypeCategory::Timespan => 'T',
            TypeCategory::User => 'U',
            TypeCategory::Unknown => 'X',
        }
    }
}

/// The element types that have an array type, with (element OID, array OID).
const ARRAY_OIDS: &[(DataType, u32, u32)] = &[
    (DataType::Bool, 16, 1000),
    (DataType::Bytea, 17, 1001),
    (DataType::Int8, 20, 1016),
    (DataType::Int2, 21, 1005),
    (DataType::Int4, 23, 1007),
    (DataType::Text, 25, 1009),
    (DataType::Json, 114, 199),
    (DataType::Float4, 700, 1021),
    (DataType::Float8, 701, 1022),
    (DataType::Char(None), 1042, 1014),
    (DataType::Varchar(None), 1043, 1015),
    (DataType::Date, 1082, 1182),
    (DataType::Time, 1083, 1183),
    (DataType::Timestamp, 1114, 1115),
    (DataType::TimestampTz, 1184, 1185),
    (DataType::Interval, 1186, 1187),
    (
        DataType::Numeric {
            precision: None,
            scale: None,
        },
        1700,
        1231,
    ),
    (DataType::Uuid, 2950, 2951),
    (DataType::Jsonb, 3802, 3807),
    (DataType::Unknown, 705, 0),
    (DataType::Oid, 26, 1028),
    (DataType::Name, 19, 1003),
    (DataType::SingleChar, 18, 1002),
    (DataType::Reg(RegKind::Class), 2205, 2210),
    (DataType::Reg(RegKind::Type), 2206, 2211),
    (DataType::Reg(RegKind::Proc), 24, 1008),
    (DataType::Reg(RegKind::Procedure), 2202, 2207),
    (DataType::Reg(RegKind::Namespace), 4089, 4090),
    (DataType::Reg(RegKind::Role), 4096, 4097),
];

/// Largest `numeric` precision PostgreSQL accepts in a type modifier.
pub const NUMERIC_MAX_PRECISION: u32 = 1000;
/// Largest length of `varchar(n)` / `char(n)`.
pub const MAX_STRING_LENGTH: u32 = 10_485_760;

impl DataType {
    /// The unconstrained `numeric`.
    pub const NUMERIC: DataType = DataType::Numeric {
        precision: None,
        scale: None,
    };

    /// PostgreSQL's OID of the type (typmods do not change it).
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Enum(ty) => ty.oid,
            DataType::Array(elem) if matches!(**elem, DataType::Enum(_)) => match &**elem {
                DataType::Enum(ty) => ty.array_oid,
                _ => 0,
            },
            DataType::Array(elem) => {
                let base = elem.without_typmod();
                ARRAY_OIDS
                    .iter()
                    .find(|(t, _, _)| *t == base)
                    .map_or(0, |(_, _, array)| *array)
            }
            other => {
                let base = other.without_typmod();
                ARRAY_OIDS
                    .iter()
                    .find(|(t, _, _)| *t == base)
                    .map_or(0, |(_, oid, _)| *oid)
            }
        }
    }

    /// The type of an OID, without typmod; `None` for OIDs Anchor does not know.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        if oid == 0 {
            return None;
        }
        ARRAY_OIDS.iter().find_map(|(t, elem, array)| {
            if *elem == oid {
                Some(t.clone())
            } else if *array == oid {
                Some(DataType::Array(Box::new(t.clone())))
            } else {
                None
            }
        })
    }

    /// The type with its modifiers dropped (`varchar(10)` → `varchar`), recursively.
    pub fn without_typmod(&self) -> DataType {
        match self {
            DataType::Numeric { .. } => DataType::NUMERIC,
            DataType::Varchar(_) => DataType::Varchar(None),
            DataType::Char(_) => DataType::Char(None),
            DataType::Array(elem) => DataType::Array(Box::new(elem.without_typmod())),
            other => other.clone(),
        }
    }

    /// The `atttypmod` of the type as PostgreSQL reports it in `RowDescription` and
    /// `pg_attribute`: `-1` when there is none, `n + 4` for `varchar(n)`/`char(n)`,
    /// `((p << 16) | s) + 4` for `numeric(p,s)`.
    pub fn typmod(&self) -> i32 {
        match self {
            DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => *n as i32 + 4,
            DataType::Numeric {
                precision: Some(p),
                scale,
            } => ((*p as i32) << 16 | scale.unwrap_or(0) as i32) + 4,
            DataType::Array(elem) => elem.typmod(),
            _ => -1,
        }
    }

    /// `pg_type.typlen`: the fixed size in bytes, or `-1` for variable-length types and
    /// `-2` for `unknown` (a C string).
    pub fn typlen(&self) -> i16 {
        match self {
            DataType::Bool | DataType::SingleChar => 1,
            DataType::Int2 => 2,
            DataType::Int4
            | DataType::Float4
            | DataType::Date
            | DataType::Enum(_)
            | DataType::Oid
            | DataType::Reg(_) => 4,
            DataType::Name => 64,
            DataType::Int8
            | DataType::Float8
            | DataType::Time
            | DataType::Timestamp
            | DataType::TimestampTz => 8,
            DataType::Interval | DataType::Uuid => 16,
            DataType::Unknown => -2,
            DataType::Numeric { .. }
            | DataType::Text
            | DataType::Varchar(_)
            | DataType::Char(_)
            | DataType::Bytea
            | DataType::Json
            | DataType::Jsonb
            | DataType::Array(_) => -1,
        }
    }

    /// The type's category.
    pub fn category(&self) -> TypeCategory {
        match self {
            DataType::Bool => TypeCategory::Boolean,
            DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Float4
            | DataType::Float8
            | DataType::Numeric { .. }
            | DataType::Oid
            | DataType::Reg(_) => TypeCategory::Numeric,
            DataType::Text
            | DataType::Varchar(_)
            | DataType::Char(_)
            | DataType::Name
            | DataType::SingleChar => TypeCategory::String,
            DataType::Date | DataType::Time | DataType::Timestamp | DataType::TimestampTz => {
                TypeCategory::DateTime
            }
            DataType::Interval => TypeCategory::Timespan,
            DataType::Bytea | DataType::Uuid | DataType::Json | DataType::Jsonb => {
                TypeCategory::User
            }
            DataType::Array(_) => TypeCategory::Array,
            DataType::Enum(_) => TypeCategory::Enum,
            DataType::Unknown => TypeCategory::Unknown,
        }
    }

    /// `pg_type.typispreferred`: the type others of its category resolve to.
    pub fn is_preferred(&self) -> bool {
        matches!(
            self,
            DataType::Bool
                | DataType::Float8
                | DataType::Text
                | DataType::TimestampTz
                | DataType::Interval
        )
    }

    /// True for the numeric category: integers, floats and `numeric`.
    pub fn is_numeric(&self) -> bool {
        self.category() == TypeCategory::Numeric
    }

    /// True for `smallint`, `integer` and `bigint`.
    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    /// True for `real` and `double precision`.
    pub fn is_float(&self) -> bool {
        matches!(self, DataType::Float4 | DataType::Float8)
    }

    /// True for `text`, `varchar` and `char`.
    pub fn is_string(&self) -> bool {
        self.category() == TypeCategory::String
    }

    /// True for `date`, `time`, `timestamp` and `timestamptz`.
    pub fn is_datetime(&self) -> bool {
        self.category() == TypeCategory::DateTime
    }

    /// The element type of an array type.
    pub fn element_type(&self) -> Option<&DataType> {
        match self {
            DataType::Array(elem) => Some(elem),
            _ => None,
        }
    }

    /// The name `format_type` prints: `integer`, `character varying(10)`, `numeric(10,2)`,
    /// `timestamp with time zone`, `integer[]`.
    pub fn name(&self) -> String {
        match self {
            DataType::Bool => "boolean".into(),
            DataType::Int2 => "smallint".into(),
            DataType::Int4 => "integer".into(),
            DataType::Int8 => "bigint".into(),
            DataType::Float4 => "real".into(),
            DataType::Float8 => "double precision".into(),
            DataType::Numeric {
                precision: Some(p),
                scale,
            } => format!("numeric({},{})", p, scale.unwrap_or(0)),
            DataType::Numeric { .. } => "numeric".into(),
            DataType::Text => "text".into(),
            DataType::Varchar(Some(n)) => format!("character varying({n})"),
            DataType::Varchar(None) => "character varying".into(),
            DataType::Char(Some(n)) => format!("character({n})"),
            DataType::Char(None) => "bpchar".into(),
            DataType::Bytea => "bytea".into(),
            DataType::Date => "date".into(),
            DataType::Time => "time without time zone".into(),
            DataType::Timestamp => "timestamp without time zone".into(),
            DataType::TimestampTz => "timestamp with time zone".into(),
            DataType::Interval => "interval".into(),
            DataType::Uuid => "uuid".into(),
            DataType::Json => "json".into(),
            DataType::Jsonb => "jsonb".into(),
            DataType::Array(elem) => format!("{}[]", elem.name()),
            // Qualified outside `public`, as format_type does for a type off the search path.
            DataType::Enum(ty) if ty.schema != "public" => format!("{}.{}", ty.schema, ty.name),
            DataType::Enum(ty) => ty.name.clone(),
            DataType::Unknown => "unknown".into(),
            DataType::Oid => "oid".into(),
            DataType::Name => "name".into(),
            DataType::SingleChar => "\"char\"".into(),
            DataType::Reg(kind) => kind.name().into(),
        }
    }

    /// The name to write in SQL text that is parsed again: [`DataType::name`], with enum
    /// types always schema-qualified so that they resolve whatever the search path.
    pub fn sql_name(&self) -> String {
        match self {
            DataType::Enum(ty) => format!(
                "{}.{}",
                crate::functions::string::quote_ident(&ty.schema),
                crate::functions::string::quote_ident(&ty.name)
            ),
            DataType::Array(elem) if matches!(**elem, DataType::Enum(_)) => {
                format!("{}[]", elem.sql_name())
            }
            other => other.name(),
        }
    }

    /// The `pg_type.typname`: `int4`, `varchar`, `_int4` for arrays.
    pub fn typname(&self) -> String {
        match self {
            DataType::Bool => "bool".into(),
            DataType::Int2 => "int2".into(),
            DataType::Int4 => "int4".into(),
            DataType::Int8 => "int8".into(),
            DataType::Float4 => "float4".into(),
            DataType::Float8 => "float8".into(),
            DataType::Numeric { .. } => "numeric".into(),
            DataType::Text => "text".into(),
            DataType::Varchar(_) => "varchar".into(),
            DataType::Char(_) => "bpchar".into(),
            DataType::Bytea => "bytea".into(),
            DataType::Date => "date".into(),
            DataType::Time => "time".into(),
            DataType::Timestamp => "timestamp".into(),
            DataType::TimestampTz => "timestamptz".into(),
            DataType::Interval => "interval".into(),
            DataType::Uuid => "uuid".into(),
            DataType::Json => "json".into(),
            DataType::Jsonb => "jsonb".into(),
            DataType::Array(elem) => format!("_{}", elem.typname()),
            DataType::Enum(ty) => ty.name.clone(),
            DataType::Unknown => "unknown".into(),
            DataType::Oid => "oid".into(),
            DataType::Name => "name".into(),
            DataType::SingleChar => "char".into(),
            DataType::Reg(kind) => kind.name().into(),
        }
    }

    /// The type written in a statement, e.g. in `CREATE TABLE` or `CAST`, among the built-in
    /// types only. Types Anchor does not support answer 0A000 naming the type; bad modifiers
    /// answer 22023 as PostgreSQL.
    pub fn from_sql(t: &ast::DataType) -> Result<DataType> {
        DataType::from_sql_with(t, &mut |_| Ok(None))
    }

    /// [`DataType::from_sql`] that asks `user_type` for names that are not built-in types
    /// (`mood`, `public.mood`): the catalog's user-defined types.
    pub fn from_sql_with(t: &ast::DataType, user_type: &mut UserTypes<'_>) -> Result<DataType> {
        use ast::DataType as S;
        Ok(match t {
            S::Bool | S::Boolean => DataType::Bool,
            S::Int2(None) | S::SmallInt(None) => DataType::Int2,
            S::Int(None) | S::Int4(None) | S::Integer(None) => DataType::Int4,
            S::Int8(None) | S::BigInt(None) => DataType::Int8,
            S::Float4 | S::Real => DataType::Float4,
            S::Float8 | S::DoublePrecision | S::Double(ast::ExactNumberInfo::None) => {
                DataType::Float8
            }
            S::Float(info) => match info {
                ast::ExactNumberInfo::None => DataType::Float8,
                ast::ExactNumberInfo::Precision(p) => float_with_precision(*p)?,
                ast::ExactNumberInfo::PrecisionAndScale(..) => {
                    return Err(unsupported_type(t));
                }
            },
            S::Numeric(info) | S::Decimal(info) | S::Dec(info) => match info {
                ast::ExactNumberInfo::None => DataType::NUMERIC,
                ast::ExactNumberInfo::Precision(p) => numeric_typmod(*p as i64, 0)?,
                ast::ExactNumberInfo::PrecisionAndScale(p, s) => numeric_typmod(*p as i64, *s)?,
            },
            S::Text => DataType::Text,
            S::Varchar(len) | S::CharacterVarying(len) | S::CharVarying(len) => {
                DataType::Varchar(char_length(t, len, "varchar")?)
            }
            S::Char(len) | S::Character(len) => {
                DataType::Char(Some(char_length(t, len, "char")?.unwrap_or(1)))
            }
            S::Bytea => DataType::Bytea,
            S::Date => DataType::Date,
            S::Time(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => {
                DataType::Time
            }
            S::Timestamp(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => {
                DataType::Timestamp
            }
            S::Timestamp(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => {
                DataType::TimestampTz
            }
            S::Interval { .. } => DataType::Interval,
            S::Uuid => DataType::Uuid,
            S::JSON => DataType::Json,
            S::JSONB => DataType::Jsonb,
            S::Array(
                ast::ArrayElemTypeDef::SquareBracket(elem, _)
                | ast::ArrayElemTypeDef::Qualified(elem, _),
            ) => {
                let elem = DataType::from_sql_with(elem, user_type)?;
                match elem {
                    // `int[][]` is the same type as `int[]` in PostgreSQL.
                    DataType::Array(_) => elem,
                    _ => DataType::Array(Box::new(elem)),
                }
            }
            S::Regclass => DataType::Reg(RegKind::Class),
            S::Custom(name, modifiers) => custom_type(t, name, modifiers, user_type)?,
            _ => return Err(unsupported_type(t)),
        })
    }
}

impl fmt::Display for DataType {
    /// Writes [`DataType::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

fn unsupported_type(t: &impl fmt::Display) -> Error {
    Error::unsupported(format!("type {t}"))
}

/// `float(p)`: `real` up to 24 bits of precision, `double precision` up to 53.
fn float_with_precision(p: u64) -> Result<DataType> {
    match p {
        0 => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "precision for type float must be at least 1 bit",
        )),
        1..=24 => Ok(DataType::Float4),
        25..=53 => Ok(DataType::Float8),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "precision for type float must be less than 54 bits",
        )),
    }
}

fn numeric_typmod(precision: i64, scale: i64) -> Result<DataType> {
    if !(1..=NUMERIC_MAX_PRECISION as i64).contains(&precision) {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("NUMERIC precision {precision} must be between 1 and {NUMERIC_MAX_PRECISION}"),
        ));
    }
    if !(0..=precision).contains(&scale) {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("NUMERIC scale {scale} must be between 0 and precision {precision}"),
        ));
    }
    Ok(DataType::Numeric {
        precision: Some(precision as u32),
        scale: Some(scale as u32),
    })
}

fn string_length(name: &str, n: u64) -> Result<u32> {
    if n == 0 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("length for type {name} must be at least 1"),
        ));
    }
    if n > MAX_STRING_LENGTH as u64 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("length for type {name} cannot exceed {MAX_STRING_LENGTH}"),
        ));
    }
    Ok(n as u32)
}

fn char_length(
    t: &ast::DataType,
    len: &Option<ast::CharacterLength>,
    name: &str,
) -> Result<Option<u32>> {
    match len {
        None => Ok(None),
        Some(ast::CharacterLength::IntegerLength { length, .. }) => {
            string_length(name, *length).map(Some)
        }
        Some(ast::CharacterLength::Max) => Err(unsupported_type(t)),
    }
}

/// Looks up a user-defined type by its (possibly qualified) name.
pub type UserTypes<'a> = dyn FnMut(&ast::ObjectName) -> Result<Option<DataType>> + 'a;

/// Types that `sqlparser` leaves as names: `int4`, `bpchar`, `timestamptz`, `pg_catalog.text`,
/// and user-defined types.
fn custom_type(
    t: &ast::DataType,
    name: &ast::ObjectName,
    modifiers: &[String],
    user_type: &mut UserTypes<'_>,
) -> Result<DataType> {
    let full = name.to_string().to_ascii_lowercase();
    let base = full
        .strip_prefix("pg_catalog.")
        .unwrap_or(&full)
        .trim_matches('"');
    let mods: Vec<i64> = modifiers
        .iter()
        .map(|m| m.trim().parse::<i64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| unsupported_type(t))?;
    let plain = |ty: DataType| {
        if mods.is_empty() {
            Ok(ty)
        } else {
            Err(unsupported_type(t))
        }
    };
    match base {
        "bool" | "boolean" => plain(DataType::Bool),
        "int2" | "smallint" => plain(DataType::Int2),
        "int" | "int4" | "integer" => plain(DataType::Int4),
        "int8" | "bigint" => plain(DataType::Int8),
        "float4" | "real" => plain(DataType::Float4),
        "float8" => plain(DataType::Float8),
        "numeric" | "decimal" => match mods.as_slice() {
            [] => Ok(DataType::NUMERIC),
            [p] => numeric_typmod(*p, 0),
            [p, s] => numeric_typmod(*p, *s),
            _ => Err(unsupported_type(t)),
        },
        "text" => plain(DataType::Text),
        "varchar" => match mods.as_slice() {
            [] => Ok(DataType::Varchar(None)),
            [n] if *n >= 0 => Ok(DataType::Varchar(Some(string_length(
                "varchar", *n as u64,
            )?))),
            _ => Err(unsupported_type(t)),
        },
        "bpchar" => match mods.as_slice() {
            [] => Ok(DataType::Char(None)),
            [n] if *n >= 0 => Ok(DataType::Char(Some(string_length("char", *n as u64)?))),
            _ => Err(unsupported_type(t)),
        },
        "bytea" => plain(DataType::Bytea),
        "date" => plain(DataType::Date),
        "time" => plain(DataType::Time),
        "timestamp" => plain(DataType::Timestamp),
        "timestamptz" => plain(DataType::TimestampTz),
        "interval" => plain(DataType::Interval),
        "uuid" => plain(DataType::Uuid),
        "json" => plain(DataType::Json),
        "jsonb" => plain(DataType::Jsonb),
        "oid" => plain(DataType::Oid),
        "name" => plain(DataType::Name),
        "char" => plain(DataType::SingleChar),
        "regclass" => plain(DataType::Reg(RegKind::Class)),
        "regtype" => plain(DataType::Reg(RegKind::Type)),
        "regproc" => plain(DataType::Reg(RegKind::Proc)),
        "regprocedure" => plain(DataType::Reg(RegKind::Procedure)),
        "regnamespace" => plain(DataType::Reg(RegKind::Namespace)),
        "regrole" => plain(DataType::Reg(RegKind::Role)),
        _ => match user_type(name)? {
            Some(ty) => plain(ty),
            None => Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("type \"{}\" does not exist", name),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn parse(sql: &str) -> Result<DataType> {
        let dialect = PostgreSqlDialect {};
        let mut parser = Parser::new(&dialect)
            .try_with_sql(sql)
            .map_err(Error::internal)?;
        let t = parser.parse_data_type().map_err(Error::internal)?;
        DataType::from_sql(&t)
    }

    #[test]
    fn sql_names_map_to_types() {
        let cases = [
            ("int", "integer"),
            ("integer", "integer"),
            ("int4", "integer"),
            ("smallint", "smallint"),
            ("bigint", "bigint"),
            ("int8", "bigint"),
            ("real", "real"),
            ("float4", "real"),
            ("float", "double precision"),
            ("float(10)", "real"),
            ("double precision", "double precision"),
            ("numeric", "numeric"),
            ("numeric(10,2)", "numeric(10,2)"),
            ("decimal(5)", "numeric(5,0)"),
            ("varchar(10)", "character varying(10)"),
            ("character varying", "character varying"),
            ("char", "character(1)"),
            ("char(3)", "character(3)"),
            ("text", "text"),
            ("bytea", "bytea"),
            ("date", "date"),
            ("time", "time without time zone"),
            ("timestamp", "timestamp without time zone"),
            ("timestamptz", "timestamp with time zone"),
            ("timestamp with time zone", "timestamp with time zone"),
            ("interval", "interval"),
            ("uuid", "uuid"),
            ("json", "json"),
            ("jsonb", "jsonb"),
            ("int[]", "integer[]"),
            ("text[][]", "text[]"),
            ("boolean", "boolean"),
        ];
        for (sql, name) in cases {
            assert_eq!(parse(sql).map(|t| t.name()), Ok(name.to_string()), "{sql}");
        }
        let err = parse("numeric(2000)").unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
        assert_eq!(
            err.to_string(),
            "NUMERIC precision 2000 must be between 1 and 1000"
        );
        assert_eq!(
            parse("varchar(0)").unwrap_err().to_string(),
            "length for type varchar must be at least 1"
        );
        assert_eq!(
            parse("time with time zone").unwrap_err().sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
    }

    #[test]
    fn oids_round_trip() {
        for (t, oid, array) in ARRAY_OIDS {
            assert_eq!(t.oid(), *oid);
            assert_eq!(DataType::from_oid(*oid).as_ref(), Some(t));
            if *array != 0 {
                let a = DataType::Array(Box::new(t.clone()));
                assert_eq!(a.oid(), *array);
                assert_eq!(DataType::from_oid(*array), Some(a));
            }
        }
        assert_eq!(DataType::Varchar(Some(3)).oid(), 1043);
        assert_eq!(DataType::Varchar(Some(3)).typmod(), 7);
        assert_eq!(
            DataType::Numeric {
                precision: Some(10),
                scale: Some(2)
            }
            .typmod(),
            (10 << 16 | 2) + 4
        );
        assert_eq!(DataType::from_oid(99999), None);
        assert_eq!(DataType::Array(Box::new(DataType::Int4)).typname(), "_int4");
    }
}
