//! Polling until a long-running change (initialization, token activation) is done.

use std::future::Future;
use std::time::Duration;

use crate::error::Result;

/// Default time a waiter keeps polling.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default pause between two polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How long a waiter polls, and how often.
///
/// ```
/// use std::time::Duration;
/// use akamai_sdk::edgekv::WaitOptions;
///
/// let wait = WaitOptions::new()
///     .with_timeout(Duration::from_secs(120))
///     .with_poll_interval(Duration::from_secs(2));
/// assert_eq!(wait.timeout(), Duration::from_secs(120));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    timeout: Duration,
    poll_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_WAIT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

impl WaitOptions {
    /// The defaults: poll every 5 s for at most 5 minutes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how long to keep polling.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the pause between polls (at least 1 ms).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How long to keep polling.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The pause between polls.
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval
    }
}

/// How a wait ended: the state reached, or the last state seen when time ran out.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum WaitOutcome<T> {
    /// The awaited state was reached.
    Ready(T),
    /// The timeout elapsed first; this is the last state seen.
    TimedOut(T),
}

impl<T> WaitOutcome<T> {
    /// Whether the awaited state was reached.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready(_))
    }

    /// The state reached, or `None` after a timeout.
    pub fn ready(self) -> Option<T> {
        match self {
            Self::Ready(value) => Some(value),
            Self::TimedOut(_) => None,
        }
    }

    /// The last state seen, either way.
    pub fn into_inner(self) -> T {
        match self {
            Self::Ready(value) | Self::TimedOut(value) => value,
        }
    }
}

/// Polls `poll` every `options.poll_interval` until `done` holds for its result or
/// `options.timeout` has elapsed since the call (a poll is not started if the pause before it
/// would end past the deadline). `first` is the state already known. Errors of `poll` end
/// the wait; `skip` lets a poll error that means "not there yet" count as no news.
pub(crate) async fn poll_until<T, F, Fut>(
    options: WaitOptions,
    first: T,
    done: impl Fn(&T) -> bool,
    skip: impl Fn(&crate::Error) -> bool,
    mut poll: F,
) -> Result<WaitOutcome<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    if done(&first) {
        return Ok(WaitOutcome::Ready(first));
    }
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut last = first;
    loop {
        if tokio::time::Instant::now() + options.poll_interval > deadline {
            return Ok(WaitOutcome::TimedOut(last));
        }
        tokio::time::sleep(options.poll_interval).await;
        match poll().await {
            Ok(state) if done(&state) => return Ok(WaitOutcome::Ready(state)),
            Ok(state) => {
                tracing::debug!("still waiting");
                last = state;
            }
            Err(e) if skip(&e) => tracing::debug!(error = %e, "still waiting"),
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn polls_until_done_or_timeout() {
        let calls = AtomicU32::new(0);
        let options = WaitOptions::new()
            .with_timeout(Duration::from_secs(10))
            .with_poll_interval(Duration::from_secs(1));
        let outcome = poll_until(
            options,
            0,
            |n| *n >= 3,
            |_| false,
            || async { Ok(calls.fetch_add(1, Ordering::SeqCst) + 1) },
        )
        .await
        .unwrap();
        assert_eq!(outcome, WaitOutcome::Ready(3));

        let start = tokio::time::Instant::now();
        let outcome = poll_until(options, 0, |_| false, |_| false, || async { Ok(7) })
            .await
            .unwrap();
        assert_eq!(outcome, WaitOutcome::TimedOut(7));
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        assert!(!outcome.is_ready());
        assert_eq!(outcome.into_inner(), 7);
    }

    #[tokio::test(start_paused = true)]
    async fn errors_end_the_wait_unless_skipped() {
        let options = WaitOptions::new().with_poll_interval(Duration::from_secs(1));
        let err = poll_until(
            options,
            0,
            |_| false,
            |_| false,
            || async { Err::<u32, _>(crate::Error::InvalidInput("boom".into())) },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, crate::Error::InvalidInput(_)));
        let calls = AtomicU32::new(0);
        let outcome = poll_until(
            options,
            0,
            |n| *n == 1,
            |_| true,
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(crate::Error::InvalidInput("not yet".into()))
                } else {
                    Ok(1)
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(outcome.ready(), Some(1));
    }
}
