//! What `validate()` reports before a connector is created: every configuration problem on its
//! key (`SinkConfig::validate`), a topic-renaming transform the Connect runtime cannot support,
//! and what only StarRocks can tell — whether the FE answers, whether it accepts the
//! credentials, and whether the database and the tables that `topics` and
//! `starrocks.topic2table.map` name exist.
//!
//! The StarRocks checks ask the FE's table schema API (`GET /api/{db}/{table}/_schema`, one
//! read per table, in parallel) and finish within `connect.timeoutms` altogether. An FE that
//! does not answer is a warning in the log, not a problem: clusters are sometimes down when
//! connectors are created, and the tasks retry until it is back. Kafka Connect's validation
//! answer has no place for warnings (a message on a key refuses the configuration), so the
//! warning goes to the worker's log, naming the key. An answer the checks cannot interpret
//! (an older FE without the API, a user who may load but not read the schema) is a warning
//! too: validation refuses only what it knows is wrong.
//!
//! No message carries the password.

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use reqwest::StatusCode;

use crate::config::{keys, Semantic, SinkConfig};
use crate::query::{version_at_least, QueryClient};
use crate::runtime;
use crate::stream_load::client::StreamLoadClient;

/// Connect's own `topics` key: the topics a sink consumes.
const TOPICS: &str = "topics";
/// Connect's key listing the transforms' aliases.
const TRANSFORMS: &str = "transforms";

/// Transforms known to rename a record's topic: Kafka's, Debezium's and Confluent's routers.
/// A class name matches when it equals one of these or starts with one followed by `$` (the
/// `$Key`/`$Value` variants). Any other renaming transform is caught at its first record by
/// the sink (`sink::not_assigned`).
const RENAMING_TRANSFORMS: [&str; 8] = [
    "org.apache.kafka.connect.transforms.RegexRouter",
    "org.apache.kafka.connect.transforms.TimestampRouter",
    "io.debezium.transforms.ByLogicalTableRouter",
    "io.debezium.transforms.ContentBasedRouter",
    "io.debezium.transforms.outbox.EventRouter",
    "io.debezium.connector.mongodb.transforms.outbox.MongoEventRouter",
    "io.confluent.connect.transforms.ExtractTopic",
    "io.confluent.connect.transforms.MessageTimestampRouter",
];

/// What the Connect runtime offers the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runtime {
    /// `SinkRecord.originalTopic()` exists (Kafka Connect 3.6+): offsets can be committed for
    /// the topic a record was consumed from even after a transform renamed it.
    pub original_topics: bool,
}

/// Every problem of a connector configuration as `(key, message)`, in a stable order; empty
/// when the connector can be created. Checks StarRocks only when the configuration parses.
pub fn validate(props: &HashMap<String, String>, runtime: Runtime) -> Vec<(String, String)> {
    let parsed = SinkConfig::parse_all(props);
    let mut problems = parsed.as_ref().err().cloned().unwrap_or_default();
    problems.extend(renaming_transforms(props, runtime));
    let config = match parsed {
        Ok(config) if problems.is_empty() => config,
        _ => return problems,
    };
    let targets = if transforms_keep_topics(props) {
        tables_to_check(props, &config)
    } else {
        Vec::new()
    };
    let answers = ask_starrocks(&config, &targets);
    let verdict = judge(&config, &targets, &answers);
    for warning in &verdict.warnings {
        tracing::warn!("{warning}");
    }
    problems.extend(verdict.problems);
    if config.semantic == Semantic::ExactlyOnce {
        problems.extend(exactly_once_cluster(&config));
    }
    problems
}

/// Under exactly-once, asks an FE over the MySQL protocol (within `connect.timeoutms`) which
/// version it runs: before 4.0 there are no multi-table transactions, a problem on
/// `sink.semantic`. An FE that does not answer is a warning, as above.
fn exactly_once_cluster(config: &SinkConfig) -> Vec<(String, String)> {
    let query = QueryClient::new(config);
    let wait = config
        .connect_timeout
        .max(std::time::Duration::from_secs(1));
    let answer = runtime::handle().block_on(async move {
        tokio::time::timeout(wait, query.value("SELECT current_version()")).await
    });
    match answer {
        Ok(Ok(Some(version))) if !version_at_least(&version, 4, 0) => vec![(
            keys::SEMANTIC.to_owned(),
            format!(
                "exactly-once needs StarRocks 4.0 or newer (multi-table transactions); this \
                 cluster runs {version}. Use at-least-once, or upgrade StarRocks."
            ),
        )],
        Ok(Ok(_)) => Vec::new(),
        Ok(Err(e)) => {
            tracing::warn!(
                "Could not check the StarRocks version for {}=exactly-once over {}: {e}",
                keys::SEMANTIC,
                keys::QUERY_URL
            );
            Vec::new()
        }
        Err(_) => {
            tracing::warn!(
                "No FE answered over the MySQL protocol ({}: {}) within {} ms; the StarRocks \
                 version for {}=exactly-once was not checked.",
                keys::QUERY_URL,
                config.query_addrs.join(","),
                wait.as_millis(),
                keys::SEMANTIC
            );
            Vec::new()
        }
    }
}

/// On a runtime without original topics, a problem on `transforms` for each transform known to
/// rename topics.
pub fn renaming_transforms(
    props: &HashMap<String, String>,
    runtime: Runtime,
) -> Vec<(String, String)> {
    if runtime.original_topics {
        return Vec::new();
    }
    let Some(aliases) = props.get(TRANSFORMS) else {
        return Vec::new();
    };
    aliases
        .split(',')
        .map(str::trim)
        .filter(|alias| !alias.is_empty())
        .filter_map(|alias| {
            let class = props.get(&format!("{TRANSFORMS}.{alias}.type"))?.trim();
            renames_topics(class).then(|| {
                (
                    TRANSFORMS.to_owned(),
                    format!(
                        "The transform '{alias}' ({class}) renames topics, and this Kafka \
                         Connect (before 3.6) does not give a sink a record's original topic \
                         (SinkRecord.originalTopic()), so the sink could not commit offsets for \
                         the topics it consumes. Use Kafka Connect 3.6 or newer, or drop the \
                         transform and map topics to tables with {}.",
                        keys::TOPIC_TO_TABLE
                    ),
                )
            })
        })
        .collect()
}

/// Transform classes known to keep a record's topic: Kafka's own but for its two routers,
/// Debezium's record unwrapping and this connector's transforms. With any other transform, a
/// record's topic, and so its table, is known only when it arrives.
const TOPIC_KEEPING_TRANSFORMS: [&str; 4] = [
    "org.apache.kafka.connect.transforms.",
    "io.debezium.transforms.ExtractNewRecordState",
    "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
    "com.starrocks.connector.kafka.transforms.",
];

/// Whether every configured transform is known to keep the topic, so the tables `topics`
/// names are the tables records load into.
pub fn transforms_keep_topics(props: &HashMap<String, String>) -> bool {
    let aliases = props.get(TRANSFORMS).map(String::as_str).unwrap_or("");
    aliases
        .split(',')
        .map(str::trim)
        .filter(|alias| !alias.is_empty())
        .all(|alias| {
            let class = props
                .get(&format!("{TRANSFORMS}.{alias}.type"))
                .map(|c| c.trim())
                .unwrap_or("");
            !renames_topics(class)
                && TOPIC_KEEPING_TRANSFORMS.iter().any(|known| {
                    class == *known || (known.ends_with('.') && class.starts_with(known))
                })
        })
}

/// Whether `class` is one of the known topic routers (or a `$Key`/`$Value` variant of one).
fn renames_topics(class: &str) -> bool {
    RENAMING_TRANSFORMS.iter().any(|known| {
        class == *known
            || class
                .strip_prefix(known)
                .is_some_and(|r| r.starts_with('$'))
    })
}

/// A table to look up, with the key that named it and the topic it loads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub table: String,
    pub topic: String,
    pub key: &'static str,
}

/// The tables the listed `topics` load into, each once, with the key a missing table is
/// reported on: `starrocks.topic2table.map` when the map names it, else `topics`. Topics
/// chosen by `topics.regex` are not known before they arrive, so their tables are not checked;
/// nor are any when a transform may rename topics ([`transforms_keep_topics`]).
pub fn tables_to_check(props: &HashMap<String, String>, config: &SinkConfig) -> Vec<Target> {
    let mut targets: BTreeMap<String, Target> = BTreeMap::new();
    let topics = props.get(TOPICS).map(String::as_str).unwrap_or("");
    for topic in topics.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let key = if config.topic_to_table.contains_key(topic) {
            keys::TOPIC_TO_TABLE
        } else {
            TOPICS
        };
        targets
            .entry(config.table_for_topic(topic).to_owned())
            .or_insert_with(|| Target {
                table: config.table_for_topic(topic).to_owned(),
                topic: topic.to_owned(),
                key,
            });
    }
    targets.into_values().collect()
}

/// What the FE said about one table: its status and body, or why no FE answered.
pub type Answer = Result<(StatusCode, String), String>;

/// Asks the FEs about every target in parallel, all within `connect.timeoutms`; with no
/// target, asks about a table that cannot exist (the answer still tells whether the FE answers,
/// accepts the credentials and has the database). One answer per target, in order.
fn ask_starrocks(config: &SinkConfig, targets: &[Target]) -> Vec<Answer> {
    let client = match StreamLoadClient::new(config) {
        Ok(client) => Arc::new(client),
        Err(e) => return vec![Err(e.to_string())],
    };
    let wait = config.connect_timeout;
    let tables: Vec<String> = if targets.is_empty() {
        vec![PROBE_TABLE.to_owned()]
    } else {
        targets.iter().map(|t| t.table.clone()).collect()
    };
    let database = config.database.clone();
    runtime::handle().block_on(async move {
        let asks: Vec<_> = tables
            .into_iter()
            .map(|table| {
                let (client, database) = (Arc::clone(&client), database.clone());
                tokio::spawn(async move {
                    let ask = client.table_schema(&database, &table, wait);
                    tokio::time::timeout(wait, ask).await.unwrap_or_else(|_| {
                        Err(format!("no FE answered within {} ms", wait.as_millis()))
                    })
                })
            })
            .collect();
        let mut answers = Vec::with_capacity(asks.len());
        for ask in asks {
            answers.push(
                ask.await
                    .unwrap_or_else(|e| Err(format!("the check failed: {e}"))),
            );
        }
        answers
    })
}

/// The table name asked about when no table is named (`topics.regex`): a name nobody gives a
/// table, so the answer is about the database and the credentials.
const PROBE_TABLE: &str = "__starrocks_kafka_connector_validate__";

/// Problems to refuse the configuration with, and warnings to log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub problems: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

/// What one `_schema` answer says (see the emulator's `http::meta` and StarRocks'
/// `TableSchemaAction`: 200 with the columns; 404 `Database [db] does not exists` or
/// `Table [t] does not exists`; 401 for credentials, and for a missing SELECT privilege).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Exists,
    NoDatabase,
    NoTable,
    /// The FE refused the credentials; its message.
    Credentials(String),
    /// No FE answered; why.
    Unreachable(String),
    /// An answer these checks cannot judge (a privilege refusal, an FE without the API, a
    /// view); what it said.
    Unknown(String),
}

/// Classifies one answer (pure).
pub fn classify(answer: &Answer) -> Finding {
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(why) => return Finding::Unreachable(why.clone()),
    };
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let text = |field: &str| {
        json.as_ref()
            .and_then(|j| j.get(field))
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_owned()
    };
    match status.as_u16() {
        200 => Finding::Exists,
        404 if text("exception").starts_with("Database [") => Finding::NoDatabase,
        404 if text("exception").starts_with("Table [") => Finding::NoTable,
        401 => {
            let message = [text("msg"), text("message")]
                .into_iter()
                .find(|m| !m.is_empty())
                .unwrap_or_default();
            // Wrong credentials read `Access denied for <user>@<host>`; a missing privilege
            // reads `Access denied; you need ...` (2.5), `Access denied for user <identity>.
            // Please ask the admin ...` (3.3+) or nothing at all (3.2).
            if message.starts_with("Access denied for ") && !message.contains("Please ask") {
                Finding::Credentials(message)
            } else {
                Finding::Unknown(format!("HTTP 401: {}", or_body(&message, body)))
            }
        }
        code => Finding::Unknown(format!(
            "HTTP {code}: {}",
            or_body(&text("exception"), body)
        )),
    }
}

fn or_body<'a>(message: &'a str, body: &'a str) -> &'a str {
    if message.is_empty() {
        body.trim()
    } else {
        message
    }
}

/// Turns the FE's answers (one per target, or one for the database when there is no target)
/// into problems and warnings (pure). Each problem is reported once, on its own key.
pub fn judge(config: &SinkConfig, targets: &[Target], answers: &[Answer]) -> Verdict {
    let mut verdict = Verdict::default();
    let findings: Vec<Finding> = answers.iter().map(classify).collect();
    if let Some(why) = findings.iter().find_map(|f| match f {
        Finding::Unreachable(why) => Some(why),
        _ => None,
    }) {
        verdict.warnings.push(format!(
            "{}: StarRocks could not be checked: {why}. The connector can still be created; its \
             tasks retry until an FE answers.",
            keys::HTTP_URL
        ));
        return verdict;
    }
    if let Some(message) = findings.iter().find_map(|f| match f {
        Finding::Credentials(message) => Some(message),
        _ => None,
    }) {
        verdict.problems.push((
            keys::PASSWORD.to_owned(),
            format!(
                "StarRocks refused the credentials of user '{}' ({message}). Check {} and {}.",
                config.username,
                keys::USERNAME,
                keys::PASSWORD
            ),
        ));
        return verdict;
    }
    if findings.contains(&Finding::NoDatabase) {
        verdict.problems.push((
            keys::DATABASE.to_owned(),
            format!(
                "The database '{}' does not exist in StarRocks.",
                config.database
            ),
        ));
        return verdict;
    }
    for (target, finding) in targets.iter().zip(&findings) {
        match finding {
            // Created by the sink before its first load.
            Finding::NoTable if config.table_create => {}
            Finding::NoTable => verdict.problems.push((
                target.key.to_owned(),
                format!(
                    "The table '{}.{}', which topic '{}' loads into, does not exist in StarRocks.",
                    config.database, target.table, target.topic
                ),
            )),
            Finding::Unknown(what) => verdict.warnings.push(format!(
                "Whether the table '{}.{}' exists could not be checked: {what}",
                config.database, target.table
            )),
            _ => {}
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = [
            (keys::HTTP_URL, "127.0.0.1:8030"),
            (keys::DATABASE, "example_db"),
            (keys::USERNAME, "root"),
            (keys::PASSWORD, ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            map.insert(k.to_string(), v.to_string());
        }
        map
    }

    const OLD: Runtime = Runtime {
        original_topics: false,
    };
    const NEW: Runtime = Runtime {
        original_topics: true,
    };

    #[test]
    fn topic_renaming_transforms_are_refused_only_without_original_topics() {
        let p = props(&[
            ("transforms", "unwrap, rename ,ts,key"),
            (
                "transforms.unwrap.type",
                "io.debezium.transforms.ExtractNewRecordState",
            ),
            (
                "transforms.rename.type",
                "org.apache.kafka.connect.transforms.RegexRouter",
            ),
            (
                "transforms.ts.type",
                " org.apache.kafka.connect.transforms.TimestampRouter",
            ),
            (
                "transforms.key.type",
                "io.confluent.connect.transforms.ExtractTopic$Key",
            ),
        ]);
        let problems = renaming_transforms(&p, OLD);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().all(|(key, _)| key == "transforms"));
        assert!(problems[0]
            .1
            .contains("'rename' (org.apache.kafka.connect.transforms.RegexRouter)"));
        assert!(problems[0].1.contains("originalTopic"));
        assert!(problems[0].1.contains("3.6"));
        assert!(problems[0].1.contains("starrocks.topic2table.map"));
        assert!(renaming_transforms(&p, NEW).is_empty());
        // A class that merely shares a prefix is not a router.
        let p = props(&[
            ("transforms", "r"),
            (
                "transforms.r.type",
                "org.apache.kafka.connect.transforms.RegexRouterish",
            ),
        ]);
        assert!(renaming_transforms(&p, OLD).is_empty());
        assert!(renaming_transforms(&props(&[]), OLD).is_empty());
    }

    #[test]
    fn tables_are_checked_only_when_every_transform_keeps_the_topic() {
        let with = |class: &str| {
            props(&[
                ("transforms", "unwrap,t"),
                (
                    "transforms.unwrap.type",
                    "io.debezium.transforms.ExtractNewRecordState",
                ),
                ("transforms.t.type", class),
            ])
        };
        assert!(transforms_keep_topics(&props(&[])));
        assert!(transforms_keep_topics(&with(
            "org.apache.kafka.connect.transforms.InsertField$Value"
        )));
        assert!(transforms_keep_topics(&with(
            "com.starrocks.connector.kafka.transforms.AddOpFieldForDebeziumRecord"
        )));
        assert!(!transforms_keep_topics(&with(
            "org.apache.kafka.connect.transforms.RegexRouter"
        )));
        assert!(!transforms_keep_topics(&with("com.example.MyRouter")));
        assert!(!transforms_keep_topics(&with("")));
    }

    #[test]
    fn the_tables_to_check_come_from_topics_through_the_map_each_once() {
        let p = props(&[
            ("topics", "orders, test,mapped2 ,,"),
            (keys::TOPIC_TO_TABLE, "test:test_tbl,mapped2:test_tbl"),
        ]);
        let config = SinkConfig::from_map(&p).unwrap();
        let targets = tables_to_check(&p, &config);
        assert_eq!(
            targets,
            vec![
                Target {
                    table: "orders".into(),
                    topic: "orders".into(),
                    key: "topics"
                },
                Target {
                    table: "test_tbl".into(),
                    topic: "test".into(),
                    key: keys::TOPIC_TO_TABLE
                },
            ]
        );
        let regex = props(&[("topics.regex", "orders.*")]);
        assert!(tables_to_check(&regex, &SinkConfig::from_map(&regex).unwrap()).is_empty());
    }

    fn answer(status: u16, body: &str) -> Answer {
        Ok((StatusCode::from_u16(status).unwrap(), body.to_owned()))
    }

    #[test]
    fn each_schema_answer_is_classified_as_starrocks_writes_it() {
        let cases = [
            (answer(200, r#"{"properties":[],"status":200}"#), Finding::Exists),
            (
                answer(404, r#"{"exception":"Database [x] does not exists","status":404}"#),
                Finding::NoDatabase,
            ),
            (
                answer(404, r#"{"exception":"Table [t] does not exists","status":404}"#),
                Finding::NoTable,
            ),
            (
                answer(401, r#"{"status":"FAILED","code":"1","msg":"Access denied for root@10.0.0.1","message":"Access denied for root@10.0.0.1"}"#),
                Finding::Credentials("Access denied for root@10.0.0.1".into()),
            ),
            // 2.5 and 3.0-3.1 write `msg` alone.
            (
                answer(401, r#"{"status":"FAILED","msg":"Access denied for u@h"}"#),
                Finding::Credentials("Access denied for u@h".into()),
            ),
            // Missing privileges are not wrong credentials: 2.5, 3.2 (no message), 3.3+.
            (
                answer(401, r#"{"status":"FAILED","msg":"Access denied; you need (at least one of) the SELECT privilege(s) for this operation"}"#),
                Finding::Unknown("HTTP 401: Access denied; you need (at least one of) the SELECT privilege(s) for this operation".into()),
            ),
            (
                answer(401, r#"{"status":"FAILED","code":"1"}"#),
                Finding::Unknown(r#"HTTP 401: {"status":"FAILED","code":"1"}"#.into()),
            ),
            (
                answer(401, r#"{"msg":"Access denied for user 'u'@'%'. Please ask the admin to grant permission(s)"}"#),
                Finding::Unknown("HTTP 401: Access denied for user 'u'@'%'. Please ask the admin to grant permission(s)".into()),
            ),
            (
                answer(403, r#"{"exception":"Table [v] is not a OlapTable, only support OlapTable currently","status":403}"#),
                Finding::Unknown("HTTP 403: Table [v] is not a OlapTable, only support OlapTable currently".into()),
            ),
            (answer(404, "Not Found"), Finding::Unknown("HTTP 404: Not Found".into())),
            (Err("connection refused".into()), Finding::Unreachable("connection refused".into())),
        ];
        for (given, expected) in cases {
            assert_eq!(classify(&given), expected, "{given:?}");
        }
    }

    #[test]
    fn the_verdict_names_one_key_per_problem_and_only_warns_when_starrocks_is_away() {
        let p = props(&[("topics", "a,b"), (keys::TOPIC_TO_TABLE, "b:tb")]);
        let config = SinkConfig::from_map(&p).unwrap();
        let targets = tables_to_check(&p, &config);
        let missing = || {
            answer(
                404,
                r#"{"exception":"Table [x] does not exists","status":404}"#,
            )
        };
        let exists = || answer(200, "{}");

        let v = judge(&config, &targets, &[missing(), missing()]);
        assert_eq!(
            v.problems
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["topics", keys::TOPIC_TO_TABLE]
        );
        assert!(v.problems[1].1.contains("'example_db.tb'"), "{v:?}");
        assert!(v.problems[1].1.contains("topic 'b'"), "{v:?}");
        assert_eq!(
            judge(&config, &targets, &[exists(), exists()]),
            Verdict::default()
        );
        // A table the sink is to create may be missing.
        let mut creating = p.clone();
        creating.insert(keys::TABLE_CREATE.to_owned(), "true".to_owned());
        let creating = SinkConfig::from_map(&creating).unwrap();
        assert_eq!(
            judge(&creating, &targets, &[missing(), missing()]),
            Verdict::default()
        );

        let denied = || answer(401, r#"{"msg":"Access denied for root@1.2.3.4"}"#);
        let v = judge(&config, &targets, &[denied(), denied()]);
        assert_eq!(v.problems.len(), 1, "{v:?}");
        assert_eq!(v.problems[0].0, keys::PASSWORD);
        assert!(v.problems[0].1.contains("user 'root'"), "{v:?}");

        let no_db = || {
            answer(
                404,
                r#"{"exception":"Database [example_db] does not exists"}"#,
            )
        };
        let v = judge(&config, &targets, &[no_db(), no_db()]);
        assert_eq!(
            v.problems,
            [(
                keys::DATABASE.to_owned(),
                "The database 'example_db' does not exist in StarRocks.".to_owned()
            )]
        );

        let v = judge(
            &config,
            &targets,
            &[Err("refused".into()), Err("refused".into())],
        );
        assert!(v.problems.is_empty());
        assert!(v.warnings[0].starts_with("starrocks.http.url: "), "{v:?}");

        // Unknown answers warn about that table and refuse nothing.
        let v = judge(&config, &targets, &[exists(), answer(500, "")]);
        assert!(v.problems.is_empty());
        assert_eq!(v.warnings.len(), 1, "{v:?}");
    }

    #[test]
    fn no_message_carries_the_password() {
        let p = props(&[(keys::PASSWORD, "pw-9f3"), ("topics", "a")]);
        let config = SinkConfig::from_map(&p).unwrap();
        let targets = tables_to_check(&p, &config);
        for given in [
            answer(401, r#"{"msg":"Access denied for root@1.2.3.4"}"#),
            Err("no FE answered".into()),
            answer(404, r#"{"exception":"Table [a] does not exists"}"#),
        ] {
            let v = judge(&config, &targets, &[given]);
            let all = format!("{v:?}");
            assert!(!all.contains("pw-9f3"), "{all}");
        }
    }
}
