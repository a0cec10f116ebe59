//! The Linode parent/child-account API.
//!
//! A parent-account user lists the child accounts, creates a short-lived proxy token for one of
//! them, and acts in it as that account's proxy user:
//!
//! ```no_run
//! use akamai_sdk::linode::{ChildAccountFilter, Euuid, LinodeClient};
//! use futures::TryStreamExt;
//!
//! # async fn run() -> Result<(), akamai_sdk::Error> {
//! let parent = LinodeClient::from_env()?; // LINODE_TOKEN or LINODE_CLI_TOKEN
//! parent.ensure_child_account_access().await?;
//!
//! // 1. List the child accounts (all pages, the next one loading while you read this one).
//! let filter = ChildAccountFilter::new().company("Acme");
//! let accounts: Vec<_> = parent.child_accounts().filter(&filter).stream().try_collect().await?;
//!
//! // 2. and 3. A child client creates the proxy token on first use and renews it as needed.
//! let euuid = Euuid::try_from(&accounts[0])?;
//! let child = parent.child(euuid);
//! let account = child.account().await?;
//! println!("acting in {:?}", account.company);
//! child.revoke().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Beyond the workflow, every operation of the Linode API is a typed call on
//! [`LinodeClient::api`] and [`ChildClient::api`] (the generated `linode::Calls`), with
//! `<method>_stream` for every paginated list and a [`Filter`] for any list's `X-Filter`. The
//! operations of other areas than the child-account workflow are built with their area's cargo
//! feature (`linode-instances`, ..., `linode-all`).
//!
//! Every call goes through the SDK [runtime](crate::runtime) (retries, tracing) and fails with
//! [`crate::Error`]. Credentials are sent only to the base URL's origin, in sensitive headers.

mod api;
mod auth;
mod calls;
mod child;
mod client;
pub(crate) mod filter;
mod models;
mod pagination;

pub use akamai_sdk_generated::linode::types;
pub use auth::BearerSigner;
pub use child::{ChildClient, DEFAULT_REFRESH_MARGIN};
pub use client::{
    ChildAccessError, ChildAccountsRequest, LinodeClient, LinodeClientBuilder, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE, MIN_PAGE_SIZE, TOKEN_ENV_VARS,
};
pub use filter::{ChildAccountField, ChildAccountFilter, Filter, Order};
pub use models::{
    proxy_username, ApiVersion, Euuid, Grants, Page, ProfileInfo, ProxyToken, UserType,
    PROXY_TOKEN_LIFETIME,
};
