//! The natives of `com.starrocks.connector.kafka.internal.NativeSink` (`docs/jni.md`).
//!
//! Each export is a shell: it marshals its Java arguments, calls one safe function below that
//! returns a `Result`, and marshals the answer back; [`entry`] catches panics and throws errors.
//! Only handles, strings and primitive arrays cross. No Java method is ever called, and nothing
//! native is touched from any thread but the calling one.
//!
//! Invariant: the batch a `put` reads is copied once, from the caller's `byte[]` straight into
//! the core's intake buffer (`GetByteArrayRegion`); nothing keeps a pointer into Java's heap.

use std::collections::HashMap;

use jni::objects::{JByteArray, JClass, JIntArray, JLongArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jbyteArray, jint, jlong, jobjectArray, jstring};
use jni::{Env, EnvUnowned};
use starrocks_kafka_core::config::Valid;
use starrocks_kafka_core::log;
use starrocks_kafka_core::offsets::TopicPartition;
use starrocks_kafka_core::sink::Sink;
use starrocks_kafka_core::validate::Runtime;

use crate::error::{entry, Error, Result};
use crate::{handle, reply};

// ----- the safe functions -----

/// Every problem of a connector config, as `[key, message]` pairs flattened.
fn validate(props: &HashMap<String, String>, runtime: Runtime) -> Vec<String> {
    log::install();
    starrocks_kafka_core::validate::validate(props, runtime)
        .into_iter()
        .flat_map(|(key, message)| [key, message])
        .collect()
}

/// Every key the core reads with a default, flattened as `[key, default, valid, ...]`, where
/// `valid` is `range:<min>:<max>`, `one-of:<a>,<b>,...` or `non-empty`.
fn config_keys() -> Vec<String> {
    starrocks_kafka_core::config::declared()
        .into_iter()
        .flat_map(|d| {
            let valid = match d.valid {
                Valid::Range(min, max) => format!("range:{min}:{max}"),
                Valid::OneOf(options) => format!("one-of:{}", options.join(",")),
                Valid::NonEmpty => "non-empty".to_owned(),
            };
            [d.key.to_owned(), d.default, valid]
        })
        .collect()
}

/// Starts a sink and registers it; the first start installs the log queue.
fn start(props: &HashMap<String, String>, connector: &str, task: &str) -> Result<i64> {
    log::install();
    let sink = Sink::start(props, connector, task)?;
    Ok(handle::insert(sink))
}

/// Opens partitions; returns those to resume.
fn open(h: i64, partitions: &[TopicPartition]) -> Result<Vec<u8>> {
    let resume = handle::get(h)?.open(partitions)?;
    reply::partitions(&resume)
}

/// Submits the first `length` bytes of `batch`; returns the reply to the batches taken in
/// before (`Sink::submit`), `None` when nothing was rejected and nothing is to pause or resume.
fn put(env: &Env<'_>, h: i64, batch: &JByteArray<'_>, length: jint) -> Result<Option<Vec<u8>>> {
    if batch.is_null() {
        return Err(Error::Call("The batch is null.".into()));
    }
    let capacity = batch.len(env)?;
    let length = usize::try_from(length)
        .ok()
        .filter(|&l| l <= capacity)
        .ok_or_else(|| {
            Error::Call(format!(
                "The batch length {length} is outside the array's {capacity} bytes."
            ))
        })?;
    let reply = handle::get(h)?.submit_with(length, |copy| {
        // SAFETY: `i8` and `u8` have the same size and alignment, and every bit pattern is
        // valid for both; the slice covers exactly `copy`'s bytes and lives only for the call.
        let as_jbytes =
            unsafe { std::slice::from_raw_parts_mut(copy.as_mut_ptr().cast::<i8>(), copy.len()) };
        batch.get_region(env, 0, as_jbytes).map_err(|e| {
            starrocks_kafka_core::Error::fatal(format!("Could not copy the batch from Java: {e}"))
        })
    })?;
    reply::put(&reply)
}

fn pre_commit(h: i64, consumed: &[(TopicPartition, i64)]) -> Result<Vec<u8>> {
    let offsets = handle::get(h)?.pre_commit(consumed)?;
    reply::offsets(&offsets)
}

fn close(h: i64, partitions: &[TopicPartition]) -> Result<()> {
    Ok(handle::get(h)?.close(partitions)?)
}

/// Stops and unregisters a sink; a handle already stopped is a no-op.
fn stop(h: i64) {
    if let Some(sink) = handle::remove(h) {
        sink.stop();
    }
}

/// The keys the sink reads of a record value that holds the first; `None` for any.
fn value_keys(h: i64) -> Result<Option<Vec<String>>> {
    let keys = handle::get(h)?.value_keys();
    Ok(keys.map(|keys| keys.iter().map(|&k| k.to_owned()).collect()))
}

fn metrics(h: i64) -> Result<String> {
    Ok(handle::get(h)?.metrics())
}

fn drain_logs() -> Result<Vec<u8>> {
    reply::log_events(&log::drain())
}

// ----- marshalling -----

/// A Java `String` (not null) as a Rust `String`.
fn string(env: &Env<'_>, s: &JString<'_>, what: &str) -> Result<String> {
    if s.is_null() {
        return Err(Error::Call(format!("The {what} is null.")));
    }
    Ok(s.try_to_string(env)?)
}

/// The elements of a Java `String[]` (neither it nor any element null).
fn strings(
    env: &mut Env<'_>,
    array: &JObjectArray<'_, JString<'_>>,
    what: &str,
) -> Result<Vec<String>> {
    if array.is_null() {
        return Err(Error::Call(format!("The {what} array is null.")));
    }
    let n = array.len(env)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let element = array.get_element(env, i)?;
        let value = string(env, &element, what);
        env.delete_local_ref(element);
        out.push(value?);
    }
    Ok(out)
}

/// A config given as parallel `keys` and `values` arrays.
fn string_map(
    env: &mut Env<'_>,
    keys: &JObjectArray<'_, JString<'_>>,
    values: &JObjectArray<'_, JString<'_>>,
) -> Result<HashMap<String, String>> {
    let keys = strings(env, keys, "config key")?;
    let values = strings(env, values, "config value")?;
    if keys.len() != values.len() {
        return Err(Error::Call(format!(
            "The config has {} keys but {} values.",
            keys.len(),
            values.len()
        )));
    }
    Ok(keys.into_iter().zip(values).collect())
}

/// Topic-partitions given as parallel `topics` and `partitions` arrays.
fn topic_partitions(
    env: &mut Env<'_>,
    topics: &JObjectArray<'_, JString<'_>>,
    partitions: &JIntArray<'_>,
) -> Result<Vec<TopicPartition>> {
    let topics = strings(env, topics, "topic")?;
    if partitions.is_null() {
        return Err(Error::Call("The partitions array is null.".into()));
    }
    let mut numbers = vec![0; partitions.len(env)?];
    partitions.get_region(env, 0, &mut numbers)?;
    if topics.len() != numbers.len() {
        return Err(Error::Call(format!(
            "{} topics were given with {} partitions.",
            topics.len(),
            numbers.len()
        )));
    }
    Ok(topics
        .iter()
        .zip(numbers)
        .map(|(topic, partition)| TopicPartition::new(topic, partition))
        .collect())
}

/// A Java `String[]` of `items`.
fn string_array<'local>(env: &mut Env<'local>, items: &[String]) -> Result<JObject<'local>> {
    let array = JObjectArray::<JString>::new(env, items.len(), JString::null())?;
    for (i, item) in items.iter().enumerate() {
        let s = env.new_string(item)?;
        array.set_element(env, i, &s)?;
        env.delete_local_ref(s);
    }
    Ok(array.into())
}

/// A Java `byte[]` of `bytes`.
fn byte_array<'local>(env: &mut Env<'local>, bytes: &[u8]) -> Result<JObject<'local>> {
    Ok(env.byte_array_from_slice(bytes)?.into())
}

// ----- the exports -----

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_validate<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    keys: JObjectArray<'local, JString<'local>>,
    values: JObjectArray<'local, JString<'local>>,
    original_topics: jboolean,
) -> jobjectArray {
    entry(&mut env, |env| {
        let props = string_map(env, &keys, &values)?;
        let runtime = Runtime { original_topics };
        string_array(env, &validate(&props, runtime))
    })
    .into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_resetProgress<
    'local,
>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    keys: JObjectArray<'local, JString<'local>>,
    values: JObjectArray<'local, JString<'local>>,
    connector: JString<'local>,
    topics: JObjectArray<'local, JString<'local>>,
    partitions: JIntArray<'local>,
) {
    entry(&mut env, |env| {
        log::install();
        let props = string_map(env, &keys, &values)?;
        let connector = string(env, &connector, "connector name")?;
        let partitions = topic_partitions(env, &topics, &partitions)?;
        Ok(starrocks_kafka_core::sink::reset_progress(
            &props,
            &connector,
            &partitions,
        )?)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_configKeys<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> jobjectArray {
    entry(&mut env, |env| string_array(env, &config_keys())).into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_start<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    keys: JObjectArray<'local, JString<'local>>,
    values: JObjectArray<'local, JString<'local>>,
    connector: JString<'local>,
    task: JString<'local>,
) -> jlong {
    entry(&mut env, |env| {
        let props = string_map(env, &keys, &values)?;
        let connector = string(env, &connector, "connector name")?;
        let task = string(env, &task, "task id")?;
        start(&props, &connector, &task)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_open<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
    topics: JObjectArray<'local, JString<'local>>,
    partitions: JIntArray<'local>,
) -> jbyteArray {
    entry(&mut env, |env| {
        let partitions = topic_partitions(env, &topics, &partitions)?;
        let resume = open(h, &partitions)?;
        byte_array(env, &resume)
    })
    .into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_put<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
    batch: JByteArray<'local>,
    length: jint,
) -> jbyteArray {
    entry(&mut env, |env| match put(env, h, &batch, length)? {
        Some(reply) => byte_array(env, &reply),
        None => Ok(JObject::null()),
    })
    .into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_preCommit<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
    topics: JObjectArray<'local, JString<'local>>,
    partitions: JIntArray<'local>,
    offsets: JLongArray<'local>,
) -> jbyteArray {
    entry(&mut env, |env| {
        let partitions = topic_partitions(env, &topics, &partitions)?;
        if offsets.is_null() {
            return Err(Error::Call("The offsets array is null.".into()));
        }
        let mut positions = vec![0i64; offsets.len(env)?];
        offsets.get_region(env, 0, &mut positions)?;
        if positions.len() != partitions.len() {
            return Err(Error::Call(format!(
                "{} partitions were given with {} offsets.",
                partitions.len(),
                positions.len()
            )));
        }
        let consumed: Vec<(TopicPartition, i64)> = partitions.into_iter().zip(positions).collect();
        let offsets = pre_commit(h, &consumed)?;
        byte_array(env, &offsets)
    })
    .into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_close<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
    topics: JObjectArray<'local, JString<'local>>,
    partitions: JIntArray<'local>,
) {
    entry(&mut env, |env| {
        let partitions = topic_partitions(env, &topics, &partitions)?;
        close(h, &partitions)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_stop<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
) {
    entry(&mut env, |_env| {
        stop(h);
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_valueKeys<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
) -> jobjectArray {
    entry(&mut env, |env| match value_keys(h)? {
        Some(keys) => string_array(env, &keys),
        None => Ok(JObject::null()),
    })
    .into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_metrics<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    h: jlong,
) -> jstring {
    entry(&mut env, |env| {
        let text = metrics(h)?;
        Ok(JObject::from(env.new_string(text)?))
    })
    .into_raw()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_drainLogs<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> jbyteArray {
    entry(&mut env, |env| {
        let events = drain_logs()?;
        byte_array(env, &events)
    })
    .into_raw()
}

/// Test hook (`docs/jni.md`): panics with `message`, to prove a panic becomes an exception.
#[unsafe(no_mangle)]
pub extern "system" fn Java_com_starrocks_connector_kafka_internal_NativeSink_panicForTest<
    'local,
>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    message: JString<'local>,
) {
    entry(&mut env, |env| -> Result<()> {
        let message = string(env, &message, "panic message")?;
        panic!("{message}");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_flattens_each_problem_into_its_key_and_message() {
        let props: HashMap<String, String> = [
            ("starrocks.http.url", "127.0.0.1:8030"),
            ("starrocks.database.name", "db"),
            ("starrocks.username", "root"),
            ("starrocks.password", ""),
            ("bufferflush.maxbytes", "12"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let problems = validate(
            &props,
            Runtime {
                original_topics: true,
            },
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], "bufferflush.maxbytes");
    }

    #[test]
    fn config_keys_come_in_threes_with_their_valid_values() {
        let keys = config_keys();
        assert_eq!(keys.len() % 3, 0);
        let at = keys.iter().position(|k| k == "sink.table.failure").unwrap();
        assert_eq!(keys[at + 1], "retry");
        assert_eq!(keys[at + 2], "one-of:retry,fail");
        let at = keys
            .iter()
            .position(|k| k == "bufferflush.intervalms")
            .unwrap();
        assert_eq!(keys[at + 2], "range:1000:3600000");
    }

    #[test]
    fn a_stale_handle_is_an_error_and_stopping_it_is_a_no_op() {
        stop(i64::MAX);
        let e = pre_commit(i64::MAX, &[]).expect_err("no such sink");
        assert!(
            e.to_string().contains("does not name a running sink"),
            "{e}"
        );
    }
}
