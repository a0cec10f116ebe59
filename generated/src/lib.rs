//! Raw OpenAPI clients for the Linode parent/child-account API and the Akamai EdgeKV API.
//!
//! Everything under `src/` except this file is written by `cargo xtask generate` from the
//! pinned upstream specs (see `specs/sources.toml`) and must not be edited by hand. This file is
//! the seam between the generated clients and the handwritten `akamai-sdk` crate:
//!
//! * [`Signer`] is the inner value every generated `Client` carries. It holds an
//!   `Arc<dyn RequestSigner>`; the sdk supplies EdgeGrid or bearer-token signers.
//! * [`sign_request`] is the pre-request hook progenitor calls with the finished
//!   `reqwest::Request`, so a signer sees exactly the bytes that go on the wire.
//! * [`observe_response`] is the post-response hook: inside [`capture_response`] it records
//!   the status and headers of the response, which progenitor does not keep when a body fails
//!   to decode (an HTML 502 from a gateway where a JSON error was documented).
//! * [`DateTime`] is the lenient timestamp type that every `format: date-time` maps to.
//! * [`Secret`] is what every `format: password` string maps to (the overlays mark tokens so):
//!   Debug and Display print a redaction, and the text is zeroised on drop.
//!
//! Most users want the `akamai-sdk` crate, which wraps these clients with authentication,
//! retries, pagination and typed errors.

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

// The generated modules are formatted by `cargo xtask generate` (prettyplease), not rustfmt.
// Their doc comments are upstream descriptions, whose indented sample values rustdoc takes for
// code blocks.
#[cfg(feature = "edgekv")]
#[rustfmt::skip]
#[allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic,
    rustdoc::invalid_rust_codeblocks
)]
pub mod edgekv;
#[cfg(feature = "linode")]
#[rustfmt::skip]
#[allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic,
    rustdoc::invalid_rust_codeblocks
)]
pub mod linode;

pub use progenitor_client;
pub use reqwest;

/// The error a [`RequestSigner`] returns. progenitor turns it into
/// `progenitor_client::Error::Custom` carrying its `Display` text, so it must never contain a
/// secret.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The future a [`RequestSigner`] returns.
pub type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;

/// Authenticates one outgoing request in place (EdgeGrid, bearer token, ...).
///
/// It runs on the final `reqwest::Request`, after the URL, query and body are built and before
/// it is sent; it runs again for every attempt when a request is retried.
pub trait RequestSigner: Send + Sync + fmt::Debug + 'static {
    /// Adds the authentication to `request`.
    fn sign<'a>(&'a self, request: &'a mut reqwest::Request) -> SignFuture<'a>;
}

/// The signer every generated `Client` carries as its inner value. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Signer(Arc<dyn RequestSigner>);

impl Signer {
    /// Wraps a signer.
    pub fn new(signer: impl RequestSigner) -> Self {
        Self(Arc::new(signer))
    }

    /// Wraps a shared signer.
    pub fn from_arc(signer: Arc<dyn RequestSigner>) -> Self {
        Self(signer)
    }

    /// A signer that leaves requests as they are (for unauthenticated endpoints and tests).
    pub fn unsigned() -> Self {
        Self::new(Unsigned)
    }

    /// The wrapped signer.
    pub fn inner(&self) -> &Arc<dyn RequestSigner> {
        &self.0
    }
}

/// A [`RequestSigner`] that adds nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unsigned;

impl RequestSigner for Unsigned {
    fn sign<'a>(&'a self, _request: &'a mut reqwest::Request) -> SignFuture<'a> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The pre-request hook of every generated operation.
///
/// Drops the `api-version` header progenitor adds (neither API knows it, and it would otherwise
/// be sent and could be signed), then lets the signer authenticate the request.
pub async fn sign_request(signer: &Signer, request: &mut reqwest::Request) -> Result<(), BoxError> {
    request.headers_mut().remove("api-version");
    signer.0.sign(request).await
}

/// The status and headers of a response, as seen by [`observe_response`].
#[derive(Clone, Debug)]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The response headers; empty for a success status (they are kept for errors only).
    pub headers: reqwest::header::HeaderMap,
}

tokio::task_local! {
    static LAST_RESPONSE: std::cell::RefCell<Option<ResponseMeta>>;
}

/// The post-response hook of every generated operation: inside [`capture_response`], records
/// the response's status (and, for an error status, its headers). Outside, it does nothing.
pub fn observe_response(_: &Signer, result: &reqwest::Result<reqwest::Response>) {
    if let Ok(response) = result {
        let _ = LAST_RESPONSE.try_with(|slot| {
            let status = response.status();
            let headers = if status.is_success() {
                reqwest::header::HeaderMap::new()
            } else {
                response.headers().clone()
            };
            *slot.borrow_mut() = Some(ResponseMeta { status, headers });
        });
    }
}

/// Runs one generated call and returns its output with the last response it received (none
/// when the request failed before a response arrived).
pub async fn capture_response<F: Future>(call: F) -> (F::Output, Option<ResponseMeta>) {
    LAST_RESPONSE
        .scope(std::cell::RefCell::new(None), async move {
            let output = call.await;
            let meta = LAST_RESPONSE.with(|slot| slot.borrow_mut().take());
            (output, meta)
        })
        .await
}

/// A secret string from an API body (a Linode proxy token, an EdgeKV token value).
///
/// `Debug` and `Display` print `[REDACTED]`; [`Secret::expose`] gives the text; the memory
/// is zeroised on drop. Serialising writes the real value (a request may need to carry it).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret text. Keep what you do with it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Takes the secret text out; `self` is left empty (and zeroised on drop).
    pub fn into_string(mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(text))
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "password" })
    }
}

/// A timestamp as the APIs send it: RFC 3339 (`2024-05-21T10:11:12Z`, `…+02:00`) or, as Linode
/// does, an offset-less UTC date-time (`2018-01-01T00:01:01`).
///
/// It parses leniently and serializes back exactly the text it was read from, so a value that
/// round-trips through the SDK is not rewritten.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    utc: chrono::DateTime<chrono::Utc>,
    text: String,
}

impl DateTime {
    /// The instant, in UTC (offset-less input is taken as UTC).
    pub fn utc(&self) -> chrono::DateTime<chrono::Utc> {
        self.utc
    }

    /// The text this value was read from.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for DateTime {
    fn from(utc: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            utc,
            text: utc.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }
    }
}

/// The text is not a date-time in any of the accepted forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeParseError(String);

impl fmt::Display for DateTimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid date-time {:?}: expected RFC 3339 or YYYY-MM-DDTHH:MM:SS[.fff] (UTC)",
            self.0
        )
    }
}

impl std::error::Error for DateTimeParseError {}

impl std::str::FromStr for DateTime {
    type Err = DateTimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let utc = chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .or_else(|_| {
                // RFC 3339 with a space instead of `T`, or without an offset (taken as UTC).
                chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .or_else(|_| {
                        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                            .iter()
                            .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                            .map(|t| t.and_utc())
                            .ok_or(())
                    })
            })
            .map_err(|_| DateTimeParseError(text.to_owned()))?;
        Ok(Self {
            utc,
            text: text.to_owned(),
        })
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for DateTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DateTime".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

#[cfg(test)]
mod tests {
    use super::{capture_response, observe_response, DateTime, Signer};

    #[tokio::test]
    async fn capture_response_sees_the_status_outside_scope_nothing_happens() {
        let response = reqwest::Response::from(
            http::Response::builder()
                .status(502)
                .header("x-request-id", "r1")
                .body("<html>bad gateway</html>")
                .unwrap(),
        );
        let signer = Signer::unsigned();
        // Outside a capture scope the hook is a no-op.
        observe_response(&signer, &Ok(response));
        let response = reqwest::Response::from(
            http::Response::builder()
                .status(502)
                .header("x-request-id", "r1")
                .body("")
                .unwrap(),
        );
        let ((), meta) = capture_response(async { observe_response(&signer, &Ok(response)) }).await;
        let meta = meta.unwrap();
        assert_eq!(meta.status, 502);
        assert_eq!(meta.headers["x-request-id"], "r1");
        let ((), none) = capture_response(async {}).await;
        assert!(none.is_none());
    }

    #[test]
    fn secrets_are_redacted_but_round_trip() {
        let secret: super::Secret = serde_json::from_str("\"tok-123\"").unwrap();
        assert_eq!(
            format!("{secret:?} {secret}"),
            "Secret([REDACTED]) [REDACTED]"
        );
        assert_eq!(secret.expose(), "tok-123");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"tok-123\"");
        assert_eq!(secret.into_string(), "tok-123");
    }

    #[test]
    fn date_time_accepts_offsetless_and_rfc3339_and_writes_back_its_input() {
        for text in [
            "2018-01-01T00:01:01",
            "2018-01-01T00:01:01.123",
            "2018-01-01T00:01:01Z",
            "2018-01-01T02:01:01+02:00",
            "2018-01-01 00:01:01",
        ] {
            let json = format!("\"{text}\"");
            let value: DateTime = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
            assert_eq!(
                value.utc().format("%Y-%m-%d").to_string(),
                "2018-01-01",
                "{text}"
            );
        }
        let utc: DateTime = "2018-01-01T02:01:01+02:00".parse().unwrap();
        let naive: DateTime = "2018-01-01T00:01:01".parse().unwrap();
        assert_eq!(utc.utc(), naive.utc());
    }

    #[test]
    fn date_time_rejects_garbage_with_the_input_in_the_message() {
        let err = serde_json::from_str::<DateTime>("\"yesterday\"").unwrap_err();
        assert!(err.to_string().contains("yesterday"), "{err}");
        assert!(serde_json::from_str::<DateTime>("12").is_err());
    }
}
