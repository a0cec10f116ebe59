//! [`Endpoint`]: what every client stands on.

use akamai_sdk_generated::{RequestSigner, Signer};
use reqwest::Url;

use crate::config::HttpConfig;
use crate::error::Error;
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
    pub(crate) fn with_signer(&self, signer: impl RequestSigner) -> Self {
        Self {
            signer: Signer::new(signer),
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

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
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
}
