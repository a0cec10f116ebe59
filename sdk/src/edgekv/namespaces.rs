//! Initialization, data access policy, permission groups, namespaces and their groups.

use akamai_sdk_generated::edgekv::types;

use super::client::{EdgeKvClient, Network};
use super::ids::{check_id, IdKind};
use super::wait::{poll_until, WaitOptions, WaitOutcome};
use crate::error::Result;
use akamai_sdk_generated::edgekv::operations as ops;

/// The database Data Access Policy: whether data is restricted to Enhanced TLS properties,
/// and whether a namespace may override that when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataAccessPolicy {
    /// Restrict data access to Enhanced TLS properties.
    pub restrict_data_access: bool,
    /// Let a new namespace override the default policy.
    pub allow_namespace_policy_override: bool,
}

impl TryFrom<DataAccessPolicy> for types::PutInitializeBodyDataAccessPolicy {
    type Error = types::error::ConversionError;

    fn try_from(p: DataAccessPolicy) -> std::result::Result<Self, Self::Error> {
        Self::builder()
            .allow_namespace_policy_override(p.allow_namespace_policy_override)
            .restrict_data_access(p.restrict_data_access)
            .try_into()
    }
}

impl TryFrom<DataAccessPolicy> for types::PutAuthDatabaseBodyDataAccessPolicy {
    type Error = types::error::ConversionError;

    fn try_from(p: DataAccessPolicy) -> std::result::Result<Self, Self::Error> {
        Self::builder()
            .allow_namespace_policy_override(p.allow_namespace_policy_override)
            .restrict_data_access(p.restrict_data_access)
            .try_into()
    }
}

/// Whether the database is initialized (`accountStatus` `INITIALIZED`).
pub fn is_initialized(status: &types::Initialize) -> bool {
    status.account_status == types::InitializeAccountStatus::Initialized
}

impl EdgeKvClient {
    /// The initialization status of the EdgeKV database (`GET /initialize`). An account that
    /// was never initialized answers 404 ([`crate::Error::is_not_found`]).
    pub async fn initialization_status(&self) -> Result<types::Initialize> {
        self.runtime()
            .call_with_stream_error(&ops::GET_INITIALIZE, || {
                self.generated().get_initialize(self.account_switch_key())
            })
            .await
    }

    /// Starts the initialization of the EdgeKV database (`PUT /initialize`), optionally with
    /// a default Data Access Policy. The answer is usually `PENDING`; see
    /// [`EdgeKvClient::initialize_and_wait`].
    pub async fn initialize(&self, policy: Option<DataAccessPolicy>) -> Result<types::Initialize> {
        let policy: Option<types::PutInitializeBodyDataAccessPolicy> =
            policy.map(TryInto::try_into).transpose()?;
        let body: types::PutInitializeBody = types::PutInitializeBody::builder()
            .data_access_policy(policy)
            .try_into()?;
        self.runtime()
            .call(&ops::PUT_INITIALIZE, || {
                self.generated()
                    .put_initialize(self.account_switch_key(), &body)
            })
            .await
    }

    /// Initializes the database and waits until it is `INITIALIZED`.
    ///
    /// The status is read first: an initialized database is returned at once (nothing is
    /// sent), a `PENDING` one is only polled, and otherwise (404 or `UNINITIALIZED`) the
    /// initialization is started with `policy`. Then the status is polled every
    /// `wait.poll_interval()` until it is `INITIALIZED` or `wait.timeout()` has passed
    /// ([`WaitOutcome::TimedOut`] with the last status seen).
    ///
    /// ```no_run
    /// # async fn run(client: akamai_sdk::edgekv::EdgeKvClient) -> Result<(), akamai_sdk::Error> {
    /// use akamai_sdk::edgekv::{DataAccessPolicy, WaitOptions};
    ///
    /// let policy = DataAccessPolicy { restrict_data_access: false, allow_namespace_policy_override: true };
    /// match client.initialize_and_wait(Some(policy), WaitOptions::new()).await? {
    ///     akamai_sdk::edgekv::WaitOutcome::Ready(status) => println!("ready: {:?}", status.cpcode),
    ///     akamai_sdk::edgekv::WaitOutcome::TimedOut(status) => println!("still {}", status.account_status),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn initialize_and_wait(
        &self,
        policy: Option<DataAccessPolicy>,
        wait: WaitOptions,
    ) -> Result<WaitOutcome<types::Initialize>> {
        let current = match self.initialization_status().await {
            Ok(status) => Some(status),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        let first = match current {
            Some(status)
                if is_initialized(&status)
                    || status.account_status == types::InitializeAccountStatus::Pending =>
            {
                status
            }
            _ => self.initialize(policy).await?,
        };
        poll_until(
            wait,
            first,
            is_initialized,
            crate::Error::is_not_found,
            || self.initialization_status(),
        )
        .await
    }

    /// Changes the default Data Access Policy of new namespaces (`PUT /auth/database`).
    pub async fn set_data_access_policy(
        &self,
        policy: DataAccessPolicy,
    ) -> Result<types::Initialize> {
        let policy: types::PutAuthDatabaseBodyDataAccessPolicy = policy.try_into()?;
        let body: types::PutAuthDatabaseBody = types::PutAuthDatabaseBody::builder()
            .data_access_policy(policy)
            .try_into()?;
        self.runtime()
            .call(&ops::PUT_AUTH_DATABASE, || {
                self.generated()
                    .put_auth_database(self.account_switch_key(), &body)
            })
            .await
    }

    /// Lists the access groups with EdgeKV capabilities (`GET /auth/groups`).
    pub async fn auth_groups(&self) -> Result<Vec<types::AuthGroup>> {
        let groups = self
            .runtime()
            .call(&ops::GET_GROUPS, || {
                self.generated().get_groups(self.account_switch_key())
            })
            .await?;
        Ok(groups.groups)
    }

    /// One access group and its EdgeKV capabilities (`GET /auth/groups/{groupId}`).
    pub async fn auth_group(&self, group_id: u64) -> Result<types::AuthGroup> {
        self.runtime()
            .call(&ops::GET_GROUP, || {
                self.generated()
                    .get_group(group_id, self.account_switch_key())
            })
            .await
    }

    /// Moves a namespace to another access group (`PUT /auth/namespaces/{namespaceId}`).
    pub async fn reauthorize_namespace(
        &self,
        namespace_id: &str,
        group_id: u64,
    ) -> Result<types::ReauthorizeNamespace> {
        check_id(IdKind::Namespace, namespace_id)?;
        let body: types::PutReauthorizeNamespaceBody =
            types::PutReauthorizeNamespaceBody::builder()
                .group_id(group_id)
                .try_into()?;
        self.runtime()
            .call(&ops::PUT_REAUTHORIZE_NAMESPACE, || {
                self.generated().put_reauthorize_namespace(
                    namespace_id,
                    self.account_switch_key(),
                    &body,
                )
            })
            .await
    }

    /// Lists the namespaces of `network` with all their attributes (`details=on`).
    pub async fn namespaces(&self, network: Network) -> Result<Vec<types::Namespace>> {
        let list = self
            .list_namespaces(network, Some(types::Details::On))
            .await?;
        list.into_iter()
            .enumerate()
            .map(|(index, entry)| match entry {
                types::NamespacesNamespacesItem::Namespace(namespace) => Ok(namespace),
                _ => Err(unexpected_entry(
                    index,
                    "an entry without details in a listing asked with details=on",
                )),
            })
            .collect()
    }

    /// Lists the names of the namespaces of `network` (without `details`: a smaller answer).
    pub async fn namespace_names(&self, network: Network) -> Result<Vec<String>> {
        let list = self.list_namespaces(network, None).await?;
        list.into_iter()
            .enumerate()
            .map(|(index, entry)| match entry {
                types::NamespacesNamespacesItem::String(name) => Ok(name),
                types::NamespacesNamespacesItem::Namespace(namespace) => Ok(namespace.namespace),
                _ => Err(unexpected_entry(
                    index,
                    "an entry of a shape this version does not know",
                )),
            })
            .collect()
    }

    async fn list_namespaces(
        &self,
        network: Network,
        details: Option<types::Details>,
    ) -> Result<Vec<types::NamespacesNamespacesItem>> {
        let list = self
            .runtime()
            .call(&ops::GET_NAMESPACES, || {
                self.generated().get_namespaces(
                    network.into(),
                    self.account_switch_key(),
                    details.clone(),
                )
            })
            .await?;
        Ok(list.namespaces)
    }

    /// One namespace.
    pub async fn namespace(
        &self,
        network: Network,
        namespace_id: &str,
    ) -> Result<types::Namespace> {
        check_id(IdKind::Namespace, namespace_id)?;
        self.runtime()
            .call(&ops::GET_NAMESPACE, || {
                self.generated().get_namespace(
                    network.into(),
                    namespace_id,
                    self.account_switch_key(),
                )
            })
            .await
    }

    /// Creates a namespace. A POST: it is not retried once the server may have acted (a 5xx
    /// or a broken connection), so on such an error check with [`EdgeKvClient::namespace`]
    /// before creating it again.
    ///
    /// ```no_run
    /// # async fn run(client: akamai_sdk::edgekv::EdgeKvClient) -> Result<(), akamai_sdk::Error> {
    /// use akamai_sdk::edgekv::{types::PostNamespaceBody, Network};
    ///
    /// // Generated types are `#[non_exhaustive]`: they are built with their builders, which
    /// // refuse a value without its required fields (`Error::InvalidInput`).
    /// let body: PostNamespaceBody = PostNamespaceBody::builder()
    ///     .namespace("marketing")
    ///     .retention_in_seconds(15_724_800)
    ///     .group_id(4284)
    ///     .try_into()?;
    /// let ns = client.create_namespace(Network::Staging, &body).await?;
    /// assert_eq!(ns.namespace, "marketing");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_namespace(
        &self,
        network: Network,
        namespace: &types::PostNamespaceBody,
    ) -> Result<types::Namespace> {
        check_id(IdKind::Namespace, &namespace.namespace)?;
        self.runtime()
            .call(&ops::POST_NAMESPACE, || {
                self.generated().post_namespace(
                    network.into(),
                    self.account_switch_key(),
                    namespace,
                )
            })
            .await
    }

    /// Changes the retention period of a namespace (in seconds; `0` keeps data forever). To
    /// change its access group, use [`EdgeKvClient::reauthorize_namespace`].
    pub async fn update_namespace(
        &self,
        network: Network,
        namespace_id: &str,
        retention_in_seconds: i64,
    ) -> Result<types::Namespace> {
        check_id(IdKind::Namespace, namespace_id)?;
        let body: types::PutNamespaceBody = types::PutNamespaceBody::builder()
            .namespace(namespace_id)
            .retention_in_seconds(retention_in_seconds)
            .try_into()?;
        self.runtime()
            .call(&ops::PUT_NAMESPACE, || {
                self.generated().put_namespace(
                    network.into(),
                    namespace_id,
                    self.account_switch_key(),
                    &body,
                )
            })
            .await
    }

    /// Lists the groups of a namespace. A namespace without groups is an empty list (the API
    /// answers 404 "There are no groups."); an unknown namespace is an error
    /// ([`crate::Error::is_not_found`]).
    pub async fn namespace_groups(
        &self,
        network: Network,
        namespace_id: &str,
    ) -> Result<Vec<String>> {
        check_id(IdKind::Namespace, namespace_id)?;
        let groups = self
            .runtime()
            .call_optional(&ops::GET_NAMESPACE_GROUPS, || {
                self.generated().get_namespace_groups(
                    network.into(),
                    namespace_id,
                    self.account_switch_key(),
                )
            })
            .await?;
        Ok(groups.map(|groups| groups.0).unwrap_or_default())
    }
}

/// The [`Error::Decode`](crate::Error::Decode) of a namespace listing's entry `index` that has
/// another shape than asked for (`what`).
fn unexpected_entry(index: usize, what: &str) -> crate::Error {
    crate::Error::Decode(Box::new(crate::error::DecodeError::unusable_shape(
        Some(format!("namespaces[{index}]")),
        what,
    )))
}
