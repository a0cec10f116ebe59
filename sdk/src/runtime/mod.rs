//! Running one API call: retries, a tracing span, tolerant decoding and the mapping of every
//! failure to [`Error`].
//!
//! Every call of the SDK is a generated operation wrapped in [`Runtime::call`] (or one of its
//! variants), with the [`Operation`] the generator wrote for it into the API's operation table
//! (`akamai_sdk::generated::linode::operations`, `...::edgekv::operations`): its id names the
//! tracing span, and whether it is idempotent decides what may be retried. A generated method
//! builds a fresh request and signs it every time it is called, so a retry is simply another
//! call of the closure:
//!
//! ```no_run
//! use akamai_sdk::generated::linode::{self, operations};
//! use akamai_sdk::runtime::Runtime;
//!
//! # async fn run(client: linode::Client) -> Result<(), akamai_sdk::Error> {
//! let runtime = Runtime::default(); // or `HttpConfig::runtime()`, with its settings
//! let profile = runtime
//!     .call(&operations::GET_PROFILE, || client.get_profile())
//!     .await?;
//! # let _ = profile;
//! # Ok(())
//! # }
//! ```
//!
//! The few requests progenitor cannot express (EdgeKV item bodies with an explicit content
//! type) are sent with `akamai_sdk_generated::send`, which takes the generated operations'
//! path (pre-request hook, `execute`, post-response hook), inside [`Runtime::call_raw`].
//!
//! Each attempt reads the whole body of a success response before anything decodes it, so a
//! body that ends early fails the attempt: it is retried like a connection reset when the
//! operation is idempotent, and is [`Error::Transport`] (with [`Error::is_incomplete_body`])
//! otherwise, never re-sent.
//!
//! Each call runs in an `akamai_sdk.call` span (`INFO`) with the fields `operation_id`,
//! `method`, `path`, and, as the call progresses, `attempt`, `status` and `latency_ms` (and
//! `error.type` when it fails). Each attempt runs in an `akamai_sdk.attempt` span inside it, in
//! the OpenTelemetry semantic conventions for HTTP client spans (`otel.name`
//! `{method} {url.template}`, `http.request.method`, `server.address`, `server.port`,
//! `url.full`, `url.template`, `http.response.status_code`, `error.type`,
//! `http.request.resend_count`), which `tracing-opentelemetry` exports as client spans. Retries
//! are logged at `DEBUG` with the wait, and so is every response value read as its documented
//! type although its JSON type differed (target `akamai_sdk::decode`, with its JSON path; see
//! `akamai_sdk_generated::lenient`). Nothing logged contains a header, a body or a value.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::TryStreamExt;
use progenitor_client::{ByteStream, Error as GeneratedError, ResponseValue};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::field::Empty;
use tracing::Instrument;

use akamai_sdk_generated::{capture_response, lenient, Captured, ResponseMeta};

mod convert;

use crate::config::HttpConfig;
use crate::error::{
    recognize_clock_skew, ApiError, DeadlineError, DeadlinePhase, DecodeError, Error, ErrorBody,
};

pub use akamai_sdk_generated::Operation;

/// At most this many coerced values are located (one decoding pass each) per response.
const MAX_EXPLAINED_COERCIONS: u32 = 8;

/// Runs calls with the retry policy, sleeper and deadline of one [`HttpConfig`] (the one
/// settings object of a client), in tracing spans. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime {
    settings: HttpConfig,
    /// The path of the client's base URL (`/v4`), which `url.template` starts with.
    base_path: Arc<str>,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new(HttpConfig::default())
    }
}

impl HttpConfig {
    /// The runtime that runs calls with these settings (retry policy, sleeper, deadline).
    // Public, like this module, for the workspace's runtime tests.
    #[doc(hidden)]
    pub fn runtime(&self) -> Runtime {
        Runtime::new(self.clone())
    }
}

/// How a generated attempt ended, before the retry loop looks at it.
type Attempt<T> = Result<(StatusCode, T), Error>;

impl Runtime {
    /// A runtime that reads `settings` (its retry policy, sleeper and deadline; see
    /// [`HttpConfig::runtime`]).
    pub fn new(settings: HttpConfig) -> Self {
        Self {
            settings,
            base_path: Arc::from(""),
        }
    }

    /// Names the base URL the calls go to, so that each attempt span's `url.template` is the
    /// whole path template (`/v4/account/child-accounts/{euuid}`).
    pub(crate) fn with_base_url(mut self, base: &url::Url) -> Self {
        self.base_path = Arc::from(base.path().trim_end_matches('/'));
        self
    }

    /// The settings this runtime reads.
    pub fn settings(&self) -> &HttpConfig {
        &self.settings
    }

    /// Runs the generated operation `op`, retrying as the policy allows, and returns its value.
    ///
    /// `f` is called once per attempt; it is typically `|| client.some_operation(args…)`, the
    /// generated method of `op`. Error bodies are parsed into [`Error::Api`].
    pub async fn call<T, E, F, Fut>(&self, op: &Operation, f: F) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        E: Serialize,
    {
        self.run_typed(op, f, Error::from_generated).await
    }

    /// The attempts of an operation whose success value is JSON; a generated error is
    /// converted by `convert` (typed or untyped error bodies).
    async fn run_typed<T, E, F, Fut, C, CFut>(
        &self,
        op: &Operation,
        mut f: F,
        convert: C,
    ) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        C: Fn(GeneratedError<E>) -> CFut + Copy,
        CFut: Future<Output = Error>,
    {
        self.run(op, move || {
            let attempt = f();
            async move {
                let (result, captured) = capture_response(attempt).await;
                typed_attempt(op, result, captured, convert).await
            }
        })
        .await
        .map(ResponseValue::into_inner)
    }

    /// Like [`Runtime::call`], for an operation that may answer "nothing": `None` for a
    /// success status its spec documents without a body ([`Operation::bodiless_statuses`],
    /// Linode grants' 204), or for a 404 whose problem `detail` the spec documents as an empty
    /// collection ([`Operation::empty_collection_details`], EdgeKV's "No tokens exist.").
    /// Any other 404 stays [`Error::Api`].
    pub async fn call_optional<T, E, F, Fut>(
        &self,
        op: &Operation,
        f: F,
    ) -> Result<Option<T>, Error>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        E: Serialize,
    {
        match self.call(op, f).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if means_nothing(op, &e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Like [`Runtime::call`], for operations whose error body is untyped (`ByteStream`, as
    /// for EdgeKV `get-initialize`): the error body is read (bounded) and parsed.
    pub async fn call_with_stream_error<T, F, Fut>(&self, op: &Operation, f: F) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<ByteStream>>>,
    {
        self.run_typed(op, f, Error::from_generated_stream).await
    }

    /// Like [`Runtime::call`], for an attempt whose value is not decoded from JSON (a raw
    /// body, or a handwritten request sent with `akamai_sdk_generated::send`).
    pub async fn call_raw<T, E, F, Fut>(&self, op: &Operation, mut f: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        E: Serialize,
    {
        self.run(op, move || {
            let attempt = f();
            async move {
                match capture_response(attempt).await {
                    (Ok(value), _) => Ok((value.status(), value.into_inner())),
                    (
                        Err(GeneratedError::InvalidResponsePayload(bytes, e)),
                        Captured {
                            meta: Some(meta), ..
                        },
                    ) => Err(undecodable(meta, &bytes, &e)),
                    (Err(e), _) => Err(Error::from_generated(e).await),
                }
            }
        })
        .await
    }

    /// Like [`Runtime::call`], for an operation whose success body is raw bytes (a
    /// `ByteStream`, as EdgeKV items): the headers and the whole body, read within the
    /// attempt.
    pub async fn call_bytes<E, F, Fut>(
        &self,
        op: &Operation,
        mut f: F,
    ) -> Result<(HeaderMap, bytes::Bytes), Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<ByteStream>, GeneratedError<E>>>,
        E: Serialize,
    {
        self.call_raw(op, move || {
            let attempt = f();
            async move {
                let response = attempt.await?;
                let status = response.status();
                let headers = response.headers().clone();
                // `akamai_sdk_generated::execute` has read the body already: this only joins
                // its chunks.
                let chunks: Vec<bytes::Bytes> = response
                    .into_inner()
                    .into_inner()
                    .try_collect()
                    .await
                    .map_err(GeneratedError::ResponseBodyError)?;
                let body = match <[bytes::Bytes; 1]>::try_from(chunks) {
                    Ok([one]) => one,
                    Err(chunks) => chunks.concat().into(),
                };
                Ok(ResponseValue::new(
                    (headers, body),
                    status,
                    HeaderMap::new(),
                ))
            }
        })
        .await
    }

    async fn run<R, F, Fut>(&self, op: &Operation, attempt: F) -> Result<R, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<R>>,
    {
        let span = tracing::info_span!(
            "akamai_sdk.call",
            otel.name = op.id,
            otel.status_code = Empty,
            operation_id = op.id,
            method = %op.method,
            path = op.path,
            attempt = Empty,
            status = Empty,
            latency_ms = Empty,
            "error.type" = Empty,
        );
        let result = self.attempts(op, attempt).instrument(span.clone()).await;
        if let Err(error) = &result {
            record_failure(&span, error);
        }
        result
    }

    /// The span of one attempt, in the OpenTelemetry semantic conventions for HTTP client
    /// spans: `tracing-opentelemetry` exports it as a client span named
    /// `{method} {url.template}`. The generated clients' `send` records `url.full`,
    /// `server.address` and `server.port` on it from the request as sent.
    fn attempt_span(&self, op: &Operation, attempt: u32) -> tracing::Span {
        // Formatted only when a subscriber takes the span: nothing is allocated otherwise.
        let span = tracing::info_span!(
            "akamai_sdk.attempt",
            otel.name = %format_args!("{} {}{}", op.method, self.base_path, op.path),
            otel.kind = "client",
            otel.status_code = Empty,
            http.request.method = %op.method,
            server.address = Empty,
            server.port = Empty,
            url.full = Empty,
            url.template = %format_args!("{}{}", self.base_path, op.path),
            http.response.status_code = Empty,
            "error.type" = Empty,
            http.request.resend_count = Empty,
        );
        if attempt > 1 {
            span.record("http.request.resend_count", attempt - 1);
        }
        span
    }

    async fn attempts<R, F, Fut>(&self, op: &Operation, mut attempt_fn: F) -> Result<R, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<R>>,
    {
        let span = tracing::Span::current();
        let start = Instant::now();
        // The deadline runs on tokio's clock, so that tests with paused time can check it.
        let deadline = self
            .settings
            .deadline()
            .map(|limit| (limit, tokio::time::Instant::now() + limit));
        let mut waited = Duration::ZERO;
        let mut attempt = 1u32;
        let mut last_error = None;
        loop {
            span.record("attempt", attempt);
            let attempt_span = self.attempt_span(op, attempt);
            // The timestamp an EdgeGrid signature of this attempt carried, if any: what a
            // refused timestamp is measured against. Boxed: an attempt's future is large, and
            // on the heap it leaves deep callers (bulk runs) room on a thread's stack.
            let running = Box::pin(crate::edgegrid::observe_signing(attempt_fn()))
                .instrument(attempt_span.clone());
            let (result, signed_at) = match deadline {
                None => running.await,
                Some((limit, at)) => match tokio::time::timeout_at(at, running).await {
                    Ok(result) => result,
                    Err(_) => {
                        attempt_span.record("error.type", "timeout");
                        attempt_span.record("otel.status_code", "error");
                        tracing::debug!(attempt, "the call deadline ran out during the attempt");
                        return Err(Error::Deadline(Box::new(DeadlineError::new(
                            limit,
                            DeadlinePhase::Attempt,
                            attempt,
                            last_error,
                        ))));
                    }
                },
            };
            let latency_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            span.record("latency_ms", latency_ms);
            let error = match result {
                Ok((status, value)) => {
                    span.record("status", status.as_u16());
                    attempt_span.record("http.response.status_code", status.as_u16());
                    tracing::debug!(
                        attempt,
                        status = status.as_u16(),
                        latency_ms,
                        "call succeeded"
                    );
                    return Ok(value);
                }
                // A timestamp refusal says how far the signer's clock is off; it is never
                // retried.
                Err(error) => recognize_clock_skew(error, signed_at, SystemTime::now()),
            };
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
                attempt_span.record("http.response.status_code", status.as_u16());
            }
            record_failure(&attempt_span, &error);
            drop(attempt_span);
            let Some(wait) = self.settings.retry().next_wait(
                op.idempotent,
                &error,
                attempt,
                waited,
                SystemTime::now(),
            ) else {
                tracing::debug!(attempt, latency_ms, error = %Chain(&error), "call failed");
                return Err(error);
            };
            let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
            if let Some((limit, at)) = deadline {
                if ends_at_or_past(tokio::time::Instant::now(), wait, at) {
                    tracing::debug!(
                        attempt,
                        wait_ms,
                        error = %Chain(&error),
                        "attempt failed; the call deadline would run out before the next one"
                    );
                    return Err(Error::Deadline(Box::new(DeadlineError::new(
                        limit,
                        DeadlinePhase::Wait,
                        attempt,
                        Some(error),
                    ))));
                }
            }
            tracing::debug!(attempt, wait_ms, error = %Chain(&error), "attempt failed, retrying");
            self.settings.sleeper().sleep(wait).await;
            waited = waited.saturating_add(wait);
            attempt += 1;
            last_error = Some(error);
        }
    }
}

/// Whether a wait of `wait` from `now` ends at `at` or later (a wait too long to end at any
/// instant does: a server may ask for one).
pub(crate) fn ends_at_or_past(
    now: tokio::time::Instant,
    wait: Duration,
    at: tokio::time::Instant,
) -> bool {
    now.checked_add(wait).is_none_or(|end| end >= at)
}

/// Marks `span` failed with `error` (`error.type`, `otel.status_code`), when a subscriber
/// takes it.
fn record_failure(span: &tracing::Span, error: &Error) {
    if span.is_disabled() {
        return;
    }
    span.record("error.type", error_type(error).as_ref());
    span.record("otel.status_code", "error");
}

/// The `error.type` of a failed attempt or call: the status code as text when an answer came
/// back (`"503"`), else a short class of the failure (low cardinality, as the OpenTelemetry
/// conventions ask).
fn error_type(error: &Error) -> std::borrow::Cow<'static, str> {
    if let Some(status) = error.status() {
        return status.as_u16().to_string().into();
    }
    let class = match error {
        Error::Timeout(_) => "timeout",
        Error::Deadline(_) => "deadline",
        Error::Transport(_) if error.is_tls_failure() => "tls_error",
        Error::Transport(e) if e.is_connect() => "connect_error",
        Error::Transport(e) if e.is_body() || e.is_decode() => "response_body_error",
        Error::Transport(_) => "transport_error",
        Error::Decode(_) => "decode_error",
        Error::Signing(_) => "signing_error",
        Error::InvalidInput(_) | Error::InvalidId(_) | Error::InvalidPage(_) => "invalid_input",
        Error::Config(_) | Error::Credentials(_) => "config_error",
        Error::AccessDenied(_) => "access_denied",
        _ => "_OTHER",
    };
    class.into()
}

/// One attempt of a generated operation whose success value is JSON: success (after logging
/// its coercions), an undecodable body, or the generated error converted by `convert`.
async fn typed_attempt<T, E, C, CFut>(
    op: &Operation,
    result: Result<ResponseValue<T>, GeneratedError<E>>,
    captured: Captured,
    convert: C,
) -> Attempt<ResponseValue<T>>
where
    T: DeserializeOwned,
    C: FnOnce(GeneratedError<E>) -> CFut,
    CFut: Future<Output = Error>,
{
    match result {
        Ok(value) => {
            if captured.coercions > 0 {
                log_coercions::<T>(op, &captured);
            }
            Ok((value.status(), value))
        }
        Err(GeneratedError::InvalidResponsePayload(bytes, e)) if captured.meta.is_some() => {
            let meta = captured.meta.expect("checked by the guard");
            if meta.status.is_success() {
                // Decode again, tracking the JSON path, to say where it failed.
                decode_json::<T>(Some(meta.status), &bytes)?;
            }
            Err(undecodable(meta, &bytes, &e))
        }
        Err(e) => Err(convert(e).await),
    }
}

/// Logs, at DEBUG, where the response of `op` held values of another JSON type than the spec
/// documents (found again by re-reading the captured body; only when DEBUG is enabled).
fn log_coercions<T: DeserializeOwned>(op: &Operation, captured: &Captured) {
    if !tracing::enabled!(target: "akamai_sdk::decode", tracing::Level::DEBUG) {
        return;
    }
    let Some(body) = &captured.body else {
        return;
    };
    let located = lenient::explain::<T>(body, MAX_EXPLAINED_COERCIONS);
    for coercion in &located {
        tracing::debug!(
            target: "akamai_sdk::decode",
            operation_id = op.id,
            path = %coercion.path,
            found = %coercion.found,
            expected = coercion.expected,
            "read a response value as its documented type"
        );
    }
    let more = captured.coercions.saturating_sub(located.len() as u32);
    if more > 0 {
        tracing::debug!(
            target: "akamai_sdk::decode",
            operation_id = op.id,
            more,
            "more response values were read as their documented type"
        );
    }
}

/// Whether `error` is the API saying "nothing" in a way `op` documents.
fn means_nothing(op: &Operation, error: &Error) -> bool {
    match error {
        Error::Decode(d) => d.status().is_some_and(|s| op.is_bodiless(s.as_u16())),
        Error::Api(api) if api.status() == StatusCode::NOT_FOUND => match api.body() {
            ErrorBody::Problem(problem) => problem
                .detail
                .as_deref()
                .is_some_and(|detail| op.is_empty_collection_detail(detail)),
            _ => false,
        },
        _ => false,
    }
}

/// A body progenitor could not decode, with the status and headers the post-response hook
/// saw: an error status becomes [`Error::Api`] (so that a gateway's HTML 502 keeps its status
/// and is retried like any 5xx); a success status becomes [`Error::Decode`] that keeps it.
fn undecodable(meta: ResponseMeta, bytes: &[u8], error: &serde_json::Error) -> Error {
    if meta.status.is_success() {
        return Error::Decode(Box::new(DecodeError::from_json_error(
            Some(meta.status),
            None,
            error,
        )));
    }
    let content_type = meta
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let body = ErrorBody::parse(content_type, bytes, true);
    Error::Api(Box::new(ApiError::new(meta.status, &meta.headers, body)))
}

/// Decodes JSON into `T`; a mismatch becomes [`Error::Decode`] with the JSON path that failed
/// (and `status`, when given). The message never quotes the offending data.
// Public for the workspace's tests and decoding benchmark; dependents get decoded values from
// the clients.
#[doc(hidden)]
pub fn decode_json<T: DeserializeOwned>(
    status: Option<StatusCode>,
    bytes: &[u8],
) -> Result<T, Error> {
    // The common case at full speed; tracking the path costs ~1.6x, so it is paid only to
    // explain a failure.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| Error::Decode(Box::new(DecodeError::from_path_error(status, &e))))?;
    deserializer
        .end()
        .map_err(|e| Error::Decode(Box::new(DecodeError::from_json_error(status, None, &e))))?;
    Ok(value)
}

/// Displays an error with its sources, `: `-separated (for logs).
struct Chain<'a>(&'a Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorBody;
    use crate::retry::{RetryPolicy, Sleeper};
    use akamai_sdk_generated::edgekv::operations as edgekv_operations;
    use akamai_sdk_generated::linode::operations;
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Recorder(Mutex<Vec<Duration>>);

    impl Sleeper for Arc<Recorder> {
        fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
            self.0.lock().unwrap().push(duration);
            Box::pin(std::future::ready(()))
        }
    }

    fn status_error(
        status: u16,
        headers: &[(&'static str, &'static str)],
    ) -> GeneratedError<serde_json::Value> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        GeneratedError::ErrorResponse(ResponseValue::new(
            serde_json::json!({"errors": [{"reason": "slow down"}]}),
            StatusCode::from_u16(status).unwrap(),
            map,
        ))
    }

    #[tokio::test]
    async fn retries_until_success_and_records_waits() {
        let recorder = Arc::new(Recorder::default());
        let runtime = HttpConfig::new()
            .with_retry(RetryPolicy::default().with_jitter(false))
            .with_sleeper(recorder.clone())
            .runtime();
        let calls = AtomicU32::new(0);
        let value = runtime
            .call(&operations::POST_CHILD_ACCOUNT_TOKEN, || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => Err(status_error(429, &[("retry-after", "2")])),
                        1 => Err(status_error(429, &[])),
                        _ => Ok(ResponseValue::new(
                            7u8,
                            StatusCode::CREATED,
                            HeaderMap::new(),
                        )),
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(value, 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [Duration::from_secs(2), Duration::from_secs(1)]
        );
    }

    #[tokio::test]
    async fn post_is_not_retried_on_5xx_but_get_is() {
        let recorder = Arc::new(Recorder::default());
        let runtime = HttpConfig::new()
            .with_retry(RetryPolicy::default().with_max_attempts(3))
            .with_sleeper(recorder.clone())
            .runtime();
        for (op, attempts) in [
            (&operations::POST_CHILD_ACCOUNT_TOKEN, 1),
            (&operations::GET_ACCOUNT, 3),
        ] {
            let calls = AtomicU32::new(0);
            let err = runtime
                .call(op, || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    async { Err::<ResponseValue<()>, _>(status_error(502, &[])) }
                })
                .await
                .unwrap_err();
            assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
            assert!(matches!(
                err.api().map(|a| a.body()),
                Some(ErrorBody::Linode(_))
            ));
            assert_eq!(calls.load(Ordering::SeqCst), attempts);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_sleeper_waits_on_the_tokio_clock() {
        let runtime = HttpConfig::new()
            .with_retry(RetryPolicy::default().with_max_attempts(2))
            .runtime();
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        let err = runtime
            .call(&operations::GET_ACCOUNT, || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<ResponseValue<()>, _>(status_error(503, &[("retry-after", "9")])) }
            })
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(start.elapsed(), Duration::from_secs(9));
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_stops_a_slow_attempt_and_skips_a_wait_that_would_pass_it() {
        let runtime = HttpConfig::new()
            .with_retry(RetryPolicy::default().with_max_attempts(5))
            .with_deadline(Duration::from_secs(10))
            .runtime();
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        // Attempt 1 fails after 4 s, waits 1 s, attempt 2 hangs: stopped at 10 s.
        let err = runtime
            .call(&operations::GET_ACCOUNT, || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    tokio::time::sleep(Duration::from_secs(if n == 0 { 4 } else { 3600 })).await;
                    Err::<ResponseValue<()>, _>(status_error(503, &[("retry-after", "1")]))
                }
            })
            .await
            .unwrap_err();
        let deadline = err.deadline().expect("a deadline error");
        assert_eq!(deadline.phase(), DeadlinePhase::Attempt);
        assert_eq!(deadline.attempts(), 2);
        assert_eq!(
            deadline.last_error().and_then(Error::status),
            Some(StatusCode::SERVICE_UNAVAILABLE),
            "the failure of attempt 1 is kept"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        assert!(!err.is_retryable());
        assert!(err.is_timeout());
        assert!(err.to_string().contains("during attempt 2"), "{err}");

        // A wait of 9 s after a 2 s attempt would end past the deadline: no second attempt.
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        let err = runtime
            .call(&operations::GET_ACCOUNT, || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    Err::<ResponseValue<()>, _>(status_error(503, &[("retry-after", "9")]))
                }
            })
            .await
            .unwrap_err();
        let deadline = err.deadline().expect("a deadline error");
        assert_eq!(deadline.phase(), DeadlinePhase::Wait);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            deadline.last_error().and_then(Error::status),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert!(err.to_string().contains("before attempt 2"), "{err}");
    }

    #[tokio::test]
    async fn untyped_error_bodies_are_read_and_parsed() {
        let runtime = HttpConfig::new()
            .with_retry(RetryPolicy::disabled())
            .runtime();
        let err = runtime
            .call_with_stream_error(&edgekv_operations::GET_INITIALIZE, || async {
                let chunks = vec![
                    Ok(bytes::Bytes::from_static(br#"{"title":"Not Found","#)),
                    Ok(bytes::Bytes::from_static(
                        br#""errorCode":"EKV_9000","additionalDetail":{"requestId":"r1"}}"#,
                    )),
                ];
                let stream = ByteStream::new(Box::pin(futures::stream::iter(chunks)));
                let mut headers = HeaderMap::new();
                headers.insert(
                    "content-type",
                    HeaderValue::from_static("application/problem+json"),
                );
                Err::<ResponseValue<()>, _>(GeneratedError::ErrorResponse(ResponseValue::new(
                    stream,
                    StatusCode::NOT_FOUND,
                    headers,
                )))
            })
            .await
            .unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(err.request_id(), Some("r1"));
        assert!(
            matches!(err.api().map(|a| a.body()), Some(ErrorBody::Problem(p)) if p.error_code.as_deref() == Some("EKV_9000"))
        );
    }

    #[test]
    fn a_wait_too_long_for_the_clock_ends_past_any_deadline() {
        let now = tokio::time::Instant::now();
        let at = now + Duration::from_secs(10);
        assert!(!ends_at_or_past(now, Duration::from_secs(9), at));
        assert!(ends_at_or_past(now, Duration::from_secs(10), at));
        assert!(ends_at_or_past(now, Duration::MAX, at));
    }

    #[test]
    fn decode_json_reports_the_path_and_trailing_data() {
        #[derive(Debug, serde::Deserialize)]
        struct Thing {
            #[allow(dead_code)]
            id: u32,
        }
        let err = decode_json::<Vec<Thing>>(None, br#"[{"id": 1}, {"id": "x"}]"#).unwrap_err();
        assert!(
            matches!(&err, Error::Decode(d) if d.path() == Some("[1].id")),
            "{err}"
        );
        assert!(decode_json::<Thing>(None, br#"{"id": 1} 2"#).is_err());
        assert_eq!(decode_json::<Vec<u8>>(None, b"[1]").unwrap(), [1]);
    }
}
