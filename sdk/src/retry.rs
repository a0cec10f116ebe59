//! When and how long to wait before repeating a failed call.
//!
//! [`RetryPolicy`] decides, for a failed attempt, whether to try again and after what wait:
//!
//! * **What is retried.** GET, HEAD, PUT, DELETE (and OPTIONS, TRACE) are retried on 408, 429,
//!   500, 502, 503 and 504, on timeouts and on connection failures. POST and PATCH are retried
//!   only on 429 or when the connection could not be opened (the request never reached the
//!   server); never after a timeout once the request was sent, a connection dropped mid-response
//!   or a 5xx, because the server may have acted.
//! * **How long.** On 429 and 503 the wait the server asks for is honoured: `Retry-After`
//!   (delta-seconds or HTTP date), else (429 only) the rate-limit reset (`X-RateLimit-Reset` in
//!   epoch seconds as Linode sends it, `X-RateLimit-Next` as Akamai sends it, `RateLimit-Reset`).
//!   Otherwise the wait is an exponential backoff (`initial_backoff`, doubled per retry, capped at
//!   `max_backoff`) with jitter (a uniform pick in the upper half).
//! * **Bounds.** At most `max_attempts` attempts in all, and the waits together stay within
//!   `max_total_wait`: a retry whose wait would exceed the remaining budget is not made, and the
//!   last error is returned.
//!
//! Waiting goes through a [`Sleeper`], tokio's timer by default, which tests replace to record
//! the waits instead of sleeping.
//!
//! ```
//! use std::time::Duration;
//! use akamai_sdk::retry::RetryPolicy;
//!
//! let patient = RetryPolicy::default()
//!     .with_max_attempts(6)
//!     .with_initial_backoff(Duration::from_millis(200))
//!     .with_max_total_wait(Duration::from_secs(300));
//! let off = RetryPolicy::disabled();
//! assert_eq!(off.max_attempts(), 1);
//! # let _ = patient;
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

use crate::error::Error;

/// Default number of attempts (the first one included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default wait before the first retry when the server gives no hint.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Default cap of one backoff wait.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Default cap of all waits of one call together.
pub const DEFAULT_MAX_TOTAL_WAIT: Duration = Duration::from_secs(120);

/// The retry rules of a client. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_total_wait: Duration,
    jitter: bool,
    retry_throttled: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_total_wait: DEFAULT_MAX_TOTAL_WAIT,
            jitter: true,
            retry_throttled: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy: 4 attempts, 500 ms initial backoff, 30 s max backoff, 120 s total
    /// wait, jitter on.
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries: every call makes exactly one attempt.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts, the first one included (0 is taken as 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the backoff before the first retry (doubled for each further retry).
    pub fn with_initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Caps one backoff wait (server-requested waits are bounded by the total instead).
    pub fn with_max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// Caps the waits of one call together.
    pub fn with_max_total_wait(mut self, wait: Duration) -> Self {
        self.max_total_wait = wait;
        self
    }

    /// Turns the jitter of backoff waits on (the default) or off.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Whether a 429 answer is retried (the default) or returned at once, for a caller that
    /// paces its own requests and has to see every throttled answer (the EdgeKV bulk writer's
    /// adaptive rate does).
    pub fn with_throttle_retries(mut self, retry: bool) -> Self {
        self.retry_throttled = retry;
        self
    }

    /// Whether a 429 answer is retried.
    pub fn throttle_retries(&self) -> bool {
        self.retry_throttled
    }

    /// The number of attempts, the first one included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The cap of one backoff wait.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The cap of all waits of one call.
    pub fn max_total_wait(&self) -> Duration {
        self.max_total_wait
    }

    /// Whether backoff waits are jittered.
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// Whether the policy allows any retry.
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// The wait before attempt `attempt + 1`, after attempt `attempt` (counted from 1) failed
    /// with `error` and the call has already waited `waited`; `None` to give up.
    pub fn next_wait(
        &self,
        idempotent: bool,
        error: &Error,
        attempt: u32,
        waited: Duration,
        now: SystemTime,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_retryable_for(idempotent) {
            return None;
        }
        if !self.retry_throttled && error.status() == Some(StatusCode::TOO_MANY_REQUESTS) {
            return None;
        }
        let wait = server_wait(error, now).unwrap_or_else(|| self.backoff(attempt));
        (waited.saturating_add(wait) <= self.max_total_wait).then_some(wait)
    }

    /// The backoff wait after failed attempt `attempt` (from 1) when the server gives no hint:
    /// `initial_backoff * 2^(attempt-1)`, capped at `max_backoff`, then (with jitter) a uniform
    /// pick between half of that and all of it.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let nominal = self
            .initial_backoff
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_backoff);
        if !self.jitter || nominal.is_zero() {
            return nominal;
        }
        let half = nominal / 2;
        let spread = u64::try_from((nominal - half).as_nanos()).unwrap_or(u64::MAX);
        half.saturating_add(Duration::from_nanos(fastrand::u64(0..=spread)))
    }
}

/// The wait a 429 or 503 response asks for: `Retry-After`, else (429 only) the rate-limit reset.
fn server_wait(error: &Error, now: SystemTime) -> Option<Duration> {
    let api = error.api()?;
    match api.status() {
        StatusCode::TOO_MANY_REQUESTS => api.retry_after(now).or_else(|| api.rate_limit_reset(now)),
        StatusCode::SERVICE_UNAVAILABLE => api.retry_after(now),
        _ => None,
    }
}

/// Waits between attempts. The default, [`TokioSleeper`], uses tokio's timer; tests can record
/// the waits instead.
pub trait Sleeper: Send + Sync + fmt::Debug + 'static {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// A [`Sleeper`] on tokio's timer (so `tokio::time::pause` applies to it).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ApiError, ErrorBody};
    use crate::headers::{parse_reset, parse_retry_after};
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::time::UNIX_EPOCH;

    fn api(status: u16, headers: &[(&'static str, &str)]) -> Error {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        Error::Api(Box::new(ApiError::new(
            StatusCode::from_u16(status).unwrap(),
            &map,
            ErrorBody::Empty,
        )))
    }

    fn fixed() -> RetryPolicy {
        RetryPolicy::default().with_jitter(false)
    }

    const NOW: SystemTime = UNIX_EPOCH;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = at(1_445_412_470); // Wed, 21 Oct 2015 07:27:50 GMT
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn reset_headers_in_every_form() {
        let now = at(1_700_000_000);
        let cases = [
            ("1700000005", Some(5_000u64)),
            ("1700000005500", Some(5_500)),
            ("1699999990", Some(0)),
            ("12", Some(12_000)),
            ("2.5", Some(2_500)),
            ("2023-11-14T22:13:25Z", Some(5_000)),
            ("2023-11-14T22:13:25.250+00:00", Some(5_250)),
            ("Tue, 14 Nov 2023 22:13:30 GMT", Some(10_000)),
            ("nope", None),
            ("-3", None),
            ("NaN", None),
            ("1e300", None),
        ];
        for (value, millis) in cases {
            assert_eq!(
                parse_reset(value, now).map(|d| d.as_millis()),
                millis.map(u128::from),
                "{value}"
            );
        }
    }

    #[test]
    fn which_errors_are_retried_per_method() {
        for (status, get, post) in [
            (429, true, true),
            (503, true, false),
            (500, true, false),
            (502, true, false),
            (408, true, false),
            (404, false, false),
            (501, false, false),
        ] {
            let e = api(status, &[]);
            assert_eq!(e.is_retryable_for(true), get, "GET {status}");
            assert_eq!(e.is_retryable_for(true), get, "PUT {status}");
            assert_eq!(e.is_retryable_for(false), post, "POST {status}");
            assert_eq!(e.is_retryable_for(false), post, "PATCH {status}");
        }
        assert!(!Error::Signing("x".into()).is_retryable_for(true));
    }

    #[test]
    fn server_hints_win_over_backoff_for_429_and_503() {
        let policy = fixed();
        let wait = |e: &Error| policy.next_wait(false, e, 1, Duration::ZERO, NOW);
        assert_eq!(
            wait(&api(429, &[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait(&api(429, &[("x-ratelimit-reset", "4")])),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            wait(&api(
                429,
                &[("retry-after", "2"), ("x-ratelimit-reset", "9")]
            )),
            Some(Duration::from_secs(2))
        );
        assert_eq!(wait(&api(429, &[])), Some(DEFAULT_INITIAL_BACKOFF));
        let get = |e: &Error| policy.next_wait(true, e, 1, Duration::ZERO, NOW);
        assert_eq!(
            get(&api(503, &[("retry-after", "6")])),
            Some(Duration::from_secs(6))
        );
        // A reset header is a rate-limit hint, not an outage hint.
        assert_eq!(
            get(&api(503, &[("x-ratelimit-reset", "9")])),
            Some(DEFAULT_INITIAL_BACKOFF)
        );
        assert_eq!(
            get(&api(502, &[("retry-after", "9")])),
            Some(DEFAULT_INITIAL_BACKOFF)
        );
    }

    #[test]
    fn attempts_and_total_wait_are_bounded() {
        let policy = fixed()
            .with_max_attempts(3)
            .with_max_total_wait(Duration::from_secs(10));
        let e = api(503, &[]);
        assert!(policy.next_wait(true, &e, 2, Duration::ZERO, NOW).is_some());
        assert_eq!(policy.next_wait(true, &e, 3, Duration::ZERO, NOW), None);
        let slow = api(429, &[("retry-after", "11")]);
        assert_eq!(policy.next_wait(true, &slow, 1, Duration::ZERO, NOW), None);
        let ok = api(429, &[("retry-after", "4")]);
        assert_eq!(
            policy.next_wait(true, &ok, 1, Duration::from_secs(6), NOW),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            policy.next_wait(true, &ok, 1, Duration::from_secs(7), NOW),
            None
        );
        assert_eq!(
            RetryPolicy::disabled().next_wait(true, &e, 1, Duration::ZERO, NOW),
            None
        );
        assert!(!RetryPolicy::disabled().is_enabled());
        assert_eq!(RetryPolicy::new().with_max_attempts(0).max_attempts(), 1);
    }

    #[test]
    fn backoff_doubles_is_capped_and_jitter_stays_in_the_upper_half() {
        let policy = fixed()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(1000));
        let waits: Vec<u128> = (1..=6).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(1000));
        let jittered = policy.with_jitter(true);
        for attempt in 1..=6 {
            let nominal = fixed()
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_millis(1000))
                .backoff(attempt);
            for _ in 0..50 {
                let wait = jittered.backoff(attempt);
                assert!(
                    wait >= nominal / 2 && wait <= nominal,
                    "{wait:?} vs {nominal:?}"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn tokio_sleeper_uses_the_tokio_clock() {
        let start = tokio::time::Instant::now();
        TokioSleeper.sleep(Duration::from_secs(30)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }
}
