//! The calls both the parent client and a child client make, over one bearer token.
//!
//! Every call is a generated operation (`akamai_sdk_generated::linode::Client`), run by the
//! runtime with the operation's entry of the generated table (`linode::operations`). What the
//! published spec lacks comes from `specs/overlays/linode.yaml` and the pipeline rules: the
//! `X-Filter` header of the list, `user_type` in the profile, and grants that answer 204
//! without a document (rule `bodiless-success-statuses`).

use akamai_sdk_generated::linode::{self, operations as ops, types};
use reqwest::header::HeaderValue;

use super::models::{Euuid, Grants, Page, ProxyToken};
use crate::endpoint::Endpoint;
use crate::error::{Error, PageError};
use crate::raw::{RawAnswer, RawCall};
use crate::runtime::Runtime;

/// One token's view of the API: the [`Endpoint`] signed with that token, and the generated
/// client on it.
#[derive(Debug)]
pub(crate) struct Api {
    pub(crate) endpoint: Endpoint,
    generated: linode::Client,
}

impl Api {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        let generated = endpoint.generated(linode::Client::new_with_client);
        Self {
            endpoint,
            generated,
        }
    }

    pub(super) fn runtime(&self) -> &Runtime {
        self.endpoint.runtime()
    }

    /// A call the pinned spec does not have (see [`crate::raw`]).
    pub(crate) async fn raw(&self, call: &RawCall) -> Result<RawAnswer, Error> {
        self.endpoint.raw(call, &[]).await
    }

    pub(crate) async fn account(&self) -> Result<types::Account, Error> {
        self.runtime()
            .call(&ops::GET_ACCOUNT, || self.generated.get_account())
            .await
    }

    pub(crate) async fn profile(&self) -> Result<types::Profile, Error> {
        self.runtime()
            .call(&ops::GET_PROFILE, || self.generated.get_profile())
            .await
    }

    pub(crate) async fn profile_grants(&self) -> Result<Grants, Error> {
        let grants = self
            .runtime()
            .call_optional(&ops::GET_PROFILE_GRANTS, || {
                self.generated.get_profile_grants()
            })
            .await?;
        Ok(Grants::from_document(grants))
    }

    pub(crate) async fn user_grants(&self, username: &str) -> Result<Grants, Error> {
        if username.is_empty() {
            return Err(Error::InvalidInput("the username must not be empty".into()));
        }
        let grants = self
            .runtime()
            .call_optional(&ops::GET_USER_GRANTS, || {
                self.generated.get_user_grants(username)
            })
            .await?;
        Ok(Grants::from_document(grants))
    }

    /// One page of child accounts, filtered with the `X-Filter` header when given.
    pub(crate) async fn child_accounts_page(
        &self,
        page: u64,
        page_size: u32,
        filter: Option<&HeaderValue>,
    ) -> Result<Page<types::ChildAccount>, Error> {
        let number = std::num::NonZeroU64::new(page).ok_or(Error::InvalidPage(PageError::Zero))?;
        let filter = filter
            .map(|value| {
                value.to_str().map_err(|_| {
                    Error::InvalidInput("the filter is not a valid header value".to_owned())
                })
            })
            .transpose()?;
        let body = self
            .runtime()
            .call(&ops::GET_CHILD_ACCOUNTS, || {
                self.generated
                    .get_child_accounts(Some(number), Some(i64::from(page_size)), filter)
            })
            .await?;
        let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
        Ok(Page {
            page: count(body.page).unwrap_or(page),
            pages: count(body.pages).unwrap_or(0),
            results: count(body.results).unwrap_or(0),
            data: body.data,
        })
    }

    pub(crate) async fn child_account(&self, euuid: &Euuid) -> Result<types::ChildAccount, Error> {
        self.runtime()
            .call(&ops::GET_CHILD_ACCOUNT, || {
                self.generated.get_child_account(euuid.as_str())
            })
            .await
    }

    /// `post-child-account-token`. The runtime retries a POST only when the connection could
    /// not be opened or on 429, never once the server may have acted; a reply that breaks off
    /// is an error, not a second token.
    pub(crate) async fn mint(&self, euuid: &Euuid) -> Result<ProxyToken, Error> {
        Ok(self.mint_timed(euuid).await?.0)
    }

    /// [`Api::mint`], with the local instant at which the attempt that created the token
    /// started: no later than the request left, so no later than the server created it.
    pub(crate) async fn mint_timed(
        &self,
        euuid: &Euuid,
    ) -> Result<(ProxyToken, std::time::Instant), Error> {
        let mut sent = std::time::Instant::now();
        let minted = self
            .runtime()
            .call(&ops::POST_CHILD_ACCOUNT_TOKEN, || {
                sent = std::time::Instant::now();
                self.generated.post_child_account_token(euuid.as_str())
            })
            .await?;
        Ok((ProxyToken::from_generated(minted)?, sent))
    }

    /// `delete-personal-access-token`: any 2xx answer counts as success, whatever its body
    /// (the documented `{}`, or nothing).
    pub(crate) async fn revoke_token(&self, id: i64) -> Result<(), Error> {
        let result = self
            .runtime()
            .call(&ops::DELETE_PERSONAL_ACCESS_TOKEN, || {
                self.generated.delete_personal_access_token(id)
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(Error::Decode(d)) if d.status().is_some_and(|s| s.is_success()) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The typed calls' attempt `attempt` (`super::calls`), made with this view's generated
    /// client: what the runtime calls once per attempt.
    pub(super) fn attempts<'a, F, Fut>(&'a self, attempt: &'a F) -> impl FnMut() -> Fut + 'a
    where
        F: Fn(linode::Client) -> Fut,
    {
        move || attempt(self.generated.clone())
    }
}
