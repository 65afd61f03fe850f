//! Every `.slt` suite over the PostgreSQL protocol: an in-process Anchor server behind
//! `anchor-wire`, each file in a fresh database (`CREATE DATABASE`), through the same
//! tokio-postgres backend that runs the suites against PostgreSQL. The results must be the
//! in-process ones, so the protocol layer adds and loses nothing.

use std::path::Path;
use std::sync::Arc;

use anchor_query::Cluster;
use anchor_sqllogictest::pg::TempDatabase;
use anchor_sqllogictest::{RunOptions, run_file};

/// Starts a server on a free port in a thread of its own; returns the port.
fn start_server() -> u16 {
    let cluster: Arc<Cluster> = Cluster::memory().expect("in-memory cluster");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("address").port())
                .expect("send port");
            let _ = anchor_wire::serve(listener, cluster, anchor_wire::WireConfig::default()).await;
        });
    });
    rx.recv().expect("server port")
}

#[test]
fn every_suite_passes_over_the_wire() {
    let port = start_server();
    let conninfo = format!("host=127.0.0.1 port={port} user=anchor dbname=anchor");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("slt");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("slt directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut passed = 0;
    for file in &files {
        let db = TempDatabase::create(&conninfo).expect("fresh database");
        match run_file(file, || db.connect(), &RunOptions::default()) {
            Ok(report) => {
                passed += report.passed;
                for f in report.failures {
                    failures.push(format!("{}: {f:?}", file.display()));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", file.display())),
        }
    }
    assert!(failures.is_empty(), "over the wire: {failures:#?}");
    assert!(passed > 0);
}
