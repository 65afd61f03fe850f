//! Plans are data: a tree of [`Node`]s whose expressions are [`Expr`]s with every name
//! resolved to a column position. `Display` renders a plan as EXPLAIN shows it.
//!
//! A node's output is a row of values; an expression refers to a column of its node's input
//! by position ([`Expr::Column`]) or, inside a correlated subquery, to a column of an
//! enclosing query's current row ([`Expr::Outer`]).

use std::fmt;

use crate::catalog::{Index, Table};
use crate::types::{BinaryOp, DataType, UnaryOp, Value};

/// A scalar expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant.
    Literal(Value),
    /// A column of the input row.
    Column(usize),
    /// A column of an enclosing query's row: `depth` 1 is the nearest enclosing query.
    Outer {
        /// How many queries out.
        depth: usize,
        /// The column there.
        index: usize,
    },
    /// A statement parameter `$n` (0-based here).
    Param(usize),
    /// An operator with one operand.
    Unary(UnaryOp, Box<Expr>),
    /// An operator with two operands (arithmetic, comparison, concatenation).
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// Three-valued AND.
    And(Box<Expr>, Box<Expr>),
    /// Three-valued OR.
    Or(Box<Expr>, Box<Expr>),
    /// Three-valued NOT.
    Not(Box<Expr>),
    /// `expr IS NULL`.
    IsNull(Box<Expr>),
    /// `a IS [NOT] DISTINCT FROM b` (`negated` for NOT DISTINCT).
    IsDistinctFrom(Box<Expr>, Box<Expr>, bool),
    /// `expr IS [NOT] TRUE/FALSE`: (expr, the truth value tested, negated).
    IsBool(Box<Expr>, bool, bool),
    /// A cast to a type.
    Cast(Box<Expr>, DataType),
    /// `CASE [operand] WHEN .. THEN .. ELSE .. END`.
    Case {
        /// The operand compared with each WHEN value, if any.
        operand: Option<Box<Expr>>,
        /// WHEN and THEN pairs.
        branches: Vec<(Expr, Expr)>,
        /// The ELSE result (NULL when absent).
        otherwise: Option<Box<Expr>>,
    },
    /// A scalar function call, by name.
    Function(String, Vec<Expr>),
    /// `expr [NOT] IN (list)`.
    InList(Box<Expr>, Vec<Expr>, bool),
    /// `expr [NOT] LIKE pattern`: (expr, pattern, negated, case-insensitive).
    Like(Box<Expr>, Box<Expr>, bool, bool),
    /// A scalar subquery: one column, at most one row.
    Subquery(Box<Node>),
    /// `[NOT] EXISTS (subquery)`.
    Exists(Box<Node>, bool),
    /// `expr [NOT] IN (subquery)`.
    InSubquery(Box<Expr>, Box<Node>, bool),
}

/// An aggregate function call.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// The function: count, sum, avg, min, max, ...
    pub function: String,
    /// Its argument; `None` for `count(*)`.
    pub arg: Option<Expr>,
    /// Further arguments (string_agg's delimiter).
    pub extra: Vec<Expr>,
    /// `DISTINCT` inside the call.
    pub distinct: bool,
    /// `ORDER BY` inside the call: the order in which values are fed to the aggregate.
    pub order_by: Vec<SortKey>,
    /// `FILTER (WHERE ...)`: only rows satisfying it are fed to the aggregate.
    pub filter: Option<Expr>,
    /// The result type.
    pub data_type: DataType,
}

impl Aggregate {
    /// Every expression of the call: argument, further arguments, ORDER BY keys, FILTER.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.arg
            .iter()
            .chain(&self.extra)
            .chain(self.order_by.iter().map(|k| &k.expr))
            .chain(&self.filter)
    }

    /// The call with `f` applied to each of its expressions.
    pub fn map_exprs(self, f: &impl Fn(Expr) -> Expr) -> Aggregate {
        Aggregate {
            arg: self.arg.map(f),
            extra: self.extra.into_iter().map(f).collect(),
            order_by: self
                .order_by
                .into_iter()
                .map(|k| SortKey {
                    expr: f(k.expr),
                    ..k
                })
                .collect(),
            filter: self.filter.map(f),
            ..self
        }
    }
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut args: Vec<String> = self
            .arg
            .iter()
            .chain(&self.extra)
            .map(ToString::to_string)
            .collect();
        if args.is_empty() {
            args.push("*".into());
        }
        write!(
            f,
            "{}({}{}",
            self.function,
            if self.distinct { "DISTINCT " } else { "" },
            args.join(", ")
        )?;
        if !self.order_by.is_empty() {
            let keys: Vec<String> = self.order_by.iter().map(ToString::to_string).collect();
            write!(f, " ORDER BY {}", keys.join(", "))?;
        }
        write!(f, ")")?;
        if let Some(filter) = &self.filter {
            write!(f, " FILTER (WHERE {filter})")?;
        }
        Ok(())
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.expr, if self.desc { " DESC" } else { "" })
    }
}

/// How a join combines rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// Matching pairs only.
    Inner,
    /// Every left row, with NULLs when nothing on the right matches.
    Left,
    /// Every right row, with NULLs when nothing on the left matches.
    Right,
    /// Both.
    Full,
    /// Each left row that has at least one match, once, without right columns
    /// (`EXISTS`, `IN`).
    Semi,
    /// Each left row that has no match, without right columns (`NOT EXISTS`).
    Anti,
    /// `NOT IN`'s anti join, which also respects NULLs: a left row comes out only if its key is
    /// not NULL and matches nothing, and the right side holds no NULL key; over an empty right
    /// side every left row comes out.
    NullAwareAnti,
}

impl JoinKind {
    /// True for the kinds whose output is the left row alone.
    pub fn left_only(self) -> bool {
        matches!(
            self,
            JoinKind::Semi | JoinKind::Anti | JoinKind::NullAwareAnti
        )
    }
}

/// One key of a sort.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    /// The value sorted on.
    pub expr: Expr,
    /// Descending.
    pub desc: bool,
    /// NULLs first.
    pub nulls_first: bool,
}

/// A plan node: a relational operator producing rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// One row with no columns (SELECT without FROM).
    Nothing,
    /// Every row of a table, optionally filtered as it is read.
    Scan {
        /// The table.
        table: Table,
        /// Rows not satisfying it are skipped.
        filter: Option<Expr>,
    },
    /// The rows of a table whose primary key or index key lies in a range (see
    /// [`KeyLookup`]), filtered as they are read.
    IndexScan {
        /// The table.
        table: Table,
        /// Which keys to read.
        lookup: KeyLookup,
        /// Rows not satisfying it are skipped: always the scan's whole predicate, since the
        /// key range may be wider than the conditions it comes from.
        filter: Option<Expr>,
    },
    /// Index nested loop join: for each left row, the rows of `table` whose key equals the
    /// left row's values (`lookup`'s expressions are over the left row), as a join's right
    /// input.
    IndexJoin {
        /// The outer input.
        left: Box<Node>,
        /// The inner table.
        table: Table,
        /// The keys probed for each left row.
        lookup: KeyLookup,
        /// Inner or left.
        kind: JoinKind,
        /// The inner table's own filter (over its row).
        filter: Option<Expr>,
        /// The join condition over the concatenated row (it repeats the key equalities).
        on: Option<Expr>,
    },
    /// Literal rows.
    Values {
        /// The rows' expressions.
        rows: Vec<Vec<Expr>>,
    },
    /// Rows satisfying the predicate.
    Filter {
        /// The input.
        input: Box<Node>,
        /// The predicate.
        predicate: Expr,
    },
    /// Computes new columns.
    Project {
        /// The input.
        input: Box<Node>,
        /// One expression per output column.
        exprs: Vec<Expr>,
    },
    /// Every pair of rows satisfying `on`; outer kinds add unmatched rows padded with NULLs.
    NestedLoopJoin {
        /// The left input.
        left: Box<Node>,
        /// The right input (read again for every left row, so it is buffered).
        right: Box<Node>,
        /// How unmatched rows are treated.
        kind: JoinKind,
        /// The join condition over the concatenated row.
        on: Option<Expr>,
    },
    /// Equality join through a hash table built on the right input.
    HashJoin {
        /// The left input (streamed).
        left: Box<Node>,
        /// The right input (hashed).
        right: Box<Node>,
        /// How unmatched rows are treated.
        kind: JoinKind,
        /// Left key expressions (over the left row).
        left_keys: Vec<Expr>,
        /// Right key expressions (over the right row).
        right_keys: Vec<Expr>,
        /// A further condition over the concatenated row.
        residual: Option<Expr>,
    },
    /// Groups rows and computes aggregates: output is the group values, then the aggregates.
    Aggregate {
        /// The input.
        input: Box<Node>,
        /// Grouping expressions.
        group_by: Vec<Expr>,
        /// Aggregates.
        aggregates: Vec<Aggregate>,
    },
    /// Sorts.
    Sort {
        /// The input.
        input: Box<Node>,
        /// The keys, most significant first.
        keys: Vec<SortKey>,
    },
    /// Skips `offset` rows and stops after `limit`.
    Limit {
        /// The input.
        input: Box<Node>,
        /// Rows to return at most.
        limit: Option<Expr>,
        /// Rows to skip.
        offset: Option<Expr>,
    },
    /// Removes duplicate rows.
    Distinct {
        /// The input.
        input: Box<Node>,
    },
    /// Set-returning functions in FROM (`generate_series`, `unnest`, ...), evaluated for
    /// each input row with their arguments over that row (a lateral call): the output is
    /// the input row followed by each row of the functions, run in lockstep (`ROWS FROM`:
    /// a function that runs out gives NULLs while another goes on), plus the row's
    /// position `WITH ORDINALITY`.
    FunctionScan {
        /// The rows the arguments are evaluated over ([`Node::Nothing`] when standalone).
        input: Box<Node>,
        /// The functions.
        functions: Vec<SetCall>,
        /// `WITH ORDINALITY`: a bigint position column after the functions' columns.
        ordinality: bool,
        /// `LEFT JOIN LATERAL ... ON on`: only output rows satisfying `on` come out, and an
        /// input row none satisfies comes out once, padded with NULLs. `None`: an inner call.
        outer: Option<Expr>,
    },
    /// UNION / INTERSECT / EXCEPT.
    SetOp {
        /// Which operation.
        op: SetOpKind,
        /// Keep duplicates.
        all: bool,
        /// The left input.
        left: Box<Node>,
        /// The right input.
        right: Box<Node>,
    },
    /// Window functions: each input row followed by one value per function, computed over
    /// the row's window (see [`crate::window`]).
    Window {
        /// The input.
        input: Box<Node>,
        /// The calls.
        functions: Vec<WindowFunction>,
    },
    /// The rows of a WITH query. A shared one is computed once per statement and its rows are
    /// reused by every reference, as PostgreSQL's materialized CTEs.
    CteScan {
        /// The WITH query's name (for EXPLAIN).
        name: String,
        /// Identifies the WITH query within the statement.
        id: usize,
        /// The WITH query's plan.
        input: Box<Node>,
        /// Computed once for the statement (false when it reads an enclosing query's row).
        shared: bool,
    },
    /// WITH RECURSIVE's `non-recursive-term UNION [ALL] recursive-term`: the recursive term
    /// runs over the rows of the previous round ([`Node::WorkTable`]) until a round adds none.
    RecursiveUnion {
        /// Identifies the recursion (its work table).
        id: usize,
        /// The non-recursive term.
        base: Box<Node>,
        /// The recursive term.
        recursive: Box<Node>,
        /// UNION rather than UNION ALL: rows seen before are dropped (so cycles end).
        distinct: bool,
    },
    /// The rows the previous round of the recursive union `id` produced.
    WorkTable {
        /// The recursive union.
        id: usize,
        /// Its number of columns.
        width: usize,
    },
    /// `SELECT ... FOR UPDATE / FOR SHARE` under a LIMIT, as PostgreSQL's LockRows: locks
    /// the rows behind each input row as it passes, so only the rows the LIMIT takes are
    /// locked (see [`crate::lock_rows`]).
    LockRows {
        /// The rows: `width` output columns, then each scanned table's row and its key.
        input: Box<Node>,
        /// The scanned tables, left to right, and whether their rows are locked.
        tables: Vec<(Table, bool)>,
        /// The number of output columns.
        width: usize,
        /// The input without its sorts, over a one-row placeholder instead of the scan:
        /// re-run for a row that changed before it was locked.
        recheck: Box<Node>,
    },
}

/// Which keys of a table an index scan reads: values for the leading key columns (of the
/// primary key or of `index`), then an optional range on the next column. The expressions
/// read no column of the scanned table; each value is converted to the key column's type
/// when the scan starts (see [`crate::index_scan`]).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyLookup {
    /// The index read; `None` for the primary key.
    pub index: Option<Index>,
    /// For each leading key column, the values it may equal (several for `IN`).
    pub eq: Vec<Vec<Expr>>,
    /// The lower end of the range on the next key column, and whether it is included.
    pub lower: Option<(Expr, bool)>,
    /// The upper end of the range on the next key column, and whether it is included.
    pub upper: Option<(Expr, bool)>,
}

impl KeyLookup {
    /// The key columns of `table` this lookup reads, by position in the table.
    pub fn key_columns<'t>(&'t self, table: &'t Table) -> &'t [usize] {
        match &self.index {
            Some(index) => &index.columns,
            None => table.primary_key.as_deref().unwrap_or_default(),
        }
    }

    /// Every expression of the lookup.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.eq
            .iter()
            .flatten()
            .chain(self.lower.iter().map(|(e, _)| e))
            .chain(self.upper.iter().map(|(e, _)| e))
    }

    /// The lookup with `f` applied to each of its expressions.
    pub fn map_exprs(self, f: &impl Fn(Expr) -> Expr) -> KeyLookup {
        KeyLookup {
            index: self.index,
            eq: self
                .eq
                .into_iter()
                .map(|v| v.into_iter().map(f).collect())
                .collect(),
            lower: self.lower.map(|(e, inc)| (f(e), inc)),
            upper: self.upper.map(|(e, inc)| (f(e), inc)),
        }
    }

    /// EXPLAIN's text: `using <index> on <table> (<conditions>)`.
    fn describe(&self, table: &Table) -> String {
        let index = match &self.index {
            Some(index) => index.name.clone(),
            None => format!("{}_pkey", table.name),
        };
        let cols = self.key_columns(table);
        let name = |i: usize| {
            cols.get(i)
                .and_then(|&c| table.columns.get(c))
                .map_or("?", |c| c.name.as_str())
        };
        let mut conds = Vec::new();
        for (i, values) in self.eq.iter().enumerate() {
            match values.as_slice() {
                [v] => conds.push(format!("{} = {v}", name(i))),
                _ => {
                    let list: Vec<String> = values.iter().map(ToString::to_string).collect();
                    conds.push(format!("{} IN ({})", name(i), list.join(", ")));
                }
            }
        }
        let next = name(self.eq.len());
        if let Some((e, inc)) = &self.lower {
            conds.push(format!("{next} {} {e}", if *inc { ">=" } else { ">" }));
        }
        if let Some((e, inc)) = &self.upper {
            conds.push(format!("{next} {} {e}", if *inc { "<=" } else { "<" }));
        }
        format!("using {index} on {} ({})", table.name, conds.join(" AND "))
    }
}

/// A window function call: its function, arguments and window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowFunction {
    /// The function: row_number, rank, lag, ..., or an aggregate's name.
    pub function: String,
    /// Its arguments (over the window node's input row).
    pub args: Vec<Expr>,
    /// The aggregate, when an aggregate is called over the window.
    pub aggregate: Option<Aggregate>,
    /// `PARTITION BY`.
    pub partition_by: Vec<Expr>,
    /// `ORDER BY` within each partition.
    pub order_by: Vec<SortKey>,
    /// The frame: which rows of the partition an aggregate or first/last/nth_value sees.
    pub frame: Frame,
    /// The result type.
    pub data_type: DataType,
}

/// A window frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// How the bounds' offsets count.
    pub units: FrameUnits,
    /// The first row.
    pub start: FrameBound,
    /// The last row.
    pub end: FrameBound,
}

/// What a frame offset counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    /// Rows.
    Rows,
    /// A distance in the value of the (single) ORDER BY key; CURRENT ROW includes peers.
    Range,
    /// Groups of peers.
    Groups,
}

/// One end of a window frame.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameBound {
    /// The partition's first row.
    UnboundedPreceding,
    /// `n PRECEDING` (the offset is evaluated once per statement).
    Preceding(Expr),
    /// The current row (with its peers, in RANGE and GROUPS mode).
    CurrentRow,
    /// `n FOLLOWING`.
    Following(Expr),
    /// The partition's last row.
    UnboundedFollowing,
}

impl WindowFunction {
    /// Every expression of the call: arguments, aggregate, partition and order keys, offsets.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        fn offset(b: &FrameBound) -> Option<&Expr> {
            match b {
                FrameBound::Preceding(e) | FrameBound::Following(e) => Some(e),
                _ => None,
            }
        }
        self.args
            .iter()
            .chain(self.aggregate.iter().flat_map(Aggregate::exprs))
            .chain(&self.partition_by)
            .chain(self.order_by.iter().map(|k| &k.expr))
            .chain(offset(&self.frame.start))
            .chain(offset(&self.frame.end))
    }

    /// The call with `f` applied to each of its expressions.
    pub fn map_exprs(self, f: &impl Fn(Expr) -> Expr) -> WindowFunction {
        let bound = |b: FrameBound| match b {
            FrameBound::Preceding(e) => FrameBound::Preceding(f(e)),
            FrameBound::Following(e) => FrameBound::Following(f(e)),
            other => other,
        };
        WindowFunction {
            args: self.args.into_iter().map(f).collect(),
            aggregate: self.aggregate.map(|a| a.map_exprs(f)),
            partition_by: self.partition_by.into_iter().map(f).collect(),
            order_by: self
                .order_by
                .into_iter()
                .map(|k| SortKey {
                    expr: f(k.expr),
                    ..k
                })
                .collect(),
            frame: Frame {
                start: bound(self.frame.start),
                end: bound(self.frame.end),
                ..self.frame
            },
            ..self
        }
    }
}

impl fmt::Display for WindowFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.aggregate {
            Some(a) => write!(f, "{a}")?,
            None => {
                let args: Vec<String> = self.args.iter().map(ToString::to_string).collect();
                write!(f, "{}({})", self.function, args.join(", "))?;
            }
        }
        let mut parts = Vec::new();
        if !self.partition_by.is_empty() {
            let keys: Vec<String> = self.partition_by.iter().map(ToString::to_string).collect();
            parts.push(format!("PARTITION BY {}", keys.join(", ")));
        }
        if !self.order_by.is_empty() {
            let keys: Vec<String> = self.order_by.iter().map(ToString::to_string).collect();
            parts.push(format!("ORDER BY {}", keys.join(", ")));
        }
        let bound = |b: &FrameBound| match b {
            FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
            FrameBound::Preceding(e) => format!("{e} PRECEDING"),
            FrameBound::CurrentRow => "CURRENT ROW".to_string(),
            FrameBound::Following(e) => format!("{e} FOLLOWING"),
            FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
        };
        parts.push(format!(
            "{:?} BETWEEN {} AND {}",
            self.frame.units,
            bound(&self.frame.start),
            bound(&self.frame.end)
        ));
        write!(f, " OVER ({})", parts.join(" "))
    }
}

/// One set-returning function call of a [`Node::FunctionScan`].
#[derive(Clone, Debug, PartialEq)]
pub struct SetCall {
    /// The function.
    pub name: String,
    /// Its arguments, over the input row.
    pub args: Vec<Expr>,
    /// How many columns it produces.
    pub columns: usize,
}

/// A set operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOpKind {
    /// UNION.
    Union,
    /// INTERSECT.
    Intersect,
    /// EXCEPT.
    Except,
}

impl Expr {
    /// This expression rebuilt with `f` applied to each of its leaves (columns, outer
    /// references, literals, parameters) and to each subquery expression as a whole, which
    /// it does not enter.
    pub fn map_leaves(self, f: &impl Fn(Expr) -> Expr) -> Expr {
        let r = |x: Box<Expr>| Box::new(x.map_leaves(f));
        match self {
            Expr::Unary(op, a) => Expr::Unary(op, r(a)),
            Expr::Not(a) => Expr::Not(r(a)),
            Expr::IsNull(a) => Expr::IsNull(r(a)),
            Expr::Cast(a, t) => Expr::Cast(r(a), t),
            Expr::IsBool(a, v, n) => Expr::IsBool(r(a), v, n),
            Expr::Binary(op, a, b) => Expr::Binary(op, r(a), r(b)),
            Expr::And(a, b) => Expr::And(r(a), r(b)),
            Expr::Or(a, b) => Expr::Or(r(a), r(b)),
            Expr::IsDistinctFrom(a, b, n) => Expr::IsDistinctFrom(r(a), r(b), n),
            Expr::Like(a, b, n, ci) => Expr::Like(r(a), r(b), n, ci),
            Expr::Case {
                operand,
                branches,
                otherwise,
            } => Expr::Case {
                operand: operand.map(r),
                branches: branches
                    .into_iter()
                    .map(|(w, t)| (w.map_leaves(f), t.map_leaves(f)))
                    .collect(),
                otherwise: otherwise.map(r),
            },
            Expr::Function(name, args) => {
                Expr::Function(name, args.into_iter().map(|a| a.map_leaves(f)).collect())
            }
            Expr::InList(a, list, n) => {
                Expr::InList(r(a), list.into_iter().map(|x| x.map_leaves(f)).collect(), n)
            }
            leaf @ (Expr::Literal(_)
            | Expr::Column(_)
            | Expr::Outer { .. }
            | Expr::Param(_)
            | Expr::Subquery(_)
            | Expr::Exists(..)
            | Expr::InSubquery(..)) => f(leaf),
        }
    }

    /// Calls `f` on this expression and every expression inside it, not descending into
    /// subquery plans (`f` sees the subquery expression itself).
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Literal(_)
            | Expr::Column(_)
            | Expr::Outer { .. }
            | Expr::Param(_)
            | Expr::Subquery(_)
            | Expr::Exists(..) => {}
            Expr::Unary(_, a)
            | Expr::Not(a)
            | Expr::IsNull(a)
            | Expr::Cast(a, _)
            | Expr::IsBool(a, _, _)
            | Expr::InSubquery(a, _, _) => a.visit(f),
            Expr::Binary(_, a, b)
            | Expr::And(a, b)
            | Expr::Or(a, b)
            | Expr::IsDistinctFrom(a, b, _)
            | Expr::Like(a, b, _, _) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Case {
                operand,
                branches,
                otherwise,
            } => {
                if let Some(o) = operand {
                    o.visit(f);
                }
                for (w, t) in branches {
                    w.visit(f);
                    t.visit(f);
                }
                if let Some(o) = otherwise {
                    o.visit(f);
                }
            }
            Expr::Function(_, args) => args.iter().for_each(|a| a.visit(f)),
            Expr::InList(a, list, _) => {
                a.visit(f);
                list.iter().for_each(|x| x.visit(f));
            }
        }
    }
}

/// Calls `f` on every top-level expression of every node of the tree (each expression's
/// insides are reached through [`Expr::visit`]).
pub fn visit_exprs(node: &Node, f: &mut impl FnMut(&Expr)) {
    let mut all = |e: &Expr| e.visit(f);
    match node {
        Node::Nothing => {}
        Node::Scan { filter, .. } => filter.iter().for_each(&mut all),
        Node::IndexScan { lookup, filter, .. } => lookup.exprs().chain(filter).for_each(&mut all),
        Node::IndexJoin {
            left,
            lookup,
            filter,
            on,
            ..
        } => {
            lookup.exprs().chain(filter).chain(on).for_each(&mut all);
            visit_exprs(left, f);
        }
        Node::Values { rows } => rows.iter().flatten().for_each(&mut all),
        Node::Filter { input, predicate } => {
            all(predicate);
            visit_exprs(input, f);
        }
        Node::Project { input, exprs } => {
            exprs.iter().for_each(&mut all);
            visit_exprs(input, f);
        }
        Node::NestedLoopJoin {
            left, right, on, ..
        } => {
            on.iter().for_each(&mut all);
            visit_exprs(left, f);
            visit_exprs(right, f);
        }
        Node::HashJoin {
            left,
            right,
            left_keys,
            right_keys,
            residual,
            ..
        } => {
            left_keys
                .iter()
                .chain(right_keys)
                .chain(residual)
                .for_each(&mut all);
            visit_exprs(left, f);
            visit_exprs(right, f);
        }
        Node::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            group_by
                .iter()
                .chain(aggregates.iter().flat_map(Aggregate::exprs))
                .for_each(&mut all);
            visit_exprs(input, f);
        }
        Node::Sort { input, keys } => {
            keys.iter().for_each(|k| all(&k.expr));
            visit_exprs(input, f);
        }
        Node::Limit {
            input,
            limit,
            offset,
        } => {
            limit.iter().chain(offset).for_each(&mut all);
            visit_exprs(input, f);
        }
        Node::Distinct { input } => visit_exprs(input, f),
        Node::FunctionScan {
            input,
            functions,
            outer,
            ..
        } => {
            functions
                .iter()
                .flat_map(|c| &c.args)
                .chain(outer)
                .for_each(&mut all);
            visit_exprs(input, f);
        }
        Node::SetOp { left, right, .. } => {
            visit_exprs(left, f);
            visit_exprs(right, f);
        }
        Node::Window { input, functions } => {
            functions
                .iter()
                .flat_map(WindowFunction::exprs)
                .for_each(&mut all);
            visit_exprs(input, f);
        }
        Node::CteScan { input, .. } => visit_exprs(input, f),
        Node::RecursiveUnion {
            base, recursive, ..
        } => {
            visit_exprs(base, f);
            visit_exprs(recursive, f);
        }
        Node::WorkTable { .. } => {}
        Node::LockRows { input, .. } => visit_exprs(input, f),
    }
}

impl Node {
    /// The node's inputs, in the order EXPLAIN prints them (subquery plans inside its
    /// expressions are not inputs).
    pub fn children(&self) -> Vec<&Node> {
        match self {
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Aggregate { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Distinct { input }
            | Node::Window { input, .. }
            | Node::CteScan { input, .. }
            | Node::FunctionScan { input, .. }
            | Node::IndexJoin { left: input, .. }
            | Node::LockRows { input, .. } => vec![input],
            Node::NestedLoopJoin { left, right, .. }
            | Node::HashJoin { left, right, .. }
            | Node::SetOp { left, right, .. } => vec![left, right],
            Node::RecursiveUnion {
                base, recursive, ..
            } => vec![base, recursive],
            Node::Nothing
            | Node::Scan { .. }
            | Node::IndexScan { .. }
            | Node::Values { .. }
            | Node::WorkTable { .. } => Vec::new(),
        }
    }

    /// Replaces each direct input of this node with `f` of it.
    pub fn map_inputs(self, mut f: impl FnMut(Node) -> Node) -> Node {
        let mut b = |n: Box<Node>| Box::new(f(*n));
        match self {
            Node::Filter { input, predicate } => Node::Filter {
                input: b(input),
                predicate,
            },
            Node::Project { input, exprs } => Node::Project {
                input: b(input),
                exprs,
            },
            Node::NestedLoopJoin {
                left,
                right,
                kind,
                on,
            } => Node::NestedLoopJoin {
                left: b(left),
                right: b(right),
                kind,
                on,
            },
            Node::HashJoin {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                residual,
            } => Node::HashJoin {
                left: b(left),
                right: b(right),
                kind,
                left_keys,
                right_keys,
                residual,
            },
            Node::Aggregate {
                input,
                group_by,
                aggregates,
            } => Node::Aggregate {
                input: b(input),
                group_by,
                aggregates,
            },
            Node::Sort { input, keys } => Node::Sort {
                input: b(input),
                keys,
            },
            Node::Limit {
                input,
                limit,
                offset,
            } => Node::Limit {
                input: b(input),
                limit,
                offset,
            },
            Node::Distinct { input } => Node::Distinct { input: b(input) },
            Node::FunctionScan {
                input,
                functions,
                ordinality,
                outer,
            } => Node::FunctionScan {
                input: b(input),
                functions,
                ordinality,
                outer,
            },
            Node::SetOp {
                op,
                all,
                left,
                right,
            } => Node::SetOp {
                op,
                all,
                left: b(left),
                right: b(right),
            },
            Node::Window { input, functions } => Node::Window {
                input: b(input),
                functions,
            },
            Node::CteScan {
                name,
                id,
                input,
                shared,
            } => Node::CteScan {
                name,
                id,
                input: b(input),
                shared,
            },
            Node::RecursiveUnion {
                id,
                base,
                recursive,
                distinct,
            } => Node::RecursiveUnion {
                id,
                base: b(base),
                recursive: b(recursive),
                distinct,
            },
            Node::IndexJoin {
                left,
                table,
                lookup,
                kind,
                filter,
                on,
            } => Node::IndexJoin {
                left: b(left),
                table,
                lookup,
                kind,
                filter,
                on,
            },
            Node::LockRows {
                input,
                tables,
                width,
                recheck,
            } => Node::LockRows {
                input: b(input),
                tables,
                width,
                recheck,
            },
            leaf @ (Node::Nothing
            | Node::Scan { .. }
            | Node::IndexScan { .. }
            | Node::Values { .. }
            | Node::WorkTable { .. }) => leaf,
        }
    }

    fn fmt_indent(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        let arrow = if depth == 0 { "" } else { "->  " };
        write!(f, "{pad}{arrow}")?;
        match self {
            Node::Nothing => writeln!(f, "Result"),
            Node::Scan { table, filter } => {
                writeln!(f, "Seq Scan on {}", table.name)?;
                if let Some(filter) = filter {
                    writeln!(f, "{pad}      Filter: {filter}")?;
                }
                Ok(())
            }
            Node::IndexScan {
                table,
                lookup,
                filter,
            } => {
                writeln!(f, "Index Scan {}", lookup.describe(table))?;
                if let Some(filter) = filter {
                    writeln!(f, "{pad}      Filter: {filter}")?;
                }
                Ok(())
            }
            Node::IndexJoin {
                left,
                table,
                lookup,
                kind,
                filter,
                on,
            } => {
                write!(f, "Index Nested Loop {kind:?} Join")?;
                match on {
                    Some(on) => writeln!(f, " on {on}")?,
                    None => writeln!(f)?,
                }
                left.fmt_indent(f, depth + 1)?;
                writeln!(f, "{pad}  ->  Index Scan {}", lookup.describe(table))?;
                if let Some(filter) = filter {
                    writeln!(f, "{pad}        Filter: {filter}")?;
                }
                Ok(())
            }
            Node::Values { rows } => writeln!(f, "Values Scan ({} rows)", rows.len()),
            Node::Filter { input, predicate } => {
                writeln!(f, "Filter: {predicate}")?;
                input.fmt_indent(f, depth + 1)
            }
            Node::Project { input, exprs } => {
                let list: Vec<String> = exprs.iter().map(ToString::to_string).collect();
                writeln!(f, "Project: {}", list.join(", "))?;
                input.fmt_indent(f, depth + 1)
            }
            Node::NestedLoopJoin {
                left,
                right,
                kind,
                on,
            } => {
                write!(f, "Nested Loop {kind:?} Join")?;
                match on {
                    Some(on) => writeln!(f, " on {on}")?,
                    None => writeln!(f)?,
                }
                left.fmt_indent(f, depth + 1)?;
                right.fmt_indent(f, depth + 1)
            }
            Node::HashJoin {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                residual,
            } => {
                let pairs: Vec<String> = left_keys
                    .iter()
                    .zip(right_keys)
                    .map(|(l, r)| format!("{l} = {r}"))
                    .collect();
                write!(f, "Hash {kind:?} Join on {}", pairs.join(" AND "))?;
                match residual {
                    Some(r) => writeln!(f, " filter {r}")?,
                    None => writeln!(f)?,
                }
                left.fmt_indent(f, depth + 1)?;
                right.fmt_indent(f, depth + 1)
            }
            Node::Aggregate {
                input,
                group_by,
                aggregates,
            } => {
                let groups: Vec<String> = group_by.iter().map(ToString::to_string).collect();
                let aggs: Vec<String> = aggregates.iter().map(ToString::to_string).collect();
                writeln!(
                    f,
                    "Aggregate: group by [{}] compute [{}]",
                    groups.join(", "),
                    aggs.join(", ")
                )?;
                input.fmt_indent(f, depth + 1)
            }
            Node::Sort { input, keys } => {
                let list: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}{}", k.expr, if k.desc { " DESC" } else { "" }))
                    .collect();
                writeln!(f, "Sort: {}", list.join(", "))?;
                input.fmt_indent(f, depth + 1)
            }
            Node::Limit {
                input,
                limit,
                offset,
            } => {
                let show =
                    |e: &Option<Expr>| e.as_ref().map_or("none".to_string(), ToString::to_string);
                writeln!(f, "Limit: {} offset {}", show(limit), show(offset))?;
                input.fmt_indent(f, depth + 1)
            }
            Node::Distinct { input } => {
                writeln!(f, "Distinct")?;
                input.fmt_indent(f, depth + 1)
            }
            Node::FunctionScan {
                input,
                functions,
                ordinality,
                outer,
            } => {
                let calls: Vec<String> = functions
                    .iter()
                    .map(|c| {
                        let list: Vec<String> = c.args.iter().map(ToString::to_string).collect();
                        format!("{}({})", c.name, list.join(", "))
                    })
                    .collect();
                write!(
                    f,
                    "Function Scan on {}{}",
                    calls.join(", "),
                    if *ordinality { " WITH ORDINALITY" } else { "" }
                )?;
                match outer {
                    Some(on) => writeln!(f, " left join on {on}")?,
                    None => writeln!(f)?,
                }
                input.fmt_indent(f, depth + 1)
            }
            Node::SetOp {
                op,
                all,
                left,
                right,
            } => {
                writeln!(f, "{op:?}{}", if *all { " All" } else { "" })?;
                left.fmt_indent(f, depth + 1)?;
                right.fmt_indent(f, depth + 1)
            }
            Node::Window { input, functions } => {
                let list: Vec<String> = functions.iter().map(ToString::to_string).collect();
                writeln!(f, "WindowAgg: {}", list.join(", "))?;
                input.fmt_indent(f, depth + 1)
            }
            Node::CteScan {
                name, input, id, ..
            } => {
                writeln!(f, "CTE Scan on {name} (cte{id})")?;
                input.fmt_indent(f, depth + 1)
            }
            Node::RecursiveUnion {
                base,
                recursive,
                distinct,
                ..
            } => {
                writeln!(f, "Recursive Union{}", if *distinct { "" } else { " All" })?;
                base.fmt_indent(f, depth + 1)?;
                recursive.fmt_indent(f, depth + 1)
            }
            Node::WorkTable { id, .. } => writeln!(f, "WorkTable Scan (cte{id})"),
            Node::LockRows { input, tables, .. } => {
                let names: Vec<&str> = tables
                    .iter()
                    .filter(|(_, locked)| *locked)
                    .map(|(t, _)| t.name.as_str())
                    .collect();
                writeln!(f, "LockRows on {}", names.join(", "))?;
                input.fmt_indent(f, depth + 1)
            }
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_indent(f, 0)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(v) => match v.to_text(&crate::types::Settings::default()) {
                None => write!(f, "NULL"),
                Some(text) if matches!(v, Value::Text(_)) => {
                    write!(f, "'{}'", text.replace('\'', "''"))
                }
                Some(text) => write!(f, "{text}::{}", v.data_type().name()),
            },
            Expr::Column(i) => write!(f, "#{i}"),
            Expr::Outer { depth, index } => write!(f, "outer{depth}.#{index}"),
            Expr::Param(i) => write!(f, "${}", i + 1),
            Expr::Unary(op, e) => write!(f, "({op:?} {e})"),
            Expr::Binary(op, l, r) => write!(f, "({l} {op:?} {r})"),
            Expr::And(l, r) => write!(f, "({l} AND {r})"),
            Expr::Or(l, r) => write!(f, "({l} OR {r})"),
            Expr::Not(e) => write!(f, "(NOT {e})"),
            Expr::IsNull(e) => write!(f, "({e} IS NULL)"),
            Expr::IsDistinctFrom(l, r, neg) => {
                write!(
                    f,
                    "({l} IS {}DISTINCT FROM {r})",
                    if *neg { "NOT " } else { "" }
                )
            }
            Expr::IsBool(e, b, neg) => {
                write!(f, "({e} IS {}{})", if *neg { "NOT " } else { "" }, b)
            }
            Expr::Cast(e, t) => write!(f, "({e})::{}", t.name()),
            Expr::Case { .. } => write!(f, "CASE"),
            Expr::Function(name, args) => {
                let list: Vec<String> = args.iter().map(ToString::to_string).collect();
                write!(f, "{name}({})", list.join(", "))
            }
            Expr::InList(e, list, neg) => {
                let list: Vec<String> = list.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "({e} {}IN ({}))",
                    if *neg { "NOT " } else { "" },
                    list.join(", ")
                )
            }
            Expr::Like(e, p, neg, ci) => write!(
                f,
                "({e} {}{} {p})",
                if *neg { "NOT " } else { "" },
                if *ci { "ILIKE" } else { "LIKE" }
            ),
            Expr::Subquery(_) => write!(f, "(SubPlan)"),
            Expr::Exists(_, neg) => write!(f, "({}EXISTS SubPlan)", if *neg { "NOT " } else { "" }),
            Expr::InSubquery(e, _, neg) => {
                write!(f, "({e} {}IN SubPlan)", if *neg { "NOT " } else { "" })
            }
        }
    }
}

/// The row locks of `SELECT ... FOR UPDATE / FOR SHARE`: each row a scan of the named tables
/// (every table when none are named) reads and its filter accepts is locked, and the newest
/// committed version is what the query sees (re-checked against the filter). Under a LIMIT,
/// a [`Node::LockRows`] may lock the rows returned instead.
#[derive(Clone, Debug, PartialEq)]
pub struct RowLocking {
    /// The tables whose rows are locked (`FOR UPDATE OF ...`); empty: all of them.
    pub tables: Vec<crate::catalog::Oid>,
    /// `FOR UPDATE` (exclusive) rather than `FOR SHARE`.
    pub update: bool,
    /// Wait, `NOWAIT` or `SKIP LOCKED`.
    pub policy: anchor_engine::mvcc::WaitPolicy,
}
