//! Request-shape snapshots: every operation of the SDK sends its request to a loopback server,
//! and the requests (method, path, sorted query, headers, body) are compared with the reviewed
//! snapshots in `snapshots/`. JSON (bodies, `X-Filter`) is shown with sorted keys, so the
//! snapshots do not depend on the key order serde_json keeps. A change of the generated code or
//! of the SDK that alters what goes over the wire shows up here as a snapshot diff (`cargo
//! xtask update` runs these tests).
//!
//! Volatile values are redacted: bearer tokens become the name of the token used, and the
//! EdgeGrid `Authorization` header keeps its layout with every value replaced, after the
//! signature has been checked by the independent verifier of `support/edgegrid.rs` and the
//! timestamp and nonce have been checked against the fixed clock and nonce of the signer.
//!
//! These stay on hand-made stubs rather than the testkit's emulators: a snapshot needs every
//! request exactly as sent, and an answer of the expected shape to every operation.

use std::fmt::Write as _;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::{Credentials, EdgeGridSigner, Timestamp};
use akamai_sdk::edgekv::{
    DataAccessPolicy, EdgeKvClient, EdgeKvClientBuilder, ItemValue, Network, NewToken, Permission,
    WaitOptions,
};
use akamai_sdk::linode::{ChildAccountField, ChildAccountFilter, Euuid, LinodeClient, Order};
use akamai_sdk::retry::RetryPolicy;
use futures::StreamExt;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::bodies::marketing_namespace;
use crate::support::edgegrid::{parse_authorization, BadlySigned, Verifier};

const PARENT_TOKEN: &str = "parent-Tok3n-shapes-5e21";
const PROXY_TOKEN: &str = "proxy-Tok3n-shapes-0c77";
const EUUID: &str = "E1AF5EEC-526F-487D-B317EBEB34C87D71";
const CHILD_ACCOUNT: &str = include_str!("fixtures/linode/child_account.json");
const PROXY_TOKEN_BODY: &str = include_str!("fixtures/linode/proxy_token.json");

const CLIENT_TOKEN: &str = "akab-client-token-shapes-19ab";
const CLIENT_SECRET: &str = "c2hhcGVzLWNsaWVudC1zZWNyZXQtM2Q0ZQ==";
const ACCESS_TOKEN: &str = "akab-access-token-shapes-77c0";
const TIMESTAMP: &str = "20240521T10:11:12+0000";
const NONCE: &str = "3f1c2b6e-7a0d-4c52-9a3e-1b2c3d4e5f60";
const ASK: &str = "1-ABCDE:1-2RBL";

/// Headers left out of the snapshots: set by the transport, or varying with the port or the
/// SDK version.
const UNSTABLE_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "content-length",
    "accept-encoding",
    "connection",
];

/// Renders the requests a server received since the last call, one block per operation.
struct Recorder {
    server: MockServer,
    seen: usize,
    out: String,
    redact_authorization: fn(&Request) -> String,
}

impl Recorder {
    fn new(server: MockServer, redact_authorization: fn(&Request) -> String) -> Self {
        Self {
            server,
            seen: 0,
            out: String::new(),
            redact_authorization,
        }
    }

    /// Appends the requests sent for the operation `label` (at least one is expected).
    async fn take(&mut self, label: &str) {
        let requests = self.server.received_requests().await.unwrap();
        let new = &requests[self.seen..];
        assert!(!new.is_empty(), "{label}: no request was sent");
        self.seen = requests.len();
        writeln!(self.out, "## {label}").unwrap();
        for request in new {
            self.out
                .push_str(&render(request, self.redact_authorization));
        }
        self.out.push('\n');
    }
}

fn render(request: &Request, redact_authorization: fn(&Request) -> String) -> String {
    let mut out = String::new();
    let mut query: Vec<&str> = request
        .url
        .query()
        .map(|q| q.split('&').collect())
        .unwrap_or_default();
    query.sort_unstable();
    write!(out, "{} {}", request.method, request.url.path()).unwrap();
    if !query.is_empty() {
        write!(out, "?{}", query.join("&")).unwrap();
    }
    out.push('\n');
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| !UNSTABLE_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            let value = if name.as_str() == "authorization" {
                redact_authorization(request)
            } else if name.as_str() == "x-filter" {
                let filter: Value = serde_json::from_slice(value.as_bytes()).unwrap();
                ascii_json(&sorted(filter))
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    headers.sort();
    for (name, value) in headers {
        writeln!(out, "{name}: {value}").unwrap();
    }
    out.push_str(&render_body(request));
    out
}

/// `value` with the keys of every object in sorted order, whether or not serde_json keeps
/// insertion order (its `preserve_order` feature, which another crate of the workspace may
/// switch on). JSON bodies and `X-Filter` are rendered this way.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Compact JSON with every non-ASCII character escaped as `\uXXXX`, as header values travel.
fn ascii_json(value: &Value) -> String {
    let mut out = String::new();
    for c in serde_json::to_string(value).unwrap().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(out, "\\u{unit:04x}").unwrap();
            }
        }
    }
    out
}

fn render_body(request: &Request) -> String {
    let body = &request.body;
    if body.is_empty() {
        return "(no body)\n".to_owned();
    }
    let is_json = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        let value: Value = serde_json::from_slice(body).expect("a JSON body that parses");
        return format!(
            "body (JSON, {} bytes):\n{}\n",
            body.len(),
            serde_json::to_string_pretty(&sorted(value)).unwrap()
        );
    }
    match std::str::from_utf8(body) {
        Ok(text) => format!("body (text, {} bytes): {text:?}\n", body.len()),
        Err(_) => {
            let hex: Vec<String> = body.iter().map(|b| format!("{b:02x}")).collect();
            format!("body (bytes, {} bytes): {}\n", body.len(), hex.join(" "))
        }
    }
}

fn redact_bearer(request: &Request) -> String {
    let value = request.headers["authorization"].to_str().unwrap();
    match value.strip_prefix("Bearer ") {
        Some(PARENT_TOKEN) => "Bearer [parent token]".to_owned(),
        Some(PROXY_TOKEN) => "Bearer [proxy token]".to_owned(),
        Some(_) => "Bearer [unknown token]".to_owned(),
        None => "[not a bearer token]".to_owned(),
    }
}

fn verifier() -> Verifier {
    Verifier::new(CLIENT_TOKEN, CLIENT_SECRET, ACCESS_TOKEN)
}

/// Checks the EdgeGrid header (fields, fixed timestamp and nonce, signature) and replaces every
/// value in it.
fn redact_edgegrid(request: &Request) -> String {
    let value = request.headers["authorization"].to_str().unwrap();
    let fields = parse_authorization(value).expect("an EdgeGrid Authorization header");
    assert_eq!(fields.client_token, CLIENT_TOKEN);
    assert_eq!(fields.access_token, ACCESS_TOKEN);
    assert_eq!(fields.timestamp, TIMESTAMP, "the fixed clock was not used");
    assert_eq!(fields.nonce, NONCE, "the fixed nonce was not used");
    if let Some(problem) = verifier().problem(request) {
        panic!(
            "{} {}: bad signature: {problem}",
            request.method, request.url
        );
    }
    "EG1-HMAC-SHA256 client_token=[client token];access_token=[access token];\
     timestamp=[timestamp];nonce=[nonce];signature=[verified signature]"
        .to_owned()
}

/// Answers by method and path suffix; anything unexpected gets a 404 that fails the call.
struct Routes(Vec<(&'static str, String, ResponseTemplate)>);

impl Respond for Routes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0
            .iter()
            .find(|(verb, suffix, _)| {
                request.method.as_str() == *verb && request.url.path().ends_with(suffix.as_str())
            })
            .map(|(_, _, response)| response.clone())
            .unwrap_or_else(|| ResponseTemplate::new(404))
    }
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn linode_routes() -> Routes {
    let mut token: Value = serde_json::from_str(PROXY_TOKEN_BODY).unwrap();
    token["token"] = json!(PROXY_TOKEN);
    token["expiry"] = json!("2999-01-01T00:15:00");
    let child: Value = serde_json::from_str(CHILD_ACCOUNT).unwrap();
    let grants = json!({"global": {"child_account_access": true}, "linode": []});
    Routes(vec![
        (
            "GET",
            "/account/child-accounts".into(),
            ok(json!({"data": [child.clone()], "page": 1, "pages": 2, "results": 2})),
        ),
        ("GET", format!("/account/child-accounts/{EUUID}"), ok(child)),
        ("POST", "/token".into(), ok(token)),
        (
            "GET",
            "/account".into(),
            ok(json!({"company": "Acme", "euuid": EUUID, "email": "ops@example.com"})),
        ),
        (
            "GET",
            "/profile".into(),
            ok(json!({"username": "parent-user", "restricted": true, "user_type": "parent"})),
        ),
        ("GET", "/profile/grants".into(), ok(grants.clone())),
        ("GET", "/grants".into(), ok(grants)),
        ("DELETE", "/profile/tokens/918".into(), ok(json!({}))),
    ])
}

#[tokio::test]
async fn request_shape_snapshot_linode() {
    let server = MockServer::start().await;
    let child: Value = serde_json::from_str(CHILD_ACCOUNT).unwrap();
    Mock::given(wiremock::matchers::path("/v4/account/child-accounts"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ok(
            json!({"data": [child], "page": 2, "pages": 2, "results": 2}),
        ))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(linode_routes())
        .mount(&server)
        .await;
    let parent = LinodeClient::builder()
        .token(PARENT_TOKEN)
        .base_url(format!("{}/v4", server.uri()))
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(RetryPolicy::disabled()),
        )
        .build()
        .unwrap();
    let euuid: Euuid = EUUID.parse().unwrap();
    let mut rec = Recorder::new(server, redact_bearer);

    parent.account().await.unwrap();
    rec.take("parent: account").await;
    parent.profile().await.unwrap();
    rec.take("parent: profile").await;
    parent.profile_grants().await.unwrap();
    rec.take("parent: profile grants").await;
    parent.user_grants("restricted user/1").await.unwrap();
    rec.take("parent: user grants (name with a space and a slash)")
        .await;
    parent.ensure_child_account_access().await.unwrap();
    rec.take("parent: ensure child account access").await;
    parent.child_accounts().page(1).await.unwrap();
    rec.take("child accounts: first page, default size, no filter")
        .await;
    let all: Vec<_> = parent
        .child_accounts()
        .page_size(50)
        .stream()
        .collect()
        .await;
    assert_eq!(all.len(), 2);
    rec.take("child accounts: stream of two pages").await;
    let filter = ChildAccountFilter::new()
        .contains(ChildAccountField::Company, "Acme \"EU\"")
        .or([
            ChildAccountFilter::new().eq(ChildAccountField::Email, "ops@example.com"),
            ChildAccountFilter::new().neq(ChildAccountField::Email, "old@example.com"),
        ])
        .order_by(ChildAccountField::Company, Order::Desc);
    parent
        .child_accounts()
        .page_size(25)
        .filter(&filter)
        .page(2)
        .await
        .unwrap();
    rec.take("child accounts: page 2 of 25 with a filter").await;
    parent
        .child_accounts()
        .raw_filter(json!({"company": {"+contains": "Ünïcode"}}))
        .page(1)
        .await
        .unwrap();
    rec.take("child accounts: raw filter with non-ASCII text")
        .await;
    parent.child_account(&euuid).await.unwrap();
    rec.take("child account: get").await;
    parent.create_proxy_token(&euuid).await.unwrap();
    rec.take("proxy token: create").await;

    let child = parent.child(euuid);
    child.token().await.unwrap();
    rec.take("child client: first token").await;
    child.account().await.unwrap();
    rec.take("child client: account").await;
    child.profile().await.unwrap();
    rec.take("child client: profile").await;
    child.profile_grants().await.unwrap();
    rec.take("child client: profile grants").await;
    child.user_grants("child-user").await.unwrap();
    rec.take("child client: user grants").await;
    assert!(child.revoke().await.unwrap());
    rec.take("child client: revoke").await;

    insta::assert_snapshot!(rec.out);
}

fn edgekv_routes() -> Routes {
    let initialized = json!({
        "accountStatus": "INITIALIZED", "cpcode": "1234567",
        "dataAccessPolicy": {"allowNamespacePolicyOverride": false, "restrictDataAccess": true},
        "productionStatus": "INITIALIZED", "stagingStatus": "INITIALIZED"
    });
    let namespace = json!({
        "dataAccessPolicy": {"policyType": "overridden", "restrictDataAccess": false},
        "geoLocation": "US", "groupId": 4284, "namespace": "marketing", "retentionInSeconds": 86400
    });
    let token = json!({
        "allowOnProduction": true, "allowOnStaging": false, "cpcode": "1234567",
        "expiry": "2999-09-30", "issueDate": "2022-04-30", "name": "my_token",
        "namespacePermissions": {"default": ["r", "w", "d"], "marketing": ["r"]},
        "nextScheduledRefreshDate": "2022-06-30", "restrictToEdgeWorkerIds": ["1234"],
        "tokenActivationStatus": "COMPLETE", "uuid": "fa3a7ae0-1c5e-4b1d-9c2e-f0638c6b7466"
    });
    let text = |t: &'static str| ResponseTemplate::new(200).set_body_raw(t, "text/plain");
    Routes(vec![
        ("PUT", "/auth/database".into(), ok(initialized.clone())),
        (
            "GET",
            "/auth/groups".into(),
            ok(
                json!({"groups": [{"capabilities": ["READ_DATA"], "groupId": 4284, "groupName": "Group #42"}]}),
            ),
        ),
        (
            "GET",
            "/auth/groups/4284".into(),
            ok(json!({"capabilities": ["VIEW_TOKEN"], "groupId": 4284, "groupName": "Group #42"})),
        ),
        (
            "PUT",
            "/auth/namespaces/marketing".into(),
            ok(json!({"groupId": 4284})),
        ),
        ("GET", "/initialize".into(), ok(initialized.clone())),
        (
            "PUT",
            "/initialize".into(),
            ResponseTemplate::new(201).set_body_json(initialized),
        ),
        (
            "GET",
            "/namespaces".into(),
            ok(json!({"namespaces": [namespace.clone()]})),
        ),
        ("POST", "/namespaces".into(), ok(namespace.clone())),
        ("GET", "/groups".into(), ok(json!(["countries"]))),
        ("GET", "/groups/countries".into(), ok(json!(["US"]))),
        (
            "PUT",
            "/items/text".into(),
            text("Item was upserted in database, namespace marketing, group countries."),
        ),
        (
            "PUT",
            "/items/json".into(),
            text("Item was upserted in database, namespace marketing, group countries."),
        ),
        (
            "PUT",
            "/items/bytes".into(),
            text("Item was upserted in database, namespace marketing, group countries."),
        ),
        (
            "PUT",
            "/items/a%20b%3Bc%25d%3F%C3%A9".into(),
            text("Item was upserted in database, namespace marketing, group countries."),
        ),
        (
            "GET",
            "/items/json".into(),
            ResponseTemplate::new(200).set_body_raw("{\"currency\":\"$\"}", "application/json"),
        ),
        (
            "GET",
            "/items/bytes".into(),
            ResponseTemplate::new(200).set_body_raw(vec![0u8, 0xff], "application/octet-stream"),
        ),
        (
            "DELETE",
            "/items/text".into(),
            text("Item was marked for deletion."),
        ),
        ("GET", "/namespaces/marketing".into(), ok(namespace.clone())),
        ("PUT", "/namespaces/marketing".into(), ok(namespace)),
        (
            "GET",
            "/tokens".into(),
            ok(
                json!({"tokens": [{"expiry": "2999-09-30", "name": "my_token", "uuid": "fa3a7ae0-1c5e-4b1d-9c2e-f0638c6b7466"}]}),
            ),
        ),
        ("POST", "/tokens".into(), ok(token.clone())),
        ("GET", "/tokens/my_token".into(), ok(token.clone())),
        (
            "DELETE",
            "/tokens/my_token".into(),
            ok(json!({"name": "my_token", "uuid": "fa3a7ae0-1c5e-4b1d-9c2e-f0638c6b7466"})),
        ),
        ("POST", "/tokens/my_token/refresh".into(), ok(token)),
    ])
}

async fn edgekv_client(server: &MockServer, account_switch_key: Option<&str>) -> EdgeKvClient {
    let credentials = Credentials::builder(
        server.address().to_string(),
        CLIENT_TOKEN,
        CLIENT_SECRET,
        ACCESS_TOKEN,
    )
    .build()
    .unwrap();
    let signer = EdgeGridSigner::new(credentials)
        .with_clock(|| TIMESTAMP.parse::<Timestamp>().unwrap())
        .with_nonce(|| NONCE.to_owned());
    let mut builder = EdgeKvClientBuilder::with_signer(signer)
        .http_config(
            HttpConfig::new()
                .allow_insecure_loopback(true)
                .with_retry(RetryPolicy::disabled()),
        )
        .base_url(format!("{}/edgekv/v1", server.uri()));
    if let Some(key) = account_switch_key {
        builder = builder.account_switch_key(key);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn request_shape_snapshot_edgekv() {
    let server = MockServer::start().await;
    Mock::given(BadlySigned(verifier()))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(1)
        .expect(0)
        .named("badly signed requests")
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(edgekv_routes())
        .mount(&server)
        .await;
    let c = edgekv_client(&server, None).await;
    let policy = DataAccessPolicy {
        restrict_data_access: false,
        allow_namespace_policy_override: true,
    };
    let mut rec = Recorder::new(server, redact_edgegrid);

    c.initialization_status().await.unwrap();
    rec.take("initialize: status").await;
    c.initialize(Some(policy)).await.unwrap();
    rec.take("initialize: with a data access policy").await;
    c.initialize(None).await.unwrap();
    rec.take("initialize: without a policy").await;
    assert!(c
        .initialize_and_wait(Some(policy), WaitOptions::new())
        .await
        .unwrap()
        .is_ready());
    rec.take("initialize and wait: already initialized").await;
    c.set_data_access_policy(policy).await.unwrap();
    rec.take("auth: set the data access policy").await;
    c.auth_groups().await.unwrap();
    rec.take("auth: groups").await;
    c.auth_group(4284).await.unwrap();
    rec.take("auth: one group").await;
    c.reauthorize_namespace("marketing", 4284).await.unwrap();
    rec.take("auth: reauthorize a namespace").await;

    c.namespaces(Network::Staging).await.unwrap();
    rec.take("namespaces: list").await;
    c.create_namespace(Network::Production, &marketing_namespace())
        .await
        .unwrap();
    rec.take("namespaces: create").await;
    c.namespace(Network::Staging, "marketing").await.unwrap();
    rec.take("namespaces: get").await;
    c.update_namespace(Network::Staging, "marketing", 86400)
        .await
        .unwrap();
    rec.take("namespaces: update retention").await;
    c.namespace_groups(Network::Staging, "marketing")
        .await
        .unwrap();
    rec.take("groups: list").await;

    let group = c.group(Network::Staging, "marketing", "countries");
    group.list(None).await.unwrap();
    rec.take("items: list").await;
    c.group(Network::Staging, "marketing", "countries")
        .sandbox("sb-1")
        .list(Some(10))
        .await
        .unwrap();
    rec.take("items: list at most 10 in a sandbox").await;
    group
        .put("text", &ItemValue::text(" \"quoted\" text\n"))
        .await
        .unwrap();
    rec.take("items: put text").await;
    group
        .put(
            "json",
            &ItemValue::json(&json!({"name": "United States", "currency": "$"})).unwrap(),
        )
        .await
        .unwrap();
    rec.take("items: put JSON").await;
    group
        .put("bytes", &ItemValue::bytes(vec![0u8, 0xff, b'"', b'\n']))
        .await
        .unwrap();
    rec.take("items: put bytes").await;
    group.get_json::<Value>("json").await.unwrap();
    rec.take("items: get JSON").await;
    group.get("bytes").await.unwrap();
    rec.take("items: get bytes").await;
    group.delete("text").await.unwrap();
    rec.take("items: delete").await;

    let token = NewToken::new("my_token")
        .staging(false)
        .production(true)
        .namespace("default", [Permission::R, Permission::W, Permission::D])
        .namespace("marketing", [Permission::R])
        .expiry("2999-09-30")
        .restrict_to_edge_workers(["1234"]);
    c.create_token(&token).await.unwrap();
    rec.take("tokens: create").await;
    c.create_token(&NewToken::new("my_token").namespace("default", [Permission::R]))
        .await
        .unwrap();
    rec.take("tokens: create with defaults").await;
    c.tokens(false).await.unwrap();
    rec.take("tokens: list").await;
    c.tokens(true).await.unwrap();
    rec.take("tokens: list including expired ones").await;
    c.token("my_token").await.unwrap();
    rec.take("tokens: get").await;
    // Item, group and namespace ids are refused outside A-Z a-z 0-9 _ -; a token name only
    // has to be a path segment, and is sent strictly percent-encoded.
    let _ = c.token("a b;c%d?é").await;
    rec.take("tokens: get one whose name needs encoding").await;
    assert!(c
        .wait_for_token("my_token", WaitOptions::new())
        .await
        .unwrap()
        .is_ready());
    rec.take("tokens: wait for activation (already active)")
        .await;
    c.refresh_token("my_token").await.unwrap();
    rec.take("tokens: refresh").await;
    c.delete_token("my_token").await.unwrap();
    rec.take("tokens: delete").await;

    // With an account switch key, every operation carries it once.
    let switched = edgekv_client(&rec.server, Some(ASK)).await;
    switched.namespaces(Network::Production).await.unwrap();
    rec.take("account switch key: namespaces").await;
    switched
        .group(Network::Production, "marketing", "countries")
        .get_json::<Value>("json")
        .await
        .unwrap();
    rec.take("account switch key: get an item").await;

    insta::assert_snapshot!(rec.out);
}
