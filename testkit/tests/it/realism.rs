//! The EdgeKV API's harder edges, each off by default: the rate limit per account over a
//! sliding second, eventual consistency after a new item is written, and the cap on a listing.

use std::time::{Duration, Instant};

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::{ItemValue, Network};
use akamai_sdk::error::ErrorBody;
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use akamai_sdk_testkit::edgekv::{AUTH_REF_HEADER, MAX_LIST_ITEMS};
use akamai_sdk_testkit::EdgeKvEmulator;
use futures::future::join_all;
use serde_json::Value;

fn no_retry() -> HttpConfig {
    HttpConfig::new().with_retry(RetryPolicy::disabled())
}

/// The status, `errorCode` and `detail` of an API error.
fn problem(err: &Error) -> (u16, String, String) {
    let status = err.status().map(|s| s.as_u16()).unwrap_or(0);
    match err.api().map(|api| api.body()) {
        Some(ErrorBody::Problem(p)) => (
            status,
            p.error_code.clone().unwrap_or_default(),
            p.detail.clone().unwrap_or_default(),
        ),
        _ => (status, String::new(), String::new()),
    }
}

fn denied(hits: usize, limit: u32) -> String {
    format!(
        "Your request has been denied: {hits} hits per second too high. limit set at {limit}. \
         Please try again soon."
    )
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_is_refused_then_accepted_a_second_later() {
    let kv = EdgeKvEmulator::builder()
        .rate_limit(20)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "burst");
    let started = Instant::now();
    let outcomes = join_all((0..50).map(|i| {
        let group = group.clone();
        async move { group.put(&format!("k{i}"), &ItemValue::text("v")).await }
    }))
    .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(900),
        "the burst must fit in the one-second window: {elapsed:?}"
    );
    let accepted = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(accepted, 20);
    let mut refused: Vec<(u16, String, String)> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .map(problem)
        .collect();
    assert_eq!(refused.len(), 30);
    assert!(
        refused.iter().all(|(status, code, detail)| *status == 429
            && code == "EKV_9100"
            && detail.contains("limit set at 20.")),
        "{refused:?}"
    );
    // Each refusal quotes every hit of the second so far: the 21st to the 50th.
    refused.sort_by_key(|(_, _, detail)| (detail.len(), detail.clone()));
    let details: Vec<String> = refused.into_iter().map(|(_, _, d)| d).collect();
    let expected: Vec<String> = (21..=50).map(|hits| denied(hits, 20)).collect();
    assert_eq!(details, expected);

    // Refused requests were not performed.
    let stored = (0..50)
        .filter(|i| {
            kv.item(Network::Staging, "default", "burst", &format!("k{i}"))
                .is_some()
        })
        .count();
    assert_eq!(stored, 20);
    let counters = kv.counters();
    assert_eq!(
        (counters.throttled, counters.operation("put-item")),
        (30, 50)
    );
    let log = kv.requests();
    assert_eq!(
        log.iter()
            .filter(|r| r.status == 429 && r.fault.is_none())
            .count(),
        30
    );

    tokio::time::sleep(Duration::from_millis(1050)).await;
    group.put("later", &ItemValue::text("v")).await.unwrap();
    assert_eq!(group.get("later").await.unwrap().as_bytes(), b"v");
    assert_eq!(kv.counters().throttled, 30);
}

#[tokio::test]
async fn the_rate_limit_can_be_lowered_and_lifted_while_running() {
    let kv = EdgeKvEmulator::builder()
        .rate_limit(100)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    for i in 0..5 {
        group
            .put(&format!("k{i}"), &ItemValue::text("v"))
            .await
            .unwrap();
    }
    kv.set_rate_limit(Some(3));
    let err = group.get("k0").await.unwrap_err();
    assert_eq!(
        problem(&err),
        (429, "EKV_9100".to_owned(), denied(6, 3)),
        "the five earlier requests count against the new limit"
    );
    kv.set_rate_limit(None);
    for _ in 0..10 {
        group.get("k0").await.unwrap();
    }
    // A reset restores the builder's limit with an empty window.
    kv.set_rate_limit(Some(0));
    assert_eq!(problem(&group.get("k0").await.unwrap_err()).0, 429);
    kv.reset();
    client.auth_groups().await.unwrap();
    assert_eq!(kv.counters().throttled, 0);
}

#[tokio::test]
async fn throttling_comes_before_the_signature_check_and_spares_the_edge_path() {
    let kv = EdgeKvEmulator::builder()
        .rate_limit(1)
        .rate_limit_retry_after(7)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let groups = format!("{}/auth/groups", kv.url());
    // An unsigned request is a hit: refused by the signature check, but counted.
    let first = http.get(&groups).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 401);
    let second = http.get(&groups).send().await.unwrap();
    assert_eq!(second.status().as_u16(), 429);
    assert_eq!(
        second
            .headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap(),
        "7"
    );
    assert_eq!(
        second
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        "application/problem+json"
    );
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["status"], 429);
    assert_eq!(body["errorCode"], "EKV_9100");
    assert_eq!(body["detail"], denied(2, 1));
    let counters = kv.counters();
    assert_eq!((counters.signature_failures, counters.throttled), (1, 1));

    // The edge data path is not the admin API: not limited.
    kv.seed_item(Network::Staging, "default", "g", "k", "text/plain", "edge");
    let token = kv.seed_token("t", &["default"], kv.today().succ_opt().unwrap());
    let url = format!(
        "{}/api/v1/namespaces/default/groups/g/items/k",
        kv.edge_url()
    );
    for _ in 0..5 {
        let response = http
            .get(&url)
            .header(AUTH_REF_HEADER, &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }

    // Without rate_limit_retry_after, no Retry-After, as the API.
    let closed = EdgeKvEmulator::builder()
        .rate_limit(0)
        .start()
        .await
        .unwrap();
    let refused = http
        .get(format!("{}/auth/groups", closed.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn a_new_item_is_not_found_until_the_consistency_delay_passes() {
    const DELAY: Duration = Duration::from_millis(400);
    let kv = EdgeKvEmulator::builder()
        .consistency_delay(DELAY)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    // Seeded items were there before: visible at once.
    kv.seed_item(Network::Staging, "default", "g", "old", "text/plain", "v1");
    assert_eq!(group.get("old").await.unwrap().as_bytes(), b"v1");
    let token = kv.seed_token("t", &["default"], kv.today().succ_opt().unwrap());
    let http = reqwest::Client::new();
    let edge_get = |item: &str| {
        http.get(format!(
            "{}/api/v1/namespaces/default/groups/g/items/{item}",
            kv.edge_url()
        ))
        .header(AUTH_REF_HEADER, &token)
        .send()
    };

    let written = Instant::now();
    group.put("new", &ItemValue::text("fresh")).await.unwrap();
    client
        .group(Network::Staging, "default", "other")
        .put("only", &ItemValue::text("x"))
        .await
        .unwrap();
    let err = group.get("new").await.unwrap_err();
    assert_eq!(problem(&err).0, 404, "{err}");
    assert_eq!(edge_get("new").await.unwrap().status().as_u16(), 404);
    assert_eq!(group.list(None).await.unwrap(), ["old"]);
    assert_eq!(
        client
            .namespace_groups(Network::Staging, "default")
            .await
            .unwrap(),
        ["g"],
        "a group holding only a new item is not listed yet"
    );
    // The state has it; an overwrite of a visible item is visible at once.
    assert_eq!(
        kv.item(Network::Staging, "default", "g", "new").unwrap().1,
        b"fresh"
    );
    group.put("old", &ItemValue::text("v2")).await.unwrap();
    assert_eq!(group.get("old").await.unwrap().as_bytes(), b"v2");
    assert!(
        written.elapsed() < DELAY,
        "the checks above must run within the delay: {:?}",
        written.elapsed()
    );

    tokio::time::sleep(DELAY.saturating_sub(written.elapsed()) + Duration::from_millis(50)).await;
    assert_eq!(group.get("new").await.unwrap().as_bytes(), b"fresh");
    let edge = edge_get("new").await.unwrap();
    assert_eq!(edge.status().as_u16(), 200);
    assert_eq!(edge.bytes().await.unwrap().as_ref(), b"fresh");
    let mut listed = group.list(None).await.unwrap();
    listed.sort();
    assert_eq!(listed, ["new", "old"]);
    assert_eq!(
        client
            .namespace_groups(Network::Staging, "default")
            .await
            .unwrap(),
        ["g", "other"]
    );

    // Deleted then written again: a new item, hidden again.
    group.delete("new").await.unwrap();
    group.put("new", &ItemValue::text("again")).await.unwrap();
    assert_eq!(problem(&group.get("new").await.unwrap_err()).0, 404);
}

#[tokio::test]
async fn a_listing_is_capped_whatever_max_items_asks() {
    assert_eq!(MAX_LIST_ITEMS, 10_000);
    let kv = EdgeKvEmulator::builder()
        .max_list_items(3)
        .start()
        .await
        .unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    for i in 0..5 {
        group
            .put(&format!("k{i}"), &ItemValue::text("v"))
            .await
            .unwrap();
    }
    assert_eq!(group.list(Some(10)).await.unwrap().len(), 3);
    assert_eq!(group.list(None).await.unwrap().len(), 3);
    assert_eq!(group.list(Some(2)).await.unwrap().len(), 2);

    // The default cap: a larger maxItems is clamped, not refused.
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    group.put("a", &ItemValue::text("v")).await.unwrap();
    group.put("b", &ItemValue::text("v")).await.unwrap();
    assert_eq!(group.list(Some(1_000_000)).await.unwrap(), ["a", "b"]);
}
