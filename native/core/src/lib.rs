//! The Rust core of the StarRocks sink for Kafka Connect.
//!
//! All of the sink's logic lives here, free of JNI: the JNI crate only marshals Java calls
//! into this crate and maps its [`Error`] to Java exceptions. Pure decisions (configuration,
//! labels, ...) are plain functions over plain data; only the Stream Load client touches the
//! network.
//!
//! # Layout
//! - [`error`]: the one error type, [`Error`], with kind predicates (`is_config`,
//!   `is_retriable`, `is_fatal`, `is_data`).
//! - [`config`]: the connector's property map parsed and validated into [`SinkConfig`].
//! - [`label`]: Stream Load labels, unique to the running sink.
//! - [`log`]: `tracing` events queued for the shim to drain into the worker's log.
//! - [`record`]: Kafka Connect records, schemas and values as the core sees them, borrowed
//!   from the shim's batch buffer.
//! - [`decode`]: the shim's batch format (`docs/batch-format.md`) decoded into records by a
//!   per-session [`decode::Decoder`].
//! - [`buffer`]: a table's rows waiting for a load, in the Stream Load body layout, and the
//!   flush policy.
//! - [`table`]: one table's state: its buffer, its loads in order, its health, its partitions.
//! - [`pressure`]: which tables' partitions pause, so memory stays bounded without waiting.
//! - [`batch_writer`]: a writer of the batch format (the shim's put batches) for tests and
//!   benchmarks.
//! - [`offsets`]: durable offsets per original topic-partition.
//! - [`metrics`]: counters per table.
//! - [`runtime`]: the process-wide tokio runtime of the load workers.
//! - [`sink`]: [`sink::Sink`], the facade the JNI crate drives: open, put, pre_commit, close,
//!   stop; and its per-table load workers.
//! - [`encode`]: a record's value as Stream Load rows (JSON or CSV), logical types rendered
//!   for StarRocks columns.
//! - `words`: word-at-a-time tests over byte strings (JSON escapes, ASCII).
//! - [`stream_load`]: one load as a transaction Stream Load (FE 307s followed by hand, Basic
//!   auth re-sent to the BE), each answer classified in one place, retried under the same label
//!   by a pure policy.
//!
//! One word, one meaning: a *batch* is what the shim hands over in one `put`; a *buffer* holds
//! a table's rows until they are sealed into a *body*; a *load* sends one body under one
//! *label*.

pub mod batch_writer;
pub mod buffer;
pub mod config;
pub mod ddl;
pub mod decode;
pub mod encode;
pub mod error;
pub mod label;
pub mod log;
pub mod metrics;
pub mod offsets;
pub mod pressure;
pub mod progress;
pub mod query;
pub mod record;
pub mod runtime;
pub mod sink;
pub mod stream_load;
pub mod table;
pub mod validate;
mod words;

pub use config::SinkConfig;
pub use error::{Error, Result};
