//! The core's one error type.
//!
//! Every fallible function in the core returns [`Result`]. An [`Error`] carries a private kind
//! that callers query through predicates (`is_config`, `is_retriable`, `is_fatal`, `is_data`)
//! rather than by matching, so kinds can be refined without breaking callers. The JNI crate maps
//! these predicates to Java exceptions in one place: config -> `ConfigException`, retriable ->
//! `RetriableException`, everything else -> `ConnectException`.
//!
//! Invariant: exactly one predicate is true for any error, and a configuration error always
//! names the offending key (see [`Error::key`]).

use std::fmt;

/// `std::result::Result` with the core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error raised by the core.
#[derive(Debug)]
pub struct Error {
    kind: Kind,
    message: String,
    source: Option<Source>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A configuration key is missing or has an invalid value.
    Config { key: String },
    /// A transient failure; the same work may succeed if tried again.
    Retriable,
    /// A permanent failure; retrying the same work cannot help.
    Fatal,
    /// A record whose content cannot be loaded; retrying it cannot help.
    Data,
}

impl Error {
    /// A configuration error for `key`. The message reads
    /// `Invalid value for configuration '<key>': <reason>`.
    pub fn config(key: &str, reason: impl Into<String>) -> Error {
        Error {
            kind: Kind::Config {
                key: key.to_owned(),
            },
            message: reason.into(),
            source: None,
        }
    }

    /// A transient failure (network, 5xx, timeouts, a label still running).
    pub fn retriable(message: impl Into<String>) -> Error {
        Error::new(Kind::Retriable, message)
    }

    /// A permanent failure (authentication, missing table, rejected data quality).
    pub fn fatal(message: impl Into<String>) -> Error {
        Error::new(Kind::Fatal, message)
    }

    /// A record whose data cannot be loaded (undecodable, unencodable). Not retriable.
    pub fn data(message: impl Into<String>) -> Error {
        Error::new(Kind::Data, message)
    }

    fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the lower-level error that caused this one; it is reported by
    /// [`std::error::Error::source`], not in `Display`.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// True for a missing or invalid configuration value.
    pub fn is_config(&self) -> bool {
        matches!(self.kind, Kind::Config { .. })
    }

    /// True when the same work may succeed if tried again.
    pub fn is_retriable(&self) -> bool {
        self.kind == Kind::Retriable
    }

    /// True for a permanent failure that is neither configuration nor record data.
    pub fn is_fatal(&self) -> bool {
        self.kind == Kind::Fatal
    }

    /// True for a record whose data cannot be loaded.
    pub fn is_data(&self) -> bool {
        self.kind == Kind::Data
    }

    /// The configuration key a configuration error is about; `None` for other kinds.
    pub fn key(&self) -> Option<&str> {
        match &self.kind {
            Kind::Config { key } => Some(key),
            _ => None,
        }
    }

    /// The message without the configuration prefix: for a configuration error, the reason.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Config { key } => {
                write!(
                    f,
                    "Invalid value for configuration '{key}': {}",
                    self.message
                )
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn predicates(e: &Error) -> [bool; 4] {
        [e.is_config(), e.is_retriable(), e.is_fatal(), e.is_data()]
    }

    #[test]
    fn exactly_one_predicate_holds_for_each_kind() {
        let cases = [
            (Error::config("k", "bad"), [true, false, false, false]),
            (Error::retriable("x"), [false, true, false, false]),
            (Error::fatal("x"), [false, false, true, false]),
            (Error::data("x"), [false, false, false, true]),
        ];
        for (error, expected) in cases {
            assert_eq!(predicates(&error), expected, "{error}");
        }
    }

    #[test]
    fn a_config_error_names_its_key_and_reason() {
        let e = Error::config("bufferflush.intervalms", "must be at least 1000, got 999");
        assert_eq!(
            e.to_string(),
            "Invalid value for configuration 'bufferflush.intervalms': must be at least 1000, got 999"
        );
        assert_eq!(e.key(), Some("bufferflush.intervalms"));
        assert_eq!(e.message(), "must be at least 1000, got 999");
    }

    #[test]
    fn other_kinds_display_their_message_and_have_no_key() {
        let e = Error::retriable("connection refused");
        assert_eq!(e.to_string(), "connection refused");
        assert_eq!(e.key(), None);
    }

    #[test]
    fn an_attached_source_is_reported_by_source_not_display() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = Error::retriable("stream load request failed").with_source(io);
        assert_eq!(e.to_string(), "stream load request failed");
        let source = std::error::Error::source(&e).expect("source attached");
        assert_eq!(source.to_string(), "reset by peer");
    }

    #[test]
    fn errors_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }
}
