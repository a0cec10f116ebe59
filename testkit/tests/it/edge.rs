//! The edge data path an EdgeWorker reaches through `edgekv.js`: a token created with the
//! SDK, written into `edgekv_tokens.js` with its `TokensFile`, read back from the file and
//! sent as `edgekv.js` sends it; reads, writes and deletes allowed or refused by the token's
//! expiry, activation, networks and namespace permissions; sandboxes.

use std::path::Path;
use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::{
    EdgeKvClient, ItemValue, Network, NewToken, Permission, TokenCredential, TokensFile,
    WaitOptions,
};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk_testkit::edgekv::{AUTH_HEADER, AUTH_REF_HEADER, NETWORK_HEADER};
use akamai_sdk_testkit::EdgeKvEmulator;
use secrecy::ExposeSecret;
use serde_json::Value;

fn admin(kv: &EdgeKvEmulator) -> EdgeKvClient {
    kv.client_with(HttpConfig::new().with_retry(RetryPolicy::disabled()))
}

fn fast_wait() -> WaitOptions {
    WaitOptions::new()
        .with_poll_interval(Duration::from_millis(5))
        .with_timeout(Duration::from_secs(5))
}

/// Creates `token`, waits until it is active and merges it into `file`.
async fn deploy_token(kv: &EdgeKvEmulator, token: NewToken, file: &Path) {
    let client = admin(kv);
    let created = client.create_token(&token).await.unwrap();
    let ready = client
        .wait_for_token(&created.name, fast_wait())
        .await
        .unwrap()
        .ready()
        .expect("the token activates");
    TokensFile::merge_into_file(file, &ready).unwrap();
}

/// The header `edgekv.js` sends for `namespace`, read from `edgekv_tokens.js`: the entry
/// `namespace-NS`, its `value` in `X-Akamai-EdgeDB-Auth` or its `reference` in
/// `X-Akamai-EdgeDB-Auth-Ref`.
fn token_header(file: &Path, namespace: &str) -> (&'static str, String) {
    let tokens = TokensFile::read(file).unwrap();
    let entry = tokens
        .get(namespace)
        .unwrap_or_else(|| panic!("no token for {namespace}"));
    match &entry.credential {
        TokenCredential::Value(value) => (AUTH_HEADER, value.expose_secret().to_owned()),
        TokenCredential::Reference(reference) => (AUTH_REF_HEADER, reference.clone()),
    }
}

fn item_url(kv: &EdgeKvEmulator, namespace: &str, group: &str, item: &str) -> String {
    format!(
        "{}/api/v1/namespaces/{namespace}/groups/{group}/items/{item}",
        kv.edge_url()
    )
}

/// Status and body of an edge request.
async fn send(request: reqwest::RequestBuilder) -> (u16, Option<String>, Vec<u8>) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

fn detail(body: &[u8]) -> String {
    let problem: Value = serde_json::from_slice(body).unwrap();
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_worker_reads_with_the_reference_from_edgekv_tokens_js() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edgekv_tokens.js");
    kv.seed_namespace(Network::Staging, "other", 86_400);
    admin(&kv)
        .group(Network::Staging, "default", "greetings")
        .put(
            "en",
            &ItemValue::json(&serde_json::json!({"hi": "Hello"})).unwrap(),
        )
        .await
        .unwrap();
    deploy_token(
        &kv,
        NewToken::new("reader").namespace("default", [Permission::R]),
        &file,
    )
    .await;
    let (header, token) = token_header(&file, "default");
    assert_eq!(header, AUTH_REF_HEADER, "current tokens are references");

    let http = reqwest::Client::new();
    let get = |ns: &str, item: &str| {
        http.get(item_url(&kv, ns, "greetings", item))
            .header(header, &token)
    };
    let (status, content_type, body) = send(get("default", "en")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    assert_eq!(body, br#"{"hi":"Hello"}"#);
    // A missing item is the 404 edgekv.js turns into its default value.
    let (status, _, body) = send(get("default", "fr")).await;
    assert_eq!(status, 404);
    assert!(detail(&body).contains("'fr'"), "{}", detail(&body));
    // The token has no permission on `other`, and only `r` on `default`.
    let (status, _, body) = send(get("other", "en")).await;
    assert_eq!(status, 403);
    assert!(
        detail(&body).contains("namespace other"),
        "{}",
        detail(&body)
    );
    let put = http
        .put(item_url(&kv, "default", "greetings", "de"))
        .header(header, &token)
        .body("Hallo");
    assert_eq!(send(put).await.0, 403);
    assert!(kv
        .item(Network::Staging, "default", "greetings", "de")
        .is_none());
    // No token at all.
    let (status, _, _) = send(http.get(item_url(&kv, "default", "greetings", "en"))).await;
    assert_eq!(status, 401);

    let log = kv.requests();
    let edge: Vec<_> = log
        .iter()
        .filter(|r| r.target.starts_with("/api/v1/"))
        .map(|r| (r.operation.as_deref(), r.status, r.principal.as_deref()))
        .collect();
    assert_eq!(
        edge,
        [
            (Some("edge-get-item"), 200, Some("token reader")),
            (Some("edge-get-item"), 404, Some("token reader")),
            (Some("edge-get-item"), 403, None),
            (Some("edge-put-item"), 403, None),
            (Some("edge-get-item"), 401, None),
        ]
    );
    assert_eq!(kv.counters().signature_failures, 1);
}

#[tokio::test]
async fn a_legacy_value_authorises_and_a_tampered_one_is_refused() {
    let kv = EdgeKvEmulator::builder()
        .legacy_token_values()
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edgekv_tokens.js");
    kv.seed_item(Network::Staging, "default", "g", "k", "text/plain", "v1");
    deploy_token(
        &kv,
        NewToken::new("legacy").namespace("default", [Permission::R]),
        &file,
    )
    .await;
    let (header, value) = token_header(&file, "default");
    assert_eq!(header, AUTH_HEADER, "a token with a value is sent by value");

    let http = reqwest::Client::new();
    let url = item_url(&kv, "default", "g", "k");
    let (status, _, body) = send(http.get(&url).header(header, &value)).await;
    assert_eq!((status, body.as_slice()), (200, &b"v1"[..]));

    let mut tampered = value.clone().into_bytes();
    let last = tampered.last_mut().unwrap();
    *last = if *last == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, content_type, body) = send(http.get(&url).header(header, &tampered)).await;
    assert_eq!(status, 401);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let text = String::from_utf8(body).unwrap();
    assert!(
        !text.contains(&tampered) && !text.contains(&value),
        "{text}"
    );
    // The value is not a reference, nor the reference a value.
    let uuid = admin(&kv).token("legacy").await.unwrap().uuid;
    assert_eq!(
        send(http.get(&url).header(AUTH_REF_HEADER, &value)).await.0,
        401
    );
    assert_eq!(send(http.get(&url).header(AUTH_HEADER, &uuid)).await.0, 401);
    assert_eq!(
        send(http.get(&url).header(AUTH_REF_HEADER, &uuid)).await.0,
        200
    );
    assert_eq!(kv.counters().signature_failures, 3);
}

#[tokio::test]
async fn expired_and_inactive_tokens_are_refused() {
    let kv = EdgeKvEmulator::builder()
        .token_activation_reads(1)
        .start()
        .await
        .unwrap();
    kv.seed_item(Network::Staging, "default", "g", "k", "text/plain", "v");
    let client = admin(&kv);
    let created = client
        .create_token(&NewToken::new("fresh").namespace("default", [Permission::R]))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = item_url(&kv, "default", "g", "k");
    let get = || http.get(&url).header(AUTH_REF_HEADER, &created.uuid);
    // Still IN_PROGRESS: a deployment waits for it.
    let (status, _, body) = send(get()).await;
    assert_eq!(status, 401);
    assert!(detail(&body).contains("not active"), "{}", detail(&body));
    assert!(client
        .wait_for_token("fresh", fast_wait())
        .await
        .unwrap()
        .is_ready());
    assert_eq!(send(get()).await.0, 200);
    // Past its expiry on the emulator's calendar.
    kv.advance_days(200);
    let (status, _, body) = send(get()).await;
    assert_eq!(status, 401);
    assert!(detail(&body).contains("expired"), "{}", detail(&body));
    // A seeded token that expired yesterday.
    let yesterday = kv.today().pred_opt().unwrap();
    let old = kv.seed_token("old", &["default"], yesterday);
    assert_eq!(
        send(http.get(&url).header(AUTH_REF_HEADER, old)).await.0,
        401
    );
}

#[tokio::test]
async fn writes_and_deletes_need_their_permissions() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let writer_file = dir.path().join("writer.js");
    let deleter_file = dir.path().join("deleter.js");
    deploy_token(
        &kv,
        NewToken::new("writer").namespace("default", [Permission::R, Permission::W]),
        &writer_file,
    )
    .await;
    deploy_token(
        &kv,
        NewToken::new("deleter").namespace("default", [Permission::D]),
        &deleter_file,
    )
    .await;
    let (header, writer) = token_header(&writer_file, "default");
    let (_, deleter) = token_header(&deleter_file, "default");
    let http = reqwest::Client::new();
    let url = item_url(&kv, "default", "carts", "c-1");
    let put = http
        .put(&url)
        .header(header, &writer)
        .header("content-type", "application/json")
        .body(r#"{"items":3}"#);
    let (status, _, body) = send(put).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(body).unwrap().contains("upserted"));
    assert_eq!(
        kv.item(Network::Staging, "default", "carts", "c-1"),
        Some((
            Some("application/json".to_owned()),
            br#"{"items":3}"#.to_vec()
        ))
    );
    // The admin API sees what the worker wrote.
    let item = admin(&kv)
        .group(Network::Staging, "default", "carts")
        .get("c-1")
        .await
        .unwrap();
    assert_eq!(item.as_bytes(), br#"{"items":3}"#);

    assert_eq!(send(http.delete(&url).header(header, &writer)).await.0, 403);
    assert_eq!(send(http.get(&url).header(header, &deleter)).await.0, 403);
    assert_eq!(
        send(http.delete(&url).header(header, &deleter)).await.0,
        200
    );
    assert!(kv
        .item(Network::Staging, "default", "carts", "c-1")
        .is_none());
    assert_eq!(
        send(http.delete(&url).header(header, &deleter)).await.0,
        404
    );
    let counters = kv.counters();
    assert_eq!(
        (
            counters.operation("edge-put-item"),
            counters.operation("edge-get-item"),
            counters.operation("edge-delete-item")
        ),
        (1, 1, 3)
    );
}

#[tokio::test]
async fn the_network_read_and_sandboxes() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    kv.seed_item(
        Network::Staging,
        "default",
        "g",
        "k",
        "text/plain",
        "staging",
    );
    kv.seed_item(
        Network::Production,
        "default",
        "g",
        "k",
        "text/plain",
        "production",
    );
    let staging_only = kv.seed_token("both", &["default"], kv.today().succ_opt().unwrap());
    let client = admin(&kv);
    let created = client
        .create_token(
            &NewToken::new("staging_only")
                .staging(true)
                .production(false)
                .namespace("default", [Permission::R]),
        )
        .await
        .unwrap();
    assert!(client
        .wait_for_token("staging_only", fast_wait())
        .await
        .unwrap()
        .is_ready());
    let http = reqwest::Client::new();
    let url = item_url(&kv, "default", "g", "k");
    let read = |token: &str, network: Option<&str>| {
        let request = http.get(&url).header(AUTH_REF_HEADER, token);
        match network {
            Some(network) => request.header(NETWORK_HEADER, network),
            None => request,
        }
    };
    // Staging by default, production when the request names it.
    assert_eq!(send(read(&staging_only, None)).await.2, b"staging");
    assert_eq!(
        send(read(&staging_only, Some("production"))).await.2,
        b"production"
    );
    let (status, _, body) = send(read(&created.uuid, Some("production"))).await;
    assert_eq!(status, 403);
    assert!(detail(&body).contains("production"), "{}", detail(&body));
    assert_eq!(send(read(&created.uuid, Some("elsewhere"))).await.0, 400);

    // A sandbox, and the fallback to the item outside it.
    client
        .group(Network::Staging, "default", "g")
        .sandbox("sb-1")
        .put("k", &ItemValue::text("sandboxed"))
        .await
        .unwrap();
    let sandboxed = |query: &str| {
        http.get(format!("{url}?{query}"))
            .header(AUTH_REF_HEADER, &staging_only)
    };
    assert_eq!(send(sandboxed("sandboxId=sb-1")).await.2, b"sandboxed");
    assert_eq!(send(sandboxed("sandboxId=sb-2")).await.0, 404);
    assert_eq!(
        send(sandboxed("sandboxId=sb-2&sandboxFallback=true"))
            .await
            .2,
        b"staging"
    );

    // An emulator whose edge serves production.
    let prod = EdgeKvEmulator::builder()
        .edge_network(Network::Production)
        .start()
        .await
        .unwrap();
    prod.seed_item(
        Network::Production,
        "default",
        "g",
        "k",
        "text/plain",
        "live",
    );
    let token = prod.seed_token("t", &["default"], prod.today().succ_opt().unwrap());
    let response = http
        .get(item_url(&prod, "default", "g", "k"))
        .header(AUTH_REF_HEADER, token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "live");
}
