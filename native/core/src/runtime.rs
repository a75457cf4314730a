//! The core's own tokio runtime, shared by every sink in the process.
//!
//! Load workers and interval flushes run here, never on the JVM's threads. One runtime for the
//! whole library keeps the thread count fixed however often tasks start and stop; its threads
//! are named so they are recognisable in a worker's thread dump.

use once_cell::sync::Lazy;
use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().clamp(2, 4))
        .unwrap_or(2);
    Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("starrocks-sink")
        .enable_all()
        .build()
        .expect("the core's runtime starts (threads and a timer are all it needs)")
});

/// A handle to the shared runtime.
pub fn handle() -> Handle {
    RUNTIME.handle().clone()
}
