//! The Linode emulator: the parent/child-account operations the SDK uses, with a parent
//! token, deterministic child accounts, pagination, `X-Filter`, proxy tokens and rate limits.

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
    restricted: bool,
    child_account_access: bool,
    rate_limit: u32,
}

impl Default for LinodeEmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            children: 3,
            parent_token: DEFAULT_PARENT_TOKEN.to_owned(),
            token_lifetime: Duration::from_secs(15 * 60),
            restricted: false,
            child_account_access: true,
            rate_limit: 100_000,
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

    /// Back to the state it started in: accounts, tokens, clock, fault rules, log, counters.
    pub fn reset(&self) {
        *lock(&self.core.api.state) = State::new(&self.core.api.settings);
        self.core.reset();
    }
}

#[derive(Debug, Clone)]
struct Child {
    euuid: String,
    json: Value,
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
        Self { euuid, json }
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
}

impl State {
    fn new(settings: &LinodeEmulatorBuilder) -> Self {
        Self {
            children: (1..=settings.children).map(Child::generated).collect(),
            tokens: BTreeMap::new(),
            next_token_id: 1000,
            offset: chrono::Duration::zero(),
            windows: BTreeMap::new(),
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
            _ => return None,
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
                let Some(child) = state.child(&rest[2]).cloned() else {
                    return errors(404, "Not found");
                };
                state.next_token_id += 1;
                let id = state.next_token_id;
                let token = hex(&Sha256::digest(
                    format!("proxy {id} {}", child.euuid).as_bytes(),
                ))
                .to_lowercase();
                let lifetime = chrono::Duration::from_std(self.settings.token_lifetime)
                    .unwrap_or(chrono::Duration::minutes(15));
                let expiry = now + lifetime;
                state.tokens.insert(
                    token.clone(),
                    ProxyToken {
                        id,
                        euuid: child.euuid.clone(),
                        expiry,
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
                reply.mint = Some(child.euuid);
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
        let page = match exchange.query("page").map(str::parse::<u64>) {
            None => 1,
            Some(Ok(p)) if p >= 1 => p,
            Some(_) => return field_error(400, "page", "Must be a positive integer"),
        };
        let page_size = match exchange.query("page_size").map(str::parse::<u64>) {
            None => 100,
            Some(Ok(s)) if (25..=500).contains(&s) => s,
            Some(_) => return field_error(400, "page_size", "Must be 25-500"),
        };
        let filter = match exchange.header("x-filter") {
            None => Map::new(),
            Some(raw) => match serde_json::from_str::<Value>(raw) {
                Ok(Value::Object(map)) => map,
                _ => return errors(400, "Invalid JSON in X-Filter"),
            },
        };
        let mut accounts = Vec::new();
        for child in &state.children {
            match matches(&filter, &child.json) {
                Ok(true) => accounts.push(&child.json),
                Ok(false) => {}
                Err(reason) => return errors(400, &reason),
            }
        }
        if let Some(field) = filter.get("+order_by") {
            let Some(field) = field.as_str().filter(|f| FILTERABLE.contains(f)) else {
                return errors(400, "Cannot order by this field");
            };
            let desc = match filter.get("+order").map(Value::as_str) {
                None | Some(Some("asc")) => false,
                Some(Some("desc")) => true,
                _ => return errors(400, "+order must be asc or desc"),
            };
            accounts.sort_by(|a, b| {
                let key = |v: &Value| {
                    v.get(field)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let ord = key(a).cmp(&key(b));
                if desc {
                    ord.reverse()
                } else {
                    ord
                }
            });
        }
        let results = accounts.len() as u64;
        let pages = results.div_ceil(page_size).max(1);
        let start = ((page - 1) * page_size).min(results) as usize;
        let end = (start + page_size as usize).min(accounts.len());
        let data: Vec<&Value> = accounts[start..end].to_vec();
        Reply::json(
            200,
            &json!({"data": data, "page": page, "pages": pages, "results": results}),
        )
    }
}

/// Whether `account` passes `filter` (top-level keys all hold; `+or`/`+and` take lists of
/// filters).
fn matches(filter: &Map<String, Value>, account: &Value) -> Result<bool, String> {
    for (key, condition) in filter {
        let holds = match key.as_str() {
            "+order_by" | "+order" => true,
            "+or" | "+and" => {
                let Some(list) = condition.as_array() else {
                    return Err(format!("{key} takes a list of filters"));
                };
                let mut results = Vec::new();
                for f in list {
                    let Some(f) = f.as_object() else {
                        return Err(format!("{key} takes a list of filters"));
                    };
                    results.push(matches(f, account)?);
                }
                if key == "+or" {
                    results.iter().any(|r| *r)
                } else {
                    results.iter().all(|r| *r)
                }
            }
            field if FILTERABLE.contains(&field) => {
                let actual = account.get(field).and_then(Value::as_str).unwrap_or("");
                condition_holds(field, condition, actual)?
            }
            other => return Err(format!("Cannot filter on {other}")),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

fn condition_holds(field: &str, condition: &Value, actual: &str) -> Result<bool, String> {
    match condition {
        Value::String(expected) => Ok(actual == expected),
        Value::Object(ops) => {
            for (op, value) in ops {
                let Some(value) = value.as_str() else {
                    return Err(format!("{field}: {op} takes a string"));
                };
                let holds = match op.as_str() {
                    "+contains" => actual.to_lowercase().contains(&value.to_lowercase()),
                    "+neq" => actual != value,
                    "+gt" => actual > value,
                    "+gte" => actual >= value,
                    "+lt" => actual < value,
                    "+lte" => actual <= value,
                    other => return Err(format!("{field}: unknown operator {other}")),
                };
                if !holds {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Value::Array(values) => Ok(values.iter().any(|v| v.as_str() == Some(actual))),
        _ => Err(format!("{field}: unsupported filter value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let a = json!({"company": "Acme 001", "country": "US", "city": "Berlin"});
        let f = |v: Value| matches(v.as_object().unwrap(), &a);
        assert_eq!(f(json!({"company": "Acme 001"})), Ok(true));
        assert_eq!(f(json!({"company": {"+contains": "acme"}})), Ok(true));
        assert_eq!(f(json!({"company": {"+neq": "Acme 001"}})), Ok(false));
        assert_eq!(
            f(json!({"+or": [{"country": "DE"}, {"city": "Berlin"}]})),
            Ok(true)
        );
        assert_eq!(
            f(json!({"+and": [{"country": "US"}, {"city": "Lyon"}]})),
            Ok(false)
        );
        assert!(f(json!({"euuid": "x"})).is_err());
        assert!(f(json!({"company": {"+like": "x"}})).is_err());
    }

    #[test]
    fn children_are_deterministic() {
        let a = Child::generated(7);
        assert_eq!(a.euuid, Child::generated(7).euuid);
        assert_ne!(a.euuid, Child::generated(8).euuid);
        assert_eq!(a.euuid.len(), 35);
        assert!(a.proxy_username().starts_with("Emulated Parent_"));
    }
}
