//! Row-level storage: the one boundary between SQL and the key-value world.
//!
//! The executor reads and writes rows through [`Transaction`]; it never sees keys. [`Local`]
//! implements it with MVCC over a local engine (in a cluster a replicated store will
//! implement the same trait). The layout of the MVCC key space:
//!
//! ```text
//! 0x01 | table oid u32                          -> table definition (JSON)
//! 0x02 | keycode(schema, name)                   -> table oid u32
//! 0x03 | keycode(name)                           -> schema oid u32
//! 0x04 | keycode(schema, name)                   -> user-defined type (JSON)
//! 0x10 | table oid u32 | row key                 -> encoded row
//! 0x11 | index oid u32 | keycode(indexed values) [| row key]  -> row key
//! ```
//!
//! A row key is the keycode encoding of the primary key's values, or for a table without a
//! primary key a hidden row number (a big-endian u64 from a per-table counter). Index
//! entries of a unique index whose values are all non-NULL are keyed by the values alone, so a
//! second row with the same values collides with the first; other entries (non-unique
//! indexes, or values with a NULL, which PostgreSQL treats as distinct) append the row key.
//! Counters (object ids, row numbers) are not transactional, like PostgreSQL's sequences:
//! they are reserved in blocks from unversioned keys and a crash may skip some numbers.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use anchor_engine::KeyRange;
use anchor_engine::engine::prefix_successor;
use anchor_engine::keycode::{self, Order};
use anchor_engine::mvcc::{self, IsolationLevel, Mvcc};
use parking_lot::Mutex;

use crate::catalog::{FIRST_USER_OID, Index, Oid, Sequence, Table};
use crate::error::{Error, Result, SqlState};
use crate::types::{self, EnumType, Value};

/// An encoded primary key (or hidden row number): where a row lives.
pub type RowKey = Vec<u8>;

/// A row's values, in column order.
pub type Row = Vec<Value>;

/// An owned stream of rows with their keys.
pub type Rows = Box<dyn Iterator<Item = Result<(RowKey, Row)>> + Send>;

/// What the executor may do with the data of one transaction.
pub trait Transaction: Send {
    /// Every table this transaction can see.
    fn tables(&mut self) -> Result<Vec<Table>>;
    /// Every schema: the built-in ones (`pg_catalog`, `public`) and those created, with
    /// their object ids, by name.
    fn schemas(&mut self) -> Result<Vec<(Oid, String)>>;
    /// Records a new schema (23505-like 42P06 if it exists).
    fn create_schema(&mut self, name: &str) -> Result<()>;
    /// Removes a schema created by `create_schema` (the caller removes what is in it).
    fn drop_schema(&mut self, name: &str) -> Result<()>;
    /// The table `schema.name`, if it exists.
    fn table(&mut self, schema: &str, name: &str) -> Result<Option<Table>>;
    /// The table with object id `oid`, if it exists.
    fn table_by_oid(&mut self, oid: Oid) -> Result<Option<Table>>;
    /// Every user-defined type (enums) this transaction can see.
    fn user_types(&mut self) -> Result<Vec<EnumType>>;
    /// The user-defined type `schema.name`, if it exists.
    fn user_type(&mut self, schema: &str, name: &str) -> Result<Option<EnumType>>;
    /// Stores a user-defined type, new or changed; `renamed_from` is its old name after
    /// `ALTER TYPE ... RENAME TO`.
    fn put_type(&mut self, ty: &EnumType, renamed_from: Option<&str>) -> Result<()>;
    /// Removes a user-defined type (the caller deals with what uses it).
    fn drop_type(&mut self, ty: &EnumType) -> Result<()>;
    /// A new object id for a table or index.
    fn next_oid(&mut self) -> Result<Oid>;
    /// Records a new table (its oid already taken from [`Transaction::next_oid`]).
    fn create_table(&mut self, table: &Table) -> Result<()>;
    /// Replaces a table's definition (ALTER TABLE, CREATE INDEX).
    fn alter_table(&mut self, table: &Table) -> Result<()>;
    /// Adds `index` to `table` and fills it from the existing rows (23505 if a unique index
    /// meets duplicates).
    fn create_index(&mut self, table: &Table, index: &Index) -> Result<Table>;
    /// Removes the index named `name` from `table` with its entries.
    fn drop_index(&mut self, table: &Table, name: &str) -> Result<()>;
    /// Removes every row of a table (and its index entries), keeping the table.
    fn truncate(&mut self, table: &Table) -> Result<()>;
    /// Removes a table with its rows and indexes.
    fn drop_table(&mut self, table: &Table) -> Result<()>;
    /// Every row of `table`, in row-key order.
    fn scan(&mut self, table: &Table) -> Result<Rows>;
    /// The row at `key`.
    fn get(&mut self, table: &Table, key: &[u8]) -> Result<Option<Row>>;
    /// Locks the row at `key` against writers until the transaction ends (waiting for a
    /// writer that holds it), as a foreign key check locks the parent row it found; false if
    /// the newest committed version of the row (or this transaction's own) is gone.
    fn lock_shared(&mut self, table: &Table, key: &[u8]) -> Result<bool>;
    /// Locks the row at `key` for `SELECT ... FOR UPDATE` (`update`) or `FOR SHARE`, as
    /// `policy` says: `None` if SKIP LOCKED skipped it, else its newest committed version
    /// (or this transaction's own), `Some(None)` if that is gone.
    fn lock_row(
        &mut self,
        table: &Table,
        key: &[u8],
        update: bool,
        policy: mvcc::WaitPolicy,
    ) -> Result<Option<Option<Row>>>;
    /// The rows whose values in `index` start with `prefix`.
    fn scan_index(&mut self, table: &Table, index: &Index, prefix: &[Value]) -> Result<Rows>;
    /// The rows whose row keys lie between `lower` and `upper`, in row-key order. A bound is
    /// an encoded prefix of the primary key (as [`primary_key`] builds it): `Included(b)`
    /// takes in every key that starts with `b`, `Excluded(b)` leaves them all out.
    fn scan_range(
        &mut self,
        table: &Table,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> Result<Rows>;
    /// The rows whose values in `index` lie between `lower` and `upper`, in index order;
    /// bounds are encoded prefixes of the index's values, as for [`Transaction::scan_range`].
    fn scan_index_range(
        &mut self,
        table: &Table,
        index: &Index,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> Result<Rows>;
    /// Inserts a row, enforcing the primary key and unique indexes (23505).
    fn insert(&mut self, table: &Table, row: Row) -> Result<RowKey>;
    /// Replaces the row at `key` (whose current values are `old`) with `new`.
    fn update(&mut self, table: &Table, key: &[u8], old: &Row, new: Row) -> Result<RowKey>;
    /// Deletes the row at `key` (whose current values are `old`).
    fn delete(&mut self, table: &Table, key: &[u8], old: &Row) -> Result<()>;
    /// Gives `table` the name `name` (its definition is written separately).
    fn rename_table(&mut self, table: &Table, name: &str) -> Result<()>;
    /// Moves a relation's name into `schema` (42P07 if the name is taken there); the caller
    /// stores the definition with its new schema.
    fn move_table(&mut self, table: &Table, schema: &str) -> Result<()>;
    /// Advances sequence `seq` and returns the new value. Not transactional, as in
    /// PostgreSQL: a value once handed out is never handed out again, even if the
    /// transaction rolls back.
    fn nextval(&mut self, seq: &Table) -> Result<i64>;
    /// Sets sequence `seq` to `value`; the next `nextval` returns the value after it, or
    /// `value` itself if `is_called` is false.
    fn setval(&mut self, seq: &Table, value: i64, is_called: bool) -> Result<()>;
    /// The sequence's last value and whether it was handed out (`SELECT * FROM seq`).
    fn sequence_value(&mut self, seq: &Table) -> Result<(i64, bool)>;
    /// The transaction's id (`txid_current()`).
    fn id(&self) -> u64;
    /// Starts a new statement: at READ COMMITTED, a new snapshot.
    fn new_statement(&mut self);
    /// Sets a savepoint.
    fn savepoint(&mut self, name: &str);
    /// Undoes what was done since the savepoint.
    fn rollback_to(&mut self, name: &str) -> Result<()>;
    /// Forgets a savepoint, keeping what was done.
    fn release(&mut self, name: &str) -> Result<()>;
    /// Makes the transaction's writes durable and visible.
    fn commit(self: Box<Self>) -> Result<()>;
    /// Undoes the transaction.
    fn rollback(self: Box<Self>) -> Result<()>;
}

const TABLE_DEF: u8 = 0x01;
const TABLE_NAME: u8 = 0x02;
const SCHEMA: u8 = 0x03;
const USER_TYPE: u8 = 0x04;

/// The schemas every database has, with PostgreSQL's object ids.
pub const BUILTIN_SCHEMAS: &[(Oid, &str)] = &[(11, "pg_catalog"), (2200, "public")];

fn schema_key(name: &str) -> Vec<u8> {
    let mut k = vec![SCHEMA];
    keycode::encode_bytes(&mut k, name.as_bytes());
    k
}
const ROW: u8 = 0x10;
const INDEX: u8 = 0x11;

const OID_COUNTER: &[u8] = b"oid";
const ROWID_COUNTER: &[u8] = b"rowid/";
/// Numbers reserved per write of a counter.
const COUNTER_BLOCK: u64 = 1024;

fn type_key(schema: &str, name: &str) -> Vec<u8> {
    let mut k = vec![USER_TYPE];
    keycode::encode_bytes(&mut k, schema.as_bytes());
    keycode::encode_bytes(&mut k, name.as_bytes());
    k
}

fn decode_type(bytes: &[u8]) -> Result<EnumType> {
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            SqlState::DATA_CORRUPTED,
            format!("malformed type definition: {e}"),
        )
    })
}

fn table_def_key(oid: Oid) -> Vec<u8> {
    let mut k = vec![TABLE_DEF];
    k.extend_from_slice(&oid.to_be_bytes());
    k
}

fn table_name_key(schema: &str, name: &str) -> Vec<u8> {
    let mut k = vec![TABLE_NAME];
    keycode::encode_bytes(&mut k, schema.as_bytes());
    keycode::encode_bytes(&mut k, name.as_bytes());
    k
}

fn row_prefix(oid: Oid) -> Vec<u8> {
    let mut k = vec![ROW];
    k.extend_from_slice(&oid.to_be_bytes());
    k
}

fn index_prefix(oid: Oid) -> Vec<u8> {
    let mut k = vec![INDEX];
    k.extend_from_slice(&oid.to_be_bytes());
    k
}

fn sequence_def(seq: &Table) -> Result<&Sequence> {
    seq.sequence.as_deref().ok_or_else(|| {
        Error::new(
            SqlState::WRONG_OBJECT_TYPE,
            format!("\"{}\" is not a sequence", seq.name),
        )
    })
}

fn encode_values(out: &mut Vec<u8>, values: &[&Value]) {
    for v in values {
        keycode::encode_part(out, &v.to_key_part(), Order::ASC);
    }
}

/// The row key of the row whose primary key columns hold `values` (in primary key order), for
/// [`Transaction::get`].
pub fn primary_key(values: &[&Value]) -> RowKey {
    let mut key = Vec::new();
    encode_values(&mut key, values);
    key
}

/// The keys under `prefix` whose remainder lies between `lower` and `upper`, bounds being
/// key prefixes (see [`Transaction::scan_range`]).
fn prefix_range(prefix: &[u8], lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> KeyRange {
    let joined = |b: &[u8]| [prefix, b].concat();
    // Past every key that starts with `k` (`prefix` starts with a tag below 0xff, so there
    // always is such a key).
    let after = |k: &[u8]| prefix_successor(k).map_or(Bound::Unbounded, Bound::Excluded);
    let start = match lower {
        Bound::Unbounded => Bound::Included(prefix.to_vec()),
        Bound::Included(b) => Bound::Included(joined(b)),
        Bound::Excluded(b) => match prefix_successor(&joined(b)) {
            Some(s) => Bound::Included(s),
            None => Bound::Excluded(joined(b)),
        },
    };
    let end = match upper {
        Bound::Unbounded => after(prefix),
        Bound::Included(b) => after(&joined(b)),
        Bound::Excluded(b) => Bound::Excluded(joined(b)),
    };
    KeyRange { start, end }
}

/// Counters reserved in blocks: `next` up to (not including) `limit` are ours to hand out.
#[derive(Default)]
struct Counters {
    blocks: HashMap<Vec<u8>, (u64, u64)>,
    sequences: HashMap<Oid, SequenceState>,
}

/// A sequence's value in memory. The stored state (an unversioned key) runs ahead: it says
/// the last value that may have been handed out, so that after a crash the sequence goes on
/// past every value it gave (PostgreSQL logs 32 values ahead in the same way).
#[derive(Clone, Copy, Debug)]
struct SequenceState {
    last: i64,
    is_called: bool,
    /// Values that may still be handed out before the stored state must move ahead.
    reserved: u32,
}

/// Values a sequence reserves per stored write.
const SEQUENCE_RESERVE: u32 = 32;
const SEQUENCE_STATE: &[u8] = b"seq/";

fn sequence_key(oid: Oid) -> Vec<u8> {
    let mut k = SEQUENCE_STATE.to_vec();
    k.extend_from_slice(&oid.to_be_bytes());
    k
}

/// The value after `v` in sequence `seq` (wrapping if it cycles); `None` at the end.
fn sequence_step(seq: &Sequence, v: i64) -> Option<i64> {
    match v.checked_add(seq.increment) {
        Some(n) if n >= seq.min && n <= seq.max => Some(n),
        _ if seq.cycle => Some(if seq.increment > 0 { seq.min } else { seq.max }),
        _ => None,
    }
}

/// Local storage: MVCC over one engine on this node.
pub struct Local {
    mvcc: Arc<Mvcc>,
    counters: Arc<Mutex<Counters>>,
    /// Moves whenever a catalog entry is written, and when a transaction that wrote one
    /// ends: a plan made at one epoch is stale at another.
    epoch: Arc<AtomicU64>,
}

impl Local {
    /// Storage over `mvcc`.
    pub fn new(mvcc: Arc<Mvcc>) -> Self {
        Local {
            mvcc,
            counters: Arc::new(Mutex::new(Counters::default())),
            epoch: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The MVCC store underneath.
    pub fn mvcc(&self) -> &Arc<Mvcc> {
        &self.mvcc
    }

    /// Begins a transaction.
    pub fn begin(&self, isolation: IsolationLevel, read_only: bool) -> Result<LocalTransaction> {
        let txn = if read_only {
            self.mvcc.begin_read_only(isolation)?
        } else {
            self.mvcc.begin(isolation)?
        };
        Ok(LocalTransaction {
            txn,
            mvcc: self.mvcc.clone(),
            counters: self.counters.clone(),
            epoch: self.epoch.clone(),
            ddl: false,
        })
    }

    /// The catalog epoch (see the field): cached plans are valid while it stays.
    pub fn catalog_epoch(&self) -> u64 {
        self.epoch.load(AtomicOrdering::SeqCst)
    }
}

/// A transaction of [`Local`].
pub struct LocalTransaction {
    txn: mvcc::Transaction,
    mvcc: Arc<Mvcc>,
    counters: Arc<Mutex<Counters>>,
    epoch: Arc<AtomicU64>,
    /// This transaction wrote the catalog.
    ddl: bool,
}

impl LocalTransaction {
    /// The next number of the counter `name`, reserving a new block when one runs out.
    fn next_number(&self, name: &[u8], first: u64) -> Result<u64> {
        let mut counters = self.counters.lock();
        let entry = counters.blocks.entry(name.to_vec()).or_insert((0, 0));
        if entry.0 >= entry.1 {
            let stored = match self.mvcc.get_unversioned(name)? {
                Some(bytes) => u64::from_be_bytes(
                    bytes
                        .try_into()
                        .map_err(|_| Error::new(SqlState::DATA_CORRUPTED, "malformed counter"))?,
                ),
                None => first,
            };
            let limit = stored + COUNTER_BLOCK;
            self.mvcc.set_unversioned(name, &limit.to_be_bytes())?;
            *entry = (stored, limit);
        }
        let n = entry.0;
        entry.0 += 1;
        Ok(n)
    }

    fn catalog_changed(&mut self) {
        self.ddl = true;
        self.epoch.fetch_add(1, AtomicOrdering::SeqCst);
    }

    /// A sequence's state: in memory, or read from its stored key (a new sequence starts
    /// at its start value, not yet called).
    fn sequence_state(
        &self,
        counters: &Counters,
        oid: Oid,
        def: &Sequence,
    ) -> Result<SequenceState> {
        if let Some(state) = counters.sequences.get(&oid) {
            return Ok(*state);
        }
        Ok(match self.mvcc.get_unversioned(&sequence_key(oid))? {
            Some(bytes) if bytes.len() == 9 => SequenceState {
                last: i64::from_be_bytes(bytes[..8].try_into().unwrap_or_default()),
                is_called: bytes[8] != 0,
                reserved: 0,
            },
            Some(_) => {
                return Err(Error::new(
                    SqlState::DATA_CORRUPTED,
                    "malformed sequence state",
                ));
            }
            None => SequenceState {
                last: def.start,
                is_called: false,
                reserved: 0,
            },
        })
    }

    fn store_sequence(&self, oid: Oid, value: i64, is_called: bool) -> Result<()> {
        let mut bytes = value.to_be_bytes().to_vec();
        bytes.push(is_called as u8);
        self.mvcc.set_unversioned(&sequence_key(oid), &bytes)?;
        Ok(())
    }

    fn row_key(&self, table: &Table, row: &Row) -> Result<RowKey> {
        match &table.primary_key {
            Some(cols) => {
                let mut key = Vec::new();
                encode_values(&mut key, &cols.iter().map(|&c| &row[c]).collect::<Vec<_>>());
                Ok(key)
            }
            None => {
                let mut name = ROWID_COUNTER.to_vec();
                name.extend_from_slice(&table.oid.to_be_bytes());
                Ok(self.next_number(&name, 1)?.to_be_bytes().to_vec())
            }
        }
    }

    /// The storage key of `row`'s entry in `index`; `exclusive` if a second row with the same
    /// values would collide with it.
    fn index_key(index: &Index, row: &Row, row_key: &[u8]) -> (Vec<u8>, bool) {
        let mut key = index_prefix(index.oid);
        let values: Vec<&Value> = index.columns.iter().map(|&c| &row[c]).collect();
        encode_values(&mut key, &values);
        let exclusive = index.unique && values.iter().all(|v| !matches!(v, Value::Null));
        if !exclusive {
            key.extend_from_slice(row_key);
        }
        (key, exclusive)
    }

    /// The 23505 of a second row with `row`'s primary key.
    fn duplicate_key(table: &Table, row: &Row) -> Error {
        let pk = table.primary_key.as_deref().unwrap_or_default();
        Self::duplicate(table, &format!("{}_pkey", table.name), pk, row)
    }

    fn duplicate(table: &Table, index_name: &str, columns: &[usize], row: &Row) -> Error {
        let names: Vec<&str> = columns
            .iter()
            .map(|&c| table.columns[c].name.as_str())
            .collect();
        let settings = types::Settings::default();
        let values: Vec<String> = columns
            .iter()
            .map(|&c| row[c].to_text(&settings).unwrap_or_else(|| "null".into()))
            .collect();
        Error::new(
            SqlState::UNIQUE_VIOLATION,
            format!("duplicate key value violates unique constraint \"{index_name}\""),
        )
        .with_detail(format!(
            "Key ({})=({}) already exists.",
            names.join(", "),
            values.join(", ")
        ))
    }

    fn write_indexes(&mut self, table: &Table, row: &Row, row_key: &[u8]) -> Result<()> {
        for index in &table.indexes {
            let (key, exclusive) = Self::index_key(index, row, row_key);
            if exclusive && self.txn.get(&key)?.is_some() {
                return Err(Self::duplicate(table, &index.name, &index.columns, row));
            }
            self.txn.set(&key, row_key)?;
        }
        Ok(())
    }

    fn remove_indexes(&mut self, table: &Table, row: &Row, row_key: &[u8]) -> Result<()> {
        for index in &table.indexes {
            let (key, _) = Self::index_key(index, row, row_key);
            self.txn.delete(&key)?;
        }
        Ok(())
    }

    fn rows(&mut self, table: &Table, range: KeyRange, strip: usize) -> Result<Rows> {
        let types = table.types();
        let scan = self.txn.scan(range)?;
        Ok(Box::new(scan.map(move |item| {
            let (key, value) = item?;
            let row = types::decode_row(&value, &types)?;
            Ok((key[strip..].to_vec(), row))
        })))
    }

    /// The rows the entries of `index` in `range` point at, in index order.
    fn index_rows(&mut self, table: &Table, index: &Index, range: KeyRange) -> Result<Rows> {
        let entries: Vec<RowKey> = self
            .txn
            .scan(range)?
            .map(|item| item.map(|(_, v)| v))
            .collect::<anchor_engine::Result<_>>()?;
        let mut rows = Vec::with_capacity(entries.len());
        for key in entries {
            match self.get(table, &key)? {
                Some(row) => rows.push(Ok((key, row))),
                None => {
                    return Err(Error::new(
                        SqlState::DATA_CORRUPTED,
                        format!("index \"{}\" points at a missing row", index.name),
                    ));
                }
            }
        }
        Ok(Box::new(rows.into_iter()))
    }

    /// Deletes every key under `prefix`, one by one so that the deletion stays transactional.
    fn delete_prefix(&mut self, prefix: &[u8]) -> Result<()> {
        let keys: Vec<Vec<u8>> = self
            .txn
            .scan(KeyRange::prefix(prefix))?
            .map(|item| item.map(|(k, _)| k))
            .collect::<anchor_engine::Result<_>>()?;
        for key in keys {
            self.txn.delete(&key)?;
        }
        Ok(())
    }

    fn decode_table(bytes: &[u8]) -> Result<Table> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::new(
                SqlState::DATA_CORRUPTED,
                format!("malformed table definition: {e}"),
            )
        })
    }
}

impl Transaction for LocalTransaction {
    fn schemas(&mut self) -> Result<Vec<(Oid, String)>> {
        let mut out: Vec<(Oid, String)> = BUILTIN_SCHEMAS
            .iter()
            .map(|(oid, name)| (*oid, name.to_string()))
            .collect();
        for item in self.txn.scan(KeyRange::prefix(&[SCHEMA]))? {
            let (key, value) = item?;
            let name = keycode::decode_bytes(&mut &key[1..])
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| Error::new(SqlState::DATA_CORRUPTED, "malformed schema key"))?;
            let oid = value
                .try_into()
                .map(Oid::from_be_bytes)
                .map_err(|_| Error::new(SqlState::DATA_CORRUPTED, "malformed schema entry"))?;
            out.push((oid, name));
        }
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    fn create_schema(&mut self, name: &str) -> Result<()> {
        if self.schemas()?.iter().any(|(_, n)| n == name) {
            return Err(Error::new(
                SqlState::DUPLICATE_SCHEMA,
                format!("schema \"{name}\" already exists"),
            ));
        }
        let oid = self.next_oid()?;
        self.catalog_changed();
        self.txn.set(&schema_key(name), &oid.to_be_bytes())?;
        Ok(())
    }

    fn drop_schema(&mut self, name: &str) -> Result<()> {
        self.catalog_changed();
        self.txn.delete(&schema_key(name))?;
        Ok(())
    }

    fn tables(&mut self) -> Result<Vec<Table>> {
        let scan = self.txn.scan(KeyRange::prefix(&[TABLE_DEF]))?;
        scan.map(|item| Self::decode_table(&item?.1)).collect()
    }

    fn table(&mut self, schema: &str, name: &str) -> Result<Option<Table>> {
        let Some(oid) = self.txn.get(&table_name_key(schema, name))? else {
            return Ok(None);
        };
        let oid: [u8; 4] = oid
            .try_into()
            .map_err(|_| Error::new(SqlState::DATA_CORRUPTED, "malformed table name entry"))?;
        match self.txn.get(&table_def_key(u32::from_be_bytes(oid)))? {
            Some(def) => Ok(Some(Self::decode_table(&def)?)),
            None => Err(Error::new(
                SqlState::DATA_CORRUPTED,
                format!("table \"{name}\" has a name but no definition"),
            )),
        }
    }

    fn table_by_oid(&mut self, oid: Oid) -> Result<Option<Table>> {
        match self.txn.get(&table_def_key(oid))? {
            Some(def) => Ok(Some(Self::decode_table(&def)?)),
            None => Ok(None),
        }
    }

    fn user_types(&mut self) -> Result<Vec<EnumType>> {
        let scan = self.txn.scan(KeyRange::prefix(&[USER_TYPE]))?;
        scan.map(|item| decode_type(&item?.1)).collect()
    }

    fn user_type(&mut self, schema: &str, name: &str) -> Result<Option<EnumType>> {
        self.txn
            .get(&type_key(schema, name))?
            .map(|def| decode_type(&def))
            .transpose()
    }

    fn put_type(&mut self, ty: &EnumType, renamed_from: Option<&str>) -> Result<()> {
        self.catalog_changed();
        if let Some(old) = renamed_from {
            self.txn.delete(&type_key(&ty.schema, old))?;
        }
        let def = serde_json::to_vec(ty).map_err(Error::internal)?;
        self.txn.set(&type_key(&ty.schema, &ty.name), &def)?;
        Ok(())
    }

    fn drop_type(&mut self, ty: &EnumType) -> Result<()> {
        self.catalog_changed();
        self.txn.delete(&type_key(&ty.schema, &ty.name))?;
        Ok(())
    }

    fn next_oid(&mut self) -> Result<Oid> {
        let n = self.next_number(OID_COUNTER, FIRST_USER_OID as u64)?;
        Oid::try_from(n)
            .map_err(|_| Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "object ids exhausted"))
    }

    fn create_table(&mut self, table: &Table) -> Result<()> {
        let name_key = table_name_key(&table.schema, &table.name);
        if self.txn.get(&name_key)?.is_some() {
            return Err(Error::new(
                SqlState::DUPLICATE_TABLE,
                format!("relation \"{}\" already exists", table.name),
            ));
        }
        self.txn.set(&name_key, &table.oid.to_be_bytes())?;
        self.alter_table(table)
    }

    fn rename_table(&mut self, table: &Table, name: &str) -> Result<()> {
        self.catalog_changed();
        let new_key = table_name_key(&table.schema, name);
        if self.txn.get(&new_key)?.is_some() {
            return Err(Error::new(
                SqlState::DUPLICATE_TABLE,
                format!("relation \"{name}\" already exists"),
            ));
        }
        self.txn
            .delete(&table_name_key(&table.schema, &table.name))?;
        self.txn.set(&new_key, &table.oid.to_be_bytes())?;
        Ok(())
    }

    fn move_table(&mut self, table: &Table, schema: &str) -> Result<()> {
        self.catalog_changed();
        let new_key = table_name_key(schema, &table.name);
        if self.txn.get(&new_key)?.is_some() {
            return Err(Error::new(
                SqlState::DUPLICATE_TABLE,
                format!(
                    "relation \"{}\" already exists in schema \"{schema}\"",
                    table.name
                ),
            ));
        }
        self.txn
            .delete(&table_name_key(&table.schema, &table.name))?;
        self.txn.set(&new_key, &table.oid.to_be_bytes())?;
        Ok(())
    }

    fn alter_table(&mut self, table: &Table) -> Result<()> {
        self.catalog_changed();
        let def = serde_json::to_vec(table).map_err(Error::internal)?;
        self.txn.set(&table_def_key(table.oid), &def)?;
        Ok(())
    }

    fn create_index(&mut self, table: &Table, index: &Index) -> Result<Table> {
        let mut altered = table.clone();
        altered.indexes.push(index.clone());
        let only = Table {
            indexes: vec![index.clone()],
            ..table.clone()
        };
        let rows: Vec<(RowKey, Row)> = self.scan(table)?.collect::<Result<_>>()?;
        for (key, row) in rows {
            self.write_indexes(&only, &row, &key)?;
        }
        self.alter_table(&altered)?;
        Ok(altered)
    }

    fn drop_index(&mut self, table: &Table, name: &str) -> Result<()> {
        let Some(index) = table.indexes.iter().find(|i| i.name == name) else {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("index \"{name}\" does not exist"),
            ));
        };
        self.delete_prefix(&index_prefix(index.oid))?;
        let mut altered = table.clone();
        altered.indexes.retain(|i| i.name != name);
        self.alter_table(&altered)
    }

    fn truncate(&mut self, table: &Table) -> Result<()> {
        for prefix in std::iter::once(row_prefix(table.oid))
            .chain(table.indexes.iter().map(|i| index_prefix(i.oid)))
        {
            self.delete_prefix(&prefix)?;
        }
        Ok(())
    }

    fn drop_table(&mut self, table: &Table) -> Result<()> {
        self.catalog_changed();
        self.truncate(table)?;
        self.txn
            .delete(&table_name_key(&table.schema, &table.name))?;
        self.txn.delete(&table_def_key(table.oid))?;
        Ok(())
    }

    fn scan(&mut self, table: &Table) -> Result<Rows> {
        let prefix = row_prefix(table.oid);
        let strip = prefix.len();
        self.rows(table, KeyRange::prefix(&prefix), strip)
    }

    fn get(&mut self, table: &Table, key: &[u8]) -> Result<Option<Row>> {
        let mut full = row_prefix(table.oid);
        full.extend_from_slice(key);
        match self.txn.get(&full)? {
            Some(bytes) => Ok(Some(types::decode_row(&bytes, &table.types())?)),
            None => Ok(None),
        }
    }

    fn lock_shared(&mut self, table: &Table, key: &[u8]) -> Result<bool> {
        let mut full = row_prefix(table.oid);
        full.extend_from_slice(key);
        match self
            .txn
            .lock(&full, mvcc::LockMode::Share, mvcc::WaitPolicy::Wait)?
        {
            mvcc::Locked::Row(value) => Ok(value.is_some()),
            mvcc::Locked::Skipped => Ok(false),
        }
    }

    fn lock_row(
        &mut self,
        table: &Table,
        key: &[u8],
        update: bool,
        policy: mvcc::WaitPolicy,
    ) -> Result<Option<Option<Row>>> {
        let mut full = row_prefix(table.oid);
        full.extend_from_slice(key);
        let mode = if update {
            mvcc::LockMode::Update
        } else {
            mvcc::LockMode::Share
        };
        match self.txn.lock(&full, mode, policy)? {
            mvcc::Locked::Row(Some(bytes)) => {
                Ok(Some(Some(types::decode_row(&bytes, &table.types())?)))
            }
            mvcc::Locked::Row(None) => Ok(Some(None)),
            mvcc::Locked::Skipped => Ok(None),
        }
    }

    fn scan_index(&mut self, table: &Table, index: &Index, prefix: &[Value]) -> Result<Rows> {
        let mut start = index_prefix(index.oid);
        encode_values(&mut start, &prefix.iter().collect::<Vec<_>>());
        self.index_rows(table, index, KeyRange::prefix(&start))
    }

    fn scan_range(
        &mut self,
        table: &Table,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> Result<Rows> {
        let prefix = row_prefix(table.oid);
        let strip = prefix.len();
        self.rows(table, prefix_range(&prefix, lower, upper), strip)
    }

    fn scan_index_range(
        &mut self,
        table: &Table,
        index: &Index,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> Result<Rows> {
        let range = prefix_range(&index_prefix(index.oid), lower, upper);
        self.index_rows(table, index, range)
    }

    fn insert(&mut self, table: &Table, row: Row) -> Result<RowKey> {
        let row_key = self.row_key(table, &row)?;
        let mut full = row_prefix(table.oid);
        full.extend_from_slice(&row_key);
        if table.primary_key.is_some() && self.txn.get(&full)?.is_some() {
            return Err(Self::duplicate_key(table, &row));
        }
        self.write_indexes(table, &row, &row_key)?;
        self.txn.set(&full, &types::encode_row(&row))?;
        Ok(row_key)
    }

    fn update(&mut self, table: &Table, key: &[u8], old: &Row, new: Row) -> Result<RowKey> {
        let new_key = match &table.primary_key {
            Some(_) => self.row_key(table, &new)?,
            None => key.to_vec(),
        };
        self.remove_indexes(table, old, key)?;
        let mut full = row_prefix(table.oid);
        full.extend_from_slice(key);
        if new_key != key {
            self.txn.delete(&full)?;
            full.truncate(5);
            full.extend_from_slice(&new_key);
            if self.txn.get(&full)?.is_some() {
                return Err(Self::duplicate_key(table, &new));
            }
        }
        self.write_indexes(table, &new, &new_key)?;
        self.txn.set(&full, &types::encode_row(&new))?;
        Ok(new_key)
    }

    fn delete(&mut self, table: &Table, key: &[u8], old: &Row) -> Result<()> {
        self.remove_indexes(table, old, key)?;
        let mut full = row_prefix(table.oid);
        full.extend_from_slice(key);
        self.txn.delete(&full)?;
        Ok(())
    }

    fn nextval(&mut self, seq: &Table) -> Result<i64> {
        let def = sequence_def(seq)?;
        let mut counters = self.counters.lock();
        let mut state = self.sequence_state(&counters, seq.oid, def)?;
        let next = if state.is_called {
            sequence_step(def, state.last).ok_or_else(|| {
                let (end, bound) = if def.increment > 0 {
                    ("maximum", def.max)
                } else {
                    ("minimum", def.min)
                };
                Error::new(
                    SqlState::SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
                    format!(
                        "nextval: reached {end} value of sequence \"{}\" ({bound})",
                        seq.name
                    ),
                )
            })?
        } else {
            state.last
        };
        if state.reserved == 0 {
            let mut end = next;
            let mut count = 1;
            while count < SEQUENCE_RESERVE {
                match sequence_step(def, end) {
                    Some(v) => {
                        end = v;
                        count += 1;
                    }
                    _ => break,
                }
            }
            self.store_sequence(seq.oid, end, true)?;
            state.reserved = count;
        }
        state.reserved -= 1;
        state.last = next;
        state.is_called = true;
        counters.sequences.insert(seq.oid, state);
        Ok(next)
    }

    fn setval(&mut self, seq: &Table, value: i64, is_called: bool) -> Result<()> {
        let def = sequence_def(seq)?;
        if value < def.min || value > def.max {
            return Err(Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!(
                    "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                    seq.name, def.min, def.max
                ),
            ));
        }
        let mut counters = self.counters.lock();
        self.store_sequence(seq.oid, value, is_called)?;
        counters.sequences.insert(
            seq.oid,
            SequenceState {
                last: value,
                is_called,
                reserved: 0,
            },
        );
        Ok(())
    }

    fn sequence_value(&mut self, seq: &Table) -> Result<(i64, bool)> {
        let def = sequence_def(seq)?;
        let counters = self.counters.lock();
        let state = self.sequence_state(&counters, seq.oid, def)?;
        Ok((state.last, state.is_called))
    }

    fn id(&self) -> u64 {
        self.txn.id()
    }

    fn new_statement(&mut self) {
        self.txn.new_statement();
    }

    fn savepoint(&mut self, name: &str) {
        self.txn.savepoint(name);
    }

    fn rollback_to(&mut self, name: &str) -> Result<()> {
        self.txn.rollback_to(name).map_err(|_| {
            Error::new(
                SqlState::INVALID_SAVEPOINT_SPECIFICATION,
                format!("savepoint \"{name}\" does not exist"),
            )
        })
    }

    fn release(&mut self, name: &str) -> Result<()> {
        self.txn.release(name).map_err(|_| {
            Error::new(
                SqlState::INVALID_SAVEPOINT_SPECIFICATION,
                format!("savepoint \"{name}\" does not exist"),
            )
        })
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let (epoch, ddl) = (self.epoch.clone(), self.ddl);
        let result = self.txn.commit();
        if ddl {
            epoch.fetch_add(1, AtomicOrdering::SeqCst);
        }
        Ok(result?)
    }

    fn rollback(self: Box<Self>) -> Result<()> {
        let (epoch, ddl) = (self.epoch.clone(), self.ddl);
        let result = self.txn.rollback();
        if ddl {
            epoch.fetch_add(1, AtomicOrdering::SeqCst);
        }
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_bounds_are_key_prefixes() {
        let key = |vals: &[i64]| {
            let values: Vec<Value> = vals.iter().map(|&v| Value::Int8(v)).collect();
            primary_key(&values.iter().collect::<Vec<_>>())
        };
        let full = |vals: &[i64]| [row_prefix(7), key(vals)].concat();
        let one = key(&[1]);
        // Every key starting with (1) is in [Included(1), Included(1)].
        let r = prefix_range(&row_prefix(7), Bound::Included(&one), Bound::Included(&one));
        assert!(r.contains(&full(&[1])) && r.contains(&full(&[1, i64::MAX])));
        assert!(!r.contains(&full(&[0, 5])) && !r.contains(&full(&[2, i64::MIN])));
        // Excluded(1) below leaves them all out; Excluded(2) above stops before (2, ...).
        let three = key(&[3]);
        let r = prefix_range(
            &row_prefix(7),
            Bound::Excluded(&one),
            Bound::Excluded(&three),
        );
        assert!(!r.contains(&full(&[1, 9])) && !r.contains(&full(&[3, -9])));
        assert!(r.contains(&full(&[2])) && r.contains(&full(&[2, i64::MIN])));
        // Unbounded ends stay inside the table's prefix.
        let r = prefix_range(&row_prefix(7), Bound::Unbounded, Bound::Unbounded);
        assert!(r.contains(&full(&[i64::MIN])) && r.contains(&full(&[i64::MAX])));
        assert!(!r.contains(&[row_prefix(8), key(&[0])].concat()));
    }
}
