//! The in-memory EdgeKV database and the API's rules over it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use akamai_sdk::edgekv::Network;
use bytes::Bytes;
use chrono::{Days, NaiveDate};
use serde_json::{json, Map, Value};

use crate::core::{Exchange, Reply};

/// The largest item value the API accepts, in bytes.
pub const MAX_VALUE_BYTES: usize = 262_144;
/// The longest item key the API accepts.
pub const MAX_ITEM_ID_LEN: usize = 512;
/// The longest group id and namespace name the emulator accepts.
pub const MAX_NAME_LEN: usize = 128;
/// How far in the future a token may expire.
pub const MAX_TOKEN_DAYS: u64 = 183;
/// The most item ids one listing of a group answers, whatever its `maxItems` asks (a larger
/// `maxItems` is clamped, not refused).
pub const MAX_LIST_ITEMS: usize = 10_000;

const ALL_CAPABILITIES: [&str; 16] = [
    "READ_DATA",
    "WRITE_DATA",
    "DELETE_DATA",
    "READ_STAGING_DATA",
    "WRITE_STAGING_DATA",
    "DELETE_STAGING_DATA",
    "VIEW_NAMESPACE",
    "CREATE_NAMESPACE",
    "MODIFY_NAMESPACE",
    "DELETE_NAMESPACE",
    "AUTHORIZE_NAMESPACE",
    "VIEW_STAGING_NAMESPACE",
    "CREATE_STAGING_NAMESPACE",
    "MODIFY_STAGING_NAMESPACE",
    "DELETE_STAGING_NAMESPACE",
    "VIEW_TOKEN",
];

/// Where initialization stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Init {
    Uninitialized,
    /// `PENDING` for this many more reads of the status.
    Pending(u32),
    Initialized,
}

/// The database's default data access policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) restrict_data_access: bool,
    pub(crate) allow_namespace_policy_override: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            restrict_data_access: true,
            allow_namespace_policy_override: false,
        }
    }
}

/// A namespace on one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Namespace {
    pub(crate) retention: i64,
    pub(crate) group_id: i64,
    pub(crate) geo_location: String,
    pub(crate) restrict_data_access: bool,
    pub(crate) overridden: bool,
}

impl Namespace {
    fn json(&self, name: &str) -> Value {
        json!({
            "namespace": name,
            "retentionInSeconds": self.retention,
            "groupId": self.group_id,
            "geoLocation": self.geo_location,
            "dataAccessPolicy": {
                "policyType": if self.overridden { "overridden" } else { "inherited" },
                "restrictDataAccess": self.restrict_data_access,
            },
        })
    }
}

/// Where an item lives.
pub(crate) type ItemKey = (Network, String, Option<String>, String, String);

/// A stored item: its content type (as sent) and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: Bytes,
    /// When the API created it (a write where there was no item); `None` for a seeded item,
    /// there before anyone looked. An overwrite keeps it.
    pub(crate) created: Option<Instant>,
}

/// An access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) uuid: String,
    pub(crate) expiry: NaiveDate,
    pub(crate) issue_date: NaiveDate,
    pub(crate) latest_refresh: Option<NaiveDate>,
    pub(crate) allow_on_staging: bool,
    pub(crate) allow_on_production: bool,
    pub(crate) permissions: BTreeMap<String, Vec<String>>,
    pub(crate) edgeworkers: Vec<String>,
    /// The token's value, for tokens issued with one (see `legacy_token_values`): what
    /// `edgekv_tokens.js` holds as `value` and the edge path takes in `X-Akamai-EdgeDB-Auth`.
    pub(crate) value: Option<String>,
    /// Reads of the token left before it is `COMPLETE`.
    pub(crate) activation_reads: u32,
}

/// An access group of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthGroup {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) capabilities: Vec<String>,
}

/// Options fixed at start-up, kept for [`Db::reset`].
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) initialized: bool,
    pub(crate) init_polls: u32,
    pub(crate) activation_reads: u32,
    pub(crate) cpcode: String,
    pub(crate) max_value_bytes: usize,
    /// New tokens carry a `value` (as legacy tokens did).
    pub(crate) token_values: bool,
    /// How long a newly created item stays invisible to reads and listings.
    pub(crate) consistency_delay: Duration,
    /// The most ids one listing of a group answers (at least 1).
    pub(crate) max_list_items: usize,
}

/// The whole database.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) settings: Settings,
    pub(crate) init: Init,
    pub(crate) policy: Option<Policy>,
    pub(crate) namespaces: BTreeMap<(Network, String), Namespace>,
    pub(crate) items: BTreeMap<ItemKey, Stored>,
    pub(crate) tokens: BTreeMap<String, Token>,
    pub(crate) groups: Vec<AuthGroup>,
    pub(crate) today_offset_days: i64,
    token_seq: u64,
    request_seq: u64,
}

fn default_namespace() -> Namespace {
    Namespace {
        retention: 0,
        group_id: 0,
        geo_location: "US".to_owned(),
        restrict_data_access: true,
        overridden: false,
    }
}

/// Ids of groups and items: `A-Z a-z 0-9 _ -`.
pub(crate) fn is_id(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn parse_network(s: &str) -> Option<Network> {
    match s {
        "staging" => Some(Network::Staging),
        "production" => Some(Network::Production),
        _ => None,
    }
}

/// A boolean, or the documented strings `"true"` / `"false"`.
fn flag(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

impl Db {
    pub(crate) fn new(settings: Settings) -> Self {
        let mut db = Self {
            init: Init::Uninitialized,
            policy: None,
            namespaces: BTreeMap::new(),
            items: BTreeMap::new(),
            tokens: BTreeMap::new(),
            groups: vec![
                AuthGroup {
                    id: 0,
                    name: "Account Group".to_owned(),
                    capabilities: ALL_CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
                },
                AuthGroup {
                    id: 4284,
                    name: "Group #42".to_owned(),
                    capabilities: ALL_CAPABILITIES.iter().map(|c| (*c).to_owned()).collect(),
                },
            ],
            today_offset_days: 0,
            token_seq: 0,
            request_seq: 0,
            settings,
        };
        if db.settings.initialized {
            db.complete_initialization(Policy::default());
        }
        db
    }

    pub(crate) fn complete_initialization(&mut self, policy: Policy) {
        self.init = Init::Initialized;
        self.policy.get_or_insert(policy);
        for network in [Network::Staging, Network::Production] {
            self.namespaces
                .entry((network, "default".to_owned()))
                .or_insert_with(default_namespace);
        }
    }

    pub(crate) fn today(&self) -> NaiveDate {
        let today = chrono::Utc::now().date_naive();
        if self.today_offset_days >= 0 {
            today + Days::new(self.today_offset_days.unsigned_abs())
        } else {
            today - Days::new(self.today_offset_days.unsigned_abs())
        }
    }

    fn request_id(&mut self) -> String {
        self.request_seq += 1;
        format!("{:016x}", 0x6e6b_0000_0000_0000_u64 + self.request_seq)
    }

    /// Whether reads and listings see `stored` yet: an item the API created is hidden for the
    /// consistency delay after its creation (as EdgeKV may answer 404 for 10 s or more after
    /// a new item is written); an overwrite of a visible item is visible at once.
    fn visible(&self, stored: &Stored) -> bool {
        let delay = self.settings.consistency_delay;
        delay.is_zero()
            || stored
                .created
                .is_none_or(|created| created.elapsed() >= delay)
    }

    /// A problem+json answer in the API's shape.
    pub(crate) fn problem(&mut self, status: u16, code: &str, detail: &str) -> Reply {
        let (title, kind) = match status {
            400 => ("Bad Request", "edgekv-bad-request"),
            401 => ("Unauthorized", "edgekv-unauthorized"),
            403 => ("Forbidden", "edgekv-forbidden"),
            404 => ("Not Found", "edgekv-not-found"),
            409 => ("Conflict", "edgekv-conflict"),
            410 => ("Not Found", "edgekv-not-found"),
            413 => ("Payload Too Large", "edgekv-payload-too-large"),
            422 => ("Unprocessable Entity", "edgekv-unprocessable-entity"),
            429 => ("Too Many Requests", "edgekv-too-many-requests"),
            _ => ("Internal Server Error", "edgekv-internal-server-error"),
        };
        let request_id = self.request_id();
        Reply::problem(
            status,
            &json!({
                "type": format!("/edgekv/error-types/{kind}"),
                "title": title,
                "status": status,
                "detail": detail,
                "errorCode": code,
                "instance": format!("/edgekv/error-instances/{request_id}"),
                "additionalDetail": {"requestId": request_id},
            }),
        )
    }

    fn init_json(&self, reading: bool) -> Value {
        let (status, initialized) = match self.init {
            Init::Uninitialized => ("UNINITIALIZED", false),
            Init::Pending(_) => ("PENDING", false),
            Init::Initialized => ("INITIALIZED", true),
        };
        let _ = reading;
        json!({
            "accountStatus": status,
            "productionStatus": status,
            "stagingStatus": status,
            "cpcode": initialized.then(|| self.settings.cpcode.clone()),
            "dataAccessPolicy": self.policy.filter(|_| initialized).map(|p| json!({
                "restrictDataAccess": p.restrict_data_access,
                "allowNamespacePolicyOverride": p.allow_namespace_policy_override,
            })),
        })
    }

    fn token_json(&self, name: &str, token: &Token) -> Value {
        let status = if token.activation_reads == 0 {
            "COMPLETE"
        } else {
            "IN_PROGRESS"
        };
        let next = token.latest_refresh.unwrap_or(token.issue_date) + Days::new(60);
        let mut json = json!({
            "name": name,
            "uuid": token.uuid,
            "expiry": token.expiry.format("%Y-%m-%d").to_string(),
            "issueDate": token.issue_date.format("%Y-%m-%d").to_string(),
            "latestRefreshDate": token.latest_refresh.map(|d| d.format("%Y-%m-%d").to_string()),
            "nextScheduledRefreshDate": next.min(token.expiry).format("%Y-%m-%d").to_string(),
            "tokenActivationStatus": status,
            "cpcode": self.settings.cpcode,
            "restrictToEdgeWorkerIds": token.edgeworkers,
            "allowOnProduction": token.allow_on_production,
            "allowOnStaging": token.allow_on_staging,
            "namespacePermissions": token.permissions,
        });
        if let (Some(value), Value::Object(map)) = (&token.value, &mut json) {
            map.insert("value".to_owned(), Value::String(value.clone()));
        }
        json
    }

    /// Handles an authenticated request.
    pub(crate) fn handle(&mut self, exchange: &Exchange, segments: &[String]) -> Reply {
        let method = exchange.method.as_str();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let Some(rest) = s.strip_prefix(&["edgekv", "v1"]) else {
            return self.problem(404, "EKV_9000", "No such resource.");
        };
        match (method, rest) {
            ("GET", ["initialize"]) => return self.get_initialize(),
            ("PUT", ["initialize"]) => return self.put_initialize(exchange),
            _ => {}
        }
        if self.init != Init::Initialized {
            return self.problem(404, "EKV_9000", "EdgeKV is not initialized.");
        }
        match (method, rest) {
            ("PUT", ["auth", "database"]) => self.put_policy(exchange),
            ("GET", ["auth", "groups"]) => {
                let groups: Vec<Value> = self.groups.iter().map(group_json).collect();
                Reply::json(200, &json!({ "groups": groups }))
            }
            ("GET", ["auth", "groups", id]) => self.get_auth_group(id),
            ("PUT", ["auth", "namespaces", ns]) => self.reauthorize(ns, exchange),
            (_, ["networks", network, rest @ ..]) => match parse_network(network) {
                None => self.problem(
                    400,
                    "EKV_2000",
                    "The network must be `staging` or `production`.",
                ),
                Some(network) => self.network_op(method, network, rest, exchange),
            },
            ("POST", ["tokens"]) => self.create_token(exchange),
            ("GET", ["tokens"]) => self.list_tokens(exchange),
            ("GET", ["tokens", name]) => self.get_token(name),
            ("DELETE", ["tokens", name]) => self.delete_token(name),
            ("POST", ["tokens", name, "refresh"]) => self.refresh_token(name),
            _ => self.problem(404, "EKV_9000", "No such resource."),
        }
    }

    fn get_initialize(&mut self) -> Reply {
        match self.init {
            Init::Uninitialized => Reply::problem(404, &self.init_json(true)),
            Init::Pending(left) => {
                let body = self.init_json(true);
                if left <= 1 {
                    self.complete_initialization(Policy::default());
                } else {
                    self.init = Init::Pending(left - 1);
                }
                Reply::json(200, &body)
            }
            Init::Initialized => Reply::json(200, &self.init_json(true)),
        }
    }

    fn put_initialize(&mut self, exchange: &Exchange) -> Reply {
        // No body is no policy; a body is an object whose `dataAccessPolicy` (required) is a
        // policy or null.
        let policy = if exchange.body.is_empty() {
            None
        } else {
            match serde_json::from_slice::<Value>(&exchange.body) {
                Ok(Value::Object(body)) => match body.get("dataAccessPolicy") {
                    None => return self.problem(400, "EKV_2000", "dataAccessPolicy is required."),
                    Some(Value::Null) => None,
                    Some(p) => match parse_policy(p) {
                        Some(p) => Some(p),
                        None => return self.problem(400, "EKV_2000", "Invalid dataAccessPolicy."),
                    },
                },
                Ok(_) => {
                    return self.problem(400, "EKV_2000", "The request body must be a JSON object.")
                }
                Err(_) => {
                    return self.problem(
                        422,
                        "EKV_2001",
                        "The JSON request body contained a syntax error or duplicate attributes.",
                    )
                }
            }
        };
        if self.init == Init::Uninitialized {
            self.policy = Some(policy.unwrap_or_default());
            if self.settings.init_polls == 0 {
                self.complete_initialization(Policy::default());
            } else {
                self.init = Init::Pending(self.settings.init_polls);
            }
        }
        Reply::json(201, &self.init_json(false))
    }

    fn put_policy(&mut self, exchange: &Exchange) -> Reply {
        let policy = serde_json::from_slice::<Value>(&exchange.body)
            .ok()
            .and_then(|b| b.get("dataAccessPolicy").and_then(parse_policy));
        match policy {
            Some(policy) => {
                self.policy = Some(policy);
                Reply::json(200, &self.init_json(false))
            }
            None => self.problem(
                400,
                "EKV_2000",
                "dataAccessPolicy with restrictDataAccess and allowNamespacePolicyOverride is required.",
            ),
        }
    }

    fn get_auth_group(&mut self, id: &str) -> Reply {
        let found = id
            .parse::<i64>()
            .ok()
            .and_then(|id| self.groups.iter().find(|g| g.id == id));
        match found {
            Some(group) => Reply::json(200, &group_json(group)),
            None => self.problem(
                403,
                "EKV_1000",
                &format!("You do not have access to group {id}."),
            ),
        }
    }

    fn reauthorize(&mut self, ns: &str, exchange: &Exchange) -> Reply {
        let group_id = serde_json::from_slice::<Value>(&exchange.body)
            .ok()
            .and_then(|b| b.get("groupId").cloned());
        let Some(Value::Number(group_id)) = group_id else {
            return self.problem(400, "EKV_2000", "groupId is required.");
        };
        // A number that is no group's id (negative, fractional, of any size) is a group the
        // account does not have.
        let group_id = group_id
            .as_i64()
            .filter(|g| self.groups.iter().any(|group| group.id == *g));
        let mut found = false;
        if let Some(group_id) = group_id {
            for ((_, name), namespace) in self.namespaces.iter_mut() {
                if name == ns {
                    namespace.group_id = group_id;
                    found = true;
                }
            }
        }
        if let (true, Some(group_id)) = (found, group_id) {
            Reply::json(200, &json!({ "groupId": group_id }))
        } else {
            self.problem(
                400,
                "EKV_1002",
                "That resource does not exist or you are missing the 'AUTHORIZE_NAMESPACE' permission for it.",
            )
        }
    }

    fn network_op(
        &mut self,
        method: &str,
        network: Network,
        rest: &[&str],
        exchange: &Exchange,
    ) -> Reply {
        match (method, rest) {
            ("GET", ["namespaces"]) => {
                let details = exchange.query("details") == Some("on");
                let list: Vec<Value> = self
                    .namespaces
                    .iter()
                    .filter(|((n, _), _)| *n == network)
                    .map(|((_, name), ns)| {
                        if details {
                            ns.json(name)
                        } else {
                            // Names only: the API lists plain strings without `details=on`.
                            json!(name)
                        }
                    })
                    .collect();
                Reply::json(200, &json!({ "namespaces": list }))
            }
            ("POST", ["namespaces"]) => self.create_namespace(network, exchange),
            ("GET", ["namespaces", ns]) => {
                match self.namespaces.get(&(network, (*ns).to_owned())) {
                    Some(found) => Reply::json(200, &found.json(ns)),
                    None => self.no_namespace(),
                }
            }
            ("PUT", ["namespaces", ns]) => self.update_namespace(network, ns, exchange),
            ("GET", ["namespaces", ns, "groups"]) => {
                if let Some(missing) = self.unknown_namespace(network, ns) {
                    return missing;
                }
                let groups: std::collections::BTreeSet<&str> = self
                    .items
                    .iter()
                    .filter(|((n, name, sandbox, _, _), stored)| {
                        *n == network && name == ns && sandbox.is_none() && self.visible(stored)
                    })
                    .map(|((_, _, _, g, _), _)| g.as_str())
                    .collect();
                if groups.is_empty() {
                    self.problem(404, "EKV_9000", "There are no groups.")
                } else {
                    Reply::json(200, &json!(groups))
                }
            }
            ("GET", ["namespaces", ns, "groups", group]) => {
                self.list_items(network, ns, group, exchange)
            }
            (_, ["namespaces", ns, "groups", group, "items", item]) => {
                self.item_op(method, network, ns, group, item, exchange)
            }
            _ => self.problem(404, "EKV_9000", "No such resource."),
        }
    }

    /// The 404 of a listing under a namespace that does not exist on `network` (an empty
    /// listing has its own 404s, which the SDK reads as empty collections).
    pub(crate) fn unknown_namespace(&mut self, network: Network, ns: &str) -> Option<Reply> {
        if self.namespaces.contains_key(&(network, ns.to_owned())) {
            return None;
        }
        Some(self.problem(
            404,
            "EKV_9000",
            &format!("The requested namespace {ns} does not exist."),
        ))
    }

    fn no_namespace(&mut self) -> Reply {
        self.problem(400, "EKV_9000", "The requested namespace does not exist.")
    }

    fn create_namespace(&mut self, network: Network, exchange: &Exchange) -> Reply {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&exchange.body) else {
            return self.problem(
                422,
                "EKV_2001",
                "The JSON request body contained a syntax error or duplicate attributes.",
            );
        };
        const KNOWN: [&str; 5] = [
            "namespace",
            "retentionInSeconds",
            "groupId",
            "geoLocation",
            "dataAccessPolicy",
        ];
        if let Some(unknown) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return self.problem(400, "EKV_2000", &format!("Unknown attribute `{unknown}`."));
        }
        let Some(name) = body
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return self.problem(400, "EKV_2000", "Namespace name must be specified.");
        };
        if !is_id(&name, MAX_NAME_LEN) {
            return self.problem(
                400,
                "EKV_2000",
                "Namespace must only use a string that matches A-Z a-z 0-9 _ or -.",
            );
        }
        let retention = match retention(&body) {
            Ok(retention) => retention,
            Err(detail) => return self.problem(400, "EKV_2000", detail),
        };
        let Some(Value::Number(number)) = body.get("groupId") else {
            return self.problem(400, "EKV_2000", "groupId must be specified.");
        };
        // A number that is no group's id (negative, fractional, of any size) is a group the
        // account does not have.
        let Some(group_id) = number
            .as_i64()
            .filter(|g| self.groups.iter().any(|group| group.id == *g))
        else {
            return self.problem(
                403,
                "EKV_1000",
                &format!("You do not have access to group {number}."),
            );
        };
        let geo = body
            .get("geoLocation")
            .and_then(Value::as_str)
            .unwrap_or("US")
            .to_owned();
        let geo_ok = match network {
            Network::Staging => geo == "US",
            Network::Production => ["US", "EU", "JP"].contains(&geo.as_str()),
        };
        if !geo_ok {
            return self.problem(
                400,
                "EKV_2000",
                &format!("geoLocation `{geo}` is not available on {network}."),
            );
        }
        let policy = self.policy.unwrap_or_default();
        let (restrict, overridden) = match body.get("dataAccessPolicy") {
            None | Some(Value::Null) => (policy.restrict_data_access, false),
            Some(p) => match p.get("restrictDataAccess").and_then(Value::as_bool) {
                Some(r) if policy.allow_namespace_policy_override => (r, true),
                Some(_) => {
                    return self.problem(
                        400,
                        "EKV_1005",
                        "The database Data Access Policy doesn't allow namespaces to override it.",
                    )
                }
                None => {
                    return self.problem(400, "EKV_2000", "restrictDataAccess must be a boolean.")
                }
            },
        };
        let namespace = Namespace {
            retention,
            group_id,
            geo_location: geo,
            restrict_data_access: restrict,
            overridden,
        };
        let key = (network, name.clone());
        if let Some(existing) = self.namespaces.get(&key) {
            if *existing != namespace {
                return self.problem(
                    409,
                    "EKV_3000",
                    &format!("A namespace with the name {name} already exists with a different configuration"),
                );
            }
        }
        self.namespaces.insert(key, namespace.clone());
        Reply::json(200, &namespace.json(&name))
    }

    fn update_namespace(&mut self, network: Network, ns: &str, exchange: &Exchange) -> Reply {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&exchange.body) else {
            return self.problem(
                422,
                "EKV_2001",
                "The JSON request body contained a syntax error or duplicate attributes.",
            );
        };
        if !self.namespaces.contains_key(&(network, ns.to_owned())) {
            return self.no_namespace();
        }
        if body.contains_key("groupId") {
            return self.problem(
                400,
                "EKV_3000",
                "groupId changes must be made through the reauthorize endpoint.",
            );
        }
        if body.get("namespace").and_then(Value::as_str) != Some(ns) {
            return self.problem(
                400,
                "EKV_2000",
                "The namespace in the body must be the one in the path.",
            );
        }
        let retention = match retention(&body) {
            Ok(retention) => retention,
            Err(detail) => return self.problem(400, "EKV_2000", detail),
        };
        if ns == "default" {
            return self.problem(
                400,
                "EKV_3000",
                "The retention period of the default namespace cannot be changed.",
            );
        }
        let namespace = self
            .namespaces
            .get_mut(&(network, ns.to_owned()))
            .expect("checked above");
        namespace.retention = retention;
        let json = namespace.json(ns);
        Reply::json(200, &json)
    }

    pub(crate) fn check_ids(&mut self, group: &str, item: Option<&str>) -> Option<Reply> {
        if !is_id(group, MAX_NAME_LEN) {
            return Some(self.problem(
                400,
                "EKV_9000",
                "Group must only use a string that matches A-Z a-z 0-9 _ or -.",
            ));
        }
        if let Some(item) = item {
            if !is_id(item, MAX_ITEM_ID_LEN) {
                return Some(self.problem(
                    400,
                    "EKV_9000",
                    "Key must only use a string that matches A-Z a-z 0-9 _ or -.",
                ));
            }
        }
        None
    }

    fn list_items(
        &mut self,
        network: Network,
        ns: &str,
        group: &str,
        exchange: &Exchange,
    ) -> Reply {
        if let Some(refused) = self.check_ids(group, None) {
            return refused;
        }
        if let Some(missing) = self.unknown_namespace(network, ns) {
            return missing;
        }
        let asked = match exchange.query("maxItems") {
            None => 100,
            Some(m) => match m.parse::<usize>() {
                Ok(m) if m >= 1 => m,
                // Past any limit: clamped like any other number over it.
                Err(_) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => usize::MAX,
                _ => return self.problem(400, "EKV_2000", "maxItems must be a positive integer."),
            },
        };
        // The API's limit per listing: a larger `maxItems` is clamped, not refused.
        let max = asked.min(self.settings.max_list_items.max(1));
        let sandbox = exchange.query("sandboxId").map(str::to_owned);
        let keys: Vec<&str> = self
            .items
            .iter()
            .filter(|((n, name, sb, g, _), stored)| {
                *n == network && name == ns && *sb == sandbox && g == group && self.visible(stored)
            })
            .map(|((_, _, _, _, item), _)| item.as_str())
            .take(max)
            .collect();
        if keys.is_empty() {
            self.problem(
                404,
                "EKV_9000",
                "The requested group is empty or not found.",
            )
        } else {
            Reply::json(200, &json!(keys))
        }
    }

    fn item_op(
        &mut self,
        method: &str,
        network: Network,
        ns: &str,
        group: &str,
        item: &str,
        exchange: &Exchange,
    ) -> Reply {
        if let Some(refused) = self.check_ids(group, Some(item)) {
            return refused;
        }
        self.stored_item(method, network, [ns, group, item], exchange, false)
    }

    /// Reads (`GET`), writes (`PUT`) or deletes (`DELETE`) an item whose ids were checked, in
    /// the sandbox of the `sandboxId` query parameter if there is one. With `fallback`, a
    /// read missing from the sandbox reads the item outside any sandbox (the edge path's
    /// `sandboxFallback`).
    ///
    /// A read does not find an item created less than the consistency delay ago (writes and
    /// deletes act on the stored item at once).
    pub(crate) fn stored_item(
        &mut self,
        method: &str,
        network: Network,
        [ns, group, item]: [&str; 3],
        exchange: &Exchange,
        fallback: bool,
    ) -> Reply {
        let sandbox = exchange.query("sandboxId").map(str::to_owned);
        let fallback = fallback && sandbox.is_some();
        let key: ItemKey = (
            network,
            ns.to_owned(),
            sandbox,
            group.to_owned(),
            item.to_owned(),
        );
        let not_found = |db: &mut Self| {
            db.problem(
                404,
                "EKV_9000",
                &format!("Item '{item}' or group '{group}' was not found in the database."),
            )
        };
        match method {
            "PUT" => {
                if !self.namespaces.contains_key(&(network, ns.to_owned())) {
                    return self.no_namespace();
                }
                let max = self.settings.max_value_bytes;
                if exchange.body.len() > max {
                    return self.problem(413, "EKV_9000", &format!("Value cannot exceed {max} characters."));
                }
                // An overwrite keeps the item's creation (so it is visible at once if the item
                // was); a write where there was no item creates it now.
                let created = match self.items.get(&key) {
                    Some(existing) => existing.created,
                    None => Some(Instant::now()),
                };
                let stored = Stored {
                    content_type: exchange.header("content-type").map(str::to_owned),
                    bytes: exchange.body.clone(),
                    created,
                };
                self.items.insert(key, stored);
                Reply::text(
                    200,
                    &format!("Item was upserted in database, namespace {ns}, group {group}, and key {item}."),
                )
            }
            "GET" => {
                // An item created less than the consistency delay ago is not found yet.
                let found = self
                    .items
                    .get(&key)
                    .filter(|stored| self.visible(stored))
                    .or_else(|| {
                        let outside = (key.0, key.1.clone(), None, key.3.clone(), key.4.clone());
                        fallback
                            .then(|| self.items.get(&outside))
                            .flatten()
                            .filter(|stored| self.visible(stored))
                    });
                match found {
                    Some(stored) => {
                        let ct = stored.content_type.clone().unwrap_or_else(|| "application/octet-stream".to_owned());
                        Reply::new(200, &ct, stored.bytes.clone())
                    }
                    None => not_found(self),
                }
            }
            "DELETE" => match self.items.remove(&key) {
                Some(_) => Reply::text(
                    200,
                    &format!(
                        "Item was deleted in the KV store with database {} namespace {ns} group {group} key {item}.",
                        self.settings.cpcode
                    ),
                ),
                None => not_found(self),
            },
            _ => self.problem(405, "EKV_9000", "Method not allowed."),
        }
    }

    fn create_token(&mut self, exchange: &Exchange) -> Reply {
        let body = match serde_json::from_slice::<Value>(&exchange.body) {
            Ok(Value::Object(body)) => body,
            _ => {
                return self.problem(
                    422,
                    "EKV_2001",
                    "The JSON request body contained a syntax error or duplicate attributes.",
                )
            }
        };
        match self.new_token(&body) {
            Ok((name, token)) => {
                let json = self.token_json(&name, &token);
                self.tokens.insert(name, token);
                Reply::json(200, &json)
            }
            Err((status, code, detail)) => self.problem(status, code, &detail),
        }
    }

    fn new_token(
        &mut self,
        body: &Map<String, Value>,
    ) -> Result<(String, Token), (u16, &'static str, String)> {
        const KNOWN: [&str; 6] = [
            "name",
            "allowOnProduction",
            "allowOnStaging",
            "expiry",
            "namespacePermissions",
            "restrictToEdgeWorkerIds",
        ];
        let bad = |detail: String| (400, "EKV_2000", detail);
        if let Some(unknown) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(bad(format!("Unknown attribute `{unknown}`.")));
        }
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("name is required.".to_owned()))?;
        if !is_id(name, MAX_NAME_LEN) {
            return Err(bad("Name contains invalid characters.".to_owned()));
        }
        if self.tokens.contains_key(name) {
            return Err((
                409,
                "EKV_3000",
                format!("Token with name {name} is already stored."),
            ));
        }
        let allow_on_production = flag(body.get("allowOnProduction"))
            .ok_or_else(|| bad("allowOnProduction must be true or false.".to_owned()))?;
        let allow_on_staging = flag(body.get("allowOnStaging"))
            .ok_or_else(|| bad("allowOnStaging must be true or false.".to_owned()))?;
        if !allow_on_production && !allow_on_staging {
            return Err(bad(
                "The token must be allowed on staging, production or both.".to_owned(),
            ));
        }
        let today = self.today();
        let latest = today + Days::new(MAX_TOKEN_DAYS);
        let expiry = match body.get("expiry") {
            None | Some(Value::Null) => latest,
            Some(Value::String(s)) => {
                let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| bad("expiry must be a date, YYYY-MM-DD.".to_owned()))?;
                if date <= today || date > latest {
                    return Err(bad(format!(
                        "expiry must be after today and no later than six months from now ({latest})."
                    )));
                }
                date
            }
            Some(_) => return Err(bad("expiry must be a date, YYYY-MM-DD.".to_owned())),
        };
        let permissions = match body.get("namespacePermissions") {
            Some(Value::Object(map)) if (1..=20).contains(&map.len()) => map,
            _ => {
                return Err(bad(
                    "namespacePermissions must name 1 to 20 namespaces.".to_owned()
                ))
            }
        };
        let mut perms = BTreeMap::new();
        for (ns, list) in permissions {
            let list: Option<Vec<String>> = list
                .as_array()
                .map(|l| l.iter().map(|p| p.as_str().map(str::to_owned)).collect())
                .unwrap_or(None);
            let Some(list) = list else {
                return Err(bad(format!(
                    "The permissions of namespace {ns} must be an array."
                )));
            };
            let mut unique = list.clone();
            unique.sort();
            unique.dedup();
            if list.is_empty()
                || unique.len() != list.len()
                || !list.iter().all(|p| ["r", "w", "d"].contains(&p.as_str()))
            {
                return Err(bad(format!(
                    "The permissions of namespace {ns} must be distinct values of r, w, d."
                )));
            }
            let exists = [
                (Network::Staging, allow_on_staging),
                (Network::Production, allow_on_production),
            ]
            .iter()
            .any(|(n, allowed)| *allowed && self.namespaces.contains_key(&(*n, ns.clone())));
            if !exists {
                return Err(bad(format!(
                    "Namespace {ns} does not exist on the networks the token is allowed on."
                )));
            }
            perms.insert(ns.clone(), list);
        }
        let edgeworkers = match body.get("restrictToEdgeWorkerIds") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| match id {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("restrictToEdgeWorkerIds must be EdgeWorker ids.".to_owned()))?,
            Some(_) => return Err(bad("restrictToEdgeWorkerIds must be an array.".to_owned())),
        };
        self.token_seq += 1;
        let token = Token {
            uuid: token_uuid(self.token_seq, name),
            expiry,
            issue_date: today,
            latest_refresh: None,
            allow_on_staging,
            allow_on_production,
            permissions: perms,
            edgeworkers,
            value: self
                .settings
                .token_values
                .then(|| token_value(self.token_seq, name)),
            activation_reads: self.settings.activation_reads,
        };
        Ok((name.to_owned(), token))
    }

    fn list_tokens(&mut self, exchange: &Exchange) -> Reply {
        let include_expired = exchange.query("includeExpired") == Some("true");
        let today = self.today();
        let list: Vec<Value> = self
            .tokens
            .iter()
            .filter(|(_, t)| include_expired || t.expiry >= today)
            .map(|(name, t)| self.token_json(name, t))
            .collect();
        if list.is_empty() {
            self.problem(404, "EKV_3000", "No tokens exist.")
        } else {
            Reply::json(200, &json!({ "tokens": list }))
        }
    }

    fn token_lookup(&mut self, name: &str) -> Result<(), Reply> {
        if !is_id(name, MAX_NAME_LEN) {
            return Err(self.problem(400, "EKV_2000", "Name contains invalid characters."));
        }
        let today = self.today();
        match self.tokens.get(name) {
            None => Err(self.problem(
                404,
                "EKV_3000",
                &format!("Token with name {name} does not exist."),
            )),
            Some(t) if t.expiry < today => Err(self.problem(410, "EKV_3000", "Token has expired.")),
            Some(_) => Ok(()),
        }
    }

    fn get_token(&mut self, name: &str) -> Reply {
        if let Err(reply) = self.token_lookup(name) {
            return reply;
        }
        let token = self.tokens.get(name).cloned().expect("looked up");
        let json = self.token_json(name, &token);
        if let Some(t) = self.tokens.get_mut(name) {
            t.activation_reads = t.activation_reads.saturating_sub(1);
        }
        Reply::json(200, &json)
    }

    fn delete_token(&mut self, name: &str) -> Reply {
        if !is_id(name, MAX_NAME_LEN) {
            return self.problem(400, "EKV_2000", "Name contains invalid characters.");
        }
        match self.tokens.remove(name) {
            Some(t) => Reply::json(200, &json!({ "name": name, "uuid": t.uuid })),
            None => self.problem(
                404,
                "EKV_3000",
                &format!("Token with name {name} does not exist."),
            ),
        }
    }

    fn refresh_token(&mut self, name: &str) -> Reply {
        if let Err(reply) = self.token_lookup(name) {
            return reply;
        }
        let today = self.today();
        let reads = self.settings.activation_reads;
        let token = self.tokens.get_mut(name).expect("looked up");
        token.latest_refresh = Some(today);
        token.activation_reads = reads;
        let token = token.clone();
        Reply::json(200, &self.token_json(name, &token))
    }

    /// Adds a token as if it had been created (seeding from code).
    pub(crate) fn seed_token(&mut self, name: &str, token: Token) {
        self.tokens.insert(name.to_owned(), token);
    }

    pub(crate) fn next_uuid(&mut self, name: &str) -> String {
        self.token_seq += 1;
        token_uuid(self.token_seq, name)
    }
}

/// The body's `retentionInSeconds`: 0 or between one day and ten years.
fn retention(body: &Map<String, Value>) -> Result<i64, &'static str> {
    let out_of_range = "Retention period must be 0 or between 86400 and 315360000 seconds.";
    let retention = match body.get("retentionInSeconds") {
        None | Some(Value::Null) => return Err("Retention period must be specified."),
        // A number of any size (or a fraction) is out of range rather than missing.
        Some(value) => value.as_i64().ok_or(out_of_range)?,
    };
    if retention == 0 || (86_400..=315_360_000).contains(&retention) {
        Ok(retention)
    } else {
        Err(out_of_range)
    }
}

fn parse_policy(p: &Value) -> Option<Policy> {
    Some(Policy {
        restrict_data_access: p.get("restrictDataAccess")?.as_bool()?,
        allow_namespace_policy_override: p.get("allowNamespacePolicyOverride")?.as_bool()?,
    })
}

fn group_json(g: &AuthGroup) -> Value {
    json!({ "groupId": g.id, "groupName": g.name, "capabilities": g.capabilities })
}

/// A token value: 64 hex digits, deterministic per emulator run like the uuids.
fn token_value(seq: u64, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("value {seq}:{name}").as_bytes());
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A deterministic UUID-shaped id.
fn token_uuid(seq: u64, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{seq}:{name}").as_bytes());
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}
