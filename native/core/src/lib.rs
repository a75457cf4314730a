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
//! - [`label`]: deterministic Stream Load labels and body digests.
//! - [`log`]: `tracing` events queued for the shim to drain into the worker's log.
//! - [`record`]: Kafka Connect records, schemas and values as the core sees them, borrowed
//!   from the shim's batch buffer.
//! - [`decode`]: the shim's batch format (`docs/batch-format.md`) decoded into records by a
//!   per-session [`decode::Decoder`].
//! - [`batch`]: per-table buffers in their Stream Load body layout, and the flush policy.
//! - [`batch_writer`]: a writer of the batch format for tests and benchmarks.
//! - [`offsets`]: durable offsets per original topic-partition.
//! - [`metrics`]: counters per table.
//! - [`runtime`]: the process-wide tokio runtime of the load workers.
//! - [`sink`]: [`sink::Sink`], the facade the JNI crate drives: open, put, pre_commit, close, stop.
//! - [`encode`]: a record's value as Stream Load rows (JSON or CSV), logical types rendered
//!   for StarRocks columns.
//! - [`stream_load`]: one Stream Load (FE 307 followed by hand, Basic auth re-sent to the BE),
//!   its answer classified in one place, and retries under the same label.

pub mod batch;
pub mod batch_writer;
pub mod config;
pub mod decode;
pub mod encode;
pub mod error;
pub mod label;
pub mod log;
pub mod metrics;
pub mod offsets;
pub mod record;
pub mod runtime;
pub mod sink;
pub mod stream_load;

pub use config::SinkConfig;
pub use error::{Error, Result};
