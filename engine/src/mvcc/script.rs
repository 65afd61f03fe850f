//! Runs the golden scripts in `testscripts/`: concurrent transactions, one thread each,
//! driven step by step.
//!
//! A line `t1: <op>` runs `<op>` in transaction `t1` on its own thread; the runner waits until
//! the step finishes or blocks on a row lock (the lock table shows it waiting behind another
//! holder). Output lines follow the step, starting with `→`: its result, or `blocked`, and
//! then `t2 unblocked: <result>` for every earlier blocked step that finished meanwhile.
//! Lines without a transaction are global: `init k=v ...` commits initial data, `dump`
//! shows the raw versions in the engine, `gc` collects garbage, `reset` starts over on a new
//! engine. `#` starts a comment.
//!
//! Operations: `begin [read_committed|repeatable_read|serializable] [read_only]
//! [as_of=N]`, `get k...`, `set k=v...`, `delete k...`, `scan [from..to]`, `scan_rev
//! [from..to]`, `lock k [share|update] [nowait|skip_locked]`, `get_for_update k`,
//! `savepoint n`, `rollback_to n`, `release n`, `commit`, `rollback`. Each operation but
//! commit, rollback and the savepoint ones is a statement: it starts with
//! `Transaction::new_statement`, so READ COMMITTED reads a fresh snapshot, as psql would.
//!
//! The expected output is rewritten with `UPDATE_GOLDEN=1 cargo test -p anchor-engine --lib
//! mvcc::script`; otherwise it must match exactly.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{IsolationLevel, LockMode, Locked, Mvcc, Options, Transaction, WaitPolicy, key};
use crate::engine::{Engine, KeyRange};
use crate::memory::Memory;

/// How long a step may run before the script is declared stuck.
const STUCK: Duration = Duration::from_secs(60);

struct Session {
    commands: Option<Sender<String>>,
    results: Receiver<String>,
    id: Arc<AtomicU64>,
    /// The step that is blocked, if any.
    pending: Option<String>,
    thread: Option<JoinHandle<()>>,
}

enum Outcome {
    Done(String),
    Blocked,
}

struct Runner {
    engine: Arc<Memory>,
    mvcc: Arc<Mvcc>,
    sessions: BTreeMap<String, Session>,
}

impl Runner {
    fn new() -> Runner {
        let engine = Arc::new(Memory::new());
        let mvcc = Arc::new(Mvcc::open(engine.clone(), Options::default()).unwrap());
        Runner {
            engine,
            mvcc,
            sessions: BTreeMap::new(),
        }
    }

    fn close_sessions(&mut self) {
        for session in self.sessions.values_mut() {
            session.commands.take();
        }
        for session in self.sessions.values_mut() {
            if let Some(thread) = session.thread.take() {
                thread.join().unwrap();
            }
        }
        self.sessions.clear();
    }

    fn wait(&self, session: &Session) -> Outcome {
        let start = Instant::now();
        loop {
            match session.results.try_recv() {
                Ok(out) => return Outcome::Done(out),
                Err(TryRecvError::Disconnected) => panic!("session thread died"),
                Err(TryRecvError::Empty) => {}
            }
            let id = session.id.load(Ordering::SeqCst);
            if id != 0 && self.mvcc.is_blocked(id) {
                return Outcome::Blocked;
            }
            assert!(start.elapsed() < STUCK, "step neither finished nor blocked");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Runs one line and returns its output lines.
    fn run_line(&mut self, line: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((name, op)) = line.split_once(':') {
            let (name, op) = (name.trim().to_string(), op.trim().to_string());
            if !self.sessions.contains_key(&name) {
                self.sessions.insert(name.clone(), self.spawn());
            }
            let session = &self.sessions[&name];
            assert!(session.pending.is_none(), "{name} is blocked: {line}");
            session.commands.as_ref().unwrap().send(op.clone()).unwrap();
            match self.wait(session) {
                Outcome::Done(result) => out.extend(result.lines().map(String::from)),
                Outcome::Blocked => {
                    out.push("blocked".into());
                    self.sessions.get_mut(&name).unwrap().pending = Some(op);
                }
            }
            let names: Vec<String> = self.sessions.keys().cloned().collect();
            for other in names {
                if other == name || self.sessions[&other].pending.is_none() {
                    continue;
                }
                if let Outcome::Done(result) = self.wait(&self.sessions[&other]) {
                    self.sessions.get_mut(&other).unwrap().pending = None;
                    if result.is_empty() {
                        out.push(format!("{other} unblocked"));
                    }
                    for l in result.lines() {
                        out.push(format!("{other} unblocked: {l}"));
                    }
                }
            }
        } else {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("init") => {
                    let mut txn = self.mvcc.begin(IsolationLevel::ReadCommitted).unwrap();
                    for pair in words {
                        let (k, v) = pair.split_once('=').expect("init k=v");
                        txn.set(k.as_bytes(), v.as_bytes()).unwrap();
                    }
                    txn.commit().unwrap();
                }
                Some("dump") => {
                    for item in self.engine.scan(KeyRange::all()).unwrap() {
                        let (raw, value) = item.unwrap();
                        if let Ok((k, version)) = key::decode_version(&raw) {
                            let value = match key::decode_value(&value).unwrap() {
                                Some(v) => String::from_utf8_lossy(&v).into_owned(),
                                None => "(deleted)".into(),
                            };
                            out.push(format!("{}@{version} = {value}", text(&k)));
                        }
                    }
                }
                Some("gc") => out.push(format!("removed {}", self.mvcc.gc().unwrap())),
                Some("reset") => {
                    self.close_sessions();
                    *self = Runner::new();
                }
                _ => panic!("unknown command {line}"),
            }
        }
        out
    }

    fn spawn(&self) -> Session {
        let (commands, command_rx) = channel::<String>();
        let (result_tx, results) = channel();
        let id = Arc::new(AtomicU64::new(0));
        let mvcc = self.mvcc.clone();
        let thread_id = id.clone();
        let thread = std::thread::spawn(move || {
            let mut txn = None;
            for op in command_rx {
                let result = match execute(&mvcc, &mut txn, &op) {
                    Ok(out) => out,
                    Err(err) => format!("Error: {err}"),
                };
                if let Some(t) = &txn {
                    thread_id.store(t.id(), Ordering::SeqCst);
                }
                if result_tx.send(result).is_err() {
                    break;
                }
            }
        });
        Session {
            commands: Some(commands),
            results,
            id,
            pending: None,
            thread: Some(thread),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.close_sessions();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_range(arg: Option<&str>) -> KeyRange {
    let Some(arg) = arg else {
        return KeyRange::all();
    };
    let (from, to) = arg.split_once("..").expect("range from..to");
    let bound = |s: &str| match s {
        "" => Bound::Unbounded,
        s => Bound::Included(s.as_bytes().to_vec()),
    };
    let end = match to.strip_prefix('=') {
        Some(to) => bound(to),
        None if to.is_empty() => Bound::Unbounded,
        None => Bound::Excluded(to.as_bytes().to_vec()),
    };
    KeyRange {
        start: bound(from),
        end,
    }
}

fn show(key: &str, value: Option<Vec<u8>>) -> String {
    match value {
        Some(v) => format!("{key} = {}", text(&v)),
        None => format!("{key} = (none)"),
    }
}

fn execute(mvcc: &Mvcc, txn: &mut Option<Transaction>, op: &str) -> crate::Result<String> {
    let mut words = op.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let args: Vec<&str> = words.collect();
    if verb == "begin" {
        assert!(txn.is_none(), "transaction already begun");
        let mut isolation = IsolationLevel::ReadCommitted;
        let mut read_only = false;
        let mut as_of = None;
        for arg in args {
            match arg {
                "read_committed" => isolation = IsolationLevel::ReadCommitted,
                "repeatable_read" => isolation = IsolationLevel::RepeatableRead,
                "serializable" => isolation = IsolationLevel::Serializable,
                "read_only" => read_only = true,
                a => as_of = Some(a.strip_prefix("as_of=").unwrap().parse::<u64>().unwrap()),
            }
        }
        *txn = Some(match (as_of, read_only) {
            (Some(version), _) => mvcc.begin_as_of(version)?,
            (None, true) => mvcc.begin_read_only(isolation)?,
            (None, false) => mvcc.begin(isolation)?,
        });
        return Ok(String::new());
    }
    let t = txn.as_mut().expect("no transaction: begin first");
    if !matches!(
        verb,
        "commit" | "rollback" | "savepoint" | "rollback_to" | "release"
    ) {
        t.new_statement();
    }
    let mut out = Vec::new();
    match verb {
        "get" => {
            for k in args {
                out.push(show(k, t.get(k.as_bytes())?));
            }
        }
        "set" => {
            for pair in args {
                let (k, v) = pair.split_once('=').expect("set k=v");
                t.set(k.as_bytes(), v.as_bytes())?;
            }
        }
        "delete" => {
            for k in args {
                t.delete(k.as_bytes())?;
            }
        }
        "scan" | "scan_rev" => {
            let range = parse_range(args.first().copied());
            let scan = if verb == "scan" {
                t.scan(range)?
            } else {
                t.scan_rev(range)?
            };
            for item in scan {
                let (k, v) = item?;
                out.push(format!("{} = {}", text(&k), text(&v)));
            }
            if out.is_empty() {
                out.push("(empty)".into());
            }
        }
        "lock" => {
            let k = args[0];
            let mut mode = LockMode::Update;
            let mut policy = WaitPolicy::Wait;
            for arg in &args[1..] {
                match *arg {
                    "share" => mode = LockMode::Share,
                    "update" => mode = LockMode::Update,
                    "nowait" => policy = WaitPolicy::NoWait,
                    "skip_locked" => policy = WaitPolicy::SkipLocked,
                    a => panic!("unknown lock option {a}"),
                }
            }
            match t.lock(k.as_bytes(), mode, policy)? {
                Locked::Row(value) => out.push(format!("locked {}", show(k, value))),
                Locked::Skipped => out.push(format!("skipped {k}")),
            }
        }
        "get_for_update" => out.push(show(args[0], t.get_for_update(args[0].as_bytes())?)),
        "savepoint" => t.savepoint(args[0]),
        "rollback_to" => t.rollback_to(args[0])?,
        "release" => t.release(args[0])?,
        "commit" => txn.take().unwrap().commit()?,
        "rollback" => txn.take().unwrap().rollback()?,
        v => panic!("unknown operation {v}"),
    }
    Ok(out.join("\n"))
}

/// Runs one script and returns the text with fresh output.
fn run_script(input: &str) -> String {
    let mut runner = Runner::new();
    let mut output = String::new();
    for line in input.lines() {
        if line.starts_with('→') {
            continue;
        }
        output.push_str(line);
        output.push('\n');
        let command = line.split('#').next().unwrap_or_default().trim();
        if command.is_empty() {
            continue;
        }
        for out in runner.run_line(command) {
            output.push_str(&format!("→ {out}\n"));
        }
    }
    output
}

#[test]
fn scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mvcc/testscripts");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let mut failed = Vec::new();
    for path in paths {
        let input = std::fs::read_to_string(&path).unwrap();
        let output = run_script(&input);
        if output != input {
            if update {
                std::fs::write(&path, &output).unwrap();
            } else {
                eprintln!("--- {} differs; got:\n{output}", path.display());
                failed.push(path.display().to_string());
            }
        }
    }
    assert!(
        failed.is_empty(),
        "scripts differ (UPDATE_GOLDEN=1 rewrites them): {failed:?}"
    );
}
