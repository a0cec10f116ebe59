//! Raw OpenAPI clients for the Linode parent/child-account API and the Akamai EdgeKV API.
//!
//! Everything under `src/` except this file is written by `cargo xtask generate` from the
//! pinned upstream specs (see `specs/sources.toml`) and must not be edited by hand. This file is
//! the seam between the generated clients and the handwritten `akamai-sdk` crate:
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

/// The status and headers of a response, as seen by [`observe_response`].
#[derive(Clone, Debug)]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The response headers; empty for a success status (they are kept for errors only).
    pub headers: reqwest::header::HeaderMap,
}

/// What [`capture_response`] saw of one attempt.
#[derive(Debug, Default)]
pub struct Captured {
    /// The status and headers of the last response, if one arrived.
    pub meta: Option<ResponseMeta>,
    /// The body of the last success response, as read by [`execute`].
    pub body: Option<bytes::Bytes>,
    /// How many response values were read as their documented type although their JSON
    /// type differed (see [`lenient`]).
    pub coercions: u32,
}

tokio::task_local! {
    static CAPTURE: std::cell::RefCell<Captured>;
}

/// Observes an answer inside [`send`]: inside [`capture_response`], records
/// the response's status (and, for an error status, its headers). Outside, it does nothing.
pub fn observe_response(_: &Signer, result: &reqwest::Result<reqwest::Response>) {
    if let Ok(response) = result {
        let _ = CAPTURE.try_with(|slot| {
            let status = response.status();
            let headers = if status.is_success() {
                reqwest::header::HeaderMap::new()
            } else {
                response.headers().clone()
            };
            slot.borrow_mut().meta = Some(ResponseMeta { status, headers });
        });
    }
}

/// Runs one generated (or [`send`]) call and returns its output with what the hooks saw of
/// it: the last response's status and headers, a success body, and the coercions made while
/// decoding it.
pub async fn capture_response<F: Future>(call: F) -> (F::Output, Captured) {
    CAPTURE
        .scope(std::cell::RefCell::new(Captured::default()), async move {
            let output = call.await;
            let captured = CAPTURE.with(|slot| std::mem::take(&mut *slot.borrow_mut()));
            (output, captured)
        })
        .await
}

/// Sends a request and, for a success status, reads the whole body before anything decodes
/// it: a body that ends early fails here, as part of the attempt (a `reqwest` body error), and
/// inside [`capture_response`] the bytes are kept so that the SDK can explain coercions.
///
/// Every request executes through this function, inside [`send`]; the generated clients'
/// `exec` hook calls it too.
pub async fn execute(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let mut response = client.execute(request).await?;
    let status = response.status();
    if !status.is_success() {
        return Ok(response);
    }
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await?;
    let _ = CAPTURE.try_with(|slot| slot.borrow_mut().body = Some(body.clone()));
    // The URL travels as an extension, so the rebuilt response still knows it.
    let mut rebuilt = reqwest::ResponseBuilderExt::url(http::Response::builder(), url)
        .body(body)
        .expect("a response builder given only an extension cannot fail");
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}

/// Sends a request along the one path: [`sign_request`], [`execute`], [`observe_response`].
/// Every generated operation method calls it with the request progenitor built; handwritten
/// requests (an EdgeKV item body with an explicit content type, which progenitor cannot
/// express) call it too.
pub async fn send<E>(
    signer: &Signer,
    client: &reqwest::Client,
    mut request: reqwest::Request,
) -> Result<reqwest::Response, progenitor_client::Error<E>> {
    if let Err(e) = sign_request(signer, &mut request).await {
        return Err(progenitor_client::Error::Custom(e.to_string()));
    }
    record_url(request.url());
    let result = execute(client, request).await;
    observe_response(signer, &result);
    result.map_err(progenitor_client::Error::CommunicationError)
}

/// Records where a request goes on the current span, in the OpenTelemetry HTTP client
/// conventions: `url.full`, `server.address` and `server.port`. The SDK's attempt spans declare
/// these fields; on any other span (or none) recording does nothing. The URL is recorded as
/// sent, with any user name and password replaced by `REDACTED` (the SDK refuses base URLs
/// with either, and neither API puts a secret in a path or query).
fn record_url(url: &reqwest::Url) {
    let span = tracing::Span::current();
    if span.is_disabled() {
        return;
    }
    if url.username().is_empty() && url.password().is_none() {
        span.record("url.full", url.as_str());
    } else {
        let mut redacted = url.clone();
        let _ = redacted.set_username("REDACTED");
        let _ = redacted.set_password(Some("REDACTED"));
        span.record("url.full", redacted.as_str());
    }
    if let Some(host) = url.host_str() {
        span.record(
            "server.address",
            host.trim_start_matches('[').trim_end_matches(']'),
        );
    }
    if let Some(port) = url.port_or_known_default() {
        span.record("server.port", port);
    }
}

pub mod lenient {
    //! Tolerant decoding of response fields.
    //!
    //! `cargo xtask generate` puts `#[serde(deserialize_with = "crate::lenient::de")]` on every
    //! scalar field of the generated types (strings, integers, floats, booleans, and their
    //! `Option`s). A value whose JSON type differs from the documented one is kept rather than
    //! failing the whole response:
    //!
    //! * a number or a boolean where a string is documented becomes its text (`1111` ->
    //!   `"1111"`);
    //! * a numeric string where a number is documented becomes the number (`"42"` -> `42`); an
    //!   integral float (`3.0`) where an integer is documented becomes the integer;
    //! * `"true"` / `"false"` where a boolean is documented becomes the boolean.
    //!
    //! Each coercion is counted inside [`crate::capture_response`]; [`explain`] finds their
    //! JSON paths afterwards (the SDK logs them at DEBUG). Anything else that does not fit
    //! (an object where a string is documented, `"abc"` for a number) still fails.

    use std::cell::Cell;
    use std::fmt;
    use std::marker::PhantomData;

    use serde::de::{self, Deserializer, Visitor};

    /// What a coerced value was on the wire.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Found {
        /// A JSON number.
        Number,
        /// A JSON string.
        String,
        /// A JSON boolean.
        Boolean,
    }

    impl fmt::Display for Found {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(match self {
                Self::Number => "number",
                Self::String => "string",
                Self::Boolean => "boolean",
            })
        }
    }

    /// One coercion, located.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Coercion {
        /// The JSON path of the value (`data[3].credit_card.last_four`).
        pub path: String,
        /// What the value was.
        pub found: Found,
        /// The documented type it was read as (`string`, `integer`, `number`, `boolean`).
        pub expected: &'static str,
    }

    const MARK: &str = "akamai-sdk coercion mark";

    thread_local! {
        // In `explain`: how many coercions to let pass before failing on the next one.
        static EXPLAIN: Cell<Option<u32>> = const { Cell::new(None) };
        static LAST: Cell<Option<(Found, &'static str)>> = const { Cell::new(None) };
    }

    /// Records a coercion; fails it instead while [`explain`] is looking for it.
    fn coerced<E: de::Error>(found: Found, expected: &'static str) -> Result<(), E> {
        if let Some(skip) = EXPLAIN.with(Cell::get) {
            if skip == 0 {
                LAST.with(|last| last.set(Some((found, expected))));
                return Err(E::custom(MARK));
            }
            EXPLAIN.with(|e| e.set(Some(skip - 1)));
            return Ok(());
        }
        let _ = super::CAPTURE.try_with(|slot| {
            let mut slot = slot.borrow_mut();
            slot.coercions = slot.coercions.saturating_add(1);
        });
        Ok(())
    }

    /// Finds the JSON paths of the first `max` coercions made while decoding `bytes` as `T`
    /// (one extra decoding pass per coercion; meant for logging, after a decode that
    /// coerced).
    pub fn explain<T: de::DeserializeOwned>(bytes: &[u8], max: u32) -> Vec<Coercion> {
        let mut found = Vec::new();
        for skip in 0..max {
            EXPLAIN.with(|e| e.set(Some(skip)));
            LAST.with(|last| last.set(None));
            let mut deserializer = serde_json::Deserializer::from_slice(bytes);
            let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
            EXPLAIN.with(|e| e.set(None));
            let located = match (result, LAST.with(Cell::take)) {
                (Err(e), Some((what, expected))) if e.inner().to_string().starts_with(MARK) => {
                    Coercion {
                        path: e.path().to_string(),
                        found: what,
                        expected,
                    }
                }
                _ => break,
            };
            found.push(located);
        }
        found
    }

    /// A scalar type that decodes leniently.
    pub trait Lenient: Sized {
        /// Decodes `Self` from `deserializer`, coercing as the module docs say.
        fn deserialize_lenient<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Self, D::Error>;
    }

    /// The `deserialize_with` function of the generated fields.
    pub fn de<'de, D: Deserializer<'de>, T: Lenient>(deserializer: D) -> Result<T, D::Error> {
        T::deserialize_lenient(deserializer)
    }

    struct StringVisitor;

    impl Visitor<'_> for StringVisitor {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            coerced::<E>(Found::Number, "string")?;
            Ok(v.to_string())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            coerced::<E>(Found::Number, "string")?;
            Ok(v.to_string())
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            coerced::<E>(Found::Number, "string")?;
            Ok(v.to_string())
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            coerced::<E>(Found::Boolean, "string")?;
            Ok(v.to_string())
        }
    }

    impl Lenient for String {
        fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StringVisitor)
        }
    }

    struct BoolVisitor;

    impl Visitor<'_> for BoolVisitor {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            let value = if v.eq_ignore_ascii_case("true") {
                true
            } else if v.eq_ignore_ascii_case("false") {
                false
            } else {
                return Err(E::invalid_value(de::Unexpected::Str(v), &self));
            };
            coerced::<E>(Found::String, "boolean")?;
            Ok(value)
        }
    }

    impl Lenient for bool {
        fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(BoolVisitor)
        }
    }

    struct IntVisitor<T>(PhantomData<T>);

    impl<T: TryFrom<i64> + TryFrom<u64>> IntVisitor<T> {
        fn from_i64<E: de::Error>(v: i64) -> Result<T, E> {
            T::try_from(v)
                .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &"an integer in range"))
        }

        fn from_u64<E: de::Error>(v: u64) -> Result<T, E> {
            T::try_from(v)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"an integer in range"))
        }
    }

    impl<T: TryFrom<i64> + TryFrom<u64>> Visitor<'_> for IntVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            Self::from_i64(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            Self::from_u64(v)
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            // An integral float in the range of i64 (2^63 is exact as a float).
            if v.fract() != 0.0
                || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v)
            {
                return Err(E::invalid_type(de::Unexpected::Float(v), &self));
            }
            coerced::<E>(Found::Number, "integer")?;
            #[allow(clippy::cast_possible_truncation)]
            Self::from_i64(v as i64)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            let text = v.trim();
            let value = if let Ok(n) = text.parse::<i64>() {
                Self::from_i64(n)?
            } else if let Ok(n) = text.parse::<u64>() {
                Self::from_u64(n)?
            } else {
                return Err(E::invalid_value(de::Unexpected::Str(v), &self));
            };
            coerced::<E>(Found::String, "integer")?;
            Ok(value)
        }
    }

    macro_rules! lenient_ints {
        ($($t:ty),*) => {$(
            impl Lenient for $t {
                fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    d.deserialize_any(IntVisitor::<$t>(PhantomData))
                }
            }
        )*};
    }

    lenient_ints!(i64, i32, u64, u32);

    struct FloatVisitor;

    impl Visitor<'_> for FloatVisitor {
        type Value = f64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }

        #[allow(clippy::cast_precision_loss)]
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }

        #[allow(clippy::cast_precision_loss)]
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    coerced::<E>(Found::String, "number")?;
                    Ok(n)
                }
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }

    impl Lenient for f64 {
        fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(FloatVisitor)
        }
    }

    impl Lenient for f32 {
        #[allow(clippy::cast_possible_truncation)]
        fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(FloatVisitor).map(|v| v as f32)
        }
    }

    struct OptionVisitor<T>(PhantomData<T>);

    impl<'de, T: Lenient> Visitor<'de> for OptionVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a value or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            T::deserialize_lenient(d).map(Some)
        }
    }

    impl<T: Lenient> Lenient for Option<T> {
        fn deserialize_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_option(OptionVisitor(PhantomData))
        }
    }
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
