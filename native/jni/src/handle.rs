//! The `long` handles Java holds for running sinks.
//!
//! A handle is a key into a process-wide registry, never a pointer: a stale, forged or
//! already-stopped handle is a clean `ConnectException`, not undefined behaviour. Each call
//! works on its own `Arc` clone of the sink, so [`remove`] while a call is in flight is safe:
//! the sink is stopped at once (the call in flight sees that and returns) and freed exactly
//! once, when the last clone goes.
//!
//! Invariant: handle numbers are never reused within a process, and 0 is never a handle (the
//! shim's "not started").

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use once_cell::sync::Lazy;
use starrocks_kafka_core::sink::Sink;

use crate::error::{Error, Result};

static SINKS: Lazy<Mutex<HashMap<i64, Arc<Sink>>>> = Lazy::new(|| Mutex::new(HashMap::new()));
static NEXT: AtomicI64 = AtomicI64::new(1);

fn sinks() -> MutexGuard<'static, HashMap<i64, Arc<Sink>>> {
    // The map is consistent after any panic: every operation on it is a single insert/remove.
    SINKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a started sink; returns its new handle.
pub fn insert(sink: Sink) -> i64 {
    let handle = NEXT.fetch_add(1, Ordering::Relaxed);
    sinks().insert(handle, Arc::new(sink));
    handle
}

/// The sink of `handle`, for the duration of one call.
pub fn get(handle: i64) -> Result<Arc<Sink>> {
    sinks().get(&handle).cloned().ok_or_else(|| {
        Error::Call(format!(
            "The StarRocks sink handle {handle} does not name a running sink: it was stopped or \
             never started."
        ))
    })
}

/// Takes the sink of `handle` out of the registry; `None` if it is not there (any more).
pub fn remove(handle: i64) -> Option<Arc<Sink>> {
    sinks().remove(&handle)
}

/// How many sinks are registered.
pub fn count() -> usize {
    sinks().len()
}
