//! `starrocks-emulator`: runs the emulator until SIGINT or SIGTERM.
//!
//! When every port is bound it prints one JSON line with the addresses, e.g.
//! `{"fe_http":"127.0.0.1:8030","be_http":["127.0.0.1:8040"],"query":"127.0.0.1:9030",…}`.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;

/// A StarRocks FE/BE emulator: Stream Load, Transaction Stream Load, MySQL protocol, SQL API.
#[derive(Debug, Parser)]
#[command(name = "starrocks-emulator", version)]
struct Args {
    /// FE HTTP port; repeat for more FEs (the first is the leader). 0 picks a free port.
    #[arg(long = "fe-http-port", default_value = "8030")]
    fe_http_ports: Vec<u16>,
    /// BE HTTP port; repeat for more BEs.
    #[arg(long = "be-http-port", default_value = "8040")]
    be_http_ports: Vec<u16>,
    /// MySQL protocol port.
    #[arg(long, default_value_t = 9030)]
    query_port: u16,
    /// Admin endpoint port (faults, journal); 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    admin_port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// A SQL file (DDL) to run at start.
    #[arg(long)]
    init_sql: Option<PathBuf>,
    /// A user as NAME:PASSWORD; repeatable. Without any, `root` with an empty password.
    #[arg(long = "user")]
    users: Vec<String>,
    /// Milliseconds from the leader FE going down to a follower leading.
    #[arg(long, default_value_t = 5000)]
    election_delay_ms: u64,
    /// The StarRocks version to claim, MAJOR.MINOR[.PATCH][-build]; below 4.0 multi-table
    /// transactions (`transaction_type: multi`) are answered as a 3.x cluster answers them.
    #[arg(long, default_value = starrocks_emulator::version::DEFAULT_RELEASE)]
    starrocks_version: String,
    /// Benchmarks only: loads into duplicate-key tables are checked for framing (well-formed
    /// JSON, object rows, CSV field counts) and counted, not converted or stored. SELECT
    /// COUNT(*) counts them; any other query of such a table is refused.
    #[arg(long)]
    count_only: bool,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Err(message) = run(args) {
        eprintln!("starrocks-emulator: {message}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut users = Vec::new();
    for u in &args.users {
        let (name, password) = u
            .split_once(':')
            .ok_or_else(|| format!("--user {u}: expected NAME:PASSWORD"))?;
        users.push((name.to_string(), password.to_string()));
    }
    if users.is_empty() {
        users.push(("root".to_string(), String::new()));
    }
    let init_sql = match &args.init_sql {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--init-sql {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let config = starrocks_emulator::Config {
        host: args.host,
        fe_http_ports: args.fe_http_ports,
        be_http_ports: args.be_http_ports,
        query_port: args.query_port,
        admin_port: args.admin_port,
        users,
        init_sql,
        election_delay: std::time::Duration::from_millis(args.election_delay_ms),
        starrocks_version: args.starrocks_version,
        count_only: args.count_only,
        ..starrocks_emulator::Config::default()
    };
    let emulator = starrocks_emulator::start(config).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", emulator.ready_line()).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    wait_for_signal()?;
    drop(emulator);
    Ok(())
}

fn wait_for_signal() -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok(())
    })
}
