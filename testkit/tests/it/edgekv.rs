//! The SDK's EdgeKV workflows end to end against the emulator, and the emulator's own rules:
//! signatures, limits, the initialization and token lifecycles, documented errors.

use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgegrid::EdgeGridSigner;
use akamai_sdk::edgekv::{
    DataAccessPolicy, EdgeKvClient, InitializeAccountStatus, ItemValue, Network, NewToken,
    Permission, PostNamespaceBody, TokenActivationStatus, TokensFile, WaitOptions,
};
use akamai_sdk::error::ErrorBody;
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use akamai_sdk_testkit::EdgeKvEmulator;
use secrecy::ExposeSecret;
use serde_json::json;

fn quick() -> HttpConfig {
    HttpConfig::new().with_retry(RetryPolicy::disabled())
}

fn fast_wait() -> WaitOptions {
    WaitOptions::new()
        .with_poll_interval(Duration::from_millis(5))
        .with_timeout(Duration::from_secs(5))
}

/// The status and `errorCode` of an API error.
fn problem(err: &Error) -> (u16, String) {
    let status = err.status().map(|s| s.as_u16()).unwrap_or(0);
    let code = match err.api().map(|api| api.body()) {
        Some(ErrorBody::Problem(p)) => p.error_code.clone().unwrap_or_default(),
        _ => String::new(),
    };
    (status, code)
}

#[tokio::test]
async fn items_round_trip_bytes_and_content_types() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(quick());
    let group = client.group(Network::Staging, "default", "countries");
    group
        .put("US", &ItemValue::text(" \"quoted\" "))
        .await
        .unwrap();
    group
        .put(
            "BE",
            &ItemValue::json(&json!({"currency": "€", "name": "Belgium"})).unwrap(),
        )
        .await
        .unwrap();
    group
        .put("raw", &ItemValue::bytes(vec![0u8, 255, 10, 13]))
        .await
        .unwrap();

    let text = group.get("US").await.unwrap();
    assert_eq!(text.as_bytes(), b" \"quoted\" ");
    assert_eq!(text.content_type(), Some("text/plain; charset=utf-8"));
    let be: serde_json::Value = group.get_json("BE").await.unwrap();
    assert_eq!(be["currency"], "€");
    let raw = group.get("raw").await.unwrap();
    assert_eq!(raw.as_bytes(), [0u8, 255, 10, 13]);
    assert_eq!(raw.content_type(), Some("application/octet-stream"));
    assert_eq!(
        kv.item(Network::Staging, "default", "countries", "BE")
            .unwrap(),
        (
            Some("application/json".to_owned()),
            "{\"currency\":\"€\",\"name\":\"Belgium\"}"
                .as_bytes()
                .to_vec()
        )
    );

    let mut listed = group.list(None).await.unwrap();
    listed.sort();
    assert_eq!(listed, ["BE", "US", "raw"]);
    assert_eq!(group.list(Some(2)).await.unwrap().len(), 2);
    assert_eq!(
        client
            .namespace_groups(Network::Staging, "default")
            .await
            .unwrap(),
        ["countries"]
    );
    // Networks and sandboxes are separate stores.
    let prod = client.group(Network::Production, "default", "countries");
    assert_eq!(
        problem(&prod.get("US").await.unwrap_err()),
        (404, "EKV_9000".into())
    );
    let sandbox = group.clone().sandbox("sb1");
    sandbox
        .put("US", &ItemValue::text("sandboxed"))
        .await
        .unwrap();
    assert_eq!(group.get("US").await.unwrap().as_bytes(), b" \"quoted\" ");
    assert_eq!(sandbox.get("US").await.unwrap().as_bytes(), b"sandboxed");

    assert!(group.delete("US").await.unwrap().contains("deleted"));
    assert_eq!(
        problem(&group.get("US").await.unwrap_err()),
        (404, "EKV_9000".into())
    );
    assert_eq!(kv.counters().operation("put-item"), 4);
    assert_eq!(kv.counters().signature_failures, 0);
}

#[tokio::test]
async fn the_api_limits_come_back_as_problems() {
    let kv = EdgeKvEmulator::builder()
        .max_value_bytes(1024)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(quick());
    let group = client.group(Network::Staging, "default", "g");
    group
        .put("fits", &ItemValue::bytes(vec![1u8; 1024]))
        .await
        .unwrap();
    let err = group
        .put("big", &ItemValue::bytes(vec![1u8; 1025]))
        .await
        .unwrap_err();
    assert_eq!(problem(&err), (413, "EKV_9000".into()));
    assert!(err.to_string().contains("1024"), "{err}");
    // Ids outside the API's rule: the SDK refuses them itself, so nothing reaches the
    // emulator (whose own check answers 400 EKV_9000 to other clients).
    let before = kv.counters().requests;
    let err = group.put("a b", &ItemValue::text("x")).await.unwrap_err();
    assert!(matches!(err, akamai_sdk::Error::InvalidId(_)), "{err}");
    let bad_group = client.group(Network::Staging, "default", "x;y");
    let err = bad_group.get("k").await.unwrap_err();
    assert!(matches!(err, akamai_sdk::Error::InvalidId(_)), "{err}");
    assert_eq!(kv.counters().requests, before);
    // The namespace must exist before writing.
    let missing = client.group(Network::Staging, "nope", "g");
    assert_eq!(
        problem(&missing.put("k", &ItemValue::text("x")).await.unwrap_err()).0,
        400
    );
    assert!(kv.item(Network::Staging, "default", "g", "big").is_none());
}

#[tokio::test]
async fn namespaces_per_network() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(quick());
    for network in [Network::Staging, Network::Production] {
        let names: Vec<_> = client
            .namespaces(network)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.namespace)
            .collect();
        assert_eq!(names, ["default"], "{network}");
        // Without `details=on`, names only.
        assert_eq!(client.namespace_names(network).await.unwrap(), ["default"]);
    }
    let body: PostNamespaceBody = PostNamespaceBody::builder()
        .namespace("marketing")
        .retention_in_seconds(15_724_800)
        .group_id(4284)
        .try_into()
        .unwrap();
    let created = client
        .create_namespace(Network::Staging, &body)
        .await
        .unwrap();
    assert_eq!(created.retention_in_seconds, 15_724_800);
    // The same again is fine; a different configuration conflicts.
    client
        .create_namespace(Network::Staging, &body)
        .await
        .unwrap();
    let mut other = body.clone();
    other.retention_in_seconds = 86_400;
    let err = client
        .create_namespace(Network::Staging, &other)
        .await
        .unwrap_err();
    assert_eq!(problem(&err), (409, "EKV_3000".into()));
    let mut short = body.clone();
    short.retention_in_seconds = 60;
    assert_eq!(
        problem(
            &client
                .create_namespace(Network::Staging, &short)
                .await
                .unwrap_err()
        )
        .0,
        400
    );
    // Only on staging so far.
    let err = client
        .namespace(Network::Production, "marketing")
        .await
        .unwrap_err();
    assert_eq!(problem(&err), (400, "EKV_9000".into()));
    let updated = client
        .update_namespace(Network::Staging, "marketing", 86_400)
        .await
        .unwrap();
    assert_eq!(updated.retention_in_seconds, 86_400);
    assert_eq!(
        client
            .namespace(Network::Staging, "marketing")
            .await
            .unwrap()
            .retention_in_seconds,
        86_400
    );
    assert_eq!(
        problem(
            &client
                .update_namespace(Network::Staging, "default", 86_400)
                .await
                .unwrap_err()
        )
        .0,
        400
    );
    // No groups until an item is written: the API's 404 "There are no groups." is an empty
    // list for the SDK.
    assert!(client
        .namespace_groups(Network::Staging, "marketing")
        .await
        .unwrap()
        .is_empty());
    // Access groups and reauthorization.
    let groups = client.auth_groups().await.unwrap();
    assert!(groups.iter().any(|g| g.group_id == 4284));
    assert_eq!(client.auth_group(4284).await.unwrap().group_id, 4284);
    assert_eq!(
        problem(&client.auth_group(77).await.unwrap_err()),
        (403, "EKV_1000".into())
    );
    assert_eq!(
        client
            .reauthorize_namespace("marketing", 0)
            .await
            .unwrap()
            .group_id,
        0
    );
    assert_eq!(
        client
            .namespace(Network::Staging, "marketing")
            .await
            .unwrap()
            .group_id,
        0
    );
    assert_eq!(
        problem(&client.reauthorize_namespace("nope", 0).await.unwrap_err()),
        (400, "EKV_1002".into())
    );
}

#[tokio::test]
async fn initialization_is_pending_for_the_configured_polls() {
    let kv = EdgeKvEmulator::builder()
        .uninitialized(3)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(quick());
    assert_eq!(
        client
            .initialization_status()
            .await
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(404)
    );
    let err = client.namespaces(Network::Staging).await.unwrap_err();
    assert_eq!(problem(&err).0, 404);
    let policy = DataAccessPolicy {
        restrict_data_access: false,
        allow_namespace_policy_override: true,
    };
    let outcome = client
        .initialize_and_wait(Some(policy), fast_wait())
        .await
        .unwrap();
    let status = outcome.ready().expect("initialized within the timeout");
    assert_eq!(status.account_status, InitializeAccountStatus::Initialized);
    let polls = kv.counters().operation("get-initialize");
    assert!(
        polls >= 4,
        "{polls} status reads (1 before, 3 PENDING, then INITIALIZED)"
    );
    assert_eq!(
        client.namespaces(Network::Production).await.unwrap().len(),
        1
    );
    let set = client
        .set_data_access_policy(DataAccessPolicy {
            restrict_data_access: true,
            allow_namespace_policy_override: false,
        })
        .await
        .unwrap();
    assert_eq!(set.account_status, InitializeAccountStatus::Initialized);
}

#[tokio::test]
async fn tokens_activate_expire_and_go_into_the_tokens_file() {
    let kv = EdgeKvEmulator::builder()
        .token_activation_reads(2)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(quick());
    // The API's 404 "No tokens exist." is an empty list for the SDK.
    assert!(client.tokens(false).await.unwrap().is_empty());
    let created = client
        .create_token(&NewToken::new("worker").namespace("default", [Permission::R, Permission::W]))
        .await
        .unwrap();
    assert_eq!(
        created.activation_status,
        Some(TokenActivationStatus::InProgress)
    );
    let err = client
        .create_token(&NewToken::new("worker").namespace("default", [Permission::R]))
        .await
        .unwrap_err();
    assert_eq!(problem(&err), (409, "EKV_3000".into()));
    let err = client
        .create_token(&NewToken::new("other").namespace("nope", [Permission::R]))
        .await
        .unwrap_err();
    assert_eq!(problem(&err).0, 400);

    let ready = client
        .wait_for_token("worker", fast_wait())
        .await
        .unwrap()
        .ready()
        .expect("activated");
    assert!(ready.is_active());
    assert_eq!(
        kv.counters().operation("get-token"),
        3,
        "two IN_PROGRESS reads, then COMPLETE"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edgekv_tokens.js");
    TokensFile::merge_into_file(&path, &ready).unwrap();
    let file = TokensFile::read(&path).unwrap();
    assert!(file.get("default").is_some());

    let refreshed = client.refresh_token("worker").await.unwrap();
    assert_eq!(
        refreshed.activation_status,
        Some(TokenActivationStatus::InProgress)
    );
    assert!(refreshed.latest_refresh_date.is_some());

    // An expired token: 410 on get and refresh, listed only with includeExpired.
    let yesterday = kv.today().pred_opt().unwrap();
    kv.seed_token("old", &["default"], yesterday);
    assert_eq!(
        problem(&client.token("old").await.unwrap_err()),
        (410, "EKV_3000".into())
    );
    assert_eq!(
        problem(&client.refresh_token("old").await.unwrap_err()).0,
        410
    );
    let names = |list: Vec<akamai_sdk::edgekv::AccessToken>| {
        list.into_iter().map(|t| t.name).collect::<Vec<_>>()
    };
    assert_eq!(names(client.tokens(false).await.unwrap()), ["worker"]);
    assert_eq!(names(client.tokens(true).await.unwrap()), ["old", "worker"]);
    // Six months later the new token has expired too.
    kv.advance_days(200);
    assert_eq!(problem(&client.token("worker").await.unwrap_err()).0, 410);

    client.delete_token("worker").await.unwrap();
    assert_eq!(
        problem(&client.token("worker").await.unwrap_err()),
        (404, "EKV_3000".into())
    );
    assert_eq!(
        problem(&client.delete_token("worker").await.unwrap_err()),
        (404, "EKV_3000".into())
    );
}

#[tokio::test]
async fn token_booleans_may_be_strings_as_documented() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let http = reqwest::Client::new();
    let signer = EdgeGridSigner::new(kv.credentials());
    let body = json!({"name": "doc_token", "allowOnProduction": "true", "allowOnStaging": "false",
                      "namespacePermissions": {"default": ["r", "w", "d"]}});
    let mut request = http
        .post(format!("{}/tokens", kv.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
        .unwrap();
    signer.sign(&mut request).unwrap();
    let response = http.execute(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let token: serde_json::Value = response.json().await.unwrap();
    assert_eq!(token["allowOnProduction"], true);
    assert_eq!(token["allowOnStaging"], false);
    assert_eq!(token["tokenActivationStatus"], "IN_PROGRESS");
}

#[tokio::test]
async fn signatures_are_checked_and_nonces_not_reused() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let http = reqwest::Client::new();
    let signer = EdgeGridSigner::new(kv.credentials());
    let url = format!("{}/networks/staging/namespaces?details=on", kv.url());
    let mut request = http.get(&url).build().unwrap();
    signer.sign(&mut request).unwrap();
    let auth = request.headers()["authorization"].clone();
    assert_eq!(http.execute(request).await.unwrap().status(), 200);
    // The same Authorization again: a replay.
    let replay = http
        .get(&url)
        .header("authorization", auth.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    let body: serde_json::Value = replay.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("nonce"), "{body}");
    // A fresh signature on another target than the one sent.
    let mut request = http.get(&url).build().unwrap();
    signer.sign(&mut request).unwrap();
    let auth = request.headers()["authorization"].clone();
    let tampered = http
        .get(format!(
            "{}/networks/production/namespaces?details=on",
            kv.url()
        ))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    // Unsigned, and signed with another secret.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    let c = kv.edgegrid_credentials();
    let wrong = akamai_sdk::edgegrid::Credentials::builder(
        kv.host(),
        c.client_token,
        "d3JvbmctY2xpZW50LXNlY3JldA==",
        c.access_token,
    )
    .build()
    .unwrap();
    let foreign = EdgeKvClient::builder(wrong)
        .http_config(quick().allow_insecure_loopback(true))
        .base_url(kv.url())
        .build()
        .unwrap();
    let err = foreign.namespaces(Network::Staging).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let counters = kv.counters();
    assert_eq!(counters.replays, 1);
    assert_eq!(counters.signature_failures, 3);
    let log = kv.requests();
    assert_eq!(log.len(), 5);
    assert_eq!(
        log[0].target,
        "/edgekv/v1/networks/staging/namespaces?details=on"
    );
    assert_eq!(log[0].operation.as_deref(), Some("get-namespaces"));
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 401, 401, 401, 401]
    );
}

#[tokio::test]
async fn a_signature_from_the_past_is_refused() {
    let kv = EdgeKvEmulator::builder()
        .max_clock_skew(Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let old = "20200101T00:00:00+0000"
        .parse::<akamai_sdk::edgegrid::Timestamp>()
        .unwrap();
    let signer = EdgeGridSigner::new(kv.credentials()).with_clock(move || old);
    let http = reqwest::Client::new();
    let mut request = http
        .get(format!("{}/auth/groups", kv.url()))
        .build()
        .unwrap();
    signer.sign(&mut request).unwrap();
    let response = http.execute(request).await.unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("timestamp"),
        "{body}"
    );
    assert_eq!(kv.counters().signature_failures, 1);
}

#[tokio::test]
async fn listings_under_an_unknown_namespace_are_not_found() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(quick());
    kv.seed_namespace(Network::Staging, "empty", 86_400);
    // An existing namespace without items: the API's empty-collection 404s, empty lists.
    assert!(client
        .namespace_groups(Network::Staging, "empty")
        .await
        .unwrap()
        .is_empty());
    let group = client.group(Network::Staging, "empty", "g");
    assert!(group.list(None).await.unwrap().is_empty());
    // A namespace that does not exist (here: only on staging) is an error.
    let errors = [
        client
            .namespace_groups(Network::Production, "empty")
            .await
            .unwrap_err(),
        client
            .group(Network::Production, "empty", "g")
            .list(None)
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert!(err.is_not_found(), "{err}");
        assert!(err.to_string().contains("empty does not exist"), "{err}");
    }
}

#[tokio::test]
async fn tokens_issued_with_values_carry_them() {
    let kv = EdgeKvEmulator::builder()
        .legacy_token_values()
        .start()
        .await
        .unwrap();
    let client = kv.client_with(quick());
    let created = client
        .create_token(&NewToken::new("legacy").namespace("default", [Permission::R]))
        .await
        .unwrap();
    let value = created.value.expect("a value");
    assert_eq!(value.expose_secret().len(), 64);
    let read = client.token("legacy").await.unwrap();
    assert_eq!(
        read.value.unwrap().expose_secret(),
        value.expose_secret(),
        "the same value on every read"
    );
    // Without the option, tokens are references only.
    let current = EdgeKvEmulator::start().await.unwrap();
    let token = current
        .client_with(quick())
        .create_token(&NewToken::new("current").namespace("default", [Permission::R]))
        .await
        .unwrap();
    assert!(token.value.is_none());
}
