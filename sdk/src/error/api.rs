//! An error answer of the API: [`ApiError`] (status, the few headers worth keeping, and the
//! body) and the body parsed as a Linode error list, an Akamai problem+json document, other
//! JSON, or a bounded text snippet, redacted before it is stored.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Map, Value};

use crate::redact::{self, truncate_on_char_boundary};

/// At most this many bytes of an error body are read to parse it.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A non-JSON error body is kept as a snippet of at most this many bytes.
pub const SNIPPET_BYTES: usize = 512;

/// Longest header value kept in an [`ApiError`].
const MAX_KEPT_HEADER_LEN: usize = 256;

/// Response headers an [`ApiError`] keeps: request ids (most useful first, the order of
/// [`ApiError::request_id`]), the content type, the server's date (which a clock skew is
/// measured against), and what the retry policy reads.
const KEPT_HEADERS: &[&str] = &[
    "x-request-id",
    "x-akamai-request-id",
    "x-trace-id",
    "akamai-grn",
    "content-type",
    "date",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-next",
    "ratelimit-reset",
];

const REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "x-akamai-request-id",
    "x-trace-id",
    "akamai-grn",
];

/// The few response headers an [`ApiError`] keeps.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct KeptHeaders(Vec<(&'static str, String)>);

impl KeptHeaders {
    pub(crate) fn from_map(headers: &HeaderMap) -> Self {
        let kept = KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?.to_str().ok()?;
                let (value, _) = truncate_on_char_boundary(value.trim(), MAX_KEPT_HEADER_LEN);
                Some((*name, value.to_owned()))
            })
            .collect();
        Self(kept)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for KeptHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(n, v)| (n, v)))
            .finish()
    }
}

/// An error response of the API.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    headers: KeptHeaders,
    body: ErrorBody,
}

impl ApiError {
    /// An API error from its parts (for handwritten calls and tests). Only the headers this
    /// type keeps are copied (request ids, content type, `Date`, `Retry-After`, rate-limit
    /// headers).
    pub fn new(status: StatusCode, headers: &HeaderMap, body: ErrorBody) -> Self {
        Self::from_parts(status, KeptHeaders::from_map(headers), body)
    }

    pub(crate) fn from_parts(status: StatusCode, headers: KeptHeaders, body: ErrorBody) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// Whether this is EdgeKV's 400 for a namespace that does not exist (a problem whose
    /// `detail` says "The requested namespace does not exist").
    pub(crate) fn names_a_missing_namespace(&self) -> bool {
        self.status == StatusCode::BAD_REQUEST
            && matches!(&self.body, ErrorBody::Problem(p) if p.detail.as_deref().is_some_and(|d| {
                let d = d.to_ascii_lowercase();
                d.contains("requested namespace") && d.contains("does not exist")
            }))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The parsed (and redacted) body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    /// A kept response header: `x-request-id`, `x-akamai-request-id`, `x-trace-id`,
    /// `akamai-grn`, `content-type`, `date`, `retry-after`, `x-ratelimit-limit`,
    /// `x-ratelimit-remaining`, `x-ratelimit-reset`, `x-ratelimit-next` or `ratelimit-reset`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The `Content-Type` of the response.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get("content-type")
    }

    /// The request id (see [`Error::request_id`](crate::Error::request_id)).
    pub fn request_id(&self) -> Option<&str> {
        REQUEST_ID_HEADERS
            .iter()
            .find_map(|name| self.headers.get(name))
            .or(match &self.body {
                ErrorBody::Problem(problem) => problem.request_id.as_deref(),
                _ => None,
            })
    }

    /// The wait the server asks for with `Retry-After` (delta-seconds or an HTTP date),
    /// measured from `now`.
    pub fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        crate::headers::parse_retry_after(self.headers.get("retry-after")?, now)
    }

    /// The wait until the rate limit resets, from `X-RateLimit-Reset` (epoch seconds as Linode
    /// sends it, or delta-seconds), `X-RateLimit-Next` (as Akamai sends it: a timestamp) or
    /// `RateLimit-Reset`, measured from `now`.
    pub fn rate_limit_reset(&self, now: SystemTime) -> Option<Duration> {
        ["x-ratelimit-reset", "x-ratelimit-next", "ratelimit-reset"]
            .iter()
            .find_map(|name| crate::headers::parse_reset(self.headers.get(name)?, now))
    }

    /// A one-line description of the body, if it says anything.
    pub fn message(&self) -> Option<String> {
        let text = match &self.body {
            ErrorBody::Linode(errors) => {
                let parts: Vec<String> = errors
                    .iter()
                    .take(5)
                    .map(|e| match &e.field {
                        Some(field) => format!("{field}: {}", e.reason),
                        None => e.reason.clone(),
                    })
                    .collect();
                let mut text = parts.join("; ");
                if errors.len() > 5 {
                    text.push_str(&format!("; and {} more", errors.len() - 5));
                }
                text
            }
            ErrorBody::Problem(p) => {
                let mut text = match (&p.title, &p.detail) {
                    (Some(title), Some(detail)) if title != detail => format!("{title}: {detail}"),
                    (Some(title), _) => title.clone(),
                    (None, Some(detail)) => detail.clone(),
                    (None, None) => p.problem_type.clone().unwrap_or_default(),
                };
                if let Some(code) = &p.error_code {
                    if text.is_empty() {
                        text = code.clone();
                    } else {
                        text.push_str(&format!(" ({code})"));
                    }
                }
                text
            }
            ErrorBody::Json(value) => value.to_string(),
            ErrorBody::Text(text) => format!(
                "{} body of {}{} bytes",
                text.content_type.as_deref().unwrap_or("untyped"),
                text.len,
                if text.truncated { "+" } else { "" }
            ),
            ErrorBody::Empty => return None,
        };
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let (text, cut) = truncate_on_char_boundary(text, SNIPPET_BYTES);
        Some(if cut {
            format!("{text}…")
        } else {
            text.to_owned()
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error: HTTP {}", self.status)?;
        if let Some(message) = self.message() {
            write!(f, ": {message}")?;
        }
        if let Some(id) = self.request_id() {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// The body of an API error response, parsed and [redacted](crate::redact).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ErrorBody {
    /// Linode's `{"errors": [{"reason": …, "field": …}]}`.
    Linode(Vec<LinodeError>),
    /// An Akamai problem+json document (RFC 9457 with Akamai extensions).
    Problem(Box<Problem>),
    /// Other JSON.
    Json(Value),
    /// A body that is not JSON (an HTML page from a gateway, plain text, or JSON cut at the
    /// read limit): a bounded snippet.
    Text(TextBody),
    /// No body.
    Empty,
}

/// One entry of a Linode error list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinodeError {
    /// What went wrong.
    pub reason: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
}

/// An Akamai problem+json error. Every field is optional; unknown fields are kept in `extra`.
#[derive(Clone, Debug, PartialEq, Default)]
#[non_exhaustive]
pub struct Problem {
    /// `type`: a URI naming the kind of problem.
    pub problem_type: Option<String>,
    /// `title`: a short summary.
    pub title: Option<String>,
    /// `detail`: this occurrence explained.
    pub detail: Option<String>,
    /// `status`: the HTTP status the server meant.
    pub status: Option<u16>,
    /// `errorCode`: Akamai's error code (EdgeKV: `EKV_…`).
    pub error_code: Option<String>,
    /// `instance`: a URI naming this occurrence.
    pub instance: Option<String>,
    /// `additionalDetail.requestId` (or a top-level `requestId`).
    pub request_id: Option<String>,
    /// All other members (including `additionalDetail` and `errors`), redacted.
    pub extra: Map<String, Value>,
}

/// A bounded, redacted snippet of a non-JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TextBody {
    /// The response's `Content-Type`.
    pub content_type: Option<String>,
    /// At most [`SNIPPET_BYTES`] bytes of the body (cut on a character boundary), redacted.
    pub snippet: String,
    /// How many bytes of the body were read.
    pub len: usize,
    /// Whether the body was longer than what was read or than the snippet.
    pub truncated: bool,
}

impl ErrorBody {
    /// Parses an error body: JSON (when it is complete and parses) is classified by
    /// [`ErrorBody::from_json`]; anything else becomes a redacted [`TextBody`] snippet.
    /// `complete` says whether `bytes` is the whole body.
    // Public for the workspace's contract tests, which classify the bodies a mock server
    // sends; dependents get parsed bodies from `ApiError::body`.
    #[doc(hidden)]
    pub fn parse(content_type: Option<&str>, bytes: &[u8], complete: bool) -> Self {
        let trimmed = bytes.trim_ascii();
        if trimmed.is_empty() {
            return if complete {
                Self::Empty
            } else {
                Self::Text(TextBody::new(content_type, bytes, complete))
            };
        }
        let looks_json = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("json"))
            || matches!(trimmed.first(), Some(b'{' | b'['));
        if complete && looks_json {
            if let Ok(value @ (Value::Object(_) | Value::Array(_))) =
                serde_json::from_slice::<Value>(trimmed)
            {
                return Self::from_json(value);
            }
        }
        Self::Text(TextBody::new(content_type, bytes, complete))
    }

    /// Classifies a JSON error body after redacting it: a Linode error list (an `errors`
    /// array whose entries have a `reason`), an Akamai problem (an object with `type`,
    /// `title`, `detail` or `errorCode`), other JSON, or [`ErrorBody::Empty`] for `null`.
    pub fn from_json(mut value: Value) -> Self {
        redact::redact_json(&mut value);
        let Value::Object(mut map) = value else {
            return match value {
                Value::Null => Self::Empty,
                other => Self::Json(other),
            };
        };
        if let Some(Value::Array(items)) = map.get("errors") {
            if items.iter().any(|item| item.get("reason").is_some()) {
                let errors = items
                    .iter()
                    .map(|item| LinodeError {
                        reason: item.get("reason").map(json_text).unwrap_or_default(),
                        field: item.get("field").filter(|f| !f.is_null()).map(json_text),
                    })
                    .collect();
                return Self::Linode(errors);
            }
        }
        if ["type", "title", "detail", "errorCode"]
            .iter()
            .any(|key| map.contains_key(*key))
        {
            let mut take = |key: &str| {
                map.remove(key)
                    .filter(|v| !v.is_null())
                    .map(|v| json_text(&v))
            };
            let problem_type = take("type");
            let title = take("title");
            let detail = take("detail");
            let error_code = take("errorCode");
            let instance = take("instance");
            let status = map.remove("status").and_then(|v| match v {
                Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            });
            let request_id = map
                .get("additionalDetail")
                .and_then(|d| d.get("requestId"))
                .or_else(|| map.get("requestId"))
                .filter(|v| !v.is_null())
                .map(json_text);
            return Self::Problem(Box::new(Problem {
                problem_type,
                title,
                detail,
                status,
                error_code,
                instance,
                request_id,
                extra: map,
            }));
        }
        if map.is_empty() {
            return Self::Empty;
        }
        Self::Json(Value::Object(map))
    }
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl TextBody {
    fn new(content_type: Option<&str>, bytes: &[u8], complete: bool) -> Self {
        let head = &bytes[..bytes.len().min(SNIPPET_BYTES)];
        let text: Cow<'_, str> = match std::str::from_utf8(head) {
            Ok(text) => Cow::Borrowed(text),
            // Cut inside a multi-byte character: keep the whole characters before it.
            Err(e) if e.error_len().is_none() => String::from_utf8_lossy(&head[..e.valid_up_to()]),
            Err(_) => String::from_utf8_lossy(head),
        };
        let (text, _) = truncate_on_char_boundary(&text, SNIPPET_BYTES);
        let redacted = redact::redact_text(text);
        // `[REDACTED]` may be longer than what it replaced.
        let snippet = truncate_on_char_boundary(&redacted, SNIPPET_BYTES)
            .0
            .to_owned();
        Self {
            content_type: content_type.map(str::to_owned),
            truncated: !complete || head.len() < bytes.len(),
            len: bytes.len(),
            snippet,
        }
    }
}

/// A redacted snippet of a body that is not JSON (so cannot hold a JSON secret field).
pub(crate) fn non_json_snippet(bytes: &[u8]) -> Option<String> {
    if bytes.trim_ascii().is_empty()
        || serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return None;
    }
    let first = bytes.trim_ascii_start().first();
    if matches!(first, Some(b'{' | b'[' | b'"')) {
        return None;
    }
    Some(TextBody::new(None, bytes, true).snippet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    #[test]
    fn linode_error_list_parses() {
        let body = br#"{"errors":[{"reason":"Label must be unique","field":"label"},{"reason":"Not allowed"}]}"#;
        let ErrorBody::Linode(errors) = ErrorBody::parse(Some("application/json"), body, true)
        else {
            panic!("not a Linode body")
        };
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field.as_deref(), Some("label"));
        assert_eq!(errors[1].field, None);
        let api = ApiError::new(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            ErrorBody::parse(None, body, true),
        );
        assert_eq!(
            api.to_string(),
            "API error: HTTP 400 Bad Request: label: Label must be unique; Not allowed"
        );
    }

    #[test]
    fn problem_json_tolerates_missing_and_extra_fields() {
        let body = json!({
            "type": "https://problems.luna.akamaiapis.net/edgekv/not-found",
            "title": "Not Found",
            "status": "404",
            "errorCode": "EKV_0000",
            "additionalDetail": {"requestId": "rid-1"},
            "unknown": [1, 2],
            "token": "leak"
        });
        let ErrorBody::Problem(p) = ErrorBody::from_json(body) else {
            panic!("not a problem")
        };
        assert_eq!(p.status, Some(404));
        assert_eq!(p.detail, None);
        assert_eq!(p.request_id.as_deref(), Some("rid-1"));
        assert_eq!(p.error_code.as_deref(), Some("EKV_0000"));
        assert_eq!(p.extra["unknown"], json!([1, 2]));
        assert_eq!(p.extra["token"], redact::REDACTED);
        let api = ApiError::new(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            ErrorBody::Problem(p),
        );
        assert_eq!(api.request_id(), Some("rid-1"));
        assert_eq!(
            api.to_string(),
            "API error: HTTP 404 Not Found: Not Found (EKV_0000) [request id rid-1]"
        );
    }

    #[test]
    fn non_json_bodies_keep_a_bounded_redacted_snippet() {
        let mut html = String::from("<html><body>Bad gateway token=abc123 ");
        while html.len() < 2000 {
            html.push('€');
        }
        let ErrorBody::Text(text) = ErrorBody::parse(Some("text/html"), html.as_bytes(), true)
        else {
            panic!("not text")
        };
        assert!(text.snippet.len() <= SNIPPET_BYTES);
        assert!(text.truncated);
        assert!(!text.snippet.contains("abc123"));
        assert!(text.snippet.ends_with('€'));
        assert_eq!(text.len, html.len());
        assert_eq!(text.content_type.as_deref(), Some("text/html"));
        // JSON cut at the read limit is not parsed but still redacted.
        let ErrorBody::Text(cut) =
            ErrorBody::parse(Some("application/json"), br#"{"token":"abc"#, false)
        else {
            panic!("not text")
        };
        assert_eq!(cut.snippet, r#"{"token":"[REDACTED]"#);
        assert_eq!(ErrorBody::parse(None, b"  ", true), ErrorBody::Empty);
        assert_eq!(ErrorBody::from_json(Value::Null), ErrorBody::Empty);
    }

    #[test]
    fn kept_headers_give_the_request_id_and_nothing_secret() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer s3cr3t"));
        headers.insert("akamai-grn", HeaderValue::from_static("0.1.2"));
        headers.insert("x-trace-id", HeaderValue::from_static("trace"));
        let api = ApiError::new(StatusCode::BAD_GATEWAY, &headers, ErrorBody::Empty);
        assert_eq!(api.request_id(), Some("trace"));
        assert_eq!(api.header("Akamai-GRN"), Some("0.1.2"));
        assert!(!format!("{api:?}").contains("s3cr3t"));
    }
}
