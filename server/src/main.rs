//! The `anchor` binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Anchor: a PostgreSQL-compatible SQL database.
#[derive(Parser)]
#[command(name = "anchor", version = anchor_server::VERSION)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts a server on a data directory (created if missing).
    Start {
        /// The data directory.
        #[arg(long, default_value = "./anchor-data")]
        data_dir: PathBuf,
        /// The address to accept PostgreSQL clients on.
        #[arg(long, default_value = "127.0.0.1:5433")]
        listen: SocketAddr,
    },
    /// Prints the version.
    Version,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Version => {
            println!("anchor {}", anchor_server::VERSION);
            ExitCode::SUCCESS
        }
        Command::Start { data_dir, listen } => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("anchor: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(anchor_server::start(&data_dir, listen)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("anchor: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
