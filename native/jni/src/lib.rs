//! The JNI bridge of the StarRocks sink: `libstarrocks_kafka_jni`, loaded by the Java shim.
//!
//! This crate only marshals. Every decision is the core's (`starrocks-kafka-core`); here Java
//! arguments become Rust values, core results become Java values or exceptions, and the core's
//! log events become bytes the shim logs. The surface is `docs/jni.md`. The library never calls
//! into Java and never touches the JVM from the core's own threads, so it needs no cached
//! classes, no attached threads and no class loader (a plugin's classes are invisible from a
//! native thread).
//!
//! # Layout
//! - [`error`]: the one place errors and panics become Java exceptions; [`error::entry`] runs
//!   every native method's body.
//! - [`handle`]: the registry behind the `long` handles Java holds.
//! - [`reply`]: the byte layouts of the replies (offsets, rejected records, log events).
//! - [`native_sink`]: the natives of `com.starrocks.connector.kafka.internal.NativeSink`.

pub mod error;
pub mod handle;
pub mod native_sink;
pub mod reply;

use std::ffi::c_void;

use jni::sys::{jint, JavaVM, JNI_VERSION_1_8};

/// Runs when the JVM loads this library (once per loaded copy): installs the panic hook that
/// lets a panic's exception name where it happened.
#[unsafe(no_mangle)]
pub extern "system" fn JNI_OnLoad(_vm: *mut JavaVM, _reserved: *mut c_void) -> jint {
    // A failure to install the hook only makes panic messages less precise.
    let _ = std::panic::catch_unwind(error::install_panic_hook);
    JNI_VERSION_1_8
}
