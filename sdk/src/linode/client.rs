//! The parent-side client: token, base URL, child-account listing and proxy tokens.

use std::fmt;
use std::sync::Arc;

use akamai_sdk_generated::linode::types;
use futures::{Stream, StreamExt};
use secrecy::SecretString;

use super::api::Api;
use super::auth::BearerSigner;
use super::child::ChildClient;
use super::filter::{header_value, ChildAccountFilter};
use super::models::{ApiVersion, Euuid, Grants, Page, ProfileInfo, ProxyToken, UserType};
use super::pagination;
use crate::config::{ConfigError, HttpConfig};
use crate::endpoint::Endpoint;
use crate::error::{Error, PageError};
use crate::raw::{RawAnswer, RawCall};

/// Environment variables read for the token, in this order.
pub const TOKEN_ENV_VARS: [&str; 2] = ["LINODE_TOKEN", "LINODE_CLI_TOKEN"];

/// Smallest page size the API accepts.
pub const MIN_PAGE_SIZE: u32 = 25;
/// Largest page size the API accepts.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Page size used unless another is chosen (the API's default).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// A client of the Linode API acting with a personal access token (or OAuth token) of a
/// parent-account user. Cheap to clone; clones share nothing mutable.
///
/// ```no_run
/// use akamai_sdk::linode::LinodeClient;
/// use futures::TryStreamExt;
///
/// # async fn run() -> Result<(), akamai_sdk::Error> {
/// let client = LinodeClient::from_env()?; // LINODE_TOKEN or LINODE_CLI_TOKEN
/// let accounts: Vec<_> = client.child_accounts().page_size(200).stream().try_collect().await?;
/// println!("{} child accounts", accounts.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct LinodeClient {
    pub(super) api: Arc<Api>,
}

impl fmt::Debug for LinodeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinodeClient")
            .field("base_url", &self.api.endpoint.base_str())
            .field("signer", self.api.endpoint.signer())
            .finish_non_exhaustive()
    }
}

/// Builds a [`LinodeClient`].
#[derive(Default)]
pub struct LinodeClientBuilder {
    token: Option<SecretString>,
    api_version: ApiVersion,
    base_url: Option<String>,
    config: HttpConfig,
}

impl fmt::Debug for LinodeClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinodeClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("api_version", &self.api_version)
            .field("base_url", &self.base_url)
            .field("config", &self.config)
            .finish()
    }
}

impl LinodeClientBuilder {
    /// Uses `token` (without it, [`build`](Self::build) reads `LINODE_TOKEN`, then
    /// `LINODE_CLI_TOKEN`).
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Talks to `https://api.linode.com/v4` (the default) or `…/v4beta`. Ignored when a base
    /// URL is set.
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }

    /// Talks to another base URL, which must end with the version segment
    /// (`https://api.linode.com/v4` or `…/v4beta`; [`build`](Self::build) refuses it otherwise,
    /// except on a loopback host, where a mock server may serve the API at its root). Plain
    /// http is refused unless the host is a loopback address and the [`HttpConfig`] allows it
    /// (`allow_insecure_loopback`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets timeouts, user agent, retry policy and the loopback opt-in.
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<LinodeClient, Error> {
        let token = match self.token {
            Some(token) => token,
            None => token_from(|name| std::env::var(name).ok())?,
        };
        let base_url = self
            .base_url
            .unwrap_or_else(|| self.api_version.base_url().to_owned());
        let base = self.config.parse_base_url(&base_url)?;
        check_version_segment(&base)?;
        let signer = BearerSigner::new(token, &base)?;
        let endpoint = Endpoint::new(&self.config, base, signer)?;
        Ok(LinodeClient {
            api: Arc::new(Api::new(endpoint)),
        })
    }
}

/// Refuses a base URL whose path does not end with the API version (`/v4`, `/v4beta`): every
/// operation's path is relative to it, so without it every call would be a 404. A loopback
/// host is exempt: a mock server (Prism) may serve the spec's paths at its root.
fn check_version_segment(base: &reqwest::Url) -> Result<(), Error> {
    let last = base.path().trim_end_matches('/').rsplit('/').next();
    if matches!(last, Some("v4" | "v4beta")) || crate::config::is_loopback_host(base) {
        return Ok(());
    }
    Err(ConfigError::InvalidBaseUrl {
        reason: format!(
            "a Linode base URL ends with the API version (`{}` or `{}`), and `{}` does not",
            ApiVersion::V4.base_url(),
            ApiVersion::V4Beta.base_url(),
            base.as_str().trim_end_matches('/')
        ),
    }
    .into())
}

/// The first non-blank token among [`TOKEN_ENV_VARS`].
fn token_from(lookup: impl Fn(&str) -> Option<String>) -> Result<SecretString, Error> {
    TOKEN_ENV_VARS
        .iter()
        .find_map(|name| lookup(name).filter(|value| !value.trim().is_empty()))
        .map(SecretString::from)
        .ok_or_else(|| {
            ConfigError::Invalid(
                "no Linode token: pass one to the builder or set LINODE_TOKEN (or LINODE_CLI_TOKEN)"
                    .to_owned(),
            )
            .into()
        })
}

/// Why a parent user cannot manage child accounts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChildAccessError {
    /// The token does not act as a parent-account user.
    #[error(
        "the token acts as a `{user_type}` user; only users of a parent account can manage child accounts"
    )]
    NotAParentUser {
        /// What the token acts as.
        user_type: UserType,
    },
    /// The parent user is restricted and lacks the `child_account_access` grant.
    #[error(
        "the parent user{} lacks the `child_account_access` grant; an unrestricted user of the \
         parent account can add it (PUT /account/users/{{username}}/grants)",
        .username.as_deref().map(|u| format!(" `{u}`")).unwrap_or_default()
    )]
    MissingGrant {
        /// The user's name, if the profile gave it.
        username: Option<String>,
    },
    /// The check itself failed.
    #[error(transparent)]
    Request(#[from] Error),
}

impl From<ChildAccessError> for Error {
    /// Keeps a request error as it is; a missing permission becomes [`Error::AccessDenied`],
    /// whose typed reason [`Error::child_access`] gives back.
    fn from(error: ChildAccessError) -> Self {
        match error {
            ChildAccessError::Request(e) => e,
            other => Error::AccessDenied(Box::new(other)),
        }
    }
}

impl Error {
    /// Why the parent user cannot manage child accounts, when this error is that
    /// ([`Error::AccessDenied`] from [`LinodeClient::ensure_child_account_access`]).
    pub fn child_access(&self) -> Option<&ChildAccessError> {
        match self {
            Error::AccessDenied(reason) => reason.downcast_ref(),
            _ => None,
        }
    }
}

impl LinodeClient {
    /// A builder (token from code or the environment, API version or base URL, HTTP settings).
    /// Without a token, [`build`](LinodeClientBuilder::build) reads it from the environment,
    /// so a client configured from the environment still takes every option:
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use akamai_sdk::prelude::*;
    ///
    /// # fn main() -> akamai_sdk::Result<()> {
    /// // The token of LINODE_TOKEN (or LINODE_CLI_TOKEN), 30 s per call, retries included.
    /// let parent = LinodeClient::builder()
    ///     .http_config(HttpConfig::new().with_deadline(Duration::from_secs(30)))
    ///     .build()?;
    /// # let _ = parent;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> LinodeClientBuilder {
        LinodeClientBuilder::default()
    }

    /// A client of `https://api.linode.com/v4` with `token` and default settings.
    pub fn new(token: impl Into<SecretString>) -> Result<Self, Error> {
        Self::builder().token(token).build()
    }

    /// A client of `https://api.linode.com/v4` with the token of `LINODE_TOKEN` (or
    /// `LINODE_CLI_TOKEN`) and default settings.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        self.api.endpoint.base_str()
    }

    /// Runs a call the pinned spec does not have (a `v4beta` preview, a path newer than the
    /// pin) with this client's token, retries, deadline and tracing: see [`crate::raw`].
    pub async fn raw(&self, call: &RawCall) -> Result<RawAnswer, Error> {
        self.api.raw(call).await
    }

    /// `GET /account`: the parent account.
    pub async fn account(&self) -> Result<types::Account, Error> {
        self.api.account().await
    }

    /// `GET /profile`: the user the token acts as, with its [`UserType`].
    pub async fn profile(&self) -> Result<ProfileInfo, Error> {
        self.api.profile().await
    }

    /// `GET /profile/grants`: what the user may do ([`Grants::Unrestricted`] on 204).
    pub async fn profile_grants(&self) -> Result<Grants, Error> {
        self.api.profile_grants().await
    }

    /// `GET /account/users/{username}/grants` (for unrestricted users only).
    pub async fn user_grants(&self, username: &str) -> Result<Grants, Error> {
        self.api.user_grants(username).await
    }

    /// Checks that the token acts as a parent-account user who may manage child accounts:
    /// an unrestricted parent user, or a restricted one with the `child_account_access` grant.
    /// A profile without `user_type` is judged by its grants alone.
    pub async fn ensure_child_account_access(&self) -> Result<(), ChildAccessError> {
        let me = self.profile().await?;
        match me.user_type {
            None | Some(UserType::Parent) => {}
            Some(user_type) => return Err(ChildAccessError::NotAParentUser { user_type }),
        }
        if me.restricted == Some(false) {
            return Ok(());
        }
        if self.profile_grants().await?.child_account_access() {
            Ok(())
        } else {
            Err(ChildAccessError::MissingGrant {
                username: me.username,
            })
        }
    }

    /// Like [`ensure_child_account_access`](Self::ensure_child_account_access), as a yes/no
    /// answer (request failures stay errors).
    pub async fn has_child_account_access(&self) -> Result<bool, Error> {
        match self.ensure_child_account_access().await {
            Ok(()) => Ok(true),
            Err(ChildAccessError::Request(e)) => Err(e),
            Err(_) => Ok(false),
        }
    }

    /// Lists child accounts: set the page size and filter, then take one
    /// [`page`](ChildAccountsRequest::page) or [`stream`](ChildAccountsRequest::stream) them all.
    pub fn child_accounts(&self) -> ChildAccountsRequest {
        ChildAccountsRequest {
            api: Arc::clone(&self.api),
            page_size: DEFAULT_PAGE_SIZE,
            filter: None,
        }
    }

    /// `GET /account/child-accounts/{euuid}`.
    pub async fn child_account(&self, euuid: &Euuid) -> Result<types::ChildAccount, Error> {
        self.api.child_account(euuid).await
    }

    /// `POST /account/child-accounts/{euuid}/token`: a 15-minute token of the child account's
    /// proxy user. Not retried once the request may have reached the server.
    pub async fn create_proxy_token(&self, euuid: &Euuid) -> Result<ProxyToken, Error> {
        self.api.mint(euuid).await
    }

    /// Runs `f` with this client's view of the API (its own token); the parent's counterpart
    /// of [`ChildClient`]'s session, so that both run the typed calls alike.
    pub(super) async fn with_api<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: Fn(Arc<Api>) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        f(Arc::clone(&self.api)).await
    }

    /// A client acting in the child account `euuid` through proxy tokens that it creates and
    /// renews itself (see [`ChildClient`]).
    pub fn child(&self, euuid: Euuid) -> ChildClient {
        ChildClient::new(Arc::clone(&self.api), euuid)
    }
}

/// A request for child accounts, made by [`LinodeClient::child_accounts`].
///
/// Filters travel in Linode's `X-Filter` header, which the generated `get-child-accounts`
/// operation takes (the rule `paginated-lists` adds it to every list); each page is that
/// generated call, run by the client's runtime like every other.
#[derive(Clone)]
pub struct ChildAccountsRequest {
    api: Arc<Api>,
    page_size: u32,
    filter: Option<serde_json::Value>,
}

impl fmt::Debug for ChildAccountsRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildAccountsRequest")
            .field("page_size", &self.page_size)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl ChildAccountsRequest {
    /// Items per page, from [`MIN_PAGE_SIZE`] to [`MAX_PAGE_SIZE`] (checked when the request
    /// is sent; default [`DEFAULT_PAGE_SIZE`]).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Filters and orders with a typed filter.
    pub fn filter(mut self, filter: &ChildAccountFilter) -> Self {
        self.filter = Some(filter.to_json());
        self
    }

    /// Filters with raw Linode filter JSON (an object, for instance
    /// `{"company": {"+contains": "Acme"}}`).
    pub fn raw_filter(mut self, filter: serde_json::Value) -> Self {
        self.filter = Some(filter);
        self
    }

    fn checked(&self) -> Result<Option<reqwest::header::HeaderValue>, Error> {
        if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::InvalidPage(PageError::Size {
                size: self.page_size,
                min: MIN_PAGE_SIZE,
                max: MAX_PAGE_SIZE,
            }));
        }
        self.filter.as_ref().map(header_value).transpose()
    }

    /// One page (numbered from 1).
    pub async fn page(&self, page: u64) -> Result<Page<types::ChildAccount>, Error> {
        let filter = self.checked()?;
        if page == 0 {
            return Err(Error::InvalidPage(PageError::Zero));
        }
        self.api
            .child_accounts_page(page, self.page_size, filter.as_ref())
            .await
    }

    /// Every child account, page after page.
    ///
    /// As soon as a page arrives, the next one is requested in a spawned task, so it loads
    /// while the caller works through the current one (one page ahead, no more). The stream
    /// ends after the last page, or right after the first error it yields. Dropping it cancels
    /// a page request under way. Must be polled inside a tokio runtime.
    pub fn stream(self) -> impl Stream<Item = Result<types::ChildAccount, Error>> + Send + 'static {
        match self.checked() {
            Ok(filter) => {
                let (api, page_size) = (self.api, self.page_size);
                let fetch: pagination::FetchPage<types::ChildAccount> = Arc::new(move |page| {
                    let (api, filter) = (Arc::clone(&api), filter.clone());
                    Box::pin(async move {
                        api.child_accounts_page(page, page_size, filter.as_ref())
                            .await
                    })
                });
                pagination::pages(fetch, page_size).left_stream()
            }
            Err(e) => futures::stream::iter([Err(e)]).right_stream(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn token_comes_from_the_first_non_blank_variable() {
        let token = token_from(|name| match name {
            "LINODE_TOKEN" => Some("  ".into()),
            "LINODE_CLI_TOKEN" => Some("cli-token".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(token.expose_secret(), "cli-token");
        let first = token_from(|name| Some(format!("{name}-value"))).unwrap();
        assert_eq!(first.expose_secret(), "LINODE_TOKEN-value");
        assert!(matches!(token_from(|_| None), Err(Error::Config(_))));
    }

    #[test]
    fn builder_checks_the_base_url_and_hides_the_token() {
        let client = LinodeClient::new("s3cr3t").unwrap();
        assert_eq!(client.base_url(), "https://api.linode.com/v4");
        assert!(!format!("{client:?}").contains("s3cr3t"));
        let beta = LinodeClient::builder()
            .token("t")
            .api_version(ApiVersion::V4Beta)
            .build()
            .unwrap();
        assert_eq!(beta.base_url(), "https://api.linode.com/v4beta");
        let insecure = LinodeClient::builder()
            .token("t")
            .base_url("http://127.0.0.1:9/v4")
            .build();
        assert!(matches!(insecure, Err(Error::Config(_))));
        let loopback = LinodeClient::builder()
            .token("t")
            .base_url("http://127.0.0.1:9/v4/")
            .http_config(HttpConfig::new().allow_insecure_loopback(true))
            .build()
            .unwrap();
        assert_eq!(loopback.base_url(), "http://127.0.0.1:9/v4");
        for unversioned in [
            "https://api.linode.com",
            "https://api.linode.com/",
            "https://api.linode.com/v5",
        ] {
            let err = LinodeClient::builder()
                .token("t")
                .base_url(unversioned)
                .build()
                .unwrap_err();
            assert!(
                matches!(err, Error::Config(ConfigError::InvalidBaseUrl { .. })),
                "{unversioned}: {err}"
            );
            assert!(err.to_string().contains("/v4beta"), "{err}");
        }
        let builder = LinodeClient::builder().token("s3cr3t");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn bad_page_sizes_and_pages_are_refused_before_sending() {
        let client = LinodeClient::new("t").unwrap();
        for size in [0, 24, 501] {
            let request = client.child_accounts().page_size(size);
            assert!(matches!(
                request.page(1).await,
                Err(Error::InvalidPage(PageError::Size { .. }))
            ));
            let items: Vec<_> = request.stream().collect().await;
            assert_eq!(items.len(), 1);
            assert!(matches!(items[0], Err(Error::InvalidPage(_))));
        }
        let request = client.child_accounts().page_size(25);
        assert!(matches!(
            request.page(0).await,
            Err(Error::InvalidPage(PageError::Zero))
        ));
        let raw = client.child_accounts().raw_filter(serde_json::json!("x"));
        assert!(matches!(raw.page(1).await, Err(Error::InvalidInput(_))));
    }
}
