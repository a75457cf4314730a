//! The Stream Load client: the only code in the core that touches the network.
//!
//! Job: send one step of a transaction Stream Load (`/api/transaction/{begin,load,prepare,
//! commit,rollback}`) and report what came back as an [`Attempt`], without judging it (that is
//! [`super::response::classify`]'s job); look up a label's state; fetch a rejected-row log.
//!
//! Every step goes to an FE first (with failover across the configured FEs), which answers
//! from the request line and headers alone: a follower redirects (307) to the leader, the
//! leader redirects begin, load and prepare to the transaction's coordinator BE and answers
//! commit and rollback of a PREPARED transaction itself (`reference/stream-load-protocol.md`
//! §2.1, §6). The client follows the 307s itself, re-sending `Authorization`, because the BE
//! authenticates again; reqwest's own redirects are off, as they would drop it on the
//! cross-host hop. A load step's body goes only to redirect targets: the FE gets the same
//! headers, `Expect: 100-continue` and an EMPTY body.
//!
//! Invariants: the body leaves this process only in requests to a redirect target, never to a
//! configured FE address; an [`Attempt::Transport`] says `reached: false` only when the
//! request cannot have arrived at a node that acts on it, so a "not reached" can never hide a
//! step that took effect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, EXPECT, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde_json::json;

use super::response::{is_be_begin_answer, parse_load_state, Op};
use super::{prepare_body, Attempt, BodyKind, LoadRequest};
use crate::config::{keys, Compression, Format, Password, Semantic, SinkConfig};
use crate::error::{Error, Result};

/// Redirects followed per request (follower FE -> leader FE -> BE needs two).
const MAX_REDIRECTS: usize = 3;
/// StarRocks' default load `timeout` (FE `stream_load_default_timeout_second`).
const DEFAULT_LOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// Added to StarRocks' own deadline of a step for the whole request: StarRocks answers by it.
const REQUEST_TIMEOUT_MARGIN: Duration = Duration::from_secs(60);
/// How long an FE may take to answer from headers (a redirect, a label state). Healthy FEs
/// answer in milliseconds; a hung one is skipped for the next after this.
const FE_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the FE waits for a committed transaction to become visible before it answers
/// (StarRocks' default commit `timeout`, which the client does not change).
const FE_COMMIT_WAIT: Duration = Duration::from_secs(20);
/// How long a PREPARED transaction the sink left behind (a task that died between prepare and
/// commit) lives before StarRocks aborts it: StarRocks' SDK sends the same in auto-commit mode.
const PREPARED_TIMEOUT_SECS: &str = "180";
/// Idle pooled connections are dropped soon: the FE closes its connections anyway, and a
/// BE's keep-alive timeout is not known.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
const ERROR_LOG_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a rejected-row log goes into an error message (the SDK keeps 3000 chars).
const ERROR_LOG_MAX_LINES: usize = 20;
const ERROR_LOG_MAX_CHARS: usize = 3000;

/// Sends Stream Loads for one connector configuration. Cheap to share (`&self` everywhere);
/// connections are pooled, and driven by the tokio runtime that opened them — use one client
/// from one runtime (the core's own), not across runtimes.
pub struct StreamLoadClient {
    http: reqwest::Client,
    /// The configured FE base URLs.
    fes: Vec<Url>,
    /// The FE that answered last: the first one tried next time.
    current_fe: AtomicUsize,
    username: String,
    password: Password,
    /// `sink.properties.*` as headers, sent on every load step.
    load_headers: HeaderMap,
    /// `load_headers` for a probe (`reject`): every rejected row is filtered, none fails it.
    probe_headers: HeaderMap,
    /// `timeout` (and `warehouse`, when set) for the begin step.
    begin_headers: HeaderMap,
    compression: Option<Compression>,
    /// The load's `timeout` (StarRocks' deadline for one transaction to be prepared).
    load_timeout: Duration,
}

impl std::fmt::Debug for StreamLoadClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamLoadClient")
            .field("fes", &self.fes)
            .field("username", &self.username)
            .field("load_headers", &self.load_headers)
            .field("load_timeout", &self.load_timeout)
            .finish_non_exhaustive()
    }
}

impl StreamLoadClient {
    /// A client for `config`'s FEs, credentials and load properties.
    pub fn new(config: &SinkConfig) -> Result<StreamLoadClient> {
        let fes = config
            .http_urls
            .iter()
            .map(|u| {
                Url::parse(u).map_err(|e| {
                    Error::config(keys::HTTP_URL, format!("'{u}' is not a valid URL: {e}"))
                })
            })
            .collect::<Result<Vec<Url>>>()?;
        if fes.is_empty() {
            return Err(Error::config(keys::HTTP_URL, "no FE address is configured"));
        }
        let mut load_headers = HeaderMap::new();
        for (name, value) in header_pairs(config) {
            let key = format!("{}{name}", keys::SINK_PROPERTIES_PREFIX);
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
                Error::config(&key, format!("cannot be sent as an HTTP header: {e}"))
            })?;
            let header_value = HeaderValue::from_str(&value).map_err(|e| {
                Error::config(&key, format!("cannot be sent as an HTTP header: {e}"))
            })?;
            load_headers.insert(header_name, header_value);
        }
        if config.semantic == Semantic::ExactlyOnce {
            // A multi-table commit does not say which rows it filtered: every filtered row
            // fails the load instead, and the sink applies max_filter_ratio itself (`reject`).
            load_headers.insert(MAX_FILTER_RATIO, HeaderValue::from_static("0"));
        }
        let mut probe_headers = load_headers.clone();
        probe_headers.insert(MAX_FILTER_RATIO, HeaderValue::from_static("1"));
        let load_timeout = config
            .load_headers
            .get("timeout")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_LOAD_TIMEOUT);
        let mut begin_headers = HeaderMap::new();
        begin_headers.insert("timeout", HeaderValue::from(load_timeout.as_secs()));
        if let Some(warehouse) = load_headers.get("warehouse") {
            begin_headers.insert("warehouse", warehouse.clone());
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .user_agent(concat!(
                "starrocks-kafka-connector/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| {
                Error::fatal(format!("cannot build the Stream Load HTTP client: {e}"))
                    .with_source(e)
            })?;
        Ok(StreamLoadClient {
            http,
            fes,
            current_fe: AtomicUsize::new(0),
            username: config.username.clone(),
            password: config.password.clone(),
            load_headers,
            probe_headers,
            begin_headers,
            compression: config.compression,
            load_timeout,
        })
    }

    /// The StarRocks user loads run as.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The bytes to send for an encoded body under this configuration's compression; see
    /// [`prepare_body`]. Once per load, not per attempt.
    pub fn prepare_body(&self, raw: Bytes) -> Bytes {
        prepare_body(self.compression, raw)
    }

    /// Sends one step of `req`'s transaction: to an FE (with failover), then to every
    /// redirect target in turn. Never repeats the step itself; whatever happened is in the
    /// returned [`Attempt`].
    pub async fn step(&self, op: Op, req: &LoadRequest) -> Attempt {
        self.step_part(op, req, Part::Main).await
    }

    /// [`Self::step`] for one part of a multi-table transaction: `Part::Progress` sends the
    /// load of the progress rows.
    pub async fn step_part(&self, op: Op, req: &LoadRequest, part: Part) -> Attempt {
        let (mut url, first) = match self.ask_fes(|fe| self.fe_request(fe, op, req, part)).await {
            Ok(answer) => answer,
            Err((error, reached)) => {
                return Attempt::Transport {
                    error,
                    reached: reached && op.fe_may_act(),
                }
            }
        };
        if first.status() != StatusCode::TEMPORARY_REDIRECT {
            let answered = read_answer(first, op.fe_may_act()).await;
            return match (op, &answered) {
                // A multi-table begin is answered by the FE itself.
                (Op::Begin, Attempt::Answered { http_status, body })
                    if !req.is_multi_table() && is_be_begin_answer(*http_status, body) =>
                {
                    self.refuse_be_as_fe(&url, req, body)
                }
                _ => answered,
            };
        }
        let mut response = first;
        for _ in 0..MAX_REDIRECTS {
            if response.status() != StatusCode::TEMPORARY_REDIRECT {
                break;
            }
            let Some(location) = location(&response, &url) else {
                return Attempt::Answered {
                    http_status: response.status().as_u16(),
                    body: json!({
                        "Status": "FAILED",
                        "Message": format!("{url} answered 307 without a usable Location header"),
                    })
                    .to_string(),
                };
            };
            url = location;
            response = match self.target_request(url.clone(), op, req, part).send().await {
                Ok(r) => r,
                Err(e) => {
                    return Attempt::Transport {
                        // Before a connection to the target exists, nothing of the request
                        // left this process.
                        reached: !e.is_connect(),
                        error: describe(&e),
                    };
                }
            };
        }
        read_answer(response, true).await
    }

    /// The state of `label` in `database` (`VISIBLE`, `COMMITTED`, `PREPARE`, `PREPARED`,
    /// `ABORTED`, `UNKNOWN`), asked of the FEs (with failover), following a follower's 307
    /// to the leader.
    pub async fn load_state(&self, database: &str, label: &str) -> Result<String> {
        let (status, body) = self
            .get_fe(&[database, "get_load_state"], &[("label", label)])
            .await
            .map_err(|e| {
                Error::retriable(format!(
                    "could not ask any FE for the state of label '{label}': {e}"
                ))
            })?;
        let reason = match (status, parse_load_state(&body)) {
            (StatusCode::OK, Ok(state)) => return Ok(state),
            (StatusCode::OK, Err(reason)) => reason,
            (status, Err(reason)) => format!("HTTP {}: {reason}", status.as_u16()),
            (status, Ok(_)) => format!("HTTP {}", status.as_u16()),
        };
        let message = format!("StarRocks did not give the state of label '{label}': {reason}");
        if status == StatusCode::UNAUTHORIZED {
            Err(Error::fatal(message))
        } else {
            Err(Error::retriable(message))
        }
    }

    /// The FE's answer to `GET /api/{database}/{table}/_schema` (status and body), asked of
    /// the FEs with failover; `Err` says why no FE answered. Each request waits at most
    /// `wait`.
    pub async fn table_schema(
        &self,
        database: &str,
        table: &str,
        wait: Duration,
    ) -> std::result::Result<(StatusCode, String), String> {
        self.get_fe_within(&[database, table, "_schema"], &[], wait)
            .await
    }

    /// A GET of `/api/{segments}` with credentials, asked of the FEs with failover, following
    /// up to [`MAX_REDIRECTS`] 307s; the final status and body, or why no answer came.
    async fn get_fe(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> std::result::Result<(StatusCode, String), String> {
        self.get_fe_within(segments, query, FE_ANSWER_TIMEOUT).await
    }

    async fn get_fe_within(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        wait: Duration,
    ) -> std::result::Result<(StatusCode, String), String> {
        let ask = |fe: &Url| {
            let mut url = api_url(fe, segments);
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query);
            }
            self.get_with_auth(url).timeout(wait)
        };
        let (mut url, mut response) = self.ask_fes(ask).await.map_err(|(e, _)| e)?;
        for _ in 0..MAX_REDIRECTS {
            if response.status() != StatusCode::TEMPORARY_REDIRECT {
                break;
            }
            let Some(location) = location(&response, &url) else {
                break;
            };
            url = location;
            response = self
                .get_with_auth(url.clone())
                .timeout(wait)
                .send()
                .await
                .map_err(|e| format!("{}: {}", origin(&url), describe(&e)))?;
        }
        let status = response.status();
        let body = response.text().await.map_err(|e| {
            format!(
                "the answer of {} was cut off: {}",
                origin(&url),
                describe(&e)
            )
        })?;
        Ok((status, body))
    }

    /// The first lines of a rejected-row log (an `ErrorURL`), fetched without credentials as
    /// StarRocks serves it; `None` when it cannot be fetched.
    pub async fn error_log(&self, url: &str) -> Option<String> {
        let response = self
            .http
            .get(url)
            .timeout(ERROR_LOG_TIMEOUT)
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let text = response.text().await.ok()?;
        let head = first_lines(&text, ERROR_LOG_MAX_LINES, ERROR_LOG_MAX_CHARS);
        (!head.is_empty()).then_some(head)
    }

    /// Sends a request built by `request` to each FE in turn, starting with the one that
    /// answered last, until one answers. Any failure moves on: an FE acts on no body, and the
    /// steps it may act on itself (commit, rollback) are idempotent. The error lists every
    /// FE's failure, and says whether any of those requests may have arrived.
    async fn ask_fes(
        &self,
        request: impl Fn(&Url) -> reqwest::RequestBuilder,
    ) -> std::result::Result<(Url, reqwest::Response), (String, bool)> {
        let start = self.current_fe.load(Ordering::Relaxed);
        let mut failures = Vec::new();
        let mut reached = false;
        for i in 0..self.fes.len() {
            let index = (start + i) % self.fes.len();
            let fe = &self.fes[index];
            match request(fe).send().await {
                Ok(response) => {
                    self.current_fe.store(index, Ordering::Relaxed);
                    let url = response.url().clone();
                    return Ok((url, response));
                }
                Err(e) => {
                    reached |= !e.is_connect();
                    failures.push(format!("{}: {}", origin(fe), describe(&e)));
                }
            }
        }
        Err((format!("no FE answered ({})", failures.join("; ")), reached))
    }

    /// The FE half of a step: headers only.
    fn fe_request(
        &self,
        fe: &Url,
        op: Op,
        req: &LoadRequest,
        part: Part,
    ) -> reqwest::RequestBuilder {
        let timeout = match op {
            Op::Commit => FE_COMMIT_WAIT + REQUEST_TIMEOUT_MARGIN,
            _ => FE_ANSWER_TIMEOUT,
        };
        self.request(api_url(fe, &["transaction", op.path()]), op, req, part)
            .header(CONTENT_LENGTH, "0")
            .timeout(timeout)
            .body(Bytes::new())
    }

    /// A redirect target's half of a step: the same headers, and the body of a load step.
    fn target_request(
        &self,
        url: Url,
        op: Op,
        req: &LoadRequest,
        part: Part,
    ) -> reqwest::RequestBuilder {
        let request = self
            .request(url, op, req, part)
            .timeout(self.load_timeout + REQUEST_TIMEOUT_MARGIN);
        match (op, part, &req.progress) {
            (Op::Load, Part::Progress, Some(progress)) => request.body(progress.body.clone()),
            (Op::Load, _, _) => request.body(req.body.clone()),
            _ => request.header(CONTENT_LENGTH, "0").body(Bytes::new()),
        }
    }

    /// The method and headers of a step, wherever it goes.
    fn request(&self, url: Url, op: Op, req: &LoadRequest, part: Part) -> reqwest::RequestBuilder {
        let method = match op {
            Op::Load => Method::PUT,
            _ => Method::POST,
        };
        let table = match (part, &req.progress) {
            (Part::Progress, Some(progress)) => progress.table.as_str(),
            _ => req.table.as_str(),
        };
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.username, Some(self.password.expose()))
            .header("label", &req.label)
            .header("db", &req.database);
        if !req.is_multi_table() || op == Op::Load {
            request = request.header("table", table);
        }
        if req.is_multi_table() {
            request = request.header(TRANSACTION_TYPE, MULTI_TABLE);
        }
        let rows = part == Part::Main && req.kind == BodyKind::Rows;
        match op {
            Op::Begin => request.headers(self.begin_headers.clone()),
            Op::Load if rows => request
                .headers(self.load_headers.clone())
                .header(EXPECT, "100-continue"),
            Op::Load if req.kind == BodyKind::Probe => request
                .headers(self.probe_headers.clone())
                .header(EXPECT, "100-continue"),
            Op::Load => request
                .header("format", "json")
                .header(EXPECT, "100-continue"),
            Op::Prepare => request.header("prepared_timeout", PREPARED_TIMEOUT_SECS),
            Op::Commit | Op::Rollback => request,
        }
    }

    fn get_with_auth(&self, url: Url) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .basic_auth(&self.username, Some(self.password.expose()))
            .timeout(FE_ANSWER_TIMEOUT)
    }

    /// A configured "FE" that began the transaction itself is a BE: it never redirected. The
    /// transaction it opened dies with its timeout; the step is reported as the FE's refusal,
    /// so the load fails with an explanation instead of going on against the wrong node.
    fn refuse_be_as_fe(&self, url: &Url, req: &LoadRequest, body: &str) -> Attempt {
        Attempt::Answered {
            http_status: 200,
            body: json!({
                "Status": "FAILED",
                "Message": format!(
                    "{} answered the transaction begin of label '{}' itself instead of \
                     redirecting to a BE, so it is a BE, not an FE; '{}' must list FE HTTP \
                     addresses (http_port, 8030 by default). Its answer: {}",
                    origin(url),
                    req.label,
                    keys::HTTP_URL,
                    body.trim()
                ),
            })
            .to_string(),
        }
    }
}

/// Which part of a request a step carries: the table's body, or the progress rows of a
/// multi-table transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Progress,
}

/// The header that makes a transaction span several tables of one database (StarRocks 4.0+).
const TRANSACTION_TYPE: &str = "transaction_type";
const MULTI_TABLE: &str = "multi";
const MAX_FILTER_RATIO: &str = "max_filter_ratio";

/// `sink.properties.*` as load headers. For CSV with `compression=lz4_frame` the `format` is
/// `lz4` (LZ4-compressed CSV), as StarRocks' SDK sends it: StarRocks decompresses CSV by its
/// format, and the `compression` header is its JSON transport compression.
fn header_pairs(config: &SinkConfig) -> Vec<(String, String)> {
    config
        .load_headers
        .iter()
        .map(|(name, value)| {
            let value = if name == "format"
                && config.format == Format::Csv
                && config.compression == Some(Compression::Lz4Frame)
            {
                "lz4".to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

/// `{base}/api/{segments...}`, each segment percent-encoded.
fn api_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.path_segments_mut()
        .expect("configured FE URLs are http(s) URLs, which have paths")
        .pop_if_empty()
        .push("api")
        .extend(segments);
    url
}

/// A 307's target, resolved against the URL that answered.
fn location(response: &reqwest::Response, base: &Url) -> Option<Url> {
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    base.join(location.trim()).ok()
}

/// Reads a final answer; an answer cut off from a node that acts on the request is in doubt.
async fn read_answer(response: reqwest::Response, reached: bool) -> Attempt {
    let http_status = response.status().as_u16();
    match response.text().await {
        Ok(body) => Attempt::Answered { http_status, body },
        Err(e) => Attempt::Transport {
            error: format!(
                "the answer (HTTP {http_status}) was cut off: {}",
                describe(&e)
            ),
            reached,
        },
    }
}

/// `scheme://host:port`, for messages.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A reqwest error with its causes ("error sending request ...: connection refused").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// At most `max_lines` lines and `max_chars` characters of `text`, whole lines where possible.
fn first_lines(text: &str, max_lines: usize, max_chars: usize) -> String {
    let mut out = String::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(max_lines)
    {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        if out.chars().count() >= max_chars {
            let cut = out
                .char_indices()
                .nth(max_chars)
                .map_or(out.len(), |(at, _)| at);
            out.truncate(cut);
            out.push_str("...");
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(extra: &[(&str, &str)]) -> SinkConfig {
        let mut props: HashMap<String, String> = [
            ("starrocks.http.url", "fe1:8030,https://fe2:8443"),
            ("starrocks.database.name", "example_db"),
            ("starrocks.username", "root"),
            ("starrocks.password", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            props.insert(k.to_string(), v.to_string());
        }
        SinkConfig::from_map(&props).expect("a valid configuration")
    }

    #[test]
    fn load_urls_are_built_under_api_with_names_escaped() {
        let base = Url::parse("http://fe1:8030").unwrap();
        assert_eq!(
            api_url(&base, &["example_db", "test_tbl", "_stream_load"]).as_str(),
            "http://fe1:8030/api/example_db/test_tbl/_stream_load"
        );
        assert_eq!(
            api_url(&base, &["db", "my table/x", "_stream_load"]).as_str(),
            "http://fe1:8030/api/db/my%20table%2Fx/_stream_load"
        );
        let https = Url::parse("https://fe2:8443/").unwrap();
        assert_eq!(
            api_url(&https, &["db", "get_load_state"]).as_str(),
            "https://fe2:8443/api/db/get_load_state"
        );
    }

    #[test]
    fn https_and_http_fes_both_build_a_client() {
        let client = StreamLoadClient::new(&config(&[])).expect("client builds");
        assert_eq!(client.fes.len(), 2);
        assert_eq!(client.fes[1].scheme(), "https");
        assert_eq!(client.load_timeout, DEFAULT_LOAD_TIMEOUT);
        assert_eq!(client.username(), "root");
    }

    #[test]
    fn the_load_timeout_property_sets_the_deadline() {
        let client = StreamLoadClient::new(&config(&[("sink.properties.timeout", "30")])).unwrap();
        assert_eq!(client.load_timeout, Duration::from_secs(30));
        assert_eq!(client.begin_headers["timeout"], "30");
    }

    #[test]
    fn every_sink_property_becomes_a_load_header() {
        let client = StreamLoadClient::new(&config(&[
            ("sink.properties.strip_outer_array", "true"),
            ("sink.properties.columns", "id, city"),
        ]))
        .unwrap();
        let h = &client.load_headers;
        assert_eq!(h["format"], "json");
        assert_eq!(h["strip_outer_array"], "true");
        assert_eq!(h["columns"], "id, city");
    }

    #[test]
    fn lz4_compressed_csv_is_sent_as_format_lz4() {
        let csv = config(&[
            ("sink.properties.format", "csv"),
            ("sink.properties.compression", "lz4_frame"),
        ]);
        let headers: HashMap<String, String> = header_pairs(&csv).into_iter().collect();
        assert_eq!(headers["format"], "lz4");
        assert_eq!(headers["compression"], "lz4_frame");
        let json = config(&[("sink.properties.compression", "lz4_frame")]);
        let headers: HashMap<String, String> = header_pairs(&json).into_iter().collect();
        assert_eq!(headers["format"], "json");
    }

    #[test]
    fn a_rejected_row_log_is_cut_to_its_first_lines() {
        let log: String = (1..=30).map(|i| format!("Error: row {i}\n")).collect();
        let head = first_lines(&log, 20, 3000);
        assert_eq!(head.lines().count(), 20);
        assert!(head.starts_with("Error: row 1\n"));
        assert!(head.ends_with("Error: row 20"));
        let long = "x".repeat(5000);
        let head = first_lines(&long, 20, 3000);
        assert_eq!(head.len(), 3003);
        assert!(head.ends_with("..."));
    }

    #[test]
    fn the_debug_form_never_shows_the_password() {
        let mut cfg = config(&[]);
        cfg.password = Password::new("s3cret");
        let client = StreamLoadClient::new(&cfg).unwrap();
        assert!(!format!("{client:?}").contains("s3cret"));
    }
}
