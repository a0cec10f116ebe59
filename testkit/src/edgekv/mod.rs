//! The EdgeKV emulator: every operation of the EdgeKV API, state in memory, every request's
//! EdgeGrid signature verified; and the edge data path EdgeWorkers read through `edgekv.js`,
//! authorised by access tokens (see [`EdgeKvEmulator`]).

mod edge;
mod rate;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::Credentials;
use akamai_sdk::edgekv::{EdgeKvClient, Network};
use bytes::Bytes;
use chrono::NaiveDate;
use serde_json::{json, Value};

pub use edge::{AUTH_HEADER, AUTH_REF_HEADER, NETWORK_HEADER};
use rate::{RateLimiter, Throttled};
use state::{Db, Namespace, Settings, Stored, Token};
pub use state::{MAX_ITEM_ID_LEN, MAX_LIST_ITEMS, MAX_NAME_LEN, MAX_TOKEN_DAYS, MAX_VALUE_BYTES};

use crate::core::{lock, Api, Core, Exchange, Reply};
use crate::edgegrid::{EdgeGridCredentials, Refusal, Signed, Verifier};
use crate::faults::Fault;
use crate::journal::{Counters, LoggedRequest};
use crate::server::Server;

/// The base path of the API.
pub const BASE_PATH: &str = "/edgekv/v1";
/// The base path of the edge data path (`edgekv.js` appends `/namespaces/…` to it).
pub const EDGE_BASE_PATH: &str = "/api/v1";

/// The `errorCode` of a 429, from the rate limit or a fault rule.
const TOO_MANY_REQUESTS_CODE: &str = "EKV_9100";

/// The default credentials of an emulator (any [`EdgeKvEmulatorBuilder::credentials`] work).
pub fn default_credentials() -> EdgeGridCredentials {
    EdgeGridCredentials {
        client_token: "akab-emulator-client-token-0001".to_owned(),
        client_secret: "ZW11bGF0b3ItY2xpZW50LXNlY3JldC0wMDAxLTAwMDE=".to_owned(),
        access_token: "akab-emulator-access-token-0001".to_owned(),
    }
}

/// Options of an [`EdgeKvEmulator`].
#[derive(Debug, Clone)]
pub struct EdgeKvEmulatorBuilder {
    credentials: EdgeGridCredentials,
    port: u16,
    max_skew: Duration,
    initialized: bool,
    init_polls: u32,
    activation_reads: u32,
    max_value_bytes: usize,
    token_values: bool,
    edge_network: Network,
    rate_limit: Option<u32>,
    rate_limit_retry_after: Option<u64>,
    consistency_delay: Duration,
    max_list_items: usize,
}

impl Default for EdgeKvEmulatorBuilder {
    fn default() -> Self {
        Self {
            credentials: default_credentials(),
            port: 0,
            max_skew: Duration::from_secs(30),
            initialized: true,
            init_polls: 2,
            activation_reads: 1,
            max_value_bytes: MAX_VALUE_BYTES,
            token_values: false,
            edge_network: Network::Staging,
            rate_limit: None,
            rate_limit_retry_after: None,
            consistency_delay: Duration::ZERO,
            max_list_items: MAX_LIST_ITEMS,
        }
    }
}

impl EdgeKvEmulatorBuilder {
    /// The EdgeGrid credentials to accept.
    pub fn credentials(mut self, credentials: EdgeGridCredentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Listens on this port of 127.0.0.1 (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The largest difference allowed between a signature's timestamp and the clock (30 s).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Starts with EdgeKV not initialized: `GET /initialize` answers 404 `UNINITIALIZED`
    /// and every other operation 404 until `PUT /initialize` and `polls` status reads
    /// answered `PENDING` (default: initialized, with the `default` namespaces).
    pub fn uninitialized(mut self, polls: u32) -> Self {
        self.initialized = false;
        self.init_polls = polls;
        self
    }

    /// Reads of a new (or refreshed) token answered `IN_PROGRESS` before it is `COMPLETE`
    /// (default 1: the creation answer and the first read say `IN_PROGRESS`).
    pub fn token_activation_reads(mut self, reads: u32) -> Self {
        self.activation_reads = reads;
        self
    }

    /// The largest item value accepted, in bytes (default [`MAX_VALUE_BYTES`]); larger ones
    /// get the API's 413.
    pub fn max_value_bytes(mut self, max: usize) -> Self {
        self.max_value_bytes = max;
        self
    }

    /// Issues every new token with a `value`, as the API did for tokens created before
    /// references (default: no value, the token's uuid is its reference). The SDK then writes
    /// `value` instead of `reference` into `edgekv_tokens.js`, and the edge path takes it in
    /// `X-Akamai-EdgeDB-Auth`.
    pub fn legacy_token_values(mut self) -> Self {
        self.token_values = true;
        self
    }

    /// The network the edge data path reads and writes (default [`Network::Staging`], where
    /// an EdgeWorker is tried first); a request may name another in [`NETWORK_HEADER`].
    pub fn edge_network(mut self, network: Network) -> Self {
        self.edge_network = network;
        self
    }

    /// Throttles the API (under [`BASE_PATH`]; not the edge data path) as Akamai does per
    /// account, over a sliding one-second window: when the requests accepted in the second
    /// before a request already number `hits_per_second`, it is refused without being
    /// performed, with a 429 problem+json (`errorCode` `EKV_9100`) whose detail reads like the
    /// API's: "Your request has been denied: 364 hits per second too high. limit set at 73.
    /// Please try again soon." (the hits of the last second, refused ones included, then the
    /// limit). No `Retry-After` unless [`rate_limit_retry_after`](Self::rate_limit_retry_after)
    /// asks for one, as the API sends none. Default: no limit; 0 refuses every request.
    ///
    /// The limit is checked first, as Akamai's gateway throttles before EdgeKV sees a request:
    /// a throttled request's signature is not verified (nor its nonce used), and a badly
    /// signed request counts as a hit. A request a fault rule answers without performing it
    /// (a status or HTML 502) is not a hit. Refusals are logged with status 429 and counted in
    /// [`Counters::throttled`]; [`EdgeKvEmulator::set_rate_limit`] changes the limit while
    /// running.
    pub fn rate_limit(mut self, hits_per_second: u32) -> Self {
        self.rate_limit = Some(hits_per_second);
        self
    }

    /// Adds `Retry-After: secs` to the 429s of the [rate limit](Self::rate_limit) (default:
    /// none, as the API).
    pub fn rate_limit_retry_after(mut self, secs: u64) -> Self {
        self.rate_limit_retry_after = Some(secs);
        self
    }

    /// Emulates EdgeKV's eventual consistency: an item created (written where there was none)
    /// less than `delay` ago is not found yet, as Akamai documents that a new item can answer
    /// 404 for 10 s or more after the write. Its reads, on the API and the edge data path,
    /// answer the usual 404, and listings of its group (and of the namespace's groups) leave it
    /// out. An overwrite of a visible item is visible at once; writes and deletes act on the
    /// stored item at once. Seeded items ([`EdgeKvEmulator::seed_item`]) are visible at once,
    /// and [`EdgeKvEmulator::item`] reads the state, new items included. Measured on the real
    /// clock. Default: zero, every write visible at once.
    pub fn consistency_delay(mut self, delay: Duration) -> Self {
        self.consistency_delay = delay;
        self
    }

    /// The most item ids a listing of a group answers, whatever its `maxItems` asks (default
    /// [`MAX_LIST_ITEMS`], the API's limit; a larger `maxItems` is clamped, not refused). A
    /// smaller cap lets a test reach it with few items; 0 is taken as 1.
    pub fn max_list_items(mut self, max: usize) -> Self {
        self.max_list_items = max;
        self
    }

    /// Binds 127.0.0.1 and starts serving.
    pub async fn start(self) -> std::io::Result<EdgeKvEmulator> {
        let settings = Settings {
            initialized: self.initialized,
            init_polls: self.init_polls,
            activation_reads: self.activation_reads,
            cpcode: "1234567".to_owned(),
            max_value_bytes: self.max_value_bytes,
            token_values: self.token_values,
            consistency_delay: self.consistency_delay,
            max_list_items: self.max_list_items.max(1),
        };
        let api = KvApi {
            db: Mutex::new(Db::new(settings)),
            verifier: Mutex::new(Verifier::new(self.credentials.clone(), self.max_skew)),
            limiter: Mutex::new(RateLimiter::new(
                self.rate_limit,
                self.rate_limit_retry_after,
            )),
            edge_network: self.edge_network,
        };
        let (core, server) = Core::start(api, self.port).await?;
        Ok(EdgeKvEmulator { core, server })
    }
}

/// A running EdgeKV emulator on 127.0.0.1, stopped when dropped.
///
/// Besides the EdgeKV API under [`BASE_PATH`] (EdgeGrid-signed), it serves the edge data path
/// that EdgeWorkers reach through Akamai's `edgekv.js` helper, under [`EDGE_BASE_PATH`]
/// ([`EdgeKvEmulator::edge_url`] is the `edgekv_uri` to give it): `GET`, `PUT` and `DELETE`
/// on `/api/v1/namespaces/{ns}/groups/{g}/items/{i}`, over the same items.
///
/// * **Token.** `X-Akamai-EdgeDB-Auth-Ref` carries a token's reference (its uuid, as the SDK's
///   `TokensFile` writes it into `edgekv_tokens.js`), `X-Akamai-EdgeDB-Auth` a token's value
///   (tokens issued with one, see [`EdgeKvEmulatorBuilder::legacy_token_values`]). It must be
///   a token the emulator issued or was seeded with, not expired on its calendar
///   ([`EdgeKvEmulator::advance_days`]) and active (`COMPLETE`, so wait for it as a deployment
///   would). Otherwise: 401.
/// * **Permissions.** The token must be allowed on the network read and grant the namespace
///   `r` to read, `w` to write, `d` to delete. Otherwise: 403. `restrictToEdgeWorkerIds` is
///   not checked (a request does not say which EdgeWorker sends it).
/// * **Network.** The builder's [`edge_network`](EdgeKvEmulatorBuilder::edge_network)
///   (staging by default), or the one a request names in `X-Emulator-Network`.
/// * **Sandboxes.** `?sandboxId=ID` as `edgekv.js` sends it; with `&sandboxFallback=true` a
///   read missing from the sandbox falls back to the item outside any sandbox.
/// * **Answers.** 200 with the stored bytes and content type; 404 for a missing item (which
///   `edgekv.js` turns into its default value) or namespace; problem+json refusals that never
///   quote the token. The request log names the token (`token NAME`) and counts the 401s
///   under [`Counters::signature_failures`]; the operations are `edge-get-item`,
///   `edge-put-item` and `edge-delete-item`.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use akamai_sdk::edgekv::{ItemValue, Network};
/// let emulator = akamai_sdk_testkit::EdgeKvEmulator::start().await?;
/// let client = emulator.client();
/// let group = client.group(Network::Staging, "default", "greetings");
/// group.put("en", &ItemValue::text("Hello")).await?;
/// assert_eq!(emulator.item(Network::Staging, "default", "greetings", "en").unwrap().1, b"Hello");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EdgeKvEmulator {
    core: Arc<Core<KvApi>>,
    server: Server,
}

impl EdgeKvEmulator {
    /// Starts an emulator with the default options (initialized, default credentials).
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// Options before starting.
    pub fn builder() -> EdgeKvEmulatorBuilder {
        EdgeKvEmulatorBuilder::default()
    }

    /// `127.0.0.1:PORT`, the `host` of its `.edgerc` section.
    pub fn host(&self) -> String {
        self.server.addr().to_string()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The base URL of the API, `http://127.0.0.1:PORT/edgekv/v1`.
    pub fn url(&self) -> String {
        format!("http://{}{BASE_PATH}", self.server.addr())
    }

    /// The base URL of the edge data path, `http://127.0.0.1:PORT`: the `edgekv_uri` of
    /// `edgekv.js` (which appends `/api/v1/namespaces/…`).
    pub fn edge_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The credentials it accepts.
    pub fn edgegrid_credentials(&self) -> EdgeGridCredentials {
        lock(&self.core.api.verifier).credentials().clone()
    }

    /// The credentials it accepts, as the SDK takes them (host `127.0.0.1:PORT`).
    pub fn credentials(&self) -> Credentials {
        let c = self.edgegrid_credentials();
        Credentials::builder(self.host(), c.client_token, c.client_secret, c.access_token)
            .build()
            .expect("the emulator's credentials are well formed")
    }

    /// An `.edgerc` section for it (`host = 127.0.0.1:PORT`; clients must use plain http).
    pub fn edgerc_section(&self, section: &str) -> String {
        let c = self.edgegrid_credentials();
        format!(
            "[{section}]\nhost = {}\nclient_token = {}\nclient_secret = {}\naccess_token = {}\nmax_body = 131072\n",
            self.host(),
            c.client_token,
            c.client_secret,
            c.access_token
        )
    }

    /// A client configured for it: plain http on loopback, default retry policy.
    pub fn client(&self) -> EdgeKvClient {
        self.client_with(HttpConfig::new())
    }

    /// A client configured for it with `config` (loopback http is allowed on top of it).
    pub fn client_with(&self, config: HttpConfig) -> EdgeKvClient {
        EdgeKvClient::builder(self.credentials())
            .http_config(config.allow_insecure_loopback(true))
            .base_url(self.url())
            .build()
            .expect("the emulator's base URL is valid for its credentials")
    }

    /// Adds a fault rule (applied in the order added).
    pub fn inject(&self, fault: Fault) {
        self.core.inject(fault);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.core.clear_faults();
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.core.requests()
    }

    /// The counters.
    pub fn counters(&self) -> Counters {
        self.core.counters()
    }

    /// Back to the state it started in: data, fault rules, log, counters, nonces, and the
    /// rate limit (the builder's, with an empty window).
    pub fn reset(&self) {
        let mut db = lock(&self.core.api.db);
        let settings = db.settings.clone();
        *db = Db::new(settings);
        lock(&self.core.api.verifier).reset();
        lock(&self.core.api.limiter).reset();
        self.core.reset();
    }

    /// Changes the [rate limit](EdgeKvEmulatorBuilder::rate_limit) from the next request on,
    /// over the requests of the last second already seen (so a lower limit may refuse the
    /// next request at once); `None` lifts it and forgets the window (a limit set again, or
    /// on an emulator started without one, counts from then on).
    pub fn set_rate_limit(&self, hits_per_second: Option<u32>) {
        lock(&self.core.api.limiter).set_limit(hits_per_second);
    }

    /// Creates (or replaces) a namespace on `network`, group 0, inheriting the policy.
    pub fn seed_namespace(&self, network: Network, name: &str, retention_in_seconds: i64) {
        let mut db = lock(&self.core.api.db);
        let restrict = db.policy.unwrap_or_default().restrict_data_access;
        db.namespaces.insert(
            (network, name.to_owned()),
            Namespace {
                retention: retention_in_seconds,
                group_id: 0,
                geo_location: "US".to_owned(),
                restrict_data_access: restrict,
                overridden: false,
            },
        );
    }

    /// Stores an item (outside any sandbox) with its content type and bytes, visible at once
    /// whatever the [consistency delay](EdgeKvEmulatorBuilder::consistency_delay).
    pub fn seed_item(
        &self,
        network: Network,
        namespace: &str,
        group: &str,
        item: &str,
        content_type: &str,
        bytes: impl Into<Bytes>,
    ) {
        let key = (
            network,
            namespace.to_owned(),
            None,
            group.to_owned(),
            item.to_owned(),
        );
        let stored = Stored {
            content_type: Some(content_type.to_owned()),
            bytes: bytes.into(),
            created: None,
        };
        lock(&self.core.api.db).items.insert(key, stored);
    }

    /// An item outside any sandbox: its content type as it was sent and its bytes (as stored,
    /// even while the [consistency delay](EdgeKvEmulatorBuilder::consistency_delay) hides it
    /// from the API).
    pub fn item(
        &self,
        network: Network,
        namespace: &str,
        group: &str,
        item: &str,
    ) -> Option<(Option<String>, Vec<u8>)> {
        self.sandbox_item(network, namespace, None, group, item)
    }

    /// An item of a sandbox (or outside any when `None`).
    pub fn sandbox_item(
        &self,
        network: Network,
        namespace: &str,
        sandbox: Option<&str>,
        group: &str,
        item: &str,
    ) -> Option<(Option<String>, Vec<u8>)> {
        let key = (
            network,
            namespace.to_owned(),
            sandbox.map(str::to_owned),
            group.to_owned(),
            item.to_owned(),
        );
        lock(&self.core.api.db)
            .items
            .get(&key)
            .map(|s| (s.content_type.clone(), s.bytes.to_vec()))
    }

    /// Adds an access token that is already active, with read/write/delete permission on
    /// `namespaces`, allowed on both networks, expiring on `expiry` (which may be in the past,
    /// to exercise the 410 of an expired token).
    pub fn seed_token(&self, name: &str, namespaces: &[&str], expiry: NaiveDate) -> String {
        let mut db = lock(&self.core.api.db);
        let uuid = db.next_uuid(name);
        let today = db.today();
        let permissions = namespaces
            .iter()
            .map(|ns| {
                (
                    (*ns).to_owned(),
                    vec!["r".to_owned(), "w".to_owned(), "d".to_owned()],
                )
            })
            .collect();
        db.seed_token(
            name,
            Token {
                uuid: uuid.clone(),
                expiry,
                issue_date: today.min(expiry),
                latest_refresh: None,
                allow_on_staging: true,
                allow_on_production: true,
                permissions,
                edgeworkers: Vec::new(),
                value: None,
                activation_reads: 0,
            },
        );
        uuid
    }

    /// The names of the stored tokens, expired ones included.
    pub fn token_names(&self) -> Vec<String> {
        lock(&self.core.api.db).tokens.keys().cloned().collect()
    }

    /// Moves the emulator's calendar (token issue, expiry and refresh dates) by `days`
    /// (signature timestamps are still checked against the real clock).
    pub fn advance_days(&self, days: i64) {
        lock(&self.core.api.db).today_offset_days += days;
    }

    /// The date the emulator considers today.
    pub fn today(&self) -> NaiveDate {
        lock(&self.core.api.db).today()
    }
}

#[derive(Debug)]
struct KvApi {
    db: Mutex<Db>,
    verifier: Mutex<Verifier>,
    limiter: Mutex<RateLimiter>,
    edge_network: Network,
}

impl KvApi {
    /// The rate limit's verdict on a request to the API: `Some` 429 when it is refused.
    fn throttle(&self) -> Option<Reply> {
        let (refused, retry_after) = {
            let mut limiter = lock(&self.limiter);
            // Taken under the lock, so that the window's hits are in order.
            let refused = limiter.hit(Instant::now()).err()?;
            (refused, limiter.retry_after)
        };
        let Throttled { hits, limit } = refused;
        let detail = format!(
            "Your request has been denied: {hits} hits per second too high. limit set at \
             {limit}. Please try again soon."
        );
        let mut reply = lock(&self.db).problem(429, TOO_MANY_REQUESTS_CODE, &detail);
        reply.throttled = true;
        if let Some(secs) = retry_after {
            reply = reply.header("retry-after", secs.to_string());
        }
        Some(reply)
    }
}

fn unauthorized(refusal: &Refusal, exchange: &Exchange) -> Reply {
    Reply::problem(
        401,
        &json!({
            "type": "https://problems.luna.akamaiapis.net/-/pep-authn/deny",
            "title": "Not authorized",
            "status": 401,
            "detail": refusal.detail(),
            "instance": format!("https://{}{}", exchange.header("host").unwrap_or(""), exchange.path),
            "method": exchange.method,
        }),
    )
}

impl Api for KvApi {
    fn operation(&self, method: &str, segments: &[String]) -> Option<&'static str> {
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Some(rest) = s.strip_prefix(&["api", "v1"]) {
            return match (method, rest) {
                ("GET", ["namespaces", _, "groups", _, "items", _]) => Some("edge-get-item"),
                ("PUT", ["namespaces", _, "groups", _, "items", _]) => Some("edge-put-item"),
                ("DELETE", ["namespaces", _, "groups", _, "items", _]) => Some("edge-delete-item"),
                _ => None,
            };
        }
        let rest = s.strip_prefix(&["edgekv", "v1"])?;
        Some(match (method, rest) {
            ("PUT", ["auth", "database"]) => "put-auth-database",
            ("GET", ["auth", "groups"]) => "get-groups",
            ("GET", ["auth", "groups", _]) => "get-group",
            ("PUT", ["auth", "namespaces", _]) => "put-reauthorize-namespace",
            ("GET", ["initialize"]) => "get-initialize",
            ("PUT", ["initialize"]) => "put-initialize",
            ("POST", ["networks", _, "namespaces"]) => "post-namespace",
            ("GET", ["networks", _, "namespaces"]) => "get-namespaces",
            ("GET", ["networks", _, "namespaces", _]) => "get-namespace",
            ("PUT", ["networks", _, "namespaces", _]) => "put-namespace",
            ("GET", ["networks", _, "namespaces", _, "groups"]) => "get-namespace-groups",
            ("GET", ["networks", _, "namespaces", _, "groups", _]) => "get-group-items",
            ("GET", ["networks", _, "namespaces", _, "groups", _, "items", _]) => "get-item",
            ("PUT", ["networks", _, "namespaces", _, "groups", _, "items", _]) => "put-item",
            ("DELETE", ["networks", _, "namespaces", _, "groups", _, "items", _]) => "delete-item",
            ("POST", ["tokens"]) => "post-tokens",
            ("GET", ["tokens"]) => "get-tokens",
            ("GET", ["tokens", _]) => "get-token",
            ("DELETE", ["tokens", _]) => "delete-token",
            ("POST", ["tokens", _, "refresh"]) => "post-token-refresh",
            _ => return None,
        })
    }

    fn handle(&self, exchange: &Exchange, _operation: Option<&'static str>) -> Reply {
        let segments = exchange.segments();
        // The rate limit comes first, as Akamai's gateway throttles before the API (and its
        // signature check) sees a request; the edge data path is not limited.
        let api = match &segments {
            Some(s) => s.len() >= 2 && s[0] == "edgekv" && s[1] == "v1",
            None => exchange.path.starts_with("/edgekv/v1/"),
        };
        if api {
            if let Some(refused) = self.throttle() {
                return refused;
            }
        }
        let Some(segments) = segments else {
            return lock(&self.db).problem(
                400,
                "EKV_2000",
                "The path is not valid UTF-8 once decoded.",
            );
        };
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Some(rest) = s.strip_prefix(&["api", "v1"]) {
            // The edge path is authorised by access tokens, not EdgeGrid.
            return lock(&self.db).edge(exchange, rest, self.edge_network);
        }
        let signed = Signed {
            method: &exchange.method,
            scheme: "http",
            host: exchange.header("host").unwrap_or(""),
            target: &exchange.target,
            body: &exchange.body,
            authorization: exchange.header("authorization"),
        };
        if let Err(refusal) = lock(&self.verifier).verify(&signed, chrono::Utc::now()) {
            let mut reply = unauthorized(&refusal, exchange);
            if refusal == Refusal::Replay {
                reply.replay = true;
            } else {
                reply.signature_failure = true;
            }
            return reply;
        }
        lock(&self.db).handle(exchange, &segments)
    }

    fn fault_body(&self, status: u16) -> Value {
        let code = if status == 429 {
            TOO_MANY_REQUESTS_CODE
        } else {
            "EKV_0000"
        };
        let mut reply = lock(&self.db).problem(status, code, "Injected by a fault rule.");
        serde_json::from_slice(&std::mem::take(&mut reply.body)).unwrap_or(Value::Null)
    }
}
