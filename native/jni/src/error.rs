//! The one place errors and panics become Java exceptions.
//!
//! Every native method runs through [`entry`]: its body runs inside `EnvUnowned::with_env`,
//! which catches any panic, and the outcome is resolved by [`ThrowException`]. A core error
//! maps by its predicate — configuration -> `ConfigException`, retriable ->
//! `RetriableException`, anything else -> `ConnectException` — and a panic becomes a
//! `ConnectException` that names where the native code panicked. Nothing here aborts the JVM,
//! which hosts other connectors.
//!
//! Invariant: an exception already pending (thrown by a JNI call the body made) is never
//! replaced; the native method then returns its default value and Java sees that exception.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use jni::errors::ErrorPolicy;
use jni::strings::{JNIStr, JNIString};
use jni::{jni_str, Env, EnvUnowned};

const CONFIG_EXCEPTION: &JNIStr = jni_str!("org/apache/kafka/common/config/ConfigException");
const RETRIABLE_EXCEPTION: &JNIStr = jni_str!("org/apache/kafka/connect/errors/RetriableException");
const CONNECT_EXCEPTION: &JNIStr = jni_str!("org/apache/kafka/connect/errors/ConnectException");

/// Why a native call failed.
#[derive(Debug)]
pub enum Error {
    /// The core refused or failed the work.
    Core(starrocks_kafka_core::Error),
    /// The call itself was wrong: a stale handle, arrays of different lengths, a null.
    Call(String),
    /// A JNI call failed; usually a Java exception is pending and will be what Java sees.
    Jni(jni::errors::Error),
}

/// The result of a native method's body.
pub type Result<T> = std::result::Result<T, Error>;

impl From<starrocks_kafka_core::Error> for Error {
    fn from(e: starrocks_kafka_core::Error) -> Error {
        Error::Core(e)
    }
}

impl From<jni::errors::Error> for Error {
    fn from(e: jni::errors::Error) -> Error {
        Error::Jni(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Core(e) => {
                write!(f, "{e}")?;
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Error::Call(message) => f.write_str(message),
            Error::Jni(e) => write!(f, "A JNI call of the StarRocks sink failed: {e}"),
        }
    }
}

impl Error {
    /// The Java exception class this error is thrown as.
    fn exception_class(&self) -> &'static JNIStr {
        match self {
            Error::Core(e) if e.is_config() => CONFIG_EXCEPTION,
            Error::Core(e) if e.is_retriable() => RETRIABLE_EXCEPTION,
            _ => CONNECT_EXCEPTION,
        }
    }
}

/// Runs a native method's body: panics are caught, and an error or panic is thrown as the
/// matching Java exception while the method returns `T::default()` (0, null).
pub fn entry<'local, T, F>(env: &mut EnvUnowned<'local>, body: F) -> T
where
    T: Default + 'local,
    F: FnOnce(&mut Env<'local>) -> Result<T>,
{
    env.with_env(|env| {
        let _inside = Inside::enter();
        body(env)
    })
    .resolve::<ThrowException>()
}

/// The error policy of every native method (see the module doc).
pub struct ThrowException;

impl<T: Default> ErrorPolicy<T, Error> for ThrowException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        err: Error,
    ) -> jni::errors::Result<T> {
        throw(env, err.exception_class(), &err.to_string());
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        throw(env, CONNECT_EXCEPTION, &panic_message(payload));
        Ok(T::default())
    }
}

/// Throws `class` with `message` unless an exception is already pending.
fn throw(env: &mut Env<'_>, class: &JNIStr, message: &str) {
    if env.exception_check() {
        return;
    }
    // On failure the JVM has thrown something itself (OutOfMemoryError, NoClassDefFoundError),
    // which Java then sees instead.
    let _ = env.throw_new(class, JNIString::new(message));
}

/// The message of the exception a panic becomes, with where it happened when the hook saw it.
fn panic_message(payload: Box<dyn Any + Send + 'static>) -> String {
    let what = match payload.downcast::<&'static str>() {
        Ok(s) => (*s).to_string(),
        Err(payload) => match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(payload) => {
                // Dropping an unknown payload may itself panic; leak it rather than unwind.
                if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                    std::mem::forget(again);
                }
                "a panic without a message".to_string()
            }
        },
    };
    match LAST_PANIC.with(|last| last.borrow_mut().take()) {
        Some(location) => {
            format!("The StarRocks sink's native code panicked at {location}: {what}")
        }
        None => format!("The StarRocks sink's native code panicked: {what}"),
    }
}

thread_local! {
    /// Whether this thread is inside a native method (then a panic becomes an exception).
    static INSIDE: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic inside a native method on this thread happened.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Marks the current thread as inside a native method for its lifetime.
struct Inside {
    was: bool,
}

impl Inside {
    fn enter() -> Inside {
        Inside {
            was: INSIDE.with(|inside| inside.replace(true)),
        }
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.with(|inside| inside.set(self.was));
    }
}

/// Installs a panic hook that, inside a native method, notes where the panic happened for the
/// exception's message instead of printing it; elsewhere (the core's own threads) the previous
/// hook runs as before. Idempotent.
pub fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                LAST_PANIC.with(|last| *last.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use starrocks_kafka_core::Error as CoreError;

    #[test]
    fn each_kind_of_core_error_maps_to_its_connect_exception() {
        let cases = [
            (Error::Core(CoreError::config("k", "bad")), CONFIG_EXCEPTION),
            (
                Error::Core(CoreError::retriable("later")),
                RETRIABLE_EXCEPTION,
            ),
            (Error::Core(CoreError::fatal("never")), CONNECT_EXCEPTION),
            (Error::Core(CoreError::data("row")), CONNECT_EXCEPTION),
            (Error::Call("stale handle".into()), CONNECT_EXCEPTION),
            (
                Error::Jni(jni::errors::Error::JavaException),
                CONNECT_EXCEPTION,
            ),
        ];
        for (error, class) in cases {
            assert_eq!(error.exception_class(), class, "{error}");
        }
    }

    #[test]
    fn a_core_error_message_names_its_key_and_its_causes() {
        let config = Error::Core(CoreError::config("bufferflush.maxbytes", "too small"));
        assert_eq!(
            config.to_string(),
            "Invalid value for configuration 'bufferflush.maxbytes': too small"
        );
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let caused =
            Error::Core(CoreError::retriable("Stream Load request failed").with_source(io));
        assert_eq!(caused.to_string(), "Stream Load request failed: refused");
    }

    #[test]
    fn a_panic_inside_a_native_method_is_described_with_its_location() {
        install_panic_hook();
        let payload = {
            let _inside = Inside::enter();
            catch_unwind(|| panic!("boom {}", 42)).expect_err("it panics")
        };
        let message = panic_message(payload);
        assert!(
            message.starts_with(
                "The StarRocks sink's native code panicked at native/jni/src/error.rs:"
            ),
            "{message}"
        );
        assert!(message.ends_with(": boom 42"), "{message}");
        let bare = panic_message(Box::new("static"));
        assert_eq!(bare, "The StarRocks sink's native code panicked: static");
        assert!(!INSIDE.with(Cell::get), "leaving restores the flag");
    }
}
