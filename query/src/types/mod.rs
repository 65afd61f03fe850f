//! SQL types and values: what Anchor stores, compares, computes and prints.
//!
//! # Types
//!
//! [`DataType`] lists the supported types with PostgreSQL's OIDs, names (as `format_type`
//! prints them) and categories: `boolean`; `smallint`, `integer`, `bigint`; `real`,
//! `double precision`; `numeric(p,s)`; `text`, `varchar(n)`, `char(n)`; `bytea`; `date`,
//! `time`, `timestamp`, `timestamptz`; `interval`; `uuid`; `json`, `jsonb`; arrays of
//! any of these; user-defined enums ([`EnumType`]); and `unknown`, the type of a literal or
//! parameter not yet resolved.
//!
//! # Values
//!
//! [`Value`] holds one value of any type, or `NULL`. The representations follow
//! PostgreSQL's own, so arithmetic and output agree bit for bit:
//!
//! | type | representation |
//! |------|----------------|
//! | integers, floats | `i16`/`i32`/`i64`, `f32`/`f64` |
//! | `numeric` | [`Numeric`]: a big integer and a display scale (`1.50` keeps its 0) |
//! | strings | `String`; `char(n)` stored blank-padded, the length lives in the type |
//! | `date` | days since 2000-01-01, `i32::MAX`/`MIN` = `±infinity` |
//! | `time` | µs since midnight |
//! | `timestamp[tz]` | µs since 2000-01-01 (UTC for `timestamptz`), `i64::MAX`/`MIN` = `±infinity` |
//! | `interval` | [`Interval`]: months, days, µs (kept apart: a month is not 30 days) |
//! | `uuid` | 16 bytes |
//! | enums | [`EnumValue`]: the type and the label's index (order by the label's sort key) |
//! | `json` / `jsonb` | the text as written / normalized (`{"a": 1}`) |
//! | arrays | [`Array`]: element type and elements; a dimension more is a nested array |
//!
//! # Comparison, sorting, hashing, keys
//!
//! [`Value::compare`] is SQL's comparison (`None` for `NULL`). Numbers compare by exact
//! value across types; floats put `NaN` above everything and equal to itself, and `-0 = 0`.
//! [`Value::sort_cmp`] extends it to a total order with `NULL` last, [`Value::hash_key`]
//! agrees with it, and [`Value::to_key_part`] maps a value onto the engine's
//! order-preserving key encoding (`numeric`, `interval` and arrays as order-preserving
//! bytes).
//!
//! # Coercion
//!
//! [`can_coerce`] answers PostgreSQL's `pg_cast` question in a [`CoercionContext`]:
//!
//! ```text
//!   implicit:    int2 → int4 → int8 → numeric → float4 → float8   (each to any to its right)
//!                varchar ↔ text ↔ bpchar,  date → timestamp → timestamptz,  time → interval,
//!                unknown → anything
//!   assignment:  the reverse numeric directions, float → numeric, timestamptz → timestamp,
//!                timestamp[tz] → date/time, json ↔ jsonb, anything → a string type
//!   explicit:    bool ↔ int4, jsonb → bool/numbers, a string type → anything
//! ```
//!
//! [`common_type`] resolves `UNION`/`CASE`/`COALESCE`/`VALUES` inputs: all `unknown` is
//! `text`; otherwise all must share a category, and the type that the others convert to
//! implicitly wins, a preferred type (`float8`, `text`, `timestamptz`, `interval`) once
//! reached. [`Value::cast`] performs explicit casts; [`Value::assign`] stores into a column.
//!
//! # Text formats
//!
//! [`Value::to_text`] and [`Value::from_text`] are PostgreSQL's output and input functions
//! under the session's [`Settings`] (`TimeZone`, `DateStyle`, `IntervalStyle`,
//! `extra_float_digits`): `t`/`f`; shortest round-trip floats (`1e+100`, `-0`,
//! `Infinity`); numerics with their scale; `\x...` hex bytea; ISO dates and timestamps
//! (`2024-01-02 03:04:05.5`, `+05:30` offsets in the session zone, ` BC`); intervals as
//! `1 year 2 mons 3 days 04:05:06` or ISO 8601; arrays `{1,2,NULL}` with quoting. Errors
//! carry PostgreSQL's SQLSTATEs and messages.
//!
//! # Operators
//!
//! [`binary_op`] and [`unary_op`] evaluate operators on values whose types the binder has
//! resolved: integer overflow (22003), division by zero (22012), numeric result scales
//! (`select_div_scale`), float overflow checks, date/time arithmetic, `||`.
//!
//! # Row format
//!
//! [`encode_row`] and [`decode_row`] store a row as:
//!
//! ```text
//! +--------+-----------+-------------------+------------------------------------+
//! | 0x01   | n: varint | NULL bitmap       | tag + payload per non-NULL column  |
//! +--------+-----------+-------------------+------------------------------------+
//! ```
//!
//! See [`row`] for the payloads. Decoding checks every tag against the declared column
//! type and reports bad bytes as XX001; rows shorter than the table read `NULL` for the
//! missing trailing columns.

#![deny(missing_docs)]
pub mod cast;
pub mod datatype;
pub mod datetime;
pub mod enums;
pub mod float;
pub mod json;
pub mod numeric;
pub mod ops;
pub mod row;
pub mod text;
pub mod value;

pub use cast::{CoercionContext, can_coerce, common_type, common_type_in};
pub use datatype::{DataType, RegKind, TypeCategory, UserTypes};
pub use datetime::{DateOrder, Interval, IntervalStyle, TimeZone};
pub use enums::{EnumType, EnumValue};
pub use numeric::Numeric;
pub use ops::{BinaryOp, UnaryOp, binary_op, binary_op_type, unary_op};
pub use row::{decode_row, encode_row};
pub use text::{DateStyle, Settings};
pub use value::{Array, RegValue, Value};
