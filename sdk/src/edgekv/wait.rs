//! Polling until a long-running change (initialization, token activation) is done.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;

/// Default time a waiter keeps polling.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default pause between two polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How long a waiter polls, how often, and who hears of each poll.
///
/// ```
/// use std::time::Duration;
/// use akamai_sdk::edgekv::WaitOptions;
///
/// let wait = WaitOptions::new()
///     .with_timeout(Duration::from_secs(120))
///     .with_poll_interval(Duration::from_secs(2))
///     .on_poll(|progress| eprintln!("still waiting after {:?}", progress.elapsed()));
/// assert_eq!(wait.timeout(), Duration::from_secs(120));
/// ```
#[derive(Clone)]
pub struct WaitOptions {
    timeout: Duration,
    poll_interval: Duration,
    on_poll: Option<PollHook>,
}

/// What [`WaitOptions::on_poll`] keeps.
type PollHook = Arc<dyn Fn(&WaitProgress) + Send + Sync>;

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .field("on_poll", &self.on_poll.is_some())
            .finish()
    }
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_WAIT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            on_poll: None,
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

    /// Calls `hook` after every poll that did not end the wait (a progress bar, a message
    /// to the user), with the poll's number and the time waited so far. Each such poll is also
    /// logged at `INFO`.
    pub fn on_poll(mut self, hook: impl Fn(&WaitProgress) + Send + Sync + 'static) -> Self {
        self.on_poll = Some(Arc::new(hook));
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

/// One poll of a waiter that did not end the wait, as [`WaitOptions::on_poll`] hears of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitProgress {
    poll: u32,
    elapsed: Duration,
    timeout: Duration,
}

impl WaitProgress {
    /// The poll's number, from 1.
    pub fn poll(&self) -> u32 {
        self.poll
    }

    /// How long the wait has lasted so far.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// How long the wait may last in all.
    pub fn timeout(&self) -> Duration {
        self.timeout
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
    let started = tokio::time::Instant::now();
    let deadline = started + options.timeout;
    let mut last = first;
    let mut polls = 0u32;
    loop {
        if tokio::time::Instant::now() + options.poll_interval > deadline {
            return Ok(WaitOutcome::TimedOut(last));
        }
        tokio::time::sleep(options.poll_interval).await;
        polls += 1;
        match poll().await {
            Ok(state) if done(&state) => return Ok(WaitOutcome::Ready(state)),
            Ok(state) => last = state,
            Err(e) if skip(&e) => tracing::debug!(error = %e, "not there yet"),
            Err(e) => return Err(e),
        }
        let progress = WaitProgress {
            poll: polls,
            elapsed: started.elapsed(),
            timeout: options.timeout,
        };
        tracing::info!(
            poll = progress.poll,
            elapsed_ms = u64::try_from(progress.elapsed.as_millis()).unwrap_or(u64::MAX),
            timeout_ms = u64::try_from(options.timeout.as_millis()).unwrap_or(u64::MAX),
            "still waiting"
        );
        if let Some(hook) = &options.on_poll {
            hook(&progress);
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
            options.clone(),
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
    async fn every_poll_that_does_not_end_the_wait_is_reported() {
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&heard);
        let options = WaitOptions::new()
            .with_timeout(Duration::from_secs(10))
            .with_poll_interval(Duration::from_secs(2))
            .on_poll(move |p| {
                sink.lock()
                    .unwrap()
                    .push((p.poll(), p.elapsed(), p.timeout()))
            });
        let calls = AtomicU32::new(0);
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
        let ten = Duration::from_secs(10);
        assert_eq!(
            *heard.lock().unwrap(),
            [
                (1, Duration::from_secs(2), ten),
                (2, Duration::from_secs(4), ten)
            ],
            "polls 1 and 2 did not end the wait; poll 3 did"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn errors_end_the_wait_unless_skipped() {
        let options = WaitOptions::new().with_poll_interval(Duration::from_secs(1));
        let err = poll_until(
            options.clone(),
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
