//! Log and span capture for tests.
//!
//! One global `tracing` subscriber, installed on first use, records everything at TRACE
//! (span closes included, without ANSI colours) and writes each event into the buffer of the
//! thread that emitted it; each span that closes is kept there too, with its name, its
//! parent's name and every field it was given (at creation or recorded later). A test calls [`capture`] first and then reads what its own thread
//! logged, so tests running in parallel do not see each other's lines.
//!
//! A `#[tokio::test]` uses a current-thread runtime: the whole test, tasks it spawns included,
//! runs on the test thread, so everything the SDK logs for it lands in its buffer. A plain
//! `#[test]` logs on its own thread as well. Events from other threads (a mock server's, a
//! blocking pool's) go nowhere.
//!
//! Scoped subscribers (`tracing::subscriber::set_default`) are not used: mixed with a global
//! one and with tests on several threads, tracing's per-callsite interest cache can be filled
//! by one thread's subscriber and then hide events from another's.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, Once};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// What one test thread logged since its [`capture`] call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Buffer {
    text: Arc<Mutex<Vec<u8>>>,
    spans: Arc<Mutex<Vec<SpanRecord>>>,
}

/// A span that closed: its name, its parent's name, and its fields as text (a `Debug` value
/// as printed, a string or a number as itself).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SpanRecord {
    pub(crate) name: &'static str,
    pub(crate) parent: Option<&'static str>,
    pub(crate) fields: BTreeMap<&'static str, String>,
}

impl SpanRecord {
    /// The value of a field, if the span has it.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

impl Buffer {
    /// Everything logged so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.text)).into_owned()
    }

    /// The spans closed so far, in the order they closed.
    pub(crate) fn spans(&self) -> Vec<SpanRecord> {
        lock(&self.spans).clone()
    }

    /// Forgets what was logged so far.
    pub(crate) fn clear(&self) {
        lock(&self.text).clear();
        lock(&self.spans).clear();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while logging must not hide the logs from the next reader.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

thread_local! {
    /// Where the events of the current thread go, once it has called `capture`.
    static CURRENT: RefCell<Option<Buffer>> = const { RefCell::new(None) };
}

/// The writer of the global subscriber: appends to the current thread's buffer, if any.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CURRENT.with(|current| {
            if let Some(buffer) = current.borrow().as_ref() {
                lock(&buffer.text).extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the global subscriber (once per process) and gives the current thread a fresh,
/// empty buffer that receives everything it logs from now on, at every level.
pub(crate) fn capture() -> Buffer {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let text = tracing_subscriber::fmt::layer()
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(|| ThreadWriter);
        let subscriber = tracing_subscriber::registry()
            .with(text)
            .with(SpanRecorder)
            .with(tracing_subscriber::filter::LevelFilter::TRACE);
        tracing::subscriber::set_global_default(subscriber)
            .expect("the test binary installs no other global subscriber");
    });
    let buffer = Buffer::default();
    CURRENT.with(|current| *current.borrow_mut() = Some(buffer.clone()));
    buffer
}

/// Keeps every span's fields (in its extensions) and, when it closes, hands a
/// [`SpanRecord`] to the buffer of the thread it closes on.
struct SpanRecorder;

/// The fields of a span, as recorded so far.
struct Fields(BTreeMap<&'static str, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name(), value.to_string());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name(), value.to_string());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name(), value.to_string());
    }
}

impl<S> Layer<S> for SpanRecorder
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields(BTreeMap::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let record = SpanRecord {
            name: span.name(),
            parent: span.parent().map(|p| p.name()),
            fields: span
                .extensions()
                .get::<Fields>()
                .map(|f| f.0.clone())
                .unwrap_or_default(),
        };
        CURRENT.with(|current| {
            if let Some(buffer) = current.borrow().as_ref() {
                lock(&buffer.spans).push(record);
            }
        });
    }
}
