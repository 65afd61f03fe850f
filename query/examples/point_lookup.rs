//! A point-lookup micro-benchmark: loads rows into an in-memory database, then times
//! `SELECT ... WHERE id = k` (through the primary key) and `UPDATE ... WHERE id = k`.
//!
//! `cargo run --release -p anchor-query --example point_lookup [rows] [lookups]`
//! (100000 rows and 10000 lookups by default).

use std::time::Instant;

use anchor_query::session::Database;

fn run(session: &mut anchor_query::session::Session, sql: &str) -> usize {
    let mut n = 0;
    for result in session.execute(sql) {
        match result {
            Ok(r) => n += r.rows.len(),
            Err(e) => panic!("{sql}: {e:?}"),
        }
    }
    n
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let rows = args.next().unwrap_or(100_000);
    let lookups = args.next().unwrap_or(10_000);
    let db = Database::memory().expect("a database");
    let mut s = db.session();
    run(
        &mut s,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, balance INT, filler TEXT)",
    );
    let start = Instant::now();
    let mut next = 0;
    while next < rows {
        let end = (next + 1000).min(rows);
        let values: Vec<String> = (next..end)
            .map(|i| format!("({i}, {}, 'row {i}')", i % 1000))
            .collect();
        run(
            &mut s,
            &format!("INSERT INTO t VALUES {}", values.join(", ")),
        );
        next = end;
    }
    println!("loaded {rows} rows in {:?}", start.elapsed());
    // A fixed pseudo-random sequence of keys.
    let key = |i: u64| i.wrapping_mul(2_654_435_761) % rows;
    let start = Instant::now();
    let mut found = 0;
    for i in 0..lookups {
        found += run(
            &mut s,
            &format!("SELECT balance FROM t WHERE id = {}", key(i)),
        );
    }
    let select = start.elapsed();
    assert_eq!(found as u64, lookups, "every key is found once");
    println!(
        "{lookups} point SELECTs: {select:?} ({:.1} µs each)",
        select.as_secs_f64() * 1e6 / lookups as f64
    );
    let start = Instant::now();
    for i in 0..lookups {
        run(
            &mut s,
            &format!("UPDATE t SET balance = balance + 1 WHERE id = {}", key(i)),
        );
    }
    let update = start.elapsed();
    println!(
        "{lookups} point UPDATEs: {update:?} ({:.1} µs each)",
        update.as_secs_f64() * 1e6 / lookups as f64
    );
}
