//! The one path of every request ([`send`]): sign, send and read a success body whole
//! ([`execute`]), observe the answer ([`observe_response`]), and, inside
//! [`capture_response`], keep what the SDK needs to explain a failure or a coercion.

use std::future::Future;

use crate::{sign_request, Signer};

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
    /// type differed (see [`lenient`](crate::lenient)).
    pub coercions: u32,
}

tokio::task_local! {
    static CAPTURE: std::cell::RefCell<Captured>;
}

/// Counts one coercion of [`crate::lenient`], inside [`capture_response`] (outside, nothing).
pub(crate) fn count_coercion() {
    let _ = CAPTURE.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.coercions = slot.coercions.saturating_add(1);
    });
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
