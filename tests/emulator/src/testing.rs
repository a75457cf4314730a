//! Helpers for the tests that drive the emulator — its own and the connector's — kept in one
//! place instead of copied per test crate.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::Emulator;

/// Polls `cond` every 20 ms until it holds; panics naming `what` after `deadline`. Tests wait
/// for a condition, never for a fixed time.
pub fn wait_until(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// Whether connecting to `addr` is refused at once (the port is closed), not merely slow.
pub fn refused(addr: SocketAddr) -> bool {
    matches!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// The rows of `db.table` as text, NULL as `NULL`, in the table's order.
pub fn rows(emu: &Emulator, db: &str, table: &str) -> Vec<Vec<String>> {
    emu.rows(db, table)
        .expect("the table exists")
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect()
        })
        .collect()
}
