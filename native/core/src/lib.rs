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
//! - [`record`]: Kafka Connect records, schemas and values as the core sees them, borrowed
//!   from the shim's batch buffer.
//! - [`decode`]: the shim's batch format (`docs/batch-format.md`) decoded into records by a
//!   per-session [`decode::Decoder`].
//! - [`encode`]: a record's value as Stream Load rows (JSON or CSV), logical types rendered
//!   for StarRocks columns.

pub mod config;
pub mod decode;
pub mod encode;
pub mod error;
pub mod label;
pub mod record;

pub use config::SinkConfig;
pub use error::{Error, Result};
