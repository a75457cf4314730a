//! StarRocks' answers to the steps of a transaction Stream Load, read and classified.
//!
//! Job: turn what came back from one step — an HTTP answer or a transport failure — into
//! exactly one [`Verdict`] saying what the load does next, and turn a label state from
//! `get_load_state` into a [`LabelState`]. Everything here is pure; the transaction driver
//! (`txn`) acts on the result.
//!
//! Invariant: only a commit that StarRocks answered `OK`, or a label state `COMMITTED` /
//! `VISIBLE`, counts as durable. Whenever a step may or may not have taken effect the verdict
//! is [`Verdict::AskState`] (or, for a load step, [`Verdict::Restart`]: roll back and begin
//! again, which is always safe before a commit), never a guess.
//!
//! Answers are read as StarRocks writes them (`reference/stream-load-protocol.md` §4, §6): the
//! BE puts a Thrift status name in `Status` (`OK`, `LABEL_ALREADY_EXISTS`, `TXN_NOT_EXISTS`,
//! `INTERNAL_ERROR`, ...), the FE `OK` or `FAILED` with the exception in `Message`; JSON keys
//! are read case-insensitively (the FE mixes `Status` and `status`), unknown fields ignored.

use serde_json::{Map, Value};

/// A step of a transaction Stream Load (`/api/transaction/{op}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Begin,
    Load,
    Prepare,
    Commit,
    Rollback,
}

impl Op {
    /// The `{op}` of the URL path.
    pub fn path(self) -> &'static str {
        match self {
            Op::Begin => "begin",
            Op::Load => "load",
            Op::Prepare => "prepare",
            Op::Commit => "commit",
            Op::Rollback => "rollback",
        }
    }

    /// Whether the FE itself may act on the request (commit and roll back a PREPARED
    /// transaction); for the other steps the FE only redirects to a BE.
    pub fn fe_may_act(self) -> bool {
        matches!(self, Op::Commit | Op::Rollback)
    }
}

/// What came back from one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// An HTTP answer: the last one of the redirect chain.
    Answered { http_status: u16, body: String },
    /// No answer. `reached` is true when the request may have arrived at the node that acts
    /// on it, so it may have taken effect.
    Transport { error: String, reached: bool },
}

/// What a step's outcome means for the load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The step did what it should (for prepare: the counters; for commit: the rows are
    /// committed).
    Done(LoadResult),
    /// Whether the step took effect is unknown (or the label is already in use): the label's
    /// state decides what comes next.
    AskState(String),
    /// Nothing changed on the server: the same step may be sent again.
    Retry(String),
    /// The transaction is gone or unusable: roll it back and begin again under the same label.
    Restart(String),
    /// Sending the same rows again cannot help: StarRocks' message, and the rejected-row log
    /// if it named one.
    Fatal {
        message: String,
        error_url: Option<String>,
    },
}

/// The fields of a StarRocks answer the sink uses. Absent counters read as zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadResult {
    /// `OK`, a Thrift status name, the FE's `FAILED`, or a plain load's `Success`/`Fail`;
    /// empty when the answer had none.
    pub status: String,
    /// `Message` (or the FE's `msg`).
    pub message: String,
    pub label: Option<String>,
    pub txn_id: Option<i64>,
    /// `RUNNING` or `FINISHED` (or empty), only with a label already in use.
    pub existing_job_status: Option<String>,
    pub total_rows: u64,
    pub loaded_rows: u64,
    pub filtered_rows: u64,
    pub unselected_rows: u64,
    pub load_bytes: u64,
    /// Where the BE serves the rejected rows, when it logged any.
    pub error_url: Option<String>,
}

impl LoadResult {
    /// Reads an answer; `None` when the body is not a JSON object.
    pub fn parse(body: &str) -> Option<LoadResult> {
        let fields = Fields::parse(body)?;
        Some(LoadResult {
            status: fields.text("status").unwrap_or_default(),
            message: fields
                .text("message")
                .or_else(|| fields.text("msg"))
                .unwrap_or_default(),
            label: fields.text("label"),
            txn_id: fields.int("txnid"),
            existing_job_status: fields.text("existingjobstatus"),
            total_rows: fields.count("numbertotalrows"),
            loaded_rows: fields.count("numberloadedrows"),
            filtered_rows: fields.count("numberfilteredrows"),
            unselected_rows: fields.count("numberunselectedrows"),
            load_bytes: fields.count("loadbytes"),
            error_url: fields.text("errorurl").filter(|u| !u.is_empty()),
        })
    }

    fn is(&self, status: &str) -> bool {
        self.status.eq_ignore_ascii_case(status)
    }
}

const OK: &str = "OK";
/// The FE's status for a request it refuses itself (`ActionStatus.FAILED`).
const FE_FAILED: &str = "FAILED";
const LABEL_ALREADY_EXISTS: &str = "LABEL_ALREADY_EXISTS";
const TXN_NOT_EXISTS: &str = "TXN_NOT_EXISTS";
const PUBLISH_TIMEOUT: &str = "PUBLISH_TIMEOUT";
/// Thrift statuses of requests StarRocks refused as malformed or unplannable: sending the same
/// request again gets the same answer.
const REFUSED_STATUSES: &[&str] = &[
    "ANALYSIS_ERROR",
    "INVALID_ARGUMENT",
    "NOT_IMPLEMENTED_ERROR",
];

/// Fragments of a message after which sending the same rows under the same settings cannot
/// succeed. Matched case-insensitively, as substrings.
const FATAL_MESSAGES: &[&str] = &[
    // Data quality: more rejected rows than `max_filter_ratio` allows.
    "too many filtered rows",
    // Credentials and privileges.
    "Access denied",
    "no valid Basic authorization",
    // The target does not exist.
    "unknown table",
    "unknown database",
    // Primary-key tables.
    "primary key size exceed",
    "Only primary key table support partial update",
    "Conditional update only support primary key table",
    "Merge condition column",
    // Load parameters (`sink.properties.*`) StarRocks refuses.
    "unknown data format",
    "Unsupported compression type",
    "Only one of http header content-encoding and compression can be set",
    "Invalid",
    "must be equal or greater than",
    "Label format error",
    // The same body will always be too large.
    "body size",
    "exceed the max size",
    "beyond the JSON payload limit",
    // The emulator refusing a header it does not implement.
    "does not implement",
    // A BE configured as an FE (see the client).
    "so it is a BE, not an FE",
];

/// Whether a failed step's message says StarRocks rejected rows of the body (more than
/// `max_filter_ratio` allows): the load fails for its data, not for StarRocks' state.
pub fn rejects_rows(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("too many filtered rows")
}

/// Classifies the answer to one step. See the module invariant.
pub fn classify(op: Op, attempt: &Attempt) -> Verdict {
    match attempt {
        Attempt::Transport {
            error,
            reached: false,
        } => Verdict::Retry(format!("the {} request did not arrive: {error}", op.path())),
        Attempt::Transport {
            error,
            reached: true,
        } => unknown(
            op,
            format!(
                "the connection failed after the {} request was sent: {error}",
                op.path()
            ),
        ),
        Attempt::Answered {
            http_status: 200,
            body,
        } => classify_answer(op, body),
        Attempt::Answered {
            http_status: 401,
            body,
        } => Verdict::Fatal {
            message: format!("authentication failed: {} (HTTP 401)", failure_text(body)),
            error_url: None,
        },
        Attempt::Answered {
            http_status: 307, ..
        } => Verdict::Retry(
            "StarRocks kept redirecting (HTTP 307) after the client had followed 3 redirects"
                .to_owned(),
        ),
        Attempt::Answered { http_status, body }
            if *http_status >= 500 || *http_status == 408 || *http_status == 429 =>
        {
            unknown(op, format!("HTTP {http_status}: {}", failure_text(body)))
        }
        Attempt::Answered { http_status, body } => Verdict::Fatal {
            message: format!("unexpected HTTP {http_status}: {}", failure_text(body)),
            error_url: None,
        },
    }
}

/// A step whose effect is unknown: a begin or a prepare may have happened (ask), a load step
/// left the transaction in an unknown state (restart), a commit may have committed (ask).
fn unknown(op: Op, reason: String) -> Verdict {
    match op {
        Op::Load => Verdict::Restart(reason),
        Op::Rollback => Verdict::Retry(reason),
        Op::Begin | Op::Prepare | Op::Commit => Verdict::AskState(reason),
    }
}

/// A 200 answer: the BE's Thrift status or the FE's `OK`/`FAILED`.
fn classify_answer(op: Op, body: &str) -> Verdict {
    let Some(result) = LoadResult::parse(body) else {
        return unknown(
            op,
            format!(
                "the answer to {} is not a StarRocks result: {}",
                op.path(),
                excerpt(body)
            ),
        );
    };
    if result.is(OK) {
        return Verdict::Done(result);
    }
    let what = format!("{} answered {}", op.path(), describe(&result));
    if result.is(LABEL_ALREADY_EXISTS) {
        return Verdict::AskState(format!("the label is already in use: {what}"));
    }
    if op == Op::Commit && result.is(PUBLISH_TIMEOUT) {
        return Verdict::AskState(what);
    }
    let refused = REFUSED_STATUSES.iter().any(|s| result.is(s));
    if refused || contains_any(&result.message, FATAL_MESSAGES) {
        return Verdict::Fatal {
            message: result.message.clone(),
            error_url: result.error_url,
        };
    }
    match op {
        // The transaction never began (no leader, a BE busy, ...): begin again.
        Op::Begin => Verdict::Retry(what),
        // The load step aborted the transaction, or it is no longer there.
        Op::Load => Verdict::Restart(what),
        // `TXN_NOT_EXISTS` after a prepare whose answer was lost means it is PREPARED now;
        // anything else may have aborted it. The label's state tells which.
        Op::Prepare => Verdict::AskState(what),
        // The FE's "publish timeout" (the transaction IS committed), "Can not commit ABORTED",
        // "No transaction found": the label's state tells which.
        Op::Commit => Verdict::AskState(what),
        Op::Rollback if result.is(TXN_NOT_EXISTS) || result.message.contains("already aborted") => {
            Verdict::Done(result)
        }
        Op::Rollback => Verdict::Retry(what),
    }
}

/// `Status "Message"`, for messages.
fn describe(result: &LoadResult) -> String {
    match (result.status.is_empty(), result.message.is_empty()) {
        (true, true) => "no status".to_owned(),
        (false, true) => result.status.clone(),
        (true, false) => format!("\"{}\"", result.message),
        (false, false) => format!("{} \"{}\"", result.status, result.message),
    }
}

/// Whether the first hop of a begin — the configured FE address — answered with a BE's
/// transaction answer instead of redirecting. An FE answers a begin only with a 307, its own
/// `FAILED` JSON, a 401 or an HTTP error; a BE begins the transaction itself.
pub fn is_be_begin_answer(http_status: u16, body: &str) -> bool {
    http_status == 200
        && LoadResult::parse(body).is_some_and(|r| !r.status.is_empty() && !r.is(FE_FAILED))
}

/// What a label's state (`get_load_state`) means for a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelState {
    /// `COMMITTED` or `VISIBLE`: the rows are durable.
    Durable,
    /// `PREPARED`: the whole body was loaded and prepared; a commit makes it durable.
    Prepared,
    /// `PREPARE`: a transaction is open, with some or all of the body: roll it back.
    Open,
    /// `ABORTED`, `UNKNOWN` or anything else: nothing is committed under this label, so the
    /// load may begin again under it.
    Absent,
}

/// Reads a label state name.
pub fn label_state(state: &str) -> LabelState {
    match state.trim().to_ascii_uppercase().as_str() {
        "COMMITTED" | "VISIBLE" => LabelState::Durable,
        "PREPARED" => LabelState::Prepared,
        "PREPARE" => LabelState::Open,
        _ => LabelState::Absent,
    }
}

/// Reads a `get_load_state` answer: the state name, or the FE's reason for not giving one.
pub fn parse_load_state(body: &str) -> Result<String, String> {
    let Some(fields) = Fields::parse(body) else {
        return Err(format!(
            "the label state answer is not JSON: {}",
            excerpt(body)
        ));
    };
    match fields.text("state").filter(|s| !s.is_empty()) {
        Some(state) => Ok(state.to_ascii_uppercase()),
        None => Err(fields
            .text("msg")
            .or_else(|| fields.text("message"))
            .unwrap_or_else(|| format!("no state in the answer: {}", excerpt(body)))),
    }
}

/// The reason an HTTP error carries: the JSON message when there is one, else the text.
fn failure_text(body: &str) -> String {
    Fields::parse(body)
        .and_then(|f| f.text("msg").or_else(|| f.text("message")))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| excerpt(body))
}

fn excerpt(body: &str) -> String {
    const MAX: usize = 500;
    let body = body.trim();
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    match body.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &body[..at]),
        None => body.to_owned(),
    }
}

fn contains_any(message: &str, fragments: &[&str]) -> bool {
    let message = message.to_ascii_lowercase();
    fragments
        .iter()
        .any(|f| message.contains(&f.to_ascii_lowercase()))
}

/// A JSON object's fields by lower-cased key.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(body: &str) -> Option<Fields> {
        let object: Map<String, Value> = serde_json::from_str(body.trim()).ok()?;
        Some(Fields(
            object
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        ))
    }

    fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.0.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn count(&self, key: &str) -> u64 {
        self.int(key)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
