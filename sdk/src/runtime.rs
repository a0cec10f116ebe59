//! Running one API call: retries, a tracing span, and the mapping of every failure to
//! [`Error`].
//!
//! The API layers wrap each generated operation in [`Runtime::call`]. A generated method builds
//! a fresh request and signs it every time it is called, so a retry is simply another call of
//! the closure:
//!
//! ```
//! use akamai_sdk::generated::progenitor_client::{Error as GeneratedError, ResponseValue};
//! use akamai_sdk::generated::reqwest::{header::HeaderMap, StatusCode};
//! use akamai_sdk::runtime::{OpInfo, Runtime};
//!
//! // What the API layer declares once per operation.
//! const GET_PROFILE: OpInfo = OpInfo::get("getProfile", "/profile");
//!
//! // Stands in for a generated method such as `linode_client.get_profile()`.
//! async fn get_profile() -> Result<ResponseValue<String>, GeneratedError<()>> {
//!     Ok(ResponseValue::new("me".to_owned(), StatusCode::OK, HeaderMap::new()))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), akamai_sdk::Error> {
//! let runtime = Runtime::default(); // or `HttpConfig::runtime()`
//! let profile: String = runtime.call(GET_PROFILE, || get_profile()).await?;
//! assert_eq!(profile, "me");
//! # Ok(())
//! # }
//! ```
//!
//! Handwritten requests (EdgeKV item bodies are raw bytes) go through [`Runtime::send`], which
//! takes a closure that builds and sends the request (sign it inside the closure so each attempt
//! is signed anew) and turns error statuses into [`Error::Api`]; [`read_json`] then decodes a
//! body and reports the JSON path that failed.
//!
//! Each call runs in an `akamai_sdk.call` span (`INFO`) with the fields `operation_id`,
//! `method`, `path`, and, as the call progresses, `attempt`, `status` and `latency_ms`. Retries
//! are logged at `DEBUG` with the wait. Nothing logged contains a header or a body secret.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use progenitor_client::{ByteStream, Error as GeneratedError, ResponseValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::field::Empty;
use tracing::Instrument;

use akamai_sdk_generated::{capture_response, ResponseMeta};

use crate::error::{ApiError, DecodeError, Error, ErrorBody};
use crate::retry::{RetryPolicy, Sleeper, TokioSleeper};

/// What a call is, for the retry policy (the method) and for tracing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// The `operationId` of the OpenAPI spec (`getProfile`).
    pub operation_id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template (`/linode/instances/{linodeId}`), never a filled-in path.
    pub path: &'static str,
}

impl OpInfo {
    /// An operation.
    pub const fn new(operation_id: &'static str, method: Method, path: &'static str) -> Self {
        Self {
            operation_id,
            method,
            path,
        }
    }

    /// A GET operation.
    pub const fn get(operation_id: &'static str, path: &'static str) -> Self {
        Self::new(operation_id, Method::GET, path)
    }

    /// A POST operation.
    pub const fn post(operation_id: &'static str, path: &'static str) -> Self {
        Self::new(operation_id, Method::POST, path)
    }

    /// A PUT operation.
    pub const fn put(operation_id: &'static str, path: &'static str) -> Self {
        Self::new(operation_id, Method::PUT, path)
    }

    /// A PATCH operation.
    pub const fn patch(operation_id: &'static str, path: &'static str) -> Self {
        Self::new(operation_id, Method::PATCH, path)
    }

    /// A DELETE operation.
    pub const fn delete(operation_id: &'static str, path: &'static str) -> Self {
        Self::new(operation_id, Method::DELETE, path)
    }
}

/// Runs calls with a [`RetryPolicy`] and a tracing span. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime {
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new(RetryPolicy::default())
    }
}

impl Runtime {
    /// A runtime with `policy`, waiting on tokio's timer.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            sleeper: Arc::new(TokioSleeper),
        }
    }

    /// Waits between attempts with `sleeper` instead of tokio's timer.
    pub fn with_sleeper(self, sleeper: impl Sleeper) -> Self {
        self.with_sleeper_arc(Arc::new(sleeper))
    }

    /// Waits between attempts with a shared `sleeper`.
    pub fn with_sleeper_arc(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Runs a generated operation, retrying as the policy allows, and returns its value.
    ///
    /// `f` is called once per attempt; it is typically `|| client.some_operation(args…)`.
    /// Error bodies are parsed into [`Error::Api`] (see [`Error::from_generated`]).
    pub async fn call<T, E, F, Fut>(&self, op: OpInfo, f: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        E: Serialize,
    {
        self.call_response(op, f)
            .await
            .map(ResponseValue::into_inner)
    }

    /// Like [`Runtime::call`], keeping the status and headers of the response.
    pub async fn call_response<T, E, F, Fut>(
        &self,
        op: OpInfo,
        mut f: F,
    ) -> Result<ResponseValue<T>, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        E: Serialize,
    {
        self.run(op, move || {
            let attempt = f();
            async move {
                match capture_response(attempt).await {
                    (Ok(value), _) => Ok((value.status(), value)),
                    (Err(GeneratedError::InvalidResponsePayload(bytes, e)), Some(meta)) => {
                        Err(undecodable(meta, &bytes, &e))
                    }
                    (Err(e), _) => Err(Error::from_generated(e).await),
                }
            }
        })
        .await
    }

    /// Like [`Runtime::call`], for operations whose error body is untyped (`ByteStream`, as
    /// for EdgeKV `getInitialize`): the error body is read (bounded) and parsed.
    pub async fn call_with_stream_error<T, F, Fut>(&self, op: OpInfo, mut f: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<ByteStream>>>,
    {
        self.run(op, move || {
            let attempt = f();
            async move {
                match capture_response(attempt).await {
                    (Ok(value), _) => Ok((value.status(), value.into_inner())),
                    (Err(GeneratedError::InvalidResponsePayload(bytes, e)), Some(meta)) => {
                        Err(undecodable(meta, &bytes, &e))
                    }
                    (Err(e), _) => Err(Error::from_generated_stream(e).await),
                }
            }
        })
        .await
    }

    /// Runs a handwritten request, retrying as the policy allows, and returns the response if
    /// its status is below 400. An error status becomes [`Error::Api`] (reading at most
    /// [`crate::error::MAX_ERROR_BODY_BYTES`] of the body); a failed send becomes
    /// [`Error::Transport`] or [`Error::Timeout`].
    ///
    /// `f` is called once per attempt and must build, sign and send a fresh request.
    pub async fn send<F, Fut>(&self, op: OpInfo, mut f: F) -> Result<reqwest::Response, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<reqwest::Response, reqwest::Error>>,
    {
        self.run(op, move || {
            let attempt = f();
            async move {
                let response = attempt.await?;
                let status = response.status();
                if status.is_client_error() || status.is_server_error() {
                    Err(Error::from_response(response).await)
                } else {
                    Ok((status, response))
                }
            }
        })
        .await
    }

    async fn run<R, F, Fut>(&self, op: OpInfo, attempt: F) -> Result<R, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(StatusCode, R), Error>>,
    {
        let span = tracing::info_span!(
            "akamai_sdk.call",
            operation_id = op.operation_id,
            method = %op.method,
            path = op.path,
            attempt = Empty,
            status = Empty,
            latency_ms = Empty,
        );
        self.attempts(&op.method, attempt).instrument(span).await
    }

    async fn attempts<R, F, Fut>(&self, method: &Method, mut attempt_fn: F) -> Result<R, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(StatusCode, R), Error>>,
    {
        let span = tracing::Span::current();
        let start = Instant::now();
        let mut waited = std::time::Duration::ZERO;
        let mut attempt = 1u32;
        loop {
            span.record("attempt", attempt);
            let result = attempt_fn().await;
            let latency_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            span.record("latency_ms", latency_ms);
            let error = match result {
                Ok((status, value)) => {
                    span.record("status", status.as_u16());
                    tracing::debug!(
                        attempt,
                        status = status.as_u16(),
                        latency_ms,
                        "call succeeded"
                    );
                    return Ok(value);
                }
                Err(error) => error,
            };
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
            }
            match self
                .policy
                .next_wait(method, &error, attempt, waited, SystemTime::now())
            {
                Some(wait) => {
                    tracing::debug!(
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        error = %Chain(&error),
                        "attempt failed, retrying"
                    );
                    self.sleeper.sleep(wait).await;
                    waited = waited.saturating_add(wait);
                    attempt += 1;
                }
                None => {
                    tracing::debug!(attempt, latency_ms, error = %Chain(&error), "call failed");
                    return Err(error);
                }
            }
        }
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

/// Reads a whole response body and decodes it as JSON into `T`; a mismatch becomes
/// [`Error::Decode`] with the JSON path that failed.
pub async fn read_json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    let status = response.status();
    let bytes = response.bytes().await?;
    decode_json(Some(status), &bytes)
}

/// Decodes JSON into `T`; a mismatch becomes [`Error::Decode`] with the JSON path that failed
/// (and `status`, when given). The message never quotes the offending data.
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
    use reqwest::header::{HeaderMap, HeaderValue};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

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
        let runtime =
            Runtime::new(RetryPolicy::default().with_jitter(false)).with_sleeper(recorder.clone());
        let calls = AtomicU32::new(0);
        let value = runtime
            .call(OpInfo::post("createThing", "/things"), || {
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
        let runtime = Runtime::new(RetryPolicy::default().with_max_attempts(3))
            .with_sleeper(recorder.clone());
        for (op, attempts) in [(OpInfo::post("p", "/p"), 1), (OpInfo::get("g", "/g"), 3)] {
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
        let runtime = Runtime::new(RetryPolicy::default().with_max_attempts(2));
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        let err = runtime
            .call(OpInfo::get("g", "/g"), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<ResponseValue<()>, _>(status_error(503, &[("retry-after", "9")])) }
            })
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(start.elapsed(), Duration::from_secs(9));
    }

    #[tokio::test]
    async fn untyped_error_bodies_are_read_and_parsed() {
        let runtime = Runtime::new(RetryPolicy::disabled());
        let err = runtime
            .call_with_stream_error(OpInfo::get("getInitialize", "/initialize"), || async {
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
