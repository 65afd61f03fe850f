//! A plain-format `pg_dump` of a PostgreSQL 15 database (schemas, an enum, serial and identity
//! columns, sequences, a view, checks, unique and foreign keys, indexes, the common types)
//! restores into Anchor with `psql -f`, stopping at the first error, and reads back the same
//! data: once with the rows as INSERTs (`pg_dump --inserts`) and once as COPY, pg_dump's
//! default. The dumps in `tests/data/` were made by PostgreSQL 15.18's `pg_dump`.

use tokio_postgres::NoTls;

mod common;

use common::server;

/// `psql -f` of the dump, as a restore is done; panics with psql's output on an error.
async fn restore(port: u16, dump: &'static str) {
    let path = format!("{}/tests/data/{dump}", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args([
                "-p",
                &port.to_string(),
                "-U",
                "anchor",
                "-d",
                "anchor",
                "-f",
                &path,
            ])
            .output()
    })
    .await
    .expect("task")
    .expect("psql (PostgreSQL 15's client) is on every development and CI machine");
    assert!(
        output.status.success(),
        "restore of {dump} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn check(port: u16) {
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=anchor dbname=anchor"),
        NoTls,
    )
    .await
    .expect("connect");
    tokio::spawn(connection);
    let rows = |sql: &'static str| {
        let client = &client;
        async move {
            let messages = client
                .simple_query(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                        (0..r.len())
                            .map(|i| r.get(i).unwrap_or("NULL").to_string())
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        rows("SELECT id, name, email, balance, tags, meta FROM customers ORDER BY id").await,
        [
            ["1", "ann", "ann@x.org", "10.50", "{a,b}", "{\"k\": 1}"],
            ["2", "bob", "NULL", "0.00", "NULL", "NULL"],
            ["3", "cy's", "cy@x.org", "100.00", "{}", "[1, 2]"],
        ]
    );
    assert_eq!(
        rows("SELECT * FROM big_orders ORDER BY id").await,
        [["1", "ann", "150.00"], ["3", "cy's", "999.99"]]
    );
    assert_eq!(
        rows("SELECT st, note FROM orders WHERE st > 'new' ORDER BY st").await,
        [["active", "first"], ["closed", "multi\nline"]]
    );
    assert_eq!(
        rows("SELECT payload, ts, flag, u, d, r, sm, b, iv, t, ch FROM archive.old_orders").await,
        [[
            "{\"a\": [1, 2]}",
            "2020-01-01 10:00:00",
            "t",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "1.5",
            "2.25",
            "7",
            "\\xdeadbeef",
            "1 day 02:00:00",
            "12:34:56",
            "ab ",
        ]]
    );
    // The sequences carry on where the source left them.
    rows("INSERT INTO customers (name) VALUES ('dee')").await;
    assert_eq!(rows("SELECT max(id) FROM customers").await, [["4"]]);
    rows("INSERT INTO orders (customer_id, total) VALUES (4, 1)").await;
    assert_eq!(rows("SELECT max(id) FROM orders").await, [["4"]]);
    assert_eq!(rows("SELECT nextval('invoice_no')").await, [["1005"]]);
    // The constraints hold.
    for bad in [
        "INSERT INTO orders (customer_id) VALUES (99)",
        "INSERT INTO customers (name, email) VALUES ('x', 'ann@x.org')",
        "INSERT INTO customers (name, balance) VALUES ('x', -1)",
        "INSERT INTO orders (id, customer_id) VALUES (10, 1)",
    ] {
        assert!(client.simple_query(bad).await.is_err(), "{bad} should fail");
    }
    rows("DELETE FROM customers WHERE id = 1").await;
    assert_eq!(rows("SELECT count(*) FROM orders").await, [["2"]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_with_inserts_restores_with_psql() {
    let port = server().await;
    restore(port, "pg_dump_inserts.sql").await;
    check(port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_with_copy_restores_with_psql() {
    let port = server().await;
    restore(port, "pg_dump_copy.sql").await;
    check(port).await;
}
