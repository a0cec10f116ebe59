//! Log capture for tests.
//!
//! One global `tracing` subscriber, installed on first use, records everything at TRACE
//! (span closes included, without ANSI colours) and writes each event into the buffer of the
//! thread that emitted it. A test calls [`capture`] first and then reads what its own thread
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
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

/// What one test thread logged since its [`capture`] call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    /// Everything logged so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// Forgets what was logged so far.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // A test that panicked while logging must not hide the logs from the next reader.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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
                buffer.lock().extend_from_slice(bytes);
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
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(|| ThreadWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the test binary installs no other global subscriber");
    });
    let buffer = Buffer::default();
    CURRENT.with(|current| *current.borrow_mut() = Some(buffer.clone()));
    buffer
}
