//! Acting in a child account through proxy user tokens.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use akamai_sdk_generated::linode::{self, types};
use progenitor_client::{Error as GeneratedError, ResponseValue};
use reqwest::StatusCode;
use serde::Serialize;
use tokio::sync::Mutex;

use super::api::Api;
use super::auth::BearerSigner;
use super::models::{Euuid, Grants, ProfileInfo, ProxyToken, PROXY_TOKEN_LIFETIME};
use crate::error::Error;
use crate::runtime::Operation;

/// Default time before a proxy token's expiry at which a new one is created.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A client acting in one child account as its proxy user, made by [`LinodeClient::child`].
///
/// * **Tokens.** The first call creates a proxy token with the parent's credentials
///   (`POST /account/child-accounts/{euuid}/token`); concurrent first calls wait for that one
///   creation. A new token is created when the current one is within the refresh margin
///   (60 s by default) of its `expiry` (or of `created` + 15 minutes when the API gives no
///   expiry), and once when a call is answered 401, after which the call is repeated once.
///   A superseded token is not revoked: it expires on its own.
/// * **Credentials never cross.** Calls of a child client carry only the proxy token; the
///   parent token is used for token creation only, and the parent client never sees a proxy
///   token. The child client keeps its token state to itself (clones of one child client
///   share it; the parent client holds none of it).
/// * **Clean-up.** [`ChildClient::revoke`] deletes the current token
///   (`DELETE /profile/tokens/{id}`, sent with that token).
///
/// [`LinodeClient::child`]: super::LinodeClient::child
#[derive(Clone)]
pub struct ChildClient {
    inner: Arc<Inner>,
}

struct Inner {
    parent: Arc<Api>,
    euuid: Euuid,
    margin: Duration,
    session: Mutex<Option<Arc<Session>>>,
}

/// One proxy token and the API view signed with it.
struct Session {
    token: ProxyToken,
    /// When the token stops being usable (local clock).
    deadline: Instant,
    api: Arc<Api>,
}

impl Session {
    fn is_fresh(&self, margin: Duration) -> bool {
        Instant::now()
            .checked_add(margin)
            .is_some_and(|limit| limit < self.deadline)
    }
}

impl fmt::Debug for ChildClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildClient")
            .field("euuid", &self.inner.euuid)
            .field("base_url", &self.inner.parent.transport.base_url)
            .field("refresh_margin", &self.inner.margin)
            .finish_non_exhaustive()
    }
}

impl ChildClient {
    pub(crate) fn new(parent: Arc<Api>, euuid: Euuid) -> Self {
        Self {
            inner: Arc::new(Inner {
                parent,
                euuid,
                margin: DEFAULT_REFRESH_MARGIN,
                session: Mutex::new(None),
            }),
        }
    }

    /// Renews tokens `margin` before they expire instead of 60 s. Returns a client with its own
    /// token state (no token yet).
    pub fn with_refresh_margin(&self, margin: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                parent: Arc::clone(&self.inner.parent),
                euuid: self.inner.euuid.clone(),
                margin,
                session: Mutex::new(None),
            }),
        }
    }

    /// The child account this client acts in.
    pub fn euuid(&self) -> &Euuid {
        &self.inner.euuid
    }

    /// The current proxy token, created (or renewed) if needed.
    pub async fn token(&self) -> Result<ProxyToken, Error> {
        Ok(self.session().await?.token.clone())
    }

    /// Revokes the current proxy token, sending `DELETE /profile/tokens/{id}` with that token.
    /// Returns `false` when there was no token. A later call creates a new token. If the
    /// revocation fails, the token is kept and the error returned.
    pub async fn revoke(&self) -> Result<bool, Error> {
        let mut guard = self.inner.session.lock().await;
        let Some(session) = guard.take() else {
            return Ok(false);
        };
        match session.api.revoke_token(session.token.id()).await {
            Ok(()) => Ok(true),
            Err(e) => {
                *guard = Some(session);
                Err(e)
            }
        }
    }

    /// `GET /account`: the child account, as its proxy user sees it.
    pub async fn account(&self) -> Result<types::Account, Error> {
        self.with_session(|api| async move { api.account().await })
            .await
    }

    /// `GET /profile`: the proxy user (its `user_type` is [`UserType::Proxy`]).
    ///
    /// [`UserType::Proxy`]: super::UserType::Proxy
    pub async fn profile(&self) -> Result<ProfileInfo, Error> {
        self.with_session(|api| async move { api.profile().await })
            .await
    }

    /// The username of the proxy user this client acts as, read from its profile (`None`
    /// if the API leaves it out). [`super::proxy_username`] gives the name the documented
    /// convention expects, to compare with.
    pub async fn proxy_username(&self) -> Result<Option<String>, Error> {
        Ok(self.profile().await?.username)
    }

    /// `GET /profile/grants` of the proxy user.
    pub async fn profile_grants(&self) -> Result<Grants, Error> {
        self.with_session(|api| async move { api.profile_grants().await })
            .await
    }

    /// `GET /account/users/{username}/grants` in the child account.
    pub async fn user_grants(&self, username: &str) -> Result<Grants, Error> {
        self.with_session(|api| async move { api.user_grants(username).await })
            .await
    }

    /// Runs any generated operation as the proxy user, with the runtime's retries and the
    /// token handling of this client: `f` gets a generated client signed with the current
    /// proxy token.
    ///
    /// `op` is the operation's entry in the generated table (`linode::operations`), which
    /// names the call in traces and says whether it may be retried.
    ///
    /// ```no_run
    /// # async fn run(child: akamai_sdk::linode::ChildClient) -> Result<(), akamai_sdk::Error> {
    /// use akamai_sdk::generated::linode::operations;
    ///
    /// let account = child
    ///     .call(&operations::GET_ACCOUNT, |client| async move { client.get_account().await })
    ///     .await?;
    /// # let _ = account;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call<T, E, F, Fut>(&self, op: &'static Operation, f: F) -> Result<T, Error>
    where
        T: serde::de::DeserializeOwned,
        F: Fn(linode::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError<E>>>,
        E: Serialize,
    {
        let f = &f;
        self.with_session(|api| async move {
            api.transport
                .runtime
                .call(op, || f(api.generated.clone()))
                .await
        })
        .await
    }

    /// Runs `f` with the current session; on 401, renews the token once and runs it again.
    async fn with_session<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: Fn(Arc<Api>) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let session = self.session().await?;
        match f(Arc::clone(&session.api)).await {
            Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => {
                tracing::debug!(
                    token_id = session.token.id(),
                    "proxy token refused with 401; creating a new one"
                );
                let fresh = self.renew_after_unauthorized(&session).await?;
                f(Arc::clone(&fresh.api)).await
            }
            other => other,
        }
    }

    async fn session(&self) -> Result<Arc<Session>, Error> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            if session.is_fresh(self.inner.margin) {
                return Ok(Arc::clone(session));
            }
        }
        let fresh = Arc::new(self.mint().await?);
        *guard = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// A new token after `stale` was refused, unless another call already replaced it.
    async fn renew_after_unauthorized(&self, stale: &Arc<Session>) -> Result<Arc<Session>, Error> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            if !session.token.same_as(&stale.token) && session.is_fresh(self.inner.margin) {
                return Ok(Arc::clone(session));
            }
        }
        let fresh = Arc::new(self.mint().await?);
        *guard = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    async fn mint(&self) -> Result<Session, Error> {
        let parent = &self.inner.parent;
        let token = parent.mint(&self.inner.euuid).await?;
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        let lifetime = token_lifetime(&token, now);
        let signer = BearerSigner::new(token.token().clone(), &parent.transport.base)?;
        let api = Arc::new(Api::new(parent.transport.clone(), signer));
        tracing::debug!(
            token_id = token.id(),
            lifetime_s = lifetime.as_secs(),
            "created a proxy token"
        );
        Ok(Session {
            deadline: Instant::now() + lifetime,
            token,
            api,
        })
    }
}

/// How long a new token lives: `expiry - created` when the API gives both (immune to a skew
/// between the server's clock and ours), else `expiry - now`, else 15 minutes.
fn token_lifetime(token: &ProxyToken, now: chrono::DateTime<chrono::Utc>) -> Duration {
    let since = token.created().map(|c| c.utc()).unwrap_or(now);
    match token.expiry() {
        Some(expiry) => (expiry.utc() - since).to_std().unwrap_or(Duration::ZERO),
        None => PROXY_TOKEN_LIFETIME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn token(created: Option<&str>, expiry: Option<&str>) -> ProxyToken {
        ProxyToken {
            token: SecretString::from("t".to_owned()),
            id: 1,
            label: None,
            created: created.map(|c| c.parse().unwrap()),
            expiry: expiry.map(|e| e.parse().unwrap()),
            scopes: None,
        }
    }

    #[test]
    fn lifetime_follows_the_api_and_ignores_clock_skew() {
        let now: chrono::DateTime<chrono::Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let both = token(Some("2024-05-01T10:00:00"), Some("2024-05-01T10:15:00"));
        assert_eq!(token_lifetime(&both, now), Duration::from_secs(900));
        let expiry_only = token(None, Some("2030-01-01T00:10:00"));
        assert_eq!(token_lifetime(&expiry_only, now), Duration::from_secs(600));
        let neither = token(None, None);
        assert_eq!(token_lifetime(&neither, now), PROXY_TOKEN_LIFETIME);
        let backwards = token(Some("2024-05-01T10:15:00"), Some("2024-05-01T10:00:00"));
        assert_eq!(token_lifetime(&backwards, now), Duration::ZERO);
    }
}
