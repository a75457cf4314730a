//! HTTP plumbing shared by the FE, BE and admin servers.
//!
//! Each node runs [`run_node`]: an accept loop that can be taken down (listener closed, open
//! connections cut) and brought back on the same address, which is how tests take an FE
//! away. Handlers return an [`Outcome`]; a missing response means "close the connection
//! without answering", and every request lands in the journal with what was done to it.

pub mod admin;
pub mod be;
pub mod fe;
pub mod meta;
pub mod multi;
pub mod txn;
pub mod txn_load;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::faults::JournalEntry;
use crate::state::Cluster;

pub type Resp = Response<Full<Bytes>>;

/// Which node a server is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Fe(usize),
    Be(usize),
    Admin,
}

impl Node {
    fn name(self) -> String {
        match self {
            Node::Fe(i) => format!("fe{i}"),
            Node::Be(i) => format!("be{i}"),
            Node::Admin => "admin".to_string(),
        }
    }
}

/// What a handler did with a request.
pub struct Outcome {
    /// `None`: close the connection without an answer.
    pub response: Option<Resp>,
    /// A short description for the journal.
    pub note: String,
    pub body_bytes: u64,
}

impl Outcome {
    pub fn reply(response: Resp, note: impl Into<String>, body_bytes: u64) -> Outcome {
        Outcome {
            response: Some(response),
            note: note.into(),
            body_bytes,
        }
    }

    pub fn dropped(note: impl Into<String>, body_bytes: u64) -> Outcome {
        Outcome {
            response: None,
            note: note.into(),
            body_bytes,
        }
    }
}

/// A request handler of one node.
pub type Handler = Arc<
    dyn Fn(
            Arc<Cluster>,
            Parts,
            Incoming,
            SocketAddr,
        ) -> Pin<Box<dyn Future<Output = Outcome> + Send>>
        + Send
        + Sync,
>;

/// Serves one node until `shutdown`; while `up` is false the node is down (not listening).
pub async fn run_node(
    cluster: Arc<Cluster>,
    node: Node,
    mut listener: Option<TcpListener>,
    addr: SocketAddr,
    handler: Handler,
    mut up: watch::Receiver<bool>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if !*up.borrow_and_update() {
            // Down before the node ever served (taken down right after start): close the
            // port now rather than leave a listener nobody accepts on.
            listener = None;
            tokio::select! {
                _ = up.changed() => continue,
                _ = shutdown.changed() => continue,
            }
        }
        let active = match listener.take() {
            Some(l) => l,
            None => match bind_again(addr).await {
                Some(l) => l,
                None => {
                    tracing::error!(%addr, "could not bind the node's address again");
                    return;
                }
            },
        };
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                accepted = active.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let cluster = Arc::clone(&cluster);
                    let handler = Arc::clone(&handler);
                    conns.spawn(serve_connection(cluster, node, handler, stream, peer));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                changed = up.changed() => {
                    if changed.is_err() || !*up.borrow() { break; }
                }
                _ = shutdown.changed() => { break; }
            }
        }
        // Dropping the listener closes the port; aborting the tasks cuts open connections.
        drop(active);
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }
}

async fn bind_again(addr: SocketAddr) -> Option<TcpListener> {
    for _ in 0..50 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return Some(l);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

async fn serve_connection(
    cluster: Arc<Cluster>,
    node: Node,
    handler: Handler,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let cluster = Arc::clone(&cluster);
        let handler = Arc::clone(&handler);
        async move {
            let (parts, body) = req.into_parts();
            let entry = journal_entry(node, &parts);
            let outcome = handler(Arc::clone(&cluster), parts, body, peer).await;
            let status = outcome
                .response
                .as_ref()
                .map(|r| r.status().as_u16().to_string());
            let note = match status {
                Some(s) if outcome.note.is_empty() => s,
                Some(s) => format!("{s} {}", outcome.note),
                None => format!("dropped {}", outcome.note),
            };
            if node != Node::Admin {
                cluster.faults.record(JournalEntry {
                    outcome: note,
                    body_bytes: outcome.body_bytes,
                    ..entry
                });
            }
            outcome.response.ok_or(DropConnection)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn journal_entry(node: Node, parts: &Parts) -> JournalEntry {
    let headers: BTreeMap<String, String> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            let value = if k == hyper::header::AUTHORIZATION {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (k.as_str().to_string(), value)
        })
        .collect();
    JournalEntry {
        seq: 0,
        node: node.name(),
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        label: headers.get("label").cloned(),
        headers,
        body_bytes: 0,
        outcome: String::new(),
    }
}

/// A header value as text.
pub fn header(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A query-string parameter.
pub fn query_param(parts: &Parts, name: &str) -> Option<String> {
    parts.uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| v.to_string())
    })
}

/// A JSON answer. The BE pretty-prints with four spaces; the FE's Gson output is compact.
pub fn json(status: StatusCode, value: &serde_json::Value, pretty: bool) -> Resp {
    let body = if pretty {
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        serde::Serialize::serialize(value, &mut ser).expect("a JSON value always serializes");
        out
    } else {
        serde_json::to_vec(value).expect("a JSON value always serializes")
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static(if pretty {
            "application/json"
        } else {
            "text/html"
        }),
    );
    resp
}

pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// A 307 to `location`; `close` adds `Connection: close` (the FE does for `_stream_load`).
pub fn redirect(location: &str, close: bool) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    let headers = resp.headers_mut();
    headers.insert(
        hyper::header::LOCATION,
        HeaderValue::from_str(location).expect("a URL is a valid header value"),
    );
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html"),
    );
    if close {
        headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// Marks a response `Connection: close`.
pub fn closing(mut resp: Resp) -> Resp {
    resp.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Why reading a body failed.
pub enum BodyError {
    /// The client closed or reset before the end.
    Transport(String),
    /// Larger than the limit.
    TooLarge,
}

/// The most [`read_body`] reserves up front from a declared `Content-Length`.
const PRESIZE_CAP: u64 = 256 << 20;

/// Reads a whole body, up to `limit` bytes.
pub async fn read_body(body: Incoming, limit: u64) -> Result<Vec<u8>, BodyError> {
    let mut body = body;
    // Sized once from Content-Length where it is known: a body of tens of MB grown by
    // doubling would be copied and faulted in again at every step. What a client declares
    // is reserved only up to PRESIZE_CAP; a larger body grows as it arrives, so a claim of
    // gigabytes costs nothing until the bytes come.
    let declared = hyper::body::Body::size_hint(&body)
        .lower()
        .min(limit + 1)
        .min(PRESIZE_CAP);
    let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Transport(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            out.extend_from_slice(&data);
            if out.len() as u64 > limit {
                return Err(BodyError::TooLarge);
            }
        }
    }
    Ok(out)
}

/// Reads the first frame of a body (for the close-mid-body fault) and returns its length.
pub async fn read_some(body: Incoming) -> u64 {
    let mut body = body;
    match body.frame().await {
        Some(Ok(frame)) => frame.into_data().map(|d| d.len() as u64).unwrap_or(0),
        _ => 0,
    }
}

/// Boxes a handler function into a [`Handler`].
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Arc<Cluster>, Parts, Incoming, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    Arc::new(move |c, p, b, a| Box::pin(f(c, p, b, a)))
}
