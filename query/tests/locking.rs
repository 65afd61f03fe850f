//! `SELECT ... FOR UPDATE / FOR SHARE` across sessions: NOWAIT, SKIP LOCKED, share locks,
//! and a waiting locker that sees the newest committed row.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anchor_query::{Database, Session};

fn run(s: &mut Session, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let mut out = Vec::new();
    for r in s.execute(sql) {
        let r = r.map_err(|e| e.sqlstate().code().to_string())?;
        let settings = s.settings().clone();
        out = r
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| v.to_text(&settings).unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect();
    }
    Ok(out)
}

fn setup() -> Arc<Database> {
    let db = Database::memory().unwrap();
    let mut s = db.session();
    run(
        &mut s,
        "CREATE TABLE jobs (id int PRIMARY KEY, state text);
         INSERT INTO jobs VALUES (1, 'new'), (2, 'new'), (3, 'new')",
    )
    .unwrap();
    db
}

#[test]
fn nowait_and_skip_locked() {
    let db = setup();
    let (mut a, mut b) = (db.session(), db.session());
    run(&mut a, "BEGIN").unwrap();
    assert_eq!(
        run(&mut a, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE").unwrap(),
        vec![vec!["1"]]
    );
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(&mut b, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT").unwrap_err(),
        "55P03"
    );
    run(&mut b, "ROLLBACK").unwrap();
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut b,
            "SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED"
        )
        .unwrap(),
        vec![vec!["2"], vec!["3"]]
    );
    run(&mut b, "ROLLBACK").unwrap();
    // Plain reads never wait.
    assert_eq!(
        run(&mut b, "SELECT count(*) FROM jobs").unwrap(),
        vec![vec!["3"]]
    );
    run(&mut a, "COMMIT").unwrap();
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(&mut b, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT").unwrap(),
        vec![vec!["1"]]
    );
    run(&mut b, "COMMIT").unwrap();
}

#[test]
fn share_locks_share() {
    let db = setup();
    let (mut a, mut b) = (db.session(), db.session());
    run(&mut a, "BEGIN").unwrap();
    run(&mut a, "SELECT * FROM jobs WHERE id = 2 FOR SHARE").unwrap();
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(&mut b, "SELECT id FROM jobs WHERE id = 2 FOR SHARE NOWAIT").unwrap(),
        vec![vec!["2"]]
    );
    assert_eq!(
        run(&mut b, "SELECT id FROM jobs WHERE id = 2 FOR UPDATE NOWAIT").unwrap_err(),
        "55P03"
    );
}

#[test]
fn a_waiting_locker_sees_the_newest_row() {
    let db = setup();
    let mut a = db.session();
    run(&mut a, "BEGIN").unwrap();
    run(&mut a, "UPDATE jobs SET state = 'taken' WHERE id = 3").unwrap();
    let db2 = db.clone();
    let waiter = thread::spawn(move || {
        let mut b = db2.session();
        run(&mut b, "BEGIN").unwrap();
        let rows = run(
            &mut b,
            "SELECT id, state FROM jobs WHERE id >= 2 ORDER BY id FOR UPDATE",
        );
        run(&mut b, "COMMIT").unwrap();
        rows
    });
    thread::sleep(Duration::from_millis(200));
    run(&mut a, "COMMIT").unwrap();
    assert_eq!(
        waiter.join().unwrap().unwrap(),
        vec![vec!["2", "new"], vec!["3", "taken"]]
    );
    // A row updated so that it no longer matches is left out.
    run(&mut a, "BEGIN").unwrap();
    run(&mut a, "UPDATE jobs SET state = 'done' WHERE id = 2").unwrap();
    let db3 = db.clone();
    let waiter = thread::spawn(move || {
        let mut b = db3.session();
        run(&mut b, "BEGIN").unwrap();
        run(&mut b, "SELECT id FROM jobs WHERE state = 'new' FOR UPDATE")
    });
    thread::sleep(Duration::from_millis(200));
    run(&mut a, "COMMIT").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), vec![vec!["1"]]);
}

#[test]
fn restrictions() {
    let db = setup();
    let mut s = db.session();
    for sql in [
        "SELECT count(*) FROM jobs FOR UPDATE",
        "SELECT DISTINCT state FROM jobs FOR UPDATE",
        "SELECT state FROM jobs GROUP BY state FOR SHARE",
    ] {
        assert_eq!(run(&mut s, sql).unwrap_err(), "0A000", "{sql}");
    }
    assert_eq!(
        run(&mut s, "SELECT * FROM jobs FOR UPDATE OF nope").unwrap_err(),
        "42P01"
    );
    assert_eq!(
        run(
            &mut s,
            "SELECT j.id FROM jobs j WHERE id = 1 FOR UPDATE OF j"
        )
        .unwrap(),
        vec![vec!["1"]]
    );
    run(&mut s, "BEGIN READ ONLY").unwrap();
    assert_eq!(
        run(&mut s, "SELECT * FROM jobs FOR UPDATE").unwrap_err(),
        "25006"
    );
}

#[test]
fn limit_locks_only_the_rows_returned() {
    let db = setup();
    let (mut a, mut b) = (db.session(), db.session());
    run(&mut a, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut a,
            "SELECT id, state FROM jobs ORDER BY id DESC LIMIT 1 FOR UPDATE"
        )
        .unwrap(),
        vec![vec!["3", "new"]]
    );
    // The rows the sort read but the LIMIT did not take are free.
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(&mut b, "SELECT id FROM jobs WHERE id < 3 FOR UPDATE NOWAIT").unwrap(),
        vec![vec!["1"], vec!["2"]]
    );
    run(&mut b, "ROLLBACK").unwrap();
    // OFFSET rows pass through the lock too, as in PostgreSQL.
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut b,
            "SELECT id FROM jobs WHERE id < 3 ORDER BY id LIMIT 1 OFFSET 1 FOR SHARE"
        )
        .unwrap(),
        vec![vec!["2"]]
    );
    run(&mut a, "COMMIT").unwrap();
    for id in ["1", "2"] {
        run(&mut a, "BEGIN").unwrap();
        let sql = format!("SELECT id FROM jobs WHERE id = {id} FOR UPDATE NOWAIT");
        assert_eq!(run(&mut a, &sql).unwrap_err(), "55P03", "{id}");
        run(&mut a, "ROLLBACK").unwrap();
    }
    run(&mut b, "COMMIT").unwrap();
    let plan = run(
        &mut a,
        "EXPLAIN SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE",
    )
    .unwrap();
    assert!(
        plan.iter().any(|l| l[0].contains("LockRows on jobs")),
        "{plan:?}"
    );
}

#[test]
fn skip_locked_job_queue() {
    let db = setup();
    let take = "SELECT id FROM jobs WHERE state = 'new' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
    let mut workers: Vec<_> = (0..4).map(|_| db.session()).collect();
    let mut taken = Vec::new();
    for w in &mut workers {
        run(w, "BEGIN").unwrap();
        taken.push(run(w, take).unwrap());
    }
    assert_eq!(
        taken,
        vec![vec![vec!["1"]], vec![vec!["2"]], vec![vec!["3"]], vec![]]
    );
    // The first worker finishes its job; the next worker to ask gets nothing new, since the
    // rest are still held, and once they are released the next free one comes.
    run(
        &mut workers[0],
        "UPDATE jobs SET state = 'done' WHERE id = 1",
    )
    .unwrap();
    run(&mut workers[0], "COMMIT").unwrap();
    run(&mut workers[1], "ROLLBACK").unwrap();
    run(&mut workers[0], "BEGIN").unwrap();
    assert_eq!(run(&mut workers[0], take).unwrap(), vec![vec!["2"]]);
    for w in &mut workers {
        run(w, "ROLLBACK").unwrap();
    }
}

#[test]
fn a_waiting_limit_takes_the_next_row_when_its_row_stops_qualifying() {
    let db = setup();
    let mut a = db.session();
    run(&mut a, "BEGIN").unwrap();
    run(&mut a, "UPDATE jobs SET state = 'done' WHERE id = 1").unwrap();
    run(&mut a, "UPDATE jobs SET state = 'newer' WHERE id = 2").unwrap();
    let db2 = db.clone();
    let waiter = thread::spawn(move || {
        let mut b = db2.session();
        run(&mut b, "BEGIN").unwrap();
        let rows = run(
            &mut b,
            "SELECT id, state, upper(state) FROM jobs WHERE state LIKE 'new%' \
             ORDER BY id LIMIT 2 FOR UPDATE",
        );
        run(&mut b, "COMMIT").unwrap();
        rows
    });
    thread::sleep(Duration::from_millis(200));
    run(&mut a, "COMMIT").unwrap();
    // Row 1 no longer qualifies and is skipped; row 2 changed but still qualifies and comes
    // out as it is now; row 3 fills the limit.
    assert_eq!(
        waiter.join().unwrap().unwrap(),
        vec![vec!["2", "newer", "NEWER"], vec!["3", "new", "NEW"]]
    );
}

#[test]
fn index_joins_under_a_limit_lock_only_the_rows_returned() {
    let db = setup();
    let (mut a, mut b) = (db.session(), db.session());
    run(
        &mut a,
        "CREATE TABLE child (id int PRIMARY KEY, job int);
         CREATE INDEX child_job ON child (job);
         INSERT INTO child VALUES (1, 1), (2, 1), (3, 1), (4, 2)",
    )
    .unwrap();
    let sql = "SELECT c.id FROM jobs j JOIN child c ON c.job = j.id WHERE j.id = 1 LIMIT 1 FOR UPDATE OF c";
    let plan = run(&mut a, &format!("EXPLAIN {sql}")).unwrap();
    assert!(
        plan.iter().any(|l| l[0].contains("Index Nested Loop"))
            && plan.iter().any(|l| l[0].contains("LockRows on child")),
        "{plan:?}"
    );
    run(&mut a, "BEGIN").unwrap();
    assert_eq!(run(&mut a, sql).unwrap(), vec![vec!["1"]]);
    // The other rows the probe found are not locked.
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut b,
            "SELECT id FROM child WHERE id IN (2, 3) FOR UPDATE NOWAIT"
        )
        .unwrap(),
        vec![vec!["2"], vec!["3"]]
    );
    run(&mut b, "ROLLBACK").unwrap();
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut b,
            "SELECT id FROM child WHERE id = 1 FOR UPDATE NOWAIT"
        )
        .unwrap_err(),
        "55P03"
    );
    run(&mut b, "ROLLBACK").unwrap();
    run(&mut a, "COMMIT").unwrap();
}

#[test]
fn joins_under_a_limit_lock_only_the_rows_returned() {
    let db = setup();
    let (mut a, mut b) = (db.session(), db.session());
    run(
        &mut a,
        "CREATE TABLE runs (id int PRIMARY KEY, job int, note text);
         INSERT INTO runs VALUES (10, 1, 'x'), (20, 2, 'y'), (30, 3, 'z'), (40, 3, 'w')",
    )
    .unwrap();
    let sql = "SELECT j.id, r.id, r.note FROM jobs j JOIN runs r ON r.job = j.id \
               WHERE j.state = 'new' ORDER BY r.id LIMIT 2 FOR UPDATE";
    let plan = run(&mut a, &format!("EXPLAIN {sql}")).unwrap();
    assert!(
        plan.iter().any(|l| l[0].contains("LockRows on jobs, runs")),
        "{plan:?}"
    );
    run(&mut a, "BEGIN").unwrap();
    assert_eq!(
        run(&mut a, sql).unwrap(),
        vec![vec!["1", "10", "x"], vec!["2", "20", "y"]]
    );
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut b,
            "SELECT id FROM runs WHERE id >= 30 FOR UPDATE NOWAIT"
        )
        .unwrap(),
        vec![vec!["30"], vec!["40"]]
    );
    assert_eq!(
        run(&mut b, "SELECT id FROM jobs WHERE id = 3 FOR UPDATE NOWAIT").unwrap(),
        vec![vec!["3"]]
    );
    run(&mut b, "ROLLBACK").unwrap();
    run(&mut b, "BEGIN").unwrap();
    assert_eq!(
        run(
            &mut b,
            "SELECT id FROM runs WHERE id = 20 FOR UPDATE NOWAIT"
        )
        .unwrap_err(),
        "55P03"
    );
    run(&mut b, "ROLLBACK").unwrap();
    run(&mut a, "ROLLBACK").unwrap();
    // A waiting locker re-checks the join over the rows of each output row, as PostgreSQL's
    // EvalPlanQual: job 1 stops qualifying, and run 30 moved to job 2 no longer joins job 3
    // (it finds no new partner either), so runs 20 and 40 come out.
    run(&mut a, "BEGIN").unwrap();
    run(&mut a, "UPDATE jobs SET state = 'done' WHERE id = 1").unwrap();
    run(
        &mut a,
        "UPDATE runs SET note = 'moved', job = 2 WHERE id = 30",
    )
    .unwrap();
    let db2 = db.clone();
    let waiter = thread::spawn(move || {
        let mut b = db2.session();
        run(&mut b, "BEGIN").unwrap();
        let rows = run(
            &mut b,
            "SELECT j.id, r.id, r.note FROM jobs j JOIN runs r ON r.job = j.id \
             WHERE j.state = 'new' ORDER BY r.id LIMIT 2 FOR UPDATE",
        );
        run(&mut b, "COMMIT").unwrap();
        rows
    });
    thread::sleep(Duration::from_millis(200));
    run(&mut a, "COMMIT").unwrap();
    assert_eq!(
        waiter.join().unwrap().unwrap(),
        vec![vec!["2", "20", "y"], vec!["3", "40", "w"]]
    );
}
