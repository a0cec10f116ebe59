//! The API's refusal of a request's EdgeGrid timestamp: [`ClockSkewError`], with the offset
//! between the clock that signed the request and the server's, measured on the answer.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;

use super::{ApiError, Error, ErrorBody};

/// `error` as [`Error::ClockSkew`] if it is the API's refusal of the request's timestamp: a
/// 400 or 401 whose problem says "Invalid timestamp"; otherwise unchanged. `signed_at` is the
/// timestamp (Unix seconds) the request was signed with, if known; else the local clock is
/// read at `now`, when the answer arrived.
pub(crate) fn recognize_clock_skew(error: Error, signed_at: Option<i64>, now: SystemTime) -> Error {
    match error {
        Error::Api(api) if is_timestamp_refusal(&api) => {
            Error::ClockSkew(Box::new(ClockSkewError::new(*api, signed_at, now)))
        }
        other => other,
    }
}

/// The API refused a request because its EdgeGrid timestamp is too far from the server's
/// clock ([`Error::ClockSkew`](super::Error::ClockSkew)).
///
/// Akamai accepts a signed request only when its timestamp is within a short window (about
/// 30 s) of its own clock; outside it, the answer is a 400 or 401 whose problem says "Invalid
/// timestamp". Repeating the request cannot help (it would be signed by the same clock), so
/// it is never retried: set the clock of the machine right (NTP). The measured
/// [`offset`](Self::offset) says by how much it is off.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockSkewError {
    api: ApiError,
    local: SystemTime,
    server: Option<SystemTime>,
}

/// How far the clock that signed a request was from the server's
/// ([`ClockSkewError::offset`]). Both clocks are read in whole seconds, so it is exact to
/// about a second (plus the time the request took).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockOffset {
    /// The local clock is ahead of the server's (fast) by this much.
    Ahead(Duration),
    /// The local clock is behind the server's (slow) by this much.
    Behind(Duration),
}

impl ClockOffset {
    /// The offset of `local` from `server`.
    fn between(local: SystemTime, server: SystemTime) -> Self {
        match local.duration_since(server) {
            Ok(ahead) => Self::Ahead(ahead),
            Err(behind) => Self::Behind(behind.duration()),
        }
    }

    /// How far apart the clocks are, whichever is ahead.
    pub fn magnitude(self) -> Duration {
        match self {
            Self::Ahead(d) | Self::Behind(d) => d,
        }
    }
}

impl fmt::Display for ClockOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ahead(d) => write!(f, "{} s ahead of", d.as_secs()),
            Self::Behind(d) => write!(f, "{} s behind", d.as_secs()),
        }
    }
}

impl ClockSkewError {
    /// The timestamp refusal `api` (see [`recognize_clock_skew`]).
    fn new(api: ApiError, signed_at: Option<i64>, now: SystemTime) -> Self {
        let local = signed_at
            .and_then(|secs| u64::try_from(secs).ok())
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
            .unwrap_or(now);
        let server = server_time(&api);
        Self { api, local, server }
    }

    /// How far the clock that signed the request was from the server's: the request's
    /// timestamp against the answer's `Date` header (or, without one, the `requestTime` of
    /// Akamai's problem). `None` when the answer says neither.
    pub fn offset(&self) -> Option<ClockOffset> {
        self.server
            .map(|server| ClockOffset::between(self.local, server))
    }

    /// The time of the local clock the offset was measured with: the timestamp the request was
    /// signed with (the signer's clock), or the system clock when the answer arrived if the
    /// SDK did not sign the request.
    pub fn local_time(&self) -> SystemTime {
        self.local
    }

    /// The server's time, from the answer's `Date` header or the problem's `requestTime`.
    pub fn server_time(&self) -> Option<SystemTime> {
        self.server
    }

    /// The API's answer: status, kept headers and body.
    pub fn api(&self) -> &ApiError {
        &self.api
    }
}

impl fmt::Display for ClockSkewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset() {
            Some(offset) => write!(
                f,
                "the API refused the request's EdgeGrid timestamp: the local clock is {offset} \
                 the server's; set it right (NTP)"
            )?,
            None => write!(
                f,
                "the API refused the request's EdgeGrid timestamp as too far from its clock; \
                 set the local clock right (NTP)"
            )?,
        }
        write!(f, " ({})", self.api)
    }
}

impl std::error::Error for ClockSkewError {}

/// Whether `api` is Akamai's refusal of a request's timestamp: a 400 (as the API answers) or
/// a 401 whose problem `detail` says "Invalid timestamp".
fn is_timestamp_refusal(api: &ApiError) -> bool {
    if !matches!(
        api.status(),
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED
    ) {
        return false;
    }
    match api.body() {
        ErrorBody::Problem(problem) => problem
            .detail
            .as_deref()
            .is_some_and(|d| d.to_ascii_lowercase().contains("invalid timestamp")),
        _ => false,
    }
}

/// The server's time: the `Date` header, else the problem's `requestTime` (RFC 3339).
fn server_time(api: &ApiError) -> Option<SystemTime> {
    if let Some(date) = api.header("date") {
        if let Ok(time) = httpdate::parse_http_date(date.trim()) {
            return Some(time);
        }
    }
    let ErrorBody::Problem(problem) = api.body() else {
        return None;
    };
    let text = problem.extra.get("requestTime")?.as_str()?;
    let at = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    let secs = u64::try_from(at.timestamp()).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};
    use serde_json::json;

    fn refusal(
        status: u16,
        detail: &str,
        date: Option<&str>,
        extra: serde_json::Value,
    ) -> ApiError {
        let mut headers = HeaderMap::new();
        if let Some(date) = date {
            headers.insert("date", HeaderValue::from_str(date).unwrap());
        }
        let mut body = json!({
            "type": "https://problems.luna.akamaiapis.net/-/pep-authn/request-error",
            "title": "Bad request",
            "detail": detail,
        });
        if let (Some(body), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        ApiError::new(
            StatusCode::from_u16(status).unwrap(),
            &headers,
            ErrorBody::from_json(body),
        )
    }

    fn recognize(api: ApiError, signed_at: Option<i64>, now: SystemTime) -> Option<ClockSkewError> {
        match recognize_clock_skew(Error::Api(Box::new(api)), signed_at, now) {
            Error::ClockSkew(skew) => Some(*skew),
            _ => None,
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    // 2024-05-21T10:00:00Z
    const SERVER: u64 = 1_716_285_600;
    const DATE: &str = "Tue, 21 May 2024 10:00:00 GMT";

    #[test]
    fn an_invalid_timestamp_refusal_is_recognized_with_the_offset_from_the_date_header() {
        let api = refusal(400, "Invalid timestamp", Some(DATE), json!({}));
        let signed = i64::try_from(SERVER + 600).unwrap();
        let skew = recognize(api.clone(), Some(signed), at(0)).unwrap();
        assert_eq!(
            skew.offset(),
            Some(ClockOffset::Ahead(Duration::from_secs(600)))
        );
        assert_eq!(skew.server_time(), Some(at(SERVER)));
        assert_eq!(skew.local_time(), at(SERVER + 600));
        assert_eq!(skew.api(), &api);
        let text = skew.to_string();
        assert!(text.contains("600 s ahead of the server's"), "{text}");
        assert!(text.contains("HTTP 400"), "{text}");

        let api = refusal(
            401,
            "Invalid timestamp: out of the allowed clock skew.",
            Some(DATE),
            json!({}),
        );
        let skew = recognize(api, None, at(SERVER - 45)).unwrap();
        assert_eq!(
            skew.offset(),
            Some(ClockOffset::Behind(Duration::from_secs(45)))
        );
        assert!(skew.to_string().contains("45 s behind the server's"));
    }

    #[test]
    fn without_a_date_header_the_problem_request_time_is_the_server_time() {
        let api = refusal(
            400,
            "Invalid timestamp",
            None,
            json!({"requestTime": "2024-05-21T10:00:00Z"}),
        );
        let skew = recognize(api, None, at(SERVER + 90)).unwrap();
        assert_eq!(
            skew.offset(),
            Some(ClockOffset::Ahead(Duration::from_secs(90)))
        );
        let api = refusal(400, "Invalid timestamp", None, json!({}));
        let skew = recognize(api, None, at(SERVER)).unwrap();
        assert_eq!(skew.offset(), None);
        assert!(skew.to_string().contains("too far from its clock"));
    }

    #[test]
    fn other_refusals_are_not_clock_skew() {
        for api in [
            refusal(401, "The signature does not match", Some(DATE), json!({})),
            refusal(403, "Invalid timestamp", Some(DATE), json!({})),
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                &HeaderMap::new(),
                ErrorBody::from_json(json!({"errors": [{"reason": "Invalid timestamp"}]})),
            ),
        ] {
            assert!(recognize(api, None, at(SERVER)).is_none());
        }
    }
}
