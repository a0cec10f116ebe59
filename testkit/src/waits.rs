//! A retry sleeper for tests: it records each wait instead of sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akamai_sdk::retry::Sleeper;

/// Records the waits the retry policy asks for and returns at once, so a test of retries
/// runs without sleeping and can assert the waits. Clones share the record.
///
/// ```
/// use std::time::Duration;
/// use akamai_sdk::config::HttpConfig;
/// use akamai_sdk_testkit::RecordedWaits;
///
/// let waits = RecordedWaits::default();
/// let config = HttpConfig::new().with_sleeper(waits.clone());
/// # let _ = config;
/// assert_eq!(waits.taken(), Vec::<Duration>::new());
/// ```
#[derive(Clone, Debug, Default)]
pub struct RecordedWaits(Arc<Mutex<Vec<Duration>>>);

impl RecordedWaits {
    /// The waits asked for so far, oldest first.
    pub fn taken(&self) -> Vec<Duration> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Sleeper for RecordedWaits {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(duration);
        Box::pin(std::future::ready(()))
    }
}
