//! [`Endpoint`]: what every client stands on.

use akamai_sdk_generated::{Operation, RequestSigner, Signer};
use bytes::Bytes;
use progenitor_client::{Error as GeneratedError, ResponseValue};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{StatusCode, Url};

use crate::config::HttpConfig;
use crate::error::Error;
use crate::raw::{RawAnswer, RawCall};
use crate::runtime::Runtime;

/// Where and how a client's calls go: the base URL (held once), the HTTP client, the signer
/// of every request and the runtime that runs every call. The Linode clients (one endpoint per
/// token: the parent's, each proxy token's) and the EdgeKV client are built on it. Cheap to
/// clone; immutable once built.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    base: Url,
    http: reqwest::Client,
    signer: Signer,
    runtime: Runtime,
}

impl Endpoint {
    /// An endpoint at `base` (already checked by the caller; a trailing `/` of its path is
    /// dropped) with the HTTP client and runtime that `config` describes.
    pub(crate) fn new(
        config: &HttpConfig,
        mut base: Url,
        signer: impl RequestSigner,
    ) -> Result<Self, Error> {
        let trimmed = base.path().trim_end_matches('/').to_owned();
        base.set_path(&trimmed);
        Ok(Self {
            http: config.build_client()?,
            runtime: config.runtime().with_base_url(&base),
            signer: Signer::new(signer),
            base,
        })
    }

    /// The same endpoint signing with `signer` (a child account's proxy token).
    #[cfg(feature = "linode")]
    pub(crate) fn with_signer(&self, signer: impl RequestSigner) -> Self {
        Self {
            signer: Signer::new(signer),
            ..self.clone()
        }
    }

    /// The same endpoint running its calls with `settings`' retry policy, sleeper and
    /// deadline (the HTTP client and its timeouts stay).
    #[cfg(feature = "edgekv")]
    pub(crate) fn with_runtime_settings(&self, settings: HttpConfig) -> Self {
        Self {
            runtime: settings.runtime().with_base_url(&self.base),
            ..self.clone()
        }
    }

    /// The base URL.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The base URL as text, without a trailing `/` (as the generated clients take it).
    pub(crate) fn base_str(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub(crate) fn signer(&self) -> &Signer {
        &self.signer
    }

    pub(crate) fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// A generated client on this endpoint (`new` is its `new_with_client`).
    pub(crate) fn generated<C>(&self, new: fn(&str, reqwest::Client, Signer) -> C) -> C {
        new(self.base_str(), self.http.clone(), self.signer.clone())
    }

    /// Sends a handwritten request (`op`'s method, `url`, an optional body with its content
    /// type) along the one request path (`akamai_sdk_generated::send`: signed, sent, observed)
    /// inside the runtime (retries by `op`'s idempotency, deadline, spans, errors), and returns
    /// the status, headers and body of a 2xx answer; any other status is an error.
    pub(crate) async fn send(
        &self,
        op: &Operation,
        url: &Url,
        body: Option<(&str, &Bytes)>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
        let (http, signer) = (&self.http, &self.signer);
        self.runtime
            .call_raw(op, || {
                let mut builder = http.request(op.method.clone(), url.clone());
                if let Some((content_type, bytes)) = body {
                    builder = builder
                        .header(CONTENT_TYPE, content_type)
                        .body(bytes.clone());
                }
                let request = builder.build();
                async move {
                    let request =
                        request.map_err(|e| GeneratedError::<()>::InvalidRequest(e.to_string()))?;
                    let response = akamai_sdk_generated::send(signer, http, request).await?;
                    let status = response.status();
                    if !status.is_success() {
                        return Err(GeneratedError::UnexpectedResponse(response));
                    }
                    let headers = response.headers().clone();
                    let bytes = response
                        .bytes()
                        .await
                        .map_err(GeneratedError::ResponseBodyError)?;
                    Ok(ResponseValue::new(
                        (status, headers, bytes),
                        status,
                        HeaderMap::new(),
                    ))
                }
            })
            .await
    }

    /// Runs a [`RawCall`] under the base URL, with `query` pairs added after the call's own
    /// (the EdgeKV account switch key).
    pub(crate) async fn raw(
        &self,
        call: &RawCall,
        query: &[(&str, &str)],
    ) -> Result<RawAnswer, Error> {
        let mut url = call.url(&self.base)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let (status, headers, body) = self.send(call.operation(), &url, call.body_parts()).await?;
        Ok(RawAnswer::new(status, headers, body))
    }
}
