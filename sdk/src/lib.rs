#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// docs.rs labels the items each cargo feature builds.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Built without either API (no default features), the shared runtime has no caller.
#![cfg_attr(not(any(feature = "linode", feature = "edgekv")), allow(dead_code))]

pub use akamai_sdk_generated as generated;

pub mod edgegrid;
#[cfg(feature = "edgekv")]
pub mod edgekv;
#[cfg(feature = "linode")]
pub mod linode;

pub mod config;
mod endpoint;
pub mod error;
mod headers;
mod path;
pub mod raw;
pub mod redact;
pub mod retry;
// The runtime runs every call of both clients. It is public for the workspace's own tests and
// benchmarks, which run it on hand-made attempts; dependents reach every operation through
// the clients (`LinodeClient::api`, `ChildClient::api`, the EdgeKV methods).
#[doc(hidden)]
pub mod runtime;
// The checks of the fuzz targets (`sdk/fuzz`) and of the corpus replay tests: not part of the
// API, and only with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use error::{Error, Result};

// What the public API hands out, so that a dependent needs `akamai-sdk` and `tokio` only.
pub use akamai_sdk_generated::{DateTime, Secret};
pub use reqwest::header::HeaderMap;
pub use reqwest::{Method, StatusCode};
pub use secrecy::{ExposeSecret, SecretString};
/// JSON values in signatures (`ItemValue::json_value`, `ChildAccountsRequest::raw_filter`):
/// the `serde_json` the SDK is built with, so that a dependent needs no version of its own.
pub use serde_json::{self, Value as JsonValue};

/// The names most programs use: `use akamai_sdk::prelude::*;`.
///
/// ```no_run
/// use akamai_sdk::prelude::*;
///
/// # async fn run() -> Result<(), akamai_sdk::Error> {
/// let parent = LinodeClient::from_env()?;
/// let children: Vec<_> = parent.child_accounts().stream().try_collect().await?;
/// let child = parent.child(Euuid::try_from(&children[0])?);
/// let token = child.token().await?;
/// let _bearer: &str = token.token().expose_secret();
/// # Ok(())
/// # }
/// ```
pub mod prelude {
    pub use crate::config::HttpConfig;
    pub use crate::edgegrid::Credentials;
    #[cfg(feature = "edgekv")]
    pub use crate::edgekv::{EdgeKvClient, ItemValue, Network, NewToken, Permission, WaitOptions};
    pub use crate::error::{Error, Result};
    #[cfg(feature = "linode")]
    pub use crate::linode::{proxy_username, ChildClient, Euuid, Filter, LinodeClient, ProxyToken};
    pub use crate::retry::RetryPolicy;
    pub use crate::{
        DateTime, ExposeSecret, HeaderMap, JsonValue, Method, SecretString, StatusCode,
    };
    pub use futures::{StreamExt, TryStreamExt};
}
