//! What the wire tests share: an in-process server.

use std::sync::Arc;

use anchor_query::Cluster;

/// Starts a server over a fresh in-memory cluster on a free port of this runtime; returns
/// the port.
pub async fn server() -> u16 {
    let cluster: Arc<Cluster> = Cluster::memory().expect("in-memory cluster");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(anchor_wire::serve(
        listener,
        cluster,
        anchor_wire::WireConfig::default(),
    ));
    port
}
