//! Raw OpenAPI clients for the Linode parent/child-account API and the Akamai EdgeKV API.
//!
//! `src/linode.rs` and `src/edgekv.rs` are written by `cargo xtask generate` from the pinned
//! upstream specs (see `specs/sources.toml`) and must not be edited by hand. This file and its
//! modules (`request`, `lenient`, `secret`, `datetime`) are the handwritten seam between the
//! generated clients and the `akamai-sdk` crate:
//!
//! * [`Signer`] is the inner value every generated `Client` carries. It holds an
//!   `Arc<dyn RequestSigner>`; the sdk supplies EdgeGrid or bearer-token signers.
//! * [`send`] is the one path of every request: each generated operation method hands it the
//!   finished `reqwest::Request` (the generator writes that call in place of progenitor's hook
//!   steps), and so does every handwritten request. It signs ([`sign_request`], so a signer
//!   sees exactly the bytes that go on the wire), sends and reads a success body whole as part
//!   of the attempt ([`execute`]), and observes the answer ([`observe_response`]: inside
//!   [`capture_response`] it records the status and headers, which progenitor does not keep
//!   when a body fails to decode, such as an HTML 502 where a JSON error was documented).
//! * [`Operation`] is the type of the operation tables `cargo xtask generate` writes
//!   (`linode::operations`, `edgekv::operations`): ids, methods, paths and retry facts.
//! * [`Runner`] runs the typed calls the generator writes beside progenitor's client
//!   (`linode::Calls`): the SDK's clients implement it; [`Paginated`] is implemented for the
//!   answer of every paginated list, so that a runner can stream its items.
//! * [`lenient`] decodes response scalars whose JSON type differs from the spec.
//! * [`DateTime`] is the lenient timestamp type that every `format: date-time` maps to.
//! * [`Secret`] is what every `format: password` string maps to (the overlays mark tokens so):
//!   Debug and Display print a redaction, and the text is zeroised on drop.
//!
//! Most users want the `akamai-sdk` crate, which wraps these clients with authentication,
//! retries, pagination and typed errors.

#![forbid(unsafe_code)]
// docs.rs labels the items each cargo feature builds.
#![cfg_attr(docsrs, feature(doc_cfg))]

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
// `dead_code`: the `defaults` functions of types built per area are unused without the area.
// `unreachable_patterns`, `unused_comparisons`: progenitor's match arms for a status inside a
// documented range, and typify's check of a `minLength: 0`, both from the spec as it is.
// `rustdoc::broken_intra_doc_links`: upstream descriptions write `First [0]: eth0` as text.
#[cfg(feature = "linode")]
#[rustfmt::skip]
#[allow(
    rustdoc::broken_intra_doc_links,
    dead_code,
    unreachable_patterns,
    unused_comparisons,
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

/// Authenticates a request inside [`send`].
///
/// Drops the `api-version` header progenitor adds (neither API knows it, and it would otherwise
/// be sent and could be signed), then lets the signer authenticate the request.
pub async fn sign_request(signer: &Signer, request: &mut reqwest::Request) -> Result<(), BoxError> {
    request.headers_mut().remove("api-version");
    signer.0.sign(request).await
}

/// One operation of a generated client, as the processed spec describes it.
///
/// `cargo xtask generate` writes one constant per operation into each API module's
/// `operations` table (`linode::operations::GET_CHILD_ACCOUNTS`, ...). The SDK's runtime takes
/// every fact about a call from there: the name of its tracing span, the method and path
/// template, whether it may be repeated, and what its answers mean.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The `operationId`, exactly as in the spec (`get-child-accounts`).
    pub id: &'static str,
    /// The name of the generated method (`get_child_accounts`).
    pub method_name: &'static str,
    /// The HTTP method.
    pub method: reqwest::Method,
    /// The path template under the client's base URL (`/account/child-accounts/{euuid}`).
    pub path: &'static str,
    /// Whether repeating the request cannot change the outcome: true for GET, HEAD, PUT,
    /// DELETE, OPTIONS and TRACE unless the spec says otherwise (`x-idempotent`).
    pub idempotent: bool,
    /// Success statuses documented without a body beside one that has a body (Linode grants:
    /// 200 with a document, 204 without one).
    pub bodiless_statuses: &'static [u16],
    /// The `detail` texts of a 404 that means "this collection is empty" rather than "not
    /// found" (`x-empty-collection` in the overlays; EdgeKV: `No tokens exist.`).
    pub empty_collection_details: &'static [&'static str],
    /// Whether the answer is one page of a collection (`data`, `page`, `pages`, `results`;
    /// rule `paginated-lists`): the typed calls stream every page of it.
    pub paginated: bool,
    /// The operation's first tag in the spec: its area (`Linode instances`).
    pub tag: &'static str,
    /// The cargo feature that builds the operation's method and typed call
    /// (`linode-instances`), or `None` when every build has it.
    pub feature: Option<&'static str>,
}

impl Operation {
    /// An operation the pinned spec does not have, for a raw call (a `v4beta` preview, a path
    /// newer than the pin): id `raw-call`, no documented bodiless or empty-collection answers,
    /// not paginated, in no area.
    pub fn raw(method: reqwest::Method, path: &'static str, idempotent: bool) -> Self {
        Self {
            id: "raw-call",
            method_name: "raw",
            method,
            path,
            idempotent,
            bodiless_statuses: &[],
            empty_collection_details: &[],
            paginated: false,
            tag: "raw",
            feature: None,
        }
    }

    /// Whether `status` is a documented success without a body.
    pub fn is_bodiless(&self, status: u16) -> bool {
        self.bodiless_statuses.contains(&status)
    }

    /// Whether a 404 with this problem `detail` means an empty collection.
    pub fn is_empty_collection_detail(&self, detail: &str) -> bool {
        let detail = detail.trim();
        self.empty_collection_details
            .iter()
            .any(|known| known.eq_ignore_ascii_case(detail))
    }
}

/// Runs the typed calls of a generated module (`linode::Calls`): the SDK's clients implement
/// it over their authentication, retry policy, deadline, error mapping and tracing.
///
/// Each entry gets the operation's table entry and a closure that makes one attempt with a
/// generated client `C` (a fresh request, signed anew). The typed call picks the entry from
/// what the operation answers; callers use the typed calls, never these entries.
pub trait Runner<C>: Send + Sync {
    /// The error every call fails with.
    type Error: Send + 'static;

    /// Runs an operation whose answer is a JSON value.
    fn call<T, E, F, Fut>(
        &self,
        op: &'static Operation,
        attempt: F,
    ) -> impl Future<Output = Result<T, Self::Error>>
    where
        T: serde::de::DeserializeOwned + Send,
        E: serde::Serialize + Send,
        F: Fn(C) -> Fut + Send + Sync,
        Fut: Future<
            Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
        >;

    /// Like [`Runner::call`], for an operation that may answer "nothing"
    /// ([`Operation::bodiless_statuses`], [`Operation::empty_collection_details`]): `None`.
    fn call_optional<T, E, F, Fut>(
        &self,
        op: &'static Operation,
        attempt: F,
    ) -> impl Future<Output = Result<Option<T>, Self::Error>>
    where
        T: serde::de::DeserializeOwned + Send,
        E: serde::Serialize + Send,
        F: Fn(C) -> Fut + Send + Sync,
        Fut: Future<
            Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
        >;

    /// Runs an operation whose answer is a raw body (an image, a file), read whole.
    fn call_bytes<E, F, Fut>(
        &self,
        op: &'static Operation,
        attempt: F,
    ) -> impl Future<Output = Result<RawBody, Self::Error>>
    where
        E: serde::Serialize + Send,
        F: Fn(C) -> Fut + Send + Sync,
        Fut: Future<
            Output = Result<
                progenitor_client::ResponseValue<progenitor_client::ByteStream>,
                progenitor_client::Error<E>,
            >,
        >;

    /// Runs an operation whose error body the spec leaves untyped.
    fn call_untyped_error<T, F, Fut>(
        &self,
        op: &'static Operation,
        attempt: F,
    ) -> impl Future<Output = Result<T, Self::Error>>
    where
        T: serde::de::DeserializeOwned + Send,
        F: Fn(C) -> Fut + Send + Sync,
        Fut: Future<
            Output = Result<
                progenitor_client::ResponseValue<T>,
                progenitor_client::Error<progenitor_client::ByteStream>,
            >,
        >;

    /// Streams every item of a paginated operation ([`Operation::paginated`]): `page` is
    /// called with the page number, from 1.
    fn stream<P, E, F, Fut>(
        &self,
        op: &'static Operation,
        page: F,
    ) -> PageStream<P::Item, Self::Error>
    where
        P: Paginated,
        E: serde::Serialize + Send + 'static,
        F: Fn(C, std::num::NonZeroU64) -> Fut + Send + Sync + 'static,
        Fut: Future<
                Output = Result<progenitor_client::ResponseValue<P>, progenitor_client::Error<E>>,
            > + Send
            + 'static;
}

/// The stream of the items of every page of a list (`<method>_stream` of the typed calls).
pub type PageStream<T, E> =
    Pin<Box<dyn futures_core::Stream<Item = Result<T, E>> + Send + 'static>>;

/// A raw answer (an image, a file): its content type and every byte of it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawBody {
    /// The `Content-Type` of the answer, if it had one.
    pub content_type: Option<String>,
    /// The body.
    pub bytes: bytes::Bytes,
}

impl RawBody {
    /// A raw body.
    pub fn new(content_type: Option<String>, bytes: bytes::Bytes) -> Self {
        Self {
            content_type,
            bytes,
        }
    }
}

/// One page of a list, as every paginated answer carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// This page's number (from 1), if the answer said.
    pub page: Option<u64>,
    /// How many pages there are, if the answer said.
    pub pages: Option<u64>,
    /// How many items all pages hold, if the answer said.
    pub results: Option<u64>,
}

/// The answer of a paginated operation (the generator implements it for each one).
pub trait Paginated: serde::de::DeserializeOwned + Send + 'static {
    /// The type of the listed items.
    type Item: Send + 'static;

    /// The page's items and counts.
    fn into_page(self) -> Page<Self::Item>;
}

/// Conversions the generated [`Paginated`] impls use, whatever the spec made of each field.
#[doc(hidden)]
pub mod paging {
    /// A page's `data`: a list, or an optional list.
    pub trait Items<T> {
        fn into_items(self) -> Vec<T>;
    }

    impl<T> Items<T> for Vec<T> {
        fn into_items(self) -> Vec<T> {
            self
        }
    }

    impl<T> Items<T> for Option<Vec<T>> {
        fn into_items(self) -> Vec<T> {
            self.unwrap_or_default()
        }
    }

    /// A page's `page`, `pages` or `results`: a number, optional or not.
    pub trait Count {
        fn into_count(self) -> Option<u64>;
    }

    impl Count for i64 {
        fn into_count(self) -> Option<u64> {
            u64::try_from(self).ok()
        }
    }

    impl Count for u64 {
        fn into_count(self) -> Option<u64> {
            Some(self)
        }
    }

    impl Count for f64 {
        fn into_count(self) -> Option<u64> {
            (self >= 0.0 && self.fract() == 0.0 && self < u64::MAX as f64).then_some(self as u64)
        }
    }

    impl<C: Count> Count for Option<C> {
        fn into_count(self) -> Option<u64> {
            self.and_then(Count::into_count)
        }
    }

    pub fn items<T>(data: impl Items<T>) -> Vec<T> {
        data.into_items()
    }

    pub fn count(value: impl Count) -> Option<u64> {
        value.into_count()
    }
}

mod datetime;
pub mod lenient;
mod request;
mod secret;

pub use datetime::{DateTime, DateTimeParseError};
// The seam the SDK's runtime drives every request through (see the crate docs); public for
// `akamai-sdk`, not an API for dependents.
#[doc(hidden)]
pub use request::{capture_response, execute, observe_response, send, Captured, ResponseMeta};
pub use secret::Secret;

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
        let ((), captured) =
            capture_response(async { observe_response(&signer, &Ok(response)) }).await;
        let meta = captured.meta.unwrap();
        assert_eq!(meta.status, 502);
        assert_eq!(meta.headers["x-request-id"], "r1");
        let ((), none) = capture_response(async {}).await;
        assert!(none.meta.is_none() && none.body.is_none() && none.coercions == 0);
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Record {
        #[serde(default, deserialize_with = "crate::lenient::de")]
        name: Option<String>,
        #[serde(deserialize_with = "crate::lenient::de")]
        count: i64,
        #[serde(default, deserialize_with = "crate::lenient::de")]
        ratio: Option<f64>,
        #[serde(default, deserialize_with = "crate::lenient::de")]
        on: Option<bool>,
        #[serde(default, deserialize_with = "crate::lenient::de")]
        small: Option<u32>,
    }

    #[tokio::test]
    async fn lenient_scalars_keep_values_of_another_json_type_and_count_them() {
        let body = br#"[{"name": 1111, "count": "42", "ratio": "0.5", "on": "TRUE"},
                        {"name": "plain", "count": 3.0, "ratio": 2, "on": false, "small": null}]"#;
        let (records, captured) =
            super::capture_response(async { serde_json::from_slice::<Vec<Record>>(body).unwrap() })
                .await;
        assert_eq!(
            records[0],
            Record {
                name: Some("1111".into()),
                count: 42,
                ratio: Some(0.5),
                on: Some(true),
                small: None
            }
        );
        assert_eq!(records[1].count, 3);
        assert_eq!(records[1].ratio, Some(2.0));
        // 1111, "42", "0.5", "TRUE" and 3.0; an integer for a float is no coercion.
        assert_eq!(captured.coercions, 5);
        let found = super::lenient::explain::<Vec<Record>>(body, 8);
        let paths: Vec<(&str, &str)> = found
            .iter()
            .map(|c| (c.path.as_str(), c.expected))
            .collect();
        assert_eq!(
            paths,
            [
                ("[0].name", "string"),
                ("[0].count", "integer"),
                ("[0].ratio", "number"),
                ("[0].on", "boolean"),
                ("[1].count", "integer")
            ]
        );
        assert_eq!(super::lenient::explain::<Vec<Record>>(body, 2).len(), 2);
    }

    #[test]
    fn lenient_scalars_still_reject_what_does_not_fit() {
        for bad in [
            r#"{"count": "many"}"#,
            r#"{"count": 1.5}"#,
            r#"{"count": {"n": 1}}"#,
            r#"{"count": 1, "name": ["a"]}"#,
            r#"{"count": 1, "on": "yes"}"#,
            r#"{"count": 1, "small": -1}"#,
            r#"{"count": 1, "small": 4294967296}"#,
            r#"{"count": 1, "ratio": "NaN"}"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<Record>(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn execute_reads_a_success_body_within_the_attempt_and_keeps_the_response() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for body_len in [5usize, 2] {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await.unwrap();
                let head = "HTTP/1.1 200 OK\r\nx-request-id: r1\r\ncontent-length: 5\r\nconnection: close\r\n\r\n";
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.write_all(&b"hello"[..body_len]).await.unwrap();
                socket.shutdown().await.unwrap();
            }
        });
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/thing");
        let request = || client.get(&url).build().unwrap();
        let (response, captured) =
            super::capture_response(super::execute(&client, request())).await;
        let response = response.unwrap();
        assert_eq!(response.headers()["x-request-id"], "r1");
        assert_eq!(response.url().as_str(), url);
        assert_eq!(captured.body.as_deref(), Some(&b"hello"[..]));
        assert_eq!(response.bytes().await.unwrap(), "hello");
        // A body that ends before its announced length fails the send itself.
        let err = super::execute(&client, request()).await.unwrap_err();
        assert!(err.is_body() || err.is_decode(), "{err:?}");
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
