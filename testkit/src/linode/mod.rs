//! The Linode emulator: the parent/child-account operations the SDK uses, with a parent
//! token, deterministic child accounts, pagination, `X-Filter`, proxy tokens and rate limits;
//! and, for the parent and every child account, its own Linode instances, Volumes and Domains.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::linode::LinodeClient;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::core::{lock, Api, Core, Exchange, Reply};
use crate::faults::Fault;
use crate::journal::{Counters, LoggedRequest};
use crate::server::Server;

mod listing;
mod resources;

pub use resources::{Owner, ResourceKind, INSTANCE_TYPES, REGIONS};
use resources::{Request, Resources};

/// The default parent token.
pub const DEFAULT_PARENT_TOKEN: &str = "emulator-parent-token-7f9c2e51a0d84b3c";
/// The parent user's name.
pub const PARENT_USERNAME: &str = "parent-user";
/// The parent account's company.
pub const PARENT_COMPANY: &str = "Emulated Parent Inc";
/// The fields of a child account the API filters and orders on.
pub const FILTERABLE: [&str; 11] = [
    "address_1",
    "address_2",
    "city",
    "company",
    "country",
    "email",
    "first_name",
    "last_name",
    "phone",
    "state",
    "zip",
];

const COMPANIES: [&str; 5] = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"];
const PLACES: [(&str, &str, &str); 4] = [
    ("Philadelphia", "PA", "US"),
    ("Berlin", "BE", "DE"),
    ("Osaka", "27", "JP"),
    ("Lyon", "ARA", "FR"),
];
const FIRST_NAMES: [&str; 6] = ["Kim", "Alex", "Sam", "Robin", "Noa", "Yuki"];
const LAST_NAMES: [&str; 7] = [
    "Lee", "Garcia", "Schmidt", "Tanaka", "Martin", "Okafor", "Rossi",
];

/// Options of a [`LinodeEmulator`].
#[derive(Debug, Clone)]
pub struct LinodeEmulatorBuilder {
    port: u16,
    children: usize,
    parent_token: String,
    token_lifetime: Duration,
    token_life_overstated_by: Duration,
    restricted: bool,
    child_account_access: bool,
    rate_limit: u32,
    resources: [usize; 3],
}

impl Default for LinodeEmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            children: 3,
            parent_token: DEFAULT_PARENT_TOKEN.to_owned(),
            token_lifetime: Duration::from_secs(15 * 60),
            token_life_overstated_by: Duration::ZERO,
            restricted: false,
            child_account_access: true,
            rate_limit: 100_000,
            resources: [3; 3],
        }
    }
}

impl LinodeEmulatorBuilder {
    /// How many child accounts the parent has (default 3); they are the same on every run
    /// (see [`LinodeEmulator::child_account`]).
    pub fn children(mut self, n: usize) -> Self {
        self.children = n;
        self
    }

    /// Listens on this port of 127.0.0.1 (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The parent user's token (default [`DEFAULT_PARENT_TOKEN`]).
    pub fn parent_token(mut self, token: impl Into<String>) -> Self {
        self.parent_token = token.into();
        self
    }

    /// How long a proxy token lives (default 15 minutes, like the API's).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Makes every proxy token stop working `by` before the lifetime its `created` and
    /// `expiry` say (default: none). The API gives both in whole seconds, so a token can live
    /// up to a second less than `expiry - created`; this makes that happen on every token.
    pub fn token_life_overstated_by(mut self, by: Duration) -> Self {
        self.token_life_overstated_by = by;
        self
    }

    /// Makes the parent user restricted, with or without the `child_account_access` grant
    /// (default: unrestricted). Without it, creating a proxy token answers 403.
    pub fn restricted_parent(mut self, child_account_access: bool) -> Self {
        self.child_account_access = child_account_access;
        self.restricted = true;
        self
    }

    /// Requests allowed per token and minute before 429 (default 100000, so that a test suite never hits it by accident).
    pub fn rate_limit(mut self, per_minute: u32) -> Self {
        self.rate_limit = per_minute;
        self
    }

    /// How many Linode instances, Volumes and Domains each account (the parent and every
    /// child) starts with (default 3 of each); the same on every run. An account's resources
    /// are generated when first used, so many children cost nothing until touched.
    pub fn resources_per_account(mut self, n: usize) -> Self {
        self.resources = [n; 3];
        self
    }

    /// How many resources of `kind` each account starts with (for example 130 instances to
    /// list several pages), leaving the other kinds as they are. At most 999999.
    pub fn per_account(mut self, kind: ResourceKind, n: usize) -> Self {
        self.resources[kind.index()] = n;
        self
    }

    /// Binds 127.0.0.1 and starts serving.
    pub async fn start(self) -> std::io::Result<LinodeEmulator> {
        let state = State::new(&self);
        let api = LinodeApi {
            state: Mutex::new(state),
            settings: self.clone(),
        };
        let (core, server) = Core::start(api, self.port).await?;
        Ok(LinodeEmulator { core, server })
    }
}

/// A running Linode emulator on 127.0.0.1, stopped when dropped. Its base URL ends in `/v4`
/// (`/v4beta` is served too).
///
/// Besides the parent/child-account operations, every account (the parent, and each child
/// account through its proxy tokens) has its own Linode instances, Volumes and Domains
/// ([`resources_per_account`](LinodeEmulatorBuilder::resources_per_account) of each to start
/// with): `GET`/`POST /linode/instances`, `GET`/`PUT`/`DELETE /linode/instances/{linodeId}`,
/// and the same on `/volumes` and `/domains`. A request sees only its own account's; any
/// other id answers 404 `{"errors":[{"reason":"Not found"}]}`. Lists page and filter like the
/// child-account list (`page`, `page_size` 25-500, `X-Filter` on the fields of
/// [`ResourceKind::filterable`]); a create or update with a missing or bad field answers 400
/// `{"errors":[{"field":"region","reason":"region is required"}]}`.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use futures::TryStreamExt;
/// let linode = akamai_sdk_testkit::LinodeEmulator::builder().children(120).start().await?;
/// let accounts: Vec<_> = linode.parent_client().child_accounts().stream().try_collect().await?;
/// assert_eq!(accounts.len(), 120);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LinodeEmulator {
    core: Arc<Core<LinodeApi>>,
    server: Server,
}

impl LinodeEmulator {
    /// Starts an emulator with the default options (3 child accounts).
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// Options before starting.
    pub fn builder() -> LinodeEmulatorBuilder {
        LinodeEmulatorBuilder::default()
    }

    /// The base URL, `http://127.0.0.1:PORT/v4`.
    pub fn url(&self) -> String {
        format!("http://{}/v4", self.server.addr())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The parent user's token.
    pub fn parent_token(&self) -> String {
        self.core.api.settings.parent_token.clone()
    }

    /// A parent client configured for it: plain http on loopback, default retry policy.
    pub fn parent_client(&self) -> LinodeClient {
        self.parent_client_with(HttpConfig::new())
    }

    /// A parent client with `config` (loopback http is allowed on top of it).
    pub fn parent_client_with(&self, config: HttpConfig) -> LinodeClient {
        LinodeClient::builder()
            .token(self.parent_token())
            .base_url(self.url())
            .http_config(config.allow_insecure_loopback(true))
            .build()
            .expect("the emulator's base URL and token are valid")
    }

    /// The euuids of the child accounts, in listing order.
    pub fn euuids(&self) -> Vec<String> {
        let state = lock(&self.core.api.state);
        state.children.iter().map(|c| c.euuid.clone()).collect()
    }

    /// The child account `euuid` as the API returns it.
    pub fn child_account(&self, euuid: &str) -> Option<Value> {
        let state = lock(&self.core.api.state);
        state.child(euuid).map(|c| c.json.clone())
    }

    /// Adds a child account (seeding from code): `fields` override the generated ones
    /// (`company`, `email`, `city`…). Returns its euuid.
    pub fn add_child(&self, fields: Value) -> String {
        let mut state = lock(&self.core.api.state);
        let index = state.children.len() + 1;
        let mut child = Child::generated(index);
        if let (Value::Object(json), Value::Object(fields)) = (&mut child.json, fields) {
            for (k, v) in fields {
                json.insert(k, v);
            }
        }
        if let Some(euuid) = child.json.get("euuid").and_then(Value::as_str) {
            child.euuid = euuid.to_owned();
        }
        let euuid = child.euuid.clone();
        state.children.push(child);
        euuid
    }

    /// The resources of `kind` that `owner` holds now, by id, as the API returns them
    /// (`None` for an unknown child account). `owner` is [`Owner::Parent`] or a child
    /// account's euuid (`&str`).
    pub fn resources<'a>(
        &self,
        kind: ResourceKind,
        owner: impl Into<Owner<'a>>,
    ) -> Option<Vec<Value>> {
        let mut state = lock(&self.core.api.state);
        state.resources(owner.into()).map(|r| r.list(kind))
    }

    /// The Linode instances `owner` holds now (see [`resources`](Self::resources)).
    pub fn instances<'a>(&self, owner: impl Into<Owner<'a>>) -> Option<Vec<Value>> {
        self.resources(ResourceKind::Instances, owner)
    }

    /// The Volumes `owner` holds now (see [`resources`](Self::resources)).
    pub fn volumes<'a>(&self, owner: impl Into<Owner<'a>>) -> Option<Vec<Value>> {
        self.resources(ResourceKind::Volumes, owner)
    }

    /// The Domains `owner` holds now (see [`resources`](Self::resources)).
    pub fn domains<'a>(&self, owner: impl Into<Owner<'a>>) -> Option<Vec<Value>> {
        self.resources(ResourceKind::Domains, owner)
    }

    /// Adds a resource to `owner` (seeding from code): the next generated one of `kind`, with
    /// `fields` (an object) over the generated ones; the id stays the emulator's. Returns it
    /// as stored, or `None` for an unknown child account or when the account is full. Unlike
    /// a `POST`, nothing is validated.
    pub fn add_resource<'a>(
        &self,
        kind: ResourceKind,
        owner: impl Into<Owner<'a>>,
        fields: Value,
    ) -> Option<Value> {
        let fields = match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let mut state = lock(&self.core.api.state);
        state.resources(owner.into())?.add_generated(kind, fields)
    }

    /// The proxy tokens created so far: `(id, euuid, revoked)`.
    pub fn proxy_tokens(&self) -> Vec<(i64, String, bool)> {
        let state = lock(&self.core.api.state);
        state
            .tokens
            .values()
            .map(|t| (t.id, t.euuid.clone(), t.revoked))
            .collect()
    }

    /// Moves the emulator's clock forward (token expiry, rate-limit windows).
    pub fn advance_clock(&self, by: Duration) {
        let mut state = lock(&self.core.api.state);
        state.offset += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
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

    /// Back to the state it started in: accounts, their resources, tokens, clock, fault rules,
    /// log, counters.
    pub fn reset(&self) {
        *lock(&self.core.api.state) = State::new(&self.core.api.settings);
        self.core.reset();
    }
}

#[derive(Debug)]
struct Child {
    euuid: String,
    json: Value,
    /// Generated on first use.
    resources: Option<Resources>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl Child {
    fn generated(i: usize) -> Self {
        let h = hex(&Sha256::digest(
            format!("akamai-sdk-testkit child {i}").as_bytes(),
        ));
        let euuid = format!("{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..32]);
        let company = format!("{} {i:03}", COMPANIES[i % COMPANIES.len()]);
        let (city, state, country) = PLACES[i % PLACES.len()];
        let since = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("a valid date")
            + chrono::Days::new(i as u64);
        let json = json!({
            "euuid": euuid,
            "company": company,
            "email": format!("admin{i:03}@{}.example", COMPANIES[i % COMPANIES.len()].to_lowercase()),
            "first_name": FIRST_NAMES[i % FIRST_NAMES.len()],
            "last_name": LAST_NAMES[i % LAST_NAMES.len()],
            "address_1": format!("{i} Main Street"),
            "address_2": "",
            "city": city,
            "state": state,
            "country": country,
            "zip": format!("{:05}", 10_000 + i),
            "phone": format!("215-555-{:04}", i % 10_000),
            "tax_id": "",
            "balance": 0,
            "balance_uninvoiced": 0,
            "billing_source": "external",
            "active_since": format!("{since}T00:00:00"),
            "capabilities": ["Linodes", "NodeBalancers", "Block Storage", "Object Storage"],
            "credit_card": {"last_four": null, "expiry": null},
        });
        Self {
            euuid,
            json,
            resources: None,
        }
    }

    fn proxy_username(&self) -> String {
        // The documented convention: the first 15 characters of the parent company, then
        // the first 16 hex digits of SHA-256(company followed by euuid).
        let company: String = PARENT_COMPANY.chars().take(15).collect();
        let h = Sha256::digest(format!("{PARENT_COMPANY}{}", self.euuid).as_bytes());
        let h: String = h.iter().map(|b| format!("{b:02x}")).collect();
        format!("{company}_{}", &h[..16])
    }
}

#[derive(Debug, Clone)]
struct ProxyToken {
    id: i64,
    euuid: String,
    expiry: DateTime<Utc>,
    revoked: bool,
}

#[derive(Debug)]
struct State {
    children: Vec<Child>,
    /// By token text.
    tokens: BTreeMap<String, ProxyToken>,
    next_token_id: i64,
    offset: chrono::Duration,
    /// Per token: start of the current minute window and requests in it.
    windows: BTreeMap<String, (DateTime<Utc>, u32)>,
    /// The parent account's resources, generated on first use.
    parent_resources: Option<Resources>,
    /// How many of each kind an account starts with.
    resource_counts: [usize; 3],
}

impl State {
    fn new(settings: &LinodeEmulatorBuilder) -> Self {
        Self {
            children: (1..=settings.children).map(Child::generated).collect(),
            tokens: BTreeMap::new(),
            next_token_id: 1000,
            offset: chrono::Duration::zero(),
            windows: BTreeMap::new(),
            parent_resources: None,
            resource_counts: settings.resources,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    fn child(&self, euuid: &str) -> Option<&Child> {
        self.children.iter().find(|c| c.euuid == euuid)
    }
}

#[derive(Debug)]
struct LinodeApi {
    state: Mutex<State>,
    settings: LinodeEmulatorBuilder,
}

/// Who a request acts as.
enum Principal {
    Parent,
    Proxy { euuid: String, token_id: i64 },
}

impl Principal {
    /// Whose resources it sees.
    fn owner(&self) -> Owner<'_> {
        match self {
            Self::Parent => Owner::Parent,
            Self::Proxy { euuid, .. } => Owner::Child(euuid),
        }
    }

    /// How the request log names it.
    fn label(&self) -> String {
        match self {
            Self::Parent => "parent".to_owned(),
            Self::Proxy { euuid, .. } => format!("proxy {euuid}"),
        }
    }
}

fn errors(status: u16, reason: &str) -> Reply {
    Reply::json(status, &json!({"errors": [{"reason": reason}]}))
}

fn field_error(status: u16, field: &str, reason: &str) -> Reply {
    Reply::json(
        status,
        &json!({"errors": [{"field": field, "reason": reason}]}),
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl Api for LinodeApi {
    fn operation(&self, method: &str, segments: &[String]) -> Option<&'static str> {
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let rest = match s.split_first() {
            Some((&("v4" | "v4beta"), rest)) => rest,
            _ => return None,
        };
        Some(match (method, rest) {
            ("GET", ["account", "child-accounts"]) => "get-child-accounts",
            ("GET", ["account", "child-accounts", _]) => "get-child-account",
            ("POST", ["account", "child-accounts", _, "token"]) => "post-child-account-token",
            ("GET", ["account"]) => "get-account",
            ("GET", ["profile"]) => "get-profile",
            ("GET", ["profile", "grants"]) => "get-profile-grants",
            ("GET", ["account", "users", _, "grants"]) => "get-user-grants",
            ("DELETE", ["profile", "tokens", _]) => "delete-personal-access-token",
            _ => return resources::operation(method, rest),
        })
    }

    fn handle(&self, exchange: &Exchange, operation: Option<&'static str>) -> Reply {
        let mut state = lock(&self.state);
        let now = state.now();
        let bearer = exchange
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let principal = match bearer.as_deref() {
            Some(t) if t == self.settings.parent_token => Some(Principal::Parent),
            Some(t) => state
                .tokens
                .get(t)
                .filter(|p| !p.revoked && p.expiry > now)
                .map(|p| Principal::Proxy {
                    euuid: p.euuid.clone(),
                    token_id: p.id,
                }),
            None => None,
        };
        let (Some(principal), Some(token)) = (principal, bearer) else {
            let mut reply = errors(401, "Invalid Token");
            reply.signature_failure = true;
            return reply;
        };
        // Rate limit: one window per token and minute.
        let limit = self.settings.rate_limit;
        let window = state.windows.entry(token).or_insert((now, 0));
        if now - window.0 >= chrono::Duration::seconds(60) {
            *window = (now, 0);
        }
        window.1 += 1;
        let (used, reset) = (window.1, window.0 + chrono::Duration::seconds(60));
        let acting_as = principal.label();
        let rate = |reply: Reply| {
            reply
                .acting_as(acting_as.clone())
                .header("x-ratelimit-limit", limit.to_string())
                .header(
                    "x-ratelimit-remaining",
                    limit.saturating_sub(used).to_string(),
                )
                .header("x-ratelimit-reset", reset.timestamp().to_string())
        };
        if used > limit {
            let wait = (reset - now).num_seconds().max(1);
            return rate(errors(429, "Too many requests").header("retry-after", wait.to_string()));
        }
        let Some(operation) = operation else {
            return rate(errors(404, "Not found"));
        };
        let segments = exchange.segments().unwrap_or_default();
        let reply = self.dispatch(
            &mut state,
            exchange,
            operation,
            &segments[1..],
            &principal,
            now,
        );
        rate(reply)
    }

    fn fault_body(&self, status: u16) -> Value {
        json!({"errors": [{"reason": format!("Injected by a fault rule (status {status}).")}]})
    }
}

impl LinodeApi {
    fn grants_json(&self, child_account_access: bool) -> Value {
        json!({
            "global": {
                "account_access": "read_write",
                "add_linodes": true,
                "add_domains": true,
                "add_volumes": true,
                "cancel_account": false,
                "child_account_access": child_account_access,
            },
            "linode": [], "domain": [], "nodebalancer": [], "image": [],
            "longview": [], "stackscript": [], "volume": [], "database": [],
        })
    }

    fn dispatch(
        &self,
        state: &mut State,
        exchange: &Exchange,
        operation: &'static str,
        rest: &[String],
        principal: &Principal,
        now: DateTime<Utc>,
    ) -> Reply {
        let parent_only = matches!(
            operation,
            "get-child-accounts" | "get-child-account" | "post-child-account-token"
        );
        if parent_only && !matches!(principal, Principal::Parent) {
            return errors(401, "Invalid Token");
        }
        if let Some((kind, action)) = resources::route(operation) {
            let request = Request {
                kind,
                action,
                item: rest.last().map(String::as_str),
                exchange,
                now: time(now),
            };
            return resources::serve(state, principal.owner(), &request);
        }
        match operation {
            "get-child-accounts" => self.list(state, exchange),
            "get-child-account" => match state.child(&rest[2]) {
                Some(child) => Reply::json(200, &child.json),
                None => errors(404, "Not found"),
            },
            "post-child-account-token" => {
                if self.settings.restricted && !self.settings.child_account_access {
                    return errors(403, "Unauthorized");
                }
                let Some(euuid) = state.child(&rest[2]).map(|c| c.euuid.clone()) else {
                    return errors(404, "Not found");
                };
                state.next_token_id += 1;
                let id = state.next_token_id;
                let token =
                    hex(&Sha256::digest(format!("proxy {id} {euuid}").as_bytes())).to_lowercase();
                let lifetime = chrono::Duration::from_std(self.settings.token_lifetime)
                    .unwrap_or(chrono::Duration::minutes(15));
                let expiry = now + lifetime;
                let overstated = chrono::Duration::from_std(self.settings.token_life_overstated_by)
                    .unwrap_or(chrono::Duration::zero());
                state.tokens.insert(
                    token.clone(),
                    ProxyToken {
                        id,
                        euuid: euuid.clone(),
                        expiry: expiry - overstated,
                        revoked: false,
                    },
                );
                let mut reply = Reply::json(
                    200,
                    &json!({
                        "id": id,
                        "token": token,
                        "label": format!("{PARENT_USERNAME}_{id}_{}", time(now)),
                        "created": time(now),
                        "expiry": time(expiry),
                        "scopes": "*",
                    }),
                );
                reply.mint = Some(euuid);
                reply
            }
            "get-account" => match principal {
                Principal::Parent => Reply::json(
                    200,
                    &json!({
                        "euuid": "A0A0A0A0-0000-4000-8000-000000000001",
                        "company": PARENT_COMPANY,
                        "email": "admin@parent.example",
                        "first_name": "Pat", "last_name": "Parent",
                        "address_1": "1 Parent Plaza", "address_2": "",
                        "city": "Philadelphia", "state": "PA", "country": "US", "zip": "19102",
                        "phone": "215-555-0000", "tax_id": "", "balance": 0, "balance_uninvoiced": 0,
                        "billing_source": "akamai", "active_since": "2018-01-01T00:00:00",
                        "capabilities": ["Linodes", "NodeBalancers", "Block Storage", "Object Storage"],
                        "credit_card": {"last_four": "1111", "expiry": "11/2030"},
                    }),
                ),
                Principal::Proxy { euuid, .. } => match state.child(euuid) {
                    Some(child) => Reply::json(200, &child.json),
                    None => errors(404, "Not found"),
                },
            },
            "get-profile" => Reply::json(200, &self.profile(state, principal)),
            "get-profile-grants" => self.grants_of(principal),
            "get-user-grants" => {
                let wanted = &rest[2];
                let own = match principal {
                    Principal::Parent => wanted == PARENT_USERNAME,
                    Principal::Proxy { euuid, .. } => {
                        state.child(euuid).map(Child::proxy_username).as_ref() == Some(wanted)
                    }
                };
                if own {
                    self.grants_of(principal)
                } else {
                    errors(404, "Not found")
                }
            }
            "delete-personal-access-token" => {
                let Ok(id) = rest[2].parse::<i64>() else {
                    return errors(404, "Not found");
                };
                let Principal::Proxy { euuid, .. } = principal else {
                    return errors(404, "Not found");
                };
                match state
                    .tokens
                    .values_mut()
                    .find(|t| t.id == id && &t.euuid == euuid && !t.revoked)
                {
                    Some(token) => {
                        token.revoked = true;
                        Reply::json(200, &json!({}))
                    }
                    None => errors(404, "Not found"),
                }
            }
            _ => errors(404, "Not found"),
        }
    }

    fn profile(&self, state: &State, principal: &Principal) -> Value {
        let (username, email, restricted, uid, user_type) = match principal {
            Principal::Parent => (
                PARENT_USERNAME.to_owned(),
                "parent-user@parent.example".to_owned(),
                self.settings.restricted,
                1234,
                "parent",
            ),
            Principal::Proxy { euuid, token_id } => {
                let name = state
                    .child(euuid)
                    .map(Child::proxy_username)
                    .unwrap_or_default();
                (
                    name,
                    "proxy@child.example".to_owned(),
                    true,
                    5000 + token_id % 1000,
                    "proxy",
                )
            }
        };
        json!({
            "username": username, "email": email, "restricted": restricted, "uid": uid,
            "user_type": user_type, "timezone": "US/Eastern", "email_notifications": true,
            "two_factor_auth": false, "ip_whitelist_enabled": false, "lish_auth_method": "keys_only",
            "authentication_type": "password", "authorized_keys": [], "verified_phone_number": null,
            "referrals": {"code": "0", "url": "https://www.linode.com/?r=0", "total": 0,
                          "completed": 0, "pending": 0, "credit": 0},
        })
    }

    fn grants_of(&self, principal: &Principal) -> Reply {
        match principal {
            Principal::Parent if !self.settings.restricted => Reply::empty(204),
            Principal::Parent => {
                Reply::json(200, &self.grants_json(self.settings.child_account_access))
            }
            Principal::Proxy { .. } => Reply::json(200, &self.grants_json(false)),
        }
    }

    fn list(&self, state: &State, exchange: &Exchange) -> Reply {
        let accounts: Vec<&Value> = state.children.iter().map(|c| &c.json).collect();
        listing::page(exchange, accounts, |field| {
            FILTERABLE
                .contains(&field)
                .then_some(listing::FieldKind::Text)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_deterministic() {
        let a = Child::generated(7);
        assert_eq!(a.euuid, Child::generated(7).euuid);
        assert_ne!(a.euuid, Child::generated(8).euuid);
        assert_eq!(a.euuid.len(), 35);
        assert!(a.proxy_username().starts_with("Emulated Parent_"));
    }
}
