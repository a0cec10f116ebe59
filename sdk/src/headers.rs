//! Reading the waits servers ask for: `Retry-After` and the rate-limit reset headers. A leaf:
//! the retry policy and the errors that carry these headers both read them here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses a `Retry-After` value, delta-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), into a wait from `now` (zero for a date in the past).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses a rate-limit reset value into a wait from `now` (zero for a time in the past). It is
/// tolerant of the forms in use: epoch seconds (`1700000000`, as Linode sends), epoch
/// milliseconds, delta-seconds (a number below 10^9), an RFC 3339 timestamp (as Akamai sends in
/// `X-RateLimit-Next`) or an HTTP date.
pub(crate) fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let until = |at: SystemTime| at.duration_since(now).unwrap_or(Duration::ZERO);
    if let Ok(number) = value.parse::<f64>() {
        if !number.is_finite() || number < 0.0 {
            return None;
        }
        return Some(if number >= 1e12 {
            until(UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(number / 1000.0).ok()?)?)
        } else if number >= 1e9 {
            until(UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(number).ok()?)?)
        } else {
            Duration::try_from_secs_f64(number).ok()?
        });
    }
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(value) {
        let at = UNIX_EPOCH.checked_add(Duration::from_millis(
            u64::try_from(at.timestamp_millis()).ok()?,
        ))?;
        return Some(until(at));
    }
    httpdate::parse_http_date(value).ok().map(until)
}
