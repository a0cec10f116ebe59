//! [`EdgeKvClient`]: credentials, base URL, signing and the shared request plumbing.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use akamai_sdk_generated::edgekv::{self as raw, types};
use akamai_sdk_generated::{RequestSigner, SignFuture};
use reqwest::Request;
use url::Url;

use super::ids::{canonicalize_path, encode_segment};
use crate::config::{ConfigError, HttpConfig};
use crate::edgegrid::{Credentials, CredentialsError, EdgeGridSigner, SigningError};
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::raw::{RawAnswer, RawCall};
use crate::runtime::Runtime;

/// The path of the EdgeKV API under the credentials' host.
pub const BASE_PATH: &str = "/edgekv/v1";

/// An EdgeKV network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    /// The staging network.
    Staging,
    /// The production network.
    Production,
}

impl Network {
    /// The name the API uses (`staging`, `production`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = Error;

    /// Parses `staging` or `production` (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("staging") {
            Ok(Self::Staging)
        } else if s.eq_ignore_ascii_case("production") {
            Ok(Self::Production)
        } else {
            Err(Error::InvalidInput(
                "the network must be `staging` or `production`".to_owned(),
            ))
        }
    }
}

impl From<Network> for types::Network {
    fn from(network: Network) -> Self {
        match network {
            Network::Staging => Self::Staging,
            Network::Production => Self::Production,
        }
    }
}

/// The EdgeGrid signer with the EdgeKV path rule: before a request to the credentials' host
/// is signed, its path is put in the strict percent-encoded form (see
/// [`canonicalize_path`]), so the bytes signed are the bytes sent.
#[derive(Clone, Debug)]
pub(crate) struct PathSigner {
    inner: EdgeGridSigner,
}

impl PathSigner {
    pub(crate) fn sign(&self, request: &mut Request) -> std::result::Result<(), SigningError> {
        if self.inner.is_own_host(request.url()) {
            canonicalize_path(request.url_mut());
        }
        self.inner.sign(request)
    }
}

impl RequestSigner for PathSigner {
    fn sign<'a>(&'a self, request: &'a mut Request) -> SignFuture<'a> {
        let result = PathSigner::sign(self, request).map_err(Into::into);
        Box::pin(std::future::ready(result))
    }
}

/// A client of the EdgeKV API: namespaces, groups, items, access tokens, initialization and
/// access policies. Cheap to clone.
///
/// Every call is signed with EdgeGrid, runs with the retry policy of its [`HttpConfig`]
/// (idempotent GET, PUT and DELETE are retried on 408/429/5xx and connection failures; POST
/// only when the server cannot have acted), and fails with one [`Error`]; a problem+json error
/// body is parsed into [`crate::error::Problem`] with its `errorCode` (`EKV_…`) and request id.
///
/// ```no_run
/// use akamai_sdk::edgekv::{EdgeKvClient, ItemValue, Network};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), akamai_sdk::Error> {
/// let client = EdgeKvClient::from_edgerc("~/.edgerc", "default")?;
/// let group = client.group(Network::Staging, "default", "countries");
/// group.put("greeting", &ItemValue::text("\"hello\" ")).await?;
/// let item = group.get("greeting").await?;
/// assert_eq!(item.as_bytes(), b"\"hello\" ");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct EdgeKvClient {
    endpoint: Endpoint,
    generated: raw::Client,
    account_switch_key: Option<String>,
}

impl fmt::Debug for EdgeKvClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EdgeKvClient")
            .field("base_url", &self.endpoint.base().as_str())
            .field("signer", self.endpoint.signer())
            .field("retry", self.endpoint.runtime().settings().retry())
            .field("account_switch_key", &self.account_switch_key)
            .finish_non_exhaustive()
    }
}

fn credentials_error(e: CredentialsError) -> Error {
    Error::Credentials(e)
}

impl EdgeKvClient {
    /// A client for `section` of the `.edgerc` file at `path` (a leading `~/` is expanded),
    /// with the default [`HttpConfig`] and the base URL `https://{host}/edgekv/v1`.
    pub fn from_edgerc(path: impl AsRef<Path>, section: &str) -> Result<Self> {
        Self::builder_from_edgerc(path, section)?.build()
    }

    /// A builder for `section` of the `.edgerc` file at `path`, so that the HTTP settings,
    /// base URL and account switch key can still be set:
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use akamai_sdk::prelude::*;
    ///
    /// # fn main() -> akamai_sdk::Result<()> {
    /// let client = EdgeKvClient::builder_from_edgerc("~/.edgerc", "default")?
    ///     .http_config(HttpConfig::new().with_deadline(Duration::from_secs(30)))
    ///     .account_switch_key("1-ABCDE")
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder_from_edgerc(
        path: impl AsRef<Path>,
        section: &str,
    ) -> Result<EdgeKvClientBuilder> {
        let credentials = Credentials::from_edgerc(path, section).map_err(credentials_error)?;
        Ok(Self::builder(credentials))
    }

    /// A builder whose credentials come from the environment or the `.edgerc` file, as for
    /// [`EdgeKvClient::from_env`].
    pub fn builder_from_env(section: Option<&str>) -> Result<EdgeKvClientBuilder> {
        let credentials = Credentials::load(None, section).map_err(credentials_error)?;
        Ok(Self::builder(credentials))
    }

    /// A client whose credentials come from the `AKAMAI_*` environment variables of `section`
    /// (`default` when `None`) or else from the `.edgerc` file (`AKAMAI_EDGERC`, else
    /// `~/.edgerc`); see [`Credentials::load`].
    pub fn from_env(section: Option<&str>) -> Result<Self> {
        Self::builder_from_env(section)?.build()
    }

    /// Starts a client with `credentials`; [`EdgeKvClientBuilder::build`] finishes it.
    pub fn builder(credentials: Credentials) -> EdgeKvClientBuilder {
        EdgeKvClientBuilder::with_signer(EdgeGridSigner::new(credentials))
    }

    /// The base URL (`https://{host}/edgekv/v1`).
    pub fn base_url(&self) -> &Url {
        self.endpoint.base()
    }

    /// The account switch key sent with every call, if any.
    pub fn account_switch_key(&self) -> Option<&str> {
        self.account_switch_key.as_deref()
    }

    /// The generated client (positional interface) that the wrappers run through the runtime.
    pub(crate) fn generated(&self) -> &raw::Client {
        &self.generated
    }

    pub(crate) fn runtime(&self) -> &Runtime {
        self.endpoint.runtime()
    }

    /// The same client with `retry` as its retry policy (the bulk layer's: 429 answers
    /// returned to its adaptive rate instead of retried).
    pub(crate) fn with_retry(&self, retry: crate::retry::RetryPolicy) -> Self {
        let settings = self.runtime().settings().clone().with_retry(retry);
        Self {
            endpoint: self.endpoint.with_runtime_settings(settings),
            ..self.clone()
        }
    }

    /// A URL under the base URL: each segment percent-encoded (ids must have been checked),
    /// then the query pairs and the account switch key.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.endpoint.base().clone();
        let mut path = url.path().trim_end_matches('/').to_owned();
        for segment in segments {
            path.push('/');
            encode_segment(segment.as_bytes(), &mut path);
        }
        url.set_path(&path);
        let ask = self
            .account_switch_key()
            .map(|key| ("accountSwitchKey", key));
        if !query.is_empty() || ask.is_some() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query.iter().copied().chain(ask) {
                pairs.append_pair(name, value);
            }
        }
        url
    }

    /// The endpoint (base URL, HTTP client, signer, runtime). `put-item` sends through it by
    /// hand: progenitor types its body as a JSON object, while an item is sent with the content
    /// type the caller chose (text, JSON or bytes, exactly as given).
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Runs a call the pinned spec does not have, with this client's signing, retries,
    /// deadline and tracing (see [`crate::raw`]); the account switch key goes with it.
    pub async fn raw(&self, call: &RawCall) -> Result<RawAnswer> {
        let key = self
            .account_switch_key()
            .map(|key| ("accountSwitchKey", key));
        self.endpoint.raw(call, key.as_slice()).await
    }
}

/// Builds an [`EdgeKvClient`].
///
/// ```
/// use akamai_sdk::config::HttpConfig;
/// use akamai_sdk::edgegrid::Credentials;
/// use akamai_sdk::edgekv::EdgeKvClient;
///
/// # fn main() -> Result<(), akamai_sdk::Error> {
/// let creds = Credentials::builder("akab-h.luna.akamaiapis.net", "akab-c", "secret", "akab-a")
///     .build()
///     .unwrap();
/// let client = EdgeKvClient::builder(creds)
///     .http_config(HttpConfig::new().with_user_agent_suffix("kv-tool/1.0"))
///     .account_switch_key("1-ABCDE:1-2RBL")
///     .build()?;
/// assert_eq!(client.base_url().as_str(), "https://akab-h.luna.akamaiapis.net/edgekv/v1");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct EdgeKvClientBuilder {
    signer: EdgeGridSigner,
    config: HttpConfig,
    base_url: Option<String>,
    account_switch_key: Option<String>,
}

impl EdgeKvClientBuilder {
    /// Starts a client that signs with `signer` (for instance one with an injected clock and
    /// nonce, for reproducible tests).
    pub fn with_signer(signer: EdgeGridSigner) -> Self {
        Self {
            signer,
            config: HttpConfig::default(),
            base_url: None,
            account_switch_key: None,
        }
    }

    /// Sets timeouts, user agent and retry policy.
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Overrides the base URL (default `https://{host}/edgekv/v1`). Its host and port must be
    /// the credentials' host, since only requests to that host are signed; plain http is
    /// accepted only for a loopback host when the [`HttpConfig`] allows it.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Runs every call in another account (`accountSwitchKey` query parameter). An
    /// `account_key` of the credentials is used when this is not set.
    pub fn account_switch_key(mut self, key: impl Into<String>) -> Self {
        self.account_switch_key = Some(key.into());
        self
    }

    /// Checks the base URL and builds the client.
    pub fn build(self) -> Result<EdgeKvClient> {
        let base = self
            .base_url
            .unwrap_or_else(|| format!("https://{}{BASE_PATH}", self.signer.credentials().host()));
        let base_url = self.config.parse_base_url(&base)?;
        if !self.signer.is_own_host(&base_url) {
            return Err(ConfigError::InvalidBaseUrl {
                reason: "its host and port differ from the credentials' host, so requests \
                         would not be signed"
                    .to_owned(),
            }
            .into());
        }
        let account_switch_key = match self.account_switch_key {
            Some(key) if key.trim().is_empty() => {
                return Err(Error::InvalidInput(
                    "the account switch key must not be empty".to_owned(),
                ))
            }
            Some(key) => Some(key.trim().to_owned()),
            None => None,
        };
        let endpoint = Endpoint::new(&self.config, base_url, PathSigner { inner: self.signer })?;
        let generated = endpoint.generated(raw::Client::new_with_client);
        Ok(EdgeKvClient {
            endpoint,
            generated,
            account_switch_key,
        })
    }
}
