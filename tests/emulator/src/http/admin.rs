//! The admin endpoint, on its own port and apart from the StarRocks API: arm and clear
//! faults, read the journal, take FEs down and up.
//!
//! - `POST /faults` with an [`ArmedFault`] JSON body, e.g.
//!   `{"kind":"fail_load","times":2,"http_status":500,"message":"boom"}`
//! - `GET /faults`, `DELETE /faults`
//! - `GET /journal`, `DELETE /journal`
//! - `POST /fe/{i}/down`, `POST /fe/{i}/up`
//! - `GET /leader` (`{"leader":0}`, or `null` while none is elected)
//! - `POST /election` `{"delay":3000}`: how long elections take from now on, in milliseconds
//! - `GET /health`

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde::Deserialize;

use super::{json, read_body, text, Outcome};
use crate::faults::ArmedFault;
use crate::state::Cluster;

/// The body of `POST /election`.
#[derive(Deserialize)]
struct Election {
    /// Milliseconds.
    delay: u64,
}

pub async fn handle(cluster: Arc<Cluster>, parts: Parts, body: Incoming) -> Outcome {
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
            let up = *state == "up";
            match index.parse::<usize>() {
                Ok(i) if cluster.frontends.set_up(i, up) => ok(),
                _ => Outcome::reply(text(StatusCode::NOT_FOUND, "no such FE\n"), "", 0),
            }
        }
        (&Method::GET, ["leader"]) => {
            let leader = serde_json::json!({ "leader": cluster.frontends.leader() });
            Outcome::reply(json(StatusCode::OK, &leader, false), "", 0)
        }
        (&Method::POST, ["election"]) => {
            let Ok(bytes) = read_body(body, 1 << 20).await else {
                return Outcome::dropped("unreadable body", 0);
            };
            match serde_json::from_slice::<Election>(&bytes) {
                Ok(e) => {
                    cluster
                        .frontends
                        .set_election_delay(std::time::Duration::from_millis(e.delay));
                    ok()
                }
                Err(e) => Outcome::reply(
                    text(StatusCode::BAD_REQUEST, format!("bad election: {e}\n")),
                    "",
                    0,
                ),
            }
        }
        _ => Outcome::reply(text(StatusCode::NOT_FOUND, "Not Found\n"), "", 0),
    }
}
