//! The admin API's rate limit: hits per account over a sliding one-second window, as Akamai's
//! gateway counts them in front of EdgeKV.
//!
//! Every request under `/edgekv/v1` is a hit (the edge path `/api/v1` is not limited). A hit
//! is refused when the hits accepted in the second before it already number the limit; a
//! refused hit is remembered too, since the API's answer quotes every hit of the last second.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window the limit applies to.
const WINDOW: Duration = Duration::from_secs(1);

/// A refusal: what the answer quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Throttled {
    /// The hits of the last second, this one and the refused ones included.
    pub(crate) hits: usize,
    /// The limit in force.
    pub(crate) limit: u32,
}

/// The sliding window of one emulator (one account).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// The limit in force, `None` for none.
    limit: Option<u32>,
    /// The limit the emulator started with, for a reset.
    configured: Option<u32>,
    /// The `Retry-After` of a refusal, in seconds.
    pub(crate) retry_after: Option<u64>,
    /// The hits of the last second, oldest first, and whether each was accepted. Each hit is
    /// pushed once and popped once, so a hit costs O(1) amortised whatever the rate.
    hits: VecDeque<(Instant, bool)>,
    /// How many of `hits` were accepted.
    accepted: usize,
}

impl RateLimiter {
    pub(crate) fn new(limit: Option<u32>, retry_after: Option<u64>) -> Self {
        Self {
            limit,
            configured: limit,
            retry_after,
            hits: VecDeque::new(),
            accepted: 0,
        }
    }

    /// Changes the limit from the next hit on, over the hits already in the window; `None`
    /// lifts it and forgets the window.
    pub(crate) fn set_limit(&mut self, limit: Option<u32>) {
        self.limit = limit;
        if limit.is_none() {
            self.hits.clear();
            self.accepted = 0;
        }
    }

    /// Back to the limit the emulator started with, with an empty window.
    pub(crate) fn reset(&mut self) {
        self.limit = self.configured;
        self.hits.clear();
        self.accepted = 0;
    }

    /// Counts a hit at `now` (no earlier than the previous one's): `Err` when it is refused.
    /// Without a limit nothing is recorded.
    pub(crate) fn hit(&mut self, now: Instant) -> Result<(), Throttled> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        while let Some(&(at, accepted)) = self.hits.front() {
            if now.saturating_duration_since(at) < WINDOW {
                break;
            }
            self.hits.pop_front();
            if accepted {
                self.accepted -= 1;
            }
        }
        let accept = self.accepted < usize::try_from(limit).unwrap_or(usize::MAX);
        self.hits.push_back((now, accept));
        if accept {
            self.accepted += 1;
            Ok(())
        } else {
            Err(Throttled {
                hits: self.hits.len(),
                limit,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_over_the_limit_within_a_second_then_accepts_again() {
        let mut limiter = RateLimiter::new(Some(3), None);
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        for ms in [0, 100, 200] {
            assert_eq!(limiter.hit(at(ms)), Ok(()));
        }
        assert_eq!(limiter.hit(at(300)), Err(Throttled { hits: 4, limit: 3 }));
        assert_eq!(limiter.hit(at(999)), Err(Throttled { hits: 5, limit: 3 }));
        // The first hit left the window: one slot free, the refused hits still quoted.
        assert_eq!(limiter.hit(at(1000)), Ok(()));
        assert_eq!(limiter.hit(at(1050)), Err(Throttled { hits: 6, limit: 3 }));
        // A second after the last accepted hit, the window holds only refused hits.
        assert_eq!(limiter.hit(at(2000)), Ok(()));
    }

    #[test]
    fn the_limit_changes_while_running_and_resets() {
        let mut limiter = RateLimiter::new(Some(10), None);
        let now = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.hit(now), Ok(()));
        }
        limiter.set_limit(Some(2));
        assert_eq!(limiter.hit(now), Err(Throttled { hits: 6, limit: 2 }));
        limiter.set_limit(None);
        assert_eq!(limiter.hit(now), Ok(()));
        limiter.set_limit(Some(1));
        assert_eq!(limiter.hit(now), Ok(()));
        assert!(limiter.hit(now).is_err());
        limiter.reset();
        assert_eq!(limiter.limit, Some(10));
        assert_eq!(limiter.hit(now), Ok(()));
        let mut none = RateLimiter::new(Some(0), None);
        assert_eq!(none.hit(now), Err(Throttled { hits: 1, limit: 0 }));
    }
}
