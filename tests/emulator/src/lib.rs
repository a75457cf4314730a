//! A StarRocks emulator for tests and demos.
//!
//! It speaks the StarRocks interfaces a loader and its tests touch — FE and BE HTTP (plain
//! Stream Load with the FE's 307, Transaction Stream Load, label state, table schema, health,
//! rejected-row logs), the MySQL protocol and the HTTP SQL API — over typed in-memory tables,
//! and behaves as `shared/reference/stream-load-protocol.md` documents StarRocks doing: same
//! statuses, same messages, same HTTP codes. Faults are scripted through an admin endpoint
//! kept apart from the StarRocks API, or through [`Emulator`] in-process.
//!
//! ```no_run
//! let emu = starrocks_emulator::start(starrocks_emulator::Config::ephemeral()).unwrap();
//! emu.execute_sql("CREATE DATABASE example_db").unwrap();
//! println!("FE at {}", emu.fe_http());
//! ```
//!
//! # Layout
//! - `types`, `catalog`: column types, values, databases and tables (rows change only when
//!   a load publishes).
//! - `auth`: users and Basic credentials.
//! - `load`: Stream Load headers and bodies to row operations.
//! - `leader`: which FE is up and which leads; the election after the leader goes down.
//! - `state`: nodes, transactions by label (`state::multi`: multi-table transactions),
//!   rejected-row logs.
//! - `version`: the StarRocks version claimed, and what it decides.
//! - `faults`: scripted faults and the request journal.
//! - `http`: the FE, BE and admin servers (`fe`, `meta`, `be`, `txn`, `multi`, `admin`).
//! - `sql`: the SQL dialect, the MySQL protocol server and the HTTP SQL API.
//! - `testing`: helpers for the tests that drive the emulator (waiting, closed ports, rows).

pub mod auth;
pub mod catalog;
pub mod faults;
pub mod http;
pub mod leader;
pub mod load;
pub mod sql;
pub mod state;
pub mod testing;
pub mod types;
pub mod version;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::Users;
use crate::catalog::Catalog;
use crate::faults::{ArmedFault, Fault, JournalEntry};
use crate::http::Node;
use crate::sql::exec::{QueryOutput, Session, SqlError};
use crate::state::{BeLoads, Cluster};
use crate::version::Version;

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    /// One entry per FE; the first is the leader. Port 0 picks a free port.
    pub fe_http_ports: Vec<u16>,
    /// One entry per BE.
    pub be_http_ports: Vec<u16>,
    pub query_port: u16,
    pub admin_port: u16,
    /// (user, password) pairs.
    pub users: Vec<(String, String)>,
    /// SQL run at start (DDL), statements separated by `;`.
    pub init_sql: Option<String>,
    /// `streaming_load_max_mb`, in bytes.
    pub max_body_bytes: u64,
    /// `streaming_load_max_batch_size_mb` for JSON, in bytes.
    pub max_json_bytes: u64,
    /// From the leader FE going down to a follower leading.
    pub election_delay: Duration,
    /// The StarRocks version to claim, `MAJOR.MINOR[.PATCH][-build]` (default
    /// [`version::DEFAULT_RELEASE`]). `current_version()` reports it, and below 4.0
    /// `transaction_type: multi` is answered as a 3.x cluster answers it.
    pub starrocks_version: String,
    /// Benchmarks only: loads into duplicate-key tables are checked for framing and counted,
    /// not converted or stored (`load::count_body`); `SELECT COUNT(*)` counts them, any other
    /// query of such a table is refused.
    pub count_only: bool,
}

impl Default for Config {
    /// StarRocks' default ports (8030, 8040, 9030), admin on a free port, user `root` with an
    /// empty password.
    fn default() -> Config {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            fe_http_ports: vec![8030],
            be_http_ports: vec![8040],
            query_port: 9030,
            admin_port: 0,
            users: vec![("root".to_string(), String::new())],
            init_sql: None,
            max_body_bytes: 10_240 << 20,
            max_json_bytes: load::MAX_JSON_BODY_BYTES,
            election_delay: leader::DEFAULT_ELECTION_DELAY,
            starrocks_version: version::DEFAULT_RELEASE.to_string(),
            count_only: false,
        }
    }
}

impl Config {
    /// Every port picked freely on 127.0.0.1: what tests use.
    pub fn ephemeral() -> Config {
        Config {
            fe_http_ports: vec![0],
            be_http_ports: vec![0],
            query_port: 0,
            ..Config::default()
        }
    }

    /// `n` FEs (n ≥ 1), each on a free port.
    pub fn with_fes(mut self, n: usize) -> Config {
        self.fe_http_ports = vec![0; n.max(1)];
        self
    }

    /// `n` BEs (n ≥ 1), each on a free port.
    pub fn with_bes(mut self, n: usize) -> Config {
        self.be_http_ports = vec![0; n.max(1)];
        self
    }

    /// How long elections take after the leader FE goes down.
    pub fn with_election_delay(mut self, delay: Duration) -> Config {
        self.election_delay = delay;
        self
    }

    /// The StarRocks version to claim (`4.0.2`, `3.5.4-9ab1c2d`, …).
    pub fn with_starrocks_version(mut self, version: &str) -> Config {
        self.starrocks_version = version.to_string();
        self
    }

    /// Loads into duplicate-key tables are counted, not stored (see [`Config::count_only`]).
    pub fn with_count_only(mut self) -> Config {
        self.count_only = true;
        self
    }

    pub fn with_user(mut self, user: &str, password: &str) -> Config {
        self.users.push((user.to_string(), password.to_string()));
        self
    }
}

/// A running emulator. Dropping it shuts every server down.
pub struct Emulator {
    cluster: Arc<Cluster>,
    query: SocketAddr,
    admin: SocketAddr,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Starts the emulator on its own runtime; returns once every port is bound.
pub fn start(config: Config) -> std::io::Result<Emulator> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("starrocks-emulator")
        .enable_all()
        .build()?;
    let mut emulator = runtime.block_on(start_on(config))?;
    emulator.runtime = Some(runtime);
    Ok(emulator)
}

async fn bind(host: IpAddr, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::new(host, port)).await
}

async fn start_on(config: Config) -> std::io::Result<Emulator> {
    let version = Version::parse(&config.starrocks_version)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut fe_listeners = Vec::new();
    for &port in &config.fe_http_ports {
        fe_listeners.push(bind(config.host, port).await?);
    }
    let mut be_listeners = Vec::new();
    for &port in &config.be_http_ports {
        be_listeners.push(bind(config.host, port).await?);
    }
    let query_listener = bind(config.host, config.query_port).await?;
    let admin_listener = bind(config.host, config.admin_port).await?;
    // A port that was free a moment ago and now has nothing behind it.
    let unreachable = bind(config.host, 0).await?.local_addr()?;

    let fes: Vec<SocketAddr> = fe_listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<_, _>>()?;
    let bes: Vec<SocketAddr> = be_listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<_, _>>()?;
    let query = query_listener.local_addr()?;
    let admin = admin_listener.local_addr()?;

    let catalog = Catalog::new();
    if let Some(sql) = &config.init_sql {
        run_script(&catalog, sql).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("init SQL: {e}"))
        })?;
    }
    let users = Users::new(config.users.clone());
    let loads = BeLoads {
        max_body_bytes: config.max_body_bytes,
        max_json_bytes: config.max_json_bytes,
        count_only: config.count_only,
    };
    let switches: Vec<watch::Sender<bool>> = fes.iter().map(|_| watch::channel(true).0).collect();
    let up_receivers: Vec<watch::Receiver<bool>> = switches.iter().map(|s| s.subscribe()).collect();
    let frontends = Arc::new(leader::Frontends::new(
        fes.clone(),
        switches,
        config.election_delay,
        tokio::runtime::Handle::current(),
    ));
    let cluster = Cluster::new(
        catalog.clone(),
        users.clone(),
        loads,
        frontends,
        bes.clone(),
        unreachable,
        version.clone(),
    );
    let (shutdown, shutdown_rx) = watch::channel(false);

    for ((i, listener), up_rx) in fe_listeners.into_iter().enumerate().zip(up_receivers) {
        let handler = http::handler(move |c, p, b, a| http::fe::handle(c, i, p, b, a));
        tokio::spawn(http::run_node(
            Arc::clone(&cluster),
            Node::Fe(i),
            Some(listener),
            fes[i],
            handler,
            up_rx,
            shutdown_rx.clone(),
        ));
    }
    for (i, listener) in be_listeners.into_iter().enumerate() {
        let (_up, up_rx) = watch::channel(true);
        let handler = http::handler(move |c, p, b, a| http::be::handle(c, i, p, b, a));
        tokio::spawn(http::run_node(
            Arc::clone(&cluster),
            Node::Be(i),
            Some(listener),
            bes[i],
            handler,
            up_rx,
            shutdown_rx.clone(),
        ));
        // Keep the sender alive for the node's lifetime: BEs never go down.
        std::mem::forget(_up);
    }
    {
        let handler = http::handler(move |c, p, b, _a| http::admin::handle(c, p, b));
        let (_up, up_rx) = watch::channel(true);
        tokio::spawn(http::run_node(
            Arc::clone(&cluster),
            Node::Admin,
            Some(admin_listener),
            admin,
            handler,
            up_rx,
            shutdown_rx.clone(),
        ));
        std::mem::forget(_up);
    }
    tokio::spawn(sql::mysql::serve_as(
        query_listener,
        catalog,
        users,
        version,
        shutdown_rx.clone(),
    ));
    tokio::spawn(expire_transactions(Arc::clone(&cluster), shutdown_rx));

    Ok(Emulator {
        cluster,
        query,
        admin,
        shutdown,
        runtime: None,
    })
}

/// Aborts transactions past their timeouts, a few times a second.
async fn expire_transactions(cluster: Arc<Cluster>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = tick.tick() => cluster.txns().expire(Instant::now()),
            _ = shutdown.changed() => return,
        }
    }
}

/// Runs `;`-separated statements (quotes and comments respected) against the catalog.
pub fn run_script(catalog: &Catalog, script: &str) -> Result<(), SqlError> {
    sql::exec::execute_script(catalog, &mut Session::default(), script).map(|_| ())
}

impl Emulator {
    /// The first FE's HTTP address (the leader, unless it was taken down).
    pub fn fe_http(&self) -> SocketAddr {
        self.cluster.frontends.addrs()[0]
    }

    pub fn fe_http_all(&self) -> &[SocketAddr] {
        self.cluster.frontends.addrs()
    }

    /// The leader FE, if one is elected.
    pub fn leader(&self) -> Option<usize> {
        self.cluster.frontends.leader()
    }

    /// Sets how long elections take from now on.
    pub fn set_election_delay(&self, delay: Duration) {
        self.cluster.frontends.set_election_delay(delay);
    }

    pub fn be_http(&self) -> &[SocketAddr] {
        &self.cluster.bes
    }

    pub fn query_addr(&self) -> SocketAddr {
        self.query
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    pub fn catalog(&self) -> &Catalog {
        &self.cluster.catalog
    }

    /// The one JSON line the binary prints when ready.
    pub fn ready_line(&self) -> String {
        serde_json::json!({
            "fe_http": self.fe_http().to_string(),
            "fe_http_all": self.fe_http_all().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "be_http": self.be_http().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "query": self.query.to_string(),
            "admin": self.admin.to_string(),
        })
        .to_string()
    }

    /// The StarRocks version the emulator claims.
    pub fn version(&self) -> &Version {
        &self.cluster.version
    }

    /// Runs one SQL statement as a fresh session would.
    pub fn execute_sql(&self, sql: &str) -> Result<QueryOutput, SqlError> {
        let mut session = Session::with_version(self.cluster.version.clone());
        sql::exec::execute(&self.cluster.catalog, &mut session, sql)
    }

    /// Runs a `;`-separated script.
    pub fn run_script(&self, script: &str) -> Result<(), SqlError> {
        run_script(&self.cluster.catalog, script)
    }

    /// The rendered rows of `SELECT * FROM db.table` (NULL as `None`).
    pub fn rows(&self, db: &str, table: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        self.cluster
            .catalog
            .with_table(db, table, |t| {
                if t.counted() > 0 {
                    return Err(format!(
                        "{db}.{table}: {} rows were counted, not stored (--count-only)",
                        t.counted()
                    ));
                }
                Ok(t.rows()
                    .iter()
                    .map(|r| r.iter().map(|v| v.render()).collect())
                    .collect())
            })
            .map_err(|e| e.0)?
    }

    /// Arms a fault for the next `times` matching requests (any table).
    pub fn inject(&self, fault: Fault, times: u32) {
        self.cluster.faults.arm(ArmedFault {
            fault,
            times,
            table: None,
        });
    }

    /// Arms a fault with full control (table filter).
    pub fn arm(&self, armed: ArmedFault) {
        self.cluster.faults.arm(armed);
    }

    pub fn clear_faults(&self) {
        self.cluster.faults.clear();
    }

    /// Every request so far, in arrival order.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.cluster.faults.journal()
    }

    pub fn clear_journal(&self) {
        self.cluster.faults.clear_journal();
    }

    /// The state `get_load_state` reports for a label.
    pub fn load_state(&self, db: &str, label: &str) -> &'static str {
        self.cluster.txns().label_state(db, label)
    }

    /// Takes FE `i` down: its port closes and open connections are cut. When it led, no FE
    /// leads until the election delay has passed.
    pub fn fe_down(&self, i: usize) {
        self.cluster.frontends.set_up(i, false);
    }

    /// Brings FE `i` back on the same address, as a follower if another FE leads.
    pub fn fe_up(&self, i: usize) {
        self.cluster.frontends.set_up(i, true);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
