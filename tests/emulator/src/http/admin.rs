//! The admin endpoint, on its own port and apart from the StarRocks API: arm and clear
//! faults, read the journal, take FEs down and up.
//!
//! - `POST /faults` with an [`ArmedFault`] JSON body, e.g.
//!   `{"kind":"fail_load","times":2,"http_status":500,"message":"boom"}`
//! - `GET /faults`, `DELETE /faults`
//! - `GET /journal`, `DELETE /journal`
//! - `POST /fe/{i}/down`, `POST /fe/{i}/up`
//! - `GET /health`

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use tokio::sync::watch;

use super::{json, read_body, text, Outcome};
use crate::faults::ArmedFault;
use crate::state::Cluster;

/// Switches that take FEs down and up, indexed like `Cluster::fes`.
pub type FeSwitches = Arc<Vec<watch::Sender<bool>>>;

pub async fn handle(
    cluster: Arc<Cluster>,
    switches: FeSwitches,
    parts: Parts,
    body: Incoming,
) -> Outcome {
    let path = parts.uri.path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ok = || Outcome::reply(text(StatusCode::OK, "OK\n"), "", 0);
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, ["health"]) => ok(),
        (&Method::POST, ["faults"]) => {
            let Ok(bytes) = read_body(body, 1 << 20).await else {
                return Outcome::dropped("unreadable body", 0);
            };
            match serde_json::from_slice::<ArmedFault>(&bytes) {
                Ok(fault) => {
                    cluster.faults.arm(fault);
                    ok()
                }
                Err(e) => Outcome::reply(
                    text(StatusCode::BAD_REQUEST, format!("bad fault: {e}\n")),
                    "",
                    0,
                ),
            }
        }
        (&Method::GET, ["faults"]) => {
            let armed = serde_json::to_value(cluster.faults.armed()).unwrap_or_default();
            Outcome::reply(json(StatusCode::OK, &armed, true), "", 0)
        }
        (&Method::DELETE, ["faults"]) => {
            cluster.faults.clear();
            ok()
        }
        (&Method::GET, ["journal"]) => {
            let journal = serde_json::to_value(cluster.faults.journal()).unwrap_or_default();
            Outcome::reply(json(StatusCode::OK, &journal, true), "", 0)
        }
        (&Method::DELETE, ["journal"]) => {
            cluster.faults.clear_journal();
            ok()
        }
        (&Method::POST, ["fe", index, state @ ("down" | "up")]) => {
            match index.parse::<usize>().ok().and_then(|i| switches.get(i)) {
                Some(switch) => {
                    switch.send_replace(*state == "up");
                    ok()
                }
                None => Outcome::reply(text(StatusCode::NOT_FOUND, "no such FE\n"), "", 0),
            }
        }
        _ => Outcome::reply(text(StatusCode::NOT_FOUND, "Not Found\n"), "", 0),
    }
}
