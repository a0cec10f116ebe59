//! Acting in a child account through proxy user tokens.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akamai_sdk_generated::linode::types;
use reqwest::StatusCode;
use tokio::sync::Mutex;

use super::api::Api;
use super::auth::BearerSigner;
use super::models::{Euuid, Grants, ProfileInfo, ProxyToken, PROXY_TOKEN_LIFETIME};
use crate::error::Error;
use crate::raw::{RawAnswer, RawCall};

/// Longest default time before a proxy token's expiry at which a new one is created; a token
/// that lives less than four times this is renewed when a quarter of its life is left.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A client acting in one child account as its proxy user, made by [`LinodeClient::child`].
///
/// * **Tokens.** The first call creates a proxy token with the parent's credentials
///   (`POST /account/child-accounts/{euuid}/token`); concurrent first calls wait for that one
///   creation. A new token is created when the current one is within the refresh margin of
///   its expiry, and once when a call is answered 401, after which the call is repeated
///   once. The margin is the smaller of 60 s and a quarter of the token's lifetime, or the
///   one chosen with [`with_refresh_margin`](Self::with_refresh_margin), so a short-lived
///   token still serves most of its life instead of being replaced on every call.
/// * **Expiry on the local clock.** A token's lifetime is `expiry - created` as the API
///   gives them (or `expiry` minus the local time when the API gives no `created`, or 15
///   minutes when it gives no expiry), less one second: both times have a resolution of one
///   second, so a token can live up to a second less than they say. That lifetime is counted
///   on the local monotonic clock from the moment the request that created the token was
///   sent, before the server created it, so the SDK's expiry is never later than the
///   token's, whatever the offset between the local clock and the server's.
/// * **One live token.** Once a call made with the new token has succeeded and no call
///   still runs with the token it replaced, the replaced token is revoked in the
///   background (`DELETE /profile/tokens/{id}`, sent with that token). This is best effort:
///   a failure is logged at WARN with the token's id (never the token) and the token
///   expires on its own; it never fails a call. A token refused with 401, or already
///   expired, is not revoked. A token read with [`token`](Self::token) is revoked like any
///   other once replaced; [`LinodeClient::create_proxy_token`] makes a token this client
///   does not manage. A replaced token still waiting when the last clone of the client is
///   dropped expires on its own; [`revoke`](Self::revoke) cleans up first.
/// * **Credentials never cross.** Calls of a child client carry only the proxy token; the
///   parent token is used for token creation only, and the parent client never sees a proxy
///   token. The child client keeps its token state to itself (clones of one child client
///   share it; the parent client holds none of it).
/// * **Clean-up.** [`ChildClient::revoke`] deletes the current token
///   (`DELETE /profile/tokens/{id}`, sent with that token).
///
/// [`LinodeClient::child`]: super::LinodeClient::child
/// [`LinodeClient::create_proxy_token`]: super::LinodeClient::create_proxy_token
#[derive(Clone)]
pub struct ChildClient {
    inner: Arc<Inner>,
}

struct Inner {
    parent: Arc<Api>,
    euuid: Euuid,
    /// The chosen refresh margin; `None` for the default of [`refresh_margin`].
    margin: Option<Duration>,
    /// Whether the chosen margin was found too long for a token's lifetime (logged once).
    margin_warned: AtomicBool,
    session: Mutex<Option<Arc<Session>>>,
    /// How many tokens this client has created; numbers its sessions.
    minted: AtomicU64,
    /// The number of the newest session a call has succeeded with (0: none yet).
    newest_in_use: AtomicU64,
    /// Replaced sessions whose tokens are still valid, waiting to be revoked.
    replaced: std::sync::Mutex<Vec<Arc<Session>>>,
}

/// One proxy token and the API view signed with it.
struct Session {
    token: ProxyToken,
    /// Its place among the tokens of this client (1 for the first).
    number: u64,
    /// When the token stops being usable (local clock).
    expires_at: Instant,
    /// When a new token is to be created instead (the refresh margin before `expires_at`).
    renew_at: Instant,
    api: Arc<Api>,
}

impl Session {
    fn is_fresh(&self) -> bool {
        Instant::now() < self.renew_at
    }

    fn is_expired(&self) -> bool {
        Instant::now() >= self.expires_at
    }
}

/// The refresh margin of a token living `lifetime`: the smaller of 60 s and a quarter of the
/// lifetime by default; the chosen margin when it is shorter than the lifetime. A chosen
/// margin as long as the lifetime or longer would create a token for every call: half the
/// lifetime is used instead, and the second value is `true` (to be logged).
fn refresh_margin(chosen: Option<Duration>, lifetime: Duration) -> (Duration, bool) {
    match chosen {
        Some(margin) if margin < lifetime || lifetime.is_zero() => (margin.min(lifetime), false),
        Some(_) => (lifetime / 2, true),
        None => (DEFAULT_REFRESH_MARGIN.min(lifetime / 4), false),
    }
}

/// The resolution of a proxy token's `created` and `expiry`: `expiry - created` can overstate
/// the token's life by up to this much.
const TIME_RESOLUTION: Duration = Duration::from_secs(1);

impl fmt::Debug for ChildClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildClient")
            .field("euuid", &self.inner.euuid)
            .field("base_url", &self.inner.parent.endpoint.base_str())
            .field("refresh_margin", &self.inner.margin)
            .finish_non_exhaustive()
    }
}

impl ChildClient {
    pub(crate) fn new(parent: Arc<Api>, euuid: Euuid) -> Self {
        Self::with_margin(parent, euuid, None)
    }

    fn with_margin(parent: Arc<Api>, euuid: Euuid, margin: Option<Duration>) -> Self {
        Self {
            inner: Arc::new(Inner {
                parent,
                euuid,
                margin,
                margin_warned: AtomicBool::new(false),
                session: Mutex::new(None),
                minted: AtomicU64::new(0),
                newest_in_use: AtomicU64::new(0),
                replaced: std::sync::Mutex::new(Vec::new()),
            }),
        }
    }

    /// Renews tokens `margin` before they expire instead of the default (the smaller of 60 s
    /// and a quarter of the token's lifetime). A margin as long as a token's lifetime or
    /// longer would create a new token for every call: then half the lifetime is used
    /// instead, and this is logged once at WARN. Returns a client with its own token state
    /// (no token yet).
    pub fn with_refresh_margin(&self, margin: Duration) -> Self {
        Self::with_margin(
            Arc::clone(&self.inner.parent),
            self.inner.euuid.clone(),
            Some(margin),
        )
    }

    /// The child account this client acts in.
    pub fn euuid(&self) -> &Euuid {
        &self.inner.euuid
    }

    /// The current proxy token, created (or renewed) if needed. The token counts as in use:
    /// the one it replaced is revoked.
    pub async fn token(&self) -> Result<ProxyToken, Error> {
        let session = self.session().await?;
        self.in_use(&session);
        let token = session.token.clone();
        drop(session);
        self.revoke_replaced();
        Ok(token)
    }

    /// Revokes the current proxy token, sending `DELETE /profile/tokens/{id}` with that token,
    /// and the replaced tokens still waiting for revocation (best effort, as in the
    /// background). Returns `false` when there was no current token. A later call creates a
    /// new token. If the revocation of the current token fails, it is kept and the error
    /// returned.
    pub async fn revoke(&self) -> Result<bool, Error> {
        let mut guard = self.inner.session.lock().await;
        let replaced = std::mem::take(&mut *lock(&self.inner.replaced));
        for old in replaced {
            revoke_quietly(old).await;
        }
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

    /// Runs a call the pinned spec does not have in the child account (see [`crate::raw`]):
    /// with the proxy token, which is minted, renewed, and re-minted once on a 401, like every
    /// call of this client.
    pub async fn raw(&self, call: &RawCall) -> Result<RawAnswer, Error> {
        self.with_session(|api| async move { api.raw(call).await })
            .await
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

    /// Runs `f` with the current session; on 401, renews the token once and runs it again.
    pub(super) async fn with_session<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: Fn(Arc<Api>) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let session = self.session().await?;
        let (session, result) = match f(Arc::clone(&session.api)).await {
            Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => {
                tracing::debug!(
                    token_id = session.token.id(),
                    "proxy token refused with 401; creating a new one"
                );
                let fresh = self.renew_after_unauthorized(&session).await?;
                drop(session);
                let result = f(Arc::clone(&fresh.api)).await;
                (fresh, result)
            }
            other => (session, other),
        };
        if result.is_ok() {
            self.in_use(&session);
        }
        // This call no longer holds its token: a replaced one may be revocable now.
        drop(session);
        self.revoke_replaced();
        result
    }

    async fn session(&self) -> Result<Arc<Session>, Error> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            if session.is_fresh() {
                return Ok(Arc::clone(session));
            }
        }
        let fresh = Arc::new(self.mint().await?);
        if let Some(old) = guard.replace(Arc::clone(&fresh)) {
            self.retire(old);
        }
        Ok(fresh)
    }

    /// A new token after `stale` was refused, unless another call already replaced it.
    async fn renew_after_unauthorized(&self, stale: &Arc<Session>) -> Result<Arc<Session>, Error> {
        let mut guard = self.inner.session.lock().await;
        if let Some(session) = guard.as_ref() {
            if !session.token.same_as(&stale.token) && session.is_fresh() {
                return Ok(Arc::clone(session));
            }
        }
        let fresh = Arc::new(self.mint().await?);
        match guard.replace(Arc::clone(&fresh)) {
            // The API refused it: there is nothing left to revoke.
            Some(old) if old.token.same_as(&stale.token) => {}
            Some(old) => self.retire(old),
            None => {}
        }
        Ok(fresh)
    }

    async fn mint(&self) -> Result<Session, Error> {
        let parent = &self.inner.parent;
        // The expiry is anchored on `sent`, the local instant at which the request that
        // created the token started: the server cannot have created it earlier, so `sent` +
        // the token's true life is no later than its true expiry, whatever the offset between
        // the two clocks (only durations are read on the local clock, a monotonic one). The
        // answer's `Date` header would anchor it on the server's clock instead, with the same
        // one-second resolution and an offset to estimate; this needs neither.
        let (token, sent) = parent.mint_timed(&self.inner.euuid).await?;
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        // `created` and `expiry` are whole seconds: the true life can be up to one less.
        let lifetime = token_lifetime(&token, now).saturating_sub(TIME_RESOLUTION);
        let (margin, too_long) = refresh_margin(self.inner.margin, lifetime);
        if too_long && !self.inner.margin_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                refresh_margin_s = self.inner.margin.unwrap_or_default().as_secs_f64(),
                lifetime_s = lifetime.as_secs_f64(),
                used_margin_s = margin.as_secs_f64(),
                "the chosen proxy token refresh margin is not shorter than the token's \
                 lifetime, which would create a token for every call; renewing at half the \
                 lifetime instead"
            );
        }
        let signer = BearerSigner::new(token.token().clone(), parent.endpoint.base())?;
        let api = Arc::new(Api::new(parent.endpoint.with_signer(signer)));
        let number = self.inner.minted.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(
            token_id = token.id(),
            lifetime_s = lifetime.as_secs_f64(),
            refresh_margin_s = margin.as_secs_f64(),
            "created a proxy token"
        );
        Ok(Session {
            number,
            expires_at: sent + lifetime,
            renew_at: sent + (lifetime - margin),
            token,
            api,
        })
    }

    /// Records that a call has succeeded with `session`'s token.
    fn in_use(&self, session: &Session) {
        self.inner
            .newest_in_use
            .fetch_max(session.number, Ordering::Relaxed);
    }

    /// Keeps a replaced session for revocation, unless its token has expired already.
    fn retire(&self, old: Arc<Session>) {
        if !old.is_expired() {
            lock(&self.inner.replaced).push(old);
        }
    }

    /// Revokes, in the background, each replaced token that a newer token in use has
    /// superseded and that no running call still holds.
    fn revoke_replaced(&self) {
        let newest = self.inner.newest_in_use.load(Ordering::Relaxed);
        let revocable: Vec<Arc<Session>> = {
            let mut replaced = lock(&self.inner.replaced);
            if replaced.is_empty() {
                return;
            }
            let (go, stay) = std::mem::take(&mut *replaced).into_iter().partition(|old| {
                old.is_expired() || (old.number < newest && Arc::strong_count(old) == 1)
            });
            *replaced = stay;
            go
        };
        for old in revocable {
            if !old.is_expired() {
                tokio::spawn(revoke_quietly(old));
            }
        }
    }
}

/// Revokes a replaced token with itself; a failure is logged, not returned.
async fn revoke_quietly(old: Arc<Session>) {
    let id = old.token.id();
    match old.api.revoke_token(id).await {
        Ok(()) => tracing::debug!(token_id = id, "revoked a replaced proxy token"),
        Err(e) => tracing::warn!(
            token_id = id,
            error = %e,
            "could not revoke a replaced proxy token; it stays valid until it expires"
        ),
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How long a new token lives as the API says: `expiry - created` when it gives both (immune
/// to a skew between the server's clock and ours), else `expiry - now`, else 15 minutes.
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
    fn the_default_margin_is_a_quarter_of_a_short_life_and_60_s_of_a_long_one() {
        let secs = Duration::from_secs;
        let margin = |chosen, lifetime| refresh_margin(chosen, lifetime).0;
        assert_eq!(margin(None, secs(900)), secs(60));
        assert_eq!(margin(None, secs(240)), secs(60));
        assert_eq!(margin(None, secs(40)), secs(10));
        assert_eq!(margin(None, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_chosen_margin_is_honoured_unless_it_would_renew_on_every_call() {
        let secs = Duration::from_secs;
        assert_eq!(
            refresh_margin(Some(secs(120)), secs(900)),
            (secs(120), false)
        );
        assert_eq!(
            refresh_margin(Some(secs(30)), secs(40)),
            (secs(30), false),
            "more than half the lifetime is honoured"
        );
        assert_eq!(
            refresh_margin(Some(Duration::ZERO), secs(40)),
            (Duration::ZERO, false)
        );
        assert_eq!(
            refresh_margin(Some(secs(40)), secs(40)),
            (secs(20), true),
            "a margin as long as the lifetime falls back to half of it"
        );
        assert_eq!(refresh_margin(Some(secs(120)), secs(40)), (secs(20), true));
        assert_eq!(
            refresh_margin(Some(secs(5)), Duration::ZERO),
            (Duration::ZERO, false),
            "a token without life is renewed on every call, whatever the margin"
        );
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
