//! The adaptive rate of the bulk layer: a token bucket whose rate follows the API's throttling.
//!
//! The EdgeKV API throttles each account to a number of requests per second that differs per
//! account and is not announced (its 429 has no `Retry-After`). The rate starts low and doubles
//! every second of answers (slow start) until the first 429, then falls to [`CUT`] of what went
//! through in the last second and climbs back additively, [`STEP`] of that level per second,
//! until the next 429: the additive-increase, multiplicative-decrease shape of TCP and of the
//! AWS SDKs' adaptive retry mode, which holds the rate just under the limit. A 429 cuts the
//! rate once per round trip and once per [`HOLD`]: answers to requests sent before the last
//! cut, or within the API's window after it, do not cut it again. A `Retry-After` pauses every
//! request until it has passed. The rate never exceeds the caller's cap.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// What the rate falls to on a 429, as a share of the rate that went through.
pub(crate) const CUT: f64 = 0.9;
/// The additive increase after a cut, per second, as a share of the rate at the cut.
pub(crate) const STEP: f64 = 0.05;
/// After a cut, 429 answers do not cut again for this long: the API counts requests over a
/// sliding second, so the excess that led to a cut is still refused for up to a second.
pub(crate) const HOLD: Duration = Duration::from_secs(1);
/// The lowest rate, in requests per second.
pub(crate) const MIN_RATE: f64 = 0.5;
/// The pause of a `Retry-After` too long to add to the clock: a century.
const LONGEST_PAUSE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A token bucket with an adaptive rate. Shared by the tasks of one bulk run.
#[derive(Debug)]
pub(crate) struct AdaptiveRate {
    max_rate: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests per second.
    rate: f64,
    tokens: f64,
    refilled: Instant,
    /// Until when a `Retry-After` holds every request.
    paused_until: Option<Instant>,
    /// Doubling every second until the first 429.
    slow_start: bool,
    last_cut: Option<Instant>,
    /// The additive increase per second since the last cut.
    step: f64,
    /// When a request last had to wait for a token: the rate only grows while it is what
    /// holds the requests back.
    last_wait: Option<Instant>,
    /// When the answers of the last second came, for the rate that went through.
    answered: VecDeque<Instant>,
}

impl AdaptiveRate {
    /// A rate starting at `initial` requests per second, never above `max_rate`.
    pub(crate) fn new(initial: f64, max_rate: Option<f64>) -> Self {
        let max_rate = max_rate.unwrap_or(f64::INFINITY).max(MIN_RATE);
        let now = Instant::now();
        Self {
            max_rate,
            state: Mutex::new(State {
                rate: initial.clamp(MIN_RATE, max_rate),
                tokens: 1.0,
                refilled: now,
                paused_until: None,
                slow_start: true,
                last_cut: None,
                step: 0.0,
                last_wait: None,
                answered: VecDeque::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current rate, in requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.state().rate
    }

    /// Waits for a token; returns when the request may be sent (the time it is sent, for
    /// [`AdaptiveRate::throttled`]).
    pub(crate) async fn acquire(&self) -> Instant {
        loop {
            let wait = {
                let mut state = self.state();
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now => until - now,
                    _ => {
                        state.paused_until = None;
                        state.refill(now);
                        if state.tokens >= 1.0 {
                            state.tokens -= 1.0;
                            return now;
                        }
                        state.last_wait = Some(now);
                        Duration::from_secs_f64((1.0 - state.tokens) / state.rate)
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// A request went through.
    pub(crate) fn succeeded(&self) {
        let mut state = self.state();
        let now = Instant::now();
        state.count_success(now);
        let held_back = state
            .last_wait
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1));
        if !held_back {
            return;
        }
        state.rate = if state.slow_start {
            // One more per answer: the rate doubles every second.
            state.rate + 1.0
        } else {
            // `step` more per second at this rate.
            state.rate + state.step / state.rate
        }
        .min(self.max_rate);
    }

    /// A request sent at `sent_at` was throttled (429), with the server's wait if it gave one.
    pub(crate) fn throttled(&self, sent_at: Instant, retry_after: Option<Duration>) {
        let mut state = self.state();
        let now = Instant::now();
        if let Some(wait) = retry_after {
            // A wait too long for the clock (a server may ask for any) holds as long as any.
            let until = now.checked_add(wait).unwrap_or_else(|| now + LONGEST_PAUSE);
            state.paused_until = Some(state.paused_until.map_or(until, |at| at.max(until)));
        }
        // One cut per round trip, and none while the API's one-second window still counts the
        // requests that led to the last cut.
        if state
            .last_cut
            .is_some_and(|cut| sent_at <= cut || now.duration_since(cut) < HOLD)
        {
            return;
        }
        // What went through in the last second, when that is known and lower than the rate
        // (slow start runs ahead of what the server takes).
        state.forget_before(now);
        let through = state.answered.len() as f64;
        let level = if through >= MIN_RATE {
            state.rate.min(through)
        } else {
            state.rate
        };
        state.rate = (level * CUT).clamp(MIN_RATE, self.max_rate);
        state.step = (level * STEP).max(MIN_RATE);
        state.slow_start = false;
        state.last_cut = Some(now);
        state.tokens = 0.0;
        state.refilled = now;
    }
}

impl State {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        // A small burst: a tenth of a second's worth of requests, at least one.
        let burst = (self.rate / 10.0).max(1.0);
        self.tokens = (self.tokens + elapsed * self.rate).min(burst);
        self.refilled = now;
    }

    /// Drops the answers older than a second.
    fn forget_before(&mut self, now: Instant) {
        while self
            .answered
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
        {
            self.answered.pop_front();
        }
    }

    fn count_success(&mut self, now: Instant) {
        self.forget_before(now);
        self.answered.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A server that accepts `limit` requests per sliding second, as the EdgeKV API does.
    struct Server {
        limit: usize,
        accepted: Mutex<VecDeque<Instant>>,
    }

    impl Server {
        fn hit(&self) -> bool {
            let now = Instant::now();
            let mut accepted = self.accepted.lock().unwrap();
            while accepted
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                accepted.pop_front();
            }
            if accepted.len() < self.limit {
                accepted.push_back(now);
                true
            } else {
                false
            }
        }
    }

    /// Runs `requests` requests through the rate against a server limited to `limit` per
    /// second, 16 at a time, each taking 20 ms; returns (throttled answers, seconds spent from
    /// the first success at 90 % of the limit to the end, successes in that time).
    async fn run(limit: usize, requests: usize, cap: Option<f64>) -> (usize, f64, usize) {
        let server = Arc::new(Server {
            limit,
            accepted: Mutex::new(VecDeque::new()),
        });
        let rate = Arc::new(AdaptiveRate::new(5.0, cap));
        let throttled = Arc::new(Mutex::new(0usize));
        let done = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let next = Arc::new(Mutex::new(0usize));
        let workers: Vec<_> = (0..16)
            .map(|_| {
                let (server, rate, throttled, done, next) = (
                    server.clone(),
                    rate.clone(),
                    throttled.clone(),
                    done.clone(),
                    next.clone(),
                );
                tokio::spawn(async move {
                    loop {
                        {
                            let mut next = next.lock().unwrap();
                            if *next == requests {
                                return;
                            }
                            *next += 1;
                        }
                        loop {
                            let sent = rate.acquire().await;
                            let ok = server.hit();
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            if ok {
                                rate.succeeded();
                                done.lock().unwrap().push(Instant::now());
                                break;
                            }
                            *throttled.lock().unwrap() += 1;
                            rate.throttled(sent, None);
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        let done = done.lock().unwrap().clone();
        // Converged: from the first second in which 90 % of the limit went through.
        let per_second = |i: usize| {
            done.iter()
                .filter(|t| t.duration_since(done[i]) < Duration::from_secs(1))
                .count()
        };
        let start = (0..done.len())
            .find(|&i| per_second(i) * 10 >= limit * 9)
            .unwrap_or(0);
        let seconds = done
            .last()
            .unwrap()
            .duration_since(done[start])
            .as_secs_f64();
        let throttled = *throttled.lock().unwrap();
        (throttled, seconds, done.len() - start)
    }

    #[tokio::test(start_paused = true)]
    async fn holds_just_under_the_limit_with_few_throttled_answers() {
        for limit in [50usize, 200] {
            let requests = limit * 30;
            let (throttled, seconds, converged) = run(limit, requests, None).await;
            let sustained = converged as f64 / seconds;
            assert!(
                sustained >= 0.9 * limit as f64,
                "limit {limit}: sustained {sustained:.1}/s"
            );
            assert!(
                throttled * 20 <= requests,
                "limit {limit}: {throttled} throttled of {requests}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn never_exceeds_the_cap() {
        let (throttled, seconds, converged) = run(200, 600, Some(40.0)).await;
        assert_eq!(throttled, 0);
        let sustained = converged as f64 / seconds;
        assert!(sustained <= 41.0, "{sustained:.1}/s above the cap");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_every_request() {
        let rate = AdaptiveRate::new(100.0, None);
        let sent = rate.acquire().await;
        rate.throttled(sent, Some(Duration::from_secs(3)));
        let start = Instant::now();
        rate.acquire().await;
        assert!(Instant::now().duration_since(start) >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_too_long_for_the_clock_holds_without_a_panic() {
        let rate = AdaptiveRate::new(100.0, None);
        let sent = rate.acquire().await;
        rate.throttled(sent, Some(Duration::MAX));
        rate.throttled(sent, Some(Duration::from_secs(u64::MAX)));
        let held = tokio::time::timeout(Duration::from_secs(3600), rate.acquire()).await;
        assert!(held.is_err(), "the pause ended within an hour");
    }

    #[tokio::test(start_paused = true)]
    async fn one_cut_per_round_trip() {
        let rate = AdaptiveRate::new(100.0, None);
        let first = rate.acquire().await;
        let second = rate.acquire().await;
        rate.throttled(first, None);
        let after_one = rate.rate();
        assert!((after_one - 100.0 * CUT).abs() < 1e-9, "{after_one}");
        // The answer to a request sent before the cut does not cut again.
        rate.throttled(second, None);
        assert_eq!(rate.rate(), after_one);
        // Nor does one within the API's window after the cut.
        tokio::time::advance(Duration::from_millis(10)).await;
        let third = rate.acquire().await;
        rate.throttled(third, None);
        assert_eq!(rate.rate(), after_one);
        tokio::time::advance(HOLD).await;
        let fourth = rate.acquire().await;
        rate.throttled(fourth, None);
        assert!(rate.rate() < after_one);
    }
}
