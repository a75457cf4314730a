//! StarRocks' answer to one Stream Load attempt, read and classified.
//!
//! Job: turn what came back from one attempt — an HTTP answer or a transport failure — into
//! exactly one [`Verdict`], and turn a label state from `get_load_state` into a
//! [`LabelState`]. Everything here is pure; the client and the retry loop act on the result.
//!
//! Invariant: a verdict claims the rows are durable ([`Verdict::Loaded`],
//! [`Verdict::AlreadyLoaded`]) only when StarRocks said so — `Success`, `Publish Timeout`, or
//! `Label Already Exists` with `ExistingJobStatus` `FINISHED`. Whenever the rows may or may
//! not have been committed the verdict is [`Verdict::InDoubt`], which the retry loop settles
//! by reading the label's state, never by guessing.
//!
//! Answers are read as StarRocks writes them (`reference/stream-load-protocol.md` §4): JSON
//! keys case-insensitively (the FE mixes `Status` and `status`, `Message` and `msg`), unknown
//! fields ignored, `Content-Type` ignored.

use serde_json::{Map, Value};

/// What came back from one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// An HTTP answer: the last one of the redirect chain.
    Answered { http_status: u16, body: String },
    /// No answer. `body_sent` is true when the failure came after the body may have started
    /// on its way to a BE, so the load may have happened.
    Transport { error: String, body_sent: bool },
}

/// What an attempt means for the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The rows are committed (`Success`, or `Publish Timeout`: committed, visible later).
    Loaded(LoadResult),
    /// An earlier attempt under this label committed the rows.
    AlreadyLoaded,
    /// The rows may or may not be committed; the label's state decides.
    InDoubt(String),
    /// Nothing was committed and trying again may work.
    Retriable(String),
    /// Trying again cannot help: StarRocks' message, and the rejected-row log if it named one.
    Fatal {
        message: String,
        error_url: Option<String>,
    },
}

/// The fields of a plain Stream Load answer the sink uses (`StreamLoadContext::to_json`).
/// Absent counters read as zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadResult {
    /// `Success`, `Publish Timeout`, `Label Already Exists`, `Fail`, or the FE's `FAILED`;
    /// empty when the answer had none.
    pub status: String,
    /// `Message` (or the FE's `msg`).
    pub message: String,
    pub label: Option<String>,
    /// `-1` when no transaction was begun.
    pub txn_id: Option<i64>,
    /// `RUNNING` or `FINISHED`, only with `Label Already Exists`.
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
    /// Reads a Stream Load answer; `None` when the body is not a JSON object.
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

    /// True for `Publish Timeout`: committed, but not yet visible to queries.
    pub fn is_publish_timeout(&self) -> bool {
        self.status.eq_ignore_ascii_case(PUBLISH_TIMEOUT)
    }
}

const SUCCESS: &str = "Success";
const PUBLISH_TIMEOUT: &str = "Publish Timeout";
const LABEL_ALREADY_EXISTS: &str = "Label Already Exists";
const FAIL: &str = "Fail";
/// The FE's status for a request it refuses itself (`ActionStatus.FAILED`).
const FE_FAILED: &str = "FAILED";

/// Fragments of a `Fail` message after which retrying the same body under the same label
/// cannot succeed. Matched case-insensitively, as substrings.
const FATAL_FAIL_MESSAGES: &[&str] = &[
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
    // The emulator refusing a header it does not implement.
    "does not implement",
];

/// Fragments of an FE `FAILED` message that describe a passing cluster condition.
const RETRIABLE_FE_MESSAGES: &[&str] = &["No backend alive"];

/// Classifies one attempt. See the module invariant.
pub fn classify(attempt: &Attempt) -> Verdict {
    match attempt {
        Attempt::Transport {
            error,
            body_sent: false,
        } => Verdict::Retriable(format!(
            "the request failed before the body was sent: {error}"
        )),
        Attempt::Transport {
            error,
            body_sent: true,
        } => Verdict::InDoubt(format!(
            "the connection failed after the body was sent, so the load may have happened: {error}"
        )),
        Attempt::Answered {
            http_status: 200,
            body,
        } => classify_answer(body),
        Attempt::Answered {
            http_status: 401,
            body,
        } => Verdict::Fatal {
            message: format!("authentication failed: {} (HTTP 401)", failure_text(body)),
            error_url: None,
        },
        Attempt::Answered {
            http_status: 307, ..
        } => Verdict::Retriable(
            "StarRocks kept redirecting (HTTP 307) after the client had followed 3 redirects"
                .to_owned(),
        ),
        Attempt::Answered { http_status, body }
            if *http_status >= 500 || *http_status == 408 || *http_status == 429 =>
        {
            Verdict::Retriable(format!("HTTP {http_status}: {}", failure_text(body)))
        }
        Attempt::Answered { http_status, body } => Verdict::Fatal {
            message: format!("unexpected HTTP {http_status}: {}", failure_text(body)),
            error_url: None,
        },
    }
}

/// A 200 answer: the plain Stream Load dialect, or the FE's `FAILED`.
fn classify_answer(body: &str) -> Verdict {
    let Some(result) = LoadResult::parse(body) else {
        return Verdict::InDoubt(format!(
            "the answer is not a Stream Load result: {}",
            excerpt(body)
        ));
    };
    let status = result.status.as_str();
    if status.eq_ignore_ascii_case(SUCCESS) || status.eq_ignore_ascii_case(PUBLISH_TIMEOUT) {
        return Verdict::Loaded(result);
    }
    if status.eq_ignore_ascii_case(LABEL_ALREADY_EXISTS) {
        return match result.existing_job_status.as_deref() {
            Some(s) if s.eq_ignore_ascii_case("FINISHED") => Verdict::AlreadyLoaded,
            job => Verdict::InDoubt(format!(
                "the label is already in use by a load that has not finished (ExistingJobStatus {})",
                job.filter(|s| !s.is_empty()).unwrap_or("not given")
            )),
        };
    }
    if status.eq_ignore_ascii_case(FAIL) {
        return if contains_any(&result.message, FATAL_FAIL_MESSAGES) {
            Verdict::Fatal {
                message: result.message,
                error_url: result.error_url,
            }
        } else {
            Verdict::Retriable(format!("the load failed: {}", result.message))
        };
    }
    if status.eq_ignore_ascii_case(FE_FAILED) {
        return if contains_any(&result.message, RETRIABLE_FE_MESSAGES) {
            Verdict::Retriable(format!("the FE refused the load: {}", result.message))
        } else {
            Verdict::Fatal {
                message: result.message,
                error_url: None,
            }
        };
    }
    Verdict::InDoubt(format!(
        "the answer has no Stream Load status StarRocks documents: {}",
        excerpt(body)
    ))
}

/// Whether a body is a BE's answer to a plain Stream Load (the FE only ever answers a
/// `_stream_load` with a 307, its `FAILED` JSON, or an HTTP error). The client uses it to
/// catch a BE address configured as an FE: the BE would take the FE request's empty body as
/// the load.
pub fn is_be_load_answer(body: &str) -> bool {
    LoadResult::parse(body).is_some_and(|r| {
        [SUCCESS, PUBLISH_TIMEOUT, LABEL_ALREADY_EXISTS, FAIL]
            .iter()
            .any(|s| r.status.eq_ignore_ascii_case(s))
    })
}

/// What a label's state (`get_load_state`) means for a load in doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelState {
    /// `COMMITTED` or `VISIBLE`: the rows are durable.
    Durable,
    /// `PREPARE` or `PREPARED`: a transaction is still running; ask again later.
    Pending,
    /// `ABORTED`, `UNKNOWN` or anything else: nothing is committed under this label, so the
    /// load may be sent again under it.
    Absent,
}

/// Reads a label state name.
pub fn label_state(state: &str) -> LabelState {
    match state.trim().to_ascii_uppercase().as_str() {
        "COMMITTED" | "VISIBLE" => LabelState::Durable,
        "PREPARE" | "PREPARED" => LabelState::Pending,
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
mod tests {
    use super::*;

    fn answered(http_status: u16, body: &str) -> Attempt {
        Attempt::Answered {
            http_status,
            body: body.to_owned(),
        }
    }

    /// The verdict's kind, and its text (message or reason) for the variants that have one.
    fn kind(v: &Verdict) -> (&'static str, String) {
        match v {
            Verdict::Loaded(r) => ("loaded", r.status.clone()),
            Verdict::AlreadyLoaded => ("already", String::new()),
            Verdict::InDoubt(m) => ("in-doubt", m.clone()),
            Verdict::Retriable(m) => ("retriable", m.clone()),
            Verdict::Fatal { message, .. } => ("fatal", message.clone()),
        }
    }

    const SUCCESS_ANSWER: &str = r#"{"TxnId":1003,"Label":"l1","Status":"Success","Message":"OK","NumberTotalRows":3,"NumberLoadedRows":3,"NumberFilteredRows":0,"NumberUnselectedRows":0,"LoadBytes":40,"LoadTimeMs":21,"BeginTxnTimeMs":0,"StreamLoadPlanTimeMs":1,"ReadDataTimeMs":0,"WriteDataTimeMs":11,"CommitAndPublishTimeMs":16}"#;

    #[test]
    fn classifies_every_answer_starrocks_documents() {
        // (what, attempt, expected kind, a fragment of the text)
        let cases: Vec<(&str, Attempt, &str, &str)> = vec![
            (
                "success",
                answered(200, SUCCESS_ANSWER),
                "loaded",
                "Success",
            ),
            (
                "publish timeout is committed",
                answered(
                    200,
                    r#"{"TxnId":7,"Label":"l1","Status":"Publish Timeout","Message":"transaction commit successfully, BUT data will be visible later","NumberLoadedRows":3}"#,
                ),
                "loaded",
                "Publish Timeout",
            ),
            (
                "label of a finished load",
                answered(
                    200,
                    r#"{"TxnId":-1,"Label":"L","Status":"Label Already Exists","ExistingJobStatus":"FINISHED","Message":"Label [L] has already been used."}"#,
                ),
                "already",
                "",
            ),
            (
                "label of a running load",
                answered(
                    200,
                    r#"{"TxnId":-1,"Label":"L","Status":"Label Already Exists","ExistingJobStatus":"RUNNING","Message":"Label [L] has already been used."}"#,
                ),
                "in-doubt",
                "RUNNING",
            ),
            (
                "label in use, job status missing",
                answered(
                    200,
                    r#"{"Status":"Label Already Exists","Message":"Label [L] has already been used."}"#,
                ),
                "in-doubt",
                "not given",
            ),
            (
                "label in use, job status empty (BE-local duplicate)",
                answered(
                    200,
                    r#"{"Status":"Label Already Exists","ExistingJobStatus":"","Message":""}"#,
                ),
                "in-doubt",
                "not given",
            ),
            (
                "too many filtered rows",
                answered(
                    200,
                    r#"{"TxnId":12,"Label":"L","Status":"Fail","Message":"too many filtered rows","NumberTotalRows":2,"NumberLoadedRows":0,"NumberFilteredRows":2,"ErrorURL":"http://127.0.0.1:8040/api/_load_error_log?file=error_log_3a4eb8421f0878a6_9a54df29fd9206be"}"#,
                ),
                "fatal",
                "too many filtered rows",
            ),
            (
                "wrong password at the BE",
                answered(
                    200,
                    r#"{"TxnId":-1,"Status":"Fail","Message":"Access denied for root@127.0.0.1"}"#,
                ),
                "fatal",
                "Access denied",
            ),
            (
                "credentials dropped on the redirect",
                answered(
                    200,
                    r#"{"TxnId":-1,"Label":"L","Status":"Fail","Message":"no valid Basic authorization"}"#,
                ),
                "fatal",
                "no valid Basic authorization",
            ),
            (
                "unknown table",
                answered(
                    200,
                    r#"{"TxnId":-1,"Status":"Fail","Message":"unknown table \"example_db.nope\""}"#,
                ),
                "fatal",
                "unknown table",
            ),
            (
                "unknown database",
                answered(
                    200,
                    r#"{"TxnId":-1,"Status":"Fail","Message":"unknown database, database=nope"}"#,
                ),
                "fatal",
                "unknown database",
            ),
            (
                "primary key too long",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"primary key size exceed the limit."}"#,
                ),
                "fatal",
                "primary key size exceed",
            ),
            (
                "partial update of a duplicate-key table",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"Only primary key table support partial update"}"#,
                ),
                "fatal",
                "partial update",
            ),
            (
                "unknown format",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"unknown data format, format=xml"}"#,
                ),
                "fatal",
                "unknown data format",
            ),
            (
                "bad timeout parameter",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"Invalid timeout format"}"#,
                ),
                "fatal",
                "Invalid timeout format",
            ),
            (
                "JSON batch too large",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"The size of this batch exceed the max size [104857600] of json type data data [104857700]. Set ignore_json_size to skip the check, although it may lead huge memory consuming."}"#,
                ),
                "fatal",
                "exceed the max size",
            ),
            (
                "a header the emulator does not implement",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"starrocks-emulator does not implement the Stream Load header 'where'"}"#,
                ),
                "fatal",
                "does not implement",
            ),
            (
                "a commit whose outcome the BE lost",
                answered(
                    200,
                    r#"{"Status":"Fail","Message":"Transaction status unknown, you can retry with same label."}"#,
                ),
                "retriable",
                "retry with same label",
            ),
            (
                "an injected failure",
                answered(200, r#"{"Status":"Fail","Message":"injected failure"}"#),
                "retriable",
                "injected failure",
            ),
            (
                "FE without the 100-continue header",
                answered(
                    200,
                    r#"{"Status":"FAILED","Message":"class com.starrocks.common.DdlException: There is no 100-continue header"}"#,
                ),
                "fatal",
                "There is no 100-continue header",
            ),
            (
                "older FE, lower-case keys",
                answered(
                    200,
                    r#"{"status":"FAILED","code":"1","msg":"There is no 100-continue header","message":"There is no 100-continue header"}"#,
                ),
                "fatal",
                "There is no 100-continue header",
            ),
            (
                "FE with no backend alive",
                answered(
                    200,
                    r#"{"Status":"FAILED","Message":"class com.starrocks.common.DdlException: No backend alive."}"#,
                ),
                "retriable",
                "No backend alive",
            ),
            (
                "FE wrong password",
                answered(
                    401,
                    r#"{"status":"FAILED","code":"1","msg":"Access denied for root@127.0.0.1","message":"Access denied for root@127.0.0.1"}"#,
                ),
                "fatal",
                "authentication failed: Access denied for root@127.0.0.1",
            ),
            (
                "older FE 401 text",
                answered(401, "Authentication Failed. <br/> Need auth information."),
                "fatal",
                "authentication failed: Authentication Failed.",
            ),
            (
                "server error",
                answered(500, "boom"),
                "retriable",
                "HTTP 500: boom",
            ),
            (
                "unavailable",
                answered(503, "overloaded"),
                "retriable",
                "503",
            ),
            (
                "request timeout",
                answered(408, ""),
                "retriable",
                "(empty body)",
            ),
            ("too many requests", answered(429, ""), "retriable", "429"),
            (
                "a redirect past the limit",
                answered(307, ""),
                "retriable",
                "HTTP 307",
            ),
            (
                "unknown route",
                answered(
                    404,
                    r#"{"status":"FAILED","code":"404","msg":"Not implemented","message":"Not implemented"}"#,
                ),
                "fatal",
                "unexpected HTTP 404: Not implemented",
            ),
            (
                "a 200 that is not JSON",
                answered(200, "<html>proxy error</html>"),
                "in-doubt",
                "proxy error",
            ),
            (
                "a 200 without a status",
                answered(200, r#"{"Label":"L"}"#),
                "in-doubt",
                "no Stream Load status",
            ),
            (
                "connect refused",
                Attempt::Transport {
                    error: "connection refused".into(),
                    body_sent: false,
                },
                "retriable",
                "before the body was sent",
            ),
            (
                "reply lost after the body",
                Attempt::Transport {
                    error: "connection closed before message completed".into(),
                    body_sent: true,
                },
                "in-doubt",
                "may have happened",
            ),
        ];
        for (what, attempt, expected, fragment) in cases {
            let verdict = classify(&attempt);
            let (got, text) = kind(&verdict);
            assert_eq!(got, expected, "{what}: {verdict:?}");
            assert!(
                text.contains(fragment),
                "{what}: {text:?} lacks {fragment:?}"
            );
        }
    }

    #[test]
    fn a_fatal_data_quality_failure_keeps_the_error_url() {
        let verdict = classify(&answered(
            200,
            r#"{"Status":"Fail","Message":"too many filtered rows","ErrorURL":"http://be:8040/api/_load_error_log?file=f1"}"#,
        ));
        assert_eq!(
            verdict,
            Verdict::Fatal {
                message: "too many filtered rows".into(),
                error_url: Some("http://be:8040/api/_load_error_log?file=f1".into()),
            }
        );
    }

    #[test]
    fn reads_every_field_of_a_success_answer_whatever_the_key_case() {
        let r = LoadResult::parse(SUCCESS_ANSWER).unwrap();
        assert_eq!(
            r,
            LoadResult {
                status: "Success".into(),
                message: "OK".into(),
                label: Some("l1".into()),
                txn_id: Some(1003),
                existing_job_status: None,
                total_rows: 3,
                loaded_rows: 3,
                filtered_rows: 0,
                unselected_rows: 0,
                load_bytes: 40,
                error_url: None,
            }
        );
        let lower = LoadResult::parse(
            r#"{"status":"Success","numberloadedrows":"5","TXNID":-1,"Extra":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(lower.status, "Success");
        assert_eq!(lower.loaded_rows, 5);
        assert_eq!(lower.txn_id, Some(-1));
        assert!(!lower.is_publish_timeout());
        assert_eq!(LoadResult::parse("[1,2]"), None);
        assert_eq!(LoadResult::parse(""), None);
    }

    #[test]
    fn a_plain_load_answer_is_told_apart_from_the_fe_s() {
        for (body, from_be) in [
            (SUCCESS_ANSWER, true),
            (r#"{"Status":"Fail","Message":"x"}"#, true),
            (
                r#"{"Status":"Label Already Exists","ExistingJobStatus":"FINISHED"}"#,
                true,
            ),
            (r#"{"Status":"FAILED","Message":"x"}"#, false),
            (r#"{"status":"FAILED","msg":"x"}"#, false),
            ("", false),
        ] {
            assert_eq!(is_be_load_answer(body), from_be, "{body}");
        }
    }

    #[test]
    fn label_states_decide_between_durable_pending_and_absent() {
        for (state, expected) in [
            ("VISIBLE", LabelState::Durable),
            ("COMMITTED", LabelState::Durable),
            ("visible", LabelState::Durable),
            ("PREPARE", LabelState::Pending),
            ("PREPARED", LabelState::Pending),
            ("ABORTED", LabelState::Absent),
            ("UNKNOWN", LabelState::Absent),
            ("SOMETHING_NEW", LabelState::Absent),
        ] {
            assert_eq!(label_state(state), expected, "{state}");
        }
    }

    #[test]
    fn reads_the_state_or_the_reason_from_a_label_state_answer() {
        assert_eq!(
            parse_load_state(
                r#"{"state":"VISIBLE","reason":"","status":"OK","code":"0","msg":"Success","message":"OK"}"#
            ),
            Ok("VISIBLE".into())
        );
        assert_eq!(
            parse_load_state(
                r#"{"status":"FAILED","code":"1","msg":"unknown database, database=x","message":"unknown database, database=x"}"#
            ),
            Err("unknown database, database=x".into())
        );
        assert!(parse_load_state("not json")
            .unwrap_err()
            .contains("not JSON"));
    }
}
