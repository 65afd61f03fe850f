//! The `anchor` binary as a process: `version`, `--help`, and `start` serving a data
//! directory that keeps its data across a restart.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const ANCHOR: &str = env!("CARGO_BIN_EXE_anchor");

/// A running `anchor start`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data_dir: &std::path::Path) -> Server {
        let mut child = Command::new(ANCHOR)
            .args(["start", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("anchor start");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the serving line");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn version_and_help() {
    let out = Command::new(ANCHOR).arg("version").output().expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("anchor {}", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(ANCHOR).arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("start") && help.contains("version"), "{help}");
    let out = Command::new(ANCHOR)
        .args(["start", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--data-dir") && help.contains("--listen"),
        "{help}"
    );
}

async fn client(port: u16, db: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=anchor dbname={db}"),
        tokio_postgres::NoTls,
    )
    .await
    .expect("connect");
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_serves_a_data_directory_across_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let server = Server::start(dir.path());
        let c = client(server.port, "anchor").await;
        c.batch_execute("create table kept (id int primary key, note text); insert into kept values (1, 'one'), (2, 'two')")
            .await
            .expect("write");
        let p = client(server.port, "postgres").await;
        let version: String = p
            .query_one("show server_version", &[])
            .await
            .expect("show")
            .get(0);
        assert_eq!(version, "15.18");
    }
    let server = Server::start(dir.path());
    let c = client(server.port, "anchor").await;
    let rows = c
        .query("select note from kept order by id", &[])
        .await
        .expect("read after restart");
    let notes: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(notes, ["one", "two"]);
}
