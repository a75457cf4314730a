use super::*;

fn answered(http_status: u16, body: &str) -> Attempt {
    Attempt::Answered {
        http_status,
        body: body.to_owned(),
    }
}

fn transport(reached: bool) -> Attempt {
    Attempt::Transport {
        error: "connection reset by peer".into(),
        reached,
    }
}

/// The verdict's kind, and its text (message or reason) for the variants that have one.
fn kind(v: &Verdict) -> (&'static str, String) {
    match v {
        Verdict::Done(r) => ("done", r.status.clone()),
        Verdict::AskState(m) => ("ask", m.clone()),
        Verdict::Retry(m) => ("retry", m.clone()),
        Verdict::Restart(m) => ("restart", m.clone()),
        Verdict::Fatal { message, .. } => ("fatal", message.clone()),
    }
}

const BEGIN_OK: &str =
    r#"{"Status":"OK","Message":"","Label":"l1","TxnId":9032,"BeginTxnTimeMs":0}"#;
const LOAD_OK: &str = r#"{"Status":"OK","Message":"","Label":"l1","TxnId":9032,"LoadBytes":40,"StreamLoadPlanTimeMs":1,"ReceivedDataTimeMs":0}"#;
const PREPARE_OK: &str = r#"{"Status":"OK","Message":"","Label":"l1","TxnId":9032,"NumberTotalRows":3,"NumberLoadedRows":3,"NumberFilteredRows":0,"NumberUnselectedRows":0,"LoadBytes":40,"LoadTimeMs":21}"#;
const FE_COMMIT_OK: &str = r#"{"Status":"OK","Message":"","TxnId":9032,"Label":"l1"}"#;

#[test]
fn classifies_every_answer_of_every_step() {
    use Op::*;
    // (what, step, attempt, expected kind, a fragment of the text)
    let cases: Vec<(&str, Op, Attempt, &str, &str)> = vec![
        ("begin ok", Begin, answered(200, BEGIN_OK), "done", "OK"),
        ("load ok", Load, answered(200, LOAD_OK), "done", "OK"),
        (
            "prepare ok",
            Prepare,
            answered(200, PREPARE_OK),
            "done",
            "OK",
        ),
        (
            "commit ok",
            Commit,
            answered(200, FE_COMMIT_OK),
            "done",
            "OK",
        ),
        (
            "commit of a committed transaction",
            Commit,
            answered(
                200,
                r#"{"Status":"OK","Message":"Transaction 7 has already committed, label is l1"}"#,
            ),
            "done",
            "OK",
        ),
        (
            "label in use, decided by the FE",
            Begin,
            answered(
                200,
                r#"{"Status":"LABEL_ALREADY_EXISTS","ExistingJobStatus":"FINISHED","Message":"Label [l1] has already been used."}"#,
            ),
            "ask",
            "already in use",
        ),
        (
            "label in use, a live context on the BE",
            Begin,
            answered(
                200,
                r#"{"Status":"LABEL_ALREADY_EXISTS","ExistingJobStatus":"","Message":""}"#,
            ),
            "ask",
            "LABEL_ALREADY_EXISTS",
        ),
        (
            "begin into a missing table",
            Begin,
            answered(
                200,
                r#"{"Status":"ANALYSIS_ERROR","Message":"unknown table \"db.t\""}"#,
            ),
            "fatal",
            "unknown table",
        ),
        (
            "begin into a missing database",
            Begin,
            answered(
                200,
                r#"{"Status":"ANALYSIS_ERROR","Message":"unknown database, database=nope"}"#,
            ),
            "fatal",
            "unknown database",
        ),
        (
            "begin with a bad label",
            Begin,
            answered(
                200,
                r#"{"Status":"INVALID_ARGUMENT","Message":"Label format error. regex: ^[-\\w]{1,128}$, label: a b"}"#,
            ),
            "fatal",
            "Label format error",
        ),
        (
            "begin without credentials at the BE",
            Begin,
            answered(
                200,
                r#"{"Status":"INTERNAL_ERROR","Message":"no valid Basic authorization"}"#,
            ),
            "fatal",
            "no valid Basic authorization",
        ),
        (
            "begin while no FE is leader",
            Begin,
            answered(
                200,
                r#"{"Status":"THRIFT_RPC_ERROR","Message":"Couldn't open transport for 127.0.0.1:9020 (connect() failed: Connection refused)"}"#,
            ),
            "retry",
            "Couldn't open transport",
        ),
        (
            "the FE with no backend alive",
            Begin,
            answered(
                200,
                r#"{"Status":"FAILED","Message":"class com.starrocks.common.DdlException: No backend alive."}"#,
            ),
            "retry",
            "No backend alive",
        ),
        (
            "a load into an aborted transaction",
            Load,
            answered(
                200,
                r#"{"Status":"TXN_NOT_EXISTS","Message":"Transaction with label l1 not exists"}"#,
            ),
            "restart",
            "TXN_NOT_EXISTS",
        ),
        (
            "a load that differs from the last",
            Load,
            answered(
                200,
                r#"{"Status":"INTERNAL_ERROR","Message":"load request not equal last."}"#,
            ),
            "restart",
            "not equal last",
        ),
        (
            "an injected load failure",
            Load,
            answered(200, r#"{"Status":"Fail","Message":"injected failure"}"#),
            "restart",
            "injected failure",
        ),
        (
            "a JSON body over the limit",
            Load,
            answered(
                200,
                r#"{"Status":"INTERNAL_ERROR","Message":"The size of this batch exceed the max size [104857600] of json type data data [104857700]. Set ignore_json_size to skip the check, although it may lead huge memory consuming."}"#,
            ),
            "fatal",
            "exceed the max size",
        ),
        (
            "a header the emulator does not implement",
            Load,
            answered(
                200,
                r#"{"Status":"INVALID_ARGUMENT","Message":"starrocks-emulator does not implement the Stream Load header 'where'"}"#,
            ),
            "fatal",
            "does not implement",
        ),
        (
            "too many filtered rows at prepare",
            Prepare,
            answered(
                200,
                r#"{"Status":"INTERNAL_ERROR","Message":"too many filtered rows","ErrorURL":"http://be:8040/api/_load_error_log?file=f1"}"#,
            ),
            "fatal",
            "too many filtered rows",
        ),
        (
            "a prepare whose transaction is already prepared",
            Prepare,
            answered(
                200,
                r#"{"Status":"TXN_NOT_EXISTS","Message":"Transaction with label l1 not exists"}"#,
            ),
            "ask",
            "TXN_NOT_EXISTS",
        ),
        (
            "a prepare whose table was dropped",
            Prepare,
            answered(
                200,
                r#"{"Status":"ANALYSIS_ERROR","Message":"unknown table \"db.t\""}"#,
            ),
            "fatal",
            "unknown table",
        ),
        (
            "a commit past the FE's publish wait",
            Commit,
            answered(
                200,
                r#"{"Status":"FAILED","Message":"class com.starrocks.common.StarRocksException: publish timeout: 20000"}"#,
            ),
            "ask",
            "publish timeout",
        ),
        (
            "a commit of an aborted transaction",
            Commit,
            answered(
                200,
                r#"{"Status":"FAILED","Message":"class com.starrocks.common.StarRocksException: Can not commit ABORTED transaction 7, label is l1"}"#,
            ),
            "ask",
            "Can not commit ABORTED",
        ),
        (
            "a commit the BE could not publish in time",
            Commit,
            answered(200, r#"{"Status":"PUBLISH_TIMEOUT","Message":""}"#),
            "ask",
            "PUBLISH_TIMEOUT",
        ),
        (
            "a rollback of an aborted transaction",
            Rollback,
            answered(
                200,
                r#"{"Status":"OK","Message":"Transaction 7 has already aborted, label is l1"}"#,
            ),
            "done",
            "OK",
        ),
        (
            "a rollback of a transaction the BE no longer has",
            Rollback,
            answered(
                200,
                r#"{"Status":"TXN_NOT_EXISTS","Message":"Transaction with label l1 not exists"}"#,
            ),
            "done",
            "TXN_NOT_EXISTS",
        ),
        (
            "FE wrong password",
            Begin,
            answered(
                401,
                r#"{"status":"FAILED","code":"1","msg":"Access denied for root@127.0.0.1","message":"Access denied for root@127.0.0.1"}"#,
            ),
            "fatal",
            "authentication failed: Access denied for root@127.0.0.1",
        ),
        (
            "older FE 401 text",
            Commit,
            answered(401, "Authentication Failed. <br/> Need auth information."),
            "fatal",
            "authentication failed: Authentication Failed.",
        ),
        (
            "begin, server error",
            Begin,
            answered(500, "boom"),
            "ask",
            "HTTP 500: boom",
        ),
        (
            "load, unavailable",
            Load,
            answered(503, "overloaded"),
            "restart",
            "503",
        ),
        (
            "prepare, request timeout",
            Prepare,
            answered(408, ""),
            "ask",
            "(empty body)",
        ),
        (
            "commit, too many requests",
            Commit,
            answered(429, ""),
            "ask",
            "429",
        ),
        (
            "rollback, server error",
            Rollback,
            answered(500, ""),
            "retry",
            "500",
        ),
        (
            "a redirect past the limit",
            Begin,
            answered(307, ""),
            "retry",
            "HTTP 307",
        ),
        (
            "unknown route",
            Begin,
            answered(
                404,
                r#"{"status":"FAILED","code":"404","msg":"Not implemented","message":"Not implemented"}"#,
            ),
            "fatal",
            "unexpected HTTP 404: Not implemented",
        ),
        (
            "a 200 that is not JSON",
            Prepare,
            answered(200, "<html>proxy error</html>"),
            "ask",
            "proxy error",
        ),
        (
            "a begin that did not arrive",
            Begin,
            transport(false),
            "retry",
            "did not arrive",
        ),
        (
            "a commit that did not arrive",
            Commit,
            transport(false),
            "retry",
            "did not arrive",
        ),
        (
            "a begin whose answer was lost",
            Begin,
            transport(true),
            "ask",
            "after the begin request was sent",
        ),
        (
            "a load cut off",
            Load,
            transport(true),
            "restart",
            "after the load request was sent",
        ),
        (
            "a prepare whose answer was lost",
            Prepare,
            transport(true),
            "ask",
            "prepare",
        ),
        (
            "a commit whose answer was lost",
            Commit,
            transport(true),
            "ask",
            "commit",
        ),
    ];
    for (what, op, attempt, expected, fragment) in cases {
        let verdict = classify(op, &attempt);
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
    let verdict = classify(
        Op::Prepare,
        &answered(
            200,
            r#"{"Status":"INTERNAL_ERROR","Message":"too many filtered rows","ErrorURL":"http://be:8040/api/_load_error_log?file=f1"}"#,
        ),
    );
    assert_eq!(
        verdict,
        Verdict::Fatal {
            message: "too many filtered rows".into(),
            error_url: Some("http://be:8040/api/_load_error_log?file=f1".into()),
        }
    );
}

#[test]
fn reads_every_field_of_a_prepare_answer_whatever_the_key_case() {
    let r = LoadResult::parse(PREPARE_OK).unwrap();
    assert_eq!(
        r,
        LoadResult {
            status: "OK".into(),
            message: String::new(),
            label: Some("l1".into()),
            txn_id: Some(9032),
            existing_job_status: None,
            total_rows: 3,
            loaded_rows: 3,
            filtered_rows: 0,
            unselected_rows: 0,
            load_bytes: 40,
            error_url: None,
        }
    );
    let lower =
        LoadResult::parse(r#"{"status":"OK","numberloadedrows":"5","TXNID":-1,"Extra":{"x":1}}"#)
            .unwrap();
    assert_eq!(lower.status, "OK");
    assert_eq!(lower.loaded_rows, 5);
    assert_eq!(lower.txn_id, Some(-1));
    assert_eq!(LoadResult::parse("[1,2]"), None);
    assert_eq!(LoadResult::parse(""), None);
}

#[test]
fn a_begin_answered_by_the_configured_address_itself_comes_from_a_be() {
    for (status, body, from_be) in [
        (200, BEGIN_OK, true),
        (
            200,
            r#"{"Status":"LABEL_ALREADY_EXISTS","Message":""}"#,
            true,
        ),
        (200, r#"{"Status":"ANALYSIS_ERROR","Message":"x"}"#, true),
        (200, r#"{"Status":"FAILED","Message":"x"}"#, false),
        (200, r#"{"status":"FAILED","msg":"x"}"#, false),
        (401, r#"{"status":"FAILED","msg":"x"}"#, false),
        (500, BEGIN_OK, false),
        (200, "", false),
    ] {
        assert_eq!(is_be_begin_answer(status, body), from_be, "{status} {body}");
    }
}

#[test]
fn label_states_decide_between_durable_prepared_open_and_absent() {
    for (state, expected) in [
        ("VISIBLE", LabelState::Durable),
        ("COMMITTED", LabelState::Durable),
        ("visible", LabelState::Durable),
        ("PREPARED", LabelState::Prepared),
        ("PREPARE", LabelState::Open),
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
