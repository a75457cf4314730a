//! The core's logs, queued for the JVM to collect.
//!
//! The core never calls into Java from its own threads (a native thread cannot see the plugin's
//! classes), so a `tracing` layer, [`QueueLayer`], turns every event into a [`LogEvent`] in a
//! bounded process-wide queue, and the shim drains it ([`drain`]) after each native call and
//! logs through slf4j. Each event carries the connector and task of the nearest enclosing span
//! that names them — the sink's `sink` span — and its message followed by its other fields as
//! ` key=value` pairs.
//!
//! Invariants: the queue never holds more than [`CAPACITY`] events; when it is full the oldest
//! event is dropped and counted, and the next drain reports the count as one WARN event before
//! the rest. A field whose name contains `password` is written as `[hidden]`, whatever its
//! value (the core never logs the password; this is the second lock on that door).

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, Once};

use once_cell::sync::Lazy;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Events the global queue holds between two drains.
pub const CAPACITY: usize = 10_000;
/// Environment variable overriding the INFO default, in `EnvFilter` syntax
/// (e.g. `starrocks_kafka_core=debug`).
pub const FILTER_ENV: &str = "STARROCKS_SINK_LOG";

/// One log event, as `drainLogs` hands it to the shim (`docs/jni.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// 1 ERROR, 2 WARN, 3 INFO, 4 DEBUG, 5 TRACE.
    pub level: u8,
    /// The connector of the enclosing sink span; empty outside one.
    pub connector: String,
    /// The task of the enclosing sink span; empty outside one.
    pub task: String,
    /// The event's message, then its other fields as ` key=value`.
    pub message: String,
}

/// The numeric level of `docs/jni.md`: 1 ERROR … 5 TRACE.
pub fn level_code(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// A bounded queue of events that drops the oldest when full, counting what it dropped.
pub struct LogQueue {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    events: VecDeque<LogEvent>,
    dropped: u64,
}

impl LogQueue {
    /// An empty queue holding at most `capacity` events.
    pub fn new(capacity: usize) -> LogQueue {
        LogQueue {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn push(&self, event: LogEvent) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.events.len() >= self.capacity {
            inner.events.pop_front();
            inner.dropped += 1;
        }
        inner.events.push_back(event);
    }

    /// Takes every queued event, oldest first, preceded by one WARN event counting the events
    /// dropped since the last drain, if any were.
    pub fn drain(&self) -> Vec<LogEvent> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let dropped = std::mem::take(&mut inner.dropped);
        let mut events = Vec::with_capacity(inner.events.len() + 1);
        if dropped > 0 {
            events.push(LogEvent {
                level: 2,
                connector: String::new(),
                task: String::new(),
                message: format!(
                    "Log events of the StarRocks sink were dropped: more than {} arrived \
                     between two drains. dropped={dropped}",
                    self.capacity
                ),
            });
        }
        events.extend(inner.events.drain(..));
        events
    }
}

static QUEUE: Lazy<Arc<LogQueue>> = Lazy::new(|| Arc::new(LogQueue::new(CAPACITY)));
static INSTALL: Once = Once::new();

/// Makes the queue layer the process's global `tracing` subscriber, filtered at INFO unless
/// [`FILTER_ENV`] says otherwise. Idempotent; if another subscriber was installed first, that
/// one stays and the queue receives nothing.
pub fn install() {
    INSTALL.call_once(|| {
        let configured = std::env::var(FILTER_ENV).ok();
        let (filter, invalid) = match configured.as_deref().map(EnvFilter::try_new) {
            None => (EnvFilter::new("info"), None),
            Some(Ok(filter)) => (filter, None),
            Some(Err(e)) => (EnvFilter::new("info"), Some(e)),
        };
        let subscriber = Registry::default()
            .with(filter)
            .with(QueueLayer::new(Arc::clone(&QUEUE)));
        if tracing::subscriber::set_global_default(subscriber).is_ok() {
            if let Some(e) = invalid {
                tracing::warn!(
                    variable = FILTER_ENV,
                    error = %e,
                    "The log filter is not valid; logging at INFO."
                );
            }
        }
    });
}

/// Takes the events logged since the last call (see [`LogQueue::drain`]).
pub fn drain() -> Vec<LogEvent> {
    QUEUE.drain()
}

/// A `tracing` layer that queues every event it sees as a [`LogEvent`].
pub struct QueueLayer {
    queue: Arc<LogQueue>,
}

impl QueueLayer {
    /// A layer writing into `queue`.
    pub fn new(queue: Arc<LogQueue>) -> QueueLayer {
        QueueLayer { queue }
    }
}

/// The connector and task a span names, kept in its extensions.
#[derive(Default)]
struct SinkContext {
    connector: Option<String>,
    task: Option<String>,
}

impl SinkContext {
    fn is_empty(&self) -> bool {
        self.connector.is_none() && self.task.is_none()
    }
}

impl Visit for SinkContext {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "connector" => self.connector = Some(value.to_string()),
            "task" => self.task = Some(value.to_string()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "connector" | "task" => self.record_str(field, &format!("{value:?}")),
            _ => {}
        }
    }
}

impl<S> Layer<S> for QueueLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut context = SinkContext::default();
        attrs.record(&mut context);
        if context.is_empty() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(context);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SinkContext>() {
            Some(context) => values.record(context),
            None => {
                let mut context = SinkContext::default();
                values.record(&mut context);
                if !context.is_empty() {
                    extensions.insert(context);
                }
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let (mut connector, mut task) = (String::new(), String::new());
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope {
                if let Some(context) = span.extensions().get::<SinkContext>() {
                    connector = context.connector.clone().unwrap_or_default();
                    task = context.task.clone().unwrap_or_default();
                    break;
                }
            }
        }
        let mut message = MessageWriter::default();
        event.record(&mut message);
        self.queue.push(LogEvent {
            level: level_code(event.metadata().level()),
            connector,
            task,
            message: message.finish(),
        });
    }
}

/// Writes an event's message, then its other fields as ` key=value`.
#[derive(Default)]
struct MessageWriter {
    message: String,
    fields: String,
}

impl MessageWriter {
    fn finish(mut self) -> String {
        if self.message.is_empty() {
            // An event without a message: its fields alone, without the leading space.
            return self.fields.split_off(self.fields.len().min(1));
        }
        self.message.push_str(&self.fields);
        self.message
    }

    /// Starts ` key=` and says whether the value may be written (it is not a secret).
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        let _ = write!(self.fields, " {name}=");
        if name.to_ascii_lowercase().contains("password") {
            self.fields.push_str("[hidden]");
            return false;
        }
        true
    }
}

impl Visit for MessageWriter {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else if self.key(field) {
            // Quoted, as `tracing`'s own formatter writes strings, so values with spaces stay
            // one value.
            let _ = write!(self.fields, "{value:?}");
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.key(field) {
            let _ = write!(self.fields, "{value}");
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else if field.name().starts_with("log.") {
            // `log` crate metadata carried by tracing-log; not part of the message.
        } else if self.key(field) {
            let _ = write!(self.fields, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` with a subscriber whose layer writes into a fresh queue of `capacity`.
    fn capture(capacity: usize, f: impl FnOnce()) -> Vec<LogEvent> {
        let queue = Arc::new(LogQueue::new(capacity));
        let subscriber = Registry::default().with(QueueLayer::new(Arc::clone(&queue)));
        tracing::subscriber::with_default(subscriber, f);
        queue.drain()
    }

    fn event(level: u8, connector: &str, task: &str, message: &str) -> LogEvent {
        LogEvent {
            level,
            connector: connector.into(),
            task: task.into(),
            message: message.into(),
        }
    }

    #[test]
    fn an_event_in_the_sink_span_is_named_by_its_connector_and_task() {
        let events = capture(10, || {
            let span = tracing::info_span!("sink", connector = "orders", task = "3");
            span.in_scope(|| tracing::info!("StarRocks sink started."));
            tracing::warn!(parent: &span, "Through an explicit parent.");
            let inner = span.in_scope(|| tracing::debug_span!("load", table = "t"));
            inner.in_scope(|| tracing::error!("From a child span."));
        });
        assert_eq!(
            events,
            vec![
                event(3, "orders", "3", "StarRocks sink started."),
                event(2, "orders", "3", "Through an explicit parent."),
                event(1, "orders", "3", "From a child span."),
            ]
        );
    }

    #[test]
    fn an_event_outside_any_sink_span_names_no_connector() {
        let events = capture(10, || {
            tracing::trace_span!("other", table = "t")
                .in_scope(|| tracing::trace!("Nothing to name."))
        });
        assert_eq!(events, vec![event(5, "", "", "Nothing to name.")]);
    }

    #[test]
    fn fields_follow_the_message_as_key_value_pairs() {
        let error = std::io::Error::other("connection refused");
        let events = capture(10, || {
            tracing::warn!(
                attempt = 2,
                table = "test_tbl",
                reason = %"label RUNNING",
                urls = ?["127.0.0.1:8030"],
                error = &error as &(dyn std::error::Error + 'static),
                "Retrying a Stream Load with the same label."
            );
            tracing::info!(rows = 3);
        });
        assert_eq!(
            events[0].message,
            "Retrying a Stream Load with the same label. attempt=2 table=\"test_tbl\" \
             reason=label RUNNING urls=[\"127.0.0.1:8030\"] error=connection refused"
        );
        assert_eq!(events[1].message, "rows=3");
    }

    #[test]
    fn a_field_named_like_a_password_is_hidden() {
        let events = capture(10, || {
            tracing::info!(
                password = "s3cr3t",
                starrocks_password = %"s3cr3t",
                "Should never happen."
            )
        });
        assert_eq!(
            events[0].message,
            "Should never happen. password=[hidden] starrocks_password=[hidden]"
        );
    }

    #[test]
    fn the_levels_are_numbered_from_error_to_trace() {
        let levels: Vec<u8> = [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ]
        .iter()
        .map(level_code)
        .collect();
        assert_eq!(levels, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_reports_the_count_once() {
        let queue = Arc::new(LogQueue::new(3));
        let subscriber = Registry::default().with(QueueLayer::new(Arc::clone(&queue)));
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..5 {
                tracing::info!("event {i}");
            }
        });
        let events = queue.drain();
        let messages: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(events[0].level, 2);
        assert!(messages[0].ends_with("dropped=2"), "{}", messages[0]);
        assert_eq!(&messages[1..], ["event 2", "event 3", "event 4"]);
        assert!(
            queue.drain().is_empty(),
            "a drain empties the queue and the count"
        );
    }
}
