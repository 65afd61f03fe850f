//! EXPLAIN's options and EXPLAIN ANALYZE.
//!
//! EXPLAIN ANALYZE runs the statement and prints the plan with what each node did:
//! `(actual time=startup..total rows=N loops=L)` as PostgreSQL prints it, times in
//! milliseconds and, like rows, averaged over the node's loops (a node inside a correlated
//! subquery or on the inner side of a nested loop starts once per outer row).
//!
//! While the statement runs, every executor that [`crate::exec::build`] makes is wrapped in
//! an [`Analyzed`] one that counts its rows, starts and time into the statistics of its plan
//! node, found by the node's address. The statistics live in a thread-local slot that is
//! set only for the duration of the run (execution is synchronous, on one thread), so
//! executors of ordinary statements are not wrapped and pay nothing. Printing walks the plan
//! in the order its `Display` prints nodes and appends each node's statistics to its line.
//! Nodes that did not run print no statistics; so do the copies that a WITH query runs
//! from.
//!
//! `TIMING OFF` leaves the times out and `SUMMARY OFF` the closing `Execution Time` line,
//! which makes the output deterministic. INSERT, UPDATE and DELETE run too (and their
//! changes stay, as in PostgreSQL): their line shows the time of the whole statement.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sqlparser::ast;

use crate::error::{Error, Result, SqlState};
use crate::exec::{self, Context, Executor};
use crate::plan::Node;
use crate::planner::Plan;
use crate::session::StatementResult;
use crate::storage::Row;
use crate::types::{DataType, Value};

/// What EXPLAIN was asked to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExplainOptions {
    /// Run the statement and show actual rows and times.
    pub analyze: bool,
    /// Show times (with ANALYZE).
    pub timing: bool,
    /// Show the total execution time at the end (with ANALYZE).
    pub summary: bool,
}

impl ExplainOptions {
    /// Reads `EXPLAIN ANALYZE` and the parenthesized option list.
    pub fn from_ast(analyze: bool, options: Option<&[ast::UtilityOption]>) -> Result<Self> {
        let mut o = ExplainOptions {
            analyze,
            timing: true,
            summary: true,
        };
        let (mut timing, mut summary) = (None, None);
        for option in options.unwrap_or_default() {
            let name = option.name.value.to_lowercase();
            match name.as_str() {
                "analyze" => o.analyze = flag(&name, option.arg.as_ref())?,
                "timing" => timing = Some(flag(&name, option.arg.as_ref())?),
                "summary" => summary = Some(flag(&name, option.arg.as_ref())?),
                "verbose" | "costs" | "buffers" | "settings" | "wal" => {
                    flag(&name, option.arg.as_ref())?;
                }
                "format" => {
                    let format = option.arg.as_ref().map(|a| a.to_string().to_lowercase());
                    if format.as_deref() != Some("text") {
                        return Err(Error::unsupported("EXPLAIN formats other than TEXT"));
                    }
                }
                _ => {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("unrecognized EXPLAIN option \"{name}\""),
                    ));
                }
            }
        }
        if timing == Some(true) && !o.analyze {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "EXPLAIN option TIMING requires ANALYZE",
            ));
        }
        o.timing = timing.unwrap_or(true);
        o.summary = summary.unwrap_or(o.analyze);
        Ok(o)
    }
}

/// A boolean option's value: absent is true.
fn flag(name: &str, arg: Option<&ast::Expr>) -> Result<bool> {
    let Some(arg) = arg else {
        return Ok(true);
    };
    let text = match arg {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Boolean(b) => return Ok(*b),
            ast::Value::SingleQuotedString(s) => s.clone(),
            ast::Value::Number(n, _) => n.clone(),
            other => other.to_string(),
        },
        ast::Expr::Identifier(id) => id.value.clone(),
        other => other.to_string(),
    };
    match text.to_lowercase().as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("{name} requires a Boolean value"),
        )),
    }
}

/// What one plan node did, summed over its loops.
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeStats {
    /// Rows returned.
    pub rows: u64,
    /// Times the node started.
    pub loops: u64,
    /// Time until the first row (or the end), per loop, summed.
    pub startup: Duration,
    /// Time in the node and its inputs.
    pub total: Duration,
}

type StatsMap = Arc<Mutex<HashMap<usize, Arc<Mutex<NodeStats>>>>>;

thread_local! {
    /// The statistics of the EXPLAIN ANALYZE running on this thread, if any.
    static RUNNING: RefCell<Option<StatsMap>> = const { RefCell::new(None) };
}

/// Clears the thread's slot when the run ends, however it ends.
struct Running;

impl Running {
    fn start(map: StatsMap) -> Running {
        RUNNING.with(|r| *r.borrow_mut() = Some(map));
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|r| *r.borrow_mut() = None);
    }
}

/// `exec`, the executor of `node`, wrapped to count into `node`'s statistics when an
/// EXPLAIN ANALYZE is running.
pub fn instrument(node: &Node, exec: Box<dyn Executor>) -> Box<dyn Executor> {
    RUNNING.with(|r| match &*r.borrow() {
        Some(map) => {
            let key = node as *const Node as usize;
            let stats = map.lock().entry(key).or_default().clone();
            Box::new(Analyzed {
                inner: exec,
                stats,
                started: false,
                produced: false,
            }) as Box<dyn Executor>
        }
        None => exec,
    })
}

/// An executor that counts what the one inside it does.
struct Analyzed {
    inner: Box<dyn Executor>,
    stats: Arc<Mutex<NodeStats>>,
    started: bool,
    produced: bool,
}

impl Executor for Analyzed {
    fn next(&mut self, ctx: &mut Context) -> Result<Option<Row>> {
        let start = Instant::now();
        let row = self.inner.next(ctx);
        let elapsed = start.elapsed();
        let mut s = self.stats.lock();
        if !self.started {
            self.started = true;
            s.loops += 1;
        }
        s.total += elapsed;
        if !self.produced {
            s.startup += elapsed;
        }
        if let Ok(Some(_)) = &row {
            s.rows += 1;
            self.produced = true;
        }
        row
    }

    fn set_bound(&mut self, rows: usize) {
        self.inner.set_bound(rows);
    }
}

/// Runs `plan` and returns its annotated plan.
pub fn analyze(plan: Plan, options: ExplainOptions, ctx: &mut Context) -> Result<StatementResult> {
    let map: StatsMap = Arc::default();
    let started = Instant::now();
    let lines = match plan {
        Plan::Query { node, .. } => {
            {
                let _running = Running::start(map.clone());
                let mut exec = exec::build(&node);
                while exec.next(ctx)?.is_some() {}
            }
            let stats = map.lock();
            annotate(&node, &stats, options)
        }
        plan @ (Plan::Insert { .. } | Plan::Update { .. } | Plan::Delete { .. }) => {
            let (what, table, source) = match &plan {
                Plan::Insert { table, source, .. } => ("Insert", table, Some(source.clone())),
                Plan::Update { table, from, .. } => ("Update", table, from.clone()),
                Plan::Delete { table, .. } => ("Delete", table, None),
                _ => return Err(Error::internal("not a data-modifying plan")),
            };
            let name = table.name.clone();
            {
                let _running = Running::start(map.clone());
                crate::dml::execute(plan, ctx)?;
            }
            let elapsed = started.elapsed();
            let whole = NodeStats {
                rows: 0,
                loops: 1,
                startup: elapsed,
                total: elapsed,
            };
            let mut lines = vec![format!("{what} on {name}{}", show(&whole, options))];
            if let Some(source) = source {
                // The statement ran its own copy of the plan: show the plan without figures.
                lines.extend(source.to_string().lines().map(|l| format!("  ->  {l}")));
            }
            lines
        }
        _ => {
            return Err(Error::unsupported(
                "EXPLAIN ANALYZE of statements other than SELECT, INSERT, UPDATE and DELETE",
            ));
        }
    };
    let mut lines = lines;
    if options.summary {
        lines.push(format!(
            "Execution Time: {:.3} ms",
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    Ok(StatementResult {
        tag: "EXPLAIN".into(),
        columns: vec![("QUERY PLAN".into(), DataType::Text)],
        rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
    })
}

/// The statistics as PostgreSQL prints them after a node.
fn show(s: &NodeStats, options: ExplainOptions) -> String {
    let loops = s.loops.max(1);
    let rows = (s.rows as f64 / loops as f64).round() as u64;
    if options.timing {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / loops as f64;
        format!(
            "  (actual time={:.3}..{:.3} rows={rows} loops={})",
            ms(s.startup),
            ms(s.total),
            s.loops
        )
    } else {
        format!("  (actual rows={rows} loops={})", s.loops)
    }
}

/// `node`'s EXPLAIN lines with each node's statistics after its first line.
fn annotate(
    node: &Node,
    stats: &HashMap<usize, Arc<Mutex<NodeStats>>>,
    options: ExplainOptions,
) -> Vec<String> {
    let mut nodes = Vec::new();
    preorder(node, &mut nodes);
    let mut lines: Vec<String> = node.to_string().lines().map(str::to_string).collect();
    let headers: Vec<usize> = (0..lines.len())
        .filter(|&i| i == 0 || lines[i].trim_start().starts_with("->  "))
        .collect();
    if headers.len() != nodes.len() {
        return lines;
    }
    for (line, n) in headers.into_iter().zip(nodes) {
        if let Some(s) = stats.get(&(n as *const Node as usize)) {
            let s = *s.lock();
            if s.loops > 0 {
                lines[line].push_str(&show(&s, options));
            }
        }
    }
    lines
}

/// The nodes of the tree in the order EXPLAIN prints them.
fn preorder<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(node);
    for child in node.children() {
        preorder(child, out);
    }
}
