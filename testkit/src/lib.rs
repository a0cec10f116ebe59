//! Offline, stateful emulators of the two APIs of `akamai-sdk`, for testing code that depends
//! on it without an Akamai account, a Linode parent account or the network.
//!
//! * [`EdgeKvEmulator`]: every EdgeKV operation, state in memory, every EdgeGrid signature
//!   verified (tokens, timestamp skew, nonce replay, signature over the request target as
//!   received), the initialization lifecycle, namespaces, groups and items stored byte for
//!   byte with their content type, the API's limits, access tokens with activation and expiry;
//!   and the edge data path EdgeWorkers use through `edgekv.js`
//!   (`/api/v1/namespaces/{ns}/groups/{g}/items/{i}`, authorised by the access tokens of
//!   `edgekv_tokens.js` and their namespace permissions; see [`EdgeKvEmulator`]), so that an
//!   EdgeWorker's data access can be tried locally with the tokens file the SDK writes.
//!   Off by default, the API's harder edges: its rate limit per account
//!   ([`EdgeKvEmulatorBuilder::rate_limit`]), its eventual consistency after a new item is
//!   written ([`EdgeKvEmulatorBuilder::consistency_delay`]) and the cap on a listing
//!   ([`EdgeKvEmulatorBuilder::max_list_items`]).
//! * [`LinodeEmulator`]: a parent token, N deterministic child accounts, pagination,
//!   `X-Filter`, proxy tokens (mint, the proxy principal, expiry, revocation), grants and
//!   rate-limit headers; and per account (the parent and each child) its own Linode
//!   instances, Volumes and Domains (list, create, get, update, delete), seen only by that
//!   account's principal.
//! * Both: [fault rules](Fault) by method and path glob (on every matching request or a
//!   seeded random fraction of them), a request log and
//!   [counters](Counters), [`reset`](EdgeKvEmulator::reset) and seeding from code.
//!
//! Each emulator listens on 127.0.0.1 on a free port, stops when dropped and hands out a
//! client of the SDK already configured for it:
//!
//! A dependent's test is three lines in a `#[tokio::test] async fn … -> Result<…>`:
//!
//! ```no_run
//! use akamai_sdk::edgekv::{ItemValue, Network};
//! use akamai_sdk_testkit::EdgeKvEmulator;
//!
//! # async fn stores_a_greeting() -> Result<(), Box<dyn std::error::Error>> {
//! let kv = EdgeKvEmulator::start().await?;
//! kv.client().group(Network::Staging, "default", "greetings").put("en", &ItemValue::text("Hello")).await?;
//! assert_eq!(kv.item(Network::Staging, "default", "greetings", "en").unwrap().1, b"Hello");
//! # Ok(())
//! # }
//! ```
//!
//! The binary `akamai-emulator` serves the same emulators to clients in other languages; it
//! prints one JSON line per emulator and can write an `.edgerc` section
//! (`akamai-emulator --edgekv --linode --edgerc FILE`).
// docs.rs labels the items each cargo feature builds.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod edgegrid;
pub mod edgekv;
pub mod linode;

mod core;
mod faults;
mod journal;
mod server;
mod waits;

/// The date type of [`EdgeKvEmulator::seed_token`] and [`EdgeKvEmulator::today`], so that a
/// test needs no `chrono` of its own.
pub use chrono::NaiveDate;
pub use edgegrid::EdgeGridCredentials;
pub use edgekv::{EdgeKvEmulator, EdgeKvEmulatorBuilder};
pub use faults::{Fault, FaultKind};
pub use journal::{Counters, LoggedRequest};
pub use linode::{LinodeEmulator, LinodeEmulatorBuilder};
pub use waits::RecordedWaits;
