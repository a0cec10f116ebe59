//! The Akamai EdgeKV API: a key-value store for EdgeWorkers.
//!
//! [`EdgeKvClient`] wraps the generated client ([`crate::generated::edgekv`]) with EdgeGrid
//! signing, retries and one error type, and adds what the generated interface cannot do:
//!
//! * **Items** with an explicit value type ([`ItemValue`]: text, JSON or bytes, never guessed),
//!   read back byte for byte ([`Item`]) through [`EdgeKvClient::group`].
//! * **Ids** checked before sending: namespace, group and item ids against the API's rule
//!   (`A-Z a-z 0-9 _ -`, at most [`MAX_NAMESPACE_LEN`], [`MAX_GROUP_LEN`] or [`MAX_ITEM_LEN`]
//!   characters, no leading `-` in a namespace name), token names and sandbox ids as path
//!   segments (empty, `/`, `\`, `.` and `..` are refused); every path is percent-encoded
//!   strictly and signed as sent.
//! * **Waiters** for database initialization ([`EdgeKvClient::initialize_and_wait`]) and token
//!   activation ([`EdgeKvClient::wait_for_token`]).
//! * **`edgekv_tokens.js`** read, merged and written atomically ([`TokensFile`]).
//! * **Items in bulk** ([`bulk`]): write, delete, import, export and sync at the account's
//!   rate limit, found by an adaptive rate, resumable from a journal, with progress.
//!
//! | API | method |
//! |---|---|
//! | `GET /initialize` | [`EdgeKvClient::initialization_status`] |
//! | `PUT /initialize` | [`EdgeKvClient::initialize`], [`EdgeKvClient::initialize_and_wait`] |
//! | `PUT /auth/database` | [`EdgeKvClient::set_data_access_policy`] |
//! | `GET /auth/groups`, `GET /auth/groups/{id}` | [`EdgeKvClient::auth_groups`], [`EdgeKvClient::auth_group`] |
//! | `PUT /auth/namespaces/{id}` | [`EdgeKvClient::reauthorize_namespace`] |
//! | `GET`/`POST /networks/{n}/namespaces` | [`EdgeKvClient::namespaces`], [`EdgeKvClient::create_namespace`] |
//! | `GET`/`PUT /networks/{n}/namespaces/{id}` | [`EdgeKvClient::namespace`], [`EdgeKvClient::update_namespace`] |
//! | `GET …/namespaces/{id}/groups` | [`EdgeKvClient::namespace_groups`] |
//! | `GET …/groups/{g}` | [`ItemGroup::list`] |
//! | `GET`/`PUT`/`DELETE …/groups/{g}/items/{i}` | [`ItemGroup::get`], [`ItemGroup::put`], [`ItemGroup::delete`] |
//! | `GET`/`POST /tokens` | [`EdgeKvClient::tokens`], [`EdgeKvClient::create_token`] |
//! | `GET`/`DELETE /tokens/{name}` | [`EdgeKvClient::token`], [`EdgeKvClient::delete_token`] |
//! | `POST /tokens/{name}/refresh` | [`EdgeKvClient::refresh_token`] |
//!
//! ```no_run
//! use akamai_sdk::edgekv::{EdgeKvClient, ItemValue, Network, NewToken, Permission, TokensFile, WaitOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = EdgeKvClient::from_edgerc("~/.edgerc", "default")?;
//! let group = client.group(Network::Staging, "default", "greetings");
//! group.put("en", &ItemValue::text("Hello")).await?;
//! assert_eq!(group.get("en").await?.text()?, "Hello");
//!
//! let token = client
//!     .create_token(&NewToken::new("worker").namespace("default", [Permission::R]))
//!     .await?;
//! if let Some(token) = client.wait_for_token(&token.name, WaitOptions::new()).await?.ready() {
//!     TokensFile::merge_into_file("edgekv_tokens.js", &token)?;
//! }
//! # Ok(())
//! # }
//! ```

pub mod bulk;
mod client;
mod ids;
pub use ids::{MAX_GROUP_LEN, MAX_ITEM_LEN, MAX_NAMESPACE_LEN};
mod items;
mod namespaces;
mod tokens;
mod tokens_file;
mod wait;

pub use client::{EdgeKvClient, EdgeKvClientBuilder, Network, BASE_PATH};
pub use items::{Item, ItemGroup, ItemKind, ItemValue};
pub use namespaces::{is_initialized, DataAccessPolicy};
pub use tokens::{AccessToken, NewToken, Permission, TokenActivationStatus};
pub use tokens_file::{TokenCredential, TokenEntry, TokensFile, TokensFileError, NAMESPACE_PREFIX};
pub use wait::{
    WaitOptions, WaitOutcome, WaitProgress, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT,
};

/// The generated EdgeKV types (request bodies and responses).
pub use akamai_sdk_generated::edgekv::types;
pub use types::{
    AuthGroup, Initialize, InitializeAccountStatus, Namespace, NamespacesNamespacesItem,
    PostNamespaceBody,
};
