//! Contract tests against Prism, a mock server that serves and validates the processed specs
//! (`specs/<api>.json`, written by `cargo xtask pull`). Every operation of the SDK is sent to
//! it: Prism checks the request against the spec (path, query, headers, body, security; an
//! invalid request gets a 4xx) and answers with the spec's example (or one it builds from the
//! schema's examples), which has to decode through the SDK's types.
//!
//! Prism is given the *wire view* of each processed spec (see [`wire_view`]): the processed
//! spec is shaped for the code generator, and a few of its normalisation rules change what the
//! API accepts or answers (one request media type per operation, raw bytes for operations
//! with a body on one success status and none on another); the wire view restores those
//! parts from what the normalisation keeps or from the upstream spec.
//!
//! Prism runs without `--errors`: an invalid request still gets a 4xx (and a `Violation:
//! request` log line, which fails the test too), while an example answer that breaks its own
//! schema (Linode's timestamps without a UTC offset under `format: date-time`) is still served
//! instead of a 500, so that the SDK has to decode it; such answers are listed on stderr.
//!
//! Prism is installed with `npm install --prefix target/prism @stoplight/prism-cli@5.14.2` (or
//! named by `PRISM_BIN`). Without it, or without the pulled specs, the trials are ignored with
//! the reason; when `CI` is set they fail instead (see [`crate::harness`]).
//!
//! These stay off the testkit's emulators: the point is the spec's own validation and examples,
//! which only a server driven by the spec itself (Prism) gives.

use std::fmt::Write as _;
use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::Credentials;
use akamai_sdk::edgekv::{
    DataAccessPolicy, EdgeKvClient, ItemValue, Network, NewToken, Permission,
};
use akamai_sdk::linode::{ChildAccountField, ChildAccountFilter, Euuid, LinodeClient, Order};
use akamai_sdk::retry::RetryPolicy;
use serde_json::{json, Value};

use crate::harness::{block_on, Check, Found, Need};

#[path = "../common/bodies.rs"]
mod bodies;
use bodies::marketing_namespace;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);

/// A running `prism mock`, killed when dropped.
pub(crate) struct Prism {
    child: Child,
    port: u16,
    log: PathBuf,
    /// The wire view Prism serves.
    pub(crate) spec: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Prism {
    pub(crate) fn start(bin: &Path, spec: &Path) -> Self {
        Self::start_with(bin, spec, |_| {})
    }

    /// Starts Prism on the wire view of `spec`, after `adjust` has had its say on that view.
    pub(crate) fn start_with(bin: &Path, spec: &Path, adjust: impl FnOnce(&mut Value)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let spec = wire_view(spec, dir.path(), adjust);
        let log = dir.path().join("prism.log");
        let out = File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let port = free_port();
        let child = Command::new(bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut prism = Prism {
            child,
            port,
            log,
            spec,
            _dir: dir,
        };
        prism.wait_until_listening();
        prism
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("prism exited with {status}:\n{}", self.log_text());
            }
            if self.log_text().contains("Prism is listening")
                && TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            {
                return;
            }
            assert!(
                started.elapsed() < STARTUP_TIMEOUT,
                "prism did not listen within {STARTUP_TIMEOUT:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub(crate) fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The length of the log so far (to leave out the lines of an expected rejection).
    pub(crate) fn log_len(&self) -> usize {
        self.log_text().len()
    }

    /// The lines of Prism's log, outside `skip` byte ranges, that report a request it found
    /// invalid or could not serve, and those reporting that its own answer breaks the spec.
    pub(crate) fn findings(&self, skip: &[std::ops::Range<usize>]) -> (Vec<String>, Vec<String>) {
        let text = self.log_text();
        let mut request = Vec::new();
        let mut response = Vec::new();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let start = at;
            at += line.len();
            if skip.iter().any(|r| r.contains(&start)) {
                continue;
            }
            let line = line.trim();
            if line.contains("Violation: response") {
                response.push(line.to_owned());
            } else if line.contains('✖') || line.contains('⚠') || line.contains("Violation") {
                request.push(line.to_owned());
            }
        }
        (request, response)
    }
}

/// Writes the wire view of the processed spec `spec` into `dir`:
///
/// * success responses without a body that rule `bodiless-success-statuses` set aside under
///   `x-bodiless-responses` are restored;
/// * responses that normalisation rule 8 turned into raw bytes (an operation answering with a
///   body on one success status and without one on another: Linode grants, 200 or 204) get
///   back their JSON schema, which the rule keeps under `x-original-schema`, and responses
///   marked `x-original-empty` have no body again.
/// * Request bodies accept the media types that normalisation rule 3 set aside for the
///   generator under `x-other-media-types` (`put-item`'s `text/plain`; the SDK sends text
///   items by hand).
///
/// `adjust` then changes the view further (a test that needs more of the upstream spec).
fn wire_view(spec: &Path, dir: &Path, adjust: impl FnOnce(&mut Value)) -> PathBuf {
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(spec).unwrap()).unwrap();
    for item in spec["paths"].as_object_mut().unwrap().values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            // Success responses without a body that rule `bodiless-success-statuses` moved
            // aside (Linode grants' 204) are served again.
            if let Some(Value::Object(bodiless)) = op.get("x-bodiless-responses").cloned() {
                if let Some(Value::Object(responses)) = op.get_mut("responses") {
                    responses.extend(bodiless);
                }
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            if !responses
                .values()
                .any(|r| r.get("x-original-schema").is_some())
            {
                continue;
            }
            for response in responses.values_mut() {
                let Some(response) = response.as_object_mut() else {
                    continue;
                };
                if let Some(original) = response.get("x-original-schema").cloned() {
                    response.insert(
                        "content".into(),
                        json!({"application/json": {"schema": original}}),
                    );
                } else if response.get("x-original-empty") == Some(&json!(true)) {
                    response.remove("content");
                }
            }
        }
        // Request media types the generator could not take (put-item's text/plain) are kept
        // under `x-other-media-types`.
        for op in item.values_mut() {
            let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) else {
                continue;
            };
            let others = body.get("x-other-media-types").cloned();
            if let (Some(Value::Object(others)), Some(Value::Object(content))) =
                (others, body.get_mut("content"))
            {
                for (media, value) in others {
                    content.entry(media).or_insert(value);
                }
            }
        }
    }
    adjust(&mut spec);
    let out = dir.join("wire.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
    out
}

fn http_config() -> HttpConfig {
    HttpConfig::new()
        .allow_insecure_loopback(true)
        .with_retry(RetryPolicy::disabled())
        .with_timeout(Duration::from_secs(30))
}

/// Collects the failed operations, so that one run reports all of them.
#[derive(Default)]
struct Outcomes {
    failures: Vec<String>,
    passed: usize,
    /// Log ranges of the expected rejections.
    skip: Vec<std::ops::Range<usize>>,
}

impl Outcomes {
    fn check<T, E: std::fmt::Display>(&mut self, label: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => {
                self.passed += 1;
                Some(value)
            }
            Err(e) => {
                self.failures.push(format!("{label}: {e}"));
                None
            }
        }
    }

    /// A request the spec does not allow yet, for the reason given: Prism has to reject it
    /// (with a 4xx), so that this test notices when the spec starts allowing it. `since` is
    /// the log length before the request.
    fn rejected<T>(
        &mut self,
        label: &str,
        prism: &Prism,
        since: usize,
        result: Result<T, akamai_sdk::Error>,
    ) {
        std::thread::sleep(Duration::from_millis(200));
        self.skip.push(since..prism.log_len());
        match result {
            Err(e) if e.status().is_some_and(|s| s.is_client_error()) => self.passed += 1,
            Err(e) => self.failures.push(format!(
                "{label}: expected a rejection by the spec, got {e}"
            )),
            Ok(_) => self.failures.push(format!(
                "{label}: the spec now allows this request; drop it from the expected rejections"
            )),
        }
    }

    /// Fails with every rejected operation and every request problem Prism logged.
    fn finish(self, api: &str, prism: &Prism) {
        // Prism writes its log asynchronously; give the last lines a moment.
        std::thread::sleep(Duration::from_millis(300));
        let (request_problems, response_problems) = prism.findings(&self.skip);
        if !response_problems.is_empty() {
            eprintln!(
                "prism ({api}): its example answers break the spec here:\n  {}",
                response_problems.join("\n  ")
            );
        }
        let mut report = String::new();
        if !self.failures.is_empty() {
            writeln!(report, "operations that failed against the {api} spec:").unwrap();
            for f in &self.failures {
                writeln!(report, "  {f}").unwrap();
            }
        }
        if !request_problems.is_empty() {
            writeln!(report, "prism log:").unwrap();
            for p in &request_problems {
                writeln!(report, "  {p}").unwrap();
            }
        }
        assert!(report.is_empty(), "{report}");
        eprintln!("prism ({api}): {} operations passed", self.passed);
    }
}

/// The contract trials of this module.
pub(crate) fn checks() -> Vec<Check> {
    vec![
        Check::new(
            "contract::contract_linode_operations_match_the_spec",
            needs("linode"),
            |found| block_on(contract_linode_operations_match_the_spec(found)),
        ),
        Check::new(
            "contract::contract_edgekv_operations_match_the_spec",
            needs("edgekv"),
            |found| block_on(contract_edgekv_operations_match_the_spec(found)),
        ),
        Check::new(
            "contract::contract_linode_error_examples_are_typed",
            needs("linode"),
            |found| block_on(error_examples_are_typed("linode", true, found)),
        ),
        Check::new(
            "contract::contract_edgekv_error_examples_are_typed",
            needs("edgekv"),
            |found| block_on(error_examples_are_typed("edgekv", false, found)),
        ),
    ]
}

/// What a contract test of `api` needs: its pulled spec and Prism.
pub(crate) fn needs(api: &'static str) -> Vec<Need> {
    vec![Need::Spec(api), Need::Prism]
}

/// The pulled spec of `api` and the Prism binary, from what the trial found.
pub(crate) fn spec_and_prism(api: &'static str, found: &Found) -> (PathBuf, PathBuf) {
    (found.get(Need::Spec(api)), found.get(Need::Prism))
}

async fn contract_linode_operations_match_the_spec(found: &Found) {
    let (spec, bin) = spec_and_prism("linode", found);
    let prism = tokio::task::spawn_blocking(move || Prism::start(&bin, &spec))
        .await
        .unwrap();
    let parent = LinodeClient::builder()
        .token("contract-parent-token")
        .base_url(prism.uri())
        .http_config(http_config())
        .build()
        .unwrap();
    let mut o = Outcomes::default();

    // Every answer holding an account decodes: the overlay corrects the example of
    // `credit_card.last_four` (the number 1111 under `type: string` upstream).
    o.check("GET /account", parent.account().await);
    o.check("GET /profile", parent.profile().await);
    o.check("GET /profile/grants", parent.profile_grants().await);
    o.check(
        "GET /account/users/{username}/grants",
        parent.user_grants("example-user").await,
    );
    o.check(
        "GET /account/child-accounts",
        parent.child_accounts().page(1).await,
    );
    let filter = ChildAccountFilter::new()
        .contains(ChildAccountField::Company, "Acme")
        .order_by(ChildAccountField::Company, Order::Asc);
    o.check(
        "GET /account/child-accounts (X-Filter, page_size 25)",
        parent
            .child_accounts()
            .page_size(25)
            .filter(&filter)
            .page(1)
            .await,
    );
    // The euuid of the spec's example child account.
    let euuid: Euuid = "A1BC2DEF-34GH-567I-J890KLMN12O34P56".parse().unwrap();
    o.check(
        "GET /account/child-accounts/{euuid}",
        parent.child_account(&euuid).await,
    );
    o.check(
        "POST /account/child-accounts/{euuid}/token",
        parent.create_proxy_token(&euuid).await,
    );
    let child = parent.child(euuid);
    o.check("child: GET /account", child.account().await);
    o.check("child: GET /profile", child.profile().await);
    o.check("child: GET /profile/grants", child.profile_grants().await);
    o.check(
        "child: GET /account/users/{username}/grants",
        child.user_grants("example-user").await,
    );
    o.check(
        "child: DELETE /profile/tokens/{tokenId}",
        child.revoke().await,
    );

    o.finish("linode", &prism);
}

async fn contract_edgekv_operations_match_the_spec(found: &Found) {
    let (spec, bin) = spec_and_prism("edgekv", found);
    let prism = tokio::task::spawn_blocking(move || Prism::start(&bin, &spec))
        .await
        .unwrap();
    // The processed spec's paths start below its server URL (`https://{hostname}/edgekv/v1`),
    // and Prism serves them from the root.
    let c = EdgeKvClient::builder(credentials(prism.port))
        .http_config(http_config())
        .base_url(prism.uri())
        .build()
        .unwrap();
    let switched = EdgeKvClient::builder(credentials(prism.port))
        .http_config(http_config())
        .base_url(prism.uri())
        .account_switch_key("1-5C0YLB:1-8BYUX")
        .build()
        .unwrap();
    let policy = DataAccessPolicy {
        restrict_data_access: false,
        allow_namespace_policy_override: true,
    };
    let mut o = Outcomes::default();

    o.check("GET /initialize", c.initialization_status().await);
    o.check("PUT /initialize (policy)", c.initialize(Some(policy)).await);
    o.check("PUT /initialize (no policy)", c.initialize(None).await);
    o.check("PUT /auth/database", c.set_data_access_policy(policy).await);
    o.check("GET /auth/groups", c.auth_groups().await);
    o.check("GET /auth/groups/{groupId}", c.auth_group(4284).await);
    o.check(
        "PUT /auth/namespaces/{namespaceId}",
        c.reauthorize_namespace("marketing", 4284).await,
    );
    o.check(
        "GET /networks/{network}/namespaces",
        c.namespaces(Network::Staging).await,
    );
    o.check(
        "GET /networks/{network}/namespaces (accountSwitchKey)",
        switched.namespaces(Network::Production).await,
    );
    o.check(
        "POST /networks/{network}/namespaces",
        c.create_namespace(Network::Staging, &marketing_namespace())
            .await,
    );
    o.check(
        "GET /networks/{network}/namespaces/{namespaceId}",
        c.namespace(Network::Production, "marketing").await,
    );
    o.check(
        "PUT /networks/{network}/namespaces/{namespaceId}",
        c.update_namespace(Network::Staging, "marketing", 86400)
            .await,
    );
    o.check(
        "GET …/namespaces/{namespaceId}/groups",
        c.namespace_groups(Network::Staging, "marketing").await,
    );
    let group = c.group(Network::Staging, "marketing", "countries");
    o.check("GET …/groups/{groupId}", group.list(None).await);
    o.check(
        "GET …/groups/{groupId} (maxItems, sandboxId)",
        c.group(Network::Staging, "marketing", "countries")
            .sandbox("sb-1")
            .list(Some(10))
            .await,
    );
    o.check(
        "PUT …/items/{itemId} (JSON)",
        group
            .put(
                "US",
                &ItemValue::json(&json!({"name": "United States", "currency": "$"})).unwrap(),
            )
            .await,
    );
    o.check(
        "PUT …/items/{itemId} (text)",
        group.put("greeting", &ItemValue::text("hello")).await,
    );
    // Items as bytes travel as `application/octet-stream`, which the spec does not list (it
    // has `application/json` and `text/plain`).
    let since = prism.log_len();
    o.rejected(
        "PUT …/items/{itemId} (bytes)",
        &prism,
        since,
        group
            .put("blob", &ItemValue::bytes(vec![0u8, 0xff, 0x10]))
            .await,
    );
    o.check("GET …/items/{itemId}", group.get("US").await);
    o.check("DELETE …/items/{itemId}", group.delete("US").await);
    o.check(
        "POST /tokens",
        c.create_token(
            &NewToken::new("my_token")
                .namespace("default", [Permission::R, Permission::W, Permission::D])
                .expiry("2030-12-31")
                .restrict_to_edge_workers(["1234"]),
        )
        .await,
    );
    o.check("GET /tokens", c.tokens(false).await);
    o.check("GET /tokens (includeExpired)", c.tokens(true).await);
    o.check("GET /tokens/{tokenName}", c.token("my_token").await);
    o.check(
        "POST /tokens/{tokenName}/refresh",
        c.refresh_token("my_token").await,
    );
    o.check(
        "DELETE /tokens/{tokenName}",
        c.delete_token("my_token").await,
    );

    o.finish("edgekv", &prism);
}

/// EdgeGrid credentials for the Prism host, so that requests are signed (Prism ignores the
/// signature: the EdgeKV spec declares no security scheme).
fn credentials(port: u16) -> Credentials {
    Credentials::builder(
        format!("127.0.0.1:{port}"),
        "akab-contract-client-token",
        "Y29udHJhY3QtY2xpZW50LXNlY3JldA==",
        "akab-contract-access-token",
    )
    .build()
    .unwrap()
}

/// A concrete value for a path parameter: its schema's example, else the first enum value,
/// else the parameter's example, else a placeholder of its type (an integer's `minimum`, or 1).
pub(crate) fn path_value(spec: &Value, parameter: &Value) -> String {
    let mut schema = &parameter["schema"];
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        schema = spec
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(&Value::Null);
    }
    // Parameter-level examples of the EdgeKV spec are `{{placeholders}}`: prefer the schema's.
    let value = schema
        .get("example")
        .or_else(|| schema.pointer("/enum/0"))
        .or_else(|| parameter.get("example"));
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None if schema["type"] == "integer" => schema
            .get("minimum")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .to_string(),
        None => "example".to_owned(),
    }
}

/// `text` as one path segment or query value: everything but RFC 3986's unreserved characters
/// percent-encoded.
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            write!(out, "%{byte:02X}").unwrap();
        }
    }
    out
}

/// Every error response of the operations (those with a request body are sent their spec's
/// example body), as Prism serves it when asked for that status (`Prefer: code=…`), goes through the SDK's error-body parser and
/// comes out typed: a Linode error list or an Akamai problem, never raw text or other JSON.
async fn error_examples_are_typed(api: &'static str, expect_linode: bool, found: &Found) {
    use akamai_sdk::error::ErrorBody;
    use akamai_sdk::generated::reqwest;

    let (spec, bin) = spec_and_prism(api, found);
    let prism = tokio::task::spawn_blocking(move || Prism::start(&bin, &spec))
        .await
        .unwrap();
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(&prism.spec).unwrap()).unwrap();
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            // A request body is the spec's own example (operations without one are left out).
            let body = match op.get("requestBody") {
                None => None,
                Some(body) => match body.pointer("/content/application~1json/example") {
                    Some(example) => Some(example.to_string()),
                    None => continue,
                },
            };
            let parameters: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .chain(op.get("parameters").and_then(Value::as_array))
                .flatten()
                .collect();
            // Path parameters percent-encoded (Linode image ids such as `linode/debian11` hold a
            // slash), and the required query parameters (a request Prism finds invalid gets a
            // 422 whatever the status asked for).
            let mut path = template.clone();
            let mut query = Vec::new();
            for parameter in parameters {
                let name = parameter["name"].as_str().unwrap();
                let value = encode_component(&path_value(&spec, parameter));
                if parameter["in"] == "path" {
                    path = path.replace(&format!("{{{name}}}"), &value);
                } else if parameter["in"] == "query" && parameter["required"] == json!(true) {
                    query.push(format!("{}={value}", encode_component(name)));
                }
            }
            if !query.is_empty() {
                path = format!("{path}?{}", query.join("&"));
            }
            for (code, response) in responses {
                let status = match code.as_str() {
                    "4XX" => "400",
                    "5XX" => "500",
                    c if c.starts_with('4') || c.starts_with('5') => c,
                    _ => continue,
                };
                // Rule 8's status bodies (EdgeKV `GET /initialize` answers 404 with an
                // `Initialize` document) are not error bodies.
                if response.pointer("/content/application~1json").is_none()
                    || response.get("x-original-schema").is_some()
                {
                    continue;
                }
                let label = format!("{} {template} {code}", method.to_uppercase());
                let request = http
                    .request(
                        reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                        format!("{}{path}", prism.uri()),
                    )
                    .header("authorization", "Bearer contract-token")
                    .header("prefer", format!("code={status}"));
                let request = match &body {
                    Some(body) => request
                        .header("content-type", "application/json")
                        .body(body.clone()),
                    None => request,
                };
                let answer = match request.send().await {
                    Ok(answer) => answer,
                    Err(e) => {
                        failures.push(format!("{label}: {e}"));
                        continue;
                    }
                };
                let got = answer.status().as_u16().to_string();
                let content_type = answer
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let bytes = answer.bytes().await.unwrap_or_default();
                if got != status {
                    failures.push(format!(
                        "{label} ({path}): Prism answered {got}: {}",
                        String::from_utf8_lossy(&bytes)
                    ));
                    continue;
                }
                checked += 1;
                match ErrorBody::parse(content_type.as_deref(), &bytes, true) {
                    ErrorBody::Linode(errors) if expect_linode && !errors.is_empty() => {}
                    ErrorBody::Problem(problem) if !expect_linode && problem.status.is_some() => {}
                    other => failures.push(format!("{label}: parsed as {other:?}")),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "error examples of {api}:\n  {}",
        failures.join("\n  ")
    );
    assert!(checked > 0, "no error example of {api} was checked");
    eprintln!("prism ({api}): {checked} error examples parsed as typed errors");
}
