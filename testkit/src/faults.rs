//! Fault injection: rules matched by method and path glob, applied in the order they were
//! added, each after skipping `skip` matching requests and for `times` of them.

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    method: String,
    path: String,
    kind: FaultKind,
    skip: u64,
    times: Option<u64>,
}

impl Fault {
    /// A rule applied to every matching request (see [`Fault::times`] and [`Fault::skip`]).
    pub fn new(method: &str, path_glob: &str, kind: FaultKind) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path_glob.to_owned(),
            kind,
            skip: 0,
            times: None,
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

/// The rules of one emulator with their progress.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<(Fault, u64)>,
}

impl Faults {
    pub(crate) fn add(&mut self, fault: Fault) {
        self.rules.push((fault, 0));
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault to apply to this request, if any. Every matching rule counts the request.
    pub(crate) fn pick(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let mut chosen = None;
        for (rule, seen) in &mut self.rules {
            if !rule.matches(method, path) {
                continue;
            }
            *seen += 1;
            let active =
                *seen > rule.skip && rule.times.is_none_or(|times| *seen - rule.skip <= times);
            if active && chosen.is_none() {
                chosen = Some(rule.kind.clone());
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
}
