//! The one error type of the SDK, [`Error`], and the parsed API error bodies it carries.
//!
//! Every fallible SDK call returns [`Error`]. An error response of the API becomes
//! [`Error::Api`], which keeps the status, a small set of headers (request ids, `Retry-After`,
//! rate-limit headers, `Content-Type`) and the body, parsed as a Linode error list, an Akamai
//! problem+json document, other JSON, or (for an HTML gateway page and the like) a bounded text
//! snippet. Bodies are [redacted](crate::redact) before they are stored, so neither `Display` nor
//! `Debug` of an error ever prints a token.
//!
//! Errors of the generated clients (`progenitor_client::Error<E>`) are converted by the
//! runtime that runs every call, which reads the body of an undocumented response (bounded).
//!
//! ```
//! use akamai_sdk::Error;
//!
//! fn explain(err: &Error) -> String {
//!     if err.is_not_found() {
//!         return "no such thing".into();
//!     }
//!     match err.request_id() {
//!         Some(id) => format!("{err} (quote request id {id} to support)"),
//!         None => err.to_string(),
//!     }
//! }
//! # let _ = explain;
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use progenitor_client::{ByteStream, Error as GeneratedError};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::redact::{self, truncate_on_char_boundary};

/// At most this many bytes of an error body are read to parse it.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A non-JSON error body is kept as a snippet of at most this many bytes.
pub const SNIPPET_BYTES: usize = 512;

/// Longest header value kept in an [`ApiError`].
const MAX_KEPT_HEADER_LEN: usize = 256;

/// Response headers an [`ApiError`] keeps: request ids (most useful first, the order of
/// [`ApiError::request_id`]), the content type, and what the retry policy reads.
const KEPT_HEADERS: &[&str] = &[
    "x-request-id",
    "x-akamai-request-id",
    "x-trace-id",
    "akamai-grn",
    "content-type",
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

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A configuration problem. Messages name the setting at fault, never a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL does not parse or has a form the SDK refuses.
    #[error("invalid base URL: {reason}")]
    InvalidBaseUrl {
        /// Why it was refused.
        reason: String,
    },
    /// The base URL is plain http to a host where credentials would travel in clear text.
    #[error(
        "refusing plain http to `{host}`: credentials are only sent over https \
         (plain http is allowed for loopback hosts with `allow_insecure_loopback(true)`)"
    )]
    InsecureBaseUrl {
        /// The host of the refused URL.
        host: String,
    },
    /// The user agent suffix is not a valid header value.
    #[error("invalid user agent suffix: it must be visible ASCII without control characters")]
    InvalidUserAgent,
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// Another setting is wrong (used by the credential and API layers).
    #[error("{0}")]
    Invalid(String),
}

/// Everything that can go wrong in an SDK call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (4xx, 5xx or an unexpected status).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The connection failed: it could not be opened, or it broke while the request was sent
    /// or the response read. [`Error::is_connect`] tells whether the request never left.
    #[error("{}", transport_message(.0))]
    Transport(#[source] reqwest::Error),
    /// The connect timeout or the total request timeout of the HTTP client elapsed.
    #[error("{}", timeout_message(.0))]
    Timeout(#[source] reqwest::Error),
    /// A response body did not have the expected shape.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// The client is misconfigured (base URL, credentials file, HTTP client settings).
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// The EdgeGrid credentials (`.edgerc` or environment) are missing or malformed; the
    /// error names the file, section, key and line, never a secret.
    #[error(transparent)]
    Credentials(#[from] crate::edgegrid::CredentialsError),
    /// The request could not be signed. The message never contains a secret.
    #[error("request signing failed: {0}")]
    Signing(String),
    /// An argument was rejected before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The call's deadline ([`HttpConfig::with_deadline`](crate::config::HttpConfig::with_deadline))
    /// ran out: during an attempt, or before the next wait between attempts could end.
    /// [`Error::Timeout`] is the other case: one attempt ran past its own timeout.
    #[error(transparent)]
    Deadline(Box<DeadlineError>),
}

/// Where a call was when its deadline ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadlinePhase {
    /// An attempt was running and was stopped at the deadline. For a request that is not
    /// idempotent the server may have acted on it.
    Attempt,
    /// An attempt failed and the wait before the next one would have ended past the
    /// deadline, so no further attempt was made (the call fails as soon as that is known,
    /// not at the deadline); [`DeadlineError::last_error`] is that attempt's error.
    Wait,
}

/// The deadline of a call ran out ([`Error::Deadline`]).
#[derive(Debug)]
pub struct DeadlineError {
    deadline: std::time::Duration,
    phase: DeadlinePhase,
    attempts: u32,
    last_error: Option<Error>,
}

impl DeadlineError {
    pub(crate) fn new(
        deadline: std::time::Duration,
        phase: DeadlinePhase,
        attempts: u32,
        last_error: Option<Error>,
    ) -> Self {
        Self {
            deadline,
            phase,
            attempts,
            last_error,
        }
    }

    /// The deadline that ran out.
    pub fn deadline(&self) -> std::time::Duration {
        self.deadline
    }

    /// Whether an attempt was stopped, or the retries were given up before a wait.
    pub fn phase(&self) -> DeadlinePhase {
        self.phase
    }

    /// How many attempts were started.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The error of the last attempt that failed, if one did.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }
}

impl fmt::Display for DeadlineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.deadline.as_millis();
        match self.phase {
            DeadlinePhase::Attempt => write!(
                f,
                "the call deadline of {ms} ms ran out during attempt {}",
                self.attempts
            ),
            DeadlinePhase::Wait => write!(
                f,
                "the call deadline of {ms} ms would run out before attempt {} could start",
                self.attempts + 1
            ),
        }
    }
}

impl std::error::Error for DeadlineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.last_error
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

fn transport_message(e: &reqwest::Error) -> &'static str {
    if e.is_connect() {
        "could not connect to the API"
    } else if e.is_body() || e.is_decode() {
        "the connection failed while reading the response"
    } else if e.is_builder() {
        "the HTTP request could not be built"
    } else {
        "the connection failed while sending the request or awaiting the response"
    }
}

fn timeout_message(e: &reqwest::Error) -> &'static str {
    if e.is_connect() {
        "timed out connecting to the API"
    } else {
        "the attempt timed out (the per-attempt timeout of HttpConfig::with_timeout)"
    }
}

/// Statuses worth retrying for an idempotent request: 408, 429, 500, 502, 503 and 504.
fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

impl Error {
    /// Converts an error of a generated client, reading (at most [`MAX_ERROR_BODY_BYTES`] of)
    /// the body of an undocumented response so that it can be parsed like a documented one.
    ///
    /// A typed error body (`ErrorResponse`) is re-serialized and parsed into [`ErrorBody`].
    ///
    /// On its own this cannot keep the status of a typed error body that does not decode (an
    /// HTML page from a gateway on a documented 5xx): progenitor reports
    /// `InvalidResponsePayload` with the bytes only, which becomes [`Error::Decode`] with a
    /// redacted [snippet](DecodeError::snippet). [`Runtime::call`](crate::runtime::Runtime::call)
    /// does better: it captures the response's status and headers around each attempt
    /// (`akamai_sdk_generated::capture_response`) and turns such a body into [`Error::Api`].
    pub(crate) async fn from_generated<E: Serialize>(error: GeneratedError<E>) -> Self {
        match error {
            GeneratedError::UnexpectedResponse(response) => Self::from_response(response).await,
            other => Self::from(other),
        }
    }

    /// Like [`Error::from_generated`], for operations whose error body is untyped
    /// (`ByteStream`): reads at most [`MAX_ERROR_BODY_BYTES`] of it and parses it.
    pub(crate) async fn from_generated_stream(error: GeneratedError<ByteStream>) -> Self {
        match error {
            GeneratedError::ErrorResponse(response) => {
                let status = response.status();
                let headers = KeptHeaders::from_map(response.headers());
                let mut stream = response.into_inner_stream();
                let mut buf = Vec::new();
                let complete = loop {
                    match stream.next().await {
                        Some(Ok(chunk)) => {
                            let room = MAX_ERROR_BODY_BYTES - buf.len();
                            if chunk.len() > room {
                                buf.extend_from_slice(&chunk[..room]);
                                break false;
                            }
                            buf.extend_from_slice(&chunk);
                        }
                        Some(Err(_)) => break false,
                        None => break true,
                    }
                };
                let body = ErrorBody::parse(headers.get("content-type"), &buf, complete);
                Self::Api(Box::new(ApiError {
                    status,
                    headers,
                    body,
                }))
            }
            GeneratedError::UnexpectedResponse(response) => Self::from_response(response).await,
            GeneratedError::InvalidRequest(m) => {
                Self::from(GeneratedError::<()>::InvalidRequest(m))
            }
            GeneratedError::CommunicationError(e) => Self::from_reqwest(e),
            GeneratedError::ResponseBodyError(e) => Self::from_reqwest(e),
            GeneratedError::InvalidUpgrade(e) => Self::Transport(e),
            GeneratedError::InvalidResponsePayload(bytes, e) => {
                Self::from(GeneratedError::<()>::InvalidResponsePayload(bytes, e))
            }
            GeneratedError::Custom(m) => Self::from(GeneratedError::<()>::Custom(m)),
        }
    }

    /// Turns a response with an unwanted status into an error, reading at most
    /// [`MAX_ERROR_BODY_BYTES`] of its body. A success status that the caller did not expect
    /// becomes [`Error::Decode`]; any other status becomes [`Error::Api`].
    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = KeptHeaders::from_map(response.headers());
        if status.is_success() {
            return Self::Decode(Box::new(DecodeError {
                status: Some(status),
                path: None,
                message: format!("unexpected response status {status}"),
                snippet: None,
            }));
        }
        let (body, complete) = read_bounded(response, MAX_ERROR_BODY_BYTES).await;
        let body = ErrorBody::parse(headers.get("content-type"), &body, complete);
        Self::Api(Box::new(ApiError {
            status,
            headers,
            body,
        }))
    }

    /// The HTTP status, if the error comes from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::Decode(decode) => decode.status,
            Self::Transport(e) | Self::Timeout(e) => e.status(),
            Self::Config(_)
            | Self::Credentials(_)
            | Self::Signing(_)
            | Self::InvalidInput(_)
            | Self::Deadline(_) => None,
        }
    }

    /// The API error, if the API answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Whether the API answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the API answered 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
    }

    /// Whether the call timed out: connecting, one attempt ([`Error::Timeout`]), or the whole
    /// call ([`Error::Deadline`]).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Deadline(_))
    }

    /// Whether the connection could not be opened, so the request never reached the server.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Transport(e) | Self::Timeout(e) if e.is_connect())
    }

    /// Whether the response began but its body broke off (the connection closed before the
    /// length it announced, or a chunked body ended early).
    ///
    /// The runtime retries such an attempt only for an idempotent operation. For a POST the
    /// server may have acted (a proxy token minted, a namespace created), so the call fails
    /// with this error instead of sending the request again: look the resource up before
    /// creating it anew.
    pub fn is_incomplete_body(&self) -> bool {
        matches!(self, Self::Transport(e) if e.is_body() || e.is_decode())
    }

    /// Whether repeating an idempotent request could succeed: a transport failure, a timeout,
    /// or status 408, 429, 500, 502, 503 or 504. (For POST and PATCH the
    /// [retry policy](crate::retry::RetryPolicy) retries less: see
    /// [`Error::is_retryable_for`].)
    pub fn is_retryable(&self) -> bool {
        self.is_retryable_for(true)
    }

    /// Whether repeating the request could succeed, for a request that is `idempotent` or not
    /// ([`Operation::idempotent`](crate::generated::Operation::idempotent)): the one rule the
    /// retry policy applies, before it counts attempts and waits. A request that is not
    /// idempotent is repeated only when the server cannot have acted on it: a 429, a refused
    /// connection, a connect timeout.
    pub fn is_retryable_for(&self, idempotent: bool) -> bool {
        match self {
            Self::Api(api) => {
                api.status == StatusCode::TOO_MANY_REQUESTS
                    || (idempotent && is_retryable_status(api.status))
            }
            Self::Transport(e) => e.is_connect() || (idempotent && !e.is_builder()),
            Self::Timeout(e) => e.is_connect() || idempotent,
            Self::Decode(_)
            | Self::Config(_)
            | Self::Credentials(_)
            | Self::Signing(_)
            | Self::InvalidInput(_)
            | Self::Deadline(_) => false,
        }
    }

    /// The deadline error, if the call's deadline ran out.
    pub fn deadline(&self) -> Option<&DeadlineError> {
        match self {
            Self::Deadline(d) => Some(d),
            _ => None,
        }
    }

    /// The request id the API gave this call (`X-Request-Id`, `X-Akamai-Request-ID`,
    /// `X-Trace-Id`, `akamai-grn`, or `additionalDetail.requestId` of a problem+json body).
    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(ApiError::request_id)
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout(e)
        } else {
            Self::Transport(e)
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Self::from_reqwest(e)
    }
}

/// Synchronous conversion of a generated client's error. The body of an undocumented response
/// (`UnexpectedResponse`) cannot be read here and is dropped (status and headers are kept);
/// the runtime, which runs every call, reads it (bounded) instead.
impl<E: Serialize> From<GeneratedError<E>> for Error {
    fn from(error: GeneratedError<E>) -> Self {
        match error {
            GeneratedError::InvalidRequest(message) => {
                Self::InvalidInput(redact::redact_text(&message).into_owned())
            }
            GeneratedError::CommunicationError(e) | GeneratedError::ResponseBodyError(e) => {
                Self::from_reqwest(e)
            }
            GeneratedError::InvalidUpgrade(e) => Self::Transport(e),
            GeneratedError::ErrorResponse(response) => {
                let status = response.status();
                let headers = KeptHeaders::from_map(response.headers());
                let body = match serde_json::to_value(response.into_inner()) {
                    Ok(value) => ErrorBody::from_json(value),
                    Err(_) => ErrorBody::Empty,
                };
                Self::Api(Box::new(ApiError {
                    status,
                    headers,
                    body,
                }))
            }
            GeneratedError::InvalidResponsePayload(bytes, e) => {
                let mut decode = DecodeError::from_json_error(None, None, &e);
                decode.snippet = non_json_snippet(&bytes);
                Self::Decode(Box::new(decode))
            }
            GeneratedError::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = KeptHeaders::from_map(response.headers());
                if status.is_success() {
                    Self::Decode(Box::new(DecodeError {
                        status: Some(status),
                        path: None,
                        message: format!("unexpected response status {status}"),
                        snippet: None,
                    }))
                } else {
                    Self::Api(Box::new(ApiError {
                        status,
                        headers,
                        body: ErrorBody::Empty,
                    }))
                }
            }
            GeneratedError::Custom(message) => {
                Self::Signing(redact::redact_text(&message).into_owned())
            }
        }
    }
}

/// Reads at most `limit` bytes of a body. Returns the bytes and whether that was all of it.
pub(crate) async fn read_bounded(mut response: reqwest::Response, limit: usize) -> (Vec<u8>, bool) {
    let mut buf = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - buf.len();
                if chunk.len() > room {
                    buf.extend_from_slice(&chunk[..room]);
                    return (buf, false);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return (buf, true),
            Err(_) => return (buf, false),
        }
    }
}

/// The few response headers an [`ApiError`] keeps.
#[derive(Clone, Default, PartialEq, Eq)]
struct KeptHeaders(Vec<(&'static str, String)>);

impl KeptHeaders {
    fn from_map(headers: &HeaderMap) -> Self {
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

    fn get(&self, name: &str) -> Option<&str> {
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
    /// type keeps are copied (request ids, content type, `Retry-After`, rate-limit headers).
    pub fn new(status: StatusCode, headers: &HeaderMap, body: ErrorBody) -> Self {
        Self {
            status,
            headers: KeptHeaders::from_map(headers),
            body,
        }
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
    /// `akamai-grn`, `content-type`, `retry-after`, `x-ratelimit-limit`,
    /// `x-ratelimit-remaining`, `x-ratelimit-reset`, `x-ratelimit-next` or `ratelimit-reset`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The `Content-Type` of the response.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get("content-type")
    }

    /// The request id (see [`Error::request_id`]).
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

/// A response body that did not match the expected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    status: Option<StatusCode>,
    path: Option<String>,
    message: String,
    snippet: Option<String>,
}

impl DecodeError {
    /// The error of `serde_path_to_error` when decoding a known type: keeps the JSON path.
    pub(crate) fn from_path_error(
        status: Option<StatusCode>,
        e: &serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let path = e.path().to_string();
        Self::from_json_error(status, (path != ".").then_some(path), e.inner())
    }

    pub(crate) fn from_json_error(
        status: Option<StatusCode>,
        path: Option<String>,
        e: &serde_json::Error,
    ) -> Self {
        Self {
            status,
            path,
            message: scrub_quoted(&e.to_string()),
            snippet: None,
        }
    }

    /// The HTTP status of the response, when known.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The JSON path of the value that failed (`data[3].created`), when known.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The start of the body when it was not JSON at all (an HTML page where JSON was
    /// expected): at most [`SNIPPET_BYTES`], redacted. JSON bodies are never quoted here.
    pub fn snippet(&self) -> Option<&str> {
        self.snippet.as_deref()
    }

    /// What was wrong. Quoted input values are elided, so no response data (which may be a
    /// secret) appears in it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not decode the response")?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(path) = &self.path {
            write!(f, " at `{path}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A redacted snippet of a body that is not JSON (so cannot hold a JSON secret field).
fn non_json_snippet(bytes: &[u8]) -> Option<String> {
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

/// Replaces the contents of every double-quoted run in a serde message with `…`: serde quotes
/// the offending input (`invalid type: string "…", expected u32`), which may be a secret.
fn scrub_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…");
            }
            if inside {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
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

    #[test]
    fn generated_error_response_is_reserialized() {
        #[derive(Serialize)]
        struct Errors {
            errors: Vec<Reason>,
        }
        #[derive(Serialize)]
        struct Reason {
            reason: String,
            field: Option<String>,
        }
        let mut headers = HeaderMap::new();
        headers.insert("x-request-id", HeaderValue::from_static("abc"));
        let typed = Errors {
            errors: vec![Reason {
                reason: "Not found".into(),
                field: None,
            }],
        };
        let error: Error = GeneratedError::ErrorResponse(progenitor_client::ResponseValue::new(
            typed,
            StatusCode::NOT_FOUND,
            headers,
        ))
        .into();
        assert!(error.is_not_found());
        assert!(!error.is_retryable());
        assert_eq!(error.request_id(), Some("abc"));
        assert!(
            matches!(error.api().map(ApiError::body), Some(ErrorBody::Linode(e)) if e[0].reason == "Not found")
        );

        let unit: Error = GeneratedError::<()>::Custom("no credentials for host".into()).into();
        assert!(matches!(unit, Error::Signing(_)));
        let invalid: Error = GeneratedError::<()>::InvalidRequest("bad token=abc".into()).into();
        assert_eq!(invalid.to_string(), "invalid input: bad token=[REDACTED]");
    }

    #[test]
    fn decode_errors_keep_the_path_but_not_the_data() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Item {
            count: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            data: Vec<Item>,
        }
        let body = br#"{"data":[{"count":1},{"count":"s3cr3t"}]}"#;
        let mut de = serde_json::Deserializer::from_slice(body);
        let e = serde_path_to_error::deserialize::<_, Page>(&mut de).unwrap_err();
        let decode = DecodeError::from_path_error(Some(StatusCode::OK), &e);
        assert_eq!(decode.path(), Some("data[1].count"));
        let text = Error::Decode(Box::new(decode)).to_string();
        assert!(text.starts_with("could not decode the response (HTTP 200 OK) at `data[1].count`: invalid type: string \"…\""), "{text}");
        assert!(!text.contains("s3cr3t"));
    }

    #[test]
    fn retryable_statuses() {
        for (status, retryable) in [
            (400, false),
            (404, false),
            (408, true),
            (429, true),
            (500, true),
            (501, false),
            (503, true),
        ] {
            let e = Error::Api(Box::new(ApiError::new(
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                ErrorBody::Empty,
            )));
            assert_eq!(e.is_retryable(), retryable, "{status}");
            assert_eq!(e.is_rate_limited(), status == 429);
        }
    }
}
