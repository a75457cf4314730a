//! The BE's side of `/api/transaction/load`, shared by single-table transactions (`txn`) and
//! the tables of multi-table ones (`multi`): reading one load under the BE's checks, and the
//! shape of the BE's transaction answers.
//!
//! A load is held to the parameters of its transaction's (or table's) first load, to the
//! BE's size limits over all its loads, and to armed faults, before its body is kept; the
//! caller decides where it is kept (`be/src/http/action/transaction_stream_load.cpp`).

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::StatusCode;
use serde_json::{Map, Value};

use super::be::check_size;
use super::{header, json, read_body, read_some, text, BodyError, Outcome};
use crate::faults::Fault;
use crate::load::{self, LoadParams};
use crate::state::Cluster;

/// A BE transaction answer: Status, then ExistingJobStatus / Label, Message, then the
/// per-operation fields on success.
pub(super) struct BeAnswer {
    status: String,
    message: String,
    fields: Vec<(&'static str, Value)>,
}

impl BeAnswer {
    pub(super) fn new(status: impl Into<String>, message: impl Into<String>) -> BeAnswer {
        BeAnswer {
            status: status.into(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub(super) fn with(mut self, key: &'static str, value: impl Into<Value>) -> BeAnswer {
        self.fields.push((key, value.into()));
        self
    }

    pub(super) fn outcome(self, body_bytes: u64) -> Outcome {
        let mut m = Map::new();
        m.insert("Status".into(), self.status.clone().into());
        let (before, after): (Vec<_>, Vec<_>) = self.fields.into_iter().partition(|(k, _)| {
            *k == "ExistingJobStatus" || (self.status != "OK" && *k == "Label")
        });
        for (k, v) in before {
            m.insert(k.into(), v);
        }
        m.insert("Message".into(), self.message.clone().into());
        for (k, v) in after {
            m.insert(k.into(), v);
        }
        let note = format!("{} {}", self.status, self.message);
        Outcome::reply(
            json(StatusCode::OK, &Value::Object(m), true),
            note,
            body_bytes,
        )
    }
}

pub(super) fn not_exists(label: &str) -> Outcome {
    BeAnswer::new(
        "TXN_NOT_EXISTS",
        format!("Transaction with label {label} not exists"),
    )
    .outcome(0)
}

/// A failed transaction load: Status, Message and the bytes received.
pub(super) type LoadFailure = (String, String, u64);

/// What a transaction load request brought.
pub(super) enum Received {
    /// The body, decompressed, with the parameters it was sent with.
    Data {
        params: LoadParams,
        data: Vec<u8>,
        bytes: u64,
    },
    /// An injected fault already decided the answer (or that there is none).
    Reply(Outcome),
}

/// Reads one `/api/transaction/load` for a transaction (or, with `channel`, one table of a
/// multi-table transaction) whose earlier loads had `previous` parameters and sent
/// `load_bytes`: the BE's header checks, the request-equality rule, injected faults, the
/// body and its size limits. Storing the data is the caller's.
pub(super) async fn receive(
    cluster: &Arc<Cluster>,
    parts: &Parts,
    body: Incoming,
    table: &str,
    previous: Option<&LoadParams>,
    load_bytes: u64,
    channel: bool,
) -> Result<Received, LoadFailure> {
    let params = LoadParams::from_headers(&|name| header(parts, name))
        .map_err(|m| ("INVALID_ARGUMENT".into(), m, 0))?;
    if let (true, Some(prev)) = (channel, previous) {
        // A table of a multi-table transaction is a channel load planned by the FE from
        // its first load; TransactionStreamLoadAction::_on_header holds later loads to
        // that plan's format before the equality rule below.
        let same =
            (prev.format, prev.format_compression) == (params.format, params.format_compression);
        if header(parts, "format").is_none_or(|f| f.is_empty()) {
            if !same {
                return Err((
                    "INTERNAL_ERROR".into(),
                    "stream load context's format is not default format TFileFormatType::FORMAT_CSV_PLAIN".into(),
                    0,
                ));
            }
        } else if !same {
            return Err((
                "INTERNAL_ERROR".into(),
                "stream load context's format is not same as format from cur http header".into(),
                0,
            ));
        }
    }
    if previous.is_some_and(|p| *p != params) {
        return Err((
            "INTERNAL_ERROR".into(),
            "load request not equal last.".into(),
            0,
        ));
    }
    match cluster.faults.take(table, |f| !f.at_fe() && !f.at_commit()) {
        Some(Fault::FailLoad {
            http_status,
            status,
            message,
        }) => {
            if http_status != 200 {
                let code =
                    StatusCode::from_u16(http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Ok(Received::Reply(Outcome::reply(
                    text(code, message),
                    "injected",
                    0,
                )));
            }
            return Err((status, message, 0));
        }
        Some(Fault::CloseMidBody) => {
            let n = read_some(body).await;
            return Ok(Received::Reply(Outcome::dropped("mid-body (injected)", n)));
        }
        Some(Fault::DelayReply { delay }) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let raw = match read_body(body, cluster.loads.max_body_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return Err((
                "INTERNAL_ERROR".into(),
                format!("body size exceed limit: {}", cluster.loads.max_body_bytes),
                0,
            ))
        }
        Err(BodyError::Transport(e)) => return Ok(Received::Reply(Outcome::dropped(e, 0))),
    };
    let bytes = raw.len() as u64;
    check_size(cluster, &params, load_bytes + bytes)
        .map_err(|m| ("INTERNAL_ERROR".to_string(), m, bytes))?;
    let data =
        load::decompress(&params, raw).map_err(|m| ("INTERNAL_ERROR".to_string(), m, bytes))?;
    Ok(Received::Data {
        params,
        data,
        bytes,
    })
}

/// The BE's answer to a transaction load that was stored.
pub(super) fn load_ok(label: &str, id: i64, bytes: u64) -> Outcome {
    BeAnswer::new("OK", "")
        .with("Label", label)
        .with("TxnId", id)
        .with("LoadBytes", bytes)
        .with("StreamLoadPlanTimeMs", 0)
        .with("ReceivedDataTimeMs", 0)
        .outcome(bytes)
}
