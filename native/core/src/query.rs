//! SQL over the FE's MySQL protocol (`starrocks.query.url`): the one other place, besides
//! `stream_load::client`, where the core touches the network. Used only under
//! `sink.semantic=exactly-once`, for what Stream Load cannot do: create the progress table,
//! read the progress rows back, forget them when the connector's offsets are reset, and learn
//! the cluster's version.
//!
//! Each call opens one connection (to the first FE that answers, in the configured order),
//! runs one statement and closes it: these are rare calls (a task's start, a rebalance), not
//! a pool's worth. A server's refusal (no privilege, bad SQL) is permanent; not reaching any FE
//! is transient.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row};

use crate::config::{keys, Password, SinkConfig};
use crate::error::{Error, Result};

/// How long one statement may take, connection included.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs SQL on the FEs of one configuration.
#[derive(Clone)]
pub struct QueryClient {
    addrs: Vec<String>,
    username: String,
    password: Password,
    connect_timeout: Duration,
}

impl std::fmt::Debug for QueryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryClient")
            .field("addrs", &self.addrs)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A server's refusal of a statement: its MySQL error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: u16,
    pub message: String,
}

impl QueryClient {
    pub fn new(config: &SinkConfig) -> QueryClient {
        QueryClient {
            addrs: config.query_addrs.clone(),
            username: config.username.clone(),
            password: config.password.clone(),
            connect_timeout: config.connect_timeout.max(Duration::from_secs(1)),
        }
    }

    /// Runs a statement that returns no rows.
    pub async fn execute(&self, sql: &str) -> Result<()> {
        self.run(sql, |mut conn, sql| async move {
            let out = conn.query_drop(sql).await;
            let _ = conn.disconnect().await;
            out.map(|()| Vec::new())
        })
        .await
        .map(|_| ())
    }

    /// Runs a query and returns its rows.
    pub async fn rows(&self, sql: &str) -> Result<Vec<Row>> {
        self.run(sql, |mut conn, sql| async move {
            let out = conn.query::<Row, _>(sql).await;
            let _ = conn.disconnect().await;
            out
        })
        .await
    }

    /// The first column of the first row of a query, as text.
    pub async fn value(&self, sql: &str) -> Result<Option<String>> {
        let rows = self.rows(sql).await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| row.get_opt::<String, usize>(0).and_then(|v| v.ok())))
    }

    /// Connects to the FEs in turn until one takes the statement.
    async fn run<F, Fut>(&self, sql: &str, work: F) -> Result<Vec<Row>>
    where
        F: Fn(Conn, String) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<Vec<Row>, mysql_async::Error>>,
    {
        let mut failures = Vec::new();
        for addr in &self.addrs {
            let (host, port) = split(addr);
            let opts = OptsBuilder::default()
                .ip_or_hostname(host)
                .tcp_port(port)
                .user(Some(self.username.clone()))
                .pass(Some(self.password.expose().to_owned()))
                .prefer_socket(false);
            let conn = match tokio::time::timeout(self.connect_timeout, Conn::new(opts)).await {
                Ok(Ok(conn)) => conn,
                Ok(Err(mysql_async::Error::Server(e))) => {
                    return Err(refused(addr, sql, e.code, &e.message))
                }
                Ok(Err(e)) => {
                    failures.push(format!("{addr}: {e}"));
                    continue;
                }
                Err(_) => {
                    failures.push(format!(
                        "{addr}: no connection within {} ms",
                        self.connect_timeout.as_millis()
                    ));
                    continue;
                }
            };
            match tokio::time::timeout(STATEMENT_TIMEOUT, work(conn, sql.to_owned())).await {
                Ok(Ok(rows)) => return Ok(rows),
                Ok(Err(mysql_async::Error::Server(e))) => {
                    return Err(refused(addr, sql, e.code, &e.message))
                }
                Ok(Err(e)) => failures.push(format!("{addr}: {e}")),
                Err(_) => failures.push(format!(
                    "{addr}: no answer within {} s",
                    STATEMENT_TIMEOUT.as_secs()
                )),
            }
        }
        Err(Error::retriable(format!(
            "no FE took the statement over the MySQL protocol ({}: {}): {}",
            keys::QUERY_URL,
            self.addrs.join(","),
            failures.join("; ")
        )))
    }
}

fn refused(addr: &str, sql: &str, code: u16, message: &str) -> Error {
    let statement = sql.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    Error::fatal(format!(
        "StarRocks at {addr} refused `{statement} …` (error {code}): {message}"
    ))
}

/// `host:port` as the configuration wrote it (ports were checked there).
fn split(addr: &str) -> (String, u16) {
    match addr.rsplit_once(':') {
        Some((host, port)) => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port.parse().unwrap_or(crate::config::DEFAULT_QUERY_PORT),
        ),
        None => (addr.to_owned(), crate::config::DEFAULT_QUERY_PORT),
    }
}

/// Whether a `current_version()` answer (`4.0.2-abc1234`, `3.3.5`) is at least `major.minor`.
pub fn version_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert!(version_at_least("4.0.2-3d2a1c9", 4, 0));
        assert!(version_at_least("4.1.0", 4, 0));
        assert!(version_at_least("10.0", 4, 0));
        assert!(!version_at_least("3.5.9-ee", 4, 0));
        assert!(!version_at_least("", 4, 0));
    }

    #[test]
    fn addresses_split_into_host_and_port() {
        assert_eq!(split("fe1:9030"), ("fe1".to_owned(), 9030));
        assert_eq!(split("[::1]:9031"), ("::1".to_owned(), 9031));
    }
}
