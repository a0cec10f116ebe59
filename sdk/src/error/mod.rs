//! The one error type of the SDK, [`Error`], and the parsed API error bodies it carries.
//!
//! Every fallible SDK call returns [`Error`]. An error response of the API becomes
//! [`Error::Api`], which keeps the status, a small set of headers (request ids, `Retry-After`,
//! rate-limit headers, `Content-Type`) and the body, parsed as a Linode error list, an Akamai
//! problem+json document, other JSON, or (for an HTML gateway page and the like) a bounded text
//! snippet. Bodies are [redacted](crate::redact) before they are stored, so neither `Display` nor
//! `Debug` of an error ever prints a token.
//!
//! The enum and its classification are here; the parsed API error bodies are in `api`, the
//! decoding failures in `decode`. Errors of the generated clients (`progenitor_client::Error<E>`)
//! are converted by the runtime that runs every call (`runtime::convert`), which reads the body
//! of an undocumented response (bounded).
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

use std::fmt;

use reqwest::StatusCode;

mod api;
mod decode;
mod skew;

pub(crate) use api::{non_json_snippet, KeptHeaders, MAX_ERROR_BODY_BYTES};
pub use api::{ApiError, ErrorBody, LinodeError, Problem, TextBody, SNIPPET_BYTES};
pub use decode::DecodeError;
pub(crate) use skew::recognize_clock_skew;
pub use skew::{ClockOffset, ClockSkewError};

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
    /// An id (an EdgeKV namespace, group, item, token or sandbox id, a child account's
    /// euuid) was refused before anything was sent; [`InvalidIdError::what`] says which.
    #[error("invalid input: {0}")]
    InvalidId(InvalidIdError),
    /// A page number or page size outside what the API accepts, refused before anything was
    /// sent.
    #[error("invalid input: {0}")]
    InvalidPage(PageError),
    /// The credentials in use cannot do what was asked, found by a check before the request
    /// (a Linode token that is not a parent user's, or lacks the `child_account_access`
    /// grant). The typed reason is the source: `Error::child_access` gives it as
    /// `linode::ChildAccessError`.
    #[error(transparent)]
    AccessDenied(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Another argument was rejected before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The call's deadline ([`HttpConfig::with_deadline`](crate::config::HttpConfig::with_deadline))
    /// ran out: during an attempt, or before the next wait between attempts could end.
    /// [`Error::Timeout`] is the other case: one attempt ran past its own timeout.
    #[error(transparent)]
    Deadline(Box<DeadlineError>),
    /// The API refused the request's EdgeGrid timestamp as too far from its clock (a 400 or
    /// 401 whose problem says "Invalid timestamp"), with the offset measured between the
    /// signer's clock and the server's. Never retried. [`Error::status`] and [`Error::api`]
    /// give the answer as for [`Error::Api`].
    #[error(transparent)]
    ClockSkew(Box<ClockSkewError>),
}

/// An id refused before anything was sent ([`Error::InvalidId`]). Displays as
/// `the {what} {reason}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {what} {reason}")]
pub struct InvalidIdError {
    what: &'static str,
    reason: String,
}

impl InvalidIdError {
    pub(crate) fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self {
            what,
            reason: reason.into(),
        }
    }

    /// What the id names: `namespace id`, `group id`, `item id`, `token name`, `sandbox id`
    /// or `child account euuid`.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// Why it was refused (`must not contain `/``).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A page request outside what the API accepts ([`Error::InvalidPage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// Page 0: pages are numbered from 1.
    #[error("pages are numbered from 1")]
    Zero,
    /// A page size outside `min..=max`.
    #[error("page size {size} is outside {min}..={max}")]
    Size {
        /// The size asked for.
        size: u32,
        /// The smallest size the API accepts.
        min: u32,
        /// The largest size the API accepts.
        max: u32,
    },
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

fn transport_message(e: &reqwest::Error) -> String {
    let what = if is_tls_failure(e) {
        "the TLS handshake failed with"
    } else if e.is_connect() {
        "could not connect to"
    } else if e.is_body() || e.is_decode() {
        "the connection failed while reading the response from"
    } else if e.is_builder() {
        "the HTTP request could not be built for"
    } else {
        "the connection failed while sending the request to or awaiting the response from"
    };
    with_origin_and_cause(what, e)
}

fn timeout_message(e: &reqwest::Error) -> String {
    if e.is_connect() {
        with_origin_and_cause("timed out connecting to", e)
    } else {
        with_origin_and_cause(
            "the attempt timed out (the per-attempt timeout of HttpConfig::with_timeout) at",
            e,
        )
    }
}

/// `{what} {origin}: {root cause}`: where the request went (scheme, host and port: never a
/// path or query) and the innermost cause (a refused connection, a certificate problem, a TLS
/// record that is not TLS), which the chain of sources would otherwise hide in `Debug`.
fn with_origin_and_cause(what: &str, e: &reqwest::Error) -> String {
    let origin = e
        .url()
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|| "the API".to_owned());
    let mut text = format!("{what} {origin}");
    if let Some(cause) = root_cause(e) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    text
}

/// The innermost source of `e`, if it has any.
fn root_cause(e: &reqwest::Error) -> Option<&(dyn std::error::Error + 'static)> {
    let mut cause = std::error::Error::source(e)?;
    while let Some(next) = cause.source() {
        cause = next;
    }
    Some(cause)
}

/// Whether the connection failed in the TLS handshake (a certificate the client refuses, or a
/// server that does not speak TLS: plain http behind an https URL). rustls reports these as an
/// I/O error of kind `InvalidData` while connecting. Repeating cannot help, so it is never
/// retried.
fn is_tls_failure(e: &reqwest::Error) -> bool {
    if !e.is_connect() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        // An I/O error wrapping another one hides it from `source()`: look inside.
        let mut io = cause.downcast_ref::<std::io::Error>();
        while let Some(error) = io {
            if error.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
            io = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<std::io::Error>());
        }
        source = cause.source();
    }
    false
}

/// Statuses worth retrying for an idempotent request: 408, 429, 500, 502, 503 and 504.
fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

impl Error {
    /// The HTTP status, if the error comes from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(api) => Some(api.status()),
            Self::ClockSkew(skew) => Some(skew.api().status()),
            Self::Decode(decode) => decode.status(),
            Self::Transport(e) | Self::Timeout(e) => e.status(),
            Self::Config(_)
            | Self::Credentials(_)
            | Self::Signing(_)
            | Self::InvalidId(_)
            | Self::InvalidPage(_)
            | Self::InvalidInput(_)
            | Self::AccessDenied(_)
            | Self::Deadline(_) => None,
        }
    }

    /// The API error, if the API answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            Self::ClockSkew(skew) => Some(skew.api()),
            _ => None,
        }
    }

    /// Whether the API answered 404 Not Found, or said that what was asked for does not exist.
    ///
    /// A missing EdgeKV namespace counts too: the API answers a read of one with a 400 whose
    /// problem says "The requested namespace does not exist", where a listing under it is a
    /// 404; both are not-found here.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::Api(api) => {
                api.status() == StatusCode::NOT_FOUND || api.names_a_missing_namespace()
            }
            _ => self.status() == Some(StatusCode::NOT_FOUND),
        }
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

    /// Whether the connection failed in the TLS handshake: the server's certificate was
    /// refused, or the server does not speak TLS (an `https://` base URL for a plain-http
    /// server, such as a local emulator). Never retried.
    pub fn is_tls_failure(&self) -> bool {
        matches!(self, Self::Transport(e) if is_tls_failure(e))
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
                api.status() == StatusCode::TOO_MANY_REQUESTS
                    || (idempotent && is_retryable_status(api.status()))
            }
            Self::Transport(e) if is_tls_failure(e) => false,
            Self::Transport(e) => e.is_connect() || (idempotent && !e.is_builder()),
            Self::Timeout(e) => e.is_connect() || idempotent,
            Self::Decode(_)
            | Self::Config(_)
            | Self::Credentials(_)
            | Self::Signing(_)
            | Self::InvalidId(_)
            | Self::InvalidPage(_)
            | Self::InvalidInput(_)
            | Self::AccessDenied(_)
            | Self::Deadline(_)
            | Self::ClockSkew(_) => false,
        }
    }

    /// The clock skew error, if the API refused the request's EdgeGrid timestamp:
    /// [`ClockSkewError::offset`] says how far the clock that signed it is from the server's.
    pub fn clock_skew(&self) -> Option<&ClockSkewError> {
        match self {
            Self::ClockSkew(skew) => Some(skew),
            _ => None,
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

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
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

/// A generated type's builder refused a value (a required field unset, a constraint broken):
/// [`Error::InvalidInput`], so that `?` takes `Thing::builder()....try_into()` in code that
/// returns this crate's `Result`.
#[cfg(feature = "edgekv")]
impl From<akamai_sdk_generated::edgekv::types::error::ConversionError> for Error {
    fn from(e: akamai_sdk_generated::edgekv::types::error::ConversionError) -> Self {
        Self::InvalidInput(e.to_string())
    }
}

/// See the EdgeKV conversion above: the same for the Linode types.
#[cfg(feature = "linode")]
impl From<akamai_sdk_generated::linode::types::error::ConversionError> for Error {
    fn from(e: akamai_sdk_generated::linode::types::error::ConversionError) -> Self {
        Self::InvalidInput(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    #[cfg(feature = "edgekv")]
    #[test]
    fn a_generated_builder_s_refusal_is_invalid_input_through_the_question_mark() {
        use akamai_sdk_generated::edgekv::types::PostNamespaceBody;

        let build = || -> Result<PostNamespaceBody> {
            Ok(PostNamespaceBody::builder()
                .namespace("marketing")
                .retention_in_seconds(0)
                .try_into()?)
        };
        let err = build().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m == "no value supplied for group_id"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "invalid input: no value supplied for group_id"
        );
    }

    #[test]
    fn a_missing_namespace_400_is_not_found_and_another_400_is_not() {
        let problem = |detail: &str| {
            Error::Api(Box::new(ApiError::new(
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                ErrorBody::from_json(serde_json::json!({"title": "Bad Request", "detail": detail})),
            )))
        };
        assert!(problem("The requested namespace does not exist.").is_not_found());
        assert!(!problem("Retention must be between 0 and 315360000.").is_not_found());
        assert_eq!(
            problem("The requested namespace does not exist.").status(),
            Some(StatusCode::BAD_REQUEST)
        );
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
