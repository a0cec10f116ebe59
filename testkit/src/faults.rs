//! Fault injection: rules matched by method and path glob, applied in the order they were
//! added, each after skipping `skip` matching requests, on a seeded random fraction of the
//! rest when a probability is set, and for `times` of them.

use std::time::Duration;

/// What a fault does to a matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answers `status` (with `Retry-After: secs` when set) and a problem+json body, without
    /// performing the request.
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u64>,
    },
    /// Answers a 502 with an HTML body, as a gateway would, without performing the request.
    Html502,
    /// Performs the request, then closes the connection without answering.
    DropAfterPerforming,
    /// Closes the connection without performing the request or answering (a reset on the
    /// way in: the client cannot tell it from [`FaultKind::DropAfterPerforming`]).
    DropBeforePerforming,
    /// Waits, then handles the request normally.
    Delay(Duration),
    /// Performs the request and sends its answer with the full `Content-Length` but only the
    /// first half of the body, then closes the connection.
    TruncatedBody,
}

/// A fault rule. `method` `*` matches any method; in `path`, `*` matches within one segment
/// and `**` across segments; the path is matched as received, without the query.
///
/// ```
/// use akamai_sdk_testkit::{Fault, FaultKind};
/// let rule = Fault::new("PUT", "/edgekv/v1/networks/*/namespaces/*/groups/*/items/**",
///     FaultKind::Status { status: 429, retry_after: Some(1) })
///     .skip(1)
///     .times(2);
/// assert!(rule.matches("PUT", "/edgekv/v1/networks/staging/namespaces/ns/groups/g/items/a"));
/// assert!(!rule.matches("GET", "/edgekv/v1/networks/staging/namespaces/ns/groups/g/items/a"));
/// ```
///
/// A rule may fire on a random fraction of the matching requests, reproducibly: with
/// [`Fault::probability`] each matching request past `skip` is drawn from a generator seeded
/// with [`Fault::seed`] (or [`Fault::DEFAULT_SEED`]), and `times` then counts the requests the
/// rule fired on, not the ones it drew for. The same rule over the same sequence of matching
/// requests fires on the same ones, run after run.
///
/// ```
/// use akamai_sdk_testkit::{Fault, FaultKind};
/// // Random 503s on about 2% of the reads, and dropped connections after about 2% of the
/// // writes (the write done), the same requests every run.
/// let reads = Fault::status("GET", "/edgekv/v1/**", 503).probability(0.02);
/// let writes = Fault::new("PUT", "/edgekv/v1/**", FaultKind::DropAfterPerforming)
///     .probability(0.02)
///     .seed(7);
/// # let _ = (reads, writes);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    method: String,
    path: String,
    kind: FaultKind,
    skip: u64,
    times: Option<u64>,
    /// Fires when a draw is below this (out of 2^64); `None` fires on every request.
    threshold: Option<u64>,
    seed: u64,
}

impl Fault {
    /// The seed of a rule's generator unless [`Fault::seed`] sets another.
    pub const DEFAULT_SEED: u64 = 0x5eed_fa17;

    /// A rule applied to every matching request (see [`Fault::times`], [`Fault::skip`] and
    /// [`Fault::probability`]).
    pub fn new(method: &str, path_glob: &str, kind: FaultKind) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path_glob.to_owned(),
            kind,
            skip: 0,
            times: None,
            threshold: None,
            seed: Self::DEFAULT_SEED,
        }
    }

    /// Shorthand for [`FaultKind::Status`] without `Retry-After`.
    pub fn status(method: &str, path_glob: &str, status: u16) -> Self {
        Self::new(
            method,
            path_glob,
            FaultKind::Status {
                status,
                retry_after: None,
            },
        )
    }

    /// Adds `Retry-After: secs` to a [`FaultKind::Status`] rule (ignored for the others).
    pub fn retry_after(mut self, secs: u64) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(secs);
        }
        self
    }

    /// Applies to `n` matching requests only, then stops.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Lets the first `n` matching requests through untouched.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }

    /// Fires on each matching request (past `skip`) with probability `p`, drawn from the
    /// rule's seeded generator so that the pattern is the same every run (see
    /// [`Fault::seed`]). `p` is clamped to `0.0..=1.0`: 1 or more fires on every request, 0 or
    /// less (or NaN) on none. With [`Fault::times`], the rule stops after firing `n` times.
    pub fn probability(mut self, p: f64) -> Self {
        // 2^64: a draw is a uniform u64, and fires when below `p * 2^64`.
        const SCALE: f64 = 18_446_744_073_709_551_616.0;
        self.threshold = if p >= 1.0 {
            None
        } else if p > 0.0 {
            // Saturates at u64::MAX for a `p` just below 1.
            Some((p * SCALE) as u64)
        } else {
            Some(0)
        };
        self
    }

    /// Seeds the generator of [`Fault::probability`] (default [`Fault::DEFAULT_SEED`]): the
    /// same seed gives the same pattern over the same requests, another seed another pattern.
    /// The generator starts afresh each time the rule is injected.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// What the rule does.
    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }

    /// Whether the rule's method and glob match (regardless of `skip` and `times`).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && glob_match(self.path.as_bytes(), path.as_bytes())
    }
}

/// `*` matches any run of bytes without `/`, `**` any run of bytes.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|i| glob_match(rest, &text[i..])),
        [b'*', rest @ ..] => {
            let segment = text.iter().position(|&b| b == b'/').unwrap_or(text.len());
            (0..=segment).any(|i| glob_match(rest, &text[i..]))
        }
        [p, rest @ ..] => text.first() == Some(p) && glob_match(rest, &text[1..]),
    }
}

/// SplitMix64: a small, fast generator whose sequence depends only on its seed.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A rule with its progress.
#[derive(Debug)]
struct Rule {
    fault: Fault,
    /// Matching requests seen.
    seen: u64,
    /// Requests the rule fired on.
    fired: u64,
    rng: SplitMix64,
}

/// The rules of one emulator with their progress.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<Rule>,
}

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) {
        let rng = SplitMix64(fault.seed);
        self.rules.push(Rule {
            fault,
            seen: 0,
            fired: 0,
            rng,
        });
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault to apply to this request, if any. Every matching rule counts the request,
    /// draws for it (past its `skip`, while its `times` last) and counts it as fired when the
    /// draw says so, even when an earlier rule is the one applied: a rule's pattern does not
    /// depend on the other rules.
    pub(crate) fn pick(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let mut chosen = None;
        for rule in &mut self.rules {
            let fault = &rule.fault;
            if !fault.matches(method, path) {
                continue;
            }
            rule.seen += 1;
            if rule.seen <= fault.skip || fault.times.is_some_and(|times| rule.fired >= times) {
                continue;
            }
            let fires = fault
                .threshold
                .is_none_or(|threshold| rule.rng.next() < threshold);
            if fires {
                rule.fired += 1;
                chosen.get_or_insert_with(|| fault.kind.clone());
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(b"/v4/account/*", b"/v4/account/x"));
        assert!(!glob_match(b"/v4/account/*", b"/v4/account/x/y"));
        assert!(glob_match(b"/v4/**", b"/v4/account/x/y"));
        assert!(glob_match(b"/v4/*/token", b"/v4/E1/token"));
        assert!(glob_match(b"**", b""));
        assert!(!glob_match(b"/a", b"/b"));
    }

    #[test]
    fn skip_then_times() {
        let mut faults = Faults::default();
        faults.add(Fault::status("get", "/x", 503).skip(1).times(2));
        let picks: Vec<_> = (0..5).map(|_| faults.pick("GET", "/x").is_some()).collect();
        assert_eq!(picks, [false, true, true, false, false]);
        assert!(faults.pick("POST", "/x").is_none());
    }

    fn pattern(fault: Fault, n: usize) -> Vec<bool> {
        let mut faults = Faults::default();
        faults.add(fault);
        (0..n).map(|_| faults.pick("GET", "/x").is_some()).collect()
    }

    #[test]
    fn probability_is_seeded_and_reproducible() {
        let half = |seed| {
            pattern(
                Fault::status("GET", "/x", 503).probability(0.5).seed(seed),
                1000,
            )
        };
        let fired = half(1).iter().filter(|f| **f).count();
        assert!((430..=570).contains(&fired), "{fired} of 1000");
        assert_eq!(half(1), half(1));
        assert_ne!(half(1), half(2));
        let default = pattern(Fault::status("GET", "/x", 503).probability(0.5), 1000);
        assert_eq!(default, half(Fault::DEFAULT_SEED));
        assert!(
            pattern(Fault::status("GET", "/x", 503).probability(1.0), 50)
                .iter()
                .all(|f| *f)
        );
        for never in [0.0, -1.0, f64::NAN] {
            let picks = pattern(Fault::status("GET", "/x", 503).probability(never), 50);
            assert!(picks.iter().all(|f| !*f), "{never}");
        }
    }

    #[test]
    fn probability_after_skip_and_until_times_fired() {
        let picks = pattern(
            Fault::status("GET", "/x", 503)
                .probability(0.3)
                .skip(10)
                .times(5),
            400,
        );
        assert!(picks[..10].iter().all(|f| !*f), "skipped");
        assert_eq!(picks.iter().filter(|f| **f).count(), 5, "fired five times");
        let last = picks.iter().rposition(|f| *f).unwrap();
        assert!(last > 14, "drawn, not the first five: {picks:?}");
    }
}
