//! EdgeKV access tokens: create, list, get, delete, refresh, and wait for activation.

use std::collections::BTreeMap;
use std::fmt;

use akamai_sdk_generated::edgekv::types;
use secrecy::SecretString;

use super::client::EdgeKvClient;
use super::ids::{check_id, IdKind};
use super::wait::{poll_until, WaitOptions, WaitOutcome};
use crate::error::{Error, Result};
use akamai_sdk_generated::edgekv::operations as ops;

pub use types::AccessTokenTokenActivationStatus as TokenActivationStatus;
pub use types::Permission;

/// An EdgeKV access token as the API describes it.
///
/// A legacy token may carry its `value`, a secret: it is held in a [`SecretString`] and
/// `Debug` never shows it.
#[derive(Clone)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token name (unique, can't be changed).
    pub name: String,
    /// The generated unique identifier: the `reference` in `edgekv_tokens.js`.
    pub uuid: String,
    /// `COMPLETE` when ready for use, `IN_PROGRESS` while being activated.
    pub activation_status: Option<TokenActivationStatus>,
    /// The permissions per namespace.
    pub namespace_permissions: BTreeMap<String, Vec<Permission>>,
    /// Whether the token works on staging.
    pub allow_on_staging: Option<bool>,
    /// Whether the token works on production.
    pub allow_on_production: Option<bool>,
    /// The expiry date, `YYYY-MM-DD` (`9999-12-31` for tokens that don't expire).
    pub expiry: Option<String>,
    /// The issue date, `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// The latest refresh date, `YYYY-MM-DD`.
    pub latest_refresh_date: Option<String>,
    /// The next scheduled refresh date, `YYYY-MM-DD`.
    pub next_scheduled_refresh_date: Option<String>,
    /// The CP code of the token.
    pub cpcode: Option<String>,
    /// The EdgeWorker ids allowed to use the token (all when empty).
    pub restrict_to_edge_worker_ids: Vec<String>,
    /// The token value of a legacy token (a secret).
    pub value: Option<SecretString>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("name", &self.name)
            .field("uuid", &self.uuid)
            .field("activation_status", &self.activation_status)
            .field("namespace_permissions", &self.namespace_permissions)
            .field("allow_on_staging", &self.allow_on_staging)
            .field("allow_on_production", &self.allow_on_production)
            .field("expiry", &self.expiry)
            .field("issue_date", &self.issue_date)
            .field("latest_refresh_date", &self.latest_refresh_date)
            .field(
                "next_scheduled_refresh_date",
                &self.next_scheduled_refresh_date,
            )
            .field("cpcode", &self.cpcode)
            .field(
                "restrict_to_edge_worker_ids",
                &self.restrict_to_edge_worker_ids,
            )
            .field("value", &self.value.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl AccessToken {
    /// A token with just a name and a reference (as read back from `edgekv_tokens.js`, or for
    /// tests); other fields are empty.
    pub fn new(name: impl Into<String>, uuid: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            uuid: uuid.into(),
            activation_status: None,
            namespace_permissions: BTreeMap::new(),
            allow_on_staging: None,
            allow_on_production: None,
            expiry: None,
            issue_date: None,
            latest_refresh_date: None,
            next_scheduled_refresh_date: None,
            cpcode: None,
            restrict_to_edge_worker_ids: Vec::new(),
            value: None,
        }
    }

    /// Adds the permissions of a namespace.
    pub fn with_namespace(
        mut self,
        namespace: impl Into<String>,
        permissions: impl IntoIterator<Item = Permission>,
    ) -> Self {
        self.namespace_permissions
            .insert(namespace.into(), permissions.into_iter().collect());
        self
    }

    /// Sets the value of a legacy token.
    pub fn with_value(mut self, value: SecretString) -> Self {
        self.value = Some(value);
        self
    }

    /// Whether the token is active (`COMPLETE`).
    pub fn is_active(&self) -> bool {
        self.activation_status == Some(TokenActivationStatus::Complete)
    }
}

impl From<types::AccessToken> for AccessToken {
    fn from(t: types::AccessToken) -> Self {
        Self {
            name: t.name,
            uuid: t.uuid,
            activation_status: t.token_activation_status,
            namespace_permissions: t
                .namespace_permissions
                .map(|p| p.0.into_iter().collect())
                .unwrap_or_default(),
            allow_on_staging: t.allow_on_staging,
            allow_on_production: t.allow_on_production,
            expiry: t.expiry,
            issue_date: t.issue_date,
            latest_refresh_date: t.latest_refresh_date,
            next_scheduled_refresh_date: t.next_scheduled_refresh_date,
            cpcode: t.cpcode,
            restrict_to_edge_worker_ids: t.restrict_to_edge_worker_ids,
            value: t.value.map(|v| SecretString::from(v.into_string())),
        }
    }
}

/// The request to create an access token.
///
/// ```
/// use akamai_sdk::edgekv::{NewToken, Permission};
///
/// let token = NewToken::new("my_token")
///     .staging(true)
///     .production(false)
///     .namespace("default", [Permission::R, Permission::W, Permission::D])
///     .namespace("marketing", [Permission::R])
///     .expiry("2026-12-31")
///     .restrict_to_edge_workers(["1234"]);
/// assert_eq!(token.name(), "my_token");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NewToken {
    name: String,
    allow_on_staging: bool,
    allow_on_production: bool,
    namespaces: BTreeMap<String, Vec<Permission>>,
    expiry: Option<String>,
    restrict_to_edge_worker_ids: Vec<String>,
}

impl NewToken {
    /// A token named `name`, allowed on staging only, with no namespace yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            allow_on_staging: true,
            allow_on_production: false,
            namespaces: BTreeMap::new(),
            expiry: None,
            restrict_to_edge_worker_ids: Vec::new(),
        }
    }

    /// The token name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Allows the token on staging (default `true`).
    pub fn staging(mut self, allow: bool) -> Self {
        self.allow_on_staging = allow;
        self
    }

    /// Allows the token on production (default `false`).
    pub fn production(mut self, allow: bool) -> Self {
        self.allow_on_production = allow;
        self
    }

    /// Grants `permissions` on `namespace` (replacing earlier ones for it).
    pub fn namespace(
        mut self,
        namespace: impl Into<String>,
        permissions: impl IntoIterator<Item = Permission>,
    ) -> Self {
        self.namespaces
            .insert(namespace.into(), permissions.into_iter().collect());
        self
    }

    /// Sets the expiry date, `YYYY-MM-DD`.
    pub fn expiry(mut self, date: impl Into<String>) -> Self {
        self.expiry = Some(date.into());
        self
    }

    /// Restricts the token to these EdgeWorker ids.
    pub fn restrict_to_edge_workers<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.restrict_to_edge_worker_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    fn to_body(&self) -> Result<types::CreateAccessToken> {
        check_id(IdKind::Token, &self.name)?;
        if self.namespaces.is_empty() {
            return Err(Error::InvalidInput(
                "a token needs permissions on at least one namespace".to_owned(),
            ));
        }
        for namespace in self.namespaces.keys() {
            check_id(IdKind::Namespace, namespace)?;
        }
        Ok(types::CreateAccessToken::builder()
            .allow_on_production(self.allow_on_production)
            .allow_on_staging(self.allow_on_staging)
            .expiry(self.expiry.clone())
            .name(self.name.clone())
            .namespace_permissions(types::NamespacePermissions(
                self.namespaces
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .restrict_to_edge_worker_ids(self.restrict_to_edge_worker_ids.clone())
            .try_into()?)
    }
}

impl EdgeKvClient {
    /// Creates an access token. A POST: it is not retried once the server may have acted (a
    /// 5xx or a broken connection); look it up with [`EdgeKvClient::token`] before creating it
    /// again. The token is usually `IN_PROGRESS`: see [`EdgeKvClient::wait_for_token`].
    pub async fn create_token(&self, token: &NewToken) -> Result<AccessToken> {
        let body = token.to_body()?;
        let created = self
            .runtime()
            .call(&ops::POST_TOKENS, || {
                self.generated()
                    .post_tokens(self.account_switch_key(), &body)
            })
            .await?;
        Ok(created.into())
    }

    /// Lists the access tokens (with `include_expired`, also those expired less than 30 days
    /// ago). No token is an empty list (the API answers 404 "No tokens exist.").
    pub async fn tokens(&self, include_expired: bool) -> Result<Vec<AccessToken>> {
        let list = self
            .runtime()
            .call_optional(&ops::GET_TOKENS, || {
                self.generated()
                    .get_tokens(self.account_switch_key(), include_expired.then_some(true))
            })
            .await?;
        Ok(list
            .map(|list| list.tokens.into_iter().map(Into::into).collect())
            .unwrap_or_default())
    }

    /// One access token, by name.
    pub async fn token(&self, name: &str) -> Result<AccessToken> {
        check_id(IdKind::Token, name)?;
        let token = self
            .runtime()
            .call(&ops::GET_TOKEN, || {
                self.generated().get_token(name, self.account_switch_key())
            })
            .await?;
        Ok(token.into())
    }

    /// Revokes an access token. Returns the name and uuid of the deleted token.
    pub async fn delete_token(&self, name: &str) -> Result<types::TokensDelete> {
        check_id(IdKind::Token, name)?;
        self.runtime()
            .call(&ops::DELETE_TOKEN, || {
                self.generated()
                    .delete_token(name, self.account_switch_key())
            })
            .await
    }

    /// Refreshes an access token now rather than at its next scheduled refresh. A POST: not
    /// retried once the server may have acted.
    pub async fn refresh_token(&self, name: &str) -> Result<AccessToken> {
        check_id(IdKind::Token, name)?;
        let token = self
            .runtime()
            .call(&ops::POST_TOKEN_REFRESH, || {
                self.generated()
                    .post_token_refresh(name, self.account_switch_key())
            })
            .await?;
        Ok(token.into())
    }

    /// Polls a token until its activation status is `COMPLETE` or `wait.timeout()` has
    /// passed ([`WaitOutcome::TimedOut`] with the last state seen).
    ///
    /// ```no_run
    /// # async fn run(client: akamai_sdk::edgekv::EdgeKvClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use akamai_sdk::edgekv::{NewToken, Permission, TokensFile, WaitOptions};
    ///
    /// let created = client
    ///     .create_token(&NewToken::new("my_token").namespace("default", [Permission::R]))
    ///     .await?;
    /// let token = client
    ///     .wait_for_token(&created.name, WaitOptions::new())
    ///     .await?
    ///     .ready()
    ///     .ok_or("the token is not active yet")?;
    /// TokensFile::merge_into_file("edgekv_tokens.js", &token)?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for_token(
        &self,
        name: &str,
        wait: WaitOptions,
    ) -> Result<WaitOutcome<AccessToken>> {
        let first = self.token(name).await?;
        poll_until(
            wait,
            first,
            AccessToken::is_active,
            |_| false,
            || self.token(name),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn generated_tokens_convert_and_hide_their_value() {
        let raw: types::AccessToken = serde_json::from_value(serde_json::json!({
            "name": "t", "uuid": "u-1", "value": "s3cr3t-value",
            "tokenActivationStatus": "COMPLETE",
            "namespacePermissions": {"default": ["r", "w"], "b": ["x"]}
        }))
        .unwrap();
        let token = AccessToken::from(raw);
        assert!(token.is_active());
        assert_eq!(
            token.value.as_ref().unwrap().expose_secret(),
            "s3cr3t-value"
        );
        assert_eq!(
            token.namespace_permissions["b"],
            [Permission::Unknown("x".into())]
        );
        let shown = format!("{token:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }

    #[test]
    fn new_token_is_checked() {
        assert!(NewToken::new("t").to_body().is_err());
        assert!(NewToken::new("").namespace("a", []).to_body().is_err());
        assert!(NewToken::new("t").namespace("a/b", []).to_body().is_err());
        let body = NewToken::new("t")
            .namespace("default", [Permission::R])
            .to_body()
            .unwrap();
        assert!(body.allow_on_staging && !body.allow_on_production);
        assert_eq!(
            serde_json::to_value(&body).unwrap()["namespacePermissions"],
            serde_json::json!({"default": ["r"]})
        );
    }
}
