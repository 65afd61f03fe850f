//! Anchor's server: opens a data directory and serves PostgreSQL clients on it.
//!
//! [`start`] is what `anchor start` runs; tests call it too, on a port of their own.

use std::net::SocketAddr;
use std::path::Path;

use anchor_query::Cluster;
use anchor_wire::WireConfig;
use tokio::net::TcpListener;

/// The version `anchor version` prints.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Opens (or creates) the cluster in `data_dir` and serves it on `listen` until the
/// listener fails. Prints the address it listens on once it does.
pub async fn start(data_dir: &Path, listen: SocketAddr) -> Result<(), String> {
    let cluster = Cluster::open(data_dir)
        .map_err(|e| format!("cannot open the data directory {}: {e}", data_dir.display()))?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "anchor {VERSION}: serving {} on {local}",
        data_dir.display()
    );
    anchor_wire::serve(listener, cluster, WireConfig::default())
        .await
        .map_err(|e| format!("listener failed: {e}"))
}
