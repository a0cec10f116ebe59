//! The calls both the parent client and a child client make, over one bearer token.

use std::sync::Arc;

use akamai_sdk_generated::linode::{self, types};
use akamai_sdk_generated::Signer;
use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::auth::BearerSigner;
use super::models::{Euuid, Grants, MintedToken, Page, ProfileInfo, ProxyToken};
use crate::error::{DecodeError, Error};
use crate::path::encode_segment;
use crate::runtime::{decode_json, read_json, OpInfo, Runtime};

/// Largest grants document read (accounts with many entities have long grant lists).
const MAX_GRANTS_BYTES: usize = 64 * 1024 * 1024;

pub(crate) const GET_ACCOUNT: OpInfo = OpInfo::get("getAccount", "/account");
pub(crate) const GET_PROFILE: OpInfo = OpInfo::get("getProfile", "/profile");
pub(crate) const GET_PROFILE_GRANTS: OpInfo = OpInfo::get("getProfileGrants", "/profile/grants");
pub(crate) const GET_USER_GRANTS: OpInfo =
    OpInfo::get("getUserGrants", "/account/users/{username}/grants");
pub(crate) const GET_CHILD_ACCOUNTS: OpInfo =
    OpInfo::get("getChildAccounts", "/account/child-accounts");
pub(crate) const GET_CHILD_ACCOUNT: OpInfo =
    OpInfo::get("getChildAccount", "/account/child-accounts/{euuid}");
pub(crate) const POST_CHILD_ACCOUNT_TOKEN: OpInfo = OpInfo::post(
    "postChildAccountToken",
    "/account/child-accounts/{euuid}/token",
);
pub(crate) const DELETE_PERSONAL_ACCESS_TOKEN: OpInfo =
    OpInfo::delete("deletePersonalAccessToken", "/profile/tokens/{tokenId}");

/// What every client of one API endpoint shares: base URL, HTTP client, call runtime.
/// Immutable once built.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    pub(crate) base: Url,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) runtime: Runtime,
}

/// One token's view of the API: handwritten requests and the generated client, both signed by
/// the same [`BearerSigner`].
///
/// The calls of this layer are built by hand (through the same runtime, and decoded into the
/// generated types) rather than through the generated operations: the list needs an
/// `X-Filter` header the generated operation cannot send, the grants answer 200 with a
/// document or 204 without one, and the profile carries a `user_type` the published schema
/// lacks; the others share the one request path so that every call is built, signed and
/// retried the same way. The generated client stays available for everything else
/// ([`super::ChildClient::call`]).
#[derive(Debug)]
pub(crate) struct Api {
    pub(crate) transport: Transport,
    pub(crate) signer: Arc<BearerSigner>,
    pub(crate) generated: linode::Client,
}

impl Api {
    pub(crate) fn new(transport: Transport, signer: BearerSigner) -> Self {
        let signer = Arc::new(signer);
        let generated = linode::Client::new_with_client(
            &transport.base_url,
            transport.http.clone(),
            Signer::from_arc(signer.clone()),
        );
        Self {
            transport,
            signer,
            generated,
        }
    }

    /// Sends a handwritten request (signed anew for each attempt) through the runtime.
    async fn send(
        &self,
        op: OpInfo,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        filter: Option<&HeaderValue>,
    ) -> Result<reqwest::Response, Error> {
        let url = format!("{}{path}", self.transport.base_url);
        let http = &self.transport.http;
        self.transport
            .runtime
            .send(op, || {
                let mut builder = http
                    .request(method.clone(), &url)
                    .header(ACCEPT, "application/json");
                if !query.is_empty() {
                    builder = builder.query(query);
                }
                if let Some(filter) = filter {
                    builder = builder.header("x-filter", filter.clone());
                }
                let request = builder.build();
                async move {
                    let mut request = request?;
                    self.signer.authorize(&mut request);
                    http.execute(request).await
                }
            })
            .await
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        op: OpInfo,
        path: &str,
        query: &[(&str, String)],
        filter: Option<&HeaderValue>,
    ) -> Result<T, Error> {
        let response = self.send(op, Method::GET, path, query, filter).await?;
        read_json(response).await
    }

    pub(crate) async fn account(&self) -> Result<types::Account, Error> {
        self.get_json(GET_ACCOUNT, "/account", &[], None).await
    }

    /// `GET /profile`, decoded into [`ProfileInfo`]: the generated `Profile` lacks `user_type`.
    pub(crate) async fn profile(&self) -> Result<ProfileInfo, Error> {
        self.get_json(GET_PROFILE, "/profile", &[], None).await
    }

    pub(crate) async fn profile_grants(&self) -> Result<Grants, Error> {
        let response = self
            .send(
                GET_PROFILE_GRANTS,
                Method::GET,
                "/profile/grants",
                &[],
                None,
            )
            .await?;
        decode_grants(response).await
    }

    pub(crate) async fn user_grants(&self, username: &str) -> Result<Grants, Error> {
        if username.is_empty() {
            return Err(Error::InvalidInput("the username must not be empty".into()));
        }
        let path = format!("/account/users/{}/grants", encode_segment(username));
        let response = self
            .send(GET_USER_GRANTS, Method::GET, &path, &[], None)
            .await?;
        decode_grants(response).await
    }

    /// One page of child accounts. The list is requested by hand because the generated
    /// operation cannot send an `X-Filter` header.
    pub(crate) async fn child_accounts_page(
        &self,
        page: u64,
        page_size: u32,
        filter: Option<&HeaderValue>,
    ) -> Result<Page<types::ChildAccount>, Error> {
        let query = [
            ("page", page.to_string()),
            ("page_size", page_size.to_string()),
        ];
        let body: types::AddedGetChildAccounts200 = self
            .get_json(
                GET_CHILD_ACCOUNTS,
                "/account/child-accounts",
                &query,
                filter,
            )
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
        let path = format!("/account/child-accounts/{}", encode_segment(euuid.as_str()));
        self.get_json(GET_CHILD_ACCOUNT, &path, &[], None).await
    }

    /// `POST /account/child-accounts/{euuid}/token`. Sent by hand so the token is decoded
    /// straight into a `SecretString`. The runtime retries a POST only when the connection
    /// could not be opened or on 429, never once the server may have acted.
    pub(crate) async fn mint(&self, euuid: &Euuid) -> Result<ProxyToken, Error> {
        let path = format!(
            "/account/child-accounts/{}/token",
            encode_segment(euuid.as_str())
        );
        let response = self
            .send(POST_CHILD_ACCOUNT_TOKEN, Method::POST, &path, &[], None)
            .await?;
        let minted: MintedToken = read_json(response).await?;
        Ok(minted.into())
    }

    /// `DELETE /profile/tokens/{id}`: any 2xx answer counts as success.
    pub(crate) async fn revoke_token(&self, id: i64) -> Result<(), Error> {
        let path = format!("/profile/tokens/{id}");
        self.send(
            DELETE_PERSONAL_ACCESS_TOKEN,
            Method::DELETE,
            &path,
            &[],
            None,
        )
        .await?;
        Ok(())
    }
}

/// Grants answer 200 with a document for a restricted user and 204 without one for an
/// unrestricted user.
async fn decode_grants(mut response: reqwest::Response) -> Result<Grants, Error> {
    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Ok(Grants::Unrestricted);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_GRANTS_BYTES {
            let e = <serde_json::Error as serde::de::Error>::custom(
                "the grants document is larger than 64 MiB",
            );
            return Err(Error::Decode(Box::new(DecodeError::from_json_error(
                Some(status),
                None,
                &e,
            ))));
        }
        body.extend_from_slice(&chunk);
    }
    if body.trim_ascii().is_empty() {
        return Ok(Grants::Unrestricted);
    }
    let grants: types::GrantsResponse = decode_json(Some(status), &body)?;
    Ok(Grants::Restricted(Box::new(grants)))
}
